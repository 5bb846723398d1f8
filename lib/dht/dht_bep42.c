/* SPDX-License-Identifier: BSD-3-Clause */
/* BEP 42: node ids tied to the node's external address. */
#include <string.h>

#include "dht_hash.h"
#include "vx0_dht.h"

static uint32_t
bep42_crc(const struct vx0_dht_addr *a, uint8_t r)
{
	static const uint8_t m4[4] = { 0x03, 0x0f, 0x3f, 0xff };
	static const uint8_t m6[8] = { 0x01, 0x03, 0x07, 0x0f, 0x1f, 0x3f, 0x7f, 0xff };
	const uint8_t *mask = a->family == 6 ? m6 : m4;
	size_t n = a->family == 6 ? 8 : 4, i;
	uint8_t ip[8];

	for (i = 0; i < n; i++)
		ip[i] = a->ip[i] & mask[i];
	ip[0] |= (uint8_t)((r & 7) << 5);
	return vx0_crc32c(0, ip, n);
}

void
vx0_dht_bep42_id(const struct vx0_dht_addr *ext, uint8_t rand,
		 const uint8_t *rnd, uint8_t *id)
{
	uint32_t crc = bep42_crc(ext, rand & 7);

	memcpy(id, rnd, VX0_DHT_ID_LEN);
	id[0] = (uint8_t)(crc >> 24);
	id[1] = (uint8_t)(crc >> 16);
	id[2] = (uint8_t)(((crc >> 8) & 0xf8) | (rnd[2] & 7));
	id[19] = rand;
}

static bool
exempt(const struct vx0_dht_addr *a)
{
	const uint8_t *p = a->ip;
	static const uint8_t v6_loop[16] = { [15] = 1 };

	if (a->family == 6)
		return memcmp(p, v6_loop, 16) == 0 || (p[0] == 0xfe && (p[1] & 0xc0) == 0x80);
	return p[0] == 10 || p[0] == 127 || (p[0] == 172 && (p[1] & 0xf0) == 16) ||
	       (p[0] == 192 && p[1] == 168) || (p[0] == 169 && p[1] == 254);
}

bool
vx0_dht_bep42_check(const uint8_t *id, const struct vx0_dht_addr *addr)
{
	uint32_t crc;

	if (exempt(addr))
		return true;
	crc = bep42_crc(addr, id[19] & 7);
	return id[0] == (uint8_t)(crc >> 24) && id[1] == (uint8_t)(crc >> 16) &&
	       (id[2] & 0xf8) == ((crc >> 8) & 0xf8);
}
