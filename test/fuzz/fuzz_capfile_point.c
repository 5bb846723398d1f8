/* SPDX-License-Identifier: BSD-3-Clause */
/* The tap point parser on arbitrary strings: it accepts only points that
 * name a known stage/direction/port, and always says why it refuses, in a
 * NUL-terminated message within the buffer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vx0_capfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const stages[] = { "rx", "crypto", "onion", "tx", "ctl" };
	static const uint8_t allowed[] = { 3, 3, 3, 1, 0 };
	static const char *const ports[] = { "a", "uplink0", "" };
	struct vx0_capfile_point p;
	char err[96], *s = malloc(size + 1);
	int rc;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	memset(err, 0x5a, sizeof(err));
	err[0] = 0;
	rc = vx0_capfile_point_parse(s, stages, 5, allowed, 0, 3, 4, ports, 3, &p, err,
				     sizeof(err));
	if (rc == 0) {
		if (p.stage >= 5 || p.dir > 1 || (p.port != VX0_CAPFILE_ANY_PORT && p.port >= 3))
			abort();
		if (p.port == VX0_CAPFILE_ANY_PORT && p.stage != 4 && !(allowed[p.stage] & (1u << p.dir)))
			abort();
	} else if (memchr(err, 0, sizeof(err)) == NULL || err[0] == 0) {
		abort();
	}
	/* as a list: each point valid, no two overlapping */
	{
		struct vx0_capfile_point l[4];
		unsigned int n = 99;

		err[0] = 0;
		rc = vx0_capfile_points_parse(s, stages, 5, allowed, 0, 3, 4, ports, 3, l, 4, &n,
					      err, sizeof(err));
		if (rc == 0) {
			if (n < 1 || n > 4)
				abort();
			for (unsigned int i = 0; i < n; i++)
				for (unsigned int k = 0; k < i; k++)
					if (l[i].stage == l[k].stage && l[i].dir == l[k].dir &&
					    (l[i].port == l[k].port ||
					     l[i].port == VX0_CAPFILE_ANY_PORT ||
					     l[k].port == VX0_CAPFILE_ANY_PORT))
						abort();
		} else if (memchr(err, 0, sizeof(err)) == NULL || err[0] == 0) {
			abort();
		}
	}
	free(s);
	return 0;
}
