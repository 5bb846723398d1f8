/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>

#include "vx0_evloop.h"

#define EVLOOP_MAX_EVENTS 64
#define TIMER_NONE UINT32_MAX

struct fd_slot {
	vx0_evloop_fd_cb cb;
	void *arg;
	int fd; /* -1 when free */
};

struct vx0_evloop {
	int epfd;
	bool stop;
	uint64_t now_ms;
	struct fd_slot *fds; /* indexed by fd */
	int nfds;
	struct vx0_timer **heap; /* min-heap by deadline */
	uint32_t heap_len, heap_cap;
};

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct vx0_evloop *
vx0_evloop_create(void)
{
	struct vx0_evloop *loop = calloc(1, sizeof(*loop));

	if (loop == NULL)
		return NULL;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		free(loop);
		return NULL;
	}
	loop->now_ms = mono_ms();
	return loop;
}

void
vx0_evloop_destroy(struct vx0_evloop *loop)
{
	if (loop == NULL)
		return;
	close(loop->epfd);
	for (uint32_t i = 0; i < loop->heap_len; i++)
		loop->heap[i]->heap_idx = TIMER_NONE;
	free(loop->heap);
	free(loop->fds);
	free(loop);
}

uint64_t
vx0_evloop_now_ms(const struct vx0_evloop *loop)
{
	return loop->now_ms;
}

int
vx0_evloop_add_fd(struct vx0_evloop *loop, int fd, uint32_t events,
		  vx0_evloop_fd_cb cb, void *arg)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };

	if (fd < 0 || cb == NULL)
		return -EINVAL;
	if (fd >= loop->nfds) {
		int n = fd + 16;
		struct fd_slot *s = realloc(loop->fds, n * sizeof(*s));

		if (s == NULL)
			return -ENOMEM;
		for (int i = loop->nfds; i < n; i++)
			s[i].fd = -1;
		loop->fds = s;
		loop->nfds = n;
	}
	if (loop->fds[fd].fd >= 0)
		return -EEXIST;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	loop->fds[fd] = (struct fd_slot){ .cb = cb, .arg = arg, .fd = fd };
	return 0;
}

int
vx0_evloop_mod_fd(struct vx0_evloop *loop, int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };

	if (fd < 0 || fd >= loop->nfds || loop->fds[fd].fd < 0)
		return -ENOENT;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
		return -errno;
	return 0;
}

int
vx0_evloop_del_fd(struct vx0_evloop *loop, int fd)
{
	if (fd < 0 || fd >= loop->nfds || loop->fds[fd].fd < 0)
		return -ENOENT;
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
	loop->fds[fd].fd = -1;
	return 0;
}

/* --- timers: a binary min-heap; each timer knows its slot --- */

static void
heap_swap(struct vx0_evloop *loop, uint32_t a, uint32_t b)
{
	struct vx0_timer *t = loop->heap[a];

	loop->heap[a] = loop->heap[b];
	loop->heap[b] = t;
	loop->heap[a]->heap_idx = a;
	loop->heap[b]->heap_idx = b;
}

static void
heap_up(struct vx0_evloop *loop, uint32_t i)
{
	while (i > 0) {
		uint32_t p = (i - 1) / 2;

		if (loop->heap[p]->deadline_ms <= loop->heap[i]->deadline_ms)
			break;
		heap_swap(loop, p, i);
		i = p;
	}
}

static void
heap_down(struct vx0_evloop *loop, uint32_t i)
{
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < loop->heap_len &&
		    loop->heap[l]->deadline_ms < loop->heap[m]->deadline_ms)
			m = l;
		if (r < loop->heap_len &&
		    loop->heap[r]->deadline_ms < loop->heap[m]->deadline_ms)
			m = r;
		if (m == i)
			return;
		heap_swap(loop, i, m);
		i = m;
	}
}

void
vx0_timer_init(struct vx0_timer *t, vx0_timer_cb cb, void *arg)
{
	t->deadline_ms = 0;
	t->cb = cb;
	t->arg = arg;
	t->heap_idx = TIMER_NONE;
}

bool
vx0_timer_armed(const struct vx0_timer *t)
{
	return t->heap_idx != TIMER_NONE;
}

void
vx0_timer_cancel(struct vx0_evloop *loop, struct vx0_timer *t)
{
	uint32_t i = t->heap_idx;

	if (i == TIMER_NONE)
		return;
	t->heap_idx = TIMER_NONE;
	loop->heap_len--;
	if (i == loop->heap_len)
		return;
	loop->heap[i] = loop->heap[loop->heap_len];
	loop->heap[i]->heap_idx = i;
	heap_up(loop, i);
	heap_down(loop, loop->heap[i]->heap_idx);
}

int
vx0_timer_arm(struct vx0_evloop *loop, struct vx0_timer *t, uint64_t delay_ms)
{
	vx0_timer_cancel(loop, t);
	if (loop->heap_len == loop->heap_cap) {
		uint32_t n = loop->heap_cap ? loop->heap_cap * 2 : 64;
		struct vx0_timer **h = realloc(loop->heap, n * sizeof(*h));

		if (h == NULL)
			return -ENOMEM;
		loop->heap = h;
		loop->heap_cap = n;
	}
	t->deadline_ms = mono_ms() + delay_ms;
	t->heap_idx = loop->heap_len;
	loop->heap[loop->heap_len++] = t;
	heap_up(loop, t->heap_idx);
	return 0;
}

static int
run_timers(struct vx0_evloop *loop)
{
	int n = 0;

	/* Bounded: timers re-armed for "now" wait for the next iteration. */
	uint32_t budget = loop->heap_len;

	while (budget-- && loop->heap_len > 0 &&
	       loop->heap[0]->deadline_ms <= loop->now_ms) {
		struct vx0_timer *t = loop->heap[0];

		vx0_timer_cancel(loop, t);
		t->cb(loop, t, t->arg);
		n++;
	}
	return n;
}

int
vx0_evloop_run_once(struct vx0_evloop *loop, int max_wait_ms)
{
	struct epoll_event ev[EVLOOP_MAX_EVENTS];
	int wait = max_wait_ms, n, ran = 0;

	loop->now_ms = mono_ms();
	if (loop->heap_len > 0) {
		uint64_t d = loop->heap[0]->deadline_ms;
		int until = d <= loop->now_ms ? 0 : (int)(d - loop->now_ms);

		if (wait < 0 || until < wait)
			wait = until;
	}
	n = epoll_wait(loop->epfd, ev, EVLOOP_MAX_EVENTS, wait);
	if (n < 0 && errno != EINTR)
		return -errno;
	loop->now_ms = mono_ms();
	for (int i = 0; i < n; i++) {
		int fd = ev[i].data.fd;

		/* a callback may have removed a later fd of this batch */
		if (fd < loop->nfds && loop->fds[fd].fd == fd) {
			loop->fds[fd].cb(loop, fd, ev[i].events, loop->fds[fd].arg);
			ran++;
		}
	}
	return ran + run_timers(loop);
}

int
vx0_evloop_run(struct vx0_evloop *loop, uint64_t deadline_ms)
{
	loop->stop = false;
	while (!loop->stop) {
		int wait = 1000, rc;

		if (deadline_ms) {
			uint64_t now = mono_ms();

			if (now >= deadline_ms)
				return -ETIMEDOUT;
			if (deadline_ms - now < 1000)
				wait = (int)(deadline_ms - now);
		}
		rc = vx0_evloop_run_once(loop, wait);
		if (rc < 0)
			return rc;
	}
	return 0;
}

void
vx0_evloop_stop(struct vx0_evloop *loop)
{
	loop->stop = true;
}
