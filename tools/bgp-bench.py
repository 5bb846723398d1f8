#!/usr/bin/python3
"""BGP load benchmark (lab, not CI): a BIRD feeder announces N IPv4 prefixes
to the vx0 bgp_speaker (RIB only), to vx0d (RIB and FIB) and to a BIRD
receiver; prints, for each receiver, the time from Established to the last
route (for vx0d: the last route in the data plane's FIB) and to 99.9 % of
them, the CPU seconds it used over the load (utime + stime of all its threads
from /proc/PID/task/*/stat; for vx0d also its ctl lcore alone) and its RSS
growth per route. For vx0d the growth is split: the IPv4 FIB tables' resident
bytes (/vx0/fib ipv4_resident_bytes, mincore of the DIR-24-8 levels and the
rule index) and the rest, the control plane.

usage: tools/bgp-bench.py [-n 1000000] [--build build]
                          [--receiver both|vx0|bird|vx0d|race|all]
                          [--uniform] [--seed 4] [--show 8] [--perf FILE]
                          [--punt-rate N] [--one-lcore] [--pin] [--replay]
                          [--poke-ms MS] [--pcap PREFIX]

Who paces the load. A live BIRD feeder spends about as much CPU per route
on its export as a BIRD receiver on its import (3.2-3.7 s of CPU per
receiver for the varied 1M feed, one thread): it is the bottleneck, and in
a race it serves its two sessions alike, so both receivers finish within
~0.1 s of each other whatever they do. Three options separate the feeder
from what is measured:
 --pin     the feeder alone on CPU 0, the receivers (and vx0d's lcores) on
           CPU 1, so they compete with each other, not with the feeder;
 --replay  tools/bgp-replay.py records the BIRD feeder's UPDATEs once
           (cached as /tmp/vx0-bgp-feed-N-seedS.bin), then a replayer sends
           the same bytes (NEXT_HOP rewritten per link) to every receiver at
           once, from the first byte after all sessions are up (times are
           from that moment); it uses ~0.6 s of CPU for 1M routes, so the
           receivers pace the load;
 --poke-ms connects to the live feeder's CLI socket every MS ms: BIRD
           2.0's main loop can sleep in poll() for its 3 s default with the
           last UPDATEs of one session still queued (seen with --pcap: no
           segment either way for 3.0 s while the receiver's window was
           open), which put a random 3 s tail on either receiver.
The output gives the feeder's CPU over the load too.

The feed (default): N /24 blackhole statics (1.0.0.0/24 up), each with its
own attributes set in its static route block (`bgp_path.prepend(...)`,
`bgp_med`, `bgp_community.add`), deterministic for a seed:
 - 100,000 candidate AS paths over 20 "tier-1", 3,000 transit (first hops
   skewed to the big ones) and 70,000 origin ASes (30,000 of them 4-octet);
   path length 1-6 (3 / 20 / 38 / 24 / 10 / 5 %), mean 3.3 plus the feeder's
   own AS 65002, which BIRD prepends on export;
 - the table is cut into runs of consecutive prefixes sharing attributes
   (run length 1: 50 %, 2-4: 35 %, 5-16: 13 %, 17-64: 2 %): 269,034 runs for
   1M prefixes; each run draws its path skewed to the popular ones, so 86,049
   distinct AS paths are used; 40 % of runs carry 1-3 communities of their
   first AS, 25 % a MED: 207,055 distinct attribute sets at the feeder. BIRD
   removes the MEDs on its eBGP export (checked with --show), so receivers
   see 178,492 distinct sets (AS path and communities).
BIRD then sends nearly one UPDATE per prefix (998,381 for 1M: it exports in
its table's order, not by attributes), as a real full table arrives.
--uniform is the old feed: one AS path for all (prepended in the export
filter), so BIRD packs 256 prefixes into each UPDATE (3,907 for 1M).
The feeder's sessions start ("birdc enable") only once its static protocol
holds all N routes, so no receiver waits on the feeder's own start-up. BIRD
receivers are polled every 10 ms over their CLI socket (no birdc process)
through `show protocols all` (the channel's import
counter); `show route count` walks the table and slows what it measures.
vx0d runs with its default exception path: the feeder is a configured BGP
neighbour, so its segments are punted in the "peer" class (100,000/s) and
not policed at the local class's 10,000/s, which dropped 3,000-7,000 of the
varied feed's ~15,000 segments/s before that class existed (--punt-rate
sets exception_path.rate_pps for comparison; the output shows the policed
drops and the feeder's TCP retransmissions). --one-lcore runs vx0d as one
thread (ctl, rx and tx roles on one lcore), as BIRD is one: on two CPUs
shared by the feeder and the receivers, the lab profile's polling rx lcore
otherwise takes CPU time from all of them.
'--receiver vx0d' / 'bird' feed one receiver at a time (the feeder and the
receiver then share the two CPUs of the lab machine alone); '--receiver
race' feeds vx0d and the BIRD receiver in the same run (the issue's
comparison), 'all' adds the bgp_speaker.

Topology: namespaces F (feeder BIRD), V (our speaker), R (BIRD receiver),
D (vx0d, its port an af_packet vdev on the veth); veths F-V 198.51.100.0/30,
F-R 198.51.100.4/30, F-D 198.51.100.8/30. The feeder's routes are blackhole
statics; nothing reaches a kernel FIB. 'both' is the speaker and BIRD.
"""
import argparse
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'dts'))
import bgp_lab  # noqa: E402
import vx0lab  # noqa: E402


