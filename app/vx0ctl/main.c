/* SPDX-License-Identifier: BSD-3-Clause */
/* vx0ctl: arguments, help, exit codes. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vx0ctl.h"

static void
help(FILE *f)
{
	fprintf(f,
"usage: vx0ctl [-f FILE_PREFIX | -s SOCKET] [--json] COMMAND\n"
"\n"
"Query a running vx0d over its DPDK telemetry socket\n"
"(RUNTIME_DIR/dpdk/FILE_PREFIX/dpdk_telemetry.v2, RUNTIME_DIR /var/run for root).\n"
"\n"
"commands:\n"
"  show stats               per-stage packets, bytes, cycles per packet; mbufs\n"
"  show drops               drops by reason (the non-zero ones) and their total\n"
"  show punt                exception path: packets per class, policed\n"
"  show ports               one line per port: counters, MTU, MAC\n"
"  show port NAME           all counters of one port\n"
"  show lcores              one line per lcore: roles, packets, loop counters\n"
"  show lcore ID            one lcore\n"
"  show fib [ADDRESS]       route counts, or the FIB lookup of ADDRESS\n"
"  show neigh               the neighbour table\n"
"  show sa                  ESP SAs and their counters (never keys)\n"
"  show onion               onion relay counters\n"
"  show circuits            onion circuits: hops, state, counters (never keys)\n"
"  show bgp                 BGP speaker summary\n"
"  show bgp neighbors       BGP sessions\n"
"  show bgp route PREFIX    RIB paths of a prefix (exact) or an address (longest match)\n"
"  top [-n N] [-i SECONDS]  per-stage rates, refreshed every SECONDS (1), N times (0: forever)\n"
"  raw /vx0/CMD[,PARAM]     any telemetry command; the reply as JSON\n"
"\n"
"write commands (over the management socket, vx0_mgmt.sock beside the telemetry one):\n"
"  route add PREFIX via ADDRESS | route add PREFIX drop\n"
"                           add or replace a static route (the gateway on a connected subnet)\n"
"  route del PREFIX         delete a static or drop route (not connected/local ones)\n"
"  route get PREFIX         the exact route of PREFIX\n"
"  log level [LEVEL [LIB]]  show or set the log level (err warning notice info debug),\n"
"                           of everything or of one library's logtype (bgp, ike, mgmt, ...)\n"
"  log format [text|json]   show or set the log lines' format (json: one object per line)\n"
"  check FILE               validate a config (dry run) and say whether reload would take it\n"
"  reload [FILE]            apply what changed in the config (default: vx0d's own file);\n"
"                           static changes (ports, lcores, eal, ...) are refused, nothing applied\n"
"  port list                ports: admin state, link, counters\n"
"  port up NAME | port down NAME\n"
"                           a port down neither receives nor sends (port_admin_down drops)\n"
"  bgp peers                BGP peers: state, uptime, prefixes\n"
"  bgp add ADDRESS AS [JSON]  add a peer (JSON: more settings as in the config's bgp.peers)\n"
"  bgp remove PEER          remove a peer (Cease, its routes withdrawn)\n"
"  bgp reset PEER [soft]    hard reset (Cease, reconnect) or soft (route refresh)\n"
"  bgp shutdown PEER [MESSAGE] | bgp start PEER\n"
"                           stop a peer with an RFC 8203 message / start it again\n"
"  ike peers                IKE peers and their IKE SA\n"
"  ike initiate PEER | ike terminate PEER\n"
"                           start IKE with a peer / delete its IKE SA (name or address)\n"
"  mgmt CMD [ARGS_JSON]     any management command (mgmt help lists them)\n"
"  capture POINT[,POINT] [-c COUNT] [-d SECONDS] [-s SNAPLEN] (-w FILE | -F FIFO)\n"
"          [--format pcap|pcapng] [--ring N] [--background] [FILTER...]\n"
"                           capture at a tap point (rx:PORT, tx:PORT, stage:rx:in|out,\n"
"                           stage:crypto:in|out, stage:onion:in|out, stage:tx:in, punt)\n"
"                           with a libpcap FILTER; waits and prints the summary\n"
"                           (Ctrl-C stops it; --background returns at once)\n"
"  capture stop | status    end the capture / show its state and counters\n"
"\n"
"options:\n"
"  -f, --file-prefix P      vx0d's EAL --file-prefix (default: rte)\n"
"  -s, --socket PATH        the telemetry socket itself\n"
"  -m, --mgmt-socket PATH   the management socket itself (default: beside the telemetry one)\n"
"  -j, --json               print replies as JSON (top: one object per line)\n"
"  -n, --count N            top: iterations\n"
"  -i, --interval SECONDS   top: refresh interval (0.1 .. 3600)\n"
"  -h, --help               this text\n"
"\n"
"exit status:\n"
"  0  success\n"
"  1  usage error\n"
"  2  cannot connect to the socket, or it closed / timed out (%d s)\n"
"  3  the command failed or is unknown (telemetry answered null, management \"ok\": false;\n"
"     also a config that check finds invalid or reload refuses)\n"
"  4  the reply is not valid JSON, too large, or not of the expected shape\n",
		VX0CTL_TIMEOUT_S);
}

/* Where the command starts: the first word that is neither a global option
 * nor its value. "capture" has options of its own (-c, -s, ...) that the
 * global parse must not see. */
