/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Kademlia DHT on the slow path: lib/dht's socket glue on the ctl event
 * loop, bound to one of the node's addresses (through the TAP exception
 * path), with its id and routing table persisted so a restart rejoins
 * fast. With identity and onion keys configured the node publishes its
 * signed descriptor (doc/descriptor.md) and republishes it before expiry.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>

#include <rte_malloc.h>
#include <sodium.h>

#include "vx0_ctl.h"
#include "vx0_dht.h"
#include "vx0_dht_sock.h"
#include "vx0_evloop.h"
#include "vx0_log.h"
#include "vx0_pipeline.h"

#define DHT_RESULTS 16

struct vx0_ctl_dht {
	struct vx0_ctl *ctl;
	json_t *results[DHT_RESULTS];   /* the last finished lookups, for dht.result */
	uint32_t result_id[DHT_RESULTS];
	unsigned int next_result;
	struct vx0_dht_sock *sock;
	uint8_t *id_seed, *onion_sk;     /* sodium_malloc'd (lib/dht) */
	struct vx0_dht_key *key;
	struct vx0_desc_publisher pub;
	bool publishing;
	struct vx0_timer timer;
	uint64_t published;
};

static void
on_event(void *arg, const struct vx0_dht_event *ev)
{
	struct vx0_ctl_dht *h = arg;
	unsigned int i;

	if (ev->type != VX0_DHT_EV_LOOKUP_DONE || ev->lookup == NULL)
		return;
	i = h->next_result++ % DHT_RESULTS;
	json_decref(h->results[i]);
	h->results[i] = vx0_dht_json_result(ev->lookup);
	h->result_id[i] = ev->lookup->lookup_id;
}

static void
on_timer(struct vx0_evloop *loop, struct vx0_timer *t, void *arg)
{
	struct vx0_ctl_dht *h = arg;

	if (h->publishing &&
	    vx0_desc_publisher_tick(&h->pub, vx0_dht_sock_dht(h->sock), vx0_dht_sock_now(h->sock),
				    (int64_t)time(NULL)) > 0) {
		h->published++;
		vx0_dht_sock_kick(h->sock);
	}
	vx0_timer_arm(loop, t, 1000);
}

static void
onion_endpoint(const struct vx0_conf_onion *o, struct vx0_dht_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->family = o->addr.family == AF_INET ? 4 : 6;
	a->port = o->port;
	memcpy(a->ip, o->addr.addr, a->family == 4 ? 4 : 16);
}

int
vx0_ctl_dht_start(struct vx0_ctl *ctl, char *err, size_t errlen)
{
	const struct vx0_conf_dht *c = &ctl->node->conf->dht;
	struct vx0_dht_sock_config sc;
	struct vx0_ctl_dht *h;
	int rc;

	if (!c->enabled)
		return 0;
	memset(&sc, 0, sizeof(sc));
	vx0_dht_config_default(&sc.dht);
	sc.dht.k = c->k;
	if (vx0_dht_addr_parse(c->bind, &sc.bind) < 0) {
		snprintf(err, errlen, "dht.bind: bad address");
		return -EINVAL;
	}
	for (unsigned int i = 0; i < c->n_bootstrap; i++)
		if (vx0_dht_addr_parse(c->bootstrap[i], &sc.bootstrap[sc.nbootstrap]) == 0)
			sc.nbootstrap++;
	sc.state_path = c->state_file[0] ? c->state_file : NULL;
	h = rte_zmalloc("vx0_dht", sizeof(*h), 0);
	if (h == NULL)
		return -ENOMEM;
	h->ctl = ctl;
	ctl->dht = h;
	h->sock = vx0_dht_sock_create(ctl->loop, &sc, on_event, h);
	if (h->sock == NULL) {
		snprintf(err, errlen, "dht: cannot bind %s (is it one of the node's addresses?)",
			 c->bind);
		return -EADDRNOTAVAIL;
	}
	if (c->identity_key_file[0]) {
		/* the relay's own keys when its onion section names them: the
		 * descriptor must describe the relay clients will meet */
		const struct vx0_conf_onion *oc = &ctl->node->conf->onion;
		bool own_id = oc->enabled && oc->identity_key_file[0];
		bool own_ok = oc->enabled && oc->onion_key_file[0];

		rc = vx0_dht_seed_load_or_create(own_id ? oc->identity_key_file :
						 c->identity_key_file, &h->id_seed);
		if (rc == 0)
			rc = vx0_dht_seed_load_or_create(own_ok ? oc->onion_key_file :
							 c->onion_key_file, &h->onion_sk);
		if (rc < 0) {
			snprintf(err, errlen, "dht: key files: %s", strerror(-rc));
			return rc;
		}
		h->key = vx0_dht_key_from_seed(h->id_seed);
		if (h->key == NULL)
			return -ENOMEM;
		memcpy(h->pub.desc.identity, vx0_dht_key_public(h->key), 32);
		crypto_scalarmult_base(h->pub.desc.onion, h->onion_sk);
		h->pub.desc.addrs[0] = sc.bind;
		h->pub.desc.naddrs = 1;
		/* `a` is where clients dial the relay (doc/descriptor.md): with an
		 * onion section that is the onion address and cell port, not ours */
		if (ctl->node->conf->onion.enabled)
			onion_endpoint(&ctl->node->conf->onion, &h->pub.desc.addrs[0]);
		h->pub.desc.tier = (uint8_t)c->tier;
		snprintf(h->pub.desc.exit_policy, sizeof(h->pub.desc.exit_policy), "%s",
			 c->exit_policy[0] ? c->exit_policy : "reject *:*");
		h->pub.key = h->key;
		h->pub.lifetime = 6 * 3600;
		h->pub.republish = 3600;
		h->publishing = true;
	}
	vx0_timer_init(&h->timer, on_timer, h);
	vx0_timer_arm(ctl->loop, &h->timer, 1000);
	return 0;
}

