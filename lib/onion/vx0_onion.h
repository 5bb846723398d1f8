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
#define VX0_ONION_LINK_HDR_LEN   8    /* version, cmd, flags, reserved, circ id */
#define VX0_ONION_F_BACKWARD     0x01 /* flags: toward the circuit's creator */
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
struct vx0_onion_cell_hdr {
	uint8_t cmd;
	uint8_t flags;     /* VX0_ONION_F_BACKWARD */
	uint32_t circ_id;
};
struct vx0_onion_cell {
	struct vx0_onion_cell_hdr h;
	uint8_t body[VX0_ONION_BODY_LEN];
};

/* Parse a link datagram: exactly VX0_ONION_CELL_LEN bytes, version 1,
 * reserved zero, known command, known flags, the direction each command
 * allows, circ id 0 only for PADDING. -EMSGSIZE wrong length, -EPROTO bad
 * version/reserved/flags, -EBADMSG bad cmd, direction or circ id. */
int vx0_onion_cell_decode(const uint8_t *buf, size_t len, struct vx0_onion_cell *c);
/* Just the header (data plane); same checks as decode. */
int vx0_onion_cell_hdr(const uint8_t *buf, size_t len, struct vx0_onion_cell_hdr *h);
/* Write a header (8 bytes). */
void vx0_onion_cell_hdr_write(uint8_t *buf, uint8_t cmd, uint8_t flags, uint32_t circ_id);
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
	uint8_t kf[VX0_ONION_KEY_LEN]; /* forward (toward the exit): data plane */
	uint8_t kb[VX0_ONION_KEY_LEN]; /* backward data (wrap, exit replies): data plane */
	uint8_t kc[VX0_ONION_KEY_LEN]; /* backward control (EXTENDED): slow path */
	uint64_t fseq_base;            /* first forward seq is base + 1 */
	uint64_t bseq_base;
	uint64_t cseq_base;
};
#define VX0_ONION_KDF_LEN 120
/* Split 120 bytes of HKDF output into keys (doc/onion.md 4.1). */
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
/* Same, for a body with VX0_ONION_HOP_HDR_LEN bytes of room after it (an
 * mbuf's tailroom): the result is the body at body + VX0_ONION_HOP_HDR_LEN,
 * its pad written into the room, so the plaintext is not moved. On error
 * the body is unchanged (the room may be written). */
int vx0_onion_layer_peel_shift(const uint8_t kf[32], struct vx0_onion_replay *w, uint8_t *body);
/* Same over a burst; res[i] gets each result. Returns the number of
 * cells that authenticated. */
unsigned int vx0_onion_layer_peel_burst(const uint8_t kf[32], struct vx0_onion_replay *w,
					uint8_t *const *bodies, unsigned int n, int *res);
/* Relay, backward: add this hop's layer (seq must be unique per key). */
void vx0_onion_layer_wrap(const uint8_t kb[32], uint64_t seq, uint8_t *body);
void vx0_onion_layer_wrap_burst(const uint8_t kb[32], uint64_t *seq, uint8_t *const *bodies,
				unsigned int n);
/* Relay, backward, originating: body[24 .. 24+VX0_ONION_BWD_CT_LEN) holds
 * the relay message; seals it under key (kb for data, kc for control)
 * with seq (from that key's counter). */
void vx0_onion_layer_originate(const uint8_t key[32], uint64_t seq, uint8_t *body);

/* Client: per-hop state of one circuit. */
struct vx0_onion_client_hop {
	struct vx0_onion_hop_keys k;
	uint64_t fseq;                 /* last forward seq used */
	struct vx0_onion_replay bwin;  /* backward data replay window */
	struct vx0_onion_replay cwin;  /* backward control replay window */
};
void vx0_onion_client_hop_init(struct vx0_onion_client_hop *h, const struct vx0_onion_hop_keys *k);
/* Client, forward: msg (relay message area, VX0_ONION_FWD_PT_LEN bytes of
 * which the first 4+len are used) is sent to hop `target` (0 = guard) of
 * `hops`. Writes the body. -EINVAL target out of range. */
