/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vx0-perf: transit forwarding speed of the real data plane on vdevs.
 *
 * A node is built from a config (as vx0d does), a 1,000,000-route IPv4 and
 * 200,000-route IPv6 FIB is loaded through the vx0_fib API, and one lcore
 * with the rx and tx roles runs the real loop (vx0_lcore_main: port RX ->
 * vx0_stage_rx -> FIB -> L2 rewrite -> port TX, directly since the lcore
 * owns the TX queue) on one mix at a time. Traffic: net_pcap replaying a generated capture
 * of valid UDP frames with infinite_rx=1 (the PMD copies each packet into a
 * fresh mbuf, as it does for testpmd or l3fwd given the same capture), TX
 * without tx_pcap (net_pcap drops what it is given). Each mix is measured in
 * windows after a warm-up; medians are printed.
 */
#include <dirent.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pthread.h>
#include <time.h>
#include <arpa/inet.h>
#include <sys/stat.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_log.h>

#include "perf_capture.h"
#include "perf_gen.h"
#include "vx0_conf.h"
#include "vx0_log.h"
#include "vx0_pipeline.h"

#define MAX_WINDOWS 64
#define N_GW 4

struct opts {
	uint32_t routes4, routes6, packets;
	double seconds, warmup;
	unsigned int windows;
	char mixes[64];
	char dir[256];
	bool gen_only, keep, churn, capture;
	uint32_t batch;
	uint64_t seed;
};

struct mix {
	const char *name;
	unsigned int pct_v6;
	uint8_t mac[6];
};

static const struct mix mixes[] = {
	{ "v4", 0, { 0x02, 0, 0, 0, 0, 0x01 } },
	{ "v6", 100, { 0x02, 0, 0, 0, 0, 0x02 } },
	{ "mix", 50, { 0x02, 0, 0, 0, 0, 0x03 } },
};
#define N_MIX (sizeof(mixes) / sizeof(mixes[0]))

struct snap {
	uint64_t tsc, cpu_ns; /* cpu_ns: CPU time the forwarding thread got */
	uint64_t rx_pkts, rx_cyc, tx_pkts, tx_cyc, tx_out;
	uint64_t drops[VX0_DROP_MAX];
};

static void
usage(FILE *f)
{
	fprintf(f,
"usage: vx0-perf [options] [-- EAL-ARGS...]\n"
"\n"
"Transit forwarding speed of the vx0 data plane on net_pcap vdevs (one\n"
"forwarding lcore with the rx and tx roles; the EAL main lcore is idle).\n"
"\n"
"  --routes4 N       IPv4 routes, lengths /8../32 (default 1000000)\n"
"  --routes6 N       IPv6 routes, lengths /20../48 (default 200000)\n"
"  --packets N       packets per capture, destinations spread over the routes (4096)\n"
"  --seconds S       measured time per mix (default 8)\n"
"  --warmup S        unmeasured time before (default 1)\n"
"  --windows N       measurement windows per mix; medians are printed (default 5)\n"
"  --mixes LIST      of v4,v6,mix (default all three)\n"
"  --dir DIR         where the captures go (default: a temporary folder, removed)\n"
"  --gen-only        write DIR/v4.pcap, v6.pcap, mix.pcap and the same routes as\n"
"                    l3fwd rule files DIR/l3fwd_v4.cfg, l3fwd_v6.cfg; exit (needs --dir)\n"
"  --seed N          route and traffic seed (default 1)\n"
"  --churn           forwarding during load and churn (IPv4 and IPv6 over the mix\n"
"                    capture; --mixes v4: IPv4 alone): traffic goes to a\n"
"                    stable 1%% of the routes, installed first; the main lcore\n"
"                    then loads the other 99%% and deletes and re-adds them in\n"
"                    batches while the forwarding lcore runs; prints Mpps per\n"
"                    phase and the packets that found no route (must be 0)\n"
"  --batch N         routes per load/churn batch (default 10000)\n"
"  --capture         each mix twice in the same run: without and with a capture at\n"
"                    every port's rx and tx (no filter, whole packets; the main lcore\n"
"                    drains the copies), and the copy's own cost measured apart\n"
"\n"
"Default EAL arguments: --no-huge -m 2048 --no-pci -l 0,1 --file-prefix vx0perf_PID\n"
"(that runtime folder is removed at exit)\n"
"Output: a table, then one 'RESULT mix=... mpps=...' line per mix.\n");
}

/* the EAL runtime folder holds only files */
static void
remove_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		char f[PATH_MAX + 256];

		if (e->d_name[0] == '.')
			continue;
		snprintf(f, sizeof(f), "%s/%s", path, e->d_name);
		unlink(f);
	}
	closedir(d);
	rmdir(path);
}

