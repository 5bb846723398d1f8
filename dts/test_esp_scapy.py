# SPDX-License-Identifier: BSD-3-Clause
"""ESP interop: lib/esp (through build/test/esp_tool) against scapy's
independent ESP implementation (scapy.layers.ipsec), both directions, both
AEADs, IPv4/IPv6 outer and inner, ESN on/off, UDP encapsulation (RFC 3948);
and tshark decrypting our AES-GCM ESP and dissecting the inner packet.

No network traffic: packets go through pipes and a pcap file only.
"""
import os
import subprocess
import tempfile

import pytest
from scapy.all import ARP, Dot1Q, Ether, IP, IPv6, UDP, TCP, ICMP, Raw, raw, rdpcap, wrpcap
from scapy.layers.ipsec import ESP, SecurityAssociation

BUILD = os.environ.get('VX0_BUILD') or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), '..', 'build')
TOOL = os.path.join(BUILD, 'test', 'esp_tool')

ALGS = {'chacha20poly1305': 'CHACHA20-POLY1305', 'aes256gcm16': 'AES-GCM'}
ENDPOINTS = {4: ('203.0.113.1', '198.51.100.1'), 6: ('2001:db8::1', '2001:db8:1::1')}
SPI = 0x2a2b2c2d


def tool(mode, alg, key, packets, *extra):
    """Run esp_tool over hex lines; returns one output line per packet."""
    args = [TOOL, mode, '--alg', alg, '--spi', '%x' % SPI, '--key', key.hex(), *extra]
    p = subprocess.run(args, input=''.join(bytes(b).hex() + '\n' for b in packets),
                       capture_output=True, text=True, timeout=30)
    if 'not supported' in p.stderr.lower():
        pytest.skip('AES-GCM not available on this CPU')
    assert p.returncode == 0, p.stderr
    out = p.stdout.splitlines()
    assert len(out) == len(packets)
    return out, p.stderr


def inner_packets(seed):
    """IPv4 and IPv6 packets of several sizes and protocols."""
    pkts = []
    for i, size in enumerate((0, 1, 37, 200, 511, 1400)):
        data = bytes((seed + i + j) & 0xff for j in range(size))
        if i % 2 == 0:
            pkts.append(IP(src='198.51.100.10', dst='203.0.113.10', tos=0x20, id=i) /
                        UDP(sport=1000 + i, dport=53) / Raw(data))
        else:
            pkts.append(IPv6(src='2001:db8:a::10', dst='2001:db8:b::10', tc=0x40) /
                        TCP(sport=2000 + i, dport=443, flags='PA') / Raw(data))
    pkts.append(IP(src='198.51.100.11', dst='203.0.113.11') / ICMP(id=7, seq=1))
    return pkts


def scapy_sa(alg, key, outer, udp, esn, esn_hi=0):
    src, dst = ENDPOINTS[outer]
    th = IP(src=src, dst=dst) if outer == 4 else IPv6(src=src, dst=dst)
    return SecurityAssociation(ESP, spi=SPI, crypt_algo=ALGS[alg], crypt_key=key,
                               tunnel_header=th,
                               nat_t_header=UDP(sport=4500, dport=4500) if udp else None,
                               esn_en=esn, esn=esn_hi)


def scapy_encrypt(sa, pkt, seq, outer, udp, esn_hi=None):
    e = sa.encrypt(pkt, seq_num=seq, esn=esn_hi)
    b = bytearray(raw(e))
    if udp:  # scapy leaves the UDP length at 8 with nat_t_header: fix it
        off = 20 if outer == 4 else 40
        b[off + 4:off + 6] = (len(b) - off).to_bytes(2, 'big')
    return bytes(b)


def parse_outer(b, outer):
    return IP(b) if outer == 4 else IPv6(b)


CASES = [(alg, outer, udp, esn) for alg in ALGS for outer in (4, 6)
         for udp in (False, True) for esn in (False, True)]


def case_id(c):
    return '%s-v%d%s%s' % (c[0], c[1], '-udp' if c[2] else '', '-esn' if c[3] else '')


