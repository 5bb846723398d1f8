/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VX0_FIB_H
#define VX0_FIB_H

/*
 * The forwarding table: IPv4 and IPv6 prefixes to next-hop ids, and the
 * next-hop array the data plane reads to rewrite L2.
 *
 * One writer (the slow path) and lock-free readers (data-plane lcores
 * registered with the RCU QSBR variable given at create time):
 *  - IPv4: a DIR-24-8 table of our own (vx0_fib4.c, rte_lpm's entry layout)
 *    with an O(1) rule index, so a full table loads in seconds (rte_lpm
 *    scans the rules of a length on every add); entries change with single
 *    atomic stores and second-level groups are recycled after a QSBR grace
 *    period, so each lookup sees the old or the new route, never a torn one.
 *  - IPv6: the same scheme with a byte per level below the first 24 bits
 *    (vx0_fib6.c, rte_lpm6's shape); lookups of a burst go level by level
 *    so their memory loads overlap.
 *  - next hops: a fixed array; the L2 word (MAC + valid bit) is a single
 *    64-bit atomic store; a freed id is reused only after a grace period.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>

#include <rte_common.h>
#include <rte_hash.h>
#include <rte_branch_prediction.h>
#include <rte_prefetch.h>
#include <rte_rcu_qsbr.h>

enum vx0_nh_type {
	VX0_NH_UNUSED = 0,
	VX0_NH_DROP,    /* blackhole: drop, counted */
	VX0_NH_LOCAL,   /* one of the node's own addresses: punt */
	VX0_NH_GLEAN,   /* connected subnet: resolve the destination itself */
	VX0_NH_FWD,     /* a neighbour (gateway or resolved host) on a port */
	VX0_NH_TUNNEL,  /* into an outbound ESP SA (sa_id), then routed again */
};

#define VX0_NH_L2_VALID (1ull << 63)
#define VX0_FIB_NH_DROP_ID 0 /* always present */

struct vx0_fib_nh {
	uint64_t l2;        /* dst MAC in the low 48 bits (wire order), VX0_NH_L2_VALID */
	uint16_t port;
	uint8_t type;       /* enum vx0_nh_type */
	uint8_t family;     /* AF_INET / AF_INET6 */
	uint32_t refcnt;    /* slow path only */
	uint8_t addr[16];   /* neighbour address (IPv4 in the first 4 bytes) */
	uint32_t sa_id;     /* VX0_NH_TUNNEL: index in the SAD */
	uint64_t free_token;/* slow path: QSBR token when freed */
	uint32_t next_free;
} __rte_cache_aligned;

struct vx0_fib_conf {
	uint32_t max_routes4;   /* default 1,100,000 */
	uint32_t max_tbl8s4;    /* default 65536 */
	uint32_t max_routes6;   /* default 300,000 */
	uint32_t max_tbl8s6;    /* default 65536 */
	uint32_t max_nh;        /* default 65536 */
	int socket_id;
	struct rte_rcu_qsbr *qsv; /* readers' QSBR variable (required) */
};

/* IPv4 entry (first and second level): next hop, found, second-level
 * group (first level only; the group number replaces the next hop), depth */
#define VX0_FIB4_NH_MASK 0x00ffffffu
#define VX0_FIB4_VALID (1u << 24)   /* a lookup result with it is a hit */
#define VX0_FIB4_EXT (1u << 25)
#define VX0_FIB4_DEPTH_SHIFT 26

struct vx0_fib4_rule;

struct vx0_fib4_map {
	void *base;                     /* our own mapping (2 MiB pages), or NULL */
	size_t len;
};

/* Second-level groups: free ones, and freed ones waiting out readers. */
struct vx0_fib_pool {
	uint32_t n, used, n_free;
	uint32_t *free;
	struct rte_rcu_qsbr_dq *dq;     /* groups waiting for a grace period */
	struct rte_rcu_qsbr *qsv;
};

/* What both families' tables are made of: a 2^24-entry first level by the
 * top 24 bits, groups of 256 entries below it, and the pool of groups. */
