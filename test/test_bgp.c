/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * BGP core unit tests: byte-level message vectors (layouts from RFC 4271 4,
 * RFC 4760 3-4, RFC 6793, RFC 1997, RFC 8092, RFC 8203), every RFC 7606
 * outcome, the FSM on a virtual clock, the decision process step by step,
 * policy, graceful restart helper, route refresh, max-prefix.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bgp_int.h"
#include "vx0_bgp.h"
#include "vx0_log.h"
#include "vx0_test.h"

/* ---- a fake environment recording every action ---- */

#define MAXMSG 64

struct sent {
	uint8_t type;
	size_t len;
	uint8_t b[4096];
};

struct env {
	struct sent msgs[4][MAXMSG];
	int n[VX0_BGP_MAX_PEERS];
	int connects[VX0_BGP_MAX_PEERS], disconnects[VX0_BGP_MAX_PEERS];
	int fib_adds, fib_dels, fib_batches;
	int hints, unhinted;   /* route changes of 203.0.113.X/32 hinted before / not */
	uint8_t hinted[256];
	uint8_t last_nh[16];
	bool nh_unreachable;
};

static void
e_send(void *ctx, int peer, const uint8_t *buf, size_t len)
{
	struct env *e = ctx;

	/* the core may hand several messages at once: split them */
	while (len >= 19) {
		size_t ml = (size_t)(buf[16] << 8 | buf[17]);

		if (ml < 19 || ml > len)
			ml = len;
		if (peer < 4 && e->n[peer] < MAXMSG) {
			struct sent *s = &e->msgs[peer][e->n[peer]++];

			s->type = buf[18];
			s->len = ml;
			memcpy(s->b, buf, ml < sizeof(s->b) ? ml : sizeof(s->b));
		}
		buf += ml;
		len -= ml;
	}
}

static void
e_connect(void *ctx, int peer)
{
	((struct env *)ctx)->connects[peer]++;
}

static void
e_disconnect(void *ctx, int peer)
{
	((struct env *)ctx)->disconnects[peer]++;
}

static bool
e_nh(void *ctx, const struct vx0_bgp_addr *nh)
{
	struct env *e = ctx;

	/* 203.0.113.99 is "unreachable" when the test says so */
	return !(e->nh_unreachable && nh->family == 4 && nh->a[0] == 203 && nh->a[3] == 99);
}

static void
f_begin(void *ctx)
{
	((struct env *)ctx)->fib_batches++;
}

/* 203.0.113.X/32 changes are expected to be hinted first (long lists) */
static void
f_prefetch(void *ctx, int family, const uint8_t *prefix, uint8_t len)
{
	struct env *e = ctx;

	if (family == 4 && len == 32 && prefix[0] == 203 && prefix[2] == 113) {
		e->hints++;
		e->hinted[prefix[3]] = 1;
	}
}

static void
f_check_hint(struct env *e, int family, const uint8_t *prefix, uint8_t len)
{
	if (family == 4 && len == 32 && prefix[0] == 203 && prefix[2] == 113) {
		e->unhinted += !e->hinted[prefix[3]];
		e->hinted[prefix[3]] = 0;
	}
}

static int
f_add(void *ctx, int family, const uint8_t *prefix, uint8_t len, const uint8_t *nh)
{
	struct env *e = ctx;

	f_check_hint(e, family, prefix, len);
	e->fib_adds++;
	memcpy(e->last_nh, nh, 16);
	return 0;
}

static int
f_del(void *ctx, int family, const uint8_t *prefix, uint8_t len)
{
	f_check_hint(ctx, family, prefix, len);
	((struct env *)ctx)->fib_dels++;
	return 0;
}

static void
f_commit(void *ctx)
{
	(void)ctx;
}

static const struct vx0_bgp_ops ops = {
	.send = e_send, .connect = e_connect, .disconnect = e_disconnect,
	.nexthop_reachable = e_nh,
};
static const struct vx0_bgp_fib_ops fops = {
	.begin = f_begin, .route_add = f_add, .route_del = f_del, .commit = f_commit,
	.prefetch = f_prefetch,
};

static struct vx0_bgp *
mk(struct env *e, uint32_t as)
{
	struct vx0_bgp_config c = {.local_as = as, .router_id = 0xc6336401 /* 198.51.100.1 */,
				   .hold_time = 90, .connect_retry_ms = 5000};

	memset(e, 0, sizeof(*e));
	struct vx0_bgp *b = vx0_bgp_create(&c, &ops, e);

	vx0_bgp_set_fib_ops(b, &fops, e);
	return b;
}

static struct vx0_bgp_peer_config
pcfg(uint32_t as, uint8_t last)
{
	struct vx0_bgp_peer_config pc = {.remote_as = as};

	pc.addr.family = 4;
	pc.addr.a[0] = 198;
	pc.addr.a[1] = 51;
	pc.addr.a[2] = 100;
	pc.addr.a[3] = last;
	return pc;
}

/* ---- message builders ---- */

struct mb {
	uint8_t b[8192];
	size_t n;
};

static void
put(struct mb *m, const void *p, size_t l)
{
	if (l == 0)
		return;
	memcpy(m->b + m->n, p, l);
	m->n += l;
}

static void
put8(struct mb *m, uint8_t v)
{
	m->b[m->n++] = v;
}

static void
put16(struct mb *m, uint16_t v)
{
	put8(m, v >> 8);
	put8(m, v & 0xff);
}

static void
put32(struct mb *m, uint32_t v)
{
	put16(m, v >> 16);
	put16(m, v & 0xffff);
}

static void
hdr(struct mb *m, uint8_t type)
{
	memset(m->b, 0xff, 16);
	m->n = 19;
	m->b[18] = type;
}

static void
fin(struct mb *m)
{
	m->b[16] = m->n >> 8;
	m->b[17] = m->n & 0xff;
}

static bool open_ext; /* peer_open adds the extended message capability */

/* An OPEN as a peer would send it (RFC 4271 4.2, capabilities RFC 5492). */
static void
peer_open(struct mb *m, uint32_t as, uint32_t id, uint16_t hold, bool gr, bool v6)
{
	hdr(m, BGP_OPEN);
	put8(m, 4);
	put16(m, as > 0xffff ? BGP_AS_TRANS : (uint16_t)as);
	put16(m, hold);
	put32(m, id);
	size_t optl = m->n;

	put8(m, 0);
	put8(m, 2);
	size_t pl = m->n;

	put8(m, 0);
	put(m, "\x01\x04\x00\x01\x00\x01", 6); /* MP IPv4 unicast */
	if (v6)
		put(m, "\x01\x04\x00\x02\x00\x01", 6);
	put(m, "\x02\x00", 2); /* route refresh */
	if (open_ext)
		put(m, "\x06\x00", 2); /* extended message, RFC 8654 */
	put8(m, 65);
	put8(m, 4);
	put32(m, as);
	if (gr)
		put(m, "\x40\x06\x00\x78\x00\x01\x01\x00", 8); /* restart time 120 s, IPv4 */
	m->b[pl] = (uint8_t)(m->n - pl - 1);
	m->b[optl] = (uint8_t)(m->n - optl - 1);
	fin(m);
}

static void
keepalive(struct mb *m)
{
	hdr(m, BGP_KEEPALIVE);
	fin(m);
}

/* UPDATE skeleton: withdrawn, attributes (raw), nlri (raw) */
static void
update(struct mb *m, const void *wd, size_t wl, const void *at, size_t al, const void *nl,
       size_t nll)
{
	hdr(m, BGP_UPDATE);
	put16(m, (uint16_t)wl);
	put(m, wd, wl);
	put16(m, (uint16_t)al);
	put(m, at, al);
	put(m, nl, nll);
	fin(m);
}

/* Standard attributes: ORIGIN IGP, AS_PATH (4-octet) seq of n ASes, NEXT_HOP nh, optional MED/LP. */
static size_t
std_attrs(uint8_t *o, const uint32_t *path, unsigned n, const uint8_t nh[4], int med, int lp)
{
	struct mb m = {.n = 0};

	put(&m, "\x40\x01\x01\x00", 4);
	put8(&m, 0x40);
	put8(&m, 2);
	put8(&m, (uint8_t)(n ? 2 + 4 * n : 0));
	if (n) {
		put8(&m, BGP_AS_SEQUENCE);
		put8(&m, (uint8_t)n);
		for (unsigned i = 0; i < n; i++)
			put32(&m, path[i]);
	}
	put(&m, "\x40\x03\x04", 3);
	put(&m, nh, 4);
	if (med >= 0) {
		put(&m, "\x80\x04\x04", 3);
		put32(&m, (uint32_t)med);
	}
	if (lp >= 0) {
		put(&m, "\x40\x05\x04", 3);
		put32(&m, (uint32_t)lp);
	}
	memcpy(o, m.b, m.n);
	return m.n;
}

static uint64_t now;

/* Brings peer `id` to Established with the given remote AS and router id. */
static void
establish(struct vx0_bgp *b, struct env *e, int id, uint32_t as, uint32_t rid, bool gr)
{
	struct mb m;
	struct vx0_bgp_addr local = {.family = 4, .a = {198, 51, 100, 1}};

	(void)e;
	vx0_bgp_peer_start(b, id, now);
	vx0_bgp_tcp_up(b, id, &local, now);
	peer_open(&m, as, rid, 90, gr, false);
	vx0_bgp_input(b, id, m.b, m.n, now);
	keepalive(&m);
	vx0_bgp_input(b, id, m.b, m.n, now);
}

static const uint8_t NH1[4] = {198, 51, 100, 2};
static const uint8_t PFX24[4] = {24, 203, 0, 113}; /* 203.0.113.0/24 */

/* ---- codec vectors ---- */

static void
test_header(void)
{
	uint8_t m[32];
	uint16_t len;
	uint8_t type, sub;

	CHECK_EQ(bgp_keepalive_encode(m), 19);
	static const uint8_t ka[19] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
				       0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x13, 0x04};
	CHECK_MEM(m, ka, 19);
	CHECK_EQ(bgp_hdr_check(m, 4096, &len, &type, &sub), 0);
	CHECK_EQ(len, 19);
	CHECK_EQ(type, 4);
	m[3] = 0xfe; /* marker */
	CHECK_EQ(bgp_hdr_check(m, 4096, &len, &type, &sub), -EBADMSG);
	CHECK_EQ(sub, BGP_HDR_SYNC);
	m[3] = 0xff;
	m[17] = 20; /* a 20-byte KEEPALIVE */
	CHECK_EQ(bgp_hdr_check(m, 4096, &len, &type, &sub), -EBADMSG);
	CHECK_EQ(sub, BGP_HDR_LENGTH);
	m[17] = 18; /* below the header */
	CHECK_EQ(bgp_hdr_check(m, 4096, &len, &type, &sub), -EBADMSG);
	CHECK_EQ(sub, BGP_HDR_LENGTH);
	m[17] = 19;
	m[18] = 9; /* unknown type */
	CHECK_EQ(bgp_hdr_check(m, 4096, &len, &type, &sub), -EBADMSG);
	CHECK_EQ(sub, BGP_HDR_TYPE);
	m[18] = BGP_UPDATE; /* UPDATE shorter than 23 */
	CHECK_EQ(bgp_hdr_check(m, 4096, &len, &type, &sub), -EBADMSG);
	CHECK_EQ(sub, BGP_HDR_LENGTH);
	m[16] = 0x10;
	m[17] = 0x01; /* 4097 > 4096 */
	CHECK_EQ(bgp_hdr_check(m, 4096, &len, &type, &sub), -EBADMSG);
	CHECK_EQ(bgp_hdr_check(m, 65535, &len, &type, &sub), 0); /* RFC 8654 */
	CHECK_EQ(bgp_route_refresh_encode(m, 2, 1), 23);
	static const uint8_t rr_tail[4] = {0x00, 0x02, 0x00, 0x01}; /* RFC 2918 3 */
	CHECK_MEM(m + 19, rr_tail, 4);
	CHECK_EQ(m[18], 5);
}

static void
test_open_codec(void)
{
	uint8_t m[128], sub;
	struct bgp_open_params p = {.local_as = 4200000001u, .hold = 90, .router_id = 0xc6336401,
				    .v4 = true, .v6 = true, .gr = true, .gr_time = 120};
	size_t n = bgp_open_encode(m, &p);
	/*
	 * RFC 4271 4.2 body: version 4, My AS = AS_TRANS (RFC 6793 4.1), hold 90,
	 * id, opt len, then one capabilities parameter.
	 */
	static const uint8_t body[] = {
		0x04, 0x5b, 0xa0, 0x00, 0x5a, 0xc6, 0x33, 0x64, 0x01, 0x22, 0x02, 0x20,
		0x01, 0x04, 0x00, 0x01, 0x00, 0x01,             /* MP IPv4 unicast */
		0x01, 0x04, 0x00, 0x02, 0x00, 0x01,             /* MP IPv6 unicast */
		0x02, 0x00,                                     /* route refresh */
		0x40, 0x0a, 0x00, 0x78, 0x00, 0x01, 0x01, 0x00, /* GR 120 s, IPv4 */
		0x00, 0x02, 0x01, 0x00,                         /* IPv6 */
		0x41, 0x04, 0xfa, 0x56, 0xea, 0x01,             /* 4-octet AS 4200000001 */
	};
	CHECK_EQ(n, 19 + sizeof(body));
	CHECK_MEM(m + 19, body, sizeof(body));
	struct bgp_open o;

	CHECK_EQ(bgp_open_parse(m + 19, n - 19, &o, &sub), 0);
	CHECK_EQ(o.as4, 4200000001u);
	CHECK_EQ(o.my_as, BGP_AS_TRANS);
	CHECK_EQ(o.hold, 90);
	CHECK(o.cap_v4 && o.cap_v6 && o.cap_rr && o.cap_gr && !o.cap_ext);
	CHECK_EQ(o.gr_time, 120);

	uint8_t bad[64];

	memcpy(bad, body, sizeof(body));
	bad[0] = 3;
	CHECK_EQ(bgp_open_parse(bad, sizeof(body), &o, &sub), -EBADMSG);
	CHECK_EQ(sub, BGP_OPEN_VERSION);
	memcpy(bad, body, sizeof(body));
	bad[4] = 2; /* hold 2 */
	CHECK_EQ(bgp_open_parse(bad, sizeof(body), &o, &sub), -EBADMSG);
	CHECK_EQ(sub, BGP_OPEN_HOLD);
	memcpy(bad, body, sizeof(body));
	memset(bad + 5, 0, 4); /* id 0 */
	CHECK_EQ(bgp_open_parse(bad, sizeof(body), &o, &sub), -EBADMSG);
	CHECK_EQ(sub, BGP_OPEN_BGP_ID);
	memcpy(bad, body, sizeof(body));
	bad[10] = 1; /* optional parameter type 1 (authentication, deprecated) */
	CHECK_EQ(bgp_open_parse(bad, sizeof(body), &o, &sub), -EBADMSG);
	CHECK_EQ(sub, BGP_OPEN_OPT_PARAM);
	memcpy(bad, body, sizeof(body));
	bad[13] = 0x40; /* capability length overruns the parameter */
	CHECK_EQ(bgp_open_parse(bad, sizeof(body), &o, &sub), -EBADMSG);
	CHECK_EQ(bgp_open_parse(body, sizeof(body) - 1, &o, &sub), -EBADMSG); /* opt len mismatch */
	CHECK_EQ(bgp_open_parse(body, 9, &o, &sub), -EBADMSG);
	/* no MP capability at all: IPv4 unicast implied (RFC 4760 8) */
	static const uint8_t plain[] = {0x04, 0xfd, 0xe9, 0x00, 0xb4, 0xc6, 0x33, 0x64, 0x02, 0x00};
	CHECK_EQ(bgp_open_parse(plain, sizeof(plain), &o, &sub), 0);
	CHECK(o.cap_v4 && !o.cap_v6 && o.as4 == 0 && o.my_as == 65001);
}

