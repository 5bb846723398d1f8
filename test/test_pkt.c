/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/pkt parser and checksums. Good frames come from scapy
 * (tools/pkt-vectors.py -> test_pkt_vectors.h); every drop reason is
 * triggered by a frame crafted from one of them.
 */
#include <stdlib.h>

#include "vx0_pkt.h"
#include "vx0_test.h"
#include "test_pkt_vectors.h"
#include "pkt_fast_agree.h"

static uint8_t buf[2048];

struct exp {
	uint8_t l2, l4;
	uint16_t l3, ip_len, tci;
	uint8_t l3_type, proto, flags, ttl;
	uint16_t sport, dport;
	uint32_t spi;
};

static void
check_meta(const char *name, const uint8_t *f, size_t n, const struct exp *e)
{
	struct vx0_pkt_meta m;
	int rc;

	memset(&m, 0xa5, sizeof(m));
	rc = vx0_pkt_parse(f, (uint32_t)n, &m);
	if (rc != 0)
		fprintf(stderr, "%s: parse -> %s\n", name, vx0_pkt_drop_name((unsigned int)rc));
	CHECK_EQ(rc, 0);
	CHECK_EQ(m.l2_len, e->l2);
	CHECK_EQ(m.l3_len, e->l3);
	CHECK_EQ(m.l4_len, e->l4);
	CHECK_EQ(m.ip_len, e->ip_len);
	CHECK_EQ(m.vlan_tci, e->tci);
	CHECK_EQ(m.l3_type, e->l3_type);
	CHECK_EQ(m.l4_proto, e->proto);
	CHECK_EQ(m.flags, e->flags);
	CHECK_EQ(m.ttl, e->ttl);
	CHECK_EQ(m.sport, e->sport);
	CHECK_EQ(m.dport, e->dport);
	CHECK_EQ(m.spi, e->spi);
	/* the pipeline's fields are not the parser's */
	CHECK_EQ(m.in_port, 0xa5);
	CHECK_EQ(m.next_hop, 0xa5a5a5a5u);
	CHECK_EQ(m.stage, 0xa5);
	CHECK_EQ(m.aux, 0xa5a5);
}

#define META(v, ...) do { struct exp e_ = { __VA_ARGS__ }; check_meta(#v, v, sizeof(v), &e_); } while (0)

