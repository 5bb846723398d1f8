/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Socket glue test: two speakers in one event loop on loopback (127.0.0.1,
 * two ports) with a TCP-MD5 key: they establish, exchange their own
 * prefixes (FIB callbacks see the other's next hop), and an administrative
 * shutdown carries its RFC 8203 message across. Bounded by deadlines.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vx0_bgp_io.h"
#include "vx0_evloop.h"
#include "vx0_log.h"
#include "vx0_test.h"

struct fibrec {
	int adds, dels;
	struct vx0_bgp_prefix last;
	uint8_t nh[16];
};

static int
f_add(void *ctx, int family, const uint8_t *prefix, uint8_t len, const uint8_t *nh)
{
	struct fibrec *f = ctx;

	f->adds++;
	memset(&f->last, 0, sizeof(f->last));
	f->last.family = (uint8_t)family;
	f->last.len = len;
	memcpy(f->last.a, prefix, family == 4 ? 4 : 16);
	memcpy(f->nh, nh, 16);
	return 0;
}

static int
f_del(void *ctx, int family, const uint8_t *prefix, uint8_t len)
{
	(void)family, (void)prefix, (void)len;
	((struct fibrec *)ctx)->dels++;
	return 0;
}

/* A free loopback TCP port (bound then released). */
static uint16_t
free_port(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	getsockname(fd, (struct sockaddr *)&sa, &sl);
	close(fd);
	return ntohs(sa.sin_port);
}

static const char *md5_key = "vx0-test-key";

static struct vx0_bgp_io *
mk(struct vx0_evloop *loop, uint32_t as, uint32_t rid, uint16_t port, uint16_t peer_port,
   uint32_t peer_as, bool passive)
{
	struct vx0_bgp_config c = {.local_as = as, .router_id = rid, .hold_time = 9,
				   .connect_retry_ms = 200};
	struct vx0_bgp_io_config ic = {.listen_port = port, .n_listen = 1};
	struct vx0_bgp_peer_config pc = {.remote_as = peer_as, .port = peer_port,
					 .passive = passive};

	ic.listen[0].family = 4;
	memcpy(ic.listen[0].a, "\x7f\x00\x00\x01", 4);
	pc.addr = ic.listen[0];
	snprintf(pc.md5_key, sizeof(pc.md5_key), "%s", md5_key);
	/* a loopback next hop is martian (RFC 4271 6.3): advertise a lab one */
	pc.nexthop4.family = 4;
	memcpy(pc.nexthop4.a, "\xc6\x33\x64\x01", 4);
	struct vx0_bgp_io *io = vx0_bgp_io_create(loop, &c, &ic);

	if (io == NULL || vx0_bgp_io_peer_add(io, &pc) != 0)
		return NULL;
	return io;
}

static bool
run_until(struct vx0_evloop *loop, bool (*cond)(void *), void *arg, uint64_t ms)
{
	uint64_t end = vx0_evloop_now_ms(loop) + ms;

	while (vx0_evloop_now_ms(loop) < end) {
		if (cond(arg))
			return true;
		vx0_evloop_run_once(loop, 20);
	}
	return cond(arg);
}

static struct vx0_bgp_io *A, *B;

static bool
both_up(void *arg)
{
	struct vx0_bgp_neighbor_info a, b;

	(void)arg;
	vx0_bgp_neighbor_info(vx0_bgp_io_core(A), 0, &a);
	vx0_bgp_neighbor_info(vx0_bgp_io_core(B), 0, &b);
	return a.state == VX0_BGP_ESTABLISHED && b.state == VX0_BGP_ESTABLISHED;
}

static bool
fib_has(void *arg)
{
	return ((struct fibrec *)arg)->adds > 0;
}

static bool
b_down_with_msg(void *arg)
{
	struct vx0_bgp_neighbor_info b;

	(void)arg;
	vx0_bgp_neighbor_info(vx0_bgp_io_core(B), 0, &b);
	return b.state != VX0_BGP_ESTABLISHED && strstr(b.last_error, "glue test over") != NULL;
}

static bool
b_no_route(void *arg)
{
	(void)arg;
	return vx0_bgp_rib_count(vx0_bgp_io_core(B)) == 0;
}

static void
test_loopback_session(void)
{
	struct vx0_evloop *loop = vx0_evloop_create();
	uint16_t pa = free_port(), pb = free_port();
	struct fibrec fa = {0}, fb = {0};
	static const struct vx0_bgp_fib_ops fops = {.route_add = f_add, .route_del = f_del};

	/* A connects to B's port; B only listens */
	A = mk(loop, 65001, 0x7f000001, pa, pb, 65002, false);
	B = mk(loop, 65002, 0x7f000002, pb, pa, 65001, true);
	CHECK(A != NULL && B != NULL);
	if (A == NULL || B == NULL)
		return;
	vx0_bgp_set_fib_ops(vx0_bgp_io_core(A), &fops, &fa);
	vx0_bgp_set_fib_ops(vx0_bgp_io_core(B), &fops, &fb);
	struct vx0_bgp_prefix pfx;

	vx0_bgp_prefix_parse("203.0.113.0/24", &pfx);
	vx0_bgp_originate(vx0_bgp_io_core(A), &pfx);
	CHECK_EQ(vx0_bgp_io_start(B), 0);
	CHECK_EQ(vx0_bgp_io_start(A), 0);
	CHECK(run_until(loop, both_up, NULL, 5000));
	CHECK(run_until(loop, fib_has, &fb, 3000));
	CHECK_EQ(fb.adds, 1);
	CHECK_EQ(fb.last.len, 24);
	CHECK_MEM(fb.last.a, "\xcb\x00\x71\x00", 4);
	CHECK_MEM(fb.nh, "\xc6\x33\x64\x01", 4); /* A's configured next-hop self */
	CHECK_EQ(fa.adds, 0);
	struct vx0_bgp_path_info pi[2] = {0};
	enum vx0_bgp_reason r;

	CHECK_EQ(vx0_bgp_rib_lookup(vx0_bgp_io_core(B), &pfx, pi, 2, &r), 1);
	CHECK_EQ(pi[0].as_path_n, 1);
	CHECK_EQ(pi[0].as_path[0], 65001);
	/* A shuts the session down with a message */
	vx0_bgp_peer_stop(vx0_bgp_io_core(A), 0, "glue test over", vx0_evloop_now_ms(loop));
	vx0_bgp_io_kick(A);
	CHECK(run_until(loop, b_down_with_msg, NULL, 3000));
	CHECK(run_until(loop, b_no_route, NULL, 1000));
	CHECK_EQ(fb.dels, 1);
	vx0_bgp_io_destroy(A);
	vx0_bgp_io_destroy(B);
	vx0_evloop_destroy(loop);
}

static void
test_md5_mismatch(void)
{
	struct vx0_evloop *loop = vx0_evloop_create();
	uint16_t pa = free_port(), pb = free_port();

	/* RFC 2385: segments signed with another key are dropped, no session forms */
	md5_key = "key-one";
	A = mk(loop, 65001, 0x7f000001, pa, pb, 65002, false);
	md5_key = "key-two";
	B = mk(loop, 65002, 0x7f000002, pb, pa, 65001, true);
	md5_key = "vx0-test-key";
	vx0_bgp_io_start(B);
	vx0_bgp_io_start(A);
	CHECK(!run_until(loop, both_up, NULL, 1500));
	struct vx0_bgp_neighbor_info b;

	vx0_bgp_neighbor_info(vx0_bgp_io_core(B), 0, &b);
	CHECK_EQ(b.state, VX0_BGP_ACTIVE); /* nothing accepted */
	vx0_bgp_io_destroy(A);
	vx0_bgp_io_destroy(B);
	vx0_evloop_destroy(loop);
}

/* ---- connection collision (RFC 4271 6.8) against hand-driven sockets ---- */

struct rawconn {
	int fd;
	uint8_t buf[8192];
	size_t len;
	bool eof;
};

static void
raw_pump(struct rawconn *c)
{
	while (!c->eof && c->len < sizeof(c->buf)) {
		ssize_t r = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, MSG_DONTWAIT);

		if (r > 0)
			c->len += (size_t)r;
		else if (r == 0)
			c->eof = true;
		else
			break;
	}
}

