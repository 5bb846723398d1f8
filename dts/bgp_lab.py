"""Helpers for the BGP lab suites: namespaces, the vx0 bgp_speaker, BIRD."""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

BUILD = os.environ.get('VX0_BUILD', os.path.join(os.path.dirname(__file__), '..', 'build'))
SPEAKER = os.path.join(BUILD, 'test', 'bgp_speaker')


def sh(*args, check=True):
    return subprocess.run(args, check=check, capture_output=True, text=True)


def wait_for(cond, timeout=20.0, step=0.1, what='condition'):
    """Polls cond() until it returns a true value or the deadline passes."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = cond()
            if last:
                return last
        except (OSError, ValueError, KeyError, subprocess.CalledProcessError) as e:
            last = e
        time.sleep(step)
    raise AssertionError(f'timed out waiting for {what} (last: {last!r})')


class Lab:
    """Two namespaces joined by a veth: A (198.51.100.1, 2001:db8:b9::1) and B (.2, ::2)."""

    def __init__(self, tag):
        self.prefix = f'vx0bgp{tag}{os.getpid() % 100000}'
        self.a = self.prefix + 'a'
        self.b = self.prefix + 'b'
        self.dir = tempfile.mkdtemp(prefix=self.prefix)
        self.procs = []
        try:
            self._setup()
        except Exception:
            self.close()
            raise

    def _setup(self):
        va, vb = self.prefix[-9:] + 'x', self.prefix[-9:] + 'y'
        sh('ip', 'netns', 'add', self.a)
        sh('ip', 'netns', 'add', self.b)
        sh('ip', 'link', 'add', va, 'netns', self.a, 'type', 'veth', 'peer', 'name', vb,
           'netns', self.b)
        for ns, dev, last in ((self.a, va, 1), (self.b, vb, 2)):
            sh('ip', '-n', ns, 'link', 'set', 'lo', 'up')
            sh('ip', '-n', ns, 'addr', 'add', f'198.51.100.{last}/24', 'dev', dev)
            sh('ip', '-n', ns, 'addr', 'add', f'2001:db8:b9::{last}/64', 'dev', dev, 'nodad')
            sh('ip', '-n', ns, 'link', 'set', dev, 'up')
        self.dev_a, self.dev_b = va, vb

    def path(self, name):
        return os.path.join(self.dir, name)

    def spawn(self, ns, args, log):
        f = open(self.path(log), 'ab')
        p = subprocess.Popen((['ip', 'netns', 'exec', ns] if ns else []) + list(args),
                             stdout=f, stderr=f)
        self.procs.append(p)
        return p

    def stop(self, p, sig=signal.SIGTERM):
        if p.poll() is None:
            p.send_signal(sig)
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=10)

    def close(self):
        for p in self.procs:
            self.stop(p)
        for ns in (self.a, self.b):
            sh('ip', 'netns', 'del', ns, check=False)
        if os.environ.get('VX0_KEEP_LAB'):
            print('lab files kept in', self.dir)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)


class Speaker:
    """Our bgp_speaker in a namespace, with its control socket."""

    def __init__(self, lab, ns, cfg, name='vx0'):
        self.lab = lab
        self.ctl_path = lab.path(name + '.ctl')
        cfg = dict(cfg)
        cfg['control'] = self.ctl_path
        cfg.setdefault('dump_file', lab.path(name + '.rib.json'))
        self.cfg_path = lab.path(name + '.json')
        with open(self.cfg_path, 'w') as f:
            json.dump(cfg, f)
        self.log = name + '.log'
        self.proc = lab.spawn(ns, [SPEAKER, self.cfg_path], self.log)
        self.lab_ns = ns
        wait_for(lambda: os.path.exists(self.ctl_path), 10, what='speaker control socket')

    def ctl(self, cmd):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(5)
        s.connect(self.ctl_path)
        s.sendall(cmd.encode() + b'\n')
        data = b''
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        s.close()
        return json.loads(data)

    def neighbor(self, name):
        for n in self.ctl('neighbors'):
            if n['name'] == name:
                return n
        raise KeyError(name)

    def state(self, name):
        return self.neighbor(name)['state']

    def rib(self):
        return self.ctl('rib')

    def logtext(self):
        with open(self.lab.path(self.log), errors='replace') as f:
            return f.read()


class Bird:
    """BIRD 2 in the foreground with its own control socket."""

    def __init__(self, lab, ns, conf, name='bird'):
        self.lab, self.ns, self.name = lab, ns, name
        self.conf = lab.path(name + '.conf')
        self.sock = lab.path(name + '.ctl')
        with open(self.conf, 'w') as f:
            f.write(conf)
        self.start()

    def start(self):
        if os.path.exists(self.sock):
            os.unlink(self.sock)
        self.proc = self.lab.spawn(self.ns, ['bird', '-f', '-c', self.conf, '-s', self.sock],
                                   self.name + '.log')
        def ready():
            if self.proc.poll() is not None:
                with open(self.lab.path(self.name + '.log'), errors='replace') as f:
                    raise AssertionError('bird exited: ' + f.read()[-2000:])
            return os.path.exists(self.sock) and self.cmd('show status')
        wait_for(ready, 10, what='bird control socket')

    def cmd(self, *args):
        r = sh('birdc', '-s', self.sock, *args, check=False)
        if 'Unable to connect' in r.stdout + r.stderr:
            raise OSError('birdc: ' + r.stdout + r.stderr)
        return r.stdout

    def proto_state(self, proto):
        out = self.cmd('show', 'protocols', proto)
        for line in out.splitlines():
            if line.startswith(proto + ' '):
                return line.split()
        return []

    def established(self, proto):
        return 'Established' in self.proto_state(proto)

    def has_route(self, prefix, via=None):
        out = self.cmd('show', 'route', prefix)
        return prefix in out and (via is None or via in out)

    def route_text(self, prefix):
        return self.cmd('show', 'route', prefix, 'all')
