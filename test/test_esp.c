/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ESP tunnel mode: known-answer packets (RFC 7634 Appendix A,
 * draft-mcgrew-gcm-test-01), the anti-replay window with ESN, lifetimes,
 * round trips for every outer/inner family pair and UDP encapsulation,
 * and every bad input dropped with its reason, the SA still usable.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "esp_hex.h"
#include "vx0_crypto_sodium.h"
#include "vx0_esp.h"
#include "vx0_test.h"

#define HEADROOM 128
#define BUFSZ 4096

static struct vx0_crypto_registry reg;
static struct vx0_crypto_engine *eng;
static int have_gcm;

static const uint8_t KEY[32] = { 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87,
				 0x88, 0x89, 0x8a, 0x8b, 0x8c, 0x8d, 0x8e, 0x8f,
				 0x90, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97,
				 0x98, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f };
static const uint8_t SALT[4] = { 0xa0, 0xa1, 0xa2, 0xa3 };

/* RFC 7634 Appendix A: the inner packet and the ESP packet (SPI 01020304,
 * seq 5, IV 1011121314151617). */
static const char *RFC7634_INNER =
	"45000054a6f200004001e778c6336405c000020508005b7a3a080000553bec10"
	"0007362708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223"
	"2425262728292a2b2c2d2e2f3031323334353637";
static const char *RFC7634_ESP =
	"01020304000000051011121314151617"
	"24039428b97f417e3c13753a4f05087b67c352e6a7fab1b982d466ef407ae5c6"
	"14ee8099d52844eb61aa95dfab4c02f72aa71e7c4c4f64c9befe2facc638e8f3"
	"cbec163fac469b502773f6fb94e664da9165b82829f641e0"
	"76aaa8266b7fb0f7b11b369907e1ad43";

struct pkt {
	uint8_t mem[BUFSZ];
	struct vx0_esp_buf b;
};

static void
pkt_set(struct pkt *p, const uint8_t *data, uint32_t len)
{
	memcpy(p->mem + HEADROOM, data, len);
	p->b.data = p->mem + HEADROOM;
	p->b.len = len;
	p->b.headroom = HEADROOM;
	p->b.tailroom = BUFSZ - HEADROOM - len;
}

static size_t
H(const char *hex, uint8_t *out, size_t cap)
{
	long n = esp_unhex(hex, out, cap);

	CHECK(n >= 0);
	return n < 0 ? 0 : (size_t)n;
}

static void
addr(uint8_t family, const char *s, uint8_t out[16])
{
	memset(out, 0, 16);
	CHECK_EQ(inet_pton(family == 4 ? AF_INET : AF_INET6, s, out), 1);
}

static struct vx0_esp_sa_conf
conf(enum vx0_esp_dir dir, enum vx0_crypto_alg alg, uint8_t family, uint32_t spi)
{
	struct vx0_esp_sa_conf c = { .spi = spi, .dir = dir, .alg = alg, .key = KEY,
				     .salt = SALT, .engine = eng, .family = family };

	addr(family, family == 4 ? "203.0.113.1" : "2001:db8::1", c.src);
	addr(family, family == 4 ? "198.51.100.1" : "2001:db8:1::1", c.dst);
	return c;
}

static struct vx0_esp_sa *
mk(const struct vx0_esp_sa_conf *c)
{
	struct vx0_esp_sa *sa = NULL;

	CHECK_EQ(vx0_esp_sa_create(c, &sa), 0);
	return sa;
}

/* one packet through prepare / engine / finish */
static int
encap(struct vx0_esp_sa *sa, struct pkt *p)
{
	struct vx0_esp_op op;
	struct vx0_crypto_op *cop = &op.cop;
	int rc = vx0_esp_encap_prepare(sa, &p->b, &op), rc2;

	if (rc < 0)
		return rc;
	CHECK_EQ(vx0_crypto_encrypt_burst(eng, 0, &cop, 1), 1);
	rc2 = vx0_esp_encap_finish(sa, &p->b, &op);
	return rc2 < 0 ? rc2 : (rc | rc2);
}

static int
decap(struct vx0_esp_sa *sa, struct pkt *p)
{
	struct vx0_esp_op op;
	struct vx0_crypto_op *cop = &op.cop;
	uint32_t spi;
	int rc;

	if (vx0_esp_peek_spi(&p->b, &spi) == 0)
		CHECK_EQ(spi, sa->spi);
	rc = vx0_esp_decap_prepare(sa, &p->b, &op);
	if (rc < 0)
		return rc;
	CHECK_EQ(vx0_crypto_decrypt_burst(eng, 0, &cop, 1), 1);
	return vx0_esp_decap_finish(sa, &p->b, &op);
}

/* a small IPv4 or IPv6 UDP packet of total length len */
static uint32_t
inner_packet(uint8_t *out, int v6, uint32_t len, uint8_t fill)
{
	uint32_t i;

	memset(out, 0, len);
	if (!v6) {
		out[0] = 0x45;
		out[1] = 0x2e; /* DSCP EF-ish + ECN 2 */
		out[2] = (uint8_t)(len >> 8);
		out[3] = (uint8_t)len;
		out[6] = 0x40; /* DF */
		out[8] = 17;
		out[9] = 17;
		addr(4, "198.51.100.20", out + 12);
		addr(4, "203.0.113.20", out + 16);
		for (i = 20; i < len; i++)
			out[i] = (uint8_t)(fill + i);
	} else {
		out[0] = 0x6b;
		out[1] = 0x80;
		out[4] = (uint8_t)((len - 40) >> 8);
		out[5] = (uint8_t)(len - 40);
		out[6] = 17;
		out[7] = 9;
		addr(6, "2001:db8:2::20", out + 8);
		addr(6, "2001:db8:3::20", out + 24);
		for (i = 40; i < len; i++)
			out[i] = (uint8_t)(fill + i);
	}
	return len;
}

