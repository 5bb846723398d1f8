/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/mgmt: request validation, dispatch and replies, and the Unix socket
 * server (pipelining, partial lines, oversized lines, limits, mode). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vx0_evloop.h"
#include "vx0_mgmt.h"
#include "vx0_test.h"
#include "vx0_test_clock.h"

static void
test_parse(void)
{
	static const struct { const char *line; int ok; const char *err; } cases[] = {
		{ "{\"cmd\":\"log.level\",\"args\":{\"level\":\"debug\"},\"id\":1}", 1, "" },
		{ "{\"cmd\":\"x\"}", 1, "" },
		{ "{\"cmd\":\"x\",\"id\":\"abc\"}", 1, "" },
		{ "", 0, "not JSON" },
		{ "{\"cmd\":", 0, "not JSON" },
		{ "[\"cmd\"]", 0, "a request is a JSON object" },
		{ "{\"cmd\":\"x\",\"extra\":1}", 0, "unknown member \"extra\"" },
		{ "{\"cmd\":\"X\"}", 0, "\"cmd\" must be a command name" },
		{ "{\"cmd\":\"\"}", 0, "\"cmd\" must be a command name" },
		{ "{\"cmd\":\"a\\u0000b\"}", 0, "" }, /* NUL: not JSON to jansson */
		{ "{\"cmd\":3}", 0, "\"cmd\" must be a command name" },
		{ "{\"args\":{}}", 0, "\"cmd\" must be a command name" },
		{ "{\"cmd\":\"x\",\"args\":[1]}", 0, "\"args\" must be an object" },
		{ "{\"cmd\":\"x\",\"id\":{}}", 0, "\"id\" must be an integer" },
		{ "{\"cmd\":\"x\",\"cmd\":\"y\"}", 0, "duplicate object key" },
		{ "{\"cmd\":\"x\"} {\"cmd\":\"y\"}", 0, "not JSON" },
	};
	char longname[80];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vx0_mgmt_req r;
		char err[256] = "";
		int rc = vx0_mgmt_parse(cases[i].line, strlen(cases[i].line), &r, err, sizeof(err));

		CHECK_EQ(rc, cases[i].ok ? 0 : -EINVAL);
		if (cases[i].ok && rc == 0)
			CHECK(r.cmd && json_is_object(r.args));
		if (!cases[i].ok && strstr(err, cases[i].err) == NULL) {
			fprintf(stderr, "case %zu: got \"%s\"\n", i, err);
			CHECK(0);
		}
		vx0_mgmt_req_free(&r);
	}
	memset(longname, 'a', sizeof(longname));
	memcpy(longname, "{\"cmd\":\"", 8);
	memcpy(longname + 77, "\"}", 3);
	{
		struct vx0_mgmt_req r;
		char err[128];

		CHECK_EQ(vx0_mgmt_parse(longname, strlen(longname), &r, err, sizeof(err)), -EINVAL);
		vx0_mgmt_req_free(&r);
	}
}

static int
h_add(json_t *args, json_t **result, char *err, size_t errlen, void *arg)
{
	json_t *a = json_object_get(args, "a"), *b = json_object_get(args, "b");
	int *calls = arg;

	(*calls)++;
	if (!json_is_integer(a) || !json_is_integer(b)) {
		snprintf(err, errlen, "a and b must be integers");
		return -EINVAL;
	}
	*result = json_pack("{sI}", "sum", json_integer_value(a) + json_integer_value(b));
	return 0;
}

static int
h_fail(json_t *args, json_t **result, char *err, size_t errlen, void *arg)
{
	(void)args;
	(void)result;
	(void)err;
	(void)errlen;
	(void)arg;
	return -EPERM; /* no message: strerror */
}

static int calls;

