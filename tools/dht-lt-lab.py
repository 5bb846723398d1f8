#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""
Interop lab: our dht_node against a swarm of libtorrent DHT nodes
(python3-libtorrent) on loopback. Run it inside a private network
namespace so nothing can leave the machine:

    unshare -n /usr/bin/python3 tools/dht-lt-lab.py BUILD_DIR [v6 | persist DIR | desc DIR | npm NODE_MODULES]

It brings lo up, starts N libtorrent sessions on 127.0.0.2.. and our node
on 127.0.0.1:7000, runs the scenario with deadlines, and prints one JSON
object with what it observed (dts/test_dht_libtorrent.py asserts on it).
The "persist" scenario runs only our nodes: one saves its state (JSON
config file, --state), quits, and rejoins from the saved nodes alone.
"""
import hashlib
import json
import os
import queue
import subprocess
import sys
import threading
import time

import warnings

import libtorrent as lt

warnings.simplefilter('ignore', DeprecationWarning)

N_LT = 8
OUR = ('127.0.0.1', 7000)
LT_PORT = 6881


def log(*a):
    print(*a, file=sys.stderr, flush=True)


class OurNode:
    """dht_node over pipes: commands in, JSON lines out."""

    def __init__(self, exe, bootstrap, bind=OUR, extra=()):
        args = [exe, '--bind', '%s:%d' % bind, '--k', '8'] + list(extra)
        for b in bootstrap:
            args += ['--bootstrap', '%s:%d' % b]
        self.p = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  text=True, bufsize=1)
        self.q = queue.Queue()
        self.events = []
        threading.Thread(target=self._read, daemon=True).start()
        started = self._wait(lambda o: o.get('event') == 'started', 5)
        self.id = started['id']
        self.identity = started.get('identity')

    def _read(self):
        for line in self.p.stdout:
            try:
                self.q.put(json.loads(line))
            except ValueError:
                log('bad line from dht_node:', line)

    def _wait(self, pred, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            for e in self.events:
                if pred(e):
                    self.events.remove(e)
                    return e
            try:
                o = self.q.get(timeout=0.05)
            except queue.Empty:
                continue
            if pred(o):
                return o
            self.events.append(o)
        raise TimeoutError('dht_node: no answer')

    def cmd(self, line, timeout=5):
        name = line.split()[0]
        self.p.stdin.write(line + '\n')
        self.p.stdin.flush()
        return self._wait(lambda o: o.get('cmd') == name, timeout)

    def lookup(self, line, timeout=30):
        r = self.cmd(line)
        if not r.get('ok'):
            return r
        lid = r['lookup_id']
        return self._wait(lambda o: o.get('event') == 'lookup_done' and
                          o.get('lookup_id') == lid, timeout)

    def close(self):
        try:
            self.cmd('quit', 2)
        except Exception:
            pass
        try:
            self.p.wait(3)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()


def lt_session(i, listen=None):
    return lt.session({
        'listen_interfaces': listen or '127.0.0.%d:%d' % (i, LT_PORT),
        'enable_dht': True, 'enable_lsd': False, 'enable_upnp': False,
        'enable_natpmp': False, 'dht_bootstrap_nodes': '',
        'dht_restrict_routing_ips': False, 'dht_restrict_search_ips': False,
        'dht_block_ratelimit': 100000, 'dht_upload_rate_limit': 1000000,
        'alert_mask': lt.alert.category_t.all_categories,
    })


def lt_id(s):
    st = s.dht_state()
    return st[b'node-id'][0][:20]


def pump(sessions, alerts):
    for i, s in enumerate(sessions):
        for a in s.pop_alerts():
            if isinstance(a, (lt.dht_mutable_item_alert, lt.dht_put_alert,
                              lt.dht_live_nodes_alert, lt.dht_immutable_item_alert,
                              lt.dht_get_peers_reply_alert)):
                alerts[i].append(a)


def wait_alert(sessions, alerts, i, pred, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        pump(sessions, alerts)
        for a in alerts[i]:
            if pred(a):
                alerts[i].remove(a)
                return a
        time.sleep(0.05)
    return None


def until(pred, timeout, step=0.2):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


def main():
    build = sys.argv[1]
    subprocess.run(['ip', 'link', 'set', 'lo', 'up'], check=True)
    res = {}
    sessions = [lt_session(2 + i) for i in range(N_LT)]
    alerts = [[] for _ in sessions]
    for s in sessions:
        for j in range(N_LT):
            s.add_dht_node(('127.0.0.%d' % (2 + j), LT_PORT))
    lt_eps = [('127.0.0.%d' % (2 + i), LT_PORT) for i in range(N_LT)]
    until(lambda: all(len(s.dht_state().get(b'nodes', [])) >= 2 for s in sessions), 15)
    ids = [lt_id(s) for s in sessions]
    res['lt_ids'] = [i.hex() for i in ids]

    # capture our node's traffic: tshark must dissect all of it as bt-dht
    pcap = os.path.join(build, 'dht-lt-lab.pcap')
    cap = subprocess.Popen(['tshark', '-i', 'lo', '-f', 'udp port %d' % OUR[1], '-w', pcap],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    end = time.monotonic() + 10
    while time.monotonic() < end:
        line = cap.stderr.readline()
        if not line or 'Capturing on' in line:
            break
    node = OurNode(os.path.join(build, 'test', 'dht_node'), lt_eps[:2])
    res['our_id'] = node.id
    try:
        # 1. we join: libtorrent nodes answer and fill our table
        def our_lt_nodes():
            d = node.cmd('dump')
            return [n for n in d['table']['nodes'] if n['good'] and
                    n['id'] in res['lt_ids']]
        good = until(lambda: len(our_lt_nodes()) >= N_LT - 1 and our_lt_nodes(), 25)
        res['our_table_lt_good'] = len(our_lt_nodes())

        # 2. we appear in their routing tables (they verify us with get_peers)
        def lt_with_us():
            n = 0
            for i, s in enumerate(sessions):
                s.dht_live_nodes(lt.sha1_hash(ids[i]))
                a = wait_alert(sessions, alerts, i,
                               lambda a: isinstance(a, lt.dht_live_nodes_alert), 2)
                if a is None:
                    continue
                for nn in a.nodes:
                    nid = nn['nid'].to_bytes().hex()
                    ep = nn['endpoint']
                    if nid == node.id and tuple(ep) == OUR:
                        n += 1
            return n
        res['lt_tables_with_us'] = until(lambda: lt_with_us() >= N_LT // 2 and lt_with_us(), 40, 1)
        st = node.cmd('stats')
        res['our_stats'] = st

        # 3. we find nodes through them: a find_node lookup matches brute force
        target = hashlib.sha1(b'vx0 interop target').digest()
        r = node.lookup('find_node ' + target.hex())
        got = [n['id'] for n in r['nodes']]
        want = sorted(res['lt_ids'], key=lambda h: int(h, 16) ^ int(target.hex(), 16))
        res['find_node'] = {'got': got, 'want': want, 'queries': r['queries'],
                            'replies': r['replies'], 'hops': r['hops']}

        # 4. a mutable item put by us is read by libtorrent
        seed = hashlib.sha256(b'vx0 lab seed 1').hexdigest()
        k = node.cmd('key %s vx0' % seed)
        r = node.lookup('put_mutable %s vx0 1 13:from-vx0-node' % seed)
        res['our_put'] = {'stored': r['stored'], 'errors': r['store_errors'],
                          'target': r['target'], 'key_target': k['target']}
        pk = bytes.fromhex(k['pk'])
        sessions[3].dht_get_mutable_item(pk, b'vx0')
        a = wait_alert(sessions, alerts, 3,
                       lambda a: isinstance(a, lt.dht_mutable_item_alert) and a.authoritative, 30)
        res['lt_read_ours'] = None if a is None else {
            'value': a.item['value'].hex(), 'seq': a.seq, 'key': bytes(a.key).hex(),
            'salt': (a.salt.encode() if isinstance(a.salt, str) else bytes(a.salt)).hex(),
            'authoritative': a.authoritative}

        # 5. a mutable item put by libtorrent is read by us
        seed2 = hashlib.sha256(b'vx0 lab seed 2').hexdigest()
        k2 = node.cmd('key %s lt' % seed2)
        sk = bytes.fromhex(k2['sk_expanded'])
        pk2 = bytes.fromhex(k2['pk'])
        sessions[5].dht_put_mutable_item(sk, pk2, b'from-libtorrent', b'lt')
        a = wait_alert(sessions, alerts, 5, lambda a: isinstance(a, lt.dht_put_alert), 30)
        res['lt_put'] = None if a is None else {'num_success': a.num_success, 'seq': a.seq}
        r = node.lookup('get %s lt' % k2['target'])
        res['our_read_lt'] = r.get('item')

        # 6. immutable both ways
        r = node.lookup('put_immutable 9:immutable')
        res['our_put_immutable'] = {'stored': r['stored'], 'target': r['target']}
        sessions[6].dht_get_immutable_item(lt.sha1_hash(bytes.fromhex(r['target'])))
        a = wait_alert(sessions, alerts, 6,
                       lambda a: isinstance(a, lt.dht_immutable_item_alert), 30)
        res['lt_read_immutable'] = None if a is None else a.item['value'].hex()
        sessions[1].dht_put_immutable_item('lt-immutable')
        a = wait_alert(sessions, alerts, 1, lambda a: isinstance(a, lt.dht_put_alert), 30)
        tgt = hashlib.sha1(b'12:lt-immutable').hexdigest()
        r = node.lookup('get ' + tgt)
        res['our_read_lt_immutable'] = r.get('item')

        # 7. our announce is seen by libtorrent's get_peers
        ih = hashlib.sha1(b'vx0 announce').digest()
        r = node.lookup('announce %s 4567' % ih.hex())
        res['our_announce'] = {'stored': r['stored'], 'errors': r['store_errors']}
        sessions[4].dht_get_peers(lt.sha1_hash(ih))
        peers = set()
        end = time.monotonic() + 20
        while time.monotonic() < end and not peers:
            a = wait_alert(sessions, alerts, 4,
                           lambda a: isinstance(a, lt.dht_get_peers_reply_alert), 1)
            if a:
                peers |= {'%s:%d' % (p[0], p[1]) for p in a.peers()}
        res['lt_get_peers'] = sorted(peers)
        res['final_dump'] = node.cmd('dump')['stats']
    finally:
        node.close()
        time.sleep(0.5)
        cap.terminate()
        try:
            cap.wait(5)
        except subprocess.TimeoutExpired:
            cap.kill()
            cap.wait()
    res['tshark'] = dissect(pcap)
    print(json.dumps(res, indent=1))


def dissect(pcap):
    def count(flt):
        p = subprocess.run(['tshark', '-r', pcap, '-Y', flt, '-T', 'fields',
                            '-e', 'frame.number'], capture_output=True, text=True, timeout=60)
        return len([x for x in p.stdout.split('\n') if x.strip()])
    return {
        'from_us': count('udp.srcport == %d' % OUR[1]),
        'from_us_bt_dht': count('udp.srcport == %d && bt-dht' % OUR[1]),
        'to_us_bt_dht': count('udp.dstport == %d && bt-dht' % OUR[1]),
        'bad': count('_ws.malformed || bt-dht.invalid_length || bt-dht.truncated_data '
                     '|| bt-dht.invalid_string'),
    }


class JsonProc(OurNode):
    """A process speaking JSON lines both ways (the npm peer)."""

    def __init__(self, args):
        self.p = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  text=True, bufsize=1)
        self.q = queue.Queue()
        self.events = []
        threading.Thread(target=self._read, daemon=True).start()
        self.started = self._wait(lambda o: o.get('event') == 'started', 30)

    def jcmd(self, obj, timeout=30):
        self.p.stdin.write(json.dumps(obj) + '\n')
        self.p.stdin.flush()
        return self._wait(lambda o: o.get('cmd') == obj['cmd'], timeout)

    def close(self):
        try:
            self.jcmd({'cmd': 'quit'}, 3)
        except Exception:
            pass
        try:
            self.p.wait(3)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()


N_NPM = 5


def npm(build, modules):
    """Our node against npm bittorrent-dht nodes (they do send find_node)."""
    subprocess.run(['ip', 'link', 'set', 'lo', 'up'], check=True)
    res = {}
    node = OurNode(os.path.join(build, 'test', 'dht_node'), [])
    peer = None
    try:
        here = os.path.dirname(os.path.abspath(__file__))
        peer = JsonProc(['node', os.path.join(here, 'dht-npm-lab.mjs'), modules,
                         '%s:%d' % OUR, str(N_NPM)])
        ids = peer.started['ids']
        res['npm_ids'] = ids
        res['our_id'] = node.id

        def our_good():
            return [n['id'] for n in node.cmd('dump')['table']['nodes']
                    if n['good'] and n['id'] in ids]
        res['our_table_npm_good'] = len(until(lambda: len(our_good()) >= N_NPM and
                                              our_good(), 20) or [])

        def npm_with_us():
            st = peer.jcmd({'cmd': 'state'})
            return sum(1 for tab in st['nodes']
                       if any(n['host'] == OUR[0] and n['port'] == OUR[1] for n in tab))
        res['npm_tables_with_us'] = until(lambda: npm_with_us() >= N_NPM - 1 and
                                          npm_with_us(), 20)
        st = node.cmd('stats')
        res['our_stats'] = st

        target = hashlib.sha1(b'vx0 npm target').digest()
        r = node.lookup('find_node ' + target.hex())
        res['find_node'] = {
            'got': [n['id'] for n in r['nodes']],
            'want': sorted(ids, key=lambda h: int(h, 16) ^ int(target.hex(), 16)),
            'replies': r['replies']}

        ih = hashlib.sha1(b'vx0 npm announce').hexdigest()
        r = node.lookup('announce %s 4568' % ih)
        res['our_announce_stored'] = r['stored']
        r = peer.jcmd({'cmd': 'lookup', 'node': 2, 'target': ih})
        res['npm_lookup'] = r

        seed = hashlib.sha256(b'vx0 npm seed 1').hexdigest()
        r = node.lookup('put_mutable %s vx0 3 8:from-vx0' % seed)
        res['our_put'] = {'stored': r['stored'], 'target': r['target']}
        r = peer.jcmd({'cmd': 'get', 'node': 3, 'target': res['our_put']['target'],
                       'salt': 'vx0'})
        res['npm_read_ours'] = r

        seed2 = hashlib.sha256(b'vx0 npm seed 2').hexdigest()
        r = peer.jcmd({'cmd': 'put_mutable', 'node': 4, 'seed': seed2, 'salt': 'npm',
                       'seq': 7, 'v': 'from-npm'})
        res['npm_put'] = r
        k2 = node.cmd('key %s npm' % seed2)
        r = node.lookup('get %s npm' % k2['target'])
        res['our_read_npm'] = r.get('item')
        res['final_stats'] = node.cmd('stats')
    finally:
        if peer:
            peer.close()
        node.close()
    print(json.dumps(res, indent=1))


def desc(build, d):
    """vx0 descriptors over a libtorrent swarm: publish, collect, look up."""
    subprocess.run(['ip', 'link', 'set', 'lo', 'up'], check=True)
    exe = os.path.join(build, 'test', 'dht_node')
    res = {}
    sessions = [lt_session(2 + i) for i in range(N_LT)]
    for s in sessions:
        for j in range(N_LT):
            s.add_dht_node(('127.0.0.%d' % (2 + j), LT_PORT))
    lt_eps = [('127.0.0.%d' % (2 + i), LT_PORT) for i in range(N_LT)]
    until(lambda: all(len(s.dht_state().get(b'nodes', [])) >= 2 for s in sessions), 15)
    tiers = [1, 1, 2, 3]
    pubs, client = [], None

    def start_pub(i):
        return OurNode(exe, lt_eps[:2], bind=('127.0.0.1', 7200 + i),
                       extra=['--identity', os.path.join(d, 'id%d' % i),
                              '--tier', str(tiers[i]),
                              '--exit', 'accept *:443' if i == 0 else 'reject *:*'])
    try:
        for i in range(len(tiers)):
            pubs.append(start_pub(i))
        client = OurNode(exe, lt_eps[:2], bind=('127.0.0.1', 7300))
        for n in pubs + [client]:
            until(lambda: sum(1 for x in n.cmd('dump')['table']['nodes'] if x['good']) >= 4, 20)
        for i, n in enumerate(pubs):
            r = n.lookup('publish')
            res.setdefault('published', []).append({'stored': r['stored'],
                                                     'errors': r['store_errors']})
        res['pub_identity'] = [n.identity for n in pubs]

        def collect(tier):
            r = client.cmd('collect %d' % tier)
            if not r.get('ok'):
                return r
            return client._wait(lambda o: o.get('event') == 'collected', 60)
        res['collect1'] = collect(1)
        res['collect2'] = collect(2)
        client.cmd('descriptor ' + pubs[3].identity)
        res['descriptor3'] = client._wait(lambda o: o.get('event') == 'descriptor', 30)
        # the identity key survives a restart (seed file)
        pubs[0].close()
        pubs[0] = start_pub(0)
        res['identity0_after_restart'] = pubs[0].identity
    finally:
        for n in pubs + ([client] if client else []):
            n.close()
    print(json.dumps(res, indent=1))


N_V6 = 4


def v6(build):
    """The same over IPv6 (::1): nodes6, 18-byte compact addresses, BEP 44."""
    subprocess.run(['ip', 'link', 'set', 'lo', 'up'], check=True)
    res = {}
    sessions = [lt_session(0, '[::1]:%d' % (6881 + i)) for i in range(N_V6)]
    alerts = [[] for _ in sessions]
    for s in sessions:
        for j in range(N_V6):
            s.add_dht_node(('::1', 6881 + j))
    until(lambda: all(len(s.dht_state().get(b'nodes', [])) >= 2 for s in sessions), 15)
    ids = [lt_id(s).hex() for s in sessions]
    res['lt_ids'] = ids
    node = OurNode(os.path.join(build, 'test', 'dht_node'), [], bind=('[::1]', 7000),
                   extra=['--bootstrap', '[::1]:6881'])
    try:
        def good():
            return [n for n in node.cmd('dump')['table']['nodes']
                    if n['good'] and n['id'] in ids]
        g = until(lambda: len(good()) >= N_V6 and good(), 20) or []
        res['our_table'] = sorted(n['addr'] for n in g)
        target = hashlib.sha1(b'vx0 v6 target').digest()
        r = node.lookup('find_node ' + target.hex())
        res['find_node'] = {'got': [n['id'] for n in r['nodes']],
                            'want': sorted(ids, key=lambda h: int(h, 16) ^ int(target.hex(), 16))}
        seed = hashlib.sha256(b'vx0 v6 seed').hexdigest()
        k = node.cmd('key %s v6' % seed)
        r = node.lookup('put_mutable %s v6 1 7:over-v6' % seed)
        res['our_put_stored'] = r['stored']
        sessions[2].dht_get_mutable_item(bytes.fromhex(k['pk']), b'v6')
        a = wait_alert(sessions, alerts, 2,
                       lambda a: isinstance(a, lt.dht_mutable_item_alert) and a.authoritative, 20)
        res['lt_read_ours'] = None if a is None else a.item['value'].hex()
        seed2 = hashlib.sha256(b'vx0 v6 seed 2').hexdigest()
        k2 = node.cmd('key %s lt6' % seed2)
        sessions[1].dht_put_mutable_item(bytes.fromhex(k2['sk_expanded']),
                                         bytes.fromhex(k2['pk']), b'lt-over-v6', b'lt6')
        a = wait_alert(sessions, alerts, 1, lambda a: isinstance(a, lt.dht_put_alert), 20)
        res['lt_put'] = None if a is None else a.num_success
        r = node.lookup('get %s lt6' % k2['target'])
        res['our_read_lt'] = r.get('item')
        res['stats'] = node.cmd('stats')
    finally:
        node.close()
    print(json.dumps(res, indent=1))


def persist(build, d):
    """Save, restart from the state file alone, rejoin."""
    subprocess.run(['ip', 'link', 'set', 'lo', 'up'], check=True)
    exe = os.path.join(build, 'test', 'dht_node')
    state = os.path.join(d, 'b-state.json')
    conf = os.path.join(d, 'b.json')
    with open(conf, 'w') as f:
        json.dump({'bind': '127.0.0.1:7101', 'k': 8, 'state': state,
                   'bootstrap': ['127.0.0.1:7100']}, f)
    res = {}
    a = OurNode(exe, [], bind=('127.0.0.1', 7100))
    c = OurNode(exe, [('127.0.0.1', 7100)], bind=('127.0.0.1', 7102))
    b = OurNode(exe, [], extra=['--config', conf])
    try:
        res['ids'] = {'a': a.id, 'b': b.id, 'c': c.id}

        def good(n):
            return sorted(x['id'] for x in n.cmd('dump')['table']['nodes'] if x['good'])
        res['b_good_before'] = until(lambda: len(good(b)) >= 2 and good(b), 10)
        res['save'] = b.cmd('save')['ok']
        with open(state) as f:
            res['state'] = json.load(f)
        res['state_mode'] = oct(os.stat(state).st_mode & 0o777)
        b.close()
        # restart without any bootstrap node: only the saved state
        with open(conf, 'w') as f:
            json.dump({'bind': '127.0.0.1:7101', 'k': 8, 'state': state}, f)
        t0 = time.monotonic()
        b = OurNode(exe, [], extra=['--config', conf])
        res['b_id_after'] = b.id
        res['b_good_after'] = until(lambda: len(good(b)) >= 2 and good(b), 10, 0.05)
        res['rejoin_s'] = round(time.monotonic() - t0, 2)
        res['leftovers'] = sorted(x for x in os.listdir(d) if '.tmp' in x)
    finally:
        for n in (a, b, c):
            n.close()
    print(json.dumps(res, indent=1))


if __name__ == '__main__':
    if len(sys.argv) > 3 and sys.argv[2] == 'persist':
        persist(sys.argv[1], sys.argv[3])
    elif len(sys.argv) > 2 and sys.argv[2] == 'v6':
        v6(sys.argv[1])
    elif len(sys.argv) > 3 and sys.argv[2] == 'desc':
        desc(sys.argv[1], sys.argv[3])
    elif len(sys.argv) > 3 and sys.argv[2] == 'npm':
        npm(sys.argv[1], sys.argv[3])
    else:
        main()
