/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target for lib/ike's encrypted exchanges: two cores complete a
 * handshake; then each input becomes the plaintext of a correctly sealed
 * request from the initiator to the responder, so the mutations reach the
 * CREATE_CHILD_SA, INFORMATIONAL and IKE_AUTH handlers behind the AEAD.
 * Input: byte 0 picks the exchange (34 + n % 4), byte 1 is the first
 * inner payload type, the rest the inner payload chain.
 * The SK_ei key comes from the core's debug_keys UAT line.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <sodium.h>

#include "ike_crypto.h"
#include "ike_wire.h"
#include "vx0_ike.h"
#include "vx0_log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct side {
	struct vx0_ike *ike;
	struct vx0_ike_conf conf;
	struct vx0_ike_peer_conf peer;
	uint8_t q[8][4096];
	size_t qlen[8];
	int n;
	char ei[80];
	uint16_t encr;
};

static struct side A, B;
static uint8_t psk[32];
static uint64_t now = 1000;
static uint32_t next_id;
static uint64_t iv_ctr = 1u << 30; /* apart from the core's own counter */

static void
q_send(void *arg, uint16_t lport, const struct sockaddr *dst, socklen_t dl,
       const uint8_t *buf, size_t len)
{
	struct side *s = arg;

	(void)lport, (void)dst, (void)dl;
	if (s->n < 8 && len <= sizeof(s->q[0])) {
		memcpy(s->q[s->n], buf, len);
		s->qlen[s->n++] = len;
	}
}

static void
q_event(void *arg, const struct vx0_ike_event *ev)
{
	struct side *s = arg;

	/* ikev2_decryption_table:SPIi,SPIr,SK_ei,... */
	if (ev->type == VX0_IKE_EV_DEBUG_KEYS &&
	    !strncmp(ev->text, "ikev2_decryption_table:", 23)) {
		const char *p = ev->text + 23 + 34;

		memcpy(s->ei, p, 72);
		s->ei[72] = 0;
		s->encr = ev->encr;
	}
}

static void
setup(struct side *s, const char *me, const char *other, const char *id,
      const char *pid)
{
	static const struct vx0_ike_ops tmpl;
	struct vx0_ike_ops ops = tmpl;
	struct sockaddr_in *l = (struct sockaddr_in *)&s->conf.local;
	struct sockaddr_in *r = (struct sockaddr_in *)&s->peer.addr;

	l->sin_family = r->sin_family = AF_INET;
	inet_pton(AF_INET, me, &l->sin_addr);
	inet_pton(AF_INET, other, &r->sin_addr);
	s->conf.ike = (struct vx0_ike_proposal_conf){
		.encr = { VX0_IKE_ENCR_CHACHA20_POLY1305 }, .nencr = 1,
		.prf = { VX0_IKE_PRF_HMAC_SHA2_256 }, .nprf = 1,
		.dh = { 31 }, .ndh = 1,
	};
	s->conf.peers = &s->peer;
	s->conf.npeers = 1;
	s->conf.debug_keys = true;
	s->peer.local_id_type = s->peer.remote_id_type = VX0_IKE_ID_FQDN;
	s->peer.local_id_len = strlen(id);
	memcpy(s->peer.local_id, id, s->peer.local_id_len);
	s->peer.remote_id_len = strlen(pid);
	memcpy(s->peer.remote_id, pid, s->peer.remote_id_len);
	s->peer.auth = VX0_IKE_AUTH_PSK;
	s->peer.psk = psk;
	s->peer.psk_len = sizeof(psk);
	s->peer.esp = (struct vx0_ike_proposal_conf){
		.encr = { VX0_IKE_ENCR_CHACHA20_POLY1305 }, .nencr = 1,
	};
	s->peer.local_ts[0] = (struct vx0_ike_ts){ .family = AF_INET,
						   .port_hi = 65535,
						   .hi = { 255, 255, 255, 255 } };
	s->peer.remote_ts[0] = s->peer.local_ts[0];
	s->peer.nlocal_ts = s->peer.nremote_ts = 1;
	ops.send = q_send;
	ops.event = q_event;
	ops.arg = s;
	s->ike = vx0_ike_create(&s->conf, &ops, now);
}

