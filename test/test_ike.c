/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/ike: payload codec, key schedule, SK AEAD, proposal selection and
 * traffic selector narrowing. Vectors: RFC 3174 (SHA-1), RFC 7748 §6.1
 * (X25519), and test/ike_vectors.h cross-computed by
 * tools/ike-gen-vectors.py with Python hmac/hashlib and OpenSSL.
 */
#include <errno.h>
#include <stdlib.h>
#include <arpa/inet.h>

#include <sodium.h>

#include "ike_crypto.h"
#include "ike_proposal.h"
#include "ike_sa.h"
#include "ike_ts.h"
#include "ike_vectors.h"
#include "ike_wire.h"
#include "vx0_test.h"

/* ---------------- crypto ---------------- */

static void
test_sha1_rfc3174(void)
{
	/* RFC 3174 §7.3 TEST1 "abc" and TEST2 */
	static const uint8_t abc[20] = {
		0xa9, 0x99, 0x3e, 0x36, 0x47, 0x06, 0x81, 0x6a, 0xba, 0x3e,
		0x25, 0x71, 0x78, 0x50, 0xc2, 0x6c, 0x9c, 0xd0, 0xd8, 0x9d
	};
	static const uint8_t t2[20] = {
		0x84, 0x98, 0x3e, 0x44, 0x1c, 0x3b, 0xd2, 0x6e, 0xba, 0xae,
		0x4a, 0xa1, 0xf9, 0x51, 0x29, 0xe5, 0xe5, 0x46, 0x70, 0xf1
	};
	const char *s2 =
		"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	uint8_t out[20];

	ike_sha1(&(struct ike_iov){ "abc", 3 }, 1, out);
	CHECK_MEM(out, abc, 20);
	/* split across iovs and block boundaries gives the same digest */
	ike_sha1((struct ike_iov[]){ { s2, 10 }, { s2 + 10, strlen(s2) - 10 } },
		 2, out);
	CHECK_MEM(out, t2, 20);
}

static void
test_x25519_rfc7748(void)
{
	/* RFC 7748 §6.1: Alice's secret, Bob's public, shared K */
	static const uint8_t a_sk[32] = {
		0x77, 0x07, 0x6d, 0x0a, 0x73, 0x18, 0xa5, 0x7d, 0x3c, 0x16, 0xc1,
		0x72, 0x51, 0xb2, 0x66, 0x45, 0xdf, 0x4c, 0x2f, 0x87, 0xeb, 0xc0,
		0x99, 0x2a, 0xb1, 0x77, 0xfb, 0xa5, 0x1d, 0xb9, 0x2c, 0x2a
	};
	static const uint8_t b_pk[32] = {
		0xde, 0x9e, 0xdb, 0x7d, 0x7b, 0x7d, 0xc1, 0xb4, 0xd3, 0x5b, 0x61,
		0xc2, 0xec, 0xe4, 0x35, 0x37, 0x3f, 0x83, 0x43, 0xc8, 0x5b, 0x78,
		0x67, 0x4d, 0xad, 0xfc, 0x7e, 0x14, 0x6f, 0x88, 0x2b, 0x4f
	};
	static const uint8_t k[32] = {
		0x4a, 0x5d, 0x9d, 0x5b, 0xa4, 0xce, 0x2d, 0xe1, 0x72, 0x8e, 0x3b,
		0xf4, 0x80, 0x35, 0x0f, 0x25, 0xe0, 0x7e, 0x21, 0xc9, 0x47, 0xd1,
		0x9e, 0x33, 0x76, 0xf0, 0x9b, 0x3c, 0x1e, 0x16, 0x17, 0x42
	};
	uint8_t out[32], zero[32] = { 0 };

	CHECK_MEM(b_pk, v_b_pk, 32);
	CHECK_EQ(ike_x25519(out, a_sk, b_pk), 0);
	CHECK_MEM(out, k, 32);
	CHECK_MEM(out, v_gir, 32);
	/* RFC 8031 §2: an all-zero result (small-order point) is refused */
	CHECK_EQ(ike_x25519(out, a_sk, zero), -EINVAL);
}

static void
test_prf_plus(void)
{
	uint8_t out[130];

	CHECK_EQ(ike_prf_plus(VX0_IKE_PRF_HMAC_SHA2_256,
			      (const uint8_t *)"key", 3,
			      (const uint8_t *)"seed", 4, out, 130), 0);
	CHECK_MEM(out, v256_prfplus_130, 130);
	CHECK_EQ(ike_prf_plus(VX0_IKE_PRF_HMAC_SHA2_512,
			      (const uint8_t *)"key", 3,
			      (const uint8_t *)"seed", 4, out, 130), 0);
	CHECK_MEM(out, v512_prfplus_130, 130);
	/* more than 255 blocks is not defined */
	CHECK_EQ(ike_prf_plus(VX0_IKE_PRF_HMAC_SHA2_256, out, 3, out, 4, out,
			      256 * 32), -EINVAL);
	CHECK_EQ(ike_prf_plus(99, out, 3, out, 4, out, 10), -ENOTSUP);
}

