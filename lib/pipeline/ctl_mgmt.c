/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The management socket: a UNIX stream socket, one JSON request per line,
 * one JSON reply per line. Only root or the daemon's own user may talk to
 * it (file mode 0600 and SO_PEERCRED). Every request is validated whole
 * before anything changes, so it applies completely or not at all; a bad
 * request gets {"ok": false, "error": "..."} naming what is wrong.
 *
 *   {"cmd": "route.add", "prefix": "203.0.113.0/24", "via": "198.51.100.2"[, "port": "a"]}
 *   {"cmd": "route.add", "prefix": "203.0.113.0/24", "drop": true}
 *   {"cmd": "route.del", "prefix": "203.0.113.0/24"}
 *   {"cmd": "neigh.add", "port": "a", "address": "198.51.100.9", "mac": "02:00:00:00:00:09"}
 *   {"cmd": "neigh.del", "port": "a", "address": "198.51.100.9"}
 *   {"cmd": "bgp.shutdown", "peer": "203.0.113.2"[, "message": "maintenance"]}
 *   {"cmd": "bgp.start", "peer": "203.0.113.2"}
 *   {"cmd": "log.level", "level": "debug|info|notice|warning|err"}
 *   {"cmd": "version"}
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <jansson.h>
#include <rte_malloc.h>

#include "vx0_bgp.h"
#include "vx0_ctl.h"
#include "vx0_evloop.h"
#include "vx0_log.h"
#include "vx0_neigh.h"

#define MGMT_MAX_CLIENTS 8
#define MGMT_MAX_REQUEST 65536

struct mgmt_client {
	int fd;
	size_t len;
	char *buf;
};

struct vx0_ctl_mgmt {
	struct vx0_ctl *ctl;
	int lfd;
	char path[108];
	struct mgmt_client cl[MGMT_MAX_CLIENTS];
	uint64_t requests, errors, refused;
};

