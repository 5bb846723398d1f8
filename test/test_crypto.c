/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Crypto engine interface and the libsodium backend: registry rules and
 * known-answer vectors run through the burst API, in place.
 */
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "esp_hex.h"
#include "vx0_crypto.h"
#include "vx0_crypto_sodium.h"
#include "vx0_test.h"

static struct vx0_crypto_registry reg;
static struct vx0_crypto_engine *eng;

static size_t
H(const char *hex, uint8_t *out, size_t cap)
{
	long n = esp_unhex(hex, out, cap);

	CHECK(n >= 0);
	return n < 0 ? 0 : (size_t)n;
}

static int
gcm_ok(void)
{
	return vx0_crypto_alg_supported(eng, VX0_CRYPTO_AES_256_GCM);
}

/* Encrypt pt in place with one op, compare with ct||tag, decrypt back. */
static void
kat(enum vx0_crypto_alg alg, const char *key_h, const char *salt_h, const char *iv_h,
    const char *aad_h, const char *pt_h, const char *ct_h, const char *tag_h)
{
	uint8_t key[32], salt[4], iv[8], aad[64], pt[256], ct[256], tag[16], buf[256],
		out_tag[16];
	size_t aad_len, pt_len, ct_len;
	struct vx0_crypto_sess *s = NULL;
	struct vx0_crypto_op op, *ops[1] = { &op };

	CHECK_EQ(H(key_h, key, sizeof(key)), 32);
	CHECK_EQ(H(salt_h, salt, sizeof(salt)), 4);
	CHECK_EQ(H(iv_h, iv, sizeof(iv)), 8);
	aad_len = H(aad_h, aad, sizeof(aad));
	pt_len = H(pt_h, pt, sizeof(pt));
	ct_len = H(ct_h, ct, sizeof(ct));
	CHECK_EQ(H(tag_h, tag, sizeof(tag)), 16);
	CHECK_EQ(pt_len, ct_len);

	CHECK_EQ(vx0_crypto_sess_create(eng, alg, key, salt, &s), 0);
	if (!s)
		return;
	memcpy(buf, pt, pt_len);
	op = (struct vx0_crypto_op){ .sess = s, .iv = iv, .aad = aad, .aad_len = (uint16_t)aad_len,
				     .data = buf, .data_len = (uint32_t)pt_len, .tag = out_tag,
				     .status = 1 };
	CHECK_EQ(vx0_crypto_encrypt_burst(eng, 0, ops, 1), 1);
	CHECK_EQ(op.status, 0);
	CHECK_MEM(buf, ct, ct_len);
	CHECK_MEM(out_tag, tag, 16);

	op.status = 1;
	CHECK_EQ(vx0_crypto_decrypt_burst(eng, 0, ops, 1), 1);
	CHECK_EQ(op.status, 0);
	CHECK_MEM(buf, pt, pt_len);

	/* a flipped tag bit or AAD bit fails authentication */
	memcpy(buf, ct, ct_len);
	out_tag[15] ^= 0x01;
	CHECK_EQ(vx0_crypto_decrypt_burst(eng, 0, ops, 1), 1);
	CHECK_EQ(op.status, -EBADMSG);
	out_tag[15] ^= 0x01;
	memcpy(buf, ct, ct_len);
	aad[0] ^= 0x80;
	CHECK_EQ(vx0_crypto_decrypt_burst(eng, 0, ops, 1), 1);
	CHECK_EQ(op.status, -EBADMSG);
	vx0_crypto_sess_destroy(eng, s);
}

