/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VX0_DHT_H
#define VX0_DHT_H

/*
 * A Kademlia DHT node speaking the BitTorrent mainline wire format: KRPC
 * over UDP (BEP 5), node ids bound to the external address (BEP 42), and
 * immutable and Ed25519-signed mutable items (BEP 44).
 *
 * Sans-IO: the owner feeds datagrams (vx0_dht_input) and time
 * (vx0_dht_tick, all times in monotonic milliseconds) and receives
 * datagrams to send and finished lookups through callbacks. No socket, no
 * clock, no DPDK header in here; lib/dht/dht_sock.c is the socket glue.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VX0_DHT_ID_LEN 20
#define VX0_DHT_MAX_K 32
#define VX0_DHT_MAX_V 1000   /* BEP 44: bencoded value */
#define VX0_DHT_MAX_SALT 64  /* BEP 44 */

struct vx0_dht;

struct vx0_dht_addr {
	uint8_t family;   /* 4 or 6 */
	uint16_t port;    /* host byte order */
	uint8_t ip[16];   /* IPv4 in the first 4 bytes */
};

struct vx0_dht_node_info {
	uint8_t id[VX0_DHT_ID_LEN];
	struct vx0_dht_addr addr;
};

/* A BEP 44 item as stored or as found by a get lookup. */
struct vx0_dht_item {
	uint8_t target[VX0_DHT_ID_LEN];
	bool is_mutable;
	uint8_t v[VX0_DHT_MAX_V]; /* bencoded value */
	size_t v_len;
	uint8_t k[32];
	uint8_t sig[64];
	int64_t seq;
	uint8_t salt[VX0_DHT_MAX_SALT];
	size_t salt_len;
};

enum vx0_dht_lookup_kind {
	VX0_DHT_LOOKUP_FIND_NODE = 1,
	VX0_DHT_LOOKUP_GET_PEERS,
	VX0_DHT_LOOKUP_ANNOUNCE,   /* get_peers, then announce_peer */
	VX0_DHT_LOOKUP_GET,        /* BEP 44 get */
	VX0_DHT_LOOKUP_PUT,        /* BEP 44 get (tokens), then put */
	VX0_DHT_LOOKUP_FETCH,      /* one get to given nodes, no walk (vx0 index) */
};

#define VX0_DHT_MAX_RESULT_PEERS 64

struct vx0_dht_lookup_result {
	uint32_t lookup_id;
	uint8_t kind;                 /* enum vx0_dht_lookup_kind */
	uint8_t target[VX0_DHT_ID_LEN];
	unsigned int nnodes;          /* closest responding nodes, nearest first */
	struct vx0_dht_node_info nodes[VX0_DHT_MAX_K];
	unsigned int hops;            /* longest referral chain to a result node */
	unsigned int queries;         /* queries sent */
	unsigned int replies;
	unsigned int timeouts;
	unsigned int npeers;          /* get_peers values */
	struct vx0_dht_addr peers[VX0_DHT_MAX_RESULT_PEERS];
	bool have_item;               /* GET / PUT: newest valid item seen */
	struct vx0_dht_item item;
	unsigned int stored;          /* ANNOUNCE / PUT: acknowledged stores */
	unsigned int store_errors;    /* ... and error replies (e.g. 302) */
	int64_t last_error;           /* last error code received, 0 if none */
};

enum vx0_dht_event_type { VX0_DHT_EV_LOOKUP_DONE = 1 };

struct vx0_dht_event {
	uint8_t type;
	const struct vx0_dht_lookup_result *lookup;
};

struct vx0_dht_ops {
	/* Send one datagram; the node keeps no reference to buf. */
	void (*send)(void *user, const struct vx0_dht_addr *to,
		     const uint8_t *buf, size_t len);
	/* Events (finished lookups); may be NULL. */
	void (*event)(void *user, const struct vx0_dht_event *ev);
	/* Randomness for ids, tids and secrets; NULL: libsodium. A
	 * deterministic source makes simulations repeatable. */
	void (*random)(void *user, void *buf, size_t len);
};

