"""Lab: BGP peers changed at run time, against BIRD 2 with two sessions.

  host A ── port a [ vx0d, AS 65001 ] port b ── bridge ─┬─ C: BIRD pa, 203.0.113.2, AS 65002
  198.51.100.2      198.51.100.1 | 203.0.113.1           └─ D: BIRD pb, 203.0.113.3, AS 65003

A config.reload that changes only policies applies them on the live
sessions (export re-run, route refresh for import: BIRD sees the prepended
path, pb's route leaves the FIB, nobody flaps). A reload that changes peer
pb (its hold time) takes pb down and up again and leaves pa's session alone: vx0d's established time and count for
pa, and BIRD's "since" time of pa, stay the same. Removing pb from the file
ends its session (Cease, BIRD sees it), pa untouched; bgp.peer.add brings it
back without a file, a soft reset keeps the session, a hard one restarts it.
"""
import json
import os
import shutil
import tempfile

import pytest

from bgp_lab import Bird
from mgmt_lab import vx0ctl
from test_vx0d_bgp import _BirdLab
from vx0lab import Netns, Vx0d, mgmt_requests, wait_for

BIRD_CONF = """
router id {rid};
log stderr all;
timeformat protocol iso long;
protocol device {{}}
protocol static s4 {{ ipv4; route {route} blackhole; }}
protocol bgp {name} {{
    local {rid} as {asn};
    neighbor 203.0.113.1 as 65001;
    hold time 9; connect retry time 1; error wait time 1, 3;
    ipv4 {{ import all; export where proto = "s4"; }};
}}
"""

PA = {"name": "pa", "address": "203.0.113.2", "as": 65002}
PB = {"name": "pb", "address": "203.0.113.3", "as": 65003}


@pytest.fixture(scope="module")
def lab():
    net = Netns("mr")
    node = blab = None
    sockdir = tempfile.mkdtemp(prefix="vx0-mr-")
    try:
        # two BIRDs (C: pa, D: pb) on port b's link, through a bridge in B
        nsn, nsa, nsb = net.ns("N"), net.ns("A"), net.ns("B")
        nsc, nsd = net.ns("C"), net.ns("D")
        p = net.prefix[-8:]
        ha, na, hb, nb = f"h{p}a", f"n{p}a", f"h{p}b", f"n{p}b"
        net.veth(nsa, ha, nsn, na)
        net.veth(nsb, hb, nsn, nb)
        net.host(nsa, ha, "198.51.100.2/24", "198.51.100.1")
        net.run(nsb, "ip", "link", "add", "br0", "type", "bridge")
        net.run(nsb, "ip", "link", "set", hb, "master", "br0")
        for ns, x, addr in ((nsc, "c", "203.0.113.2/25"), (nsd, "d", "203.0.113.3/25")):
            net.veth(nsb, f"b{p}{x}", ns, f"h{p}{x}")
            net.run(nsb, "ip", "link", "set", f"b{p}{x}", "master", "br0")
            net.host(ns, f"h{p}{x}", addr, "203.0.113.1")
        net.run(nsb, "ip", "link", "set", "br0", "up")
        net.offload_off(nsn, na, nb)
        conf = {
            "lcores": [{"id": 0, "roles": ["ctl"]}, {"id": 1, "roles": ["rx", "tx"]}],
            "ports": [
                {"name": "a", "device": f"net_af_packet0,iface={na}",
                 "addresses": ["198.51.100.1/24"]},
                {"name": "b", "device": f"net_af_packet1,iface={nb}",
                 "addresses": ["203.0.113.1/25"]},
            ],
            "bgp": {"as": 65001, "router_id": "203.0.113.1", "hold_time": 9,
                    "connect_retry_ms": 1000, "peers": [PA, PB],
                    "originate": ["198.51.100.0/24"]},
            "management": {"socket": os.path.join(sockdir, "mgmt.sock")},
        }
        node = Vx0d(net, nsn, conf, "mr")
        blab = _BirdLab(node.dir)
        birds = {
            "pa": Bird(blab, nsc, BIRD_CONF.format(rid="203.0.113.2", asn=65002, name="pa",
                                                   route="203.0.113.128/26"), name="bird-pa"),
            "pb": Bird(blab, nsd, BIRD_CONF.format(rid="203.0.113.3", asn=65003, name="pb",
                                                   route="203.0.113.192/26"), name="bird-pb"),
        }
        try:
            wait_for(lambda: birds["pa"].established("pa") and birds["pb"].established("pb"),
                     40, what="both BIRD sessions Established")
        except TimeoutError as e:
            raise AssertionError(f"{e}: {birds['pb'].cmd('show', 'protocols', 'all')}\n"
                                 f"{node.logtext()[-2000:]}") from None
        with open(node.conf_path) as f:
            conf = json.load(f)  # with the EAL arguments vx0d was given
        yield {"net": net, "node": node, "birds": birds, "conf": conf, "dir": sockdir,
               "mgmt": conf["management"]["socket"]}
    finally:
        if node is not None:
            node.stop()
        if blab is not None:
            blab.close()
        net.close()
        shutil.rmtree(sockdir, ignore_errors=True)


