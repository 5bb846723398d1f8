/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VX0_ONION_H
#define VX0_ONION_H

/*
 * vx0 onion circuits (wire format: doc/onion.md). DPDK-free: cells, the
 * ntor handshake, HKDF-SHA256, the per-hop layer crypto used by the data
 * plane, the relay and client handshake state machines (sans-IO) and the
 * exit policy. Call sodium_init() before any function here.
 */

#include <stddef.h>
#include <stdint.h>

/* ---- sizes (doc/onion.md section 2) ---- */
#define VX0_ONION_VERSION        1
#define VX0_ONION_LINK_HDR_LEN   8    /* version, cmd, reserved[2], circ id */
#define VX0_ONION_BODY_LEN       1360 /* fixed, whatever the cell carries */
#define VX0_ONION_CELL_LEN       (VX0_ONION_LINK_HDR_LEN + VX0_ONION_BODY_LEN)
#define VX0_ONION_MAX_HOPS       3
#define VX0_ONION_HOP_HDR_LEN    24   /* seq (8) + Poly1305 tag (16) */
#define VX0_ONION_FWD_PT_LEN     (VX0_ONION_BODY_LEN - VX0_ONION_HOP_HDR_LEN) /* 1336 */
/* backward: the originating hop seals this many bytes; the last
 * 8*(MAX_HOPS-1) body bytes are dropped by the relays on the way back */
#define VX0_ONION_BWD_CT_LEN     (VX0_ONION_FWD_PT_LEN - 8 * (VX0_ONION_MAX_HOPS - 1)) /* 1320 */
#define VX0_ONION_RELAY_HDR_LEN  4    /* cmd, flags, length (be16) */
/* largest relay data for a 3-hop circuit, forward and backward */
#define VX0_ONION_FWD_DATA_MAX   (VX0_ONION_FWD_PT_LEN - VX0_ONION_HOP_HDR_LEN * (VX0_ONION_MAX_HOPS - 1) \
				  - VX0_ONION_RELAY_HDR_LEN) /* 1284 */
#define VX0_ONION_BWD_DATA_MAX   (VX0_ONION_BWD_CT_LEN - VX0_ONION_RELAY_HDR_LEN) /* 1316 */
#define VX0_ONION_INNER_MTU      1280 /* the client's TUN MTU: IPv6 minimum */

#define VX0_ONION_KEY_LEN        32
#define VX0_ONION_ID_LEN         32   /* Ed25519 identity public key */
#define VX0_ONION_NTOR_CLIENT_LEN 96  /* ID | B | X */
#define VX0_ONION_NTOR_SERVER_LEN 64  /* Y | AUTH */
#define VX0_ONION_HTYPE_NTOR     0x0001

/* link-level commands (header byte 1) */
enum vx0_onion_cmd {
	VX0_ONION_CMD_PADDING = 0x01,
	VX0_ONION_CMD_CREATE = 0x02,
	VX0_ONION_CMD_CREATED = 0x03,
	VX0_ONION_CMD_RELAY = 0x04,
	VX0_ONION_CMD_DESTROY = 0x05,
};

/* relay commands (inside the layers; top bit set marks "for this hop") */
enum vx0_onion_relay_cmd {
	VX0_ONION_RELAY_DATA = 0x80,
	VX0_ONION_RELAY_EXTEND = 0x81,
	VX0_ONION_RELAY_EXTENDED = 0x82,
	VX0_ONION_RELAY_DROP = 0x83,
};

enum vx0_onion_destroy_reason {
	VX0_ONION_DESTROY_NONE = 0,
	VX0_ONION_DESTROY_PROTOCOL = 1,
	VX0_ONION_DESTROY_INTERNAL = 2,
	VX0_ONION_DESTROY_REQUESTED = 3,
	VX0_ONION_DESTROY_HANDSHAKE = 4,  /* bad ID / onion key / DH */
	VX0_ONION_DESTROY_TIMEOUT = 5,
	VX0_ONION_DESTROY_INTEGRITY = 6,  /* a layer failed to authenticate */
	VX0_ONION_DESTROY_RESOURCE = 7,
	VX0_ONION_DESTROY_EXPIRED = 8,    /* age or byte limit reached */
	VX0_ONION_DESTROY_NEXT_HOP = 9,   /* could not extend */
};

/* ---- cell codec (cell.c) ---- */
struct vx0_onion_cell {
	uint8_t cmd;
	uint32_t circ_id;
	uint8_t body[VX0_ONION_BODY_LEN];
};

/* Parse a link datagram: exactly VX0_ONION_CELL_LEN bytes, version 1,
 * reserved zero, known command, circ id 0 only for PADDING.
 * -EMSGSIZE wrong length, -EPROTO bad version/reserved, -EBADMSG bad cmd
 * or circ id. */
