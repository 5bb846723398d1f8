/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VX0_PERF_CAPTURE_H
#define VX0_PERF_CAPTURE_H

/* vx0-perf --capture (perf_capture.c) */

#include <stdbool.h>
#include <stdint.h>

#include "vx0_pipeline.h"

/* The capture pool and ring, taps at every port's rx and tx (not yet on). */
int perf_capture_setup(struct vx0_node *node);
void perf_capture_set(struct vx0_node *node, bool on);
/* Drain and free copies for about seconds (until the ring is empty after). */
uint64_t perf_capture_drain(struct vx0_node *node, double seconds);
void perf_capture_stats(const struct vx0_node *node, uint64_t *ring_full, uint64_t *no_mbuf);
/* Cycles per packet: rte_pktmbuf_copy + free of a len-byte packet; and the
 * tap's copy + enqueue with dequeue + free. */
int perf_copy_cost(struct vx0_node *node, uint32_t len, unsigned int iters, double *copy_free,
		   double *via_ring);

#endif
