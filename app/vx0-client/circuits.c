/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vx0-client's circuit manager (doc/onion.md section 14): one current
 * circuit carries the TUN's packets; a second is built beside it on
 * rotation and takes the traffic once open, the old one drains for a
 * moment and is destroyed. A circuit that is destroyed, does not finish
 * building in time, or stops answering (liveness) is replaced, with a
 * growing back-off while builds keep failing. Cells go to the guard over
 * one UDP socket per address family.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <jansson.h>
#include <sodium.h>

#include "vx0_client.h"
#include "vx0_log.h"
#include "vx0_onion_udp.h"

#define NSLOTS        3     /* current, building, draining */
#define TICK_MS       100
#define DRAIN_MS      2000  /* old circuit still delivers replies this long */
#define BACKOFF_MIN   250
#define BACKOFF_MAX   8000
#define AVOID_MS      60000 /* a relay blamed for a failure is skipped this long */
#define AVOID_MAX     64

enum slot_role { FREE = 0, BUILDING, CURRENT, DRAINING };

struct slot {
	int role;
	struct vx0_onion_circ *c;   /* sodium memory (keys) */
	unsigned int num;           /* circuit number in events */
	unsigned int idx[3];        /* directory indices of the path */
	char names[3][VX0_ONION_NAME_MAX + 1];
	uint64_t started_ms, opened_ms, drain_until_ms;
	uint64_t last_tx_ms, unanswered_ms; /* 0: everything sent was answered */
	uint64_t tx_pkts, rx_pkts;
};

struct avoid_entry {
	uint8_t id[32];
	uint64_t until_ms;
	int strong; /* the hop a build stopped at; weak: a suspect of a
		     * liveness failure (any hop behind the guard) */
};

struct vx0c {
	struct vx0_evloop *loop;
	struct vx0c_opts o;
	struct vx0_onion_dir *dir;      /* malloc'd copy */
	struct vx0_onion_guard_set guards;
	char guards_path[4096];
	struct vx0c_events *ev;
	int tun_fd, fd4, fd6;
	struct slot s[NSLOTS];
	unsigned int next_num;
	unsigned int fails;             /* consecutive build failures */
	uint64_t next_build_ms;
	int started, stopping;
	char rebuild_reason[48];        /* pending: why the next build happens */
	struct avoid_entry avoid[AVOID_MAX];
	unsigned int n_avoid;
	struct vx0_timer tick, pad;
	uint64_t pad_interval_ms;
	struct vx0_onion_event e;       /* scratch, wiped after use */
	/* counters (the stats event) */
	uint64_t tun_rx, tun_tx, too_big, no_circuit, tun_write_err, cells_tx, cells_rx,
		cells_dropped, padding, builds, opened, closed, rotations, liveness_fail;
};

static const char *const destroy_names[] = {
	"none", "protocol", "internal", "requested", "handshake", "timeout",
	"integrity", "resource", "expired", "next_hop",
};

static const char *
reason_name(int r)
{
	return r >= 0 && r < (int)(sizeof(destroy_names) / sizeof(destroy_names[0])) ?
	       destroy_names[r] : "unknown";
}

static uint64_t
now_ms(const struct vx0c *c)
{
	return vx0_evloop_now_ms(c->loop);
}

static void udp_rx(struct vx0_evloop *loop, int fd, uint32_t events, void *arg);

/* The socket toward a guard of this family, opened on first use. */
static int
sock_for(struct vx0c *c, int family)
{
	int *fd = family == 4 ? &c->fd4 : &c->fd6;
	struct vx0_onion_addr any;

	if (*fd >= 0)
		return *fd;
	memset(&any, 0, sizeof(any));
	any.family = (uint8_t)family;
	*fd = vx0_onion_udp_socket(&any);
	if (*fd < 0)
		return *fd;
	if (vx0_evloop_add_fd(c->loop, *fd, EPOLLIN, udp_rx, c) < 0) {
		close(*fd);
		*fd = -1;
		return -EIO;
	}
	return *fd;
}

