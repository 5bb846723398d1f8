/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VX0_CTL_OPS_H
#define VX0_CTL_OPS_H

/*
 * Internal to the pipeline library: the management commands that change
 * the node's state beyond ctl_mgmt.c's (config check/reload, BGP peers,
 * IKE peers, ports, logging), one file per concern, registered by
 * vx0_ctl_mgmt_register_ops(). Handlers take the node as their argument and
 * validate every argument before changing anything.
 */

#include <jansson.h>

#include "vx0_bgp.h"
#include "vx0_ctl.h"

struct vx0_ctl_ops {
	/* BGP peers added with bgp.peer.add: the parsed section that owns
	 * their policies, by speaker peer id (NULL: a config file's peer) */
	struct vx0_conf *runtime_peer[VX0_BGP_MAX_PEERS];
	uint64_t reloads, reload_errors;
};

typedef int (*vx0_ctl_cmd)(json_t *args, json_t **result, char *err, size_t errlen, void *arg);

/* ctl_reload.c */
int vx0_ctl_cmd_config_check(json_t *args, json_t **result, char *err, size_t errlen, void *arg);
int vx0_ctl_cmd_config_reload(json_t *args, json_t **result, char *err, size_t errlen, void *arg);
int vx0_ctl_cmd_mgmt_stats(json_t *args, json_t **result, char *err, size_t errlen, void *arg);
/* ctl_mgmt_bgp.c */
int vx0_ctl_cmd_bgp_peers(json_t *args, json_t **result, char *err, size_t errlen, void *arg);
int vx0_ctl_cmd_bgp_peer_add(json_t *args, json_t **result, char *err, size_t errlen, void *arg);
int vx0_ctl_cmd_bgp_peer_remove(json_t *args, json_t **result, char *err, size_t errlen, void *arg);
int vx0_ctl_cmd_bgp_peer_reset(json_t *args, json_t **result, char *err, size_t errlen, void *arg);
/* Remove speaker peer id (freeing what bgp.peer.add kept for it). */
int vx0_ctl_ops_bgp_remove(struct vx0_ctl *ctl, int peer);
/* A config file's peer to the running speaker (started). Peer id or -errno. */
int vx0_ctl_ops_bgp_add(struct vx0_ctl *ctl, const struct vx0_conf_bgp_peer *cp);
/* ctl_mgmt_ike.c */
int vx0_ctl_cmd_ike_peers(json_t *args, json_t **result, char *err, size_t errlen, void *arg);
int vx0_ctl_cmd_ike_initiate(json_t *args, json_t **result, char *err, size_t errlen, void *arg);
int vx0_ctl_cmd_ike_terminate(json_t *args, json_t **result, char *err, size_t errlen, void *arg);
/* ctl_port.c */
int vx0_ctl_cmd_port_list(json_t *args, json_t **result, char *err, size_t errlen, void *arg);
int vx0_ctl_cmd_port_set(json_t *args, json_t **result, char *err, size_t errlen, void *arg);
/* ctl_mgmt_sa.c */
int vx0_ctl_cmd_sa_list(json_t *args, json_t **result, char *err, size_t errlen, void *arg);
int vx0_ctl_cmd_sa_add(json_t *args, json_t **result, char *err, size_t errlen, void *arg);
int vx0_ctl_cmd_sa_del(json_t *args, json_t **result, char *err, size_t errlen, void *arg);
/* ctl_log.c */
int vx0_ctl_cmd_log_level(json_t *args, json_t **result, char *err, size_t errlen, void *arg);
int vx0_ctl_cmd_log_format(json_t *args, json_t **result, char *err, size_t errlen, void *arg);

/* ctl_reload.c: doc (a whole minimal config, taken over) through lib/conf;
 * *out is calloc'd (vx0_conf_free + free). On error, err from `field` on. */
int vx0_ctl_parse_request(json_t *doc, const char *field, struct vx0_conf **out, char *err,
			  size_t errlen);
/* Only these keys in args: 0, or -EINVAL naming the first other one. */
int vx0_ctl_args_only(json_t *args, const char *const *keys, char *err, size_t errlen);

#endif
