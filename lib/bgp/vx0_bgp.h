/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VX0_BGP_H
#define VX0_BGP_H

/*
 * A BGP-4 speaker core (RFC 4271), sans-IO: the caller feeds it bytes read
 * from each peer's TCP connection, transport events and the current time
 * (milliseconds, monotonic); the core answers through vx0_bgp_ops (bytes to
 * send, connect/close requests) and vx0_bgp_fib_ops (best-route changes in
 * begin/commit batches). No sockets and no DPDK header inside; the socket
 * glue is vx0_bgp_io.h.
 *
 * Supported: MP-BGP IPv4/IPv6 unicast (RFC 4760), 4-octet AS (RFC 6793),
 * route refresh (RFC 2918), graceful restart helper (RFC 4724), extended
 * messages (RFC 8654, receive side), RFC 7606 error handling, RFC 8203
 * shutdown communication, communities (RFC 1997), large communities
 * (RFC 8092), per-peer import/export policy and max-prefix.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VX0_BGP_MAX_PEERS 64 /* Adj-RIB-Out is a 64-bit mask per prefix */

enum vx0_bgp_state {
	VX0_BGP_IDLE = 0,
	VX0_BGP_CONNECT,
	VX0_BGP_ACTIVE,
	VX0_BGP_OPENSENT,
	VX0_BGP_OPENCONFIRM,
	VX0_BGP_ESTABLISHED,
};

/* family: 4 or 6; address in network byte order, IPv4 in a[0..3]. */
struct vx0_bgp_addr {
	uint8_t family;
	uint8_t a[16];
};

struct vx0_bgp_prefix {
	uint8_t family; /* 4 or 6 */
	uint8_t len;
	uint8_t a[16];
};

/* ---- policy ---- */

enum vx0_bgp_action {
	VX0_BGP_NEXT = 0, /* term matched: apply sets, continue to the next term */
	VX0_BGP_ACCEPT,
	VX0_BGP_REJECT,
};

/* Prefix-list entry: matches prefixes inside pfx whose length is in [ge, le]. */
struct vx0_bgp_prefix_match {
	struct vx0_bgp_prefix pfx;
	uint8_t ge, le;
};

struct vx0_bgp_large_community {
	uint32_t global, local1, local2;
};

#define VX0_BGP_TERM_MAX_SET 8

/*
 * One policy term: every given match must hold (an empty term matches all);
 * then the sets apply and the action decides.
 */
struct vx0_bgp_policy_term {
	/* matches */
	const struct vx0_bgp_prefix_match *prefixes; /* any of them */
	unsigned n_prefixes;
	uint32_t as_path_contains; /* 0: any */
	uint32_t origin_as;        /* last AS of the path; 0: any */
	uint32_t neighbor_as;      /* first AS of the path; 0: any */
	uint8_t max_as_path_len;   /* 0: any */
	uint32_t community;        /* RFC 1997 value; 0: any */
	bool match_large;
	struct vx0_bgp_large_community large;
	/* sets */
	bool set_local_pref, set_med;
	uint32_t local_pref, med;
	uint8_t prepend;           /* prepend the local AS this many times */
	uint8_t n_add_communities, n_add_large;
	uint32_t add_communities[VX0_BGP_TERM_MAX_SET];
	struct vx0_bgp_large_community add_large[VX0_BGP_TERM_MAX_SET];
	uint32_t remove_community; /* 0: none */
	enum vx0_bgp_action action;
};

struct vx0_bgp_policy {
	const struct vx0_bgp_policy_term *terms;
	unsigned n_terms;
	enum vx0_bgp_action default_action; /* ACCEPT or REJECT */
};

/* ---- configuration ---- */

enum vx0_bgp_max_prefix_action {
	VX0_BGP_MAXPFX_WARN = 0,
	VX0_BGP_MAXPFX_TEARDOWN, /* Cease/1, stay down until restarted */
	VX0_BGP_MAXPFX_RESTART,  /* Cease/1, restart after restart_ms */
};

