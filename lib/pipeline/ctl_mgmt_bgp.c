/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * BGP peers over the management socket: list them, add one (the same
 * object as a config file's "bgp.peers" entry, through lib/conf's parser),
 * remove one (Cease / Peer De-configured), reset one (hard: Cease and
 * reconnect; soft: ROUTE-REFRESH, RFC 2918).
 * Other peers' sessions are never touched.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <sodium.h>

#include "ctl_ops.h"
#include "vx0_bgp_io.h"
#include "vx0_conf.h"
#include "vx0_log.h"

static void
addr_str(const struct vx0_bgp_addr *a, char *buf, size_t n)
{
	if (inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->a, buf, (socklen_t)n) == NULL)
		snprintf(buf, n, "?");
}

int
vx0_ctl_cmd_bgp_peers(json_t *args, json_t **result, char *err, size_t errlen, void *arg)
{
	struct vx0_node *node = arg;
	struct vx0_bgp *bgp;
	json_t *a;
	int rc;

	if ((rc = vx0_ctl_args_only(args, (const char *const[]){ NULL }, err, errlen)) < 0)
		return rc;
	pthread_mutex_lock(&node->ctl->lock);
	bgp = vx0_ctl_bgp_core(node->ctl);
	if (bgp == NULL) {
		pthread_mutex_unlock(&node->ctl->lock);
		snprintf(err, errlen, "BGP is not configured");
		return -ENOENT;
	}
	a = json_array();
	for (int i = 0; i < vx0_bgp_peer_count(bgp); i++) {
		struct vx0_bgp_neighbor_info ni;
		const struct vx0_bgp_peer_config *pc = vx0_bgp_peer_config(bgp, i);
		char ad[INET6_ADDRSTRLEN], rid[INET_ADDRSTRLEN];
		uint32_t r;

		if (pc == NULL || vx0_bgp_neighbor_info(bgp, i, &ni) < 0)
			continue;
		addr_str(&ni.addr, ad, sizeof(ad));
		r = htonl(ni.remote_id);
		inet_ntop(AF_INET, &r, rid, sizeof(rid));
		json_array_append_new(a, json_pack(
			"{ss ss sI ss ss sI sI sI sI sI sI sI sb ss}",
			"peer", ad, "name", pc->name, "remote_as", (json_int_t)ni.remote_as,
			"state", vx0_bgp_state_name(ni.state), "router_id", rid,
			"established_ms", (json_int_t)ni.established_ms,
			"established_count", (json_int_t)ni.established_count,
			"uptime_s", (json_int_t)(ni.state == VX0_BGP_ESTABLISHED && ni.established_ms &&
						 node->ctl->now_ms > ni.established_ms ?
						 (node->ctl->now_ms - ni.established_ms) / 1000 : 0),
			"received", (json_int_t)ni.prefixes_received,
			"accepted", (json_int_t)ni.prefixes_accepted,
			"advertised", (json_int_t)ni.prefixes_advertised,
			"updates_in", (json_int_t)ni.updates_in,
			"runtime", node->ctl->ops && node->ctl->ops->runtime_peer[i] != NULL,
			"last_error", ni.last_error));
	}
	pthread_mutex_unlock(&node->ctl->lock);
	*result = json_pack("{so}", "peers", a);
	return 0;
}

static int
find_peer(struct vx0_node *node, json_t *args, int *peer, char *err, size_t errlen)
{
	struct vx0_conf_prefix p;
	struct vx0_bgp_addr a = { 0 };
	struct vx0_bgp *bgp = vx0_ctl_bgp_core(node->ctl);

	if (bgp == NULL) {
		snprintf(err, errlen, "BGP is not configured");
		return -ENOENT;
	}
	if (vx0_conf_parse_addr(json_string_value(json_object_get(args, "peer")), &p) < 0) {
		snprintf(err, errlen, "\"peer\" must be the peer's IPv4 or IPv6 address");
		return -EINVAL;
	}
	a.family = p.family == AF_INET ? 4 : 6;
	memcpy(a.a, p.addr, 16);
	if ((*peer = vx0_bgp_peer_find(bgp, &a)) < 0) {
		snprintf(err, errlen, "\"peer\": no BGP peer %s", json_string_value(json_object_get(args, "peer")));
		return -ENOENT;
	}
	return 0;
}

