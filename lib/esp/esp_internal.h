/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VX0_ESP_INTERNAL_H
#define VX0_ESP_INTERNAL_H

/* Helpers shared by the ESP files: big-endian access, checksums, drops. */

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "vx0_esp.h"

#define IPPROTO_ESP_ 50
#define IPPROTO_UDP_ 17

static inline uint16_t
ld16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
ld32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void
st16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
st32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline void
st64(uint8_t *p, uint64_t v)
{
	st32(p, (uint32_t)(v >> 32));
	st32(p + 4, (uint32_t)v);
}

/* one's-complement sum of 16-bit big-endian words, not folded */
static inline uint32_t
csum_add(uint32_t sum, const uint8_t *p, uint32_t len)
{
	while (len >= 2) {
		sum += ld16(p);
		p += 2;
		len -= 2;
	}
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static inline uint16_t
csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Count a drop in the SA and return its errno. */
static inline int
esp_drop(struct vx0_esp_sa *sa, enum vx0_esp_drop reason)
{
	sa->stats.drops[reason]++;
	return vx0_esp_drop_errno(reason);
}

/* Lifetime accounting after a good packet; returns VX0_ESP_SOFT_EXPIRED
 * the first time a soft limit is reached. */
static inline int
esp_account(struct vx0_esp_sa *sa, uint32_t bytes)
{
	sa->stats.packets++;
	sa->stats.bytes += bytes;
	if (!sa->soft_fired &&
	    ((sa->soft.packets && sa->stats.packets >= sa->soft.packets) ||
	     (sa->soft.bytes && sa->stats.bytes >= sa->soft.bytes))) {
		sa->soft_fired = 1;
		return VX0_ESP_SOFT_EXPIRED;
	}
	return 0;
}

/* Would one more packet of 'bytes' pass the hard limits? Marks the SA. */
static inline int
esp_hard_hit(struct vx0_esp_sa *sa, uint32_t bytes)
{
	if (sa->hard_expired)
		return 1;
	if ((sa->hard.packets && sa->stats.packets + 1 > sa->hard.packets) ||
	    (sa->hard.bytes && sa->stats.bytes + bytes > sa->hard.bytes)) {
		sa->hard_expired = 1;
		return 1;
	}
	return 0;
}

#endif
