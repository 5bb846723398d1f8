/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The slow path's side of packet capture (see vx0_capture.h): parse the
 * tap point, make the capture's pool and ring, drain the copies, filter
 * them with libpcap's BPF, write pcap or pcapng (lib/capfile) to a file or
 * a FIFO, stop at the count, the deadline, on request or when the FIFO's
 * reader goes away. Nothing here ever blocks on a FIFO: a reader that is
 * slow costs records (counted as writer drops), one that is absent at the
 * start makes the capture wait for it (the taps stay off meanwhile).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>
#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_malloc.h>

#include "vx0_capfile.h"
#include "vx0_ctl.h"
#include "vx0_log.h"

#define DRAIN_MAX 256          /* copies per poll */
#define CHECK_MS 100           /* FIFO: retry the open / look for a gone reader */
#define OUT_BUF (1u << 20)     /* what may wait for a slow FIFO reader */

struct vx0_ctl_capture {
	enum vx0_ctl_capture_state state;
	pcap_t *dead;
	struct bpf_program prog;
	bool have_prog;
	struct vx0_capfile *out;
	int fd;                    /* the capfile's (owned by it), for poll() */
	struct vx0_ctl_capture_req req;
	char point[256], path[256], filter[512], reason[96];
	char names[VX0_CAPFILE_MAX_IF][64];  /* each point: a pcapng interface */
	unsigned int n_points;
	uint32_t snaplen;
	uint64_t deadline_ms, next_check_ms;
	uint64_t tsc0, wall_ns0;   /* to turn the taps' TSC into wall time */
	uint64_t written, filtered, drop_writer, drop_ring0, drop_nombuf0;
	uint64_t total_written, total_filtered, total_drop_writer, captures;
	unsigned int ring_size;    /* of the existing ring and pool */
};

static const uint8_t stage_taps[VX0_STAGE_MAX] = {
	[VX0_STAGE_RX] = 3, [VX0_STAGE_CRYPTO] = 3, [VX0_STAGE_ONION] = 3, [VX0_STAGE_TX] = 1,
};

static uint64_t
ts_ns(const struct vx0_ctl_capture *c, const struct vx0_node *node, uint64_t tsc)
{
	uint64_t d = tsc > c->tsc0 ? tsc - c->tsc0 : 0;

	return c->wall_ns0 + (uint64_t)((double)d * 1e9 / (double)node->tsc_hz);
}

/* One copy: filter, write (unless the count is reached), free. */
static void
take(struct vx0_ctl *ctl, struct rte_mbuf *m)
{
	struct vx0_ctl_capture *c = ctl->capture;
	const struct vx0_cap_rec *r = rte_mbuf_to_priv(m);
	const u_char *d = rte_pktmbuf_mtod(m, const u_char *);
	struct pcap_pkthdr h = { .caplen = rte_pktmbuf_data_len(m), .len = r->orig_len };

	if (c->out == NULL || (c->req.count && c->written >= c->req.count)) {
		rte_pktmbuf_free(m);
		return;
	}
	if (c->have_prog && !pcap_offline_filter(&c->prog, &h, d))
		c->filtered++;
	else if (vx0_capfile_add(c->out, r->point, ts_ns(c, ctl->node, r->tsc), d, h.caplen,
				 RTE_MAX(h.len, h.caplen)) == 0)
		c->written++;
	else
		c->drop_writer++;
	rte_pktmbuf_free(m);
}