int vx0_onion_cell_decode(const uint8_t *buf, size_t len, struct vx0_onion_cell *c);
/* Just the header (data plane); same checks as decode. */
int vx0_onion_cell_hdr(const uint8_t *buf, size_t len, uint8_t *cmd, uint32_t *circ_id);
/* Write the datagram; out must hold VX0_ONION_CELL_LEN bytes. */
void vx0_onion_cell_encode(const struct vx0_onion_cell *c, uint8_t *out);
/* Rewrite the circuit id in place (data plane, per hop). */
void vx0_onion_cell_set_circ(uint8_t *cell, uint32_t circ_id);

/* CREATE / CREATED / DESTROY bodies. hdata lengths are checked exactly. */
int vx0_onion_create_parse(const uint8_t *body, size_t len, const uint8_t **hdata, size_t *hlen);
int vx0_onion_created_parse(const uint8_t *body, size_t len, const uint8_t **hdata, size_t *hlen);
void vx0_onion_create_build(uint8_t *body, const uint8_t hdata[VX0_ONION_NTOR_CLIENT_LEN]);
void vx0_onion_created_build(uint8_t *body, const uint8_t hdata[VX0_ONION_NTOR_SERVER_LEN]);

/* relay message (inside the layers): cmd, flags, len, data */
struct vx0_onion_relay_msg {
	uint8_t cmd;
	uint8_t flags;
	uint16_t len;
	const uint8_t *data;
};
/* Parse from a plaintext area of cap bytes. -EBADMSG unknown cmd,
 * -EMSGSIZE len beyond cap - 4. */
int vx0_onion_relay_msg_parse(const uint8_t *p, size_t cap, struct vx0_onion_relay_msg *m);
/* Write into p (cap bytes); the rest of p up to cap is zeroed. */
int vx0_onion_relay_msg_build(uint8_t *p, size_t cap, uint8_t cmd, const void *data, size_t len);

/* link specifier of RELAY_EXTEND */
struct vx0_onion_addr {
	uint8_t family;   /* 4 or 6 */
	uint16_t port;
	uint8_t addr[16]; /* IPv4 in the first 4 bytes */
};
int vx0_onion_addr_equal(const struct vx0_onion_addr *a, const struct vx0_onion_addr *b);
/* EXTEND payload: family(1) port(2) addr(4|16) htype(2) hlen(2) hdata(96) */
int vx0_onion_extend_build(uint8_t *out, size_t cap, const struct vx0_onion_addr *a,
			   const uint8_t hdata[VX0_ONION_NTOR_CLIENT_LEN]);
int vx0_onion_extend_parse(const uint8_t *p, size_t len, struct vx0_onion_addr *a,
			   const uint8_t **hdata);
/* EXTENDED payload: htype(2) hlen(2) hdata(64) */
int vx0_onion_extended_build(uint8_t *out, size_t cap, const uint8_t hdata[VX0_ONION_NTOR_SERVER_LEN]);
int vx0_onion_extended_parse(const uint8_t *p, size_t len, const uint8_t **hdata);

/* ---- HKDF-SHA256, RFC 5869 (hkdf.c) ---- */
void vx0_onion_hkdf_extract(uint8_t prk[32], const uint8_t *salt, size_t salt_len,
			    const uint8_t *ikm, size_t ikm_len);
/* -EINVAL when okm_len > 255 * 32 */
int vx0_onion_hkdf_expand(uint8_t *okm, size_t okm_len, const uint8_t prk[32],
			  const uint8_t *info, size_t info_len);

/* ---- per-hop keys (from ntor) ---- */
struct vx0_onion_hop_keys {
	uint8_t kf[VX0_ONION_KEY_LEN]; /* forward (toward the exit) */
	uint8_t kb[VX0_ONION_KEY_LEN]; /* backward (toward the client) */
	uint64_t fseq_base;            /* first forward seq is base + 1 */
	uint64_t bseq_base;
};
#define VX0_ONION_KDF_LEN 80
/* Split 80 bytes of HKDF output into keys (doc/onion.md 4.3). */
void vx0_onion_keys_from_kdf(struct vx0_onion_hop_keys *k, const uint8_t okm[VX0_ONION_KDF_LEN]);

/* ---- ntor (ntor.c) ---- */
struct vx0_onion_ntor_client {
	uint8_t id[VX0_ONION_ID_LEN];
	uint8_t B[32];
	uint8_t x[32];
	uint8_t X[32];
};
/* Start: x is the ephemeral secret (random when x == NULL). Writes ID|B|X. */
int vx0_onion_ntor_client_start(struct vx0_onion_ntor_client *st, const uint8_t id[32],
				const uint8_t B[32], const uint8_t *x,
				uint8_t out[VX0_ONION_NTOR_CLIENT_LEN]);
/* Finish with Y|AUTH: -EBADMSG on a bad AUTH or a low-order point. okm is
 * VX0_ONION_KDF_LEN bytes. Wipes st. */
