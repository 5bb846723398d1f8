/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "vx0_fib.h"
#include "vx0_test.h"
#include "vx0_test_eal.h"

static struct rte_rcu_qsbr *qsv;

static struct vx0_fib *
make_fib(const char *name)
{
	struct vx0_fib_conf c = { .max_routes4 = 1024, .max_routes6 = 1024,
				  .max_tbl8s4 = 256, .max_tbl8s6 = 256,
				  .max_nh = 64, .socket_id = SOCKET_ID_ANY, .qsv = qsv };

	return vx0_fib_create(name, &c);
}

static uint32_t
a4(const char *s)
{
	uint32_t v;

	inet_pton(AF_INET, s, &v);
	return v;
}

static void
test_parse_prefix(void)
{
	uint8_t a[16], len;
	int fam;

	CHECK_EQ(vx0_fib_parse_prefix("198.51.100.77/24", &fam, a, &len), 0);
	CHECK_EQ(fam, AF_INET);
	CHECK_EQ(len, 24);
	CHECK(a[3] == 0 && a[2] == 100);
	CHECK_EQ(vx0_fib_parse_prefix("2001:db8::1/32", &fam, a, &len), 0);
	CHECK_EQ(fam, AF_INET6);
	CHECK_EQ(len, 32);
	CHECK(a[15] == 0 && a[0] == 0x20);
	CHECK_EQ(vx0_fib_parse_prefix("203.0.113.9", &fam, a, &len), 0);
	CHECK_EQ(len, 32);
	CHECK(vx0_fib_parse_prefix("198.51.100.0/33", &fam, a, &len) < 0);
	CHECK(vx0_fib_parse_prefix("198.51.100.0/", &fam, a, &len) < 0);
	CHECK(vx0_fib_parse_prefix("nonsense", &fam, a, &len) < 0);
	CHECK(vx0_fib_parse_prefix("2001:db8::/129", &fam, a, &len) < 0);
	CHECK(vx0_fib_parse_prefix("/24", &fam, a, &len) < 0);
}

static void
test_routes_and_next_hops_v4(void)
{
	struct vx0_fib *fib = make_fib("t4");
	uint32_t gw = a4("198.51.100.2"), nh, p;
	int id, id2;
	uint8_t mac[6] = { 2, 0, 0, 0, 0, 9 };

	CHECK(fib != NULL);
	id = vx0_fib_nh_get(fib, VX0_NH_FWD, 1, AF_INET, &gw);
	CHECK(id > 0);
	id2 = vx0_fib_nh_get(fib, VX0_NH_FWD, 1, AF_INET, &gw);
	CHECK_EQ(id2, id); /* shared */
	vx0_fib_nh_put(fib, (uint32_t)id2);
	p = a4("203.0.113.0");
	CHECK_EQ(vx0_fib_route_add(fib, AF_INET, &p, 24, (uint32_t)id), 0);
	CHECK_EQ(vx0_fib_count(fib, AF_INET), 1);
	CHECK_EQ(vx0_fib_lookup4(fib, ntohl(a4("203.0.113.77")), &nh), 0);
	CHECK_EQ(nh, id);
	CHECK(vx0_fib_lookup4(fib, ntohl(a4("198.51.100.7")), &nh) < 0);
	CHECK_EQ(vx0_fib_route_get(fib, AF_INET, &p, 24), id);
	/* L2 publish and invalidate */
	CHECK_EQ(vx0_fib_nh_l2(vx0_fib_nh(fib, id)) & VX0_NH_L2_VALID, 0);
	CHECK_EQ(vx0_fib_nh_set_l2(fib, (uint32_t)id, mac), 0);
	CHECK(vx0_fib_nh_l2(vx0_fib_nh(fib, id)) & VX0_NH_L2_VALID);
	CHECK_MEM(&fib->nh[id].l2, mac, 6);
	/* replace with drop, then delete */
	CHECK_EQ(vx0_fib_route_add(fib, AF_INET, &p, 24, VX0_FIB_NH_DROP_ID), 0);
	CHECK_EQ(vx0_fib_count(fib, AF_INET), 1);
	CHECK_EQ(fib->nh[id].refcnt, 1); /* only our own reference left */
	CHECK_EQ(vx0_fib_route_del(fib, AF_INET, &p, 24), 0);
	CHECK_EQ(vx0_fib_route_del(fib, AF_INET, &p, 24), -ENOENT);
	CHECK_EQ(vx0_fib_count(fib, AF_INET), 0);
	vx0_fib_nh_put(fib, (uint32_t)id);
	CHECK_EQ(fib->nh[id].refcnt, 0);
	CHECK_EQ(vx0_fib_nh_set_l2(fib, (uint32_t)id, mac), -ENOENT);
	CHECK(vx0_fib_route_add(fib, AF_INET, &p, 24, (uint32_t)id) < 0); /* freed nh */
	vx0_fib_free(fib);
}