static uint16_t
csum(const uint8_t *p, uint32_t len, uint32_t sum)
{
	uint32_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Wrap raw ESP bytes in an outer IPv4 header. */
static void
wrap_v4(struct pkt *p, const uint8_t *esp, uint32_t len)
{
	uint8_t tmp[BUFSZ];

	memset(tmp, 0, 20);
	tmp[0] = 0x45;
	tmp[2] = (uint8_t)((len + 20) >> 8);
	tmp[3] = (uint8_t)(len + 20);
	tmp[8] = 64;
	tmp[9] = 50;
	addr(4, "198.51.100.1", tmp + 12);
	addr(4, "203.0.113.1", tmp + 16);
	memcpy(tmp + 20, esp, len);
	pkt_set(p, tmp, len + 20);
}

/* Build an authentic ESP packet with arbitrary trailer bytes: body is
 * the full plaintext (payload + padding + pad length + next header). */
static void
forge(struct pkt *p, uint32_t spi, uint32_t seq, const uint8_t *body, uint32_t blen)
{
	uint8_t esp[BUFSZ];
	struct vx0_crypto_sess *s = NULL;
	struct vx0_crypto_op op, *ops[1] = { &op };

	esp[0] = (uint8_t)(spi >> 24);
	esp[1] = (uint8_t)(spi >> 16);
	esp[2] = (uint8_t)(spi >> 8);
	esp[3] = (uint8_t)spi;
	esp[4] = (uint8_t)(seq >> 24);
	esp[5] = (uint8_t)(seq >> 16);
	esp[6] = (uint8_t)(seq >> 8);
	esp[7] = (uint8_t)seq;
	memset(esp + 8, 0x42, 8);
	esp[15] = (uint8_t)seq;
	memcpy(esp + 16, body, blen);
	CHECK_EQ(vx0_crypto_sess_create(eng, VX0_CRYPTO_CHACHA20_POLY1305, KEY, SALT, &s), 0);
	op = (struct vx0_crypto_op){ .sess = s, .iv = esp + 8, .aad = esp, .aad_len = 8,
				     .data = esp + 16, .data_len = blen, .tag = esp + 16 + blen };
	vx0_crypto_encrypt_burst(eng, 0, ops, 1);
	vx0_crypto_sess_destroy(eng, s);
	wrap_v4(p, esp, 16 + blen + 16);
}

/* RFC 7634 Appendix A, outbound: our encap of the inner packet with SPI
 * 01020304, sequence 5 and IV 1011121314151617 is byte-exact the RFC's
 * ESP packet, under a correct outer IPv4 header. */
static void
test_kat_rfc7634_encap(void)
{
	uint8_t inner[128], esp[256], seed[8];
	size_t ilen = H(RFC7634_INNER, inner, sizeof(inner));
	size_t elen = H(RFC7634_ESP, esp, sizeof(esp));
	struct vx0_esp_sa_conf c = conf(VX0_ESP_DIR_OUT, VX0_CRYPTO_CHACHA20_POLY1305, 4,
					0x01020304);
	struct vx0_esp_sa *sa;
	uint64_t s = 0x1011121314151617ull - 5;
	struct pkt p;
	int i;

	for (i = 0; i < 8; i++)
		seed[i] = (uint8_t)(s >> (56 - 8 * i));
	c.seq = 4;
	c.iv_seed = seed;
	sa = mk(&c);
	if (!sa)
		return;
	pkt_set(&p, inner, (uint32_t)ilen);
	CHECK_EQ(encap(sa, &p), 0);
	CHECK_EQ(p.b.len, 20 + elen);
	CHECK_MEM(p.b.data + 20, esp, elen);
	CHECK_EQ(p.b.data[0], 0x45);
	CHECK_EQ(p.b.data[2] << 8 | p.b.data[3], 20 + elen);
	CHECK_EQ(p.b.data[6] & 0x40, 0); /* inner DF clear -> outer DF clear */
	CHECK_EQ(p.b.data[8], 64);
	CHECK_EQ(p.b.data[9], 50);
	CHECK_EQ(csum(p.b.data, 20, 0), 0);
	CHECK_MEM(p.b.data + 12, c.src, 4);
	CHECK_MEM(p.b.data + 16, c.dst, 4);
	CHECK_EQ(p.b.headroom, HEADROOM - 36);
	CHECK_EQ(sa->seq, 5);
	CHECK_EQ(sa->stats.packets, 1);
	CHECK_EQ(sa->stats.bytes, ilen);
	vx0_esp_sa_destroy(sa);
}

/* RFC 7634 Appendix A, inbound: the RFC's packet decaps to its inner
 * packet; the same packet again is a replay; the SA goes on working. */
static void
test_kat_rfc7634_decap(void)
{
	uint8_t inner[128], esp[256];
	size_t ilen = H(RFC7634_INNER, inner, sizeof(inner));
	size_t elen = H(RFC7634_ESP, esp, sizeof(esp));
	struct vx0_esp_sa_conf c = conf(VX0_ESP_DIR_IN, VX0_CRYPTO_CHACHA20_POLY1305, 4,
					0x01020304);
	struct vx0_esp_sa *sa = mk(&c);
	struct pkt p;
	uint32_t spi = 0;

	if (!sa)
		return;
	wrap_v4(&p, esp, (uint32_t)elen);
	CHECK_EQ(vx0_esp_peek_spi(&p.b, &spi), 0);
	CHECK_EQ(spi, 0x01020304);
	CHECK_EQ(decap(sa, &p), 0);
	CHECK_EQ(p.b.len, ilen);
	CHECK_MEM(p.b.data, inner, ilen);
	CHECK_EQ(p.b.headroom, HEADROOM + 36);
	CHECK_EQ(sa->seq, 5);
	wrap_v4(&p, esp, (uint32_t)elen);
	CHECK_EQ(decap(sa, &p), -EALREADY);
	CHECK_EQ(sa->stats.drops[VX0_ESP_DROP_REPLAY], 1);
	CHECK_EQ(sa->stats.packets, 1);
	vx0_esp_sa_destroy(sa);
}

/* draft-mcgrew-gcm-test-01's AES-256 ESP packet (SPI 4a2cbfe3, seq 2,
 * salt 11223344): it authenticates under our nonce/AAD rules; its next
 * header is 1, not a tunnel payload, so it is dropped as bad next header
 * (not auth), and it still counts as seen in the window. */
static void
test_kat_gcm_mcgrew_decap(void)
{
	static const uint8_t key[32] = { 0xab, 0xbc, 0xcd, 0xde, 0xf0, 0x01, 0x12, 0x23,
					 0x34, 0x45, 0x56, 0x67, 0x78, 0x89, 0x9a, 0xab,
					 0xab, 0xbc, 0xcd, 0xde, 0xf0, 0x01, 0x12, 0x23,
					 0x34, 0x45, 0x56, 0x67, 0x78, 0x89, 0x9a, 0xab };
	static const uint8_t salt[4] = { 0x11, 0x22, 0x33, 0x44 };
	uint8_t esp[256];
	size_t elen = H("4a2cbfe3000000020102030405060708"
			"ff425c9b724599df7a3bcd510194e00d6a78107f1b0b1cbf06efae9d65a5d763"
			"748a637985771d347f0545659f14e99def842d8eb335f4eecfdbf831824b4c49"
			"15956c96",
			esp, sizeof(esp));
	struct vx0_esp_sa_conf c = conf(VX0_ESP_DIR_IN, VX0_CRYPTO_AES_256_GCM, 4, 0x4a2cbfe3);
	struct vx0_esp_sa *sa;
	struct pkt p;

	if (!have_gcm)
		return;
	c.key = key;
	c.salt = salt;
	sa = mk(&c);
	if (!sa)
		return;
	esp[elen - 1] ^= 1;
	wrap_v4(&p, esp, (uint32_t)elen);
	CHECK_EQ(decap(sa, &p), -EBADMSG);
	CHECK_EQ(sa->stats.drops[VX0_ESP_DROP_AUTH], 1);
	esp[elen - 1] ^= 1;
	wrap_v4(&p, esp, (uint32_t)elen);
	CHECK_EQ(decap(sa, &p), -EPROTONOSUPPORT);
	CHECK_EQ(sa->stats.drops[VX0_ESP_DROP_BAD_NEXT_HDR], 1);
	CHECK_EQ(sa->stats.drops[VX0_ESP_DROP_AUTH], 1);
	/* decrypted in place: the payload is the reference plaintext */
	{
		uint8_t pt[64];
		size_t n = H("4500003069a6400080062690c0a801029389155e0a9e008b2dc57ee000000000"
			     "7002400020bf0000020405b40101040201020201", pt, sizeof(pt));
		CHECK_MEM(p.b.data + 20 + 16, pt, n);
	}
	CHECK_EQ(sa->seq, 2);
	wrap_v4(&p, esp, (uint32_t)elen);
	CHECK_EQ(decap(sa, &p), -EALREADY);
	vx0_esp_sa_destroy(sa);
}

/* encap -> decap for one configuration, several sizes */
static void
round_trip(enum vx0_crypto_alg alg, uint8_t outer, int inner_v6, int udp, int esn,
	   uint16_t tfc)
{
	struct vx0_esp_sa_conf co = conf(VX0_ESP_DIR_OUT, alg, outer, 0xc0ffee00 + outer);
	struct vx0_esp_sa_conf ci = conf(VX0_ESP_DIR_IN, alg, outer, 0xc0ffee00 + outer);
	struct vx0_esp_sa *so, *si;
	static const uint32_t sizes[] = { 41, 64, 100, 511, 512, 1420 };
	uint8_t in[2048];
	struct pkt p;
	unsigned int k;

	co.esn = ci.esn = esn;
	if (udp) {
		co.udp_sport = 4500;
		co.udp_dport = 4501;
		ci.udp_sport = 4501;
		ci.udp_dport = 4500;
	}
	co.tfc_pad = tfc;
	so = mk(&co);
	si = mk(&ci);
	if (!so || !si)
		goto out;
	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		uint32_t n = inner_packet(in, inner_v6, sizes[k] < 41 && inner_v6 ? 41 : sizes[k],
					  (uint8_t)k);
		uint32_t olen = outer == 4 ? 20 : 40, ulen = udp ? 8 : 0, body, esp_len;
		uint8_t *o;

		pkt_set(&p, in, n);
		CHECK_EQ(encap(so, &p), 0);
		o = p.b.data;
		body = (n < tfc ? tfc : n);
		esp_len = 16 + ((body + 2 + 3) & ~3u) + 16;
		CHECK_EQ(p.b.len, olen + ulen + esp_len);
		CHECK_EQ(o[0] >> 4, outer);
		if (outer == 4) {
			CHECK_EQ(o[9], udp ? 17 : 50);
			CHECK_EQ(o[8], 64);
			CHECK_EQ(o[1], inner_v6 ? 0xb8 : 0x2e); /* TOS copied */
			CHECK_EQ(o[6] & 0x40, 0x40);          /* DF copied / set for v6 */
			CHECK_EQ(csum(o, 20, 0), 0);
		} else {
			CHECK_EQ(o[6], udp ? 17 : 50);
			CHECK_EQ(o[7], 64);
			CHECK_EQ(o[4] << 8 | o[5], p.b.len - 40);
		}
		if (udp) {
			uint8_t *u = o + olen;

			CHECK_EQ(u[0] << 8 | u[1], 4500);
			CHECK_EQ(u[2] << 8 | u[3], 4501);
			CHECK_EQ(u[4] << 8 | u[5], p.b.len - olen);
			if (outer == 6) { /* a valid UDP checksum over the pseudo header */
				uint32_t s = 0, ul = p.b.len - 40, i;

				for (i = 8; i < 40; i += 2)
					s += (uint32_t)(o[i] << 8 | o[i + 1]);
				s += ul + 17;
				CHECK(u[6] | u[7]);
				CHECK_EQ(csum(u, ul, s), 0);
			} else {
				CHECK_EQ(u[6] | u[7], 0);
			}
		}
		CHECK_EQ(decap(si, &p), 0);
		CHECK_EQ(p.b.len, n);
		CHECK_MEM(p.b.data, in, n);
		CHECK(p.b.data == p.mem + HEADROOM);
		CHECK_EQ(p.b.headroom, HEADROOM);
		CHECK_EQ(p.b.tailroom, BUFSZ - HEADROOM - n);
	}
	CHECK_EQ(so->stats.packets, k);
	CHECK_EQ(si->stats.packets, k);
	CHECK_EQ(si->stats.bytes, so->stats.bytes);
	for (k = 0; k < VX0_ESP_DROP_MAX; k++) {
		CHECK_EQ(so->stats.drops[k], 0);
		CHECK_EQ(si->stats.drops[k], 0);
	}
out:
	vx0_esp_sa_destroy(so);
	vx0_esp_sa_destroy(si);
}

