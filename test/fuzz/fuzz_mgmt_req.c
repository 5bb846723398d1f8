/* SPDX-License-Identifier: BSD-3-Clause */
/* The management request path on arbitrary bytes: always one reply line
 * that is valid JSON with "ok", never a crash or a second line. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vx0_mgmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
echo(json_t *args, json_t **result, char *err, size_t errlen, void *arg)
{
	(void)err;
	(void)errlen;
	(void)arg;
	*result = json_deep_copy(args);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vx0_mgmt *m = vx0_mgmt_create();
	char *r;
	json_t *j;

	if (m == NULL || vx0_mgmt_register(m, "echo", "", echo, NULL) < 0)
		abort();
	r = vx0_mgmt_handle(m, (const char *)data, size);
	if (r == NULL)
		abort();
	if (strchr(r, '\n') != r + strlen(r) - 1)
		abort();
	j = json_loads(r, 0, NULL);
	if (!json_is_object(j) || !json_is_boolean(json_object_get(j, "ok")))
		abort();
	json_decref(j);
	free(r);
	vx0_mgmt_destroy(m);
	return 0;
}
