/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Memory for the FIB's big arrays and the pool of second-level groups
 * (shared by the IPv4 and IPv6 tables).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/mman.h>

#include <rte_eal.h>
#include <rte_malloc.h>

#include "fib_priv.h"

#define HUGE_2M (2u << 20)

/* The tables get 2 MiB pages where the EAL gives only 4 KiB ones: without
 * hugepages the EAL's memory is a memfd (no transparent huge pages), and a
 * random lookup in a 64 MiB first level then misses the TLB nearly every
 * time. Anonymous memory with MADV_HUGEPAGE gets 2 MiB pages when the
 * kernel has them (THP "madvise" or "always"); with EAL hugepages the table
 * stays in rte_malloc memory on the wanted socket. */
void *
vx0_fib_table_alloc(struct vx0_fib4_map *m, const char *what, size_t size, int socket_id)
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

void
vx0_fib_table_free(struct vx0_fib4_map *m, void *p)
{
	if (m->base != NULL)
		munmap(m->base, m->len);
	else
		rte_free(p);
	m->base = NULL;
}

/* Resident bytes of [p, p + size): the pages mincore() finds in memory. */
size_t
vx0_fib_resident(const void *p, size_t size)
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

static void
dq_free(void *arg, void *e, unsigned int n)
{
	struct vx0_fib_pool *p = arg;
	const uint32_t *g = e;

	for (unsigned int i = 0; i < n; i++)
		p->free[p->n_free++] = g[i];
}

int
vx0_fib_pool_init(struct vx0_fib_pool *p, const char *name, uint32_t n_groups,
		  struct rte_rcu_qsbr *qsv)
{
	char n[RTE_RCU_QSBR_DQ_NAMESIZE];
	struct rte_rcu_qsbr_dq_parameters dp = {
		.name = n, .flags = RTE_RCU_QSBR_DQ_MT_UNSAFE, .size = n_groups,
		.esize = sizeof(uint32_t), .trigger_reclaim_limit = 32,
		.max_reclaim_size = 256, .free_fn = dq_free, .p = p, .v = qsv,
	};

	memset(p, 0, sizeof(*p));
	p->n = n_groups;
	p->qsv = qsv;
	p->free = malloc(n_groups * sizeof(*p->free));
	snprintf(n, sizeof(n), "%s_dq", name);
	if (p->free == NULL)
		return -ENOMEM;
	p->dq = rte_rcu_qsbr_dq_create(&dp);
	if (p->dq == NULL) {
		free(p->free);
		p->free = NULL;
		return -ENOMEM;
	}
	/* low group numbers first: the table stays compact */
	for (uint32_t i = 0; i < n_groups; i++)
		p->free[i] = n_groups - 1 - i;
	p->n_free = n_groups;
	return 0;
}

void
vx0_fib_pool_fini(struct vx0_fib_pool *p)
{
	if (p->dq != NULL)
		rte_rcu_qsbr_dq_delete(p->dq); /* the readers are gone by now */
	free(p->free);
	memset(p, 0, sizeof(*p));
}

uint32_t
vx0_fib_pool_avail(const struct vx0_fib_pool *p)
{
	return p->n - p->used;
}

int
vx0_fib_pool_get(struct vx0_fib_pool *p, uint32_t *g)
{
	if (p->n_free == 0)
		rte_rcu_qsbr_dq_reclaim(p->dq, p->n, NULL, NULL, NULL);
	if (p->n_free == 0) {
		/* all in use or still readable: wait out the readers once */
		rte_rcu_qsbr_synchronize(p->qsv, RTE_QSBR_THRID_INVALID);
		rte_rcu_qsbr_dq_reclaim(p->dq, p->n, NULL, NULL, NULL);
	}
	if (p->n_free == 0)
		return -ENOSPC;
	*g = p->free[--p->n_free];
	p->used++;
	return 0;
}

void
vx0_fib_pool_put(struct vx0_fib_pool *p, uint32_t g)
{
	p->used--;
	/* the queue holds n entries, more than can ever be pending */
	if (rte_rcu_qsbr_dq_enqueue(p->dq, &g) != 0) {
		rte_rcu_qsbr_synchronize(p->qsv, RTE_QSBR_THRID_INVALID);
		p->free[p->n_free++] = g;
	}
}

void
vx0_fib_pool_put_unseen(struct vx0_fib_pool *p, uint32_t g)
{
	p->used--;
	p->free[p->n_free++] = g;
}

uint32_t
vx0_fib_rule_slots(uint32_t max_rules)
{
	uint32_t slots = 1024;

	while (slots < max_rules + max_rules / 2) /* load factor at most 2/3 when full */
		slots <<= 1;
	return slots;
}

int
vx0_fib_levels_init(struct vx0_fib_levels *lv, const char *name, uint32_t n_tbl8,
		    int socket_id, struct rte_rcu_qsbr *qsv)
{
	char what[64];

	snprintf(what, sizeof(what), "%s_tbl24", name);
	lv->tbl24 = vx0_fib_table_alloc(&lv->map24, what, sizeof(uint32_t) << 24, socket_id);
	snprintf(what, sizeof(what), "%s_tbl8", name);
	lv->tbl8 = vx0_fib_table_alloc(&lv->map8, what, (size_t)n_tbl8 * 256 * sizeof(uint32_t),
				       socket_id);
	if (lv->tbl24 == NULL || lv->tbl8 == NULL ||
	    vx0_fib_pool_init(&lv->pool, name, n_tbl8, qsv) < 0) {
		vx0_fib_levels_fini(lv);
		return -ENOMEM;
	}
	return 0;
}

void
vx0_fib_levels_fini(struct vx0_fib_levels *lv)
{
	vx0_fib_pool_fini(&lv->pool);
	if (lv->tbl24 != NULL)
		vx0_fib_table_free(&lv->map24, lv->tbl24);
	if (lv->tbl8 != NULL)
		vx0_fib_table_free(&lv->map8, lv->tbl8);
	lv->tbl24 = lv->tbl8 = NULL;
}

size_t
vx0_fib_levels_resident(const struct vx0_fib_levels *lv)
{
	if (lv->tbl24 == NULL)
		return 0;
	return vx0_fib_resident(lv->tbl24, sizeof(uint32_t) << 24) +
	       vx0_fib_resident(lv->tbl8, (size_t)lv->pool.n * 256 * sizeof(uint32_t));
}