static void
test_notification_codec(void)
{
	uint8_t m[300];
	char txt[256];
	static const uint8_t d[] = {0x0b, 'm', 'a', 'i', 'n', 't', 'e', 'n', 'a', 'n', 'c', 'e'};
	size_t n = bgp_notification_encode(m, 6, 2, d, sizeof(d));

	CHECK_EQ(n, 21 + sizeof(d));
	CHECK_EQ(m[18], 3);
	CHECK_EQ(m[19], 6);
	CHECK_EQ(m[20], 2);
	CHECK_EQ(bgp_shutdown_msg_parse(m + 21, n - 21, txt, sizeof(txt)), 11);
	CHECK(strcmp(txt, "maintenance") == 0);
	/* RFC 8203 4: a length beyond the data is an error */
	static const uint8_t bad[] = {0x20, 'x'};
	CHECK_EQ(bgp_shutdown_msg_parse(bad, sizeof(bad), txt, sizeof(txt)), -EBADMSG);
}

static void
test_nlri(void)
{
	static const uint8_t v[] = {24, 203, 0, 113, 0, 32, 198, 51, 100, 7, 25, 198, 51, 100, 0xff};
	struct bgp_nlri_block b = {4, v, sizeof(v)};
	struct vx0_bgp_prefix p;

	CHECK_EQ(bgp_nlri_next(&b, &p), 1);
	CHECK(p.len == 24 && p.a[0] == 203 && p.a[2] == 113);
	CHECK_EQ(bgp_nlri_next(&b, &p), 1); /* default route */
	CHECK_EQ(p.len, 0);
	CHECK_EQ(bgp_nlri_next(&b, &p), 1);
	CHECK(p.len == 32 && p.a[3] == 7);
	CHECK_EQ(bgp_nlri_next(&b, &p), 1);
	CHECK(p.len == 25 && p.a[3] == 0x80); /* host bits masked */
	CHECK_EQ(bgp_nlri_next(&b, &p), 0);
	static const uint8_t l33[] = {33, 1, 2, 3, 4, 5};
	struct bgp_nlri_block c = {4, l33, sizeof(l33)};

	CHECK_EQ(bgp_nlri_check(&c), -EINVAL);
	static const uint8_t trunc[] = {24, 203, 0};
	struct bgp_nlri_block t = {4, trunc, sizeof(trunc)};

	CHECK_EQ(bgp_nlri_check(&t), -EINVAL);
	static const uint8_t v6[] = {129, 0x20};
	struct bgp_nlri_block s = {6, v6, sizeof(v6)};

	CHECK_EQ(bgp_nlri_check(&s), -EINVAL);

	/* every length of both families, all bits set on the wire: exactly the
	 * first len bits remain (the IPv4 path masks in a register) */
	for (int fam = 4; fam <= 6; fam += 2) {
		for (unsigned len = 0; len <= (fam == 4 ? 32u : 128u); len++) {
			uint8_t w[17];
			struct bgp_nlri_block one = {(uint8_t)fam, w, 1 + (len + 7) / 8};
			bool ok = true;

			memset(w, 0xff, sizeof(w));
			w[0] = (uint8_t)len;
			CHECK_EQ(bgp_nlri_next(&one, &p), 1);
			for (unsigned bit = 0; bit < 128; bit++)
				ok &= ((p.a[bit / 8] >> (7 - bit % 8)) & 1) == (bit < len);
			CHECK(ok && p.len == len && p.family == fam && one.len == 0);
		}
	}
}

/* ---- UPDATE parsing: RFC 7606 outcomes ---- */

static struct bgp_attr_build B;
static const struct bgp_parse_ctx EBGP = {.as4 = true, .ebgp = true, .peer_as = 65002,
					  .v4 = true, .v6 = true};
static const struct bgp_parse_ctx IBGP = {.as4 = true, .ebgp = false, .peer_as = 65001,
					  .v4 = true, .v6 = true};

static struct bgp_update
parse_attrs(const struct bgp_parse_ctx *c, const uint8_t *at, size_t al, bool with_nlri)
{
	struct mb m;
	struct bgp_update u;

	update(&m, NULL, 0, at, al, PFX24, with_nlri ? 4 : 0);
	bgp_update_parse(c, m.b + 19, m.n - 19, &u, &B);
	return u;
}

/* ORIGIN IGP, AS_PATH [65002], NEXT_HOP 198.51.100.2 followed by extra bytes */
static struct bgp_update
with_extra(const struct bgp_parse_ctx *c, const void *extra, size_t el)
{
	uint8_t at[512];
	uint32_t path[] = {65002};
	size_t n = std_attrs(at, path, 1, NH1, -1, c->ebgp ? -1 : 100);

	memcpy(at + n, extra, el);
	return parse_attrs(c, at, n + el, true);
}

static void
test_update_ok(void)
{
	static const uint8_t extra[] = {
		0xc0, 0x08, 0x08, 0xfd, 0xe9, 0x00, 0x64, 0xff, 0xff, 0xff, 0x01, /* 65001:100, NO_EXPORT */
		0xc0, 0x20, 0x0c, 0x00, 0x00, 0xfd, 0xe9, 0, 0, 0, 1, 0, 0, 0, 2, /* 65001:1:2 */
		0xe0, 0x63, 0x02, 0xab, 0xcd, /* unknown optional transitive 99 */
		0x80, 0x64, 0x01, 0x00,       /* unknown optional non-transitive 100 */
	};
	struct bgp_update u = with_extra(&EBGP, extra, sizeof(extra));

	CHECK_EQ(u.outcome, BGP_UPD_OK);
	CHECK_EQ(u.discarded, 0);
	CHECK(B.k.present & BGP_P_NEXT_HOP);
	CHECK_MEM(B.k.nh, NH1, 4);
	CHECK_EQ(B.k.len[BGP_S_ASPATH], 6);
	CHECK_EQ(B.k.len[BGP_S_COMM], 8);
	CHECK_EQ(B.k.len[BGP_S_LCOMM], 12);
	/* the unknown transitive one is kept with Partial set, the other dropped */
	CHECK_EQ(B.k.len[BGP_S_UNKNOWN], 5);
	CHECK_EQ(B.sec[BGP_S_UNKNOWN][0], 0xe0);
	CHECK_EQ(B.sec[BGP_S_UNKNOWN][1], 0x63);
	CHECK_EQ(u.nlri.len, 4);
}

static void
test_update_reset_cases(void)
{
	struct mb m;
	struct bgp_update u;

	/* withdrawn length beyond the message: RFC 7606 4 keeps session reset */
	hdr(&m, BGP_UPDATE);
	put16(&m, 10);
	put16(&m, 0);
	fin(&m);
	bgp_update_parse(&EBGP, m.b + 19, m.n - 19, &u, &B);
	CHECK_EQ(u.outcome, BGP_UPD_RESET);
	CHECK_EQ(u.err_sub, BGP_UPD_ATTR_LIST);
	/* total attribute length beyond the message */
	hdr(&m, BGP_UPDATE);
	put16(&m, 0);
	put16(&m, 50);
	put(&m, "\x40\x01\x01\x00", 4);
	fin(&m);
	bgp_update_parse(&EBGP, m.b + 19, m.n - 19, &u, &B);
	CHECK_EQ(u.outcome, BGP_UPD_RESET);
	CHECK_EQ(u.err_sub, BGP_UPD_ATTR_LIST);
	/* NLRI prefix length 33: RFC 7606 5.3 session reset */
	uint8_t at[64];
	uint32_t path[] = {65002};
	size_t al = std_attrs(at, path, 1, NH1, -1, -1);

	update(&m, NULL, 0, at, al, "\x21\x01\x02\x03\x04\x05", 6);
	bgp_update_parse(&EBGP, m.b + 19, m.n - 19, &u, &B);
	CHECK_EQ(u.outcome, BGP_UPD_RESET);
	CHECK_EQ(u.err_sub, BGP_UPD_NETWORK);
	/* truncated NLRI */
	update(&m, NULL, 0, at, al, "\x18\xcb\x00", 3);
	bgp_update_parse(&EBGP, m.b + 19, m.n - 19, &u, &B);
	CHECK_EQ(u.outcome, BGP_UPD_RESET);
	/* truncated withdrawn routes */
	update(&m, "\x18\xcb", 2, NULL, 0, NULL, 0);
	bgp_update_parse(&EBGP, m.b + 19, m.n - 19, &u, &B);
	CHECK_EQ(u.outcome, BGP_UPD_RESET);
	/* MP_REACH with a next-hop length overrunning it: RFC 7606 7.11 */
	static const uint8_t mpbad[] = {0x80, 0x0e, 0x06, 0x00, 0x02, 0x01, 0x10, 0x20, 0x01};
	u = with_extra(&EBGP, mpbad, sizeof(mpbad));
	CHECK_EQ(u.outcome, BGP_UPD_RESET);
	/* MP_REACH IPv6 with a 4-byte next hop */
	static const uint8_t mpnh[] = {0x80, 0x0e, 0x0c, 0x00, 0x02, 0x01, 0x04, 1, 2, 3, 4,
				       0x00, 0x20, 0x20, 0x01};
	u = with_extra(&EBGP, mpnh, sizeof(mpnh));
	CHECK_EQ(u.outcome, BGP_UPD_RESET);
	/* MP_REACH whose NLRI has a /129 */
	static const uint8_t mpnlri[] = {0x80, 0x0e, 0x17, 0x00, 0x02, 0x01, 0x10,
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x00, 0x81, 0x20};
	u = with_extra(&EBGP, mpnlri, sizeof(mpnlri));
	CHECK_EQ(u.outcome, BGP_UPD_RESET);
	/* two MP_UNREACH attributes: RFC 7606 3 g */
	static const uint8_t mpdup[] = {0x80, 0x0f, 0x03, 0x00, 0x02, 0x01,
					0x80, 0x0f, 0x03, 0x00, 0x02, 0x01};
	u = with_extra(&EBGP, mpdup, sizeof(mpdup));
	CHECK_EQ(u.outcome, BGP_UPD_RESET);
	/* MP_UNREACH with well-known flags */
	static const uint8_t mpflags[] = {0x40, 0x0f, 0x03, 0x00, 0x02, 0x01};
	u = with_extra(&EBGP, mpflags, sizeof(mpflags));
	CHECK_EQ(u.outcome, BGP_UPD_RESET);
	CHECK_EQ(u.err_sub, BGP_UPD_FLAGS);
}

