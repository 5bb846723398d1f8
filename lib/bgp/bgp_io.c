/* SPDX-License-Identifier: BSD-3-Clause */
/* Kernel TCP glue for the BGP core on lib/evloop (see vx0_bgp_io.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vx0_bgp_io.h"
#include "vx0_evloop.h"
#include "vx0_log.h"

#ifndef IP_MINTTL
#define IP_MINTTL 21
#endif
#ifndef IPV6_MINHOPCOUNT
#define IPV6_MINHOPCOUNT 73
#endif

struct io_peer {
	struct vx0_bgp_io *io;
	int id;
	int fd;
	bool connecting, outgoing;
	/* a second connection from the peer, held until its OPEN (collision, RFC 4271 6.8) */
	int pfd;
	size_t plen;
	uint8_t pbuf[4096];
	uint8_t *out;
	size_t out_len, out_cap;
};

struct vx0_bgp_io {
	struct vx0_evloop *loop;
	struct vx0_bgp *core;
	struct vx0_bgp_io_config cfg;
	int lfd[8];
	unsigned n_lfd;
	bool started, listen4, listen6; /* wildcard listeners opened by family */
	struct io_peer peers[VX0_BGP_MAX_PEERS];
	struct vx0_timer timer;
	void (*state_cb)(void *, int, enum vx0_bgp_state, enum vx0_bgp_state);
	void *state_ctx;
};

static uint64_t
now_ms(struct vx0_bgp_io *io)
{
	return vx0_evloop_now_ms(io->loop);
}

static socklen_t
to_sockaddr(const struct vx0_bgp_addr *a, uint16_t port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == 6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		memcpy(&s6->sin6_addr, a->a, 16);
		return sizeof(*s6);
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	s4->sin_family = AF_INET;
	s4->sin_port = htons(port);
	memcpy(&s4->sin_addr, a->a, 4);
	return sizeof(*s4);
}

static void
from_sockaddr(const struct sockaddr_storage *ss, struct vx0_bgp_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			a->family = 4;
			memcpy(a->a, s6->sin6_addr.s6_addr + 12, 4);
		} else {
			a->family = 6;
			memcpy(a->a, &s6->sin6_addr, 16);
		}
	} else {
		a->family = 4;
		memcpy(a->a, &((const struct sockaddr_in *)ss)->sin_addr, 4);
	}
}

static int
set_md5(int fd, const struct vx0_bgp_addr *peer, const char *key)
{
	struct tcp_md5sig sig;
	size_t kl = strlen(key);

	if (kl == 0)
		return 0;
	if (kl > TCP_MD5SIG_MAXKEYLEN)
		return -EINVAL;
	memset(&sig, 0, sizeof(sig));
	to_sockaddr(peer, 0, &sig.tcpm_addr);
	sig.tcpm_keylen = (uint16_t)kl;
	memcpy(sig.tcpm_key, key, kl);
	int r = setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, &sig, sizeof(sig));

	memset(&sig, 0, sizeof(sig)); /* no key copy left on the stack */
	return r < 0 ? -errno : 0;
}

/* Drop a peer's TCP-MD5 key from a listener (a zero-length key deletes it). */
static void
del_md5(int fd, const struct vx0_bgp_addr *peer)
{
	struct tcp_md5sig sig;

	memset(&sig, 0, sizeof(sig));
	to_sockaddr(peer, 0, &sig.tcpm_addr);
	setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, &sig, sizeof(sig));
}

/* GTSM (RFC 5082 3): send with TTL 255, accept only TTL >= 256 - hops. */
static int
set_gtsm(int fd, int family, uint8_t hops)
{
	int ttl = 255, min = 256 - hops;

	if (hops == 0)
		return 0;
	if (family == 6) {
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof(ttl)) < 0 ||
		    setsockopt(fd, IPPROTO_IPV6, IPV6_MINHOPCOUNT, &min, sizeof(min)) < 0)
			return -errno;
		return 0;
	}
	if (setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_MINTTL, &min, sizeof(min)) < 0)
		return -errno;
	return 0;
}

static void
rearm(struct vx0_bgp_io *io)
{
	uint64_t d = vx0_bgp_next_deadline(io->core), n = now_ms(io);

	if (d == UINT64_MAX)
		vx0_timer_cancel(io->loop, &io->timer);
	else
		vx0_timer_arm(io->loop, &io->timer, d > n ? d - n : 0);
}

void
vx0_bgp_io_kick(struct vx0_bgp_io *io)
{
	rearm(io);
}