static void
check_schedule(uint16_t prf, const uint8_t *skeyseed_v, const uint8_t *d,
	       const uint8_t *ei, const uint8_t *er, const uint8_t *pi,
	       const uint8_t *pr, const uint8_t *child, const uint8_t *child_pfs,
	       const uint8_t *rekey, const uint8_t *auth)
{
	size_t hl = ike_prf_len(prf);
	uint8_t seed[64], k[64], m[64];
	uint8_t i2r[36], r2i[36];
	struct ike_sk *sk = sodium_malloc(sizeof(*sk));

	CHECK_EQ(ike_skeyseed(prf, v_ni, 32, v_nr, 32, v_gir, 32, NULL, seed),
		 0);
	CHECK_MEM(seed, skeyseed_v, hl);
	CHECK_EQ(ike_derive_sk(prf, seed, v_ni, 32, v_nr, 32, V_SPI_I, V_SPI_R,
			       36, sk), 0);
	CHECK_MEM(sk->d, d, hl);
	CHECK_MEM(sk->ei, ei, 36);
	CHECK_MEM(sk->er, er, 36);
	CHECK_MEM(sk->pi, pi, hl);
	CHECK_MEM(sk->pr, pr, hl);
	CHECK_EQ(ike_derive_child(prf, sk->d, NULL, 0, v_ni, 32, v_nr, 32, 36,
				  i2r, r2i), 0);
	CHECK_MEM(i2r, child, 36);
	CHECK_MEM(r2i, child + 36, 36);
	CHECK_EQ(ike_derive_child(prf, sk->d, v_gir, 32, v_ni, 32, v_nr, 32,
				  36, i2r, r2i), 0);
	CHECK_MEM(i2r, child_pfs, 36);
	CHECK_MEM(r2i, child_pfs + 36, 36);
	CHECK_EQ(ike_skeyseed(prf, v_ni, 32, v_nr, 32, v_gir, 32, sk->d, seed),
		 0);
	CHECK_MEM(seed, rekey, hl);
	/* PSK AUTH = prf(prf(psk, "Key Pad for IKEv2"), octets) (§2.15) */
	ike_prf(prf, v_psk, sizeof(v_psk),
		&(struct ike_iov){ "Key Pad for IKEv2", 17 }, 1, k);
	ike_prf(prf, k, hl, &(struct ike_iov){ v_octets, sizeof(v_octets) },
		1, m);
	CHECK_MEM(m, auth, hl);
	sodium_free(sk);
}

static void
test_key_schedule_sha256(void)
{
	check_schedule(VX0_IKE_PRF_HMAC_SHA2_256, v256_skeyseed, v256_sk_d,
		       v256_sk_ei, v256_sk_er, v256_sk_pi, v256_sk_pr,
		       v256_child, v256_child_pfs, v256_rekey_skeyseed,
		       v256_psk_auth);
}

static void
test_key_schedule_sha512(void)
{
	check_schedule(VX0_IKE_PRF_HMAC_SHA2_512, v512_skeyseed, v512_sk_d,
		       v512_sk_ei, v512_sk_er, v512_sk_pi, v512_sk_pr,
		       v512_child, v512_child_pfs, v512_rekey_skeyseed,
		       v512_psk_auth);
}

static void
check_aead(uint16_t encr, const uint8_t *expect)
{
	uint8_t ct[sizeof(v_sk_pt) + 16], pt[sizeof(v_sk_pt)];
	size_t n = sizeof(v_sk_pt);

	CHECK_EQ(ike_aead_encrypt(encr, v_sk_keysalt, 36, v_sk_iv, v_sk_aad,
				  sizeof(v_sk_aad), v_sk_pt, n, ct), 0);
	CHECK_MEM(ct, expect, n + 16);
	CHECK_EQ(ike_aead_decrypt(encr, v_sk_keysalt, 36, v_sk_iv, v_sk_aad,
				  sizeof(v_sk_aad), expect, n, pt), 0);
	CHECK_MEM(pt, v_sk_pt, n);
	/* flipped ICV bit, flipped AAD bit: refused */
	memcpy(ct, expect, n + 16);
	ct[n + 3] ^= 1;
	CHECK_EQ(ike_aead_decrypt(encr, v_sk_keysalt, 36, v_sk_iv, v_sk_aad,
				  sizeof(v_sk_aad), ct, n, pt), -EBADMSG);
	{
		uint8_t aad[sizeof(v_sk_aad)];

		memcpy(aad, v_sk_aad, sizeof(aad));
		aad[20] ^= 0x80; /* message id */
		CHECK_EQ(ike_aead_decrypt(encr, v_sk_keysalt, 36, v_sk_iv, aad,
					  sizeof(aad), expect, n, pt),
			 -EBADMSG);
	}
	CHECK_EQ(ike_aead_encrypt(encr, v_sk_keysalt, 32, v_sk_iv, v_sk_aad,
				  sizeof(v_sk_aad), v_sk_pt, n, ct), -EINVAL);
}

static void
test_sk_aead_chacha20poly1305(void)
{
	check_aead(VX0_IKE_ENCR_CHACHA20_POLY1305, v_sk_chacha);
}

