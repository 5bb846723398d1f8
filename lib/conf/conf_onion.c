/* SPDX-License-Identifier: BSD-3-Clause */
/* The "onion" section: this node as an onion relay (doc/onion.md), and as
 * an exit with its policy and source NAT. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "conf_priv.h"

/* Linux's default net.ipv4.ip_local_port_range: the NAT ports must not
 * take what the kernel's own sockets (on the TAP) use. */
#define KERNEL_EPHEMERAL_LO 32768
#define KERNEL_EPHEMERAL_HI 60999

static int
str_into(struct ctx *c, const char *sect, json_t *o, const char *key, char *out, size_t n,
	 bool empty_ok)
{
	json_t *x = json_object_get(o, key);
	char path[64];

	snprintf(path, sizeof(path), "%s.%s", sect, key);
	if (x == NULL)
		return 0;
	if (!json_is_string(x) || strlen(json_string_value(x)) >= n ||
	    (!empty_ok && json_string_value(x)[0] == 0))
		return vx0_conf_fail(c, path, "must be a %sstring of at most %zu characters",
				     empty_ok ? "" : "non-empty ", n - 1);
	snprintf(out, n, "%s", json_string_value(x));
	return 0;
}

static int
get_bool(struct ctx *c, const char *path, json_t *o, const char *key, bool *out, bool def)
{
	json_t *x = json_object_get(o, key);
	char p[64];

	*out = def;
	if (x == NULL)
		return 0;
	snprintf(p, sizeof(p), "%s.%s", path, key);
	if (!json_is_boolean(x))
		return vx0_conf_fail(c, p, "must be true or false");
	*out = json_is_true(x);
	return 0;
}

static bool
is_node_addr(const struct vx0_conf *conf, const struct vx0_conf_prefix *a)
{
	size_t n = a->family == AF_INET ? 4 : 16;

	for (unsigned int p = 0; p < conf->n_ports; p++)
		for (unsigned int i = 0; i < conf->ports[p].n_addrs; i++)
			if (conf->ports[p].addrs[i].family == a->family &&
			    memcmp(conf->ports[p].addrs[i].addr, a->addr, n) == 0)
				return true;
	return false;
}

/* "ADDR" that is one of the node's own addresses */
static int
own_addr(struct ctx *c, const struct vx0_conf *conf, const char *path, json_t *x,
	 struct vx0_conf_prefix *out)
{
	if (!json_is_string(x) || vx0_conf_parse_addr(json_string_value(x), out) < 0)
		return vx0_conf_fail(c, path, "must be an IPv4 or IPv6 address");
	if (!is_node_addr(conf, out))
		return vx0_conf_fail(c, path, "must be one of the node's port addresses");
	return 0;
}

/* "tcp:443", "udp:5000-5100" */
static int
parse_port_range(const char *s, uint8_t *proto, uint16_t *lo, uint16_t *hi)
{
	unsigned long a, b;
	char *end;

	if (strncmp(s, "tcp:", 4) == 0)
		*proto = 6;
	else if (strncmp(s, "udp:", 4) == 0)
		*proto = 17;
	else
		return -EINVAL;
	s += 4;
	if (*s < '0' || *s > '9')
		return -EINVAL;
	a = strtoul(s, &end, 10);
	b = a;
	if (*end == '-') {
		if (end[1] < '0' || end[1] > '9')
			return -EINVAL;
		b = strtoul(end + 1, &end, 10);
	}
	if (*end != 0 || a == 0 || a > 65535 || b > 65535 || b < a)
		return -EINVAL;
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	return 0;
}

