/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VX0_METRICS_H
#define VX0_METRICS_H

/*
 * Prometheus exporter without DPDK: a text-format 0.0.4 writer, a bounded
 * HTTP/1.1 request parser, and a small server on lib/evloop answering
 * GET /metrics with whatever a render callback appends. One request per
 * connection (Connection: close); the render runs on the loop's thread.
 */

#include <stddef.h>
#include <stdint.h>

struct vx0_evloop;

/* --- text exposition writer (metrics_writer.c) --- */

struct vx0_metrics_writer {
	char *buf;
	size_t len, cap, max; /* max: the page never grows beyond it */
	int err;              /* first error, sticky (-EINVAL, -ENOMEM, -E2BIG) */
};

/* max: size limit of the rendered page (0: 4 MiB). */
void vx0_metrics_writer_init(struct vx0_metrics_writer *w, size_t max);
void vx0_metrics_writer_free(struct vx0_metrics_writer *w);

/* "# HELP name help" and "# TYPE name type"; type is counter, gauge,
 * untyped, summary or histogram. Returns 0 or the writer's error. */
int vx0_metrics_family(struct vx0_metrics_writer *w, const char *name, const char *type,
		       const char *help);
/* One sample line: name{l1="v1",...} value. The labels are name/value string
 * pairs ended by NULL; values are escaped (\\ \" \n). */
int vx0_metrics_sample(struct vx0_metrics_writer *w, const char *name, double value, ...)
	__attribute__((sentinel));
/* The same with an exact integer value (counters beyond 2^53). */
int vx0_metrics_sample_u64(struct vx0_metrics_writer *w, const char *name, uint64_t value, ...)
	__attribute__((sentinel));

/* Validation used by the writer, exposed for tests. */
int vx0_metrics_name_ok(const char *name);       /* [a-zA-Z_:][a-zA-Z0-9_:]* */
int vx0_metrics_label_name_ok(const char *name); /* [a-zA-Z_][a-zA-Z0-9_]*, not __* */

/* --- HTTP request head parser (metrics_http.c) --- */

#define VX0_METRICS_REQ_MAX 4096 /* bytes of request head accepted */

enum vx0_metrics_method {
	VX0_METRICS_GET = 1,
	VX0_METRICS_HEAD,
	VX0_METRICS_OTHER, /* a valid token we do not serve: 405 */
};

struct vx0_metrics_req {
	int method;
	char path[256];  /* the target up to '?' */
	int minor;       /* HTTP/1.<minor> */
};

/*
 * Parse the request head in buf[0..len). Returns the head's length once
 * the blank line is seen, 0 when more bytes are needed, -EINVAL when it is
 * malformed (400), -E2BIG when the head passes VX0_METRICS_REQ_MAX or the
 * target is too long (431/414), -EPROTONOSUPPORT for a version other than
 * HTTP/1.x (505).
 */
int vx0_metrics_http_parse(const char *buf, size_t len, struct vx0_metrics_req *req);

/* Status code and the response for a parse result / request: the full
 * response text (headers + body) is appended to out. body may be NULL. */
int vx0_metrics_http_status(int parse_rc, const struct vx0_metrics_req *req);
int vx0_metrics_http_response(struct vx0_metrics_writer *out, int status, int head_only,
			      const char *body, size_t body_len);

/* --- server (metrics_server.c) --- */

typedef int (*vx0_metrics_render_cb)(struct vx0_metrics_writer *w, void *arg);

struct vx0_metrics_server;

struct vx0_metrics_server_stats {
	uint64_t accepted, served, errors, rejected_busy, timeouts;
	unsigned int clients;
};

#define VX0_METRICS_MAX_CLIENTS 16
#define VX0_METRICS_TIMEOUT_MS 5000

/*
 * Listen on "A.B.C.D:PORT" or "[v6]:PORT" (port 0: any free one) and serve
 * on loop. NULL with errno set on failure.
 */
struct vx0_metrics_server *vx0_metrics_server_create(struct vx0_evloop *loop,
						     const char *listen,
						     vx0_metrics_render_cb cb, void *arg);
void vx0_metrics_server_destroy(struct vx0_metrics_server *s);
/* The bound port (useful after port 0). */
uint16_t vx0_metrics_server_port(const struct vx0_metrics_server *s);
void vx0_metrics_server_get_stats(const struct vx0_metrics_server *s,
				  struct vx0_metrics_server_stats *st);

/* Parse "A.B.C.D:PORT" / "[v6]:PORT" into a sockaddr (sockaddr_storage). */
struct sockaddr_storage;
int vx0_metrics_parse_listen(const char *s, struct sockaddr_storage *ss, unsigned int *sslen);

#endif
