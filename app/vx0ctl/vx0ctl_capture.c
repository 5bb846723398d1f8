/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vx0ctl capture: start a bounded capture over the management socket, wait
 * for it to end (Ctrl-C stops it) and print its summary; or stop it, or
 * show its status. The daemon writes the file or FIFO; relative paths are
 * made absolute here, from our working directory.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vx0ctl.h"

static volatile sig_atomic_t interrupted;

static void
on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

static int
usage(void)
{
	fprintf(stderr,
		"usage: vx0ctl capture POINT[,POINT...] [-c COUNT] [-d SECONDS] [-s SNAPLEN] (-w FILE | -F FIFO)\n"
		"                     [--format pcap|pcapng] [--ring N] [--background] [FILTER...]\n"
		"       vx0ctl capture stop | status\n"
		"POINT: rx:PORT, tx:PORT, stage:rx:in|out, stage:crypto:in|out,\n"
		"       stage:onion:in|out, stage:tx:in, punt (up to 8: pcapng names each)\n");
	return VX0CTL_USAGE;
}

/* An absolute path for the daemon (its working directory is not ours). */
static int
absolute(const char *p, char *buf, size_t n)
{
	char cwd[PATH_MAX];

	if (p[0] == '/')
		return snprintf(buf, n, "%s", p) < (int)n ? 0 : -1;
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return -1;
	return snprintf(buf, n, "%s/%s", cwd, p) < (int)n ? 0 : -1;
}

static int
parse_u64(const char *opt, const char *s, unsigned long long max, unsigned long long *v)
{
	if (vx0ctl_parse_u64(s, max, v) < 0) {
		fprintf(stderr, "vx0ctl: capture %s wants an integer from 0 to %llu\n", opt, max);
		return -1;
	}
	return 0;
}

static unsigned long long
u64(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_integer(v) ? (unsigned long long)json_integer_value(v) : 0;
}

static const char *
str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

static void
summary(struct vx0ctl *c, json_t *st)
{
	if (c->json) {
		vx0ctl_print_json(st);
		return;
	}
	printf("capture at %s: %llu packets written to %s (%s), %llu filtered out, "
	       "%llu dropped (ring full %llu, no mbuf %llu, writer %llu)%s%s\n",
	       str(st, "point"), u64(st, "written"), str(st, "path"), str(st, "format"),
	       u64(st, "filtered"), u64(st, "dropped"), u64(st, "dropped_ring_full"),
	       u64(st, "dropped_no_mbuf"), u64(st, "dropped_writer"),
	       str(st, "stop_reason")[0] ? "; " : "", str(st, "stop_reason"));
}

/* A request without arguments */
static int
call0(struct vx0ctl *c, const char *cmd, json_t **out)
{
	json_t *args = json_object();
	int rc = vx0ctl_mgmt_call(c, cmd, args, out);

	json_decref(args);
	return rc;
}

static int
status(struct vx0ctl *c, json_t **st)
{
	int rc = call0(c, "capture.status", st);

	if (rc == VX0CTL_OK && !json_is_boolean(json_object_get(*st, "active"))) {
		json_decref(*st);
		*st = NULL;
		return vx0ctl_bad("capture.status", "no \"active\"");
	}
	return rc;
}

/* Poll the status until the capture ends; Ctrl-C (caught from before the
 * start request on) stops it. */
static int
wait_end(struct vx0ctl *c)
{
	struct timespec tick = { 0, 200 * 1000000 };
	json_t *st = NULL;
	int rc;

	for (;;) {
		if (interrupted) {
			json_t *r = NULL;

			/* it may have ended meanwhile: that is not an error */
			if (call0(c, "capture.stop", &r) == VX0CTL_OK)
				json_decref(r);
			interrupted = 0;
		}
		rc = status(c, &st);
		if (rc != VX0CTL_OK)
			return rc;
		if (json_is_false(json_object_get(st, "active")))
			break;
		json_decref(st);
		st = NULL;
		nanosleep(&tick, NULL);
	}
	summary(c, st);
	json_decref(st);
	return VX0CTL_OK;
}

