/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Anti-replay window (RFC 4303 §3.4.3) with extended sequence numbers
 * (Appendix A2). The window of W packets is kept in a ring of 2W bits
 * indexed by the low bits of the 64-bit sequence number: moving the right
 * edge clears whole 64-bit words, and with 2W bits a cleared word never
 * holds a sequence number still inside the window (the RFC 6479 idea).
 */
#include "esp_internal.h"

/*
 * Appendix A2.2: infer the high 32 bits of a received sequence number
 * from the window's right edge T = Th||Tl. Returns -EALREADY when the
 * number would fall before the start of the sequence space.
 */
static int
esn_infer(uint64_t t, uint32_t w, uint32_t seql, uint64_t *seq)
{
	uint32_t tl = (uint32_t)t, th = (uint32_t)(t >> 32);
	uint32_t bottom = tl - w + 1; /* wraps in case B, as the RFC intends */
	uint64_t seqh;

	if (tl >= w - 1) { /* case A: window within one subspace */
		if (seql >= bottom) {
			seqh = th;
		} else {
			if (th == UINT32_MAX)
				return -EALREADY; /* 2^64 would wrap */
			seqh = (uint64_t)th + 1;
		}
	} else { /* case B: window spans two subspaces */
		if (seql >= bottom) {
			if (th == 0)
				return -EALREADY;
			seqh = th - 1;
		} else {
			seqh = th;
		}
	}
	*seq = seqh << 32 | seql;
	return 0;
}

static inline int
bit_seen(const struct vx0_esp_sa *sa, uint64_t seq)
{
	uint64_t bit = seq & ((uint64_t)sa->win_words * 64 - 1);

	return (sa->bitmap[bit >> 6] >> (bit & 63)) & 1;
}

int
vx0_esp_replay_check(const struct vx0_esp_sa *sa, uint32_t seq_lo, uint64_t *seq)
{
	uint64_t s;

	if (!sa->bitmap) /* outbound SA: no window */
		return -EINVAL;
	if (sa->esn) {
		if (esn_infer(sa->seq, sa->window, seq_lo, &s) < 0)
			return -EALREADY;
	} else {
		s = seq_lo;
	}
	*seq = s;
	if (s == 0) /* never sent (RFC 4303 §3.3.3: the first packet is 1) */
		return -EALREADY;
	if (s > sa->seq)
		return 0;
	if (sa->seq - s >= sa->window)
		return -EALREADY;
	return bit_seen(sa, s) ? -EALREADY : 0;
}

int
vx0_esp_replay_update(struct vx0_esp_sa *sa, uint64_t seq)
{
	uint64_t bit = seq & ((uint64_t)sa->win_words * 64 - 1);

	if (!sa->bitmap)
		return -EINVAL;
	if (seq == 0)
		return -EALREADY;
	if (seq > sa->seq) {
		uint64_t words = (seq >> 6) - (sa->seq >> 6), i;

		if (words >= sa->win_words) {
			memset(sa->bitmap, 0, sa->win_words * sizeof(uint64_t));
		} else {
			for (i = 1; i <= words; i++)
				sa->bitmap[((sa->seq >> 6) + i) & (sa->win_words - 1)] = 0;
		}
		sa->seq = seq;
	} else {
		if (sa->seq - seq >= sa->window || bit_seen(sa, seq))
			return -EALREADY;
	}
	sa->bitmap[bit >> 6] |= 1ull << (bit & 63);
	return 0;
}