static void
test_update_withdraw_cases(void)
{
	struct bgp_update u;
	uint8_t at[64];
	uint32_t path[] = {65002};
	size_t al;

	/* the last attribute's length overruns the attribute list: RFC 7606 4 */
	al = std_attrs(at, path, 1, NH1, -1, -1);
	at[al++] = 0x80;
	at[al++] = 0x04;
	at[al++] = 0x09;
	at[al++] = 0x00;
	u = parse_attrs(&EBGP, at, al, true);
	CHECK_EQ(u.outcome, BGP_UPD_WITHDRAW);
	/* fewer than 3 octets left */
	al = std_attrs(at, path, 1, NH1, -1, -1);
	at[al++] = 0x80;
	u = parse_attrs(&EBGP, at, al, true);
	CHECK_EQ(u.outcome, BGP_UPD_WITHDRAW);

	struct {
		const char *name;
		const uint8_t *b;
		size_t n;
		const struct bgp_parse_ctx *c;
		enum bgp_upd_outcome want;
		unsigned discarded;
	} cases[] = {
#define C(name, bytes, ctx, want, d) {name, (const uint8_t *)bytes, sizeof(bytes) - 1, ctx, want, d}
		C("MED length 3 (7.4)", "\x80\x04\x03\x00\x00\x01", &EBGP, BGP_UPD_WITHDRAW, 0),
		C("MED with well-known flags (3 c)", "\x40\x04\x04\x00\x00\x00\x01", &EBGP, BGP_UPD_WITHDRAW, 0),
		C("LOCAL_PREF from eBGP discarded (7.5)", "\x40\x05\x04\x00\x00\x00\x64", &EBGP, BGP_UPD_OK, 1),
		C("ATOMIC_AGGREGATE length 1 discarded (7.6)", "\x40\x06\x01\x00", &EBGP, BGP_UPD_OK, 1),
		C("AGGREGATOR length 7 discarded (7.7)", "\xc0\x07\x07\x00\x00\xfd\xea\xc6\x33\x64", &EBGP, BGP_UPD_OK, 1),
		C("AGGREGATOR ok", "\xc0\x07\x08\x00\x00\xfd\xea\xc6\x33\x64\x02", &EBGP, BGP_UPD_OK, 0),
		C("COMMUNITIES length 5 (7.8)", "\xc0\x08\x05\x00\x00\x00\x01\x02", &EBGP, BGP_UPD_WITHDRAW, 0),
		C("LARGE_COMMUNITY length 13 (RFC 8092 6)", "\xc0\x20\x0d\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", &EBGP, BGP_UPD_WITHDRAW, 0),
		C("ORIGINATOR_ID length 3 (7.9)", "\x80\x09\x03\x01\x02\x03", &IBGP, BGP_UPD_WITHDRAW, 0),
		C("CLUSTER_LIST length 5 (7.10)", "\x80\x0a\x05\x01\x02\x03\x04\x05", &IBGP, BGP_UPD_WITHDRAW, 0),
		C("duplicate ORIGIN discarded (3 g)", "\x40\x01\x01\x02", &EBGP, BGP_UPD_OK, 1),
		C("unrecognized well-known 99 (3 c)", "\x40\x63\x01\x00", &EBGP, BGP_UPD_WITHDRAW, 0),
		C("EXT_COMMUNITIES length 7 (7.14)", "\xc0\x10\x07\x00\x02\xfd\xe9\x00\x00\x00", &EBGP, BGP_UPD_WITHDRAW, 0),
		C("AS4_PATH from a 4-octet speaker discarded (RFC 6793 6)", "\xc0\x11\x06\x02\x01\x00\x00\xfd\xea", &EBGP, BGP_UPD_OK, 1),
#undef C
	};
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		u = with_extra(cases[i].c, cases[i].b, cases[i].n);
		if (u.outcome != cases[i].want || u.discarded != cases[i].discarded)
			fprintf(stderr, "case '%s': outcome %d discarded %u\n", cases[i].name,
				u.outcome, u.discarded);
		CHECK_EQ(u.outcome, cases[i].want);
		CHECK_EQ(u.discarded, cases[i].discarded);
	}
	/* ORIGIN: bad value, bad length, bad flags (7.1, 3 c) */
	static const uint8_t o3[] = "\x40\x01\x01\x03\x40\x02\x06\x02\x01\x00\x00\xfd\xea\x40\x03\x04\xc6\x33\x64\x02";
	CHECK_EQ(parse_attrs(&EBGP, o3, sizeof(o3) - 1, true).outcome, BGP_UPD_WITHDRAW);
	static const uint8_t o2[] = "\x40\x01\x02\x00\x00\x40\x02\x06\x02\x01\x00\x00\xfd\xea\x40\x03\x04\xc6\x33\x64\x02";
	CHECK_EQ(parse_attrs(&EBGP, o2, sizeof(o2) - 1, true).outcome, BGP_UPD_WITHDRAW);
	static const uint8_t of[] = "\xc0\x01\x01\x00\x40\x02\x06\x02\x01\x00\x00\xfd\xea\x40\x03\x04\xc6\x33\x64\x02";
	CHECK_EQ(parse_attrs(&EBGP, of, sizeof(of) - 1, true).outcome, BGP_UPD_WITHDRAW);
	/* AS_PATH: segment type 5, zero count, overrun (7.2) */
	static const uint8_t a5[] = "\x40\x01\x01\x00\x40\x02\x06\x05\x01\x00\x00\xfd\xea\x40\x03\x04\xc6\x33\x64\x02";
	CHECK_EQ(parse_attrs(&EBGP, a5, sizeof(a5) - 1, true).outcome, BGP_UPD_WITHDRAW);
	static const uint8_t a0[] = "\x40\x01\x01\x00\x40\x02\x02\x02\x00\x40\x03\x04\xc6\x33\x64\x02";
	CHECK_EQ(parse_attrs(&EBGP, a0, sizeof(a0) - 1, true).outcome, BGP_UPD_WITHDRAW);
	static const uint8_t ao[] = "\x40\x01\x01\x00\x40\x02\x06\x02\x02\x00\x00\xfd\xea\x40\x03\x04\xc6\x33\x64\x02";
	CHECK_EQ(parse_attrs(&EBGP, ao, sizeof(ao) - 1, true).outcome, BGP_UPD_WITHDRAW);
	/* eBGP: the first AS must be the neighbour's (RFC 4271 6.3) */
	static const uint8_t an[] = "\x40\x01\x01\x00\x40\x02\x06\x02\x01\x00\x00\xfd\xeb\x40\x03\x04\xc6\x33\x64\x02";
	CHECK_EQ(parse_attrs(&EBGP, an, sizeof(an) - 1, true).outcome, BGP_UPD_WITHDRAW);
	/* NEXT_HOP length 5, and a loopback next hop */
	static const uint8_t n5[] = "\x40\x01\x01\x00\x40\x02\x06\x02\x01\x00\x00\xfd\xea\x40\x03\x05\xc6\x33\x64\x02\x00";
	CHECK_EQ(parse_attrs(&EBGP, n5, sizeof(n5) - 1, true).outcome, BGP_UPD_WITHDRAW);
	static const uint8_t nl[] = "\x40\x01\x01\x00\x40\x02\x06\x02\x01\x00\x00\xfd\xea\x40\x03\x04\x7f\x00\x00\x01";
	CHECK_EQ(parse_attrs(&EBGP, nl, sizeof(nl) - 1, true).outcome, BGP_UPD_WITHDRAW);
	/* missing NEXT_HOP with IPv4 NLRI (3 d); the same without NLRI is fine */
	static const uint8_t nn[] = "\x40\x01\x01\x00\x40\x02\x06\x02\x01\x00\x00\xfd\xea";
	CHECK_EQ(parse_attrs(&EBGP, nn, sizeof(nn) - 1, true).outcome, BGP_UPD_WITHDRAW);
	CHECK_EQ(parse_attrs(&EBGP, nn, sizeof(nn) - 1, false).outcome, BGP_UPD_OK);
	/* iBGP without LOCAL_PREF (3 d) */
	uint32_t p1[] = {65003};
	uint8_t at2[64];
	size_t l2 = std_attrs(at2, p1, 1, NH1, -1, -1);

	CHECK_EQ(parse_attrs(&IBGP, at2, l2, true).outcome, BGP_UPD_WITHDRAW);
	l2 = std_attrs(at2, p1, 1, NH1, -1, 200);
	CHECK_EQ(parse_attrs(&IBGP, at2, l2, true).outcome, BGP_UPD_OK);
	CHECK_EQ(B.k.local_pref, 200);
}

static void
test_update_mp_and_eor(void)
{
	struct mb m;
	struct bgp_update u;
	/* MP_REACH IPv6 2001:db8:1::/48 via 2001:db8::2 (RFC 4760 3) */
	static const uint8_t at[] = {
		0x40, 0x01, 0x01, 0x00, 0x40, 0x02, 0x06, 0x02, 0x01, 0x00, 0x00, 0xfd, 0xea,
		0x90, 0x0e, 0x00, 0x1c, 0x00, 0x02, 0x01, 0x10,
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0x00,
		0x30, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01,
	};
	update(&m, NULL, 0, at, sizeof(at), NULL, 0);
	bgp_update_parse(&EBGP, m.b + 19, m.n - 19, &u, &B);
	CHECK_EQ(u.outcome, BGP_UPD_OK);
	CHECK_EQ(u.mp_reach.family, 6);
	CHECK_EQ(u.mp_nh.family, 6);
	CHECK_EQ(u.mp_nh.a[15], 2);
	struct vx0_bgp_prefix p;

	CHECK_EQ(bgp_nlri_next(&u.mp_reach, &p), 1);
	CHECK(p.family == 6 && p.len == 48 && p.a[5] == 1);
	/* IPv4 End-of-RIB: an empty UPDATE (RFC 4724 2) */
	update(&m, NULL, 0, NULL, 0, NULL, 0);
	bgp_update_parse(&EBGP, m.b + 19, m.n - 19, &u, &B);
	CHECK(u.eor && u.eor_family == 4);
	/* IPv6 End-of-RIB: MP_UNREACH with no prefixes */
	update(&m, NULL, 0, "\x80\x0f\x03\x00\x02\x01", 6, NULL, 0);
	bgp_update_parse(&EBGP, m.b + 19, m.n - 19, &u, &B);
	CHECK(u.eor && u.eor_family == 6);
	/* MP reach without ORIGIN: treat-as-withdraw */
	update(&m, NULL, 0, at + 4, sizeof(at) - 4, NULL, 0);
	bgp_update_parse(&EBGP, m.b + 19, m.n - 19, &u, &B);
	CHECK_EQ(u.outcome, BGP_UPD_WITHDRAW);
}

static void
test_update_as4_merge(void)
{
	/* a 2-octet session: AS_PATH [65002 23456 23456], AS4_PATH [4200000001 4200000002] */
	const struct bgp_parse_ctx c = {.as4 = false, .ebgp = true, .peer_as = 65002, .v4 = true};
	static const uint8_t at[] = {
		0x40, 0x01, 0x01, 0x00,
		0x40, 0x02, 0x08, 0x02, 0x03, 0xfd, 0xea, 0x5b, 0xa0, 0x5b, 0xa0,
		0x40, 0x03, 0x04, 0xc6, 0x33, 0x64, 0x02,
		0xc0, 0x11, 0x0a, 0x02, 0x02, 0xfa, 0x56, 0xea, 0x01, 0xfa, 0x56, 0xea, 0x02,
	};
	struct bgp_update u = parse_attrs(&c, at, sizeof(at), true);

	CHECK_EQ(u.outcome, BGP_UPD_OK);
	static const uint8_t want[] = {0x02, 0x01, 0x00, 0x00, 0xfd, 0xea,
				       0x02, 0x02, 0xfa, 0x56, 0xea, 0x01, 0xfa, 0x56, 0xea, 0x02};
	CHECK_EQ(B.k.len[BGP_S_ASPATH], sizeof(want));
	CHECK_MEM(B.sec[BGP_S_ASPATH], want, sizeof(want));
	/* AGGREGATOR with AS_TRANS, the real AS in AS4_AGGREGATOR (RFC 6793 4.2.3) */
	static const uint8_t ag[] = {
		0xc0, 0x07, 0x06, 0x5b, 0xa0, 0xc6, 0x33, 0x64, 0x09,
		0xc0, 0x12, 0x08, 0xfa, 0x56, 0xea, 0x01, 0xc6, 0x33, 0x64, 0x09,
	};
	uint8_t both[sizeof(at) + sizeof(ag)];

	memcpy(both, at, sizeof(at));
	memcpy(both + sizeof(at), ag, sizeof(ag));
	u = parse_attrs(&c, both, sizeof(both), true);
	CHECK_EQ(u.outcome, BGP_UPD_OK);
	CHECK(B.k.present & BGP_P_AGGREGATOR);
	CHECK_EQ(B.k.aggr_as, 4200000001u);
	CHECK_EQ(B.k.aggr_id, 0xc6336409);
}

static void
test_attr_encode(void)
{
	struct bgp_attr_table t;
	uint8_t out[256];

	bgp_attr_table_init(&t);
	bgp_attr_build_clear(&B);
	B.k.present = BGP_P_ORIGIN | BGP_P_AS_PATH | BGP_P_MED;
	B.k.origin = 0;
	B.k.med = 50;
	B.k.nh_family = 4;
	memcpy(B.k.nh, NH1, 4);
	static const uint8_t ap[] = {0x02, 0x02, 0xfa, 0x56, 0xea, 0x01, 0x00, 0x00, 0xfd, 0xea};
	memcpy(B.sec[BGP_S_ASPATH], ap, sizeof(ap));
	B.k.len[BGP_S_ASPATH] = sizeof(ap);
	struct bgp_attrs *a = bgp_attr_intern(&t, &B), *a2 = bgp_attr_intern(&t, &B);

	CHECK(a == a2);
	CHECK_EQ(a->refcnt, 2);
	CHECK_EQ(t.count, 1);
	CHECK_EQ(a->as_len, 2);
	CHECK_EQ(a->first_as, 4200000001u);
	CHECK_EQ(a->last_as, 65002);
	/* to a 2-octet eBGP peer: AS_TRANS in AS_PATH plus AS4_PATH (RFC 6793 4.2.2) */
	int n = bgp_attrs_encode(a, false, false, true, out, sizeof(out));
	static const uint8_t want[] = {
		0x40, 0x01, 0x01, 0x00,
		0x40, 0x02, 0x06, 0x02, 0x02, 0x5b, 0xa0, 0xfd, 0xea,
		0x40, 0x03, 0x04, 0xc6, 0x33, 0x64, 0x02,
		0x80, 0x04, 0x04, 0x00, 0x00, 0x00, 0x32,
		0xc0, 0x11, 0x0a, 0x02, 0x02, 0xfa, 0x56, 0xea, 0x01, 0x00, 0x00, 0xfd, 0xea,
	};
	CHECK_EQ(n, (int)sizeof(want));
	CHECK_MEM(out, want, sizeof(want));
	/* iBGP to a 4-octet peer: LOCAL_PREF 100 added, no AS4_PATH */
	n = bgp_attrs_encode(a, true, true, true, out, sizeof(out));
	CHECK_EQ(n, 4 + 13 + 7 + 7 + 7);
	CHECK_EQ(bgp_attrs_encode(a, true, true, true, out, 10), -ENOSPC);
	bgp_attr_unref(&t, a);
	bgp_attr_unref(&t, a2);
	CHECK_EQ(t.count, 0);
	bgp_attr_table_fini(&t);
}

/* Interning against a reference: random attribute sets from a small space
 * (so repeats, and repeats of the last one, are common), random releases.
 * The same content always gives the one live set, different content a
 * different set, the content is kept, and the count is the number of
 * distinct live contents; the last-set shortcut never hands out a freed set. */
