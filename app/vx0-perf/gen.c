/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vx0-perf's inputs: a deterministic route set (IPv4 /8../32, IPv6 /20../48
 * laid out so the second-level groups of vx0's FIB and of l3fwd's
 * rte_lpm/rte_lpm6 suffice) and captures of valid UDP frames whose
 * destinations are spread over those routes. DPDK-free.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "perf_gen.h"

#define RTE_MIN_U32(a, b) ((a) < (b) ? (a) : (b))
#define RTE_MAX_U32(a, b) ((a) > (b) ? (a) : (b))

static uint64_t
rnd(uint64_t *s)
{
	/* xorshift64*: fast, deterministic, good enough to spread addresses */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

static uint32_t
rnd_below(uint64_t *s, uint32_t n)
{
	return (uint32_t)((rnd(s) >> 32) * n >> 32);
}

/* First octets never used: 0/8, 10/8, 127/8, 198/8 and 203/8 (the node's
 * own subnets are there) and 224/3 (multicast, reserved). */
static uint8_t
first_octet(uint64_t *s)
{
	for (;;) {
		uint8_t o = (uint8_t)(1 + rnd_below(s, 223));

		if (o != 10 && o != 127 && o != 198 && o != 203)
			return o;
	}
}

/* A set of 64-bit keys (open addressing) so every generated route is
 * distinct: the FIB then holds exactly the number asked for. */
struct keyset {
	uint64_t *k;
	uint64_t mask;
};

static int
keyset_init(struct keyset *ks, uint32_t n)
{
	uint64_t size = 1024;

	while (size < (uint64_t)n * 2)
		size <<= 1;
	ks->k = calloc(size, sizeof(*ks->k));
	ks->mask = size - 1;
	return ks->k ? 0 : -ENOMEM;
}

/* Returns true if key was new (and adds it); key must not be 0. */
static bool
keyset_add(struct keyset *ks, uint64_t key)
{
	uint64_t h = (key * 0x9e3779b97f4a7c15ull) >> 20;

	for (;; h++) {
		uint64_t *e = &ks->k[h & ks->mask];

		if (*e == key)
			return false;
		if (*e == 0) {
			*e = key;
			return true;
		}
	}
}

static uint32_t
mask4(uint8_t len)
{
	return len == 0 ? 0 : ~0u << (32 - len);
}

/* IPv4 routes per length for 1,000,000 (scaled for other counts). Each
 * length's group stays below ~80k: rte_lpm scans a length's rules on every
 * add, so one huge /24 group would make loading take minutes. */
static const uint32_t v4_mix[33] = {
	[8] = 60, [9] = 120, [10] = 250, [11] = 500, [12] = 1000, [13] = 2000,
	[14] = 4000, [15] = 8000, [16] = 25000, [17] = 40000, [18] = 50000,
	[19] = 60000, [20] = 70000, [21] = 75000, [22] = 80000, [23] = 80000,
	[24] = 80000, [25] = 20000, [26] = 30000, [27] = 40000, [28] = 50000,
	[29] = 55000, [30] = 60000, [31] = 60000, [32] = 84070,
};

/* /24s holding the routes longer than /24: each needs an rte_lpm tbl8
 * group, and vx0_fib sizes those from the route count (n / 16) */
#define V4_LONG_BASES(n) RTE_MAX_U32(16u, RTE_MIN_U32(40000u, (n) / 25))

int
perf_gen_routes4(struct perf_routes4 *r, uint32_t n, uint64_t seed)
{
	uint64_t s = seed | 1;
	uint32_t total = 0, *bases, nb = V4_LONG_BASES(n);
	struct keyset ks = { 0 };

	for (int l = 8; l <= 32; l++)
		total += v4_mix[l];
	r->n = 0;
	r->pfx = calloc(n ? n : 1, sizeof(*r->pfx));
	r->len = calloc(n ? n : 1, sizeof(*r->len));
	bases = calloc(nb, sizeof(*bases));
	if (r->pfx == NULL || r->len == NULL || bases == NULL || keyset_init(&ks, n) < 0) {
		free(bases);
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < nb; i++)
		bases[i] = (uint32_t)first_octet(&s) << 24 | (uint32_t)(rnd(&s) >> 48) << 8;
	for (int l = 8; l <= 32 && r->n < n; l++) {
		uint64_t want = (uint64_t)v4_mix[l] * n / total;

		if (l == 32)
			want = n - r->n;
		/* short lengths have few distinct prefixes: give up on them
		 * after a bounded number of tries and let /32 fill the rest */
		for (uint64_t k = 0, tries = 0; k < want && r->n < n && tries < want * 4; tries++) {
			uint32_t a;

			if (l > 24)
				a = bases[rnd_below(&s, nb)] | (uint32_t)(rnd(&s) >> 56);
			else
				a = (uint32_t)first_octet(&s) << 24 | (uint32_t)(rnd(&s) >> 40);
			a &= mask4((uint8_t)l);
			if (!keyset_add(&ks, (uint64_t)l << 32 | a))
				continue;
			r->pfx[r->n] = a;
			r->len[r->n++] = (uint8_t)l;
			k++;
		}
	}
	free(bases);
	free(ks.k);
	if (r->n < n)
		return -ENOSPC;
	return 0;
}

/* IPv6: everything under 2400::/6 (never 2001::/16, where the node's own
 * subnets are). Routes longer than /24 sit under 256 /24s, those longer than
 * /32 under 8192 /32s, those longer than /40 under 16384 /40s: about 25k
 * second-level groups in all (the same in vx0's table and in rte_lpm6). */
static const uint32_t v6_mix[129] = {
	[20] = 500, [24] = 3000, [28] = 3000, [29] = 5000, [32] = 40000,
	[36] = 8000, [40] = 20000, [44] = 15000, [48] = 105500,
};

#define V6_B24 256u
#define V6_B32(n) RTE_MAX_U32(16u, RTE_MIN_U32(8192u, (n) / 25))
#define V6_B40(n) RTE_MAX_U32(16u, RTE_MIN_U32(16384u, (n) / 12))

static void
rnd_bytes(uint64_t *s, uint8_t *p, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		p[i] = (uint8_t)(rnd(s) >> 56);
}

static void
mask6(uint8_t *a, uint8_t len)
{
	for (unsigned int i = 0; i < 16; i++) {
		int bits = (int)len - (int)i * 8;

		if (bits <= 0)
			a[i] = 0;
		else if (bits < 8)
			a[i] &= (uint8_t)(0xff << (8 - bits));
	}
}

int
perf_gen_routes6(struct perf_routes6 *r, uint32_t n, uint64_t seed)
{
	uint64_t s = seed | 1;
	uint32_t total = 0;
	const uint32_t nb32 = V6_B32(n), nb40 = V6_B40(n);
	uint8_t (*b24)[16] = calloc(V6_B24, 16), (*b32)[16] = calloc(nb32, 16);
	uint8_t (*b40)[16] = calloc(nb40, 16);
	struct keyset ks = { 0 };

	r->n = 0;
	r->pfx = calloc(n ? n : 1, sizeof(*r->pfx));
	r->len = calloc(n ? n : 1, sizeof(*r->len));
	if (r->pfx == NULL || r->len == NULL || b24 == NULL || b32 == NULL || b40 == NULL ||
	    keyset_init(&ks, n) < 0) {
		free(b24);
		free(b32);
		free(b40);
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < V6_B24; i++) {
		rnd_bytes(&s, b24[i], 3);
		b24[i][0] = (uint8_t)(0x24 | (b24[i][0] & 0x03)); /* 2400::/6 */
	}
	for (unsigned int i = 0; i < nb32; i++) {
		memcpy(b32[i], b24[rnd_below(&s, V6_B24)], 3);
		rnd_bytes(&s, b32[i] + 3, 1);
	}
	for (unsigned int i = 0; i < nb40; i++) {
		memcpy(b40[i], b32[rnd_below(&s, nb32)], 4);
		rnd_bytes(&s, b40[i] + 4, 1);
	}
	for (int l = 0; l <= 128; l++)
		total += v6_mix[l];
	for (int l = 0; l <= 128 && r->n < n; l++) {
		uint64_t want = (uint64_t)v6_mix[l] * n / total;

		if (v6_mix[l] == 0)
			continue;
		if (l == 48)
			want = n - r->n;
		for (uint64_t k = 0, tries = 0; k < want && r->n < n && tries < want * 4; tries++) {
			uint8_t *a = r->pfx[r->n];
			uint64_t h = 14695981039346656037ull; /* FNV-1a of prefix and length */

			rnd_bytes(&s, a, 16);
			if (l > 40)
				memcpy(a, b40[rnd_below(&s, nb40)], 5);
			else if (l > 32)
				memcpy(a, b32[rnd_below(&s, nb32)], 4);
			else if (l > 24)
				memcpy(a, b24[rnd_below(&s, V6_B24)], 3);
			else
				a[0] = (uint8_t)(0x24 | (a[0] & 0x03));
			mask6(a, (uint8_t)l);
			for (unsigned int b = 0; b < 16; b++)
				h = (h ^ a[b]) * 1099511628211ull;
			h = (h ^ (uint64_t)l) * 1099511628211ull;
			if (!keyset_add(&ks, h | 1ull << 63))
				continue;
			r->len[r->n++] = (uint8_t)l;
			k++;
		}
	}
	free(b24);
	free(b32);
	free(b40);
	free(ks.k);
	return r->n == n ? 0 : -ENOSPC;
}

void
perf_routes_free(struct perf_routes4 *r4, struct perf_routes6 *r6)
{
	if (r4) {
		free(r4->pfx);
		free(r4->len);
		r4->pfx = NULL;
		r4->len = NULL;
	}
	if (r6) {
		free(r6->pfx);
		free(r6->len);
		r6->pfx = NULL;
		r6->len = NULL;
	}
}

/* --- frames --- */

static uint16_t
csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint32_t
csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* UDP ports away from IKE/NAT-T (500, 4500), which the node treats apart */
static uint16_t
udp_port(uint64_t *s)
{
	return (uint16_t)(10000 + rnd_below(s, 50000));
}

size_t
perf_frame4(uint8_t *f, const uint8_t dmac[6], uint32_t src, uint32_t dst, uint64_t *s)
{
	uint8_t *ip = f + 14, *udp = ip + 20;
	const size_t payload = 18; /* a 60-byte frame: 64 on the wire with the FCS */
	uint32_t sum;

	memset(f, 0, 14 + 20 + 8 + payload);
	memcpy(f, dmac, 6);
	memcpy(f + 6, (const uint8_t[]){ 0x02, 0x00, 0x00, 0x00, 0xee, 0x01 }, 6);
	put16(f + 12, 0x0800);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + 8 + payload));
	put16(ip + 4, (uint16_t)rnd(s));
	put16(ip + 6, 0x4000); /* DF */
	ip[8] = 64;
	ip[9] = 17;
	put16(ip + 12, (uint16_t)(src >> 16));
	put16(ip + 14, (uint16_t)src);
	put16(ip + 16, (uint16_t)(dst >> 16));
	put16(ip + 18, (uint16_t)dst);
	put16(ip + 10, csum_fold(csum_add(0, ip, 20)));
	put16(udp, udp_port(s));
	put16(udp + 2, udp_port(s));
	put16(udp + 4, (uint16_t)(8 + payload));
	for (size_t i = 0; i < payload; i++)
		udp[8 + i] = (uint8_t)i;
	sum = csum_add(0, ip + 12, 8) + 17 + 8 + payload;
	sum = csum_add(sum, udp, 8 + payload);
	put16(udp + 6, csum_fold(sum));
	return 14 + 20 + 8 + payload;
}

