/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * BEP 44 items: targets, the signed buffer, and Ed25519 over libsodium.
 * Keys are kept in libtorrent's form (the 64-byte expanded secret: SHA-512
 * of the seed, clamped, then the nonce prefix) so the BEP's own test
 * vectors, given in that form, can be checked byte for byte. Signing from
 * the expanded key is RFC 8032 section 5.1.6 with libsodium's scalar ops.
 */
#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "dht_bencode.h"
#include "dht_hash.h"
#include "vx0_dht.h"

struct vx0_dht_key {
	uint8_t sk[64]; /* clamped scalar a || prefix */
	uint8_t pk[32];
};

struct vx0_dht_key *
vx0_dht_key_from_expanded(const uint8_t *sk, const uint8_t *pk)
{
	struct vx0_dht_key *k = sodium_malloc(sizeof(*k));

	if (!k)
		return NULL;
	memcpy(k->sk, sk, 64);
	memcpy(k->pk, pk, 32);
	return k;
}

struct vx0_dht_key *
vx0_dht_key_from_seed(const uint8_t *seed)
{
	struct vx0_dht_key *k = sodium_malloc(sizeof(*k));
	uint8_t *ssk = sodium_malloc(crypto_sign_SECRETKEYBYTES);

	if (!k || !ssk) {
		sodium_free(k);
		sodium_free(ssk);
		return NULL;
	}
	crypto_hash_sha512(k->sk, seed, 32);
	k->sk[0] &= 248;
	k->sk[31] &= 127;
	k->sk[31] |= 64;
	crypto_sign_seed_keypair(k->pk, ssk, seed);
	sodium_free(ssk); /* sodium_free wipes */
	return k;
}

void
vx0_dht_key_free(struct vx0_dht_key *key)
{
	sodium_free(key);
}

const uint8_t *
vx0_dht_key_public(const struct vx0_dht_key *key)
{
	return key->pk;
}

void
vx0_dht_key_expanded(const struct vx0_dht_key *key, uint8_t *sk)
{
	memcpy(sk, key->sk, 64);
}

static void
reduce64(uint8_t *out, const uint8_t *h)
{
	crypto_core_ed25519_scalar_reduce(out, h);
}

static void
sign_expanded(const struct vx0_dht_key *key, const uint8_t *m, size_t mlen,
	      uint8_t *sig)
{
	crypto_hash_sha512_state st;
	uint8_t h[64], r[32], k[32], a[32], wide[64] = { 0 }, t[32];

	crypto_hash_sha512_init(&st);
	crypto_hash_sha512_update(&st, key->sk + 32, 32);
	crypto_hash_sha512_update(&st, m, mlen);
	crypto_hash_sha512_final(&st, h);
	reduce64(r, h);
	crypto_scalarmult_ed25519_base_noclamp(sig, r); /* R */

	crypto_hash_sha512_init(&st);
	crypto_hash_sha512_update(&st, sig, 32);
	crypto_hash_sha512_update(&st, key->pk, 32);
	crypto_hash_sha512_update(&st, m, mlen);
	crypto_hash_sha512_final(&st, h);
	reduce64(k, h);

	memcpy(wide, key->sk, 32);
	reduce64(a, wide);
	crypto_core_ed25519_scalar_mul(t, k, a);
	crypto_core_ed25519_scalar_add(sig + 32, t, r); /* S = r + k*a */
	sodium_memzero(r, sizeof(r));
	sodium_memzero(a, sizeof(a));
	sodium_memzero(wide, sizeof(wide));
	sodium_memzero(h, sizeof(h));
	sodium_memzero(t, sizeof(t));
}

void
vx0_dht_mutable_target(const uint8_t *k, const uint8_t *salt, size_t salt_len,
		       uint8_t *target)
{
	struct vx0_sha1 c;

	vx0_sha1_init(&c);
	vx0_sha1_update(&c, k, 32);
	if (salt_len)
		vx0_sha1_update(&c, salt, salt_len);
	vx0_sha1_final(&c, target);
}

