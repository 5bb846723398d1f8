/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A whole 3-hop circuit in memory: the client state machine and three
 * relay state machines (guard, middle, exit) exchange cells through a
 * simulated network (sans-IO, no sockets). Also the cell codec's bad
 * inputs, the exit policy and the handshake rate limiter.
 */
#include <errno.h>
#include <stdlib.h>

#include <sodium.h>

#include "vx0_onion.h"
#include "vx0_test.h"

#define NQ 64
#define NODES 3

struct dgram {
	struct vx0_onion_addr src, dst;
	uint8_t cell[VX0_ONION_CELL_LEN];
};

struct node {
	struct vx0_onion_relay *r;
	struct vx0_onion_relay_desc desc;
	struct vx0_onion_addr links[16]; /* by link id */
	struct vx0_onion_circ_entry entry[8];
	unsigned int n_entry, n_removed;
	uint8_t delivered[2048];
	size_t delivered_len;
	uint32_t deliver_link, deliver_circ;
	unsigned int n_delivered;
};

static struct sim {
	struct node n[NODES];
	struct vx0_onion_addr caddr;
	struct vx0_onion_circ *c;
	struct dgram q[NQ];
	unsigned int qh, ql;
	uint64_t now;
	/* the last event of the client */
	int opened, closed, close_reason;
	uint8_t data[2048];
	size_t data_len;
	unsigned int n_data;
	/* tamper with the next datagram from node `from` to node `to` */
	int tamper_from, tamper_to;
	size_t tamper_pos;
	/* copy the next datagram from the client */
	int capture;
	uint8_t captured[VX0_ONION_CELL_LEN];
	unsigned int lost; /* datagrams to nobody */
} S;

static void
addr4(struct vx0_onion_addr *a, uint8_t last, uint8_t net, uint16_t port)
{
	memset(a, 0, sizeof(*a));
	a->family = 4;
	a->port = port;
	if (net == 1) { /* 203.0.113.0/24 */
		a->addr[0] = 203; a->addr[1] = 0; a->addr[2] = 113;
	} else {        /* 198.51.100.0/24 */
		a->addr[0] = 198; a->addr[1] = 51; a->addr[2] = 100;
	}
	a->addr[3] = last;
}

static void
enqueue(const struct vx0_onion_addr *src, const struct vx0_onion_addr *dst, const uint8_t *cell)
{
	struct dgram *d;

	if (S.ql == NQ)
		abort();
	d = &S.q[(S.qh + S.ql++) % NQ];
	d->src = *src;
	d->dst = *dst;
	memcpy(d->cell, cell, VX0_ONION_CELL_LEN);
}

static int
node_of(const struct vx0_onion_addr *a)
{
	int i;

	for (i = 0; i < NODES; i++)
		if (vx0_onion_addr_equal(&S.n[i].desc.addr, a))
			return i;
	return -1;
}

static void
drain(struct node *nd)
{
	struct vx0_onion_action a;

	while (vx0_onion_relay_next_action(nd->r, &a)) {
		switch (a.type) {
		case VX0_ONION_ACT_LINK_OPEN:
			if (a.link < 16)
				nd->links[a.link] = a.addr;
			break;
		case VX0_ONION_ACT_SEND:
			enqueue(&nd->desc.addr, &nd->links[a.link], a.cell);
			break;
		case VX0_ONION_ACT_INSTALL:
			if (nd->n_entry < 8)
				nd->entry[nd->n_entry++] = a.entry;
			break;
		case VX0_ONION_ACT_REMOVE:
			nd->n_removed++;
			break;
		case VX0_ONION_ACT_DELIVER:
			memcpy(nd->delivered, a.cell, a.len);
			nd->delivered_len = a.len;
			nd->deliver_link = a.link;
			nd->deliver_circ = a.circ;
			nd->n_delivered++;
			break;
		}
	}
}

static void
client_event(const struct vx0_onion_event *ev)
{
	if (ev->has_cell)
		enqueue(&S.caddr, &S.n[0].desc.addr, ev->cell);
	if (ev->type == VX0_ONION_EV_OPEN)
		S.opened++;
	if (ev->type == VX0_ONION_EV_CLOSED) {
		S.closed++;
		S.close_reason = ev->reason;
	}
	if (ev->type == VX0_ONION_EV_DATA) {
		memcpy(S.data, ev->data, ev->len);
		S.data_len = ev->len;
		S.n_data++;
	}
}

/* deliver datagrams until the network is quiet (bounded) */
static void
pump(void)
{
	unsigned int steps = 0;

	while (S.ql && steps++ < 1000) {
		struct dgram d = S.q[S.qh];
		int from = node_of(&d.src), to = node_of(&d.dst);

		S.qh = (S.qh + 1) % NQ;
		S.ql--;
		if (from == -1 && S.capture) {
			memcpy(S.captured, d.cell, sizeof(d.cell));
			S.capture = 0;
		}
		if (S.tamper_to >= 0 && from == S.tamper_from && to == S.tamper_to) {
			d.cell[S.tamper_pos / 8] ^= (uint8_t)(1u << (S.tamper_pos % 8));
			S.tamper_to = -1;
		}
		if (vx0_onion_addr_equal(&d.dst, &S.caddr)) {
			struct vx0_onion_event ev;

			vx0_onion_circ_input(S.c, d.cell, sizeof(d.cell), S.now, &ev);
			client_event(&ev);
		} else if (to >= 0) {
			struct node *nd = &S.n[to];
			uint32_t link = vx0_onion_relay_link(nd->r, &d.src);

			drain(nd);
			vx0_onion_relay_input(nd->r, link, d.cell, sizeof(d.cell), S.now);
			drain(nd);
		} else {
			S.lost++;
		}
	}
}

static void
sim_setup(void)
{
	int i;

	memset(&S, 0, sizeof(S));
	S.tamper_to = -1;
	S.now = 1000000;
	addr4(&S.caddr, 10, 0, 40000);
	for (i = 0; i < NODES; i++) {
		struct vx0_onion_relay_config cfg;
		uint8_t sk[64];

		vx0_onion_relay_config_default(&cfg);
		crypto_sign_keypair(cfg.id, sk);
		randombytes_buf(cfg.onion_sk, 32);
		cfg.exit = (i == 2);
		cfg.max_circuits = 16;
		cfg.max_links = 15;
		S.n[i].r = vx0_onion_relay_new(&cfg);
		memcpy(S.n[i].desc.id, cfg.id, 32);
		crypto_scalarmult_base(S.n[i].desc.onion_pk, cfg.onion_sk);
		addr4(&S.n[i].desc.addr, (uint8_t)(1 + i), 1, 7150);
		sodium_memzero(&cfg, sizeof(cfg));
		sodium_memzero(sk, sizeof(sk));
	}
	S.c = vx0_onion_circ_new();
}

static void
sim_teardown(void)
{
	int i;

	for (i = 0; i < NODES; i++)
		vx0_onion_relay_free(S.n[i].r);
	vx0_onion_circ_free(S.c);
}

static struct vx0_onion_relay_desc path[NODES];

static int
build(uint32_t circ_id)
{
	struct vx0_onion_event ev;
	int i;

	for (i = 0; i < NODES; i++)
		path[i] = S.n[i].desc;
	if (vx0_onion_circ_start(S.c, path, NODES, circ_id, S.now, &ev) < 0)
		return -1;
	client_event(&ev);
	pump();
	return S.c->state == VX0_ONION_CIRC_OPEN ? 0 : -1;
}