static void
test_registry(void)
{
	struct vx0_crypto_registry r;
	struct vx0_crypto_engine_ops fake = vx0_crypto_sodium_ops, bad = { .name = "bad" };
	static char names[VX0_CRYPTO_MAX_ENGINES][8];
	static struct vx0_crypto_engine_ops many[VX0_CRYPTO_MAX_ENGINES];
	struct vx0_crypto_engine *e = (void *)1;
	enum vx0_crypto_alg alg;
	unsigned int i;

	vx0_crypto_registry_init(&r);
	CHECK(vx0_crypto_find(&r, "sodium") == NULL);
	CHECK_EQ(vx0_crypto_engine_open(&r, "sodium", NULL, 1, &e), -ENOENT);
	CHECK(e == NULL);
	CHECK_EQ(vx0_crypto_sodium_register(&r), 0);
	CHECK_EQ(vx0_crypto_sodium_register(&r), -EEXIST);
	CHECK_EQ(vx0_crypto_register(&r, &bad), -EINVAL);
	CHECK(vx0_crypto_find(&r, "sodium") == &vx0_crypto_sodium_ops);
	CHECK_EQ(vx0_crypto_engine_open(&r, "sodium", NULL, 0, &e), -EINVAL);
	CHECK_EQ(vx0_crypto_engine_open(&r, "sodium", NULL, 2, &e), 0);
	CHECK(e && e->ops == &vx0_crypto_sodium_ops && e->nb_qp == 2);
	CHECK_EQ(vx0_crypto_alg_supported(e, VX0_CRYPTO_CHACHA20_POLY1305), 1);
	CHECK_EQ(vx0_crypto_alg_supported(e, VX0_CRYPTO_AES_256_GCM),
		 crypto_aead_aes256gcm_is_available());
	vx0_crypto_engine_close(e);
	/* fill the table */
	for (i = 1; i < VX0_CRYPTO_MAX_ENGINES; i++) {
		snprintf(names[i], sizeof(names[i]), "e%u", i);
		many[i] = vx0_crypto_sodium_ops;
		many[i].name = names[i];
		CHECK_EQ(vx0_crypto_register(&r, &many[i]), 0);
	}
	fake.name = "one-too-many";
	CHECK_EQ(vx0_crypto_register(&r, &fake), -ENOSPC);
	CHECK_EQ(r.n, VX0_CRYPTO_MAX_ENGINES);

	CHECK_EQ(vx0_crypto_alg_parse("aes256gcm16", &alg), 0);
	CHECK_EQ(alg, VX0_CRYPTO_AES_256_GCM);
	CHECK_EQ(vx0_crypto_alg_parse("chacha20poly1305", &alg), 0);
	CHECK_EQ(alg, VX0_CRYPTO_CHACHA20_POLY1305);
	CHECK_EQ(vx0_crypto_alg_parse("aes128gcm16", &alg), -EINVAL);
	CHECK(strcmp(vx0_crypto_alg_name(VX0_CRYPTO_AES_256_GCM), "aes-256-gcm") == 0);
}

static void
test_session_errors(void)
{
	uint8_t key[32] = { 0 }, salt[4] = { 0 };
	struct vx0_crypto_sess *s = (void *)1;

	CHECK_EQ(vx0_crypto_sess_create(eng, (enum vx0_crypto_alg)7, key, salt, &s), -EINVAL);
	CHECK(s == NULL);
	CHECK_EQ(vx0_crypto_sess_create(eng, VX0_CRYPTO_CHACHA20_POLY1305, NULL, salt, &s),
		 -EINVAL);
	if (!gcm_ok())
		CHECK_EQ(vx0_crypto_sess_create(eng, VX0_CRYPTO_AES_256_GCM, key, salt, &s),
			 -ENOTSUP);
}

/* RFC 8439 §2.8.2, the AEAD_CHACHA20_POLY1305 example: nonce
 * 07000000||4041424344454647 = constant(salt) || IV. */
static void
test_kat_rfc8439_aead(void)
{
	kat(VX0_CRYPTO_CHACHA20_POLY1305,
	    "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f", "07000000",
	    "4041424344454647", "50515253c0c1c2c3c4c5c6c7",
	    /* "Ladies and Gentlemen of the class of '99: If I could offer you
	     * only one tip for the future, sunscreen would be it." */
	    "4c616469657320616e642047656e746c656d656e206f662074686520636c6173"
	    "73206f66202739393a204966204920636f756c64206f6666657220796f75206f"
	    "6e6c79206f6e652074697020666f7220746865206675747572652c2073756e73"
	    "637265656e20776f756c642062652069742e",
	    "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
	    "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
	    "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
	    "3ff4def08e4b7a9de576d26586cec64b6116",
	    "1ae10b594f09e26a7e902ecbd0600691");
}

/* RFC 7634 Appendix A: the ESP packet's AEAD part. Key 80..9f, salt
 * a0a1a2a3, IV 1011121314151617, AAD = SPI 01020304 || seq 00000005;
 * plaintext = inner IPv4 ICMP echo + pad 01 02, pad length 2, NH 4. */
static void
test_kat_rfc7634_esp_aead(void)
{
	kat(VX0_CRYPTO_CHACHA20_POLY1305,
	    "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f", "a0a1a2a3",
	    "1011121314151617", "0102030400000005",
	    "45000054a6f200004001e778c6336405c000020508005b7a3a080000553bec10"
	    "0007362708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223"
	    "2425262728292a2b2c2d2e2f303132333435363701020204",
	    "24039428b97f417e3c13753a4f05087b67c352e6a7fab1b982d466ef407ae5c6"
	    "14ee8099d52844eb61aa95dfab4c02f72aa71e7c4c4f64c9befe2facc638e8f3"
	    "cbec163fac469b502773f6fb94e664da9165b82829f641e0",
	    "76aaa8266b7fb0f7b11b369907e1ad43");
}

/* McGrew & Viega, "The Galois/Counter Mode of Operation (GCM)", test
 * case 16 (AES-256, 96-bit IV cafebabefacedbaddecaf888, 20-byte AAD):
 * the IV split as salt cafebabe || IV facedbaddecaf888. */
