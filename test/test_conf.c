/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <arpa/inet.h>

#include "vx0_conf.h"
#include "vx0_test.h"

static const char good[] =
"{\n"
"  \"profile\": \"performance\",\n"
"  \"lcores\": [ {\"id\": 0, \"roles\": [\"ctl\"]},\n"
"              {\"id\": 1, \"roles\": [\"rx\", \"tx\"]} ],\n"
"  \"ports\": [\n"
"    {\"name\": \"wan\", \"device\": \"net_af_packet0,iface=v0\", \"mac\": \"02:00:00:00:00:01\",\n"
"     \"addresses\": [\"198.51.100.1/24\", \"2001:db8:a::1/64\"]},\n"
"    {\"name\": \"lan\", \"device\": \"net_null0\", \"mtu\": 9000,\n"
"     \"addresses\": [\"203.0.113.1/25\"]} ],\n"
"  \"routes\": [ {\"prefix\": \"203.0.113.128/26\", \"via\": \"203.0.113.2\"},\n"
"              {\"prefix\": \"2001:db8:100::/48\", \"drop\": true} ],\n"
"  \"neighbours\": [ {\"port\": \"lan\", \"address\": \"203.0.113.2\", \"mac\": \"02:00:00:00:02:02\"} ]\n"
"}\n";

static void
test_good_config(void)
{
	struct vx0_conf c;
	char err[256];

	CHECK_EQ(vx0_conf_load_string(good, sizeof(good) - 1, "good.json", &c, err, sizeof(err)), 0);
	CHECK_EQ(c.profile, VX0_PROFILE_PERF);
	CHECK_EQ(c.n_lcores, 2);
	CHECK_EQ(c.lcores[1].roles, VX0_ROLE_RX | VX0_ROLE_TX);
	CHECK_EQ(c.n_ports, 2);
	CHECK(strcmp(c.ports[0].name, "wan") == 0);
	CHECK(c.ports[0].has_mac && c.ports[0].mac[5] == 1);
	CHECK_EQ(c.ports[1].mtu, 9000);
	CHECK_EQ(c.ports[0].n_addrs, 2);
	CHECK_EQ(c.ports[0].addrs[1].family, AF_INET6);
	CHECK_EQ(c.n_routes, 2);
	CHECK_EQ(c.routes[0].port, 1); /* found from lan's connected /25 */
	CHECK_EQ(c.routes[1].type, VX0_ROUTE_DROP);
	CHECK_EQ(c.n_neighbours, 1);
	CHECK_EQ(c.ring_size, 1024);   /* defaults */
	CHECK(c.punt_tap);
	vx0_conf_free(&c);
}

struct bad_case {
	const char *json;
	const char *expect; /* substring of the error: file:line: field: ... */
};

#define LC "\"lcores\": [{\"id\": 0, \"roles\": [\"ctl\", \"rx\", \"tx\"]}]"
#define LCO "\"lcores\": [{\"id\": 0, \"roles\": [\"ctl\", \"rx\", \"tx\", \"onion\"]}]"
#define OKEYS "\"identity_key_file\": \"/k/id\", \"onion_key_file\": \"/k/onion\""
#define PORT "\"ports\": [{\"name\": \"p\", \"device\": \"net_null0\", \"addresses\": [\"198.51.100.1/24\"]}]"

