/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vx0-client: carries a TUN interface's IP packets over 3-hop onion
 * circuits through vx0 relays (doc/onion.md section 14). No DPDK.
 * Exit codes: 0 ok (also after SIGINT/SIGTERM), 2 usage or configuration
 * error, 1 runtime failure.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/epoll.h>

#include <sodium.h>

#include "vx0_client.h"
#include "vx0_log.h"

static void
usage(FILE *f)
{
	fprintf(f,
"usage: vx0-client (--descriptors FILE | --dht HOST:PORT [--dht-...])\n"
"                  --tun NAME --addr CIDR [--addr CIDR6] --route PREFIX [--route PREFIX ...]\n"
"                  [--path NAME,NAME,NAME] [--state-dir DIR] [--events FILE|-]\n"
"                  [--padding RATE] [--duration SECONDS]\n"
"\n"
"Builds 3-hop onion circuits (guard, middle, exit) through vx0 relays and\n"
"carries the IP packets of a TUN interface (MTU %d) over them.\n"
"\n"
"  --descriptors FILE   static relay list {\"relays\": [{name, addr, port, id,\n"
"                       onion_key, capacity, family, exit}, ...]}\n"
"  --dht HOST:PORT      collect signed relay descriptors from the DHT through\n"
"                       this node (doc/descriptor.md section 4)\n"
"  --dht-tiers LIST     tiers to collect, e.g. 1,2 (default 1,2,3)\n"
"  --dht-wait SECONDS   collection time before the first build (default 5)\n"
"  --dht-port PORT      our DHT UDP port (default: any)\n"
"  --tun NAME           TUN interface to create\n"
"  --addr CIDR          address of the TUN (one IPv4 and/or one IPv6)\n"
"  --route PREFIX       route PREFIX through the circuit (repeatable, up to %d)\n"
"  --path G,M,X         use these relays (names from the descriptors) instead\n"
"                       of path selection\n"
"  --no-distinct-subnets  allow hops in one /16 (or /32): test networks only\n"
"  --state-dir DIR      keep the guard set in DIR/guards.json across restarts\n"
"  --events FILE|-      JSON lines: building, open, closed, rebuilding, stats\n"
"  --padding RATE       cover cells per second toward the guard on an idle link\n"
"  --duration SECONDS   exit 0 after this long (default: until SIGINT/SIGTERM)\n"
"  --liveness SECONDS   rebuild when nothing came back this long after sending\n"
"                       (default 5)\n"
"  --build-timeout SECONDS  give up a circuit build after this long (default 15)\n"
"  --rotate SECONDS     replace circuits at this age (default 3600; they are\n"
"                       also replaced after 1 GiB)\n"
"  -v, --verbose        more log on stderr\n"
"  -h, --help           this text\n",
		VX0_ONION_INNER_MTU, VX0C_MAX_ROUTES);
}

enum {
	O_DESC = 256, O_DHT, O_DHT_TIERS, O_DHT_WAIT, O_DHT_PORT, O_TUN, O_ADDR, O_ROUTE,
	O_PATH, O_STATE, O_EVENTS, O_PADDING, O_DURATION, O_LIVENESS, O_BUILD_TIMEOUT,
	O_ROTATE, O_ANY_SUBNET,
};

static const struct option long_opts[] = {
	{ "descriptors", required_argument, NULL, O_DESC },
	{ "dht", required_argument, NULL, O_DHT },
	{ "dht-tiers", required_argument, NULL, O_DHT_TIERS },
	{ "dht-wait", required_argument, NULL, O_DHT_WAIT },
	{ "dht-port", required_argument, NULL, O_DHT_PORT },
	{ "tun", required_argument, NULL, O_TUN },
	{ "addr", required_argument, NULL, O_ADDR },
	{ "route", required_argument, NULL, O_ROUTE },
	{ "path", required_argument, NULL, O_PATH },
	{ "state-dir", required_argument, NULL, O_STATE },
	{ "no-distinct-subnets", no_argument, NULL, O_ANY_SUBNET },
	{ "events", required_argument, NULL, O_EVENTS },
	{ "padding", required_argument, NULL, O_PADDING },
	{ "duration", required_argument, NULL, O_DURATION },
	{ "liveness", required_argument, NULL, O_LIVENESS },
	{ "build-timeout", required_argument, NULL, O_BUILD_TIMEOUT },
	{ "rotate", required_argument, NULL, O_ROTATE },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int
bad(const char *fmt, const char *arg)
{
	fprintf(stderr, "vx0-client: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	return 2;
}

/* Seconds as a positive number (fractions allowed) up to max; ms out. */
static int
seconds(const char *s, double max, uint64_t *ms)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end != '\0' || !(v > 0) || v > max)
		return -1;
	*ms = (uint64_t)(v * 1000.0 + 0.5);
	return *ms ? 0 : -1;
}