static void
test_round_trips(void)
{
	enum vx0_crypto_alg algs[2] = { VX0_CRYPTO_CHACHA20_POLY1305, VX0_CRYPTO_AES_256_GCM };
	int a, outer, inner, udp, esn;

	for (a = 0; a < (have_gcm ? 2 : 1); a++)
		for (outer = 4; outer <= 6; outer += 2)
			for (inner = 0; inner < 2; inner++)
				for (udp = 0; udp < 2; udp++)
					for (esn = 0; esn < 2; esn++)
						round_trip(algs[a], (uint8_t)outer, inner, udp,
							   esn, 0);
}

static void
test_tfc_padding(void)
{
	round_trip(VX0_CRYPTO_CHACHA20_POLY1305, 4, 0, 0, 0, 600);
	round_trip(VX0_CRYPTO_CHACHA20_POLY1305, 6, 1, 1, 1, 1000);
}

/* A burst of 32 through one engine call each way; a duplicate inside a
 * burst is caught at finish (the check at prepare cannot see it). */
static void
test_burst(void)
{
	enum { N = 32 };
	struct vx0_esp_sa_conf co = conf(VX0_ESP_DIR_OUT, VX0_CRYPTO_CHACHA20_POLY1305, 4, 77);
	struct vx0_esp_sa_conf ci = conf(VX0_ESP_DIR_IN, VX0_CRYPTO_CHACHA20_POLY1305, 4, 77);
	struct vx0_esp_sa *so = mk(&co), *si = mk(&ci);
	static struct pkt p[N + 1];
	struct vx0_esp_op op[N + 1];
	struct vx0_crypto_op *cops[N + 1];
	uint8_t in[N][300];
	int i;

	if (!so || !si)
		goto out;
	for (i = 0; i < N; i++) {
		uint32_t n = inner_packet(in[i], i & 1, (uint32_t)(60 + i * 7), (uint8_t)i);

		pkt_set(&p[i], in[i], n);
		CHECK_EQ(vx0_esp_encap_prepare(so, &p[i].b, &op[i]), 0);
		cops[i] = &op[i].cop;
	}
	CHECK_EQ(vx0_crypto_encrypt_burst(eng, 0, cops, N), N);
	for (i = 0; i < N; i++)
		CHECK_EQ(vx0_esp_encap_finish(so, &p[i].b, &op[i]), 0);
	/* packet N is a copy of packet 5, received in the same burst */
	pkt_set(&p[N], p[5].b.data, p[5].b.len);
	for (i = 0; i <= N; i++) {
		CHECK_EQ(vx0_esp_decap_prepare(si, &p[i].b, &op[i]), 0);
		cops[i] = &op[i].cop;
	}
	CHECK_EQ(vx0_crypto_decrypt_burst(eng, 0, cops, N + 1), N + 1);
	for (i = 0; i < N; i++) {
		CHECK_EQ(vx0_esp_decap_finish(si, &p[i].b, &op[i]), 0);
		CHECK_EQ(p[i].b.len, 60 + i * 7);
		CHECK_MEM(p[i].b.data, in[i], p[i].b.len);
	}
	CHECK_EQ(vx0_esp_decap_finish(si, &p[N].b, &op[N]), -EALREADY);
	CHECK_EQ(si->stats.drops[VX0_ESP_DROP_REPLAY], 1);
	CHECK_EQ(si->stats.packets, N);
	CHECK_EQ(si->seq, N);
out:
	vx0_esp_sa_destroy(so);
	vx0_esp_sa_destroy(si);
}

/* Window semantics for each size 64..4096 (non-ESN): edges, duplicates,
 * far-future jumps. */
static void
test_replay_window_sizes(void)
{
	uint32_t w;

	for (w = 64; w <= 4096; w *= 2) {
		struct vx0_esp_sa_conf c = conf(VX0_ESP_DIR_IN, VX0_CRYPTO_CHACHA20_POLY1305, 4, 1);
		struct vx0_esp_sa *sa;
		uint64_t s;
		uint32_t top = 3 * w + 17, i;

		c.replay_window = w;
		sa = mk(&c);
		if (!sa)
			return;
		CHECK_EQ(sa->window, w);
		CHECK_EQ(vx0_esp_replay_check(sa, 0, &s), -EALREADY); /* seq 0 */
		CHECK_EQ(vx0_esp_replay_check(sa, 1, &s), 0);
		CHECK_EQ(s, 1);
		CHECK_EQ(vx0_esp_replay_update(sa, top), 0);
		/* right edge: top is a duplicate, top+1 new */
		CHECK_EQ(vx0_esp_replay_check(sa, top, &s), -EALREADY);
		CHECK_EQ(vx0_esp_replay_check(sa, top + 1, &s), 0);
		/* left edge: top-w+1 is the oldest in the window, top-w is out */
		CHECK_EQ(vx0_esp_replay_check(sa, top - w + 1, &s), 0);
		CHECK_EQ(vx0_esp_replay_check(sa, top - w, &s), -EALREADY);
		CHECK_EQ(vx0_esp_replay_update(sa, top - w + 1), 0);
		CHECK_EQ(vx0_esp_replay_update(sa, top - w + 1), -EALREADY);
		CHECK_EQ(vx0_esp_replay_update(sa, top - w), -EALREADY);
		/* every number in the window accepted once, in reverse order */
		for (i = top - 1; i > top - w + 1; i--)
			CHECK_EQ(vx0_esp_replay_update(sa, i), 0);
		for (i = top - w + 1; i <= top; i++)
			CHECK_EQ(vx0_esp_replay_check(sa, i, &s), -EALREADY);
		/* slide by one: the old left edge leaves, the rest stay seen */
		CHECK_EQ(vx0_esp_replay_update(sa, top + 1), 0);
		CHECK_EQ(vx0_esp_replay_check(sa, top - w + 2, &s), -EALREADY);
		CHECK_EQ(vx0_esp_replay_check(sa, top - w + 1, &s), -EALREADY);
		/* far-future jump: everything before falls out, nothing stale */
		CHECK_EQ(vx0_esp_replay_update(sa, top + 10 * w), 0);
		CHECK_EQ(vx0_esp_replay_check(sa, top + 10 * w - w + 1, &s), 0);
		CHECK_EQ(vx0_esp_replay_check(sa, top + 10 * w - 1, &s), 0);
		CHECK_EQ(vx0_esp_replay_check(sa, top + 1, &s), -EALREADY);
		/* a jump of just under the window keeps old bits right */
		CHECK_EQ(vx0_esp_replay_update(sa, top + 10 * w - 5), 0);
		CHECK_EQ(vx0_esp_replay_update(sa, top + 11 * w - 6), 0);
		CHECK_EQ(vx0_esp_replay_check(sa, top + 10 * w - 5, &s), -EALREADY);
		CHECK_EQ(vx0_esp_replay_check(sa, top + 10 * w - 4, &s), 0);
		CHECK_EQ(vx0_esp_replay_check(sa, top + 10 * w - 6, &s), -EALREADY);
		/* non-ESN: 32-bit sequence numbers up to 2^32-1 */
		CHECK_EQ(vx0_esp_replay_update(sa, 0xffffffffu), 0);
		CHECK_EQ(vx0_esp_replay_check(sa, 0xfffffffeu, &s), 0);
		CHECK_EQ(vx0_esp_replay_check(sa, 5, &s), -EALREADY);
		vx0_esp_sa_destroy(sa);
	}
}

