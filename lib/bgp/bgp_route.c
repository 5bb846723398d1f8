/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Route handling: Adj-RIB-In changes, the decision process trigger, FIB
 * batches, export (Adj-RIB-Out) and UPDATE generation.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bgp_peer.h"
#include "vx0_log.h"

static inline void
wr16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

void
bgp_path_src(void *arg, const struct bgp_path *p, struct bgp_path_src *out)
{
	struct vx0_bgp *bgp = arg;

	memset(out, 0, sizeof(*out));
	if (p->peer == BGP_PEER_LOCAL) {
		out->local = true;
		out->ebgp = true;
		out->router_id = bgp->cfg.router_id;
		out->nh_ok = true;
		return;
	}
	const struct bgp_peer *pr = bgp->peers[p->peer];

	out->ebgp = pr->ebgp;
	out->router_id = pr->remote_id;
	out->addr = pr->cfg.addr;
	out->nh_ok = true;
	if (bgp->ops.nexthop_reachable) {
		struct vx0_bgp_addr nh = {.family = p->attrs->k.nh_family};

		memcpy(nh.a, p->attrs->k.nh, 16);
		out->nh_ok = bgp->ops.nexthop_reachable(bgp->ctx, &nh);
	}
}

static void
fib_begin(struct vx0_bgp *bgp)
{
	if (!bgp->fib_open && bgp->fib.begin)
		bgp->fib.begin(bgp->fib_ctx);
	bgp->fib_open = true;
}

void
bgp_fib_end(struct vx0_bgp *bgp)
{
	if (bgp->fib_open && bgp->fib.commit)
		bgp->fib.commit(bgp->fib_ctx);
	bgp->fib_open = false;
}

static void
best_changed(struct vx0_bgp *bgp, struct bgp_rib_entry *e, bool old_in_fib)
{
	const struct bgp_path *b = e->has_best ? e->paths : NULL;
	bool new_in_fib = b && b->peer != BGP_PEER_LOCAL;

	if (new_in_fib && bgp->fib.route_add) {
		fib_begin(bgp);
		bgp->fib.route_add(bgp->fib_ctx, e->pfx.family, e->pfx.a, e->pfx.len,
				   b->attrs->k.nh);
	} else if (!new_in_fib && old_in_fib && bgp->fib.route_del) {
		fib_begin(bgp);
		bgp->fib.route_del(bgp->fib_ctx, e->pfx.family, e->pfx.a, e->pfx.len);
	}
	for (int i = 0; i < bgp->n_peers; i++)
		if (bgp->peers[i]->state == VX0_BGP_ESTABLISHED)
			bgp_export_entry(bgp, bgp->peers[i], e);
}

static void
count_path(struct bgp_peer *p, const struct bgp_path *path, int dir)
{
	if (p == NULL)
		return;
	p->received += dir;
	if (!(path->flags & BGP_PATH_REJECTED))
		p->accepted += dir;
}

/* Replaces (attrs != NULL) or removes the path of peer for pfx; takes over the attrs reference. */
void
bgp_rib_set(struct vx0_bgp *bgp, uint16_t peer, const struct vx0_bgp_prefix *pfx,
	    struct bgp_attrs *attrs, bool rejected)
{
	struct bgp_rib_entry *e = bgp_rib_get(&bgp->rib, pfx, attrs != NULL);
	struct bgp_peer *pr = peer == BGP_PEER_LOCAL ? NULL : bgp->peers[peer];

	if (e == NULL) {
		bgp_attr_unref(&bgp->attrs, attrs);
		return;
	}
	const struct bgp_path *ob = e->has_best ? e->paths : NULL;
	const struct bgp_attrs *ob_attrs = ob ? ob->attrs : NULL;
	bool old_in_fib = ob && ob->peer != BGP_PEER_LOCAL;
	struct bgp_path **pp = &e->paths, *path;

