"""Lab: two vx0d nodes joined by a link carry the traffic of the hosts
behind them inside a manually keyed ESP SA pair (RFC 4303 tunnel mode).

  host A ── a [ vx0d X ] w ═══ ESP ═══ w [ vx0d Y ] a ── host B
  198.51.100.2/25     203.0.113.1/30   203.0.113.2/30     198.51.100.130/25
  2001:db8:a::2/64                                         2001:db8:c::2/64

X→Y uses SPI 0x1001 (ChaCha20-Poly1305), Y→X SPI 0x2001 (AES-256-GCM, ESN).
The link is captured and decrypted by scapy, an independent ESP.
"""
import json
import os
import subprocess
import time

import pytest

from vx0lab import PY, Netns, Vx0d, wait_for

HERE = os.path.dirname(os.path.abspath(__file__))
PROBE = os.path.join(HERE, "udp_probe.py")
K1 = os.urandom(36)
K2 = os.urandom(36)


def sa(spi, direction, alg, key, local, remote, **kw):
    d = {"spi": hex(spi), "direction": direction, "alg": alg, "key": key.hex(),
         "local": local, "remote": remote}
    d.update(kw)
    return d


@pytest.fixture(scope="module", params=["sodium", "cryptodev"])
def lab(request):
    net = Netns("e")
    nodes = []
    try:
        nsx, nsy, nsa, nsb, (ha, xa, hb, ya, xw, yw) = net.gateway_pair(v6=True)

        def conf(tag, inner4, inner6, wan4, peer4, out_spi, out_alg, out_key, in_spi, in_alg,
                 in_key, far4, far6, ifa, ifw, esn_out, esn_in):
            return {
                # the engine per node: libsodium, or DPDK's crypto_aesni_mb
                # through rte_cryptodev
                "crypto": {"engine": request.param,
                           "args": "crypto_aesni_mb0" if request.param == "cryptodev" else ""},
                "lcores": [{"id": 0, "roles": ["ctl"]},
                           {"id": 1, "roles": ["rx", "tx", "crypto"]}],
                "ports": [
                    {"name": "a", "device": f"net_af_packet0,iface={ifa}",
                     "addresses": [inner4, inner6]},
                    {"name": "w", "device": f"net_af_packet1,iface={ifw}",
                     "addresses": [wan4]},
                ],
                "sas": [sa(out_spi, "out", out_alg, out_key, wan4.split("/")[0], peer4,
                           esn=esn_out, lifetime={"soft_packets": 5, "hard_packets": 100000}),
                        sa(in_spi, "in", in_alg, in_key, wan4.split("/")[0], peer4,
                           esn=esn_in)],
                "routes": [{"prefix": far4, "sa": hex(out_spi)},
                           {"prefix": far6, "sa": hex(out_spi)}],
            }
        cx = conf("x", "198.51.100.1/25", "2001:db8:a::1/64", "203.0.113.1/30", "203.0.113.2",
                  0x1001, "chacha20poly1305", K1, 0x2001, "aes256gcm16", K2,
                  "198.51.100.128/25", "2001:db8:c::/64", xa, xw, False, True)
        cy = conf("y", "198.51.100.129/25", "2001:db8:c::1/64", "203.0.113.2/30", "203.0.113.1",
                  0x2001, "aes256gcm16", K2, 0x1001, "chacha20poly1305", K1,
                  "198.51.100.0/25", "2001:db8:a::/64", ya, yw, True, False)
        nodes.append(Vx0d(net, nsx, cx, "ex"))
        nodes.append(Vx0d(net, nsy, cy, "ey"))
        yield {"net": net, "X": nodes[0], "Y": nodes[1], "A": nsa, "B": nsb, "NY": nsy,
               "yw": yw, "NX": nsx, "xw": xw}
    finally:
        for n in nodes:
            n.stop()
        net.close()


