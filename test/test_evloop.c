/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <unistd.h>
#include <sys/epoll.h>

#include "vx0_evloop.h"
#include "vx0_test.h"

static int order[8], norder;

static void
record(struct vx0_evloop *loop, struct vx0_timer *t, void *arg)
{
	(void)loop;
	(void)t;
	order[norder++] = (int)(long)arg;
}

static void
test_timers_fire_in_deadline_order(void)
{
	struct vx0_evloop *loop = vx0_evloop_create();
	struct vx0_timer t[4];

	norder = 0;
	vx0_timer_init(&t[0], record, (void *)30L);
	vx0_timer_init(&t[1], record, (void *)10L);
	vx0_timer_init(&t[2], record, (void *)20L);
	vx0_timer_init(&t[3], record, (void *)99L);
	vx0_timer_arm(loop, &t[0], 30);
	vx0_timer_arm(loop, &t[1], 10);
	vx0_timer_arm(loop, &t[2], 20);
	vx0_timer_arm(loop, &t[3], 5);
	vx0_timer_cancel(loop, &t[3]);
	CHECK(!vx0_timer_armed(&t[3]));
	for (int i = 0; i < 100 && norder < 3; i++)
		vx0_evloop_run_once(loop, 50);
	CHECK_EQ(norder, 3);
	CHECK_EQ(order[0], 10);
	CHECK_EQ(order[1], 20);
	CHECK_EQ(order[2], 30);
	vx0_evloop_destroy(loop);
}

static int got_fd = -1;

static void
on_read(struct vx0_evloop *loop, int fd, uint32_t events, void *arg)
{
	char c;

	(void)arg;
	if ((events & EPOLLIN) && read(fd, &c, 1) == 1 && c == 'x')
		got_fd = fd;
	vx0_evloop_stop(loop);
}

static void
test_fd_callback_and_stop(void)
{
	struct vx0_evloop *loop = vx0_evloop_create();
	int p[2];

	CHECK(pipe(p) == 0);
	CHECK_EQ(vx0_evloop_add_fd(loop, p[0], EPOLLIN, on_read, NULL), 0);
	CHECK_EQ(vx0_evloop_add_fd(loop, p[0], EPOLLIN, on_read, NULL), -EEXIST);
	CHECK(write(p[1], "x", 1) == 1);
	CHECK_EQ(vx0_evloop_run(loop, vx0_evloop_now_ms(loop) + 2000), 0);
	CHECK_EQ(got_fd, p[0]);
	CHECK_EQ(vx0_evloop_del_fd(loop, p[0]), 0);
	CHECK_EQ(vx0_evloop_del_fd(loop, p[0]), -ENOENT);
	close(p[0]);
	close(p[1]);
	vx0_evloop_destroy(loop);
}

static void
test_run_deadline(void)
{
	struct vx0_evloop *loop = vx0_evloop_create();

	CHECK_EQ(vx0_evloop_run(loop, vx0_evloop_now_ms(loop) + 20), -ETIMEDOUT);
	vx0_evloop_destroy(loop);
}

int
main(void)
{
	VX0_RUN(test_timers_fire_in_deadline_order);
	VX0_RUN(test_fd_callback_and_stop);
	VX0_RUN(test_run_deadline);
	return vx0_test_done();
}
