/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Lab program: one DHT node on a UDP socket, driven by line commands on
 * stdin, answering with one JSON object per line on stdout (for dts/).
 *
 *   dht_node --bind IP:PORT [--bootstrap IP:PORT]... [--k N] [--state FILE]
 *            [--bep42] [--config FILE.json]
 *
 *            [--identity FILE --tier N [--exit POLICY] [--onion-addr IP:PORT]]
 *
 * Commands: dump | save | stats | bootstrap ADDR... | ping ADDR |
 *   find_node HEX | get_peers HEX | announce HEX PORT | get HEX [SALT] |
 *   put_immutable BENC | put_mutable SEEDHEX SALT|- SEQ BENC |
 *   key SEEDHEX [SALT] | publish | collect TIER | descriptor IDHEX | quit
 * With --identity (a seed file, created 0600 if missing; the onion key's
 * seed lives in FILE.onion) the node publishes its vx0 descriptor at start
 * (its address: --onion-addr, where its onion relay listens, else the DHT
 * socket's) and republishes it from a timer; "collect" gathers a tier's descriptors
 * through the index (doc/descriptor.md) and "descriptor" looks one up.
 * Lookups answer {"cmd":..,"lookup_id":N} at once and
 * {"event":"lookup_done",...} when finished.
 */
#include <errno.h>
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "vx0_dht_sock.h"
#include "vx0_evloop.h"

#define MAX_FETCH 64

struct app {
	struct vx0_evloop *loop;
	struct vx0_dht_sock *sock;
	char line[8192];
	size_t llen;
	/* descriptors */
	struct vx0_dht_key *identity;
	struct vx0_desc_publisher pub;
	struct vx0_timer pub_timer;
	uint32_t collect_id;            /* get_peers of a collection */
	uint8_t collect_tier;
	uint8_t collect_key[20];
	uint32_t fetch_ids[MAX_FETCH];
	unsigned int nfetch;
	json_t *collected;
	uint32_t desc_get_id;
};

static void emit(json_t *o);

static json_t *
desc_json(const struct vx0_desc *d)
{
	json_t *o = json_object(), *addrs = json_array();
	char hx[65], a[64];
	unsigned int i;

	sodium_bin2hex(hx, sizeof(hx), d->identity, 32);
	json_object_set_new(o, "identity", json_string(hx));
	sodium_bin2hex(hx, sizeof(hx), d->onion, 32);
	json_object_set_new(o, "onion", json_string(hx));
	for (i = 0; i < d->naddrs; i++) {
		vx0_dht_addr_format(&d->addrs[i], a, sizeof(a));
		json_array_append_new(addrs, json_string(a));
	}
	json_object_set_new(o, "addrs", addrs);
	json_object_set_new(o, "tier", json_integer(d->tier));
	json_object_set_new(o, "exit", json_string(d->exit_policy));
	json_object_set_new(o, "valid_after", json_integer(d->valid_after));
	json_object_set_new(o, "valid_until", json_integer(d->valid_until));
	return o;
}

static void
collect_step(struct app *a, const struct vx0_dht_lookup_result *r)
{
	struct vx0_dht *dht = vx0_dht_sock_dht(a->sock);
	uint64_t now = vx0_dht_sock_now(a->sock);
	unsigned int i;

	if (r->lookup_id == a->collect_id) {
		/* the index gave DHT endpoints: ask each for its descriptor */
		a->collect_id = 0;
		for (i = 0; i < r->npeers && a->nfetch < MAX_FETCH; i++) {
			int id = vx0_dht_fetch(dht, now, &r->peers[i], 1, a->collect_key,
					       (const uint8_t *)VX0_DESC_SALT,
					       strlen(VX0_DESC_SALT));

			if (id > 0)
				a->fetch_ids[a->nfetch++] = (uint32_t)id;
		}
	} else {
		for (i = 0; i < a->nfetch; i++) {
			struct vx0_desc d;

			if (a->fetch_ids[i] != r->lookup_id)
				continue;
			a->fetch_ids[i] = a->fetch_ids[--a->nfetch];
			if (r->have_item && vx0_desc_from_item(&r->item, time(NULL), &d) == 0 &&
			    d.tier == a->collect_tier)
				json_array_append_new(a->collected, desc_json(&d));
			break;
		}
	}
	if (a->collect_id == 0 && a->nfetch == 0 && a->collected) {
		json_t *o = json_object();

		json_object_set_new(o, "event", json_string("collected"));
		json_object_set_new(o, "tier", json_integer(a->collect_tier));
		json_object_set_new(o, "descriptors", a->collected);
		a->collected = NULL;
		emit(o);
	}
}

static void
emit(json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT);

	if (s) {
		printf("%s\n", s);
		fflush(stdout);
		free(s);
	}
	json_decref(o);
}

