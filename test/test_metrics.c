/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/metrics: exact exposition text, the request parser's verdicts, and
 * the server end to end over loopback (malformed, oversized, busy). */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "vx0_conf.h"
#include "vx0_evloop.h"
#include "vx0_metrics.h"
#include "vx0_test.h"
#include "vx0_test_clock.h"

static void
test_writer_exact(void)
{
	struct vx0_metrics_writer w;
	const char *want =
		"# HELP vx0_port_rx_packets_total Packets received.\n"
		"# TYPE vx0_port_rx_packets_total counter\n"
		"vx0_port_rx_packets_total{port=\"a\"} 25\n"
		"vx0_port_rx_packets_total{port=\"b\",queue=\"0\"} 18446744073709551615\n"
		"# TYPE vx0_up gauge\n"
		"vx0_up 1\n"
		"vx0_ratio 0.1\n"
		"vx0_ratio 1e+300\n"
		"vx0_ratio NaN\n"
		"vx0_ratio +Inf\n"
		"vx0_ratio -Inf\n";

	vx0_metrics_writer_init(&w, 0);
	CHECK_EQ(vx0_metrics_family(&w, "vx0_port_rx_packets_total", "counter", "Packets received."), 0);
	CHECK_EQ(vx0_metrics_sample_u64(&w, "vx0_port_rx_packets_total", 25, "port", "a", NULL), 0);
	CHECK_EQ(vx0_metrics_sample_u64(&w, "vx0_port_rx_packets_total", UINT64_MAX, "port", "b",
					"queue", "0", NULL), 0);
	CHECK_EQ(vx0_metrics_family(&w, "vx0_up", "gauge", NULL), 0);
	CHECK_EQ(vx0_metrics_sample(&w, "vx0_up", 1.0, NULL), 0);
	vx0_metrics_sample(&w, "vx0_ratio", 0.1, NULL);
	vx0_metrics_sample(&w, "vx0_ratio", 1e300, NULL);
	vx0_metrics_sample(&w, "vx0_ratio", NAN, NULL);
	vx0_metrics_sample(&w, "vx0_ratio", INFINITY, NULL);
	vx0_metrics_sample(&w, "vx0_ratio", -INFINITY, NULL);
	CHECK_EQ(w.err, 0);
	CHECK(w.buf && strcmp(w.buf, want) == 0);
	if (w.buf && strcmp(w.buf, want))
		fprintf(stderr, "got:\n%s", w.buf);
	vx0_metrics_writer_free(&w);
}

static void
test_writer_escaping(void)
{
	struct vx0_metrics_writer w;
	/* text format 0.0.4: label values escape \, " and newline; HELP
	 * escapes \ and newline only */
	const char *want =
		"# HELP m a \\\\ b \\n c \"q\"\n"
		"# TYPE m untyped\n"
		"m{v=\"back\\\\slash \\\"quoted\\\" new\\nline\",e=\"\"} 0\n";

	vx0_metrics_writer_init(&w, 0);
	vx0_metrics_family(&w, "m", "untyped", "a \\ b \n c \"q\"");
	vx0_metrics_sample_u64(&w, "m", 0, "v", "back\\slash \"quoted\" new\nline", "e", "", NULL);
	CHECK_EQ(w.err, 0);
	CHECK(w.buf && strcmp(w.buf, want) == 0);
	if (w.buf && strcmp(w.buf, want))
		fprintf(stderr, "got:\n%s", w.buf);
	vx0_metrics_writer_free(&w);
}

static void
test_writer_rejects(void)
{
	struct vx0_metrics_writer w;

	CHECK(vx0_metrics_name_ok("a:b_c9"));
	CHECK(!vx0_metrics_name_ok("9a"));
	CHECK(!vx0_metrics_name_ok("a-b"));
	CHECK(!vx0_metrics_name_ok(""));
	CHECK(vx0_metrics_label_name_ok("port"));
	CHECK(!vx0_metrics_label_name_ok("__name__"));
	CHECK(!vx0_metrics_label_name_ok("a:b"));
	vx0_metrics_writer_init(&w, 0);
	CHECK_EQ(vx0_metrics_family(&w, "x", "countr", "h"), -EINVAL);
	vx0_metrics_writer_free(&w);
	vx0_metrics_writer_init(&w, 0);
	CHECK_EQ(vx0_metrics_sample_u64(&w, "bad name", 1, NULL), -EINVAL);
	CHECK_EQ(vx0_metrics_sample_u64(&w, "ok", 1, NULL), -EINVAL); /* sticky */
	vx0_metrics_writer_free(&w);
	vx0_metrics_writer_init(&w, 0);
	CHECK_EQ(vx0_metrics_sample_u64(&w, "ok", 1, "bad-label", "v", NULL), -EINVAL);
	vx0_metrics_writer_free(&w);
	/* the size bound holds */
	vx0_metrics_writer_init(&w, 64);
	for (int i = 0; i < 10; i++)
		vx0_metrics_sample_u64(&w, "counter_name", (uint64_t)i, NULL);
	CHECK_EQ(w.err, -E2BIG);
	CHECK(w.len <= 64);
	vx0_metrics_writer_free(&w);
}

