"""Lab: vx0d's own BGP speaker peers with BIRD 2 over the exception path,
programs the FIB from what it learns, and real packets follow the routes.

  host A (nsA) ── port a [ vx0d, AS 65001 ] port b ── nsB: BIRD, AS 65002
  198.51.100.2          198.51.100.1 | 203.0.113.1      203.0.113.2
                                                         lo: 203.0.113.130, 2001:db8:100::1
BIRD announces 203.0.113.128/26 and 2001:db8:100::/48; vx0d announces 198.51.100.0/24.
"""
import os

import pytest

from bgp_lab import Bird
from vx0lab import PY, Netns, Vx0d, wait_for

BIRD_CONF = """
router id 203.0.113.2;
log stderr all;
protocol device {}
protocol static s4 { ipv4; route 203.0.113.128/26 blackhole; route 203.0.113.64/26 blackhole; }
protocol static s6 { ipv6; route 2001:db8:100::/48 blackhole; }
protocol bgp vx0 {
    local 203.0.113.2 as 65002;
    neighbor 203.0.113.1 as 65001;
    hold time 9;
    connect retry time 1;
    error wait time 1, 3;
    ipv4 { import all; export where proto = "s4"; };
    ipv6 { import all; export where proto = "s6"; next hop address 2001:db8:b::2; };
}
"""


class _BirdLab:
    """The minimum of bgp_lab.Lab that Bird needs: a folder and spawn/stop."""

    def __init__(self, d):
        import subprocess
        self.dir, self.procs, self._sp = d, [], subprocess

    def path(self, name):
        return os.path.join(self.dir, name)

    def spawn(self, ns, args, log):
        f = open(self.path(log), "ab")
        p = self._sp.Popen(["ip", "netns", "exec", ns] + list(args), stdout=f, stderr=f)
        self.procs.append(p)
        return p

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(10)
                except self._sp.TimeoutExpired:
                    p.kill()
                    p.wait(5)


@pytest.fixture(scope="module")
def lab():
    net = Netns("g")
    node = blab = None
    try:
        nsn, nsa, nsb = net.ns("N"), net.ns("A"), net.ns("B")
        p = net.prefix[-8:]
        ha, na, hb, nb = f"h{p}a", f"n{p}a", f"h{p}b", f"n{p}b"
        net.veth(nsa, ha, nsn, na)
        net.veth(nsb, hb, nsn, nb)
        net.host(nsa, ha, "198.51.100.2/24", "198.51.100.1", "2001:db8:a::2/64", "2001:db8:a::1")
        net.host(nsb, hb, "203.0.113.2/25", "203.0.113.1", "2001:db8:b::2/64", "2001:db8:b::1")
        net.run(nsb, "ip", "addr", "add", "203.0.113.130/32", "dev", "lo")
        net.run(nsb, "ip", "addr", "add", "2001:db8:100::1/128", "dev", "lo")
        net.offload_off(nsn, na, nb)
        conf = {
            "lcores": [{"id": 0, "roles": ["ctl"]}, {"id": 1, "roles": ["rx", "tx"]}],
            "ports": [
                {"name": "a", "device": f"net_af_packet0,iface={na}",
                 "addresses": ["198.51.100.1/24", "2001:db8:a::1/64"]},
                {"name": "b", "device": f"net_af_packet1,iface={nb}",
                 "addresses": ["203.0.113.1/25", "2001:db8:b::1/64"]},
            ],
            "bgp": {"as": 65001, "router_id": "203.0.113.1", "hold_time": 9,
                    "connect_retry_ms": 1000,
                    "peers": [{"name": "bird", "address": "203.0.113.2", "as": 65002,
                               "families": ["ipv4", "ipv6"], "nexthop6": "2001:db8:b::1",
                               "import": {"default": "reject", "terms": [
                                   {"prefixes": ["203.0.113.128/25 le 32"], "set_local_pref": 300,
                                    "add_communities": ["65001:77"], "action": "accept"},
                                   {"prefixes": ["2001:db8::/32 le 64"], "action": "accept"}]},
                               "export": {"terms": [{"prepend": 2, "action": "accept"}]}}],
                    "originate": ["198.51.100.0/24"]},
            # a small budget for local traffic: the session must not need it
            "exception_path": {"rate_pps": 50, "burst": 50},
        }
        node = Vx0d(net, nsn, conf, "g")
        blab = _BirdLab(node.dir)
        bird = Bird(blab, nsb, BIRD_CONF)
        wait_for(lambda: bird.established("vx0"), 30, what="BIRD session Established")
        yield {"net": net, "node": node, "bird": bird, "A": nsa, "B": nsb}
    finally:
        if node is not None:
            node.stop()
        if blab is not None:
            blab.close()
        net.close()


