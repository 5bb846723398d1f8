/* SPDX-License-Identifier: BSD-3-Clause */
/* Telemetry queries: neighbours, RIB lookup and walk; prefix text forms. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bgp_peer.h"

static inline uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

const char *
vx0_bgp_reason_name(enum vx0_bgp_reason r)
{
	static const char *const n[] = {"only path", "local-pref", "as-path length", "origin",
					"med", "ebgp over ibgp", "router id", "peer address",
					"no eligible path"};

	return (unsigned)r <= VX0_BGP_REASON_NONE ? n[r] : "?";
}

int
vx0_bgp_peer_count(const struct vx0_bgp *bgp)
{
	return bgp->n_peers;
}

int
vx0_bgp_neighbor_info(const struct vx0_bgp *bgp, int peer, struct vx0_bgp_neighbor_info *o)
{
	if (peer < 0 || peer >= bgp->n_peers || bgp->peers[peer]->removed)
		return -ENOENT;
	const struct bgp_peer *p = bgp->peers[peer];

	memset(o, 0, sizeof(*o));
	o->id = p->id;
	o->state = p->state;
	o->addr = p->cfg.addr;
	o->remote_as = p->cfg.remote_as;
	o->remote_id = p->remote_id;
	o->established_ms = p->state == VX0_BGP_ESTABLISHED ? p->established_ms : 0;
	o->prefixes_received = p->received;
	o->prefixes_accepted = p->accepted;
	o->prefixes_advertised = p->advertised;
	o->updates_in = p->updates_in;
	o->updates_out = p->updates_out;
	o->established_count = p->established_count;
	o->treat_as_withdraw = p->taw;
	o->attr_discard = p->discard;
	o->last_error_code = p->err_code;
	o->last_error_subcode = p->err_sub;
	o->last_error_sent = p->err_sent;
	snprintf(o->last_error, sizeof(o->last_error), "%s", p->err_text);
	o->gr_stale = p->gr_stale;
	o->caps_as4 = p->as4;
	o->caps_rr = p->rr;
	o->caps_gr = p->gr;
	o->caps_v4 = p->v4;
	o->caps_v6 = p->v6;
	o->caps_ext = p->ext;
	return 0;
}

static void
fill_path(const struct vx0_bgp *bgp, const struct bgp_path *p, bool best,
	  struct vx0_bgp_path_info *o)
{
	const struct bgp_attrs *a = p->attrs;
	struct bgp_path_src s;

	memset(o, 0, sizeof(*o));
	o->peer = p->peer == BGP_PEER_LOCAL ? -1 : p->peer;
	o->best = best;
	o->rejected = (p->flags & BGP_PATH_REJECTED) != 0;
	o->stale = (p->flags & BGP_PATH_STALE) != 0;
	bgp_path_src((void *)bgp, p, &s);
	o->nh_unreachable = !s.nh_ok;
	o->nexthop.family = a->k.nh_family;
	memcpy(o->nexthop.a, a->k.nh, 16);
	o->origin = a->k.origin;
	o->has_med = (a->k.present & BGP_P_MED) != 0;
	o->med = a->k.med;
	o->has_local_pref = (a->k.present & BGP_P_LOCAL_PREF) != 0;
	o->local_pref = o->has_local_pref ? a->k.local_pref : 100;
	o->as_path_len = a->as_len;
	const uint8_t *s4 = bgp_attr_sec(a, BGP_S_ASPATH);
	size_t n = a->k.len[BGP_S_ASPATH];

	while (n >= 2) {
		uint8_t c = s4[1];

		for (unsigned i = 0; i < c && 2 + 4u * (i + 1) <= n; i++) {
			if (o->as_path_n < 64)
				o->as_path[o->as_path_n] = rd32(s4 + 2 + 4 * i);
			o->as_path_n++;
		}
		if (2 + 4u * c > n)
			break;
		s4 += 2 + 4u * c;
		n -= 2 + 4u * c;
	}
	const uint8_t *c = bgp_attr_sec(a, BGP_S_COMM);

	for (unsigned i = 0; i + 4 <= a->k.len[BGP_S_COMM] && o->n_communities < 32; i += 4)
		o->communities[o->n_communities++] = rd32(c + i);
	const uint8_t *l = bgp_attr_sec(a, BGP_S_LCOMM);

	for (unsigned i = 0; i + 12 <= a->k.len[BGP_S_LCOMM] && o->n_large < 16; i += 12) {
		o->large[o->n_large].global = rd32(l + i);
		o->large[o->n_large].local1 = rd32(l + i + 4);
		o->large[o->n_large].local2 = rd32(l + i + 8);
		o->n_large++;
	}
}

int
vx0_bgp_rib_lookup(const struct vx0_bgp *bgp, const struct vx0_bgp_prefix *pfx,
		   struct vx0_bgp_path_info *paths, unsigned max, enum vx0_bgp_reason *reason)
{
	struct vx0_bgp_prefix p = *pfx;

	bgp_prefix_mask(&p);
	struct bgp_rib_entry *e = bgp_rib_get((struct bgp_rib *)&bgp->rib, &p, false);

	if (e == NULL || e->paths == NULL)
		return -ENOENT;
	unsigned n = 0;

	for (const struct bgp_path *x = e->paths; x && n < max; x = x->next, n++)
		fill_path(bgp, x, e->has_best && x == e->paths, &paths[n]);
	if (reason)
		*reason = (enum vx0_bgp_reason)e->reason;
	return (int)n;
}

int
vx0_bgp_rib_lookup_addr(const struct vx0_bgp *bgp, const struct vx0_bgp_addr *addr,
			struct vx0_bgp_prefix *matched, struct vx0_bgp_path_info *paths,
			unsigned max, enum vx0_bgp_reason *reason)
{
	struct vx0_bgp_prefix p = {.family = addr->family};
	int maxlen = addr->family == 6 ? 128 : addr->family == 4 ? 32 : -1;

	/* one exact lookup per length, longest first: at most 129 hash probes */
	for (int l = maxlen; l >= 0; l--) {
		memcpy(p.a, addr->a, 16);
		p.len = (uint8_t)l;
		bgp_prefix_mask(&p);
		struct bgp_rib_entry *e = bgp_rib_get((struct bgp_rib *)&bgp->rib, &p, false);

		if (e && e->has_best) {
			if (matched)
				*matched = p;
			return vx0_bgp_rib_lookup(bgp, &p, paths, max, reason);
		}
	}
	return -ENOENT;
}

