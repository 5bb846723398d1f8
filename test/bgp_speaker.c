/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bgp_speaker: a lab BGP speaker over the vx0 BGP core and socket glue, for
 * interop tests (DPDK-free). Configured from a JSON file; answers one-line
 * commands on a UNIX stream socket with JSON:
 *   summary | neighbors | rib | lookup PFX | route ADDR | refresh PEER [4|6] |
 *   stop PEER [message] | start PEER | originate PFX | withdraw PFX
 * SIGUSR1 writes the Loc-RIB to "dump_file"; SIGTERM/SIGINT exit.
 *
 * usage: bgp_speaker CONFIG.json
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vx0_bgp.h"
#include "vx0_bgp_io.h"
#include "vx0_evloop.h"
#include "vx0_log.h"

#define MAX_TERMS 16
#define MAX_PFX 64

struct policy_store {
	struct vx0_bgp_policy pol;
	struct vx0_bgp_policy_term terms[MAX_TERMS];
	struct vx0_bgp_prefix_match pfx[MAX_TERMS][MAX_PFX];
};

struct app {
	struct vx0_evloop *loop;
	struct vx0_bgp_io *io;
	struct vx0_bgp *bgp;
	int ctl_fd, sig_fd;
	const char *dump_file;
	uint64_t fib_routes, fib_adds, fib_dels, fib_batches;
	struct policy_store *policies[2 * VX0_BGP_MAX_PEERS];
	int n_policies;
};

static int
parse_addr(const char *s, struct vx0_bgp_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a->a) == 1)
		a->family = 4;
	else if (inet_pton(AF_INET6, s, a->a) == 1)
		a->family = 6;
	else
		return -EINVAL;
	return 0;
}

static int
parse_comm(const char *s, uint32_t *c)
{
	unsigned a, b;

	if (sscanf(s, "%u:%u", &a, &b) != 2 || a > 0xffff || b > 0xffff)
		return -EINVAL;
	*c = a << 16 | b;
	return 0;
}

static int
parse_large(const char *s, struct vx0_bgp_large_community *l)
{
	return sscanf(s, "%u:%u:%u", &l->global, &l->local1, &l->local2) == 3 ? 0 : -EINVAL;
}

static enum vx0_bgp_action
parse_action(const char *s)
{
	if (s && strcmp(s, "reject") == 0)
		return VX0_BGP_REJECT;
	if (s && strcmp(s, "next") == 0)
		return VX0_BGP_NEXT;
	return VX0_BGP_ACCEPT;
}

static const struct vx0_bgp_policy *
parse_policy(struct app *app, json_t *j)
{
	struct policy_store *ps;
	size_t i, k;
	json_t *t, *v;

	if (!json_is_object(j))
		return NULL;
	ps = calloc(1, sizeof(*ps));
	if (ps == NULL)
		return NULL;
	app->policies[app->n_policies++] = ps;
	ps->pol.terms = ps->terms;
	ps->pol.default_action = parse_action(json_string_value(json_object_get(j, "default")));
	json_array_foreach(json_object_get(j, "terms"), i, t) {
		if (i >= MAX_TERMS)
			break;
		struct vx0_bgp_policy_term *tm = &ps->terms[i];

		json_array_foreach(json_object_get(t, "prefixes"), k, v) {
			if (k >= MAX_PFX)
				break;
			struct vx0_bgp_prefix_match *m = &ps->pfx[i][k];

			if (vx0_bgp_prefix_parse(json_string_value(json_object_get(v, "prefix")) ?: "",
						 &m->pfx) < 0) {
				fprintf(stderr, "bad prefix in policy\n");
				continue;
			}
			m->ge = (uint8_t)json_integer_value(json_object_get(v, "ge"));
			m->le = (uint8_t)json_integer_value(json_object_get(v, "le"));
			tm->n_prefixes++;
		}
		tm->prefixes = ps->pfx[i];
		tm->as_path_contains = (uint32_t)json_integer_value(json_object_get(t, "as_path_contains"));
		tm->origin_as = (uint32_t)json_integer_value(json_object_get(t, "origin_as"));
		tm->neighbor_as = (uint32_t)json_integer_value(json_object_get(t, "neighbor_as"));
		tm->max_as_path_len = (uint8_t)json_integer_value(json_object_get(t, "max_as_path_len"));
		if ((v = json_object_get(t, "community")))
			parse_comm(json_string_value(v) ?: "", &tm->community);
		if ((v = json_object_get(t, "large_community")))
			tm->match_large = parse_large(json_string_value(v) ?: "", &tm->large) == 0;
		if ((v = json_object_get(t, "set_local_pref"))) {
			tm->set_local_pref = true;
			tm->local_pref = (uint32_t)json_integer_value(v);
		}
		if ((v = json_object_get(t, "set_med"))) {
			tm->set_med = true;
			tm->med = (uint32_t)json_integer_value(v);
		}
		tm->prepend = (uint8_t)json_integer_value(json_object_get(t, "prepend"));
		json_array_foreach(json_object_get(t, "add_communities"), k, v)
			if (k < VX0_BGP_TERM_MAX_SET &&
			    parse_comm(json_string_value(v) ?: "", &tm->add_communities[k]) == 0)
				tm->n_add_communities++;
		json_array_foreach(json_object_get(t, "add_large"), k, v)
			if (k < VX0_BGP_TERM_MAX_SET &&
			    parse_large(json_string_value(v) ?: "", &tm->add_large[k]) == 0)
				tm->n_add_large++;
		if ((v = json_object_get(t, "remove_community")))
			parse_comm(json_string_value(v) ?: "", &tm->remove_community);
		tm->action = parse_action(json_string_value(json_object_get(t, "action")));
		ps->pol.n_terms++;
	}
	return &ps->pol;
}

