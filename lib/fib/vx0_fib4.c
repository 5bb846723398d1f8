/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The IPv4 table: DIR-24-8 (a 2^24-entry first level, 256-entry second-level
 * groups for prefixes longer than /24; the entry layout of rte_lpm) with its
 * own rule index, so one writer adds and deletes in O(1) rule work plus the
 * entries the prefix covers. rte_lpm scans every rule of the same length on
 * each add and delete (O(n) each, O(n^2) for a full table: ~50 s for 1M).
 *
 * Readers never lock and never wait: every entry changes with one 32-bit
 * atomic store, a new group is filled before the first-level entry that
 * points to it is published (release), and a group that is no longer used
 * returns to the pool only after a QSBR grace period (defer queue), so a
 * reader holding the old first-level entry still reads the old values.
 * For each address a lookup sees the old or the new route, never a torn one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fib_priv.h"

#define DEPTH_OF(e) ((e) >> VX0_FIB4_DEPTH_SHIFT)
#define RULE_USED (1u << 31)
#define RULE_DEPTH_SHIFT 24

/* Rule index: open addressing with linear probing over (prefix, length),
 * deletion by backward shift (no tombstones). 8 bytes a slot. */
struct vx0_fib4_rule {
	uint32_t ip;
	uint32_t v; /* RULE_USED | depth << 24 | next hop */
};

static inline uint32_t
mask_of(uint8_t depth)
{
	return depth == 0 ? 0 : ~0u << (32 - depth);
}

static inline uint32_t
slot_of(const struct vx0_fib4 *t, uint32_t ip, uint8_t depth)
{
	uint64_t k = ((uint64_t)ip << 8 | depth) * 0x9e3779b97f4a7c15ull;

	return (uint32_t)(k >> 32) & t->rules_mask;
}

static struct vx0_fib4_rule *
rule_find(const struct vx0_fib4 *t, uint32_t ip, uint8_t depth)
{
	uint32_t want = RULE_USED | (uint32_t)depth << RULE_DEPTH_SHIFT;

	for (uint32_t s = slot_of(t, ip, depth);; s = (s + 1) & t->rules_mask) {
		struct vx0_fib4_rule *r = &t->rules[s];

		if (!(r->v & RULE_USED))
			return NULL;
		if (r->ip == ip && (r->v & 0xff000000u) == want)
			return r;
	}
}

void
vx0_fib4_prefetch(const struct vx0_fib4 *t, uint32_t ip_host, uint8_t depth)
{
	uint32_t ip = ip_host & mask_of(depth);

	__builtin_prefetch(&t->rules[slot_of(t, ip, depth)]);
	if (depth <= 24)
		__builtin_prefetch(&t->lv.tbl24[ip >> 8]);
}

static void
rule_insert(struct vx0_fib4 *t, uint32_t ip, uint8_t depth, uint32_t nh)
{
	uint32_t s = slot_of(t, ip, depth);

	while (t->rules[s].v & RULE_USED)
		s = (s + 1) & t->rules_mask;
	t->rules[s].ip = ip;
	t->rules[s].v = RULE_USED | (uint32_t)depth << RULE_DEPTH_SHIFT | nh;
	t->n_rules++;
	t->depth_rules[depth]++;
}

static void
rule_remove(struct vx0_fib4 *t, struct vx0_fib4_rule *r)
{
	uint32_t i = (uint32_t)(r - t->rules), j = i;

	t->depth_rules[(r->v >> RULE_DEPTH_SHIFT) & 0x3f]--;
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
			home = slot_of(t, t->rules[j].ip, (t->rules[j].v >> RULE_DEPTH_SHIFT) & 0x3f);
			if (i <= j ? (home <= i || home > j) : (home <= i && home > j))
				break;
		}
		t->rules[i] = t->rules[j];
		i = j;
	}
}

size_t
vx0_fib4_resident(const struct vx0_fib4 *t)
{
	size_t rules = t->rules ? ((size_t)t->rules_mask + 1) * sizeof(*t->rules) : 0;

	return vx0_fib_levels_resident(&t->lv) + vx0_fib_resident(t->rules, rules);
}

