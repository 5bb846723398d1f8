/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The IPv6 table: a 2^24-entry first level by the top 24 bits, then
 * 256-entry groups for each further byte (the shape of rte_lpm6), with the
 * IPv4 table's rules: its own rule index, so an add or delete costs one
 * hash operation plus the entries the prefix covers, and lock-free readers
 * that never wait. Every entry changes with one 32-bit atomic store; a new
 * group (and any new groups below it) is filled before the entry naming it
 * is published (release); a group that is no longer needed is folded back
 * into its parent entry and reused only after a QSBR grace period. So each
 * lookup sees the old or the new route, and no copy of the table is needed
 * (rte_lpm6 has no RCU support: we used to keep two and replay changes).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fib_priv.h"

#define DEPTH_OF(e) (((e) >> VX0_FIB6_DEPTH_SHIFT) & 0xff)
#define RULE_USED (1u << 31)
#define RULE_DEPTH_SHIFT 20
#define RULE_DEPTH(v) (((v) >> RULE_DEPTH_SHIFT) & 0xff)

/* Rule index: open addressing with linear probing, deletion by backward
 * shift (no tombstones). */
struct vx0_fib6_rule {
	uint8_t ip[16];
	uint32_t v; /* RULE_USED | depth << 20 | next hop */
};

static void
mask_to(uint8_t out[16], const uint8_t *ip, uint8_t depth)
{
	for (unsigned int i = 0; i < 16; i++) {
		unsigned int bits = depth > i * 8 ? depth - i * 8 : 0;

		out[i] = bits >= 8 ? ip[i] : (uint8_t)(ip[i] & (0xff00u >> bits));
	}
}

static inline uint32_t
slot_of(const struct vx0_fib6 *t, const uint8_t ip[16], uint8_t depth)
{
	uint64_t a, b, k;

	memcpy(&a, ip, 8);
	memcpy(&b, ip + 8, 8);
	k = (a * 0x9e3779b97f4a7c15ull) ^ ((b + depth) * 0xc2b2ae3d27d4eb4full);
	k ^= k >> 29;
	k *= 0xbf58476d1ce4e5b9ull;
	return (uint32_t)(k >> 32) & t->rules_mask;
}

static struct vx0_fib6_rule *
rule_find(const struct vx0_fib6 *t, const uint8_t ip[16], uint8_t depth)
{
	for (uint32_t s = slot_of(t, ip, depth);; s = (s + 1) & t->rules_mask) {
		struct vx0_fib6_rule *r = &t->rules[s];

		if (!(r->v & RULE_USED))
			return NULL;
		if (RULE_DEPTH(r->v) == depth && memcmp(r->ip, ip, 16) == 0)
			return r;
	}
}

static void
rule_insert(struct vx0_fib6 *t, const uint8_t ip[16], uint8_t depth, uint32_t nh)
{
	uint32_t s = slot_of(t, ip, depth);

	while (t->rules[s].v & RULE_USED)
		s = (s + 1) & t->rules_mask;
	memcpy(t->rules[s].ip, ip, 16);
	t->rules[s].v = RULE_USED | (uint32_t)depth << RULE_DEPTH_SHIFT | nh;
	t->n_rules++;
	t->depth_rules[depth]++;
}

static void
rule_remove(struct vx0_fib6 *t, struct vx0_fib6_rule *r)
{
	uint32_t i = (uint32_t)(r - t->rules), j = i;

	t->depth_rules[RULE_DEPTH(r->v)]--;
	t->n_rules--;
	/* backward shift: move later members of the probe run into the hole
	 * when their home slot is not in (hole, j] */
	for (;;) {
		uint32_t home;

		t->rules[i].v = 0;
		for (;;) {
			j = (j + 1) & t->rules_mask;
			if (!(t->rules[j].v & RULE_USED))
				return;
			home = slot_of(t, t->rules[j].ip, (uint8_t)RULE_DEPTH(t->rules[j].v));
			if (i <= j ? (home <= i || home > j) : (home <= i && home > j))
				break;
		}
		t->rules[i] = t->rules[j];
		i = j;
	}
}

