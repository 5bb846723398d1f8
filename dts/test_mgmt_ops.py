"""Lab: vx0d's management operations (vx0ctl and the raw socket).

  host A ── port a [ vx0d ] port b ── host B
  198.51.100.2                         203.0.113.2

- access: the socket (mode 0666 here) refuses a client running as another
  user (nobody) with one JSON error line, counted; a reload that puts its
  uid on the allow-list lets it in;
- config check: valid / invalid (file:line: field) / valid but not
  reloadable (a static field changed);
- config reload: a drop route added by the file blackholes B, removing it
  restores traffic; a static change is refused naming the field and nothing
  of the same file is applied;
- ports: down stops traffic (counted as port_admin_down), up restores it;
- logs: JSON lines {"ts","level","lib","msg"} at run time, levels per library;
- bad requests (malformed, unknown command or argument, oversized, wrong
  types) get clear errors and the daemon keeps serving.
"""
import json
import os
import shutil
import subprocess
import tempfile

import pytest

from mgmt_lab import metric, scrape, start_lab, stop_lab, vx0ctl
from vx0lab import PY, mgmt_requests, wait_for

NOBODY = 65534
# connect as another user, print the first reply line (or the error)
AS_NOBODY = r"""
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(5)
try:
    s.connect(sys.argv[1])
    try:
        s.sendall(b'{"id":1,"cmd":"version"}\n')
    except BrokenPipeError:
        pass  # refused and closed already: its error line is still there to read
    data = b""
    while b"\n" not in data:
        b = s.recv(4096)
        if not b:
            break
        data += b
    print(data.decode().strip())
except OSError as e:
    print("OSError", e)
"""


@pytest.fixture(scope="module")
def lab():
    sockdir = tempfile.mkdtemp(prefix="vx0-mo-")
    os.chmod(sockdir, 0o755)  # others may reach the socket: its mode and SO_PEERCRED decide
    path = os.path.join(sockdir, "mgmt.sock")
    lab = start_lab("mo", metrics=("A", "198.51.100.1"), extra={
        "management": {"socket": path, "mode": "0666", "allow_uids": [4242]},
        "log": {"level": "info"}})
    try:
        lab["net"].run(lab["A"], "ping", "-c", "1", "-W", "2", "203.0.113.2", check=False)
        lab["mgmt"] = path
        with open(lab["node"].conf_path) as f:
            lab["conf"] = json.load(f)
        lab["tmp"] = sockdir
        yield lab
    finally:
        stop_lab(lab)
        shutil.rmtree(sockdir, ignore_errors=True)


def ctl(lab, *args):
    return vx0ctl("-m", lab["mgmt"], *args, prefix=lab["node"].prefix)


def req(lab, cmd, **args):
    return mgmt_requests(lab["mgmt"], dict(cmd=cmd, **args))[0]


def ping_ok(lab, addr="203.0.113.2"):
    return lab["net"].run(lab["A"], "ping", "-c", "1", "-W", "1", addr,
                          check=False).returncode == 0


def write_conf(lab, conf, name):
    p = os.path.join(lab["tmp"], name)
    with open(p, "w") as f:
        json.dump(conf, f, indent=1)
    return p


def as_nobody(lab):
    r = subprocess.run(["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
                        PY, "-c", AS_NOBODY, lab["mgmt"]], capture_output=True, text=True,
                       timeout=20)
    return r.stdout.strip()


def test_socket_file_mode_from_config(lab):
    st = os.stat(lab["mgmt"])
    assert oct(st.st_mode & 0o777) == "0o666"


def test_other_user_refused_then_allowed_by_reload(lab):
    before = req(lab, "mgmt.stats")["result"]["refused"]
    out = as_nobody(lab)
    rep = json.loads(out)
    assert rep["ok"] is False and rep["errno"] == 13
    assert "permission denied" in rep["error"]
    assert req(lab, "mgmt.stats")["result"]["refused"] == before + 1
    assert req(lab, "version")["ok"]  # the daemon keeps serving
    # the allow-list is dynamic: a reload adds nobody's uid
    conf = json.loads(json.dumps(lab["conf"]))
    conf["management"]["allow_uids"] = [4242, NOBODY]
    p = write_conf(lab, conf, "allow.json")
    r = ctl(lab, "--json", "reload", p)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["management"] is True
    rep = json.loads(as_nobody(lab))
    assert rep == {"id": 1, "ok": True, "result": {"version": "0.1.0"}}
    # and back: refused again
    p = write_conf(lab, lab["conf"], "orig.json")
    assert ctl(lab, "reload", p).returncode == 0
    assert json.loads(as_nobody(lab))["ok"] is False