static void
log_sink(int level, const char *lib, const char *fmt, va_list ap)
{
	rte_log(level, RTE_LOGTYPE_USER1, "%s: ", lib);
	rte_vlog(level, RTE_LOGTYPE_USER1, fmt, ap);
	rte_log(level, RTE_LOGTYPE_USER1, "\n");
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t
ld(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/* The forwarding lcore's thread, for its CPU-time clock: on shared CPUs the
 * wall-clock rate counts the time other processes had the CPU, the
 * CPU-time rate (packets per second of CPU the loop actually got) does not. */
static pthread_t fwd_thread;
static volatile int fwd_thread_set;

static int
fwd_main(void *arg)
{
	fwd_thread = pthread_self();
	__atomic_store_n(&fwd_thread_set, 1, __ATOMIC_RELEASE);
	return vx0_lcore_main(arg);
}

static uint64_t
fwd_cpu_ns(void)
{
	struct timespec ts;
	clockid_t cid;

	if (!__atomic_load_n(&fwd_thread_set, __ATOMIC_ACQUIRE) ||
	    pthread_getcpuclockid(fwd_thread, &cid) != 0 || clock_gettime(cid, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void
take(const struct vx0_lcore_ctx *lc, struct snap *s)
{
	const struct vx0_lcore_stats *st = &lc->stats;

	s->tsc = rte_rdtsc();
	s->cpu_ns = fwd_cpu_ns();
	s->rx_pkts = ld(&st->stage[VX0_STAGE_RX].pkts);
	s->rx_cyc = ld(&st->stage[VX0_STAGE_RX].cycles);
	s->tx_pkts = ld(&st->stage[VX0_STAGE_TX].pkts);
	s->tx_cyc = ld(&st->stage[VX0_STAGE_TX].cycles);
	s->tx_out = ld(&st->stage[VX0_STAGE_TX].out);
	for (unsigned int i = 0; i < VX0_DROP_MAX; i++)
		s->drops[i] = ld(&st->drops[i]);
}

static int
cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_dbl);
	return n == 0 ? 0 : n & 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void
sleep_s(double s)
{
	if (s > 0)
		usleep((useconds_t)(s * 1e6));
}

/* A number option: all of s, in range, or a message naming the option
 * (strtoul alone turns "abc" into 0 and "10x" into 10). */
static int
num_opt(const char *name, const char *s, double min, double max, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(s, &end);
	if (s[0] == 0 || isspace((unsigned char)s[0]) || *end || errno || !(*v >= min && *v <= max)) {
		fprintf(stderr, "vx0-perf: --%s %s: a number from %.15g to %.15g\n", name, s, min, max);
		return -EINVAL;
	}
	return 0;
}

static int
int_opt(const char *name, const char *s, double min, double max, uint64_t *v)
{
	double d;

	if (num_opt(name, s, min, max, &d) < 0)
		return -EINVAL;
	if (d != (double)(uint64_t)d) {
		fprintf(stderr, "vx0-perf: --%s %s: a whole number\n", name, s);
		return -EINVAL;
	}
	*v = (uint64_t)d;
	return 0;
}

static int
parse_opts(int argc, char **argv, struct opts *o, int *dashdash)
{
	static const struct option lo[] = {
		{ "routes4", required_argument, NULL, '4' },
		{ "routes6", required_argument, NULL, '6' },
		{ "packets", required_argument, NULL, 'p' },
		{ "seconds", required_argument, NULL, 's' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "windows", required_argument, NULL, 'n' },
		{ "mixes", required_argument, NULL, 'm' },
		{ "dir", required_argument, NULL, 'd' },
		{ "gen-only", no_argument, NULL, 'g' },
		{ "seed", required_argument, NULL, 'S' },
		{ "churn", no_argument, NULL, 'c' },
		{ "batch", required_argument, NULL, 'b' },
		{ "capture", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	uint64_t u;

	*o = (struct opts){ .routes4 = 1000000, .routes6 = 200000, .packets = 4096,
			    .seconds = 8, .warmup = 1, .windows = 5, .seed = 1, .batch = 10000 };
	snprintf(o->mixes, sizeof(o->mixes), "v4,v6,mix");
	*dashdash = -1;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			*dashdash = i;
			break;
		}
	while ((c = getopt_long(*dashdash > 0 ? *dashdash : argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case '4':
			if (int_opt("routes4", optarg, 1, UINT32_MAX, &u) < 0)
				return -EINVAL;
			o->routes4 = (uint32_t)u;
			break;
		case '6':
			if (int_opt("routes6", optarg, 1, UINT32_MAX, &u) < 0)
				return -EINVAL;
			o->routes6 = (uint32_t)u;
			break;
		case 'p':
			if (int_opt("packets", optarg, 64, 1000000, &u) < 0)
				return -EINVAL;
			o->packets = (uint32_t)u;
			break;
		case 's':
			if (num_opt("seconds", optarg, 0.001, 86400, &o->seconds) < 0)
				return -EINVAL;
			break;
		case 'w':
			if (num_opt("warmup", optarg, 0, 86400, &o->warmup) < 0)
				return -EINVAL;
			break;
		case 'n':
			if (int_opt("windows", optarg, 1, MAX_WINDOWS, &u) < 0)
				return -EINVAL;
			o->windows = (unsigned int)u;
			break;
		case 'm': snprintf(o->mixes, sizeof(o->mixes), "%s", optarg); break;
		case 'd': snprintf(o->dir, sizeof(o->dir), "%s", optarg); o->keep = true; break;
		case 'g': o->gen_only = true; break;
		case 'S':
			if (int_opt("seed", optarg, 0, 9007199254740992.0, &u) < 0)
				return -EINVAL;
			o->seed = u;
			break;
		case 'c': o->churn = true; break;
		case 'b':
			if (int_opt("batch", optarg, 1, UINT32_MAX, &u) < 0)
				return -EINVAL;
			o->batch = (uint32_t)u;
			break;
		case 'C': o->capture = true; break;
		case 'h': usage(stdout); exit(0);
		default: return -EINVAL;
		}
	}
	/* every number was range-checked as it was read */
	if (o->gen_only && !o->dir[0]) {
		fprintf(stderr, "vx0-perf: --gen-only needs --dir\n");
		return -EINVAL;
	}
	return 0;
}

static int
write_pcaps(const struct opts *o, const struct perf_routes4 *r4,
	    const struct perf_routes6 *r6)
{
	for (unsigned int i = 0; i < N_MIX; i++) {
		char path[320];
		int rc;

		snprintf(path, sizeof(path), "%s/%s.pcap", o->dir, mixes[i].name);
		rc = perf_pcap_write(path, r4, r6, mixes[i].mac, o->packets, mixes[i].pct_v6,
				     o->seed * 1000 + i);
		if (rc < 0) {
			fprintf(stderr, "vx0-perf: %s: %s\n", path, strerror(-rc));
			return rc;
		}
	}
	return 0;
}

/* The same routes for DPDK's l3fwd (--rule_ipv4/--rule_ipv6 files: "R<prefix>
 * <port>"), all to port 0, so it can be measured with vx0-perf's FIB. */
static int
write_l3fwd_rules(const struct opts *o, const struct perf_routes4 *r4,
		  const struct perf_routes6 *r6)
{
	char path[320], a[INET6_ADDRSTRLEN];
	FILE *f;

	snprintf(path, sizeof(path), "%s/l3fwd_v4.cfg", o->dir);
	f = fopen(path, "w");
	if (f == NULL)
		return -errno;
	for (uint32_t i = 0; i < r4->n; i++) {
		uint32_t be = htonl(r4->pfx[i]);

		inet_ntop(AF_INET, &be, a, sizeof(a));
		fprintf(f, "R%s/%u 0\n", a, r4->len[i]);
	}
	if (fclose(f) != 0)
		return -EIO;
	snprintf(path, sizeof(path), "%s/l3fwd_v6.cfg", o->dir);
	f = fopen(path, "w");
	if (f == NULL)
		return -errno;
	for (uint32_t i = 0; i < r6->n; i++) {
		inet_ntop(AF_INET6, r6->pfx[i], a, sizeof(a));
		fprintf(f, "R%s/%u 0\n", a, r6->len[i]);
	}
	return fclose(f) != 0 ? -EIO : 0;
}

/* The node: one port per mix, each its own net_pcap replaying its capture;
 * IPv4 routes lead to gateways on port v4, IPv6 ones to gateways on port v6
 * (static neighbours, so every next hop is resolved). */
static char *
make_config(const struct opts *o, unsigned int main_lcore, unsigned int worker)
{
	size_t cap = 8192, n = 0;
	char *t = malloc(cap);
	uint32_t mbufs = 1023;

	if (t == NULL)
		return NULL;
	while (mbufs < o->packets * N_MIX + 16384)
		mbufs = mbufs * 2 + 1;
#define ADD(...) (n += (size_t)snprintf(t + n, cap - n, __VA_ARGS__))
	ADD("{ \"profile\": \"performance\",\n"
	    "  \"lcores\": [ { \"id\": %u, \"roles\": [\"ctl\"] },"
	    " { \"id\": %u, \"roles\": [\"rx\", \"tx\"] } ],\n"
	    "  \"exception_path\": { \"tap\": false },\n"
	    "  \"mbufs\": %u,\n"
	    "  \"fib\": { \"max_routes4\": %u, \"max_routes6\": %u, \"max_next_hops\": 4096 },\n"
	    "  \"ports\": [\n", main_lcore, worker, mbufs, o->routes4 + 1024, o->routes6 + 1024);
	ADD("    { \"name\": \"v4\", \"device\": \"net_pcap0,rx_pcap=%s/v4.pcap,infinite_rx=1\","
	    " \"mac\": \"02:00:00:00:00:01\", \"addresses\": [\"198.51.100.1/24\", \"2001:db8:a::1/64\"] },\n", o->dir);
	ADD("    { \"name\": \"v6\", \"device\": \"net_pcap1,rx_pcap=%s/v6.pcap,infinite_rx=1\","
	    " \"mac\": \"02:00:00:00:00:02\", \"addresses\": [\"203.0.113.1/26\", \"2001:db8:b::1/64\"] },\n", o->dir);
	ADD("    { \"name\": \"mix\", \"device\": \"net_pcap2,rx_pcap=%s/mix.pcap,infinite_rx=1\","
	    " \"mac\": \"02:00:00:00:00:03\", \"addresses\": [\"203.0.113.65/26\", \"2001:db8:c::1/64\"] }\n  ],\n", o->dir);
	/* one config route per gateway creates its next hop; the 1M come later */
	ADD("  \"routes\": [\n");
	for (unsigned int g = 0; g < N_GW; g++)
		ADD("    { \"prefix\": \"203.0.113.%u/30\", \"via\": \"198.51.100.%u\" },\n"
		    "    { \"prefix\": \"2001:db8:1%02u::/48\", \"via\": \"2001:db8:b::%u\" },\n",
		    128 + 4 * g, 2 + g, g, 2 + g);
	n -= 2; /* the last ",\n" */
	ADD("\n  ],\n  \"neighbours\": [\n");
	for (unsigned int g = 0; g < N_GW; g++)
		ADD("    { \"port\": \"v4\", \"address\": \"198.51.100.%u\", \"mac\": \"02:00:00:00:01:%02u\" },\n"
		    "    { \"port\": \"v6\", \"address\": \"2001:db8:b::%u\", \"mac\": \"02:00:00:00:02:%02u\" }%s\n",
		    2 + g, 2 + g, 2 + g, 2 + g, g + 1 < N_GW ? "," : "");
	ADD("  ]\n}\n");
#undef ADD
	if (n >= cap) {
		free(t);
		return NULL;
	}
	return t;
}

static int
gateway_nhs(struct vx0_node *node, int family, uint16_t port, uint32_t nh[N_GW])
{
	for (unsigned int g = 0; g < N_GW; g++) {
		uint8_t a[16] = { 0 };
		int id;

		if (family == AF_INET)
			memcpy(a, (const uint8_t[]){ 198, 51, 100, (uint8_t)(2 + g) }, 4);
		else
			inet_pton(AF_INET6, "2001:db8:b::", a), a[15] = (uint8_t)(2 + g);
		id = vx0_fib_nh_find(node->fib, port, family, a);
		if (id < 0)
			return id;
		if (!(vx0_fib_nh_l2(vx0_fib_nh(node->fib, (uint32_t)id)) & VX0_NH_L2_VALID))
			return -EHOSTUNREACH;
		nh[g] = (uint32_t)id;
	}
	return 0;
}

static int
load_routes(struct vx0_node *node, const struct perf_routes4 *r4,
	    const struct perf_routes6 *r6)
{
	uint32_t nh4[N_GW], nh6[N_GW];
	double t0 = now_s(), t1;
	int rc;

	if ((rc = gateway_nhs(node, AF_INET, 0, nh4)) < 0 ||
	    (rc = gateway_nhs(node, AF_INET6, 1, nh6)) < 0) {
		fprintf(stderr, "vx0-perf: gateway next hops: %s\n", strerror(-rc));
		return rc;
	}
	for (uint32_t i = 0; i < r4->n; i++) {
		uint32_t be = htonl(r4->pfx[i]);

		rc = vx0_fib_route_add(node->fib, AF_INET, &be, r4->len[i], nh4[i % N_GW]);
		if (rc < 0) {
			fprintf(stderr, "vx0-perf: IPv4 route %u (/%u): %s\n", i, r4->len[i],
				strerror(-rc));
			return rc;
		}
	}
	t1 = now_s();
	for (uint32_t i = 0; i < r6->n; i++) {
		rc = vx0_fib_route_add(node->fib, AF_INET6, r6->pfx[i], r6->len[i], nh6[i % N_GW]);
		if (rc < 0) {
			fprintf(stderr, "vx0-perf: IPv6 route %u (/%u): %s\n", i, r6->len[i],
				strerror(-rc));
			return rc;
		}
	}
	printf("fib: %u IPv4 routes (loaded in %.1f s), %u IPv6 routes (%.1f s)\n",
	       vx0_fib_count(node->fib, AF_INET), t1 - t0, vx0_fib_count(node->fib, AF_INET6),
	       now_s() - t1);
	return 0;
}

struct result {
	double mpps, rx_cyc, tx_cyc, lcore_cyc;
	double cpu_mpps, cpu_cyc, cpu_share; /* per second of CPU the lcore got */
	double best_mpps, best_rx_cyc; /* the least disturbed window (shared CPUs) */
	uint64_t drops[VX0_DROP_MAX];
	uint64_t pkts;
};

static int
run_mix(struct vx0_node *node, struct vx0_lcore_ctx *lc, uint16_t port,
	const struct opts *o, struct result *res)
{
	double mpps[MAX_WINDOWS], rxc[MAX_WINDOWS], txc[MAX_WINDOWS], lcc[MAX_WINDOWS];
	double cmpps[MAX_WINDOWS], ccyc[MAX_WINDOWS], cshare[MAX_WINDOWS];
	struct snap a, b, first;
	int rc;

	lc->n_rxq = 1;
	lc->rxq[0] = (struct vx0_rxq_ref){ .port = port, .queue = 0 };
	__atomic_store_n(&node->run_state, VX0_RUNNING, __ATOMIC_RELEASE);
	rc = rte_eal_remote_launch(fwd_main, lc, lc->lcore_id);
	if (rc < 0)
		return rc;
	if (o->capture) /* the main lcore drains in both runs: the same load */
		perf_capture_drain(node, o->warmup);
	else
		sleep_s(o->warmup);
	take(lc, &a);
	first = a;
	for (unsigned int w = 0; w < o->windows; w++) {
		double dt;
		uint64_t dp;

		if (o->capture)
			perf_capture_drain(node, o->seconds / o->windows);
		else
			sleep_s(o->seconds / o->windows);
		take(lc, &b);
		dt = (double)(b.tsc - a.tsc) / (double)node->tsc_hz;
		dp = b.rx_pkts - a.rx_pkts;
		mpps[w] = (double)dp / dt / 1e6;
		rxc[w] = dp ? (double)(b.rx_cyc - a.rx_cyc) / (double)dp : 0;
		txc[w] = b.tx_pkts > a.tx_pkts ?
			 (double)(b.tx_cyc - a.tx_cyc) / (double)(b.tx_pkts - a.tx_pkts) : 0;
		lcc[w] = dp ? (double)(b.tsc - a.tsc) / (double)dp : 0;
		cmpps[w] = b.cpu_ns > a.cpu_ns ? (double)dp * 1e3 / (double)(b.cpu_ns - a.cpu_ns) : 0;
		ccyc[w] = dp ? (double)(b.cpu_ns - a.cpu_ns) * 1e-9 * (double)node->tsc_hz /
			       (double)dp : 0;
		cshare[w] = (double)(b.cpu_ns - a.cpu_ns) * 1e-9 / dt;
		a = b;
	}
	__atomic_store_n(&node->run_state, VX0_EXIT, __ATOMIC_RELEASE);
	rte_eal_wait_lcore(lc->lcore_id);
	if (o->capture)
		perf_capture_drain(node, 0); /* what the last bursts copied */
	res->pkts = b.rx_pkts - first.rx_pkts;
	for (unsigned int i = 0; i < VX0_DROP_MAX; i++)
		res->drops[i] = b.drops[i] - first.drops[i];
	res->mpps = median(mpps, o->windows);
	res->rx_cyc = median(rxc, o->windows);
	res->best_mpps = mpps[o->windows - 1]; /* sorted by median() */
	res->best_rx_cyc = rxc[0];
	res->tx_cyc = median(txc, o->windows);
	res->lcore_cyc = median(lcc, o->windows);
	res->cpu_mpps = median(cmpps, o->windows);
	res->cpu_cyc = median(ccyc, o->windows);
	res->cpu_share = median(cshare, o->windows);
	return 0;
}

static void
print_result(const char *mix, const char *cap, const struct result *res, uint64_t cap_ring_full,
	     uint64_t cap_no_mbuf)
{
	uint64_t other = 0;
	char dbuf[512] = "", name[32];
	size_t dn = 0;

	for (unsigned int i = 1; i < VX0_DROP_MAX; i++) {
		if (res->drops[i] == 0)
			continue;
		if (i != VX0_DROP_TX_FULL)
			other += res->drops[i];
		if (dn < sizeof(dbuf))
			dn += (size_t)snprintf(dbuf + dn, sizeof(dbuf) - dn, "%s%s=%llu",
					       dn ? " " : "", vx0_drop_name(i),
					       (unsigned long long)res->drops[i]);
	}
	if (cap && (cap_ring_full || cap_no_mbuf) && dn < sizeof(dbuf))
		dn += (size_t)snprintf(dbuf + dn, sizeof(dbuf) - dn, "%scapture: ring_full=%llu "
				       "no_mbuf=%llu", dn ? " " : "",
				       (unsigned long long)cap_ring_full,
				       (unsigned long long)cap_no_mbuf);
	snprintf(name, sizeof(name), "%s%s%s", mix, cap ? "/cap-" : "", cap ? cap : "");
	printf("%-12s %9.3f %9.3f %10.1f %10.1f %12.1f %11.1f %5.0f %12llu  %s\n", name,
	       res->mpps, res->cpu_mpps, res->rx_cyc, res->tx_cyc, res->lcore_cyc, res->cpu_cyc,
	       res->cpu_share * 100, (unsigned long long)res->pkts, dn ? dbuf : "none");
	printf("RESULT mix=%s mpps=%.3f rx_cyc=%.1f tx_cyc=%.1f lcore_cyc=%.1f best_mpps=%.3f"
	       " best_rx_cyc=%.1f cpu_mpps=%.3f cpu_cyc=%.1f cpu_share=%.2f pkts=%llu drops=%llu"
	       " tx_full=%llu", mix, res->mpps, res->rx_cyc, res->tx_cyc, res->lcore_cyc,
	       res->best_mpps, res->best_rx_cyc, res->cpu_mpps, res->cpu_cyc, res->cpu_share,
	       (unsigned long long)res->pkts, (unsigned long long)other,
	       (unsigned long long)res->drops[VX0_DROP_TX_FULL]);
	if (cap)
		printf(" capture=%s cap_ring_full=%llu cap_no_mbuf=%llu", cap,
		       (unsigned long long)cap_ring_full, (unsigned long long)cap_no_mbuf);
	printf("\n");
}

/* --capture: the pool, ring and taps; the copy's own cost, apart */
static int
capture_begin(struct vx0_node *node)
{
	static const uint32_t sizes[] = { 60, 78 };

	if (perf_capture_setup(node) < 0) {
		fprintf(stderr, "vx0-perf: no memory for the capture pool and ring\n");
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < RTE_DIM(sizes); i++) {
		double copy_free, via_ring;

		if (perf_copy_cost(node, sizes[i], 20000, &copy_free, &via_ring) < 0) {
			fprintf(stderr, "vx0-perf: no mbuf for the copy loop\n");
			return -ENOMEM;
		}
		printf("COPY len=%u copy_free_cyc=%.1f tap_ring_cyc=%.1f (rte_pktmbuf_copy + free; "
		       "the tap's copy + enqueue, dequeue + free; per packet)\n", sizes[i],
		       copy_free, via_ring);
	}
	return 0;
}

/* --- forwarding during load and churn --- */

#define STABLE_EVERY 100 /* route i with i % 100 == 0 is stable */

/* Every STABLE_EVERY-th element of an array of n elements of size sz. */
static void *
every_nth(const void *all, uint32_t n, size_t sz)
{
	uint8_t *out = calloc(n / STABLE_EVERY + 1, sz);

	for (uint32_t i = 0, k = 0; out != NULL && i < n; i += STABLE_EVERY)
		memcpy(out + (size_t)k++ * sz, (const uint8_t *)all + (size_t)i * sz, sz);
	return out;
}

static int
stable_subset(const struct perf_routes4 *r4, struct perf_routes4 *s4,
	      const struct perf_routes6 *r6, struct perf_routes6 *s6)
{
	s4->n = (r4->n + STABLE_EVERY - 1) / STABLE_EVERY;
	s4->pfx = every_nth(r4->pfx, r4->n, sizeof(*r4->pfx));
	s4->len = every_nth(r4->len, r4->n, sizeof(*r4->len));
	s6->n = (r6->n + STABLE_EVERY - 1) / STABLE_EVERY;
	s6->pfx = every_nth(r6->pfx, r6->n, sizeof(*r6->pfx));
	s6->len = every_nth(r6->len, r6->n, sizeof(*r6->len));
	return s4->pfx && s4->len && s6->pfx && s6->len ? 0 : -ENOMEM;
}

struct phase {
	const char *name;
	double secs, mpps, cpu_mpps;
	uint64_t route_ops, no_route;
};

static void
phase_end(struct phase *ph, const struct snap *a, const struct snap *b, uint64_t hz)
{
	ph->secs = (double)(b->tsc - a->tsc) / (double)hz;
	ph->mpps = (double)(b->rx_pkts - a->rx_pkts) / ph->secs / 1e6;
	ph->cpu_mpps = b->cpu_ns > a->cpu_ns ? (double)(b->rx_pkts - a->rx_pkts) * 1e3 /
						(double)(b->cpu_ns - a->cpu_ns) : 0;
	ph->no_route = b->drops[VX0_DROP_NO_ROUTE] - a->drops[VX0_DROP_NO_ROUTE];
}

/* Add (or delete) the non-stable routes [from, to); the next hop rotates
 * with round, so a re-add after a delete lands on another gateway. */
static int
churn_range6(struct vx0_node *node, const struct perf_routes6 *r6, const uint32_t nh6[N_GW],
	     uint32_t from, uint32_t to, bool del, unsigned int round, uint64_t *ops)
{
	int rc;

	for (uint32_t i = from; i < to && i < r6->n; i++) {
		if (i % STABLE_EVERY == 0)
			continue;
		rc = del ? vx0_fib_route_del(node->fib, AF_INET6, r6->pfx[i], r6->len[i])
			 : vx0_fib_route_add(node->fib, AF_INET6, r6->pfx[i], r6->len[i],
					     nh6[(i + round) % N_GW]);
		if (rc < 0) {
			fprintf(stderr, "vx0-perf: churn %s IPv6 route %u: %s\n", del ? "del" : "add",
				i, strerror(-rc));
			return rc;
		}
		(*ops)++;
	}
	return 0;
}

static int
churn_range(struct vx0_node *node, const struct perf_routes4 *r4, const uint32_t nh4[N_GW],
	    uint32_t from, uint32_t to, bool del, unsigned int round, uint64_t *ops)
{
	for (uint32_t i = from; i < to; i++) {
		uint32_t be = htonl(r4->pfx[i]);
		int rc;

		if (i % STABLE_EVERY == 0)
			continue;
		rc = del ? vx0_fib_route_del(node->fib, AF_INET, &be, r4->len[i])
			 : vx0_fib_route_add(node->fib, AF_INET, &be, r4->len[i],
					     nh4[(i + round) % N_GW]);
		if (rc < 0) {
			fprintf(stderr, "vx0-perf: churn %s route %u: %s\n", del ? "del" : "add", i,
				strerror(-rc));
			return rc;
		}
		(*ops)++;
	}
	return 0;
}

static int
run_churn(struct vx0_node *node, struct vx0_lcore_ctx *lc, const struct opts *o,
	  const struct perf_routes4 *r4, const struct perf_routes6 *r6)
{
	struct phase ph[4] = { { .name = "stable-only" }, { .name = "loading" },
			       { .name = "full-quiet" }, { .name = "churn" } };
	uint32_t nh4[N_GW], nh6[N_GW];
	struct snap a, b, first;
	static const struct perf_routes6 no_v6;
	unsigned int round = 0;
	uint64_t other = 0;
	double t_end;
	int rc;

	if ((rc = gateway_nhs(node, AF_INET, 0, nh4)) < 0 ||
	    (rc = gateway_nhs(node, AF_INET6, 1, nh6)) < 0)
		return rc;
	if (!strstr(o->mixes, "mix"))
		r6 = &no_v6; /* --mixes v4: IPv4 traffic and churn alone */
	lc->n_rxq = 1;
	/* with IPv6 routes: the mix port (half IPv6), else the IPv4 one */
	lc->rxq[0] = (struct vx0_rxq_ref){ .port = r6->n ? 2 : 0, .queue = 0 };
	__atomic_store_n(&node->run_state, VX0_RUNNING, __ATOMIC_RELEASE);
	rc = rte_eal_remote_launch(fwd_main, lc, lc->lcore_id);
	if (rc < 0)
		return rc;
	sleep_s(o->warmup);
	take(lc, &a);
	first = a;
	sleep_s(o->seconds);
	take(lc, &b);
	phase_end(&ph[0], &a, &b, node->tsc_hz);
	/* load the other 99 % in batches while forwarding */
	a = b;
	for (uint32_t i = 0; i < RTE_MAX(r4->n, r6->n) && rc == 0; i += o->batch) {
		rc = churn_range(node, r4, nh4, i, RTE_MIN(r4->n, i + o->batch), false, 0,
				 &ph[1].route_ops);
		if (rc == 0 && i < r6->n)
			rc = churn_range6(node, r6, nh6, i, i + o->batch, false, 0,
					  &ph[1].route_ops);
	}
	take(lc, &b);
	phase_end(&ph[1], &a, &b, node->tsc_hz);
	if (rc == 0) {
		a = b;
		sleep_s(o->seconds);
		take(lc, &b);
		phase_end(&ph[2], &a, &b, node->tsc_hz);
		/* churn: delete a batch, re-add it on other gateways, next batch */
		a = b;
		t_end = now_s() + o->seconds;
		for (uint32_t i = 0; now_s() < t_end && rc == 0; i += o->batch) {
			uint32_t to;

			if (i >= RTE_MAX(r4->n, r6->n)) {
				i = 0;
				round++;
			}
			to = RTE_MIN(r4->n, i + o->batch);
			rc = churn_range(node, r4, nh4, i, to, true, round, &ph[3].route_ops);
			if (rc == 0)
				rc = churn_range(node, r4, nh4, i, to, false, round + 1,
						 &ph[3].route_ops);
			if (rc == 0 && i < r6->n)
				rc = churn_range6(node, r6, nh6, i, i + o->batch, true, round,
						  &ph[3].route_ops);
			if (rc == 0 && i < r6->n)
				rc = churn_range6(node, r6, nh6, i, i + o->batch, false, round + 1,
						  &ph[3].route_ops);
		}
		take(lc, &b);
		phase_end(&ph[3], &a, &b, node->tsc_hz);
	}
	__atomic_store_n(&node->run_state, VX0_EXIT, __ATOMIC_RELEASE);
	rte_eal_wait_lcore(lc->lcore_id);
	if (rc < 0)
		return rc;
	for (unsigned int i = 1; i < VX0_DROP_MAX; i++)
		if (i != VX0_DROP_TX_FULL)
			other += b.drops[i] - first.drops[i];
	printf("\nforwarding during load and churn: traffic to %u stable routes (every %uth),"
	       " %u others loaded/churned in batches of %u; %u IPv4 routes at the end\n",
	       (r4->n + STABLE_EVERY - 1) / STABLE_EVERY, STABLE_EVERY,
	       r4->n - (r4->n + STABLE_EVERY - 1) / STABLE_EVERY, o->batch,
	       vx0_fib_count(node->fib, AF_INET));
	if (r6->n)
		printf("IPv6 too (traffic: the mix capture, half IPv6): %u stable, %u others "
		       "loaded/churned (a commit per batch); %u IPv6 routes at the end\n",
		       (r6->n + STABLE_EVERY - 1) / STABLE_EVERY,
		       r6->n - (r6->n + STABLE_EVERY - 1) / STABLE_EVERY,
		       vx0_fib_count(node->fib, AF_INET6));
	printf("%-12s %8s %9s %9s %12s %12s %10s\n", "phase", "secs", "Mpps", "cpu Mpps",
	       "route ops", "ops/s", "no-route");
	for (unsigned int p = 0; p < 4; p++) {
		printf("%-12s %8.2f %9.3f %9.3f %12llu %12.0f %10llu\n", ph[p].name, ph[p].secs,
		       ph[p].mpps, ph[p].cpu_mpps, (unsigned long long)ph[p].route_ops,
		       ph[p].secs > 0 ? (double)ph[p].route_ops / ph[p].secs : 0,
		       (unsigned long long)ph[p].no_route);
		printf("RESULT churn_phase=%s secs=%.3f mpps=%.3f cpu_mpps=%.3f route_ops=%llu"
		       " no_route=%llu\n", ph[p].name, ph[p].secs, ph[p].mpps, ph[p].cpu_mpps,
		       (unsigned long long)ph[p].route_ops,
		       (unsigned long long)ph[p].no_route);
	}
	printf("RESULT churn no_route=%llu other_drops=%llu\n",
	       (unsigned long long)(b.drops[VX0_DROP_NO_ROUTE] - first.drops[VX0_DROP_NO_ROUTE]),
	       (unsigned long long)other);
	fflush(stdout);
	return b.drops[VX0_DROP_NO_ROUTE] != first.drops[VX0_DROP_NO_ROUTE] ? -EPROTO : 0;
}

int
main(int argc, char **argv)
{
	struct opts o;
	struct perf_routes4 r4 = { 0 }, r4s = { 0 };
	struct perf_routes6 r6 = { 0 }, r6s = { 0 };
	char err[512], prefix[64], rundir[PATH_MAX] = "", *eal[96], *text = NULL;
	int eargc = 0, dashdash, rc;
	struct vx0_conf conf;
	struct vx0_node node;
	struct vx0_lcore_ctx *lc = NULL;
	unsigned int main_lcore, worker;
	bool made_dir = false, node_up = false;
	double t0;

	if (parse_opts(argc, argv, &o, &dashdash) < 0) {
		usage(stderr);
		return 2;
	}
	if (!o.dir[0]) {
		snprintf(o.dir, sizeof(o.dir), "/tmp/vx0perf.XXXXXX");
		if (mkdtemp(o.dir) == NULL) {
			perror("vx0-perf: mkdtemp");
			return 1;
		}
		made_dir = true;
	} else {
		mkdir(o.dir, 0755);
	}
	t0 = now_s();
	if (perf_gen_routes4(&r4, o.routes4, o.seed) < 0 ||
	    perf_gen_routes6(&r6, o.routes6, o.seed + 1) < 0) {
		fprintf(stderr, "vx0-perf: cannot generate the routes\n");
		rc = 1;
		goto out;
	}
	if (o.churn && stable_subset(&r4, &r4s, &r6, &r6s) < 0) {
		rc = 1;
		goto out;
	}
	if (write_pcaps(&o, o.churn ? &r4s : &r4, o.churn ? &r6s : &r6) < 0) {
		rc = 1;
		goto out;
	}
	printf("traffic: %u-packet captures in %s (v4: 60-byte IPv4/UDP, v6: 78-byte IPv6/UDP,"
	       " mix: half each), destinations spread over the routes; generated in %.1f s\n",
	       o.packets, o.dir, now_s() - t0);
	if (o.gen_only) {
		rc = write_l3fwd_rules(&o, o.churn ? &r4s : &r4, o.churn ? &r6s : &r6) < 0 ? 1 : 0;
		if (rc)
			fprintf(stderr, "vx0-perf: cannot write the l3fwd rule files in %s\n", o.dir);
		goto out;
	}

	eal[eargc++] = argv[0];
	if (dashdash > 0) {
		for (int i = dashdash + 1; i < argc && eargc < 90; i++)
			eal[eargc++] = argv[i];
	} else {
		snprintf(prefix, sizeof(prefix), "--file-prefix=vx0perf_%d", (int)getpid());
		const char *def[] = { "--no-huge", "-m", "2048", "--no-pci", "-l", "0,1",
				      "--log-level=pmd.net.pcap:warning", prefix };
		for (unsigned int i = 0; i < sizeof(def) / sizeof(def[0]); i++)
			eal[eargc++] = (char *)(uintptr_t)def[i];
	}
	eal[eargc] = NULL;
	if (rte_eal_init(eargc, eal) < 0) {
		fprintf(stderr, "vx0-perf: EAL init failed: %s\n", rte_strerror(rte_errno));
		rc = 1;
		goto out;
	}
	vx0_log_set_sink(log_sink);
	if (dashdash < 0) /* our own prefix: leave nothing behind */
		snprintf(rundir, sizeof(rundir), "%s", rte_eal_get_runtime_dir());
	main_lcore = rte_get_main_lcore();
	worker = rte_get_next_lcore(main_lcore, 1, 0);
	if (worker >= RTE_MAX_LCORE) {
		fprintf(stderr, "vx0-perf: needs two lcores (the main one stays idle)\n");
		rc = 1;
		goto eal_out;
	}
	text = make_config(&o, main_lcore, worker);
	if (text == NULL || vx0_conf_load_string(text, strlen(text), "vx0-perf", &conf, err,
						 sizeof(err)) < 0) {
		fprintf(stderr, "vx0-perf: config: %s\n", text ? err : "too long");
		rc = 1;
		goto eal_out;
	}
	err[0] = 0;
	rc = vx0_node_create(&node, &conf, err, sizeof(err));
	if (rc == 0)
		rc = vx0_node_install_routes(&node, err, sizeof(err));
	if (rc == 0)
		rc = load_routes(&node, o.churn ? &r4s : &r4, o.churn ? &r6s : &r6) < 0 ? -EINVAL : 0;
	if (rc == 0)
		rc = vx0_node_start_ports(&node, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "vx0-perf: %s\n", err[0] ? err : strerror(-rc));
		vx0_node_stop_ports(&node); /* as vx0d does after a failed bring-up */
		vx0_node_destroy(&node);
		vx0_conf_free(&conf);
		rc = 1;
		goto eal_out;
	}
	node_up = true;
	perf_routes_free(&r4s, &r6s);
	if (!o.churn)
		perf_routes_free(&r4, &r6);
	lc = node.lc[worker];
	if (o.churn) {
		rc = run_churn(&node, lc, &o, &r4, &r6);
		if (rc < 0)
			fprintf(stderr, "vx0-perf: churn: %s\n", strerror(-rc));
		rc = rc < 0 ? 1 : 0;
		goto node_out;
	}
	printf("forwarding: lcore %u (cpu set by EAL), roles rx+tx, the real vx0_lcore_main loop;"
	       " source net_pcap infinite_rx, sink net_pcap without tx_pcap (drops)\n", worker);
	printf("\n(Mpps: wall clock; cpu Mpps and cpu cyc/p: per second of CPU time the"
	       " forwarding thread got, i.e. without the time other processes held its CPU)\n");
	printf("%-12s %9s %9s %10s %10s %12s %11s %5s %12s  %s\n", "mix", "Mpps", "cpu Mpps",
	       "rx cyc/p", "tx cyc/p", "lcore cyc/p", "cpu cyc/p", "cpu%", "packets",
	       "drops (besides tx_full)");
	fflush(stdout); /* progress is visible through a pipe */
	if (o.capture && capture_begin(&node) < 0) {
		rc = 1;
		goto node_out;
	}
	for (unsigned int m = 0; m < N_MIX; m++) {
		struct result res[2];

		if (!strstr(o.mixes, mixes[m].name)) /* no name is part of another */
			continue;
		/* with --capture: off, then on, in the same run */
		for (unsigned int pass = 0; pass < (o.capture ? 2u : 1u); pass++) {
			uint64_t rf0 = 0, nm0 = 0, rf1 = 0, nm1 = 0;

			if (o.capture) {
				perf_capture_stats(&node, &rf0, &nm0);
				perf_capture_set(&node, pass == 1);
			}
			rc = run_mix(&node, lc, (uint16_t)m, &o, &res[pass]);
			if (o.capture) {
				perf_capture_set(&node, false);
				perf_capture_drain(&node, 0);
				perf_capture_stats(&node, &rf1, &nm1);
			}
			if (rc < 0) {
				fprintf(stderr, "vx0-perf: cannot launch lcore %u\n", worker);
				rc = 1;
				goto node_out;
			}
			print_result(mixes[m].name, !o.capture ? NULL : pass ? "on" : "off",
				     &res[pass], rf1 - rf0, nm1 - nm0);
		}
		if (o.capture)
			printf("CAPTURE mix=%s mpps_off=%.3f mpps_on=%.3f slowdown=%.1f%% "
			       "lcore_cyc_delta=%.1f (two copies per packet: rx and tx)\n",
			       mixes[m].name, res[0].mpps, res[1].mpps,
			       100.0 * (1.0 - res[1].mpps / res[0].mpps),
			       res[1].lcore_cyc - res[0].lcore_cyc);
		fflush(stdout);
	}
	rc = 0;
node_out:
	if (node_up) {
		vx0_ctl_drain(&node);
		vx0_node_stop_ports(&node);
		vx0_ctl_destroy(&node);
		if (rc == 0 && vx0_node_mbufs_in_use(&node) != 0) {
			fprintf(stderr, "vx0-perf: %u mbufs not returned\n",
				vx0_node_mbufs_in_use(&node));
			rc = 1;
		}
		vx0_node_destroy(&node);
		vx0_conf_free(&conf);
	}
eal_out:
	free(text);
	rte_eal_cleanup();
	if (rundir[0])
		remove_dir(rundir);
out:
	perf_routes_free(&r4, &r6);
	perf_routes_free(&r4s, &r6s);
	if (made_dir) {
		for (unsigned int i = 0; i < N_MIX; i++) {
			char path[320];

			snprintf(path, sizeof(path), "%s/%s.pcap", o.dir, mixes[i].name);
			unlink(path);
		}
		rmdir(o.dir);
	}
	return rc;
}
