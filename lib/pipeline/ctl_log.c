/* SPDX-License-Identifier: BSD-3-Clause */
/* Management commands for logging: levels (all, or one library's logtype)
 * and the output format, at run time (pipeline_log.c does the work). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ctl_ops.h"
#include "vx0_conf.h"
#include "vx0_log.h"

int
vx0_ctl_args_only(json_t *args, const char *const *keys, char *err, size_t errlen)
{
	const char *k;
	json_t *v;

	json_object_foreach(args, k, v) {
		unsigned int i;

		(void)v;
		for (i = 0; keys[i] && strcmp(keys[i], k); i++)
			;
		if (keys[i] == NULL) {
			char allowed[160] = "";

			for (i = 0; keys[i]; i++)
				snprintf(allowed + strlen(allowed), sizeof(allowed) - strlen(allowed),
					 "%s%s", i ? ", " : "", keys[i]);
			snprintf(err, errlen, "unknown argument \"%.48s\" (allowed: %s)", k,
				 allowed[0] ? allowed : "none");
			return -EINVAL;
		}
	}
	return 0;
}

static const char *
name_of(int level)
{
	const char *n = vx0_conf_log_level_name(level);

	return n ? n : level > VX0_LOG_DEBUG ? "debug" : "err";
}

/* {[level][, lib]}: set the level of everything, or of one library's
 * logtype ("bgp" is vx0.bgp); the reply has the previous one. */
int
vx0_ctl_cmd_log_level(json_t *args, json_t **result, char *err, size_t errlen, void *arg)
{
	static const char *const keys[] = { "level", "lib", NULL };
	json_t *l = json_object_get(args, "level"), *lib = json_object_get(args, "lib");
	const char *ln = json_string_value(lib);
	int lv = -1, old, rc;

	(void)arg;
	if ((rc = vx0_ctl_args_only(args, keys, err, errlen)) < 0)
		return rc;
	if (l && (lv = vx0_conf_log_level(json_string_value(l))) < 0) {
		snprintf(err, errlen, "\"level\" must be err, warning, notice, info or debug");
		return -EINVAL;
	}
	if (lib) {
		size_t n = ln ? strlen(ln) : 0;
		bool ok = n > 0 && n < 24;

		for (size_t i = 0; ok && i < n; i++)
			ok = (ln[i] >= 'a' && ln[i] <= 'z') || (ln[i] >= '0' && ln[i] <= '9') ||
			     ln[i] == '_' || ln[i] == '.';
		if (!ok) {
			snprintf(err, errlen, "\"lib\" must be a library name like \"bgp\" ([a-z0-9_.], 1..23)");
			return -EINVAL;
		}
	}
	old = vx0_node_log_get_level(ln);
	if (old < 0) {
		snprintf(err, errlen, "\"lib\": no logtype vx0.%s", ln);
		return -ENOENT;
	}
	if (lv >= 0 && (rc = vx0_node_log_set_level(ln, lv)) < 0) {
		snprintf(err, errlen, "cannot set the level: %s", strerror(-rc));
		return rc;
	}
	*result = json_pack("{ss ss}", "level", name_of(lv >= 0 ? lv : old), "previous", name_of(old));
	if (ln)
		json_object_set_new(*result, "lib", json_string(ln));
	if (lv >= 0)
		vx0_log(VX0_LOG_NOTICE, "mgmt", "log level%s%s %s (management socket)", ln ? " of " : "",
			ln ? ln : "", name_of(lv));
	return 0;
}

/* {[format: text|json]}: the log lines' format; without: show it */
int
vx0_ctl_cmd_log_format(json_t *args, json_t **result, char *err, size_t errlen, void *arg)
{
	static const char *const keys[] = { "format", NULL };
	json_t *f = json_object_get(args, "format");
	const char *s = json_string_value(f);
	bool old = vx0_node_log_json();
	int rc;

	(void)arg;
	if ((rc = vx0_ctl_args_only(args, keys, err, errlen)) < 0)
		return rc;
	if (f && (s == NULL || (strcmp(s, "text") && strcmp(s, "json")))) {
		snprintf(err, errlen, "\"format\" must be \"text\" or \"json\"");
		return -EINVAL;
	}
	if (f)
		vx0_node_log_set_json(strcmp(s, "json") == 0);
	*result = json_pack("{ss ss}", "format", vx0_node_log_json() ? "json" : "text", "previous",
			    old ? "json" : "text");
	if (f)
		vx0_log(VX0_LOG_NOTICE, "mgmt", "log format %s (management socket)", s);
	return 0;
}
