/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Classification and forwarding decisions of the rx stage, and the slow
 * path's answers, on a node built from a config with two net_ring ports:
 * frames go straight into vx0_stage_rx and the test reads what lands in
 * each ring (TX per port, punt, crypto) and the drop counters.
 */
#include <stdlib.h>
#include <arpa/inet.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "vx0_conf.h"
#include "vx0_pipeline.h"
#include "vx0_pkt.h"
#include "vx0_test.h"
#include "vx0_test_eal.h"

static const char conf_json[] =
"{ \"lcores\": [ {\"id\": 0, \"roles\": [\"ctl\", \"rx\", \"tx\"]},"
"                {\"id\": 1, \"roles\": [\"crypto\"]} ],"
"  \"ports\": ["
"    {\"name\": \"a\", \"device\": \"net_ring0\", \"mac\": \"02:00:00:00:00:0a\","
"     \"addresses\": [\"198.51.100.1/24\", \"2001:db8:a::1/64\"]},"
"    {\"name\": \"b\", \"device\": \"net_ring1\", \"mac\": \"02:00:00:00:00:0b\", \"mtu\": 1400,"
"     \"addresses\": [\"203.0.113.1/25\", \"2001:db8:b::1/64\"]} ],"
"  \"routes\": ["
"    {\"prefix\": \"203.0.113.128/26\", \"via\": \"203.0.113.2\"},"
"    {\"prefix\": \"203.0.113.192/26\", \"drop\": true},"
"    {\"prefix\": \"198.51.100.128/25\", \"via\": \"198.51.100.3\"},"
"    {\"prefix\": \"2001:db8:100::/48\", \"via\": \"2001:db8:b::2\"} ],"
"  \"neighbours\": ["
"    {\"port\": \"a\", \"address\": \"198.51.100.2\", \"mac\": \"02:00:00:00:01:02\"},"
"    {\"port\": \"a\", \"address\": \"2001:db8:a::2\", \"mac\": \"02:00:00:00:01:02\"},"
"    {\"port\": \"b\", \"address\": \"203.0.113.2\", \"mac\": \"02:00:00:00:02:02\"},"
"    {\"port\": \"b\", \"address\": \"2001:db8:b::2\", \"mac\": \"02:00:00:00:02:02\"} ],"
"  \"exception_path\": {\"tap\": false},"
"  \"mbufs\": 2047, \"ring_size\": 256,"
"  \"fib\": {\"max_routes4\": 1024, \"max_routes6\": 1024, \"max_next_hops\": 256} }";

static struct vx0_conf conf;
static struct vx0_node node;
static struct vx0_lcore_ctx *lc;

static const uint8_t host_mac[6] = { 2, 0, 0, 0, 1, 2 };
static const uint8_t port_a_mac[6] = { 2, 0, 0, 0, 0, 0xa };

/* Ethernet + IPv4 + UDP (8-byte payload) with a valid header checksum */
static struct rte_mbuf *
udp4(const char *src, const char *dst, uint8_t ttl, uint16_t ip_len_extra, bool df)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(node.pool);
	uint16_t tot = 20 + 8 + 8 + ip_len_extra;
	uint8_t *d = m ? (uint8_t *)rte_pktmbuf_append(m, 14 + tot) : NULL;
	uint16_t c;

	if (d == NULL)
		abort();
	memset(d, 0, 14 + tot);
	memcpy(d, port_a_mac, 6);
	memcpy(d + 6, host_mac, 6);
	d[12] = 0x08;
	d[14] = 0x45;
	d[16] = tot >> 8;
	d[17] = tot & 0xff;
	d[20] = df ? 0x40 : 0;
	d[22] = ttl;
	d[23] = 17;
	inet_pton(AF_INET, src, d + 26);
	inet_pton(AF_INET, dst, d + 30);
	c = vx0_pkt_ipv4_csum(d + 14, 20);
	d[24] = c >> 8;
	d[25] = c & 0xff;
	d[34] = 0x30; /* sport 12345 */
	d[35] = 0x39;
	d[37] = 9;
	d[38] = (8 + 8 + ip_len_extra) >> 8;
	d[39] = (8 + 8 + ip_len_extra) & 0xff;
	return m;
}

