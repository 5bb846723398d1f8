/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Write commands through vx0d's management socket (lib/mgmt: one JSON
 * request line, one JSON reply line over a Unix stream socket). The reply
 * is validated like the telemetry ones: bounded, JSON, the shape expected.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "vx0ctl.h"

#define REPLY_MAX (1u << 20)

static int
mgmt_connect(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(a.sun_path)) {
		fprintf(stderr, "vx0ctl: socket path too long: %s\n", path);
		return -VX0CTL_USAGE;
	}
	memcpy(a.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		fprintf(stderr, "vx0ctl: cannot connect to %s: %s (is vx0d running with this "
			"file prefix?)\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -VX0CTL_CONNECT;
	}
	return fd;
}

/* One request, its validated reply object in *out. */
int
vx0ctl_mgmt_call(struct vx0ctl *c, const char *cmd, json_t *args, json_t **out)
{
	json_t *req = json_pack("{sisssO}", "id", (int)getpid(), "cmd", cmd, "args", args);
	char *line = req ? json_dumps(req, JSON_COMPACT) : NULL;
	char *buf = malloc(REPLY_MAX + 1);
	size_t got = 0, n, sent = 0;
	struct timespec t0, t;
	json_error_t e;
	json_t *r, *ok, *id;
	int fd, rc = VX0CTL_OK;

	json_decref(req);
	if (line == NULL || buf == NULL) {
		fprintf(stderr, "vx0ctl: out of memory\n");
		rc = VX0CTL_FAILED;
		goto done;
	}
	if ((fd = mgmt_connect(c->mgmt_path)) < 0) {
		rc = -fd;
		goto done;
	}
	n = strlen(line);
	line[n++] = '\n'; /* json_dumps left room: replace the NUL */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (sent < n) {
		ssize_t w = send(fd, line + sent, n - sent, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			fprintf(stderr, "vx0ctl: %s: send: %s\n", c->mgmt_path, strerror(errno));
			rc = VX0CTL_CONNECT;
			goto close;
		}
		sent += (size_t)w;
	}
	while (memchr(buf, '\n', got) == NULL) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long left;
		ssize_t rd;

		clock_gettime(CLOCK_MONOTONIC, &t);
		left = VX0CTL_TIMEOUT_S * 1000 - ((t.tv_sec - t0.tv_sec) * 1000 +
						  (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0 || poll(&p, 1, (int)left) == 0) {
			fprintf(stderr, "vx0ctl: %s: no reply within %d s\n", c->mgmt_path,
				VX0CTL_TIMEOUT_S);
			rc = VX0CTL_CONNECT;
			goto close;
		}
		if (got == REPLY_MAX) {
			rc = vx0ctl_bad(cmd, "a reply line longer than 1 MiB");
			goto close;
		}
		rd = recv(fd, buf + got, REPLY_MAX - got, 0);
		if (rd < 0 && errno == EINTR)
			continue;
		if (rd <= 0) {
			fprintf(stderr, "vx0ctl: %s: connection closed by vx0d\n", c->mgmt_path);
			rc = VX0CTL_CONNECT;
			goto close;
		}
		got += (size_t)rd;
	}
	n = (size_t)((char *)memchr(buf, '\n', got) - buf);
	r = json_loadb(buf, n, 0, &e);
	if (r == NULL) {
		rc = vx0ctl_bad(cmd, "not JSON");
		goto close;
	}
	ok = json_object_get(r, "ok");
	id = json_object_get(r, "id");
	if (!json_is_boolean(ok) || !json_is_integer(id) || json_integer_value(id) != getpid()) {
		json_decref(r);
		rc = vx0ctl_bad(cmd, "no \"ok\" or not our \"id\"");
		goto close;
	}
	if (json_is_false(ok)) {
		const char *msg = json_string_value(json_object_get(r, "error"));

		fprintf(stderr, "vx0ctl: %s: %s\n", cmd, msg ? msg : "failed");
		json_decref(r);
		rc = VX0CTL_FAILED;
		goto close;
	}
	*out = json_incref(json_object_get(r, "result"));
	json_decref(r);
close:
	close(fd);
done:
	free(line);
	free(buf);
	return rc;
}

int
vx0ctl_call_print(struct vx0ctl *c, const char *cmd, json_t *args)
{
	json_t *res = NULL;
	int rc = vx0ctl_mgmt_call(c, cmd, args, &res);

	json_decref(args);
	if (rc != VX0CTL_OK)
		return rc;
	if (c->json || !json_is_object(res))
		vx0ctl_print_json(res ? res : json_null());
	else
		rc = vx0ctl_print_kv(cmd, res);
	json_decref(res);
	return rc;
}

static int
usage(void)
{
	fprintf(stderr, "vx0ctl: route add PREFIX via ADDRESS | route add PREFIX drop | "
		"route del PREFIX | route get PREFIX | log level [LEVEL] | mgmt CMD [ARGS_JSON]\n");
	return VX0CTL_USAGE;
}

int
vx0ctl_mgmt(struct vx0ctl *c, int argc, char **argv)
{
	if (strcmp(argv[0], "route") == 0 && argc >= 3) {
		const char *op = argv[1], *pfx = argv[2];

		if (strcmp(op, "add") == 0 && argc == 5 && strcmp(argv[3], "via") == 0)
			return vx0ctl_call_print(c, "route.add", json_pack("{ssss}", "prefix", pfx,
								     "via", argv[4]));
		if (strcmp(op, "add") == 0 && argc == 4 && strcmp(argv[3], "drop") == 0)
			return vx0ctl_call_print(c, "route.add", json_pack("{sssb}", "prefix", pfx,
								     "drop", 1));
		if ((strcmp(op, "del") == 0 || strcmp(op, "get") == 0) && argc == 3)
			return vx0ctl_call_print(c, op[0] == 'd' ? "route.del" : "route.get",
					  json_pack("{ss}", "prefix", pfx));
		return usage();
	}
	if (strcmp(argv[0], "mgmt") == 0 && (argc == 2 || argc == 3)) {
		json_error_t e;
		json_t *args = argc == 3 ? json_loads(argv[2], 0, &e) : json_object();

		if (!json_is_object(args)) {
			json_decref(args);
			fprintf(stderr, "vx0ctl: ARGS_JSON must be a JSON object\n");
			return VX0CTL_USAGE;
		}
		return vx0ctl_call_print(c, argv[1], args);
	}
	return usage();
}
