/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VX0_BGP_IO_H
#define VX0_BGP_IO_H

/*
 * Socket glue for the BGP core over kernel TCP, driven by lib/evloop:
 * passive (listening) and active peers, IPv4 and IPv6 transport, TCP-MD5
 * (RFC 2385, TCP_MD5SIG) and GTSM (RFC 5082: TTL 255 out, IP_MINTTL /
 * IPV6_MINHOPCOUNT in). No DPDK. The core is reached with vx0_bgp_io_core();
 * after calling core functions directly, call vx0_bgp_io_kick() so the timer
 * follows the core's next deadline.
 */

#include "vx0_bgp.h"

struct vx0_evloop;
struct vx0_bgp_io;

struct vx0_bgp_io_config {
	uint16_t listen_port;            /* 0 = 179 */
	bool no_listen;                  /* active-only speaker */
	struct vx0_bgp_addr listen[4];   /* none: the wildcard of each peer family */
	unsigned n_listen;
};

struct vx0_bgp_io *vx0_bgp_io_create(struct vx0_evloop *loop, const struct vx0_bgp_config *cfg,
				     const struct vx0_bgp_io_config *io_cfg);
void vx0_bgp_io_destroy(struct vx0_bgp_io *io);
struct vx0_bgp *vx0_bgp_io_core(struct vx0_bgp_io *io);

/* Adds a peer to the core and the sockets (MD5 key on the listeners). Peer id or -errno. */
int vx0_bgp_io_peer_add(struct vx0_bgp_io *io, const struct vx0_bgp_peer_config *pc);
/* Removes a peer (vx0_bgp_peer_remove), closes its sockets and drops its
 * MD5 key from the listeners. After vx0_bgp_io_start, peer_add also starts
 * the new peer (and opens a listener for a new family). */
int vx0_bgp_io_peer_remove(struct vx0_bgp_io *io, int peer);
/* Opens the listeners and starts every peer. */
int vx0_bgp_io_start(struct vx0_bgp_io *io);
/* Re-arms the timer after direct calls into the core. */
void vx0_bgp_io_kick(struct vx0_bgp_io *io);

/* Optional hooks the application may set (state changes, next-hop check). */
void vx0_bgp_io_set_state_cb(struct vx0_bgp_io *io,
			     void (*cb)(void *ctx, int peer, enum vx0_bgp_state from,
					enum vx0_bgp_state to),
			     void *ctx);

#endif