int vx0_onion_client_seal(struct vx0_onion_client_hop *hops, unsigned int target,
			  const uint8_t *msg, size_t msg_len, uint8_t *body);
/* Client, backward: remove layers of hops[0..n) from body in place; on
 * success *from = the originating hop, body[0..VX0_ONION_BWD_CT_LEN) is
 * its relay message, and the result says which key sealed it:
 * VX0_ONION_OPEN_DATA (kb) or VX0_ONION_OPEN_CONTROL (kc). -EBADMSG when
 * no hop authenticates, -EALREADY on a replay. */
enum { VX0_ONION_OPEN_DATA = 0, VX0_ONION_OPEN_CONTROL = 1 };
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
/* 0 allowed, -EACCES denied, -EINVAL not exactly one well-formed IP packet
 * (lengths that disagree, a transport header cut short). */
int vx0_onion_exit_policy_check(const struct vx0_onion_exit_policy *p, const uint8_t *pkt,
				size_t len);


/* ---- handshake rate limiting (ratelimit.c) ---- */
/* Token bucket in thousandths of a token so small rates stay exact. */
struct vx0_onion_bucket {
	uint64_t milli;   /* tokens * 1000 */
	uint64_t last_ms;
	int primed;
};
/* Take one token if available (refilled at rate/s up to burst): 1 taken,
 * 0 empty. */
int vx0_onion_bucket_take(struct vx0_onion_bucket *b, uint32_t rate, uint32_t burst,
			  uint64_t now_ms);
/* Tokens left (whole), after refilling to now. */
uint32_t vx0_onion_bucket_level(struct vx0_onion_bucket *b, uint32_t rate, uint32_t burst,
				uint64_t now_ms);
/* Handshake cells (CREATE) cost public-key work; the data plane and the
 * glue queue them behind every other cell. 1 for CREATE, else 0. */
int vx0_onion_cell_is_handshake(const uint8_t *cell, size_t len);

/* ---- relay: sans-IO handshake and circuit state machine (relay.c) ---- */
enum vx0_onion_role {
	VX0_ONION_ROLE_END = 1,     /* last hop so far: terminal cells, exit data */
	VX0_ONION_ROLE_TRANSIT = 2, /* extended: peel/wrap and pass on */
};

/* What the data plane's circuit table holds for one circuit at a relay.
 * Forward cells arrive on (in_link, in_circ) without F_BACKWARD; backward
 * cells on (out_link, out_circ) with F_BACKWARD. */
struct vx0_onion_circ_entry {
	uint32_t in_link, in_circ;
	uint32_t out_link, out_circ; /* 0 when role END */
	uint8_t role;
	struct vx0_onion_hop_keys keys;
};

enum vx0_onion_action_type {
	VX0_ONION_ACT_SEND = 1,     /* send cell[0..VX0_ONION_CELL_LEN) on link */
	VX0_ONION_ACT_INSTALL,      /* add or replace entry in the circuit table */
	VX0_ONION_ACT_REMOVE,       /* remove entry (keyed by in_link, in_circ) */
	VX0_ONION_ACT_LINK_OPEN,    /* a new link: id `link` is peer `addr` */
	VX0_ONION_ACT_DELIVER,      /* exit: IP packet cell[0..len) leaves here,
				     * from circuit (link, circ) */
};

struct vx0_onion_action {
	int type;
	uint32_t link, circ;
	size_t len;
	struct vx0_onion_addr addr;
	struct vx0_onion_circ_entry entry;
	uint8_t cell[VX0_ONION_CELL_LEN];
};

struct vx0_onion_relay_config {
	uint8_t id[32];           /* Ed25519 identity public key */
	uint8_t onion_sk[32];     /* X25519 onion key (secret) */
	unsigned int max_circuits;
	unsigned int max_links;
	int exit;                 /* deliver RELAY_DATA here */
	struct vx0_onion_exit_policy policy;
	uint32_t hs_rate, hs_burst;         /* global CREATE budget per second */
	uint32_t hs_src_rate, hs_src_burst; /* per source link */
	uint32_t hs_reserve;      /* global tokens kept for links that already
				   * carry established circuits */
	uint32_t extend_timeout_ms;
	uint64_t max_age_ms;      /* destroy circuits older than this */
	uint64_t max_bytes;       /* ... or that moved more than this */
};
void vx0_onion_relay_config_default(struct vx0_onion_relay_config *c);

