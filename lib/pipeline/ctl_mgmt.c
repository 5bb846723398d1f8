/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vx0d's management socket (lib/mgmt) on the ctl event loop, next to the
 * telemetry socket: RUNTIME_DIR/dpdk/<file-prefix>/vx0_mgmt.sock, mode
 * 0600. Unlike telemetry (read-only, another thread) its commands may
 * change state; they run on the ctl lcore, the FIB's single writer, under
 * ctl->lock so telemetry readers see whole changes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <rte_eal.h>
#include <rte_log.h>

#include "vx0_ctl.h"
#include "vx0_fib.h"
#include "vx0_log.h"
#include "vx0_mgmt.h"

#ifndef VX0_VERSION
#define VX0_VERSION "unknown"
#endif

static int
cmd_version(json_t *args, json_t **result, char *err, size_t errlen, void *arg)
{
	(void)args;
	(void)err;
	(void)errlen;
	(void)arg;
	*result = json_pack("{ss}", "version", VX0_VERSION);
	return 0;
}

static int
cmd_stats(json_t *args, json_t **result, char *err, size_t errlen, void *arg)
{
	char *s = vx0_stats_json(arg);

	(void)args;
	*result = s ? json_loads(s, 0, NULL) : NULL;
	free(s);
	if (*result == NULL) {
		snprintf(err, errlen, "cannot build the statistics");
		return -ENOMEM;
	}
	return 0;
}

static const char *const level_names[] = {
	[VX0_LOG_ERR] = "err", [VX0_LOG_WARNING] = "warning", [VX0_LOG_NOTICE] = "notice",
	[VX0_LOG_INFO] = "info", [VX0_LOG_DEBUG] = "debug",
};

/* {"level": NAME} sets vx0d's log level (lib log and DPDK's); the reply
 * has the previous one. Without "level": just the current one. */
static int
cmd_log_level(json_t *args, json_t **result, char *err, size_t errlen, void *arg)
{
	json_t *l = json_object_get(args, "level");
	int old = vx0_log_get_level(), lv = -1;

	(void)arg;
	if (l) {
		for (int i = VX0_LOG_ERR; i <= VX0_LOG_DEBUG; i++)
			if (json_is_string(l) && strcmp(json_string_value(l), level_names[i]) == 0)
				lv = i;
		if (lv < 0) {
			snprintf(err, errlen, "\"level\" must be err, warning, notice, info or debug");
			return -EINVAL;
		}
		vx0_log_set_level(lv);
		rte_log_set_global_level((uint32_t)lv); /* same numbers as RTE_LOG_* */
	}
	*result = json_pack("{ss ss}", "level", level_names[lv >= 0 ? lv : old],
			    "previous", level_names[old >= VX0_LOG_ERR && old <= VX0_LOG_DEBUG ?
						    old : VX0_LOG_NOTICE]);
	return 0;
}

static int
get_prefix(json_t *args, int *fam, uint8_t a[16], uint8_t *len, char *err, size_t errlen)
{
	const char *p = json_string_value(json_object_get(args, "prefix"));

	if (p == NULL || vx0_fib_parse_prefix(p, fam, a, len) < 0) {
		snprintf(err, errlen, "\"prefix\" must be a prefix like 203.0.113.0/24 or 2001:db8::/32");
		return -EINVAL;
	}
	return 0;
}

/* Routes the operator may change: drop routes and routes via a neighbour.
 * Connected and local routes belong to the ports' configuration. */
static int
route_owned(const struct vx0_fib *fib, int fam, const uint8_t *a, uint8_t len, char *err,
	    size_t errlen)
{
	int nh = vx0_fib_route_get(fib, fam, a, len);
	const struct vx0_fib_nh *n;

	if (nh < 0)
		return nh == -ENOENT ? 0 : nh;
	n = vx0_fib_nh(fib, (uint32_t)nh);
	if (n->type == VX0_NH_LOCAL || n->type == VX0_NH_GLEAN) {
		snprintf(err, errlen, "a %s route: it follows the ports' addresses",
			 n->type == VX0_NH_LOCAL ? "local" : "connected");
		return -EPERM;
	}
	return 1;
}

