/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pcap (https://www.tcpdump.org/manpages/pcap-savefile.5.html, the
 * nanosecond magic 0xa1b23c4d) and pcapng (RFC-to-be
 * draft-ietf-opsawg-pcapng: SHB, IDB, EPB) in host byte order, which both
 * formats allow: the reader learns it from the magic.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vx0_capfile.h"

#define MIN_BUF (64u * 1024)

struct vx0_capfile {
	int fd;
	enum vx0_capfile_format fmt;
	uint32_t snaplen;
	unsigned int n_if;
	uint8_t *buf;
	size_t cap, head, len;  /* queued bytes: buf[head .. head+len) */
};

static void
put(struct vx0_capfile *f, const void *p, size_t n)
{
	memcpy(f->buf + f->head + f->len, p, n);
	f->len += n;
}

static void
put32(struct vx0_capfile *f, uint32_t v)
{
	put(f, &v, 4);
}

static void
put16(struct vx0_capfile *f, uint16_t v)
{
	put(f, &v, 2);
}

static void
pad4(struct vx0_capfile *f, size_t n)
{
	static const uint8_t z[4];

	put(f, z, (4 - n % 4) % 4);
}

/* pcapng option: code, length, value padded to 4 */
static void
opt(struct vx0_capfile *f, uint16_t code, const void *v, uint16_t n)
{
	put16(f, code);
	put16(f, n);
	put(f, v, n);
	pad4(f, n);
}

static size_t
opt_len(size_t n)
{
	return 4 + (n + 3) / 4 * 4;
}

/* Make room for n more bytes at the tail: move the queue to the front. */
static bool
room(struct vx0_capfile *f, size_t n)
{
	if (f->head + f->len + n <= f->cap)
		return true;
	if (f->len + n > f->cap)
		return false;
	memmove(f->buf, f->buf + f->head, f->len);
	f->head = 0;
	return true;
}

static void
header(struct vx0_capfile *f, const char *const *ifnames, const char *ifdesc)
{
	static const char app[] = "vx0d";

	if (f->fmt == VX0_CAPFILE_PCAP) {
		put32(f, 0xa1b23c4d);   /* nanosecond timestamps */
		put16(f, 2);
		put16(f, 4);
		put32(f, 0);            /* thiszone */
		put32(f, 0);            /* sigfigs */
		put32(f, f->snaplen);
		put32(f, 1);            /* LINKTYPE_ETHERNET */
		return;
	}
	/* Section Header Block */
	uint32_t len = 28 + (uint32_t)opt_len(sizeof(app) - 1) + 4;
	uint64_t section_len = UINT64_MAX; /* unknown: we stream */
	uint8_t tsresol = 9;               /* 10^-9 s */

	put32(f, 0x0a0d0d0a);
	put32(f, len);
	put32(f, 0x1a2b3c4d);
	put16(f, 1);
	put16(f, 0);
	put(f, &section_len, 8);
	opt(f, 4, app, sizeof(app) - 1);   /* shb_userappl */
	put32(f, 0);                       /* opt_endofopt */
	put32(f, len);
	/* Interface Description Blocks: one per tap point */
	for (unsigned int i = 0; i < f->n_if; i++) {
		const char *ifname = ifnames[i];

		len = 20 + (uint32_t)(opt_len(strlen(ifname)) + opt_len(strlen(ifdesc)) +
				      opt_len(1)) + 4;
		put32(f, 1);
		put32(f, len);
		put16(f, 1);                       /* LINKTYPE_ETHERNET */
		put16(f, 0);
		put32(f, f->snaplen);
		opt(f, 2, ifname, (uint16_t)strlen(ifname));   /* if_name */
		opt(f, 3, ifdesc, (uint16_t)strlen(ifdesc));   /* if_description */
		opt(f, 9, &tsresol, 1);                        /* if_tsresol */
		put32(f, 0);
		put32(f, len);
	}
}

