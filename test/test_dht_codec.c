/* SPDX-License-Identifier: BSD-3-Clause */
/* Bencode, KRPC, SHA-1/CRC32C, BEP 42 and BEP 44 known answers. */
#include <errno.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>

#include "dht_bencode.h"
#include "dht_hash.h"
#include "dht_krpc.h"
#include "vx0_dht.h"
#include "vx0_test.h"

static void
unhex(const char *h, uint8_t *out)
{
	size_t i;

	for (i = 0; h[2 * i]; i++) {
		unsigned int b;

		sscanf(h + 2 * i, "%2x", &b);
		out[i] = (uint8_t)b;
	}
}

static int
dec(const char *s)
{
	struct vx0_bnode n[64];

	return vx0_bdecode((const uint8_t *)s, strlen(s), n, 64, VX0_BENC_MAX_DEPTH);
}

static void
test_bencode_valid(void)
{
	struct vx0_bnode n[64];
	const char *s = "d3:bar4:spam3:fooi42e4:listli-7e0:de1:xi0eee";
	int c = vx0_bdecode((const uint8_t *)s, strlen(s), n, 64, 16), v, l;
	size_t len;

	CHECK(c > 0);
	CHECK_EQ(n[0].type, VX0_BDICT);
	CHECK_EQ(n[0].count, 3);
	CHECK(vx0_bdict_str(n, 0, "bar", 4, &len) != NULL);
	v = vx0_bdict_get(n, 0, "foo");
	CHECK(v > 0 && n[v].type == VX0_BINT && n[v].i == 42);
	l = vx0_bdict_get(n, 0, "list");
	CHECK(l > 0 && n[l].type == VX0_BLIST && n[l].count == 5);
	v = vx0_blist_at(n, l, 0);
	CHECK(v > 0 && n[v].i == -7);
	v = vx0_blist_at(n, l, 1);
	CHECK(v > 0 && n[v].type == VX0_BSTR && n[v].slen == 0);
	v = vx0_blist_at(n, l, 3);
	CHECK(v > 0 && n[v].type == VX0_BSTR && n[v].slen == 1);
	v = vx0_blist_at(n, l, 4);
	CHECK(v > 0 && n[v].type == VX0_BINT && n[v].i == 0);
	CHECK_EQ(vx0_blist_at(n, l, 5), -1);
	CHECK_EQ(vx0_bdict_get(n, 0, "nope"), -1);
	CHECK_EQ(n[l].rawlen, strlen("li-7e0:de1:xi0ee"));
	/* extremes of int64 */
	CHECK(dec("i9223372036854775807e") == 1);
	CHECK(dec("i-9223372036854775808e") == 1);
	CHECK(dec("0:") == 1);
}

static void
test_bencode_malformed(void)
{
	static const char *const bad[] = {
		"", "i", "ie", "i-e", "i-0e", "i03e", "i-03e", "i1x2e", "i12",
		"i9223372036854775808e", "i-9223372036854775809e",
		"i99999999999999999999999e", "01:a", "5:abc", "4294967296:a",
		"3abc", "l", "li1e", "d", "d1:a", "di1e1:ae", /* int key */
		"d1:bi1e1:ai2ee",  /* unsorted */
		"d1:ai1e1:ai2ee",  /* duplicate */
		"d1:ai1ee1:x",     /* trailing bytes */
		"x", "-1:", "1:ab", "le4", ":", "d1:ae",
	};
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = dec(bad[i]);

		if (rc >= 0)
			fprintf(stderr, "accepted: %s\n", bad[i]);
		CHECK(rc < 0);
	}
}

static void
test_bencode_limits(void)
{
	char deep[80];
	struct vx0_bnode n[4];
	int i;

	/* 17 levels of lists exceed the depth limit of 16 */
	for (i = 0; i < 17; i++)
		deep[i] = 'l';
	for (i = 0; i < 17; i++)
		deep[17 + i] = 'e';
	deep[34] = 0;
	CHECK_EQ(dec(deep), -E2BIG);
	memset(deep, 0, sizeof(deep));
	for (i = 0; i < 16; i++)
		deep[i] = 'l', deep[16 + i] = 'e';
	CHECK_EQ(dec(deep), 16);
	/* more nodes than the caller's array */
	CHECK_EQ(vx0_bdecode((const uint8_t *)"li1ei2ei3ei4ee", 14, n, 4, 16), -E2BIG);
	/* a string longer than the input, announced with a huge length */
	CHECK_EQ(dec("99999999999:x"), -EINVAL);
}

