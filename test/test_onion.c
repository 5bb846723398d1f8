/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/onion crypto: HKDF against RFC 5869 appendix A, ntor and the per-hop
 * layers against the known-answer vectors of doc/onion.md section 11
 * (produced by the independent tools/onion_ref.py), and the layers'
 * integrity and anti-replay behaviour.
 */
#include <errno.h>
#include <stdlib.h>

#include <sodium.h>

#include "vx0_onion.h"
#include "vx0_test.h"

static size_t
unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;

	while (s[0] && s[1] && n < cap) {
		unsigned int v;

		sscanf(s, "%2x", &v);
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

static void
seq_bytes(uint8_t *p, uint8_t start, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(start + i);
}

static int
sha_eq(const uint8_t *p, size_t n, const char *hex)
{
	uint8_t d[32], want[32];

	crypto_hash_sha256(d, p, n);
	unhex(hex, want, 32);
	return memcmp(d, want, 32) == 0;
}

/* RFC 5869 appendix A, test cases 1, 2 and 3 (SHA-256). */
static void
test_hkdf_rfc5869(void)
{
	static const struct {
		const char *ikm, *salt, *info, *prk, *okm;
	} v[] = {
		{ "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "000102030405060708090a0b0c",
		  "f0f1f2f3f4f5f6f7f8f9",
		  "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5",
		  "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
		  "34007208d5b887185865" },
		{ "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
		  "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
		  "404142434445464748494a4b4c4d4e4f",
		  "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
		  "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
		  "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf",
		  "b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecf"
		  "d0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeef"
		  "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
		  "06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244",
		  "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
		  "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
		  "cc30c58179ec3e87c14c01d5c1f3434f1d87" },
		{ "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "", "",
		  "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04",
		  "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
		  "9d201395faa4b61a96c8" },
	};
	unsigned int i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint8_t ikm[128], salt[128], info[128], prk[32], want_prk[32], okm[128], want[128];
		size_t il = unhex(v[i].ikm, ikm, sizeof(ikm)), sl = unhex(v[i].salt, salt, sizeof(salt));
		size_t fl = unhex(v[i].info, info, sizeof(info)), ol = unhex(v[i].okm, want, sizeof(want));

		unhex(v[i].prk, want_prk, 32);
		vx0_onion_hkdf_extract(prk, sl ? salt : NULL, sl, ikm, il);
		CHECK_MEM(prk, want_prk, 32);
		CHECK_EQ(vx0_onion_hkdf_expand(okm, ol, prk, info, fl), 0);
		CHECK_MEM(okm, want, ol);
	}
	{
		uint8_t prk[32] = { 0 }, big[1];

		CHECK_EQ(vx0_onion_hkdf_expand(big, 255 * 32 + 1, prk, NULL, 0), -EINVAL);
	}
}

/* doc/onion.md 11.2 */
#define NTOR_CLIENT "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf" \
	"07a37cbc142093c8b755dc1b10e86cb426374ad16aa853ed0bdfc0b2b86d1c7c" \
	"5869aff450549732cbaaed5e5df9b30a6da31cb0e5742bad5ad4a1a768f1a67b"
#define NTOR_SERVER "64b101b1d0be5a8704bd078f9895001fc03e8e9f9522f188dd128d9846d48466" \
	"636484baeff2d705243a666a2279faa2c126e982cb5425d3b81e1839a1cfc3f9"
#define NTOR_OKM "d5e21669d6ca6e85482a3d931bfaf39877780fdd5f23497fdce893d2c1f63a80" \
	"db3a29324d2db53c68c5569d85e765e9922801fd50c3b997976a55431473d4a7" \
	"e02fdcff9c6daf9f54889b01386fe14e73f4fdc9f2c63e785078ec01291b58e5" \
	"76b60a898647d3e2bfdcc3b96a3e5f24072d7f284e3b2b28"

static void
ntor_inputs(uint8_t id[32], uint8_t b[32], uint8_t B[32], uint8_t x[32], uint8_t y[32])
{
	seq_bytes(id, 0xa0, 32);
	seq_bytes(b, 0x01, 32);
	seq_bytes(x, 0x21, 32);
	seq_bytes(y, 0x41, 32);
	crypto_scalarmult_base(B, b);
}

