"""Interop of the vx0 BGP speaker with BIRD 2 in network namespaces.

Sessions: over IPv4 transport (IPv4 + IPv6 unicast, GTSM), and over IPv6
transport (IPv6 unicast, TCP-MD5 and GTSM). Routes flow both ways, withdrawals and
route refresh propagate, an RFC 8203 shutdown message is logged, and a
BIRD restart is survived (our graceful-restart helper keeps its routes).
"""
import os
import shutil
import signal

import pytest

from bgp_lab import Bird, Lab, Speaker, SPEAKER, wait_for

BIRD_CONF = """
router id 198.51.100.2;
log stderr all;
protocol device {}
protocol direct { ipv4; ipv6; }
protocol static s4 {
    ipv4;
    route 203.0.113.0/25 blackhole;
    route 203.0.113.128/26 blackhole;
    route 203.0.113.160/27 blackhole;
}
protocol static s6 {
    ipv6;
    route 2001:db8:100::/48 blackhole;
}
protocol bgp vx0 {
    local 198.51.100.2 as 65002;
    neighbor 198.51.100.1 as 65001;
    hold time 9;
    connect retry time 2;
    error wait time 1, 5;
    graceful restart on;
    ttl security on;
    enable extended messages on;
    ipv4 { import all; export filter {
        if proto != "s4" then reject;
        if net = 203.0.113.0/25 then bgp_community.add((65002, 7));
        if net = 203.0.113.128/26 then bgp_large_community.add((65002, 8, 9));
        accept;
    }; };
    ipv6 { import all; export where proto = "s6"; next hop address 2001:db8:b9::2; };
}
protocol bgp vx0v6 {
    local 2001:db8:b9::2 as 65002;
    neighbor 2001:db8:b9::1 as 65001;
    hold time 9;
    connect retry time 2;
    error wait time 1, 5;
    password "vx0-md5-secret";
    ttl security on;
    ipv6 { import all; export where proto = "s6"; };
}
"""


def speaker_cfg():
    return {
        'local_as': 65001, 'router_id': '198.51.100.1', 'hold_time': 9,
        'connect_retry_ms': 1000, 'log_level': 7,
        'originate': ['203.0.113.192/26', '2001:db8:200::/48'],
        'peers': [
            {'name': 'bird4', 'address': '198.51.100.2', 'remote_as': 65002,
             'ipv4': True, 'ipv6': True, 'nexthop6': '2001:db8:b9::1',
             'graceful_restart': True, 'ttl_security': 1,
             'import': {'default': 'accept', 'terms': [
                 {'prefixes': [{'prefix': '203.0.113.160/27', 'le': 32}], 'action': 'reject'},
                 {'community': '65002:7', 'set_local_pref': 250, 'action': 'accept'},
                 {'large_community': '65002:8:9', 'set_med': 33,
                  'add_communities': ['65001:900'], 'action': 'accept'}]},
             'export': {'default': 'reject', 'terms': [
                 {'prefixes': [{'prefix': '203.0.113.0/24', 'le': 32},
                               {'prefix': '2001:db8::/32', 'le': 64}],
                  'add_communities': ['65001:42'], 'add_large': ['65001:1:2'], 'prepend': 1,
                  'action': 'accept'}]}},
            {'name': 'bird6', 'address': '2001:db8:b9::2', 'remote_as': 65002,
             'ipv6': True, 'md5': 'vx0-md5-secret', 'ttl_security': 1},
        ],
    }


pytestmark = pytest.mark.skipif(not shutil.which('bird') or not os.path.exists(SPEAKER)
                                or os.geteuid() != 0, reason='needs root, bird2 and the speaker')


@pytest.fixture(scope='module')
def lab():
    lab = Lab('b')
    try:
        bird = Bird(lab, lab.b, BIRD_CONF)
        vx0 = Speaker(lab, lab.a, speaker_cfg())
        lab.bird, lab.vx0 = bird, vx0
        yield lab
    finally:
        lab.close()


def up(lab):
    wait_for(lambda: lab.vx0.state('bird4') == 'Established', 30, what='bird4 Established')
    wait_for(lambda: lab.bird.established('vx0'), 10, what='BIRD vx0 Established')


