/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The one parse of every received frame: Ethernet, up to two VLAN tags,
 * ARP, IPv4, IPv6 with its extension header chain, and the transport
 * header (UDP, TCP, ICMP, ICMPv6, ESP, ESP-in-UDP). Every length is
 * checked before the read it guards; the first problem found is returned
 * as a drop reason so the pipeline can count it.
 */
#include <stddef.h>
#include <string.h>

#include "vx0_pkt.h"
#include "vx0_pkt_wire.h"

/* Bound on IPv6 extension headers before the upper layer: real traffic
 * carries one or two; a long chain is an attack on the parser. */
#define VX0_PKT_IPV6_MAX_EXT 8

static const char *const drop_names[VX0_DROP_PARSE_MAX] = {
	[VX0_PKT_OK] = "ok",
	[VX0_DROP_RUNT] = "runt",
	[VX0_DROP_VLAN_TRUNC] = "vlan_trunc",
	[VX0_DROP_VLAN_DEPTH] = "vlan_depth",
	[VX0_DROP_ETHERTYPE] = "ethertype",
	[VX0_DROP_ARP_MALFORMED] = "arp_malformed",
	[VX0_DROP_IP_TRUNC] = "ip_trunc",
	[VX0_DROP_IP_VERSION] = "ip_version",
	[VX0_DROP_IP_HDRLEN] = "ip_hdrlen",
	[VX0_DROP_IP_LEN] = "ip_len",
	[VX0_DROP_IP_CSUM] = "ip_csum",
	[VX0_DROP_IP_SRC] = "ip_src",
	[VX0_DROP_IP_DST] = "ip_dst",
	[VX0_DROP_IP_FRAG] = "ip_frag",
	[VX0_DROP_IPV6_EXT] = "ipv6_ext",
	[VX0_DROP_L4_TRUNC] = "l4_trunc",
	[VX0_DROP_UDP_LEN] = "udp_len",
	[VX0_DROP_TCP_HDRLEN] = "tcp_hdrlen",
	[VX0_DROP_ESP_TRUNC] = "esp_trunc",
	[VX0_DROP_ESP_SPI] = "esp_spi",
};

const char *
vx0_pkt_drop_name(unsigned int reason)
{
	if (reason >= VX0_DROP_PARSE_MAX || drop_names[reason] == NULL)
		return "unknown";
	return drop_names[reason];
}

/* UDP to or from 4500 (RFC 3948 2.2): keepalive, IKE (non-ESP marker) or ESP. */
static int
parse_natt(const uint8_t *p, uint32_t n, struct vx0_pkt_meta *m)
{
	if (n == 1 && p[0] == 0xff) {
		m->flags |= VX0_PKT_F_NATT_KA;
		return VX0_PKT_OK;
	}
	if (n >= 4 && vx0_rd32(p) == 0)
		return VX0_PKT_OK; /* IKE behind the non-ESP marker: the punt path's */
	if (n < 8)
		return VX0_DROP_ESP_TRUNC;
	m->spi = vx0_rd32(p);
	m->flags |= VX0_PKT_F_ESP_UDP;
	return VX0_PKT_OK;
}

/*
 * p/n: the IP payload after the L3 header(s), n bounded by the IP length.
 * frag: a first fragment, so lengths that cover the whole datagram (UDP
 * length) can't be checked against n, and port 4500 payloads aren't
 * classified (the ESP packet needs reassembly first).
 */
