/* SPDX-License-Identifier: BSD-3-Clause */
/* Import/export policy: ordered terms of matches and sets over an attribute set. */
#include <string.h>

#include "bgp_int.h"

static inline uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void
wr32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

bool
bgp_prefix_match(const struct vx0_bgp_prefix_match *m, const struct vx0_bgp_prefix *p)
{
	if (m->pfx.family != p->family || p->len < m->pfx.len)
		return false;
	uint8_t ge = m->ge ? m->ge : m->pfx.len, le = m->le ? m->le : m->pfx.len;

	if (p->len < ge || p->len > le)
		return false;
	/* p inside m->pfx: the first m->pfx.len bits agree */
	unsigned full = m->pfx.len / 8, rem = m->pfx.len % 8;

	if (memcmp(m->pfx.a, p->a, full) != 0)
		return false;
	if (rem) {
		uint8_t mask = (uint8_t)(0xff00u >> rem);

		if ((m->pfx.a[full] & mask) != (p->a[full] & mask))
			return false;
	}
	return true;
}

static bool
has_community(const struct bgp_attr_build *b, uint32_t c)
{
	for (unsigned i = 0; i + 4 <= b->k.len[BGP_S_COMM]; i += 4)
		if (rd32(b->sec[BGP_S_COMM] + i) == c)
			return true;
	return false;
}

static bool
has_large(const struct bgp_attr_build *b, const struct vx0_bgp_large_community *lc)
{
	for (unsigned i = 0; i + 12 <= b->k.len[BGP_S_LCOMM]; i += 12) {
		const uint8_t *q = b->sec[BGP_S_LCOMM] + i;

		if (rd32(q) == lc->global && rd32(q + 4) == lc->local1 && rd32(q + 8) == lc->local2)
			return true;
	}
	return false;
}

static bool
term_matches(const struct vx0_bgp_policy_term *t, const struct vx0_bgp_prefix *pfx,
	     const struct bgp_attr_build *b)
{
	if (t->n_prefixes) {
		bool any = false;

		for (unsigned i = 0; i < t->n_prefixes && !any; i++)
			any = bgp_prefix_match(&t->prefixes[i], pfx);
		if (!any)
			return false;
	}
	const uint8_t *ap = b->sec[BGP_S_ASPATH];
	size_t an = b->k.len[BGP_S_ASPATH];

	if (t->as_path_contains && !bgp_aspath_contains(ap, an, t->as_path_contains))
		return false;
	if (t->origin_as || t->neighbor_as || t->max_as_path_len) {
		uint16_t len;
		uint32_t first, last;

		bgp_aspath_stats(ap, an, &len, &first, &last);
		if (t->origin_as && last != t->origin_as)
			return false;
		if (t->neighbor_as && first != t->neighbor_as)
			return false;
		if (t->max_as_path_len && len > t->max_as_path_len)
			return false;
	}
	if (t->community && !has_community(b, t->community))
		return false;
	if (t->match_large && !has_large(b, &t->large))
		return false;
	return true;
}

static void
apply_sets(const struct vx0_bgp_policy_term *t, struct bgp_attr_build *b, uint32_t local_as)
{
	if (t->set_local_pref) {
		b->k.local_pref = t->local_pref;
		b->k.present |= BGP_P_LOCAL_PREF;
	}
	if (t->set_med) {
		b->k.med = t->med;
		b->k.present |= BGP_P_MED;
	}
	if (t->remove_community) {
		uint8_t *s = b->sec[BGP_S_COMM];
		size_t o = 0;

		for (size_t i = 0; i + 4 <= b->k.len[BGP_S_COMM]; i += 4)
			if (rd32(s + i) != t->remove_community) {
				memmove(s + o, s + i, 4);
				o += 4;
			}
		b->k.len[BGP_S_COMM] = (uint16_t)o;
	}
	for (unsigned i = 0; i < t->n_add_communities && i < VX0_BGP_TERM_MAX_SET; i++) {
		if (has_community(b, t->add_communities[i]) || b->k.len[BGP_S_COMM] + 4u > 0xfff0)
			continue;
		wr32(b->sec[BGP_S_COMM] + b->k.len[BGP_S_COMM], t->add_communities[i]);
		b->k.len[BGP_S_COMM] += 4;
	}
	for (unsigned i = 0; i < t->n_add_large && i < VX0_BGP_TERM_MAX_SET; i++) {
		if (has_large(b, &t->add_large[i]) || b->k.len[BGP_S_LCOMM] + 12u > 0xfff0)
			continue;
		uint8_t *q = b->sec[BGP_S_LCOMM] + b->k.len[BGP_S_LCOMM];

		wr32(q, t->add_large[i].global);
		wr32(q + 4, t->add_large[i].local1);
		wr32(q + 8, t->add_large[i].local2);
		b->k.len[BGP_S_LCOMM] += 12;
	}
	if (t->prepend)
		bgp_aspath_prepend(b, local_as, t->prepend);
}

enum vx0_bgp_action
bgp_policy_apply(const struct vx0_bgp_policy *pol, const struct vx0_bgp_prefix *pfx,
		 struct bgp_attr_build *b, uint32_t local_as)
{
	if (pol == NULL)
		return VX0_BGP_ACCEPT;
	for (unsigned i = 0; i < pol->n_terms; i++) {
		const struct vx0_bgp_policy_term *t = &pol->terms[i];

		if (!term_matches(t, pfx, b))
			continue;
		apply_sets(t, b, local_as);
		if (t->action != VX0_BGP_NEXT)
			return t->action;
	}
	return pol->default_action == VX0_BGP_REJECT ? VX0_BGP_REJECT : VX0_BGP_ACCEPT;
}