static void
test_sk_aead_aes256gcm(void)
{
	if (!crypto_aead_aes256gcm_is_available()) {
		printf("# AES-GCM not available on this CPU\n");
		return;
	}
	check_aead(VX0_IKE_ENCR_AES_GCM_16, v_sk_gcm);
}

/* ---------------- codec ---------------- */

static size_t
build_all_payloads(uint8_t *buf, size_t cap)
{
	struct ike_w w;
	struct ike_proposal p = {
		.num = 1, .proto = IKE_PROTO_ESP, .spi_len = 4,
		.spi = { 0xc0, 0x01, 0x02, 0x03 }, .ntrans = 3,
		.t = { { IKE_TRANS_ENCR, VX0_IKE_ENCR_AES_GCM_16, 256 },
		       { IKE_TRANS_DH, VX0_IKE_DH_CURVE25519, 0 },
		       { IKE_TRANS_ESN, 0, 0 } },
	};
	struct ike_ts ts[2] = {
		{ IKE_TS_IPV4_RANGE, 17, 500, 4500, { 198, 51, 100, 1 },
		  { 198, 51, 100, 9 } },
		{ IKE_TS_IPV6_RANGE, 0, 0, 65535, { 0x20, 0x01, 0x0d, 0xb8 },
		  { 0x20, 0x01, 0x0d, 0xb8, [15] = 0xff } },
	};
	uint8_t nonce[32], ke[32], spi[4] = { 1, 2, 3, 4 };
	size_t off;

	memset(nonce, 0xa5, sizeof(nonce));
	memset(ke, 0x5a, sizeof(ke));
	ike_w_init(&w, buf, cap);
	ike_w_hdr(&w, V_SPI_I, V_SPI_R, IKE_EXCH_CREATE_CHILD, IKE_FLAG_I, 7);
	ike_w_sa(&w, &p, 1);
	ike_w_nonce(&w, nonce, sizeof(nonce));
	ike_w_ke(&w, VX0_IKE_DH_CURVE25519, ke, sizeof(ke));
	off = ike_w_pl_begin(&w, IKE_PL_IDI, false);
	ike_w_u32(&w, (uint32_t)VX0_IKE_ID_FQDN << 24);
	ike_w_bytes(&w, "a.vx0", 5);
	ike_w_pl_end(&w, off);
	off = ike_w_pl_begin(&w, IKE_PL_AUTH, false);
	ike_w_u32(&w, (uint32_t)IKE_AUTH_PSK << 24);
	ike_w_bytes(&w, nonce, 32);
	ike_w_pl_end(&w, off);
	ike_w_notify(&w, IKE_PROTO_ESP, spi, 4, IKE_N_REKEY_SA, NULL, 0);
	ike_w_ts(&w, IKE_PL_TSI, ts, 2);
	off = ike_w_pl_begin(&w, IKE_PL_DELETE, false);
	ike_w_u8(&w, IKE_PROTO_ESP);
	ike_w_u8(&w, 4);
	ike_w_u16(&w, 2);
	ike_w_u32(&w, 0x11111111);
	ike_w_u32(&w, 0x22222222);
	ike_w_pl_end(&w, off);
	ike_w_hdr_end(&w);
	CHECK_EQ(w.err, 0);
	return w.len;
}

