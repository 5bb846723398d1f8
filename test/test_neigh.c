/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/neigh on a virtual clock: every state transition, queueing and its
 * overflow, failure, gratuitous updates, static entries, a full table, and
 * randomized sequences checked against invariants (every packet released
 * or dropped exactly once, the published table matches the entries).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "vx0_neigh.h"
#include "vx0_test.h"

#define MAXP 4096
#define MAXE 64

struct probe_ev {
	uint16_t port;
	int family;
	uint8_t addr[16];
	int unicast;
	uint8_t mac[6];
};

static struct {
	struct probe_ev probe[256];
	unsigned int nprobe;
	unsigned int npublish;
	struct { int valid; uint16_t port; uint8_t mac[6]; } pub[MAXE];
	uint32_t released[MAXP], dropped[MAXP];
	unsigned int nrel, ndrop;
	uint8_t rel_mac[MAXP][6];
	int fate[MAXP]; /* 0 unseen, 1 released, 2 dropped, 3 twice (bug) */
} ev;

static void
send_probe(void *ctx, uint16_t port, int family, const uint8_t *addr, const uint8_t *mac)
{
	struct probe_ev *p = &ev.probe[ev.nprobe++ % 256];

	(void)ctx;
	p->port = port;
	p->family = family;
	memcpy(p->addr, addr, family == VX0_NEIGH_AF_INET ? 4 : 16);
	p->unicast = mac != NULL;
	if (mac)
		memcpy(p->mac, mac, 6);
}

static void
publish(void *ctx, uint32_t idx, uint16_t port, const uint8_t *mac)
{
	(void)ctx;
	ev.npublish++;
	if (idx >= MAXE)
		return;
	ev.pub[idx].valid = mac != NULL;
	ev.pub[idx].port = port;
	if (mac)
		memcpy(ev.pub[idx].mac, mac, 6);
}

static void
fate(uint32_t id, int f)
{
	if (id < MAXP)
		ev.fate[id] = ev.fate[id] ? 3 : f;
}

static void
release(void *ctx, void *pkt, uint16_t port, const uint8_t *mac)
{
	uint32_t id = (uint32_t)(uintptr_t)pkt;

	(void)ctx;
	(void)port;
	if (ev.nrel < MAXP) {
		memcpy(ev.rel_mac[ev.nrel], mac, 6);
		ev.released[ev.nrel++] = id;
	}
	fate(id, 1);
}

static void
drop(void *ctx, void *pkt)
{
	uint32_t id = (uint32_t)(uintptr_t)pkt;

	(void)ctx;
	if (ev.ndrop < MAXP)
		ev.dropped[ev.ndrop++] = id;
	fate(id, 2);
}

static const struct vx0_neigh_ops ops = { send_probe, publish, release, drop };

