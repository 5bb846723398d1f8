"""Lab: vx0ctl, the operator's CLI, against a running vx0d (round trips,
--json equal to what dpdk-telemetry.py gets, exit codes) and against fake
telemetry sockets that answer garbage (clear errors, exit 4, no crash).
"""
import json
import os
import socket
import tempfile
import threading

import pytest

from mgmt_lab import VX0CTL, send_udp, start_lab, stop_lab, vx0ctl, wait_counter

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


@pytest.fixture(scope="module")
def lab():
    lab = start_lab("c", metrics=False)
    try:
        lab["net"].run(lab["A"], "ping", "-c", "1", "-W", "2", "203.0.113.2", check=False)
        lab["prefix"] = lab["node"].prefix
        yield lab
    finally:
        stop_lab(lab)


def ctl(lab, *args, **kw):
    return vx0ctl(*args, prefix=lab["prefix"], **kw)


def test_vx0ctl_show_fib_address(lab):
    r = ctl(lab, "show", "fib", "203.0.113.2")
    assert r.returncode == 0, r.stderr
    rows = dict(line.split(None, 1) for line in r.stdout.splitlines())
    mac_b = lab["net"].run(lab["B"], "cat", f"/sys/class/net/{lab['hb']}/address").stdout.strip()
    assert rows["address"] == "203.0.113.2"
    assert rows["result"] == "forward" and rows["port"] == "b"
    assert rows["mac"] == mac_b


def test_vx0ctl_json_equals_dpdk_telemetry(lab):
    for args, cmd in ((["show", "fib", "203.0.113.2"], "/vx0/fib,203.0.113.2"),
                      (["show", "port", "a"], "/vx0/port,a"),
                      (["show", "neigh"], "/vx0/neigh"),
                      (["show", "bgp"], "/vx0/bgp"),
                      (["raw", "/vx0/ports"], "/vx0/ports")):
        r = ctl(lab, "--json", *args)
        assert r.returncode == 0, r.stderr
        mine = json.loads(r.stdout)
        theirs = lab["node"].telemetry(cmd)[0]
        if cmd.startswith("/vx0/port,"):
            # counters may move between the two reads; the shape and names may not
            assert mine.keys() == theirs.keys() and mine["name"] == theirs["name"]
        else:
            assert mine == theirs, (mine, theirs)


def test_vx0ctl_show_tables(lab):
    r = ctl(lab, "show", "stats")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["stage", "packets", "bytes", "out", "bursts", "cycles/pkt"]
    stages = [l.split()[0] for l in lines[1:6]]
    assert stages == ["rx", "crypto", "onion", "tx", "ctl"]
    st = lab["node"].telemetry("/vx0/stats")[0]
    assert int(lines[1].split()[1]) <= st["rx_packets"]
    assert any(l.startswith("mbufs_total") for l in lines)
    r = ctl(lab, "show", "ports")
    assert r.returncode == 0, r.stderr
    ports = [l.split()[0] for l in r.stdout.splitlines()[1:]]
    assert ports == ["a", "b"]
    r = ctl(lab, "show", "lcores")
    assert r.returncode == 0, r.stderr
    rows = {l.split()[0]: l.split()[1] for l in r.stdout.splitlines()[1:]}
    assert rows["1"] == "rx,crypto,tx" and "ctl" in rows["0"]
    r = ctl(lab, "show", "neigh")
    assert r.returncode == 0
    assert r.stdout.splitlines()[0].split() == ["address", "port", "state", "mac"]
    assert any(l.split()[:2] == ["203.0.113.2", "b"] for l in r.stdout.splitlines())
    for args in (["show", "drops"], ["show", "punt"], ["show", "sa"], ["show", "bgp"],
                 ["show", "bgp", "neighbors"], ["show", "fib"], ["show", "lcore", "1"],
                 ["show", "bgp", "route", "203.0.113.0/24"]):
        r = ctl(lab, *args)
        assert r.returncode == 0, (args, r.stderr)
        assert r.stdout.strip(), args
    assert "total" in ctl(lab, "show", "drops").stdout
    assert ctl(lab, "show", "sa").stdout.strip() == "(none)"
    assert "bgp not configured" in ctl(lab, "show", "bgp", "route", "203.0.113.0/24").stdout


