/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <jansson.h>

#include "vx0_conf.h"
#include "conf_metrics.h"

#include "conf_priv.h"

int
vx0_conf_fail(struct ctx *c, const char *path, const char *fmt, ...)
{
	unsigned int line = vx0_conf_line_of(c->text, c->len, path);
	int n;
	va_list ap;

	if (line)
		n = snprintf(c->err, c->errlen, "%s:%u: %s: ", c->name, line,
			     path[0] ? path : "(top level)");
	else
		n = snprintf(c->err, c->errlen, "%s: %s: ", c->name,
			     path[0] ? path : "(top level)");
	if (n < 0 || (size_t)n >= c->errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(c->err + n, c->errlen - n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Every key of obj must be one of allowed (NULL-terminated): typos are errors. */
int
vx0_conf_check_keys(struct ctx *c, const char *path, json_t *obj, const char *const *allowed)
{
	const char *key;
	json_t *v;
	char sub[256];

	json_object_foreach(obj, key, v) {
		const char *const *a;

		for (a = allowed; *a; a++)
			if (strcmp(*a, key) == 0)
				break;
		if (*a == NULL) {
			snprintf(sub, sizeof(sub), "%s%s%s", path, path[0] ? "." : "", key);
			return vx0_conf_fail(c, sub, "unknown field");
		}
	}
	return 0;
}

int
vx0_conf_get_uint(struct ctx *c, const char *path, json_t *obj, const char *key,
	 uint32_t *out, uint32_t def, uint32_t min, uint32_t max)
{
	json_t *v = json_object_get(obj, key);
	char sub[256];
	json_int_t i;

	snprintf(sub, sizeof(sub), "%s%s%s", path, path[0] ? "." : "", key);
	if (v == NULL) {
		*out = def;
		return 0;
	}
	if (!json_is_integer(v))
		return vx0_conf_fail(c, sub, "must be an integer");
	i = json_integer_value(v);
	if (i < (json_int_t)min || i > (json_int_t)max)
		return vx0_conf_fail(c, sub, "%lld is out of range [%u, %u]", (long long)i, min, max);
	*out = (uint32_t)i;
	return 0;
}

int
vx0_conf_parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	char tail;

	if (s == NULL || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5], &tail) != 6 || strlen(s) != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

/* "198.51.100.1/24" (len required when need_len), or a bare address */
int
vx0_conf_parse_prefix(const char *s, struct vx0_conf_prefix *p, bool need_len, bool mask)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	long max, l;
	char *end;

	if (n == 0 || n >= sizeof(buf) || (need_len && slash == NULL))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = 0;
	memset(p->addr, 0, sizeof(p->addr));
	if (inet_pton(AF_INET, buf, p->addr) == 1)
		p->family = AF_INET;
	else if (inet_pton(AF_INET6, buf, p->addr) == 1)
		p->family = AF_INET6;
	else
		return -EINVAL;
	max = p->family == AF_INET ? 32 : 128;
	l = max;
	if (slash) {
		if (slash[1] < '0' || slash[1] > '9')
			return -EINVAL;
		l = strtol(slash + 1, &end, 10);
		if (*end != 0 || l < 0 || l > max)
			return -EINVAL;
	}
	p->len = (uint8_t)l;
	if (mask)
		for (int i = 0; i < 16; i++) {
			int bits = l - i * 8;

			if (bits <= 0)
				p->addr[i] = 0;
			else if (bits < 8)
				p->addr[i] &= (uint8_t)(0xff << (8 - bits));
		}
	return 0;
}

int
vx0_conf_parse_addr(const char *s, struct vx0_conf_prefix *p)
{
	if (s == NULL || vx0_conf_parse_prefix(s, p, false, false) < 0 ||
	    p->len != (p->family == AF_INET ? 32 : 128))
		return -EINVAL;
	return 0;
}

static const char *const role_names[] = { "rx", "crypto", "onion", "tx", "ctl" };

const char *
vx0_role_name(uint32_t role_bit)
{
	for (unsigned int i = 0; i < 5; i++)
		if (role_bit == (1u << i))
			return role_names[i];
	return "?";
}

int
vx0_conf_port_index(const struct vx0_conf *conf, const char *name)
{
	for (unsigned int i = 0; name && i < conf->n_ports; i++)
		if (strcmp(conf->ports[i].name, name) == 0)
			return (int)i;
	return -ENOENT;
}

static int
parse_eal(struct ctx *c, json_t *a, struct vx0_conf *conf)
{
	size_t i;
	json_t *v;
	char path[64];

	if (!json_is_array(a))
		return vx0_conf_fail(c, "eal", "must be an array of strings");
	if (json_array_size(a) > VX0_CONF_MAX_EAL_ARGS - 2)
		return vx0_conf_fail(c, "eal", "too many arguments (max %d)", VX0_CONF_MAX_EAL_ARGS - 2);
	json_array_foreach(a, i, v) {
		snprintf(path, sizeof(path), "eal[%zu]", i);
		if (!json_is_string(v))
			return vx0_conf_fail(c, path, "must be a string");
		conf->eal_argv[conf->eal_argc] = strdup(json_string_value(v));
		if (conf->eal_argv[conf->eal_argc] == NULL)
			return -ENOMEM;
		conf->eal_argc++;
	}
	return 0;
}

static int
parse_lcores(struct ctx *c, json_t *a, struct vx0_conf *conf)
{
	static const char *const keys[] = { "id", "roles", NULL };
	uint32_t all = 0;
	size_t i, j;
	json_t *v, *r;
	char path[64], rp[160];
	int rc;

	if (!json_is_array(a) || json_array_size(a) == 0)
		return vx0_conf_fail(c, "lcores", "must be a non-empty array");
	if (json_array_size(a) > VX0_CONF_MAX_LCORES)
		return vx0_conf_fail(c, "lcores", "too many lcores (max %d)", VX0_CONF_MAX_LCORES);
	json_array_foreach(a, i, v) {
		struct vx0_conf_lcore *l = &conf->lcores[i];
		json_t *roles;

		snprintf(path, sizeof(path), "lcores[%zu]", i);
		if (!json_is_object(v))
			return vx0_conf_fail(c, path, "must be an object {\"id\": N, \"roles\": [...]}");
		if ((rc = vx0_conf_check_keys(c, path, v, keys)) < 0)
			return rc;
		if (json_object_get(v, "id") == NULL)
			return vx0_conf_fail(c, path, "missing \"id\"");
		if ((rc = vx0_conf_get_uint(c, path, v, "id", &l->id, 0, 0, 1023)) < 0)
			return rc;
		for (size_t k = 0; k < i; k++)
			if (conf->lcores[k].id == l->id) {
				snprintf(rp, sizeof(rp), "%s.id", path);
				return vx0_conf_fail(c, rp, "lcore %u listed twice", l->id);
			}
		roles = json_object_get(v, "roles");
		snprintf(rp, sizeof(rp), "%s.roles", path);
		if (!json_is_array(roles) || json_array_size(roles) == 0)
			return vx0_conf_fail(c, roles ? rp : path,
				    "\"roles\" must be a non-empty array of rx, crypto, onion, tx, ctl");
		json_array_foreach(roles, j, r) {
			unsigned int k;

			snprintf(rp, sizeof(rp), "%s.roles[%zu]", path, j);
			for (k = 0; k < 5; k++)
				if (json_is_string(r) && strcmp(json_string_value(r), role_names[k]) == 0)
					break;
			if (k == 5)
				return vx0_conf_fail(c, rp, "unknown role (rx, crypto, onion, tx, ctl)");
			if (k == 4 && (all & VX0_ROLE_CTL) && !(l->roles & VX0_ROLE_CTL))
				return vx0_conf_fail(c, rp, "only one lcore may have the ctl role");
			l->roles |= 1u << k;
		}
		all |= l->roles;
	}
	conf->n_lcores = json_array_size(a);
	if (!(all & VX0_ROLE_CTL))
		return vx0_conf_fail(c, "lcores", "no lcore has the ctl role");
	if (!(all & VX0_ROLE_RX))
		return vx0_conf_fail(c, "lcores", "no lcore has the rx role");
	if (!(all & VX0_ROLE_TX))
		return vx0_conf_fail(c, "lcores", "no lcore has the tx role");
	return 0;
}

static int
parse_ports(struct ctx *c, json_t *a, struct vx0_conf *conf)
{
	static const char *const keys[] = { "name", "device", "mac", "mtu", "addresses", NULL };
	size_t i, j;
	json_t *v, *x;
	char path[64], sub[160];
	int rc;

	if (!json_is_array(a) || json_array_size(a) == 0)
		return vx0_conf_fail(c, "ports", "must be a non-empty array");
	if (json_array_size(a) > VX0_CONF_MAX_PORTS)
		return vx0_conf_fail(c, "ports", "too many ports (max %d)", VX0_CONF_MAX_PORTS);
	json_array_foreach(a, i, v) {
		struct vx0_conf_port *p = &conf->ports[i];
		const char *s;
		uint32_t mtu;

		snprintf(path, sizeof(path), "ports[%zu]", i);
		if (!json_is_object(v))
			return vx0_conf_fail(c, path, "must be an object");
		if ((rc = vx0_conf_check_keys(c, path, v, keys)) < 0)
			return rc;
		snprintf(sub, sizeof(sub), "%s.name", path);
		x = json_object_get(v, "name");
		s = json_string_value(x);
		if (s == NULL || s[0] == 0 || strlen(s) > 8 || strspn(s,
		    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != strlen(s))
			return vx0_conf_fail(c, x ? sub : path,
				    "\"name\" must be 1-8 characters of [A-Za-z0-9_] (it names the TAP interface and telemetry keys)");
		for (size_t k = 0; k < i; k++)
			if (strcmp(conf->ports[k].name, s) == 0)
				return vx0_conf_fail(c, sub, "port name \"%s\" used twice", s);
		snprintf(p->name, sizeof(p->name), "%s", s);
		snprintf(sub, sizeof(sub), "%s.device", path);
		x = json_object_get(v, "device");
		s = json_string_value(x);
		if (s == NULL || s[0] == 0 || strlen(s) >= sizeof(p->device))
			return vx0_conf_fail(c, x ? sub : path,
				    "\"device\" must be a vdev (\"net_af_packet0,iface=veth0\") or a PCI address");
		snprintf(p->device, sizeof(p->device), "%s", s);
		x = json_object_get(v, "mac");
		if (x) {
			snprintf(sub, sizeof(sub), "%s.mac", path);
			if (!json_is_string(x) || vx0_conf_parse_mac(json_string_value(x), p->mac) < 0)
				return vx0_conf_fail(c, sub, "must be a MAC address like \"02:00:00:00:00:01\"");
			if (p->mac[0] & 1)
				return vx0_conf_fail(c, sub, "must be a unicast MAC address");
			p->has_mac = true;
		}
		if ((rc = vx0_conf_get_uint(c, path, v, "mtu", &mtu, 1500, 1280, 9000)) < 0)
			return rc;
		p->mtu = (uint16_t)mtu;
		x = json_object_get(v, "addresses");
		if (x) {
			snprintf(sub, sizeof(sub), "%s.addresses", path);
			if (!json_is_array(x) || json_array_size(x) > VX0_CONF_MAX_ADDRS)
				return vx0_conf_fail(c, sub, "must be an array of at most %d prefixes", VX0_CONF_MAX_ADDRS);
			json_t *ad;

			json_array_foreach(x, j, ad) {
				snprintf(sub, sizeof(sub), "%s.addresses[%zu]", path, j);
				if (!json_is_string(ad) ||
				    vx0_conf_parse_prefix(json_string_value(ad), &p->addrs[j], true, false) < 0)
					return vx0_conf_fail(c, sub, "must be an address with its prefix length, like \"198.51.100.1/24\"");
			}
			p->n_addrs = json_array_size(x);
		}
	}
	conf->n_ports = json_array_size(a);
	return 0;
}

static int
parse_routes(struct ctx *c, json_t *a, struct vx0_conf *conf)
{
	static const char *const keys[] = { "prefix", "via", "port", "drop", "sa", NULL };
	size_t i;
	json_t *v, *x;
	char path[64], sub[160];
	int rc;

	if (!json_is_array(a))
		return vx0_conf_fail(c, "routes", "must be an array");
	conf->routes = calloc(json_array_size(a) + 1, sizeof(*conf->routes));
	if (conf->routes == NULL)
		return -ENOMEM;
	json_array_foreach(a, i, v) {
		struct vx0_conf_route *r = &conf->routes[i];
		struct vx0_conf_prefix via;

		snprintf(path, sizeof(path), "routes[%zu]", i);
		if (!json_is_object(v))
			return vx0_conf_fail(c, path, "must be an object");
		if ((rc = vx0_conf_check_keys(c, path, v, keys)) < 0)
			return rc;
		x = json_object_get(v, "prefix");
		snprintf(sub, sizeof(sub), "%s.prefix", path);
		if (!json_is_string(x) || vx0_conf_parse_prefix(json_string_value(x), &r->dst, false, true) < 0)
			return vx0_conf_fail(c, x ? sub : path, "\"prefix\" must be like \"203.0.113.0/24\" or \"2001:db8::/32\"");
		r->port = -1;
		x = json_object_get(v, "port");
		if (x) {
			snprintf(sub, sizeof(sub), "%s.port", path);
			if (!json_is_string(x) || (r->port = vx0_conf_port_index(conf, json_string_value(x))) < 0)
				return vx0_conf_fail(c, sub, "names no configured port");
		}
		x = json_object_get(v, "sa");
		if (x) {
			const char *t = json_string_value(x);
			char *end;
			unsigned long spi;

			snprintf(sub, sizeof(sub), "%s.sa", path);
			if (t == NULL || (spi = strtoul(t, &end, 0), *end != 0) || spi == 0 ||
			    spi > UINT32_MAX)
				return vx0_conf_fail(c, sub, "must name an outbound SA by its SPI, like \"0x1001\"");
			if (json_object_get(v, "via") || json_object_get(v, "drop"))
				return vx0_conf_fail(c, path, "a tunnel route has \"sa\" only");
			r->type = VX0_ROUTE_TUNNEL;
			r->sa_spi = (uint32_t)spi;
			conf->n_routes++;
			continue;
		}
		x = json_object_get(v, "drop");
		if (json_is_true(x)) {
			r->type = VX0_ROUTE_DROP;
			if (json_object_get(v, "via"))
				return vx0_conf_fail(c, path, "a route has either \"via\" or \"drop\", not both");
		} else {
			x = json_object_get(v, "via");
			snprintf(sub, sizeof(sub), "%s.via", path);
			if (x == NULL)
				return vx0_conf_fail(c, path, "needs \"via\" (a gateway address) or \"drop\": true");
			if (!json_is_string(x) || vx0_conf_parse_addr(json_string_value(x), &via) < 0)
				return vx0_conf_fail(c, sub, "must be a gateway address");
			if (via.family != r->dst.family)
				return vx0_conf_fail(c, sub, "gateway family differs from the prefix's");
			r->type = VX0_ROUTE_VIA;
			memcpy(r->via, via.addr, 16);
		}
		conf->n_routes++;
	}
	return 0;
}

static int
parse_neighbours(struct ctx *c, json_t *a, struct vx0_conf *conf)
{
	static const char *const keys[] = { "port", "address", "mac", NULL };
	size_t i;
	json_t *v, *x;
	char path[64], sub[160];
	int rc;

	if (!json_is_array(a))
		return vx0_conf_fail(c, "neighbours", "must be an array");
	conf->neighbours = calloc(json_array_size(a) + 1, sizeof(*conf->neighbours));
	if (conf->neighbours == NULL)
		return -ENOMEM;
	json_array_foreach(a, i, v) {
		struct vx0_conf_neigh *n = &conf->neighbours[i];
		struct vx0_conf_prefix p;

		snprintf(path, sizeof(path), "neighbours[%zu]", i);
		if (!json_is_object(v))
			return vx0_conf_fail(c, path, "must be an object");
		if ((rc = vx0_conf_check_keys(c, path, v, keys)) < 0)
			return rc;
		x = json_object_get(v, "port");
		snprintf(sub, sizeof(sub), "%s.port", path);
		if (!json_is_string(x) || (n->port = vx0_conf_port_index(conf, json_string_value(x))) < 0)
			return vx0_conf_fail(c, x ? sub : path, "\"port\" must name a configured port");
		x = json_object_get(v, "address");
		snprintf(sub, sizeof(sub), "%s.address", path);
		if (!json_is_string(x) || vx0_conf_parse_addr(json_string_value(x), &p) < 0)
			return vx0_conf_fail(c, x ? sub : path, "\"address\" must be an IPv4 or IPv6 address");
		n->family = p.family;
		memcpy(n->addr, p.addr, 16);
		x = json_object_get(v, "mac");
		snprintf(sub, sizeof(sub), "%s.mac", path);
		if (!json_is_string(x) || vx0_conf_parse_mac(json_string_value(x), n->mac) < 0 || (n->mac[0] & 1))
			return vx0_conf_fail(c, x ? sub : path, "\"mac\" must be a unicast MAC address");
		conf->n_neighbours++;
	}
	return 0;
}

static int
parse_bgp(struct ctx *c, json_t *b, struct vx0_conf *conf)
{
	static const char *const keys[] = { "as", "router_id", "hold_time", "connect_retry_ms",
					    "peers", "originate", NULL };
	static const char *const pkeys[] = { "name", "address", "as", "passive", "families",
					     "hold_time", "max_prefix", "md5_key", "ttl_security",
					     "graceful_restart", "nexthop6", "import", "export", NULL };
	struct vx0_conf_bgp *g = &conf->bgp;
	struct vx0_conf_prefix p;
	uint32_t v;
	size_t i, j;
	json_t *x, *pe;
	char path[64], sub[160];
	int rc;

	if (!json_is_object(b))
		return vx0_conf_fail(c, "bgp", "must be an object");
	if ((rc = vx0_conf_check_keys(c, "bgp", b, keys)) < 0)
		return rc;
	if (json_object_get(b, "as") == NULL)
		return vx0_conf_fail(c, "bgp", "missing \"as\" (the local AS number)");
	if ((rc = vx0_conf_get_uint(c, "bgp", b, "as", &g->local_as, 0, 1, UINT32_MAX)) < 0 ||
	    (rc = vx0_conf_get_uint(c, "bgp", b, "hold_time", &v, 90, 0, 65535)) < 0)
		return rc;
	if (v == 1 || v == 2)
		return vx0_conf_fail(c, "bgp.hold_time", "must be 0 or at least 3 (RFC 4271 4.2)");
	g->hold_time = (uint16_t)v;
	if ((rc = vx0_conf_get_uint(c, "bgp", b, "connect_retry_ms", &g->connect_retry_ms, 5000, 100, 600000)) < 0)
		return rc;
	x = json_object_get(b, "router_id");
	if (!json_is_string(x) || vx0_conf_parse_prefix(json_string_value(x), &p, false, false) < 0 ||
	    p.family != AF_INET || p.len != 32)
		return vx0_conf_fail(c, x ? "bgp.router_id" : "bgp", "\"router_id\" must be an IPv4 address");
	g->router_id = ntohl(*(uint32_t *)(void *)p.addr);
	if (g->router_id == 0)
		return vx0_conf_fail(c, "bgp.router_id", "must not be 0.0.0.0");
	x = json_object_get(b, "peers");
	if (x && (!json_is_array(x) || json_array_size(x) > VX0_CONF_MAX_BGP_PEERS))
		return vx0_conf_fail(c, "bgp.peers", "must be an array of at most %d peers", VX0_CONF_MAX_BGP_PEERS);
	json_array_foreach(x, i, pe) {
		struct vx0_conf_bgp_peer *bp = &g->peers[i];
		json_t *y;

		snprintf(path, sizeof(path), "bgp.peers[%zu]", i);
		if (!json_is_object(pe))
			return vx0_conf_fail(c, path, "must be an object");
		if ((rc = vx0_conf_check_keys(c, path, pe, pkeys)) < 0)
			return rc;
		y = json_object_get(pe, "address");
		snprintf(sub, sizeof(sub), "%s.address", path);
		if (!json_is_string(y) || vx0_conf_parse_addr(json_string_value(y), &p) < 0)
			return vx0_conf_fail(c, y ? sub : path, "\"address\" must be the peer's IPv4 or IPv6 address");
		bp->family = p.family;
		memcpy(bp->addr, p.addr, 16);
		for (j = 0; j < i; j++)
			if (g->peers[j].family == bp->family && memcmp(g->peers[j].addr, bp->addr, 16) == 0)
				return vx0_conf_fail(c, sub, "peer listed twice");
		if (json_object_get(pe, "as") == NULL)
			return vx0_conf_fail(c, path, "missing \"as\"");
		if ((rc = vx0_conf_get_uint(c, path, pe, "as", &bp->remote_as, 0, 1, UINT32_MAX)) < 0 ||
		    (rc = vx0_conf_get_uint(c, path, pe, "hold_time", &v, 0, 0, 65535)) < 0)
			return rc;
		bp->hold_time = (uint16_t)v;
		if ((rc = vx0_conf_get_uint(c, path, pe, "max_prefix", &bp->max_prefix, 0, 0, UINT32_MAX)) < 0 ||
		    (rc = vx0_conf_get_uint(c, path, pe, "ttl_security", &v, 0, 0, 254)) < 0)
			return rc;
		bp->ttl_security = (uint8_t)v;
		y = json_object_get(pe, "name");
		if (y && (!json_is_string(y) || strlen(json_string_value(y)) >= sizeof(bp->name))) {
			snprintf(sub, sizeof(sub), "%s.name", path);
			return vx0_conf_fail(c, sub, "must be a string of at most %zu characters", sizeof(bp->name) - 1);
		}
		snprintf(bp->name, sizeof(bp->name), "%s", y ? json_string_value(y) : "");
		y = json_object_get(pe, "md5_key");
		if (y && (!json_is_string(y) || strlen(json_string_value(y)) > 80)) {
			snprintf(sub, sizeof(sub), "%s.md5_key", path);
			return vx0_conf_fail(c, sub, "must be a string of at most 80 characters (RFC 2385)");
		}
		snprintf(bp->md5_key, sizeof(bp->md5_key), "%s", y ? json_string_value(y) : "");
		y = json_object_get(pe, "passive");
		bp->passive = json_is_true(y);
		y = json_object_get(pe, "graceful_restart");
		bp->graceful_restart = json_is_true(y);
		y = json_object_get(pe, "families");
		if (y) {
			json_t *f;

			snprintf(sub, sizeof(sub), "%s.families", path);
			if (!json_is_array(y))
				return vx0_conf_fail(c, sub, "must be an array of \"ipv4\", \"ipv6\"");
			json_array_foreach(y, j, f) {
				const char *fs = json_string_value(f);

				if (fs && strcmp(fs, "ipv4") == 0)
					bp->ipv4 = true;
				else if (fs && strcmp(fs, "ipv6") == 0)
					bp->ipv6 = true;
				else
					return vx0_conf_fail(c, sub, "unknown family (ipv4, ipv6)");
			}
		}
		y = json_object_get(pe, "import");
		if (y) {
			snprintf(sub, sizeof(sub), "%s.import", path);
			if ((rc = vx0_conf_parse_bgp_policy(c, sub, y, &bp->import)) < 0)
				return rc;
		}
		y = json_object_get(pe, "export");
		if (y) {
			snprintf(sub, sizeof(sub), "%s.export", path);
			if ((rc = vx0_conf_parse_bgp_policy(c, sub, y, &bp->export)) < 0)
				return rc;
		}
		y = json_object_get(pe, "nexthop6");
		if (y) {
			snprintf(sub, sizeof(sub), "%s.nexthop6", path);
			if (!json_is_string(y) || vx0_conf_parse_prefix(json_string_value(y), &bp->nexthop6, false, false) < 0 ||
			    bp->nexthop6.family != AF_INET6)
				return vx0_conf_fail(c, sub, "must be an IPv6 address");
		}
	}
	g->n_peers = x ? json_array_size(x) : 0;
	x = json_object_get(b, "originate");
	if (x && (!json_is_array(x) || json_array_size(x) > VX0_CONF_MAX_ORIGINATE))
		return vx0_conf_fail(c, "bgp.originate", "must be an array of at most %d prefixes", VX0_CONF_MAX_ORIGINATE);
	json_array_foreach(x, i, pe) {
		snprintf(sub, sizeof(sub), "bgp.originate[%zu]", i);
		if (!json_is_string(pe) || vx0_conf_parse_prefix(json_string_value(pe), &g->originate[i], true, true) < 0)
			return vx0_conf_fail(c, sub, "must be a prefix like \"203.0.113.0/24\"");
	}
	g->n_originate = x ? json_array_size(x) : 0;
	g->enabled = true;
	return 0;
}

int
vx0_conf_hexbytes(const char *s, uint8_t *out, size_t n)
{
	if (strlen(s) != 2 * n)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		unsigned int v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1 || !strchr("0123456789abcdefABCDEF", s[2 * i]) ||
		    !strchr("0123456789abcdefABCDEF", s[2 * i + 1]))
			return -EINVAL;
		out[i] = (uint8_t)v;
	}
	return 0;
}

