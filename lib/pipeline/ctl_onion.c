/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The onion relay's slow path (doc/onion.md 6.3, README "Onion relay"):
 * lib/onion's sans-IO relay core on the ctl lcore. The onion lcores punt
 * what needs thought — handshakes on a low-priority ring served after
 * everything else, other control cells, cells peeled for this hop, failures
 * and exit return traffic — and the core's actions come out here: cells
 * to send (an outer IP/UDP packet through the FIB), circuit entries to
 * install in or remove from the data plane's table (RCU), links.
 *
 * The exit itself (policy, meter, NAT, replies) runs on the onion lcores
 * (stage_onion_exit.c); only its set-up is here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <rte_cycles.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_meter.h>
#include <sodium.h>

#include "vx0_ctl.h"
#include "vx0_dht_sock.h"
#include "vx0_log.h"
#include "vx0_onion_dp.h"

#define HI_BURST 64
#define LO_BURST 8        /* handshakes per pass: after every other cell */
#define TICK_MS 100
#define NAT_PROTOS 3      /* TCP, UDP, ICMP echo */

struct vx0_ctl_onion {
	struct vx0_ctl *ctl;
	struct vx0_onion_dp *od;
	struct vx0_onion_relay *relay;
	uint8_t id[32], onion_pk[32];
	uint64_t tick_ms, bytes_ms;
	uint64_t sent, send_failed, installs, removes, install_failed;
	uint64_t unexpected_deliver;
	/* cover: PADDING cells to idle links that carry circuits */
	uint64_t *pad_seen;        /* [max_links + 1]: tx_cells at the last tick */
	uint8_t *pad_used;         /* [max_links + 1]: scratch, links with circuits */
	double pad_credit;
	uint64_t pad_ms, padding_sent;
};

/* ---------------------------------------------------------------- */
/* sending cells                                                    */

static void
peer_of(const struct vx0_onion_addr *a, struct vx0_onion_peer *p)
{
	memset(p, 0, sizeof(*p));
	p->family = a->family;
	p->port = a->port;
	memcpy(p->addr, a->addr, a->family == 4 ? 4 : 16);
}

/* Our address toward a peer we contact first (EXTEND): the first address
 * of the family on the port the FIB sends it out of, else the relay's
 * descriptor address. */
static void
pick_src(struct vx0_ctl *ctl, const struct vx0_onion_addr *a, uint8_t src[16])
{
	struct vx0_node *node = ctl->node;
	const struct vx0_conf_onion *oc = &node->conf->onion;
	const struct vx0_fib_nh *nh = NULL;
	uint32_t id;
	int rc;

	memset(src, 0, 16);
	if (a->family == 4) {
		uint32_t d;

		memcpy(&d, a->addr, 4);
		rc = vx0_fib_lookup4(node->fib, rte_be_to_cpu_32(d), &id);
	} else {
		rc = vx0_fib_lookup6(node->fib, a->addr, &id);
	}
	if (rc == 0)
		nh = vx0_fib_nh(node->fib, id);
	if (nh && (nh->type == VX0_NH_FWD || nh->type == VX0_NH_GLEAN)) {
		const struct vx0_port *p = &node->ports[nh->port];

		if (a->family == 4 && p->n_ip4) {
			memcpy(src, &p->ip4[0], 4);
			return;
		}
		if (a->family == 6 && p->n_ip6) {
			memcpy(src, p->ip6[0], 16);
			return;
		}
	}
	if ((oc->addr.family == AF_INET) == (a->family == 4))
		memcpy(src, oc->addr.addr, a->family == 4 ? 4 : 16);
}