int vx0_onion_ntor_client_finish(struct vx0_onion_ntor_client *st,
				 const uint8_t in[VX0_ONION_NTOR_SERVER_LEN],
				 uint8_t okm[VX0_ONION_KDF_LEN]);
/* Server side: id/b/B are the relay's identity and onion key pair; y the
 * ephemeral secret (random when NULL). -EACCES when ID or B is not ours,
 * -EBADMSG for a low-order X. */
int vx0_onion_ntor_server(const uint8_t id[32], const uint8_t b[32], const uint8_t B[32],
			  const uint8_t in[VX0_ONION_NTOR_CLIENT_LEN], const uint8_t *y,
			  uint8_t out[VX0_ONION_NTOR_SERVER_LEN],
			  uint8_t okm[VX0_ONION_KDF_LEN]);

/* ---- layer crypto (layer.c): data plane, no allocation ---- */
/* Anti-replay window over forward sequence numbers (64 wide, RFC 4303 style). */
struct vx0_onion_replay {
	uint64_t top;
	uint64_t bitmap;
};
void vx0_onion_replay_init(struct vx0_onion_replay *w, uint64_t base);

enum {
	VX0_ONION_PEEL_FORWARD = 0,  /* body is now the next hop's body */
	VX0_ONION_PEEL_TERMINAL = 1, /* body[0..] is a relay message for this hop */
};
/* Relay, forward: verify and remove this hop's layer in place on a
 * VX0_ONION_BODY_LEN body. Returns PEEL_FORWARD / PEEL_TERMINAL, -EBADMSG
 * (authentication failed: tear the circuit down), -EALREADY (replayed or
 * too old seq: drop). On error the body is unchanged. */
int vx0_onion_layer_peel(const uint8_t kf[32], struct vx0_onion_replay *w, uint8_t *body);
/* Same over a burst; res[i] gets each result. Returns the number of
 * cells that authenticated. */
unsigned int vx0_onion_layer_peel_burst(const uint8_t kf[32], struct vx0_onion_replay *w,
					uint8_t *const *bodies, unsigned int n, int *res);
/* Relay, backward: add this hop's layer (seq must be unique per key). */
void vx0_onion_layer_wrap(const uint8_t kb[32], uint64_t seq, uint8_t *body);
void vx0_onion_layer_wrap_burst(const uint8_t kb[32], uint64_t *seq, uint8_t *const *bodies,
				unsigned int n);
/* Relay, backward, originating: body[24 .. 24+VX0_ONION_BWD_CT_LEN) holds
 * the relay message; seals it under kb with seq. */
void vx0_onion_layer_originate(const uint8_t kb[32], uint64_t seq, uint8_t *body);

/* Client: per-hop state of one circuit. */
struct vx0_onion_client_hop {
	struct vx0_onion_hop_keys k;
	uint64_t fseq;                 /* last forward seq used */
	struct vx0_onion_replay bwin;  /* backward replay window */
};
void vx0_onion_client_hop_init(struct vx0_onion_client_hop *h, const struct vx0_onion_hop_keys *k);
/* Client, forward: msg (relay message area, VX0_ONION_FWD_PT_LEN bytes of
 * which the first 4+len are used) is sent to hop `target` (0 = guard) of
 * `hops`. Writes the body. -EINVAL target out of range. */
int vx0_onion_client_seal(struct vx0_onion_client_hop *hops, unsigned int target,
			  const uint8_t *msg, size_t msg_len, uint8_t *body);
/* Client, backward: remove layers of hops[0..n) from body in place; on
 * success *from = the originating hop and body[0..VX0_ONION_BWD_CT_LEN)
 * is its relay message. -EBADMSG when no hop authenticates, -EALREADY on
 * a replay. */
int vx0_onion_client_open(struct vx0_onion_client_hop *hops, unsigned int n,
			  uint8_t *body, unsigned int *from);

/* ---- exit policy (policy.c) ---- */
#define VX0_ONION_POLICY_MAX 32
struct vx0_onion_prefix {
	uint8_t family;   /* 4 or 6 */
	uint8_t len;      /* prefix length in bits */
	uint8_t addr[16];
};
struct vx0_onion_port_range {
	uint8_t proto;    /* 6 TCP, 17 UDP */
	uint16_t lo, hi;
};
struct vx0_onion_exit_policy {
	unsigned int n_blocked, n_ports;
	struct vx0_onion_prefix blocked[VX0_ONION_POLICY_MAX];
	struct vx0_onion_port_range ports[VX0_ONION_POLICY_MAX];
	int allow_icmp_echo;
};
/* Default: the documentation's defaults (doc/onion.md section 9). */
void vx0_onion_exit_policy_default(struct vx0_onion_exit_policy *p);
/* 0 allowed, -EACCES denied, -EINVAL not a well-formed IP packet. */
int vx0_onion_exit_policy_check(const struct vx0_onion_exit_policy *p, const uint8_t *pkt,
				size_t len);


#endif
