/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The neighbour state machine (RFC 4861 7.3.2, 7.2.5 and appendix C,
 * simplified; the same for ARP): resolve/touch from the sending side,
 * input from received ARP/ND, tick for timers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vx0_neigh_priv.h"

static const char *const state_names[VX0_NEIGH_STATE_MAX] = {
	"free", "incomplete", "reachable", "stale", "delay", "probe", "failed", "static",
};

const char *
vx0_neigh_state_name(unsigned int state)
{
	return state < VX0_NEIGH_STATE_MAX ? state_names[state] : "unknown";
}

struct vx0_neigh *
vx0_neigh_create(const struct vx0_neigh_conf *conf, const struct vx0_neigh_ops *ops, void *ctx)
{
	struct vx0_neigh *t;

	if (ops == NULL || ops->send_probe == NULL || ops->publish == NULL ||
	    ops->release == NULL || ops->drop == NULL) {
		errno = EINVAL;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	if (conf)
		t->conf = *conf;
#define DEF(f, v) do { if (t->conf.f == 0) t->conf.f = (v); } while (0)
	DEF(max_entries, 1024);
	DEF(queue_len, 3);
	DEF(retrans_ms, 1000);
	DEF(max_probes, 3);
	DEF(reachable_ms, 30000);
	DEF(delay_ms, 5000);
	DEF(stale_gc_ms, 600000);
	DEF(failed_hold_ms, 3000);
#undef DEF
	if (t->conf.queue_len > 255 || t->conf.max_probes > 255 ||
	    t->conf.max_entries > (1u << 24)) {
		free(t);
		errno = EINVAL;
		return NULL;
	}
	t->ops = *ops;
	t->ctx = ctx;
	if (neigh_table_init(t) != 0) {
		free(t);
		errno = ENOMEM;
		return NULL;
	}
	return t;
}

void
vx0_neigh_destroy(struct vx0_neigh *t)
{
	uint32_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->conf.max_entries; i++)
		neigh_queue_flush(t, i, NULL);
	neigh_table_fini(t);
	free(t);
}

static bool
key_ok(int family, const uint8_t *addr)
{
	return addr != NULL && (family == VX0_NEIGH_AF_INET || family == VX0_NEIGH_AF_INET6);
}

/* Moves e to state with mac (NULL: keep), publishing when the data plane's
 * view (valid or not, which MAC) changes, releasing the queue once valid. */
static void
set_state(struct vx0_neigh *t, uint32_t idx, unsigned int state, const uint8_t *mac)
{
	struct neigh_entry *e = &t->e[idx];
	bool was = neigh_has_mac(e->state), is = neigh_has_mac(state);
	bool changed = mac != NULL && memcmp(e->mac, mac, 6) != 0;

	if (mac)
		memcpy(e->mac, mac, 6);
	e->state = (uint8_t)state;
	if (is && (!was || changed))
		t->ops.publish(t->ctx, idx, e->port, e->mac);
	else if (!is && was)
		t->ops.publish(t->ctx, idx, e->port, NULL);
	if (is && e->qcount)
		neigh_queue_flush(t, idx, e->mac);
}

static void
solicit(struct vx0_neigh *t, struct neigh_entry *e, bool unicast, uint64_t now)
{
	e->probes++;
	e->timer_ms = now + t->conf.retrans_ms;
	t->ops.send_probe(t->ctx, e->port, e->family, e->addr, unicast ? e->mac : NULL);
	if (unicast)
		t->st.probes++;
	else
		t->st.solicits++;
}

static void
start_resolution(struct vx0_neigh *t, uint32_t idx, uint64_t now)
{
	struct neigh_entry *e = &t->e[idx];

	set_state(t, idx, VX0_NEIGH_INCOMPLETE, NULL);
	e->probes = 0;
	solicit(t, e, false, now);
}

static void
fail(struct vx0_neigh *t, uint32_t idx, uint64_t now)
{
	struct neigh_entry *e = &t->e[idx];

	set_state(t, idx, VX0_NEIGH_FAILED, NULL);
	neigh_queue_flush(t, idx, NULL);
	e->probes = 0;
	e->timer_ms = now + t->conf.failed_hold_ms;
	t->st.failures++;
}

