/* SPDX-License-Identifier: BSD-3-Clause */
#include "dht_table.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

bool
dht_addr_eq(const struct vx0_dht_addr *a, const struct vx0_dht_addr *b)
{
	return a->family == b->family && a->port == b->port &&
	       memcmp(a->ip, b->ip, a->family == 6 ? 16 : 4) == 0;
}

unsigned int
dht_cpl(const uint8_t *a, const uint8_t *b)
{
	unsigned int i;

	for (i = 0; i < VX0_DHT_ID_LEN; i++) {
		uint8_t x = a[i] ^ b[i];

		if (x)
			return i * 8 + (unsigned int)__builtin_clz(x) - 24;
	}
	return VX0_DHT_ID_LEN * 8;
}

int
dht_xor_cmp(const uint8_t *target, const uint8_t *a, const uint8_t *b)
{
	unsigned int i;

	for (i = 0; i < VX0_DHT_ID_LEN; i++) {
		uint8_t da = a[i] ^ target[i], db = b[i] ^ target[i];

		if (da != db)
			return da < db ? -1 : 1;
	}
	return 0;
}

static struct dht_bucket *
bucket_new(unsigned int k, uint64_t now)
{
	struct dht_bucket *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->nodes = calloc(k, sizeof(*b->nodes));
	b->rep = calloc(k, sizeof(*b->rep));
	if (!b->nodes || !b->rep) {
		free(b->nodes);
		free(b->rep);
		free(b);
		return NULL;
	}
	b->last_changed = now;
	return b;
}

int
dht_table_init(struct dht_table *t, const uint8_t *self, unsigned int k,
	       uint64_t good_ms, uint64_t now)
{
	memset(t, 0, sizeof(*t));
	if (k == 0 || k > VX0_DHT_MAX_K)
		return -EINVAL;
	memcpy(t->self, self, VX0_DHT_ID_LEN);
	t->k = k;
	t->good_ms = good_ms;
	t->b[0] = bucket_new(k, now);
	if (!t->b[0])
		return -ENOMEM;
	t->nb = 1;
	return 0;
}

void
dht_table_free(struct dht_table *t)
{
	unsigned int i;

	for (i = 0; i < t->nb; i++) {
		free(t->b[i]->nodes);
		free(t->b[i]->rep);
		free(t->b[i]);
	}
	t->nb = 0;
}

static unsigned int
bucket_of(const struct dht_table *t, const uint8_t *id)
{
	unsigned int c = dht_cpl(t->self, id);

	return c < t->nb - 1 ? c : t->nb - 1;
}

bool
dht_tnode_good(const struct dht_table *t, const struct dht_tnode *n, uint64_t now)
{
	if (n->fails)
		return false;
	if (n->ever_replied && now - n->last_reply < t->good_ms)
		return true;
	return n->ever_replied && now - n->last_seen < t->good_ms;
}

struct dht_tnode *
dht_table_find(struct dht_table *t, const uint8_t *id)
{
	struct dht_bucket *b = t->b[bucket_of(t, id)];
	unsigned int i;

	for (i = 0; i < b->n; i++)
		if (memcmp(b->nodes[i].id, id, VX0_DHT_ID_LEN) == 0)
			return &b->nodes[i];
	return NULL;
}

/* Move the last bucket's closer half into a new bucket. */
static int
split_last(struct dht_table *t, uint64_t now)
{
	unsigned int L = t->nb - 1, i, keep = 0, keepr = 0;
	struct dht_bucket *old = t->b[L], *nb;

	if (t->nb >= VX0_DHT_ID_LEN * 8)
		return -ENOSPC;
	nb = bucket_new(t->k, now);
	if (!nb)
		return -ENOMEM;
	for (i = 0; i < old->n; i++) {
		if (dht_cpl(t->self, old->nodes[i].id) > L)
			nb->nodes[nb->n++] = old->nodes[i];
		else
			old->nodes[keep++] = old->nodes[i];
	}
	old->n = keep;
	for (i = 0; i < old->nrep; i++) {
		if (dht_cpl(t->self, old->rep[i].id) > L)
			nb->rep[nb->nrep++] = old->rep[i];
		else
			old->rep[keepr++] = old->rep[i];
	}
	old->nrep = keepr;
	nb->last_changed = old->last_changed;
	t->b[t->nb++] = nb;
	return 0;
}

static void
fill_node(struct dht_tnode *n, const uint8_t *id, const struct vx0_dht_addr *addr,
	  uint64_t now, enum dht_seen how)
{
	memset(n, 0, sizeof(*n));
	memcpy(n->id, id, VX0_DHT_ID_LEN);
	n->addr = *addr;
	n->last_seen = now;
	if (how == DHT_SEEN_REPLY) {
		n->last_reply = now;
		n->ever_replied = true;
	}
}

static void
cache_replacement(struct dht_table *t, struct dht_bucket *b, const uint8_t *id,
		  const struct vx0_dht_addr *addr, uint64_t now, enum dht_seen how)
{
	unsigned int i, oldest = 0;

	for (i = 0; i < b->nrep; i++) {
		if (memcmp(b->rep[i].id, id, VX0_DHT_ID_LEN) == 0) {
			b->rep[i].last_seen = now;
			if (how == DHT_SEEN_REPLY) {
				b->rep[i].last_reply = now;
				b->rep[i].ever_replied = true;
			}
			return;
		}
		if (b->rep[i].last_seen < b->rep[oldest].last_seen)
			oldest = i;
	}
	if (b->nrep < t->k)
		oldest = b->nrep++;
	fill_node(&b->rep[oldest], id, addr, now, how);
}