static void
nh_describe(struct vx0_node *node, uint32_t id, json_t *o)
{
	const struct vx0_fib_nh *n = vx0_fib_nh(node->fib, id);
	char buf[INET6_ADDRSTRLEN];

	json_object_set_new(o, "type", json_string(vx0_fib_nh_type_name(n->type)));
	if (n->type != VX0_NH_DROP && n->type != VX0_NH_TUNNEL)
		json_object_set_new(o, "port", json_string(node->ports[n->port].name));
	if (n->type == VX0_NH_FWD && inet_ntop(n->family, n->addr, buf, sizeof(buf)))
		json_object_set_new(o, "via", json_string(buf));
}

/* {"prefix": P, "via": ADDR} or {"prefix": P, "drop": true} */
static int
cmd_route_add(json_t *args, json_t **result, char *err, size_t errlen, void *arg)
{
	struct vx0_node *node = arg;
	struct vx0_fib *fib = node->fib;
	json_t *via = json_object_get(args, "via"), *drop = json_object_get(args, "drop");
	uint8_t a[16], gw[16];
	uint8_t len;
	int fam, rc, nh;
	uint32_t cover;

	if ((rc = get_prefix(args, &fam, a, &len, err, errlen)) < 0)
		return rc;
	if ((via == NULL) == (drop == NULL) || (drop && !json_is_true(drop)) ||
	    (via && (!json_is_string(via) ||
		     inet_pton(fam, json_string_value(via), gw) != 1))) {
		snprintf(err, errlen, "give \"via\": an address of the prefix's family, or \"drop\": true");
		return -EINVAL;
	}
	pthread_mutex_lock(&node->ctl->lock);
	if ((rc = route_owned(fib, fam, a, len, err, errlen)) < 0)
		goto out;
	if (drop) {
		nh = VX0_FIB_NH_DROP_ID;
	} else {
		const struct vx0_fib_nh *c;

		if (fam == AF_INET) {
			uint32_t v;

			memcpy(&v, gw, 4);
			rc = vx0_fib_lookup4(fib, ntohl(v), &cover);
		} else {
			rc = vx0_fib_lookup6_pending(fib, gw, &cover);
		}
		c = rc == 0 ? vx0_fib_nh(fib, cover) : NULL;
		if (c != NULL && c->type == VX0_NH_FWD) {
			/* a resolved neighbour's host route, or recursive as BGP does:
			 * the covering route's neighbour (shared, one more reference) */
			nh = vx0_fib_nh_get(fib, VX0_NH_FWD, c->port, c->family, c->addr);
		} else if (c != NULL && c->type == VX0_NH_GLEAN) {
			/* the neighbour's MAC is resolved on first use, as for config routes */
			nh = vx0_fib_nh_get(fib, VX0_NH_FWD, c->port, fam, gw);
		} else {
			snprintf(err, errlen, "%s is on no connected subnet", json_string_value(via));
			rc = -EHOSTUNREACH;
			goto out;
		}
		if (nh < 0) {
			snprintf(err, errlen, "no next hop: %s", strerror(-nh));
			rc = nh;
			goto out;
		}
	}
	rc = vx0_fib_route_add(fib, fam, a, len, (uint32_t)nh);
	vx0_fib_nh_put(fib, (uint32_t)nh);
	if (rc == 0)
		rc = vx0_fib_commit(fib);
	if (rc < 0) {
		snprintf(err, errlen, "FIB: %s", strerror(-rc));
		goto out;
	}
	*result = json_object();
	nh_describe(node, (uint32_t)vx0_fib_route_get(fib, fam, a, len), *result);
	vx0_log(VX0_LOG_NOTICE, "mgmt", "route %s added (management socket)",
		json_string_value(json_object_get(args, "prefix")));
out:
	pthread_mutex_unlock(&node->ctl->lock);
	return rc;
}