static void
send_cell(struct vx0_ctl_onion *o, uint32_t link_id, const uint8_t *cell)
{
	struct vx0_ctl *ctl = o->ctl;
	struct vx0_onion_table *t = o->od->tab;
	struct rte_mbuf *m;
	uint8_t *p;

	if (link_id == 0 || link_id > t->max_links || !t->link[link_id].live) {
		o->send_failed++;
		return;
	}
	m = vx0_ctl_alloc(ctl);
	if (m == NULL) {
		o->send_failed++;
		return;
	}
	p = (uint8_t *)rte_pktmbuf_append(m, VX0_ONION_CELL_LEN);
	if (p == NULL) {
		rte_pktmbuf_free(m);
		o->send_failed++;
		return;
	}
	memcpy(p, cell, VX0_ONION_CELL_LEN);
	__atomic_fetch_add(&t->link[link_id].tx_cells, 1, __ATOMIC_RELAXED);
	if (vx0_onion_dp_encap(o->od, m, p, &t->link[link_id], &ctl->node->ports[0].mac) < 0) {
		rte_pktmbuf_free(m);
		o->send_failed++;
		return;
	}
	vx0_meta(ctl->node, m)->in_port = 0;
	o->sent++;
	vx0_classify(ctl->lc, 0, &m, 1, VX0_CLS_LOCAL_ORIGIN);
}


/* Carry out everything the relay core asked for. `local` is our address
 * the current datagram came to: a new link from that peer answers from it. */
static void
drain(struct vx0_ctl_onion *o, const uint8_t *local)
{
	struct vx0_onion_action *a = rte_malloc("vx0_onion_act", sizeof(*a), 0);

	if (a == NULL)
		return;
	while (vx0_onion_relay_next_action(o->relay, a)) {
		switch (a->type) {
		case VX0_ONION_ACT_SEND:
			send_cell(o, a->link, a->cell);
			break;
		case VX0_ONION_ACT_INSTALL:
			if (vx0_onion_table_install(o->od->tab, &a->entry, o->ctl->now_ms) < 0)
				o->install_failed++;
			else
				o->installs++;
			break;
		case VX0_ONION_ACT_REMOVE:
			if (vx0_onion_table_remove(o->od->tab, a->entry.in_link, a->entry.in_circ) == 0)
				o->removes++;
			break;
		case VX0_ONION_ACT_LINK_OPEN: {
			struct vx0_onion_peer p;
			uint8_t src[16];

			peer_of(&a->addr, &p);
			if (local)
				memcpy(src, local, 16);
			else
				pick_src(o->ctl, &a->addr, src);
			vx0_onion_table_link_set(o->od->tab, a->link, &p, src);
			break;
		}
		case VX0_ONION_ACT_DELIVER:
			/* the data plane delivers DATA itself; never expected */
			o->unexpected_deliver++;
			break;
		}
	}
	sodium_memzero(a, sizeof(*a)); /* INSTALL carried keys */
	rte_free(a);
}

/* ---------------------------------------------------------------- */
/* punted cells                                                     */

static void
cell_in(struct vx0_ctl_onion *o, struct rte_mbuf *m)
{
	struct vx0_ctl *ctl = o->ctl;
	struct vx0_pkt_meta *meta = vx0_meta(ctl->node, m);
	const uint8_t *l3 = rte_pktmbuf_mtod_offset(m, const uint8_t *, meta->l2_len);
	const uint8_t *cell = l3 + meta->l3_len + 8;
	bool v4 = meta->l3_type == VX0_L3_IPV4;
	uint32_t link = meta->next_hop;
	uint32_t circ = (uint32_t)cell[4] << 24 | (uint32_t)cell[5] << 16 |
			(uint32_t)cell[6] << 8 | cell[7];
	uint8_t local[16] = { 0 };

	memcpy(local, v4 ? l3 + 16 : l3 + 24, v4 ? 4 : 16);
	switch (meta->stage) {
	case VX0_ONION_PUNT_CELL:
		if (link == 0 && cell[1] == VX0_ONION_CMD_CREATE) {
			/* a new peer: the core gives it a link (LINK_OPEN) */
			struct vx0_onion_addr a;

			memset(&a, 0, sizeof(a));
			a.family = v4 ? 4 : 6;
			a.port = meta->sport;
			memcpy(a.addr, v4 ? l3 + 12 : l3 + 8, v4 ? 4 : 16);
			link = vx0_onion_relay_link(o->relay, &a);
			drain(o, local);
		}
		vx0_onion_relay_input(o->relay, link, cell, VX0_ONION_CELL_LEN, ctl->now_ms);
		break;
	case VX0_ONION_PUNT_TERMINAL:
		vx0_onion_relay_terminal(o->relay, link, circ, cell + VX0_ONION_LINK_HDR_LEN,
					 ctl->now_ms);
		break;
	case VX0_ONION_PUNT_INTEGRITY:
		vx0_log(VX0_LOG_NOTICE, "onion", "circuit %u/%08x: forward cell failed to "
			"authenticate: destroyed", link, circ);
		vx0_onion_relay_destroy(o->relay, link, circ, VX0_ONION_DESTROY_INTEGRITY);
		break;
	case VX0_ONION_PUNT_PROTOCOL:
		vx0_onion_relay_destroy(o->relay, link, circ, VX0_ONION_DESTROY_PROTOCOL);
		break;
	}
	drain(o, NULL);
	/* a peeled plaintext was in this mbuf */
	if (meta->stage == VX0_ONION_PUNT_TERMINAL)
		sodium_memzero((uint8_t *)(uintptr_t)cell, VX0_ONION_CELL_LEN);
}

