/* SPDX-License-Identifier: BSD-3-Clause */
/* IKEv2 PRFs, key schedule helpers, SK AEAD and X25519 over libsodium. */
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "ike_crypto.h"
#include "ike_wire.h"
#include "vx0_ike.h"

size_t
ike_prf_len(uint16_t prf)
{
	switch (prf) {
	case VX0_IKE_PRF_HMAC_SHA2_256:
		return 32;
	case VX0_IKE_PRF_HMAC_SHA2_512:
		return 64;
	default:
		return 0;
	}
}

size_t
ike_aead_keymat_len(uint16_t encr, uint16_t keybits)
{
	switch (encr) {
	case VX0_IKE_ENCR_AES_GCM_16:
		return keybits == 256 ? 36 : 0;
	case VX0_IKE_ENCR_CHACHA20_POLY1305:
		/* RFC 7634 §3: no key length attribute, 256-bit key */
		return keybits == 0 || keybits == 256 ? 36 : 0;
	default:
		return 0;
	}
}

bool
ike_aead_available(uint16_t encr)
{
	if (encr == VX0_IKE_ENCR_AES_GCM_16)
		return crypto_aead_aes256gcm_is_available() != 0;
	return encr == VX0_IKE_ENCR_CHACHA20_POLY1305;
}

int
ike_prf(uint16_t prf, const uint8_t *key, size_t klen,
	const struct ike_iov *iov, int niov, uint8_t *out)
{
	if (prf == VX0_IKE_PRF_HMAC_SHA2_256) {
		crypto_auth_hmacsha256_state st;

		crypto_auth_hmacsha256_init(&st, key, klen);
		for (int i = 0; i < niov; i++)
			crypto_auth_hmacsha256_update(&st, iov[i].p, iov[i].n);
		crypto_auth_hmacsha256_final(&st, out);
		sodium_memzero(&st, sizeof(st));
		return 0;
	}
	if (prf == VX0_IKE_PRF_HMAC_SHA2_512) {
		crypto_auth_hmacsha512_state st;

		crypto_auth_hmacsha512_init(&st, key, klen);
		for (int i = 0; i < niov; i++)
			crypto_auth_hmacsha512_update(&st, iov[i].p, iov[i].n);
		crypto_auth_hmacsha512_final(&st, out);
		sodium_memzero(&st, sizeof(st));
		return 0;
	}
	return -ENOTSUP;
}

int
ike_prf_plus(uint16_t prf, const uint8_t *key, size_t klen,
	     const uint8_t *seed, size_t slen, uint8_t *out, size_t outlen)
{
	size_t hl = ike_prf_len(prf), done = 0;
	uint8_t t[IKE_PRF_MAX];
	uint8_t ctr = 1;

	if (!hl)
		return -ENOTSUP;
	if (outlen > 255 * hl)
		return -EINVAL;
	while (done < outlen) {
		/* T1 = prf(K, S | 0x01); Tn = prf(K, Tn-1 | S | n) */
		struct ike_iov iov[3] = {
			{ t, ctr == 1 ? 0 : hl },
			{ seed, slen },
			{ &ctr, 1 },
		};
		size_t n;

		ike_prf(prf, key, klen, iov, 3, t);
		n = outlen - done < hl ? outlen - done : hl;
		memcpy(out + done, t, n);
		done += n;
		ctr++;
	}
	sodium_memzero(t, sizeof(t));
	return 0;
}

int
ike_aead_encrypt(uint16_t encr, const uint8_t *keysalt, size_t klen,
		 const uint8_t iv[IKE_AEAD_IV], const uint8_t *aad,
		 size_t aadlen, const uint8_t *pt, size_t len, uint8_t *ct)
{
	uint8_t nonce[12];
	unsigned long long maclen;

	if (klen != 36)
		return -EINVAL;
	memcpy(nonce, keysalt + 32, 4);
	memcpy(nonce + 4, iv, 8);
	if (encr == VX0_IKE_ENCR_CHACHA20_POLY1305) {
		crypto_aead_chacha20poly1305_ietf_encrypt_detached(
			ct, ct + len, &maclen, pt, len, aad, aadlen, NULL,
			nonce, keysalt);
		return 0;
	}
	if (encr == VX0_IKE_ENCR_AES_GCM_16 &&
	    crypto_aead_aes256gcm_is_available()) {
		crypto_aead_aes256gcm_encrypt_detached(ct, ct + len, &maclen,
						       pt, len, aad, aadlen,
						       NULL, nonce, keysalt);
		return 0;
	}
	return -ENOTSUP;
}

