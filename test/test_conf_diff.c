/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * config.reload's diff (lib/conf/conf_diff.c): the dynamic parts become
 * additions and removals, unchanged BGP peers are recognised as such (so
 * their sessions stay up), and any static change is refused naming the field.
 * Also the "management" and "log" sections' parsing and errors.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vx0_conf.h"
#include "vx0_conf_diff.h"
#include "vx0_log.h"
#include "vx0_test.h"

/* %s slots: port device, routes, bgp peers, originate, log, management */
static const char tmpl[] =
"{\n"
"  \"lcores\": [{\"id\": 0, \"roles\": [\"ctl\", \"rx\", \"tx\"]}],\n"
"  \"ports\": [{\"name\": \"p\", \"device\": \"%s\", \"addresses\": [\"198.51.100.1/24\"]}],\n"
"  \"routes\": [%s],\n"
"  \"neighbours\": [{\"port\": \"p\", \"address\": \"198.51.100.2\", \"mac\": \"02:00:00:00:00:02\"}],\n"
"  \"bgp\": {\"as\": 65001, \"router_id\": \"198.51.100.1\",\n"
"          \"peers\": [%s], \"originate\": [%s]},\n"
"  \"log\": %s,\n"
"  \"management\": %s\n"
"}\n";

#define DEV "net_null0"
#define ROUTES "{\"prefix\": \"203.0.113.0/24\", \"via\": \"198.51.100.2\"}, " \
	       "{\"prefix\": \"2001:db8:1::/48\", \"drop\": true}"
#define PEER_A "{\"address\": \"198.51.100.2\", \"as\": 65002}"
#define PEER_B "{\"address\": \"198.51.100.3\", \"as\": 65003, \"import\": {\"default\": \"accept\", " \
	       "\"terms\": [{\"prefixes\": [\"203.0.113.0/24 le 32\"], \"action\": \"reject\"}]}}"
#define ORIG "\"203.0.113.0/25\""
#define LOG "{\"level\": \"notice\"}"
#define MGMT "{\"mode\": \"0600\"}"

static int
load(struct vx0_conf *c, char *err, size_t errlen, const char *dev, const char *routes,
     const char *peers, const char *orig, const char *log, const char *mgmt)
{
	char text[4096];
	int n = snprintf(text, sizeof(text), tmpl, dev, routes, peers, orig, log, mgmt);

	return vx0_conf_load_string(text, (size_t)n, "t.json", c, err, errlen);
}

static struct vx0_conf base;

static void
test_identical(void)
{
	struct vx0_conf c;
	struct vx0_conf_diff d;
	char err[256];

	CHECK_EQ(load(&c, err, sizeof(err), DEV, ROUTES, PEER_A ", " PEER_B, ORIG, LOG, MGMT), 0);
	CHECK_EQ(vx0_conf_diff(&base, &c, &d, err, sizeof(err)), 0);
	CHECK_EQ(vx0_conf_diff_count(&d), 0);
	/* both peers unchanged, paired old -> new (policies compared by content) */
	CHECK_EQ(d.n_bgp_same, 2);
	CHECK(base.bgp.peers[1].import != c.bgp.peers[1].import);
	CHECK(vx0_conf_policy_equal(base.bgp.peers[1].import, c.bgp.peers[1].import));
	vx0_conf_diff_free(&d);
	vx0_conf_free(&c);
}