struct vx0_dht_config {
	uint8_t id[VX0_DHT_ID_LEN];
	bool have_id;                  /* else a random id */
	unsigned int k;                /* bucket size: 8 mainline, 20 vx0 */
	unsigned int alpha;            /* parallel queries per lookup (3) */
	unsigned int query_timeout_ms; /* 2000 */
	unsigned int max_transactions; /* outstanding queries (256) */
	unsigned int max_lookups;      /* concurrent lookups (32) */
	unsigned int max_items;        /* stored BEP 44 items (1024) */
	unsigned int max_items_per_ip; /* per source address (16) */
	unsigned int max_infohashes;   /* announce_peer storage (1024) */
	unsigned int max_peers_per_hash; /* (64) */
	uint64_t item_ttl_ms;          /* 2 h (BEP 44) */
	uint64_t peer_ttl_ms;          /* 30 min */
	uint64_t token_rotate_ms;      /* 5 min; tokens live two periods */
	uint64_t bucket_refresh_ms;    /* 15 min */
	uint64_t node_good_ms;         /* 15 min (BEP 5) */
	const char *version;           /* top-level "v" (4 bytes), NULL: none */
	bool read_only;                /* BEP 43 ro=1 in our queries */
};

struct vx0_dht_stats {
	uint64_t rx_packets, tx_packets;
	uint64_t rx_dropped;           /* undecodable, oversized, unknown tid */
	uint64_t rx_queries, rx_replies, rx_errors;
	uint64_t tx_errors;            /* error replies we sent */
	uint64_t timeouts;
	unsigned int table_nodes, table_buckets, table_good;
	unsigned int lookups_active;
	unsigned int transactions_active;
	unsigned int items, infohashes;
};

/* Fill cfg with the defaults above. */
void vx0_dht_config_default(struct vx0_dht_config *cfg);

struct vx0_dht *vx0_dht_create(const struct vx0_dht_config *cfg,
			       const struct vx0_dht_ops *ops, void *user,
			       uint64_t now_ms);
void vx0_dht_destroy(struct vx0_dht *dht);

const uint8_t *vx0_dht_id(const struct vx0_dht *dht);

/*
 * One received datagram. Returns 0 if it was handled (including error
 * replies sent), or a negative errno if it was dropped.
 */
int vx0_dht_input(struct vx0_dht *dht, uint64_t now_ms,
		  const struct vx0_dht_addr *from, const uint8_t *buf,
		  size_t len);

/* Timeouts, refresh, token rotation, expiry, republishing. */
void vx0_dht_tick(struct vx0_dht *dht, uint64_t now_ms);
/* When vx0_dht_tick next has work (absolute ms). */
uint64_t vx0_dht_next_deadline(const struct vx0_dht *dht, uint64_t now_ms);

/*
 * Join through known addresses (ids unknown): a find_node lookup for our own
 * id seeded with them. Returns the lookup id (> 0) or -errno.
 */
int vx0_dht_bootstrap(struct vx0_dht *dht, uint64_t now_ms,
		      const struct vx0_dht_addr *addrs, unsigned int n);
/* Ping one address; the node enters the table if it answers. */
int vx0_dht_ping(struct vx0_dht *dht, uint64_t now_ms,
		 const struct vx0_dht_addr *addr);

/* Lookups: each returns a lookup id (> 0) or -errno; the result comes as a
 * VX0_DHT_EV_LOOKUP_DONE event. */
int vx0_dht_find_node(struct vx0_dht *dht, uint64_t now_ms,
		      const uint8_t *target);
int vx0_dht_get_peers(struct vx0_dht *dht, uint64_t now_ms,
		      const uint8_t *info_hash);
/* port 0: implied_port (the source port of our datagrams). */
int vx0_dht_announce(struct vx0_dht *dht, uint64_t now_ms,
		     const uint8_t *info_hash, uint16_t port);
/* BEP 44 get; salt is only used to verify mutable items (may be NULL). */
int vx0_dht_get(struct vx0_dht *dht, uint64_t now_ms,
		const uint8_t *target, const uint8_t *salt,
		size_t salt_len);
/* Store an already-formed item (immutable, or mutable with a valid sig:
 * e.g. republishing someone else's). */
int vx0_dht_put_item(struct vx0_dht *dht, uint64_t now_ms,
		     const struct vx0_dht_item *item, const int64_t *cas);
/* Immutable put: v is a bencoded value; the target is returned. */
int vx0_dht_put_immutable(struct vx0_dht *dht, uint64_t now_ms,
			  const uint8_t *v, size_t v_len,
			  uint8_t *target_out);

