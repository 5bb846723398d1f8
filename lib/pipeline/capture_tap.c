/* SPDX-License-Identifier: BSD-3-Clause */
/* The data-plane side of capture: out of line, so a disabled tap is only
 * the load and branch of vx0_capture_tap. */
#include <rte_cycles.h>

#include "vx0_capture.h"

void
vx0_capture_copy(struct vx0_capture *cap, unsigned int stage, unsigned int dir, uint16_t port,
		 struct rte_mbuf *const *pkts, unsigned int n)
{
	struct rte_mbuf *c[64];
	unsigned int k = 0, done;
	uint64_t tsc, nombuf = 0;

	/* pairs with the release store that turned the capture on */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	port &= VX0_CAP_PORTS - 1;
	if (stage >= VX0_CAP_STAGES || !(cap->match[stage][dir & 1] >> port & 1) || n == 0)
		return;
	tsc = rte_rdtsc();
	for (unsigned int i = 0; i < n; i++) {
		struct rte_mbuf *m = rte_pktmbuf_copy(pkts[i], cap->pool, 0, cap->snaplen);
		struct vx0_cap_rec *r;

		if (m == NULL) {
			nombuf++;
			continue;
		}
		r = rte_mbuf_to_priv(m);
		r->tsc = tsc;
		r->orig_len = pkts[i]->pkt_len;
		r->point = cap->point[stage][dir & 1][port];
		c[k++] = m;
		if (k == RTE_DIM(c) || i + 1 == n) {
			done = rte_ring_mp_enqueue_burst(cap->ring, (void **)c, k, NULL);
			if (done < k) {
				rte_pktmbuf_free_bulk(c + done, k - done);
				__atomic_fetch_add(&cap->drop_ring, k - done, __ATOMIC_RELAXED);
			}
			k = 0;
		}
	}
	if (k) { /* the last packets failed their copy after a partial batch */
		done = rte_ring_mp_enqueue_burst(cap->ring, (void **)c, k, NULL);
		if (done < k) {
			rte_pktmbuf_free_bulk(c + done, k - done);
			__atomic_fetch_add(&cap->drop_ring, k - done, __ATOMIC_RELAXED);
		}
	}
	if (nombuf)
		__atomic_fetch_add(&cap->drop_nombuf, nombuf, __ATOMIC_RELAXED);
}