struct vx0_onion_relay_stats {
	uint64_t cells_in, malformed, unknown_circ, out_of_order, replayed_handshake,
		rate_limited, handshake_failed, created, extended, extend_failed, destroyed,
		integrity_failed, replayed_cells, relayed_fwd, relayed_bwd, delivered,
		policy_denied, dropped_padding, expired, timeouts, action_overflow;
};

struct vx0_onion_relay;
/* Keys and circuits live in sodium_malloc'd memory. NULL on error. */
struct vx0_onion_relay *vx0_onion_relay_new(const struct vx0_onion_relay_config *cfg);
void vx0_onion_relay_free(struct vx0_onion_relay *r);
/* The link id of a peer address (created, with a LINK_OPEN action, when
 * new): the glue calls this for each datagram's source. 0 when full. */
uint32_t vx0_onion_relay_link(struct vx0_onion_relay *r, const struct vx0_onion_addr *a);
/* One received cell. Returns 0 (look at the actions) or a negative errno
 * for a dropped cell (also counted). */
int vx0_onion_relay_input(struct vx0_onion_relay *r, uint32_t link, const uint8_t *cell,
			  size_t len, uint64_t now_ms);
/* A forward cell the data plane peeled and found terminal: pt is its
 * VX0_ONION_FWD_PT_LEN-byte plaintext (doc/onion.md 6.3). */
int vx0_onion_relay_terminal(struct vx0_onion_relay *r, uint32_t in_link, uint32_t in_circ,
			     const uint8_t *pt, uint64_t now_ms);
/* Exit: send an IP packet back on the circuit (in_link, in_circ). */
int vx0_onion_relay_send_back(struct vx0_onion_relay *r, uint32_t in_link, uint32_t in_circ,
			      const uint8_t *pkt, size_t len, uint64_t now_ms);
/* Tear down circuit (in_link, in_circ) in both directions with reason
 * (operator request, or a data plane that saw an integrity failure or a
 * protocol error). -ENOENT unknown, -ENOBUFS drain the actions first. */
int vx0_onion_relay_destroy(struct vx0_onion_relay *r, uint32_t in_link, uint32_t in_circ,
			    int reason);
/* Cells a data plane moved for the circuit: counted toward the byte
 * limit of rotation (doc/onion.md section 8). */
int vx0_onion_relay_add_bytes(struct vx0_onion_relay *r, uint32_t in_link, uint32_t in_circ,
			      uint64_t bytes);
/* What a listing may show of a circuit (no keys). */
struct vx0_onion_relay_circ_info {
	uint32_t in_link, in_circ, out_link, out_circ;
	const char *state;  /* "open", "extending", "extended" */
	uint64_t created_ms, bytes;
};
/* The idx-th slot: 1 and *out filled when it holds a circuit, 0 when free,
 * -ENOENT past the table. */
int vx0_onion_relay_circ_info(const struct vx0_onion_relay *r, unsigned int idx,
			      struct vx0_onion_relay_circ_info *out);
/* The peer of a link id: 0, or -ENOENT. */
int vx0_onion_relay_link_addr(const struct vx0_onion_relay *r, uint32_t link,
			      struct vx0_onion_addr *out);
/* Timers: extend timeouts and circuit expiry. */
void vx0_onion_relay_tick(struct vx0_onion_relay *r, uint64_t now_ms);
/* Next pending action; 0 when none left. Drain after every call above.
 * INSTALL actions carry circuit keys: copy them into sodium memory and
 * sodium_memzero the action. */
int vx0_onion_relay_next_action(struct vx0_onion_relay *r, struct vx0_onion_action *a);
const struct vx0_onion_relay_stats *vx0_onion_relay_stats(const struct vx0_onion_relay *r);
unsigned int vx0_onion_relay_circuits(const struct vx0_onion_relay *r);

