/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ICMP and ICMPv6 error messages about a packet we could not forward
 * (Time Exceeded, Destination Unreachable, Fragmentation Needed / Packet
 * Too Big, Parameter Problem), and the rules for when not to send one.
 */
#include <errno.h>
#include <string.h>

#include "vx0_pkt.h"
#include "vx0_pkt_wire.h"

#define ICMP_ERR_HDR4 28 /* IPv4 header + ICMP header */
#define ICMP_ERR_HDR6 48 /* IPv6 header + ICMPv6 header */
#define ICMP_TOS_INTERNETWORK_CONTROL 0xc0 /* RFC 1812 4.3.2.5: precedence 6 */
#define ICMP_ERR_TTL 64

/* ICMPv4 messages that are queries/informational, not errors (RFC 792, 950, 1256):
 * everything else, including unknown types, gets no error in reply. */
static bool
icmp4_is_query(uint8_t type)
{
	switch (type) {
	case 0: case 8: case 9: case 10: case 13: case 14: case 15: case 16: case 17: case 18:
		return true;
	default:
		return false;
	}
}

static bool
error_allowed(const uint8_t *ip, size_t len, const struct vx0_pkt_meta *m, bool mcast_ok)
{
	const uint8_t *l4;

	/* RFC 1812 4.3.2.7 / RFC 4443 2.4(e): not about a later fragment */
	if (m->flags & VX0_PKT_F_LATER_FRAG)
		return false;
	/* not about link-layer or IP multicast/broadcast (RFC 4443 2.4(e.3)
	 * lets Packet Too Big and Parameter Problem code 2 through) */
	if (!mcast_ok && (m->flags & (VX0_PKT_F_L2_MCAST | VX0_PKT_F_L3_MCAST)))
		return false;
	if (len < (size_t)m->l3_len + m->l4_len)
		return false;
	l4 = ip + m->l3_len;
	if (m->l3_type == VX0_L3_IPV4) {
		if (len < 20 || m->l3_len < 20)
			return false;
		/* the source must be one host: not 0/8, loopback, multicast, class E, broadcast */
		if (ip[12] == 0 || ip[12] == 127 || ip[12] >= 224)
			return false;
		if (m->l4_proto == VX0_IPPROTO_ICMP)
			return m->l4_len >= 1 && icmp4_is_query(l4[0]);
		return true;
	}
	if (m->l3_type == VX0_L3_IPV6) {
		static const uint8_t unspec[16];

		if (len < 40 || m->l3_len < 40)
			return false;
		if (ip[8] == 0xff || memcmp(ip + 8, unspec, 16) == 0)
			return false;
		/* RFC 4443 2.4(e.1, e.2): not about an error message or a redirect */
		if (m->l4_proto == VX0_IPPROTO_ICMPV6)
			return m->l4_len >= 1 && l4[0] >= 128 && l4[0] != 137;
		return true;
	}
	return false; /* ARP or nothing parsed */
}

bool
vx0_pkt_icmp_error_allowed(const uint8_t *ip, size_t len, const struct vx0_pkt_meta *m)
{
	return error_allowed(ip, len, m, false);
}

bool
vx0_pkt_icmp_error_allowed_type(const uint8_t *ip, size_t len, const struct vx0_pkt_meta *m,
				uint8_t type, uint8_t code)
{
	bool mcast_ok = m->l3_type == VX0_L3_IPV6 && (type == 2 || (type == 4 && code == 2));

	return error_allowed(ip, len, m, mcast_ok);
}

/* How much of the original packet we hold: the IP length if it is sane,
 * else what we were given (the error may be about a bad length). */
static size_t
orig_extent(size_t ip_len, size_t hdr_min, size_t orig_len)
{
	return ip_len >= hdr_min && ip_len <= orig_len ? ip_len : orig_len;
}