/* A packet (or a bare use) for an existing entry. */
static void
use_entry(struct vx0_neigh *t, uint32_t idx, void *pkt, uint64_t now)
{
	struct neigh_entry *e = &t->e[idx];

	e->used_ms = now;
	switch (e->state) {
	case VX0_NEIGH_FAILED:
		if (now < e->timer_ms) { /* hold: no new solicitation storm */
			if (pkt) {
				t->ops.drop(t->ctx, pkt);
				t->st.fail_drops++;
			}
			return;
		}
		start_resolution(t, idx, now);
		/* fall through */
	case VX0_NEIGH_INCOMPLETE:
		if (pkt)
			neigh_queue_push(t, idx, pkt);
		return;
	case VX0_NEIGH_STALE: /* 7.3.3: first use of a stale entry */
		e->state = VX0_NEIGH_DELAY;
		e->timer_ms = now + t->conf.delay_ms;
		break;
	default:
		break;
	}
	if (pkt) {
		t->ops.release(t->ctx, pkt, e->port, e->mac);
		t->st.released++;
	}
}

int
vx0_neigh_resolve(struct vx0_neigh *t, uint16_t port, int family, const uint8_t *addr,
		  void *pkt, uint64_t now_ms)
{
	uint32_t idx;

	if (!key_ok(family, addr)) {
		if (pkt)
			t->ops.drop(t->ctx, pkt);
		return -EINVAL;
	}
	idx = neigh_find(t, port, family, addr);
	if (idx != NEIGH_NIL) {
		use_entry(t, idx, pkt, now_ms);
		return (int)idx;
	}
	idx = neigh_alloc(t, port, family, addr);
	if (idx == NEIGH_NIL) {
		if (pkt) {
			t->ops.drop(t->ctx, pkt);
			t->st.full_drops++;
		}
		return -ENOSPC;
	}
	t->e[idx].used_ms = now_ms;
	solicit(t, &t->e[idx], false, now_ms);
	if (pkt)
		neigh_queue_push(t, idx, pkt);
	return (int)idx;
}

int
vx0_neigh_touch(struct vx0_neigh *t, uint32_t idx, uint64_t now_ms)
{
	if (idx >= t->conf.max_entries || t->e[idx].state == VX0_NEIGH_FREE)
		return -EINVAL;
	use_entry(t, idx, NULL, now_ms);
	return 0;
}

int
vx0_neigh_confirm(struct vx0_neigh *t, uint16_t port, int family, const uint8_t *addr,
		  uint64_t now_ms)
{
	uint32_t idx;
	struct neigh_entry *e;

	if (!key_ok(family, addr))
		return -EINVAL;
	idx = neigh_find(t, port, family, addr);
	if (idx == NEIGH_NIL)
		return -ENOENT;
	e = &t->e[idx];
	if (!neigh_has_mac(e->state) || e->state == VX0_NEIGH_STATIC)
		return (int)idx;
	e->state = VX0_NEIGH_REACHABLE;
	e->probes = 0;
	e->timer_ms = now_ms + t->conf.reachable_ms;
	return (int)idx;
}

static void
make_reachable(struct vx0_neigh *t, uint32_t idx, const uint8_t *mac, uint64_t now)
{
	struct neigh_entry *e = &t->e[idx];

	e->probes = 0;
	e->timer_ms = now + t->conf.reachable_ms;
	set_state(t, idx, VX0_NEIGH_REACHABLE, mac);
}

static void
make_stale(struct vx0_neigh *t, uint32_t idx, const uint8_t *mac)
{
	struct neigh_entry *e = &t->e[idx];

	e->probes = 0;
	e->timer_ms = 0;
	set_state(t, idx, VX0_NEIGH_STALE, mac);
}