def ctl(lab, *args):
    return vx0ctl("-m", lab["mgmt"], *args, prefix=lab["node"].prefix)


def peers(lab):
    rep = mgmt_requests(lab["mgmt"], {"cmd": "bgp.peers"})[0]
    assert rep["ok"], rep
    return {p["peer"]: p for p in rep["result"]["peers"]}


def since(lab, proto):
    """BIRD's state and the time it entered it ("Established", "2026-.. hh:mm:ss")."""
    f = lab["birds"][proto].proto_state(proto)
    return (f[3], " ".join(f[4:6])) if len(f) >= 6 else (None, None)


def reload_with(lab, peers_list, name):
    conf = json.loads(json.dumps(lab["conf"]))
    conf["bgp"]["peers"] = peers_list
    path = os.path.join(lab["dir"], name)
    with open(path, "w") as f:
        json.dump(conf, f, indent=1)
    r = ctl(lab, "--json", "reload", path)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def both_up(lab):
    p = peers(lab)
    return (p.get("203.0.113.2", {}).get("state") == "Established" and
            p.get("203.0.113.3", {}).get("state") == "Established" and
            lab["birds"]["pa"].established("pa") and lab["birds"]["pb"].established("pb"))


def test_both_sessions_up(lab):
    wait_for(lambda: both_up(lab), 30, what="both sessions")
    r = ctl(lab, "bgp", "peers")
    assert r.returncode == 0, r.stderr
    rows = r.stdout.splitlines()
    assert rows[0].split()[:4] == ["peer", "name", "as", "state"]
    assert any(l.split()[:4] == ["203.0.113.3", "pb", "65003", "Established"] for l in rows)


def test_reload_changing_one_peer_leaves_the_other_up(lab):
    wait_for(lambda: both_up(lab), 30, what="both sessions")
    a0, b0 = peers(lab)["203.0.113.2"], peers(lab)["203.0.113.3"]
    bird_a0 = since(lab, "pa")
    assert bird_a0[0] == "up"
    pb = dict(PB, hold_time=12)
    rep = reload_with(lab, [PA, pb], "pb-hold.json")
    assert rep["bgp_peers"] == {"added": [], "removed": [], "changed": ["203.0.113.3"],
                                "policy": [], "unchanged": ["203.0.113.2"]}
    assert rep["changes"] == 1
    # pb: a new session (BIRD saw the old one end)
    wait_for(lambda: both_up(lab) and peers(lab)["203.0.113.3"]["established_ms"] >
             b0["established_ms"], 30, what="pb back up")
    # pa: never flapped, on either side
    a1 = peers(lab)["203.0.113.2"]
    assert a1["established_ms"] == a0["established_ms"]
    assert a1["established_count"] == a0["established_count"]
    assert since(lab, "pa") == bird_a0
    assert lab["birds"]["pa"].established("pa")
    # the same file again: nothing changes, nobody flaps
    rep = reload_with(lab, [PA, pb], "pb-hold.json")
    assert rep["changes"] == 0 and rep["bgp_peers"]["unchanged"] == ["203.0.113.2", "203.0.113.3"]
    assert since(lab, "pa") == bird_a0


def test_reload_removing_a_peer_ends_only_its_session(lab):
    wait_for(lambda: both_up(lab), 30, what="both sessions")
    bird_a0 = since(lab, "pa")
    rep = reload_with(lab, [PA], "only-pa.json")
    assert rep["bgp_peers"]["removed"] == ["203.0.113.3"]
    assert "203.0.113.3" not in peers(lab)
    wait_for(lambda: not lab["birds"]["pb"].established("pb"), 15, what="BIRD's pb down")
    # BIRD was told why: Cease / Peer De-configured (RFC 4486)
    assert "Peer de-configured" in lab["birds"]["pb"].cmd("show", "protocols", "all", "pb")
    assert since(lab, "pa") == bird_a0
    # back from the original file
    rep = reload_with(lab, [PA, PB], "orig.json")
    assert rep["bgp_peers"]["added"] == ["203.0.113.3"]
    wait_for(lambda: both_up(lab), 30, what="pb back")
    assert since(lab, "pa") == bird_a0


def fib(lab, addr):
    return lab["node"].telemetry(f"/vx0/fib,{addr}")[0]


