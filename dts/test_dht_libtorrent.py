# SPDX-License-Identifier: BSD-3-Clause
"""
Interop of lib/dht (test/dht_node) with libtorrent's mainline DHT
(python3-libtorrent), on loopback inside a private network namespace
(unshare -n): tools/dht-lt-lab.py runs the scenario once; each test checks
one property of what it observed.
"""
import json
import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get('VX0_BUILD', os.path.join(ROOT, 'build'))
N_LT = 8


@pytest.fixture(scope='module')
def lab():
    if os.geteuid() != 0:
        pytest.skip('needs root for unshare -n')
    exe = os.path.join(BUILD, 'test', 'dht_node')
    assert os.path.exists(exe), 'build test/dht_node first'
    p = subprocess.run(['unshare', '-n', '/usr/bin/python3',
                        os.path.join(ROOT, 'tools', 'dht-lt-lab.py'), BUILD],
                       capture_output=True, text=True, timeout=240)
    assert p.returncode == 0, p.stderr[-3000:]
    return json.loads(p.stdout)


def test_dht_lt_we_join(lab):
    # bootstrapped from two of them, we end up with all as good nodes
    assert lab['our_table_lt_good'] >= N_LT - 1


def test_dht_lt_we_are_in_their_tables(lab):
    assert lab['lt_tables_with_us'] >= N_LT // 2


def test_dht_lt_we_answer_their_queries(lab):
    st = lab['final_dump']
    assert st['rx_queries'] >= N_LT // 2
    assert st['rx_dropped'] == 0
    assert st['tx_errors'] == 0
    assert st['timeouts'] == 0


def test_dht_lt_find_node_through_them(lab):
    fn = lab['find_node']
    assert fn['replies'] >= N_LT // 2
    # the 8 closest by XOR, in order, equal the brute-force answer
    assert fn['got'] == fn['want'][:len(fn['got'])]
    assert len(fn['got']) >= N_LT - 1


def test_dht_lt_mutable_put_by_us_read_by_libtorrent(lab):
    assert lab['our_put']['stored'] >= N_LT // 2
    assert lab['our_put']['errors'] == 0
    r = lab['lt_read_ours']
    assert r is not None, 'libtorrent found no item'
    assert bytes.fromhex(r['value']) == b'from-vx0-node'
    assert r['seq'] == 1
    assert bytes.fromhex(r['salt']) == b'vx0'


def test_dht_lt_mutable_put_by_libtorrent_read_by_us(lab):
    assert lab['lt_put'] and lab['lt_put']['num_success'] >= 1
    it = lab['our_read_lt']
    assert it is not None, 'we found no item'
    assert it['mutable'] and it['seq'] == 1
    assert bytes.fromhex(it['v_hex']) == b'15:from-libtorrent'
    assert bytes.fromhex(it['salt_hex']) == b'lt'


def test_dht_lt_immutable_both_ways(lab):
    assert lab['our_put_immutable']['stored'] >= N_LT // 2
    assert lab['lt_read_immutable'] is not None
    assert bytes.fromhex(lab['lt_read_immutable']) == b'immutable'
    it = lab['our_read_lt_immutable']
    assert it is not None and not it['mutable']
    assert bytes.fromhex(it['v_hex']) == b'12:lt-immutable'


def test_dht_lt_announce_seen_by_libtorrent(lab):
    assert lab['our_announce']['stored'] >= N_LT // 2
    assert '127.0.0.1:4567' in lab['lt_get_peers']


def test_dht_lt_tshark_dissects_our_packets(lab):
    # every datagram we sent is KRPC to tshark's bt-dht dissector, none malformed
    t = lab['tshark']
    assert t['from_us'] >= 20
    assert t['from_us_bt_dht'] == t['from_us']
    assert t['to_us_bt_dht'] >= 20
    assert t['bad'] == 0


def test_dht_lt_external_address_voted(lab):
    # BEP 42: libtorrent's replies tell us where they see us
    st = lab['final_dump']
    assert st.get('external_addr') == '127.0.0.1:7000'
    assert st.get('bep42_id_ok') is True  # loopback is exempt