static void
test_routes_v6(void)
{
	struct vx0_fib *fib = make_fib("t6");
	uint8_t p[16], ip[16], len;
	uint32_t nh;
	int fam, id;

	CHECK(fib != NULL);
	vx0_fib_parse_prefix("2001:db8:b::/48", &fam, p, &len);
	inet_pton(AF_INET6, "2001:db8:b::42", ip);
	id = vx0_fib_nh_get(fib, VX0_NH_GLEAN, 2, AF_INET6, NULL);
	CHECK(id > 0);
	CHECK(vx0_fib_lookup6(fib, ip, &nh) < 0);
	/* live at once, as IPv4 */
	CHECK_EQ(vx0_fib_route_add(fib, AF_INET6, p, len, (uint32_t)id), 0);
	CHECK_EQ(vx0_fib_lookup6(fib, ip, &nh), 0);
	CHECK_EQ(nh, id);
	CHECK_EQ(vx0_fib_route_get(fib, AF_INET6, p, len), id);
	CHECK_EQ(vx0_fib_route_del(fib, AF_INET6, p, len), 0);
	CHECK(vx0_fib_lookup6(fib, ip, &nh) < 0);
	CHECK_EQ(vx0_fib_route_del(fib, AF_INET6, p, len), -ENOENT);
	CHECK_EQ(vx0_fib_route_add(fib, AF_INET6, p, len, (uint32_t)id), 0);
	CHECK_EQ(vx0_fib_lookup6(fib, ip, &nh), 0);
	CHECK_EQ(vx0_fib_count(fib, AF_INET6), 1);
	CHECK_EQ(vx0_fib_route_add(fib, AF_INET6, p, 129, (uint32_t)id), -EINVAL);
	vx0_fib_free(fib);
}

/* --- IPv6 table against a model: random adds, replaces and deletes of
 * prefixes /0../128 over addresses whose bytes come from a four-letter
 * alphabet (so prefixes share groups at every level), single and bulk
 * lookups compared with a longest-match scan, and at the end every group
 * back in the pool. */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t
