/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Exit policy (doc/onion.md section 9): a packet leaves the exit only if
 * its destination is outside every blocked prefix and its transport
 * destination port is in an allowed range. Anything the exit cannot judge
 * (fragments, IPv6 extension headers, unknown protocols) is refused:
 * the policy fails closed.
 */
#include <errno.h>
#include <string.h>

#include "vx0_onion.h"

static void
add_prefix(struct vx0_onion_exit_policy *p, uint8_t fam, const uint8_t *a, uint8_t len)
{
	struct vx0_onion_prefix *x = &p->blocked[p->n_blocked++];

	memset(x, 0, sizeof(*x));
	x->family = fam;
	x->len = len;
	memcpy(x->addr, a, fam == 4 ? 4 : 16);
}

static void
add_ports(struct vx0_onion_exit_policy *p, uint8_t proto, uint16_t lo, uint16_t hi)
{
	struct vx0_onion_port_range *r = &p->ports[p->n_ports++];

	r->proto = proto;
	r->lo = lo;
	r->hi = hi;
}

void
vx0_onion_exit_policy_default(struct vx0_onion_exit_policy *p)
{
	static const struct { uint8_t a[4]; uint8_t len; } v4[] = {
		{ { 0, 0, 0, 0 }, 8 }, { { 10, 0, 0, 0 }, 8 }, { { 100, 64, 0, 0 }, 10 },
		{ { 127, 0, 0, 0 }, 8 }, { { 169, 254, 0, 0 }, 16 }, { { 172, 16, 0, 0 }, 12 },
		{ { 192, 168, 0, 0 }, 16 }, { { 224, 0, 0, 0 }, 4 }, { { 240, 0, 0, 0 }, 4 },
	};
	static const struct { uint8_t a[16]; uint8_t len; } v6[] = {
		{ { 0 }, 96 },                                      /* ::/96 incl. :: and ::1 */
		{ { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff }, 96 }, /* v4-mapped */
		{ { 0xfc }, 7 }, { { 0xfe, 0x80 }, 10 }, { { 0xff }, 8 },
	};
	unsigned int i;

	memset(p, 0, sizeof(*p));
	for (i = 0; i < sizeof(v4) / sizeof(v4[0]); i++)
		add_prefix(p, 4, v4[i].a, v4[i].len);
	for (i = 0; i < sizeof(v6) / sizeof(v6[0]); i++)
		add_prefix(p, 6, v6[i].a, v6[i].len);
	add_ports(p, 6, 80, 80);
	add_ports(p, 6, 443, 443);
	add_ports(p, 17, 53, 53);
	add_ports(p, 17, 443, 443);
	p->allow_icmp_echo = 1;
}

static int
in_prefix(const struct vx0_onion_prefix *x, uint8_t fam, const uint8_t *a)
{
	unsigned int full = x->len / 8, rem = x->len % 8;

	if (x->family != fam)
		return 0;
	if (memcmp(x->addr, a, full) != 0)
		return 0;
	if (rem) {
		uint8_t mask = (uint8_t)(0xff << (8 - rem));

		if ((x->addr[full] & mask) != (a[full] & mask))
			return 0;
	}
	return 1;
}

static int
judge(const struct vx0_onion_exit_policy *p, uint8_t fam, const uint8_t *dst, uint8_t proto,
      const uint8_t *l4, size_t l4len)
{
	unsigned int i;

	for (i = 0; i < p->n_blocked && i < VX0_ONION_POLICY_MAX; i++)
		if (in_prefix(&p->blocked[i], fam, dst))
			return -EACCES;
	if (proto == 6 || proto == 17) {
		uint16_t port;

		/* the whole fixed header: the exit rewrites its checksum field */
		if (l4len < (proto == 6 ? 20u : 8u))
			return -EINVAL;
		port = (uint16_t)(l4[2] << 8 | l4[3]);
		for (i = 0; i < p->n_ports && i < VX0_ONION_POLICY_MAX; i++)
			if (p->ports[i].proto == proto && port >= p->ports[i].lo &&
			    port <= p->ports[i].hi)
				return 0;
		return -EACCES;
	}
	/* ICMP echo request (v4 type 8, v6 type 128) when enabled */
	if ((proto == 1 || proto == 58) && p->allow_icmp_echo) {
		if (l4len < 8) /* type, code, checksum, identifier, sequence */
			return -EINVAL;
		return l4[0] == (proto == 1 ? 8 : 128) ? 0 : -EACCES;
	}
	return -EACCES;
}

int
vx0_onion_exit_policy_check(const struct vx0_onion_exit_policy *p, const uint8_t *pkt,
			    size_t len)
{
	if (len < 1)
		return -EINVAL;
	if (pkt[0] >> 4 == 4) {
		size_t ihl = (size_t)(pkt[0] & 15) * 4, tot;

		if (len < 20 || ihl < 20 || ihl > len)
			return -EINVAL;
		/* exactly one packet: the exit sends on len bytes and sums them */
		tot = (size_t)(pkt[2] << 8 | pkt[3]);
		if (tot < ihl || tot != len)
			return -EINVAL;
		/* MF set or a fragment offset: no ports to judge */
		if ((pkt[6] & 0x20) || ((pkt[6] & 0x1f) | pkt[7]))
			return -EACCES;
		return judge(p, 4, pkt + 16, pkt[9], pkt + ihl, tot - ihl);
	}
	if (pkt[0] >> 4 == 6) {
		size_t plen;

		if (len < 40)
			return -EINVAL;
		plen = (size_t)(pkt[4] << 8 | pkt[5]);
		if (plen != len - 40)
			return -EINVAL;
		if (pkt[6] != 6 && pkt[6] != 17 && pkt[6] != 58)
			return -EACCES; /* extension headers and the rest: fail closed */
		return judge(p, 6, pkt + 24, pkt[6], pkt + 40, plen);
	}
	return -EINVAL;
}
