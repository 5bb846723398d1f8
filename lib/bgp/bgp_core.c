/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The speaker and the RFC 4271 section 8 finite state machine per peer:
 * events (start/stop, transport up/down, messages, timer expiry) drive the
 * state; messages out go through ops->send.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bgp_peer.h"
#include "vx0_log.h"

#define LARGE_HOLD_MS (240u * 1000u) /* RFC 4271 8.2.2: "4 minutes" while OpenSent */
#define IDLE_HOLD_MIN_MS 1000u
#define IDLE_HOLD_MAX_MS 60000u

static inline uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void
wr16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static inline void
wr32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

const char *
vx0_bgp_state_name(enum vx0_bgp_state s)
{
	static const char *const n[] = {"Idle", "Connect", "Active", "OpenSent",
					"OpenConfirm", "Established"};

	return (unsigned)s < 6 ? n[s] : "?";
}

struct vx0_bgp *
vx0_bgp_create(const struct vx0_bgp_config *cfg, const struct vx0_bgp_ops *ops, void *ctx)
{
	if (cfg == NULL || ops == NULL || ops->send == NULL || ops->connect == NULL ||
	    ops->disconnect == NULL || cfg->local_as == 0 || cfg->router_id == 0)
		return NULL;
	struct vx0_bgp *bgp = calloc(1, sizeof(*bgp));

	if (bgp == NULL)
		return NULL;
	bgp->cfg = *cfg;
	if (bgp->cfg.hold_time == 0)
		bgp->cfg.hold_time = 90;
	else if (bgp->cfg.hold_time < 3)
		bgp->cfg.hold_time = 3; /* RFC 4271 4.2: zero or at least three seconds */
	if (bgp->cfg.connect_retry_ms == 0)
		bgp->cfg.connect_retry_ms = 5000;
	if (bgp->cfg.gr_restart_time == 0)
		bgp->cfg.gr_restart_time = 120;
	bgp->ops = *ops;
	bgp->ctx = ctx;
	bgp->tx = malloc(BGP_EXT_MAX_LEN);
	if (bgp->tx == NULL || bgp_attr_table_init(&bgp->attrs) < 0 ||
	    bgp_rib_init(&bgp->rib) < 0 || bgp_attr_build_init(&bgp->b) < 0 ||
	    bgp_attr_build_init(&bgp->b2) < 0 || bgp_attr_build_init(&bgp->b_ahead) < 0) {
		vx0_bgp_destroy(bgp);
		return NULL;
	}
	return bgp;
}

void
vx0_bgp_destroy(struct vx0_bgp *bgp)
{
	if (bgp == NULL)
		return;
	for (int i = 0; i < bgp->n_peers; i++) {
		struct bgp_peer *p = bgp->peers[i];

		for (size_t k = 0; k < p->outq_n; k++)
			bgp_attr_unref(&bgp->attrs, p->outq[k].attrs);
		free(p->outq);
		free(p->rx);
		free(p);
	}
	bgp_rib_fini(&bgp->rib, &bgp->attrs);
	bgp_attr_table_fini(&bgp->attrs);
	bgp_attr_build_fini(&bgp->b);
	bgp_attr_build_fini(&bgp->b2);
	bgp_attr_build_fini(&bgp->b_ahead);
	free(bgp->tx);
	free(bgp);
}

void
vx0_bgp_set_fib_ops(struct vx0_bgp *bgp, const struct vx0_bgp_fib_ops *fib, void *fib_ctx)
{
	if (fib)
		bgp->fib = *fib;
	else
		memset(&bgp->fib, 0, sizeof(bgp->fib));
	bgp->fib_ctx = fib_ctx;
}

int
vx0_bgp_peer_add(struct vx0_bgp *bgp, const struct vx0_bgp_peer_config *pc)
{
	int id = -1;

	if (pc == NULL || pc->remote_as == 0 || (pc->addr.family != 4 && pc->addr.family != 6))
		return -EINVAL;
	if (vx0_bgp_peer_find(bgp, &pc->addr) >= 0)
		return -EEXIST;
	for (int i = 0; i < bgp->n_peers && id < 0; i++)
		if (bgp->peers[i]->removed)
			id = i; /* a de-configured peer's slot: its routes are gone */
	if (id < 0 && bgp->n_peers >= VX0_BGP_MAX_PEERS)
		return -ENOSPC;
	struct bgp_peer *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return -ENOMEM;
	p->rx = malloc(BGP_RX_CAP);
	if (p->rx == NULL) {
		free(p);
		return -ENOMEM;
	}
	if (id < 0)
		id = bgp->n_peers;
	p->cfg = *pc;
	if (p->cfg.hold_time == 1 || p->cfg.hold_time == 2)
		p->cfg.hold_time = 3;
	p->cfg.md5_key[sizeof(p->cfg.md5_key) - 1] = '\0';
	p->cfg.name[sizeof(p->cfg.name) - 1] = '\0';
	if (p->cfg.name[0] == '\0')
		snprintf(p->cfg.name, sizeof(p->cfg.name), "peer%d", id);
	p->id = id;
	p->ebgp = pc->remote_as != bgp->cfg.local_as;
	p->want_v4 = pc->ipv4_unicast;
	p->want_v6 = pc->ipv6_unicast;
	if (!p->want_v4 && !p->want_v6) {
		p->want_v4 = pc->addr.family == 4;
		p->want_v6 = pc->addr.family == 6;
	}
	p->idle_hold_ms = IDLE_HOLD_MIN_MS;
	p->jitter = bgp->cfg.router_id ^ (uint32_t)(pc->addr.a[3] | pc->addr.a[15] << 8) ^
		    (uint32_t)p->id << 16;
	if (p->jitter == 0)
		p->jitter = 1;
	if (id < bgp->n_peers) {
		struct bgp_peer *old = bgp->peers[id];

		free(old->outq);
		free(old->rx);
		free(old);
	} else {
		bgp->n_peers++;
	}
	bgp->peers[id] = p;
	return p->id;
}

