/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * UDP socket glue for the onion relay and client cores (vx0_onion_udp.h):
 * datagrams in, core, actions out; a 500 ms timer drives the cores' ticks.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <sodium.h>

#include "vx0_log.h"
#include "vx0_onion_udp.h"

#define TICK_MS 500
#define MAX_LINKS 256

socklen_t
vx0_onion_udp_sockaddr(const struct vx0_onion_addr *a, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == 4) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(a->port);
		memcpy(&s4->sin_addr, a->addr, 4);
		return sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(a->port);
		memcpy(&s6->sin6_addr, a->addr, 16);
		return sizeof(*s6);
	}
}

int
vx0_onion_udp_addr(const struct sockaddr_storage *ss, struct vx0_onion_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

		a->family = 4;
		a->port = ntohs(s4->sin_port);
		memcpy(a->addr, &s4->sin_addr, 4);
		return 0;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

		a->family = 6;
		a->port = ntohs(s6->sin6_port);
		memcpy(a->addr, &s6->sin6_addr, 16);
		return 0;
	}
	return -EAFNOSUPPORT;
}

int
vx0_onion_udp_socket(const struct vx0_onion_addr *bind_to)
{
	struct sockaddr_storage ss;
	socklen_t sl = vx0_onion_udp_sockaddr(bind_to, &ss);
	int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

/* ---- relay ---- */

struct vx0_onion_udp_relay {
	struct vx0_evloop *loop;
	struct vx0_onion_relay *r;
	int fd;
	struct vx0_timer tick;
	vx0_onion_udp_data_cb deliver;
	void *arg;
	struct vx0_onion_addr links[MAX_LINKS + 1];
	struct vx0_onion_action act; /* scratch, wiped after use */
};

static void
relay_drain(struct vx0_onion_udp_relay *u)
{
	while (vx0_onion_relay_next_action(u->r, &u->act)) {
		struct vx0_onion_action *a = &u->act;
		struct sockaddr_storage ss;
		socklen_t sl;

		switch (a->type) {
		case VX0_ONION_ACT_LINK_OPEN:
			if (a->link <= MAX_LINKS)
				u->links[a->link] = a->addr;
			break;
		case VX0_ONION_ACT_SEND:
			if (a->link == 0 || a->link > MAX_LINKS)
				break;
			sl = vx0_onion_udp_sockaddr(&u->links[a->link], &ss);
			if (sendto(u->fd, a->cell, a->len, 0, (struct sockaddr *)&ss, sl) < 0)
				vx0_log(VX0_LOG_DEBUG, "onion", "sendto: %s", strerror(errno));
			break;
		case VX0_ONION_ACT_DELIVER:
			if (u->deliver)
				u->deliver(u->arg, a->link, a->circ, a->cell, a->len);
			break;
		default: /* INSTALL/REMOVE: no data plane here */
			break;
		}
	}
	sodium_memzero(&u->act, sizeof(u->act));
}

static void
relay_rx(struct vx0_evloop *loop, int fd, uint32_t events, void *arg)
{
	struct vx0_onion_udp_relay *u = arg;
	uint8_t buf[VX0_ONION_CELL_LEN + 1];
	unsigned int budget = 64; /* then let the loop breathe */

	(void)events;
	while (budget--) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		struct vx0_onion_addr a;
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&ss, &sl);
		uint32_t link;

		if (n < 0)
			break;
		if (vx0_onion_udp_addr(&ss, &a) < 0)
			continue;
		link = vx0_onion_relay_link(u->r, &a);
		relay_drain(u);
		if (link && link <= MAX_LINKS)
			vx0_onion_relay_input(u->r, link, buf, (size_t)n, vx0_evloop_now_ms(loop));
		relay_drain(u);
	}
}

static void
relay_tick(struct vx0_evloop *loop, struct vx0_timer *t, void *arg)
{
	struct vx0_onion_udp_relay *u = arg;

	vx0_onion_relay_tick(u->r, vx0_evloop_now_ms(loop));
	relay_drain(u);
	vx0_timer_arm(loop, t, TICK_MS);
}

struct vx0_onion_udp_relay *
vx0_onion_udp_relay_new(struct vx0_evloop *loop, const struct vx0_onion_relay_config *cfg,
			const struct vx0_onion_addr *bind_to, vx0_onion_udp_data_cb deliver,
			void *arg)
{
	struct vx0_onion_relay_config c = *cfg;
	struct vx0_onion_udp_relay *u;

	if (c.max_links > MAX_LINKS)
		c.max_links = MAX_LINKS;
	u = sodium_malloc(sizeof(*u));
	if (u == NULL)
		return NULL;
	memset(u, 0, sizeof(*u));
	u->loop = loop;
	u->deliver = deliver;
	u->arg = arg;
	u->fd = -1;
	u->r = vx0_onion_relay_new(&c);
	sodium_memzero(&c, sizeof(c));
	if (u->r == NULL)
		goto fail;
	u->fd = vx0_onion_udp_socket(bind_to);
	if (u->fd < 0 || vx0_evloop_add_fd(loop, u->fd, EPOLLIN, relay_rx, u) < 0)
		goto fail;
	vx0_timer_init(&u->tick, relay_tick, u);
	vx0_timer_arm(loop, &u->tick, TICK_MS);
	return u;
fail:
	vx0_onion_udp_relay_free(u);
	return NULL;
}

