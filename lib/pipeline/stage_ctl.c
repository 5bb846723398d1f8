/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The slow path on the ctl lcore: punted packets (ARP/ND for the neighbour
 * table, unresolved next hops, ICMP errors, traffic for the node itself),
 * the kernel's output from the TAP exception ports, neighbour timers and
 * the protocols' event loop. It is the only writer of the FIB.
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "vx0_ctl.h"
#include "vx0_evloop.h"
#include "vx0_log.h"
#include "vx0_onion_dp.h"

#define CTL_BURST 64

struct rte_mbuf *
vx0_ctl_alloc(struct vx0_ctl *ctl)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(ctl->node->pool);

	if (m == NULL)
		ctl->lc->stats.drops[VX0_DROP_NO_MBUF]++;
	return m;
}

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
vx0_ctl_create(struct vx0_node *node, char *err, size_t errlen)
{
	struct vx0_ctl *ctl = rte_zmalloc("vx0_ctl", sizeof(*ctl), RTE_CACHE_LINE_SIZE);
	int rc;

	if (ctl == NULL)
		return -ENOMEM;
	ctl->node = node;
	{
		pthread_mutexattr_t ma;

		pthread_mutexattr_init(&ma);
		pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
		pthread_mutex_init(&ctl->lock, &ma);
		pthread_mutexattr_destroy(&ma);
	}
	ctl->lc = node->lc[node->ctl_lcore];
	ctl->loop = vx0_evloop_create();
	if (ctl->loop == NULL) {
		rte_free(ctl);
		return -ENOMEM;
	}
	ctl->icmp_tokens = node->conf->icmp_rate_pps;
	ctl->icmp_last_tsc = rte_rdtsc();
	ctl->now_ms = mono_ms();
	node->ctl = ctl;
	rc = vx0_ctl_neigh_create(ctl, err, errlen);
	return rc;
}

void
vx0_ctl_destroy(struct vx0_node *node)
{
	struct vx0_ctl *ctl = node->ctl;

	if (ctl == NULL)
		return;
	vx0_ctl_bgp_stop(ctl);
	vx0_ctl_ike_stop(ctl);
	vx0_ctl_dht_stop(ctl);
	vx0_ctl_onion_stop(ctl);
	vx0_ctl_metrics_stop(ctl);
	vx0_ctl_mgmt_stop(ctl);
	vx0_ctl_capture_destroy(ctl);
	vx0_ctl_neigh_destroy(ctl);
	vx0_evloop_destroy(ctl->loop);
	rte_free(ctl);
	node->ctl = NULL;
}

static void
to_kernel(struct vx0_ctl *ctl, struct rte_mbuf *m)
{
	struct vx0_node *node = ctl->node;
	struct vx0_pkt_meta *meta = vx0_meta(node, m);
	const struct vx0_port *p = &node->ports[meta->in_port];

	if (p->tap_id == UINT16_MAX) {
		vx0_drop(ctl->lc, m, VX0_DROP_NO_EXCEPTION_PATH);
		return;
	}
	if (rte_eth_tx_burst(p->tap_id, 0, &m, 1) != 1)
		vx0_drop(ctl->lc, m, VX0_DROP_TX_FULL);
	else
		ctl->lc->stats.stage[VX0_STAGE_CTL].out++;
}

void
vx0_ctl_to_kernel_copy(struct vx0_ctl *ctl, struct rte_mbuf *m)
{
	struct rte_mbuf *c;

	if (ctl->node->ports[vx0_meta(ctl->node, m)->in_port].tap_id == UINT16_MAX)
		return;
	c = vx0_ctl_alloc(ctl);
	if (c == NULL)
		return;
	if (rte_pktmbuf_append(c, m->data_len) == NULL) {
		vx0_drop(ctl->lc, c, VX0_DROP_NO_MBUF);
		return;
	}
	rte_memcpy(rte_pktmbuf_mtod(c, void *), rte_pktmbuf_mtod(m, void *), m->data_len);
	*vx0_meta(ctl->node, c) = *vx0_meta(ctl->node, m);
	to_kernel(ctl, c);
}

