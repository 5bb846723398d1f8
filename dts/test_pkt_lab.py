# SPDX-License-Identifier: BSD-3-Clause
"""lib/pkt + lib/neigh against the Linux kernel's ARP, IPv6 ND and ICMP.

Two namespaces joined by a veth: the kernel side has 198.51.100.2/24 and
2001:db8::2/64; on the other side build/test/test_pkt_lab speaks through a
packet socket with our builders, parsers and neighbour table. Checked:
 - our ARP request / NS resolve the kernel's MAC (its reply and NA go
   through vx0_pkt_parse, the ARP/ND parsers and vx0_neigh to REACHABLE);
 - the kernel learned our MAC from our request / NS (it accepted them);
 - the kernel's ICMP / ICMPv6 port unreachable about our UDP datagram is
   byte-identical, from the ICMP header on, to what vx0_pkt_icmp*_error
   builds about the same datagram (and is not answerable with an error);
 - the kernel takes our gratuitous ARP and unsolicited NA (override) as a
   MAC change of its existing entry.
"""
import os
import re
import subprocess
import time

import pytest

BUILD = os.environ.get('VX0_BUILD') or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), '..', 'build')
TOOL = os.path.join(BUILD, 'test', 'test_pkt_lab')

OUR_MAC, NEW_MAC = '02:00:5e:00:53:01', '02:00:5e:00:53:99'
OUR4, PEER4 = '198.51.100.1', '198.51.100.2'
OUR6, PEER6 = '2001:db8::1', '2001:db8::2'


def sh(*args, check=True):
    return subprocess.run(args, capture_output=True, text=True, timeout=20, check=check)


@pytest.fixture
def lab():
    if os.geteuid() != 0:
        pytest.skip('needs root for network namespaces')
    tag = 'pk%d' % (os.getpid() % 100000)
    us, them = tag + 'u', tag + 't'
    vu, vt = tag + 'vu', tag + 'vt'
    try:
        sh('ip', 'netns', 'add', us)
        sh('ip', 'netns', 'add', them)
        sh('ip', 'link', 'add', vu, 'netns', us, 'type', 'veth', 'peer', 'name', vt, 'netns', them)
        # our side: no addresses, no IPv6 autoconf; only the packet socket talks
        sh('ip', 'netns', 'exec', us, 'sysctl', '-qw', f'net.ipv6.conf.{vu}.disable_ipv6=1')
        sh('ip', '-n', us, 'link', 'set', vu, 'address', OUR_MAC, 'up')
        sh('ip', '-n', them, 'addr', 'add', PEER4 + '/24', 'dev', vt)
        sh('ip', '-n', them, 'addr', 'add', PEER6 + '/64', 'dev', vt, 'nodad')
        sh('ip', '-n', them, 'link', 'set', vt, 'up')
        sh('ip', '-n', them, 'link', 'set', 'lo', 'up')
        mac = re.search(r'link/ether (\S+)', sh('ip', '-n', them, 'link', 'show', vt).stdout).group(1)
        # wait (bounded) until both ends report carrier
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if ('LOWER_UP' in sh('ip', '-n', us, 'link', 'show', vu).stdout and
                    'LOWER_UP' in sh('ip', '-n', them, 'link', 'show', vt).stdout):
                break
            time.sleep(0.05)
        yield {'us': us, 'them': them, 'vu': vu, 'vt': vt, 'peer_mac': mac}
    finally:
        sh('ip', 'netns', 'del', us, check=False)
        sh('ip', 'netns', 'del', them, check=False)


def run(lab, mode, ours, peer, *extra):
    p = subprocess.run(['ip', 'netns', 'exec', lab['us'], TOOL, lab['vu'], mode, OUR_MAC, ours, peer,
                        *extra], capture_output=True, text=True, timeout=30)
    out = dict(l.split('=', 1) for l in p.stdout.splitlines() if '=' in l)
    assert p.returncode == 0, p.stdout + p.stderr
    return out


def kernel_neigh(lab, addr):
    """The kernel's entry for addr (MAC, state), waiting for it a bounded while."""
    deadline = time.monotonic() + 3
    line = ''
    while time.monotonic() < deadline:
        line = sh('ip', '-n', lab['them'], 'neigh', 'show', addr, 'dev', lab['vt']).stdout
        if 'lladdr' in line:
            break
        time.sleep(0.05)
    m = re.search(r'lladdr (\S+) (?:router )?(\S+)', line)
    return (m.group(1), m.group(2)) if m else (None, line)


def test_pkt_lab_arp_neigh_resolves_kernel(lab):
    out = run(lab, 'arp', OUR4, PEER4)
    assert out['state'] == 'reachable'
    assert out['peer_mac'] == lab['peer_mac']
    assert int(out['replies']) == 1
    assert 1 <= int(out['solicits']) <= 6
    assert kernel_neigh(lab, OUR4)[0] == OUR_MAC


def test_pkt_lab_nd_neigh_resolves_kernel(lab):
    out = run(lab, 'nd', OUR6, PEER6)
    assert out['state'] == 'reachable'
    assert out['peer_mac'] == lab['peer_mac']
    assert out['na_parse'] == '0'
    assert int(out['na_flags'], 16) & 0x60 == 0x60  # solicited + override
    assert kernel_neigh(lab, OUR6)[0] == OUR_MAC


@pytest.mark.parametrize('fam', [4, 6])
def test_pkt_lab_icmp_error_matches_kernel(lab, fam):
    out = run(lab, 'icmp%d' % fam, *((OUR4, PEER4) if fam == 4 else (OUR6, PEER6)))
    if fam == 4:
        assert (out['icmp_type'], out['icmp_code']) == ('3', '3')
    else:
        assert (out['icmp_type'], out['icmp_code']) == ('1', '4')
    assert out['error_allowed'] == '0'
    assert out['kernel_len'] == out['our_len']
    assert out['icmp_match'] == '1'


def test_pkt_lab_gratuitous_arp_updates_kernel(lab):
    run(lab, 'garp', OUR4, PEER4, NEW_MAC)
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and kernel_neigh(lab, OUR4)[0] != NEW_MAC:
        time.sleep(0.05)
    assert kernel_neigh(lab, OUR4)[0] == NEW_MAC


def test_pkt_lab_unsolicited_na_updates_kernel(lab):
    run(lab, 'una', OUR6, PEER6, NEW_MAC)
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and kernel_neigh(lab, OUR6)[0] != NEW_MAC:
        time.sleep(0.05)
    mac, state = kernel_neigh(lab, OUR6)
    assert mac == NEW_MAC
    assert state == 'STALE'  # RFC 4861 7.2.5: override from an unsolicited NA