int
vx0_bgp_peer_find(const struct vx0_bgp *bgp, const struct vx0_bgp_addr *addr)
{
	for (int i = 0; i < bgp->n_peers; i++) {
		const struct vx0_bgp_addr *a = &bgp->peers[i]->cfg.addr;

		if (!bgp->peers[i]->removed && a->family == addr->family &&
		    memcmp(a->a, addr->a, addr->family == 4 ? 4 : 16) == 0)
			return i;
	}
	return -ENOENT;
}

const struct vx0_bgp_peer_config *
vx0_bgp_peer_config(const struct vx0_bgp *bgp, int peer)
{
	if (peer < 0 || peer >= bgp->n_peers || bgp->peers[peer]->removed)
		return NULL;
	return &bgp->peers[peer]->cfg;
}

/*
 * ConnectRetryTime with jitter (RFC 4271 10: a factor in [0.75, 1]), from a
 * per-peer xorshift state, so two speakers do not retry in lockstep.
 */
static uint64_t
retry_ms(const struct vx0_bgp *bgp, struct bgp_peer *p)
{
	uint32_t x = p->jitter;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	p->jitter = x;
	return bgp->cfg.connect_retry_ms - (uint64_t)bgp->cfg.connect_retry_ms * (x % 256) / 1024;
}

static struct bgp_peer *
get_peer(struct vx0_bgp *bgp, int peer)
{
	if (peer < 0 || peer >= bgp->n_peers || bgp->peers[peer]->removed)
		return NULL;
	return bgp->peers[peer];
}

static void
set_state(struct vx0_bgp *bgp, struct bgp_peer *p, enum vx0_bgp_state s)
{
	enum vx0_bgp_state old = p->state;

	if (old == s)
		return;
	p->state = s;
	vx0_log(VX0_LOG_INFO, "bgp", "%s: %s -> %s", p->cfg.name, vx0_bgp_state_name(old),
		vx0_bgp_state_name(s));
	if (bgp->ops.state_change)
		bgp->ops.state_change(bgp->ctx, p->id, old, s);
}

/* Flushes Adj-RIB-Out queues and closes the FIB batch: the end of every entry point. */
static void
finish(struct vx0_bgp *bgp)
{
	for (int i = 0; i < bgp->n_peers; i++) {
		struct bgp_peer *p = bgp->peers[i];

		if (p->outq_n && p->state == VX0_BGP_ESTABLISHED)
			bgp_peer_flush_out(bgp, p);
	}
	bgp_fib_end(bgp);
}

static void
send_raw(struct vx0_bgp *bgp, struct bgp_peer *p, const uint8_t *m, size_t n)
{
	bgp->ops.send(bgp->ctx, p->id, m, n);
}

static void
send_keepalive(struct vx0_bgp *bgp, struct bgp_peer *p)
{
	uint8_t m[19];

	send_raw(bgp, p, m, bgp_keepalive_encode(m));
	if (p->keepalive_s)
		p->t_keepalive = bgp->now + p->keepalive_s * 1000ull;
}

static void
send_open(struct vx0_bgp *bgp, struct bgp_peer *p)
{
	uint8_t m[128];
	struct bgp_open_params o = {
		.local_as = bgp->cfg.local_as,
		.hold = p->cfg.hold_time ? p->cfg.hold_time : bgp->cfg.hold_time,
		.router_id = bgp->cfg.router_id,
		.v4 = p->want_v4,
		.v6 = p->want_v6,
		.gr = p->cfg.graceful_restart,
		.ext = true,
		.gr_time = bgp->cfg.gr_restart_time,
	};

	send_raw(bgp, p, m, bgp_open_encode(m, &o));
}

/* Leaves the session: routes are flushed, or kept stale when graceful restart applies. */
static void
session_down(struct vx0_bgp *bgp, struct bgp_peer *p, bool graceful)
{
	bgp_peer_clear_out(bgp, p);
	if (graceful && p->gr && p->gr_time > 0) {
		bgp_peer_mark_stale(bgp, p);
		p->gr_stale = true;
		p->t_gr = bgp->now + p->gr_time * 1000ull;
		vx0_log(VX0_LOG_NOTICE, "bgp", "%s: graceful restart, keeping routes for %u s",
			p->cfg.name, p->gr_time);
	} else {
		bgp_peer_flush_routes(bgp, p, false, 0);
		p->gr_stale = false;
		p->t_gr = 0;
	}
}

/* To Idle; with auto restart after the idle hold time while the peer is enabled. */
static void
go_idle(struct vx0_bgp *bgp, struct bgp_peer *p, bool graceful)
{
	bool was_up = p->state == VX0_BGP_ESTABLISHED;

	p->t_connect = p->t_hold = p->t_keepalive = p->t_delay = 0;
	p->rx_len = 0;
	set_state(bgp, p, VX0_BGP_IDLE);
	if (was_up)
		session_down(bgp, p, graceful);
	if (p->enabled) {
		p->t_idle = bgp->now + p->idle_hold_ms;
		p->idle_hold_ms = p->idle_hold_ms * 2 > IDLE_HOLD_MAX_MS ? IDLE_HOLD_MAX_MS
									 : p->idle_hold_ms * 2;
	}
}

static void
notify(struct vx0_bgp *bgp, struct bgp_peer *p, uint8_t code, uint8_t sub,
       const uint8_t *data, size_t dlen)
{
	uint8_t m[BGP_MAX_LEN];

	if (dlen > BGP_MAX_LEN - 21)
		dlen = BGP_MAX_LEN - 21;
	send_raw(bgp, p, m, bgp_notification_encode(m, code, sub, data, dlen));
	p->err_code = code;
	p->err_sub = sub;
	p->err_sent = true;
	snprintf(p->err_text, sizeof(p->err_text), "sent NOTIFICATION %u/%u", code, sub);
	vx0_log(VX0_LOG_NOTICE, "bgp", "%s: %s", p->cfg.name, p->err_text);
}

/* Error path: NOTIFICATION, close, Idle (RFC 4271 8.2.2 "sends NOTIFICATION ... to Idle"). */
static void
fail(struct vx0_bgp *bgp, struct bgp_peer *p, uint8_t code, uint8_t sub, const uint8_t *data,
     size_t dlen)
{
	notify(bgp, p, code, sub, data, dlen);
	bgp->ops.disconnect(bgp->ctx, p->id);
	go_idle(bgp, p, false);
}