static void
test_codec_roundtrip(void)
{
	uint8_t buf[1024];
	size_t len = build_all_payloads(buf, sizeof(buf));
	struct ike_hdr h;
	struct ike_pls pls;
	struct ike_proposal props[4];
	struct ike_ke ke;
	struct ike_id id;
	struct ike_auth a;
	struct ike_notify n;
	struct ike_ts ts[4];
	struct ike_delete d;
	int np, nts;
	const struct ike_pl *pl;

	CHECK_EQ(ike_parse_hdr(buf, len, &h), 0);
	CHECK_EQ(h.spi_i, V_SPI_I);
	CHECK_EQ(h.spi_r, V_SPI_R);
	CHECK_EQ(h.exch, IKE_EXCH_CREATE_CHILD);
	CHECK_EQ(h.flags, IKE_FLAG_I);
	CHECK_EQ(h.msgid, 7);
	CHECK_EQ(h.len, len);
	CHECK_EQ(h.np, IKE_PL_SA);
	CHECK_EQ(ike_parse_chain(h.np, buf + 28, len - 28, &pls), 0);
	CHECK_EQ(pls.n, 8);
	pl = ike_pls_find(&pls, IKE_PL_SA);
	CHECK(pl != NULL);
	CHECK_EQ(ike_parse_sa(pl->body, pl->len, props, 4, &np), 0);
	CHECK_EQ(np, 1);
	CHECK_EQ(props[0].proto, IKE_PROTO_ESP);
	CHECK_EQ(props[0].spi_len, 4);
	CHECK_EQ(props[0].spi[0], 0xc0);
	CHECK_EQ(props[0].ntrans, 3);
	CHECK_EQ(props[0].t[0].id, VX0_IKE_ENCR_AES_GCM_16);
	CHECK_EQ(props[0].t[0].keylen, 256);
	CHECK_EQ(props[0].t[1].type, IKE_TRANS_DH);
	CHECK_EQ(props[0].t[1].id, 31);
	pl = ike_pls_find(&pls, IKE_PL_NONCE);
	CHECK_EQ(ike_parse_nonce(pl->body, pl->len), 0);
	CHECK_EQ(pl->len, 32);
	pl = ike_pls_find(&pls, IKE_PL_KE);
	CHECK_EQ(ike_parse_ke(pl->body, pl->len, &ke), 0);
	CHECK_EQ(ke.group, 31);
	CHECK_EQ(ke.len, 32);
	CHECK_EQ(ke.data[0], 0x5a);
	pl = ike_pls_find(&pls, IKE_PL_IDI);
	CHECK_EQ(ike_parse_id(pl->body, pl->len, &id), 0);
	CHECK_EQ(id.type, VX0_IKE_ID_FQDN);
	CHECK_EQ(id.len, 5);
	CHECK_MEM(id.data, "a.vx0", 5);
	pl = ike_pls_find(&pls, IKE_PL_AUTH);
	CHECK_EQ(ike_parse_auth(pl->body, pl->len, &a), 0);
	CHECK_EQ(a.method, IKE_AUTH_PSK);
	CHECK_EQ(a.len, 32);
	CHECK_EQ(ike_pls_notify(&pls, IKE_N_REKEY_SA, &n), 0);
	CHECK_EQ(n.proto, IKE_PROTO_ESP);
	CHECK_EQ(n.spi_len, 4);
	CHECK_EQ(n.spi[3], 4);
	CHECK_EQ(n.len, 0);
	CHECK_EQ(ike_pls_notify(&pls, IKE_N_COOKIE, &n), -ENOENT);
	pl = ike_pls_find(&pls, IKE_PL_TSI);
	CHECK_EQ(ike_parse_ts(pl->body, pl->len, ts, 4, &nts), 0);
	CHECK_EQ(nts, 2);
	CHECK_EQ(ts[0].type, IKE_TS_IPV4_RANGE);
	CHECK_EQ(ts[0].proto, 17);
	CHECK_EQ(ts[0].port_lo, 500);
	CHECK_EQ(ts[0].port_hi, 4500);
	CHECK_EQ(ts[0].hi[3], 9);
	CHECK_EQ(ts[1].type, IKE_TS_IPV6_RANGE);
	CHECK_EQ(ts[1].hi[15], 0xff);
	pl = ike_pls_find(&pls, IKE_PL_DELETE);
	CHECK_EQ(ike_parse_delete(pl->body, pl->len, &d), 0);
	CHECK_EQ(d.proto, IKE_PROTO_ESP);
	CHECK_EQ(d.nspi, 2);
	CHECK_EQ(ike_rd32(d.spis + 4), 0x22222222);
}

static void
test_codec_bad_lengths(void)
{
	uint8_t buf[1024], bad[1024];
	size_t len = build_all_payloads(buf, sizeof(buf));
	struct ike_hdr h;
	struct ike_pls pls;
	int fails = 0;

	/* header: too short, length beyond datagram, below 28, version */
	CHECK_EQ(ike_parse_hdr(buf, 27, &h), -EBADMSG);
	CHECK_EQ(ike_parse_hdr(buf, len - 1, &h), -EBADMSG);
	memcpy(bad, buf, len);
	ike_wr32(bad + 24, 27);
	CHECK_EQ(ike_parse_hdr(bad, len, &h), -EBADMSG);
	memcpy(bad, buf, len);
	bad[17] = 0x10;
	CHECK_EQ(ike_parse_hdr(bad, len, &h), -EPROTONOSUPPORT);
	/* every truncation of the chain is refused */
	for (size_t cut = 1; cut < len - 28; cut++)
		fails += ike_parse_chain(IKE_PL_SA, buf + 28, cut, &pls) != 0;
	CHECK_EQ(fails, (int)(len - 29));
	/* a payload length below 4, and one past the end */
	memcpy(bad, buf, len);
	bad[28 + 2] = 0, bad[28 + 3] = 3;
	CHECK_EQ(ike_parse_chain(IKE_PL_SA, bad + 28, len - 28, &pls),
		 -EBADMSG);
	bad[28 + 2] = 0x10, bad[28 + 3] = 0;
	CHECK_EQ(ike_parse_chain(IKE_PL_SA, bad + 28, len - 28, &pls),
		 -EBADMSG);
	/* trailing bytes after the last payload */
	CHECK_EQ(ike_parse_chain(IKE_PL_SA, buf + 28, len - 28 + 0, &pls), 0);
	memcpy(bad, buf, len);
	bad[len] = 0;
	CHECK_EQ(ike_parse_chain(IKE_PL_SA, bad + 28, len - 28 + 1, &pls),
		 -EBADMSG);
	/* an SK payload must be last */
	{
		uint8_t sk[16] = { IKE_PL_NONCE, 0, 0, 8, 1, 2, 3, 4,
				   0, 0, 0, 8, 1, 2, 3, 4 };

		CHECK_EQ(ike_parse_chain(IKE_PL_SK, sk, 16, &pls), -EBADMSG);
		CHECK_EQ(ike_parse_chain(IKE_PL_SK, sk, 8, &pls), 0);
		CHECK_EQ(pls.n, 1);
	}
}

