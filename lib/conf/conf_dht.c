/* SPDX-License-Identifier: BSD-3-Clause */
/* The "dht" section: the node's Kademlia DHT and its descriptor. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "conf_priv.h"

/* "ADDR:PORT" / "[ADDR6]:PORT" with a specific address (replies must come
 * from exactly the address a peer queried). */
static bool
good_endpoint(const char *s)
{
	struct vx0_conf_prefix p;
	char a[64];
	const char *colon;
	unsigned long port;
	char *end;
	size_t n;

	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		if (rb == NULL || rb[1] != ':')
			return false;
		n = (size_t)(rb - s - 1);
		if (n == 0 || n >= sizeof(a))
			return false;
		memcpy(a, s + 1, n);
		colon = rb + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL || (n = (size_t)(colon - s)) == 0 || n >= sizeof(a))
			return false;
		memcpy(a, s, n);
	}
	a[n] = 0;
	port = strtoul(colon + 1, &end, 10);
	if (*end != 0 || port == 0 || port > 65535 || colon[1] == 0)
		return false;
	return vx0_conf_parse_addr(a, &p) == 0;
}

static int
str_into(struct ctx *c, json_t *o, const char *key, char *out, size_t n, bool required)
{
	json_t *x = json_object_get(o, key);
	char path[64];

	snprintf(path, sizeof(path), "dht.%s", key);
	out[0] = 0;
	if (x == NULL)
		return required ? vx0_conf_fail(c, "dht", "missing \"%s\"", key) : 0;
	if (!json_is_string(x) || strlen(json_string_value(x)) >= n || json_string_value(x)[0] == 0)
		return vx0_conf_fail(c, path, "must be a non-empty string of at most %zu characters", n - 1);
	snprintf(out, n, "%s", json_string_value(x));
	return 0;
}

int
vx0_conf_parse_dht(struct ctx *c, json_t *d, struct vx0_conf *conf)
{
	static const char *const keys[] = { "bind", "bootstrap", "k", "state_file",
					    "identity_key_file", "onion_key_file", "tier",
					    "exit_policy", NULL };
	struct vx0_conf_dht *h = &conf->dht;
	json_t *x, *v;
	size_t i;
	int rc;

	if (!json_is_object(d))
		return vx0_conf_fail(c, "dht", "must be an object");
	if ((rc = vx0_conf_check_keys(c, "dht", d, keys)) < 0 ||
	    (rc = str_into(c, d, "bind", h->bind, sizeof(h->bind), true)) < 0 ||
	    (rc = str_into(c, d, "state_file", h->state_file, sizeof(h->state_file), false)) < 0 ||
	    (rc = str_into(c, d, "identity_key_file", h->identity_key_file,
			   sizeof(h->identity_key_file), false)) < 0 ||
	    (rc = str_into(c, d, "onion_key_file", h->onion_key_file,
			   sizeof(h->onion_key_file), false)) < 0 ||
	    (rc = str_into(c, d, "exit_policy", h->exit_policy, sizeof(h->exit_policy), false)) < 0 ||
	    (rc = vx0_conf_get_uint(c, "dht", d, "k", &h->k, 8, 2, 64)) < 0 ||
	    (rc = vx0_conf_get_uint(c, "dht", d, "tier", &h->tier, 1, 1, 3)) < 0)
		return rc;
	if (!good_endpoint(h->bind))
		return vx0_conf_fail(c, "dht.bind", "must be a specific address and port, like \"198.51.100.1:6881\"");
	if (!!h->identity_key_file[0] != !!h->onion_key_file[0])
		return vx0_conf_fail(c, "dht", "descriptor publishing needs both \"identity_key_file\" and \"onion_key_file\"");
	x = json_object_get(d, "bootstrap");
	if (x && (!json_is_array(x) || json_array_size(x) > VX0_CONF_MAX_DHT_BOOTSTRAP))
		return vx0_conf_fail(c, "dht.bootstrap", "must be an array of at most %d \"ADDR:PORT\"",
				     VX0_CONF_MAX_DHT_BOOTSTRAP);
	json_array_foreach(x, i, v) {
		char path[64];

		snprintf(path, sizeof(path), "dht.bootstrap[%zu]", i);
		if (!json_is_string(v) || strlen(json_string_value(v)) >= sizeof(h->bootstrap[0]) ||
		    !good_endpoint(json_string_value(v)))
			return vx0_conf_fail(c, path, "must be \"ADDR:PORT\"");
		snprintf(h->bootstrap[i], sizeof(h->bootstrap[i]), "%s", json_string_value(v));
	}
	h->n_bootstrap = x ? json_array_size(x) : 0;
	h->enabled = true;
	return 0;
}
