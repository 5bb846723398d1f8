/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VX0_BGP_PEER_H
#define VX0_BGP_PEER_H

/* The speaker and peer structures, shared by bgp_core.c (FSM), bgp_route.c and bgp_query.c. */

#include "bgp_int.h"

struct bgp_out_item {
	struct vx0_bgp_prefix pfx;
	struct bgp_attrs *attrs; /* NULL: withdraw */
};

struct bgp_peer {
	int id;
	struct vx0_bgp_peer_config cfg;
	enum vx0_bgp_state state;
	bool enabled, ebgp, want_v4, want_v6;
	bool removed; /* de-configured: the slot (and id) waits for a new peer */
	/* timers: absolute ms, 0 = not armed */
	uint64_t t_connect, t_hold, t_keepalive, t_delay, t_idle, t_gr, t_maxpfx;
	uint16_t hold_s, keepalive_s;
	uint32_t idle_hold_ms;
	uint32_t jitter; /* xorshift state for ConnectRetry jitter */
	/* negotiated */
	uint32_t remote_id, remote_as;
	bool as4, v4, v6, rr, gr, ext;
	uint16_t gr_time;
	struct vx0_bgp_addr local;
	/* receive buffer */
	uint8_t *rx;
	size_t rx_len;
	/* counters */
	uint32_t received, accepted, advertised;
	uint64_t updates_in, updates_out, established_count, established_ms;
	uint32_t taw, discard;
	uint8_t err_code, err_sub;
	bool err_sent;
	char err_text[256];
	bool gr_stale, maxpfx_warned;
	uint8_t gr_wait; /* families (1: IPv4, 2: IPv6) whose End-of-RIB is awaited */
	/* Adj-RIB-Out queue, flushed into UPDATEs */
	struct bgp_out_item *outq;
	size_t outq_n, outq_cap;
};

struct vx0_bgp {
	struct vx0_bgp_config cfg;
	struct vx0_bgp_ops ops;
	void *ctx;
	struct vx0_bgp_fib_ops fib;
	void *fib_ctx;
	bool fib_open;
	struct bgp_peer *peers[VX0_BGP_MAX_PEERS];
	int n_peers;
	struct bgp_attr_table attrs;
	struct bgp_rib rib;
	struct bgp_attr_build b, b2;
	struct bgp_attr_build b_ahead; /* the UPDATE lookahead's parse */
	uint64_t now;
	uint8_t *tx; /* one message being built */
};

#define BGP_RX_CAP (BGP_EXT_MAX_LEN + 1)

/* bgp_route.c */
void bgp_rib_set(struct vx0_bgp *bgp, uint16_t peer, const struct vx0_bgp_prefix *pfx,
		 struct bgp_attrs *attrs, bool rejected);
void bgp_export_entry(struct vx0_bgp *bgp, struct bgp_peer *p, struct bgp_rib_entry *e);
void bgp_export_all(struct vx0_bgp *bgp, struct bgp_peer *p, int family);
void bgp_peer_flush_routes(struct vx0_bgp *bgp, struct bgp_peer *p, bool stale_only,
			   int family);
void bgp_peer_mark_stale(struct vx0_bgp *bgp, struct bgp_peer *p);
void bgp_peer_clear_out(struct vx0_bgp *bgp, struct bgp_peer *p);
void bgp_peer_flush_out(struct vx0_bgp *bgp, struct bgp_peer *p);
void bgp_fib_end(struct vx0_bgp *bgp);
void bgp_path_src(void *arg, const struct bgp_path *p, struct bgp_path_src *out);

#endif