@pytest.mark.parametrize('case', CASES, ids=case_id)
def test_esp_scapy_encrypts_we_decrypt(case):
    alg, outer, udp, esn = case
    key = os.urandom(36)
    sa = scapy_sa(alg, key, outer, udp, esn)
    inner = inner_packets(outer * 7 + udp)
    wire = [scapy_encrypt(sa, p, i + 1, outer, udp) for i, p in enumerate(inner)]
    # then a replay of packet 3, a new packet with one ciphertext bit
    # flipped, one cut by its last byte, and a good late one (seq 100)
    bad = bytearray(scapy_encrypt(sa, inner[2], 50, outer, udp))
    bad[-20] ^= 0x10
    cut = scapy_encrypt(sa, inner[4], 51, outer, udp)[:-1]
    late = scapy_encrypt(sa, inner[0], 100, outer, udp)
    extra = ['--esn'] if esn else []
    out, err = tool('decap', alg, key, wire + [wire[2], bytes(bad), cut, late], *extra)
    for i, p in enumerate(inner):
        assert out[i] == raw(p).hex(), 'packet %d' % i
    assert out[len(inner)] == 'drop replay'
    assert out[len(inner) + 1] == 'drop auth'
    assert out[len(inner) + 2] in ('drop truncated', 'drop auth')
    assert out[len(inner) + 3] == raw(inner[0]).hex()
    assert 'packets %d ' % (len(inner) + 1) in err
    assert ' replay 1 ' in err


@pytest.mark.parametrize('case', CASES, ids=case_id)
def test_esp_we_encrypt_scapy_decrypts(case):
    alg, outer, udp, esn = case
    key = os.urandom(36)
    src, dst = ENDPOINTS[outer]
    inner = inner_packets(outer * 5 + udp)
    extra = ['--src', src, '--dst', dst] + (['--esn'] if esn else [])
    if udp:
        extra += ['--udp', '4500:4500']
    out, _ = tool('encap', alg, key, [raw(p) for p in inner], *extra)
    sa = scapy_sa(alg, key, outer, udp, esn)
    for i, (p, line) in enumerate(zip(inner, out)):
        q = parse_outer(bytes.fromhex(line), outer)
        assert q.haslayer(ESP)
        assert q[ESP].spi == SPI and q[ESP].seq == i + 1
        if outer == 4:
            assert q.src == src and q.dst == dst and q.ttl == 64
            assert q.proto == (17 if udp else 50)
            assert q.len == len(q)
        else:
            assert q.src == src and q.dst == dst and q.hlim == 64
            assert q.plen == len(q) - 40
        if udp:
            assert q[UDP].sport == 4500 and q[UDP].dport == 4500
            assert q[UDP].len == len(q[UDP])
            if outer == 6:  # scapy recomputes the checksum: ours must match
                c = q[UDP].chksum
                del q[UDP].chksum
                assert parse_outer(raw(q), 6)[UDP].chksum == c
        d = sa.decrypt(q)
        assert raw(d) == raw(p), 'packet %d' % i


def test_esp_tfc_padding_scapy():
    """TFC padding (--tfc 600): scapy sees the padded payload and the
    inner packet at its head; our decap trims it back."""
    key = os.urandom(36)
    src, dst = ENDPOINTS[4]
    inner = inner_packets(3)
    out, _ = tool('encap', 'chacha20poly1305', key, [raw(p) for p in inner],
                  '--src', src, '--dst', dst, '--tfc', '600')
    sa = scapy_sa('chacha20poly1305', key, 4, False, False)
    wire = [bytes.fromhex(line) for line in out]
    for p, w in zip(inner, wire):
        q = IP(w)
        assert len(q[ESP].data) >= 8 + max(600, len(raw(p))) + 2 + 16
        d = raw(sa.decrypt(q))
        assert d[:len(raw(p))] == raw(p)
        assert len(d) == max(600, len(raw(p)))
    out, _ = tool('decap', 'chacha20poly1305', key, wire)
    assert out == [raw(p).hex() for p in inner]