static void
test_bencode_encode(void)
{
	uint8_t buf[64], small[4];
	struct vx0_benc e;

	vx0_benc_init(&e, buf, sizeof(buf));
	vx0_benc_dict(&e);
	vx0_benc_cstr(&e, "a");
	vx0_benc_int(&e, -12);
	vx0_benc_cstr(&e, "b");
	vx0_benc_list(&e);
	vx0_benc_str(&e, "xy", 2);
	vx0_benc_int(&e, 0);
	vx0_benc_end(&e);
	vx0_benc_end(&e);
	CHECK_EQ(vx0_benc_finish(&e), 22);
	CHECK_MEM(buf, "d1:ai-12e1:bl2:xyi0eee", 22);
	vx0_benc_init(&e, small, sizeof(small));
	vx0_benc_cstr(&e, "hello");
	CHECK_EQ(vx0_benc_finish(&e), -ENOSPC);
}

/* BEP 5's example messages, byte for byte, both ways. */
static const char *const bep5_msgs[] = {
	"d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe",
	"d1:rd2:id20:mnopqrstuvwxyz123456e1:t2:aa1:y1:re",
	"d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz123456e1:q9:find_node1:t2:aa1:y1:qe",
	"d1:rd2:id20:0123456789abcdefghij5:nodes9:def456...e1:t2:aa1:y1:re",
	"d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz123456e1:q9:get_peers1:t2:aa1:y1:qe",
	"d1:rd2:id20:abcdefghij01234567895:token8:aoeusnth6:valuesl6:axje.u6:idhtnmee1:t2:aa1:y1:re",
	"d1:rd2:id20:abcdefghij01234567895:nodes9:def456...5:token8:aoeusnthe1:t2:aa1:y1:re",
	"d1:ad2:id20:abcdefghij012345678912:implied_porti1e9:info_hash20:mnopqrstuvwxyz1234564:porti6881e5:token8:aoeusnthe1:q13:announce_peer1:t2:aa1:y1:qe",
	"d1:eli201e23:A Generic Error Ocurrede1:t2:aa1:y1:ee",
	/* BEP 44 messages (bep_0044.rst: get, put, their replies and errors) */
	"d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz123456e1:q3:get1:t2:aa1:y1:qe",
	"d1:ad2:id20:abcdefghij01234567893:seqi4e6:target20:mnopqrstuvwxyz123456e1:q3:get1:t2:aa1:y1:qe",
	"d1:ad2:id20:abcdefghij01234567895:token8:aoeusnth1:v12:Hello World!e1:q3:put1:t2:aa1:y1:qe",
	"d1:rd2:id20:mnopqrstuvwxyz1234565:nodes0:5:token8:aoeusnth1:v12:Hello World!e1:t2:aa1:y1:re",
	"d1:eli302e33:sequence number less than currente1:t2:aa1:y1:ee",
	"d1:eli205e25:message (v field) too bige1:t2:aa1:y1:ee",
	/* BEP 42 "ip" and a client version, as libtorrent sends them */
	"d2:ip6:\x7f\0\0\x01\x1b\x58" "1:rd2:id20:mnopqrstuvwxyz123456e1:t4:\0\0\0\x01" "1:v4:LT201:y1:re",
	/* announce_peer with an explicit port, get_peers with values and nodes */
	"d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz1234564:porti6881e5:token8:aoeusnthe1:q13:announce_peer1:t2:aa1:y1:qe",
	"d1:rd2:id20:abcdefghij01234567895:nodes26:ABCDEFGHIJKLMNOPQRST\xc6" "3d\x01\x1a\xe1"
	"5:token4:tttt6:valuesl6:\xc6" "3d\x02\x1a\xe1" "ee1:t2:aa1:y1:re",
};