def test_config_check(lab):
    r = ctl(lab, "--json", "check", lab["node"].conf_path)
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)
    assert rep["valid"] and rep["reloadable"] and rep["changes"] == 0 and rep["ports"] == 2
    conf = json.loads(json.dumps(lab["conf"]))
    conf["routes"] = [{"prefix": "203.0.113.0/33", "drop": True}]
    bad = write_conf(lab, conf, "bad.json")
    with open(bad) as f:
        line = 1 + f.read().split("203.0.113.0/33")[0].count("\n")
    r = ctl(lab, "check", bad)
    assert r.returncode == 3
    assert f"{bad}:{line}: routes[0].prefix" in r.stderr, r.stderr
    # text instead of a file, a syntax error: its line
    rep = req(lab, "config.check", text='{\n"lcores": [\n')
    assert rep["ok"] is False and rep["error"].startswith("text:3:"), rep
    # valid, but a static field changed: not reloadable, the field named
    conf = json.loads(json.dumps(lab["conf"]))
    conf["ports"][0]["addresses"] = ["198.51.100.1/25"]
    r = ctl(lab, "--json", "check", write_conf(lab, conf, "static.json"))
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)
    assert rep["valid"] and not rep["reloadable"]
    assert rep["reload_error"].startswith("ports[0].addresses: changes need a restart")
    # arguments are validated
    assert "give \"path\" or \"text\", not both" in req(lab, "config.check", path="/x",
                                                         text="{}")["error"]
    assert "\"path\" must be an absolute" in req(lab, "config.check", path="rel.json")["error"]
    assert "unknown argument \"file\"" in req(lab, "config.check", file="/x")["error"]


def test_reload_routes_follow_traffic(lab):
    assert ping_ok(lab)
    conf = json.loads(json.dumps(lab["conf"]))
    conf["routes"] = [{"prefix": "203.0.113.2/32", "drop": True}]
    r = ctl(lab, "reload", write_conf(lab, conf, "drop.json"))
    assert r.returncode == 0, r.stderr
    assert "203.0.113.2/32" in r.stdout and "1 change(s)" in r.stdout, r.stdout
    assert not ping_ok(lab)
    assert lab["node"].telemetry("/vx0/fib,203.0.113.2")[0]["result"] == "drop"
    # the original file again: the route goes, traffic flows
    r = ctl(lab, "--json", "reload", write_conf(lab, lab["conf"], "orig.json"))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["routes"] == {"added": [], "removed": ["203.0.113.2/32"]}
    assert ping_ok(lab)


def test_reload_static_change_refused_nothing_applied(lab):
    conf = json.loads(json.dumps(lab["conf"]))
    conf["routes"] = [{"prefix": "203.0.113.2/32", "drop": True}]
    conf["ports"][1]["device"] = conf["ports"][1]["device"].replace("iface=", "iface=x")
    r = ctl(lab, "reload", write_conf(lab, conf, "static.json"))
    assert r.returncode == 3
    assert "ports[1].device: changes need a restart" in r.stderr, r.stderr
    assert ping_ok(lab)  # the route in the same file was not applied
    # an invalid file: the parser's error, nothing applied
    conf = json.loads(json.dumps(lab["conf"]))
    conf["routes"] = [{"prefix": "203.0.113.2/32", "drop": True}, {"prefix": "x"}]
    r = ctl(lab, "reload", write_conf(lab, conf, "invalid.json"))
    assert r.returncode == 3 and "routes[1]" in r.stderr, r.stderr
    assert ping_ok(lab)
    st = req(lab, "mgmt.stats")["result"]
    assert st["reload_errors"] >= 2 and st["reloads"] >= 1


