/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * onion: cells of installed circuits, one ring per onion lcore (doc/onion.md
 * 6.3). A forward cell (from the previous hop) is peeled — its layer
 * verified and removed — and sent on under the next hop's circuit id; a
 * backward cell (from the next hop) gets this hop's layer and goes back
 * under the previous hop's id. The new outer IP/UDP header is built here
 * and the packet takes the FIB as our own (so a link that is an ESP tunnel
 * route goes through the crypto stage). Everything else a relay must think
 * about goes to the slow path: handshakes (CREATE) on a low-priority ring,
 * other control cells, peeled cells meant for this hop, failures and exit
 * return traffic on a high-priority one.
 */
#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_hash_crc.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "vx0_onion_dp.h"
#include "vx0_pipeline.h"

static inline const uint8_t *
src_addr(const struct vx0_pkt_meta *meta, const uint8_t *l3)
{
	return meta->l3_type == VX0_L3_IPV4 ? l3 + 12 : l3 + 8;
}

static inline bool
is_nat_port(const struct vx0_onion_dp *od, uint16_t p)
{
	return p >= od->nat_lo && p <= od->nat_hi;
}

bool
vx0_onion_dp_wants(const struct vx0_onion_dp *od, const struct vx0_pkt_meta *meta,
		   const uint8_t *l3)
{
	const uint8_t *dst;

	if (meta->flags & (VX0_PKT_F_FRAG | VX0_PKT_F_IP_OPTS))
		return false;
	if (meta->l4_proto == IPPROTO_UDP && meta->dport == od->port)
		return true;
	if (!od->exit)
		return false;
	dst = meta->l3_type == VX0_L3_IPV4 ? l3 + 16 : l3 + 24;
	if (meta->l3_type == VX0_L3_IPV4 ? (od->nat4 == 0 || memcmp(dst, &od->nat4, 4) != 0)
					 : (!od->has_nat6 || memcmp(dst, od->nat6, 16) != 0))
		return false;
	switch (meta->l4_proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
		return is_nat_port(od, meta->dport);
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6: {
		/* echo replies to a NAT'ed identifier (the parser puts the type in sport) */
		const uint8_t *icmp = l3 + meta->l3_len;
		uint16_t id;

		if (meta->sport != (meta->l4_proto == IPPROTO_ICMP ? 0 : 129) || meta->l4_len < 8)
			return false;
		id = (uint16_t)(icmp[4] << 8 | icmp[5]);
		return is_nat_port(od, id);
	}
	default:
		return false;
	}
}

unsigned int
vx0_onion_dp_worker(const struct vx0_onion_dp *od, const struct vx0_pkt_meta *meta,
		    const uint8_t *l3, unsigned int n_workers)
{
	uint32_t h, circ = 0;

	if (n_workers <= 1)
		return 0;
	if (meta->l4_proto == IPPROTO_UDP && meta->dport == od->port &&
	    meta->ip_len >= meta->l3_len + 8u + VX0_ONION_LINK_HDR_LEN) {
		const uint8_t *cell = l3 + meta->l3_len + 8;

		circ = (uint32_t)cell[4] << 24 | (uint32_t)cell[5] << 16 | (uint32_t)cell[6] << 8 | cell[7];
	} else if (meta->l4_proto == IPPROTO_ICMP || meta->l4_proto == IPPROTO_ICMPV6) {
		/* exit echo replies: the worker that owns the identifier */
		const uint8_t *icmp = l3 + meta->l3_len;

		return (unsigned int)(icmp[4] << 8 | icmp[5]) % n_workers;
	} else {
		/* exit return traffic: the worker that owns the NAT port */
		return meta->dport % n_workers;
	}
	{
		/* the address sits at any alignment in the frame */
		uint32_t a[4];
		size_t n = meta->l3_type == VX0_L3_IPV4 ? 4 : 16;

		memcpy(a, src_addr(meta, l3), n);
		h = rte_hash_crc(a, (uint32_t)n, circ);
	}
	h = rte_hash_crc_2byte(meta->sport, h);
	return h % n_workers;
}

