"""IKEv2 interop: lib/ike (test/ike_node) against strongSwan's charon.

Two network namespaces joined by a veth (198.51.100.1 us, .2 charon).
charon runs per LAB.md: kernel-libipsec, private /run, its own vici
socket, log level 4 for ike/chd so the CHILD_SA keys can be compared.
Both roles, both proposal sets, PSK and Ed25519 raw keys, CREATE_CHILD_SA
rekeys from either side, Delete, liveness, an IKE_SA_INIT flood.
"""
import json
import os
import re
import queue
import shutil
import subprocess
import tempfile
import threading
import time
import uuid

import pytest

BUILD = os.environ.get('VX0_BUILD', os.path.join(os.path.dirname(__file__), '..', 'build'))
NODE = os.path.join(BUILD, 'test', 'ike_node')
CHARON = '/usr/lib/ipsec/charon'
A_IP, B_IP = '198.51.100.1', '198.51.100.2'
# inner networks: host-to-host selectors would make kernel-libipsec's route
# for the tunnel swallow the IKE traffic itself
A_NET, B_NET = '203.0.113.0/25', '203.0.113.128/25'
PSK = 'vx0-interop-psk-0123456789abcdef'

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not os.path.exists(CHARON) or not os.path.exists(NODE)
    or not shutil.which('swanctl'),
    reason='needs root, strongSwan (charon, swanctl) and build/test/ike_node')


def sh(*args, check=True, **kw):
    return subprocess.run(args, check=check, capture_output=True, text=True, **kw)


