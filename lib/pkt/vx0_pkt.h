/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VX0_PKT_H
#define VX0_PKT_H

/*
 * Packet parsing and building without DPDK: the rx+classify stage parses
 * every frame once into struct vx0_pkt_meta (an mbuf dynfield), and the
 * slow path builds ARP, ND and ICMP error packets with the same library.
 * Every function takes (pointer, length) and checks lengths before reading.
 * Multi-byte values in the metadata are host order; addresses stay in
 * network byte order (as bytes) everywhere.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* parse                                                               */

enum vx0_pkt_l3 { VX0_L3_NONE = 0, VX0_L3_IPV4, VX0_L3_IPV6, VX0_L3_ARP };

#define VX0_PKT_F_VLAN        0x01 /* an 802.1Q (or 802.1ad+802.1Q) tag was present */
#define VX0_PKT_F_FRAG        0x02 /* IP fragment (any) */
#define VX0_PKT_F_LATER_FRAG  0x04 /* not the first fragment: no L4 parsed */
#define VX0_PKT_F_IP_OPTS     0x08 /* IPv4 options or IPv6 extension headers present */
#define VX0_PKT_F_ESP_UDP     0x10 /* ESP in UDP (RFC 3948, port 4500, non-zero SPI marker) */
#define VX0_PKT_F_L3_MCAST    0x20 /* IP destination is multicast/limited broadcast */
#define VX0_PKT_F_L2_MCAST    0x40 /* Ethernet destination is a group (multicast/broadcast) address */
#define VX0_PKT_F_NATT_KA     0x80 /* NAT-T keepalive: a single 0xff byte to/from UDP 4500 */

struct vx0_pkt_meta {
	/* written by vx0_pkt_parse (the first 20 bytes) */
	uint8_t l2_len;    /* Ethernet + VLAN tags (14..22) */
	uint8_t l4_len;    /* TCP incl. options, UDP 8, ICMP 8, ICMPv6 8 (4 if only 4 present), ESP 8 (SPI+seq) */
	uint16_t l3_len;   /* IPv4 header incl. options / IPv6 fixed + extension headers / ARP 28 */
	uint16_t ip_len;   /* L3 length from the IP header (IPv4 total length, IPv6 40 + payload length; ARP 28) */
	uint16_t vlan_tci; /* innermost tag's TCI (the C-tag when 802.1ad+802.1Q), 0 if untagged */
	uint8_t l3_type;   /* enum vx0_pkt_l3 */
	uint8_t l4_proto;  /* final protocol number (UDP, TCP, ICMP, ICMPV6, ESP, 59 = no next header ...), 0 if none */
	uint8_t flags;     /* VX0_PKT_F_* */
	uint8_t ttl;       /* TTL / hop limit */
	uint16_t sport, dport; /* TCP/UDP ports host order; ICMP/ICMPv6: sport = type, dport = code; ARP: sport = op */
	uint32_t spi;      /* ESP SPI host order (plain ESP, or ESP-in-UDP with VX0_PKT_F_ESP_UDP), else 0 */
	/* owned by the pipeline, never touched by the parser (kept small: the
	 * mbuf's dynamic field area also holds the PMDs' 8-byte timestamp) */
	uint8_t in_port;   /* vx0 port index the packet came in on */
	uint8_t stage;     /* punt class / next stage */
	uint16_t aux;      /* ICMP error to send: type << 8 | code */
	uint32_t next_hop; /* FIB next-hop index; ICMP error argument (MTU, pointer) */
};
_Static_assert(sizeof(struct vx0_pkt_meta) <= 28, "vx0_pkt_meta must leave room in the mbuf dynfield area");

