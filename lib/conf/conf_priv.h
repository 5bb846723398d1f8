/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VX0_CONF_PRIV_H
#define VX0_CONF_PRIV_H

/* Internal to lib/conf: the helpers every section parser shares. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "vx0_conf.h"

struct ctx {
	const char *text;
	size_t len;
	const char *name;
	char *err;
	size_t errlen;
};

/* Format "file:line: path: message" into the context's error; -EINVAL. */
int vx0_conf_fail(struct ctx *c, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int vx0_conf_check_keys(struct ctx *c, const char *path, json_t *obj,
			const char *const *allowed);
int vx0_conf_get_uint(struct ctx *c, const char *path, json_t *obj, const char *key,
		      uint32_t *out, uint32_t def, uint32_t min, uint32_t max);
int vx0_conf_parse_prefix(const char *s, struct vx0_conf_prefix *p, bool need_len, bool mask);
int vx0_conf_hexbytes(const char *s, uint8_t *out, size_t n);

int vx0_conf_parse_ike(struct ctx *c, json_t *ike, struct vx0_conf *conf);
int vx0_conf_parse_dht(struct ctx *c, json_t *dht, struct vx0_conf *conf);
/* conf_mgmt.c: "management" and "log" (x may be NULL: the defaults) */
int vx0_conf_parse_mgmt(struct ctx *c, json_t *x, struct vx0_conf *conf);
int vx0_conf_parse_log(struct ctx *c, json_t *x, struct vx0_conf *conf);
int vx0_conf_parse_onion(struct ctx *c, json_t *onion, struct vx0_conf *conf);
/* A BGP import/export policy at path; *out is malloc'd (vx0_conf_policy_free). */
int vx0_conf_parse_bgp_policy(struct ctx *c, const char *path, json_t *p, void **out);
void vx0_conf_policy_free(void *policy);

#endif
