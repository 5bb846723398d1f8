/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VX0_NEIGH_PRIV_H
#define VX0_NEIGH_PRIV_H

/* Internal: the entry store (vx0_neigh_table.c) shared with the state machine. */

#include "vx0_neigh.h"

#define NEIGH_NIL UINT32_MAX

struct neigh_entry {
	uint8_t addr[16];
	uint8_t mac[6];
	uint16_t port;
	uint8_t family;  /* AF_INET / AF_INET6; 0 while free */
	uint8_t state;   /* enum vx0_neigh_state */
	uint8_t probes;
	uint8_t qhead, qcount;
	uint32_t next;   /* hash chain, or free list while free */
	uint32_t refs;
	uint64_t timer_ms, used_ms;
};

struct vx0_neigh {
	struct vx0_neigh_conf conf;
	struct vx0_neigh_ops ops;
	void *ctx;
	struct neigh_entry *e;
	void **queue;      /* queue_len slots per entry */
	uint32_t *bucket;
	uint32_t bucket_mask;
	uint32_t free_head;
	uint32_t count;
	struct vx0_neigh_stats st;
};

static inline bool
neigh_has_mac(unsigned int state)
{
	return state == VX0_NEIGH_REACHABLE || state == VX0_NEIGH_STALE ||
	       state == VX0_NEIGH_DELAY || state == VX0_NEIGH_PROBE || state == VX0_NEIGH_STATIC;
}

static inline size_t
neigh_addr_len(int family)
{
	return family == VX0_NEIGH_AF_INET ? 4 : 16;
}

int neigh_table_init(struct vx0_neigh *t);
void neigh_table_fini(struct vx0_neigh *t);
uint32_t neigh_find(const struct vx0_neigh *t, uint16_t port, int family, const uint8_t *addr);
/* A new entry (state INCOMPLETE, nothing queued), evicting an unreferenced
 * FAILED or least recently used STALE entry when full; NEIGH_NIL if none. */
uint32_t neigh_alloc(struct vx0_neigh *t, uint16_t port, int family, const uint8_t *addr);
/* Drops its queue, publishes it invalid if it had a MAC, and frees it. */
void neigh_free(struct vx0_neigh *t, uint32_t idx);
/* Queues pkt, dropping the oldest when full (RFC 4861 7.2.2). */
void neigh_queue_push(struct vx0_neigh *t, uint32_t idx, void *pkt);
/* Empties the queue into ops->release (mac known) or ops->drop (mac NULL). */
void neigh_queue_flush(struct vx0_neigh *t, uint32_t idx, const uint8_t *mac);

#endif