int
vx0_neigh_input(struct vx0_neigh *t, uint16_t port, int family, const uint8_t *addr,
		const uint8_t *mac, unsigned int flags, uint64_t now_ms)
{
	static const uint8_t zero_mac[6];
	bool differs, solicited = (flags & VX0_NEIGH_F_SOLICITED) && !(flags & VX0_NEIGH_F_REQUEST);
	struct neigh_entry *e;
	uint32_t idx;

	if (!key_ok(family, addr))
		return -EINVAL;
	/* a group or zero MAC would turn unicast into a flood */
	if (mac && ((mac[0] & 1) || memcmp(mac, zero_mac, 6) == 0))
		return -EINVAL;
	idx = neigh_find(t, port, family, addr);
	if (idx == NEIGH_NIL) {
		/* 7.2.3: a solicitation with their address creates a STALE entry;
		 * adverts (solicited or not) and gratuitous ARP never create one */
		if (!(flags & VX0_NEIGH_F_REQUEST) || (flags & VX0_NEIGH_F_GRATUITOUS) || !mac) {
			t->st.ignored++;
			return -ENOENT;
		}
		idx = neigh_alloc(t, port, family, addr);
		if (idx == NEIGH_NIL)
			return -ENOSPC;
		t->e[idx].used_ms = now_ms;
		make_stale(t, idx, mac);
		return (int)idx;
	}
	e = &t->e[idx];
	if (e->state == VX0_NEIGH_STATIC) {
		t->st.ignored++;
		return (int)idx;
	}
	if (e->state == VX0_NEIGH_INCOMPLETE || e->state == VX0_NEIGH_FAILED) {
		if (!mac) {
			t->st.ignored++;
			return (int)idx;
		}
		/* 7.2.5: solicited -> REACHABLE, else STALE; the queue goes out */
		t->st.replies++;
		if (solicited)
			make_reachable(t, idx, mac, now_ms);
		else
			make_stale(t, idx, mac);
		return (int)idx;
	}
	differs = mac != NULL && memcmp(mac, e->mac, 6) != 0;
	if (flags & (VX0_NEIGH_F_REQUEST | VX0_NEIGH_F_GRATUITOUS)) {
		/* 7.2.3 / RFC 826 merge: a new address makes the entry STALE */
		if (differs) {
			t->st.mac_changes++;
			make_stale(t, idx, mac);
		} else if (solicited) {
			make_reachable(t, idx, NULL, now_ms);
		}
		return (int)idx;
	}
	if (differs && !(flags & VX0_NEIGH_F_OVERRIDE)) {
		/* 7.2.5: keep the MAC; a REACHABLE entry is no longer trusted */
		if (e->state == VX0_NEIGH_REACHABLE)
			make_stale(t, idx, NULL);
		t->st.ignored++;
		return (int)idx;
	}
	if (differs)
		t->st.mac_changes++;
	if (solicited) {
		t->st.replies++;
		make_reachable(t, idx, mac, now_ms);
	} else if (differs) {
		make_stale(t, idx, mac);
	}
	return (int)idx;
}

uint64_t
vx0_neigh_tick(struct vx0_neigh *t, uint64_t now_ms)
{
	uint64_t next = now_ms + 1000;
	uint32_t i;

	for (i = 0; i < t->conf.max_entries; i++) {
		struct neigh_entry *e = &t->e[i];

		switch (e->state) {
		case VX0_NEIGH_INCOMPLETE:
			if (now_ms < e->timer_ms)
				break;
			if (e->probes < t->conf.max_probes)
				solicit(t, e, false, now_ms);
			else
				fail(t, i, now_ms);
			break;
		case VX0_NEIGH_REACHABLE:
			if (now_ms >= e->timer_ms) {
				e->state = VX0_NEIGH_STALE; /* MAC still usable: nothing to publish */
				e->timer_ms = 0;
			}
			break;
		case VX0_NEIGH_DELAY:
			if (now_ms >= e->timer_ms) {
				e->state = VX0_NEIGH_PROBE;
				e->probes = 0;
				solicit(t, e, true, now_ms);
			}
			break;
		case VX0_NEIGH_PROBE:
			if (now_ms < e->timer_ms)
				break;
			if (e->probes < t->conf.max_probes)
				solicit(t, e, true, now_ms);
			else
				fail(t, i, now_ms);
			break;
		default:
			break;
		}
		/* collection, after the transitions above */
		if (e->refs == 0 &&
		    ((e->state == VX0_NEIGH_STALE && now_ms >= e->used_ms + t->conf.stale_gc_ms) ||
		     (e->state == VX0_NEIGH_FAILED && now_ms >= e->timer_ms))) {
			neigh_free(t, i);
			t->st.gc++;
			continue;
		}
		if (e->state != VX0_NEIGH_FREE && e->state != VX0_NEIGH_STATIC &&
		    e->timer_ms && e->timer_ms < next)
			next = e->timer_ms;
	}
	return next > now_ms ? next - now_ms : 0;
}