static struct rte_mbuf *
udp6(const char *src, const char *dst, uint8_t hlim)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(node.pool);
	uint8_t *d = m ? (uint8_t *)rte_pktmbuf_append(m, 14 + 40 + 16) : NULL;

	if (d == NULL)
		abort();
	memset(d, 0, 14 + 40 + 16);
	memcpy(d, port_a_mac, 6);
	memcpy(d + 6, host_mac, 6);
	d[12] = 0x86;
	d[13] = 0xdd;
	d[14] = 0x60;
	d[19] = 16;
	d[20] = 17;
	d[21] = hlim;
	inet_pton(AF_INET6, src, d + 22);
	inet_pton(AF_INET6, dst, d + 38);
	d[55] = 7;
	d[57] = 9;
	d[59] = 16;
	return m;
}

static unsigned int
drain(struct rte_ring *r, struct rte_mbuf **out, unsigned int cap)
{
	return rte_ring_sc_dequeue_burst(r, (void **)out, cap, NULL);
}

static void
free_all(struct rte_mbuf **m, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		rte_pktmbuf_free(m[i]);
}

static void
test_transit_v4_forwarded(void)
{
	struct rte_mbuf *m[2] = { udp4("198.51.100.2", "203.0.113.140", 64, 0, false),
				  udp4("198.51.100.2", "203.0.113.2", 9, 0, false) }, *o[8];
	unsigned int n;
	const uint8_t *d;

	vx0_stage_rx(lc, 0, m, 2);
	n = drain(node.ports[1].tx_ring, o, 8);
	CHECK_EQ(n, 2);
	for (unsigned int i = 0; i < n; i++) {
		d = rte_pktmbuf_mtod(o[i], const uint8_t *);
		CHECK_MEM(d, "\x02\x00\x00\x00\x02\x02", 6);              /* the gateway's / host's MAC */
		CHECK_MEM(d + 6, node.ports[1].mac.addr_bytes, 6);        /* our port b */
		/* a valid header sums to 0xffff with its checksum included */
		CHECK_EQ(vx0_pkt_csum(d + 14, 20), 0xffff);
	}
	CHECK_EQ(rte_pktmbuf_mtod(o[0], const uint8_t *)[22], 63);
	CHECK_EQ(rte_pktmbuf_mtod(o[1], const uint8_t *)[22], 8);
	free_all(o, n);
}

static void
test_transit_v6_and_vlan(void)
{
	struct rte_mbuf *m[2], *o[8];
	unsigned int n;
	uint8_t *d;

	m[0] = udp6("2001:db8:a::2", "2001:db8:100::7", 64);
	/* the same IPv4 packet behind an 802.1Q tag: forwarded untagged */
	m[1] = udp4("198.51.100.2", "203.0.113.150", 64, 0, false);
	d = (uint8_t *)rte_pktmbuf_prepend(m[1], 4);
	if (d == NULL)
		abort();
	memmove(d, d + 4, 12);
	d[12] = 0x81;
	d[13] = 0x00;
	d[14] = 0x00;
	d[15] = 0x64;
	vx0_stage_rx(lc, 0, m, 2);
	n = drain(node.ports[1].tx_ring, o, 8);
	CHECK_EQ(n, 2);
	if (n == 2) {
		const uint8_t *a = rte_pktmbuf_mtod(o[0], const uint8_t *);
		const uint8_t *b = rte_pktmbuf_mtod(o[1], const uint8_t *);

		/* bursts keep order within a family; either may come first */
		if (a[12] == 0x08) {
			const uint8_t *t = a;

			a = b;
			b = t;
		}
		CHECK_EQ(a[12], 0x86);
		CHECK_EQ(a[21], 63);                 /* hop limit */
		CHECK_EQ(b[12], 0x08);               /* tag gone */
		CHECK_EQ(b[14], 0x45);
		CHECK_EQ(rte_pktmbuf_data_len(o[1]) + rte_pktmbuf_data_len(o[0]), 14 + 40 + 16 + 14 + 36);
	}
	free_all(o, n);
}

