/* SPDX-License-Identifier: BSD-3-Clause */
/* Aligned text output: tables and key/value lists. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vx0ctl.h"

struct vx0ctl_table {
	unsigned int ncol, nrow, cap;
	char **cells; /* (nrow + 1) * ncol, row 0 the header */
};

struct vx0ctl_table *
vx0ctl_table_new(unsigned int ncol, const char *const *hdr)
{
	struct vx0ctl_table *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->ncol = ncol;
	vx0ctl_table_add(t, hdr);
	return t;
}

void
vx0ctl_table_add(struct vx0ctl_table *t, const char *const *cells)
{
	if (t == NULL)
		return;
	if (t->nrow == t->cap) {
		unsigned int cap = t->cap ? t->cap * 2 : 16;
		char **c = realloc(t->cells, sizeof(*c) * cap * t->ncol);

		if (c == NULL)
			return;
		t->cells = c;
		t->cap = cap;
	}
	for (unsigned int i = 0; i < t->ncol; i++)
		t->cells[t->nrow * t->ncol + i] = strdup(cells[i] ? cells[i] : "");
	t->nrow++;
}

/* A number (counters, rates): right-aligned. Addresses are not numbers. */
static int
numeric(const char *s)
{
	int dots = 0;

	if (*s == '-')
		s++;
	if (*s == 0)
		return 0;
	for (; *s; s++) {
		if (*s == '.' && ++dots == 1)
			continue;
		if (*s < '0' || *s > '9')
			return 0;
	}
	return 1;
}

void
vx0ctl_table_print(struct vx0ctl_table *t)
{
	size_t w[32] = { 0 };
	int right[32] = { 0 };

	if (t == NULL || t->ncol > 32)
		return;
	for (unsigned int c = 0; c < t->ncol; c++) {
		right[c] = t->nrow > 1;
		for (unsigned int r = 0; r < t->nrow; r++) {
			const char *s = t->cells[r * t->ncol + c];
			size_t l = s ? strlen(s) : 0;

			if (l > w[c])
				w[c] = l;
			if (r > 0 && s && !numeric(s))
				right[c] = 0;
		}
	}
	for (unsigned int r = 0; r < t->nrow; r++) {
		for (unsigned int c = 0; c < t->ncol; c++) {
			const char *s = t->cells[r * t->ncol + c];
			int last = c + 1 == t->ncol;

			if (right[c])
				printf("%*s%s", (int)w[c], s ? s : "", last ? "" : "  ");
			else if (last)
				printf("%s", s ? s : "");
			else
				printf("%-*s  ", (int)w[c], s ? s : "");
		}
		printf("\n");
	}
}

void
vx0ctl_table_free(struct vx0ctl_table *t)
{
	if (t == NULL)
		return;
	for (unsigned int i = 0; i < t->nrow * t->ncol; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}

void
vx0ctl_cell(json_t *v, char *buf, size_t n)
{
	if (json_is_string(v))
		snprintf(buf, n, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(buf, n, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, n, "%g", json_real_value(v));
	else if (json_is_true(v) || json_is_false(v))
		snprintf(buf, n, "%s", json_is_true(v) ? "true" : "false");
	else if (json_is_null(v))
		snprintf(buf, n, "-");
	else {
		char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

		snprintf(buf, n, "%s", s ? s : "?");
		free(s);
	}
}

int
vx0ctl_print_kv(const char *cmd, json_t *obj)
{
	struct vx0ctl_table *t;
	const char *k;
	json_t *v;
	static const char *const hdr[2] = { "", "" };

	if (!json_is_object(obj))
		return vx0ctl_bad(cmd, "not an object");
	t = vx0ctl_table_new(2, hdr);
	json_object_foreach(obj, k, v) {
		char cell[512];
		const char *row[2] = { k, cell };

		vx0ctl_cell(v, cell, sizeof(cell));
		vx0ctl_table_add(t, row);
	}
	/* no header row for key/value lists */
	if (t) {
		for (unsigned int i = 0; i < t->ncol; i++)
			free(t->cells[i]);
		memmove(t->cells, t->cells + t->ncol, sizeof(char *) * (t->nrow - 1) * t->ncol);
		t->nrow--;
	}
	vx0ctl_table_print(t);
	vx0ctl_table_free(t);
	return VX0CTL_OK;
}

void
vx0ctl_print_json(json_t *v)
{
	char *s = json_dumps(v, JSON_INDENT(2) | JSON_ENCODE_ANY);

	if (s)
		printf("%s\n", s);
	free(s);
}