	while (*pp && (*pp)->peer != peer)
		pp = &(*pp)->next;
	path = *pp;
	if (attrs == NULL) {
		if (path == NULL)
			return;
		*pp = path->next;
		count_path(pr, path, -1);
		bgp_attr_unref(&bgp->attrs, path->attrs);
		bgp_path_free(&bgp->rib, path);
		if (path == ob) {
			ob = (const struct bgp_path *)1; /* the best went away */
			ob_attrs = NULL;
		}
	} else if (path && path->attrs == attrs &&
		   path->flags == (rejected ? BGP_PATH_REJECTED : 0)) {
		/* the same announcement again (a refresh): nothing changes */
		bgp_attr_unref(&bgp->attrs, attrs);
		return;
	} else if (path) {
		count_path(pr, path, -1);
		bgp_attr_unref(&bgp->attrs, path->attrs);
		path->attrs = attrs;
		path->flags = rejected ? BGP_PATH_REJECTED : 0;
		count_path(pr, path, 1);
	} else {
		path = bgp_path_alloc(&bgp->rib);
		if (path == NULL) {
			bgp_attr_unref(&bgp->attrs, attrs);
			return;
		}
		path->peer = peer;
		path->attrs = attrs;
		path->flags = rejected ? BGP_PATH_REJECTED : 0;
		/* append: keeps the current best at the head */
		*pp = path;
		count_path(pr, path, 1);
	}
	bool had = e->has_best;

	bgp_decide(e, bgp_path_src, bgp);
	const struct bgp_path *nb = e->has_best ? e->paths : NULL;

	if (had && !e->has_best)
		bgp->rib.best_count--;
	else if (!had && e->has_best)
		bgp->rib.best_count++;
	if (nb != ob || (nb && nb->attrs != ob_attrs) || (path == nb && attrs))
		best_changed(bgp, e, old_in_fib);
	bgp_rib_remove_if_empty(&bgp->rib, e);
}

static int
queue_item(struct bgp_peer *p, const struct vx0_bgp_prefix *pfx, struct bgp_attrs *a)
{
	if (p->outq_n == p->outq_cap) {
		size_t nc = p->outq_cap ? p->outq_cap * 2 : 256;
		struct bgp_out_item *n = realloc(p->outq, nc * sizeof(*n));

		if (n == NULL)
			return -ENOMEM;
		p->outq = n;
		p->outq_cap = nc;
	}
	p->outq[p->outq_n].pfx = *pfx;
	p->outq[p->outq_n].attrs = a;
	p->outq_n++;
	return 0;
}

/* The attributes p should get for best path b, or NULL when nothing is exported. */
static struct bgp_attrs *
export_attrs(struct vx0_bgp *bgp, struct bgp_peer *p, const struct bgp_rib_entry *e,
	     const struct bgp_path *b)
{
	struct bgp_attr_build *w = &bgp->b2;
	bool from_ibgp = b->peer != BGP_PEER_LOCAL && !bgp->peers[b->peer]->ebgp;
	const struct vx0_bgp_addr *nhc = e->pfx.family == 4 ? &p->cfg.nexthop4 : &p->cfg.nexthop6;

	if (b->peer == p->id)
		return NULL; /* never back to where it came from */
	if (!p->ebgp && from_ibgp)
		return NULL; /* RFC 4271 9.2: no iBGP route to iBGP peers (no reflection) */
	bgp_attr_build_load(w, b->attrs);
	w->k.present &= (uint16_t)~BGP_P_ORIGINATOR;
	w->k.originator_id = 0;
	w->k.len[BGP_S_CLUSTER] = 0;
	if (p->ebgp || b->peer == BGP_PEER_LOCAL) {
		/* next-hop self */
		const struct vx0_bgp_addr *nh = nhc->family ? nhc : &p->local;

		if (nh->family != e->pfx.family)
			return NULL; /* no next hop of this family for this session */
		w->k.nh_family = nh->family;
		memset(w->k.nh, 0, 16);
		memcpy(w->k.nh, nh->a, nh->family == 4 ? 4 : 16);
	}
	if (p->ebgp) {
		bgp_aspath_prepend(w, bgp->cfg.local_as, 1);
		w->k.present &= (uint16_t)~BGP_P_LOCAL_PREF;
		w->k.local_pref = 0;
		/* RFC 4271 5.1.4: a MED learned from a neighbouring AS goes no further */
		if (b->peer != BGP_PEER_LOCAL && bgp->peers[b->peer]->ebgp) {
			w->k.present &= (uint16_t)~BGP_P_MED;
			w->k.med = 0;
		}
	}
	if (bgp_policy_apply(p->cfg.export, &e->pfx, w, bgp->cfg.local_as) != VX0_BGP_ACCEPT)
		return NULL;
	return bgp_attr_intern(&bgp->attrs, w);
}