static int
parse_l4(const uint8_t *p, uint32_t n, int v6, int frag, struct vx0_pkt_meta *m)
{
	uint32_t ulen, doff;

	switch (m->l4_proto) {
	case VX0_IPPROTO_UDP:
		if (n < 8)
			return VX0_DROP_L4_TRUNC;
		ulen = vx0_rd16(p + 4);
		if (ulen < 8 || (!frag && ulen > n))
			return VX0_DROP_UDP_LEN;
		m->sport = vx0_rd16(p);
		m->dport = vx0_rd16(p + 2);
		m->l4_len = 8;
		if (!frag && (m->dport == VX0_NATT_PORT || m->sport == VX0_NATT_PORT))
			return parse_natt(p + 8, ulen - 8, m);
		return VX0_PKT_OK;
	case VX0_IPPROTO_TCP:
		if (n < 20)
			return VX0_DROP_L4_TRUNC;
		doff = (uint32_t)(p[12] >> 4) * 4;
		if (doff < 20 || doff > n)
			return VX0_DROP_TCP_HDRLEN;
		m->sport = vx0_rd16(p);
		m->dport = vx0_rd16(p + 2);
		m->l4_len = (uint8_t)doff;
		return VX0_PKT_OK;
	case VX0_IPPROTO_ICMP:
		if (v6)
			return VX0_PKT_OK; /* ICMPv4 inside IPv6: opaque payload */
		if (n < 8)
			return VX0_DROP_L4_TRUNC;
		m->sport = p[0];
		m->dport = p[1];
		m->l4_len = 8;
		return VX0_PKT_OK;
	case VX0_IPPROTO_ICMPV6:
		if (!v6)
			return VX0_PKT_OK;
		if (n < 4)
			return VX0_DROP_L4_TRUNC;
		m->sport = p[0];
		m->dport = p[1];
		m->l4_len = n >= 8 ? 8 : 4;
		return VX0_PKT_OK;
	case VX0_IPPROTO_ESP:
		if (n < 8)
			return VX0_DROP_ESP_TRUNC;
		m->spi = vx0_rd32(p);
		if (m->spi == 0)
			return VX0_DROP_ESP_SPI;
		m->l4_len = 8;
		return VX0_PKT_OK;
	default:
		return VX0_PKT_OK;
	}
}

static int
parse_arp(const uint8_t *p, uint32_t n, struct vx0_pkt_meta *m)
{
	uint16_t op;

	m->l3_type = VX0_L3_ARP;
	if (n < VX0_PKT_ARP_LEN || vx0_rd16(p) != 1 || vx0_rd16(p + 2) != VX0_ETH_P_IPV4 ||
	    p[4] != 6 || p[5] != 4)
		return VX0_DROP_ARP_MALFORMED;
	op = vx0_rd16(p + 6);
	if (op != VX0_ARP_OP_REQUEST && op != VX0_ARP_OP_REPLY)
		return VX0_DROP_ARP_MALFORMED;
	m->l3_len = VX0_PKT_ARP_LEN;
	m->ip_len = VX0_PKT_ARP_LEN;
	m->sport = op;
	return VX0_PKT_OK;
}

/* RFC 1071 sum over the header, checked against 0xffff: the common 20-byte
 * header inline, the generic sum for one with options. */
static inline bool
ipv4_csum_ok(const uint8_t *ip, uint32_t hl)
{
	if (__builtin_expect(hl != 20, 0))
		return vx0_pkt_csum(ip, hl) == 0xffff;
	return vx0_pkt_ipv4_hdr20_csum_ok(ip);
}

