/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vx0-client's DPDK-free parts (lib/onion/vx0_onion_path.h): the static
 * descriptor file and its errors, the guard-set file and its persistence,
 * and path selection (capacity weighting, /16 and family exclusion).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "vx0_dht.h"
#include "vx0_onion_path.h"
#include "vx0_test.h"

#define NOW 1800000000ull

static char errbuf[256];

/* A relay object with byte b repeated as its keys. */
static int
relay_json(char *out, size_t cap, const char *name, const char *addr, unsigned int cap_w,
	   const char *family, int exitf, uint8_t b)
{
	char id[65], ok[65];
	uint8_t k[32];

	memset(k, b, 32);
	sodium_bin2hex(id, sizeof(id), k, 32);
	memset(k, (uint8_t)(b ^ 0xff), 32);
	sodium_bin2hex(ok, sizeof(ok), k, 32);
	return snprintf(out, cap,
			"{\"name\": \"%s\", \"addr\": \"%s\", \"port\": 7150, \"id\": \"%s\", "
			"\"onion_key\": \"%s\", \"capacity\": %u, \"family\": \"%s\", \"exit\": %s}",
			name, addr, id, ok, cap_w, family, exitf ? "true" : "false");
}

struct spec {
	const char *name, *addr;
	unsigned int cap;
	const char *family;
	int exit;
};

static int
dir_from(struct vx0_onion_dir *d, const struct spec *s, unsigned int n)
{
	static char buf[65536];
	size_t off = 0;
	unsigned int i;

	off += (size_t)snprintf(buf + off, sizeof(buf) - off, "{\"relays\": [");
	for (i = 0; i < n; i++) {
		if (i)
			buf[off++] = ',';
		off += (size_t)relay_json(buf + off, sizeof(buf) - off, s[i].name, s[i].addr,
					  s[i].cap, s[i].family, s[i].exit, (uint8_t)(i + 1));
	}
	off += (size_t)snprintf(buf + off, sizeof(buf) - off, "]}");
	return vx0_onion_dir_parse(buf, off, d, errbuf, sizeof(errbuf));
}

static void
test_dir_parse_good(void)
{
	static const struct spec s[] = {
		{ "guard", "198.51.100.2", 1000, "", 0 },
		{ "exit-1", "2001:db8::7", 5, "op.example", 1 },
	};
	static struct vx0_onion_dir d;
	uint8_t k[32];

	CHECK_EQ(dir_from(&d, s, 2), 0);
	CHECK_EQ(d.n, 2);
	CHECK(strcmp(d.r[0].name, "guard") == 0);
	CHECK_EQ(d.r[0].desc.addr.family, 4);
	CHECK_EQ(d.r[0].desc.addr.port, 7150);
	CHECK_MEM(d.r[0].desc.addr.addr, "\xc6\x33\x64\x02", 4);
	memset(k, 1, 32);
	CHECK_MEM(d.r[0].desc.id, k, 32);
	memset(k, 0xfe, 32);
	CHECK_MEM(d.r[0].desc.onion_pk, k, 32);
	CHECK_EQ(d.r[0].capacity, 1000);
	CHECK_EQ(d.r[0].exit, 0);
	CHECK_EQ(d.r[1].desc.addr.family, 6);
	CHECK_EQ(d.r[1].desc.addr.addr[15], 7);
	CHECK(strcmp(d.r[1].family, "op.example") == 0);
	CHECK_EQ(d.r[1].exit, 1);
	CHECK_EQ(vx0_onion_dir_find(&d, "exit-1"), 1);
	CHECK_EQ(vx0_onion_dir_find(&d, "nope"), -ENOENT);
	CHECK_EQ(vx0_onion_dir_find_id(&d, d.r[1].desc.id), 1);
}

/* Each bad file fails with -EINVAL and a message naming the field. */
static void
bad(const char *text, const char *field)
{
	static struct vx0_onion_dir d;
	int rc;

	errbuf[0] = '\0';
	rc = vx0_onion_dir_parse(text, strlen(text), &d, errbuf, sizeof(errbuf));
	CHECK_EQ(rc, -EINVAL);
	CHECK_EQ(d.n, 0);
	if (strstr(errbuf, field) == NULL) {
		fprintf(stderr, "error \"%s\" does not name \"%s\"\n", errbuf, field);
		CHECK(0);
	}
}

