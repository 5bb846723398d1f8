/* SPDX-License-Identifier: BSD-3-Clause */
/* The capture tap (lib/pipeline/capture_tap.c) on its own: what it copies
 * (bytes up to the snap length, the original length, the point, multi-segment
 * sources gathered), what it leaves (other points and ports, a disabled
 * capture), and how it counts what it cannot copy (ring full, pool empty). */
#include <string.h>

#include <rte_mbuf.h>
#include <rte_ring.h>

#include "vx0_capture.h"
#include "vx0_test.h"
#include "vx0_test_eal.h"

static struct rte_mempool *src_pool, *cap_pool;
static struct vx0_capture cap;

static struct rte_mbuf *
pkt(uint16_t len, uint8_t seed)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(src_pool);
	uint8_t *d = m ? (uint8_t *)rte_pktmbuf_append(m, len) : NULL;

	for (uint16_t i = 0; d && i < len; i++)
		d[i] = (uint8_t)(seed + i);
	return m;
}

static unsigned int
drain(struct rte_mbuf **out, unsigned int max)
{
	return rte_ring_sc_dequeue_burst(cap.ring, (void **)out, max, NULL);
}

static void
reset(uint32_t snaplen)
{
	struct rte_mbuf *m[64];
	unsigned int n;

	__atomic_store_n(&cap.active, 0, __ATOMIC_RELEASE);
	while ((n = drain(m, 64)) > 0)
		rte_pktmbuf_free_bulk(m, n);
	memset(cap.match, 0, sizeof(cap.match));
	memset(cap.point, 0, sizeof(cap.point));
	cap.snaplen = snaplen;
	cap.drop_ring = cap.drop_nombuf = 0;
}

static void
test_copies_match_and_lengths(void)
{
	struct rte_mbuf *p[3] = { pkt(100, 1), pkt(40, 2), pkt(64, 3) }, *out[8];
	unsigned int n;

	reset(64);
	cap.match[1][VX0_CAP_OUT] = 1u << 2;          /* stage 1 out, port 2 only */
	cap.point[1][VX0_CAP_OUT][2] = 5;
	/* disabled: nothing, whatever the point */
	vx0_capture_tap(&cap, 1, VX0_CAP_OUT, 2, p, 3);
	CHECK_EQ(rte_ring_count(cap.ring), 0);
	__atomic_store_n(&cap.active, 1, __ATOMIC_RELEASE);
	vx0_capture_tap(&cap, 1, VX0_CAP_OUT, 1, p, 3);    /* other port */
	vx0_capture_tap(&cap, 1, VX0_CAP_IN, 2, p, 3);     /* other direction */
	vx0_capture_tap(&cap, 0, VX0_CAP_OUT, 2, p, 3);    /* other stage */
	vx0_capture_tap(&cap, 200, VX0_CAP_OUT, 2, p, 3);  /* no such stage */
	CHECK_EQ(rte_ring_count(cap.ring), 0);
	vx0_capture_tap(&cap, 1, VX0_CAP_OUT, 2, p, 3);
	n = drain(out, 8);
	CHECK_EQ(n, 3);
	for (unsigned int i = 0; i < n && i < 3; i++) {
		const struct vx0_cap_rec *r = rte_mbuf_to_priv(out[i]);
		uint32_t want = RTE_MIN(p[i]->pkt_len, 64u);

		CHECK_EQ(out[i]->data_len, want);
		CHECK_EQ(out[i]->pkt_len, want);
		CHECK_EQ(out[i]->nb_segs, 1);
		CHECK_EQ(r->orig_len, p[i]->pkt_len);
		CHECK_EQ(r->point, 5);
		CHECK(r->tsc != 0);
		CHECK_MEM(rte_pktmbuf_mtod(out[i], uint8_t *), rte_pktmbuf_mtod(p[i], uint8_t *),
			  want);
	}
	rte_pktmbuf_free_bulk(out, n);
	/* the originals are untouched and still ours */
	CHECK_EQ(p[0]->pkt_len, 100);
	CHECK_EQ(rte_mbuf_refcnt_read(p[0]), 1);
	CHECK_EQ(cap.drop_ring + cap.drop_nombuf, 0);
	rte_pktmbuf_free_bulk(p, 3);
}