static void
test_ntor_vector(void)
{
	uint8_t id[32], b[32], B[32], x[32], y[32], want_B[32];
	uint8_t chs[96], shs[64], w_c[96], w_s[64];
	uint8_t okc[VX0_ONION_KDF_LEN], oks[VX0_ONION_KDF_LEN], w_okm[VX0_ONION_KDF_LEN];
	struct vx0_onion_ntor_client st;

	ntor_inputs(id, b, B, x, y);
	unhex("07a37cbc142093c8b755dc1b10e86cb426374ad16aa853ed0bdfc0b2b86d1c7c", want_B, 32);
	CHECK_MEM(B, want_B, 32);
	unhex(NTOR_CLIENT, w_c, 96);
	unhex(NTOR_SERVER, w_s, 64);
	CHECK_EQ(unhex(NTOR_OKM, w_okm, sizeof(w_okm)), VX0_ONION_KDF_LEN);

	CHECK_EQ(vx0_onion_ntor_client_start(&st, id, B, x, chs), 0);
	CHECK_MEM(chs, w_c, 96);
	CHECK_EQ(vx0_onion_ntor_server(id, b, B, chs, y, shs, oks), 0);
	CHECK_MEM(shs, w_s, 64);
	CHECK_MEM(oks, w_okm, VX0_ONION_KDF_LEN);
	CHECK_EQ(vx0_onion_ntor_client_finish(&st, shs, okc), 0);
	CHECK_MEM(okc, w_okm, VX0_ONION_KDF_LEN);
}

static void
test_ntor_rejects(void)
{
	uint8_t id[32], b[32], B[32], x[32], y[32], chs[96], shs[64], okm[VX0_ONION_KDF_LEN], bad[96];
	struct vx0_onion_ntor_client st;
	int i;

	ntor_inputs(id, b, B, x, y);
	/* a flipped bit anywhere in Y|AUTH fails the client's AUTH check */
	for (i = 0; i < 64; i += 7) {
		vx0_onion_ntor_client_start(&st, id, B, x, chs);
		vx0_onion_ntor_server(id, b, B, chs, y, shs, okm);
		shs[i] ^= 0x10;
		CHECK_EQ(vx0_onion_ntor_client_finish(&st, shs, okm), -EBADMSG);
	}
	/* the wrong relay identity or a stale onion key: refused, no DH */
	vx0_onion_ntor_client_start(&st, id, B, x, chs);
	memcpy(bad, chs, 96);
	bad[0] ^= 1;
	CHECK_EQ(vx0_onion_ntor_server(id, b, B, bad, y, shs, okm), -EACCES);
	memcpy(bad, chs, 96);
	bad[40] ^= 1;
	CHECK_EQ(vx0_onion_ntor_server(id, b, B, bad, y, shs, okm), -EACCES);
	/* a low-order X (here 0) makes an all-zero DH result: rejected */
	memcpy(bad, chs, 96);
	memset(bad + 64, 0, 32);
	CHECK_EQ(vx0_onion_ntor_server(id, b, B, bad, y, shs, okm), -EBADMSG);
	/* and a low-order Y on the client side */
	vx0_onion_ntor_client_start(&st, id, B, x, chs);
	memset(shs, 0, 32);
	CHECK_EQ(vx0_onion_ntor_client_finish(&st, shs, okm), -EBADMSG);
	/* random ephemeral keys still agree */
	vx0_onion_ntor_client_start(&st, id, B, NULL, chs);
	{
		uint8_t okc[VX0_ONION_KDF_LEN];

		CHECK_EQ(vx0_onion_ntor_server(id, b, B, chs, NULL, shs, okm), 0);
		CHECK_EQ(vx0_onion_ntor_client_finish(&st, shs, okc), 0);
		CHECK_MEM(okc, okm, VX0_ONION_KDF_LEN);
	}
}

/* hop keys of doc/onion.md 11.3: HKDF(salt "vx0-test", IKM = i x 32, info "hop", 120) */
static void
vec_hops(struct vx0_onion_hop_keys *k, struct vx0_onion_client_hop *h)
{
	unsigned int i;

	for (i = 0; i < 3; i++) {
		uint8_t ikm[32], prk[32], okm[VX0_ONION_KDF_LEN];

		memset(ikm, (int)i, 32);
		vx0_onion_hkdf_extract(prk, (const uint8_t *)"vx0-test", 8, ikm, 32);
		vx0_onion_hkdf_expand(okm, sizeof(okm), prk, (const uint8_t *)"hop", 3);
		vx0_onion_keys_from_kdf(&k[i], okm);
		if (h)
			vx0_onion_client_hop_init(&h[i], &k[i]);
	}
}

