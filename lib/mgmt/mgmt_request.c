/* SPDX-License-Identifier: BSD-3-Clause */
/* Requests: parse and validate one line, dispatch it, format the reply. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mgmt_priv.h"

static int
cmd_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > VX0_MGMT_CMD_LEN)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '.' ||
		      *s == '_' || *s == '-'))
			return 0;
	return 1;
}

int
vx0_mgmt_parse(const char *line, size_t len, struct vx0_mgmt_req *req, char *err,
	       size_t errlen)
{
	json_error_t je;
	const char *k;
	json_t *v;

	memset(req, 0, sizeof(*req));
	if (len > VX0_MGMT_LINE_MAX) {
		snprintf(err, errlen, "request longer than %d bytes", VX0_MGMT_LINE_MAX);
		return -EINVAL;
	}
	req->root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
	if (req->root == NULL) {
		snprintf(err, errlen, "not JSON: %s (byte %d)", je.text, je.position);
		return -EINVAL;
	}
	if (!json_is_object(req->root)) {
		snprintf(err, errlen, "a request is a JSON object");
		goto bad;
	}
	json_object_foreach(req->root, k, v) {
		(void)v;
		if (strcmp(k, "cmd") && strcmp(k, "args") && strcmp(k, "id")) {
			snprintf(err, errlen, "unknown member \"%.32s\" (cmd, args, id)", k);
			goto bad;
		}
	}
	v = json_object_get(req->root, "id");
	if (v && !(json_is_integer(v) || (json_is_string(v) && json_string_length(v) <= 64))) {
		snprintf(err, errlen, "\"id\" must be an integer or a string of at most 64 bytes");
		goto bad;
	}
	req->id = v;
	v = json_object_get(req->root, "cmd");
	if (!json_is_string(v) || !cmd_name_ok(json_string_value(v)) ||
	    strlen(json_string_value(v)) != json_string_length(v)) {
		snprintf(err, errlen, "\"cmd\" must be a command name ([a-z0-9._-], 1..%d)",
			 VX0_MGMT_CMD_LEN);
		goto bad;
	}
	req->cmd = json_string_value(v);
	v = json_object_get(req->root, "args");
	if (v && !json_is_object(v)) {
		snprintf(err, errlen, "\"args\" must be an object");
		goto bad;
	}
	if (v == NULL) {
		json_object_set_new(req->root, "args", json_object());
		v = json_object_get(req->root, "args");
	}
	req->args = v;
	return 0;
bad:
	/* keep the id so the error reply can carry it */
	{
		json_t *id = json_object_get(req->root, "id");

		req->id = id && (json_is_integer(id) || (json_is_string(id) &&
			  json_string_length(id) <= 64)) ? id : NULL;
	}
	req->cmd = NULL;
	return -EINVAL;
}

void
vx0_mgmt_req_free(struct vx0_mgmt_req *req)
{
	json_decref(req->root);
	memset(req, 0, sizeof(*req));
}

static char *
reply(json_t *id, int rc, json_t *result, const char *err)
{
	json_t *o = json_object();
	char *s, *line;
	size_t n;

	json_object_set(o, "id", id ? id : json_null());
	json_object_set_new(o, "ok", json_boolean(rc == 0));
	if (rc == 0) {
		json_object_set_new(o, "result", result ? result : json_null());
	} else {
		json_decref(result);
		json_object_set_new(o, "error", json_string(err[0] ? err : strerror(-rc)));
		json_object_set_new(o, "errno", json_integer(-rc));
	}
	s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII); /* never a raw newline */
	json_decref(o);
	if (s == NULL)
		return NULL;
	n = strlen(s);
	line = realloc(s, n + 2);
	if (line == NULL) {
		free(s);
		return NULL;
	}
	line[n] = '\n';
	line[n + 1] = 0;
	return line;
}

static int
help(struct vx0_mgmt *m, json_t **result)
{
	json_t *o = json_object();

	json_object_set_new(o, "help", json_string("this list"));
	for (unsigned int i = 0; i < m->n_cmds; i++)
		json_object_set_new(o, m->cmds[i].name, json_string(m->cmds[i].help));
	*result = o;
	return 0;
}