def ping(lab, addr, count=2):
    six = ["-6"] if ":" in addr else []
    r = lab["net"].run(lab["A"], "ping", *six, "-c", str(count), "-i", "0.2", "-W", "2", addr,
                       check=False)
    return r.returncode, r.stdout


def fib(lab, addr):
    return lab["node"].telemetry(f"/vx0/fib,{addr}")[0]


def test_session_up_both_sides(lab):
    s, nbrs = lab["node"].telemetry("/vx0/bgp", "/vx0/bgp/neighbors")
    assert s["enabled"] == "yes" and s["local_as"] == 65001
    addr, state, asn = nbrs["p0"][:3]
    assert (addr, state, asn) == ("203.0.113.2", "Established", "65002")
    # BIRD learned our own prefix
    wait_for(lambda: lab["bird"].has_route("198.51.100.0/24", "203.0.113.1"), 15,
             what="198.51.100.0/24 at BIRD")


def test_learned_routes_in_fib_and_forwarding(lab):
    wait_for(lambda: fib(lab, "203.0.113.130").get("result") == "forward", 15,
             what="BGP route in the FIB")
    wait_for(lambda: fib(lab, "2001:db8:100::1").get("result") == "forward", 15,
             what="BGP IPv6 route in the FIB")
    assert fib(lab, "203.0.113.130")["via"] == "203.0.113.2"
    assert fib(lab, "2001:db8:100::1")["via"] == "2001:db8:b::2"
    r = lab["node"].telemetry("/vx0/bgp/route,203.0.113.128/26")[0]
    assert r["paths"] == 1 and r["path0"][:3] == ["best", "203.0.113.2", "65002"]
    for addr in ("203.0.113.130", "2001:db8:100::1"):
        rc, out = ping(lab, addr)
        assert rc == 0, out


def test_import_and_export_policy(lab):
    # 203.0.113.64/26 is not in the import policy: received, rejected, not in the FIB
    wait_for(lambda: lab["node"].telemetry("/vx0/bgp/route,203.0.113.64/26")[0].get("paths") == 1,
             15, what="rejected path in the RIB")
    r = lab["node"].telemetry("/vx0/bgp/route,203.0.113.64/26")[0]
    assert r["path0"][0] == "rejected"
    assert lab["node"].telemetry("/vx0/fib,203.0.113.70")[0]["result"] == "connected"
    r = lab["node"].telemetry("/vx0/bgp/route,203.0.113.128/26")[0]
    assert r["path0"][3].startswith("local_pref 300")
    nb = lab["node"].telemetry("/vx0/bgp/neighbors")[0]["p0"]
    assert int(nb[4]) == 3 and int(nb[5]) == 2  # received 3 prefixes, accepted 2
    # the export policy prepends our AS twice
    wait_for(lambda: "65001 65001 65001" in lab["bird"].route_text("198.51.100.0/24"), 15,
             what="prepended AS path at BIRD")


def test_withdraw_removes_route_and_traffic_stops(lab):
    lab["bird"].cmd("disable", "s4")
    wait_for(lambda: fib(lab, "203.0.113.130").get("result") == "no route", 15,
             what="withdrawal in the FIB")
    rc, out = ping(lab, "203.0.113.130", count=1)
    assert rc != 0
    lab["bird"].cmd("enable", "s4")
    wait_for(lambda: fib(lab, "203.0.113.130").get("result") == "forward", 15,
             what="route back")
    rc, out = ping(lab, "203.0.113.130")
    assert rc == 0, out


def test_control_plane_policing_keeps_the_session(lab):
    """A flood of local traffic is policed at exception_path.rate_pps (50
    here) while the BGP peer's segments, in the "peer" punt class with its
    own budget, pass: the session stays up."""
    node = lab["node"]
    p0 = node.telemetry("/vx0/punt")[0]
    lab["net"].run(lab["A"], PY, "-c", "import socket\ns = socket.socket(socket.AF_INET, "
                   "socket.SOCK_DGRAM)\nfor i in range(3000): s.sendto(b'x', ('198.51.100.1', 9))")
    wait_for(lambda: node.telemetry("/vx0/punt")[0]["policed"] - p0["policed"] >= 1000, 10,
             what="the flood policed")
    # keepalives every 3 s (hold time 9) arrive in the peer class
    wait_for(lambda: node.telemetry("/vx0/punt")[0]["peer"] > p0["peer"], 10,
             what="BGP segments in the peer class")
    p1 = node.telemetry("/vx0/punt")[0]
    assert p1["local"] - p0["local"] < 1000, (p0, p1)  # burst 50 + 50/s of the 3000
    assert lab["bird"].established("vx0")


def test_zz_shutdown_sends_cease_with_message(lab):
    rc, stats = lab["node"].stop()
    assert rc == 0 and stats["mbufs_in_use"] == 0
    wait_for(lambda: "vx0d is shutting down" in lab["bird"].cmd("show", "protocols", "all", "vx0"),
             10, what="BIRD to log our RFC 8203 message")