static int
parse_exit(struct ctx *c, json_t *e, struct vx0_conf *conf)
{
	static const char *const keys[] = { "ports", "blocked", "allow_icmp_echo", "rate_bytes",
					    "burst_bytes", "nat", NULL };
	static const char *const nat_keys[] = { "address", "address6", "ports", "timeout_s", NULL };
	struct vx0_conf_onion *o = &conf->onion;
	json_t *x, *v, *nat;
	uint32_t rate = 0, burst = 0;
	size_t i;
	int rc;

	if (!json_is_object(e))
		return vx0_conf_fail(c, "onion.exit", "must be an object (or false)");
	if ((rc = vx0_conf_check_keys(c, "onion.exit", e, keys)) < 0 ||
	    (rc = get_bool(c, "onion.exit", e, "allow_icmp_echo", &o->allow_icmp_echo, true)) < 0 ||
	    (rc = vx0_conf_get_uint(c, "onion.exit", e, "rate_bytes", &rate, 0, 0, UINT32_MAX)) < 0 ||
	    (rc = vx0_conf_get_uint(c, "onion.exit", e, "burst_bytes", &burst, 0, 0, UINT32_MAX)) < 0)
		return rc;
	if (rate && burst < 1500)
		return vx0_conf_fail(c, "onion.exit.burst_bytes",
				     "must be at least 1500 (one packet) when rate_bytes is set");
	o->rate_bytes = rate;
	o->burst_bytes = burst;
	x = json_object_get(e, "ports");
	o->default_ports = x == NULL;
	if (x && (!json_is_array(x) || json_array_size(x) > VX0_CONF_ONION_POLICY_MAX))
		return vx0_conf_fail(c, "onion.exit.ports", "must be an array of at most %d "
				     "\"tcp:PORT[-PORT]\" / \"udp:PORT[-PORT]\"", VX0_CONF_ONION_POLICY_MAX);
	json_array_foreach(x, i, v) {
		char path[64];

		snprintf(path, sizeof(path), "onion.exit.ports[%zu]", i);
		if (!json_is_string(v) ||
		    parse_port_range(json_string_value(v), &o->ports[i].proto, &o->ports[i].lo,
				     &o->ports[i].hi) < 0)
			return vx0_conf_fail(c, path, "must be \"tcp:PORT[-PORT]\" or \"udp:PORT[-PORT]\"");
		o->n_ports++;
	}
	x = json_object_get(e, "blocked");
	o->default_blocked = x == NULL;
	if (x && (!json_is_array(x) || json_array_size(x) > VX0_CONF_ONION_POLICY_MAX))
		return vx0_conf_fail(c, "onion.exit.blocked", "must be an array of at most %d prefixes",
				     VX0_CONF_ONION_POLICY_MAX);
	json_array_foreach(x, i, v) {
		char path[64];

		snprintf(path, sizeof(path), "onion.exit.blocked[%zu]", i);
		if (!json_is_string(v) ||
		    vx0_conf_parse_prefix(json_string_value(v), &o->blocked[i], true, true) < 0)
			return vx0_conf_fail(c, path, "must be a prefix like \"10.0.0.0/8\"");
		o->n_blocked++;
	}
	nat = json_object_get(e, "nat");
	if (!json_is_object(nat))
		return vx0_conf_fail(c, nat ? "onion.exit.nat" : "onion.exit",
				     "an exit needs \"nat\": {\"address\", \"ports\": \"LO-HI\"}");
	if ((rc = vx0_conf_check_keys(c, "onion.exit.nat", nat, nat_keys)) < 0 ||
	    (rc = vx0_conf_get_uint(c, "onion.exit.nat", nat, "timeout_s", &o->nat_timeout_s,
				    120, 10, 86400)) < 0)
		return rc;
	if ((x = json_object_get(nat, "address")) &&
	    ((rc = own_addr(c, conf, "onion.exit.nat.address", x, &o->nat4)) < 0))
		return rc;
	if (x && o->nat4.family != AF_INET)
		return vx0_conf_fail(c, "onion.exit.nat.address", "must be an IPv4 address");
	if ((v = json_object_get(nat, "address6")) &&
	    ((rc = own_addr(c, conf, "onion.exit.nat.address6", v, &o->nat6)) < 0))
		return rc;
	if (v && o->nat6.family != AF_INET6)
		return vx0_conf_fail(c, "onion.exit.nat.address6", "must be an IPv6 address");
	if (x == NULL && v == NULL)
		return vx0_conf_fail(c, "onion.exit.nat", "give \"address\" and/or \"address6\"");
	x = json_object_get(nat, "ports");
	{
		unsigned int lo, hi;
		char tail;

		if (!json_is_string(x) ||
		    sscanf(json_string_value(x), "%u-%u%c", &lo, &hi, &tail) != 2 ||
		    lo < 1024 || hi > 65535 || hi < lo)
			return vx0_conf_fail(c, "onion.exit.nat.ports",
					     "must be \"LO-HI\" within 1024-65535");
		if (!(lo > KERNEL_EPHEMERAL_HI || hi < KERNEL_EPHEMERAL_LO))
			return vx0_conf_fail(c, "onion.exit.nat.ports",
					     "must not overlap the kernel's ephemeral ports %d-%d",
					     KERNEL_EPHEMERAL_LO, KERNEL_EPHEMERAL_HI);
		o->nat_lo = (uint16_t)lo;
		o->nat_hi = (uint16_t)hi;
	}
	o->exit = true;
	return 0;
}