static void
check_punt(unsigned int cls, uint16_t aux, int expect_aux)
{
	struct rte_mbuf *o[8];
	unsigned int n = drain(node.punt_ring, o, 8);

	CHECK_EQ(n, 1);
	if (n == 1) {
		CHECK_EQ(vx0_meta(&node, o[0])->stage, cls);
		if (expect_aux)
			CHECK_EQ(vx0_meta(&node, o[0])->aux, aux);
	}
	free_all(o, n);
}

static void
test_errors_and_local_are_punted(void)
{
	struct rte_mbuf *m;

	m = udp4("198.51.100.2", "203.0.113.140", 1, 0, false);
	vx0_stage_rx(lc, 0, &m, 1);
	check_punt(VX0_PUNT_ICMP_ERR, 11 << 8, 1);       /* time exceeded */
	m = udp6("2001:db8:a::2", "2001:db8:ffff::1", 64);
	vx0_stage_rx(lc, 0, &m, 1);
	check_punt(VX0_PUNT_ICMP_ERR, 1 << 8, 1);        /* no route */
	m = udp4("198.51.100.2", "203.0.113.140", 64, 1400, true);
	vx0_stage_rx(lc, 0, &m, 1);
	check_punt(VX0_PUNT_ICMP_ERR, 3 << 8 | 4, 1);    /* fragmentation needed, MTU 1400 */
	m = udp4("198.51.100.2", "198.51.100.1", 64, 0, false);
	vx0_stage_rx(lc, 0, &m, 1);
	check_punt(VX0_PUNT_LOCAL, 0, 0);                /* for the node's kernel */
	m = udp4("198.51.100.2", "198.51.100.200", 64, 0, false);
	vx0_stage_rx(lc, 0, &m, 1);
	check_punt(VX0_PUNT_RESOLVE, 0, 0);              /* gateway .3 unresolved */
}

static void
test_drops_counted(void)
{
	struct rte_mbuf *m[4];
	uint64_t bh = lc->stats.drops[VX0_DROP_BLACKHOLE];
	uint64_t l2 = lc->stats.drops[VX0_DROP_L2_NOT_OURS];
	uint64_t cs = lc->stats.drops[VX0_DROP_IP_CSUM];
	uint64_t mc = lc->stats.drops[VX0_DROP_L3_MCAST];

	m[0] = udp4("198.51.100.2", "203.0.113.200", 64, 0, false);
	m[1] = udp4("198.51.100.2", "203.0.113.140", 64, 0, false);
	rte_pktmbuf_mtod(m[1], uint8_t *)[5] = 0x99;     /* someone else's MAC */
	m[2] = udp4("198.51.100.2", "203.0.113.140", 64, 0, false);
	rte_pktmbuf_mtod(m[2], uint8_t *)[24] ^= 0xff;   /* header checksum */
	m[3] = udp4("198.51.100.2", "224.0.0.5", 64, 0, false);
	memcpy(rte_pktmbuf_mtod(m[3], uint8_t *), "\x01\x00\x5e\x00\x00\x05", 6);
	vx0_stage_rx(lc, 0, m, 4);
	CHECK_EQ(lc->stats.drops[VX0_DROP_BLACKHOLE] - bh, 1);
	CHECK_EQ(lc->stats.drops[VX0_DROP_L2_NOT_OURS] - l2, 1);
	CHECK_EQ(lc->stats.drops[VX0_DROP_IP_CSUM] - cs, 1);
	CHECK_EQ(lc->stats.drops[VX0_DROP_L3_MCAST] - mc, 1);
	CHECK_EQ(rte_ring_count(node.ports[1].tx_ring), 0);
	CHECK_EQ(rte_ring_count(node.punt_ring), 0);
}

