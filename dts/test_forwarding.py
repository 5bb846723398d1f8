"""Lab: vx0d forwards between two hosts, resolves neighbours itself, answers
through its exception path, counts what it drops, and shuts down clean.

  host A (nsA) hA ── nA [ vx0d in nsN ] nB ── hB (nsB) host B
  198.51.100.2/24       .1 | 203.0.113.1       203.0.113.2/24
  2001:db8:a::2/64     a::1 | b::1             2001:db8:b::2/64
"""
import json
import os
import subprocess

import pytest

from vx0lab import PY, Netns, Vx0d, mgmt_requests, wait_for

HERE = os.path.dirname(os.path.abspath(__file__))
PROBE = os.path.join(HERE, "udp_probe.py")


@pytest.fixture(scope="module")
def lab():
    net = Netns("f")
    node = None
    try:
        nsn, nsa, nsb = net.ns("N"), net.ns("A"), net.ns("B")
        p = net.prefix[-8:]
        ha, na, hb, nb = f"h{p}a", f"n{p}a", f"h{p}b", f"n{p}b"
        net.veth(nsa, ha, nsn, na)
        net.veth(nsb, hb, nsn, nb)
        net.host(nsa, ha, "198.51.100.2/24", "198.51.100.1", "2001:db8:a::2/64", "2001:db8:a::1")
        net.host(nsb, hb, "203.0.113.2/24", "203.0.113.1", "2001:db8:b::2/64", "2001:db8:b::1")
        net.offload_off(nsn, na, nb)
        conf = {
            "profile": "lab",
            "lcores": [{"id": 0, "roles": ["ctl"]}, {"id": 1, "roles": ["rx", "tx", "crypto"]}],
            "ports": [
                {"name": "a", "device": f"net_af_packet0,iface={na}",
                 "addresses": ["198.51.100.1/24", "2001:db8:a::1/64"]},
                {"name": "b", "device": f"net_af_packet1,iface={nb}",
                 "addresses": ["203.0.113.1/24", "2001:db8:b::1/64"]},
            ],
            "icmp_rate_pps": 1000,
        }
        mgmt = os.path.join(net_tmp(), "mgmt.sock")
        conf["management"] = {"socket": mgmt}
        node = Vx0d(net, nsn, conf, "f")
        yield {"net": net, "node": node, "A": nsa, "B": nsb, "N": nsn, "ha": ha, "hb": hb,
               "mgmt": mgmt}
    finally:
        if node is not None:
            node.stop()
        net.close()


def ping(lab, ns, addr, count=3):
    six = ["-6"] if ":" in addr else []
    r = lab["net"].run(ns, "ping", *six, "-c", str(count), "-i", "0.2", "-W", "2", addr,
                       check=False)
    return r.returncode, r.stdout


def udp_exchange(lab, src_ns, dst_ns, dst_addr, payload):
    rx = subprocess.Popen(["ip", "netns", "exec", lab[dst_ns], PY, PROBE, "recv", dst_addr,
                           "5555", "5"], stdout=subprocess.PIPE, text=True)
    try:
        assert rx.stdout.readline().strip() == "ready"
        lab["net"].run(lab[src_ns], PY, PROBE, "send", dst_addr, "5555", payload.hex())
        out = json.loads(rx.stdout.readline())
    finally:
        rx.wait(10)
    return out


@pytest.mark.parametrize("src,dst,addr", [("A", "B", "203.0.113.2"), ("B", "A", "198.51.100.2"),
                                          ("A", "B", "2001:db8:b::2"),
                                          ("B", "A", "2001:db8:a::2")])
def test_ping_through_node_ttl_decremented(lab, src, dst, addr):
    rc, out = ping(lab, lab[src], addr)
    assert rc == 0, out
    # the echo reply crossed vx0d once: 64 - 1
    assert "ttl=63" in out or "hlim=63" in out, out


@pytest.mark.parametrize("src,dst,addr", [("A", "B", "203.0.113.2"), ("B", "A", "198.51.100.2"),
                                          ("A", "B", "2001:db8:b::2"),
                                          ("B", "A", "2001:db8:a::2")])