static void
do_start(struct vx0_bgp *bgp, struct bgp_peer *p)
{
	p->t_idle = 0;
	p->t_connect = bgp->now + retry_ms(bgp, p);
	if (p->cfg.passive) {
		set_state(bgp, p, VX0_BGP_ACTIVE);
	} else {
		set_state(bgp, p, VX0_BGP_CONNECT);
		bgp->ops.connect(bgp->ctx, p->id);
	}
}

int
vx0_bgp_peer_start(struct vx0_bgp *bgp, int peer, uint64_t now_ms)
{
	struct bgp_peer *p = get_peer(bgp, peer);

	if (p == NULL)
		return -ENOENT;
	bgp->now = now_ms;
	p->enabled = true;
	p->t_maxpfx = 0;
	if (p->state == VX0_BGP_IDLE)
		do_start(bgp, p);
	finish(bgp);
	return 0;
}

int
vx0_bgp_peer_stop(struct vx0_bgp *bgp, int peer, const char *msg, uint64_t now_ms)
{
	struct bgp_peer *p = get_peer(bgp, peer);

	if (p == NULL)
		return -ENOENT;
	bgp->now = now_ms;
	p->enabled = false;
	p->t_idle = 0;
	if (p->state >= VX0_BGP_OPENSENT) {
		/* RFC 8203: Administrative Shutdown with a length-prefixed UTF-8 message */
		uint8_t d[256];
		size_t l = msg ? strlen(msg) : 0;

		if (l > 255)
			l = 255;
		d[0] = (uint8_t)l;
		if (l)
			memcpy(d + 1, msg, l);
		notify(bgp, p, BGP_ERR_CEASE, BGP_CEASE_SHUTDOWN, d, l ? l + 1 : 0);
	}
	if (p->state != VX0_BGP_IDLE)
		bgp->ops.disconnect(bgp->ctx, p->id);
	go_idle(bgp, p, false);
	finish(bgp);
	return 0;
}

int
vx0_bgp_peer_remove(struct vx0_bgp *bgp, int peer, uint64_t now_ms)
{
	struct bgp_peer *p = get_peer(bgp, peer);

	if (p == NULL)
		return -ENOENT;
	bgp->now = now_ms;
	p->enabled = false;
	p->t_idle = 0;
	if (p->state >= VX0_BGP_OPENSENT)
		notify(bgp, p, BGP_ERR_CEASE, BGP_CEASE_DECONFIG, NULL, 0);
	if (p->state != VX0_BGP_IDLE)
		bgp->ops.disconnect(bgp->ctx, p->id);
	go_idle(bgp, p, false);
	/* stale routes kept for a graceful restart go too: the peer is gone */
	bgp_peer_flush_routes(bgp, p, false, 0);
	bgp_peer_clear_out(bgp, p);
	p->t_gr = p->t_maxpfx = 0;
	p->gr_stale = false;
	p->removed = true;
	finish(bgp);
	return 0;
}

int
vx0_bgp_peer_set_policies(struct vx0_bgp *bgp, int peer, const struct vx0_bgp_policy *import,
			  const struct vx0_bgp_policy *export)
{
	struct bgp_peer *p = get_peer(bgp, peer);

	if (p == NULL)
		return -ENOENT;
	p->cfg.import = import;
	p->cfg.export = export;
	return 0;
}

int
vx0_bgp_tcp_up(struct vx0_bgp *bgp, int peer, const struct vx0_bgp_addr *local,
	       uint64_t now_ms)
{
	struct bgp_peer *p = get_peer(bgp, peer);

	if (p == NULL)
		return -ENOENT;
	bgp->now = now_ms;
	if (p->state != VX0_BGP_CONNECT && p->state != VX0_BGP_ACTIVE)
		return -EBUSY;
	if (local)
		p->local = *local;
	p->rx_len = 0;
	p->t_connect = 0;
	if (p->cfg.delay_open_ms) {
		p->t_delay = bgp->now + p->cfg.delay_open_ms;
		/* stays in Connect/Active with the transport up until DelayOpen expires */
		p->t_hold = bgp->now + LARGE_HOLD_MS;
		set_state(bgp, p, VX0_BGP_CONNECT);
	} else {
		send_open(bgp, p);
		p->t_hold = bgp->now + LARGE_HOLD_MS;
		set_state(bgp, p, VX0_BGP_OPENSENT);
	}
	finish(bgp);
	return 0;
}

int
vx0_bgp_collision(struct vx0_bgp *bgp, int peer, uint32_t remote_id, uint64_t now_ms)
{
	struct bgp_peer *p = get_peer(bgp, peer);

	if (p == NULL)
		return -ENOENT;
	bgp->now = now_ms;
	if (p->state != VX0_BGP_OPENSENT && p->state != VX0_BGP_OPENCONFIRM)
		return -EINVAL;
	/* the higher BGP Identifier keeps the connection it initiated */
	if (bgp->cfg.router_id >= remote_id)
		return 1;
	notify(bgp, p, BGP_ERR_CEASE, BGP_CEASE_COLLISION, NULL, 0);
	bgp->ops.disconnect(bgp->ctx, p->id);
	p->t_hold = p->t_keepalive = p->t_delay = 0;
	p->rx_len = 0;
	p->t_connect = bgp->now + retry_ms(bgp, p);
	set_state(bgp, p, VX0_BGP_ACTIVE);
	finish(bgp);
	return 0;
}

void
vx0_bgp_tcp_fail(struct vx0_bgp *bgp, int peer, uint64_t now_ms)
{
	struct bgp_peer *p = get_peer(bgp, peer);

	if (p == NULL)
		return;
	bgp->now = now_ms;
	switch (p->state) {
	case VX0_BGP_CONNECT:
	case VX0_BGP_ACTIVE:
	case VX0_BGP_OPENSENT:
		/* RFC 4271 8.2.2: restart ConnectRetry and wait in Active */
		p->t_delay = p->t_hold = p->t_keepalive = 0;
		p->rx_len = 0;
		p->t_connect = bgp->now + retry_ms(bgp, p);
		set_state(bgp, p, VX0_BGP_ACTIVE);
		break;
	case VX0_BGP_OPENCONFIRM:
	case VX0_BGP_ESTABLISHED:
		snprintf(p->err_text, sizeof(p->err_text), "connection lost");
		p->err_code = p->err_sub = 0;
		go_idle(bgp, p, true);
		break;
	default:
		break;
	}
	finish(bgp);
}