static void
test_parse_good(void)
{
	/* l2, l4, l3, ip_len, tci, l3_type, proto, flags, ttl, sport, dport, spi */
	META(vec_v4_udp, 14, 8, 20, 33, 0, VX0_L3_IPV4, 17, 0, 64, 1234, 53, 0);
	META(vec_v4_tcp_opts, 14, 28, 28, 56, 0, VX0_L3_IPV4, 6, VX0_PKT_F_IP_OPTS, 17, 40000, 179, 0);
	META(vec_vlan_v4_icmp, 18, 8, 20, 32, (5 << 13) | 100, VX0_L3_IPV4, 1, VX0_PKT_F_VLAN, 64, 8, 0, 0);
	META(vec_qinq_v6_udp, 22, 8, 40, 50, 20, VX0_L3_IPV6, 17, VX0_PKT_F_VLAN, 33, 5000, 6000, 0);
	META(vec_arp_req, 14, 0, 28, 28, 0, VX0_L3_ARP, 0, VX0_PKT_F_L2_MCAST, 0, 1, 0, 0);
	META(vec_b_arp_request_qinq, 22, 0, 28, 28, 20, VX0_L3_ARP, 0, VX0_PKT_F_L2_MCAST | VX0_PKT_F_VLAN, 0, 1, 0, 0);
	META(vec_v4_esp, 14, 8, 20, 52, 0, VX0_L3_IPV4, 50, 0, 64, 0, 0, 0x1234);
	META(vec_v4_esp_udp, 14, 8, 20, 60, 0, VX0_L3_IPV4, 17, VX0_PKT_F_ESP_UDP, 64, 4500, 4500, 0xdeadbeefu);
	META(vec_v4_natt_ka, 14, 8, 20, 29, 0, VX0_L3_IPV4, 17, VX0_PKT_F_NATT_KA, 64, 4500, 4500, 0);
	META(vec_v4_ike_4500, 14, 8, 20, 60, 0, VX0_L3_IPV4, 17, 0, 64, 4500, 4500, 0);
	META(vec_v4_frag_first, 14, 8, 20, 44, 0, VX0_L3_IPV4, 17, VX0_PKT_F_FRAG, 64, 1, 2, 0);
	META(vec_v4_frag_later, 14, 0, 20, 36, 0, VX0_L3_IPV4, 17, VX0_PKT_F_FRAG | VX0_PKT_F_LATER_FRAG, 64, 0, 0, 0);
	META(vec_v6_hbh_dst_tcp, 14, 20, 56, 76, 0, VX0_L3_IPV6, 6, VX0_PKT_F_IP_OPTS, 64, 179, 50000, 0);
	META(vec_v6_frag_first, 14, 8, 48, 64, 0, VX0_L3_IPV6, 17, VX0_PKT_F_FRAG | VX0_PKT_F_IP_OPTS, 64, 7, 8, 0);
	META(vec_v6_frag_later, 14, 0, 48, 56, 0, VX0_L3_IPV6, 17,
	     VX0_PKT_F_FRAG | VX0_PKT_F_LATER_FRAG | VX0_PKT_F_IP_OPTS, 64, 0, 0, 0);
	META(vec_v6_rh_ah_udp, 14, 8, 72, 82, 0, VX0_L3_IPV6, 17, VX0_PKT_F_IP_OPTS, 64, 9, 10, 0);
	META(vec_v6_esp, 14, 8, 40, 64, 0, VX0_L3_IPV6, 50, 0, 64, 0, 0, 0x10000);
	META(vec_v6_echo_mcast, 14, 8, 40, 48, 0, VX0_L3_IPV6, 58, VX0_PKT_F_L2_MCAST | VX0_PKT_F_L3_MCAST, 1, 128, 0, 0);
	META(vec_v6_nonext, 14, 0, 40, 40, 0, VX0_L3_IPV6, 59, 0, 64, 0, 0, 0);
	META(vec_v4_padded, 14, 8, 20, 29, 0, VX0_L3_IPV4, 17, 0, 64, 3, 4, 0);
	META(vec_v4_bcast, 14, 8, 20, 28, 0, VX0_L3_IPV4, 17, VX0_PKT_F_L2_MCAST | VX0_PKT_F_L3_MCAST, 64, 67, 68, 0);
	META(vec_v6_dad_ns, 14, 8, 40, 64, 0, VX0_L3_IPV6, 58, VX0_PKT_F_L2_MCAST | VX0_PKT_F_L3_MCAST, 255, 135, 0, 0);
}

/* ---- malformed frames ---- */

static size_t
load(const uint8_t *v, size_t n)
{
	memcpy(buf, v, n);
	return n;
}

static void
fix4(size_t l2) /* recompute the IPv4 header checksum after a poke */
{
	uint8_t *ip = buf + l2;
	uint16_t c = vx0_pkt_ipv4_csum(ip, (size_t)(ip[0] & 15) * 4);

	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
}

static void
set16(size_t at, uint16_t v)
{
	buf[at] = (uint8_t)(v >> 8);
	buf[at + 1] = (uint8_t)v;
}

static int
parse(size_t n)
{
	struct vx0_pkt_meta m;

	return vx0_pkt_parse(buf, (uint32_t)n, &m);
}

static void
test_drop_l2(void)
{
	size_t n;

	CHECK_EQ(parse(load(vec_v4_udp, 13)), VX0_DROP_RUNT);
	CHECK_EQ(vx0_pkt_parse(NULL, 0, &(struct vx0_pkt_meta){ 0 }), VX0_DROP_RUNT);
	CHECK_EQ(parse(load(vec_vlan_v4_icmp, 16)), VX0_DROP_VLAN_TRUNC);
	CHECK_EQ(parse(load(vec_qinq_v6_udp, 20)), VX0_DROP_VLAN_TRUNC);
	/* a third tag */
	n = load(vec_qinq_v6_udp, sizeof(vec_qinq_v6_udp));
	set16(20, 0x8100);
	CHECK_EQ(parse(n), VX0_DROP_VLAN_DEPTH);
	/* an S-tag inside a C-tag */
	set16(12, 0x8100);
	set16(16, 0x88a8);
	CHECK_EQ(parse(n), VX0_DROP_VLAN_DEPTH);
	/* two 802.1Q tags (old-style QinQ) are fine */
	n = load(vec_qinq_v6_udp, sizeof(vec_qinq_v6_udp));
	set16(12, 0x8100);
	CHECK_EQ(parse(n), 0);
	n = load(vec_v4_udp, sizeof(vec_v4_udp));
	set16(12, 0x88cc); /* LLDP */
	CHECK_EQ(parse(n), VX0_DROP_ETHERTYPE);
}

