"""Lab helpers for dts suites: network namespaces, veths, vx0d, telemetry.

Everything a test creates carries a per-run prefix and is removed in
teardown; traffic stays inside the namespaces (addresses from
198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32). Only PIDs started here
are signalled.
"""
import json
import os
import signal
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("VX0_BUILD", os.path.join(ROOT, "build"))
VX0D = os.path.join(BUILD, "app", "vx0d", "vx0d")
PY = "/usr/bin/python3"


def sh(*args, check=True, **kw):
    return subprocess.run(list(args), check=check, capture_output=True, text=True, **kw)


def wait_for(cond, timeout=10.0, interval=0.05, what="condition"):
    """Poll cond() until it is truthy or the deadline passes."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = cond()
        if last:
            return last
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


class Netns:
    """A set of namespaces and veths named with one prefix, all removed by close()."""

    def __init__(self, tag):
        self.prefix = f"vx0{tag}{os.getpid() % 100000}"
        self.names = []

    def ns(self, name):
        full = f"{self.prefix}{name}"
        sh("ip", "netns", "add", full)
        self.names.append(full)
        sh("ip", "netns", "exec", full, "ip", "link", "set", "lo", "up")
        return full

    def veth(self, ns_a, if_a, ns_b, if_b):
        sh("ip", "link", "add", if_a, "netns", ns_a, "type", "veth", "peer", "name", if_b,
           "netns", ns_b)
        for ns, ifn in ((ns_a, if_a), (ns_b, if_b)):
            self.run(ns, "ip", "link", "set", ifn, "up")

    def offload_off(self, ns, *ifs):
        """af_packet sees what the stack hands a veth: no checksum or
        segmentation offload, or the frames on the wire are incomplete."""
        for ifn in ifs:
            self.run(ns, "ethtool", "-K", ifn, "tx", "off", "tso", "off", "gso", "off")

    def host(self, ns, ifn, addr4, gw4, addr6=None, gw6=None):
        """A test host: addresses on its veth, default routes via the node."""
        self.offload_off(ns, ifn)
        self.run(ns, "ip", "addr", "add", addr4, "dev", ifn)
        self.run(ns, "ip", "route", "add", "default", "via", gw4)
        if addr6:
            self.run(ns, "ip", "addr", "add", addr6, "dev", ifn, "nodad")
            self.run(ns, "ip", "-6", "route", "add", "default", "via", gw6)

    def gateway_pair(self, v6=True):
        """Two hosts behind two gateways: A (198.51.100.2/25, 2001:db8:a::2)
        - X = Y - B (198.51.100.130/25, 2001:db8:c::2), for nodes in X and Y
        joined by their WAN veth (the ESP, IKE and capture labs). Returns
        (nsx, nsy, nsa, nsb, (ha, xa, hb, ya, xw, yw)): the namespaces and the
        veth ends (host A's, X's toward A, host B's, Y's toward B, X's and
        Y's WAN ends), offloads off on every end af_packet reads."""
        nsx, nsy, nsa, nsb = self.ns("X"), self.ns("Y"), self.ns("A"), self.ns("B")
        p = self.prefix[-7:]
        ha, xa, hb, ya, xw, yw = (f"h{p}a", f"x{p}a", f"h{p}b", f"y{p}a", f"x{p}w", f"y{p}w")
        self.veth(nsa, ha, nsx, xa)
        self.veth(nsb, hb, nsy, ya)
        self.veth(nsx, xw, nsy, yw)
        six = (("2001:db8:a::2/64", "2001:db8:a::1"), ("2001:db8:c::2/64", "2001:db8:c::1"))
        self.host(nsa, ha, "198.51.100.2/25", "198.51.100.1", *(six[0] if v6 else ()))
        self.host(nsb, hb, "198.51.100.130/25", "198.51.100.129", *(six[1] if v6 else ()))
        self.offload_off(nsx, xa, xw)
        self.offload_off(nsy, ya, yw)
        return nsx, nsy, nsa, nsb, (ha, xa, hb, ya, xw, yw)

    def run(self, ns, *args, check=True, timeout=30):
        return sh("ip", "netns", "exec", ns, *args, check=check, timeout=timeout)

    def close(self):
        for n in reversed(self.names):
            sh("ip", "netns", "del", n, check=False)
        self.names = []


def mgmt_requests(path, *reqs, raw=None, timeout=5):
    """Requests over vx0d's management socket, one reply (a dict) each.
    A request is {"cmd": NAME, **args}; raw sends those bytes as they are."""
    import socket

    def wire(r):
        r = dict(r)
        cmd = r.pop("cmd", None)
        return json.dumps({"cmd": cmd, "args": r} if cmd else r).encode() + b"\n"

    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    out, want = b"", max(len(reqs), 1)
    try:
        s.sendall(raw if raw is not None else b"".join(wire(r) for r in reqs))
        while out.count(b"\n") < want:
            chunk = s.recv(1 << 20)
            if not chunk:
                break
            out += chunk
    finally:
        s.close()
    return [json.loads(l) for l in out.splitlines() if l.strip()]


def scrape_ns(netns, ns, url):
    """GET a Prometheus exposition from inside namespace ns: (text, samples
    as parse_exposition gives them)."""
    code = ("import urllib.request,sys;"
            "sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())")
    out = netns.run(ns, PY, "-c", code, url).stdout
    return out, parse_exposition(out)


def parse_exposition(text):
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        name_labels, _, value = line.rpartition(" ")
        labels = {}
        if "{" in name_labels:
            name, _, rest = name_labels.partition("{")
            for part in rest.rstrip("}").split('",'):
                if part:
                    k, _, v = part.partition('="')
                    labels[k] = v.rstrip('"')
        else:
            name = name_labels
        out[(name, frozenset(labels.items()))] = float(value)
    return out


def metric(samples, name, **labels):
    return samples[(name, frozenset(labels.items()))]


def stop_proc(proc, timeout=10):
    """SIGTERM a process we started, then SIGKILL if it does not go; its exit code."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    return proc.returncode


class EventProc:
    """A process (e.g. vx0-client --events FILE) that writes JSON lines to a
    file; its stderr must be a pipe (read when it dies early)."""

    def __init__(self, proc, path, name="vx0-client"):
        self.proc, self.path, self.name = proc, path, name

    def events(self):
        if not os.path.exists(self.path):
            return []
        with open(self.path) as f:
            return [json.loads(line) for line in f if line.strip()]

    def wait_event(self, pred, timeout, what):
        def cond():
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.name} exited {self.proc.returncode}: "
                                     f"{self.proc.stderr.read()}")
            return [e for e in self.events() if pred(e)]
        return wait_for(cond, timeout, what=what)

    def stop(self):
        return stop_proc(self.proc)


class Vx0d:
    """vx0d running in a namespace with a generated config."""

    def __init__(self, netns, ns, conf, tag):
        self.netns, self.ns = netns, ns
        self.dir = tempfile.mkdtemp(prefix=f"vx0-{tag}-")
        self.prefix = f"vx0{tag}{os.getpid() % 100000}"
        conf = dict(conf)
        conf.setdefault("eal", ["--no-huge", "-m", "512", "--no-pci", "--file-prefix",
                                self.prefix, "--lcores", "0@(0-1),1@(0-1)",
                                "--log-level", "pmd.net.tap:critical"])
        conf.setdefault("stats_json", os.path.join(self.dir, "stats.json"))
        self.stats_path = conf["stats_json"]
        self.conf_path = os.path.join(self.dir, "node.json")
        with open(self.conf_path, "w") as f:
            json.dump(conf, f, indent=1)
        self.log = open(os.path.join(self.dir, "vx0d.log"), "w+")
        self.proc = subprocess.Popen(["ip", "netns", "exec", ns, VX0D, "-q", "-c", self.conf_path],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        self.sock = f"/var/run/dpdk/{self.prefix}/dpdk_telemetry.v2"
        wait_for(lambda: self.proc.poll() is not None or self._running(), 30,
                 what="vx0d to start")
        if self.proc.poll() is not None:
            raise RuntimeError(f"vx0d exited {self.proc.returncode}: {self.logtext()}")

    def _running(self):
        return "vx0d: running" in self.logtext()

    def logtext(self):
        self.log.flush()
        with open(self.log.name) as f:
            return f.read()

    def telemetry(self, *cmds):
        """Query /vx0/... through DPDK's own dpdk-telemetry.py; one dict per command."""
        p = subprocess.run(["dpdk-telemetry.py", "-f", self.prefix], input="\n".join(cmds) + "\n",
                           capture_output=True, text=True, timeout=20)
        objs = []
        for line in p.stdout.splitlines():
            line = line.strip()
            if line.startswith("{"):
                objs.append(json.loads(line))
        # the first object is the socket's greeting
        replies = [o for o in objs if any(k.startswith("/vx0") for k in o)]
        if len(replies) != len(cmds):
            raise RuntimeError(f"telemetry: {p.stdout!r} {p.stderr!r}")
        return [list(r.values())[0] for r in replies]

    def stop(self, timeout=20):
        """SIGTERM; returns (exit code, final stats)."""
        # ip netns exec execs vx0d: this PID is vx0d itself
        stop_proc(self.proc, timeout)
        stats = None
        if os.path.exists(self.stats_path):
            with open(self.stats_path) as f:
                stats = json.load(f)
        return self.proc.returncode, stats
