/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One node answering hand-made queries: every method, tokens, BEP 44
 * checks and error codes (201-207, 301, 302), drops of malformed input.
 */
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>

#include "dht_bencode.h"
#include "dht_krpc.h"
#include "vx0_dht.h"
#include "vx0_test.h"

static uint8_t last[2048];
static size_t last_len;
static unsigned int nsent;
static struct vx0_dht_addr last_to;

static unsigned int nqueries;
static uint8_t lastq[2048];
static size_t lastq_len;

/* Keeps the last reply; queries the node sends on its own (pings that
 * verify a new querying node) are only counted. */
static void
cap_send(void *user, const struct vx0_dht_addr *to, const uint8_t *buf, size_t len)
{
	struct vx0_krpc_msg m;

	(void)user;
	if (vx0_krpc_decode(buf, len, &m) == 0 && m.y == 'q' && m.method == VX0_KRPC_PING &&
	    m.tlen == 4) {
		memcpy(lastq, buf, len);
		lastq_len = len;
		nqueries++;
		return;
	}
	memcpy(last, buf, len);
	last_len = len;
	last_to = *to;
	nsent++;
}

static const struct vx0_dht_addr peer = { .family = 4, .port = 7000,
					  .ip = { 198, 51, 100, 20 } };
static const struct vx0_dht_addr peer2 = { .family = 4, .port = 7001,
					   .ip = { 198, 51, 100, 21 } };

static struct vx0_dht *
mknode(void)
{
	struct vx0_dht_config cfg;
	struct vx0_dht_ops ops = { .send = cap_send };

	vx0_dht_config_default(&cfg);
	memset(cfg.id, 0x11, 20);
	cfg.have_id = true;
	cfg.max_items_per_ip = 2;
	cfg.version = "VX01";
	return vx0_dht_create(&cfg, &ops, NULL, 1000);
}

/* Send a query built from m (t "aa", id of the peer) and decode the reply. */
static int
ask(struct vx0_dht *d, const struct vx0_dht_addr *from, struct vx0_krpc_msg *m,
    struct vx0_krpc_msg *r)
{
	uint8_t buf[1500];
	int n;

	m->y = 'q';
	m->t = (const uint8_t *)"aa";
	m->tlen = 2;
	memset(m->id, 0x22 + from->ip[3], 20);
	m->has |= VX0_KRPC_HAS_ID;
	n = vx0_krpc_encode(m, buf, sizeof(buf));
	if (n < 0)
		return n;
	nsent = 0;
	vx0_dht_input(d, 2000, from, buf, (size_t)n);
	if (nsent != 1)
		return -ENOMSG;
	CHECK(last_to.port == from->port);
	return vx0_krpc_decode(last, last_len, r);
}

static void
test_ping_and_find_node(void)
{
	struct vx0_dht *d = mknode();
	struct vx0_krpc_msg q, r;

	memset(&q, 0, sizeof(q));
	q.method = VX0_KRPC_PING;
	CHECK_EQ(ask(d, &peer, &q, &r), 0);
	CHECK_EQ(r.y, 'r');
	CHECK(r.tlen == 2 && memcmp(r.t, "aa", 2) == 0);
	CHECK_MEM(r.id, vx0_dht_id(d), 20);
	/* BEP 42: our view of the requester's address */
	CHECK(r.ip_len == 6 && memcmp(r.ip, "\xc6\x33\x64\x14\x1b\x58", 6) == 0);
	CHECK(r.version_len == 4 && memcmp(r.version, "VX01", 4) == 0);
	/* and the new node is pinged once to verify it */
	CHECK_EQ(nqueries, 1);

	/* the pinging peer is in the table now; find_node returns it to peer2 */
	memset(&q, 0, sizeof(q));
	q.method = VX0_KRPC_FIND_NODE;
	memset(q.target, 0x33, 20);
	q.has = VX0_KRPC_HAS_TARGET;
	CHECK_EQ(ask(d, &peer2, &q, &r), 0);
	CHECK_EQ(r.nodes_len, 2 * 26);
	/* missing target: 203 */
	memset(&q, 0, sizeof(q));
	q.method = VX0_KRPC_FIND_NODE;
	CHECK_EQ(ask(d, &peer2, &q, &r), 0);
	CHECK_EQ(r.y, 'e');
	CHECK_EQ(r.ecode, 203);
	vx0_dht_destroy(d);
}