static void
test_drop_arp(void)
{
	size_t n;

	CHECK_EQ(parse(load(vec_arp_req, 14 + 27)), VX0_DROP_ARP_MALFORMED);
	n = load(vec_arp_req, sizeof(vec_arp_req));
	buf[15] = 6; /* htype IEEE 802 */
	CHECK_EQ(parse(n), VX0_DROP_ARP_MALFORMED);
	n = load(vec_arp_req, sizeof(vec_arp_req));
	set16(16, 0x86dd);
	CHECK_EQ(parse(n), VX0_DROP_ARP_MALFORMED);
	n = load(vec_arp_req, sizeof(vec_arp_req));
	buf[18] = 8;
	CHECK_EQ(parse(n), VX0_DROP_ARP_MALFORMED);
	n = load(vec_arp_req, sizeof(vec_arp_req));
	buf[19] = 16;
	CHECK_EQ(parse(n), VX0_DROP_ARP_MALFORMED);
	n = load(vec_arp_req, sizeof(vec_arp_req));
	set16(20, 3); /* RARP request */
	CHECK_EQ(parse(n), VX0_DROP_ARP_MALFORMED);
}

static void
test_drop_ipv4_header(void)
{
	size_t n;

	CHECK_EQ(parse(load(vec_v4_udp, 14 + 19)), VX0_DROP_IP_TRUNC);
	n = load(vec_v4_udp, sizeof(vec_v4_udp));
	buf[14] = 0x65;
	CHECK_EQ(parse(n), VX0_DROP_IP_VERSION);
	n = load(vec_v4_udp, sizeof(vec_v4_udp));
	buf[14] = 0x44;
	fix4(14);
	CHECK_EQ(parse(n), VX0_DROP_IP_HDRLEN);
	n = load(vec_v4_udp, sizeof(vec_v4_udp)); /* IHL 15 but 33 bytes of IP */
	buf[14] = 0x4f;
	CHECK_EQ(parse(n), VX0_DROP_IP_TRUNC);
	n = load(vec_v4_tcp_opts, sizeof(vec_v4_tcp_opts)); /* total length < IHL */
	set16(16, 24);
	fix4(14);
	CHECK_EQ(parse(n), VX0_DROP_IP_LEN);
	n = load(vec_v4_udp, sizeof(vec_v4_udp)); /* total length > frame */
	set16(16, 34);
	fix4(14);
	CHECK_EQ(parse(n), VX0_DROP_IP_LEN);
	n = load(vec_v4_udp, sizeof(vec_v4_udp));
	buf[19] ^= 0x01; /* IP id, checksum left as it was */
	CHECK_EQ(parse(n), VX0_DROP_IP_CSUM);
	n = load(vec_v4_tcp_opts, sizeof(vec_v4_tcp_opts));
	buf[14 + 22] ^= 0x80; /* inside the option */
	CHECK_EQ(parse(n), VX0_DROP_IP_CSUM);
}

static void
test_drop_ipv4_addr(void)
{
	static const uint8_t bad_src[][4] = {
		{ 127, 0, 0, 1 }, { 0, 0, 0, 0 }, { 0, 1, 2, 3 }, { 224, 0, 0, 5 },
		{ 239, 255, 255, 250 }, { 240, 0, 0, 1 }, { 255, 255, 255, 255 },
	};
	static const uint8_t bad_dst[][4] = { { 127, 0, 0, 1 }, { 0, 0, 0, 0 }, { 0, 9, 9, 9 } };
	size_t n, i;

	for (i = 0; i < sizeof(bad_src) / sizeof(bad_src[0]); i++) {
		n = load(vec_v4_udp, sizeof(vec_v4_udp));
		memcpy(buf + 26, bad_src[i], 4);
		fix4(14);
		CHECK_EQ(parse(n), VX0_DROP_IP_SRC);
	}
	for (i = 0; i < sizeof(bad_dst) / sizeof(bad_dst[0]); i++) {
		n = load(vec_v4_udp, sizeof(vec_v4_udp));
		memcpy(buf + 30, bad_dst[i], 4);
		fix4(14);
		CHECK_EQ(parse(n), VX0_DROP_IP_DST);
	}
	/* multicast destination is legal, flagged */
	n = load(vec_v4_udp, sizeof(vec_v4_udp));
	buf[30] = 224;
	fix4(14);
	{
		struct vx0_pkt_meta m;

		CHECK_EQ(vx0_pkt_parse(buf, (uint32_t)n, &m), 0);
		CHECK_EQ(m.flags, VX0_PKT_F_L3_MCAST);
	}
}

