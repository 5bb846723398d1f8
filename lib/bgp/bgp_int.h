/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VX0_BGP_INT_H
#define VX0_BGP_INT_H

/* Internal structures of the BGP core, shared by its files and unit tests. */

#include <arpa/inet.h>
#include <string.h>

#include "vx0_bgp.h"

#define BGP_HDR_LEN 19
#define BGP_MAX_LEN 4096
#define BGP_EXT_MAX_LEN 65535 /* RFC 8654 */

enum bgp_msg_type {
	BGP_OPEN = 1,
	BGP_UPDATE = 2,
	BGP_NOTIFICATION = 3,
	BGP_KEEPALIVE = 4,
	BGP_ROUTE_REFRESH = 5,
};

/* NOTIFICATION codes (RFC 4271 4.5) */
enum {
	BGP_ERR_HEADER = 1,
	BGP_ERR_OPEN = 2,
	BGP_ERR_UPDATE = 3,
	BGP_ERR_HOLD = 4,
	BGP_ERR_FSM = 5,
	BGP_ERR_CEASE = 6,
	BGP_ERR_RR = 7, /* RFC 7313 ROUTE-REFRESH message error */
};
/* header subcodes */
enum { BGP_HDR_SYNC = 1, BGP_HDR_LENGTH = 2, BGP_HDR_TYPE = 3 };
/* OPEN subcodes */
enum {
	BGP_OPEN_VERSION = 1, BGP_OPEN_PEER_AS = 2, BGP_OPEN_BGP_ID = 3,
	BGP_OPEN_OPT_PARAM = 4, BGP_OPEN_HOLD = 6, BGP_OPEN_CAPABILITY = 7,
};
/* UPDATE subcodes */
enum {
	BGP_UPD_ATTR_LIST = 1, BGP_UPD_WELLKNOWN = 2, BGP_UPD_MISSING = 3,
	BGP_UPD_FLAGS = 4, BGP_UPD_LENGTH = 5, BGP_UPD_ORIGIN = 6,
	BGP_UPD_NEXTHOP = 8, BGP_UPD_OPTIONAL = 9, BGP_UPD_NETWORK = 10,
	BGP_UPD_AS_PATH = 11,
};
/* Cease subcodes (RFC 4486) */
enum {
	BGP_CEASE_MAX_PREFIX = 1, BGP_CEASE_SHUTDOWN = 2, BGP_CEASE_DECONFIG = 3,
	BGP_CEASE_RESET = 4, BGP_CEASE_COLLISION = 7,
};

/* attribute type codes */
enum {
	BGP_A_ORIGIN = 1, BGP_A_AS_PATH = 2, BGP_A_NEXT_HOP = 3, BGP_A_MED = 4,
	BGP_A_LOCAL_PREF = 5, BGP_A_ATOMIC_AGGR = 6, BGP_A_AGGREGATOR = 7,
	BGP_A_COMMUNITIES = 8, BGP_A_ORIGINATOR_ID = 9, BGP_A_CLUSTER_LIST = 10,
	BGP_A_MP_REACH = 14, BGP_A_MP_UNREACH = 15, BGP_A_EXT_COMMUNITIES = 16,
	BGP_A_AS4_PATH = 17, BGP_A_AS4_AGGREGATOR = 18, BGP_A_LARGE_COMM = 32,
};
#define BGP_AF_OPTIONAL 0x80
#define BGP_AF_TRANSITIVE 0x40
#define BGP_AF_PARTIAL 0x20
#define BGP_AF_EXTLEN 0x10

#define BGP_AS_SET 1
#define BGP_AS_SEQUENCE 2
#define BGP_AS_CONFED_SEQ 3
#define BGP_AS_CONFED_SET 4
#define BGP_AS_TRANS 23456

#define BGP_AFI_IPV4 1
#define BGP_AFI_IPV6 2
#define BGP_SAFI_UNICAST 1

