/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The data plane's onion circuit and link tables (lib/pipeline/onion_table.c):
 * install, END -> TRANSIT update, remove, reclaim after the RCU grace
 * period (slots wiped), limits; and updates while another lcore looks
 * circuits up lock-free: a reader never sees a slot that was freed or
 * reused under it.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>
#include <sodium.h>

#include "vx0_onion_dp.h"
#include "vx0_test.h"
#include "vx0_test_eal.h"

static struct rte_rcu_qsbr *qsv;

/* keys derived from the circuit so a reader can tell whose slot it holds */
static void
entry(struct vx0_onion_circ_entry *e, uint32_t link, uint32_t circ, uint32_t out_link,
      uint32_t out_circ)
{
	memset(e, 0, sizeof(*e));
	e->in_link = link;
	e->in_circ = circ;
	e->out_link = out_link;
	e->out_circ = out_circ;
	e->role = out_link ? VX0_ONION_ROLE_TRANSIT : VX0_ONION_ROLE_END;
	for (int i = 0; i < 32; i++) {
		e->keys.kf[i] = (uint8_t)(circ + (uint32_t)i);
		e->keys.kb[i] = (uint8_t)(circ * 3 + (uint32_t)i);
	}
	e->keys.fseq_base = 1000 + circ;
	e->keys.bseq_base = 2000 + circ;
}

static bool
slot_is(const struct vx0_onion_dp_circ *c, uint32_t link, uint32_t circ)
{
	if (c->in_link != link || c->in_circ != circ)
		return false;
	for (int i = 0; i < 32; i++)
		if (c->kf[i] != (uint8_t)(circ + (uint32_t)i) ||
		    c->kb[i] != (uint8_t)(circ * 3 + (uint32_t)i))
			return false;
	return true;
}

static void
test_install_update_remove_reclaim(void)
{
	struct vx0_onion_table *t = vx0_onion_table_create("tu", 4, 4, 0, qsv);
	struct vx0_onion_circ_entry e;
	struct vx0_onion_dp_circ *c, *c2;
	struct vx0_onion_peer p;
	uint8_t src[16] = { 198, 51, 100, 1 };

	CHECK(t != NULL);
	/* links: set, look up, recycle the id for another peer */
	memset(&p, 0, sizeof(p));
	p.family = 4;
	p.port = 7150;
	memcpy(p.addr, (uint8_t[]){ 198, 51, 100, 2 }, 4);
	CHECK_EQ(vx0_onion_table_link_lookup(t, &p), 0);
	CHECK_EQ(vx0_onion_table_link_set(t, 1, &p, src), 0);
	CHECK_EQ(vx0_onion_table_link_lookup(t, &p), 1);
	CHECK_EQ(vx0_onion_table_link_set(t, 5, &p, src), -EINVAL);
	p.addr[3] = 3;
	CHECK_EQ(vx0_onion_table_link_set(t, 1, &p, src), 0);
	CHECK_EQ(vx0_onion_table_link_lookup(t, &p), 1);
	p.addr[3] = 2;
	CHECK_EQ(vx0_onion_table_link_lookup(t, &p), 0);  /* the old peer is gone */

	entry(&e, 1, 0x100, 0, 0);
	CHECK_EQ(vx0_onion_table_install(t, &e, 5), 0);
	c = vx0_onion_table_lookup(t, 1, 0x100, 0);
	CHECK(c != NULL && slot_is(c, 1, 0x100));
	CHECK_EQ(c->role, VX0_ONION_ROLE_END);
	CHECK_EQ(c->bseq, 2000 + 0x100);
	CHECK(vx0_onion_table_lookup(t, 1, 0x100, 1) == NULL);   /* no backward key yet */
	CHECK_EQ(vx0_onion_table_install(t, &e, 5), -EEXIST);
	/* the data plane used the circuit: END -> TRANSIT keeps its state */
	c->bseq += 7;
	c->fwin.top = 12345;
	entry(&e, 1, 0x100, 2, 0x200);
	CHECK_EQ(vx0_onion_table_install(t, &e, 6), 0);
	c2 = vx0_onion_table_lookup(t, 2, 0x200, 1);
	CHECK(c2 == c);
	CHECK_EQ(c->role, VX0_ONION_ROLE_TRANSIT);
	CHECK_EQ(c->out_link, 2);
	CHECK_EQ(c->out_circ, 0x200);
	CHECK_EQ(c->bseq, 2000 + 0x100 + 7);
	CHECK_EQ(c->fwin.top, 12345);
	CHECK(vx0_onion_table_lookup(t, 2, 0x200, 0) == NULL);   /* direction is part of the key */
	/* bad entries */
	entry(&e, 0, 0x1, 0, 0);
	CHECK_EQ(vx0_onion_table_install(t, &e, 0), -EINVAL);
	entry(&e, 1, 0x2, 9, 0x3);
	CHECK_EQ(vx0_onion_table_install(t, &e, 0), -EINVAL);
	/* full */
	for (uint32_t i = 1; i <= 3; i++) {
		entry(&e, 3, i, 0, 0);
		CHECK_EQ(vx0_onion_table_install(t, &e, 0), 0);
	}
	entry(&e, 3, 4, 0, 0);
	CHECK_EQ(vx0_onion_table_install(t, &e, 0), -ENOSPC);
	CHECK_EQ(t->n_circ, 4);
	/* remove: both keys go at once; the slot is wiped only at reclaim */
	CHECK_EQ(vx0_onion_table_remove(t, 1, 0x100), 0);
	CHECK_EQ(vx0_onion_table_remove(t, 1, 0x100), -ENOENT);
	CHECK(vx0_onion_table_lookup(t, 1, 0x100, 0) == NULL);
	CHECK(vx0_onion_table_lookup(t, 2, 0x200, 1) == NULL);
	CHECK(slot_is(c, 1, 0x100));                 /* a reader may still hold it */
	CHECK_EQ(vx0_onion_table_install(t, &e, 0), -ENOSPC);  /* not free before the grace period */
	CHECK_EQ(vx0_onion_table_reclaim(t), 1);
	CHECK(sodium_is_zero(c->kf, 32) && sodium_is_zero(c->kb, 32) && c->in_link == 0);
	CHECK_EQ(vx0_onion_table_install(t, &e, 0), 0);
	CHECK_EQ(vx0_onion_table_reclaim(t), 0);
	vx0_onion_table_free(t);
}

