/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VX0_CRYPTO_H
#define VX0_CRYPTO_H

/*
 * The crypto engine interface: AEAD sessions and burst encrypt/decrypt of
 * operations done in place on packet memory, with the tag at its own
 * pointer. Backends (drivers/crypto/sodium, later an rte_cryptodev one)
 * fill in a struct vx0_crypto_engine_ops and are registered by name in a
 * registry owned by the application; a node's config names the engine.
 *
 * The shape follows rte_cryptodev so that backend can map 1:1: a burst of
 * op pointers per queue pair, the cipher range (data, data_len) processed
 * in place, AAD and IV by pointer, the 16-byte ICV at 'tag'. Nonce is
 * salt(4, kept in the session) || iv(8), as RFC 4106 §4 and RFC 7634 §2.
 *
 * DPDK-free: no DPDK header here or in the sodium backend.
 */

#include <stdint.h>

enum vx0_crypto_alg {
	VX0_CRYPTO_CHACHA20_POLY1305 = 1, /* RFC 8439 AEAD, RFC 7634 for ESP */
	VX0_CRYPTO_AES_256_GCM = 2,       /* 16-byte ICV, RFC 4106 for ESP */
};

#define VX0_CRYPTO_KEY_LEN 32
#define VX0_CRYPTO_SALT_LEN 4
#define VX0_CRYPTO_IV_LEN 8
#define VX0_CRYPTO_NONCE_LEN 12
#define VX0_CRYPTO_TAG_LEN 16

struct vx0_crypto_engine;
struct vx0_crypto_sess; /* engine-private; holds key and salt */

/* One AEAD operation. The caller sets every field but 'status'. */
struct vx0_crypto_op {
	struct vx0_crypto_sess *sess;
	const uint8_t *iv;   /* VX0_CRYPTO_IV_LEN bytes */
	const uint8_t *aad;  /* aad_len bytes (ESP: 8, or 12 with ESN) */
	uint8_t *data;       /* plaintext/ciphertext, transformed in place */
	uint8_t *tag;        /* VX0_CRYPTO_TAG_LEN bytes: written (enc), read (dec) */
	void *user;          /* caller's cookie, untouched by engines; a cryptodev
			      * backend takes the mbuf from here (data - mtod
			      * gives the cipher offset) */
	uint32_t data_len;
	uint16_t aad_len;
	int16_t status;      /* out: 0, -EBADMSG (tag mismatch), -EINVAL */
};

struct vx0_crypto_engine_ops {
	const char *name;
	/* args: backend-specific string (may be NULL); nb_qp: queue pairs,
	 * one per data-plane lcore that calls the bursts. */
	int (*open)(const char *args, uint16_t nb_qp, struct vx0_crypto_engine **out);
	void (*close)(struct vx0_crypto_engine *eng);
	/* 1 if the engine can run alg here, 0 if not */
	int (*alg_supported)(struct vx0_crypto_engine *eng, enum vx0_crypto_alg alg);
	int (*sess_create)(struct vx0_crypto_engine *eng, enum vx0_crypto_alg alg,
			   const uint8_t key[VX0_CRYPTO_KEY_LEN],
			   const uint8_t salt[VX0_CRYPTO_SALT_LEN],
			   struct vx0_crypto_sess **out);
	/* wipes the key material */
	void (*sess_destroy)(struct vx0_crypto_engine *eng, struct vx0_crypto_sess *sess);
	/* Process ops[0..n) on queue pair qp. Returns how many ops were
	 * processed (their status is set); the rest were not taken (a
	 * full hardware queue) and stay with the caller. Never blocks. */
	uint16_t (*encrypt_burst)(struct vx0_crypto_engine *eng, uint16_t qp,
				  struct vx0_crypto_op **ops, uint16_t n);
	uint16_t (*decrypt_burst)(struct vx0_crypto_engine *eng, uint16_t qp,
				  struct vx0_crypto_op **ops, uint16_t n);
};

/* Every engine's private struct starts with this. */
struct vx0_crypto_engine {
	const struct vx0_crypto_engine_ops *ops;
	uint16_t nb_qp;
};

/* The registry of engine backends; the application owns it (no globals). */
#define VX0_CRYPTO_MAX_ENGINES 8
struct vx0_crypto_registry {
	const struct vx0_crypto_engine_ops *ops[VX0_CRYPTO_MAX_ENGINES];
	unsigned int n;
};

void vx0_crypto_registry_init(struct vx0_crypto_registry *reg);
/* -EINVAL (incomplete ops), -EEXIST (name taken), -ENOSPC (full) */
int vx0_crypto_register(struct vx0_crypto_registry *reg,
			const struct vx0_crypto_engine_ops *ops);
const struct vx0_crypto_engine_ops *
vx0_crypto_find(const struct vx0_crypto_registry *reg, const char *name);
/* Open the engine called 'name'; -ENOENT when none is registered. */
int vx0_crypto_engine_open(const struct vx0_crypto_registry *reg, const char *name,
			   const char *args, uint16_t nb_qp,
			   struct vx0_crypto_engine **out);
void vx0_crypto_engine_close(struct vx0_crypto_engine *eng);
const char *vx0_crypto_alg_name(enum vx0_crypto_alg alg);
/* "chacha20-poly1305"/"chacha20poly1305", "aes256gcm16"/"aes-256-gcm": 0 or -EINVAL */
int vx0_crypto_alg_parse(const char *s, enum vx0_crypto_alg *alg);

static inline int
vx0_crypto_alg_supported(struct vx0_crypto_engine *eng, enum vx0_crypto_alg alg)
{
	return eng->ops->alg_supported(eng, alg);
}

static inline int
vx0_crypto_sess_create(struct vx0_crypto_engine *eng, enum vx0_crypto_alg alg,
		       const uint8_t *key, const uint8_t *salt,
		       struct vx0_crypto_sess **out)
{
	return eng->ops->sess_create(eng, alg, key, salt, out);
}

static inline void
vx0_crypto_sess_destroy(struct vx0_crypto_engine *eng, struct vx0_crypto_sess *sess)
{
	if (sess)
		eng->ops->sess_destroy(eng, sess);
}

static inline uint16_t
vx0_crypto_encrypt_burst(struct vx0_crypto_engine *eng, uint16_t qp,
			 struct vx0_crypto_op **ops, uint16_t n)
{
	return eng->ops->encrypt_burst(eng, qp, ops, n);
}

static inline uint16_t
vx0_crypto_decrypt_burst(struct vx0_crypto_engine *eng, uint16_t qp,
			 struct vx0_crypto_op **ops, uint16_t n)
{
	return eng->ops->decrypt_burst(eng, qp, ops, n);
}

#endif
