/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * crypto: ESP in both directions, one ring per crypto lcore. The rx stage
 * picks the ring by SPI (inbound) or by SA (outbound), so each SA has one
 * owner: its sequence counter and replay window need no lock and its
 * packets keep their order. A burst is prepared packet by packet, handed
 * to the engine in one call per direction, then finished; what comes out
 * goes through classify again: decapsulated inner packets as if received
 * on the same port, encapsulated outer packets as our own.
 */
#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_hash_crc.h>

#include "vx0_crypto.h"
#include "vx0_pipeline.h"

static unsigned int
esp_drop_reason(int rc)
{
	switch (vx0_esp_drop_reason(rc)) {
	case VX0_ESP_DROP_UNKNOWN_SPI: return VX0_DROP_ESP_NO_SA;
	case VX0_ESP_DROP_REPLAY: return VX0_DROP_ESP_REPLAY;
	case VX0_ESP_DROP_AUTH: return VX0_DROP_ESP_AUTH;
	case VX0_ESP_DROP_BAD_PAD: return VX0_DROP_ESP_BAD_PAD;
	case VX0_ESP_DROP_TRUNCATED: return VX0_DROP_ESP_TRUNCATED;
	case VX0_ESP_DROP_LIFETIME: return VX0_DROP_ESP_LIFETIME;
	case VX0_ESP_DROP_TFC_DUMMY: return VX0_DROP_ESP_TFC_DUMMY;
	default: return VX0_DROP_ESP_MALFORMED;
	}
}

struct crypto_work {
	struct rte_mbuf *m;
	struct vx0_esp_sa *sa;
	struct vx0_esp_buf buf;
	struct vx0_esp_op op;
};

/* The packet as an ESP buffer: from the IP header to its IP length, the
 * mbuf's room around it (Ethernet header and padding count as room). */
static void
to_buf(struct rte_mbuf *m, const struct vx0_pkt_meta *meta, struct vx0_esp_buf *b)
{
	uint32_t ip_len = RTE_MIN((uint32_t)meta->ip_len, (uint32_t)m->data_len - meta->l2_len);

	b->data = rte_pktmbuf_mtod_offset(m, uint8_t *, meta->l2_len);
	b->len = ip_len;
	b->headroom = rte_pktmbuf_headroom(m) + meta->l2_len;
	b->tailroom = rte_pktmbuf_tailroom(m) + (m->data_len - meta->l2_len - ip_len);
}

/* Put an Ethernet header in front of the IP packet now in b. */
static void
from_buf(struct rte_mbuf *m, const struct vx0_esp_buf *b, const struct rte_ether_addr *dst)
{
	struct rte_ether_hdr *eth;

	m->data_off = (uint16_t)(b->data - (uint8_t *)m->buf_addr - RTE_ETHER_HDR_LEN);
	m->data_len = (uint16_t)(b->len + RTE_ETHER_HDR_LEN);
	m->pkt_len = m->data_len;
	eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	rte_ether_addr_copy(dst, &eth->dst_addr);
	memset(&eth->src_addr, 0, RTE_ETHER_ADDR_LEN);
	eth->ether_type = rte_cpu_to_be_16((b->data[0] >> 4) == 4 ? RTE_ETHER_TYPE_IPV4 :
					   RTE_ETHER_TYPE_IPV6);
}

static void
run_engine(struct vx0_lcore_ctx *lc, struct crypto_work *w, unsigned int n, bool enc)
{
	struct vx0_crypto_op *ops[VX0_BURST];
	unsigned int done = 0;

	for (unsigned int i = 0; i < n; i++)
		ops[i] = &w[i].op.cop;
	/* software engines take everything; a queue-based one may need turns */
	for (int tries = 0; done < n && tries < 1000; tries++)
		done += enc ? vx0_crypto_encrypt_burst(lc->node->engine, (uint16_t)lc->crypto_idx,
						       ops + done, (uint16_t)(n - done))
			    : vx0_crypto_decrypt_burst(lc->node->engine, (uint16_t)lc->crypto_idx,
						       ops + done, (uint16_t)(n - done));
	for (unsigned int i = done; i < n; i++)
		w[i].op.cop.status = -EIO;
}

/* Tell the slow path an SA crossed its soft lifetime (time to rekey). Its
 * flag makes this happen once per SA; a full ring only delays the news. */
static void
soft_expired(struct vx0_lcore_ctx *lc, struct vx0_esp_sa *sa)
{
	lc->stats.esp_soft_expired++;
	if (rte_ring_mp_enqueue(lc->node->event_ring, sa) != 0)
		lc->stats.drops[VX0_DROP_RING_FULL]++;
}

/* Time lifetimes: once a second, for the SAs this lcore owns. */
static void
tick_sas(struct vx0_lcore_ctx *lc)
{
	struct vx0_node *node = lc->node;
	uint64_t now = rte_rdtsc();

	if (now - lc->sa_tick_tsc < node->tsc_hz)
		return;
	lc->sa_tick_tsc = now;
	for (uint32_t i = 0; i < node->sad->max; i++) {
		struct vx0_esp_sa *sa = vx0_sad_get(node->sad, i);
		unsigned int owner;

		if (sa == NULL)
			continue;
		owner = sa->dir == VX0_ESP_DIR_OUT ? i % node->n_crypto :
			rte_hash_crc_4byte(sa->spi, 0) % node->n_crypto;
		if (owner == lc->crypto_idx &&
		    (vx0_esp_sa_tick(sa, now / node->tsc_hz) & VX0_ESP_SOFT_EXPIRED))
			soft_expired(lc, sa);
	}
}

