/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internet checksums (RFC 1071) and incremental updates (RFC 1624).
 * Sums are kept as plain integers of big-endian words, so results are host
 * order and callers store them with a big-endian write.
 */
#include "vx0_pkt.h"
#include "vx0_pkt_wire.h"

uint32_t
vx0_pkt_csum_add(uint32_t sum, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint64_t s = sum;

	/* 32-bit words add up to the same ones-complement sum: 2^16 == 1 mod 0xffff */
	while (len >= 4) {
		s += vx0_rd32(p);
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		s += vx0_rd16(p);
		p += 2;
		len -= 2;
	}
	if (len)
		s += (uint32_t)p[0] << 8;
	while (s >> 32)
		s = (s & 0xffffffffu) + (s >> 32);
	return (uint32_t)s;
}

uint16_t
vx0_pkt_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

uint16_t
vx0_pkt_csum(const void *buf, size_t len)
{
	return vx0_pkt_csum_fold(vx0_pkt_csum_add(0, buf, len));
}

uint16_t
vx0_pkt_ipv4_csum(const uint8_t *ip_hdr, size_t hlen)
{
	uint32_t sum;

	if (hlen < 12)
		return (uint16_t)~vx0_pkt_csum(ip_hdr, hlen);
	sum = vx0_pkt_csum_add(0, ip_hdr, 10); /* skip the checksum field itself */
	sum = vx0_pkt_csum_add(sum, ip_hdr + 12, hlen - 12);
	return (uint16_t)~vx0_pkt_csum_fold(sum);
}

uint16_t
vx0_pkt_l4_csum_ipv4(const uint8_t src[4], const uint8_t dst[4], uint8_t proto,
		     const uint8_t *l4, size_t len)
{
	uint32_t sum = vx0_pkt_csum_add(0, src, 4);

	sum = vx0_pkt_csum_add(sum, dst, 4);
	sum += proto + (uint32_t)(len & 0xffff);
	sum = vx0_pkt_csum_add(sum, l4, len);
	return (uint16_t)~vx0_pkt_csum_fold(sum);
}

uint16_t
vx0_pkt_l4_csum_ipv6(const uint8_t src[16], const uint8_t dst[16], uint8_t proto,
		     const uint8_t *l4, size_t len)
{
	uint32_t sum = vx0_pkt_csum_add(0, src, 16);

	sum = vx0_pkt_csum_add(sum, dst, 16);
	/* RFC 8200 8.1: 32-bit upper-layer length, 24 zero bits, next header */
	sum += (uint32_t)((len >> 16) & 0xffff) + (uint32_t)(len & 0xffff) + proto;
	sum = vx0_pkt_csum_add(sum, l4, len);
	return (uint16_t)~vx0_pkt_csum_fold(sum);
}

uint16_t
vx0_pkt_csum_update16(uint16_t csum, uint16_t old_w, uint16_t new_w)
{
	/* RFC 1624 eqn 3: HC' = ~(~HC + ~m + m'); avoids eqn 2's -0 result */
	uint32_t sum = (uint16_t)~csum + (uint32_t)(uint16_t)~old_w + new_w;

	return (uint16_t)~vx0_pkt_csum_fold(sum);
}
