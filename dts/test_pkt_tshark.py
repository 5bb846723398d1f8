# SPDX-License-Identifier: BSD-3-Clause
"""tshark as a second, independent oracle for the packets lib/pkt must
produce and accept (test/test_pkt_vectors.h, which test_pkt/test_pkt_build
compare our builders against byte for byte): every vector dissects without
a malformed-packet or bad-checksum verdict, and the fields tshark reads
from the builder vectors are the ones the RFCs ask for.
No network traffic: a pcap file only.
"""
import os
import re
import subprocess
import tempfile

import pytest
from scapy.all import Ether, wrpcap

HERE = os.path.dirname(os.path.abspath(__file__))
HDR = os.path.join(HERE, '..', 'test', 'test_pkt_vectors.h')


def vectors():
    s = open(HDR).read()
    out = {}
    for m in re.finditer(r'static const uint8_t vec_(\w+)\[\d+\] = \{([^}]*)\}', s):
        out[m.group(1)] = bytes(int(x, 16) for x in re.findall(r'0x([0-9a-f]{2})', m.group(2)))
    return out


def frames():
    """Every vector as an Ethernet frame (the IP-only ones get a header)."""
    res = []
    for name, b in sorted(vectors().items()):
        if b[0] >> 4 in (4, 6) and name.startswith(('b_icmp', 'orig', 'big')):
            b = bytes(Ether(src='02:00:00:00:00:02', dst='02:00:00:00:00:01',
                            type=0x0800 if b[0] >> 4 == 4 else 0x86dd)) + b
        res.append((name, b))
    return res


def tshark(fields, pkts):
    if not os.path.exists('/usr/bin/tshark'):
        pytest.skip('tshark not installed')
    with tempfile.TemporaryDirectory() as d:
        pcap = os.path.join(d, 'v.pcap')
        wrpcap(pcap, [Ether(b) for _, b in pkts])
        # the DNS and ISAKMP dissectors would judge the made-up payloads
        # and reassembly the deliberately partial fragment vectors
        cmd = ['tshark', '-n', '-r', pcap, '--disable-protocol', 'dns', '--disable-protocol', 'isakmp',
               '-o', 'ip.defragment:FALSE',
               '-o', 'ipv6.defragment:FALSE', '-o', 'ip.check_checksum:TRUE',
               '-o', 'udp.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE',
               '-T', 'fields', '-E', 'separator=|', '-E', 'occurrence=a']
        for f in fields:
            cmd += ['-e', f]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, p.stderr
        return [dict(zip(fields, l.split('|'))) for l in p.stdout.splitlines()]


def test_pkt_tshark_no_malformed_or_bad_checksum():
    pkts = frames()
    rows = tshark(['frame.number', '_ws.malformed', '_ws.expert.message', 'ip.checksum.status',
                   'udp.checksum.status', 'tcp.checksum.status', 'icmp.checksum_bad',
                   'icmpv6.checksum.status'], pkts)
    assert len(rows) == len(pkts)
    for (name, _), r in zip(pkts, rows):
        assert r['_ws.malformed'] == '', (name, r)
        for f in ('ip.checksum.status', 'udp.checksum.status', 'tcp.checksum.status',
                  'icmpv6.checksum.status'):
            # 0 = bad, 1 = good, 2 = unverified; a quoted header in an ICMP error shows too
            assert '0' not in r[f].split(','), (name, f, r)
        assert 'Bad checksum' not in r['_ws.expert.message'], (name, r)


def test_pkt_tshark_builder_fields():
    pkts = [p for p in frames() if p[0].startswith('b_')]
    rows = {n: r for (n, _), r in zip(pkts, tshark(
        ['arp.opcode', 'arp.isgratuitous', 'arp.dst.proto_ipv4', 'ipv6.dst', 'ipv6.hlim',
         'icmpv6.type', 'icmpv6.nd.ns.target_address', 'icmpv6.nd.na.flag.s',
         'icmpv6.nd.na.flag.o', 'icmpv6.opt.linkaddr', 'icmp.type', 'icmp.code', 'icmp.mtu',
         'ip.dsfield', 'ip.len', 'ipv6.plen', 'icmpv6.mtu', 'vlan.id', 'ieee8021ad.id'], pkts))}
    assert rows['b_arp_garp']['arp.isgratuitous'] == '1'
    assert rows['b_arp_reply']['arp.opcode'] == '2'
    assert rows['b_arp_request_qinq']['ieee8021ad.id'] == '10'
    assert rows['b_arp_request_qinq']['vlan.id'] == '20'
    ns = rows['b_ns_mcast']
    assert (ns['icmpv6.type'], ns['ipv6.hlim']) == ('135', '255')
    assert ns['ipv6.dst'] == 'ff02::1:ff00:fe'
    assert ns['icmpv6.nd.ns.target_address'] == '2001:db8::fe'
    assert ns['icmpv6.opt.linkaddr'] == '02:00:00:00:00:01'
    assert rows['b_ns_dad']['icmpv6.opt.linkaddr'] == ''
    na = rows['b_na_sol']
    assert (na['icmpv6.nd.na.flag.s'], na['icmpv6.nd.na.flag.o']) == ('1', '1')
    assert rows['b_na_unsol']['icmpv6.nd.na.flag.s'] == '0'
    assert rows['b_na_unsol']['ipv6.dst'] == 'ff02::1'
    fn = rows['b_icmp4_fragneeded']
    assert (fn['icmp.type'].split(',')[0], fn['icmp.code'].split(',')[0]) == ('3', '4')
    assert fn['icmp.mtu'] == '1400'
    assert fn['ip.len'].split(',')[0] == '576'
    assert fn['ip.dsfield'].split(',')[0] == '0xc0'
    ptb = rows['b_icmp6_ptb']
    assert ptb['icmpv6.mtu'] == '1400'
    assert ptb['ipv6.plen'].split(',')[0] == '1240'


def test_pkt_tshark_agrees_on_udp_4500():
    """tshark's RFC 3948 classification matches vx0_pkt_parse's (test_pkt.c:
    ESP_UDP with SPI 0xdeadbeef, NATT_KA, and plain UDP for the IKE marker)."""
    want = ['v4_esp_udp', 'v4_natt_ka', 'v4_ike_4500', 'v4_esp', 'v6_esp']
    pkts = [p for p in frames() if p[0] in want]
    rows = {n: r for (n, _), r in zip(pkts, tshark(
        ['esp.spi', 'udpencap.nat_keepalive', 'udpencap.non_esp_marker'], pkts))}
    assert int(rows['v4_esp_udp']['esp.spi'], 0) == 0xdeadbeef
    assert rows['v4_natt_ka']['udpencap.nat_keepalive'] != ''
    assert rows['v4_natt_ka']['esp.spi'] == ''
    assert rows['v4_ike_4500']['udpencap.non_esp_marker'] != ''
    assert rows['v4_ike_4500']['esp.spi'] == ''
    assert int(rows['v4_esp']['esp.spi'], 0) == 0x1234
    assert int(rows['v6_esp']['esp.spi'], 0) == 0x10000