/*
 * vx0 index support (doc/descriptor.md): ask the given nodes directly (no
 * iterative walk) for target; a returned mutable item is accepted if its
 * signature verifies under its own key and salt (its target is then
 * SHA-1(k || salt), not the index key asked for).
 */
int vx0_dht_fetch(struct vx0_dht *dht, uint64_t now_ms,
		  const struct vx0_dht_addr *addrs, unsigned int n,
		  const uint8_t *target, const uint8_t *salt, size_t salt_len);
/* The item this node serves for get queries on the index keys (e.g. its own
 * descriptor); NULL clears it. At most 4 index keys. */
int vx0_dht_set_self_item(struct vx0_dht *dht, const struct vx0_dht_item *item,
			  const uint8_t (*index_keys)[VX0_DHT_ID_LEN],
			  unsigned int nkeys);

/* Introspection for telemetry and tests. */
void vx0_dht_get_stats(const struct vx0_dht *dht, struct vx0_dht_stats *st);
/* Calls cb for each node in the table (bucket index, good?). */
void vx0_dht_foreach_node(const struct vx0_dht *dht,
			  void (*cb)(void *arg, unsigned int bucket,
				     const struct vx0_dht_node_info *n,
				     bool good, uint64_t last_seen_ms),
			  void *arg);
void vx0_dht_foreach_item(const struct vx0_dht *dht,
			  void (*cb)(void *arg, const struct vx0_dht_item *it,
				     uint64_t expires_ms),
			  void *arg);
/* Active lookups: id, kind, target, queries in flight. */
void vx0_dht_foreach_lookup(const struct vx0_dht *dht,
			    void (*cb)(void *arg, uint32_t id, uint8_t kind,
				       const uint8_t *target,
				       unsigned int inflight),
			    void *arg);
/* The closest known nodes to target from the table (nearest first). */
unsigned int vx0_dht_closest(const struct vx0_dht *dht, const uint8_t *target,
			     struct vx0_dht_node_info *out, unsigned int max);
/* A locally stored item, or NULL. */
const struct vx0_dht_item *vx0_dht_find_item(const struct vx0_dht *dht,
					     const uint8_t *target);

/* ---- BEP 42 ---- */
/* A node id for an external address: the top 21 bits from CRC32C of the
 * masked address with r = rand & 7 mixed in, `rand` as the last byte, and
 * rnd (20 bytes) for the rest (BEP 42's example code). */
void vx0_dht_bep42_id(const struct vx0_dht_addr *ext, uint8_t rand,
		      const uint8_t *rnd, uint8_t *id);
/* Whether id is valid for addr (local/loopback addresses are exempt). */
bool vx0_dht_bep42_check(const uint8_t *id,
			 const struct vx0_dht_addr *addr);

/*
 * Our external address as voted by the "ip" field of replies (BEP 42): 0
 * once at least 3 distinct responders agree, -EAGAIN before. *id_ok tells
 * whether our node id is valid for it (if not, the owner may restart with
 * vx0_dht_bep42_id of that address).
 */
int vx0_dht_external_addr(const struct vx0_dht *dht, struct vx0_dht_addr *out,
			  bool *id_ok);

/* ---- BEP 44 ---- */
/* Ed25519 key as libtorrent uses it: the 64-byte expanded secret
 * (SHA-512 of the seed, clamped) and the public key. Held in
 * sodium_malloc'd memory; create from a 32-byte seed. */
struct vx0_dht_key;
struct vx0_dht_key *vx0_dht_key_from_seed(const uint8_t *seed);
struct vx0_dht_key *vx0_dht_key_from_expanded(const uint8_t *sk,
					      const uint8_t *pk);
void vx0_dht_key_free(struct vx0_dht_key *key);
const uint8_t *vx0_dht_key_public(const struct vx0_dht_key *key);
/* Copies the expanded secret (for handing to libtorrent in tests). */
void vx0_dht_key_expanded(const struct vx0_dht_key *key, uint8_t *sk);

/* target = SHA-1(k || salt) for mutable, SHA-1(v) for immutable. */
void vx0_dht_mutable_target(const uint8_t *k, const uint8_t *salt,
			    size_t salt_len, uint8_t *target);