#define ID1 "0101010101010101010101010101010101010101010101010101010101010101"
#define OK1 "fefefefefefefefefefefefefefefefefefefefefefefefefefefefefefefefe"
#define R(fields) "{\"relays\": [{" fields "}]}"
#define GOOD_REST "\"port\": 7150, \"id\": \"" ID1 "\", \"onion_key\": \"" OK1 \
	"\", \"capacity\": 10, \"family\": \"\", \"exit\": false"

static void
test_dir_parse_bad(void)
{
	char two[2048];
	static struct vx0_onion_dir d;

	/* the good relay parses, so each case below fails for its own reason */
	CHECK_EQ(vx0_onion_dir_parse(R("\"name\": \"a\", \"addr\": \"198.51.100.1\", " GOOD_REST),
				     strlen(R("\"name\": \"a\", \"addr\": \"198.51.100.1\", "
					      GOOD_REST)), &d, errbuf, sizeof(errbuf)), 0);
	bad("", "file");
	bad("{\"relays\": [", "file");
	bad("[]", "file");
	bad("{\"relays\": []}", "relays");
	bad("{\"relays\": {}}", "relays");
	bad("{\"relays\": [1]}", "relays[0]");
	bad("{\"relays\": [], \"extra\": 1}", "extra");
	bad("{\"relays\": [], \"relays\": []}", "file"); /* duplicate key */
	bad(R("\"addr\": \"198.51.100.1\", " GOOD_REST), "relays[0].name: missing");
	bad(R("\"name\": \"a b\", \"addr\": \"198.51.100.1\", " GOOD_REST), "relays[0].name");
	bad(R("\"name\": \"\", \"addr\": \"198.51.100.1\", " GOOD_REST), "relays[0].name");
	bad(R("\"name\": \"abcdefghijabcdefghijabcdefghijabc\", \"addr\": \"198.51.100.1\", "
	      GOOD_REST), "relays[0].name");
	bad(R("\"name\": 5, \"addr\": \"198.51.100.1\", " GOOD_REST), "relays[0].name");
	bad(R("\"name\": \"a\", \"addr\": \"198.51.100.256\", " GOOD_REST), "relays[0].addr");
	bad(R("\"name\": \"a\", \"addr\": \"host.example\", " GOOD_REST), "relays[0].addr");
	bad(R("\"name\": \"a\", \"addr\": \"198.51.100.1\", \"port\": 0, \"id\": \"" ID1
	      "\", \"onion_key\": \"" OK1 "\", \"capacity\": 10, \"family\": \"\", \"exit\": false"),
	    "relays[0].port");
	bad(R("\"name\": \"a\", \"addr\": \"198.51.100.1\", \"port\": 65536, \"id\": \"" ID1
	      "\", \"onion_key\": \"" OK1 "\", \"capacity\": 10, \"family\": \"\", \"exit\": false"),
	    "relays[0].port");
	bad(R("\"name\": \"a\", \"addr\": \"198.51.100.1\", \"port\": \"7150\", \"id\": \"" ID1
	      "\", \"onion_key\": \"" OK1 "\", \"capacity\": 10, \"family\": \"\", \"exit\": false"),
	    "relays[0].port");
	bad(R("\"name\": \"a\", \"addr\": \"198.51.100.1\", \"port\": 7150, \"id\": \"0101\", "
	      "\"onion_key\": \"" OK1 "\", \"capacity\": 10, \"family\": \"\", \"exit\": false"),
	    "relays[0].id");
	bad(R("\"name\": \"a\", \"addr\": \"198.51.100.1\", \"port\": 7150, \"id\": \""
	      "zz01010101010101010101010101010101010101010101010101010101010101\", "
	      "\"onion_key\": \"" OK1 "\", \"capacity\": 10, \"family\": \"\", \"exit\": false"),
	    "relays[0].id");
	bad(R("\"name\": \"a\", \"addr\": \"198.51.100.1\", \"port\": 7150, \"id\": \"" ID1 "\", "
	      "\"onion_key\": \"" OK1 "00\", \"capacity\": 10, \"family\": \"\", \"exit\": false"),
	    "relays[0].onion_key");
	bad(R("\"name\": \"a\", \"addr\": \"198.51.100.1\", \"port\": 7150, \"id\": \"" ID1 "\", "
	      "\"onion_key\": \"" OK1 "\", \"capacity\": 0, \"family\": \"\", \"exit\": false"),
	    "relays[0].capacity");
	bad(R("\"name\": \"a\", \"addr\": \"198.51.100.1\", \"port\": 7150, \"id\": \"" ID1 "\", "
	      "\"onion_key\": \"" OK1 "\", \"capacity\": 1000001, \"family\": \"\", \"exit\": false"),
	    "relays[0].capacity");
	bad(R("\"name\": \"a\", \"addr\": \"198.51.100.1\", \"port\": 7150, \"id\": \"" ID1 "\", "
	      "\"onion_key\": \"" OK1 "\", \"capacity\": 1.5, \"family\": \"\", \"exit\": false"),
	    "relays[0].capacity");
	bad(R("\"name\": \"a\", \"addr\": \"198.51.100.1\", \"port\": 7150, \"id\": \"" ID1 "\", "
	      "\"onion_key\": \"" OK1 "\", \"capacity\": 10, \"family\": \"a\\nb\", \"exit\": false"),
	    "relays[0].family");
	bad(R("\"name\": \"a\", \"addr\": \"198.51.100.1\", \"port\": 7150, \"id\": \"" ID1 "\", "
	      "\"onion_key\": \"" OK1 "\", \"capacity\": 10, \"family\": \"\", \"exit\": 1"),
	    "relays[0].exit");
	bad(R("\"name\": \"a\", \"addr\": \"198.51.100.1\", " GOOD_REST ", \"tier\": 1"),
	    "relays[0].tier: unknown");
	/* names and identities are unique */
	snprintf(two, sizeof(two), "{\"relays\": [{\"name\": \"a\", \"addr\": \"198.51.100.1\", %s},"
		 "{\"name\": \"a\", \"addr\": \"203.0.113.1\", \"port\": 7150, \"id\": \"%064d\", "
		 "\"onion_key\": \"%s\", \"capacity\": 1, \"family\": \"\", \"exit\": true}]}",
		 GOOD_REST, 2, OK1);
	bad(two, "relays[1].name");
	snprintf(two, sizeof(two), "{\"relays\": [{\"name\": \"a\", \"addr\": \"198.51.100.1\", %s},"
		 "{\"name\": \"b\", \"addr\": \"203.0.113.1\", %s}]}", GOOD_REST, GOOD_REST);
	bad(two, "relays[1].id");
	/* a missing file */
	CHECK_EQ(vx0_onion_dir_load("/nonexistent/vx0/relays.json", &d, errbuf, sizeof(errbuf)),
		 -ENOENT);
	CHECK(strstr(errbuf, "/nonexistent/vx0/relays.json") != NULL);
}

