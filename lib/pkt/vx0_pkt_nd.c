/* SPDX-License-Identifier: BSD-3-Clause */
/* IPv6 neighbour solicitation and advertisement (RFC 4861 4.3, 4.4, 7.1). */
#include <errno.h>
#include <string.h>

#include "vx0_pkt.h"
#include "vx0_pkt_wire.h"

#define ND_HDR 24      /* type, code, checksum, 4 bytes, target */
#define ND_OPT_SLLA 1
#define ND_OPT_TLLA 2
#define ND_HOP_LIMIT 255

static const uint8_t unspec[16];
static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 1 };

static bool
is_solicited_node(const uint8_t a[16])
{
	static const uint8_t pfx[13] = { 0xff, 0x02, [11] = 1, [12] = 0xff };

	return memcmp(a, pfx, 13) == 0;
}

void
vx0_pkt_nd_solicited_node(const uint8_t addr[16], uint8_t group[16], uint8_t mac[6])
{
	static const uint8_t pfx[13] = { 0xff, 0x02, [11] = 1, [12] = 0xff };

	if (group) {
		memcpy(group, pfx, 13);
		memcpy(group + 13, addr + 13, 3);
	}
	if (mac) {
		mac[0] = 0x33;
		mac[1] = 0x33;
		mac[2] = 0xff;
		memcpy(mac + 3, addr + 13, 3);
	}
}

int
vx0_pkt_nd_parse(const uint8_t *ip6, size_t len, struct vx0_pkt_nd *nd)
{
	const uint8_t *icmp, *opt;
	size_t ilen, off, olen;
	uint8_t want_opt;

	if (ip6 == NULL || len < 40 || (ip6[0] >> 4) != 6)
		return -EINVAL;
	ilen = vx0_rd16(ip6 + 4);
	if (40 + ilen > len)
		return -EINVAL;
	if (ip6[6] != VX0_IPPROTO_ICMPV6)
		return -ENOMSG;
	icmp = ip6 + 40;
	if (ilen < 1)
		return -EINVAL;
	if (icmp[0] != VX0_ND_NS && icmp[0] != VX0_ND_NA)
		return -ENOMSG;
	/* RFC 4861 7.1: hop limit 255 proves the sender is on-link */
	if (ip6[7] != ND_HOP_LIMIT)
		return -EPROTO;
	if (ilen < ND_HDR || icmp[1] != 0)
		return -EINVAL;
	if (vx0_pkt_l4_csum_ipv6(ip6 + 8, ip6 + 24, VX0_IPPROTO_ICMPV6, icmp, ilen) != 0)
		return -EBADMSG;
	memset(nd, 0, sizeof(*nd));
	nd->type = icmp[0];
	memcpy(nd->src, ip6 + 8, 16);
	memcpy(nd->dst, ip6 + 24, 16);
	memcpy(nd->target, icmp + 8, 16);
	if (nd->target[0] == 0xff)
		return -EINVAL;
	if (nd->type == VX0_ND_NA) {
		nd->flags = icmp[4] & (VX0_ND_F_ROUTER | VX0_ND_F_SOLICITED | VX0_ND_F_OVERRIDE);
		if ((nd->flags & VX0_ND_F_SOLICITED) && nd->dst[0] == 0xff)
			return -EINVAL;
		want_opt = ND_OPT_TLLA;
	} else {
		if (memcmp(nd->src, unspec, 16) == 0 && !is_solicited_node(nd->dst))
			return -EINVAL;
		want_opt = ND_OPT_SLLA;
	}
	for (off = ND_HDR; off < ilen; off += olen) {
		opt = icmp + off;
		if (ilen - off < 2)
			return -EINVAL;
		olen = (size_t)opt[1] * 8;
		if (olen == 0 || olen > ilen - off)
			return -EINVAL;
		if (opt[0] != want_opt)
			continue; /* 4861 4.6: unknown options are skipped */
		/* RFC 2464 8: an Ethernet address option is 8 bytes */
		if (olen != 8 || (opt[2] & 1))
			return -EINVAL;
		nd->has_lladdr = true;
		memcpy(nd->lladdr, opt + 2, 6);
	}
	/* 7.1.1: a DAD probe from :: carries no source link-layer address */
	if (nd->type == VX0_ND_NS && nd->has_lladdr && memcmp(nd->src, unspec, 16) == 0)
		return -EINVAL;
	return 0;
}