int
vx0_neigh_add_static(struct vx0_neigh *t, uint16_t port, int family, const uint8_t *addr,
		     const uint8_t mac[6])
{
	uint32_t idx;

	if (!key_ok(family, addr) || mac == NULL || (mac[0] & 1))
		return -EINVAL;
	idx = neigh_find(t, port, family, addr);
	if (idx == NEIGH_NIL)
		idx = neigh_alloc(t, port, family, addr);
	if (idx == NEIGH_NIL)
		return -ENOSPC;
	t->e[idx].probes = 0;
	t->e[idx].timer_ms = 0;
	set_state(t, idx, VX0_NEIGH_STATIC, mac);
	return (int)idx;
}

int
vx0_neigh_del(struct vx0_neigh *t, uint16_t port, int family, const uint8_t *addr)
{
	uint32_t idx;

	if (!key_ok(family, addr))
		return -EINVAL;
	idx = neigh_find(t, port, family, addr);
	if (idx == NEIGH_NIL)
		return -ENOENT;
	if (t->e[idx].refs) {
		/* keep the index: FAILED with the hold over, so the next use re-resolves */
		set_state(t, idx, VX0_NEIGH_FAILED, NULL);
		neigh_queue_flush(t, idx, NULL);
		t->e[idx].probes = 0;
		t->e[idx].timer_ms = 0;
		return 0;
	}
	neigh_free(t, idx);
	return 0;
}

int
vx0_neigh_ref(struct vx0_neigh *t, uint32_t idx)
{
	if (idx >= t->conf.max_entries || t->e[idx].state == VX0_NEIGH_FREE)
		return -EINVAL;
	t->e[idx].refs++;
	return 0;
}

int
vx0_neigh_unref(struct vx0_neigh *t, uint32_t idx)
{
	if (idx >= t->conf.max_entries || t->e[idx].refs == 0)
		return -EINVAL;
	t->e[idx].refs--;
	return 0;
}

int
vx0_neigh_lookup(const struct vx0_neigh *t, uint16_t port, int family, const uint8_t *addr)
{
	uint32_t idx;

	if (!key_ok(family, addr))
		return -EINVAL;
	idx = neigh_find(t, port, family, addr);
	return idx == NEIGH_NIL ? -ENOENT : (int)idx;
}

int
vx0_neigh_get(const struct vx0_neigh *t, uint32_t idx, struct vx0_neigh_info *info)
{
	const struct neigh_entry *e;

	if (idx >= t->conf.max_entries)
		return -EINVAL;
	e = &t->e[idx];
	memset(info, 0, sizeof(*info));
	info->idx = idx;
	info->state = (enum vx0_neigh_state)e->state;
	if (e->state == VX0_NEIGH_FREE)
		return 0;
	info->port = e->port;
	info->family = e->family;
	memcpy(info->addr, e->addr, 16);
	if (neigh_has_mac(e->state))
		memcpy(info->mac, e->mac, 6);
	info->probes = e->probes;
	info->queued = e->qcount;
	info->refs = e->refs;
	info->timer_ms = e->timer_ms;
	info->used_ms = e->used_ms;
	return 0;
}

int
vx0_neigh_foreach(const struct vx0_neigh *t,
		  int (*cb)(void *arg, const struct vx0_neigh_info *info), void *arg)
{
	struct vx0_neigh_info info;
	uint32_t i;
	int rc;

	for (i = 0; i < t->conf.max_entries; i++) {
		if (t->e[i].state == VX0_NEIGH_FREE)
			continue;
		vx0_neigh_get(t, i, &info);
		rc = cb(arg, &info);
		if (rc)
			return rc;
	}
	return 0;
}

void
vx0_neigh_get_stats(const struct vx0_neigh *t, struct vx0_neigh_stats *st)
{
	*st = t->st;
}

uint32_t
vx0_neigh_count(const struct vx0_neigh *t)
{
	return t->count;
}