def test_udp_payload_byte_exact(lab, src, dst, addr):
    payload = os.urandom(1200)
    out = udp_exchange(lab, src, dst, addr, payload)
    assert out.get("payload") == payload.hex()
    assert out["ttl"] == 63


def test_node_addresses_answered_by_exception_path(lab):
    for ns, addr in (("A", "198.51.100.1"), ("B", "203.0.113.1"), ("A", "2001:db8:a::1")):
        rc, out = ping(lab, lab[ns], addr, count=2)
        assert rc == 0, out
        assert "ttl=64" in out or "hlim=64" in out, out  # the node's own kernel answered
    punt = lab["node"].telemetry("/vx0/punt")[0]
    assert punt["local"] >= 6


def test_neighbours_resolved_by_vx0d(lab):
    ping(lab, lab["A"], "203.0.113.2", count=1)
    neigh, fib = lab["node"].telemetry("/vx0/neigh", "/vx0/fib,203.0.113.2")
    byaddr = {v[0]: {"port": v[1], "state": v[2], "mac": v[3]} for v in neigh.values()}
    assert byaddr["203.0.113.2"]["port"] == "b"
    assert byaddr["203.0.113.2"]["state"] in ("reachable", "stale", "delay", "probe")
    mac_b = lab["net"].run(lab["B"], "cat", f"/sys/class/net/{lab['hb']}/address").stdout.strip()
    assert byaddr["203.0.113.2"]["mac"] == mac_b
    assert "198.51.100.2" in byaddr and "2001:db8:b::2" in byaddr
    assert fib["result"] == "forward" and fib["port"] == "b" and fib["mac"] == mac_b


def test_telemetry_counts_match_traffic(lab):
    node = lab["node"]
    assert node.telemetry("/vx0/ports")[0] == ["a", "b"]
    a0, b0 = node.telemetry("/vx0/port,a", "/vx0/port,b")
    n = 25
    for _ in range(n):
        lab["net"].run(lab["A"], PY, PROBE, "send", "203.0.113.2", "9", "00" * 64)
    wait_for(lambda: node.telemetry("/vx0/port,b")[0]["tx_packets"] >= b0["tx_packets"] + n,
             10, what="tx counter")
    a1, b1 = node.telemetry("/vx0/port,a", "/vx0/port,b")
    assert a1["rx_packets"] - a0["rx_packets"] >= n
    assert b1["tx_packets"] - b0["tx_packets"] >= n
    # DPDK's own port counters agree with the stage counters
    assert a1["hw_ipackets"] >= a1["rx_packets"]
    assert b1["hw_opackets"] >= b1["tx_packets"] - b1["tx_dropped"]
    lc = node.telemetry("/vx0/lcore,1")[0]
    assert lc["roles"] == "rx,crypto,tx" and lc["packets"] > 0


def net_tmp():
    import tempfile
    return tempfile.mkdtemp(prefix="vx0-mgmt-")


def mgmt(lab, *reqs, raw=None):
    return mgmt_requests(lab["mgmt"], *reqs, raw=raw)