static void
test_related(void)
{
	static const struct spec s[] = {
		{ "a", "198.51.100.1", 1, "", 0 },
		{ "b", "198.51.200.1", 1, "", 0 },   /* same /16 as a */
		{ "c", "198.52.100.1", 1, "", 0 },   /* other /16 */
		{ "d", "203.0.113.1", 1, "fam", 0 },
		{ "e", "2001:db8:1::1", 1, "fam", 0 }, /* same family as d */
		{ "f", "2001:db8:2::1", 1, "", 0 },    /* same /32 as e */
		{ "g", "2001:db9::1", 1, "", 0 },
	};
	static struct vx0_onion_dir d;

	CHECK_EQ(dir_from(&d, s, 7), 0);
	CHECK(vx0_onion_relays_related(&d.r[0], &d.r[0]));
	CHECK(vx0_onion_relays_related(&d.r[0], &d.r[1]));
	CHECK(!vx0_onion_relays_related(&d.r[0], &d.r[2]));
	CHECK(!vx0_onion_relays_related(&d.r[0], &d.r[3]));
	CHECK(vx0_onion_relays_related(&d.r[3], &d.r[4]));
	CHECK(vx0_onion_relays_related(&d.r[4], &d.r[5]));
	CHECK(!vx0_onion_relays_related(&d.r[5], &d.r[6]));
	CHECK(!vx0_onion_relays_related(&d.r[0], &d.r[5])); /* v4 vs v6 */
	/* an empty family relates nobody */
	CHECK(!vx0_onion_relays_related(&d.r[2], &d.r[6]));
}