static void
test_drop_ipv4_frag(void)
{
	size_t n;

	/* MF with a 13-byte payload: not a multiple of 8 */
	n = load(vec_v4_udp, sizeof(vec_v4_udp));
	set16(20, 0x2000);
	fix4(14);
	CHECK_EQ(parse(n), VX0_DROP_IP_FRAG);
	/* offset 8191*8 + 16 bytes > 65535 */
	n = load(vec_v4_frag_later, sizeof(vec_v4_frag_later));
	set16(20, 0x1fff);
	fix4(14);
	CHECK_EQ(parse(n), VX0_DROP_IP_FRAG);
	/* offset 1 of TCP (RFC 1858) */
	n = load(vec_v4_frag_later, sizeof(vec_v4_frag_later));
	set16(20, 0x0001);
	buf[23] = 6;
	fix4(14);
	CHECK_EQ(parse(n), VX0_DROP_IP_FRAG);
	/* DF alone is not a fragment */
	n = load(vec_v4_udp, sizeof(vec_v4_udp));
	set16(20, 0x4000);
	fix4(14);
	CHECK_EQ(parse(n), 0);
}

static void
test_drop_ipv6(void)
{
	static const uint8_t lo[16] = { [15] = 1 }, any[16] = { 0 };
	uint8_t mc[16] = { 0xff, 0x02, [15] = 1 };
	size_t n;

	CHECK_EQ(parse(load(vec_qinq_v6_udp, 22 + 39)), VX0_DROP_IP_TRUNC);
	n = load(vec_qinq_v6_udp, sizeof(vec_qinq_v6_udp));
	buf[22] = 0x45;
	CHECK_EQ(parse(n), VX0_DROP_IP_VERSION);
	n = load(vec_qinq_v6_udp, sizeof(vec_qinq_v6_udp));
	set16(22 + 4, 11); /* payload length beyond the frame */
	CHECK_EQ(parse(n), VX0_DROP_IP_LEN);
	n = load(vec_qinq_v6_udp, sizeof(vec_qinq_v6_udp));
	memcpy(buf + 22 + 8, mc, 16);
	CHECK_EQ(parse(n), VX0_DROP_IP_SRC);
	memcpy(buf + 22 + 8, lo, 16);
	CHECK_EQ(parse(n), VX0_DROP_IP_SRC);
	memcpy(buf + 22 + 8, any, 16); /* :: may only send ICMPv6 */
	CHECK_EQ(parse(n), VX0_DROP_IP_SRC);
	n = load(vec_qinq_v6_udp, sizeof(vec_qinq_v6_udp));
	memcpy(buf + 22 + 24, lo, 16);
	CHECK_EQ(parse(n), VX0_DROP_IP_DST);
	memcpy(buf + 22 + 24, any, 16);
	CHECK_EQ(parse(n), VX0_DROP_IP_DST);
	/* later fragment from :: */
	n = load(vec_v6_frag_later, sizeof(vec_v6_frag_later));
	memcpy(buf + 14 + 8, any, 16);
	CHECK_EQ(parse(n), VX0_DROP_IP_SRC);
}