/* Stop the taps; write what they copied before (unless the reader left). */
static void
finish(struct vx0_ctl *ctl, const char *why, bool reader_left)
{
	struct vx0_node *node = ctl->node;
	struct vx0_ctl_capture *c = ctl->capture;
	bool live = c->state == VX0_CAPTURE_RUNNING && c->out != NULL && !reader_left;
	void *m;

	pthread_mutex_lock(&ctl->lock); /* telemetry reads the state from its thread */
	__atomic_store_n(&node->cap.active, 0, __ATOMIC_RELEASE);
	/* taps that saw it active finish their burst before we drain */
	rte_rcu_qsbr_synchronize(node->qsv, RTE_QSBR_THRID_INVALID);
	while (rte_ring_sc_dequeue(node->cap.ring, &m) == 0) {
		if (live)
			take(ctl, m);
		else
			rte_pktmbuf_free(m);
	}
	if (c->out && live)
		vx0_capfile_flush(c->out); /* a FIFO may still refuse: it is not waited for */
	vx0_capfile_close(c->out);
	if (c->have_prog)
		pcap_freecode(&c->prog);
	if (c->dead)
		pcap_close(c->dead);
	c->out = NULL;
	c->dead = NULL;
	c->have_prog = false;
	c->state = VX0_CAPTURE_IDLE;
	if (why != c->reason)
		snprintf(c->reason, sizeof(c->reason), "%s", why);
	c->total_written += c->written;
	c->total_filtered += c->filtered;
	c->total_drop_writer += c->drop_writer;
	vx0_log(VX0_LOG_NOTICE, "capture", "%s at %s: %s; %llu written, %llu filtered out, "
		"%llu dropped (ring full %llu, no mbuf %llu, writer %llu)", c->path, c->point, why,
		(unsigned long long)c->written, (unsigned long long)c->filtered,
		(unsigned long long)(node->cap.drop_ring - c->drop_ring0 +
				     node->cap.drop_nombuf - c->drop_nombuf0 + c->drop_writer),
		(unsigned long long)(node->cap.drop_ring - c->drop_ring0),
		(unsigned long long)(node->cap.drop_nombuf - c->drop_nombuf0),
		(unsigned long long)c->drop_writer);
	pthread_mutex_unlock(&ctl->lock);
}

