"""Lab: two vx0d nodes key their ESP link with IKEv2 alone (no static SAs):
X initiates with a pre-shared key, each CHILD_SA lands in the SAD, the
peer's traffic selectors become tunnel routes, and the hosts behind the
nodes reach each other through the tunnel. Then a CHILD_SA rekey.

  host A ── a [ vx0d X ] w ═══ IKE + ESP ═══ w [ vx0d Y ] a ── host B
  198.51.100.2/25     203.0.113.1/30         203.0.113.2/30     198.51.100.130/25
"""
import json
import os
import subprocess

import pytest

from vx0lab import PY, Netns, Vx0d, metric, mgmt_requests, scrape_ns, wait_for

HERE = os.path.dirname(os.path.abspath(__file__))
PROBE = os.path.join(HERE, "udp_probe.py")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    net = Netns("k")
    nodes = []
    d = tmp_path_factory.mktemp("ike")
    psk = d / "psk"
    psk.write_text(os.urandom(24).hex() + "\n")
    os.chmod(psk, 0o600)
    try:
        nsx, nsy, nsa, nsb, (ha, xa, hb, ya, xw, yw) = net.gateway_pair(v6=True)

        def conf(inner4, inner6, wan, peer, lts, rts, ifa, ifw, initiate, myid, peerid):
            extra = {"debug_keys_file": str(d / "keys.txt")} if initiate else {}
            return {
                "management": {"socket": str(d / ("mgmt-%s.sock" % myid))},
                "lcores": [{"id": 0, "roles": ["ctl"]},
                           {"id": 1, "roles": ["rx", "tx", "crypto"]}],
                "ports": [
                    {"name": "a", "device": f"net_af_packet0,iface={ifa}",
                     "addresses": [inner4, inner6]},
                    {"name": "w", "device": f"net_af_packet1,iface={ifw}",
                     "addresses": [wan + "/30"]},
                ],
                "ike": dict(extra, **{"local": wan, "dpd_ms": 1000, "retransmit_base_ms": 300,
                                       "retransmit_tries": 3, "peers": [{
                    "name": "other", "address": peer, "psk_file": str(psk),
                    "local_id": myid, "remote_id": peerid, "initiate": initiate,
                    "pfs": True, "local_ts": lts, "remote_ts": rts,
                    "child_lifetime_s": 30}]}),
            }
        cx = conf("198.51.100.1/25", "2001:db8:a::1/64", "203.0.113.1", "203.0.113.2",
                  ["198.51.100.0/25", "2001:db8:a::/64"], ["198.51.100.128/25", "2001:db8:c::/64"],
                  xa, xw, True, "x.vx0", "y.vx0")
        cx["metrics"] = {"listen": "198.51.100.1:9100"}   # scraped from host A
        cy = conf("198.51.100.129/25", "2001:db8:c::1/64", "203.0.113.2", "203.0.113.1",
                  ["198.51.100.128/25", "2001:db8:c::/64"], ["198.51.100.0/25", "2001:db8:a::/64"],
                  ya, yw, False, "y.vx0", "x.vx0")
        nodes.append(Vx0d(net, nsy, cy, "ky"))
        nodes.append(Vx0d(net, nsx, cx, "kx"))
        yield {"net": net, "Y": nodes[0], "X": nodes[1], "A": nsa, "B": nsb,
               "mgmt": str(d / "mgmt-x.vx0.sock"), "keys": str(d / "keys.txt")}
    finally:
        for n in nodes:
            n.stop()
        net.close()


def sas(node):
    return {v[0]: v for v in node.telemetry("/vx0/sa")[0].values()}


def ping(lab, addr, count=3):
    six = ["-6"] if ":" in addr else []
    r = lab["net"].run(lab["A"], "ping", *six, "-c", str(count), "-i", "0.2", "-W", "2", addr,
                       check=False)
    return r.returncode, r.stdout


