/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vx0-client's relay directory from the DHT (doc/descriptor.md section 4,
 * doc/onion.md 14.2): join through --dht as a read-only node (BEP 43), then
 * per tier a get_peers lookup on the index key of this epoch and the last,
 * one direct BEP 44 get to each announcing node, and each returned
 * descriptor verified (signature, salt, validity) before it enters the
 * directory, which it leaves when the descriptor's validity ends. Circuits
 * start once the first collection had time to finish; the directory is
 * refreshed every COLLECT_EVERY_MS.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <sodium.h>

#include "vx0_client.h"
#include "vx0_dht_sock.h"
#include "vx0_log.h"

#define FIRST_COLLECT_MS  1000     /* after the bootstrap lookup began */
#define COLLECT_EVERY_MS  600000
#define RETRY_MS          2000     /* nothing found yet: collect again */
#define MAX_PENDING       256

struct pending {
	uint32_t id;
	uint8_t tier;
	uint8_t key[VX0_DHT_ID_LEN];
	int fetch; /* 0: the index get_peers, 1: a descriptor fetch */
};

struct vx0c_dht {
	struct vx0_evloop *loop;
	struct vx0_dht_sock *sock;
	struct vx0c *cl;
	struct vx0c_events *ev;
	unsigned int tiers, wait_ms;
	struct vx0_onion_dir *dir;
	int64_t valid_until[VX0_ONION_DIR_MAX]; /* of dir->r[i]'s descriptor */
	struct pending p[MAX_PENDING];
	unsigned int np;
	struct vx0_timer collect, ready;
	int started;
	uint64_t descriptors, rejected;
};

int
vx0c_dht_check(const struct vx0c_opts *o, char *err, size_t errlen)
{
	struct vx0_dht_addr a;

	if (vx0_dht_addr_parse(o->dht, &a) != 0) {
		snprintf(err, errlen, "--dht %s: IP:PORT or [IPv6]:PORT", o->dht);
		return -EINVAL;
	}
	if (o->forced) {
		snprintf(err, errlen, "--path needs --descriptors (DHT relays have no fixed names)");
		return -EINVAL;
	}
	return 0;
}

/* The local address the kernel would use toward the bootstrap node: the
 * DHT socket binds a specific address (vx0_dht_sock_config). */
static int
local_addr_toward(const struct vx0_dht_addr *to, unsigned int port, struct vx0_dht_addr *out)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, rc = 0;

	memset(&ss, 0, sizeof(ss));
	memset(out, 0, sizeof(*out));
	if (to->family == 4) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(to->port);
		memcpy(&s4->sin_addr, to->ip, 4);
		sl = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(to->port);
		memcpy(&s6->sin6_addr, to->ip, 16);
		sl = sizeof(*s6);
	}
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
		rc = -errno;
	close(fd);
	if (rc < 0)
		return rc;
	out->family = to->family;
	out->port = (uint16_t)port;
	if (to->family == 4)
		memcpy(out->ip, &((struct sockaddr_in *)&ss)->sin_addr, 4);
	else
		memcpy(out->ip, &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
	return 0;
}

static void
add_pending(struct vx0c_dht *d, int id, uint8_t tier, const uint8_t *key, int fetch)
{
	if (id <= 0 || d->np == MAX_PENDING)
		return;
	d->p[d->np].id = (uint32_t)id;
	d->p[d->np].tier = tier;
	memcpy(d->p[d->np].key, key, VX0_DHT_ID_LEN);
	d->p[d->np].fetch = fetch;
	d->np++;
}

/* Relays whose descriptor ran out leave the directory. */
static void
expire(struct vx0c_dht *d)
{
	int64_t now = (int64_t)time(NULL);
	unsigned int i, o = 0;

	for (i = 0; i < d->dir->n; i++) {
		if (d->valid_until[i] <= now)
			continue;
		d->dir->r[o] = d->dir->r[i];
		d->valid_until[o++] = d->valid_until[i];
	}
	if (o != d->dir->n) {
		d->dir->n = o;
		if (d->started)
			vx0c_set_dir(d->cl, d->dir);
	}
}

static void
collect(struct vx0_evloop *loop, struct vx0_timer *t, void *arg)
{
	struct vx0c_dht *d = arg;
	struct vx0_dht *dht = vx0_dht_sock_dht(d->sock);
	uint64_t now = vx0_dht_sock_now(d->sock);
	uint32_t epoch = (uint32_t)(time(NULL) / VX0_DESC_EPOCH);
	uint8_t key[VX0_DHT_ID_LEN];
	unsigned int tier, back;

	expire(d);
	for (tier = 1; tier <= 3; tier++) {
		if (!(d->tiers & (1u << tier)))
			continue;
		/* this epoch and the last: nodes announce at their epoch change */
		for (back = 0; back < 2; back++) {
			vx0_desc_index_key((uint8_t)tier, epoch - back, key);
			add_pending(d, vx0_dht_get_peers(dht, now, key), (uint8_t)tier, key, 0);
		}
	}
	vx0_dht_sock_kick(d->sock);
	vx0_timer_arm(loop, t, d->started ? COLLECT_EVERY_MS : RETRY_MS);
}