static void
on_timer(struct vx0_evloop *loop, struct vx0_timer *t, void *arg)
{
	struct vx0_bgp_io *io = arg;

	(void)loop, (void)t;
	vx0_bgp_timers(io->core, now_ms(io));
	rearm(io);
}

static void
peer_close(struct io_peer *p)
{
	if (p->fd >= 0) {
		vx0_evloop_del_fd(p->io->loop, p->fd);
		close(p->fd);
	}
	p->fd = -1;
	p->connecting = false;
	p->out_len = 0;
}

static void
peer_fail(struct io_peer *p)
{
	peer_close(p);
	vx0_bgp_tcp_fail(p->io->core, p->id, now_ms(p->io));
}

static void
update_events(struct io_peer *p)
{
	if (p->fd >= 0)
		vx0_evloop_mod_fd(p->io->loop, p->fd,
				  EPOLLIN | (p->out_len || p->connecting ? EPOLLOUT : 0));
}

static int
flush_out(struct io_peer *p)
{
	while (p->out_len > 0) {
		ssize_t w = send(p->fd, p->out, p->out_len, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			return -errno;
		}
		memmove(p->out, p->out + w, p->out_len - (size_t)w);
		p->out_len -= (size_t)w;
	}
	return 0;
}

static void established_io(struct io_peer *p);

/* Header of a would-be OPEN on a pending connection (RFC 4271 4.1, 4.2). */
static int
bgp_hdr_check_open(const uint8_t *b, uint16_t *mlen, uint8_t *type, uint8_t *sub)
{
	for (int i = 0; i < 16; i++)
		if (b[i] != 0xff)
			return -EBADMSG;
	*mlen = (uint16_t)(b[16] << 8 | b[17]);
	*type = b[18];
	*sub = 0;
	return (*type == 1 && *mlen >= 29 && *mlen <= 4096) ? 0 : -EBADMSG;
}

static void
on_peer_fd(struct vx0_evloop *loop, int fd, uint32_t events, void *arg)
{
	struct io_peer *p = arg;
	struct vx0_bgp_io *io = p->io;

	(void)loop;
	if (fd != p->fd)
		return;
	if (p->connecting) {
		int err = 0;
		socklen_t el = sizeof(err);

		if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
		if (err != 0) {
			vx0_log(VX0_LOG_INFO, "bgp", "peer %d: connect failed: %s", p->id,
				strerror(err));
			peer_fail(p);
			rearm(io);
			return;
		}
		p->connecting = false;
		established_io(p);
		rearm(io);
		return;
	}
	if (events & EPOLLOUT) {
		if (flush_out(p) < 0) {
			peer_fail(p);
			rearm(io);
			return;
		}
		update_events(p);
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		uint8_t buf[16384];

		/* bounded: at most 16 reads per wakeup so other peers get their turn */
		for (int i = 0; i < 16 && p->fd == fd; i++) {
			ssize_t r = recv(fd, buf, sizeof(buf), 0);

			if (r > 0) {
				vx0_bgp_input(io->core, p->id, buf, (size_t)r, now_ms(io));
				continue;
			}
			if (r < 0 && (errno == EAGAIN || errno == EINTR))
				break;
			peer_fail(p); /* closed or reset */
			break;
		}
	}
	rearm(io);
}

/* The transport is up (connected or accepted): tell the core. */
static void
established_io(struct io_peer *p)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct vx0_bgp_addr local;
	int one = 1;

	setsockopt(p->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (getsockname(p->fd, (struct sockaddr *)&ss, &sl) == 0)
		from_sockaddr(&ss, &local);
	else
		memset(&local, 0, sizeof(local));
	update_events(p);
	if (vx0_bgp_tcp_up(p->io->core, p->id, &local, now_ms(p->io)) < 0)
		peer_close(p);
}

static void
op_send(void *ctx, int peer, const uint8_t *buf, size_t len)
{
	struct vx0_bgp_io *io = ctx;
	struct io_peer *p = &io->peers[peer];

	if (p->fd < 0 || p->connecting)
		return;
	if (p->out_len + len > p->out_cap) {
		size_t nc = p->out_cap ? p->out_cap : 65536;

		while (nc < p->out_len + len)
			nc *= 2;
		uint8_t *n = realloc(p->out, nc);

		if (n == NULL) {
			vx0_log(VX0_LOG_ERR, "bgp", "peer %d: out of memory for output", peer);
			return;
		}
		p->out = n;
		p->out_cap = nc;
	}
	memcpy(p->out + p->out_len, buf, len);
	p->out_len += len;
	/* write at once when possible; the rest waits for EPOLLOUT */
	if (flush_out(p) < 0)
		p->out_len = 0;
	update_events(p);
}