def test_child_sa_installed_on_both_nodes(lab):
    wait_for(lambda: len(sas(lab["X"])) == 2 and len(sas(lab["Y"])) == 2, 20,
             what="CHILD_SA pairs in both SADs")
    sx, sy = sas(lab["X"]), sas(lab["Y"])
    # X's inbound SPI is Y's outbound one and the reverse
    x_in = [s for s, v in sx.items() if v[1] == "in"]
    y_out = [s for s, v in sy.items() if v[1] == "out"]
    assert x_in == y_out
    assert lab["X"].telemetry("/vx0/fib,198.51.100.130")[0]["result"] == "tunnel"
    assert lab["X"].telemetry("/vx0/fib,2001:db8:c::2")[0]["result"] == "tunnel"


@pytest.mark.parametrize("addr", ["198.51.100.130", "2001:db8:c::2"])
def test_traffic_through_ike_keyed_tunnel(lab, addr):
    rc, out = ping(lab, addr)
    assert rc == 0, out
    assert "ttl=62" in out or "hlim=62" in out, out


def test_udp_byte_exact(lab):
    payload = os.urandom(1000)
    rx = subprocess.Popen(["ip", "netns", "exec", lab["B"], PY, PROBE, "recv", "198.51.100.130",
                           "5555", "5"], stdout=subprocess.PIPE, text=True)
    try:
        assert rx.stdout.readline().strip() == "ready"
        lab["net"].run(lab["A"], PY, PROBE, "send", "198.51.100.130", "5555", payload.hex())
        out = json.loads(rx.stdout.readline())
    finally:
        rx.wait(10)
    assert out.get("payload") == payload.hex()


def test_rekey_mid_stream_loses_nothing(lab):
    """A 30 s CHILD_SA is rekeyed at 85 % of its life (X initiates): 25 s
    of a steady UDP stream across the rekey arrive complete."""
    before = set(sas(lab["X"]))
    rx = subprocess.Popen(["ip", "netns", "exec", lab["B"], PY, "-c", STREAM_RX],
                          stdout=subprocess.PIPE, text=True)
    try:
        assert rx.stdout.readline().strip() == "ready"
        tx = lab["net"].run(lab["A"], PY, "-c", STREAM_TX, timeout=60)
        sent = int(tx.stdout.strip())
        got = json.loads(rx.stdout.readline())
    finally:
        rx.wait(10)
    after = set(sas(lab["X"]))
    assert after - before, "no rekey happened during the stream"
    ike = lab["X"].telemetry("/vx0/ike")[0]
    assert ike["child_sa_rekeys"] >= 1 and ike["install_errors"] == 0, ike
    assert got["count"] == sent and got["in_order"], (got, sent)


STREAM_TX = """
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
end = time.monotonic() + 26
n = 0
while time.monotonic() < end:
    s.sendto(n.to_bytes(4, 'big') + bytes(200), ('198.51.100.130', 5556))
    n += 1
    time.sleep(0.01)
print(n)
"""
STREAM_RX = """
import json, socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('198.51.100.130', 5556))
s.settimeout(3)
print('ready', flush=True)
seen, last, in_order = set(), -1, True
s.settimeout(30)
try:
    while True:
        d = s.recv(2048)
        s.settimeout(3)
        k = int.from_bytes(d[:4], 'big')
        in_order = in_order and k > last
        last = k
        seen.add(k)
except socket.timeout:
    pass
print(json.dumps({'count': len(seen), 'in_order': in_order}))
"""