/* The output is open: turn the taps on. */
static void
go(struct vx0_ctl *ctl)
{
	struct vx0_node *node = ctl->node;
	struct vx0_ctl_capture *c = ctl->capture;
	struct timespec now;

	c->state = VX0_CAPTURE_RUNNING;
	c->drop_ring0 = __atomic_load_n(&node->cap.drop_ring, __ATOMIC_RELAXED);
	c->drop_nombuf0 = __atomic_load_n(&node->cap.drop_nombuf, __ATOMIC_RELAXED);
	clock_gettime(CLOCK_REALTIME, &now);
	c->tsc0 = rte_rdtsc();
	c->wall_ns0 = (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
	__atomic_store_n(&node->cap.active, 1, __ATOMIC_RELEASE);
}

static int
open_out(struct vx0_ctl *ctl)
{
	struct vx0_ctl_capture *c = ctl->capture;
	const char *names[VX0_CAPFILE_MAX_IF];
	char desc[128];
	int fd;

	if (c->req.fifo)
		fd = open(c->path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	else
		fd = open(c->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NONBLOCK, 0644);
	if (fd < 0)
		return -errno;
	for (unsigned int i = 0; i < c->n_points; i++)
		names[i] = c->names[i];
	snprintf(desc, sizeof(desc), "vx0d tap point");
	c->out = vx0_capfile_open(fd, c->req.format, c->snaplen, names, c->n_points, desc,
				  OUT_BUF);
	if (c->out == NULL) {
		close(fd);
		return -ENOMEM;
	}
	c->fd = fd;
	return 0;
}

/* The pool and ring, remade when the size asked for changes. */
static int
make_ring(struct vx0_node *node, struct vx0_ctl_capture *c, unsigned int size)
{
	if (node->cap.ring && c->ring_size == size)
		return 0;
	rte_ring_free(node->cap.ring);
	rte_mempool_free(node->cap.pool);
	/* twice the ring: the ring fills (a counted drop) before the pool runs dry */
	/* per-lcore caches: the taps allocate and the slow path frees in bulk */
	node->cap.pool = rte_pktmbuf_pool_create("vx0_cap", 2 * size - 1,
						 RTE_MIN(256u, (2 * size - 1) / 8),
						 sizeof(struct vx0_cap_rec),
						 (uint16_t)node->pool_data_room, (int)rte_socket_id());
	node->cap.ring = rte_ring_create("vx0_cap", size, (int)rte_socket_id(),
					 RING_F_SC_DEQ | RING_F_EXACT_SZ);
	if (node->cap.pool == NULL || node->cap.ring == NULL) {
		rte_ring_free(node->cap.ring);
		rte_mempool_free(node->cap.pool);
		node->cap.ring = NULL;
		node->cap.pool = NULL;
		c->ring_size = 0;
		return -ENOMEM;
	}
	c->ring_size = size;
	return 0;
}

int
vx0_ctl_capture_start(struct vx0_ctl *ctl, const struct vx0_ctl_capture_req *req, char *err,
		      size_t errlen)
{
	struct vx0_node *node = ctl->node;
	struct vx0_ctl_capture *c = ctl->capture;
	const char *stages[VX0_STAGE_MAX], *ports[VX0_MAX_PORTS];
	struct vx0_capfile_point pt[VX0_CAPFILE_MAX_IF];
	unsigned int n_pt;
	uint32_t max_snap = node->pool_data_room - RTE_PKTMBUF_HEADROOM;
	struct stat sb;
	int rc;

	if (c && c->state != VX0_CAPTURE_IDLE) {
		snprintf(err, errlen, "a capture is running already (capture.stop ends it)");
		return -EBUSY;
	}
	for (unsigned int i = 0; i < VX0_STAGE_MAX; i++)
		stages[i] = vx0_stage_name(i);
	for (unsigned int i = 0; i < node->n_ports; i++)
		ports[i] = node->ports[i].name;
	RTE_BUILD_BUG_ON(VX0_STAGE_MAX > VX0_CAP_STAGES || VX0_MAX_PORTS > VX0_CAP_PORTS);
	if (req->point && strlen(req->point) >= sizeof(c->point)) {
		snprintf(err, errlen, "point: longer than %zu characters", sizeof(c->point) - 1);
		return -EINVAL;
	}
	rc = vx0_capfile_points_parse(req->point, stages, VX0_STAGE_MAX, stage_taps, VX0_STAGE_RX,
				      VX0_STAGE_TX, VX0_STAGE_CTL, ports, node->n_ports, pt,
				      VX0_CAPFILE_MAX_IF, &n_pt, err, errlen);
	if (rc < 0)
		return rc;
	if (req->snaplen != 0 && req->snaplen < RTE_ETHER_HDR_LEN) {
		snprintf(err, errlen, "snaplen: %u is shorter than an Ethernet header (%u); 0 means "
			 "whole packets", req->snaplen, RTE_ETHER_HDR_LEN);
		return -EINVAL;
	}
	if (req->ring && (req->ring < 32 || req->ring > 65536)) {
		snprintf(err, errlen, "ring: %u copies is out of range (32 .. 65536)", req->ring);
		return -EINVAL;
	}
	if (req->path == NULL || req->path[0] != '/' ||
	    strlen(req->path) >= sizeof(c->path)) {
		snprintf(err, errlen, "%s: needs an absolute path (shorter than %zu)",
			 req->fifo ? "fifo" : "file", sizeof(c->path));
		return -EINVAL;
	}
	rc = stat(req->path, &sb);
	if (req->fifo && (rc < 0 || !S_ISFIFO(sb.st_mode))) {
		snprintf(err, errlen, "fifo: %s is not a FIFO (make it with mkfifo)", req->path);
		return -EINVAL;
	}
	if (!req->fifo && rc == 0 && !S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "file: %s exists and is not a regular file%s", req->path,
			 S_ISFIFO(sb.st_mode) ? " (a FIFO: use \"fifo\")" : "");
		return -EINVAL;
	}
	if (c == NULL) {
		c = rte_zmalloc("vx0_capture", sizeof(*c), 0);
		if (c == NULL)
			return -ENOMEM;
		ctl->capture = c;
	}
	if (make_ring(node, c, req->ring ? req->ring : 4096) < 0) {
		snprintf(err, errlen, "no memory for the capture pool and ring");
		return -ENOMEM;
	}
	c->req = *req;
	snprintf(c->point, sizeof(c->point), "%s", req->point);
	snprintf(c->path, sizeof(c->path), "%s", req->path);
	snprintf(c->filter, sizeof(c->filter), "%s", req->filter ? req->filter : "");
	c->req.point = c->point;
	c->n_points = n_pt;
	/* each point's own text: its pcapng interface name */
	for (unsigned int i = 0, off = 0; i < n_pt; i++) {
		size_t len = strcspn(c->point + off, ",");

		snprintf(c->names[i], sizeof(c->names[i]), "%.*s", (int)len, c->point + off);
		off += (unsigned int)len + 1;
	}
	c->req.path = c->path;
	c->req.filter = c->filter;
	c->snaplen = req->snaplen == 0 || req->snaplen > max_snap ? max_snap : req->snaplen;
	c->written = c->filtered = c->drop_writer = 0;
	/* the taps' counters never reset: this capture counts from here */
	c->drop_ring0 = __atomic_load_n(&node->cap.drop_ring, __ATOMIC_RELAXED);
	c->drop_nombuf0 = __atomic_load_n(&node->cap.drop_nombuf, __ATOMIC_RELAXED);
	c->reason[0] = 0;
	c->dead = pcap_open_dead(DLT_EN10MB, (int)c->snaplen);
	if (c->dead == NULL)
		return -ENOMEM;
	if (c->filter[0]) {
		if (pcap_compile(c->dead, &c->prog, c->filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
			snprintf(err, errlen, "filter: %s", pcap_geterr(c->dead));
			pcap_close(c->dead);
			c->dead = NULL;
			return -EINVAL;
		}
		c->have_prog = true;
	}
	rc = open_out(ctl);
	if (rc < 0 && !(rc == -ENXIO && req->fifo)) {
		snprintf(err, errlen, "%s: %s: %s", req->fifo ? "fifo" : "file", c->path,
			 strerror(-rc));
		if (c->have_prog)
			pcap_freecode(&c->prog);
		c->have_prog = false;
		pcap_close(c->dead);
		c->dead = NULL;
		return rc;
	}
	c->deadline_ms = req->seconds ? ctl->now_ms + req->seconds * 1000 : 0;
	c->next_check_ms = ctl->now_ms + CHECK_MS;
	c->captures++;
	memset(node->cap.match, 0, sizeof(node->cap.match));
	for (unsigned int i = 0; i < n_pt; i++) {
		uint32_t bits = pt[i].port == VX0_CAPFILE_ANY_PORT ? UINT32_MAX : 1u << pt[i].port;

		node->cap.match[pt[i].stage][pt[i].dir] |= bits;
		for (unsigned int p = 0; p < VX0_CAP_PORTS; p++)
			if (bits >> p & 1)
				node->cap.point[pt[i].stage][pt[i].dir][p] = (uint8_t)i;
	}
	node->cap.snaplen = c->snaplen;
	if (rc == 0)
		go(ctl);
	else
		c->state = VX0_CAPTURE_WAITING; /* for the FIFO's reader */
	return 0;
}

int
vx0_ctl_capture_stop(struct vx0_ctl *ctl)
{
	if (ctl->capture == NULL || ctl->capture->state == VX0_CAPTURE_IDLE)
		return -ENOENT;
	finish(ctl, "stopped", false);
	return 0;
}

void
vx0_ctl_capture_stats(struct vx0_ctl *ctl, struct vx0_ctl_capture_stats *s)
{
	const struct vx0_capture *cap = &ctl->node->cap;
	struct vx0_ctl_capture *c = ctl->capture;
	uint64_t ring = __atomic_load_n(&cap->drop_ring, __ATOMIC_RELAXED);
	uint64_t nombuf = __atomic_load_n(&cap->drop_nombuf, __ATOMIC_RELAXED);

	memset(s, 0, sizeof(*s));
	s->total_drop_ring = ring;
	s->total_drop_nombuf = nombuf;
	if (c == NULL)
		return;
	s->state = c->state;
	s->fifo = c->req.fifo;
	s->format = c->req.format;
	snprintf(s->point, sizeof(s->point), "%s", c->point);
	snprintf(s->path, sizeof(s->path), "%s", c->path);
	snprintf(s->filter, sizeof(s->filter), "%s", c->filter);
	snprintf(s->reason, sizeof(s->reason), "%s", c->reason);
	s->snaplen = c->snaplen;
	s->count = c->req.count;
	s->seconds = c->req.seconds;
	s->ring = c->ring_size;
	s->written = c->written;
	s->filtered = c->filtered;
	s->drop_writer = c->drop_writer;
	/* the taps' counters since this capture started (they never reset) */
	s->drop_ring = ring - c->drop_ring0;
	s->drop_nombuf = nombuf - c->drop_nombuf0;
	s->captures = c->captures;
	s->total_written = c->total_written + (c->state ? c->written : 0);
	s->total_filtered = c->total_filtered + (c->state ? c->filtered : 0);
	s->total_drop_writer = c->total_drop_writer + (c->state ? c->drop_writer : 0);
}

const char *
vx0_ctl_capture_state_name(enum vx0_ctl_capture_state st)
{
	switch (st) {
	case VX0_CAPTURE_WAITING: return "waiting for a reader";
	case VX0_CAPTURE_RUNNING: return "running";
	default: return "idle";
	}
}

/* A FIFO whose reader left shows POLLERR on our end. */
static bool
reader_gone(int fd)
{
	struct pollfd p = { .fd = fd, .events = 0 };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLERR);
}

unsigned int
vx0_ctl_capture_poll(struct vx0_ctl *ctl)
{
	struct vx0_node *node = ctl->node;
	struct vx0_ctl_capture *c = ctl->capture;
	struct rte_mbuf *pkts[64];
	unsigned int n, total = 0;
	int rc;

	if (c == NULL || c->state == VX0_CAPTURE_IDLE)
		return 0;
	if (c->deadline_ms && ctl->now_ms >= c->deadline_ms) {
		finish(ctl, "time is up", false);
		return 1;
	}
	if (c->state == VX0_CAPTURE_WAITING) {
		if (ctl->now_ms < c->next_check_ms)
			return 0;
		c->next_check_ms = ctl->now_ms + CHECK_MS;
		rc = open_out(ctl);
		if (rc == 0) {
			go(ctl);
			return 1;
		}
		if (rc != -ENXIO) {
			finish(ctl, "cannot open the FIFO", false);
			return 1;
		}
		return 0;
	}
	do {
		n = rte_ring_sc_dequeue_burst(node->cap.ring, (void **)pkts, RTE_DIM(pkts), NULL);
		for (unsigned int i = 0; i < n; i++)
			take(ctl, pkts[i]);
		total += n;
	} while (n == RTE_DIM(pkts) && total < DRAIN_MAX);
	if (vx0_capfile_queued(c->out) && (c->req.fifo || n < RTE_DIM(pkts) ||
					   vx0_capfile_queued(c->out) > OUT_BUF / 2)) {
		rc = vx0_capfile_flush(c->out);
		if (rc == -EPIPE) {
			finish(ctl, "reader closed", true);
			return total + 1;
		}
		if (rc < 0 && rc != -EAGAIN) {
			snprintf(c->reason, sizeof(c->reason), "write error: %s", strerror(-rc));
			finish(ctl, c->reason, false);
			return total + 1;
		}
	}
	if (c->req.count && c->written >= c->req.count) {
		finish(ctl, "count reached", false);
		return total + 1;
	}
	if (c->req.fifo && ctl->now_ms >= c->next_check_ms) {
		c->next_check_ms = ctl->now_ms + CHECK_MS;
		if (reader_gone(c->fd))
			finish(ctl, "reader closed", true);
	}
	return total;
}

void
vx0_ctl_capture_destroy(struct vx0_ctl *ctl)
{
	struct vx0_node *node = ctl->node;

	if (ctl->capture && ctl->capture->state != VX0_CAPTURE_IDLE)
		finish(ctl, "shutdown", false);
	rte_free(ctl->capture);
	ctl->capture = NULL;
	rte_ring_free(node->cap.ring);
	rte_mempool_free(node->cap.pool);
	node->cap.ring = NULL;
	node->cap.pool = NULL;
}
