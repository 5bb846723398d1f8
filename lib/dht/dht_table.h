/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VX0_DHT_TABLE_H
#define VX0_DHT_TABLE_H

/*
 * The routing table: 160-bit ids, XOR metric, k-buckets. Bucket i (i < nb-1)
 * holds nodes sharing exactly i leading bits with our id; the last bucket
 * holds everything closer. Only the last bucket splits (the Kademlia rule
 * that only the bucket covering our own id splits), up to 160 buckets.
 * A full bucket keeps a replacement cache; questionable nodes are pinged
 * before a newcomer may replace them, bad ones are replaced at once.
 */

#include <stdbool.h>
#include <stdint.h>

#include "vx0_dht.h"

#define DHT_BAD_FAILS 2

struct dht_tnode {
	uint8_t id[VX0_DHT_ID_LEN];
	struct vx0_dht_addr addr;
	uint64_t last_seen;  /* any message from it */
	uint64_t last_reply; /* a reply to our query */
	uint8_t fails;       /* consecutive timeouts */
	bool pinging;        /* a liveness ping is outstanding */
	bool ever_replied;
};

struct dht_bucket {
	unsigned int n, nrep;
	uint64_t last_changed;
	struct dht_tnode *nodes; /* k entries */
	struct dht_tnode *rep;   /* k entries: replacement cache */
};

struct dht_table {
	uint8_t self[VX0_DHT_ID_LEN];
	unsigned int k;
	unsigned int nb;
	uint64_t good_ms;
	struct dht_bucket *b[VX0_DHT_ID_LEN * 8];
};

enum dht_seen { DHT_SEEN_QUERY, DHT_SEEN_REPLY };

int dht_table_init(struct dht_table *t, const uint8_t *self, unsigned int k,
		   uint64_t good_ms, uint64_t now);
void dht_table_free(struct dht_table *t);

bool dht_addr_eq(const struct vx0_dht_addr *a, const struct vx0_dht_addr *b);
unsigned int dht_cpl(const uint8_t *a, const uint8_t *b);
/* <0, 0, >0: whether a is closer to target than b. */
int dht_xor_cmp(const uint8_t *target, const uint8_t *a, const uint8_t *b);

/*
 * A message from (id, addr). Returns 1 if the node is in the table now, 0
 * if not; if a questionable node should be pinged to make room, *ping is
 * set to it (its pinging flag is already set).
 */
int dht_table_seen(struct dht_table *t, uint64_t now, const uint8_t *id,
		   const struct vx0_dht_addr *addr, enum dht_seen how,
		   struct dht_tnode **ping);
/* A query to (id, addr) timed out. */
void dht_table_failed(struct dht_table *t, const uint8_t *id,
		      const struct vx0_dht_addr *addr);
struct dht_tnode *dht_table_find(struct dht_table *t, const uint8_t *id);
bool dht_tnode_good(const struct dht_table *t, const struct dht_tnode *n,
		    uint64_t now);
unsigned int dht_table_closest(const struct dht_table *t, const uint8_t *target,
			       uint8_t family, struct vx0_dht_node_info *out,
			       unsigned int max);
unsigned int dht_table_count(const struct dht_table *t);
/* A random id inside bucket i's range. */
void dht_table_random_id(const struct dht_table *t, unsigned int i,
			 const uint8_t *rnd, uint8_t *out);

#endif
