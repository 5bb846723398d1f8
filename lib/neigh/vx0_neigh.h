/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VX0_NEIGH_H
#define VX0_NEIGH_H

/*
 * Neighbour resolution for ARP and IPv6 ND, sans-IO: neighbour
 * unreachability detection after RFC 4861 7.3 (simplified), used for
 * IPv4 too. The core never sends or frees anything itself: it calls the
 * owner's ops (send a solicitation, publish a data-plane table entry,
 * release or drop a queued packet) and is driven by resolve/input/tick
 * calls with the time passed in. One thread (the slow path) owns a table;
 * ops must not call back into it.
 *
 * Entries are keyed by (port, family, address) and have a stable index
 * < max_entries: the data plane keeps a table indexed by it, filled by
 * the publish op. An entry that is referenced (vx0_neigh_ref, e.g. by a
 * FIB next hop) is never freed or reused; unreferenced ones are collected
 * when stale or failed for long enough, or evicted when the table is full.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* family values: the C library's AF_INET / AF_INET6 */
#define VX0_NEIGH_AF_INET 2
#define VX0_NEIGH_AF_INET6 10

enum vx0_neigh_state {
	VX0_NEIGH_FREE = 0,  /* not an entry (only seen in info of a free index) */
	VX0_NEIGH_INCOMPLETE, /* soliciting, packets queued, no MAC */
	VX0_NEIGH_REACHABLE, /* confirmed within reachable_ms */
	VX0_NEIGH_STALE,     /* MAC usable but unconfirmed; the next use starts DELAY */
	VX0_NEIGH_DELAY,     /* used while stale: wait delay_ms for a confirmation */
	VX0_NEIGH_PROBE,     /* unicast probes to the known MAC */
	VX0_NEIGH_FAILED,    /* resolution failed: no MAC, packets dropped until hold ends */
	VX0_NEIGH_STATIC,    /* configured, never ages */
	VX0_NEIGH_STATE_MAX,
};

/* vx0_neigh_input flags */
#define VX0_NEIGH_F_SOLICITED  0x01 /* answer to our solicitation (NA S flag; ARP reply to us) */
#define VX0_NEIGH_F_OVERRIDE   0x02 /* NA O flag; set it for ARP replies and gratuitous ARP */
#define VX0_NEIGH_F_REQUEST    0x04 /* their ARP request / NS carrying their MAC (RFC 4861 7.2.3) */
#define VX0_NEIGH_F_GRATUITOUS 0x08 /* gratuitous ARP / unsolicited NA: updates, never creates */

struct vx0_neigh_conf {
	uint32_t max_entries;  /* default 1024 */
	uint32_t queue_len;    /* packets queued per INCOMPLETE entry, default 3, max 255 */
	uint32_t retrans_ms;   /* between solicitations, default 1000 */
	uint32_t max_probes;   /* multicast solicits, and unicast probes, default 3 */
	uint32_t reachable_ms; /* REACHABLE lifetime, default 30000 */
	uint32_t delay_ms;     /* DELAY before probing, default 5000 (DELAY_FIRST_PROBE_TIME) */
	uint32_t stale_gc_ms;  /* unreferenced STALE entries unused this long are freed, default 600000 */
	uint32_t failed_hold_ms; /* FAILED drops packets this long before a new try, default 3000 */
	uint32_t hash_seed;    /* for the key hash; pick a random one per table */
};

struct vx0_neigh_ops {
	/* Send an ARP request / NS for addr (4 or 16 bytes) on port:
	 * unicast_mac NULL = broadcast ARP / multicast NS to the solicited-node group. */
	void (*send_probe)(void *ctx, uint16_t port, int family, const uint8_t *addr,
			   const uint8_t *unicast_mac);
	/* The data-plane entry idx now maps to (port, mac); mac NULL = invalid. */
	void (*publish)(void *ctx, uint32_t idx, uint16_t port, const uint8_t *mac);
	/* A queued (or just resolved) packet can go out to mac on port. */
	void (*release)(void *ctx, void *pkt, uint16_t port, const uint8_t *mac);
	/* A packet is dropped: queue overflow, resolution failed, table full. */
	void (*drop)(void *ctx, void *pkt);
};

struct vx0_neigh_stats {
	uint64_t solicits;      /* broadcast/multicast solicitations sent */
	uint64_t probes;        /* unicast probes sent */
	uint64_t replies;       /* inputs that resolved or confirmed an entry */
	uint64_t mac_changes;   /* inputs that changed a known MAC */
	uint64_t ignored;       /* inputs ignored (no entry for an unsolicited advert, static) */
	uint64_t queued;        /* packets queued while INCOMPLETE */
	uint64_t released;      /* packets handed to ops->release */
	uint64_t queue_drops;   /* oldest queued packet dropped for a newer one */
	uint64_t fail_drops;    /* packets dropped because resolution failed */
	uint64_t full_drops;    /* packets dropped because the table was full */
	uint64_t failures;      /* entries that went FAILED */
	uint64_t evictions;     /* entries reclaimed for a new key when full */
	uint64_t gc;            /* entries freed by tick */
};

