/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-hop layer crypto (doc/onion.md section 5).
 *
 * Forward, every hop authenticates its own layer: ChaCha20-Poly1305 (RFC
 * 8439) over the whole remaining body, nonce = 0^32 | seq. A cell altered
 * anywhere upstream fails at the first honest hop, before any later hop
 * can see it: that is what defeats tagging. The hop strips its 24-byte
 * header and appends 24 bytes of its own keystream, so the body never
 * changes size (Sphinx); the client precomputes those bytes (the filler)
 * so that every downstream tag still verifies.
 *
 * Backward, relays add an unauthenticated stream layer and prepend their
 * seq, dropping 8 tail bytes; the originating hop seals its message with
 * the AEAD and the client trial-opens hop by hop.
 *
 * No allocation; keys are the caller's (precomputed, in sodium memory).
 */
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "vx0_onion.h"

#define L VX0_ONION_BODY_LEN
#define H VX0_ONION_HOP_HDR_LEN
#define M VX0_ONION_FWD_PT_LEN

static inline void
put_be64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static inline uint64_t
get_be64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static inline void
make_nonce(uint8_t n[12], uint64_t seq)
{
	memset(n, 0, 4);
	put_be64(n + 4, seq);
}

/* Bytes [off, off+len) of the message keystream (which starts at ChaCha20
 * block 1, as in the AEAD) for key/seq. len + 63 <= 256. */
static void
keystream_at(uint8_t *out, size_t len, const uint8_t key[32], uint64_t seq, size_t off)
{
	uint8_t tmp[256 + 64];
	uint8_t nonce[12];
	size_t skip = off % 64;

	make_nonce(nonce, seq);
	memset(tmp, 0, skip + len);
	crypto_stream_chacha20_ietf_xor_ic(tmp, tmp, skip + len, nonce,
					   (uint32_t)(1 + off / 64), key);
	memcpy(out, tmp + skip, len);
	sodium_memzero(tmp, skip + len);
}

/*
 * ChaCha20-Poly1305 as in RFC 8439 (empty AAD), written out so that the
 * 32 bytes of block 0 the AEAD leaves unused come for free: they are the
 * 24-byte forward pad and the 16-byte backward tail (doc/onion.md 5.1).
 * Same bytes on the wire as crypto_aead_chacha20poly1305_ietf_*.
 */
static void
mac(uint8_t tag[16], const uint8_t block0[64], const uint8_t *ct, size_t len)
{
	static const uint8_t zeros[16];
	crypto_onetimeauth_poly1305_state st;
	uint8_t lens[16];

	crypto_onetimeauth_poly1305_init(&st, block0);
	crypto_onetimeauth_poly1305_update(&st, ct, len);
	if (len % 16)
		crypto_onetimeauth_poly1305_update(&st, zeros, 16 - len % 16);
	memset(lens, 0, 8); /* AAD length 0, then the ciphertext length, little-endian */
	{
		uint64_t l = len;
		int i;

		for (i = 0; i < 8; i++, l >>= 8) /* little-endian length */
			lens[8 + i] = (uint8_t)l;
	}
	crypto_onetimeauth_poly1305_update(&st, lens, sizeof(lens));
	crypto_onetimeauth_poly1305_final(&st, tag);
	sodium_memzero(&st, sizeof(st));
}

/* Verify (and when decrypt, decrypt in place); extra gets block 0's
 * bytes [32, 32 + extra_len). -1 when the tag is wrong, buffer untouched. */
static int
open_inplace(const uint8_t key[32], uint64_t seq, uint8_t *ct, size_t len, const uint8_t *tag,
	     int decrypt, uint8_t *extra, size_t extra_len)
{
	uint8_t nonce[12], block0[64], want[16];
	int rc;

	make_nonce(nonce, seq);
	crypto_stream_chacha20_ietf(block0, sizeof(block0), nonce, key);
	mac(want, block0, ct, len);
	rc = crypto_verify_16(want, tag);
	if (rc == 0 && decrypt) {
		crypto_stream_chacha20_ietf_xor_ic(ct, ct, len, nonce, 1, key);
		if (extra)
			memcpy(extra, block0 + 32, extra_len);
	}
	sodium_memzero(block0, sizeof(block0));
	return rc;
}

static void
seal_inplace(const uint8_t key[32], uint64_t seq, uint8_t *pt, size_t len, uint8_t tag[16],
	     uint8_t *extra, size_t extra_len)
{
	uint8_t nonce[12], block0[64];

	make_nonce(nonce, seq);
	crypto_stream_chacha20_ietf(block0, sizeof(block0), nonce, key);
	crypto_stream_chacha20_ietf_xor_ic(pt, pt, len, nonce, 1, key);
	mac(tag, block0, pt, len);
	if (extra)
		memcpy(extra, block0 + 32, extra_len);
	sodium_memzero(block0, sizeof(block0));
}

