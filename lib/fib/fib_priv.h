/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the IPv4 and IPv6 tables share: their big arrays' memory and the
 * pool of 256-entry groups, recycled only after a QSBR grace period.
 */
#ifndef VX0_FIB_PRIV_H
#define VX0_FIB_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include "vx0_fib.h"

void *vx0_fib_table_alloc(struct vx0_fib4_map *m, const char *what, size_t size,
			  int socket_id);
void vx0_fib_table_free(struct vx0_fib4_map *m, void *p);
/* Resident bytes of [p, p + size) (mincore). */
size_t vx0_fib_resident(const void *p, size_t size);

int vx0_fib_pool_init(struct vx0_fib_pool *p, const char *name, uint32_t n_groups,
		      struct rte_rcu_qsbr *qsv);
void vx0_fib_pool_fini(struct vx0_fib_pool *p);
/* A table's levels and group pool; its resident bytes. */
int vx0_fib_levels_init(struct vx0_fib_levels *lv, const char *name, uint32_t n_tbl8,
			int socket_id, struct rte_rcu_qsbr *qsv);
void vx0_fib_levels_fini(struct vx0_fib_levels *lv);
size_t vx0_fib_levels_resident(const struct vx0_fib_levels *lv);
/* Rule index slots for max_rules (a power of two, at most 2/3 full). */
uint32_t vx0_fib_rule_slots(uint32_t max_rules);

/* Number of groups free now or once their grace period is over. */
uint32_t vx0_fib_pool_avail(const struct vx0_fib_pool *p);
/* A free group; waits out the readers once rather than fail (they never
 * wait for us). -ENOSPC when every group is in use. */
int vx0_fib_pool_get(struct vx0_fib_pool *p, uint32_t *g);
/* A group readers may still hold: reused after a grace period. */
void vx0_fib_pool_put(struct vx0_fib_pool *p, uint32_t g);
/* A group no reader ever saw: free at once. */
void vx0_fib_pool_put_unseen(struct vx0_fib_pool *p, uint32_t g);

#endif