void
vx0_ctl_dht_stop(struct vx0_ctl *ctl)
{
	struct vx0_ctl_dht *h = ctl->dht;

	if (h == NULL)
		return;
	vx0_timer_cancel(ctl->loop, &h->timer);
	if (h->sock)
		vx0_dht_sock_destroy(h->sock); /* saves the state file */
	for (unsigned int i = 0; i < DHT_RESULTS; i++)
		json_decref(h->results[i]);
	vx0_dht_key_free(h->key);
	sodium_free(h->id_seed);
	sodium_free(h->onion_sk);
	rte_free(h);
	ctl->dht = NULL;
}

struct vx0_dht *
vx0_ctl_dht_node(struct vx0_ctl *ctl, uint64_t *published)
{
	*published = ctl->dht ? ctl->dht->published : 0;
	return ctl->dht ? vx0_dht_sock_dht(ctl->dht->sock) : NULL;
}

const uint8_t *
vx0_ctl_dht_identity(struct vx0_ctl *ctl)
{
	return ctl->dht && ctl->dht->publishing ? ctl->dht->pub.desc.identity : NULL;
}

/* --- management commands (registered by ctl_mgmt.c) --- */

static struct vx0_ctl_dht *
dht_of(void *arg, char *err, size_t errlen)
{
	struct vx0_node *node = arg;

	if (node->ctl->dht == NULL)
		snprintf(err, errlen, "the DHT is not configured");
	return node->ctl->dht;
}

static int
json_view(void *arg, json_t **result, char *err, size_t errlen, json_t *(*view)(const struct vx0_dht *))
{
	struct vx0_node *node = arg;
	struct vx0_ctl_dht *h;

	pthread_mutex_lock(&node->ctl->lock);
	h = dht_of(arg, err, errlen);
	if (h)
		*result = view(vx0_dht_sock_dht(h->sock));
	pthread_mutex_unlock(&node->ctl->lock);
	return h ? (*result ? 0 : -ENOMEM) : -ENOENT;
}

int
vx0_ctl_dht_cmd_table(json_t *args, json_t **result, char *err, size_t errlen, void *arg)
{
	(void)args;
	return json_view(arg, result, err, errlen, vx0_dht_json_table);
}

int
vx0_ctl_dht_cmd_items(json_t *args, json_t **result, char *err, size_t errlen, void *arg)
{
	(void)args;
	return json_view(arg, result, err, errlen, vx0_dht_json_items);
}

int
vx0_ctl_dht_cmd_lookups(json_t *args, json_t **result, char *err, size_t errlen, void *arg)
{
	(void)args;
	return json_view(arg, result, err, errlen, vx0_dht_json_lookups);
}

