/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The RIB: a chained hash of prefixes; each entry holds the paths of every
 * peer (the Adj-RIBs-In, filtered paths kept and flagged), the best first
 * (the Loc-RIB), and a bit per peer for what was advertised (Adj-RIB-Out).
 * Entries and paths come from slabs: no per-route malloc header.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bgp_int.h"

#define SLAB_CHUNK 4096

static void
slab_init(struct bgp_slab *s, size_t size)
{
	memset(s, 0, sizeof(*s));
	s->obj_size = size < sizeof(void *) ? sizeof(void *) : size;
}

static void *
slab_alloc(struct bgp_slab *s)
{
	if (s->free_list == NULL) {
		void **nc = realloc(s->chunks, (s->n_chunks + 1) * sizeof(*nc));

		if (nc == NULL)
			return NULL;
		s->chunks = nc;
		uint8_t *c = malloc(s->obj_size * SLAB_CHUNK);

		if (c == NULL)
			return NULL;
		s->chunks[s->n_chunks++] = c;
		for (size_t i = SLAB_CHUNK; i-- > 0;) {
			void **o = (void **)(c + i * s->obj_size);

			*o = s->free_list;
			s->free_list = o;
		}
	}
	void **o = s->free_list;

	s->free_list = *o;
	return o;
}

static void
slab_free(struct bgp_slab *s, void *p)
{
	*(void **)p = s->free_list;
	s->free_list = p;
}

static void
slab_fini(struct bgp_slab *s)
{
	for (size_t i = 0; i < s->n_chunks; i++)
		free(s->chunks[i]);
	free(s->chunks);
	memset(s, 0, sizeof(*s));
}

static uint32_t
pfx_hash(const struct vx0_bgp_prefix *p)
{
	uint64_t h = (uint64_t)p->family << 8 | p->len;
	unsigned n = p->family == 6 ? 16 : 4;

	for (unsigned i = 0; i < n; i += 4) {
		uint32_t w;

		memcpy(&w, p->a + i, 4);
		h = (h ^ w) * 0x9e3779b97f4a7c15ull;
	}
	return (uint32_t)(h >> 32);
}

int
bgp_rib_init(struct bgp_rib *r)
{
	memset(r, 0, sizeof(*r));
	r->mask = 1023;
	r->buckets = calloc(r->mask + 1, sizeof(*r->buckets));
	if (r->buckets == NULL)
		return -ENOMEM;
	slab_init(&r->entries, sizeof(struct bgp_rib_entry));
	slab_init(&r->paths, sizeof(struct bgp_path));
	return 0;
}

void
bgp_rib_fini(struct bgp_rib *r, struct bgp_attr_table *t)
{
	if (r->buckets == NULL)
		return;
	for (uint32_t i = 0; i <= r->mask; i++)
		for (struct bgp_rib_entry *e = r->buckets[i]; e; e = e->hnext)
			for (struct bgp_path *p = e->paths; p; p = p->next)
				bgp_attr_unref(t, p->attrs);
	free(r->buckets);
	r->buckets = NULL;
	slab_fini(&r->entries);
	slab_fini(&r->paths);
}

#define GROW_AHEAD 32

static void
rib_grow(struct bgp_rib *r)
{
	uint32_t nmask = r->mask * 2 + 1;
	struct bgp_rib_entry **nb = calloc(nmask + 1, sizeof(*nb));

	if (nb == NULL)
		return;
	/* a full table doubles the hash up to 20 times, moving every entry:
	 * request the entries a few buckets on, so the misses overlap */
	for (uint32_t i = 0; i <= r->mask; i++) {
		struct bgp_rib_entry *e = r->buckets[i], *n;

		if (i + GROW_AHEAD <= r->mask && r->buckets[i + GROW_AHEAD])
			__builtin_prefetch(r->buckets[i + GROW_AHEAD]);
		for (; e; e = n) {
			n = e->hnext;
			e->hnext = nb[e->hash & nmask];
			nb[e->hash & nmask] = e;
		}
	}
	free(r->buckets);
	r->buckets = nb;
	r->mask = nmask;
}