/* Classify in bursts: one call per run of packets from the same port. */
static void
classify_runs(struct vx0_lcore_ctx *lc, struct rte_mbuf **pkts, const uint8_t *port,
	      unsigned int n, unsigned int flags)
{
	unsigned int start = 0;

	for (unsigned int i = 1; i <= n; i++)
		if (i == n || port[i] != port[start]) {
			vx0_classify(lc, port[start], pkts + start, (uint16_t)(i - start), flags);
			start = i;
		}
}

unsigned int
vx0_stage_crypto_poll(struct vx0_lcore_ctx *lc)
{
	struct vx0_node *node = lc->node;
	struct vx0_stage_stats *st = &lc->stats.stage[VX0_STAGE_CRYPTO];
	struct rte_mbuf *pkts[VX0_BURST], *inner[VX0_BURST], *outer[VX0_BURST];
	uint8_t inner_port[VX0_BURST], outer_port[VX0_BURST];
	unsigned int n_inner = 0, n_outer = 0;
	struct crypto_work in[VX0_BURST], out[VX0_BURST];
	unsigned int n, n_in = 0, n_out = 0;
	uint64_t t0;

	if (node->sad != NULL)
		tick_sas(lc);
	n = rte_ring_sc_dequeue_burst(node->crypto_ring[lc->crypto_idx], (void **)pkts,
				      VX0_BURST, NULL);
	if (n == 0)
		return 0;
	t0 = vx0_stage_begin(node, st, VX0_STAGE_CRYPTO, 0, pkts, n);
	for (unsigned int i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct vx0_pkt_meta *meta = vx0_meta(node, m);
		struct crypto_work *w;
		uint32_t spi;
		int rc;

		if (node->sad == NULL) {
			vx0_drop(lc, m, VX0_DROP_ESP_NO_SA);
			continue;
		}
		if (meta->stage == VX0_CRYPTO_DIR_IN) {
			w = &in[n_in];
			to_buf(m, meta, &w->buf);
			rc = vx0_esp_peek_spi(&w->buf, &spi);
			w->sa = rc == 0 ? vx0_sad_lookup_in(node->sad, spi) : NULL;
			if (w->sa == NULL) {
				vx0_drop(lc, m, rc == 0 ? VX0_DROP_ESP_NO_SA : VX0_DROP_ESP_MALFORMED);
				continue;
			}
			rc = vx0_esp_decap_prepare(w->sa, &w->buf, &w->op);
		} else {
			w = &out[n_out];
			w->sa = vx0_sad_get(node->sad, meta->next_hop);
			if (w->sa == NULL) {
				vx0_drop(lc, m, VX0_DROP_ESP_NO_SA);
				continue;
			}
			to_buf(m, meta, &w->buf);
			rc = vx0_esp_encap_prepare(w->sa, &w->buf, &w->op);
		}
		if (rc < 0) {
			vx0_drop(lc, m, esp_drop_reason(rc));
			continue;
		}
		if (rc & VX0_ESP_SOFT_EXPIRED) /* outbound counts at prepare */
			soft_expired(lc, w->sa);
		w->m = m;
		w->op.cop.user = m;
		if (meta->stage == VX0_CRYPTO_DIR_IN)
			n_in++;
		else
			n_out++;
	}
	if (n_in)
		run_engine(lc, in, n_in, false);
	if (n_out)
		run_engine(lc, out, n_out, true);
	for (unsigned int i = 0; i < n_in + n_out; i++) {
		bool is_in = i < n_in;
		struct crypto_work *w = is_in ? &in[i] : &out[i - n_in];
		struct vx0_pkt_meta *meta = vx0_meta(node, w->m);
		uint8_t port = meta->in_port;
		int rc = is_in ? vx0_esp_decap_finish(w->sa, &w->buf, &w->op)
			       : vx0_esp_encap_finish(w->sa, &w->buf, &w->op);

		if (rc < 0) {
			vx0_drop(lc, w->m, esp_drop_reason(rc));
			continue;
		}
		if (rc & VX0_ESP_SOFT_EXPIRED)
			soft_expired(lc, w->sa);
		from_buf(w->m, &w->buf, &node->ports[port].mac);
		if (is_in) {
			inner_port[n_inner] = port;
			inner[n_inner++] = w->m;
		} else {
			outer_port[n_outer] = port;
			outer[n_outer++] = w->m;
		}
		st->out++;
	}
	st->cycles += rte_rdtsc() - t0;
	if (vx0_capture_on(&node->cap)) { /* stage:crypto:out, plaintext and ciphertext */
		vx0_capture_copy(&node->cap, VX0_STAGE_CRYPTO, VX0_CAP_OUT, 0, inner, n_inner);
		vx0_capture_copy(&node->cap, VX0_STAGE_CRYPTO, VX0_CAP_OUT, 0, outer, n_outer);
	}
	/* decapsulated packets take the forwarding decision as if received on
	 * their port; encapsulated ones as our own (no TTL decrement) */
	classify_runs(lc, inner, inner_port, n_inner, 0);
	classify_runs(lc, outer, outer_port, n_outer, VX0_CLS_LOCAL_ORIGIN);
	return n;
}