rnd32(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

struct model6 {
	uint8_t ip[16];
	uint8_t len;
	uint32_t nh;
};

static void
mask6_to(uint8_t *o, const uint8_t *ip, uint8_t len)
{
	for (int i = 0; i < 16; i++) {
		int bits = (int)len - i * 8;

		o[i] = bits >= 8 ? ip[i] : bits <= 0 ? 0 : (uint8_t)(ip[i] & (0xff00 >> bits));
	}
}

static int
model6_lookup(const struct model6 *r, unsigned int n, const uint8_t *ip)
{
	int best = -1, nh = -ENOENT;
	uint8_t m[16];

	for (unsigned int i = 0; i < n; i++) {
		mask6_to(m, ip, r[i].len);
		if (memcmp(m, r[i].ip, 16) == 0 && (int)r[i].len > best) {
			best = r[i].len;
			nh = (int)r[i].nh;
		}
	}
	return nh;
}

static void
rnd_addr6(uint8_t *a)
{
	static const uint8_t alpha[4] = { 0x00, 0x01, 0x80, 0xff };

	a[0] = 0x20, a[1] = 0x01, a[2] = 0x0d, a[3] = 0xb8;
	for (int i = 4; i < 16; i++)
		a[i] = alpha[rnd32() & 3];
}

static void
test_v6_against_model(void)
{
	enum { MAXR = 400, OPS = 8000 };
	static struct model6 m[MAXR];
	/* random /41../128s: a group per level each, few shared */
	struct vx0_fib_conf c = { .max_routes4 = 1024, .max_routes6 = 1024,
				  .max_tbl8s4 = 256, .max_tbl8s6 = 8192,
				  .max_nh = 64, .socket_id = SOCKET_ID_ANY, .qsv = qsv };
	struct vx0_fib *fib = vx0_fib_create("t6m", &c);
	unsigned int n = 0, mismatches = 0, errors = 0;
	uint32_t nhs[8];

	CHECK(fib != NULL);
	for (int i = 0; i < 8; i++)
		nhs[i] = (uint32_t)vx0_fib_nh_get(fib, VX0_NH_GLEAN, (uint16_t)i, AF_INET6, NULL);
	for (int op = 0; op < OPS; op++) {
		uint32_t r = rnd32();
		uint8_t len = (r & 7) == 0 ? (uint8_t)(rnd32() % 41) : (uint8_t)(40 + rnd32() % 89);
		uint8_t a[16], ip[16];
		int k = -1;

		rnd_addr6(a);
		mask6_to(ip, a, len);
		for (unsigned int i = 0; i < n; i++)
			if (m[i].len == len && memcmp(m[i].ip, ip, 16) == 0)
				k = (int)i;
		if (k >= 0 && (r >> 8) % 3 != 0) {
			if (vx0_fib_route_del(fib, AF_INET6, a, len) != 0) /* masked inside */
				errors++;
			m[k] = m[--n];
		} else if (k >= 0 || n < MAXR) {
			uint32_t nh = nhs[(r >> 12) & 7];

			if (vx0_fib_route_add(fib, AF_INET6, a, len, nh) != 0) {
				errors++;
				continue;
			}
			if (k < 0)
				k = (int)n++;
			memcpy(m[k].ip, ip, 16);
			m[k].len = len;
			m[k].nh = nh;
		}
		if (op % 40 == 0) {
			uint8_t q[64][16];
			uint32_t got[64];

			for (int j = 0; j < 64; j++) {
				rnd_addr6(q[j]);
				if (j & 1) /* off the alphabet too */
					q[j][4 + rnd32() % 12] ^= (uint8_t)(1u << (rnd32() & 7));
			}
			vx0_fib_lookup6_bulk(fib, (const uint8_t (*)[16])q, got, 64);
			for (int j = 0; j < 64; j++) {
				int want = model6_lookup(m, n, q[j]);
				uint32_t one;
				int rc = vx0_fib_lookup6(fib, q[j], &one);

				if ((want < 0) != (rc < 0) || (want >= 0 && (uint32_t)want != one))
					mismatches++;
				if ((want < 0) != !(got[j] & VX0_FIB6_VALID) ||
				    (want >= 0 && (uint32_t)want != (got[j] & VX0_FIB6_NH_MASK)))
					mismatches++;
			}
			if (vx0_fib_count(fib, AF_INET6) != n)
				mismatches++;
		}
	}
	for (unsigned int i = 0; i < n; i++)
		if (vx0_fib_route_get(fib, AF_INET6, m[i].ip, m[i].len) != (int)m[i].nh)
			mismatches++;
	printf("# model6: %d ops, %u routes left, %u groups in use\n", OPS, n, fib->v6.lv.pool.used);
	CHECK_EQ(errors, 0);
	CHECK_EQ(mismatches, 0);
	CHECK(fib->v6.lv.pool.used > 0);
	while (n > 0) {
		CHECK_EQ(vx0_fib_route_del(fib, AF_INET6, m[n - 1].ip, m[n - 1].len), 0);
		n--;
	}
	CHECK_EQ(fib->v6.lv.pool.used, 0);
	CHECK_EQ(vx0_fib_count(fib, AF_INET6), 0);
	for (int j = 0; j < 1000; j++) {
		uint8_t q[16];
		uint32_t got;

		rnd_addr6(q);
		if (vx0_fib_lookup6(fib, q, &got) == 0)
			mismatches++;
	}
	CHECK_EQ(mismatches, 0);
	vx0_fib_free(fib);
}

/* --- IPv4 table against a model: random adds, replaces and deletes in a
 * small address space (so /25../32 share second-level groups), every
 * lookup compared with a linear longest-prefix match over the model --- */

struct model_rule {
	uint32_t ip;
	uint8_t len;
	uint32_t nh;
};

static uint32_t
msk(uint8_t len)
{
	return len ? ~0u << (32 - len) : 0;
}

static int
model_lookup(const struct model_rule *r, unsigned int n, uint32_t ip)
{
	int best = -1, nh = -ENOENT;

	for (unsigned int i = 0; i < n; i++)
		if ((ip & msk(r[i].len)) == r[i].ip && (int)r[i].len > best) {
			best = r[i].len;
			nh = (int)r[i].nh;
		}
	return nh;
}

static int
model_find(const struct model_rule *r, unsigned int n, uint32_t ip, uint8_t len)
{
	for (unsigned int i = 0; i < n; i++)
		if (r[i].ip == ip && r[i].len == len)
			return (int)i;
	return -1;
}

static void
test_v4_against_model(void)
{
	enum { MAXR = 600, OPS = 12000 };
	static struct model_rule m[MAXR];
	const uint32_t base = 0xc6336000; /* 198.51.96.0: a /18 of room */
	struct vx0_fib *fib = make_fib("tm");
	unsigned int n = 0, mismatches = 0, errors = 0;
	uint32_t nhs[8];

	CHECK(fib != NULL);
	for (int i = 0; i < 8; i++)
		nhs[i] = (uint32_t)vx0_fib_nh_get(fib, VX0_NH_GLEAN, (uint16_t)i, AF_INET, NULL);
	for (int op = 0; op < OPS; op++) {
		uint32_t r = rnd32();
		/* mostly long prefixes; some short ones covering everything */
		uint8_t len = (r & 7) == 0 ? (uint8_t)(8 + rnd32() % 17) : (uint8_t)(18 + rnd32() % 15);
		uint32_t ip = (base | (rnd32() & 0x3fff)) & msk(len), be = htonl(ip);
		int k = model_find(m, n, ip, len);

		if (k >= 0 && (r >> 8) % 3 != 0) { /* delete */
			if (vx0_fib_route_del(fib, AF_INET, &be, len) != 0)
				errors++;
			m[k] = m[--n];
		} else if (k >= 0 || n < MAXR) { /* add or replace */
			uint32_t nh = nhs[(r >> 12) & 7];

			if (vx0_fib_route_add(fib, AF_INET, &be, len, nh) != 0) {
				errors++;
				continue;
			}
			if (k < 0)
				k = (int)n++;
			m[k] = (struct model_rule){ ip, len, nh };
		}
		if (op % 50 == 0) {
			for (int j = 0; j < 256; j++) {
				/* the whole /18 plus its edges */
				uint32_t a = base - 64 + rnd32() % (0x4000 + 128), got;
				int want = model_lookup(m, n, a);
				int rc = vx0_fib_lookup4(fib, a, &got);

				if ((want < 0) != (rc < 0) || (want >= 0 && (uint32_t)want != got))
					mismatches++;
			}
			if (vx0_fib_count(fib, AF_INET) != n)
				mismatches++;
		}
	}
	for (unsigned int i = 0; i < n; i++) {
		uint32_t be = htonl(m[i].ip);

		if (vx0_fib_route_get(fib, AF_INET, &be, m[i].len) != (int)m[i].nh)
			mismatches++;
	}
	printf("# model: %d ops, %u routes left, %u groups in use\n", OPS, n, fib->v4.lv.pool.used);
	CHECK_EQ(errors, 0);
	CHECK_EQ(mismatches, 0);
	/* everything deleted: every group returns, nothing is found */
	while (n > 0) {
		uint32_t be = htonl(m[n - 1].ip);

		CHECK_EQ(vx0_fib_route_del(fib, AF_INET, &be, m[n - 1].len), 0);
		n--;
	}
	CHECK_EQ(fib->v4.lv.pool.used, 0);
	CHECK_EQ(vx0_fib_count(fib, AF_INET), 0);
	for (uint32_t a = base - 256; a < base + 0x4100; a += 7) {
		uint32_t got;

		if (vx0_fib_lookup4(fib, a, &got) == 0)
			mismatches++;
	}
	CHECK_EQ(mismatches, 0);
	vx0_fib_free(fib);
}

/* A default route, /8 and /32 edges, and a full group of /32s folding back. */
static void
test_v4_edges(void)
{
	struct vx0_fib *fib = make_fib("te");
	uint32_t a = (uint32_t)vx0_fib_nh_get(fib, VX0_NH_GLEAN, 0, AF_INET, NULL);
	uint32_t b = (uint32_t)vx0_fib_nh_get(fib, VX0_NH_GLEAN, 1, AF_INET, NULL);
	uint32_t z = 0, p8 = a4("10.0.0.0"), nh;

	CHECK_EQ(vx0_fib_route_add(fib, AF_INET, &z, 0, a), 0);
	CHECK_EQ(vx0_fib_lookup4(fib, 0xffffffffu, &nh), 0);
	CHECK_EQ(nh, a);
	CHECK_EQ(vx0_fib_route_add(fib, AF_INET, &p8, 8, b), 0);
	for (uint32_t i = 0; i < 256; i++) { /* every host of 10.1.2.0/24 */
		uint32_t h = htonl(0x0a010200 | i);

		CHECK_EQ(vx0_fib_route_add(fib, AF_INET, &h, 32, i & 1 ? a : b), 0);
	}
	CHECK_EQ(fib->v4.lv.pool.used, 1);
	CHECK_EQ(vx0_fib_lookup4(fib, 0x0a010203, &nh), 0);
	CHECK_EQ(nh, a);
	CHECK_EQ(vx0_fib_lookup4(fib, 0x0a010303, &nh), 0);
	CHECK_EQ(nh, b);
	/* the /8 goes: the /32s stay, the rest falls back to the default */
	CHECK_EQ(vx0_fib_route_del(fib, AF_INET, &p8, 8), 0);
	CHECK_EQ(vx0_fib_lookup4(fib, 0x0a010202, &nh), 0);
	CHECK_EQ(nh, b);
	CHECK_EQ(vx0_fib_lookup4(fib, 0x0a010302, &nh), 0);
	CHECK_EQ(nh, a);
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t h = htonl(0x0a010200 | i);

		CHECK_EQ(vx0_fib_route_del(fib, AF_INET, &h, 32), 0);
	}
	CHECK_EQ(fib->v4.lv.pool.used, 0); /* folded back into the first level */
	CHECK_EQ(vx0_fib_lookup4(fib, 0x0a010203, &nh), 0);
	CHECK_EQ(nh, a);
	CHECK_EQ(vx0_fib_route_del(fib, AF_INET, &z, 0), 0);
	CHECK(vx0_fib_lookup4(fib, 0x0a010203, &nh) < 0);
	CHECK_EQ(vx0_fib_route_add(fib, AF_INET, &z, 33, a), -EINVAL);
	vx0_fib_free(fib);
}