struct vx0_neigh_info {
	uint32_t idx;
	uint16_t port;
	int family;             /* AF_INET or AF_INET6 */
	uint8_t addr[16];       /* 4 bytes used for AF_INET */
	uint8_t mac[6];         /* valid unless INCOMPLETE/FAILED */
	enum vx0_neigh_state state;
	uint32_t probes;        /* solicitations sent in the current round */
	uint32_t queued;
	uint32_t refs;
	uint64_t timer_ms;      /* next deadline (0: none) */
	uint64_t used_ms;       /* last resolve/touch */
};

struct vx0_neigh;

/* conf may be NULL (all defaults); 0 fields take the default. NULL on
 * bad conf (errno EINVAL) or no memory (ENOMEM). ops are copied. */
struct vx0_neigh *vx0_neigh_create(const struct vx0_neigh_conf *conf,
				   const struct vx0_neigh_ops *ops, void *ctx);
/* Drops every queued packet through ops->drop, then frees the table. */
void vx0_neigh_destroy(struct vx0_neigh *t);

/* Finds or creates the entry for (port, family, addr) and returns its
 * index; a non-NULL pkt is always consumed: released at once if a MAC is
 * known, queued while INCOMPLETE, else dropped. Using a STALE entry starts
 * DELAY. -EINVAL (bad family/addr), -ENOSPC (table full of referenced or
 * live entries: pkt dropped). */
int vx0_neigh_resolve(struct vx0_neigh *t, uint16_t port, int family, const uint8_t *addr,
		      void *pkt, uint64_t now_ms);
/* The data plane used entry idx (as resolve without a packet). */
int vx0_neigh_touch(struct vx0_neigh *t, uint32_t idx, uint64_t now_ms);
/* Upper-layer confirmation (RFC 4861 7.3.1): the entry becomes REACHABLE. */
int vx0_neigh_confirm(struct vx0_neigh *t, uint16_t port, int family, const uint8_t *addr,
		      uint64_t now_ms);
/* A link-layer address learned from the wire (ARP reply/request, NA/NS
 * with a link-layer option); flags VX0_NEIGH_F_*. mac may be NULL (an NA
 * without target link-layer option). Returns the index, or -ENOENT when
 * ignored (no entry and nothing to create), -EINVAL, -ENOSPC. */
int vx0_neigh_input(struct vx0_neigh *t, uint16_t port, int family, const uint8_t *addr,
		    const uint8_t *mac, unsigned int flags, uint64_t now_ms);
/* Retransmits, ages and collects. Call every ~100 ms; returns the number of
 * ms until the earliest deadline (capped at 1000) for arming a timer. */
uint64_t vx0_neigh_tick(struct vx0_neigh *t, uint64_t now_ms);

/* Configured entries: never age, never replaced by input. Returns the index. */
int vx0_neigh_add_static(struct vx0_neigh *t, uint16_t port, int family, const uint8_t *addr,
			 const uint8_t mac[6]);
/* Removes any entry (queued packets dropped, published invalid). A
 * referenced entry stays (FAILED) so its index keeps its meaning. */
int vx0_neigh_del(struct vx0_neigh *t, uint16_t port, int family, const uint8_t *addr);

/* Pin an index (a FIB next hop uses it) / unpin it. */
int vx0_neigh_ref(struct vx0_neigh *t, uint32_t idx);
int vx0_neigh_unref(struct vx0_neigh *t, uint32_t idx);

/* Index of an existing entry, or -ENOENT. */
int vx0_neigh_lookup(const struct vx0_neigh *t, uint16_t port, int family, const uint8_t *addr);
/* Info about index idx (state VX0_NEIGH_FREE if unused); -EINVAL if out of range. */
int vx0_neigh_get(const struct vx0_neigh *t, uint32_t idx, struct vx0_neigh_info *info);
/* Calls cb for every entry in index order until it returns non-zero (returned). */
int vx0_neigh_foreach(const struct vx0_neigh *t,
		      int (*cb)(void *arg, const struct vx0_neigh_info *info), void *arg);
void vx0_neigh_get_stats(const struct vx0_neigh *t, struct vx0_neigh_stats *st);
uint32_t vx0_neigh_count(const struct vx0_neigh *t);
/* "incomplete", "reachable", ... */
const char *vx0_neigh_state_name(unsigned int state);

#endif