static void
on_lookup(void *arg, const struct vx0_dht_event *ev)
{
	struct vx0c_dht *d = arg;
	const struct vx0_dht_lookup_result *r = ev->lookup;
	struct vx0_dht *dht = vx0_dht_sock_dht(d->sock);
	uint64_t now = vx0_dht_sock_now(d->sock);
	struct pending p;
	unsigned int i;

	if (ev->type != VX0_DHT_EV_LOOKUP_DONE)
		return;
	for (i = 0; i < d->np; i++)
		if (d->p[i].id == r->lookup_id)
			break;
	if (i == d->np)
		return; /* the bootstrap walk */
	p = d->p[i];
	d->p[i] = d->p[--d->np];
	if (!p.fetch) {
		/* the index named the announcing nodes' DHT endpoints: ask each
		 * directly for its descriptor (served on the index key) */
		for (i = 0; i < r->npeers && i < VX0_DHT_MAX_RESULT_PEERS; i++)
			add_pending(d, vx0_dht_fetch(dht, now, &r->peers[i], 1, p.key,
						     (const uint8_t *)VX0_DESC_SALT,
						     strlen(VX0_DESC_SALT)), p.tier, p.key, 1);
		vx0_dht_sock_kick(d->sock);
		return;
	}
	if (r->have_item) {
		struct vx0_desc desc;
		struct vx0_onion_relay_info ri;

		if (vx0_desc_from_item(&r->item, (int64_t)time(NULL), &desc) == 0 &&
		    desc.tier == p.tier && vx0_onion_relay_from_desc(&desc, 0, &ri) == 0 &&
		    vx0_onion_dir_add(d->dir, &ri) == 0) {
			d->valid_until[vx0_onion_dir_find_id(d->dir, ri.desc.id)] = desc.valid_until;
			d->descriptors++;
			if (d->started)
				vx0c_set_dir(d->cl, d->dir);
		} else {
			d->rejected++;
		}
	}
}

/* After --dht-wait: hand the directory over and start building. */
static void
ready(struct vx0_evloop *loop, struct vx0_timer *t, void *arg)
{
	struct vx0c_dht *d = arg;

	if (d->dir->n == 0) {
		vx0c_event(d->ev, "directory", "{s:s, s:i}", "source", "dht", "relays", 0);
		vx0_timer_arm(loop, t, RETRY_MS);
		return;
	}
	vx0c_event(d->ev, "directory", "{s:s, s:i, s:I}", "source", "dht", "relays",
		   (int)d->dir->n, "rejected", (json_int_t)d->rejected);
	vx0c_set_dir(d->cl, d->dir);
	d->started = 1;
	vx0c_start(d->cl);
	vx0_timer_arm(loop, &d->collect, COLLECT_EVERY_MS);
}

struct vx0c_dht *
vx0c_dht_new(struct vx0_evloop *loop, const struct vx0c_opts *o, struct vx0c *cl,
	     struct vx0c_events *ev, char *err, size_t errlen)
{
	struct vx0_dht_sock_config cfg;
	struct vx0c_dht *d = calloc(1, sizeof(*d));
	int rc;

	if (d == NULL || (d->dir = calloc(1, sizeof(*d->dir))) == NULL) {
		free(d);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	d->loop = loop;
	d->cl = cl;
	d->ev = ev;
	d->tiers = o->dht_tiers;
	d->wait_ms = o->dht_wait_ms;
	memset(&cfg, 0, sizeof(cfg));
	vx0_dht_config_default(&cfg.dht);
	cfg.dht.read_only = true; /* a client serves nobody (BEP 43) */
	vx0_dht_addr_parse(o->dht, &cfg.bootstrap[0]); /* checked by vx0c_dht_check */
	cfg.nbootstrap = 1;
	rc = local_addr_toward(&cfg.bootstrap[0], o->dht_port, &cfg.bind);
	if (rc < 0) {
		snprintf(err, errlen, "--dht %s: no route (%s)", o->dht, strerror(-rc));
		goto fail;
	}
	d->sock = vx0_dht_sock_create(loop, &cfg, on_lookup, d);
	if (d->sock == NULL) {
		snprintf(err, errlen, "--dht: cannot open the DHT socket");
		goto fail;
	}
	vx0_timer_init(&d->collect, collect, d);
	vx0_timer_init(&d->ready, ready, d);
	vx0_timer_arm(loop, &d->collect, FIRST_COLLECT_MS);
	vx0_timer_arm(loop, &d->ready, d->wait_ms);
	return d;
fail:
	free(d->dir);
	free(d);
	return NULL;
}

void
vx0c_dht_free(struct vx0c_dht *d)
{
	if (d == NULL)
		return;
	vx0_timer_cancel(d->loop, &d->collect);
	vx0_timer_cancel(d->loop, &d->ready);
	vx0_dht_sock_destroy(d->sock);
	free(d->dir);
	free(d);
}