/* 100,000 /24s (the shape of a BGP table) load and delete in linear time:
 * well under a second here, where rte_lpm needed ~10 s for this many. */
static void
test_v4_many(void)
{
	struct vx0_fib_conf c = { .max_routes4 = 100000, .max_routes6 = 64, .max_nh = 64,
				  .socket_id = SOCKET_ID_ANY, .qsv = qsv };
	struct vx0_fib *fib = vx0_fib_create("tn", &c);
	uint32_t a, nh, bad = 0;
	uint64_t t0;
	double secs;

	CHECK(fib != NULL);
	if (fib == NULL)
		return;
	a = (uint32_t)vx0_fib_nh_get(fib, VX0_NH_GLEAN, 0, AF_INET, NULL);
	t0 = rte_rdtsc();
	for (uint32_t i = 0; i < 100000; i++) {
		uint32_t be = htonl((1 + (i >> 16)) << 24 | (i & 0xffff) << 8);

		if (vx0_fib_route_add(fib, AF_INET, &be, 24, a) != 0)
			bad++;
	}
	CHECK_EQ(vx0_fib_route_add(fib, AF_INET, &(uint32_t){ htonl(0xc0000000) }, 24, a), -ENOSPC);
	for (uint32_t i = 0; i < 100000; i += 97)
		if (vx0_fib_lookup4(fib, (1 + (i >> 16)) << 24 | (i & 0xffff) << 8 | 9, &nh) != 0 ||
		    nh != a)
			bad++;
	for (uint32_t i = 0; i < 100000; i++) {
		uint32_t be = htonl((1 + (i >> 16)) << 24 | (i & 0xffff) << 8);

		if (vx0_fib_route_del(fib, AF_INET, &be, 24) != 0)
			bad++;
	}
	secs = (double)(rte_rdtsc() - t0) / (double)rte_get_tsc_hz();
	printf("# 100000 /24 adds + deletes: %.3f s\n", secs);
	CHECK_EQ(bad, 0);
	CHECK_EQ(vx0_fib_count(fib, AF_INET), 0);
	CHECK(secs < 5.0);
	vx0_fib_free(fib);
}

