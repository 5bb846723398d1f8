/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * /vx0/... commands on the DPDK telemetry socket (dpdk-telemetry.py works
 * unchanged) and the same numbers as one JSON document for vx0d's exit
 * summary. Counters are read without locks (each is written by one lcore);
 * tables owned by the slow path are read under its mutex.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <jansson.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_telemetry.h>

#include "vx0_bgp.h"
#include "vx0_dht.h"
#include "vx0_crypto.h"
#include "vx0_ctl.h"

/* The 22.11 telemetry callbacks take no user argument: the node registered
 * once at start-up is the only one a process has. */
static struct vx0_node *tel_node;

static void
fmt_mac(char *buf, size_t n, const uint8_t *m)
{
	snprintf(buf, n, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static void
roles_str(uint32_t roles, char *buf, size_t n)
{
	buf[0] = 0;
	for (unsigned int b = 0; b < 5; b++)
		if (roles & (1u << b)) {
			size_t l = strlen(buf);

			snprintf(buf + l, n - l, "%s%s", l ? "," : "", vx0_role_name(1u << b));
		}
}

static int
tel_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct vx0_lcore_stats s;
	char k[64];

	(void)cmd;
	(void)params;
	vx0_node_stats_sum(tel_node, &s);
	rte_tel_data_start_dict(d);
	/* flat keys: 22.11 telemetry nests only arrays of scalars */
	for (unsigned int i = 0; i < VX0_STAGE_MAX; i++) {
		const char *n = vx0_stage_name(i);

		snprintf(k, sizeof(k), "%s_packets", n);
		rte_tel_data_add_dict_u64(d, k, s.stage[i].pkts);
		snprintf(k, sizeof(k), "%s_bytes", n);
		rte_tel_data_add_dict_u64(d, k, s.stage[i].bytes);
		snprintf(k, sizeof(k), "%s_out", n);
		rte_tel_data_add_dict_u64(d, k, s.stage[i].out);
		snprintf(k, sizeof(k), "%s_bursts", n);
		rte_tel_data_add_dict_u64(d, k, s.stage[i].bursts);
		snprintf(k, sizeof(k), "%s_cycles", n);
		rte_tel_data_add_dict_u64(d, k, s.stage[i].cycles);
		snprintf(k, sizeof(k), "%s_cycles_per_packet", n);
		rte_tel_data_add_dict_u64(d, k, s.stage[i].pkts ? s.stage[i].cycles / s.stage[i].pkts : 0);
	}
	rte_tel_data_add_dict_u64(d, "icmp_errors_sent", s.icmp_sent);
	rte_tel_data_add_dict_u64(d, "icmp_errors_rate_limited", s.icmp_rate_limited);
	rte_tel_data_add_dict_u64(d, "esp_soft_expired", s.esp_soft_expired);
	rte_tel_data_add_dict_u64(d, "mbufs_in_use", vx0_node_mbufs_in_use(tel_node));
	rte_tel_data_add_dict_u64(d, "mbufs_total", tel_node->pool_size);
	return 0;
}

static int
tel_drops(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct vx0_lcore_stats s;

	(void)cmd;
	(void)params;
	vx0_node_stats_sum(tel_node, &s);
	rte_tel_data_start_dict(d);
	for (unsigned int i = 1; i < VX0_DROP_MAX; i++)
		rte_tel_data_add_dict_u64(d, vx0_drop_name(i), s.drops[i]);
	return 0;
}

static int
tel_punt(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct vx0_lcore_stats s;

	(void)cmd;
	(void)params;
	vx0_node_stats_sum(tel_node, &s);
	rte_tel_data_start_dict(d);
	for (unsigned int i = 0; i < VX0_PUNT_MAX; i++)
		rte_tel_data_add_dict_u64(d, vx0_punt_class_name(i), s.punt[i]);
	rte_tel_data_add_dict_u64(d, "policed", s.drops[VX0_DROP_PUNT_POLICED]);
	rte_tel_data_add_dict_u64(d, "ring_count", rte_ring_count(tel_node->punt_ring));
	return 0;
}

static int
tel_ports(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	rte_tel_data_start_array(d, RTE_TEL_STRING_VAL);
	for (unsigned int i = 0; i < tel_node->n_ports; i++)
		rte_tel_data_add_array_string(d, tel_node->ports[i].name);
	return 0;
}

static int
tel_port(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct vx0_lcore_stats s;
	const struct vx0_port *p = NULL;
	struct rte_eth_stats es;
	char mac[32];
	unsigned int i;

	(void)cmd;
	for (i = 0; params && i < tel_node->n_ports; i++)
		if (strcmp(tel_node->ports[i].name, params) == 0) {
			p = &tel_node->ports[i];
			break;
		}
	if (p == NULL)
		return -EINVAL; /* unknown port name: the reply is null */
	vx0_node_stats_sum(tel_node, &s);
	memset(&es, 0, sizeof(es));
	rte_eth_stats_get(p->port_id, &es);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "name", p->name);
	rte_tel_data_add_dict_u64(d, "port_id", p->port_id);
	fmt_mac(mac, sizeof(mac), p->mac.addr_bytes);
	rte_tel_data_add_dict_string(d, "mac", mac);
	rte_tel_data_add_dict_u64(d, "mtu", p->mtu);
	rte_tel_data_add_dict_u64(d, "rx_packets", s.port_rx[i]);
	rte_tel_data_add_dict_u64(d, "tx_packets", s.port_tx[i]);
	rte_tel_data_add_dict_u64(d, "tx_dropped", s.port_tx_drop[i]);
	rte_tel_data_add_dict_u64(d, "hw_ipackets", es.ipackets);
	rte_tel_data_add_dict_u64(d, "hw_opackets", es.opackets);
	rte_tel_data_add_dict_u64(d, "hw_ibytes", es.ibytes);
	rte_tel_data_add_dict_u64(d, "hw_obytes", es.obytes);
	rte_tel_data_add_dict_u64(d, "hw_imissed", es.imissed);
	rte_tel_data_add_dict_u64(d, "hw_ierrors", es.ierrors);
	rte_tel_data_add_dict_u64(d, "hw_oerrors", es.oerrors);
	rte_tel_data_add_dict_u64(d, "tx_ring_count", rte_ring_count(p->tx_ring));
	rte_tel_data_add_dict_string(d, "exception_path",
				     p->tap_id == UINT16_MAX ? "none" : p->tap_name);
	return 0;
}