enum vx0_pkt_drop {
	VX0_PKT_OK = 0,
	VX0_DROP_RUNT,           /* frame shorter than an Ethernet header */
	VX0_DROP_VLAN_TRUNC,     /* VLAN tag cut short */
	VX0_DROP_VLAN_DEPTH,     /* more than two tags, or 802.1ad inside 802.1Q */
	VX0_DROP_ETHERTYPE,      /* unknown EtherType */
	VX0_DROP_ARP_MALFORMED,  /* not Ethernet/IPv4 ARP, short, or unknown op */
	VX0_DROP_IP_TRUNC,       /* less than a fixed IP header in the frame */
	VX0_DROP_IP_VERSION,     /* version field disagrees with the EtherType */
	VX0_DROP_IP_HDRLEN,      /* IPv4 IHL < 5 or beyond total length / frame */
	VX0_DROP_IP_LEN,         /* total length < header or > frame */
	VX0_DROP_IP_CSUM,        /* IPv4 header checksum */
	VX0_DROP_IP_SRC,         /* martian source: multicast/broadcast/loopback/0 */
	VX0_DROP_IP_DST,         /* martian destination: loopback, 0.0.0.0/8, :: */
	VX0_DROP_IP_FRAG,        /* bad fragment: past 65535, or non-last not a multiple of 8 */
	VX0_DROP_IPV6_EXT,       /* bad/truncated/too long extension header chain */
	VX0_DROP_L4_TRUNC,       /* transport header cut short */
	VX0_DROP_UDP_LEN,        /* UDP length field < 8 or beyond the IP payload */
	VX0_DROP_TCP_HDRLEN,     /* TCP data offset < 5 or beyond the IP payload */
	VX0_DROP_ESP_TRUNC,      /* ESP (or UDP 4500 payload) shorter than SPI + seq */
	VX0_DROP_ESP_SPI,        /* SPI 0 (reserved, RFC 4303 2.1) */
	VX0_DROP_PARSE_MAX,
	/* the pipeline numbers its own reasons from VX0_DROP_PARSE_MAX up */
};

/* Short snake_case name of a parse drop reason ("ip_csum"); "unknown" for
 * values at or above VX0_DROP_PARSE_MAX (the pipeline names its own). */
const char *vx0_pkt_drop_name(unsigned int reason);

/* Parses an Ethernet frame into m's parser fields (the pipeline fields are
 * left alone). Returns VX0_PKT_OK (0) or a drop reason (> 0). */
int vx0_pkt_parse(const uint8_t *frame, uint32_t len, struct vx0_pkt_meta *m);

/* l4_len while the transport header is not parsed yet (vx0_pkt_parse_l3) */
#define VX0_PKT_L4_PENDING 0xff

/*
 * The transit fast path: vx0_pkt_parse's checks up to and including L3,
 * for the common frame only: untagged; IPv4 without options or IPv6
 * without extension headers; unicast; not a fragment. vx0_pkt_fast_l3
 * says whether a frame is one (its L3 type) without writing anything, so
 * the pipeline can forward it without metadata; vx0_pkt_parse_l3 also
 * fills the metadata. A router doesn't look into the transport header of
 * what it forwards, so that is left for vx0_pkt_parse_l4 (l4_len is
 * VX0_PKT_L4_PENDING), run when the packet turns out to be for us or
 * needs an ICMP error. Any other frame or any problem: VX0_L3_NONE /
 * false, and the caller runs vx0_pkt_parse, which names the drop reason.
 */
/* RFC 1071 check of a 20-byte IPv4 header: the ones' complement sum of
 * its 16-bit words is 0xffff. That sum is the plain sum mod 0xffff (with
 * 0xffff for 0), and as 2^16 = 1 mod 0xffff a sum of 32-bit words, in
 * either byte order, has the same residue. */
static inline bool
vx0_pkt_ipv4_hdr20_csum_ok(const uint8_t *ip)
{
	uint32_t w[5];
	uint64_t s;

	memcpy(w, ip, sizeof(w));
	s = (uint64_t)w[0] + w[1] + w[2] + w[3] + w[4];
	return s != 0 && s % 0xffff == 0;
}

static inline unsigned int
vx0_pkt_fast_l3(const uint8_t *frame, uint32_t len)
{
	const uint8_t *ip = frame + 14;
	uint16_t et, tot;

	if (__builtin_expect(len < 14 + 20, 0))
		return VX0_L3_NONE;
	memcpy(&et, frame + 12, 2);
	if (__builtin_expect(et == __builtin_bswap16(0x0800), 1)) {
		uint16_t fo;

		memcpy(&tot, ip + 2, 2);
		tot = __builtin_bswap16(tot);
		memcpy(&fo, ip + 6, 2);
		/* version 4, no options; no MF, no offset (DF is fine) */
		if (ip[0] != 0x45 || tot < 20 || tot > len - 14 ||
		    (fo & __builtin_bswap16(0x3fff)) != 0)
			return VX0_L3_NONE;
		/* RFC 1812 5.3.7 martians (0/8, 127/8, 224/3 sources) and
		 * multicast/broadcast destinations: x - 1 >= 223 is 0 or >= 224 */
		if ((uint8_t)(ip[12] - 1) >= 223 || ip[12] == 127 ||
		    (uint8_t)(ip[16] - 1) >= 223 || ip[16] == 127)
			return VX0_L3_NONE;
		return vx0_pkt_ipv4_hdr20_csum_ok(ip) ? VX0_L3_IPV4 : VX0_L3_NONE;
	}
	if (et == __builtin_bswap16(0x86dd)) {
		uint8_t nh = ip[6];
		uint64_t a, b;

		memcpy(&tot, ip + 4, 2); /* the payload length */
		tot = __builtin_bswap16(tot);
		if (len < 14 + 40 || (ip[0] >> 4) != 6 || 40u + tot > len - 14)
			return VX0_L3_NONE;
		/* the final header straight after the fixed one (no extension
		 * header to walk): TCP, UDP, ESP, ICMPv6, no next header */
		if (nh != 6 && nh != 17 && nh != 50 && nh != 58 && nh != 59)
			return VX0_L3_NONE;
		/* multicast either side, and anything in ::/64 (::, ::1, the
		 * unspecified source's ICMPv6-only rule): slow path */
		memcpy(&a, ip + 8, 8);
		memcpy(&b, ip + 24, 8);
		if (ip[8] == 0xff || ip[24] == 0xff || a == 0 || b == 0)
			return VX0_L3_NONE;
		return VX0_L3_IPV6;
	}
	return VX0_L3_NONE;
}