static void
test_get_peers_announce(void)
{
	struct vx0_dht *d = mknode();
	struct vx0_krpc_msg q, r;
	uint8_t tok[64];
	size_t tl;

	memset(&q, 0, sizeof(q));
	q.method = VX0_KRPC_GET_PEERS;
	memset(q.info_hash, 0x44, 20);
	q.has = VX0_KRPC_HAS_INFO_HASH;
	CHECK_EQ(ask(d, &peer, &q, &r), 0);
	CHECK(r.has & VX0_KRPC_HAS_TOKEN);
	CHECK(!(r.has & VX0_KRPC_HAS_VALUES));
	tl = r.token_len;
	memcpy(tok, r.token, tl);

	/* announce with a wrong token: 203, nothing stored */
	memset(&q, 0, sizeof(q));
	q.method = VX0_KRPC_ANNOUNCE_PEER;
	memset(q.info_hash, 0x44, 20);
	q.port = 5555;
	q.token = (const uint8_t *)"xxxxxxxx";
	q.token_len = 8;
	q.has = VX0_KRPC_HAS_INFO_HASH | VX0_KRPC_HAS_PORT | VX0_KRPC_HAS_TOKEN;
	CHECK_EQ(ask(d, &peer, &q, &r), 0);
	CHECK(r.y == 'e' && r.ecode == 203);
	/* the token is bound to the address: peer2 cannot use peer's */
	q.token = tok;
	q.token_len = tl;
	CHECK_EQ(ask(d, &peer2, &q, &r), 0);
	CHECK(r.y == 'e' && r.ecode == 203);
	/* right token */
	CHECK_EQ(ask(d, &peer, &q, &r), 0);
	CHECK_EQ(r.y, 'r');
	/* implied_port uses the source port */
	q.implied_port = 1;
	q.has |= VX0_KRPC_HAS_IMPLIED_PORT;
	CHECK_EQ(ask(d, &peer, &q, &r), 0);
	CHECK_EQ(r.y, 'r');

	memset(&q, 0, sizeof(q));
	q.method = VX0_KRPC_GET_PEERS;
	memset(q.info_hash, 0x44, 20);
	q.has = VX0_KRPC_HAS_INFO_HASH;
	CHECK_EQ(ask(d, &peer2, &q, &r), 0);
	CHECK_EQ(r.nvalues, 2);
	CHECK(r.values_len[0] == 6 && memcmp(r.values[0], "\xc6\x33\x64\x14\x15\xb3", 6) == 0);
	CHECK(memcmp(r.values[1], "\xc6\x33\x64\x14\x1b\x58", 6) == 0);

	/* tokens outlive one rotation, not two */
	vx0_dht_tick(d, 1000 + 5 * 60 * 1000);
	memset(&q, 0, sizeof(q));
	q.method = VX0_KRPC_ANNOUNCE_PEER;
	memset(q.info_hash, 0x44, 20);
	q.port = 5556;
	q.token = tok;
	q.token_len = tl;
	q.has = VX0_KRPC_HAS_INFO_HASH | VX0_KRPC_HAS_PORT | VX0_KRPC_HAS_TOKEN;
	CHECK_EQ(ask(d, &peer, &q, &r), 0);
	CHECK_EQ(r.y, 'r');
	vx0_dht_tick(d, 1000 + 10 * 60 * 1000);
	CHECK_EQ(ask(d, &peer, &q, &r), 0);
	CHECK(r.y == 'e' && r.ecode == 203);
	vx0_dht_destroy(d);
}

static int
get_token(struct vx0_dht *d, const struct vx0_dht_addr *from, const uint8_t *target,
	  uint8_t *tok, struct vx0_krpc_msg *r)
{
	struct vx0_krpc_msg q;

	memset(&q, 0, sizeof(q));
	q.method = VX0_KRPC_GET;
	memcpy(q.target, target, 20);
	q.has = VX0_KRPC_HAS_TARGET;
	if (ask(d, from, &q, r) != 0 || !(r->has & VX0_KRPC_HAS_TOKEN))
		return -1;
	memcpy(tok, r->token, r->token_len);
	return (int)r->token_len;
}