/* A token bucket keeps ICMP errors to icmp_rate_pps (RFC 1812 4.3.2.8). */
static bool
icmp_allowed_now(struct vx0_ctl *ctl)
{
	uint64_t now = rte_rdtsc();
	double rate = ctl->node->conf->icmp_rate_pps;

	ctl->icmp_tokens += (double)(now - ctl->icmp_last_tsc) * rate / (double)ctl->node->tsc_hz;
	ctl->icmp_last_tsc = now;
	if (ctl->icmp_tokens > rate)
		ctl->icmp_tokens = rate;
	if (ctl->icmp_tokens < 1.0)
		return false;
	ctl->icmp_tokens -= 1.0;
	return true;
}

static void
send_icmp_error(struct vx0_ctl *ctl, struct rte_mbuf *m)
{
	struct vx0_node *node = ctl->node;
	struct vx0_pkt_meta *meta = vx0_meta(node, m);
	const struct vx0_port *p = &node->ports[meta->in_port];
	const uint8_t *ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, meta->l2_len);
	size_t len = m->data_len - meta->l2_len;
	uint8_t type = meta->aux >> 8, code = meta->aux & 0xff;
	struct rte_mbuf *e;
	uint8_t *out;
	int n;

	if (!vx0_pkt_icmp_error_allowed_type(ip, len, meta, type, code)) {
		rte_pktmbuf_free(m);
		return;
	}
	if (!icmp_allowed_now(ctl)) {
		ctl->lc->stats.icmp_rate_limited++;
		rte_pktmbuf_free(m);
		return;
	}
	e = vx0_ctl_alloc(ctl);
	if (e == NULL) {
		rte_pktmbuf_free(m);
		return;
	}
	out = rte_pktmbuf_mtod(e, uint8_t *) + RTE_ETHER_HDR_LEN;
	if (meta->l3_type == VX0_L3_IPV4) {
		if (p->n_ip4 == 0) {
			rte_pktmbuf_free(e);
			rte_pktmbuf_free(m);
			return;
		}
		n = vx0_pkt_icmp4_error(out, VX0_PKT_ICMP4_ERR_MAX, ip, len, type, code,
					p->ip4[0], meta->next_hop);
	} else {
		/* a global source if we have one: link-local is last */
		n = vx0_pkt_icmp6_error(out, VX0_PKT_ICMP6_ERR_MAX, ip, len, type, code,
					p->ip6[0], meta->next_hop);
	}
	rte_pktmbuf_free(m);
	if (n <= 0) {
		rte_pktmbuf_free(e);
		return;
	}
	e->data_len = e->pkt_len = (uint32_t)n + RTE_ETHER_HDR_LEN;
	ctl->lc->stats.icmp_sent++;
	vx0_ctl_route_out(ctl, e);
}