static int
tel_lcores(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	rte_tel_data_start_array(d, RTE_TEL_INT_VAL);
	for (unsigned int l = 0; l < RTE_MAX_LCORE; l++)
		if (tel_node->lc[l])
			rte_tel_data_add_array_int(d, (int)l);
	return 0;
}

static int
tel_lcore(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct vx0_lcore_ctx *lc;
	char roles[64], *end;
	unsigned long l;
	uint64_t pk = 0;

	(void)cmd;
	if (params == NULL || *params == 0)
		return -EINVAL;
	l = strtoul(params, &end, 10);
	if (*end != 0 || l >= RTE_MAX_LCORE || (lc = tel_node->lc[l]) == NULL)
		return -EINVAL;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "lcore", l);
	roles_str(lc->roles, roles, sizeof(roles));
	rte_tel_data_add_dict_string(d, "roles", roles);
	for (unsigned int i = 0; i < VX0_STAGE_MAX; i++)
		pk += lc->stats.stage[i].pkts;
	rte_tel_data_add_dict_u64(d, "packets", pk);
	rte_tel_data_add_dict_u64(d, "rx_queues", lc->n_rxq);
	rte_tel_data_add_dict_u64(d, "tx_ports", lc->n_tx_ports);
	rte_tel_data_add_dict_u64(d, "loops", lc->stats.loops);
	rte_tel_data_add_dict_u64(d, "idle_loops", lc->stats.idle_loops);
	rte_tel_data_add_dict_u64(d, "sleeps", lc->stats.sleeps);
	return 0;
}

