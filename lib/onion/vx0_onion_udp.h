/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VX0_ONION_UDP_H
#define VX0_ONION_UDP_H

/*
 * Socket glue for lib/onion (a separate library, vx0_onion_udp): runs a
 * relay or a client circuit over one UDP socket on a vx0_evloop. No DPDK;
 * used by vx0-client, the lab and test programs. The protocol is entirely
 * in the sans-IO cores of vx0_onion.h.
 */

#include "vx0_evloop.h"
#include "vx0_onion.h"

#include <sys/socket.h>

/* A link endpoint as a socket address (its length) and back (-EAFNOSUPPORT
 * for another family). */
socklen_t vx0_onion_udp_sockaddr(const struct vx0_onion_addr *a, struct sockaddr_storage *ss);
int vx0_onion_udp_addr(const struct sockaddr_storage *ss, struct vx0_onion_addr *a);
/* A non-blocking UDP socket bound to bind_to (port 0: any): fd or -errno. */
int vx0_onion_udp_socket(const struct vx0_onion_addr *bind_to);

/* exit packets (relay) / data from the exit (client) */
typedef void (*vx0_onion_udp_data_cb)(void *arg, uint32_t link, uint32_t circ,
				      const uint8_t *pkt, size_t len);

struct vx0_onion_udp_relay;
/* Bind a UDP socket to `bind` (IPv4 or IPv6) and serve cells. */
struct vx0_onion_udp_relay *vx0_onion_udp_relay_new(struct vx0_evloop *loop,
						    const struct vx0_onion_relay_config *cfg,
						    const struct vx0_onion_addr *bind,
						    vx0_onion_udp_data_cb deliver, void *arg);
void vx0_onion_udp_relay_free(struct vx0_onion_udp_relay *u);
struct vx0_onion_relay *vx0_onion_udp_relay_core(struct vx0_onion_udp_relay *u);
/* Exit: an IP packet back on circuit (link, circ) as given to deliver. */
int vx0_onion_udp_relay_send_back(struct vx0_onion_udp_relay *u, uint32_t link, uint32_t circ,
				  const uint8_t *pkt, size_t len);

struct vx0_onion_udp_client;
/* Open a socket toward path[0] and start building the circuit. */
struct vx0_onion_udp_client *vx0_onion_udp_client_new(struct vx0_evloop *loop,
						      const struct vx0_onion_relay_desc *path,
						      unsigned int n,
						      vx0_onion_udp_data_cb on_data, void *arg);
void vx0_onion_udp_client_free(struct vx0_onion_udp_client *c);
/* VX0_ONION_CIRC_* */
int vx0_onion_udp_client_state(const struct vx0_onion_udp_client *c);
int vx0_onion_udp_client_send(struct vx0_onion_udp_client *c, const uint8_t *pkt, size_t len);

#endif
