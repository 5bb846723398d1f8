/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * BGP on the slow path: lib/bgp's socket glue runs on the ctl event loop
 * over kernel TCP through the TAP exception path; its best-route changes
 * arrive in batches (begin .. commit) and are written into the FIB here,
 * each next hop resolved to a neighbour on a connected subnet, or
 * recursively through the route that covers it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include <rte_cycles.h>
#include <rte_malloc.h>
#include <sodium.h>

#include "vx0_bgp.h"
#include "vx0_bgp_io.h"
#include "vx0_ctl.h"
#include "vx0_log.h"

struct vx0_ctl_bgp {
	struct vx0_ctl *ctl;
	struct vx0_bgp_io *io;
	uint64_t installed, removed, unresolved, failed;
	uint64_t next_progress;
	int last_nh; /* the neighbour next hop of the last route, or -1 */
};

static int
af_of(int family)
{
	return family == 4 ? AF_INET : AF_INET6;
}

static void
fib_begin(void *arg)
{
	struct vx0_ctl_bgp *b = arg;

	pthread_mutex_lock(&b->ctl->lock);
}

static void
fib_prefetch(void *arg, int family, const uint8_t *prefix, uint8_t len)
{
	struct vx0_ctl_bgp *b = arg;
	uint32_t v;

	if (family != 4)
		return;
	memcpy(&v, prefix, 4);
	vx0_fib4_prefetch(&b->ctl->node->fib->v4, ntohl(v), len);
}

/* The cached id still names this neighbour (ids are reused once freed). */
static bool
last_nh_is(const struct vx0_ctl_bgp *b, const struct vx0_fib *fib, uint16_t port, int af,
	   const uint8_t *addr)
{
	const struct vx0_fib_nh *n;

	if (b->last_nh <= 0 || (uint32_t)b->last_nh >= fib->max_nh)
		return false;
	n = vx0_fib_nh(fib, (uint32_t)b->last_nh);
	return n->refcnt > 0 && n->type == VX0_NH_FWD && n->port == port &&
	       n->family == af && memcmp(n->addr, addr, af == AF_INET ? 4 : 16) == 0;
}

static int
fib_route_add(void *arg, int family, const uint8_t *prefix, uint8_t len, const uint8_t *nexthop)
{
	struct vx0_ctl_bgp *b = arg;
	struct vx0_fib *fib = b->ctl->node->fib;
	int af = af_of(family), rc, nh;
	uint32_t cover;
	const struct vx0_fib_nh *c;

	if (af == AF_INET) {
		uint32_t v;

		memcpy(&v, nexthop, 4);
		rc = vx0_fib_lookup4(fib, ntohl(v), &cover);
	} else {
		rc = vx0_fib_lookup6(fib, nexthop, &cover);
	}
	c = rc == 0 ? vx0_fib_nh(fib, cover) : NULL;
	if (c != NULL && c->type == VX0_NH_GLEAN && last_nh_is(b, fib, c->port, af, nexthop)) {
		/* a full table has a handful of next hops: the last one again
		 * needs no lookup in the next-hop index (the route takes its
		 * own reference) */
		rc = vx0_fib_route_add(fib, af, prefix, len, (uint32_t)b->last_nh);
	} else if (c != NULL && c->type == VX0_NH_GLEAN) {
		/* on a connected subnet: the next hop is a neighbour */
		nh = vx0_fib_nh_get(fib, VX0_NH_FWD, c->port, af, nexthop);
		if (nh < 0) {
			b->failed++;
			return nh;
		}
		rc = vx0_fib_route_add(fib, af, prefix, len, (uint32_t)nh);
		vx0_fib_nh_put(fib, (uint32_t)nh);
		b->last_nh = rc == 0 ? nh : -1;
	} else if (c != NULL && c->type == VX0_NH_FWD) {
		/* recursive: use the covering route's neighbour */
		rc = vx0_fib_route_add(fib, af, prefix, len, cover);
	} else {
		/* unreachable next hop: nothing usable to install; a stale
		 * route for this prefix must not stay either */
		b->unresolved++;
		vx0_fib_route_del(fib, af, prefix, len);
		return -EHOSTUNREACH;
	}
	if (rc < 0) {
		b->failed++;
		return rc;
	}
	b->installed++;
	if (b->installed >= b->next_progress) {
		vx0_log(VX0_LOG_INFO, "bgp", "%llu routes installed in the FIB (%u IPv4, %u IPv6)",
			(unsigned long long)b->installed, vx0_fib_count(fib, AF_INET),
			vx0_fib_count(fib, AF_INET6));
		b->next_progress += 100000;
	}
	return 0;
}