int
vx0_onion_dp_encap(const struct vx0_onion_dp *od, struct rte_mbuf *m, uint8_t *cell,
		   const struct vx0_onion_dp_link *link, const struct rte_ether_addr *dst_mac)
{
	bool v4 = link->peer.family == 4;
	uint16_t hl = v4 ? sizeof(struct rte_ipv4_hdr) : sizeof(struct rte_ipv6_hdr);
	uint16_t off = (uint16_t)(cell - rte_pktmbuf_mtod(m, uint8_t *));
	uint16_t need = RTE_ETHER_HDR_LEN + hl + sizeof(struct rte_udp_hdr);
	struct rte_ether_hdr *eth;
	struct rte_udp_hdr *udp;
	uint8_t *l3;

	/* the cell alone (a peeled cell may end in the tailroom), then fresh
	 * headers in front of it */
	if (rte_pktmbuf_adj(m, off) == NULL && off != 0)
		return -ENOSPC;
	if (m->data_len > VX0_ONION_CELL_LEN)
		rte_pktmbuf_trim(m, (uint16_t)(m->data_len - VX0_ONION_CELL_LEN));
	else if (m->data_len < VX0_ONION_CELL_LEN &&
		 rte_pktmbuf_append(m, (uint16_t)(VX0_ONION_CELL_LEN - m->data_len)) == NULL)
		return -ENOSPC;
	eth = (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, need);
	if (eth == NULL)
		return -ENOSPC;
	rte_ether_addr_copy(dst_mac, &eth->dst_addr);
	memset(&eth->src_addr, 0, RTE_ETHER_ADDR_LEN);
	eth->ether_type = rte_cpu_to_be_16(v4 ? RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6);
	l3 = (uint8_t *)(eth + 1);
	udp = (struct rte_udp_hdr *)(l3 + hl);
	udp->src_port = rte_cpu_to_be_16(od->port);
	udp->dst_port = rte_cpu_to_be_16(link->peer.port);
	udp->dgram_len = rte_cpu_to_be_16(sizeof(*udp) + VX0_ONION_CELL_LEN);
	udp->dgram_cksum = 0;
	if (v4) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)l3;

		memset(ip, 0, sizeof(*ip));
		ip->version_ihl = 0x45;
		ip->total_length = rte_cpu_to_be_16(hl + sizeof(*udp) + VX0_ONION_CELL_LEN);
		ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
		ip->time_to_live = 64;
		ip->next_proto_id = IPPROTO_UDP;
		memcpy(&ip->src_addr, link->src, 4);
		memcpy(&ip->dst_addr, link->peer.addr, 4);
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		/* UDP checksum 0 over IPv4 (RFC 768): every hop authenticates
		 * the body (AEAD) and the link's L2 CRC covers the header; the
		 * sum over 1376 bytes would cost a fifth of the peel */
	} else {
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)l3;

		ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip->payload_len = udp->dgram_len;
		ip->proto = IPPROTO_UDP;
		ip->hop_limits = 64;
		memcpy(ip->src_addr, link->src, 16);
		memcpy(ip->dst_addr, link->peer.addr, 16);
		udp->dgram_cksum = rte_ipv6_udptcp_cksum(ip, udp);
	}
	return 0;
}

struct onion_out {
	struct rte_mbuf *pkts[VX0_BURST];
	uint8_t port[VX0_BURST];
	unsigned int n;
};

static void
punt(struct vx0_lcore_ctx *lc, struct vx0_onion_dp *od, struct rte_mbuf *m, unsigned int type,
     uint32_t link, bool low)
{
	struct vx0_onion_lcore_stats *s = &od->st[lc->lcore_id];
	struct vx0_pkt_meta *meta = vx0_meta(lc->node, m);

	meta->stage = (uint8_t)type;
	meta->next_hop = link;
	if (rte_ring_mp_enqueue(low ? od->punt_lo : od->punt_hi, m) != 0) {
		s->punt_full++;
		vx0_drop(lc, m, VX0_DROP_RING_FULL);
		return;
	}
	if (low)
		s->punt_hs++;
	else
		s->punted++;
}

