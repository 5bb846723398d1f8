/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * "management": the socket's path, file mode, owner and group, and the
 * uids/gids (besides root and vx0d's own) that may use it, checked with
 * SO_PEERCRED on accept:
 *   {"socket": "/run/vx0.sock", "mode": "0660", "owner": 0, "group": "vx0",
 *    "allow_uids": [1000, "alice"], "allow_gids": ["vx0"]}
 * "log": {"level": "notice", "format": "text"|"json", "libs": {"bgp": "debug"}}
 * User and group names are resolved here, once, so a reload sees the same.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_priv.h"
#include "vx0_log.h"

static const char *const level_names[] = {
	[VX0_LOG_ERR] = "err", [VX0_LOG_WARNING] = "warning", [VX0_LOG_NOTICE] = "notice",
	[VX0_LOG_INFO] = "info", [VX0_LOG_DEBUG] = "debug",
};

int
vx0_conf_log_level(const char *name)
{
	for (int i = VX0_LOG_ERR; name && i <= VX0_LOG_DEBUG; i++)
		if (strcmp(name, level_names[i]) == 0)
			return i;
	return -EINVAL;
}

const char *
vx0_conf_log_level_name(int level)
{
	return level >= VX0_LOG_ERR && level <= VX0_LOG_DEBUG ? level_names[level] : NULL;
}

/* A uid or gid: a number, or a name resolved through NSS. */
static int
get_id(struct ctx *c, const char *path, json_t *v, bool group, uint32_t *out)
{
	char buf[4096];
	const char *s = json_string_value(v);
	int rc;

	if (json_is_integer(v) && json_integer_value(v) >= 0 &&
	    json_integer_value(v) < (json_int_t)UINT32_MAX) {
		*out = (uint32_t)json_integer_value(v);
		return 0;
	}
	if (s == NULL || s[0] == '\0' || strlen(s) > 64)
		return vx0_conf_fail(c, path, "must be a %s name or number", group ? "group" : "user");
	if (group) {
		struct group g, *r = NULL;

		rc = getgrnam_r(s, &g, buf, sizeof(buf), &r);
		if (rc == 0 && r != NULL) {
			*out = (uint32_t)r->gr_gid;
			return 0;
		}
	} else {
		struct passwd p, *r = NULL;

		rc = getpwnam_r(s, &p, buf, sizeof(buf), &r);
		if (rc == 0 && r != NULL) {
			*out = (uint32_t)r->pw_uid;
			return 0;
		}
	}
	return vx0_conf_fail(c, path, "no %s \"%s\"", group ? "group" : "user", s);
}

static int
get_ids(struct ctx *c, const char *key, json_t *a, bool group, uint32_t *ids, unsigned int *n)
{
	char path[64];
	size_t i;
	json_t *v;

	snprintf(path, sizeof(path), "management.%s", key);
	if (!json_is_array(a) || json_array_size(a) > VX0_CONF_MAX_MGMT_IDS)
		return vx0_conf_fail(c, path, "must be an array of at most %d %s names or numbers",
				     VX0_CONF_MAX_MGMT_IDS, group ? "group" : "user");
	json_array_foreach(a, i, v) {
		snprintf(path, sizeof(path), "management.%s[%zu]", key, i);
		if (get_id(c, path, v, group, &ids[i]) < 0)
			return -EINVAL;
	}
	*n = (unsigned int)json_array_size(a);
	return 0;
}

int
vx0_conf_parse_mgmt(struct ctx *c, json_t *x, struct vx0_conf *conf)
{
	static const char *const mk[] = { "socket", "mode", "owner", "group", "allow_uids",
					  "allow_gids", NULL };
	struct vx0_conf_mgmt *m = &conf->mgmt;
	json_t *v;
	uint32_t id;
	int rc;

	m->mode = 0600;
	m->owner = m->group = -1;
	if (x == NULL)
		return 0;
	if (!json_is_object(x))
		return vx0_conf_fail(c, "management", "must be an object {\"socket\": PATH, ...}");
	if ((rc = vx0_conf_check_keys(c, "management", x, mk)) < 0)
		return rc;
	v = json_object_get(x, "socket");
	if (v) {
		if (!json_is_string(v) || json_string_value(v)[0] != '/' ||
		    strlen(json_string_value(v)) >= sizeof(conf->mgmt_socket))
			return vx0_conf_fail(c, "management.socket",
					     "\"socket\" must be an absolute path of at most %zu characters",
					     sizeof(conf->mgmt_socket) - 1);
		snprintf(conf->mgmt_socket, sizeof(conf->mgmt_socket), "%s", json_string_value(v));
	}
	if ((v = json_object_get(x, "mode")) != NULL) {
		const char *s = json_string_value(v);
		char *end = NULL;
		unsigned long mo = s ? strtoul(s, &end, 8) : 0;

		/* owner read+write at least; never executable or special bits */
		if (s == NULL || s[0] != '0' || *end != '\0' || mo > 0666 || (mo & 0600) != 0600 ||
		    (mo & 0111))
			return vx0_conf_fail(c, "management.mode", "must be an octal string like \"0660\" "
					     "(owner rw, no x bits, at most 0666)");
		m->mode = (uint32_t)mo;
	}
	if ((v = json_object_get(x, "owner")) != NULL) {
		if (get_id(c, "management.owner", v, false, &id) < 0)
			return -EINVAL;
		m->owner = id;
	}
	if ((v = json_object_get(x, "group")) != NULL) {
		if (get_id(c, "management.group", v, true, &id) < 0)
			return -EINVAL;
		m->group = id;
	}
	if ((v = json_object_get(x, "allow_uids")) != NULL &&
	    get_ids(c, "allow_uids", v, false, m->allow_uids, &m->n_allow_uids) < 0)
		return -EINVAL;
	if ((v = json_object_get(x, "allow_gids")) != NULL &&
	    get_ids(c, "allow_gids", v, true, m->allow_gids, &m->n_allow_gids) < 0)
		return -EINVAL;
	return 0;
}

static bool
lib_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= sizeof(((struct vx0_conf_log *)0)->libs[0].lib))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' ||
		      *s == '.'))
			return false;
	return true;
}