static int64_t
put_item(struct vx0_dht *d, const struct vx0_dht_addr *from, const struct vx0_dht_item *it,
	 const int64_t *cas, const uint8_t *tok, size_t tl)
{
	struct vx0_krpc_msg q, r;

	memset(&q, 0, sizeof(q));
	q.method = VX0_KRPC_PUT;
	q.token = tok;
	q.token_len = tl;
	q.v = it->v;
	q.v_len = it->v_len;
	q.has = VX0_KRPC_HAS_TOKEN | VX0_KRPC_HAS_V;
	if (it->is_mutable) {
		memcpy(q.k, it->k, 32);
		memcpy(q.sig, it->sig, 64);
		q.seq = it->seq;
		q.has |= VX0_KRPC_HAS_K | VX0_KRPC_HAS_SIG | VX0_KRPC_HAS_SEQ;
		if (it->salt_len) {
			q.salt = it->salt;
			q.salt_len = it->salt_len;
			q.has |= VX0_KRPC_HAS_SALT;
		}
	}
	if (cas) {
		q.cas = *cas;
		q.has |= VX0_KRPC_HAS_CAS;
	}
	if (ask(d, from, &q, &r) != 0)
		return -1;
	return r.y == 'r' ? 0 : r.ecode;
}

static void
test_bep44_put_get(void)
{
	struct vx0_dht *d = mknode();
	struct vx0_krpc_msg r, q;
	struct vx0_dht_item it, bad;
	struct vx0_dht_key *key;
	uint8_t seed[32], tok[64];
	int tl;
	int64_t cas;

	memset(seed, 9, sizeof(seed));
	key = vx0_dht_key_from_seed(seed);
	vx0_dht_item_sign(&it, key, (const uint8_t *)"salt", 4, 5, (const uint8_t *)"3:abc", 5);
	tl = get_token(d, &peer, it.target, tok, &r);
	CHECK(tl > 0);
	CHECK(!(r.has & VX0_KRPC_HAS_V));

	/* a wrong signature: 206, nothing stored */
	bad = it;
	bad.sig[0] ^= 1;
	CHECK_EQ(put_item(d, &peer, &bad, NULL, tok, (size_t)tl), 206);
	CHECK(vx0_dht_find_item(d, it.target) == NULL);
	/* a different salt is a different target: signature fails too */
	bad = it;
	bad.salt[0] = 'S';
	CHECK_EQ(put_item(d, &peer, &bad, NULL, tok, (size_t)tl), 206);
	/* bad token */
	CHECK_EQ(put_item(d, &peer, &it, NULL, (const uint8_t *)"12345678", 8), 203);
	CHECK(vx0_dht_find_item(d, it.target) == NULL);
	/* good */
	CHECK_EQ(put_item(d, &peer, &it, NULL, tok, (size_t)tl), 0);
	CHECK(vx0_dht_find_item(d, it.target) != NULL);
	/* get returns k, seq, sig, v; with seq >= ours only seq */
	tl = get_token(d, &peer2, it.target, tok, &r);
	CHECK((r.has & VX0_KRPC_HAS_V) && r.seq == 5 && r.v_len == 5 &&
	      memcmp(r.k, it.k, 32) == 0 && memcmp(r.sig, it.sig, 64) == 0);
	memset(&q, 0, sizeof(q));
	q.method = VX0_KRPC_GET;
	memcpy(q.target, it.target, 20);
	q.seq = 5;
	q.has = VX0_KRPC_HAS_TARGET | VX0_KRPC_HAS_SEQ;
	CHECK_EQ(ask(d, &peer2, &q, &r), 0);
	CHECK((r.has & VX0_KRPC_HAS_SEQ) && !(r.has & VX0_KRPC_HAS_V));

	/* stale seq: 302; CAS mismatch: 301; CAS match: stored */
	vx0_dht_item_sign(&bad, key, (const uint8_t *)"salt", 4, 4, (const uint8_t *)"3:old", 5);
	CHECK_EQ(put_item(d, &peer2, &bad, NULL, tok, (size_t)tl), 302);
	vx0_dht_item_sign(&bad, key, (const uint8_t *)"salt", 4, 6, (const uint8_t *)"3:new", 5);
	cas = 4;
	CHECK_EQ(put_item(d, &peer2, &bad, &cas, tok, (size_t)tl), 301);
	CHECK_EQ(vx0_dht_find_item(d, it.target)->seq, 5);
	cas = 5;
	CHECK_EQ(put_item(d, &peer2, &bad, &cas, tok, (size_t)tl), 0);
	CHECK_EQ(vx0_dht_find_item(d, it.target)->seq, 6);

	/* v over 1000 bytes: 205; salt over 64: 207 */
	{
		uint8_t big[1010];
		struct vx0_krpc_msg p;

		memcpy(big, "1005:", 5);
		memset(big + 5, 'x', 1005);
		memset(&p, 0, sizeof(p));
		p.method = VX0_KRPC_PUT;
		p.token = tok;
		p.token_len = (size_t)tl;
		p.v = big;
		p.v_len = sizeof(big);
		p.has = VX0_KRPC_HAS_TOKEN | VX0_KRPC_HAS_V;
		CHECK_EQ(ask(d, &peer2, &p, &r), 0);
		CHECK(r.y == 'e' && r.ecode == 205);
		p.v = (const uint8_t *)"1:x";
		p.v_len = 3;
		p.salt = big;
		p.salt_len = 65;
		memcpy(p.k, it.k, 32);
		memcpy(p.sig, it.sig, 64);
		p.has |= VX0_KRPC_HAS_K | VX0_KRPC_HAS_SIG | VX0_KRPC_HAS_SEQ | VX0_KRPC_HAS_SALT;
		CHECK_EQ(ask(d, &peer2, &p, &r), 0);
		CHECK(r.y == 'e' && r.ecode == 207);
	}

	/* immutable: stored under SHA-1(v); per-source limit 2 gives 202 */
	{
		struct vx0_dht_item im;

		memset(&im, 0, sizeof(im));
		memcpy(im.v, "12:Hello World!", 15);
		im.v_len = 15;
		vx0_dht_immutable_target(im.v, im.v_len, im.target);
		CHECK_EQ(put_item(d, &peer, &im, NULL, tok, 0) , 203); /* empty token */
		tl = get_token(d, &peer, im.target, tok, &r);
		CHECK_EQ(put_item(d, &peer, &im, NULL, tok, (size_t)tl), 0);
		CHECK(vx0_dht_find_item(d, im.target) != NULL);
		memcpy(im.v, "12:Hello World?", 15);
		vx0_dht_immutable_target(im.v, im.v_len, im.target);
		CHECK_EQ(put_item(d, &peer, &im, NULL, tok, (size_t)tl), 202);
		CHECK(vx0_dht_find_item(d, im.target) == NULL);
	}
	/* items expire */
	vx0_dht_tick(d, 1000 + 2 * 3600 * 1000 + 5000);
	{
		struct vx0_dht_stats st;

		vx0_dht_get_stats(d, &st);
		CHECK_EQ(st.items, 0);
	}
	vx0_dht_key_free(key);
	vx0_dht_destroy(d);
}

