/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Deterministic simulation: 1,000 sans-IO nodes on a virtual clock joined
 * by an in-memory network with random 5-50 ms latency, no sockets. After
 * the join, 20% of the nodes leave and as many new ones join; then lookups
 * from random nodes must find the k closest live nodes (checked against a
 * brute-force sort) in O(log N) hops, and BEP 44 put/get must work.
 */
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>

#include "dht_table.h"
#include "vx0_dht.h"
#include "vx0_test.h"

#define N_INIT 1000
#define N_CHURN 200
#define N_MAX (N_INIT + N_CHURN)
#define N_LOOKUPS 60

static unsigned int K = 8; /* bucket size: 8 (mainline), then 20 (vx0) */
static uint64_t refresh_ms = 15 * 60 * 1000; /* BEP 5's bucket refresh */
static uint64_t settle_ms = 20000;           /* run time after the churn */

struct pkt {
	uint64_t t;
	uint64_t seq;
	unsigned int dst;
	struct vx0_dht_addr from;
	size_t len;
	uint8_t data[];
};

struct simnode {
	struct vx0_dht *dht;
	bool alive;
	struct vx0_dht_addr addr;
	uint32_t want;              /* lookup id we wait for */
	bool done;
	struct vx0_dht_lookup_result res;
};

static struct simnode nodes[N_MAX];
static unsigned int nnodes;
static struct pkt **heap;
static size_t nheap, capheap;
static uint64_t now, pkt_seq, rng_state = 0x1234567887654321ull;
static uint64_t delivered, dropped;

static uint64_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void
sim_random(void *user, void *buf, size_t len)
{
	uint8_t *p = buf;

	(void)user;
	while (len--)
		*p++ = (uint8_t)rng();
}

static bool
pkt_less(const struct pkt *a, const struct pkt *b)
{
	return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static void
heap_push(struct pkt *p)
{
	size_t i;

	if (nheap == capheap) {
		capheap = capheap ? capheap * 2 : 1024;
		heap = realloc(heap, capheap * sizeof(*heap));
	}
	i = nheap++;
	while (i && pkt_less(p, heap[(i - 1) / 2])) {
		heap[i] = heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	heap[i] = p;
}

static struct pkt *
heap_pop(void)
{
	struct pkt *top = heap[0], *last = heap[--nheap];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= nheap)
			break;
		if (c + 1 < nheap && pkt_less(heap[c + 1], heap[c]))
			c++;
		if (!pkt_less(heap[c], last))
			break;
		heap[i] = heap[c];
		i = c;
	}
	if (nheap)
		heap[i] = last;
	return top;
}

static int
addr_to_index(const struct vx0_dht_addr *a)
{
	unsigned int i;

	if (a->family != 4 || a->ip[0] != 198 || a->port < 10000)
		return -1;
	i = (unsigned int)(a->port - 10000) * 256 + a->ip[3];
	return i < nnodes ? (int)i : -1;
}

static void
sim_send(void *user, const struct vx0_dht_addr *to, const uint8_t *buf, size_t len)
{
	struct simnode *src = user;
	int dst = addr_to_index(to);
	struct pkt *p;

	if (dst < 0)
		return;
	p = malloc(sizeof(*p) + len);
	p->t = now + 5 + rng() % 46;
	p->seq = pkt_seq++;
	p->dst = (unsigned int)dst;
	p->from = src->addr;
	p->len = len;
	memcpy(p->data, buf, len);
	heap_push(p);
}

static void
sim_event(void *user, const struct vx0_dht_event *ev)
{
	struct simnode *n = user;

	if (ev->type == VX0_DHT_EV_LOOKUP_DONE && ev->lookup->lookup_id == n->want) {
		n->res = *ev->lookup;
		n->done = true;
	}
}

static void
node_add(void)
{
	struct simnode *n = &nodes[nnodes];
	struct vx0_dht_config cfg;
	struct vx0_dht_ops ops = { sim_send, sim_event, sim_random };

	vx0_dht_config_default(&cfg);
	cfg.k = K;
	cfg.max_transactions = 64;
	cfg.max_lookups = 8;
	cfg.bucket_refresh_ms = refresh_ms;
	memset(&n->addr, 0, sizeof(n->addr));
	n->addr.family = 4;
	n->addr.ip[0] = 198, n->addr.ip[1] = 51, n->addr.ip[2] = 100;
	n->addr.ip[3] = (uint8_t)(nnodes % 256);
	n->addr.port = (uint16_t)(10000 + nnodes / 256);
	n->dht = vx0_dht_create(&cfg, &ops, n, now);
	n->alive = n->dht != NULL;
	nnodes++;
}