static int
parse_sas(struct ctx *c, json_t *a, struct vx0_conf *conf)
{
	static const char *const keys[] = { "spi", "direction", "alg", "key", "local", "remote",
					    "esn", "replay_window", "udp_encap", "lifetime", NULL };
	static const char *const lkeys[] = { "soft_bytes", "hard_bytes", "soft_packets",
					     "hard_packets", "soft_seconds", "hard_seconds", NULL };
	size_t i;
	json_t *v, *x;
	char path[64], sub[160];
	int rc;

	if (!json_is_array(a) || json_array_size(a) > VX0_CONF_MAX_SAS)
		return vx0_conf_fail(c, "sas", "must be an array of at most %d SAs", VX0_CONF_MAX_SAS);
	conf->sas = calloc(json_array_size(a) + 1, sizeof(*conf->sas));
	if (conf->sas == NULL)
		return -ENOMEM;
	json_array_foreach(a, i, v) {
		/* counted before its key is parsed: vx0_conf_free wipes it on any error */
		struct vx0_conf_sa *sa = &conf->sas[conf->n_sas++];
		struct vx0_conf_prefix l, r;
		const char *t;
		char *end;
		unsigned long spi;

		snprintf(path, sizeof(path), "sas[%zu]", i);
		if (!json_is_object(v))
			return vx0_conf_fail(c, path, "must be an object");
		if ((rc = vx0_conf_check_keys(c, path, v, keys)) < 0)
			return rc;
		x = json_object_get(v, "spi");
		snprintf(sub, sizeof(sub), "%s.spi", path);
		t = json_string_value(x);
		if (t == NULL || (spi = strtoul(t, &end, 0), *end != 0) || spi < 256 || spi > UINT32_MAX)
			return vx0_conf_fail(c, x ? sub : path, "\"spi\" must be a string like \"0x1001\" (256 .. 2^32-1; RFC 4303 2.1)");
		sa->spi = (uint32_t)spi;
		x = json_object_get(v, "direction");
		t = json_string_value(x);
		snprintf(sub, sizeof(sub), "%s.direction", path);
		if (t == NULL || (strcmp(t, "in") != 0 && strcmp(t, "out") != 0))
			return vx0_conf_fail(c, x ? sub : path, "\"direction\" must be \"in\" or \"out\"");
		sa->outbound = strcmp(t, "out") == 0;
		for (size_t k = 0; k < i; k++)
			if (conf->sas[k].spi == sa->spi && conf->sas[k].outbound == sa->outbound)
				return vx0_conf_fail(c, path, "SPI 0x%x is used twice in that direction", sa->spi);
		x = json_object_get(v, "alg");
		t = json_string_value(x);
		snprintf(sub, sizeof(sub), "%s.alg", path);
		if (t && (strcmp(t, "chacha20poly1305") == 0 || strcmp(t, "chacha20-poly1305") == 0))
			sa->alg = 1;
		else if (t && (strcmp(t, "aes256gcm16") == 0 || strcmp(t, "aes-256-gcm") == 0))
			sa->alg = 2;
		else
			return vx0_conf_fail(c, x ? sub : path, "\"alg\" must be \"chacha20poly1305\" or \"aes256gcm16\"");
		x = json_object_get(v, "key");
		snprintf(sub, sizeof(sub), "%s.key", path);
		if (!json_is_string(x) || vx0_conf_hexbytes(json_string_value(x), sa->key, sizeof(sa->key)) < 0)
			return vx0_conf_fail(c, x ? sub : path, "\"key\" must be 72 hex digits: the 32-byte key and the 4-byte salt");
		x = json_object_get(v, "local");
		snprintf(sub, sizeof(sub), "%s.local", path);
		if (!json_is_string(x) || vx0_conf_parse_addr(json_string_value(x), &l) < 0)
			return vx0_conf_fail(c, x ? sub : path, "\"local\" must be our tunnel address");
		x = json_object_get(v, "remote");
		snprintf(sub, sizeof(sub), "%s.remote", path);
		if (!json_is_string(x) || vx0_conf_parse_addr(json_string_value(x), &r) < 0 || r.family != l.family)
			return vx0_conf_fail(c, x ? sub : path, "\"remote\" must be the peer's tunnel address, of local's family");
		sa->family = l.family;
		memcpy(sa->local, l.addr, 16);
		memcpy(sa->remote, r.addr, 16);
		sa->esn = json_is_true(json_object_get(v, "esn"));
		if ((rc = vx0_conf_get_uint(c, path, v, "replay_window", &sa->replay_window, 1024, 64, 4096)) < 0)
			return rc;
		if (sa->replay_window & (sa->replay_window - 1)) {
			snprintf(sub, sizeof(sub), "%s.replay_window", path);
			return vx0_conf_fail(c, sub, "must be a power of two");
		}
		x = json_object_get(v, "udp_encap");
		if (x) {
			unsigned int sp, dp;
			char tail;

			snprintf(sub, sizeof(sub), "%s.udp_encap", path);
			if (!json_is_string(x) || sscanf(json_string_value(x), "%u:%u%c", &sp, &dp, &tail) != 2 ||
			    sp == 0 || dp == 0 || sp > 65535 || dp > 65535)
				return vx0_conf_fail(c, sub, "must be \"SPORT:DPORT\", like \"4500:4500\"");
			sa->udp_sport = (uint16_t)sp;
			sa->udp_dport = (uint16_t)dp;
		}
		x = json_object_get(v, "lifetime");
		if (x) {
			uint64_t *f[] = { &sa->soft_bytes, &sa->hard_bytes, &sa->soft_packets,
					  &sa->hard_packets, &sa->soft_seconds, &sa->hard_seconds };

			snprintf(sub, sizeof(sub), "%s.lifetime", path);
			if (!json_is_object(x))
				return vx0_conf_fail(c, sub, "must be an object");
			if ((rc = vx0_conf_check_keys(c, sub, x, lkeys)) < 0)
				return rc;
			for (int k = 0; k < 6; k++) {
				json_t *y = json_object_get(x, lkeys[k]);

				if (y && (!json_is_integer(y) || json_integer_value(y) < 0)) {
					char s2[200];

					snprintf(s2, sizeof(s2), "%s.%s", sub, lkeys[k]);
					return vx0_conf_fail(c, s2, "must be a non-negative integer");
				}
				*f[k] = y ? (uint64_t)json_integer_value(y) : 0;
			}
		}
	}
	return 0;
}