/* Middle weighting: with the guard and exit fixed, 20000 paths spread
 * over middles of capacity 1, 3 and 6 within 2.5 points of 10/30/60 %
 * (binomial sd is at most 0.35 points here, so this is a 7-sigma bound). */
static void
test_middle_weighted(void)
{
	static const struct spec s[] = {
		{ "g", "198.51.100.1", 50, "", 0 },
		{ "x", "203.0.113.1", 50, "", 1 },
		{ "m1", "100.1.0.1", 1, "", 0 },
		{ "m3", "100.2.0.1", 3, "", 0 },
		{ "m6", "100.3.0.1", 6, "", 0 },
	};
	static struct vx0_onion_dir d;
	struct vx0_onion_guard_set g;
	unsigned int idx[3], count[5] = { 0 }, i, rounds = 20000;
	int changed;

	CHECK_EQ(dir_from(&d, s, 5), 0);
	memset(&g, 0, sizeof(g));
	g.n = 1;
	memcpy(g.id[0], d.r[0].desc.id, 32);
	g.added[0] = NOW;
	for (i = 0; i < rounds; i++) {
		if (vx0_onion_path_select(&d, &g, NULL, NOW, 0, idx, &changed) < 0) {
			CHECK(0);
			break;
		}
		CHECK_EQ(idx[0], 0);
		CHECK_EQ(idx[2], 1);
		CHECK_EQ(changed, 0);
		count[idx[1]]++;
	}
	CHECK_EQ(count[2] + count[3] + count[4], rounds);
	CHECK(count[2] > rounds * 75 / 1000 && count[2] < rounds * 125 / 1000);
	CHECK(count[3] > rounds * 275 / 1000 && count[3] < rounds * 325 / 1000);
	CHECK(count[4] > rounds * 575 / 1000 && count[4] < rounds * 625 / 1000);
}

/* No two hops share a /16 or a declared family, whatever the draw; the
 * exit always offers exit service. */
static void
test_exclusion(void)
{
	static const struct spec s[] = {
		{ "g", "198.51.100.1", 10, "", 0 },
		{ "x", "203.0.113.1", 10, "opx", 1 },
		{ "m-same16-g", "198.51.7.1", 1000, "", 0 },  /* /16 of g */
		{ "m-fam-x", "100.5.0.1", 1000, "opx", 0 },   /* family of x */
		{ "m-same16-x", "203.0.1.1", 1000, "", 0 },   /* /16 of x */
		{ "m-ok", "100.6.0.1", 1, "", 0 },
	};
	static struct vx0_onion_dir d;
	struct vx0_onion_guard_set g;
	unsigned int idx[3], i;
	int changed;

	CHECK_EQ(dir_from(&d, s, 6), 0);
	memset(&g, 0, sizeof(g));
	g.n = 1;
	memcpy(g.id[0], d.r[0].desc.id, 32);
	g.added[0] = NOW;
	for (i = 0; i < 200; i++) {
		CHECK_EQ(vx0_onion_path_select(&d, &g, NULL, NOW, 0, idx, &changed), 0);
		CHECK_EQ(idx[0], 0);
		CHECK_EQ(idx[1], 5);
		CHECK_EQ(idx[2], 1);
	}
	/* test networks on one subnet: the /16 rule off, families still apart */
	{
		unsigned int seen[6] = { 0 };

		for (i = 0; i < 300; i++) {
			CHECK_EQ(vx0_onion_path_select(&d, &g, NULL, NOW, VX0_ONION_PATH_ANY_SUBNET,
						       idx, &changed), 0);
			seen[idx[1]]++;
		}
		CHECK_EQ(seen[3], 0);
		CHECK_EQ(seen[0] + seen[1], 0);
		CHECK(seen[2] > 0 && seen[4] > 0);
		CHECK_EQ(seen[2] + seen[4] + seen[5], 300);
	}
	/* with m-ok avoided no middle fits */
	{
		static struct vx0_onion_path_avoid av;

		av.n = 1;
		memcpy(av.id[0], d.r[5].desc.id, 32);
		CHECK_EQ(vx0_onion_path_select(&d, &g, &av, NOW, 0, idx, &changed), -EHOSTUNREACH);
	}
}