/* Run the network until `until` (virtual ms). */
static void
run_until(uint64_t until)
{
	uint64_t next_tick = now - now % 50 + 50;

	while (now < until) {
		uint64_t t = next_tick;

		if (nheap && heap[0]->t < t)
			t = heap[0]->t;
		if (t > until)
			t = until;
		now = t;
		while (nheap && heap[0]->t <= now) {
			struct pkt *p = heap_pop();
			struct simnode *d = &nodes[p->dst];

			if (d->alive) {
				vx0_dht_input(d->dht, now, &p->from, p->data, p->len);
				delivered++;
			} else {
				dropped++;
			}
			free(p);
		}
		if (now >= next_tick) {
			unsigned int i;

			for (i = 0; i < nnodes; i++)
				if (nodes[i].alive &&
				    vx0_dht_next_deadline(nodes[i].dht, now) <= now)
					vx0_dht_tick(nodes[i].dht, now);
			next_tick += 50;
		}
	}
}

static unsigned int
random_alive(void)
{
	for (;;) {
		unsigned int i = (unsigned int)(rng() % nnodes);

		if (nodes[i].alive)
			return i;
	}
}

static void
join(unsigned int i)
{
	unsigned int s[3], j;
	struct vx0_dht_addr seeds[3];

	for (j = 0; j < 3; j++) {
		do
			s[j] = random_alive();
		while (s[j] == i);
		seeds[j] = nodes[s[j]].addr;
	}
	vx0_dht_bootstrap(nodes[i].dht, now, seeds, i == 1 ? 1 : 3);
}

struct dist_ix {
	const uint8_t *target;
	unsigned int i;
};

static const uint8_t *sort_target;
static int
cmp_ix(const void *a, const void *b)
{
	const unsigned int *x = a, *y = b;

	return dht_xor_cmp(sort_target, vx0_dht_id(nodes[*x].dht), vx0_dht_id(nodes[*y].dht));
}

/* Brute force: the K closest live nodes to target, excluding `self`. */
static unsigned int
true_closest(const uint8_t *target, unsigned int self, unsigned int *out)
{
	static unsigned int ix[N_MAX];
	unsigned int i, n = 0;

	for (i = 0; i < nnodes; i++)
		if (nodes[i].alive && i != self)
			ix[n++] = i;
	sort_target = target;
	qsort(ix, n, sizeof(ix[0]), cmp_ix);
	memcpy(out, ix, K * sizeof(*out));
	return K;
}

static struct {
	unsigned int exact, overlap_min, hops_max;
	double hops_mean, queries_mean;
	uint64_t ms;
} stats;

static void
sim_reset(void)
{
	unsigned int i;

	for (i = 0; i < nnodes; i++)
		vx0_dht_destroy(nodes[i].dht);
	memset(nodes, 0, sizeof(nodes));
	while (nheap)
		free(heap_pop());
	memset(&stats, 0, sizeof(stats));
	nnodes = 0;
	delivered = dropped = 0;
}

