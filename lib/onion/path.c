/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Path selection (vx0_onion_path.h, doc/onion.md section 14): exit by
 * policy, guard from the persistent guard set, middle at random weighted
 * by capacity; no two hops related (same relay, /16 or /32, family).
 */
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "vx0_onion_path.h"

static int
related(const struct vx0_onion_relay_info *a, const struct vx0_onion_relay_info *b,
	unsigned int flags)
{
	if (a == b || sodium_memcmp(a->desc.id, b->desc.id, 32) == 0)
		return 1;
	/* one operator usually holds a /16 (v4) or a /32 (v6) allocation */
	if (!(flags & VX0_ONION_PATH_ANY_SUBNET) && a->desc.addr.family == b->desc.addr.family &&
	    memcmp(a->desc.addr.addr, b->desc.addr.addr, a->desc.addr.family == 4 ? 2 : 4) == 0)
		return 1;
	if (a->family[0] != '\0' && strcmp(a->family, b->family) == 0)
		return 1;
	return 0;
}

int
vx0_onion_relays_related(const struct vx0_onion_relay_info *a,
			 const struct vx0_onion_relay_info *b)
{
	return related(a, b, 0);
}

static int
avoided(const struct vx0_onion_path_avoid *av, const uint8_t id[32])
{
	unsigned int i;

	if (av == NULL)
		return 0;
	for (i = 0; i < av->n && i < VX0_ONION_DIR_MAX; i++)
		if (sodium_memcmp(av->id[i], id, 32) == 0)
			return 1;
	return 0;
}

enum { PICK_EXIT, PICK_GUARD, PICK_MIDDLE };

/* Relay i may fill this hop: not excluded or avoided, an exit where one is
 * needed, a non-exit guard on the first pass, unrelated to the hops chosen. */
static int
eligible(const struct vx0_onion_dir *d, unsigned int i, const struct vx0_onion_path_avoid *av,
	 int kind, unsigned int pass, const int *used, unsigned int n_used,
	 const uint8_t *excluded, unsigned int flags)
{
	const struct vx0_onion_relay_info *ri = &d->r[i];

	if (excluded[i] || avoided(av, ri->desc.id))
		return 0;
	if (kind == PICK_EXIT && !ri->exit)
		return 0;
	if (kind == PICK_GUARD && pass == 0 && ri->exit)
		return 0;
	for (unsigned int j = 0; j < n_used; j++)
		if (related(ri, &d->r[used[j]], flags))
			return 0;
	return 1;
}

/* Weighted choice among eligible relays; -1 when none. The exit is left to
 * exits; a new guard prefers non-exits (exit capacity is scarce) and takes
 * an exit only when nothing else fits. */
static int
pick(const struct vx0_onion_dir *d, const struct vx0_onion_path_avoid *av, int kind,
     const int *used, unsigned int n_used, const uint8_t *excluded, unsigned int flags)
{
	uint64_t total = 0, r;
	unsigned int i, pass;

	for (pass = 0; pass < 2; pass++) {
		total = 0;
		for (i = 0; i < d->n; i++)
			if (eligible(d, i, av, kind, pass, used, n_used, excluded, flags))
				total += d->r[i].capacity;
		if (total > 0 || kind != PICK_GUARD)
			break;
	}
	if (total == 0)
		return -1;
	/* capacities are <= 10^6 and n <= 256: total fits in 32 bits */
	r = randombytes_uniform((uint32_t)total);
	for (i = 0; i < d->n; i++) {
		if (!eligible(d, i, av, kind, pass, used, n_used, excluded, flags))
			continue;
		if (r < d->r[i].capacity)
			return (int)i;
		r -= d->r[i].capacity;
	}
	return -1; /* not reached */
}

int
vx0_onion_path_select(const struct vx0_onion_dir *d, struct vx0_onion_guard_set *g,
		      const struct vx0_onion_path_avoid *av, uint64_t now_unix,
		      unsigned int flags, unsigned int idx[3], int *guards_changed)
{
	uint8_t no_exit[VX0_ONION_DIR_MAX], none[VX0_ONION_DIR_MAX];
	unsigned int tries, i;
	int used[3];

	*guards_changed = vx0_onion_guards_expire(g, now_unix);
	memset(no_exit, 0, sizeof(no_exit));
	memset(none, 0, sizeof(none));
	/* each failed exit is excluded, so this ends within d->n rounds */
	for (tries = 0; tries < d->n; tries++) {
		int ex = pick(d, av, PICK_EXIT, NULL, 0, no_exit, flags), gu = -1, mi;

		if (ex < 0)
			return -EHOSTUNREACH;
		for (i = 0; i < g->n && gu < 0; i++) {
			int k = vx0_onion_dir_find_id(d, g->id[i]);

			if (k >= 0 && !avoided(av, g->id[i]) &&
			    !related(&d->r[k], &d->r[ex], flags))
				gu = k;
		}
		if (gu < 0 && g->n < VX0_ONION_GUARDS_MAX) {
			/* a relay already in the set is never added twice */
			uint8_t in_set[VX0_ONION_DIR_MAX];

			memset(in_set, 0, sizeof(in_set));
			for (i = 0; i < g->n; i++) {
				int k = vx0_onion_dir_find_id(d, g->id[i]);

				if (k >= 0)
					in_set[k] = 1;
			}
			used[0] = ex;
			gu = pick(d, av, PICK_GUARD, used, 1, in_set, flags);
			if (gu >= 0) {
				memcpy(g->id[g->n], d->r[gu].desc.id, 32);
				g->added[g->n] = now_unix;
				g->n++;
				*guards_changed = 1;
			}
		}
		if (gu < 0) {
			no_exit[ex] = 1;
			continue;
		}
		used[0] = gu;
		used[1] = ex;
		mi = pick(d, av, PICK_MIDDLE, used, 2, none, flags);
		if (mi < 0) {
			no_exit[ex] = 1;
			continue;
		}
		idx[0] = (unsigned int)gu;
		idx[1] = (unsigned int)mi;
		idx[2] = (unsigned int)ex;
		return 0;
	}
	return -EHOSTUNREACH;
}