/* block 0's bytes [32, 32 + len) for key/seq (the client's filler) */
static void
block0_extra(uint8_t *out, size_t len, const uint8_t key[32], uint64_t seq)
{
	uint8_t nonce[12], block0[64];

	make_nonce(nonce, seq);
	crypto_stream_chacha20_ietf(block0, sizeof(block0), nonce, key);
	memcpy(out, block0 + 32, len);
	sodium_memzero(block0, sizeof(block0));
}

void
vx0_onion_replay_init(struct vx0_onion_replay *w, uint64_t base)
{
	w->top = base;
	w->bitmap = 1; /* base itself is never sent: the first seq is base + 1 */
}

static inline int
replay_ok(const struct vx0_onion_replay *w, uint64_t seq)
{
	uint64_t diff;

	if (seq > w->top)
		return 1;
	diff = w->top - seq;
	if (diff >= 64)
		return 0;
	return !(w->bitmap & (1ull << diff));
}

static inline void
replay_update(struct vx0_onion_replay *w, uint64_t seq)
{
	if (seq > w->top) {
		uint64_t shift = seq - w->top;

		w->bitmap = shift >= 64 ? 0 : w->bitmap << shift;
		w->bitmap |= 1;
		w->top = seq;
	} else {
		w->bitmap |= 1ull << (w->top - seq);
	}
}

/* The sequence number of a cell to peel: 0 and *seq when it is fresh,
 * -EALREADY for a replay, -EBADMSG for a bad or altered one. A seen or too
 * old seq is authenticated anyway: a true replay is only dropped, but one
 * altered on the way must tear the circuit down like any other alteration. */
static int
peel_seq(const uint8_t kf[32], const struct vx0_onion_replay *w, uint8_t *body, uint64_t *seq)
{
	*seq = get_be64(body);
	if (*seq == 0 || (*seq >> 63))
		return -EBADMSG;
	if (!replay_ok(w, *seq))
		return open_inplace(kf, *seq, body + H, M, body + 8, 0, NULL, 0) != 0 ? -EBADMSG
										       : -EALREADY;
	return 0;
}

int
vx0_onion_layer_peel(const uint8_t kf[32], struct vx0_onion_replay *w, uint8_t *body)
{
	uint8_t pad[H];
	uint64_t seq;
	int rc = peel_seq(kf, w, body, &seq);

	if (rc < 0)
		return rc;
	if (open_inplace(kf, seq, body + H, M, body + 8, 1, pad, H) != 0)
		return -EBADMSG;
	replay_update(w, seq);
	memmove(body, body + H, M);
	memcpy(body + M, pad, H);
	return (body[0] & 0x80) ? VX0_ONION_PEEL_TERMINAL : VX0_ONION_PEEL_FORWARD;
}

int
vx0_onion_layer_peel_shift(const uint8_t kf[32], struct vx0_onion_replay *w, uint8_t *body)
{
	uint64_t seq;
	int rc = peel_seq(kf, w, body, &seq);

	if (rc < 0)
		return rc;
	/* the pad goes straight after the body: no shift of the plaintext */
	if (open_inplace(kf, seq, body + H, M, body + 8, 1, body + L, H) != 0)
		return -EBADMSG;
	replay_update(w, seq);
	return (body[H] & 0x80) ? VX0_ONION_PEEL_TERMINAL : VX0_ONION_PEEL_FORWARD;
}

unsigned int
vx0_onion_layer_peel_burst(const uint8_t kf[32], struct vx0_onion_replay *w,
			   uint8_t *const *bodies, unsigned int n, int *res)
{
	unsigned int i, good = 0;

	for (i = 0; i < n; i++) {
		res[i] = vx0_onion_layer_peel(kf, w, bodies[i]);
		good += res[i] >= 0;
	}
	return good;
}

void
vx0_onion_layer_wrap(const uint8_t kb[32], uint64_t seq, uint8_t *body)
{
	uint8_t nonce[12];

	make_nonce(nonce, seq);
	memmove(body + 8, body, L - 8);
	put_be64(body, seq);
	crypto_stream_chacha20_ietf_xor_ic(body + 8, body + 8, L - 8, nonce, 1, kb);
}

void
vx0_onion_layer_wrap_burst(const uint8_t kb[32], uint64_t *seq, uint8_t *const *bodies,
			   unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		vx0_onion_layer_wrap(kb, ++*seq, bodies[i]);
}