static int
cmd_route_del(json_t *args, json_t **result, char *err, size_t errlen, void *arg)
{
	struct vx0_node *node = arg;
	uint8_t a[16], len;
	int fam, rc;

	if ((rc = get_prefix(args, &fam, a, &len, err, errlen)) < 0)
		return rc;
	pthread_mutex_lock(&node->ctl->lock);
	rc = route_owned(node->fib, fam, a, len, err, errlen);
	if (rc == 0) {
		snprintf(err, errlen, "no such route");
		rc = -ENOENT;
	} else if (rc > 0) {
		rc = vx0_fib_route_del(node->fib, fam, a, len);
		if (rc == 0)
			rc = vx0_fib_commit(node->fib);
		if (rc < 0)
			snprintf(err, errlen, "FIB: %s", strerror(-rc));
	}
	pthread_mutex_unlock(&node->ctl->lock);
	if (rc == 0) {
		*result = json_pack("{ss}", "deleted", json_string_value(json_object_get(args, "prefix")));
		vx0_log(VX0_LOG_NOTICE, "mgmt", "route %s deleted (management socket)",
			json_string_value(json_object_get(args, "prefix")));
	}
	return rc;
}

/* The exact route of a prefix (telemetry's /vx0/fib is the longest match). */
static int
cmd_route_get(json_t *args, json_t **result, char *err, size_t errlen, void *arg)
{
	struct vx0_node *node = arg;
	uint8_t a[16], len;
	int fam, rc, nh;

	if ((rc = get_prefix(args, &fam, a, &len, err, errlen)) < 0)
		return rc;
	pthread_mutex_lock(&node->ctl->lock);
	nh = vx0_fib_route_get(node->fib, fam, a, len);
	if (nh >= 0) {
		*result = json_object();
		nh_describe(node, (uint32_t)nh, *result);
	}
	pthread_mutex_unlock(&node->ctl->lock);
	if (nh < 0)
		snprintf(err, errlen, "no such route");
	return nh < 0 ? nh : 0;
}

int
vx0_ctl_mgmt_start(struct vx0_ctl *ctl, char *err, size_t errlen)
{
	struct vx0_node *node = ctl->node;
	char path[256];
	int rc;

	if ((size_t)snprintf(path, sizeof(path), "%s/vx0_mgmt.sock", rte_eal_get_runtime_dir()) >=
	    sizeof(path)) {
		vx0_log(VX0_LOG_WARNING, "mgmt", "no management socket: runtime directory path too long");
		return 0;
	}
	if ((ctl->mgmt = vx0_mgmt_create()) == NULL) {
		snprintf(err, errlen, "mgmt: out of memory");
		return -ENOMEM;
	}
	if ((rc = vx0_mgmt_register(ctl->mgmt, "version", "vx0d's version", cmd_version, node)) ||
	    (rc = vx0_mgmt_register(ctl->mgmt, "stats", "the statistics summary (as at exit)",
				    cmd_stats, node)) ||
	    (rc = vx0_mgmt_register(ctl->mgmt, "log.level", "{level}: set the log level; "
				    "without: show it", cmd_log_level, node)) ||
	    (rc = vx0_mgmt_register(ctl->mgmt, "route.add", "{prefix, via | drop: true}: "
				    "add or replace a static route", cmd_route_add, node)) ||
	    (rc = vx0_mgmt_register(ctl->mgmt, "route.del", "{prefix}: delete a static route",
				    cmd_route_del, node)) ||
	    (rc = vx0_mgmt_register(ctl->mgmt, "route.get", "{prefix}: the exact route",
				    cmd_route_get, node)) ||
	    (rc = vx0_mgmt_listen(ctl->mgmt, ctl->loop, path))) {
		/* not fatal: the node forwards and telemetry answers without it
		 * (e.g. EAL without a runtime directory) */
		vx0_log(VX0_LOG_WARNING, "mgmt", "no management socket %s: %s", path,
			strerror(-rc));
		vx0_mgmt_destroy(ctl->mgmt);
		ctl->mgmt = NULL;
	}
	return 0;
}

void
vx0_ctl_mgmt_stop(struct vx0_ctl *ctl)
{
	vx0_mgmt_destroy(ctl->mgmt);
	ctl->mgmt = NULL;
}