static const struct bad_case bad[] = {
	{ "{", "bad.json:1:" },
	{ "[]", "(top level): the configuration must be a JSON object" },
	{ "{" PORT "}", "missing \"lcores\"" },
	{ "{" LC "}", "missing \"ports\"" },
	{ "{" LC ",\n" PORT ",\n\"colour\": 1}", "bad.json:3: colour: unknown field" },
	{ "{" LC ",\n" PORT ",\n\"routes\": [{\"prefix\": \"203.0.113.0/24\",\n \"via\": \"2001:db8::1\"}]}",
	  "bad.json:4: routes[0].via: gateway family differs" },
	{ "{" LC ",\n" PORT ",\n\"routes\": [{\"prefix\": \"203.0.113.0/33\", \"via\": \"198.51.100.2\"}]}",
	  "bad.json:3: routes[0].prefix:" },
	{ "{" LC ",\n" PORT ",\n\"routes\": [{\"prefix\": \"203.0.113.0/24\", \"via\": \"203.0.113.9\"}]}",
	  "routes[0].via: gateway is on no port's subnet" },
	{ "{" LC ",\n\"ports\": [{\"name\": \"p\",\n \"device\": \"net_null0\", \"mac\": \"01:00:00:00:00:01\"}]}",
	  "bad.json:3: ports[0].mac: must be a unicast MAC address" },
	{ "{" LC ",\n\"ports\": [{\"name\": \"this-is-long\", \"device\": \"x\"}]}", "ports[0].name" },
	{ "{" LC ",\n\"ports\": [{\"name\": \"p\", \"device\": \"x\"}, {\"name\": \"p\", \"device\": \"y\"}]}",
	  "used twice" },
	{ "{\"lcores\": [{\"id\": 0, \"roles\": [\"rx\", \"tx\"]}], " PORT "}", "no lcore has the ctl role" },
	{ "{\"lcores\": [{\"id\": 0, \"roles\": [\"ctl\", \"fly\"]}], " PORT "}", "lcores[0].roles[1]: unknown role" },
	{ "{\"lcores\": [{\"id\": 0, \"roles\": [\"ctl\",\"rx\",\"tx\"]}, {\"id\": 0, \"roles\": [\"rx\"]}], " PORT "}",
	  "lcores[1].id: lcore 0 listed twice" },
	{ "{" LC ", " PORT ", \"ring_size\": 1000}", "ring_size: must be a power of two" },
	{ "{" LC ", " PORT ", \"mbufs\": -5}", "mbufs: -5 is out of range" },
	{ "{" LC ", " PORT ", \"mbufs\": \"many\"}", "mbufs: must be an integer" },
	{ "{" LC ", " PORT ", \"profile\": \"fast\"}", "profile: must be \"lab\" or \"performance\"" },
	{ "{" LC ", " PORT ", \"neighbours\": [{\"port\": \"q\", \"address\": \"198.51.100.2\", \"mac\": \"02:00:00:00:00:02\"}]}",
	  "neighbours[0].port" },
	{ "{" LC ", " PORT ", \"a\": 1, \"a\": 2}", "duplicate object key" },
	{ "{" LC ", " PORT ", \"sas\": [{\"spi\": \"0x1001\", \"direction\": \"in\", \"alg\": \"aes256gcm16\",\n \"key\": \"00\", \"local\": \"198.51.100.1\", \"remote\": \"198.51.100.2\"}]}",
	  "bad.json:2: sas[0].key: \"key\" must be 72 hex digits" },
	{ "{" LC ", " PORT ", \"routes\": [{\"prefix\": \"203.0.113.0/24\", \"sa\": \"0x99\"}]}",
	  "routes[0].sa: no outbound SA with SPI 0x99" },
	{ "{" LC ", " PORT ", \"bgp\": {\"as\": 65001, \"router_id\": \"2001:db8::1\"}}",
	  "bgp.router_id: \"router_id\" must be an IPv4 address" },
	{ "{" LC ", " PORT ", \"ike\": {\"local\": \"198.51.100.1\", \"peers\": [{\"address\": \"198.51.100.2\","
	  " \"local_ts\": [\"198.51.100.0/24\"], \"remote_ts\": [\"203.0.113.0/24\"]}]}}",
	  "ike.peers[0]: give either \"psk_file\"" },
	/* onion: every error names its field */
	{ "{" LC ", " PORT ", \"onion\": {\"address\": \"198.51.100.1\", \"identity_key_file\": \"/k/id\","
	  " \"onion_key_file\": \"/k/onion\"}}", "onion: needs an lcore with the \"onion\" role" },
	{ "{" LCO ", " PORT ", \"onion\": {\"address\": \"198.51.100.9\", " OKEYS "}}",
	  "onion.address: must be one of the node's port addresses" },
	{ "{" LCO ", " PORT ", \"onion\": {\"address\": \"198.51.100.1\"}}",
	  "onion: needs \"identity_key_file\" and \"onion_key_file\"" },
	{ "{" LCO ", " PORT ", \"onion\": {\"address\": \"198.51.100.1\", \"port\": 0, " OKEYS "}}",
	  "onion.port: 0 is out of range" },
	{ "{" LCO ", " PORT ", \"onion\": {\"address\": \"198.51.100.1\", " OKEYS ",\n"
	  " \"handshake\": {\"burst\": 10, \"reserve\": 10}}}", "bad.json:2: onion.handshake.reserve: must be below" },
	{ "{" LCO ", " PORT ", \"onion\": {\"address\": \"198.51.100.1\", " OKEYS ", \"exit\": {}}}",
	  "onion.exit: an exit needs \"nat\"" },
	{ "{" LCO ", " PORT ", \"onion\": {\"address\": \"198.51.100.1\", " OKEYS ", \"exit\": "
	  "{\"nat\": {\"address\": \"198.51.100.1\", \"ports\": \"40000-41000\"}}}}",
	  "onion.exit.nat.ports: must not overlap the kernel's ephemeral ports" },
	{ "{" LCO ", " PORT ", \"onion\": {\"address\": \"198.51.100.1\", " OKEYS ", \"exit\": "
	  "{\"ports\": [\"sctp:9\"], \"nat\": {\"address\": \"198.51.100.1\", \"ports\": \"61000-61999\"}}}}",
	  "onion.exit.ports[0]: must be" },
	{ "{" LCO ", " PORT ", \"onion\": {\"address\": \"198.51.100.1\", " OKEYS ", \"exit\": "
	  "{\"nat\": {\"address\": \"203.0.113.1\", \"ports\": \"61000-61999\"}}}}",
	  "onion.exit.nat.address: must be one of the node's port addresses" },
};

static void
test_bad_configs_name_line_and_field(void)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct vx0_conf c;
		char err[256];
		int rc = vx0_conf_load_string(bad[i].json, strlen(bad[i].json), "bad.json", &c,
					      err, sizeof(err));

		CHECK_EQ(rc, -EINVAL);
		if (strstr(err, bad[i].expect) == NULL) {
			fprintf(stderr, "case %zu: got \"%s\", want \"%s\"\n", i, err, bad[i].expect);
			CHECK(0);
		}
	}
}