/* Ethernet + IPv6 + ND header + optional link-layer address option; the
 * checksum last. Returns the frame length. */
static int
build_nd(uint8_t *out, size_t cap, const uint8_t eth_dst[6], const uint8_t src_mac[6],
	 const uint8_t src_ip[16], const uint8_t dst_ip[16], uint8_t type, uint8_t flags,
	 const uint8_t target[16], uint8_t opt_type)
{
	size_t ilen = ND_HDR + (opt_type ? 8 : 0), total = VX0_ETH_HLEN + 40 + ilen;
	uint8_t *ip, *icmp;

	if (out == NULL || cap < total)
		return -ENOSPC;
	memcpy(out, eth_dst, 6);
	memcpy(out + 6, src_mac, 6);
	vx0_wr16(out + 12, VX0_ETH_P_IPV6);
	ip = out + VX0_ETH_HLEN;
	vx0_wr32(ip, 0x60000000u);
	vx0_wr16(ip + 4, (uint16_t)ilen);
	ip[6] = VX0_IPPROTO_ICMPV6;
	ip[7] = ND_HOP_LIMIT;
	memcpy(ip + 8, src_ip, 16);
	memcpy(ip + 24, dst_ip, 16);
	icmp = ip + 40;
	icmp[0] = type;
	icmp[1] = 0;
	vx0_wr16(icmp + 2, 0);
	vx0_wr32(icmp + 4, 0);
	icmp[4] = flags;
	memcpy(icmp + 8, target, 16);
	if (opt_type) {
		icmp[24] = opt_type;
		icmp[25] = 1;
		memcpy(icmp + 26, src_mac, 6);
	}
	vx0_wr16(icmp + 2, vx0_pkt_l4_csum_ipv6(ip + 8, ip + 24, VX0_IPPROTO_ICMPV6, icmp, ilen));
	return (int)total;
}

int
vx0_pkt_nd_build_ns(uint8_t *out, size_t cap, const uint8_t src_mac[6], const uint8_t src_ip[16],
		    const uint8_t target[16], const uint8_t *dst_mac)
{
	uint8_t group[16], mac[6];
	bool dad;

	if (src_mac == NULL || src_ip == NULL || target == NULL)
		return -EINVAL;
	dad = memcmp(src_ip, unspec, 16) == 0;
	if (dst_mac == NULL) {
		vx0_pkt_nd_solicited_node(target, group, mac);
		return build_nd(out, cap, mac, src_mac, src_ip, group, VX0_ND_NS, 0, target,
				dad ? 0 : ND_OPT_SLLA);
	}
	if (dad) /* DAD always goes to the solicited-node group */
		return -EINVAL;
	return build_nd(out, cap, dst_mac, src_mac, src_ip, target, VX0_ND_NS, 0, target,
			ND_OPT_SLLA);
}

int
vx0_pkt_nd_build_na(uint8_t *out, size_t cap, const uint8_t src_mac[6], const uint8_t src_ip[16],
		    const uint8_t target[16], const uint8_t *dst_mac, const uint8_t *dst_ip,
		    uint8_t flags)
{
	uint8_t mac[6];

	if (src_mac == NULL || src_ip == NULL || target == NULL)
		return -EINVAL;
	if (dst_ip == NULL)
		dst_ip = all_nodes;
	if (dst_mac == NULL) {
		if (dst_ip[0] != 0xff) /* a unicast NA needs the peer's MAC */
			return -EINVAL;
		mac[0] = 0x33; /* RFC 2464 7: 33:33 + the group's last 32 bits */
		mac[1] = 0x33;
		memcpy(mac + 2, dst_ip + 12, 4);
		dst_mac = mac;
	}
	/* 7.2.4: S is never set towards a multicast destination */
	if (dst_ip[0] == 0xff)
		flags &= (uint8_t)~VX0_ND_F_SOLICITED;
	flags &= VX0_ND_F_ROUTER | VX0_ND_F_SOLICITED | VX0_ND_F_OVERRIDE;
	return build_nd(out, cap, dst_mac, src_mac, src_ip, dst_ip, VX0_ND_NA, flags, target,
			ND_OPT_TLLA);
}