void
vx0_onion_udp_relay_free(struct vx0_onion_udp_relay *u)
{
	if (u == NULL)
		return;
	if (u->fd >= 0) {
		vx0_evloop_del_fd(u->loop, u->fd);
		close(u->fd);
	}
	vx0_timer_cancel(u->loop, &u->tick);
	vx0_onion_relay_free(u->r);
	sodium_free(u);
}

struct vx0_onion_relay *
vx0_onion_udp_relay_core(struct vx0_onion_udp_relay *u)
{
	return u->r;
}

int
vx0_onion_udp_relay_send_back(struct vx0_onion_udp_relay *u, uint32_t link, uint32_t circ,
			      const uint8_t *pkt, size_t len)
{
	int rc = vx0_onion_relay_send_back(u->r, link, circ, pkt, len,
					   vx0_evloop_now_ms(u->loop));

	relay_drain(u);
	return rc;
}

/* ---- client ---- */

struct vx0_onion_udp_client {
	struct vx0_evloop *loop;
	struct vx0_onion_circ *circ;
	int fd;
	struct vx0_timer tick;
	vx0_onion_udp_data_cb on_data;
	void *arg;
	struct vx0_onion_addr guard;
	struct vx0_onion_event ev;
};

static void
client_event(struct vx0_onion_udp_client *c)
{
	struct vx0_onion_event *ev = &c->ev;

	if (ev->has_cell) {
		struct sockaddr_storage ss;
		socklen_t sl = vx0_onion_udp_sockaddr(&c->guard, &ss);

		if (sendto(c->fd, ev->cell, VX0_ONION_CELL_LEN, 0, (struct sockaddr *)&ss, sl) < 0)
			vx0_log(VX0_LOG_DEBUG, "onion", "sendto: %s", strerror(errno));
	}
	if (ev->type == VX0_ONION_EV_DATA && c->on_data)
		c->on_data(c->arg, 0, c->circ->circ_id, ev->data, ev->len);
	if (ev->type == VX0_ONION_EV_CLOSED)
		vx0_log(VX0_LOG_NOTICE, "onion", "circuit %08x closed, reason %d",
			c->circ->circ_id, ev->reason);
}

static void
client_rx(struct vx0_evloop *loop, int fd, uint32_t events, void *arg)
{
	struct vx0_onion_udp_client *c = arg;
	uint8_t buf[VX0_ONION_CELL_LEN + 1];
	unsigned int budget = 64;

	(void)events;
	while (budget--) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		struct vx0_onion_addr a;
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&ss, &sl);

		if (n < 0)
			break;
		/* only the guard speaks to us */
		if (vx0_onion_udp_addr(&ss, &a) < 0 || !vx0_onion_addr_equal(&a, &c->guard))
			continue;
		vx0_onion_circ_input(c->circ, buf, (size_t)n, vx0_evloop_now_ms(loop), &c->ev);
		client_event(c);
	}
}

static void
client_tick(struct vx0_evloop *loop, struct vx0_timer *t, void *arg)
{
	struct vx0_onion_udp_client *c = arg;

	vx0_onion_circ_tick(c->circ, vx0_evloop_now_ms(loop), &c->ev);
	client_event(c);
	vx0_timer_arm(loop, t, TICK_MS);
}

struct vx0_onion_udp_client *
vx0_onion_udp_client_new(struct vx0_evloop *loop, const struct vx0_onion_relay_desc *path,
			 unsigned int n, vx0_onion_udp_data_cb on_data, void *arg)
{
	struct vx0_onion_udp_client *c;
	struct vx0_onion_addr any;
	uint32_t id;

	if (n == 0 || n > VX0_ONION_MAX_HOPS)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->loop = loop;
	c->on_data = on_data;
	c->arg = arg;
	c->guard = path[0].addr;
	c->fd = -1;
	c->circ = vx0_onion_circ_new();
	if (c->circ == NULL)
		goto fail;
	memset(&any, 0, sizeof(any));
	any.family = path[0].addr.family; /* wildcard address, ephemeral port */
	c->fd = vx0_onion_udp_socket(&any);
	if (c->fd < 0 || vx0_evloop_add_fd(loop, c->fd, EPOLLIN, client_rx, c) < 0)
		goto fail;
	do
		id = randombytes_random();
	while (id == 0);
	if (vx0_onion_circ_start(c->circ, path, n, id, vx0_evloop_now_ms(loop), &c->ev) < 0)
		goto fail;
	client_event(c);
	vx0_timer_init(&c->tick, client_tick, c);
	vx0_timer_arm(loop, &c->tick, TICK_MS);
	return c;
fail:
	vx0_onion_udp_client_free(c);
	return NULL;
}

void
vx0_onion_udp_client_free(struct vx0_onion_udp_client *c)
{
	if (c == NULL)
		return;
	if (c->fd >= 0) {
		vx0_evloop_del_fd(c->loop, c->fd);
		close(c->fd);
	}
	vx0_timer_cancel(c->loop, &c->tick);
	vx0_onion_circ_free(c->circ);
	sodium_memzero(&c->ev, sizeof(c->ev));
	free(c);
}

int
vx0_onion_udp_client_state(const struct vx0_onion_udp_client *c)
{
	return c->circ->state;
}

int
vx0_onion_udp_client_send(struct vx0_onion_udp_client *c, const uint8_t *pkt, size_t len)
{
	int rc = vx0_onion_circ_send(c->circ, pkt, len, vx0_evloop_now_ms(c->loop), &c->ev);

	if (rc == 0)
		client_event(c);
	return rc;
}