int
vx0ctl_capture(struct vx0ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'c' },
		{ "duration", required_argument, NULL, 'd' },
		{ "snaplen", required_argument, NULL, 's' },
		{ "write", required_argument, NULL, 'w' },
		{ "fifo", required_argument, NULL, 'F' },
		{ "format", required_argument, NULL, 'T' },
		{ "ring", required_argument, NULL, 'r' },
		{ "background", no_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long long count = 0, secs = 0, snap = 0, ring = 0;
	bool have_count = false, have_secs = false, background = false;
	const char *file = NULL, *fifo = NULL, *format = NULL, *point;
	char path[PATH_MAX], filter[4096] = "";
	json_t *args, *res = NULL;
	size_t off = 0;
	int o, rc;

	if (argc == 2 && (strcmp(argv[1], "stop") == 0 || strcmp(argv[1], "status") == 0)) {
		bool stop = argv[1][1] == 't' && argv[1][2] == 'o';

		rc = stop ? call0(c, "capture.stop", &res)
			  : status(c, &res);
		if (rc != VX0CTL_OK)
			return rc;
		if (c->json)
			vx0ctl_print_json(res);
		else if (stop)
			summary(c, res);
		else
			rc = vx0ctl_print_kv("capture.status", res);
		json_decref(res);
		return rc;
	}
	if (argc < 2 || argv[1][0] == '-')
		return usage();
	point = argv[1];
	optind = 0; /* a fresh getopt over our own arguments */
	argc--;
	argv++;
	while ((o = getopt_long(argc, argv, "c:d:s:w:F:h", opts, NULL)) != -1) {
		switch (o) {
		case 'c':
			if (parse_u64("-c", optarg, UINT32_MAX, &count) < 0)
				return VX0CTL_USAGE;
			have_count = true;
			break;
		case 'd':
			if (parse_u64("-d", optarg, 86400, &secs) < 0)
				return VX0CTL_USAGE;
			have_secs = true;
			break;
		case 's':
			if (parse_u64("-s", optarg, 65535, &snap) < 0)
				return VX0CTL_USAGE;
			break;
		case 'r':
			if (parse_u64("--ring", optarg, 65536, &ring) < 0)
				return VX0CTL_USAGE;
			break;
		case 'w':
			file = optarg;
			break;
		case 'F':
			fifo = optarg;
			break;
		case 'T':
			format = optarg;
			break;
		case 'b':
			background = true;
			break;
		default:
			return usage();
		}
	}
	if ((file == NULL) == (fifo == NULL)) {
		fprintf(stderr, "vx0ctl: capture needs one of -w FILE and -F FIFO\n");
		return VX0CTL_USAGE;
	}
	if (!have_count && !have_secs) {
		fprintf(stderr, "vx0ctl: capture needs a bound: -c COUNT and/or -d SECONDS\n");
		return VX0CTL_USAGE;
	}
	if (absolute(file ? file : fifo, path, sizeof(path)) < 0) {
		fprintf(stderr, "vx0ctl: capture: path too long\n");
		return VX0CTL_USAGE;
	}
	/* the rest is the filter, as tcpdump takes it */
	for (int i = optind; i < argc; i++) {
		int w = snprintf(filter + off, sizeof(filter) - off, "%s%s", off ? " " : "", argv[i]);

		if (w < 0 || (size_t)w >= sizeof(filter) - off) {
			fprintf(stderr, "vx0ctl: capture: filter too long\n");
			return VX0CTL_USAGE;
		}
		off += (size_t)w;
	}
	args = json_pack("{ss ss}", "point", point, file ? "file" : "fifo", path);
	if (have_count)
		json_object_set_new(args, "count", json_integer((json_int_t)count));
	if (have_secs)
		json_object_set_new(args, "seconds", json_integer((json_int_t)secs));
	if (snap)
		json_object_set_new(args, "snaplen", json_integer((json_int_t)snap));
	if (ring)
		json_object_set_new(args, "ring", json_integer((json_int_t)ring));
	if (format)
		json_object_set_new(args, "format", json_string(format));
	if (filter[0])
		json_object_set_new(args, "filter", json_string(filter));
	if (!background) {
		struct sigaction sa = { .sa_handler = on_sigint };

		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
	}
	rc = vx0ctl_mgmt_call(c, "capture.start", args, &res);
	json_decref(args);
	if (rc != VX0CTL_OK)
		return rc;
	if (background) {
		if (c->json)
			vx0ctl_print_json(res);
		else
			printf("capture at %s started: %s (%s)%s\n", str(res, "point"),
			       str(res, "path"), str(res, "format"),
			       strcmp(str(res, "state"), "running") ? ", waiting for a reader" : "");
		json_decref(res);
		return VX0CTL_OK;
	}
	json_decref(res);
	return wait_end(c);
}
