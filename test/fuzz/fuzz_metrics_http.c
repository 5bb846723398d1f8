/* SPDX-License-Identifier: BSD-3-Clause */
/* The exporter's request parser on arbitrary bytes: a verdict, never a
 * read past len; a complete head's length is within the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vx0_metrics.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vx0_metrics_req r;
	struct vx0_metrics_writer w;
	int rc = vx0_metrics_http_parse((const char *)data, size, &r);
	int st = vx0_metrics_http_status(rc, &r);

	if (rc > 0 && ((size_t)rc > size || (size_t)rc > VX0_METRICS_REQ_MAX ||
		       memchr(r.path, 0, sizeof(r.path)) == NULL || r.path[0] != '/'))
		abort();
	if (st != 200 && st != 400 && st != 404 && st != 405 && st != 431 && st != 505)
		abort();
	vx0_metrics_writer_init(&w, 0);
	if (vx0_metrics_http_response(&w, st, rc > 0 && r.method == VX0_METRICS_HEAD, NULL, 0) < 0)
		abort();
	vx0_metrics_writer_free(&w);
	return 0;
}