static int
tel_fib(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct vx0_node *node = tel_node;
	uint8_t a[16];
	uint32_t nh_id;
	int fam = AF_INET, rc;

	(void)cmd;
	if (params == NULL || *params == 0) {
		rte_tel_data_start_dict(d);
		rte_tel_data_add_dict_u64(d, "ipv4_routes", vx0_fib_count(node->fib, AF_INET));
		rte_tel_data_add_dict_u64(d, "ipv6_routes", vx0_fib_count(node->fib, AF_INET6));
		rte_tel_data_add_dict_u64(d, "ipv4_resident_bytes", vx0_fib4_resident(&node->fib->v4));
		rte_tel_data_add_dict_u64(d, "ipv6_resident_bytes", vx0_fib6_resident(&node->fib->v6));
		return 0;
	}
	if (inet_pton(AF_INET, params, a) == 1)
		fam = AF_INET;
	else if (inet_pton(AF_INET6, params, a) == 1)
		fam = AF_INET6;
	else
		return -EINVAL; /* the socket answers null: the address is bad */
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "address", params);
	pthread_mutex_lock(&node->ctl->lock);
	if (fam == AF_INET) {
		uint32_t v;

		memcpy(&v, a, 4);
		rc = vx0_fib_lookup4(node->fib, ntohl(v), &nh_id);
	} else {
		rc = vx0_fib_lookup6(node->fib, a, &nh_id);
	}
	if (rc != 0) {
		rte_tel_data_add_dict_string(d, "result", "no route");
	} else {
		const struct vx0_fib_nh *nh = vx0_fib_nh(node->fib, nh_id);
		uint64_t l2 = vx0_fib_nh_l2(nh);
		char buf[INET6_ADDRSTRLEN];

		rte_tel_data_add_dict_string(d, "result", vx0_fib_nh_type_name(nh->type));
		rte_tel_data_add_dict_u64(d, "next_hop", nh_id);
		if (nh->type != VX0_NH_DROP)
			rte_tel_data_add_dict_string(d, "port", node->ports[nh->port].name);
		if (nh->type == VX0_NH_FWD) {
			inet_ntop(nh->family, nh->addr, buf, sizeof(buf));
			rte_tel_data_add_dict_string(d, "via", buf);
			if (l2 & VX0_NH_L2_VALID) {
				fmt_mac(buf, sizeof(buf), (const uint8_t *)&l2);
				rte_tel_data_add_dict_string(d, "mac", buf);
			} else {
				rte_tel_data_add_dict_string(d, "mac", "unresolved");
			}
		}
	}
	pthread_mutex_unlock(&node->ctl->lock);
	return 0;
}

struct neigh_dump {
	struct rte_tel_data *d;
	unsigned int n;
};

static void
neigh_one(void *arg, uint16_t port, int family, const uint8_t *addr, const uint8_t *mac,
	  const char *state)
{
	struct neigh_dump *nd = arg;
	struct rte_tel_data *c = rte_tel_data_alloc();
	char a[INET6_ADDRSTRLEN], m[32], key[16];

	if (c == NULL)
		return;
	inet_ntop(family, addr, a, sizeof(a));
	/* keys may hold only [A-Za-z0-9_/] and containers only scalars:
	 * each entry is [address, port, state, mac] under "n<index>" */
	rte_tel_data_start_array(c, RTE_TEL_STRING_VAL);
	rte_tel_data_add_array_string(c, a);
	rte_tel_data_add_array_string(c, tel_node->ports[port].name);
	rte_tel_data_add_array_string(c, state);
	if (mac)
		fmt_mac(m, sizeof(m), mac);
	else
		snprintf(m, sizeof(m), "none");
	rte_tel_data_add_array_string(c, m);
	snprintf(key, sizeof(key), "n%u", nd->n++);
	if (rte_tel_data_add_dict_container(nd->d, key, c, 0) != 0)
		rte_tel_data_free(c);
}