/* IPv4/UDP packet to 203.0.113.50:port with n payload bytes */
static size_t
udp4(uint8_t *p, uint16_t port, size_t n)
{
	size_t len = 28 + n, i;

	memset(p, 0, 28);
	p[0] = 0x45;
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	p[8] = 64;
	p[9] = 17;
	p[12] = 198; p[13] = 51; p[14] = 100; p[15] = 10;
	p[16] = 203; p[17] = 0; p[18] = 113; p[19] = 50;
	p[20] = 0x9c; p[21] = 0x40;
	p[22] = (uint8_t)(port >> 8);
	p[23] = (uint8_t)port;
	p[24] = (uint8_t)((8 + n) >> 8);
	p[25] = (uint8_t)(8 + n);
	for (i = 0; i < n; i++)
		p[28 + i] = (uint8_t)(i * 7 + 3);
	return len;
}

/* IPv6/UDP packet of exactly total bytes to 2001:db8::50 */
static size_t
udp6(uint8_t *p, uint16_t port, size_t total)
{
	size_t i, pl = total - 40;

	memset(p, 0, 48);
	p[0] = 0x60;
	p[4] = (uint8_t)(pl >> 8);
	p[5] = (uint8_t)pl;
	p[6] = 17;
	p[7] = 64;
	p[8] = 0x20; p[9] = 0x01; p[10] = 0x0d; p[11] = 0xb8; p[23] = 0x10;
	p[24] = 0x20; p[25] = 0x01; p[26] = 0x0d; p[27] = 0xb8; p[39] = 0x50;
	p[42] = (uint8_t)(port >> 8);
	p[43] = (uint8_t)port;
	p[44] = (uint8_t)(pl >> 8);
	p[45] = (uint8_t)pl;
	for (i = 48; i < total; i++)
		p[i] = (uint8_t)(i ^ 0x5a);
	return total;
}

static int
client_send(const uint8_t *pkt, size_t len)
{
	struct vx0_onion_event ev;
	int rc = vx0_onion_circ_send(S.c, pkt, len, S.now, &ev);

	if (rc == 0)
		client_event(&ev);
	pump();
	return rc;
}

static void
test_circuit_build(void)
{
	const struct vx0_onion_relay_stats *g, *m, *e;
	int i;

	sim_setup();
	CHECK_EQ(build(0x1001), 0);
	CHECK_EQ(S.opened, 1);
	CHECK_EQ(S.c->built, 3);
	g = vx0_onion_relay_stats(S.n[0].r);
	m = vx0_onion_relay_stats(S.n[1].r);
	e = vx0_onion_relay_stats(S.n[2].r);
	CHECK_EQ(g->created, 1);
	CHECK_EQ(m->created, 1);
	CHECK_EQ(e->created, 1);
	CHECK_EQ(g->extended, 1);
	CHECK_EQ(m->extended, 1);
	CHECK_EQ(e->extended, 0);
	/* the data-plane entries carry each hop's keys and ids; the guard's
	 * inbound id is the client's, the others are rewritten per link */
	CHECK_EQ(S.n[0].n_entry, 2); /* END after CREATE, TRANSIT after CREATED */
	CHECK_EQ(S.n[0].entry[1].role, VX0_ONION_ROLE_TRANSIT);
	CHECK_EQ(S.n[0].entry[1].in_circ, 0x1001);
	CHECK_EQ(S.n[2].entry[0].role, VX0_ONION_ROLE_END);
	CHECK(S.n[1].entry[1].in_circ == S.n[0].entry[1].out_circ);
	CHECK(S.n[2].entry[0].in_circ == S.n[1].entry[1].out_circ);
	for (i = 0; i < NODES; i++) {
		const struct vx0_onion_circ_entry *en = &S.n[i].entry[S.n[i].n_entry - 1];

		CHECK(sodium_memcmp(en->keys.kf, S.c->hops[i].k.kf, 32) == 0);
		CHECK(sodium_memcmp(en->keys.kb, S.c->hops[i].k.kb, 32) == 0);
		CHECK_EQ(vx0_onion_relay_circuits(S.n[i].r), 1);
	}
	sim_teardown();
}

static void
test_circuit_data(void)
{
	uint8_t pkt[1400], reply[1400];
	size_t n;
	int i;

	sim_setup();
	CHECK_EQ(build(7), 0);
	/* forward: byte-exact at the exit */
	n = udp4(pkt, 53, 100);
	CHECK_EQ(client_send(pkt, n), 0);
	CHECK_EQ(S.n[2].n_delivered, 1);
	CHECK_EQ(S.n[2].delivered_len, n);
	CHECK_MEM(S.n[2].delivered, pkt, n);
	/* a full 1280-byte IPv6 packet, the inner MTU */
	n = udp6(pkt, 443, VX0_ONION_INNER_MTU);
	CHECK_EQ(client_send(pkt, n), 0);
	CHECK_EQ(S.n[2].n_delivered, 2);
	CHECK_EQ(S.n[2].delivered_len, VX0_ONION_INNER_MTU);
	CHECK_MEM(S.n[2].delivered, pkt, n);
	CHECK_EQ(vx0_onion_circ_send(S.c, pkt, VX0_ONION_FWD_DATA_MAX + 1, S.now,
				     &(struct vx0_onion_event){ 0 }), -EMSGSIZE);
	/* backward: the exit answers on the circuit the packet came from */
	for (i = 0; i < 3; i++) {
		n = i == 2 ? udp6(reply, 443, VX0_ONION_INNER_MTU) : udp4(reply, 53, 20 + 30 * i);
		reply[30] = (uint8_t)i;
		CHECK_EQ(vx0_onion_relay_send_back(S.n[2].r, S.n[2].deliver_link, S.n[2].deliver_circ,
						   reply, n, S.now), 0);
		drain(&S.n[2]);
		pump();
		CHECK_EQ(S.n_data, (unsigned int)i + 1);
		CHECK_EQ(S.data_len, n);
		CHECK_MEM(S.data, reply, n);
	}
	/* (the middle originated the EXTENDED for the exit itself) */
	CHECK_EQ(vx0_onion_relay_stats(S.n[1].r)->relayed_bwd, 3);
	/* a packet the exit policy refuses (SMTP) is not delivered */
	n = udp4(pkt, 25, 10);
	pkt[9] = 6;
	CHECK_EQ(client_send(pkt, n), 0);
	CHECK_EQ(S.n[2].n_delivered, 2);
	CHECK_EQ(vx0_onion_relay_stats(S.n[2].r)->policy_denied, 1);
	sim_teardown();
}

/* Cover cells: a RELAY cell of the circuit on the wire, like a data cell
 * (same command, flags, id, length); the guard peels it, finds DROP and
 * discards it, nothing reaches the middle or the exit, and data still
 * flows afterwards (the guard's window and the client's counters agree). */
static void
test_circuit_padding(void)
{
	struct vx0_onion_event ev;
	uint8_t pkt[1400], data_hdr[VX0_ONION_LINK_HDR_LEN];
	const struct vx0_onion_relay_stats *g, *m;
	uint64_t mid_cells;
	size_t n;
	int i;

	sim_setup();
	CHECK_EQ(vx0_onion_circ_pad(S.c, &ev), -ENOTCONN);
	CHECK_EQ(build(0x2002), 0);
	n = udp4(pkt, 53, 100);
	S.capture = 1;
	CHECK_EQ(client_send(pkt, n), 0);
	memcpy(data_hdr, S.captured, sizeof(data_hdr));
	mid_cells = vx0_onion_relay_stats(S.n[1].r)->cells_in;
	for (i = 0; i < 5; i++) {
		CHECK_EQ(vx0_onion_circ_pad(S.c, &ev), 0);
		CHECK_EQ(ev.type, VX0_ONION_EV_SEND);
		CHECK(ev.has_cell);
		CHECK_MEM(ev.cell, data_hdr, sizeof(data_hdr));
		S.capture = 1;
		client_event(&ev);
		pump();
	}
	g = vx0_onion_relay_stats(S.n[0].r);
	m = vx0_onion_relay_stats(S.n[1].r);
	CHECK_EQ(g->dropped_padding, 5);
	CHECK_EQ(g->integrity_failed, 0);
	CHECK_EQ(m->cells_in, mid_cells);
	CHECK_EQ(S.n[2].n_delivered, 1);
	CHECK_EQ(client_send(pkt, n), 0);
	CHECK_EQ(S.n[2].n_delivered, 2);
	CHECK_MEM(S.n[2].delivered, pkt, n);
	sim_teardown();
}

