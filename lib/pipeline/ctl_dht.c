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

#include <rte_malloc.h>
#include <sodium.h>

#include "vx0_ctl.h"
#include "vx0_dht.h"
#include "vx0_dht_sock.h"
#include "vx0_evloop.h"
#include "vx0_log.h"

struct vx0_ctl_dht {
	struct vx0_ctl *ctl;
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
	(void)arg;
	(void)ev; /* lookups finished: counted in the node's stats */
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
		rc = vx0_dht_seed_load_or_create(c->identity_key_file, &h->id_seed);
		if (rc == 0)
			rc = vx0_dht_seed_load_or_create(c->onion_key_file, &h->onion_sk);
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
