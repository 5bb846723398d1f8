/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The exit role on the onion lcores (doc/onion.md section 9, README "Onion
 * relay"): a DATA message peeled at the last hop of a circuit on an exit
 * node passes the exit policy, its per-circuit meter (rte_meter, bytes),
 * gets its source rewritten to the NAT address and a port (ICMP echo: an
 * identifier) of the NAT range, and leaves through the FIB. Replies to a
 * NAT port are rewritten back and sealed into a cell under the circuit's
 * Kb (the counter of an END circuit is the data plane's) toward the client.
 *
 * No locks: the NAT ports are split between the onion workers (port %
 * workers), classify hands return traffic to the worker owning its port,
 * and a worker allocates only its own ports for the circuits whose forward
 * cells it sees. Each worker's mappings and its flow hash are its own.
 */
#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include "vx0_onion_dp.h"
#include "vx0_pipeline.h"

static int
proto_idx(uint8_t proto)
{
	return proto == IPPROTO_TCP ? 0 : proto == IPPROTO_UDP ? 1 :
	       (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6) ? 2 : -1;
}

/* Recompute the IPv4 header and the transport checksums after a rewrite
 * (TCP, UDP, ICMP, ICMPv6; the policy let nothing else through). */
void
vx0_onion_fix_checksums(uint8_t *ip, size_t len)
{
	uint16_t c;

	if ((ip[0] >> 4) == 4) {
		size_t hl = (size_t)(ip[0] & 0xf) * 4;
		uint8_t *l4 = ip + hl;
		size_t l4len = len - hl;

		ip[10] = ip[11] = 0;
		c = vx0_pkt_ipv4_csum(ip, hl);
		ip[10] = (uint8_t)(c >> 8);
		ip[11] = (uint8_t)c;
		if (ip[9] == IPPROTO_ICMP) {
			l4[2] = l4[3] = 0;
			c = (uint16_t)~vx0_pkt_csum(l4, l4len);
			l4[2] = (uint8_t)(c >> 8);
			l4[3] = (uint8_t)c;
			return;
		}
		{
			size_t off = ip[9] == IPPROTO_TCP ? 16 : 6;

			l4[off] = l4[off + 1] = 0;
			c = vx0_pkt_l4_csum_ipv4(ip + 12, ip + 16, ip[9], l4, l4len);
			if (ip[9] == IPPROTO_UDP && c == 0)
				c = 0xffff;
			l4[off] = (uint8_t)(c >> 8);
			l4[off + 1] = (uint8_t)c;
		}
	} else {
		uint8_t *l4 = ip + 40;
		size_t l4len = len - 40, off = ip[6] == IPPROTO_TCP ? 16 :
					      ip[6] == IPPROTO_UDP ? 6 : 2;

		l4[off] = l4[off + 1] = 0;
		c = vx0_pkt_l4_csum_ipv6(ip + 8, ip + 24, ip[6], l4, l4len);
		if (ip[6] == IPPROTO_UDP && c == 0)
			c = 0xffff;
		l4[off] = (uint8_t)(c >> 8);
		l4[off + 1] = (uint8_t)c;
	}
}

/* The flow's port field: TCP/UDP source or destination port, ICMP echo id. */
static uint8_t *
flow_port(uint8_t *ip, uint8_t proto, bool dst)
{
	uint8_t *l4 = (ip[0] >> 4) == 4 ? ip + (ip[0] & 0xf) * 4 : ip + 40;

	if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6)
		return l4 + 4;
	return dst ? l4 + 2 : l4;
}

/* This worker's NAT port for the flow: the existing mapping, else a free
 * or idle one among the ports it owns. -1: none left. */
static int
nat_port(struct vx0_onion_dp *od, unsigned int w, const struct vx0_onion_nat_key *k, int pi,
	 uint64_t now)
{
	struct rte_hash *h = od->nat_h[w];
	uint32_t n = od->nat_n, step = od->n_workers;
	void *d;

	if (rte_hash_lookup_data(h, k, &d) >= 0) {
		od->nat[pi][(uintptr_t)d].last_tsc = now;
		return (int)(uintptr_t)d;
	}
	for (uint32_t tries = 0; tries < n; tries += step) {
		uint32_t i = od->nat_cursor[w][pi];
		struct vx0_onion_nat *m = &od->nat[pi][i];

		od->nat_cursor[w][pi] = i + step < n ? i + step : od->nat_first[w];
		if (m->used && now - m->last_tsc < od->nat_idle_tsc &&
		    vx0_onion_table_lookup(od->tab, m->k.link, m->k.circ, 0) != NULL)
			continue;
		if (m->used)
			rte_hash_del_key(h, &m->k);
		if (rte_hash_add_key_data(h, k, (void *)(uintptr_t)i) < 0)
			return -1;
		m->k = *k;
		m->used = 1;
		m->last_tsc = now;
		return (int)i;
	}
	return -1;
}

/* The node's own addresses are not the exit's to reach: its kernel, its
 * protocols and its NAT ports stay out of the clients' way. */
static bool
to_us(struct vx0_node *node, const uint8_t *ip, bool v4)
{
	const struct vx0_fib_nh *nh;
	uint32_t id, d;
	int rc;

	if (v4) {
		memcpy(&d, ip + 16, 4);
		rc = vx0_fib_lookup4(node->fib, rte_be_to_cpu_32(d), &id);
	} else {
		rc = vx0_fib_lookup6(node->fib, ip + 24, &id);
	}
	if (rc != 0)
		return false; /* no route: the FIB drops it */
	nh = vx0_fib_nh(node->fib, id);
	return __atomic_load_n(&nh->type, __ATOMIC_RELAXED) == VX0_NH_LOCAL;
}

int
vx0_onion_exit_out(struct vx0_lcore_ctx *lc, struct vx0_onion_dp *od, struct vx0_onion_dp_circ *c,
		   struct rte_mbuf *m, uint8_t *cell)
{
	struct vx0_onion_lcore_stats *s = &od->st[lc->lcore_id];
	uint8_t *pt = cell + VX0_ONION_LINK_HDR_LEN, *ip, *sp, *eth;
	struct vx0_onion_relay_msg msg;
	struct vx0_onion_nat_key k;
	uint64_t now = rte_rdtsc();
	size_t len;
	uint16_t nport;
	bool v4;
	int pi, slot;

	if (vx0_onion_relay_msg_parse(pt, VX0_ONION_FWD_PT_LEN, &msg) < 0 ||
	    msg.cmd != VX0_ONION_RELAY_DATA)
		return 1; /* not DATA: the slow path's */
	ip = pt + VX0_ONION_RELAY_HDR_LEN;
	len = msg.len;
	if (vx0_onion_exit_policy_check(&od->policy, ip, len) != 0) {
		c->exit_denied++;
		s->exit_denied++;
		vx0_drop(lc, m, VX0_DROP_ONION_POLICY);
		return -EACCES;
	}
	v4 = (ip[0] >> 4) == 4;
	pi = proto_idx(v4 ? ip[9] : ip[6]);
	if (pi < 0 || (v4 ? od->nat4 == 0 : !od->has_nat6) || to_us(lc->node, ip, v4)) {
		c->exit_denied++;
		s->exit_denied++;
		vx0_drop(lc, m, VX0_DROP_ONION_POLICY);
		return -EAFNOSUPPORT;
	}
	if (od->metered) {
		if (!c->meter_ready) {
			rte_meter_srtcm_config(&c->meter, &od->meter_prof);
			c->meter_ready = 1;
		}
		if (rte_meter_srtcm_color_blind_check(&c->meter, &od->meter_prof, now,
						      (uint32_t)len) == RTE_COLOR_RED) {
			c->exit_policed++;
			s->exit_policed++;
			vx0_drop(lc, m, VX0_DROP_ONION_POLICY);
			return -ENOBUFS;
		}
	}
	memset(&k, 0, sizeof(k));
	k.link = c->in_link;
	k.circ = c->in_circ;
	k.family = v4 ? 4 : 6;
	k.proto = v4 ? ip[9] : ip[6];
	memcpy(k.addr, v4 ? ip + 12 : ip + 8, v4 ? 4 : 16);
	sp = flow_port(ip, k.proto, false);
	k.port = (uint16_t)(sp[0] << 8 | sp[1]);
	slot = nat_port(od, lc->onion_idx, &k, pi, now);
	if (slot < 0) {
		s->exit_nat_full++;
		vx0_drop(lc, m, VX0_DROP_ONION_POLICY);
		return -ENOSPC;
	}
	nport = (uint16_t)(od->nat_lo + slot);
	if (v4)
		memcpy(ip + 12, &od->nat4, 4);
	else
		memcpy(ip + 8, od->nat6, 16);
	sp[0] = (uint8_t)(nport >> 8);
	sp[1] = (uint8_t)nport;
	vx0_onion_fix_checksums(ip, len);
	/* the packet becomes the frame: an Ethernet header in front of it */
	rte_pktmbuf_adj(m, (uint16_t)(ip - rte_pktmbuf_mtod(m, uint8_t *) - RTE_ETHER_HDR_LEN));
	rte_pktmbuf_trim(m, (uint16_t)(m->data_len - RTE_ETHER_HDR_LEN - len));
	eth = rte_pktmbuf_mtod(m, uint8_t *);
	rte_ether_addr_copy(&lc->node->ports[0].mac, (struct rte_ether_addr *)eth);
	memset(eth + 6, 0, 6);
	eth[12] = v4 ? 0x08 : 0x86;
	eth[13] = v4 ? 0x00 : 0xdd;
	vx0_meta(lc->node, m)->in_port = 0;
	c->exit_pkts_out++;
	c->exit_bytes_out += len;
	s->exit_out++;
	return 0;
}

int
vx0_onion_exit_in(struct vx0_lcore_ctx *lc, struct vx0_onion_dp *od, struct rte_mbuf *m,
		  uint8_t **cell_out, struct vx0_onion_dp_circ **circ_out)
{
	struct vx0_onion_lcore_stats *s = &od->st[lc->lcore_id];
	struct vx0_pkt_meta *meta = vx0_meta(lc->node, m);
	uint8_t *ip = rte_pktmbuf_mtod_offset(m, uint8_t *, meta->l2_len), *dp, *cell, *body;
	size_t len = meta->ip_len;
	bool v4 = meta->l3_type == VX0_L3_IPV4;
	int pi = proto_idx(meta->l4_proto);
	struct vx0_onion_dp_circ *c;
	struct vx0_onion_nat *nm;
	uint16_t port;

	if (pi < 0 || len > VX0_ONION_BWD_DATA_MAX || m->data_len < meta->l2_len + len)
		goto drop;
	dp = flow_port(ip, meta->l4_proto, true);
	port = (uint16_t)(dp[0] << 8 | dp[1]);
	if (port < od->nat_lo || port > od->nat_hi)
		goto drop;
	nm = &od->nat[pi][port - od->nat_lo];
	if (!nm->used || nm->k.family != (v4 ? 4 : 6))
		goto drop;
	c = vx0_onion_table_lookup(od->tab, nm->k.link, nm->k.circ, 0);
	if (c == NULL || __atomic_load_n(&c->role, __ATOMIC_ACQUIRE) != VX0_ONION_ROLE_END)
		goto drop;
	nm->last_tsc = rte_rdtsc();
	memcpy(v4 ? ip + 16 : ip + 24, nm->k.addr, v4 ? 4 : 16);
	dp[0] = (uint8_t)(nm->k.port >> 8);
	dp[1] = (uint8_t)nm->k.port;
	vx0_onion_fix_checksums(ip, len);
	/* seal in place: the packet is the relay message's data, so the cell
	 * starts 8 + 24 + 4 bytes before it (headroom), and ends in the
	 * mbuf's room after it (a data room holds a whole cell) */
	cell = ip - VX0_ONION_LINK_HDR_LEN - VX0_ONION_HOP_HDR_LEN - VX0_ONION_RELAY_HDR_LEN;
	if (cell < (uint8_t *)m->buf_addr + RTE_ETHER_HDR_LEN + 40 + 8 ||
	    cell + VX0_ONION_CELL_LEN > (uint8_t *)m->buf_addr + m->buf_len)
		goto drop;
	m->data_off = (uint16_t)(cell - (uint8_t *)m->buf_addr);
	m->data_len = m->pkt_len = VX0_ONION_CELL_LEN;
	body = cell + VX0_ONION_LINK_HDR_LEN;
	cell[0] = VX0_ONION_VERSION;
	cell[1] = VX0_ONION_CMD_RELAY;
	cell[3] = 0;
	body[VX0_ONION_HOP_HDR_LEN] = VX0_ONION_RELAY_DATA;
	body[VX0_ONION_HOP_HDR_LEN + 1] = 0;
	body[VX0_ONION_HOP_HDR_LEN + 2] = (uint8_t)(len >> 8);
	body[VX0_ONION_HOP_HDR_LEN + 3] = (uint8_t)len;
	memset(body + VX0_ONION_HOP_HDR_LEN + VX0_ONION_RELAY_HDR_LEN + len, 0,
	       VX0_ONION_BODY_LEN - VX0_ONION_HOP_HDR_LEN - VX0_ONION_RELAY_HDR_LEN - len);
	vx0_onion_layer_originate(c->kb, ++c->bseq, body);
	c->exit_pkts_in++;
	c->exit_bytes_in += len;
	s->exit_in++;
	*cell_out = cell;
	*circ_out = c;
	return 0;
drop:
	s->exit_no_mapping++;
	vx0_drop(lc, m, VX0_DROP_ONION_NO_CIRCUIT);
	return -ENOENT;
}

int
vx0_onion_exit_setup(struct vx0_onion_dp *od, const struct vx0_onion_exit_policy *policy,
		     unsigned int n_workers, uint64_t rate_bytes, uint64_t burst_bytes,
		     uint32_t idle_s, uint64_t tsc_hz)
{
	char name[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters hp = {
		.name = name, .key_len = sizeof(struct vx0_onion_nat_key),
		.hash_func = rte_hash_crc, .socket_id = (int)rte_socket_id(),
	};

	od->policy = *policy;
	od->n_workers = n_workers ? n_workers : 1;
	od->nat_n = (uint32_t)od->nat_hi - od->nat_lo + 1;
	od->nat_idle_tsc = (uint64_t)idle_s * tsc_hz;
	for (int p = 0; p < VX0_ONION_NAT_PROTOS; p++) {
		od->nat[p] = rte_zmalloc("vx0_onion_nat", sizeof(struct vx0_onion_nat) * od->nat_n,
					 RTE_CACHE_LINE_SIZE);
		if (od->nat[p] == NULL)
			return -ENOMEM;
	}
	for (unsigned int w = 0; w < od->n_workers; w++) {
		/* the first port index this worker owns: (nat_lo + i) % n == w */
		uint32_t first = (w + od->n_workers - od->nat_lo % od->n_workers) % od->n_workers;

		if (first >= od->nat_n)
			return -ERANGE; /* fewer NAT ports than workers */
		od->nat_first[w] = first;
		for (int p = 0; p < VX0_ONION_NAT_PROTOS; p++)
			od->nat_cursor[w][p] = first;
		snprintf(name, sizeof(name), "vx0_nat%u", w);
		hp.entries = RTE_MAX(od->nat_n / od->n_workers * VX0_ONION_NAT_PROTOS, 64u);
		od->nat_h[w] = rte_hash_create(&hp);
		if (od->nat_h[w] == NULL)
			return -ENOMEM;
	}
	if (rate_bytes) {
		struct rte_meter_srtcm_params mp = { .cir = rate_bytes, .cbs = burst_bytes, .ebs = 0 };

		if (rte_meter_srtcm_profile_config(&od->meter_prof, &mp) != 0)
			return -EINVAL;
		od->metered = true;
	}
	return 0;
}

void
vx0_onion_exit_free(struct vx0_onion_dp *od)
{
	for (int p = 0; p < VX0_ONION_NAT_PROTOS; p++)
		rte_free(od->nat[p]);
	for (unsigned int w = 0; w < VX0_MAX_WORKERS; w++)
		rte_hash_free(od->nat_h[w]);
}
