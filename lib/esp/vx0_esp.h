/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VX0_ESP_H
#define VX0_ESP_H

/*
 * IPsec ESP (RFC 4303) in tunnel mode, DPDK-free, in place on a packet
 * buffer. AEADs: ChaCha20-Poly1305 (RFC 7634) and AES-256-GCM (RFC 4106),
 * through the crypto engine interface (lib/crypto). 64-bit extended
 * sequence numbers, an anti-replay window of 64..4096 packets (RFC 4303
 * §3.4.3, Appendix A2), optional TFC padding, UDP encapsulation (RFC 3948),
 * lifetimes in bytes/packets/seconds.
 *
 * Each direction is split around the engine burst, so a data-plane lcore
 * prepares a burst of packets, runs one engine call, then finishes them:
 *
 *   out: vx0_esp_encap_prepare() ... vx0_crypto_encrypt_burst() ...
 *        vx0_esp_encap_finish()
 *   in:  vx0_esp_peek_spi() -> SAD lookup -> vx0_esp_decap_prepare()
 *        (replay check) ... vx0_crypto_decrypt_burst() ...
 *        vx0_esp_decap_finish() (replay update after auth, trailer, strip)
 *
 * An SA is used by one lcore at a time (flow affinity by SPI), so its
 * sequence number, window and counters take no locks.
 *
 * Return codes: >= 0 success, possibly with VX0_ESP_SOFT_EXPIRED set (the
 * SA crossed a soft lifetime: start a rekey); < 0 the packet must be
 * dropped, a negative errno that maps 1:1 to a drop reason
 * (vx0_esp_drop_reason()); the reason is already counted in the SA.
 */

#include <stdbool.h>
#include <stdint.h>

#include "vx0_crypto.h"

#define VX0_ESP_HDR_LEN 8 /* SPI + sequence number */
#define VX0_ESP_IV_LEN VX0_CRYPTO_IV_LEN
#define VX0_ESP_ICV_LEN VX0_CRYPTO_TAG_LEN
#define VX0_ESP_UDP_PORT 4500
#define VX0_ESP_REPLAY_DEFAULT 1024
#define VX0_ESP_REPLAY_MIN 64
#define VX0_ESP_REPLAY_MAX 4096

/* worst-case room encap needs around the inner packet (no TFC padding) */
#define VX0_ESP_MAX_HEADROOM (40 + 8 + VX0_ESP_HDR_LEN + VX0_ESP_IV_LEN)
#define VX0_ESP_MAX_TAILROOM (3 + 2 + VX0_ESP_ICV_LEN)

#define VX0_ESP_NH_IPV4 4
#define VX0_ESP_NH_IPV6 41
#define VX0_ESP_NH_NONE 59 /* TFC dummy packet (RFC 4303 §2.6) */

#define VX0_ESP_SOFT_EXPIRED 1 /* flag in a success return */
#define VX0_ESP_HARD_EXPIRED 2 /* flag from vx0_esp_sa_tick() only */

enum vx0_esp_dir {
	VX0_ESP_DIR_IN = 0,
	VX0_ESP_DIR_OUT = 1,
};

/* Outer IPv4 DF bit on encap. */
enum vx0_esp_df {
	VX0_ESP_DF_COPY = 0, /* from the inner IPv4 header; set for inner IPv6 */
	VX0_ESP_DF_SET = 1,
	VX0_ESP_DF_CLEAR = 2,
};

