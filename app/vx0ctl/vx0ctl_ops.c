/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Operator commands over the management socket, with tables by default
 * and the reply as JSON with --json:
 *   check FILE | reload [FILE] | port list | port up|down NAME
 *   bgp peers | bgp add ADDRESS AS [JSON] | bgp remove PEER
 *   bgp reset PEER [soft] | bgp shutdown PEER [MESSAGE] | bgp start PEER
 *   ike peers | ike initiate PEER | ike terminate PEER
 *   log level [LEVEL [LIB]] | log format [text|json]
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vx0ctl.h"

/* A file argument as the absolute path vx0d needs (it has another cwd). */
static int
abs_path(const char *f, char *buf, size_t n)
{
	char r[PATH_MAX];

	if (realpath(f, r) == NULL) {
		fprintf(stderr, "vx0ctl: %s: no such file\n", f);
		return -1;
	}
	snprintf(buf, n, "%s", r);
	return 0;
}

static void
cell(json_t *o, const char *k, char *buf, size_t n)
{
	vx0ctl_cell(json_object_get(o, k), buf, n);
}

/* rows of objects -> a table of the given keys */
static int
print_rows(const char *cmd, json_t *rows, unsigned int ncol, const char *const *keys,
	   const char *const *hdr)
{
	struct vx0ctl_table *t;
	size_t i;
	json_t *r;

	if (!json_is_array(rows))
		return vx0ctl_bad(cmd, "no list in the reply");
	t = vx0ctl_table_new(ncol, hdr);
	json_array_foreach(rows, i, r) {
		char cells[12][128];
		const char *row[12];

		for (unsigned int k = 0; k < ncol && k < 12; k++) {
			cell(r, keys[k], cells[k], sizeof(cells[k]));
			row[k] = cells[k];
		}
		vx0ctl_table_add(t, row);
	}
	vx0ctl_table_print(t);
	vx0ctl_table_free(t);
	return VX0CTL_OK;
}

static int
call_rows(struct vx0ctl *c, const char *cmd, json_t *args, const char *member, unsigned int ncol,
	  const char *const *keys, const char *const *hdr)
{
	json_t *res = NULL;
	int rc = vx0ctl_mgmt_call(c, cmd, args, &res);

	json_decref(args);
	if (rc != VX0CTL_OK)
		return rc;
	if (c->json)
		vx0ctl_print_json(res);
	else
		rc = print_rows(cmd, json_object_get(res, member), ncol, keys, hdr);
	json_decref(res);
	return rc;
}

static void
join(json_t *a, char *buf, size_t n)
{
	size_t i, l = 0;
	json_t *v;

	buf[0] = 0;
	json_array_foreach(a, i, v) {
		if (l + 2 >= n)
			break;
		l += (size_t)snprintf(buf + l, n - l, "%s%s", i ? " " : "",
				      json_is_string(v) ? json_string_value(v) : "?");
	}
	if (buf[0] == 0)
		snprintf(buf, n, "-");
}

/* config.reload's report: one row per kind of change */
static int
print_reload(json_t *res)
{
	static const char *const hdr[4] = { "", "added", "removed", "changed" };
	static const char *const kinds[] = { "routes", "neighbours", "bgp_peers", "bgp_originate" };
	struct vx0ctl_table *t = vx0ctl_table_new(4, hdr);
	char a[512], r[512], ch[512];

	for (unsigned int i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		json_t *o = json_object_get(res, kinds[i]);
		const char *row[4] = { kinds[i], a, r, ch };

		join(json_object_get(o, "added"), a, sizeof(a));
		join(json_object_get(o, "removed"), r, sizeof(r));
		join(json_object_get(o, "changed"), ch, sizeof(ch));
		vx0ctl_table_add(t, row);
	}
	vx0ctl_table_print(t);
	vx0ctl_table_free(t);
	printf("log settings %s, management access %s; %lld change(s)\n",
	       json_is_true(json_object_get(res, "log")) ? "changed" : "unchanged",
	       json_is_true(json_object_get(res, "management")) ? "changed" : "unchanged",
	       (long long)json_integer_value(json_object_get(res, "changes")));
	if (json_object_get(res, "failed"))
		printf("%lld change(s) could not be applied (see vx0d's log)\n",
		       (long long)json_integer_value(json_object_get(res, "failed")));
	return VX0CTL_OK;
}

static int
reload(struct vx0ctl *c, int argc, char **argv)
{
	char p[PATH_MAX];
	json_t *args = json_object(), *res = NULL;
	int rc;

	if (argc == 2) {
		if (abs_path(argv[1], p, sizeof(p)) < 0) {
			json_decref(args);
			return VX0CTL_USAGE;
		}
		json_object_set_new(args, "path", json_string(p));
	}
	rc = vx0ctl_mgmt_call(c, "config.reload", args, &res);
	json_decref(args);
	if (rc != VX0CTL_OK)
		return rc;
	if (c->json)
		vx0ctl_print_json(res);
	else
		rc = print_reload(res);
	json_decref(res);
	return rc;
}

static int
usage(void)
{
	fprintf(stderr, "vx0ctl: check FILE | reload [FILE] | port list | port up|down NAME | "
		"bgp peers | bgp add ADDRESS AS [JSON] | bgp remove|start PEER | "
		"bgp reset PEER [soft] | bgp shutdown PEER [MESSAGE] | ike peers | "
		"ike initiate|terminate PEER | log level [LEVEL [LIB]] | log format [text|json]\n");
	return VX0CTL_USAGE;
}