static int
tel_neigh(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct neigh_dump nd = { .d = d };

	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	pthread_mutex_lock(&tel_node->ctl->lock);
	vx0_ctl_neigh_dump(tel_node->ctl, neigh_one, &nd);
	pthread_mutex_unlock(&tel_node->ctl->lock);
	return 0;
}

static void
bgp_addr_str(const struct vx0_bgp_addr *a, char *buf, size_t n)
{
	if (inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->a, buf, n) == NULL)
		snprintf(buf, n, "?");
}

static int
tel_bgp(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct vx0_ctl *ctl = tel_node->ctl;
	const struct vx0_conf_bgp *g = &tel_node->conf->bgp;
	uint64_t ins, rem, unres;
	struct vx0_bgp *bgp;
	char rid[INET_ADDRSTRLEN];
	uint32_t r = htonl(g->router_id);

	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	pthread_mutex_lock(&ctl->lock);
	bgp = vx0_ctl_bgp_core(ctl);
	rte_tel_data_add_dict_string(d, "enabled", bgp ? "yes" : "no");
	if (bgp) {
		inet_ntop(AF_INET, &r, rid, sizeof(rid));
		rte_tel_data_add_dict_u64(d, "local_as", g->local_as);
		rte_tel_data_add_dict_string(d, "router_id", rid);
		rte_tel_data_add_dict_u64(d, "peers", (uint64_t)vx0_bgp_peer_count(bgp));
		rte_tel_data_add_dict_u64(d, "rib_prefixes", vx0_bgp_rib_count(bgp));
		rte_tel_data_add_dict_u64(d, "attribute_sets", vx0_bgp_attr_count(bgp));
		vx0_ctl_bgp_fib_stats(ctl, &ins, &rem, &unres);
		rte_tel_data_add_dict_u64(d, "fib_installs", ins);
		rte_tel_data_add_dict_u64(d, "fib_removals", rem);
		rte_tel_data_add_dict_u64(d, "fib_unresolved_next_hop", unres);
	}
	pthread_mutex_unlock(&ctl->lock);
	return 0;
}

static int
tel_bgp_neighbors(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct vx0_ctl *ctl = tel_node->ctl;
	struct vx0_bgp *bgp;

	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	pthread_mutex_lock(&ctl->lock);
	bgp = vx0_ctl_bgp_core(ctl);
	for (int i = 0; bgp && i < vx0_bgp_peer_count(bgp); i++) {
		struct vx0_bgp_neighbor_info ni;
		struct rte_tel_data *c;
		char a[INET6_ADDRSTRLEN], key[16], num[32];

		if (vx0_bgp_neighbor_info(bgp, i, &ni) < 0 || (c = rte_tel_data_alloc()) == NULL)
			continue;
		/* [address, state, remote AS, up seconds, received, accepted,
		 *  advertised, last error] under "p<id>" */
		rte_tel_data_start_array(c, RTE_TEL_STRING_VAL);
		bgp_addr_str(&ni.addr, a, sizeof(a));
		rte_tel_data_add_array_string(c, a);
		rte_tel_data_add_array_string(c, vx0_bgp_state_name(ni.state));
		snprintf(num, sizeof(num), "%u", ni.remote_as);
		rte_tel_data_add_array_string(c, num);
		snprintf(num, sizeof(num), "%llu", (unsigned long long)
			 (ni.state == VX0_BGP_ESTABLISHED && ni.established_ms ?
			  (ctl->now_ms - RTE_MIN(ctl->now_ms, ni.established_ms)) / 1000 : 0));
		rte_tel_data_add_array_string(c, num);
		snprintf(num, sizeof(num), "%u", ni.prefixes_received);
		rte_tel_data_add_array_string(c, num);
		snprintf(num, sizeof(num), "%u", ni.prefixes_accepted);
		rte_tel_data_add_array_string(c, num);
		snprintf(num, sizeof(num), "%u", ni.prefixes_advertised);
		rte_tel_data_add_array_string(c, num);
		rte_tel_data_add_array_string(c, ni.last_error[0] ? ni.last_error : "none");
		snprintf(key, sizeof(key), "p%d", i);
		if (rte_tel_data_add_dict_container(d, key, c, 0) != 0)
			rte_tel_data_free(c);
	}
	pthread_mutex_unlock(&ctl->lock);
	return 0;
}

