/* SPDX-License-Identifier: BSD-3-Clause */
/* The data-plane side of capture: out of line, so a disabled tap is only
 * the load and branch of vx0_capture_tap. A burst's copies come from one
 * bulk allocation (the pool has per-lcore caches) and carry only the bytes
 * and what the slow path needs (rte_pktmbuf_copy would also copy the
 * metadata, dynamic fields included, that nobody reads). */
#include <rte_cycles.h>
#include <rte_memcpy.h>

#include "vx0_capture.h"

static void
enqueue(struct vx0_capture *cap, struct rte_mbuf **c, unsigned int k)
{
	unsigned int done = rte_ring_mp_enqueue_burst(cap->ring, (void **)c, k, NULL);

	if (unlikely(done < k)) {
		rte_pktmbuf_free_bulk(c + done, k - done);
		__atomic_fetch_add(&cap->drop_ring, k - done, __ATOMIC_RELAXED);
	}
}

void
vx0_capture_copy(struct vx0_capture *cap, unsigned int stage, unsigned int dir, uint16_t port,
		 struct rte_mbuf *const *pkts, unsigned int n)
{
	struct rte_mbuf *c[64];
	unsigned int room;
	uint64_t tsc;
	uint32_t point;

	/* pairs with the release store that turned the capture on */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	port &= VX0_CAP_PORTS - 1;
	if (stage >= VX0_CAP_STAGES || !(cap->match[stage][dir & 1] >> port & 1) || n == 0)
		return;
	/* no copy the ring cannot take: an overwhelmed capture costs less */
	room = rte_ring_free_count(cap->ring);
	if (unlikely(room < n)) {
		__atomic_fetch_add(&cap->drop_ring, n - room, __ATOMIC_RELAXED);
		n = room;
	}
	tsc = rte_rdtsc();
	point = cap->point[stage][dir & 1][port];
	while (n) {
		unsigned int k = RTE_MIN(n, (unsigned int)RTE_DIM(c));

		if (unlikely(rte_pktmbuf_alloc_bulk(cap->pool, c, k) != 0)) {
			__atomic_fetch_add(&cap->drop_nombuf, n, __ATOMIC_RELAXED);
			return;
		}
		for (unsigned int i = 0; i < k; i++) {
			const struct rte_mbuf *m = pkts[i];
			uint32_t len = RTE_MIN(m->pkt_len, cap->snaplen);
			uint8_t *d = rte_pktmbuf_mtod(c[i], uint8_t *);
			const void *s = rte_pktmbuf_read(m, 0, len, d); /* gathers segments into d */
			struct vx0_cap_rec *r = rte_mbuf_to_priv(c[i]);

			if (s != d)
				rte_memcpy(d, s, len);
			c[i]->data_len = (uint16_t)len;
			c[i]->pkt_len = len;
			r->tsc = tsc;
			r->orig_len = m->pkt_len;
			r->point = point;
		}
		enqueue(cap, c, k);
		pkts += k;
		n -= k;
	}
}