def test_vx0ctl_top_rates_from_deltas(lab):
    import subprocess
    p = subprocess.Popen([VX0CTL, "-f", lab["prefix"], "--json", "top", "-n", "3", "-i", "0.5"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(6):
            send_udp(lab, 50)
        out, err = p.communicate(timeout=20)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait(5)
    assert p.returncode == 0, err
    its = [json.loads(l) for l in out.splitlines()]
    assert [i["iteration"] for i in its] == [1, 2, 3]
    assert all(0.4 < i["interval_s"] < 2.0 for i in its)
    # 300 datagrams in about 1.5 s: some interval saw a clear rate
    assert max(i["stages"]["rx"]["packets_per_s"] for i in its) > 20
    assert set(its[0]["stages"]) == {"rx", "crypto", "onion", "tx", "ctl"}
    r = ctl(lab, "top", "-n", "1", "-i", "0.2")
    assert r.returncode == 0 and "pkts/s" in r.stdout and "drops/s" in r.stdout


@pytest.mark.parametrize("args,code,msg", [
    (["raw", "/vx0/nonexistent"], 3, "unknown command or it failed"),
    (["show", "port", "nosuch"], 3, "unknown command or it failed"),
    (["show", "fib", "not-an-address"], 3, "unknown command or it failed"),
    (["show", "lcore", "77"], 3, "unknown command or it failed"),
    (["bogus"], 1, "unknown command"),
    (["show"], 1, "show what?"),
    (["show", "fib", "a", "b"], 1, "show what?"),
    (["raw", "no-slash"], 1, "starts with /"),
    (["top", "-n", "x"], 1, "-n wants a count"),
    (["top", "-n", " 3"], 1, "-n wants a count"),
    (["top", "-n", "+3"], 1, "-n wants a count"),
    (["top", "-n", "1000001"], 1, "-n wants a count"),
    (["capture", "rx:a", "-c", " 5"], 1, "wants an integer from 0 to"),
    (["bgp", "add", "203.0.113.3", "4294967296"], 1, "AS a number"),
    (["bgp", "add", "203.0.113.3", " 65003"], 1, "AS a number"),
    (["-s", "/x", "show", "stats"], 1, "exclude each other"),
])
def test_vx0ctl_exit_codes(lab, args, code, msg):
    r = ctl(lab, *args)
    assert r.returncode == code, (r.stdout, r.stderr)
    assert msg in r.stderr


def test_vx0ctl_missing_socket():
    r = vx0ctl("show", "stats", prefix="vx0-no-such-prefix")
    assert r.returncode == 2
    assert "cannot connect to /var/run/dpdk/vx0-no-such-prefix/dpdk_telemetry.v2" in r.stderr
    r = vx0ctl("-s", "/nonexistent/sock", "show", "stats")
    assert r.returncode == 2 and "No such file" in r.stderr
    r = vx0ctl()
    assert r.returncode == 1
    r = vx0ctl("--help")
    assert r.returncode == 0
    for line in ("0  success", "1  usage error", "2  cannot connect", "3  the command failed",
                 "4  the reply"):
        assert line in r.stdout


def test_vx0ctl_leaves_dpdk_telemetry_working(lab):
    for _ in range(20):  # connections are closed: the socket's client limit is not hit
        assert ctl(lab, "show", "fib").returncode == 0
    a, = lab["node"].telemetry("/vx0/fib")
    assert a["ipv4_routes"] >= 2
    n0 = lab["node"].telemetry("/vx0/port,b")[0]["tx_packets"]
    send_udp(lab, 10)
    wait_counter(lambda: lab["node"].telemetry("/vx0/port,b")[0]["tx_packets"], n0 + 10)


# --- fake telemetry sockets: what a broken or hostile peer could send ---

class FakeTelemetry:
    """A SOCK_SEQPACKET server answering each connection with a script."""

    def __init__(self, greeting, reply):
        self.dir = tempfile.mkdtemp(prefix="vx0ctl-fake-")
        self.path = os.path.join(self.dir, "sock")
        self.srv = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.srv.bind(self.path)
        self.srv.listen(4)
        self.srv.settimeout(10)
        self.greeting, self.reply = greeting, reply
        self.t = threading.Thread(target=self.serve, daemon=True)
        self.t.start()

    def serve(self):
        try:
            c, _ = self.srv.accept()
        except OSError:
            return
        with c:
            c.settimeout(10)
            if self.greeting is not None:
                c.send(self.greeting)
            try:
                cmd = c.recv(1024).decode()
            except OSError:
                return
            if self.reply is not None:
                c.send(self.reply(cmd) if callable(self.reply) else self.reply)

    def close(self):
        self.srv.close()
        self.t.join(5)
        os.unlink(self.path)
        os.rmdir(self.dir)


GREET = json.dumps({"version": "DPDK 22.11.0", "pid": 1, "max_output_len": 16384}).encode()


def reply_for(value):
    return lambda cmd: json.dumps({cmd.split(",")[0]: value}).encode()


@pytest.mark.parametrize("greeting,reply,args,msg", [
    (b"{not json", None, ["show", "stats"], "not JSON"),
    (json.dumps({"version": "x"}).encode(), None, ["show", "stats"], "max_output_len"),
    (GREET, b"\xff\xfe garbage", ["show", "stats"], "not JSON"),
    (GREET, b"[1, 2", ["raw", "/vx0/stats"], "not JSON"),
    (GREET, b'{"/vx0/other": {}}', ["show", "stats"], "for another command"),
    (GREET, b'{"/vx0/stats": {}, "/x": 1}', ["show", "stats"], "one key"),
    (GREET, b"[]", ["show", "stats"], "one key"),
    (GREET, reply_for([1, 2, 3]), ["show", "stats"], "not an object"),
    (GREET, reply_for({"rx_cycles_per_packet": 1}), ["show", "stats"],
     "\"rx_packets\" is missing or not a counter"),
    (GREET, reply_for({"rx_cycles_per_packet": 1, "rx_packets": "many"}), ["show", "stats"],
     "not a counter"),
    (GREET, reply_for({"nothing": 1}), ["show", "stats"], "no stage counters"),
    (GREET, reply_for({"n0": ["a", "b"]}), ["show", "neigh"], "not an array of 4"),
    (GREET, reply_for({"n0": [1, 2, 3, 4]}), ["show", "neigh"], "non-string"),
    (GREET, reply_for({"x": -5}), ["show", "drops"], "not a counter"),
    (GREET, reply_for({"x": 99999999999999999999999}), ["show", "drops"], "not JSON"),
    (GREET, reply_for({"x": {"deep": True}}), ["show", "ports"], "not an array"),
    (GREET, reply_for("x" * 20000), ["raw", "/vx0/stats"], "more than the 16384 allowed"),
    (json.dumps({"max_output_len": 1 << 40}).encode(), None, ["show", "stats"], "max_output_len"),
    (GREET, b"", ["show", "stats"], "closed"),
])
def test_vx0ctl_rejects_bad_replies(greeting, reply, args, msg):
    f = FakeTelemetry(greeting, reply)
    try:
        r = vx0ctl("-s", f.path, *args)
    finally:
        f.close()
    # a clear message and a defined exit code, never a crash (negative = signal)
    assert r.returncode in (2, 4), (r.returncode, r.stderr)
    assert msg in r.stderr, r.stderr
    assert "vx0ctl: " in r.stderr


def test_vx0ctl_null_reply_is_exit_3():
    f = FakeTelemetry(GREET, reply_for(None))
    try:
        r = vx0ctl("-s", f.path, "show", "bgp")
    finally:
        f.close()
    assert r.returncode == 3 and "unknown command or it failed" in r.stderr


def test_vx0ctl_bash_completion():
    comp = os.path.join(ROOT, "tools", "vx0ctl.bash-completion")
    import subprocess
    script = (f"source {comp}\n"
              "COMP_WORDS=(vx0ctl show b); COMP_CWORD=2; _vx0ctl; echo ${COMPREPLY[@]}\n"
              "COMP_WORDS=(vx0ctl show bgp ''); COMP_CWORD=3; _vx0ctl; echo ${COMPREPLY[@]}\n"
              "COMP_WORDS=(vx0ctl ''); COMP_CWORD=1; _vx0ctl; echo ${COMPREPLY[@]}\n"
              "COMP_WORDS=(vx0ctl --js); COMP_CWORD=1; _vx0ctl; echo ${COMPREPLY[@]}\n"
              "COMP_WORDS=(vx0ctl route add 203.0.113.0/24 ''); COMP_CWORD=4; _vx0ctl; "
              "echo ${COMPREPLY[@]}\n"
              "COMP_WORDS=(vx0ctl -f p log level d); COMP_CWORD=5; _vx0ctl; echo ${COMPREPLY[@]}\n")
    r = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=10)
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["bgp"]
    assert lines[1].split() == ["neighbors", "route"]
    assert sorted(lines[2].split()) == ["bgp", "capture", "check", "ike", "log", "mgmt", "port",
                                        "raw", "reload", "route", "show", "top"]
    assert lines[3].split() == ["--json"]
    assert lines[4].split() == ["via", "drop"]
    assert lines[5].split() == ["debug"]


def test_vx0ctl_zz_daemon_gone_is_exit_2(lab):
    rc, stats = lab["node"].stop()
    assert rc == 0, lab["node"].logtext()
    assert stats["mbufs_in_use"] == 0
    r = ctl(lab, "show", "stats")
    assert r.returncode == 2 and "cannot connect" in r.stderr