def prefix24(i):
    return f'{1 + (i >> 16)}.{(i >> 8) & 255}.{i & 255}.0/24'


def weighted(r, table):
    """One value from [(weight, value or (lo, hi) range), ...]."""
    x = r.random() * sum(w for w, _ in table)
    for w, v in table:
        x -= w
        if x < 0:
            return r.randint(*v) if isinstance(v, tuple) else v
    return table[-1][1]


PATH_LEN = [(3, 1), (20, 2), (38, 3), (24, 4), (10, 5), (5, 6)]
RUN_LEN = [(50, 1), (35, (2, 4)), (13, (5, 16)), (2, (17, 64))]


def write_feed(f, n, seed, n_paths=100000):
    """N /24 static routes with per-route AS paths, MEDs and communities
    (deterministic for a seed); returns statistics of the feed."""
    r = random.Random(seed)
    tier1 = r.sample(range(1000, 23000), 20)
    transit = r.sample(range(23457, 64000), 3000)
    origins = r.sample(range(1000, 64000), 40000) + r.sample(range(131072, 400000), 30000)
    origins = [a for a in origins if a not in tier1 and a not in transit and a != 23456]
    paths = []
    for k in range(n_paths):
        o = origins[k % len(origins)]
        ln = weighted(r, PATH_LEN)
        if ln == 1:
            paths.append((o,))
            continue
        # the first transit hops are the big ones: skewed choice
        mids = tuple(transit[int(len(transit) * r.random() ** 3)] for _ in range(ln - 2))
        paths.append((r.choice(tier1),) + mids + (o,))
    seen_paths, seen_attrs = set(), set()
    runs = with_med = with_comm = total_len = 0
    i = 0
    while i < n:
        ln = min(weighted(r, RUN_LEN), n - i)
        path = paths[int(n_paths * r.random() ** 2)]
        med = r.choice((0, 10, 20, 50, 100, 200, 1000)) if r.random() < 0.25 else None
        comm = ()
        if r.random() < 0.4:
            comm = tuple(sorted({(path[0] if path[0] < 65536 else tier1[0],
                                  r.randrange(100, 140)) for _ in range(r.randint(1, 3))}))
        body = ''.join(f' bgp_path.prepend({a});' for a in reversed(path))
        if med is not None:
            body += f' bgp_med = {med};'
        body += ''.join(f' bgp_community.add(({a}, {v}));' for a, v in comm)
        for j in range(i, i + ln):
            f.write(f'route {prefix24(j)} blackhole {{{body} }};\n')
        runs += 1
        with_med += ln if med is not None else 0
        with_comm += ln if comm else 0
        total_len += ln * len(path)
        seen_paths.add(path)
        seen_attrs.add((path, med, comm))
        i += ln
    return (n, runs, len(seen_paths), len(seen_attrs), total_len / n,
            100 * with_med // n, 100 * with_comm // n)


def sh(*a, check=True):
    return subprocess.run(a, check=check, capture_output=True, text=True)


def rss_kb(pid):
    with open(f'/proc/{pid}/status') as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    return -1


CLK = os.sysconf('SC_CLK_TCK')


def cpu_s(pid, tid=None):
    """utime + stime in seconds of all of pid's threads (or thread tid)."""
    tids = [tid] if tid is not None else os.listdir(f'/proc/{pid}/task')
    t = 0
    for x in tids:
        try:
            with open(f'/proc/{pid}/task/{x}/stat') as f:
                w = f.read().rsplit(')', 1)[1].split()
        except OSError:
            continue
        t += int(w[11]) + int(w[12])
    return t / CLK


class Telemetry:
    """vx0d's /vx0/... commands over the DPDK telemetry socket."""

    def __init__(self, prefix):
        import json
        import socket
        self.json = json
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.s.connect(f'/var/run/dpdk/{prefix}/dpdk_telemetry.v2')
        self.s.recv(4096)

    def get(self, cmd):
        self.s.send(cmd.encode())
        return self.json.loads(self.s.recv(1 << 20))[cmd.split(',')[0]] or {}


class BirdCli:
    """BIRD's control socket spoken directly: a birdc process per poll
    would cost the CPUs being measured tens of milliseconds each time."""

    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(10)
        self.s.connect(path)
        self.buf = b''
        self._reply()  # the greeting: 0001 BIRD ... ready.

    def _reply(self):
        lines = []
        while True:
            while b'\n' not in self.buf:
                d = self.s.recv(65536)
                if not d:
                    raise EOFError('BIRD closed its CLI')
                self.buf += d
            line, self.buf = self.buf.split(b'\n', 1)
            text = line.decode(errors='replace')
            lines.append(text[5:] if len(text) >= 5 and text[:4].isdigit() else text[1:])
            # the last line of a reply: four digits and a space
            if len(text) >= 5 and text[:4].isdigit() and text[4] == ' ':
                return lines

    def cmd(self, text):
        self.s.sendall(text.encode() + b'\n')
        return self._reply()

    def imported(self, proto):
        """(session up, routes imported) from 'show protocols all PROTO'."""
        up, n = False, 0
        for line in self.cmd(f'show protocols all {proto}'):
            w = line.split()
            if 'Established' in w:
                up = True
            if len(w) > 2 and w[0] == 'Routes:' and w[2] == 'imported,':
                n = int(w[1])
        return up, n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('-n', type=int, default=1000000)
    ap.add_argument('--build', default=os.path.join(os.path.dirname(__file__), '..', 'build'))
    ap.add_argument('--timeout', type=float, default=300)
    ap.add_argument('--uniform', action='store_true',
                    help='the old feed: one AS path for every prefix (large UPDATEs)')
    ap.add_argument('--show', type=int, default=0,
                    help='print the first SHOW routes (a power of 2) at the BIRD receiver')
    ap.add_argument('--punt-rate', type=int, default=None,
                    help="vx0d's exception_path.rate_pps (default: vx0d's own, 10000)")
    ap.add_argument('--one-lcore', action='store_true',
                    help='vx0d on one lcore with the ctl, rx and tx roles')
    ap.add_argument('--perf', help='perf record vx0d during the load into this file')
    ap.add_argument('--poke-ms', type=int, default=50,
                    help='connect to the live feeder\'s CLI socket every MS ms during the load '
                    '(0: never)')
    ap.add_argument('--replay', action='store_true',
                    help='record the BIRD feeder\'s UPDATEs once (cached in /tmp), then replay '
                    'them to the receivers with tools/bgp-replay.py')
    ap.add_argument('--pin', action='store_true',
                    help='the feeder alone on CPU 0, the receivers on CPU 1')
    ap.add_argument('--pcap', help='tcpdump (headers) the feeder\'s links to the receivers into '
                    'PCAP.<receiver>.pcap, to look at windows, losses and stalls')
    ap.add_argument('--seed', type=int, default=4, help='of the varied feed')
    ap.add_argument('--receiver', choices=('both', 'vx0', 'bird', 'vx0d', 'race', 'all'),
                    default='both',
                    help='feed one receiver at a time for a feeder-independent time')
    args = ap.parse_args()
    want = {'both': ('vx0', 'bird'), 'race': ('bird', 'vx0d'),
            'all': ('vx0', 'bird', 'vx0d')}.get(
        args.receiver, (args.receiver,))
    speaker = os.path.join(args.build, 'test', 'bgp_speaker')
    tag = f'vx0bb{os.getpid() % 100000}'
    nsf, nsv, nsr, nsd = tag + 'f', tag + 'v', tag + 'r', tag + 'd'
    d = tempfile.mkdtemp(prefix=tag)
    procs = []
    node = None
    try:
        for ns in (nsf, nsv, nsr, nsd):
            sh('ip', 'netns', 'add', ns)
            sh('ip', '-n', ns, 'link', 'set', 'lo', 'up')
        for (a, b, ia, ib) in ((nsf, nsv, '198.51.100.1/30', '198.51.100.2/30'),
                               (nsf, nsr, '198.51.100.5/30', '198.51.100.6/30'),
                               (nsf, nsd, '198.51.100.9/30', None)):
            va, vb = a[-6:] + b[-1] + 'a', a[-6:] + b[-1] + 'b'
            sh('ip', 'link', 'add', va, 'netns', a, 'type', 'veth', 'peer', 'name', vb, 'netns', b)
            sh('ip', '-n', a, 'addr', 'add', ia, 'dev', va)
            if ib is None:  # vx0d's port: af_packet sees frames without offloads
                for ns, ifn in ((a, va), (b, vb)):
                    sh('ip', 'netns', 'exec', ns, 'ethtool', '-K', ifn, 'tx', 'off', 'tso', 'off',
                       'gso', 'off')
                dport = vb
            else:
                sh('ip', '-n', b, 'addr', 'add', ib, 'dev', vb)
            sh('ip', '-n', a, 'link', 'set', va, 'up')
            sh('ip', '-n', b, 'link', 'set', vb, 'up')
        # feeder: N /24 statics, each with its own attributes (or, with
        # --uniform, one AS path prepended in the export filter for all)
        with open(os.path.join(d, 'feed.conf'), 'w') as f:
            f.write('router id 198.51.100.1;\nprotocol device {}\n'
                    'protocol static feed { ipv4;\n')
            if args.uniform:
                for i in range(args.n):
                    f.write(f'route {prefix24(i)} blackhole;\n')
                stats = None
            else:
                stats = write_feed(f, args.n, args.seed)
            f.write('}\n')
            export = ('filter { bgp_path.prepend(64512); bgp_path.prepend(64513); accept; }'
                      if args.uniform else 'all')
            for name, peer, local, asn in (('vx0', '198.51.100.2', '198.51.100.1', 65001),
                                           ('rcv', '198.51.100.6', '198.51.100.5', 65003),
                                           ('vx0d', '198.51.100.10', '198.51.100.9', 65004)):
                # --replay: the feeder sends to the recorder (in V) alone
                if {'rcv': 'bird'}.get(name, name) not in (('vx0',) if args.replay else want):
                    continue
                # sessions start once the feeder's table is complete (below)
                f.write(f'protocol bgp {name} {{ disabled; local {local} as 65002; '
                        f'neighbor {peer} as {asn};\n'
                        f'  ipv4 {{ import none; export {export}; }}; }}\n')
        if stats:
            print('feed: %d prefixes in %d runs, %d distinct AS paths, %d distinct attribute sets, '
                  'mean path length %.2f (+ the feeder\'s AS), %d%% with MED (removed by the feeder\'s '
                  'eBGP export), %d%% with communities'
                  % stats, flush=True)
        with open(os.path.join(d, 'rcv.conf'), 'w') as f:
            f.write('router id 198.51.100.6;\nprotocol device {}\n'
                    'protocol bgp feed { local 198.51.100.6 as 65003; neighbor 198.51.100.5 as 65002;\n'
                    '  ipv4 { import all; export none; }; }\n')
        cfg = os.path.join(d, 'vx0.json')
        ctl = os.path.join(d, 'vx0.ctl')
        with open(cfg, 'w') as f:
            f.write('{"local_as": 65001, "router_id": "198.51.100.2", "control": "%s",'
                    ' "peers": [{"name": "feed", "address": "198.51.100.1", "remote_as": 65002,'
                    ' "passive": %s}]}' % (ctl, 'false' if args.replay else 'true'))

        def spawn(ns, argv, log):
            p = subprocess.Popen(['ip', 'netns', 'exec', ns] + argv,
                                 stdout=open(os.path.join(d, log), 'w'), stderr=subprocess.STDOUT)
            procs.append(p)
            return p

        replay = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'bgp-replay.py')
        fctl = os.path.join(d, 'feed.ctl')

        def fed():
            try:  # the feeder's static protocol (its CLI socket may not be up yet)
                cli = BirdCli(fctl)
            except OSError:
                return False
            try:
                return cli.imported('feed')[1] >= args.n
            except (OSError, EOFError):
                return False
            finally:
                cli.s.close()
        if args.replay:
            feedfile = os.path.join(tempfile.gettempdir(), 'vx0-bgp-feed-%d-%s.bin' % (
                args.n, 'uniform' if args.uniform else f'seed{args.seed}'))
            if not os.path.exists(feedfile):
                # record the BIRD feeder's UPDATEs once, in its table order
                rec = spawn(nsv, [sys.executable, replay, 'record', '--listen', '198.51.100.2',
                                  '--as', '65001', '--id', '198.51.100.2', '-n', str(args.n),
                                  '--out', feedfile], 'record.log')
                bird_feeder = spawn(nsf, ['bird', '-f', '-c', os.path.join(d, 'feed.conf'), '-s',
                                          fctl], 'feed-record.log')
                bgp_lab.wait_for(fed, 120, step=0.2, what='the feeder\'s table')
                sh('birdc', '-s', fctl, 'enable', 'vx0')
                rec.wait(timeout=args.timeout)
                bird_feeder.terminate()
                bird_feeder.wait(timeout=10)
                with open(os.path.join(d, 'record.log')) as f:
                    print('replay feed: ' + f.read().strip(), flush=True)
                if rec.returncode != 0:
                    raise SystemExit('recording the feed failed')
            print(f'replay feed: {feedfile} ({os.path.getsize(feedfile)} bytes)', flush=True)
        # --pin: the feeder alone on CPU 0, every receiver on CPU 1
        rpin = ['taskset', '-c', '1'] if args.pin else []
        sp = spawn(nsv, rpin + [speaker, cfg], 'vx0.log') if 'vx0' in want else None
        rcv = spawn(nsr, rpin + ['bird', '-f', '-c', os.path.join(d, 'rcv.conf'), '-s',
                          os.path.join(d, 'rcv.ctl')], 'rcv.log')
        tel = None
        if 'vx0d' in want:
            vx0lab.VX0D = os.path.join(os.path.abspath(args.build), 'app', 'vx0d', 'vx0d')
            conf = {
                'eal': ['--no-huge', '-m', '1024', '--no-pci', '--file-prefix', tag + 'd',
                        '--lcores', ('0@1' if args.one_lcore else '0@1,1@1') if args.pin else
                        ('0@(0-1)' if args.one_lcore else '0@(0-1),1@(0-1)'),
                        '--log-level', 'pmd.net.tap:critical'],
                'lcores': ([{'id': 0, 'roles': ['ctl', 'rx', 'tx']}] if args.one_lcore else
                           [{'id': 0, 'roles': ['ctl']}, {'id': 1, 'roles': ['rx', 'tx']}]),
                'fib': {'max_routes4': max(args.n + 1024, 1100000)},
                'ports': [{'name': 'f', 'device': f'net_af_packet0,iface={dport}',
                           'addresses': ['198.51.100.10/30']}],
                'bgp': {'as': 65004, 'router_id': '198.51.100.10',
                        'peers': [{'name': 'feed', 'address': '198.51.100.9', 'as': 65002,
                                   'families': ['ipv4']}]},
            }
            if args.punt_rate:
                conf['exception_path'] = {'rate_pps': args.punt_rate, 'burst': 1024}
            node = vx0lab.Vx0d(None, nsd, conf, 'bb')
            tel = Telemetry(tag + 'd')
            vx0d_base = rss_kb(node.proc.pid)
        pids = {'bird': rcv.pid}
        if sp is not None:
            bgp_lab.wait_for(lambda: os.path.exists(ctl), 10, what='speaker')
            sp_obj = bgp_lab.Speaker.__new__(bgp_lab.Speaker)
            sp_obj.ctl_path = ctl
            bgp_lab.wait_for(lambda: sp_obj.ctl('summary'), 10, what='speaker socket')
            base_rss = sp_obj.ctl('summary')['rss_kb']
            pids['vx0'] = sp.pid
        time.sleep(0.5)
        rcv_base = rss_kb(rcv.pid)
        if node is not None:
            pids['vx0d'] = node.proc.pid
            vx0d_base = rss_kb(node.proc.pid)
            fib_base = tel.get('/vx0/fib').get('ipv4_resident_bytes', 0)
            ctl_cpu0 = cpu_s(node.proc.pid, node.proc.pid)
        cpu0 = {k: cpu_s(p) for k, p in pids.items()}
        extra = {}
        gofile = os.path.join(d, 'go')
        fpin = ['taskset', '-c', '0'] if args.pin else []
        if args.replay:
            links = {'vx0': '198.51.100.1', 'bird': '198.51.100.5', 'vx0d': '198.51.100.9'}
            feeder = spawn(nsf, fpin + [sys.executable, replay, 'serve', '--feed', feedfile,
                                        '--as', '65002', '--id', '198.51.100.1', '--go', gofile,
                                        '--link', ','.join(links[k] for k in want)], 'feed.log')
        else:
            feeder = spawn(nsf, fpin + ['bird', '-f', '-c', os.path.join(d, 'feed.conf'), '-s',
                                        fctl], 'feed.log')
            # BIRD's static protocol announces its routes over a few seconds: a
            # session up before that would wait for the feeder's tail
            bgp_lab.wait_for(fed, 120, step=0.2, what='the feeder\'s table')
        perf = None
        if args.perf and node is not None:
            perf = subprocess.Popen(['perf', 'record', '-q', '-e', 'cpu-clock', '-g', '-o',
                                     args.perf, '-p', str(node.proc.pid)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(0.5)
        if args.pcap:
            for name, peer in (('vx0', nsv), ('bird', nsr), ('vx0d', nsd)):
                if name in want:
                    procs.append(subprocess.Popen(
                        ['ip', 'netns', 'exec', nsf, 'tcpdump', '-q', '-s', '96', '-U', '-i',
                         nsf[-6:] + peer[-1] + 'a', '-w', f'{args.pcap}.{name}.pcap', 'tcp'],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            time.sleep(1)
        poke_stop = threading.Event()

        def poke():
            while not poke_stop.wait(args.poke_ms / 1000.0):
                try:
                    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as c:
                        c.settimeout(1)
                        c.connect(fctl)
                        c.recv(256)
                except OSError:
                    pass
        poker = (threading.Thread(target=poke, daemon=True)
                 if args.poke_ms and not args.replay else None)
        if poker:
            poker.start()
        feed_cpu0 = cpu_s(feeder.pid)
        t_start = time.monotonic()
        for name in ('vx0', 'rcv', 'vx0d'):
            if {'rcv': 'bird'}.get(name, name) in want and not args.replay:
                sh('birdc', '-s', fctl, 'enable', name)
        res = {}
        t_est = {}
        deadline = time.monotonic() + args.timeout
        for k in ('vx0', 'bird', 'vx0d'):
            if k not in want:
                res[k] = None
        t999 = {}
        bird_cli = None

        def note(k, count):
            # 99.9 %: BIRD sometimes leaves the last UPDATEs it has read for
            # a later turn of its loop; this shows the bulk without that tail
            if k in t_est and k not in t999 and count >= args.n * 0.999:
                t999[k] = now - t_est[k]
        while len(res) < 3 and time.monotonic() < deadline:
            now = time.monotonic()
            if args.replay and 'go' not in t_est and os.path.exists(gofile):
                # from the replay's first byte: every session is up by then
                with open(gofile) as f:
                    t_est['go'] = float(f.read())
                for k in want:
                    t_est[k] = t_est['go']
            if 'vx0d' not in res:
                if 'vx0d' not in t_est:
                    # (the neighbour table takes the ctl lock: asked only
                    # until Established; /vx0/fib is read without it)
                    nb = tel.get('/vx0/bgp/neighbors').get('p0', [])
                    if len(nb) > 1 and nb[1] == 'Established':
                        t_est['vx0d'] = now
                fib = tel.get('/vx0/fib')
                now = time.monotonic()  # each receiver stamped when its answer came
                note('vx0d', fib.get('ipv4_routes', 0))
                if fib.get('ipv4_routes', 0) >= args.n and 'vx0d' in t_est:
                    res['vx0d'] = (now - t_est['vx0d'], rss_kb(node.proc.pid), vx0d_base,
                                   cpu_s(node.proc.pid) - cpu0['vx0d'])
                    extra['ctl_cpu'] = cpu_s(node.proc.pid, node.proc.pid) - ctl_cpu0
                    extra['fib'] = fib.get('ipv4_resident_bytes', 0) - fib_base
            if 'vx0' not in res:
                n = sp_obj.ctl('neighbors')[0]
                s = sp_obj.ctl('summary')
                now = time.monotonic()
                if n['state'] == 'Established' and 'vx0' not in t_est:
                    t_est['vx0'] = now - n['uptime_ms'] / 1000.0
                note('vx0', s['routes'])
                if s['routes'] >= args.n:
                    extra['vx0_updates'] = n.get('updates_in')
                    res['vx0'] = (now - t_est['vx0'], s['rss_kb'], base_rss,
                                  cpu_s(sp.pid) - cpu0['vx0'])
            if 'bird' not in res:
                # the channel's import counter: O(1) for BIRD, where 'show route
                # count' walks the table (it would slow down what it measures)
                if bird_cli is None:
                    bird_cli = BirdCli(os.path.join(d, 'rcv.ctl'))
                up, count = bird_cli.imported('feed')
                now = time.monotonic()
                if up and 'bird' not in t_est:
                    t_est['bird'] = now
                note('bird', count)
                if count >= args.n and 'bird' in t_est:
                    res['bird'] = (now - t_est['bird'], rss_kb(rcv.pid), rcv_base,
                                   cpu_s(rcv.pid) - cpu0['bird'])
            time.sleep(0.01)
        feed_cpu = cpu_s(feeder.pid) - feed_cpu0
        if poker:
            poke_stop.set()
            poker.join()
        if perf is not None:
            perf.send_signal(2)
            perf.wait(timeout=60)
        print(f'feed: {args.n} IPv4 prefixes, '
              + ('one AS path for all (prepended in the export filter)' if args.uniform else
                 f'varied attributes (seed {args.seed})')
              + f'; feeder start to now {time.monotonic() - t_start:.1f} s, feeder CPU {feed_cpu:.2f} s')
        for k, v in res.items():
            if v is None:
                continue
            dt, rss, base, cpu = v
            if k == 'vx0' and extra.get('vx0_updates'):
                print(f'       vx0: {extra["vx0_updates"]} UPDATEs received')
            print(f'{k:5s}: Established -> last route {dt:6.2f} s (99.9 % {t999.get(k, dt):.2f} s), '
                  f'CPU {cpu:6.2f} s, '
                  f'RSS {rss / 1024:7.1f} MiB (base {base / 1024:.1f} MiB, '
                  f'+{(rss - base) * 1024 / args.n:.0f} B/route)')
            if k == 'vx0d':
                fib = extra['fib']
                print(f'       vx0d: ctl lcore CPU {extra["ctl_cpu"]:.2f} s (the rest: the rx/tx '
                      f'lcore polling, EAL threads); IPv4 FIB tables resident '
                      f'+{fib / args.n:.0f} B/route; control plane (RSS growth less the FIB) '
                      f'+{((rss - base) * 1024 - fib) / args.n:.0f} B/route')
        if node is not None:
            port = tel.get('/vx0/port,f')
            drops = {k: v for k, v in tel.get('/vx0/drops').items() if v}
            print(f'       vx0d port: {port.get("hw_ipackets")} frames in, {port.get("hw_opackets")} '
                  f'out, {port.get("hw_imissed")} missed, {port.get("tx_dropped")} tx drops; '
                  f'drops {drops}')
        retr = sh('ip', 'netns', 'exec', nsf, 'nstat', '-az', 'TcpRetransSegs', check=False).stdout
        print('       feeder TCP: ' + ' '.join(
            f'{w[0]} {w[1]}' for w in (line.split() for line in retr.split('\n'))
            if len(w) > 1 and w[0].startswith('Tcp')))
        if args.show and res.get('bird'):
            print(sh('birdc', '-s', os.path.join(d, 'rcv.ctl'), 'show', 'route', 'in',
                     f'1.0.0.0/{32 - max(0, args.show - 1).bit_length() - 8}', 'all').stdout)
        for k in ('vx0', 'bird', 'vx0d'):
            if k not in res:
                print(f'{k}: did not load all routes within {args.timeout} s')
    finally:
        if node is not None:
            node.stop()
        for p in procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
        for ns in (nsf, nsv, nsr, nsd):
            sh('ip', 'netns', 'del', ns, check=False)
        shutil.rmtree(d, ignore_errors=True)


if __name__ == '__main__':
    main()
