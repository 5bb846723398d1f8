/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VX0_CLIENT_H
#define VX0_CLIENT_H

/*
 * vx0-client (no DPDK): builds 3-hop onion circuits through vx0 relays and
 * carries a TUN interface's IP packets over the current one. Internal
 * header of the app: options, the TUN helpers, the circuit manager.
 */

#include <stdint.h>
#include <stdio.h>

#include "vx0_evloop.h"
#include "vx0_onion.h"
#include "vx0_onion_path.h"

#define VX0C_MAX_ROUTES 16
#define VX0C_MAX_ADDRS  2

struct vx0c_opts {
	const char *desc_file;
	const char *dht;               /* HOST:PORT of a DHT node to join */
	unsigned int dht_tiers;        /* bit t set: collect tier t (default 1|2|3) */
	unsigned int dht_wait_ms;      /* collection time before building */
	unsigned int dht_port;         /* our DHT UDP port (0 = ephemeral) */
	const char *tun;
	const char *addrs[VX0C_MAX_ADDRS];
	unsigned int n_addrs;
	const char *routes[VX0C_MAX_ROUTES];
	unsigned int n_routes;
	const char *path[3];           /* forced relay names (tests) */
	int forced;
	int any_subnet;                /* --no-distinct-subnets (test networks) */
	const char *state_dir;
	const char *events;            /* file or "-" */
	double padding;                /* cover cells per second on an idle link, 0 off */
	unsigned int duration_s;       /* 0: until a signal */
	unsigned int liveness_ms;      /* no reply this long after sending: rebuild */
	unsigned int build_timeout_ms; /* whole build */
	uint64_t rotate_ms;            /* rotation age (default 1 h, doc/onion.md 8) */
};

/* ---- tun.c ---- */
/* Parse "addr/len" (v4 or v6); family 4 or 6, -EINVAL. */
int vx0c_cidr_parse(const char *s, int *family, uint8_t addr[16], unsigned int *len);
/* Create TUN `name` (IFF_TUN | IFF_NO_PI, non-blocking), MTU
 * VX0_ONION_INNER_MTU, up, with addresses and routes (through `ip`).
 * Returns the fd or -errno; err says what failed. */
int vx0c_tun_open(const char *name, const char *const *addrs, unsigned int n_addrs,
		  const char *const *routes, unsigned int n_routes, char *err, size_t errlen);

/* ---- events.c: JSON lines ---- */
struct vx0c_events {
	FILE *f;
	int own;
};
int vx0c_events_open(struct vx0c_events *e, const char *path);
void vx0c_events_close(struct vx0c_events *e);
/* fmt: a jansson json_pack format for an object; "event" is added first. */
void vx0c_event(struct vx0c_events *e, const char *event, const char *fmt, ...);

/* ---- circuits.c: the circuit manager ---- */
struct vx0c;
struct vx0c *vx0c_new(struct vx0_evloop *loop, const struct vx0c_opts *o,
		      struct vx0_onion_dir *dir, struct vx0c_events *ev, int tun_fd);
/* Replace the directory (DHT refresh); circuits in use keep their path. */
void vx0c_set_dir(struct vx0c *c, const struct vx0_onion_dir *dir);
/* Start building (now or when the directory has relays). */
void vx0c_start(struct vx0c *c);
/* DESTROY every circuit, write the stats event. */
void vx0c_shutdown(struct vx0c *c);
void vx0c_free(struct vx0c *c);

/* ---- dht.c: the directory from DHT descriptors ---- */
struct vx0c_dht;
/* Option checks for --dht (exit 2 on error). */
int vx0c_dht_check(const struct vx0c_opts *o, char *err, size_t errlen);
/* Join, collect, then vx0c_set_dir + vx0c_start after o->dht_wait_ms. */
struct vx0c_dht *vx0c_dht_new(struct vx0_evloop *loop, const struct vx0c_opts *o,
			      struct vx0c *cl, struct vx0c_events *ev, char *err, size_t errlen);
void vx0c_dht_free(struct vx0c_dht *d);

#endif
