# SPDX-License-Identifier: BSD-3-Clause
"""
Persistence of the DHT socket glue: a dht_node configured by a JSON file
saves its id and good nodes (temp file + rename, mode 0600), and after a
restart with no bootstrap node it keeps its id and rejoins from the saved
nodes alone. Runs on loopback inside unshare -n (tools/dht-lt-lab.py).
"""
import json
import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get('VX0_BUILD', os.path.join(ROOT, 'build'))


@pytest.fixture(scope='module')
def run(tmp_path_factory):
    if os.geteuid() != 0:
        pytest.skip('needs root for unshare -n')
    d = tmp_path_factory.mktemp('dht-persist')
    p = subprocess.run(['unshare', '-n', '/usr/bin/python3',
                        os.path.join(ROOT, 'tools', 'dht-lt-lab.py'), BUILD,
                        'persist', str(d)],
                       capture_output=True, text=True, timeout=90)
    assert p.returncode == 0, p.stderr[-3000:]
    return json.loads(p.stdout)


def test_dht_persist_state_file(run):
    ids = run['ids']
    assert run['save'] is True
    st = run['state']
    assert st['version'] == 1 and st['id'] == ids['b']
    saved = sorted(n['id'] for n in st['nodes'])
    assert saved == sorted([ids['a'], ids['c']])
    assert sorted(n['addr'] for n in st['nodes']) == ['127.0.0.1:7100', '127.0.0.1:7102']
    assert run['state_mode'] == '0o600'
    assert run['leftovers'] == []


def test_dht_persist_restart_rejoins(run):
    ids = run['ids']
    assert run['b_id_after'] == ids['b']
    assert run['b_good_after'] == sorted([ids['a'], ids['c']])
    assert run['rejoin_s'] < 5
