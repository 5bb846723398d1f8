/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The transit fast path (vx0_pkt_parse_l3, then vx0_pkt_parse_l4 when the
 * transport header is wanted) must say what vx0_pkt_parse says about every
 * frame it takes: the same metadata, or the same transport drop reason.
 * Shared by test_pkt and fuzz_pkt_parse.
 */
#ifndef PKT_FAST_AGREE_H
#define PKT_FAST_AGREE_H

#include <stdbool.h>
#include <string.h>

#include "vx0_pkt.h"

/* 1: the fast path took the frame and agrees; 0: it left it to the full
 * parse; -1: it took it and disagrees. */
static inline int
pkt_fast_agrees(const uint8_t *f, uint32_t n)
{
	struct vx0_pkt_meta full, fast;
	int rc, rc4;

	memset(&full, 0x5a, sizeof(full));
	memset(&fast, 0xa5, sizeof(fast));
	rc = vx0_pkt_parse(f, n, &full);
	if (!vx0_pkt_parse_l3(f, n, &fast))
		return 0;
	if (fast.l4_len != VX0_PKT_L4_PENDING || fast.l2_len != 14 || fast.vlan_tci != 0 ||
	    fast.in_port != 0xa5 || fast.next_hop != 0xa5a5a5a5u)
		return -1;
	/* what forwarding reads is settled before the transport header */
	if (rc == VX0_PKT_OK || rc >= VX0_DROP_L4_TRUNC) {
		if (fast.l3_type != full.l3_type || fast.l3_len != full.l3_len ||
		    fast.ip_len != full.ip_len || fast.ttl != full.ttl ||
		    fast.l4_proto != full.l4_proto)
			return -1;
	} else {
		return -1; /* the full parse drops it before L4: the fast one must not take it */
	}
	rc4 = vx0_pkt_parse_l4(f, n, &fast);
	if (rc4 != rc)
		return -1;
	if (rc == VX0_PKT_OK &&
	    memcmp(&fast, &full, offsetof(struct vx0_pkt_meta, in_port)) != 0)
		return -1;
	/* done once, it is done */
	if (rc == VX0_PKT_OK && vx0_pkt_parse_l4(f, n, &fast) != VX0_PKT_OK)
		return -1;
	return 1;
}

#endif
