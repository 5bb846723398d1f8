"""Lab: capture at the crypto stage's input and output shows the same
packet as plaintext and as ESP ciphertext (and back), in one pcapng whose
interfaces are the two tap points.

  host A ── a [ vx0d X ] w ═══ ESP ═══ w [ vx0d Y ] a ── host B
  198.51.100.2/25     203.0.113.1/30   203.0.113.2/30     198.51.100.130/25

X→Y SPI 0x1001 (ChaCha20-Poly1305), Y→X SPI 0x2001 (AES-256-GCM); manual
keys, as in test_vx0d_esp.py.
"""
import os
import subprocess
import tempfile

import pytest

from vx0lab import PY, Netns, Vx0d, mgmt_requests, wait_for

K1 = os.urandom(36)
K2 = os.urandom(36)
SEND = ("import socket, sys\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        "s.sendto(bytes.fromhex(sys.argv[3]), (sys.argv[1], int(sys.argv[2])))\n")


@pytest.fixture(scope="module")
def lab():
    net = Netns("q")
    nodes = []
    try:
        nsx, nsy, nsa, nsb, (ha, xa, hb, ya, xw, yw) = net.gateway_pair(v6=False)

        def sa(spi, direction, alg, key, local, remote):
            return {"spi": hex(spi), "direction": direction, "alg": alg, "key": key.hex(),
                    "local": local, "remote": remote}

        def conf(inner4, wan4, peer4, out_spi, out_alg, out_key, in_spi, in_alg, in_key,
                 far4, ifa, ifw):
            local = wan4.split("/")[0]
            return {
                "lcores": [{"id": 0, "roles": ["ctl"]},
                           {"id": 1, "roles": ["rx", "tx", "crypto"]}],
                "ports": [{"name": "a", "device": f"net_af_packet0,iface={ifa}",
                           "addresses": [inner4]},
                          {"name": "w", "device": f"net_af_packet1,iface={ifw}",
                           "addresses": [wan4]}],
                "sas": [sa(out_spi, "out", out_alg, out_key, local, peer4),
                        sa(in_spi, "in", in_alg, in_key, local, peer4)],
                "routes": [{"prefix": far4, "sa": hex(out_spi)}],
            }
        nodes.append(Vx0d(net, nsx, conf("198.51.100.1/25", "203.0.113.1/30", "203.0.113.2",
                                         0x1001, "chacha20poly1305", K1, 0x2001, "aes256gcm16",
                                         K2, "198.51.100.128/25", xa, xw), "qx"))
        nodes.append(Vx0d(net, nsy, conf("198.51.100.129/25", "203.0.113.2/30", "203.0.113.1",
                                         0x2001, "aes256gcm16", K2, 0x1001, "chacha20poly1305",
                                         K1, "198.51.100.0/25", ya, yw), "qy"))
        # the neighbours on both sides are resolved once traffic has crossed
        net.run(nsa, "ping", "-c", "2", "-i", "0.3", "-W", "2", "198.51.100.130", check=False)
        yield {"net": net, "X": nodes[0], "A": nsa, "B": nsb,
               "mgmt": f"/var/run/dpdk/{nodes[0].prefix}/vx0_mgmt.sock",
               "tmp": tempfile.mkdtemp(prefix="vx0-capesp-")}
    finally:
        for n in nodes:
            n.stop()
        net.close()


def capture(lab, name, flt, send):
    path = os.path.join(lab["tmp"], name)
    r = mgmt_requests(lab["mgmt"], {"cmd": "capture.start",
                                    "point": "stage:crypto:in,stage:crypto:out",
                                    "file": path, "count": 2, "seconds": 20, "filter": flt})[0]
    assert r["ok"], r
    send()
    st = wait_for(lambda: (lambda s: s if not s["active"] else None)(
        mgmt_requests(lab["mgmt"], {"cmd": "capture.status"})[0]["result"]), 10,
        what="the capture to end")
    assert st["written"] == 2 and st["stop_reason"] == "count reached", st
    out = subprocess.run(["tshark", "-r", path, "-T", "fields", "-e", "frame.interface_name",
                          "-e", "esp.spi", "-e", "udp.dstport", "-e", "data.data"],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    return [l.split("\t") for l in out.splitlines()]


def test_crypto_stage_shows_plaintext_then_ciphertext(lab):
    payload = os.urandom(48)
    rows = capture(lab, "enc.pcapng", "udp dst port 5601 or esp",
                   lambda: lab["net"].run(lab["A"], PY, "-c", SEND, "198.51.100.130", "5601",
                                          payload.hex()))
    # in: the plaintext UDP datagram; out: the same, as ESP (SPI 0x1001)
    assert rows[0] == ["stage:crypto:in", "", "5601", payload.hex()], rows
    assert rows[1][:3] == ["stage:crypto:out", "0x00001001", ""], rows
    assert payload.hex() not in "\t".join(rows[1])


def test_crypto_stage_shows_ciphertext_then_plaintext(lab):
    payload = os.urandom(48)
    rows = capture(lab, "dec.pcapng", "esp or udp dst port 5602",
                   lambda: lab["net"].run(lab["B"], PY, "-c", SEND, "198.51.100.2", "5602",
                                          payload.hex()))
    # in: ESP from Y (SPI 0x2001); out: the inner datagram, decrypted
    assert rows[0][:3] == ["stage:crypto:in", "0x00002001", ""], rows
    assert rows[1] == ["stage:crypto:out", "", "5602", payload.hex()], rows
