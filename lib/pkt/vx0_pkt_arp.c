/* SPDX-License-Identifier: BSD-3-Clause */
/* ARP for Ethernet/IPv4 (RFC 826, RFC 5227): parse and build. */
#include <errno.h>
#include <string.h>

#include "vx0_pkt.h"
#include "vx0_pkt_wire.h"

static const uint8_t bcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t zero_mac[6];

int
vx0_pkt_arp_parse(const uint8_t *p, size_t len, struct vx0_pkt_arp *a)
{
	if (p == NULL || len < VX0_PKT_ARP_LEN)
		return -EINVAL;
	if (vx0_rd16(p) != 1 || vx0_rd16(p + 2) != VX0_ETH_P_IPV4 || p[4] != 6 || p[5] != 4)
		return -EINVAL;
	a->op = vx0_rd16(p + 6);
	if (a->op != VX0_ARP_OP_REQUEST && a->op != VX0_ARP_OP_REPLY)
		return -EINVAL;
	memcpy(a->sha, p + 8, 6);
	memcpy(a->spa, p + 14, 4);
	memcpy(a->tha, p + 18, 6);
	memcpy(a->tpa, p + 24, 4);
	/* a group sender hardware address would poison neighbour tables */
	if (a->sha[0] & 1)
		return -EINVAL;
	return 0;
}

bool
vx0_pkt_arp_is_gratuitous(const struct vx0_pkt_arp *a)
{
	return memcmp(a->spa, a->tpa, 4) == 0;
}

int
vx0_pkt_arp_build(uint8_t *out, size_t cap, uint16_t op, const uint8_t eth_dst[6],
		  const uint8_t sha[6], const uint8_t spa[4], const uint8_t tha[6],
		  const uint8_t tpa[4])
{
	uint8_t *p;

	if (eth_dst == NULL || sha == NULL || spa == NULL || tha == NULL || tpa == NULL)
		return -EINVAL;
	if (out == NULL || cap < VX0_PKT_ARP_FRAME_LEN)
		return -ENOSPC;
	memcpy(out, eth_dst, 6);
	memcpy(out + 6, sha, 6);
	vx0_wr16(out + 12, VX0_ETH_P_ARP);
	p = out + VX0_ETH_HLEN;
	vx0_wr16(p, 1);
	vx0_wr16(p + 2, VX0_ETH_P_IPV4);
	p[4] = 6;
	p[5] = 4;
	vx0_wr16(p + 6, op);
	memcpy(p + 8, sha, 6);
	memcpy(p + 14, spa, 4);
	memcpy(p + 18, tha, 6);
	memcpy(p + 24, tpa, 4);
	return VX0_PKT_ARP_FRAME_LEN;
}

int
vx0_pkt_arp_request(uint8_t *out, size_t cap, const uint8_t smac[6], const uint8_t sip[4],
		    const uint8_t tip[4], const uint8_t *dst_mac)
{
	return vx0_pkt_arp_build(out, cap, VX0_ARP_OP_REQUEST, dst_mac ? dst_mac : bcast_mac,
				 smac, sip, zero_mac, tip);
}

int
vx0_pkt_arp_reply(uint8_t *out, size_t cap, const uint8_t smac[6], const uint8_t sip[4],
		  const uint8_t dmac[6], const uint8_t dip[4])
{
	return vx0_pkt_arp_build(out, cap, VX0_ARP_OP_REPLY, dmac, smac, sip, dmac, dip);
}

int
vx0_pkt_arp_gratuitous(uint8_t *out, size_t cap, const uint8_t smac[6], const uint8_t sip[4])
{
	return vx0_pkt_arp_build(out, cap, VX0_ARP_OP_REQUEST, bcast_mac, smac, sip, zero_mac, sip);
}