def test_management_socket_routes_and_errors(lab):
    lab["net"].run(lab["B"], "ip", "addr", "add", "2001:db8:100::1/128", "dev", "lo")
    rc, out = ping(lab, lab["A"], "2001:db8:100::1", count=1)
    assert rc != 0  # no route yet
    r = mgmt(lab, {"cmd": "route.add", "prefix": "2001:db8:100::/48", "via": "2001:db8:b::2"})
    assert r[0]["ok"] is True and r[0]["result"]["via"] == "2001:db8:b::2", r
    rc, out = ping(lab, lab["A"], "2001:db8:100::1")
    assert rc == 0, out
    assert mgmt(lab, {"cmd": "route.del", "prefix": "2001:db8:100::/48"})[0]["ok"] is True
    assert lab["node"].telemetry("/vx0/fib,2001:db8:100::1")[0]["result"] == "no route"
    # bad requests: each a clear error, nothing changed, the socket keeps serving
    bad = mgmt(lab, {"cmd": "route.add", "prefix": "2001:db8:100::/48", "via": "198.51.100.2"},
               {"cmd": "route.add", "prefix": "203.0.113.0/33", "via": "203.0.113.2"},
               {"cmd": "route.add", "prefix": "2001:db8:200::/48", "via": "2001:db8:ffff::9"},
               {"cmd": "route.del", "prefix": "2001:db8:300::/48"},
               {"cmd": "fly"}, {"nocmd": 1},
               {"cmd": "neigh.add", "port": "zz", "address": "198.51.100.9", "mac": "02:00:00:00:00:09"},
               {"cmd": "bgp.shutdown", "peer": "198.51.100.2"})
    assert [b["ok"] for b in bad] == [False] * 8
    assert "family" in bad[0]["error"] and "prefix" in bad[1]["error"]
    assert "no connected subnet" in bad[2]["error"] and "no such route" in bad[3]["error"]
    assert "unknown command" in bad[4]["error"] and "not configured" in bad[7]["error"]
    assert "port" in bad[6]["error"]
    assert "not JSON" in mgmt(lab, raw=b"{not json\n")[0]["error"]
    big = mgmt(lab, raw=b"x" * 70000)
    assert big and "longer than" in big[0]["error"]
    assert mgmt(lab, {"cmd": "version"})[0]["ok"] is True
    # another user cannot even connect (mode 0600, SO_PEERCRED)
    code = ("import socket\ns = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)\n"
            f"s.connect({lab['mgmt']!r})\n")
    r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                        PY, "-c", code], capture_output=True, text=True)
    assert r.returncode != 0 and "Permission denied" in r.stderr


def test_capture_with_filter_at_a_tap_point(lab):
    pcap = os.path.join(net_tmp(), "cap.pcap")
    r = mgmt(lab, {"cmd": "capture.start", "point": "rx:a", "file": pcap, "count": 3,
                   "filter": "udp dst port 5555"},
             {"cmd": "capture.start", "point": "rx:a", "file": pcap, "count": 1},
             {"cmd": "capture.start", "point": "rx:zz", "file": "/tmp/x", "count": 1})
    assert r[0]["ok"] is True
    assert "running already" in r[1]["error"]
    ping(lab, lab["A"], "203.0.113.2", count=2)          # filtered out
    for i in range(5):
        lab["net"].run(lab["A"], PY, PROBE, "send", "203.0.113.2", "5555", "%02x" % i * 20)
    wait_for(lambda: not mgmt(lab, {"cmd": "capture.status"})[0]["result"]["active"], 10,
             what="capture to end after 3 packets")
    st = mgmt(lab, {"cmd": "capture.status"})[0]["result"]
    assert st["written"] == 3 and st["filtered"] >= 2 and st["dropped"] == 0, st
    out = subprocess.run(["tshark", "-r", pcap, "-T", "fields", "-e", "udp.dstport", "-e", "data"],
                         capture_output=True, text=True, check=True).stdout.split("\n")
    rows = [l.split("\t") for l in out if l]
    assert [r[0] for r in rows] == ["5555"] * 3
    assert [r[1] for r in rows] == ["%02x" % i * 20 for i in range(3)]
    bad = mgmt(lab, {"cmd": "capture.start", "point": "tx:b", "file": pcap, "count": 1,
                     "filter": "this is not bpf"},
               {"cmd": "capture.start", "point": "tx:b", "file": pcap},
               {"cmd": "capture.stop"})
    assert "filter" in bad[0]["error"] and "bound it" in bad[1]["error"]
    assert "no capture running" in bad[2]["error"]


def _send_raw(lab, frames_py):
    """Send scapy-built frames from host A's interface."""
    code = ("from scapy.all import *\n"
            f"mac = open('/sys/class/net/{lab['ha']}/address').read().strip()\n"
            f"dst = {repr(lab['node_mac'])}\n"
            f"frames = {frames_py}\n"
            f"sendp(frames, iface={repr(lab['ha'])}, verbose=False)\n")
    lab["net"].run(lab["A"], PY, "-c", code)