static void
test_onion_section(void)
{
	static const char t[] = "{" LCO ", " PORT ", \"onion\": {\"address\": \"198.51.100.1\", "
		"\"name\": \"guard1\", " OKEYS ", \"handshake\": {\"rate\": 20},\n"
		"\"exit\": {\"ports\": [\"udp:5000-5100\", \"tcp:443\"], \"blocked\": [\"10.0.0.0/8\"],"
		" \"rate_bytes\": 100000, \"burst_bytes\": 20000,"
		" \"nat\": {\"address\": \"198.51.100.1\", \"ports\": \"61000-61999\"}}}}";
	struct vx0_conf c;
	char err[256];

	CHECK_EQ(vx0_conf_load_string(t, sizeof(t) - 1, "onion.json", &c, err, sizeof(err)), 0);
	CHECK(c.onion.enabled && c.onion.exit);
	CHECK(strcmp(c.onion.name, "guard1") == 0);
	CHECK_EQ(c.onion.port, 7150);
	CHECK_EQ(c.onion.capacity, 1000);
	CHECK_EQ(c.onion.hs_rate, 20);
	CHECK_EQ(c.onion.hs_burst, 200);      /* defaults beside a given rate */
	CHECK_EQ(c.onion.hs_src_rate, 5);
	CHECK_EQ(c.onion.n_ports, 2);
	CHECK_EQ(c.onion.ports[0].proto, 17);
	CHECK_EQ(c.onion.ports[0].lo, 5000);
	CHECK_EQ(c.onion.ports[0].hi, 5100);
	CHECK(!c.onion.default_ports && !c.onion.default_blocked);
	CHECK_EQ(c.onion.n_blocked, 1);
	CHECK_EQ(c.onion.blocked[0].len, 8);
	CHECK(c.onion.allow_icmp_echo);
	CHECK_EQ(c.onion.rate_bytes, 100000);
	CHECK_EQ(c.onion.nat_lo, 61000);
	CHECK_EQ(c.onion.nat_hi, 61999);
	CHECK_EQ(c.onion.nat4.family, AF_INET);
	CHECK_EQ(c.onion.nat6.family, 0);
	CHECK_EQ(c.onion.nat_timeout_s, 120);
	vx0_conf_free(&c);
}

static void
test_line_of_paths(void)
{
	const char t[] = "{\n \"a\": [\n  {\"b\": 1},\n  {\"b\":\n 2}\n ],\n \"c\": \"x\\\"]\"\n}";

	CHECK_EQ(vx0_conf_line_of(t, sizeof(t) - 1, "a"), 2);
	CHECK_EQ(vx0_conf_line_of(t, sizeof(t) - 1, "a[0].b"), 3);
	CHECK_EQ(vx0_conf_line_of(t, sizeof(t) - 1, "a[1].b"), 5);
	CHECK_EQ(vx0_conf_line_of(t, sizeof(t) - 1, "c"), 7);
	CHECK_EQ(vx0_conf_line_of(t, sizeof(t) - 1, "d"), 0);
	CHECK_EQ(vx0_conf_line_of("[[[[", 4, "x"), 0);
}

static void
test_demo_config_file_is_valid(void)
{
	struct vx0_conf c;
	char err[256];

	CHECK_EQ(vx0_conf_load_file(VX0_SOURCE_ROOT "/config/demo.json", &c, err, sizeof(err)), 0);
	CHECK_EQ(c.n_ports, 2);
	vx0_conf_free(&c);
	/* the documented example: every section, valid */
	CHECK_EQ(vx0_conf_load_file(VX0_SOURCE_ROOT "/config/node-example.json", &c, err, sizeof(err)), 0);
	if (err[0])
		fprintf(stderr, "%s\n", err);
	CHECK(c.bgp.enabled && c.bgp.n_peers == 1 && c.bgp.n_originate == 2);
	CHECK(c.ike.enabled && c.ike.n_peers == 1 && c.ike.peers[0].initiate);
	CHECK_EQ(c.n_sas, 2);
	CHECK_EQ(c.sas[0].key[0], 0x00);
	CHECK_EQ(c.sas[1].key[35], 0x43);
	CHECK_EQ(c.routes[0].dst.len, 0);
	CHECK(c.onion.enabled && c.onion.exit && c.onion.default_blocked);
	CHECK_EQ(c.onion.nat_hi, 65535);
	vx0_conf_free(&c);
	CHECK(vx0_conf_load_file("/nonexistent/vx0.json", &c, err, sizeof(err)) < 0);
	CHECK(strstr(err, "/nonexistent/vx0.json") != NULL);
}

int
main(void)
{
	VX0_RUN(test_good_config);
	VX0_RUN(test_bad_configs_name_line_and_field);
	VX0_RUN(test_onion_section);
	VX0_RUN(test_line_of_paths);
	VX0_RUN(test_demo_config_file_is_valid);
	return vx0_test_done();
}