def test_reload_policy_change_keeps_sessions(lab):
    wait_for(lambda: both_up(lab), 30, what="both sessions")
    wait_for(lambda: fib(lab, "203.0.113.200").get("result") == "forward", 15,
             what="pb's route in the FIB")
    wait_for(lambda: lab["birds"]["pa"].has_route("198.51.100.0/24"), 15, what="our prefix at pa")
    bird_a0, bird_b0 = since(lab, "pa"), since(lab, "pb")
    n0 = {a: p["established_count"] for a, p in peers(lab).items()}
    # pa: export prepends twice; pb: import rejects everything
    pa = dict(PA, export={"terms": [{"prepend": 2, "action": "accept"}]})
    pb = dict(PB, **{"import": {"default": "reject"}})
    rep = reload_with(lab, [pa, pb], "policies.json")
    assert rep["bgp_peers"]["policy"] == ["203.0.113.2", "203.0.113.3"], rep
    assert rep["bgp_peers"]["changed"] == []
    wait_for(lambda: "65001 65001 65001" in lab["birds"]["pa"].route_text("198.51.100.0/24"),
             15, what="the prepended path at BIRD pa")
    wait_for(lambda: fib(lab, "203.0.113.200").get("result") == "no route", 15,
             what="pb's route rejected after the route refresh")
    # no session restarted, on either side
    assert {a: p["established_count"] for a, p in peers(lab).items()} == n0
    assert since(lab, "pa") == bird_a0 and since(lab, "pb") == bird_b0
    # and back
    rep = reload_with(lab, [PA, PB], "orig.json")
    assert rep["bgp_peers"]["policy"] == ["203.0.113.2", "203.0.113.3"]
    wait_for(lambda: fib(lab, "203.0.113.200").get("result") == "forward", 15,
             what="pb's route accepted again")
    wait_for(lambda: "65001 65001" not in lab["birds"]["pa"].route_text("198.51.100.0/24"),
             15, what="the plain path at BIRD pa")
    assert since(lab, "pa") == bird_a0 and since(lab, "pb") == bird_b0


def test_peer_commands(lab):
    wait_for(lambda: both_up(lab), 30, what="both sessions")
    a0 = peers(lab)["203.0.113.2"]
    # soft reset: a route refresh, the session stays
    r = ctl(lab, "--json", "bgp", "reset", "203.0.113.2", "soft")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"peer": "203.0.113.2", "reset": "soft"}
    assert peers(lab)["203.0.113.2"]["established_count"] == a0["established_count"]
    # remove pb at run time, add it back by command (not from a file)
    assert ctl(lab, "bgp", "remove", "203.0.113.3").returncode == 0
    wait_for(lambda: not lab["birds"]["pb"].established("pb"), 15, what="BIRD's pb down")
    r = ctl(lab, "bgp", "add", "203.0.113.3", "65003", '{"name": "pb2", "hold_time": 15}')
    assert r.returncode == 0, r.stderr
    wait_for(lambda: both_up(lab), 30, what="pb added by command")
    p = peers(lab)["203.0.113.3"]
    assert p["name"] == "pb2" and p["runtime"] is True
    # errors name the field
    for cmd, args, msg in (
            ("bgp.peer.add", {"address": "203.0.113.3", "as": 65003}, "exists already"),
            ("bgp.peer.add", {"address": "203.0.113.9", "as": 0}, "bgp.peers[0]"),
            ("bgp.peer.add", {"address": "203.0.113.9", "as": 65009, "colour": 1},
             "bgp.peers[0].colour"),
            ("bgp.peer.remove", {"peer": "203.0.113.99"}, "no BGP peer 203.0.113.99"),
            ("bgp.peer.reset", {"peer": "203.0.113.2", "soft": "yes"}, "\"soft\" must be"),
            ("bgp.peer.reset", {"peer": "bogus"}, "\"peer\" must be")):
        rep = mgmt_requests(lab["mgmt"], dict(cmd=cmd, **args))[0]
        assert rep["ok"] is False and msg in rep["error"], (cmd, rep)
    # a reload makes the file's peers the speaker's again: pb2 goes, pb comes
    rep = reload_with(lab, [PA, PB], "orig.json")
    assert "203.0.113.3" in rep["bgp_peers"]["removed"]
    assert "203.0.113.3" in rep["bgp_peers"]["added"]
    wait_for(lambda: both_up(lab), 30, what="pb from the file")
    assert peers(lab)["203.0.113.3"]["name"] == "pb"
    # hard reset: a new session for pa
    n0 = peers(lab)["203.0.113.2"]["established_count"]
    assert ctl(lab, "bgp", "reset", "203.0.113.2").returncode == 0
    wait_for(lambda: peers(lab)["203.0.113.2"]["established_count"] == n0 + 1 and both_up(lab),
             30, what="pa re-established")


def test_zz_clean_exit(lab):
    rc, stats = lab["node"].stop()
    assert rc == 0, lab["node"].logtext()[-3000:]
    assert stats["mbufs_in_use"] == 0
