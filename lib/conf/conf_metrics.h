/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VX0_CONF_METRICS_H
#define VX0_CONF_METRICS_H

/* Internal to lib/conf: the "metrics" section (conf_metrics.c). */

#include <stddef.h>

#include <jansson.h>

#include "vx0_conf.h"

/* {"listen": "ADDR:PORT" | "[ADDR6]:PORT"}. 0, or -EINVAL with the reason
 * in msg and the offending key's path in path. */
int vx0_conf_parse_metrics(json_t *x, struct vx0_conf *conf, char *path, size_t pathlen,
			   char *msg, size_t msglen);

#endif