static void
handle_open(struct vx0_bgp *bgp, struct bgp_peer *p, const uint8_t *body, size_t len)
{
	struct bgp_open o;
	uint8_t sub;

	if (bgp_open_parse(body, len, &o, &sub) < 0) {
		uint8_t d[2] = {0, 4};

		/* RFC 4271 6.2: unsupported version carries the largest we support */
		fail(bgp, p, BGP_ERR_OPEN, sub, sub == BGP_OPEN_VERSION ? d : NULL,
		     sub == BGP_OPEN_VERSION ? 2 : 0);
		return;
	}
	uint32_t ras = o.as4 ? o.as4 : o.my_as;

	if (ras != p->cfg.remote_as) {
		fail(bgp, p, BGP_ERR_OPEN, BGP_OPEN_PEER_AS, NULL, 0);
		return;
	}
	if (o.bgp_id == bgp->cfg.router_id) {
		fail(bgp, p, BGP_ERR_OPEN, BGP_OPEN_BGP_ID, NULL, 0);
		return;
	}
	uint16_t ours = p->cfg.hold_time ? p->cfg.hold_time : bgp->cfg.hold_time;

	p->hold_s = o.hold < ours ? o.hold : ours;
	p->keepalive_s = p->hold_s / 3;
	p->remote_id = o.bgp_id;
	p->remote_as = ras;
	p->as4 = o.as4 != 0;
	p->v4 = p->want_v4 && o.cap_v4;
	p->v6 = p->want_v6 && o.cap_v6;
	p->rr = o.cap_rr;
	p->gr = p->cfg.graceful_restart && o.cap_gr;
	p->gr_time = o.gr_time;
	p->ext = o.cap_ext;
	if (p->state != VX0_BGP_OPENSENT) /* DelayOpen running: answer with our OPEN now */
		send_open(bgp, p);
	p->t_delay = 0;
	p->t_connect = 0;
	send_keepalive(bgp, p);
	p->t_hold = p->hold_s ? bgp->now + p->hold_s * 1000ull : 0;
	set_state(bgp, p, VX0_BGP_OPENCONFIRM);
}

static void
handle_notification(struct vx0_bgp *bgp, struct bgp_peer *p, const uint8_t *body, size_t len)
{
	char msg[256] = "";

	p->err_code = body[0];
	p->err_sub = body[1];
	p->err_sent = false;
	if (p->err_code == BGP_ERR_CEASE &&
	    (p->err_sub == BGP_CEASE_SHUTDOWN || p->err_sub == BGP_CEASE_RESET))
		bgp_shutdown_msg_parse(body + 2, len - 2, msg, sizeof(msg));
	snprintf(p->err_text, sizeof(p->err_text), "received NOTIFICATION %u/%u%s%s",
		 p->err_code, p->err_sub, msg[0] ? ": " : "", msg);
	vx0_log(VX0_LOG_NOTICE, "bgp", "%s: %s", p->cfg.name, p->err_text);
	bgp->ops.disconnect(bgp->ctx, p->id);
	go_idle(bgp, p, false);
}

static void
established(struct vx0_bgp *bgp, struct bgp_peer *p)
{
	set_state(bgp, p, VX0_BGP_ESTABLISHED);
	p->established_count++;
	p->established_ms = bgp->now;
	p->idle_hold_ms = IDLE_HOLD_MIN_MS;
	p->maxpfx_warned = false;
	snprintf(p->err_text, sizeof(p->err_text), "%s", "");
	if (p->gr_stale && !p->gr) {
		/* RFC 4724 4.2: the peer came back without graceful restart */
		bgp_peer_flush_routes(bgp, p, true, 0);
		p->gr_stale = false;
		p->t_gr = 0;
	}
	if (p->gr_stale) {
		/* wait for End-of-RIB of the families the new session carries */
		p->gr_wait = (uint8_t)((p->v4 ? 1 : 0) | (p->v6 ? 2 : 0));
		if (!p->v4)
			bgp_peer_flush_routes(bgp, p, true, 4);
		if (!p->v6)
			bgp_peer_flush_routes(bgp, p, true, 6);
		if (p->gr_wait == 0)
			p->gr_stale = false;
	}
	/* initial table, then End-of-RIB per family (RFC 4724 2) */
	bgp_export_all(bgp, p, 0);
	bgp_peer_flush_out(bgp, p);
	if (p->v4) {
		uint8_t m[23];

		bgp_hdr_write(m, 23, BGP_UPDATE);
		memset(m + 19, 0, 4);
		send_raw(bgp, p, m, 23);
	}
	if (p->v6) {
		uint8_t m[30];

		bgp_hdr_write(m, 29, BGP_UPDATE);
		wr16(m + 19, 0);
		wr16(m + 21, 6);
		m[23] = BGP_AF_OPTIONAL;
		m[24] = BGP_A_MP_UNREACH;
		m[25] = 3;
		wr16(m + 26, BGP_AFI_IPV6);
		m[28] = BGP_SAFI_UNICAST;
		send_raw(bgp, p, m, 29);
	}
}

static void
gr_stale_done(struct vx0_bgp *bgp, struct bgp_peer *p, int family)
{
	/* RFC 4724 4.2: End-of-RIB of a family removes its routes still stale */
	bgp_peer_flush_routes(bgp, p, true, family);
	p->gr_wait &= (uint8_t)~(family == 4 ? 1 : 2);
	if (p->gr_wait == 0) {
		p->gr_stale = false;
		p->t_gr = 0;
	}
}

