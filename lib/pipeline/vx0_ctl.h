/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VX0_CTL_H
#define VX0_CTL_H

/* Internal to the pipeline library: the slow path's state. */

#include <pthread.h>

#include <jansson.h>

#include "vx0_capfile.h"
#include "vx0_pipeline.h"

struct vx0_neigh;
struct vx0_evloop;
struct vx0_ctl_bgp;
struct vx0_ctl_ike;
struct vx0_ctl_dht;
struct vx0_ctl_capture;
struct vx0_dht;
struct vx0_bgp;
struct vx0_metrics_server;
struct vx0_mgmt;
struct vx0_ctl_ops;
struct vx0_bgp_io;
struct vx0_ike;
struct vx0_ctl_onion;

/* What the slow path knows of a neighbour entry (indexed like lib/neigh's) */
struct vx0_ctl_adj {
	uint32_t fib_nh;     /* FWD next hop carrying its MAC, 0 = none yet */
	uint8_t family;
	uint8_t host_route;  /* a /32 or /128 to it is installed */
	uint16_t port;
	uint8_t addr[16];
};

/* lib/neigh's publish() runs inside its calls, which must not be re-entered:
 * the published indexes wait here until the call has returned. */
#define VX0_CTL_DIRTY_MAX 256
struct vx0_ctl_dirty {
	uint32_t idx[VX0_CTL_DIRTY_MAX];
	unsigned int n;
	bool overflow;
};

struct vx0_ctl {
	struct vx0_node *node;
	struct vx0_lcore_ctx *lc;     /* the ctl lcore's context (stats, roles) */
	struct vx0_neigh *neigh;
	struct vx0_ctl_adj *adj;
	uint32_t max_adj;
	struct vx0_ctl_dirty dirty;
	struct vx0_evloop *loop;
	double icmp_tokens;
	uint64_t icmp_last_tsc;
	uint64_t now_ms;
	uint64_t neigh_tick_ms;
	/* held by the ctl lcore while it changes tables, and by telemetry
	 * (another thread) while it reads them; never by data-plane lcores */
	pthread_mutex_t lock;      /* recursive: FIB batches nest in polls */
	struct vx0_ctl_bgp *bgp;   /* NULL: no BGP configured */
	struct vx0_ctl_ike *ike;   /* NULL: no IKE configured */
	struct vx0_ctl_dht *dht;   /* NULL: no DHT configured */
	struct vx0_ctl_capture *capture;
	uint64_t evloop_ms;        /* last time the event loop was served */
	uint64_t stop_grace_ms;    /* when a requested stop proceeds (0: not yet) */
	uint64_t soft_expiries;    /* soft-lifetime events from the crypto lcores */
	struct vx0_metrics_server *metrics; /* NULL: no "metrics" configured */
	struct vx0_mgmt *mgmt;              /* the management socket */
	struct vx0_ctl_ops *ops;            /* its state-changing commands' state (ctl_ops.h) */
	struct vx0_ctl_onion *onion;        /* NULL: no "onion" section */
};

/* ctl_onion.c: the onion relay's slow path */
int vx0_ctl_onion_start(struct vx0_ctl *ctl, char *err, size_t errlen);
void vx0_ctl_onion_stop(struct vx0_ctl *ctl);
unsigned int vx0_ctl_onion_poll(struct vx0_ctl *ctl);
/* {"name", "addr", "port", "id", "onion_key", "capacity", "family", "exit"}; NULL: no relay */
json_t *vx0_ctl_onion_descriptor(struct vx0_ctl *ctl);
json_t *vx0_ctl_onion_circuits(struct vx0_ctl *ctl);  /* no keys */
json_t *vx0_ctl_onion_stats(struct vx0_ctl *ctl);
int vx0_ctl_onion_destroy(struct vx0_ctl *ctl, uint32_t link, uint32_t circ);
int vx0_ctl_onion_cmd_list(json_t *args, json_t **result, char *err, size_t errlen, void *arg);
int vx0_ctl_onion_cmd_destroy(json_t *args, json_t **result, char *err, size_t errlen, void *arg);
int vx0_ctl_onion_cmd_descriptor(json_t *args, json_t **result, char *err, size_t errlen,
				 void *arg);
/* onion_telemetry.c: /vx0/onion, /vx0/onion/circuits */
int vx0_onion_telemetry_register(struct vx0_node *node);
int vx0_ctl_onion_cmd_stats(json_t *args, json_t **result, char *err, size_t errlen, void *arg);