static int
tel_bgp_route(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct vx0_ctl *ctl = tel_node->ctl;
	struct vx0_bgp_path_info paths[8];
	struct vx0_bgp_prefix pfx, matched;
	enum vx0_bgp_reason reason;
	struct vx0_bgp *bgp;
	char buf[512], a[INET6_ADDRSTRLEN];
	int n;

	(void)cmd;
	if (params == NULL || vx0_bgp_prefix_parse(params, &pfx) < 0)
		return -EINVAL;
	rte_tel_data_start_dict(d);
	pthread_mutex_lock(&ctl->lock);
	bgp = vx0_ctl_bgp_core(ctl);
	if (bgp == NULL) {
		pthread_mutex_unlock(&ctl->lock);
		rte_tel_data_add_dict_string(d, "result", "bgp not configured");
		return 0;
	}
	if (strchr(params, '/')) {
		n = vx0_bgp_rib_lookup(bgp, &pfx, paths, RTE_DIM(paths), &reason);
		matched = pfx;
	} else {
		struct vx0_bgp_addr ad = { .family = pfx.family };

		memcpy(ad.a, pfx.a, 16);
		n = vx0_bgp_rib_lookup_addr(bgp, &ad, &matched, paths, RTE_DIM(paths), &reason);
	}
	if (n < 0) {
		pthread_mutex_unlock(&ctl->lock);
		rte_tel_data_add_dict_string(d, "result", "not in the RIB");
		return 0;
	}
	vx0_bgp_prefix_format(&matched, buf, sizeof(buf));
	rte_tel_data_add_dict_string(d, "prefix", buf);
	rte_tel_data_add_dict_u64(d, "paths", (uint64_t)n);
	rte_tel_data_add_dict_string(d, "best_because", vx0_bgp_reason_name(reason));
	for (int i = 0; i < n && i < (int)RTE_DIM(paths); i++) {
		struct rte_tel_data *c = rte_tel_data_alloc();
		size_t l = 0;
		char key[16];

		if (c == NULL)
			break;
		rte_tel_data_start_array(c, RTE_TEL_STRING_VAL);
		bgp_addr_str(&paths[i].nexthop, a, sizeof(a));
		rte_tel_data_add_array_string(c, paths[i].best ? "best" :
					      paths[i].rejected ? "rejected" : "candidate");
		rte_tel_data_add_array_string(c, a);
		buf[0] = 0;
		for (unsigned int k = 0; k < paths[i].as_path_n && k < 64 && l + 12 < 120; k++)
			l += (size_t)snprintf(buf + l, sizeof(buf) - l, "%s%u", k ? " " : "",
					      paths[i].as_path[k]);
		rte_tel_data_add_array_string(c, buf[0] ? buf : "(empty)");
		snprintf(buf, sizeof(buf), "local_pref %u med %u origin %u",
			 paths[i].has_local_pref ? paths[i].local_pref : 100,
			 paths[i].has_med ? paths[i].med : 0, paths[i].origin);
		rte_tel_data_add_array_string(c, buf);
		snprintf(key, sizeof(key), "path%d", i);
		if (rte_tel_data_add_dict_container(d, key, c, 0) != 0)
			rte_tel_data_free(c);
	}
	pthread_mutex_unlock(&ctl->lock);
	return 0;
}

/* Per-SA counters (written by the owning crypto lcore, read relaxed);
 * never keys. "s<index>": [spi, direction, algorithm, packets, bytes,
 * replay, auth, other drops]. */