static char path_buf[3 * (VX0_ONION_NAME_MAX + 1) + 8];

static int
parse_args(int argc, char **argv, struct vx0c_opts *o, int *verbose)
{
	uint64_t ms;
	int opt, fam;
	uint8_t a[16];
	unsigned int len;

	memset(o, 0, sizeof(*o));
	o->liveness_ms = 5000;
	o->build_timeout_ms = 15000;
	o->rotate_ms = VX0_ONION_ROTATE_AGE_MS;
	o->dht_tiers = 0xe;
	o->dht_wait_ms = 5000;
	while ((opt = getopt_long(argc, argv, "vh", long_opts, NULL)) != -1) {
		switch (opt) {
		case O_DESC:
			o->desc_file = optarg;
			break;
		case O_DHT:
			o->dht = optarg;
			break;
		case O_DHT_TIERS: {
			const char *p = optarg;

			o->dht_tiers = 0;
			while (*p) {
				if (*p < '1' || *p > '3' || (p[1] != ',' && p[1] != '\0'))
					return bad("--dht-tiers %s: a list of 1, 2, 3", optarg);
				o->dht_tiers |= 1u << (*p - '0');
				p += p[1] ? 2 : 1;
			}
			if (o->dht_tiers == 0)
				return bad("--dht-tiers %s: a list of 1, 2, 3", optarg);
			break;
		}
		case O_DHT_WAIT:
			if (seconds(optarg, 600, &ms) < 0)
				return bad("--dht-wait %s: seconds, above 0 and up to 600", optarg);
			o->dht_wait_ms = (unsigned int)ms;
			break;
		case O_DHT_PORT: {
			char *end;
			long p = strtol(optarg, &end, 10);

			if (*end || end == optarg || p < 1 || p > 65535)
				return bad("--dht-port %s: 1-65535", optarg);
			o->dht_port = (unsigned int)p;
			break;
		}
		case O_TUN:
			o->tun = optarg;
			break;
		case O_ADDR:
			if (vx0c_cidr_parse(optarg, &fam, a, &len) < 0)
				return bad("--addr %s: not an address/prefix-length", optarg);
			if (o->n_addrs == VX0C_MAX_ADDRS)
				return bad("--addr %s: at most one IPv4 and one IPv6 address", optarg);
			if (o->n_addrs == 1) {
				int fam0;

				vx0c_cidr_parse(o->addrs[0], &fam0, a, &len);
				if (fam0 == fam)
					return bad("--addr %s: at most one IPv4 and one IPv6 address",
						   optarg);
			}
			o->addrs[o->n_addrs++] = optarg;
			break;
		case O_ROUTE:
			if (vx0c_cidr_parse(optarg, &fam, a, &len) < 0)
				return bad("--route %s: not a prefix/length", optarg);
			if (o->n_routes == VX0C_MAX_ROUTES)
				return bad("--route %s: too many routes", optarg);
			o->routes[o->n_routes++] = optarg;
			break;
		case O_PATH: {
			char *p, *save = NULL;
			unsigned int n = 0;

			if (strlen(optarg) >= sizeof(path_buf))
				return bad("--path %s: three relay names G,M,X", optarg);
			strcpy(path_buf, optarg);
			for (p = strtok_r(path_buf, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
				if (n == 3)
					return bad("--path %s: three relay names G,M,X", optarg);
				o->path[n++] = p;
			}
			if (n != 3)
				return bad("--path %s: three relay names G,M,X", optarg);
			o->forced = 1;
			break;
		}
		case O_STATE:
			o->state_dir = optarg;
			break;
		case O_ANY_SUBNET:
			o->any_subnet = 1;
			break;
		case O_EVENTS:
			o->events = optarg;
			break;
		case O_PADDING: {
			char *end;

			errno = 0;
			o->padding = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(o->padding >= 0) || o->padding > 1000)
				return bad("--padding %s: cells per second, 0-1000", optarg);
			break;
		}
		case O_DURATION:
			if (seconds(optarg, 86400.0 * 365, &ms) < 0)
				return bad("--duration %s: positive seconds", optarg);
			o->duration_s = (unsigned int)((ms + 999) / 1000);
			break;
		case O_LIVENESS:
			if (seconds(optarg, 3600, &ms) < 0)
				return bad("--liveness %s: seconds, up to 3600", optarg);
			o->liveness_ms = (unsigned int)ms;
			break;
		case O_BUILD_TIMEOUT:
			if (seconds(optarg, 3600, &ms) < 0)
				return bad("--build-timeout %s: seconds, up to 3600", optarg);
			o->build_timeout_ms = (unsigned int)ms;
			break;
		case O_ROTATE:
			if (seconds(optarg, 3600, &ms) < 0)
				return bad("--rotate %s: seconds, up to 3600 (doc/onion.md 8)", optarg);
			o->rotate_ms = ms;
			break;
		case 'v':
			(*verbose)++;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc)
		return bad("unexpected argument %s", argv[optind]);
	if (!o->desc_file == !o->dht)
		return bad("%s", "give exactly one of --descriptors FILE and --dht HOST:PORT");
	if (o->tun == NULL)
		return bad("%s", "--tun NAME is required");
	if (o->n_addrs == 0)
		return bad("%s", "--addr CIDR is required");
	if (o->n_routes == 0)
		return bad("%s", "--route PREFIX is required (at least one)");
	return 0;
}

static void
on_signal(struct vx0_evloop *loop, int fd, uint32_t events, void *arg)
{
	struct signalfd_siginfo si;

	(void)events;
	(void)arg;
	while (read(fd, &si, sizeof(si)) == sizeof(si))
		vx0_log(VX0_LOG_NOTICE, "client", "signal %u: shutting down", si.ssi_signo);
	vx0_evloop_stop(loop);
}

int
main(int argc, char **argv)
{
	static struct vx0_onion_dir dir;
	struct vx0c_events ev = { 0 };
	struct vx0_evloop *loop = NULL;
	struct vx0c *cl = NULL;
	struct vx0c_dht *dht = NULL;
	struct vx0c_opts o;
	char err[256];
	sigset_t mask;
	int verbose = 0, rc, sfd = -1, tun = -1, status = 1;
	unsigned int i;

	rc = parse_args(argc, argv, &o, &verbose);
	if (rc)
		return rc;
	if (verbose)
		vx0_log_set_level(verbose > 1 ? VX0_LOG_DEBUG : VX0_LOG_INFO);
	if (sodium_init() < 0) {
		fprintf(stderr, "vx0-client: sodium_init failed\n");
		return 1;
	}
	if (o.desc_file) {
		if (vx0_onion_dir_load(o.desc_file, &dir, err, sizeof(err)) < 0) {
			fprintf(stderr, "vx0-client: %s: %s\n", o.desc_file, err);
			return 2;
		}
		if (o.forced)
			for (i = 0; i < 3; i++)
				if (vx0_onion_dir_find(&dir, o.path[i]) < 0) {
					fprintf(stderr, "vx0-client: --path: no relay named \"%s\" in %s\n",
						o.path[i], o.desc_file);
					return 2;
				}
	} else if (vx0c_dht_check(&o, err, sizeof(err)) < 0) {
		fprintf(stderr, "vx0-client: %s\n", err);
		return 2;
	}
	if (o.state_dir && mkdir(o.state_dir, 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, "vx0-client: --state-dir %s: %s\n", o.state_dir, strerror(errno));
		return 2;
	}
	if (vx0c_events_open(&ev, o.events) < 0) {
		fprintf(stderr, "vx0-client: --events %s: %s\n", o.events, strerror(errno));
		return 2;
	}
	/* signals as events of the loop, so shutdown runs in one place */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	loop = vx0_evloop_create();
	if (sfd < 0 || loop == NULL || vx0_evloop_add_fd(loop, sfd, EPOLLIN, on_signal, NULL) < 0) {
		fprintf(stderr, "vx0-client: event loop: %s\n", strerror(errno));
		goto out;
	}
	tun = vx0c_tun_open(o.tun, o.addrs, o.n_addrs, o.routes, o.n_routes, err, sizeof(err));
	if (tun < 0) {
		fprintf(stderr, "vx0-client: %s\n", err);
		goto out;
	}
	cl = vx0c_new(loop, &o, &dir, &ev, tun);
	if (cl == NULL) {
		fprintf(stderr, "vx0-client: out of memory\n");
		goto out;
	}
	vx0c_event(&ev, "started", "{s:s, s:i, s:i}", "tun", o.tun, "mtu", VX0_ONION_INNER_MTU,
		   "relays", (int)dir.n);
	if (o.dht) {
		dht = vx0c_dht_new(loop, &o, cl, &ev, err, sizeof(err));
		if (dht == NULL) {
			fprintf(stderr, "vx0-client: %s\n", err);
			goto out;
		}
	} else {
		vx0c_start(cl);
	}
	rc = vx0_evloop_run(loop, o.duration_s ? vx0_evloop_now_ms(loop) +
			    (uint64_t)o.duration_s * 1000 : 0);
	if (rc < 0) {
		fprintf(stderr, "vx0-client: event loop: %s\n", strerror(-rc));
		goto out;
	}
	status = 0;
out:
	if (cl)
		vx0c_shutdown(cl);
	vx0c_dht_free(dht);
	vx0c_free(cl);
	if (tun >= 0)
		close(tun); /* removes the TUN with its addresses and routes */
	if (sfd >= 0)
		close(sfd);
	if (loop)
		vx0_evloop_destroy(loop);
	vx0c_event(&ev, "exit", "{s:i}", "status", status);
	vx0c_events_close(&ev);
	return status;
}
