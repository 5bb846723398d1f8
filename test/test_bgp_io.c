/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Socket glue test: two speakers in one event loop on loopback (127.0.0.1,
 * two ports) with a TCP-MD5 key: they establish, exchange their own
 * prefixes (FIB callbacks see the other's next hop), and an administrative
 * shutdown carries its RFC 8203 message across. Bounded by deadlines.
 */
#include <arpa/inet.h>
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
	strcpy(pc.md5_key, "vx0-test-key");
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

int
main(void)
{
	vx0_log_set_level(VX0_LOG_ERR);
	VX0_RUN(test_loopback_session);
	return vx0_test_done();
}
