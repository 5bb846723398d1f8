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

#include <sys/mman.h>

#include <rte_eal.h>
#include <rte_malloc.h>

#include "vx0_fib.h"

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
		__builtin_prefetch(&t->tbl24[ip >> 8]);
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

static void
dq_free(void *p, void *e, unsigned int n)
{
	struct vx0_fib4 *t = p;
	const uint32_t *g = e;

	for (unsigned int i = 0; i < n; i++)
		t->free_tbl8[t->n_free++] = g[i];
}

#define HUGE_2M (2u << 20)

/* The tables get 2 MiB pages where the EAL gives only 4 KiB ones: without
 * hugepages the EAL's memory is a memfd (no transparent huge pages), and a
 * random lookup in the 64 MiB first level then misses the TLB nearly every
 * time. Anonymous memory with MADV_HUGEPAGE gets 2 MiB pages when the
 * kernel has them (THP "madvise" or "always"); with EAL hugepages the table
 * stays in rte_malloc memory on the wanted socket. */
static void *
table_alloc(struct vx0_fib4_map *m, const char *what, size_t size, int socket_id)
{
	if (!rte_eal_has_hugepages()) {
		size_t len = size + HUGE_2M;
		uint8_t *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p != MAP_FAILED) {
			uint8_t *a = (uint8_t *)RTE_ALIGN_CEIL((uintptr_t)p, HUGE_2M);

			madvise(a, size, MADV_HUGEPAGE); /* a hint: 4 KiB pages otherwise */
			m->base = p;
			m->len = len;
			return a;
		}
	}
	m->base = NULL;
	return rte_zmalloc_socket(what, size, RTE_CACHE_LINE_SIZE, socket_id);
}

/* Resident bytes of [p, p + size): the pages mincore() finds in memory. */
static size_t
resident(const void *p, size_t size)
{
	size_t pg = 4096, n = 0;
	uintptr_t a = (uintptr_t)p & ~(uintptr_t)(pg - 1), end = (uintptr_t)p + size;
	unsigned char v[512];

	while (a < end) {
		size_t pages = (end - a + pg - 1) / pg;

		if (pages > sizeof(v))
			pages = sizeof(v);
		if (mincore((void *)a, pages * pg, v) != 0)
			return n;
		for (size_t i = 0; i < pages; i++)
			n += (v[i] & 1) * pg;
		a += pages * pg;
	}
	return n;
}

size_t
vx0_fib4_resident(const struct vx0_fib4 *t)
{
	if (t->tbl24 == NULL)
		return 0;
	return resident(t->tbl24, sizeof(uint32_t) << 24) +
	       resident(t->tbl8, (size_t)t->n_tbl8 * 256 * sizeof(uint32_t)) +
	       resident(t->rules, ((size_t)t->rules_mask + 1) * sizeof(*t->rules));
}

static void
table_free(struct vx0_fib4_map *m, void *p)
{
	if (m->base != NULL)
		munmap(m->base, m->len);
	else
		rte_free(p);
	m->base = NULL;
}

int
vx0_fib4_init(struct vx0_fib4 *t, const char *name, uint32_t max_rules, uint32_t n_tbl8,
	      int socket_id, struct rte_rcu_qsbr *qsv)
{
	char n[RTE_RCU_QSBR_DQ_NAMESIZE];
	struct rte_rcu_qsbr_dq_parameters dp = {
		.name = n, .flags = RTE_RCU_QSBR_DQ_MT_UNSAFE, .size = n_tbl8,
		.esize = sizeof(uint32_t), .trigger_reclaim_limit = 32,
		.max_reclaim_size = 256, .free_fn = dq_free, .p = t, .v = qsv,
	};
	uint32_t slots = 1024;

	memset(t, 0, sizeof(*t));
	if (n_tbl8 == 0 || n_tbl8 > (1u << 24) || max_rules == 0 || max_rules > (1u << 28))
		return -EINVAL;
	/* load factor at most 2/3 when full */
	while (slots < max_rules + max_rules / 2)
		slots <<= 1;
	t->max_rules = max_rules;
	t->rules_mask = slots - 1;
	t->n_tbl8 = n_tbl8;
	t->qsv = qsv;
	t->tbl24 = table_alloc(&t->map24, "vx0_fib4_tbl24", sizeof(uint32_t) << 24, socket_id);
	t->tbl8 = table_alloc(&t->map8, "vx0_fib4_tbl8", (size_t)n_tbl8 * 256 * sizeof(uint32_t),
			      socket_id);
	t->rules = calloc(slots, sizeof(*t->rules));
	t->free_tbl8 = malloc(n_tbl8 * sizeof(*t->free_tbl8));
	snprintf(n, sizeof(n), "%s_dq", name);
	if (t->tbl24 == NULL || t->tbl8 == NULL || t->rules == NULL || t->free_tbl8 == NULL)
		goto fail;
	t->dq = rte_rcu_qsbr_dq_create(&dp);
	if (t->dq == NULL)
		goto fail;
	/* low group numbers first: the table stays compact */
	for (uint32_t i = 0; i < n_tbl8; i++)
		t->free_tbl8[i] = n_tbl8 - 1 - i;
	t->n_free = n_tbl8;
	return 0;
fail:
	vx0_fib4_fini(t);
	return -ENOMEM;
}

