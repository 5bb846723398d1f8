/* SPDX-License-Identifier: BSD-3-Clause */
/* The tap point syntax (see vx0_capfile.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "vx0_capfile.h"

static int
find(const char *s, size_t n, const char *const *names, unsigned int count)
{
	for (unsigned int i = 0; i < count; i++)
		if (names[i] && strlen(names[i]) == n && memcmp(names[i], s, n) == 0)
			return (int)i;
	return -1;
}

/* "a, b, c" of the names (for the error messages) */
static void
list(char *buf, size_t n, const char *const *names, unsigned int count, const uint8_t *allowed)
{
	size_t off = 0;

	buf[0] = 0;
	for (unsigned int i = 0; i < count && off < n; i++) {
		if (names[i] == NULL || (allowed && !allowed[i]))
			continue;
		off += (size_t)snprintf(buf + off, n - off, "%s%s", off ? ", " : "", names[i]);
	}
}

int
vx0_capfile_point_parse(const char *s, const char *const *stages, unsigned int n_stages,
			const uint8_t *allowed, unsigned int rx_stage, unsigned int tx_stage,
			unsigned int punt_stage, const char *const *ports, unsigned int n_ports,
			struct vx0_capfile_point *out, char *err, size_t errlen)
{
	char names[256];
	const char *rest, *colon;
	int i;

	if (s == NULL || s[0] == 0) {
		snprintf(err, errlen, "point: empty; expected rx:PORT, tx:PORT, "
			 "stage:NAME:in|out or punt");
		return -EINVAL;
	}
	if (strcmp(s, "punt") == 0) {
		*out = (struct vx0_capfile_point){ punt_stage, VX0_CAPFILE_IN, VX0_CAPFILE_ANY_PORT };
		return 0;
	}
	if (strncmp(s, "rx:", 3) == 0 || strncmp(s, "tx:", 3) == 0) {
		i = find(s + 3, strlen(s + 3), ports, n_ports);
		if (i < 0) {
			list(names, sizeof(names), ports, n_ports, NULL);
			snprintf(err, errlen, "point \"%s\": no port \"%s\" (ports: %s)", s, s + 3,
				 names);
			return -ENOENT;
		}
		*out = (struct vx0_capfile_point){ s[0] == 'r' ? rx_stage : tx_stage,
						   VX0_CAPFILE_IN, (unsigned int)i };
		return 0;
	}
	if (strncmp(s, "stage:", 6) != 0) {
		snprintf(err, errlen, "point \"%s\": expected rx:PORT, tx:PORT, stage:NAME:in|out "
			 "or punt", s);
		return -EINVAL;
	}
	rest = s + 6;
	colon = strchr(rest, ':');
	i = find(rest, colon ? (size_t)(colon - rest) : strlen(rest), stages, n_stages);
	if (i < 0 || !allowed[i]) {
		list(names, sizeof(names), stages, n_stages, allowed);
		snprintf(err, errlen, "point \"%s\": no stage \"%.*s\" (stages: %s)", s,
			 colon ? (int)(colon - rest) : (int)strlen(rest), rest, names);
		return -EINVAL;
	}
	if (colon == NULL || (strcmp(colon + 1, "in") != 0 && strcmp(colon + 1, "out") != 0)) {
		snprintf(err, errlen, "point \"%s\": direction \"%s\" must be \"in\" or \"out\"", s,
			 colon ? colon + 1 : "");
		return -EINVAL;
	}
	out->stage = (unsigned int)i;
	out->dir = colon[1] == 'i' ? VX0_CAPFILE_IN : VX0_CAPFILE_OUT;
	out->port = VX0_CAPFILE_ANY_PORT;
	if (!(allowed[i] & (1u << out->dir))) {
		snprintf(err, errlen, "point \"%s\": stage \"%s\" has no \"%s\" tap", s, stages[i],
			 colon + 1);
		return -EINVAL;
	}
	return 0;
}

static bool
overlap(const struct vx0_capfile_point *a, const struct vx0_capfile_point *b)
{
	return a->stage == b->stage && a->dir == b->dir &&
	       (a->port == b->port || a->port == VX0_CAPFILE_ANY_PORT ||
		b->port == VX0_CAPFILE_ANY_PORT);
}

int
vx0_capfile_points_parse(const char *s, const char *const *stages, unsigned int n_stages,
			 const uint8_t *allowed, unsigned int rx_stage, unsigned int tx_stage,
			 unsigned int punt_stage, const char *const *ports, unsigned int n_ports,
			 struct vx0_capfile_point *out, unsigned int max, unsigned int *n,
			 char *err, size_t errlen)
{
	char item[128];
	const char *p = s;

	*n = 0;
	if (s == NULL)
		return vx0_capfile_point_parse(s, stages, n_stages, allowed, rx_stage, tx_stage,
					       punt_stage, ports, n_ports, out, err, errlen);
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		int rc;

		if (*n == max || max > VX0_CAPFILE_MAX_IF) {
			snprintf(err, errlen, "point \"%s\": at most %u tap points", s,
				 max < VX0_CAPFILE_MAX_IF ? max : VX0_CAPFILE_MAX_IF);
			return -EINVAL;
		}
		if (len >= sizeof(item)) {
			snprintf(err, errlen, "point \"%.40s...\": too long", p);
			return -EINVAL;
		}
		memcpy(item, p, len);
		item[len] = 0;
		rc = vx0_capfile_point_parse(item, stages, n_stages, allowed, rx_stage, tx_stage,
					     punt_stage, ports, n_ports, &out[*n], err, errlen);
		if (rc < 0)
			return rc;
		for (unsigned int k = 0; k < *n; k++)
			if (overlap(&out[k], &out[*n])) {
				snprintf(err, errlen, "point \"%s\": \"%s\" overlaps an earlier point "
					 "(the same packets twice)", s, item);
				return -EINVAL;
			}
		(*n)++;
		if (comma == NULL)
			return 0;
		p = comma + 1;
	}
}