void
vx0_ctl_route_out(struct vx0_ctl *ctl, struct rte_mbuf *m)
{
	struct vx0_node *node = ctl->node;
	struct vx0_pkt_meta *meta = vx0_meta(node, m);
	uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
	const struct vx0_fib_nh *nh;
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)d;
	uint32_t id;
	uint64_t l2;
	int rc;

	/* the L3 packet sits after an Ethernet header we fill in */
	eth->ether_type = rte_cpu_to_be_16((d[RTE_ETHER_HDR_LEN] >> 4) == 4 ?
					   RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6);
	memset(&eth->dst_addr, 0, RTE_ETHER_ADDR_LEN); /* set once the next hop is known */
	memset(&eth->src_addr, 0, RTE_ETHER_ADDR_LEN);
	uint8_t in_port = meta->in_port;

	if (vx0_pkt_parse(d, m->data_len, meta) != VX0_PKT_OK) {
		vx0_drop(ctl->lc, m, VX0_DROP_NO_ROUTE);
		return;
	}
	meta->in_port = in_port;
	if (meta->l3_type == VX0_L3_IPV4) {
		uint32_t dst;

		memcpy(&dst, d + RTE_ETHER_HDR_LEN + 16, 4);
		rc = vx0_fib_lookup4(node->fib, rte_be_to_cpu_32(dst), &id);
	} else {
		rc = vx0_fib_lookup6(node->fib, d + RTE_ETHER_HDR_LEN + 24, &id);
	}
	if (rc != 0) {
		vx0_drop(ctl->lc, m, VX0_DROP_NO_ROUTE);
		return;
	}
	nh = vx0_fib_nh(node->fib, id);
	if (nh->type != VX0_NH_FWD && nh->type != VX0_NH_GLEAN) {
		vx0_drop(ctl->lc, m, nh->type == VX0_NH_LOCAL ? VX0_DROP_NO_ROUTE : VX0_DROP_BLACKHOLE);
		return;
	}
	meta->next_hop = id;
	l2 = nh->type == VX0_NH_FWD ? vx0_fib_nh_l2(nh) : 0;
	if (!(l2 & VX0_NH_L2_VALID)) {
		vx0_ctl_neigh_resolve(ctl, m);
		return;
	}
	memcpy(&eth->dst_addr, &l2, RTE_ETHER_ADDR_LEN);
	rte_ether_addr_copy(&node->ports[nh->port].mac, &eth->src_addr);
	vx0_tx_enqueue(ctl->lc, nh->port, &m, 1);
}

static unsigned int
poll_punt(struct vx0_ctl *ctl)
{
	struct vx0_node *node = ctl->node;
	struct vx0_stage_stats *st = &ctl->lc->stats.stage[VX0_STAGE_CTL];
	struct rte_mbuf *pkts[CTL_BURST];
	unsigned int n = rte_ring_sc_dequeue_burst(node->punt_ring, (void **)pkts,
						   CTL_BURST, NULL);
	uint64_t t0;

	if (n == 0)
		return 0;
	t0 = vx0_stage_begin(node, st, VX0_STAGE_CTL, 0, pkts, n);
	for (unsigned int i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		switch (vx0_meta(node, m)->stage) {
		case VX0_PUNT_ARP:
			vx0_ctl_neigh_arp(ctl, m);
			break;
		case VX0_PUNT_ND:
			vx0_ctl_neigh_nd(ctl, m);
			break;
		case VX0_PUNT_RESOLVE:
			vx0_ctl_neigh_resolve(ctl, m);
			break;
		case VX0_PUNT_ICMP_ERR:
			send_icmp_error(ctl, m);
			break;
		case VX0_PUNT_LOCAL:
		default:
			to_kernel(ctl, m);
			break;
		}
	}
	st->cycles += rte_rdtsc() - t0;
	return n;
}

/* The kernel's output on the TAPs leaves through the data ports as is: the
 * kernel resolved its neighbours itself, through us. */
static unsigned int
poll_taps(struct vx0_ctl *ctl)
{
	struct vx0_node *node = ctl->node;
	unsigned int total = 0;

	if (__atomic_load_n(&node->run_state, __ATOMIC_ACQUIRE) != VX0_RUNNING)
		return 0;
	for (unsigned int p = 0; p < node->n_ports; p++) {
		struct rte_mbuf *pkts[VX0_BURST];
		uint16_t n;

		if (node->ports[p].tap_id == UINT16_MAX)
			continue;
		n = rte_eth_rx_burst(node->ports[p].tap_id, 0, pkts, VX0_BURST);
		if (n == 0)
			continue;
		ctl->lc->stats.stage[VX0_STAGE_CTL].pkts += n;
		ctl->lc->stats.stage[VX0_STAGE_CTL].out += n;
		vx0_tx_enqueue(ctl->lc, (uint16_t)p, pkts, n);
		total += n;
	}
	return total;
}

