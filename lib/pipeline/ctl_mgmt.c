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

#include "vx0_bgp.h"
#include "vx0_ctl.h"
#include "vx0_fib.h"
#include "vx0_log.h"
#include "vx0_mgmt.h"
#include "vx0_neigh.h"

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
	json_t *sa = json_object_get(args, "sa");
	uint8_t a[16], gw[16];
	uint8_t len;
	int fam, rc, nh;
	uint32_t cover;
	unsigned long spi = 0;
	char *end;

	if ((rc = get_prefix(args, &fam, a, &len, err, errlen)) < 0)
		return rc;
	if ((via != NULL) + (drop != NULL) + (sa != NULL) != 1 || (drop && !json_is_true(drop)) ||
	    (via && (!json_is_string(via) ||
		     inet_pton(fam, json_string_value(via), gw) != 1)) ||
	    (sa && (!json_is_string(sa) ||
		    (errno = 0, spi = strtoul(json_string_value(sa), &end, 0), *end || errno) ||
		    spi > UINT32_MAX))) {
		snprintf(err, errlen, "give one of \"via\": an address of the prefix's family, "
			 "\"sa\": an outbound SA's SPI like \"0x1001\", or \"drop\": true");
		return -EINVAL;
	}
	pthread_mutex_lock(&node->ctl->lock);
	if ((rc = route_owned(fib, fam, a, len, err, errlen)) < 0)
		goto out;
	if (drop) {
		nh = VX0_FIB_NH_DROP_ID;
	} else if (sa) {
		/* into an outbound SA, then routed again toward its peer */
		int idx = node->sad ? vx0_sad_find(node->sad, (uint32_t)spi, VX0_ESP_DIR_OUT)
				    : -ENOENT;

		if (idx < 0) {
			snprintf(err, errlen, "\"sa\": no outbound SA with SPI 0x%lx (sa.list)", spi);
			rc = -ENOENT;
			goto out;
		}
		nh = vx0_fib_nh_get_tunnel(fib, (uint32_t)idx);
		if (nh < 0) {
			snprintf(err, errlen, "no next hop: %s", strerror(-nh));
			rc = nh;
			goto out;
		}
	} else {
		const struct vx0_fib_nh *c;

		if (fam == AF_INET) {
			uint32_t v;

			memcpy(&v, gw, 4);
			rc = vx0_fib_lookup4(fib, ntohl(v), &cover);
		} else {
			rc = vx0_fib_lookup6(fib, gw, &cover);
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

/* --- neighbours, BGP peers, capture --- */

/* Node ports keep the config's order, so the config's names index them. */
static int
port_index(const struct vx0_node *node, json_t *v)
{
	return vx0_conf_port_index(node->conf, json_string_value(v));
}

static int
addr_arg(json_t *args, const char *key, int *fam, uint8_t a[16])
{
	struct vx0_conf_prefix p;

	if (vx0_conf_parse_addr(json_string_value(json_object_get(args, key)), &p) < 0)
		return -EINVAL;
	*fam = p.family;
	memcpy(a, p.addr, 16);
	return 0;
}

/* {port, address, mac}: a static neighbour (never ages) */
static int
cmd_neigh_add(json_t *args, json_t **result, char *err, size_t errlen, void *arg)
{
	struct vx0_node *node = arg;
	struct vx0_conf_neigh n;
	const char *mac = json_string_value(json_object_get(args, "mac"));
	int rc;

	memset(&n, 0, sizeof(n));
	n.port = port_index(node, json_object_get(args, "port"));
	if (n.port < 0) {
		snprintf(err, errlen, "\"port\" names no port");
		return -EINVAL;
	}
	if (addr_arg(args, "address", &n.family, n.addr) < 0) {
		snprintf(err, errlen, "\"address\" must be an IPv4 or IPv6 address");
		return -EINVAL;
	}
	if (vx0_conf_parse_mac(mac, n.mac) < 0 || (n.mac[0] & 1)) {
		snprintf(err, errlen, "\"mac\" must be a unicast MAC address");
		return -EINVAL;
	}
	pthread_mutex_lock(&node->ctl->lock);
	rc = vx0_ctl_neigh_static(node->ctl, &n);
	pthread_mutex_unlock(&node->ctl->lock);
	if (rc < 0) {
		snprintf(err, errlen, "the neighbour table: %s", strerror(-rc));
		return rc;
	}
	*result = json_object();
	return 0;
}

/* {port, address}: forget a neighbour (it is resolved again on use) */
static int
cmd_neigh_del(json_t *args, json_t **result, char *err, size_t errlen, void *arg)
{
	struct vx0_node *node = arg;
	uint8_t a[16];
	int fam, port = port_index(node, json_object_get(args, "port")), rc;

	if (port < 0 || addr_arg(args, "address", &fam, a) < 0) {
		snprintf(err, errlen, "give \"port\" (a port name) and \"address\"");
		return -EINVAL;
	}
	pthread_mutex_lock(&node->ctl->lock);
	rc = vx0_neigh_del(node->ctl->neigh, (uint16_t)port, fam, a);
	pthread_mutex_unlock(&node->ctl->lock);
	if (rc < 0) {
		snprintf(err, errlen, "no such neighbour");
		return rc;
	}
	*result = json_object();
	return 0;
}

static int
bgp_peer_cmd(json_t *args, json_t **result, char *err, size_t errlen, void *arg, bool stop)
{
	struct vx0_node *node = arg;
	struct vx0_bgp *bgp;
	struct vx0_bgp_addr a = { 0 };
	const char *msg = json_string_value(json_object_get(args, "message"));
	int fam, peer, rc;

	if (addr_arg(args, "peer", &fam, a.a) < 0) {
		snprintf(err, errlen, "\"peer\" must be the peer's address");
		return -EINVAL;
	}
	if (msg && strlen(msg) > 255) {
		snprintf(err, errlen, "\"message\" is longer than 255 bytes (RFC 8203)");
		return -EINVAL;
	}
	a.family = fam == AF_INET ? 4 : 6;
	pthread_mutex_lock(&node->ctl->lock);
	bgp = vx0_ctl_bgp_core(node->ctl);
	if (bgp == NULL) {
		snprintf(err, errlen, "BGP is not configured");
		rc = -ENOENT;
	} else if ((peer = vx0_bgp_peer_find(bgp, &a)) < 0) {
		snprintf(err, errlen, "no such BGP peer");
		rc = -ENOENT;
	} else {
		rc = stop ? vx0_bgp_peer_stop(bgp, peer, msg, node->ctl->now_ms)
			  : vx0_bgp_peer_start(bgp, peer, node->ctl->now_ms);
		vx0_ctl_bgp_kick(node->ctl);
		if (rc < 0)
			snprintf(err, errlen, "%s", strerror(-rc));
	}
	pthread_mutex_unlock(&node->ctl->lock);
	if (rc == 0)
		*result = json_object();
	return rc;
}

/* {peer[, message]}: Cease / Administrative Shutdown with an RFC 8203 message */
static int
cmd_bgp_shutdown(json_t *args, json_t **result, char *err, size_t errlen, void *arg)
{
	return bgp_peer_cmd(args, result, err, errlen, arg, true);
}

static int
cmd_bgp_start(json_t *args, json_t **result, char *err, size_t errlen, void *arg)
{
	return bgp_peer_cmd(args, result, err, errlen, arg, false);
}

int
vx0_ctl_mgmt_start(struct vx0_ctl *ctl, char *err, size_t errlen)
{
	struct vx0_node *node = ctl->node;
	char path[256];
	int rc;

	/* the config may place it; else beside the telemetry socket */
	if (node->conf->mgmt_socket[0])
		snprintf(path, sizeof(path), "%s", node->conf->mgmt_socket);
	else if ((size_t)snprintf(path, sizeof(path), "%s/vx0_mgmt.sock",
				  rte_eal_get_runtime_dir()) >= sizeof(path)) {
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
	    (rc = vx0_mgmt_register(ctl->mgmt, "route.add", "{prefix, via | sa | drop: true}: "
				    "add or replace a static route", cmd_route_add, node)) ||
	    (rc = vx0_mgmt_register(ctl->mgmt, "route.del", "{prefix}: delete a static route",
				    cmd_route_del, node)) ||
	    (rc = vx0_mgmt_register(ctl->mgmt, "route.get", "{prefix}: the exact route",
				    cmd_route_get, node)) ||
	    (rc = vx0_mgmt_register(ctl->mgmt, "neigh.add", "{port, address, mac}: a static neighbour",
				    cmd_neigh_add, node)) ||
	    (rc = vx0_mgmt_register(ctl->mgmt, "neigh.del", "{port, address}: forget a neighbour",
				    cmd_neigh_del, node)) ||
	    (rc = vx0_mgmt_register(ctl->mgmt, "bgp.shutdown", "{peer[, message]}: Cease with an "
				    "RFC 8203 message", cmd_bgp_shutdown, node)) ||
	    (rc = vx0_mgmt_register(ctl->mgmt, "bgp.start", "{peer}: start a stopped peer",
				    cmd_bgp_start, node)) ||
	    (rc = vx0_mgmt_register(ctl->mgmt, "capture.start", "{point: rx:PORT|tx:PORT|"
				    "stage:NAME:in|out|punt, file | fifo, count | seconds[, snaplen]"
				    "[, format: pcap|pcapng][, ring][, filter]}",
				    vx0_ctl_capture_cmd_start, node)) ||
	    (rc = vx0_mgmt_register(ctl->mgmt, "capture.stop", "stop the capture",
				    vx0_ctl_capture_cmd_stop, node)) ||
	    (rc = vx0_mgmt_register(ctl->mgmt, "capture.status", "state, point, written, filtered, "
				    "dropped (ring full, no mbuf, writer)", vx0_ctl_capture_cmd_status,
				    node)) ||
	    (rc = vx0_mgmt_register(ctl->mgmt, "ike.sas", "CHILD_SAs: SPIs, peer, algorithm, "
				    "lifetimes, counters (never keys)", vx0_ctl_ike_cmd_sas, node)) ||
	    (rc = vx0_mgmt_register(ctl->mgmt, "dht.table", "the DHT routing table",
				    vx0_ctl_dht_cmd_table, node)) ||
	    (rc = vx0_mgmt_register(ctl->mgmt, "dht.items", "stored BEP 44 items",
				    vx0_ctl_dht_cmd_items, node)) ||
	    (rc = vx0_mgmt_register(ctl->mgmt, "dht.lookups", "lookups in flight",
				    vx0_ctl_dht_cmd_lookups, node)) ||
	    (rc = vx0_mgmt_register(ctl->mgmt, "dht.put", "{value}: put an immutable item",
				    vx0_ctl_dht_cmd_put, node)) ||
	    (rc = vx0_mgmt_register(ctl->mgmt, "dht.get", "{target[, salt]}: start a BEP 44 get",
				    vx0_ctl_dht_cmd_get, node)) ||
	    (rc = vx0_mgmt_register(ctl->mgmt, "dht.result", "{lookup}: a finished lookup",
				    vx0_ctl_dht_cmd_result, node)) ||
	    (rc = vx0_ctl_mgmt_register_ops(ctl)) ||
	    (rc = vx0_mgmt_register(ctl->mgmt, "circuit.list", "onion circuits: hops, state, "
				    "counters (never keys)", vx0_ctl_onion_cmd_list, node)) ||
	    (rc = vx0_mgmt_register(ctl->mgmt, "circuit.destroy", "{link, id}: tear a circuit down "
				    "both ways", vx0_ctl_onion_cmd_destroy, node)) ||
	    (rc = vx0_mgmt_register(ctl->mgmt, "onion.descriptor", "this relay for a client's "
				    "descriptor file", vx0_ctl_onion_cmd_descriptor, node)) ||
	    (rc = vx0_mgmt_register(ctl->mgmt, "onion.stats", "onion relay counters",
				    vx0_ctl_onion_cmd_stats, node)) ||
	    (rc = vx0_mgmt_listen(ctl->mgmt, ctl->loop, path))) {
		/* not fatal: the node forwards and telemetry answers without it
		 * (e.g. EAL without a runtime directory) */
		vx0_log(VX0_LOG_WARNING, "mgmt", "no management socket %s: %s", path,
			strerror(-rc));
		vx0_ctl_mgmt_unregister_ops(ctl);
		vx0_mgmt_destroy(ctl->mgmt);
		ctl->mgmt = NULL;
	}
	return 0;
}

void
vx0_ctl_mgmt_stop(struct vx0_ctl *ctl)
{
	vx0_ctl_mgmt_unregister_ops(ctl);
	vx0_mgmt_destroy(ctl->mgmt);
	ctl->mgmt = NULL;
}