/* ---- FIB: counted here; vx0d connects the DPDK FIB ---- */

static void
fib_begin(void *ctx)
{
	((struct app *)ctx)->fib_batches++;
}

static int
fib_add(void *ctx, int family, const uint8_t *prefix, uint8_t len, const uint8_t *nh)
{
	(void)family, (void)prefix, (void)len, (void)nh;
	((struct app *)ctx)->fib_adds++;
	return 0;
}

static int
fib_del(void *ctx, int family, const uint8_t *prefix, uint8_t len)
{
	(void)family, (void)prefix, (void)len;
	((struct app *)ctx)->fib_dels++;
	return 0;
}

static void
fib_commit(void *ctx)
{
	(void)ctx;
}

/* ---- JSON output ---- */

static json_t *
addr_json(const struct vx0_bgp_addr *a)
{
	char s[INET6_ADDRSTRLEN] = "";

	if (a->family == 4 || a->family == 6)
		inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->a, s, sizeof(s));
	return json_string(s);
}

static json_t *
path_json(struct app *app, const struct vx0_bgp_path_info *p)
{
	json_t *o = json_object(), *ap = json_array(), *cm = json_array(), *lc = json_array();
	char buf[64];

	json_object_set_new(o, "peer", json_string(p->peer < 0 ? "local"
					: vx0_bgp_peer_config(app->bgp, p->peer)->name));
	json_object_set_new(o, "nexthop", addr_json(&p->nexthop));
	json_object_set_new(o, "origin", json_integer(p->origin));
	for (unsigned i = 0; i < p->as_path_n && i < 64; i++)
		json_array_append_new(ap, json_integer(p->as_path[i]));
	json_object_set_new(o, "as_path", ap);
	json_object_set_new(o, "local_pref", json_integer(p->local_pref));
	if (p->has_med)
		json_object_set_new(o, "med", json_integer(p->med));
	for (unsigned i = 0; i < p->n_communities; i++) {
		snprintf(buf, sizeof(buf), "%u:%u", p->communities[i] >> 16,
			 p->communities[i] & 0xffff);
		json_array_append_new(cm, json_string(buf));
	}
	json_object_set_new(o, "communities", cm);
	for (unsigned i = 0; i < p->n_large; i++) {
		snprintf(buf, sizeof(buf), "%u:%u:%u", p->large[i].global, p->large[i].local1,
			 p->large[i].local2);
		json_array_append_new(lc, json_string(buf));
	}
	json_object_set_new(o, "large_communities", lc);
	json_object_set_new(o, "best", json_boolean(p->best));
	json_object_set_new(o, "rejected", json_boolean(p->rejected));
	json_object_set_new(o, "stale", json_boolean(p->stale));
	return o;
}