/* Join n_init nodes, replace n_churn of them, run n_lookups lookups. */
static void
sim_join_churn_lookup(unsigned int n_init, unsigned int n_churn, unsigned int n_lookups,
		      double max_hops_mean, unsigned int max_hops)
{
	unsigned int i, j, victims = 0;
	uint64_t sum_hops = 0, sum_q = 0;

	sim_reset();
	now = 1000;
	node_add();
	for (i = 1; i < n_init; i++) {
		node_add();
		join(i);
		run_until(now + 20);
	}
	run_until(now + 20000);
	{
		struct vx0_dht_stats st;
		unsigned long tot = 0;

		for (i = 0; i < nnodes; i++) {
			vx0_dht_get_stats(nodes[i].dht, &st);
			tot += st.table_nodes;
		}
		fprintf(stderr, "# after join: mean table size %.1f, %llu packets\n",
			(double)tot / nnodes, (unsigned long long)delivered);
		CHECK(tot / nnodes >= 20);
	}
	/* churn: 20% leave, as many join */
	while (victims < n_churn) {
		i = (unsigned int)(rng() % nnodes);
		if (!nodes[i].alive)
			continue;
		nodes[i].alive = false;
		vx0_dht_destroy(nodes[i].dht);
		nodes[i].dht = NULL;
		victims++;
	}
	for (i = 0; i < n_churn; i++) {
		node_add();
		join(nnodes - 1);
		run_until(now + 20);
	}
	run_until(now + settle_ms);

	stats.overlap_min = K;
	for (i = 0; i < n_lookups; i++) {
		unsigned int from = random_alive(), truth[VX0_DHT_MAX_K], overlap = 0;
		uint8_t target[20];
		int id;

		sim_random(NULL, target, sizeof(target));
		nodes[from].done = false;
		id = vx0_dht_find_node(nodes[from].dht, now, target);
		CHECK(id > 0);
		nodes[from].want = (uint32_t)id;
		run_until(now + 30000);
		CHECK(nodes[from].done);
		if (!nodes[from].done)
			continue;
		true_closest(target, from, truth);
		for (j = 0; j < nodes[from].res.nnodes; j++) {
			unsigned int t;

			for (t = 0; t < K; t++)
				if (memcmp(nodes[from].res.nodes[j].id,
					   vx0_dht_id(nodes[truth[t]].dht), 20) == 0)
					overlap++;
		}
		if (overlap == K)
			stats.exact++;
		if (overlap < stats.overlap_min)
			stats.overlap_min = overlap;
		sum_hops += nodes[from].res.hops;
		sum_q += nodes[from].res.queries;
		if (nodes[from].res.hops > stats.hops_max)
			stats.hops_max = nodes[from].res.hops;
	}
	stats.hops_mean = (double)sum_hops / n_lookups;
	stats.queries_mean = (double)sum_q / n_lookups;
	fprintf(stderr, "# k=%u, %u nodes live after %u churned: %u/%u lookups exact, "
		"min overlap %u/%u, hops mean %.2f max %u, queries mean %.1f\n",
		K, n_init, n_churn, stats.exact, n_lookups, stats.overlap_min, K,
		stats.hops_mean, stats.hops_max, stats.queries_mean);
	/* correctness against brute force */
	CHECK(stats.exact >= n_lookups * 9 / 10);
	CHECK(stats.overlap_min >= K - 2);
	/* O(log N): log2(1000) ~ 10; Kademlia needs about log2(N)/log2(k)+c */
	CHECK(stats.hops_mean <= max_hops_mean);
	CHECK(stats.hops_max <= max_hops);
	CHECK(stats.queries_mean <= 3.0 * K + 40);
}

static void
test_sim_join_churn_lookup(void)
{
	K = 8;
	sim_join_churn_lookup(N_INIT, N_CHURN, N_LOOKUPS, 6.0, 10);
}

