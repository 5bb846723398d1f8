/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The request head of HTTP/1.1 (RFC 9112): request line, header fields,
 * blank line. Only what a scraper sends is needed; everything else is
 * validated and refused. Bounded: never reads past len, never accepts a
 * head longer than VX0_METRICS_REQ_MAX.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "metrics_priv.h"

/* tchar of RFC 9110 section 5.6.2 */
static int
tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* End of the line starting at p (index of '\n'), or -1 if not there yet. */
static long
line_end(const char *buf, size_t len, size_t p)
{
	const char *nl = memchr(buf + p, '\n', len - p);

	return nl ? nl - buf : -1;
}

static int
parse_request_line(const char *s, size_t n, struct vx0_metrics_req *req)
{
	size_t i = 0, m, t0, tn, q;

	while (i < n && tchar((unsigned char)s[i]))
		i++;
	if (i == 0 || i >= n || s[i] != ' ')
		return -EINVAL;
	m = i;
	if (m == 3 && memcmp(s, "GET", 3) == 0)
		req->method = VX0_METRICS_GET;
	else if (m == 4 && memcmp(s, "HEAD", 4) == 0)
		req->method = VX0_METRICS_HEAD;
	else
		req->method = VX0_METRICS_OTHER;
	t0 = ++i;
	while (i < n && s[i] != ' ') {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c >= 0x7f)
			return -EINVAL;
		i++;
	}
	tn = i - t0;
	if (tn == 0 || i >= n)
		return -EINVAL;
	if (s[t0] != '/')
		return -EINVAL; /* origin-form only */
	for (q = 0; q < tn && s[t0 + q] != '?'; q++)
		;
	if (q >= sizeof(req->path))
		return -E2BIG;
	memcpy(req->path, s + t0, q);
	req->path[q] = 0;
	i++;
	if (n - i != 8 || memcmp(s + i, "HTTP/", 5) != 0 || s[i + 6] != '.' ||
	    s[i + 5] < '0' || s[i + 5] > '9' || s[i + 7] < '0' || s[i + 7] > '9')
		return -EINVAL;
	if (s[i + 5] != '1')
		return -EPROTONOSUPPORT;
	req->minor = s[i + 7] - '0';
	return 0;
}

static int
parse_field(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && tchar((unsigned char)s[i]))
		i++;
	if (i == 0 || i >= n || s[i] != ':')
		return -EINVAL; /* also: no whitespace before the colon (RFC 9112 5.1) */
	for (i++; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return -EINVAL;
	}
	return 0;
}

int
vx0_metrics_http_parse(const char *buf, size_t len, struct vx0_metrics_req *req)
{
	size_t p = 0;
	int line = 0, rc;

	memset(req, 0, sizeof(*req));
	for (;;) {
		long e = line_end(buf, len, p);
		size_t n;

		if (e < 0)
			return len >= VX0_METRICS_REQ_MAX ? -E2BIG : 0;
		if ((size_t)e + 1 > VX0_METRICS_REQ_MAX)
			return -E2BIG;
		n = (size_t)e - p;
		if (n > 0 && buf[p + n - 1] == '\r')
			n--;
		if (memchr(buf + p, '\r', n) != NULL || memchr(buf + p, 0, n) != NULL)
			return -EINVAL; /* bare CR or NUL inside a line */
		if (line == 0) {
			if (n == 0 && p == 0)
				return -EINVAL; /* a leading empty line */
			if ((rc = parse_request_line(buf + p, n, req)) < 0)
				return rc;
		} else if (n == 0) {
			return (int)(e + 1);
		} else if (buf[p] == ' ' || buf[p] == '\t') {
			return -EINVAL; /* obsolete line folding */
		} else if (parse_field(buf + p, n) < 0) {
			return -EINVAL;
		}
		line++;
		p = (size_t)e + 1;
	}
}

int
vx0_metrics_http_status(int rc, const struct vx0_metrics_req *req)
{
	if (rc == -E2BIG)
		return 431;
	if (rc == -EPROTONOSUPPORT)
		return 505;
	if (rc <= 0)
		return 400;
	if (req->method == VX0_METRICS_OTHER)
		return 405;
	if (strcmp(req->path, "/metrics") != 0)
		return 404;
	return 200;
}

static const char *
reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Error";
	}
}

int
vx0_metrics_http_response(struct vx0_metrics_writer *out, int status, int head_only,
			  const char *body, size_t body_len)
{
	char h[320];
	int n;
	char msg[80];

	if (status != 200 && body == NULL) {
		snprintf(msg, sizeof(msg), "%d %s\n", status, reason(status));
		body = msg;
		body_len = strlen(msg);
	}
	n = snprintf(h, sizeof(h),
		     "HTTP/1.1 %d %s\r\n"
		     "Content-Type: %s\r\n"
		     "Content-Length: %zu\r\n"
		     "%s"
		     "Connection: close\r\n\r\n",
		     status, reason(status),
		     status == 200 ? "text/plain; version=0.0.4; charset=utf-8" :
				     "text/plain; charset=utf-8",
		     body ? body_len : 0,
		     status == 405 ? "Allow: GET, HEAD\r\n" : "");
	if (n < 0 || (size_t)n >= sizeof(h))
		return -EINVAL;
	if (vx0_metrics_put(out, h, (size_t)n) < 0)
		return out->err;
	if (body && !head_only && vx0_metrics_put(out, body, body_len) < 0)
		return out->err;
	return 0;
}
