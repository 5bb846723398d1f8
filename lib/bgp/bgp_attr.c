/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Path attributes: the interning table (one shared, reference-counted copy
 * per distinct attribute set, so a full table costs a pointer per route) and
 * AS path helpers. The UPDATE parser is in bgp_update.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bgp_int.h"

int
bgp_attr_build_init(struct bgp_attr_build *b)
{
	memset(b, 0, sizeof(*b));
	for (int i = 0; i < BGP_S_N; i++) {
		b->sec[i] = malloc(BGP_SEC_CAP);
		if (b->sec[i] == NULL) {
			bgp_attr_build_fini(b);
			return -ENOMEM;
		}
	}
	b->scratch = malloc(BGP_SEC_CAP);
	if (b->scratch == NULL) {
		bgp_attr_build_fini(b);
		return -ENOMEM;
	}
	return 0;
}

void
bgp_attr_build_fini(struct bgp_attr_build *b)
{
	for (int i = 0; i < BGP_S_N; i++) {
		free(b->sec[i]);
		b->sec[i] = NULL;
	}
	free(b->scratch);
	b->scratch = NULL;
}

void
bgp_attr_build_clear(struct bgp_attr_build *b)
{
	memset(&b->k, 0, sizeof(b->k));
}

const uint8_t *
bgp_attr_sec(const struct bgp_attrs *a, int sec)
{
	size_t off = 0;

	for (int i = 0; i < sec; i++)
		off += a->k.len[i];
	return a->data + off;
}

void
bgp_attr_build_load(struct bgp_attr_build *b, const struct bgp_attrs *a)
{
	b->k = a->k;
	for (int i = 0; i < BGP_S_N; i++)
		memcpy(b->sec[i], bgp_attr_sec(a, i), a->k.len[i]);
}

int
bgp_attr_table_init(struct bgp_attr_table *t)
{
	t->mask = 1023;
	t->count = 0;
	t->last = NULL;
	t->buckets = calloc(t->mask + 1, sizeof(*t->buckets));
	return t->buckets ? 0 : -ENOMEM;
}

void
bgp_attr_table_fini(struct bgp_attr_table *t)
{
	if (t->buckets == NULL)
		return;
	for (uint32_t i = 0; i <= t->mask; i++) {
		struct bgp_attrs *a = t->buckets[i], *n;

		for (; a; a = n) {
			n = a->hnext;
			free(a);
		}
	}
	free(t->buckets);
	t->buckets = NULL;
	t->last = NULL;
}

/* 8 bytes at a time (the key and AS paths are tens of bytes; a byte-wise
 * hash cost more than the lookup), mixed so the low bits index buckets. */
static uint64_t
mix(uint64_t h, const uint8_t *p, size_t n)
{
	uint64_t w;

	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ull;
		h ^= h >> 29;
	}
	if (n) {
		w = 0;
		memcpy(&w, p, n);
		h = (h ^ w ^ (uint64_t)n << 56) * 0x9e3779b97f4a7c15ull;
		h ^= h >> 29;
	}
	return h;
}

uint32_t
bgp_attr_hash(const struct bgp_attr_build *b)
{
	uint64_t h = mix(0x243f6a8885a308d3ull, (const uint8_t *)&b->k, sizeof(b->k));

	for (int i = 0; i < BGP_S_N; i++)
		if (b->k.len[i])
			h = mix(h + (uint64_t)i, b->sec[i], b->k.len[i]);
	h *= 0xff51afd7ed558ccdull;
	return (uint32_t)(h >> 32) ^ (uint32_t)h;
}

static bool
build_equal(const struct bgp_attrs *a, const struct bgp_attr_build *b)
{
	if (memcmp(&a->k, &b->k, sizeof(b->k)) != 0)
		return false;
	const uint8_t *p = a->data;

	for (int i = 0; i < BGP_S_N; i++) {
		if (memcmp(p, b->sec[i], b->k.len[i]) != 0)
			return false;
		p += b->k.len[i];
	}
	return true;
}

static void
table_grow(struct bgp_attr_table *t)
{
	uint32_t nmask = t->mask * 2 + 1;
	struct bgp_attrs **nb = calloc(nmask + 1, sizeof(*nb));

	if (nb == NULL)
		return; /* keep the longer chains */
	for (uint32_t i = 0; i <= t->mask; i++) {
		struct bgp_attrs *a = t->buckets[i], *n;

		/* the sets a few buckets on: their misses overlap */
		if (i + 8 <= t->mask && t->buckets[i + 8])
			__builtin_prefetch(t->buckets[i + 8]);
		for (; a; a = n) {
			n = a->hnext;
			a->hnext = nb[a->hash & nmask];
			nb[a->hash & nmask] = a;
		}
	}
	free(t->buckets);
	t->buckets = nb;
	t->mask = nmask;
}

