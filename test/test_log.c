/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdarg.h>
#include <stdio.h>

#include "vx0_log.h"
#include "vx0_test.h"

static char captured[256];
static int captured_level;

static void
sink(int level, const char *lib, const char *fmt, va_list ap)
{
	int n = snprintf(captured, sizeof(captured), "%s|", lib);

	vsnprintf(captured + n, sizeof(captured) - n, fmt, ap);
	captured_level = level;
}

static void
test_sink_receives_message(void)
{
	vx0_log_set_sink(sink);
	vx0_log_set_level(VX0_LOG_DEBUG);
	vx0_log(VX0_LOG_INFO, "bgp", "peer %s up", "198.51.100.1");
	CHECK(strcmp(captured, "bgp|peer 198.51.100.1 up") == 0);
	CHECK_EQ(captured_level, VX0_LOG_INFO);
	vx0_log_set_sink(NULL);
}

static void
test_level_filters(void)
{
	captured[0] = 0;
	vx0_log_set_sink(sink);
	vx0_log_set_level(VX0_LOG_WARNING);
	vx0_log(VX0_LOG_DEBUG, "dht", "noise");
	CHECK_EQ(captured[0], 0);
	vx0_log(VX0_LOG_ERR, "dht", "bad");
	CHECK(strcmp(captured, "dht|bad") == 0);
	CHECK_EQ(vx0_log_get_level(), VX0_LOG_WARNING);
	vx0_log_set_sink(NULL);
}

int
main(void)
{
	VX0_RUN(test_sink_receives_message);
	VX0_RUN(test_level_filters);
	return vx0_test_done();
}