def ping(lab, addr, count=3):
    six = ["-6"] if ":" in addr else []
    r = lab["net"].run(lab["A"], "ping", *six, "-c", str(count), "-i", "0.2", "-W", "2", addr,
                       check=False)
    return r.returncode, r.stdout


@pytest.mark.parametrize("addr", ["198.51.100.130", "2001:db8:c::2"])
def test_ping_through_tunnel(lab, addr):
    rc, out = ping(lab, addr)
    assert rc == 0, out
    # the reply crossed two routers: Y (into the tunnel) and X (out of it)
    assert "ttl=62" in out or "hlim=62" in out, out


@pytest.mark.parametrize("src,dst,addr", [("A", "B", "198.51.100.130"),
                                          ("B", "A", "198.51.100.2"),
                                          ("A", "B", "2001:db8:c::2")])
def test_udp_byte_exact_through_tunnel(lab, src, dst, addr):
    payload = os.urandom(1200)
    rx = subprocess.Popen(["ip", "netns", "exec", lab[dst], PY, PROBE, "recv", addr, "5555", "5"],
                          stdout=subprocess.PIPE, text=True)
    try:
        assert rx.stdout.readline().strip() == "ready"
        lab["net"].run(lab[src], PY, PROBE, "send", addr, "5555", payload.hex())
        out = json.loads(rx.stdout.readline())
    finally:
        rx.wait(10)
    assert out.get("payload") == payload.hex()
    assert out["ttl"] == 62


def test_link_carries_only_esp_that_scapy_decrypts(lab):
    """tcpdump on both link ports (af_packet's own transmissions bypass the
    capture hook, so each side records what it receives); scapy's
    SecurityAssociation, an independent ESP, decrypts every packet."""
    caps, pcaps = [], []
    for node, ns, ifn in ((lab["Y"], lab["NY"], lab["yw"]), (lab["X"], lab["NX"], lab["xw"])):
        pcap = os.path.join(node.dir, "link.pcap")
        pcaps.append(pcap)
        caps.append(subprocess.Popen(["ip", "netns", "exec", ns, "tcpdump", "-i", ifn, "-w",
                                      pcap, "-U", "-c", "3", "ip"], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL))
    time.sleep(0.5)
    try:
        rc, out = ping(lab, "198.51.100.130", count=3)
        assert rc == 0, out
        for c in caps:
            c.wait(10)
    finally:
        for c in caps:
            if c.poll() is None:
                c.terminate()
                c.wait(5)
    code = f"""
from scapy.all import rdpcap, IP, ESP, ICMP
from scapy.layers.ipsec import SecurityAssociation
k1, k2 = bytes.fromhex('{K1.hex()}'), bytes.fromhex('{K2.hex()}')
xy = SecurityAssociation(ESP, spi=0x1001, crypt_algo='CHACHA20-POLY1305', crypt_key=k1,
                         tunnel_header=IP(src='203.0.113.1', dst='203.0.113.2'))
yx = SecurityAssociation(ESP, spi=0x2001, crypt_algo='AES-GCM', crypt_key=k2, esn_en=True,
                         tunnel_header=IP(src='203.0.113.2', dst='203.0.113.1'))
for p in rdpcap('{pcaps[0]}') + rdpcap('{pcaps[1]}'):
    ip = p[IP]
    assert ip.proto == 50, ip.summary()
    sa_ = xy if ip[ESP].spi == 0x1001 else yx
    inner = sa_.decrypt(ip)
    print(inner[IP].src, inner[IP].dst, inner[ICMP].type)
"""
    r = lab["net"].run(lab["A"], PY, "-c", code, check=False)
    assert r.returncode == 0, r.stderr[-1500:]
    out = r.stdout.split("\n")
    rows = [l.split() for l in out if l.strip()]
    assert len(rows) == 6
    assert ["198.51.100.2", "198.51.100.130", "8"] in rows   # echo request, X→Y
    assert ["198.51.100.130", "198.51.100.2", "0"] in rows   # echo reply, Y→X