struct vx0_bgp_config {
	uint32_t local_as;
	uint32_t router_id;       /* host byte order */
	uint16_t hold_time;       /* seconds offered in OPEN; 0 = 90 */
	uint32_t connect_retry_ms; /* 0 = 5000 (shorter than RFC's 120 s: lab) */
	uint16_t gr_restart_time; /* advertised restart time; 0 = 120 */
};

struct vx0_bgp_peer_config {
	uint32_t remote_as;
	struct vx0_bgp_addr addr;
	uint16_t port;            /* glue only; 0 = 179 */
	bool passive;             /* never connect, only accept */
	uint16_t hold_time;       /* 0: the speaker's */
	uint32_t delay_open_ms;   /* RFC 4271 DelayOpen; 0 = off */
	bool ipv4_unicast, ipv6_unicast; /* both false: the transport's family */
	bool graceful_restart;    /* advertise GR, act as helper */
	/* next hops we advertise (next-hop self); family 0 = the session's local address */
	struct vx0_bgp_addr nexthop4, nexthop6;
	uint32_t max_prefix;      /* accepted prefixes; 0 = no limit */
	enum vx0_bgp_max_prefix_action max_prefix_action;
	uint32_t max_prefix_restart_ms;
	const struct vx0_bgp_policy *import, *export; /* NULL: accept all */
	/* glue only: */
	struct vx0_bgp_addr source; /* bind outgoing connections here; family 0 = any */
	char md5_key[81];         /* TCP-MD5 (RFC 2385); "" = none */
	uint8_t ttl_security;     /* GTSM (RFC 5082) hops; 0 = off */
	char name[32];
};

/* ---- actions out ---- */

struct vx0_bgp_ops {
	/* Write bytes on peer's connection (the glue buffers what blocks). */
	void (*send)(void *ctx, int peer, const uint8_t *buf, size_t len);
	/* Open an outgoing connection; answer with vx0_bgp_tcp_up/_fail. */
	void (*connect)(void *ctx, int peer);
	/* Close the peer's connection (after a NOTIFICATION has been sent). */
	void (*disconnect)(void *ctx, int peer);
	/* Optional: state changes, for logging and tests. */
	void (*state_change)(void *ctx, int peer, enum vx0_bgp_state from,
			     enum vx0_bgp_state to);
	/* Optional: next-hop reachability for the decision process. */
	bool (*nexthop_reachable)(void *ctx, const struct vx0_bgp_addr *nh);
};

/* Best-route changes, called between route_begin and route_commit. */
struct vx0_bgp_fib_ops {
	void (*begin)(void *ctx);
	int (*route_add)(void *ctx, int family, const uint8_t *prefix, uint8_t len,
			 const uint8_t *nexthop);
	int (*route_del)(void *ctx, int family, const uint8_t *prefix, uint8_t len);
	void (*commit)(void *ctx);
	/* optional hint: a route_add/route_del of this prefix follows soon
	 * (a few prefixes later in a long UPDATE): start loading its slots */
	void (*prefetch)(void *ctx, int family, const uint8_t *prefix, uint8_t len);
};

struct vx0_bgp;

struct vx0_bgp *vx0_bgp_create(const struct vx0_bgp_config *cfg,
			       const struct vx0_bgp_ops *ops, void *ctx);
void vx0_bgp_destroy(struct vx0_bgp *bgp);
void vx0_bgp_set_fib_ops(struct vx0_bgp *bgp, const struct vx0_bgp_fib_ops *fib,
			 void *fib_ctx);

/* Returns the peer id (>= 0) or -errno. The config is copied; policies are not.
 * A removed peer's id is reused. A peer added to a running speaker waits
 * for vx0_bgp_peer_start. */
int vx0_bgp_peer_add(struct vx0_bgp *bgp, const struct vx0_bgp_peer_config *pc);
/*
 * De-configure a peer: Cease / Peer De-configured (RFC 4486) if a session
 * is open, its routes are withdrawn from the Loc-RIB (and the FIB), and its
 * id becomes free. Other peers' sessions are untouched. -ENOENT if none.
 */
int vx0_bgp_peer_remove(struct vx0_bgp *bgp, int peer, uint64_t now_ms);
/*
 * Point a peer at other policy objects of the same content (a reloaded
 * config's copies); the session is untouched. -ENOENT if no such peer.
 */
