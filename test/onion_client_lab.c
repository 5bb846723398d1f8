/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Lab client for dts/test_vx0d_onion.py: builds a circuit through vx0d
 * relays (lib/onion's client core over a UDP socket) and sends real IPv4
 * UDP datagrams through it to a server behind the exit, checking that every
 * reply comes back byte-exact. Bounded by deadlines; prints one JSON line.
 *
 * usage: onion_client_lab RELAYS.json SRC_IP DST_IP DST_PORT COUNT SIZE INTERVAL_MS [flip]
 *   INTERVAL_MS: one packet every INTERVAL_MS; 0 sends all at once
 *   RELAYS.json: {"relays": [guard, middle, exit]} as vx0d's onion.descriptor
 *   flip: afterwards, send one cell with one bit flipped and wait for the
 *         circuit to be destroyed (prints its reason).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <jansson.h>
#include <sodium.h>

#include "vx0_onion.h"
#include "vx0_test_clock.h"

#define MAX_PKTS 512
#define SPORT 40000

struct lab {
	int fd;
	struct sockaddr_in guard;
	struct vx0_onion_circ *c;
	struct vx0_onion_event ev;
	uint8_t src[4], dst[4];
	uint16_t dport;
	uint8_t sent[MAX_PKTS][1300];
	size_t sent_len[MAX_PKTS];
	unsigned int received, exact, wrong;
	int closed_reason;
	uint8_t flip_next;
};

static int
hex32(const char *s, uint8_t out[32])
{
	size_t n;

	return s && sodium_hex2bin(out, 32, s, strlen(s), NULL, &n, NULL) == 0 && n == 32 ? 0 : -1;
}

static int
load_relays(const char *path, struct vx0_onion_relay_desc *d, unsigned int *n)
{
	json_error_t e;
	json_t *root = json_load_file(path, 0, &e), *a, *r;
	size_t i;

	if (root == NULL || !json_is_array(a = json_object_get(root, "relays")) ||
	    json_array_size(a) == 0 || json_array_size(a) > VX0_ONION_MAX_HOPS)
		return -1;
	json_array_foreach(a, i, r) {
		const char *addr = json_string_value(json_object_get(r, "addr"));

		memset(&d[i], 0, sizeof(d[i]));
		if (addr && inet_pton(AF_INET, addr, d[i].addr.addr) == 1)
			d[i].addr.family = 4;
		else if (addr && inet_pton(AF_INET6, addr, d[i].addr.addr) == 1)
			d[i].addr.family = 6;
		else
			return -1;
		d[i].addr.port = (uint16_t)json_integer_value(json_object_get(r, "port"));
		if (hex32(json_string_value(json_object_get(r, "id")), d[i].id) < 0 ||
		    hex32(json_string_value(json_object_get(r, "onion_key")), d[i].onion_pk) < 0)
			return -1;
	}
	*n = (unsigned int)json_array_size(a);
	json_decref(root);
	return 0;
}

static void
on_event(struct lab *l)
{
	struct vx0_onion_event *ev = &l->ev;

	if (ev->has_cell) {
		if (l->flip_next) {
			/* one bit of the body, after the first hop's header */
			ev->cell[VX0_ONION_LINK_HDR_LEN + 100] ^= 0x01;
			l->flip_next = 0;
		}
		sendto(l->fd, ev->cell, VX0_ONION_CELL_LEN, 0, (struct sockaddr *)&l->guard,
		       sizeof(l->guard));
	}
	if (ev->type == VX0_ONION_EV_CLOSED)
		l->closed_reason = ev->reason;
	if (ev->type == VX0_ONION_EV_DATA) {
		const uint8_t *p = ev->data;
		size_t len = ev->len;

		l->received++;
		/* IPv4/UDP from the server to us, its payload one we sent */
		if (len < 28 || (p[0] >> 4) != 4 || p[9] != IPPROTO_UDP ||
		    memcmp(p + 12, l->dst, 4) != 0 || memcmp(p + 16, l->src, 4) != 0 ||
		    (p[22] << 8 | p[23]) != SPORT) {
			l->wrong++;
			return;
		}
		for (unsigned int i = 0; i < MAX_PKTS; i++)
			if (l->sent_len[i] == len - 28 && memcmp(l->sent[i], p + 28, len - 28) == 0) {
				l->exact++;
				l->sent_len[i] = 0;
				return;
			}
		l->wrong++;
	}
	ev->type = VX0_ONION_EV_NONE;
	ev->has_cell = 0;
}

/* Serve the socket and the timers until cond holds or the deadline. */
static void
run_until(struct lab *l, uint64_t deadline, int (*cond)(struct lab *), unsigned int arg_unused)
{
	uint8_t buf[VX0_ONION_CELL_LEN + 1];

	(void)arg_unused;
	while (!cond(l) && vx0_test_now_ms() < deadline) {
		struct pollfd pfd = { .fd = l->fd, .events = POLLIN };

		if (poll(&pfd, 1, 20) > 0) {
			ssize_t n;

			while ((n = recv(l->fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
				memset(&l->ev, 0, sizeof(l->ev));
				vx0_onion_circ_input(l->c, buf, (size_t)n, vx0_test_now_ms(), &l->ev);
				on_event(l);
			}
		}
		memset(&l->ev, 0, sizeof(l->ev));
		vx0_onion_circ_tick(l->c, vx0_test_now_ms(), &l->ev);
		on_event(l);
	}
}

static int
is_closed(struct lab *l)
{
	return l->c->state == VX0_ONION_CIRC_CLOSED;
}

static int
is_open(struct lab *l)
{
	return l->c->state == VX0_ONION_CIRC_OPEN || l->c->state == VX0_ONION_CIRC_CLOSED;
}

static unsigned int want_exact;

static int
got_enough(struct lab *l)
{
	return l->exact >= want_exact || l->c->state == VX0_ONION_CIRC_CLOSED;
}


/* IPv4/UDP SPORT -> dst:dport with payload[len] (checksums filled in) */
static size_t
build(struct lab *l, uint8_t *p, const uint8_t *payload, size_t len)
{
	uint32_t sum = 0;
	size_t i, tot = 28 + len;

	memset(p, 0, 28);
	p[0] = 0x45;
	p[2] = (uint8_t)(tot >> 8);
	p[3] = (uint8_t)tot;
	p[8] = 64;
	p[9] = IPPROTO_UDP;
	memcpy(p + 12, l->src, 4);
	memcpy(p + 16, l->dst, 4);
	for (i = 0; i < 20; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	p[10] = (uint8_t)(~sum >> 8);
	p[11] = (uint8_t)~sum;
	p[20] = SPORT >> 8;
	p[21] = SPORT & 0xff;
	p[22] = (uint8_t)(l->dport >> 8);
	p[23] = (uint8_t)l->dport;
	p[24] = (uint8_t)((8 + len) >> 8);
	p[25] = (uint8_t)(8 + len);
	memcpy(p + 28, payload, len);
	/* UDP checksum over the pseudo-header */
	sum = 0;
	for (i = 12; i < 20; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	sum += IPPROTO_UDP + (uint32_t)(8 + len);
	for (i = 20; i < tot; i += 2)
		sum += (uint32_t)(p[i] << 8 | (i + 1 < tot ? p[i + 1] : 0));
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	sum = ~sum & 0xffff;
	if (sum == 0)
		sum = 0xffff;
	p[26] = (uint8_t)(sum >> 8);
	p[27] = (uint8_t)sum;
	return tot;
}

int
main(int argc, char **argv)
{
	struct vx0_onion_relay_desc path[VX0_ONION_MAX_HOPS];
	static struct lab lab;
	struct lab *l = &lab;
	unsigned int n, count, size, interval, sent = 0;
	uint64_t t0;
	uint32_t id;
	int flip;

	if (argc < 8 || sodium_init() < 0) {
		fprintf(stderr, "usage: %s RELAYS.json SRC DST PORT COUNT SIZE INTERVAL_MS [flip]\n",
			argv[0]);
		return 2;
	}
	count = (unsigned int)atoi(argv[5]);
	size = (unsigned int)atoi(argv[6]);
	interval = (unsigned int)atoi(argv[7]);
	flip = argc > 8 && strcmp(argv[8], "flip") == 0;
	if (load_relays(argv[1], path, &n) < 0 || inet_pton(AF_INET, argv[2], l->src) != 1 ||
	    inet_pton(AF_INET, argv[3], l->dst) != 1 || count > MAX_PKTS || size < 1 ||
	    size > VX0_ONION_FWD_DATA_MAX - 28 || path[0].addr.family != 4) {
		fprintf(stderr, "bad arguments or relays file\n");
		return 2;
	}
	l->dport = (uint16_t)atoi(argv[4]);
	l->closed_reason = -1;
	l->fd = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&l->guard, 0, sizeof(l->guard));
	l->guard.sin_family = AF_INET;
	l->guard.sin_port = htons(path[0].addr.port);
	memcpy(&l->guard.sin_addr, path[0].addr.addr, 4);
	l->c = vx0_onion_circ_new();
	if (l->fd < 0 || l->c == NULL)
		return 1;
	do
		id = randombytes_random();
	while (id == 0);
	t0 = vx0_test_now_ms();
	memset(&l->ev, 0, sizeof(l->ev));
	if (vx0_onion_circ_start(l->c, path, n, id, vx0_test_now_ms(), &l->ev) < 0)
		return 1;
	on_event(l);
	run_until(l, t0 + 15000, is_open, 0);
	if (l->c->state != VX0_ONION_CIRC_OPEN) {
		printf("{\"open\": false, \"state\": %d, \"closed_reason\": %d}\n", l->c->state,
		       l->closed_reason);
		return 1;
	}
	printf("{\"open\": true, \"build_ms\": %llu, ", (unsigned long long)(vx0_test_now_ms() - t0));
	fflush(stdout);
	for (unsigned int i = 0; i < count && l->c->state == VX0_ONION_CIRC_OPEN; i++) {
		uint8_t pkt[1400];
		size_t len;

		randombytes_buf(l->sent[i], size);
		l->sent_len[i] = size;
		len = build(l, pkt, l->sent[i], size);
		memset(&l->ev, 0, sizeof(l->ev));
		if (vx0_onion_circ_send(l->c, pkt, len, vx0_test_now_ms(), &l->ev) == 0) {
			on_event(l);
			sent++;
		}
		/* paced: one packet every interval (serving replies meanwhile);
		 * 0: all at once */
		if (interval)
			run_until(l, vx0_test_now_ms() + interval, is_closed, 0);
	}
	want_exact = sent;
	run_until(l, vx0_test_now_ms() + 3000, got_enough, 0);
	printf("\"sent\": %u, \"received\": %u, \"exact\": %u, \"wrong\": %u", sent, l->received,
	       l->exact, l->wrong);
	if (flip && l->c->state == VX0_ONION_CIRC_OPEN) {
		uint8_t pkt[1400], payload[64];
		size_t len;

		randombytes_buf(payload, sizeof(payload));
		len = build(l, pkt, payload, sizeof(payload));
		l->flip_next = 1;
		memset(&l->ev, 0, sizeof(l->ev));
		vx0_onion_circ_send(l->c, pkt, len, vx0_test_now_ms(), &l->ev);
		on_event(l);
		run_until(l, vx0_test_now_ms() + 5000, is_closed, 0);
		printf(", \"flipped\": true");
	}
	printf(", \"state\": %d, \"closed_reason\": %d}\n", l->c->state, l->closed_reason);
	vx0_onion_circ_free(l->c);
	return 0;
}