def test_sa_counters_and_bad_esp_counted(lab):
    sas = lab["Y"].telemetry("/vx0/sa")[0]
    byspi = {v[0]: v for v in sas.values()}
    assert int(byspi["0x00001001"][3]) > 0 and byspi["0x00001001"][1] == "in"
    assert int(byspi["0x00002001"][3]) > 0 and byspi["0x00002001"][1] == "out"
    d0 = lab["Y"].telemetry("/vx0/drops")[0]
    # from the link side of X's namespace is not ours to spoof; host B sends
    # ESP to Y's inner address: unknown SPI, then a forged packet for 0x1001
    code = ("from scapy.all import *\n"
            "send(IP(dst='198.51.100.129')/ESP(spi=0x7777, seq=1)/Raw(bytes(40)), verbose=False)\n"
            "send(IP(dst='198.51.100.129')/ESP(spi=0x1001, seq=99)/Raw(bytes(60)), verbose=False)\n")
    lab["net"].run(lab["B"], PY, "-c", code)

    def delta(k):
        return lab["Y"].telemetry("/vx0/drops")[0][k] - d0[k]

    wait_for(lambda: delta("esp_no_sa") >= 1 and delta("esp_auth") >= 1, 10,
             what="ESP drops counted")
    rc, out = ping(lab, "198.51.100.130", count=1)   # the SA still works
    assert rc == 0, out
    # the outbound SAs have a soft lifetime of 5 packets: reported once
    for n in (lab["X"], lab["Y"]):
        assert n.telemetry("/vx0/stats")[0]["esp_soft_expired"] == 1
    wait_for(lambda: "reached its soft lifetime" in lab["X"].logtext(), 5, what="the warning")


def test_zy_scapy_encrypted_esp_decapsulated_by_vx0d(lab):
    """scapy (an independent ESP) encrypts for X's inbound SA 0x2001
    (AES-256-GCM, ESN) and sends it onto the link from Y's side; X decrypts
    and forwards the inner packet to host A byte-exact. (Runs last: its far
    sequence number moves X's replay window past what Y will send.)"""
    payload = os.urandom(600)
    rx = subprocess.Popen(["ip", "netns", "exec", lab["A"], PY, PROBE, "recv", "198.51.100.2",
                           "5557", "5"], stdout=subprocess.PIPE, text=True)
    code = f"""
from scapy.all import *
from scapy.layers.ipsec import SecurityAssociation
sa = SecurityAssociation(ESP, spi=0x2001, crypt_algo='AES-GCM', esn_en=True,
                         crypt_key=bytes.fromhex('{K2.hex()}'),
                         tunnel_header=IP(src='203.0.113.2', dst='203.0.113.1'))
inner = IP(src='198.51.100.130', dst='198.51.100.2', ttl=64)/UDP(sport=4000, dport=5557)/Raw(bytes.fromhex('{payload.hex()}'))
# far ahead of what Y has sent on this SA, so the replay window takes it
outer = sa.encrypt(inner, seq_num=1000000)
xmac = open('/sys/class/net/{lab["yw"]}/address').read().strip()
dmac = '{lab["X"].telemetry("/vx0/port,w")[0]["mac"]}'
sendp(Ether(src=xmac, dst=dmac)/outer, iface='{lab["yw"]}', verbose=False)
"""
    try:
        assert rx.stdout.readline().strip() == "ready"
        lab["net"].run(lab["NY"], PY, "-c", code)
        out = json.loads(rx.stdout.readline())
    finally:
        rx.wait(10)
    assert out.get("payload") == payload.hex()
    assert out["ttl"] == 63  # decapsulated, then forwarded once by X


