/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VX0_DHT_INTERNAL_H
#define VX0_DHT_INTERNAL_H

/* The node's state, shared by dht_node.c, dht_lookup.c and dht_store.c. */

#include "dht_krpc.h"
#include "dht_table.h"
#include "vx0_dht.h"

#define DHT_LOOKUP_MAX_CAND 128
#define DHT_TOKEN_LEN 8
#define DHT_TID_LEN 4
#define DHT_EXT_CANDIDATES 4
#define DHT_EXT_VOTERS 8
#define DHT_EXT_QUORUM 3

enum dht_txn_kind { DHT_TXN_LOOKUP = 1, DHT_TXN_PING, DHT_TXN_STORE };

struct dht_txn {
	bool used;
	uint8_t kind;
	uint8_t method;
	uint16_t seq;
	uint32_t lookup_id;
	struct vx0_dht_addr addr;
	uint64_t deadline;
	uint8_t id[VX0_DHT_ID_LEN];
	bool id_known;
};

enum dht_cand_state { DHT_CAND_NEW, DHT_CAND_INFLIGHT, DHT_CAND_DONE, DHT_CAND_FAILED };

struct dht_cand {
	uint8_t id[VX0_DHT_ID_LEN];
	struct vx0_dht_addr addr;
	uint8_t state;
	bool id_known;
	uint8_t depth;
	uint8_t token_len;
	uint8_t token[VX0_KRPC_MAX_TOKEN];
	bool has_seq;      /* BEP 44: the seq it holds */
	int64_t seq;
};

struct dht_lookup {
	uint32_t id;
	uint8_t kind;
	bool storing;          /* second phase of ANNOUNCE / PUT */
	uint8_t target[VX0_DHT_ID_LEN];
	unsigned int nc;
	struct dht_cand c[DHT_LOOKUP_MAX_CAND];
	unsigned int stores_pending;
	uint16_t announce_port;
	struct vx0_dht_item put;     /* PUT: the item to store */
	bool has_cas;
	int64_t cas;
	uint8_t salt[VX0_DHT_MAX_SALT]; /* GET: to verify mutable items */
	size_t salt_len;
	struct vx0_dht_lookup_result res;
};

struct dht_stored_item {
	struct vx0_dht_item it;
	uint64_t expires;
	struct vx0_dht_addr src;
};

struct dht_peer {
	struct vx0_dht_addr addr;
	uint64_t expires;
};

struct dht_peer_set {
	uint8_t info_hash[VX0_DHT_ID_LEN];
	unsigned int n;
	struct dht_peer *p;
};

struct vx0_dht {
	struct vx0_dht_config cfg;
	struct vx0_dht_ops ops;
	void *user;
	uint8_t id[VX0_DHT_ID_LEN];
	struct dht_table table;

	struct dht_txn *txn;
	unsigned int txn_next, txn_active;
	uint16_t txn_seq;

	struct dht_lookup **lookups;
	uint32_t next_lookup_id;

	uint8_t secret[2][32];
	uint64_t next_rotate;
	uint64_t next_maint;

	struct dht_stored_item *items;
	unsigned int nitems, items_cap;
	struct dht_peer_set *peers;
	unsigned int npeersets, peers_cap;

	struct vx0_dht_stats st;

	struct {                            /* BEP 42 external address votes */
		struct vx0_dht_addr addr;
		unsigned int nvoters;
		struct vx0_dht_addr voters[DHT_EXT_VOTERS];
	} ext[DHT_EXT_CANDIDATES];
	unsigned int next_ext;

	bool have_self;                     /* vx0 index: our own descriptor */
	struct vx0_dht_item self_item;
	uint8_t self_keys[4][VX0_DHT_ID_LEN];
	unsigned int nself_keys;
};

void dht_random(struct vx0_dht *dht, void *buf, size_t len);
void dht_send_msg(struct vx0_dht *dht, const struct vx0_dht_addr *to,
		  struct vx0_krpc_msg *m);
/* Start a query; returns 0 or -EBUSY when no transaction slot is free. */
int dht_send_query(struct vx0_dht *dht, uint64_t now,
		   const struct vx0_dht_addr *to, const uint8_t *id,
		   struct vx0_krpc_msg *m, enum dht_txn_kind kind,
		   uint32_t lookup_id);
/* Compact node info (26 / 38 bytes each) for the closest nodes. */
size_t dht_compact_nodes(struct vx0_dht *dht, const uint8_t *target,
			 uint8_t family, unsigned int max, uint8_t *out);
void dht_token(struct vx0_dht *dht, int which, const struct vx0_dht_addr *a,
	       uint8_t out[DHT_TOKEN_LEN]);

/* dht_lookup.c */
int dht_lookup_start(struct vx0_dht *dht, uint64_t now, uint8_t kind,
		     const uint8_t *target, const struct vx0_dht_addr *seeds,
		     unsigned int nseeds, const struct dht_lookup *tmpl);
void dht_lookup_pump(struct vx0_dht *dht, uint64_t now, struct dht_lookup *l);
void dht_lookup_reply(struct vx0_dht *dht, uint64_t now, struct dht_txn *tx,
		      const struct vx0_krpc_msg *m);
void dht_lookup_timeout(struct vx0_dht *dht, uint64_t now, struct dht_txn *tx);
struct dht_lookup *dht_lookup_find(struct vx0_dht *dht, uint32_t id);

/* dht_store.c */
struct dht_stored_item *dht_store_find(struct vx0_dht *dht, const uint8_t *target);
/* Stores a verified item; returns 0 or a KRPC error code (202, 301, 302). */
int dht_store_put(struct vx0_dht *dht, uint64_t now, const struct vx0_dht_item *it,
		  const struct vx0_dht_addr *src, const int64_t *cas);
int dht_store_announce(struct vx0_dht *dht, uint64_t now, const uint8_t *info_hash,
		       const struct vx0_dht_addr *peer);
struct dht_peer_set *dht_store_peers(struct vx0_dht *dht, const uint8_t *info_hash);
void dht_store_expire(struct vx0_dht *dht, uint64_t now);
void dht_store_free(struct vx0_dht *dht);

#endif
