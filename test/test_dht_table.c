/* SPDX-License-Identifier: BSD-3-Clause */
/* Routing table: splitting, liveness, eviction, closest-node order. */
#include <stdlib.h>

#include "dht_table.h"
#include "vx0_test.h"

static struct vx0_dht_addr
addr(unsigned int n)
{
	struct vx0_dht_addr a = { .family = 4, .port = (uint16_t)(1000 + n),
				  .ip = { 198, 51, 100, (uint8_t)n } };
	return a;
}

/* an id whose first byte is b and the rest n */
static void
mkid(uint8_t *id, uint8_t b, uint8_t n)
{
	memset(id, n, VX0_DHT_ID_LEN);
	id[0] = b;
}

static void
test_split(void)
{
	struct dht_table t;
	struct dht_tnode *ping;
	uint8_t self[20] = { 0 }, id[20];
	unsigned int i;

	CHECK_EQ(dht_table_init(&t, self, 2, 900000, 0), 0);
	/* two far nodes (first bit 1) fill the single bucket */
	mkid(id, 0x80, 1);
	CHECK_EQ(dht_table_seen(&t, 1, id, &(struct vx0_dht_addr){ 0 }, DHT_SEEN_REPLY, &ping), 1);
	mkid(id, 0x81, 2);
	{
		struct vx0_dht_addr a = addr(2);

		CHECK_EQ(dht_table_seen(&t, 1, id, &a, DHT_SEEN_REPLY, &ping), 1);
	}
	CHECK_EQ(t.nb, 1);
	/* a close node: the bucket holding our id splits */
	mkid(id, 0x40, 3);
	{
		struct vx0_dht_addr a = addr(3);

		CHECK_EQ(dht_table_seen(&t, 1, id, &a, DHT_SEEN_REPLY, &ping), 1);
	}
	CHECK_EQ(t.nb, 2);
	CHECK_EQ(t.b[0]->n, 2); /* cpl 0 */
	CHECK_EQ(t.b[1]->n, 1); /* cpl >= 1 */
	/* a third far node: bucket 0 is full and cannot split */
	mkid(id, 0x90, 4);
	{
		struct vx0_dht_addr a = addr(4);

		CHECK_EQ(dht_table_seen(&t, 2, id, &a, DHT_SEEN_REPLY, &ping), 0);
		CHECK(ping == NULL); /* everyone is good: no probe */
		CHECK_EQ(t.b[0]->nrep, 1);
	}
	/* very close nodes: splits cascade down to the needed depth */
	for (i = 0; i < 4; i++) {
		struct vx0_dht_addr a = addr(10 + i);

		memset(id, 0, 20);
		id[2] = (uint8_t)(1 + i); /* cpl 21..23 */
		CHECK_EQ(dht_table_seen(&t, 3, id, &a, DHT_SEEN_REPLY, &ping), 1);
	}
	CHECK(t.nb >= 22);
	CHECK_EQ(dht_table_count(&t), 7);
	for (i = 0; i < t.nb; i++)
		CHECK(t.b[i]->n <= 2);
	/* our own id never enters */
	CHECK_EQ(dht_table_seen(&t, 3, self, &(struct vx0_dht_addr){ 0 }, DHT_SEEN_REPLY, &ping), 0);
	dht_table_free(&t);
}

