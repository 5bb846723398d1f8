/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VX0_PKT_WIRE_H
#define VX0_PKT_WIRE_H

/* Internal: unaligned big-endian loads/stores and protocol constants. */

#include <stdint.h>

#define VX0_ETH_HLEN 14
#define VX0_ETH_P_IPV4 0x0800
#define VX0_ETH_P_ARP 0x0806
#define VX0_ETH_P_VLAN 0x8100
#define VX0_ETH_P_QINQ 0x88a8
#define VX0_ETH_P_IPV6 0x86dd

#define VX0_IPPROTO_HOPOPTS 0
#define VX0_IPPROTO_ICMP 1
#define VX0_IPPROTO_TCP 6
#define VX0_IPPROTO_UDP 17
#define VX0_IPPROTO_ROUTING 43
#define VX0_IPPROTO_FRAGMENT 44
#define VX0_IPPROTO_ESP 50
#define VX0_IPPROTO_AH 51
#define VX0_IPPROTO_ICMPV6 58
#define VX0_IPPROTO_NONE 59
#define VX0_IPPROTO_DSTOPTS 60

#define VX0_NATT_PORT 4500

static inline uint16_t
vx0_rd16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t
vx0_rd32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static inline void
vx0_wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
vx0_wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

#endif
