/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rx + classify + forward: parse once into the metadata, then send each
 * packet to its next stage. Transit packets get their FIB lookup, TTL
 * decrement and L2 rewrite here and go straight to the output port: its
 * TX queue when this lcore owns it (run to completion, no ring), else its
 * TX ring.
 */
#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_hash_crc.h>
#include <rte_ip.h>
#include <rte_prefetch.h>

#include "vx0_onion_dp.h"
#include "vx0_pipeline.h"

#define RX_PREFETCH 4 /* packets ahead */
_Static_assert(VX0_BURST <= 64, "the fast path keeps a 64-bit mask per burst");

struct rx_out {
	struct rte_mbuf *tx[VX0_MAX_PORTS][VX0_BURST];
	uint16_t n_tx[VX0_MAX_PORTS];
	struct rte_mbuf *cr[VX0_MAX_WORKERS][VX0_BURST];
	uint16_t n_cr[VX0_MAX_WORKERS];
	struct rte_mbuf *on[VX0_BURST];  /* onion cells / exit return traffic */
	uint16_t n_on;
};

void
vx0_punt(struct vx0_lcore_ctx *lc, struct rte_mbuf *m, unsigned int cls)
{
	struct vx0_node *node = lc->node;

	if (rte_meter_srtcm_color_blind_check(&lc->punt_meter[cls],
					      cls == VX0_PUNT_PEER ? &node->peer_prof : &node->punt_prof,
					      rte_rdtsc(), 1) == RTE_COLOR_RED) {
		vx0_drop(lc, m, VX0_DROP_PUNT_POLICED);
		return;
	}
	vx0_meta(node, m)->stage = (uint8_t)cls;
	if (rte_ring_mp_enqueue(node->punt_ring, m) != 0) {
		vx0_drop(lc, m, VX0_DROP_RING_FULL);
		return;
	}
	lc->stats.punt[cls]++;
}

void
vx0_tx_enqueue(struct vx0_lcore_ctx *lc, uint16_t port_idx, struct rte_mbuf **pkts,
	       unsigned int n)
{
	unsigned int done;

	if (n == 0)
		return;
	done = rte_ring_mp_enqueue_burst(lc->node->ports[port_idx].tx_ring,
					 (void **)pkts, n, NULL);
	for (unsigned int i = done; i < n; i++)
		vx0_drop(lc, pkts[i], VX0_DROP_RING_FULL);
}

/* The transport header, left by the fast parse for packets we only
 * forward, is needed for what is ours and for ICMP errors. false: m was
 * dropped with the reason the full parse gives. */
static inline bool
need_l4(struct vx0_lcore_ctx *lc, struct rte_mbuf *m, struct vx0_pkt_meta *meta)
{
	int r;

	if (likely(meta->l4_len != VX0_PKT_L4_PENDING))
		return true;
	r = vx0_pkt_parse_l4(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len, meta);
	if (unlikely(r != VX0_PKT_OK)) {
		vx0_drop(lc, m, (unsigned int)r);
		return false;
	}
	return true;
}

/* Ask the slow path for an ICMP error about m (m itself is then consumed). */
static inline void
icmp_error(struct vx0_lcore_ctx *lc, struct rte_mbuf *m, struct vx0_pkt_meta *meta,
	   uint8_t type, uint8_t code, uint32_t arg, unsigned int reason)
{
	if (!need_l4(lc, m, meta))
		return;
	lc->stats.drops[reason]++;
	meta->aux = (uint16_t)(type << 8 | code);
	meta->next_hop = arg;
	vx0_punt(lc, m, VX0_PUNT_ICMP_ERR);
}

static inline bool
is_nd(const struct vx0_pkt_meta *meta)
{
	return meta->l4_proto == IPPROTO_ICMPV6 && meta->sport >= 133 && meta->sport <= 137;
}

static inline void
to_local(struct vx0_lcore_ctx *lc, struct rx_out *o, struct rte_mbuf *m,
	 struct vx0_pkt_meta *meta)
{
	struct vx0_node *node = lc->node;

