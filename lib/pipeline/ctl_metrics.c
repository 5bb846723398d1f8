/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Prometheus exporter of vx0d: lib/metrics' server on the ctl event
 * loop, rendering the node's counters when scraped. Counters are read the
 * way pipeline_telemetry.c reads them (relaxed, each written by one lcore;
 * nothing added to the lcores' hot path); tables owned by the slow path
 * are read under ctl->lock. The render runs on the ctl lcore itself.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>

#include "vx0_bgp.h"
#include "vx0_dht.h"
#include "vx0_ctl.h"
#include "vx0_esp.h"
#include "vx0_log.h"
#include "vx0_metrics.h"

#ifndef VX0_VERSION
#define VX0_VERSION "unknown"
#endif

/* Which stage a drop reason comes from (the label is informative: reason
 * names are unique). Unless clearly elsewhere, drops happen in rx+classify. */
static const char *
drop_stage(unsigned int reason)
{
	switch (reason) {
	case VX0_DROP_ESP_REPLAY: case VX0_DROP_ESP_AUTH: case VX0_DROP_ESP_BAD_PAD:
	case VX0_DROP_ESP_TRUNCATED: case VX0_DROP_ESP_LIFETIME: case VX0_DROP_ESP_TFC_DUMMY:
	case VX0_DROP_ESP_MALFORMED: case VX0_DROP_ONION_NO_CIRCUIT:
		return vx0_stage_name(VX0_STAGE_CRYPTO);
	case VX0_DROP_TX_FULL:
		return vx0_stage_name(VX0_STAGE_TX);
	case VX0_DROP_ARP_NOT_FOR_US: case VX0_DROP_ND_INVALID: case VX0_DROP_NEIGH_UNRESOLVED:
	case VX0_DROP_NO_EXCEPTION_PATH: case VX0_DROP_NO_MBUF: case VX0_DROP_SHUTDOWN:
		return vx0_stage_name(VX0_STAGE_CTL);
	default:
		return vx0_stage_name(VX0_STAGE_RX);
	}
}

static void
render_ports(struct vx0_metrics_writer *w, const struct vx0_node *node,
	     const struct vx0_lcore_stats *s)
{
	static const struct { const char *name, *help; } hw[] = {
		{ "vx0_port_hw_rx_packets_total", "Packets the port (driver) received." },
		{ "vx0_port_hw_tx_packets_total", "Packets the port (driver) sent." },
		{ "vx0_port_hw_rx_missed_total", "Packets the port dropped: no RX descriptor." },
		{ "vx0_port_hw_rx_errors_total", "Erroneous packets received." },
	};
	struct rte_eth_stats es[VX0_MAX_PORTS];

	vx0_metrics_family(w, "vx0_port_rx_packets_total", "counter",
			   "Packets taken from the port by the rx stage.");
	for (unsigned int i = 0; i < node->n_ports; i++)
		vx0_metrics_sample_u64(w, "vx0_port_rx_packets_total", s->port_rx[i],
				       "port", node->ports[i].name, NULL);
	vx0_metrics_family(w, "vx0_port_tx_packets_total", "counter",
			   "Packets handed to the port by the tx stage.");
	for (unsigned int i = 0; i < node->n_ports; i++)
		vx0_metrics_sample_u64(w, "vx0_port_tx_packets_total", s->port_tx[i],
				       "port", node->ports[i].name, NULL);
	vx0_metrics_family(w, "vx0_port_tx_dropped_total", "counter",
			   "Packets the port's TX queue did not take.");
	for (unsigned int i = 0; i < node->n_ports; i++)
		vx0_metrics_sample_u64(w, "vx0_port_tx_dropped_total", s->port_tx_drop[i],
				       "port", node->ports[i].name, NULL);
	for (unsigned int i = 0; i < node->n_ports; i++) {
		memset(&es[i], 0, sizeof(es[i]));
		rte_eth_stats_get(node->ports[i].port_id, &es[i]);
	}
	for (unsigned int k = 0; k < RTE_DIM(hw); k++) {
		vx0_metrics_family(w, hw[k].name, "counter", hw[k].help);
		for (unsigned int i = 0; i < node->n_ports; i++) {
			uint64_t v = k == 0 ? es[i].ipackets : k == 1 ? es[i].opackets :
				     k == 2 ? es[i].imissed : es[i].ierrors;

			vx0_metrics_sample_u64(w, hw[k].name, v, "port", node->ports[i].name, NULL);
		}
	}
}

static void
render_stages(struct vx0_metrics_writer *w, const struct vx0_lcore_stats *s)
{
	static const struct { const char *name, *help; } f[] = {
		{ "vx0_stage_packets_total", "Packets taken in by the stage." },
		{ "vx0_stage_bytes_total", "Bytes taken in by the stage." },
		{ "vx0_stage_out_packets_total", "Packets the stage handed on." },
		{ "vx0_stage_cycles_total", "TSC cycles spent in non-empty bursts." },
	};

	for (unsigned int k = 0; k < RTE_DIM(f); k++) {
		vx0_metrics_family(w, f[k].name, "counter", f[k].help);
		for (unsigned int i = 0; i < VX0_STAGE_MAX; i++) {
			const struct vx0_stage_stats *t = &s->stage[i];
			uint64_t v = k == 0 ? t->pkts : k == 1 ? t->bytes : k == 2 ? t->out : t->cycles;

			vx0_metrics_sample_u64(w, f[k].name, v, "stage", vx0_stage_name(i), NULL);
		}
	}
	vx0_metrics_family(w, "vx0_stage_drops_total", "counter", "Packets dropped, by reason.");
	for (unsigned int r = 1; r < VX0_DROP_MAX; r++)
		vx0_metrics_sample_u64(w, "vx0_stage_drops_total", s->drops[r],
				       "stage", drop_stage(r), "reason", vx0_drop_name(r), NULL);
	vx0_metrics_family(w, "vx0_punt_packets_total", "counter",
			   "Packets handed to the slow path, by class.");
	for (unsigned int i = 0; i < VX0_PUNT_MAX; i++)
		vx0_metrics_sample_u64(w, "vx0_punt_packets_total", s->punt[i],
				       "class", vx0_punt_class_name(i), NULL);
	vx0_metrics_family(w, "vx0_icmp_errors_sent_total", "counter", "ICMP errors generated.");
	vx0_metrics_sample_u64(w, "vx0_icmp_errors_sent_total", s->icmp_sent, NULL);
	vx0_metrics_family(w, "vx0_icmp_errors_rate_limited_total", "counter",
			   "ICMP errors not sent: over the rate limit.");
	vx0_metrics_sample_u64(w, "vx0_icmp_errors_rate_limited_total", s->icmp_rate_limited, NULL);
}

/* Per-lcore loop counters: idle_loops / loops is how idle a lcore is. */
static void
render_lcores(struct vx0_metrics_writer *w, const struct vx0_node *node)
{
	static const struct { const char *name, *help; } f[] = {
		{ "vx0_lcore_loops_total", "Passes of the lcore's loop." },
		{ "vx0_lcore_idle_loops_total", "Passes that found no work." },
		{ "vx0_lcore_sleeps_total", "Times the lcore slept when idle (lab profile)." },
	};

	for (unsigned int k = 0; k < RTE_DIM(f); k++) {
		vx0_metrics_family(w, f[k].name, "counter", f[k].help);
		for (unsigned int l = 0; l < RTE_MAX_LCORE; l++) {
			const struct vx0_lcore_ctx *lc = node->lc[l];
			char id[16];

			if (lc == NULL)
				continue;
			snprintf(id, sizeof(id), "%u", l);
			vx0_metrics_sample_u64(w, f[k].name, k == 0 ? lc->stats.loops :
					       k == 1 ? lc->stats.idle_loops : lc->stats.sleeps,
					       "lcore", id, NULL);
		}
	}
	vx0_metrics_family(w, "vx0_ring_count", "gauge", "Packets waiting in a ring.");
	vx0_metrics_sample_u64(w, "vx0_ring_count", rte_ring_count(node->punt_ring),
			       "ring", "punt", NULL);
	for (unsigned int i = 0; i < node->n_ports; i++) {
		char name[VX0_CONF_NAME_LEN + 8];

		snprintf(name, sizeof(name), "tx_%s", node->ports[i].name);
		vx0_metrics_sample_u64(w, "vx0_ring_count", rte_ring_count(node->ports[i].tx_ring),
				       "ring", name, NULL);
	}
}

static void
render_bgp(struct vx0_metrics_writer *w, struct vx0_ctl *ctl)
{
	static const struct { const char *name, *type, *help; } f[] = {
		{ "vx0_bgp_peer_state", "gauge",
		  "BGP FSM state: 0 idle, 1 connect, 2 active, 3 opensent, 4 openconfirm, 5 established." },
		{ "vx0_bgp_peer_up", "gauge", "1 when the session is Established." },
		{ "vx0_bgp_prefixes_received", "gauge", "Prefixes received from the peer." },
		{ "vx0_bgp_prefixes_accepted", "gauge", "Prefixes accepted from the peer." },
		{ "vx0_bgp_prefixes_advertised", "gauge", "Prefixes advertised to the peer." },
		{ "vx0_bgp_updates_received_total", "counter", "UPDATE messages received." },
		{ "vx0_bgp_updates_sent_total", "counter", "UPDATE messages sent." },
	};
	struct vx0_bgp *bgp = vx0_ctl_bgp_core(ctl);
	int n;

	if (bgp == NULL)
		return;
	n = vx0_bgp_peer_count(bgp);
	vx0_metrics_family(w, "vx0_bgp_rib_prefixes", "gauge", "Prefixes in the BGP RIB.");
	vx0_metrics_sample_u64(w, "vx0_bgp_rib_prefixes", vx0_bgp_rib_count(bgp), NULL);
	for (unsigned int k = 0; k < RTE_DIM(f); k++) {
		vx0_metrics_family(w, f[k].name, f[k].type, f[k].help);
		for (int i = 0; i < n; i++) {
			struct vx0_bgp_neighbor_info ni;
			char a[INET6_ADDRSTRLEN];
			uint64_t v;

			if (vx0_bgp_neighbor_info(bgp, i, &ni) < 0)
				continue;
			if (inet_ntop(ni.addr.family == 4 ? AF_INET : AF_INET6, ni.addr.a, a,
				      sizeof(a)) == NULL)
				snprintf(a, sizeof(a), "peer%d", i);
			v = k == 0 ? (uint64_t)ni.state : k == 1 ? ni.state == VX0_BGP_ESTABLISHED :
			    k == 2 ? ni.prefixes_received : k == 3 ? ni.prefixes_accepted :
			    k == 4 ? ni.prefixes_advertised : k == 5 ? ni.updates_in : ni.updates_out;
			vx0_metrics_sample_u64(w, f[k].name, v, "peer", a, NULL);
		}
	}
}

static void
render_sa(struct vx0_metrics_writer *w, struct vx0_node *node)
{
	static const struct { const char *name, *help; } f[] = {
		{ "vx0_esp_sa_packets_total", "Packets through the SA." },
		{ "vx0_esp_sa_bytes_total", "Bytes through the SA." },
		{ "vx0_esp_sa_drops_total", "Packets the SA dropped, by reason." },
	};
	struct vx0_sad *sad = node->sad;

	if (sad == NULL)
		return;
	for (unsigned int k = 0; k < RTE_DIM(f); k++) {
		vx0_metrics_family(w, f[k].name, "counter", f[k].help);
		for (uint32_t i = 0; i < sad->max; i++) {
			const struct vx0_esp_sa *sa = vx0_sad_get(sad, i);
			const char *dir;
			char spi[16];

			if (sa == NULL)
				continue;
			snprintf(spi, sizeof(spi), "0x%08x", sa->spi);
			dir = sa->dir == VX0_ESP_DIR_IN ? "in" : "out";
			if (k == 0)
				vx0_metrics_sample_u64(w, f[k].name, sa->stats.packets, "spi", spi,
						       "dir", dir, NULL);
			else if (k == 1)
				vx0_metrics_sample_u64(w, f[k].name, sa->stats.bytes, "spi", spi,
						       "dir", dir, NULL);
			else
				for (int r = 1; r < VX0_ESP_DROP_MAX; r++)
					vx0_metrics_sample_u64(w, f[k].name, sa->stats.drops[r],
							       "spi", spi, "dir", dir, "reason",
							       vx0_esp_drop_name(r), NULL);
		}
	}
}

static void
render_ike(struct vx0_metrics_writer *w, struct vx0_ctl *ctl)
{
	uint64_t up, down, rekeys, errors;
	unsigned int active;

	if (ctl->ike == NULL)
		return;
	vx0_ctl_ike_counts(ctl, &up, &down, &rekeys, &errors, &active);
	vx0_metrics_family(w, "vx0_ike_child_sas", "gauge", "CHILD_SAs installed now.");
	vx0_metrics_sample_u64(w, "vx0_ike_child_sas", active, NULL);
	vx0_metrics_family(w, "vx0_ike_child_sas_established_total", "counter",
			   "CHILD_SAs established (rekeys included).");
	vx0_metrics_sample_u64(w, "vx0_ike_child_sas_established_total", up, NULL);
	vx0_metrics_family(w, "vx0_ike_child_sas_deleted_total", "counter",
			   "CHILD_SAs deleted, expired or lost with their peer.");
	vx0_metrics_sample_u64(w, "vx0_ike_child_sas_deleted_total", down, NULL);
	vx0_metrics_family(w, "vx0_ike_rekeys_total", "counter", "CHILD_SA rekeys.");
	vx0_metrics_sample_u64(w, "vx0_ike_rekeys_total", rekeys, NULL);
	vx0_metrics_family(w, "vx0_ike_install_errors_total", "counter",
			   "CHILD_SAs that could not be installed in the SAD or FIB.");
	vx0_metrics_sample_u64(w, "vx0_ike_install_errors_total", errors, NULL);
}

static void
render_dht(struct vx0_metrics_writer *w, struct vx0_ctl *ctl)
{
	struct vx0_dht_stats st;
	struct vx0_dht *dht;
	uint64_t published;

	if ((dht = vx0_ctl_dht_node(ctl, &published)) == NULL)
		return;
	vx0_dht_get_stats(dht, &st);
	vx0_metrics_family(w, "vx0_dht_table_nodes", "gauge", "Nodes in the DHT routing table.");
	vx0_metrics_sample_u64(w, "vx0_dht_table_nodes", st.table_nodes, "state", "all", NULL);
	vx0_metrics_sample_u64(w, "vx0_dht_table_nodes", st.table_good, "state", "good", NULL);
	vx0_metrics_family(w, "vx0_dht_items", "gauge", "BEP 44 items stored.");
	vx0_metrics_sample_u64(w, "vx0_dht_items", st.items, NULL);
	vx0_metrics_family(w, "vx0_dht_lookups_active", "gauge", "Lookups in flight.");
	vx0_metrics_sample_u64(w, "vx0_dht_lookups_active", st.lookups_active, NULL);
	vx0_metrics_family(w, "vx0_dht_packets_total", "counter", "KRPC datagrams.");
	vx0_metrics_sample_u64(w, "vx0_dht_packets_total", st.rx_packets, "dir", "rx", NULL);
	vx0_metrics_sample_u64(w, "vx0_dht_packets_total", st.tx_packets, "dir", "tx", NULL);
	vx0_metrics_family(w, "vx0_dht_rx_dropped_total", "counter",
			   "KRPC datagrams dropped (malformed, rate limited).");
	vx0_metrics_sample_u64(w, "vx0_dht_rx_dropped_total", st.rx_dropped, NULL);
	vx0_metrics_family(w, "vx0_dht_timeouts_total", "counter", "Queries that timed out.");
	vx0_metrics_sample_u64(w, "vx0_dht_timeouts_total", st.timeouts, NULL);
	vx0_metrics_family(w, "vx0_dht_descriptors_published_total", "counter",
			   "Signed descriptors this node published.");
	vx0_metrics_sample_u64(w, "vx0_dht_descriptors_published_total", published, NULL);
}

/* From the onion relay's counters (ctl_onion.c), by their JSON names */
static void
render_onion(struct vx0_metrics_writer *w, struct vx0_ctl *ctl)
{
	static const struct {
		const char *family, *type, *help, *label, *value, *key;
	} f[] = {
		{ "vx0_onion_circuits", "gauge", "Circuits through this relay.", NULL, NULL, "circuits" },
		{ "vx0_onion_cells_total", "counter", "Cells the onion lcores handled, by path.",
		  "path", "forward", "dp_forwarded" },
		{ NULL, NULL, NULL, "path", "backward", "dp_backward" },
		{ NULL, NULL, NULL, "path", "terminal", "dp_terminal" },
		{ NULL, NULL, NULL, "path", "padding", "dp_padding" },
		{ NULL, NULL, NULL, "path", "slow_path", "dp_punted" },
		{ "vx0_onion_cell_drops_total", "counter", "Cells the onion lcores dropped.",
		  "reason", "malformed", "dp_malformed" },
		{ NULL, NULL, NULL, "reason", "unknown_circuit", "dp_unknown_circuit" },
		{ NULL, NULL, NULL, "reason", "integrity", "dp_integrity_failed" },
		{ NULL, NULL, NULL, "reason", "replayed", "dp_replayed" },
		{ NULL, NULL, NULL, "reason", "no_next_hop", "dp_no_next_hop" },
		{ NULL, NULL, NULL, "reason", "punt_ring_full", "dp_punt_ring_full" },
		{ "vx0_onion_handshakes_total", "counter", "CREATE and EXTEND handshakes, by result.",
		  "result", "created", "created" },
		{ NULL, NULL, NULL, "result", "extended", "extended" },
		{ NULL, NULL, NULL, "result", "failed", "handshake_failed" },
		{ NULL, NULL, NULL, "result", "extend_failed", "extend_failed" },
		{ NULL, NULL, NULL, "result", "rate_limited", "rate_limited" },
		{ NULL, NULL, NULL, "result", "replayed", "replayed_handshake" },
		{ "vx0_onion_circuits_destroyed_total", "counter", "Circuits torn down.", NULL, NULL,
		  "destroyed" },
		{ "vx0_onion_exit_packets_total", "counter", "IP packets through the exit.",
		  "dir", "out", "exit_out" },
		{ NULL, NULL, NULL, "dir", "in", "exit_in" },
		{ "vx0_onion_exit_refused_total", "counter", "Exit packets refused, by reason.",
		  "reason", "policy", "exit_denied" },
		{ NULL, NULL, NULL, "reason", "meter", "exit_policed" },
		{ NULL, NULL, NULL, "reason", "nat_full", "exit_nat_full" },
		{ NULL, NULL, NULL, "reason", "no_mapping", "exit_no_mapping" },
		{ "vx0_onion_padding_sent_total", "counter", "Cover cells sent to idle links.", NULL,
		  NULL, "padding_sent" },
	};
	const char *family = NULL;
	json_t *j;

	if (ctl->onion == NULL || (j = vx0_ctl_onion_stats(ctl)) == NULL)
		return;
	for (unsigned int i = 0; i < RTE_DIM(f); i++) {
		uint64_t v = (uint64_t)json_integer_value(json_object_get(j, f[i].key));

		if (f[i].family) {
			family = f[i].family;
			vx0_metrics_family(w, family, f[i].type, f[i].help);
		}
		if (f[i].label)
			vx0_metrics_sample_u64(w, family, v, f[i].label, f[i].value, NULL);
		else
			vx0_metrics_sample_u64(w, family, v, NULL);
	}
	json_decref(j);
}

/* Capture counters since the node started (each capture adds to them) */
static void
render_capture(struct vx0_metrics_writer *w, struct vx0_ctl *ctl)
{
	struct vx0_ctl_capture_stats s;

	vx0_ctl_capture_stats(ctl, &s);
	vx0_metrics_family(w, "vx0_capture_active", "gauge",
			   "1 while a capture runs (or waits for its FIFO's reader).");
	vx0_metrics_sample_u64(w, "vx0_capture_active", s.state != VX0_CAPTURE_IDLE, NULL);
	vx0_metrics_family(w, "vx0_capture_packets_total", "counter",
			   "Packets captures wrote to their file or FIFO.");
	vx0_metrics_sample_u64(w, "vx0_capture_packets_total", s.total_written, NULL);
	vx0_metrics_family(w, "vx0_capture_filtered_total", "counter",
			   "Packets copied at the tap that the capture filter rejected.");
	vx0_metrics_sample_u64(w, "vx0_capture_filtered_total", s.total_filtered, NULL);
	vx0_metrics_family(w, "vx0_capture_dropped_total", "counter",
			   "Packets a capture lost (never a data-plane drop).");
	vx0_metrics_sample_u64(w, "vx0_capture_dropped_total", s.total_drop_ring,
			       "reason", "ring_full", NULL);
	vx0_metrics_sample_u64(w, "vx0_capture_dropped_total", s.total_drop_nombuf,
			       "reason", "no_mbuf", NULL);
	vx0_metrics_sample_u64(w, "vx0_capture_dropped_total", s.total_drop_writer,
			       "reason", "writer", NULL);
}

static int
render(struct vx0_metrics_writer *w, void *arg)
{
	struct vx0_node *node = arg;
	struct vx0_ctl *ctl = node->ctl;
	struct vx0_lcore_stats s;
	struct vx0_metrics_server_stats ms;

	vx0_node_stats_sum(node, &s);
	vx0_metrics_family(w, "vx0_build_info", "gauge", "vx0d's version.");
	vx0_metrics_sample(w, "vx0_build_info", 1, "version", VX0_VERSION, NULL);
	vx0_metrics_family(w, "vx0_uptime_seconds", "gauge", "Seconds since the node started.");
	vx0_metrics_sample(w, "vx0_uptime_seconds",
			   (double)(rte_rdtsc() - node->start_tsc) / (double)node->tsc_hz, NULL);
	render_ports(w, node, &s);
	render_stages(w, &s);
	render_lcores(w, node);
	vx0_metrics_family(w, "vx0_mbufs_in_use", "gauge", "Mbufs not in the pool.");
	vx0_metrics_sample_u64(w, "vx0_mbufs_in_use", vx0_node_mbufs_in_use(node), NULL);
	vx0_metrics_family(w, "vx0_mbufs_total", "gauge", "Size of the mbuf pool.");
	vx0_metrics_sample_u64(w, "vx0_mbufs_total", node->pool_size, NULL);
	pthread_mutex_lock(&ctl->lock);
	vx0_metrics_family(w, "vx0_fib_routes", "gauge", "Routes in the FIB.");
	vx0_metrics_sample_u64(w, "vx0_fib_routes", vx0_fib_count(node->fib, AF_INET),
			       "family", "ipv4", NULL);
	vx0_metrics_sample_u64(w, "vx0_fib_routes", vx0_fib_count(node->fib, AF_INET6),
			       "family", "ipv6", NULL);
	render_bgp(w, ctl);
	render_sa(w, node);
	render_ike(w, ctl);
	render_dht(w, ctl);
	render_onion(w, ctl);
	render_capture(w, ctl);
	pthread_mutex_unlock(&ctl->lock);
	vx0_metrics_server_get_stats(ctl->metrics, &ms);
	vx0_metrics_family(w, "vx0_metrics_scrapes_total", "counter",
			   "Successful scrapes before this one.");
	vx0_metrics_sample_u64(w, "vx0_metrics_scrapes_total", ms.served, NULL);
	vx0_metrics_family(w, "vx0_metrics_bad_requests_total", "counter",
			   "Requests answered with an error, or dropped (timeouts, busy).");
	vx0_metrics_sample_u64(w, "vx0_metrics_bad_requests_total",
			       ms.errors + ms.timeouts + ms.rejected_busy, NULL);
	vx0_ctl_mgmt_metrics(ctl, w);
	return w->err;
}

int
vx0_ctl_metrics_start(struct vx0_ctl *ctl, char *err, size_t errlen)
{
	const char *listen = ctl->node->conf->metrics_listen;

	if (listen[0] == 0)
		return 0; /* not configured */
	ctl->metrics = vx0_metrics_server_create(ctl->loop, listen, render, ctl->node);
	if (ctl->metrics == NULL) {
		int e = errno;

		snprintf(err, errlen, "metrics: cannot listen on %s: %s", listen, strerror(e));
		return -e;
	}
	return 0;
}

void
vx0_ctl_metrics_stop(struct vx0_ctl *ctl)
{
	vx0_metrics_server_destroy(ctl->metrics);
	ctl->metrics = NULL;
}