static int
bgp(struct vx0ctl *c, int argc, char **argv)
{
	static const char *const keys[] = { "peer", "name", "remote_as", "state", "uptime_s",
					    "received", "accepted", "advertised", "last_error" };
	static const char *const hdr[] = { "peer", "name", "as", "state", "up(s)", "received",
					   "accepted", "advertised", "last error" };
	const char *op = argc >= 2 ? argv[1] : "";

	if ((strcmp(op, "peers") == 0 || strcmp(op, "neighbors") == 0) && argc == 2)
		return call_rows(c, "bgp.peers", json_object(), "peers", 9, keys, hdr);
	if (strcmp(op, "add") == 0 && (argc == 4 || argc == 5)) {
		json_t *o = argc == 5 ? json_loads(argv[4], 0, NULL) : json_object();
		unsigned long long as;

		if (!json_is_object(o) || vx0ctl_parse_u64(argv[3], UINT32_MAX, &as) < 0) {
			json_decref(o);
			fprintf(stderr, "vx0ctl: bgp add ADDRESS AS [JSON]: AS a number, JSON an object "
				"of more peer settings (as in the config's bgp.peers)\n");
			return VX0CTL_USAGE;
		}
		json_object_set_new(o, "address", json_string(argv[2]));
		json_object_set_new(o, "as", json_integer((json_int_t)as));
		return vx0ctl_call_print(c, "bgp.peer.add", o);
	}
	if ((strcmp(op, "remove") == 0 || strcmp(op, "start") == 0) && argc == 3)
		return vx0ctl_call_print(c, op[0] == 'r' ? "bgp.peer.remove" : "bgp.start",
					 json_pack("{ss}", "peer", argv[2]));
	if (strcmp(op, "reset") == 0 && (argc == 3 || (argc == 4 && strcmp(argv[3], "soft") == 0)))
		return vx0ctl_call_print(c, "bgp.peer.reset", json_pack("{ss sb}", "peer", argv[2],
									 "soft", argc == 4));
	if (strcmp(op, "shutdown") == 0 && (argc == 3 || argc == 4))
		return vx0ctl_call_print(c, "bgp.shutdown", argc == 4 ?
					 json_pack("{ss ss}", "peer", argv[2], "message", argv[3]) :
					 json_pack("{ss}", "peer", argv[2]));
	return usage();
}

static int
ike(struct vx0ctl *c, int argc, char **argv)
{
	static const char *const keys[] = { "name", "address", "auth", "initiate", "established",
					    "ike_spis" };
	static const char *const hdr[] = { "name", "address", "auth", "initiate", "established",
					   "IKE SPIs (i/r)" };
	const char *op = argc >= 2 ? argv[1] : "";

	if (strcmp(op, "peers") == 0 && argc == 2)
		return call_rows(c, "ike.peers", json_object(), "peers", 6, keys, hdr);
	if ((strcmp(op, "initiate") == 0 || strcmp(op, "terminate") == 0) && argc == 3)
		return vx0ctl_call_print(c, op[0] == 'i' ? "ike.initiate" : "ike.terminate",
					 json_pack("{ss}", "peer", argv[2]));
	return usage();
}

static int
port(struct vx0ctl *c, int argc, char **argv)
{
	static const char *const keys[] = { "name", "admin_up", "link", "mtu", "mac", "rx", "tx",
					    "tx_dropped" };
	static const char *const hdr[] = { "port", "admin up", "link", "mtu", "mac", "rx", "tx",
					   "tx dropped" };
	const char *op = argc >= 2 ? argv[1] : "";

	if (strcmp(op, "list") == 0 && argc == 2)
		return call_rows(c, "port.list", json_object(), "ports", 8, keys, hdr);
	if ((strcmp(op, "up") == 0 || strcmp(op, "down") == 0) && argc == 3)
		return vx0ctl_call_print(c, "port.set", json_pack("{ss sb}", "port", argv[2], "up",
								  op[0] == 'u'));
	return usage();
}

static int
logcmd(struct vx0ctl *c, int argc, char **argv)
{
	const char *op = argc >= 2 ? argv[1] : "";

	if (strcmp(op, "level") == 0 && argc <= 4) {
		json_t *a = json_object();

		if (argc >= 3)
			json_object_set_new(a, "level", json_string(argv[2]));
		if (argc == 4)
			json_object_set_new(a, "lib", json_string(argv[3]));
		return vx0ctl_call_print(c, "log.level", a);
	}
	if (strcmp(op, "format") == 0 && argc <= 3)
		return vx0ctl_call_print(c, "log.format", argc == 3 ?
					 json_pack("{ss}", "format", argv[2]) : json_object());
	return usage();
}

int
vx0ctl_ops(struct vx0ctl *c, int argc, char **argv)
{
	char p[PATH_MAX];

	if (strcmp(argv[0], "check") == 0) {
		if (argc != 2)
			return usage();
		if (abs_path(argv[1], p, sizeof(p)) < 0)
			return VX0CTL_USAGE;
		return vx0ctl_call_print(c, "config.check", json_pack("{ss}", "path", p));
	}
	if (strcmp(argv[0], "reload") == 0)
		return argc <= 2 ? reload(c, argc, argv) : usage();
	if (strcmp(argv[0], "port") == 0)
		return port(c, argc, argv);
	if (strcmp(argv[0], "bgp") == 0)
		return bgp(c, argc, argv);
	if (strcmp(argv[0], "ike") == 0)
		return ike(c, argc, argv);
	if (strcmp(argv[0], "log") == 0)
		return logcmd(c, argc, argv);
	return -1;
}
