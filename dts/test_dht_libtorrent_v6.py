# SPDX-License-Identifier: BSD-3-Clause
"""
Interop with libtorrent over IPv6 (::1 inside unshare -n): our node joins
through nodes6 replies (38-byte compact node info), finds the XOR-closest
nodes, and BEP 44 items cross both ways (tools/dht-lt-lab.py "v6").
"""
import json
import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get('VX0_BUILD', os.path.join(ROOT, 'build'))
N_V6 = 4


@pytest.fixture(scope='module')
def lab():
    if os.geteuid() != 0:
        pytest.skip('needs root for unshare -n')
    p = subprocess.run(['unshare', '-n', '/usr/bin/python3',
                        os.path.join(ROOT, 'tools', 'dht-lt-lab.py'), BUILD, 'v6'],
                       capture_output=True, text=True, timeout=180)
    assert p.returncode == 0, p.stderr[-3000:]
    return json.loads(p.stdout)


def test_dht_v6_join_and_find_node(lab):
    # bootstrapped from one, we learn the others from nodes6
    assert lab['our_table'] == ['[::1]:%d' % (6881 + i) for i in range(N_V6)]
    assert lab['find_node']['got'] == lab['find_node']['want']
    assert lab['stats']['rx_dropped'] == 0


def test_dht_v6_mutable_items_both_ways(lab):
    assert lab['our_put_stored'] >= N_V6 - 1
    assert bytes.fromhex(lab['lt_read_ours']) == b'over-v6'
    assert lab['lt_put'] >= 1
    it = lab['our_read_lt']
    assert it is not None and bytes.fromhex(it['v_hex']) == b'10:lt-over-v6'