static void
pump(void)
{
	for (int round = 0; round < 16 && (A.n || B.n); round++) {
		for (int k = 0; k < A.n; k++)
			vx0_ike_input(B.ike, A.q[k], A.qlen[k],
				      (struct sockaddr *)&A.conf.local,
				      (struct sockaddr *)&B.conf.local, 500,
				      now);
		A.n = 0;
		for (int k = 0; k < B.n; k++)
			vx0_ike_input(A.ike, B.q[k], B.qlen[k],
				      (struct sockaddr *)&B.conf.local,
				      (struct sockaddr *)&A.conf.local, 500,
				      now);
		B.n = 0;
	}
}

static int
handshake(void)
{
	vx0_ike_destroy(A.ike);
	vx0_ike_destroy(B.ike);
	memset(&A, 0, sizeof(A));
	memset(&B, 0, sizeof(B));
	setup(&A, "198.51.100.1", "198.51.100.2", "a.vx0", "b.vx0");
	setup(&B, "198.51.100.2", "198.51.100.1", "b.vx0", "a.vx0");
	if (!A.ike || !B.ike)
		return -1;
	vx0_ike_initiate(A.ike, 0, now);
	pump();
	next_id = 2; /* after IKE_SA_INIT (0) and IKE_AUTH (1) */
	return vx0_ike_established(B.ike, 0, NULL, NULL) ? 0 : -1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready, resync;
	static uint64_t last_i, last_r;
	struct vx0_ike_stats st0, st1;
	uint64_t spi_i, spi_r;
	uint8_t key[36], iv[8], msg[4096];
	struct ike_w w;
	size_t sk_off, ct_off;

	if (!ready) {
		if (sodium_init() < 0)
			return 0;
		vx0_log_set_level(VX0_LOG_ERR);
		memset(psk, 0x5c, sizeof(psk));
		ready = true;
	}
	if (!B.ike || resync || !vx0_ike_established(B.ike, 0, &spi_i, &spi_r)) {
		resync = false;
		if (handshake())
			return 0;
		vx0_ike_established(B.ike, 0, &spi_i, &spi_r);
	}
	if (spi_i != last_i || spi_r != last_r) {
		/* an IKE SA rekey: the new SA starts at message id 0 and the
		 * fuzzer keeps talking on it with the old key, which B refuses
		 * (bad ICV); start over for a clean state instead */
		if (last_i && handshake() == 0)
			vx0_ike_established(B.ike, 0, &spi_i, &spi_r);
		last_i = spi_i;
		last_r = spi_r;
	}
	if (size < 2 || size > 3000 || sodium_hex2bin(key, 36, A.ei, 72, NULL,
						     NULL, NULL))
		return 0;
	/* a sealed request from the initiator with the next message id */
	ike_w_init(&w, msg, sizeof(msg));
	ike_w_hdr(&w, spi_i, spi_r, (uint8_t)(34 + data[0] % 4), IKE_FLAG_I,
		  next_id);
	sk_off = ike_w_pl_begin(&w, IKE_PL_SK, false);
	w.p[sk_off] = data[1];
	ike_wr64(iv, iv_ctr++);
	ike_w_bytes(&w, iv, 8);
	ct_off = w.len;
	ike_w_bytes(&w, data + 2, size - 2);
	ike_w_u8(&w, 0);
	w.len += IKE_AEAD_ICV;
	ike_w_pl_end(&w, sk_off);
	ike_w_hdr_end(&w);
	if (w.err || w.len > sizeof(msg))
		return 0;
	ike_aead_encrypt(A.encr ? A.encr : VX0_IKE_ENCR_CHACHA20_POLY1305, key,
			 36, iv, msg, ct_off - 8, msg + ct_off, size - 2 + 1,
			 msg + ct_off);
	sodium_memzero(key, sizeof(key));
	B.n = 0;
	vx0_ike_get_stats(B.ike, &st0);
	vx0_ike_input(B.ike, msg, w.len, (struct sockaddr *)&A.conf.local,
		      (struct sockaddr *)&B.conf.local, 500, now);
	vx0_ike_get_stats(B.ike, &st1);
	if (B.n)
		next_id++; /* B answered: the window moved */
	/* every request in the window must be answered: a silent drop of a
	 * well-sealed, well-formed request would desynchronise the ids */
	if (st1.rx_bad_msgid != st0.rx_bad_msgid)
		abort();
	if (!B.n && st1.rx_malformed == st0.rx_malformed)
		resync = true; /* e.g. the IKE SA was deleted */
	B.n = 0;
	now += 50;
	vx0_ike_tick(B.ike, now);
	B.n = 0;
	return 0;
}
