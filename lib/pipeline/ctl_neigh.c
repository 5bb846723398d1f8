/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The slow path's side of neighbour resolution: lib/neigh runs the state
 * machine; this file feeds it ARP/ND from the wire and unresolved packets,
 * sends its solicitations, answers ARP/NS for our own addresses, and
 * publishes resolved MACs into FIB next hops (with a host route for hosts
 * on connected subnets, so the next packet needs one lookup).
 */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>

#include <rte_ethdev.h>
#include <rte_malloc.h>

#include "vx0_ctl.h"
#include "vx0_neigh.h"

static bool
port_has_ip4(const struct vx0_port *p, const uint8_t *a)
{
	for (unsigned int i = 0; i < p->n_ip4; i++)
		if (memcmp(&p->ip4[i], a, 4) == 0)
			return true;
	return false;
}

/* Any port's: the kernel behind the TAPs asks (ARP) from the source
 * address of the packet that waits, which may be another port's. */
static bool
node_has_ip4(const struct vx0_node *node, const uint8_t *a)
{
	for (unsigned int p = 0; p < node->n_ports; p++)
		if (port_has_ip4(&node->ports[p], a))
			return true;
	return false;
}

static bool
port_has_ip6(const struct vx0_port *p, const uint8_t *a)
{
	for (unsigned int i = 0; i < p->n_ip6; i++)
		if (memcmp(p->ip6[i], a, 16) == 0)
			return true;
	return false;
}

static bool
same_prefix(const uint8_t *a, const uint8_t *b, unsigned int len)
{
	for (unsigned int k = 0; k < len; k++)
		if (((a[k / 8] ^ b[k / 8]) >> (7 - k % 8)) & 1)
			return false;
	return true;
}

static struct rte_mbuf *
frame_mbuf(struct vx0_ctl *ctl, uint8_t **data, size_t cap)
{
	struct rte_mbuf *m = vx0_ctl_alloc(ctl);

	if (m == NULL)
		return NULL;
	if (rte_pktmbuf_tailroom(m) < cap) {
		vx0_drop(ctl->lc, m, VX0_DROP_NO_MBUF);
		return NULL;
	}
	*data = rte_pktmbuf_mtod(m, uint8_t *);
	return m;
}

static void
send_frame(struct vx0_ctl *ctl, uint16_t port, struct rte_mbuf *m, int len)
{
	if (len <= 0) {
		rte_pktmbuf_free(m);
		return;
	}
	m->data_len = m->pkt_len = (uint32_t)len;
	vx0_tx_enqueue(ctl->lc, port, &m, 1);
	ctl->lc->stats.stage[VX0_STAGE_CTL].out++;
}

/* --- ops called by lib/neigh --- */

static void
op_send_probe(void *ctx, uint16_t port, int family, const uint8_t *addr,
	      const uint8_t *unicast_mac)
{
	struct vx0_ctl *ctl = ctx;
	const struct vx0_port *p = &ctl->node->ports[port];
	struct rte_mbuf *m;
	uint8_t *d;
	int n;

	m = frame_mbuf(ctl, &d, 128);
	if (m == NULL)
		return;
	if (family == AF_INET) {
		const uint32_t *src = NULL;

		for (unsigned int i = 0; i < p->n_ip4; i++)
			if (src == NULL || same_prefix((const uint8_t *)&p->ip4[i], addr, p->ip4_len[i]))
				src = &p->ip4[i];
		if (src == NULL) {
			rte_pktmbuf_free(m);
			return;
		}
		n = vx0_pkt_arp_request(d, 128, p->mac.addr_bytes, (const uint8_t *)src, addr,
					unicast_mac);
	} else {
		/* an on-link global source if we have one, else link-local (last) */
		const uint8_t *src = p->ip6[p->n_ip6 - 1];

		for (unsigned int i = 0; i + 1 < p->n_ip6; i++)
			if (same_prefix(p->ip6[i], addr, p->ip6_len[i]))
				src = p->ip6[i];
		n = vx0_pkt_nd_build_ns(d, 128, p->mac.addr_bytes, src, addr, unicast_mac);
	}
	send_frame(ctl, port, m, n);
}

static void
op_publish(void *ctx, uint32_t idx, uint16_t port, const uint8_t *mac)
{
	struct vx0_ctl *ctl = ctx;
	struct vx0_ctl_dirty *dl = &ctl->dirty;

	(void)port;
	(void)mac;
	if (idx >= ctl->max_adj)
		return;
	for (unsigned int i = 0; i < dl->n; i++)
		if (dl->idx[i] == idx)
			return;
	if (dl->n == VX0_CTL_DIRTY_MAX) {
		dl->overflow = true;
		return;
	}
	dl->idx[dl->n++] = idx;
}

