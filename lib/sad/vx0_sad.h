/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VX0_SAD_H
#define VX0_SAD_H

/*
 * The security association database the crypto lcores read: SAs in a
 * fixed array (outbound SAs are named by their index from FIB tunnel next
 * hops), inbound ones also in an rte_hash by SPI with lock-free readers.
 * The slow path adds, replaces and deletes; a deleted SA is destroyed only
 * after every reader has passed a quiescent state (RCU QSBR), so the
 * crypto lcores never wait and never touch freed memory.
 */

#include <stdint.h>

#include <rte_hash.h>
#include <rte_rcu_qsbr.h>

#include "vx0_esp.h"

struct vx0_sad {
	struct rte_hash *by_spi;     /* inbound SPI -> index */
	struct vx0_esp_sa **sa;      /* index -> SA (NULL: free) */
	uint32_t max;
	uint32_t n;
	struct rte_rcu_qsbr *qsv;
};

struct vx0_sad *vx0_sad_create(const char *name, uint32_t max, int socket_id,
			       struct rte_rcu_qsbr *qsv);
void vx0_sad_free(struct vx0_sad *sad);

/* Slow path. Create the SA (vx0_esp_sa_create) and publish it: index or -errno
 * (-EEXIST: an inbound SA with that SPI exists). */
int vx0_sad_add(struct vx0_sad *sad, const struct vx0_esp_sa_conf *conf);
/* Unpublish, wait for the readers, destroy (keys wiped). */
int vx0_sad_del(struct vx0_sad *sad, uint32_t idx);
/* Index of the SA with this SPI and direction, or -ENOENT. */
int vx0_sad_find(const struct vx0_sad *sad, uint32_t spi, enum vx0_esp_dir dir);

/* Data plane */
static inline struct vx0_esp_sa *
vx0_sad_lookup_in(const struct vx0_sad *sad, uint32_t spi)
{
	void *v;

	if (rte_hash_lookup_data(sad->by_spi, &spi, &v) < 0)
		return NULL;
	return __atomic_load_n(&sad->sa[(uintptr_t)v], __ATOMIC_ACQUIRE);
}

static inline struct vx0_esp_sa *
vx0_sad_get(const struct vx0_sad *sad, uint32_t idx)
{
	return idx < sad->max ? __atomic_load_n(&sad->sa[idx], __ATOMIC_ACQUIRE) : NULL;
}

#endif
