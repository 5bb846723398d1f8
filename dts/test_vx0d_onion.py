"""Lab: onion circuits through three vx0d relays (doc/onion.md, README "Onion relay").

  client ── c [ guard ] m ── g [ middle ] x ── m [ exit ] s ── server
  198.51.100.1/30  .2   .5/30   .6   .9/30   .10   203.0.113.1/30  203.0.113.2

Each vx0d runs in its own namespace with af_packet ports on veths (lab
profile). The client (test/onion_client_lab, lib/onion's client core) builds
a circuit guard -> middle -> exit and sends UDP datagrams through it to an
echo server behind the exit; the exit NATs them to its own address.
"""
import json
import os
import subprocess
import tempfile
import time

import pytest

from mgmt_lab import vx0ctl
from vx0lab import (BUILD, PY, Netns, Vx0d, metric, mgmt_requests, scrape_ns, stop_proc,
                    wait_for)

CLIENT = os.path.join(BUILD, "test", "onion_client_lab")
ECHO_PORT = 5000

ECHO = r"""
import socket, sys, json
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("203.0.113.2", %d))
print("ready", flush=True)
seen = set()
s.settimeout(1.0)
while True:
    try:
        data, peer = s.recvfrom(4096)
    except socket.timeout:
        continue
    if data == b"quit":
        break
    if peer[0] not in seen:
        seen.add(peer[0])
        print(json.dumps({"source": peer[0]}), flush=True)
    s.sendto(data, peer)
""" % ECHO_PORT


def relay_conf(tmp, name, ports, addr, exit_=False):
    conf = {
        "lcores": [{"id": 0, "roles": ["ctl"]}, {"id": 1, "roles": ["rx", "tx", "onion"]}],
        "ports": ports,
        "management": {"socket": os.path.join(tmp, "mgmt.sock")},
        "onion": {"name": name, "address": addr,
                  "identity_key_file": os.path.join(tmp, "id.key"),
                  "onion_key_file": os.path.join(tmp, "onion.key"),
                  # the flood test: a small budget, every source its own link
                  "handshake": {"rate": 20, "burst": 40, "per_source_rate": 5,
                                "per_source_burst": 10, "reserve": 10}},
    }
    if exit_:
        conf["onion"]["exit"] = {"ports": ["udp:%d" % ECHO_PORT], "blocked": ["10.0.0.0/8"],
                                 # per circuit: 64 kB at once, then 100 kB/s
                                 "rate_bytes": 100000, "burst_bytes": 64000,
                                 "nat": {"address": "203.0.113.1", "ports": "61000-61999"}}
    return conf


@pytest.fixture(scope="module")
def lab():
    net = Netns("o")
    nodes, procs = [], []
    try:
        nsc, nsg, nsm, nsx, nss = (net.ns("C"), net.ns("G"), net.ns("M"), net.ns("X"),
                                   net.ns("S"))
        p = net.prefix[-6:]
        ifs = {k: f"{k}{p}" for k in ("cc", "gc", "gm", "mg", "mx", "xm", "xs", "ss")}
        net.veth(nsc, ifs["cc"], nsg, ifs["gc"])
        net.veth(nsg, ifs["gm"], nsm, ifs["mg"])
        net.veth(nsm, ifs["mx"], nsx, ifs["xm"])
        net.veth(nsx, ifs["xs"], nss, ifs["ss"])
        net.host(nsc, ifs["cc"], "198.51.100.1/30", "198.51.100.2")
        net.host(nss, ifs["ss"], "203.0.113.2/30", "203.0.113.1")
        net.offload_off(nsg, ifs["gc"], ifs["gm"])
        net.offload_off(nsm, ifs["mg"], ifs["mx"])
        net.offload_off(nsx, ifs["xm"], ifs["xs"])
        dirs = [tempfile.mkdtemp(prefix=f"vx0-onion-{n}-") for n in ("g", "m", "x")]
        cg = relay_conf(dirs[0], "guard", [
            {"name": "c", "device": f"net_af_packet0,iface={ifs['gc']}", "addresses": ["198.51.100.2/30"]},
            {"name": "m", "device": f"net_af_packet1,iface={ifs['gm']}", "addresses": ["198.51.100.5/30"]},
        ], "198.51.100.2")
        cg["onion"]["padding_pps"] = 10   # cover cells on the guard's idle links
        cm = relay_conf(dirs[1], "middle", [
            {"name": "g", "device": f"net_af_packet0,iface={ifs['mg']}", "addresses": ["198.51.100.6/30"]},
            {"name": "x", "device": f"net_af_packet1,iface={ifs['mx']}", "addresses": ["198.51.100.9/30"]},
        ], "198.51.100.6")
        cx = relay_conf(dirs[2], "exit", [
            {"name": "m", "device": f"net_af_packet0,iface={ifs['xm']}", "addresses": ["198.51.100.10/30"]},
            {"name": "s", "device": f"net_af_packet1,iface={ifs['xs']}", "addresses": ["203.0.113.1/30"]},
        ], "198.51.100.10", exit_=True)
        cx["metrics"] = {"listen": "203.0.113.1:9100"}   # scraped from the server side
        for ns, conf, tag in ((nsg, cg, "og"), (nsm, cm, "om"), (nsx, cx, "ox")):
            nodes.append(Vx0d(net, ns, conf, tag))
        socks = [os.path.join(d, "mgmt.sock") for d in dirs]
        relays = os.path.join(dirs[0], "relays.json")
        descs = publish_relays(socks, relays)
        echo = start_echo(nss, procs)
        yield {"net": net, "nodes": nodes, "socks": socks, "descs": descs, "relays": relays,
               "ns": {"C": nsc, "G": nsg, "M": nsm, "X": nsx, "S": nss}, "ifs": ifs,
               "echo": echo, "dirs": dirs}
    finally:
        stop_lab(procs, nodes, net)