static void
test_dynamic_changes(void)
{
	struct vx0_conf c;
	struct vx0_conf_diff d;
	char err[256];

	/* one route replaced (same prefix, new next hop), one gone, one new; peer
	 * B's policy changed, peer A unchanged, peer C new; originate swapped;
	 * log format changed */
	CHECK_EQ(load(&c, err, sizeof(err), DEV,
		      "{\"prefix\": \"203.0.113.0/24\", \"via\": \"198.51.100.9\"}, "
		      "{\"prefix\": \"203.0.113.128/25\", \"drop\": true}",
		      PEER_A ", {\"address\": \"198.51.100.3\", \"as\": 65003, \"import\": "
		      "{\"default\": \"accept\", \"terms\": [{\"prefixes\": [\"203.0.113.0/24 le 30\"], "
		      "\"action\": \"reject\"}]}}, {\"address\": \"198.51.100.4\", \"as\": 65004}",
		      "\"203.0.113.128/25\"", "{\"level\": \"notice\", \"format\": \"json\"}", MGMT),
		 0);
	CHECK_EQ(vx0_conf_diff(&base, &c, &d, err, sizeof(err)), 0);
	CHECK_EQ(d.n_route_del, 1);
	CHECK_EQ(d.route_del[0], 1); /* 2001:db8:1::/48 */
	CHECK_EQ(d.n_route_add, 2);
	CHECK_EQ(d.route_add[0], 0);
	CHECK_EQ(d.route_add[1], 1);
	CHECK_EQ(d.n_neigh_add + d.n_neigh_del, 0);
	CHECK_EQ(d.n_bgp_same, 1);
	CHECK_EQ(d.bgp_same_old[0], 0);
	/* only B's import policy changed: applied on its session */
	CHECK_EQ(d.n_bgp_chg, 0);
	CHECK_EQ(d.n_bgp_pol, 1);
	CHECK_EQ(d.bgp_pol_old[0], 1);
	CHECK_EQ(d.bgp_pol_new[0], 1);
	CHECK(d.bgp_pol_import[0]);
	CHECK_EQ(d.n_bgp_add, 1);
	CHECK_EQ(d.bgp_add[0], 2);
	CHECK_EQ(d.n_bgp_del, 0);
	CHECK_EQ(d.n_orig_add, 1);
	CHECK_EQ(d.n_orig_del, 1);
	CHECK(d.log_changed);
	CHECK(!d.acl_changed);
	CHECK_EQ(vx0_conf_diff_count(&d), 8);
	vx0_conf_diff_free(&d);
	vx0_conf_free(&c);
	/* a peer's AS changed: removed and added again */
	CHECK_EQ(load(&c, err, sizeof(err), DEV, ROUTES,
		      PEER_A ", {\"address\": \"198.51.100.3\", \"as\": 65033}", ORIG, LOG, MGMT), 0);
	CHECK_EQ(vx0_conf_diff(&base, &c, &d, err, sizeof(err)), 0);
	CHECK_EQ(d.n_bgp_chg, 1);
	CHECK_EQ(d.bgp_chg_old[0], 1);
	CHECK_EQ(d.n_bgp_pol, 0);
	vx0_conf_diff_free(&d);
	vx0_conf_free(&c);
	/* a peer removed */
	CHECK_EQ(load(&c, err, sizeof(err), DEV, ROUTES, PEER_B, ORIG, LOG, MGMT), 0);
	CHECK_EQ(vx0_conf_diff(&base, &c, &d, err, sizeof(err)), 0);
	CHECK_EQ(d.n_bgp_del, 1);
	CHECK_EQ(d.bgp_del[0], 0);
	CHECK_EQ(d.n_bgp_same, 1);
	CHECK_EQ(d.bgp_same_old[0], 1);
	CHECK_EQ(d.bgp_same_new[0], 0);
	CHECK_EQ(vx0_conf_diff_count(&d), 1);
	vx0_conf_diff_free(&d);
	vx0_conf_free(&c);
	/* the management allow-list is dynamic */
	CHECK_EQ(load(&c, err, sizeof(err), DEV, ROUTES, PEER_A ", " PEER_B, ORIG, LOG,
		      "{\"mode\": \"0600\", \"allow_uids\": [4242]}"), 0);
	CHECK_EQ(vx0_conf_diff(&base, &c, &d, err, sizeof(err)), 0);
	CHECK(d.acl_changed);
	vx0_conf_diff_free(&d);
	vx0_conf_free(&c);
}

/* the onion relay is wired into the data plane at start: any change refused */
static void
test_onion_refused(void)
{
	static const char fmt[] =
	"{\"lcores\": [{\"id\": 0, \"roles\": [\"ctl\", \"rx\", \"tx\", \"onion\"]}],\n"
	" \"ports\": [{\"name\": \"p\", \"device\": \"net_null0\", \"addresses\": [\"198.51.100.1/24\"]}],\n"
	" \"onion\": {\"address\": \"198.51.100.1\", \"port\": %u,\n"
	"   \"identity_key_file\": \"/k/id\", \"onion_key_file\": \"/k/onion\"}}\n";
	struct vx0_conf a, b;
	struct vx0_conf_diff d;
	char text[1024], err[256];
	int n;

	n = snprintf(text, sizeof(text), fmt, 7150u);
	CHECK_EQ(vx0_conf_load_string(text, (size_t)n, "a.json", &a, err, sizeof(err)), 0);
	n = snprintf(text, sizeof(text), fmt, 7150u);
	CHECK_EQ(vx0_conf_load_string(text, (size_t)n, "b.json", &b, err, sizeof(err)), 0);
	CHECK_EQ(vx0_conf_diff(&a, &b, &d, err, sizeof(err)), 0);
	CHECK_EQ(vx0_conf_diff_count(&d), 0);
	vx0_conf_diff_free(&d);
	vx0_conf_free(&b);
	n = snprintf(text, sizeof(text), fmt, 7151u);
	CHECK_EQ(vx0_conf_load_string(text, (size_t)n, "b.json", &b, err, sizeof(err)), 0);
	CHECK_EQ(vx0_conf_diff(&a, &b, &d, err, sizeof(err)), -EPERM);
	CHECK(strstr(err, "onion") != NULL);
	CHECK_EQ(vx0_conf_diff_count(&d), 0);
	vx0_conf_free(&b);
	vx0_conf_free(&a);
}