/* ctl_metrics.c: the Prometheus exporter on the ctl loop (conf "metrics") */
int vx0_ctl_metrics_start(struct vx0_ctl *ctl, char *err, size_t errlen);
void vx0_ctl_metrics_stop(struct vx0_ctl *ctl);
/* ctl_mgmt.c: the management socket (RUNTIME_DIR/vx0_mgmt.sock) */
int vx0_ctl_mgmt_start(struct vx0_ctl *ctl, char *err, size_t errlen);
void vx0_ctl_mgmt_stop(struct vx0_ctl *ctl);
/* ctl_reload.c, ctl_mgmt_bgp.c, ctl_port.c, ctl_log.c: more commands on it */
int vx0_ctl_mgmt_register_ops(struct vx0_ctl *ctl);
void vx0_ctl_mgmt_unregister_ops(struct vx0_ctl *ctl);
struct vx0_metrics_writer;
/* Prometheus: the management socket's and reload counters, ports' admin state */
void vx0_ctl_mgmt_metrics(struct vx0_ctl *ctl, struct vx0_metrics_writer *w);


/* ctl_capture.c: one capture at a time (vx0_capture.h, lib/capfile) */
struct vx0_ctl_capture_req {
	const char *point;         /* rx:PORT, tx:PORT, stage:NAME:in|out, punt; several: a,b */
	const char *path;          /* absolute: a file, or a FIFO (fifo true) */
	bool fifo;
	enum vx0_capfile_format format;
	uint64_t count, seconds;   /* 0: no bound of that kind */
	uint32_t snaplen;          /* 0: whole packets (up to the mbuf's room) */
	uint32_t ring;             /* copies the ring holds (0: 4096) */
	const char *filter;        /* libpcap filter, NULL or "": everything */
};
enum vx0_ctl_capture_state { VX0_CAPTURE_IDLE = 0, VX0_CAPTURE_WAITING, VX0_CAPTURE_RUNNING };
struct vx0_ctl_capture_stats {
	enum vx0_ctl_capture_state state;
	bool fifo;
	enum vx0_capfile_format format;
	char point[256], path[256], filter[512], reason[96]; /* reason: why the last one ended */
	uint32_t snaplen, ring;
	uint64_t count, seconds;
	/* this (or the last) capture */
	uint64_t written, filtered, drop_ring, drop_nombuf, drop_writer;
	/* since the node started */
	uint64_t captures, total_written, total_filtered, total_drop_ring, total_drop_nombuf,
		 total_drop_writer;
};
int vx0_ctl_capture_start(struct vx0_ctl *ctl, const struct vx0_ctl_capture_req *req, char *err,
			  size_t errlen);
int vx0_ctl_capture_stop(struct vx0_ctl *ctl);
void vx0_ctl_capture_stats(struct vx0_ctl *ctl, struct vx0_ctl_capture_stats *s);
const char *vx0_ctl_capture_state_name(enum vx0_ctl_capture_state st);
unsigned int vx0_ctl_capture_poll(struct vx0_ctl *ctl);
/* ctl_capture_cmd.c: capture.start / stop / status (lib/mgmt handlers; arg is the node) */
int vx0_ctl_capture_cmd_start(json_t *args, json_t **result, char *err, size_t errlen, void *arg);
int vx0_ctl_capture_cmd_stop(json_t *args, json_t **result, char *err, size_t errlen, void *arg);
int vx0_ctl_capture_cmd_status(json_t *args, json_t **result, char *err, size_t errlen, void *arg);
json_t *vx0_ctl_capture_json(struct vx0_ctl *ctl);
void vx0_ctl_capture_destroy(struct vx0_ctl *ctl);

/* ctl_dht.c */
int vx0_ctl_dht_start(struct vx0_ctl *ctl, char *err, size_t errlen);
void vx0_ctl_dht_stop(struct vx0_ctl *ctl);
struct vx0_dht *vx0_ctl_dht_node(struct vx0_ctl *ctl, uint64_t *published);
const uint8_t *vx0_ctl_dht_identity(struct vx0_ctl *ctl);
/* management commands (lib/mgmt handlers; arg is the node) */
int vx0_ctl_ike_cmd_sas(json_t *args, json_t **result, char *err, size_t errlen, void *arg);
int vx0_ctl_dht_cmd_table(json_t *args, json_t **result, char *err, size_t errlen, void *arg);
int vx0_ctl_dht_cmd_items(json_t *args, json_t **result, char *err, size_t errlen, void *arg);
int vx0_ctl_dht_cmd_lookups(json_t *args, json_t **result, char *err, size_t errlen, void *arg);
int vx0_ctl_dht_cmd_put(json_t *args, json_t **result, char *err, size_t errlen, void *arg);
int vx0_ctl_dht_cmd_get(json_t *args, json_t **result, char *err, size_t errlen, void *arg);
int vx0_ctl_dht_cmd_result(json_t *args, json_t **result, char *err, size_t errlen, void *arg);