static void
op_release(void *ctx, void *pkt, uint16_t port, const uint8_t *mac)
{
	struct vx0_ctl *ctl = ctx;
	struct rte_mbuf *m = pkt;
	struct vx0_pkt_meta *meta = vx0_meta(ctl->node, m);
	struct rte_ether_hdr *eth;

	if (meta->l2_len != RTE_ETHER_HDR_LEN) { /* forwarded untagged */
		rte_pktmbuf_adj(m, meta->l2_len - RTE_ETHER_HDR_LEN);
		meta->l2_len = RTE_ETHER_HDR_LEN;
	}
	eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	memcpy(&eth->dst_addr, mac, RTE_ETHER_ADDR_LEN);
	rte_ether_addr_copy(&ctl->node->ports[port].mac, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(meta->l3_type == VX0_L3_IPV4 ?
					   RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6);
	ctl->lc->stats.stage[VX0_STAGE_CTL].out++;
	vx0_tx_enqueue(ctl->lc, port, &m, 1);
}

static void
op_drop(void *ctx, void *pkt)
{
	struct vx0_ctl *ctl = ctx;

	vx0_drop(ctl->lc, pkt, VX0_DROP_NEIGH_UNRESOLVED);
}

/* --- applying published entries to the FIB --- */

static bool
has_mac(enum vx0_neigh_state s)
{
	return s == VX0_NEIGH_REACHABLE || s == VX0_NEIGH_STALE || s == VX0_NEIGH_DELAY ||
	       s == VX0_NEIGH_PROBE || s == VX0_NEIGH_STATIC;
}

static void
adj_release(struct vx0_ctl *ctl, uint32_t idx)
{
	struct vx0_ctl_adj *a = &ctl->adj[idx];

	if (a->fib_nh == 0)
		return;
	vx0_fib_nh_set_l2(ctl->node->fib, a->fib_nh, NULL);
	if (a->host_route) {
		vx0_fib_route_del(ctl->node->fib, a->family, a->addr, a->family == AF_INET ? 32 : 128);
	}
	vx0_fib_nh_put(ctl->node->fib, a->fib_nh);
	vx0_neigh_unref(ctl->neigh, idx);
	memset(a, 0, sizeof(*a));
}

static void
adj_apply(struct vx0_ctl *ctl, uint32_t idx)
{
	struct vx0_node *node = ctl->node;
	struct vx0_ctl_adj *a = &ctl->adj[idx];
	struct vx0_neigh_info in;
	int nh;

	if (vx0_neigh_get(ctl->neigh, idx, &in) < 0)
		return;
	if (!has_mac(in.state)) {
		/* failed or gone: a host route would only punt again */
		if (a->fib_nh && (in.state == VX0_NEIGH_FAILED || in.state == VX0_NEIGH_FREE))
			adj_release(ctl, idx);
		else if (a->fib_nh)
			vx0_fib_nh_set_l2(node->fib, a->fib_nh, NULL);
		return;
	}
	if (a->fib_nh == 0) {
		uint32_t cover;
		int rc;

		nh = vx0_fib_nh_get(node->fib, VX0_NH_FWD, in.port, in.family, in.addr);
		if (nh < 0)
			return;
		a->fib_nh = (uint32_t)nh;
		a->family = (uint8_t)in.family;
		a->port = in.port;
		memcpy(a->addr, in.addr, 16);
		vx0_neigh_ref(ctl->neigh, idx);
		/* a host on a connected subnet of its port gets its own route */
		if (in.family == AF_INET) {
			uint32_t v;

			memcpy(&v, in.addr, 4);
			rc = vx0_fib_lookup4(node->fib, ntohl(v), &cover);
		} else {
			rc = vx0_fib_lookup6(node->fib, in.addr, &cover);
		}
		if (rc == 0 && vx0_fib_nh(node->fib, cover)->type == VX0_NH_GLEAN &&
		    vx0_fib_nh(node->fib, cover)->port == in.port &&
		    vx0_fib_route_add(node->fib, in.family, in.addr,
				      in.family == AF_INET ? 32 : 128, a->fib_nh) == 0) {
			a->host_route = 1;
		}
	}
	vx0_fib_nh_set_l2(node->fib, a->fib_nh, in.mac);
}

static void
apply_dirty(struct vx0_ctl *ctl)
{
	struct vx0_ctl_dirty *dl = &ctl->dirty;

	for (unsigned int i = 0; i < dl->n; i++)
		adj_apply(ctl, dl->idx[i]);
	dl->n = 0;
	if (dl->overflow) { /* rare: re-apply everything */
		dl->overflow = false;
		for (uint32_t i = 0; i < ctl->max_adj; i++)
			adj_apply(ctl, i);
	}
}

int
vx0_ctl_neigh_create(struct vx0_ctl *ctl, char *err, size_t errlen)
{
	struct vx0_neigh_conf nc = { 0 };
	struct vx0_neigh_ops ops = {
		.send_probe = op_send_probe, .publish = op_publish,
		.release = op_release, .drop = op_drop,
	};

	ctl->max_adj = RTE_MIN(ctl->node->conf->max_nh, 65536u);
	nc.max_entries = ctl->max_adj;
	nc.hash_seed = (uint32_t)rte_rdtsc();
	ctl->adj = rte_zmalloc("vx0_adj", sizeof(*ctl->adj) * ctl->max_adj, RTE_CACHE_LINE_SIZE);
	if (ctl->adj == NULL)
		return -ENOMEM;
	ctl->neigh = vx0_neigh_create(&nc, &ops, ctl);
	if (ctl->neigh == NULL) {
		snprintf(err, errlen, "cannot create the neighbour table");
		return -ENOMEM;
	}
	return 0;
}

void
vx0_ctl_neigh_destroy(struct vx0_ctl *ctl)
{
	vx0_neigh_destroy(ctl->neigh); /* queued packets go back through op_drop */
	ctl->neigh = NULL;
	rte_free(ctl->adj);
	ctl->adj = NULL;
}

int
vx0_ctl_neigh_static(struct vx0_ctl *ctl, const struct vx0_conf_neigh *n)
{
	int rc = vx0_neigh_add_static(ctl->neigh, (uint16_t)n->port, n->family, n->addr, n->mac);

	apply_dirty(ctl);
	return rc < 0 ? rc : 0;
}

void
vx0_ctl_neigh_resolve(struct vx0_ctl *ctl, struct rte_mbuf *m)
{
	struct vx0_node *node = ctl->node;
	struct vx0_pkt_meta *meta = vx0_meta(node, m);
	const struct vx0_fib_nh *nh = vx0_fib_nh(node->fib, meta->next_hop);
	const uint8_t *l3 = rte_pktmbuf_mtod_offset(m, const uint8_t *, meta->l2_len);
	const uint8_t *addr;

	if (nh->type == VX0_NH_FWD)
		addr = nh->addr;
	else if (nh->type == VX0_NH_GLEAN)
		addr = meta->l3_type == VX0_L3_IPV4 ? l3 + 16 : l3 + 24;
	else {
		vx0_drop(ctl->lc, m, VX0_DROP_NO_ROUTE);
		return;
	}
	vx0_neigh_resolve(ctl->neigh, nh->port, meta->l3_type == VX0_L3_IPV4 ? AF_INET : AF_INET6,
			  addr, m, ctl->now_ms);
	apply_dirty(ctl);
}

void
vx0_ctl_neigh_arp(struct vx0_ctl *ctl, struct rte_mbuf *m)
{
	struct vx0_node *node = ctl->node;
	struct vx0_pkt_meta *meta = vx0_meta(node, m);
	const struct vx0_port *p = &node->ports[meta->in_port];
	struct vx0_pkt_arp a;
	static const uint8_t zero[4];

	if (vx0_pkt_arp_parse(rte_pktmbuf_mtod_offset(m, const uint8_t *, meta->l2_len),
			      m->data_len - meta->l2_len, &a) < 0) {
		vx0_drop(ctl->lc, m, VX0_DROP_ARP_MALFORMED);
		return;
	}
	if (vx0_pkt_arp_is_gratuitous(&a)) {
		vx0_neigh_input(ctl->neigh, meta->in_port, AF_INET, a.spa, a.sha,
				VX0_NEIGH_F_GRATUITOUS | VX0_NEIGH_F_OVERRIDE, ctl->now_ms);
		vx0_ctl_to_kernel_copy(ctl, m);
		rte_pktmbuf_free(m);
		apply_dirty(ctl);
		return;
	}
	if (!port_has_ip4(p, a.tpa) &&
	    !(a.op == VX0_ARP_OP_REPLY && node_has_ip4(node, a.tpa))) {
		vx0_drop(ctl->lc, m, VX0_DROP_ARP_NOT_FOR_US);
		return;
	}
	if (a.op == VX0_ARP_OP_REQUEST) {
		struct rte_mbuf *r;
		uint8_t *d;

		if (memcmp(a.spa, zero, 4) != 0) /* not an address probe */
			vx0_neigh_input(ctl->neigh, meta->in_port, AF_INET, a.spa, a.sha,
					VX0_NEIGH_F_REQUEST, ctl->now_ms);
		r = frame_mbuf(ctl, &d, 64);
		if (r != NULL)
			send_frame(ctl, meta->in_port, r,
				   vx0_pkt_arp_reply(d, 64, p->mac.addr_bytes, a.tpa, a.sha, a.spa));
	} else {
		vx0_neigh_input(ctl->neigh, meta->in_port, AF_INET, a.spa, a.sha,
				VX0_NEIGH_F_SOLICITED | VX0_NEIGH_F_OVERRIDE, ctl->now_ms);
		/* the kernel may have asked too (its sockets resolve through us) */
		vx0_ctl_to_kernel_copy(ctl, m);
	}
	rte_pktmbuf_free(m);
	apply_dirty(ctl);
}

void
vx0_ctl_neigh_nd(struct vx0_ctl *ctl, struct rte_mbuf *m)
{
	struct vx0_node *node = ctl->node;
	struct vx0_pkt_meta *meta = vx0_meta(node, m);
	const struct vx0_port *p = &node->ports[meta->in_port];
	struct vx0_pkt_nd nd;
	static const uint8_t unspec[16];
	int rc;

	rc = vx0_pkt_nd_parse(rte_pktmbuf_mtod_offset(m, const uint8_t *, meta->l2_len),
			      m->data_len - meta->l2_len, &nd);
	if (rc == -ENOMSG) { /* RS/RA/redirect: the kernel's business */
		vx0_ctl_to_kernel_copy(ctl, m);
		rte_pktmbuf_free(m);
		return;
	}
	if (rc < 0) {
		vx0_drop(ctl->lc, m, VX0_DROP_ND_INVALID);
		return;
	}
	if (nd.type == VX0_ND_NS) {
		struct rte_mbuf *r;
		uint8_t *d;
		bool dad = memcmp(nd.src, unspec, 16) == 0;
		const uint8_t *dmac = nd.has_lladdr ? nd.lladdr :
			rte_pktmbuf_mtod_offset(m, const uint8_t *, RTE_ETHER_ADDR_LEN);

		if (!port_has_ip6(p, nd.target)) {
			vx0_drop(ctl->lc, m, VX0_DROP_ARP_NOT_FOR_US);
			return;
		}
		if (!dad && nd.has_lladdr)
			vx0_neigh_input(ctl->neigh, meta->in_port, AF_INET6, nd.src, nd.lladdr,
					VX0_NEIGH_F_REQUEST, ctl->now_ms);
		r = frame_mbuf(ctl, &d, 128);
		if (r != NULL)
			send_frame(ctl, meta->in_port, r,
				   vx0_pkt_nd_build_na(d, 128, p->mac.addr_bytes, nd.target, nd.target,
					dad ? NULL : dmac, dad ? NULL : nd.src,
					VX0_ND_F_ROUTER | VX0_ND_F_OVERRIDE |
					(dad ? 0 : VX0_ND_F_SOLICITED)));
	} else {
		unsigned int fl = 0;

		if (nd.flags & VX0_ND_F_SOLICITED)
			fl |= VX0_NEIGH_F_SOLICITED;
		else
			fl |= VX0_NEIGH_F_GRATUITOUS;
		if (nd.flags & VX0_ND_F_OVERRIDE)
			fl |= VX0_NEIGH_F_OVERRIDE;
		vx0_neigh_input(ctl->neigh, meta->in_port, AF_INET6, nd.target,
				nd.has_lladdr ? nd.lladdr : NULL, fl, ctl->now_ms);
		vx0_ctl_to_kernel_copy(ctl, m);
	}
	rte_pktmbuf_free(m);
	apply_dirty(ctl);
}

void
vx0_ctl_neigh_tick(struct vx0_ctl *ctl)
{
	static const uint64_t period_ms = 100;

	if (ctl->now_ms < ctl->neigh_tick_ms + period_ms)
		return;
	ctl->neigh_tick_ms = ctl->now_ms;
	vx0_neigh_tick(ctl->neigh, ctl->now_ms);
	apply_dirty(ctl);
}

struct dump_arg {
	void (*fn)(void *arg, uint16_t port, int family, const uint8_t *addr,
		   const uint8_t *mac, const char *state);
	void *arg;
};

static int
dump_one(void *arg, const struct vx0_neigh_info *in)
{
	struct dump_arg *da = arg;

	da->fn(da->arg, in->port, in->family, in->addr, has_mac(in->state) ? in->mac : NULL,
	       vx0_neigh_state_name(in->state));
	return 0;
}

void
vx0_ctl_neigh_dump(struct vx0_ctl *ctl, void (*fn)(void *arg, uint16_t port, int family,
		   const uint8_t *addr, const uint8_t *mac, const char *state), void *arg)
{
	struct dump_arg da = { .fn = fn, .arg = arg };

	vx0_neigh_foreach(ctl->neigh, dump_one, &da);
}