void vx0_dht_immutable_target(const uint8_t *v, size_t v_len,
			      uint8_t *target);
/* The buffer BEP 44 signs: [4:salt<n>:<salt>]3:seqi<seq>e1:v<v>. Returns
 * its length or -ENOSPC. */
int vx0_dht_signed_buffer(const uint8_t *salt, size_t salt_len, int64_t seq,
			  const uint8_t *v, size_t v_len, uint8_t *out,
			  size_t cap);
/* Fill a mutable item (k, target, sig) from v/seq/salt. -errno on bad
 * sizes. */
int vx0_dht_item_sign(struct vx0_dht_item *item,
		      const struct vx0_dht_key *key, const uint8_t *salt,
		      size_t salt_len, int64_t seq, const uint8_t *v,
		      size_t v_len);
/* Verify sig and target of a mutable item, or target of an immutable one. */
bool vx0_dht_item_verify(const struct vx0_dht_item *item);

/* ---- vx0 node descriptors (doc/descriptor.md) ---- */

#define VX0_DESC_SALT "vx0/desc/1"
#define VX0_DESC_VERSION 1
#define VX0_DESC_MAX_ADDRS 8
#define VX0_DESC_MAX_EXIT 96
#define VX0_DESC_MAX_LIFETIME (48 * 3600)  /* seconds */
#define VX0_DESC_EPOCH 3600                /* index epoch, seconds */

enum vx0_tier { VX0_TIER_BACKBONE = 1, VX0_TIER_REGIONAL = 2, VX0_TIER_EDGE = 3 };

struct vx0_desc {
	uint8_t identity[32];      /* Ed25519: the BEP 44 key */
	uint8_t onion[32];         /* X25519 */
	struct vx0_dht_addr addrs[VX0_DESC_MAX_ADDRS];
	unsigned int naddrs;
	uint8_t tier;              /* enum vx0_tier */
	char exit_policy[VX0_DESC_MAX_EXIT + 1];
	int64_t valid_after;       /* unix seconds; also the BEP 44 seq */
	int64_t valid_until;
};

/* The bencoded descriptor (the BEP 44 value). Length or -errno. */
int vx0_desc_encode(const struct vx0_desc *d, uint8_t *out, size_t cap);
/* Strict decode: every field present, typed and in bounds. */
int vx0_desc_decode(const uint8_t *v, size_t len, struct vx0_desc *d);
/* Sign d as a mutable item (k = identity, salt VX0_DESC_SALT,
 * seq = valid_after). key must be d->identity's key. */
int vx0_desc_sign(const struct vx0_desc *d, const struct vx0_dht_key *key,
		  struct vx0_dht_item *item);
/* Verify an item as a descriptor valid at now_unix: signature, salt,
 * identity == k, seq == valid_after, validity window. */
int vx0_desc_from_item(const struct vx0_dht_item *item, int64_t now_unix,
		       struct vx0_desc *d);
/* Where a node's descriptor lives: SHA-1(identity || VX0_DESC_SALT). */
void vx0_desc_target(const uint8_t *identity, uint8_t *target);
/* The index key of a tier in an epoch (floor(unix / VX0_DESC_EPOCH)). */
void vx0_desc_index_key(uint8_t tier, uint32_t epoch, uint8_t *key);

/*
 * Publishing: signs the descriptor afresh (valid_after = now_unix,
 * valid_until = now_unix + lifetime), puts it, announces the node under its
 * tier's index key for the current epoch, and serves it for index fetches.
 * vx0_desc_publisher_tick republishes every `republish` seconds and at each
 * epoch change; it returns the put's lookup id when it published, else 0.
 */
struct vx0_desc_publisher {
	struct vx0_desc desc;          /* template: keys, addrs, tier, policy */
	const struct vx0_dht_key *key;
	int64_t lifetime;              /* seconds, <= VX0_DESC_MAX_LIFETIME */
	int64_t republish;             /* seconds, < lifetime */
	int64_t last_published;        /* unix seconds, 0: never */
	uint32_t last_epoch;
	struct vx0_dht_item item;      /* the current signed descriptor */
};
int vx0_desc_publisher_tick(struct vx0_desc_publisher *p, struct vx0_dht *dht,
			    uint64_t now_ms, int64_t now_unix);

#endif