/* Cells the data plane moved: fed to the relay core's byte count, which
 * rotates (destroys) circuits past the limit. */
static void
feed_bytes(struct vx0_ctl_onion *o)
{
	struct vx0_onion_table *t = o->od->tab;

	for (uint32_t i = 0; i < t->max_circ; i++) {
		struct vx0_onion_dp_circ *c = &t->slot[i];
		uint64_t cells;

		if (!c->used)
			continue;
		cells = __atomic_load_n(&c->fwd_cells, __ATOMIC_RELAXED) +
			__atomic_load_n(&c->bwd_cells, __ATOMIC_RELAXED);
		if (cells > c->reported) {
			vx0_onion_relay_add_bytes(o->relay, c->in_link, c->in_circ,
						  (cells - c->reported) * VX0_ONION_BODY_LEN);
			c->reported = cells;
		}
	}
}

/* A circuit id no circuit uses on link l in either direction, so the cover
 * cell below can never reach a circuit's keys at the next hop. (An id in a
 * handshake not yet installed could still match, at odds of about 2^-32
 * per cell; that hop would then tear that one circuit down as modified.) */
static uint32_t
unused_circ(const struct vx0_onion_table *t, uint32_t l)
{
	for (;;) {
		uint32_t id = randombytes_random();

		if (id != 0 && vx0_onion_table_lookup(t, l, id, 0) == NULL &&
		    vx0_onion_table_lookup(t, l, id, 1) == NULL)
			return id;
	}
}

/* Cover traffic: every link that carries circuits and sent nothing since
 * the last tick gets cover cells at padding_pps. They are RELAY cells with
 * a random direction bit, a circuit id unused on the link and a random
 * body: on the wire exactly what a data cell is (a PADDING command would
 * show in the clear header). The next hop drops them as cells of an unknown
 * circuit (dp_unknown_circuit). */
static void
pad_links(struct vx0_ctl_onion *o)
{
	struct vx0_onion_table *t = o->od->tab;
	uint32_t pps = o->ctl->node->conf->onion.padding_pps;
	uint8_t cell[VX0_ONION_CELL_LEN];
	uint64_t now = o->ctl->now_ms;

	if (pps == 0)
		return;
	o->pad_credit += (double)pps * (double)(now - o->pad_ms) / 1000.0;
	o->pad_ms = now;
	if (o->pad_credit > pps)
		o->pad_credit = pps;
	memset(o->pad_used, 0, t->max_links + 1);
	for (uint32_t i = 0; i < t->max_circ; i++) {
		const struct vx0_onion_dp_circ *c = &t->slot[i];

		if (!c->used)
			continue;
		o->pad_used[c->in_link] = 1;
		if (c->role == VX0_ONION_ROLE_TRANSIT)
			o->pad_used[c->out_link] = 1;
	}
	for (; o->pad_credit >= 1.0; o->pad_credit -= 1.0)
		for (uint32_t l = 1; l <= t->max_links; l++) {
			uint64_t tx = __atomic_load_n(&t->link[l].tx_cells, __ATOMIC_RELAXED);

			if (!o->pad_used[l] || !t->link[l].live || tx != o->pad_seen[l])
				continue;
			vx0_onion_cell_hdr_write(cell, VX0_ONION_CMD_RELAY,
						 randombytes_uniform(2) ? VX0_ONION_F_BACKWARD : 0,
						 unused_circ(t, l));
			randombytes_buf(cell + VX0_ONION_LINK_HDR_LEN, VX0_ONION_BODY_LEN);
			send_cell(o, l, cell);
			o->padding_sent++;
			o->pad_seen[l] = tx + 1;
		}
	/* a link that sent cells since is not idle this time */
	for (uint32_t l = 1; l <= t->max_links; l++)
		o->pad_seen[l] = __atomic_load_n(&t->link[l].tx_cells, __ATOMIC_RELAXED);
}