#define IR_HELD 256
static void
ir_fill(struct bgp_attr_build *b, unsigned v)
{
	bgp_attr_build_clear(b);
	b->k.present = BGP_P_ORIGIN | BGP_P_AS_PATH | BGP_P_NEXT_HOP;
	b->k.origin = (uint8_t)(v & 1);
	b->k.nh_family = 4;
	memcpy(b->k.nh, NH1, 4);
	unsigned n = 1 + (v >> 1) % 3;
	uint8_t *p = b->sec[BGP_S_ASPATH];

	p[0] = BGP_AS_SEQUENCE;
	p[1] = (uint8_t)n;
	for (unsigned i = 0; i < n; i++) {
		uint32_t as = 64500 + (v >> 3) % 7 + i;

		p[2 + 4 * i] = (uint8_t)(as >> 24);
		p[3 + 4 * i] = (uint8_t)(as >> 16);
		p[4 + 4 * i] = (uint8_t)(as >> 8);
		p[5 + 4 * i] = (uint8_t)as;
	}
	b->k.len[BGP_S_ASPATH] = (uint16_t)(2 + 4 * n);
	if ((v >> 6) & 1) {
		b->k.present |= BGP_P_MED;
		b->k.med = v >> 7;
	}
}

/* the content ir_fill makes of v: equal for equal content */
static unsigned
ir_canon(unsigned v)
{
	unsigned med = (v >> 6) & 1;

	return (v & 1) | ((v >> 1) % 3) << 1 | ((v >> 3) % 7) << 3 | med << 6 |
	       (med ? v >> 7 : 0) << 7;
}

static void
test_attr_intern_random(void)
{
	struct bgp_attr_table t;
	struct bgp_attr_build w;
	struct bgp_attrs *held[IR_HELD];
	unsigned val[IR_HELD], n = 0, bad = 0;
	uint32_t seed = 12345;

	CHECK_EQ(bgp_attr_table_init(&t), 0);
	CHECK_EQ(bgp_attr_build_init(&w), 0);
	for (int step = 0; step < 200000; step++) {
		seed = seed * 1103515245u + 12345u;
		unsigned r = seed >> 8;

		if (n > 0 && (n == IR_HELD || r % 3 == 0)) {
			unsigned i = (r >> 4) % n;

			bgp_attr_unref(&t, held[i]);
			held[i] = held[n - 1];
			val[i] = val[n - 1];
			n--;
			continue;
		}
		/* often the value of the last interned set again */
		unsigned v = ir_canon((r & 4) && n ? val[n - 1] : (r >> 4) % 512);

		ir_fill(&B, v);
		struct bgp_attrs *a = bgp_attr_intern(&t, &B);
		size_t distinct = 0;

		bgp_attr_build_load(&w, a);
		if (memcmp(&w.k, &B.k, sizeof(B.k)) != 0 ||
		    memcmp(w.sec[BGP_S_ASPATH], B.sec[BGP_S_ASPATH], B.k.len[BGP_S_ASPATH]) != 0)
			bad++;
		for (unsigned i = 0; i < n; i++)
			if ((val[i] == v) != (held[i] == a))
				bad++;
		held[n] = a;
		val[n++] = v;
		for (unsigned i = 0; i < n; i++) {
			unsigned j = 0;

			while (j < i && val[j] != val[i])
				j++;
			distinct += j == i;
		}
		if (distinct != t.count)
			bad++;
	}
	CHECK_EQ(bad, 0);
	while (n > 0)
		bgp_attr_unref(&t, held[--n]);
	CHECK_EQ(t.count, 0);
	CHECK(t.last == NULL);
	bgp_attr_build_fini(&w);
	bgp_attr_table_fini(&t);
}

/*
 * Known answer from an independent implementation: the bytes BIRD 2.0.12
 * sent on a session (captured in the lab of dts/test_bgp_bird.py with a
 * raw listener): OPEN (MP IPv4+IPv6, route refresh, GR 120 s, 4-octet AS,
 * enhanced RR, LLGR), KEEPALIVE, three IPv4 UPDATEs (a large community, a
 * community), IPv4 End-of-RIB, an MP_REACH IPv6 UPDATE with a global and a
 * link-local next hop, IPv6 End-of-RIB, KEEPALIVE.
 */
static const uint8_t bird_stream[] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0x00, 0x43, 0x01, 0x04, 0xfd, 0xea, 0x00, 0x09, 0xc6, 0x33, 0x64, 0x02, 0x26, 0x02, 0x24, 0x01,
	0x04, 0x00, 0x01, 0x00, 0x01, 0x01, 0x04, 0x00, 0x02, 0x00, 0x01, 0x02, 0x00, 0x40, 0x0a, 0x00,
	0x78, 0x00, 0x01, 0x01, 0x00, 0x00, 0x02, 0x01, 0x00, 0x41, 0x04, 0x00, 0x00, 0xfd, 0xea, 0x46,
	0x00, 0x47, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0x00, 0x13, 0x04, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x3f, 0x02, 0x00, 0x00, 0x00, 0x23, 0x40, 0x01, 0x01,
	0x00, 0x40, 0x02, 0x06, 0x02, 0x01, 0x00, 0x00, 0xfd, 0xea, 0x40, 0x03, 0x04, 0xc6, 0x33, 0x64,
	0x02, 0xc0, 0x20, 0x0c, 0x00, 0x00, 0xfd, 0xea, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x09,
	0x1a, 0xcb, 0x00, 0x71, 0x80, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x30, 0x02, 0x00, 0x00, 0x00, 0x14, 0x40, 0x01, 0x01, 0x00,
	0x40, 0x02, 0x06, 0x02, 0x01, 0x00, 0x00, 0xfd, 0xea, 0x40, 0x03, 0x04, 0xc6, 0x33, 0x64, 0x02,
	0x1b, 0xcb, 0x00, 0x71, 0xa0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x37, 0x02, 0x00, 0x00, 0x00, 0x1b, 0x40, 0x01, 0x01, 0x00,
	0x40, 0x02, 0x06, 0x02, 0x01, 0x00, 0x00, 0xfd, 0xea, 0x40, 0x03, 0x04, 0xc6, 0x33, 0x64, 0x02,
	0xc0, 0x08, 0x04, 0xfd, 0xea, 0x00, 0x07, 0x19, 0xcb, 0x00, 0x71, 0x00, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x17, 0x02, 0x00,
	0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0x00, 0x54, 0x02, 0x00, 0x00, 0x00, 0x3d, 0x90, 0x0e, 0x00, 0x2c, 0x00, 0x02,
	0x01, 0x20, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0xb9, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x02, 0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x68, 0x47, 0x6e, 0xff, 0xfe, 0x08,
	0xff, 0xad, 0x00, 0x30, 0x20, 0x01, 0x0d, 0xb8, 0x01, 0x00, 0x40, 0x01, 0x01, 0x00, 0x40, 0x02,
	0x06, 0x02, 0x01, 0x00, 0x00, 0xfd, 0xea, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x1d, 0x02, 0x00, 0x00, 0x00, 0x06, 0x80, 0x0f,
	0x03, 0x00, 0x02, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0x00, 0x13, 0x04,
};

static void
test_bird_vectors(void)
{
	struct bgp_open o;
	uint8_t sub;

	CHECK_EQ(bgp_open_parse(bird_stream + 19, 67 - 19, &o, &sub), 0);
	CHECK_EQ(o.my_as, 65002);
	CHECK_EQ(o.as4, 65002);
	CHECK_EQ(o.hold, 9);
	CHECK_EQ(o.bgp_id, 0xc6336402);
	CHECK(o.cap_v4 && o.cap_v6 && o.cap_rr && o.cap_gr && !o.cap_ext);
	CHECK_EQ(o.gr_time, 120);

	static struct env e;
	struct vx0_bgp *b = mk(&e, 65001);
	struct vx0_bgp_peer_config pc = pcfg(65002, 2);
	struct vx0_bgp_neighbor_info ni;
	struct vx0_bgp_path_info pi[2];
	struct vx0_bgp_prefix p;

	pc.ipv4_unicast = pc.ipv6_unicast = true;
	pc.graceful_restart = true;
	vx0_bgp_peer_add(b, &pc);
	vx0_bgp_peer_start(b, 0, 0);
	vx0_bgp_tcp_up(b, 0, NULL, 0);
	/* in two arbitrary pieces */
	vx0_bgp_input(b, 0, bird_stream, 100, 0);
	vx0_bgp_input(b, 0, bird_stream + 100, sizeof(bird_stream) - 100, 0);
	vx0_bgp_neighbor_info(b, 0, &ni);
	CHECK_EQ(ni.state, VX0_BGP_ESTABLISHED);
	CHECK(ni.caps_gr && ni.caps_v6 && ni.caps_as4);
	CHECK_EQ(ni.treat_as_withdraw, 0);
	CHECK_EQ(ni.prefixes_accepted, 4);
	CHECK_EQ(vx0_bgp_rib_count(b), 4);
	vx0_bgp_prefix_parse("203.0.113.128/26", &p);
	CHECK_EQ(vx0_bgp_rib_lookup(b, &p, pi, 2, NULL), 1);
	CHECK(pi[0].n_large == 1 && pi[0].large[0].global == 65002 && pi[0].large[0].local1 == 8 &&
	      pi[0].large[0].local2 == 9);
	CHECK(pi[0].as_path_n == 1 && pi[0].as_path[0] == 65002);
	vx0_bgp_prefix_parse("203.0.113.0/25", &p);
	CHECK_EQ(vx0_bgp_rib_lookup(b, &p, pi, 2, NULL), 1);
	CHECK(pi[0].n_communities == 1 && pi[0].communities[0] == (65002u << 16 | 7));
	vx0_bgp_prefix_parse("2001:db8:100::/48", &p);
	CHECK_EQ(vx0_bgp_rib_lookup(b, &p, pi, 2, NULL), 1);
	CHECK_EQ(pi[0].nexthop.family, 6);
	CHECK_MEM(pi[0].nexthop.a, "\x20\x01\x0d\xb8\x00\xb9\0\0\0\0\0\0\0\0\0\x02", 16);
	vx0_bgp_destroy(b);
}

/* ---- FSM ---- */

static int
find_msg(struct env *e, int peer, uint8_t type, int from)
{
	for (int i = from; i < e->n[peer]; i++)
		if (e->msgs[peer][i].type == type)
			return i;
	return -1;
}

static void
test_fsm_establish_and_hold(void)
{
	static struct env e;
	struct vx0_bgp *b = mk(&e, 65001);
	struct vx0_bgp_peer_config pc = pcfg(65002, 2);
	int id = vx0_bgp_peer_add(b, &pc);
	struct vx0_bgp_neighbor_info ni;
	struct mb m;

	now = 1000;
	CHECK_EQ(id, 0);
	CHECK_EQ(vx0_bgp_peer_add(b, &pc), -EEXIST);
	vx0_bgp_peer_start(b, id, now);
	CHECK_EQ(e.connects[0], 1);
	vx0_bgp_neighbor_info(b, id, &ni);
	CHECK_EQ(ni.state, VX0_BGP_CONNECT);
	struct vx0_bgp_addr local = {.family = 4, .a = {198, 51, 100, 1}};

	CHECK_EQ(vx0_bgp_tcp_up(b, id, &local, now), 0);
	CHECK_EQ(e.n[0], 1);
	CHECK_EQ(e.msgs[0][0].type, BGP_OPEN);
	vx0_bgp_neighbor_info(b, id, &ni);
	CHECK_EQ(ni.state, VX0_BGP_OPENSENT);
	/* the peer's OPEN byte by byte: reassembly */
	peer_open(&m, 65002, 0xc6336402, 30, false, false);
	for (size_t i = 0; i < m.n; i++)
		vx0_bgp_input(b, id, m.b + i, 1, now);
	vx0_bgp_neighbor_info(b, id, &ni);
	CHECK_EQ(ni.state, VX0_BGP_OPENCONFIRM);
	CHECK_EQ(e.msgs[0][1].type, BGP_KEEPALIVE);
	keepalive(&m);
	vx0_bgp_input(b, id, m.b, m.n, now);
	vx0_bgp_neighbor_info(b, id, &ni);
	CHECK_EQ(ni.state, VX0_BGP_ESTABLISHED);
	CHECK(ni.caps_as4 && ni.caps_rr && ni.caps_v4 && !ni.caps_v6);
	CHECK_EQ(ni.remote_id, 0xc6336402);
	/* End-of-RIB sent right after the (empty) initial table */
	int eor = find_msg(&e, 0, BGP_UPDATE, 0);

	CHECK(eor >= 0 && e.msgs[0][eor].len == 23);
	/* hold time negotiated to 30 s: keepalive every 10 s */
	CHECK_EQ(vx0_bgp_next_deadline(b), now + 10000);
	int before = e.n[0];

	now += 10000;
	vx0_bgp_timers(b, now);
	CHECK_EQ(e.n[0], before + 1);
	CHECK_EQ(e.msgs[0][before].type, BGP_KEEPALIVE);
	/* a KEEPALIVE from the peer at 25 s pushes the hold timer */
	now += 15000;
	vx0_bgp_input(b, id, m.b, m.n, now);
	now += 20000;
	vx0_bgp_timers(b, now);
	vx0_bgp_neighbor_info(b, id, &ni);
	CHECK_EQ(ni.state, VX0_BGP_ESTABLISHED);
	/* then silence: the hold timer expires -> NOTIFICATION 4/0, Idle */
	now += 10001;
	vx0_bgp_timers(b, now);
	vx0_bgp_neighbor_info(b, id, &ni);
	CHECK_EQ(ni.state, VX0_BGP_IDLE);
	int nt = find_msg(&e, 0, BGP_NOTIFICATION, 0);

	CHECK(nt >= 0);
	if (nt >= 0) {
		CHECK_EQ(e.msgs[0][nt].b[19], BGP_ERR_HOLD);
		CHECK_EQ(e.msgs[0][nt].b[20], 0);
	}
	CHECK_EQ(e.disconnects[0], 1);
	CHECK(strstr(ni.last_error, "hold timer") != NULL);
	/* automatic restart after the idle hold time */
	now += 1000;
	vx0_bgp_timers(b, now);
	CHECK_EQ(e.connects[0], 2);
	vx0_bgp_neighbor_info(b, id, &ni);
	CHECK_EQ(ni.state, VX0_BGP_CONNECT);
	vx0_bgp_destroy(b);
}

