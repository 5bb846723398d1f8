"""Lab: vx0d's management socket (write commands) through vx0ctl: a drop
route added at run time blackholes a host's traffic (counted as
blackhole_route), deleting it restores forwarding; a route via a gateway
shows in the FIB lookup; connected routes are refused; the log level
changes; malformed requests are answered and the daemon keeps serving.
"""
import json
import os
import socket
import stat

import pytest

from mgmt_lab import start_lab, stop_lab, vx0ctl


@pytest.fixture(scope="module")
def lab():
    lab = start_lab("g", metrics=None)
    try:
        lab["net"].run(lab["A"], "ping", "-c", "1", "-W", "2", "203.0.113.2", check=False)
        lab["prefix"] = lab["node"].prefix
        lab["mgmt"] = os.path.join(os.path.dirname(lab["node"].sock), "vx0_mgmt.sock")
        yield lab
    finally:
        stop_lab(lab)


def ctl(lab, *args):
    return vx0ctl(*args, prefix=lab["prefix"])


def ping_ok(lab, addr="203.0.113.2"):
    return lab["net"].run(lab["A"], "ping", "-c", "1", "-W", "1", addr,
                          check=False).returncode == 0


def test_mgmt_socket_is_private(lab):
    st = os.stat(lab["mgmt"])
    assert stat.S_ISSOCK(st.st_mode)
    assert stat.S_IMODE(st.st_mode) == 0o600 and st.st_uid == os.getuid()


def test_mgmt_drop_route_blackholes_then_delete_restores(lab):
    assert ping_ok(lab)
    d0 = lab["node"].telemetry("/vx0/drops")[0]["blackhole_route"]
    r = ctl(lab, "route", "add", "203.0.113.2/32", "drop")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["type", "drop"]
    assert not ping_ok(lab)
    assert lab["node"].telemetry("/vx0/drops")[0]["blackhole_route"] >= d0 + 1
    assert lab["node"].telemetry("/vx0/fib,203.0.113.2")[0]["result"] == "drop"
    r = ctl(lab, "--json", "route", "get", "203.0.113.2/32")
    assert r.returncode == 0 and json.loads(r.stdout) == {"type": "drop"}
    r = ctl(lab, "route", "del", "203.0.113.2/32")
    assert r.returncode == 0, r.stderr
    assert ping_ok(lab)
    r = ctl(lab, "route", "get", "203.0.113.2/32")
    assert r.returncode == 3 and "no such route" in r.stderr


def test_mgmt_route_via_gateway_in_fib(lab):
    r = ctl(lab, "--json", "route", "add", "203.0.113.64/26", "via", "198.51.100.2")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"type": "forward", "port": "a", "via": "198.51.100.2"}
    fib = lab["node"].telemetry("/vx0/fib,203.0.113.70")[0]
    assert fib["result"] == "forward" and fib["port"] == "a" and fib["via"] == "198.51.100.2"
    # replacing it with a drop route, then deleting it: back to the connected /24
    assert ctl(lab, "route", "add", "203.0.113.64/26", "drop").returncode == 0
    assert lab["node"].telemetry("/vx0/fib,203.0.113.70")[0]["result"] == "drop"
    assert ctl(lab, "route", "del", "203.0.113.64/26").returncode == 0
    fib = lab["node"].telemetry("/vx0/fib,203.0.113.70")[0]
    assert fib["result"] != "drop" and fib["port"] == "b"


@pytest.mark.parametrize("args,code,msg", [
    (["route", "add", "198.51.100.0/24", "drop"], 3, "connected route"),
    (["route", "del", "198.51.100.1/32"], 3, "local route"),
    (["route", "del", "203.0.113.99/32"], 3, "no such route"),
    (["route", "add", "203.0.113.64/26", "via", "192.168.7.1"], 3, "on no connected subnet"),
    (["route", "add", "203.0.113.64/26", "via", "2001:db8::1"], 3, "via"),
    (["route", "add", "bogus", "drop"], 3, "\"prefix\" must be a prefix"),
    (["route", "add", "203.0.113.0/24"], 1, "route add PREFIX"),
    (["log", "level", "loud"], 3, "\"level\" must be"),
    (["mgmt", "no.such.cmd"], 3, "unknown command \"no.such.cmd\""),
    (["mgmt", "help", "[1]"], 1, "ARGS_JSON must be a JSON object"),
])
def test_mgmt_refusals(lab, args, code, msg):
    r = ctl(lab, *args)
    assert r.returncode == code, (r.stdout, r.stderr)
    assert msg in r.stderr