static void
max_prefix_check(struct vx0_bgp *bgp, struct bgp_peer *p)
{
	if (!p->cfg.max_prefix || p->accepted <= p->cfg.max_prefix)
		return;
	if (!p->maxpfx_warned) {
		vx0_log(VX0_LOG_WARNING, "bgp", "%s: %u prefixes exceed the limit %u",
			p->cfg.name, p->accepted, p->cfg.max_prefix);
		p->maxpfx_warned = true;
	}
	if (p->cfg.max_prefix_action == VX0_BGP_MAXPFX_WARN)
		return;
	/* RFC 4486 4: AFI, SAFI, upper bound */
	uint8_t d[7];

	wr16(d, BGP_AFI_IPV4);
	d[2] = BGP_SAFI_UNICAST;
	wr32(d + 3, p->cfg.max_prefix);
	notify(bgp, p, BGP_ERR_CEASE, BGP_CEASE_MAX_PREFIX, d, 7);
	snprintf(p->err_text, sizeof(p->err_text), "max-prefix %u exceeded", p->cfg.max_prefix);
	bgp->ops.disconnect(bgp->ctx, p->id);
	p->enabled = false;
	go_idle(bgp, p, false);
	if (p->cfg.max_prefix_action == VX0_BGP_MAXPFX_RESTART)
		p->t_maxpfx = bgp->now + (p->cfg.max_prefix_restart_ms ? p->cfg.max_prefix_restart_ms
									: 60000);
}

/* Lookahead over an NLRI list: the RIB bucket (and the FIB's slots) of the
 * prefix AHEAD_B places on, the bucket's first entry AHEAD_E places on, so a
 * long list's cache misses overlap. */
#define AHEAD_B 8
#define AHEAD_E 4
struct nlri_ahead {
	struct bgp_nlri_block b, e;
	bool on;
};

static void
ahead_bucket(struct vx0_bgp *bgp, struct nlri_ahead *a)
{
	struct vx0_bgp_prefix p;

	if (bgp_nlri_next(&a->b, &p) == 1) {
		bgp_rib_prefetch(&bgp->rib, &p);
		if (bgp->fib.prefetch)
			bgp->fib.prefetch(bgp->fib_ctx, p.family, p.a, p.len);
	}
}

static void
ahead_init(struct vx0_bgp *bgp, struct nlri_ahead *a, const struct bgp_nlri_block *blk)
{
	struct vx0_bgp_prefix p;

	/* one prefix: nothing to overlap */
	a->on = blk->len > 1u + (blk->p[0] + 7u) / 8u;
	if (!a->on)
		return;
	a->b = a->e = *blk;
	for (int i = 0; i < AHEAD_B; i++)
		ahead_bucket(bgp, a);
	for (int i = 0; i < AHEAD_E; i++)
		bgp_nlri_next(&a->e, &p);
}

static void
ahead_step(struct vx0_bgp *bgp, struct nlri_ahead *a)
{
	struct vx0_bgp_prefix p;

	if (!a->on)
		return;
	ahead_bucket(bgp, a);
	if (bgp_nlri_next(&a->e, &p) == 1)
		bgp_rib_prefetch_entry(&bgp->rib, &p);
}

/* No import policy terms: every prefix of an UPDATE gets one verdict and
 * one interned set, the received one (terms rewrite a copy per prefix). */
static bool
import_interns_once(const struct bgp_peer *p)
{
	return p->cfg.import == NULL || p->cfg.import->n_terms == 0;
}

/* Imports every prefix of blk with attributes b (already carrying the next hop). */
static void
import_block(struct vx0_bgp *bgp, struct bgp_peer *p, struct bgp_nlri_block blk,
	     struct bgp_attr_build *b)
{
	struct vx0_bgp_prefix pfx;
	struct bgp_attrs *shared = NULL;
	bool loop = p->ebgp && bgp_aspath_contains(b->sec[BGP_S_ASPATH],
						   b->k.len[BGP_S_ASPATH], bgp->cfg.local_as);
	const struct vx0_bgp_policy *pol = p->cfg.import;

	if (loop || import_interns_once(p)) {
		/* one verdict for all prefixes: intern once */
		bool rej = loop || (pol && pol->default_action == VX0_BGP_REJECT);

		struct nlri_ahead ah;

		shared = bgp_attr_intern(&bgp->attrs, b);
		if (shared == NULL)
			return;
		ahead_init(bgp, &ah, &blk);
		while (bgp_nlri_next(&blk, &pfx) == 1) {
			ahead_step(bgp, &ah);
			bgp_attr_ref(shared);
			bgp_rib_set(bgp, (uint16_t)p->id, &pfx, shared, rej);
		}
		bgp_attr_unref(&bgp->attrs, shared);
		return;
	}
	while (bgp_nlri_next(&blk, &pfx) == 1) {
		struct bgp_attr_build *w = &bgp->b2;

		w->k = b->k;
		for (int i = 0; i < BGP_S_N; i++)
			memcpy(w->sec[i], b->sec[i], b->k.len[i]);
		enum vx0_bgp_action act = bgp_policy_apply(pol, &pfx, w, bgp->cfg.local_as);
		/* a rejected path keeps its received attributes (Adj-RIB-In) */
		struct bgp_attrs *a = bgp_attr_intern(&bgp->attrs, act == VX0_BGP_ACCEPT ? w : b);

		if (a)
			bgp_rib_set(bgp, (uint16_t)p->id, &pfx, a, act != VX0_BGP_ACCEPT);
	}
}

static void
withdraw_block(struct vx0_bgp *bgp, struct bgp_peer *p, struct bgp_nlri_block blk)
{
	struct vx0_bgp_prefix pfx;
	struct nlri_ahead ah;

	if (blk.family == 0 || blk.len == 0)
		return;
	ahead_init(bgp, &ah, &blk);
	while (bgp_nlri_next(&blk, &pfx) == 1) {
		ahead_step(bgp, &ah);
		bgp_rib_set(bgp, (uint16_t)p->id, &pfx, NULL, false);
	}
}

static struct bgp_parse_ctx
parse_ctx(const struct bgp_peer *p)
{
	return (struct bgp_parse_ctx){
		.as4 = p->as4, .ebgp = p->ebgp, .peer_as = p->remote_as, .v4 = p->v4, .v6 = p->v6,
	};
}

/* MP_REACH_NLRI's next hop goes into the set its prefixes are filed under. */
static void
set_mp_next_hop(struct bgp_attr_build *b, const struct bgp_update *u)
{
	b->k.nh_family = u->mp_nh.family;
	memset(b->k.nh, 0, 16);
	memcpy(b->k.nh, u->mp_nh.a, 16);
	b->k.present |= BGP_P_NEXT_HOP;
}