int
vx0_fib6_init(struct vx0_fib6 *t, const char *name, uint32_t max_rules, uint32_t n_tbl8,
	      int socket_id, struct rte_rcu_qsbr *qsv)
{
	memset(t, 0, sizeof(*t));
	if (n_tbl8 == 0 || n_tbl8 > VX0_FIB6_NH_MASK + 1 || max_rules == 0 ||
	    max_rules > (1u << 26))
		return -EINVAL;
	t->max_rules = max_rules;
	t->rules_mask = vx0_fib_rule_slots(max_rules) - 1;
	t->rules = calloc((size_t)t->rules_mask + 1, sizeof(*t->rules));
	if (t->rules == NULL || vx0_fib_levels_init(&t->lv, name, n_tbl8, socket_id, qsv) < 0) {
		vx0_fib6_fini(t);
		return -ENOMEM;
	}
	return 0;
}

void
vx0_fib6_fini(struct vx0_fib6 *t)
{
	vx0_fib_levels_fini(&t->lv);
	free(t->rules);
	memset(t, 0, sizeof(*t));
}

size_t
vx0_fib6_resident(const struct vx0_fib6 *t)
{
	size_t rules = t->rules ? ((size_t)t->rules_mask + 1) * sizeof(*t->rules) : 0;

	return vx0_fib_levels_resident(&t->lv) + vx0_fib_resident(t->rules, rules);
}

static inline void
put(uint32_t *e, uint32_t v)
{
	__atomic_store_n(e, v, __ATOMIC_RELAXED);
}

static inline uint32_t *
group(const struct vx0_fib6 *t, uint32_t e)
{
	return &t->lv.tbl8[(size_t)(e & VX0_FIB6_NH_MASK) << 8];
}

/* Level k's table covers address bits up to 24 + 8k; its index. */
static inline unsigned int
level_end(unsigned int k)
{
	return 24 + 8 * k;
}

static inline uint32_t
index_at(const uint8_t ip[16], unsigned int k)
{
	return k == 0 ? (uint32_t)ip[0] << 16 | (uint32_t)ip[1] << 8 | ip[2] : ip[2 + k];
}

/* Every entry of a group (and the groups below it) that belongs to a rule
 * no longer than depth, or to none, becomes v. */
static void
fill_rec(struct vx0_fib6 *t, uint32_t *grp, uint8_t depth, uint32_t v)
{
	for (unsigned int j = 0; j < 256; j++) {
		uint32_t e = grp[j];

		if (e & VX0_FIB6_EXT)
			fill_rec(t, group(t, e), depth, v);
		else if (!(e & VX0_FIB6_VALID) || DEPTH_OF(e) <= depth)
			put(&grp[j], v);
	}
}

static void
add_rec(struct vx0_fib6 *t, uint32_t *tbl, unsigned int k, const uint8_t ip[16], uint8_t depth,
	uint32_t v)
{
	uint32_t idx = index_at(ip, k), e, g;
	uint32_t *grp;

	if (depth <= level_end(k)) {
		uint32_t n = 1u << (level_end(k) - depth), lo = idx & ~(n - 1);

		for (uint32_t i = lo; i < lo + n; i++) {
			e = tbl[i];
			if (e & VX0_FIB6_EXT)
				fill_rec(t, group(t, e), depth, v);
			else if (!(e & VX0_FIB6_VALID) || DEPTH_OF(e) <= depth)
				put(&tbl[i], v);
		}
		return;
	}
	e = tbl[idx];
	if (e & VX0_FIB6_EXT) {
		add_rec(t, group(t, e), k + 1, ip, depth, v);
		return;
	}
	/* a new group: private (plain stores) until the entry names it; the
	 * caller made sure enough groups are free */
	vx0_fib_pool_get(&t->lv.pool, &g);
	grp = &t->lv.tbl8[(size_t)g << 8];
	for (unsigned int j = 0; j < 256; j++)
		grp[j] = e;
	add_rec(t, grp, k + 1, ip, depth, v);
	__atomic_store_n(&tbl[idx], VX0_FIB6_VALID | VX0_FIB6_EXT | g, __ATOMIC_RELEASE);
}

/* The group *pe names is no longer needed when all its entries hold the
 * same route that pe's level can hold itself (or none): fold it back. */
static void
fold(struct vx0_fib6 *t, uint32_t *pe, unsigned int end)
{
	uint32_t e = *pe, *grp = group(t, e), first = grp[0];

	if (first & VX0_FIB6_EXT)
		return;
	for (unsigned int j = 1; j < 256; j++)
		if (grp[j] != first)
			return;
	if ((first & VX0_FIB6_VALID) && DEPTH_OF(first) > end)
		return;
	__atomic_store_n(pe, first, __ATOMIC_RELEASE);
	vx0_fib_pool_put(&t->lv.pool, e & VX0_FIB6_NH_MASK);
}