void
bgp_export_entry(struct vx0_bgp *bgp, struct bgp_peer *p, struct bgp_rib_entry *e)
{
	uint64_t bit = 1ull << p->id;
	struct bgp_attrs *a = NULL;

	if ((e->pfx.family == 4 && !p->v4) || (e->pfx.family == 6 && !p->v6))
		return;
	if (e->has_best)
		a = export_attrs(bgp, p, e, e->paths);
	if (a) {
		if (queue_item(p, &e->pfx, a) < 0) {
			bgp_attr_unref(&bgp->attrs, a);
			return;
		}
		if (!(e->adv & bit))
			p->advertised++;
		e->adv |= bit;
	} else if (e->adv & bit) {
		if (queue_item(p, &e->pfx, NULL) < 0)
			return;
		e->adv &= ~bit;
		p->advertised--;
	}
}

struct export_all_arg {
	struct vx0_bgp *bgp;
	struct bgp_peer *p;
	int family;
};

static int
export_all_cb(void *arg, struct bgp_rib_entry *e)
{
	struct export_all_arg *x = arg;

	if (x->family == 0 || x->family == e->pfx.family) {
		bgp_export_entry(x->bgp, x->p, e);
		bgp_rib_remove_if_empty(&x->bgp->rib, e);
	}
	return 0;
}

void
bgp_export_all(struct vx0_bgp *bgp, struct bgp_peer *p, int family)
{
	struct export_all_arg x = {bgp, p, family};

	bgp_rib_iter(&bgp->rib, export_all_cb, &x);
}

struct flush_arg {
	struct vx0_bgp *bgp;
	struct bgp_peer *p;
	bool stale_only;
	int family;
};

static int
flush_cb(void *arg, struct bgp_rib_entry *e)
{
	struct flush_arg *x = arg;
	struct bgp_path *path;

	if (x->family && e->pfx.family != x->family)
		return 0;
	for (path = e->paths; path; path = path->next)
		if (path->peer == x->p->id)
			break;
	if (path == NULL || (x->stale_only && !(path->flags & BGP_PATH_STALE)))
		return 0;
	struct vx0_bgp_prefix pfx = e->pfx;

	bgp_rib_set(x->bgp, (uint16_t)x->p->id, &pfx, NULL, false);
	return 0;
}

void
bgp_peer_flush_routes(struct vx0_bgp *bgp, struct bgp_peer *p, bool stale_only, int family)
{
	struct flush_arg x = {bgp, p, stale_only, family};

	bgp_rib_iter(&bgp->rib, flush_cb, &x);
}

static int
stale_cb(void *arg, struct bgp_rib_entry *e)
{
	struct bgp_peer *p = arg;

	for (struct bgp_path *path = e->paths; path; path = path->next)
		if (path->peer == p->id)
			path->flags |= BGP_PATH_STALE;
	return 0;
}

void
bgp_peer_mark_stale(struct vx0_bgp *bgp, struct bgp_peer *p)
{
	bgp_rib_iter(&bgp->rib, stale_cb, p);
}

static int
clear_adv_cb(void *arg, struct bgp_rib_entry *e)
{
	void **x = arg;
	struct vx0_bgp *bgp = x[0];
	struct bgp_peer *p = x[1];

	e->adv &= ~(1ull << p->id);
	bgp_rib_remove_if_empty(&bgp->rib, e);
	return 0;
}

/* The session is gone: nothing is advertised any more, drop the queue. */
void
bgp_peer_clear_out(struct vx0_bgp *bgp, struct bgp_peer *p)
{
	void *x[2] = {bgp, p};

	for (size_t i = 0; i < p->outq_n; i++)
		bgp_attr_unref(&bgp->attrs, p->outq[i].attrs);
	p->outq_n = 0;
	bgp_rib_iter(&bgp->rib, clear_adv_cb, x);
	p->advertised = 0;
}

static size_t
put_prefix(uint8_t *o, const struct vx0_bgp_prefix *pfx)
{
	size_t nb = (pfx->len + 7u) / 8u;

	o[0] = pfx->len;
	memcpy(o + 1, pfx->a, nb);
	return nb + 1;
}