/* ESN (RFC 4303 Appendix A2.2): inference of the high half across the
 * 2^32 boundary, cases A and B, and the start of the sequence space. */
static void
test_replay_esn_wrap(void)
{
	struct vx0_esp_sa_conf c = conf(VX0_ESP_DIR_IN, VX0_CRYPTO_CHACHA20_POLY1305, 4, 1);
	struct vx0_esp_sa *sa;
	const uint64_t B = 1ull << 32;
	uint64_t s;

	c.esn = true;
	c.replay_window = 64;
	sa = mk(&c);
	if (!sa)
		return;
	/* start: T = 0 (case B with Th = 0): numbers "before" 0 are refused */
	CHECK_EQ(vx0_esp_replay_check(sa, 0xffffffffu, &s), -EALREADY);
	CHECK_EQ(vx0_esp_replay_check(sa, 0, &s), -EALREADY);
	CHECK_EQ(vx0_esp_replay_check(sa, 1, &s), 0);
	CHECK_EQ(s, 1);
	/* case A just below the boundary: T = 2^32 - 10 */
	CHECK_EQ(vx0_esp_replay_update(sa, B - 10), 0);
	CHECK_EQ(vx0_esp_replay_check(sa, 5, &s), 0);
	CHECK_EQ(s, B + 5); /* wrapped into the next subspace */
	CHECK_EQ(vx0_esp_replay_check(sa, 0xfffffff0u, &s), 0);
	CHECK_EQ(s, 0xfffffff0u);
	CHECK_EQ(vx0_esp_replay_check(sa, (uint32_t)(B - 10 - 63), &s), 0);
	CHECK_EQ(s, B - 10 - 63);
	CHECK_EQ(vx0_esp_replay_check(sa, (uint32_t)(B - 10 - 64), &s), 0);
	CHECK_EQ(s, 2 * B - 10 - 64); /* below the window: inferred as next subspace */
	/* cross: T = 2^32 + 5, case B (Tl < W-1) */
	CHECK_EQ(vx0_esp_replay_update(sa, B + 5), 0);
	CHECK_EQ(vx0_esp_replay_check(sa, 0xfffffffau, &s), 0);
	CHECK_EQ(s, B - 6);
	CHECK_EQ(vx0_esp_replay_update(sa, B - 6), 0);
	CHECK_EQ(vx0_esp_replay_check(sa, 0xfffffffau, &s), -EALREADY);
	CHECK_EQ(vx0_esp_replay_check(sa, 0xfffffff6u, &s), -EALREADY); /* = B-10, seen */
	CHECK_EQ(vx0_esp_replay_check(sa, 0xfffffff7u, &s), 0);
	/* the left edge B+5-63 is in the old subspace; one further left is
	 * read as the far future of the current one (A2.2), as in case A */
	CHECK_EQ(vx0_esp_replay_check(sa, (uint32_t)(B + 5 - 63), &s), 0);
	CHECK_EQ(s, B + 5 - 63);
	CHECK_EQ(vx0_esp_replay_check(sa, (uint32_t)(B + 5 - 64), &s), 0);
	CHECK_EQ(s, B + (uint32_t)(B + 5 - 64));
	CHECK_EQ(vx0_esp_replay_check(sa, 3, &s), 0);
	CHECK_EQ(s, B + 3);
	CHECK_EQ(vx0_esp_replay_check(sa, 5, &s), -EALREADY);
	CHECK_EQ(vx0_esp_replay_check(sa, 6, &s), 0);
	CHECK_EQ(s, B + 6);
	/* far future in the same subspace */
	CHECK_EQ(vx0_esp_replay_check(sa, 0x80000000u, &s), 0);
	CHECK_EQ(s, B + 0x80000000u);
	vx0_esp_sa_destroy(sa);
}

/* ESN end to end across 2^32: the sender's low half wraps to 0, the
 * receiver infers the high half, the ICV (with seq_hi in the AAD) holds.
 * Without ESN the sender stops at 2^32-1. */
static void
test_esn_round_trip_wrap(void)
{
	struct vx0_esp_sa_conf co = conf(VX0_ESP_DIR_OUT, VX0_CRYPTO_CHACHA20_POLY1305, 4, 9);
	struct vx0_esp_sa_conf ci = conf(VX0_ESP_DIR_IN, VX0_CRYPTO_CHACHA20_POLY1305, 4, 9);
	struct vx0_esp_sa *so, *si, *so2;
	uint8_t in[100];
	struct pkt p;
	int i;

	co.esn = ci.esn = true;
	co.seq = (1ull << 32) - 4;
	so = mk(&co);
	si = mk(&ci);
	if (!so || !si)
		return;
	si->seq = (1ull << 32) - 10; /* receiver state after as many packets */
	for (i = 0; i < 8; i++) {
		inner_packet(in, 0, 100, (uint8_t)i);
		pkt_set(&p, in, 100);
		CHECK_EQ(encap(so, &p), 0);
		CHECK_EQ(decap(si, &p), 0);
		CHECK_MEM(p.b.data, in, 100);
	}
	CHECK_EQ(so->seq, (1ull << 32) + 4);
	CHECK_EQ(si->seq, (1ull << 32) + 4);
	/* without ESN the sender stops at 2^32 - 1 (RFC 4303 §3.3.3) */
	co.esn = false;
	co.seq = 0xfffffffeull;
	so2 = mk(&co);
	if (so2) {
		pkt_set(&p, in, 100);
		CHECK_EQ(encap(so2, &p), 0);
		pkt_set(&p, in, 100);
		CHECK_EQ(encap(so2, &p), -EOVERFLOW);
		CHECK_EQ(so2->stats.drops[VX0_ESP_DROP_SEQ_OVERFLOW], 1);
		CHECK_EQ(so2->seq, 0xffffffffull);
	}
	vx0_esp_sa_destroy(so);
	vx0_esp_sa_destroy(si);
	vx0_esp_sa_destroy(so2);
}