struct vx0_fib_levels {
	uint32_t *tbl24;
	uint32_t *tbl8;
	struct vx0_fib_pool pool;       /* slow path only */
	struct vx0_fib4_map map24, map8;
};

struct vx0_fib4 {
	struct vx0_fib_levels lv;       /* groups by the low 8 bits */
	/* slow path only */
	struct vx0_fib4_rule *rules;    /* (prefix, length) -> next hop */
	uint32_t rules_mask, n_rules, max_rules;
	uint32_t depth_rules[33];
};

/* IPv6 entry: next hop (or group number with EXT), found, depth 0..128 */
#define VX0_FIB6_NH_MASK 0x000fffffu
#define VX0_FIB6_VALID (1u << 20)  /* a lookup result with it is a hit */
#define VX0_FIB6_EXT (1u << 21)
#define VX0_FIB6_DEPTH_SHIFT 22

struct vx0_fib6_rule;

struct vx0_fib6 {
	struct vx0_fib_levels lv;       /* groups by one more byte each */
	/* slow path only */
	struct vx0_fib6_rule *rules;    /* (prefix, length) -> next hop */
	uint32_t rules_mask, n_rules, max_rules;
	uint32_t depth_rules[129];
};

int vx0_fib4_init(struct vx0_fib4 *t, const char *name, uint32_t max_rules,
		  uint32_t n_tbl8, int socket_id, struct rte_rcu_qsbr *qsv);
void vx0_fib4_fini(struct vx0_fib4 *t);
int vx0_fib4_add(struct vx0_fib4 *t, uint32_t ip_host, uint8_t depth, uint32_t nh);
int vx0_fib4_del(struct vx0_fib4 *t, uint32_t ip_host, uint8_t depth);
int vx0_fib4_get(const struct vx0_fib4 *t, uint32_t ip_host, uint8_t depth);
/* A hint before add/del of (ip, depth): start loading its rule slot and
 * first-level entry (a writer with a list of routes overlaps the misses). */
void vx0_fib4_prefetch(const struct vx0_fib4 *t, uint32_t ip_host, uint8_t depth);
/* Bytes of the IPv4 tables (both levels, rule index) resident in memory:
 * what the table costs the process, page by page (mincore). */
size_t vx0_fib4_resident(const struct vx0_fib4 *t);
/* The same for the IPv6 tables. */
size_t vx0_fib6_resident(const struct vx0_fib6 *t);

int vx0_fib6_init(struct vx0_fib6 *t, const char *name, uint32_t max_rules,
		  uint32_t n_tbl8, int socket_id, struct rte_rcu_qsbr *qsv);
void vx0_fib6_fini(struct vx0_fib6 *t);
int vx0_fib6_add(struct vx0_fib6 *t, const uint8_t ip[16], uint8_t depth, uint32_t nh);
int vx0_fib6_del(struct vx0_fib6 *t, const uint8_t ip[16], uint8_t depth);
int vx0_fib6_get(const struct vx0_fib6 *t, const uint8_t ip[16], uint8_t depth);

struct vx0_fib {
	struct vx0_fib4 v4;
	struct vx0_fib6 v6;
	struct vx0_fib_nh *nh;
	uint32_t max_nh;
	uint32_t free_head, free_tail; /* free list of nh ids (FIFO, for grace) */
	struct rte_hash *nh_index;     /* slow path: (port, address) / SA -> shared next hop */
	uint32_t n_routes4, n_routes6;
	struct rte_rcu_qsbr *qsv;
};

struct vx0_fib *vx0_fib_create(const char *name, const struct vx0_fib_conf *conf);
void vx0_fib_free(struct vx0_fib *fib);

/* --- slow path (single writer) --- */

/* Allocate a next hop; for VX0_NH_FWD an existing one with the same port and
 * address is shared (its reference count grows). Returns the id or -errno. */
int vx0_fib_nh_get(struct vx0_fib *fib, enum vx0_nh_type type, uint16_t port,
		   int family, const void *addr);
