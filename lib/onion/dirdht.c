/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Directory entries from verified DHT descriptors (vx0_onion_path.h): the
 * client collects descriptors through the index of doc/descriptor.md and
 * turns each into the relay entry path selection works on.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "vx0_dht.h"
#include "vx0_onion_path.h"

int
vx0_onion_relay_from_desc(const struct vx0_desc *d, int family, struct vx0_onion_relay_info *r)
{
	const struct vx0_dht_addr *a = NULL;
	char hex[17];
	unsigned int i;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < d->naddrs && i < VX0_DESC_MAX_ADDRS; i++)
		if (family == 0 || d->addrs[i].family == family) {
			a = &d->addrs[i];
			break;
		}
	if (a == NULL || (a->family != 4 && a->family != 6) || a->port == 0)
		return -EAFNOSUPPORT;
	r->desc.addr.family = a->family;
	r->desc.addr.port = a->port;
	memcpy(r->desc.addr.addr, a->ip, a->family == 4 ? 4 : 16);
	memcpy(r->desc.id, d->identity, 32);
	memcpy(r->desc.onion_pk, d->onion, 32);
	sodium_bin2hex(hex, sizeof(hex), d->identity, 8);
	snprintf(r->name, sizeof(r->name), "x%s", hex);
	switch (d->tier) {
	case VX0_TIER_BACKBONE:
		r->capacity = VX0_ONION_TIER_WEIGHT_1;
		break;
	case VX0_TIER_REGIONAL:
		r->capacity = VX0_ONION_TIER_WEIGHT_2;
		break;
	default:
		r->capacity = VX0_ONION_TIER_WEIGHT_3;
		break;
	}
	/* "reject *:*" (vx0d's default) and anything else that does not
	 * accept traffic is no exit */
	r->exit = strncmp(d->exit_policy, "accept ", 7) == 0;
	return 0;
}

int
vx0_onion_dir_add(struct vx0_onion_dir *d, const struct vx0_onion_relay_info *r)
{
	int k = vx0_onion_dir_find_id(d, r->desc.id);

	if (k >= 0) {
		d->r[k] = *r;
		return 0;
	}
	if (d->n >= VX0_ONION_DIR_MAX)
		return -ENOSPC;
	d->r[d->n++] = *r;
	return 0;
}