static const char fwd_msg_text[] = "vx0 onion test vector";

static void
test_layer_vectors(void)
{
	struct vx0_onion_hop_keys k[3];
	struct vx0_onion_client_hop h[3];
	struct vx0_onion_replay w;
	uint8_t msg[80], body[VX0_ONION_BODY_LEN], okm0[VX0_ONION_KDF_LEN];
	struct vx0_onion_relay_msg m;
	unsigned int from;
	int n;

	vec_hops(k, h);
	/* hop 0's key split, in full */
	unhex("7cbcdb18999404628c92ad16fd53454a78d50116830653cae711244a93482f35"
	      "f35846b0ee3690185cba75ba6adc17a057ba185d2b623ff1b7a22634ca934b5f"
	      "03d9ac85a3fe62b9afb9513d8459ed63069ae9986134eb5a538d9dfa7b7cef67"
	      "a29e73c123274dac60d77335f9dfeda7181e3e79197c7a64", okm0, sizeof(okm0));
	CHECK_MEM(k[0].kf, okm0, 32);
	CHECK_MEM(k[0].kb, okm0 + 32, 32);
	CHECK_MEM(k[0].kc, okm0 + 64, 32);
	CHECK(k[0].fseq_base == 0x229e73c123274dacull); /* top two bits cleared */
	CHECK(k[0].bseq_base == 0x20d77335f9dfeda7ull);
	CHECK(k[0].cseq_base == 0x181e3e79197c7a64ull);

	n = vx0_onion_relay_msg_build(msg, sizeof(msg), VX0_ONION_RELAY_DATA, fwd_msg_text,
				      strlen(fwd_msg_text));
	CHECK_EQ(n, 25);
	CHECK_EQ(vx0_onion_client_seal(h, 2, msg, (size_t)n, body), 0);
	CHECK(sha_eq(body, sizeof(body), "2c864d6688a0fc5b6389da780fa6cabbc8942f99f383f4c4ec0ff5938eed88f2"));
	vx0_onion_replay_init(&w, k[0].fseq_base);
	CHECK_EQ(vx0_onion_layer_peel(k[0].kf, &w, body), VX0_ONION_PEEL_FORWARD);
	CHECK(sha_eq(body, sizeof(body), "1c8295c3c3b02bc62d1c9c6ccb320e8f6cb2d39e25e6c267c09c4c776e32d005"));
	vx0_onion_replay_init(&w, k[1].fseq_base);
	CHECK_EQ(vx0_onion_layer_peel(k[1].kf, &w, body), VX0_ONION_PEEL_FORWARD);
	CHECK(sha_eq(body, sizeof(body), "df907b3586936e8bf6c8b5510d71c004b994ad5577a308044e4fc8657cfe6998"));
	vx0_onion_replay_init(&w, k[2].fseq_base);
	CHECK_EQ(vx0_onion_layer_peel(k[2].kf, &w, body), VX0_ONION_PEEL_TERMINAL);
	CHECK(sha_eq(body, sizeof(body), "84a5223ba8e4fed9049e90b129337cb462da2eca892c2db7da833059ca78f3f5"));
	CHECK_EQ(vx0_onion_relay_msg_parse(body, VX0_ONION_FWD_DATA_MAX + 4, &m), 0);
	CHECK_EQ(m.cmd, VX0_ONION_RELAY_DATA);
	CHECK_EQ(m.len, strlen(fwd_msg_text));
	CHECK_MEM(m.data, fwd_msg_text, m.len);

	/* backward: the exit seals, middle and guard wrap, the client opens */
	memset(body, 0, sizeof(body));
	n = vx0_onion_relay_msg_build(body + VX0_ONION_HOP_HDR_LEN, VX0_ONION_BWD_CT_LEN,
				      VX0_ONION_RELAY_DATA, "vx0 onion reply", 15);
	CHECK_EQ(n, 19);
	vx0_onion_layer_originate(k[2].kb, k[2].bseq_base + 1, body);
	vx0_onion_layer_wrap(k[1].kb, k[1].bseq_base + 1, body);
	vx0_onion_layer_wrap(k[0].kb, k[0].bseq_base + 1, body);
	CHECK(sha_eq(body, sizeof(body), "190bea821ee0ffe2642f1059ab2903cd3ca177457d8f3d8e68c82106aa8a0df6"));
	CHECK_EQ(vx0_onion_client_open(h, 3, body, &from), VX0_ONION_OPEN_DATA);
	CHECK_EQ(from, 2);
	CHECK_MEM(body, "\x80\x00\x00\x0fvx0 onion reply", 19);

	/* control: the middle seals EXTENDED under kc, the guard wraps */
	{
		uint8_t ext[68];
		unsigned int i;

		ext[0] = 0; ext[1] = 1; ext[2] = 0; ext[3] = 0x40;
		for (i = 0; i < 64; i++)
			ext[4 + i] = (uint8_t)i;
		memset(body, 0, sizeof(body));
		n = vx0_onion_relay_msg_build(body + VX0_ONION_HOP_HDR_LEN, VX0_ONION_BWD_CT_LEN,
					      VX0_ONION_RELAY_EXTENDED, ext, sizeof(ext));
		CHECK_EQ(n, 72);
		memcpy(msg, body + VX0_ONION_HOP_HDR_LEN, 72);
		vx0_onion_layer_originate(k[1].kc, k[1].cseq_base + 1, body);
		vx0_onion_layer_wrap(k[0].kb, k[0].bseq_base + 1, body);
		CHECK(sha_eq(body, sizeof(body),
			     "c82483878b84c336d9105203faf22684a63959657c64644a67295e1d9872585f"));
		CHECK_EQ(vx0_onion_client_open(h, 3, body, &from), VX0_ONION_OPEN_CONTROL);
		CHECK_EQ(from, 1);
		CHECK_MEM(body, msg, 72);
	}
}