static int
tel_sa(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct vx0_sad *sad = tel_node->sad;

	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	pthread_mutex_lock(&tel_node->ctl->lock); /* SAs change only under it */
	for (uint32_t i = 0; sad && i < sad->max; i++) {
		const struct vx0_esp_sa *sa = vx0_sad_get(sad, i);
		struct rte_tel_data *c;
		char key[16], v[32];
		uint64_t other = 0;

		if (sa == NULL || (c = rte_tel_data_alloc()) == NULL)
			continue;
		for (int r = 0; r < VX0_ESP_DROP_MAX; r++)
			if (r != VX0_ESP_DROP_REPLAY && r != VX0_ESP_DROP_AUTH)
				other += sa->stats.drops[r];
		rte_tel_data_start_array(c, RTE_TEL_STRING_VAL);
		snprintf(v, sizeof(v), "0x%08x", sa->spi);
		rte_tel_data_add_array_string(c, v);
		rte_tel_data_add_array_string(c, sa->dir == VX0_ESP_DIR_IN ? "in" : "out");
		rte_tel_data_add_array_string(c, vx0_crypto_alg_name(sa->alg));
		snprintf(v, sizeof(v), "%llu", (unsigned long long)sa->stats.packets);
		rte_tel_data_add_array_string(c, v);
		snprintf(v, sizeof(v), "%llu", (unsigned long long)sa->stats.bytes);
		rte_tel_data_add_array_string(c, v);
		snprintf(v, sizeof(v), "%llu", (unsigned long long)sa->stats.drops[VX0_ESP_DROP_REPLAY]);
		rte_tel_data_add_array_string(c, v);
		snprintf(v, sizeof(v), "%llu", (unsigned long long)sa->stats.drops[VX0_ESP_DROP_AUTH]);
		rte_tel_data_add_array_string(c, v);
		snprintf(v, sizeof(v), "%llu", (unsigned long long)other);
		rte_tel_data_add_array_string(c, v);
		snprintf(key, sizeof(key), "s%u", i);
		if (rte_tel_data_add_dict_container(d, key, c, 0) != 0)
			rte_tel_data_free(c);
	}
	pthread_mutex_unlock(&tel_node->ctl->lock);
	return 0;
}