/* --- concurrent lookups on lcore 1 while lcore 0 rewrites the table --- */

static struct vx0_fib *cfib;
static volatile int stop_reader;
static uint64_t reader_lookups, reader_errors;
static uint64_t reader_seen; /* reader_lookups, published for the writer */
static uint32_t nh_a, nh_b;

static int
reader(void *arg)
{
	unsigned int tid = rte_lcore_id();
	uint8_t ip6[16];
	uint32_t nh, ip4 = ntohl(a4("203.0.113.200"));

	(void)arg;
	inet_pton(AF_INET6, "2001:db8:c::200", ip6);
	rte_rcu_qsbr_thread_register(qsv, tid);
	rte_rcu_qsbr_thread_online(qsv, tid);
	while (!__atomic_load_n(&stop_reader, __ATOMIC_ACQUIRE)) {
		for (int i = 0; i < 64; i++) {
			/* a covering /16 always exists, so a miss is a torn update */
			if (vx0_fib_lookup4(cfib, ip4, &nh) != 0 || (nh != nh_a && nh != nh_b))
				reader_errors++;
			if (vx0_fib_lookup6(cfib, ip6, &nh) != 0 || (nh != nh_a && nh != nh_b))
				reader_errors++;
			reader_lookups += 2;
		}
		__atomic_store_n(&reader_seen, reader_lookups, __ATOMIC_RELEASE);
		rte_rcu_qsbr_quiescent(qsv, tid);
	}
	rte_rcu_qsbr_thread_offline(qsv, tid);
	rte_rcu_qsbr_thread_unregister(qsv, tid);
	return 0;
}