unsigned int
vx0_ctl_onion_poll(struct vx0_ctl *ctl)
{
	struct vx0_ctl_onion *o = ctl->onion;
	struct rte_mbuf *pkts[HI_BURST];
	unsigned int n, lo = 0;

	if (o == NULL)
		return 0;
	n = rte_ring_sc_dequeue_burst(o->od->punt_hi, (void **)pkts, HI_BURST, NULL);
	for (unsigned int i = 0; i < n; i++) {
		cell_in(o, pkts[i]);
		rte_pktmbuf_free(pkts[i]);
	}
	/* handshakes only once the other cells are served */
	if (n < HI_BURST) {
		lo = rte_ring_sc_dequeue_burst(o->od->punt_lo, (void **)pkts, LO_BURST, NULL);
		for (unsigned int i = 0; i < lo; i++) {
			cell_in(o, pkts[i]);
			rte_pktmbuf_free(pkts[i]);
		}
	}
	if (ctl->now_ms - o->tick_ms >= TICK_MS) {
		o->tick_ms = ctl->now_ms;
		if (ctl->now_ms - o->bytes_ms >= 1000) {
			o->bytes_ms = ctl->now_ms;
			feed_bytes(o);
		}
		vx0_onion_relay_tick(o->relay, ctl->now_ms);
		drain(o, NULL);
		pad_links(o);
	}
	vx0_onion_table_reclaim(o->od->tab);
	return n + lo;
}

/* ---------------------------------------------------------------- */
/* start / stop                                                     */

static void
policy_from_conf(const struct vx0_conf_onion *oc, struct vx0_onion_exit_policy *p)
{
	vx0_onion_exit_policy_default(p);
	if (!oc->default_blocked) {
		p->n_blocked = 0;
		for (unsigned int i = 0; i < oc->n_blocked; i++) {
			struct vx0_onion_prefix *x = &p->blocked[p->n_blocked++];

			x->family = oc->blocked[i].family == AF_INET ? 4 : 6;
			x->len = oc->blocked[i].len;
			memcpy(x->addr, oc->blocked[i].addr, 16);
		}
	}
	if (!oc->default_ports) {
		p->n_ports = 0;
		for (unsigned int i = 0; i < oc->n_ports; i++)
			p->ports[p->n_ports++] = (struct vx0_onion_port_range){
				oc->ports[i].proto, oc->ports[i].lo, oc->ports[i].hi };
	}
	p->allow_icmp_echo = oc->allow_icmp_echo;
}

