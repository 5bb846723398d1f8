/* SPDX-License-Identifier: BSD-3-Clause */
/* The "ike" section: IKEv2 peers whose CHILD_SAs key the ESP links. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "conf_priv.h"

static int
str_field(struct ctx *c, const char *path, json_t *o, const char *key, char *out, size_t n)
{
	json_t *x = json_object_get(o, key);
	char sub[200];

	out[0] = 0;
	if (x == NULL)
		return 0;
	snprintf(sub, sizeof(sub), "%s.%s", path, key);
	if (!json_is_string(x) || strlen(json_string_value(x)) >= n)
		return vx0_conf_fail(c, sub, "must be a string of at most %zu characters", n - 1);
	snprintf(out, n, "%s", json_string_value(x));
	return 0;
}

static int
ts_list(struct ctx *c, const char *path, json_t *o, const char *key,
	struct vx0_conf_prefix *ts, unsigned int *n)
{
	json_t *x = json_object_get(o, key), *v;
	char sub[200];
	size_t i;

	snprintf(sub, sizeof(sub), "%s.%s", path, key);
	if (!json_is_array(x) || json_array_size(x) == 0 || json_array_size(x) > VX0_CONF_MAX_TS)
		return vx0_conf_fail(c, x ? sub : path, "\"%s\" must list 1 to %d prefixes", key,
				     VX0_CONF_MAX_TS);
	json_array_foreach(x, i, v) {
		char s2[220];

		snprintf(s2, sizeof(s2), "%s[%zu]", sub, i);
		if (!json_is_string(v) || vx0_conf_parse_prefix(json_string_value(v), &ts[i], true, true) < 0)
			return vx0_conf_fail(c, s2, "must be a prefix like \"198.51.100.0/25\"");
	}
	*n = json_array_size(x);
	return 0;
}

int
vx0_conf_parse_ike(struct ctx *c, json_t *ike, struct vx0_conf *conf)
{
	static const char *const keys[] = { "local", "dpd_ms", "peers", "debug_keys_file",
					    "retransmit_base_ms", "retransmit_tries", NULL };
	static const char *const pkeys[] = { "name", "address", "local_id", "remote_id",
		"psk_file", "ed25519_key_file", "peer_public_key", "initiate", "pfs", "esp",
		"local_ts", "remote_ts", "child_lifetime_s", "ike_lifetime_s", NULL };
	struct vx0_conf_ike *k = &conf->ike;
	struct vx0_conf_prefix p;
	json_t *x, *pe;
	size_t i, j;
	char path[64], sub[200];
	int rc;

	if (!json_is_object(ike))
		return vx0_conf_fail(c, "ike", "must be an object");
	if ((rc = vx0_conf_check_keys(c, "ike", ike, keys)) < 0)
		return rc;
	x = json_object_get(ike, "local");
	if (!json_is_string(x) || vx0_conf_parse_addr(json_string_value(x), &p) < 0)
		return vx0_conf_fail(c, x ? "ike.local" : "ike", "\"local\" must be our IKE address");
	k->family = p.family;
	memcpy(k->local, p.addr, 16);
	if ((rc = vx0_conf_get_uint(c, "ike", ike, "dpd_ms", &k->dpd_ms, 10000, 0, 3600000)) < 0 ||
	    (rc = vx0_conf_get_uint(c, "ike", ike, "retransmit_base_ms", &k->retransmit_base_ms, 0,
				    0, 60000)) < 0 ||
	    (rc = vx0_conf_get_uint(c, "ike", ike, "retransmit_tries", &k->retransmit_tries, 0,
				    0, 20)) < 0 ||
	    (rc = str_field(c, "ike", ike, "debug_keys_file", k->debug_keys_file,
			    sizeof(k->debug_keys_file))) < 0)
		return rc;
	x = json_object_get(ike, "peers");
	if (!json_is_array(x) || json_array_size(x) > VX0_CONF_MAX_IKE_PEERS)
		return vx0_conf_fail(c, x ? "ike.peers" : "ike", "\"peers\" must be an array of at most %d",
				     VX0_CONF_MAX_IKE_PEERS);
	json_array_foreach(x, i, pe) {
		struct vx0_conf_ike_peer *ip = &k->peers[i];
		json_t *y;

		snprintf(path, sizeof(path), "ike.peers[%zu]", i);
		if (!json_is_object(pe))
			return vx0_conf_fail(c, path, "must be an object");
		if ((rc = vx0_conf_check_keys(c, path, pe, pkeys)) < 0)
			return rc;
		y = json_object_get(pe, "address");
		snprintf(sub, sizeof(sub), "%s.address", path);
		if (!json_is_string(y) || vx0_conf_parse_addr(json_string_value(y), &p) < 0 || p.family != k->family)
			return vx0_conf_fail(c, y ? sub : path,
					     "\"address\" must be the peer's address, of ike.local's family");
		ip->family = p.family;
		memcpy(ip->addr, p.addr, 16);
		if ((rc = str_field(c, path, pe, "name", ip->name, sizeof(ip->name))) < 0 ||
		    (rc = str_field(c, path, pe, "local_id", ip->local_id, sizeof(ip->local_id))) < 0 ||
		    (rc = str_field(c, path, pe, "remote_id", ip->remote_id, sizeof(ip->remote_id))) < 0 ||
		    (rc = str_field(c, path, pe, "psk_file", ip->psk_file, sizeof(ip->psk_file))) < 0 ||
		    (rc = str_field(c, path, pe, "ed25519_key_file", ip->ed25519_key_file,
				    sizeof(ip->ed25519_key_file))) < 0)
			return rc;
		y = json_object_get(pe, "peer_public_key");
		if (y) {
			snprintf(sub, sizeof(sub), "%s.peer_public_key", path);
			if (!json_is_string(y) || vx0_conf_hexbytes(json_string_value(y), ip->peer_pk, 32) < 0)
				return vx0_conf_fail(c, sub, "must be 64 hex digits (an Ed25519 public key)");
			ip->ed25519 = true;
		}
		if (ip->ed25519 == !!ip->psk_file[0] || (ip->ed25519 && !ip->ed25519_key_file[0]))
			return vx0_conf_fail(c, path, "give either \"psk_file\", or \"ed25519_key_file\" "
					     "and \"peer_public_key\"");
		ip->initiate = json_is_true(json_object_get(pe, "initiate"));
		ip->pfs = json_is_true(json_object_get(pe, "pfs"));
		y = json_object_get(pe, "esp");
		if (y == NULL) {
			ip->esp_algs[0] = 1;
			ip->esp_algs[1] = 2;
			ip->n_esp_algs = 2;
		} else {
			json_t *a;

			snprintf(sub, sizeof(sub), "%s.esp", path);
			if (!json_is_array(y) || json_array_size(y) == 0 || json_array_size(y) > 2)
				return vx0_conf_fail(c, sub, "must list 1 or 2 of \"chacha20poly1305\", \"aes256gcm16\"");
			json_array_foreach(y, j, a) {
				const char *t = json_string_value(a);

				if (t && strcmp(t, "chacha20poly1305") == 0)
					ip->esp_algs[j] = 1;
				else if (t && strcmp(t, "aes256gcm16") == 0)
					ip->esp_algs[j] = 2;
				else
					return vx0_conf_fail(c, sub, "unknown algorithm (chacha20poly1305, aes256gcm16)");
			}
			ip->n_esp_algs = json_array_size(y);
		}
		if ((rc = ts_list(c, path, pe, "local_ts", ip->local_ts, &ip->n_local_ts)) < 0 ||
		    (rc = ts_list(c, path, pe, "remote_ts", ip->remote_ts, &ip->n_remote_ts)) < 0 ||
		    (rc = vx0_conf_get_uint(c, path, pe, "child_lifetime_s", &ip->child_lifetime_s,
					    3600, 20, 86400 * 7)) < 0 ||
		    (rc = vx0_conf_get_uint(c, path, pe, "ike_lifetime_s", &ip->ike_lifetime_s,
					    14400, 60, 86400 * 30)) < 0)
			return rc;
	}
	k->n_peers = json_array_size(x);
	k->enabled = true;
	return 0;
}