static int
fib_route_del(void *arg, int family, const uint8_t *prefix, uint8_t len)
{
	struct vx0_ctl_bgp *b = arg;
	int rc = vx0_fib_route_del(b->ctl->node->fib, af_of(family), prefix, len);

	if (rc == 0)
		b->removed++;
	return rc == -ENOENT ? 0 : rc;
}

static void
fib_commit(void *arg)
{
	struct vx0_ctl_bgp *b = arg;

	/* each change was live as it was made: the batch only held the lock */
	pthread_mutex_unlock(&b->ctl->lock);
}

static void
to_bgp_addr(struct vx0_bgp_addr *a, int af, const uint8_t *addr)
{
	memset(a, 0, sizeof(*a));
	a->family = af == AF_INET ? 4 : 6;
	memcpy(a->a, addr, af == AF_INET ? 4 : 16);
}

static void
state_cb(void *arg, int peer, enum vx0_bgp_state from, enum vx0_bgp_state to)
{
	struct vx0_ctl_bgp *b = arg;
	struct vx0_bgp_neighbor_info ni;
	char a[INET6_ADDRSTRLEN] = "?";

	if (vx0_bgp_neighbor_info(vx0_bgp_io_core(b->io), peer, &ni) == 0)
		inet_ntop(ni.addr.family == 4 ? AF_INET : AF_INET6, ni.addr.a, a, sizeof(a));
	vx0_log(VX0_LOG_NOTICE, "bgp", "peer %s: %s -> %s", a, vx0_bgp_state_name(from),
		vx0_bgp_state_name(to));
}

void
vx0_ctl_bgp_peer_config(const struct vx0_conf_bgp_peer *cp, struct vx0_bgp_peer_config *pc)
{
	memset(pc, 0, sizeof(*pc));
	pc->remote_as = cp->remote_as;
	to_bgp_addr(&pc->addr, cp->family, cp->addr);
	pc->passive = cp->passive;
	pc->hold_time = cp->hold_time;
	pc->ipv4_unicast = cp->ipv4;
	pc->ipv6_unicast = cp->ipv6;
	pc->graceful_restart = cp->graceful_restart;
	pc->max_prefix = cp->max_prefix;
	pc->max_prefix_action = VX0_BGP_MAXPFX_RESTART;
	pc->max_prefix_restart_ms = 60000;
	if (cp->nexthop6.family == AF_INET6)
		to_bgp_addr(&pc->nexthop6, AF_INET6, cp->nexthop6.addr);
	snprintf(pc->md5_key, sizeof(pc->md5_key), "%s", cp->md5_key);
	pc->ttl_security = cp->ttl_security;
	snprintf(pc->name, sizeof(pc->name), "%s", cp->name);
	/* the config owns the policies and outlives the speaker */
	pc->import = cp->import;
	pc->export = cp->export;
}

struct vx0_bgp_io *
vx0_ctl_bgp_io(struct vx0_ctl *ctl)
{
	return ctl->bgp ? ctl->bgp->io : NULL;
}