/* Rewrite the cell's header and its outer packet toward link. */
static void
send_on(struct vx0_lcore_ctx *lc, struct vx0_onion_dp *od, struct onion_out *o,
	struct rte_mbuf *m, uint8_t *cell, uint32_t link_id, uint32_t circ, uint8_t flags)
{
	struct vx0_node *node = lc->node;
	const struct vx0_onion_dp_link *l = &od->tab->link[link_id];
	uint8_t in_port = vx0_meta(node, m)->in_port;

	if (link_id == 0 || link_id > od->tab->max_links ||
	    !__atomic_load_n(&l->live, __ATOMIC_ACQUIRE)) {
		od->st[lc->lcore_id].no_next_hop++;
		vx0_drop(lc, m, VX0_DROP_ONION_NO_CIRCUIT);
		return;
	}
	cell[2] = flags;
	vx0_onion_cell_set_circ(cell, circ);
	if (od->padding)
		__atomic_fetch_add(&od->tab->link[link_id].tx_cells, 1, __ATOMIC_RELAXED);
	if (vx0_onion_dp_encap(od, m, cell, l, &node->ports[in_port].mac) < 0) {
		vx0_drop(lc, m, VX0_DROP_NO_MBUF);
		return;
	}
	o->port[o->n] = in_port;
	o->pkts[o->n++] = m;
}

struct cell_work {
	struct rte_mbuf *m;
	uint8_t *cell;
	struct vx0_onion_dp_circ *c;
};

/* Peel one forward cell. With room after the cell (almost always: a data
 * room holds a whole frame and more) the plaintext stays where it is and
 * the cell moves 24 bytes on (its header copied there): no 1336-byte shift.
 * w->cell then points at the new cell. */
static int
peel(struct vx0_onion_dp_circ *c, struct cell_work *w)
{
	uint8_t *cell = w->cell;
	int r;

	if (cell + VX0_ONION_CELL_LEN + VX0_ONION_HOP_HDR_LEN >
	    (uint8_t *)w->m->buf_addr + w->m->buf_len)
		return vx0_onion_layer_peel(c->kf, &c->fwin, cell + VX0_ONION_LINK_HDR_LEN);
	r = vx0_onion_layer_peel_shift(c->kf, &c->fwin, cell + VX0_ONION_LINK_HDR_LEN);
	if (r >= 0) {
		memcpy(cell + VX0_ONION_HOP_HDR_LEN, cell, VX0_ONION_LINK_HDR_LEN);
		w->cell = cell + VX0_ONION_HOP_HDR_LEN;
	}
	return r;
}

/* The slow path reads a punted cell where classify found it. */
static void
unshift(struct cell_work *w, uint8_t *orig)
{
	if (w->cell != orig)
		memmove(orig + VX0_ONION_LINK_HDR_LEN, w->cell + VX0_ONION_LINK_HDR_LEN,
			VX0_ONION_BODY_LEN);
}

/* A run of forward cells of one circuit (one key, one window). */
static void
forward_run(struct vx0_lcore_ctx *lc, struct vx0_onion_dp *od, struct onion_out *o,
	    struct cell_work *w, unsigned int n)
{
	struct vx0_onion_lcore_stats *s = &od->st[lc->lcore_id];
	struct vx0_onion_dp_circ *c = w[0].c;
	bool told = false;

