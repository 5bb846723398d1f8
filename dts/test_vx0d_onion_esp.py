"""Lab: an onion link that is an ESP tunnel route (README "Onion relay").

  client ── c [ guard ] w ═══ ESP ═══ w [ exit ] s ── server
  198.51.100.1/30  .2   203.0.113.5/30  203.0.113.6/30   203.0.113.9/30  .10
                                        onion address 198.51.100.66 (via the tunnel)

The exit's onion address is reachable from the guard only through the
tunnel (SPI 0x1001 out, 0x2001 back), so the cells the onion lcores hand to
the FIB go through the crypto stage: the link carries nothing but ESP, and a
two-hop circuit still moves the client's datagrams byte-exact.
"""
import json
import os
import subprocess
import tempfile
import time

import pytest

from test_vx0d_onion import (CLIENT, ECHO, ECHO_PORT, publish_relays, relay_conf, start_echo,
                             stop_lab)
from vx0lab import Netns, Vx0d, mgmt_requests

K1, K2 = os.urandom(36), os.urandom(36)


def sa(spi, direction, key, local, remote):
    return {"spi": hex(spi), "direction": direction, "alg": "chacha20poly1305",
            "key": key.hex(), "local": local, "remote": remote}


@pytest.fixture(scope="module")
def lab():
    net = Netns("q")
    nodes, procs = [], []
    try:
        nsc, nsg, nsx, nss = net.ns("C"), net.ns("G"), net.ns("X"), net.ns("S")
        p = net.prefix[-6:]
        ifs = {k: f"{k}{p}" for k in ("cc", "gc", "gw", "xw", "xs", "ss")}
        net.veth(nsc, ifs["cc"], nsg, ifs["gc"])
        net.veth(nsg, ifs["gw"], nsx, ifs["xw"])
        net.veth(nsx, ifs["xs"], nss, ifs["ss"])
        net.host(nsc, ifs["cc"], "198.51.100.1/30", "198.51.100.2")
        net.host(nss, ifs["ss"], "203.0.113.10/30", "203.0.113.9")
        net.offload_off(nsg, ifs["gc"], ifs["gw"])
        net.offload_off(nsx, ifs["xw"], ifs["xs"])
        dirs = [tempfile.mkdtemp(prefix=f"vx0-onionesp-{n}-") for n in ("g", "x")]
        cg = relay_conf(dirs[0], "guard", [
            {"name": "c", "device": f"net_af_packet0,iface={ifs['gc']}", "addresses": ["198.51.100.2/30"]},
            {"name": "w", "device": f"net_af_packet1,iface={ifs['gw']}", "addresses": ["203.0.113.5/30"]},
        ], "198.51.100.2")
        cg["lcores"][1]["roles"].append("crypto")
        cg["sas"] = [sa(0x1001, "out", K1, "203.0.113.5", "203.0.113.6"),
                     sa(0x2001, "in", K2, "203.0.113.5", "203.0.113.6")]
        cg["routes"] = [{"prefix": "198.51.100.66/32", "sa": "0x1001"}]
        cx = relay_conf(dirs[1], "exit", [
            {"name": "w", "device": f"net_af_packet0,iface={ifs['xw']}", "addresses": ["203.0.113.6/30"]},
            {"name": "s", "device": f"net_af_packet1,iface={ifs['xs']}",
             "addresses": ["203.0.113.9/30", "198.51.100.66/32"]},
        ], "198.51.100.66", exit_=True)
        cx["onion"]["exit"]["nat"]["address"] = "203.0.113.9"
        cx["lcores"][1]["roles"].append("crypto")
        cx["sas"] = [sa(0x2001, "out", K2, "203.0.113.6", "203.0.113.5"),
                     sa(0x1001, "in", K1, "203.0.113.6", "203.0.113.5")]
        cx["routes"] = [{"prefix": "198.51.100.2/32", "sa": "0x2001"}]
        for ns, conf, tag in ((nsg, cg, "qg"), (nsx, cx, "qx")):
            nodes.append(Vx0d(net, ns, conf, tag))
        socks = [os.path.join(d, "mgmt.sock") for d in dirs]
        relays = os.path.join(dirs[0], "relays.json")
        publish_relays(socks, relays)
        start_echo(nss, procs, ECHO.replace("203.0.113.2", "203.0.113.10"))
        yield {"net": net, "nodes": nodes, "socks": socks, "relays": relays, "dirs": dirs,
               "ns": {"C": nsc, "G": nsg, "X": nsx}, "ifs": ifs}
    finally:
        stop_lab(procs, nodes, net)


def test_circuit_over_an_esp_link(lab):
    caps, files = [], []
    for n, ifn in ((lab["ns"]["G"], lab["ifs"]["gw"]), (lab["ns"]["X"], lab["ifs"]["xw"])):
        f = os.path.join(lab["dirs"][0], f"{ifn}.pcap")
        files.append(f)
        caps.append(subprocess.Popen(["ip", "netns", "exec", n, "tcpdump", "-i", ifn, "-w", f,
                                      "-U", "--immediate-mode", "ip"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    time.sleep(1.5)
    try:
        r = subprocess.run(["ip", "netns", "exec", lab["ns"]["C"], CLIENT, lab["relays"],
                            "198.51.100.1", "203.0.113.10", str(ECHO_PORT), "10", "1000", "50"],
                           capture_output=True, text=True, timeout=60)
        out = json.loads(r.stdout.strip().splitlines()[-1])
        time.sleep(1.0)
    finally:
        for c in caps:
            c.terminate()
            c.wait(5)
    assert out["open"] and out["exact"] == 10 and out["wrong"] == 0, out
    protos = []
    for f in files:
        t = subprocess.run(["tshark", "-r", f, "-T", "fields", "-e", "ip.proto"],
                           capture_output=True, text=True, timeout=30).stdout
        protos += [l.strip() for l in t.splitlines() if l.strip()]
    # both directions of the link: ESP only (cells, CREATE/CREATED inside)
    assert len(protos) >= 2 * 10, protos
    assert set(protos) == {"50"}, protos
    g = mgmt_requests(lab["socks"][0], {"cmd": "onion.stats"})[0]["result"]
    x = mgmt_requests(lab["socks"][1], {"cmd": "onion.stats"})[0]["result"]
    assert g["dp_forwarded"] >= 10 and g["dp_backward"] >= 10, g
    assert x["exit_out"] >= 10 and x["exit_in"] >= 10, x
    sas = lab["nodes"][0].telemetry("/vx0/sa")[0]
    assert all(int(v[3]) >= 10 for v in sas.values()), sas