/* ---- client: circuit building (client.c) ---- */
struct vx0_onion_relay_desc {   /* from the relay's signed descriptor */
	struct vx0_onion_addr addr;
	uint8_t id[32];        /* Ed25519 identity */
	uint8_t onion_pk[32];  /* X25519 onion key B */
};

enum vx0_onion_circ_state {
	VX0_ONION_CIRC_IDLE = 0,
	VX0_ONION_CIRC_CREATING,
	VX0_ONION_CIRC_EXTENDING,
	VX0_ONION_CIRC_OPEN,
	VX0_ONION_CIRC_CLOSED,
};

enum vx0_onion_event_type {
	VX0_ONION_EV_NONE = 0,
	VX0_ONION_EV_SEND,    /* send cell to the guard */
	VX0_ONION_EV_OPEN,    /* all hops ready */
	VX0_ONION_EV_DATA,    /* data[0..len) arrived from the exit */
	VX0_ONION_EV_CLOSED,  /* reason set; send cell too when has_cell */
};

struct vx0_onion_event {
	int type;
	int has_cell;
	int reason;
	unsigned int from_hop;
	const uint8_t *data;
	size_t len;
	uint8_t cell[VX0_ONION_CELL_LEN];
};

struct vx0_onion_circ {
	int state;
	unsigned int n_hops, built;
	uint32_t circ_id;
	struct vx0_onion_relay_desc path[VX0_ONION_MAX_HOPS];
	struct vx0_onion_client_hop hops[VX0_ONION_MAX_HOPS];
	struct vx0_onion_ntor_client ntor;
	uint64_t created_ms, deadline_ms, bytes;
	uint32_t step_timeout_ms;
	uint8_t rx[VX0_ONION_BODY_LEN];
	uint64_t dropped; /* cells that failed to open or were out of order */
};

/* Allocate in sodium memory (keys inside); NULL on error. */
struct vx0_onion_circ *vx0_onion_circ_new(void);
void vx0_onion_circ_free(struct vx0_onion_circ *c);
/* Start building path[0..n) on circ_id (nonzero, unique on the guard
 * link). Emits EV_SEND with the CREATE cell. */
int vx0_onion_circ_start(struct vx0_onion_circ *c, const struct vx0_onion_relay_desc *path,
			 unsigned int n, uint32_t circ_id, uint64_t now_ms,
			 struct vx0_onion_event *ev);
/* A cell from the guard. Emits at most one event. A cell that does not
 * fit the state is dropped and counted (returns -EPROTO), a cell that
 * fails to authenticate closes the circuit (EV_CLOSED with a DESTROY). */
int vx0_onion_circ_input(struct vx0_onion_circ *c, const uint8_t *cell, size_t len,
			 uint64_t now_ms, struct vx0_onion_event *ev);
/* An IP packet to the exit: EV_SEND with the RELAY cell. -EMSGSIZE above
 * VX0_ONION_FWD_DATA_MAX, -ENOTCONN unless open. */
int vx0_onion_circ_send(struct vx0_onion_circ *c, const uint8_t *pkt, size_t len,
			uint64_t now_ms, struct vx0_onion_event *ev);
/* Cover traffic: EV_SEND with a RELAY cell carrying DROP sealed to the
 * guard, which discards it (doc/onion.md section 14.5). -ENOTCONN unless
 * open. Not counted in the circuit's bytes. */
int vx0_onion_circ_pad(struct vx0_onion_circ *c, struct vx0_onion_event *ev);
/* Build-step timeout: EV_CLOSED with a DESTROY once the deadline passed. */
int vx0_onion_circ_tick(struct vx0_onion_circ *c, uint64_t now_ms, struct vx0_onion_event *ev);
/* Tear down: EV_CLOSED with a DESTROY cell. */
int vx0_onion_circ_close(struct vx0_onion_circ *c, struct vx0_onion_event *ev);
/* 1 once the circuit is older than 1 hour or moved 1 GiB: build a new one
 * and move traffic over (doc/onion.md section 8). */
int vx0_onion_circ_needs_rotation(const struct vx0_onion_circ *c, uint64_t now_ms);

#define VX0_ONION_ROTATE_AGE_MS   (3600ull * 1000)
#define VX0_ONION_ROTATE_BYTES    (1ull << 30)

#endif