	for (unsigned int i = 0; i < n; i++) {
		struct rte_mbuf *m = w[i].m;
		uint8_t *orig = w[i].cell;
		int res = peel(c, &w[i]);

		if (res == -EALREADY) {
			c->replayed++;
			s->replayed++;
			vx0_drop(lc, m, VX0_DROP_ONION_REPLAY);
		} else if (res < 0) {
			/* altered on the way: the circuit dies (once is enough) */
			c->integrity_failed++;
			s->integrity++;
			if (!told) {
				told = true;
				punt(lc, od, m, VX0_ONION_PUNT_INTEGRITY, c->in_link, false);
			} else {
				vx0_drop(lc, m, VX0_DROP_ONION_INTEGRITY);
			}
		} else if (res == VX0_ONION_PEEL_TERMINAL) {
			int r = 1;

			c->fwd_cells++;
			c->terminal++;
			s->terminal++;
			if (od->exit && __atomic_load_n(&c->role, __ATOMIC_ACQUIRE) == VX0_ONION_ROLE_END)
				r = vx0_onion_exit_out(lc, od, c, m, w[i].cell);
			if (r == 0) {
				o->port[o->n] = 0;
				o->pkts[o->n++] = m;
			} else if (r > 0) {
				unshift(&w[i], orig);
				punt(lc, od, m, VX0_ONION_PUNT_TERMINAL, c->in_link, false);
			}
		} else if (__atomic_load_n(&c->role, __ATOMIC_ACQUIRE) == VX0_ONION_ROLE_TRANSIT) {
			c->fwd_cells++;
			s->fwd++;
			send_on(lc, od, o, m, w[i].cell, __atomic_load_n(&c->out_link, __ATOMIC_RELAXED),
				__atomic_load_n(&c->out_circ, __ATOMIC_RELAXED), 0);
		} else {
			/* not for us, and no next hop yet */
			c->fwd_cells++;
			s->no_next_hop++;
			punt(lc, od, m, VX0_ONION_PUNT_PROTOCOL, c->in_link, false);
		}
	}
}

static void
backward_run(struct vx0_lcore_ctx *lc, struct vx0_onion_dp *od, struct onion_out *o,
	     struct cell_work *w, unsigned int n)
{
	struct vx0_onion_dp_circ *c = w[0].c;
	uint8_t *bodies[VX0_BURST];

	for (unsigned int i = 0; i < n; i++)
		bodies[i] = w[i].cell + VX0_ONION_LINK_HDR_LEN;
	vx0_onion_layer_wrap_burst(c->kb, &c->bseq, bodies, n);
	c->bwd_cells += n;
	od->st[lc->lcore_id].bwd += n;
	for (unsigned int i = 0; i < n; i++)
		send_on(lc, od, o, w[i].m, w[i].cell, c->in_link, c->in_circ, VX0_ONION_F_BACKWARD);
}

/* Runs of the same circuit through fn. */
static void
runs(struct vx0_lcore_ctx *lc, struct vx0_onion_dp *od, struct onion_out *o, struct cell_work *w,
     unsigned int n,
     void (*fn)(struct vx0_lcore_ctx *, struct vx0_onion_dp *, struct onion_out *,
		struct cell_work *, unsigned int))
{
	unsigned int start = 0;

	for (unsigned int i = 1; i <= n; i++)
		if (i == n || w[i].c != w[start].c) {
			fn(lc, od, o, w + start, i - start);
			start = i;
		}
}

unsigned int
vx0_onion_stage_burst(struct vx0_lcore_ctx *lc, struct rte_mbuf **pkts, unsigned int n,
		      struct rte_mbuf **out, uint8_t *out_port)
{
	struct vx0_node *node = lc->node;
	struct vx0_onion_dp *od = __atomic_load_n(&node->onion, __ATOMIC_ACQUIRE);
	struct vx0_onion_lcore_stats *s;
	struct cell_work fw[VX0_BURST], bw[VX0_BURST];
	unsigned int nf = 0, nb = 0;
	struct onion_out o = { .n = 0 };