static int
parse(const char *s, struct vx0_metrics_req *r)
{
	return vx0_metrics_http_parse(s, strlen(s), r);
}

static void
test_http_parse(void)
{
	struct vx0_metrics_req r;
	const char *ok = "GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\nBODY";
	char big[VX0_METRICS_REQ_MAX + 64];

	CHECK_EQ(parse(ok, &r), (int)strlen(ok) - 4);
	CHECK_EQ(r.method, VX0_METRICS_GET);
	CHECK(strcmp(r.path, "/metrics") == 0);
	CHECK_EQ(r.minor, 1);
	CHECK_EQ(vx0_metrics_http_status(parse(ok, &r), &r), 200);
	CHECK_EQ(parse("GET /metrics HTTP/1.0\n\n", &r), 23);
	CHECK_EQ(vx0_metrics_http_status(23, &r), 200);
	CHECK_EQ(parse("HEAD /metrics HTTP/1.1\r\n\r\n", &r), 26);
	CHECK_EQ(r.method, VX0_METRICS_HEAD);
	/* incomplete heads ask for more */
	CHECK_EQ(parse("GET /metrics HTTP/1.1\r\nHost: a\r\n", &r), 0);
	CHECK_EQ(parse("GET /met", &r), 0);
	CHECK_EQ(parse("", &r), 0);
	/* statuses */
	CHECK_EQ(parse("POST /metrics HTTP/1.1\r\n\r\n", &r), 26);
	CHECK_EQ(vx0_metrics_http_status(26, &r), 405);
	CHECK_EQ(parse("GET / HTTP/1.1\r\n\r\n", &r), 18);
	CHECK_EQ(vx0_metrics_http_status(18, &r), 404);
	CHECK_EQ(parse("GET /metricsx HTTP/1.1\r\n\r\n", &r), 26);
	CHECK_EQ(vx0_metrics_http_status(26, &r), 404);
	CHECK_EQ(parse("GET /metrics HTTP/2.0\r\n\r\n", &r), -EPROTONOSUPPORT);
	CHECK_EQ(vx0_metrics_http_status(-EPROTONOSUPPORT, &r), 505);
	/* malformed */
	CHECK_EQ(parse("\r\nGET /metrics HTTP/1.1\r\n\r\n", &r), -EINVAL);
	CHECK_EQ(parse("GET  /metrics HTTP/1.1\r\n\r\n", &r), -EINVAL);
	CHECK_EQ(parse("GET metrics HTTP/1.1\r\n\r\n", &r), -EINVAL);
	CHECK_EQ(parse("GET http://x/metrics HTTP/1.1\r\n\r\n", &r), -EINVAL);
	CHECK_EQ(parse("GET /metrics HTTP/1.1 \r\n\r\n", &r), -EINVAL);
	CHECK_EQ(parse("GET /metrics HTTX/1.1\r\n\r\n", &r), -EINVAL);
	CHECK_EQ(parse("GET /metrics\r\n\r\n", &r), -EINVAL);
	CHECK_EQ(parse("G(T /metrics HTTP/1.1\r\n\r\n", &r), -EINVAL);
	CHECK_EQ(parse("GET /me\x01trics HTTP/1.1\r\n\r\n", &r), -EINVAL);
	CHECK_EQ(parse("GET /metrics HTTP/1.1\r\nHost a\r\n\r\n", &r), -EINVAL);
	CHECK_EQ(parse("GET /metrics HTTP/1.1\r\nHost : a\r\n\r\n", &r), -EINVAL);
	CHECK_EQ(parse("GET /metrics HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", &r), -EINVAL);
	CHECK_EQ(parse("GET /metrics HTTP/1.1\r\nHost: a\rb\r\n\r\n", &r), -EINVAL);
	CHECK_EQ(vx0_metrics_http_status(-EINVAL, &r), 400);
	CHECK_EQ(vx0_metrics_http_parse("GET /metrics HTTP/1.1\r\nA: \0\r\n\r\n", 31, &r), -EINVAL);
	/* oversized: a head with no end in sight, one huge header, a long path */
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET /metrics HTTP/1.1\r\nX: ", 26);
	CHECK_EQ(vx0_metrics_http_parse(big, sizeof(big), &r), -E2BIG);
	CHECK_EQ(vx0_metrics_http_parse(big, VX0_METRICS_REQ_MAX, &r), -E2BIG);
	CHECK_EQ(vx0_metrics_http_parse(big, VX0_METRICS_REQ_MAX - 1, &r), 0);
	CHECK_EQ(vx0_metrics_http_status(-E2BIG, &r), 431);
	memset(big, 'a', 600);
	memcpy(big, "GET /", 5);
	memcpy(big + 500, " HTTP/1.1\r\n\r\n", 14);
	CHECK_EQ(vx0_metrics_http_parse(big, 514, &r), -E2BIG);
}