int
ike_aead_decrypt(uint16_t encr, const uint8_t *keysalt, size_t klen,
		 const uint8_t iv[IKE_AEAD_IV], const uint8_t *aad,
		 size_t aadlen, const uint8_t *ct, size_t len, uint8_t *pt)
{
	uint8_t nonce[12];
	int rc;

	if (klen != 36)
		return -EINVAL;
	memcpy(nonce, keysalt + 32, 4);
	memcpy(nonce + 4, iv, 8);
	if (encr == VX0_IKE_ENCR_CHACHA20_POLY1305)
		rc = crypto_aead_chacha20poly1305_ietf_decrypt_detached(
			pt, NULL, ct, len, ct + len, aad, aadlen, nonce,
			keysalt);
	else if (encr == VX0_IKE_ENCR_AES_GCM_16 &&
		 crypto_aead_aes256gcm_is_available())
		rc = crypto_aead_aes256gcm_decrypt_detached(
			pt, NULL, ct, len, ct + len, aad, aadlen, nonce,
			keysalt);
	else
		return -ENOTSUP;
	return rc == 0 ? 0 : -EBADMSG;
}

int
ike_skeyseed(uint16_t prf, const uint8_t *ni, size_t nil, const uint8_t *nr,
	     size_t nrl, const uint8_t *gir, size_t girl,
	     const uint8_t *old_skd, uint8_t *out)
{
	uint8_t key[2 * IKE_NONCE_BYTES_MAX];
	int rc;

	if (old_skd) {
		struct ike_iov iov[3] = { { gir, girl }, { ni, nil }, { nr, nrl } };

		return ike_prf(prf, old_skd, ike_prf_len(prf), iov, 3, out);
	}
	if (nil > IKE_NONCE_BYTES_MAX || nrl > IKE_NONCE_BYTES_MAX)
		return -EINVAL;
	memcpy(key, ni, nil);
	memcpy(key + nil, nr, nrl);
	rc = ike_prf(prf, key, nil + nrl, &(struct ike_iov){ gir, girl }, 1,
		     out);
	sodium_memzero(key, sizeof(key));
	return rc;
}

int
ike_derive_sk(uint16_t prf, const uint8_t *skeyseed, const uint8_t *ni,
	      size_t nil, const uint8_t *nr, size_t nrl, uint64_t spi_i,
	      uint64_t spi_r, size_t enc_len, struct ike_sk *sk)
{
	size_t hl = ike_prf_len(prf), total, off = 0;
	uint8_t seed[2 * IKE_NONCE_BYTES_MAX + 16];
	uint8_t km[3 * IKE_PRF_MAX + 2 * IKE_AEAD_KEY_MAX];
	int rc;

	if (!hl || enc_len > IKE_AEAD_KEY_MAX || nil > IKE_NONCE_BYTES_MAX ||
	    nrl > IKE_NONCE_BYTES_MAX)
		return -EINVAL;
	memcpy(seed, ni, nil);
	memcpy(seed + nil, nr, nrl);
	ike_wr64(seed + nil + nrl, spi_i);
	ike_wr64(seed + nil + nrl + 8, spi_r);
	total = 3 * hl + 2 * enc_len;
	rc = ike_prf_plus(prf, skeyseed, hl, seed, nil + nrl + 16, km, total);
	if (rc == 0) {
		memcpy(sk->d, km + off, hl), off += hl;
		memcpy(sk->ei, km + off, enc_len), off += enc_len;
		memcpy(sk->er, km + off, enc_len), off += enc_len;
		memcpy(sk->pi, km + off, hl), off += hl;
		memcpy(sk->pr, km + off, hl);
	}
	sodium_memzero(km, sizeof(km));
	return rc;
}