	if (od == NULL) {
		for (unsigned int i = 0; i < n; i++)
			vx0_drop(lc, pkts[i], VX0_DROP_ONION_NO_CIRCUIT);
		return 0;
	}
	s = &od->st[lc->lcore_id];
	s->cells += n;
	for (unsigned int i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct vx0_pkt_meta *meta = vx0_meta(node, m);
		uint8_t *l3 = rte_pktmbuf_mtod_offset(m, uint8_t *, meta->l2_len);
		uint32_t off = meta->l2_len + meta->l3_len + 8u;
		struct vx0_onion_cell_hdr h;
		struct vx0_onion_peer peer;
		struct vx0_onion_dp_circ *c = NULL;
		uint32_t link;
		uint8_t *cell = NULL;

		if (meta->l4_proto != IPPROTO_UDP || meta->dport != od->port) {
			/* exit return traffic: back into its circuit */
			s->nat_return++;
			if (vx0_onion_exit_in(lc, od, m, &cell, &c) == 0)
				send_on(lc, od, &o, m, cell, c->in_link, c->in_circ,
					VX0_ONION_F_BACKWARD);
			continue;
		}
		cell = rte_pktmbuf_mtod_offset(m, uint8_t *, off);
		if ((uint32_t)meta->ip_len != meta->l3_len + 8u + VX0_ONION_CELL_LEN ||
		    m->data_len < off + VX0_ONION_CELL_LEN ||
		    vx0_onion_cell_hdr(cell, VX0_ONION_CELL_LEN, &h) < 0) {
			s->malformed++;
			vx0_drop(lc, m, VX0_DROP_ONION_MALFORMED);
			continue;
		}
		memset(&peer, 0, sizeof(peer));
		peer.family = meta->l3_type == VX0_L3_IPV4 ? 4 : 6;
		peer.port = meta->sport;
		memcpy(peer.addr, src_addr(meta, l3), peer.family == 4 ? 4 : 16);
		link = vx0_onion_table_link_lookup(od->tab, &peer);
		switch (h.cmd) {
		case VX0_ONION_CMD_PADDING:
			s->padding++;
			rte_pktmbuf_free(m);
			continue;
		case VX0_ONION_CMD_CREATE:
			/* public-key work: behind every other cell */
			punt(lc, od, m, VX0_ONION_PUNT_CELL, link, true);
			continue;
		case VX0_ONION_CMD_CREATED:
		case VX0_ONION_CMD_DESTROY:
			punt(lc, od, m, VX0_ONION_PUNT_CELL, link, false);
			continue;
		default:
			break;
		}
		c = link ? vx0_onion_table_lookup(od->tab, link, h.circ_id, h.flags & 1) : NULL;
		if (c == NULL) {
			/* the relay core counts them too, within a budget */
			s->unknown++;
			if (rte_meter_srtcm_color_blind_check(&od->unknown_meter[lc->lcore_id],
							      &od->unknown_prof, rte_rdtsc(), 1) !=
			    RTE_COLOR_RED)
				punt(lc, od, m, VX0_ONION_PUNT_CELL, link, false);
			else
				vx0_drop(lc, m, VX0_DROP_ONION_NO_CIRCUIT);
			continue;
		}
		if (h.flags & VX0_ONION_F_BACKWARD)
			bw[nb++] = (struct cell_work){ m, cell, c };
		else
			fw[nf++] = (struct cell_work){ m, cell, c };
	}
	runs(lc, od, &o, fw, nf, forward_run);
	runs(lc, od, &o, bw, nb, backward_run);
	for (unsigned int i = 0; i < o.n; i++) {
		out[i] = o.pkts[i];
		out_port[i] = o.port[i];
	}
	return o.n;
}

unsigned int
vx0_stage_onion_poll(struct vx0_lcore_ctx *lc)
{
	struct vx0_node *node = lc->node;
	struct vx0_stage_stats *st = &lc->stats.stage[VX0_STAGE_ONION];
	struct rte_mbuf *pkts[VX0_BURST], *out[VX0_BURST];
	uint8_t port[VX0_BURST];
	unsigned int n, n_out;
	uint64_t t0;

	n = rte_ring_sc_dequeue_burst(node->onion_ring[lc->onion_idx], (void **)pkts,
				      VX0_BURST, NULL);
	if (n == 0)
		return 0;
	t0 = vx0_stage_begin(node, st, VX0_STAGE_ONION, 0, pkts, n); /* stage:onion:in */
	n_out = vx0_onion_stage_burst(lc, pkts, n, out, port);
	st->out += n_out;
	st->cycles += rte_rdtsc() - t0;
	vx0_capture_tap(&node->cap, VX0_STAGE_ONION, VX0_CAP_OUT, 0, out, n_out); /* stage:onion:out */
	/* out through the FIB as our own packets, in runs per port */
	for (unsigned int start = 0, i = 1; i <= n_out; i++)
		if (i == n_out || port[i] != port[start]) {
			vx0_classify(lc, port[start], out + start, (uint16_t)(i - start),
				     VX0_CLS_LOCAL_ORIGIN);
			start = i;
		}
	return n;
}