def test_zz_a_sas_replaced_over_the_management_socket(lab):
    """sa.add / route.add "sa" / sa.del: a new SA pair (0x1002 X→Y,
    0x2002 Y→X) is added on both nodes, the tunnel routes move onto it,
    traffic follows byte-exact, and the old SAs go once no route leads
    into them (refused before). Runs after the others: it replaces the config's SAs."""
    from vx0lab import mgmt_requests
    k3, k4 = os.urandom(36), os.urandom(36)
    mx = os.path.join(os.path.dirname(lab["X"].sock), "vx0_mgmt.sock")
    my = os.path.join(os.path.dirname(lab["Y"].sock), "vx0_mgmt.sock")

    def req(path, **r):
        return mgmt_requests(path, r)[0]

    for path, out_spi, out_key, in_spi, in_key, local, remote in (
            (mx, 0x1002, k3, 0x2002, k4, "203.0.113.1", "203.0.113.2"),
            (my, 0x2002, k4, 0x1002, k3, "203.0.113.2", "203.0.113.1")):
        for spi, d, key in ((out_spi, "out", out_key), (in_spi, "in", in_key)):
            r = req(path, cmd="sa.add", **sa(spi, d, "chacha20poly1305", key, local, remote))
            assert r["ok"], r
        # the same SPI twice, a bad key, an unknown field: errors naming the field
        r = req(path, cmd="sa.add", **sa(out_spi, "out", "chacha20poly1305", out_key, local,
                                         remote))
        assert not r["ok"] and '"spi": an SA with SPI' in r["error"], r
        bad = sa(0x3003, "out", "chacha20poly1305", out_key, local, remote)
        bad["key"] = "00" * 5
        r = req(path, cmd="sa.add", **bad)
        assert not r["ok"] and r["error"].startswith("sas[0].key"), r
        r = req(path, cmd="sa.add", colour="red", **sa(0x3004, "in", "chacha20poly1305",
                                                       out_key, local, remote))
        assert not r["ok"] and "colour" in r["error"], r
    # the old outbound SA carries the routes: refused
    r = req(mx, cmd="sa.del", spi="0x1001", direction="out")
    assert not r["ok"] and "routes lead into SA" in r["error"], r
    for path, far4, far6, spi in ((mx, "198.51.100.128/25", "2001:db8:c::/64", "0x1002"),
                                  (my, "198.51.100.0/25", "2001:db8:a::/64", "0x2002")):
        for p in (far4, far6):
            r = req(path, cmd="route.add", prefix=p, sa=spi)
            assert r["ok"], r
    r = req(mx, cmd="route.add", prefix="198.51.100.128/25", sa="0x9999")
    assert not r["ok"] and "no outbound SA" in r["error"], r
    for old_spi, path in ((("0x1001", "out"), mx), (("0x2001", "in"), mx),
                          (("0x2001", "out"), my), (("0x1001", "in"), my)):
        r = req(path, cmd="sa.del", spi=old_spi[0], direction=old_spi[1])
        assert r["ok"], r
    r = req(mx, cmd="sa.del", spi="0x1001", direction="out")
    assert not r["ok"] and "no out SA" in r["error"], r
    # traffic on the new pair, both ways, byte-exact
    test_udp_byte_exact_through_tunnel(lab, "A", "B", "198.51.100.130")
    test_udp_byte_exact_through_tunnel(lab, "B", "A", "198.51.100.2")
    for path, out_spi, in_spi in ((mx, "0x00001002", "0x00002002"),
                                  (my, "0x00002002", "0x00001002")):
        r = req(path, cmd="sa.list")
        assert r["ok"], r
        byspi = {(s["spi"], s["direction"]): s for s in r["result"]}
        assert set(byspi) == {(out_spi, "out"), (in_spi, "in")}
        assert byspi[(out_spi, "out")]["packets"] >= 1 and byspi[(out_spi, "out")]["routed"]
        assert byspi[(in_spi, "in")]["packets"] >= 1
        assert all(s["owner"] == "static" and "key" not in s for s in r["result"])


def test_zz_both_nodes_exit_clean(lab):
    for n in (lab["X"], lab["Y"]):
        rc, stats = n.stop()
        assert rc == 0 and stats["mbufs_in_use"] == 0