def publish_relays(socks, path):
    """The nodes' onion descriptors (onion.descriptor), written as the lab
    client's relay file."""
    descs = [mgmt_requests(s, {"cmd": "onion.descriptor"})[0]["result"] for s in socks]
    with open(path, "w") as f:
        json.dump({"relays": descs}, f)
    return descs


def start_echo(ns, procs, script=ECHO):
    """The UDP echo server in ns, once it says it is ready."""
    echo = subprocess.Popen(["ip", "netns", "exec", ns, PY, "-c", script],
                            stdout=subprocess.PIPE, text=True)
    procs.append(echo)
    assert echo.stdout.readline().strip() == "ready"
    return echo


def stop_lab(procs, nodes, net):
    for pr in procs:
        stop_proc(pr, 5)
    for n in nodes:
        n.stop()
    net.close()


def client(lab, count=5, size=1000, interval=50, flip=False, timeout=60, dst="203.0.113.2",
           port=ECHO_PORT):
    args = ["ip", "netns", "exec", lab["ns"]["C"], CLIENT, lab["relays"], "198.51.100.1",
            dst, str(port), str(count), str(size), str(interval)]
    if flip:
        args.append("flip")
    r = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    out = r.stdout.strip().splitlines()
    assert out, r.stderr
    return json.loads(out[-1])


def mgmt(lab, i, cmd, **args):
    return mgmt_requests(lab["socks"][i], dict(args, cmd=cmd))[0]


def stats(lab, i):
    return mgmt(lab, i, "onion.stats")["result"]


def test_descriptor_shape(lab):
    for d, name, addr, ex in zip(lab["descs"], ("guard", "middle", "exit"),
                                 ("198.51.100.2", "198.51.100.6", "198.51.100.10"),
                                 (False, False, True)):
        assert set(d) == {"name", "addr", "port", "id", "onion_key", "capacity", "family", "exit"}
        assert d["name"] == name and d["addr"] == addr and d["port"] == 7150
        assert len(d["id"]) == 64 and len(d["onion_key"]) == 64
        int(d["id"], 16), int(d["onion_key"], 16)
        assert d["capacity"] == 1000 and d["family"] == "" and d["exit"] is ex


def test_circuit_byte_exact_both_ways(lab):
    r = client(lab, count=20, size=1200)
    assert r["open"], r
    assert r["sent"] == 20 and r["exact"] == 20 and r["wrong"] == 0, r
    # the data plane moved the cells: guard and middle forwarded and
    # wrapped, nothing reached their slow paths but handshakes and EXTEND
    g, m, x = (stats(lab, i) for i in range(3))
    assert g["dp_forwarded"] >= 20 + 1 and g["dp_backward"] >= 20 + 1, g
    assert m["dp_forwarded"] >= 20 and m["dp_backward"] >= 20, m
    assert x["dp_terminal"] >= 20 and x["exit_out"] >= 20 and x["exit_in"] >= 20, x
    assert g["created"] >= 1 and g["extended"] >= 1 and m["extended"] >= 1, (g, m)