enum vx0_esp_drop {
	VX0_ESP_DROP_UNKNOWN_SPI,  /* -ENOENT: no SA (counted by the caller) */
	VX0_ESP_DROP_REPLAY,       /* -EALREADY: duplicate or left of the window */
	VX0_ESP_DROP_AUTH,         /* -EBADMSG: ICV mismatch */
	VX0_ESP_DROP_BAD_PAD,      /* -EILSEQ: pad length or pad bytes wrong */
	VX0_ESP_DROP_TRUNCATED,    /* -EMSGSIZE: shorter than its headers say */
	VX0_ESP_DROP_LIFETIME,     /* -EKEYEXPIRED: hard lifetime reached */
	VX0_ESP_DROP_BAD_NEXT_HDR, /* -EPROTONOSUPPORT: next header not 4/41/59 */
	VX0_ESP_DROP_BAD_INNER,    /* -EPROTO: inner IP header inconsistent */
	VX0_ESP_DROP_MALFORMED,    /* -EINVAL: outer header not ESP, fragment */
	VX0_ESP_DROP_TFC_DUMMY,    /* -ENOMSG: next header 59, dropped silently */
	VX0_ESP_DROP_NO_ROOM,      /* -ENOBUFS: head/tailroom short, too big */
	VX0_ESP_DROP_SEQ_OVERFLOW, /* -EOVERFLOW: sequence space used up */
	VX0_ESP_DROP_CRYPTO,       /* -EIO: engine error, or op not taken */
	VX0_ESP_DROP_ECN,          /* -ECANCELED: outer CE, inner Not-ECT (RFC 6040) */
	VX0_ESP_DROP_MAX
};

/* 0 = no limit. Seconds count from the SA's creation (conf.now). */
struct vx0_esp_lifetime {
	uint64_t bytes;   /* inner packet bytes */
	uint64_t packets;
	uint64_t seconds;
};

/* Per-SA counters; the same struct serves per-lcore SA-less drops. */
struct vx0_esp_stats {
	uint64_t packets; /* good packets */
	uint64_t bytes;   /* their inner bytes */
	uint64_t drops[VX0_ESP_DROP_MAX];
};

struct vx0_esp_sa_conf {
	uint32_t spi;
	enum vx0_esp_dir dir;
	enum vx0_crypto_alg alg;
	const uint8_t *key;  /* VX0_CRYPTO_KEY_LEN; copied into the engine session */
	const uint8_t *salt; /* VX0_CRYPTO_SALT_LEN */
	struct vx0_crypto_engine *engine;
	/* Tunnel endpoints, network order; family 4 or 6. Outbound writes
	 * them into the outer header; inbound does not check them (the SA
	 * is found by SPI, RFC 4301 §4.1). */
	uint8_t family;
	uint8_t src[16];
	uint8_t dst[16];
	bool esn;
	uint32_t replay_window; /* inbound; 0 = 1024; power of two 64..4096 */
	struct vx0_esp_lifetime soft, hard;
	uint64_t now;           /* seconds, the clock vx0_esp_sa_tick() uses */
	/* RFC 3948: both non-zero puts ESP in UDP (outbound); inbound takes
	 * ESP plain and in UDP whatever is set here. */
	uint16_t udp_sport, udp_dport;
	uint16_t tfc_pad;       /* outbound: pad the inner packet to this size */
	enum vx0_esp_df df;
	uint64_t seq;           /* outbound: last sequence number sent (normally 0) */
	/* IV = 64-bit sequence number + iv_seed (unique per key as the
	 * sequence number is). NULL: 8 random bytes. */
	const uint8_t *iv_seed;
};

struct vx0_esp_sa {
	uint32_t spi;
	uint8_t dir;
	uint8_t alg;
	uint8_t esn;
	uint8_t family;
	uint8_t udp;            /* outbound UDP encapsulation on */
	uint8_t df;
	uint8_t soft_fired;     /* soft expiry reported already */
	uint8_t hard_expired;
	uint16_t udp_sport, udp_dport;
	uint16_t tfc_pad;
	uint16_t ip_id;
	struct vx0_crypto_engine *engine;
	struct vx0_crypto_sess *sess; /* holds the key (sodium_malloc'd by sodium) */
	uint8_t src[16];
	uint8_t dst[16];
	uint64_t seq;           /* out: last sent; in: highest authenticated (T) */
	uint64_t iv_seed;
	uint32_t window;        /* replay window size W */
	uint32_t win_words;     /* bitmap words (2W bits), a power of two */
	uint64_t *bitmap;
	struct vx0_esp_lifetime soft, hard;
	uint64_t birth;
	struct vx0_esp_stats stats;
};

/* Where the packet is: data[0..len) with room before and after it. An mbuf
 * maps on it as data = rte_pktmbuf_mtod, headroom, tailroom. */
struct vx0_esp_buf {
	uint8_t *data;
	uint32_t len;
	uint32_t headroom;
	uint32_t tailroom;
};

/* Per-packet state between prepare and finish; cop goes to the engine.
 * prepare fills every cop field except cop.user, which is the caller's. */
