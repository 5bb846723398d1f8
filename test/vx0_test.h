/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VX0_TEST_H
#define VX0_TEST_H

/*
 * A minimal TAP harness: each test case is a function; CHECK records a
 * failed expectation and carries on, so one run reports every broken case.
 * tools/run-tests.py counts the "ok"/"not ok" lines over all binaries.
 *
 *   static void test_foo(void) { CHECK(1 + 1 == 2); }
 *   int main(void) { VX0_RUN(test_foo); return vx0_test_done(); }
 */

#include <stdio.h>
#include <string.h>

static int vx0_test_failed_checks;
static int vx0_test_count;
static int vx0_test_failures;

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "%s:%d: CHECK(%s) failed\n",         \
				__FILE__, __LINE__, #cond);                  \
			vx0_test_failed_checks++;                            \
		}                                                            \
	} while (0)

/* Compare two integers and print both on failure. */
#define CHECK_EQ(a, b)                                                       \
	do {                                                                 \
		long long va_ = (long long)(a), vb_ = (long long)(b);        \
		if (va_ != vb_) {                                            \
			fprintf(stderr, "%s:%d: CHECK_EQ(%s, %s): %lld != %lld\n", \
				__FILE__, __LINE__, #a, #b, va_, vb_);       \
			vx0_test_failed_checks++;                            \
		}                                                            \
	} while (0)

#define CHECK_MEM(a, b, n)                                                   \
	do {                                                                 \
		if (memcmp((a), (b), (n)) != 0) {                            \
			fprintf(stderr, "%s:%d: CHECK_MEM(%s, %s, %s) differ\n", \
				__FILE__, __LINE__, #a, #b, #n);             \
			vx0_test_failed_checks++;                            \
		}                                                            \
	} while (0)

static inline void
vx0_test_run(const char *name, void (*fn)(void))
{
	int before = vx0_test_failed_checks;

	fn();
	vx0_test_count++;
	if (vx0_test_failed_checks != before) {
		vx0_test_failures++;
		printf("not ok %d - %s\n", vx0_test_count, name);
	} else {
		printf("ok %d - %s\n", vx0_test_count, name);
	}
	fflush(stdout);
}

#define VX0_RUN(fn) vx0_test_run(#fn, fn)

static inline int
vx0_test_done(void)
{
	printf("1..%d\n", vx0_test_count);
	return vx0_test_failures ? 1 : 0;
}

#endif