int
dht_table_seen(struct dht_table *t, uint64_t now, const uint8_t *id,
	       const struct vx0_dht_addr *addr, enum dht_seen how,
	       struct dht_tnode **ping)
{
	struct dht_bucket *b;
	struct dht_tnode *n;
	unsigned int i, cand = UINT32_MAX;

	*ping = NULL;
	if (memcmp(id, t->self, VX0_DHT_ID_LEN) == 0)
		return 0;
	n = dht_table_find(t, id);
	if (n) {
		/* A known id from another address: keep the first (ids are
		 * stable per ip:port; this resists hijacking an entry). */
		if (!dht_addr_eq(&n->addr, addr))
			return 1;
		n->last_seen = now;
		if (how == DHT_SEEN_REPLY) {
			n->last_reply = now;
			n->ever_replied = true;
			n->fails = 0;
			n->pinging = false;
			t->b[bucket_of(t, id)]->last_changed = now;
		}
		return 1;
	}
	for (;;) {
		unsigned int bi = bucket_of(t, id);

		b = t->b[bi];
		if (b->n < t->k) {
			fill_node(&b->nodes[b->n++], id, addr, now, how);
			b->last_changed = now;
			return 1;
		}
		if (bi != t->nb - 1 || split_last(t, now) != 0)
			break;
	}
	/* Full: a bad node makes room at once. */
	for (i = 0; i < b->n; i++) {
		if (b->nodes[i].fails >= DHT_BAD_FAILS) {
			fill_node(&b->nodes[i], id, addr, now, how);
			b->last_changed = now;
			return 1;
		}
	}
	/* Else remember the newcomer and probe the stalest questionable one. */
	cache_replacement(t, b, id, addr, now, how);
	for (i = 0; i < b->n; i++) {
		struct dht_tnode *c = &b->nodes[i];

		if (dht_tnode_good(t, c, now) || c->pinging)
			continue;
		if (cand == UINT32_MAX || c->last_seen < b->nodes[cand].last_seen)
			cand = i;
	}
	if (cand != UINT32_MAX) {
		b->nodes[cand].pinging = true;
		*ping = &b->nodes[cand];
	}
	return 0;
}

void
dht_table_failed(struct dht_table *t, const uint8_t *id, const struct vx0_dht_addr *addr)
{
	struct dht_bucket *b = t->b[bucket_of(t, id)];
	struct dht_tnode *n = dht_table_find(t, id);
	unsigned int i, best = UINT32_MAX;

	if (!n || !dht_addr_eq(&n->addr, addr))
		return;
	n->pinging = false;
	if (n->fails < 255)
		n->fails++;
	if (n->fails < DHT_BAD_FAILS || b->nrep == 0)
		return;
	/* Bad: the most recently seen replacement takes its slot. */
	for (i = 0; i < b->nrep; i++)
		if (best == UINT32_MAX || b->rep[i].last_seen > b->rep[best].last_seen)
			best = i;
	*n = b->rep[best];
	b->rep[best] = b->rep[--b->nrep];
}

unsigned int
dht_table_closest(const struct dht_table *t, const uint8_t *target, uint8_t family,
		  struct vx0_dht_node_info *out, unsigned int max)
{
	unsigned int bi, i, n = 0;

	for (bi = 0; bi < t->nb; bi++) {
		const struct dht_bucket *b = t->b[bi];

		for (i = 0; i < b->n; i++) {
			const struct dht_tnode *c = &b->nodes[i];
			unsigned int j;

			if (c->fails >= DHT_BAD_FAILS)
				continue;
			if (family && c->addr.family != family)
				continue;
			if (n == max && dht_xor_cmp(target, c->id, out[n - 1].id) >= 0)
				continue;
			j = n < max ? n++ : max - 1;
			while (j > 0 && dht_xor_cmp(target, c->id, out[j - 1].id) < 0) {
				out[j] = out[j - 1];
				j--;
			}
			memcpy(out[j].id, c->id, VX0_DHT_ID_LEN);
			out[j].addr = c->addr;
		}
	}
	return n;
}

unsigned int
dht_table_count(const struct dht_table *t)
{
	unsigned int i, n = 0;

	for (i = 0; i < t->nb; i++)
		n += t->b[i]->n;
	return n;
}

void
dht_table_random_id(const struct dht_table *t, unsigned int i, const uint8_t *rnd,
		    uint8_t *out)
{
	unsigned int bit;

	memcpy(out, rnd, VX0_DHT_ID_LEN);
	/* first i bits from self, bit i flipped (not for the last bucket) */
	for (bit = 0; bit < i && bit < VX0_DHT_ID_LEN * 8; bit++) {
		uint8_t m = (uint8_t)(0x80 >> (bit % 8));

		out[bit / 8] = (uint8_t)((out[bit / 8] & ~m) | (t->self[bit / 8] & m));
	}
	if (i < t->nb - 1 && i < VX0_DHT_ID_LEN * 8) {
		uint8_t m = (uint8_t)(0x80 >> (i % 8));

		out[i / 8] = (uint8_t)((out[i / 8] & ~m) | (~t->self[i / 8] & m));
	}
}
