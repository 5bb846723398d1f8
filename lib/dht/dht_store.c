/* SPDX-License-Identifier: BSD-3-Clause */
/* Storage of BEP 44 items and announced peers, with expiry and limits. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dht_internal.h"

struct dht_stored_item *
dht_store_find(struct vx0_dht *dht, const uint8_t *target)
{
	unsigned int i;

	for (i = 0; i < dht->nitems; i++)
		if (memcmp(dht->items[i].it.target, target, VX0_DHT_ID_LEN) == 0)
			return &dht->items[i];
	return NULL;
}

static bool
same_ip(const struct vx0_dht_addr *a, const struct vx0_dht_addr *b)
{
	return a->family == b->family &&
	       memcmp(a->ip, b->ip, a->family == 6 ? 16 : 4) == 0;
}

int
dht_store_put(struct vx0_dht *dht, uint64_t now, const struct vx0_dht_item *it,
	      const struct vx0_dht_addr *src, const int64_t *cas)
{
	struct dht_stored_item *s = dht_store_find(dht, it->target);
	unsigned int i, from_src = 0;

	if (s) {
		if (it->is_mutable) {
			if (cas && *cas != s->it.seq)
				return 301;
			if (it->seq < s->it.seq)
				return 302;
		}
		s->it = *it;
		s->expires = now + dht->cfg.item_ttl_ms;
		return 0;
	}
	for (i = 0; i < dht->nitems; i++)
		if (same_ip(&dht->items[i].src, src))
			from_src++;
	if (from_src >= dht->cfg.max_items_per_ip || dht->nitems >= dht->cfg.max_items)
		return 202;
	if (dht->nitems == dht->items_cap) {
		unsigned int cap = dht->items_cap ? dht->items_cap * 2 : 8;
		struct dht_stored_item *n;

		if (cap > dht->cfg.max_items)
			cap = dht->cfg.max_items;
		n = realloc(dht->items, cap * sizeof(*n));
		if (!n)
			return 202;
		dht->items = n;
		dht->items_cap = cap;
	}
	s = &dht->items[dht->nitems++];
	s->it = *it;
	s->expires = now + dht->cfg.item_ttl_ms;
	s->src = *src;
	return 0;
}

struct dht_peer_set *
dht_store_peers(struct vx0_dht *dht, const uint8_t *info_hash)
{
	unsigned int i;

	for (i = 0; i < dht->npeersets; i++)
		if (memcmp(dht->peers[i].info_hash, info_hash, VX0_DHT_ID_LEN) == 0)
			return &dht->peers[i];
	return NULL;
}

int
dht_store_announce(struct vx0_dht *dht, uint64_t now, const uint8_t *info_hash,
		   const struct vx0_dht_addr *peer)
{
	struct dht_peer_set *ps = dht_store_peers(dht, info_hash);
	unsigned int i, oldest = 0;

	if (!ps) {
		if (dht->npeersets >= dht->cfg.max_infohashes)
			return -ENOSPC;
		if (dht->npeersets == dht->peers_cap) {
			unsigned int cap = dht->peers_cap ? dht->peers_cap * 2 : 8;
			struct dht_peer_set *n = realloc(dht->peers, cap * sizeof(*n));

			if (!n)
				return -ENOMEM;
			dht->peers = n;
			dht->peers_cap = cap;
		}
		ps = &dht->peers[dht->npeersets];
		memset(ps, 0, sizeof(*ps));
		ps->p = calloc(dht->cfg.max_peers_per_hash, sizeof(*ps->p));
		if (!ps->p)
			return -ENOMEM;
		memcpy(ps->info_hash, info_hash, VX0_DHT_ID_LEN);
		dht->npeersets++;
	}
	for (i = 0; i < ps->n; i++) {
		if (dht_addr_eq(&ps->p[i].addr, peer)) {
			ps->p[i].expires = now + dht->cfg.peer_ttl_ms;
			return 0;
		}
		if (ps->p[i].expires < ps->p[oldest].expires)
			oldest = i;
	}
	if (ps->n < dht->cfg.max_peers_per_hash)
		oldest = ps->n++;
	ps->p[oldest].addr = *peer;
	ps->p[oldest].expires = now + dht->cfg.peer_ttl_ms;
	return 0;
}

void
dht_store_expire(struct vx0_dht *dht, uint64_t now)
{
	unsigned int i = 0, j;

	while (i < dht->nitems) {
		if (dht->items[i].expires <= now)
			dht->items[i] = dht->items[--dht->nitems];
		else
			i++;
	}
	i = 0;
	while (i < dht->npeersets) {
		struct dht_peer_set *ps = &dht->peers[i];

		j = 0;
		while (j < ps->n) {
			if (ps->p[j].expires <= now)
				ps->p[j] = ps->p[--ps->n];
			else
				j++;
		}
		if (ps->n == 0) {
			free(ps->p);
			dht->peers[i] = dht->peers[--dht->npeersets];
		} else {
			i++;
		}
	}
}

void
dht_store_free(struct vx0_dht *dht)
{
	unsigned int i;

	for (i = 0; i < dht->npeersets; i++)
		free(dht->peers[i].p);
	free(dht->peers);
	free(dht->items);
	dht->peers = NULL;
	dht->items = NULL;
	dht->npeersets = dht->nitems = 0;
}
