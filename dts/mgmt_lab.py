"""Lab pieces shared by dts/test_metrics.py and dts/test_vx0ctl.py: vx0d
between two hosts (af_packet ports, like test_forwarding.py), optionally
with its Prometheus exporter, and helpers to talk HTTP and vx0ctl. Only PIDs started here are signalled."""
import json
import os
import subprocess

from vx0lab import BUILD, PY, Netns, Vx0d, metric, parse_exposition, wait_for  # noqa: F401

VX0CTL = os.path.join(BUILD, "app", "vx0ctl", "vx0ctl")
METRICS_PORT = 9100

# A raw HTTP exchange from inside a namespace: send the request (hex), read
# until the server closes, print what came back as JSON.
HTTP_CLIENT = r"""
import json, socket, sys, time
host, port, req = sys.argv[1], int(sys.argv[2]), bytes.fromhex(sys.argv[3])
s = socket.create_connection((host, port), timeout=10)
try:
    s.sendall(req)
except (BrokenPipeError, ConnectionResetError):
    pass
data = b""
deadline = time.monotonic() + 10
while time.monotonic() < deadline:
    try:
        b = s.recv(65536)
    except ConnectionResetError:
        break
    if not b:
        break
    data += b
head, _, body = data.partition(b"\r\n\r\n")
lines = head.decode("latin-1").split("\r\n")
status = int(lines[0].split()[1]) if lines and lines[0].startswith("HTTP/1.1 ") else 0
hdrs = {k.strip().lower(): v.strip() for k, _, v in (l.partition(":") for l in lines[1:])}
print(json.dumps({"status": status, "headers": hdrs, "body": body.decode("utf-8", "replace")}))
"""

# N UDP datagrams from one process (faster than one probe per packet)
UDP_BURST = r"""
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(int(sys.argv[3])):
    s.sendto(b"\x00" * 64, (sys.argv[1], int(sys.argv[2])))
"""


def start_lab(tag, metrics=None, extra=None):
    """metrics: (namespace key, address) of the exporter, e.g. ("A",
    "198.51.100.1"): listen on the node's own address of port a, reached by
    host A through vx0d's exception path. extra: more config sections.
    Returns the lab dict; the caller closes it with stop_lab()."""
    net = Netns(tag)
    lab = {"net": net, "node": None}
    try:
        nsn, nsa, nsb = net.ns("N"), net.ns("A"), net.ns("B")
        p = net.prefix[-8:]
        ha, na, hb, nb = f"h{p}a", f"n{p}a", f"h{p}b", f"n{p}b"
        net.veth(nsa, ha, nsn, na)
        net.veth(nsb, hb, nsn, nb)
        for ns, ifn, a4, g4 in ((nsa, ha, "198.51.100.2/24", "198.51.100.1"),
                                (nsb, hb, "203.0.113.2/24", "203.0.113.1")):
            net.run(ns, "ethtool", "-K", ifn, "tx", "off", "tso", "off", "gso", "off")
            net.run(ns, "ip", "addr", "add", a4, "dev", ifn)
            net.run(ns, "ip", "route", "add", "default", "via", g4)
        for ifn in (na, nb):
            net.run(nsn, "ethtool", "-K", ifn, "tx", "off", "tso", "off", "gso", "off")
        conf = {
            "profile": "lab",
            "lcores": [{"id": 0, "roles": ["ctl"]}, {"id": 1, "roles": ["rx", "tx", "crypto"]}],
            "ports": [
                {"name": "a", "device": f"net_af_packet0,iface={na}",
                 "addresses": ["198.51.100.1/24"]},
                {"name": "b", "device": f"net_af_packet1,iface={nb}",
                 "addresses": ["203.0.113.1/24"]},
            ],
        }
        conf.update(extra or {})
        if metrics:
            conf["metrics"] = {"listen": f"{metrics[1]}:{METRICS_PORT}"}
            lab["metrics"] = metrics
        lab.update({"A": nsa, "B": nsb, "N": nsn, "ha": ha, "hb": hb})
        lab["node"] = Vx0d(net, nsn, conf, tag)
        return lab
    except BaseException:
        stop_lab(lab)
        raise


def stop_lab(lab):
    try:
        if lab.get("node") is not None:
            lab["node"].stop()
    finally:
        lab["net"].close()


def http(lab, request, port=METRICS_PORT):
    """One raw request (bytes) to the exporter; {status, headers, body}."""
    ns, host = lab["metrics"]
    r = lab["net"].run(lab[ns], PY, "-c", HTTP_CLIENT, host, str(port), request.hex())
    return json.loads(r.stdout)


def scrape(lab):
    """GET /metrics parsed into {(name, frozenset(labels)): value}."""
    r = http(lab, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    assert r["status"] == 200, r
    return r, parse_exposition(r["body"])


def send_udp(lab, n, dst="203.0.113.2", src_ns="A"):
    lab["net"].run(lab[src_ns], PY, "-c", UDP_BURST, dst, "9", str(n))


def vx0ctl(*args, prefix=None, check=False, timeout=30):
    """vx0ctl run from the root namespace (the telemetry socket is a file)."""
    cmd = [VX0CTL] + (["-f", prefix] if prefix else []) + list(args)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=check)


def wait_counter(fn, want, timeout=10, what="counter"):
    return wait_for(lambda: fn() >= want, timeout, what=what)
