/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VX0_DHT_SOCK_H
#define VX0_DHT_SOCK_H

/*
 * Socket glue for the DHT core (a separate target, no DPDK): one UDP socket
 * bound to the node's own address (replies leave from exactly the ip:port
 * that was queried), a timer on lib/evloop, persistence of the node id and
 * routing table (temp file + rename) so a restart rejoins at once, and JSON
 * views of the node for telemetry and tests.
 */

#include <jansson.h>

#include "vx0_dht.h"
#include "vx0_evloop.h"

#define VX0_DHT_SOCK_MAX_BOOTSTRAP 16

struct vx0_dht_sock_config {
	struct vx0_dht_config dht;
	struct vx0_dht_addr bind;     /* a specific address, not a wildcard */
	struct vx0_dht_addr bootstrap[VX0_DHT_SOCK_MAX_BOOTSTRAP];
	unsigned int nbootstrap;
	const char *state_path;       /* id + routing table, NULL: none */
	bool bep42_id;                /* derive a fresh id from the bind address */
};

struct vx0_dht_sock;

typedef void (*vx0_dht_sock_event_cb)(void *arg, const struct vx0_dht_event *ev);

/* Creates the socket and node; loads state_path if it exists and joins
 * through the saved nodes and the bootstrap list. */
struct vx0_dht_sock *vx0_dht_sock_create(struct vx0_evloop *loop,
					 const struct vx0_dht_sock_config *cfg,
					 vx0_dht_sock_event_cb cb, void *arg);
/* Saves state (if configured) and closes. */
void vx0_dht_sock_destroy(struct vx0_dht_sock *s);

struct vx0_dht *vx0_dht_sock_dht(struct vx0_dht_sock *s);
uint64_t vx0_dht_sock_now(const struct vx0_dht_sock *s);
/* Re-arm the timer after calling into the node directly. */
void vx0_dht_sock_kick(struct vx0_dht_sock *s);
/* Write the state file atomically. 0 or -errno. */
int vx0_dht_sock_save(struct vx0_dht_sock *s);

/* JSON views (new references). */
json_t *vx0_dht_json_table(const struct vx0_dht *dht);
json_t *vx0_dht_json_items(const struct vx0_dht *dht);
json_t *vx0_dht_json_lookups(const struct vx0_dht *dht);
json_t *vx0_dht_json_stats(const struct vx0_dht *dht);
json_t *vx0_dht_json_result(const struct vx0_dht_lookup_result *r);

/* "198.51.100.1:6881" or "[2001:db8::1]:6881" <-> address. */
int vx0_dht_addr_parse(const char *s, struct vx0_dht_addr *a);
void vx0_dht_addr_format(const struct vx0_dht_addr *a, char *buf, size_t len);

/* Read a 32-byte secret seed from path, or create one (mode 0600, written
 * atomically). The seed goes into sodium_malloc'd memory at *seed. */
int vx0_dht_seed_load_or_create(const char *path, uint8_t **seed);

#endif
