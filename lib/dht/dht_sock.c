/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vx0_dht_sock.h"
#include "vx0_log.h"

struct vx0_dht_sock {
	struct vx0_evloop *loop;
	struct vx0_dht *dht;
	struct vx0_timer timer;
	int fd;
	struct vx0_dht_addr bind;
	char *state_path;
	vx0_dht_sock_event_cb cb;
	void *arg;
};

int
vx0_dht_addr_parse(const char *s, struct vx0_dht_addr *a)
{
	char host[64];
	const char *colon;
	char *end;
	long port;
	size_t hl;

	memset(a, 0, sizeof(*a));
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		if (!rb || rb[1] != ':')
			return -EINVAL;
		hl = (size_t)(rb - s - 1);
		if (hl >= sizeof(host))
			return -EINVAL;
		memcpy(host, s + 1, hl);
		host[hl] = 0;
		colon = rb + 1;
		a->family = 6;
	} else {
		colon = strrchr(s, ':');
		if (!colon || (size_t)(colon - s) >= sizeof(host))
			return -EINVAL;
		memcpy(host, s, (size_t)(colon - s));
		host[colon - s] = 0;
		a->family = 4;
	}
	port = strtol(colon + 1, &end, 10);
	if (*end || port <= 0 || port > 65535)
		return -EINVAL;
	a->port = (uint16_t)port;
	if (inet_pton(a->family == 6 ? AF_INET6 : AF_INET, host, a->ip) != 1)
		return -EINVAL;
	return 0;
}

void
vx0_dht_addr_format(const struct vx0_dht_addr *a, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	inet_ntop(a->family == 6 ? AF_INET6 : AF_INET, a->ip, ip, sizeof(ip));
	if (a->family == 6)
		snprintf(buf, len, "[%s]:%u", ip, a->port);
	else
		snprintf(buf, len, "%s:%u", ip, a->port);
}

static socklen_t
to_sockaddr(const struct vx0_dht_addr *a, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == 6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(a->port);
		memcpy(&s6->sin6_addr, a->ip, 16);
		return sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(a->port);
		memcpy(&s4->sin_addr, a->ip, 4);
		return sizeof(*s4);
	}
}

static int
from_sockaddr(const struct sockaddr_storage *ss, struct vx0_dht_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

		a->family = 4;
		a->port = ntohs(s4->sin_port);
		memcpy(a->ip, &s4->sin_addr, 4);
		return 0;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

		a->family = 6;
		a->port = ntohs(s6->sin6_port);
		memcpy(a->ip, &s6->sin6_addr, 16);
		return 0;
	}
	return -EAFNOSUPPORT;
}

static void
sock_send(void *user, const struct vx0_dht_addr *to, const uint8_t *buf, size_t len)
{
	struct vx0_dht_sock *s = user;
	struct sockaddr_storage ss;
	socklen_t sl;

	if (to->family != s->bind.family)
		return; /* one socket, one family */
	sl = to_sockaddr(to, &ss);
	if (sendto(s->fd, buf, len, MSG_DONTWAIT, (struct sockaddr *)&ss, sl) < 0)
		vx0_log(VX0_LOG_DEBUG, "dht", "sendto: %s", strerror(errno));
}

static void
sock_event(void *user, const struct vx0_dht_event *ev)
{
	struct vx0_dht_sock *s = user;

	if (s->cb)
		s->cb(s->arg, ev);
}

void
vx0_dht_sock_kick(struct vx0_dht_sock *s)
{
	uint64_t now = vx0_evloop_now_ms(s->loop);
	uint64_t d = vx0_dht_next_deadline(s->dht, now);

	vx0_timer_arm(s->loop, &s->timer, d > now ? d - now : 0);
}

static void
on_timer(struct vx0_evloop *loop, struct vx0_timer *t, void *arg)
{
	struct vx0_dht_sock *s = arg;

	(void)t;
	vx0_dht_tick(s->dht, vx0_evloop_now_ms(loop));
	vx0_dht_sock_kick(s);
}

static void
on_readable(struct vx0_evloop *loop, int fd, uint32_t events, void *arg)
{
	struct vx0_dht_sock *s = arg;
	uint8_t buf[2048];
	int i;

	(void)events;
	for (i = 0; i < 64; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		struct vx0_dht_addr from;
		ssize_t n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT,
				     (struct sockaddr *)&ss, &sl);

		if (n < 0)
			break;
		if (from_sockaddr(&ss, &from) == 0)
			vx0_dht_input(s->dht, vx0_evloop_now_ms(loop), &from, buf, (size_t)n);
	}
	vx0_dht_sock_kick(s);
}