/* A random directory of 40 relays: 2000 paths, all valid. */
static void
test_paths_valid(void)
{
	static struct spec s[40];
	static char names[40][8], addrs[40][24], fams[40][8];
	static struct vx0_onion_dir d;
	struct vx0_onion_guard_set g;
	unsigned int idx[3], i, j, k;
	int changed;

	for (i = 0; i < 40; i++) {
		snprintf(names[i], sizeof(names[i]), "r%u", i);
		/* 8 /16s, 5 families: many relations to respect */
		snprintf(addrs[i], sizeof(addrs[i]), "100.%u.%u.1", i % 8, i);
		if (i % 3)
			snprintf(fams[i], sizeof(fams[i]), "f%u", i % 5);
		else
			fams[i][0] = '\0';
		s[i] = (struct spec){ names[i], addrs[i], 1 + i * 7, fams[i], i % 4 == 0 };
	}
	CHECK_EQ(dir_from(&d, s, 40), 0);
	memset(&g, 0, sizeof(g));
	for (i = 0; i < 2000; i++) {
		if (vx0_onion_path_select(&d, &g, NULL, NOW, 0, idx, &changed) < 0) {
			CHECK(0);
			break;
		}
		CHECK(d.r[idx[2]].exit);
		for (j = 0; j < 3; j++)
			for (k = j + 1; k < 3; k++)
				CHECK(!vx0_onion_relays_related(&d.r[idx[j]], &d.r[idx[k]]));
	}
	/* guards are chosen once and kept (a second only when the first is
	 * related to the drawn exit), and never among exits while others fit */
	CHECK(g.n >= 1 && g.n <= VX0_ONION_GUARDS_MAX);
	for (i = 0; i < g.n; i++)
		CHECK(!d.r[vx0_onion_dir_find_id(&d, g.id[i])].exit);
}

static void
test_guard_persistence(void)
{
	static const struct spec s[] = {
		{ "g1", "198.51.100.1", 10, "", 0 },
		{ "g2", "100.7.0.1", 10, "", 0 },
		{ "g3", "100.8.0.1", 10, "", 0 },
		{ "x", "203.0.113.1", 10, "", 1 },
		{ "m", "100.9.0.1", 10, "", 0 },
	};
	static struct vx0_onion_dir d;
	static struct vx0_onion_path_avoid av;
	struct vx0_onion_guard_set g, g2;
	char dir[] = "/tmp/vx0-guards-XXXXXX", path[64];
	unsigned int idx[3], first, i;
	int changed;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/guards.json", dir);
	CHECK_EQ(dir_from(&d, s, 5), 0);
	CHECK_EQ(vx0_onion_guards_load(path, &g, errbuf, sizeof(errbuf)), -ENOENT);
	CHECK_EQ(g.n, 0);
	CHECK_EQ(vx0_onion_path_select(&d, &g, NULL, NOW, 0, idx, &changed), 0);
	CHECK_EQ(changed, 1);
	CHECK_EQ(g.n, 1);
	first = idx[0];
	CHECK_EQ(vx0_onion_guards_save(path, &g), 0);
	CHECK_EQ(access(path, R_OK), 0);
	/* a "restart": a fresh set from the file picks the same guard every time */
	for (i = 0; i < 50; i++) {
		CHECK_EQ(vx0_onion_guards_load(path, &g2, errbuf, sizeof(errbuf)), 0);
		CHECK_EQ(g2.n, 1);
		CHECK_MEM(g2.id[0], g.id[0], 32);
		CHECK_EQ(g2.added[0], NOW);
		CHECK_EQ(vx0_onion_path_select(&d, &g2, NULL, NOW + i, 0, idx, &changed), 0);
		CHECK_EQ(idx[0], first);
		CHECK_EQ(changed, 0);
	}
	/* the guard fails: a second one is added, the first stays first */
	av.n = 1;
	memcpy(av.id[0], d.r[first].desc.id, 32);
	CHECK_EQ(vx0_onion_path_select(&d, &g2, &av, NOW, 0, idx, &changed), 0);
	CHECK_EQ(changed, 1);
	CHECK_EQ(g2.n, 2);
	CHECK(idx[0] != first);
	CHECK_MEM(g2.id[0], d.r[first].desc.id, 32);
	CHECK_EQ(vx0_onion_guards_save(path, &g2), 0);
	CHECK_EQ(vx0_onion_guards_load(path, &g, errbuf, sizeof(errbuf)), 0);
	CHECK_EQ(g.n, 2);
	/* back without the failure: the first guard again */
	CHECK_EQ(vx0_onion_path_select(&d, &g, NULL, NOW, 0, idx, &changed), 0);
	CHECK_EQ(idx[0], first);
	/* 60 days later every guard has expired and one new one is chosen */
	CHECK_EQ(vx0_onion_path_select(&d, &g, NULL, NOW + VX0_ONION_GUARD_LIFETIME, 0, idx,
				       &changed), 0);
	CHECK_EQ(changed, 1);
	CHECK_EQ(g.n, 1);
	CHECK_EQ(g.added[0], NOW + VX0_ONION_GUARD_LIFETIME);
	unlink(path);
	rmdir(dir);
}

