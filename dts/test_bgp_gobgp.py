"""Interop with a second implementation: GoBGP (Debian gobgpd 3.10).

One eBGP session over IPv4 carrying IPv4 and IPv6 unicast: routes both
ways, a withdrawal each way."""
import json
import os
import shutil

import pytest

from bgp_lab import Lab, Speaker, SPEAKER, sh, wait_for

pytestmark = pytest.mark.skipif(not shutil.which('gobgpd') or not os.path.exists(SPEAKER)
                                or os.geteuid() != 0, reason='needs root, gobgpd and the speaker')

GOBGP_CONF = """
[global.config]
  as = 65003
  router-id = "198.51.100.2"
  port = 179
  local-address-list = ["198.51.100.2"]
[[neighbors]]
  [neighbors.config]
    neighbor-address = "198.51.100.1"
    peer-as = 65001
  [neighbors.timers.config]
    hold-time = 9
    keepalive-interval = 3
    connect-retry = 1
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv6-unicast"
"""


class GoBGP:
    def __init__(self, lab):
        self.lab = lab
        conf = lab.path('gobgpd.toml')
        with open(conf, 'w') as f:
            f.write(GOBGP_CONF)
        self.proc = lab.spawn(lab.b, ['gobgpd', '-f', conf, '-t', 'toml',
                                      '--api-hosts', '127.0.0.1:50051', '--log-level', 'info'],
                              'gobgpd.log')
        wait_for(lambda: self.cli('global').returncode == 0, 15, what='gobgpd api')

    def cli(self, *args):
        return sh('ip', 'netns', 'exec', self.lab.b, 'gobgp', '-u', '127.0.0.1', '-p', '50051',
                  *args, check=False)

    def rib(self, family):
        r = self.cli('global', 'rib', '-a', family, '-j')
        if r.returncode != 0 or not r.stdout.strip():
            return {}
        return json.loads(r.stdout)


@pytest.fixture(scope='module')
def lab():
    lab = Lab('g')
    try:
        lab.gobgp = GoBGP(lab)
        lab.vx0 = Speaker(lab, lab.a, {
            'local_as': 65001, 'router_id': '198.51.100.1', 'hold_time': 9,
            'connect_retry_ms': 1000, 'log_level': 7,
            'originate': ['203.0.113.192/26', '2001:db8:200::/48'],
            'peers': [{'name': 'gobgp', 'address': '198.51.100.2', 'remote_as': 65003,
                       'ipv4': True, 'ipv6': True, 'nexthop6': '2001:db8:b9::1'}]})
        yield lab
    finally:
        lab.close()


def test_bgp_gobgp_session_and_routes_both_ways(lab):
    wait_for(lambda: lab.vx0.state('gobgp') == 'Established', 30, what='Established')
    assert lab.gobgp.cli('global', 'rib', 'add', '203.0.113.0/25', '-a', 'ipv4').returncode == 0
    assert lab.gobgp.cli('global', 'rib', 'add', '2001:db8:100::/48', '-a', 'ipv6').returncode == 0
    wait_for(lambda: {'203.0.113.0/25', '2001:db8:100::/48'} <= lab.vx0.rib().keys(), 20,
             what='GoBGP routes in our RIB')
    rib = lab.vx0.rib()
    assert rib['203.0.113.0/25']['as_path'] == [65003]
    assert rib['203.0.113.0/25']['nexthop'] == '198.51.100.2'
    g4 = wait_for(lambda: lab.gobgp.rib('ipv4').get('203.0.113.192/26'), 20,
                  what='our IPv4 route in GoBGP')
    attrs = json.dumps(g4)
    assert '65001' in attrs and '198.51.100.1' in attrs
    g6 = wait_for(lambda: lab.gobgp.rib('ipv6').get('2001:db8:200::/48'), 20,
                  what='our IPv6 route in GoBGP')
    assert '2001:db8:b9::1' in json.dumps(g6)


def test_bgp_gobgp_withdrawals(lab):
    wait_for(lambda: lab.vx0.state('gobgp') == 'Established', 30, what='Established')
    lab.gobgp.cli('global', 'rib', 'add', '203.0.113.128/26', '-a', 'ipv4')
    wait_for(lambda: '203.0.113.128/26' in lab.vx0.rib(), 20, what='route')
    assert lab.gobgp.cli('global', 'rib', 'del', '203.0.113.128/26', '-a', 'ipv4').returncode == 0
    wait_for(lambda: '203.0.113.128/26' not in lab.vx0.rib(), 20, what='GoBGP withdrawal')
    wait_for(lambda: lab.gobgp.rib('ipv4').get('203.0.113.192/26'), 20, what='our route')
    assert lab.vx0.ctl('withdraw 203.0.113.192/26')['result'] == 0
    wait_for(lambda: not lab.gobgp.rib('ipv4').get('203.0.113.192/26'), 20,
             what='our withdrawal in GoBGP')
    assert lab.vx0.state('gobgp') == 'Established'