/* With a data plane: the exit's data plane peels with the INSTALLed keys
 * and hands the terminal plaintext to the slow path; the middle's data
 * plane wraps backward cells with kb from the first seq on, which the
 * slow path never used (its EXTENDED went under kc). */
static void
test_circuit_dataplane_handoff(void)
{
	const struct vx0_onion_circ_entry *ex, *mid;
	struct vx0_onion_replay w;
	struct vx0_onion_event ev;
	struct vx0_onion_action a;
	uint8_t pkt[200], cell[VX0_ONION_CELL_LEN];
	uint64_t bseq;
	size_t n;
	int got = 0;

	sim_setup();
	CHECK_EQ(build(0x77), 0);
	ex = &S.n[2].entry[S.n[2].n_entry - 1];
	mid = &S.n[1].entry[S.n[1].n_entry - 1];
	/* forward: run the cell to the middle's output by hand */
	n = udp4(pkt, 443, 40);
	CHECK_EQ(vx0_onion_circ_send(S.c, pkt, n, S.now, &ev), 0);
	memcpy(cell, ev.cell, sizeof(cell));
	vx0_onion_relay_input(S.n[0].r, vx0_onion_relay_link(S.n[0].r, &S.caddr), cell,
			      sizeof(cell), S.now);
	while (vx0_onion_relay_next_action(S.n[0].r, &a))
		if (a.type == VX0_ONION_ACT_SEND)
			memcpy(cell, a.cell, sizeof(cell));
	vx0_onion_relay_input(S.n[1].r, vx0_onion_relay_link(S.n[1].r, &S.n[0].desc.addr), cell,
			      sizeof(cell), S.now);
	while (vx0_onion_relay_next_action(S.n[1].r, &a))
		if (a.type == VX0_ONION_ACT_SEND) {
			memcpy(cell, a.cell, sizeof(cell));
			got++;
		}
	CHECK_EQ(got, 1);
	CHECK_EQ(vx0_onion_cell_hdr(cell, sizeof(cell), &(struct vx0_onion_cell_hdr){ 0 }), 0);
	/* the exit's data plane */
	vx0_onion_replay_init(&w, ex->keys.fseq_base);
	CHECK_EQ(vx0_onion_layer_peel(ex->keys.kf, &w, cell + VX0_ONION_LINK_HDR_LEN),
		 VX0_ONION_PEEL_TERMINAL);
	CHECK_EQ(vx0_onion_relay_terminal(S.n[2].r, ex->in_link, ex->in_circ,
					  cell + VX0_ONION_LINK_HDR_LEN, S.now), 0);
	drain(&S.n[2]);
	CHECK_EQ(S.n[2].n_delivered, 1);
	CHECK_MEM(S.n[2].delivered, pkt, n);
	CHECK_EQ(vx0_onion_relay_terminal(S.n[2].r, ex->in_link, 0x5555, cell, S.now), -ENOENT);
	/* backward: the exit's data plane originates, the middle's wraps */
	memset(cell, 0, sizeof(cell));
	vx0_onion_relay_msg_build(cell + VX0_ONION_LINK_HDR_LEN + VX0_ONION_HOP_HDR_LEN,
				  VX0_ONION_BWD_CT_LEN, VX0_ONION_RELAY_DATA, pkt, n);
	vx0_onion_layer_originate(ex->keys.kb, ex->keys.bseq_base + 1, cell + VX0_ONION_LINK_HDR_LEN);
	bseq = mid->keys.bseq_base;
	vx0_onion_layer_wrap(mid->keys.kb, ++bseq, cell + VX0_ONION_LINK_HDR_LEN);
	vx0_onion_cell_hdr_write(cell, VX0_ONION_CMD_RELAY, VX0_ONION_F_BACKWARD, mid->in_circ);
	/* the guard is still the software relay */
	vx0_onion_relay_input(S.n[0].r, vx0_onion_relay_link(S.n[0].r, &S.n[1].desc.addr), cell,
			      sizeof(cell), S.now);
	drain(&S.n[0]);
	pump();
	CHECK_EQ(S.n_data, 1);
	CHECK_EQ(S.data_len, n);
	CHECK_MEM(S.data, pkt, n);
	sim_teardown();
}

/* One flipped bit anywhere in the body the guard sends on is caught by
 * the middle, and every hop and the client drop the circuit. */
static void
test_circuit_tamper(void)
{
	/* the edges of each field, then pseudo-random bits of the body */
	static const size_t fixed[] = { 0, 7, 63, 64, 65, 100, 191, 192, 200, 1000, 5000, 8000,
					10000, 10687, 10688, 10700, 10879 };
	size_t spots[sizeof(fixed) / sizeof(fixed[0]) + 40];
	uint64_t x = 0x9e3779b97f4a7c15ull;
	unsigned int i;

	for (i = 0; i < sizeof(spots) / sizeof(spots[0]); i++) {
		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		spots[i] = i < sizeof(fixed) / sizeof(fixed[0]) ? fixed[i]
								: (size_t)(x % (VX0_ONION_BODY_LEN * 8));
	}
	for (i = 0; i < sizeof(spots) / sizeof(spots[0]); i++) {
		uint8_t pkt[200];
		size_t n;

		sim_setup();
		CHECK_EQ(build(0x42), 0);
		n = udp4(pkt, 53, 64);
		S.tamper_from = 0;
		S.tamper_to = 1;
		S.tamper_pos = VX0_ONION_LINK_HDR_LEN * 8 + spots[i]; /* a body bit */
		CHECK_EQ(client_send(pkt, n), 0);
		CHECK_EQ(vx0_onion_relay_stats(S.n[1].r)->integrity_failed, 1);
		CHECK_EQ(S.n[2].n_delivered, 0);
		CHECK_EQ(S.closed, 1);
		CHECK_EQ(S.close_reason, VX0_ONION_DESTROY_INTEGRITY);
		CHECK_EQ(S.c->state, VX0_ONION_CIRC_CLOSED);
		CHECK_EQ(vx0_onion_relay_circuits(S.n[0].r), 0);
		CHECK_EQ(vx0_onion_relay_circuits(S.n[1].r), 0);
		CHECK_EQ(vx0_onion_relay_circuits(S.n[2].r), 0);
		sim_teardown();
	}
}

/* header bits: the cell is dropped and counted, never misrouted */
static void
test_circuit_header_flip(void)
{
	unsigned int bit;

	for (bit = 0; bit < VX0_ONION_LINK_HDR_LEN * 8; bit += 3) {
		const struct vx0_onion_relay_stats *m;
		uint8_t pkt[100];

		sim_setup();
		CHECK_EQ(build(0x51), 0);
		m = vx0_onion_relay_stats(S.n[1].r);
		S.tamper_from = 0;
		S.tamper_to = 1;
		S.tamper_pos = bit;
		CHECK_EQ(client_send(pkt, udp4(pkt, 53, 10)), 0);
		CHECK_EQ(S.n[2].n_delivered, 0);
		CHECK_EQ(m->malformed + m->unknown_circ, 1);
		sim_teardown();
	}
}