static struct vx0_mgmt *
registry(void)
{
	struct vx0_mgmt *m = vx0_mgmt_create();

	CHECK_EQ(vx0_mgmt_register(m, "math.add", "a + b", h_add, &calls), 0);
	CHECK_EQ(vx0_mgmt_register(m, "fail", "always fails", h_fail, NULL), 0);
	CHECK_EQ(vx0_mgmt_register(m, "math.add", "again", h_add, NULL), -EEXIST);
	CHECK_EQ(vx0_mgmt_register(m, "help", "mine", h_add, NULL), -EINVAL);
	CHECK_EQ(vx0_mgmt_register(m, "Bad Name", "", h_add, NULL), -EINVAL);
	return m;
}

static void
check_handle(struct vx0_mgmt *m, const char *req, const char *want)
{
	char *r = vx0_mgmt_handle(m, req, strlen(req));

	CHECK(r != NULL && strcmp(r, want) == 0);
	if (r && strcmp(r, want))
		fprintf(stderr, "for %s\n got  %s want %s", req, r, want);
	free(r);
}

static void
test_dispatch(void)
{
	struct vx0_mgmt *m = registry();
	struct vx0_mgmt_stats st;

	calls = 0;
	check_handle(m, "{\"id\":7,\"cmd\":\"math.add\",\"args\":{\"a\":2,\"b\":40}}",
		     "{\"id\":7,\"ok\":true,\"result\":{\"sum\":42}}\n");
	check_handle(m, "{\"id\":\"q\",\"cmd\":\"math.add\",\"args\":{\"a\":\"x\"}}",
		     "{\"id\":\"q\",\"ok\":false,\"error\":\"a and b must be integers\",\"errno\":22}\n");
	check_handle(m, "{\"cmd\":\"fail\"}",
		     "{\"id\":null,\"ok\":false,\"error\":\"Operation not permitted\",\"errno\":1}\n");
	check_handle(m, "{\"id\":1,\"cmd\":\"nope\"}",
		     "{\"id\":1,\"ok\":false,\"error\":\"unknown command \\\"nope\\\" (see \\\"help\\\")\",\"errno\":2}\n");
	check_handle(m, "{\"id\":2,\"cmd\":\"x\",\"bogus\":1}",
		     "{\"id\":2,\"ok\":false,\"error\":\"unknown member \\\"bogus\\\" (cmd, args, id)\",\"errno\":22}\n");
	check_handle(m, "{\"id\":3,\"cmd\":\"help\"}",
		     "{\"id\":3,\"ok\":true,\"result\":{\"help\":\"this list\",\"math.add\":\"a + b\","
		     "\"fail\":\"always fails\"}}\n");
	/* replies are one line even when the error echoes odd bytes */
	check_handle(m, "{\"cmd\":\"\\u00e9\\n\"}",
		     "{\"id\":null,\"ok\":false,\"error\":\"\\\"cmd\\\" must be a command name ([a-z0-9._-], 1..64)\",\"errno\":22}\n");
	CHECK_EQ(calls, 2);
	vx0_mgmt_get_stats(m, &st);
	CHECK_EQ(st.requests, 7);
	CHECK_EQ(st.errors, 5);
	/* declared arguments: any other is refused before the handler runs */
	{
		static const char *const add_args[] = { "a", "b", NULL };
		static const char *const none[] = { NULL };

		CHECK_EQ(vx0_mgmt_set_args(m, "math.add", add_args), 0);
		CHECK_EQ(vx0_mgmt_set_args(m, "fail", none), 0);
		CHECK_EQ(vx0_mgmt_set_args(m, "nope", none), -ENOENT);
		check_handle(m, "{\"id\":8,\"cmd\":\"math.add\",\"args\":{\"a\":1,\"b\":2}}",
			     "{\"id\":8,\"ok\":true,\"result\":{\"sum\":3}}\n");
		check_handle(m, "{\"id\":9,\"cmd\":\"math.add\",\"args\":{\"a\":1,\"c\":2}}",
			     "{\"id\":9,\"ok\":false,\"error\":\"unknown argument \\\"c\\\" "
			     "(math.add takes: a, b)\",\"errno\":22}\n");
		check_handle(m, "{\"cmd\":\"fail\",\"args\":{\"x\":1}}",
			     "{\"id\":null,\"ok\":false,\"error\":\"unknown argument \\\"x\\\" "
			     "(fail takes: none)\",\"errno\":22}\n");
		CHECK_EQ(calls, 3); /* the refused ones never reached the handler */
	}
	vx0_mgmt_destroy(m);
}

