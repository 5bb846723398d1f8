/* SPDX-License-Identifier: BSD-3-Clause */
/* UDP 500/4500 sockets and the timer that drive the IKEv2 core. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "vx0_ike_glue.h"
#include "vx0_log.h"

#define NON_ESP_MARKER 4
#define MAX_DGRAM 65536

struct vx0_ike_glue {
	struct vx0_evloop *loop;
	struct vx0_ike *ike;
	struct vx0_ike_glue_conf gc;
	int fd500, fd4500;
	uint16_t port, natt_port;
	struct sockaddr_storage local;
	struct vx0_timer timer;
	uint64_t non_ike;
	uint8_t buf[MAX_DGRAM + NON_ESP_MARKER];
};

static int
bind_udp(const struct sockaddr_storage *local, uint16_t port)
{
	struct sockaddr_storage a = *local;
	socklen_t len;
	int one = 1, fd;

	if (a.ss_family == AF_INET6) {
		((struct sockaddr_in6 *)&a)->sin6_port = htons(port);
		len = sizeof(struct sockaddr_in6);
	} else {
		((struct sockaddr_in *)&a)->sin_port = htons(port);
		len = sizeof(struct sockaddr_in);
	}
	fd = socket(a.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, len) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

static void
rearm(struct vx0_ike_glue *g)
{
	uint64_t now = vx0_evloop_now_ms(g->loop);
	uint64_t next = vx0_ike_next_deadline(g->ike);

	if (next == UINT64_MAX) {
		vx0_timer_cancel(g->loop, &g->timer);
		return;
	}
	vx0_timer_arm(g->loop, &g->timer, next > now ? next - now : 0);
}

static void
on_timer(struct vx0_evloop *loop, struct vx0_timer *t, void *arg)
{
	struct vx0_ike_glue *g = arg;

	(void)t;
	vx0_ike_tick(g->ike, vx0_evloop_now_ms(loop));
	rearm(g);
}

static void
glue_send(void *arg, uint16_t lport, const struct sockaddr *dst, socklen_t dl,
	  const uint8_t *buf, size_t len)
{
	struct vx0_ike_glue *g = arg;
	ssize_t n;

	if (lport == 4500 && len == 1 && buf[0] == 0xff) {
		/* NAT keepalive (RFC 3948 §2.3): no marker */
		n = sendto(g->fd4500, buf, 1, 0, dst, dl);
	} else if (lport == 4500) {
		/* RFC 3948 §2.2: four zero octets tell IKE from ESP */
		if (len > MAX_DGRAM)
			return;
		memset(g->buf, 0, NON_ESP_MARKER);
		memmove(g->buf + NON_ESP_MARKER, buf, len);
		n = sendto(g->fd4500, g->buf, len + NON_ESP_MARKER, 0, dst, dl);
	} else {
		n = sendto(g->fd500, buf, len, 0, dst, dl);
	}
	if (n < 0)
		vx0_log(VX0_LOG_WARNING, "ike", "sendto: %s", strerror(errno));
}

static void
glue_event(void *arg, const struct vx0_ike_event *ev)
{
	struct vx0_ike_glue *g = arg;

	if (g->gc.event)
		g->gc.event(g->gc.arg, ev);
}

static void
on_read(struct vx0_evloop *loop, int fd, uint32_t events, void *arg)
{
	struct vx0_ike_glue *g = arg;
	bool natt = fd == g->fd4500;

	(void)events;
	for (int i = 0; i < 64; i++) {
		struct sockaddr_storage src;
		socklen_t sl = sizeof(src);
		ssize_t n = recvfrom(fd, g->buf, MAX_DGRAM, 0,
				     (struct sockaddr *)&src, &sl);
		const uint8_t *p = g->buf;

		if (n < 0)
			break;
		if (natt) {
			/* ESP (non-zero SPI) and NAT keepalives (0xff) are
			 * not for us: the data plane owns ESP */
			if (n < NON_ESP_MARKER + 28 || p[0] || p[1] || p[2] ||
			    p[3]) {
				g->non_ike++;
				continue;
			}
			p += NON_ESP_MARKER;
			n -= NON_ESP_MARKER;
		}
		vx0_ike_input(g->ike, p, (size_t)n, (struct sockaddr *)&src,
			      (struct sockaddr *)&g->local,
			      natt ? 4500 : 500, vx0_evloop_now_ms(loop));
	}
	rearm(g);
}

struct vx0_ike_glue *
vx0_ike_glue_create(struct vx0_evloop *loop, const struct vx0_ike_conf *conf,
		    const struct vx0_ike_glue_conf *gc)
{
	struct vx0_ike_glue *g = calloc(1, sizeof(*g));
	struct vx0_ike_ops ops;
	int rc;

	if (!g)
		return NULL;
	g->loop = loop;
	g->gc = *gc;
	g->fd500 = g->fd4500 = -1;
	g->local = conf->local;
	g->port = gc->port ? gc->port : 500;
	g->natt_port = gc->natt_port ? gc->natt_port : 4500;
	vx0_timer_init(&g->timer, on_timer, g);
	ops = (struct vx0_ike_ops){ .send = glue_send, .event = glue_event,
				    .arg = g };
	g->ike = vx0_ike_create(conf, &ops, vx0_evloop_now_ms(loop));
	if (!g->ike) {
		rc = -EINVAL;
		goto fail;
	}
	g->fd500 = bind_udp(&conf->local, g->port);
	if (g->fd500 < 0) {
		rc = g->fd500;
		goto fail;
	}
	g->fd4500 = bind_udp(&conf->local, g->natt_port);
	if (g->fd4500 < 0) {
		rc = g->fd4500;
		goto fail;
	}
	if ((rc = vx0_evloop_add_fd(loop, g->fd500, EPOLLIN, on_read, g)) ||
	    (rc = vx0_evloop_add_fd(loop, g->fd4500, EPOLLIN, on_read, g)))
		goto fail;
	return g;
fail:
	vx0_ike_glue_destroy(g);
	errno = -rc;
	return NULL;
}

void
vx0_ike_glue_destroy(struct vx0_ike_glue *g)
{
	if (!g)
		return;
	vx0_timer_cancel(g->loop, &g->timer);
	if (g->fd500 >= 0) {
		vx0_evloop_del_fd(g->loop, g->fd500);
		close(g->fd500);
	}
	if (g->fd4500 >= 0) {
		vx0_evloop_del_fd(g->loop, g->fd4500);
		close(g->fd4500);
	}
	vx0_ike_destroy(g->ike);
	free(g);
}

struct vx0_ike *
vx0_ike_glue_core(struct vx0_ike_glue *g)
{
	return g->ike;
}

void
vx0_ike_glue_kick(struct vx0_ike_glue *g)
{
	rearm(g);
}

uint64_t
vx0_ike_glue_non_ike(const struct vx0_ike_glue *g)
{
	return g->non_ike;
}