size_t
perf_frame6(uint8_t *f, const uint8_t dmac[6], const uint8_t src[16],
	    const uint8_t dst[16], uint64_t *s)
{
	uint8_t *ip = f + 14, *udp = ip + 40;
	const size_t payload = 16; /* a 78-byte frame */
	uint32_t sum;
	uint16_t ck;

	memset(f, 0, 14 + 40 + 8 + payload);
	memcpy(f, dmac, 6);
	memcpy(f + 6, (const uint8_t[]){ 0x02, 0x00, 0x00, 0x00, 0xee, 0x01 }, 6);
	put16(f + 12, 0x86dd);
	ip[0] = 0x60;
	put16(ip + 4, (uint16_t)(8 + payload));
	ip[6] = 17;
	ip[7] = 64;
	memcpy(ip + 8, src, 16);
	memcpy(ip + 24, dst, 16);
	put16(udp, udp_port(s));
	put16(udp + 2, udp_port(s));
	put16(udp + 4, (uint16_t)(8 + payload));
	for (size_t i = 0; i < payload; i++)
		udp[8 + i] = (uint8_t)i;
	sum = csum_add(0, ip + 8, 32) + 17 + 8 + payload;
	sum = csum_add(sum, udp, 8 + payload);
	ck = csum_fold(sum);
	put16(udp + 6, ck ? ck : 0xffff); /* zero means "no checksum": not allowed in IPv6 */
	return 14 + 40 + 8 + payload;
}

