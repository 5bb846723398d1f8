/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Lab driver for dts/test_pkt_lab.py: lib/pkt and lib/neigh against the
 * Linux kernel's ARP, ND and ICMP on a veth inside a test namespace. It
 * resolves the kernel's address with our solicitations (the kernel's
 * replies go through our parsers into vx0_neigh), compares the kernel's
 * ICMP errors with the ones our builder makes about the same packet, and
 * sends gratuitous ARP / unsolicited NA for the kernel to accept.
 *
 * usage: test_pkt_lab IFACE MODE OUR_MAC OUR_IP PEER_IP [NEW_MAC]
 *   MODE: arp | nd | icmp4 | icmp6 | garp | una
 * Prints key=value lines; exit 0 on success. Every wait has a deadline.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "vx0_neigh.h"
#include "vx0_pkt.h"
#include "vx0_test_clock.h"

struct lab {
	int fd, fam;
	uint8_t mac[6], ip[16], peer[16];
	uint8_t peer_mac[6];
	int resolved, failed;
};

static int
parse_mac(const char *s, uint8_t m[6])
{
	return sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) == 6
		       ? 0 : -1;
}

static void
send_frame(struct lab *l, const uint8_t *f, int n)
{
	if (n <= 0 || send(l->fd, f, (size_t)n, 0) != n)
		fprintf(stderr, "send failed (%d): %s\n", n, strerror(errno));
}

static void
op_probe(void *ctx, uint16_t port, int family, const uint8_t *addr, const uint8_t *umac)
{
	struct lab *l = ctx;
	uint8_t f[128];

	(void)port;
	if (family == VX0_NEIGH_AF_INET)
		send_frame(l, f, vx0_pkt_arp_request(f, sizeof(f), l->mac, l->ip, addr, umac));
	else
		send_frame(l, f, vx0_pkt_nd_build_ns(f, sizeof(f), l->mac, l->ip, addr, umac));
}

static void
op_publish(void *ctx, uint32_t idx, uint16_t port, const uint8_t *mac)
{
	struct lab *l = ctx;

	(void)idx;
	(void)port;
	if (mac)
		memcpy(l->peer_mac, mac, 6);
}

static void
op_release(void *ctx, void *pkt, uint16_t port, const uint8_t *mac)
{
	struct lab *l = ctx;

	(void)pkt;
	(void)port;
	memcpy(l->peer_mac, mac, 6);
	l->resolved = 1;
}

static void
op_drop(void *ctx, void *pkt)
{
	(void)pkt;
	((struct lab *)ctx)->failed = 1;
}

/* Receives one frame within the deadline; 0 if none. */
static int
recv_frame(struct lab *l, uint8_t *buf, size_t cap, uint64_t deadline)
{
	struct pollfd p = { .fd = l->fd, .events = POLLIN };
	uint64_t t = vx0_test_now_ms();
	ssize_t n;

	if (t >= deadline || poll(&p, 1, (int)(deadline - t > 100 ? 100 : deadline - t)) <= 0)
		return 0;
	n = recv(l->fd, buf, cap, 0);
	return n > 0 ? (int)n : 0;
}