static void
test_esp_goes_to_crypto_ring(void)
{
	struct rte_mbuf *m = udp4("198.51.100.2", "198.51.100.1", 64, 0, false), *o[2];
	uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
	uint16_t c;

	d[23] = 50; /* ESP: SPI 0x12345678, seq 1 */
	d[24] = d[25] = 0;
	c = vx0_pkt_ipv4_csum(d + 14, 20);
	d[24] = c >> 8;
	d[25] = c & 0xff;
	memcpy(d + 34, "\x12\x34\x56\x78\x00\x00\x00\x01", 8);
	vx0_stage_rx(lc, 0, &m, 1);
	CHECK_EQ(drain(node.crypto_ring[0], o, 2), 1);
	CHECK_EQ(vx0_meta(&node, o[0])->spi, 0x12345678);
	rte_pktmbuf_free(o[0]);
}

static void
test_slow_path_answers_arp_and_sends_icmp(void)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(node.pool), *o[8];
	uint8_t tip[4], sip[4];
	unsigned int n;
	int len;

	inet_pton(AF_INET, "198.51.100.1", tip);
	inet_pton(AF_INET, "198.51.100.2", sip);
	len = vx0_pkt_arp_request(rte_pktmbuf_mtod(m, uint8_t *), 64, host_mac, sip, tip, NULL);
	rte_pktmbuf_append(m, (uint16_t)len);
	vx0_stage_rx(lc, 0, &m, 1);
	m = udp4("198.51.100.2", "203.0.113.140", 1, 0, false);
	vx0_stage_rx(lc, 0, &m, 1);
	vx0_ctl_poll(&node, 1000);
	n = drain(node.ports[0].tx_ring, o, 8);
	CHECK_EQ(n, 2);
	if (n == 2) {
		struct vx0_pkt_arp a;
		struct vx0_pkt_meta meta;
		const uint8_t *e = rte_pktmbuf_mtod(o[1], const uint8_t *);

		CHECK_EQ(vx0_pkt_arp_parse(rte_pktmbuf_mtod(o[0], uint8_t *) + 14,
					   rte_pktmbuf_data_len(o[0]) - 14, &a), 0);
		CHECK_EQ(a.op, VX0_ARP_OP_REPLY);
		CHECK_MEM(a.spa, tip, 4);
		CHECK_MEM(a.sha, node.ports[0].mac.addr_bytes, 6);
		CHECK_MEM(a.tha, host_mac, 6);
		CHECK_EQ(vx0_pkt_parse(e, rte_pktmbuf_data_len(o[1]), &meta), 0);
		CHECK_EQ(meta.l4_proto, IPPROTO_ICMP);
		CHECK_EQ(meta.sport, 11);                 /* ICMP type: time exceeded */
		CHECK_MEM(e, host_mac, 6);
		CHECK_MEM(e + 26, tip, 4);                /* from our address on port a */
		CHECK_MEM(e + 30, sip, 4);
	}
	free_all(o, n);
}

int
main(void)
{
	char err[256];
	uint32_t left;

	if (vx0_test_eal_init("pipeline") < 0) {
		printf("not ok 1 - eal init\n1..1\n");
		return 1;
	}
	if (vx0_conf_load_string(conf_json, sizeof(conf_json) - 1, "test", &conf, err, sizeof(err)) < 0 ||
	    vx0_node_create(&node, &conf, err, sizeof(err)) < 0 ||
	    vx0_node_install_routes(&node, err, sizeof(err)) < 0) {
		printf("not ok 1 - node: %s\n1..1\n", err);
		return 1;
	}
	lc = node.lc[rte_get_main_lcore()];
	VX0_RUN(test_transit_v4_forwarded);
	VX0_RUN(test_transit_v6_and_vlan);
	VX0_RUN(test_errors_and_local_are_punted);
	VX0_RUN(test_drops_counted);
	VX0_RUN(test_esp_goes_to_crypto_ring);
	VX0_RUN(test_slow_path_answers_arp_and_sends_icmp);
	vx0_ctl_drain(&node);
	vx0_node_stop_ports(&node);
	vx0_ctl_destroy(&node);
	left = vx0_node_mbufs_in_use(&node);
	printf("%s %d - every mbuf back in the pool (%u left)\n", left ? "not ok" : "ok",
	       ++vx0_test_count, left);
	if (left)
		vx0_test_failures++;
	vx0_node_destroy(&node);
	vx0_conf_free(&conf);
	rte_eal_cleanup();
	return vx0_test_done();
}