static void
test_eviction(void)
{
	struct dht_table t;
	struct dht_tnode *ping;
	uint8_t self[20] = { 0 }, id[20], far1[20], far2[20], newc[20];
	struct vx0_dht_addr a1 = addr(1), a2 = addr(2), a3 = addr(3), a4 = addr(4);

	CHECK_EQ(dht_table_init(&t, self, 2, 1000, 0), 0);
	mkid(far1, 0x80, 1);
	mkid(far2, 0x81, 2);
	mkid(newc, 0x82, 3);
	dht_table_seen(&t, 10, far1, &a1, DHT_SEEN_REPLY, &ping);
	dht_table_seen(&t, 20, far2, &a2, DHT_SEEN_REPLY, &ping);
	/* force the first split so bucket 0 is a far bucket */
	mkid(id, 0x01, 9);
	dht_table_seen(&t, 20, id, &a4, DHT_SEEN_REPLY, &ping);
	CHECK_EQ(t.nb, 2);
	CHECK(dht_tnode_good(&t, dht_table_find(&t, far1), 500));
	/* 2 s later both far nodes are questionable: the stalest is probed */
	CHECK_EQ(dht_table_seen(&t, 2000, newc, &a3, DHT_SEEN_QUERY, &ping), 0);
	CHECK(ping != NULL && memcmp(ping->id, far1, 20) == 0);
	CHECK(ping && ping->pinging);
	/* a second newcomer does not probe far1 again but far2 */
	mkid(id, 0x83, 5);
	{
		struct vx0_dht_addr a5 = addr(5);

		dht_table_seen(&t, 2001, id, &a5, DHT_SEEN_QUERY, &ping);
		CHECK(ping != NULL && memcmp(ping->id, far2, 20) == 0);
	}
	/* far2 answers: good again, stays */
	dht_table_seen(&t, 2002, far2, &a2, DHT_SEEN_REPLY, &ping);
	CHECK(dht_tnode_good(&t, dht_table_find(&t, far2), 2003));
	/* far1 times out twice: bad, replaced by the freshest replacement */
	dht_table_failed(&t, far1, &a1);
	CHECK(dht_table_find(&t, far1) != NULL);
	dht_table_failed(&t, far1, &a1);
	CHECK(dht_table_find(&t, far1) == NULL);
	CHECK(dht_table_find(&t, id) != NULL); /* 0x83.. seen last */
	CHECK_EQ(t.b[0]->nrep, 1);
	/* a failure reported for a different address changes nothing */
	dht_table_failed(&t, far2, &a1);
	CHECK_EQ(dht_table_find(&t, far2)->fails, 0);
	/* the same id from another address does not move the entry */
	dht_table_seen(&t, 2005, far2, &a3, DHT_SEEN_REPLY, &ping);
	CHECK(dht_addr_eq(&dht_table_find(&t, far2)->addr, &a2));
	dht_table_free(&t);
}

static uint64_t rs = 12345;
static uint8_t
rnd8(void)
{
	rs ^= rs << 13, rs ^= rs >> 7, rs ^= rs << 17;
	return (uint8_t)rs;
}

static void
test_closest_and_random(void)
{
	struct dht_table t;
	struct dht_tnode *ping;
	uint8_t self[20], ids[300][20], target[20];
	struct vx0_dht_node_info out[8];
	unsigned int i, j, n, in = 0;

	for (i = 0; i < 20; i++)
		self[i] = rnd8();
	CHECK_EQ(dht_table_init(&t, self, 8, 900000, 0), 0);
	for (i = 0; i < 300; i++) {
		struct vx0_dht_addr a = addr(i);

		for (j = 0; j < 20; j++)
			ids[i][j] = rnd8();
		a.ip[2] = (uint8_t)(i >> 8);
		in += (unsigned int)dht_table_seen(&t, 1, ids[i], &a, DHT_SEEN_REPLY, &ping);
	}
	CHECK_EQ(dht_table_count(&t), in);
	CHECK(in < 300 && in > 40);
	for (j = 0; j < 20; j++)
		target[j] = rnd8();
	n = dht_table_closest(&t, target, 4, out, 8);
	CHECK_EQ(n, 8);
	/* sorted, and nothing in the table is closer than the 8th */
	for (i = 1; i < n; i++)
		CHECK(dht_xor_cmp(target, out[i - 1].id, out[i].id) < 0);
	for (i = 0; i < t.nb; i++)
		for (j = 0; j < t.b[i]->n; j++) {
			unsigned int k2, listed = 0;

			for (k2 = 0; k2 < n; k2++)
				listed |= memcmp(out[k2].id, t.b[i]->nodes[j].id, 20) == 0;
			if (!listed)
				CHECK(dht_xor_cmp(target, t.b[i]->nodes[j].id, out[n - 1].id) > 0);
		}
	/* refresh targets fall into their bucket */
	for (i = 0; i + 1 < t.nb; i++) {
		uint8_t r[20], id[20];

		for (j = 0; j < 20; j++)
			r[j] = rnd8();
		dht_table_random_id(&t, i, r, id);
		CHECK_EQ(dht_cpl(self, id), i);
	}
	dht_table_free(&t);
}

int
main(void)
{
	VX0_RUN(test_split);
	VX0_RUN(test_eviction);
	VX0_RUN(test_closest_and_random);
	return vx0_test_done();
}
