/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The data plane's circuit and link tables (vx0_onion_dp.h): written by
 * the slow path only, read lock-free by the onion lcores. A removed
 * circuit's hash keys go first; its slot (keys inside) is wiped and reused
 * only after an RCU grace period, so a reader that found it just before
 * finishes its burst on valid memory.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <sodium.h>

#include "vx0_onion_dp.h"

static struct rte_hash *
make_hash(const char *name, const char *sfx, uint32_t entries, uint32_t key_len, int socket)
{
	char n[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters hp = {
		.name = n, .entries = entries < 8 ? 8 : entries, .key_len = key_len,
		.hash_func = rte_hash_crc, .socket_id = socket,
		/* one writer (the slow path), lock-free readers; key slots are
		 * freed by us after the grace period */
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF |
			      RTE_HASH_EXTRA_FLAGS_NO_FREE_ON_DEL,
	};

	snprintf(n, sizeof(n), "%s_%s", name, sfx);
	return rte_hash_create(&hp);
}

struct vx0_onion_table *
vx0_onion_table_create(const char *name, uint32_t max_circ, uint32_t max_links, int socket,
		       struct rte_rcu_qsbr *qsv)
{
	struct vx0_onion_table *t;

	if (max_circ == 0 || max_links == 0)
		return NULL;
	t = rte_zmalloc_socket("vx0_onion_tab", sizeof(*t), RTE_CACHE_LINE_SIZE, socket);
	if (t == NULL)
		return NULL;
	t->max_circ = max_circ;
	t->max_links = max_links;
	t->qsv = qsv;
	/* two keys per circuit (forward, and backward once extended) */
	t->circ_h = make_hash(name, "c", max_circ * 2, sizeof(struct vx0_onion_circ_key), socket);
	t->link_h = make_hash(name, "l", max_links, sizeof(struct vx0_onion_peer), socket);
	t->slot = sodium_allocarray(max_circ, sizeof(*t->slot));
	t->link = rte_zmalloc_socket("vx0_onion_link", sizeof(*t->link) * (max_links + 1), 0, socket);
	t->free_slot = rte_malloc_socket("vx0_onion_free", sizeof(uint32_t) * max_circ, 0, socket);
	t->pend_slot = rte_malloc_socket("vx0_onion_pend", sizeof(uint32_t) * max_circ, 0, socket);
	t->pend_cpos = rte_malloc_socket("vx0_onion_pc", sizeof(int32_t) * max_circ * 2, 0, socket);
	t->pend_lpos = rte_malloc_socket("vx0_onion_pl", sizeof(int32_t) * (max_links + 1), 0, socket);
	if (t->circ_h == NULL || t->link_h == NULL || t->slot == NULL || t->link == NULL ||
	    t->free_slot == NULL || t->pend_slot == NULL || t->pend_cpos == NULL ||
	    t->pend_lpos == NULL) {
		vx0_onion_table_free(t);
		return NULL;
	}
	memset(t->slot, 0, sizeof(*t->slot) * max_circ);
	for (uint32_t i = 0; i < max_circ; i++)
		t->free_slot[t->n_free++] = max_circ - 1 - i;
	return t;
}

void
vx0_onion_table_free(struct vx0_onion_table *t)
{
	if (t == NULL)
		return;
	rte_hash_free(t->circ_h);
	rte_hash_free(t->link_h);
	if (t->slot)
		sodium_free(t->slot); /* wipes */
	rte_free(t->link);
	rte_free(t->free_slot);
	rte_free(t->pend_slot);
	rte_free(t->pend_cpos);
	rte_free(t->pend_lpos);
	rte_free(t);
}

int
vx0_onion_table_link_set(struct vx0_onion_table *t, uint32_t link,
			 const struct vx0_onion_peer *p, const uint8_t src[16])
{
	struct vx0_onion_dp_link *l;
	struct vx0_onion_peer key;
	int32_t pos;
	int rc;

	if (link == 0 || link > t->max_links || (p->family != 4 && p->family != 6))
		return -EINVAL;
	l = &t->link[link];
	if (t->n_pend_lpos > (int32_t)t->max_links)
		vx0_onion_table_reclaim(t); /* a burst of new sources recycled every link */
	if (l->live) {
		/* lib/onion recycles a link id only when no circuit uses it */
		pos = rte_hash_del_key(t->link_h, &l->peer);
		if (pos >= 0)
			t->pend_lpos[t->n_pend_lpos++] = pos;
	}
	memset(&key, 0, sizeof(key));
	key.family = p->family;
	key.port = p->port;
	memcpy(key.addr, p->addr, p->family == 4 ? 4 : 16);
	l->peer = key;
	memcpy(l->src, src, 16);
	__atomic_store_n(&l->live, 1, __ATOMIC_RELEASE);
	rc = rte_hash_add_key_data(t->link_h, &key, (void *)(uintptr_t)link);
	return rc < 0 ? rc : 0;
}

static void
key_of(struct vx0_onion_circ_key *k, uint32_t link, uint32_t circ, uint32_t dir)
{
	k->link = link;
	k->circ = circ;
	k->dir = dir;
}

int
vx0_onion_table_install(struct vx0_onion_table *t, const struct vx0_onion_circ_entry *e,
			uint64_t now_ms)
{
	struct vx0_onion_circ_key k;
	struct vx0_onion_dp_circ *c;
	uint32_t idx;
	void *d;
	int rc;

	if (e->in_link == 0 || e->in_link > t->max_links || e->in_circ == 0 ||
	    (e->role == VX0_ONION_ROLE_TRANSIT &&
	     (e->out_link == 0 || e->out_link > t->max_links || e->out_circ == 0)))
		return -EINVAL;
	key_of(&k, e->in_link, e->in_circ, 0);
	if (rte_hash_lookup_data(t->circ_h, &k, &d) >= 0) {
		/* END -> TRANSIT: the forward window and the backward counter
		 * stay the data plane's; the next hop appears, then the
		 * backward key that makes the next hop's cells find it */
		c = &t->slot[(uintptr_t)d];
		if (e->role != VX0_ONION_ROLE_TRANSIT || c->role == VX0_ONION_ROLE_TRANSIT)
			return -EEXIST;
		__atomic_store_n(&c->out_circ, e->out_circ, __ATOMIC_RELAXED);
		__atomic_store_n(&c->out_link, e->out_link, __ATOMIC_RELAXED);
		__atomic_store_n(&c->role, VX0_ONION_ROLE_TRANSIT, __ATOMIC_RELEASE);
		key_of(&k, e->out_link, e->out_circ, 1);
		rc = rte_hash_add_key_data(t->circ_h, &k, d);
		return rc < 0 ? rc : 0;
	}
	if (t->n_free == 0)
		return -ENOSPC;
	idx = t->free_slot[--t->n_free];
	c = &t->slot[idx];
	memset(c, 0, sizeof(*c));
	memcpy(c->kf, e->keys.kf, sizeof(c->kf));
	memcpy(c->kb, e->keys.kb, sizeof(c->kb));
	vx0_onion_replay_init(&c->fwin, e->keys.fseq_base);
	c->bseq = e->keys.bseq_base;
	c->in_link = e->in_link;
	c->in_circ = e->in_circ;
	c->out_link = e->role == VX0_ONION_ROLE_TRANSIT ? e->out_link : 0;
	c->out_circ = e->role == VX0_ONION_ROLE_TRANSIT ? e->out_circ : 0;
	c->role = e->role;
	c->used = 1;
	c->created_ms = now_ms;
	/* the slot is complete before a reader can find it */
	rc = rte_hash_add_key_data(t->circ_h, &k, (void *)(uintptr_t)idx);
	if (rc < 0)
		goto undo;
	if (e->role == VX0_ONION_ROLE_TRANSIT) {
		key_of(&k, e->out_link, e->out_circ, 1);
		rc = rte_hash_add_key_data(t->circ_h, &k, (void *)(uintptr_t)idx);
		if (rc < 0) {
			vx0_onion_table_remove(t, e->in_link, e->in_circ);
			return rc;
		}
	}
	t->n_circ++;
	return 0;
undo:
	sodium_memzero(c, sizeof(*c));
	t->free_slot[t->n_free++] = idx;
	return rc;
}

int
vx0_onion_table_remove(struct vx0_onion_table *t, uint32_t in_link, uint32_t in_circ)
{
	struct vx0_onion_circ_key k;
	struct vx0_onion_dp_circ *c;
	int32_t pos;
	void *d;

	key_of(&k, in_link, in_circ, 0);
	if (rte_hash_lookup_data(t->circ_h, &k, &d) < 0)
		return -ENOENT;
	c = &t->slot[(uintptr_t)d];
	pos = rte_hash_del_key(t->circ_h, &k);
	if (pos >= 0)
		t->pend_cpos[t->n_pend_cpos++] = pos;
	if (c->role == VX0_ONION_ROLE_TRANSIT) {
		key_of(&k, c->out_link, c->out_circ, 1);
		pos = rte_hash_del_key(t->circ_h, &k);
		if (pos >= 0)
			t->pend_cpos[t->n_pend_cpos++] = pos;
	}
	t->pend_slot[t->n_pend_slot++] = (uint32_t)(uintptr_t)d;
	if (t->n_circ)
		t->n_circ--;
	return 0;
}

unsigned int
vx0_onion_table_reclaim(struct vx0_onion_table *t)
{
	unsigned int n = t->n_pend_slot;

	if (n == 0 && t->n_pend_cpos == 0 && t->n_pend_lpos == 0)
		return 0;
	/* every reader has passed a quiescent state since the deletes:
	 * nobody holds these slots or key positions any more */
	rte_rcu_qsbr_synchronize(t->qsv, RTE_QSBR_THRID_INVALID);
	for (int32_t i = 0; i < t->n_pend_cpos; i++)
		rte_hash_free_key_with_position(t->circ_h, t->pend_cpos[i]);
	for (int32_t i = 0; i < t->n_pend_lpos; i++)
		rte_hash_free_key_with_position(t->link_h, t->pend_lpos[i]);
	for (unsigned int i = 0; i < n; i++) {
		uint32_t idx = t->pend_slot[i];

		sodium_memzero(&t->slot[idx], sizeof(t->slot[idx]));
		t->free_slot[t->n_free++] = idx;
	}
	t->n_pend_slot = 0;
	t->n_pend_cpos = 0;
	t->n_pend_lpos = 0;
	return n;
}
