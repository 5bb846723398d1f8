/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VX0CTL_H
#define VX0CTL_H

/* vx0ctl: the operator's CLI over vx0d's DPDK telemetry socket. */

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/* Exit codes (documented in --help; scripts rely on them) */
enum {
	VX0CTL_OK = 0,
	VX0CTL_USAGE = 1,
	VX0CTL_CONNECT = 2,   /* cannot connect / the socket went away */
	VX0CTL_FAILED = 3,    /* the command failed or is unknown (reply null) */
	VX0CTL_BADREPLY = 4,  /* the reply is not JSON, too large, or of an unexpected shape */
};

#define VX0CTL_REPLY_MAX (1u << 20) /* never trust a larger max_output_len */
#define VX0CTL_TIMEOUT_S 5

struct vx0ctl {
	const char *path;  /* the telemetry socket */
	const char *mgmt_path; /* the management socket (write commands) */
	bool json;         /* --json */
	int fd;            /* -1 until the first query */
	size_t max_out;    /* from the greeting */
	unsigned int count;    /* top: iterations */
	double interval_s;     /* top: seconds between refreshes */
};

/* vx0ctl_sock.c: one command, its reply's value (a new reference) in *out,
 * validated: an object with exactly the command as key. Returns an exit code
 * and says why on stderr. */
int vx0ctl_query(struct vx0ctl *c, const char *cmd, json_t **out);
void vx0ctl_close(struct vx0ctl *c);
/* The path of a socket (file name) in a file prefix's DPDK runtime directory. */
int vx0ctl_socket_path(const char *prefix, const char *file, char *buf, size_t n);

/* Shape checks: print what is wrong and return VX0CTL_BADREPLY. */
int vx0ctl_bad(const char *cmd, const char *what);
int vx0ctl_get_u64(const char *cmd, json_t *obj, const char *key, unsigned long long *v);
/* A decimal number from the command line, 0 .. max: digits only (no blank,
 * sign or junk, which strtoull alone lets through); 0 or -1. */
int vx0ctl_parse_u64(const char *s, unsigned long long max, unsigned long long *v);

/* vx0ctl_table.c: aligned columns; numeric-looking cells right-aligned */
struct vx0ctl_table;
struct vx0ctl_table *vx0ctl_table_new(unsigned int ncol, const char *const *hdr);
void vx0ctl_table_add(struct vx0ctl_table *t, const char *const *cells);
void vx0ctl_table_print(struct vx0ctl_table *t);
void vx0ctl_table_free(struct vx0ctl_table *t);
/* "key   value" lines of a flat object, in reply order */
int vx0ctl_print_kv(const char *cmd, json_t *obj);
/* A JSON value as text for a table cell (strings unquoted). */
void vx0ctl_cell(json_t *v, char *buf, size_t n);
void vx0ctl_print_json(json_t *v);

/* vx0ctl_show.c */
int vx0ctl_show(struct vx0ctl *c, int argc, char **argv);
int vx0ctl_top(struct vx0ctl *c);
int vx0ctl_raw(struct vx0ctl *c, const char *cmd);

/* vx0ctl_mgmt.c: route / log / mgmt over the management socket */
int vx0ctl_mgmt(struct vx0ctl *c, int argc, char **argv);
/* One request; the reply's "result" (a new reference) in *out. An exit code. */
int vx0ctl_mgmt_call(struct vx0ctl *c, const char *cmd, json_t *args, json_t **out);
/* The same, printed as key/value lines (or JSON with --json); args are consumed. */
int vx0ctl_call_print(struct vx0ctl *c, const char *cmd, json_t *args);

/* vx0ctl_ops.c: check, reload, port, bgp, ike, log; -1: not one of these */
int vx0ctl_ops(struct vx0ctl *c, int argc, char **argv);

/* vx0ctl_capture.c: capture POINT ... | capture stop | capture status */
int vx0ctl_capture(struct vx0ctl *c, int argc, char **argv);

#endif