static int
parse_metrics(struct ctx *c, json_t *x, struct vx0_conf *conf)
{
	char path[64], msg[160];

	return vx0_conf_parse_metrics(x, conf, path, sizeof(path), msg, sizeof(msg)) < 0 ?
	       vx0_conf_fail(c, path, "%s", msg) : 0;
}

static int
parse_root(struct ctx *c, json_t *root, struct vx0_conf *conf)
{
	static const char *const keys[] = {
		"eal", "profile", "lcores", "ports", "routes", "neighbours",
		"exception_path", "icmp_rate_pps", "mbufs", "ring_size", "fib",
		"stop_after_idle_ms", "stats_json", "comment", "bgp", "crypto", "sas",
		"ike", "dht", "management", "metrics", "log", "onion", NULL };
	static const char *const ep_keys[] = { "tap", "rate_pps", "burst", "peer_rate_pps",
						"peer_burst", NULL };
	static const char *const fib_keys[] = { "max_routes4", "max_routes6", "max_next_hops", NULL };
	json_t *x;
	int rc;

	if (!json_is_object(root))
		return vx0_conf_fail(c, "", "the configuration must be a JSON object");
	if ((rc = vx0_conf_check_keys(c, "", root, keys)) < 0)
		return rc;
	if ((x = json_object_get(root, "eal")) && (rc = parse_eal(c, x, conf)) < 0)
		return rc;
	x = json_object_get(root, "profile");
	if (x) {
		const char *p = json_string_value(x);

		if (p && strcmp(p, "lab") == 0)
			conf->profile = VX0_PROFILE_LAB;
		else if (p && strcmp(p, "performance") == 0)
			conf->profile = VX0_PROFILE_PERF;
		else
			return vx0_conf_fail(c, "profile", "must be \"lab\" or \"performance\"");
	}
	if ((x = json_object_get(root, "lcores")) == NULL)
		return vx0_conf_fail(c, "", "missing \"lcores\"");
	if ((rc = parse_lcores(c, x, conf)) < 0)
		return rc;
	if ((x = json_object_get(root, "ports")) == NULL)
		return vx0_conf_fail(c, "", "missing \"ports\"");
	if ((rc = parse_ports(c, x, conf)) < 0)
		return rc;
	if ((x = json_object_get(root, "routes")) && (rc = parse_routes(c, x, conf)) < 0)
		return rc;
	if ((x = json_object_get(root, "neighbours")) && (rc = parse_neighbours(c, x, conf)) < 0)
		return rc;
	if ((x = json_object_get(root, "bgp")) && (rc = parse_bgp(c, x, conf)) < 0)
		return rc;
	if ((x = json_object_get(root, "metrics")) && parse_metrics(c, x, conf) < 0)
		return -EINVAL;
	snprintf(conf->crypto_engine, sizeof(conf->crypto_engine), "sodium");
	x = json_object_get(root, "crypto");
	if (x) {
		static const char *const ck[] = { "engine", "args", NULL };
		json_t *e;

		if (!json_is_object(x))
			return vx0_conf_fail(c, "crypto", "must be an object");
		if ((rc = vx0_conf_check_keys(c, "crypto", x, ck)) < 0)
			return rc;
		e = json_object_get(x, "engine");
		if (e && (!json_is_string(e) || strlen(json_string_value(e)) >= sizeof(conf->crypto_engine)))
			return vx0_conf_fail(c, "crypto.engine", "must be an engine name (\"sodium\", \"cryptodev\")");
		if (e)
			snprintf(conf->crypto_engine, sizeof(conf->crypto_engine), "%s", json_string_value(e));
		e = json_object_get(x, "args");
		if (e && (!json_is_string(e) || strlen(json_string_value(e)) >= sizeof(conf->crypto_args)))
			return vx0_conf_fail(c, "crypto.args", "must be a string of at most %zu characters",
				    sizeof(conf->crypto_args) - 1);
		if (e)
			snprintf(conf->crypto_args, sizeof(conf->crypto_args), "%s", json_string_value(e));
	}
	if ((x = json_object_get(root, "sas")) && (rc = parse_sas(c, x, conf)) < 0)
		return rc;
	if ((x = json_object_get(root, "ike")) && (rc = vx0_conf_parse_ike(c, x, conf)) < 0)
		return rc;
	if ((x = json_object_get(root, "dht")) && (rc = vx0_conf_parse_dht(c, x, conf)) < 0)
		return rc;
	if ((x = json_object_get(root, "onion")) && (rc = vx0_conf_parse_onion(c, x, conf)) < 0)
		return rc;
	if ((rc = vx0_conf_parse_mgmt(c, json_object_get(root, "management"), conf)) < 0 ||
	    (rc = vx0_conf_parse_log(c, json_object_get(root, "log"), conf)) < 0)
		return rc;
	for (unsigned int i = 0; i < conf->n_routes; i++) {
		const struct vx0_conf_route *r = &conf->routes[i];
		unsigned int k;
		char path[64];

		if (r->type != VX0_ROUTE_TUNNEL)
			continue;
		for (k = 0; k < conf->n_sas; k++)
			if (conf->sas[k].outbound && conf->sas[k].spi == r->sa_spi)
				break;
		if (k == conf->n_sas) {
			snprintf(path, sizeof(path), "routes[%u].sa", i);
			return vx0_conf_fail(c, path, "no outbound SA with SPI 0x%x in \"sas\"", r->sa_spi);
		}
	}
	conf->punt_tap = true;
	conf->punt_rate_pps = 10000;
	conf->punt_burst = 256;
	conf->peer_rate_pps = 100000;
	conf->peer_burst = 4096;
	x = json_object_get(root, "exception_path");
	if (x) {
		json_t *t;

		if (!json_is_object(x))
			return vx0_conf_fail(c, "exception_path", "must be an object");
		if ((rc = vx0_conf_check_keys(c, "exception_path", x, ep_keys)) < 0)
			return rc;
		t = json_object_get(x, "tap");
		if (t && !json_is_boolean(t))
			return vx0_conf_fail(c, "exception_path.tap", "must be true or false");
		if (t)
			conf->punt_tap = json_is_true(t);
		if ((rc = vx0_conf_get_uint(c, "exception_path", x, "rate_pps", &conf->punt_rate_pps, 10000, 1, 10000000)) < 0 ||
		    (rc = vx0_conf_get_uint(c, "exception_path", x, "burst", &conf->punt_burst, 256, 1, 1000000)) < 0 ||
		    (rc = vx0_conf_get_uint(c, "exception_path", x, "peer_rate_pps", &conf->peer_rate_pps,
					    100000, 1, 10000000)) < 0 ||
		    (rc = vx0_conf_get_uint(c, "exception_path", x, "peer_burst", &conf->peer_burst,
					    4096, 1, 1000000)) < 0)
			return rc;
	}
	if ((rc = vx0_conf_get_uint(c, "", root, "icmp_rate_pps", &conf->icmp_rate_pps, 1000, 0, 1000000)) < 0 ||
	    (rc = vx0_conf_get_uint(c, "", root, "mbufs", &conf->mbufs, 16383, 1023, 16777215)) < 0 ||
	    (rc = vx0_conf_get_uint(c, "", root, "ring_size", &conf->ring_size, 1024, 64, 65536)) < 0 ||
	    (rc = vx0_conf_get_uint(c, "", root, "stop_after_idle_ms", &conf->stop_after_idle_ms, 0, 0, 3600000)) < 0)
		return rc;
	if (conf->ring_size & (conf->ring_size - 1))
		return vx0_conf_fail(c, "ring_size", "must be a power of two");
	x = json_object_get(root, "fib");
	conf->max_routes4 = 65536;
	conf->max_routes6 = 16384;
	conf->max_nh = 4096;
	if (x) {
		if (!json_is_object(x))
			return vx0_conf_fail(c, "fib", "must be an object");
		if ((rc = vx0_conf_check_keys(c, "fib", x, fib_keys)) < 0 ||
		    (rc = vx0_conf_get_uint(c, "fib", x, "max_routes4", &conf->max_routes4, 65536, 16, 4000000)) < 0 ||
		    (rc = vx0_conf_get_uint(c, "fib", x, "max_routes6", &conf->max_routes6, 16384, 16, 4000000)) < 0 ||
		    (rc = vx0_conf_get_uint(c, "fib", x, "max_next_hops", &conf->max_nh, 4096, 16, 1u << 20)) < 0)
			return rc;
	}
	x = json_object_get(root, "stats_json");
	if (x) {
		if (!json_is_string(x) || strlen(json_string_value(x)) >= sizeof(conf->stats_json))
			return vx0_conf_fail(c, "stats_json", "must be a file path");
		snprintf(conf->stats_json, sizeof(conf->stats_json), "%s", json_string_value(x));
	}
	/* routes whose port is implied: find the connected subnet of the gateway */
	for (unsigned int i = 0; i < conf->n_routes; i++) {
		struct vx0_conf_route *r = &conf->routes[i];
		char path[64];

		if (r->type != VX0_ROUTE_VIA || r->port >= 0)
			continue;
		for (unsigned int p = 0; p < conf->n_ports && r->port < 0; p++)
			for (unsigned int a = 0; a < conf->ports[p].n_addrs; a++) {
				const struct vx0_conf_prefix *pa = &conf->ports[p].addrs[a];
				unsigned int bits = pa->len, k;

				if (pa->family != r->dst.family)
					continue;
				for (k = 0; k < bits; k++)
					if (((pa->addr[k / 8] ^ r->via[k / 8]) >> (7 - k % 8)) & 1)
						break;
				if (k == bits) {
					r->port = (int)p;
					break;
				}
			}
		if (r->port < 0) {
			snprintf(path, sizeof(path), "routes[%u].via", i);
			return vx0_conf_fail(c, path, "gateway is on no port's subnet; add \"port\"");
		}
	}
	return 0;
}

