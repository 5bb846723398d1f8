/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target for the BGP message parsers: the header check, OPEN,
 * NOTIFICATION data, UPDATE (RFC 7606 paths) under four session contexts,
 * and the whole core: the input is fed as a byte stream to an Established
 * session (UPDATEs reach the RIB, the decision process and export to a
 * second peer).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bgp_int.h"
#include "vx0_bgp.h"
#include "vx0_log.h"

static void
f_send(void *ctx, int peer, const uint8_t *buf, size_t len)
{
	(void)ctx, (void)peer, (void)buf, (void)len;
}

static void
f_noop(void *ctx, int peer)
{
	(void)ctx, (void)peer;
}

static struct vx0_bgp *core;
static struct bgp_attr_build build;
static uint64_t now;

static void
establish(int id, uint32_t as, uint32_t rid)
{
	uint8_t m[64];
	size_t n = 0;

	vx0_bgp_peer_start(core, id, now);
	vx0_bgp_tcp_up(core, id, NULL, now);
	memset(m, 0xff, 16);
	n = 19;
	m[n++] = 4;
	m[n++] = 0x5b;
	m[n++] = 0xa0; /* AS_TRANS */
	m[n++] = 0;
	m[n++] = 90;
	m[n++] = (uint8_t)(rid >> 24), m[n++] = (uint8_t)(rid >> 16);
	m[n++] = (uint8_t)(rid >> 8), m[n++] = (uint8_t)rid;
	static const uint8_t caps[] = {22, 2, 20, 1, 4, 0, 1, 0, 1, 1, 4, 0, 2, 0, 1, 2, 0, 65, 4};
	memcpy(m + n, caps, sizeof(caps));
	n += sizeof(caps);
	m[n++] = (uint8_t)(as >> 24), m[n++] = (uint8_t)(as >> 16);
	m[n++] = (uint8_t)(as >> 8), m[n++] = (uint8_t)as;
	m[16] = 0;
	m[17] = (uint8_t)n;
	m[18] = 1;
	vx0_bgp_input(core, id, m, n, now);
	memset(m, 0xff, 16);
	m[16] = 0, m[17] = 19, m[18] = 4;
	vx0_bgp_input(core, id, m, 19, now);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint16_t mlen;
	uint8_t type, sub;
	char txt[64];

	if (core == NULL) {
		static const struct vx0_bgp_ops ops = {.send = f_send, .connect = f_noop,
						       .disconnect = f_noop};
		struct vx0_bgp_config c = {.local_as = 65001, .router_id = 0xc6336401};

		vx0_log_set_level(0);
		core = vx0_bgp_create(&c, &ops, NULL);
		for (int i = 0; i < 2; i++) {
			struct vx0_bgp_peer_config pc = {.remote_as = 65002 + (uint32_t)i,
							 .ipv4_unicast = true, .ipv6_unicast = true};

			pc.addr.family = 4;
			memcpy(pc.addr.a, (uint8_t[]){198, 51, 100, (uint8_t)(2 + i)}, 4);
			vx0_bgp_peer_add(core, &pc);
		}
		bgp_attr_build_init(&build);
	}
	if (size >= 19)
		bgp_hdr_check(data, 65535, &mlen, &type, &sub);
	struct bgp_open o;

	bgp_open_parse(data, size, &o, &sub);
	bgp_shutdown_msg_parse(data, size, txt, sizeof(txt));
	for (int k = 0; k < 4; k++) {
		struct bgp_parse_ctx pc = {.as4 = k & 1, .ebgp = k & 2, .peer_as = 65002,
					   .v4 = true, .v6 = true};
		struct bgp_update u;

		bgp_update_parse(&pc, data, size, &u, &build);
		if (u.outcome != BGP_UPD_RESET) {
			struct vx0_bgp_prefix p;
			struct bgp_nlri_block b = u.nlri;

			while (bgp_nlri_next(&b, &p) == 1)
				;
			b = u.mp_reach;
			while (b.family && bgp_nlri_next(&b, &p) == 1)
				;
		}
	}
	/* the whole core: an Established session receives the bytes */
	now += 1000;
	for (int i = 0; i < 2; i++) {
		struct vx0_bgp_neighbor_info ni;

		vx0_bgp_neighbor_info(core, i, &ni);
		if (ni.state != VX0_BGP_ESTABLISHED) {
			vx0_bgp_peer_stop(core, i, NULL, now);
			establish(i, 65002 + (uint32_t)i, 0xc6336402 + (uint32_t)i);
		}
	}
	vx0_bgp_input(core, 0, data, size, now);
	vx0_bgp_timers(core, now);
	return 0;
}