/* m's parser fields as vx0_pkt_parse sets them (the transport ones aside)
 * for a frame vx0_pkt_fast_l3 took as type t. */
static inline void
vx0_pkt_meta_l3(const uint8_t *frame, unsigned int t, struct vx0_pkt_meta *m)
{
	const uint8_t *ip = frame + 14;
	uint16_t v;

	memset(m, 0, offsetof(struct vx0_pkt_meta, in_port));
	m->flags = frame[0] & 1 ? VX0_PKT_F_L2_MCAST : 0;
	m->l2_len = 14;
	m->l4_len = VX0_PKT_L4_PENDING;
	m->l3_type = (uint8_t)t;
	if (t == VX0_L3_IPV4) {
		memcpy(&v, ip + 2, 2);
		m->l3_len = 20;
		m->ip_len = __builtin_bswap16(v);
		m->ttl = ip[8];
		m->l4_proto = ip[9];
	} else {
		memcpy(&v, ip + 4, 2);
		m->l3_len = 40;
		m->ip_len = (uint16_t)(40u + __builtin_bswap16(v));
		m->ttl = ip[7];
		m->l4_proto = ip[6];
	}
}

/* vx0_pkt_fast_l3 and, when it takes the frame, vx0_pkt_meta_l3. */
static inline bool
vx0_pkt_parse_l3(const uint8_t *frame, uint32_t len, struct vx0_pkt_meta *m)
{
	unsigned int t = vx0_pkt_fast_l3(frame, len);

	if (t == VX0_L3_NONE)
		return false;
	vx0_pkt_meta_l3(frame, t, m);
	return true;
}

/* Completes what vx0_pkt_parse_l3 left: the transport header of the frame
 * (len bytes) m describes. Returns VX0_PKT_OK or the drop reason
 * vx0_pkt_parse gives the same frame; VX0_PKT_OK at once if nothing is
 * pending. */
int vx0_pkt_parse_l4(const uint8_t *frame, uint32_t len, struct vx0_pkt_meta *m);

/* Inserts a VLAN tag (tpid 0x8100, or 0x88a8 for an outer S-tag) after
 * the MAC addresses of a frame of len bytes in a buffer of cap. Push the
 * C-tag first, then the S-tag. Returns the new length, -EINVAL, -ENOSPC. */
int vx0_pkt_vlan_push(uint8_t *frame, size_t len, size_t cap, uint16_t tpid, uint16_t tci);

/* ------------------------------------------------------------------ */
/* checksums (vx0_pkt_csum.c)                                          */

/* Adds len bytes, as big-endian 16-bit words (an odd last byte padded with
 * zero), to a running 32-bit sum; fold with vx0_pkt_csum_fold. */
uint32_t vx0_pkt_csum_add(uint32_t sum, const void *buf, size_t len);
/* Folds carries: the 16-bit ones-complement sum (not complemented). */
uint16_t vx0_pkt_csum_fold(uint32_t sum);
/* 16-bit ones-complement sum of buf (RFC 1071), host order, not complemented. */
uint16_t vx0_pkt_csum(const void *buf, size_t len);
/* Value to store (host order; write big-endian) in an IPv4 header checksum
 * field: computed over hlen bytes with the field taken as zero. */
uint16_t vx0_pkt_ipv4_csum(const uint8_t *ip_hdr, size_t hlen);
/* Transport checksum with the pseudo-header (RFC 768/793, RFC 8200 8.1).
 * Over l4 as is: with the checksum field zeroed the result is the value to
 * store (UDP: store 0xffff for 0); with the field filled in, 0 means valid. */
