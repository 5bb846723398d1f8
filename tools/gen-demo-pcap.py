#!/usr/bin/python3
"""Writes config/demo.pcap: the traffic config/demo.json replays through vx0d.

Host 198.51.100.2 / 2001:db8:a::2 (MAC 02:00:00:00:01:02) on the "wan" port
sends: transit IPv4/IPv6 (UDP, TCP, one VLAN-tagged), ARP and NS for the
node, a ping to the node (answered by the kernel via the exception path),
ESP to the node (no SA yet: counted), and packets that must be dropped or
answered with ICMP: TTL/hop limit 1, no route, bad checksum, bad length,
unknown EtherType, another host's MAC. Deterministic: same bytes every run.
"""
import sys
from scapy.all import (ARP, ESP, Dot1Q, Ether, ICMP, IP, IPv6, TCP, UDP, Raw,
                       ICMPv6ND_NS, ICMPv6NDOptSrcLLAddr, wrpcap)

NODE = "02:00:00:00:00:01"
HOST = "02:00:00:00:01:02"
H4, N4 = "198.51.100.2", "198.51.100.1"
H6, N6 = "2001:db8:a::2", "2001:db8:a::1"


def e():
    return Ether(src=HOST, dst=NODE)


def main(out, transit):
    pkts = []
    pkts.append(Ether(src=HOST, dst="ff:ff:ff:ff:ff:ff") /
                ARP(op=1, hwsrc=HOST, psrc=H4, pdst=N4))
    pkts.append(Ether(src=HOST, dst="33:33:ff:00:00:01") /
                IPv6(src=H6, dst="ff02::1:ff00:1", hlim=255) /
                ICMPv6ND_NS(tgt=N6) / ICMPv6NDOptSrcLLAddr(lladdr=HOST))
    pkts.append(e() / IP(src=H4, dst=N4) / ICMP(id=7, seq=1) / Raw(b"vx0 demo ping"))
    for i in range(transit):
        d = i % 4
        if d == 0:
            p = e() / IP(src=H4, dst="203.0.113.%d" % (130 + i % 60)) / \
                UDP(sport=10000 + i % 1000, dport=5001) / Raw(bytes(18))
        elif d == 1:
            p = e() / IP(src=H4, dst="203.0.113.2") / \
                TCP(sport=20000 + i % 1000, dport=80, flags="A") / Raw(bytes(6))
        elif d == 2:
            p = e() / IPv6(src=H6, dst="2001:db8:100::%x" % (i % 200 + 1)) / \
                UDP(sport=30000, dport=5001) / Raw(bytes(16))
        else:
            p = e() / IPv6(src=H6, dst="2001:db8:b::2") / \
                TCP(sport=40000, dport=443, flags="A") / Raw(bytes(8))
        pkts.append(p)
    pkts.append(Ether(src=HOST, dst=NODE) / Dot1Q(vlan=100) /
                IP(src=H4, dst="203.0.113.131") / UDP(sport=1, dport=2) / Raw(b"tagged"))
    pkts.append(e() / IP(src=H4, dst=N4) / ESP(spi=0x1001, seq=1) / Raw(bytes(48)))
    pkts.append(e() / IP(src=H4, dst="203.0.113.140", ttl=1) / UDP(sport=3, dport=4))
    pkts.append(e() / IPv6(src=H6, dst="2001:db8:100::1", hlim=1) / UDP(sport=3, dport=4))
    pkts.append(e() / IP(src=H4, dst="203.0.113.200") / UDP(sport=5, dport=6))
    pkts.append(e() / IPv6(src=H6, dst="2001:db8:ffff::1") / UDP(sport=5, dport=6))
    bad = e() / IP(src=H4, dst="203.0.113.130", chksum=0x1234) / UDP(sport=7, dport=8)
    pkts.append(bad)
    short = bytearray(bytes(e() / IP(src=H4, dst="203.0.113.130") / UDP(sport=9, dport=10)))
    short[14 + 2:14 + 4] = (200).to_bytes(2, "big")  # total length beyond the frame
    pkts.append(Ether(bytes(short)))
    pkts.append(Ether(src=HOST, dst=NODE, type=0x88b5) / Raw(bytes(46)))
    pkts.append(Ether(src=HOST, dst="02:00:00:00:99:99") / IP(src=H4, dst="203.0.113.130") /
                UDP(sport=11, dport=12))
    for i, p in enumerate(pkts):
        p.time = 1700000000 + i * 0.0001
    wrpcap(out, pkts)
    print(f"{out}: {len(pkts)} packets")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "config/demo.pcap",
         int(sys.argv[2]) if len(sys.argv) > 2 else 2000)