static void
test_drop_ipv6_ext(void)
{
	size_t n, i;

	/* hop-by-hop after destination options */
	n = load(vec_v6_hbh_dst_tcp, sizeof(vec_v6_hbh_dst_tcp));
	buf[14 + 48] = 0;
	CHECK_EQ(parse(n), VX0_DROP_IPV6_EXT);
	/* extension header longer than the payload */
	n = load(vec_v6_hbh_dst_tcp, sizeof(vec_v6_hbh_dst_tcp));
	buf[14 + 41] = 200;
	CHECK_EQ(parse(n), VX0_DROP_IPV6_EXT);
	/* payload ends inside the extension header */
	n = load(vec_v6_hbh_dst_tcp, sizeof(vec_v6_hbh_dst_tcp));
	set16(14 + 4, 4);
	CHECK_EQ(parse(n), VX0_DROP_IPV6_EXT);
	/* AH length not a multiple of 8 (IPv6, RFC 4302 2.2) */
	n = load(vec_v6_rh_ah_udp, sizeof(vec_v6_rh_ah_udp));
	buf[14 + 48 + 1] = 3;
	CHECK_EQ(parse(n), VX0_DROP_IPV6_EXT);
	/* two fragment headers */
	n = load(vec_v6_frag_first, sizeof(vec_v6_frag_first));
	buf[14 + 40] = 44;
	CHECK_EQ(parse(n), VX0_DROP_IPV6_EXT);
	/* a chain of 9 destination options headers: beyond the bound */
	memcpy(buf, vec_v6_nonext, 54);
	buf[14 + 6] = 60;
	for (i = 0; i < 9; i++) {
		memset(buf + 54 + 8 * i, 0, 8);
		buf[54 + 8 * i] = i == 8 ? 59 : 60;
		buf[54 + 8 * i + 2] = 1; /* PadN, 4 bytes */
		buf[54 + 8 * i + 3] = 4;
	}
	set16(14 + 4, 72);
	CHECK_EQ(parse(54 + 72), VX0_DROP_IPV6_EXT);
	buf[54 + 8 * 7] = 59; /* 8 headers: accepted */
	{
		struct vx0_pkt_meta m;

		CHECK_EQ(vx0_pkt_parse(buf, 54 + 72, &m), 0);
		CHECK_EQ(m.l3_len, 40 + 64);
		CHECK_EQ(m.l4_proto, 59);
	}
	/* fragments: M set with a payload not a multiple of 8; past 65535 */
	n = load(vec_v6_frag_later, sizeof(vec_v6_frag_later));
	buf[14 + 43] |= 1;
	set16(14 + 4, 13);
	CHECK_EQ(parse(n), VX0_DROP_IP_FRAG);
	n = load(vec_v6_frag_later, sizeof(vec_v6_frag_later));
	set16(14 + 42, 0xfff8);
	CHECK_EQ(parse(n), VX0_DROP_IP_FRAG);
}

static void
test_drop_l4(void)
{
	size_t n;

	/* UDP header cut by the IP total length (frame still holds it) */
	n = load(vec_v4_udp, sizeof(vec_v4_udp));
	set16(16, 27);
	fix4(14);
	CHECK_EQ(parse(n), VX0_DROP_L4_TRUNC);
	n = load(vec_v4_tcp_opts, sizeof(vec_v4_tcp_opts));
	set16(16, 28 + 19);
	fix4(14);
	CHECK_EQ(parse(n), VX0_DROP_L4_TRUNC);
	n = load(vec_vlan_v4_icmp, sizeof(vec_vlan_v4_icmp));
	set16(18 + 2, 27);
	fix4(18);
	CHECK_EQ(parse(n), VX0_DROP_L4_TRUNC);
	n = load(vec_v6_echo_mcast, sizeof(vec_v6_echo_mcast));
	set16(14 + 4, 3);
	CHECK_EQ(parse(n), VX0_DROP_L4_TRUNC);
	set16(14 + 4, 4); /* 4 bytes of ICMPv6 is enough */
	CHECK_EQ(parse(n), 0);
	/* the first fragment must hold the whole TCP header (RFC 1858) */
	n = load(vec_v4_frag_first, sizeof(vec_v4_frag_first));
	buf[23] = 6;
	set16(16, 20 + 16);
	fix4(14);
	CHECK_EQ(parse(n), VX0_DROP_L4_TRUNC);
	/* UDP length */
	n = load(vec_v4_udp, sizeof(vec_v4_udp));
	set16(38, 7);
	CHECK_EQ(parse(n), VX0_DROP_UDP_LEN);
	set16(38, 14);
	CHECK_EQ(parse(n), VX0_DROP_UDP_LEN);
	set16(38, 12); /* shorter than the IP payload: trailing bytes ignored */
	CHECK_EQ(parse(n), 0);
	/* TCP data offset */
	n = load(vec_v4_tcp_opts, sizeof(vec_v4_tcp_opts));
	buf[14 + 28 + 12] = 0x40;
	CHECK_EQ(parse(n), VX0_DROP_TCP_HDRLEN);
	buf[14 + 28 + 12] = 0x80; /* 32 bytes > 28 */
	CHECK_EQ(parse(n), VX0_DROP_TCP_HDRLEN);
}

