/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VX0_IKE_GLUE_H
#define VX0_IKE_GLUE_H

/*
 * Socket glue for the IKEv2 core: UDP sockets on ports 500 and 4500 (the
 * latter with the 4-byte non-ESP marker of RFC 3948 §2.2), one evloop timer
 * for retransmission, DPD and rekeying. No DPDK; vx0d and the lab program
 * test/ike_node use the same glue.
 */

#include <stdint.h>

#include "vx0_evloop.h"
#include "vx0_ike.h"

struct vx0_ike_glue;

struct vx0_ike_glue_conf {
	uint16_t port;      /* 0: 500 */
	uint16_t natt_port; /* 0: 4500 */
	/* events from the core (IKE/CHILD up, rekeyed, down) */
	void (*event)(void *arg, const struct vx0_ike_event *ev);
	void *arg;
};

/*
 * Binds conf->local on both ports and creates the core. The IKE conf must
 * outlive the glue. NULL with errno set on failure.
 */
struct vx0_ike_glue *vx0_ike_glue_create(struct vx0_evloop *loop,
					 const struct vx0_ike_conf *conf,
					 const struct vx0_ike_glue_conf *gc);
void vx0_ike_glue_destroy(struct vx0_ike_glue *g);

/* The core, for vx0_ike_initiate() and friends; call ..._kick after. */
struct vx0_ike *vx0_ike_glue_core(struct vx0_ike_glue *g);
/* Re-arm the timer after calling into the core directly. */
void vx0_ike_glue_kick(struct vx0_ike_glue *g);

/* Datagrams dropped at the socket layer (ESP on 4500, keepalives, short). */
uint64_t vx0_ike_glue_non_ike(const struct vx0_ike_glue *g);

#endif