int
vx0_conf_parse_log(struct ctx *c, json_t *x, struct vx0_conf *conf)
{
	static const char *const lk[] = { "level", "format", "libs", NULL };
	struct vx0_conf_log *l = &conf->log;
	const char *k;
	json_t *v, *lv;
	int rc;

	if (x == NULL)
		return 0;
	if (!json_is_object(x))
		return vx0_conf_fail(c, "log", "must be an object {\"level\", \"format\", \"libs\"}");
	if ((rc = vx0_conf_check_keys(c, "log", x, lk)) < 0)
		return rc;
	if ((v = json_object_get(x, "level")) != NULL &&
	    (l->level = vx0_conf_log_level(json_string_value(v))) < 0)
		return vx0_conf_fail(c, "log.level", "must be err, warning, notice, info or debug");
	if ((v = json_object_get(x, "format")) != NULL) {
		const char *s = json_string_value(v);

		if (s == NULL || (strcmp(s, "text") && strcmp(s, "json")))
			return vx0_conf_fail(c, "log.format", "must be \"text\" or \"json\"");
		l->json = strcmp(s, "json") == 0;
	}
	if ((v = json_object_get(x, "libs")) != NULL) {
		if (!json_is_object(v) || json_object_size(v) > VX0_CONF_MAX_LOG_LIBS)
			return vx0_conf_fail(c, "log.libs", "must be an object of at most %d "
					     "{\"LIB\": LEVEL}", VX0_CONF_MAX_LOG_LIBS);
		json_object_foreach(v, k, lv) {
			char path[64];
			int level = vx0_conf_log_level(json_string_value(lv));

			snprintf(path, sizeof(path), "log.libs.%.32s", k);
			if (!lib_name_ok(k))
				return vx0_conf_fail(c, path, "a library name is [a-z0-9_.], 1..23 characters");
			if (level < 0)
				return vx0_conf_fail(c, path, "must be err, warning, notice, info or debug");
			snprintf(l->libs[l->n_libs].lib, sizeof(l->libs[0].lib), "%s", k);
			l->libs[l->n_libs++].level = level;
		}
	}
	return 0;
}