/* ---- classify's choice, and the outer header the stage builds ---- */

static struct vx0_pkt_meta *
meta_of(const uint8_t *frame, size_t len, struct vx0_pkt_meta *m)
{
	return vx0_pkt_parse(frame, (uint32_t)len, m) == VX0_PKT_OK ? m : NULL;
}

/* Ethernet + IPv4 + UDP sport -> dport, n payload bytes */
static size_t
udp4_frame(uint8_t *f, const uint8_t dst[4], uint16_t sport, uint16_t dport, size_t n)
{
	uint8_t *ip = f + 14;
	uint16_t c;

	memset(f, 0, 14 + 28 + n);
	f[0] = 0x02;
	f[12] = 0x08;
	ip[0] = 0x45;
	ip[2] = (uint8_t)((28 + n) >> 8);
	ip[3] = (uint8_t)(28 + n);
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, (uint8_t[]){ 198, 51, 100, 1 }, 4);
	memcpy(ip + 16, dst, 4);
	c = vx0_pkt_ipv4_csum(ip, 20);
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
	ip[20] = (uint8_t)(sport >> 8);
	ip[21] = (uint8_t)sport;
	ip[22] = (uint8_t)(dport >> 8);
	ip[23] = (uint8_t)dport;
	ip[24] = (uint8_t)((8 + n) >> 8);
	ip[25] = (uint8_t)(8 + n);
	return 14 + 28 + n;
}