static void
test_kat_gcm_tc16(void)
{
	if (!gcm_ok()) {
		printf("# AES-GCM not available on this CPU\n");
		return;
	}
	kat(VX0_CRYPTO_AES_256_GCM,
	    "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308", "cafebabe",
	    "facedbaddecaf888", "feedfacedeadbeeffeedfacedeadbeefabaddad2",
	    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
	    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
	    "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
	    "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
	    "76fc6ece0f4e1768cddf8853bb2d551b");
}

/* draft-mcgrew-gcm-test-01, the AES-256 ESP example: SPI 4a2cbfe3, seq 2,
 * key abbccdde...(x2), salt 11223344, IV 0102030405060708. */
static void
test_kat_gcm_esp_mcgrew(void)
{
	if (!gcm_ok())
		return;
	kat(VX0_CRYPTO_AES_256_GCM,
	    "abbccddef00112233445566778899aababbccddef00112233445566778899aab", "11223344",
	    "0102030405060708", "4a2cbfe300000002",
	    "4500003069a6400080062690c0a801029389155e0a9e008b2dc57ee000000000"
	    "7002400020bf0000020405b40101040201020201",
	    "ff425c9b724599df7a3bcd510194e00d6a78107f1b0b1cbf06efae9d65a5d763"
	    "748a637985771d347f0545659f14e99def842d8e",
	    "b335f4eecfdbf831824b4c4915956c96");
}

/* A burst mixing both algorithms and two sessions: each op gets its own
 * status, a bad tag fails only its own op. */
static void
test_burst_mixed(void)
{
	enum { N = 8 };
	uint8_t key[2][32], salt[2][4], iv[N][8], aad[N][8], data[N][100], orig[N][100],
		tag[N][16];
	struct vx0_crypto_sess *s[2] = { 0 };
	struct vx0_crypto_op op[N], *ops[N];
	int i;

	randombytes_buf(key, sizeof(key));
	randombytes_buf(salt, sizeof(salt));
	CHECK_EQ(vx0_crypto_sess_create(eng, VX0_CRYPTO_CHACHA20_POLY1305, key[0], salt[0],
					&s[0]), 0);
	CHECK_EQ(vx0_crypto_sess_create(eng, gcm_ok() ? VX0_CRYPTO_AES_256_GCM
						      : VX0_CRYPTO_CHACHA20_POLY1305,
					key[1], salt[1], &s[1]), 0);
	for (i = 0; i < N; i++) {
		randombytes_buf(iv[i], 8);
		randombytes_buf(aad[i], 8);
		randombytes_buf(orig[i], sizeof(orig[i]));
		memcpy(data[i], orig[i], sizeof(orig[i]));
		op[i] = (struct vx0_crypto_op){ .sess = s[i & 1], .iv = iv[i], .aad = aad[i],
						.aad_len = 8, .data = data[i],
						.data_len = (uint32_t)(10 + i * 11), .tag = tag[i] };
		ops[i] = &op[i];
	}
	CHECK_EQ(vx0_crypto_encrypt_burst(eng, 0, ops, N), N);
	for (i = 0; i < N; i++) {
		CHECK_EQ(op[i].status, 0);
		CHECK(memcmp(data[i], orig[i], op[i].data_len) != 0);
		/* bytes past data_len are untouched: in place, exact range */
		CHECK_MEM(data[i] + op[i].data_len, orig[i] + op[i].data_len,
			  sizeof(orig[i]) - op[i].data_len);
	}
	tag[3][0] ^= 1;
	data[6][0] ^= 1;
	CHECK_EQ(vx0_crypto_decrypt_burst(eng, 1, ops, N), N);
	for (i = 0; i < N; i++) {
		if (i == 3 || i == 6) {
			CHECK_EQ(op[i].status, -EBADMSG);
		} else {
			CHECK_EQ(op[i].status, 0);
			CHECK_MEM(data[i], orig[i], op[i].data_len);
		}
	}
	vx0_crypto_sess_destroy(eng, s[0]);
	vx0_crypto_sess_destroy(eng, s[1]);
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	vx0_crypto_registry_init(&reg);
	if (vx0_crypto_sodium_register(&reg) < 0 ||
	    vx0_crypto_engine_open(&reg, "sodium", NULL, 2, &eng) < 0)
		return 1;
	VX0_RUN(test_registry);
	VX0_RUN(test_session_errors);
	VX0_RUN(test_kat_rfc8439_aead);
	VX0_RUN(test_kat_rfc7634_esp_aead);
	VX0_RUN(test_kat_gcm_tc16);
	VX0_RUN(test_kat_gcm_esp_mcgrew);
	VX0_RUN(test_burst_mixed);
	vx0_crypto_engine_close(eng);
	return vx0_test_done();
}