int
vx0_ctl_onion_start(struct vx0_ctl *ctl, char *err, size_t errlen)
{
	struct vx0_node *node = ctl->node;
	const struct vx0_conf_onion *oc = &node->conf->onion;
	const struct vx0_conf_dht *dc = &node->conf->dht;
	struct vx0_onion_relay_config rc;
	uint8_t *id_seed = NULL, *onion_sk = NULL, id_sk[64];
	struct rte_meter_srtcm_params up = { .cir = oc->unknown_pps, .cbs = 32, .ebs = 0 };
	struct vx0_ctl_onion *o;
	struct vx0_onion_dp *od;
	int r;

	if (!oc->enabled)
		return 0;
	o = rte_zmalloc("vx0_ctl_onion", sizeof(*o), 0);
	od = rte_zmalloc("vx0_onion_dp", sizeof(*od), RTE_CACHE_LINE_SIZE);
	if (o == NULL || od == NULL) {
		rte_free(o);
		rte_free(od);
		return -ENOMEM;
	}
	o->ctl = ctl;
	o->od = od;
	ctl->onion = o;
	r = vx0_dht_seed_load_or_create(oc->identity_key_file[0] ? oc->identity_key_file :
					dc->identity_key_file, &id_seed);
	if (r == 0)
		r = vx0_dht_seed_load_or_create(oc->onion_key_file[0] ? oc->onion_key_file :
						dc->onion_key_file, &onion_sk);
	if (r < 0) {
		snprintf(err, errlen, "onion: key files: %s", strerror(-r));
		goto fail;
	}
	crypto_sign_seed_keypair(o->id, id_sk, id_seed);
	sodium_memzero(id_sk, sizeof(id_sk));
	crypto_scalarmult_base(o->onion_pk, onion_sk);
	vx0_onion_relay_config_default(&rc);
	memcpy(rc.id, o->id, 32);
	memcpy(rc.onion_sk, onion_sk, 32);
	rc.max_circuits = oc->max_circuits;
	rc.max_links = oc->max_links;
	rc.exit = oc->exit;
	policy_from_conf(oc, &rc.policy);
	rc.hs_rate = oc->hs_rate;
	rc.hs_burst = oc->hs_burst;
	rc.hs_src_rate = oc->hs_src_rate;
	rc.hs_src_burst = oc->hs_src_burst;
	rc.hs_reserve = oc->hs_reserve;
	o->relay = vx0_onion_relay_new(&rc);
	sodium_memzero(&rc, sizeof(rc));
	sodium_free(onion_sk);
	sodium_free(id_seed);
	onion_sk = id_seed = NULL;
	if (o->relay == NULL) {
		snprintf(err, errlen, "onion: cannot create the relay");
		r = -ENOMEM;
		goto fail;
	}
	od->tab = vx0_onion_table_create("vx0_onion", oc->max_circuits, oc->max_links,
					 (int)rte_socket_id(), node->qsv);
	od->punt_hi = rte_ring_create("vx0_onion_hi", node->conf->ring_size, (int)rte_socket_id(),
				      RING_F_SC_DEQ);
	od->punt_lo = rte_ring_create("vx0_onion_lo", 256, (int)rte_socket_id(), RING_F_SC_DEQ);
	if (od->tab == NULL || od->punt_hi == NULL || od->punt_lo == NULL ||
	    rte_meter_srtcm_profile_config(&od->unknown_prof, &up) != 0) {
		snprintf(err, errlen, "onion: cannot create the circuit table and rings");
		r = -ENOMEM;
		goto fail;
	}
	for (unsigned int i = 0; i < RTE_MAX_LCORE; i++)
		rte_meter_srtcm_config(&od->unknown_meter[i], &od->unknown_prof);
	od->port = oc->port;
	if (oc->padding_pps) {
		od->padding = true;
		o->pad_seen = rte_zmalloc("vx0_onion_pad", sizeof(uint64_t) * (oc->max_links + 1), 0);
		o->pad_used = rte_zmalloc("vx0_onion_padu", oc->max_links + 1, 0);
		o->pad_ms = ctl->now_ms;
		if (o->pad_seen == NULL || o->pad_used == NULL) {
			r = -ENOMEM;
			goto fail;
		}
	}
	if (oc->exit) {
		od->exit = true;
		if (oc->nat4.family)
			memcpy(&od->nat4, oc->nat4.addr, 4);
		if (oc->nat6.family) {
			memcpy(od->nat6, oc->nat6.addr, 16);
			od->has_nat6 = true;
		}
		od->nat_lo = oc->nat_lo;
		od->nat_hi = oc->nat_hi;
		policy_from_conf(oc, &od->policy);
		if ((r = vx0_onion_exit_setup(od, &od->policy, node->n_onion, oc->rate_bytes,
					      oc->burst_bytes, oc->nat_timeout_s, node->tsc_hz)) < 0) {
			snprintf(err, errlen, "onion.exit: cannot create the NAT tables");
			goto fail;
		}
	}
	/* from now on classify sends cells to the onion lcores */
	__atomic_store_n(&node->onion, od, __ATOMIC_RELEASE);
	vx0_log(VX0_LOG_INFO, "onion", "relay %s on port %u%s", oc->name, oc->port,
		oc->exit ? " (exit)" : "");
	return 0;
fail:
	if (onion_sk)
		sodium_free(onion_sk);
	if (id_seed)
		sodium_free(id_seed);
	return r;
}