struct walk_arg {
	const struct vx0_bgp *bgp;
	vx0_bgp_walk_cb cb;
	void *arg;
	struct vx0_bgp_path_info info;
};

static int
walk_cb(void *arg, struct bgp_rib_entry *e)
{
	struct walk_arg *w = arg;

	if (!e->has_best)
		return 0;
	fill_path(w->bgp, e->paths, true, &w->info);
	return w->cb(w->arg, &e->pfx, &w->info);
}

int
vx0_bgp_rib_walk(const struct vx0_bgp *bgp, vx0_bgp_walk_cb cb, void *arg)
{
	struct walk_arg *w = malloc(sizeof(*w));

	if (w == NULL)
		return -ENOMEM;
	w->bgp = bgp;
	w->cb = cb;
	w->arg = arg;
	int r = bgp_rib_iter((struct bgp_rib *)&bgp->rib, walk_cb, w);

	free(w);
	return r;
}

size_t
vx0_bgp_rib_count(const struct vx0_bgp *bgp)
{
	return bgp->rib.best_count;
}

size_t
vx0_bgp_attr_count(const struct vx0_bgp *bgp)
{
	return bgp->attrs.count;
}

int
vx0_bgp_prefix_parse(const char *s, struct vx0_bgp_prefix *out)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);

	if (n == 0 || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, buf, out->a) == 1)
		out->family = 4;
	else if (inet_pton(AF_INET6, buf, out->a) == 1)
		out->family = 6;
	else
		return -EINVAL;
	unsigned max = out->family == 4 ? 32 : 128;

	if (slash) {
		char *end;
		long l = strtol(slash + 1, &end, 10);

		if (*end != '\0' || end == slash + 1 || l < 0 || l > (long)max)
			return -EINVAL;
		out->len = (uint8_t)l;
	} else {
		out->len = (uint8_t)max;
	}
	bgp_prefix_mask(out);
	return 0;
}

void
vx0_bgp_prefix_format(const struct vx0_bgp_prefix *p, char *buf, size_t n)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(p->family == 4 ? AF_INET : AF_INET6, p->a, a, sizeof(a));
	snprintf(buf, n, "%s/%u", a, p->len);
}
