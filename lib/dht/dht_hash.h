/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VX0_DHT_HASH_H
#define VX0_DHT_HASH_H

/*
 * The two hashes the mainline wire format fixes and libsodium lacks:
 * SHA-1 (FIPS 180-4; BEP 44 targets and immutable item ids, not used for
 * any security decision of ours beyond what the BEP mandates) and CRC32C
 * (Castagnoli; BEP 42 node id prefixes).
 */

#include <stddef.h>
#include <stdint.h>

struct vx0_sha1 {
	uint32_t h[5];
	uint64_t len;
	uint8_t buf[64];
	size_t blen;
};

void vx0_sha1_init(struct vx0_sha1 *c);
void vx0_sha1_update(struct vx0_sha1 *c, const void *p, size_t n);
void vx0_sha1_final(struct vx0_sha1 *c, uint8_t out[20]);
void vx0_sha1(const void *p, size_t n, uint8_t out[20]);

uint32_t vx0_crc32c(uint32_t crc, const void *p, size_t n);

#endif