static void
test_updates_under_concurrent_lookups(void)
{
	uint8_t p6[16], c6[16], len;
	uint32_t p4 = a4("203.0.113.0"), c4 = a4("203.0.0.0");
	int fam;
	unsigned int worker = rte_get_next_lcore(-1, 1, 0);

	cfib = make_fib("tc");
	CHECK(cfib != NULL && worker < RTE_MAX_LCORE);
	nh_a = (uint32_t)vx0_fib_nh_get(cfib, VX0_NH_GLEAN, 0, AF_INET, NULL);
	nh_b = (uint32_t)vx0_fib_nh_get(cfib, VX0_NH_GLEAN, 1, AF_INET, NULL);
	vx0_fib_parse_prefix("2001:db8:c::/48", &fam, p6, &len);
	vx0_fib_parse_prefix("2001:db8::/32", &fam, c6, &len);
	CHECK_EQ(vx0_fib_route_add(cfib, AF_INET, &c4, 16, nh_a), 0);
	CHECK_EQ(vx0_fib_route_add(cfib, AF_INET6, c6, 32, nh_a), 0);
	rte_eal_remote_launch(reader, NULL, worker);
	/* the updates must overlap the lookups: on a busy machine the reader
	 * may start late, so go on past 3000 rounds until it has looked up
	 * 10,000 times (at most 10 s) */
	uint64_t deadline = rte_get_timer_cycles() + 10 * rte_get_timer_hz();

	for (int i = 0; i < 3000 || (__atomic_load_n(&reader_seen, __ATOMIC_ACQUIRE) < 10000 &&
				    rte_get_timer_cycles() < deadline);
	     i++) {
		uint32_t nh = (i & 1) ? nh_b : nh_a;

		/* /25 and /48 need tbl8 groups: add, replace and delete them */
		CHECK_EQ(vx0_fib_route_add(cfib, AF_INET, &p4, 25, nh), 0);
		CHECK_EQ(vx0_fib_route_add(cfib, AF_INET6, p6, 48, nh), 0);
		if (i % 3 == 0) {
			CHECK_EQ(vx0_fib_route_del(cfib, AF_INET, &p4, 25), 0);
			CHECK_EQ(vx0_fib_route_del(cfib, AF_INET6, p6, 48), 0);
		}
	}
	__atomic_store_n(&stop_reader, 1, __ATOMIC_RELEASE);
	rte_eal_wait_lcore(worker);
	printf("# concurrent: %llu lookups, %llu errors\n",
	       (unsigned long long)reader_lookups, (unsigned long long)reader_errors);
	CHECK(reader_lookups >= 10000);
	CHECK_EQ(reader_errors, 0);
	vx0_fib_free(cfib);
}

int
main(void)
{
	size_t sz;

	if (vx0_test_eal_init("fib") < 0) {
		printf("not ok 1 - eal init\n1..1\n");
		return 1;
	}
	sz = rte_rcu_qsbr_get_memsize(RTE_MAX_LCORE);
	qsv = rte_zmalloc(NULL, sz, RTE_CACHE_LINE_SIZE);
	rte_rcu_qsbr_init(qsv, RTE_MAX_LCORE);
	VX0_RUN(test_parse_prefix);
	VX0_RUN(test_routes_and_next_hops_v4);
	VX0_RUN(test_routes_v6);
	VX0_RUN(test_v6_against_model);
	VX0_RUN(test_v4_against_model);
	VX0_RUN(test_v4_edges);
	VX0_RUN(test_v4_many);
	VX0_RUN(test_updates_under_concurrent_lookups);
	rte_free(qsv);
	rte_eal_cleanup();
	return vx0_test_done();
}