static void
test_drop_esp(void)
{
	size_t n;

	n = load(vec_v4_esp, sizeof(vec_v4_esp));
	set16(16, 27);
	fix4(14);
	CHECK_EQ(parse(n), VX0_DROP_ESP_TRUNC);
	n = load(vec_v6_esp, sizeof(vec_v6_esp));
	set16(14 + 4, 7);
	CHECK_EQ(parse(n), VX0_DROP_ESP_TRUNC);
	n = load(vec_v4_esp, sizeof(vec_v4_esp));
	memset(buf + 34, 0, 4);
	CHECK_EQ(parse(n), VX0_DROP_ESP_SPI);
	/* UDP 4500 payloads: 5 bytes (not a keepalive, not a marker) */
	n = load(vec_v4_esp_udp, sizeof(vec_v4_esp_udp));
	set16(38, 13);
	CHECK_EQ(parse(n), VX0_DROP_ESP_TRUNC);
	set16(38, 8); /* empty */
	CHECK_EQ(parse(n), VX0_DROP_ESP_TRUNC);
	n = load(vec_v4_natt_ka, sizeof(vec_v4_natt_ka));
	buf[42] = 0xfe; /* one byte that is not 0xff */
	CHECK_EQ(parse(n), VX0_DROP_ESP_TRUNC);
	/* 4500 as the source port only (the initiator's side) still counts */
	n = load(vec_v4_esp_udp, sizeof(vec_v4_esp_udp));
	set16(36, 33000);
	{
		struct vx0_pkt_meta m;

		CHECK_EQ(vx0_pkt_parse(buf, (uint32_t)n, &m), 0);
		CHECK_EQ(m.flags, VX0_PKT_F_ESP_UDP);
		CHECK_EQ(m.spi, 0xdeadbeefu);
	}
}

static void
test_drop_names(void)
{
	unsigned int i, j;

	CHECK(strcmp(vx0_pkt_drop_name(VX0_DROP_IP_CSUM), "ip_csum") == 0);
	CHECK(strcmp(vx0_pkt_drop_name(VX0_DROP_RUNT), "runt") == 0);
	CHECK(strcmp(vx0_pkt_drop_name(VX0_DROP_PARSE_MAX), "unknown") == 0);
	CHECK(strcmp(vx0_pkt_drop_name(1000), "unknown") == 0);
	for (i = 0; i < VX0_DROP_PARSE_MAX; i++) {
		CHECK(strcmp(vx0_pkt_drop_name(i), "unknown") != 0);
		for (j = 0; j < i; j++)
			CHECK(strcmp(vx0_pkt_drop_name(i), vx0_pkt_drop_name(j)) != 0);
	}
}

/* ---- checksums ---- */

static void
test_csum_rfc1071(void)
{
	/* RFC 1071 section 3, numerical example: sum ddf2, checksum 220d */
	static const uint8_t b[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	/* the usual IPv4 header example (Wikipedia "IPv4 header checksum"): 0xb861 */
	static const uint8_t h[] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
				     0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7 };
	uint32_t s;

	CHECK_EQ(vx0_pkt_csum(b, sizeof(b)), 0xddf2);
	CHECK_EQ((uint16_t)~vx0_pkt_csum(b, sizeof(b)), 0x220d);
	/* byte order independence and split sums (RFC 1071 2(B), 2(C)) */
	s = vx0_pkt_csum_add(0, b, 2);
	s = vx0_pkt_csum_add(s, b + 2, 6);
	CHECK_EQ(vx0_pkt_csum_fold(s), 0xddf2);
	/* odd length: the last byte is padded with zero */
	CHECK_EQ(vx0_pkt_csum(b, 7), vx0_pkt_csum_fold(0x0001 + 0xf203 + 0xf4f5 + 0xf600));
	CHECK_EQ(vx0_pkt_csum(b, 0), 0);
	CHECK_EQ(vx0_pkt_ipv4_csum(h, sizeof(h)), 0xb861);
	CHECK_EQ(vx0_pkt_csum(h, sizeof(h)), 0xffff);
	/* the scapy-built headers verify */
	CHECK_EQ(vx0_pkt_ipv4_csum(vec_v4_udp + 14, 20), (vec_v4_udp[24] << 8) | vec_v4_udp[25]);
	CHECK_EQ(vx0_pkt_ipv4_csum(vec_v4_tcp_opts + 14, 28),
		 (vec_v4_tcp_opts[24] << 8) | vec_v4_tcp_opts[25]);
}