static int
command_index(int argc, char **argv)
{
	static const char *const with_arg[] = { "-f", "-s", "-m", "-n", "-i", "--file-prefix",
						"--socket", "--mgmt-socket", "--count",
						"--interval" };

	for (int i = 1; i < argc; i++) {
		if (argv[i][0] != '-')
			return i;
		if (strcmp(argv[i], "--") == 0)
			return i + 1;
		for (unsigned int k = 0; k < sizeof(with_arg) / sizeof(with_arg[0]); k++)
			if (strcmp(argv[i], with_arg[k]) == 0) {
				i++;
				break;
			}
	}
	return argc;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "file-prefix", required_argument, NULL, 'f' },
		{ "socket", required_argument, NULL, 's' },
		{ "mgmt-socket", required_argument, NULL, 'm' },
		{ "json", no_argument, NULL, 'j' },
		{ "count", required_argument, NULL, 'n' },
		{ "interval", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct vx0ctl c = { .fd = -1, .interval_s = 1.0 };
	const char *prefix = "rte", *sock = NULL, *msock = NULL;
	char path[512], mpath[512];
	int o, rc, have_f = 0, cmd = command_index(argc, argv), full_argc = argc;

	if (cmd < argc && strcmp(argv[cmd], "capture") == 0)
		argc = cmd; /* the global options only */
	while ((o = getopt_long(argc, argv, "f:s:m:jn:i:h", opts, NULL)) != -1) {
		char *end;

		switch (o) {
		case 'f':
			prefix = optarg;
			have_f = 1;
			break;
		case 's':
			sock = optarg;
			break;
		case 'm':
			msock = optarg;
			break;
		case 'j':
			c.json = true;
			break;
		case 'n': {
			unsigned long long n;

			if (vx0ctl_parse_u64(optarg, 1000000, &n) < 0) {
				fprintf(stderr, "vx0ctl: -n wants a count (0 .. 1000000)\n");
				return VX0CTL_USAGE;
			}
			c.count = (unsigned int)n;
			break;
		}
		case 'i':
			c.interval_s = strtod(optarg, &end);
			if (*optarg == 0 || *end || !(c.interval_s >= 0.1 && c.interval_s <= 3600)) {
				fprintf(stderr, "vx0ctl: -i wants seconds (0.1 .. 3600)\n");
				return VX0CTL_USAGE;
			}
			break;
		case 'h':
			help(stdout);
			return VX0CTL_OK;
		default:
			fprintf(stderr, "vx0ctl: see vx0ctl --help\n");
			return VX0CTL_USAGE;
		}
	}
	if (sock && have_f) {
		fprintf(stderr, "vx0ctl: -f and -s exclude each other\n");
		return VX0CTL_USAGE;
	}
	if (optind >= argc && !(argc == cmd && cmd < full_argc)) {
		help(stderr);
		return VX0CTL_USAGE;
	}
	if (sock == NULL) {
		if (vx0ctl_socket_path(prefix, "dpdk_telemetry.v2", path, sizeof(path)) < 0 ||
		    vx0ctl_socket_path(prefix, "vx0_mgmt.sock", mpath, sizeof(mpath)) < 0) {
			fprintf(stderr, "vx0ctl: bad file prefix \"%s\"\n", prefix);
			return VX0CTL_USAGE;
		}
		sock = path;
	} else {
		/* beside the telemetry socket given */
		const char *slash = strrchr(sock, '/');
		int dl = slash ? (int)(slash - sock) : 1;

		snprintf(mpath, sizeof(mpath), "%.*s/vx0_mgmt.sock", dl, slash ? sock : ".");
	}
	c.path = sock;
	c.mgmt_path = msock ? msock : mpath;
	if (argc == cmd && cmd < full_argc) {
		rc = vx0ctl_capture(&c, full_argc - cmd, argv + cmd);
		vx0ctl_close(&c);
		return rc;
	}
	argc -= optind;
	argv += optind;
	if (strcmp(argv[0], "show") == 0)
		rc = vx0ctl_show(&c, argc - 1, argv + 1);
	else if (strcmp(argv[0], "top") == 0 && argc == 1)
		rc = vx0ctl_top(&c);
	else if (strcmp(argv[0], "raw") == 0 && argc == 2)
		rc = vx0ctl_raw(&c, argv[1]);
	else if (strcmp(argv[0], "route") == 0 || strcmp(argv[0], "mgmt") == 0)
		rc = vx0ctl_mgmt(&c, argc, argv);
	else if ((rc = vx0ctl_ops(&c, argc, argv)) >= 0)
		;
	else {
		fprintf(stderr, "vx0ctl: unknown command \"%s\"; see vx0ctl --help\n", argv[0]);
		rc = VX0CTL_USAGE;
	}
	vx0ctl_close(&c);
	return rc;
}
