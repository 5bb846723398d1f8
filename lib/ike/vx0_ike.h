/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VX0_IKE_H
#define VX0_IKE_H

/*
 * IKEv2 (RFC 7296) as a sans-IO core: datagrams and time go in through
 * vx0_ike_input() / vx0_ike_tick(); datagrams to send and SA events come
 * out through the callbacks in struct vx0_ike_ops. No sockets, no clock,
 * no DPDK. Socket glue lives in vx0_ike_glue.h.
 *
 * Algorithms: ENCR_CHACHA20_POLY1305 (RFC 7634), ENCR_AES_GCM_16 with
 * 256-bit keys (RFC 5282) for IKE and ESP, PRF_HMAC_SHA2_256/512, group 31
 * (Curve25519, RFC 8031). Authentication: PSK, Ed25519 (RFC 8420, method
 * 14 of RFC 7427) with raw public keys.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>

/* IANA transform ids */
#define VX0_IKE_ENCR_AES_GCM_16 20
#define VX0_IKE_ENCR_CHACHA20_POLY1305 28
#define VX0_IKE_PRF_HMAC_SHA2_256 5
#define VX0_IKE_PRF_HMAC_SHA2_512 7
#define VX0_IKE_DH_CURVE25519 31

/* IKEv2 ID types */
#define VX0_IKE_ID_IPV4_ADDR 1
#define VX0_IKE_ID_FQDN 2
#define VX0_IKE_ID_RFC822_ADDR 3
#define VX0_IKE_ID_IPV6_ADDR 5
#define VX0_IKE_ID_KEY_ID 11

#define VX0_IKE_MAX_ALGS 4
#define VX0_IKE_MAX_TS 4
#define VX0_IKE_ID_MAX 128

enum vx0_ike_auth_method {
	VX0_IKE_AUTH_PSK = 1,
	VX0_IKE_AUTH_ED25519 = 2,
};

struct vx0_ike_alg {
	uint16_t encr;    /* VX0_IKE_ENCR_* (256-bit keys) */
	uint16_t prf;     /* IKE SA only */
	uint16_t dh;      /* IKE SA; for ESP: 0 = no PFS, 31 = PFS */
};

/*
 * Proposals in order of preference (strongest first). Anything not listed
 * is refused, so a peer cannot talk us down to a weaker set.
 */
struct vx0_ike_proposal_conf {
	uint16_t encr[VX0_IKE_MAX_ALGS];
	int nencr;
	uint16_t prf[VX0_IKE_MAX_ALGS];
	int nprf;
	uint16_t dh[VX0_IKE_MAX_ALGS]; /* ESP: empty = no PFS */
	int ndh;
};

/* A traffic selector: an address range, protocol (0 any), port range. */
struct vx0_ike_ts {
	uint8_t family; /* AF_INET / AF_INET6 */
	uint8_t proto;
	uint16_t port_lo, port_hi;
	uint8_t lo[16], hi[16];
};

struct vx0_ike_peer_conf {
	char name[32];
	struct sockaddr_storage addr; /* peer's address; port 0 = 500 */
	uint8_t local_id_type, remote_id_type;
	uint8_t local_id[VX0_IKE_ID_MAX], remote_id[VX0_IKE_ID_MAX];
	size_t local_id_len, remote_id_len;
	enum vx0_ike_auth_method auth;
	const uint8_t *psk; /* caller keeps it (sodium_malloc) while in use */
	size_t psk_len;
	uint8_t peer_pk[32]; /* Ed25519 raw public key of the peer */
	struct vx0_ike_proposal_conf esp;
	struct vx0_ike_ts local_ts[VX0_IKE_MAX_TS], remote_ts[VX0_IKE_MAX_TS];
	int nlocal_ts, nremote_ts;
	uint32_t child_lifetime_s; /* hard lifetime; rekey at 90% (0: 3600) */
	uint32_t ike_lifetime_s;   /* IKE SA rekey after this (0: 14400) */
};

struct vx0_ike_conf {
	struct sockaddr_storage local;    /* our address (port ignored) */
	struct vx0_ike_proposal_conf ike; /* IKE SA proposals (both roles) */
	const struct vx0_ike_peer_conf *peers;
	int npeers;
	const uint8_t *ed25519_sk; /* 64-byte libsodium secret key or NULL */
	uint32_t retrans_base_ms;  /* first retransmit timeout (0: 500) */
	uint32_t retrans_tries;    /* transmissions before giving up (0: 5) */
	uint32_t dpd_ms;           /* liveness check after idle (0: off) */
	uint32_t cookie_threshold; /* half-open SAs before cookies (0: 32) */
	uint32_t half_open_max;    /* half-open SAs kept at most (0: 1024) */
	uint32_t max_sas;          /* IKE SAs at most (0: 4096) */
	uint32_t frag_size;        /* fragment IKE messages above (0: 1200) */
	uint32_t natt_keepalive_ms; /* behind a NAT (0: 20000, RFC 3948) */
	bool no_fragmentation;     /* do not offer RFC 7383 fragmentation */
	bool debug_keys;           /* emit tshark key lines (never by default) */
};

