/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The running config against a new one, for config.reload: the static
 * parts must be equal (field by field, so the refusal names the field);
 * the dynamic parts become lists of additions and removals.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "vx0_bgp.h"
#include "vx0_conf_diff.h"

static int
refuse(char *err, size_t errlen, const char *field)
{
	snprintf(err, errlen, "%s: changes need a restart (only routes, neighbours, bgp.peers, "
		 "bgp.originate, ike.peers, log and management.allow_* reload)", field);
	return -EPERM;
}

static bool
str_eq(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

static bool
prefix_eq(const struct vx0_conf_prefix *a, const struct vx0_conf_prefix *b)
{
	return a->family == b->family && a->len == b->len && memcmp(a->addr, b->addr, 16) == 0;
}

/* The parser allocates policies zeroed, so the terms compare bytewise but
 * for the pointer to their prefix lists, compared by content. */
bool
vx0_conf_policy_equal(const void *pa, const void *pb)
{
	const struct vx0_bgp_policy *a = pa, *b = pb;

	if (a == NULL || b == NULL)
		return a == b;
	if (a->n_terms != b->n_terms || a->default_action != b->default_action)
		return false;
	for (unsigned int i = 0; i < a->n_terms; i++) {
		struct vx0_bgp_policy_term ta, tb;

		memcpy(&ta, &a->terms[i], sizeof(ta));
		memcpy(&tb, &b->terms[i], sizeof(tb));
		if (ta.n_prefixes != tb.n_prefixes ||
		    (ta.n_prefixes && memcmp(ta.prefixes, tb.prefixes,
					     ta.n_prefixes * sizeof(*ta.prefixes))))
			return false;
		ta.prefixes = tb.prefixes = NULL;
		if (memcmp(&ta, &tb, sizeof(ta)))
			return false;
	}
	return true;
}

static bool
bgp_peer_eq_but_policies(const struct vx0_conf_bgp_peer *a, const struct vx0_conf_bgp_peer *b);

static bool
bgp_peer_eq(const struct vx0_conf_bgp_peer *a, const struct vx0_conf_bgp_peer *b)
{
	return bgp_peer_eq_but_policies(a, b) && vx0_conf_policy_equal(a->import, b->import) &&
	       vx0_conf_policy_equal(a->export, b->export);
}

static bool
bgp_peer_eq_but_policies(const struct vx0_conf_bgp_peer *a, const struct vx0_conf_bgp_peer *b)
{
	return str_eq(a->name, b->name) && a->family == b->family &&
	       memcmp(a->addr, b->addr, 16) == 0 && a->remote_as == b->remote_as &&
	       a->passive == b->passive && a->ipv4 == b->ipv4 && a->ipv6 == b->ipv6 &&
	       a->hold_time == b->hold_time && a->max_prefix == b->max_prefix &&
	       str_eq(a->md5_key, b->md5_key) && a->ttl_security == b->ttl_security &&
	       a->graceful_restart == b->graceful_restart &&
	       prefix_eq(&a->nexthop6, &b->nexthop6);
}

static bool
ike_peer_eq(const struct vx0_conf_ike_peer *a, const struct vx0_conf_ike_peer *b)
{
	/* the config is zeroed before parsing: equal settings are equal bytes */
	return memcmp(a, b, sizeof(*a)) == 0;
}

static bool
route_eq(const struct vx0_conf_route *a, const struct vx0_conf_route *b)
{
	return prefix_eq(&a->dst, &b->dst) && a->type == b->type && a->sa_spi == b->sa_spi &&
	       memcmp(a->via, b->via, 16) == 0 && a->port == b->port;
}

static bool
neigh_key_eq(const struct vx0_conf_neigh *a, const struct vx0_conf_neigh *b)
{
	return a->port == b->port && a->family == b->family && memcmp(a->addr, b->addr, 16) == 0;
}

static int
static_parts(const struct vx0_conf *o, const struct vx0_conf *n, char *err, size_t errlen)
{
	char f[64];

	if (o->eal_argc != n->eal_argc)
		return refuse(err, errlen, "eal");
	for (int i = 0; i < o->eal_argc; i++)
		if (!str_eq(o->eal_argv[i], n->eal_argv[i]))
			return refuse(err, errlen, "eal");
	if (o->profile != n->profile)
		return refuse(err, errlen, "profile");
	if (o->n_lcores != n->n_lcores)
		return refuse(err, errlen, "lcores");
	for (unsigned int i = 0; i < o->n_lcores; i++)
		if (o->lcores[i].id != n->lcores[i].id || o->lcores[i].roles != n->lcores[i].roles) {
			snprintf(f, sizeof(f), "lcores[%u]", i);
			return refuse(err, errlen, f);
		}
	if (o->n_ports != n->n_ports)
		return refuse(err, errlen, "ports");
	for (unsigned int i = 0; i < o->n_ports; i++) {
		const struct vx0_conf_port *a = &o->ports[i], *b = &n->ports[i];
		const char *what = NULL;

		if (!str_eq(a->name, b->name))
			what = "name";
		else if (!str_eq(a->device, b->device))
			what = "device";
		else if (a->has_mac != b->has_mac || memcmp(a->mac, b->mac, 6))
			what = "mac";
		else if (a->mtu != b->mtu)
			what = "mtu";
		else if (a->n_addrs != b->n_addrs)
			what = "addresses";
		for (unsigned int k = 0; what == NULL && k < a->n_addrs; k++)
			if (!prefix_eq(&a->addrs[k], &b->addrs[k]))
				what = "addresses";
		if (what) {
			snprintf(f, sizeof(f), "ports[%u].%s", i, what);
			return refuse(err, errlen, f);
		}
	}
	if (o->punt_tap != n->punt_tap || o->punt_rate_pps != n->punt_rate_pps ||
	    o->punt_burst != n->punt_burst || o->peer_rate_pps != n->peer_rate_pps ||
	    o->peer_burst != n->peer_burst)
		return refuse(err, errlen, "exception_path");
	if (o->icmp_rate_pps != n->icmp_rate_pps)
		return refuse(err, errlen, "icmp_rate_pps");
	if (o->mbufs != n->mbufs)
		return refuse(err, errlen, "mbufs");
	if (o->ring_size != n->ring_size)
		return refuse(err, errlen, "ring_size");
	if (o->max_routes4 != n->max_routes4 || o->max_routes6 != n->max_routes6 ||
	    o->max_nh != n->max_nh)
		return refuse(err, errlen, "fib");
	if (o->stop_after_idle_ms != n->stop_after_idle_ms)
		return refuse(err, errlen, "stop_after_idle_ms");
	if (!str_eq(o->stats_json, n->stats_json))
		return refuse(err, errlen, "stats_json");
	if (o->bgp.enabled != n->bgp.enabled)
		return refuse(err, errlen, "bgp");
	if (o->bgp.local_as != n->bgp.local_as)
		return refuse(err, errlen, "bgp.as");
	if (o->bgp.router_id != n->bgp.router_id)
		return refuse(err, errlen, "bgp.router_id");
	if (o->bgp.hold_time != n->bgp.hold_time)
		return refuse(err, errlen, "bgp.hold_time");
	if (o->bgp.connect_retry_ms != n->bgp.connect_retry_ms)
		return refuse(err, errlen, "bgp.connect_retry_ms");
	if (!str_eq(o->crypto_engine, n->crypto_engine) || !str_eq(o->crypto_args, n->crypto_args))
		return refuse(err, errlen, "crypto");
	if (o->n_sas != n->n_sas ||
	    (o->n_sas && memcmp(o->sas, n->sas, o->n_sas * sizeof(*o->sas))))
		return refuse(err, errlen, "sas");
	if (o->ike.enabled != n->ike.enabled)
		return refuse(err, errlen, "ike");
	if (o->ike.family != n->ike.family || memcmp(o->ike.local, n->ike.local, 16))
		return refuse(err, errlen, "ike.local");
	if (o->ike.dpd_ms != n->ike.dpd_ms)
		return refuse(err, errlen, "ike.dpd_ms");
	if (o->ike.retransmit_base_ms != n->ike.retransmit_base_ms ||
	    o->ike.retransmit_tries != n->ike.retransmit_tries)
		return refuse(err, errlen, "ike.retransmit");
	if (!str_eq(o->ike.debug_keys_file, n->ike.debug_keys_file))
		return refuse(err, errlen, "ike.debug_keys_file");
	if (memcmp(&o->dht, &n->dht, sizeof(o->dht)))
		return refuse(err, errlen, "dht");
	/* the relay's keys, port and NAT range are wired into the data plane at start */
	if (memcmp(&o->onion, &n->onion, sizeof(o->onion)))
		return refuse(err, errlen, "onion");
	if (!str_eq(o->mgmt_socket, n->mgmt_socket))
		return refuse(err, errlen, "management.socket");
	if (o->mgmt.mode != n->mgmt.mode)
		return refuse(err, errlen, "management.mode");
	if (o->mgmt.owner != n->mgmt.owner)
		return refuse(err, errlen, "management.owner");
	if (o->mgmt.group != n->mgmt.group)
		return refuse(err, errlen, "management.group");
	if (!str_eq(o->metrics_listen, n->metrics_listen))
		return refuse(err, errlen, "metrics.listen");
	return 0;
}

static int
grow(unsigned int **arr, unsigned int n)
{
	unsigned int *p = realloc(*arr, (n + 1) * sizeof(**arr));

	if (p == NULL)
		return -ENOMEM;
	*arr = p;
	return 0;
}

static int
routes(const struct vx0_conf *o, const struct vx0_conf *n, struct vx0_conf_diff *d)
{
	for (unsigned int i = 0; i < o->n_routes; i++) {
		bool keep = false;

		/* gone, or replaced by a route to the same prefix (added below) */
		for (unsigned int k = 0; k < n->n_routes && !keep; k++)
			keep = prefix_eq(&o->routes[i].dst, &n->routes[k].dst);
		if (!keep) {
			if (grow(&d->route_del, d->n_route_del) < 0)
				return -ENOMEM;
			d->route_del[d->n_route_del++] = i;
		}
	}
	for (unsigned int k = 0; k < n->n_routes; k++) {
		bool same = false;

		for (unsigned int i = 0; i < o->n_routes && !same; i++)
			same = route_eq(&o->routes[i], &n->routes[k]);
		if (!same) {
			if (grow(&d->route_add, d->n_route_add) < 0)
				return -ENOMEM;
			d->route_add[d->n_route_add++] = k;
		}
	}
	for (unsigned int i = 0; i < o->n_neighbours; i++) {
		bool keep = false;

		for (unsigned int k = 0; k < n->n_neighbours && !keep; k++)
			keep = neigh_key_eq(&o->neighbours[i], &n->neighbours[k]);
		if (!keep) {
			if (grow(&d->neigh_del, d->n_neigh_del) < 0)
				return -ENOMEM;
			d->neigh_del[d->n_neigh_del++] = i;
		}
	}
	for (unsigned int k = 0; k < n->n_neighbours; k++) {
		bool same = false;

		for (unsigned int i = 0; i < o->n_neighbours && !same; i++)
			same = neigh_key_eq(&o->neighbours[i], &n->neighbours[k]) &&
			       memcmp(o->neighbours[i].mac, n->neighbours[k].mac, 6) == 0;
		if (!same) {
			if (grow(&d->neigh_add, d->n_neigh_add) < 0)
				return -ENOMEM;
			d->neigh_add[d->n_neigh_add++] = k;
		}
	}
	return 0;
}

static void
bgp(const struct vx0_conf_bgp *o, const struct vx0_conf_bgp *n, struct vx0_conf_diff *d)
{
	for (unsigned int i = 0; i < o->n_peers; i++) {
		const struct vx0_conf_bgp_peer *a = &o->peers[i];
		unsigned int k;

		for (k = 0; k < n->n_peers; k++)
			if (a->family == n->peers[k].family && memcmp(a->addr, n->peers[k].addr, 16) == 0)
				break;
		if (k == n->n_peers) {
			d->bgp_del[d->n_bgp_del++] = i;
		} else if (bgp_peer_eq(a, &n->peers[k])) {
			d->bgp_same_old[d->n_bgp_same] = i;
			d->bgp_same_new[d->n_bgp_same++] = k;
		} else if (bgp_peer_eq_but_policies(a, &n->peers[k])) {
			d->bgp_pol_import[d->n_bgp_pol] =
				!vx0_conf_policy_equal(a->import, n->peers[k].import);
			d->bgp_pol_old[d->n_bgp_pol] = i;
			d->bgp_pol_new[d->n_bgp_pol++] = k;
		} else {
			d->bgp_chg_old[d->n_bgp_chg] = i;
			d->bgp_chg_new[d->n_bgp_chg++] = k;
		}
	}
	for (unsigned int k = 0; k < n->n_peers; k++) {
		bool known = false;

		for (unsigned int i = 0; i < o->n_peers && !known; i++)
			known = o->peers[i].family == n->peers[k].family &&
				memcmp(o->peers[i].addr, n->peers[k].addr, 16) == 0;
		if (!known)
			d->bgp_add[d->n_bgp_add++] = k;
	}
	for (unsigned int i = 0; i < o->n_originate; i++) {
		bool keep = false;

		for (unsigned int k = 0; k < n->n_originate && !keep; k++)
			keep = prefix_eq(&o->originate[i], &n->originate[k]);
		if (!keep)
			d->orig_del[d->n_orig_del++] = i;
	}
	for (unsigned int k = 0; k < n->n_originate; k++) {
		bool known = false;

		for (unsigned int i = 0; i < o->n_originate && !known; i++)
			known = prefix_eq(&o->originate[i], &n->originate[k]);
		if (!known)
			d->orig_add[d->n_orig_add++] = k;
	}
}

static void
ike(const struct vx0_conf_ike *o, const struct vx0_conf_ike *n, struct vx0_conf_diff *d)
{
	/* a changed peer is removed and added again */
	for (unsigned int i = 0; i < o->n_peers; i++) {
		bool same = false;

		for (unsigned int k = 0; k < n->n_peers && !same; k++)
			same = ike_peer_eq(&o->peers[i], &n->peers[k]);
		if (!same)
			d->ike_del[d->n_ike_del++] = i;
	}
	for (unsigned int k = 0; k < n->n_peers; k++) {
		bool same = false;

		for (unsigned int i = 0; i < o->n_peers && !same; i++)
			same = ike_peer_eq(&o->peers[i], &n->peers[k]);
		if (!same)
			d->ike_add[d->n_ike_add++] = k;
	}
}

int
vx0_conf_diff(const struct vx0_conf *o, const struct vx0_conf *n, struct vx0_conf_diff *d,
	      char *err, size_t errlen)
{
	int rc;

	memset(d, 0, sizeof(*d));
	if (errlen)
		err[0] = '\0';
	if ((rc = static_parts(o, n, err, errlen)) < 0)
		return rc;
	if ((rc = routes(o, n, d)) < 0) {
		vx0_conf_diff_free(d);
		snprintf(err, errlen, "out of memory");
		return rc;
	}
	bgp(&o->bgp, &n->bgp, d);
	ike(&o->ike, &n->ike, d);
	d->log_changed = o->log.level != n->log.level || o->log.json != n->log.json ||
			 o->log.n_libs != n->log.n_libs ||
			 memcmp(o->log.libs, n->log.libs, sizeof(o->log.libs));
	d->acl_changed = o->mgmt.n_allow_uids != n->mgmt.n_allow_uids ||
			 o->mgmt.n_allow_gids != n->mgmt.n_allow_gids ||
			 memcmp(o->mgmt.allow_uids, n->mgmt.allow_uids, sizeof(o->mgmt.allow_uids)) ||
			 memcmp(o->mgmt.allow_gids, n->mgmt.allow_gids, sizeof(o->mgmt.allow_gids));
	return 0;
}

void
vx0_conf_diff_free(struct vx0_conf_diff *d)
{
	free(d->route_add);
	free(d->route_del);
	free(d->neigh_add);
	free(d->neigh_del);
	memset(d, 0, sizeof(*d));
}

unsigned int
vx0_conf_diff_count(const struct vx0_conf_diff *d)
{
	return d->n_route_add + d->n_route_del + d->n_neigh_add + d->n_neigh_del + d->n_bgp_add +
	       d->n_bgp_del + d->n_bgp_chg + d->n_bgp_pol + d->n_orig_add + d->n_orig_del + d->n_ike_add +
	       d->n_ike_del + d->log_changed + d->acl_changed;
}