static void
test_circuit_backward_tamper(void)
{
	uint8_t pkt[100];
	size_t n;
	struct vx0_onion_event ev;
	struct vx0_onion_action a;
	uint8_t cell[VX0_ONION_CELL_LEN];
	int got = 0;

	sim_setup();
	CHECK_EQ(build(0x44), 0);
	n = udp4(pkt, 53, 30);
	CHECK_EQ(client_send(pkt, n), 0);
	/* the exit's reply, through the middle and the guard by hand */
	CHECK_EQ(vx0_onion_relay_send_back(S.n[2].r, S.n[2].deliver_link, S.n[2].deliver_circ, pkt,
					   n, S.now), 0);
	CHECK(vx0_onion_relay_next_action(S.n[2].r, &a) == 1);
	memcpy(cell, a.cell, sizeof(cell));
	vx0_onion_relay_input(S.n[1].r, vx0_onion_relay_link(S.n[1].r, &S.n[2].desc.addr), cell,
			      sizeof(cell), S.now);
	while (vx0_onion_relay_next_action(S.n[1].r, &a))
		if (a.type == VX0_ONION_ACT_SEND) {
			memcpy(cell, a.cell, sizeof(cell));
			got++;
		}
	vx0_onion_relay_input(S.n[0].r, vx0_onion_relay_link(S.n[0].r, &S.n[1].desc.addr), cell,
			      sizeof(cell), S.now);
	while (vx0_onion_relay_next_action(S.n[0].r, &a))
		if (a.type == VX0_ONION_ACT_SEND) {
			memcpy(cell, a.cell, sizeof(cell));
			got++;
		}
	CHECK_EQ(got, 2);
	cell[VX0_ONION_LINK_HDR_LEN + 500] ^= 0x20; /* the guard alters it */
	vx0_onion_circ_input(S.c, cell, sizeof(cell), S.now, &ev);
	CHECK_EQ(ev.type, VX0_ONION_EV_CLOSED);
	CHECK_EQ(ev.reason, VX0_ONION_DESTROY_INTEGRITY);
	CHECK(ev.has_cell);
	CHECK_EQ(ev.cell[1], VX0_ONION_CMD_DESTROY);
	CHECK_EQ(S.n_data, 0);
	sim_teardown();
}

static void
test_circuit_bad_cells(void)
{
	const struct vx0_onion_relay_stats *g, *e;
	uint8_t cell[VX0_ONION_CELL_LEN], pkt[100], create[VX0_ONION_CELL_LEN];
	uint32_t cl;
	unsigned int delivered;

	sim_setup();
	S.capture = 1;
	CHECK_EQ(build(0x99), 0);
	memcpy(create, S.captured, sizeof(create));
	CHECK_EQ(create[1], VX0_ONION_CMD_CREATE);
	g = vx0_onion_relay_stats(S.n[0].r);
	e = vx0_onion_relay_stats(S.n[2].r);
	cl = vx0_onion_relay_link(S.n[0].r, &S.caddr);

	/* unknown circuit id */
	memset(cell, 0, sizeof(cell));
	vx0_onion_cell_hdr_write(cell, VX0_ONION_CMD_RELAY, 0, 0x12345);
	CHECK_EQ(vx0_onion_relay_input(S.n[0].r, cl, cell, sizeof(cell), S.now), -ENOENT);
	CHECK_EQ(g->unknown_circ, 1);
	vx0_onion_cell_hdr_write(cell, VX0_ONION_CMD_DESTROY, 0, 0x777);
	CHECK_EQ(vx0_onion_relay_input(S.n[0].r, cl, cell, sizeof(cell), S.now), -ENOENT);
	CHECK_EQ(g->unknown_circ, 2);
	/* out of order: CREATE on a live circuit id, CREATED nobody waits for */
	CHECK_EQ(vx0_onion_relay_input(S.n[0].r, cl, create, sizeof(create), S.now), -EEXIST);
	CHECK_EQ(g->out_of_order, 1);
	vx0_onion_cell_hdr_write(cell, VX0_ONION_CMD_CREATED, VX0_ONION_F_BACKWARD, 0x99);
	CHECK_EQ(vx0_onion_relay_input(S.n[0].r, cl, cell, sizeof(cell), S.now), -ENOENT);
	/* replayed handshake: the same CREATE on a new circuit id */
	vx0_onion_cell_set_circ(create, 0x9a);
	CHECK_EQ(vx0_onion_relay_input(S.n[0].r, cl, create, sizeof(create), S.now), -EALREADY);
	CHECK_EQ(g->replayed_handshake, 1);
	CHECK_EQ(g->created, 1);
	/* a second EXTEND to the guard, already extended: dropped, counted */
	{
		uint8_t hs[96] = { 0 }, ext[160], msg[200];
		int k = vx0_onion_extend_build(ext, sizeof(ext), &S.n[2].desc.addr, hs);
		int ml = vx0_onion_relay_msg_build(msg, sizeof(msg), VX0_ONION_RELAY_EXTEND, ext,
						   (size_t)k);

		vx0_onion_cell_hdr_write(cell, VX0_ONION_CMD_RELAY, 0, 0x99);
		CHECK_EQ(vx0_onion_client_seal(S.c->hops, 0, msg, (size_t)ml,
					       cell + VX0_ONION_LINK_HDR_LEN), 0);
		CHECK_EQ(vx0_onion_relay_input(S.n[0].r, cl, cell, sizeof(cell), S.now), -EPROTO);
		CHECK_EQ(g->out_of_order, 2);
		CHECK_EQ(vx0_onion_relay_circuits(S.n[0].r), 1);
	}
	/* a replayed RELAY cell: the guard drops it, the exit sees one */
	S.capture = 1;
	CHECK_EQ(client_send(pkt, udp4(pkt, 53, 10)), 0);
	delivered = S.n[2].n_delivered;
	CHECK_EQ(delivered, 1);
	CHECK_EQ(vx0_onion_relay_input(S.n[0].r, cl, S.captured, sizeof(S.captured), S.now),
		 -EALREADY);
	drain(&S.n[0]);
	pump();
	CHECK_EQ(g->replayed_cells, 1);
	CHECK_EQ(S.n[2].n_delivered, delivered);
	CHECK_EQ(e->delivered, 1);
	/* malformed datagrams */
	CHECK_EQ(vx0_onion_relay_input(S.n[0].r, cl, cell, 100, S.now), -EMSGSIZE);
	CHECK(g->malformed >= 1);
	/* the client drops cells for other circuits or out of order */
	{
		struct vx0_onion_event ev;
		uint64_t before = S.c->dropped;

		vx0_onion_cell_hdr_write(cell, VX0_ONION_CMD_RELAY, VX0_ONION_F_BACKWARD, 0x98);
		CHECK_EQ(vx0_onion_circ_input(S.c, cell, sizeof(cell), S.now, &ev), -ENOENT);
		vx0_onion_cell_hdr_write(cell, VX0_ONION_CMD_CREATED, VX0_ONION_F_BACKWARD, 0x99);
		CHECK_EQ(vx0_onion_circ_input(S.c, cell, sizeof(cell), S.now, &ev), -EPROTO);
		CHECK_EQ(S.c->dropped, before + 2);
		CHECK_EQ(S.c->state, VX0_ONION_CIRC_OPEN);
	}
	/* the client tears down: every hop forgets the circuit */
	{
		struct vx0_onion_event ev;
		int i;

		CHECK_EQ(vx0_onion_circ_close(S.c, &ev), 0);
		client_event(&ev);
		pump();
		for (i = 0; i < NODES; i++)
			CHECK_EQ(vx0_onion_relay_circuits(S.n[i].r), 0);
	}
	sim_teardown();
}