static void
send_cell(struct vx0c *c, struct slot *s, const uint8_t *cell)
{
	const struct vx0_onion_addr *g = &s->c->path[0].addr;
	struct sockaddr_storage ss;
	socklen_t sl = vx0_onion_udp_sockaddr(g, &ss);
	int fd = sock_for(c, g->family);

	if (fd < 0)
		return;
	if (sendto(fd, cell, VX0_ONION_CELL_LEN, 0, (struct sockaddr *)&ss, sl) < 0)
		vx0_log(VX0_LOG_DEBUG, "client", "sendto: %s", strerror(errno));
	else
		c->cells_tx++;
}

static json_t *
path_json(const struct slot *s)
{
	return json_pack("[s,s,s]", s->names[0], s->names[1], s->names[2]);
}

static void
avoid_add(struct vx0c *c, const uint8_t id[32], int strong)
{
	uint64_t until = now_ms(c) + AVOID_MS;
	unsigned int i;

	for (i = 0; i < c->n_avoid; i++)
		if (sodium_memcmp(c->avoid[i].id, id, 32) == 0) {
			c->avoid[i].until_ms = until;
			c->avoid[i].strong |= strong;
			return;
		}
	if (c->n_avoid == AVOID_MAX)
		memmove(c->avoid, c->avoid + 1, sizeof(c->avoid[0]) * --c->n_avoid);
	memcpy(c->avoid[c->n_avoid].id, id, 32);
	c->avoid[c->n_avoid].strong = strong;
	c->avoid[c->n_avoid++].until_ms = until;
}

static void
slot_free(struct slot *s)
{
	vx0_onion_circ_free(s->c);
	memset(s, 0, sizeof(*s));
}

static void
schedule_build(struct vx0c *c, const char *why, int failed)
{
	uint64_t delay = 0;

	if (failed) {
		c->fails++;
		delay = (uint64_t)BACKOFF_MIN << (c->fails > 5 ? 5 : c->fails - 1);
		if (delay > BACKOFF_MAX)
			delay = BACKOFF_MAX;
	}
	c->next_build_ms = now_ms(c) + delay;
	if (why != c->rebuild_reason)
		snprintf(c->rebuild_reason, sizeof(c->rebuild_reason), "%s", why ? why : "");
}

static struct slot *
find_role(struct vx0c *c, int role)
{
	unsigned int i;

	for (i = 0; i < NSLOTS; i++)
		if (c->s[i].role == role)
			return &c->s[i];
	return NULL;
}

/* A circuit ended (locally or by DESTROY); reason for the event. */
static void
circuit_closed(struct vx0c *c, struct slot *s, const char *reason, int code)
{
	int role = s->role, was_open = s->opened_ms != 0;
	unsigned int num = s->num;

	c->closed++;
	vx0c_event(c->ev, "closed", "{s:I, s:s, s:i, s:o, s:I, s:I}", "circuit",
		   (json_int_t)s->num, "reason", reason, "code", code, "path", path_json(s),
		   "tx_packets", (json_int_t)s->tx_pkts, "rx_packets", (json_int_t)s->rx_pkts);
	vx0_log(VX0_LOG_NOTICE, "client", "circuit %u closed: %s", s->num, reason);
	slot_free(s);
	if (c->stopping)
		return;
	if (role == CURRENT) {
		/* a rotation already under way takes over when it opens */
		if (find_role(c, BUILDING) == NULL)
			schedule_build(c, reason, !was_open);
		else
			c->rebuild_reason[0] = '\0';
		vx0c_event(c->ev, "rebuilding", "{s:I, s:s}", "circuit", (json_int_t)num,
			   "reason", reason);
	} else if (role == BUILDING) {
		schedule_build(c, reason, 1);
	}
}

