/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The exporter's socket glue on lib/evloop: non-blocking accept, a bounded
 * read of one request head, the rendered page written as the socket takes
 * it, then close. At most VX0_METRICS_MAX_CLIENTS at a time (others get a
 * best-effort 503) and each connection lives at most
 * VX0_METRICS_TIMEOUT_MS, so a slow or hostile client costs a slot for a
 * bounded time and never blocks the slow path.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "metrics_priv.h"
#include "vx0_evloop.h"
#include "vx0_log.h"

#define DRAIN_MS 500 /* after the response: read what is left, then close */

enum { C_FREE = 0, C_READ, C_WRITE, C_DRAIN };

struct client {
	struct vx0_metrics_server *s;
	int fd;
	int state;
	char in[VX0_METRICS_REQ_MAX];
	size_t in_len;
	struct vx0_metrics_writer out;
	size_t off;
	struct vx0_timer timer;
};

struct vx0_metrics_server {
	struct vx0_evloop *loop;
	int lfd;
	uint16_t port;
	vx0_metrics_render_cb cb;
	void *arg;
	struct vx0_metrics_server_stats st;
	struct client c[VX0_METRICS_MAX_CLIENTS];
};

int
vx0_metrics_parse_listen(const char *s, struct sockaddr_storage *ss, unsigned int *sslen)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon, *h0, *h1;
	unsigned long port;
	char *end;

	if (s == NULL)
		return -EINVAL;
	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		h0 = s + 1;
		h1 = strchr(h0, ']');
		if (h1 == NULL || h1[1] != ':')
			return -EINVAL;
		colon = h1 + 1;
	} else {
		h0 = s;
		colon = strrchr(s, ':');
		if (colon == NULL)
			return -EINVAL;
		h1 = colon;
	}
	if (h1 - h0 <= 0 || (size_t)(h1 - h0) >= sizeof(host))
		return -EINVAL;
	memcpy(host, h0, (size_t)(h1 - h0));
	host[h1 - h0] = 0;
	if (colon[1] < '0' || colon[1] > '9')
		return -EINVAL;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || *end || port > 65535)
		return -EINVAL;
	if (s[0] == '[') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
			return -EINVAL;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		*sslen = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			return -EINVAL;
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		*sslen = sizeof(*a);
	}
	return 0;
}

static void
client_close(struct client *c)
{
	if (c->state == C_FREE)
		return;
	vx0_timer_cancel(c->s->loop, &c->timer);
	vx0_evloop_del_fd(c->s->loop, c->fd);
	close(c->fd);
	vx0_metrics_writer_free(&c->out);
	c->fd = -1;
	c->state = C_FREE;
	c->s->st.clients--;
}

static void
client_timeout(struct vx0_evloop *loop, struct vx0_timer *t, void *arg)
{
	struct client *c = arg;

	(void)loop;
	(void)t;
	if (c->state != C_DRAIN)
		c->s->st.timeouts++;
	client_close(c);
}

static void
client_flush(struct client *c)
{
	while (c->off < c->out.len) {
		ssize_t n = send(c->fd, c->out.buf + c->off, c->out.len - c->off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return; /* EPOLLOUT brings us back */
		if (n <= 0) {
			c->s->st.errors++;
			client_close(c);
			return;
		}
		c->off += (size_t)n;
	}
	/* all sent: half-close, then drain what the client still sends so
	 * that close() does not reset the connection under the response */
	shutdown(c->fd, SHUT_WR);
	c->state = C_DRAIN;
	vx0_evloop_mod_fd(c->s->loop, c->fd, EPOLLIN);
	vx0_timer_arm(c->s->loop, &c->timer, DRAIN_MS);
}

static void
client_respond(struct client *c, int rc, const struct vx0_metrics_req *req)
{
	struct vx0_metrics_server *s = c->s;
	int status = vx0_metrics_http_status(rc, req);
	struct vx0_metrics_writer page;

	vx0_metrics_writer_init(&c->out, 0);
	vx0_metrics_writer_init(&page, 0);
	if (status == 200 && (s->cb(&page, s->arg) < 0 || page.err)) {
		vx0_log(VX0_LOG_WARNING, "metrics", "render failed: %d", page.err);
		status = 500;
	}
	if (status == 200)
		s->st.served++;
	else
		s->st.errors++;
	if (vx0_metrics_http_response(&c->out, status, rc > 0 && req->method == VX0_METRICS_HEAD,
				      status == 200 ? (page.buf ? page.buf : "") : NULL,
				      status == 200 ? page.len : 0) < 0) {
		vx0_metrics_writer_free(&page);
		client_close(c);
		return;
	}
	vx0_metrics_writer_free(&page);
	c->state = C_WRITE;
	c->off = 0;
	vx0_evloop_mod_fd(s->loop, c->fd, EPOLLOUT);
	client_flush(c);
}

static void
client_io(struct vx0_evloop *loop, int fd, uint32_t events, void *arg)
{
	struct client *c = arg;

	(void)loop;
	(void)fd;
	if (c->state == C_WRITE) {
		if (events & (EPOLLERR | EPOLLHUP) && !(events & EPOLLOUT)) {
			c->s->st.errors++;
			client_close(c);
			return;
		}
		client_flush(c);
		return;
	}
	if (c->state == C_DRAIN) {
		char junk[1024];
		ssize_t n;

		while ((n = recv(c->fd, junk, sizeof(junk), 0)) > 0)
			;
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
			client_close(c);
		return;
	}
	for (;;) {
		struct vx0_metrics_req req;
		ssize_t n;
		int rc;

		n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) { /* closed or failed before a whole request */
			c->s->st.errors++;
			client_close(c);
			return;
		}
		c->in_len += (size_t)n;
		rc = vx0_metrics_http_parse(c->in, c->in_len, &req);
		if (rc == 0 && c->in_len < sizeof(c->in))
			continue;
		if (rc == 0)
			rc = -E2BIG;
		client_respond(c, rc, &req);
		return;
	}
}