static void
test_circuit_timeouts(void)
{
	struct vx0_onion_event ev;
	int i;

	/* the middle is unreachable: the guard times the extend out */
	sim_setup();
	for (i = 0; i < NODES; i++)
		path[i] = S.n[i].desc;
	addr4(&path[1].addr, 99, 1, 7150); /* nobody there */
	CHECK_EQ(vx0_onion_circ_start(S.c, path, NODES, 5, S.now, &ev), 0);
	client_event(&ev);
	pump();
	CHECK_EQ(S.c->state, VX0_ONION_CIRC_EXTENDING);
	CHECK_EQ(S.lost, 1);
	S.now += 9999;
	vx0_onion_relay_tick(S.n[0].r, S.now);
	drain(&S.n[0]);
	CHECK_EQ(vx0_onion_relay_circuits(S.n[0].r), 1);
	S.now += 1;
	vx0_onion_relay_tick(S.n[0].r, S.now);
	drain(&S.n[0]);
	pump();
	CHECK_EQ(vx0_onion_relay_stats(S.n[0].r)->timeouts, 1);
	CHECK_EQ(vx0_onion_relay_circuits(S.n[0].r), 0);
	CHECK_EQ(S.closed, 1);
	CHECK_EQ(S.close_reason, VX0_ONION_DESTROY_TIMEOUT);
	sim_teardown();

	/* the guard never answers: the client's own deadline */
	sim_setup();
	for (i = 0; i < NODES; i++)
		path[i] = S.n[i].desc;
	CHECK_EQ(vx0_onion_circ_start(S.c, path, NODES, 6, S.now, &ev), 0);
	CHECK_EQ(vx0_onion_circ_tick(S.c, S.now + 9999, &ev), 0);
	CHECK_EQ(ev.type, VX0_ONION_EV_NONE);
	CHECK_EQ(vx0_onion_circ_tick(S.c, S.now + 10000, &ev), 0);
	CHECK_EQ(ev.type, VX0_ONION_EV_CLOSED);
	CHECK_EQ(ev.reason, VX0_ONION_DESTROY_TIMEOUT);
	sim_teardown();
}

static void
test_circuit_rotation(void)
{
	uint8_t pkt[100];
	int i;

	sim_setup();
	CHECK_EQ(build(8), 0);
	CHECK_EQ(vx0_onion_circ_needs_rotation(S.c, S.now + VX0_ONION_ROTATE_AGE_MS - 1), 0);
	CHECK_EQ(vx0_onion_circ_needs_rotation(S.c, S.now + VX0_ONION_ROTATE_AGE_MS), 1);
	S.c->bytes = VX0_ONION_ROTATE_BYTES;
	CHECK_EQ(vx0_onion_circ_needs_rotation(S.c, S.now), 1);
	/* relays enforce the limit with slack: expired after 1 h 10 min */
	S.now += VX0_ONION_ROTATE_AGE_MS;
	for (i = 0; i < NODES; i++) {
		vx0_onion_relay_tick(S.n[i].r, S.now);
		drain(&S.n[i]);
	}
	pump();
	CHECK_EQ(vx0_onion_relay_circuits(S.n[2].r), 1);
	CHECK_EQ(client_send(pkt, udp4(pkt, 53, 4)), 0);
	CHECK_EQ(S.n[2].n_delivered, 1);
	S.now += 600000;
	vx0_onion_relay_tick(S.n[1].r, S.now);
	drain(&S.n[1]);
	pump();
	CHECK_EQ(vx0_onion_relay_stats(S.n[1].r)->expired, 1);
	for (i = 0; i < NODES; i++)
		CHECK_EQ(vx0_onion_relay_circuits(S.n[i].r), 0);
	CHECK_EQ(S.close_reason, VX0_ONION_DESTROY_EXPIRED);
	sim_teardown();
}

/* The hooks a data plane uses: its byte counts feed rotation, the
 * operator or a failed check destroys, a listing shows no keys. */
static void
test_relay_dataplane_hooks(void)
{
	struct vx0_onion_relay_circ_info ci;
	struct vx0_onion_addr a;
	uint32_t in_link, in_circ;
	unsigned int i, found = 0;
	int rc;

	sim_setup();
	CHECK_EQ(build(0x77), 0);
	in_link = S.n[1].entry[1].in_link;
	in_circ = S.n[1].entry[1].in_circ;
	/* the middle's circuit, as a listing shows it */
	for (i = 0; (rc = vx0_onion_relay_circ_info(S.n[1].r, i, &ci)) >= 0; i++) {
		if (rc == 0)
			continue;
		found++;
		CHECK_EQ(ci.in_link, in_link);
		CHECK_EQ(ci.in_circ, in_circ);
		CHECK_EQ(ci.out_circ, S.n[2].entry[0].in_circ);
		CHECK(strcmp(ci.state, "extended") == 0);
		CHECK_EQ(vx0_onion_relay_link_addr(S.n[1].r, ci.in_link, &a), 0);
		CHECK(vx0_onion_addr_equal(&a, &S.n[0].desc.addr));
		CHECK_EQ(vx0_onion_relay_link_addr(S.n[1].r, ci.out_link, &a), 0);
		CHECK(vx0_onion_addr_equal(&a, &S.n[2].desc.addr));
	}
	CHECK_EQ(found, 1);
	CHECK_EQ(vx0_onion_relay_circ_info(S.n[1].r, 16, &ci), -ENOENT);
	CHECK_EQ(vx0_onion_relay_link_addr(S.n[1].r, 0, &a), -ENOENT);
	CHECK_EQ(vx0_onion_relay_link_addr(S.n[1].r, 15, &a), -ENOENT);
	/* cells counted elsewhere push the circuit over the byte limit */
	CHECK_EQ(vx0_onion_relay_add_bytes(S.n[1].r, in_link, in_circ + 1, 1), -ENOENT);
	CHECK_EQ(vx0_onion_relay_add_bytes(S.n[1].r, in_link, in_circ,
					   VX0_ONION_ROTATE_BYTES + (64ull << 20)), 0);
	vx0_onion_relay_tick(S.n[1].r, S.now);
	drain(&S.n[1]);
	pump();
	CHECK_EQ(vx0_onion_relay_stats(S.n[1].r)->expired, 1);
	CHECK_EQ(S.close_reason, VX0_ONION_DESTROY_EXPIRED);
	for (i = 0; i < NODES; i++)
		CHECK_EQ(vx0_onion_relay_circuits(S.n[i].r), 0);
	sim_teardown();

	/* destroy by request: both ways, the data plane's entry removed */
	sim_setup();
	CHECK_EQ(build(0x78), 0);
	in_link = S.n[1].entry[1].in_link;
	in_circ = S.n[1].entry[1].in_circ;
	CHECK_EQ(vx0_onion_relay_destroy(S.n[1].r, in_link, in_circ + 1, 3), -ENOENT);
	CHECK_EQ(vx0_onion_relay_destroy(S.n[1].r, in_link, in_circ, VX0_ONION_DESTROY_INTEGRITY), 0);
	drain(&S.n[1]);
	pump();
	CHECK_EQ(S.n[1].n_removed, 1);
	CHECK_EQ(S.closed, 1);
	CHECK_EQ(S.close_reason, VX0_ONION_DESTROY_INTEGRITY);
	for (i = 0; i < NODES; i++)
		CHECK_EQ(vx0_onion_relay_circuits(S.n[i].r), 0);
	sim_teardown();
}