static void
test_parse_listen(void)
{
	struct sockaddr_storage ss;
	unsigned int l;

	CHECK_EQ(vx0_metrics_parse_listen("198.51.100.1:9100", &ss, &l), 0);
	CHECK_EQ(ss.ss_family, AF_INET);
	CHECK_EQ(ntohs(((struct sockaddr_in *)&ss)->sin_port), 9100);
	CHECK_EQ(vx0_metrics_parse_listen("[2001:db8::1]:9100", &ss, &l), 0);
	CHECK_EQ(ss.ss_family, AF_INET6);
	CHECK_EQ(vx0_metrics_parse_listen("[::1]:0", &ss, &l), 0);
	CHECK_EQ(vx0_metrics_parse_listen("198.51.100.1", &ss, &l), -EINVAL);
	CHECK_EQ(vx0_metrics_parse_listen("198.51.100.1:", &ss, &l), -EINVAL);
	CHECK_EQ(vx0_metrics_parse_listen("198.51.100.1:65536", &ss, &l), -EINVAL);
	CHECK_EQ(vx0_metrics_parse_listen("198.51.100.1:-1", &ss, &l), -EINVAL);
	CHECK_EQ(vx0_metrics_parse_listen("::1:9100", &ss, &l), -EINVAL);
	CHECK_EQ(vx0_metrics_parse_listen("[::1]9100", &ss, &l), -EINVAL);
	CHECK_EQ(vx0_metrics_parse_listen("host:9100", &ss, &l), -EINVAL);
	CHECK_EQ(vx0_metrics_parse_listen(":9100", &ss, &l), -EINVAL);
}

/* --- the server over loopback --- */

static int renders;

static int
render(struct vx0_metrics_writer *w, void *arg)
{
	(void)arg;
	renders++;
	vx0_metrics_family(w, "vx0_test_total", "counter", "Scrapes.");
	return vx0_metrics_sample_u64(w, "vx0_test_total", (uint64_t)renders, "k", "v", NULL);
}

