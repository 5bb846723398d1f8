"""Negative interop: a raw Python BGP speaker (stdlib sockets, on loopback)
sends malformed UPDATEs to the vx0 speaker, which must react as RFC 7606
says (treat-as-withdraw, attribute discard, session reset only for the
cases that need it) and stay up otherwise; max-prefix trips; the hold timer
expires, tears the session down, and the speaker reconnects."""
import os
import random
import socket
import struct
import tempfile
import time

import pytest

from bgp_lab import SPEAKER, Speaker, wait_for

pytestmark = pytest.mark.skipif(not os.path.exists(SPEAKER), reason='needs the speaker build')

MARKER = b'\xff' * 16


def msg(t, body=b''):
    return MARKER + struct.pack('!HB', 19 + len(body), t) + body


def open_msg(asn, hold, rid):
    caps = bytes.fromhex('010400010001') + b'\x02\x00' + b'\x41\x04' + struct.pack('!I', asn)
    opt = b'\x02' + bytes([len(caps)]) + caps
    return msg(1, struct.pack('!BHH4sB', 4, asn if asn < 65536 else 23456, hold,
                              socket.inet_aton(rid), len(opt)) + opt)


def update(withdrawn=b'', attrs=b'', nlri=b''):
    return msg(2, struct.pack('!H', len(withdrawn)) + withdrawn +
               struct.pack('!H', len(attrs)) + attrs + nlri)


def pfx(s):
    a, l = s.split('/')
    l = int(l)
    return bytes([l]) + socket.inet_aton(a)[:(l + 7) // 8]


ORIGIN = bytes.fromhex('40010100')
ASPATH = bytes.fromhex('4002060201') + struct.pack('!I', 65002)
NEXTHOP = bytes.fromhex('400304') + socket.inet_aton('198.51.100.2')
GOOD = ORIGIN + ASPATH + NEXTHOP


class RawPeer:
    """Listens where the speaker connects; speaks BGP by hand."""

    def __init__(self):
        self.addr = '127.%d.%d.%d' % (random.randint(1, 254), random.randint(1, 254),
                                      random.randint(2, 254))
        self.srv = socket.socket()
        self.srv.bind((self.addr, 0))
        self.srv.listen(4)
        self.port = self.srv.getsockname()[1]
        self.conn = None
        self.buf = b''

    def accept(self, timeout=15):
        self.srv.settimeout(timeout)
        if self.conn:
            self.conn.close()
        self.conn, _ = self.srv.accept()
        self.buf = b''

    def recv(self, timeout=5):
        """Next whole message as (type, body), or None on timeout; raises EOFError on close."""
        deadline = time.monotonic() + timeout
        while True:
            if len(self.buf) >= 19:
                ln = struct.unpack('!H', self.buf[16:18])[0]
                if len(self.buf) >= ln:
                    m, self.buf = self.buf[:ln], self.buf[ln:]
                    return m[18], m[19:]
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.conn.settimeout(left)
            try:
                d = self.conn.recv(65536)
            except socket.timeout:
                return None
            if not d:
                raise EOFError
            self.buf += d

    def expect(self, t, timeout=5):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = self.recv(deadline - time.monotonic())
            if m and m[0] == t:
                return m[1]
        raise AssertionError(f'no message of type {t}')

    def handshake(self, hold=90, asn=65002):
        self.accept()
        self.expect(1)
        self.conn.sendall(open_msg(asn, hold, '198.51.100.2') + msg(4))
        self.expect(4)

    def send(self, data):
        self.conn.sendall(data)

    def notifications(self, timeout=1.0):
        """Collects NOTIFICATIONs until timeout or close."""
        out = []
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                m = self.recv(deadline - time.monotonic())
                if m and m[0] == 3:
                    out.append(m[1])
        except EOFError:
            pass
        return out

    def close(self):
        if self.conn:
            self.conn.close()
        self.srv.close()


class Dir:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix='vx0bgpraw')

    def path(self, n):
        return os.path.join(self.dir, n)

    procs = []

    def spawn(self, ns, args, log):
        import subprocess
        f = open(self.path(log), 'ab')
        p = subprocess.Popen(list(args), stdout=f, stderr=f)
        self.procs.append(p)
        return p

    def stop(self, p):
        if p.poll() is None:
            p.terminate()
            p.wait(timeout=10)


