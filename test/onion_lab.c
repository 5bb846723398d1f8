/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Lab program for dts/test_onion_udp.py: a guard, a middle and an exit
 * relay, each on its own UDP socket on loopback, and a client that builds
 * a circuit through them over real datagrams (lib/onion + its UDP glue on
 * one vx0_evloop). The exit echoes every packet back on the circuit.
 * Prints one JSON line with what happened. Bounded by a deadline.
 *
 * usage: onion_lab [4|6] [base port] [packets]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "vx0_onion_udp.h"

struct lab {
	struct vx0_onion_udp_relay *relay[3];
	unsigned int echoed, exact, received;
	uint8_t sent[64][1300];
	size_t sent_len[64];
};

static void
exit_deliver(void *arg, uint32_t link, uint32_t circ, const uint8_t *pkt, size_t len)
{
	struct lab *l = arg;

	if (vx0_onion_udp_relay_send_back(l->relay[2], link, circ, pkt, len) == 0)
		l->echoed++;
}

static void
client_data(void *arg, uint32_t link, uint32_t circ, const uint8_t *pkt, size_t len)
{
	struct lab *l = arg;
	unsigned int i;

	(void)link;
	(void)circ;
	l->received++;
	for (i = 0; i < 64; i++)
		if (l->sent_len[i] == len && memcmp(l->sent[i], pkt, len) == 0) {
			l->exact++;
			l->sent_len[i] = 0; /* each echo counts once */
			break;
		}
}

/* IPv6/UDP to 2001:db8::50 port 443 (allowed by the default policy) */
static size_t
packet(uint8_t *p, unsigned int i, size_t total)
{
	size_t j, pl = total - 40;

	memset(p, 0, 48);
	p[0] = 0x60;
	p[4] = (uint8_t)(pl >> 8);
	p[5] = (uint8_t)pl;
	p[6] = 17;
	p[7] = 64;
	p[8] = 0x20; p[9] = 0x01; p[10] = 0x0d; p[11] = 0xb8; p[23] = 0x10;
	p[24] = 0x20; p[25] = 0x01; p[26] = 0x0d; p[27] = 0xb8; p[39] = 0x50;
	p[41] = (uint8_t)i;
	p[42] = 443 >> 8;
	p[43] = 443 & 0xff;
	p[44] = (uint8_t)(pl >> 8);
	p[45] = (uint8_t)pl;
	for (j = 48; j < total; j++)
		p[j] = (uint8_t)(j * 31 + i);
	return total;
}

int
main(int argc, char **argv)
{
	int fam = argc > 1 ? atoi(argv[1]) : 4;
	unsigned int base = argc > 2 ? (unsigned int)atoi(argv[2]) : 17150;
	unsigned int npk = argc > 3 ? (unsigned int)atoi(argv[3]) : 20, i, sent = 0;
	struct vx0_onion_relay_desc path[3];
	struct vx0_onion_udp_client *cl;
	struct vx0_evloop *loop;
	struct lab *l;
	uint64_t deadline;
	int opened = 0;

	if (sodium_init() < 0 || (fam != 4 && fam != 6) || npk > 64 || base > 65000)
		return 2;
	loop = vx0_evloop_create();
	l = calloc(1, sizeof(*l));
	if (loop == NULL || l == NULL)
		return 2;
	for (i = 0; i < 3; i++) {
		struct vx0_onion_relay_config cfg;
		uint8_t sk[64];

		vx0_onion_relay_config_default(&cfg);
		crypto_sign_keypair(cfg.id, sk);
		randombytes_buf(cfg.onion_sk, 32);
		cfg.exit = i == 2;
		memset(&path[i].addr, 0, sizeof(path[i].addr));
		path[i].addr.family = (uint8_t)fam;
		path[i].addr.port = (uint16_t)(base + i);
		if (fam == 4) {
			path[i].addr.addr[0] = 127;
			path[i].addr.addr[3] = 1;
		} else {
			path[i].addr.addr[15] = 1;
		}
		memcpy(path[i].id, cfg.id, 32);
		crypto_scalarmult_base(path[i].onion_pk, cfg.onion_sk);
		l->relay[i] = vx0_onion_udp_relay_new(loop, &cfg, &path[i].addr,
						      i == 2 ? exit_deliver : NULL, l);
		sodium_memzero(&cfg, sizeof(cfg));
		sodium_memzero(sk, sizeof(sk));
		if (l->relay[i] == NULL) {
			printf("{\"error\": \"relay %u\"}\n", i);
			return 1;
		}
	}
	cl = vx0_onion_udp_client_new(loop, path, 3, client_data, l);
	if (cl == NULL) {
		printf("{\"error\": \"client\"}\n");
		return 1;
	}
	deadline = vx0_evloop_now_ms(loop) + 10000;
	while (vx0_evloop_now_ms(loop) < deadline) {
		vx0_evloop_run_once(loop, 50);
		if (!opened && vx0_onion_udp_client_state(cl) == VX0_ONION_CIRC_OPEN) {
			opened = 1;
			for (i = 0; i < npk; i++) {
				/* sizes from 48 bytes up to the 1280-byte inner MTU */
				size_t len = packet(l->sent[i], i, i == 0 ? 1280 : 48 + (i * 97) % 1233);

				l->sent_len[i] = len;
				sent += vx0_onion_udp_client_send(cl, l->sent[i], len) == 0;
			}
		}
		if (vx0_onion_udp_client_state(cl) == VX0_ONION_CIRC_CLOSED ||
		    (opened && l->received >= sent))
			break;
	}
	{
		const struct vx0_onion_relay_stats *g = vx0_onion_relay_stats(
			vx0_onion_udp_relay_core(l->relay[0]));
		const struct vx0_onion_relay_stats *e = vx0_onion_relay_stats(
			vx0_onion_udp_relay_core(l->relay[2]));

		printf("{\"open\": %d, \"sent\": %u, \"echoed\": %u, \"received\": %u, "
		       "\"exact\": %u, \"guard_relayed_fwd\": %llu, \"guard_relayed_bwd\": %llu, "
		       "\"exit_delivered\": %llu, \"integrity_failed\": %llu}\n",
		       opened, sent, l->echoed, l->received, l->exact,
		       (unsigned long long)g->relayed_fwd, (unsigned long long)g->relayed_bwd,
		       (unsigned long long)e->delivered,
		       (unsigned long long)(g->integrity_failed + e->integrity_failed));
	}
	vx0_onion_udp_client_free(cl);
	for (i = 0; i < 3; i++)
		vx0_onion_udp_relay_free(l->relay[i]);
	free(l);
	vx0_evloop_destroy(loop);
	return 0;
}