static int
create_on(struct vx0_onion_relay *r, const struct vx0_onion_relay_config *cfg, const uint8_t *B,
	  uint32_t link, uint32_t circ, uint64_t now)
{
	struct vx0_onion_ntor_client st;
	struct vx0_onion_action a;
	uint8_t cell[VX0_ONION_CELL_LEN], hs[96];
	int rc;

	vx0_onion_ntor_client_start(&st, cfg->id, B, NULL, hs);
	vx0_onion_cell_hdr_write(cell, VX0_ONION_CMD_CREATE, 0, circ);
	vx0_onion_create_build(cell + 8, hs);
	rc = vx0_onion_relay_input(r, link, cell, sizeof(cell), now);
	while (vx0_onion_relay_next_action(r, &a))
		;
	sodium_memzero(&st, sizeof(st));
	return rc;
}

/* A flood of CREATEs from one new source is cut at its bucket; a link
 * that already carries circuits still gets through on the reserve. */
static void
test_handshake_ratelimit(void)
{
	struct vx0_onion_bucket b = { 0 };
	struct vx0_onion_relay_config cfg;
	struct vx0_onion_relay *r;
	struct vx0_onion_action a;
	struct vx0_onion_addr flood, relay;
	struct vx0_onion_ntor_client st;
	uint8_t cell[VX0_ONION_CELL_LEN], hs[96], B[32];
	uint32_t lf, lr, i, ok = 0;
	int n;

	for (n = 0; n < 3; n++)
		CHECK_EQ(vx0_onion_bucket_take(&b, 2, 3, 0), 1);
	CHECK_EQ(vx0_onion_bucket_take(&b, 2, 3, 0), 0);
	CHECK_EQ(vx0_onion_bucket_take(&b, 2, 3, 499), 0);
	CHECK_EQ(vx0_onion_bucket_take(&b, 2, 3, 500), 1);
	CHECK_EQ(vx0_onion_bucket_level(&b, 2, 3, 100000000), 3);

	vx0_onion_relay_config_default(&cfg);
	randombytes_buf(cfg.id, 32);
	randombytes_buf(cfg.onion_sk, 32);
	cfg.hs_rate = 1;
	cfg.hs_burst = 20;
	cfg.hs_reserve = 10;
	cfg.hs_src_rate = 1;
	cfg.hs_src_burst = 5;
	cfg.max_circuits = 64;
	r = vx0_onion_relay_new(&cfg);
	crypto_scalarmult_base(B, cfg.onion_sk);
	addr4(&relay, 77, 1, 7150);
	lr = vx0_onion_relay_link(r, &relay);
	/* one circuit on the relay link first: it carries circuits now */
	CHECK_EQ(create_on(r, &cfg, B, lr, 1, 0), 0);
	/* a flood from one new source stops at its own burst */
	addr4(&flood, 66, 0, 1);
	lf = vx0_onion_relay_link(r, &flood);
	for (i = 0; i < 30; i++)
		ok += create_on(r, &cfg, B, lf, 100 + i, 0) == 0;
	CHECK_EQ(ok, 5);
	CHECK_EQ(vx0_onion_relay_stats(r)->rate_limited, 25);
	/* a second new source takes the global bucket to 14 - 5 = 9: once
	 * its first circuit exists it may dip into the reserve like any
	 * link that carries circuits, still within its own burst */
	addr4(&flood, 67, 0, 1);
	lf = vx0_onion_relay_link(r, &flood);
	ok = 0;
	for (i = 0; i < 30; i++)
		ok += create_on(r, &cfg, B, lf, 200 + i, 0) == 0;
	CHECK_EQ(ok, 5);
	/* at the reserve: a third new source is refused, the link that
	 * already carries circuits is admitted */
	addr4(&flood, 68, 0, 1);
	lf = vx0_onion_relay_link(r, &flood);
	CHECK_EQ(create_on(r, &cfg, B, lf, 300, 0), -EBUSY);
	CHECK_EQ(create_on(r, &cfg, B, lr, 301, 0), 0);
	CHECK_EQ(create_on(r, &cfg, B, lr, 302, 0), 0);
	/* after the buckets refill, the new source is admitted again */
	CHECK_EQ(create_on(r, &cfg, B, lf, 999, 60000), 0);
	vx0_onion_cell_hdr_write(cell, VX0_ONION_CMD_CREATE, 0, 1);
	CHECK_EQ(vx0_onion_cell_is_handshake(cell, sizeof(cell)), 1);
	vx0_onion_cell_hdr_write(cell, VX0_ONION_CMD_RELAY, 0, 1);
	CHECK_EQ(vx0_onion_cell_is_handshake(cell, sizeof(cell)), 0);
	/* a CREATE naming another relay or a stale onion key: DESTROY */
	while (vx0_onion_relay_next_action(r, &a))
		;
	vx0_onion_ntor_client_start(&st, cfg.id, cfg.id /* wrong B */, NULL, hs);
	vx0_onion_cell_hdr_write(cell, VX0_ONION_CMD_CREATE, 0, 5000);
	vx0_onion_create_build(cell + 8, hs);
	CHECK_EQ(vx0_onion_relay_input(r, lf, cell, sizeof(cell), 20000), -EACCES);
	CHECK_EQ(vx0_onion_relay_stats(r)->handshake_failed, 1);
	CHECK_EQ(vx0_onion_relay_next_action(r, &a), 1);
	CHECK_EQ(a.cell[1], VX0_ONION_CMD_DESTROY);
	CHECK_EQ(a.cell[VX0_ONION_LINK_HDR_LEN], VX0_ONION_DESTROY_HANDSHAKE);
	vx0_onion_relay_free(r);
	sodium_memzero(&cfg, sizeof(cfg));
}

/* A full link table recycles the least recently seen idle link; links
 * that carry circuits stay. */
static void
test_relay_link_table(void)
{
	struct vx0_onion_relay_config cfg;
	struct vx0_onion_relay *r;
	struct vx0_onion_action a;
	struct vx0_onion_addr x;
	uint32_t first, busy, id;
	unsigned int i;
	uint8_t B[32];

	vx0_onion_relay_config_default(&cfg);
	randombytes_buf(cfg.id, 32);
	randombytes_buf(cfg.onion_sk, 32);
	cfg.max_links = 4;
	r = vx0_onion_relay_new(&cfg);
	crypto_scalarmult_base(B, cfg.onion_sk);
	addr4(&x, 1, 0, 1000);
	first = vx0_onion_relay_link(r, &x);
	addr4(&x, 2, 0, 1000);
	busy = vx0_onion_relay_link(r, &x);
	CHECK_EQ(create_on(r, &cfg, B, busy, 1, 0), 0); /* busy carries a circuit */
	for (i = 3; i <= 4; i++) {
		addr4(&x, (uint8_t)i, 0, 1000);
		CHECK(vx0_onion_relay_link(r, &x) != 0);
	}
	/* the same address keeps its id */
	addr4(&x, 1, 0, 1000);
	CHECK_EQ(vx0_onion_relay_link(r, &x), first);
	/* a fifth source evicts the least recently seen idle link (.3),
	 * never the busy one */
	addr4(&x, 5, 0, 1000);
	id = vx0_onion_relay_link(r, &x);
	CHECK(id != 0 && id != busy && id != first);
	CHECK_EQ(vx0_onion_relay_next_action(r, &a), 1);
	while (a.type != VX0_ONION_ACT_LINK_OPEN || a.addr.addr[3] != 5)
		if (!vx0_onion_relay_next_action(r, &a))
			break;
	CHECK_EQ(a.type, VX0_ONION_ACT_LINK_OPEN);
	CHECK_EQ(a.link, id);
	addr4(&x, 2, 0, 1000);
	CHECK_EQ(vx0_onion_relay_link(r, &x), busy);
	vx0_onion_relay_free(r);
	sodium_memzero(&cfg, sizeof(cfg));
}