struct rib_dump {
	struct app *app;
	json_t *obj;
};

static int
rib_cb(void *arg, const struct vx0_bgp_prefix *pfx, const struct vx0_bgp_path_info *best)
{
	struct rib_dump *d = arg;
	char s[64];

	vx0_bgp_prefix_format(pfx, s, sizeof(s));
	json_object_set_new(d->obj, s, path_json(d->app, best));
	return 0;
}

static json_t *
rib_json(struct app *app)
{
	struct rib_dump d = {app, json_object()};

	vx0_bgp_rib_walk(app->bgp, rib_cb, &d);
	return d.obj;
}

static json_t *
neighbors_json(struct app *app, uint64_t now)
{
	json_t *arr = json_array();

	for (int i = 0; i < vx0_bgp_peer_count(app->bgp); i++) {
		struct vx0_bgp_neighbor_info ni;
		json_t *o = json_object();

		vx0_bgp_neighbor_info(app->bgp, i, &ni);
		json_object_set_new(o, "name", json_string(vx0_bgp_peer_config(app->bgp, i)->name));
		json_object_set_new(o, "address", addr_json(&ni.addr));
		json_object_set_new(o, "remote_as", json_integer(ni.remote_as));
		json_object_set_new(o, "state", json_string(vx0_bgp_state_name(ni.state)));
		json_object_set_new(o, "uptime_ms",
				    json_integer(ni.established_ms ? (json_int_t)(now - ni.established_ms) : 0));
		json_object_set_new(o, "established_count", json_integer((json_int_t)ni.established_count));
		json_object_set_new(o, "prefixes_received", json_integer(ni.prefixes_received));
		json_object_set_new(o, "prefixes_accepted", json_integer(ni.prefixes_accepted));
		json_object_set_new(o, "prefixes_advertised", json_integer(ni.prefixes_advertised));
		json_object_set_new(o, "updates_in", json_integer((json_int_t)ni.updates_in));
		json_object_set_new(o, "updates_out", json_integer((json_int_t)ni.updates_out));
		json_object_set_new(o, "treat_as_withdraw", json_integer(ni.treat_as_withdraw));
		json_object_set_new(o, "attr_discard", json_integer(ni.attr_discard));
		json_object_set_new(o, "last_error", json_string(ni.last_error));
		json_object_set_new(o, "last_error_code", json_integer(ni.last_error_code));
		json_object_set_new(o, "last_error_subcode", json_integer(ni.last_error_subcode));
		json_object_set_new(o, "gr_stale", json_boolean(ni.gr_stale));
		json_object_set_new(o, "caps", json_pack("{s:b,s:b,s:b,s:b,s:b,s:b}", "as4", ni.caps_as4,
							 "route_refresh", ni.caps_rr, "gr", ni.caps_gr,
							 "ipv4", ni.caps_v4, "ipv6", ni.caps_v6,
							 "ext_msg", ni.caps_ext));
		json_array_append_new(arr, o);
	}
	return arr;
}

static long
rss_kb(void)
{
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f == NULL)
		return -1;
	if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
		rss = -1;
	fclose(f);
	return rss < 0 ? -1 : rss * (sysconf(_SC_PAGESIZE) / 1024);
}

static int
peer_by_name(struct app *app, const char *name)
{
	for (int i = 0; i < vx0_bgp_peer_count(app->bgp); i++)
		if (strcmp(vx0_bgp_peer_config(app->bgp, i)->name, name) == 0)
			return i;
	return -ENOENT;
}

