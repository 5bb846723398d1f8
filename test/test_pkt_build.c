/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/pkt builders and their parsers: ICMP errors, ARP, ND. Expected bytes
 * come from scapy (tools/pkt-vectors.py -> test_pkt_vectors.h).
 */
#include <errno.h>

#include "vx0_pkt.h"
#include "vx0_test.h"
#include "test_pkt_vectors.h"

static const uint8_t ours_mac[6] = { 2, 0, 0, 0, 0, 1 }, peer_mac[6] = { 2, 0, 0, 0, 0, 2 };
static const uint8_t v4a[4] = { 198, 51, 100, 1 }, v4c[4] = { 198, 51, 100, 254 };
static const uint8_t v6a[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t v6c[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0xfe };

static uint8_t out[2048], buf[2048];

static uint32_t
be32_of(const uint8_t a[4])
{
	uint32_t v;

	memcpy(&v, a, 4);
	return v;
}

/* ---- ICMP errors ---- */

static void
test_icmp4_error_vectors(void)
{
	int n;

	n = vx0_pkt_icmp4_error(out, sizeof(out), vec_orig4, sizeof(vec_orig4), 11, 0, be32_of(v4c), 0);
	CHECK_EQ(n, sizeof(vec_b_icmp4_ttl));
	CHECK_MEM(out, vec_b_icmp4_ttl, sizeof(vec_b_icmp4_ttl));
	/* Ethernet padding after the original is not quoted */
	memcpy(buf, vec_orig4, sizeof(vec_orig4));
	memset(buf + sizeof(vec_orig4), 0, 20);
	n = vx0_pkt_icmp4_error(out, sizeof(out), buf, sizeof(vec_orig4) + 20, 11, 0, be32_of(v4c), 0);
	CHECK_EQ(n, sizeof(vec_b_icmp4_ttl));
	CHECK_MEM(out, vec_b_icmp4_ttl, sizeof(vec_b_icmp4_ttl));
	/* built in place over the original (the mbuf case) */
	memcpy(buf, vec_orig4, sizeof(vec_orig4));
	n = vx0_pkt_icmp4_error(buf, sizeof(buf), buf, sizeof(vec_orig4), 11, 0, be32_of(v4c), 0);
	CHECK_EQ(n, sizeof(vec_b_icmp4_ttl));
	CHECK_MEM(buf, vec_b_icmp4_ttl, sizeof(vec_b_icmp4_ttl));
	/* 1564-byte original: 576 bytes in all, MTU in the header */
	n = vx0_pkt_icmp4_error(out, sizeof(out), vec_big4, sizeof(vec_big4), 3, 4, be32_of(v4c), 1400);
	CHECK_EQ(n, 576);
	CHECK_EQ(sizeof(vec_b_icmp4_fragneeded), 576);
	CHECK_MEM(out, vec_b_icmp4_fragneeded, 576);
	/* parameter problem: pointer in the first byte after the checksum */
	n = vx0_pkt_icmp4_error(out, sizeof(out), vec_orig4, sizeof(vec_orig4), 12, 0, be32_of(v4c), 8);
	CHECK_EQ(n, sizeof(vec_b_icmp4_ttl));
	CHECK_EQ(out[20], 12);
	CHECK_EQ(out[24], 8);
	CHECK_EQ(vx0_pkt_csum(out + 20, (size_t)n - 20), 0xffff);
	CHECK_EQ(vx0_pkt_csum(out, 20), 0xffff);
	/* errors */
	CHECK_EQ(vx0_pkt_icmp4_error(out, 575, vec_big4, sizeof(vec_big4), 3, 4, 0, 1400), -ENOSPC);
	CHECK_EQ(vx0_pkt_icmp4_error(out, sizeof(out), vec_orig4, 19, 11, 0, 0, 0), -EINVAL);
	CHECK_EQ(vx0_pkt_icmp4_error(out, sizeof(out), vec_big6, sizeof(vec_big6), 11, 0, 0, 0), -EINVAL);
	memcpy(buf, vec_orig4, sizeof(vec_orig4));
	buf[0] = 0x4f; /* IHL beyond what we hold */
	CHECK_EQ(vx0_pkt_icmp4_error(out, sizeof(out), buf, 40, 11, 0, 0, 0), -EINVAL);
}

static void
test_icmp6_error_vectors(void)
{
	int n;

	n = vx0_pkt_icmp6_error(out, sizeof(out), vec_big6, sizeof(vec_big6), 3, 0, v6c, 0);
	CHECK_EQ(n, 1280);
	CHECK_EQ(sizeof(vec_b_icmp6_ttl), 1280);
	CHECK_MEM(out, vec_b_icmp6_ttl, 1280);
	n = vx0_pkt_icmp6_error(out, sizeof(out), vec_big6, sizeof(vec_big6), 2, 0, v6c, 1400);
	CHECK_EQ(n, 1280);
	CHECK_MEM(out, vec_b_icmp6_ptb, 1280);
	/* a small original is quoted whole, bounded by its payload length */
	memcpy(buf, vec_qinq_v6_udp + 22, 50);
	memset(buf + 50, 0xee, 10);
	n = vx0_pkt_icmp6_error(out, sizeof(out), buf, 60, 4, 0, v6c, 6);
	CHECK_EQ(n, 48 + 50);
	CHECK_MEM(out + 48, vec_qinq_v6_udp + 22, 50);
	CHECK_EQ(out[44 + 3], 6);
	CHECK_EQ(vx0_pkt_l4_csum_ipv6(out + 8, out + 24, 58, out + 40, (size_t)n - 40), 0);
	CHECK_MEM(out + 24, vec_qinq_v6_udp + 22 + 8, 16);
	CHECK_EQ(vx0_pkt_icmp6_error(out, 1279, vec_big6, sizeof(vec_big6), 3, 0, v6c, 0), -ENOSPC);
	CHECK_EQ(vx0_pkt_icmp6_error(out, sizeof(out), vec_big6, 39, 3, 0, v6c, 0), -EINVAL);
	CHECK_EQ(vx0_pkt_icmp6_error(out, sizeof(out), vec_orig4, sizeof(vec_orig4), 3, 0, v6c, 0), -EINVAL);
}

static int
allowed_frame(const uint8_t *f, size_t n, int typed, uint8_t type, uint8_t code)
{
	struct vx0_pkt_meta m;

	if (vx0_pkt_parse(f, (uint32_t)n, &m) != 0)
		return -1;
	if (typed)
		return vx0_pkt_icmp_error_allowed_type(f + m.l2_len, n - m.l2_len, &m, type, code);
	return vx0_pkt_icmp_error_allowed(f + m.l2_len, n - m.l2_len, &m);
}

#define ALLOWED(v) allowed_frame(v, sizeof(v), 0, 0, 0)

static size_t
eth_wrap(const uint8_t *ip, size_t n, uint16_t et)
{
	memcpy(buf, peer_mac, 6);
	memcpy(buf + 6, ours_mac, 6);
	buf[12] = (uint8_t)(et >> 8);
	buf[13] = (uint8_t)et;
	memcpy(buf + 14, ip, n);
	return n + 14;
}

static void
test_icmp_error_allowed(void)
{
	size_t n;

	CHECK_EQ(ALLOWED(vec_v4_udp), 1);
	CHECK_EQ(ALLOWED(vec_vlan_v4_icmp), 1); /* echo request: a query */
	CHECK_EQ(ALLOWED(vec_v4_frag_first), 1);
	CHECK_EQ(ALLOWED(vec_v4_frag_later), 0);
	CHECK_EQ(ALLOWED(vec_v4_bcast), 0);
	CHECK_EQ(ALLOWED(vec_arp_req), 0);
	CHECK_EQ(ALLOWED(vec_qinq_v6_udp), 1);
	CHECK_EQ(ALLOWED(vec_v6_frag_later), 0);
	CHECK_EQ(ALLOWED(vec_v6_esp), 1);
	CHECK_EQ(ALLOWED(vec_v6_echo_mcast), 0);
	CHECK_EQ(ALLOWED(vec_v6_dad_ns), 0); /* from :: (and multicast) */
	/* RFC 4443 2.4(e.3): Packet Too Big / Parameter Problem code 2 may answer multicast */
	CHECK_EQ(allowed_frame(vec_v6_echo_mcast, sizeof(vec_v6_echo_mcast), 1, 2, 0), 1);
	CHECK_EQ(allowed_frame(vec_v6_echo_mcast, sizeof(vec_v6_echo_mcast), 1, 4, 2), 1);
	CHECK_EQ(allowed_frame(vec_v6_echo_mcast, sizeof(vec_v6_echo_mcast), 1, 4, 1), 0);
	CHECK_EQ(allowed_frame(vec_v6_echo_mcast, sizeof(vec_v6_echo_mcast), 1, 3, 0), 0);
	/* no such exception for IPv4 */
	CHECK_EQ(allowed_frame(vec_v4_bcast, sizeof(vec_v4_bcast), 1, 3, 4), 0);
	/* a link-layer multicast frame with a unicast IP destination */
	memcpy(buf, vec_v4_udp, sizeof(vec_v4_udp));
	buf[0] = 0x01;
	CHECK_EQ(allowed_frame(buf, sizeof(vec_v4_udp), 0, 0, 0), 0);
	/* errors are never answered with errors */
	n = eth_wrap(vec_b_icmp4_ttl, sizeof(vec_b_icmp4_ttl), 0x0800);
	CHECK_EQ(allowed_frame(buf, n, 0, 0, 0), 0);
	buf[14 + 20] = 0; /* as an echo reply it's fine */
	CHECK_EQ(allowed_frame(buf, n, 0, 0, 0), 1);
	buf[14 + 20] = 42; /* unknown type: treated as an error */
	CHECK_EQ(allowed_frame(buf, n, 0, 0, 0), 0);
	n = eth_wrap(vec_b_icmp6_ptb, sizeof(vec_b_icmp6_ptb), 0x86dd);
	CHECK_EQ(allowed_frame(buf, n, 0, 0, 0), 0);
	buf[14 + 40] = 128; /* echo request */
	CHECK_EQ(allowed_frame(buf, n, 0, 0, 0), 1);
	buf[14 + 40] = 137; /* redirect */
	CHECK_EQ(allowed_frame(buf, n, 0, 0, 0), 0);
}

/* ---- ARP ---- */

static void
test_arp_build(void)
{
	CHECK_EQ(vx0_pkt_arp_request(out, sizeof(out), ours_mac, v4a, v4c, NULL), 42);
	CHECK_MEM(out, vec_b_arp_request, 42);
	CHECK_EQ(vx0_pkt_arp_request(out, sizeof(out), ours_mac, v4a, v4c, peer_mac), 42);
	CHECK_MEM(out, vec_b_arp_probe, 42);
	CHECK_EQ(vx0_pkt_arp_reply(out, sizeof(out), ours_mac, v4a, peer_mac, v4c), 42);
	CHECK_MEM(out, vec_b_arp_reply, 42);
	CHECK_EQ(vx0_pkt_arp_gratuitous(out, sizeof(out), ours_mac, v4a), 42);
	CHECK_MEM(out, vec_b_arp_garp, 42);
	CHECK_EQ(vx0_pkt_arp_request(out, 41, ours_mac, v4a, v4c, NULL), -ENOSPC);
	/* tagged: C-tag first, then the S-tag in front of it */
	CHECK_EQ(vx0_pkt_arp_request(out, sizeof(out), ours_mac, v4a, v4c, NULL), 42);
	CHECK_EQ(vx0_pkt_vlan_push(out, 42, sizeof(out), 0x8100, 20), 46);
	CHECK_EQ(vx0_pkt_vlan_push(out, 46, sizeof(out), 0x88a8, (1 << 13) | 10), 50);
	CHECK_EQ(sizeof(vec_b_arp_request_qinq), 50);
	CHECK_MEM(out, vec_b_arp_request_qinq, 50);
	CHECK_EQ(vx0_pkt_vlan_push(out, 50, 53, 0x8100, 1), -ENOSPC);
	CHECK_EQ(vx0_pkt_vlan_push(out, 50, sizeof(out), 0x0800, 1), -EINVAL);
	CHECK_EQ(vx0_pkt_vlan_push(out, 13, sizeof(out), 0x8100, 1), -EINVAL);
	CHECK_EQ(vx0_pkt_arp_reply(out, sizeof(out), ours_mac, v4a, NULL, v4c), -EINVAL);
}

static void
test_arp_parse(void)
{
	struct vx0_pkt_arp a;

	CHECK_EQ(vx0_pkt_arp_parse(vec_arp_req + 14, 28, &a), 0);
	CHECK_EQ(a.op, VX0_ARP_OP_REQUEST);
	CHECK_MEM(a.sha, peer_mac, 6);
	CHECK_MEM(a.spa, v4c, 4);
	CHECK_MEM(a.tpa, v4a, 4);
	CHECK(!vx0_pkt_arp_is_gratuitous(&a));
	CHECK_EQ(vx0_pkt_arp_parse(vec_b_arp_reply + 14, 28, &a), 0);
	CHECK_EQ(a.op, VX0_ARP_OP_REPLY);
	CHECK_MEM(a.tha, peer_mac, 6);
	CHECK_EQ(vx0_pkt_arp_parse(vec_b_arp_garp + 14, 28, &a), 0);
	CHECK(vx0_pkt_arp_is_gratuitous(&a));
	/* bad input */
	CHECK_EQ(vx0_pkt_arp_parse(vec_arp_req + 14, 27, &a), -EINVAL);
	CHECK_EQ(vx0_pkt_arp_parse(NULL, 28, &a), -EINVAL);
	memcpy(buf, vec_arp_req + 14, 28);
	buf[1] = 6;
	CHECK_EQ(vx0_pkt_arp_parse(buf, 28, &a), -EINVAL);
	memcpy(buf, vec_arp_req + 14, 28);
	buf[3] = 0xdd;
	CHECK_EQ(vx0_pkt_arp_parse(buf, 28, &a), -EINVAL);
	memcpy(buf, vec_arp_req + 14, 28);
	buf[4] = 8;
	CHECK_EQ(vx0_pkt_arp_parse(buf, 28, &a), -EINVAL);
	memcpy(buf, vec_arp_req + 14, 28);
	buf[5] = 16;
	CHECK_EQ(vx0_pkt_arp_parse(buf, 28, &a), -EINVAL);
	memcpy(buf, vec_arp_req + 14, 28);
	buf[7] = 4; /* RARP reply */
	CHECK_EQ(vx0_pkt_arp_parse(buf, 28, &a), -EINVAL);
	memcpy(buf, vec_arp_req + 14, 28);
	buf[8] = 0x01; /* multicast sender MAC */
	CHECK_EQ(vx0_pkt_arp_parse(buf, 28, &a), -EINVAL);
}

/* ---- ND ---- */

static void
test_nd_build(void)
{
	uint8_t group[16], mac[6];
	static const uint8_t want_group[16] = { 0xff, 0x02, [11] = 1, [12] = 0xff, [15] = 0xfe };
	static const uint8_t want_mac[6] = { 0x33, 0x33, 0xff, 0, 0, 0xfe };
	static const uint8_t unspec[16];

	vx0_pkt_nd_solicited_node(v6c, group, mac);
	CHECK_MEM(group, want_group, 16);
	CHECK_MEM(mac, want_mac, 6);
	CHECK_EQ(vx0_pkt_nd_build_ns(out, sizeof(out), ours_mac, v6a, v6c, NULL), 86);
	CHECK_EQ(sizeof(vec_b_ns_mcast), 86);
	CHECK_MEM(out, vec_b_ns_mcast, 86);
	CHECK_EQ(vx0_pkt_nd_build_ns(out, sizeof(out), ours_mac, v6a, v6c, peer_mac), 86);
	CHECK_MEM(out, vec_b_ns_unicast, 86);
	CHECK_EQ(vx0_pkt_nd_build_ns(out, sizeof(out), ours_mac, unspec, v6c, NULL), 78);
	CHECK_EQ(sizeof(vec_b_ns_dad), 78);
	CHECK_MEM(out, vec_b_ns_dad, 78);
	CHECK_EQ(vx0_pkt_nd_build_ns(out, sizeof(out), ours_mac, unspec, v6c, peer_mac), -EINVAL);
	CHECK_EQ(vx0_pkt_nd_build_ns(out, 85, ours_mac, v6a, v6c, NULL), -ENOSPC);
	CHECK_EQ(vx0_pkt_nd_build_na(out, sizeof(out), ours_mac, v6a, v6a, peer_mac, v6c,
				     VX0_ND_F_SOLICITED | VX0_ND_F_OVERRIDE), 86);
	CHECK_MEM(out, vec_b_na_sol, 86);
	/* unsolicited to all-nodes; an S flag would be cleared */
	CHECK_EQ(vx0_pkt_nd_build_na(out, sizeof(out), ours_mac, v6a, v6a, NULL, NULL,
				     VX0_ND_F_ROUTER | VX0_ND_F_OVERRIDE | VX0_ND_F_SOLICITED), 86);
	CHECK_MEM(out, vec_b_na_unsol, 86);
	CHECK_EQ(vx0_pkt_nd_build_na(out, sizeof(out), ours_mac, v6a, v6a, NULL, v6c, 0), -EINVAL);
	CHECK_EQ(vx0_pkt_nd_build_na(out, 10, ours_mac, v6a, v6a, NULL, NULL, 0), -ENOSPC);
}

static void
test_nd_parse_good(void)
{
	struct vx0_pkt_nd nd;
	static const uint8_t unspec[16];

	CHECK_EQ(vx0_pkt_nd_parse(vec_b_ns_mcast + 14, 72, &nd), 0);
	CHECK_EQ(nd.type, VX0_ND_NS);
	CHECK_MEM(nd.target, v6c, 16);
	CHECK_MEM(nd.src, v6a, 16);
	CHECK(nd.has_lladdr);
	CHECK_MEM(nd.lladdr, ours_mac, 6);
	CHECK_EQ(vx0_pkt_nd_parse(vec_b_na_sol + 14, 72, &nd), 0);
	CHECK_EQ(nd.type, VX0_ND_NA);
	CHECK_EQ(nd.flags, VX0_ND_F_SOLICITED | VX0_ND_F_OVERRIDE);
	CHECK_MEM(nd.target, v6a, 16);
	CHECK_MEM(nd.dst, v6c, 16);
	CHECK(nd.has_lladdr);
	CHECK_MEM(nd.lladdr, ours_mac, 6);
	CHECK_EQ(vx0_pkt_nd_parse(vec_b_na_unsol + 14, 72, &nd), 0);
	CHECK_EQ(nd.flags, VX0_ND_F_ROUTER | VX0_ND_F_OVERRIDE);
	CHECK_EQ(vx0_pkt_nd_parse(vec_v6_dad_ns + 14, sizeof(vec_v6_dad_ns) - 14, &nd), 0);
	CHECK(!nd.has_lladdr);
	CHECK_MEM(nd.src, unspec, 16);
	CHECK_MEM(nd.target, v6a, 16);
}

static void
fix6(uint8_t *ip) /* redo the ICMPv6 checksum after a poke */
{
	size_t n = (size_t)((ip[4] << 8) | ip[5]);
	uint16_t c;

	ip[42] = ip[43] = 0;
	c = vx0_pkt_l4_csum_ipv6(ip + 8, ip + 24, 58, ip + 40, n);
	ip[42] = (uint8_t)(c >> 8);
	ip[43] = (uint8_t)c;
}

static int
nd_mut(const uint8_t *frame, size_t n, size_t at, uint8_t v, int fix)
{
	struct vx0_pkt_nd nd;

	memcpy(buf, frame + 14, n - 14);
	buf[at] = v;
	if (fix)
		fix6(buf);
	return vx0_pkt_nd_parse(buf, n - 14, &nd);
}

static void
test_nd_parse_bad(void)
{
	struct vx0_pkt_nd nd;
	const size_t ns = sizeof(vec_b_ns_mcast);

	CHECK_EQ(nd_mut(vec_b_ns_mcast, ns, 7, 254, 0), -EPROTO);          /* hop limit */
	CHECK_EQ(nd_mut(vec_b_ns_mcast, ns, 60, 0x21, 0), -EBADMSG);       /* target byte, old checksum */
	CHECK_EQ(nd_mut(vec_b_ns_mcast, ns, 41, 1, 1), -EINVAL);           /* code 1 */
	CHECK_EQ(nd_mut(vec_b_ns_mcast, ns, 48, 0xff, 1), -EINVAL);        /* multicast target */
	CHECK_EQ(nd_mut(vec_b_ns_mcast, ns, 65, 0, 1), -EINVAL);           /* option length 0 */
	CHECK_EQ(nd_mut(vec_b_ns_mcast, ns, 65, 2, 1), -EINVAL);           /* option past the end */
	CHECK_EQ(nd_mut(vec_b_ns_mcast, ns, 66, 0x03, 1), -EINVAL);        /* group link-layer address */
	CHECK_EQ(nd_mut(vec_b_ns_mcast, ns, 40, 128, 1), -ENOMSG);         /* echo request */
	CHECK_EQ(nd_mut(vec_b_ns_mcast, ns, 6, 17, 0), -ENOMSG);           /* not ICMPv6 */
	CHECK_EQ(nd_mut(vec_b_ns_mcast, ns, 0, 0x40, 0), -EINVAL);         /* version */
	CHECK_EQ(nd_mut(vec_b_ns_mcast, ns, 64, 14, 1), 0);                /* unknown option (nonce): skipped */
	CHECK_EQ(vx0_pkt_nd_parse(vec_b_ns_mcast + 14, 71, &nd), -EINVAL); /* payload past the end */
	CHECK_EQ(vx0_pkt_nd_parse(vec_b_ns_mcast + 14, 39, &nd), -EINVAL);
	/* ICMPv6 shorter than an NS: payload length 20 */
	memcpy(buf, vec_b_ns_mcast + 14, 72);
	buf[5] = 20;
	fix6(buf);
	CHECK_EQ(vx0_pkt_nd_parse(buf, 72, &nd), -EINVAL);
	/* a solicited NA to a multicast destination */
	memcpy(buf, vec_b_na_unsol + 14, 72);
	buf[44] |= VX0_ND_F_SOLICITED;
	fix6(buf);
	CHECK_EQ(vx0_pkt_nd_parse(buf, 72, &nd), -EINVAL);
	/* DAD NS (from ::) with a source link-layer address */
	memcpy(buf, vec_b_ns_mcast + 14, 72);
	memset(buf + 8, 0, 16);
	fix6(buf);
	CHECK_EQ(vx0_pkt_nd_parse(buf, 72, &nd), -EINVAL);
	/* DAD NS not to a solicited-node group */
	memcpy(buf, vec_v6_dad_ns + 14, 64);
	memcpy(buf + 24, v6c, 16);
	fix6(buf);
	CHECK_EQ(vx0_pkt_nd_parse(buf, 64, &nd), -EINVAL);
	/* source link-layer option of 16 bytes (not Ethernet's 8) */
	memcpy(buf, vec_b_ns_mcast + 14, 72);
	buf[5] = 40;
	buf[65] = 2;
	memset(buf + 72, 0, 8);
	fix6(buf);
	CHECK_EQ(vx0_pkt_nd_parse(buf, 80, &nd), -EINVAL);
}

int
main(void)
{
	VX0_RUN(test_icmp4_error_vectors);
	VX0_RUN(test_icmp6_error_vectors);
	VX0_RUN(test_icmp_error_allowed);
	VX0_RUN(test_arp_build);
	VX0_RUN(test_arp_parse);
	VX0_RUN(test_nd_build);
	VX0_RUN(test_nd_parse_good);
	VX0_RUN(test_nd_parse_bad);
	return vx0_test_done();
}