static void
test_krpc_bep5_roundtrip(void)
{
	unsigned int i;

	for (i = 0; i < sizeof(bep5_msgs) / sizeof(bep5_msgs[0]); i++) {
		struct vx0_krpc_msg m;
		uint8_t out[512];
		size_t len = i == 15 ? 70 : strlen(bep5_msgs[i]); /* that one holds NULs */
		int rc = vx0_krpc_decode((const uint8_t *)bep5_msgs[i], len, &m);
		int n;

		CHECK_EQ(rc, 0);
		n = vx0_krpc_encode(&m, out, sizeof(out));
		CHECK_EQ(n, (long long)len);
		if (n == (int)len)
			CHECK_MEM(out, bep5_msgs[i], len);
	}
}

static void
test_krpc_fields(void)
{
	struct vx0_krpc_msg m;

	CHECK_EQ(vx0_krpc_decode((const uint8_t *)bep5_msgs[7], strlen(bep5_msgs[7]), &m), 0);
	CHECK_EQ(m.y, 'q');
	CHECK_EQ(m.method, VX0_KRPC_ANNOUNCE_PEER);
	CHECK_MEM(m.id, "abcdefghij0123456789", 20);
	CHECK_MEM(m.info_hash, "mnopqrstuvwxyz123456", 20);
	CHECK_EQ(m.port, 6881);
	CHECK_EQ(m.implied_port, 1);
	CHECK(m.token_len == 8 && memcmp(m.token, "aoeusnth", 8) == 0);
	CHECK_EQ(vx0_krpc_decode((const uint8_t *)bep5_msgs[5], strlen(bep5_msgs[5]), &m), 0);
	CHECK_EQ(m.nvalues, 2);
	CHECK_MEM(m.values[1], "idhtnm", 6);
	CHECK_EQ(vx0_krpc_decode((const uint8_t *)bep5_msgs[8], strlen(bep5_msgs[8]), &m), 0);
	CHECK_EQ(m.y, 'e');
	CHECK_EQ(m.ecode, 201);
	CHECK(m.emsg_len == 23);
}

/* BEP 44 get/put and a reply with ip and v: encoded from the struct. */
static void
test_krpc_bep44_encode(void)
{
	struct vx0_krpc_msg m;
	uint8_t out[600];
	const char *want =
		"d1:ad3:casi3e2:id20:abcdefghij01234567891:k32:"
		"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk4:salt3:abc3:seqi4e3:sig64:"
		"ssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssss"
		"5:token4:tttt1:v5:helloe1:q3:put1:t2:zz1:y1:qe";
	const char *want_r =
		"d2:ip6:ABCDEF1:rd2:id20:abcdefghij01234567891:k32:"
		"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk3:seqi9e3:sig64:"
		"ssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssss"
		"5:token4:tttt1:vli1ee"
		"e1:t2:zz1:v4:VX011:y1:re";
	int n;

	memset(&m, 0, sizeof(m));
	m.y = 'q';
	m.method = VX0_KRPC_PUT;
	m.t = (const uint8_t *)"zz";
	m.tlen = 2;
	m.has = VX0_KRPC_HAS_ID | VX0_KRPC_HAS_K | VX0_KRPC_HAS_SIG | VX0_KRPC_HAS_SEQ |
		VX0_KRPC_HAS_CAS | VX0_KRPC_HAS_SALT | VX0_KRPC_HAS_TOKEN | VX0_KRPC_HAS_V;
	memcpy(m.id, "abcdefghij0123456789", 20);
	memset(m.k, 'k', 32);
	memset(m.sig, 's', 64);
	m.seq = 4;
	m.cas = 3;
	m.salt = (const uint8_t *)"abc";
	m.salt_len = 3;
	m.token = (const uint8_t *)"tttt";
	m.token_len = 4;
	m.v = (const uint8_t *)"5:hello";
	m.v_len = 7;
	n = vx0_krpc_encode(&m, out, sizeof(out));
	CHECK_EQ(n, (long long)strlen(want));
	CHECK_MEM(out, want, strlen(want));

	m.y = 'r';
	m.has = VX0_KRPC_HAS_ID | VX0_KRPC_HAS_K | VX0_KRPC_HAS_SIG | VX0_KRPC_HAS_SEQ |
		VX0_KRPC_HAS_TOKEN | VX0_KRPC_HAS_V | VX0_KRPC_HAS_IP | VX0_KRPC_HAS_VERSION;
	m.seq = 9;
	m.v = (const uint8_t *)"li1ee";
	m.v_len = 5;
	m.ip = (const uint8_t *)"ABCDEF";
	m.ip_len = 6;
	m.version = (const uint8_t *)"VX01";
	m.version_len = 4;
	n = vx0_krpc_encode(&m, out, sizeof(out));
	CHECK_EQ(n, (long long)strlen(want_r));
	CHECK_MEM(out, want_r, strlen(want_r));
	/* and back */
	CHECK_EQ(vx0_krpc_decode(out, (size_t)n, &m), 0);
	CHECK(m.v_len == 5 && memcmp(m.v, "li1ee", 5) == 0);
	CHECK(m.ip_len == 6 && (m.has & VX0_KRPC_HAS_IP));
	CHECK_EQ(m.seq, 9);
	/* too small a buffer */
	CHECK_EQ(vx0_krpc_encode(&m, out, 20), -ENOSPC);
}