/* presence bits of bgp_attr_key.present */
enum {
	BGP_P_ORIGIN = 1 << 0, BGP_P_AS_PATH = 1 << 1, BGP_P_NEXT_HOP = 1 << 2,
	BGP_P_MED = 1 << 3, BGP_P_LOCAL_PREF = 1 << 4, BGP_P_ATOMIC = 1 << 5,
	BGP_P_AGGREGATOR = 1 << 6, BGP_P_ORIGINATOR = 1 << 7,
};

/* The compared and hashed part of an attribute set; explicit padding, zeroed. */
struct bgp_attr_key {
	uint16_t present;
	uint8_t origin;
	uint8_t nh_family; /* 0, 4 or 6 */
	uint8_t nh[16];
	uint32_t med, local_pref, originator_id;
	uint32_t aggr_as, aggr_id;
	uint16_t len[5]; /* byte lengths of the sections below */
	uint16_t pad;
};

/* sections of bgp_attrs.data, in this order */
enum { BGP_S_ASPATH = 0, BGP_S_COMM, BGP_S_LCOMM, BGP_S_CLUSTER, BGP_S_UNKNOWN, BGP_S_N };
#define BGP_SEC_CAP 70000u

/* An interned, reference-counted attribute set. */
struct bgp_attrs {
	struct bgp_attrs *hnext;
	uint32_t hash;
	uint32_t refcnt;
	uint16_t as_len;    /* decision-process path length */
	uint32_t first_as, last_as;
	struct bgp_attr_key k;
	uint8_t data[];     /* sections, 4-octet AS path segments first */
};

/* A mutable attribute set being parsed or edited. */
struct bgp_attr_build {
	struct bgp_attr_key k;
	uint8_t *sec[BGP_S_N]; /* each BGP_SEC_CAP bytes */
	uint8_t *scratch;      /* BGP_SEC_CAP bytes: AS4_PATH while parsing */
};

struct bgp_attr_table {
	struct bgp_attrs **buckets;
	uint32_t mask;
	size_t count;
	struct bgp_attrs *last; /* the last set interned (no reference) */
};

int bgp_attr_table_init(struct bgp_attr_table *t);
void bgp_attr_table_fini(struct bgp_attr_table *t);
struct bgp_attrs *bgp_attr_intern(struct bgp_attr_table *t, const struct bgp_attr_build *b);
/* The hash bgp_attr_intern files b under; prefetching its bucket, then
 * (once the bucket is in cache) the bucket's first set, overlaps the two
 * cache misses of an intern with other work. */
uint32_t bgp_attr_hash(const struct bgp_attr_build *b);
void bgp_attr_prefetch_bucket(const struct bgp_attr_table *t, uint32_t h);
void bgp_attr_prefetch_set(const struct bgp_attr_table *t, uint32_t h);
void bgp_attr_ref(struct bgp_attrs *a);
void bgp_attr_unref(struct bgp_attr_table *t, struct bgp_attrs *a);
int bgp_attr_build_init(struct bgp_attr_build *b);
void bgp_attr_build_fini(struct bgp_attr_build *b);
void bgp_attr_build_clear(struct bgp_attr_build *b);
void bgp_attr_build_load(struct bgp_attr_build *b, const struct bgp_attrs *a);
const uint8_t *bgp_attr_sec(const struct bgp_attrs *a, int sec);
/* AS path helpers over 4-octet segment encoding */
void bgp_aspath_stats(const uint8_t *p, size_t n, uint16_t *len, uint32_t *first, uint32_t *last);
bool bgp_aspath_contains(const uint8_t *p, size_t n, uint32_t as);
int bgp_aspath_prepend(struct bgp_attr_build *b, uint32_t as, unsigned times);

/* ---- UPDATE parsing, RFC 7606 ---- */