int vx0_bgp_peer_set_policies(struct vx0_bgp *bgp, int peer, const struct vx0_bgp_policy *import,
			      const struct vx0_bgp_policy *export);
/*
 * New policies for a peer, its session kept: the Adj-RIB-Out is re-run under
 * the export policy (withdrawing what it now rejects); when import_changed,
 * a ROUTE-REFRESH (RFC 2918) asks the peer for its routes again so the
 * import policy sees them. 1: refresh sent, 0: done (or not Established:
 * the next session uses them), -EOPNOTSUPP: the import changed but the peer
 * cannot refresh (nothing changed; reset the session instead), -ENOENT.
 */
int vx0_bgp_peer_update_policies(struct vx0_bgp *bgp, int peer, const struct vx0_bgp_policy *import,
				 const struct vx0_bgp_policy *export, bool import_changed,
				 uint64_t now_ms);
int vx0_bgp_peer_find(const struct vx0_bgp *bgp, const struct vx0_bgp_addr *addr);
/* NULL for no such (or a removed) peer. */
const struct vx0_bgp_peer_config *vx0_bgp_peer_config(const struct vx0_bgp *bgp, int peer);

/* ---- events in ---- */

/* ManualStart: the peer may connect (active) or wait (passive). */
int vx0_bgp_peer_start(struct vx0_bgp *bgp, int peer, uint64_t now_ms);
/*
 * ManualStop: Cease / Administrative Shutdown with an RFC 8203 message
 * (may be NULL), then Idle until started again.
 */
int vx0_bgp_peer_stop(struct vx0_bgp *bgp, int peer, const char *msg, uint64_t now_ms);
/*
 * The transport is up (outgoing connected or incoming accepted); local is
 * the connection's own address (next-hop self). Returns -EBUSY when the peer
 * already has a connection past Active: the caller closes the new one.
 */
int vx0_bgp_tcp_up(struct vx0_bgp *bgp, int peer, const struct vx0_bgp_addr *local,
		   uint64_t now_ms);
/*
 * Connection collision (RFC 4271 6.8): a second connection from the peer
 * brought an OPEN with BGP Identifier remote_id while the peer's session is
 * in OpenSent or OpenConfirm. Returns 1 when the existing connection stays
 * (the caller sends Cease/7 on the new one and closes it), 0 when the
 * existing one was closed with Cease/7 and the peer waits in Active for the
 * new one (the caller calls vx0_bgp_tcp_up, then feeds the OPEN), -EINVAL
 * when the state leaves no collision to resolve.
 */
int vx0_bgp_collision(struct vx0_bgp *bgp, int peer, uint32_t remote_id, uint64_t now_ms);
/* The connect failed or the connection closed. */
void vx0_bgp_tcp_fail(struct vx0_bgp *bgp, int peer, uint64_t now_ms);
/* Bytes received on the peer's connection (any split). */
int vx0_bgp_input(struct vx0_bgp *bgp, int peer, const uint8_t *data, size_t len,
		  uint64_t now_ms);
/* Run expired timers. */
void vx0_bgp_timers(struct vx0_bgp *bgp, uint64_t now_ms);
/* Earliest armed deadline (ms), UINT64_MAX when none. */
uint64_t vx0_bgp_next_deadline(const struct vx0_bgp *bgp);

/* Ask the peer to resend its routes (RFC 2918); family 4 or 6. */
int vx0_bgp_route_refresh(struct vx0_bgp *bgp, int peer, int family);

/* Originate / withdraw one of the node's own prefixes. */
int vx0_bgp_originate(struct vx0_bgp *bgp, const struct vx0_bgp_prefix *pfx);
int vx0_bgp_withdraw_local(struct vx0_bgp *bgp, const struct vx0_bgp_prefix *pfx);

/* ---- queries (telemetry) ---- */

