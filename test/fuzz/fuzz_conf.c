/* SPDX-License-Identifier: BSD-3-Clause */
/* The config loader on arbitrary bytes: a clear error or a valid config. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vx0_conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vx0_conf c;
	char err[256];

	if (vx0_conf_load_string((const char *)data, size, "fuzz", &c, err, sizeof(err)) == 0)
		vx0_conf_free(&c);
	else if (err[0] == 0)
		abort(); /* every failure must say why */
	vx0_conf_line_of((const char *)data, size, "ports[0].addresses[1]");
	return 0;
}