static void
test_codec_bad_payloads(void)
{
	struct ike_proposal props[4];
	struct ike_notify n;
	struct ike_ke ke;
	struct ike_id id;
	struct ike_auth a;
	struct ike_ts ts[4];
	struct ike_delete d;
	struct ike_skf f;
	int np, nts;
	/* proposal: last, len 20, num 1, ESP, spi 0, 1 transform (len 12) */
	uint8_t sa[20] = { 0, 0, 0, 20, 1, 3, 0, 1,
			   0, 0, 0, 12, 1, 0, 0, 20, 0x80, 14, 1, 0 };
	uint8_t b[64];

	CHECK_EQ(ike_parse_sa(sa, 20, props, 4, &np), 0);
	CHECK_EQ(props[0].t[0].keylen, 256);
	for (size_t cut = 0; cut < 20; cut++)
		CHECK_EQ(ike_parse_sa(sa, cut, props, 4, &np) != 0, 1);
	memcpy(b, sa, 20);
	b[0] = 1; /* neither last (0) nor more (2) */
	CHECK_EQ(ike_parse_sa(b, 20, props, 4, &np), -EBADMSG);
	memcpy(b, sa, 20);
	b[7] = 2; /* says two transforms, has one */
	CHECK_EQ(ike_parse_sa(b, 20, props, 4, &np), -EBADMSG);
	memcpy(b, sa, 20);
	b[11] = 13; /* transform longer than the proposal */
	CHECK_EQ(ike_parse_sa(b, 20, props, 4, &np), -EBADMSG);
	memcpy(b, sa, 20);
	b[11] = 7; /* transform shorter than its header */
	CHECK_EQ(ike_parse_sa(b, 20, props, 4, &np), -EBADMSG);
	memcpy(b, sa, 20);
	b[6] = 9; /* SPI size beyond the proposal */
	CHECK_EQ(ike_parse_sa(b, 20, props, 4, &np), -EBADMSG);
	memcpy(b, sa, 20);
	b[16] = 0x00, b[17] = 14, b[18] = 0, b[19] = 9; /* TLV past end */
	CHECK_EQ(ike_parse_sa(b, 20, props, 4, &np), -EBADMSG);
	memcpy(b, sa, 20);
	b[8] = 3; /* transform says "more" but none follows */
	CHECK_EQ(ike_parse_sa(b, 20, props, 4, &np), -EBADMSG);

	CHECK_EQ(ike_parse_notify((const uint8_t *)"\x00\x05\x40\x00", 4, &n),
		 -EBADMSG); /* SPI size 5 > 0 bytes left */
	CHECK_EQ(ike_parse_notify(b, 3, &n), -EBADMSG);
	CHECK_EQ(ike_parse_ke(b, 3, &ke), -EBADMSG);
	CHECK_EQ(ike_parse_id(b, 4, &id), -EBADMSG);
	CHECK_EQ(ike_parse_auth(b, 4, &a), -EBADMSG);
	CHECK_EQ(ike_parse_nonce(b, 15), -EBADMSG);
	CHECK_EQ(ike_parse_nonce(b, 16), 0);
	CHECK_EQ(ike_parse_nonce(b, 257), -EBADMSG);
	/* TS: count 0, truncated selector, wrong selector length */
	{
		uint8_t t[20] = { 1, 0, 0, 0, IKE_TS_IPV4_RANGE, 0, 0, 16,
				  0, 0, 0xff, 0xff, 1, 2, 3, 4, 5, 6, 7, 8 };

		CHECK_EQ(ike_parse_ts(t, 20, ts, 4, &nts), 0);
		CHECK_EQ(nts, 1);
		CHECK_EQ(ike_parse_ts(t, 19, ts, 4, &nts), -EBADMSG);
		t[0] = 0;
		CHECK_EQ(ike_parse_ts(t, 20, ts, 4, &nts), -EBADMSG);
		t[0] = 2;
		CHECK_EQ(ike_parse_ts(t, 20, ts, 4, &nts), -EBADMSG);
		t[0] = 1, t[7] = 40;
		CHECK_EQ(ike_parse_ts(t, 20, ts, 4, &nts), -EBADMSG);
		t[7] = 15;
		CHECK_EQ(ike_parse_ts(t, 20, ts, 4, &nts), -EBADMSG);
		CHECK_EQ(ike_parse_ts(t, 3, ts, 4, &nts), -EBADMSG);
	}
	/* delete: SPI count vs length, IKE delete with SPIs */
	{
		uint8_t dl[12] = { IKE_PROTO_ESP, 4, 0, 2, 1, 2, 3, 4, 5, 6, 7, 8 };

		CHECK_EQ(ike_parse_delete(dl, 12, &d), 0);
		CHECK_EQ(ike_parse_delete(dl, 11, &d), -EBADMSG);
		dl[3] = 3;
		CHECK_EQ(ike_parse_delete(dl, 12, &d), -EBADMSG);
		dl[0] = IKE_PROTO_IKE;
		CHECK_EQ(ike_parse_delete(dl, 12, &d), -EBADMSG);
		CHECK_EQ(ike_parse_delete(dl, 3, &d), -EBADMSG);
	}
	/* SKF: fragment number 0 or above the total */
	{
		uint8_t sf[6] = { 0, 1, 0, 2, 9, 9 };

		CHECK_EQ(ike_parse_skf(sf, 6, &f), 0);
		CHECK_EQ(f.total, 2);
		sf[1] = 3;
		CHECK_EQ(ike_parse_skf(sf, 6, &f), -EBADMSG);
		sf[1] = 0;
		CHECK_EQ(ike_parse_skf(sf, 6, &f), -EBADMSG);
		CHECK_EQ(ike_parse_skf(sf, 3, &f), -EBADMSG);
	}
}