static void
test_multi_segment_is_gathered(void)
{
	struct rte_mbuf *a = pkt(30, 10), *b = pkt(50, 40), *out[2];
	uint8_t want[80];

	reset(1000);
	memcpy(want, rte_pktmbuf_mtod(a, uint8_t *), 30);
	memcpy(want + 30, rte_pktmbuf_mtod(b, uint8_t *), 50);
	CHECK_EQ(rte_pktmbuf_chain(a, b), 0);
	cap.match[0][VX0_CAP_IN] = UINT32_MAX;
	__atomic_store_n(&cap.active, 1, __ATOMIC_RELEASE);
	vx0_capture_tap(&cap, 0, VX0_CAP_IN, 7, &a, 1);
	CHECK_EQ(drain(out, 2), 1);
	CHECK_EQ(out[0]->data_len, 80);
	CHECK_MEM(rte_pktmbuf_mtod(out[0], uint8_t *), want, 80);
	rte_pktmbuf_free(out[0]);
	rte_pktmbuf_free(a);
}

/* More than the ring holds: the rest is counted, never copied, and the
 * copies that fit are whole. Then an empty pool. */
static void
test_drops_are_counted(void)
{
	struct rte_mbuf *p[100], *out[128];
	unsigned int n;

	reset(64);
	for (unsigned int i = 0; i < 100; i++)
		p[i] = pkt(60, (uint8_t)i);
	cap.match[3][VX0_CAP_IN] = UINT32_MAX;
	__atomic_store_n(&cap.active, 1, __ATOMIC_RELEASE);
	vx0_capture_tap(&cap, 3, VX0_CAP_IN, 0, p, 100);     /* the ring holds 63 */
	CHECK_EQ(rte_ring_count(cap.ring), 63);
	CHECK_EQ(cap.drop_ring, 37);
	CHECK_EQ(cap.drop_nombuf, 0);
	n = drain(out, 128);
	CHECK_EQ(n, 63);
	CHECK_MEM(rte_pktmbuf_mtod(out[62], uint8_t *), rte_pktmbuf_mtod(p[62], uint8_t *), 60);
	/* hold every mbuf of the capture pool: the next copies find none */
	{
		struct rte_mbuf *all[127];
		unsigned int k = 0;

		rte_pktmbuf_free_bulk(out, n);
		while (k < RTE_DIM(all) && (all[k] = rte_pktmbuf_alloc(cap_pool)) != NULL)
			k++;
		vx0_capture_tap(&cap, 3, VX0_CAP_IN, 0, p, 10);
		CHECK_EQ(cap.drop_nombuf, 10);
		CHECK_EQ(rte_ring_count(cap.ring), 0);
		rte_pktmbuf_free_bulk(all, k);
	}
	rte_pktmbuf_free_bulk(p, 100);
}

int
main(void)
{
	if (vx0_test_eal_init("captap") < 0)
		return 1;
	src_pool = rte_pktmbuf_pool_create("src", 511, 0, 0, 2048, 0);
	/* no per-lcore cache: the "pool empty" case is exact */
	cap_pool = rte_pktmbuf_pool_create("cap", 127, 0, sizeof(struct vx0_cap_rec), 2048, 0);
	cap.pool = cap_pool;
	cap.ring = rte_ring_create("cap", 64, 0, RING_F_SC_DEQ);  /* holds 63 */
	if (src_pool == NULL || cap_pool == NULL || cap.ring == NULL)
		return 1;
	VX0_RUN(test_copies_match_and_lengths);
	VX0_RUN(test_multi_segment_is_gathered);
	VX0_RUN(test_drops_are_counted);
	rte_ring_free(cap.ring);
	rte_mempool_free(cap_pool);
	rte_mempool_free(src_pool);
	rte_eal_cleanup();
	return vx0_test_done();
}