int
vx0_ctl_ops_bgp_remove(struct vx0_ctl *ctl, int peer)
{
	int rc = vx0_bgp_io_peer_remove(vx0_ctl_bgp_io(ctl), peer);

	if (rc == 0 && ctl->ops && ctl->ops->runtime_peer[peer]) {
		vx0_conf_free(ctl->ops->runtime_peer[peer]);
		free(ctl->ops->runtime_peer[peer]);
		ctl->ops->runtime_peer[peer] = NULL;
	}
	if (rc == 0)
		vx0_ctl_peers_publish(ctl); /* on -ENOMEM the old set stays: a policing choice only */
	return rc;
}

int
vx0_ctl_ops_bgp_add(struct vx0_ctl *ctl, const struct vx0_conf_bgp_peer *cp)
{
	struct vx0_bgp_peer_config pc;
	int id;

	vx0_ctl_bgp_peer_config(cp, &pc);
	id = vx0_bgp_io_peer_add(vx0_ctl_bgp_io(ctl), &pc);
	sodium_memzero(pc.md5_key, sizeof(pc.md5_key));
	if (id >= 0)
		vx0_ctl_peers_publish(ctl);
	return id;
}

/* A config file's "bgp.peers" entry, e.g. {"address": "198.51.100.2", "as": 65002} */
int
vx0_ctl_cmd_bgp_peer_add(json_t *args, json_t **result, char *err, size_t errlen, void *arg)
{
	struct vx0_node *node = arg;
	struct vx0_ctl *ctl = node->ctl;
	const struct vx0_conf_bgp *g = &node->conf->bgp;
	struct vx0_conf *c = NULL;
	json_t *doc = NULL;
	char rid[INET_ADDRSTRLEN];
	uint32_t r = htonl(g->router_id);
	int rc, id;

	if (vx0_ctl_bgp_io(ctl) == NULL || ctl->ops == NULL) {
		snprintf(err, errlen, "BGP is not configured");
		return -ENOENT;
	}
	/* through the config parser: the same validation and error paths as
	 * a file's peer ("request: bgp.peers[0].as: ...") */
	inet_ntop(AF_INET, &r, rid, sizeof(rid));
	doc = json_pack("{s[{si s[sss]}] s[{ss ss}] s{sI ss s[O]}}",
			"lcores", "id", 0, "roles", "ctl", "rx", "tx",
			"ports", "name", "p", "device", "net_null0",
			"bgp", "as", (json_int_t)g->local_as, "router_id", rid, "peers", args);
	if ((rc = vx0_ctl_parse_request(doc, "bgp.peers[0]", &c, err, errlen)) < 0)
		return rc;
	pthread_mutex_lock(&ctl->lock);
	id = vx0_ctl_ops_bgp_add(ctl, &c->bgp.peers[0]);
	if (id >= 0)
		ctl->ops->runtime_peer[id] = c;
	pthread_mutex_unlock(&ctl->lock);
	if (id < 0) {
		snprintf(err, errlen, id == -EEXIST ? "\"address\": the peer exists already" :
			 "the speaker: %s", strerror(-id));
		vx0_conf_free(c);
		free(c);
		return id;
	}
	vx0_log(VX0_LOG_NOTICE, "mgmt", "BGP peer %s added (management socket)",
		json_string_value(json_object_get(args, "address")));
	*result = json_pack("{ss sI}", "peer", json_string_value(json_object_get(args, "address")),
			    "id", (json_int_t)id);
	return 0;
}