void
vx0_fib4_fini(struct vx0_fib4 *t)
{
	if (t->dq != NULL)
		rte_rcu_qsbr_dq_delete(t->dq); /* the readers are gone by now */
	if (t->tbl24 != NULL)
		table_free(&t->map24, t->tbl24);
	if (t->tbl8 != NULL)
		table_free(&t->map8, t->tbl8);
	free(t->rules);
	free(t->free_tbl8);
	memset(t, 0, sizeof(*t));
}

static inline void
put(uint32_t *e, uint32_t v)
{
	__atomic_store_n(e, v, __ATOMIC_RELAXED);
}

static int
tbl8_alloc(struct vx0_fib4 *t, uint32_t *g)
{
	if (t->n_free == 0)
		rte_rcu_qsbr_dq_reclaim(t->dq, t->n_tbl8, NULL, NULL, NULL);
	if (t->n_free == 0) {
		/* all in use or still readable: wait out the readers once
		 * (they never wait for us) rather than fail the route */
		rte_rcu_qsbr_synchronize(t->qsv, RTE_QSBR_THRID_INVALID);
		rte_rcu_qsbr_dq_reclaim(t->dq, t->n_tbl8, NULL, NULL, NULL);
	}
	if (t->n_free == 0)
		return -ENOSPC;
	*g = t->free_tbl8[--t->n_free];
	t->tbl8_used++;
	return 0;
}

static void
tbl8_release(struct vx0_fib4 *t, uint32_t g)
{
	t->tbl8_used--;
	/* the queue holds n_tbl8 entries, more than can ever be pending */
	if (rte_rcu_qsbr_dq_enqueue(t->dq, &g) != 0) {
		rte_rcu_qsbr_synchronize(t->qsv, RTE_QSBR_THRID_INVALID);
		t->free_tbl8[t->n_free++] = g;
	}
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
		uint32_t e = t->tbl24[i];

		if (e & VX0_FIB4_EXT) {
			uint32_t *g = &t->tbl8[(size_t)(e & VX0_FIB4_NH_MASK) << 8];

			if (add)
				fill_small(g, 0, 256, depth, v);
			else
				replace_exact(g, 0, 256, depth, v);
		} else if (add) {
			if (!(e & VX0_FIB4_VALID) || DEPTH_OF(e) <= depth)
				put(&t->tbl24[i], v);
		} else if ((e & VX0_FIB4_VALID) && DEPTH_OF(e) == depth) {
			put(&t->tbl24[i], v);
		}
	}
}

static int
add_big(struct vx0_fib4 *t, uint32_t ip, uint8_t depth, uint32_t v)
{
	uint32_t i = ip >> 8, e = t->tbl24[i], lo = ip & 0xff, n = 1u << (32 - depth), g;
	uint32_t *grp;
	int rc;

	if (e & VX0_FIB4_EXT) {
		fill_small(&t->tbl8[(size_t)(e & VX0_FIB4_NH_MASK) << 8], lo, n, depth, v);
		return 0;
	}
	rc = tbl8_alloc(t, &g);
	if (rc < 0)
		return rc;
	/* a private group until published: plain stores */
	grp = &t->tbl8[(size_t)g << 8];
	for (uint32_t j = 0; j < 256; j++)
		grp[j] = (j - lo < n) ? v : e;
	__atomic_store_n(&t->tbl24[i], VX0_FIB4_VALID | VX0_FIB4_EXT | g, __ATOMIC_RELEASE);
	return 0;
}

static void
del_big(struct vx0_fib4 *t, uint32_t ip, uint8_t depth, uint32_t repl)
{
	uint32_t i = ip >> 8, e = t->tbl24[i], g, first;
	uint32_t *grp;

	if (!(e & VX0_FIB4_EXT))
		return; /* cannot happen while the rule exists */
	g = e & VX0_FIB4_NH_MASK;
	grp = &t->tbl8[(size_t)g << 8];
	replace_exact(grp, ip & 0xff, 1u << (32 - depth), depth, repl);
	/* the group is no longer needed when every entry holds the same
	 * /24-or-shorter route (or none): fold it back into the first level */
	first = grp[0];
	for (uint32_t j = 1; j < 256; j++)
		if (grp[j] != first)
			return;
	if ((first & VX0_FIB4_VALID) && DEPTH_OF(first) > 24)
		return;
	__atomic_store_n(&t->tbl24[i], first, __ATOMIC_RELEASE);
	tbl8_release(t, g);
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