/* --- the socket --- */

static int
dial(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

/* Send (all of) data, run the loop until want_lines replies arrived. */
static size_t
talk(struct vx0_evloop *loop, int fd, const char *data, size_t len, int want_lines, char *out,
     size_t outlen)
{
	size_t sent = 0, got = 0;
	uint64_t deadline = vx0_test_now_ms() + 3000;
	int lines = 0;

	out[0] = 0;
	while (vx0_test_now_ms() < deadline && lines < want_lines) {
		ssize_t n;

		if (sent < len && (n = send(fd, data + sent, len - sent, MSG_NOSIGNAL)) > 0)
			sent += (size_t)n;
		vx0_evloop_run_once(loop, 5);
		while ((n = recv(fd, out + got, outlen - 1 - got, 0)) > 0) {
			for (ssize_t i = 0; i < n; i++)
				lines += out[got + (size_t)i] == '\n';
			got += (size_t)n;
		}
		if (n == 0)
			break;
	}
	out[got] = 0;
	return got;
}

static void
test_socket(void)
{
	struct vx0_evloop *loop = vx0_evloop_create();
	struct vx0_mgmt *m = registry();
	struct vx0_mgmt_stats st;
	char dir[] = "/tmp/vx0-mgmt-XXXXXX", path[64], file[64];
	static char out[1 << 16], big[VX0_MGMT_LINE_MAX + 5000];
	struct stat sb;
	int fd, fds[VX0_MGMT_MAX_CLIENTS + 1];

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/mgmt.sock", dir);
	snprintf(file, sizeof(file), "%s/file", dir);
	close(open(file, O_CREAT | O_WRONLY, 0600));
	CHECK_EQ(vx0_mgmt_listen(m, loop, file), -EEXIST); /* never replaces a non-socket */
	CHECK_EQ(vx0_mgmt_listen(m, loop, path), 0);
	CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600);
	fd = dial(path);
	CHECK(fd >= 0);
	/* two requests in one write, a third split over two writes, CRLF, blank lines */
	{
		const char *a = "{\"id\":1,\"cmd\":\"math.add\",\"args\":{\"a\":1,\"b\":1}}\n\n"
				"{\"id\":2,\"cmd\":\"math.add\",\"args\":{\"a\":2,\"b\":2}}\r\n{\"id\":3,\"cm";
		const char *b = "d\":\"math.add\",\"args\":{\"a\":3,\"b\":3}}\n";

		talk(loop, fd, a, strlen(a), 2, out, sizeof(out));
		CHECK(strcmp(out, "{\"id\":1,\"ok\":true,\"result\":{\"sum\":2}}\n"
				  "{\"id\":2,\"ok\":true,\"result\":{\"sum\":4}}\n") == 0);
		talk(loop, fd, b, strlen(b), 1, out, sizeof(out));
		CHECK(strcmp(out, "{\"id\":3,\"ok\":true,\"result\":{\"sum\":6}}\n") == 0);
	}
	/* an oversized line: one error, the rest of it skipped, then service */
	memset(big, 'x', sizeof(big));
	big[sizeof(big) - 1] = '\n';
	talk(loop, fd, big, sizeof(big), 1, out, sizeof(out));
	CHECK(strstr(out, "\"ok\":false,\"error\":\"request line longer than 65536 bytes\"") != NULL);
	talk(loop, fd, "{\"id\":4,\"cmd\":\"fail\"}\n", 22, 1, out, sizeof(out));
	CHECK(strcmp(out, "{\"id\":4,\"ok\":false,\"error\":\"Operation not permitted\",\"errno\":1}\n") == 0);
	/* garbage is answered, not fatal */
	talk(loop, fd, "\x01\xff garbage\n", 11, 1, out, sizeof(out));
	CHECK(strstr(out, "\"ok\":false,\"error\":\"not JSON") != NULL);
	/* the client bound: 8 at most, the 9th is closed at once */
	for (int i = 0; i < VX0_MGMT_MAX_CLIENTS; i++) {
		fds[i] = i == 0 ? fd : dial(path);
		vx0_evloop_run_once(loop, 5);
	}
	fds[VX0_MGMT_MAX_CLIENTS] = dial(path);
	CHECK(fds[VX0_MGMT_MAX_CLIENTS] >= 0);
	for (int k = 0; k < 5; k++)
		vx0_evloop_run_once(loop, 5);
	{
		char c;
		uint64_t d = vx0_test_now_ms() + 2000;
		ssize_t n;

		while ((n = recv(fds[VX0_MGMT_MAX_CLIENTS], &c, 1, 0)) < 0 && vx0_test_now_ms() < d)
			vx0_evloop_run_once(loop, 5);
		CHECK_EQ(n, 0); /* closed */
	}
	vx0_mgmt_get_stats(m, &st);
	CHECK_EQ(st.clients, VX0_MGMT_MAX_CLIENTS);
	CHECK_EQ(st.dropped_clients, 1);
	for (int i = 0; i <= VX0_MGMT_MAX_CLIENTS; i++)
		close(fds[i]);
	for (uint64_t d = vx0_test_now_ms() + 2000; vx0_test_now_ms() < d && st.clients; vx0_mgmt_get_stats(m, &st))
		vx0_evloop_run_once(loop, 5);
	CHECK_EQ(st.clients, 0);
	vx0_mgmt_destroy(m);
	CHECK(stat(path, &sb) < 0); /* the socket file is removed */
	/* a stale socket file from a previous run is replaced */
	m = registry();
	{
		int s = socket(AF_UNIX, SOCK_STREAM, 0);
		struct sockaddr_un a = { .sun_family = AF_UNIX };

		snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
		CHECK(bind(s, (struct sockaddr *)&a, sizeof(a)) == 0);
		close(s);
	}
	CHECK_EQ(vx0_mgmt_listen(m, loop, path), 0);
	fd = dial(path);
	talk(loop, fd, "{\"cmd\":\"help\"}\n", 15, 1, out, sizeof(out));
	CHECK(strstr(out, "\"ok\":true") != NULL);
	close(fd);
	vx0_mgmt_destroy(m);
	unlink(file);
	rmdir(dir);
	vx0_evloop_destroy(loop);
}