/* A bit flipped anywhere in the body before hop i fails hop i's check;
 * the body at hop i is the first place an alteration can be seen. */
/* The data plane's form: the same bodies as the vectors above, with the
 * plaintext left in place and the pad written into the room after it. */
static void
test_layer_peel_shift_vectors(void)
{
	struct vx0_onion_hop_keys k[3];
	struct vx0_onion_client_hop h[3];
	struct vx0_onion_replay w;
	uint8_t msg[80], buf[VX0_ONION_BODY_LEN + 3 * VX0_ONION_HOP_HDR_LEN], *body = buf, save[sizeof(buf)];
	static const char *const sha[3] = {
		"1c8295c3c3b02bc62d1c9c6ccb320e8f6cb2d39e25e6c267c09c4c776e32d005",
		"df907b3586936e8bf6c8b5510d71c004b994ad5577a308044e4fc8657cfe6998",
		"84a5223ba8e4fed9049e90b129337cb462da2eca892c2db7da833059ca78f3f5" };
	int n;

	vec_hops(k, h);
	n = vx0_onion_relay_msg_build(msg, sizeof(msg), VX0_ONION_RELAY_DATA, fwd_msg_text,
				      strlen(fwd_msg_text));
	CHECK_EQ(vx0_onion_client_seal(h, 2, msg, (size_t)n, buf), 0);
	for (int i = 0; i < 3; i++) {
		vx0_onion_replay_init(&w, k[i].fseq_base);
		/* a flipped bit: refused, body unchanged */
		memcpy(save, buf, sizeof(buf));
		body[100] ^= 1;
		CHECK_EQ(vx0_onion_layer_peel_shift(k[i].kf, &w, body), -EBADMSG);
		body[100] ^= 1;
		CHECK_MEM(body, save + (body - buf), VX0_ONION_BODY_LEN);
		CHECK_EQ(vx0_onion_layer_peel_shift(k[i].kf, &w, body),
			 i < 2 ? VX0_ONION_PEEL_FORWARD : VX0_ONION_PEEL_TERMINAL);
		body += VX0_ONION_HOP_HDR_LEN;
		CHECK(sha_eq(body, VX0_ONION_BODY_LEN, sha[i]));
		/* the same cell again: a replay */
		{
			uint8_t again[sizeof(buf)];

			memcpy(again, save + (body - VX0_ONION_HOP_HDR_LEN - buf), VX0_ONION_BODY_LEN);
			CHECK_EQ(vx0_onion_layer_peel_shift(k[i].kf, &w, again), -EALREADY);
		}
	}
}