static int
parse_ipv4(const uint8_t *ip, uint32_t n, struct vx0_pkt_meta *m)
{
	uint32_t hl, tot, fo, foff, plen;
	int frag = 0;

	m->l3_type = VX0_L3_IPV4;
	if (n < 20)
		return VX0_DROP_IP_TRUNC;
	if ((ip[0] >> 4) != 4)
		return VX0_DROP_IP_VERSION;
	hl = (uint32_t)(ip[0] & 0x0f) * 4;
	if (hl < 20)
		return VX0_DROP_IP_HDRLEN;
	if (hl > n)
		return VX0_DROP_IP_TRUNC;
	tot = vx0_rd16(ip + 2);
	if (tot < hl || tot > n) /* n > tot is Ethernet padding: fine */
		return VX0_DROP_IP_LEN;
	if (!ipv4_csum_ok(ip, hl))
		return VX0_DROP_IP_CSUM;
	/* RFC 1812 5.3.7: 0/8, 127/8, multicast and class E (incl. 255.255.255.255) sources */
	if (ip[12] == 0 || ip[12] == 127 || ip[12] >= 224)
		return VX0_DROP_IP_SRC;
	if (ip[16] == 0 || ip[16] == 127)
		return VX0_DROP_IP_DST;
	if ((ip[16] >= 224 && ip[16] < 240) || vx0_rd32(ip + 16) == 0xffffffffu)
		m->flags |= VX0_PKT_F_L3_MCAST;
	if (hl > 20)
		m->flags |= VX0_PKT_F_IP_OPTS;
	m->l3_len = (uint16_t)hl;
	m->ip_len = (uint16_t)tot;
	m->ttl = ip[8];
	m->l4_proto = ip[9];
	plen = tot - hl;
	fo = vx0_rd16(ip + 6);
	if (fo & 0x3fff) { /* MF or an offset: DF alone is not a fragment */
		m->flags |= VX0_PKT_F_FRAG;
		foff = (fo & 0x1fff) * 8;
		if (foff + plen > 65535 || ((fo & 0x2000) && (plen & 7)))
			return VX0_DROP_IP_FRAG;
		/* RFC 1858 3.2: offset 1 with TCP can rewrite the TCP flags */
		if (foff == 8 && m->l4_proto == VX0_IPPROTO_TCP)
			return VX0_DROP_IP_FRAG;
		if (foff) {
			m->flags |= VX0_PKT_F_LATER_FRAG;
			return VX0_PKT_OK;
		}
		frag = 1;
	}
	return parse_l4(ip + hl, plen, 0, frag, m);
}

static int
ipv6_is(const uint8_t *a, uint8_t last)
{
	static const uint8_t zero[15];

	return memcmp(a, zero, 15) == 0 && a[15] == last;
}

static int
parse_ipv6(const uint8_t *ip, uint32_t n, struct vx0_pkt_meta *m)
{
	uint32_t end, off = 40, hlen, foff, rest;
	unsigned int next, count = 0;
	int frag = 0, seen_frag = 0;
	const uint8_t *p;

	m->l3_type = VX0_L3_IPV6;
	if (n < 40)
		return VX0_DROP_IP_TRUNC;
	if ((ip[0] >> 4) != 6)
		return VX0_DROP_IP_VERSION;
	end = 40 + (uint32_t)vx0_rd16(ip + 4);
	if (end > n)
		return VX0_DROP_IP_LEN;
	/* RFC 4291 2.5.3, 2.7: multicast and loopback never source a packet */
	if (ip[8] == 0xff || ipv6_is(ip + 8, 1))
		return VX0_DROP_IP_SRC;
	if (ipv6_is(ip + 24, 0) || ipv6_is(ip + 24, 1))
		return VX0_DROP_IP_DST;
	if (ip[24] == 0xff)
		m->flags |= VX0_PKT_F_L3_MCAST;
	m->ip_len = (uint16_t)end;
	m->ttl = ip[7];
	next = ip[6];
	for (;;) {
		p = ip + off;
		rest = end - off;
		if (next == VX0_IPPROTO_HOPOPTS || next == VX0_IPPROTO_ROUTING ||
		    next == VX0_IPPROTO_DSTOPTS) {
			/* RFC 8200 4.1: hop-by-hop only right after the fixed header */
			if (next == VX0_IPPROTO_HOPOPTS && count != 0)
				return VX0_DROP_IPV6_EXT;
			if (rest < 8)
				return VX0_DROP_IPV6_EXT;
			hlen = ((uint32_t)p[1] + 1) * 8;
		} else if (next == VX0_IPPROTO_AH) {
			if (rest < 12)
				return VX0_DROP_IPV6_EXT;
			hlen = ((uint32_t)p[1] + 2) * 4; /* RFC 4302 2.2 */
			if (hlen < 12 || (hlen & 7))
				return VX0_DROP_IPV6_EXT;
		} else if (next == VX0_IPPROTO_FRAGMENT) {
			if (rest < 8 || seen_frag)
				return VX0_DROP_IPV6_EXT;
			seen_frag = 1;
			hlen = 8;
			foff = vx0_rd16(p + 2) & 0xfff8;
			/* offset 0 and M clear is an atomic fragment (RFC 6946): a whole packet */
			if (foff || (p[3] & 1)) {
				m->flags |= VX0_PKT_F_FRAG;
				if (foff + rest - 8 > 65535 || ((p[3] & 1) && ((rest - 8) & 7)))
					return VX0_DROP_IP_FRAG;
				if (foff) {
					if (++count > VX0_PKT_IPV6_MAX_EXT)
						return VX0_DROP_IPV6_EXT;
					if (ipv6_is(ip + 8, 0))
						return VX0_DROP_IP_SRC;
					m->flags |= VX0_PKT_F_LATER_FRAG | VX0_PKT_F_IP_OPTS;
					m->l3_len = (uint16_t)(off + 8);
					m->l4_proto = p[0];
					return VX0_PKT_OK;
				}
				frag = 1;
			}
		} else {
			break;
		}
		if (hlen > rest || ++count > VX0_PKT_IPV6_MAX_EXT)
			return VX0_DROP_IPV6_EXT;
		next = p[0];
		off += hlen;
	}
	/* :: may only source ICMPv6 (DAD neighbour solicitations, MLD) */
	if (ipv6_is(ip + 8, 0) && next != VX0_IPPROTO_ICMPV6)
		return VX0_DROP_IP_SRC;
	if (count)
		m->flags |= VX0_PKT_F_IP_OPTS;
	m->l3_len = (uint16_t)off;
	m->l4_proto = (uint8_t)next;
	return parse_l4(ip + off, end - off, 1, frag, m);
}