static void
test_lifetimes(void)
{
	struct vx0_esp_sa_conf co = conf(VX0_ESP_DIR_OUT, VX0_CRYPTO_CHACHA20_POLY1305, 4, 3);
	struct vx0_esp_sa_conf ci = conf(VX0_ESP_DIR_IN, VX0_CRYPTO_CHACHA20_POLY1305, 4, 3);
	struct vx0_esp_sa *so, *si, *st;
	uint8_t in[100];
	struct pkt p;
	int i, rc;

	co.soft.packets = 3;
	co.hard.packets = 5;
	ci.soft.bytes = 250; /* 3rd packet of 100 bytes crosses it */
	ci.hard.bytes = 400;
	so = mk(&co);
	si = mk(&ci);
	if (!so || !si)
		return;
	inner_packet(in, 0, 100, 1);
	for (i = 1; i <= 6; i++) {
		pkt_set(&p, in, 100);
		rc = encap(so, &p);
		if (i == 3)
			CHECK_EQ(rc, VX0_ESP_SOFT_EXPIRED);
		else if (i <= 5)
			CHECK_EQ(rc, 0);
		else
			CHECK_EQ(rc, -EKEYEXPIRED);
		if (rc < 0)
			continue;
		rc = decap(si, &p);
		if (i == 3)
			CHECK_EQ(rc, VX0_ESP_SOFT_EXPIRED);
		else if (i <= 4)
			CHECK_EQ(rc, 0);
		else
			CHECK_EQ(rc, -EKEYEXPIRED); /* 5th would pass 400 bytes */
	}
	CHECK_EQ(so->stats.packets, 5);
	CHECK_EQ(so->stats.drops[VX0_ESP_DROP_LIFETIME], 1);
	CHECK_EQ(si->stats.packets, 4);
	CHECK_EQ(si->stats.drops[VX0_ESP_DROP_LIFETIME], 1);
	CHECK(so->soft_fired && so->hard_expired && si->hard_expired);

	/* seconds, driven by the caller's clock */
	co = conf(VX0_ESP_DIR_OUT, VX0_CRYPTO_CHACHA20_POLY1305, 4, 4);
	co.now = 1000;
	co.soft.seconds = 60;
	co.hard.seconds = 90;
	st = mk(&co);
	if (st) {
		CHECK_EQ(vx0_esp_sa_tick(st, 1059), 0);
		CHECK_EQ(vx0_esp_sa_tick(st, 1060), VX0_ESP_SOFT_EXPIRED);
		CHECK_EQ(vx0_esp_sa_tick(st, 1061), 0);
		pkt_set(&p, in, 100);
		CHECK_EQ(encap(st, &p), 0);
		CHECK_EQ(vx0_esp_sa_tick(st, 2000), VX0_ESP_HARD_EXPIRED);
		CHECK_EQ(vx0_esp_sa_tick(st, 2001), 0);
		pkt_set(&p, in, 100);
		CHECK_EQ(encap(st, &p), -EKEYEXPIRED);
		CHECK_EQ(st->stats.drops[VX0_ESP_DROP_LIFETIME], 1);
	}
	vx0_esp_sa_destroy(so);
	vx0_esp_sa_destroy(si);
	vx0_esp_sa_destroy(st);
}

/* Every bad inbound packet: dropped with its reason, counted, and the SA
 * then accepts a good packet. */
static void
test_bad_inputs(void)
{
	struct vx0_esp_sa_conf co = conf(VX0_ESP_DIR_OUT, VX0_CRYPTO_CHACHA20_POLY1305, 4, 0x55);
	struct vx0_esp_sa_conf ci = conf(VX0_ESP_DIR_IN, VX0_CRYPTO_CHACHA20_POLY1305, 4, 0x55);
	struct vx0_esp_sa *so = mk(&co), *si = mk(&ci);
	uint8_t in[200], good[400], body[300];
	uint32_t glen, n, k, seq = 1000;
	struct pkt p;
	int expect_drops = 0;

	if (!so || !si)
		goto out;
	n = inner_packet(in, 0, 120, 7);
	pkt_set(&p, in, n);
	CHECK_EQ(encap(so, &p), 0);
	glen = p.b.len;
	memcpy(good, p.b.data, glen);

#define EXPECT_DROP(rc_, reason_)                                            \
	do {                                                                 \
		CHECK_EQ(decap(si, &p), rc_);                                \
		CHECK_EQ(si->stats.drops[reason_], 1);                       \
		expect_drops++;                                              \
	} while (0)

	/* truncated: cut below the ESP minimum, and an IP length past the end */
	pkt_set(&p, good, 20 + 33);
	p.b.data[2] = 0;
	p.b.data[3] = 53;
	EXPECT_DROP(-EMSGSIZE, VX0_ESP_DROP_TRUNCATED);
	pkt_set(&p, good, glen - 1);
	CHECK_EQ(decap(si, &p), -EMSGSIZE);
	CHECK_EQ(si->stats.drops[VX0_ESP_DROP_TRUNCATED], 2);
	/* a cut that keeps the headers consistent fails authentication */
	pkt_set(&p, good, glen - 4);
	p.b.data[2] = (uint8_t)((glen - 4) >> 8);
	p.b.data[3] = (uint8_t)(glen - 4);
	EXPECT_DROP(-EBADMSG, VX0_ESP_DROP_AUTH);
	/* bad tag, bad ciphertext, bad SPI-covered AAD (seq changed) */
	pkt_set(&p, good, glen);
	p.b.data[glen - 1] ^= 0x20;
	CHECK_EQ(decap(si, &p), -EBADMSG);
	pkt_set(&p, good, glen);
	p.b.data[40] ^= 0x01;
	CHECK_EQ(decap(si, &p), -EBADMSG);
	pkt_set(&p, good, glen);
	p.b.data[27] ^= 0x02;
	CHECK_EQ(decap(si, &p), -EBADMSG);
	CHECK_EQ(si->stats.drops[VX0_ESP_DROP_AUTH], 4);
	/* an auth failure does not move the window */
	CHECK_EQ(si->seq, 0);
	/* unknown SPI for this SA */
	pkt_set(&p, good, glen);
	p.b.data[23] ^= 0xff;
	CHECK_EQ(vx0_esp_decap_prepare(si, &p.b, &(struct vx0_esp_op){ 0 }), -ENOENT);
	CHECK_EQ(si->stats.drops[VX0_ESP_DROP_UNKNOWN_SPI], 1);
	expect_drops++;
	/* not ESP: protocol 6, a fragment, IPv5 */
	pkt_set(&p, good, glen);
	p.b.data[9] = 6;
	EXPECT_DROP(-EINVAL, VX0_ESP_DROP_MALFORMED);
	pkt_set(&p, good, glen);
	p.b.data[6] = 0x20;
	CHECK_EQ(decap(si, &p), -EINVAL);

	/* authentic packets with bad insides (built with the SA's key) */
	memcpy(body, in, n);
	body[n] = 1;
	body[n + 1] = 3; /* pad bytes 1,3: wrong */
	body[n + 2] = 2;
	body[n + 3] = 4;
	forge(&p, 0x55, seq++, body, n + 4);
	EXPECT_DROP(-EILSEQ, VX0_ESP_DROP_BAD_PAD);
	/* pad length past the start of the payload */
	forge(&p, 0x55, seq++, (const uint8_t[]){ 200, 4 }, 2);
	CHECK_EQ(decap(si, &p), -EILSEQ);
	memcpy(body + n, (const uint8_t[]){ 1, 2, 2, 6 }, 4); /* next header TCP */
	forge(&p, 0x55, seq++, body, n + 4);
	EXPECT_DROP(-EPROTONOSUPPORT, VX0_ESP_DROP_BAD_NEXT_HDR);
	memcpy(body + n, (const uint8_t[]){ 1, 2, 2, 59 }, 4); /* TFC dummy */
	forge(&p, 0x55, seq++, body, n + 4);
	EXPECT_DROP(-ENOMSG, VX0_ESP_DROP_TFC_DUMMY);
	memcpy(body + n, (const uint8_t[]){ 1, 2, 2, 41 }, 4); /* says IPv6, is IPv4 */
	forge(&p, 0x55, seq++, body, n + 4);
	EXPECT_DROP(-EPROTO, VX0_ESP_DROP_BAD_INNER);
	body[3] = (uint8_t)(n + 1); /* inner length past the payload */
	memcpy(body + n, (const uint8_t[]){ 1, 2, 2, 4 }, 4);
	forge(&p, 0x55, seq++, body, n + 4);
	CHECK_EQ(decap(si, &p), -EPROTO);
	body[3] = (uint8_t)n;
	/* replayed: an authentic packet seen before */
	memcpy(body + n, (const uint8_t[]){ 1, 2, 2, 4 }, 4);
	forge(&p, 0x55, 990, body, n + 4);
	CHECK_EQ(decap(si, &p), 0);
	CHECK_MEM(p.b.data, in, n);
	forge(&p, 0x55, 990, body, n + 4);
	EXPECT_DROP(-EALREADY, VX0_ESP_DROP_REPLAY);
	/* the window's right edge is the last authentic packet, 1005 */
	CHECK_EQ(si->seq, 1005);

	/* still usable: the original good packet (seq 1) is inside the window */
	pkt_set(&p, good, glen);
	CHECK_EQ(decap(si, &p), 0);
	CHECK_EQ(p.b.len, n);
	CHECK_MEM(p.b.data, in, n);
	CHECK_EQ(si->stats.packets, 2);
	CHECK_EQ(si->stats.drops[VX0_ESP_DROP_AUTH], 4);
	CHECK_EQ(si->stats.drops[VX0_ESP_DROP_BAD_PAD], 2);
	CHECK_EQ(si->stats.drops[VX0_ESP_DROP_BAD_INNER], 2);
	CHECK_EQ(si->stats.drops[VX0_ESP_DROP_MALFORMED], 2);
	for (k = 0; k < VX0_ESP_DROP_MAX; k++)
		CHECK(vx0_esp_drop_reason(vx0_esp_drop_errno((enum vx0_esp_drop)k)) == k);
	CHECK(expect_drops == 9);
#undef EXPECT_DROP
out:
	vx0_esp_sa_destroy(so);
	vx0_esp_sa_destroy(si);
}