static void
test_cell_codec(void)
{
	struct vx0_onion_cell c, d;
	struct vx0_onion_cell_hdr h;
	uint8_t buf[VX0_ONION_CELL_LEN + 1];
	const uint8_t *hd;
	size_t hl;

	memset(&c, 0, sizeof(c));
	c.h.cmd = VX0_ONION_CMD_RELAY;
	c.h.flags = VX0_ONION_F_BACKWARD;
	c.h.circ_id = 0xdeadbeef;
	randombytes_buf(c.body, sizeof(c.body));
	vx0_onion_cell_encode(&c, buf);
	CHECK_MEM(buf, "\x01\x04\x01\x00\xde\xad\xbe\xef", 8);
	CHECK_EQ(vx0_onion_cell_decode(buf, VX0_ONION_CELL_LEN, &d), 0);
	CHECK_EQ(d.h.circ_id, 0xdeadbeef);
	CHECK_EQ(d.h.flags, VX0_ONION_F_BACKWARD);
	CHECK_MEM(d.body, c.body, sizeof(c.body));
	/* lengths: fixed size only */
	CHECK_EQ(vx0_onion_cell_hdr(buf, VX0_ONION_CELL_LEN - 1, &h), -EMSGSIZE);
	CHECK_EQ(vx0_onion_cell_hdr(buf, VX0_ONION_CELL_LEN + 1, &h), -EMSGSIZE);
	CHECK_EQ(vx0_onion_cell_hdr(buf, 0, &h), -EMSGSIZE);
	CHECK_EQ(vx0_onion_cell_hdr(NULL, VX0_ONION_CELL_LEN, &h), -EMSGSIZE);
	/* version, flags, reserved */
	buf[0] = 2;
	CHECK_EQ(vx0_onion_cell_hdr(buf, VX0_ONION_CELL_LEN, &h), -EPROTO);
	buf[0] = 1;
	buf[2] = 0x03;
	CHECK_EQ(vx0_onion_cell_hdr(buf, VX0_ONION_CELL_LEN, &h), -EPROTO);
	buf[2] = 0;
	buf[3] = 1;
	CHECK_EQ(vx0_onion_cell_hdr(buf, VX0_ONION_CELL_LEN, &h), -EPROTO);
	buf[3] = 0;
	/* commands and their directions */
	buf[1] = 0;
	CHECK_EQ(vx0_onion_cell_hdr(buf, VX0_ONION_CELL_LEN, &h), -EBADMSG);
	buf[1] = 6;
	CHECK_EQ(vx0_onion_cell_hdr(buf, VX0_ONION_CELL_LEN, &h), -EBADMSG);
	vx0_onion_cell_hdr_write(buf, VX0_ONION_CMD_CREATE, VX0_ONION_F_BACKWARD, 5);
	CHECK_EQ(vx0_onion_cell_hdr(buf, VX0_ONION_CELL_LEN, &h), -EBADMSG);
	vx0_onion_cell_hdr_write(buf, VX0_ONION_CMD_CREATED, 0, 5);
	CHECK_EQ(vx0_onion_cell_hdr(buf, VX0_ONION_CELL_LEN, &h), -EBADMSG);
	vx0_onion_cell_hdr_write(buf, VX0_ONION_CMD_RELAY, 0, 0);
	CHECK_EQ(vx0_onion_cell_hdr(buf, VX0_ONION_CELL_LEN, &h), -EBADMSG);
	vx0_onion_cell_hdr_write(buf, VX0_ONION_CMD_PADDING, 0, 9);
	CHECK_EQ(vx0_onion_cell_hdr(buf, VX0_ONION_CELL_LEN, &h), -EBADMSG);
	vx0_onion_cell_hdr_write(buf, VX0_ONION_CMD_PADDING, 0, 0);
	CHECK_EQ(vx0_onion_cell_hdr(buf, VX0_ONION_CELL_LEN, &h), 0);

	/* CREATE/CREATED bodies */
	{
		uint8_t hs[96], body[VX0_ONION_BODY_LEN];

		randombytes_buf(hs, sizeof(hs));
		vx0_onion_create_build(body, hs);
		CHECK_EQ(vx0_onion_create_parse(body, sizeof(body), &hd, &hl), 0);
		CHECK_EQ(hl, 96);
		CHECK_MEM(hd, hs, 96);
		CHECK_EQ(vx0_onion_created_parse(body, sizeof(body), &hd, &hl), -EBADMSG);
		CHECK_EQ(vx0_onion_create_parse(body, 3, &hd, &hl), -EMSGSIZE);
		CHECK_EQ(vx0_onion_create_parse(body, 50, &hd, &hl), -EMSGSIZE);
		body[1] = 2;
		CHECK_EQ(vx0_onion_create_parse(body, sizeof(body), &hd, &hl), -EPROTONOSUPPORT);
	}
	/* relay messages */
	{
		uint8_t p[64];
		struct vx0_onion_relay_msg m;

		CHECK_EQ(vx0_onion_relay_msg_build(p, sizeof(p), VX0_ONION_RELAY_DATA, "abc", 3), 7);
		CHECK_EQ(vx0_onion_relay_msg_parse(p, sizeof(p), &m), 0);
		CHECK_EQ(m.len, 3);
		CHECK_MEM(m.data, "abc", 3);
		CHECK_EQ(vx0_onion_relay_msg_parse(p, 6, &m), -EMSGSIZE);
		CHECK_EQ(vx0_onion_relay_msg_parse(p, 3, &m), -EMSGSIZE);
		p[0] = 0x7f;
		CHECK_EQ(vx0_onion_relay_msg_parse(p, sizeof(p), &m), -EBADMSG);
		p[0] = 0x84;
		CHECK_EQ(vx0_onion_relay_msg_parse(p, sizeof(p), &m), -EBADMSG);
		CHECK_EQ(vx0_onion_relay_msg_build(p, sizeof(p), VX0_ONION_RELAY_DATA, p, 61),
			 -EMSGSIZE);
		CHECK_EQ(vx0_onion_relay_msg_build(p, sizeof(p), 0x10, p, 1), -EINVAL);
	}
	/* EXTEND / EXTENDED payloads */
	{
		struct vx0_onion_addr a = { 6, 7150, { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } }, b;
		uint8_t hs[96], p[160];
		int n;

		randombytes_buf(hs, sizeof(hs));
		n = vx0_onion_extend_build(p, sizeof(p), &a, hs);
		CHECK_EQ(n, 1 + 2 + 16 + 4 + 96);
		CHECK_EQ(vx0_onion_extend_parse(p, (size_t)n, &b, &hd), 0);
		CHECK(vx0_onion_addr_equal(&a, &b));
		CHECK_MEM(hd, hs, 96);
		CHECK_EQ(vx0_onion_extend_parse(p, (size_t)n - 1, &b, &hd), -EMSGSIZE);
		CHECK_EQ(vx0_onion_extend_parse(p, 10, &b, &hd), -EMSGSIZE);
		CHECK_EQ(vx0_onion_extend_parse(p, 0, &b, &hd), -EMSGSIZE);
		CHECK_EQ(vx0_onion_extend_build(p, 50, &a, hs), -EMSGSIZE);
		p[0] = 5;
		CHECK_EQ(vx0_onion_extend_parse(p, (size_t)n, &b, &hd), -EAFNOSUPPORT);
		p[0] = 6;
		p[1] = p[2] = 0;
		CHECK_EQ(vx0_onion_extend_parse(p, (size_t)n, &b, &hd), -EBADMSG);
		n = vx0_onion_extended_build(p, sizeof(p), hs);
		CHECK_EQ(n, 68);
		CHECK_EQ(vx0_onion_extended_parse(p, (size_t)n, &hd), 0);
		CHECK_EQ(vx0_onion_extended_parse(p, 67, &hd), -EMSGSIZE);
	}
}