enum vx0_ike_event_type {
	VX0_IKE_EV_IKE_UP = 1,
	VX0_IKE_EV_IKE_REKEYED,
	VX0_IKE_EV_IKE_DOWN,
	VX0_IKE_EV_CHILD_UP,
	VX0_IKE_EV_CHILD_REKEYED,
	VX0_IKE_EV_CHILD_DOWN,
	VX0_IKE_EV_DEBUG_KEYS, /* text: tshark UAT lines (debug_keys only) */
};

struct vx0_ike_child_info {
	uint32_t spi_in, spi_out;   /* host order */
	uint32_t old_spi_in;        /* CHILD_REKEYED: the SA this replaces */
	uint16_t encr, key_bits;
	bool esn;
	bool pfs;
	/* key||salt for each direction; sodium memory, valid in the callback */
	const uint8_t *key_in, *key_out;
	size_t key_len;
	struct vx0_ike_ts ts_local[VX0_IKE_MAX_TS], ts_remote[VX0_IKE_MAX_TS];
	int nts_local, nts_remote;
	uint32_t lifetime_soft_s, lifetime_hard_s;
	bool encap; /* ESP in UDP (RFC 3948) */
	struct sockaddr_storage local, remote; /* incl. ports when encap */
};

struct vx0_ike_event {
	enum vx0_ike_event_type type;
	int peer;          /* index into conf.peers, -1 if unknown */
	uint64_t spi_i, spi_r;
	bool initiator;
	uint16_t encr, prf, dh; /* IKE SA algorithms */
	int reason;        /* DOWN: 0 deleted, -ETIMEDOUT, -EACCES ... */
	const struct vx0_ike_child_info *child; /* CHILD_* events */
	const char *text;  /* DEBUG_KEYS */
};

struct vx0_ike_ops {
	/*
	 * Send a datagram (the IKE message, without the non-ESP marker) from
	 * local_port (500 or 4500) to dst. The core never retains buf. A
	 * 1-byte 0xFF datagram is a NAT keepalive: sent as is, no marker.
	 */
	void (*send)(void *arg, uint16_t local_port,
		     const struct sockaddr *dst, socklen_t dlen,
		     const uint8_t *buf, size_t len);
	void (*event)(void *arg, const struct vx0_ike_event *ev);
	void *arg;
};

struct vx0_ike;

struct vx0_ike_stats {
	uint64_t rx, tx, rx_dropped, rx_bad_icv, rx_bad_spi, rx_bad_msgid;
	uint64_t rx_malformed, retransmits, resp_retransmits, cookies_sent;
	uint64_t half_open, sas, half_open_refused, rx_fragments, keepalives;
};

/* The conf (and what it points to) must outlive the context. */
struct vx0_ike *vx0_ike_create(const struct vx0_ike_conf *conf,
			       const struct vx0_ike_ops *ops, uint64_t now_ms);
void vx0_ike_destroy(struct vx0_ike *ike);

/*
 * A datagram received on local_port (500, or 4500 with the non-ESP marker
 * already removed), from src to the local address dst.
 */
int vx0_ike_input(struct vx0_ike *ike, const uint8_t *buf, size_t len,
		  const struct sockaddr *src, const struct sockaddr *dst,
		  uint16_t local_port, uint64_t now_ms);

/* Run timers (retransmission, DPD, rekey); returns the next deadline. */
uint64_t vx0_ike_tick(struct vx0_ike *ike, uint64_t now_ms);
uint64_t vx0_ike_next_deadline(const struct vx0_ike *ike);

/* Start IKE_SA_INIT + IKE_AUTH to conf.peers[peer]. */
int vx0_ike_initiate(struct vx0_ike *ike, int peer, uint64_t now_ms);
/* Rekey the first CHILD_SA / the IKE SA of a peer (CREATE_CHILD_SA). */
int vx0_ike_rekey_child(struct vx0_ike *ike, int peer, uint64_t now_ms);
int vx0_ike_rekey_ike(struct vx0_ike *ike, int peer, uint64_t now_ms);
/*
 * An additional CHILD_SA with the peer (CREATE_CHILD_SA): selectors within
 * the peer's configured ones; NULL takes the configured sets.
 */
int vx0_ike_create_child(struct vx0_ike *ike, int peer,
			 const struct vx0_ike_ts *local, int nlocal,
			 const struct vx0_ike_ts *remote, int nremote,
			 uint64_t now_ms);
/* INFORMATIONAL Delete of one CHILD_SA, named by its inbound SPI. */
int vx0_ike_delete_child(struct vx0_ike *ike, int peer, uint32_t spi_in,
			 uint64_t now_ms);
/* INFORMATIONAL Delete of the peer's IKE SA (and its children). */
int vx0_ike_delete(struct vx0_ike *ike, int peer, uint64_t now_ms);
/* Send a liveness check now (empty INFORMATIONAL). */
int vx0_ike_dpd(struct vx0_ike *ike, int peer, uint64_t now_ms);

/* Is the peer's IKE SA established; its SPIs when so. */
bool vx0_ike_established(const struct vx0_ike *ike, int peer,
			 uint64_t *spi_i, uint64_t *spi_r);
void vx0_ike_get_stats(const struct vx0_ike *ike, struct vx0_ike_stats *st);

#endif
