#!/usr/bin/python3
"""Generates test/test_pkt_vectors.h: packets built with scapy (an
independent implementation) that test_pkt.c parses and that vx0's builders
must reproduce byte for byte. Run: /usr/bin/python3 tools/pkt-vectors.py
> test/test_pkt_vectors.h (the output is committed; the test needs no
scapy). With --corpus test/fuzz/corpus it writes the frames as fuzz seeds."""
import logging
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import (Ether, Dot1Q, Dot1AD, IP, IPv6, UDP, TCP, ICMP, ARP, Raw,
                       IPOption_RR, IPv6ExtHdrHopByHop, IPv6ExtHdrDestOpt,
                       IPv6ExtHdrFragment, IPv6ExtHdrRouting, AH, ESP,
                       ICMPv6EchoRequest, Padding, ICMPv6TimeExceeded, ICMPv6PacketTooBig,
                       ICMPv6ND_NS, ICMPv6ND_NA, ICMPv6NDOptSrcLLAddr,
                       ICMPv6NDOptDstLLAddr, in6_getnsma, in6_getnsmac, inet_pton)
import os
import socket
import sys

OURS_MAC, PEER_MAC = "02:00:00:00:00:01", "02:00:00:00:00:02"
V4A, V4B, V4C = "198.51.100.1", "203.0.113.5", "198.51.100.254"
V6A, V6B, V6C = "2001:db8::1", "2001:db8:1::5", "2001:db8::fe"
LL_A = "fe80::1"

vecs = []


def add(name, pkt, comment):
    vecs.append((name, bytes(pkt), comment))


e = Ether(src=PEER_MAC, dst=OURS_MAC)
add("v4_udp", e / IP(src=V4A, dst=V4B, ttl=64, id=1) / UDP(sport=1234, dport=53) / b"hello",
    "IPv4 UDP 1234->53, 5 byte payload")
add("v4_tcp_opts", e / IP(src=V4A, dst=V4B, ttl=17, id=2, options=[IPOption_RR(length=7, routers=["0.0.0.0"])])
    / TCP(sport=40000, dport=179, flags="S", seq=1, options=[("MSS", 1460), ("NOP", None), ("WScale", 7)]),
    "IPv4 with a record-route option (IHL 7), TCP SYN with MSS/NOP/WScale (data offset 7)")
add("vlan_v4_icmp", e / Dot1Q(vlan=100, prio=5) / IP(src=V4A, dst=V4B, id=3) / ICMP(type=8, code=0, id=7, seq=1) / b"ping",
    "802.1Q VLAN 100 prio 5, ICMP echo request")
add("qinq_v6_udp", e / Dot1AD(vlan=10) / Dot1Q(vlan=20) / IPv6(src=V6A, dst=V6B, hlim=33) / UDP(sport=5000, dport=6000) / b"qq",
    "802.1ad S-tag 10 + 802.1Q C-tag 20, IPv6 UDP")
add("arp_req", Ether(src=PEER_MAC, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=PEER_MAC, psrc=V4C, hwdst="00:00:00:00:00:00", pdst=V4A),
    "ARP who-has 198.51.100.1 tell 198.51.100.254, broadcast")
add("v4_esp", e / IP(src=V4A, dst=V4B, id=4, proto=50) / (b"\x00\x00\x12\x34\x00\x00\x00\x01" + b"\xaa" * 24),
    "IPv4 ESP SPI 0x1234 seq 1")
add("v4_esp_udp", e / IP(src=V4A, dst=V4B, id=5) / UDP(sport=4500, dport=4500) / (b"\xde\xad\xbe\xef\x00\x00\x00\x05" + b"\xbb" * 24),
    "ESP in UDP 4500 (RFC 3948), SPI 0xdeadbeef")
add("v4_natt_ka", e / IP(src=V4A, dst=V4B, id=6) / UDP(sport=4500, dport=4500) / b"\xff",
    "NAT-T keepalive (RFC 3948 2.3)")
add("v4_ike_4500", e / IP(src=V4A, dst=V4B, id=7) / UDP(sport=4500, dport=4500) / (b"\x00" * 4 + b"\x11" * 28),
    "IKE on 4500 behind the non-ESP marker")
add("v4_frag_first", e / IP(src=V4A, dst=V4B, id=8, flags="MF", frag=0) / UDP(sport=1, dport=2, len=1008) / (b"\x01" * 16),
    "IPv4 first fragment (MF, offset 0) of a UDP datagram longer than the fragment")
add("v4_frag_later", e / IP(src=V4A, dst=V4B, id=8, frag=3, proto=17) / (b"\x02" * 16),
    "IPv4 last fragment, offset 24")
add("v6_hbh_dst_tcp", e / IPv6(src=V6A, dst=V6B) / IPv6ExtHdrHopByHop() / IPv6ExtHdrDestOpt() / TCP(sport=179, dport=50000, flags="A"),
    "IPv6 hop-by-hop + destination options + TCP")
