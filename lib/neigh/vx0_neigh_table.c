/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Entry store: a fixed array (the index is the data-plane handle), a
 * chained hash over (port, family, address) with a per-table seed, a
 * free list, and the per-entry packet queues.
 */
#include <stdlib.h>
#include <string.h>

#include "vx0_neigh_priv.h"

static uint32_t
neigh_hash(const struct vx0_neigh *t, uint16_t port, int family, const uint8_t *addr)
{
	/* FNV-1a seeded per table: cheap, and keyed so on-link senders can't
	 * aim collisions at one chain without knowing the seed */
	uint32_t h = 2166136261u ^ t->conf.hash_seed;
	size_t i, n = neigh_addr_len(family);

	h = (h ^ (port & 0xff)) * 16777619u;
	h = (h ^ (port >> 8)) * 16777619u;
	h = (h ^ (uint32_t)family) * 16777619u;
	for (i = 0; i < n; i++)
		h = (h ^ addr[i]) * 16777619u;
	h ^= h >> 15;
	return h;
}

int
neigh_table_init(struct vx0_neigh *t)
{
	uint32_t n = t->conf.max_entries, nb = 1, i;

	while (nb < n)
		nb <<= 1;
	t->e = calloc(n, sizeof(*t->e));
	t->queue = calloc((size_t)n * t->conf.queue_len, sizeof(void *));
	t->bucket = malloc((size_t)nb * sizeof(uint32_t));
	if (t->e == NULL || t->queue == NULL || t->bucket == NULL) {
		neigh_table_fini(t);
		return -1;
	}
	t->bucket_mask = nb - 1;
	for (i = 0; i < nb; i++)
		t->bucket[i] = NEIGH_NIL;
	for (i = 0; i < n; i++)
		t->e[i].next = i + 1 < n ? i + 1 : NEIGH_NIL;
	t->free_head = 0;
	return 0;
}

void
neigh_table_fini(struct vx0_neigh *t)
{
	free(t->e);
	free(t->queue);
	free(t->bucket);
	t->e = NULL;
	t->queue = NULL;
	t->bucket = NULL;
}

uint32_t
neigh_find(const struct vx0_neigh *t, uint16_t port, int family, const uint8_t *addr)
{
	uint32_t i = t->bucket[neigh_hash(t, port, family, addr) & t->bucket_mask];
	size_t n = neigh_addr_len(family);

	for (; i != NEIGH_NIL; i = t->e[i].next) {
		const struct neigh_entry *e = &t->e[i];

		if (e->port == port && e->family == family && memcmp(e->addr, addr, n) == 0)
			return i;
	}
	return NEIGH_NIL;
}

static uint32_t
pick_victim(const struct vx0_neigh *t)
{
	uint32_t i, best = NEIGH_NIL;

	for (i = 0; i < t->conf.max_entries; i++) {
		const struct neigh_entry *e = &t->e[i];

		if (e->refs)
			continue;
		if (e->state == VX0_NEIGH_FAILED)
			return i;
		if (e->state == VX0_NEIGH_STALE && (best == NEIGH_NIL || e->used_ms < t->e[best].used_ms))
			best = i;
	}
	return best;
}

uint32_t
neigh_alloc(struct vx0_neigh *t, uint16_t port, int family, const uint8_t *addr)
{
	struct neigh_entry *e;
	uint32_t idx, b;

	if (t->free_head == NEIGH_NIL) {
		idx = pick_victim(t);
		if (idx == NEIGH_NIL)
			return NEIGH_NIL;
		neigh_free(t, idx);
		t->st.evictions++;
	}
	idx = t->free_head;
	e = &t->e[idx];
	t->free_head = e->next;
	memset(e, 0, sizeof(*e));
	memcpy(e->addr, addr, neigh_addr_len(family));
	e->port = port;
	e->family = (uint8_t)family;
	e->state = VX0_NEIGH_INCOMPLETE;
	b = neigh_hash(t, port, family, addr) & t->bucket_mask;
	e->next = t->bucket[b];
	t->bucket[b] = idx;
	t->count++;
	return idx;
}

void
neigh_free(struct vx0_neigh *t, uint32_t idx)
{
	struct neigh_entry *e = &t->e[idx];
	uint32_t *pp = &t->bucket[neigh_hash(t, e->port, e->family, e->addr) & t->bucket_mask];

	neigh_queue_flush(t, idx, NULL);
	if (neigh_has_mac(e->state))
		t->ops.publish(t->ctx, idx, e->port, NULL);
	while (*pp != idx)
		pp = &t->e[*pp].next;
	*pp = e->next;
	memset(e, 0, sizeof(*e));
	e->next = t->free_head;
	t->free_head = idx;
	t->count--;
}

void
neigh_queue_push(struct vx0_neigh *t, uint32_t idx, void *pkt)
{
	struct neigh_entry *e = &t->e[idx];
	void **q = t->queue + (size_t)idx * t->conf.queue_len;
	uint32_t qlen = t->conf.queue_len;

	if (e->qcount == qlen) {
		t->ops.drop(t->ctx, q[e->qhead]);
		t->st.queue_drops++;
		e->qhead = (uint8_t)((e->qhead + 1) % qlen);
		e->qcount--;
	}
	q[(e->qhead + e->qcount) % qlen] = pkt;
	e->qcount++;
	t->st.queued++;
}

void
neigh_queue_flush(struct vx0_neigh *t, uint32_t idx, const uint8_t *mac)
{
	struct neigh_entry *e = &t->e[idx];
	void **q = t->queue + (size_t)idx * t->conf.queue_len;

	while (e->qcount) {
		void *pkt = q[e->qhead];

		e->qhead = (uint8_t)((e->qhead + 1) % t->conf.queue_len);
		e->qcount--;
		if (mac) {
			t->ops.release(t->ctx, pkt, e->port, mac);
			t->st.released++;
		} else {
			t->ops.drop(t->ctx, pkt);
			t->st.fail_drops++;
		}
	}
	e->qhead = 0;
}
