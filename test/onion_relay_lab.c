/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One lib/onion relay over UDP for dts/test_onion_client.py (guard, middle
 * or exit, one process each, in its own network namespace). Keys come from
 * --identity FILE (Ed25519 seed) and FILE.onion (X25519 secret), created
 * when missing, as test/dht_node --identity reads them: a replacement
 * started on the same files is the same relay, and a dht_node on them
 * publishes its descriptor. Prints its descriptor as one JSON line (the static
 * descriptor file's relay object) and, on SIGUSR1 and at exit, its
 * counters as a JSON line. An exit writes delivered IP packets into a TUN
 * device (the namespace's kernel routes them on) and sends what the TUN
 * gives back on the circuit whose client used that address.
 *
 * usage: onion_relay_lab --name N --bind ADDR --port P --identity FILE
 *                        [--exit --tun NAME] [--capacity C] [--family F]
 *                        [--duration SECONDS]
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>

#include <sodium.h>

#include "vx0_dht_sock.h"
#include "vx0_onion_path.h"
#include "vx0_onion_udp.h"

#define NMAP 16

struct map { /* client inner address -> circuit */
	uint8_t fam, addr[16];
	uint32_t link, circ;
	int used;
};

struct lab {
	struct vx0_onion_udp_relay *u;
	int tun;
	struct map m[NMAP];
	unsigned int next;
	uint64_t tun_written, tun_read, sent_back, unmapped;
	const char *name;
};

/* source (deliver) or destination (reply) address of an IP packet */
static int
ip_addr(const uint8_t *p, size_t len, int dst, uint8_t *fam, uint8_t addr[16])
{
	if (len >= 20 && (p[0] >> 4) == 4) {
		*fam = 4;
		memcpy(addr, p + (dst ? 16 : 12), 4);
		return 0;
	}
	if (len >= 40 && (p[0] >> 4) == 6) {
		*fam = 6;
		memcpy(addr, p + (dst ? 24 : 8), 16);
		return 0;
	}
	return -1;
}

static void
deliver(void *arg, uint32_t link, uint32_t circ, const uint8_t *pkt, size_t len)
{
	struct lab *l = arg;
	uint8_t fam, a[16];
	unsigned int i;

	if (l->tun < 0 || ip_addr(pkt, len, 0, &fam, a) < 0)
		return;
	for (i = 0; i < NMAP; i++)
		if (l->m[i].used && l->m[i].fam == fam && !memcmp(l->m[i].addr, a, fam == 4 ? 4 : 16))
			break;
	if (i == NMAP)
		i = l->next++ % NMAP;
	l->m[i].used = 1;
	l->m[i].fam = fam;
	memcpy(l->m[i].addr, a, 16);
	l->m[i].link = link; /* the newest circuit of this client answers */
	l->m[i].circ = circ;
	if (write(l->tun, pkt, len) == (ssize_t)len)
		l->tun_written++;
}

static void
tun_rx(struct vx0_evloop *loop, int fd, uint32_t events, void *arg)
{
	struct lab *l = arg;
	uint8_t pkt[2048], fam, a[16];
	unsigned int i, budget = 64;
	ssize_t n;

	(void)loop;
	(void)events;
	while (budget-- && (n = read(fd, pkt, sizeof(pkt))) > 0) {
		l->tun_read++;
		if (ip_addr(pkt, (size_t)n, 1, &fam, a) < 0)
			continue;
		for (i = 0; i < NMAP; i++)
			if (l->m[i].used && l->m[i].fam == fam &&
			    !memcmp(l->m[i].addr, a, fam == 4 ? 4 : 16))
				break;
		if (i == NMAP) {
			l->unmapped++;
			continue;
		}
		if (vx0_onion_udp_relay_send_back(l->u, l->m[i].link, l->m[i].circ, pkt,
						  (size_t)n) == 0)
			l->sent_back++;
	}
}

static void
stats(struct lab *l)
{
	const struct vx0_onion_relay_stats *s = vx0_onion_relay_stats(vx0_onion_udp_relay_core(l->u));

	printf("{\"stats\": \"%s\", \"cells_in\": %llu, \"created\": %llu, \"extended\": %llu, "
	       "\"relayed_fwd\": %llu, \"relayed_bwd\": %llu, \"delivered\": %llu, "
	       "\"dropped_padding\": %llu, \"destroyed\": %llu, \"integrity_failed\": %llu, "
	       "\"policy_denied\": %llu, \"unknown_circ\": %llu, \"circuits\": %u, "
	       "\"tun_written\": %llu, \"tun_read\": %llu, \"sent_back\": %llu}\n",
	       l->name, (unsigned long long)s->cells_in, (unsigned long long)s->created,
	       (unsigned long long)s->extended, (unsigned long long)s->relayed_fwd,
	       (unsigned long long)s->relayed_bwd, (unsigned long long)s->delivered,
	       (unsigned long long)s->dropped_padding, (unsigned long long)s->destroyed,
	       (unsigned long long)s->integrity_failed, (unsigned long long)s->policy_denied,
	       (unsigned long long)s->unknown_circ,
	       vx0_onion_relay_circuits(vx0_onion_udp_relay_core(l->u)),
	       (unsigned long long)l->tun_written, (unsigned long long)l->tun_read,
	       (unsigned long long)l->sent_back);
	fflush(stdout);
}

static void
on_signal(struct vx0_evloop *loop, int fd, uint32_t events, void *arg)
{
	struct signalfd_siginfo si;

	(void)events;
	while (read(fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGUSR1)
			stats(arg);
		else
			vx0_evloop_stop(loop);
	}
}

static int
tun_open(const char *name)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' }, { "bind", required_argument, NULL, 'b' },
		{ "port", required_argument, NULL, 'p' }, { "identity", required_argument, NULL, 's' },
		{ "exit", no_argument, NULL, 'x' }, { "tun", required_argument, NULL, 't' },
		{ "capacity", required_argument, NULL, 'c' },
		{ "family", required_argument, NULL, 'f' },
		{ "duration", required_argument, NULL, 'd' }, { NULL, 0, NULL, 0 },
	};
	const char *bind_s = NULL, *seed = NULL, *tun_name = NULL, *family = "";
	struct vx0_onion_relay_config cfg;
	struct vx0_onion_addr a;
	struct vx0_evloop *loop;
	struct lab l;
	uint8_t *seed_id = NULL, *seed_onion = NULL, sk[64], pk[32], onion_pk[32];
	char opath[4096];
	char idhex[65], okhex[65];
	unsigned int port = 0, capacity = 100, duration = 300;
	int opt, exitf = 0, sfd;
	sigset_t mask;

	memset(&l, 0, sizeof(l));
	l.tun = -1;
	l.name = "relay";
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'n': l.name = optarg; break;
		case 'b': bind_s = optarg; break;
		case 'p': port = (unsigned int)atoi(optarg); break;
		case 's': seed = optarg; break;
		case 'x': exitf = 1; break;
		case 't': tun_name = optarg; break;
		case 'c': capacity = (unsigned int)atoi(optarg); break;
		case 'f': family = optarg; break;
		case 'd': duration = (unsigned int)atoi(optarg); break;
		default: return 2;
		}
	}
	if (sodium_init() < 0 || !bind_s || !seed || port == 0 || port > 65535 ||
	    vx0_onion_addr_parse(bind_s, &a) < 0 || (exitf && !tun_name)) {
		fprintf(stderr, "usage: onion_relay_lab --name N --bind ADDR --port P --identity FILE "
			"[--exit --tun NAME] [--capacity C] [--family F] [--duration S]\n");
		return 2;
	}
	a.port = (uint16_t)port;
	vx0_onion_relay_config_default(&cfg);
	/* the same key files a restarted relay (and dht_node) reads */
	snprintf(opath, sizeof(opath), "%s.onion", seed);
	if (vx0_dht_seed_load_or_create(seed, &seed_id) != 0 ||
	    vx0_dht_seed_load_or_create(opath, &seed_onion) != 0) {
		fprintf(stderr, "onion_relay_lab: cannot read or create %s\n", seed);
		return 1;
	}
	crypto_sign_seed_keypair(pk, sk, seed_id);
	memcpy(cfg.id, pk, 32);
	memcpy(cfg.onion_sk, seed_onion, 32);
	crypto_scalarmult_base(onion_pk, cfg.onion_sk);
	cfg.exit = exitf;
	sodium_memzero(sk, sizeof(sk));
	sodium_free(seed_id);
	sodium_free(seed_onion);

	loop = vx0_evloop_create();
	if (loop == NULL)
		return 1;
	if (tun_name) {
		l.tun = tun_open(tun_name);
		if (l.tun < 0 || vx0_evloop_add_fd(loop, l.tun, EPOLLIN, tun_rx, &l) < 0) {
			fprintf(stderr, "onion_relay_lab: TUN %s: %s\n", tun_name, strerror(errno));
			return 1;
		}
	}
	l.u = vx0_onion_udp_relay_new(loop, &cfg, &a, exitf ? deliver : NULL, &l);
	sodium_memzero(&cfg, sizeof(cfg));
	if (l.u == NULL) {
		fprintf(stderr, "onion_relay_lab: cannot bind %s port %u\n", bind_s, port);
		return 1;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGUSR1);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sfd < 0 || vx0_evloop_add_fd(loop, sfd, EPOLLIN, on_signal, &l) < 0)
		return 1;
	sodium_bin2hex(idhex, sizeof(idhex), pk, 32);
	sodium_bin2hex(okhex, sizeof(okhex), onion_pk, 32);
	printf("{\"name\": \"%s\", \"addr\": \"%s\", \"port\": %u, \"id\": \"%s\", "
	       "\"onion_key\": \"%s\", \"capacity\": %u, \"family\": \"%s\", \"exit\": %s}\n",
	       l.name, bind_s, port, idhex, okhex, capacity, family, exitf ? "true" : "false");
	fflush(stdout);
	/* bounded: a lab relay never outlives its test */
	vx0_evloop_run(loop, vx0_evloop_now_ms(loop) + (uint64_t)duration * 1000);
	stats(&l);
	vx0_onion_udp_relay_free(l.u);
	if (l.tun >= 0)
		close(l.tun);
	close(sfd);
	vx0_evloop_destroy(loop);
	return 0;
}