add("v6_frag_first", e / IPv6(src=V6A, dst=V6B) / IPv6ExtHdrFragment(nh=17, offset=0, m=1, id=9) / UDP(sport=7, dport=8, len=2000) / (b"\x03" * 8),
    "IPv6 first fragment (M=1) of UDP")
add("v6_frag_later", e / IPv6(src=V6A, dst=V6B) / IPv6ExtHdrFragment(nh=17, offset=100, m=0, id=9) / (b"\x04" * 8),
    "IPv6 later fragment, offset 800")
add("v6_rh_ah_udp", e / IPv6(src=V6A, dst=V6B) / IPv6ExtHdrRouting(type=0, addresses=[]) /
    AH(nh=17, payloadlen=4, spi=0x100, seq=1, icv=b"\x00" * 12) / UDP(sport=9, dport=10) / b"ah",
    "IPv6 routing header + AH (ICV 12, 24 bytes) + UDP")
add("v6_esp", e / IPv6(src=V6A, dst=V6B, nh=50) / (b"\x00\x01\x00\x00\x00\x00\x00\x02" + b"\xcc" * 16),
    "IPv6 ESP SPI 0x10000 seq 2")
add("v6_echo_mcast", Ether(src=PEER_MAC, dst="33:33:00:00:00:01") / IPv6(src=LL_A, dst="ff02::1", hlim=1) / ICMPv6EchoRequest(id=1, seq=2),
    "ICMPv6 echo request to ff02::1")
add("v6_nonext", e / IPv6(src=V6A, dst=V6B, nh=59) / b"",
    "IPv6 no next header")
add("v4_padded", e / IP(src=V4A, dst=V4B, id=10) / UDP(sport=3, dport=4) / b"x" / Padding(load=b"\x00" * 17),
    "IPv4 UDP in a 60-byte frame: 17 bytes of Ethernet padding after the IP packet")
add("v4_bcast", Ether(src=PEER_MAC, dst="ff:ff:ff:ff:ff:ff") / IP(src=V4A, dst="255.255.255.255", id=11) / UDP(sport=67, dport=68),
    "IPv4 limited broadcast")
add("v6_dad_ns", Ether(src=PEER_MAC, dst=in6_getnsmac(in6_getnsma(inet_pton(socket.AF_INET6, V6A)))) /
    IPv6(src="::", dst=socket.inet_ntop(socket.AF_INET6, in6_getnsma(inet_pton(socket.AF_INET6, V6A))), hlim=255) / ICMPv6ND_NS(tgt=V6A),
    "DAD neighbour solicitation from :: (RFC 4862 5.4.2)")

# --- builder outputs: vx0 must reproduce these bytes ---
add("b_arp_request", Ether(src=OURS_MAC, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=OURS_MAC, psrc=V4A, hwdst="00:00:00:00:00:00", pdst=V4C),
    "our ARP request for 198.51.100.254")
add("b_arp_request_qinq", Ether(src=OURS_MAC, dst="ff:ff:ff:ff:ff:ff") / Dot1AD(vlan=10, prio=1) / Dot1Q(vlan=20) /
    ARP(op=1, hwsrc=OURS_MAC, psrc=V4A, hwdst="00:00:00:00:00:00", pdst=V4C),
    "our ARP request on S-tag 10 (prio 1) / C-tag 20")
add("b_arp_probe", Ether(src=OURS_MAC, dst=PEER_MAC) / ARP(op=1, hwsrc=OURS_MAC, psrc=V4A, hwdst="00:00:00:00:00:00", pdst=V4C),
    "our unicast ARP refresh probe")
add("b_arp_reply", Ether(src=OURS_MAC, dst=PEER_MAC) / ARP(op=2, hwsrc=OURS_MAC, psrc=V4A, hwdst=PEER_MAC, pdst=V4C),
    "our ARP reply to 198.51.100.254")
add("b_arp_garp", Ether(src=OURS_MAC, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=OURS_MAC, psrc=V4A, hwdst="00:00:00:00:00:00", pdst=V4A),
    "our gratuitous ARP announcement (RFC 5227 2.3)")
tgt = inet_pton(socket.AF_INET6, V6C)
add("b_ns_mcast", Ether(src=OURS_MAC, dst=in6_getnsmac(in6_getnsma(tgt))) /
    IPv6(src=V6A, dst=socket.inet_ntop(socket.AF_INET6, in6_getnsma(tgt)), hlim=255) /
    ICMPv6ND_NS(tgt=V6C) / ICMPv6NDOptSrcLLAddr(lladdr=OURS_MAC),
    "our multicast NS for 2001:db8::fe to its solicited-node group")
