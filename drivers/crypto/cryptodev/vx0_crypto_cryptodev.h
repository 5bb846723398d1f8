/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VX0_CRYPTO_CRYPTODEV_H
#define VX0_CRYPTO_CRYPTODEV_H

/*
 * The rte_cryptodev crypto engine ("cryptodev"): AEAD sessions on DPDK
 * crypto devices, typically the software vdevs of Debian's DPDK build
 * (crypto_aesni_mb, crypto_aesni_gcm, crypto_chacha20_poly1305 from
 * ipsec_mb; crypto_openssl, which has no ChaCha20-Poly1305).
 *
 * Open args: a comma-separated list of device names, tried in order for
 * each AEAD (the first device whose capabilities take it serves it), and
 * options:
 *   "crypto_aesni_mb0"                          one device, both AEADs
 *   "crypto_aesni_gcm0,crypto_chacha20_poly1305_0"
 *   "crypto_aesni_mb0,path=enq"                 force enqueue/dequeue
 *   sessions=N (default 8192) size of the cryptodev session pool (4 per
 *                            vx0 session for ESP)
 * A device that does not exist yet is created with rte_vdev_init (and
 * removed again on close). EAL must be up.
 *
 * Data path: ops carry plain buffers. Devices with the CPU crypto feature
 * (RTE_CRYPTODEV_FF_SYM_CPU_CRYPTO) process them synchronously with
 * rte_cryptodev_sym_cpu_crypto_process (path=cpu, the default); the
 * others get rte_crypto_ops whose source is an mbuf attached to the
 * caller's buffer as an external buffer, enqueued on the device queue
 * pair of the caller's qp and polled until every op is back (a burst
 * returns with all its ops finished, as the interface requires). The
 * enqueue path gives the PMD the buffer's virtual address as IOVA unless
 * the buffer lies in DPDK memory: right for software PMDs; a hardware
 * PMD needs packet buffers in DPDK memory.
 *
 * Cryptodev AEAD sessions fix the AAD length, the interface's op does
 * not, so a vx0 session holds one cryptodev session per AAD length seen:
 * 8 and 12 (ESP without and with ESN) made at creation, up to
 * VX0_CRYPTODEV_AAD_SLOTS (length, direction) pairs in all, others made on
 * first use (a direction is part of a cryptodev AEAD session).
 */

#include "vx0_crypto.h"

#define VX0_CRYPTO_CRYPTODEV_NAME "cryptodev"
#define VX0_CRYPTODEV_MAX_DEVS 4
#define VX0_CRYPTODEV_AAD_SLOTS 8 /* (AAD length, direction) pairs */

extern const struct vx0_crypto_engine_ops vx0_crypto_cryptodev_ops;

/* vx0_crypto_register(reg, &vx0_crypto_cryptodev_ops) */
int vx0_crypto_cryptodev_register(struct vx0_crypto_registry *reg);

/* Which data path serves alg on this engine: 1 CPU crypto, 0 enqueue/dequeue,
 * -ENOTSUP no device takes alg. For tests and benchmarks. */
int vx0_crypto_cryptodev_alg_path(struct vx0_crypto_engine *eng, enum vx0_crypto_alg alg);

/* Name of the device serving alg, or NULL. */
const char *vx0_crypto_cryptodev_alg_dev(struct vx0_crypto_engine *eng,
					 enum vx0_crypto_alg alg);

#endif
