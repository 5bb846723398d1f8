/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VX0_ONION_DP_H
#define VX0_ONION_DP_H

/*
 * Onion circuits in the data plane (internal to lib/pipeline; doc/onion.md
 * section 6.3 and README "Onion relay"):
 *
 *  - the circuit table: an rte_hash (lock-free readers) from (link, circuit
 *    id, direction) to a slot holding the circuit's data-plane keys (Kf with
 *    its replay window, Kb with its counter), next hop and counters. Slots
 *    live in one sodium_malloc'd array; the slow path writes, and frees a
 *    slot (wiped) only after an RCU (QSBR) grace period;
 *  - the link table: peer (address, UDP port) <-> link id of lib/onion's
 *    relay core, with the local address cells to that peer leave from.
 *
 * Ownership without locks: classify picks the onion worker by (source,
 * circuit id), so a circuit's forward cells (from the previous hop, on the
 * inbound id) always meet one worker and its backward cells (from the next
 * hop, on the outbound id) one worker. The forward side of a slot (window,
 * forward counters) and its backward side (counter, backward counters) each
 * have one writer.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_hash.h>
#include <rte_meter.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "vx0_onion.h"
#include "vx0_pipeline.h"

struct vx0_node;
struct vx0_lcore_ctx;

/* A UDP peer as hash key (20 bytes, padding zeroed). */
struct vx0_onion_peer {
	uint8_t family;   /* 4 or 6 */
	uint8_t pad;
	uint16_t port;    /* host order */
	uint8_t addr[16];
};

struct vx0_onion_dp_link {
	struct vx0_onion_peer peer;
	uint8_t src[16];     /* our address toward the peer (same family) */
	uint32_t live;
	uint64_t tx_cells;   /* cells sent to the peer (any lcore: atomic), for padding */
};

struct vx0_onion_dp_circ {
	/* forward side: its onion worker only */
	uint8_t kf[VX0_ONION_KEY_LEN];
	struct vx0_onion_replay fwin;
	uint64_t fwd_cells, terminal, integrity_failed, replayed;
	/* exit (END circuits on an exit node): the forward worker's, which
	 * also owns the NAT ports the replies come back to */
	uint64_t exit_pkts_out, exit_bytes_out, exit_pkts_in, exit_bytes_in, exit_policed,
		exit_denied;
	struct rte_meter_srtcm meter;
	uint8_t meter_ready;
	/* backward side: its onion worker only */
	uint8_t kb[VX0_ONION_KEY_LEN] __rte_cache_aligned;
	uint64_t bseq;
	uint64_t bwd_cells;
	/* the slow path's */
	uint32_t in_link, in_circ, out_link, out_circ __rte_cache_aligned;
	uint8_t role;        /* VX0_ONION_ROLE_*; written last (release) */
	uint8_t used;
	uint64_t reported;   /* cells already fed to the relay core's byte count */
	uint64_t created_ms;
};

struct vx0_onion_table {
	struct rte_hash *circ_h;
	struct rte_hash *link_h;
	struct vx0_onion_dp_circ *slot;   /* sodium_allocarray(max_circ) */
	struct vx0_onion_dp_link *link;   /* [max_links + 1], index = link id */
	uint32_t max_circ, max_links;
	uint32_t *free_slot, n_free;
	/* deleted, waiting for the grace period: slots and hash key positions */
	uint32_t *pend_slot, n_pend_slot;
	int32_t *pend_cpos, n_pend_cpos;
	int32_t *pend_lpos, n_pend_lpos;
	uint32_t n_circ;
	struct rte_rcu_qsbr *qsv;
};

struct vx0_onion_table *vx0_onion_table_create(const char *name, uint32_t max_circ,
					       uint32_t max_links, int socket,
					       struct rte_rcu_qsbr *qsv);
void vx0_onion_table_free(struct vx0_onion_table *t);
/* Link id `link` (1..max_links) is now peer p, cells to it leave from src. */
int vx0_onion_table_link_set(struct vx0_onion_table *t, uint32_t link,
			     const struct vx0_onion_peer *p, const uint8_t src[16]);
/* Install (or update: END -> TRANSIT keeps the data plane's window and
 * counter) the entry; keys are copied. 0, -ENOSPC, -EINVAL. */
int vx0_onion_table_install(struct vx0_onion_table *t, const struct vx0_onion_circ_entry *e,
			    uint64_t now_ms);
/* Unlink the circuit; its slot is wiped and reused after the next
 * vx0_onion_table_reclaim. -ENOENT when unknown. */
int vx0_onion_table_remove(struct vx0_onion_table *t, uint32_t in_link, uint32_t in_circ);
/* Wait for the readers (one grace period) and free what was removed.
 * Returns the number of slots freed. Not from a registered reader. */
unsigned int vx0_onion_table_reclaim(struct vx0_onion_table *t);

struct vx0_onion_circ_key {
	uint32_t link, circ, dir; /* dir: 0 forward, 1 backward */
};

static inline uint32_t
vx0_onion_table_link_lookup(const struct vx0_onion_table *t, const struct vx0_onion_peer *p)
{
	void *d;

	if (rte_hash_lookup_data(t->link_h, p, &d) < 0)
		return 0;
	return (uint32_t)(uintptr_t)d;
}

static inline struct vx0_onion_dp_circ *
vx0_onion_table_lookup(const struct vx0_onion_table *t, uint32_t link, uint32_t circ,
		       uint32_t dir)
{
	struct vx0_onion_circ_key k = { link, circ, dir };
	void *d;

	if (rte_hash_lookup_data(t->circ_h, &k, &d) < 0)
		return NULL;
	return &t->slot[(uintptr_t)d];
}