static void
op_connect(void *ctx, int peer)
{
	struct vx0_bgp_io *io = ctx;
	struct io_peer *p = &io->peers[peer];
	const struct vx0_bgp_peer_config *pc = vx0_bgp_peer_config(io->core, peer);
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd;

	peer_close(p);
	fd = socket(pc->addr.family == 6 ? AF_INET6 : AF_INET,
		    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	if (set_md5(fd, &pc->addr, pc->md5_key) < 0 ||
	    set_gtsm(fd, pc->addr.family, pc->ttl_security) < 0) {
		vx0_log(VX0_LOG_ERR, "bgp", "%s: TCP-MD5/GTSM setup failed", pc->name);
		close(fd);
		goto fail;
	}
	if (pc->source.family == pc->addr.family) {
		sl = to_sockaddr(&pc->source, 0, &ss);
		if (bind(fd, (struct sockaddr *)&ss, sl) < 0) {
			close(fd);
			goto fail;
		}
	}
	sl = to_sockaddr(&pc->addr, pc->port ? pc->port : 179, &ss);
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0 && errno != EINPROGRESS) {
		close(fd);
		goto fail;
	}
	p->fd = fd;
	p->connecting = true;
	p->outgoing = true;
	if (vx0_evloop_add_fd(io->loop, fd, EPOLLOUT | EPOLLIN, on_peer_fd, p) < 0) {
		close(fd);
		p->fd = -1;
		p->connecting = false;
		goto fail;
	}
	return;
fail:
	/* reported from the core's point of view as a failed connection */
	vx0_bgp_tcp_fail(io->core, peer, now_ms(io));
}

static void
op_disconnect(void *ctx, int peer)
{
	struct vx0_bgp_io *io = ctx;
	struct io_peer *p = &io->peers[peer];

	if (p->fd >= 0 && !p->connecting)
		flush_out(p); /* best effort: the NOTIFICATION before the close */
	peer_close(p);
}

static void
op_state(void *ctx, int peer, enum vx0_bgp_state from, enum vx0_bgp_state to)
{
	struct vx0_bgp_io *io = ctx;

	if (io->state_cb)
		io->state_cb(io->state_ctx, peer, from, to);
}

static void
pending_close(struct io_peer *p)
{
	if (p->pfd >= 0) {
		vx0_evloop_del_fd(p->io->loop, p->pfd);
		close(p->pfd);
	}
	p->pfd = -1;
	p->plen = 0;
}

/* Makes fd the peer's connection and hands the transport to the core. */
static bool
adopt(struct io_peer *p, int fd)
{
	peer_close(p); /* a pending outgoing attempt gives way */
	p->fd = fd;
	p->outgoing = false;
	if (vx0_evloop_add_fd(p->io->loop, fd, EPOLLIN, on_peer_fd, p) < 0) {
		close(fd);
		p->fd = -1;
		return false;
	}
	established_io(p);
	return p->fd == fd;
}

static void
on_pending(struct vx0_evloop *loop, int fd, uint32_t events, void *arg)
{
	struct io_peer *p = arg;
	struct vx0_bgp_io *io = p->io;
	uint16_t mlen;
	uint8_t type, sub;

	(void)loop, (void)events;
	ssize_t r = recv(fd, p->pbuf + p->plen, sizeof(p->pbuf) - p->plen, 0);

	if (r <= 0) {
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		pending_close(p);
		return;
	}
	p->plen += (size_t)r;
	if (p->plen < 19)
		return;
	if (bgp_hdr_check_open(p->pbuf, &mlen, &type, &sub) < 0) {
		pending_close(p);
		return;
	}
	if (p->plen < mlen)
		return;
	/* a whole OPEN: its BGP Identifier decides (RFC 4271 6.8) */
	uint32_t rid = (uint32_t)p->pbuf[24] << 24 | (uint32_t)p->pbuf[25] << 16 |
		       (uint32_t)p->pbuf[26] << 8 | p->pbuf[27];
	struct vx0_bgp_neighbor_info ni;
	int keep_old = 1;

	vx0_bgp_neighbor_info(io->core, p->id, &ni);
	if (ni.state == VX0_BGP_CONNECT || ni.state == VX0_BGP_ACTIVE)
		keep_old = 0; /* the first connection went away meanwhile */
	else if (ni.state == VX0_BGP_OPENSENT || ni.state == VX0_BGP_OPENCONFIRM)
		keep_old = vx0_bgp_collision(io->core, p->id, rid, now_ms(io));
	if (keep_old != 0) {
		static const uint8_t cease7[21] = {
			0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
			0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x15, 0x03, 0x06, 0x07,
		};
		if (send(fd, cease7, sizeof(cease7), MSG_NOSIGNAL) < 0)
			vx0_log(VX0_LOG_DEBUG, "bgp", "peer %d: Cease/7 not sent", p->id);
		pending_close(p);
		rearm(io);
		return;
	}
	uint8_t buf[sizeof(p->pbuf)];
	size_t n = p->plen;

	memcpy(buf, p->pbuf, n);
	vx0_evloop_del_fd(io->loop, fd);
	p->pfd = -1;
	p->plen = 0;
	if (adopt(p, fd))
		vx0_bgp_input(io->core, p->id, buf, n, now_ms(io));
	rearm(io);
}

