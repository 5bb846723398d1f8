# SPDX-License-Identifier: BSD-3-Clause
"""
vx0 descriptors over a libtorrent swarm (doc/descriptor.md): four of our
nodes with identity keys (tiers 1, 1, 2, 3) publish signed descriptors; the
index announces are stored by libtorrent nodes; a client of ours collects
each tier through the index and looks one descriptor up by identity key.
Loopback inside unshare -n (tools/dht-lt-lab.py "desc").
"""
import json
import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get('VX0_BUILD', os.path.join(ROOT, 'build'))


@pytest.fixture(scope='module')
def lab(tmp_path_factory):
    if os.geteuid() != 0:
        pytest.skip('needs root for unshare -n')
    d = tmp_path_factory.mktemp('dht-desc')
    p = subprocess.run(['unshare', '-n', '/usr/bin/python3',
                        os.path.join(ROOT, 'tools', 'dht-lt-lab.py'), BUILD, 'desc', str(d)],
                       capture_output=True, text=True, timeout=240)
    assert p.returncode == 0, p.stderr[-3000:]
    r = json.loads(p.stdout)
    r['dir'] = str(d)
    return r


def test_dht_desc_published(lab):
    for p in lab['published']:
        assert p['stored'] >= 4 and p['errors'] == 0


def test_dht_desc_collect_tier_via_index(lab):
    ids = lab['pub_identity']
    c1 = lab['collect1']['descriptors']
    assert sorted(d['identity'] for d in c1) == sorted(ids[:2])
    by_id = {d['identity']: d for d in c1}
    assert by_id[ids[0]]['addrs'] == ['127.0.0.1:7200']
    assert by_id[ids[0]]['exit'] == 'accept *:443'
    assert by_id[ids[1]]['addrs'] == ['127.0.0.1:7201']
    for d in c1:
        assert d['tier'] == 1
        assert 0 < d['valid_until'] - d['valid_after'] <= 48 * 3600
        assert len(bytes.fromhex(d['onion'])) == 32
    c2 = lab['collect2']['descriptors']
    assert [d['identity'] for d in c2] == [ids[2]]


def test_dht_desc_lookup_by_identity(lab):
    d = lab['descriptor3']
    assert d['ok'] is True
    assert d['identity'] == lab['pub_identity'][3]
    assert d['tier'] == 3 and d['addrs'] == ['127.0.0.1:7203']


def test_dht_desc_identity_key_persists(lab):
    assert lab['identity0_after_restart'] == lab['pub_identity'][0]
    st = os.stat(os.path.join(lab['dir'], 'id0'))
    assert st.st_mode & 0o777 == 0o600