static void
hex(char *out, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

static int
tel_dht(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct vx0_ctl *ctl = tel_node->ctl;
	struct vx0_dht_stats st;
	struct vx0_dht *dht;
	uint64_t published;
	char h[80];

	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	pthread_mutex_lock(&ctl->lock);
	dht = vx0_ctl_dht_node(ctl, &published);
	rte_tel_data_add_dict_string(d, "enabled", dht ? "yes" : "no");
	if (dht) {
		vx0_dht_get_stats(dht, &st);
		hex(h, vx0_dht_id(dht), VX0_DHT_ID_LEN);
		rte_tel_data_add_dict_string(d, "id", h);
		if (vx0_ctl_dht_identity(ctl)) {
			hex(h, vx0_ctl_dht_identity(ctl), 32);
			rte_tel_data_add_dict_string(d, "identity", h);
		}
		rte_tel_data_add_dict_u64(d, "table_nodes", st.table_nodes);
		rte_tel_data_add_dict_u64(d, "table_good", st.table_good);
		rte_tel_data_add_dict_u64(d, "table_buckets", st.table_buckets);
		rte_tel_data_add_dict_u64(d, "items", st.items);
		rte_tel_data_add_dict_u64(d, "infohashes", st.infohashes);
		rte_tel_data_add_dict_u64(d, "lookups_active", st.lookups_active);
		rte_tel_data_add_dict_u64(d, "rx_packets", st.rx_packets);
		rte_tel_data_add_dict_u64(d, "tx_packets", st.tx_packets);
		rte_tel_data_add_dict_u64(d, "rx_dropped", st.rx_dropped);
		rte_tel_data_add_dict_u64(d, "rx_queries", st.rx_queries);
		rte_tel_data_add_dict_u64(d, "timeouts", st.timeouts);
		rte_tel_data_add_dict_u64(d, "descriptors_published", published);
	}
	pthread_mutex_unlock(&ctl->lock);
	return 0;
}

static int
tel_ike(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct vx0_ctl *ctl = tel_node->ctl;
	uint64_t up, down, rekeys, errors;
	unsigned int active;

	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	pthread_mutex_lock(&ctl->lock);
	rte_tel_data_add_dict_string(d, "enabled", ctl->ike ? "yes" : "no");
	vx0_ctl_ike_counts(ctl, &up, &down, &rekeys, &errors, &active);
	rte_tel_data_add_dict_u64(d, "child_sas_active", active);
	rte_tel_data_add_dict_u64(d, "child_sas_up", up);
	rte_tel_data_add_dict_u64(d, "child_sas_down", down);
	rte_tel_data_add_dict_u64(d, "child_sa_rekeys", rekeys);
	rte_tel_data_add_dict_u64(d, "install_errors", errors);
	pthread_mutex_unlock(&ctl->lock);
	return 0;
}

/* The capture: this one's state and counters, totals since the start */
static int
tel_capture(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct vx0_ctl_capture_stats s;

	(void)cmd;
	(void)params;
	pthread_mutex_lock(&tel_node->ctl->lock);
	vx0_ctl_capture_stats(tel_node->ctl, &s);
	pthread_mutex_unlock(&tel_node->ctl->lock);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "state", vx0_ctl_capture_state_name(s.state));
	rte_tel_data_add_dict_string(d, "point", s.point);
	rte_tel_data_add_dict_string(d, "format", vx0_capfile_format_name(s.format));
	rte_tel_data_add_dict_u64(d, "written", s.written);
	rte_tel_data_add_dict_u64(d, "filtered", s.filtered);
	rte_tel_data_add_dict_u64(d, "dropped_ring_full", s.drop_ring);
	rte_tel_data_add_dict_u64(d, "dropped_no_mbuf", s.drop_nombuf);
	rte_tel_data_add_dict_u64(d, "dropped_writer", s.drop_writer);
	rte_tel_data_add_dict_u64(d, "captures", s.captures);
	rte_tel_data_add_dict_u64(d, "total_written", s.total_written);
	rte_tel_data_add_dict_u64(d, "total_filtered", s.total_filtered);
	rte_tel_data_add_dict_u64(d, "total_dropped", s.total_drop_ring + s.total_drop_nombuf +
				  s.total_drop_writer);
	return 0;
}

int
vx0_telemetry_register(struct vx0_node *node)
{
	tel_node = node;
	if (rte_telemetry_register_cmd("/vx0/stats", tel_stats,
			"Per-stage packets, bytes, cycles; ICMP errors; mbufs in use") ||
	    rte_telemetry_register_cmd("/vx0/drops", tel_drops, "Drops by reason") ||
	    rte_telemetry_register_cmd("/vx0/punt", tel_punt,
			"Exception path: packets per class, policed") ||
	    rte_telemetry_register_cmd("/vx0/ports", tel_ports, "Port names") ||
	    rte_telemetry_register_cmd("/vx0/port", tel_port,
			"One port's counters. Parameters: port name") ||
	    rte_telemetry_register_cmd("/vx0/lcores", tel_lcores, "Lcore ids") ||
	    rte_telemetry_register_cmd("/vx0/lcore", tel_lcore,
			"One lcore's roles and loop counters. Parameters: lcore id") ||
	    rte_telemetry_register_cmd("/vx0/fib", tel_fib,
			"Route counts; with an address: the FIB lookup. Parameters: address") ||
	    rte_telemetry_register_cmd("/vx0/bgp", tel_bgp, "BGP speaker summary") ||
	    rte_telemetry_register_cmd("/vx0/bgp/neighbors", tel_bgp_neighbors,
			"p<id>: [address, state, remote AS, up s, received, accepted, advertised, last error]") ||
	    rte_telemetry_register_cmd("/vx0/bgp/route", tel_bgp_route,
			"RIB paths for a prefix (exact) or an address (longest match). Parameters: prefix or address") ||
	    rte_telemetry_register_cmd("/vx0/ike", tel_ike,
			"IKEv2: CHILD_SAs active, established, deleted, rekeyed") ||
	    rte_telemetry_register_cmd("/vx0/dht", tel_dht,
			"DHT node: id, identity, routing table, items, lookups, descriptor publishing") ||
	    rte_telemetry_register_cmd("/vx0/sa", tel_sa,
			"ESP SAs: s<i>: [spi, dir, alg, packets, bytes, replay drops, auth drops, other drops]") ||
	    rte_telemetry_register_cmd("/vx0/capture", tel_capture,
			"Packet capture: state, point, written, filtered, dropped; totals") ||
	    rte_telemetry_register_cmd("/vx0/neigh", tel_neigh, "Neighbour table: n<i>: [address, port, state, mac]") ||
	    vx0_onion_telemetry_register(node))
		return -EINVAL;
	return 0;
}