int
vx0_pkt_icmp4_error(uint8_t *out, size_t cap, const uint8_t *orig_ip, size_t orig_len,
		    uint8_t type, uint8_t code, uint32_t src_ip_be, uint32_t arg)
{
	size_t hl, q, total;
	uint8_t *icmp;

	if (orig_ip == NULL || orig_len < 20 || (orig_ip[0] >> 4) != 4)
		return -EINVAL;
	hl = (size_t)(orig_ip[0] & 0x0f) * 4;
	if (hl < 20 || hl > orig_len)
		return -EINVAL;
	q = orig_extent(vx0_rd16(orig_ip + 2), hl, orig_len);
	/* RFC 1812 4.3.2.3: as much as fits in 576 bytes (at least header + 8) */
	if (q > VX0_PKT_ICMP4_ERR_MAX - ICMP_ERR_HDR4)
		q = VX0_PKT_ICMP4_ERR_MAX - ICMP_ERR_HDR4;
	total = ICMP_ERR_HDR4 + q;
	if (out == NULL || cap < total)
		return -ENOSPC;
	memmove(out + ICMP_ERR_HDR4, orig_ip, q); /* memmove: out may alias orig */
	out[0] = 0x45;
	out[1] = ICMP_TOS_INTERNETWORK_CONTROL;
	vx0_wr16(out + 2, (uint16_t)total);
	vx0_wr32(out + 4, 0); /* id 0, no flags: the error is never fragmented (<= 576) */
	out[8] = ICMP_ERR_TTL;
	out[9] = VX0_IPPROTO_ICMP;
	memcpy(out + 12, &src_ip_be, 4);
	memcpy(out + 16, out + ICMP_ERR_HDR4 + 12, 4); /* to the original source */
	vx0_wr16(out + 10, 0);
	vx0_wr16(out + 10, vx0_pkt_ipv4_csum(out, 20));
	icmp = out + 20;
	icmp[0] = type;
	icmp[1] = code;
	vx0_wr16(icmp + 2, 0);
	vx0_wr32(icmp + 4, 0);
	if (type == 3 && code == 4) /* RFC 1191: next-hop MTU in the low 16 bits */
		vx0_wr16(icmp + 6, (uint16_t)arg);
	else if (type == 12) /* parameter problem pointer */
		icmp[4] = (uint8_t)arg;
	else if (type == 5) /* redirect: gateway address, arg in host order */
		vx0_wr32(icmp + 4, arg);
	vx0_wr16(icmp + 2, (uint16_t)~vx0_pkt_csum(icmp, 8 + q));
	return (int)total;
}

int
vx0_pkt_icmp6_error(uint8_t *out, size_t cap, const uint8_t *orig_ip6, size_t orig_len,
		    uint8_t type, uint8_t code, const uint8_t src_ip6[16], uint32_t arg)
{
	size_t q, total;
	uint8_t *icmp;

	if (orig_ip6 == NULL || src_ip6 == NULL || orig_len < 40 || (orig_ip6[0] >> 4) != 6)
		return -EINVAL;
	q = orig_extent(40 + (size_t)vx0_rd16(orig_ip6 + 4), 40, orig_len);
	/* RFC 4443 2.4(c): as much as fits without exceeding the minimum MTU */
	if (q > VX0_PKT_ICMP6_ERR_MAX - ICMP_ERR_HDR6)
		q = VX0_PKT_ICMP6_ERR_MAX - ICMP_ERR_HDR6;
	total = ICMP_ERR_HDR6 + q;
	if (out == NULL || cap < total)
		return -ENOSPC;
	memmove(out + ICMP_ERR_HDR6, orig_ip6, q);
	vx0_wr32(out, 0x60000000u);
	vx0_wr16(out + 4, (uint16_t)(8 + q));
	out[6] = VX0_IPPROTO_ICMPV6;
	out[7] = ICMP_ERR_TTL;
	memcpy(out + 24, out + ICMP_ERR_HDR6 + 8, 16); /* to the original source */
	memcpy(out + 8, src_ip6, 16);
	icmp = out + 40;
	icmp[0] = type;
	icmp[1] = code;
	vx0_wr16(icmp + 2, 0);
	/* type 2: MTU, type 4: pointer (RFC 4443 3.2, 3.4); else unused */
	vx0_wr32(icmp + 4, (type == 2 || type == 4) ? arg : 0);
	vx0_wr16(icmp + 2, vx0_pkt_l4_csum_ipv6(out + 8, out + 24, VX0_IPPROTO_ICMPV6, icmp, 8 + q));
	return (int)total;
}