/* Outbound errors: not an IP packet, no room, the wrong direction. */
static void
test_encap_errors(void)
{
	struct vx0_esp_sa_conf co = conf(VX0_ESP_DIR_OUT, VX0_CRYPTO_CHACHA20_POLY1305, 6, 8);
	struct vx0_esp_sa *so = mk(&co);
	struct vx0_esp_op op;
	uint8_t in[100];
	struct pkt p;

	if (!so)
		return;
	inner_packet(in, 0, 100, 0);
	in[0] = 0x55;
	pkt_set(&p, in, 100);
	CHECK_EQ(vx0_esp_encap_prepare(so, &p.b, &op), -EPROTO);
	pkt_set(&p, in, 19);
	p.b.data[0] = 0x45;
	CHECK_EQ(vx0_esp_encap_prepare(so, &p.b, &op), -EPROTO);
	inner_packet(in, 0, 100, 0);
	pkt_set(&p, in, 100);
	p.b.headroom = 63; /* needs 40 + 16 = 56: fine; tailroom next */
	p.b.tailroom = 17;
	CHECK_EQ(vx0_esp_encap_prepare(so, &p.b, &op), -ENOBUFS);
	p.b.headroom = 55;
	p.b.tailroom = 100;
	CHECK_EQ(vx0_esp_encap_prepare(so, &p.b, &op), -ENOBUFS);
	CHECK_EQ(so->stats.drops[VX0_ESP_DROP_BAD_INNER], 2);
	CHECK_EQ(so->stats.drops[VX0_ESP_DROP_NO_ROOM], 2);
	CHECK_EQ(so->seq, 0); /* no sequence number consumed */
	CHECK(p.b.data == p.mem + HEADROOM && p.b.len == 100); /* untouched */
	/* an IP length past the buffer (IPv4, IPv6) */
	pkt_set(&p, in, 99);
	CHECK_EQ(vx0_esp_encap_prepare(so, &p.b, &op), -EPROTO);
	inner_packet(in, 1, 100, 0);
	pkt_set(&p, in, 99);
	CHECK_EQ(vx0_esp_encap_prepare(so, &p.b, &op), -EPROTO);
	CHECK_EQ(so->stats.drops[VX0_ESP_DROP_BAD_INNER], 4);
	inner_packet(in, 0, 100, 0);
	CHECK_EQ(vx0_esp_decap_prepare(so, &p.b, &op), -EINVAL);
	{
		uint64_t s;

		CHECK_EQ(vx0_esp_replay_check(so, 1, &s), -EINVAL);
		CHECK_EQ(vx0_esp_replay_update(so, 1), -EINVAL);
	}
	/* an engine failure is a crypto drop at finish */
	pkt_set(&p, in, 100);
	CHECK_EQ(vx0_esp_encap_prepare(so, &p.b, &op), 0);
	op.cop.status = -EINVAL;
	CHECK_EQ(vx0_esp_encap_finish(so, &p.b, &op), -EIO);
	CHECK_EQ(so->stats.drops[VX0_ESP_DROP_CRYPTO], 1);
	vx0_esp_sa_destroy(so);
}

/* Bytes after the inner IP length (Ethernet padding) are not encrypted:
 * the ESP packet equals the one built without them. */
