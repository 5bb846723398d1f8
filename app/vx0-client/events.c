/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vx0-client's event stream: one JSON object per line, flushed at once,
 * so a lab test or a supervisor can follow circuits as they change.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "vx0_client.h"

int
vx0c_events_open(struct vx0c_events *e, const char *path)
{
	e->f = NULL;
	e->own = 0;
	if (path == NULL)
		return 0;
	if (strcmp(path, "-") == 0) {
		e->f = stdout;
		return 0;
	}
	e->f = fopen(path, "ae");
	if (e->f == NULL)
		return -errno;
	e->own = 1;
	return 0;
}

void
vx0c_events_close(struct vx0c_events *e)
{
	if (e->f && e->own)
		fclose(e->f);
	else if (e->f)
		fflush(e->f);
	e->f = NULL;
}

void
vx0c_event(struct vx0c_events *e, const char *event, const char *fmt, ...)
{
	json_t *o, *rest;
	json_error_t je;
	struct timespec ts;
	va_list ap;
	char *s;

	if (e->f == NULL)
		return;
	o = json_object();
	json_object_set_new(o, "event", json_string(event));
	clock_gettime(CLOCK_REALTIME, &ts);
	json_object_set_new(o, "time", json_real((double)ts.tv_sec + ts.tv_nsec / 1e9));
	if (fmt) {
		va_start(ap, fmt);
		rest = json_vpack_ex(&je, 0, fmt, ap);
		va_end(ap);
		if (rest) {
			json_object_update(o, rest);
			json_decref(rest);
		}
	}
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (s) {
		fprintf(e->f, "%s\n", s);
		fflush(e->f);
		free(s);
	}
}
