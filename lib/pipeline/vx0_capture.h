/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VX0_CAPTURE_H
#define VX0_CAPTURE_H

/*
 * Packet capture at a tap point (a port's RX or TX, or the punt path).
 * While a capture runs, the tap copies each packet (up to the snap length)
 * into a mbuf of the capture's own pool and enqueues it on the capture
 * ring: the data plane pays the copy and nothing else. The slow path
 * drains the ring, applies the BPF filter (libpcap), writes pcap and stops
 * at the packet count or the deadline. A full ring or an empty pool is
 * counted as a capture drop, never a data-plane drop.
 */

#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_ring.h>

enum vx0_cap_point { VX0_CAP_NONE = 0, VX0_CAP_RX, VX0_CAP_TX, VX0_CAP_PUNT };

struct vx0_capture {
	int active;                 /* read by the taps (relaxed); written by ctl */
	uint8_t point;              /* enum vx0_cap_point */
	uint16_t port;              /* for RX/TX */
	uint32_t snaplen;
	struct rte_ring *ring;
	struct rte_mempool *pool;
	uint64_t drops;             /* copies lost (atomic add by the taps) */
};

static inline void
vx0_capture_tap(struct vx0_capture *cap, uint8_t point, uint16_t port,
		struct rte_mbuf **pkts, unsigned int n)
{
	if (likely(!__atomic_load_n(&cap->active, __ATOMIC_RELAXED)) ||
	    cap->point != point || (point != VX0_CAP_PUNT && cap->port != port))
		return;
	for (unsigned int i = 0; i < n; i++) {
		struct rte_mbuf *c = rte_pktmbuf_copy(pkts[i], cap->pool, 0, cap->snaplen);

		if (c == NULL || rte_ring_mp_enqueue(cap->ring, c) != 0) {
			rte_pktmbuf_free(c);
			__atomic_fetch_add(&cap->drops, 1, __ATOMIC_RELAXED);
			continue;
		}
		c->hash.usr = pkts[i]->pkt_len; /* the length on the wire */
	}
}

#endif