static void
test_bad_input(void)
{
	struct vx0_dht *d = mknode();
	struct vx0_krpc_msg q, r;
	struct vx0_dht_stats st;
	uint8_t big[1600];
	static const char *const junk[] = {
		"", "d", "garbage", "i1e", "d1:t2:aa1:y1:qe", "d1:rd2:id20:01234567890123456789e1:t4:\0\0\0\0011:y1:re",
	};
	unsigned int i;

	memset(&q, 0, sizeof(q));
	q.q = (const uint8_t *)"frobnicate";
	q.qlen = 10;
	CHECK_EQ(ask(d, &peer, &q, &r), 0);
	CHECK(r.y == 'e' && r.ecode == 204);
	/* protocol error: the query's envelope is fine, the id is not */
	nsent = 0;
	vx0_dht_input(d, 2000, &peer,
		      (const uint8_t *)"d1:ad2:id3:abce1:q4:ping1:t2:bb1:y1:qe", 38);
	CHECK_EQ(nsent, 1);
	CHECK(vx0_krpc_decode(last, last_len, &r) == 0 && r.y == 'e' && r.ecode == 203 &&
	      r.tlen == 2 && memcmp(r.t, "bb", 2) == 0);
	/* junk, unknown transactions and oversized datagrams: no answer */
	nsent = 0;
	for (i = 0; i < sizeof(junk) / sizeof(junk[0]); i++)
		CHECK(vx0_dht_input(d, 2000, &peer, (const uint8_t *)junk[i],
				    i == 5 ? 57 : strlen(junk[i])) < 0);
	memset(big, 'x', sizeof(big));
	CHECK(vx0_dht_input(d, 2000, &peer, big, sizeof(big)) < 0);
	CHECK_EQ(nsent, 0);
	vx0_dht_get_stats(d, &st);
	CHECK_EQ(st.rx_dropped, sizeof(junk) / sizeof(junk[0]) + 1);
	CHECK_EQ(st.items, 0);
	/* a query claiming our own id is ignored */
	nsent = 0;
	{
		uint8_t buf[200];
		int n;

		memset(&q, 0, sizeof(q));
		q.y = 'q';
		q.method = VX0_KRPC_PING;
		q.t = (const uint8_t *)"cc";
		q.tlen = 2;
		memcpy(q.id, vx0_dht_id(d), 20);
		q.has = VX0_KRPC_HAS_ID;
		n = vx0_krpc_encode(&q, buf, sizeof(buf));
		CHECK(vx0_dht_input(d, 2000, &peer, buf, (size_t)n) < 0);
	}
	CHECK_EQ(nsent, 0);
	vx0_dht_destroy(d);
}