static void
test_writer_overflow(void)
{
	uint8_t buf[40];
	struct ike_w w;
	uint8_t n[32] = { 0 };

	ike_w_init(&w, buf, sizeof(buf));
	ike_w_hdr(&w, 1, 2, IKE_EXCH_SA_INIT, IKE_FLAG_I, 0);
	ike_w_nonce(&w, n, sizeof(n));
	CHECK_EQ(w.err, -EMSGSIZE);
	CHECK(w.len <= sizeof(buf));
}

/* ---------------- proposals ---------------- */

static struct vx0_ike_proposal_conf
ike_conf_both(void)
{
	return (struct vx0_ike_proposal_conf){
		.encr = { VX0_IKE_ENCR_CHACHA20_POLY1305, VX0_IKE_ENCR_AES_GCM_16 },
		.nencr = 2,
		.prf = { VX0_IKE_PRF_HMAC_SHA2_512, VX0_IKE_PRF_HMAC_SHA2_256 },
		.nprf = 2,
		.dh = { VX0_IKE_DH_CURVE25519 },
		.ndh = 1,
	};
}

static void
test_proposal_strongest(void)
{
	struct vx0_ike_proposal_conf pc = ike_conf_both();
	struct ike_proposal offers[3] = {
		{ .num = 1, .proto = IKE_PROTO_IKE, .ntrans = 3,
		  .t = { { IKE_TRANS_ENCR, VX0_IKE_ENCR_AES_GCM_16, 256 },
			 { IKE_TRANS_PRF, VX0_IKE_PRF_HMAC_SHA2_256, 0 },
			 { IKE_TRANS_DH, 31, 0 } } },
		{ .num = 2, .proto = IKE_PROTO_IKE, .ntrans = 5,
		  .t = { { IKE_TRANS_ENCR, 12, 256 }, /* AES-CBC: not ours */
			 { IKE_TRANS_ENCR, VX0_IKE_ENCR_CHACHA20_POLY1305, 0 },
			 { IKE_TRANS_PRF, VX0_IKE_PRF_HMAC_SHA2_256, 0 },
			 { IKE_TRANS_PRF, VX0_IKE_PRF_HMAC_SHA2_512, 0 },
			 { IKE_TRANS_DH, 31, 0 } } },
		{ .num = 3, .proto = IKE_PROTO_IKE, .ntrans = 3,
		  .t = { { IKE_TRANS_ENCR, VX0_IKE_ENCR_AES_GCM_16, 128 },
			 { IKE_TRANS_PRF, VX0_IKE_PRF_HMAC_SHA2_512, 0 },
			 { IKE_TRANS_DH, 31, 0 } } },
	};
	struct ike_choice c;

	CHECK_EQ(ike_prop_select(&pc, IKE_PROTO_IKE, IKE_DH_REQUIRED, offers, 3,
				 &c), 0);
	CHECK_EQ(c.num, 2);
	CHECK_EQ(c.encr, VX0_IKE_ENCR_CHACHA20_POLY1305);
	CHECK_EQ(c.prf, VX0_IKE_PRF_HMAC_SHA2_512);
	CHECK_EQ(c.dh, 31);
	/* only the first proposal: AES-GCM-256 / SHA-256 */
	CHECK_EQ(ike_prop_select(&pc, IKE_PROTO_IKE, IKE_DH_REQUIRED, offers, 1,
				 &c), 0);
	CHECK_EQ(c.encr, VX0_IKE_ENCR_AES_GCM_16);
	CHECK_EQ(c.keybits, 256);
	CHECK_EQ(c.prf, VX0_IKE_PRF_HMAC_SHA2_256);
	/* AES-GCM-128 is weaker than the config allows: refused */
	CHECK_EQ(ike_prop_select(&pc, IKE_PROTO_IKE, IKE_DH_REQUIRED,
				 &offers[2], 1, &c), -ENOENT);
}