void vx0_fib_nh_put(struct vx0_fib *fib, uint32_t id);
/* The (shared) next hop that sends into outbound SA sa_id. */
int vx0_fib_nh_get_tunnel(struct vx0_fib *fib, uint32_t sa_id);
/* Find a FWD next hop by port and address without taking a reference. */
int vx0_fib_nh_find(const struct vx0_fib *fib, uint16_t port, int family,
		    const void *addr);
/* Publish (mac != NULL) or invalidate the neighbour's MAC. */
int vx0_fib_nh_set_l2(struct vx0_fib *fib, uint32_t id, const uint8_t *mac);

/* Add or replace a route (takes a reference on nh, drops the replaced one's). */
int vx0_fib_route_add(struct vx0_fib *fib, int family, const void *prefix,
		      uint8_t len, uint32_t nh);
int vx0_fib_route_del(struct vx0_fib *fib, int family, const void *prefix,
		      uint8_t len);
/* Which next hop a prefix has exactly (-ENOENT if none). */
int vx0_fib_route_get(const struct vx0_fib *fib, int family,
		      const void *prefix, uint8_t len);

/* --- lookups (any registered reader; the slow path too) --- */

/* The entry for ip: VX0_FIB4_VALID set and the next hop in the low 24 bits
 * on a hit. Each entry is one atomic load (never torn); the second-level
 * load's address depends on the first-level value, which orders the two
 * (as rte_lpm and the kernel's dependency ordering rely on): the group a
 * first-level entry names was filled before that entry was published. */
static inline uint32_t
vx0_fib4_entry_at(const uint32_t *tbl24, const uint32_t *tbl8, uint32_t ip_host)
{
	uint32_t e = __atomic_load_n(&tbl24[ip_host >> 8], __ATOMIC_RELAXED);

	if (unlikely(e & VX0_FIB4_EXT))
		e = __atomic_load_n(&tbl8[(size_t)(e & VX0_FIB4_NH_MASK) << 8 | (ip_host & 0xff)],
				    __ATOMIC_RELAXED);
	return e;
}

static inline uint32_t
vx0_fib4_entry(const struct vx0_fib *fib, uint32_t ip_host)
{
	return vx0_fib4_entry_at(fib->v4.lv.tbl24, fib->v4.lv.tbl8, ip_host);
}

static inline int
vx0_fib_lookup4(const struct vx0_fib *fib, uint32_t ip_host, uint32_t *nh)
{
	uint32_t e = vx0_fib4_entry(fib, ip_host);

	*nh = e & VX0_FIB4_NH_MASK;
	return (e & VX0_FIB4_VALID) ? 0 : -ENOENT;
}

/* nh[i]: VX0_FIB4_VALID | next hop on a hit (as rte_lpm_lookup_bulk) */
static inline void
vx0_fib_lookup4_bulk(const struct vx0_fib *fib, const uint32_t *ips,
		     uint32_t *nh, unsigned int n)
{
	const uint32_t *t24 = fib->v4.lv.tbl24, *t8 = fib->v4.lv.tbl8;

	for (unsigned int i = 0; i < n; i++)
		nh[i] = vx0_fib4_entry_at(t24, t8, ips[i]) & (VX0_FIB4_VALID | VX0_FIB4_NH_MASK);
}

/* Load the first-level entry for ip and start the second-level load, if
 * any (done for a whole burst before its lookups, so the misses overlap). */
static inline void
vx0_fib4_prefetch2(const struct vx0_fib *fib, uint32_t ip_host)
{
	uint32_t e = __atomic_load_n(&fib->v4.lv.tbl24[ip_host >> 8], __ATOMIC_RELAXED);

	if (e & VX0_FIB4_EXT)
		rte_prefetch0(&fib->v4.lv.tbl8[(size_t)(e & VX0_FIB4_NH_MASK) << 8 |
					    (ip_host & 0xff)]);
}

/* The IPv6 entry for ip: VX0_FIB6_VALID set and the next hop in the low
 * 20 bits on a hit (the same dependency ordering as IPv4). */