enum bgp_upd_outcome {
	BGP_UPD_OK = 0,
	BGP_UPD_WITHDRAW, /* treat-as-withdraw: every NLRI of the message is withdrawn */
	BGP_UPD_RESET,    /* session reset with err_code/err_sub */
};

struct bgp_nlri_block {
	uint8_t family; /* 4 or 6; 0 = absent */
	const uint8_t *p;
	size_t len;
};

struct bgp_update {
	enum bgp_upd_outcome outcome;
	uint8_t err_code, err_sub;
	unsigned discarded;   /* attributes discarded (RFC 7606 attribute discard) */
	bool as4_seen;
	struct bgp_nlri_block withdrawn, nlri, mp_reach, mp_unreach;
	struct vx0_bgp_addr mp_nh;
	bool has_attrs;       /* Total Path Attribute Length > 0 */
	bool eor;             /* End-of-RIB marker (RFC 4724) */
	uint8_t eor_family;
};

struct bgp_parse_ctx {
	bool as4;    /* 4-octet AS negotiated */
	bool ebgp;
	uint32_t peer_as;
	bool v4, v6; /* negotiated address families */
};

/* Parses an UPDATE body (after the 19-byte header) into u and b. */
void bgp_update_parse(const struct bgp_parse_ctx *c, const uint8_t *p, size_t len,
		      struct bgp_update *u, struct bgp_attr_build *b);
/* Next prefix of an NLRI block: 1 got one, 0 end, -EINVAL malformed. */
int bgp_nlri_next(struct bgp_nlri_block *blk, struct vx0_bgp_prefix *out);
/* Validates a whole NLRI block without consuming it. */
int bgp_nlri_check(const struct bgp_nlri_block *blk);

/* ---- other messages ---- */

struct bgp_open {
	uint8_t version;
	uint16_t my_as;
	uint16_t hold;
	uint32_t bgp_id;
	uint32_t as4;     /* 0 when the capability is absent */
	bool cap_v4, cap_v6, cap_rr, cap_gr, cap_ext, any_mp;
	uint16_t gr_time;
	bool gr_restarting;
};

/* Parses an OPEN body; 0 or -EBADMSG with *sub set to the OPEN error subcode. */
int bgp_open_parse(const uint8_t *p, size_t len, struct bgp_open *o, uint8_t *sub);

struct bgp_open_params {
	uint32_t local_as;
	uint16_t hold;
	uint32_t router_id;
	bool v4, v6, gr, ext;
	uint16_t gr_time;
};
/* Writes a whole OPEN message; returns its length. buf >= 128 bytes. */
size_t bgp_open_encode(uint8_t *buf, const struct bgp_open_params *o);
size_t bgp_keepalive_encode(uint8_t *buf);
/* data may be NULL; returns length; buf >= 19+2+dlen */
size_t bgp_notification_encode(uint8_t *buf, uint8_t code, uint8_t sub,
			       const uint8_t *data, size_t dlen);
size_t bgp_route_refresh_encode(uint8_t *buf, uint16_t afi, uint8_t safi);
void bgp_hdr_write(uint8_t *buf, uint16_t len, uint8_t type);
/*
 * Validates the header of buf (>= 19 bytes): 0 with *mlen and *type, or
 * -EBADMSG with *sub = header error subcode.
 */
int bgp_hdr_check(const uint8_t *buf, size_t max_len, uint16_t *mlen, uint8_t *type,
		  uint8_t *sub);
/* RFC 8203 / 9003 shutdown communication in a Cease data field into text. */
int bgp_shutdown_msg_parse(const uint8_t *data, size_t len, char *out, size_t outn);

/* Encodes attrs for a peer; returns bytes written or -ENOSPC. */
int bgp_attrs_encode(const struct bgp_attrs *a, bool as4, bool ibgp, bool nh_attr,
		     uint8_t *buf, size_t cap);

/* ---- RIB ---- */

#define BGP_PEER_LOCAL 0xffff

enum { BGP_PATH_REJECTED = 1, BGP_PATH_STALE = 2 };

