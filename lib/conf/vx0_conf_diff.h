/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VX0_CONF_DIFF_H
#define VX0_CONF_DIFF_H

/*
 * What changed between the running config and a new one (config.reload),
 * DPDK-free. Only the dynamic parts may differ: static routes, static
 * neighbours, BGP peers and originated prefixes, IKE peers, the log
 * settings and the management allow-lists. Anything else that differs is
 * refused, naming the field, so the caller applies nothing.
 */

#include <stdbool.h>

#include "vx0_conf.h"

struct vx0_conf_diff {
	/* indexes: *_add into the new config, *_del into the old one */
	unsigned int *route_add, n_route_add, *route_del, n_route_del;
	unsigned int *neigh_add, n_neigh_add, *neigh_del, n_neigh_del;
	unsigned int bgp_add[VX0_CONF_MAX_BGP_PEERS], n_bgp_add;
	unsigned int bgp_del[VX0_CONF_MAX_BGP_PEERS], n_bgp_del;
	/* same address, other settings: removed and added again */
	unsigned int bgp_chg_old[VX0_CONF_MAX_BGP_PEERS], bgp_chg_new[VX0_CONF_MAX_BGP_PEERS];
	unsigned int n_bgp_chg;
	/* only the import/export policies differ: applied on the live session */
	unsigned int bgp_pol_old[VX0_CONF_MAX_BGP_PEERS], bgp_pol_new[VX0_CONF_MAX_BGP_PEERS];
	bool bgp_pol_import[VX0_CONF_MAX_BGP_PEERS]; /* the import policy is one of them */
	unsigned int n_bgp_pol;
	/* unchanged peers: old index -> new index (their policies move to the new config) */
	unsigned int bgp_same_old[VX0_CONF_MAX_BGP_PEERS], bgp_same_new[VX0_CONF_MAX_BGP_PEERS];
	unsigned int n_bgp_same;
	unsigned int orig_add[VX0_CONF_MAX_ORIGINATE], n_orig_add;
	unsigned int orig_del[VX0_CONF_MAX_ORIGINATE], n_orig_del;
	unsigned int ike_add[VX0_CONF_MAX_IKE_PEERS], n_ike_add;
	unsigned int ike_del[VX0_CONF_MAX_IKE_PEERS], n_ike_del;
	bool log_changed, acl_changed;
};

/*
 * 0 and the changes in d (free with vx0_conf_diff_free), or -EPERM when a
 * static part differs ("ports[1].device: changes need a restart" in err),
 * -ENOMEM.
 */
int vx0_conf_diff(const struct vx0_conf *old, const struct vx0_conf *new, struct vx0_conf_diff *d,
		  char *err, size_t errlen);
void vx0_conf_diff_free(struct vx0_conf_diff *d);
/* The number of changes in d. */
unsigned int vx0_conf_diff_count(const struct vx0_conf_diff *d);

/* The content of two lib/bgp policies made by the config parser (NULL: accept all). */
bool vx0_conf_policy_equal(const void *a, const void *b);

#endif