static void
handle_update(struct vx0_bgp *bgp, struct bgp_peer *p, const uint8_t *body, size_t len)
{
	struct bgp_parse_ctx c = parse_ctx(p);
	struct bgp_update u;
	struct bgp_attr_build *b = &bgp->b;

	p->updates_in++;
	bgp_update_parse(&c, body, len, &u, b);
	if (u.outcome == BGP_UPD_RESET) {
		fail(bgp, p, u.err_code, u.err_sub, NULL, 0);
		return;
	}
	p->discard += u.discarded;
	if (u.eor) {
		if (p->gr_stale)
			gr_stale_done(bgp, p, u.eor_family);
		return;
	}
	withdraw_block(bgp, p, u.withdrawn);
	withdraw_block(bgp, p, u.mp_unreach);
	if (u.outcome == BGP_UPD_WITHDRAW) {
		/* RFC 7606 2: treat-as-withdraw */
		p->taw++;
		vx0_log(VX0_LOG_NOTICE, "bgp", "%s: malformed UPDATE, treat-as-withdraw",
			p->cfg.name);
		withdraw_block(bgp, p, u.nlri);
		withdraw_block(bgp, p, u.mp_reach);
		return;
	}
	if (u.nlri.family && u.nlri.len)
		import_block(bgp, p, u.nlri, b);
	if (u.mp_reach.family && u.mp_reach.len) {
		set_mp_next_hop(b, &u);
		import_block(bgp, p, u.mp_reach, b);
	}
	max_prefix_check(bgp, p);
}

static void
handle_route_refresh(struct vx0_bgp *bgp, struct bgp_peer *p, const uint8_t *body)
{
	uint16_t afi = rd16(body);

	if (body[3] != BGP_SAFI_UNICAST)
		return; /* RFC 2918 4: an unadvertised AFI/SAFI is ignored */
	if (afi == BGP_AFI_IPV4 && p->v4)
		bgp_export_all(bgp, p, 4);
	else if (afi == BGP_AFI_IPV6 && p->v6)
		bgp_export_all(bgp, p, 6);
}

/* One whole message; returns false when the session went away. */
static bool
handle_msg(struct vx0_bgp *bgp, struct bgp_peer *p, uint8_t type, const uint8_t *body,
	   size_t len)
{
	enum vx0_bgp_state st = p->state;

	if (type == BGP_NOTIFICATION) {
		handle_notification(bgp, p, body, len);
		return false;
	}
	switch (st) {
	case VX0_BGP_CONNECT:
	case VX0_BGP_ACTIVE:
		/* only with DelayOpen running: an OPEN ends the delay */
		if (type == BGP_OPEN && p->t_delay) {
			handle_open(bgp, p, body, len);
			break;
		}
		fail(bgp, p, BGP_ERR_FSM, 0, NULL, 0);
		return false;
	case VX0_BGP_OPENSENT:
		if (type != BGP_OPEN) {
			fail(bgp, p, BGP_ERR_FSM, 1, NULL, 0); /* RFC 6608 subcode 1 */
			return false;
		}
		handle_open(bgp, p, body, len);
		break;
	case VX0_BGP_OPENCONFIRM:
		if (type != BGP_KEEPALIVE) {
			fail(bgp, p, BGP_ERR_FSM, 2, NULL, 0);
			return false;
		}
		p->t_hold = p->hold_s ? bgp->now + p->hold_s * 1000ull : 0;
		established(bgp, p);
		break;
	case VX0_BGP_ESTABLISHED:
		p->t_hold = p->hold_s ? bgp->now + p->hold_s * 1000ull : 0;
		if (type == BGP_UPDATE)
			handle_update(bgp, p, body, len);
		else if (type == BGP_ROUTE_REFRESH)
			handle_route_refresh(bgp, p, body);
		else if (type == BGP_OPEN) {
			fail(bgp, p, BGP_ERR_FSM, 3, NULL, 0);
			return false;
		}
		break;
	default:
		return false;
	}
	return p->state != VX0_BGP_IDLE;
}

/* The first prefix an UPDATE at m (header included, mlen bytes, both
 * checked) withdraws or announces in its IPv4 fields; 0 when none. */
static int
update_first_prefix(const uint8_t *m, size_t mlen, struct vx0_bgp_prefix *pfx)
{
	const uint8_t *b = m + BGP_HDR_LEN;
	size_t n = mlen - BGP_HDR_LEN, wl, al;
	struct bgp_nlri_block blk = {.family = 4};

	if (m[18] != BGP_UPDATE || n < 4)
		return 0;
	wl = (size_t)b[0] << 8 | b[1];
	if (wl > 0) {
		blk.p = b + 2;
		blk.len = wl > n - 2 ? n - 2 : wl;
		return bgp_nlri_next(&blk, pfx) == 1;
	}
	al = (size_t)b[2] << 8 | b[3];
	if (4 + al >= n)
		return 0;
	blk.p = b + 4 + al;
	blk.len = n - 4 - al;
	return bgp_nlri_next(&blk, pfx) == 1;
}

/* Lookahead over the UPDATEs already received (a full table arrives as one
 * UPDATE per prefix or few): the RIB bucket and FIB slots of the message
 * MSG_AHEAD_B on, the bucket's first entry MSG_AHEAD_E on, requested before
 * the current one is handled, so their cache misses overlap. */
#define MSG_AHEAD_B 8
#define MSG_AHEAD_E 4
#define MSG_AHEAD_ATTR_MAX 512 /* bytes: longer UPDATEs get no attribute lookahead */
struct msg_ahead {
	size_t off[2];
	unsigned n[2];
	/* the attribute hashes stage B found, for stage E to find by offset */
	struct {
		size_t off;
		uint32_t h;
		bool on;
	} ring[MSG_AHEAD_B];
	unsigned ri;
};

/* The hash of the attribute set handle_update will intern first for the
 * UPDATE at m: one parse more, so that a full table's one UPDATE per
 * prefix, each with other attributes than the last, finds its set's
 * bucket and set in cache. False when it will intern none, or one per
 * prefix (an import policy with terms rewrites each). */
