/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The lcore loop: run this lcore's stages, report a quiescent state to RCU
 * once per pass, and in the lab profile back off when idle (pause, then
 * short sleeps, offline for RCU while asleep) so several nodes share CPUs.
 */
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_pause.h>

#include "vx0_pipeline.h"

#define IDLE_SPIN 64      /* empty passes before pausing */
#define IDLE_SLEEP 1024   /* empty passes before sleeping */
#define SLEEP_MAX_US 500

static unsigned int
poll_rx(struct vx0_lcore_ctx *lc)
{
	struct vx0_node *node = lc->node;
	unsigned int total = 0;

	if (__atomic_load_n(&node->run_state, __ATOMIC_ACQUIRE) != VX0_RUNNING) {
		lc->rx_done = true;
		return 0;
	}
	for (unsigned int i = 0; i < lc->n_rxq; i++) {
		struct rte_mbuf *pkts[VX0_BURST];
		const struct vx0_rxq_ref *q = &lc->rxq[i];
		uint16_t n = rte_eth_rx_burst(node->ports[q->port].port_id, q->queue,
					      pkts, VX0_BURST);

		if (unlikely(n && __atomic_load_n(&node->ports[q->port].admin_down,
						   __ATOMIC_RELAXED))) {
			lc->stats.drops[VX0_DROP_ADMIN_DOWN] += n;
			rte_pktmbuf_free_bulk(pkts, n);
			continue;
		}
		if (n) {
			vx0_stage_rx(lc, q->port, pkts, n);
			total += n;
		}
	}
	if (total) {
		lc->last_rx_tsc = rte_rdtsc();
		if (lc->first_rx_tsc == 0)
			lc->first_rx_tsc = lc->last_rx_tsc;
	}
	return total;
}

unsigned int
vx0_lcore_poll(struct vx0_lcore_ctx *lc)
{
	unsigned int work = 0;

	if (lc->roles & VX0_ROLE_RX)
		work += poll_rx(lc);
	if (lc->roles & VX0_ROLE_CRYPTO)
		work += vx0_stage_crypto_poll(lc);
	if (lc->roles & VX0_ROLE_ONION)
		work += vx0_stage_onion_poll(lc);
	if (lc->roles & VX0_ROLE_TX)
		work += vx0_stage_tx_poll(lc);
	lc->stats.loops++;
	return work;
}

int
vx0_lcore_main(void *arg)
{
	struct vx0_lcore_ctx *lc = arg;
	struct vx0_node *node = lc->node;
	unsigned int idle = 0, tid = lc->lcore_id;

	rte_rcu_qsbr_thread_register(node->qsv, tid);
	rte_rcu_qsbr_thread_online(node->qsv, tid);
	/* this loop alone uses the TX queues of its ports: stages on this
	 * lcore may send to them at once instead of through the ring */
	lc->direct_tx = 0;
	if (lc->roles & VX0_ROLE_TX)
		for (unsigned int i = 0; i < lc->n_tx_ports; i++)
			lc->direct_tx |= 1ull << lc->tx_ports[i];
	lc->last_rx_tsc = rte_rdtsc();
	while (__atomic_load_n(&node->run_state, __ATOMIC_ACQUIRE) != VX0_EXIT) {
		unsigned int work = vx0_lcore_poll(lc);

		rte_rcu_qsbr_quiescent(node->qsv, tid);
		if (work || node->busy_poll) {
			idle = 0;
			continue;
		}
		lc->stats.idle_loops++;
		if (++idle < IDLE_SPIN)
			continue;
		if (idle < IDLE_SLEEP) {
			rte_pause();
			continue;
		}
		/* asleep we hold no table pointer: let writers proceed */
		rte_rcu_qsbr_thread_offline(node->qsv, tid);
		lc->stats.sleeps++;
		usleep(RTE_MIN((idle - IDLE_SLEEP) / 16 + 10, (unsigned int)SLEEP_MAX_US));
		rte_rcu_qsbr_thread_online(node->qsv, tid);
	}
	lc->direct_tx = 0;
	rte_rcu_qsbr_thread_offline(node->qsv, tid);
	rte_rcu_qsbr_thread_unregister(node->qsv, tid);
	return 0;
}