/* A destination inside a random route (its most specific match may be a
 * longer route: every destination has some route). */
uint32_t
perf_dst4(const struct perf_routes4 *r, uint64_t *s)
{
	uint32_t i = rnd_below(s, r->n);

	return r->pfx[i] | ((uint32_t)(rnd(s) >> 32) & ~mask4(r->len[i]));
}

void
perf_dst6(const struct perf_routes6 *r, uint64_t *s, uint8_t out[16])
{
	uint32_t i = rnd_below(s, r->n);
	uint8_t host[16];

	rnd_bytes(s, host, 16);
	for (unsigned int b = 0; b < 16; b++) {
		int bits = (int)r->len[i] - (int)b * 8;
		uint8_t m = bits >= 8 ? 0xff : bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));

		out[b] = (uint8_t)((r->pfx[i][b] & m) | (host[b] & ~m));
	}
	if (out[15] == 0 && out[14] == 0) /* not the subnet-router anycast */
		out[15] = 1;
}

/* --- pcap files (the classic format, microsecond stamps, Ethernet) --- */

int
perf_pcap_write(const char *path, const struct perf_routes4 *r4,
		const struct perf_routes6 *r6, const uint8_t dmac[6],
		uint32_t n_pkts, unsigned int pct_v6, uint64_t seed)
{
	static const uint8_t src6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0x0e, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10 };
	const uint32_t hdr[6] = { 0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1 };
	uint64_t s = seed | 1;
	FILE *f = fopen(path, "wb");
	uint8_t frame[128];

	if (f == NULL)
		return -errno;
	fwrite(hdr, sizeof(hdr), 1, f);
	for (uint32_t i = 0; i < n_pkts; i++) {
		uint32_t rec[4] = { 1700000000u + i / 1000000, i % 1000000, 0, 0 };
		size_t len;

		if (rnd_below(&s, 100) < pct_v6) {
			uint8_t dst[16], src[16];

			perf_dst6(r6, &s, dst);
			memcpy(src, src6, 16);
			src[15] = (uint8_t)(0x10 + i % 200);
			len = perf_frame6(frame, dmac, src, dst, &s);
		} else {
			/* sources 198.51.100.16..215: not ours, not martian */
			len = perf_frame4(frame, dmac, 0xc6336410u + i % 200, perf_dst4(r4, &s), &s);
		}
		rec[2] = rec[3] = (uint32_t)len;
		fwrite(rec, sizeof(rec), 1, f);
		fwrite(frame, len, 1, f);
	}
	if (fclose(f) != 0)
		return -EIO;
	return 0;
}
