/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VX0_EVLOOP_H
#define VX0_EVLOOP_H

/*
 * The slow path's event loop: one epoll set plus a timer heap, run by one
 * thread (the control lcore). Protocol cores are sans-IO; their socket glue
 * registers fds and timers here. No DPDK header, so lab test programs and
 * unit tests can drive the same glue without EAL.
 */

#include <stdbool.h>
#include <stdint.h>

struct vx0_evloop;
struct vx0_timer;

typedef void (*vx0_evloop_fd_cb)(struct vx0_evloop *loop, int fd,
				 uint32_t events, void *arg);
typedef void (*vx0_timer_cb)(struct vx0_evloop *loop, struct vx0_timer *t,
			     void *arg);

/* Embedded in the owner's struct; initialise with vx0_timer_init(). */
struct vx0_timer {
	uint64_t deadline_ms;
	vx0_timer_cb cb;
	void *arg;
	uint32_t heap_idx; /* UINT32_MAX when not armed */
};

struct vx0_evloop *vx0_evloop_create(void);
void vx0_evloop_destroy(struct vx0_evloop *loop);

/* Monotonic milliseconds, refreshed once per loop iteration. */
uint64_t vx0_evloop_now_ms(const struct vx0_evloop *loop);

/* events: EPOLLIN / EPOLLOUT ... (sys/epoll.h). -errno on failure. */
int vx0_evloop_add_fd(struct vx0_evloop *loop, int fd, uint32_t events,
		      vx0_evloop_fd_cb cb, void *arg);
int vx0_evloop_mod_fd(struct vx0_evloop *loop, int fd, uint32_t events);
int vx0_evloop_del_fd(struct vx0_evloop *loop, int fd);

void vx0_timer_init(struct vx0_timer *t, vx0_timer_cb cb, void *arg);
/* (Re)arm to fire delay_ms from now; arming an armed timer moves it. */
int vx0_timer_arm(struct vx0_evloop *loop, struct vx0_timer *t,
		  uint64_t delay_ms);
void vx0_timer_cancel(struct vx0_evloop *loop, struct vx0_timer *t);
bool vx0_timer_armed(const struct vx0_timer *t);

/*
 * Wait up to max_wait_ms (0: poll, -1: until something happens) for fd
 * events and due timers, run their callbacks, return how many ran or -errno.
 */
int vx0_evloop_run_once(struct vx0_evloop *loop, int max_wait_ms);

/* Run until vx0_evloop_stop() or until deadline_ms (monotonic, 0 = none). */
int vx0_evloop_run(struct vx0_evloop *loop, uint64_t deadline_ms);
void vx0_evloop_stop(struct vx0_evloop *loop);

#endif
