/* SPDX-License-Identifier: BSD-3-Clause */
/* The management commands of capture: argument checks that name the bad
 * argument, and the status object (also used by /vx0/capture). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vx0_ctl.h"

/* An optional non-negative integer argument at most max. */
static int
uint_arg(json_t *args, const char *key, uint64_t max, uint64_t *v, char *err, size_t errlen)
{
	json_t *j = json_object_get(args, key);

	*v = 0;
	if (j == NULL)
		return 0;
	if (!json_is_integer(j) || json_integer_value(j) < 0 ||
	    (uint64_t)json_integer_value(j) > max) {
		snprintf(err, errlen, "\"%s\" must be an integer from 0 to %llu", key,
			 (unsigned long long)max);
		return -EINVAL;
	}
	*v = (uint64_t)json_integer_value(j);
	return 0;
}

static int
str_arg(json_t *args, const char *key, const char **v, char *err, size_t errlen)
{
	json_t *j = json_object_get(args, key);

	*v = NULL;
	if (j == NULL)
		return 0;
	if (!json_is_string(j)) {
		snprintf(err, errlen, "\"%s\" must be a string", key);
		return -EINVAL;
	}
	*v = json_string_value(j);
	return 0;
}

/* {point, file | fifo, count | seconds[, snaplen][, format][, ring][, filter]} */
int
vx0_ctl_capture_cmd_start(json_t *args, json_t **result, char *err, size_t errlen, void *arg)
{
	static const char *const known[] = { "point", "file", "fifo", "count", "seconds", "snaplen",
					     "format", "ring", "filter" };
	struct vx0_node *node = arg;
	struct vx0_ctl_capture_req req = { 0 };
	const char *file, *fifo, *fmt;
	uint64_t snap, ring;
	const char *key;
	json_t *v;
	size_t n;
	int rc;

	json_object_foreach(args, key, v) {
		unsigned int k;

		for (k = 0; k < RTE_DIM(known) && strcmp(key, known[k]) != 0; k++)
			;
		if (k == RTE_DIM(known)) {
			snprintf(err, errlen, "unknown argument \"%s\"", key);
			return -EINVAL;
		}
	}
	if ((rc = str_arg(args, "point", &req.point, err, errlen)) ||
	    (rc = str_arg(args, "file", &file, err, errlen)) ||
	    (rc = str_arg(args, "fifo", &fifo, err, errlen)) ||
	    (rc = str_arg(args, "format", &fmt, err, errlen)) ||
	    (rc = str_arg(args, "filter", &req.filter, err, errlen)) ||
	    (rc = uint_arg(args, "count", UINT32_MAX, &req.count, err, errlen)) ||
	    (rc = uint_arg(args, "seconds", 86400, &req.seconds, err, errlen)) ||
	    (rc = uint_arg(args, "snaplen", 65535, &snap, err, errlen)) ||
	    (rc = uint_arg(args, "ring", 65536, &ring, err, errlen)))
		return rc;
	if (req.point == NULL) {
		snprintf(err, errlen, "needs \"point\" (rx:PORT, tx:PORT, stage:NAME:in|out, punt)");
		return -EINVAL;
	}
	if ((file == NULL) == (fifo == NULL)) {
		snprintf(err, errlen, "needs one of \"file\" and \"fifo\" (an absolute path)");
		return -EINVAL;
	}
	req.fifo = fifo != NULL;
	req.path = fifo ? fifo : file;
	n = strlen(req.path);
	/* the format: asked for, or by the file's name, else pcap */
	req.format = n > 7 && strcmp(req.path + n - 7, ".pcapng") == 0 ? VX0_CAPFILE_PCAPNG :
								     VX0_CAPFILE_PCAP;
	if (fmt && vx0_capfile_format_parse(fmt, &req.format) < 0) {
		snprintf(err, errlen, "format \"%s\": must be pcap or pcapng", fmt);
		return -EINVAL;
	}
	if (!req.count && !req.seconds) {
		snprintf(err, errlen, "bound it with \"count\" or \"seconds\" (or both)");
		return -EINVAL;
	}
	req.snaplen = (uint32_t)snap;
	req.ring = (uint32_t)ring;
	pthread_mutex_lock(&node->ctl->lock);
	rc = vx0_ctl_capture_start(node->ctl, &req, err, errlen);
	if (rc == 0)
		*result = vx0_ctl_capture_json(node->ctl);
	pthread_mutex_unlock(&node->ctl->lock);
	return rc;
}

int
vx0_ctl_capture_cmd_stop(json_t *args, json_t **result, char *err, size_t errlen, void *arg)
{
	struct vx0_node *node = arg;
	int rc;

	(void)args;
	pthread_mutex_lock(&node->ctl->lock);
	rc = vx0_ctl_capture_stop(node->ctl);
	if (rc == 0)
		*result = vx0_ctl_capture_json(node->ctl);
	pthread_mutex_unlock(&node->ctl->lock);
	if (rc < 0)
		snprintf(err, errlen, "no capture running");
	return rc;
}

json_t *
vx0_ctl_capture_json(struct vx0_ctl *ctl)
{
	struct vx0_ctl_capture_stats s;

	vx0_ctl_capture_stats(ctl, &s);
	return json_pack("{sb ss ss ss ss ss sb sI sI sI sI sI sI sI sI sI sI ss sI}",
			 "active", s.state != VX0_CAPTURE_IDLE,
			 "state", vx0_ctl_capture_state_name(s.state),
			 "point", s.point, "path", s.path,
			 "format", vx0_capfile_format_name(s.format),
			 "filter", s.filter, "fifo", s.fifo,
			 "snaplen", (json_int_t)s.snaplen, "count", (json_int_t)s.count,
			 "seconds", (json_int_t)s.seconds, "ring", (json_int_t)s.ring,
			 "written", (json_int_t)s.written, "filtered", (json_int_t)s.filtered,
			 "dropped", (json_int_t)(s.drop_ring + s.drop_nombuf + s.drop_writer),
			 "dropped_ring_full", (json_int_t)s.drop_ring,
			 "dropped_no_mbuf", (json_int_t)s.drop_nombuf,
			 "dropped_writer", (json_int_t)s.drop_writer,
			 "stop_reason", s.reason, "captures", (json_int_t)s.captures);
}

int
vx0_ctl_capture_cmd_status(json_t *args, json_t **result, char *err, size_t errlen, void *arg)
{
	struct vx0_node *node = arg;

	(void)args;
	(void)err;
	(void)errlen;
	pthread_mutex_lock(&node->ctl->lock);
	*result = vx0_ctl_capture_json(node->ctl);
	pthread_mutex_unlock(&node->ctl->lock);
	return 0;
}
