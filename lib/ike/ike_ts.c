/* SPDX-License-Identifier: BSD-3-Clause */
/* Traffic selector narrowing: intersections of ranges. */
#include <string.h>
#include <sys/socket.h>

#include "ike_ts.h"

void
ike_ts_from_conf(const struct vx0_ike_ts *c, struct ike_ts *w)
{
	memset(w, 0, sizeof(*w));
	w->type = c->family == AF_INET6 ? IKE_TS_IPV6_RANGE : IKE_TS_IPV4_RANGE;
	w->proto = c->proto;
	w->port_lo = c->port_lo;
	w->port_hi = c->port_hi;
	memcpy(w->lo, c->lo, 16);
	memcpy(w->hi, c->hi, 16);
}

void
ike_ts_to_conf(const struct ike_ts *w, struct vx0_ike_ts *c)
{
	memset(c, 0, sizeof(*c));
	c->family = w->type == IKE_TS_IPV6_RANGE ? AF_INET6 : AF_INET;
	c->proto = w->proto;
	c->port_lo = w->port_lo;
	c->port_hi = w->port_hi;
	memcpy(c->lo, w->lo, 16);
	memcpy(c->hi, w->hi, 16);
}

static bool
intersect(const struct ike_ts *a, const struct ike_ts *b, struct ike_ts *o)
{
	size_t alen = a->type == IKE_TS_IPV4_RANGE ? 4 : 16;

	if (a->type != b->type)
		return false;
	if (a->proto && b->proto && a->proto != b->proto)
		return false;
	memset(o, 0, sizeof(*o));
	o->type = a->type;
	o->proto = a->proto ? a->proto : b->proto;
	o->port_lo = a->port_lo > b->port_lo ? a->port_lo : b->port_lo;
	o->port_hi = a->port_hi < b->port_hi ? a->port_hi : b->port_hi;
	if (o->port_lo > o->port_hi)
		return false;
	/* big-endian byte strings compare like the addresses they encode */
	memcpy(o->lo, memcmp(a->lo, b->lo, alen) > 0 ? a->lo : b->lo, alen);
	memcpy(o->hi, memcmp(a->hi, b->hi, alen) < 0 ? a->hi : b->hi, alen);
	return memcmp(o->lo, o->hi, alen) <= 0;
}

int
ike_ts_narrow(const struct ike_ts *offer, int noffer,
	      const struct vx0_ike_ts *conf, int nconf, struct ike_ts *out,
	      int max)
{
	int n = 0;

	for (int i = 0; i < noffer; i++)
		for (int j = 0; j < nconf && n < max; j++) {
			struct ike_ts c, r;
			bool dup = false;

			ike_ts_from_conf(&conf[j], &c);
			if (!intersect(&offer[i], &c, &r))
				continue;
			for (int k = 0; k < n; k++)
				dup |= memcmp(&out[k], &r, sizeof(r)) == 0;
			if (!dup)
				out[n++] = r;
		}
	return n;
}