int
vx0_fib4_init(struct vx0_fib4 *t, const char *name, uint32_t max_rules, uint32_t n_tbl8,
	      int socket_id, struct rte_rcu_qsbr *qsv)
{
	memset(t, 0, sizeof(*t));
	if (n_tbl8 == 0 || n_tbl8 > (1u << 24) || max_rules == 0 || max_rules > (1u << 28))
		return -EINVAL;
	t->max_rules = max_rules;
	t->rules_mask = vx0_fib_rule_slots(max_rules) - 1;
	t->rules = calloc((size_t)t->rules_mask + 1, sizeof(*t->rules));
	if (t->rules == NULL || vx0_fib_levels_init(&t->lv, name, n_tbl8, socket_id, qsv) < 0) {
		vx0_fib4_fini(t);
		return -ENOMEM;
	}
	return 0;
}

void
vx0_fib4_fini(struct vx0_fib4 *t)
{
	vx0_fib_levels_fini(&t->lv);
	free(t->rules);
	memset(t, 0, sizeof(*t));
}

static inline void
put(uint32_t *e, uint32_t v)
{
	__atomic_store_n(e, v, __ATOMIC_RELAXED);
}

/* The value entries covered by (ip, depth) fall back to once that rule is
 * gone: the next shorter rule covering it, or none. */
static uint32_t
cover_of(const struct vx0_fib4 *t, uint32_t ip, uint8_t depth)
{
	for (int d = (int)depth - 1; d >= 0; d--) {
		const struct vx0_fib4_rule *r;

		if (t->depth_rules[d] == 0)
			continue;
		r = rule_find(t, ip & mask_of((uint8_t)d), (uint8_t)d);
		if (r != NULL)
			return VX0_FIB4_VALID | (uint32_t)d << VX0_FIB4_DEPTH_SHIFT |
			       (r->v & VX0_FIB4_NH_MASK);
	}
	return 0;
}

/* Set the entries of [lo, lo + n) that belong to a rule no longer than
 * depth (or to none) to v. */
static void
fill_small(uint32_t *tbl, uint32_t lo, uint32_t n, uint8_t depth, uint32_t v)
{
	for (uint32_t i = lo; i < lo + n; i++) {
		uint32_t e = tbl[i];

		if (!(e & VX0_FIB4_VALID) || DEPTH_OF(e) <= depth)
			put(&tbl[i], v);
	}
}

/* Set the entries of [lo, lo + n) that belong to exactly the rule of this
 * depth to v (its ranges are disjoint from those of other rules of the same
 * length, so within the rule's range that is the rule). */
static void
replace_exact(uint32_t *tbl, uint32_t lo, uint32_t n, uint8_t depth, uint32_t v)
{
	for (uint32_t i = lo; i < lo + n; i++) {
		uint32_t e = tbl[i];

		if ((e & VX0_FIB4_VALID) && DEPTH_OF(e) == depth)
			put(&tbl[i], v);
	}
}

static void
apply_small(struct vx0_fib4 *t, uint32_t ip, uint8_t depth, uint32_t v, bool add)
{
	uint32_t lo = ip >> 8, n = 1u << (24 - depth);

	for (uint32_t i = lo; i < lo + n; i++) {
		uint32_t e = t->lv.tbl24[i];

		if (e & VX0_FIB4_EXT) {
			uint32_t *g = &t->lv.tbl8[(size_t)(e & VX0_FIB4_NH_MASK) << 8];

			if (add)
				fill_small(g, 0, 256, depth, v);
			else
				replace_exact(g, 0, 256, depth, v);
		} else if (add) {
			if (!(e & VX0_FIB4_VALID) || DEPTH_OF(e) <= depth)
				put(&t->lv.tbl24[i], v);
		} else if ((e & VX0_FIB4_VALID) && DEPTH_OF(e) == depth) {
			put(&t->lv.tbl24[i], v);
		}
	}
}