def test_port_down_stops_traffic_up_restores(lab):
    assert ping_ok(lab)
    d0 = lab["node"].telemetry("/vx0/drops")[0].get("port_admin_down", 0)
    r = ctl(lab, "port", "down", "b")
    assert r.returncode == 0, r.stderr
    r = ctl(lab, "--json", "port", "list")
    ports = {p["name"]: p for p in json.loads(r.stdout)["ports"]}
    assert ports["b"]["admin_up"] is False and ports["a"]["admin_up"] is True
    assert not ping_ok(lab)
    assert lab["node"].telemetry("/vx0/drops")[0]["port_admin_down"] > d0
    r = ctl(lab, "port", "list")
    assert r.returncode == 0 and r.stdout.splitlines()[0].split()[:3] == ["port", "admin", "up"]
    assert ctl(lab, "port", "up", "b").returncode == 0
    assert ping_ok(lab)
    for args, msg in (({"port": "zz", "up": True}, "\"port\" names no port"),
                      ({"port": "b", "up": "yes"}, "\"up\" must be true or false"),
                      ({"port": "b"}, "\"up\" must be true or false"),
                      ({"port": "b", "up": True, "speed": 1}, "unknown argument \"speed\"")):
        rep = req(lab, "port.set", **args)
        assert rep["ok"] is False and msg in rep["error"], rep
    r = ctl(lab, "port", "sideways", "b")
    assert r.returncode == 1


def test_json_log_lines_and_levels(lab):
    r = ctl(lab, "--json", "log", "format", "json")
    assert r.returncode == 0 and json.loads(r.stdout) == {"format": "json", "previous": "text"}
    mark = len(lab["node"].logtext())
    assert ctl(lab, "route", "add", "203.0.113.77/32", "drop").returncode == 0
    assert ctl(lab, "route", "del", "203.0.113.77/32").returncode == 0

    def lines():
        out = []
        for l in lab["node"].logtext()[mark:].splitlines():
            if l.startswith("{"):
                out.append(json.loads(l))
        return out
    got = wait_for(lambda: [o for o in lines() if "203.0.113.77/32 deleted" in o["msg"]], 5,
                   what="a JSON log line")
    o = got[0]
    assert set(o) == {"ts", "level", "lib", "msg"}
    assert o["lib"] == "mgmt" and o["level"] == "notice"
    assert o["msg"] == "route 203.0.113.77/32 deleted (management socket)"
    assert o["ts"].endswith("Z") and "T" in o["ts"]
    assert ctl(lab, "log", "format", "text").returncode == 0
    # per library
    r = ctl(lab, "--json", "log", "level", "debug", "bgp")
    assert r.returncode == 0 and json.loads(r.stdout)["lib"] == "bgp"
    r = ctl(lab, "--json", "log", "level")
    assert json.loads(r.stdout)["level"] == "debug"  # opened for bgp's debug
    r = ctl(lab, "--json", "log", "level", "info")
    assert json.loads(r.stdout) == {"level": "info", "previous": "debug"}
    for args, msg in (({"level": "loud"}, "\"level\" must be"),
                      ({"level": "info", "lib": "B G P"}, "\"lib\" must be a library name"),
                      ({"format": "xml"}, "unknown argument \"format\"")):
        rep = req(lab, "log.level", **args)
        assert rep["ok"] is False and msg in rep["error"], rep
    assert "\"format\" must be \"text\" or \"json\"" in req(lab, "log.format",
                                                             format="xml")["error"]
    # the log section reloads: JSON and debug from a file, back to text and info
    conf = json.loads(json.dumps(lab["conf"]))
    conf["log"] = {"level": "debug", "format": "json", "libs": {"mgmt": "warning"}}
    r = ctl(lab, "--json", "reload", write_conf(lab, conf, "log.json"))
    assert r.returncode == 0 and json.loads(r.stdout)["log"] is True, r.stderr
    assert req(lab, "log.format")["result"]["format"] == "json"
    assert req(lab, "log.level")["result"]["level"] == "debug"
    assert req(lab, "log.level", lib="mgmt")["result"]["level"] == "warning"
    assert ctl(lab, "reload", write_conf(lab, lab["conf"], "orig.json")).returncode == 0
    assert req(lab, "log.format")["result"]["format"] == "text"
    assert req(lab, "log.level")["result"]["level"] == "info"
    assert req(lab, "log.level", lib="mgmt")["result"]["level"] == "info"