/* ---- persistence ---- */

static void
hex(const uint8_t *p, size_t n, char *out)
{
	sodium_bin2hex(out, 2 * n + 1, p, n);
}

static int
unhex(const char *s, uint8_t *out, size_t n)
{
	size_t bl;

	if (!s || strlen(s) != 2 * n)
		return -EINVAL;
	if (sodium_hex2bin(out, n, s, 2 * n, NULL, &bl, NULL) != 0 || bl != n)
		return -EINVAL;
	return 0;
}

static int
write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	char tmp[4096];
	int fd, rc = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	if (write(fd, data, len) != (ssize_t)len || fsync(fd) != 0)
		rc = -errno ? -errno : -EIO;
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc)
		unlink(tmp);
	return rc;
}

static void
save_node(void *arg, unsigned int bucket, const struct vx0_dht_node_info *n, bool good,
	  uint64_t last_seen)
{
	json_t *arr = arg;
	char id[41], a[64];

	(void)bucket;
	(void)last_seen;
	if (!good)
		return;
	hex(n->id, 20, id);
	vx0_dht_addr_format(&n->addr, a, sizeof(a));
	json_array_append_new(arr, json_pack("{s:s, s:s}", "id", id, "addr", a));
}

int
vx0_dht_sock_save(struct vx0_dht_sock *s)
{
	json_t *root, *nodes;
	char id[41], *text;
	int rc;

	if (!s->state_path)
		return 0;
	nodes = json_array();
	vx0_dht_foreach_node(s->dht, save_node, nodes);
	hex(vx0_dht_id(s->dht), 20, id);
	root = json_pack("{s:i, s:s, s:o}", "version", 1, "id", id, "nodes", nodes);
	text = json_dumps(root, JSON_INDENT(1));
	json_decref(root);
	if (!text)
		return -ENOMEM;
	rc = write_atomic(s->state_path, text, strlen(text), 0600);
	free(text);
	return rc;
}

/* Loads id and node addresses from the state file (if any). */
static void
load_state(const char *path, struct vx0_dht_config *cfg, struct vx0_dht_addr *seeds,
	   unsigned int *nseeds, unsigned int max)
{
	json_error_t err;
	json_t *root = json_load_file(path, 0, &err), *nodes, *n;
	size_t i;

	if (!root)
		return;
	if (json_integer_value(json_object_get(root, "version")) == 1 &&
	    unhex(json_string_value(json_object_get(root, "id")), cfg->id, 20) == 0)
		cfg->have_id = true;
	nodes = json_object_get(root, "nodes");
	json_array_foreach(nodes, i, n) {
		const char *a = json_string_value(json_object_get(n, "addr"));

		if (*nseeds < max && a && vx0_dht_addr_parse(a, &seeds[*nseeds]) == 0)
			(*nseeds)++;
	}
	json_decref(root);
}