/* Offset of the first message of type t in c (whole), or -1. */
static int
raw_find(struct rawconn *c, uint8_t t)
{
	size_t off = 0;

	raw_pump(c);
	while (off + 19 <= c->len) {
		size_t ml = (size_t)(c->buf[off + 16] << 8 | c->buf[off + 17]);

		if (ml < 19 || off + ml > c->len)
			break;
		if (c->buf[off + 18] == t)
			return (int)off;
		off += ml;
	}
	return -1;
}

struct want {
	struct rawconn *c;
	uint8_t type;
	bool eof;
};

static bool
got(void *arg)
{
	struct want *w = arg;

	return raw_find(w->c, w->type) >= 0 && (!w->eof || w->c->eof);
}

static size_t
raw_open(uint8_t *m, uint32_t id)
{
	static const uint8_t tmpl[] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0x00, 0x2d, 0x01, 0x04, 0xfd, 0xea, 0x00, 0x5a, 0, 0, 0, 0,
		0x10, 0x02, 0x0e, 0x01, 0x04, 0x00, 0x01, 0x00, 0x01, 0x02, 0x00, 0x41, 0x04,
		0x00, 0x00, 0xfd, 0xea,
	};
	memcpy(m, tmpl, sizeof(tmpl));
	m[24] = (uint8_t)(id >> 24);
	m[25] = (uint8_t)(id >> 16);
	m[26] = (uint8_t)(id >> 8);
	m[27] = (uint8_t)id;
	return sizeof(tmpl);
}