static bool
update_attr_hash(struct vx0_bgp *bgp, const struct bgp_peer *p, const uint8_t *m, size_t mlen,
		 uint32_t *h)
{
	struct bgp_parse_ctx c = parse_ctx(p);
	struct bgp_attr_build *b = &bgp->b_ahead;
	struct bgp_update u;

	/* a long UPDATE shares its one intern among many prefixes: a second
	 * parse of it (NLRI validation included) costs more than the misses */
	if (m[18] != BGP_UPDATE || mlen > MSG_AHEAD_ATTR_MAX || !import_interns_once(p))
		return false;
	bgp_update_parse(&c, m + BGP_HDR_LEN, mlen - BGP_HDR_LEN, &u, b);
	if (u.outcome != BGP_UPD_OK || u.eor)
		return false;
	if (!u.nlri.family || !u.nlri.len) {
		if (!u.mp_reach.family || !u.mp_reach.len)
			return false;
		set_mp_next_hop(b, &u);
	}
	*h = bgp_attr_hash(b);
	return true;
}

static void
ahead_attrs(struct vx0_bgp *bgp, const struct bgp_peer *p, struct msg_ahead *a, int stage,
	    const uint8_t *m, size_t mlen, size_t off)
{
	if (stage == 0) {
		unsigned i = a->ri++ % MSG_AHEAD_B;

		a->ring[i].off = off;
		a->ring[i].on = update_attr_hash(bgp, p, m, mlen, &a->ring[i].h);
		if (a->ring[i].on)
			bgp_attr_prefetch_bucket(&bgp->attrs, a->ring[i].h);
		return;
	}
	for (unsigned i = 0; i < MSG_AHEAD_B; i++)
		if (a->ring[i].on && a->ring[i].off == off) {
			bgp_attr_prefetch_set(&bgp->attrs, a->ring[i].h);
			return;
		}
}

static void
msg_ahead_run(struct vx0_bgp *bgp, struct bgp_peer *p, struct msg_ahead *a, size_t off)
{
	static const unsigned depth[2] = {MSG_AHEAD_B, MSG_AHEAD_E};

	for (int s = 0; s < 2; s++) {
		if (a->off[s] < off) {
			a->off[s] = off;
			a->n[s] = 0;
		}
		while (a->n[s] < depth[s] && p->rx_len - a->off[s] >= BGP_HDR_LEN) {
			const uint8_t *m = p->rx + a->off[s];
			size_t mlen = (size_t)m[16] << 8 | m[17];
			struct vx0_bgp_prefix pfx;

			if (mlen < BGP_HDR_LEN || mlen > p->rx_len - a->off[s])
				break; /* incomplete (or bad: the loop reports it) */
			ahead_attrs(bgp, p, a, s, m, mlen, a->off[s]);
			if (update_first_prefix(m, mlen, &pfx)) {
				if (s == 1) {
					bgp_rib_prefetch_entry(&bgp->rib, &pfx);
				} else {
					bgp_rib_prefetch(&bgp->rib, &pfx);
					if (bgp->fib.prefetch)
						bgp->fib.prefetch(bgp->fib_ctx, 4, pfx.a, pfx.len);
				}
			}
			a->off[s] += mlen;
			a->n[s]++;
		}
	}
}

int
vx0_bgp_input(struct vx0_bgp *bgp, int peer, const uint8_t *data, size_t len, uint64_t now_ms)
{
	struct bgp_peer *p = get_peer(bgp, peer);
	size_t used = 0;

	if (p == NULL)
		return -ENOENT;
	bgp->now = now_ms;
	if (p->state == VX0_BGP_IDLE)
		return -ENOTCONN;
	while (used < len && p->state != VX0_BGP_IDLE) {
		size_t take = len - used;

		if (take > BGP_RX_CAP - p->rx_len)
			take = BGP_RX_CAP - p->rx_len;
		memcpy(p->rx + p->rx_len, data + used, take);
		p->rx_len += take;
		used += take;

		size_t off = 0;
		struct msg_ahead ah = {.off = {0, 0}};

		while (p->rx_len - off >= BGP_HDR_LEN && p->state != VX0_BGP_IDLE) {
			uint16_t mlen;
			uint8_t type, sub;
			size_t max = (p->ext && p->state == VX0_BGP_ESTABLISHED) ? BGP_EXT_MAX_LEN
										 : BGP_MAX_LEN;

			if (bgp_hdr_check(p->rx + off, max, &mlen, &type, &sub) < 0) {
				uint8_t d[2];

				/* RFC 4271 6.1: the Data field carries the bad length or type */
				if (sub == BGP_HDR_LENGTH)
					memcpy(d, p->rx + off + 16, 2);
				else
					d[0] = p->rx[off + 18];
				fail(bgp, p, BGP_ERR_HEADER, sub, sub == BGP_HDR_SYNC ? NULL : d,
				     sub == BGP_HDR_LENGTH ? 2 : sub == BGP_HDR_TYPE ? 1 : 0);
				break;
			}
			if (p->rx_len - off < mlen)
				break;
			if (p->state == VX0_BGP_ESTABLISHED) {
				msg_ahead_run(bgp, p, &ah, off);
				ah.n[0] -= ah.n[0] > 0;
				ah.n[1] -= ah.n[1] > 0;
			}
			handle_msg(bgp, p, type, p->rx + off + BGP_HDR_LEN, mlen - BGP_HDR_LEN);
			off += mlen;
		}
		if (p->state == VX0_BGP_IDLE) {
			p->rx_len = 0;
			break;
		}
		memmove(p->rx, p->rx + off, p->rx_len - off);
		p->rx_len -= off;
	}
	finish(bgp);
	return 0;
}