static void
reject_busy(struct vx0_metrics_server *s, int fd)
{
	static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\n"
				   "Content-Length: 0\r\nConnection: close\r\n\r\n";
	ssize_t n = send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);

	(void)n; /* best effort: the client may retry */
	s->st.rejected_busy++;
	close(fd);
}

static void
on_accept(struct vx0_evloop *loop, int lfd, uint32_t events, void *arg)
{
	struct vx0_metrics_server *s = arg;

	(void)events;
	for (int k = 0; k < 64; k++) { /* bounded per wake-up: the loop serves others too */
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct client *c = NULL;

		if (fd < 0)
			return; /* EAGAIN, or a transient error: epoll brings us back */
		s->st.accepted++;
		for (unsigned int i = 0; i < VX0_METRICS_MAX_CLIENTS; i++)
			if (s->c[i].state == C_FREE) {
				c = &s->c[i];
				break;
			}
		if (c == NULL) {
			reject_busy(s, fd);
			continue;
		}
		memset(c, 0, sizeof(*c));
		c->s = s;
		c->fd = fd;
		c->state = C_READ;
		vx0_timer_init(&c->timer, client_timeout, c);
		if (vx0_evloop_add_fd(loop, fd, EPOLLIN, client_io, c) < 0) {
			close(fd);
			c->state = C_FREE;
			s->st.errors++;
			continue;
		}
		s->st.clients++;
		vx0_timer_arm(loop, &c->timer, VX0_METRICS_TIMEOUT_MS);
	}
}

struct vx0_metrics_server *
vx0_metrics_server_create(struct vx0_evloop *loop, const char *listen_addr,
			  vx0_metrics_render_cb cb, void *arg)
{
	struct vx0_metrics_server *s;
	struct sockaddr_storage ss;
	unsigned int sslen;
	socklen_t bl = sizeof(ss);
	int one = 1, rc;

	if (loop == NULL || cb == NULL || vx0_metrics_parse_listen(listen_addr, &ss, &sslen) < 0) {
		errno = EINVAL;
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->loop = loop;
	s->cb = cb;
	s->arg = arg;
	s->lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->lfd < 0)
		goto fail;
	setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		setsockopt(s->lfd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	/* the node's own address may not be on its TAP yet (IPv6 DAD): bind anyway */
	setsockopt(s->lfd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
	if (bind(s->lfd, (struct sockaddr *)&ss, sslen) < 0 || listen(s->lfd, 32) < 0 ||
	    getsockname(s->lfd, (struct sockaddr *)&ss, &bl) < 0)
		goto fail;
	s->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port :
						   ((struct sockaddr_in *)&ss)->sin_port);
	if ((rc = vx0_evloop_add_fd(loop, s->lfd, EPOLLIN, on_accept, s)) < 0) {
		errno = -rc;
		goto fail;
	}
	vx0_log(VX0_LOG_INFO, "metrics", "serving /metrics on %s", listen_addr);
	return s;
fail:
	rc = errno;
	if (s->lfd >= 0)
		close(s->lfd);
	free(s);
	errno = rc;
	return NULL;
}

void
vx0_metrics_server_destroy(struct vx0_metrics_server *s)
{
	if (s == NULL)
		return;
	for (unsigned int i = 0; i < VX0_METRICS_MAX_CLIENTS; i++)
		client_close(&s->c[i]);
	vx0_evloop_del_fd(s->loop, s->lfd);
	close(s->lfd);
	free(s);
}

uint16_t
vx0_metrics_server_port(const struct vx0_metrics_server *s)
{
	return s->port;
}

void
vx0_metrics_server_get_stats(const struct vx0_metrics_server *s,
			     struct vx0_metrics_server_stats *st)
{
	*st = s->st;
}
