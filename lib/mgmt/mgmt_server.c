/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The management socket's glue on lib/evloop: a Unix stream socket (mode
 * 0600, set before listen() so nobody connects to it wider), newline-framed
 * requests of at most VX0_MGMT_LINE_MAX bytes (a longer one is answered
 * with an error and skipped), replies queued up to VX0_MGMT_OUT_MAX per
 * client (a client that does not read is dropped), idle clients closed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "mgmt_priv.h"
#include "vx0_log.h"

static void
client_close(struct mgmt_client *c)
{
	if (c->fd < 0)
		return;
	vx0_timer_cancel(c->m->loop, &c->idle);
	vx0_evloop_del_fd(c->m->loop, c->fd);
	close(c->fd);
	free(c->in);
	free(c->out);
	c->in = c->out = NULL;
	c->fd = -1;
	c->m->st.clients--;
}

static void
client_idle(struct vx0_evloop *loop, struct vx0_timer *t, void *arg)
{
	(void)loop;
	(void)t;
	client_close(arg);
}

static int
queue(struct mgmt_client *c, const char *s, size_t n)
{
	char *o;

	if (c->out_len - c->out_off + n > VX0_MGMT_OUT_MAX)
		return -ENOBUFS;
	if (c->out_off) { /* compact what was sent */
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	if ((o = realloc(c->out, c->out_len + n)) == NULL)
		return -ENOMEM;
	memcpy(o + c->out_len, s, n);
	c->out = o;
	c->out_len += n;
	return 0;
}

/* 0, or -1 when the client was closed. */
static int
flush(struct mgmt_client *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			client_close(c);
			return -1;
		}
		c->out_off += (size_t)n;
	}
	vx0_evloop_mod_fd(c->m->loop, c->fd, c->out_off < c->out_len ? EPOLLIN | EPOLLOUT : EPOLLIN);
	return 0;
}

static int
answer(struct mgmt_client *c, const char *line, size_t n)
{
	char *r = vx0_mgmt_handle(c->m, line, n);
	int rc = r ? queue(c, r, strlen(r)) : -ENOMEM;

	free(r);
	if (rc < 0) { /* it does not read its replies: drop it */
		c->m->st.dropped_clients++;
		client_close(c);
		return -1;
	}
	return 0;
}

static int
too_long(struct mgmt_client *c)
{
	static const char msg[] = "{\"id\":null,\"ok\":false,\"error\":\"request line longer "
				  "than 65536 bytes\",\"errno\":7}\n"; /* E2BIG */

	c->m->st.requests++;
	c->m->st.errors++;
	if (queue(c, msg, sizeof(msg) - 1) < 0) {
		c->m->st.dropped_clients++;
		client_close(c);
		return -1;
	}
	return 0;
}

static void
client_io(struct vx0_evloop *loop, int fd, uint32_t events, void *arg)
{
	struct mgmt_client *c = arg;

	(void)fd;
	vx0_timer_arm(loop, &c->idle, VX0_MGMT_IDLE_MS);
	if ((events & EPOLLOUT) && flush(c) < 0)
		return;
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	for (int rounds = 0; rounds < 16; rounds++) { /* bounded: others wait too */
		ssize_t n = recv(c->fd, c->in + c->in_len, VX0_MGMT_LINE_MAX - c->in_len, 0);
		size_t start = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			if (c->out_off < c->out_len)
				flush(c); /* best effort before closing */
			client_close(c);
			return;
		}
		c->in_len += (size_t)n;
		for (size_t i = c->in_len - (size_t)n; i < c->in_len; i++) {
			size_t l;

			if (c->in[i] != '\n')
				continue;
			l = i - start;
			if (l && c->in[start + l - 1] == '\r')
				l--;
			if (c->discarding)
				c->discarding = false; /* the end of the oversized line */
			else if (l && answer(c, c->in + start, l) < 0)
				return;
			start = i + 1;
		}
		memmove(c->in, c->in + start, c->in_len - start);
		c->in_len -= start;
		if (c->in_len == VX0_MGMT_LINE_MAX) { /* no newline in a whole line's room */
			if (!c->discarding && too_long(c) < 0)
				return;
			c->discarding = true;
			c->in_len = 0;
		}
	}
	flush(c);
}

int
vx0_mgmt_set_access(struct vx0_mgmt *m, const struct vx0_mgmt_access *a)
{
	unsigned int mode = a->mode ? a->mode : 0600;

	if (a->n_uids > VX0_MGMT_MAX_IDS || a->n_gids > VX0_MGMT_MAX_IDS ||
	    (mode & 0600) != 0600 || (mode & ~0666u))
		return -EINVAL;
	m->acc = *a;
	m->acc.mode = mode;
	return 0;
}