/* ctl_ike.c */
int vx0_ctl_ike_start(struct vx0_ctl *ctl, char *err, size_t errlen);
/* (Re)build the set of BGP and IKE peer addresses the rx stage polices
 * apart (ctl_peers.c); after any change of the BGP peers. */
int vx0_ctl_peers_publish(struct vx0_ctl *ctl);
void vx0_ctl_ike_stop(struct vx0_ctl *ctl);
/* SA index sa reached its soft lifetime: 0 if IKE owns it and rekeys, -ENOENT if not. */
int vx0_ctl_ike_sa_soft_expired(struct vx0_ctl *ctl, uint32_t sa);
struct vx0_ike *vx0_ctl_ike_core(struct vx0_ctl *ctl); /* NULL: no IKE */
bool vx0_ctl_ike_owns_sa(struct vx0_ctl *ctl, int sa);
void vx0_ctl_ike_kick(struct vx0_ctl *ctl);
void vx0_ctl_ike_counts(struct vx0_ctl *ctl, uint64_t *up, uint64_t *down, uint64_t *rekeys,
			uint64_t *errors, unsigned int *active);

/* ctl_bgp.c */
int vx0_ctl_bgp_start(struct vx0_ctl *ctl, char *err, size_t errlen);
void vx0_ctl_bgp_shutdown(struct vx0_ctl *ctl, uint64_t now_ms);
void vx0_ctl_bgp_stop(struct vx0_ctl *ctl);
struct vx0_bgp *vx0_ctl_bgp_core(struct vx0_ctl *ctl);
void vx0_ctl_bgp_kick(struct vx0_ctl *ctl);
struct vx0_bgp_io *vx0_ctl_bgp_io(struct vx0_ctl *ctl); /* NULL: no BGP */
struct vx0_bgp_peer_config;
/* A config section's peer as lib/bgp's (policies point into the config). */
void vx0_ctl_bgp_peer_config(const struct vx0_conf_bgp_peer *cp, struct vx0_bgp_peer_config *pc);
void vx0_ctl_bgp_fib_stats(struct vx0_ctl *ctl, uint64_t *installed, uint64_t *removed,
			   uint64_t *unresolved);

/* ctl_neigh.c: telemetry's view of the neighbour table */
void vx0_ctl_neigh_dump(struct vx0_ctl *ctl, void (*fn)(void *arg, uint16_t port,
			int family, const uint8_t *addr, const uint8_t *mac, const char *state),
			void *arg);

/* ctl_neigh.c */
int vx0_ctl_neigh_create(struct vx0_ctl *ctl, char *err, size_t errlen);
void vx0_ctl_neigh_destroy(struct vx0_ctl *ctl);
void vx0_ctl_neigh_resolve(struct vx0_ctl *ctl, struct rte_mbuf *m);
void vx0_ctl_neigh_arp(struct vx0_ctl *ctl, struct rte_mbuf *m);
void vx0_ctl_neigh_nd(struct vx0_ctl *ctl, struct rte_mbuf *m);
void vx0_ctl_neigh_tick(struct vx0_ctl *ctl);
int vx0_ctl_neigh_static(struct vx0_ctl *ctl, const struct vx0_conf_neigh *n);

/* stage_ctl.c */
/* Send m (an IP packet with room for L2 in front of data) towards its
 * destination through the FIB, resolving the neighbour if needed. */
void vx0_ctl_route_out(struct vx0_ctl *ctl, struct rte_mbuf *m);
/* Copy m to the kernel through the TAP of its input port (m is kept). */
void vx0_ctl_to_kernel_copy(struct vx0_ctl *ctl, struct rte_mbuf *m);
struct rte_mbuf *vx0_ctl_alloc(struct vx0_ctl *ctl);

#endif
