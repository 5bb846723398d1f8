/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VX0_LOG_H
#define VX0_LOG_H

/*
 * Logging for the DPDK-free protocol libraries. They never print on their
 * own: they call vx0_log(), which goes to stderr until the application
 * installs a sink (vx0d routes it to rte_log with a logtype per library).
 */

#include <stdarg.h>

enum vx0_log_level {
	VX0_LOG_ERR = 4,    /* same numbers as RTE_LOG_* so a sink can pass them on */
	VX0_LOG_WARNING = 5,
	VX0_LOG_NOTICE = 6,
	VX0_LOG_INFO = 7,
	VX0_LOG_DEBUG = 8,
};

typedef void (*vx0_log_sink_t)(int level, const char *lib, const char *fmt,
			       va_list ap);

/* Install a sink; NULL restores stderr. Call before any lcore starts. */
void vx0_log_set_sink(vx0_log_sink_t sink);

/* Messages above this level are dropped (default VX0_LOG_NOTICE). */
void vx0_log_set_level(int level);
int vx0_log_get_level(void);

void vx0_log(int level, const char *lib, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