struct vx0_dht_sock *
vx0_dht_sock_create(struct vx0_evloop *loop, const struct vx0_dht_sock_config *cfg,
		    vx0_dht_sock_event_cb cb, void *arg)
{
	struct vx0_dht_ops ops = { sock_send, sock_event, NULL };
	struct vx0_dht_addr seeds[VX0_DHT_SOCK_MAX_BOOTSTRAP + 64];
	struct vx0_dht_config dcfg = cfg->dht;
	struct vx0_dht_sock *s;
	struct sockaddr_storage ss;
	unsigned int nseeds = 0, i;
	socklen_t sl;
	int one = 1;

	if (cfg->nbootstrap > VX0_DHT_SOCK_MAX_BOOTSTRAP)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->loop = loop;
	s->bind = cfg->bind;
	s->cb = cb;
	s->arg = arg;
	if (cfg->state_path) {
		s->state_path = strdup(cfg->state_path);
		load_state(cfg->state_path, &dcfg, seeds, &nseeds, 64);
	}
	if (!dcfg.have_id && cfg->bep42_id) {
		uint8_t rnd[20];

		randombytes_buf(rnd, sizeof(rnd));
		vx0_dht_bep42_id(&cfg->bind, rnd[19], rnd, dcfg.id);
		dcfg.have_id = true;
	}
	s->fd = socket(cfg->bind.family == 6 ? AF_INET6 : AF_INET,
		       SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		goto fail;
	setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (cfg->bind.family == 6)
		setsockopt(s->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	sl = to_sockaddr(&cfg->bind, &ss);
	if (bind(s->fd, (struct sockaddr *)&ss, sl) != 0) {
		vx0_log(VX0_LOG_ERR, "dht", "bind: %s", strerror(errno));
		goto fail;
	}
	s->dht = vx0_dht_create(&dcfg, &ops, s, vx0_evloop_now_ms(loop));
	if (!s->dht)
		goto fail;
	vx0_timer_init(&s->timer, on_timer, s);
	if (vx0_evloop_add_fd(loop, s->fd, EPOLLIN, on_readable, s) != 0)
		goto fail;
	for (i = 0; i < cfg->nbootstrap; i++)
		seeds[nseeds++] = cfg->bootstrap[i];
	if (nseeds)
		vx0_dht_bootstrap(s->dht, vx0_evloop_now_ms(loop), seeds, nseeds);
	vx0_dht_sock_kick(s);
	return s;
fail:
	if (s->fd >= 0)
		close(s->fd);
	vx0_dht_destroy(s->dht);
	free(s->state_path);
	free(s);
	return NULL;
}

void
vx0_dht_sock_destroy(struct vx0_dht_sock *s)
{
	if (!s)
		return;
	vx0_dht_sock_save(s);
	vx0_timer_cancel(s->loop, &s->timer);
	vx0_evloop_del_fd(s->loop, s->fd);
	close(s->fd);
	vx0_dht_destroy(s->dht);
	free(s->state_path);
	free(s);
}

struct vx0_dht *
vx0_dht_sock_dht(struct vx0_dht_sock *s)
{
	return s->dht;
}

uint64_t
vx0_dht_sock_now(const struct vx0_dht_sock *s)
{
	return vx0_evloop_now_ms(s->loop);
}

int
vx0_dht_seed_load_or_create(const char *path, uint8_t **seed)
{
	uint8_t *k = sodium_malloc(32);
	char text[65];
	FILE *f;
	int rc = 0;

	if (!k)
		return -ENOMEM;
	f = fopen(path, "r");
	if (f) {
		if (!fgets(text, sizeof(text), f) || unhex(text, k, 32) != 0)
			rc = -EINVAL;
		fclose(f);
	} else {
		randombytes_buf(k, 32);
		hex(k, 32, text);
		rc = write_atomic(path, text, 64, 0600);
	}
	sodium_memzero(text, sizeof(text));
	if (rc) {
		sodium_free(k);
		return rc;
	}
	*seed = k;
	return 0;
}

/* ---- JSON views ---- */

static void
json_node(void *arg, unsigned int bucket, const struct vx0_dht_node_info *n, bool good,
	  uint64_t last_seen)
{
	char id[41], a[64];

	hex(n->id, 20, id);
	vx0_dht_addr_format(&n->addr, a, sizeof(a));
	json_array_append_new(arg, json_pack("{s:s, s:s, s:i, s:b, s:I}", "id", id, "addr", a,
					     "bucket", (int)bucket, "good", good, "last_seen_ms",
					     (json_int_t)last_seen));
}

json_t *
vx0_dht_json_table(const struct vx0_dht *dht)
{
	json_t *arr = json_array();
	char id[41];

	vx0_dht_foreach_node(dht, json_node, arr);
	hex(vx0_dht_id(dht), 20, id);
	return json_pack("{s:s, s:o}", "id", id, "nodes", arr);
}

static json_t *
item_json(const struct vx0_dht_item *it)
{
	char t[41], k[65], sig[129], v[2 * VX0_DHT_MAX_V + 1], salt[2 * VX0_DHT_MAX_SALT + 1];
	json_t *o;

	hex(it->target, 20, t);
	hex(it->v, it->v_len, v);
	o = json_pack("{s:s, s:b, s:s}", "target", t, "mutable", it->is_mutable, "v_hex", v);
	if (it->is_mutable) {
		hex(it->k, 32, k);
		hex(it->sig, 64, sig);
		hex(it->salt, it->salt_len, salt);
		json_object_set_new(o, "k", json_string(k));
		json_object_set_new(o, "sig", json_string(sig));
		json_object_set_new(o, "salt_hex", json_string(salt));
		json_object_set_new(o, "seq", json_integer(it->seq));
	}
	return o;
}

static void
json_item(void *arg, const struct vx0_dht_item *it, uint64_t expires)
{
	json_t *o = item_json(it);

	json_object_set_new(o, "expires_ms", json_integer((json_int_t)expires));
	json_array_append_new(arg, o);
}

json_t *
vx0_dht_json_items(const struct vx0_dht *dht)
{
	json_t *arr = json_array();

	vx0_dht_foreach_item(dht, json_item, arr);
	return arr;
}

static const char *const kind_names[] = { "?", "find_node", "get_peers", "announce", "get", "put",
					    "fetch" };

static void
json_lookup(void *arg, uint32_t id, uint8_t kind, const uint8_t *target, unsigned int inflight)
{
	char t[41];

	hex(target, 20, t);
	json_array_append_new(arg, json_pack("{s:I, s:s, s:s, s:i}", "id", (json_int_t)id,
					     "kind", kind < 7 ? kind_names[kind] : "?",
					     "target", t, "inflight", (int)inflight));
}

json_t *
vx0_dht_json_lookups(const struct vx0_dht *dht)
{
	json_t *arr = json_array();

	vx0_dht_foreach_lookup(dht, json_lookup, arr);
	return arr;
}

json_t *
vx0_dht_json_stats(const struct vx0_dht *dht)
{
	struct vx0_dht_stats st;
	struct vx0_dht_addr ext;
	bool id_ok = false;
	json_t *o;

	vx0_dht_get_stats(dht, &st);
	o = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:i, s:i, s:i, s:i, s:i, s:i, s:i}",
			 "rx_packets", (json_int_t)st.rx_packets,
			 "tx_packets", (json_int_t)st.tx_packets,
			 "rx_dropped", (json_int_t)st.rx_dropped,
			 "rx_queries", (json_int_t)st.rx_queries,
			 "rx_replies", (json_int_t)st.rx_replies,
			 "rx_errors", (json_int_t)st.rx_errors,
			 "tx_errors", (json_int_t)st.tx_errors,
			 "timeouts", (json_int_t)st.timeouts,
			 "table_nodes", (int)st.table_nodes,
			 "table_buckets", (int)st.table_buckets,
			 "table_good", (int)st.table_good,
			 "lookups_active", (int)st.lookups_active,
			 "transactions_active", (int)st.transactions_active,
			 "items", (int)st.items, "infohashes", (int)st.infohashes);
	if (o && vx0_dht_external_addr(dht, &ext, &id_ok) == 0) {
		char a[64];

		vx0_dht_addr_format(&ext, a, sizeof(a));
		json_object_set_new(o, "external_addr", json_string(a));
		json_object_set_new(o, "bep42_id_ok", json_boolean(id_ok));
	}
	return o;
}