static void
test_exit_policy(void)
{
	struct vx0_onion_exit_policy p;
	uint8_t pkt[200];
	size_t n;

	vx0_onion_exit_policy_default(&p);
	n = udp4(pkt, 53, 20);
	CHECK_EQ(vx0_onion_exit_policy_check(&p, pkt, n), 0);
	pkt[23] = 54; /* port 54 */
	CHECK_EQ(vx0_onion_exit_policy_check(&p, pkt, n), -EACCES);
	pkt[23] = 53;
	pkt[16] = 10; /* 10.0.113.50: private */
	CHECK_EQ(vx0_onion_exit_policy_check(&p, pkt, n), -EACCES);
	pkt[16] = 172; pkt[17] = 31; /* 172.31/16 is in 172.16/12 */
	CHECK_EQ(vx0_onion_exit_policy_check(&p, pkt, n), -EACCES);
	pkt[17] = 32; /* 172.32 is not */
	CHECK_EQ(vx0_onion_exit_policy_check(&p, pkt, n), 0);
	pkt[9] = 6; /* TCP 53 is not allowed */
	CHECK_EQ(vx0_onion_exit_policy_check(&p, pkt, n), -EACCES);
	pkt[22] = 1; pkt[23] = 0xbb; /* TCP 443 */
	CHECK_EQ(vx0_onion_exit_policy_check(&p, pkt, n), 0);
	pkt[6] = 0x20; /* more fragments */
	CHECK_EQ(vx0_onion_exit_policy_check(&p, pkt, n), -EACCES);
	pkt[6] = 0;
	pkt[7] = 1; /* fragment offset */
	CHECK_EQ(vx0_onion_exit_policy_check(&p, pkt, n), -EACCES);
	pkt[7] = 0;
	/* malformed */
	CHECK_EQ(vx0_onion_exit_policy_check(&p, pkt, 19), -EINVAL);
	CHECK_EQ(vx0_onion_exit_policy_check(&p, pkt, n - 1), -EINVAL); /* total > len */
	pkt[0] = 0x44;
	CHECK_EQ(vx0_onion_exit_policy_check(&p, pkt, n), -EINVAL);
	pkt[0] = 0x4f; /* ihl 60 > total 48 */
	CHECK_EQ(vx0_onion_exit_policy_check(&p, pkt, n), -EINVAL);
	pkt[0] = 0x45;
	pkt[2] = 0; pkt[3] = 22; /* UDP header cut */
	CHECK_EQ(vx0_onion_exit_policy_check(&p, pkt, n), -EINVAL);
	CHECK_EQ(vx0_onion_exit_policy_check(&p, pkt, 0), -EINVAL);
	pkt[0] = 0x35;
	CHECK_EQ(vx0_onion_exit_policy_check(&p, pkt, n), -EINVAL);
	/* ICMP echo only */
	n = udp4(pkt, 0, 8);
	pkt[9] = 1;
	pkt[20] = 8;
	CHECK_EQ(vx0_onion_exit_policy_check(&p, pkt, n), 0);
	pkt[20] = 13;
	CHECK_EQ(vx0_onion_exit_policy_check(&p, pkt, n), -EACCES);
	pkt[9] = 47; /* GRE */
	CHECK_EQ(vx0_onion_exit_policy_check(&p, pkt, n), -EACCES);
	/* IPv6 */
	n = udp6(pkt, 443, 100);
	CHECK_EQ(vx0_onion_exit_policy_check(&p, pkt, n), 0);
	pkt[6] = 44; /* fragment header: fail closed */
	CHECK_EQ(vx0_onion_exit_policy_check(&p, pkt, n), -EACCES);
	pkt[6] = 17;
	pkt[24] = 0xfe; pkt[25] = 0x80; /* link-local */
	CHECK_EQ(vx0_onion_exit_policy_check(&p, pkt, n), -EACCES);
	pkt[25] = 0xc0; /* fec0:: is outside fe80::/10 */
	CHECK_EQ(vx0_onion_exit_policy_check(&p, pkt, n), 0);
	pkt[24] = 0xfd; /* ULA fc00::/7 */
	CHECK_EQ(vx0_onion_exit_policy_check(&p, pkt, n), -EACCES);
	memset(pkt + 24, 0, 16);
	pkt[39] = 1; /* ::1 */
	CHECK_EQ(vx0_onion_exit_policy_check(&p, pkt, n), -EACCES);
	CHECK_EQ(vx0_onion_exit_policy_check(&p, pkt, 39), -EINVAL);
	CHECK_EQ(vx0_onion_exit_policy_check(&p, pkt, n - 1), -EINVAL); /* payload len */
	/* exactly one packet, every fixed transport header whole (the exit
	 * rewrites ports and checksums in place) */
	n = udp6(pkt, 443, 100);
	CHECK_EQ(vx0_onion_exit_policy_check(&p, pkt, n + 1), -EINVAL); /* a byte past it */
	n = udp4(pkt, 53, 20);
	CHECK_EQ(vx0_onion_exit_policy_check(&p, pkt, n + 4), -EINVAL);
	for (size_t l4 = 4; l4 < 20; l4++) {
		n = udp4(pkt, 53, 0);
		pkt[2] = 0;
		pkt[3] = (uint8_t)(20 + l4);
		CHECK_EQ(vx0_onion_exit_policy_check(&p, pkt, 20 + l4), l4 < 8 ? -EINVAL : 0);
		pkt[9] = 6;
		pkt[22] = 1; pkt[23] = 0xbb; /* TCP 443 */
		CHECK_EQ(vx0_onion_exit_policy_check(&p, pkt, 20 + l4), -EINVAL);
		pkt[9] = 1;
		pkt[20] = 8; /* ICMP echo */
		CHECK_EQ(vx0_onion_exit_policy_check(&p, pkt, 20 + l4), l4 < 8 ? -EINVAL : 0);
	}
	/* an empty policy allows no port */
	memset(&p, 0, sizeof(p));
	n = udp6(pkt, 443, 100);
	CHECK_EQ(vx0_onion_exit_policy_check(&p, pkt, n), -EACCES);
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	VX0_RUN(test_cell_codec);
	VX0_RUN(test_exit_policy);
	VX0_RUN(test_circuit_build);
	VX0_RUN(test_circuit_data);
	VX0_RUN(test_circuit_padding);
	VX0_RUN(test_circuit_dataplane_handoff);
	VX0_RUN(test_circuit_tamper);
	VX0_RUN(test_circuit_header_flip);
	VX0_RUN(test_circuit_backward_tamper);
	VX0_RUN(test_circuit_bad_cells);
	VX0_RUN(test_circuit_timeouts);
	VX0_RUN(test_circuit_rotation);
	VX0_RUN(test_handshake_ratelimit);
	VX0_RUN(test_relay_link_table);
	VX0_RUN(test_relay_dataplane_hooks);
	return vx0_test_done();
}