static void
test_proposal_refusals(void)
{
	struct vx0_ike_proposal_conf pc = ike_conf_both();
	struct ike_proposal p = {
		.num = 1, .proto = IKE_PROTO_IKE, .ntrans = 4,
		.t = { { IKE_TRANS_ENCR, VX0_IKE_ENCR_CHACHA20_POLY1305, 0 },
		       { IKE_TRANS_PRF, VX0_IKE_PRF_HMAC_SHA2_256, 0 },
		       { IKE_TRANS_DH, 31, 0 },
		       { IKE_TRANS_INTEG, 12, 0 } },
	};
	struct ike_choice c;

	/* an integrity algorithm with an AEAD: refused */
	CHECK_EQ(ike_prop_select(&pc, IKE_PROTO_IKE, IKE_DH_REQUIRED, &p, 1,
				 &c), -ENOENT);
	p.t[3] = (struct ike_transform){ 9, 1, 0 }; /* unknown type */
	CHECK_EQ(ike_prop_select(&pc, IKE_PROTO_IKE, IKE_DH_REQUIRED, &p, 1,
				 &c), -ENOENT);
	p.ntrans = 3;
	p.t[2].id = 19; /* ECP-256 only */
	CHECK_EQ(ike_prop_select(&pc, IKE_PROTO_IKE, IKE_DH_REQUIRED, &p, 1,
				 &c), -ENOENT);
	p.t[2].id = 31;
	p.t[1].id = 2; /* HMAC-SHA1 */
	CHECK_EQ(ike_prop_select(&pc, IKE_PROTO_IKE, IKE_DH_REQUIRED, &p, 1,
				 &c), -ENOENT);
	p.t[1].id = VX0_IKE_PRF_HMAC_SHA2_256;
	p.proto = IKE_PROTO_ESP; /* wrong protocol */
	CHECK_EQ(ike_prop_select(&pc, IKE_PROTO_IKE, IKE_DH_REQUIRED, &p, 1,
				 &c), -ENOENT);
}

static void
test_proposal_esp_pfs(void)
{
	struct vx0_ike_proposal_conf pfs = {
		.encr = { VX0_IKE_ENCR_AES_GCM_16 }, .nencr = 1,
		.dh = { 31 }, .ndh = 1,
	};
	struct vx0_ike_proposal_conf nopfs = pfs;
	struct ike_proposal p = {
		.num = 1, .proto = IKE_PROTO_ESP, .spi_len = 4,
		.spi = { 0, 0, 1, 0 }, .ntrans = 3,
		.t = { { IKE_TRANS_ENCR, VX0_IKE_ENCR_AES_GCM_16, 256 },
		       { IKE_TRANS_ESN, 0, 0 },
		       { IKE_TRANS_ESN, 1, 0 } },
	};
	struct ike_proposal built;
	struct ike_choice c;
	uint8_t spi[4] = { 9, 9, 9, 9 };

	nopfs.ndh = 0;
	/* IKE_AUTH: no KE, DH ignored; ESN preferred */
	CHECK_EQ(ike_prop_select(&pfs, IKE_PROTO_ESP, IKE_DH_IGNORE, &p, 1, &c),
		 0);
	CHECK_EQ(c.dh, 0);
	CHECK_EQ(c.esn, 1);
	CHECK_EQ(ike_rd32(c.spi), 256);
	/* CREATE_CHILD_SA without KE: refused when PFS is required */
	CHECK_EQ(ike_prop_select(&pfs, IKE_PROTO_ESP, IKE_DH_CHILD_NOKE, &p, 1,
				 &c), -ENOENT);
	CHECK_EQ(ike_prop_select(&nopfs, IKE_PROTO_ESP, IKE_DH_CHILD_NOKE, &p,
				 1, &c), 0);
	p.t[p.ntrans++] = (struct ike_transform){ IKE_TRANS_DH, 31, 0 };
	CHECK_EQ(ike_prop_select(&pfs, IKE_PROTO_ESP, IKE_DH_CHILD, &p, 1, &c),
		 0);
	CHECK_EQ(c.dh, 31);
	/* PFS offered though not required: accepted */
	CHECK_EQ(ike_prop_select(&nopfs, IKE_PROTO_ESP, IKE_DH_CHILD, &p, 1,
				 &c), 0);
	CHECK_EQ(c.dh, 31);
	/* our own proposal carries what the config says */
	ike_prop_build(&pfs, IKE_PROTO_ESP, spi, 4, IKE_DH_CHILD, &built);
	CHECK_EQ(built.ntrans, 4); /* ENCR, DH, ESN 1, ESN 0 */
	CHECK_EQ(built.t[1].type, IKE_TRANS_DH);
	ike_prop_build(&pfs, IKE_PROTO_ESP, spi, 4, IKE_DH_IGNORE, &built);
	CHECK_EQ(built.ntrans, 3);
	ike_prop_from_choice(&c, IKE_PROTO_ESP, spi, 4, &built);
	CHECK_EQ(built.ntrans, 3);
	CHECK_EQ(built.spi[0], 9);
}

/* ---------------- traffic selectors ---------------- */