json_t *
vx0_dht_json_result(const struct vx0_dht_lookup_result *r)
{
	json_t *o, *nodes = json_array(), *peers = json_array();
	char t[41], a[64];
	unsigned int i;

	for (i = 0; i < r->nnodes; i++) {
		hex(r->nodes[i].id, 20, t);
		vx0_dht_addr_format(&r->nodes[i].addr, a, sizeof(a));
		json_array_append_new(nodes, json_pack("{s:s, s:s}", "id", t, "addr", a));
	}
	for (i = 0; i < r->npeers; i++) {
		vx0_dht_addr_format(&r->peers[i], a, sizeof(a));
		json_array_append_new(peers, json_string(a));
	}
	hex(r->target, 20, t);
	o = json_pack("{s:I, s:s, s:s, s:o, s:o, s:i, s:i, s:i, s:i, s:i, s:i, s:I}",
		      "lookup_id", (json_int_t)r->lookup_id,
		      "kind", r->kind < 7 ? kind_names[r->kind] : "?", "target", t,
		      "nodes", nodes, "peers", peers, "hops", (int)r->hops,
		      "queries", (int)r->queries, "replies", (int)r->replies,
		      "timeouts", (int)r->timeouts, "stored", (int)r->stored,
		      "store_errors", (int)r->store_errors, "last_error",
		      (json_int_t)r->last_error);
	if (r->have_item)
		json_object_set_new(o, "item", item_json(&r->item));
	return o;
}
