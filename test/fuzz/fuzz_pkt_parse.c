/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz vx0_pkt_parse, and on what it accepts the ICMP error path: the
 * error built about any accepted packet must itself parse, checksum and
 * fit its size limit. Invariant breaks abort() so the fuzzer reports them.
 */
#include <stdlib.h>
#include <string.h>

#include "vx0_pkt.h"
#include "../pkt_fast_agree.h"

static const uint8_t our4[4] = { 198, 51, 100, 254 };
static const uint8_t our6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0xfe };

static void
check_error(const uint8_t *ip, size_t iplen, const struct vx0_pkt_meta *m)
{
	static uint8_t frame[14 + 1500];
	struct vx0_pkt_meta em;
	uint32_t src;
	int n;

	memset(frame, 0, 14);
	frame[0] = 0x02;
	if (m->l3_type == VX0_L3_IPV4) {
		memcpy(&src, our4, 4);
		n = vx0_pkt_icmp4_error(frame + 14, 1500, ip, iplen, 11, 0, src, 0);
		if (n < 28 + 20 || n > VX0_PKT_ICMP4_ERR_MAX)
			abort();
		frame[12] = 0x08;
		frame[13] = 0x00;
	} else {
		n = vx0_pkt_icmp6_error(frame + 14, 1500, ip, iplen, 3, 0, our6, 0);
		if (n < 48 + 40 || n > VX0_PKT_ICMP6_ERR_MAX)
			abort();
		if (vx0_pkt_l4_csum_ipv6(frame + 14 + 8, frame + 14 + 24, 58, frame + 14 + 40,
					 (size_t)n - 40) != 0)
			abort();
		frame[12] = 0x86;
		frame[13] = 0xdd;
	}
	if (vx0_pkt_parse(frame, (uint32_t)n + 14, &em) != 0 || em.l4_len != 8 ||
	    em.l4_proto != (m->l3_type == VX0_L3_IPV4 ? 1 : 58) || em.ip_len != n)
		abort();
	if (m->l3_type == VX0_L3_IPV4 && vx0_pkt_csum(frame + 34, (size_t)n - 20) != 0xffff)
		abort();
	/* an error about an error is never allowed */
	if (vx0_pkt_icmp_error_allowed(frame + 14, (size_t)n, &em))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vx0_pkt_meta m;
	const uint8_t *ip;
	size_t iplen;
	int rc;

	if (size > 65535 + 64)
		return 0;
	/* the transit fast path says what the full parse says */
	if (pkt_fast_agrees(data, (uint32_t)size) < 0)
		abort();
	rc = vx0_pkt_parse(data, (uint32_t)size, &m);
	if (rc < 0 || rc >= VX0_DROP_PARSE_MAX)
		abort();
	if (rc != 0)
		return 0;
	if (m.l2_len > size || m.l2_len < 14)
		abort();
	if (m.l3_type != VX0_L3_IPV4 && m.l3_type != VX0_L3_IPV6) {
		if (m.l3_type != VX0_L3_ARP || (size_t)m.l2_len + 28 > size)
			abort();
		return 0;
	}
	if ((size_t)m.l2_len + m.ip_len > size || (size_t)m.l3_len + m.l4_len > m.ip_len)
		abort();
	ip = data + m.l2_len;
	iplen = size - m.l2_len;
	if (m.l3_type == VX0_L3_IPV4) {
		uint8_t h[60];

		memcpy(h, ip, m.l3_len);
		if (vx0_pkt_ipv4_dec_ttl(h) != (m.ttl > 1 ? m.ttl - 1u : 0u) ||
		    vx0_pkt_csum(h, m.l3_len) != 0xffff)
			abort();
	}
	if (vx0_pkt_icmp_error_allowed(ip, iplen, &m))
		check_error(ip, iplen, &m);
	return 0;
}