static void
test_ts_narrowing(void)
{
	struct vx0_ike_ts conf[1] = { { .family = AF_INET, .proto = 0,
					.port_lo = 0, .port_hi = 65535,
					.lo = { 198, 51, 100, 0 },
					.hi = { 198, 51, 100, 127 } } };
	struct ike_ts offer[2] = {
		{ IKE_TS_IPV4_RANGE, 6, 80, 80, { 0, 0, 0, 0 },
		  { 255, 255, 255, 255 } },
		{ IKE_TS_IPV6_RANGE, 0, 0, 65535, { 0 }, { 0xff } },
	};
	struct ike_ts out[4];
	int n;

	n = ike_ts_narrow(offer, 2, conf, 1, out, 4);
	CHECK_EQ(n, 1);
	CHECK_EQ(out[0].proto, 6);
	CHECK_EQ(out[0].port_lo, 80);
	CHECK_EQ(out[0].lo[2], 100);
	CHECK_EQ(out[0].lo[3], 0);
	CHECK_EQ(out[0].hi[3], 127);
	/* disjoint ranges and protocols: nothing */
	offer[0].lo[0] = 203, offer[0].hi[0] = 203;
	CHECK_EQ(ike_ts_narrow(offer, 1, conf, 1, out, 4), 0);
	conf[0].proto = 17;
	offer[0].lo[0] = 0, offer[0].hi[0] = 255;
	CHECK_EQ(ike_ts_narrow(offer, 1, conf, 1, out, 4), 0);
}

/* ---------------- lookup tables ---------------- */

static void
test_tables(void)
{
	static struct vx0_ike ike;
	enum { N = 3000 };
	struct ike_sa *sa = calloc(N, sizeof(*sa));
	uint32_t pos;
	int found = 0, bad = 0;
	uint64_t last = 0;

	CHECK_EQ(ike_tab_init(&ike), 0);
	for (int i = 0; i < N; i++) {
		/* every tenth SPIi repeats: responders see colliding SPIs */
		sa[i].spi_i = i % 10 == 9 ? sa[i - 1].spi_i
					  : 0x9e3779b97f4a7c15ull * (i + 1);
		sa[i].spi_r = (uint64_t)i;
		sa[i].heap_idx = UINT32_MAX;
		CHECK_EQ(ike_ht_insert(&ike, &sa[i]), 0);
		CHECK_EQ(ike_heap_set(&ike, &sa[i], 1000 + (uint64_t)((i * 7919) % N)), 0);
		CHECK_EQ(ike_spi_add(&ike, 256 + (uint32_t)i * 3), 0);
	}
	for (int i = 0; i < N; i++) {
		struct ike_sa *s;
		bool hit = false;

		pos = UINT32_MAX;
		while ((s = ike_ht_next(&ike, sa[i].spi_i, &pos))) {
			bad += s->spi_i != sa[i].spi_i;
			hit |= s == &sa[i];
		}
		found += hit;
	}
	CHECK_EQ(found, N);
	CHECK_EQ(bad, 0);
	/* remove the even ones everywhere */
	for (int i = 0; i < N; i += 2) {
		ike_ht_remove(&ike, &sa[i]);
		ike_heap_set(&ike, &sa[i], UINT64_MAX);
		ike_spi_del(&ike, 256 + (uint32_t)i * 3);
	}
	found = 0;
	for (int i = 0; i < N; i++) {
		struct ike_sa *s;
		bool hit = false;

		pos = UINT32_MAX;
		while ((s = ike_ht_next(&ike, sa[i].spi_i, &pos)))
			hit |= s == &sa[i];
		found += hit == (i % 2 == 1);
		CHECK_EQ(ike_spi_has(&ike, 256 + (uint32_t)i * 3), i % 2 == 1);
	}
	CHECK_EQ(found, N);
	CHECK(!ike_spi_has(&ike, 255));
	CHECK_EQ(ike_spi_add(&ike, 1), -EINVAL);
	/* the heap gives the odd ones back in deadline order */
	CHECK_EQ(ike.heap_len, N / 2);
	for (int i = 0; i < N / 2; i++) {
		struct ike_sa *t = ike_heap_top(&ike);

		CHECK(t != NULL && t->next_at >= last);
		CHECK(t != NULL && (t - sa) % 2 == 1);
		if (!t)
			break;
		last = t->next_at;
		ike_heap_set(&ike, t, UINT64_MAX);
	}
	CHECK(ike_heap_top(&ike) == NULL);
	ike_tab_fini(&ike);
	free(sa);
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	VX0_RUN(test_sha1_rfc3174);
	VX0_RUN(test_x25519_rfc7748);
	VX0_RUN(test_prf_plus);
	VX0_RUN(test_key_schedule_sha256);
	VX0_RUN(test_key_schedule_sha512);
	VX0_RUN(test_sk_aead_chacha20poly1305);
	VX0_RUN(test_sk_aead_aes256gcm);
	VX0_RUN(test_codec_roundtrip);
	VX0_RUN(test_codec_bad_lengths);
	VX0_RUN(test_codec_bad_payloads);
	VX0_RUN(test_writer_overflow);
	VX0_RUN(test_proposal_strongest);
	VX0_RUN(test_proposal_refusals);
	VX0_RUN(test_proposal_esp_pfs);
	VX0_RUN(test_ts_narrowing);
	VX0_RUN(test_tables);
	return vx0_test_done();
}