static void
collision_case(uint32_t remote_id, bool new_wins)
{
	struct vx0_evloop *loop = vx0_evloop_create();
	uint16_t pa = free_port();
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sa);
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	bind(lfd, (struct sockaddr *)&sa, sizeof(sa));
	listen(lfd, 4);
	getsockname(lfd, (struct sockaddr *)&sa, &sl);
	/* speaker A (id 198.51.100.10) connects to our listener and listens on pa */
	struct vx0_bgp_config c = {.local_as = 65001, .router_id = 0xc633640a, .hold_time = 90};
	struct vx0_bgp_io_config ic = {.listen_port = pa, .n_listen = 1};
	struct vx0_bgp_peer_config pc = {.remote_as = 65002, .port = ntohs(sa.sin_port)};

	ic.listen[0].family = 4;
	memcpy(ic.listen[0].a, "\x7f\x00\x00\x01", 4);
	pc.addr = ic.listen[0];
	A = vx0_bgp_io_create(loop, &c, &ic);
	vx0_bgp_io_peer_add(A, &pc);
	vx0_bgp_io_start(A);
	struct rawconn c1 = {.fd = -1}, c2 = {.fd = -1};
	uint64_t end = vx0_evloop_now_ms(loop) + 3000;

	while (c1.fd < 0 && vx0_evloop_now_ms(loop) < end) {
		vx0_evloop_run_once(loop, 20);
		c1.fd = accept(lfd, NULL, NULL);
	}
	CHECK(c1.fd >= 0);
	struct want w1 = {&c1, 1, false};

	CHECK(run_until(loop, got, &w1, 3000)); /* A's OPEN; A waits in OpenSent */
	/* the other side connects too and sends its OPEN */
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(pa),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	uint8_t m[64];
	size_t n = raw_open(m, remote_id);

	c2.fd = socket(AF_INET, SOCK_STREAM, 0);
	CHECK_EQ(connect(c2.fd, (struct sockaddr *)&to, sizeof(to)), 0);
	CHECK_EQ(send(c2.fd, m, n, 0), (ssize_t)n);
	struct want cease = {new_wins ? &c1 : &c2, 3, true};

	CHECK(run_until(loop, got, &cease, 3000));
	int off = raw_find(cease.c, 3);

	CHECK(off >= 0);
	if (off >= 0) {
		CHECK_EQ(cease.c->buf[off + 19], 6); /* Cease */
		CHECK_EQ(cease.c->buf[off + 20], 7); /* Connection Collision Resolution */
	}
	struct vx0_bgp_neighbor_info ni;

	if (new_wins) {
		/* A answers on the new connection: OPEN, KEEPALIVE; then Established */
		struct want ka = {&c2, 4, false};

		CHECK(run_until(loop, got, &ka, 3000));
		CHECK(raw_find(&c2, 1) >= 0);
		static const uint8_t k[19] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 19, 4};
		send(c2.fd, k, sizeof(k), 0);
		for (int i = 0; i < 50; i++)
			vx0_evloop_run_once(loop, 10);
		vx0_bgp_neighbor_info(vx0_bgp_io_core(A), 0, &ni);
		CHECK_EQ(ni.state, VX0_BGP_ESTABLISHED);
		CHECK_EQ(ni.remote_id, remote_id);
	} else {
		/* the first connection stays, still waiting for the peer's OPEN */
		vx0_bgp_neighbor_info(vx0_bgp_io_core(A), 0, &ni);
		CHECK_EQ(ni.state, VX0_BGP_OPENSENT);
		raw_pump(&c1);
		CHECK(!c1.eof);
	}
	close(c1.fd);
	close(c2.fd);
	close(lfd);
	vx0_bgp_io_destroy(A);
	vx0_evloop_destroy(loop);
}

static void
test_collision_remote_higher_id(void)
{
	collision_case(0xc6336414, true);
}

static void
test_collision_local_higher_id(void)
{
	collision_case(0xc6336405, false);
}

int
main(void)
{
	vx0_log_set_level(VX0_LOG_ERR);
	VX0_RUN(test_loopback_session);
	VX0_RUN(test_md5_mismatch);
	VX0_RUN(test_collision_remote_higher_id);
	VX0_RUN(test_collision_local_higher_id);
	return vx0_test_done();
}
