/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The onion stage's cost per cell on one lcore (not a test; run by hand,
 * briefly): bursts of 32 forward cells of one transit circuit through
 * vx0_onion_stage_burst (cell checks, link and circuit lookups, peel,
 * circuit id rewrite, new outer IPv4/UDP header with its checksum) against
 * raw ChaCha20 over the same 1360-byte bodies, in the same run. Both copy
 * each frame into a fresh mbuf first, as RX would hand it over; the FIB
 * pass that follows the stage is the forwarding path's (tools/bench-fwd.sh).
 *
 * usage: bench_onion_stage [seconds per measurement and round, default 0.05; 10 rounds]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <sodium.h>

#include "vx0_onion_dp.h"
#include "vx0_pipeline.h"
#include "vx0_test_eal.h"

#define NCELLS 1024
#define FRAME_LEN (14 + 20 + 8 + VX0_ONION_CELL_LEN)

static uint8_t frames[NCELLS][FRAME_LEN];
static struct vx0_pkt_meta metas[NCELLS];

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
frame(uint8_t *f, const uint8_t *mac, const uint8_t *cell)
{
	uint8_t *ip = f + 14, *udp = ip + 20;
	uint16_t c;

	memcpy(f, mac, 6);
	memset(f + 6, 0x02, 6);
	f[12] = 0x08;
	f[13] = 0x00;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	ip[2] = (uint8_t)((20 + 8 + VX0_ONION_CELL_LEN) >> 8);
	ip[3] = (uint8_t)(20 + 8 + VX0_ONION_CELL_LEN);
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, (uint8_t[]){ 198, 51, 100, 1 }, 4);
	memcpy(ip + 16, (uint8_t[]){ 198, 51, 100, 2 }, 4);
	c = vx0_pkt_ipv4_csum(ip, 20);
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
	udp[0] = udp[2] = 7150 >> 8;
	udp[1] = udp[3] = 7150 & 0xff;
	udp[4] = (uint8_t)((8 + VX0_ONION_CELL_LEN) >> 8);
	udp[5] = (uint8_t)(8 + VX0_ONION_CELL_LEN);
	udp[6] = udp[7] = 0;
	memcpy(udp + 8, cell, VX0_ONION_CELL_LEN);
}