static void
handle_event(struct vx0c *c, struct slot *s)
{
	struct vx0_onion_event *e = &c->e;
	struct slot *cur;
	ssize_t w;

	if (e->has_cell)
		send_cell(c, s, e->cell);
	switch (e->type) {
	case VX0_ONION_EV_OPEN:
		c->opened++;
		c->fails = 0;
		s->opened_ms = now_ms(c);
		cur = find_role(c, CURRENT);
		vx0c_event(c->ev, "open", "{s:I, s:o, s:I, s:b}", "circuit", (json_int_t)s->num,
			   "path", path_json(s), "build_ms",
			   (json_int_t)(s->opened_ms - s->started_ms), "replaces", cur != NULL);
		vx0_log(VX0_LOG_NOTICE, "client", "circuit %u open: %s,%s,%s (%llu ms)", s->num,
			s->names[0], s->names[1], s->names[2],
			(unsigned long long)(s->opened_ms - s->started_ms));
		if (cur) { /* rotation: new traffic goes here, the old drains */
			cur->role = DRAINING;
			cur->drain_until_ms = now_ms(c) + DRAIN_MS;
			c->rotations++;
		}
		s->role = CURRENT;
		break;
	case VX0_ONION_EV_DATA:
		s->rx_pkts++;
		s->unanswered_ms = 0;
		w = write(c->tun_fd, e->data, e->len);
		if (w == (ssize_t)e->len)
			c->tun_tx++;
		else
			c->tun_write_err++;
		break;
	case VX0_ONION_EV_CLOSED: {
		char why[48];

		/* with a cell: we closed it (our DESTROY goes out); else the
		 * network destroyed it */
		if (e->has_cell)
			snprintf(why, sizeof(why), "%s", reason_name(e->reason));
		else
			snprintf(why, sizeof(why), "destroyed_%s", reason_name(e->reason));
		/* a build that stopped at hop k: that relay did not answer
		 * (or its predecessor could not reach it) */
		if (s->opened_ms == 0 && s->c->built < s->c->n_hops)
			avoid_add(c, s->c->path[s->c->built].id, 1);
		circuit_closed(c, s, why, e->reason);
		break;
	}
	default:
		break;
	}
	sodium_memzero(e, sizeof(*e));
}

/* Choose a path (forced names or selection) and send CREATE. */
static int
start_build(struct vx0c *c, const char *why)
{
	struct vx0_onion_relay_desc path[3];
	struct slot *s = NULL, *cur;
	unsigned int idx[3], i;
	uint32_t id;
	int rc, changed = 0;

	for (i = 0; i < NSLOTS; i++)
		if (c->s[i].role == FREE) {
			s = &c->s[i];
			break;
		}
	if (s == NULL)
		return -EBUSY;
	if (c->dir->n == 0)
		return -EHOSTUNREACH;
	if (c->o.forced) {
		for (i = 0; i < 3; i++) {
			int k = vx0_onion_dir_find(c->dir, c->o.path[i]);

			if (k < 0)
				return -ENOENT;
			idx[i] = (unsigned int)k;
		}
	} else {
		static struct vx0_onion_path_avoid av;
		unsigned int flags = c->o.any_subnet ? VX0_ONION_PATH_ANY_SUBNET : 0, level;
		uint64_t t = now_ms(c);

		/* avoid every recent suspect; if no path is left, keep exits
		 * (scarce) that were only suspects, then only avoid the relays
		 * builds stopped at, then nobody (better a relay that failed
		 * once than no circuit) */
		rc = -EHOSTUNREACH;
		for (level = 0; level < 4 && rc < 0; level++) {
			av.n = 0;
			for (i = 0; level < 3 && i < c->n_avoid; i++) {
				const struct avoid_entry *a = &c->avoid[i];
				int k = vx0_onion_dir_find_id(c->dir, a->id);
				int is_exit = k >= 0 && c->dir->r[k].exit;

				if (a->until_ms <= t || (level == 1 && !a->strong && is_exit) ||
				    (level == 2 && !a->strong))
					continue;
				memcpy(av.id[av.n++], a->id, 32);
			}
			rc = vx0_onion_path_select(c->dir, &c->guards, &av, (uint64_t)time(NULL),
						   flags, idx, &changed);
		}
		if (rc < 0)
			return rc;
		if (changed && c->guards_path[0]) {
			rc = vx0_onion_guards_save(c->guards_path, &c->guards);
			if (rc < 0)
				vx0_log(VX0_LOG_WARNING, "client", "%s: %s", c->guards_path,
					strerror(-rc));
		}
	}
	memset(s, 0, sizeof(*s));
	s->c = vx0_onion_circ_new();
	if (s->c == NULL)
		return -ENOMEM;
	for (i = 0; i < 3; i++) {
		path[i] = c->dir->r[idx[i]].desc;
		s->idx[i] = idx[i];
		memcpy(s->names[i], c->dir->r[idx[i]].name, sizeof(s->names[i]));
	}
	/* ids are per link and chosen by us: unique among our circuits */
	for (;;) {
		id = randombytes_random();
		for (i = 0; i < NSLOTS; i++)
			if (c->s[i].role != FREE && c->s[i].c->circ_id == id)
				break;
		if (id != 0 && i == NSLOTS)
			break;
	}
	s->started_ms = now_ms(c);
	s->num = ++c->next_num;
	s->role = BUILDING;
	c->builds++;
	cur = find_role(c, CURRENT);
	vx0c_event(c->ev, "building", "{s:I, s:o, s:s}", "circuit", (json_int_t)s->num,
		   "path", path_json(s), "reason", why ? why : (cur ? "rotation" : "start"));
	rc = vx0_onion_circ_start(s->c, path, 3, id, s->started_ms, &c->e);
	if (rc < 0) {
		slot_free(s);
		return rc;
	}
	handle_event(c, s);
	return 0;
}