static void
test_fsm_connect_retry(void)
{
	static struct env e;
	struct vx0_bgp *b = mk(&e, 65001);
	struct vx0_bgp_peer_config pc = pcfg(65002, 2);
	int id = vx0_bgp_peer_add(b, &pc);
	struct vx0_bgp_neighbor_info ni;

	now = 0;
	vx0_bgp_peer_start(b, id, now);
	vx0_bgp_tcp_fail(b, id, now + 10);
	vx0_bgp_neighbor_info(b, id, &ni);
	CHECK_EQ(ni.state, VX0_BGP_ACTIVE);
	/* ConnectRetry 5 s with jitter in [0.75, 1] (RFC 4271 10) */
	uint64_t d = vx0_bgp_next_deadline(b);

	CHECK(d >= 10 + 3750 && d <= 10 + 5000);
	vx0_bgp_timers(b, d - 1);
	CHECK_EQ(e.connects[0], 1);
	vx0_bgp_timers(b, d);
	CHECK_EQ(e.connects[0], 2);
	vx0_bgp_neighbor_info(b, id, &ni);
	CHECK_EQ(ni.state, VX0_BGP_CONNECT);
	/* in Connect, ConnectRetry expiry drops the attempt and tries again */
	uint64_t d2 = vx0_bgp_next_deadline(b);

	CHECK(d2 >= d + 3750 && d2 <= d + 5000);
	vx0_bgp_timers(b, d2);
	CHECK_EQ(e.connects[0], 3);
	CHECK_EQ(e.disconnects[0], 1);
	/* a passive peer never connects */
	struct vx0_bgp_peer_config pp = pcfg(65003, 3);

	pp.passive = true;
	int id2 = vx0_bgp_peer_add(b, &pp);

	vx0_bgp_peer_start(b, id2, 10010);
	vx0_bgp_timers(b, 30000);
	CHECK_EQ(e.connects[id2], 0);
	vx0_bgp_neighbor_info(b, id2, &ni);
	CHECK_EQ(ni.state, VX0_BGP_ACTIVE);
	/* a second transport while past Active is refused */
	CHECK_EQ(vx0_bgp_tcp_up(b, id2, NULL, 30000), 0);
	CHECK_EQ(vx0_bgp_tcp_up(b, id2, NULL, 30000), -EBUSY);
	/* OpenSent + connection lost -> Active (RFC 4271 8.2.2) */
	vx0_bgp_tcp_fail(b, id2, 30001);
	vx0_bgp_neighbor_info(b, id2, &ni);
	CHECK_EQ(ni.state, VX0_BGP_ACTIVE);
	vx0_bgp_destroy(b);
}

static void
test_fsm_delay_open(void)
{
	static struct env e;
	struct vx0_bgp *b = mk(&e, 65001);
	struct vx0_bgp_peer_config pc = pcfg(65002, 2);
	struct mb m;
	struct vx0_bgp_neighbor_info ni;

	pc.delay_open_ms = 3000;
	int id = vx0_bgp_peer_add(b, &pc);

	vx0_bgp_peer_start(b, id, 0);
	vx0_bgp_tcp_up(b, id, NULL, 0);
	CHECK_EQ(e.n[0], 0); /* no OPEN yet */
	vx0_bgp_timers(b, 3000);
	CHECK_EQ(e.n[0], 1);
	CHECK_EQ(e.msgs[0][0].type, BGP_OPEN);
	vx0_bgp_neighbor_info(b, id, &ni);
	CHECK_EQ(ni.state, VX0_BGP_OPENSENT);
	/* second run: the peer's OPEN arrives during the delay -> OPEN + KEEPALIVE at once */
	vx0_bgp_peer_stop(b, id, NULL, 3001);
	vx0_bgp_peer_start(b, id, 4000);
	vx0_bgp_tcp_up(b, id, NULL, 4000);
	int before = e.n[0];

	peer_open(&m, 65002, 0xc6336402, 90, false, false);
	vx0_bgp_input(b, id, m.b, m.n, 4100);
	CHECK_EQ(e.n[0], before + 2);
	CHECK_EQ(e.msgs[0][before].type, BGP_OPEN);
	CHECK_EQ(e.msgs[0][before + 1].type, BGP_KEEPALIVE);
	vx0_bgp_neighbor_info(b, id, &ni);
	CHECK_EQ(ni.state, VX0_BGP_OPENCONFIRM);
	vx0_bgp_destroy(b);
}

static void
test_fsm_errors(void)
{
	static struct env e;
	struct vx0_bgp *b = mk(&e, 65001);
	struct vx0_bgp_peer_config pc = pcfg(65002, 2);
	int id = vx0_bgp_peer_add(b, &pc);
	struct vx0_bgp_neighbor_info ni;
	struct mb m;

	now = 0;
	/* wrong AS in OPEN -> 2/2 */
	vx0_bgp_peer_start(b, id, now);
	vx0_bgp_tcp_up(b, id, NULL, now);
	peer_open(&m, 65009, 0xc6336402, 90, false, false);
	vx0_bgp_input(b, id, m.b, m.n, now);
	int nt = find_msg(&e, 0, BGP_NOTIFICATION, 0);

	CHECK(nt >= 0 && e.msgs[0][nt].b[19] == 2 && e.msgs[0][nt].b[20] == 2);
	vx0_bgp_neighbor_info(b, id, &ni);
	CHECK_EQ(ni.state, VX0_BGP_IDLE);
	/* established, then a bad message length -> 1/2 with the length as data */
	now = 10000;
	vx0_bgp_timers(b, now);
	e.n[0] = 0;
	establish(b, &e, id, 65002, 0xc6336402, false);
	vx0_bgp_neighbor_info(b, id, &ni);
	CHECK_EQ(ni.state, VX0_BGP_ESTABLISHED);
	keepalive(&m);
	m.b[17] = 20;
	m.n = 20;
	vx0_bgp_input(b, id, m.b, m.n, now);
	nt = find_msg(&e, 0, BGP_NOTIFICATION, 0);
	CHECK(nt >= 0);
	if (nt >= 0) {
		CHECK_EQ(e.msgs[0][nt].b[19], 1);
		CHECK_EQ(e.msgs[0][nt].b[20], 2);
		CHECK_EQ(e.msgs[0][nt].len, 23);
		CHECK_EQ(e.msgs[0][nt].b[22], 20);
	}
	/* established, then an RFC 7606 session-reset UPDATE -> 3/10 */
	now += 70000;
	vx0_bgp_timers(b, now);
	e.n[0] = 0;
	establish(b, &e, id, 65002, 0xc6336402, false);
	update(&m, NULL, 0, "\x40\x01\x01\x00", 4, "\x21\x01\x02\x03\x04\x05", 6);
	vx0_bgp_input(b, id, m.b, m.n, now);
	nt = find_msg(&e, 0, BGP_NOTIFICATION, 0);
	CHECK(nt >= 0 && e.msgs[0][nt].b[19] == 3 && e.msgs[0][nt].b[20] == 10);
	/* administrative shutdown carries the RFC 8203 message */
	now += 70000;
	vx0_bgp_timers(b, now);
	e.n[0] = 0;
	establish(b, &e, id, 65002, 0xc6336402, false);
	vx0_bgp_peer_stop(b, id, "maintenance", now);
	nt = find_msg(&e, 0, BGP_NOTIFICATION, 0);
	CHECK(nt >= 0);
	if (nt >= 0) {
		static const uint8_t want[] = {6, 2, 11, 'm', 'a', 'i', 'n', 't', 'e', 'n', 'a',
					       'n', 'c', 'e'};
		CHECK_EQ(e.msgs[0][nt].len, 19 + sizeof(want));
		CHECK_MEM(e.msgs[0][nt].b + 19, want, sizeof(want));
	}
	vx0_bgp_neighbor_info(b, id, &ni);
	CHECK_EQ(ni.state, VX0_BGP_IDLE);
	vx0_bgp_timers(b, now + 100000); /* stopped: no automatic restart */
	vx0_bgp_neighbor_info(b, id, &ni);
	CHECK_EQ(ni.state, VX0_BGP_IDLE);
	/* a received shutdown communication lands in last_error */
	vx0_bgp_peer_start(b, id, now);
	establish(b, &e, id, 65002, 0xc6336402, false);
	hdr(&m, BGP_NOTIFICATION);
	put(&m, "\x06\x02\x05hello", 8);
	fin(&m);
	vx0_bgp_input(b, id, m.b, m.n, now);
	vx0_bgp_neighbor_info(b, id, &ni);
	CHECK_EQ(ni.state, VX0_BGP_IDLE);
	CHECK(strstr(ni.last_error, "6/2: hello") != NULL);
	CHECK(!ni.last_error_sent);
	vx0_bgp_destroy(b);
}

static void
test_fsm_collision(void)
{
	static struct env e;
	struct vx0_bgp *b = mk(&e, 65001); /* router id 198.51.100.1 */
	struct vx0_bgp_peer_config pc = pcfg(65002, 2);
	int id = vx0_bgp_peer_add(b, &pc);
	struct vx0_bgp_neighbor_info ni;
	struct mb m;

	now = 0;
	CHECK_EQ(vx0_bgp_collision(b, id, 0xc6336402, now), -EINVAL); /* Idle */
	vx0_bgp_peer_start(b, id, now);
	vx0_bgp_tcp_up(b, id, NULL, now);
	/* OpenSent, the other connection's OPEN has a lower id: keep ours */
	CHECK_EQ(vx0_bgp_collision(b, id, 0x0a000001, now), 1);
	vx0_bgp_neighbor_info(b, id, &ni);
	CHECK_EQ(ni.state, VX0_BGP_OPENSENT);
	/* OpenConfirm, a higher id: ours closes with Cease/7 (RFC 4271 6.8) */
	peer_open(&m, 65002, 0xc6336402, 90, false, false);
	vx0_bgp_input(b, id, m.b, m.n, now);
	CHECK_EQ(vx0_bgp_collision(b, id, 0xc6336402, now), 0);
	int nt = find_msg(&e, 0, BGP_NOTIFICATION, 0);

	CHECK(nt >= 0 && e.msgs[0][nt].b[19] == 6 && e.msgs[0][nt].b[20] == 7);
	CHECK_EQ(e.disconnects[0], 1);
	vx0_bgp_neighbor_info(b, id, &ni);
	CHECK_EQ(ni.state, VX0_BGP_ACTIVE);
	/* the new connection then proceeds like any other */
	CHECK_EQ(vx0_bgp_tcp_up(b, id, NULL, now), 0);
	vx0_bgp_input(b, id, m.b, m.n, now);
	keepalive(&m);
	vx0_bgp_input(b, id, m.b, m.n, now);
	vx0_bgp_neighbor_info(b, id, &ni);
	CHECK_EQ(ni.state, VX0_BGP_ESTABLISHED);
	CHECK_EQ(vx0_bgp_collision(b, id, 0xc6336402, now), -EINVAL);
	vx0_bgp_destroy(b);
}

/* ---- routes, decision, export ---- */

static void
send_update(struct vx0_bgp *b, int id, const uint32_t *path, unsigned n, const uint8_t nh[4],
	    int med, int lp, const uint8_t *nlri, size_t nl)
{
	struct mb m;
	uint8_t at[256];
	size_t al = std_attrs(at, path, n, nh, med, lp);

	update(&m, NULL, 0, at, al, nlri, nl);
	vx0_bgp_input(b, id, m.b, m.n, now);
}

static enum vx0_bgp_reason
best_of(struct vx0_bgp *b, int *peer)
{
	struct vx0_bgp_prefix p;
	struct vx0_bgp_path_info pi[4];
	enum vx0_bgp_reason r = VX0_BGP_REASON_NONE;

	vx0_bgp_prefix_parse("203.0.113.0/24", &p);
	int n = vx0_bgp_rib_lookup(b, &p, pi, 4, &r);

	*peer = n > 0 && pi[0].best ? pi[0].peer : -2;
	return r;
}

static struct vx0_bgp *
three_peers(struct env *e, uint32_t as1, uint32_t as2, uint32_t as3)
{
	struct vx0_bgp *b = mk(e, 65001);
	struct vx0_bgp_peer_config p1 = pcfg(as1, 2), p2 = pcfg(as2, 3), p3 = pcfg(as3, 4);

	vx0_bgp_peer_add(b, &p1);
	vx0_bgp_peer_add(b, &p2);
	vx0_bgp_peer_add(b, &p3);
	now = 0;
	establish(b, e, 0, as1, 0xc6336402, false);
	establish(b, e, 1, as2, 0xc6336403, false);
	establish(b, e, 2, as3, 0xc6336404, false);
	return b;
}

