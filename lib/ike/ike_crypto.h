/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VX0_IKE_CRYPTO_H
#define VX0_IKE_CRYPTO_H

/*
 * IKEv2 key schedule and SK payload AEAD over libsodium: prf and prf+
 * (RFC 7296 §2.13), SKEYSEED and the SK_* split (§2.14), child KEYMAT
 * (§2.17), AEAD for SK (RFC 5282 / RFC 7634), X25519 (RFC 8031).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IKE_PRF_MAX 64
#define IKE_AEAD_KEY_MAX 36 /* 32-byte key + 4-byte salt */
#define IKE_AEAD_IV 8
#define IKE_AEAD_ICV 16
#define IKE_X25519_LEN 32
#define IKE_NONCE_BYTES_MAX 256

/* Output length of a PRF (0 when unknown). */
size_t ike_prf_len(uint16_t prf);
/* Is this ENCR id (+key bits) an AEAD we implement? key+salt length or 0. */
size_t ike_aead_keymat_len(uint16_t encr, uint16_t keybits);
bool ike_aead_available(uint16_t encr);

struct ike_iov {
	const void *p;
	size_t n;
};

/* prf(key, iov[0] | iov[1] | ...) -> out (ike_prf_len bytes). */
int ike_prf(uint16_t prf, const uint8_t *key, size_t klen,
	    const struct ike_iov *iov, int niov, uint8_t *out);
/* prf+(key, seed) -> out of outlen bytes (at most 255 blocks). */
int ike_prf_plus(uint16_t prf, const uint8_t *key, size_t klen,
		 const uint8_t *seed, size_t slen, uint8_t *out,
		 size_t outlen);

/*
 * AEAD of an SK payload: nonce = salt (last 4 bytes of key) | iv.
 * Encrypt writes len bytes of ciphertext then the 16-byte ICV.
 */
int ike_aead_encrypt(uint16_t encr, const uint8_t *keysalt, size_t klen,
		     const uint8_t iv[IKE_AEAD_IV], const uint8_t *aad,
		     size_t aadlen, const uint8_t *pt, size_t len,
		     uint8_t *ct);
/* ct has len bytes + ICV; -EBADMSG when the ICV does not verify. */
int ike_aead_decrypt(uint16_t encr, const uint8_t *keysalt, size_t klen,
		     const uint8_t iv[IKE_AEAD_IV], const uint8_t *aad,
		     size_t aadlen, const uint8_t *ct, size_t len,
		     uint8_t *pt);

/*
 * SKEYSEED = prf(Ni | Nr, g^ir) (§2.14); for an IKE SA rekey (§2.18)
 * SKEYSEED = prf(SK_d(old), g^ir | Ni | Nr) when old_skd is given.
 */
int ike_skeyseed(uint16_t prf, const uint8_t *ni, size_t nil,
		 const uint8_t *nr, size_t nrl, const uint8_t *gir,
		 size_t girl, const uint8_t *old_skd, uint8_t *out);

/* The SK_* set of an IKE SA with an AEAD (no SK_a*). */
struct ike_sk {
	uint8_t d[IKE_PRF_MAX], ei[IKE_AEAD_KEY_MAX], er[IKE_AEAD_KEY_MAX];
	uint8_t pi[IKE_PRF_MAX], pr[IKE_PRF_MAX];
};

/* {SK_d|SK_ei|SK_er|SK_pi|SK_pr} = prf+(SKEYSEED, Ni|Nr|SPIi|SPIr) */
int ike_derive_sk(uint16_t prf, const uint8_t *skeyseed, const uint8_t *ni,
		  size_t nil, const uint8_t *nr, size_t nrl, uint64_t spi_i,
		  uint64_t spi_r, size_t enc_len, struct ike_sk *sk);

/*
 * CHILD_SA KEYMAT = prf+(SK_d, [g^ir |] Ni | Nr) (§2.17): i->r key||salt
 * first, then r->i.
 */
int ike_derive_child(uint16_t prf, const uint8_t *sk_d, const uint8_t *gir,
		     size_t girl, const uint8_t *ni, size_t nil,
		     const uint8_t *nr, size_t nrl, size_t key_len,
		     uint8_t *i2r, uint8_t *r2i);

/* X25519 shared secret; -EINVAL for an all-zero result (RFC 8031 §2). */
int ike_x25519(uint8_t out[32], const uint8_t sk[32], const uint8_t pk[32]);

/* SHA-1 (RFC 3174), used only for NAT detection hashes (RFC 7296 §2.23). */
void ike_sha1(const struct ike_iov *iov, int niov, uint8_t out[20]);

#endif