@pytest.fixture
def env():
    d = Dir()
    d.procs = []
    raw = RawPeer()
    try:
        yield d, raw
    finally:
        for p in d.procs:
            d.stop(p)
        raw.close()
        import shutil
        shutil.rmtree(d.dir, ignore_errors=True)


def start(d, raw, **peer):
    cfg = {'local_as': 65001, 'router_id': '198.51.100.1', 'no_listen': True,
           'connect_retry_ms': 500, 'log_level': 7,
           'peers': [dict({'name': 'raw', 'address': raw.addr, 'port': raw.port,
                           'remote_as': 65002}, **peer)]}
    return Speaker(d, None, cfg)


def test_bgp_raw_rfc7606_outcomes(env):
    d, raw = env
    sp = start(d, raw)
    raw.handshake()
    wait_for(lambda: sp.state('raw') == 'Established', 10, what='Established')

    def announce(p, attrs=GOOD):
        raw.send(update(attrs=attrs, nlri=pfx(p)))

    def in_rib(p):
        return p in sp.rib()

    cases = [
        # (name, attributes of the malformed UPDATE, expected counter)
        ('COMMUNITIES length 5 (7.8)', GOOD + bytes.fromhex('c0080500000001 02'.replace(' ', '')), 'treat_as_withdraw'),
        ('ORIGIN with the Optional flag (3 c)', bytes.fromhex('c0010100') + ASPATH + NEXTHOP, 'treat_as_withdraw'),
        ('unknown well-known attribute (3 c)', GOOD + bytes.fromhex('40630100'), 'treat_as_withdraw'),
        ('attribute length overruns the list (4)', GOOD + bytes.fromhex('80040900000000'), 'treat_as_withdraw'),
        ('MED length 3 (7.4)', GOOD + bytes.fromhex('800403000001'), 'treat_as_withdraw'),
        ('missing NEXT_HOP (3 d)', ORIGIN + ASPATH, 'treat_as_withdraw'),
        ('AS_PATH not starting with the peer AS', ORIGIN + bytes.fromhex('4002060201') +
         struct.pack('!I', 65099) + NEXTHOP, 'treat_as_withdraw'),
    ]
    for i, (name, attrs, counter) in enumerate(cases):
        p = f'203.0.113.{i * 8}/29'
        announce(p)
        wait_for(lambda: in_rib(p), 5, what=f'{p} announced')
        before = sp.neighbor('raw')[counter]
        announce(p, attrs)
        wait_for(lambda: sp.neighbor('raw')[counter] == before + 1, 5, what=name)
        assert not in_rib(p), name
        assert sp.state('raw') == 'Established', name
    # attribute discard: ATOMIC_AGGREGATE with length 1 (7.6); the route stays
    before = sp.neighbor('raw')['attr_discard']
    announce('203.0.113.128/25', GOOD + bytes.fromhex('40060100'))
    wait_for(lambda: in_rib('203.0.113.128/25'), 5, what='route with a discarded attribute')
    assert sp.neighbor('raw')['attr_discard'] == before + 1
    # LOCAL_PREF from an eBGP peer is discarded (7.5)
    announce('198.51.100.128/25', GOOD + bytes.fromhex('4005040000012c'))
    wait_for(lambda: in_rib('198.51.100.128/25'), 5, what='route with LOCAL_PREF from eBGP')
    assert sp.rib()['198.51.100.128/25']['local_pref'] == 100
    # no NOTIFICATION so far
    assert raw.notifications(0.5) == []
    assert sp.state('raw') == 'Established'
    # truncated NLRI: the one case here that resets the session (5.3) -> 3/10
    raw.send(update(attrs=GOOD, nlri=bytes.fromhex('18cb00')))
    notes = raw.notifications(3)
    assert notes and notes[0][:2] == b'\x03\x0a'
    # the speaker comes back by itself
    raw.handshake()
    wait_for(lambda: sp.state('raw') == 'Established', 10, what='re-established')