int
ike_derive_child(uint16_t prf, const uint8_t *sk_d, const uint8_t *gir,
		 size_t girl, const uint8_t *ni, size_t nil, const uint8_t *nr,
		 size_t nrl, size_t key_len, uint8_t *i2r, uint8_t *r2i)
{
	uint8_t seed[IKE_X25519_LEN + 2 * IKE_NONCE_BYTES_MAX];
	uint8_t km[2 * IKE_AEAD_KEY_MAX];
	size_t sl = 0;
	int rc;

	if (girl > IKE_X25519_LEN || nil > IKE_NONCE_BYTES_MAX ||
	    nrl > IKE_NONCE_BYTES_MAX || key_len > IKE_AEAD_KEY_MAX)
		return -EINVAL;
	if (gir)
		memcpy(seed, gir, girl), sl = girl;
	memcpy(seed + sl, ni, nil), sl += nil;
	memcpy(seed + sl, nr, nrl), sl += nrl;
	rc = ike_prf_plus(prf, sk_d, ike_prf_len(prf), seed, sl, km,
			  2 * key_len);
	if (rc == 0) {
		memcpy(i2r, km, key_len);
		memcpy(r2i, km + key_len, key_len);
	}
	sodium_memzero(km, sizeof(km));
	sodium_memzero(seed, sizeof(seed));
	return rc;
}

int
ike_x25519(uint8_t out[32], const uint8_t sk[32], const uint8_t pk[32])
{
	/* libsodium refuses (returns -1) an all-zero shared secret */
	if (crypto_scalarmult_curve25519(out, sk, pk) != 0)
		return -EINVAL;
	return 0;
}

/* ---- SHA-1 (RFC 3174); not a security function here, only NAT-D ---- */

struct sha1 {
	uint32_t h[5];
	uint64_t bytes;
	uint8_t buf[64];
	size_t n;
};

static uint32_t
rol(uint32_t x, int s)
{
	return x << s | x >> (32 - s);
}

static void
sha1_block(struct sha1 *s, const uint8_t *p)
{
	uint32_t w[80], a, b, c, d, e;

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 80; i++)
		w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3], e = s->h[4];
	for (int i = 0; i < 80; i++) {
		uint32_t f, k, t;

		if (i < 20)
			f = (b & c) | (~b & d), k = 0x5a827999;
		else if (i < 40)
			f = b ^ c ^ d, k = 0x6ed9eba1;
		else if (i < 60)
			f = (b & c) | (b & d) | (c & d), k = 0x8f1bbcdc;
		else
			f = b ^ c ^ d, k = 0xca62c1d6;
		t = rol(a, 5) + f + e + k + w[i];
		e = d, d = c, c = rol(b, 30), b = a, a = t;
	}
	s->h[0] += a, s->h[1] += b, s->h[2] += c, s->h[3] += d, s->h[4] += e;
}

static void
sha1_update(struct sha1 *s, const uint8_t *p, size_t n)
{
	s->bytes += n;
	while (n) {
		size_t k = 64 - s->n < n ? 64 - s->n : n;

		memcpy(s->buf + s->n, p, k);
		s->n += k, p += k, n -= k;
		if (s->n == 64) {
			sha1_block(s, s->buf);
			s->n = 0;
		}
	}
}

void
ike_sha1(const struct ike_iov *iov, int niov, uint8_t out[20])
{
	struct sha1 s = { .h = { 0x67452301, 0xefcdab89, 0x98badcfe,
				 0x10325476, 0xc3d2e1f0 } };
	uint8_t pad[72] = { 0x80 };
	uint64_t bits;
	size_t padlen;

	for (int i = 0; i < niov; i++)
		sha1_update(&s, iov[i].p, iov[i].n);
	bits = s.bytes * 8;
	padlen = (s.n < 56 ? 56 : 120) - s.n;
	for (int i = 0; i < 8; i++)
		pad[padlen + i] = (uint8_t)(bits >> (56 - 8 * i));
	sha1_update(&s, pad, padlen + 8);
	for (int i = 0; i < 5; i++) {
		out[4 * i] = s.h[i] >> 24;
		out[4 * i + 1] = s.h[i] >> 16;
		out[4 * i + 2] = s.h[i] >> 8;
		out[4 * i + 3] = (uint8_t)s.h[i];
	}
}
