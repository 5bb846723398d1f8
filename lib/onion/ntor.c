/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ntor (Tor proposal 216, tor-spec 5.1.4) with our protocol id, a 32-byte
 * Ed25519 identity in place of Tor's RSA digest, and 80 bytes of HKDF
 * output. Both DH results are checked against the all-zero output of a
 * low-order point (crypto_scalarmult fails on it).
 */
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "vx0_onion.h"

#define PROTOID "vx0-ntor-x25519-sha256-1"
#define PROTOID_LEN (sizeof(PROTOID) - 1)
static const char T_MAC[] = PROTOID ":mac";
static const char T_KEY[] = PROTOID ":key_extract";
static const char T_VERIFY[] = PROTOID ":verify";
static const char M_EXPAND[] = PROTOID ":key_expand";

/* secret_input = EXP(X,y) | EXP(X,b) | ID | B | X | Y | PROTOID */
#define SECRET_LEN (32 * 6 + PROTOID_LEN)
/* auth_input = verify | ID | B | Y | X | PROTOID | "Server" */
#define AUTH_IN_LEN (32 * 5 + PROTOID_LEN + 6)

static void
hmac(uint8_t out[32], const char *key, const uint8_t *msg, size_t len)
{
	crypto_auth_hmacsha256_state st;

	crypto_auth_hmacsha256_init(&st, (const uint8_t *)key, strlen(key));
	crypto_auth_hmacsha256_update(&st, msg, len);
	crypto_auth_hmacsha256_final(&st, out);
	sodium_memzero(&st, sizeof(st));
}

/* From the two DH results, derive AUTH and the key material. */
static void
derive(const uint8_t dh1[32], const uint8_t dh2[32], const uint8_t id[32],
       const uint8_t B[32], const uint8_t X[32], const uint8_t Y[32],
       uint8_t auth[32], uint8_t okm[VX0_ONION_KDF_LEN])
{
	uint8_t secret[SECRET_LEN], ain[AUTH_IN_LEN], prk[32];
	uint8_t *p = secret;

	memcpy(p, dh1, 32); p += 32;
	memcpy(p, dh2, 32); p += 32;
	memcpy(p, id, 32); p += 32;
	memcpy(p, B, 32); p += 32;
	memcpy(p, X, 32); p += 32;
	memcpy(p, Y, 32); p += 32;
	memcpy(p, PROTOID, PROTOID_LEN);

	/* KEY_SEED = HMAC(t_key, secret_input) is HKDF-Extract(t_key, .) */
	vx0_onion_hkdf_extract(prk, (const uint8_t *)T_KEY, strlen(T_KEY), secret, sizeof(secret));
	vx0_onion_hkdf_expand(okm, VX0_ONION_KDF_LEN, prk, (const uint8_t *)M_EXPAND,
			      strlen(M_EXPAND));

	p = ain;
	hmac(p, T_VERIFY, secret, sizeof(secret)); p += 32;
	memcpy(p, id, 32); p += 32;
	memcpy(p, B, 32); p += 32;
	memcpy(p, Y, 32); p += 32;
	memcpy(p, X, 32); p += 32;
	memcpy(p, PROTOID, PROTOID_LEN); p += PROTOID_LEN;
	memcpy(p, "Server", 6);
	hmac(auth, T_MAC, ain, sizeof(ain));

	sodium_memzero(secret, sizeof(secret));
	sodium_memzero(ain, sizeof(ain));
	sodium_memzero(prk, sizeof(prk));
}

int
vx0_onion_ntor_client_start(struct vx0_onion_ntor_client *st, const uint8_t id[32],
			    const uint8_t B[32], const uint8_t *x,
			    uint8_t out[VX0_ONION_NTOR_CLIENT_LEN])
{
	memcpy(st->id, id, 32);
	memcpy(st->B, B, 32);
	if (x)
		memcpy(st->x, x, 32);
	else
		randombytes_buf(st->x, 32);
	if (crypto_scalarmult_base(st->X, st->x) != 0)
		return -EINVAL;
	memcpy(out, id, 32);
	memcpy(out + 32, B, 32);
	memcpy(out + 64, st->X, 32);
	return 0;
}

int
vx0_onion_ntor_client_finish(struct vx0_onion_ntor_client *st,
			     const uint8_t in[VX0_ONION_NTOR_SERVER_LEN],
			     uint8_t okm[VX0_ONION_KDF_LEN])
{
	const uint8_t *Y = in, *auth = in + 32;
	uint8_t dh1[32], dh2[32], mine[32];
	int rc = 0;

	/* EXP(Y,x) = EXP(X,y) and EXP(B,x) = EXP(X,b) */
	if (crypto_scalarmult(dh1, st->x, Y) != 0 || crypto_scalarmult(dh2, st->x, st->B) != 0) {
		rc = -EBADMSG;
		goto out;
	}
	derive(dh1, dh2, st->id, st->B, st->X, Y, mine, okm);
	if (sodium_memcmp(mine, auth, 32) != 0) {
		sodium_memzero(okm, VX0_ONION_KDF_LEN);
		rc = -EBADMSG;
	}
out:
	sodium_memzero(dh1, sizeof(dh1));
	sodium_memzero(dh2, sizeof(dh2));
	sodium_memzero(mine, sizeof(mine));
	sodium_memzero(st, sizeof(*st));
	return rc;
}

int
vx0_onion_ntor_server(const uint8_t id[32], const uint8_t b[32], const uint8_t B[32],
		      const uint8_t in[VX0_ONION_NTOR_CLIENT_LEN], const uint8_t *y,
		      uint8_t out[VX0_ONION_NTOR_SERVER_LEN], uint8_t okm[VX0_ONION_KDF_LEN])
{
	const uint8_t *X = in + 64;
	uint8_t ys[32], Y[32], dh1[32], dh2[32];
	int rc = 0;

	/* the client names the relay it means: a mismatch is a misdirected
	 * or stale-descriptor CREATE, refused before any DH work */
	if (sodium_memcmp(in, id, 32) != 0 || sodium_memcmp(in + 32, B, 32) != 0)
		return -EACCES;
	if (y)
		memcpy(ys, y, 32);
	else
		randombytes_buf(ys, 32);
	if (crypto_scalarmult_base(Y, ys) != 0 ||
	    crypto_scalarmult(dh1, ys, X) != 0 || crypto_scalarmult(dh2, b, X) != 0) {
		rc = -EBADMSG;
		goto out;
	}
	derive(dh1, dh2, id, B, X, Y, out + 32, okm);
	memcpy(out, Y, 32);
out:
	sodium_memzero(ys, sizeof(ys));
	sodium_memzero(dh1, sizeof(dh1));
	sodium_memzero(dh2, sizeof(dh2));
	return rc;
}
