/* SPDX-License-Identifier: BSD-3-Clause */
/* Bencode decoder: decode, walk every dict/list, re-encode strings. */
#include <stdint.h>
#include <string.h>

#include "dht_bencode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vx0_bnode n[256];
	uint8_t out[4096];
	struct vx0_benc e;
	int c = vx0_bdecode(data, size, n, 256, VX0_BENC_MAX_DEPTH), i;

	if (c <= 0)
		return 0;
	vx0_benc_init(&e, out, sizeof(out));
	for (i = 0; i < c; i++) {
		if (n[i].next > (uint32_t)c || n[i].raw < data ||
		    n[i].raw + n[i].rawlen > data + size)
			__builtin_trap();
		if (n[i].type == VX0_BSTR)
			vx0_benc_str(&e, n[i].s, n[i].slen);
		if (n[i].type == VX0_BDICT) {
			(void)vx0_bdict_get(n, i, "id");
			(void)vx0_bdict_str(n, i, "t", 0, NULL);
		}
		if (n[i].type == VX0_BLIST)
			(void)vx0_blist_at(n, i, n[i].count ? n[i].count - 1 : 0);
	}
	/* a valid input re-encodes to the same bytes (canonical form) */
	if (n[0].type == VX0_BSTR && n[0].rawlen != size)
		__builtin_trap();
	return 0;
}