static void
test_csum_l4(void)
{
	const uint8_t *ip;

	/* scapy filled in the transport checksums: with the field, the sum is 0 */
	ip = vec_v4_udp + 14;
	CHECK_EQ(vx0_pkt_l4_csum_ipv4(ip + 12, ip + 16, 17, ip + 20, 13), 0);
	ip = vec_v4_tcp_opts + 14;
	CHECK_EQ(vx0_pkt_l4_csum_ipv4(ip + 12, ip + 16, 6, ip + 28, 28), 0);
	ip = vec_qinq_v6_udp + 22;
	CHECK_EQ(vx0_pkt_l4_csum_ipv6(ip + 8, ip + 24, 17, ip + 40, 10), 0);
	ip = vec_v6_echo_mcast + 14;
	CHECK_EQ(vx0_pkt_l4_csum_ipv6(ip + 8, ip + 24, 58, ip + 40, 8), 0);
	/* with the field zeroed, the result is what scapy stored */
	memcpy(buf, vec_v6_hbh_dst_tcp, sizeof(vec_v6_hbh_dst_tcp));
	ip = buf + 14;
	buf[14 + 56 + 16] = buf[14 + 56 + 17] = 0;
	CHECK_EQ(vx0_pkt_l4_csum_ipv6(ip + 8, ip + 24, 6, ip + 56, 20),
		 (vec_v6_hbh_dst_tcp[14 + 56 + 16] << 8) | vec_v6_hbh_dst_tcp[14 + 56 + 17]);
}

static void
test_csum_incremental(void)
{
	uint8_t h[20];
	unsigned int ttl, i;
	uint32_t x = 12345;

	/* RFC 1624 section 4: sum of the rest 0xCD7A, m 0x5555 -> m' 0x3285:
	 * HC 0xDD2F becomes 0x0000 (eqn 2 would give 0xFFFF) */
	CHECK_EQ(vx0_pkt_csum_update16(0xdd2f, 0x5555, 0x3285), 0x0000);
	CHECK_EQ((uint16_t)~vx0_pkt_csum_fold(0xcd7a + 0x3285), 0x0000);
	/* TTL decrement equals recomputation for every TTL and random headers */
	for (i = 0; i < 200; i++) {
		memcpy(h, vec_v4_udp + 14, 20);
		for (unsigned int k = 12; k < 20; k++) {
			x = x * 1103515245u + 12345u;
			h[k] = (uint8_t)(x >> 16);
		}
		for (ttl = 2; ttl <= 255; ttl++) {
			uint16_t c;

			h[8] = (uint8_t)ttl;
			c = vx0_pkt_ipv4_csum(h, 20);
			h[10] = (uint8_t)(c >> 8);
			h[11] = (uint8_t)c;
			CHECK_EQ(vx0_pkt_ipv4_dec_ttl(h), ttl - 1);
			CHECK_EQ(h[8], ttl - 1);
			CHECK_EQ(vx0_pkt_csum(h, 20), 0xffff);
			CHECK_EQ((h[10] << 8) | h[11], vx0_pkt_ipv4_csum(h, 20));
		}
	}
	/* TTL 1 and 0: nothing changes, 0 returned */
	memcpy(h, vec_v4_udp + 14, 20);
	h[8] = 1;
	CHECK_EQ(vx0_pkt_ipv4_dec_ttl(h), 0);
	CHECK_EQ(h[8], 1);
	CHECK_EQ(h[10], vec_v4_udp[24]);
	h[8] = 0;
	CHECK_EQ(vx0_pkt_ipv4_dec_ttl(h), 0);
	CHECK_EQ(h[8], 0);
	memcpy(buf, vec_v6_esp + 14, 40);
	CHECK_EQ(vx0_pkt_ipv6_dec_hlim(buf), 63);
	CHECK_EQ(buf[7], 63);
	buf[7] = 1;
	CHECK_EQ(vx0_pkt_ipv6_dec_hlim(buf), 0);
	CHECK_EQ(buf[7], 1);
}