static struct slot *
slot_of(struct vx0c *c, const struct vx0_onion_addr *from, uint32_t circ_id)
{
	unsigned int i;

	for (i = 0; i < NSLOTS; i++)
		if (c->s[i].role != FREE && c->s[i].c->circ_id == circ_id &&
		    vx0_onion_addr_equal(&c->s[i].c->path[0].addr, from))
			return &c->s[i];
	return NULL;
}

static void
udp_rx(struct vx0_evloop *loop, int fd, uint32_t events, void *arg)
{
	struct vx0c *c = arg;
	uint8_t buf[VX0_ONION_CELL_LEN + 1];
	unsigned int budget = 64; /* then let the TUN and timers run */

	(void)loop;
	(void)events;
	while (budget--) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		struct vx0_onion_cell_hdr h;
		struct vx0_onion_addr a;
		struct slot *s;
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&ss, &sl);

		if (n < 0)
			break;
		c->cells_rx++;
		if (vx0_onion_udp_addr(&ss, &a) < 0 || vx0_onion_cell_hdr(buf, (size_t)n, &h) < 0 ||
		    (s = slot_of(c, &a, h.circ_id)) == NULL) {
			c->cells_dropped++;
			continue;
		}
		if (vx0_onion_circ_input(s->c, buf, (size_t)n, now_ms(c), &c->e) < 0)
			c->cells_dropped++;
		handle_event(c, s);
	}
}

static void
tun_rx(struct vx0_evloop *loop, int fd, uint32_t events, void *arg)
{
	struct vx0c *c = arg;
	uint8_t pkt[2048];
	unsigned int budget = 64;

	(void)loop;
	(void)events;
	while (budget--) {
		ssize_t n = read(fd, pkt, sizeof(pkt));
		struct slot *s;

		if (n <= 0)
			break;
		c->tun_rx++;
		if ((size_t)n > VX0_ONION_FWD_DATA_MAX) { /* the MTU makes this rare */
			c->too_big++;
			continue;
		}
		s = find_role(c, CURRENT);
		if (s == NULL) {
			c->no_circuit++;
			continue;
		}
		if (vx0_onion_circ_send(s->c, pkt, (size_t)n, now_ms(c), &c->e) < 0) {
			c->no_circuit++;
			continue;
		}
		s->tx_pkts++;
		s->last_tx_ms = now_ms(c);
		if (s->unanswered_ms == 0)
			s->unanswered_ms = s->last_tx_ms;
		handle_event(c, s);
	}
}