struct bgp_attrs *
bgp_attr_intern(struct bgp_attr_table *t, const struct bgp_attr_build *b)
{
	struct bgp_attrs *a = t->last;
	size_t total = 0;
	uint32_t h;

	/* a feed announces neighbouring prefixes with the same attributes one
	 * UPDATE after another: the last set, in cache, saves hash and lookup */
	if (a != NULL && build_equal(a, b)) {
		a->refcnt++;
		return a;
	}
	h = bgp_attr_hash(b);
	for (a = t->buckets[h & t->mask]; a; a = a->hnext) {
		if (a->hash == h && build_equal(a, b)) {
			a->refcnt++;
			t->last = a;
			return a;
		}
	}
	for (int i = 0; i < BGP_S_N; i++)
		total += b->k.len[i];
	a = malloc(sizeof(*a) + total);
	if (a == NULL)
		return NULL;
	memset(a, 0, sizeof(*a));
	a->hash = h;
	a->refcnt = 1;
	a->k = b->k;
	uint8_t *p = a->data;

	for (int i = 0; i < BGP_S_N; i++) {
		memcpy(p, b->sec[i], b->k.len[i]);
		p += b->k.len[i];
	}
	bgp_aspath_stats(a->data, a->k.len[BGP_S_ASPATH], &a->as_len, &a->first_as,
			 &a->last_as);
	if (t->count + 1 > (size_t)t->mask + 1)
		table_grow(t);
	a->hnext = t->buckets[h & t->mask];
	t->buckets[h & t->mask] = a;
	t->count++;
	t->last = a;
	return a;
}

void
bgp_attr_prefetch_bucket(const struct bgp_attr_table *t, uint32_t h)
{
	__builtin_prefetch(&t->buckets[h & t->mask]);
}

void
bgp_attr_prefetch_set(const struct bgp_attr_table *t, uint32_t h)
{
	const struct bgp_attrs *a = t->buckets[h & t->mask];

	/* the key and the start of the data: what build_equal reads first */
	if (a != NULL) {
		__builtin_prefetch(a);
		__builtin_prefetch((const char *)a + 64);
	}
}

void
bgp_attr_ref(struct bgp_attrs *a)
{
	a->refcnt++;
}

void
bgp_attr_unref(struct bgp_attr_table *t, struct bgp_attrs *a)
{
	if (a == NULL || --a->refcnt > 0)
		return;
	struct bgp_attrs **pp = &t->buckets[a->hash & t->mask];

	while (*pp && *pp != a)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = a->hnext;
	t->count--;
	if (t->last == a)
		t->last = NULL;
	free(a);
}

static inline uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* p: validated 4-octet segments. Length per RFC 4271 9.1.2.2 a: a set counts 1, confed 0. */
void
bgp_aspath_stats(const uint8_t *p, size_t n, uint16_t *len, uint32_t *first, uint32_t *last)
{
	unsigned l = 0;
	bool got_first = false;

	*first = *last = 0;
	while (n >= 2) {
		uint8_t t = p[0], c = p[1];
		size_t sl = 2 + 4u * c;

		if (sl > n)
			break;
		if (t == BGP_AS_SEQUENCE)
			l += c;
		else if (t == BGP_AS_SET)
			l += 1;
		if (c > 0 && (t == BGP_AS_SEQUENCE || t == BGP_AS_SET)) {
			if (!got_first && t == BGP_AS_SEQUENCE) {
				*first = rd32(p + 2);
				got_first = true;
			}
			*last = rd32(p + 2 + 4u * (c - 1u));
		}
		p += sl;
		n -= sl;
	}
	*len = l > 0xffff ? 0xffff : (uint16_t)l;
}

bool
bgp_aspath_contains(const uint8_t *p, size_t n, uint32_t as)
{
	while (n >= 2) {
		uint8_t c = p[1];
		size_t sl = 2 + 4u * c;

		if (sl > n)
			return false;
		for (unsigned i = 0; i < c; i++)
			if (rd32(p + 2 + 4 * i) == as)
				return true;
		p += sl;
		n -= sl;
	}
	return false;
}

int
bgp_aspath_prepend(struct bgp_attr_build *b, uint32_t as, unsigned times)
{
	uint8_t *s = b->sec[BGP_S_ASPATH];

	while (times > 0) {
		size_t n = b->k.len[BGP_S_ASPATH];

		if (n >= 2 && s[0] == BGP_AS_SEQUENCE && s[1] < 255) {
			if (n + 4 > 0xffff)
				return -ENOSPC;
			memmove(s + 6, s + 2, n - 2);
			s[1]++;
			s[2] = as >> 24;
			s[3] = as >> 16;
			s[4] = as >> 8;
			s[5] = as;
			b->k.len[BGP_S_ASPATH] = (uint16_t)(n + 4);
		} else {
			if (n + 6 > 0xffff)
				return -ENOSPC;
			memmove(s + 6, s, n);
			s[0] = BGP_AS_SEQUENCE;
			s[1] = 1;
			s[2] = as >> 24;
			s[3] = as >> 16;
			s[4] = as >> 8;
			s[5] = as;
			b->k.len[BGP_S_ASPATH] = (uint16_t)(n + 6);
		}
		b->k.present |= BGP_P_AS_PATH;
		times--;
	}
	return 0;
}
