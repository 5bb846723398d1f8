/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vx0d: the vx0 appliance. Loads and validates the JSON config, starts EAL,
 * brings up ports, rings and lcores, runs the slow path on the main lcore
 * until SIGINT/SIGTERM (or, for capture replay, until input is exhausted),
 * then stops RX, drains every ring, frees every mbuf and exits 0.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_log.h>

#include <numa.h>
#include <sodium.h>

#include "vx0_conf.h"
#include "vx0_crypto.h"
#include "vx0_crypto_cryptodev.h"
#include "vx0_crypto_sodium.h"
#include "vx0_log.h"
#include "vx0_pipeline.h"

#define VX0D_VERSION "0.1.0"

static volatile int stop_requested; /* set by the signal handler only */

static void
on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void
usage(FILE *f)
{
	fprintf(f,
"usage: vx0d -c CONFIG [options] [-- EAL-ARGS...]\n"
"\n"
"The vx0 packet appliance. EAL arguments come from the command line after\n"
"'--' if given, else from the config's \"eal\" array.\n"
"\n"
"  -c, --config FILE      node configuration (JSON)\n"
"      --check            validate the configuration and exit (0 valid, 2 not)\n"
"      --stats-json FILE  write the final counters as JSON at exit\n"
"  -q, --quiet            no summary table at exit\n"
"  -h, --help             this text\n"
"  -V, --version          print the version\n"
"\n"
"Signals: SIGINT/SIGTERM stop RX, drain the rings and exit 0.\n"
"Telemetry: /vx0/stats /vx0/drops /vx0/punt /vx0/ports /vx0/lcores\n"
"           /vx0/fib[,ADDRESS] /vx0/neigh on the DPDK telemetry socket.\n");
}

static void
print_summary(struct vx0_node *node, FILE *f)
{
	struct vx0_lcore_stats s;
	double secs;

	vx0_node_stats_sum(node, &s);
	secs = (double)((node->stop_tsc ? node->stop_tsc : rte_rdtsc()) - node->start_tsc) /
	       (double)node->tsc_hz;
	fprintf(f, "\n%-10s %12s %12s %12s %10s\n", "stage", "packets", "out", "bytes", "cyc/pkt");
	for (unsigned int i = 0; i < VX0_STAGE_MAX; i++)
		fprintf(f, "%-10s %12llu %12llu %12llu %10llu\n", vx0_stage_name(i),
			(unsigned long long)s.stage[i].pkts, (unsigned long long)s.stage[i].out,
			(unsigned long long)s.stage[i].bytes,
			(unsigned long long)(s.stage[i].pkts ? s.stage[i].cycles / s.stage[i].pkts : 0));
	fprintf(f, "\n%-10s %12s %12s %12s\n", "port", "rx", "tx", "tx_dropped");
	for (unsigned int i = 0; i < node->n_ports; i++)
		fprintf(f, "%-10s %12llu %12llu %12llu\n", node->ports[i].name,
			(unsigned long long)s.port_rx[i], (unsigned long long)s.port_tx[i],
			(unsigned long long)s.port_tx_drop[i]);
	fprintf(f, "\n%-24s %12s\n", "drop reason", "packets");
	for (unsigned int i = 1; i < VX0_DROP_MAX; i++)
		if (s.drops[i])
			fprintf(f, "%-24s %12llu\n", vx0_drop_name(i), (unsigned long long)s.drops[i]);
	fprintf(f, "\n%-24s %12s\n", "exception path", "packets");
	for (unsigned int i = 0; i < VX0_PUNT_MAX; i++)
		fprintf(f, "%-24s %12llu\n", vx0_punt_class_name(i), (unsigned long long)s.punt[i]);
	fprintf(f, "%-24s %12llu\n", "icmp errors sent", (unsigned long long)s.icmp_sent);
	fprintf(f, "\nrx %.3f Mpps over %.6f s of input (run %.3f s); mbufs in use at exit: %u of %u\n",
		vx0_node_rx_seconds(node) > 0 ?
		(double)s.stage[VX0_STAGE_RX].pkts / vx0_node_rx_seconds(node) / 1e6 : 0.0,
		vx0_node_rx_seconds(node), secs,
		vx0_node_mbufs_in_use(node), node->pool_size);
}

