/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * jansson gives line numbers for syntax errors only. To name the line of a
 * value that fails validation, rescan the text and follow the same path.
 * The scanner is forgiving (the text already parsed) but bounded: it never
 * reads past len and never recurses deeper than SCAN_MAX_DEPTH.
 */
#include <stdio.h>
#include <string.h>

#include "vx0_conf.h"

#define SCAN_MAX_DEPTH 32
#define SCAN_PATH_LEN 256

struct scan {
	const char *s;
	size_t len, pos;
	unsigned int line;
	const char *target;
	unsigned int found;
};

static void
skip_ws(struct scan *c)
{
	while (c->pos < c->len) {
		char ch = c->s[c->pos];

		if (ch == '\n')
			c->line++;
		else if (ch != ' ' && ch != '\t' && ch != '\r')
			return;
		c->pos++;
	}
}

/* Copies the string's raw bytes (escapes kept verbatim) into out. */
static int
scan_string(struct scan *c, char *out, size_t outlen)
{
	size_t n = 0;

	if (c->pos >= c->len || c->s[c->pos] != '"')
		return -1;
	c->pos++;
	while (c->pos < c->len && c->s[c->pos] != '"') {
		if (c->s[c->pos] == '\\' && c->pos + 1 < c->len) {
			if (out && n + 1 < outlen)
				out[n++] = c->s[c->pos];
			c->pos++;
		}
		if (c->s[c->pos] == '\n')
			c->line++;
		if (out && n + 1 < outlen)
			out[n++] = c->s[c->pos];
		c->pos++;
	}
	if (out && outlen)
		out[n] = 0;
	if (c->pos >= c->len)
		return -1;
	c->pos++;
	return 0;
}

static int scan_value(struct scan *c, const char *path, int depth);

static int
scan_object(struct scan *c, const char *path, int depth)
{
	char key[128], sub[SCAN_PATH_LEN];

	c->pos++; /* '{' */
	for (;;) {
		skip_ws(c);
		if (c->pos >= c->len)
			return -1;
		if (c->s[c->pos] == '}') {
			c->pos++;
			return 0;
		}
		if (scan_string(c, key, sizeof(key)) < 0)
			return -1;
		skip_ws(c);
		if (c->pos >= c->len || c->s[c->pos] != ':')
			return -1;
		c->pos++;
		if (path[0])
			snprintf(sub, sizeof(sub), "%s.%s", path, key);
		else
			snprintf(sub, sizeof(sub), "%s", key);
		if (scan_value(c, sub, depth + 1) < 0)
			return -1;
		skip_ws(c);
		if (c->pos < c->len && c->s[c->pos] == ',')
			c->pos++;
		else if (c->pos < c->len && c->s[c->pos] != '}')
			return -1; /* every pass must make progress */
	}
}

static int
scan_array(struct scan *c, const char *path, int depth)
{
	char sub[SCAN_PATH_LEN];
	unsigned int i = 0;

	c->pos++; /* '[' */
	for (;;) {
		skip_ws(c);
		if (c->pos >= c->len)
			return -1;
		if (c->s[c->pos] == ']') {
			c->pos++;
			return 0;
		}
		snprintf(sub, sizeof(sub), "%s[%u]", path, i++);
		if (scan_value(c, sub, depth + 1) < 0)
			return -1;
		skip_ws(c);
		if (c->pos < c->len && c->s[c->pos] == ',')
			c->pos++;
		else if (c->pos < c->len && c->s[c->pos] != ']')
			return -1; /* every pass must make progress */
	}
}

static int
scan_value(struct scan *c, const char *path, int depth)
{
	if (depth > SCAN_MAX_DEPTH)
		return -1;
	skip_ws(c);
	if (c->pos >= c->len)
		return -1;
	if (!c->found && strcmp(path, c->target) == 0)
		c->found = c->line;
	switch (c->s[c->pos]) {
	case '{':
		return scan_object(c, path, depth);
	case '[':
		return scan_array(c, path, depth);
	case '"':
		return scan_string(c, NULL, 0);
	default: { /* number, true, false, null */
		size_t start = c->pos;

		while (c->pos < c->len && !strchr(",}] \t\r\n", c->s[c->pos]))
			c->pos++;
		return c->pos > start ? 0 : -1;
	}
	}
}

unsigned int
vx0_conf_line_of(const char *text, size_t len, const char *path)
{
	struct scan c = { .s = text, .len = len, .line = 1, .target = path };

	scan_value(&c, "", 0);
	return c.found;
}