static void
test_decision(void)
{
	static struct env e;
	struct vx0_bgp *b;
	int best;
	static const uint8_t nh2[4] = {198, 51, 100, 3}, nh3[4] = {198, 51, 100, 4};

	/* local-pref (iBGP peers) */
	b = three_peers(&e, 65001, 65001, 65001);
	send_update(b, 0, (uint32_t[]){65010}, 1, NH1, -1, 100, PFX24, 4);
	send_update(b, 1, (uint32_t[]){65010, 65011}, 2, nh2, -1, 200, PFX24, 4);
	CHECK_EQ(best_of(b, &best), VX0_BGP_REASON_LOCAL_PREF);
	CHECK_EQ(best, 1);
	vx0_bgp_destroy(b);

	/* AS path length */
	b = three_peers(&e, 65002, 65003, 65004);
	send_update(b, 0, (uint32_t[]){65002, 65010, 65011}, 3, NH1, -1, -1, PFX24, 4);
	CHECK_EQ(best_of(b, &best), VX0_BGP_REASON_ONLY);
	CHECK_EQ(best, 0);
	send_update(b, 1, (uint32_t[]){65003, 65011}, 2, nh2, -1, -1, PFX24, 4);
	CHECK_EQ(best_of(b, &best), VX0_BGP_REASON_AS_PATH);
	CHECK_EQ(best, 1);
	vx0_bgp_destroy(b);

	/* origin: IGP over INCOMPLETE */
	b = three_peers(&e, 65002, 65003, 65004);
	{
		struct mb m;
		uint8_t at[64];
		size_t al = std_attrs(at, (uint32_t[]){65002}, 1, NH1, -1, -1);

		at[3] = 2; /* INCOMPLETE */
		update(&m, NULL, 0, at, al, PFX24, 4);
		vx0_bgp_input(b, 0, m.b, m.n, now);
	}
	send_update(b, 1, (uint32_t[]){65003}, 1, nh2, -1, -1, PFX24, 4);
	CHECK_EQ(best_of(b, &best), VX0_BGP_REASON_ORIGIN);
	CHECK_EQ(best, 1);
	vx0_bgp_destroy(b);

	/* MED between routes from the same neighbour AS (two sessions to AS 65002) */
	b = three_peers(&e, 65002, 65002, 65004);
	send_update(b, 0, (uint32_t[]){65002}, 1, NH1, 50, -1, PFX24, 4);
	send_update(b, 1, (uint32_t[]){65002}, 1, nh2, 10, -1, PFX24, 4);
	CHECK_EQ(best_of(b, &best), VX0_BGP_REASON_MED);
	CHECK_EQ(best, 1);
	vx0_bgp_destroy(b);

	/* MED is not compared across neighbour ASes: router id decides (lower wins) */
	b = three_peers(&e, 65002, 65003, 65004);
	send_update(b, 1, (uint32_t[]){65003}, 1, nh2, 10, -1, PFX24, 4);
	send_update(b, 0, (uint32_t[]){65002}, 1, NH1, 50, -1, PFX24, 4);
	CHECK_EQ(best_of(b, &best), VX0_BGP_REASON_ROUTER_ID);
	CHECK_EQ(best, 0);
	vx0_bgp_destroy(b);

	/* eBGP over iBGP */
	b = three_peers(&e, 65001, 65003, 65004);
	send_update(b, 0, (uint32_t[]){65003}, 1, NH1, -1, 100, PFX24, 4);
	send_update(b, 1, (uint32_t[]){65003}, 1, nh2, -1, -1, PFX24, 4);
	CHECK_EQ(best_of(b, &best), VX0_BGP_REASON_EBGP);
	CHECK_EQ(best, 1);
	vx0_bgp_destroy(b);

	/* next-hop reachability: an unreachable next hop is not eligible */
	b = three_peers(&e, 65002, 65003, 65004);
	e.nh_unreachable = true;
	send_update(b, 0, (uint32_t[]){65002}, 1, (const uint8_t[]){203, 0, 113, 99}, -1, -1,
		    PFX24, 4);
	send_update(b, 1, (uint32_t[]){65003, 65009, 65010}, 3, nh2, -1, -1, PFX24, 4);
	CHECK_EQ(best_of(b, &best), VX0_BGP_REASON_ONLY);
	CHECK_EQ(best, 1);
	vx0_bgp_destroy(b);

	/* lowest peer address when router ids tie (ORIGINATOR_ID equal on iBGP) */
	b = three_peers(&e, 65001, 65001, 65004);
	{
		struct mb m;
		uint8_t at[64];
		size_t al = std_attrs(at, (uint32_t[]){65009}, 1, nh3, -1, 100);

		memcpy(at + al, "\x80\x09\x04\x0a\x00\x00\x01", 7);
		update(&m, NULL, 0, at, al + 7, PFX24, 4);
		vx0_bgp_input(b, 1, m.b, m.n, now);
		vx0_bgp_input(b, 0, m.b, m.n, now);
	}
	CHECK_EQ(best_of(b, &best), VX0_BGP_REASON_PEER_ADDR);
	CHECK_EQ(best, 0);
	vx0_bgp_destroy(b);
}

/* A long NLRI list: every route change is hinted (fib prefetch) before it
 * is made, and the lookahead changes nothing in what is imported. Each
 * UPDATE's first prefix is hinted once more by the lookahead over received
 * messages, so a single-prefix UPDATE is hinted too. */
static void
test_nlri_lookahead(void)
{
	static struct env e;
	struct vx0_bgp *b = three_peers(&e, 65002, 65003, 65001);
	uint8_t nl[5 * 100];
	struct mb m;

	for (int i = 0; i < 100; i++) {
		nl[5 * i] = 32;
		nl[5 * i + 1] = 203;
		nl[5 * i + 2] = 0;
		nl[5 * i + 3] = 113;
		nl[5 * i + 4] = (uint8_t)(i * 2);
	}
	send_update(b, 0, (uint32_t[]){65002, 65020}, 2, NH1, -1, -1, nl, sizeof(nl));
	CHECK_EQ(e.fib_adds, 100);
	CHECK_EQ(e.hints, 101);
	CHECK_EQ(e.unhinted, 0);
	CHECK_EQ(vx0_bgp_rib_count(b), 100);
	/* every one of them is in the RIB: withdraw them all in one UPDATE */
	update(&m, nl, sizeof(nl), NULL, 0, NULL, 0);
	vx0_bgp_input(b, 0, m.b, m.n, now);
	CHECK_EQ(e.fib_dels, 100);
	CHECK_EQ(e.hints, 202);
	CHECK_EQ(e.unhinted, 0);
	CHECK_EQ(vx0_bgp_rib_count(b), 0);
	/* one prefix: hinted by the message lookahead alone */
	send_update(b, 0, (uint32_t[]){65002, 65020}, 2, NH1, -1, -1, nl, 5);
	CHECK_EQ(e.fib_adds, 101);
	CHECK_EQ(e.hints, 203);
	CHECK_EQ(e.unhinted, 0);
	vx0_bgp_destroy(b);
}

static void
test_fib_and_export(void)
{
	static struct env e;
	struct vx0_bgp *b = three_peers(&e, 65002, 65003, 65001);
	struct vx0_bgp_neighbor_info ni;
	struct mb m;

	e.n[1] = e.n[2] = 0;
	send_update(b, 0, (uint32_t[]){65002, 65020}, 2, NH1, 77, -1, PFX24, 4);
	CHECK_EQ(e.fib_adds, 1);
	CHECK_MEM(e.last_nh, NH1, 4);
	/* exported to the other eBGP peer: our AS prepended, next-hop self, no MED */
	CHECK_EQ(e.n[1], 1);
	{
		const struct sent *s = &e.msgs[1][0];
		static const uint8_t want[] = {
			0x00, 0x00, 0x00, 0x1c,
			0x40, 0x01, 0x01, 0x00,
			0x40, 0x02, 0x0e, 0x02, 0x03, 0x00, 0x00, 0xfd, 0xe9, 0x00, 0x00, 0xfd, 0xea,
			0x00, 0x00, 0xfd, 0xfc,
			0x40, 0x03, 0x04, 0xc6, 0x33, 0x64, 0x01,
			0x18, 0xcb, 0x00, 0x71,
		};
		CHECK_EQ(s->type, BGP_UPDATE);
		CHECK_EQ(s->len, 19 + sizeof(want));
		CHECK_MEM(s->b + 19, want, sizeof(want));
	}
	/* to the iBGP peer: next hop kept, LOCAL_PREF 100, no prepend, MED kept */
	CHECK_EQ(e.n[2], 1);
	CHECK_EQ(e.msgs[2][0].len, 19 + 4 + 4 + 13 + 7 + 7 + 7 + 4);
	vx0_bgp_neighbor_info(b, 1, &ni);
	CHECK_EQ(ni.prefixes_advertised, 1);
	vx0_bgp_neighbor_info(b, 0, &ni);
	CHECK_EQ(ni.prefixes_received, 1);
	CHECK_EQ(ni.prefixes_accepted, 1);
	CHECK_EQ(vx0_bgp_rib_count(b), 1);
	{
		/* longest-prefix match from an address */
		struct vx0_bgp_addr a = {.family = 4, .a = {203, 0, 113, 77}};
		struct vx0_bgp_prefix mp;
		struct vx0_bgp_path_info pi[2];

		CHECK_EQ(vx0_bgp_rib_lookup_addr(b, &a, &mp, pi, 2, NULL), 1);
		CHECK(mp.len == 24 && mp.a[2] == 113 && mp.a[3] == 0);
		CHECK(pi[0].best && pi[0].peer == 0);
		a.a[2] = 114;
		CHECK_EQ(vx0_bgp_rib_lookup_addr(b, &a, &mp, pi, 2, NULL), -ENOENT);
	}
	/* the same announcement again changes nothing: no FIB call, no UPDATE */
	send_update(b, 0, (uint32_t[]){65002, 65020}, 2, NH1, 77, -1, PFX24, 4);
	CHECK_EQ(e.fib_adds, 1);
	CHECK_EQ(e.n[1], 1);
	/* withdraw: FIB delete and a withdrawal to both */
	update(&m, PFX24, 4, NULL, 0, NULL, 0);
	vx0_bgp_input(b, 0, m.b, m.n, now);
	CHECK_EQ(e.fib_dels, 1);
	CHECK_EQ(e.n[1], 2);
	static const uint8_t wd[] = {0x00, 0x04, 0x18, 0xcb, 0x00, 0x71, 0x00, 0x00};
	CHECK_EQ(e.msgs[1][1].len, 19 + sizeof(wd));
	CHECK_MEM(e.msgs[1][1].b + 19, wd, sizeof(wd));
	CHECK_EQ(vx0_bgp_rib_count(b), 0);
	vx0_bgp_neighbor_info(b, 1, &ni);
	CHECK_EQ(ni.prefixes_advertised, 0);
	/* a route with our own AS in the path (loop) is not used */
	send_update(b, 0, (uint32_t[]){65002, 65001}, 2, NH1, -1, -1, PFX24, 4);
	CHECK_EQ(vx0_bgp_rib_count(b), 0);
	vx0_bgp_neighbor_info(b, 0, &ni);
	CHECK_EQ(ni.prefixes_received, 1);
	CHECK_EQ(ni.prefixes_accepted, 0);
	/* treat-as-withdraw removes a route previously announced */
	send_update(b, 0, (uint32_t[]){65002}, 1, NH1, -1, -1, PFX24, 4);
	CHECK_EQ(vx0_bgp_rib_count(b), 1);
	{
		uint8_t at[64];
		size_t al = std_attrs(at, (uint32_t[]){65002}, 1, NH1, -1, -1);

		memcpy(at + al, "\xc0\x08\x05\x00\x00\x00\x01\x02", 8);
		update(&m, NULL, 0, at, al + 8, PFX24, 4);
		vx0_bgp_input(b, 0, m.b, m.n, now);
	}
	CHECK_EQ(vx0_bgp_rib_count(b), 0);
	vx0_bgp_neighbor_info(b, 0, &ni);
	CHECK_EQ(ni.state, VX0_BGP_ESTABLISHED);
	CHECK_EQ(ni.treat_as_withdraw, 1);
	/* origination: advertised to all three with next-hop self */
	struct vx0_bgp_prefix own;

	vx0_bgp_prefix_parse("198.51.100.128/25", &own);
	int n0 = e.n[0];

	CHECK_EQ(vx0_bgp_originate(b, &own), 0);
	CHECK_EQ(e.n[0], n0 + 1);
	CHECK_EQ(e.fib_adds, 2); /* own prefixes are not programmed */
	CHECK_EQ(vx0_bgp_withdraw_local(b, &own), 0);
	CHECK_EQ(e.n[0], n0 + 2);
	CHECK_EQ(vx0_bgp_withdraw_local(b, &own), -ENOENT);
	vx0_bgp_destroy(b);
}

static void
test_interning(void)
{
	static struct env e;
	struct vx0_bgp *b = three_peers(&e, 65002, 65003, 65004);
	uint8_t nl[4 * 200];

	for (int i = 0; i < 200; i++) {
		nl[4 * i] = 24;
		nl[4 * i + 1] = 10;
		nl[4 * i + 2] = (uint8_t)(i >> 8);
		nl[4 * i + 3] = (uint8_t)i;
	}
	size_t attrs0 = vx0_bgp_attr_count(b);

	send_update(b, 0, (uint32_t[]){65002, 65100}, 2, NH1, -1, -1, nl, sizeof(nl));
	CHECK_EQ(vx0_bgp_rib_count(b), 200);
	/* one received set plus one export set per other peer: shared by 200 routes */
	CHECK(vx0_bgp_attr_count(b) <= attrs0 + 1);
	/* tearing the session down flushes everything */
	vx0_bgp_peer_stop(b, 0, NULL, now);
	CHECK_EQ(vx0_bgp_rib_count(b), 0);
	CHECK_EQ(vx0_bgp_attr_count(b), attrs0);
	vx0_bgp_destroy(b);
}

/* ---- policy ---- */