/* Entries of exactly this rule's depth (within its range that is the
 * rule) become repl, in a group at level k and below. */
static void
replace_rec(struct vx0_fib6 *t, uint32_t *grp, unsigned int k, uint8_t depth, uint32_t repl)
{
	for (unsigned int j = 0; j < 256; j++) {
		uint32_t e = grp[j];

		if (e & VX0_FIB6_EXT) {
			replace_rec(t, group(t, e), k + 1, depth, repl);
			fold(t, &grp[j], level_end(k));
		} else if ((e & VX0_FIB6_VALID) && DEPTH_OF(e) == depth) {
			put(&grp[j], repl);
		}
	}
}

static void
del_rec(struct vx0_fib6 *t, uint32_t *tbl, unsigned int k, const uint8_t ip[16], uint8_t depth,
	uint32_t repl)
{
	uint32_t idx = index_at(ip, k), e;

	if (depth <= level_end(k)) {
		uint32_t n = 1u << (level_end(k) - depth), lo = idx & ~(n - 1);

		for (uint32_t i = lo; i < lo + n; i++) {
			e = tbl[i];
			if (e & VX0_FIB6_EXT) {
				replace_rec(t, group(t, e), k + 1, depth, repl);
				fold(t, &tbl[i], level_end(k));
			} else if ((e & VX0_FIB6_VALID) && DEPTH_OF(e) == depth) {
				put(&tbl[i], repl);
			}
		}
		return;
	}
	e = tbl[idx];
	if (!(e & VX0_FIB6_EXT))
		return; /* cannot happen while the rule exists */
	del_rec(t, group(t, e), k + 1, ip, depth, repl);
	fold(t, &tbl[idx], level_end(k));
}

/* What entries covered by (ip, depth) fall back to once that rule is gone:
 * the next shorter rule covering it, or none. */
static uint32_t
cover_of(const struct vx0_fib6 *t, const uint8_t ip[16], uint8_t depth)
{
	uint8_t p[16];

	for (int d = (int)depth - 1; d >= 0; d--) {
		const struct vx0_fib6_rule *r;

		if (t->depth_rules[d] == 0)
			continue;
		mask_to(p, ip, (uint8_t)d);
		r = rule_find(t, p, (uint8_t)d);
		if (r != NULL)
			return VX0_FIB6_VALID | (uint32_t)d << VX0_FIB6_DEPTH_SHIFT |
			       (r->v & VX0_FIB6_NH_MASK);
	}
	return 0;
}

int
vx0_fib6_get(const struct vx0_fib6 *t, const uint8_t ip[16], uint8_t depth)
{
	const struct vx0_fib6_rule *r;
	uint8_t p[16];

	if (depth > 128)
		return -EINVAL;
	mask_to(p, ip, depth);
	r = rule_find(t, p, depth);
	return r ? (int)(r->v & VX0_FIB6_NH_MASK) : -ENOENT;
}

int
vx0_fib6_add(struct vx0_fib6 *t, const uint8_t ip[16], uint8_t depth, uint32_t nh)
{
	struct vx0_fib6_rule *r;
	uint8_t p[16];

	if (depth > 128 || nh > VX0_FIB6_NH_MASK)
		return -EINVAL;
	mask_to(p, ip, depth);
	r = rule_find(t, p, depth);
	if (r == NULL && t->n_rules >= t->max_rules)
		return -ENOSPC;
	/* at most one new group per level below the first: all or nothing */
	if (depth > 24 && vx0_fib_pool_avail(&t->lv.pool) < (uint32_t)(depth - 24 + 7) / 8)
		return -ENOSPC;
	add_rec(t, t->lv.tbl24, 0, p, depth,
		VX0_FIB6_VALID | (uint32_t)depth << VX0_FIB6_DEPTH_SHIFT | nh);
	if (r != NULL)
		r->v = (r->v & ~VX0_FIB6_NH_MASK) | nh;
	else
		rule_insert(t, p, depth, nh);
	return 0;
}

int
vx0_fib6_del(struct vx0_fib6 *t, const uint8_t ip[16], uint8_t depth)
{
	struct vx0_fib6_rule *r;
	uint8_t p[16];

	if (depth > 128)
		return -EINVAL;
	mask_to(p, ip, depth);
	r = rule_find(t, p, depth);
	if (r == NULL)
		return -ENOENT;
	rule_remove(t, r);
	del_rec(t, t->lv.tbl24, 0, p, depth, cover_of(t, p, depth));
	return 0;
}