int
vx0_conf_load_string(const char *text, size_t len, const char *name,
		     struct vx0_conf *conf, char *err, size_t errlen)
{
	struct ctx c = { .text = text, .len = len, .name = name, .err = err, .errlen = errlen };
	json_error_t je;
	json_t *root;
	int rc;

	memset(conf, 0, sizeof(*conf));
	if (errlen)
		err[0] = 0;
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL) {
		snprintf(err, errlen, "%s:%d: %s", name, je.line, je.text);
		return -EINVAL;
	}
	rc = parse_root(&c, root, conf);
	json_decref(root);
	if (rc < 0)
		vx0_conf_free(conf);
	return rc;
}

int
vx0_conf_load_file(const char *path, struct vx0_conf *conf, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;
	int rc;

	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	if (fseek(f, 0, SEEK_END) < 0 || (n = ftell(f)) < 0 || n > (1 << 24) ||
	    fseek(f, 0, SEEK_SET) < 0) {
		fclose(f);
		snprintf(err, errlen, "%s: cannot read (or larger than 16 MiB)", path);
		return -EINVAL;
	}
	buf = malloc(n + 1);
	if (buf == NULL || fread(buf, 1, n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		snprintf(err, errlen, "%s: read error", path);
		return -EIO;
	}
	fclose(f);
	buf[n] = 0;
	rc = vx0_conf_load_string(buf, n, path, conf, err, errlen);
	free(buf);
	if (rc == 0)
		snprintf(conf->path, sizeof(conf->path), "%s", path);
	return rc;
}

void
vx0_conf_free(struct vx0_conf *conf)
{
	for (int i = 0; i < conf->eal_argc; i++)
		free(conf->eal_argv[i]);
	for (unsigned int i = 0; i < VX0_CONF_MAX_BGP_PEERS; i++) {
		vx0_conf_policy_free(conf->bgp.peers[i].import);
		vx0_conf_policy_free(conf->bgp.peers[i].export);
	}
	free(conf->routes);
	free(conf->neighbours);
	if (conf->sas)
		explicit_bzero(conf->sas, sizeof(*conf->sas) * conf->n_sas); /* keys */
	free(conf->sas);
	memset(conf, 0, sizeof(*conf));
}