static bool
has_arg(int argc, char **argv, const char *a)
{
	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], a) == 0 || strncmp(argv[i], a, strlen(a)) == 0)
			return true;
	return false;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'k' },
		{ "stats-json", required_argument, NULL, 's' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *stats_json = NULL;
	bool check = false, quiet = false;
	char err[512], mainarg[16], *eal[VX0_CONF_MAX_EAL_ARGS + 8];
	int eargc = 0, c, rc, dashdash = -1;
	struct vx0_conf conf;
	struct vx0_node node;
	struct vx0_crypto_registry crypto_reg;
	struct sigaction sa;
	unsigned int ctl_id = 0;

	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			dashdash = i;
			break;
		}
	while ((c = getopt_long(dashdash > 0 ? dashdash : argc, argv, "c:qhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'k': check = true; break;
		case 's': stats_json = optarg; break;
		case 'q': quiet = true; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("vx0d %s\n", VX0D_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (config == NULL) {
		usage(stderr);
		return 2;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "vx0d: libsodium cannot initialise\n");
		return 1;
	}
	rc = vx0_conf_load_file(config, &conf, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "vx0d: %s\n", err);
		return 2;
	}
	if (check) {
		printf("%s: valid (%u ports, %u lcores, %u routes)\n", config, conf.n_ports,
		       conf.n_lcores, conf.n_routes);
		vx0_conf_free(&conf);
		return 0;
	}
	if (stats_json == NULL && conf.stats_json[0])
		stats_json = conf.stats_json;

	/* EAL arguments: the command line's after "--", else the config's */
	eal[eargc++] = argv[0];
	if (dashdash > 0)
		for (int i = dashdash + 1; i < argc && eargc < VX0_CONF_MAX_EAL_ARGS; i++)
			eal[eargc++] = argv[i];
	else
		for (int i = 0; i < conf.eal_argc; i++)
			eal[eargc++] = conf.eal_argv[i];
	for (unsigned int i = 0; i < conf.n_lcores; i++)
		if (conf.lcores[i].roles & VX0_ROLE_CTL)
			ctl_id = conf.lcores[i].id;
	if (!has_arg(eargc, eal, "--main-lcore")) {
		snprintf(mainarg, sizeof(mainarg), "%u", ctl_id);
		eal[eargc++] = (char *)(uintptr_t)"--main-lcore";
		eal[eargc++] = mainarg;
	}
	eal[eargc] = NULL;
	rc = rte_eal_init(eargc, eal);
	if (rc < 0) {
		fprintf(stderr, "vx0d: EAL init failed: %s\n", rte_strerror(rte_errno));
		vx0_conf_free(&conf);
		return 1;
	}
	/* vx0_log -> rte_log, one logtype per library; text or JSON lines */
	if (vx0_node_log_init() < 0)
		fprintf(stderr, "vx0d: cannot install the log stream\n");
	vx0_node_log_apply(&conf.log);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	vx0_crypto_registry_init(&crypto_reg);
	vx0_crypto_sodium_register(&crypto_reg);
	vx0_crypto_cryptodev_register(&crypto_reg);
	rc = vx0_node_create(&node, &conf, err, sizeof(err));
	if (rc == 0)
		rc = vx0_node_crypto_setup(&node, &crypto_reg, err, sizeof(err));
	if (rc == 0)
		rc = vx0_node_install_routes(&node, err, sizeof(err));
	if (rc == 0)
		rc = vx0_node_start_ports(&node, err, sizeof(err));
	if (rc == 0)
		rc = vx0_ctl_start_protocols(&node, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "vx0d: %s\n", err[0] ? err : strerror(-rc));
		vx0_node_stop_ports(&node);
		vx0_node_destroy(&node);
		vx0_conf_free(&conf);
		rte_eal_cleanup();
		return 1;
	}
	if (vx0_telemetry_register(&node) < 0)
		fprintf(stderr, "vx0d: telemetry commands not registered\n");
	node.start_tsc = rte_rdtsc();
	for (unsigned int l = 0; l < RTE_MAX_LCORE; l++)
		if (node.lc[l] && l != node.ctl_lcore)
			rte_eal_remote_launch(vx0_lcore_main, node.lc[l], l);
	fprintf(stderr, "vx0d: running: %u ports, %u lcores, %u+%u routes, %d NUMA node(s)\n",
		node.n_ports, conf.n_lcores, vx0_fib_count(node.fib, AF_INET),
		vx0_fib_count(node.fib, AF_INET6),
		numa_available() < 0 ? 1 : numa_num_configured_nodes());
	/* a port polled from another socket's lcore works, at a cost */
	for (unsigned int l = 0; l < RTE_MAX_LCORE; l++)
		for (unsigned int q = 0; node.lc[l] && q < node.lc[l]->n_rxq; q++) {
			const struct vx0_port *pt = &node.ports[node.lc[l]->rxq[q].port];
			int ps = rte_eth_dev_socket_id(pt->port_id);

			if (ps >= 0 && (unsigned int)ps != rte_lcore_to_socket_id(l))
				fprintf(stderr, "vx0d: note: port %s is on socket %d, polled by lcore %u "
					"on socket %u\n", pt->name, ps, l, rte_lcore_to_socket_id(l));
		}

	vx0_ctl_run(&node, &stop_requested);
	rte_eal_mp_wait_lcore();
	vx0_ctl_drain(&node);
	vx0_node_stop_ports(&node);  /* PMDs give back the mbufs they hold */
	vx0_ctl_destroy(&node);      /* and the neighbour queues theirs */
	if (!quiet)
		print_summary(&node, stdout);
	if (stats_json) {
		char *j = vx0_stats_json(&node);
		FILE *f = fopen(stats_json, "w");

		if (f == NULL || j == NULL || fputs(j, f) < 0)
			fprintf(stderr, "vx0d: cannot write %s\n", stats_json);
		if (f)
			fclose(f);
		free(j);
	}
	rc = vx0_node_mbufs_in_use(&node) == 0 ? 0 : 1;
	if (rc)
		fprintf(stderr, "vx0d: %u mbufs not returned to the pool\n",
			vx0_node_mbufs_in_use(&node));
	vx0_node_destroy(&node);
	vx0_conf_free(&conf);
	rte_eal_cleanup();
	return rc;
}
