#!/usr/bin/python3
"""BGP load benchmark (lab, not CI): a BIRD feeder announces N IPv4 prefixes
to the vx0 bgp_speaker (RIB only), to vx0d (RIB and FIB) and to a BIRD
receiver side by side; prints, for each receiver, the time from Established
to the last route (for vx0d: the last route in the data plane's FIB) and the
RSS.

usage: tools/bgp-bench.py [-n 1000000] [--build build]
                          [--receiver both|vx0|bird|vx0d|all]
Topology: namespaces F (feeder BIRD), V (our speaker), R (BIRD receiver),
D (vx0d, its port an af_packet vdev on the veth); veths F-V 198.51.100.0/30,
F-R 198.51.100.4/30, F-D 198.51.100.8/30. The feeder's routes are blackhole
statics; nothing reaches a kernel FIB. 'both' is the speaker and BIRD.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'dts'))
import bgp_lab  # noqa: E402
import vx0lab  # noqa: E402


def sh(*a, check=True):
    return subprocess.run(a, check=check, capture_output=True, text=True)


def rss_kb(pid):
    with open(f'/proc/{pid}/status') as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    return -1


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
        return self.json.loads(self.s.recv(1 << 20))[cmd] or {}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('-n', type=int, default=1000000)
    ap.add_argument('--build', default=os.path.join(os.path.dirname(__file__), '..', 'build'))
    ap.add_argument('--timeout', type=float, default=300)
    ap.add_argument('--receiver', choices=('both', 'vx0', 'bird', 'vx0d', 'all'),
                    default='both',
                    help='feed one receiver at a time for a feeder-independent time')
    args = ap.parse_args()
    want = {'both': ('vx0', 'bird'), 'all': ('vx0', 'bird', 'vx0d')}.get(
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
        # feeder: N /24 statics, AS path prepended in the export filter
        with open(os.path.join(d, 'feed.conf'), 'w') as f:
            f.write('router id 198.51.100.1;\nprotocol device {}\n'
                    'protocol static feed { ipv4;\n')
            for i in range(args.n):
                f.write(f'route {1 + (i >> 16)}.{(i >> 8) & 255}.{i & 255}.0/24 blackhole;\n')
            f.write('}\n')
            for name, peer, local, asn in (('vx0', '198.51.100.2', '198.51.100.1', 65001),
                                           ('rcv', '198.51.100.6', '198.51.100.5', 65003),
                                           ('vx0d', '198.51.100.10', '198.51.100.9', 65004)):
                if {'rcv': 'bird'}.get(name, name) not in want:
                    continue
                f.write(f'protocol bgp {name} {{ local {local} as 65002; neighbor {peer} as {asn};\n'
                        '  ipv4 { import none; export filter { bgp_path.prepend(64512);'
                        ' bgp_path.prepend(64513); accept; }; }; }\n')
        with open(os.path.join(d, 'rcv.conf'), 'w') as f:
            f.write('router id 198.51.100.6;\nprotocol device {}\n'
                    'protocol bgp feed { local 198.51.100.6 as 65003; neighbor 198.51.100.5 as 65002;\n'
                    '  ipv4 { import all; export none; }; }\n')
        cfg = os.path.join(d, 'vx0.json')
        ctl = os.path.join(d, 'vx0.ctl')
        with open(cfg, 'w') as f:
            f.write('{"local_as": 65001, "router_id": "198.51.100.2", "control": "%s",'
                    ' "peers": [{"name": "feed", "address": "198.51.100.1", "remote_as": 65002,'
                    ' "passive": true}]}' % ctl)

        def spawn(ns, argv, log):
            p = subprocess.Popen(['ip', 'netns', 'exec', ns] + argv,
                                 stdout=open(os.path.join(d, log), 'w'), stderr=subprocess.STDOUT)
            procs.append(p)
            return p

        sp = spawn(nsv, [speaker, cfg], 'vx0.log')
        rcv = spawn(nsr, ['bird', '-f', '-c', os.path.join(d, 'rcv.conf'), '-s',
                          os.path.join(d, 'rcv.ctl')], 'rcv.log')
        tel = None
        if 'vx0d' in want:
            vx0lab.VX0D = os.path.join(os.path.abspath(args.build), 'app', 'vx0d', 'vx0d')
            node = vx0lab.Vx0d(None, nsd, {
                'eal': ['--no-huge', '-m', '1024', '--no-pci', '--file-prefix', tag + 'd',
                        '--lcores', '0@(0-1),1@(0-1)', '--log-level', 'pmd.net.tap:critical'],
                'lcores': [{'id': 0, 'roles': ['ctl']}, {'id': 1, 'roles': ['rx', 'tx']}],
                'fib': {'max_routes4': max(args.n + 1024, 1100000)},
                'ports': [{'name': 'f', 'device': f'net_af_packet0,iface={dport}',
                           'addresses': ['198.51.100.10/30']}],
                'bgp': {'as': 65004, 'router_id': '198.51.100.10',
                        'peers': [{'name': 'feed', 'address': '198.51.100.9', 'as': 65002,
                                   'families': ['ipv4']}]},
            }, 'bb')
            tel = Telemetry(tag + 'd')
            vx0d_base = rss_kb(node.proc.pid)
        bgp_lab.wait_for(lambda: os.path.exists(ctl), 10, what='speaker')
        sp_obj = bgp_lab.Speaker.__new__(bgp_lab.Speaker)
        sp_obj.ctl_path = ctl
        base_rss = sp_obj.ctl('summary')['rss_kb']
        time.sleep(0.5)
        rcv_base = rss_kb(rcv.pid)
        t_start = time.monotonic()
        spawn(nsf, ['bird', '-f', '-c', os.path.join(d, 'feed.conf'), '-s',
                    os.path.join(d, 'feed.ctl')], 'feed.log')
        res = {}
        t_est = {}
        deadline = time.monotonic() + args.timeout
        for k in ('vx0', 'bird', 'vx0d'):
            if k not in want:
                res[k] = None
        while len(res) < 3 and time.monotonic() < deadline:
            now = time.monotonic()
            if 'vx0d' not in res:
                nb = tel.get('/vx0/bgp/neighbors').get('p0', [])
                if len(nb) > 1 and nb[1] == 'Established' and 'vx0d' not in t_est:
                    t_est['vx0d'] = now
                if tel.get('/vx0/fib').get('ipv4_routes', 0) >= args.n and 'vx0d' in t_est:
                    res['vx0d'] = (now - t_est['vx0d'], rss_kb(node.proc.pid), vx0d_base)
            if 'vx0' not in res:
                s = sp_obj.ctl('summary')
                n = sp_obj.ctl('neighbors')[0]
                if n['state'] == 'Established' and 'vx0' not in t_est:
                    t_est['vx0'] = now - n['uptime_ms'] / 1000.0
                if s['routes'] >= args.n:
                    res['vx0'] = (now - t_est['vx0'], s['rss_kb'], base_rss)
            if 'bird' not in res:
                out = sh('birdc', '-s', os.path.join(d, 'rcv.ctl'), 'show', 'protocols', 'feed',
                         check=False).stdout
                if 'Established' in out and 'bird' not in t_est:
                    t_est['bird'] = now
                cnt = sh('birdc', '-s', os.path.join(d, 'rcv.ctl'), 'show', 'route', 'count',
                         check=False).stdout
                for tok in cnt.split('\n'):
                    w = tok.split()
                    if len(w) > 1 and w[0].isdigit() and 'routes' in tok:
                        total = int(w[0])
                        if total >= args.n and 'bird' in t_est:
                            res['bird'] = (now - t_est['bird'], rss_kb(rcv.pid), rcv_base)
            time.sleep(0.1)
        print(f'feed: {args.n} IPv4 prefixes (BIRD static, AS path prepended in the filter); '
              f'feeder start to now {time.monotonic() - t_start:.1f} s')
        for k, v in res.items():
            if v is None:
                continue
            dt, rss, base = v
            print(f'{k:5s}: Established -> last route {dt:6.2f} s, RSS {rss / 1024:7.1f} MiB '
                  f'(base {base / 1024:.1f} MiB, {(rss - base) * 1024 / args.n:.0f} B/route)')
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