static json_t *
command(struct app *app, char *line)
{
	uint64_t now = vx0_evloop_now_ms(app->loop);
	char *save = NULL, *cmd = strtok_r(line, " \r\n", &save), *arg = strtok_r(NULL, " \r\n", &save);
	char *rest = strtok_r(NULL, "\r\n", &save);
	struct vx0_bgp_prefix pfx;
	int r;

	if (cmd == NULL)
		return json_pack("{s:s}", "error", "empty");
	if (strcmp(cmd, "summary") == 0)
		return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I}", "routes",
				 (json_int_t)vx0_bgp_rib_count(app->bgp), "attr_sets",
				 (json_int_t)vx0_bgp_attr_count(app->bgp), "rss_kb", (json_int_t)rss_kb(),
				 "fib_adds", (json_int_t)app->fib_adds, "fib_dels",
				 (json_int_t)app->fib_dels, "now_ms", (json_int_t)now);
	if (strcmp(cmd, "neighbors") == 0)
		return neighbors_json(app, now);
	if (strcmp(cmd, "rib") == 0)
		return rib_json(app);
	if (strcmp(cmd, "lookup") == 0 && arg && vx0_bgp_prefix_parse(arg, &pfx) == 0) {
		struct vx0_bgp_path_info pi[8];
		enum vx0_bgp_reason reason;
		int n = vx0_bgp_rib_lookup(app->bgp, &pfx, pi, 8, &reason);
		json_t *arr = json_array();

		for (int i = 0; i < n; i++)
			json_array_append_new(arr, path_json(app, &pi[i]));
		return json_pack("{s:o,s:s}", "paths", arr, "reason",
				 n > 0 ? vx0_bgp_reason_name(reason) : "not found");
	}
	if (strcmp(cmd, "route") == 0 && arg) {
		/* longest-prefix match of an address */
		struct vx0_bgp_addr a;
		struct vx0_bgp_path_info pi[8];
		enum vx0_bgp_reason reason;
		char ps[64] = "";

		if (parse_addr(arg, &a) < 0)
			return json_pack("{s:s}", "error", "bad address");
		int n = vx0_bgp_rib_lookup_addr(app->bgp, &a, &pfx, pi, 8, &reason);
		json_t *arr = json_array();

		for (int i = 0; i < n; i++)
			json_array_append_new(arr, path_json(app, &pi[i]));
		if (n > 0)
			vx0_bgp_prefix_format(&pfx, ps, sizeof(ps));
		return json_pack("{s:s,s:o,s:s}", "prefix", ps, "paths", arr, "reason",
				 n > 0 ? vx0_bgp_reason_name(reason) : "not found");
	}
	if ((strcmp(cmd, "originate") == 0 || strcmp(cmd, "withdraw") == 0) && arg &&
	    vx0_bgp_prefix_parse(arg, &pfx) == 0) {
		r = cmd[0] == 'o' ? vx0_bgp_originate(app->bgp, &pfx)
				  : vx0_bgp_withdraw_local(app->bgp, &pfx);
		return json_pack("{s:i}", "result", r);
	}
	int peer = arg ? peer_by_name(app, arg) : -ENOENT;

	if (peer < 0)
		return json_pack("{s:s}", "error", "unknown command or peer");
	if (strcmp(cmd, "refresh") == 0)
		r = vx0_bgp_route_refresh(app->bgp, peer, rest ? atoi(rest) : 4);
	else if (strcmp(cmd, "stop") == 0)
		r = vx0_bgp_peer_stop(app->bgp, peer, rest, now);
	else if (strcmp(cmd, "start") == 0)
		r = vx0_bgp_peer_start(app->bgp, peer, now);
	else
		return json_pack("{s:s}", "error", "unknown command");
	return json_pack("{s:i}", "result", r);
}

static void
on_ctl(struct vx0_evloop *loop, int fd, uint32_t events, void *arg)
{
	struct app *app = arg;
	char line[512];

	(void)loop, (void)fd, (void)events;
	int c = accept4(app->ctl_fd, NULL, NULL, SOCK_CLOEXEC);

	if (c < 0)
		return;
	/* one short command per connection; a bounded blocking read with a timeout */
	struct timeval tv = {.tv_sec = 1};

	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	ssize_t n = recv(c, line, sizeof(line) - 1, 0);

	if (n > 0) {
		line[n] = '\0';
		json_t *out = command(app, line);
		char *s = json_dumps(out, JSON_COMPACT);

		json_decref(out);
		vx0_bgp_io_kick(app->io);
		if (s) {
			size_t len = strlen(s), off = 0;

			while (off < len) {
				ssize_t w = send(c, s + off, len - off, MSG_NOSIGNAL);

				if (w <= 0)
					break;
				off += (size_t)w;
			}
			free(s);
		}
	}
	close(c);
}