static void
reply(const char *cmd, int rc, json_t *extra)
{
	json_t *o = extra ? extra : json_object();

	json_object_set_new(o, "cmd", json_string(cmd));
	json_object_set_new(o, "ok", json_boolean(rc >= 0));
	if (rc < 0)
		json_object_set_new(o, "error", json_string(strerror(-rc)));
	emit(o);
}

static void
on_event(void *arg, const struct vx0_dht_event *ev)
{
	struct app *a = arg;
	json_t *o;
	unsigned int i;

	if (ev->type != VX0_DHT_EV_LOOKUP_DONE)
		return;
	o = vx0_dht_json_result(ev->lookup);
	json_object_set_new(o, "event", json_string("lookup_done"));
	emit(o);
	if (a->desc_get_id && ev->lookup->lookup_id == a->desc_get_id) {
		struct vx0_desc d;
		int rc = ev->lookup->have_item ?
			vx0_desc_from_item(&ev->lookup->item, time(NULL), &d) : -ENOENT;

		a->desc_get_id = 0;
		o = rc == 0 ? desc_json(&d) : json_object();
		json_object_set_new(o, "event", json_string("descriptor"));
		json_object_set_new(o, "ok", json_boolean(rc == 0));
		emit(o);
	}
	if (a->collected) {
		bool mine = ev->lookup->lookup_id == a->collect_id;

		for (i = 0; i < a->nfetch; i++)
			mine |= a->fetch_ids[i] == ev->lookup->lookup_id;
		if (mine)
			collect_step(a, ev->lookup);
	}
}

/* Publish or republish (every minute the publisher decides). */
static int
publish(struct app *a)
{
	return vx0_desc_publisher_tick(&a->pub, vx0_dht_sock_dht(a->sock),
				       vx0_dht_sock_now(a->sock), time(NULL));
}

static void
on_pub_timer(struct vx0_evloop *loop, struct vx0_timer *t, void *arg)
{
	struct app *a = arg;

	/* before the node knows anyone the put fails: try again soon */
	int rc = publish(a);

	vx0_dht_sock_kick(a->sock);
	vx0_timer_arm(loop, t, rc < 0 ? 5000 : 60000);
}

static int
unhex(const char *s, uint8_t *out, size_t max, size_t *len)
{
	return sodium_hex2bin(out, max, s, strlen(s), NULL, len, NULL);
}

static void
lookup_reply(const char *cmd, int rc)
{
	json_t *o = json_object();

	if (rc > 0)
		json_object_set_new(o, "lookup_id", json_integer(rc));
	reply(cmd, rc, o);
}