static void
test_static_refused(void)
{
	static const struct {
		const char *dev, *mgmt, *field;
	} cases[] = {
		{ "net_null1", MGMT, "ports[0].device: changes need a restart" },
		{ DEV, "{\"mode\": \"0660\"}", "management.mode: changes need a restart" },
		{ DEV, "{\"mode\": \"0600\", \"socket\": \"/tmp/x.sock\"}", "management.socket:" },
	};
	struct vx0_conf c;
	struct vx0_conf_diff d;
	char err[256];

	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK_EQ(load(&c, err, sizeof(err), cases[i].dev, ROUTES, PEER_A, ORIG, LOG,
			      cases[i].mgmt), 0);
		CHECK_EQ(vx0_conf_diff(&base, &c, &d, err, sizeof(err)), -EPERM);
		CHECK(strstr(err, cases[i].field) != NULL);
		CHECK_EQ(vx0_conf_diff_count(&d), 0);
		vx0_conf_free(&c);
	}
}

static void
test_sections(void)
{
	static const struct {
		const char *log, *mgmt, *expect;
	} bad[] = {
		{ "{\"level\": \"loud\"}", MGMT, "t.json:8: log.level: must be err" },
		{ "{\"format\": \"xml\"}", MGMT, "log.format: must be \"text\" or \"json\"" },
		{ "{\"libs\": {\"bgp\": 3}}", MGMT, "log.libs.bgp: must be err" },
		{ "{\"libs\": {\"B G P\": \"info\"}}", MGMT, "log.libs.B G P: a library name" },
		{ "{\"colour\": 1}", MGMT, "log.colour: unknown field" },
		{ LOG, "{\"mode\": \"0777\"}", "management.mode: must be an octal string" },
		{ LOG, "{\"mode\": \"0400\"}", "management.mode: must be an octal string" },
		{ LOG, "{\"mode\": 384}", "management.mode: must be an octal string" },
		{ LOG, "{\"owner\": \"no-such-user-vx0\"}", "management.owner: no user \"no-such-user-vx0\"" },
		{ LOG, "{\"group\": -1}", "management.group: must be a group name or number" },
		{ LOG, "{\"allow_uids\": 5}", "management.allow_uids: must be an array" },
		{ LOG, "{\"allow_gids\": [\"no-such-group-vx0\"]}",
		  "management.allow_gids[0]: no group \"no-such-group-vx0\"" },
		{ LOG, "{\"socket\": \"relative.sock\"}", "management.socket: \"socket\" must be an absolute" },
	};
	struct vx0_conf c;
	char err[256];

	CHECK_EQ(load(&c, err, sizeof(err), DEV, ROUTES, PEER_A, ORIG,
		      "{\"level\": \"info\", \"format\": \"json\", \"libs\": {\"bgp\": \"debug\"}}",
		      "{\"socket\": \"/tmp/t.sock\", \"mode\": \"0660\", \"owner\": \"root\", "
		      "\"group\": 0, \"allow_uids\": [65534, \"root\"], \"allow_gids\": [\"root\"]}"), 0);
	CHECK_EQ(c.log.level, VX0_LOG_INFO);
	CHECK(c.log.json);
	CHECK_EQ(c.log.n_libs, 1);
	CHECK(strcmp(c.log.libs[0].lib, "bgp") == 0 && c.log.libs[0].level == VX0_LOG_DEBUG);
	CHECK_EQ(c.mgmt.mode, 0660);
	CHECK_EQ(c.mgmt.owner, 0);
	CHECK_EQ(c.mgmt.group, 0);
	CHECK_EQ(c.mgmt.n_allow_uids, 2);
	CHECK_EQ(c.mgmt.allow_uids[0], 65534);
	CHECK_EQ(c.mgmt.allow_uids[1], 0);
	CHECK_EQ(c.mgmt.n_allow_gids, 1);
	CHECK(strcmp(c.mgmt_socket, "/tmp/t.sock") == 0);
	vx0_conf_free(&c);
	/* defaults */
	CHECK_EQ(base.mgmt.mode, 0600);
	CHECK_EQ(base.mgmt.owner, -1);
	CHECK(!base.log.json);
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = load(&c, err, sizeof(err), DEV, ROUTES, PEER_A, ORIG, bad[i].log, bad[i].mgmt);

		CHECK_EQ(rc, -EINVAL);
		if (rc == 0)
			vx0_conf_free(&c);
		else if (strstr(err, bad[i].expect) == NULL)
			fprintf(stderr, "# case %u: got \"%s\"\n", i, err);
		CHECK(rc < 0 && strstr(err, bad[i].expect) != NULL);
	}
	CHECK_EQ(vx0_conf_log_level("debug"), VX0_LOG_DEBUG);
	CHECK_EQ(vx0_conf_log_level("verbose"), -EINVAL);
	CHECK(strcmp(vx0_conf_log_level_name(VX0_LOG_ERR), "err") == 0);
	CHECK(vx0_conf_log_level_name(3) == NULL);
}

int
main(void)
{
	char err[256];

	if (load(&base, err, sizeof(err), DEV, ROUTES, PEER_A ", " PEER_B, ORIG, LOG, MGMT) < 0) {
		fprintf(stderr, "base config: %s\n", err);
		return 1;
	}
	VX0_RUN(test_identical);
	VX0_RUN(test_dynamic_changes);
	VX0_RUN(test_static_refused);
	VX0_RUN(test_onion_refused);
	VX0_RUN(test_sections);
	vx0_conf_free(&base);
	return vx0_test_done();
}