def test_bgp_bird_ipv4_transport_routes_both_ways(lab):
    up(lab)
    n = lab.vx0.neighbor('bird4')
    assert n['caps'] == {'as4': True, 'route_refresh': True, 'gr': True, 'ipv4': True,
                         'ipv6': True, 'ext_msg': True}
    rib = wait_for(lambda: (lambda r: r if {'203.0.113.0/25', '203.0.113.128/26',
                                            '2001:db8:100::/48'} <= r.keys() else None)(
        lab.vx0.rib()), 20, what='BIRD routes in our RIB')
    assert rib['203.0.113.0/25']['as_path'] == [65002]
    assert rib['203.0.113.0/25']['nexthop'] == '198.51.100.2'
    assert rib['203.0.113.0/25']['peer'] == 'bird4'
    assert rib['2001:db8:100::/48']['nexthop'] == '2001:db8:b9::2'
    # ours in BIRD, with our AS and our next hops
    wait_for(lambda: lab.bird.has_route('203.0.113.192/26', via='198.51.100.1'), 20,
             what='our IPv4 route in BIRD')
    wait_for(lambda: lab.bird.has_route('2001:db8:200::/48', via='2001:db8:b9::1'), 20,
             what='our IPv6 route in BIRD')
    txt = lab.bird.route_text('203.0.113.192/26')
    assert 'BGP.as_path: 65001 65001' in txt  # export policy prepends once
    # the count settles once both sessions' best paths have (under load a
    # route learned over the IPv6-transport session can be offered for a moment)
    wait_for(lambda: lab.vx0.neighbor('bird4')['prefixes_advertised'] == 2, 10,
             what='2 prefixes advertised to bird4')
    r = lab.vx0.ctl('route 203.0.113.200')
    assert r['prefix'] == '203.0.113.192/26' and r['paths'][0]['peer'] == 'local'
    r = lab.vx0.ctl('route 203.0.113.130')
    assert r['prefix'] == '203.0.113.128/26' and r['paths'][0]['peer'] == 'bird4'


def test_bgp_bird_ipv6_transport_md5_gtsm(lab):
    wait_for(lambda: lab.vx0.state('bird6') == 'Established', 30, what='bird6 Established')
    wait_for(lambda: lab.bird.established('vx0v6'), 10, what='BIRD vx0v6 Established')
    n = lab.vx0.neighbor('bird6')
    assert n['caps']['ipv6'] and not n['caps']['ipv4']
    wait_for(lambda: lab.vx0.neighbor('bird6')['prefixes_accepted'] == 1, 20,
             what='IPv6 prefix over the IPv6 session')
    look = lab.vx0.ctl('lookup 2001:db8:100::/48')
    assert len(look['paths']) == 2
    assert look['paths'][0]['best']
    # equal paths from the same router id: the lower peer address wins
    assert look['reason'] in ('peer address', 'router id')
    out = lab.bird.cmd('show', 'route', '2001:db8:200::/48', 'all')
    assert 'vx0v6' in out


def test_bgp_bird_withdrawals_propagate(lab):
    up(lab)
    # BIRD withdraws: disable its static protocol
    lab.bird.cmd('disable', 's4')
    wait_for(lambda: '203.0.113.0/25' not in lab.vx0.rib(), 20, what='withdrawal from BIRD')
    lab.bird.cmd('enable', 's4')
    wait_for(lambda: '203.0.113.0/25' in lab.vx0.rib(), 20, what='re-announcement from BIRD')
    # we withdraw one of ours
    assert lab.vx0.ctl('withdraw 203.0.113.192/26')['result'] == 0
    wait_for(lambda: not lab.bird.has_route('203.0.113.192/26'), 20, what='our withdrawal in BIRD')
    assert lab.vx0.ctl('originate 203.0.113.192/26')['result'] == 0
    wait_for(lambda: lab.bird.has_route('203.0.113.192/26', via='198.51.100.1'), 20,
             what='our route back in BIRD')