static void
test_layer_tamper(void)
{
	struct vx0_onion_hop_keys k[3];
	struct vx0_onion_client_hop h[3];
	struct vx0_onion_replay w;
	uint8_t msg[8] = { VX0_ONION_RELAY_DATA, 0, 0, 4, 1, 2, 3, 4 };
	uint8_t body[VX0_ONION_BODY_LEN], ref[VX0_ONION_BODY_LEN];
	size_t pos;
	int fails = 0, tries = 0;

	vec_hops(k, h);
	CHECK_EQ(vx0_onion_client_seal(h, 2, msg, sizeof(msg), ref), 0);
	vx0_onion_replay_init(&w, k[0].fseq_base);
	CHECK_EQ(vx0_onion_layer_peel(k[0].kf, &w, ref), VX0_ONION_PEEL_FORWARD);
	/* ref is now what the guard sends the middle: flip each byte's bit */
	for (pos = 0; pos < sizeof(ref); pos += 1) {
		memcpy(body, ref, sizeof(body));
		body[pos] ^= (uint8_t)(1u << (pos % 8));
		vx0_onion_replay_init(&w, k[1].fseq_base);
		tries++;
		if (vx0_onion_layer_peel(k[1].kf, &w, body) < 0)
			fails++;
	}
	CHECK_EQ(fails, tries);
	/* and the untouched cell passes */
	vx0_onion_replay_init(&w, k[1].fseq_base);
	CHECK_EQ(vx0_onion_layer_peel(k[1].kf, &w, ref), VX0_ONION_PEEL_FORWARD);

	/* backward: a flipped bit on the way back fails the client's open */
	memset(body, 0, sizeof(body));
	vx0_onion_relay_msg_build(body + 24, VX0_ONION_BWD_CT_LEN, VX0_ONION_RELAY_DATA, "x", 1);
	vx0_onion_layer_originate(k[2].kb, k[2].bseq_base + 5, body);
	vx0_onion_layer_wrap(k[1].kb, k[1].bseq_base + 5, body);
	body[700] ^= 4;
	vx0_onion_layer_wrap(k[0].kb, k[0].bseq_base + 5, body);
	{
		unsigned int from;

		CHECK_EQ(vx0_onion_client_open(h, 3, body, &from), -EBADMSG);
	}
}

