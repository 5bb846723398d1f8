/* SPDX-License-Identifier: BSD-3-Clause */
/* 802.1Q/802.1ad tag insertion for frames the slow path builds untagged. */
#include <errno.h>
#include <string.h>

#include "vx0_pkt.h"
#include "vx0_pkt_wire.h"

int
vx0_pkt_vlan_push(uint8_t *frame, size_t len, size_t cap, uint16_t tpid, uint16_t tci)
{
	if (frame == NULL || len < VX0_ETH_HLEN || (tpid != VX0_ETH_P_VLAN && tpid != VX0_ETH_P_QINQ))
		return -EINVAL;
	if (cap < len + 4 || len + 4 > INT32_MAX)
		return -ENOSPC;
	/* the tag goes between the source MAC and the EtherType */
	memmove(frame + 16, frame + 12, len - 12);
	vx0_wr16(frame + 12, tpid);
	vx0_wr16(frame + 14, tci);
	return (int)(len + 4);
}
