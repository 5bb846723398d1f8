"""Interop with a third implementation: FRR's bgpd (Debian frr 8.4), run
standalone without zebra. One eBGP session over IPv4: routes both ways, a
withdrawal each way."""
import json
import os
import shutil

import pytest

from bgp_lab import Lab, Speaker, SPEAKER, sh, wait_for

BGPD = '/usr/lib/frr/bgpd'
pytestmark = pytest.mark.skipif(not os.path.exists(BGPD) or not shutil.which('vtysh')
                                or not os.path.exists(SPEAKER) or os.geteuid() != 0,
                                reason='needs root, frr and the speaker')

FRR_CONF = """
frr defaults traditional
hostname frrlab
router bgp 65004
 bgp router-id 198.51.100.2
 no bgp ebgp-requires-policy
 no bgp network import-check
 neighbor 198.51.100.1 remote-as 65001
 neighbor 198.51.100.1 timers 3 9
 neighbor 198.51.100.1 timers connect 1
 address-family ipv4 unicast
  network 203.0.113.0/25
 exit-address-family
"""


class Frr:
    def __init__(self, lab):
        self.lab = lab
        self.vty = lab.path('frrvty')
        os.makedirs(self.vty, exist_ok=True)
        conf = lab.path('bgpd.conf')
        with open(conf, 'w') as f:
            f.write(FRR_CONF)
        self.proc = lab.spawn(lab.b, [BGPD, '-f', conf, '-n', '-Z', '-S', '-P', '0',
                                      '--vty_socket', self.vty,
                                      '-i', lab.path('bgpd.pid')], 'bgpd.log')
        wait_for(lambda: self.vtysh('show bgp summary').returncode == 0, 15, what='bgpd vty')

    def vtysh(self, *cmds):
        args = ['ip', 'netns', 'exec', self.lab.b, 'vtysh', '--vty_socket', self.vty]
        for c in cmds:
            args += ['-c', c]
        return sh(*args, check=False)

    def routes(self):
        r = self.vtysh('show bgp ipv4 unicast json')
        if r.returncode != 0 or not r.stdout.strip():
            return {}
        return json.loads(r.stdout).get('routes', {})


@pytest.fixture(scope='module')
def lab():
    lab = Lab('f')
    try:
        lab.frr = Frr(lab)
        lab.vx0 = Speaker(lab, lab.a, {
            'local_as': 65001, 'router_id': '198.51.100.1', 'hold_time': 9,
            'connect_retry_ms': 1000, 'log_level': 7,
            'originate': ['203.0.113.192/26'],
            'peers': [{'name': 'frr', 'address': '198.51.100.2', 'remote_as': 65004}]})
        yield lab
    finally:
        lab.close()


def test_bgp_frr_session_and_routes_both_ways(lab):
    wait_for(lambda: lab.vx0.state('frr') == 'Established', 30, what='Established')
    wait_for(lambda: '203.0.113.0/25' in lab.vx0.rib(), 20, what='FRR route in our RIB')
    r = lab.vx0.rib()['203.0.113.0/25']
    assert r['as_path'] == [65004] and r['nexthop'] == '198.51.100.2'
    got = wait_for(lambda: lab.frr.routes().get('203.0.113.192/26'), 20, what='our route in FRR')
    txt = json.dumps(got)
    assert '65001' in txt and '198.51.100.1' in txt


def test_bgp_frr_withdrawals(lab):
    wait_for(lambda: lab.vx0.state('frr') == 'Established', 30, what='Established')
    wait_for(lambda: '203.0.113.0/25' in lab.vx0.rib(), 20, what='FRR route')
    lab.frr.vtysh('configure terminal', 'router bgp 65004', 'address-family ipv4 unicast',
                  'no network 203.0.113.0/25')
    wait_for(lambda: '203.0.113.0/25' not in lab.vx0.rib(), 20, what='FRR withdrawal')
    assert lab.vx0.ctl('withdraw 203.0.113.192/26')['result'] == 0
    wait_for(lambda: '203.0.113.192/26' not in lab.frr.routes(), 20, what='our withdrawal in FRR')
    assert lab.vx0.state('frr') == 'Established'
