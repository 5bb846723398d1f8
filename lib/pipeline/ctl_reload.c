/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * config.check: validate a config (a file or text) with the same parser
 * vx0d starts with, and tell whether it could be reloaded.
 * config.reload: parse the new config (default: the file vx0d started
 * with), diff it against the running one (lib/conf/conf_diff.c) and apply
 * only what changed: static routes and neighbours, BGP peers (unchanged
 * peers' sessions stay up) and originated prefixes, log settings, the
 * management allow-lists. A static change (ports, lcores, EAL, ...) or an
 * IKE peer change is refused naming the field, and nothing is applied:
 * everything that can fail is checked or taken (next hops, capacity)
 * before the first change. The running config is replaced by the new one.
 * Also vx0_ctl_mgmt_register_ops(): these commands' registration.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <sodium.h>

#include "ctl_ops.h"
#include "vx0_bgp_io.h"
#include "vx0_conf_diff.h"
#include "vx0_fib.h"
#include "vx0_log.h"
#include "vx0_metrics.h"
#include "vx0_mgmt.h"
#include "vx0_neigh.h"

static void
prefix_str(const struct vx0_conf_prefix *p, char *buf, size_t n)
{
	char a[INET6_ADDRSTRLEN] = "?";

	inet_ntop(p->family, p->addr, a, sizeof(a));
	snprintf(buf, n, "%s/%u", a, p->len);
}

static json_t *
addr_json(int family, const uint8_t *addr)
{
	char a[INET6_ADDRSTRLEN] = "?";

	inet_ntop(family, addr, a, sizeof(a));
	return json_string(a);
}

/* {path} or {text}: the parsed config in *c. */
static int
load_arg(json_t *args, struct vx0_conf *c, const char *dflt, char *err, size_t errlen)
{
	static const char *const keys[] = { "path", "text", NULL };
	json_t *p = json_object_get(args, "path"), *t = json_object_get(args, "text");
	int rc;

	if ((rc = vx0_ctl_args_only(args, keys, err, errlen)) < 0)
		return rc;
	if (p && t) {
		snprintf(err, errlen, "give \"path\" or \"text\", not both");
		return -EINVAL;
	}
	if (t) {
		if (!json_is_string(t)) {
			snprintf(err, errlen, "\"text\" must be the config as a string");
			return -EINVAL;
		}
		return vx0_conf_load_string(json_string_value(t), json_string_length(t), "text", c,
					    err, errlen);
	}
	if (p && (!json_is_string(p) || json_string_value(p)[0] != '/' ||
		  json_string_length(p) >= sizeof(c->path))) {
		snprintf(err, errlen, "\"path\" must be an absolute file name");
		return -EINVAL;
	}
	if (p == NULL && (dflt == NULL || dflt[0] == '\0')) {
		snprintf(err, errlen, "vx0d was not started from a file: give \"path\" or \"text\"");
		return -EINVAL;
	}
	rc = vx0_conf_load_file(p ? json_string_value(p) : dflt, c, err, errlen);
	return rc < 0 ? (rc == -EINVAL ? rc : -EINVAL) : 0;
}

static int
ike_refused(const struct vx0_conf_diff *d, char *err, size_t errlen)
{
	if (d->n_ike_add + d->n_ike_del == 0)
		return 0;
	snprintf(err, errlen, "ike.peers[%u]: IKE peer changes need a restart (use ike.initiate / "
		 "ike.terminate for sessions)", d->n_ike_add ? d->ike_add[0] : d->ike_del[0]);
	return -EPERM;
}

int
vx0_ctl_cmd_config_check(json_t *args, json_t **result, char *err, size_t errlen, void *arg)
{
	struct vx0_node *node = arg;
	struct vx0_conf c;
	struct vx0_conf_diff d;
	char why[256];
	int rc;

	if ((rc = load_arg(args, &c, node->conf->path, err, errlen)) < 0)
		return rc;
	*result = json_pack("{sb sI sI sI sI}", "valid", 1, "ports", (json_int_t)c.n_ports,
			    "lcores", (json_int_t)c.n_lcores, "routes", (json_int_t)c.n_routes,
			    "bgp_peers", (json_int_t)c.bgp.n_peers);
	/* and whether config.reload would take it, without applying anything */
	rc = vx0_conf_diff(node->conf, &c, &d, why, sizeof(why));
	if (rc == 0 && ike_refused(&d, why, sizeof(why)) < 0)
		rc = -EPERM;
	json_object_set_new(*result, "reloadable", json_boolean(rc == 0));
	if (rc == 0)
		json_object_set_new(*result, "changes", json_integer(vx0_conf_diff_count(&d)));
	else
		json_object_set_new(*result, "reload_error", json_string(why));
	vx0_conf_diff_free(&d);
	vx0_conf_free(&c);
	return 0;
}

/* --- reload --- */

struct prep {
	int *nh;          /* per route_add: its next hop (a reference), -1 none yet */
};

/* Take every added route's next hop; on failure give back what was taken. */
static int
prepare_routes(struct vx0_node *node, const struct vx0_conf *n, const struct vx0_conf_diff *d,
	       struct prep *pr, char *err, size_t errlen)
{
	unsigned int add4 = 0, add6 = 0;
	int rc = 0;

	pr->nh = calloc(d->n_route_add + 1, sizeof(int));
	if (pr->nh == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < d->n_route_add; i++)
		pr->nh[i] = -1;
	for (unsigned int i = 0; i < d->n_route_add; i++) {
		const struct vx0_conf_route *r = &n->routes[d->route_add[i]];
		int nh;

		if (r->dst.family == AF_INET)
			add4++;
		else
			add6++;
		if (r->type == VX0_ROUTE_DROP) {
			nh = VX0_FIB_NH_DROP_ID; /* always there, not counted */
		} else if (r->type == VX0_ROUTE_TUNNEL) {
			int sa = node->sad ? vx0_sad_find(node->sad, r->sa_spi, VX0_ESP_DIR_OUT) : -ENOENT;

			nh = sa < 0 ? sa : vx0_fib_nh_get_tunnel(node->fib, (uint32_t)sa);
		} else {
			nh = vx0_fib_nh_get(node->fib, VX0_NH_FWD, (uint16_t)r->port, r->dst.family,
					    r->via);
		}
		if (nh < 0) {
			snprintf(err, errlen, "routes[%u]: no next hop: %s", d->route_add[i],
				 strerror(-nh));
			rc = nh;
			break;
		}
		pr->nh[i] = nh;
	}
	if (rc == 0 && (vx0_fib_count(node->fib, AF_INET) + add4 > node->conf->max_routes4 ||
			vx0_fib_count(node->fib, AF_INET6) + add6 > node->conf->max_routes6)) {
		snprintf(err, errlen, "routes: the FIB would be over fib.max_routes4/6");
		rc = -ENOSPC;
	}
	if (rc < 0) {
		for (unsigned int i = 0; i < d->n_route_add; i++)
			if (pr->nh[i] >= 0)
				vx0_fib_nh_put(node->fib, (uint32_t)pr->nh[i]);
		free(pr->nh);
		pr->nh = NULL;
	}
	return rc;
}

static int
bgp_check(struct vx0_ctl *ctl, const struct vx0_conf *n, const struct vx0_conf_diff *d,
	  char *err, size_t errlen)
{
	if (vx0_ctl_bgp_core(ctl) != NULL ||
	    d->n_bgp_add + d->n_bgp_chg + d->n_orig_add + d->n_orig_del == 0)
		return 0;
	(void)n;
	snprintf(err, errlen, "bgp: the speaker is not running (enable it in the file and restart)");
	return -EPERM;
}

static int
find_bgp(struct vx0_bgp *bgp, const struct vx0_conf_bgp_peer *cp)
{
	struct vx0_bgp_addr a = { .family = cp->family == AF_INET ? 4 : 6 };

	memcpy(a.a, cp->addr, 16);
	return vx0_bgp_peer_find(bgp, &a);
}

static void
to_bgp_prefix(const struct vx0_conf_prefix *p, struct vx0_bgp_prefix *b)
{
	memset(b, 0, sizeof(*b));
	b->family = p->family == AF_INET ? 4 : 6;
	b->len = p->len;
	memcpy(b->a, p->addr, 16);
}

/* The new log settings; what the file no longer says returns to the
 * defaults (notice; a library without its own level follows the rest). */
static void
reload_log(const struct vx0_conf_log *o, const struct vx0_conf_log *n)
{
	int level = n->level ? n->level : VX0_LOG_NOTICE;

	vx0_node_log_set_level(NULL, level);
	for (unsigned int i = 0; i < o->n_libs; i++) {
		bool kept = false;

		for (unsigned int k = 0; k < n->n_libs && !kept; k++)
			kept = strcmp(o->libs[i].lib, n->libs[k].lib) == 0;
		if (!kept)
			vx0_node_log_set_level(o->libs[i].lib, level);
	}
	for (unsigned int i = 0; i < n->n_libs; i++)
		vx0_node_log_set_level(n->libs[i].lib, n->libs[i].level);
	vx0_node_log_set_json(n->json);
}

/* Everything was checked: change the node. Returns the report. */
static json_t *
apply(struct vx0_node *node, struct vx0_conf *o, struct vx0_conf *n, const struct vx0_conf_diff *d,
      struct prep *pr)
{
	struct vx0_ctl *ctl = node->ctl;
	struct vx0_bgp *bgp = vx0_ctl_bgp_core(ctl);
	json_t *rep = json_object(), *ra = json_array(), *rd = json_array(), *na = json_array(),
	       *nd = json_array(), *ba = json_array(), *bd = json_array(), *bc = json_array(),
	       *bs = json_array(), *oa = json_array(), *od = json_array(), *bp = json_array();
	char buf[64];
	unsigned int failed = 0;

	/* BGP first: removed and changed peers go (and their routes with them) */
	if (bgp) {
		for (int i = 0; i < vx0_bgp_peer_count(bgp); i++)
			if (ctl->ops && ctl->ops->runtime_peer[i]) { /* bgp.peer.add's: the file rules */
				const struct vx0_bgp_peer_config *pc = vx0_bgp_peer_config(bgp, i);

				if (pc)
					json_array_append_new(bd, addr_json(pc->addr.family == 4 ? AF_INET :
									    AF_INET6, pc->addr.a));
				vx0_ctl_ops_bgp_remove(ctl, i);
			}
		for (unsigned int i = 0; i < d->n_bgp_del; i++) {
			const struct vx0_conf_bgp_peer *cp = &o->bgp.peers[d->bgp_del[i]];
			int id = find_bgp(bgp, cp);

			if (id >= 0)
				vx0_ctl_ops_bgp_remove(ctl, id);
			json_array_append_new(bd, addr_json(cp->family, cp->addr));
		}
		for (unsigned int i = 0; i < d->n_bgp_chg; i++) {
			int id = find_bgp(bgp, &o->bgp.peers[d->bgp_chg_old[i]]);

			if (id >= 0)
				vx0_ctl_ops_bgp_remove(ctl, id);
		}
	}
	/* static routes */
	for (unsigned int i = 0; i < d->n_route_del; i++) {
		const struct vx0_conf_route *r = &o->routes[d->route_del[i]];

		vx0_fib_route_del(node->fib, r->dst.family, r->dst.addr, r->dst.len);
		prefix_str(&r->dst, buf, sizeof(buf));
		json_array_append_new(rd, json_string(buf));
	}
	for (unsigned int i = 0; i < d->n_route_add; i++) {
		const struct vx0_conf_route *r = &n->routes[d->route_add[i]];

		if (vx0_fib_route_add(node->fib, r->dst.family, r->dst.addr, r->dst.len,
				      (uint32_t)pr->nh[i]) < 0)
			failed++;
		vx0_fib_nh_put(node->fib, (uint32_t)pr->nh[i]);
		prefix_str(&r->dst, buf, sizeof(buf));
		json_array_append_new(ra, json_string(buf));
	}
	free(pr->nh);
	pr->nh = NULL;
	/* static neighbours */
	for (unsigned int i = 0; i < d->n_neigh_del; i++) {
		const struct vx0_conf_neigh *nb = &o->neighbours[d->neigh_del[i]];

		vx0_neigh_del(ctl->neigh, (uint16_t)nb->port, nb->family, nb->addr);
		json_array_append_new(nd, addr_json(nb->family, nb->addr));
	}
	for (unsigned int i = 0; i < d->n_neigh_add; i++) {
		const struct vx0_conf_neigh *nb = &n->neighbours[d->neigh_add[i]];

		if (vx0_ctl_neigh_static(ctl, nb) < 0)
			failed++;
		json_array_append_new(na, addr_json(nb->family, nb->addr));
	}
	/* BGP: new and changed peers come up; unchanged ones keep their
	 * session and take the new config's (equal) policies */
	if (bgp) {
		for (unsigned int i = 0; i < d->n_bgp_same; i++) {
			const struct vx0_conf_bgp_peer *cp = &n->bgp.peers[d->bgp_same_new[i]];
			int id = find_bgp(bgp, cp);

			if (id >= 0) {
				vx0_bgp_peer_set_policies(bgp, id, cp->import, cp->export);
				json_array_append_new(bs, addr_json(cp->family, cp->addr));
			} else if (vx0_ctl_ops_bgp_add(ctl, cp) >= 0) { /* removed at run time */
				json_array_append_new(ba, addr_json(cp->family, cp->addr));
			} else {
				failed++;
			}
		}
		for (unsigned int i = 0; i < d->n_bgp_chg; i++) {
			const struct vx0_conf_bgp_peer *cp = &n->bgp.peers[d->bgp_chg_new[i]];

			if (vx0_ctl_ops_bgp_add(ctl, cp) < 0)
				failed++;
			json_array_append_new(bc, addr_json(cp->family, cp->addr));
		}
		/* only policies changed: on the live session (export re-run, route
		 * refresh for import); a peer that cannot refresh is reset */
		for (unsigned int i = 0; i < d->n_bgp_pol; i++) {
			const struct vx0_conf_bgp_peer *cp = &n->bgp.peers[d->bgp_pol_new[i]];
			int id = find_bgp(bgp, cp), r = -ENOENT;

			if (id >= 0)
				r = vx0_bgp_peer_update_policies(bgp, id, cp->import, cp->export,
								 d->bgp_pol_import[i], ctl->now_ms);
			if (r >= 0) {
				json_array_append_new(bp, addr_json(cp->family, cp->addr));
				continue;
			}
			if (id >= 0)
				vx0_ctl_ops_bgp_remove(ctl, id);
			if (vx0_ctl_ops_bgp_add(ctl, cp) < 0)
				failed++;
			json_array_append_new(bc, addr_json(cp->family, cp->addr));
		}
		for (unsigned int i = 0; i < d->n_bgp_add; i++) {
			const struct vx0_conf_bgp_peer *cp = &n->bgp.peers[d->bgp_add[i]];

			if (vx0_ctl_ops_bgp_add(ctl, cp) < 0)
				failed++;
			json_array_append_new(ba, addr_json(cp->family, cp->addr));
		}
		for (unsigned int i = 0; i < d->n_orig_del; i++) {
			struct vx0_bgp_prefix p;

			to_bgp_prefix(&o->bgp.originate[d->orig_del[i]], &p);
			vx0_bgp_withdraw_local(bgp, &p);
			prefix_str(&o->bgp.originate[d->orig_del[i]], buf, sizeof(buf));
			json_array_append_new(od, json_string(buf));
		}
		for (unsigned int i = 0; i < d->n_orig_add; i++) {
			struct vx0_bgp_prefix p;

			to_bgp_prefix(&n->bgp.originate[d->orig_add[i]], &p);
			if (vx0_bgp_originate(bgp, &p) < 0)
				failed++;
			prefix_str(&n->bgp.originate[d->orig_add[i]], buf, sizeof(buf));
			json_array_append_new(oa, json_string(buf));
		}
		vx0_ctl_bgp_kick(ctl);
	}
	if (d->log_changed)
		reload_log(&o->log, &n->log);
	if (d->acl_changed && ctl->mgmt) {
		struct vx0_mgmt_access acc = { .mode = n->mgmt.mode, .owner = n->mgmt.owner,
					       .group = n->mgmt.group };

		memcpy(acc.uids, n->mgmt.allow_uids, sizeof(acc.uids));
		acc.n_uids = n->mgmt.n_allow_uids;
		memcpy(acc.gids, n->mgmt.allow_gids, sizeof(acc.gids));
		acc.n_gids = n->mgmt.n_allow_gids;
		vx0_mgmt_set_access(ctl->mgmt, &acc);
	}
	json_object_set_new(rep, "routes", json_pack("{so so}", "added", ra, "removed", rd));
	json_object_set_new(rep, "neighbours", json_pack("{so so}", "added", na, "removed", nd));
	json_object_set_new(rep, "bgp_peers", json_pack("{so so so so so}", "added", ba, "removed", bd,
						       "changed", bc, "policy", bp, "unchanged", bs));
	json_object_set_new(rep, "bgp_originate", json_pack("{so so}", "added", oa, "removed", od));
	json_object_set_new(rep, "log", json_boolean(d->log_changed));
	json_object_set_new(rep, "management", json_boolean(d->acl_changed));
	json_object_set_new(rep, "changes", json_integer(vx0_conf_diff_count(d)));
	if (failed)
		json_object_set_new(rep, "failed", json_integer(failed));
	return rep;
}

/* The new config becomes the running one in place (node->conf is the same
 * object). EAL arguments and SAs are equal (static) but may be referenced:
 * their old copies stay. */
static void
swap_conf(struct vx0_conf *running, struct vx0_conf *n)
{
	struct vx0_conf old = *running;
	struct vx0_conf_sa *sas = n->sas;
	char *eal[VX0_CONF_MAX_EAL_ARGS];

	memcpy(eal, n->eal_argv, sizeof(eal));
	*running = *n;
	memcpy(running->eal_argv, old.eal_argv, sizeof(eal));
	running->sas = old.sas;
	if (running->path[0] == '\0' || n->path[0] == '\0')
		memcpy(running->path, old.path, sizeof(old.path)); /* reloaded from text */
	/* what is left to free: the old routes, neighbours, policies; the new
	 * config's duplicate EAL arguments and SAs */
	memcpy(old.eal_argv, eal, sizeof(eal));
	old.sas = sas;
	vx0_conf_free(&old);
	memset(n, 0, sizeof(*n));
}

int
vx0_ctl_cmd_config_reload(json_t *args, json_t **result, char *err, size_t errlen, void *arg)
{
	struct vx0_node *node = arg;
	struct vx0_ctl *ctl = node->ctl;
	struct vx0_conf *n = calloc(1, sizeof(*n));
	struct vx0_conf_diff d;
	struct prep pr = { 0 };
	int rc;

	if (n == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if ((rc = load_arg(args, n, node->conf->path, err, errlen)) < 0) {
		free(n);
		goto out_count;
	}
	pthread_mutex_lock(&ctl->lock);
	rc = vx0_conf_diff(node->conf, n, &d, err, errlen);
	if (rc == 0)
		rc = ike_refused(&d, err, errlen);
	if (rc == 0)
		rc = bgp_check(ctl, n, &d, err, errlen);
	if (rc == 0)
		rc = prepare_routes(node, n, &d, &pr, err, errlen);
	if (rc == 0) {
		*result = apply(node, node->conf, n, &d, &pr);
		swap_conf(node->conf, n);
	}
	pthread_mutex_unlock(&ctl->lock);
	if (rc == 0)
		vx0_log(VX0_LOG_NOTICE, "mgmt", "config reloaded: %u change(s)",
			vx0_conf_diff_count(&d));
	vx0_conf_diff_free(&d);
	vx0_conf_free(n);
	free(n);
out_count:
	if (ctl->ops) {
		ctl->ops->reloads += rc == 0;
		ctl->ops->reload_errors += rc < 0;
	}
	if (rc < 0)
		vx0_log(VX0_LOG_WARNING, "mgmt", "config reload refused: %s", err);
	return rc;
}

int
vx0_ctl_cmd_mgmt_stats(json_t *args, json_t **result, char *err, size_t errlen, void *arg)
{
	struct vx0_node *node = arg;
	struct vx0_mgmt_stats st;
	int rc;

	if ((rc = vx0_ctl_args_only(args, (const char *const[]){ NULL }, err, errlen)) < 0)
		return rc;
	vx0_mgmt_get_stats(node->ctl->mgmt, &st);
	*result = json_pack("{sI sI sI sI sI sI sI}", "requests", (json_int_t)st.requests,
			    "errors", (json_int_t)st.errors, "refused", (json_int_t)st.refused,
			    "dropped_clients", (json_int_t)st.dropped_clients,
			    "clients", (json_int_t)st.clients,
			    "reloads", (json_int_t)(node->ctl->ops ? node->ctl->ops->reloads : 0),
			    "reload_errors",
			    (json_int_t)(node->ctl->ops ? node->ctl->ops->reload_errors : 0));
	return 0;
}

/* A request parsed as a config section: doc is a whole minimal config
 * (taken over), parsed by lib/conf so a request and a file fail alike. The
 * text handed to the parser may hold keys: wiped. On error err starts at
 * `field` ("sas[0].key: ...") when the message names it. */
int
vx0_ctl_parse_request(json_t *doc, const char *field, struct vx0_conf **out, char *err,
		      size_t errlen)
{
	char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	char cerr[256];
	struct vx0_conf *c;
	int rc;

	json_decref(doc);
	if (text == NULL || (c = calloc(1, sizeof(*c))) == NULL) {
		free(text);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	rc = vx0_conf_load_string(text, strlen(text), "request", c, cerr, sizeof(cerr));
	sodium_memzero(text, strlen(text));
	free(text);
	if (rc < 0) {
		const char *f = strstr(cerr, field);

		snprintf(err, errlen, "%s", f ? f : cerr);
		free(c);
		return rc;
	}
	*out = c;
	return 0;
}

int
vx0_ctl_mgmt_register_ops(struct vx0_ctl *ctl)
{
	static const struct {
		const char *name, *help;
		vx0_ctl_cmd fn;
	} cmds[] = {
		{ "config.check", "{path | text}: validate a config (dry run); would it reload?",
		  vx0_ctl_cmd_config_check },
		{ "config.reload", "[{path | text}]: apply what changed in the config (default: "
		  "vx0d's file); static changes are refused", vx0_ctl_cmd_config_reload },
		{ "mgmt.stats", "the management socket's counters (requests, errors, refused)",
		  vx0_ctl_cmd_mgmt_stats },
		{ "log.level", "{[level][, lib]}: set the level (of all, or one library); "
		  "without level: show it", vx0_ctl_cmd_log_level },
		{ "log.format", "{[format: text|json]}: the log lines' format", vx0_ctl_cmd_log_format },
		{ "bgp.peers", "BGP peers: state, uptime, prefixes", vx0_ctl_cmd_bgp_peers },
		{ "bgp.neighbors", "BGP peers (same as bgp.peers)", vx0_ctl_cmd_bgp_peers },
		{ "bgp.peer.add", "{address, as, ...}: a peer as in the config's bgp.peers",
		  vx0_ctl_cmd_bgp_peer_add },
		{ "bgp.peer.remove", "{peer}: Cease / De-configured, routes withdrawn",
		  vx0_ctl_cmd_bgp_peer_remove },
		{ "bgp.peer.reset", "{peer[, soft][, message]}: hard (Cease, restart) or soft "
		  "(route refresh) reset", vx0_ctl_cmd_bgp_peer_reset },
		{ "ike.peers", "IKE peers and their IKE SA state", vx0_ctl_cmd_ike_peers },
		{ "ike.initiate", "{peer}: start IKE with a peer (name or address)",
		  vx0_ctl_cmd_ike_initiate },
		{ "ike.terminate", "{peer}: delete the peer's IKE SA and CHILD_SAs",
		  vx0_ctl_cmd_ike_terminate },
		{ "sa.list", "ESP SAs: SPI, direction, owner, counters (never keys)",
		  vx0_ctl_cmd_sa_list },
		{ "sa.add", "{spi, direction, alg, key, local, remote, ...}: an SA as in the "
		  "config's sas", vx0_ctl_cmd_sa_add },
		{ "sa.del", "{spi, direction}: delete a static SA (no route may lead into it)",
		  vx0_ctl_cmd_sa_del },
		{ "port.list", "ports: admin state, link, counters", vx0_ctl_cmd_port_list },
		{ "port.set", "{port, up: bool}: take a port down (no RX, no TX) or up",
		  vx0_ctl_cmd_port_set },
	};
	static const char *const none[] = { NULL }, *const prefix[] = { "prefix", NULL },
		*const route_add[] = { "prefix", "via", "drop", "sa", NULL },
		*const neigh_add[] = { "port", "address", "mac", NULL },
		*const neigh_del[] = { "port", "address", NULL },
		*const peer_msg[] = { "peer", "message", NULL };
	static const struct {
		const char *name;
		const char *const *args;
	} known[] = {
		{ "version", none }, { "stats", none }, { "route.add", route_add },
		{ "route.del", prefix }, { "route.get", prefix }, { "neigh.add", neigh_add },
		{ "neigh.del", neigh_del }, { "bgp.shutdown", peer_msg }, { "bgp.start", peer_msg },
		{ "capture.stop", none }, { "capture.status", none },
	};
	const struct vx0_conf_mgmt *cm = &ctl->node->conf->mgmt;
	struct vx0_mgmt_access acc = { .mode = cm->mode, .owner = cm->owner, .group = cm->group };
	int rc;

	if (ctl->ops == NULL && (ctl->ops = calloc(1, sizeof(*ctl->ops))) == NULL)
		return -ENOMEM;
	memcpy(acc.uids, cm->allow_uids, sizeof(acc.uids));
	acc.n_uids = cm->n_allow_uids;
	memcpy(acc.gids, cm->allow_gids, sizeof(acc.gids));
	acc.n_gids = cm->n_allow_gids;
	if ((rc = vx0_mgmt_set_access(ctl->mgmt, &acc)) < 0)
		return rc;
	for (unsigned int i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if ((rc = vx0_mgmt_register(ctl->mgmt, cmds[i].name, cmds[i].help, cmds[i].fn,
					    ctl->node)) < 0)
			return rc;
	/* ctl_mgmt.c's commands: unknown arguments are refused, naming them */
	for (unsigned int i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		vx0_mgmt_set_args(ctl->mgmt, known[i].name, known[i].args);
	return 0;
}

void
vx0_ctl_mgmt_unregister_ops(struct vx0_ctl *ctl)
{
	if (ctl->ops == NULL)
		return;
	for (int i = 0; i < VX0_BGP_MAX_PEERS; i++)
		if (ctl->ops->runtime_peer[i]) {
			vx0_conf_free(ctl->ops->runtime_peer[i]);
			free(ctl->ops->runtime_peer[i]);
		}
	free(ctl->ops);
	ctl->ops = NULL;
}

void
vx0_ctl_mgmt_metrics(struct vx0_ctl *ctl, struct vx0_metrics_writer *w)
{
	struct vx0_node *node = ctl->node;
	struct vx0_mgmt_stats st = { 0 };

	if (ctl->mgmt) {
		vx0_mgmt_get_stats(ctl->mgmt, &st);
		vx0_metrics_family(w, "vx0_mgmt_requests_total", "counter",
				   "Management socket requests.");
		vx0_metrics_sample_u64(w, "vx0_mgmt_requests_total", st.requests, NULL);
		vx0_metrics_family(w, "vx0_mgmt_errors_total", "counter",
				   "Management socket requests answered with an error.");
		vx0_metrics_sample_u64(w, "vx0_mgmt_errors_total", st.errors, NULL);
		vx0_metrics_family(w, "vx0_mgmt_refused_clients_total", "counter",
				   "Management socket clients refused by their credentials.");
		vx0_metrics_sample_u64(w, "vx0_mgmt_refused_clients_total", st.refused, NULL);
	}
	if (ctl->ops) {
		vx0_metrics_family(w, "vx0_config_reloads_total", "counter",
				   "config.reload requests by result.");
		vx0_metrics_sample_u64(w, "vx0_config_reloads_total", ctl->ops->reloads, "result",
				       "applied", NULL);
		vx0_metrics_sample_u64(w, "vx0_config_reloads_total", ctl->ops->reload_errors,
				       "result", "refused", NULL);
	}
	vx0_metrics_family(w, "vx0_port_admin_up", "gauge",
			   "1 unless the port was set down (port.set).");
	for (unsigned int i = 0; i < node->n_ports; i++)
		vx0_metrics_sample_u64(w, "vx0_port_admin_up",
				       !__atomic_load_n(&node->ports[i].admin_down, __ATOMIC_RELAXED),
				       "port", node->ports[i].name, NULL);
}