static void
dump(struct app *app)
{
	char tmp[4096];
	json_t *o;

	if (app->dump_file == NULL)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", app->dump_file);
	o = rib_json(app);
	if (json_dump_file(o, tmp, JSON_COMPACT) == 0)
		rename(tmp, app->dump_file);
	json_decref(o);
}

static void
on_signal(struct vx0_evloop *loop, int fd, uint32_t events, void *arg)
{
	struct app *app = arg;
	struct signalfd_siginfo si;

	(void)events;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGUSR1)
			dump(app);
		else
			vx0_evloop_stop(loop);
	}
}

static int
load_peers(struct app *app, json_t *cfg)
{
	size_t i;
	json_t *p;

	json_array_foreach(json_object_get(cfg, "peers"), i, p) {
		struct vx0_bgp_peer_config pc = {0};
		const char *s;
		json_t *v;

		if ((s = json_string_value(json_object_get(p, "name"))))
			snprintf(pc.name, sizeof(pc.name), "%s", s);
		if (parse_addr(json_string_value(json_object_get(p, "address")) ?: "", &pc.addr) < 0) {
			fprintf(stderr, "peer %zu: bad address\n", i);
			return -EINVAL;
		}
		pc.remote_as = (uint32_t)json_integer_value(json_object_get(p, "remote_as"));
		pc.port = (uint16_t)json_integer_value(json_object_get(p, "port"));
		pc.passive = json_is_true(json_object_get(p, "passive"));
		pc.hold_time = (uint16_t)json_integer_value(json_object_get(p, "hold_time"));
		pc.delay_open_ms = (uint32_t)json_integer_value(json_object_get(p, "delay_open_ms"));
		pc.ipv4_unicast = json_is_true(json_object_get(p, "ipv4"));
		pc.ipv6_unicast = json_is_true(json_object_get(p, "ipv6"));
		pc.graceful_restart = json_is_true(json_object_get(p, "graceful_restart"));
		if ((s = json_string_value(json_object_get(p, "nexthop4"))))
			parse_addr(s, &pc.nexthop4);
		if ((s = json_string_value(json_object_get(p, "nexthop6"))))
			parse_addr(s, &pc.nexthop6);
		if ((s = json_string_value(json_object_get(p, "source"))))
			parse_addr(s, &pc.source);
		pc.max_prefix = (uint32_t)json_integer_value(json_object_get(p, "max_prefix"));
		if ((s = json_string_value(json_object_get(p, "max_prefix_action"))))
			pc.max_prefix_action = strcmp(s, "teardown") == 0 ? VX0_BGP_MAXPFX_TEARDOWN
					     : strcmp(s, "restart") == 0  ? VX0_BGP_MAXPFX_RESTART
									  : VX0_BGP_MAXPFX_WARN;
		pc.max_prefix_restart_ms =
			(uint32_t)json_integer_value(json_object_get(p, "max_prefix_restart_ms"));
		if ((s = json_string_value(json_object_get(p, "md5"))))
			snprintf(pc.md5_key, sizeof(pc.md5_key), "%s", s);
		pc.ttl_security = (uint8_t)json_integer_value(json_object_get(p, "ttl_security"));
		if ((v = json_object_get(p, "import")))
			pc.import = parse_policy(app, v);
		if ((v = json_object_get(p, "export")))
			pc.export = parse_policy(app, v);
		int id = vx0_bgp_io_peer_add(app->io, &pc);

		if (id < 0) {
			fprintf(stderr, "peer %zu: %s\n", i, strerror(-id));
			return id;
		}
	}
	return 0;
}

