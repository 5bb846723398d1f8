/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vx0-perf --capture: the data-plane cost of a running capture. The capture
 * is vx0d's (node->cap: the same pool and ring sizes, the taps in the real
 * stages) at every port's rx and tx (stage:rx:in and stage:tx:in), no
 * filter, whole packets. The main lcore stands in for the slow path: it
 * drains the ring and frees the copies (writing them is the slow path's
 * cost, on its own core), so what is measured is what the forwarding lcore
 * pays. The copy itself is measured apart: rte_pktmbuf_copy of a packet of
 * the same size into the capture pool, in a loop.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_malloc.h>

#include "perf_capture.h"

#define RING 4096

int
perf_capture_setup(struct vx0_node *node)
{
	/* as ctl_capture.c makes them (vx0_ctl_destroy frees them) */
	node->cap.pool = rte_pktmbuf_pool_create("vx0_cap", 2 * RING - 1, 256,
						 sizeof(struct vx0_cap_rec),
						 (uint16_t)node->pool_data_room, (int)rte_socket_id());
	node->cap.ring = rte_ring_create("vx0_cap", RING, (int)rte_socket_id(),
					 RING_F_SC_DEQ | RING_F_EXACT_SZ);
	if (node->cap.pool == NULL || node->cap.ring == NULL)
		return -ENOMEM;
	node->cap.snaplen = node->pool_data_room - RTE_PKTMBUF_HEADROOM;
	memset(node->cap.match, 0, sizeof(node->cap.match));
	memset(node->cap.point, 0, sizeof(node->cap.point));
	node->cap.match[VX0_STAGE_RX][VX0_CAP_IN] = UINT32_MAX;
	node->cap.match[VX0_STAGE_TX][VX0_CAP_IN] = UINT32_MAX;
	memset(node->cap.point[VX0_STAGE_TX][VX0_CAP_IN], 1, VX0_CAP_PORTS);
	return 0;
}

void
perf_capture_set(struct vx0_node *node, bool on)
{
	__atomic_store_n(&node->cap.active, on ? 1 : 0, __ATOMIC_RELEASE);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

uint64_t
perf_capture_drain(struct vx0_node *node, double seconds)
{
	double end = now() + seconds;
	struct rte_mbuf *m[64];
	uint64_t total = 0, iter = 0;
	unsigned int n;

	for (;;) {
		n = rte_ring_sc_dequeue_burst(node->cap.ring, (void **)m, RTE_DIM(m), NULL);
		if (n) {
			rte_pktmbuf_free_bulk(m, n);
			total += n;
		}
		/* the clock only now and then: the drain must keep up */
		if ((++iter & 63) == 0 && now() >= end)
			break;
	}
	return total;
}

void
perf_capture_stats(const struct vx0_node *node, uint64_t *ring_full, uint64_t *no_mbuf)
{
	*ring_full = __atomic_load_n(&node->cap.drop_ring, __ATOMIC_RELAXED);
	*no_mbuf = __atomic_load_n(&node->cap.drop_nombuf, __ATOMIC_RELAXED);
}

int
perf_copy_cost(struct vx0_node *node, uint32_t len, unsigned int iters, double *copy_free,
	       double *via_ring)
{
	struct rte_mbuf *src = rte_pktmbuf_alloc(node->pool), *c[32];
	uint64_t t0, t1;
	unsigned int k;

	if (src == NULL || rte_pktmbuf_append(src, (uint16_t)len) == NULL) {
		rte_pktmbuf_free(src);
		return -ENOMEM;
	}
	memset(rte_pktmbuf_mtod(src, uint8_t *), 0x5a, len);
	/* copy and free, 32 at a time (the tap's burst) */
	t0 = rte_rdtsc();
	for (unsigned int i = 0; i < iters; i++) {
		for (k = 0; k < RTE_DIM(c); k++)
			c[k] = rte_pktmbuf_copy(src, node->cap.pool, 0, node->cap.snaplen);
		rte_pktmbuf_free_bulk(c, RTE_DIM(c));
	}
	t1 = rte_rdtsc();
	*copy_free = (double)(t1 - t0) / ((double)iters * RTE_DIM(c));
	/* the tap's whole path: copy, enqueue; then the drainer's dequeue, free */
	t0 = rte_rdtsc();
	for (unsigned int i = 0; i < iters; i++) {
		struct rte_mbuf *src_b[32];

		for (k = 0; k < RTE_DIM(src_b); k++)
			src_b[k] = src;
		vx0_capture_copy(&node->cap, VX0_STAGE_RX, VX0_CAP_IN, 0, src_b, RTE_DIM(src_b));
		k = rte_ring_sc_dequeue_burst(node->cap.ring, (void **)c, RTE_DIM(c), NULL);
		rte_pktmbuf_free_bulk(c, k);
	}
	t1 = rte_rdtsc();
	*via_ring = (double)(t1 - t0) / ((double)iters * RTE_DIM(c));
	rte_pktmbuf_free(src);
	return 0;
}