struct vx0_bgp_neighbor_info {
	int id;
	enum vx0_bgp_state state;
	struct vx0_bgp_addr addr;
	uint32_t remote_as, remote_id;
	uint64_t established_ms;  /* when it last reached Established; 0 = never */
	uint32_t prefixes_received, prefixes_accepted, prefixes_advertised;
	uint64_t updates_in, updates_out, established_count;
	uint32_t treat_as_withdraw, attr_discard; /* RFC 7606 counters */
	uint8_t last_error_code, last_error_subcode; /* last NOTIFICATION sent or received */
	bool last_error_sent;
	char last_error[256]; /* text, incl. an RFC 8203 shutdown message */
	bool gr_stale;        /* holding stale routes as GR helper */
	bool caps_as4, caps_rr, caps_gr, caps_v4, caps_v6, caps_ext;
};

/* -ENOENT for no such (or a removed) peer. */
int vx0_bgp_neighbor_info(const struct vx0_bgp *bgp, int peer,
			  struct vx0_bgp_neighbor_info *out);
/* One more than the highest peer id in use (removed ids included). */
int vx0_bgp_peer_count(const struct vx0_bgp *bgp);
const char *vx0_bgp_state_name(enum vx0_bgp_state s);

enum vx0_bgp_reason {
	VX0_BGP_REASON_ONLY = 0,  /* the only eligible path */
	VX0_BGP_REASON_LOCAL_PREF,
	VX0_BGP_REASON_AS_PATH,
	VX0_BGP_REASON_ORIGIN,
	VX0_BGP_REASON_MED,
	VX0_BGP_REASON_EBGP,
	VX0_BGP_REASON_ROUTER_ID,
	VX0_BGP_REASON_PEER_ADDR,
	VX0_BGP_REASON_NONE,      /* no eligible path */
};
const char *vx0_bgp_reason_name(enum vx0_bgp_reason r);

#define VX0_BGP_ORIGIN_IGP 0
#define VX0_BGP_ORIGIN_EGP 1
#define VX0_BGP_ORIGIN_INCOMPLETE 2

struct vx0_bgp_path_info {
	int peer;                 /* -1: originated locally */
	bool best, rejected, stale, nh_unreachable;
	struct vx0_bgp_addr nexthop;
	uint8_t origin;
	bool has_med, has_local_pref;
	uint32_t med, local_pref;
	uint32_t as_path[64];     /* flattened, sets included */
	unsigned as_path_n;       /* full count (may exceed 64) */
	unsigned as_path_len;     /* for the decision process (a set counts 1) */
	uint32_t communities[32];
	unsigned n_communities;
	struct vx0_bgp_large_community large[16];
	unsigned n_large;
};

/*
 * Exact-match lookup of pfx: fills up to max paths (best first), sets
 * *reason; returns the number of paths or -ENOENT.
 */
int vx0_bgp_rib_lookup(const struct vx0_bgp *bgp, const struct vx0_bgp_prefix *pfx,
		       struct vx0_bgp_path_info *paths, unsigned max,
		       enum vx0_bgp_reason *reason);

/*
 * Longest-prefix match of an address (family 4 or 6) over prefixes with a
 * best path; *matched gets the covering prefix. Same returns as above.
 */
int vx0_bgp_rib_lookup_addr(const struct vx0_bgp *bgp, const struct vx0_bgp_addr *addr,
			    struct vx0_bgp_prefix *matched, struct vx0_bgp_path_info *paths,
			    unsigned max, enum vx0_bgp_reason *reason);

/* Walk the Loc-RIB (best paths only); stop when cb returns non-zero. */
typedef int (*vx0_bgp_walk_cb)(void *arg, const struct vx0_bgp_prefix *pfx,
			       const struct vx0_bgp_path_info *best);
int vx0_bgp_rib_walk(const struct vx0_bgp *bgp, vx0_bgp_walk_cb cb, void *arg);
size_t vx0_bgp_rib_count(const struct vx0_bgp *bgp);
size_t vx0_bgp_attr_count(const struct vx0_bgp *bgp); /* interned attribute sets */

/* Text form of a prefix ("198.51.100.0/24"), and parse; -EINVAL on error. */
int vx0_bgp_prefix_parse(const char *s, struct vx0_bgp_prefix *out);
void vx0_bgp_prefix_format(const struct vx0_bgp_prefix *p, char *buf, size_t n);

#endif