void
vx0_dht_immutable_target(const uint8_t *v, size_t v_len, uint8_t *target)
{
	vx0_sha1(v, v_len, target);
}

int
vx0_dht_signed_buffer(const uint8_t *salt, size_t salt_len, int64_t seq,
		      const uint8_t *v, size_t v_len, uint8_t *out, size_t cap)
{
	char hdr[96];
	size_t n = 0;
	int w;

	if (salt_len) {
		w = snprintf(hdr, sizeof(hdr), "4:salt%zu:", salt_len);
		if ((size_t)w + salt_len > cap)
			return -ENOSPC;
		memcpy(out, hdr, (size_t)w);
		memcpy(out + w, salt, salt_len);
		n = (size_t)w + salt_len;
	}
	w = snprintf(hdr, sizeof(hdr), "3:seqi%" PRId64 "e1:v", seq);
	if (n + (size_t)w + v_len > cap)
		return -ENOSPC;
	memcpy(out + n, hdr, (size_t)w);
	n += (size_t)w;
	memcpy(out + n, v, v_len);
	return (int)(n + v_len);
}

/* v must be exactly one bencoded value: it is spliced into packets raw. */
static bool
v_is_bencoded(const uint8_t *v, size_t len)
{
	struct vx0_bnode n[VX0_DHT_MAX_V / 2 + 1];

	return vx0_bdecode(v, len, n, sizeof(n) / sizeof(n[0]), VX0_BENC_MAX_DEPTH) > 0;
}

int
vx0_dht_item_sign(struct vx0_dht_item *item, const struct vx0_dht_key *key,
		  const uint8_t *salt, size_t salt_len, int64_t seq,
		  const uint8_t *v, size_t v_len)
{
	uint8_t buf[VX0_DHT_MAX_V + VX0_DHT_MAX_SALT + 64];
	int n;

	if (v_len == 0 || v_len > VX0_DHT_MAX_V || salt_len > VX0_DHT_MAX_SALT ||
	    !v_is_bencoded(v, v_len))
		return -EINVAL;
	memset(item, 0, sizeof(*item));
	item->is_mutable = true;
	memcpy(item->v, v, v_len);
	item->v_len = v_len;
	if (salt_len)
		memcpy(item->salt, salt, salt_len);
	item->salt_len = salt_len;
	item->seq = seq;
	memcpy(item->k, key->pk, 32);
	vx0_dht_mutable_target(item->k, salt, salt_len, item->target);
	n = vx0_dht_signed_buffer(salt, salt_len, seq, v, v_len, buf, sizeof(buf));
	if (n < 0)
		return n;
	sign_expanded(key, buf, (size_t)n, item->sig);
	return 0;
}

bool
vx0_dht_item_verify(const struct vx0_dht_item *item)
{
	uint8_t buf[VX0_DHT_MAX_V + VX0_DHT_MAX_SALT + 64], t[VX0_DHT_ID_LEN];
	int n;

	if (item->v_len == 0 || item->v_len > VX0_DHT_MAX_V ||
	    item->salt_len > VX0_DHT_MAX_SALT || !v_is_bencoded(item->v, item->v_len))
		return false;
	if (!item->is_mutable) {
		vx0_dht_immutable_target(item->v, item->v_len, t);
		return memcmp(t, item->target, sizeof(t)) == 0;
	}
	vx0_dht_mutable_target(item->k, item->salt, item->salt_len, t);
	if (memcmp(t, item->target, sizeof(t)) != 0)
		return false;
	n = vx0_dht_signed_buffer(item->salt, item->salt_len, item->seq, item->v,
				  item->v_len, buf, sizeof(buf));
	if (n < 0)
		return false;
	return crypto_sign_verify_detached(item->sig, buf, (unsigned long long)n,
					   item->k) == 0;
}