struct bgp_path {
	struct bgp_path *next;
	struct bgp_attrs *attrs;
	uint16_t peer;
	uint16_t flags;
};

struct bgp_rib_entry {
	struct bgp_rib_entry *hnext;
	struct bgp_path *paths; /* best first when best != 0 */
	uint64_t adv;           /* Adj-RIB-Out: advertised to peer i */
	uint32_t hash;
	uint8_t has_best;
	uint8_t reason;
	struct vx0_bgp_prefix pfx;
};

struct bgp_slab {
	size_t obj_size;
	void *free_list;
	void **chunks;
	size_t n_chunks;
};

struct bgp_rib {
	struct bgp_rib_entry **buckets;
	uint32_t mask;
	size_t count;      /* entries */
	size_t best_count; /* entries with a best path */
	struct bgp_slab entries, paths;
};

int bgp_rib_init(struct bgp_rib *r);
void bgp_rib_fini(struct bgp_rib *r, struct bgp_attr_table *t);
struct bgp_rib_entry *bgp_rib_get(struct bgp_rib *r, const struct vx0_bgp_prefix *p, bool create);
void bgp_rib_remove_if_empty(struct bgp_rib *r, struct bgp_rib_entry *e);
/* Start loading p's bucket, and (a few prefixes later, the bucket then in
 * cache) its first entry: the lookups of a long NLRI list overlap their
 * cache misses instead of taking them one after another. Hints only. */
void bgp_rib_prefetch(const struct bgp_rib *r, const struct vx0_bgp_prefix *p);
void bgp_rib_prefetch_entry(const struct bgp_rib *r, const struct vx0_bgp_prefix *p);
struct bgp_path *bgp_path_alloc(struct bgp_rib *r);
void bgp_path_free(struct bgp_rib *r, struct bgp_path *p);
typedef int (*bgp_rib_iter_cb)(void *arg, struct bgp_rib_entry *e);
/* Iterates every entry; the callback may remove the current entry. */
int bgp_rib_iter(struct bgp_rib *r, bgp_rib_iter_cb cb, void *arg);

/* Clears the bits past p->len (RFC 4271 4.3: trailing bits are ignored), a
 * word at a time: every NLRI prefix passes here (bgp_nlri_next), up to four
 * times with validation and the lookaheads, and as a byte loop it was a
 * tenth of a uniform full table's load. */
static inline void
bgp_prefix_mask(struct vx0_bgp_prefix *p)
{
	unsigned words = p->family == 6 ? 4 : 1;

	for (unsigned i = 0; i < 4; i++) {
		unsigned bit = i * 32;
		uint32_t w;

		memcpy(&w, p->a + 4 * i, 4);
		if (i >= words || bit >= p->len)
			w = 0;
		else if (p->len - bit < 32)
			w &= htonl(~0u << (32 - (p->len - bit)));
		memcpy(p->a + 4 * i, &w, 4);
	}
}

/* The decision process' view of one path's source. */
struct bgp_path_src {
	bool ebgp, local;
	uint32_t router_id;
	struct vx0_bgp_addr addr;
	bool nh_ok;
};
typedef void (*bgp_src_fn)(void *arg, const struct bgp_path *p, struct bgp_path_src *out);
/* Picks the best path, moves it first; returns true when there is one. */
bool bgp_decide(struct bgp_rib_entry *e, bgp_src_fn src, void *arg);

/* ---- policy ---- */

/* Applies pol to (pfx, b); returns ACCEPT or REJECT; b is edited in place. */
enum vx0_bgp_action bgp_policy_apply(const struct vx0_bgp_policy *pol,
				     const struct vx0_bgp_prefix *pfx,
				     struct bgp_attr_build *b, uint32_t local_as);
bool bgp_prefix_match(const struct vx0_bgp_prefix_match *m, const struct vx0_bgp_prefix *p);

#endif