struct vx0_capfile *
vx0_capfile_open(int fd, enum vx0_capfile_format fmt, uint32_t snaplen,
		 const char *const *ifnames, unsigned int n_if, const char *ifdesc, size_t bufsize)
{
	struct vx0_capfile *f;
	bool names_ok = ifnames != NULL && n_if >= 1 && n_if <= VX0_CAPFILE_MAX_IF;

	for (unsigned int i = 0; names_ok && i < n_if; i++)
		names_ok = ifnames[i] != NULL && strlen(ifnames[i]) <= 256;
	if (fd < 0 || (fmt != VX0_CAPFILE_PCAP && fmt != VX0_CAPFILE_PCAPNG) || snaplen == 0 ||
	    snaplen > 262144 || !names_ok || ifdesc == NULL || strlen(ifdesc) > 1024) {
		errno = EINVAL;
		return NULL;
	}
	f = calloc(1, sizeof(*f));
	if (f == NULL)
		return NULL;
	f->cap = bufsize < MIN_BUF ? MIN_BUF : bufsize;
	f->buf = malloc(f->cap);
	if (f->buf == NULL) {
		free(f);
		return NULL;
	}
	f->fd = fd;
	f->fmt = fmt;
	f->snaplen = snaplen;
	f->n_if = n_if;
	header(f, ifnames, ifdesc);
	return f;
}

int
vx0_capfile_add(struct vx0_capfile *f, unsigned int ifidx, uint64_t ts_ns, const uint8_t *data,
		uint32_t caplen, uint32_t origlen)
{
	size_t need;

	if (caplen > f->snaplen || caplen > origlen || ifidx >= f->n_if)
		return -EINVAL;
	if (f->fmt == VX0_CAPFILE_PCAP) {
		if (!room(f, 16 + (size_t)caplen))
			return -ENOBUFS;
		put32(f, (uint32_t)(ts_ns / 1000000000u));
		put32(f, (uint32_t)(ts_ns % 1000000000u));
		put32(f, caplen);
		put32(f, origlen);
		put(f, data, caplen);
		return 0;
	}
	/* Enhanced Packet Block */
	need = 32 + ((size_t)caplen + 3) / 4 * 4;
	if (!room(f, need))
		return -ENOBUFS;
	put32(f, 6);
	put32(f, (uint32_t)need);
	put32(f, ifidx);
	put32(f, (uint32_t)(ts_ns >> 32));
	put32(f, (uint32_t)ts_ns);
	put32(f, caplen);
	put32(f, origlen);
	put(f, data, caplen);
	pad4(f, caplen);
	put32(f, (uint32_t)need);
	return 0;
}

/* write() that turns a vanished reader into EPIPE, never into SIGPIPE:
 * block it for this thread, and take back a SIGPIPE we caused. */
static ssize_t
write_nosig(int fd, const void *p, size_t n)
{
	sigset_t pipe_set, old, pending;
	struct timespec zero = { 0, 0 };
	bool was_pending;
	ssize_t w;
	int e;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigpending(&pending);
	was_pending = sigismember(&pending, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	w = write(fd, p, n);
	e = errno;
	if (w < 0 && e == EPIPE && !was_pending)
		while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
			;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = e;
	return w;
}

int
vx0_capfile_flush(struct vx0_capfile *f)
{
	while (f->len) {
		ssize_t w = write_nosig(f->fd, f->buf + f->head, f->len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return errno == EWOULDBLOCK ? -EAGAIN : -errno;
		if (w == 0)
			return -EAGAIN;
		f->head += (size_t)w;
		f->len -= (size_t)w;
	}
	f->head = 0;
	return 0;
}

size_t
vx0_capfile_queued(const struct vx0_capfile *f)
{
	return f->len;
}

void
vx0_capfile_close(struct vx0_capfile *f)
{
	if (f == NULL)
		return;
	vx0_capfile_flush(f);
	close(f->fd);
	free(f->buf);
	free(f);
}

const char *
vx0_capfile_format_name(enum vx0_capfile_format fmt)
{
	return fmt == VX0_CAPFILE_PCAPNG ? "pcapng" : "pcap";
}

int
vx0_capfile_format_parse(const char *s, enum vx0_capfile_format *fmt)
{
	if (strcmp(s, "pcap") == 0)
		*fmt = VX0_CAPFILE_PCAP;
	else if (strcmp(s, "pcapng") == 0)
		*fmt = VX0_CAPFILE_PCAPNG;
	else
		return -EINVAL;
	return 0;
}