#define PKT(n) ((void *)(uintptr_t)(n))
static const uint8_t ip_a[4] = { 198, 51, 100, 2 }, ip_b[4] = { 198, 51, 100, 3 };
static const uint8_t ip6_a[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
static const uint8_t mac_a[6] = { 2, 0, 0, 0, 0, 0xa }, mac_b[6] = { 2, 0, 0, 0, 0, 0xb };
#define V4 VX0_NEIGH_AF_INET
#define V6 VX0_NEIGH_AF_INET6
#define SOL (VX0_NEIGH_F_SOLICITED | VX0_NEIGH_F_OVERRIDE)

static struct vx0_neigh *
mk(uint32_t max, uint32_t qlen)
{
	struct vx0_neigh_conf c = { .max_entries = max, .queue_len = qlen, .hash_seed = 0x1234 };

	memset(&ev, 0, sizeof(ev));
	return vx0_neigh_create(&c, &ops, NULL);
}

static int
state_of(struct vx0_neigh *t, int idx)
{
	struct vx0_neigh_info in;

	if (idx < 0 || vx0_neigh_get(t, (uint32_t)idx, &in) != 0)
		return -1;
	return (int)in.state;
}

static struct vx0_neigh_stats
stats(struct vx0_neigh *t)
{
	struct vx0_neigh_stats s;

	vx0_neigh_get_stats(t, &s);
	return s;
}

static void
test_create(void)
{
	struct vx0_neigh_conf c = { .queue_len = 256 };
	struct vx0_neigh_ops bad = ops;
	struct vx0_neigh *t;

	errno = 0;
	CHECK(vx0_neigh_create(&c, &ops, NULL) == NULL);
	CHECK_EQ(errno, EINVAL);
	bad.drop = NULL;
	CHECK(vx0_neigh_create(NULL, &bad, NULL) == NULL);
	t = vx0_neigh_create(NULL, &ops, NULL); /* all defaults */
	CHECK(t != NULL);
	CHECK_EQ(vx0_neigh_count(t), 0);
	CHECK_EQ(vx0_neigh_resolve(t, 0, 7, ip_a, NULL, 0), -EINVAL);
	CHECK_EQ(vx0_neigh_resolve(t, 0, V4, NULL, NULL, 0), -EINVAL);
	vx0_neigh_destroy(t);
	vx0_neigh_destroy(NULL);
}

static void
test_resolve_to_reachable(void)
{
	struct vx0_neigh *t = mk(8, 3);
	struct vx0_neigh_info in;
	int idx;

	idx = vx0_neigh_resolve(t, 1, V4, ip_a, PKT(1), 0);
	CHECK(idx >= 0 && idx < 8);
	CHECK_EQ(state_of(t, idx), VX0_NEIGH_INCOMPLETE);
	CHECK_EQ(ev.nprobe, 1);
	CHECK_EQ(ev.probe[0].unicast, 0);
	CHECK_EQ(ev.probe[0].port, 1);
	CHECK_MEM(ev.probe[0].addr, ip_a, 4);
	CHECK_EQ(vx0_neigh_resolve(t, 1, V4, ip_a, PKT(2), 10), idx);
	CHECK_EQ(ev.nprobe, 1); /* no new solicitation per packet */
	vx0_neigh_get(t, (uint32_t)idx, &in);
	CHECK_EQ(in.queued, 2);
	CHECK_EQ(ev.npublish, 0);
	CHECK_EQ(vx0_neigh_input(t, 1, V4, ip_a, mac_a, SOL, 100), idx);
	CHECK_EQ(state_of(t, idx), VX0_NEIGH_REACHABLE);
	CHECK_EQ(ev.npublish, 1);
	CHECK(ev.pub[idx].valid);
	CHECK_MEM(ev.pub[idx].mac, mac_a, 6);
	CHECK_EQ(ev.pub[idx].port, 1);
	CHECK_EQ(ev.nrel, 2);
	CHECK_EQ(ev.released[0], 1);
	CHECK_EQ(ev.released[1], 2);
	CHECK_MEM(ev.rel_mac[0], mac_a, 6);
	CHECK_EQ(vx0_neigh_resolve(t, 1, V4, ip_a, PKT(3), 200), idx);
	CHECK_EQ(ev.nrel, 3);
	CHECK_EQ(ev.released[2], 3);
	CHECK_EQ(stats(t).solicits, 1);
	CHECK_EQ(stats(t).replies, 1);
	CHECK_EQ(stats(t).queued, 2);
	CHECK_EQ(stats(t).released, 3);
	vx0_neigh_destroy(t);
}

static void
test_retransmit_fail_hold(void)
{
	struct vx0_neigh *t = mk(8, 3);
	int idx;

	idx = vx0_neigh_resolve(t, 0, V4, ip_a, PKT(1), 0);
	vx0_neigh_resolve(t, 0, V4, ip_a, PKT(2), 5);
	CHECK_EQ(vx0_neigh_tick(t, 999), 1);
	CHECK_EQ(ev.nprobe, 1);
	vx0_neigh_tick(t, 1000);
	CHECK_EQ(ev.nprobe, 2);
	vx0_neigh_tick(t, 2000);
	CHECK_EQ(ev.nprobe, 3);
	CHECK_EQ(state_of(t, idx), VX0_NEIGH_INCOMPLETE);
	vx0_neigh_tick(t, 3000); /* 3 solicits unanswered */
	CHECK_EQ(ev.nprobe, 3);
	CHECK_EQ(state_of(t, idx), VX0_NEIGH_FAILED);
	CHECK_EQ(ev.ndrop, 2);
	CHECK_EQ(ev.dropped[0], 1);
	CHECK_EQ(ev.dropped[1], 2);
	CHECK_EQ(stats(t).failures, 1);
	CHECK_EQ(stats(t).fail_drops, 2);
	CHECK_EQ(ev.npublish, 0);
	/* hold: packets dropped at once, no solicitation */
	CHECK_EQ(vx0_neigh_resolve(t, 0, V4, ip_a, PKT(3), 4000), idx);
	CHECK_EQ(ev.ndrop, 3);
	CHECK_EQ(ev.nprobe, 3);
	/* a referenced FAILED entry outlives the hold and re-resolves on use */
	CHECK_EQ(vx0_neigh_ref(t, (uint32_t)idx), 0);
	vx0_neigh_tick(t, 6000);
	CHECK_EQ(state_of(t, idx), VX0_NEIGH_FAILED);
	CHECK_EQ(vx0_neigh_resolve(t, 0, V4, ip_a, PKT(4), 6001), idx);
	CHECK_EQ(state_of(t, idx), VX0_NEIGH_INCOMPLETE);
	CHECK_EQ(ev.nprobe, 4);
	vx0_neigh_tick(t, 7001);
	vx0_neigh_tick(t, 8001);
	vx0_neigh_tick(t, 9001);
	CHECK_EQ(state_of(t, idx), VX0_NEIGH_FAILED);
	CHECK_EQ(ev.dropped[ev.ndrop - 1], 4);
	/* unreferenced: collected when the hold ends */
	CHECK_EQ(vx0_neigh_unref(t, (uint32_t)idx), 0);
	CHECK_EQ(vx0_neigh_unref(t, (uint32_t)idx), -EINVAL);
	vx0_neigh_tick(t, 12000);
	CHECK_EQ(state_of(t, idx), VX0_NEIGH_FAILED);
	vx0_neigh_tick(t, 12001);
	CHECK_EQ(state_of(t, idx), VX0_NEIGH_FREE);
	CHECK_EQ(vx0_neigh_count(t), 0);
	CHECK_EQ(vx0_neigh_lookup(t, 0, V4, ip_a), -ENOENT);
	CHECK_EQ(stats(t).gc, 1);
	vx0_neigh_destroy(t);
}

static void
test_queue_overflow(void)
{
	struct vx0_neigh *t = mk(8, 3);
	struct vx0_neigh_info in;
	int idx = 0;
	uint32_t i;

	for (i = 1; i <= 5; i++)
		idx = vx0_neigh_resolve(t, 0, V6, ip6_a, PKT(i), i);
	vx0_neigh_get(t, (uint32_t)idx, &in);
	CHECK_EQ(in.queued, 3);
	/* RFC 4861 7.2.2: the oldest make way */
	CHECK_EQ(ev.ndrop, 2);
	CHECK_EQ(ev.dropped[0], 1);
	CHECK_EQ(ev.dropped[1], 2);
	CHECK_EQ(stats(t).queue_drops, 2);
	CHECK_EQ(ev.probe[0].family, V6);
	CHECK_MEM(ev.probe[0].addr, ip6_a, 16);
	vx0_neigh_input(t, 0, V6, ip6_a, mac_b, SOL, 50);
	CHECK_EQ(ev.nrel, 3);
	CHECK_EQ(ev.released[0], 3);
	CHECK_EQ(ev.released[2], 5);
	vx0_neigh_get(t, (uint32_t)idx, &in);
	CHECK_EQ(in.queued, 0);
	/* destroy drops what is still queued */
	vx0_neigh_resolve(t, 0, V4, ip_b, PKT(9), 60);
	vx0_neigh_destroy(t);
	CHECK_EQ(ev.dropped[ev.ndrop - 1], 9);
}

/* Brings ip_a to REACHABLE with mac_a at time 0; returns its index. */
static int
reachable(struct vx0_neigh *t)
{
	int idx = vx0_neigh_resolve(t, 0, V4, ip_a, NULL, 0);

	vx0_neigh_input(t, 0, V4, ip_a, mac_a, SOL, 0);
	return idx;
}

static void
test_nud_cycle(void)
{
	struct vx0_neigh *t = mk(8, 3);
	int idx = reachable(t);
	unsigned int pubs = ev.npublish;

	vx0_neigh_tick(t, 29999);
	CHECK_EQ(state_of(t, idx), VX0_NEIGH_REACHABLE);
	vx0_neigh_tick(t, 30000);
	CHECK_EQ(state_of(t, idx), VX0_NEIGH_STALE);
	CHECK_EQ(ev.npublish, pubs); /* still usable: the data plane keeps it */
	/* the first use of a stale entry sends the packet and starts DELAY */
	vx0_neigh_resolve(t, 0, V4, ip_a, PKT(7), 31000);
	CHECK_EQ(ev.nrel, 1);
	CHECK_MEM(ev.rel_mac[0], mac_a, 6);
	CHECK_EQ(state_of(t, idx), VX0_NEIGH_DELAY);
	vx0_neigh_tick(t, 35999);
	CHECK_EQ(state_of(t, idx), VX0_NEIGH_DELAY);
	vx0_neigh_tick(t, 36000);
	CHECK_EQ(state_of(t, idx), VX0_NEIGH_PROBE);
	CHECK_EQ(ev.nprobe, 2);
	CHECK_EQ(ev.probe[1].unicast, 1);
	CHECK_MEM(ev.probe[1].mac, mac_a, 6);
	CHECK_EQ(stats(t).probes, 1);
	/* the probe is answered */
	vx0_neigh_input(t, 0, V4, ip_a, mac_a, SOL, 36500);
	CHECK_EQ(state_of(t, idx), VX0_NEIGH_REACHABLE);
	CHECK_EQ(ev.npublish, pubs);
	/* again, this time unanswered: 3 unicast probes, then FAILED */
	vx0_neigh_tick(t, 66500);
	vx0_neigh_touch(t, (uint32_t)idx, 66600);
	CHECK_EQ(state_of(t, idx), VX0_NEIGH_DELAY);
	vx0_neigh_tick(t, 71600);
	vx0_neigh_tick(t, 72600);
	vx0_neigh_tick(t, 73600);
	CHECK_EQ(stats(t).probes, 4);
	CHECK_EQ(state_of(t, idx), VX0_NEIGH_PROBE);
	vx0_neigh_tick(t, 74600);
	CHECK_EQ(state_of(t, idx), VX0_NEIGH_FAILED);
	CHECK_EQ(ev.pub[idx].valid, 0);
	CHECK_EQ(ev.npublish, pubs + 1);
	CHECK_EQ(vx0_neigh_touch(t, 99, 0), -EINVAL);
	vx0_neigh_destroy(t);
}

static void
test_delay_confirmed(void)
{
	struct vx0_neigh *t = mk(8, 3);
	int idx = reachable(t);

	vx0_neigh_tick(t, 30000);
	vx0_neigh_resolve(t, 0, V4, ip_a, NULL, 30001);
	CHECK_EQ(state_of(t, idx), VX0_NEIGH_DELAY);
	/* upper-layer confirmation (RFC 4861 7.3.1) */
	CHECK_EQ(vx0_neigh_confirm(t, 0, V4, ip_a, 32000), idx);
	CHECK_EQ(state_of(t, idx), VX0_NEIGH_REACHABLE);
	vx0_neigh_tick(t, 40000);
	CHECK_EQ(state_of(t, idx), VX0_NEIGH_REACHABLE);
	CHECK_EQ(ev.nprobe, 1);
	CHECK_EQ(vx0_neigh_confirm(t, 0, V4, ip_b, 0), -ENOENT);
	vx0_neigh_destroy(t);
}

static void
test_input_rules(void)
{
	struct vx0_neigh *t = mk(8, 3);
	static const uint8_t grp[6] = { 1, 0, 0x5e, 0, 0, 1 }, zero[6];
	int idx;

	/* adverts never create entries */
	CHECK_EQ(vx0_neigh_input(t, 0, V4, ip_a, mac_a, SOL, 0), -ENOENT);
	CHECK_EQ(vx0_neigh_input(t, 0, V4, ip_a, mac_a, 0, 0), -ENOENT);
	CHECK_EQ(vx0_neigh_count(t), 0);
	CHECK_EQ(stats(t).ignored, 2);
	/* their solicitation does: STALE (RFC 4861 7.2.3) */
	idx = vx0_neigh_input(t, 0, V4, ip_a, mac_a, VX0_NEIGH_F_REQUEST, 0);
	CHECK(idx >= 0);
	CHECK_EQ(state_of(t, idx), VX0_NEIGH_STALE);
	CHECK(ev.pub[idx].valid);
	CHECK_EQ(ev.npublish, 1);
	/* a solicitation with a new MAC updates it */
	vx0_neigh_input(t, 0, V4, ip_a, mac_b, VX0_NEIGH_F_REQUEST, 10);
	CHECK_MEM(ev.pub[idx].mac, mac_b, 6);
	CHECK_EQ(ev.npublish, 2);
	CHECK_EQ(stats(t).mac_changes, 1);
	/* solicited confirmation without a link-layer option */
	vx0_neigh_input(t, 0, V4, ip_a, NULL, VX0_NEIGH_F_SOLICITED, 20);
	CHECK_EQ(state_of(t, idx), VX0_NEIGH_REACHABLE);
	/* solicited but no override with another MAC: REACHABLE -> STALE, MAC kept */
	vx0_neigh_input(t, 0, V4, ip_a, mac_a, VX0_NEIGH_F_SOLICITED, 30);
	CHECK_EQ(state_of(t, idx), VX0_NEIGH_STALE);
	CHECK_MEM(ev.pub[idx].mac, mac_b, 6);
	CHECK_EQ(ev.npublish, 2);
	/* unsolicited override with another MAC: STALE with the new MAC */
	vx0_neigh_input(t, 0, V4, ip_a, mac_a, VX0_NEIGH_F_OVERRIDE, 40);
	CHECK_EQ(state_of(t, idx), VX0_NEIGH_STALE);
	CHECK_MEM(ev.pub[idx].mac, mac_a, 6);
	CHECK_EQ(ev.npublish, 3);
	/* unsolicited same MAC: no change */
	vx0_neigh_input(t, 0, V4, ip_a, mac_a, VX0_NEIGH_F_OVERRIDE, 50);
	CHECK_EQ(state_of(t, idx), VX0_NEIGH_STALE);
	CHECK_EQ(ev.npublish, 3);
	/* bad MACs */
	CHECK_EQ(vx0_neigh_input(t, 0, V4, ip_a, grp, SOL, 60), -EINVAL);
	CHECK_EQ(vx0_neigh_input(t, 0, V4, ip_a, zero, SOL, 60), -EINVAL);
	CHECK_EQ(vx0_neigh_input(t, 0, 99, ip_a, mac_a, SOL, 60), -EINVAL);
	/* an NA without a link-layer option can't complete an INCOMPLETE entry */
	idx = vx0_neigh_resolve(t, 0, V4, ip_b, PKT(1), 70);
	vx0_neigh_input(t, 0, V4, ip_b, NULL, SOL, 80);
	CHECK_EQ(state_of(t, idx), VX0_NEIGH_INCOMPLETE);
	/* an unsolicited one with the option does, as STALE, and the queue goes out */
	vx0_neigh_input(t, 0, V4, ip_b, mac_b, VX0_NEIGH_F_OVERRIDE, 90);
	CHECK_EQ(state_of(t, idx), VX0_NEIGH_STALE);
	CHECK_EQ(ev.nrel, 1);
	vx0_neigh_destroy(t);
}

static void
test_gratuitous(void)
{
	struct vx0_neigh *t = mk(8, 3);
	int idx = reachable(t);

	/* gratuitous ARP with a new MAC (failover): STALE, new MAC published */
	CHECK_EQ(vx0_neigh_input(t, 0, V4, ip_a, mac_b, VX0_NEIGH_F_GRATUITOUS | VX0_NEIGH_F_OVERRIDE, 10), idx);
	CHECK_EQ(state_of(t, idx), VX0_NEIGH_STALE);
	CHECK(ev.pub[idx].valid);
	CHECK_MEM(ev.pub[idx].mac, mac_b, 6);
	CHECK_EQ(stats(t).mac_changes, 1);
	vx0_neigh_resolve(t, 0, V4, ip_a, PKT(1), 20);
	CHECK_MEM(ev.rel_mac[0], mac_b, 6);
	/* ... but never creates an entry */
	CHECK_EQ(vx0_neigh_input(t, 0, V4, ip_b, mac_b,
				 VX0_NEIGH_F_GRATUITOUS | VX0_NEIGH_F_REQUEST | VX0_NEIGH_F_OVERRIDE, 30), -ENOENT);
	CHECK_EQ(vx0_neigh_lookup(t, 0, V4, ip_b), -ENOENT);
	vx0_neigh_destroy(t);
}

static void
test_static(void)
{
	struct vx0_neigh *t = mk(8, 3);
	int idx, idx2;

	idx = vx0_neigh_add_static(t, 2, V4, ip_a, mac_a);
	CHECK(idx >= 0);
	CHECK_EQ(state_of(t, idx), VX0_NEIGH_STATIC);
	CHECK(ev.pub[idx].valid);
	CHECK_EQ(ev.pub[idx].port, 2);
	vx0_neigh_tick(t, 1000000000ull);
	CHECK_EQ(state_of(t, idx), VX0_NEIGH_STATIC);
	CHECK_EQ(ev.nprobe, 0);
	vx0_neigh_input(t, 2, V4, ip_a, mac_b, SOL, 10);
	vx0_neigh_input(t, 2, V4, ip_a, mac_b, VX0_NEIGH_F_GRATUITOUS | VX0_NEIGH_F_OVERRIDE, 10);
	CHECK_MEM(ev.pub[idx].mac, mac_a, 6);
	vx0_neigh_resolve(t, 2, V4, ip_a, PKT(1), 20);
	CHECK_MEM(ev.rel_mac[0], mac_a, 6);
	CHECK_EQ(vx0_neigh_add_static(t, 2, V4, ip_a, (const uint8_t[6]){ 1, 2, 3, 4, 5, 6 }), -EINVAL);
	/* a static entry over an INCOMPLETE one releases its queue */
	idx2 = vx0_neigh_resolve(t, 2, V4, ip_b, PKT(2), 30);
	CHECK_EQ(vx0_neigh_add_static(t, 2, V4, ip_b, mac_b), idx2);
	CHECK_EQ(ev.released[1], 2);
	CHECK_MEM(ev.rel_mac[1], mac_b, 6);
	/* del */
	CHECK_EQ(vx0_neigh_del(t, 2, V4, ip_a), 0);
	CHECK_EQ(ev.pub[idx].valid, 0);
	CHECK_EQ(state_of(t, idx), VX0_NEIGH_FREE);
	CHECK_EQ(vx0_neigh_del(t, 2, V4, ip_a), -ENOENT);
	/* del of a referenced entry keeps the index */
	vx0_neigh_ref(t, (uint32_t)idx2);
	CHECK_EQ(vx0_neigh_del(t, 2, V4, ip_b), 0);
	CHECK_EQ(vx0_neigh_lookup(t, 2, V4, ip_b), idx2);
	CHECK_EQ(state_of(t, idx2), VX0_NEIGH_FAILED);
	CHECK_EQ(ev.pub[idx2].valid, 0);
	vx0_neigh_destroy(t);
}

static void
test_table_full(void)
{
	struct vx0_neigh *t = mk(4, 3);
	uint8_t a[4] = { 203, 0, 113, 0 };
	int idx[4], i, n;

	for (i = 0; i < 4; i++) {
		a[3] = (uint8_t)(10 + i);
		idx[i] = vx0_neigh_resolve(t, 0, V4, a, NULL, (uint64_t)i);
		CHECK(idx[i] >= 0 && idx[i] < 4);
	}
	CHECK(idx[0] != idx[1] && idx[1] != idx[2] && idx[2] != idx[3] && idx[0] != idx[3]);
	a[3] = 20;
	/* all INCOMPLETE: nothing to evict */
	CHECK_EQ(vx0_neigh_resolve(t, 0, V4, a, PKT(1), 10), -ENOSPC);
	CHECK_EQ(ev.dropped[0], 1);
	CHECK_EQ(stats(t).full_drops, 1);
	CHECK_EQ(vx0_neigh_input(t, 0, V4, a, mac_a, VX0_NEIGH_F_REQUEST, 10), -ENOSPC);
	/* two become STALE; the least recently used one is evicted */
	a[3] = 11;
	vx0_neigh_input(t, 0, V4, a, mac_a, VX0_NEIGH_F_OVERRIDE, 11);
	a[3] = 12;
	vx0_neigh_input(t, 0, V4, a, mac_b, VX0_NEIGH_F_OVERRIDE, 12);
	vx0_neigh_resolve(t, 0, V4, a, NULL, 13); /* 12 used later (now DELAY) */
	a[3] = 20;
	n = vx0_neigh_resolve(t, 0, V4, a, NULL, 14);
	CHECK_EQ(n, idx[1]);
	CHECK_EQ(stats(t).evictions, 1);
	CHECK_EQ(ev.pub[idx[1]].valid, 0);
	a[3] = 11;
	CHECK_EQ(vx0_neigh_lookup(t, 0, V4, a), -ENOENT);
	CHECK_EQ(vx0_neigh_count(t), 4);
	/* referenced STALE entries are not evicted */
	a[3] = 12;
	vx0_neigh_tick(t, 6000); /* DELAY -> PROBE */
	vx0_neigh_input(t, 0, V4, a, mac_b, VX0_NEIGH_F_OVERRIDE | VX0_NEIGH_F_SOLICITED, 6001);
	vx0_neigh_tick(t, 40000); /* 12 goes STALE; the others still solicit */
	CHECK_EQ(state_of(t, idx[2]), VX0_NEIGH_STALE);
	for (i = 0; i < 4; i++)
		vx0_neigh_ref(t, (uint32_t)i);
	a[3] = 30;
	CHECK_EQ(vx0_neigh_resolve(t, 0, V4, a, NULL, 40001), -ENOSPC);
	vx0_neigh_destroy(t);
}

static void
test_keys_distinct(void)
{
	struct vx0_neigh *t = mk(16, 3);
	uint8_t a6[16] = { 198, 51, 100, 2 }; /* same first 4 bytes as ip_a */
	int i1, i2, i3;

	i1 = vx0_neigh_resolve(t, 0, V4, ip_a, NULL, 0);
	i2 = vx0_neigh_resolve(t, 1, V4, ip_a, NULL, 0);
	i3 = vx0_neigh_resolve(t, 0, V6, a6, NULL, 0);
	CHECK(i1 != i2 && i2 != i3 && i1 != i3);
	CHECK_EQ(vx0_neigh_lookup(t, 0, V4, ip_a), i1);
	CHECK_EQ(vx0_neigh_lookup(t, 1, V4, ip_a), i2);
	CHECK_EQ(vx0_neigh_lookup(t, 0, V6, a6), i3);
	CHECK_EQ(vx0_neigh_count(t), 3);
	vx0_neigh_destroy(t);
}

static void
test_stale_gc(void)
{
	struct vx0_neigh *t = mk(8, 3);
	int idx = reachable(t);

	vx0_neigh_tick(t, 30000);
	CHECK_EQ(state_of(t, idx), VX0_NEIGH_STALE);
	vx0_neigh_tick(t, 599999);
	CHECK_EQ(state_of(t, idx), VX0_NEIGH_STALE);
	vx0_neigh_tick(t, 600000);
	CHECK_EQ(state_of(t, idx), VX0_NEIGH_FREE);
	CHECK_EQ(ev.pub[idx].valid, 0);
	CHECK_EQ(stats(t).gc, 1);
	vx0_neigh_destroy(t);
}

static int
collect(void *arg, const struct vx0_neigh_info *in)
{
	char *s = arg;

	strcat(s, vx0_neigh_state_name(in->state));
	strcat(s, ",");
	return strlen(s) > 30 ? 7 : 0;
}

static void
test_iterate_and_deadline(void)
{
	struct vx0_neigh *t = mk(8, 3);
	char s[256] = "";

	reachable(t);
	vx0_neigh_resolve(t, 0, V4, ip_b, NULL, 0);
	vx0_neigh_add_static(t, 0, V6, ip6_a, mac_b);
	CHECK_EQ(vx0_neigh_foreach(t, collect, s), 0);
	CHECK(strcmp(s, "reachable,incomplete,static,") == 0);
	CHECK(strcmp(vx0_neigh_state_name(VX0_NEIGH_PROBE), "probe") == 0);
	CHECK(strcmp(vx0_neigh_state_name(99), "unknown") == 0);
	/* the iterator stops on a non-zero return */
	vx0_neigh_add_static(t, 1, V6, ip6_a, mac_b);
	vx0_neigh_add_static(t, 2, V6, ip6_a, mac_b);
	s[0] = 0;
	CHECK_EQ(vx0_neigh_foreach(t, collect, s), 7);
	/* the next deadline: ip_b's retransmit at 1000 */
	CHECK_EQ(vx0_neigh_tick(t, 400), 600);
	vx0_neigh_destroy(t);
}

/* ---- randomized sequences ---- */

static uint64_t rs;
static unsigned int seen_states; /* bit per state met by the randomized runs */

static uint32_t
rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return (uint32_t)rs;
}