/* Our neighbour table, our solicitations, the kernel's answers. */
static int
resolve(struct lab *l)
{
	static const struct vx0_neigh_ops ops = { op_probe, op_publish, op_release, op_drop };
	struct vx0_neigh_conf conf = { .max_entries = 4, .retrans_ms = 500, .max_probes = 6, .hash_seed = 7 };
	struct vx0_neigh *t = vx0_neigh_create(&conf, &ops, l);
	uint64_t deadline = vx0_test_now_ms() + 5000;
	struct vx0_neigh_stats st;
	struct vx0_neigh_info in;
	uint8_t buf[2048];
	int idx, n;

	if (t == NULL)
		return -1;
	idx = vx0_neigh_resolve(t, 0, l->fam, l->peer, (void *)1, vx0_test_now_ms());
	while (!l->resolved && !l->failed && vx0_test_now_ms() < deadline) {
		struct vx0_pkt_meta m;

		n = recv_frame(l, buf, sizeof(buf), deadline);
		vx0_neigh_tick(t, vx0_test_now_ms());
		if (n == 0 || vx0_pkt_parse(buf, (uint32_t)n, &m) != 0)
			continue;
		if (l->fam == VX0_NEIGH_AF_INET && m.l3_type == VX0_L3_ARP) {
			struct vx0_pkt_arp a;

			if (vx0_pkt_arp_parse(buf + m.l2_len, (size_t)n - m.l2_len, &a) == 0 &&
			    a.op == VX0_ARP_OP_REPLY && memcmp(a.spa, l->peer, 4) == 0 &&
			    memcmp(a.tpa, l->ip, 4) == 0)
				vx0_neigh_input(t, 0, l->fam, a.spa, a.sha,
						VX0_NEIGH_F_SOLICITED | VX0_NEIGH_F_OVERRIDE, vx0_test_now_ms());
		} else if (l->fam == VX0_NEIGH_AF_INET6 && m.l3_type == VX0_L3_IPV6 &&
			   m.l4_proto == 58 && m.sport == VX0_ND_NA) {
			struct vx0_pkt_nd nd;
			int rc = vx0_pkt_nd_parse(buf + m.l2_len, (size_t)n - m.l2_len, &nd);

			printf("na_parse=%d\n", rc);
			if (rc == 0 && memcmp(nd.target, l->peer, 16) == 0) {
				printf("na_flags=%#x\n", nd.flags);
				vx0_neigh_input(t, 0, l->fam, nd.target, nd.has_lladdr ? nd.lladdr : NULL,
						((nd.flags & VX0_ND_F_SOLICITED) ? VX0_NEIGH_F_SOLICITED : 0) |
						((nd.flags & VX0_ND_F_OVERRIDE) ? VX0_NEIGH_F_OVERRIDE : 0),
						vx0_test_now_ms());
			}
		}
	}
	vx0_neigh_get(t, (uint32_t)idx, &in);
	vx0_neigh_get_stats(t, &st);
	printf("state=%s\nsolicits=%llu\nreplies=%llu\n", vx0_neigh_state_name(in.state),
	       (unsigned long long)st.solicits, (unsigned long long)st.replies);
	printf("peer_mac=%02x:%02x:%02x:%02x:%02x:%02x\n", l->peer_mac[0], l->peer_mac[1],
	       l->peer_mac[2], l->peer_mac[3], l->peer_mac[4], l->peer_mac[5]);
	vx0_neigh_destroy(t);
	return l->resolved ? 0 : -1;
}

/* A UDP datagram to the kernel's closed port 9; the kernel's ICMP error
 * about it must equal, from the ICMP header on, the one we build. */