def test_bad_requests_answered_daemon_serves(lab):
    reps = mgmt_requests(lab["mgmt"], raw=b"{broken\n" + b"[1,2]\n" + b'{"cmd":"no.such"}\n' +
                         b"y" * 70000 + b"\n" + b'{"cmd":"bgp.peers"}\n' +
                         b'{"cmd":"bgp.peer.reset","args":{"peer":"nope"}}\n' +
                         b'{"cmd":"ike.initiate","args":{"peer":"x"}}\n' +
                         b'{"cmd":"config.reload","args":{"path":7}}\n' +
                         b'{"id":5,"cmd":"version"}\n')
    assert len(reps) == 9, reps
    errs = [r.get("error", "") for r in reps[:8]]
    assert "not JSON" in errs[0]
    assert "a request is a JSON object" in errs[1]
    assert "unknown command \"no.such\"" in errs[2]
    assert "longer than 65536 bytes" in errs[3]
    assert "BGP is not configured" in errs[4]
    assert "BGP is not configured" in errs[5]
    assert "IKE is not configured" in errs[6]
    assert "\"path\" must be an absolute file name" in errs[7]
    # the older commands name unknown arguments too
    rep = req(lab, "route.add", prefix="203.0.113.9/32", drop=True, metric=5)
    assert rep["ok"] is False
    assert rep["error"] == "unknown argument \"metric\" (route.add takes: prefix, via, drop, sa)"
    assert lab["node"].telemetry("/vx0/fib,203.0.113.9")[0]["result"] != "drop"
    assert reps[8] == {"id": 5, "ok": True, "result": {"version": "0.1.0"}}
    assert ping_ok(lab)


def test_bash_completion_new_commands():
    comp = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tools",
                        "vx0ctl.bash-completion")
    cases = [("vx0ctl bgp ''", 2, ["peers", "add", "remove", "reset", "shutdown", "start"]),
             ("vx0ctl bgp reset 203.0.113.2 ''", 4, ["soft"]),
             ("vx0ctl port ''", 2, ["list", "up", "down"]),
             ("vx0ctl ike ''", 2, ["peers", "initiate", "terminate"]),
             ("vx0ctl log format ''", 3, ["text", "json"]),
             ("vx0ctl log ''", 2, ["level", "format"]),
             ("vx0ctl mgmt config.r", 2, ["config.reload"])]
    script = f"source {comp}\n" + "".join(
        f"COMP_WORDS=({w}); COMP_CWORD={n}; _vx0ctl; echo ${{COMPREPLY[@]}}\n"
        for w, n, _ in cases)
    r = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=10)
    lines = r.stdout.splitlines()
    assert len(lines) == len(cases), r.stderr
    for (w, _, want), got in zip(cases, lines):
        assert got.split() == want, w


def test_prometheus_has_the_management_counters(lab):
    as_nobody(lab)  # one more refusal, whatever ran before
    # (the scrape comes in through port a: b is the one set down)
    assert ctl(lab, "port", "down", "b").returncode == 0
    try:
        _, m = scrape(lab)
        assert metric(m, "vx0_port_admin_up", port="b") == 0
        assert metric(m, "vx0_port_admin_up", port="a") == 1
    finally:
        assert ctl(lab, "port", "up", "b").returncode == 0
    st = req(lab, "mgmt.stats")["result"]
    _, m = scrape(lab)
    assert metric(m, "vx0_mgmt_refused_clients_total") == st["refused"] >= 1
    assert metric(m, "vx0_mgmt_requests_total") >= st["requests"]
    assert metric(m, "vx0_config_reloads_total", result="applied") == st["reloads"]
    assert metric(m, "vx0_config_reloads_total", result="refused") == st["reload_errors"]
    assert metric(m, "vx0_port_admin_up", port="b") == 1


def test_zz_clean_exit(lab):
    rc, stats = lab["node"].stop()
    assert rc == 0, lab["node"].logtext()[-3000:]
    assert stats["mbufs_in_use"] == 0
    assert not os.path.exists(lab["mgmt"])