/* SAs past their soft lifetime: IKE rekeys its own; a static SA can only
 * be reported (the operator replaces it). */
static unsigned int
poll_events(struct vx0_ctl *ctl)
{
	struct vx0_node *node = ctl->node;
	void *ev[16];
	unsigned int n = rte_ring_sc_dequeue_burst(node->event_ring, ev, RTE_DIM(ev), NULL);

	for (unsigned int i = 0; i < n; i++) {
		const struct vx0_esp_sa *sa = ev[i];

		for (uint32_t k = 0; node->sad && k < node->sad->max; k++) {
			if (vx0_sad_get(node->sad, k) != sa)
				continue;
			ctl->soft_expiries++;
			if (vx0_ctl_ike_sa_soft_expired(ctl, k) == 0)
				vx0_log(VX0_LOG_NOTICE, "esp", "SA 0x%08x (%s) reached its soft lifetime: rekeying",
					sa->spi, sa->dir == VX0_ESP_DIR_IN ? "in" : "out");
			else
				vx0_log(VX0_LOG_WARNING, "esp", "static SA 0x%08x (%s) reached its soft lifetime: "
					"replace it before the hard limit", sa->spi,
					sa->dir == VX0_ESP_DIR_IN ? "in" : "out");
			break;
		}
	}
	return n;
}

unsigned int
vx0_ctl_poll(struct vx0_node *node, uint64_t now_ms)
{
	struct vx0_ctl *ctl = node->ctl;
	unsigned int work;

	ctl->now_ms = now_ms;
	pthread_mutex_lock(&ctl->lock);
	work = poll_punt(ctl) + poll_taps(ctl) + poll_events(ctl) + vx0_ctl_capture_poll(ctl) +
	       vx0_ctl_onion_poll(ctl);
	vx0_ctl_neigh_tick(ctl);
	pthread_mutex_unlock(&ctl->lock);
	return work;
}

static bool
rings_empty(const struct vx0_node *node)
{
	if (rte_ring_count(node->punt_ring))
		return false;
	for (unsigned int i = 0; i < node->n_ports; i++)
		if (rte_ring_count(node->ports[i].tx_ring))
			return false;
	for (unsigned int i = 0; i < node->n_crypto; i++)
		if (rte_ring_count(node->crypto_ring[i]))
			return false;
	for (unsigned int i = 0; i < node->n_onion; i++)
		if (rte_ring_count(node->onion_ring[i]))
			return false;
	return true;
}

static bool
rx_idle_for(const struct vx0_node *node, uint64_t ms)
{
	uint64_t now = rte_rdtsc(), lim = ms * node->tsc_hz / 1000;

	for (unsigned int l = 0; l < RTE_MAX_LCORE; l++) {
		const struct vx0_lcore_ctx *lc = node->lc[l];

		if (lc && (lc->roles & VX0_ROLE_RX) &&
		    now - __atomic_load_n(&lc->last_rx_tsc, __ATOMIC_RELAXED) < lim)
			return false;
	}
	return true;
}

static bool
all_rx_done(const struct vx0_node *node)
{
	for (unsigned int l = 0; l < RTE_MAX_LCORE; l++) {
		const struct vx0_lcore_ctx *lc = node->lc[l];

		if (lc && (lc->roles & VX0_ROLE_RX) && l != node->ctl_lcore &&
		    !__atomic_load_n(&lc->rx_done, __ATOMIC_ACQUIRE))
			return false;
	}
	return true;
}

static void
free_ring(struct vx0_ctl *ctl, struct rte_ring *r)
{
	void *m;

	while (rte_ring_sc_dequeue(r, &m) == 0)
		vx0_drop(ctl->lc, m, VX0_DROP_SHUTDOWN);
}

