/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target for lib/ike: every payload parser over the input's payload
 * chain, then the whole datagram into a responder core (IKE_SA_INIT
 * handling, SA lookup, window checks, SK opening).
 */
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>

#include <sodium.h>

#include "ike_wire.h"
#include "vx0_ike.h"
#include "vx0_log.h"

static void
parse_all(const uint8_t *data, size_t size)
{
	struct ike_hdr h;
	struct ike_pls pls;
	size_t body;

	if (ike_parse_hdr(data, size, &h) != 0)
		return;
	body = h.len - IKE_HDR_LEN;
	if (ike_parse_chain(h.np, data + IKE_HDR_LEN, body, &pls) != 0)
		return;
	for (int i = 0; i < pls.n; i++) {
		const struct ike_pl *p = &pls.pl[i];
		struct ike_proposal props[IKE_MAX_PROPOSALS];
		struct ike_ts ts[IKE_MAX_TS];
		struct ike_notify n;
		struct ike_ke ke;
		struct ike_id id;
		struct ike_auth a;
		struct ike_delete d;
		struct ike_skf f;
		int cnt;

		switch (p->type) {
		case IKE_PL_SA:
			ike_parse_sa(p->body, p->len, props, IKE_MAX_PROPOSALS,
				     &cnt);
			break;
		case IKE_PL_KE:
			ike_parse_ke(p->body, p->len, &ke);
			break;
		case IKE_PL_IDI:
		case IKE_PL_IDR:
			ike_parse_id(p->body, p->len, &id);
			break;
		case IKE_PL_AUTH:
			ike_parse_auth(p->body, p->len, &a);
			break;
		case IKE_PL_NONCE:
			ike_parse_nonce(p->body, p->len);
			break;
		case IKE_PL_NOTIFY:
			ike_parse_notify(p->body, p->len, &n);
			break;
		case IKE_PL_DELETE:
			ike_parse_delete(p->body, p->len, &d);
			break;
		case IKE_PL_TSI:
		case IKE_PL_TSR:
			ike_parse_ts(p->body, p->len, ts, IKE_MAX_TS, &cnt);
			break;
		case IKE_PL_SKF:
			ike_parse_skf(p->body, p->len, &f);
			break;
		default:
			break;
		}
	}
}

static void
nosend(void *arg, uint16_t lport, const struct sockaddr *dst, socklen_t dl,
       const uint8_t *buf, size_t len)
{
	(void)arg, (void)lport, (void)dst, (void)dl, (void)buf, (void)len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vx0_ike *ike;
	static struct vx0_ike_conf conf;
	static struct vx0_ike_peer_conf peer;
	static uint64_t now = 1000;
	struct sockaddr_in src = { .sin_family = AF_INET,
				   .sin_port = htons(500) };
	struct sockaddr_in dst = src;

	if (!ike) {
		static const struct vx0_ike_ops ops = { .send = nosend };
		struct sockaddr_in *l = (struct sockaddr_in *)&conf.local;

		if (sodium_init() < 0)
			return 0;
		vx0_log_set_level(VX0_LOG_ERR);
		l->sin_family = AF_INET;
		inet_pton(AF_INET, "198.51.100.2", &l->sin_addr);
		conf.ike = (struct vx0_ike_proposal_conf){
			.encr = { VX0_IKE_ENCR_CHACHA20_POLY1305 }, .nencr = 1,
			.prf = { VX0_IKE_PRF_HMAC_SHA2_256 }, .nprf = 1,
			.dh = { 31 }, .ndh = 1,
		};
		conf.peers = &peer;
		conf.npeers = 1;
		conf.cookie_threshold = 8;
		conf.half_open_max = 64;
		ike = vx0_ike_create(&conf, &ops, now);
		if (!ike)
			return 0;
	}
	parse_all(data, size);
	inet_pton(AF_INET, "203.0.113.9", &src.sin_addr);
	dst.sin_addr = ((struct sockaddr_in *)&conf.local)->sin_addr;
	vx0_ike_input(ike, data, size, (struct sockaddr *)&src,
		      (struct sockaddr *)&dst, 500, now);
	now += 100; /* half-open SAs expire as the run goes on */
	vx0_ike_tick(ike, now);
	return 0;
}