def test_server_sees_exit_address_only(lab):
    r = client(lab, count=3, size=200)
    assert r["exact"] == 3, r
    lines = []
    # the echo server prints each new source once
    import select
    while select.select([lab["echo"].stdout], [], [], 0.5)[0]:
        line = lab["echo"].stdout.readline()
        if not line:
            break
        lines.append(json.loads(line)["source"])
    assert "203.0.113.1" in lines, lines
    assert "198.51.100.1" not in lines, lines


def test_telemetry_and_vx0ctl_show_circuits(lab):
    m = lab["nodes"][1]
    tel = m.telemetry("/vx0/onion")[0]
    assert tel["enabled"] == "yes" and tel["dp_forwarded"] >= 20 and tel["extended"] >= 1, tel
    circs = m.telemetry("/vx0/onion/circuits")[0]
    assert circs, circs
    row = next(iter(circs.values()))
    assert len(row) == 10 and row[1] in ("open", "extending", "extended"), row
    r = vx0ctl("show", "circuits", prefix=m.prefix)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split()[0] == "circuit" and row[0] in r.stdout, r.stdout
    r = vx0ctl("show", "onion", prefix=m.prefix)
    assert r.returncode == 0 and "dp_forwarded" in r.stdout, r.stdout + r.stderr
    for d in lab["descs"]:
        assert d["onion_key"] not in json.dumps(circs)


def test_circuit_list_and_destroy(lab):
    circs = mgmt(lab, 1, "circuit.list")["result"]["circuits"]
    assert circs, circs
    c = circs[0]
    for k in ("id", "state", "prev", "bytes", "link", "cells_fwd", "cells_bwd"):
        assert k in c, c
    text = json.dumps(circs)
    for d in lab["descs"]:
        assert d["onion_key"] not in text
    r = mgmt(lab, 1, "circuit.destroy", link=c["link"], id=c["id"])
    assert r["ok"], r
    wait_for(lambda: all(x["id"] != c["id"] for x in
                         mgmt(lab, 1, "circuit.list")["result"]["circuits"]), 5,
             what="the circuit gone")
    for bad_id in ("zz", "", " 1f", "0x1f", "-1", "+1f", "123456789", "1f\n"):
        bad = mgmt(lab, 1, "circuit.destroy", link=1, id=bad_id)
        assert not bad["ok"] and "8 hex digits" in bad["error"], (bad_id, bad)
    bad = mgmt(lab, 1, "circuit.destroy", link=0, id="1f")
    assert not bad["ok"] and "positive" in bad["error"], bad


