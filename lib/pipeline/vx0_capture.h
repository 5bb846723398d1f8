/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VX0_CAPTURE_H
#define VX0_CAPTURE_H

/*
 * Packet capture at tap points: a stage's input or output (stage id +
 * direction), optionally one port (rx:PORT, tx:PORT). While a capture
 * runs, the tap copies each packet (up to the snap length) into a mbuf of
 * the capture's own pool and enqueues it on the capture ring: the data
 * plane pays the copy and nothing else. The slow path (ctl_capture.c)
 * drains the ring, applies the BPF filter, writes pcap/pcapng to a file or
 * a FIFO and stops at the count or the deadline. A full ring or an empty
 * pool is a capture drop, never a data-plane drop.
 *
 * Disabled cost: vx0_capture_on() is one relaxed load and a branch that is
 * not taken; call it once per burst (vx0_capture_tap does).
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_ring.h>

enum vx0_cap_dir { VX0_CAP_IN = 0, VX0_CAP_OUT = 1 };
#define VX0_CAP_STAGES 8            /* >= VX0_STAGE_MAX */
#define VX0_CAP_PORTS 32            /* >= VX0_MAX_PORTS */

struct vx0_capture {
	int active;                 /* read by the taps (relaxed); written by ctl */
	uint32_t snaplen;
	/* the ports whose packets a tap copies: bit p of match[stage][dir]
	 * (all bits for a stage point); set while inactive */
	uint32_t match[VX0_CAP_STAGES][2];
	/* which of the capture's points that is (the pcapng interface) */
	uint8_t point[VX0_CAP_STAGES][2][VX0_CAP_PORTS];
	struct rte_ring *ring;
	struct rte_mempool *pool;
	/* copies lost since the node started (atomic adds by the taps) */
	uint64_t drop_ring;         /* the ring was full: the slow path is behind */
	uint64_t drop_nombuf;       /* the capture pool was empty */
};

/* In each copy's private area (the pool is made with room for it) */
struct vx0_cap_rec {
	uint64_t tsc;               /* when the tap copied it */
	uint32_t orig_len;          /* the length on the wire */
	uint32_t point;             /* index of the capture's point */
};

static __rte_always_inline bool
vx0_capture_on(const struct vx0_capture *cap)
{
	return unlikely(__atomic_load_n(&cap->active, __ATOMIC_RELAXED));
}

/* Copy what matches (capture_tap.c); only called while a capture is on. */
void vx0_capture_copy(struct vx0_capture *cap, unsigned int stage, unsigned int dir,
		      uint16_t port, struct rte_mbuf *const *pkts, unsigned int n);

static __rte_always_inline void
vx0_capture_tap(struct vx0_capture *cap, unsigned int stage, unsigned int dir, uint16_t port,
		struct rte_mbuf *const *pkts, unsigned int n)
{
	if (vx0_capture_on(cap))
		vx0_capture_copy(cap, stage, dir, port, pkts, n);
}

#endif