/* Per-lcore onion counters (own cache lines; telemetry sums them). */
struct vx0_onion_lcore_stats {
	uint64_t cells, fwd, bwd, terminal, punted, punt_hs, malformed, unknown, padding,
		integrity, replayed, no_next_hop, nat_return, exit_out, exit_in, exit_denied,
		exit_policed, exit_nat_full, exit_no_mapping, punt_full;
} __rte_cache_aligned;

/* meta->stage of cells punted to the slow path */
enum vx0_onion_punt {
	VX0_ONION_PUNT_CELL = 0,   /* CREATE, CREATED, DESTROY: the relay core's input */
	VX0_ONION_PUNT_TERMINAL,   /* peeled: body is this hop's plaintext */
	VX0_ONION_PUNT_INTEGRITY,  /* forward layer failed: destroy (reason 6) */
	VX0_ONION_PUNT_PROTOCOL,   /* not for us and no next hop: destroy (reason 1) */
};

/* Exit source NAT: one mapping per (circuit, protocol, source address,
 * source port / ICMP id), by NAT port. */
#define VX0_ONION_NAT_PROTOS 3 /* TCP, UDP, ICMP echo */
struct vx0_onion_nat_key {
	uint32_t link, circ;
	uint8_t family, proto;
	uint16_t port;
	uint8_t addr[16];
};
struct vx0_onion_nat {
	struct vx0_onion_nat_key k;
	uint64_t last_tsc;
	uint8_t used;
};

/* The data plane's onion state (node->onion), created by the slow path. */
struct vx0_onion_dp {
	struct vx0_onion_table *tab;
	uint16_t port;               /* UDP port of cells, host order */
	bool padding;                /* count cells per link (cover padding is on) */
	/* exit NAT (classify sends return traffic here) */
	bool exit;
	uint32_t nat4;               /* network order, 0 = none */
	uint8_t nat6[16];
	bool has_nat6;
	uint16_t nat_lo, nat_hi;
	struct vx0_onion_exit_policy policy;
	unsigned int n_workers;
	uint32_t nat_n;
	uint64_t nat_idle_tsc;
	struct vx0_onion_nat *nat[VX0_ONION_NAT_PROTOS];  /* [port - nat_lo] */
	struct rte_hash *nat_h[VX0_MAX_WORKERS];          /* each worker's flows */
	uint32_t nat_cursor[VX0_MAX_WORKERS][VX0_ONION_NAT_PROTOS];
	uint32_t nat_first[VX0_MAX_WORKERS];
	struct rte_meter_srtcm_profile meter_prof;        /* per circuit, bytes */
	bool metered;
	/* to the slow path: handshakes queue behind everything else */
	struct rte_ring *punt_hi, *punt_lo;
	struct rte_meter_srtcm_profile unknown_prof;
	struct rte_meter_srtcm unknown_meter[RTE_MAX_LCORE];
	struct vx0_onion_lcore_stats st[RTE_MAX_LCORE];
};

/* classify: is this local packet for the onion stage? (cells to our
 * onion port, exit return traffic to a NAT port) */
struct vx0_pkt_meta;
bool vx0_onion_dp_wants(const struct vx0_onion_dp *od, const struct vx0_pkt_meta *meta,
			const uint8_t *l3);
/* The worker for a packet: cells by (source address, circuit id), NAT
 * return traffic by port. */
unsigned int vx0_onion_dp_worker(const struct vx0_onion_dp *od, const struct vx0_pkt_meta *meta,
				 const uint8_t *l3, unsigned int n_workers);

/* Build Ethernet + IP + UDP in front of the cell at `cell` (inside m):
 * toward link with our onion port as source. dst_mac: what classify
 * expects (the port's own MAC). 0 or -ENOSPC. */
struct rte_mbuf;
int vx0_onion_dp_encap(const struct vx0_onion_dp *od, struct rte_mbuf *m, uint8_t *cell,
		       const struct vx0_onion_dp_link *link, const struct rte_ether_addr *dst_mac);

/* stage_onion.c: the onion stage's work on a burst of cells (and exit
 * replies) without the final FIB pass: what goes on is in out[] with the
 * port to classify it on (VX0_CLS_LOCAL_ORIGIN); the rest was punted or
 * dropped. Returns the number in out (at most n). */
unsigned int vx0_onion_stage_burst(struct vx0_lcore_ctx *lc, struct rte_mbuf **pkts,
				   unsigned int n, struct rte_mbuf **out, uint8_t *out_port);

/* stage_onion_exit.c: the exit on the onion lcores */
int vx0_onion_exit_setup(struct vx0_onion_dp *od, const struct vx0_onion_exit_policy *policy,
			 unsigned int n_workers, uint64_t rate_bytes, uint64_t burst_bytes,
			 uint32_t idle_s, uint64_t tsc_hz);
void vx0_onion_exit_free(struct vx0_onion_dp *od);
/* A peeled terminal cell of END circuit c: 0 m is now an Ethernet frame
 * (the NAT'ed packet) to classify on port 0; 1 not DATA (the slow path's);
 * < 0 m was dropped (policy, meter, NAT full: counted). */
int vx0_onion_exit_out(struct vx0_lcore_ctx *lc, struct vx0_onion_dp *od,
		       struct vx0_onion_dp_circ *c, struct rte_mbuf *m, uint8_t *cell);
/* A reply to a NAT port: 0 and *cell (in m) sealed under c's Kb, to send
 * back on c's inbound link; < 0 dropped. */
int vx0_onion_exit_in(struct vx0_lcore_ctx *lc, struct vx0_onion_dp *od, struct rte_mbuf *m,
		      uint8_t **cell, struct vx0_onion_dp_circ **c);
void vx0_onion_fix_checksums(uint8_t *ip, size_t len);

#endif