def test_bgp_bird_route_refresh(lab):
    up(lab)
    before = lab.vx0.neighbor('bird4')['updates_in']
    assert lab.vx0.ctl('refresh bird4 4')['result'] == 0
    wait_for(lambda: lab.vx0.neighbor('bird4')['updates_in'] > before, 10,
             what='BIRD answering our ROUTE-REFRESH')
    # BIRD asks us (reload in without an import table sends ROUTE-REFRESH)
    out_before = lab.vx0.neighbor('bird4')['updates_out']
    lab.bird.cmd('reload', 'in', 'vx0')
    wait_for(lambda: lab.vx0.neighbor('bird4')['updates_out'] > out_before, 10,
             what='our answer to BIRD ROUTE-REFRESH')
    assert lab.vx0.state('bird4') == 'Established'
    assert lab.bird.has_route('203.0.113.192/26', via='198.51.100.1')


def test_bgp_bird_shutdown_communication(lab):
    up(lab)
    lab.bird.cmd('disable', 'vx0', '"vx0 lab maintenance"')
    wait_for(lambda: 'vx0 lab maintenance' in lab.vx0.neighbor('bird4')['last_error'], 15,
             what='RFC 8203 message')
    n = lab.vx0.neighbor('bird4')
    assert (n['last_error_code'], n['last_error_subcode']) == (6, 2)
    # a NOTIFICATION ends graceful restart: routes are flushed
    assert '203.0.113.0/25' not in lab.vx0.rib()
    lab.bird.cmd('enable', 'vx0')
    up(lab)
    wait_for(lambda: '203.0.113.0/25' in lab.vx0.rib(), 20, what='routes after re-enable')


def test_bgp_bird_restart_survived(lab):
    up(lab)
    wait_for(lambda: '203.0.113.0/25' in lab.vx0.rib(), 20, what='routes')
    est = lab.vx0.neighbor('bird4')['established_count']
    # BIRD dies without a NOTIFICATION: we keep its routes as stale (RFC 4724 helper)
    lab.stop(lab.bird.proc, signal.SIGKILL)
    wait_for(lambda: lab.vx0.state('bird4') != 'Established', 15, what='session down')
    rib = lab.vx0.rib()
    assert rib['203.0.113.0/25']['stale'] is True
    assert lab.vx0.neighbor('bird4')['gr_stale'] is True
    lab.bird.start()
    up(lab)
    wait_for(lambda: lab.vx0.neighbor('bird4')['established_count'] > est, 10, what='re-established')
    wait_for(lambda: not lab.vx0.neighbor('bird4')['gr_stale'], 20, what='End-of-RIB')
    rib = lab.vx0.rib()
    assert rib['203.0.113.0/25']['stale'] is False
    wait_for(lambda: lab.bird.has_route('203.0.113.192/26', via='198.51.100.1'), 20,
             what='our route in the restarted BIRD')


def test_bgp_bird_import_export_policy(lab):
    up(lab)
    rib = wait_for(lambda: (lambda r: r if {'203.0.113.0/25', '203.0.113.128/26'} <= r.keys()
                            else None)(lab.vx0.rib()), 20, what='routes')
    # community match sets local-pref; large-community match sets MED and tags
    assert rib['203.0.113.0/25']['communities'] == ['65002:7']
    assert rib['203.0.113.0/25']['local_pref'] == 250
    assert rib['203.0.113.128/26']['large_communities'] == ['65002:8:9']
    assert rib['203.0.113.128/26']['med'] == 33
    assert rib['203.0.113.128/26']['communities'] == ['65001:900']
    # the prefix-list reject keeps the path in the Adj-RIB-In, flagged, out of the Loc-RIB
    assert '203.0.113.160/27' not in rib
    look = lab.vx0.ctl('lookup 203.0.113.160/27')
    assert look['paths'][0]['rejected'] and not look['paths'][0]['best']
    n = lab.vx0.neighbor('bird4')
    assert n['prefixes_received'] == n['prefixes_accepted'] + 1
    # export: communities and large communities set by our policy reach BIRD
    txt = lab.bird.route_text('203.0.113.192/26')
    assert '(65001,42)' in txt
    assert '(65001, 1, 2)' in txt