static inline uint32_t
vx0_fib6_entry(const struct vx0_fib6 *t, const uint8_t *ip)
{
	uint32_t e = __atomic_load_n(&t->lv.tbl24[(uint32_t)ip[0] << 16 | (uint32_t)ip[1] << 8 | ip[2]],
				     __ATOMIC_RELAXED);

	for (unsigned int k = 3; (e & VX0_FIB6_EXT) && k < 16; k++)
		e = __atomic_load_n(&t->lv.tbl8[(size_t)(e & VX0_FIB6_NH_MASK) << 8 | ip[k]],
				    __ATOMIC_RELAXED);
	return e;
}

static inline int
vx0_fib_lookup6(const struct vx0_fib *fib, const uint8_t *ip, uint32_t *nh)
{
	uint32_t e = vx0_fib6_entry(&fib->v6, ip);

	*nh = e & VX0_FIB6_NH_MASK;
	return (e & VX0_FIB6_VALID) ? 0 : -ENOENT;
}

/* Start the first-level load for ip (a burst's worth ahead of its lookup). */
static inline void
vx0_fib6_prefetch(const struct vx0_fib *fib, const uint8_t *ip)
{
	rte_prefetch0(&fib->v6.lv.tbl24[(uint32_t)ip[0] << 16 | (uint32_t)ip[1] << 8 | ip[2]]);
}

/* nh[i]: VX0_FIB6_VALID | next hop on a hit. n <= 64. Level by level over
 * the whole burst: each level's loads are started (prefetched) for every
 * address still descending before any is used, so their misses overlap
 * instead of queuing behind one another per address. */
static inline void
vx0_fib_lookup6_bulk(const struct vx0_fib *fib, const uint8_t (*ips)[16], uint32_t *nh,
		     unsigned int n)
{
	const uint32_t *t24 = fib->v6.lv.tbl24, *t8 = fib->v6.lv.tbl8;
	uint64_t ext = 0;

	for (unsigned int i = 0; i < n; i++) {
		const uint8_t *ip = ips[i];
		uint32_t e = __atomic_load_n(&t24[(uint32_t)ip[0] << 16 | (uint32_t)ip[1] << 8 | ip[2]],
					     __ATOMIC_RELAXED);

		nh[i] = e;
		if (unlikely(e & VX0_FIB6_EXT)) {
			ext |= 1ull << i;
			rte_prefetch0(&t8[(size_t)(e & VX0_FIB6_NH_MASK) << 8 | ip[3]]);
		}
	}
	for (unsigned int k = 3; ext != 0 && k < 16; k++) {
		uint64_t next = 0;

		for (uint64_t b = ext; b != 0; b &= b - 1) {
			unsigned int i = (unsigned int)__builtin_ctzll(b);
			uint32_t e = __atomic_load_n(&t8[(size_t)(nh[i] & VX0_FIB6_NH_MASK) << 8 |
							 ips[i][k]], __ATOMIC_RELAXED);

			nh[i] = e;
			if ((e & VX0_FIB6_EXT) && k < 15) {
				next |= 1ull << i;
				rte_prefetch0(&t8[(size_t)(e & VX0_FIB6_NH_MASK) << 8 | ips[i][k + 1]]);
			}
		}
		ext = next;
	}
	for (unsigned int i = 0; i < n; i++)
		nh[i] &= VX0_FIB6_VALID | VX0_FIB6_NH_MASK;
}

static inline const struct vx0_fib_nh *
vx0_fib_nh(const struct vx0_fib *fib, uint32_t id)
{
	return &fib->nh[id];
}

static inline uint64_t
vx0_fib_nh_l2(const struct vx0_fib_nh *nh)
{
	return __atomic_load_n(&nh->l2, __ATOMIC_ACQUIRE);
}

uint32_t vx0_fib_count(const struct vx0_fib *fib, int family);
const char *vx0_fib_nh_type_name(unsigned int type);

/* Parse "198.51.100.0/24" or "2001:db8::/32" (and a bare address as a host
 * route); the prefix is masked to its length. */
int vx0_fib_parse_prefix(const char *s, int *family, uint8_t addr[16],
			 uint8_t *len);

#endif