void
vx0_bgp_timers(struct vx0_bgp *bgp, uint64_t now)
{
	bgp->now = now;
	for (int i = 0; i < bgp->n_peers; i++) {
		struct bgp_peer *p = bgp->peers[i];

		if (p->t_gr && now >= p->t_gr) {
			/* RFC 4724 4.2: the peer did not come back in time */
			p->t_gr = 0;
			bgp_peer_flush_routes(bgp, p, true, 0);
			p->gr_stale = false;
		}
		if (p->t_maxpfx && now >= p->t_maxpfx) {
			p->t_maxpfx = 0;
			p->enabled = true;
			if (p->state == VX0_BGP_IDLE)
				do_start(bgp, p);
		}
		if (p->t_idle && now >= p->t_idle) {
			p->t_idle = 0;
			if (p->enabled && p->state == VX0_BGP_IDLE)
				do_start(bgp, p);
		}
		if (p->t_hold && now >= p->t_hold) {
			p->t_hold = 0;
			if (p->state >= VX0_BGP_OPENSENT) {
				fail(bgp, p, BGP_ERR_HOLD, 0, NULL, 0);
				snprintf(p->err_text, sizeof(p->err_text), "hold timer expired");
			} else if (p->t_delay) {
				bgp->ops.disconnect(bgp->ctx, p->id);
				go_idle(bgp, p, false);
			}
		}
		if (p->t_delay && now >= p->t_delay) {
			p->t_delay = 0;
			if (p->state == VX0_BGP_CONNECT || p->state == VX0_BGP_ACTIVE) {
				send_open(bgp, p);
				set_state(bgp, p, VX0_BGP_OPENSENT);
			}
		}
		if (p->t_keepalive && now >= p->t_keepalive) {
			p->t_keepalive = 0;
			if (p->state == VX0_BGP_OPENCONFIRM || p->state == VX0_BGP_ESTABLISHED)
				send_keepalive(bgp, p);
		}
		if (p->t_connect && now >= p->t_connect) {
			p->t_connect = now + retry_ms(bgp, p);
			if (p->state == VX0_BGP_CONNECT) {
				/* RFC 4271 8.2.2: drop the attempt, try again */
				bgp->ops.disconnect(bgp->ctx, p->id);
				if (!p->cfg.passive)
					bgp->ops.connect(bgp->ctx, p->id);
			} else if (p->state == VX0_BGP_ACTIVE && !p->cfg.passive) {
				set_state(bgp, p, VX0_BGP_CONNECT);
				bgp->ops.connect(bgp->ctx, p->id);
			}
		}
	}
	finish(bgp);
}

uint64_t
vx0_bgp_next_deadline(const struct vx0_bgp *bgp)
{
	uint64_t d = UINT64_MAX;

	for (int i = 0; i < bgp->n_peers; i++) {
		const struct bgp_peer *p = bgp->peers[i];
		const uint64_t t[] = {p->t_connect, p->t_hold, p->t_keepalive, p->t_delay,
				      p->t_idle, p->t_gr, p->t_maxpfx};

		for (unsigned k = 0; k < sizeof(t) / sizeof(t[0]); k++)
			if (t[k] && t[k] < d)
				d = t[k];
	}
	return d;
}

int
vx0_bgp_route_refresh(struct vx0_bgp *bgp, int peer, int family)
{
	struct bgp_peer *p = get_peer(bgp, peer);
	uint8_t m[23];

	if (p == NULL)
		return -ENOENT;
	if (p->state != VX0_BGP_ESTABLISHED)
		return -ENOTCONN;
	if (!p->rr)
		return -EOPNOTSUPP;
	if ((family == 4 && !p->v4) || (family == 6 && !p->v6) || (family != 4 && family != 6))
		return -EINVAL;
	send_raw(bgp, p, m,
		 bgp_route_refresh_encode(m, family == 4 ? BGP_AFI_IPV4 : BGP_AFI_IPV6,
					  BGP_SAFI_UNICAST));
	return 0;
}

int
vx0_bgp_peer_update_policies(struct vx0_bgp *bgp, int peer, const struct vx0_bgp_policy *import,
			     const struct vx0_bgp_policy *export, bool import_changed,
			     uint64_t now_ms)
{
	struct bgp_peer *p = get_peer(bgp, peer);
	int rc = 0;

	if (p == NULL)
		return -ENOENT;
	if (import_changed && p->state == VX0_BGP_ESTABLISHED && !p->rr)
		return -EOPNOTSUPP; /* nothing changed: the caller resets the session */
	bgp->now = now_ms;
	p->cfg.import = import;
	p->cfg.export = export;
	if (p->state != VX0_BGP_ESTABLISHED)
		return 0; /* the next session starts with them */
	/* Adj-RIB-Out again under the new export policy: withdrawals for what
	 * it now rejects, announcements for the rest */
	bgp_export_all(bgp, p, 0);
	/* the import policy applies to routes as they arrive: ask for them again */
	if (import_changed) {
		if (p->v4 && (rc = vx0_bgp_route_refresh(bgp, peer, 4)) == 0)
			rc = 1;
		if (p->v6 && vx0_bgp_route_refresh(bgp, peer, 6) == 0)
			rc = 1;
	}
	finish(bgp);
	return rc;
}

int
vx0_bgp_originate(struct vx0_bgp *bgp, const struct vx0_bgp_prefix *pfx)
{
	struct bgp_attr_build *b = &bgp->b;
	struct vx0_bgp_prefix p = *pfx;

	if ((p.family != 4 && p.family != 6) || p.len > (p.family == 4 ? 32 : 128))
		return -EINVAL;
	bgp_prefix_mask(&p);
	bgp_attr_build_clear(b);
	b->k.present = BGP_P_ORIGIN | BGP_P_AS_PATH;
	b->k.origin = VX0_BGP_ORIGIN_IGP;
	struct bgp_attrs *a = bgp_attr_intern(&bgp->attrs, b);

	if (a == NULL)
		return -ENOMEM;
	bgp_rib_set(bgp, BGP_PEER_LOCAL, &p, a, false);
	finish(bgp);
	return 0;
}

int
vx0_bgp_withdraw_local(struct vx0_bgp *bgp, const struct vx0_bgp_prefix *pfx)
{
	struct vx0_bgp_prefix p = *pfx;

	if (p.family != 4 && p.family != 6)
		return -EINVAL;
	bgp_prefix_mask(&p);
	if (bgp_rib_get(&bgp->rib, &p, false) == NULL)
		return -ENOENT;
	bgp_rib_set(bgp, BGP_PEER_LOCAL, &p, NULL, false);
	finish(bgp);
	return 0;
}