@pytest.mark.parametrize('alg', list(ALGS))
def test_esp_esn_wrap_scapy(alg):
    """ESN across 2^32 with scapy as the peer: its high 32 bits go into
    the AAD only; our receiver infers them (RFC 4303 A2.2), and our sender's
    packets after the wrap decrypt in scapy with esn=1."""
    key = os.urandom(36)
    sa = scapy_sa(alg, key, 4, False, True)
    p = inner_packets(1)[3]
    seqs = [(0, 0x80000000), (0, 0xfffffff0), (0, 0xffffffff), (1, 2), (0, 0xfffffff5),
            (1, 1), (1, 2), (1, 0x10)]
    wire = [scapy_encrypt(sa, p, lo, 4, False, esn_hi=hi) for hi, lo in seqs]
    out, err = tool('decap', alg, key, wire, '--esn', '--window', '64')
    assert out[:6] == [raw(p).hex()] * 6
    assert out[6] == 'drop replay'
    assert out[7] == raw(p).hex()
    # a packet sent with esn=0 but seq 2 after the wrap is a different AAD
    wrong = scapy_encrypt(sa, p, 3, 4, False, esn_hi=0)
    out2, _ = tool('decap', alg, key, wire[:6] + [wrong], '--esn', '--window', '64')
    assert out2[6] == 'drop auth'

    src, dst = ENDPOINTS[4]
    out, _ = tool('encap', alg, key, [raw(p)] * 4, '--src', src, '--dst', dst, '--esn',
                  '--seq', str(2**32 - 3))
    for i, line in enumerate(out):
        seq = 2**32 - 2 + i
        q = IP(bytes.fromhex(line))
        assert q[ESP].seq == seq & 0xffffffff
        d = sa.decrypt(q, esn_en=True, esn=seq >> 32)
        assert raw(d) == raw(p)
    # without ESN the sender refuses to wrap
    out, err = tool('encap', alg, key, [raw(p)] * 3, '--src', src, '--dst', dst,
                    '--seq', str(2**32 - 3))
    assert out[2] == 'drop seq_overflow' and out[0] != out[1]


def tshark_fields(pcap, uat_rows, fields):
    cmd = ['tshark', '-n', '-r', pcap, '-o', 'esp.enable_encryption_decode:TRUE',
           '-o', 'esp.enable_authentication_check:TRUE']
    for row in uat_rows:
        cmd += ['-o', 'uat:esp_sa:' + row]
    cmd += ['-T', 'fields', '-E', 'separator=|', '-E', 'occurrence=a', '-E', 'aggregator=,']
    for f in fields:
        cmd += ['-e', f]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return [line.split('|') for line in p.stdout.splitlines()]


@pytest.mark.parametrize('outer,udp', [(4, False), (4, True), (6, False), (6, True)],
                         ids=['v4', 'v4-udp', 'v6', 'v6-udp'])
def test_esp_tshark_decrypts_gcm(outer, udp):
    """tshark (Wireshark 4.0, independent AES-GCM ESP decoder) decrypts our
    AES-256-GCM packets, checks the ICV, and dissects the inner packets."""
    key = os.urandom(36)
    src, dst = ENDPOINTS[outer]
    inner = [IP(src='198.51.100.10', dst='203.0.113.10') / UDP(sport=1234, dport=5678) /
             Raw(b'vx0-esp-%d' % i) for i in range(3)]
    inner.append(IPv6(src='2001:db8:a::10', dst='2001:db8:b::10') /
                 UDP(sport=4321, dport=8765) / Raw(b'vx0-esp-v6'))
    extra = ['--src', src, '--dst', dst] + (['--udp', '4500:4500'] if udp else [])
    with tempfile.TemporaryDirectory(prefix='vx0-esp-') as d:
        pcap = os.path.join(d, 'esp.pcap')  # written by esp_tool (libpcap)
        out, _ = tool('encap', 'aes256gcm16', key, [raw(p) for p in inner], *extra,
                      '--pcap-out', pcap)
        assert [raw(q) for q in rdpcap(pcap)] == [bytes.fromhex(line) for line in out]
        row = '"%s","%s","%s","0x%08x","AES-GCM with 16 octet ICV [RFC4106]","0x%s","NULL",""' % (
            'IPv4' if outer == 4 else 'IPv6', src, dst, SPI, key.hex())
        rows = tshark_fields(pcap, [row], ['esp.spi', 'esp.sequence', 'esp.protocol',
                                           'esp.pad_len', 'esp.icv_good', 'udp.dstport',
                                           'data.data'])
        assert len(rows) == len(inner)
        for i, (r, p) in enumerate(zip(rows, inner)):
            spi, seq, nh, padlen, good, dports, data = r
            assert int(spi, 0) == SPI and int(seq) == i + 1
            assert int(nh, 0) == (4 if p.version == 4 else 41)
            assert int(padlen, 0) == (-(len(raw(p)) + 2)) % 4
            # tshark 4.0 now and then leaves esp.icv_good empty on a row it
            # decrypted (seen about once in 12 runs, not tied to the key);
            # an empty field is accepted, a bad ICV never. scapy's decrypt
            # tests verify every tag independently.
            assert good in ('1', 'True', '')
            assert dports.split(',')[-1] == str(p[UDP].dport)
            assert bytes.fromhex(data.replace(':', '')) == p[Raw].load

        # a wrong key: tshark flags the ICV bad and finds no inner UDP
        bad = row.replace(key.hex(), bytes(36).hex())
        rows = tshark_fields(pcap, [bad], ['esp.icv_bad', 'udp.dstport'])
        assert len(rows) == len(inner)
        for r, p in zip(rows, inner):
            # same tshark 4.0 quirk as above: the flag may be left empty;
            # what matters is that no inner packet was decoded
            assert r[0] in ('1', 'True', '')
            assert str(p[UDP].dport) not in r[1].split(',')