static int
icmp_compare(struct lab *l)
{
	uint8_t f[256], mine[1500], buf[2048];
	uint64_t deadline = vx0_test_now_ms() + 3000;
	size_t iplen, hl = l->fam == VX0_NEIGH_AF_INET ? 20 : 40, i;
	uint8_t *ip = f + 14, *udp = f + 14 + hl;
	uint16_t c;
	int n, mn;

	memcpy(f, l->peer_mac, 6);
	memcpy(f + 6, l->mac, 6);
	iplen = hl + 8 + 32;
	memset(ip, 0, iplen);
	for (i = 0; i < 32; i++)
		udp[8 + i] = (uint8_t)(i * 7);
	udp[0] = 0x9c; /* 40000 -> 9 */
	udp[1] = 0x40;
	udp[3] = 9;
	udp[5] = 40;
	if (l->fam == VX0_NEIGH_AF_INET) {
		f[12] = 0x08;
		f[13] = 0x00;
		ip[0] = 0x45;
		ip[3] = (uint8_t)iplen;
		ip[4] = 0x12;
		ip[5] = 0x34;
		ip[8] = 64;
		ip[9] = 17;
		memcpy(ip + 12, l->ip, 4);
		memcpy(ip + 16, l->peer, 4);
		c = vx0_pkt_ipv4_csum(ip, 20);
		ip[10] = (uint8_t)(c >> 8);
		ip[11] = (uint8_t)c;
		c = vx0_pkt_l4_csum_ipv4(ip + 12, ip + 16, 17, udp, 40);
	} else {
		f[12] = 0x86;
		f[13] = 0xdd;
		ip[0] = 0x60;
		ip[5] = 40;
		ip[6] = 17;
		ip[7] = 64;
		memcpy(ip + 8, l->ip, 16);
		memcpy(ip + 24, l->peer, 16);
		c = vx0_pkt_l4_csum_ipv6(ip + 8, ip + 24, 17, udp, 40);
	}
	udp[6] = (uint8_t)(c >> 8);
	udp[7] = (uint8_t)c;
	send_frame(l, f, (int)(14 + iplen));
	while (vx0_test_now_ms() < deadline) {
		struct vx0_pkt_meta m;
		const uint8_t *rip;

		n = recv_frame(l, buf, sizeof(buf), deadline);
		if (n == 0 || vx0_pkt_parse(buf, (uint32_t)n, &m) != 0)
			continue;
		if (!((m.l3_type == VX0_L3_IPV4 && m.l4_proto == 1 && m.sport == 3) ||
		      (m.l3_type == VX0_L3_IPV6 && m.l4_proto == 58 && m.sport == 1)))
			continue;
		rip = buf + m.l2_len;
		printf("icmp_type=%u\nicmp_code=%u\n", m.sport, m.dport);
		printf("error_allowed=%d\n", vx0_pkt_icmp_error_allowed(rip, (size_t)n - m.l2_len, &m));
		if (l->fam == VX0_NEIGH_AF_INET) {
			uint32_t src;

			memcpy(&src, l->peer, 4);
			mn = vx0_pkt_icmp4_error(mine, sizeof(mine), ip, iplen, (uint8_t)m.sport,
						 (uint8_t)m.dport, src, 0);
		} else {
			mn = vx0_pkt_icmp6_error(mine, sizeof(mine), ip, iplen, (uint8_t)m.sport,
						 (uint8_t)m.dport, l->peer, 0);
		}
		printf("kernel_len=%u\nour_len=%d\n", m.ip_len, mn);
		printf("icmp_match=%d\n", mn == m.ip_len &&
		       memcmp(mine + hl, rip + m.l3_len, (size_t)mn - hl) == 0);
		return 0;
	}
	printf("icmp_match=0\n");
	return -1;
}

int
main(int argc, char **argv)
{
	struct lab l = { .fd = -1 };
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	uint8_t f[128], new_mac[6];
	const char *mode;
	int rc;

	if (argc < 6 || parse_mac(argv[3], l.mac) != 0) {
		fprintf(stderr, "usage: %s IFACE MODE OUR_MAC OUR_IP PEER_IP [NEW_MAC]\n", argv[0]);
		return 2;
	}
	mode = argv[2];
	l.fam = strchr(argv[4], ':') ? VX0_NEIGH_AF_INET6 : VX0_NEIGH_AF_INET;
	if (inet_pton(l.fam == VX0_NEIGH_AF_INET ? AF_INET : AF_INET6, argv[4], l.ip) != 1 ||
	    inet_pton(l.fam == VX0_NEIGH_AF_INET ? AF_INET : AF_INET6, argv[5], l.peer) != 1)
		return 2;
	if (argc > 6 && parse_mac(argv[6], new_mac) != 0)
		return 2;
	l.fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	sll.sll_ifindex = (int)if_nametoindex(argv[1]);
	if (l.fd < 0 || sll.sll_ifindex == 0 || bind(l.fd, (struct sockaddr *)&sll, sizeof(sll)) != 0) {
		perror("packet socket");
		return 1;
	}
	rc = resolve(&l);
	if (rc == 0 && (!strcmp(mode, "icmp4") || !strcmp(mode, "icmp6")))
		rc = icmp_compare(&l);
	if (rc == 0 && !strcmp(mode, "garp") && argc > 6)
		send_frame(&l, f, vx0_pkt_arp_gratuitous(f, sizeof(f), new_mac, l.ip));
	if (rc == 0 && !strcmp(mode, "una") && argc > 6)
		send_frame(&l, f, vx0_pkt_nd_build_na(f, sizeof(f), new_mac, l.ip, l.ip, NULL, NULL,
						      VX0_ND_F_OVERRIDE));
	close(l.fd);
	return rc == 0 ? 0 : 1;
}
