/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * crypto: ESP packets addressed to the node arrive here, one ring per
 * crypto lcore chosen by SPI. The SAD is empty until the ESP library and
 * its slow-path API are wired in, so every packet is an unknown SPI:
 * dropped and counted, as RFC 4303 3.4.2 asks.
 */
#include <rte_cycles.h>

#include "vx0_pipeline.h"

unsigned int
vx0_stage_crypto_poll(struct vx0_lcore_ctx *lc)
{
	struct vx0_node *node = lc->node;
	struct vx0_stage_stats *st = &lc->stats.stage[VX0_STAGE_CRYPTO];
	struct rte_mbuf *pkts[VX0_BURST];
	unsigned int n;
	uint64_t t0;

	n = rte_ring_sc_dequeue_burst(node->crypto_ring[lc->crypto_idx], (void **)pkts,
				      VX0_BURST, NULL);
	if (n == 0)
		return 0;
	t0 = rte_rdtsc();
	st->pkts += n;
	st->bursts++;
	for (unsigned int i = 0; i < n; i++) {
		st->bytes += pkts[i]->pkt_len;
		vx0_drop(lc, pkts[i], VX0_DROP_ESP_NO_SA);
	}
	st->cycles += rte_rdtsc() - t0;
	return n;
}

unsigned int
vx0_stage_onion_poll(struct vx0_lcore_ctx *lc)
{
	struct vx0_node *node = lc->node;
	struct vx0_stage_stats *st = &lc->stats.stage[VX0_STAGE_ONION];
	struct rte_mbuf *pkts[VX0_BURST];
	unsigned int n;

	n = rte_ring_sc_dequeue_burst(node->onion_ring[lc->onion_idx], (void **)pkts,
				      VX0_BURST, NULL);
	st->pkts += n;
	for (unsigned int i = 0; i < n; i++) {
		st->bytes += pkts[i]->pkt_len;
		vx0_drop(lc, pkts[i], VX0_DROP_ONION_NO_CIRCUIT);
	}
	return n;
}
