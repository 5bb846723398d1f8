/* SPDX-License-Identifier: BSD-3-Clause */
/* tx: drain each owned port's TX ring into its queue; a full queue after a
 * few retries drops the rest, counted per port. The rx stage of the same
 * lcore sends through vx0_tx_send directly (run to completion). */
#include <rte_cycles.h>
#include <rte_ethdev.h>

#include "vx0_pipeline.h"

#define TX_RETRIES 4

void
vx0_tx_send(struct vx0_lcore_ctx *lc, uint16_t pi, struct rte_mbuf **pkts, unsigned int n)
{
	struct vx0_node *node = lc->node;
	struct vx0_stage_stats *st = &lc->stats.stage[VX0_STAGE_TX];
	const struct vx0_port *p = &node->ports[pi];
	unsigned int sent = 0;
	uint64_t t0;

	if (unlikely(__atomic_load_n(&p->admin_down, __ATOMIC_RELAXED))) {
		lc->stats.port_tx_drop[pi] += n;
		lc->stats.drops[VX0_DROP_ADMIN_DOWN] += n;
		rte_pktmbuf_free_bulk(pkts, n);
		return;
	}
	t0 = vx0_stage_begin(node, st, VX0_STAGE_TX, pi, pkts, n);
	for (int r = 0; r <= TX_RETRIES && sent < n; r++)
		sent += rte_eth_tx_burst(p->port_id, 0, pkts + sent, (uint16_t)(n - sent));
	st->out += sent;
	lc->stats.port_tx[pi] += sent;
	if (unlikely(sent < n)) {
		lc->stats.port_tx_drop[pi] += n - sent;
		for (unsigned int k = sent; k < n; k++)
			vx0_drop(lc, pkts[k], VX0_DROP_TX_FULL);
	}
	st->cycles += rte_rdtsc() - t0;
}

unsigned int
vx0_stage_tx_poll(struct vx0_lcore_ctx *lc)
{
	struct vx0_node *node = lc->node;
	unsigned int total = 0;

	for (unsigned int i = 0; i < lc->n_tx_ports; i++) {
		uint16_t pi = lc->tx_ports[i];
		struct rte_mbuf *pkts[VX0_BURST];
		unsigned int n;

		n = rte_ring_sc_dequeue_burst(node->ports[pi].tx_ring, (void **)pkts, VX0_BURST,
					      NULL);
		if (n == 0)
			continue;
		vx0_tx_send(lc, pi, pkts, n);
		total += n;
	}
	return total;
}
