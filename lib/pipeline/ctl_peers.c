/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control-plane peer set the rx stage polices apart (VX0_PUNT_PEER):
 * the addresses of the configured BGP neighbours and IKE peers. Rebuilt
 * whole when a BGP peer is added or removed (rare), published with one
 * pointer store; the old set is freed after a grace period.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_rcu_qsbr.h>

#include "vx0_bgp.h"
#include "vx0_ctl.h"
#include "vx0_pipeline.h"

static void
insert(struct vx0_peer_set *ps, uint8_t family, const uint8_t *addr)
{
	unsigned int len = family == 4 ? 4 : 16;
	uint32_t i = rte_hash_crc(addr, len, 0) & ps->mask;

	for (;; i = (i + 1) & ps->mask) {
		struct vx0_peer_slot *s = &ps->slot[i];

		if (s->family == family && memcmp(s->addr, addr, len) == 0)
			return; /* a BGP and an IKE peer at the same address */
		if (s->family == 0) {
			s->family = family;
			memcpy(s->addr, addr, len);
			return;
		}
	}
}

int
vx0_ctl_peers_publish(struct vx0_ctl *ctl)
{
	struct vx0_node *node = ctl->node;
	struct vx0_bgp *bgp = vx0_ctl_bgp_core(ctl);
	const struct vx0_conf_ike *ike = &node->conf->ike;
	int n_bgp = bgp ? vx0_bgp_peer_count(bgp) : 0;
	uint32_t slots = 4;
	struct vx0_peer_set *ps, *old;

	while (slots < 2 * ((uint32_t)n_bgp + ike->n_peers))
		slots <<= 1;
	ps = calloc(1, sizeof(*ps) + slots * sizeof(ps->slot[0]));
	if (ps == NULL)
		return -ENOMEM;
	ps->mask = slots - 1;
	for (int i = 0; i < n_bgp; i++) {
		struct vx0_bgp_neighbor_info ni;

		if (vx0_bgp_neighbor_info(bgp, i, &ni) == 0)
			insert(ps, ni.addr.family, ni.addr.a);
	}
	for (unsigned int i = 0; i < ike->n_peers; i++)
		insert(ps, ike->peers[i].family == AF_INET ? 4 : 6, ike->peers[i].addr);
	old = node->peers;
	__atomic_store_n(&node->peers, ps, __ATOMIC_RELEASE);
	if (old != NULL) {
		rte_rcu_qsbr_synchronize(node->qsv, RTE_QSBR_THRID_INVALID);
		free(old);
	}
	return 0;
}