def test_mgmt_log_level_and_help(lab):
    r = ctl(lab, "--json", "log", "level")
    assert r.returncode == 0, r.stderr
    was = json.loads(r.stdout)["level"]
    r = ctl(lab, "--json", "log", "level", "debug")
    assert json.loads(r.stdout) == {"level": "debug", "previous": was}
    r = ctl(lab, "--json", "log", "level", was)
    assert json.loads(r.stdout) == {"level": was, "previous": "debug"}
    r = ctl(lab, "--json", "mgmt", "help")
    assert set(json.loads(r.stdout)) == {"help", "version", "stats", "log.level", "route.add",
                                         "route.del", "route.get", "neigh.add", "neigh.del",
                                         "bgp.shutdown", "bgp.start", "capture.start",
                                         "capture.stop", "capture.status", "dht.table",
                                         "dht.items", "dht.lookups", "dht.put", "dht.get",
                                         "dht.result", "ike.sas", "config.check",
                                         "config.reload", "mgmt.stats", "log.format",
                                         "bgp.peers", "bgp.neighbors", "bgp.peer.add",
                                         "bgp.peer.remove", "bgp.peer.reset", "ike.peers",
                                         "ike.initiate", "ike.terminate", "port.list",
                                         "port.set", "circuit.list", "circuit.destroy",
                                         "onion.descriptor", "onion.stats", "sa.list",
                                         "sa.add", "sa.del"}
    r = ctl(lab, "--json", "mgmt", "stats")
    assert json.loads(r.stdout)["stages"]["rx"]["packets"] > 0
    r = ctl(lab, "mgmt", "version")
    assert r.stdout.split() == ["version", "0.1.0"]


def test_mgmt_malformed_requests_answered(lab):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(lab["mgmt"])
    f = s.makefile("rwb")
    for line, want in ((b"garbage", "not JSON"), (b"[]", "a request is a JSON object"),
                       (b'{"cmd":"route.add","args":{"prefix":1}}', "\"prefix\" must be"),
                       (b"x" * 70000, "request line longer than 65536 bytes"),
                       (b'{"id":9,"cmd":"version"}', None)):
        f.write(line + b"\n")
        f.flush()
        rep = json.loads(f.readline())
        if want is None:
            assert rep == {"id": 9, "ok": True, "result": {"version": "0.1.0"}}
        else:
            assert rep["ok"] is False and want in rep["error"], rep
    s.close()
    assert ping_ok(lab)


def test_mgmt_zz_socket_removed_at_exit(lab):
    rc, stats = lab["node"].stop()
    assert rc == 0, lab["node"].logtext()
    assert stats["mbufs_in_use"] == 0
    assert not os.path.exists(lab["mgmt"])
    r = ctl(lab, "route", "get", "203.0.113.2/32")
    assert r.returncode == 2 and "cannot connect" in r.stderr


def test_mgmt_socket_unavailable_is_not_fatal():
    # a regular file where the socket goes: vx0d starts anyway (a warning),
    # leaves the file alone, and telemetry keeps working
    tag = "h"
    prefix = f"vx0{tag}{os.getpid() % 100000}"  # what Vx0d will use
    d = f"/var/run/dpdk/{prefix}"
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "vx0_mgmt.sock")
    with open(path, "w") as f:
        f.write("not a socket\n")
    lab = None
    try:
        lab = start_lab(tag)
        assert "no management socket" in lab["node"].logtext()
        r = vx0ctl("route", "get", "203.0.113.2/32", prefix=prefix)
        assert r.returncode == 2, r.stderr
        assert vx0ctl("show", "fib", prefix=prefix).returncode == 0
        with open(path) as f:
            assert f.read() == "not a socket\n"
    finally:
        if lab is not None:
            stop_lab(lab)
        if os.path.exists(path):
            os.unlink(path)