static void
test_krpc_malformed(void)
{
	static const char *const drop[] = {
		"le",                                        /* not a dict */
		"d1:t2:aa1:y1:qe",                           /* query without q */
		"d1:q4:ping1:y1:qe",                         /* no t */
		"d1:q4:ping1:t0:1:y1:qe",                    /* empty t */
		"d1:t2:aa1:y1:xe",                           /* bad y */
		"d1:rd2:id3:abce1:t2:aa1:y1:re",             /* short id in reply */
		"d1:t2:aa1:y1:ee",                           /* error without e */
		"d1:eli201ee1:t2:aa1:y2:eee",                /* y too long */
		"d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t17:aaaaaaaaaaaaaaaaa1:y1:qe", /* tid > 16 */
	};
	static const char *const proto[] = {
		"d1:ad2:id3:abce1:q4:ping1:t2:aa1:y1:qe",    /* short id */
		"d1:ade1:q4:ping1:t2:aa1:y1:qe",             /* no id */
		"d1:ad2:id20:abcdefghij01234567896:target3:abce1:q9:find_node1:t2:aa1:y1:qe",
		"d1:ad2:id20:abcdefghij01234567894:porti-e1:q4:ping1:t2:aa1:y1:qe",
		"d1:ai1e1:q4:ping1:t2:aa1:y1:qe",            /* a is not a dict */
	};
	struct vx0_krpc_msg m;
	uint8_t big[VX0_KRPC_MAX_PACKET + 1];
	unsigned int i;

	for (i = 0; i < sizeof(drop) / sizeof(drop[0]); i++)
		CHECK_EQ(vx0_krpc_decode((const uint8_t *)drop[i], strlen(drop[i]), &m), -EINVAL);
	for (i = 0; i < sizeof(proto) / sizeof(proto[0]); i++) {
		int rc = vx0_krpc_decode((const uint8_t *)proto[i], strlen(proto[i]), &m);

		/* the one with "i-e" is not bencode at all: dropped */
		CHECK(rc == -EPROTO || (i == 3 && rc == -EINVAL));
		if (rc == -EPROTO)
			CHECK(m.tlen == 2 && memcmp(m.t, "aa", 2) == 0);
	}
	memset(big, 'x', sizeof(big));
	CHECK_EQ(vx0_krpc_decode(big, sizeof(big), &m), -EINVAL);
	/* unknown method: decoded, method UNKNOWN, name kept */
	CHECK_EQ(vx0_krpc_decode((const uint8_t *)"d1:ad2:id20:abcdefghij0123456789e1:q3:foo1:t2:aa1:y1:qe",
				 55, &m), 0);
	CHECK_EQ(m.method, VX0_KRPC_UNKNOWN);
	CHECK(m.qlen == 3 && memcmp(m.q, "foo", 3) == 0);
}