class Lab:
    """Two namespaces and a veth, all with a per-run prefix."""

    def __init__(self):
        self.tag = 'ik' + uuid.uuid4().hex[:6]
        self.ns_a, self.ns_b = self.tag + 'a', self.tag + 'b'
        self.dir = tempfile.mkdtemp(prefix='vx0-ike-')
        self.procs = []
        sh('ip', 'netns', 'add', self.ns_a)
        sh('ip', 'netns', 'add', self.ns_b)
        sh('ip', 'link', 'add', self.tag + '0', 'netns', self.ns_a, 'type', 'veth',
           'peer', 'name', self.tag + '1', 'netns', self.ns_b)
        for ns, dev, ip in ((self.ns_a, self.tag + '0', A_IP), (self.ns_b, self.tag + '1', B_IP)):
            sh('ip', '-n', ns, 'addr', 'add', ip + '/24', 'dev', dev)
            sh('ip', '-n', ns, 'link', 'set', dev, 'up')
            sh('ip', '-n', ns, 'link', 'set', 'lo', 'up')
        # an address inside each inner network: charon's tunnel route
        # (kernel-libipsec) needs a source address within its local_ts
        sh('ip', '-n', self.ns_a, 'addr', 'add', '203.0.113.1/32', 'dev', 'lo')
        sh('ip', '-n', self.ns_b, 'addr', 'add', '203.0.113.129/32', 'dev', 'lo')

    def close(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(3)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        for ns in (self.ns_a, self.ns_b):
            subprocess.run(['ip', 'netns', 'del', ns], capture_output=True)
        if not os.environ.get('VX0_IKE_KEEP'):
            shutil.rmtree(self.dir, ignore_errors=True)


class Charon:
    def __init__(self, lab, conns, secrets='', extra=''):
        self.lab = lab
        self.dir = os.path.join(lab.dir, 'charon')
        os.makedirs(os.path.join(self.dir, 'swanctl', 'pubkey'), exist_ok=True)
        os.makedirs(os.path.join(self.dir, 'swanctl', 'private'), exist_ok=True)
        self.vici = 'unix://' + os.path.join(self.dir, 'charon.vici')
        self.log = os.path.join(self.dir, 'charon.log')
        with open(os.path.join(self.dir, 'strongswan.conf'), 'w') as f:
            f.write('''charon {
  load_modular = no
  load = random nonce openssl pem pkcs1 pkcs8 pubkey x509 curve25519 chapoly aes gcm sha2 hmac kdf kernel-libipsec kernel-netlink socket-default vici
  port = 500
  port_nat_t = 4500
  retransmit_tries = 3
  retransmit_timeout = 1.0
  install_routes = no
  %s
  filelog {
    log {
      path = %s
      time_format = %%s
      flush_line = yes
      default = 1
      ike = 4
      chd = 4
      cfg = 2
    }
  }
  plugins {
    vici { socket = %s }
  }
}
''' % (extra, self.log, self.vici))
        with open(os.path.join(self.dir, 'swanctl', 'swanctl.conf'), 'w') as f:
            f.write('connections {\n%s\n}\nsecrets {\n%s\n}\n' % (conns, secrets))
        cmd = ['ip', 'netns', 'exec', lab.ns_b, 'unshare', '-m', '--propagation', 'private',
               'sh', '-c', 'mount -t tmpfs x /run && exec env STRONGSWAN_CONF=%s %s'
               % (os.path.join(self.dir, 'strongswan.conf'), CHARON)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        lab.procs.append(self.proc)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.swanctl('--stats', check=False).returncode == 0:
                break
            time.sleep(0.1)
        else:
            raise RuntimeError('charon did not come up')
        out = self.swanctl('--load-all', '--noprompt')
        assert 'loaded connection' in out.stdout, out.stdout + out.stderr

    def swanctl(self, *args, check=True):
        env = dict(os.environ, SWANCTL_DIR=os.path.join(self.dir, 'swanctl'))
        return subprocess.run(['ip', 'netns', 'exec', self.lab.ns_b, 'swanctl', args[0],
                               '--uri', self.vici] + list(args[1:]),
                              capture_output=True, text=True, env=env,
                              check=check, timeout=30)

    def list_sas(self):
        """{'ike': [(spi_i, spi_r, state)], 'child': [(state, spi_in, spi_out)]}"""
        out = self.swanctl('--list-sas', check=False).stdout
        ike = re.findall(r'#\d+, (\w+), IKEv2, ([0-9a-f]{16})_i\*? ([0-9a-f]{16})_r', out)
        child = []
        for m in re.finditer(r'#\d+, reqid \d+, (\w+), [^\n]*\n(?:[^\n]*\n)*?\s+in\s+([0-9a-f]{8})'
                             r'[^\n]*\n\s+out\s+([0-9a-f]{8})', out):
            child.append((m.group(1), m.group(2), m.group(3)))
        return {'ike': [(i, r, s) for s, i, r in ike], 'child': child, 'raw': out}

    def logged_child_keys(self):
        """CHILD_SA key||salt pairs from charon's level-4 log."""
        with open(self.log) as f:
            text = f.read()
        keys = []
        for m in re.finditer(r'encryption (initiator|responder) key => (\d+) bytes @ \S+\n'
                             r'((?:[^\n]*\d+: [0-9A-F ]+[^\n]*\n)+)', text):
            hexs = ''.join(re.findall(r'\d+: ((?:[0-9A-F]{2} ?)+)', m.group(3)))
            keys.append((m.group(1), hexs.replace(' ', '').lower()[:2 * int(m.group(2))]))
        return keys, text


class Node:
    def __init__(self, lab, *args, ns=None, base=None):
        if base is None:
            base = ['--local', A_IP, '--id', 'a.vx0', '--peer', B_IP, '--peer-id', 'b.vx0',
                    '--ts-local', A_NET, '--ts-remote', B_NET]
        cmd = ['ip', 'netns', 'exec', ns or lab.ns_a, NODE, '--debug-keys', '--duration',
               '60'] + base + list(args)
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, bufsize=1)
        lab.procs.append(self.proc)
        self.events = []
        self.lines = queue.Queue()
        # a thread reads lines: select() on a buffered pipe misses lines
        # already read into Python's buffer
        threading.Thread(target=self._reader, daemon=True).start()
        self.wait(lambda e: e['event'] == 'ready', 5)

    def _reader(self):
        for line in self.proc.stdout:
            self.lines.put(line)

    def send(self, cmd):
        self.proc.stdin.write(cmd + '\n')
        self.proc.stdin.flush()

    def poll(self, timeout):
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            return False
        self.events.append(json.loads(line))
        return True

    def wait(self, pred, timeout):
        deadline = time.monotonic() + timeout
        for e in self.events:
            if pred(e):
                return e
        while time.monotonic() < deadline:
            n = len(self.events)
            if self.poll(max(0.0, deadline - time.monotonic())):
                for e in self.events[n:]:
                    if pred(e):
                        return e
        raise AssertionError('timeout; events: %s' % self.events)

    def of(self, kind):
        return [e for e in self.events if e['event'] == kind]


def wait_for(fn, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.1)
    raise AssertionError('timeout waiting for ' + what)


NET2 = '''
      net2 {
        local_ts = 203.0.113.129/32
        remote_ts = 203.0.113.1/32
        esp_proposals = chacha20poly1305
      }'''


def conn(ike, esp, auth='psk', start='none', dpd='', more=''):
    if auth == 'psk':
        local, remote = 'auth = psk\n id = b.vx0', 'auth = psk\n id = a.vx0'
    else:
        local = 'auth = pubkey\n id = b.vx0\n pubkeys = b.pub'
        remote = 'auth = pubkey\n id = a.vx0\n pubkeys = a.pub'
    return '''  vx0 {
    version = 2
    local_addrs = %s
    remote_addrs = %s
    proposals = %s
    mobike = no
    %s
    local { %s }
    remote { %s }
    children {
      net {
        local_ts = %s
        remote_ts = %s
        esp_proposals = %s
        start_action = %s
      }%s
    }
  }''' % (B_IP, A_IP, ike, dpd, local, remote, B_NET, A_NET, esp, start, more)


PSK_SECRET = '  ike-1 {\n    id-1 = a.vx0\n    id-2 = b.vx0\n    secret = "%s"\n  }' % PSK


@pytest.fixture
def lab():
    lab = Lab()
    try:
        yield lab
    finally:
        lab.close()


def psk_file(lab):
    p = os.path.join(lab.dir, 'psk')
    with open(p, 'w') as f:
        f.write(PSK)
    return p


def check_established(node, charon):
    ike_up = node.wait(lambda e: e['event'] == 'ike_up', 10)
    child = node.wait(lambda e: e['event'] == 'child_up', 10)
    sas = wait_for(lambda: (lambda s: s if s['ike'] and s['child'] and
                            s['child'][0][0] == 'INSTALLED' else None)(charon.list_sas()),
                   10, 'charon SAs')
    spi_i, spi_r, state = sas['ike'][0]
    assert state == 'ESTABLISHED'
    assert (spi_i, spi_r) == (ike_up['spi_i'], ike_up['spi_r'])
    _, c_in, c_out = sas['child'][0]
    # charon's inbound SPI is our outbound one and vice versa
    assert (c_in, c_out) == (child['spi_out'], child['spi_in']), sas['raw']
    keys, text = charon.logged_child_keys()
    logged = {k for _, k in keys}
    assert child['key_in'] in logged and child['key_out'] in logged, (child, keys)
    return ike_up, child


CASES = [
    ('chacha20poly1305-prfsha256-x25519', 'chacha20poly1305', 'chacha'),
    ('aes256gcm16-prfsha256-x25519', 'aes256gcm16', 'aesgcm'),
]


# PRF_HMAC_SHA2_512 as well, for the key schedule with 64-byte SK_d/SK_p*
PSK_CASES = CASES + [('chacha20poly1305-prfsha512-x25519', 'chacha20poly1305', 'chacha')]


@pytest.mark.parametrize('ike,esp,encr', PSK_CASES)
def test_ike_psk_we_initiate(lab, ike, esp, encr):
    charon = Charon(lab, conn(ike, esp), PSK_SECRET)
    node = Node(lab, '--psk-file', psk_file(lab), '--encr', encr, '--esp', encr, '--initiate')
    ike_up, child = check_established(node, charon)
    assert ike_up['initiator'] and child['encr'] == esp
    assert ike_up['prf'] == (7 if 'prfsha512' in ike else 5)
    assert child['encap']  # kernel-libipsec: ESP in UDP after NAT-D


@pytest.mark.parametrize('ike,esp,encr', PSK_CASES)
def test_ike_psk_strongswan_initiates(lab, ike, esp, encr):
    charon = Charon(lab, conn(ike, esp), PSK_SECRET)
    node = Node(lab, '--psk-file', psk_file(lab), '--encr', encr, '--esp', encr)
    charon.swanctl('--initiate', '--child', 'net', '--timeout', '10')
    ike_up, child = check_established(node, charon)
    assert not ike_up['initiator'] and child['encr'] == esp


def ed25519_keys(lab, charon_dir):
    """strongSwan pki makes both key pairs; charon gets b's private key and
    both public keys, we get a's private key and b's public key."""
    d = lab.dir
    for who in ('a', 'b'):
        with open(os.path.join(d, who + '.pem'), 'w') as f:
            f.write(sh('pki', '--gen', '--type', 'ed25519', '--outform', 'pem').stdout)
        with open(os.path.join(d, who + '.pub'), 'w') as f:
            f.write(sh('pki', '--pub', '--in', os.path.join(d, who + '.pem'),
                       '--outform', 'pem').stdout)
    os.makedirs(os.path.join(charon_dir, 'swanctl', 'private'), exist_ok=True)
    os.makedirs(os.path.join(charon_dir, 'swanctl', 'pubkey'), exist_ok=True)
    shutil.copy(os.path.join(d, 'b.pem'), os.path.join(charon_dir, 'swanctl', 'private', 'b.pem'))
    for who in ('a', 'b'):
        shutil.copy(os.path.join(d, who + '.pub'),
                    os.path.join(charon_dir, 'swanctl', 'pubkey', who + '.pub'))
    return ['--key', os.path.join(d, 'a.pem'), '--peer-key', os.path.join(d, 'b.pub')]


@pytest.mark.parametrize('initiator', ['us', 'strongswan'])
def test_ike_ed25519(lab, initiator):
    ike, esp = CASES[0][0], CASES[0][1]
    args = ed25519_keys(lab, os.path.join(lab.dir, 'charon'))
    charon = Charon(lab, conn(ike, esp, auth='pubkey'))
    node = Node(lab, *(args + (['--initiate'] if initiator == 'us' else [])))
    if initiator == 'strongswan':
        charon.swanctl('--initiate', '--child', 'net', '--timeout', '10')
    check_established(node, charon)
    keys, text = charon.logged_child_keys()
    # RFC 7427 signature auth with Ed25519 both ways
    assert 'authentication of \'a.vx0\' with ED25519 successful' in text, text[-3000:]


def child_rekey_check(node, charon, pfs):
    rk = node.wait(lambda e: e['event'] == 'child_rekeyed', 10)
    assert rk['pfs'] == pfs
    node.wait(lambda e: e['event'] == 'child_down' and e['spi_in'] == rk['old_spi_in'], 10)
    sas = wait_for(lambda: (lambda s: s if len(s['child']) == 1 and s['child'][0][0] == 'INSTALLED'
                            and s['child'][0][1] == rk['spi_out'] else None)(charon.list_sas()),
                   10, 'charon to show only the new CHILD_SA')
    assert sas['child'][0][2] == rk['spi_in']
    keys, _ = charon.logged_child_keys()
    logged = {k for _, k in keys}
    assert rk['key_in'] in logged and rk['key_out'] in logged
    assert rk['key_in'] != node.of('child_up')[0]['key_in']


@pytest.mark.parametrize('who,pfs', [('us', False), ('us', True), ('strongswan', False),
                                     ('strongswan', True)])
def test_ike_rekey_child(lab, who, pfs):
    esp = 'chacha20poly1305' + ('-x25519' if pfs else '')
    charon = Charon(lab, conn(CASES[0][0], esp), PSK_SECRET)
    node = Node(lab, '--psk-file', psk_file(lab), '--initiate', *(['--pfs'] if pfs else []))
    check_established(node, charon)
    if who == 'us':
        node.send('rekey-child')
    else:
        charon.swanctl('--rekey', '--child', 'net')
    child_rekey_check(node, charon, pfs)


@pytest.mark.parametrize('who', ['us', 'strongswan'])
def test_ike_rekey_ike_sa(lab, who):
    charon = Charon(lab, conn(CASES[1][0], CASES[1][1]), PSK_SECRET)
    node = Node(lab, '--psk-file', psk_file(lab), '--initiate')
    ike_up, child = check_established(node, charon)
    if who == 'us':
        node.send('rekey-ike')
    else:
        charon.swanctl('--rekey', '--ike', 'vx0')
    rk = node.wait(lambda e: e['event'] == 'ike_rekeyed', 10)
    assert (rk['spi_i'], rk['spi_r']) != (ike_up['spi_i'], ike_up['spi_r'])
    wait_for(lambda: [s for s in charon.list_sas()['ike']
                      if s == (rk['spi_i'], rk['spi_r'], 'ESTABLISHED')]
             and len(charon.list_sas()['ike']) == 1, 10, 'charon on the new IKE SA only')
    # the CHILD_SA survived, and the new IKE SA carries the next exchange
    assert charon.list_sas()['child'][0][1] == child['spi_out']
    node.send('rekey-child')
    child_rekey_check(node, charon, False)
    assert not node.of('ike_down')


@pytest.mark.parametrize('who', ['us', 'strongswan'])
def test_ike_delete(lab, who):
    charon = Charon(lab, conn(CASES[0][0], CASES[0][1]), PSK_SECRET)
    node = Node(lab, '--psk-file', psk_file(lab), '--initiate')
    check_established(node, charon)
    if who == 'us':
        node.send('delete')
    else:
        charon.swanctl('--terminate', '--ike', 'vx0', '--timeout', '10')
    down = node.wait(lambda e: e['event'] == 'ike_down', 10)
    assert down['reason'] == 0
    assert node.of('child_down')
    wait_for(lambda: not charon.list_sas()['ike'], 10, 'charon to drop the IKE SA')


def test_ike_liveness_detects_killed_peer(lab):
    charon = Charon(lab, conn(CASES[0][0], CASES[0][1]), PSK_SECRET)
    node = Node(lab, '--psk-file', psk_file(lab), '--initiate', '--dpd', '1000',
                '--retrans', '200')
    check_established(node, charon)
    # a live peer answers liveness checks
    time.sleep(2.5)
    assert not node.of('ike_down')
    t0 = time.monotonic()
    charon.proc.kill()
    charon.proc.wait()
    down = node.wait(lambda e: e['event'] == 'ike_down', 15)
    # DPD after 1 s idle, then 200+400+800+1600 ms of retransmissions
    assert down['reason'] == -110  # -ETIMEDOUT
    assert time.monotonic() - t0 < 8
    assert node.of('child_down')


def test_ike_sa_init_flood_cookies(lab):
    """A bounded flood of IKE_SA_INIT from spoofed-looking SPIs: cookies
    engage, half-open state stays bounded, strongSwan still gets in."""
    charon = Charon(lab, conn(CASES[0][0], CASES[0][1]), PSK_SECRET)
    node = Node(lab, '--psk-file', psk_file(lab), '--cookie-threshold', '8')
    flood = os.path.join(lab.dir, 'flood.py')
    with open(flood, 'w') as f:
        f.write('''
import os, socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("%s", 0))
def pl(t, body, nxt):
    return struct.pack(">BBH", nxt, 0, 4 + len(body)) + body
for i in range(int(sys.argv[1])):
    trans = (struct.pack(">BBHBBH", 3, 0, 8, 1, 0, 28) + struct.pack(">BBHBBH", 3, 0, 8, 2, 0, 5)
             + struct.pack(">BBHBBH", 0, 0, 8, 4, 0, 31))
    prop = struct.pack(">BBHBBBB", 0, 0, 8 + len(trans), 1, 1, 0, 3) + trans
    body = pl(33, prop, 34) + pl(34, struct.pack(">HH", 31, 0) + os.urandom(32), 40) \\
        + pl(40, os.urandom(32), 0)
    hdr = struct.pack(">QQBBBBII", i + 1, 0, 33, 0x20, 34, 0x08, 0, 28 + len(body))
    s.sendto(hdr + body, ("%s", 500))
''' % (B_IP, A_IP))
    sh('ip', 'netns', 'exec', lab.ns_b, '/usr/bin/python3', flood, '2000', timeout=60)
    time.sleep(0.5)
    node.send('stats')
    st = node.wait(lambda e: e['event'] == 'stats', 5)
    assert st['half_open'] <= 8 and st['sas'] <= 8, st
    # every flood packet the socket kept got a cookie, except the first 8
    assert st['rx'] >= 500 and st['cookies_sent'] == st['rx'] - 8, st
    # a real initiator answers the cookie challenge and gets through
    charon.swanctl('--initiate', '--child', 'net', '--timeout', '10')
    check_established(node, charon)


@pytest.mark.parametrize('initiator', ['us', 'strongswan'])
def test_ike_fragmentation(lab, initiator):
    """RFC 7383 both ways: a 200-byte limit splits IKE_AUTH on each side."""
    args = ed25519_keys(lab, os.path.join(lab.dir, 'charon'))
    charon = Charon(lab, conn(CASES[1][0], CASES[1][1], auth='pubkey'),
                    extra='fragment_size = 200')
    node = Node(lab, '--frag-size', '200', *(args + (['--initiate'] if initiator == 'us' else [])))
    if initiator == 'strongswan':
        charon.swanctl('--initiate', '--child', 'net', '--timeout', '10')
    check_established(node, charon)
    node.send('stats')
    st = node.wait(lambda e: e['event'] == 'stats', 5)
    assert st['rx_fragments'] >= 2, st
    _, text = charon.logged_child_keys()
    assert re.search(r'received fragment #\d+ of \d+, reassembled fragmented IKE message', text), \
        text[-3000:]
    assert re.search(r'splitting IKE message .* into \d+ fragments', text)


def test_ike_debug_keys_decrypt_in_tshark(lab):
    """The --debug-keys UAT line lets tshark decrypt our IKE_AUTH."""
    if not shutil.which('tshark') or not shutil.which('tcpdump'):
        pytest.skip('needs tshark and tcpdump')
    pcap = os.path.join(lab.dir, 'ike.pcap')
    cap = subprocess.Popen(['ip', 'netns', 'exec', lab.ns_a, 'tcpdump', '-U', '-w', pcap, '-i',
                            lab.tag + '0', 'udp'], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    lab.procs.append(cap)
    time.sleep(0.5)
    charon = Charon(lab, conn(CASES[1][0], CASES[1][1]), PSK_SECRET)
    node = Node(lab, '--psk-file', psk_file(lab), '--encr', 'aesgcm', '--esp', 'aesgcm',
                '--initiate')
    check_established(node, charon)
    uat = node.wait(lambda e: e['event'] == 'debug_keys' and 'ikev2' in e['uat'], 5)['uat']
    node.wait(lambda e: e['event'] == 'debug_keys' and
              e['uat'].startswith('esp_sa:"IPv4","%s"' % A_IP), 5)
    esp = [e['uat'] for e in node.events if e['event'] == 'debug_keys' and 'esp_sa' in e['uat']]
    assert len(esp) == 2
    # charon's libipsec encrypts pings into the tunnel with its outbound
    # key, which is our inbound one (ESP in UDP 4500; our node drops them)
    subprocess.run(['ip', 'netns', 'exec', lab.ns_b, 'ping', '-c', '3', '-i', '0.2', '-W', '1',
                    '-I', '203.0.113.129', '203.0.113.1'], capture_output=True, timeout=10)
    time.sleep(0.5)
    cap.terminate()
    cap.wait(5)
    out = sh('tshark', '-n', '-r', pcap, '-o', 'uat:' + uat,
             '-Y', 'isakmp.exchangetype == 35', '-T', 'fields', '-e',
             'isakmp.id.data.fqdn').stdout
    # decrypted: the identities inside SK are visible
    assert out.split() == ['a.vx0,b.vx0', 'b.vx0'], out
    args = ['tshark', '-n', '-r', pcap, '-o', 'esp.enable_encryption_decode:TRUE']
    for line in esp:
        args += ['-o', 'uat:' + line]
    out = sh(*args, '-Y', 'esp && icmp', '-T', 'fields', '-e', 'esp.spi', '-e',
             'ip.src').stdout.split()
    inbound = '0x' + node.of('child_up')[0]['spi_in']
    # the ICMP inside charon's ESP shows: our key_in and esp_sa line are right
    assert len(out) >= 6 and out[0] == inbound, out
    assert out[1] == B_IP + ',203.0.113.129', out


@pytest.mark.parametrize('who', ['us', 'strongswan'])
def test_ike_second_child_sa(lab, who):
    """Several CHILD_SAs per peer: a second one by CREATE_CHILD_SA."""
    charon = Charon(lab, conn(CASES[0][0], CASES[0][1], more=NET2), PSK_SECRET)
    node = Node(lab, '--psk-file', psk_file(lab), '--initiate')
    _, first = check_established(node, charon)
    if who == 'us':
        node.send('create-child')
    else:
        # a narrower second child: host to host inside the networks
        charon.swanctl('--initiate', '--child', 'net2', '--timeout', '10')
    second = node.wait(lambda e: e['event'] == 'child_up' and e['spi_in'] != first['spi_in'], 10)
    sas = wait_for(lambda: (lambda s: s if len(s['child']) == 2 else None)(charon.list_sas()),
                   10, 'two CHILD_SAs at charon')
    assert {(c[1], c[2]) for c in sas['child']} == {
        (first['spi_out'], first['spi_in']), (second['spi_out'], second['spi_in'])}
    keys, _ = charon.logged_child_keys()
    logged = {k for _, k in keys}
    assert second['key_in'] in logged and second['key_out'] in logged
    if who == 'strongswan':
        assert second['ts_local'] == ['203.0.113.1-203.0.113.1/0/0-65535']


def test_ike_malformed_datagrams(lab):
    """Garbage, truncations and bit flips of a real IKE_SA_INIT, on 500 and
    4500 (with and without the non-ESP marker): dropped, no crash, and
    strongSwan still gets through afterwards."""
    charon = Charon(lab, conn(CASES[0][0], CASES[0][1]), PSK_SECRET)
    node = Node(lab, '--psk-file', psk_file(lab))
    junk = os.path.join(lab.dir, 'junk.py')
    with open(junk, 'w') as f:
        f.write('''
import os, random, socket, struct
random.seed(7)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("SRC_IP", 0))
def pl(t, body, nxt):
    return struct.pack(">BBH", nxt, 0, 4 + len(body)) + body
trans = (struct.pack(">BBHBBH", 3, 0, 8, 1, 0, 28) + struct.pack(">BBHBBH", 3, 0, 8, 2, 0, 5)
         + struct.pack(">BBHBBH", 0, 0, 8, 4, 0, 31))
prop = struct.pack(">BBHBBBB", 0, 0, 8 + len(trans), 1, 1, 0, 3) + trans
body = pl(33, prop, 34) + pl(34, struct.pack(">HH", 31, 0) + os.urandom(32), 40) + pl(40, os.urandom(32), 0)
good = struct.pack(">QQBBBBII", 99, 0, 33, 0x20, 34, 0x08, 0, 28 + len(body)) + body
sent = 0
for i in range(600):
    kind = i % 4
    if kind == 0:
        d = os.urandom(random.randint(0, 300))
    elif kind == 1:
        d = good[:random.randint(0, len(good) - 1)]
    elif kind == 2:
        b = bytearray(good)
        for _ in range(random.randint(1, 4)):
            b[random.randrange(len(b))] ^= 1 << random.randrange(8)
        b[0:8] = struct.pack(">Q", 1000 + i)
        d = bytes(b)
    else:
        b = bytearray(good)
        b[24:28] = struct.pack(">I", random.choice([0, 27, len(b) + 1, 0xffffffff]))
        d = bytes(b)
    port = 500 if i % 3 else 4500
    if port == 4500 and i % 2:
        d = b"\\0\\0\\0\\0" + d
    s.sendto(d, ("DST_IP", port))
    sent += 1
print(sent)
'''.replace('SRC_IP', B_IP).replace('DST_IP', A_IP))
    out = sh('ip', 'netns', 'exec', lab.ns_b, '/usr/bin/python3', junk, timeout=60).stdout
    assert out.strip() == '600'
    time.sleep(0.3)
    node.send('stats')
    st = node.wait(lambda e: e['event'] == 'stats', 5)
    assert node.proc.poll() is None
    assert st['rx_malformed'] + st['non_ike'] + st['rx_bad_spi'] >= 300, st
    charon.swanctl('--initiate', '--child', 'net', '--timeout', '10')
    check_established(node, charon)


def test_ike_delete_child_sa_both_ways(lab):
    """INFORMATIONAL Delete of a single CHILD_SA; the IKE SA stays."""
    charon = Charon(lab, conn(CASES[0][0], CASES[0][1]), PSK_SECRET)
    node = Node(lab, '--psk-file', psk_file(lab), '--initiate')
    ike_up, first = check_established(node, charon)
    node.send('delete-child ' + first['spi_in'])
    node.wait(lambda e: e['event'] == 'child_down' and e['spi_in'] == first['spi_in'], 10)
    wait_for(lambda: not charon.list_sas()['child'], 10, 'charon to drop the CHILD_SA')
    assert charon.list_sas()['ike'][0][:2] == (ike_up['spi_i'], ike_up['spi_r'])
    # strongSwan opens one again on the same IKE SA, then deletes it
    charon.swanctl('--initiate', '--child', 'net', '--timeout', '10')
    again = node.wait(lambda e: e['event'] == 'child_up' and e['spi_in'] != first['spi_in'], 10)
    charon.swanctl('--terminate', '--child', 'net', '--timeout', '10')
    node.wait(lambda e: e['event'] == 'child_down' and e['spi_in'] == again['spi_in'], 10)
    assert not node.of('ike_down')


def test_ike_vx0_to_vx0_ed25519(lab):
    """Two of our nodes over real sockets, Ed25519 raw keys as published in
    the DHT (keys made by libsodium-independent strongSwan pki)."""
    d = lab.dir
    for who in ('a', 'b'):
        with open(os.path.join(d, who + '.pem'), 'w') as f:
            f.write(sh('pki', '--gen', '--type', 'ed25519', '--outform', 'pem').stdout)
        with open(os.path.join(d, who + '.pub'), 'w') as f:
            f.write(sh('pki', '--pub', '--in', os.path.join(d, who + '.pem'),
                       '--outform', 'pem').stdout)
    key = lambda w: os.path.join(d, w)  # noqa: E731
    b = Node(lab, '--key', key('b.pem'), '--peer-key', key('a.pub'), '--encr', 'aesgcm',
             '--pfs', ns=lab.ns_b,
             base=['--local', B_IP, '--id', 'b.vx0', '--peer', A_IP, '--peer-id', 'a.vx0',
                   '--ts-local', B_NET, '--ts-remote', A_NET])
    a = Node(lab, '--key', key('a.pem'), '--peer-key', key('b.pub'), '--pfs', '--initiate')
    ca = a.wait(lambda e: e['event'] == 'child_up', 10)
    cb = b.wait(lambda e: e['event'] == 'child_up', 10)
    ia = a.of('ike_up')[0]
    ib = b.of('ike_up')[0]
    assert (ia['spi_i'], ia['spi_r']) == (ib['spi_i'], ib['spi_r'])
    assert ia['encr'] == 'aes256gcm16' and ia['prf'] == 7  # strongest common set
    assert (ca['spi_in'], ca['spi_out']) == (cb['spi_out'], cb['spi_in'])
    assert (ca['key_in'], ca['key_out']) == (cb['key_out'], cb['key_in'])
    # a PFS rekey started by the responder, then a Delete by the initiator
    b.send('rekey-child')
    ra = a.wait(lambda e: e['event'] == 'child_rekeyed', 10)
    rb = b.wait(lambda e: e['event'] == 'child_rekeyed', 10)
    assert ra['pfs'] and ra['key_in'] == rb['key_out']
    a.send('delete')
    b.wait(lambda e: e['event'] == 'ike_down' and e['reason'] == 0, 10)


def test_ike_ipv6_we_initiate(lab):
    """IKE and the CHILD_SA over IPv6 (2001:db8::/32) against strongSwan."""
    a6, b6 = '2001:db8::1', '2001:db8::2'
    for ns, dev, ip, inner in ((lab.ns_a, lab.tag + '0', a6, '2001:db8:1::1'),
                               (lab.ns_b, lab.tag + '1', b6, '2001:db8:2::1')):
        sh('ip', '-n', ns, '-6', 'addr', 'add', ip + '/64', 'dev', dev, 'nodad')
        sh('ip', '-n', ns, '-6', 'addr', 'add', inner + '/128', 'dev', 'lo', 'nodad')
    conns = conn(CASES[1][0], CASES[1][1]).replace(B_IP, b6).replace(A_IP, a6) \
        .replace(B_NET, '2001:db8:2::/64').replace(A_NET, '2001:db8:1::/64')
    charon = Charon(lab, conns, PSK_SECRET)
    node = Node(lab, '--psk-file', psk_file(lab), '--initiate',
                base=['--local', a6, '--id', 'a.vx0', '--peer', b6, '--peer-id', 'b.vx0',
                      '--ts-local', '2001:db8:1::/64', '--ts-remote', '2001:db8:2::/64'])
    ike_up, child = check_established(node, charon)
    assert child['ts_local'] == ['2001:db8:1::-2001:db8:1:0:ffff:ffff:ffff:ffff/0/0-65535']
