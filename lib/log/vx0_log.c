/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <stdatomic.h>

#include "vx0_log.h"

/* Process-wide configuration, set once at start-up (or by the management
 * plane on the slow path); atomics keep readers on other threads defined. */
static _Atomic(vx0_log_sink_t) log_sink;
static atomic_int log_level = VX0_LOG_NOTICE;

void
vx0_log_set_sink(vx0_log_sink_t sink)
{
	atomic_store(&log_sink, sink);
}

void
vx0_log_set_level(int level)
{
	atomic_store(&log_level, level);
}

int
vx0_log_get_level(void)
{
	return atomic_load(&log_level);
}

void
vx0_log(int level, const char *lib, const char *fmt, ...)
{
	va_list ap;
	vx0_log_sink_t sink;

	if (level > atomic_load(&log_level))
		return;
	va_start(ap, fmt);
	sink = atomic_load(&log_sink);
	if (sink != NULL) {
		sink(level, lib, fmt, ap);
	} else {
		fprintf(stderr, "vx0 %s: ", lib);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
	va_end(ap);
}