/* A child running as uid/gid 65534 (nobody) connects, sends one request,
 * and hands back what it read through a pipe. */
static void
as_nobody(struct vx0_evloop *loop, const char *path, char *out, size_t outlen)
{
	int p[2];
	pid_t pid;
	size_t got = 0;

	out[0] = 0;
	if (pipe(p) < 0)
		return;
	pid = fork();
	if (pid == 0) {
		char buf[512];
		ssize_t n = 0, k;
		int fd;

		close(p[0]);
		if (setgid(65534) < 0 || setuid(65534) < 0)
			_exit(2);
		fd = dial(path);
		if (fd < 0)
			_exit(3);
		fcntl(fd, F_SETFL, 0);
		if (send(fd, "{\"id\":9,\"cmd\":\"help\"}\n", 22, MSG_NOSIGNAL) < 0)
			(void)0; /* a refused client may find the socket closed */
		while ((size_t)n < sizeof(buf) && (k = recv(fd, buf + n, sizeof(buf) - (size_t)n, 0)) > 0) {
			n += k;
			if (memchr(buf, '\n', (size_t)n))
				break;
		}
		if (n > 0 && write(p[1], buf, (size_t)n) < 0)
			_exit(4);
		_exit(0);
	}
	close(p[1]);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	for (uint64_t d = vx0_test_now_ms() + 3000; vx0_test_now_ms() < d;) {
		ssize_t n;

		vx0_evloop_run_once(loop, 5);
		n = read(p[0], out + got, outlen - 1 - got);
		if (n > 0)
			got += (size_t)n;
		else if (n == 0)
			break;
	}
	out[got] = 0;
	close(p[0]);
	waitpid(pid, NULL, 0);
}