add("b_ns_unicast", Ether(src=OURS_MAC, dst=PEER_MAC) / IPv6(src=V6A, dst=V6C, hlim=255) /
    ICMPv6ND_NS(tgt=V6C) / ICMPv6NDOptSrcLLAddr(lladdr=OURS_MAC),
    "our unicast NUD probe of 2001:db8::fe")
add("b_ns_dad", Ether(src=OURS_MAC, dst=in6_getnsmac(in6_getnsma(tgt))) /
    IPv6(src="::", dst=socket.inet_ntop(socket.AF_INET6, in6_getnsma(tgt)), hlim=255) / ICMPv6ND_NS(tgt=V6C),
    "DAD NS for 2001:db8::fe")
add("b_na_sol", Ether(src=OURS_MAC, dst=PEER_MAC) / IPv6(src=V6A, dst=V6C, hlim=255) /
    ICMPv6ND_NA(R=0, S=1, O=1, tgt=V6A) / ICMPv6NDOptDstLLAddr(lladdr=OURS_MAC),
    "our solicited NA (S, O) for 2001:db8::1")
add("b_na_unsol", Ether(src=OURS_MAC, dst="33:33:00:00:00:01") / IPv6(src=V6A, dst="ff02::1", hlim=255) /
    ICMPv6ND_NA(R=1, S=0, O=1, tgt=V6A) / ICMPv6NDOptDstLLAddr(lladdr=OURS_MAC),
    "our unsolicited NA (R, O) to all-nodes")

# ICMP errors about packets above (the quote is the original IP packet)
orig4 = bytes(IP(src=V4A, dst=V4B, ttl=1, id=1) / UDP(sport=1234, dport=53) / b"hello")
add("orig4", orig4, "IPv4 packet with TTL 1 that triggers the errors below")
add("b_icmp4_ttl", IP(src=V4C, dst=V4A, tos=0xc0, id=0, ttl=64) / ICMP(type=11, code=0) / orig4,
    "Time Exceeded from 198.51.100.254 quoting all of orig4")
big4 = bytes(IP(src=V4A, dst=V4B, id=12, flags="DF") / UDP(sport=1, dport=2) / (bytes(range(256)) * 6))
add("big4", big4, "1564-byte IPv4 packet with DF")
add("b_icmp4_fragneeded", IP(src=V4C, dst=V4A, tos=0xc0, id=0, ttl=64) / ICMP(type=3, code=4, nexthopmtu=1400) / big4[:548],
    "Fragmentation Needed (MTU 1400): 576-byte error quoting 548 bytes (RFC 1812 4.3.2.3)")
big6 = bytes(IPv6(src=V6A, dst=V6B, hlim=1) / UDP(sport=1, dport=2) / (bytes(range(256)) * 6))
add("big6", big6, "1584-byte IPv6 packet with hop limit 1")
add("b_icmp6_ttl", IPv6(src=V6C, dst=V6A, hlim=64) / ICMPv6TimeExceeded(code=0) / Raw(big6[:1232]),
    "ICMPv6 Time Exceeded, 1280 bytes in all (RFC 4443 2.4(c))")
add("b_icmp6_ptb", IPv6(src=V6C, dst=V6A, hlim=64) / ICMPv6PacketTooBig(mtu=1400) / Raw(big6[:1232]),
    "ICMPv6 Packet Too Big, MTU 1400")



def write_header(out):
    w = lambda line: out.write(line + "\n")
    w("/* SPDX-License-Identifier: BSD-3-Clause */")
    w("/* Generated by tools/pkt-vectors.py with scapy; do not edit. */")
    w("#ifndef TEST_PKT_VECTORS_H\n#define TEST_PKT_VECTORS_H\n#include <stdint.h>\n")
    for name, b, comment in vecs:
        w(f"/* {comment} */")
        w(f"static const uint8_t vec_{name}[{len(b)}] = {{")
        for i in range(0, len(b), 12):
            w("\t" + " ".join(f"0x{x:02x}," for x in b[i:i + 12]))
        w("};")
    w("\n#endif")


def write_corpus(d):
    """Frames as fuzz seeds: ARP/ND ones for pkt_nd, the rest for pkt_parse."""
    for sub in ("pkt_parse", "pkt_nd"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
    for name, b, _ in vecs:
        if name.startswith(("b_icmp", "orig", "big")):  # IP packets: give them an Ethernet header
            et = 0x0800 if b[0] >> 4 == 4 else 0x86dd
            b = bytes(Ether(src=PEER_MAC, dst=OURS_MAC, type=et)) + b
        nd = name.startswith(("b_arp", "b_ns", "b_na", "arp", "v6_dad"))
        with open(os.path.join(d, "pkt_nd" if nd else "pkt_parse", name), "wb") as f:
            f.write(b)


if len(sys.argv) > 2 and sys.argv[1] == "--corpus":
    write_corpus(sys.argv[2])
else:
    write_header(sys.stdout)