static inline bool
pfx_equal(const struct vx0_bgp_prefix *a, const struct vx0_bgp_prefix *b)
{
	uint64_t a0, a1, b0, b1;

	memcpy(&a0, a->a, 8);
	memcpy(&a1, a->a + 8, 8);
	memcpy(&b0, b->a, 8);
	memcpy(&b1, b->a + 8, 8);
	return a->family == b->family && a->len == b->len && ((a0 ^ b0) | (a1 ^ b1)) == 0;
}

void
bgp_rib_prefetch(const struct bgp_rib *r, const struct vx0_bgp_prefix *p)
{
	__builtin_prefetch(&r->buckets[pfx_hash(p) & r->mask]);
}

void
bgp_rib_prefetch_entry(const struct bgp_rib *r, const struct vx0_bgp_prefix *p)
{
	const struct bgp_rib_entry *e = r->buckets[pfx_hash(p) & r->mask];

	if (e != NULL)
		__builtin_prefetch(e);
}

struct bgp_rib_entry *
bgp_rib_get(struct bgp_rib *r, const struct vx0_bgp_prefix *p, bool create)
{
	uint32_t h = pfx_hash(p);
	struct bgp_rib_entry *e;

	for (e = r->buckets[h & r->mask]; e; e = e->hnext)
		if (e->hash == h && pfx_equal(&e->pfx, p))
			return e;
	if (!create)
		return NULL;
	e = slab_alloc(&r->entries);
	if (e == NULL)
		return NULL;
	memset(e, 0, sizeof(*e));
	e->hash = h;
	e->pfx = *p;
	if (r->count + 1 > (size_t)r->mask + 1)
		rib_grow(r);
	e->hnext = r->buckets[h & r->mask];
	r->buckets[h & r->mask] = e;
	r->count++;
	return e;
}

void
bgp_rib_remove_if_empty(struct bgp_rib *r, struct bgp_rib_entry *e)
{
	if (e->paths != NULL || e->adv != 0)
		return;
	struct bgp_rib_entry **pp = &r->buckets[e->hash & r->mask];

	while (*pp && *pp != e)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = e->hnext;
	r->count--;
	slab_free(&r->entries, e);
}

struct bgp_path *
bgp_path_alloc(struct bgp_rib *r)
{
	struct bgp_path *p = slab_alloc(&r->paths);

	if (p)
		memset(p, 0, sizeof(*p));
	return p;
}

void
bgp_path_free(struct bgp_rib *r, struct bgp_path *p)
{
	slab_free(&r->paths, p);
}

int
bgp_rib_iter(struct bgp_rib *r, bgp_rib_iter_cb cb, void *arg)
{
	for (uint32_t i = 0; i <= r->mask; i++) {
		struct bgp_rib_entry *e = r->buckets[i], *n;

		for (; e; e = n) {
			n = e->hnext;
			int rc = cb(arg, e);

			if (rc)
				return rc;
		}
	}
	return 0;
}

/* ---- decision process (RFC 4271 9.1.2.2) ---- */

#define MAX_CAND 64

struct cand {
	struct bgp_path *p;
	struct bgp_path_src s;
	bool out;
};

static uint32_t
lp(const struct bgp_path *p)
{
	return (p->attrs->k.present & BGP_P_LOCAL_PREF) ? p->attrs->k.local_pref : 100;
}

static uint32_t
med(const struct bgp_path *p)
{
	return (p->attrs->k.present & BGP_P_MED) ? p->attrs->k.med : 0;
}

static unsigned
remaining(const struct cand *c, unsigned n)
{
	unsigned k = 0;

	for (unsigned i = 0; i < n; i++)
		k += !c[i].out;
	return k;
}

/* Keeps the candidates with the minimum key; returns how many remain. */
#define ELIMINATE_MIN(keyexpr)                                               \
	do {                                                                 \
		uint64_t best_ = UINT64_MAX;                                 \
		for (unsigned i = 0; i < n; i++) {                           \
			if (c[i].out)                                        \
				continue;                                    \
			const struct cand *x = &c[i];                        \
			uint64_t k_ = (keyexpr);                             \
			if (k_ < best_)                                      \
				best_ = k_;                                  \
		}                                                            \
		for (unsigned i = 0; i < n; i++) {                           \
			if (c[i].out)                                        \
				continue;                                    \
			const struct cand *x = &c[i];                        \
			if ((uint64_t)(keyexpr) != best_)                    \
				c[i].out = true;                             \
		}                                                            \
	} while (0)

