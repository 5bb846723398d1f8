/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Prometheus text exposition format 0.0.4: "# HELP", "# TYPE" and sample
 * lines. Names are validated (a bad one would make the whole scrape fail
 * on the server side), label values and help texts escaped.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics_priv.h"

#define DEFAULT_MAX (4u << 20)

void
vx0_metrics_writer_init(struct vx0_metrics_writer *w, size_t max)
{
	memset(w, 0, sizeof(*w));
	w->max = max ? max : DEFAULT_MAX;
}

void
vx0_metrics_writer_free(struct vx0_metrics_writer *w)
{
	free(w->buf);
	memset(w, 0, sizeof(*w));
}

int
vx0_metrics_put(struct vx0_metrics_writer *w, const char *s, size_t n)
{
	if (w->err)
		return w->err;
	if (n > w->max - w->len)
		return w->err = -E2BIG;
	if (w->len + n + 1 > w->cap) {
		size_t cap = w->cap ? w->cap : 1024;
		char *b;

		while (cap < w->len + n + 1)
			cap *= 2;
		if (cap > w->max + 1)
			cap = w->max + 1;
		if ((b = realloc(w->buf, cap)) == NULL)
			return w->err = -ENOMEM;
		w->buf = b;
		w->cap = cap;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = 0;
	return 0;
}

static int
puts_(struct vx0_metrics_writer *w, const char *s)
{
	return vx0_metrics_put(w, s, strlen(s));
}

/* help: \ and newline escaped; label value: also " */
static int
put_escaped(struct vx0_metrics_writer *w, const char *s, int quote)
{
	for (; *s; s++) {
		const char *e = NULL;

		if (*s == '\\')
			e = "\\\\";
		else if (*s == '\n')
			e = "\\n";
		else if (quote && *s == '"')
			e = "\\\"";
		if (e ? puts_(w, e) : vx0_metrics_put(w, s, 1))
			return w->err;
	}
	return 0;
}

int
vx0_metrics_name_ok(const char *n)
{
	if (n == NULL || *n == 0)
		return 0;
	for (const char *p = n; *p; p++) {
		char c = *p;
		int alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';

		if (!alpha && !(p != n && c >= '0' && c <= '9'))
			return 0;
	}
	return 1;
}

int
vx0_metrics_label_name_ok(const char *n)
{
	if (n == NULL || *n == 0 || strncmp(n, "__", 2) == 0) /* __ is reserved */
		return 0;
	for (const char *p = n; *p; p++) {
		char c = *p;
		int alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';

		if (!alpha && !(p != n && c >= '0' && c <= '9'))
			return 0;
	}
	return 1;
}

int
vx0_metrics_family(struct vx0_metrics_writer *w, const char *name, const char *type,
		   const char *help)
{
	static const char *const types[] = { "counter", "gauge", "untyped", "summary",
					     "histogram", NULL };
	int ok = 0;

	if (w->err)
		return w->err;
	for (int i = 0; type && types[i]; i++)
		ok |= strcmp(type, types[i]) == 0;
	if (!ok || !vx0_metrics_name_ok(name))
		return w->err = -EINVAL;
	if (help) {
		puts_(w, "# HELP ");
		puts_(w, name);
		puts_(w, " ");
		put_escaped(w, help, 0);
		puts_(w, "\n");
	}
	puts_(w, "# TYPE ");
	puts_(w, name);
	puts_(w, " ");
	puts_(w, type);
	return puts_(w, "\n");
}

static int
sample_v(struct vx0_metrics_writer *w, const char *name, const char *value, va_list ap)
{
	const char *k;
	int first = 1;

	if (w->err)
		return w->err;
	if (!vx0_metrics_name_ok(name))
		return w->err = -EINVAL;
	puts_(w, name);
	while ((k = va_arg(ap, const char *)) != NULL) {
		const char *v = va_arg(ap, const char *);

		if (!vx0_metrics_label_name_ok(k) || v == NULL)
			return w->err = -EINVAL;
		puts_(w, first ? "{" : ",");
		first = 0;
		puts_(w, k);
		puts_(w, "=\"");
		put_escaped(w, v, 1);
		puts_(w, "\"");
	}
	if (!first)
		puts_(w, "}");
	puts_(w, " ");
	puts_(w, value);
	return puts_(w, "\n");
}

int
vx0_metrics_sample(struct vx0_metrics_writer *w, const char *name, double value, ...)
{
	char v[40];
	va_list ap;
	int rc;

	if (isnan(value))
		snprintf(v, sizeof(v), "NaN");
	else if (isinf(value))
		snprintf(v, sizeof(v), "%s", value > 0 ? "+Inf" : "-Inf");
	else {
		/* the shortest of %.15g / %.17g that reads back exactly */
		snprintf(v, sizeof(v), "%.15g", value);
		if (strtod(v, NULL) != value)
			snprintf(v, sizeof(v), "%.17g", value);
	}
	va_start(ap, value);
	rc = sample_v(w, name, v, ap);
	va_end(ap);
	return rc;
}

int
vx0_metrics_sample_u64(struct vx0_metrics_writer *w, const char *name, uint64_t value, ...)
{
	char v[24];
	va_list ap;
	int rc;

	snprintf(v, sizeof(v), "%llu", (unsigned long long)value);
	va_start(ap, value);
	rc = sample_v(w, name, v, ap);
	va_end(ap);
	return rc;
}