int
vx0_ctl_run(struct vx0_node *node, volatile int *stop_requested)
{
	struct vx0_ctl *ctl = node->ctl;
	struct vx0_lcore_ctx *lc = ctl->lc;
	unsigned int idle = 0, empty_passes = 0;

	lc->last_rx_tsc = rte_rdtsc();
	for (;;) {
		int state = __atomic_load_n(&node->run_state, __ATOMIC_ACQUIRE);
		unsigned int work = vx0_ctl_poll(node, mono_ms());

		/* the ctl lcore may have data-plane roles too (small setups) */
		work += vx0_lcore_poll(lc);
		/* protocols' sockets and timers: at least once a millisecond */
		if (ctl->now_ms != ctl->evloop_ms) {
			ctl->evloop_ms = ctl->now_ms;
			pthread_mutex_lock(&ctl->lock); /* telemetry reads protocol state */
			work += (unsigned int)RTE_MAX(vx0_evloop_run_once(ctl->loop, 0), 0);
			pthread_mutex_unlock(&ctl->lock);
		}
		if (state == VX0_RUNNING) {
			if (*stop_requested ||
			    (node->conf->stop_after_idle_ms &&
			     rx_idle_for(node, node->conf->stop_after_idle_ms) && rings_empty(node))) {
				/* say goodbye to the peers while the data plane
				 * still carries it, then stop */
				if (ctl->stop_grace_ms == 0) {
					ctl->stop_grace_ms = ctl->now_ms + (ctl->bgp ? 300 : 0);
					vx0_ctl_bgp_shutdown(ctl, ctl->now_ms);
				}
				if (ctl->now_ms >= ctl->stop_grace_ms) {
					__atomic_store_n(&node->run_state, VX0_STOP_RX, __ATOMIC_RELEASE);
					node->stop_tsc = rte_rdtsc();
				}
			}
		} else if (state == VX0_STOP_RX) {
			/* drained when every RX has stopped and three passes
			 * a millisecond apart find every ring empty */
			if (all_rx_done(node) && rings_empty(node)) {
				if (++empty_passes >= 3)
					break;
				usleep(1000);
			} else {
				empty_passes = 0;
			}
		}
		if (work || node->busy_poll) {
			idle = 0;
			continue;
		}
		if (++idle > 256) {
			pthread_mutex_lock(&ctl->lock);
			vx0_evloop_run_once(ctl->loop, 1);
			pthread_mutex_unlock(&ctl->lock);
		}
	}
	__atomic_store_n(&node->run_state, VX0_EXIT, __ATOMIC_RELEASE);
	return 0;
}

void
vx0_ctl_drain(struct vx0_node *node)
{
	struct vx0_ctl *ctl = node->ctl;

	free_ring(ctl, node->punt_ring);
	for (unsigned int i = 0; i < node->n_ports; i++)
		free_ring(ctl, node->ports[i].tx_ring);
	for (unsigned int i = 0; i < node->n_crypto; i++)
		free_ring(ctl, node->crypto_ring[i]);
	for (unsigned int i = 0; i < node->n_onion; i++)
		free_ring(ctl, node->onion_ring[i]);
	if (node->onion) {
		free_ring(ctl, node->onion->punt_hi);
		free_ring(ctl, node->onion->punt_lo);
	}
}

int
vx0_ctl_start_protocols(struct vx0_node *node, char *err, size_t errlen)
{
	int rc = vx0_ctl_metrics_start(node->ctl, err, errlen);

	if (rc == 0)
		rc = vx0_ctl_mgmt_start(node->ctl, err, errlen);
	if (rc == 0)
		rc = vx0_ctl_bgp_start(node->ctl, err, errlen);
	if (rc == 0)
		rc = vx0_ctl_ike_start(node->ctl, err, errlen);
	if (rc == 0 && (rc = vx0_ctl_peers_publish(node->ctl)) < 0)
		snprintf(err, errlen, "control-plane peer set: %s", strerror(-rc));
	if (rc == 0)
		rc = vx0_ctl_dht_start(node->ctl, err, errlen);
	if (rc == 0)
		rc = vx0_ctl_onion_start(node->ctl, err, errlen);
	return rc;
}