def test_bgp_raw_max_prefix(env):
    d, raw = env
    sp = start(d, raw, max_prefix=3, max_prefix_action='restart', max_prefix_restart_ms=1000)
    raw.handshake()
    wait_for(lambda: sp.state('raw') == 'Established', 10, what='Established')
    raw.send(update(attrs=GOOD, nlri=b''.join(pfx(f'203.0.113.{i * 16}/28') for i in range(3))))
    wait_for(lambda: sp.neighbor('raw')['prefixes_accepted'] == 3, 5, what='3 prefixes')
    assert sp.state('raw') == 'Established'
    raw.send(update(attrs=GOOD, nlri=pfx('203.0.113.64/28')))
    notes = raw.notifications(3)
    # Cease / Maximum Number of Prefixes Reached, AFI 1 SAFI 1, limit 3 (RFC 4486 4)
    assert notes and notes[0] == bytes.fromhex('0601' '0001' '01' '00000003')
    assert sp.rib() == {}
    t0 = time.monotonic()
    raw.handshake()  # restarted after max_prefix_restart_ms
    assert time.monotonic() - t0 >= 0.5
    wait_for(lambda: sp.state('raw') == 'Established', 10, what='restarted session')


def test_bgp_raw_hold_timer_expiry_and_reconnect(env):
    d, raw = env
    sp = start(d, raw)
    raw.handshake(hold=3)
    wait_for(lambda: sp.state('raw') == 'Established', 10, what='Established')
    raw.send(update(attrs=GOOD, nlri=pfx('203.0.113.0/24')))
    wait_for(lambda: '203.0.113.0/24' in sp.rib(), 5, what='route')
    # we go silent: after 3 s the speaker sends Hold Timer Expired (4/0) and closes
    t0 = time.monotonic()
    notes = raw.notifications(6)
    assert notes and notes[0][:2] == b'\x04\x00'
    assert 2.5 <= time.monotonic() - t0 <= 6
    n = sp.neighbor('raw')
    assert 'hold timer' in n['last_error']
    assert '203.0.113.0/24' not in sp.rib()
    raw.handshake(hold=3)
    wait_for(lambda: sp.state('raw') == 'Established', 10, what='reconnected')
    assert sp.neighbor('raw')['established_count'] == 2


def test_bgp_raw_gtsm_drops_low_ttl(env):
    """GTSM (RFC 5082): with ttl_security 1 our speaker takes only TTL 255 segments."""
    d, raw = env
    probe = socket.socket()
    probe.bind(('127.0.0.1', 0))
    port = probe.getsockname()[1]
    probe.close()
    sp = Speaker(d, None, {
        'local_as': 65001, 'router_id': '198.51.100.1', 'listen': ['127.0.0.1'],
        'listen_port': port, 'log_level': 7,
        'peers': [{'name': 'raw', 'address': raw.addr, 'remote_as': 65002, 'passive': True,
                   'ttl_security': 1}]})
    wait_for(lambda: sp.state('raw') == 'Active', 5, what='passive peer waiting')

    def dial(ttl):
        s = socket.socket()
        s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, ttl)
        s.bind((raw.addr, 0))
        s.settimeout(5)
        s.connect(('127.0.0.1', port))
        return s

    low = dial(64)
    wait_for(lambda: sp.state('raw') == 'OpenSent', 5, what='OpenSent')
    low.sendall(open_msg(65002, 90, '198.51.100.2') + msg(4))
    time.sleep(1.5)
    assert sp.state('raw') == 'OpenSent'  # our OPEN went out, theirs was dropped (TTL 64)
    # from now on the segments (TCP retransmits the OPEN) leave with TTL 255 and count
    low.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 255)
    wait_for(lambda: sp.state('raw') == 'Established', 15, what='Established with TTL 255')
    low.close()