static void
test_policy(void)
{
	struct vx0_bgp_prefix_match pm[1] = {0};
	struct vx0_bgp_prefix p;

	vx0_bgp_prefix_parse("203.0.113.0/24", &pm[0].pfx);
	pm[0].ge = 25;
	pm[0].le = 28;
	vx0_bgp_prefix_parse("203.0.113.64/26", &p);
	CHECK(bgp_prefix_match(&pm[0], &p));
	vx0_bgp_prefix_parse("203.0.113.0/24", &p);
	CHECK(!bgp_prefix_match(&pm[0], &p));
	vx0_bgp_prefix_parse("203.0.113.16/29", &p);
	CHECK(!bgp_prefix_match(&pm[0], &p));
	vx0_bgp_prefix_parse("203.0.114.0/25", &p);
	CHECK(!bgp_prefix_match(&pm[0], &p));
	vx0_bgp_prefix_parse("2001:db8::/32", &p);
	CHECK(!bgp_prefix_match(&pm[0], &p));

	/* import: reject 203.0.113.0/24 le 32 from peer 0; tag the rest; set LP by community */
	struct vx0_bgp_prefix_match deny[1] = {0};

	vx0_bgp_prefix_parse("198.51.100.0/24", &deny[0].pfx);
	deny[0].le = 32;
	struct vx0_bgp_policy_term terms[3] = {
		{.prefixes = deny, .n_prefixes = 1, .action = VX0_BGP_REJECT},
		{.community = 0xfde90064, .set_local_pref = true, .local_pref = 300,
		 .action = VX0_BGP_NEXT},
		{.n_add_large = 1, .add_large = {{65001, 7, 8}}, .set_med = true, .med = 5,
		 .action = VX0_BGP_ACCEPT},
	};
	struct vx0_bgp_policy pol = {.terms = terms, .n_terms = 3,
				     .default_action = VX0_BGP_REJECT};
	static struct env e;
	struct vx0_bgp *b = mk(&e, 65001);
	struct vx0_bgp_peer_config pc = pcfg(65002, 2);

	pc.import = &pol;
	vx0_bgp_peer_add(b, &pc);
	now = 0;
	establish(b, &e, 0, 65002, 0xc6336402, false);
	struct mb m;
	uint8_t at[128];
	size_t al = std_attrs(at, (uint32_t[]){65002}, 1, NH1, -1, -1);

	memcpy(at + al, "\xc0\x08\x04\xfd\xe9\x00\x64", 7);
	update(&m, NULL, 0, at, al + 7, "\x18\xcb\x00\x71\x19\xc6\x33\x64\x80", 9);
	vx0_bgp_input(b, 0, m.b, m.n, now);
	struct vx0_bgp_path_info pi[2];
	enum vx0_bgp_reason r;

	vx0_bgp_prefix_parse("203.0.113.0/24", &p);
	CHECK_EQ(vx0_bgp_rib_lookup(b, &p, pi, 2, &r), 1);
	CHECK(pi[0].best && !pi[0].rejected);
	CHECK_EQ(pi[0].local_pref, 300);
	CHECK(pi[0].has_med && pi[0].med == 5);
	CHECK_EQ(pi[0].n_large, 1);
	CHECK(pi[0].large[0].global == 65001 && pi[0].large[0].local2 == 8);
	CHECK_EQ(pi[0].n_communities, 1);
	vx0_bgp_prefix_parse("198.51.100.128/25", &p);
	CHECK_EQ(vx0_bgp_rib_lookup(b, &p, pi, 2, &r), 1); /* kept in Adj-RIB-In, flagged */
	CHECK(pi[0].rejected && !pi[0].best);
	CHECK_EQ(r, VX0_BGP_REASON_NONE);
	CHECK_EQ(vx0_bgp_rib_count(b), 1);
	struct vx0_bgp_neighbor_info ni;

	vx0_bgp_neighbor_info(b, 0, &ni);
	CHECK_EQ(ni.prefixes_received, 2);
	CHECK_EQ(ni.prefixes_accepted, 1);
	vx0_bgp_destroy(b);

	/* export policy: prepend twice and add a community, only for 203.0.113.0/24 */
	struct vx0_bgp_prefix_match allow[1] = {0};

	vx0_bgp_prefix_parse("203.0.113.0/24", &allow[0].pfx);
	struct vx0_bgp_policy_term et[1] = {
		{.prefixes = allow, .n_prefixes = 1, .prepend = 2, .n_add_communities = 1,
		 .add_communities = {0xfde9000a}, .action = VX0_BGP_ACCEPT},
	};
	struct vx0_bgp_policy ep = {.terms = et, .n_terms = 1, .default_action = VX0_BGP_REJECT};

	b = mk(&e, 65001);
	struct vx0_bgp_peer_config a = pcfg(65002, 2), c = pcfg(65003, 3);

	c.export = &ep;
	vx0_bgp_peer_add(b, &a);
	vx0_bgp_peer_add(b, &c);
	establish(b, &e, 0, 65002, 0xc6336402, false);
	establish(b, &e, 1, 65003, 0xc6336403, false);
	e.n[1] = 0;
	send_update(b, 0, (uint32_t[]){65002}, 1, NH1, -1, -1,
		    (const uint8_t *)"\x18\xcb\x00\x71\x19\xc6\x33\x64\x80", 9);
	CHECK_EQ(e.n[1], 1); /* only the allowed prefix */
	{
		const struct sent *s = &e.msgs[1][0];
		/* AS_PATH 65001 65001 65001 65002 then COMMUNITIES 65001:10 */
		static const uint8_t ap[] = {0x40, 0x02, 0x12, 0x02, 0x04, 0, 0, 0xfd, 0xe9, 0, 0,
					     0xfd, 0xe9, 0, 0, 0xfd, 0xe9, 0, 0, 0xfd, 0xea};
		static const uint8_t cm[] = {0xc0, 0x08, 0x04, 0xfd, 0xe9, 0x00, 0x0a};
		CHECK_MEM(s->b + 23 + 4, ap, sizeof(ap));
		CHECK(memmem(s->b, s->len, cm, sizeof(cm)) != NULL);
		CHECK_EQ(s->b[s->len - 4], 24);
	}
	vx0_bgp_destroy(b);
}

static void
test_max_prefix(void)
{
	static struct env e;
	struct vx0_bgp *b = mk(&e, 65001);
	struct vx0_bgp_peer_config pc = pcfg(65002, 2);
	struct vx0_bgp_neighbor_info ni;

	pc.max_prefix = 2;
	pc.max_prefix_action = VX0_BGP_MAXPFX_RESTART;
	pc.max_prefix_restart_ms = 30000;
	vx0_bgp_peer_add(b, &pc);
	now = 0;
	establish(b, &e, 0, 65002, 0xc6336402, false);
	send_update(b, 0, (uint32_t[]){65002}, 1, NH1, -1, -1,
		    (const uint8_t *)"\x18\xcb\x00\x71\x18\xcb\x00\x72", 8);
	vx0_bgp_neighbor_info(b, 0, &ni);
	CHECK_EQ(ni.state, VX0_BGP_ESTABLISHED);
	send_update(b, 0, (uint32_t[]){65002}, 1, NH1, -1, -1,
		    (const uint8_t *)"\x18\xcb\x00\x73", 4);
	vx0_bgp_neighbor_info(b, 0, &ni);
	CHECK_EQ(ni.state, VX0_BGP_IDLE);
	int nt = find_msg(&e, 0, BGP_NOTIFICATION, 0);

	CHECK(nt >= 0);
	if (nt >= 0) {
		static const uint8_t want[] = {6, 1, 0, 1, 1, 0, 0, 0, 2}; /* RFC 4486 4 */
		CHECK_MEM(e.msgs[0][nt].b + 19, want, sizeof(want));
	}
	CHECK_EQ(vx0_bgp_rib_count(b), 0);
	/* no restart before the restart time; then it reconnects */
	int c0 = e.connects[0];

	vx0_bgp_timers(b, 29999);
	CHECK_EQ(e.connects[0], c0);
	vx0_bgp_timers(b, 30000);
	CHECK_EQ(e.connects[0], c0 + 1);
	vx0_bgp_destroy(b);
}

static void
test_graceful_restart_helper(void)
{
	static struct env e;
	struct vx0_bgp *b = mk(&e, 65001);
	struct vx0_bgp_peer_config pc = pcfg(65002, 2);
	struct vx0_bgp_neighbor_info ni;
	struct vx0_bgp_path_info pi[2];
	struct vx0_bgp_prefix p;
	struct mb m;

	pc.graceful_restart = true;
	vx0_bgp_peer_add(b, &pc);
	now = 0;
	establish(b, &e, 0, 65002, 0xc6336402, true);
	vx0_bgp_neighbor_info(b, 0, &ni);
	CHECK(ni.caps_gr);
	send_update(b, 0, (uint32_t[]){65002}, 1, NH1, -1, -1,
		    (const uint8_t *)"\x18\xcb\x00\x71\x18\xcb\x00\x72", 8);
	/* the peer restarts: TCP goes away without a NOTIFICATION */
	vx0_bgp_tcp_fail(b, 0, now);
	vx0_bgp_neighbor_info(b, 0, &ni);
	CHECK(ni.gr_stale);
	CHECK_EQ(vx0_bgp_rib_count(b), 2);
	vx0_bgp_prefix_parse("203.0.113.0/24", &p);
	CHECK_EQ(vx0_bgp_rib_lookup(b, &p, pi, 2, NULL), 1);
	CHECK(pi[0].stale && pi[0].best);
	/* it comes back, re-announces one prefix, then End-of-RIB */
	now = 5000;
	vx0_bgp_timers(b, now);
	establish(b, &e, 0, 65002, 0xc6336402, true);
	send_update(b, 0, (uint32_t[]){65002}, 1, NH1, -1, -1, PFX24, 4);
	CHECK_EQ(vx0_bgp_rib_lookup(b, &p, pi, 2, NULL), 1);
	CHECK(!pi[0].stale);
	CHECK_EQ(vx0_bgp_rib_count(b), 2);
	update(&m, NULL, 0, NULL, 0, NULL, 0);
	vx0_bgp_input(b, 0, m.b, m.n, now);
	CHECK_EQ(vx0_bgp_rib_count(b), 1);
	vx0_bgp_neighbor_info(b, 0, &ni);
	CHECK(!ni.gr_stale);
	/* restart time runs out: stale routes go */
	vx0_bgp_tcp_fail(b, 0, now);
	CHECK_EQ(vx0_bgp_rib_count(b), 1);
	vx0_bgp_peer_stop(b, 0, NULL, now); /* stays down */
	vx0_bgp_destroy(b);

	b = mk(&e, 65001);
	vx0_bgp_peer_add(b, &pc);
	establish(b, &e, 0, 65002, 0xc6336402, true);
	send_update(b, 0, (uint32_t[]){65002}, 1, NH1, -1, -1, PFX24, 4);
	vx0_bgp_tcp_fail(b, 0, now);
	CHECK_EQ(vx0_bgp_rib_count(b), 1);
	vx0_bgp_timers(b, now + 120000);
	CHECK_EQ(vx0_bgp_rib_count(b), 0);
	vx0_bgp_destroy(b);
}

static void
test_route_refresh(void)
{
	static struct env e;
	struct vx0_bgp *b = three_peers(&e, 65002, 65003, 65004);
	struct mb m;

	send_update(b, 0, (uint32_t[]){65002}, 1, NH1, -1, -1, PFX24, 4);
	/* we ask peer 0 to resend */
	int n0 = e.n[0];

	CHECK_EQ(vx0_bgp_route_refresh(b, 0, 4), 0);
	CHECK_EQ(e.n[0], n0 + 1);
	CHECK_EQ(e.msgs[0][n0].type, BGP_ROUTE_REFRESH);
	CHECK_EQ(vx0_bgp_route_refresh(b, 0, 6), -EINVAL); /* not negotiated */
	/* peer 1 asks us: the table is sent again */
	int n1 = e.n[1];

	hdr(&m, BGP_ROUTE_REFRESH);
	put(&m, "\x00\x01\x00\x01", 4);
	fin(&m);
	vx0_bgp_input(b, 1, m.b, m.n, now);
	CHECK_EQ(e.n[1], n1 + 1);
	CHECK_EQ(e.msgs[1][n1].type, BGP_UPDATE);
	CHECK_EQ(e.msgs[1][n1].b[e.msgs[1][n1].len - 4], 24);
	struct vx0_bgp_neighbor_info ni;

	vx0_bgp_neighbor_info(b, 1, &ni);
	CHECK_EQ(ni.prefixes_advertised, 1);
	vx0_bgp_destroy(b);
}

