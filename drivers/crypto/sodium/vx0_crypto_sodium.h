/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VX0_CRYPTO_SODIUM_H
#define VX0_CRYPTO_SODIUM_H

/*
 * The libsodium crypto engine ("sodium"): synchronous, every op of a burst
 * is done when the burst returns. ChaCha20-Poly1305 always; AES-256-GCM
 * only where crypto_aead_aes256gcm_is_available() (AES-NI + PCLMUL).
 * Sessions live in sodium_malloc'd memory (guard pages, mlocked) and are
 * wiped on destroy.
 */

#include "vx0_crypto.h"

#define VX0_CRYPTO_SODIUM_NAME "sodium"

extern const struct vx0_crypto_engine_ops vx0_crypto_sodium_ops;

/* vx0_crypto_register(reg, &vx0_crypto_sodium_ops) */
int vx0_crypto_sodium_register(struct vx0_crypto_registry *reg);

#endif