static void
test_layer_replay(void)
{
	struct vx0_onion_hop_keys k[3];
	struct vx0_onion_client_hop h[3];
	struct vx0_onion_replay w;
	uint8_t msg[4] = { VX0_ONION_RELAY_DROP, 0, 0, 0 };
	static uint8_t cells[70][VX0_ONION_BODY_LEN];
	uint8_t body[VX0_ONION_BODY_LEN];
	unsigned int i;

	vec_hops(k, h);
	for (i = 0; i < 70; i++)
		CHECK_EQ(vx0_onion_client_seal(h, 0, msg, sizeof(msg), cells[i]), 0);
	vx0_onion_replay_init(&w, k[0].fseq_base);
	/* out of order within the window is fine */
	memcpy(body, cells[3], sizeof(body));
	CHECK_EQ(vx0_onion_layer_peel(k[0].kf, &w, body), VX0_ONION_PEEL_TERMINAL);
	memcpy(body, cells[1], sizeof(body));
	CHECK_EQ(vx0_onion_layer_peel(k[0].kf, &w, body), VX0_ONION_PEEL_TERMINAL);
	/* the same cell again is a replay */
	memcpy(body, cells[3], sizeof(body));
	CHECK_EQ(vx0_onion_layer_peel(k[0].kf, &w, body), -EALREADY);
	/* 64 newer cells push cell 2 out of the window */
	memcpy(body, cells[69], sizeof(body));
	CHECK_EQ(vx0_onion_layer_peel(k[0].kf, &w, body), VX0_ONION_PEEL_TERMINAL);
	memcpy(body, cells[2], sizeof(body));
	CHECK_EQ(vx0_onion_layer_peel(k[0].kf, &w, body), -EALREADY);
	memcpy(body, cells[10], sizeof(body));
	CHECK_EQ(vx0_onion_layer_peel(k[0].kf, &w, body), VX0_ONION_PEEL_TERMINAL);
	/* an altered copy of a seen cell is an alteration, not a replay */
	memcpy(body, cells[10], sizeof(body));
	body[100] ^= 1;
	CHECK_EQ(vx0_onion_layer_peel(k[0].kf, &w, body), -EBADMSG);
	/* a forged seq with the top bit set never reaches the AEAD */
	memcpy(body, cells[11], sizeof(body));
	body[0] |= 0x80;
	CHECK_EQ(vx0_onion_layer_peel(k[0].kf, &w, body), -EBADMSG);
	/* the burst form reports each cell */
	{
		uint8_t b2[3][VX0_ONION_BODY_LEN];
		uint8_t *v[3] = { b2[0], b2[1], b2[2] };
		int res[3];

		memcpy(b2[0], cells[12], sizeof(body));
		memcpy(b2[1], cells[12], sizeof(body));
		memcpy(b2[2], cells[13], sizeof(body));
		b2[2][100] ^= 1;
		CHECK_EQ(vx0_onion_layer_peel_burst(k[0].kf, &w, v, 3, res), 1);
		CHECK_EQ(res[0], VX0_ONION_PEEL_TERMINAL);
		CHECK_EQ(res[1], -EALREADY);
		CHECK_EQ(res[2], -EBADMSG);
	}
	/* backward: the client refuses a replayed sealed cell */
	{
		uint8_t a[VX0_ONION_BODY_LEN], c[VX0_ONION_BODY_LEN];
		unsigned int from;

		memset(a, 0, sizeof(a));
		vx0_onion_relay_msg_build(a + 24, VX0_ONION_BWD_CT_LEN, VX0_ONION_RELAY_DATA, "r", 1);
		vx0_onion_layer_originate(k[0].kb, k[0].bseq_base + 1, a);
		memcpy(c, a, sizeof(a));
		CHECK_EQ(vx0_onion_client_open(h, 3, a, &from), VX0_ONION_OPEN_DATA);
		CHECK_EQ(from, 0);
		CHECK_EQ(vx0_onion_client_open(h, 3, c, &from), -EALREADY);
	}
}

/* every target hop and the largest message of each */
static void
test_layer_targets(void)
{
	struct vx0_onion_hop_keys k[3];
	struct vx0_onion_client_hop h[3];
	uint8_t msg[VX0_ONION_FWD_PT_LEN], body[VX0_ONION_BODY_LEN];
	unsigned int t, i;

	vec_hops(k, h);
	for (t = 0; t < 3; t++) {
		size_t max = VX0_ONION_FWD_PT_LEN - VX0_ONION_HOP_HDR_LEN * t;
		struct vx0_onion_replay w[3];

		randombytes_buf(msg, sizeof(msg));
		msg[0] = VX0_ONION_RELAY_DATA;
		CHECK_EQ(vx0_onion_client_seal(h, t, msg, max + 1, body), -EINVAL);
		CHECK_EQ(vx0_onion_client_seal(h, t, msg, max, body), 0);
		for (i = 0; i <= t; i++) {
			vx0_onion_replay_init(&w[i], h[i].fseq - 1);
			CHECK_EQ(vx0_onion_layer_peel(k[i].kf, &w[i], body),
				 i == t ? VX0_ONION_PEEL_TERMINAL : VX0_ONION_PEEL_FORWARD);
		}
		CHECK_MEM(body, msg, max);
	}
	CHECK_EQ(vx0_onion_client_seal(h, 3, msg, 4, body), -EINVAL);
	CHECK_EQ(VX0_ONION_FWD_DATA_MAX, 1284);
	CHECK(VX0_ONION_FWD_DATA_MAX >= VX0_ONION_INNER_MTU);
	CHECK(VX0_ONION_BWD_DATA_MAX >= VX0_ONION_INNER_MTU);
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	VX0_RUN(test_hkdf_rfc5869);
	VX0_RUN(test_ntor_vector);
	VX0_RUN(test_ntor_rejects);
	VX0_RUN(test_layer_vectors);
	VX0_RUN(test_layer_peel_shift_vectors);
	VX0_RUN(test_layer_tamper);
	VX0_RUN(test_layer_replay);
	VX0_RUN(test_layer_targets);
	return vx0_test_done();
}