static void
test_sim_put_get(void)
{
	uint8_t seed[32], target[20];
	struct vx0_dht_key *key;
	struct vx0_dht_item it;
	unsigned int a = random_alive(), b, c, rounds;
	int id;

	memset(seed, 0x31, sizeof(seed));
	key = vx0_dht_key_from_seed(seed);
	CHECK(key != NULL);
	if (!key)
		return;
	CHECK_EQ(vx0_dht_item_sign(&it, key, (const uint8_t *)"vx0", 3, 1,
				   (const uint8_t *)"5:hello", 7), 0);
	nodes[a].done = false;
	id = vx0_dht_put_item(nodes[a].dht, now, &it, NULL);
	CHECK(id > 0);
	nodes[a].want = (uint32_t)id;
	run_until(now + 30000);
	CHECK(nodes[a].done);
	CHECK(nodes[a].res.stored >= K - 1);

	/* several other nodes read it back */
	for (rounds = 0; rounds < 5; rounds++) {
		b = random_alive();
		nodes[b].done = false;
		id = vx0_dht_get(nodes[b].dht, now, it.target, (const uint8_t *)"vx0", 3);
		CHECK(id > 0);
		nodes[b].want = (uint32_t)id;
		run_until(now + 30000);
		CHECK(nodes[b].done && nodes[b].res.have_item);
		CHECK(nodes[b].res.item.seq == 1 && nodes[b].res.item.v_len == 7 &&
		      memcmp(nodes[b].res.item.v, "5:hello", 7) == 0);
	}

	/* seq 2 replaces it; then a stale seq 1 put is refused with 302 */
	CHECK_EQ(vx0_dht_item_sign(&it, key, (const uint8_t *)"vx0", 3, 2,
				   (const uint8_t *)"5:world", 7), 0);
	nodes[a].done = false;
	nodes[a].want = (uint32_t)vx0_dht_put_item(nodes[a].dht, now, &it, NULL);
	run_until(now + 30000);
	CHECK(nodes[a].done && nodes[a].res.stored >= K - 1);
	CHECK_EQ(vx0_dht_item_sign(&it, key, (const uint8_t *)"vx0", 3, 1,
				   (const uint8_t *)"5:stale", 7), 0);
	c = random_alive();
	nodes[c].done = false;
	nodes[c].want = (uint32_t)vx0_dht_put_item(nodes[c].dht, now, &it, NULL);
	run_until(now + 30000);
	CHECK(nodes[c].done);
	CHECK_EQ(nodes[c].res.stored, 0);
	CHECK(nodes[c].res.store_errors >= K - 1);
	CHECK_EQ(nodes[c].res.last_error, 302);
	CHECK(nodes[c].res.have_item && nodes[c].res.item.seq == 2);

	b = random_alive();
	nodes[b].done = false;
	nodes[b].want = (uint32_t)vx0_dht_get(nodes[b].dht, now, it.target,
					      (const uint8_t *)"vx0", 3);
	run_until(now + 30000);
	CHECK(nodes[b].done && nodes[b].res.have_item && nodes[b].res.item.seq == 2 &&
	      memcmp(nodes[b].res.item.v, "5:world", 7) == 0);

	/* immutable item */
	nodes[a].done = false;
	id = vx0_dht_put_immutable(nodes[a].dht, now, (const uint8_t *)"12:Hello World!", 15,
				   target);
	nodes[a].want = (uint32_t)id;
	run_until(now + 30000);
	CHECK(nodes[a].done && nodes[a].res.stored >= K - 1);
	b = random_alive();
	nodes[b].done = false;
	nodes[b].want = (uint32_t)vx0_dht_get(nodes[b].dht, now, target, NULL, 0);
	run_until(now + 30000);
	CHECK(nodes[b].done && nodes[b].res.have_item && !nodes[b].res.item.is_mutable &&
	      nodes[b].res.item.v_len == 15);

	/* announce_peer / get_peers */
	{
		uint8_t ih[20];

		memset(ih, 0xab, sizeof(ih));
		nodes[a].done = false;
		nodes[a].want = (uint32_t)vx0_dht_announce(nodes[a].dht, now, ih, 4242);
		run_until(now + 30000);
		CHECK(nodes[a].done && nodes[a].res.stored >= K - 1);
		b = random_alive();
		nodes[b].done = false;
		nodes[b].want = (uint32_t)vx0_dht_get_peers(nodes[b].dht, now, ih);
		run_until(now + 30000);
		CHECK(nodes[b].done && nodes[b].res.npeers == 1);
		CHECK(nodes[b].res.peers[0].port == 4242 &&
		      memcmp(nodes[b].res.peers[0].ip, nodes[a].addr.ip, 4) == 0);
	}
	vx0_dht_key_free(key);
}


/* vx0 descriptors: publish, collect a tier through the index, look one up
 * by identity key, republish. */