/* A reply must come from the address queried and match the transaction. */
static void
test_reply_matching(void)
{
	struct vx0_dht *d = mknode();
	struct vx0_krpc_msg q, r;
	struct vx0_dht_stats st;
	uint8_t buf[200];
	int n;

	CHECK_EQ(vx0_dht_ping(d, 1000, &peer), 0);
	CHECK_EQ(vx0_krpc_decode(lastq, lastq_len, &q), 0);
	CHECK(q.y == 'q' && q.method == VX0_KRPC_PING && q.tlen == 4);
	memset(&r, 0, sizeof(r));
	r.y = 'r';
	r.t = q.t;
	r.tlen = q.tlen;
	memset(r.id, 0x77, 20);
	r.has = VX0_KRPC_HAS_ID;
	n = vx0_krpc_encode(&r, buf, sizeof(buf));
	/* from the wrong port: dropped */
	CHECK_EQ(vx0_dht_input(d, 1100, &peer2, buf, (size_t)n), -ENOENT);
	vx0_dht_get_stats(d, &st);
	CHECK_EQ(st.table_nodes, 0);
	CHECK_EQ(vx0_dht_input(d, 1100, &peer, buf, (size_t)n), 0);
	vx0_dht_get_stats(d, &st);
	CHECK_EQ(st.table_nodes, 1);
	CHECK_EQ(st.transactions_active, 0);
	/* a replay of the same reply matches nothing */
	CHECK_EQ(vx0_dht_input(d, 1100, &peer, buf, (size_t)n), -ENOENT);
	/* an unanswered ping times out */
	vx0_dht_ping(d, 1200, &peer2);
	vx0_dht_tick(d, 1200 + 2001);
	vx0_dht_get_stats(d, &st);
	CHECK_EQ(st.timeouts, 1);
	CHECK_EQ(st.transactions_active, 0);
	vx0_dht_destroy(d);
}

/* A bucket untouched for 15 minutes is refreshed with a find_node. */
static void
test_bucket_refresh(void)
{
	struct vx0_dht *d = mknode();
	struct vx0_krpc_msg q, r;
	uint8_t buf[200];
	uint64_t t = 1000;
	int n;

	vx0_dht_ping(d, t, &peer);
	CHECK_EQ(vx0_krpc_decode(lastq, lastq_len, &q), 0);
	memset(&r, 0, sizeof(r));
	r.y = 'r';
	r.t = q.t;
	r.tlen = q.tlen;
	memset(r.id, 0x99, 20);
	r.has = VX0_KRPC_HAS_ID;
	n = vx0_krpc_encode(&r, buf, sizeof(buf));
	CHECK_EQ(vx0_dht_input(d, t + 10, &peer, buf, (size_t)n), 0);
	/* nothing to refresh before 15 minutes */
	nsent = 0;
	vx0_dht_tick(d, t + 14 * 60 * 1000);
	CHECK_EQ(nsent, 0);
	vx0_dht_tick(d, t + 15 * 60 * 1000 + 2000);
	CHECK_EQ(nsent, 1);
	CHECK_EQ(vx0_krpc_decode(last, last_len, &q), 0);
	CHECK(q.y == 'q' && q.method == VX0_KRPC_FIND_NODE && (q.has & VX0_KRPC_HAS_TARGET));
	CHECK(last_to.port == peer.port);
	{
		struct vx0_dht_stats st;

		vx0_dht_get_stats(d, &st);
		CHECK_EQ(st.lookups_active, 1);
	}
	vx0_dht_destroy(d);
}

