/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target for vx0-client's file parsers (lib/onion/dirfile.c): the
 * static descriptor file and the guard-set file get every input; a parsed
 * directory also goes through path selection, whose choices must respect
 * its rules (checked here, so a violation aborts the run). The input is
 * also decoded as a DHT descriptor value and, if it decodes, turned into a
 * directory entry as vx0-client does with descriptors from the DHT.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "vx0_dht.h"
#include "vx0_onion_path.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vx0_onion_dir d;
	static int ready;
	struct vx0_onion_guard_set g;
	unsigned int idx[3];
	char err[256];
	int changed;

	if (!ready) {
		if (sodium_init() < 0)
			return 0;
		ready = 1;
	}
	if (vx0_onion_guards_parse((const char *)data, size, &g, err, sizeof(err)) == 0 &&
	    g.n > VX0_ONION_GUARDS_MAX)
		abort();
	{
		struct vx0_desc desc;
		struct vx0_onion_relay_info r;

		if (vx0_desc_decode(data, size, &desc) == 0 &&
		    vx0_onion_relay_from_desc(&desc, 0, &r) == 0 &&
		    (r.capacity == 0 || strlen(r.name) != 17 ||
		     (r.desc.addr.family != 4 && r.desc.addr.family != 6)))
			abort();
	}
	if (vx0_onion_dir_parse((const char *)data, size, &d, err, sizeof(err)) < 0)
		return 0;
	if (d.n == 0 || d.n > VX0_ONION_DIR_MAX)
		abort();
	memset(&g, 0, sizeof(g));
	if (vx0_onion_path_select(&d, &g, NULL, 1800000000ull, 0, idx, &changed) == 0) {
		if (!d.r[idx[2]].exit || vx0_onion_relays_related(&d.r[idx[0]], &d.r[idx[1]]) ||
		    vx0_onion_relays_related(&d.r[idx[0]], &d.r[idx[2]]) ||
		    vx0_onion_relays_related(&d.r[idx[1]], &d.r[idx[2]]) || g.n == 0 ||
		    g.n > VX0_ONION_GUARDS_MAX)
			abort();
	}
	return 0;
}