def test_management_lists_child_sas_and_debug_keys_file(lab):
    r = mgmt_requests(lab["mgmt"], {"cmd": "ike.sas"})[0]
    assert r["ok"] and len(r["result"]) >= 1, r
    c = r["result"][0]
    assert c["peer"] == "other" and c["alg"] in ("chacha20-poly1305", "aes-256-gcm")
    assert c["lifetime_hard_s"] == 30 and c["routes"] == 2
    # exactly these fields: no key material
    assert set(c) == {"peer", "spi_in", "spi_out", "alg", "esn", "lifetime_soft_s",
                      "lifetime_hard_s", "packets_in", "bytes_in", "packets_out", "bytes_out",
                      "routes"}
    # X was started with a debug keys file: tshark UAT lines, one per SA
    with open(lab["keys"]) as f:
        text = f.read()
    assert "esp_sa:" in text and "ikev2_decryption_table:" in text


def test_prometheus_ike_metrics(lab):
    """X's /metrics: the CHILD_SA gauge and counters match /vx0/ike (after
    the rekey test: at least one rekey)."""
    out, samples = scrape_ns(lab["net"], lab["A"], "http://198.51.100.1:9100/metrics")
    t = lab["X"].telemetry("/vx0/ike")[0]
    assert "# TYPE vx0_ike_child_sas gauge" in out
    assert metric(samples, "vx0_ike_child_sas") == t["child_sas_active"] >= 1
    assert metric(samples, "vx0_ike_child_sas_established_total") == t["child_sas_up"] >= 2
    assert metric(samples, "vx0_ike_rekeys_total") == t["child_sa_rekeys"] >= 1
    assert metric(samples, "vx0_ike_install_errors_total") == t["install_errors"] == 0


def test_zy_killed_peer_detected_and_sas_removed(lab):
    """Y dies without a word: X's liveness check (1 s idle, 3 tries from
    300 ms) declares the IKE SA dead and removes its CHILD_SAs and routes."""
    import shutil
    assert lab["X"].telemetry("/vx0/ike")[0]["child_sas_active"] >= 1
    lab["Y"].proc.kill()
    lab["Y"].proc.wait(10)
    shutil.rmtree(f"/var/run/dpdk/{lab['Y'].prefix}", ignore_errors=True)
    wait_for(lambda: lab["X"].telemetry("/vx0/ike")[0]["child_sas_active"] == 0, 30,
             what="X to notice that Y is gone")
    assert lab["X"].telemetry("/vx0/sa")[0] == {}
    assert lab["X"].telemetry("/vx0/fib,198.51.100.130")[0]["result"] == "no route"


def test_zz_clean_exit(lab):
    rc, stats = lab["X"].stop()
    assert rc == 0 and stats["mbufs_in_use"] == 0


def test_world_readable_psk_file_refused(tmp_path):
    """A secret others can read is refused at start-up, with the field named."""
    from vx0lab import VX0D
    psk = tmp_path / "psk"
    psk.write_text("not-so-secret\n")
    os.chmod(psk, 0o644)
    conf = {
        "eal": ["--no-huge", "-m", "512", "--no-pci", "--file-prefix", f"vx0kp{os.getpid()}",
                "--lcores", "0@(0-1),1@(0-1)",
                "--log-level", "pmd.net.tap:critical"],
        "lcores": [{"id": 0, "roles": ["ctl"]}, {"id": 1, "roles": ["rx", "tx", "crypto"]}],
        "ports": [{"name": "w", "device": "net_null0", "addresses": ["203.0.113.1/30"]}],
        "ike": {"local": "203.0.113.1", "peers": [{
            "address": "203.0.113.2", "psk_file": str(psk),
            "local_ts": ["198.51.100.0/25"], "remote_ts": ["198.51.100.128/25"]}]},
    }
    (tmp_path / "node.json").write_text(json.dumps(conf))
    net = Netns("p")
    try:
        ns = net.ns("N")
        r = subprocess.run(["ip", "netns", "exec", ns, VX0D, "-q", "-c", str(tmp_path / "node.json")],
                           capture_output=True, text=True, timeout=60)
    finally:
        net.close()
    assert r.returncode == 1
    assert "ike.peers[0].psk_file: Operation not permitted" in r.stderr, r.stderr[-500:]