void
vx0_onion_layer_originate(const uint8_t key[32], uint64_t seq, uint8_t *body)
{
	put_be64(body, seq);
	/* the tail the relays will drop: keystream (block 0's spare bytes),
	 * so that a cell that reaches the client unwrapped looks like any other */
	seal_inplace(key, seq, body + H, VX0_ONION_BWD_CT_LEN, body + 8,
		     body + H + VX0_ONION_BWD_CT_LEN, L - H - VX0_ONION_BWD_CT_LEN);
}

void
vx0_onion_client_hop_init(struct vx0_onion_client_hop *h, const struct vx0_onion_hop_keys *k)
{
	h->k = *k;
	h->fseq = k->fseq_base;
	vx0_onion_replay_init(&h->bwin, k->bseq_base);
	vx0_onion_replay_init(&h->cwin, k->cseq_base);
}

int
vx0_onion_client_seal(struct vx0_onion_client_hop *hops, unsigned int target,
		      const uint8_t *msg, size_t msg_len, uint8_t *body)
{
	uint8_t filler[H * VX0_ONION_MAX_HOPS], ks[H * VX0_ONION_MAX_HOPS + H];
	uint64_t seq[VX0_ONION_MAX_HOPS];
	unsigned int i, j;
	size_t flen = 0;

	if (target >= VX0_ONION_MAX_HOPS || msg_len > M - H * target)
		return -EINVAL;
	for (i = 0; i <= target; i++)
		seq[i] = ++hops[i].fseq;

	/* filler: what hops 0..target-1 leave in the tail of the body that
	 * reaches hop `target` (doc/onion.md 5.2) */
	for (i = 0; i < target; i++) {
		if (flen) {
			keystream_at(ks, flen, hops[i].k.kf, seq[i], M - flen);
			for (j = 0; j < flen; j++)
				filler[j] ^= ks[j];
		}
		block0_extra(filler + flen, H, hops[i].k.kf, seq[i]); /* hop i's pad */
		flen += H;
	}

	/* the target's plaintext: message, zeros, and a tail chosen so that
	 * its ciphertext tail equals the filler */
	memset(body, 0, L);
	memcpy(body + H, msg, msg_len);
	if (flen) {
		keystream_at(ks, flen, hops[target].k.kf, seq[target], M - flen);
		for (j = 0; j < flen; j++)
			body[H + M - flen + j] = filler[j] ^ ks[j];
	}
	for (i = target + 1; i-- > 0;) {
		if (i != target)
			memmove(body + H, body, M); /* the inner body's tail is the pad */
		put_be64(body, seq[i]);
		seal_inplace(hops[i].k.kf, seq[i], body + H, M, body + 8, NULL, 0);
	}
	sodium_memzero(ks, sizeof(ks));
	sodium_memzero(filler, sizeof(filler));
	return 0;
}

int
vx0_onion_client_open(struct vx0_onion_client_hop *hops, unsigned int n, uint8_t *body,
		      unsigned int *from)
{
	uint8_t tmp[VX0_ONION_BWD_CT_LEN];
	uint8_t nonce[12];
	unsigned int i;

	if (n == 0 || n > VX0_ONION_MAX_HOPS)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		uint64_t seq = get_be64(body);

		int kind;

		make_nonce(nonce, seq);
		/* sealed by hop i, with its data key or its control key? */
		for (kind = VX0_ONION_OPEN_DATA; kind <= VX0_ONION_OPEN_CONTROL; kind++) {
			struct vx0_onion_replay *w = kind ? &hops[i].cwin : &hops[i].bwin;

			memcpy(tmp, body + H, sizeof(tmp));
			if (open_inplace(kind ? hops[i].k.kc : hops[i].k.kb, seq, tmp, sizeof(tmp),
					 body + 8, 1, NULL, 0) != 0)
				continue;
			if (!replay_ok(w, seq)) {
				sodium_memzero(tmp, sizeof(tmp));
				return -EALREADY;
			}
			replay_update(w, seq);
			memcpy(body, tmp, sizeof(tmp));
			memset(body + sizeof(tmp), 0, L - sizeof(tmp));
			sodium_memzero(tmp, sizeof(tmp));
			*from = i;
			return kind;
		}
		/* not sealed by hop i: remove its stream layer */
		crypto_stream_chacha20_ietf_xor_ic(body + 8, body + 8, L - 8, nonce, 1,
						   hops[i].k.kb);
		memmove(body, body + 8, L - 8);
		memset(body + L - 8, 0, 8);
	}
	return -EBADMSG;
}
