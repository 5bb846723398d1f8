/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HKDF-SHA256 (RFC 5869) over libsodium's HMAC-SHA256: libsodium 1.0.18
 * has no HKDF API. Extract = HMAC(salt, IKM); Expand chains
 * T(i) = HMAC(PRK, T(i-1) | info | i).
 */
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "vx0_onion.h"

void
vx0_onion_hkdf_extract(uint8_t prk[32], const uint8_t *salt, size_t salt_len,
		       const uint8_t *ikm, size_t ikm_len)
{
	static const uint8_t zeros[32];
	crypto_auth_hmacsha256_state st;

	/* RFC 5869 2.2: an absent salt is HashLen zero bytes */
	if (salt == NULL || salt_len == 0) {
		salt = zeros;
		salt_len = sizeof(zeros);
	}
	crypto_auth_hmacsha256_init(&st, salt, salt_len);
	crypto_auth_hmacsha256_update(&st, ikm, ikm_len);
	crypto_auth_hmacsha256_final(&st, prk);
	sodium_memzero(&st, sizeof(st));
}

int
vx0_onion_hkdf_expand(uint8_t *okm, size_t okm_len, const uint8_t prk[32],
		      const uint8_t *info, size_t info_len)
{
	crypto_auth_hmacsha256_state st;
	uint8_t t[32];
	size_t done = 0, tlen = 0;
	uint8_t i = 0;

	if (okm_len > 255 * 32)
		return -EINVAL;
	while (done < okm_len) {
		size_t n;

		i++;
		crypto_auth_hmacsha256_init(&st, prk, 32);
		crypto_auth_hmacsha256_update(&st, t, tlen);
		if (info_len)
			crypto_auth_hmacsha256_update(&st, info, info_len);
		crypto_auth_hmacsha256_update(&st, &i, 1);
		crypto_auth_hmacsha256_final(&st, t);
		tlen = sizeof(t);
		n = okm_len - done < 32 ? okm_len - done : 32;
		memcpy(okm + done, t, n);
		done += n;
	}
	sodium_memzero(&st, sizeof(st));
	sodium_memzero(t, sizeof(t));
	return 0;
}

static uint64_t
load_be64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

void
vx0_onion_keys_from_kdf(struct vx0_onion_hop_keys *k, const uint8_t okm[VX0_ONION_KDF_LEN])
{
	memcpy(k->kf, okm, 32);
	memcpy(k->kb, okm + 32, 32);
	memcpy(k->kc, okm + 64, 32);
	/* two top bits clear: seq never reaches 2^63 (the "recognized" bit of
	 * the plaintext's first byte) within a circuit's lifetime */
	k->fseq_base = load_be64(okm + 96) & 0x3fffffffffffffffull;
	k->bseq_base = load_be64(okm + 104) & 0x3fffffffffffffffull;
	k->cseq_base = load_be64(okm + 112) & 0x3fffffffffffffffull;
}