static void
on_accept(struct vx0_evloop *loop, int lfd, uint32_t events, void *arg)
{
	struct vx0_bgp_io *io = arg;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct vx0_bgp_addr a;

	(void)loop, (void)events;
	for (int i = 0; i < 8; i++) {
		sl = sizeof(ss);
		int fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0)
			break;
		from_sockaddr(&ss, &a);
		int id = vx0_bgp_peer_find(io->core, &a);
		struct vx0_bgp_neighbor_info ni;

		if (id < 0 || vx0_bgp_neighbor_info(io->core, id, &ni) < 0) {
			close(fd); /* not a configured peer */
			continue;
		}
		const struct vx0_bgp_peer_config *pc = vx0_bgp_peer_config(io->core, id);
		struct io_peer *p = &io->peers[id];

		set_gtsm(fd, a.family, pc->ttl_security);
		if (ni.state == VX0_BGP_CONNECT || ni.state == VX0_BGP_ACTIVE) {
			adopt(p, fd);
		} else if ((ni.state == VX0_BGP_OPENSENT || ni.state == VX0_BGP_OPENCONFIRM) &&
			   p->outgoing && !p->connecting && p->pfd < 0 &&
			   vx0_evloop_add_fd(io->loop, fd, EPOLLIN, on_pending, p) == 0) {
			/* both sides connected: wait for this one's OPEN, then decide */
			p->pfd = fd;
			p->plen = 0;
		} else {
			close(fd); /* stopped, Established, or a collision already pending */
		}
	}
	rearm(io);
}

struct vx0_bgp_io *
vx0_bgp_io_create(struct vx0_evloop *loop, const struct vx0_bgp_config *cfg,
		  const struct vx0_bgp_io_config *io_cfg)
{
	static const struct vx0_bgp_ops ops = {
		.send = op_send, .connect = op_connect, .disconnect = op_disconnect,
		.state_change = op_state,
	};
	struct vx0_bgp_io *io = calloc(1, sizeof(*io));

	if (io == NULL)
		return NULL;
	io->loop = loop;
	if (io_cfg)
		io->cfg = *io_cfg;
	io->core = vx0_bgp_create(cfg, &ops, io);
	if (io->core == NULL) {
		free(io);
		return NULL;
	}
	for (int i = 0; i < VX0_BGP_MAX_PEERS; i++) {
		io->peers[i].io = io;
		io->peers[i].id = i;
		io->peers[i].fd = -1;
		io->peers[i].pfd = -1;
	}
	vx0_timer_init(&io->timer, on_timer, io);
	return io;
}

void
vx0_bgp_io_destroy(struct vx0_bgp_io *io)
{
	if (io == NULL)
		return;
	vx0_timer_cancel(io->loop, &io->timer);
	for (int i = 0; i < VX0_BGP_MAX_PEERS; i++) {
		peer_close(&io->peers[i]);
		pending_close(&io->peers[i]);
		free(io->peers[i].out);
	}
	for (unsigned i = 0; i < io->n_lfd; i++) {
		vx0_evloop_del_fd(io->loop, io->lfd[i]);
		close(io->lfd[i]);
	}
	vx0_bgp_destroy(io->core);
	free(io);
}

struct vx0_bgp *
vx0_bgp_io_core(struct vx0_bgp_io *io)
{
	return io->core;
}

void
vx0_bgp_io_set_state_cb(struct vx0_bgp_io *io,
			void (*cb)(void *, int, enum vx0_bgp_state, enum vx0_bgp_state), void *ctx)
{
	io->state_cb = cb;
	io->state_ctx = ctx;
}