/* 60 IPv6 peers: the get_peers reply (values + nodes6) stays one datagram. */
static void
test_ipv6_values_fit(void)
{
	struct vx0_dht *d = mknode();
	struct vx0_krpc_msg q, r;
	struct vx0_dht_addr p6 = { .family = 6, .port = 7000,
				   .ip = { 0x20, 0x01, 0x0d, 0xb8 } };
	unsigned int i;

	for (i = 0; i < 60; i++) {
		uint8_t tok[64];
		size_t tl;

		p6.ip[14] = (uint8_t)(i + 1);
		memset(&q, 0, sizeof(q));
		q.method = VX0_KRPC_GET_PEERS;
		memset(q.info_hash, 0x66, 20);
		q.has = VX0_KRPC_HAS_INFO_HASH;
		CHECK_EQ(ask(d, &p6, &q, &r), 0);
		tl = r.token_len;
		memcpy(tok, r.token, tl);
		q.method = VX0_KRPC_ANNOUNCE_PEER;
		q.port = 6000 + i;
		q.token = tok;
		q.token_len = tl;
		q.has |= VX0_KRPC_HAS_PORT | VX0_KRPC_HAS_TOKEN;
		CHECK_EQ(ask(d, &p6, &q, &r), 0);
		CHECK_EQ(r.y, 'r');
	}
	p6.ip[14] = 0xee;
	memset(&q, 0, sizeof(q));
	q.method = VX0_KRPC_GET_PEERS;
	memset(q.info_hash, 0x66, 20);
	q.has = VX0_KRPC_HAS_INFO_HASH;
	CHECK_EQ(ask(d, &p6, &q, &r), 0);
	CHECK(last_len <= VX0_KRPC_MAX_PACKET);
	CHECK(r.nvalues >= 30 && r.nvalues <= 34);
	CHECK(r.values_len[0] == 18);
	CHECK((r.has & VX0_KRPC_HAS_NODES6) && r.nodes6_len >= 38 && r.nodes6_len % 38 == 0);
	CHECK(!(r.has & VX0_KRPC_HAS_NODES));
	vx0_dht_destroy(d);
}

/* BEP 42: three responders agree on our external address. */
static void
test_external_addr_votes(void)
{
	struct vx0_dht *d = mknode();
	struct vx0_dht_addr ext;
	unsigned int i;
	bool ok = true;

	for (i = 0; i < 4; i++) {
		struct vx0_dht_addr p = peer;
		struct vx0_krpc_msg q, r;
		uint8_t buf[200];
		int n;

		p.ip[3] = (uint8_t)(30 + (i == 3 ? 0 : i)); /* the 4th repeats the 1st */
		vx0_dht_ping(d, 1000, &p);
		CHECK_EQ(vx0_krpc_decode(lastq, lastq_len, &q), 0);
		memset(&r, 0, sizeof(r));
		r.y = 'r';
		r.t = q.t;
		r.tlen = q.tlen;
		memset(r.id, 0x60 + (int)i, 20);
		/* 124.31.75.21:6881, the address of BEP 42's first example */
		r.ip = (const uint8_t *)"\x7c\x1f\x4b\x15\x1a\xe1";
		r.ip_len = 6;
		r.has = VX0_KRPC_HAS_ID | VX0_KRPC_HAS_IP;
		n = vx0_krpc_encode(&r, buf, sizeof(buf));
		CHECK_EQ(vx0_dht_input(d, 1001, &p, buf, (size_t)n), 0);
		if (i == 1)
			CHECK_EQ(vx0_dht_external_addr(d, &ext, &ok), -EAGAIN);
	}
	/* votes from 3 distinct IPs (a repeated voter counts once) */
	CHECK_EQ(vx0_dht_external_addr(d, &ext, &ok), 0);
	CHECK(ext.family == 4 && ext.port == 6881 && ext.ip[0] == 124 && ext.ip[3] == 21);
	CHECK(!ok); /* our id 0x11.. is not valid for it */
	{
		uint8_t rnd[20], id[20];

		memset(rnd, 0, sizeof(rnd));
		vx0_dht_bep42_id(&ext, 1, rnd, id);
		CHECK(vx0_dht_bep42_check(id, &ext));
		CHECK(id[0] == 0x5f && id[1] == 0xbf && (id[2] & 0xf8) == 0xb8);
	}
	vx0_dht_destroy(d);
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	VX0_RUN(test_ping_and_find_node);
	VX0_RUN(test_get_peers_announce);
	VX0_RUN(test_bep44_put_get);
	VX0_RUN(test_bad_input);
	VX0_RUN(test_reply_matching);
	VX0_RUN(test_bucket_refresh);
	VX0_RUN(test_external_addr_votes);
	VX0_RUN(test_ipv6_values_fit);
	return vx0_test_done();
}