def test_links_carry_only_1368_byte_cells(lab):
    """tcpdump on both ends of both relay links while a circuit carries
    data: only UDP 7150 <-> 7150 datagrams of 1368 bytes, and none of the
    payload in clear."""
    ns, ifs = lab["ns"], lab["ifs"]
    caps, files = [], []
    for n, ifn in ((ns["G"], ifs["gm"]), (ns["M"], ifs["mg"]), (ns["M"], ifs["mx"]),
                   (ns["X"], ifs["xm"])):
        f = os.path.join(lab["dirs"][0], f"{ifn}.pcap")
        files.append(f)
        caps.append(subprocess.Popen(["ip", "netns", "exec", n, "tcpdump", "-i", ifn, "-w", f,
                                      "-U", "--immediate-mode", "udp"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    time.sleep(1.5)
    try:
        r = client(lab, count=10, size=1200)
        assert r["exact"] == 10, r
        time.sleep(0.5)
    finally:
        for c in caps:
            c.terminate()
            c.wait(5)
    total = 0
    # the inner IPv4 header's addresses (client, server) never appear in clear
    inner = bytes([198, 51, 100, 1, 203, 0, 113, 2])
    for f in files:
        with open(f, "rb") as fh:
            assert inner not in fh.read(), f
        out = subprocess.run(["tshark", "-r", f, "-T", "fields", "-e", "udp.srcport", "-e",
                              "udp.dstport", "-e", "udp.length", "-e", "ip.src"],
                             capture_output=True, text=True, timeout=30).stdout
        rows = [l.split("\t") for l in out.splitlines() if l.strip()]
        for sp, dp, ln, src in rows:
            assert (sp, dp, ln) == ("7150", "7150", str(8 + 1368)), (f, sp, dp, ln, src)
            assert src != "198.51.100.1"
        total += len(rows)
    assert total >= 4 * 10, total


def test_bit_flip_detected_and_circuit_torn_down(lab):
    g0 = stats(lab, 0)
    r = client(lab, count=2, size=100, flip=True)
    assert r["exact"] == 2 and r["flipped"], r
    # the guard's AEAD rejects the altered cell and destroys (reason 6)
    assert r["state"] == 4 and r["closed_reason"] == 6, r
    g = stats(lab, 0)
    assert g["dp_integrity_failed"] == g0["dp_integrity_failed"] + 1, g
    assert g["destroyed"] > g0["destroyed"]


def test_negative_cells_dropped_and_counted(lab):
    """Cells a relay must refuse, sent from the client's namespace."""
    g0 = stats(lab, 0)
    d0 = lab["nodes"][0].telemetry("/vx0/drops")[0]
    desc = lab["descs"][0]
    code = f"""
import socket, os, struct, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
g = ("198.51.100.2", 7150)
hdr = lambda cmd, flags, cid: struct.pack("!BBBBI", 1, cmd, flags, 0, cid)
ids = bytes.fromhex("{desc['id']}") + bytes.fromhex("{desc['onion_key']}")
def create(cid, x):
    body = struct.pack("!HH", 1, 96) + ids + x
    return hdr(2, 0, cid) + body + bytes(1360 - len(body))
x1 = os.urandom(32)
s.sendto(create(0x4242, x1), g)                              # a good CREATE: our link
time.sleep(0.3)
s.sendto(hdr(4, 0, 0x1234) + os.urandom(1360), g)            # unknown circuit (RELAY)
s.sendto(hdr(4, 0, 0x1234) + os.urandom(100), g)             # wrong length
s.sendto(b"\\x02" + hdr(4, 0, 1)[1:] + os.urandom(1360), g)  # wrong version
s.sendto(hdr(3, 1, 0x77) + os.urandom(1360), g)              # CREATED nobody asked for
s.sendto(hdr(5, 0, 0x99) + bytes(1360), g)                   # DESTROY of an unknown circuit
s.sendto(create(0x4343, x1), g)                              # the handshake replayed (same X)
s.sendto(create(0x4242, os.urandom(32)), g)                  # CREATE on an id in use
"""
    lab["net"].run(lab["ns"]["C"], PY, "-c", code)

    def done():
        g = stats(lab, 0)
        return (g["dp_malformed"] - g0["dp_malformed"] >= 2 and
                g["unknown_circuit"] - g0["unknown_circuit"] >= 3 and
                g["replayed_handshake"] - g0["replayed_handshake"] >= 1 and
                g["out_of_order"] - g0["out_of_order"] >= 1 and g)
    g = wait_for(done, 10, what="negative cells counted")
    assert g["created"] == g0["created"] + 1, g
    assert g["dp_unknown_circuit"] - g0["dp_unknown_circuit"] == 1, g
    d = lab["nodes"][0].telemetry("/vx0/drops")[0]
    assert d["onion_malformed"] - d0.get("onion_malformed", 0) >= 2


def test_handshake_flood_leaves_circuit_flowing(lab):
    """A bounded flood of CREATEs from many source ports against the guard
    while a circuit carries traffic: the budget refuses most of them, the
    established circuit keeps every packet."""
    desc = lab["descs"][0]
    g0 = stats(lab, 0)
    flood = f"""
import socket, os, struct, time
hdr = struct.pack("!BBBBI", 1, 2, 0, 0, 0)
ids = bytes.fromhex("{desc['id']}") + bytes.fromhex("{desc['onion_key']}")
socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(50)]
end = time.monotonic() + 4
n = 0
while time.monotonic() < end and n < 3000:
    s = socks[n % len(socks)]
    body = struct.pack("!HH", 1, 96) + ids + os.urandom(32)
    cell = hdr[:4] + struct.pack("!I", 1 + n) + body + bytes(1360 - len(body))
    s.sendto(cell, ("198.51.100.2", 7150))
    n += 1
    if n % 50 == 0:
        time.sleep(0.005)
print(n)
"""
    cl = subprocess.Popen(["ip", "netns", "exec", lab["ns"]["C"], CLIENT, lab["relays"],
                           "198.51.100.1", "203.0.113.2", str(ECHO_PORT), "25", "500", "150"],
                          stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(0.5)   # the circuit is built; now the flood
        fl = subprocess.run(["ip", "netns", "exec", lab["ns"]["C"], PY, "-c", flood],
                            capture_output=True, text=True, timeout=30)
        out = cl.communicate(timeout=60)[0]
    finally:
        if cl.poll() is None:
            cl.kill()
            cl.wait(5)
    sent = int(fl.stdout.strip() or 0)
    r = json.loads(out.strip().splitlines()[-1])
    assert sent > 500, sent
    assert r["open"] and r["exact"] == 25, r
    g = stats(lab, 0)
    refused = (g["rate_limited"] - g0["rate_limited"]) + (g["dp_punt_ring_full"] -
                                                          g0["dp_punt_ring_full"])
    assert refused > sent // 2, (sent, g)
    assert g["created"] - g0["created"] < sent // 4, (sent, g)
    # the flood drained the handshake budget to its reserve, which only
    # links with circuits may use: let it refill for the next tests
    time.sleep(2.5)


def test_exit_policy_refuses(lab):
    """A port the policy does not allow, a blocked prefix, the exit itself: refused at the
    exit, counted per circuit and in total, nothing leaves."""
    x0 = stats(lab, 2)
    r = client(lab, count=3, size=100, port=ECHO_PORT + 1)
    assert r["open"] and r["exact"] == 0 and r["received"] == 0, json.dumps([r, stats(lab, 0), stats(lab, 1)])
    r = client(lab, count=2, size=100, dst="10.1.2.3")
    assert r["open"] and r["exact"] == 0, r
    # the exit node's own addresses are not reachable through it
    r = client(lab, count=2, size=100, dst="203.0.113.1")
    assert r["open"] and r["exact"] == 0, r
    x = stats(lab, 2)
    assert x["exit_denied"] - x0["exit_denied"] == 7, x
    assert x["exit_out"] == x0["exit_out"], x


def test_exit_meter_limits_a_circuit(lab):
    """120 datagrams of 1200 bytes at once against a per-circuit meter of
    64 kB burst: about the burst passes, the rest is policed."""
    x0 = stats(lab, 2)
    r = client(lab, count=120, size=1200, interval=0)
    x = stats(lab, 2)
    policed = x["exit_policed"] - x0["exit_policed"]
    assert r["wrong"] == 0, r
    assert 30 <= r["exact"] < 120, r
    assert policed >= 120 - r["exact"] - 5 and policed > 0, (policed, r)


def test_padding_on_idle_links(lab):
    """The guard pads its idle links (padding_pps 10) with cover cells that
    are RELAY cells on the wire (random direction bit, an unused circuit id,
    random body): the middle drops them as cells of unknown circuits, sees
    no PADDING command, and the circuits keep working."""
    g0, m0 = stats(lab, 0), stats(lab, 1)
    time.sleep(1.5)
    g, m = stats(lab, 0), stats(lab, 1)
    assert g["padding_sent"] - g0["padding_sent"] >= 10, g
    got = m["dp_unknown_circuit"] - m0["dp_unknown_circuit"]
    assert 5 <= got < 60, m   # about the rate, not a flood
    assert m["dp_padding"] == m0["dp_padding"]      # no PADDING command on the wire
    assert m["dp_integrity_failed"] == m0["dp_integrity_failed"]
    assert m["padding_sent"] == 0                    # the middle pads nothing
    r = client(lab, count=3)
    assert r["received"] == 3, r

def test_prometheus_onion_metrics(lab):
    """The exit's /metrics carries the relay's counters (conventional names,
    the same numbers as onion.stats) beside the rest of the node's."""
    r = client(lab, count=3)
    assert r["received"] == 3, r
    st = stats(lab, 2)
    out, samples = scrape_ns(lab["net"], lab["ns"]["S"], "http://203.0.113.1:9100/metrics")
    assert "# TYPE vx0_onion_cells_total counter" in out
    assert "# TYPE vx0_onion_circuits gauge" in out
    # the exit: its forward cells are all for itself (terminal)
    assert metric(samples, "vx0_onion_cells_total", path="terminal") >= st["dp_terminal"] > 0
    assert metric(samples, "vx0_onion_cells_total", path="forward") == st["dp_forwarded"] == 0
    assert metric(samples, "vx0_onion_exit_packets_total", dir="out") >= st["exit_out"] >= 3
    assert metric(samples, "vx0_onion_exit_packets_total", dir="in") >= st["exit_in"] >= 3
    assert metric(samples, "vx0_onion_handshakes_total", result="created") == st["created"] >= 1
    assert metric(samples, "vx0_onion_exit_refused_total", reason="policy") == st["exit_denied"]
    assert 'vx0_build_info{version=' in out


def test_zz_clean_shutdown(lab):
    """Every relay stops cleanly: all mbufs back (vx0d exits 1 otherwise)."""
    for n in lab["nodes"]:
        rc, st = n.stop()
        assert rc == 0, n.logtext()[-2000:]
        assert st["mbufs_in_use"] == 0
