/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz the ARP and ND parsers, on the raw input and on the L3 header
 * found by vx0_pkt_parse. What they accept must respect what they
 * promise (no group link-layer addresses, NS/NA only, on-link hop limit),
 * and an accepted NS/NA rebuilt by our builder must parse back the same.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vx0_pkt.h"

static void
nd_check(const uint8_t *p, size_t n)
{
	static const uint8_t unspec[16];
	struct vx0_pkt_nd nd, nd2;
	uint8_t frame[128];
	int rc, len;

	rc = vx0_pkt_nd_parse(p, n, &nd);
	if (rc != 0 && rc != -EINVAL && rc != -ENOMSG && rc != -EPROTO && rc != -EBADMSG)
		abort();
	if (rc != 0)
		return;
	if ((nd.type != VX0_ND_NS && nd.type != VX0_ND_NA) || p[7] != 255 || nd.target[0] == 0xff ||
	    (nd.has_lladdr && (nd.lladdr[0] & 1)))
		abort();
	if (!nd.has_lladdr || memcmp(nd.src, unspec, 16) == 0)
		return;
	if (nd.type == VX0_ND_NS)
		len = vx0_pkt_nd_build_ns(frame, sizeof(frame), nd.lladdr, nd.src, nd.target, NULL);
	else
		len = vx0_pkt_nd_build_na(frame, sizeof(frame), nd.lladdr, nd.src, nd.target,
					  NULL, NULL, nd.flags);
	if (len != 86 || vx0_pkt_nd_parse(frame + 14, (size_t)len - 14, &nd2) != 0 ||
	    nd2.type != nd.type || !nd2.has_lladdr || memcmp(nd2.lladdr, nd.lladdr, 6) != 0 ||
	    memcmp(nd2.target, nd.target, 16) != 0 || memcmp(nd2.src, nd.src, 16) != 0)
		abort();
}

static void
arp_check(const uint8_t *p, size_t n)
{
	struct vx0_pkt_arp a, b;
	uint8_t frame[64];

	if (vx0_pkt_arp_parse(p, n, &a) != 0)
		return;
	if ((a.op != 1 && a.op != 2) || (a.sha[0] & 1))
		abort();
	if (vx0_pkt_arp_build(frame, sizeof(frame), a.op, a.sha, a.sha, a.spa, a.tha, a.tpa) != 42 ||
	    vx0_pkt_arp_parse(frame + 14, 28, &b) != 0 || memcmp(&a, &b, sizeof(a)) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vx0_pkt_meta m;

	if (size > 65535)
		return 0;
	arp_check(data, size);
	nd_check(data, size);
	if (vx0_pkt_parse(data, (uint32_t)size, &m) == 0 && m.l2_len <= size) {
		arp_check(data + m.l2_len, size - m.l2_len);
		nd_check(data + m.l2_len, size - m.l2_len);
	}
	return 0;
}
