# SPDX-License-Identifier: BSD-3-Clause
"""
Interop of lib/dht with a second independent implementation: npm
bittorrent-dht 11 (webtorrent), which, unlike libtorrent, sends find_node.
Five of its nodes join through ours on loopback inside unshare -n
(tools/dht-npm-lab.mjs driven by tools/dht-lt-lab.py "npm"). The package
is installed on demand into the build directory with the machine's npm.
"""
import json
import os
import shutil
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get('VX0_BUILD', os.path.join(ROOT, 'build'))
N_NPM = 5
NPM_PKG = 'bittorrent-dht@11.0.12'


@pytest.fixture(scope='module')
def lab():
    if os.geteuid() != 0:
        pytest.skip('needs root for unshare -n')
    if not shutil.which('node') or not shutil.which('npm'):
        pytest.skip('node/npm not installed')
    prefix = os.path.join(BUILD, 'dht-npm')
    modules = os.path.join(prefix, 'node_modules')
    if not os.path.exists(os.path.join(modules, 'bittorrent-dht', 'package.json')):
        os.makedirs(prefix, exist_ok=True)
        p = subprocess.run(['npm', 'install', '--prefix', prefix, '--no-audit', '--no-fund',
                            '--loglevel=error', NPM_PKG],
                           capture_output=True, text=True, timeout=300)
        if p.returncode != 0:
            pytest.skip('npm install %s failed: %s' % (NPM_PKG, p.stderr[-500:]))
    p = subprocess.run(['unshare', '-n', '/usr/bin/python3',
                        os.path.join(ROOT, 'tools', 'dht-lt-lab.py'), BUILD, 'npm', modules],
                       capture_output=True, text=True, timeout=180)
    assert p.returncode == 0, p.stderr[-3000:]
    return json.loads(p.stdout)


def test_dht_npm_they_join_through_us(lab):
    # they bootstrap from us alone: we answer find_node and know them all
    assert lab['our_table_npm_good'] == N_NPM
    assert lab['npm_tables_with_us'] >= N_NPM - 1
    st = lab['final_stats']
    assert st['rx_queries'] >= N_NPM
    assert st['rx_dropped'] == 0 and st['tx_errors'] == 0


def test_dht_npm_find_node_through_them(lab):
    fn = lab['find_node']
    assert fn['got'] == fn['want'] and fn['replies'] >= N_NPM - 1


def test_dht_npm_lookup_finds_our_announce(lab):
    assert lab['our_announce_stored'] >= N_NPM - 1
    assert lab['npm_lookup']['error'] is None
    assert '127.0.0.1:4568' in lab['npm_lookup']['peers']


def test_dht_npm_mutable_items_both_ways(lab):
    assert lab['our_put']['stored'] >= N_NPM - 1
    r = lab['npm_read_ours']
    assert r['error'] is None and bytes.fromhex(r['v']) == b'from-vx0' and r['seq'] == 3
    assert lab['npm_put']['error'] is None and lab['npm_put']['n'] >= 1
    it = lab['our_read_npm']
    assert it is not None and it['seq'] == 7
    assert bytes.fromhex(it['v_hex']) == b'8:from-npm'
    assert bytes.fromhex(it['salt_hex']) == b'npm'
    assert it['target'] == lab['npm_put']['target']