static void
test_encap_trims_l2_padding(void)
{
	struct vx0_esp_sa_conf co = conf(VX0_ESP_DIR_OUT, VX0_CRYPTO_CHACHA20_POLY1305, 4, 8);
	uint8_t seed[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, in[64], first[200];
	struct vx0_esp_sa *a, *b;
	struct pkt p;
	uint32_t n;

	co.iv_seed = seed;
	a = mk(&co);
	b = mk(&co);
	if (!a || !b)
		goto out;
	inner_packet(in, 0, 46, 3);
	memset(in + 46, 0xee, 18); /* padded to a 64-byte frame */
	pkt_set(&p, in, 46);
	CHECK_EQ(encap(a, &p), 0);
	n = p.b.len;
	memcpy(first, p.b.data, n);
	pkt_set(&p, in, 64);
	CHECK_EQ(encap(b, &p), 0);
	CHECK_EQ(p.b.len, n);
	CHECK(n == 20 + 16 + 48 + 16 && memcmp(p.b.data + 20, first + 20, n - 20) == 0);
	CHECK_EQ(p.b.tailroom, BUFSZ - HEADROOM - 46 - 2 - 16);
	CHECK_EQ(b->stats.bytes, 46);
out:
	vx0_esp_sa_destroy(a);
	vx0_esp_sa_destroy(b);
}

/* Outer DF: copied from the inner IPv4 header by default, or forced. */
static void
test_outer_df(void)
{
	static const enum vx0_esp_df modes[3] = { VX0_ESP_DF_COPY, VX0_ESP_DF_SET,
						  VX0_ESP_DF_CLEAR };
	uint8_t in[100];
	struct pkt p;
	int m, inner_df;

	for (m = 0; m < 3; m++) {
		struct vx0_esp_sa_conf co = conf(VX0_ESP_DIR_OUT, VX0_CRYPTO_CHACHA20_POLY1305,
						 4, 8);
		struct vx0_esp_sa *sa;

		co.df = modes[m];
		sa = mk(&co);
		if (!sa)
			return;
		for (inner_df = 0; inner_df < 2; inner_df++) {
			int want = m == 0 ? inner_df : m == 1;

			inner_packet(in, 0, 100, 0);
			in[6] = inner_df ? 0x40 : 0;
			pkt_set(&p, in, 100);
			CHECK_EQ(encap(sa, &p), 0);
			CHECK_EQ(!!(p.b.data[6] & 0x40), want);
			CHECK_EQ(p.b.data[6] & 0xbf, 0);
			CHECK_EQ(p.b.data[7], 0);
			CHECK_EQ(csum(p.b.data, 20, 0), 0);
		}
		vx0_esp_sa_destroy(sa);
	}
}

/* A second engine registered by name beside "sodium": it takes only the
 * first half of each burst, as a full hardware queue would. The ops it
 * did not take are dropped as crypto errors at finish and leave the
 * window alone, so the same packets decap once resubmitted. */
struct half_engine {
	struct vx0_crypto_engine base;
	struct vx0_crypto_engine *inner;
};

static const struct vx0_crypto_engine_ops half_ops;

static int
half_open(const char *args, uint16_t nb_qp, struct vx0_crypto_engine **out)
{
	static struct half_engine e;

	(void)args;
	e.base.ops = &half_ops;
	e.base.nb_qp = nb_qp;
	e.inner = eng;
	*out = &e.base;
	return 0;
}

static void
half_close(struct vx0_crypto_engine *e)
{
	(void)e;
}

static int
half_alg_supported(struct vx0_crypto_engine *e, enum vx0_crypto_alg alg)
{
	return vx0_crypto_alg_supported(((struct half_engine *)e)->inner, alg);
}

static int
half_sess_create(struct vx0_crypto_engine *e, enum vx0_crypto_alg alg, const uint8_t *key,
		 const uint8_t *salt, struct vx0_crypto_sess **out)
{
	return vx0_crypto_sess_create(((struct half_engine *)e)->inner, alg, key, salt, out);
}

static void
half_sess_destroy(struct vx0_crypto_engine *e, struct vx0_crypto_sess *s)
{
	vx0_crypto_sess_destroy(((struct half_engine *)e)->inner, s);
}

static uint16_t
half_encrypt(struct vx0_crypto_engine *e, uint16_t qp, struct vx0_crypto_op **ops, uint16_t n)
{
	return vx0_crypto_encrypt_burst(((struct half_engine *)e)->inner, qp, ops, n / 2);
}

static uint16_t
half_decrypt(struct vx0_crypto_engine *e, uint16_t qp, struct vx0_crypto_op **ops, uint16_t n)
{
	return vx0_crypto_decrypt_burst(((struct half_engine *)e)->inner, qp, ops, n / 2);
}

static const struct vx0_crypto_engine_ops half_ops = {
	.name = "half", .open = half_open, .close = half_close,
	.alg_supported = half_alg_supported, .sess_create = half_sess_create,
	.sess_destroy = half_sess_destroy, .encrypt_burst = half_encrypt,
	.decrypt_burst = half_decrypt,
};

static void
test_engine_partial_burst(void)
{
	enum { N = 8 };
	struct vx0_crypto_engine *half = NULL;
	struct vx0_esp_sa_conf co, ci;
	struct vx0_esp_sa *so = NULL, *si = NULL;
	static struct pkt p[N], copy[N];
	struct vx0_esp_op op[N];
	struct vx0_crypto_op *cops[N];
	uint8_t in[N][100];
	int i, taken;

	CHECK_EQ(vx0_crypto_register(&reg, &half_ops), 0);
	CHECK_EQ(vx0_crypto_engine_open(&reg, "half", NULL, 1, &half), 0);
	if (!half)
		return;
	CHECK(half->ops == &half_ops);
	co = conf(VX0_ESP_DIR_OUT, VX0_CRYPTO_CHACHA20_POLY1305, 4, 21);
	ci = conf(VX0_ESP_DIR_IN, VX0_CRYPTO_CHACHA20_POLY1305, 4, 21);
	co.engine = ci.engine = half;
	so = mk(&co);
	si = mk(&ci);
	if (!so || !si)
		goto out;
	/* encap: only the first half is encrypted */
	for (i = 0; i < N; i++) {
		inner_packet(in[i], 0, 100, (uint8_t)i);
		pkt_set(&p[i], in[i], 100);
		CHECK_EQ(vx0_esp_encap_prepare(so, &p[i].b, &op[i]), 0);
		cops[i] = &op[i].cop;
	}
	taken = vx0_crypto_encrypt_burst(half, 0, cops, N);
	CHECK_EQ(taken, N / 2);
	for (i = 0; i < N; i++)
		CHECK_EQ(vx0_esp_encap_finish(so, &p[i].b, &op[i]), i < taken ? 0 : -EIO);
	CHECK_EQ(so->stats.drops[VX0_ESP_DROP_CRYPTO], N / 2);
	/* decap the good half twice over a half engine */
	for (i = 0; i < N / 2; i++) {
		copy[i] = p[i];
		copy[i].b.data = copy[i].mem + (p[i].b.data - p[i].mem);
		copy[i + N / 2] = copy[i];
		copy[i + N / 2].b.data = copy[i + N / 2].mem + (p[i].b.data - p[i].mem);
	}
	for (i = 0; i < N; i++) {
		CHECK_EQ(vx0_esp_decap_prepare(si, &copy[i].b, &op[i]), 0);
		cops[i] = &op[i].cop;
	}
	/* reversed: the engine takes the second copies first */
	for (i = 0; i < N / 2; i++) {
		struct vx0_crypto_op *t = cops[i];

		cops[i] = cops[i + N / 2];
		cops[i + N / 2] = t;
	}
	CHECK_EQ(vx0_crypto_decrypt_burst(half, 0, cops, N), N / 2);
	for (i = 0; i < N; i++)
		CHECK_EQ(vx0_esp_decap_finish(si, &copy[i].b, &op[i]), i < N / 2 ? -EIO : 0);
	CHECK_EQ(si->stats.drops[VX0_ESP_DROP_CRYPTO], N / 2);
	CHECK_EQ(si->stats.packets, N / 2);
	for (i = N / 2; i < N; i++)
		CHECK_MEM(copy[i].b.data, in[i - N / 2], 100);
out:
	vx0_esp_sa_destroy(so);
	vx0_esp_sa_destroy(si);
	vx0_crypto_engine_close(half);
}

/* RFC 6040 §4.2 on decap: outer CE -> inner CE when the inner packet is
 * ECN-capable (IPv4 checksum kept valid), drop when it is Not-ECT; outer
 * ECT or Not-ECT leave the inner header alone. */
static void
test_ecn_decap(void)
{
	static const struct {
		uint8_t outer_ecn, inner_ecn;
		int rc;
		uint8_t want;
	} cases[] = {
		{ 3, 2, 0, 3 }, { 3, 1, 0, 3 }, { 3, 3, 0, 3 }, { 3, 0, -ECANCELED, 0 },
		{ 2, 0, 0, 0 }, { 1, 2, 0, 2 }, { 0, 1, 0, 1 },
	};
	unsigned int k;
	int v6, outer;

	for (outer = 4; outer <= 6; outer += 2)
		for (v6 = 0; v6 < 2; v6++) {
			struct vx0_esp_sa_conf co = conf(VX0_ESP_DIR_OUT,
							 VX0_CRYPTO_CHACHA20_POLY1305,
							 (uint8_t)outer, 5);
			struct vx0_esp_sa_conf ci = conf(VX0_ESP_DIR_IN,
							 VX0_CRYPTO_CHACHA20_POLY1305,
							 (uint8_t)outer, 5);
			struct vx0_esp_sa *so = mk(&co), *si = mk(&ci);

			for (k = 0; so && si && k < sizeof(cases) / sizeof(cases[0]); k++) {
				uint8_t in[120], *o;
				struct pkt p;
				uint32_t n = inner_packet(in, v6, 120, (uint8_t)k);
				uint8_t got;

				if (v6) {
					in[1] = (uint8_t)((in[1] & 0xcf) | cases[k].inner_ecn << 4);
				} else {
					in[1] = (uint8_t)((in[1] & 0xfc) | cases[k].inner_ecn);
					in[10] = in[11] = 0;
					{
						uint16_t c = csum(in, 20, 0);

						in[10] = (uint8_t)(c >> 8);
						in[11] = (uint8_t)c;
					}
				}
				pkt_set(&p, in, n);
				CHECK_EQ(encap(so, &p), 0);
				o = p.b.data; /* the outer TOS was copied; now mark it */
				if (outer == 4) {
					o[1] = (uint8_t)((o[1] & 0xfc) | cases[k].outer_ecn);
					o[10] = o[11] = 0;
					{
						uint16_t c = csum(o, 20, 0);

						o[10] = (uint8_t)(c >> 8);
						o[11] = (uint8_t)c;
					}
				} else {
					o[1] = (uint8_t)((o[1] & 0xcf) | cases[k].outer_ecn << 4);
				}
				CHECK_EQ(decap(si, &p), cases[k].rc);
				if (cases[k].rc < 0)
					continue;
				got = v6 ? (p.b.data[1] >> 4) & 3 : p.b.data[1] & 3;
				CHECK_EQ(got, cases[k].want);
				if (!v6)
					CHECK_EQ(csum(p.b.data, 20, 0), 0);
				/* the rest of the packet is unchanged */
				CHECK_MEM(p.b.data + 2, in + 2, v6 ? n - 2 : 8);
				CHECK_MEM(p.b.data + 12, in + 12, v6 ? n - 12 : n - 12);
			}
			if (si)
				CHECK_EQ(si->stats.drops[VX0_ESP_DROP_ECN], 1);
			vx0_esp_sa_destroy(so);
			vx0_esp_sa_destroy(si);
		}
}

/* Dummy packets: same wire size as data of that length, dropped silently
 * (counted) by the receiver, a sequence number used, no lifetime spent. */
static void
test_tfc_dummy(void)
{
	struct vx0_esp_sa_conf co = conf(VX0_ESP_DIR_OUT, VX0_CRYPTO_CHACHA20_POLY1305, 6, 31);
	struct vx0_esp_sa_conf ci = conf(VX0_ESP_DIR_IN, VX0_CRYPTO_CHACHA20_POLY1305, 6, 31);
	struct vx0_esp_sa *so, *si;
	struct vx0_esp_op op;
	struct vx0_crypto_op *cop = &op.cop;
	uint8_t in[300];
	struct pkt p;
	uint32_t data_len;

	co.udp_sport = co.udp_dport = 4500;
	co.hard.packets = 2;
	so = mk(&co);
	si = mk(&ci);
	if (!so || !si)
		goto out;
	inner_packet(in, 1, 300, 1);
	pkt_set(&p, in, 300);
	CHECK_EQ(encap(so, &p), 0);
	data_len = p.b.len;
	CHECK_EQ(decap(si, &p), 0);

	pkt_set(&p, in, 0);
	CHECK_EQ(vx0_esp_encap_dummy_prepare(so, &p.b, 300, &op), 0);
	CHECK_EQ(vx0_crypto_encrypt_burst(eng, 0, &cop, 1), 1);
	CHECK_EQ(vx0_esp_encap_finish(so, &p.b, &op), 0);
	CHECK_EQ(p.b.len, data_len);
	CHECK_EQ(so->seq, 2);
	CHECK_EQ(so->stats.packets, 1);
	CHECK_EQ(decap(si, &p), -ENOMSG);
	CHECK_EQ(si->stats.drops[VX0_ESP_DROP_TFC_DUMMY], 1);
	CHECK_EQ(si->seq, 2); /* authentic: the window moved */
	/* no room */
	pkt_set(&p, in, 0);
	p.b.tailroom = 10;
	CHECK_EQ(vx0_esp_encap_dummy_prepare(so, &p.b, 300, &op), -ENOBUFS);
	/* the hard limit of 2 packets still allows a second data packet */
	pkt_set(&p, in, 300);
	CHECK_EQ(encap(so, &p), 0);
	CHECK_EQ(decap(si, &p), 0);
	CHECK_MEM(p.b.data, in, 300);
out:
	vx0_esp_sa_destroy(so);
	vx0_esp_sa_destroy(si);
}

static void
test_peek_spi(void)
{
	uint8_t v[64] = { 0x45, 0, 0, 32, 0, 0, 0, 0, 64, 17 };
	uint32_t spi = 0;
	struct vx0_esp_buf b = { .data = v, .len = 32 };

	/* UDP 4500 with the non-ESP marker (IKE) and a NAT keepalive */
	v[20] = 0x11;
	v[21] = 0x94;
	v[22] = 0x11;
	v[23] = 0x94;
	v[25] = 12;
	CHECK_EQ(vx0_esp_peek_spi(&b, &spi), -ENOTSUP);
	v[3] = 29;
	v[25] = 9;
	v[28] = 0xff;
	b.len = 29;
	CHECK_EQ(vx0_esp_peek_spi(&b, &spi), -ENOTSUP);
	/* ESP in UDP */
	v[3] = 32;
	v[25] = 12;
	v[28] = 0xde;
	v[29] = 0xad;
	v[30] = 0xbe;
	v[31] = 0xef;
	b.len = 32;
	CHECK_EQ(vx0_esp_peek_spi(&b, &spi), 0);
	CHECK_EQ(spi, 0xdeadbeef);
	/* UDP length larger than the IP payload */
	v[25] = 13;
	CHECK_EQ(vx0_esp_peek_spi(&b, &spi), -EMSGSIZE);
	/* plain ESP, IP payload 3 bytes */
	v[9] = 50;
	v[3] = 23;
	CHECK_EQ(vx0_esp_peek_spi(&b, &spi), -EMSGSIZE);
	v[3] = 24;
	CHECK_EQ(vx0_esp_peek_spi(&b, &spi), 0);
	CHECK_EQ(spi, 0x11941194);
	b.len = 10;
	CHECK_EQ(vx0_esp_peek_spi(&b, &spi), -EMSGSIZE);
	b.len = 0;
	CHECK_EQ(vx0_esp_peek_spi(&b, &spi), -EMSGSIZE);
	/* IPv6, ESP */
	memset(v, 0, sizeof(v));
	v[0] = 0x60;
	v[5] = 8;
	v[6] = 50;
	v[40] = 1;
	b.len = 48;
	CHECK_EQ(vx0_esp_peek_spi(&b, &spi), 0);
	CHECK_EQ(spi, 0x01000000);
	v[6] = 0; /* hop-by-hop first: not walked */
	CHECK_EQ(vx0_esp_peek_spi(&b, &spi), -EINVAL);
}

static void
test_sa_conf_errors(void)
{
	struct vx0_esp_sa_conf c = conf(VX0_ESP_DIR_IN, VX0_CRYPTO_CHACHA20_POLY1305, 4, 1);
	struct vx0_esp_sa *sa = (void *)1;

	c.replay_window = 100;
	CHECK_EQ(vx0_esp_sa_create(&c, &sa), -EINVAL);
	CHECK(sa == NULL);
	c.replay_window = 8192;
	CHECK_EQ(vx0_esp_sa_create(&c, &sa), -EINVAL);
	c.replay_window = 32;
	CHECK_EQ(vx0_esp_sa_create(&c, &sa), -EINVAL);
	c.replay_window = 0;
	c.udp_sport = 4500;
	CHECK_EQ(vx0_esp_sa_create(&c, &sa), -EINVAL);
	c.udp_sport = 0;
	c.family = 5;
	CHECK_EQ(vx0_esp_sa_create(&c, &sa), -EINVAL);
	c.family = 4;
	c.alg = (enum vx0_crypto_alg)9;
	CHECK_EQ(vx0_esp_sa_create(&c, &sa), -EINVAL);
	c.alg = VX0_CRYPTO_CHACHA20_POLY1305;
	CHECK_EQ(vx0_esp_sa_create(&c, &sa), 0);
	CHECK_EQ(sa->window, VX0_ESP_REPLAY_DEFAULT);
	vx0_esp_sa_destroy(sa);
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	vx0_crypto_registry_init(&reg);
	if (vx0_crypto_sodium_register(&reg) < 0 ||
	    vx0_crypto_engine_open(&reg, "sodium", NULL, 1, &eng) < 0)
		return 1;
	have_gcm = vx0_crypto_alg_supported(eng, VX0_CRYPTO_AES_256_GCM);
	VX0_RUN(test_kat_rfc7634_encap);
	VX0_RUN(test_kat_rfc7634_decap);
	VX0_RUN(test_kat_gcm_mcgrew_decap);
	VX0_RUN(test_round_trips);
	VX0_RUN(test_tfc_padding);
	VX0_RUN(test_burst);
	VX0_RUN(test_replay_window_sizes);
	VX0_RUN(test_replay_esn_wrap);
	VX0_RUN(test_esn_round_trip_wrap);
	VX0_RUN(test_lifetimes);
	VX0_RUN(test_bad_inputs);
	VX0_RUN(test_encap_errors);
	VX0_RUN(test_encap_trims_l2_padding);
	VX0_RUN(test_outer_df);
	VX0_RUN(test_engine_partial_burst);
	VX0_RUN(test_ecn_decap);
	VX0_RUN(test_tfc_dummy);
	VX0_RUN(test_peek_spi);
	VX0_RUN(test_sa_conf_errors);
	vx0_crypto_engine_close(eng);
	return vx0_test_done();
}