void
vx0_ctl_onion_stop(struct vx0_ctl *ctl)
{
	struct vx0_ctl_onion *o = ctl->onion;
	struct vx0_onion_dp *od;
	void *m;

	if (o == NULL)
		return;
	od = o->od;
	__atomic_store_n(&ctl->node->onion, NULL, __ATOMIC_RELEASE);
	if (od) {
		while (od->punt_hi && rte_ring_sc_dequeue(od->punt_hi, &m) == 0)
			rte_pktmbuf_free(m);
		while (od->punt_lo && rte_ring_sc_dequeue(od->punt_lo, &m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(od->punt_hi);
		rte_ring_free(od->punt_lo);
		vx0_onion_table_free(od->tab);
		vx0_onion_exit_free(od);
		rte_free(od);
	}
	vx0_onion_relay_free(o->relay);
	rte_free(o->pad_seen);
	rte_free(o->pad_used);
	rte_free(o);
	ctl->onion = NULL;
}

/* ---------------------------------------------------------------- */
/* visibility: management commands and telemetry (never keys)       */

static void
hex32(const uint8_t *b, char *out)
{
	sodium_bin2hex(out, 65, b, 32);
}

static void
addr_str(const struct vx0_onion_addr *a, char *buf, size_t n)
{
	char t[INET6_ADDRSTRLEN];

	inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->addr, t, sizeof(t));
	snprintf(buf, n, a->family == 4 ? "%s:%u" : "[%s]:%u", t, a->port);
}

json_t *
vx0_ctl_onion_descriptor(struct vx0_ctl *ctl)
{
	const struct vx0_conf_onion *oc = &ctl->node->conf->onion;
	struct vx0_ctl_onion *o = ctl->onion;
	char id[65], ok[65], a[INET6_ADDRSTRLEN];

	if (o == NULL)
		return NULL;
	hex32(o->id, id);
	hex32(o->onion_pk, ok);
	inet_ntop(oc->addr.family, oc->addr.addr, a, sizeof(a));
	return json_pack("{ss ss si ss ss si ss sb}", "name", oc->name, "addr", a, "port",
			 (int)oc->port, "id", id, "onion_key", ok, "capacity", (int)oc->capacity,
			 "family", oc->family, "exit", oc->exit);
}

static json_t *
circuit_json(struct vx0_ctl_onion *o, const struct vx0_onion_relay_circ_info *ci)
{
	struct vx0_onion_addr a;
	struct vx0_onion_dp_circ *c = vx0_onion_table_lookup(o->od->tab, ci->in_link, ci->in_circ, 0);
	char prev[64] = "", next[64] = "", ids[16];
	json_t *j;

	if (vx0_onion_relay_link_addr(o->relay, ci->in_link, &a) == 0)
		addr_str(&a, prev, sizeof(prev));
	if (ci->out_link && vx0_onion_relay_link_addr(o->relay, ci->out_link, &a) == 0)
		addr_str(&a, next, sizeof(next));
	snprintf(ids, sizeof(ids), "%08x", ci->in_circ);
	j = json_pack("{ss ss ss sI sI sI}", "id", ids, "state", ci->state, "prev", prev,
		      "age_s", (json_int_t)((o->ctl->now_ms - ci->created_ms) / 1000),
		      "bytes", (json_int_t)ci->bytes, "link", (json_int_t)ci->in_link);
	if (ci->out_link) {
		snprintf(ids, sizeof(ids), "%08x", ci->out_circ);
		json_object_set_new(j, "next", json_string(next));
		json_object_set_new(j, "next_id", json_string(ids));
	}
	if (c) {
		json_object_set_new(j, "role", json_string(c->role == VX0_ONION_ROLE_TRANSIT ?
							    "transit" : "end"));
		json_object_set_new(j, "cells_fwd", json_integer((json_int_t)c->fwd_cells));
		json_object_set_new(j, "cells_bwd", json_integer((json_int_t)c->bwd_cells));
		json_object_set_new(j, "terminal", json_integer((json_int_t)c->terminal));
		json_object_set_new(j, "integrity_failed", json_integer((json_int_t)c->integrity_failed));
		json_object_set_new(j, "replayed", json_integer((json_int_t)c->replayed));
		if (o->od->exit && c->role == VX0_ONION_ROLE_END)
			json_object_set_new(j, "exit", json_pack("{sI sI sI sI sI sI}", "packets_out",
				(json_int_t)c->exit_pkts_out, "bytes_out", (json_int_t)c->exit_bytes_out,
				"packets_in", (json_int_t)c->exit_pkts_in, "bytes_in",
				(json_int_t)c->exit_bytes_in, "policed", (json_int_t)c->exit_policed,
				"denied", (json_int_t)c->exit_denied));
	}
	return j;
}

json_t *
vx0_ctl_onion_circuits(struct vx0_ctl *ctl)
{
	struct vx0_ctl_onion *o = ctl->onion;
	struct vx0_onion_relay_circ_info ci;
	json_t *a = json_array();
	int r;

	if (o == NULL)
		return a;
	for (unsigned int i = 0; (r = vx0_onion_relay_circ_info(o->relay, i, &ci)) >= 0; i++)
		if (r == 1)
			json_array_append_new(a, circuit_json(o, &ci));
	return a;
}

int
vx0_ctl_onion_destroy(struct vx0_ctl *ctl, uint32_t link, uint32_t circ)
{
	struct vx0_ctl_onion *o = ctl->onion;
	int r;

	if (o == NULL)
		return -ENOENT;
	r = vx0_onion_relay_destroy(o->relay, link, circ, VX0_ONION_DESTROY_REQUESTED);
	if (r == 0)
		drain(o, NULL);
	return r;
}

json_t *
vx0_ctl_onion_stats(struct vx0_ctl *ctl)
{
	struct vx0_ctl_onion *o = ctl->onion;
	const struct vx0_onion_relay_stats *s;
	struct vx0_onion_lcore_stats t;
	json_t *j;

	if (o == NULL)
		return json_pack("{sb}", "enabled", 0);
	s = vx0_onion_relay_stats(o->relay);
	memset(&t, 0, sizeof(t));
	for (unsigned int l = 0; l < RTE_MAX_LCORE; l++) {
		const uint64_t *src = (const uint64_t *)&o->od->st[l];
		uint64_t *dst = (uint64_t *)&t;

		for (size_t i = 0; i < offsetof(struct vx0_onion_lcore_stats, punt_full) / 8 + 1; i++)
			dst[i] += __atomic_load_n(&src[i], __ATOMIC_RELAXED);
	}
	j = json_pack("{sb sI sI}", "enabled", 1, "circuits",
		      (json_int_t)vx0_onion_relay_circuits(o->relay),
		      "table_entries", (json_int_t)o->od->tab->n_circ);
#define SET(name, v) json_object_set_new(j, name, json_integer((json_int_t)(v)))
	/* data plane */
	SET("dp_cells", t.cells);
	SET("dp_forwarded", t.fwd);
	SET("dp_backward", t.bwd);
	SET("dp_terminal", t.terminal);
	SET("dp_punted", t.punted);
	SET("dp_punted_handshakes", t.punt_hs);
	SET("dp_malformed", t.malformed);
	SET("dp_unknown_circuit", t.unknown);
	SET("dp_padding", t.padding);
	SET("dp_integrity_failed", t.integrity);
	SET("dp_replayed", t.replayed);
	SET("dp_no_next_hop", t.no_next_hop);
	SET("dp_nat_return", t.nat_return);
	SET("exit_out", t.exit_out);
	SET("exit_in", t.exit_in);
	SET("exit_denied", t.exit_denied);
	SET("exit_policed", t.exit_policed);
	SET("exit_nat_full", t.exit_nat_full);
	SET("exit_no_mapping", t.exit_no_mapping);
	SET("dp_punt_ring_full", t.punt_full);
	/* slow path: the relay core */
	SET("cells_in", s->cells_in);
	SET("malformed", s->malformed);
	SET("unknown_circuit", s->unknown_circ);
	SET("out_of_order", s->out_of_order);
	SET("replayed_handshake", s->replayed_handshake);
	SET("rate_limited", s->rate_limited);
	SET("handshake_failed", s->handshake_failed);
	SET("created", s->created);
	SET("extended", s->extended);
	SET("extend_failed", s->extend_failed);
	SET("destroyed", s->destroyed);
	SET("integrity_failed", s->integrity_failed);
	SET("delivered", s->delivered);
	SET("policy_denied", s->policy_denied);
	SET("dropped_padding", s->dropped_padding);
	SET("expired", s->expired);
	SET("timeouts", s->timeouts);
	SET("cells_sent", o->sent);
	SET("send_failed", o->send_failed);
	SET("installs", o->installs);
	SET("removes", o->removes);
	SET("install_failed", o->install_failed);
	SET("unexpected_deliver", o->unexpected_deliver);
	SET("padding_sent", o->padding_sent);
#undef SET
	return j;
}

/* management commands (arg: the node) */
int
vx0_ctl_onion_cmd_list(json_t *args, json_t **result, char *err, size_t errlen, void *arg)
{
	struct vx0_node *node = arg;

	(void)args;
	(void)err;
	(void)errlen;
	*result = json_pack("{so}", "circuits", vx0_ctl_onion_circuits(node->ctl));
	return 0;
}

int
vx0_ctl_onion_cmd_destroy(json_t *args, json_t **result, char *err, size_t errlen, void *arg)
{
	struct vx0_node *node = arg;
	json_t *l = json_object_get(args, "link"), *i = json_object_get(args, "id");
	unsigned long id;
	int r;

	if (!json_is_integer(l) || !json_is_string(i)) {
		snprintf(err, errlen, "give \"link\" (integer) and \"id\" (8 hex digits) from circuit.list");
		return -EINVAL;
	}
	/* as circuit.list prints it: 1 to 8 hex digits, nothing else (strtoul
	 * alone would take blanks, a sign or "0x"; the request decoder already
	 * refuses an embedded NUL) */
	const char *txt = json_string_value(i);
	size_t nd = strspn(txt, "0123456789abcdefABCDEF");

	id = nd >= 1 && nd <= 8 && txt[nd] == 0 ? strtoul(txt, NULL, 16) : 0;
	if (id == 0 || json_integer_value(l) <= 0 || json_integer_value(l) > UINT32_MAX) {
		snprintf(err, errlen, "\"id\" must be 8 hex digits, \"link\" positive");
		return -EINVAL;
	}
	r = vx0_ctl_onion_destroy(node->ctl, (uint32_t)json_integer_value(l), (uint32_t)id);
	if (r < 0) {
		snprintf(err, errlen, "no such circuit");
		return r;
	}
	*result = json_pack("{ss}", "destroyed", json_string_value(i));
	return 0;
}

int
vx0_ctl_onion_cmd_descriptor(json_t *args, json_t **result, char *err, size_t errlen, void *arg)
{
	struct vx0_node *node = arg;

	(void)args;
	*result = vx0_ctl_onion_descriptor(node->ctl);
	if (*result == NULL) {
		snprintf(err, errlen, "no onion relay configured");
		return -ENOENT;
	}
	return 0;
}

int
vx0_ctl_onion_cmd_stats(json_t *args, json_t **result, char *err, size_t errlen, void *arg)
{
	struct vx0_node *node = arg;

	(void)args;
	(void)err;
	(void)errlen;
	*result = vx0_ctl_onion_stats(node->ctl);
	return 0;
}