static void
tick(struct vx0_evloop *loop, struct vx0_timer *t, void *arg)
{
	struct vx0c *c = arg;
	uint64_t now = now_ms(c);
	struct slot *cur, *bld;
	unsigned int i;

	for (i = 0; i < NSLOTS; i++) {
		struct slot *s = &c->s[i];

		if (s->role == FREE)
			continue;
		vx0_onion_circ_tick(s->c, now, &c->e);
		handle_event(c, s);
		if (s->role == BUILDING && now - s->started_ms >= c->o.build_timeout_ms) {
			if (s->c->built < s->c->n_hops)
				avoid_add(c, s->c->path[s->c->built].id, 1);
			vx0_onion_circ_close(s->c, &c->e);
			send_cell(c, s, c->e.cell);
			sodium_memzero(&c->e, sizeof(c->e));
			circuit_closed(c, s, "build_timeout", VX0_ONION_DESTROY_TIMEOUT);
		} else if (s->role == CURRENT && s->unanswered_ms &&
			   now - s->unanswered_ms >= c->o.liveness_ms) {
			/* sent and heard nothing back: some hop is gone (UDP
			 * gives no other sign); blame the hops behind the guard */
			c->liveness_fail++;
			avoid_add(c, s->c->path[1].id, 0);
			avoid_add(c, s->c->path[2].id, 0);
			vx0_onion_circ_close(s->c, &c->e);
			send_cell(c, s, c->e.cell);
			sodium_memzero(&c->e, sizeof(c->e));
			circuit_closed(c, s, "liveness", VX0_ONION_DESTROY_TIMEOUT);
		} else if (s->role == DRAINING && now >= s->drain_until_ms) {
			vx0_onion_circ_close(s->c, &c->e);
			send_cell(c, s, c->e.cell);
			sodium_memzero(&c->e, sizeof(c->e));
			circuit_closed(c, s, "rotated", VX0_ONION_DESTROY_REQUESTED);
		}
	}
	cur = find_role(c, CURRENT);
	bld = find_role(c, BUILDING);
	if (cur && !bld && now >= c->next_build_ms &&
	    (vx0_onion_circ_needs_rotation(cur->c, now) || now - cur->opened_ms >= c->o.rotate_ms)) {
		vx0c_event(c->ev, "rebuilding", "{s:I, s:s}", "circuit", (json_int_t)cur->num,
			   "reason", "rotation");
		if (start_build(c, "rotation") < 0)
			schedule_build(c, "rotation", 1);
	} else if (c->started && !cur && !bld && now >= c->next_build_ms) {
		int rc = start_build(c, c->rebuild_reason[0] ? c->rebuild_reason : NULL);

		if (rc < 0) {
			vx0c_event(c->ev, "no_path", "{s:s}", "error", strerror(-rc));
			schedule_build(c, c->rebuild_reason, 1);
		}
	}
	vx0_timer_arm(loop, t, TICK_MS);
}

/* Cover: a DROP cell to the guard whenever the link was idle for one
 * padding interval; on the wire it is one more RELAY cell. */
static void
pad_tick(struct vx0_evloop *loop, struct vx0_timer *t, void *arg)
{
	struct vx0c *c = arg;
	struct slot *s = find_role(c, CURRENT);
	uint64_t now = now_ms(c);

	if (s && now - s->last_tx_ms >= c->pad_interval_ms &&
	    vx0_onion_circ_pad(s->c, &c->e) == 0) {
		send_cell(c, s, c->e.cell);
		sodium_memzero(&c->e, sizeof(c->e));
		c->padding++;
		s->last_tx_ms = now;
	}
	vx0_timer_arm(loop, t, c->pad_interval_ms);
}

struct vx0c *
vx0c_new(struct vx0_evloop *loop, const struct vx0c_opts *o, struct vx0_onion_dir *dir,
	 struct vx0c_events *ev, int tun_fd)
{
	struct vx0c *c = sodium_malloc(sizeof(*c));
	char err[256];
	int rc;

