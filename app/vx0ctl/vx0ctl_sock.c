/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The DPDK telemetry v2 protocol (what dpdk-telemetry.py speaks): a
 * SOCK_SEQPACKET Unix socket; the server greets with a JSON object carrying
 * max_output_len, then answers each "/cmd[,params]" with {"/cmd": value},
 * value null when the command is unknown or failed. Every reply is
 * validated before use: size, JSON syntax, shape.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "vx0ctl.h"

int
vx0ctl_socket_path(const char *prefix, const char *file, char *buf, size_t n)
{
	const char *run = getenv("RUNTIME_DIRECTORY");
	int l;

	/* the same choice as EAL's runtime directory */
	if (run == NULL || *run == 0)
		run = getuid() == 0 ? "/var/run" :
		      (getenv("XDG_RUNTIME_DIR") ? getenv("XDG_RUNTIME_DIR") : "/tmp");
	if (prefix == NULL || *prefix == 0 || strchr(prefix, '/'))
		return -EINVAL;
	l = snprintf(buf, n, "%s/dpdk/%s/%s", run, prefix, file);
	return l < 0 || (size_t)l >= n ? -ENAMETOOLONG : 0;
}

int
vx0ctl_bad(const char *cmd, const char *what)
{
	fprintf(stderr, "vx0ctl: unexpected reply to %s: %s\n", cmd, what);
	return VX0CTL_BADREPLY;
}

int
vx0ctl_parse_u64(const char *s, unsigned long long max, unsigned long long *v)
{
	char *end;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return *end || errno || *v > max ? -1 : 0;
}

int
vx0ctl_get_u64(const char *cmd, json_t *obj, const char *key, unsigned long long *v)
{
	json_t *x = json_object_get(obj, key);
	char msg[128];

	if (!json_is_integer(x) || json_integer_value(x) < 0) {
		snprintf(msg, sizeof(msg), "\"%s\" is missing or not a counter", key);
		return vx0ctl_bad(cmd, msg);
	}
	*v = (unsigned long long)json_integer_value(x);
	return VX0CTL_OK;
}

/* One message; its JSON in *out. */
static int
recv_json(struct vx0ctl *c, const char *what, json_t **out)
{
	size_t cap = c->max_out + 1;
	char *buf = malloc(cap);
	json_error_t e;
	ssize_t n;

	if (buf == NULL) {
		fprintf(stderr, "vx0ctl: out of memory\n");
		return VX0CTL_FAILED;
	}
	do {
		/* MSG_TRUNC: the real length, so an oversized reply is seen */
		n = recv(c->fd, buf, cap, MSG_TRUNC);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		fprintf(stderr, "vx0ctl: %s: %s: %s\n", c->path, what,
			errno == EAGAIN ? "no reply within 5 s" : strerror(errno));
		free(buf);
		return VX0CTL_CONNECT;
	}
	if (n == 0) {
		fprintf(stderr, "vx0ctl: %s: connection closed by vx0d (%s)\n", c->path, what);
		free(buf);
		return VX0CTL_CONNECT;
	}
	if ((size_t)n > c->max_out) {
		fprintf(stderr, "vx0ctl: unexpected reply to %s: %zd bytes, more than the %zu allowed\n",
			what, n, c->max_out);
		free(buf);
		return VX0CTL_BADREPLY;
	}
	*out = json_loadb(buf, (size_t)n, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
	free(buf);
	if (*out == NULL) {
		char msg[256];

		snprintf(msg, sizeof(msg), "not JSON (%s at byte %d)", e.text, e.position);
		return vx0ctl_bad(what, msg);
	}
	return VX0CTL_OK;
}

static int
do_connect(struct vx0ctl *c)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = VX0CTL_TIMEOUT_S };
	json_t *g, *m;
	int rc;

	if (strlen(c->path) >= sizeof(a.sun_path)) {
		fprintf(stderr, "vx0ctl: socket path too long: %s\n", c->path);
		return VX0CTL_USAGE;
	}
	strcpy(a.sun_path, c->path);
	c->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		fprintf(stderr, "vx0ctl: cannot connect to %s: %s (is vx0d running with this "
			"file prefix?)\n", c->path, strerror(errno));
		vx0ctl_close(c);
		return VX0CTL_CONNECT;
	}
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	c->max_out = 16384; /* until the greeting says otherwise */
	if ((rc = recv_json(c, "the greeting", &g)) != VX0CTL_OK) {
		vx0ctl_close(c);
		return rc;
	}
	m = json_object_get(g, "max_output_len");
	if (!json_is_object(g) || !json_is_integer(m) || json_integer_value(m) < 64 ||
	    json_integer_value(m) > VX0CTL_REPLY_MAX) {
		json_decref(g);
		vx0ctl_close(c);
		return vx0ctl_bad("the greeting", "no valid \"max_output_len\" (not a DPDK "
				  "telemetry v2 socket?)");
	}
	c->max_out = (size_t)json_integer_value(m);
	json_decref(g);
	return VX0CTL_OK;
}

int
vx0ctl_query(struct vx0ctl *c, const char *cmd, json_t **out)
{
	const char *comma = strchr(cmd, ',');
	size_t klen = comma ? (size_t)(comma - cmd) : strlen(cmd);
	json_t *r, *v;
	const char *key;
	ssize_t n;
	int rc;

	*out = NULL;
	if (cmd[0] != '/' || strlen(cmd) >= 1024) {
		fprintf(stderr, "vx0ctl: a command starts with / and is shorter than 1024 bytes\n");
		return VX0CTL_USAGE;
	}
	if (c->fd < 0 && (rc = do_connect(c)) != VX0CTL_OK)
		return rc;
	do {
		n = send(c->fd, cmd, strlen(cmd), MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		fprintf(stderr, "vx0ctl: %s: send: %s\n", c->path, strerror(errno));
		return VX0CTL_CONNECT;
	}
	if ((rc = recv_json(c, cmd, &r)) != VX0CTL_OK)
		return rc;
	if (!json_is_object(r) || json_object_size(r) != 1) {
		json_decref(r);
		return vx0ctl_bad(cmd, "not an object with one key");
	}
	key = json_object_iter_key(json_object_iter(r));
	if (strlen(key) != klen || strncmp(key, cmd, klen) != 0) {
		json_decref(r);
		return vx0ctl_bad(cmd, "the reply is for another command");
	}
	v = json_object_iter_value(json_object_iter(r));
	if (json_is_null(v)) {
		json_decref(r);
		fprintf(stderr, "vx0ctl: %s: unknown command or it failed (bad parameter?)\n", cmd);
		return VX0CTL_FAILED;
	}
	*out = json_incref(v);
	json_decref(r);
	return VX0CTL_OK;
}

void
vx0ctl_close(struct vx0ctl *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}