/* {value: STRING}: an immutable BEP 44 item (the value bencoded as a string) */
int
vx0_ctl_dht_cmd_put(json_t *args, json_t **result, char *err, size_t errlen, void *arg)
{
	struct vx0_node *node = arg;
	const char *v = json_string_value(json_object_get(args, "value"));
	uint8_t buf[1100], target[VX0_DHT_ID_LEN];
	char hex[2 * VX0_DHT_ID_LEN + 1];
	struct vx0_ctl_dht *h;
	int n, rc;

	if (v == NULL || strlen(v) == 0 || strlen(v) > 990) {
		snprintf(err, errlen, "\"value\" must be a string of 1 to 990 bytes (BEP 44: v <= 1000)");
		return -EINVAL;
	}
	n = snprintf((char *)buf, sizeof(buf), "%zu:%s", strlen(v), v);
	pthread_mutex_lock(&node->ctl->lock);
	h = dht_of(arg, err, errlen);
	rc = h ? vx0_dht_put_immutable(vx0_dht_sock_dht(h->sock), vx0_dht_sock_now(h->sock), buf,
				       (size_t)n, target) : -ENOENT;
	if (h && rc > 0)
		vx0_dht_sock_kick(h->sock);
	pthread_mutex_unlock(&node->ctl->lock);
	if (rc < 0) {
		if (h)
			snprintf(err, errlen, "put: %s", strerror(-rc));
		return rc;
	}
	sodium_bin2hex(hex, sizeof(hex), target, sizeof(target));
	*result = json_pack("{ss si}", "target", hex, "lookup", rc);
	return 0;
}

/* {target: 40 hex digits[, salt]}: a BEP 44 get; the result comes with dht.result */
int
vx0_ctl_dht_cmd_get(json_t *args, json_t **result, char *err, size_t errlen, void *arg)
{
	struct vx0_node *node = arg;
	const char *t = json_string_value(json_object_get(args, "target"));
	const char *salt = json_string_value(json_object_get(args, "salt"));
	uint8_t target[VX0_DHT_ID_LEN];
	size_t bin = 0;
	struct vx0_ctl_dht *h;
	int rc;

	if (t == NULL || strlen(t) != 40 ||
	    sodium_hex2bin(target, sizeof(target), t, 40, NULL, &bin, NULL) != 0 || bin != 20) {
		snprintf(err, errlen, "\"target\" must be 40 hex digits");
		return -EINVAL;
	}
	if (salt && strlen(salt) > 64) {
		snprintf(err, errlen, "\"salt\" is longer than 64 bytes (BEP 44)");
		return -EINVAL;
	}
	pthread_mutex_lock(&node->ctl->lock);
	h = dht_of(arg, err, errlen);
	rc = h ? vx0_dht_get(vx0_dht_sock_dht(h->sock), vx0_dht_sock_now(h->sock), target,
			     (const uint8_t *)salt, salt ? strlen(salt) : 0) : -ENOENT;
	if (h && rc > 0)
		vx0_dht_sock_kick(h->sock);
	pthread_mutex_unlock(&node->ctl->lock);
	if (rc < 0) {
		if (h)
			snprintf(err, errlen, "get: %s", strerror(-rc));
		return rc;
	}
	*result = json_pack("{si}", "lookup", rc);
	return 0;
}

/* {lookup: ID}: a finished lookup's result (the last 16 are kept) */
int
vx0_ctl_dht_cmd_result(json_t *args, json_t **result, char *err, size_t errlen, void *arg)
{
	struct vx0_node *node = arg;
	json_t *id = json_object_get(args, "lookup");
	struct vx0_ctl_dht *h;
	int rc = -ENOENT;

	if (!json_is_integer(id)) {
		snprintf(err, errlen, "\"lookup\" must be a lookup id");
		return -EINVAL;
	}
	pthread_mutex_lock(&node->ctl->lock);
	h = dht_of(arg, err, errlen);
	for (unsigned int i = 0; h && i < DHT_RESULTS; i++)
		if (h->results[i] && h->result_id[i] == (uint32_t)json_integer_value(id)) {
			*result = json_deep_copy(h->results[i]);
			rc = 0;
		}
	pthread_mutex_unlock(&node->ctl->lock);
	if (rc < 0 && h)
		snprintf(err, errlen, "lookup %lld is running, or unknown",
			 (long long)json_integer_value(id));
	return rc;
}