/* The transit fast path against the full parse: every vector, padded to a
 * minimum Ethernet frame too, and every one-byte corruption and truncation
 * of each. */
static void
test_fast_path(void)
{
	static const struct { const uint8_t *f; size_t n; int take; } v[] = {
#define V(x, t) { x, sizeof(x), t }
		V(vec_v4_udp, 1), V(vec_v4_tcp_opts, 0), V(vec_vlan_v4_icmp, 0),
		V(vec_qinq_v6_udp, 0), V(vec_arp_req, 0), V(vec_v4_esp, 1),
		V(vec_v4_esp_udp, 1), V(vec_v4_natt_ka, 1), V(vec_v4_ike_4500, 1),
		V(vec_v4_frag_first, 0), V(vec_v4_frag_later, 0), V(vec_v6_hbh_dst_tcp, 0),
		V(vec_v6_frag_first, 0), V(vec_v6_frag_later, 0), V(vec_v6_rh_ah_udp, 0),
		V(vec_v6_esp, 1), V(vec_v6_echo_mcast, 0), V(vec_v6_nonext, 1),
		V(vec_v4_padded, 1), V(vec_v4_bcast, 0), V(vec_v6_dad_ns, 0),
		V(vec_b_ns_unicast, 1), V(vec_b_na_sol, 1), V(vec_big4, 0), V(vec_big6, 0), /* bare IP: no Ethernet */
#undef V
	};
	static const uint8_t masks[] = { 0x01, 0x10, 0x80, 0xff };
	unsigned int taken = 0, bad = 0, runs = 0;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t n = v[i].n < 60 ? 60 : v[i].n; /* padded as on the wire */
		int r;

		memset(buf, 0, sizeof(buf));
		memcpy(buf, v[i].f, v[i].n);
		r = pkt_fast_agrees(v[i].f, (uint32_t)v[i].n);
		if (r != v[i].take)
			fprintf(stderr, "fast path: vector %zu (%zu bytes): %d\n", i, v[i].n, r);
		CHECK_EQ(r, v[i].take);
		CHECK_EQ(pkt_fast_agrees(buf, (uint32_t)n), v[i].take);
		for (size_t k = 0; k < n && k < 96; k++) {
			for (size_t j = 0; j < sizeof(masks); j++) {
				buf[k] ^= masks[j];
				r = pkt_fast_agrees(buf, (uint32_t)n);
				buf[k] ^= masks[j];
				bad += r < 0;
				taken += r > 0;
				runs++;
			}
		}
		for (size_t cut = 0; cut < n; cut++) {
			r = pkt_fast_agrees(buf, (uint32_t)cut);
			bad += r < 0;
			taken += r > 0;
			runs++;
		}
	}
	CHECK_EQ(bad, 0u);
	/* the corruptions exercise the fast path, not only the fallback */
	CHECK(taken > runs / 8);
}

int
main(void)
{
	VX0_RUN(test_parse_good);
	VX0_RUN(test_drop_l2);
	VX0_RUN(test_drop_arp);
	VX0_RUN(test_drop_ipv4_header);
	VX0_RUN(test_drop_ipv4_addr);
	VX0_RUN(test_drop_ipv4_frag);
	VX0_RUN(test_drop_ipv6);
	VX0_RUN(test_drop_ipv6_ext);
	VX0_RUN(test_drop_l4);
	VX0_RUN(test_drop_esp);
	VX0_RUN(test_drop_names);
	VX0_RUN(test_fast_path);
	VX0_RUN(test_csum_rfc1071);
	VX0_RUN(test_csum_l4);
	VX0_RUN(test_csum_incremental);
	return vx0_test_done();
}