def test_esp_pcap_in_out():
    """esp_tool reads a pcap (Ethernet, with a VLAN tag and a non-IP frame)
    of scapy's ESP packets and writes the inner packets to a raw-IP pcap."""
    key = os.urandom(36)
    sa = scapy_sa('chacha20poly1305', key, 4, True, False)
    inner = inner_packets(9)
    frames = []
    for i, p in enumerate(inner):
        ip = IP(scapy_encrypt(sa, p, i + 1, 4, True))
        eth = Ether(src='02:00:00:00:00:01', dst='02:00:00:00:00:02')
        frames.append(eth / Dot1Q(vlan=7) / ip if i == 2 else eth / ip)
    frames.insert(3, Ether() / ARP())
    with tempfile.TemporaryDirectory(prefix='vx0-esp-') as d:
        pin, pout = os.path.join(d, 'in.pcap'), os.path.join(d, 'out.pcap')
        wrpcap(pin, frames)
        p = subprocess.run([TOOL, 'decap', '--alg', 'chacha20poly1305', '--spi', '%x' % SPI,
                            '--key', key.hex(), '--pcap-in', pin, '--pcap-out', pout],
                           capture_output=True, text=True, timeout=30)
        assert p.returncode == 0, p.stderr
        lines = p.stdout.splitlines()
        assert lines[3] == 'drop notip'
        del lines[3]
        assert lines == [raw(q).hex() for q in inner]
        assert [raw(q) for q in rdpcap(pout)] == [raw(q) for q in inner]


@pytest.mark.parametrize('alg', list(ALGS))
def test_esp_tfc_dummy_scapy(alg):
    """Our TFC dummy packets (next header 59) decrypt in scapy to zeros with
    next header 59, are as long as a data packet of that size, and our
    receiver drops them silently (counted)."""
    key = os.urandom(36)
    src, dst = ENDPOINTS[6]
    data = IPv6(src='2001:db8:a::10', dst='2001:db8:b::10') / UDP() / Raw(bytes(252))
    assert len(raw(data)) == 300
    p = subprocess.run([TOOL, 'encap', '--alg', alg, '--spi', '%x' % SPI, '--key', key.hex(),
                        '--src', src, '--dst', dst],
                       input=raw(data).hex() + '\ndummy 300\n', capture_output=True,
                       text=True, timeout=30)
    if 'not supported' in p.stderr.lower():
        pytest.skip('AES-GCM not available on this CPU')
    assert p.returncode == 0, p.stderr
    real, dummy = [bytes.fromhex(x) for x in p.stdout.split()]
    assert len(real) == len(dummy)
    sa = scapy_sa(alg, key, 6, False, False)
    q = IPv6(dummy)
    assert q[ESP].seq == 2
    esp = sa.crypt_algo.decrypt(sa, q[ESP], sa.crypt_key, 16)
    assert esp.nh == 59 and esp.data == bytes(300)
    out, err = tool('decap', alg, key, [real, dummy])
    assert out == [raw(data).hex(), 'drop tfc_dummy']
    assert ' tfc_dummy 1 ' in err