static int
connect_to(uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Send req (len bytes), run the loop until the server closes; the reply
 * text in out (NUL-terminated). */
static size_t
exchange(struct vx0_evloop *loop, uint16_t port, const char *req, size_t len, char *out,
	 size_t outlen)
{
	int fd = connect_to(port);
	size_t got = 0, sent = 0;
	uint64_t deadline = vx0_test_now_ms() + 3000;

	out[0] = 0;
	if (fd < 0)
		return 0;
	while (vx0_test_now_ms() < deadline) {
		ssize_t n;

		vx0_evloop_run_once(loop, 5);
		if (sent < len) {
			n = send(fd, req + sent, len - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
			if (n > 0)
				sent += (size_t)n;
			else if (n < 0 && errno != EAGAIN)
				sent = len; /* the server stopped reading */
		}
		n = recv(fd, out + got, outlen - 1 - got, MSG_DONTWAIT);
		if (n > 0)
			got += (size_t)n;
		else if (n == 0 || (n < 0 && errno != EAGAIN))
			break;
	}
	out[got] = 0;
	close(fd);
	return got;
}

static void
test_server(void)
{
	struct vx0_evloop *loop = vx0_evloop_create();
	struct vx0_metrics_server *s;
	struct vx0_metrics_server_stats st;
	static char out[65536];
	static char big[3 * VX0_METRICS_REQ_MAX];
	const char *get = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
	int idle[VX0_METRICS_MAX_CLIENTS + 1];

	CHECK(vx0_metrics_server_create(loop, "bad", render, NULL) == NULL && errno == EINVAL);
	s = vx0_metrics_server_create(loop, "127.0.0.1:0", render, NULL);
	CHECK(s != NULL);
	if (s == NULL) {
		vx0_evloop_destroy(loop);
		return;
	}
	CHECK(vx0_metrics_server_port(s) != 0);
	exchange(loop, vx0_metrics_server_port(s), get, strlen(get), out, sizeof(out));
	CHECK(strncmp(out, "HTTP/1.1 200 OK\r\n", 17) == 0);
	CHECK(strstr(out, "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n") != NULL);
	CHECK(strstr(out, "Connection: close\r\n") != NULL);
	CHECK(strstr(out, "Content-Length: 85\r\n") != NULL);
	CHECK(strstr(out, "\r\n\r\n# HELP vx0_test_total Scrapes.\n# TYPE vx0_test_total counter\n"
			  "vx0_test_total{k=\"v\"} 1\n") != NULL);
	exchange(loop, vx0_metrics_server_port(s), "HEAD /metrics HTTP/1.1\r\n\r\n", 26, out,
		 sizeof(out));
	CHECK(strncmp(out, "HTTP/1.1 200 OK\r\n", 17) == 0);
	CHECK(strstr(out, "Content-Length: 85\r\n") != NULL && strstr(out, "# HELP") == NULL);
	exchange(loop, vx0_metrics_server_port(s), "GET /x HTTP/1.1\r\n\r\n", 19, out, sizeof(out));
	CHECK(strncmp(out, "HTTP/1.1 404 Not Found\r\n", 24) == 0);
	exchange(loop, vx0_metrics_server_port(s), "PUT /metrics HTTP/1.1\r\n\r\n", 25, out,
		 sizeof(out));
	CHECK(strncmp(out, "HTTP/1.1 405 Method Not Allowed\r\n", 33) == 0);
	CHECK(strstr(out, "Allow: GET, HEAD\r\n") != NULL);
	exchange(loop, vx0_metrics_server_port(s), "GARBAGE\r\n\r\n", 11, out, sizeof(out));
	CHECK(strncmp(out, "HTTP/1.1 400 Bad Request\r\n", 26) == 0);
	/* oversized: answered 431 while the client is still sending */
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET /metrics HTTP/1.1\r\nX: ", 26);
	exchange(loop, vx0_metrics_server_port(s), big, sizeof(big), out, sizeof(out));
	CHECK(strncmp(out, "HTTP/1.1 431 ", 13) == 0);
	/* the concurrency bound: idle clients fill every slot, the next one
	 * is refused with 503; once they go, service resumes */
	for (int i = 0; i <= VX0_METRICS_MAX_CLIENTS; i++) {
		idle[i] = connect_to(vx0_metrics_server_port(s));
		for (int k = 0; k < 3; k++)
			vx0_evloop_run_once(loop, 5);
	}
	vx0_metrics_server_get_stats(s, &st);
	CHECK_EQ(st.clients, VX0_METRICS_MAX_CLIENTS);
	CHECK_EQ(st.rejected_busy, 1);
	{
		ssize_t n = recv(idle[VX0_METRICS_MAX_CLIENTS], out, sizeof(out) - 1, 0);

		CHECK(n > 12 && strncmp(out, "HTTP/1.1 503 ", 13) == 0);
	}
	for (int i = 0; i <= VX0_METRICS_MAX_CLIENTS; i++)
		if (idle[i] >= 0)
			close(idle[i]);
	for (uint64_t d = vx0_test_now_ms() + 2000; vx0_test_now_ms() < d;) {
		vx0_evloop_run_once(loop, 5);
		vx0_metrics_server_get_stats(s, &st);
		if (st.clients == 0)
			break;
	}
	CHECK_EQ(st.clients, 0);
	exchange(loop, vx0_metrics_server_port(s), get, strlen(get), out, sizeof(out));
	CHECK(strstr(out, "vx0_test_total{k=\"v\"} 3\n") != NULL); /* 2 renders before (GET, HEAD) */
	vx0_metrics_server_get_stats(s, &st);
	CHECK_EQ(st.served, 3);
	CHECK(st.errors >= 4 + VX0_METRICS_MAX_CLIENTS);
	vx0_metrics_server_destroy(s);
	vx0_evloop_destroy(loop);
}

static void
test_server_timeout(void)
{
	struct vx0_evloop *loop = vx0_evloop_create();
	struct vx0_metrics_server *s = vx0_metrics_server_create(loop, "[::1]:0", render, NULL);
	struct vx0_metrics_server_stats st;
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	int fd;
	char c;

	if (s == NULL) { /* no IPv6 loopback here: say so, do not pass silently */
		CHECK(s != NULL);
		vx0_evloop_destroy(loop);
		return;
	}
	a.sin6_port = htons(vx0_metrics_server_port(s));
	fd = socket(AF_INET6, SOCK_STREAM, 0);
	CHECK(connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
	send(fd, "GET /met", 8, 0); /* and then nothing */
	for (uint64_t d = vx0_test_now_ms() + VX0_METRICS_TIMEOUT_MS + 2000; vx0_test_now_ms() < d;) {
		vx0_evloop_run_once(loop, 50);
		vx0_metrics_server_get_stats(s, &st);
		if (st.timeouts)
			break;
	}
	CHECK_EQ(st.timeouts, 1);
	CHECK_EQ(st.clients, 0);
	CHECK_EQ(recv(fd, &c, 1, 0), 0); /* closed without an answer */
	close(fd);
	vx0_metrics_server_destroy(s);
	vx0_evloop_destroy(loop);
}

/* the "metrics" section of the node config (lib/conf/conf_metrics.c) */
static void
test_conf_metrics(void)
{
#define BASE "{\"lcores\": [{\"id\": 0, \"roles\": [\"ctl\", \"rx\", \"tx\"]}],\n" \
	     "\"ports\": [{\"name\": \"a\", \"device\": \"net_null0\"}]"
	static const struct { const char *json, *want; } cases[] = {
		{ BASE "}", "" },
		{ BASE ",\n\"metrics\": {\"listen\": \"198.51.100.1:9100\"}}", "198.51.100.1:9100" },
		{ BASE ",\n\"metrics\": {\"listen\": \"[2001:db8::1]:9100\"}}", "[2001:db8::1]:9100" },
		{ BASE ",\n\"metrics\": {\"listen\": \"localhost:9100\"}}",
		  "t.json:3: metrics.listen: must be \"ADDRESS:PORT\"" },
		{ BASE ",\n\"metrics\": {\"listen\": \"198.51.100.1:99999\"}}", "metrics.listen:" },
		{ BASE ",\n\"metrics\": {\"listen\": 9100}}", "metrics.listen:" },
		{ BASE ",\n\"metrics\": {}}", "metrics.listen:" },
		{ BASE ",\n\"metrics\": {\"listen\": \"127.0.0.1:9100\", \"port\": 1}}",
		  "t.json:3: metrics: unknown key \"port\"" },
		{ BASE ",\n\"metrics\": \"127.0.0.1:9100\"}", "t.json:3: metrics: must be an object" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vx0_conf c;
		char err[256] = "";
		int rc = vx0_conf_load_string(cases[i].json, strlen(cases[i].json), "t.json", &c,
					      err, sizeof(err));

		if (i < 3) {
			CHECK_EQ(rc, 0);
			if (rc == 0) {
				CHECK(strcmp(c.metrics_listen, cases[i].want) == 0);
				vx0_conf_free(&c);
			}
		} else {
			CHECK_EQ(rc, -EINVAL);
			if (strstr(err, cases[i].want) == NULL) {
				fprintf(stderr, "case %zu: got \"%s\", want \"%s\"\n", i, err,
					cases[i].want);
				CHECK(0);
			}
		}
	}
#undef BASE
}

int
main(void)
{
	VX0_RUN(test_conf_metrics);
	VX0_RUN(test_writer_exact);
	VX0_RUN(test_writer_escaping);
	VX0_RUN(test_writer_rejects);
	VX0_RUN(test_http_parse);
	VX0_RUN(test_parse_listen);
	VX0_RUN(test_server);
	VX0_RUN(test_server_timeout);
	return vx0_test_done();
}