def test_bad_packets_counted_never_crash(lab):
    node = lab["node"]
    lab["node_mac"] = node.telemetry("/vx0/port,a")[0]["mac"]
    d0 = node.telemetry("/vx0/drops")[0]
    s0 = node.telemetry("/vx0/stats")[0]
    frames = ("[Ether(src=mac, dst=dst)/IP(src='198.51.100.2', dst='203.0.113.2', chksum=0x1234)/UDP(),"
              " Ether(src=mac, dst=dst)/IP(src='198.51.100.2', dst='203.0.113.2', ttl=1)/UDP(),"
              " Ether(src=mac, dst=dst, type=0x88b5)/Raw(bytes(46)),"
              " Ether(src=mac, dst=dst, type=0x0800)/Raw(bytes.fromhex('4500ffff0000000040110000c6336402cb007102')),"
              " Ether(src=mac, dst=dst)/IP(src='198.51.100.2', dst='203.0.113.2', ihl=15)/UDP(),"
              " Ether(src=mac, dst=dst)/IPv6(src='2001:db8:a::2', dst='2001:db8:b::2', hlim=1)/UDP(),"
              " Ether(src=mac, dst=dst)/IPv6(src='2001:db8:a::2', dst='2001:db8:ffff::1', nh=0)/Raw(b'\\x11\\xff'),"
              # a bad UDP length: dropped when the packet is ours; a transit
              # one is forwarded (a router does not look into the transport
              # header of what it only forwards)
              " Ether(src=mac, dst=dst)/IP(src='198.51.100.2', dst='198.51.100.1')/UDP(len=400)/Raw(b'x'),"
              " Ether(src=mac, dst=dst)/IP(src='198.51.100.2', dst='203.0.113.2')/UDP(len=400)/Raw(b'x'),"
              "]")
    _send_raw(lab, frames)

    def delta():
        d1 = node.telemetry("/vx0/drops")[0]
        return {k: d1[k] - d0.get(k, 0) for k in d1 if d1[k] != d0.get(k, 0)}

    want = {"ip_csum": 1, "ttl_expired": 2, "ethertype": 1, "udp_len": 1}
    wait_for(lambda: all(delta().get(k, 0) >= v for k, v in want.items()), 10,
             what=f"drop counters {want}")
    d = delta()
    assert d["udp_len"] == 1, d  # the local one only
    assert d.get("ip_len", 0) + d.get("ip_hdrlen", 0) + d.get("ip_trunc", 0) >= 2, d
    assert d.get("ipv6_ext", 0) >= 1, d
    s1 = node.telemetry("/vx0/stats")[0]
    assert s1["icmp_errors_sent"] - s0["icmp_errors_sent"] >= 2  # both TTL expiries answered
    # still forwarding
    rc, out = ping(lab, lab["A"], "203.0.113.2", count=1)
    assert rc == 0, out


def test_icmp_errors_reach_sender(lab):
    # traceroute's first hop is vx0d: a TTL-1 probe gets Time Exceeded from 198.51.100.1
    code = ("from scapy.all import *\n"
            "r = sr1(IP(dst='203.0.113.2', ttl=1)/UDP(dport=33434), timeout=3, verbose=False)\n"
            "print(r[IP].src, r[ICMP].type, r[ICMP].code)\n")
    out = lab["net"].run(lab["A"], PY, "-c", code).stdout.split()
    assert out == ["198.51.100.1", "11", "0"]
    code6 = ("from scapy.all import *\n"
             "r = sr1(IPv6(dst='2001:db8:ffff::7')/UDP(dport=9), timeout=3, verbose=False)\n"
             "print(r[IPv6].src, r[ICMPv6DestUnreach].type, r[ICMPv6DestUnreach].code)\n")
    out = lab["net"].run(lab["A"], PY, "-c", code6).stdout.split()
    assert out == ["2001:db8:a::1", "1", "0"]


def test_zz_shutdown_returns_every_mbuf(lab):
    rc, stats = lab["node"].stop()
    assert rc == 0, lab["node"].logtext()
    assert stats["mbufs_in_use"] == 0
    assert stats["stages"]["rx"]["packets"] > 0