uint16_t vx0_pkt_l4_csum_ipv4(const uint8_t src[4], const uint8_t dst[4],
			      uint8_t proto, const uint8_t *l4, size_t len);
uint16_t vx0_pkt_l4_csum_ipv6(const uint8_t src[16], const uint8_t dst[16],
			      uint8_t proto, const uint8_t *l4, size_t len);
/* RFC 1624 eqn 3: checksum after one 16-bit word changes from old to new. */
uint16_t vx0_pkt_csum_update16(uint16_t csum, uint16_t old_w, uint16_t new_w);
/* Decrements the IPv4 TTL and patches the header checksum incrementally
 * (RFC 1624; TTL is the high byte of its 16-bit word, so the sum grows by
 * 0x0100 in wire order, the form Linux's ip_decrease_ttl uses). Returns the
 * new TTL; if the TTL is 0 or 1 the header is left unchanged and 0 is
 * returned (the caller sends Time Exceeded). Inline: the forwarding path
 * calls it for every packet. */
static inline unsigned int
vx0_pkt_ipv4_dec_ttl(uint8_t *ip_hdr)
{
	uint16_t ck;
	uint32_t sum;

	if (ip_hdr[8] <= 1)
		return 0;
	memcpy(&ck, ip_hdr + 10, 2); /* wire order: ones' complement sums do not care */
	sum = (uint32_t)ck + (uint32_t)(((const union { uint16_t w; uint8_t b[2]; })
					 { .b = { 1, 0 } }).w);
	ck = (uint16_t)(sum + (sum >= 0xffff));
	memcpy(ip_hdr + 10, &ck, 2);
	return --ip_hdr[8];
}

/* Same for the IPv6 hop limit (no checksum in IPv6). */
static inline unsigned int
vx0_pkt_ipv6_dec_hlim(uint8_t *ip6_hdr)
{
	if (ip6_hdr[7] <= 1)
		return 0;
	return --ip6_hdr[7];
}

/* ------------------------------------------------------------------ */
/* ICMP errors (vx0_pkt_icmp.c)                                        */

#define VX0_PKT_ICMP4_ERR_MAX 576  /* RFC 1812 4.3.2.3 */
#define VX0_PKT_ICMP6_ERR_MAX 1280 /* RFC 4443 2.4(c) */

/* Whether an ICMP error may be sent about this packet (RFC 1812 4.3.2.7,
 * RFC 4443 2.4(e)): not about ICMP errors, later fragments, multicast or
 * broadcast (L2 or L3) destinations, or sources that are not one host.
 * ip points at the L3 header (len bytes), m is the parse result. */
bool vx0_pkt_icmp_error_allowed(const uint8_t *ip, size_t len, const struct vx0_pkt_meta *m);
/* Same, with RFC 4443 2.4(e.3)'s exceptions: IPv6 Packet Too Big and
 * Parameter Problem code 2 may answer multicast destinations. */
bool vx0_pkt_icmp_error_allowed_type(const uint8_t *ip, size_t len, const struct vx0_pkt_meta *m,
				     uint8_t type, uint8_t code);

/* Builds an IPv4 packet (IP header + ICMP error + as much of orig as fits
 * in 576 bytes) into out. src_ip_be is our address (network order), the
 * destination is orig's source. arg: the next-hop MTU for type 3 code 4,
 * the pointer (low byte) for type 12, else ignored. orig_len may exceed
 * the original's total length (Ethernet padding): the quote is bounded by
 * the total length field. Returns the packet length or -EINVAL/-ENOSPC. */
int vx0_pkt_icmp4_error(uint8_t *out, size_t cap, const uint8_t *orig_ip, size_t orig_len,
			uint8_t type, uint8_t code, uint32_t src_ip_be, uint32_t arg);
/* IPv6: IPv6 header + ICMPv6 error (checksummed) + as much of orig as fits
 * in 1280 bytes. arg: MTU for type 2, pointer for type 4, else ignored. */
int vx0_pkt_icmp6_error(uint8_t *out, size_t cap, const uint8_t *orig_ip6, size_t orig_len,
			uint8_t type, uint8_t code, const uint8_t src_ip6[16], uint32_t arg);

/* ------------------------------------------------------------------ */
/* ARP (vx0_pkt_arp.c), Ethernet/IPv4 only                             */

#define VX0_ARP_OP_REQUEST 1
#define VX0_ARP_OP_REPLY   2
#define VX0_PKT_ARP_LEN    28
#define VX0_PKT_ARP_FRAME_LEN 42 /* Ethernet + ARP, no padding */