static void
test_classify_choice_and_encap(void)
{
	static uint8_t f[2048];
	static const uint8_t nat[4] = { 203, 0, 113, 1 }, other[4] = { 203, 0, 113, 7 };
	struct vx0_onion_dp od;
	struct vx0_pkt_meta m;
	struct rte_mempool *mp = rte_pktmbuf_pool_create("encap", 64, 0, 0,
							 RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	struct vx0_onion_dp_link l4 = { .peer = { .family = 4, .port = 7151,
						  .addr = { 198, 51, 100, 6 } },
					.src = { 198, 51, 100, 5 } };
	struct vx0_onion_dp_link l6 = { .peer = { .family = 6, .port = 7152,
						  .addr = { 0x20, 0x01, 0x0d, 0xb8, [15] = 6 } },
					.src = { 0x20, 0x01, 0x0d, 0xb8, [15] = 5 } };
	struct rte_ether_addr mac = { { 0x02, 0, 0, 0, 0, 1 } };
	uint8_t cell[VX0_ONION_CELL_LEN];
	size_t n;

	memset(&od, 0, sizeof(od));
	od.port = 7150;
	/* cells to the onion port: always; others only on an exit, to its NAT
	 * address and port range */
	n = udp4_frame(f, other, 4000, 7150, VX0_ONION_CELL_LEN);
	CHECK(vx0_onion_dp_wants(&od, meta_of(f, n, &m), f + 14));
	n = udp4_frame(f, nat, 53, 61005, 40);
	CHECK(!vx0_onion_dp_wants(&od, meta_of(f, n, &m), f + 14));
	od.exit = true;
	memcpy(&od.nat4, nat, 4);
	od.nat_lo = 61000;
	od.nat_hi = 61999;
	CHECK(vx0_onion_dp_wants(&od, meta_of(f, n, &m), f + 14));
	CHECK_EQ(vx0_onion_dp_worker(&od, &m, f + 14, 4), 61005 % 4);
	n = udp4_frame(f, nat, 53, 60999, 40);
	CHECK(!vx0_onion_dp_wants(&od, meta_of(f, n, &m), f + 14));  /* below the range */
	n = udp4_frame(f, other, 53, 61005, 40);
	CHECK(!vx0_onion_dp_wants(&od, meta_of(f, n, &m), f + 14));  /* not the NAT address */
	n = udp4_frame(f, nat, 53, 7150, 40);
	CHECK(vx0_onion_dp_wants(&od, meta_of(f, n, &m), f + 14));   /* the onion port */
	/* the same circuit from the same peer always meets the same worker */
	n = udp4_frame(f, other, 4000, 7150, VX0_ONION_CELL_LEN);
	f[14 + 28 + 4] = 0x12;
	CHECK(meta_of(f, n, &m) != NULL);
	CHECK_EQ(vx0_onion_dp_worker(&od, &m, f + 14, 4), vx0_onion_dp_worker(&od, &m, f + 14, 4));
	CHECK(vx0_onion_dp_worker(&od, &m, f + 14, 4) < 4);
	CHECK_EQ(vx0_onion_dp_worker(&od, &m, f + 14, 1), 0);

	/* encap: a whole, valid IPv4 / IPv6 UDP packet toward the link */
	CHECK(mp != NULL);
	randombytes_buf(cell, sizeof(cell));
	for (int v = 0; v < 2; v++) {
		struct rte_mbuf *mb = rte_pktmbuf_alloc(mp);
		uint8_t *p = (uint8_t *)rte_pktmbuf_append(mb, 100 + VX0_ONION_CELL_LEN + 24);
		const uint8_t *d, *ip;

		/* the cell somewhere inside, trailing bytes after it */
		memcpy(p + 100, cell, sizeof(cell));
		CHECK_EQ(vx0_onion_dp_encap(&od, mb, p + 100, v ? &l6 : &l4, &mac), 0);
		d = rte_pktmbuf_mtod(mb, const uint8_t *);
		CHECK_EQ(mb->data_len, 14 + (v ? 40 : 20) + 8 + VX0_ONION_CELL_LEN);
		CHECK(meta_of(d, mb->data_len, &m) != NULL);
		CHECK_EQ(m.l4_proto, 17);
		CHECK_EQ(m.sport, 7150);
		CHECK_EQ(m.dport, v ? 7152 : 7151);
		CHECK_EQ(m.ttl, 64);
		CHECK_MEM(d, mac.addr_bytes, 6);
		ip = d + 14;
		CHECK_MEM(v ? ip + 8 : ip + 12, v ? l6.src : l4.src, v ? 16 : 4);
		CHECK_MEM(v ? ip + 24 : ip + 16, v ? l6.peer.addr : l4.peer.addr, v ? 16 : 4);
		CHECK_MEM(ip + (v ? 48 : 28), cell, sizeof(cell));
		if (v)  /* IPv6 needs the UDP checksum: it verifies */
			CHECK_EQ(vx0_pkt_l4_csum_ipv6(ip + 8, ip + 24, 17, ip + 40,
						      8 + VX0_ONION_CELL_LEN), 0);
		else    /* IPv4: none (RFC 768) */
			CHECK(ip[26] == 0 && ip[27] == 0);
		rte_pktmbuf_free(mb);
	}
	rte_mempool_free(mp);
}

/* ---- concurrent: one reader lcore, the main lcore writes ---- */

#define NCIRC 48
static struct vx0_onion_table *ct;
static volatile int stop_reader;
static uint64_t reader_lookups, reader_hits, reader_errors;

static int
reader(void *arg)
{
	unsigned int tid = rte_lcore_id();
	uint32_t r = 1;

	(void)arg;
	rte_rcu_qsbr_thread_register(qsv, tid);
	rte_rcu_qsbr_thread_online(qsv, tid);
	while (!__atomic_load_n(&stop_reader, __ATOMIC_ACQUIRE)) {
		for (int i = 0; i < 32; i++) {
			uint32_t circ, dir;
			struct vx0_onion_dp_circ *c;

			r = r * 1103515245u + 12345u;
			circ = 1 + (r >> 8) % (NCIRC * 2);
			dir = (r >> 4) & 1;
			c = vx0_onion_table_lookup(ct, dir ? 2 : 1, dir ? circ + 0x10000 : circ, dir);
			reader_lookups++;
			if (c == NULL)
				continue;
			reader_hits++;
			/* what we found is that circuit, and stays it until our
			 * quiescent state, however the writer goes on */
			for (int k = 0; k < 8; k++) {
				if (!slot_is(c, 1, circ))
					reader_errors++;
				rte_pause();
			}
			if (dir && (__atomic_load_n(&c->role, __ATOMIC_ACQUIRE) != VX0_ONION_ROLE_TRANSIT ||
				    c->out_circ != circ + 0x10000))
				reader_errors++;
		}
		rte_rcu_qsbr_quiescent(qsv, tid);
	}
	rte_rcu_qsbr_thread_offline(qsv, tid);
	rte_rcu_qsbr_thread_unregister(qsv, tid);
	return 0;
}

static void
test_updates_under_concurrent_lookups(void)
{
	unsigned int worker = rte_get_next_lcore(-1, 1, 0);
	bool in[NCIRC * 2 + 1] = { false };
	uint32_t r = 7, installs = 0, removes = 0;
	struct vx0_onion_circ_entry e;
	int bad = 0;

	ct = vx0_onion_table_create("tc", NCIRC, 4, 0, qsv);
	CHECK(ct != NULL && worker < RTE_MAX_LCORE);
	rte_eal_remote_launch(reader, NULL, worker);
	/* long enough for the reader to run beside the writer on a shared CPU */
	uint64_t end = rte_get_timer_cycles() + rte_get_timer_hz() * 3 / 2;

	for (int i = 0; i < 20000 || rte_get_timer_cycles() < end; i++) {
		uint32_t circ;

		r = r * 1664525u + 1013904223u;
		circ = 1 + (r >> 8) % (NCIRC * 2);
		if (in[circ]) {
			bad += vx0_onion_table_remove(ct, 1, circ) != 0;
			in[circ] = false;
			removes++;
		} else if (ct->n_free > 0) {
			/* END, then extended (the backward key appears) */
			entry(&e, 1, circ, 0, 0);
			bad += vx0_onion_table_install(ct, &e, 0) != 0;
			entry(&e, 1, circ, 2, circ + 0x10000);
			bad += vx0_onion_table_install(ct, &e, 0) != 0;
			in[circ] = true;
			installs++;
		}
		if (i % 16 == 0)
			vx0_onion_table_reclaim(ct);  /* slots reused soon after */
	}
	__atomic_store_n(&stop_reader, 1, __ATOMIC_RELEASE);
	rte_eal_wait_lcore(worker);
	vx0_onion_table_reclaim(ct);
	printf("# concurrent: %u installs, %u removes, %llu lookups, %llu hits, %llu errors\n",
	       installs, removes, (unsigned long long)reader_lookups,
	       (unsigned long long)reader_hits, (unsigned long long)reader_errors);
	CHECK_EQ(bad, 0);
	CHECK(installs > 1000 && removes > 1000);
	CHECK(reader_hits > 0);
	CHECK_EQ(reader_errors, 0);
	vx0_onion_table_free(ct);
}

int
main(void)
{
	size_t sz;

	if (vx0_test_eal_init("onion_table") < 0 || sodium_init() < 0) {
		printf("not ok 1 - eal init\n1..1\n");
		return 1;
	}
	sz = rte_rcu_qsbr_get_memsize(RTE_MAX_LCORE);
	qsv = rte_zmalloc(NULL, sz, RTE_CACHE_LINE_SIZE);
	rte_rcu_qsbr_init(qsv, RTE_MAX_LCORE);
	VX0_RUN(test_install_update_remove_reclaim);
	VX0_RUN(test_classify_choice_and_encap);
	VX0_RUN(test_updates_under_concurrent_lookups);
	rte_free(qsv);
	rte_eal_cleanup();
	return vx0_test_done();
}
