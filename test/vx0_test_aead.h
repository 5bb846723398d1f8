/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VX0_TEST_AEAD_H
#define VX0_TEST_AEAD_H

/*
 * Known-answer vectors for the AEAD engines, run through any engine's
 * burst API (the sodium and the cryptodev tests share them).
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "esp_hex.h"
#include "vx0_crypto.h"
#include "vx0_test.h"

static inline size_t
vx0_test_unhex(const char *hex, uint8_t *out, size_t cap)
{
	long n = esp_unhex(hex, out, cap);

	CHECK(n >= 0);
	return n < 0 ? 0 : (size_t)n;
}

/* Encrypt pt in place with one op, compare with ct||tag, decrypt back. */
static inline void
vx0_test_aead_kat(struct vx0_crypto_engine *eng, enum vx0_crypto_alg alg, const char *key_h, const char *salt_h, const char *iv_h,
    const char *aad_h, const char *pt_h, const char *ct_h, const char *tag_h)
{
	uint8_t key[32], salt[4], iv[8], aad[64], pt[256], ct[256], tag[16], buf[256],
		out_tag[16];
	size_t aad_len, pt_len, ct_len;
	struct vx0_crypto_sess *s = NULL;
	struct vx0_crypto_op op, *ops[1] = { &op };

	CHECK_EQ(vx0_test_unhex(key_h, key, sizeof(key)), 32);
	CHECK_EQ(vx0_test_unhex(salt_h, salt, sizeof(salt)), 4);
	CHECK_EQ(vx0_test_unhex(iv_h, iv, sizeof(iv)), 8);
	aad_len = vx0_test_unhex(aad_h, aad, sizeof(aad));
	pt_len = vx0_test_unhex(pt_h, pt, sizeof(pt));
	ct_len = vx0_test_unhex(ct_h, ct, sizeof(ct));
	CHECK_EQ(vx0_test_unhex(tag_h, tag, sizeof(tag)), 16);
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

/* RFC 8439 §2.8.2, the AEAD_CHACHA20_POLY1305 example: nonce
 * 07000000||4041424344454647 = constant(salt) || IV. */
static inline void
vx0_test_aead_rfc8439(struct vx0_crypto_engine *eng)
{
	vx0_test_aead_kat(eng, VX0_CRYPTO_CHACHA20_POLY1305,
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
static inline void
vx0_test_aead_rfc7634(struct vx0_crypto_engine *eng)
{
	vx0_test_aead_kat(eng, VX0_CRYPTO_CHACHA20_POLY1305,
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
static inline void
vx0_test_aead_gcm_tc16(struct vx0_crypto_engine *eng)
{
	vx0_test_aead_kat(eng, VX0_CRYPTO_AES_256_GCM,
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
static inline void
vx0_test_aead_gcm_esp(struct vx0_crypto_engine *eng)
{
	vx0_test_aead_kat(eng, VX0_CRYPTO_AES_256_GCM,
	    "abbccddef00112233445566778899aababbccddef00112233445566778899aab", "11223344",
	    "0102030405060708", "4a2cbfe300000002",
	    "4500003069a6400080062690c0a801029389155e0a9e008b2dc57ee000000000"
	    "7002400020bf0000020405b40101040201020201",
	    "ff425c9b724599df7a3bcd510194e00d6a78107f1b0b1cbf06efae9d65a5d763"
	    "748a637985771d347f0545659f14e99def842d8e",
	    "b335f4eecfdbf831824b4c4915956c96");
}

#endif