static void
command(struct app *a, char *line)
{
	struct vx0_dht *dht = vx0_dht_sock_dht(a->sock);
	uint64_t now = vx0_dht_sock_now(a->sock);
	char *argv[8], *save = NULL, *tok;
	int argc = 0, rc = -EINVAL;
	uint8_t target[20];
	size_t len;

	for (tok = strtok_r(line, " \t\r", &save); tok && argc < 8;
	     tok = strtok_r(NULL, " \t\r", &save))
		argv[argc++] = tok;
	if (argc == 0)
		return;
	if (!strcmp(argv[0], "quit")) {
		vx0_evloop_stop(a->loop);
		reply("quit", 0, NULL);
		return;
	} else if (!strcmp(argv[0], "dump")) {
		json_t *o = json_object();

		json_object_set_new(o, "table", vx0_dht_json_table(dht));
		json_object_set_new(o, "items", vx0_dht_json_items(dht));
		json_object_set_new(o, "lookups", vx0_dht_json_lookups(dht));
		json_object_set_new(o, "stats", vx0_dht_json_stats(dht));
		reply("dump", 0, o);
		return;
	} else if (!strcmp(argv[0], "stats")) {
		reply("stats", 0, vx0_dht_json_stats(dht));
		return;
	} else if (!strcmp(argv[0], "save")) {
		reply("save", vx0_dht_sock_save(a->sock), NULL);
		return;
	} else if (!strcmp(argv[0], "bootstrap") && argc >= 2) {
		struct vx0_dht_addr addrs[7];
		int i;

		for (i = 1; i < argc; i++)
			if (vx0_dht_addr_parse(argv[i], &addrs[i - 1]) != 0)
				break;
		if (i == argc)
			rc = vx0_dht_bootstrap(dht, now, addrs, (unsigned int)argc - 1);
		lookup_reply("bootstrap", rc);
	} else if (!strcmp(argv[0], "ping") && argc == 2) {
		struct vx0_dht_addr ad;

		if (vx0_dht_addr_parse(argv[1], &ad) == 0)
			rc = vx0_dht_ping(dht, now, &ad);
		reply("ping", rc, NULL);
	} else if ((!strcmp(argv[0], "find_node") || !strcmp(argv[0], "get_peers") ||
		    !strcmp(argv[0], "get") || !strcmp(argv[0], "announce")) && argc >= 2) {
		if (unhex(argv[1], target, 20, &len) == 0 && len == 20) {
			if (!strcmp(argv[0], "find_node"))
				rc = vx0_dht_find_node(dht, now, target);
			else if (!strcmp(argv[0], "get_peers"))
				rc = vx0_dht_get_peers(dht, now, target);
			else if (!strcmp(argv[0], "announce"))
				rc = vx0_dht_announce(dht, now, target,
						      (uint16_t)(argc > 2 ? atoi(argv[2]) : 0));
			else
				rc = vx0_dht_get(dht, now, target,
						 (const uint8_t *)(argc > 2 ? argv[2] : ""),
						 argc > 2 ? strlen(argv[2]) : 0);
		}
		lookup_reply(argv[0], rc);
	} else if (!strcmp(argv[0], "put_immutable") && argc == 2) {
		json_t *o = json_object();
		char hx[41];

		rc = vx0_dht_put_immutable(dht, now, (const uint8_t *)argv[1], strlen(argv[1]),
					   target);
		sodium_bin2hex(hx, sizeof(hx), target, 20);
		json_object_set_new(o, "target", json_string(hx));
		if (rc > 0)
			json_object_set_new(o, "lookup_id", json_integer(rc));
		reply(argv[0], rc, o);
	} else if ((!strcmp(argv[0], "put_mutable") && argc == 5) ||
		   (!strcmp(argv[0], "key") && argc >= 2)) {
		uint8_t *seed = sodium_malloc(32), sk[64];
		struct vx0_dht_key *key = NULL;
		const char *salt = argc > 2 && strcmp(argv[2], "-") ? argv[2] : "";
		struct vx0_dht_item it;
		json_t *o = json_object();
		char hx[129];

		if (seed && unhex(argv[1], seed, 32, &len) == 0 && len == 32)
			key = vx0_dht_key_from_seed(seed);
		if (key && !strcmp(argv[0], "key")) {
			sodium_bin2hex(hx, sizeof(hx), vx0_dht_key_public(key), 32);
			json_object_set_new(o, "pk", json_string(hx));
			/* lab only: libtorrent's put wants the expanded secret */
			vx0_dht_key_expanded(key, sk);
			sodium_bin2hex(hx, sizeof(hx), sk, 64);
			sodium_memzero(sk, sizeof(sk));
			json_object_set_new(o, "sk_expanded", json_string(hx));
			vx0_dht_mutable_target(vx0_dht_key_public(key), (const uint8_t *)salt,
					       strlen(salt), target);
			sodium_bin2hex(hx, sizeof(hx), target, 20);
			json_object_set_new(o, "target", json_string(hx));
			rc = 0;
		} else if (key) {
			rc = vx0_dht_item_sign(&it, key, (const uint8_t *)salt, strlen(salt),
					       strtoll(argv[3], NULL, 10),
					       (const uint8_t *)argv[4], strlen(argv[4]));
			if (rc == 0)
				rc = vx0_dht_put_item(dht, now, &it, NULL);
			sodium_bin2hex(hx, sizeof(hx), it.target, 20);
			json_object_set_new(o, "target", json_string(hx));
			if (rc > 0)
				json_object_set_new(o, "lookup_id", json_integer(rc));
		}
		vx0_dht_key_free(key);
		sodium_free(seed);
		reply(argv[0], rc, o);
	} else if (!strcmp(argv[0], "publish") && a->identity) {
		a->pub.last_published = 0; /* now, whatever the schedule says */
		lookup_reply("publish", publish(a));
	} else if (!strcmp(argv[0], "collect") && argc == 2 && !a->collected) {
		uint8_t tier = (uint8_t)atoi(argv[1]);

		vx0_desc_index_key(tier, (uint32_t)(time(NULL) / VX0_DESC_EPOCH), a->collect_key);
		rc = vx0_dht_get_peers(dht, now, a->collect_key);
		if (rc > 0) {
			a->collect_id = (uint32_t)rc;
			a->collect_tier = tier;
			a->nfetch = 0;
			a->collected = json_array();
		}
		lookup_reply("collect", rc);
	} else if (!strcmp(argv[0], "descriptor") && argc == 2) {
		uint8_t idk[32];

		if (unhex(argv[1], idk, 32, &len) == 0 && len == 32) {
			vx0_desc_target(idk, target);
			rc = vx0_dht_get(dht, now, target, (const uint8_t *)VX0_DESC_SALT,
					 strlen(VX0_DESC_SALT));
			if (rc > 0)
				a->desc_get_id = (uint32_t)rc;
		}
		lookup_reply("descriptor", rc);
	} else {
		reply(argv[0], -EINVAL, NULL);
	}
	vx0_dht_sock_kick(a->sock);
}