static void
test_hashes(void)
{
	uint8_t d[20], w[20];

	/* FIPS 180-2 appendix A.1 and A.2 */
	vx0_sha1("abc", 3, d);
	unhex("a9993e364706816aba3e25717850c26c9cd0d89d", w);
	CHECK_MEM(d, w, 20);
	vx0_sha1("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, d);
	unhex("84983e441c3bd26ebaae4aa1f95129e5e54670f1", w);
	CHECK_MEM(d, w, 20);
	/* RFC 3720 B.4: 32 bytes of zeros -> aa 36 91 8a (little endian) */
	{
		uint8_t z[32] = { 0 };

		CHECK_EQ(vx0_crc32c(0, z, 32), 0x8a9136aa);
		CHECK_EQ(vx0_crc32c(0, "123456789", 9), 0xe3069283);
	}
}

/* BEP 42 test vectors (bep_0042.rst): the bold parts of the example ids. */
static void
test_bep42(void)
{
	static const struct {
		uint8_t ip[4];
		uint8_t rand;
		const char *prefix; /* first 3 bytes, top 21 bits significant */
	} v[] = {
		{ { 124, 31, 75, 21 }, 1, "5fbfbf" },
		{ { 21, 75, 31, 124 }, 86, "5a3ce9" },
		{ { 65, 23, 51, 170 }, 22, "a5d432" },
		{ { 84, 124, 73, 14 }, 65, "1b0321" },
		{ { 43, 213, 53, 83 }, 90, "e56f6c" },
	};
	unsigned int i;

	for (i = 0; i < 5; i++) {
		struct vx0_dht_addr a = { .family = 4, .port = 6881 };
		uint8_t rnd[20], id[20], p[3];

		memset(rnd, 0x5c, sizeof(rnd));
		memcpy(a.ip, v[i].ip, 4);
		vx0_dht_bep42_id(&a, v[i].rand, rnd, id);
		unhex(v[i].prefix, p);
		CHECK(id[0] == p[0] && id[1] == p[1] && (id[2] & 0xf8) == (p[2] & 0xf8));
		CHECK_EQ(id[19], v[i].rand);
		CHECK(vx0_dht_bep42_check(id, &a));
		id[1] ^= 0x10;
		CHECK(!vx0_dht_bep42_check(id, &a));
	}
	/* loopback and private addresses are exempt */
	{
		struct vx0_dht_addr lo = { .family = 4, .port = 1, .ip = { 127, 0, 0, 1 } };
		uint8_t id[20] = { 0 };

		CHECK(vx0_dht_bep42_check(id, &lo));
	}
}

/* BEP 44 test vectors (bep_0044.rst, "Test Vectors"). */
static const char *const bep44_pk =
	"77ff84905a91936367c01360803104f92432fcd904a43511876df5cdf3e7e548";
static const char *const bep44_sk =
	"e06d3183d14159228433ed599221b80bd0a5ce8352e4bdf0262f76786ef1c74d"
	"b7e7a9fea2c0eb269d61e3b38e450a22e754941ac78479d6c54e1faf6037881d";

static void
test_bep44_vectors(void)
{
	uint8_t pk[32], sk[64], t[20], sig[64], buf[128];
	struct vx0_dht_key *key;
	struct vx0_dht_item it;
	int n;

	unhex(bep44_pk, pk);
	unhex(bep44_sk, sk);
	key = vx0_dht_key_from_expanded(sk, pk);
	CHECK(key != NULL);
	if (!key)
		return;

	/* test 1: mutable, no salt */
	n = vx0_dht_signed_buffer(NULL, 0, 1, (const uint8_t *)"12:Hello World!", 15,
				  buf, sizeof(buf));
	CHECK_EQ(n, 26);
	CHECK_MEM(buf, "3:seqi1e1:v12:Hello World!", 26);
	CHECK_EQ(vx0_dht_item_sign(&it, key, NULL, 0, 1,
				   (const uint8_t *)"12:Hello World!", 15), 0);
	unhex("4a533d47ec9c7d95b1ad75f576cffc641853b750", t);
	CHECK_MEM(it.target, t, 20);
	unhex("305ac8aeb6c9c151fa120f120ea2cfb923564e11552d06a5d856091e5e853cff"
	      "1260d3f39e4999684aa92eb73ffd136e6f4f3ecbfda0ce53a1608ecd7ae21f01", sig);
	CHECK_MEM(it.sig, sig, 64);
	CHECK(vx0_dht_item_verify(&it));

	/* test 2: mutable with salt "foobar" */
	n = vx0_dht_signed_buffer((const uint8_t *)"foobar", 6, 1,
				  (const uint8_t *)"12:Hello World!", 15, buf, sizeof(buf));
	CHECK_EQ(n, 40);
	CHECK_MEM(buf, "4:salt6:foobar3:seqi1e1:v12:Hello World!", 40);
	CHECK_EQ(vx0_dht_item_sign(&it, key, (const uint8_t *)"foobar", 6, 1,
				   (const uint8_t *)"12:Hello World!", 15), 0);
	unhex("411eba73b6f087ca51a3795d9c8c938d365e32c1", t);
	CHECK_MEM(it.target, t, 20);
	unhex("6834284b6b24c3204eb2fea824d82f88883a3d95e8b4a21b8c0ded553d17d17d"
	      "df9a8a7104b1258f30bed3787e6cb896fca78c58f8e03b5f18f14951a87d9a08", sig);
	CHECK_MEM(it.sig, sig, 64);
	CHECK(vx0_dht_item_verify(&it));

	/* tampering: seq, value, salt, signature */
	it.seq = 2;
	CHECK(!vx0_dht_item_verify(&it));
	it.seq = 1;
	it.v[5] ^= 1;
	CHECK(!vx0_dht_item_verify(&it));
	it.v[5] ^= 1;
	it.sig[10] ^= 1;
	CHECK(!vx0_dht_item_verify(&it));
	it.sig[10] ^= 1;
	it.salt[0] = 'g';
	CHECK(!vx0_dht_item_verify(&it));

	/* test 3: immutable */
	vx0_dht_immutable_target((const uint8_t *)"12:Hello World!", 15, t);
	unhex("e5f96f6f38320f0f33959cb4d3d656452117aadb", sig);
	CHECK_MEM(t, sig, 20);
	vx0_dht_key_free(key);
}

/* Signing from a seed matches libsodium's own Ed25519. */
static void
test_bep44_seed_key(void)
{
	uint8_t seed[32], pk[32], sk[64], sig[64], buf[64];
	struct vx0_dht_key *key;
	struct vx0_dht_item it;
	int n;

	memset(seed, 7, sizeof(seed));
	crypto_sign_seed_keypair(pk, sk, seed);
	key = vx0_dht_key_from_seed(seed);
	CHECK(key != NULL);
	if (!key)
		return;
	CHECK_MEM(vx0_dht_key_public(key), pk, 32);
	CHECK_EQ(vx0_dht_item_sign(&it, key, (const uint8_t *)"s", 1, 42,
				   (const uint8_t *)"3:abc", 5), 0);
	n = vx0_dht_signed_buffer((const uint8_t *)"s", 1, 42, (const uint8_t *)"3:abc", 5,
				  buf, sizeof(buf));
	crypto_sign_detached(sig, NULL, buf, (unsigned long long)n, sk);
	CHECK_MEM(it.sig, sig, 64);
	/* oversized values and salts are refused */
	{
		uint8_t v[VX0_DHT_MAX_V + 1];

		memset(v, 'x', sizeof(v));
		CHECK_EQ(vx0_dht_item_sign(&it, key, NULL, 0, 1, v, sizeof(v)), -EINVAL);
		CHECK_EQ(vx0_dht_item_sign(&it, key, v, VX0_DHT_MAX_SALT + 1, 1, v, 5), -EINVAL);
		/* v must be one bencoded value (it is spliced into packets) */
		CHECK_EQ(vx0_dht_item_sign(&it, key, NULL, 0, 1, (const uint8_t *)"14:abc", 6),
			 -EINVAL);
		CHECK_EQ(vx0_dht_item_sign(&it, key, NULL, 0, 1, (const uint8_t *)"3:abci1e", 8),
			 -EINVAL);
	}
	sodium_memzero(sk, sizeof(sk));
	vx0_dht_key_free(key);
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	VX0_RUN(test_bencode_valid);
	VX0_RUN(test_bencode_malformed);
	VX0_RUN(test_bencode_limits);
	VX0_RUN(test_bencode_encode);
	VX0_RUN(test_krpc_bep5_roundtrip);
	VX0_RUN(test_krpc_fields);
	VX0_RUN(test_krpc_bep44_encode);
	VX0_RUN(test_krpc_malformed);
	VX0_RUN(test_hashes);
	VX0_RUN(test_bep42);
	VX0_RUN(test_bep44_vectors);
	VX0_RUN(test_bep44_seed_key);
	return vx0_test_done();
}