struct vx0_pkt_arp {
	uint16_t op;
	uint8_t sha[6], spa[4], tha[6], tpa[4];
};

/* Parses an ARP packet (p at the ARP header, after L2). 0 or -EINVAL. */
int vx0_pkt_arp_parse(const uint8_t *p, size_t len, struct vx0_pkt_arp *a);
/* Gratuitous: sender and target protocol address equal (RFC 5227 2.3/2.4). */
bool vx0_pkt_arp_is_gratuitous(const struct vx0_pkt_arp *a);
/* Builds Ethernet + ARP (42 bytes, untagged). Returns 42 or -ENOSPC/-EINVAL. */
int vx0_pkt_arp_build(uint8_t *out, size_t cap, uint16_t op, const uint8_t eth_dst[6],
		      const uint8_t sha[6], const uint8_t spa[4],
		      const uint8_t tha[6], const uint8_t tpa[4]);
/* Request for tip; dst_mac NULL = broadcast (else a unicast refresh probe). */
int vx0_pkt_arp_request(uint8_t *out, size_t cap, const uint8_t smac[6], const uint8_t sip[4],
			const uint8_t tip[4], const uint8_t *dst_mac);
/* Reply from (smac, sip) to (dmac, dip). */
int vx0_pkt_arp_reply(uint8_t *out, size_t cap, const uint8_t smac[6], const uint8_t sip[4],
		      const uint8_t dmac[6], const uint8_t dip[4]);
/* Gratuitous ARP announcement (RFC 5227 2.3: a broadcast request, spa = tpa). */
int vx0_pkt_arp_gratuitous(uint8_t *out, size_t cap, const uint8_t smac[6], const uint8_t sip[4]);

/* ------------------------------------------------------------------ */
/* IPv6 neighbour discovery (vx0_pkt_nd.c), RFC 4861                   */

#define VX0_ND_NS 135
#define VX0_ND_NA 136
#define VX0_ND_F_ROUTER    0x80 /* NA flags, as on the wire */
#define VX0_ND_F_SOLICITED 0x40
#define VX0_ND_F_OVERRIDE  0x20
#define VX0_PKT_NS_FRAME_LEN 86 /* Ethernet + IPv6 + NS + SLLA option */
#define VX0_PKT_NA_FRAME_LEN 86 /* Ethernet + IPv6 + NA + TLLA option */

struct vx0_pkt_nd {
	uint8_t type;        /* VX0_ND_NS or VX0_ND_NA */
	uint8_t flags;       /* NA: VX0_ND_F_*; NS: 0 */
	uint8_t src[16], dst[16]; /* from the IPv6 header */
	uint8_t target[16];
	bool has_lladdr;     /* source (NS) / target (NA) link-layer address option */
	uint8_t lladdr[6];
};

/* Parses and validates an NS or NA (RFC 4861 7.1.1/7.1.2): ip6 at the IPv6
 * header, ICMPv6 directly after it. Returns 0, -ENOMSG (an ICMPv6 message
 * but not NS/NA, or not ICMPv6), -EPROTO (hop limit not 255), -EBADMSG
 * (checksum), -EINVAL (malformed: length, code, options, addresses). */
int vx0_pkt_nd_parse(const uint8_t *ip6, size_t len, struct vx0_pkt_nd *nd);
/* ff02::1:ffXX:XXXX for addr, and its 33:33:ff:XX:XX:XX MAC. */
void vx0_pkt_nd_solicited_node(const uint8_t addr[16], uint8_t group[16], uint8_t mac[6]);
/* Builds Ethernet + IPv6 + NS for target. dst_mac NULL: multicast solicit
 * to the solicited-node group; else a unicast probe to target itself. An
 * all-zero src_ip (DAD) omits the source link-layer address option.
 * Returns the frame length (86, or 78 for DAD) or -ENOSPC. */
int vx0_pkt_nd_build_ns(uint8_t *out, size_t cap, const uint8_t src_mac[6],
			const uint8_t src_ip[16], const uint8_t target[16], const uint8_t *dst_mac);
/* Builds Ethernet + IPv6 + NA about target with the target link-layer
 * address option = src_mac. dst_mac/dst_ip NULL: unsolicited, to all-nodes
 * ff02::1 (33:33:00:00:00:01). flags: VX0_ND_F_*. Returns 86 or -ENOSPC. */
int vx0_pkt_nd_build_na(uint8_t *out, size_t cap, const uint8_t src_mac[6],
			const uint8_t src_ip[16], const uint8_t target[16],
			const uint8_t *dst_mac, const uint8_t *dst_ip, uint8_t flags);

#endif