int
main(int argc, char **argv)
{
	static const struct rte_mbuf_dynfield meta_desc = {
		.name = "vx0_pkt_meta", .size = sizeof(struct vx0_pkt_meta),
		.align = __alignof__(struct vx0_pkt_meta),
	};
	double secs = argc > 1 ? atof(argv[1]) : 0.05, best[2] = { 0, 0 };
	static struct vx0_node node;
	struct vx0_lcore_ctx *lc;
	struct vx0_onion_dp *od;
	struct rte_mempool *mp;
	struct vx0_onion_client_hop hops[2];
	struct vx0_onion_hop_keys k[2];
	struct vx0_onion_circ_entry e;
	struct vx0_onion_peer prev = { .family = 4, .port = 7150, .addr = { 198, 51, 100, 1 } },
			      next = { .family = 4, .port = 7150, .addr = { 198, 51, 100, 6 } };
	uint8_t okm[VX0_ONION_KDF_LEN], src[16] = { 198, 51, 100, 5 }, msg[64];
	uint8_t cell[VX0_ONION_CELL_LEN];
	size_t qs;
	unsigned long out_total = 0;

	if (vx0_test_eal_init("bench_onion_stage") < 0 || sodium_init() < 0)
		return 1;
	node.meta_off = rte_mbuf_dynfield_register(&meta_desc);
	mp = rte_pktmbuf_pool_create("bench", 4096, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	qs = rte_rcu_qsbr_get_memsize(RTE_MAX_LCORE);
	node.qsv = rte_zmalloc(NULL, qs, RTE_CACHE_LINE_SIZE);
	od = rte_zmalloc(NULL, sizeof(*od), RTE_CACHE_LINE_SIZE);
	lc = rte_zmalloc(NULL, sizeof(*lc), RTE_CACHE_LINE_SIZE);
	if (node.meta_off < 0 || mp == NULL || node.qsv == NULL || od == NULL || lc == NULL)
		return 1;
	rte_rcu_qsbr_init(node.qsv, RTE_MAX_LCORE);
	memset(node.ports[0].mac.addr_bytes, 0x02, 6);
	node.ports[0].mac.addr_bytes[5] = 0x01;
	od->port = 7150;
	od->tab = vx0_onion_table_create("bench", 64, 8, 0, node.qsv);
	od->punt_hi = rte_ring_create("bench_hi", 1024, 0, 0);
	od->punt_lo = rte_ring_create("bench_lo", 1024, 0, 0);
	node.onion = od;
	lc->node = &node;
	lc->lcore_id = rte_lcore_id();
	/* a transit circuit: in (link 1, 0x100), out (link 2, 0x200) */
	for (int i = 0; i < 2; i++) {
		randombytes_buf(okm, sizeof(okm));
		vx0_onion_keys_from_kdf(&k[i], okm);
		vx0_onion_client_hop_init(&hops[i], &k[i]);
	}
	vx0_onion_table_link_set(od->tab, 1, &prev, src);
	vx0_onion_table_link_set(od->tab, 2, &next, src);
	memset(&e, 0, sizeof(e));
	e.in_link = 1;
	e.in_circ = 0x100;
	e.out_link = 2;
	e.out_circ = 0x200;
	e.role = VX0_ONION_ROLE_TRANSIT;
	e.keys = k[0];
	if (od->tab == NULL || vx0_onion_table_install(od->tab, &e, 0) < 0)
		return 1;
	/* cells sealed by a client through this hop to the next */
	vx0_onion_relay_msg_build(msg, sizeof(msg), VX0_ONION_RELAY_DROP, NULL, 0);
	for (int i = 0; i < NCELLS; i++) {
		vx0_onion_cell_hdr_write(cell, VX0_ONION_CMD_RELAY, 0, 0x100);
		vx0_onion_client_seal(hops, 1, msg, sizeof(msg), cell + VX0_ONION_LINK_HDR_LEN);
		frame(frames[i], node.ports[0].mac.addr_bytes, cell);
		if (vx0_pkt_parse(frames[i], FRAME_LEN, &metas[i]) != VX0_PKT_OK)
			return 1;
	}
	printf("# onion stage, one lcore, bursts of 32, %d cells per round, best of 10 rounds\n",
	       NCELLS);
	for (int round = 0; round < 10; round++) {
		for (int what = 0; what < 2; what++) {
			struct vx0_onion_dp_circ *c = vx0_onion_table_lookup(od->tab, 1, 0x100, 0);
			double t0 = now_s(), t;
			unsigned long n = 0;

			do {
				vx0_onion_replay_init(&c->fwin, k[0].fseq_base);
				for (int b = 0; b < NCELLS; b += VX0_BURST) {
					struct rte_mbuf *m[VX0_BURST], *out[VX0_BURST];
					uint8_t port[VX0_BURST], nonce[12] = { 0 };
					unsigned int no;

					if (rte_pktmbuf_alloc_bulk(mp, m, VX0_BURST) != 0)
						return 1;
					for (int i = 0; i < VX0_BURST; i++) {
						uint8_t *d = (uint8_t *)rte_pktmbuf_append(m[i], FRAME_LEN);

						memcpy(d, frames[b + i], FRAME_LEN);
						*vx0_meta(&node, m[i]) = metas[b + i];
					}
					if (what == 0) {
						for (int i = 0; i < VX0_BURST; i++) {
							uint8_t *body = rte_pktmbuf_mtod_offset(m[i], uint8_t *,
								14 + 20 + 8 + VX0_ONION_LINK_HDR_LEN);

							nonce[11] = (uint8_t)i;
							crypto_stream_chacha20_ietf_xor(body, body,
								VX0_ONION_BODY_LEN, nonce, k[0].kf);
						}
						rte_pktmbuf_free_bulk(m, VX0_BURST);
						continue;
					}
					no = vx0_onion_stage_burst(lc, m, VX0_BURST, out, port);
					out_total += no;
					rte_pktmbuf_free_bulk(out, no);
				}
				n += NCELLS;
				t = now_s();
			} while (t - t0 < secs);
			if ((double)n / (t - t0) > best[what])
				best[what] = (double)n / (t - t0);
		}
	}
	printf("raw chacha20 (1360 B)    %8.3f Mcells/s  1.00\n", best[0] / 1e6);
	printf("onion stage (forward)    %8.3f Mcells/s  %.2f\n", best[1] / 1e6, best[1] / best[0]);
	printf("# cells forwarded by the stage: %lu (every one: %s)\n", out_total,
	       od->st[lc->lcore_id].fwd == out_total && od->st[lc->lcore_id].integrity == 0 ?
	       "yes" : "NO");
	return 0;
}
