/* SPDX-License-Identifier: BSD-3-Clause */
#include "dht_hash.h"

#include <string.h>

static uint32_t
rol(uint32_t x, int n)
{
	return (x << n) | (x >> (32 - n));
}

static void
sha1_block(uint32_t h[5], const uint8_t *p)
{
	uint32_t w[80], a, b, c, d, e, f, k, t;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (i = 16; i < 80; i++)
		w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
	for (i = 0; i < 80; i++) {
		if (i < 20)
			f = (b & c) | (~b & d), k = 0x5a827999;
		else if (i < 40)
			f = b ^ c ^ d, k = 0x6ed9eba1;
		else if (i < 60)
			f = (b & c) | (b & d) | (c & d), k = 0x8f1bbcdc;
		else
			f = b ^ c ^ d, k = 0xca62c1d6;
		t = rol(a, 5) + f + e + k + w[i];
		e = d, d = c, c = rol(b, 30), b = a, a = t;
	}
	h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
}

void
vx0_sha1_init(struct vx0_sha1 *c)
{
	static const uint32_t iv[5] = { 0x67452301, 0xefcdab89, 0x98badcfe,
					0x10325476, 0xc3d2e1f0 };

	memcpy(c->h, iv, sizeof(iv));
	c->len = 0;
	c->blen = 0;
}

void
vx0_sha1_update(struct vx0_sha1 *c, const void *p, size_t n)
{
	const uint8_t *s = p;

	c->len += n;
	while (n) {
		size_t take = 64 - c->blen;

		if (take > n)
			take = n;
		memcpy(c->buf + c->blen, s, take);
		c->blen += take, s += take, n -= take;
		if (c->blen == 64) {
			sha1_block(c->h, c->buf);
			c->blen = 0;
		}
	}
}

void
vx0_sha1_final(struct vx0_sha1 *c, uint8_t out[20])
{
	uint64_t bits = c->len * 8;
	uint8_t pad = 0x80, z = 0, l[8];
	int i;

	vx0_sha1_update(c, &pad, 1);
	while (c->blen != 56)
		vx0_sha1_update(c, &z, 1);
	for (i = 0; i < 8; i++)
		l[i] = (uint8_t)(bits >> (56 - 8 * i));
	vx0_sha1_update(c, l, 8);
	for (i = 0; i < 20; i++)
		out[i] = (uint8_t)(c->h[i / 4] >> (24 - 8 * (i % 4)));
}

void
vx0_sha1(const void *p, size_t n, uint8_t out[20])
{
	struct vx0_sha1 c;

	vx0_sha1_init(&c);
	vx0_sha1_update(&c, p, n);
	vx0_sha1_final(&c, out);
}

uint32_t
vx0_crc32c(uint32_t crc, const void *p, size_t n)
{
	const uint8_t *s = p;
	int k;

	crc = ~crc;
	while (n--) {
		crc ^= *s++;
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82f63b78 & (0u - (crc & 1)));
	}
	return ~crc;
}
