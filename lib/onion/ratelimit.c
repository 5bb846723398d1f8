/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Token buckets for handshake admission (doc/onion.md section 7): the
 * public-key work of a CREATE sits behind a cheap per-source and global
 * check, in the spirit of WireGuard's cookie/limiter and Tor's
 * handshake-flood defences.
 */
#include "vx0_onion.h"

static void
refill(struct vx0_onion_bucket *b, uint32_t rate, uint32_t burst, uint64_t now_ms)
{
	uint64_t cap = (uint64_t)burst * 1000;

	if (!b->primed) {
		b->primed = 1;
		b->milli = cap;
		b->last_ms = now_ms;
		return;
	}
	if (now_ms > b->last_ms) {
		/* a day refills any bucket; the cap keeps dt * rate in range */
		uint64_t dt = now_ms - b->last_ms > 86400000ull ? 86400000ull : now_ms - b->last_ms;
		/* rate tokens/s = rate milli-tokens/ms */
		uint64_t add = dt * rate;

		b->milli = b->milli + add > cap ? cap : b->milli + add;
		b->last_ms = now_ms;
	}
}

int
vx0_onion_bucket_take(struct vx0_onion_bucket *b, uint32_t rate, uint32_t burst, uint64_t now_ms)
{
	refill(b, rate, burst, now_ms);
	if (b->milli < 1000)
		return 0;
	b->milli -= 1000;
	return 1;
}

uint32_t
vx0_onion_bucket_level(struct vx0_onion_bucket *b, uint32_t rate, uint32_t burst, uint64_t now_ms)
{
	refill(b, rate, burst, now_ms);
	return (uint32_t)(b->milli / 1000);
}

int
vx0_onion_cell_is_handshake(const uint8_t *cell, size_t len)
{
	return len == VX0_ONION_CELL_LEN && cell[0] == VX0_ONION_VERSION &&
	       cell[1] == VX0_ONION_CMD_CREATE;
}