int
vx0_conf_parse_onion(struct ctx *c, json_t *d, struct vx0_conf *conf)
{
	static const char *const keys[] = { "name", "address", "port", "identity_key_file",
					    "onion_key_file", "capacity", "family", "max_circuits",
					    "max_links", "handshake", "unknown_pps", "padding_pps",
					    "exit", NULL };
	static const char *const hs_keys[] = { "rate", "burst", "per_source_rate",
					       "per_source_burst", "reserve", NULL };
	struct vx0_conf_onion *o = &conf->onion;
	uint32_t port;
	json_t *x, *hs, *h;
	bool any = false;
	int rc;

	if (!json_is_object(d))
		return vx0_conf_fail(c, "onion", "must be an object");
	memset(o, 0, sizeof(*o));
	snprintf(o->name, sizeof(o->name), "vx0");
	if ((rc = vx0_conf_check_keys(c, "onion", d, keys)) < 0 ||
	    (rc = str_into(c, "onion", d, "name", o->name, sizeof(o->name), false)) < 0 ||
	    (rc = str_into(c, "onion", d, "family", o->family, sizeof(o->family), true)) < 0 ||
	    (rc = str_into(c, "onion", d, "identity_key_file", o->identity_key_file,
			   sizeof(o->identity_key_file), false)) < 0 ||
	    (rc = str_into(c, "onion", d, "onion_key_file", o->onion_key_file,
			   sizeof(o->onion_key_file), false)) < 0 ||
	    (rc = vx0_conf_get_uint(c, "onion", d, "port", &port, 7150, 1, 65535)) < 0 ||
	    (rc = vx0_conf_get_uint(c, "onion", d, "capacity", &o->capacity, 1000, 0, 1u << 30)) < 0 ||
	    (rc = vx0_conf_get_uint(c, "onion", d, "max_circuits", &o->max_circuits, 1024, 1,
				    1u << 20)) < 0 ||
	    (rc = vx0_conf_get_uint(c, "onion", d, "max_links", &o->max_links, 256, 2, 65536)) < 0 ||
	    (rc = vx0_conf_get_uint(c, "onion", d, "unknown_pps", &o->unknown_pps, 100, 1,
				    1000000)) < 0 ||
	    (rc = vx0_conf_get_uint(c, "onion", d, "padding_pps", &o->padding_pps, 0, 0, 10000)) < 0)
		return rc;
	o->port = (uint16_t)port;
	if ((x = json_object_get(d, "address")) == NULL)
		return vx0_conf_fail(c, "onion", "missing \"address\" (the relay's descriptor address)");
	if ((rc = own_addr(c, conf, "onion.address", x, &o->addr)) < 0)
		return rc;
	if (!!o->identity_key_file[0] != !!o->onion_key_file[0])
		return vx0_conf_fail(c, "onion", "give both \"identity_key_file\" and \"onion_key_file\" "
				     "(or neither: the dht section's are used)");
	if (!o->identity_key_file[0] &&
	    (!conf->dht.identity_key_file[0] || !conf->dht.onion_key_file[0]))
		return vx0_conf_fail(c, "onion", "needs \"identity_key_file\" and \"onion_key_file\" "
				     "(here or in the dht section)");
	/* absent: the defaults (d itself has none of these keys) */
	hs = json_object_get(d, "handshake");
	h = hs ? hs : d;
	if (hs && !json_is_object(hs))
		return vx0_conf_fail(c, "onion.handshake", "must be an object");
	if ((hs && (rc = vx0_conf_check_keys(c, "onion.handshake", hs, hs_keys)) < 0) ||
	    (rc = vx0_conf_get_uint(c, "onion.handshake", h, "rate", &o->hs_rate,
				    100, 1, 100000)) < 0 ||
	    (rc = vx0_conf_get_uint(c, "onion.handshake", h, "burst",
				    &o->hs_burst, 200, 1, 100000)) < 0 ||
	    (rc = vx0_conf_get_uint(c, "onion.handshake", h, "per_source_rate",
				    &o->hs_src_rate, 5, 1, 100000)) < 0 ||
	    (rc = vx0_conf_get_uint(c, "onion.handshake", h, "per_source_burst",
				    &o->hs_src_burst, 10, 1, 100000)) < 0 ||
	    (rc = vx0_conf_get_uint(c, "onion.handshake", h, "reserve",
				    &o->hs_reserve, 50, 0, 100000)) < 0)
		return rc;
	if (o->hs_reserve >= o->hs_burst)
		return vx0_conf_fail(c, "onion.handshake.reserve", "must be below \"burst\"");
	for (unsigned int i = 0; i < conf->n_lcores; i++)
		any |= (conf->lcores[i].roles & VX0_ROLE_ONION) != 0;
	if (!any)
		return vx0_conf_fail(c, "onion", "needs an lcore with the \"onion\" role");
	x = json_object_get(d, "exit");
	if (x && !json_is_false(x) && (rc = parse_exit(c, x, conf)) < 0)
		return rc;
	if (o->exit && o->nat_lo <= o->port && o->port <= o->nat_hi)
		return vx0_conf_fail(c, "onion.exit.nat.ports", "must not include onion.port %u",
				     o->port);
	o->enabled = true;
	return 0;
}