static void
on_stdin(struct vx0_evloop *loop, int fd, uint32_t events, void *arg)
{
	struct app *a = arg;
	ssize_t n;
	char *nl;

	(void)events;
	n = read(fd, a->line + a->llen, sizeof(a->line) - 1 - a->llen);
	if (n <= 0) {
		vx0_evloop_stop(loop);
		return;
	}
	a->llen += (size_t)n;
	a->line[a->llen] = 0;
	while ((nl = strchr(a->line, '\n'))) {
		*nl = 0;
		command(a, a->line);
		memmove(a->line, nl + 1, a->llen - (size_t)(nl + 1 - a->line) + 1);
		a->llen -= (size_t)(nl + 1 - a->line);
	}
	if (a->llen == sizeof(a->line) - 1)
		a->llen = 0; /* an overlong line: drop it */
}

static int
load_config(const char *path, struct vx0_dht_sock_config *cfg, char **state)
{
	json_error_t err;
	json_t *root = json_load_file(path, 0, &err), *v;
	size_t i;

	if (!root) {
		fprintf(stderr, "%s:%d: %s\n", path, err.line, err.text);
		return -EINVAL;
	}
	if ((v = json_object_get(root, "bind")) &&
	    vx0_dht_addr_parse(json_string_value(v) ? json_string_value(v) : "", &cfg->bind))
		goto bad;
	if ((v = json_object_get(root, "k")))
		cfg->dht.k = (unsigned int)json_integer_value(v);
	if ((v = json_object_get(root, "state")) && json_string_value(v))
		*state = strdup(json_string_value(v));
	if ((v = json_object_get(root, "bep42")))
		cfg->bep42_id = json_is_true(v);
	json_array_foreach(json_object_get(root, "bootstrap"), i, v) {
		if (cfg->nbootstrap >= VX0_DHT_SOCK_MAX_BOOTSTRAP || !json_string_value(v) ||
		    vx0_dht_addr_parse(json_string_value(v), &cfg->bootstrap[cfg->nbootstrap++]))
			goto bad;
	}
	json_decref(root);
	return 0;
bad:
	json_decref(root);
	return -EINVAL;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "bind", required_argument, NULL, 'b' },
		{ "bootstrap", required_argument, NULL, 'B' },
		{ "k", required_argument, NULL, 'k' },
		{ "state", required_argument, NULL, 's' },
		{ "bep42", no_argument, NULL, '4' },
		{ "config", required_argument, NULL, 'c' },
		{ "identity", required_argument, NULL, 'i' },
		{ "tier", required_argument, NULL, 't' },
		{ "exit", required_argument, NULL, 'e' },
		{ "onion-addr", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	struct vx0_dht_sock_config cfg;
	struct vx0_dht_addr onion_addr = { 0 };
	struct app a;
	char *state = NULL, *identity = NULL, *exit_policy = NULL;
	int c, rc = 0, tier = VX0_TIER_BACKBONE;

	if (sodium_init() < 0)
		return 1;
	memset(&cfg, 0, sizeof(cfg));
	memset(&a, 0, sizeof(a));
	vx0_dht_config_default(&cfg.dht);
	cfg.dht.version = "VX01";
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			if (vx0_dht_addr_parse(optarg, &cfg.bind))
				goto usage;
			break;
		case 'B':
			if (cfg.nbootstrap >= VX0_DHT_SOCK_MAX_BOOTSTRAP ||
			    vx0_dht_addr_parse(optarg, &cfg.bootstrap[cfg.nbootstrap++]))
				goto usage;
			break;
		case 'k':
			cfg.dht.k = (unsigned int)atoi(optarg);
			break;
		case 's':
			free(state);
			state = strdup(optarg);
			break;
		case '4':
			cfg.bep42_id = true;
			break;
		case 'c':
			if (load_config(optarg, &cfg, &state))
				goto usage;
			break;
		case 'i':
			identity = optarg;
			break;
		case 't':
			tier = atoi(optarg);
			break;
		case 'e':
			exit_policy = optarg;
			break;
		case 'o':
			if (vx0_dht_addr_parse(optarg, &onion_addr))
				goto usage;
			break;
		default:
			goto usage;
		}
	}
	if (!cfg.bind.family)
		goto usage;
	cfg.state_path = state;
	a.loop = vx0_evloop_create();
	a.sock = a.loop ? vx0_dht_sock_create(a.loop, &cfg, on_event, &a) : NULL;
	if (!a.sock) {
		fprintf(stderr, "dht_node: cannot start\n");
		return 1;
	}
	if (identity) {
		char opath[4096];
		uint8_t *seed = NULL, *oseed = NULL;

		snprintf(opath, sizeof(opath), "%s.onion", identity);
		if (vx0_dht_seed_load_or_create(identity, &seed) != 0 ||
		    vx0_dht_seed_load_or_create(opath, &oseed) != 0) {
			fprintf(stderr, "dht_node: cannot read or create %s\n", identity);
			return 1;
		}
		a.identity = vx0_dht_key_from_seed(seed);
		crypto_scalarmult_base(a.pub.desc.onion, oseed); /* X25519 public */
		sodium_free(seed);
		sodium_free(oseed);
		a.pub.key = a.identity;
		a.pub.lifetime = 3 * 3600;
		a.pub.republish = 3600;
		a.pub.desc.tier = (uint8_t)tier;
		a.pub.desc.naddrs = 1;
		a.pub.desc.addrs[0] = onion_addr.family ? onion_addr : cfg.bind;
		snprintf(a.pub.desc.exit_policy, sizeof(a.pub.desc.exit_policy), "%s",
			 exit_policy ? exit_policy : "reject *:*");
		vx0_timer_init(&a.pub_timer, on_pub_timer, &a);
		vx0_timer_arm(a.loop, &a.pub_timer, 5000);
	}
	{
		char hx[65];
		json_t *o = json_object();

		sodium_bin2hex(hx, sizeof(hx), vx0_dht_id(vx0_dht_sock_dht(a.sock)), 20);
		json_object_set_new(o, "event", json_string("started"));
		json_object_set_new(o, "id", json_string(hx));
		if (a.identity) {
			sodium_bin2hex(hx, sizeof(hx), vx0_dht_key_public(a.identity), 32);
			json_object_set_new(o, "identity", json_string(hx));
		}
		emit(o);
	}
	vx0_evloop_add_fd(a.loop, 0, EPOLLIN, on_stdin, &a);
	rc = vx0_evloop_run(a.loop, 0);
	if (a.identity)
		vx0_timer_cancel(a.loop, &a.pub_timer);
	json_decref(a.collected);
	vx0_dht_key_free(a.identity);
	vx0_dht_sock_destroy(a.sock);
	vx0_evloop_destroy(a.loop);
	free(state);
	return rc < 0 ? 1 : 0;
usage:
	fprintf(stderr, "usage: dht_node --bind IP:PORT [--bootstrap IP:PORT]... [--k N] "
			"[--state FILE] [--bep42] [--config FILE] [--identity FILE [--tier N] "
			"[--exit POLICY] [--onion-addr IP:PORT]]\n");
	free(state);
	return 2;
}