static int
check_entry(void *arg, const struct vx0_neigh_info *in)
{
	struct vx0_neigh *t = arg;
	int has = in->state == VX0_NEIGH_REACHABLE || in->state == VX0_NEIGH_STALE ||
		  in->state == VX0_NEIGH_DELAY || in->state == VX0_NEIGH_PROBE ||
		  in->state == VX0_NEIGH_STATIC;

	seen_states |= 1u << in->state;
	CHECK(in->idx < 16);
	CHECK(in->queued <= 2);
	CHECK(in->queued == 0 || in->state == VX0_NEIGH_INCOMPLETE);
	CHECK_EQ(ev.pub[in->idx].valid, has);
	if (has)
		CHECK_MEM(ev.pub[in->idx].mac, in->mac, 6);
	CHECK_EQ(vx0_neigh_lookup(t, in->port, in->family, in->addr), (int)in->idx);
	return 0;
}

static void
test_randomized(void)
{
	static const uint8_t macs[3][6] = { { 2, 0, 0, 0, 0, 1 }, { 2, 0, 0, 0, 0, 2 }, { 2, 0, 0, 0, 0, 3 } };
	static const unsigned int fl[] = { 0, VX0_NEIGH_F_SOLICITED, VX0_NEIGH_F_OVERRIDE, SOL,
					   VX0_NEIGH_F_REQUEST, VX0_NEIGH_F_GRATUITOUS | VX0_NEIGH_F_OVERRIDE };
	struct vx0_neigh_conf c = { .max_entries = 16, .queue_len = 2, .retrans_ms = 100,
				    .reachable_ms = 1000, .delay_ms = 300, .stale_gc_ms = 5000,
				    .failed_hold_ms = 500 };
	uint32_t seed, step, npkt, i;
	int refs[16];

	for (seed = 1; seed <= 20; seed++) {
		struct vx0_neigh *t;
		uint64_t now = 0;

		memset(&ev, 0, sizeof(ev));
		memset(refs, 0, sizeof(refs));
		c.hash_seed = seed;
		t = vx0_neigh_create(&c, &ops, NULL);
		rs = 0x9e3779b97f4a7c15ull * seed;
		npkt = 0;
		for (step = 0; step < 3000; step++) {
			uint8_t a[4] = { 203, 0, 113, (uint8_t)(rnd() % 24) };
			uint16_t port = (uint16_t)(rnd() % 2);
			int r, idx;

			now += rnd() % 150;
			switch (rnd() % 9) {
			case 0: case 1:
				if (npkt + 1 < MAXP)
					npkt++;
				r = vx0_neigh_resolve(t, port, V4, a, PKT(npkt), now);
				CHECK(r >= 0 || r == -ENOSPC);
				break;
			case 2: case 3:
				r = vx0_neigh_input(t, port, V4, a, rnd() % 8 ? macs[rnd() % 3] : NULL,
						    fl[rnd() % 6], now);
				CHECK(r >= 0 || r == -ENOENT || r == -ENOSPC);
				break;
			case 4: case 5:
				vx0_neigh_tick(t, now);
				break;
			case 6:
				if (rnd() % 4 == 0)
					vx0_neigh_add_static(t, port, V4, a, macs[rnd() % 3]);
				else if (rnd() % 2)
					vx0_neigh_del(t, port, V4, a);
				else
					vx0_neigh_confirm(t, port, V4, a, now);
				break;
			case 7:
				idx = vx0_neigh_lookup(t, port, V4, a);
				if (idx >= 0 && refs[idx] < 2 && vx0_neigh_ref(t, (uint32_t)idx) == 0)
					refs[idx]++;
				break;
			case 8:
				idx = (int)(rnd() % 16);
				if (refs[idx] && vx0_neigh_unref(t, (uint32_t)idx) == 0)
					refs[idx]--;
				break;
			}
			if (step % 5 == 0)
				vx0_neigh_foreach(t, check_entry, t);
		}
		vx0_neigh_foreach(t, check_entry, t);
		vx0_neigh_destroy(t);
		/* every packet handed in was released or dropped, exactly once */
		for (i = 1; i <= npkt; i++)
			CHECK(ev.fate[i] == 1 || ev.fate[i] == 2);
		CHECK_EQ(ev.nrel + ev.ndrop, npkt);
	}
	/* the sequences reached every state */
	CHECK_EQ(seen_states, ((1u << VX0_NEIGH_STATE_MAX) - 1) & ~1u);
}

int
main(void)
{
	VX0_RUN(test_create);
	VX0_RUN(test_resolve_to_reachable);
	VX0_RUN(test_retransmit_fail_hold);
	VX0_RUN(test_queue_overflow);
	VX0_RUN(test_nud_cycle);
	VX0_RUN(test_delay_confirmed);
	VX0_RUN(test_input_rules);
	VX0_RUN(test_gratuitous);
	VX0_RUN(test_static);
	VX0_RUN(test_table_full);
	VX0_RUN(test_keys_distinct);
	VX0_RUN(test_stale_gc);
	VX0_RUN(test_iterate_and_deadline);
	VX0_RUN(test_randomized);
	return vx0_test_done();
}