int
vx0_ctl_bgp_start(struct vx0_ctl *ctl, char *err, size_t errlen)
{
	const struct vx0_conf_bgp *g = &ctl->node->conf->bgp;
	struct vx0_bgp_config bc = {
		.local_as = g->local_as, .router_id = g->router_id,
		.hold_time = g->hold_time, .connect_retry_ms = g->connect_retry_ms,
	};
	struct vx0_bgp_io_config ioc = { 0 };
	const struct vx0_bgp_fib_ops ops = {
		.begin = fib_begin, .route_add = fib_route_add, .prefetch = fib_prefetch,
		.route_del = fib_route_del, .commit = fib_commit,
	};
	struct vx0_ctl_bgp *b;
	int rc;

	if (!g->enabled)
		return 0;
	b = rte_zmalloc("vx0_bgp", sizeof(*b), 0);
	if (b == NULL)
		return -ENOMEM;
	b->ctl = ctl;
	b->last_nh = -1;
	b->next_progress = 100000;
	b->io = vx0_bgp_io_create(ctl->loop, &bc, &ioc);
	if (b->io == NULL) {
		rte_free(b);
		snprintf(err, errlen, "bgp: cannot create the speaker");
		return -ENOMEM;
	}
	ctl->bgp = b;
	vx0_bgp_set_fib_ops(vx0_bgp_io_core(b->io), &ops, b);
	vx0_bgp_io_set_state_cb(b->io, state_cb, b);
	for (unsigned int i = 0; i < g->n_peers; i++) {
		struct vx0_bgp_peer_config pc;

		vx0_ctl_bgp_peer_config(&g->peers[i], &pc);
		rc = vx0_bgp_io_peer_add(b->io, &pc);
		sodium_memzero(pc.md5_key, sizeof(pc.md5_key)); /* a secret */
		if (rc < 0) {
			snprintf(err, errlen, "bgp.peers[%u]: %s", i, strerror(-rc));
			return rc;
		}
	}
	for (unsigned int i = 0; i < g->n_originate; i++) {
		struct vx0_bgp_prefix p = {
			.family = g->originate[i].family == AF_INET ? 4 : 6,
			.len = g->originate[i].len,
		};

		memcpy(p.a, g->originate[i].addr, 16);
		rc = vx0_bgp_originate(vx0_bgp_io_core(b->io), &p);
		if (rc < 0) {
			snprintf(err, errlen, "bgp.originate[%u]: %s", i, strerror(-rc));
			return rc;
		}
	}
	rc = vx0_bgp_io_start(b->io);
	if (rc < 0) {
		snprintf(err, errlen, "bgp: cannot start (listen on port 179?): %s", strerror(-rc));
		return rc;
	}
	return 0;
}

void
vx0_ctl_bgp_shutdown(struct vx0_ctl *ctl, uint64_t now_ms)
{
	struct vx0_bgp *bgp = vx0_ctl_bgp_core(ctl);

	if (bgp == NULL)
		return;
	/* Cease / Administrative Shutdown with an RFC 8203 message */
	for (int i = 0; i < vx0_bgp_peer_count(bgp); i++)
		vx0_bgp_peer_stop(bgp, i, "vx0d is shutting down", now_ms);
	vx0_bgp_io_kick(ctl->bgp->io);
}

void
vx0_ctl_bgp_stop(struct vx0_ctl *ctl)
{
	struct vx0_ctl_bgp *b = ctl->bgp;

	if (b == NULL)
		return;
	vx0_bgp_io_destroy(b->io);
	rte_free(b);
	ctl->bgp = NULL;
}

struct vx0_bgp *
vx0_ctl_bgp_core(struct vx0_ctl *ctl)
{
	return ctl->bgp ? vx0_bgp_io_core(ctl->bgp->io) : NULL;
}

void
vx0_ctl_bgp_fib_stats(struct vx0_ctl *ctl, uint64_t *installed, uint64_t *removed,
		      uint64_t *unresolved)
{
	struct vx0_ctl_bgp *b = ctl->bgp;

	*installed = b ? b->installed : 0;
	*removed = b ? b->removed : 0;
	*unresolved = b ? b->unresolved : 0;
}

void
vx0_ctl_bgp_kick(struct vx0_ctl *ctl)
{
	if (ctl->bgp)
		vx0_bgp_io_kick(ctl->bgp->io);
}
