/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VX0_TEST_CLOCK_H
#define VX0_TEST_CLOCK_H

/* The monotonic clock in milliseconds, for the deadlines of tests and lab
 * programs (every wait in them is bounded). */

#include <stdint.h>
#include <time.h>

static inline uint64_t
vx0_test_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

#endif