	if (!need_l4(lc, m, meta))
		return;
	if (meta->l4_proto == IPPROTO_ESP || (meta->flags & VX0_PKT_F_ESP_UDP)) {
		unsigned int w;

		if (node->n_crypto == 0) {
			vx0_drop(lc, m, VX0_DROP_ESP_NO_SA);
			return;
		}
		/* flow affinity: one SA, one crypto lcore, so the replay
		 * window needs no lock and order holds */
		w = rte_hash_crc_4byte(meta->spi, 0) % node->n_crypto;
		meta->stage = VX0_CRYPTO_DIR_IN;
		o->cr[w][o->n_cr[w]++] = m;
		return;
	}
	if (meta->l3_type == VX0_L3_IPV6 && is_nd(meta)) {
		vx0_punt(lc, m, VX0_PUNT_ND);
		return;
	}
	if (node->n_onion && __atomic_load_n(&node->onion, __ATOMIC_ACQUIRE)) {
		const uint8_t *l3 = rte_pktmbuf_mtod_offset(m, const uint8_t *, meta->l2_len);

		if (vx0_onion_dp_wants(node->onion, meta, l3)) {
			o->on[o->n_on++] = m;
			return;
		}
	}
	/* control-plane policing: a BGP or IKE session's segments don't
	 * share the budget a flood of other local traffic exhausts */
	if (vx0_peer_set_has(__atomic_load_n(&node->peers, __ATOMIC_ACQUIRE),
			     meta->l3_type == VX0_L3_IPV6,
			     rte_pktmbuf_mtod_offset(m, const uint8_t *, meta->l2_len)))
		vx0_punt(lc, m, VX0_PUNT_PEER);
	else
		vx0_punt(lc, m, VX0_PUNT_LOCAL);
}

/* Into an outbound SA: the crypto lcore that owns the SA encrypts it. */
static inline void
to_crypto_out(struct vx0_lcore_ctx *lc, struct rx_out *o, struct rte_mbuf *m,
	      struct vx0_pkt_meta *meta, uint32_t sa_id)
{
	struct vx0_node *node = lc->node;
	unsigned int w;

	if (node->n_crypto == 0) {
		vx0_drop(lc, m, VX0_DROP_ESP_NO_SA);
		return;
	}
	w = sa_id % node->n_crypto;
	meta->stage = VX0_CRYPTO_DIR_OUT;
	meta->next_hop = sa_id;
	o->cr[w][o->n_cr[w]++] = m;
}

static __rte_always_inline void
dec_ttl(const struct vx0_pkt_meta *meta, uint8_t *l3, unsigned int flags)
{
	if (flags & VX0_CLS_LOCAL_ORIGIN)
		return;
	if (meta->l3_type == VX0_L3_IPV4)
		vx0_pkt_ipv4_dec_ttl(l3);
	else
		vx0_pkt_ipv6_dec_hlim(l3);
}

static __rte_always_inline void
forward(struct vx0_lcore_ctx *lc, struct rx_out *o, struct rte_mbuf *m,
	struct vx0_pkt_meta *meta, uint32_t nh_id, unsigned int flags)
{
	struct vx0_node *node = lc->node;
	const struct vx0_fib_nh *nh = vx0_fib_nh(node->fib, nh_id);
	uint8_t *l3 = rte_pktmbuf_mtod_offset(m, uint8_t *, meta->l2_len);
	uint8_t type = __atomic_load_n(&nh->type, __ATOMIC_RELAXED);
	struct rte_ether_hdr *eth;
	const struct vx0_port *out;
	uint64_t l2;