bool
vx0_mgmt_peer_allowed(const struct vx0_mgmt *m, uint32_t uid, uint32_t gid)
{
	if (uid == 0 || uid == m->self_uid)
		return true;
	for (unsigned int i = 0; i < m->acc.n_uids; i++)
		if (m->acc.uids[i] == uid)
			return true;
	for (unsigned int i = 0; i < m->acc.n_gids; i++)
		if (m->acc.gids[i] == gid)
			return true;
	return false;
}

/* SO_PEERCRED: the credentials the client had at connect(). Refused: one
 * error line (best effort, the socket is fresh so it fits) and close. */
static bool
peer_check(struct vx0_mgmt *m, int fd)
{
	static const char msg[] = "{\"id\":null,\"ok\":false,\"error\":\"permission denied: "
				  "this user may not use the management socket\",\"errno\":13}\n";
	struct ucred cr;
	socklen_t l = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &l) == 0 && l == sizeof(cr) &&
	    vx0_mgmt_peer_allowed(m, (uint32_t)cr.uid, (uint32_t)cr.gid))
		return true;
	m->st.refused++;
	if (send(fd, msg, sizeof(msg) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		(void)0; /* nothing more to tell it */
	vx0_log(VX0_LOG_WARNING, "mgmt", "refused a client (uid %ld, pid %ld)",
		l == sizeof(cr) ? (long)cr.uid : -1L, l == sizeof(cr) ? (long)cr.pid : -1L);
	return false;
}

static void
on_accept(struct vx0_evloop *loop, int lfd, uint32_t events, void *arg)
{
	struct vx0_mgmt *m = arg;

	(void)events;
	for (int k = 0; k < 16; k++) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct mgmt_client *c = NULL;

		if (fd < 0)
			return;
		if (!peer_check(m, fd)) {
			close(fd);
			continue;
		}
		for (unsigned int i = 0; i < VX0_MGMT_MAX_CLIENTS; i++)
			if (m->c[i].fd < 0) {
				c = &m->c[i];
				break;
			}
		if (c == NULL || (c->in = malloc(VX0_MGMT_LINE_MAX + 1)) == NULL) {
			m->st.dropped_clients++;
			close(fd);
			continue;
		}
		c->fd = fd;
		c->in_len = c->out_len = c->out_off = 0;
		c->out = NULL;
		c->discarding = false;
		if (vx0_evloop_add_fd(loop, fd, EPOLLIN, client_io, c) < 0) {
			free(c->in);
			c->in = NULL;
			c->fd = -1;
			close(fd);
			continue;
		}
		m->st.clients++;
		vx0_timer_arm(loop, &c->idle, VX0_MGMT_IDLE_MS);
	}
}

int
vx0_mgmt_listen(struct vx0_mgmt *m, struct vx0_evloop *loop, const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct stat st;
	int rc;

	if (m->lfd >= 0 || path == NULL || strlen(path) >= sizeof(a.sun_path))
		return -EINVAL;
	memcpy(a.sun_path, path, strlen(path) + 1);
	/* a socket left by a previous run; never remove anything else */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return -EEXIST;
		unlink(path);
	}
	m->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (m->lfd < 0)
		return -errno;
	/* mode and owner before listen(): nobody connects while it is wider */
	if (bind(m->lfd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    chmod(path, m->acc.mode ? m->acc.mode : 0600) < 0 ||
	    ((m->acc.owner >= 0 || m->acc.group >= 0) &&
	     chown(path, m->acc.owner >= 0 ? (uid_t)m->acc.owner : (uid_t)-1,
		   m->acc.group >= 0 ? (gid_t)m->acc.group : (gid_t)-1) < 0) ||
	    listen(m->lfd, 8) < 0) {
		rc = -errno;
		close(m->lfd);
		m->lfd = -1;
		unlink(path);
		return rc;
	}
	m->loop = loop;
	for (unsigned int i = 0; i < VX0_MGMT_MAX_CLIENTS; i++) {
		m->c[i].m = m;
		m->c[i].fd = -1;
		vx0_timer_init(&m->c[i].idle, client_idle, &m->c[i]);
	}
	if ((rc = vx0_evloop_add_fd(loop, m->lfd, EPOLLIN, on_accept, m)) < 0) {
		close(m->lfd);
		m->lfd = -1;
		unlink(path);
		return rc;
	}
	memcpy(m->path, path, strlen(path) + 1);
	vx0_log(VX0_LOG_INFO, "mgmt", "management socket %s", path);
	return 0;
}

void
vx0_mgmt_destroy(struct vx0_mgmt *m)
{
	if (m == NULL)
		return;
	if (m->lfd >= 0) {
		for (unsigned int i = 0; i < VX0_MGMT_MAX_CLIENTS; i++)
			client_close(&m->c[i]);
		vx0_evloop_del_fd(m->loop, m->lfd);
		close(m->lfd);
		unlink(m->path);
	}
	free(m);
}