char *
vx0_stats_json(struct vx0_node *node)
{
	struct vx0_lcore_stats s;
	json_t *root = json_object(), *st = json_object(), *dr = json_object(),
	       *pt = json_object(), *pu = json_object();
	double secs;
	uint64_t end = node->stop_tsc ? node->stop_tsc : rte_rdtsc();
	char *out;

	vx0_node_stats_sum(node, &s);
	secs = (double)(end - node->start_tsc) / (double)node->tsc_hz;
	for (unsigned int i = 0; i < VX0_STAGE_MAX; i++)
		json_object_set_new(st, vx0_stage_name(i), json_pack("{sI sI sI sI}",
			"packets", (json_int_t)s.stage[i].pkts, "bytes", (json_int_t)s.stage[i].bytes,
			"out", (json_int_t)s.stage[i].out,
			"cycles_per_packet", (json_int_t)(s.stage[i].pkts ?
				s.stage[i].cycles / s.stage[i].pkts : 0)));
	for (unsigned int i = 1; i < VX0_DROP_MAX; i++)
		if (s.drops[i])
			json_object_set_new(dr, vx0_drop_name(i), json_integer((json_int_t)s.drops[i]));
	for (unsigned int i = 0; i < VX0_PUNT_MAX; i++)
		json_object_set_new(pu, vx0_punt_class_name(i), json_integer((json_int_t)s.punt[i]));
	for (unsigned int i = 0; i < node->n_ports; i++)
		json_object_set_new(pt, node->ports[i].name, json_pack("{sI sI sI}",
			"rx_packets", (json_int_t)s.port_rx[i], "tx_packets", (json_int_t)s.port_tx[i],
			"tx_dropped", (json_int_t)s.port_tx_drop[i]));
	json_object_set_new(root, "stages", st);
	json_object_set_new(root, "drops", dr);
	json_object_set_new(root, "punt", pu);
	json_object_set_new(root, "ports", pt);
	json_object_set_new(root, "icmp_errors_sent", json_integer((json_int_t)s.icmp_sent));
	json_object_set_new(root, "icmp_errors_rate_limited", json_integer((json_int_t)s.icmp_rate_limited));
	json_object_set_new(root, "mbufs_in_use", json_integer(vx0_node_mbufs_in_use(node)));
	json_object_set_new(root, "mbufs_total", json_integer(node->pool_size));
	json_object_set_new(root, "seconds", json_real(secs));
	json_object_set_new(root, "rx_active_seconds", json_real(vx0_node_rx_seconds(node)));
	json_object_set_new(root, "rx_mpps", json_real(vx0_node_rx_seconds(node) > 0 ?
		s.stage[VX0_STAGE_RX].pkts / vx0_node_rx_seconds(node) / 1e6 : 0));
	out = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(root);
	return out;
}