	if (unlikely(type == VX0_NH_LOCAL)) {
		to_local(lc, o, m, meta);
		return;
	}
	if (unlikely(type != VX0_NH_FWD && type != VX0_NH_GLEAN && type != VX0_NH_TUNNEL)) {
		vx0_drop(lc, m, VX0_DROP_BLACKHOLE);
		return;
	}
	/* our own packets (an ESP tunnel's outer header) keep the TTL they
	 * were built with; transit ones need one hop left */
	if (unlikely(meta->ttl <= 1 && !(flags & VX0_CLS_LOCAL_ORIGIN))) {
		icmp_error(lc, m, meta, meta->l3_type == VX0_L3_IPV4 ? 11 : 3, 0, 0,
			   VX0_DROP_TTL_EXPIRED);
		return;
	}
	if (unlikely(type == VX0_NH_TUNNEL)) {
		dec_ttl(meta, l3, flags);
		to_crypto_out(lc, o, m, meta, nh->sa_id);
		return;
	}
	out = &node->ports[nh->port];
	if (unlikely(meta->ip_len > out->mtu)) {
		if (meta->l3_type == VX0_L3_IPV6)
			icmp_error(lc, m, meta, 2, 0, out->mtu, VX0_DROP_MTU);
		else if (l3[6] & 0x40) /* DF */
			icmp_error(lc, m, meta, 3, 4, out->mtu, VX0_DROP_MTU);
		else
			vx0_drop(lc, m, VX0_DROP_MTU);
		return;
	}
	dec_ttl(meta, l3, flags);
	l2 = type == VX0_NH_FWD ? vx0_fib_nh_l2(nh) : 0;
	if (unlikely(!(l2 & VX0_NH_L2_VALID))) {
		/* the slow path resolves and sends it; the TTL is already done */
		meta->next_hop = nh_id;
		vx0_punt(lc, m, VX0_PUNT_RESOLVE);
		return;
	}
	/* drop any VLAN tags: we forward untagged */
	if (unlikely(meta->l2_len != RTE_ETHER_HDR_LEN)) {
		rte_pktmbuf_adj(m, meta->l2_len - RTE_ETHER_HDR_LEN);
		meta->l2_len = RTE_ETHER_HDR_LEN;
	}
	eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	memcpy(&eth->dst_addr, &l2, RTE_ETHER_ADDR_LEN);
	rte_ether_addr_copy(&out->mac, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(meta->l3_type == VX0_L3_IPV4 ?
					   RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6);
	o->tx[nh->port][o->n_tx[nh->port]++] = m;
}

/*
 * The transit fast path's second half, for a frame vx0_pkt_fast_l3 took
 * (so no metadata was written): the common case only — a forwarding next
 * hop with its MAC known, a hop left, within the port's MTU — straight to
 * the output list. false: nothing was changed, and the caller fills the
 * metadata and takes the general path, which handles every other case.
 */
static __rte_always_inline bool
fast_forward(struct vx0_lcore_ctx *lc, struct rx_out *o, struct rte_mbuf *m, bool hit,
	     uint32_t nh_id, bool v6)
{
	struct vx0_node *node = lc->node;
	uint8_t *eth = rte_pktmbuf_mtod(m, uint8_t *);
	uint8_t *l3 = eth + RTE_ETHER_HDR_LEN;
	const struct vx0_fib_nh *nh;
	const struct vx0_port *out;
	uint32_t ip_len;
	uint64_t l2;
	uint16_t v;

	if (unlikely(!hit))
		return false;
	nh = vx0_fib_nh(node->fib, nh_id);
	if (unlikely(__atomic_load_n(&nh->type, __ATOMIC_RELAXED) != VX0_NH_FWD))
		return false;
	l2 = vx0_fib_nh_l2(nh);
	out = &node->ports[nh->port];
	memcpy(&v, l3 + (v6 ? 4 : 2), 2);
	ip_len = rte_be_to_cpu_16(v) + (v6 ? 40u : 0u);
	if (unlikely(!(l2 & VX0_NH_L2_VALID) || l3[v6 ? 7 : 8] <= 1 || ip_len > out->mtu))
		return false;
	if (v6)
		vx0_pkt_ipv6_dec_hlim(l3);
	else
		vx0_pkt_ipv4_dec_ttl(l3);
	/* the MAC is l2's low 48 bits in wire order; its top two bytes land
	 * where the source MAC then goes */
	memcpy(eth, &l2, sizeof(l2));
	rte_ether_addr_copy(&out->mac, (struct rte_ether_addr *)(eth + RTE_ETHER_ADDR_LEN));
	o->tx[nh->port][o->n_tx[nh->port]++] = m;
	return true;
}

/* A fast-path frame leaving it: the metadata the general path needs
 * (vx0_pkt_fast_l3 took it as IPv4 or IPv6: nothing to check again). */
static inline struct vx0_pkt_meta *
fast_meta(const struct vx0_node *node, struct rte_mbuf *m, uint16_t port_idx, bool v6)
{
	struct vx0_pkt_meta *meta = vx0_meta(node, m);

	vx0_pkt_meta_l3(rte_pktmbuf_mtod(m, const uint8_t *),
			v6 ? VX0_L3_IPV6 : VX0_L3_IPV4, meta);
	meta->in_port = (uint8_t)port_idx;
	return meta;
}

/* After the lookup: the fast path's frames that it finishes, every other
 * one through the general path (no route: ICMP unreachable). */
static __rte_always_inline void
route(struct vx0_lcore_ctx *lc, struct rx_out *o, struct rte_mbuf *m, bool fast, bool hit,
      uint32_t nh, bool v6, uint16_t port_idx, unsigned int flags)
{
	struct vx0_pkt_meta *meta;

	if (fast) {
		if (likely(fast_forward(lc, o, m, hit, nh, v6)))
			return;
		meta = fast_meta(lc->node, m, port_idx, v6);
	} else {
		meta = vx0_meta(lc->node, m);
	}
	if (unlikely(!hit))
		icmp_error(lc, m, meta, v6 ? 1 : 3, 0, 0, VX0_DROP_NO_ROUTE);
	else
		forward(lc, o, m, meta, nh, flags);
}

void
vx0_stage_rx(struct vx0_lcore_ctx *lc, uint16_t port_idx, struct rte_mbuf **pkts,
	     uint16_t n)
{
	lc->stats.port_rx[port_idx] += n;
	vx0_capture_tap(&lc->node->cap, VX0_STAGE_RX, VX0_CAP_IN, port_idx, pkts, n);
	vx0_classify(lc, port_idx, pkts, n, 0);
}

void
vx0_classify(struct vx0_lcore_ctx *lc, uint16_t port_idx, struct rte_mbuf **pkts,
	     uint16_t n, unsigned int flags)
{
	struct vx0_node *node = lc->node;
	const struct vx0_port *port = &node->ports[port_idx];
	struct vx0_stage_stats *st = &lc->stats.stage[VX0_STAGE_RX];
	const struct vx0_fib *fib = node->fib;
	struct rte_mbuf *v4[VX0_BURST], *v6[VX0_BURST];
	uint32_t v4_dst[VX0_BURST], v4_nh[VX0_BURST];
	uint8_t v6_dst[VX0_BURST][16];
	uint32_t v6_nh[VX0_BURST];
	unsigned int n4 = 0, n6 = 0;
	uint64_t fast4 = 0, fast6 = 0; /* which of v4[] / v6[] took the fast path */
	struct rx_out o;
	uint64_t t0 = rte_rdtsc(), bytes = 0;
	bool cap_on;

	memset(o.n_tx, 0, sizeof(o.n_tx));
	memset(o.n_cr, 0, sizeof(o.n_cr));
	o.n_on = 0;
	st->pkts += n;
	st->bursts++;
	/* the parse's first loads are each packet's headers and its metadata
	 * (the mbuf's second cache line): start them a few packets ahead */
	for (uint16_t i = 0; i < RTE_MIN(n, (uint16_t)RX_PREFETCH); i++) {
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
		rte_prefetch0(vx0_meta(node, pkts[i]));
	}
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct vx0_pkt_meta *meta = vx0_meta(node, m);
		const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
		unsigned int t;
		bool ours;
		int r;

		if (i + RX_PREFETCH < n) {
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + RX_PREFETCH], void *));
			rte_prefetch0(vx0_meta(node, pkts[i + RX_PREFETCH]));
		}

		bytes += m->pkt_len; /* in a register: one store per burst */
		if (unlikely(m->nb_segs != 1)) {
			vx0_drop(lc, m, VX0_DROP_MULTISEG);
			continue;
		}
		/* transit fast path: a common frame to our MAC from the wire
		 * goes to the lookup without metadata */
		ours = rte_is_same_ether_addr((const struct rte_ether_addr *)d, &port->mac);
		t = vx0_pkt_fast_l3(d, m->data_len);
		if (likely(flags == 0) && likely(ours)) {
			if (likely(t == VX0_L3_IPV4)) {
				uint32_t a;

				memcpy(&a, d + RTE_ETHER_HDR_LEN + 16, 4);
				fast4 |= 1ull << n4;
				v4_dst[n4] = rte_be_to_cpu_32(a);
				v4[n4++] = m;
				continue;
			}
			if (t == VX0_L3_IPV6) {
				memcpy(v6_dst[n6], d + RTE_ETHER_HDR_LEN + 24, 16);
				vx0_fib6_prefetch(fib, v6_dst[n6]);
				fast6 |= 1ull << n6;
				v6[n6++] = m;
				continue;
			}
		}
		/* a frame the fast check took gets its metadata as is;
		 * anything else (and every drop reason) takes the full parse */
		if (t != VX0_L3_NONE) {
			vx0_pkt_meta_l3(d, t, meta);
		} else {
			r = vx0_pkt_parse(d, m->data_len, meta);
			if (unlikely(r != VX0_PKT_OK)) {
				vx0_drop(lc, m, (unsigned int)r);
				continue;
			}
		}
		meta->in_port = (uint8_t)port_idx;
		if (!(meta->flags & VX0_PKT_F_L2_MCAST) && unlikely(!ours)) {
			vx0_drop(lc, m, VX0_DROP_L2_NOT_OURS);
			continue;
		}
		switch (meta->l3_type) {
		case VX0_L3_ARP:
			vx0_punt(lc, m, VX0_PUNT_ARP);
			break;
		case VX0_L3_IPV4:
			if (unlikely(meta->flags & VX0_PKT_F_L3_MCAST)) {
				vx0_drop(lc, m, VX0_DROP_L3_MCAST);
				break;
			}
			v4[n4] = m;
			memcpy(&v4_dst[n4], d + meta->l2_len + 16, 4); /* may be unaligned (VLAN) */
			v4_dst[n4] = rte_be_to_cpu_32(v4_dst[n4]);
			n4++;
			break;
		case VX0_L3_IPV6:
			if (unlikely(meta->flags & VX0_PKT_F_L3_MCAST)) {
				if (is_nd(meta))
					vx0_punt(lc, m, VX0_PUNT_ND);
				else
					vx0_drop(lc, m, VX0_DROP_L3_MCAST);
				break;
			}
			v6[n6] = m;
			memcpy(v6_dst[n6], d + meta->l2_len + 24, 16);
			n6++;
			break;
		default:
			vx0_drop(lc, m, VX0_DROP_ETHERTYPE);
			break;
		}
	}
	st->bytes += bytes;
	if (n4) {
		/* The FIB is far bigger than the caches: load the first-level
		 * entries of the whole burst back to back (their misses overlap)
		 * and start the second-level loads of the extended ones; the
		 * lookups proper then mostly hit. (A first-level prefetch pass
		 * before the parse paid off with 4 KiB pages; with the table in
		 * 2 MiB pages it cost ~5 % more than it saved.) */
		for (unsigned int i = 0; i < n4; i++)
			vx0_fib4_prefetch2(fib, v4_dst[i]);
		vx0_fib_lookup4_bulk(fib, v4_dst, v4_nh, n4);
		for (unsigned int i = 0; i < n4; i++)
			route(lc, &o, v4[i], fast4 >> i & 1, v4_nh[i] & VX0_FIB4_VALID,
			      v4_nh[i] & VX0_FIB4_NH_MASK, false, port_idx, flags);
	}
	if (n6) {
		vx0_fib_lookup6_bulk(fib, (const uint8_t (*)[16])v6_dst, v6_nh, n6);
		for (unsigned int i = 0; i < n6; i++)
			route(lc, &o, v6[i], fast6 >> i & 1, v6_nh[i] & VX0_FIB6_VALID,
			      v6_nh[i] & VX0_FIB6_NH_MASK, true, port_idx, flags);
	}
	cap_on = vx0_capture_on(&node->cap); /* tap stage:rx:out, checked once */
	for (unsigned int w = 0; w < node->n_crypto; w++) {
		unsigned int k;

		if (o.n_cr[w] == 0)
			continue;
		if (cap_on)
			vx0_capture_copy(&node->cap, VX0_STAGE_RX, VX0_CAP_OUT, port_idx, o.cr[w], o.n_cr[w]);
		k = rte_ring_mp_enqueue_burst(node->crypto_ring[w], (void **)o.cr[w],
					      o.n_cr[w], NULL);
		st->out += k;
		for (unsigned int i = k; i < o.n_cr[w]; i++)
			vx0_drop(lc, o.cr[w][i], VX0_DROP_RING_FULL);
	}
	for (unsigned int i = 0; i < o.n_on; i++) {
		/* flow affinity: one circuit direction, one onion lcore */
		struct rte_mbuf *m = o.on[i];
		struct vx0_pkt_meta *meta = vx0_meta(node, m);
		unsigned int w = vx0_onion_dp_worker(node->onion, meta,
			rte_pktmbuf_mtod_offset(m, const uint8_t *, meta->l2_len), node->n_onion);

		if (rte_ring_mp_enqueue(node->onion_ring[w], m) != 0)
			vx0_drop(lc, m, VX0_DROP_RING_FULL);
		else
			st->out++;
	}
	st->cycles += rte_rdtsc() - t0; /* the TX stage counts its own */
	for (unsigned int p = 0; p < node->n_ports; p++) {
		if (o.n_tx[p] == 0)
			continue;
		st->out += o.n_tx[p];
		if (cap_on)
			vx0_capture_copy(&node->cap, VX0_STAGE_RX, VX0_CAP_OUT, port_idx, o.tx[p], o.n_tx[p]);
		/* run to completion when this lcore owns the port's queue */
		if (lc->direct_tx & (1ull << p))
			vx0_tx_send(lc, (uint16_t)p, o.tx[p], o.n_tx[p]);
		else
			vx0_tx_enqueue(lc, (uint16_t)p, o.tx[p], o.n_tx[p]);
	}
}