static void
test_ipv6_routes(void)
{
	static struct env e;
	struct vx0_bgp *b = mk(&e, 65001);
	struct vx0_bgp_peer_config a = pcfg(65002, 2), c = pcfg(65003, 3);
	struct mb m;

	a.ipv4_unicast = a.ipv6_unicast = true;
	c.ipv4_unicast = c.ipv6_unicast = true;
	c.nexthop6.family = 6;
	memcpy(c.nexthop6.a, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
	vx0_bgp_peer_add(b, &a);
	vx0_bgp_peer_add(b, &c);
	now = 0;
	{
		struct vx0_bgp_addr local = {.family = 4, .a = {198, 51, 100, 1}};

		for (int i = 0; i < 2; i++) {
			vx0_bgp_peer_start(b, i, now);
			vx0_bgp_tcp_up(b, i, &local, now);
			peer_open(&m, i ? 65003 : 65002, 0xc6336402 + (uint32_t)i, 90, false, true);
			vx0_bgp_input(b, i, m.b, m.n, now);
			keepalive(&m);
			vx0_bgp_input(b, i, m.b, m.n, now);
		}
	}
	static const uint8_t at[] = {
		0x40, 0x01, 0x01, 0x00, 0x40, 0x02, 0x06, 0x02, 0x01, 0x00, 0x00, 0xfd, 0xea,
		0x90, 0x0e, 0x00, 0x1c, 0x00, 0x02, 0x01, 0x10,
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0x00,
		0x30, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01,
	};
	e.n[1] = 0;
	update(&m, NULL, 0, at, sizeof(at), NULL, 0);
	vx0_bgp_input(b, 0, m.b, m.n, now);
	CHECK_EQ(vx0_bgp_rib_count(b), 1);
	CHECK_EQ(e.fib_adds, 1);
	CHECK_EQ(e.last_nh[0], 0x20);
	CHECK_EQ(e.last_nh[15], 2);
	/* exported in MP_REACH with next hop 2001:db8::1 */
	CHECK_EQ(e.n[1], 1);
	static const uint8_t mp[] = {0x90, 0x0e, 0x00, 0x1c, 0x00, 0x02, 0x01, 0x10, 0x20, 0x01,
				     0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x00, 0x30,
				     0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01};
	CHECK(memmem(e.msgs[1][0].b, e.msgs[1][0].len, mp, sizeof(mp)) != NULL);
	/* withdrawn via MP_UNREACH */
	update(&m, NULL, 0,
	       "\x80\x0f\x0a\x00\x02\x01\x30\x20\x01\x0d\xb8\x00\x01", 13, NULL, 0);
	vx0_bgp_input(b, 0, m.b, m.n, now);
	CHECK_EQ(vx0_bgp_rib_count(b), 0);
	CHECK_EQ(e.n[1], 2);
	static const uint8_t un[] = {0x00, 0x00, 0x00, 0x0e, 0x90, 0x0f, 0x00, 0x0a, 0x00, 0x02,
				     0x01, 0x30, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01};
	CHECK_EQ(e.msgs[1][1].len, 19 + sizeof(un));
	CHECK_MEM(e.msgs[1][1].b + 19, un, sizeof(un));
	vx0_bgp_destroy(b);
}

static void
test_extended_messages(void)
{
	static struct env e;
	struct vx0_bgp *b = mk(&e, 65001);
	struct vx0_bgp_peer_config a = pcfg(65002, 2), c = pcfg(65003, 3), d = pcfg(65004, 4);
	struct vx0_bgp_neighbor_info ni;
	static struct mb m;

	vx0_bgp_peer_add(b, &a);
	vx0_bgp_peer_add(b, &c);
	vx0_bgp_peer_add(b, &d);
	now = 0;
	open_ext = true;
	establish(b, &e, 0, 65002, 0xc6336402, false);
	establish(b, &e, 1, 65003, 0xc6336403, false);
	open_ext = false;
	establish(b, &e, 2, 65004, 0xc6336404, false);
	vx0_bgp_neighbor_info(b, 0, &ni);
	CHECK(ni.caps_ext);
	vx0_bgp_neighbor_info(b, 2, &ni);
	CHECK(!ni.caps_ext);
	e.n[1] = e.n[2] = 0;
	/* an UPDATE of 4.5 KB: 1100 communities (extended length attribute) */
	uint8_t at[4600];
	size_t al = std_attrs(at, (uint32_t[]){65002}, 1, NH1, -1, -1);

	at[al++] = 0xd0;
	at[al++] = 0x08;
	at[al++] = (1100 * 4) >> 8;
	at[al++] = (1100 * 4) & 0xff;
	for (uint32_t i = 0; i < 1100; i++) {
		at[al++] = 0xfd;
		at[al++] = 0xea;
		at[al++] = (uint8_t)(i >> 8);
		at[al++] = (uint8_t)i;
	}
	hdr(&m, BGP_UPDATE);
	put16(&m, 0);
	put16(&m, (uint16_t)al);
	put(&m, at, al);
	put(&m, PFX24, 4);
	fin(&m);
	CHECK(m.n > 4096);
	vx0_bgp_input(b, 0, m.b, m.n, now);
	vx0_bgp_neighbor_info(b, 0, &ni);
	CHECK_EQ(ni.state, VX0_BGP_ESTABLISHED);
	CHECK_EQ(vx0_bgp_rib_count(b), 1);
	/* to the peer with extended messages: one UPDATE over 4096 bytes */
	CHECK_EQ(e.n[1], 1);
	CHECK(e.msgs[1][0].len > 4096);
	/* to the other: nothing, and nothing counted as advertised */
	CHECK_EQ(e.n[2], 0);
	vx0_bgp_neighbor_info(b, 2, &ni);
	CHECK_EQ(ni.prefixes_advertised, 0);
	vx0_bgp_neighbor_info(b, 1, &ni);
	CHECK_EQ(ni.prefixes_advertised, 1);
	/* a peer without the capability may not send more than 4096 bytes: 1/2 */
	vx0_bgp_input(b, 2, m.b, m.n, now);
	vx0_bgp_neighbor_info(b, 2, &ni);
	CHECK_EQ(ni.state, VX0_BGP_IDLE);
	CHECK(ni.last_error_code == 1 && ni.last_error_subcode == 2);
	vx0_bgp_destroy(b);
}

/* De-configuring a peer on a running speaker: Cease/3 (RFC 4486) to it, its
 * routes out of the RIB and FIB and withdrawn from the others, whose
 * sessions stay up; the freed id is reused by the next peer added. */
static void
test_peer_remove(void)
{
	static struct env e;
	struct vx0_bgp *b = three_peers(&e, 65002, 65003, 65001);
	struct vx0_bgp_peer_config p4 = pcfg(65004, 5), p1 = pcfg(65002, 2);
	struct vx0_bgp_neighbor_info ni;
	static const uint8_t cease3[] = {0x03, 0x06, 0x03}; /* NOTIFICATION, Cease, De-configured */
	static const struct vx0_bgp_policy pol = {.default_action = VX0_BGP_ACCEPT};
	const struct sent *s;

	send_update(b, 0, (uint32_t[]){65002, 65020}, 2, NH1, -1, -1, PFX24, 4);
	CHECK_EQ(e.fib_adds, 1);
	CHECK_EQ(vx0_bgp_rib_count(b), 1);
	e.n[0] = e.n[1] = e.n[2] = 0;
	CHECK_EQ(vx0_bgp_peer_remove(b, 0, now), 0);
	CHECK_EQ(e.n[0], 1);
	s = &e.msgs[0][0];
	CHECK_EQ(s->len, 21);
	CHECK_MEM(s->b + 18, cease3, sizeof(cease3));
	CHECK_EQ(e.disconnects[0], 1);
	CHECK_EQ(e.fib_dels, 1);
	CHECK_EQ(vx0_bgp_rib_count(b), 0);
	/* the others: a withdrawal each, still Established */
	CHECK_EQ(e.n[1], 1);
	CHECK_EQ(e.msgs[1][0].type, BGP_UPDATE);
	CHECK_EQ(e.disconnects[1], 0);
	CHECK_EQ(vx0_bgp_neighbor_info(b, 1, &ni), 0);
	CHECK_EQ(ni.state, VX0_BGP_ESTABLISHED);
	CHECK_EQ(vx0_bgp_neighbor_info(b, 2, &ni), 0);
	CHECK_EQ(ni.state, VX0_BGP_ESTABLISHED);
	/* gone from every query and command */
	CHECK_EQ(vx0_bgp_neighbor_info(b, 0, &ni), -ENOENT);
	CHECK_EQ(vx0_bgp_peer_find(b, &p1.addr), -ENOENT);
	CHECK(vx0_bgp_peer_config(b, 0) == NULL);
	CHECK_EQ(vx0_bgp_peer_remove(b, 0, now), -ENOENT);
	CHECK_EQ(vx0_bgp_peer_start(b, 0, now), -ENOENT);
	CHECK_EQ(vx0_bgp_peer_set_policies(b, 0, &pol, NULL), -ENOENT);
	CHECK_EQ(vx0_bgp_peer_count(b), 3);
	/* its timers are off: time passing (past ConnectRetry, within the others'
	 * hold time) brings no connect for it */
	{
		int c0 = e.connects[0];

		now += 30000;
		vx0_bgp_timers(b, now);
		CHECK_EQ(e.connects[0], c0);
	}
	/* a new peer takes the free id and comes up on its own */
	CHECK_EQ(vx0_bgp_peer_add(b, &p4), 0);
	CHECK_EQ(vx0_bgp_peer_count(b), 3);
	CHECK(vx0_bgp_peer_config(b, 0)->addr.a[3] == 5);
	CHECK_EQ(vx0_bgp_neighbor_info(b, 0, &ni), 0);
	CHECK_EQ(ni.state, VX0_BGP_IDLE);
	CHECK_EQ(ni.prefixes_received, 0);
	establish(b, &e, 0, 65004, 0xc6336405, false);
	CHECK_EQ(vx0_bgp_neighbor_info(b, 0, &ni), 0);
	CHECK_EQ(ni.state, VX0_BGP_ESTABLISHED);
	/* the same address again is refused while configured; a fourth id is new */
	CHECK_EQ(vx0_bgp_peer_add(b, &p4), -EEXIST);
	CHECK_EQ(vx0_bgp_peer_add(b, &p1), 3);
	/* policies are swapped in place: the session stays */
	CHECK_EQ(vx0_bgp_peer_set_policies(b, 1, &pol, &pol), 0);
	CHECK(vx0_bgp_peer_config(b, 1)->import == &pol);
	CHECK_EQ(vx0_bgp_neighbor_info(b, 1, &ni), 0);
	CHECK_EQ(ni.state, VX0_BGP_ESTABLISHED);
	vx0_bgp_destroy(b);
}

/* Policies changed on a live session: the export side is re-run (a
 * withdrawal for what it now rejects), the import side asks for a route
 * refresh; no session restarts. */
static void
test_policy_update_live(void)
{
	static struct env e;
	struct vx0_bgp *b = three_peers(&e, 65002, 65003, 65001);
	struct vx0_bgp_neighbor_info ni;
	static const struct vx0_bgp_policy reject_all = {.default_action = VX0_BGP_REJECT};
	static const struct vx0_bgp_policy accept_all = {.default_action = VX0_BGP_ACCEPT};
	static const uint8_t rr4[4] = {0x00, 0x01, 0x00, 0x01}; /* RFC 2918 3: AFI 1, SAFI 1 */
	static const uint8_t wd[] = {0x00, 0x04, 0x18, 0xcb, 0x00, 0x71, 0x00, 0x00};

	send_update(b, 0, (uint32_t[]){65002, 65020}, 2, NH1, -1, -1, PFX24, 4);
	CHECK_EQ(vx0_bgp_neighbor_info(b, 1, &ni), 0);
	CHECK_EQ(ni.prefixes_advertised, 1);
	e.n[0] = e.n[1] = 0;
	/* peer 1's export now rejects everything: a withdrawal, the session stays */
	CHECK_EQ(vx0_bgp_peer_update_policies(b, 1, NULL, &reject_all, false, now), 0);
	CHECK_EQ(e.n[1], 1);
	CHECK_EQ(e.msgs[1][0].len, 19 + sizeof(wd));
	CHECK_MEM(e.msgs[1][0].b + 19, wd, sizeof(wd));
	CHECK_EQ(vx0_bgp_neighbor_info(b, 1, &ni), 0);
	CHECK_EQ(ni.prefixes_advertised, 0);
	CHECK_EQ(ni.state, VX0_BGP_ESTABLISHED);
	CHECK_EQ(ni.established_count, 1);
	/* and back: announced again */
	CHECK_EQ(vx0_bgp_peer_update_policies(b, 1, NULL, &accept_all, false, now), 0);
	CHECK_EQ(e.n[1], 2);
	CHECK_EQ(e.msgs[1][1].type, BGP_UPDATE);
	vx0_bgp_neighbor_info(b, 1, &ni);
	CHECK_EQ(ni.prefixes_advertised, 1);
	/* peer 0's import changed: a ROUTE-REFRESH for IPv4 unicast goes out */
	CHECK_EQ(vx0_bgp_peer_update_policies(b, 0, &reject_all, NULL, true, now), 1);
	CHECK_EQ(e.n[0], 1);
	CHECK_EQ(e.msgs[0][0].type, 5);
	CHECK_EQ(e.msgs[0][0].len, 23);
	CHECK_MEM(e.msgs[0][0].b + 19, rr4, 4);
	CHECK(vx0_bgp_peer_config(b, 0)->import == &reject_all);
	/* the peer re-sends its route: now rejected, out of the FIB */
	{
		int dels = e.fib_dels;

		send_update(b, 0, (uint32_t[]){65002, 65020}, 2, NH1, -1, -1, PFX24, 4);
		CHECK_EQ(e.fib_dels, dels + 1);
		vx0_bgp_neighbor_info(b, 0, &ni);
		CHECK_EQ(ni.prefixes_accepted, 0);
		CHECK_EQ(ni.state, VX0_BGP_ESTABLISHED);
	}
	CHECK_EQ(e.disconnects[0] + e.disconnects[1], 0);
	CHECK_EQ(vx0_bgp_peer_update_policies(b, 9, NULL, NULL, false, now), -ENOENT);
	vx0_bgp_destroy(b);
}

static void
test_prefix_text(void)
{
	struct vx0_bgp_prefix p;
	char buf[64];

	CHECK_EQ(vx0_bgp_prefix_parse("203.0.113.77/24", &p), 0);
	vx0_bgp_prefix_format(&p, buf, sizeof(buf));
	CHECK(strcmp(buf, "203.0.113.0/24") == 0);
	CHECK_EQ(vx0_bgp_prefix_parse("2001:db8::/129", &p), -EINVAL);
	CHECK_EQ(vx0_bgp_prefix_parse("203.0.113.0/", &p), -EINVAL);
	CHECK_EQ(vx0_bgp_prefix_parse("nonsense", &p), -EINVAL);
	CHECK_EQ(vx0_bgp_prefix_parse("2001:db8:1::/48", &p), 0);
	vx0_bgp_prefix_format(&p, buf, sizeof(buf));
	CHECK(strcmp(buf, "2001:db8:1::/48") == 0);
}

int
main(void)
{
	vx0_log_set_level(VX0_LOG_ERR);
	bgp_attr_build_init(&B);
	VX0_RUN(test_header);
	VX0_RUN(test_open_codec);
	VX0_RUN(test_notification_codec);
	VX0_RUN(test_nlri);
	VX0_RUN(test_update_ok);
	VX0_RUN(test_update_reset_cases);
	VX0_RUN(test_update_withdraw_cases);
	VX0_RUN(test_update_mp_and_eor);
	VX0_RUN(test_update_as4_merge);
	VX0_RUN(test_attr_encode);
	VX0_RUN(test_attr_intern_random);
	VX0_RUN(test_bird_vectors);
	VX0_RUN(test_fsm_establish_and_hold);
	VX0_RUN(test_fsm_connect_retry);
	VX0_RUN(test_fsm_delay_open);
	VX0_RUN(test_fsm_errors);
	VX0_RUN(test_fsm_collision);
	VX0_RUN(test_decision);
	VX0_RUN(test_fib_and_export);
	VX0_RUN(test_nlri_lookahead);
	VX0_RUN(test_interning);
	VX0_RUN(test_policy);
	VX0_RUN(test_max_prefix);
	VX0_RUN(test_graceful_restart_helper);
	VX0_RUN(test_route_refresh);
	VX0_RUN(test_ipv6_routes);
	VX0_RUN(test_extended_messages);
	VX0_RUN(test_prefix_text);
	VX0_RUN(test_peer_remove);
	VX0_RUN(test_policy_update_live);
	bgp_attr_build_fini(&B);
	return vx0_test_done();
}