static int
add_big(struct vx0_fib4 *t, uint32_t ip, uint8_t depth, uint32_t v)
{
	uint32_t i = ip >> 8, e = t->lv.tbl24[i], lo = ip & 0xff, n = 1u << (32 - depth), g;
	uint32_t *grp;
	int rc;

	if (e & VX0_FIB4_EXT) {
		fill_small(&t->lv.tbl8[(size_t)(e & VX0_FIB4_NH_MASK) << 8], lo, n, depth, v);
		return 0;
	}
	rc = vx0_fib_pool_get(&t->lv.pool, &g);
	if (rc < 0)
		return rc;
	/* a private group until published: plain stores */
	grp = &t->lv.tbl8[(size_t)g << 8];
	for (uint32_t j = 0; j < 256; j++)
		grp[j] = (j - lo < n) ? v : e;
	__atomic_store_n(&t->lv.tbl24[i], VX0_FIB4_VALID | VX0_FIB4_EXT | g, __ATOMIC_RELEASE);
	return 0;
}

static void
del_big(struct vx0_fib4 *t, uint32_t ip, uint8_t depth, uint32_t repl)
{
	uint32_t i = ip >> 8, e = t->lv.tbl24[i], g, first;
	uint32_t *grp;

	if (!(e & VX0_FIB4_EXT))
		return; /* cannot happen while the rule exists */
	g = e & VX0_FIB4_NH_MASK;
	grp = &t->lv.tbl8[(size_t)g << 8];
	replace_exact(grp, ip & 0xff, 1u << (32 - depth), depth, repl);
	/* the group is no longer needed when every entry holds the same
	 * /24-or-shorter route (or none): fold it back into the first level */
	first = grp[0];
	for (uint32_t j = 1; j < 256; j++)
		if (grp[j] != first)
			return;
	if ((first & VX0_FIB4_VALID) && DEPTH_OF(first) > 24)
		return;
	__atomic_store_n(&t->lv.tbl24[i], first, __ATOMIC_RELEASE);
	vx0_fib_pool_put(&t->lv.pool, g);
}

int
vx0_fib4_get(const struct vx0_fib4 *t, uint32_t ip, uint8_t depth)
{
	const struct vx0_fib4_rule *r;

	if (depth > 32)
		return -EINVAL;
	r = rule_find(t, ip & mask_of(depth), depth);
	return r ? (int)(r->v & VX0_FIB4_NH_MASK) : -ENOENT;
}

int
vx0_fib4_add(struct vx0_fib4 *t, uint32_t ip, uint8_t depth, uint32_t nh)
{
	struct vx0_fib4_rule *r;
	uint32_t v;
	int rc;

	if (depth > 32 || nh > VX0_FIB4_NH_MASK)
		return -EINVAL;
	ip &= mask_of(depth);
	r = rule_find(t, ip, depth);
	if (r == NULL && t->n_rules >= t->max_rules)
		return -ENOSPC;
	v = VX0_FIB4_VALID | (uint32_t)depth << VX0_FIB4_DEPTH_SHIFT | nh;
	if (depth <= 24) {
		apply_small(t, ip, depth, v, true);
	} else {
		rc = add_big(t, ip, depth, v);
		if (rc < 0)
			return rc;
	}
	if (r != NULL)
		r->v = (r->v & ~VX0_FIB4_NH_MASK) | nh;
	else
		rule_insert(t, ip, depth, nh);
	return 0;
}

int
vx0_fib4_del(struct vx0_fib4 *t, uint32_t ip, uint8_t depth)
{
	struct vx0_fib4_rule *r;
	uint32_t repl;

	if (depth > 32)
		return -EINVAL;
	ip &= mask_of(depth);
	r = rule_find(t, ip, depth);
	if (r == NULL)
		return -ENOENT;
	rule_remove(t, r);
	repl = cover_of(t, ip, depth);
	if (depth <= 24)
		apply_small(t, ip, depth, repl, false);
	else
		del_big(t, ip, depth, repl);
	return 0;
}