static json_t *
err_reply(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static json_t *
err_reply(const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return json_pack("{sb ss}", "ok", 0, "error", msg);
}

static json_t *
ok_reply(void)
{
	return json_pack("{sb}", "ok", 1);
}

static const char *
str(json_t *req, const char *key)
{
	return json_string_value(json_object_get(req, key));
}

static int
port_by_name(const struct vx0_node *node, const char *name)
{
	for (unsigned int i = 0; name && i < node->n_ports; i++)
		if (strcmp(node->ports[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int
parse_addr(const char *s, int *fam, uint8_t a[16])
{
	memset(a, 0, 16);
	if (s && inet_pton(AF_INET, s, a) == 1)
		*fam = AF_INET;
	else if (s && inet_pton(AF_INET6, s, a) == 1)
		*fam = AF_INET6;
	else
		return -EINVAL;
	return 0;
}

/* Port whose connected subnet holds addr (the writer's view of the FIB). */
static int
connected_port(struct vx0_node *node, int fam, const uint8_t *addr)
{
	uint32_t nh;
	int rc;

	if (fam == AF_INET) {
		uint32_t v;

		memcpy(&v, addr, 4);
		rc = vx0_fib_lookup4(node->fib, ntohl(v), &nh);
	} else {
		rc = vx0_fib_lookup6_pending(node->fib, addr, &nh);
	}
	if (rc != 0)
		return -1;
	/* a connected subnet, or the host route of that very neighbour */
	if (vx0_fib_nh(node->fib, nh)->type == VX0_NH_GLEAN ||
	    (vx0_fib_nh(node->fib, nh)->type == VX0_NH_FWD &&
	     memcmp(vx0_fib_nh(node->fib, nh)->addr, addr, fam == AF_INET ? 4 : 16) == 0))
		return vx0_fib_nh(node->fib, nh)->port;
	return -1;
}

static json_t *
cmd_route_add(struct vx0_ctl *ctl, json_t *req)
{
	struct vx0_node *node = ctl->node;
	uint8_t pfx[16], via[16];
	uint8_t len;
	int fam, vfam, port, nh, rc;

	if (vx0_fib_parse_prefix(str(req, "prefix") ? str(req, "prefix") : "", &fam, pfx, &len) < 0)
		return err_reply("route.add: \"prefix\" must be like \"203.0.113.0/24\"");
	if (json_is_true(json_object_get(req, "drop"))) {
		if (json_object_get(req, "via"))
			return err_reply("route.add: either \"via\" or \"drop\"");
		rc = vx0_fib_route_add(node->fib, fam, pfx, len, VX0_FIB_NH_DROP_ID);
	} else {
		if (parse_addr(str(req, "via"), &vfam, via) < 0 || vfam != fam)
			return err_reply("route.add: \"via\" must be a gateway address of the prefix's family");
		if (json_object_get(req, "port")) {
			port = port_by_name(node, str(req, "port"));
			if (port < 0)
				return err_reply("route.add: \"port\" names no port");
		} else {
			port = connected_port(node, fam, via);
			if (port < 0)
				return err_reply("route.add: the gateway is on no connected subnet; give \"port\"");
		}
		nh = vx0_fib_nh_get(node->fib, VX0_NH_FWD, (uint16_t)port, fam, via);
		if (nh < 0)
			return err_reply("route.add: no next hop: %s", strerror(-nh));
		rc = vx0_fib_route_add(node->fib, fam, pfx, len, (uint32_t)nh);
		vx0_fib_nh_put(node->fib, (uint32_t)nh);
	}
	if (rc < 0)
		return err_reply("route.add: %s", strerror(-rc));
	vx0_fib_commit(node->fib);
	return ok_reply();
}

static json_t *
cmd_route_del(struct vx0_ctl *ctl, json_t *req)
{
	uint8_t pfx[16], len;
	int fam, rc;

	if (vx0_fib_parse_prefix(str(req, "prefix") ? str(req, "prefix") : "", &fam, pfx, &len) < 0)
		return err_reply("route.del: \"prefix\" must be like \"203.0.113.0/24\"");
	rc = vx0_fib_route_del(ctl->node->fib, fam, pfx, len);
	if (rc == -ENOENT)
		return err_reply("route.del: no such route");
	if (rc < 0)
		return err_reply("route.del: %s", strerror(-rc));
	vx0_fib_commit(ctl->node->fib);
	return ok_reply();
}

static json_t *
cmd_neigh(struct vx0_ctl *ctl, json_t *req, bool add)
{
	struct vx0_conf_neigh n;
	unsigned int m[6];
	char tail;
	int port = port_by_name(ctl->node, str(req, "port"));

	memset(&n, 0, sizeof(n));
	if (port < 0)
		return err_reply("neigh: \"port\" names no port");
	n.port = port;
	if (parse_addr(str(req, "address"), &n.family, n.addr) < 0)
		return err_reply("neigh: \"address\" must be an IPv4 or IPv6 address");
	if (!add) {
		int rc = vx0_neigh_del(ctl->neigh, (uint16_t)port, n.family, n.addr);

		return rc < 0 ? err_reply("neigh.del: %s", strerror(-rc)) : ok_reply();
	}
	if (str(req, "mac") == NULL ||
	    sscanf(str(req, "mac"), "%2x:%2x:%2x:%2x:%2x:%2x%c", &m[0], &m[1], &m[2], &m[3], &m[4],
		   &m[5], &tail) != 6 || (m[0] & 1))
		return err_reply("neigh.add: \"mac\" must be a unicast MAC address");
	for (int i = 0; i < 6; i++)
		n.mac[i] = (uint8_t)m[i];
	if (vx0_ctl_neigh_static(ctl, &n) < 0)
		return err_reply("neigh.add: the neighbour table is full");
	return ok_reply();
}

static json_t *
cmd_bgp(struct vx0_ctl *ctl, json_t *req, bool shutdown)
{
	struct vx0_bgp *bgp = vx0_ctl_bgp_core(ctl);
	struct vx0_bgp_addr a = { 0 };
	int fam, peer, rc;

	if (bgp == NULL)
		return err_reply("bgp: not configured");
	if (parse_addr(str(req, "peer"), &fam, a.a) < 0)
		return err_reply("bgp: \"peer\" must be the peer's address");
	a.family = fam == AF_INET ? 4 : 6;
	peer = vx0_bgp_peer_find(bgp, &a);
	if (peer < 0)
		return err_reply("bgp: no such peer");
	if (shutdown) {
		const char *msg = str(req, "message");

		if (msg && strlen(msg) > 255)
			return err_reply("bgp.shutdown: \"message\" is longer than 255 bytes (RFC 8203)");
		rc = vx0_bgp_peer_stop(bgp, peer, msg, ctl->now_ms);
	} else {
		rc = vx0_bgp_peer_start(bgp, peer, ctl->now_ms);
	}
	vx0_ctl_bgp_kick(ctl);
	return rc < 0 ? err_reply("bgp: %s", strerror(-rc)) : ok_reply();
}

static json_t *
cmd_log_level(json_t *req)
{
	static const struct { const char *n; int l; } lv[] = {
		{ "err", VX0_LOG_ERR }, { "warning", VX0_LOG_WARNING }, { "notice", VX0_LOG_NOTICE },
		{ "info", VX0_LOG_INFO }, { "debug", VX0_LOG_DEBUG },
	};
	const char *s = str(req, "level");

	for (unsigned int i = 0; s && i < sizeof(lv) / sizeof(lv[0]); i++)
		if (strcmp(s, lv[i].n) == 0) {
			vx0_log_set_level(lv[i].l);
			return ok_reply();
		}
	return err_reply("log.level: \"level\" must be err, warning, notice, info or debug");
}

static json_t *
cmd_capture_start(struct vx0_ctl *ctl, json_t *req)
{
	json_t *cnt = json_object_get(req, "count"), *sec = json_object_get(req, "seconds"),
	       *snap = json_object_get(req, "snaplen");
	char err[256];
	int rc;

	if (str(req, "point") == NULL || str(req, "file") == NULL || str(req, "file")[0] != '/')
		return err_reply("capture.start: needs \"point\" (rx:PORT, tx:PORT, punt) and an "
				 "absolute \"file\"");
	if ((cnt && (!json_is_integer(cnt) || json_integer_value(cnt) < 0)) ||
	    (sec && (!json_is_integer(sec) || json_integer_value(sec) < 0 ||
		     json_integer_value(sec) > 86400)) ||
	    (snap && (!json_is_integer(snap) || json_integer_value(snap) < 0 ||
		      json_integer_value(snap) > 65535)))
		return err_reply("capture.start: \"count\", \"seconds\" (<= 86400) and "
				 "\"snaplen\" must be non-negative integers");
	if (!cnt && !sec)
		return err_reply("capture.start: bound it with \"count\" or \"seconds\"");
	rc = vx0_ctl_capture_start(ctl, str(req, "point"), str(req, "file"),
				   cnt ? (uint64_t)json_integer_value(cnt) : 0,
				   sec ? (uint64_t)json_integer_value(sec) : 0,
				   snap ? (uint32_t)json_integer_value(snap) : 0, str(req, "filter"),
				   err, sizeof(err));
	return rc < 0 ? err_reply("capture.start: %s", err) : ok_reply();
}

static json_t *
cmd_capture_status(struct vx0_ctl *ctl)
{
	uint64_t w, f, l;
	int active;

	vx0_ctl_capture_status(ctl, &active, &w, &f, &l);
	return json_pack("{sb sb sI sI sI}", "ok", 1, "active", active, "written", (json_int_t)w,
			 "filtered", (json_int_t)f, "lost", (json_int_t)l);
}

static json_t *
handle(struct vx0_ctl_mgmt *m, const char *line, size_t len)
{
	json_error_t je;
	json_t *req = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je), *rep;
	const char *cmd;

	if (req == NULL)
		return err_reply("bad JSON at column %d: %s", je.column, je.text);
	cmd = str(req, "cmd");
	if (!json_is_object(req) || cmd == NULL)
		rep = err_reply("a request is an object with \"cmd\"");
	else if (strcmp(cmd, "route.add") == 0)
		rep = cmd_route_add(m->ctl, req);
	else if (strcmp(cmd, "route.del") == 0)
		rep = cmd_route_del(m->ctl, req);
	else if (strcmp(cmd, "neigh.add") == 0)
		rep = cmd_neigh(m->ctl, req, true);
	else if (strcmp(cmd, "neigh.del") == 0)
		rep = cmd_neigh(m->ctl, req, false);
	else if (strcmp(cmd, "bgp.shutdown") == 0)
		rep = cmd_bgp(m->ctl, req, true);
	else if (strcmp(cmd, "bgp.start") == 0)
		rep = cmd_bgp(m->ctl, req, false);
	else if (strcmp(cmd, "log.level") == 0)
		rep = cmd_log_level(req);
	else if (strcmp(cmd, "capture.start") == 0)
		rep = cmd_capture_start(m->ctl, req);
	else if (strcmp(cmd, "capture.stop") == 0)
		rep = vx0_ctl_capture_stop(m->ctl) < 0 ? err_reply("capture.stop: no capture running")
							 : ok_reply();
	else if (strcmp(cmd, "capture.status") == 0)
		rep = cmd_capture_status(m->ctl);
	else if (strcmp(cmd, "version") == 0)
		rep = json_pack("{sb ss}", "ok", 1, "version", "0.1.0");
	else
		rep = err_reply("unknown command \"%.64s\"", cmd);
	json_decref(req);
	return rep;
}

static void
client_close(struct vx0_ctl_mgmt *m, struct mgmt_client *c)
{
	vx0_evloop_del_fd(m->ctl->loop, c->fd);
	close(c->fd);
	free(c->buf);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

static void
reply(struct mgmt_client *c, json_t *rep)
{
	char *s = json_dumps(rep, JSON_COMPACT);
	size_t n;

	json_decref(rep);
	if (s == NULL)
		return;
	n = strlen(s);
	s[n] = '\n';
	/* replies are small; a client that does not read loses them */
	if (send(c->fd, s, n + 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		vx0_log(VX0_LOG_DEBUG, "mgmt", "reply not sent: %s", strerror(errno));
	free(s);
}

static void
on_client(struct vx0_evloop *loop, int fd, uint32_t events, void *arg)
{
	struct vx0_ctl_mgmt *m = arg;
	struct mgmt_client *c = NULL;
	ssize_t r;

	(void)loop;
	(void)events;
	for (int i = 0; i < MGMT_MAX_CLIENTS; i++)
		if (m->cl[i].fd == fd)
			c = &m->cl[i];
	if (c == NULL)
		return;
	r = recv(fd, c->buf + c->len, MGMT_MAX_REQUEST - c->len, MSG_DONTWAIT);
	if (r <= 0) {
		if (r == 0 || (errno != EAGAIN && errno != EINTR))
			client_close(m, c);
		return;
	}
	c->len += (size_t)r;
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->len);
		size_t l;

		if (nl == NULL) {
			if (c->len == MGMT_MAX_REQUEST) {
				m->errors++;
				reply(c, err_reply("request longer than %d bytes", MGMT_MAX_REQUEST));
				client_close(m, c);
			}
			return;
		}
		l = (size_t)(nl - c->buf);
		m->requests++;
		{
			json_t *rep = handle(m, c->buf, l);

			if (!json_is_true(json_object_get(rep, "ok")))
				m->errors++;
			reply(c, rep);
		}
		memmove(c->buf, nl + 1, c->len - l - 1);
		c->len -= l + 1;
	}
}

static void
on_accept(struct vx0_evloop *loop, int fd, uint32_t events, void *arg)
{
	struct vx0_ctl_mgmt *m = arg;
	struct ucred cred;
	socklen_t cl = sizeof(cred);
	int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	(void)events;
	if (cfd < 0)
		return;
	/* the file mode keeps others out; the credentials make sure */
	if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0 ||
	    (cred.uid != 0 && cred.uid != geteuid())) {
		m->refused++;
		close(cfd);
		return;
	}
	for (int i = 0; i < MGMT_MAX_CLIENTS; i++)
		if (m->cl[i].fd < 0) {
			m->cl[i].buf = malloc(MGMT_MAX_REQUEST);
			if (m->cl[i].buf == NULL ||
			    vx0_evloop_add_fd(loop, cfd, EPOLLIN, on_client, m) < 0) {
				free(m->cl[i].buf);
				m->cl[i].buf = NULL;
				break;
			}
			m->cl[i].fd = cfd;
			m->cl[i].len = 0;
			return;
		}
	m->refused++;
	close(cfd);
}

int
vx0_ctl_mgmt_start(struct vx0_ctl *ctl, char *err, size_t errlen)
{
	const char *path = ctl->node->conf->mgmt_socket;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct vx0_ctl_mgmt *m;
	mode_t old;

	if (path[0] == 0)
		return 0;
	m = rte_zmalloc("vx0_mgmt", sizeof(*m), 0);
	if (m == NULL)
		return -ENOMEM;
	m->ctl = ctl;
	ctl->mgmt = m;
	for (int i = 0; i < MGMT_MAX_CLIENTS; i++)
		m->cl[i].fd = -1;
	snprintf(m->path, sizeof(m->path), "%s", path);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	m->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	unlink(path);
	old = umask(0177); /* 0600: root and our own user only */
	if (m->lfd < 0 || bind(m->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(m->lfd, 8) < 0) {
		umask(old);
		snprintf(err, errlen, "management.socket %s: %s", path, strerror(errno));
		return -errno;
	}
	umask(old);
	return vx0_evloop_add_fd(ctl->loop, m->lfd, EPOLLIN, on_accept, m);
}

void
vx0_ctl_mgmt_stop(struct vx0_ctl *ctl)
{
	struct vx0_ctl_mgmt *m = ctl->mgmt;

	if (m == NULL)
		return;
	for (int i = 0; i < MGMT_MAX_CLIENTS; i++)
		if (m->cl[i].fd >= 0)
			client_close(m, &m->cl[i]);
	if (m->lfd >= 0) {
		vx0_evloop_del_fd(ctl->loop, m->lfd);
		close(m->lfd);
		unlink(m->path);
	}
	rte_free(m);
	ctl->mgmt = NULL;
}