static int
open_ctl(struct app *app, const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	unlink(path);
	app->ctl_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (app->ctl_fd < 0 || bind(app->ctl_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(app->ctl_fd, 8) < 0)
		return -errno;
	return vx0_evloop_add_fd(app->loop, app->ctl_fd, EPOLLIN, on_ctl, app);
}

int
main(int argc, char **argv)
{
	struct app app = {.ctl_fd = -1, .sig_fd = -1};
	json_error_t jerr;
	json_t *cfg, *v;
	const char *ctl = NULL;
	size_t i;
	int rc = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: %s CONFIG.json\n", argv[0]);
		return 2;
	}
	cfg = json_load_file(argv[1], 0, &jerr);
	if (cfg == NULL) {
		fprintf(stderr, "%s:%d: %s\n", argv[1], jerr.line, jerr.text);
		return 2;
	}
	vx0_log_set_level((int)(json_integer_value(json_object_get(cfg, "log_level")) ?: VX0_LOG_INFO));

	struct vx0_bgp_config bc = {0};
	struct vx0_bgp_io_config ic = {0};
	struct vx0_bgp_addr rid;

	bc.local_as = (uint32_t)json_integer_value(json_object_get(cfg, "local_as"));
	if (parse_addr(json_string_value(json_object_get(cfg, "router_id")) ?: "", &rid) < 0 ||
	    rid.family != 4) {
		fprintf(stderr, "router_id: an IPv4 address\n");
		return 2;
	}
	bc.router_id = (uint32_t)rid.a[0] << 24 | (uint32_t)rid.a[1] << 16 |
		       (uint32_t)rid.a[2] << 8 | rid.a[3];
	bc.hold_time = (uint16_t)json_integer_value(json_object_get(cfg, "hold_time"));
	bc.connect_retry_ms = (uint32_t)json_integer_value(json_object_get(cfg, "connect_retry_ms"));
	bc.gr_restart_time = (uint16_t)json_integer_value(json_object_get(cfg, "gr_restart_time"));
	ic.listen_port = (uint16_t)json_integer_value(json_object_get(cfg, "listen_port"));
	ic.no_listen = json_is_true(json_object_get(cfg, "no_listen"));
	json_array_foreach(json_object_get(cfg, "listen"), i, v)
		if (ic.n_listen < 4 && parse_addr(json_string_value(v) ?: "", &ic.listen[ic.n_listen]) == 0)
			ic.n_listen++;
	app.dump_file = json_string_value(json_object_get(cfg, "dump_file"));
	ctl = json_string_value(json_object_get(cfg, "control"));

	app.loop = vx0_evloop_create();
	app.io = app.loop ? vx0_bgp_io_create(app.loop, &bc, &ic) : NULL;
	if (app.io == NULL) {
		fprintf(stderr, "cannot create the speaker (local_as, router_id?)\n");
		goto out;
	}
	app.bgp = vx0_bgp_io_core(app.io);
	static const struct vx0_bgp_fib_ops fops = {fib_begin, fib_add, fib_del, fib_commit};

	vx0_bgp_set_fib_ops(app.bgp, &fops, &app);
	if (load_peers(&app, cfg) < 0)
		goto out;
	json_array_foreach(json_object_get(cfg, "originate"), i, v) {
		struct vx0_bgp_prefix p;

		if (vx0_bgp_prefix_parse(json_string_value(v) ?: "", &p) < 0 ||
		    vx0_bgp_originate(app.bgp, &p) < 0)
			fprintf(stderr, "originate: bad prefix %s\n", json_string_value(v));
	}
	if (ctl && open_ctl(&app, ctl) < 0) {
		fprintf(stderr, "control socket %s: %s\n", ctl, strerror(errno));
		goto out;
	}
	sigset_t ss;

	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGUSR1);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	signal(SIGPIPE, SIG_IGN);
	app.sig_fd = signalfd(-1, &ss, SFD_NONBLOCK | SFD_CLOEXEC);
	vx0_evloop_add_fd(app.loop, app.sig_fd, EPOLLIN, on_signal, &app);
	int r = vx0_bgp_io_start(app.io);

	if (r < 0) {
		fprintf(stderr, "start: %s\n", strerror(-r));
		goto out;
	}
	fprintf(stderr, "bgp_speaker: AS %u running\n", bc.local_as);
	vx0_evloop_run(app.loop, 0);
	dump(&app);
	rc = 0;
out:
	if (app.io)
		vx0_bgp_io_destroy(app.io);
	if (app.sig_fd >= 0)
		close(app.sig_fd);
	if (app.ctl_fd >= 0) {
		close(app.ctl_fd);
		unlink(ctl);
	}
	for (int k = 0; k < app.n_policies; k++)
		free(app.policies[k]);
	if (app.loop)
		vx0_evloop_destroy(app.loop);
	json_decref(cfg);
	return rc;
}