int
vx0_pkt_parse(const uint8_t *frame, uint32_t len, struct vx0_pkt_meta *m)
{
	uint32_t off = VX0_ETH_HLEN;
	unsigned int tags = 0;
	uint16_t et;

	memset(m, 0, offsetof(struct vx0_pkt_meta, in_port));
	if (len < VX0_ETH_HLEN)
		return VX0_DROP_RUNT;
	if (frame[0] & 1)
		m->flags |= VX0_PKT_F_L2_MCAST;
	et = vx0_rd16(frame + 12);
	while (et == VX0_ETH_P_VLAN || et == VX0_ETH_P_QINQ) {
		/* 802.1ad: an S-tag only outermost, at most S-tag + C-tag */
		if (tags == 2 || (tags == 1 && et == VX0_ETH_P_QINQ))
			return VX0_DROP_VLAN_DEPTH;
		if (len - off < 4)
			return VX0_DROP_VLAN_TRUNC;
		m->vlan_tci = vx0_rd16(frame + off);
		et = vx0_rd16(frame + off + 2);
		off += 4;
		tags++;
	}
	if (tags)
		m->flags |= VX0_PKT_F_VLAN;
	m->l2_len = (uint8_t)off;
	switch (et) {
	case VX0_ETH_P_IPV4:
		return parse_ipv4(frame + off, len - off, m);
	case VX0_ETH_P_IPV6:
		return parse_ipv6(frame + off, len - off, m);
	case VX0_ETH_P_ARP:
		return parse_arp(frame + off, len - off, m);
	default:
		return VX0_DROP_ETHERTYPE;
	}
}

int
vx0_pkt_parse_l4(const uint8_t *frame, uint32_t len, struct vx0_pkt_meta *m)
{
	const uint8_t *ip = frame + m->l2_len;

	if (m->l4_len != VX0_PKT_L4_PENDING)
		return VX0_PKT_OK;
	m->l4_len = 0;
	/* vx0_pkt_parse_l3 checked l2_len + ip_len <= len and took no fragment */
	if ((uint32_t)m->l2_len + m->ip_len > len || m->l3_len > m->ip_len)
		return VX0_DROP_IP_LEN;
	return parse_l4(ip + m->l3_len, (uint32_t)(m->ip_len - m->l3_len),
			m->l3_type == VX0_L3_IPV6, 0, m);
}