static uint64_t
addr_key(const struct vx0_bgp_addr *a)
{
	/* compare addresses by their first 8 octets, then fall back below */
	uint64_t k = 0;

	for (int i = 0; i < 8; i++)
		k = k << 8 | a->a[i];
	return k;
}

bool
bgp_decide(struct bgp_rib_entry *e, bgp_src_fn src, void *arg)
{
	struct cand c[MAX_CAND];
	unsigned n = 0, before;
	enum vx0_bgp_reason reason = VX0_BGP_REASON_ONLY;

	for (struct bgp_path *p = e->paths; p && n < MAX_CAND; p = p->next) {
		if (p->flags & BGP_PATH_REJECTED)
			continue;
		c[n].p = p;
		c[n].out = false;
		src(arg, p, &c[n].s);
		if (!c[n].s.nh_ok)
			continue; /* 9.1.2.1: unresolvable next hop is not eligible */
		n++;
	}
	if (n == 0) {
		e->has_best = 0;
		e->reason = VX0_BGP_REASON_NONE;
		return false;
	}
	if (n == 1)
		goto done;
	/* each step removes candidates; the reason is the step that left one */
	before = remaining(c, n);
	ELIMINATE_MIN(UINT32_MAX - (uint64_t)lp(x->p));
	if (before > 1 && remaining(c, n) == 1) {
		reason = VX0_BGP_REASON_LOCAL_PREF;
		goto done;
	}
	before = remaining(c, n);
	ELIMINATE_MIN(x->p->attrs->as_len);
	if (before > 1 && remaining(c, n) == 1) {
		reason = VX0_BGP_REASON_AS_PATH;
		goto done;
	}
	before = remaining(c, n);
	ELIMINATE_MIN(x->p->attrs->k.origin);
	if (before > 1 && remaining(c, n) == 1) {
		reason = VX0_BGP_REASON_ORIGIN;
		goto done;
	}
	/* MED: compared only among routes from the same neighbouring AS */
	before = remaining(c, n);
	for (unsigned i = 0; i < n; i++) {
		if (c[i].out)
			continue;
		for (unsigned j = 0; j < n; j++) {
			if (j == i || c[j].out)
				continue;
			if (c[j].p->attrs->first_as == c[i].p->attrs->first_as &&
			    med(c[j].p) < med(c[i].p)) {
				c[i].out = true;
				break;
			}
		}
	}
	if (before > 1 && remaining(c, n) == 1) {
		reason = VX0_BGP_REASON_MED;
		goto done;
	}
	before = remaining(c, n);
	ELIMINATE_MIN(x->s.ebgp ? 0 : 1);
	if (before > 1 && remaining(c, n) == 1) {
		reason = VX0_BGP_REASON_EBGP;
		goto done;
	}
	before = remaining(c, n);
	/* RFC 4456 9: ORIGINATOR_ID stands in for the router id when present */
	ELIMINATE_MIN((x->p->attrs->k.present & BGP_P_ORIGINATOR) ? x->p->attrs->k.originator_id
								  : x->s.router_id);
	if (before > 1 && remaining(c, n) == 1) {
		reason = VX0_BGP_REASON_ROUTER_ID;
		goto done;
	}
	ELIMINATE_MIN(addr_key(&x->s.addr));
	/* ties left (same first 8 octets): lowest full address via memcmp */
	{
		int bi = -1;

		for (unsigned i = 0; i < n; i++) {
			if (c[i].out)
				continue;
			if (bi < 0 || memcmp(c[i].s.addr.a, c[bi].s.addr.a, 16) < 0)
				bi = (int)i;
		}
		for (unsigned i = 0; i < n; i++)
			if ((int)i != bi)
				c[i].out = true;
	}
	reason = VX0_BGP_REASON_PEER_ADDR;
done:;
	struct bgp_path *best = NULL;

	for (unsigned i = 0; i < n; i++)
		if (!c[i].out) {
			best = c[i].p;
			break;
		}
	/* move best to the head of the list */
	struct bgp_path **pp = &e->paths;

	while (*pp != best)
		pp = &(*pp)->next;
	*pp = best->next;
	best->next = e->paths;
	e->paths = best;
	e->has_best = 1;
	e->reason = (uint8_t)reason;
	return true;
}
