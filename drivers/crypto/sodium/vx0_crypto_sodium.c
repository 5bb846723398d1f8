/* SPDX-License-Identifier: BSD-3-Clause */
/* libsodium backend of the crypto engine interface. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "vx0_crypto_sodium.h"

struct sodium_engine {
	struct vx0_crypto_engine base;
	int gcm_ok; /* crypto_aead_aes256gcm_is_available() at open */
};

/*
 * The GCM state must be 16-byte aligned; sodium_malloc only aligns when the
 * size is a multiple of the alignment, which the aligned attribute gives.
 */
struct vx0_crypto_sess {
	crypto_aead_aes256gcm_state gcm; /* precomputed (beforenm) AES-GCM state */
	uint8_t key[VX0_CRYPTO_KEY_LEN]; /* ChaCha20-Poly1305 key */
	uint8_t salt[VX0_CRYPTO_SALT_LEN];
	uint8_t alg;
} __attribute__((aligned(16)));

static int
sodium_open(const char *args, uint16_t nb_qp, struct vx0_crypto_engine **out)
{
	struct sodium_engine *e;

	(void)args;
	if (sodium_init() < 0)
		return -EIO;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->base.ops = &vx0_crypto_sodium_ops;
	e->base.nb_qp = nb_qp;
	e->gcm_ok = crypto_aead_aes256gcm_is_available();
	*out = &e->base;
	return 0;
}

static void
sodium_close(struct vx0_crypto_engine *eng)
{
	free(eng);
}

static int
sodium_alg_supported(struct vx0_crypto_engine *eng, enum vx0_crypto_alg alg)
{
	struct sodium_engine *e = (struct sodium_engine *)eng;

	switch (alg) {
	case VX0_CRYPTO_CHACHA20_POLY1305:
		return 1;
	case VX0_CRYPTO_AES_256_GCM:
		return e->gcm_ok;
	}
	return 0;
}

static int
sodium_sess_create(struct vx0_crypto_engine *eng, enum vx0_crypto_alg alg,
		   const uint8_t key[VX0_CRYPTO_KEY_LEN],
		   const uint8_t salt[VX0_CRYPTO_SALT_LEN], struct vx0_crypto_sess **out)
{
	struct vx0_crypto_sess *s;

	*out = NULL;
	if (!key || !salt)
		return -EINVAL;
	if (alg != VX0_CRYPTO_CHACHA20_POLY1305 && alg != VX0_CRYPTO_AES_256_GCM)
		return -EINVAL;
	if (!sodium_alg_supported(eng, alg))
		return -ENOTSUP;
	s = sodium_malloc(sizeof(*s));
	if (!s)
		return -ENOMEM;
	sodium_memzero(s, sizeof(*s));
	s->alg = (uint8_t)alg;
	memcpy(s->salt, salt, VX0_CRYPTO_SALT_LEN);
	if (alg == VX0_CRYPTO_AES_256_GCM)
		crypto_aead_aes256gcm_beforenm(&s->gcm, key);
	else
		memcpy(s->key, key, VX0_CRYPTO_KEY_LEN);
	*out = s;
	return 0;
}

static void
sodium_sess_destroy(struct vx0_crypto_engine *eng, struct vx0_crypto_sess *s)
{
	(void)eng;
	sodium_memzero(s, sizeof(*s));
	sodium_free(s);
}

static inline void
make_nonce(uint8_t nonce[VX0_CRYPTO_NONCE_LEN], const struct vx0_crypto_sess *s,
	   const uint8_t *iv)
{
	memcpy(nonce, s->salt, VX0_CRYPTO_SALT_LEN);
	memcpy(nonce + VX0_CRYPTO_SALT_LEN, iv, VX0_CRYPTO_IV_LEN);
}

static uint16_t
sodium_encrypt_burst(struct vx0_crypto_engine *eng, uint16_t qp,
		     struct vx0_crypto_op **ops, uint16_t n)
{
	uint8_t nonce[VX0_CRYPTO_NONCE_LEN];
	uint16_t i;

	(void)eng;
	(void)qp;
	for (i = 0; i < n; i++) {
		struct vx0_crypto_op *op = ops[i];
		const struct vx0_crypto_sess *s = op->sess;
		int rc;

		make_nonce(nonce, s, op->iv);
		if (s->alg == VX0_CRYPTO_AES_256_GCM)
			rc = crypto_aead_aes256gcm_encrypt_detached_afternm(
				op->data, op->tag, NULL, op->data, op->data_len, op->aad,
				op->aad_len, NULL, nonce, &s->gcm);
		else
			rc = crypto_aead_chacha20poly1305_ietf_encrypt_detached(
				op->data, op->tag, NULL, op->data, op->data_len, op->aad,
				op->aad_len, NULL, nonce, s->key);
		op->status = rc == 0 ? 0 : -EINVAL;
	}
	return n;
}

static uint16_t
sodium_decrypt_burst(struct vx0_crypto_engine *eng, uint16_t qp,
		     struct vx0_crypto_op **ops, uint16_t n)
{
	uint8_t nonce[VX0_CRYPTO_NONCE_LEN];
	uint16_t i;

	(void)eng;
	(void)qp;
	for (i = 0; i < n; i++) {
		struct vx0_crypto_op *op = ops[i];
		const struct vx0_crypto_sess *s = op->sess;
		int rc;

		make_nonce(nonce, s, op->iv);
		if (s->alg == VX0_CRYPTO_AES_256_GCM)
			rc = crypto_aead_aes256gcm_decrypt_detached_afternm(
				op->data, NULL, op->data, op->data_len, op->tag, op->aad,
				op->aad_len, nonce, &s->gcm);
		else
			rc = crypto_aead_chacha20poly1305_ietf_decrypt_detached(
				op->data, NULL, op->data, op->data_len, op->tag, op->aad,
				op->aad_len, nonce, s->key);
		op->status = rc == 0 ? 0 : -EBADMSG;
	}
	return n;
}

const struct vx0_crypto_engine_ops vx0_crypto_sodium_ops = {
	.name = VX0_CRYPTO_SODIUM_NAME,
	.open = sodium_open,
	.close = sodium_close,
	.alg_supported = sodium_alg_supported,
	.sess_create = sodium_sess_create,
	.sess_destroy = sodium_sess_destroy,
	.encrypt_burst = sodium_encrypt_burst,
	.decrypt_burst = sodium_decrypt_burst,
};

int
vx0_crypto_sodium_register(struct vx0_crypto_registry *reg)
{
	return vx0_crypto_register(reg, &vx0_crypto_sodium_ops);
}