static void
test_guard_file_bad(void)
{
	static const char *const cases[][2] = {
		{ "", "guards" },
		{ "[]", "guards" },
		{ "{\"version\": 2, \"guards\": []}", "version" },
		{ "{\"guards\": []}", "version" },
		{ "{\"version\": 1, \"guards\": [], \"x\": 1}", "x: unknown" },
		{ "{\"version\": 1, \"guards\": {}}", "guards" },
		{ "{\"version\": 1, \"guards\": [{\"id\": \"00\", \"added\": 1}]}", "guards[0].id" },
		{ "{\"version\": 1, \"guards\": [{\"id\": \"" ID1 "\", \"added\": -1}]}",
		  "guards[0].added" },
		{ "{\"version\": 1, \"guards\": [{\"id\": \"" ID1 "\"}]}", "guards[0]" },
		{ "{\"version\": 1, \"guards\": [{\"id\": \"" ID1 "\", \"added\": 1}, "
		  "{\"id\": \"" ID1 "\", \"added\": 2}]}", "guards[1].id" },
		{ "{\"version\": 1, \"guards\": [1, 2, 3, 4]}", "guards" },
	};
	struct vx0_onion_guard_set g;
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		errbuf[0] = '\0';
		CHECK_EQ(vx0_onion_guards_parse(cases[i][0], strlen(cases[i][0]), &g, errbuf,
						sizeof(errbuf)), -EINVAL);
		CHECK_EQ(g.n, 0);
		if (strstr(errbuf, cases[i][1]) == NULL) {
			fprintf(stderr, "case %u: \"%s\" lacks \"%s\"\n", i, errbuf, cases[i][1]);
			CHECK(0);
		}
	}
}

static void
test_no_exit(void)
{
	static const struct spec s[] = {
		{ "a", "198.51.100.1", 10, "", 0 },
		{ "b", "100.7.0.1", 10, "", 0 },
		{ "c", "100.8.0.1", 10, "", 0 },
	};
	static struct vx0_onion_dir d;
	struct vx0_onion_guard_set g;
	unsigned int idx[3];
	int changed;

	CHECK_EQ(dir_from(&d, s, 3), 0);
	memset(&g, 0, sizeof(g));
	CHECK_EQ(vx0_onion_path_select(&d, &g, NULL, NOW, 0, idx, &changed), -EHOSTUNREACH);
	CHECK_EQ(g.n, 0);
}