#define N_PUB 36
static void
test_sim_descriptors(void)
{
	static struct vx0_desc_publisher pub[N_PUB];
	struct vx0_dht_key *keys[N_PUB];
	unsigned int owner[N_PUB], i, j, nbackbone = 0, found = 0, client;
	int64_t unix0 = 1700000000;
	uint8_t idx[20], target[20];
	struct vx0_desc d;
	bool seen[N_PUB] = { false };

	for (i = 0; i < N_PUB; i++) {
		uint8_t seed[32];

		memset(seed, (int)(i + 1), sizeof(seed));
		keys[i] = vx0_dht_key_from_seed(seed);
		owner[i] = random_alive();
		memset(&pub[i], 0, sizeof(pub[i]));
		pub[i].key = keys[i];
		pub[i].lifetime = 3 * 3600;
		pub[i].republish = 3600;
		pub[i].desc.tier = (uint8_t)(i % 3 + 1);
		pub[i].desc.naddrs = 1;
		pub[i].desc.addrs[0] = nodes[owner[i]].addr;
		memset(pub[i].desc.onion, (int)i, 32);
		strcpy(pub[i].desc.exit_policy, i % 2 ? "reject *:*" : "accept *:80,443");
		nbackbone += pub[i].desc.tier == VX0_TIER_BACKBONE;
		CHECK(vx0_desc_publisher_tick(&pub[i], nodes[owner[i]].dht, now, unix0) > 0);
		/* nothing to do again until the republish interval */
		CHECK_EQ(vx0_desc_publisher_tick(&pub[i], nodes[owner[i]].dht, now, unix0 + 10), 0);
	}
	run_until(now + 20000);

	/* a client collects the backbone tier: index -> DHT endpoints -> fetch */
	client = random_alive();
	vx0_desc_index_key(VX0_TIER_BACKBONE, (uint32_t)((unix0 + 60) / VX0_DESC_EPOCH), idx);
	nodes[client].done = false;
	nodes[client].want = (uint32_t)vx0_dht_get_peers(nodes[client].dht, now, idx);
	run_until(now + 20000);
	CHECK(nodes[client].done);
	CHECK_EQ(nodes[client].res.npeers, nbackbone);
	{
		struct vx0_dht_lookup_result peers = nodes[client].res;

		for (j = 0; j < peers.npeers; j++) {
			nodes[client].done = false;
			nodes[client].want = (uint32_t)vx0_dht_fetch(
				nodes[client].dht, now, &peers.peers[j], 1, idx,
				(const uint8_t *)VX0_DESC_SALT, strlen(VX0_DESC_SALT));
			run_until(now + 3000);
			if (!nodes[client].done || !nodes[client].res.have_item)
				continue;
			if (vx0_desc_from_item(&nodes[client].res.item, unix0 + 60, &d) != 0)
				continue;
			for (i = 0; i < N_PUB; i++)
				if (memcmp(d.identity, vx0_dht_key_public(keys[i]), 32) == 0 &&
				    !seen[i] && d.tier == VX0_TIER_BACKBONE &&
				    dht_addr_eq(&d.addrs[0], &peers.peers[j])) {
					seen[i] = true;
					found++;
				}
		}
	}
	fprintf(stderr, "# descriptors: %u backbone published, %u collected via the index\n",
		nbackbone, found);
	CHECK_EQ(found, nbackbone);

	/* lookup by identity key */
	vx0_desc_target(vx0_dht_key_public(keys[4]), target);
	nodes[client].done = false;
	nodes[client].want = (uint32_t)vx0_dht_get(nodes[client].dht, now, target,
						   (const uint8_t *)VX0_DESC_SALT,
						   strlen(VX0_DESC_SALT));
	run_until(now + 20000);
	CHECK(nodes[client].done && nodes[client].res.have_item);
	CHECK_EQ(vx0_desc_from_item(&nodes[client].res.item, unix0 + 60, &d), 0);
	CHECK_EQ(d.tier, pub[4].desc.tier);
	CHECK_EQ(d.valid_after, unix0);

	/* an hour later it is republished with a higher seq (and a new epoch) */
	CHECK(vx0_desc_publisher_tick(&pub[4], nodes[owner[4]].dht, now, unix0 + 3600) > 0);
	run_until(now + 20000);
	nodes[client].done = false;
	nodes[client].want = (uint32_t)vx0_dht_get(nodes[client].dht, now, target,
						   (const uint8_t *)VX0_DESC_SALT,
						   strlen(VX0_DESC_SALT));
	run_until(now + 20000);
	CHECK(nodes[client].done && nodes[client].res.have_item);
	CHECK_EQ(vx0_desc_from_item(&nodes[client].res.item, unix0 + 3700, &d), 0);
	CHECK_EQ(d.valid_after, unix0 + 3600);
	/* the first version has expired for a reader 3 h later */
	CHECK_EQ(vx0_desc_from_item(&pub[5].item, unix0 + 3 * 3600, &d), -ESTALE);
	for (i = 0; i < N_PUB; i++)
		vx0_dht_key_free(keys[i]);
}

/* The vx0 design's bucket size: k = 20, 400 nodes, 20% churn. */
static void
test_sim_k20(void)
{
	K = 20;
	/* a 20-node neighbourhood needs more of the network known: let bucket
	 * refreshes (every 30 s here) run for two minutes before the lookups */
	sim_join_churn_lookup(400, 80, 30, 5.0, 8);
	K = 8;
}

int
main(void)
{

	if (sodium_init() < 0)
		return 1;
	VX0_RUN(test_sim_join_churn_lookup);
	VX0_RUN(test_sim_put_get);
	VX0_RUN(test_sim_descriptors);
	VX0_RUN(test_sim_k20);
	sim_reset();
	free(heap);
	return vx0_test_done();
}
