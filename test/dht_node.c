/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Lab program: one DHT node on a UDP socket, driven by line commands on
 * stdin, answering with one JSON object per line on stdout (for dts/).
 *
 *   dht_node --bind IP:PORT [--bootstrap IP:PORT]... [--k N] [--state FILE]
 *            [--bep42] [--config FILE.json]
 *
 * Commands: dump | save | stats | bootstrap ADDR... | ping ADDR |
 *   find_node HEX | get_peers HEX | announce HEX PORT | get HEX [SALT] |
 *   put_immutable BENC | put_mutable SEEDHEX SALT|- SEQ BENC |
 *   key SEEDHEX [SALT] | quit
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
#include <unistd.h>

#include "vx0_dht_sock.h"
#include "vx0_evloop.h"

struct app {
	struct vx0_evloop *loop;
	struct vx0_dht_sock *sock;
	char line[8192];
	size_t llen;
};

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
	json_t *o;

	(void)arg;
	if (ev->type != VX0_DHT_EV_LOOKUP_DONE)
		return;
	o = vx0_dht_json_result(ev->lookup);
	json_object_set_new(o, "event", json_string("lookup_done"));
	emit(o);
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
		{ NULL, 0, NULL, 0 },
	};
	struct vx0_dht_sock_config cfg;
	struct app a;
	char *state = NULL;
	int c, rc = 0;

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
	{
		char hx[41];
		json_t *o = json_object();

		sodium_bin2hex(hx, sizeof(hx), vx0_dht_id(vx0_dht_sock_dht(a.sock)), 20);
		json_object_set_new(o, "event", json_string("started"));
		json_object_set_new(o, "id", json_string(hx));
		emit(o);
	}
	vx0_evloop_add_fd(a.loop, 0, EPOLLIN, on_stdin, &a);
	rc = vx0_evloop_run(a.loop, 0);
	vx0_dht_sock_destroy(a.sock);
	vx0_evloop_destroy(a.loop);
	free(state);
	return rc < 0 ? 1 : 0;
usage:
	fprintf(stderr, "usage: dht_node --bind IP:PORT [--bootstrap IP:PORT]... [--k N] "
			"[--state FILE] [--bep42] [--config FILE]\n");
	free(state);
	return 2;
}
