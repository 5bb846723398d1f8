"""Lab: a vx0d node and strongSwan (charon, userspace ESP via
kernel-libipsec) key a tunnel with IKEv2 and carry real traffic through it.
charon fakes NAT detection, so the CHILD_SA is ESP in UDP/4500 (RFC 3948).

  host A ── a [ vx0d ] w ══ IKE + ESP-in-UDP ══ sw [ charon, nsS ]
  198.51.100.2/25    203.0.113.1/30          203.0.113.2/30, lo: 198.51.100.130
"""
import json
import os
import subprocess
import time

import pytest

from vx0lab import PY, Netns, Vx0d, wait_for

HERE = os.path.dirname(os.path.abspath(__file__))
PROBE = os.path.join(HERE, "udp_probe.py")
CHARON = "/usr/lib/ipsec/charon"
PSK = "vx0-dataplane-psk-" + os.urandom(8).hex()

STRONGSWAN_CONF = """charon {
  load_modular = no
  load = random nonce openssl pem pkcs1 pkcs8 pubkey x509 curve25519 chapoly aes gcm sha2 hmac kdf kernel-libipsec kernel-netlink socket-default vici
  port = 500
  port_nat_t = 4500
  filelog { log { path = %(dir)s/charon.log
                  default = 1
                  ike = 2 } }
  plugins { vici { socket = unix://%(dir)s/charon.vici } }
}
"""
SWANCTL_CONF = """connections {
  vx0 {
    version = 2
    local_addrs = 203.0.113.2
    remote_addrs = 203.0.113.1
    proposals = %(ike)s
    mobike = no
    local { auth = psk
            id = s.vx0 }
    remote { auth = psk
             id = x.vx0 }
    children { net { local_ts = 198.51.100.128/25
                     remote_ts = 198.51.100.0/25
                     esp_proposals = %(esp)s
                     start_action = none } }
  }
}
secrets { ike-1 { id-1 = x.vx0
                  id-2 = s.vx0
                  secret = "%(psk)s" } }
"""


def swanctl(lab, *args, check=True):
    env = dict(os.environ, SWANCTL_DIR=os.path.join(lab["dir"], "swanctl"))
    return subprocess.run(["ip", "netns", "exec", lab["S"], "swanctl", args[0], "--uri",
                           "unix://" + os.path.join(lab["dir"], "charon.vici")] + list(args[1:]),
                          capture_output=True, text=True, env=env, check=check, timeout=30)


@pytest.fixture(scope="module", params=[("chacha20poly1305-prfsha256-x25519", "chacha20poly1305"),
                                        ("aes256gcm16-prfsha256-x25519", "aes256gcm16")],
                ids=["chacha", "aesgcm"])
def lab(request, tmp_path_factory):
    if not os.path.exists(CHARON):
        pytest.skip("strongSwan's charon is not installed")
    ike, esp = request.param
    d = str(tmp_path_factory.mktemp("swan"))
    os.makedirs(os.path.join(d, "swanctl"))
    with open(os.path.join(d, "strongswan.conf"), "w") as f:
        f.write(STRONGSWAN_CONF % {"dir": d})
    with open(os.path.join(d, "swanctl", "swanctl.conf"), "w") as f:
        f.write(SWANCTL_CONF % {"ike": ike, "esp": esp, "psk": PSK})
    psk = os.path.join(d, "psk")
    with open(psk, "w") as f:
        f.write(PSK)
    os.chmod(psk, 0o600)
    net = Netns("s")
    node = charon = None
    try:
        nsx, nsa, nss = net.ns("X"), net.ns("A"), net.ns("S")
        p = net.prefix[-7:]
        ha, xa, xw, sw = f"h{p}a", f"x{p}a", f"x{p}w", f"s{p}w"
        net.veth(nsa, ha, nsx, xa)
        net.veth(nsx, xw, nss, sw)
        net.offload_off(nsx, xa, xw)
        net.offload_off(nss, sw)
        net.host(nsa, ha, "198.51.100.2/25", "198.51.100.1")
        net.run(nss, "ip", "addr", "add", "203.0.113.2/30", "dev", sw)
        net.run(nss, "ip", "addr", "add", "198.51.100.130/32", "dev", "lo")
        charon = subprocess.Popen(
            ["ip", "netns", "exec", nss, "unshare", "-m", "--propagation", "private", "sh", "-c",
             "mount -t tmpfs x /run && exec env STRONGSWAN_CONF=%s/strongswan.conf %s"
             % (d, CHARON)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        lab = {"net": net, "A": nsa, "S": nss, "dir": d}
        wait_for(lambda: swanctl(lab, "--stats", check=False).returncode == 0, 10,
                 what="charon's vici socket")
        out = swanctl(lab, "--load-all", "--noprompt")
        assert "loaded connection" in out.stdout, out.stdout + out.stderr
        conf = {
            "lcores": [{"id": 0, "roles": ["ctl"]}, {"id": 1, "roles": ["rx", "tx", "crypto"]}],
            "ports": [
                {"name": "a", "device": f"net_af_packet0,iface={xa}",
                 "addresses": ["198.51.100.1/25"]},
                {"name": "w", "device": f"net_af_packet1,iface={xw}",
                 "addresses": ["203.0.113.1/30"]},
            ],
            "ike": {"local": "203.0.113.1", "peers": [{
                "name": "swan", "address": "203.0.113.2", "psk_file": psk,
                "local_id": "x.vx0", "remote_id": "s.vx0", "initiate": True,
                "esp": [esp], "local_ts": ["198.51.100.0/25"],
                "remote_ts": ["198.51.100.128/25"]}]},
        }
        node = Vx0d(net, nsx, conf, "s")
        lab["node"] = node
        wait_for(lambda: "INSTALLED" in swanctl(lab, "--list-sas", check=False).stdout, 20,
                 what="the CHILD_SA at charon")
        yield lab
    finally:
        if node is not None:
            node.stop()
        if charon is not None and charon.poll() is None:
            charon.terminate()
            try:
                charon.wait(10)
            except subprocess.TimeoutExpired:
                charon.kill()
        net.close()


def test_tunnel_up_same_spis(lab):
    out = swanctl(lab, "--list-sas").stdout
    sas = lab["node"].telemetry("/vx0/sa")[0]
    ours = {v[0][2:] for v in sas.values()}
    # charon lists its inbound and outbound SPIs: ours are the same pair
    theirs = {s for s in ours if s in out}
    assert len(ours) == 2 and theirs == ours, (ours, out)


def test_ping_and_udp_byte_exact_through_strongswan(lab):
    r = lab["net"].run(lab["A"], "ping", "-c", "3", "-i", "0.2", "-W", "2", "198.51.100.130",
                       check=False)
    assert r.returncode == 0, r.stdout
    payload = os.urandom(1100)
    rx = subprocess.Popen(["ip", "netns", "exec", lab["S"], PY, PROBE, "recv", "198.51.100.130",
                           "5555", "5"], stdout=subprocess.PIPE, text=True)
    try:
        assert rx.stdout.readline().strip() == "ready"
        lab["net"].run(lab["A"], PY, PROBE, "send", "198.51.100.130", "5555", payload.hex())
        out = json.loads(rx.stdout.readline())
    finally:
        rx.wait(10)
    assert out.get("payload") == payload.hex()
    sas = {v[1]: v for v in lab["node"].telemetry("/vx0/sa")[0].values()}
    assert int(sas["out"][3]) >= 4 and int(sas["in"][3]) >= 3