static void
send_msg(struct vx0_bgp *bgp, struct bgp_peer *p, size_t len)
{
	bgp_hdr_write(bgp->tx, (uint16_t)len, BGP_UPDATE);
	bgp->ops.send(bgp->ctx, p->id, bgp->tx, len);
	p->updates_out++;
}

/* Builds UPDATEs from the queue: runs of withdrawals, runs sharing one attribute set. */
void
bgp_peer_flush_out(struct vx0_bgp *bgp, struct bgp_peer *p)
{
	uint8_t *m = bgp->tx;
	size_t i = 0, n = p->outq_n;
	/* RFC 8654: up to 65535 bytes once both sides announced extended messages */
	const size_t cap = p->ext ? BGP_EXT_MAX_LEN : BGP_MAX_LEN;

	while (i < n && p->state == VX0_BGP_ESTABLISHED) {
		const struct bgp_out_item *it = &p->outq[i];
		int fam = it->pfx.family;
		size_t off;

		if (it->attrs == NULL) {
			if (fam == 4) {
				off = 21;
				while (i < n && p->outq[i].attrs == NULL && p->outq[i].pfx.family == 4 &&
				       off + 17 + 2 <= cap)
					off += put_prefix(m + off, &p->outq[i++].pfx);
				wr16(m + 19, (uint16_t)(off - 21));
				wr16(m + off, 0);
				off += 2;
			} else {
				/* MP_UNREACH_NLRI with extended length */
				off = 19;
				wr16(m + off, 0);
				off += 2;
				size_t alen_at = off, a0;

				off += 2;
				m[off++] = BGP_AF_OPTIONAL | BGP_AF_EXTLEN;
				m[off++] = BGP_A_MP_UNREACH;
				size_t len_at = off;

				off += 2;
				a0 = off;
				wr16(m + off, BGP_AFI_IPV6);
				m[off + 2] = BGP_SAFI_UNICAST;
				off += 3;
				while (i < n && p->outq[i].attrs == NULL && p->outq[i].pfx.family == 6 &&
				       off + 17 <= cap)
					off += put_prefix(m + off, &p->outq[i++].pfx);
				wr16(m + len_at, (uint16_t)(off - a0));
				wr16(m + alen_at, (uint16_t)(off - alen_at - 2));
			}
			send_msg(bgp, p, off);
			continue;
		}
		const struct bgp_attrs *a = it->attrs;

		off = 19;
		wr16(m + off, 0);
		off += 2;
		size_t alen_at = off;

		off += 2;
		int al = bgp_attrs_encode(a, p->as4, !p->ebgp, fam == 4, m + off, cap - off - 64);

		if (al < 0) {
			/* cannot be sent to this peer: not advertised after all */
			struct bgp_rib_entry *e = bgp_rib_get(&bgp->rib, &p->outq[i].pfx, false);

			vx0_log(VX0_LOG_WARNING, "bgp", "%s: attributes too long for one UPDATE",
				p->cfg.name);
			if (e && (e->adv & (1ull << p->id))) {
				e->adv &= ~(1ull << p->id);
				p->advertised--;
				bgp_rib_remove_if_empty(&bgp->rib, e);
			}
			i++;
			continue;
		}
		off += (size_t)al;
		if (fam == 4) {
			wr16(m + alen_at, (uint16_t)al);
			while (i < n && p->outq[i].attrs == a && off + 5 <= cap)
				off += put_prefix(m + off, &p->outq[i++].pfx);
		} else {
			m[off++] = BGP_AF_OPTIONAL | BGP_AF_EXTLEN;
			m[off++] = BGP_A_MP_REACH;
			size_t len_at = off, a0;

			off += 2;
			a0 = off;
			wr16(m + off, BGP_AFI_IPV6);
			m[off + 2] = BGP_SAFI_UNICAST;
			m[off + 3] = 16;
			memcpy(m + off + 4, a->k.nh, 16);
			m[off + 20] = 0;
			off += 21;
			while (i < n && p->outq[i].attrs == a && off + 17 <= cap)
				off += put_prefix(m + off, &p->outq[i++].pfx);
			wr16(m + len_at, (uint16_t)(off - a0));
			wr16(m + alen_at, (uint16_t)(off - alen_at - 2));
		}
		send_msg(bgp, p, off);
	}
	for (size_t k = 0; k < n; k++)
		bgp_attr_unref(&bgp->attrs, p->outq[k].attrs);
	p->outq_n = 0;
}
