/* SPDX-License-Identifier: BSD-3-Clause */
/* vx0 descriptor decoder: decode; what decodes must re-encode to the same
 * bytes when the input was canonical, and always re-decode equal. */
#include <stdint.h>
#include <string.h>

#include "vx0_dht.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vx0_desc d, d2;
	uint8_t out[VX0_DHT_MAX_V];
	int n;

	if (vx0_desc_decode(data, size, &d) != 0)
		return 0;
	n = vx0_desc_encode(&d, out, sizeof(out));
	if (n <= 0)
		__builtin_trap(); /* a decoded descriptor is always encodable */
	if (vx0_desc_decode(out, (size_t)n, &d2) != 0 ||
	    memcmp(d.identity, d2.identity, 32) != 0 || d.naddrs != d2.naddrs ||
	    d.tier != d2.tier || d.valid_after != d2.valid_after ||
	    d.valid_until != d2.valid_until || strcmp(d.exit_policy, d2.exit_policy) != 0)
		__builtin_trap();
	return 0;
}