static int open_listener(struct vx0_bgp_io *io, const struct vx0_bgp_addr *a);

int
vx0_bgp_io_peer_add(struct vx0_bgp_io *io, const struct vx0_bgp_peer_config *pc)
{
	int id, r;

	/* a running speaker with wildcard listeners: the new peer's family needs one */
	if (io->started && !io->cfg.no_listen && io->cfg.n_listen == 0 && pc != NULL &&
	    ((pc->addr.family == 4 && !io->listen4) || (pc->addr.family == 6 && !io->listen6))) {
		struct vx0_bgp_addr any = {.family = pc->addr.family};

		if (io->n_lfd == sizeof(io->lfd) / sizeof(io->lfd[0]))
			return -ENOSPC;
		if ((r = open_listener(io, &any)) < 0)
			return r;
		if (pc->addr.family == 4)
			io->listen4 = true;
		else
			io->listen6 = true;
	}
	id = vx0_bgp_peer_add(io->core, pc);
	if (id < 0)
		return id;
	for (unsigned i = 0; i < io->n_lfd; i++)
		set_md5(io->lfd[i], &pc->addr, pc->md5_key);
	if (io->started)
		vx0_bgp_peer_start(io->core, id, now_ms(io));
	rearm(io);
	return id;
}

int
vx0_bgp_io_peer_remove(struct vx0_bgp_io *io, int peer)
{
	const struct vx0_bgp_peer_config *pc = vx0_bgp_peer_config(io->core, peer);
	struct vx0_bgp_addr a;
	bool md5;
	int r;

	if (pc == NULL)
		return -ENOENT;
	a = pc->addr;
	md5 = pc->md5_key[0] != '\0';
	r = vx0_bgp_peer_remove(io->core, peer, now_ms(io));
	if (r < 0)
		return r;
	peer_close(&io->peers[peer]);
	pending_close(&io->peers[peer]);
	for (unsigned i = 0; md5 && i < io->n_lfd; i++)
		del_md5(io->lfd[i], &a);
	rearm(io);
	return 0;
}

static int
open_listener(struct vx0_bgp_io *io, const struct vx0_bgp_addr *a)
{
	struct sockaddr_storage ss;
	socklen_t sl = to_sockaddr(a, io->cfg.listen_port ? io->cfg.listen_port : 179, &ss);
	int fd = socket(a->family == 6 ? AF_INET6 : AF_INET,
			SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (a->family == 6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 16) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	/* MD5 keys of every peer of this family */
	struct vx0_bgp *c = io->core;

	for (int i = 0; i < vx0_bgp_peer_count(c); i++) {
		const struct vx0_bgp_peer_config *pc = vx0_bgp_peer_config(c, i);

		if (pc != NULL && pc->addr.family == a->family && set_md5(fd, &pc->addr, pc->md5_key) < 0)
			vx0_log(VX0_LOG_ERR, "bgp", "%s: TCP-MD5 on the listener failed", pc->name);
	}
	if (vx0_evloop_add_fd(io->loop, fd, EPOLLIN, on_accept, io) < 0) {
		close(fd);
		return -ENOMEM;
	}
	io->lfd[io->n_lfd++] = fd;
	return 0;
}

int
vx0_bgp_io_start(struct vx0_bgp_io *io)
{
	int r;

	if (!io->cfg.no_listen && io->n_lfd == 0) {
		if (io->cfg.n_listen) {
			for (unsigned i = 0; i < io->cfg.n_listen && i < 4; i++)
				if ((r = open_listener(io, &io->cfg.listen[i])) < 0)
					return r;
		} else {
			bool v4 = false, v6 = false;

			for (int i = 0; i < vx0_bgp_peer_count(io->core); i++) {
				const struct vx0_bgp_peer_config *pc = vx0_bgp_peer_config(io->core, i);

				v4 |= pc != NULL && pc->addr.family == 4;
				v6 |= pc != NULL && pc->addr.family == 6;
			}
			struct vx0_bgp_addr any4 = {.family = 4}, any6 = {.family = 6};

			if (v4 && (r = open_listener(io, &any4)) < 0)
				return r;
			if (v6 && (r = open_listener(io, &any6)) < 0)
				return r;
			io->listen4 = v4;
			io->listen6 = v6;
		}
	}
	io->started = true;
	for (int i = 0; i < vx0_bgp_peer_count(io->core); i++)
		vx0_bgp_peer_start(io->core, i, now_ms(io));
	rearm(io);
	return 0;
}