int
vx0_ctl_cmd_bgp_peer_remove(json_t *args, json_t **result, char *err, size_t errlen, void *arg)
{
	static const char *const keys[] = { "peer", NULL };
	struct vx0_node *node = arg;
	int peer, rc;

	if ((rc = vx0_ctl_args_only(args, keys, err, errlen)) < 0)
		return rc;
	pthread_mutex_lock(&node->ctl->lock);
	rc = find_peer(node, args, &peer, err, errlen);
	if (rc == 0 && (rc = vx0_ctl_ops_bgp_remove(node->ctl, peer)) < 0)
		snprintf(err, errlen, "the speaker: %s", strerror(-rc));
	pthread_mutex_unlock(&node->ctl->lock);
	if (rc < 0)
		return rc;
	vx0_log(VX0_LOG_NOTICE, "mgmt", "BGP peer %s removed (management socket)",
		json_string_value(json_object_get(args, "peer")));
	*result = json_pack("{ss}", "removed", json_string_value(json_object_get(args, "peer")));
	return 0;
}

/* {peer[, soft: true][, message]}: hard: Cease / Administrative Shutdown
 * with the message (RFC 8203), then started again; soft: ROUTE-REFRESH
 * (RFC 2918) for each negotiated family, the session stays. */
int
vx0_ctl_cmd_bgp_peer_reset(json_t *args, json_t **result, char *err, size_t errlen, void *arg)
{
	static const char *const keys[] = { "peer", "soft", "message", NULL };
	struct vx0_node *node = arg;
	json_t *soft = json_object_get(args, "soft"), *msg = json_object_get(args, "message");
	struct vx0_bgp *bgp;
	struct vx0_bgp_neighbor_info ni;
	int peer, rc;

	if ((rc = vx0_ctl_args_only(args, keys, err, errlen)) < 0)
		return rc;
	if (soft && !json_is_boolean(soft)) {
		snprintf(err, errlen, "\"soft\" must be true or false");
		return -EINVAL;
	}
	if (msg && (!json_is_string(msg) || json_string_length(msg) > 255)) {
		snprintf(err, errlen, "\"message\" must be a string of at most 255 bytes (RFC 8203)");
		return -EINVAL;
	}
	pthread_mutex_lock(&node->ctl->lock);
	if ((rc = find_peer(node, args, &peer, err, errlen)) < 0)
		goto out;
	bgp = vx0_ctl_bgp_core(node->ctl);
	vx0_bgp_neighbor_info(bgp, peer, &ni);
	if (json_is_true(soft)) {
		if (ni.state != VX0_BGP_ESTABLISHED || !ni.caps_rr) {
			snprintf(err, errlen, "soft reset needs an Established session with the "
				 "route refresh capability (state %s)", vx0_bgp_state_name(ni.state));
			rc = -EAGAIN;
			goto out;
		}
		rc = 0;
		if (ni.caps_v4 || ni.addr.family == 4)
			rc = vx0_bgp_route_refresh(bgp, peer, 4);
		if (rc == 0 && ni.caps_v6)
			rc = vx0_bgp_route_refresh(bgp, peer, 6);
	} else {
		rc = vx0_bgp_peer_stop(bgp, peer, msg ? json_string_value(msg) : "reset by the operator",
				       node->ctl->now_ms);
		if (rc == 0)
			rc = vx0_bgp_peer_start(bgp, peer, node->ctl->now_ms);
	}
	vx0_ctl_bgp_kick(node->ctl);
	if (rc < 0)
		snprintf(err, errlen, "the speaker: %s", strerror(-rc));
out:
	pthread_mutex_unlock(&node->ctl->lock);
	if (rc < 0)
		return rc;
	vx0_log(VX0_LOG_NOTICE, "mgmt", "BGP peer %s reset (%s, management socket)",
		json_string_value(json_object_get(args, "peer")), json_is_true(soft) ? "soft" : "hard");
	*result = json_pack("{ss ss}", "peer", json_string_value(json_object_get(args, "peer")),
			    "reset", json_is_true(soft) ? "soft" : "hard");
	return 0;
}