static void
test_access(void)
{
	struct vx0_evloop *loop = vx0_evloop_create();
	struct vx0_mgmt *m = registry();
	struct vx0_mgmt_access acc = { .mode = 0666, .owner = -1, .group = -1,
				       .uids = { 4242 }, .n_uids = 1, .gids = { 4343 }, .n_gids = 1 };
	struct vx0_mgmt_stats st;
	char dir[] = "/tmp/vx0-mgmt-XXXXXX", path[64], out[1024];
	struct stat sb;

	/* who is let in */
	CHECK(vx0_mgmt_peer_allowed(m, 0, 0));
	CHECK(vx0_mgmt_peer_allowed(m, (uint32_t)geteuid(), 12345));
	CHECK(!vx0_mgmt_peer_allowed(m, 4242, 12345) || geteuid() == 4242);
	CHECK_EQ(vx0_mgmt_set_access(m, &acc), 0);
	CHECK(vx0_mgmt_peer_allowed(m, 4242, 12345));
	CHECK(vx0_mgmt_peer_allowed(m, 5555, 4343));
	CHECK(!vx0_mgmt_peer_allowed(m, 5555, 5555) || geteuid() == 5555);
	{
		struct vx0_mgmt_access bad = acc;

		bad.mode = 0644; /* owner rw, others read: allowed */
		CHECK_EQ(vx0_mgmt_set_access(m, &bad), 0);
		bad.mode = 0400;
		CHECK_EQ(vx0_mgmt_set_access(m, &bad), -EINVAL);
		bad.mode = 0755;
		CHECK_EQ(vx0_mgmt_set_access(m, &bad), -EINVAL);
		bad.mode = 0660;
		bad.n_uids = VX0_MGMT_MAX_IDS + 1;
		CHECK_EQ(vx0_mgmt_set_access(m, &bad), -EINVAL);
	}
	CHECK_EQ(vx0_mgmt_set_access(m, &acc), 0);
	CHECK(mkdtemp(dir) != NULL);
	chmod(dir, 0755);
	snprintf(path, sizeof(path), "%s/mgmt.sock", dir);
	CHECK_EQ(vx0_mgmt_listen(m, loop, path), 0);
	CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0666);
	if (geteuid() == 0) {
		/* nobody may connect (mode 0666) but is not on the list: refused */
		as_nobody(loop, path, out, sizeof(out));
		CHECK(strcmp(out, "{\"id\":null,\"ok\":false,\"error\":\"permission denied: this user "
			   "may not use the management socket\",\"errno\":13}\n") == 0);
		vx0_mgmt_get_stats(m, &st);
		CHECK_EQ(st.refused, 1);
		CHECK_EQ(st.requests, 0);
		/* on the list (a reload changed it): served */
		acc.uids[1] = 65534;
		acc.n_uids = 2;
		CHECK_EQ(vx0_mgmt_set_access(m, &acc), 0);
		as_nobody(loop, path, out, sizeof(out));
		CHECK(strncmp(out, "{\"id\":9,\"ok\":true,\"result\":{\"help\"", 34) == 0);
		vx0_mgmt_get_stats(m, &st);
		CHECK_EQ(st.refused, 1);
		CHECK_EQ(st.requests, 1);
	}
	vx0_mgmt_destroy(m);
	rmdir(dir);
	vx0_evloop_destroy(loop);
}

int
main(void)
{
	VX0_RUN(test_parse);
	VX0_RUN(test_dispatch);
	VX0_RUN(test_socket);
	VX0_RUN(test_access);
	return vx0_test_done();
}