struct vx0_esp_op {
	struct vx0_crypto_op cop;
	uint64_t seq;      /* 64-bit sequence number of this packet */
	uint32_t esp_off;  /* offset of the ESP header from buf->data (outer IP+UDP length) */
	uint32_t ct_len;   /* encrypted payload+padding+trailer length */
	uint8_t outer_v6_udp; /* encap: IPv6 UDP checksum to fill in at finish */
	uint8_t aad[12];   /* SPI || seq_hi || seq_lo when ESN is on */
};

/* Create/destroy an SA; the key goes into an engine session. -EINVAL bad
 * conf, -ENOTSUP alg not on this engine, -ENOMEM. */
int vx0_esp_sa_create(const struct vx0_esp_sa_conf *conf, struct vx0_esp_sa **out);
void vx0_esp_sa_destroy(struct vx0_esp_sa *sa);

/* Time-based lifetimes: call with the current time (seconds, same clock
 * as conf.now). Returns 0, or VX0_ESP_SOFT_EXPIRED / VX0_ESP_HARD_EXPIRED
 * flags the first time each is crossed. After hard expiry every packet of
 * the SA is dropped (VX0_ESP_DROP_LIFETIME). */
int vx0_esp_sa_tick(struct vx0_esp_sa *sa, uint64_t now);

/* Outbound. buf holds an inner IPv4/IPv6 packet; on success of finish it
 * holds outer IP (+UDP) + ESP. */
int vx0_esp_encap_prepare(struct vx0_esp_sa *sa, struct vx0_esp_buf *buf,
			  struct vx0_esp_op *op);
int vx0_esp_encap_finish(struct vx0_esp_sa *sa, struct vx0_esp_buf *buf,
			 struct vx0_esp_op *op);

/* Outbound TFC dummy packet (RFC 4303 §2.6): next header 59 and len zero
 * bytes of payload, so on the wire it looks like a data packet of that
 * size. Built at buf->data (its len bytes are overwritten); finish with
 * vx0_esp_encap_finish. Uses a sequence number, not the lifetimes. */
int vx0_esp_encap_dummy_prepare(struct vx0_esp_sa *sa, struct vx0_esp_buf *buf,
				uint32_t len, struct vx0_esp_op *op);

/* Inbound. buf starts at the outer IP header. peek_spi: 0 and *spi (host
 * order), -EINVAL not ESP (or a fragment), -EMSGSIZE truncated, -ENOTSUP a
 * UDP/4500 packet that is not ESP (IKE with the non-ESP marker, NAT-T
 * keepalive): punt it. */
int vx0_esp_peek_spi(const struct vx0_esp_buf *buf, uint32_t *spi);
int vx0_esp_decap_prepare(struct vx0_esp_sa *sa, struct vx0_esp_buf *buf,
			  struct vx0_esp_op *op);
/* On success buf holds the inner packet, trimmed to its IP length; a
 * congestion mark (CE) on the outer header is copied to an ECN-capable
 * inner header (RFC 6040 §4.2, normal mode). */
int vx0_esp_decap_finish(struct vx0_esp_sa *sa, struct vx0_esp_buf *buf,
			 struct vx0_esp_op *op);

/* Anti-replay, exposed for tests and tools: check a received 32-bit
 * sequence number (infers the high half with ESN) -> 0 and *seq, or
 * -EALREADY; update marks an authenticated one seen (-EALREADY if it was).
 * -EINVAL on an outbound SA. */
int vx0_esp_replay_check(const struct vx0_esp_sa *sa, uint32_t seq_lo, uint64_t *seq);
int vx0_esp_replay_update(struct vx0_esp_sa *sa, uint64_t seq);

enum vx0_esp_drop vx0_esp_drop_reason(int rc); /* VX0_ESP_DROP_MAX if not a drop */
int vx0_esp_drop_errno(enum vx0_esp_drop reason);
const char *vx0_esp_drop_name(enum vx0_esp_drop reason);

static inline void
vx0_esp_count_drop(struct vx0_esp_stats *st, int rc)
{
	enum vx0_esp_drop r = vx0_esp_drop_reason(rc);

	if (r < VX0_ESP_DROP_MAX)
		st->drops[r]++;
}

#endif