	if (c == NULL)
		return NULL;
	memset(c, 0, sizeof(*c));
	c->loop = loop;
	c->o = *o;
	c->ev = ev;
	c->tun_fd = tun_fd;
	c->fd4 = c->fd6 = -1;
	c->dir = malloc(sizeof(*c->dir));
	if (c->dir == NULL) {
		sodium_free(c);
		return NULL;
	}
	*c->dir = *dir;
	if (o->state_dir) {
		snprintf(c->guards_path, sizeof(c->guards_path), "%s/guards.json", o->state_dir);
		rc = vx0_onion_guards_load(c->guards_path, &c->guards, err, sizeof(err));
		if (rc < 0 && rc != -ENOENT)
			vx0_log(VX0_LOG_WARNING, "client", "%s (starting a new guard set)", err);
	}
	if (vx0_evloop_add_fd(loop, tun_fd, EPOLLIN, tun_rx, c) < 0) {
		free(c->dir);
		sodium_free(c);
		return NULL;
	}
	vx0_timer_init(&c->tick, tick, c);
	vx0_timer_arm(loop, &c->tick, TICK_MS);
	vx0_timer_init(&c->pad, pad_tick, c);
	if (o->padding > 0) {
		c->pad_interval_ms = (uint64_t)(1000.0 / o->padding);
		if (c->pad_interval_ms == 0)
			c->pad_interval_ms = 1;
		vx0_timer_arm(loop, &c->pad, c->pad_interval_ms);
	}
	return c;
}

void
vx0c_set_dir(struct vx0c *c, const struct vx0_onion_dir *dir)
{
	*c->dir = *dir;
}

void
vx0c_start(struct vx0c *c)
{
	c->started = 1;
	c->next_build_ms = now_ms(c);
}

void
vx0c_shutdown(struct vx0c *c)
{
	unsigned int i;

	c->stopping = 1;
	for (i = 0; i < NSLOTS; i++) {
		struct slot *s = &c->s[i];

		if (s->role == FREE)
			continue;
		if (vx0_onion_circ_close(s->c, &c->e) == 0)
			send_cell(c, s, c->e.cell);
		sodium_memzero(&c->e, sizeof(c->e));
		circuit_closed(c, s, "shutdown", VX0_ONION_DESTROY_REQUESTED);
	}
	vx0c_event(c->ev, "stats", "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I,"
		   " s:I, s:I}",
		   "tun_rx", (json_int_t)c->tun_rx, "tun_tx", (json_int_t)c->tun_tx,
		   "too_big", (json_int_t)c->too_big, "no_circuit", (json_int_t)c->no_circuit,
		   "tun_write_errors", (json_int_t)c->tun_write_err,
		   "cells_tx", (json_int_t)c->cells_tx, "cells_rx", (json_int_t)c->cells_rx,
		   "cells_dropped", (json_int_t)c->cells_dropped,
		   "padding", (json_int_t)c->padding, "builds", (json_int_t)c->builds,
		   "opened", (json_int_t)c->opened, "closed", (json_int_t)c->closed,
		   "rotations", (json_int_t)c->rotations,
		   "liveness_failures", (json_int_t)c->liveness_fail);
}

void
vx0c_free(struct vx0c *c)
{
	unsigned int i;

	if (c == NULL)
		return;
	for (i = 0; i < NSLOTS; i++)
		if (c->s[i].role != FREE)
			slot_free(&c->s[i]);
	vx0_timer_cancel(c->loop, &c->tick);
	vx0_timer_cancel(c->loop, &c->pad);
	vx0_evloop_del_fd(c->loop, c->tun_fd);
	if (c->fd4 >= 0) {
		vx0_evloop_del_fd(c->loop, c->fd4);
		close(c->fd4);
	}
	if (c->fd6 >= 0) {
		vx0_evloop_del_fd(c->loop, c->fd6);
		close(c->fd6);
	}
	free(c->dir);
	sodium_free(c);
}