/* A signed descriptor through the DHT item path, then into the directory. */
static void
test_relay_from_desc(void)
{
	static struct vx0_onion_dir d;
	struct vx0_onion_relay_info r;
	struct vx0_dht_item item;
	struct vx0_desc desc, got;
	struct vx0_dht_key *key;
	uint8_t seed[32];

	memset(seed, 7, sizeof(seed));
	key = vx0_dht_key_from_seed(seed);
	CHECK(key != NULL);
	if (key == NULL)
		return;
	memset(&desc, 0, sizeof(desc));
	memcpy(desc.identity, vx0_dht_key_public(key), 32);
	memset(desc.onion, 0x42, 32);
	desc.naddrs = 2;
	desc.addrs[0].family = 6;
	desc.addrs[0].port = 7151;
	desc.addrs[0].ip[0] = 0x20; desc.addrs[0].ip[1] = 0x01;
	desc.addrs[0].ip[2] = 0x0d; desc.addrs[0].ip[3] = 0xb8; desc.addrs[0].ip[15] = 9;
	desc.addrs[1].family = 4;
	desc.addrs[1].port = 7150;
	memcpy(desc.addrs[1].ip, "\xcb\x00\x71\x09", 4);
	desc.tier = VX0_TIER_REGIONAL;
	snprintf(desc.exit_policy, sizeof(desc.exit_policy), "accept *:443");
	desc.valid_after = (int64_t)NOW;
	desc.valid_until = (int64_t)NOW + 3600;
	CHECK_EQ(vx0_desc_sign(&desc, key, &item), 0);
	CHECK_EQ(vx0_desc_from_item(&item, (int64_t)NOW + 10, &got), 0);

	CHECK_EQ(vx0_onion_relay_from_desc(&got, 4, &r), 0);
	CHECK_EQ(r.desc.addr.family, 4);
	CHECK_EQ(r.desc.addr.port, 7150);
	CHECK_MEM(r.desc.addr.addr, "\xcb\x00\x71\x09", 4);
	CHECK_MEM(r.desc.id, vx0_dht_key_public(key), 32);
	CHECK_MEM(r.desc.onion_pk, desc.onion, 32);
	CHECK_EQ(r.capacity, VX0_ONION_TIER_WEIGHT_2);
	CHECK_EQ(r.exit, 1);
	CHECK_EQ(strlen(r.name), 17);
	CHECK_EQ(r.name[0], 'x');
	CHECK_EQ(r.family[0], '\0');
	CHECK_EQ(vx0_onion_relay_from_desc(&got, 0, &r), 0);
	CHECK_EQ(r.desc.addr.family, 6);
	CHECK_EQ(r.desc.addr.port, 7151);

	/* vx0d's default policy is no exit; a v4-only relay has no v6 address */
	snprintf(got.exit_policy, sizeof(got.exit_policy), "reject *:*");
	got.naddrs = 1;
	got.addrs[0] = desc.addrs[1];
	got.tier = VX0_TIER_BACKBONE;
	CHECK_EQ(vx0_onion_relay_from_desc(&got, 6, &r), -EAFNOSUPPORT);
	CHECK_EQ(vx0_onion_relay_from_desc(&got, 4, &r), 0);
	CHECK_EQ(r.exit, 0);
	CHECK_EQ(r.capacity, VX0_ONION_TIER_WEIGHT_1);

	/* the directory holds one entry per identity: a newer one replaces it */
	memset(&d, 0, sizeof(d));
	CHECK_EQ(vx0_onion_dir_add(&d, &r), 0);
	r.desc.addr.port = 7999;
	CHECK_EQ(vx0_onion_dir_add(&d, &r), 0);
	CHECK_EQ(d.n, 1);
	CHECK_EQ(d.r[0].desc.addr.port, 7999);
	vx0_dht_key_free(key);
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	VX0_RUN(test_dir_parse_good);
	VX0_RUN(test_dir_parse_bad);
	VX0_RUN(test_related);
	VX0_RUN(test_middle_weighted);
	VX0_RUN(test_exclusion);
	VX0_RUN(test_paths_valid);
	VX0_RUN(test_guard_persistence);
	VX0_RUN(test_guard_file_bad);
	VX0_RUN(test_no_exit);
	VX0_RUN(test_relay_from_desc);
	return vx0_test_done();
}