static int
args_check(const struct mgmt_cmd *c, json_t *args, char *err, size_t errlen)
{
	const char *k;
	json_t *v;

	if (c->args == NULL)
		return 0;
	json_object_foreach(args, k, v) {
		unsigned int i;
		size_t n = 0;

		(void)v;
		for (i = 0; c->args[i] && strcmp(c->args[i], k); i++)
			;
		if (c->args[i])
			continue;
		n = (size_t)snprintf(err, errlen, "unknown argument \"%.48s\" (%s takes: ", k,
				     c->name);
		for (i = 0; c->args[i] && n < errlen; i++)
			n += (size_t)snprintf(err + n, errlen - n, "%s%s", i ? ", " : "", c->args[i]);
		if (n < errlen)
			snprintf(err + n, errlen - n, "%s)", i ? "" : "none");
		return -EINVAL;
	}
	return 0;
}

int
vx0_mgmt_set_args(struct vx0_mgmt *m, const char *cmd, const char *const *args)
{
	for (unsigned int i = 0; i < m->n_cmds; i++)
		if (strcmp(m->cmds[i].name, cmd) == 0) {
			m->cmds[i].args = args;
			return 0;
		}
	return -ENOENT;
}

char *
vx0_mgmt_handle(struct vx0_mgmt *m, const char *line, size_t len)
{
	struct vx0_mgmt_req req;
	json_t *result = NULL;
	char err[256] = "";
	char *out;
	int rc;

	m->st.requests++;
	rc = vx0_mgmt_parse(line, len, &req, err, sizeof(err));
	if (rc == 0 && strcmp(req.cmd, "help") == 0) {
		rc = help(m, &result);
	} else if (rc == 0) {
		unsigned int i;

		for (i = 0; i < m->n_cmds; i++)
			if (strcmp(m->cmds[i].name, req.cmd) == 0)
				break;
		if (i == m->n_cmds) {
			snprintf(err, sizeof(err), "unknown command \"%s\" (see \"help\")", req.cmd);
			rc = -ENOENT;
		} else if ((rc = args_check(&m->cmds[i], req.args, err, sizeof(err))) == 0) {
			rc = m->cmds[i].fn(req.args, &result, err, sizeof(err), m->cmds[i].arg);
			if (rc > 0)
				rc = 0;
		}
	}
	if (rc < 0)
		m->st.errors++;
	out = reply(req.id, rc, result, err);
	vx0_mgmt_req_free(&req);
	return out;
}

struct vx0_mgmt *
vx0_mgmt_create(void)
{
	struct vx0_mgmt *m = calloc(1, sizeof(*m));

	if (m) {
		m->lfd = -1;
		m->acc.mode = 0600;
		m->acc.owner = m->acc.group = -1;
		m->self_uid = (uint32_t)geteuid();
	}
	return m;
}

int
vx0_mgmt_register(struct vx0_mgmt *m, const char *cmd, const char *help_text,
		  vx0_mgmt_handler fn, void *arg)
{
	if (cmd == NULL || !cmd_name_ok(cmd) || fn == NULL || strcmp(cmd, "help") == 0)
		return -EINVAL;
	for (unsigned int i = 0; i < m->n_cmds; i++)
		if (strcmp(m->cmds[i].name, cmd) == 0)
			return -EEXIST;
	if (m->n_cmds == VX0_MGMT_MAX_CMDS)
		return -ENOSPC;
	snprintf(m->cmds[m->n_cmds].name, sizeof(m->cmds[0].name), "%s", cmd);
	snprintf(m->cmds[m->n_cmds].help, sizeof(m->cmds[0].help), "%s", help_text ? help_text : "");
	m->cmds[m->n_cmds].fn = fn;
	m->cmds[m->n_cmds].arg = arg;
	m->n_cmds++;
	return 0;
}

void
vx0_mgmt_get_stats(const struct vx0_mgmt *m, struct vx0_mgmt_stats *st)
{
	*st = m->st;
}
