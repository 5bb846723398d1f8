/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IKE peers over the management socket: list the configured peers with
 * their IKE SA state, start an exchange with one (ike.initiate), or delete
 * its IKE SA and CHILD_SAs (ike.terminate, an INFORMATIONAL Delete).
 * Peers are named by "name" or "address"; their index is the config's.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "ctl_ops.h"
#include "vx0_conf.h"
#include "vx0_ike.h"
#include "vx0_log.h"

static int
ike_peer(struct vx0_node *node, json_t *args, char *err, size_t errlen)
{
	const struct vx0_conf_ike *ci = &node->conf->ike;
	json_t *v = json_object_get(args, "peer");
	const char *s = json_string_value(v);
	struct vx0_conf_prefix p;
	bool is_addr;

	if (vx0_ctl_ike_core(node->ctl) == NULL) {
		snprintf(err, errlen, "IKE is not configured");
		return -ENOENT;
	}
	if (s == NULL || s[0] == '\0') {
		snprintf(err, errlen, "\"peer\" must be an IKE peer's name or address");
		return -EINVAL;
	}
	is_addr = vx0_conf_parse_addr(s, &p) == 0;
	for (unsigned int i = 0; i < ci->n_peers; i++)
		if ((is_addr && ci->peers[i].family == p.family &&
		     memcmp(ci->peers[i].addr, p.addr, 16) == 0) ||
		    (!is_addr && strcmp(ci->peers[i].name, s) == 0))
			return (int)i;
	snprintf(err, errlen, "\"peer\": no IKE peer \"%.64s\"", s);
	return -ENOENT;
}

int
vx0_ctl_cmd_ike_peers(json_t *args, json_t **result, char *err, size_t errlen, void *arg)
{
	struct vx0_node *node = arg;
	const struct vx0_conf_ike *ci = &node->conf->ike;
	struct vx0_ike *ike;
	json_t *a;
	int rc;

	if ((rc = vx0_ctl_args_only(args, (const char *const[]){ NULL }, err, errlen)) < 0)
		return rc;
	pthread_mutex_lock(&node->ctl->lock);
	if ((ike = vx0_ctl_ike_core(node->ctl)) == NULL) {
		pthread_mutex_unlock(&node->ctl->lock);
		snprintf(err, errlen, "IKE is not configured");
		return -ENOENT;
	}
	a = json_array();
	for (unsigned int i = 0; i < ci->n_peers; i++) {
		const struct vx0_conf_ike_peer *cp = &ci->peers[i];
		uint64_t si = 0, sr = 0;
		bool up = vx0_ike_established(ike, (int)i, &si, &sr);
		char ad[INET6_ADDRSTRLEN], spi[40];

		inet_ntop(cp->family, cp->addr, ad, sizeof(ad));
		snprintf(spi, sizeof(spi), "%016" PRIx64 "/%016" PRIx64, si, sr);
		json_array_append_new(a, json_pack("{ss ss ss sb sb ss}", "name", cp->name,
						   "address", ad, "auth", cp->ed25519 ? "ed25519" : "psk",
						   "initiate", cp->initiate, "established", up,
						   "ike_spis", up ? spi : ""));
	}
	pthread_mutex_unlock(&node->ctl->lock);
	*result = json_pack("{so}", "peers", a);
	return 0;
}

static int
peer_op(json_t *args, json_t **result, char *err, size_t errlen, void *arg, bool start)
{
	static const char *const keys[] = { "peer", NULL };
	struct vx0_node *node = arg;
	struct vx0_ike *ike;
	int peer, rc;

	if ((rc = vx0_ctl_args_only(args, keys, err, errlen)) < 0)
		return rc;
	pthread_mutex_lock(&node->ctl->lock);
	if ((peer = ike_peer(node, args, err, errlen)) < 0) {
		pthread_mutex_unlock(&node->ctl->lock);
		return peer;
	}
	ike = vx0_ctl_ike_core(node->ctl);
	if (start && vx0_ike_established(ike, peer, NULL, NULL)) {
		rc = -EALREADY;
		snprintf(err, errlen, "the IKE SA with \"%s\" is established already",
			 json_string_value(json_object_get(args, "peer")));
	} else {
		rc = start ? vx0_ike_initiate(ike, peer, node->ctl->now_ms)
			   : vx0_ike_delete(ike, peer, node->ctl->now_ms);
		if (rc < 0)
			snprintf(err, errlen, "%s", rc == -ENOENT ? "no IKE SA with that peer" :
				 strerror(-rc));
	}
	vx0_ctl_ike_kick(node->ctl);
	pthread_mutex_unlock(&node->ctl->lock);
	if (rc < 0)
		return rc;
	vx0_log(VX0_LOG_NOTICE, "mgmt", "IKE peer %s: %s (management socket)",
		json_string_value(json_object_get(args, "peer")), start ? "initiate" : "terminate");
	*result = json_pack("{ss ss}", "peer", json_string_value(json_object_get(args, "peer")),
			    start ? "initiated" : "terminated", "ok");
	return 0;
}

int
vx0_ctl_cmd_ike_initiate(json_t *args, json_t **result, char *err, size_t errlen, void *arg)
{
	return peer_op(args, result, err, errlen, arg, true);
}

int
vx0_ctl_cmd_ike_terminate(json_t *args, json_t **result, char *err, size_t errlen, void *arg)
{
	return peer_op(args, result, err, errlen, arg, false);
}
