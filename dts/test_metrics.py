"""Lab: vx0d's Prometheus exporter. vx0d forwards between two hosts and
serves /metrics on its own address 198.51.100.1:9100, reached from host A
through vx0d's exception path (punt -> TAP -> the node's kernel). A real
Prometheus server (Debian's prometheus) in host A's namespace scrapes it
every second; its HTTP API must show the counters of the traffic B sends
(port b, which the scrapes do not cross). Malformed, oversized and excess
requests get clear HTTP errors while the daemon keeps forwarding and serving.

  Prometheus + host A (nsA) ── a [ vx0d in nsN, /metrics on .1:9100 ] b ── host B (nsB)
  198.51.100.2, 127.0.0.1:9090         198.51.100.1 | 203.0.113.1        203.0.113.2
"""
import json
import os
import shutil
import subprocess
import tempfile

import pytest

from mgmt_lab import (METRICS_PORT, http, metric, scrape, send_udp, start_lab, stop_lab,
                      wait_counter)
from vx0lab import PY, wait_for

PROM_PORT = 9090


@pytest.fixture(scope="module")
def lab():
    lab = start_lab("m", metrics=("A", "198.51.100.1"))
    try:
        # resolve the neighbours first: the counted traffic below is then
        # only the datagrams we send
        lab["net"].run(lab["B"], "ping", "-c", "1", "-W", "2", "198.51.100.2", check=False)
        yield lab
    finally:
        stop_lab(lab)


def port_counter(lab, port, key):
    return lab["node"].telemetry(f"/vx0/port,{port}")[0][key]


def test_metrics_exposition_format(lab):
    r, s = scrape(lab)
    assert r["headers"]["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert r["headers"]["connection"] == "close"
    assert int(r["headers"]["content-length"]) == len(r["body"].encode())
    body = r["body"]
    assert "# TYPE vx0_port_rx_packets_total counter\n" in body
    assert "# HELP vx0_port_rx_packets_total " in body
    assert 'vx0_build_info{version="0.1.0"} 1\n' in body
    for port in ("a", "b"):
        for name in ("vx0_port_rx_packets_total", "vx0_port_tx_packets_total",
                     "vx0_port_tx_dropped_total"):
            assert metric(s, name, port=port) >= 0
    for stage in ("rx", "crypto", "onion", "tx", "ctl"):
        assert metric(s, "vx0_stage_packets_total", stage=stage) >= 0
    assert metric(s, "vx0_stage_drops_total", stage="rx", reason="no_route") >= 0
    assert metric(s, "vx0_stage_drops_total", stage="crypto", reason="esp_auth") >= 0
    assert metric(s, "vx0_stage_drops_total", stage="tx", reason="tx_full") >= 0
    assert metric(s, "vx0_punt_packets_total", **{"class": "arp"}) >= 1
    # this very scrape came in through the exception path
    assert metric(s, "vx0_punt_packets_total", **{"class": "local"}) >= 3
    # connected /24s, the node's own /32s (and whatever else vx0d installs)
    assert metric(s, "vx0_fib_routes", family="ipv4") >= 2
    assert metric(s, "vx0_mbufs_in_use") > 0
    assert metric(s, "vx0_lcore_loops_total", lcore="1") > 0
    assert metric(s, "vx0_lcore_idle_loops_total", lcore="1") <= \
        metric(s, "vx0_lcore_loops_total", lcore="1")
    assert metric(s, "vx0_ring_count", ring="punt") >= 0
    assert metric(s, "vx0_ring_count", ring="tx_b") >= 0
    # every sample line is "name{labels} value" with a family declared before it
    declared = set()
    for line in body.splitlines():
        if line.startswith("# TYPE "):
            declared.add(line.split()[2])
        elif not line.startswith("#"):
            assert line.split("{")[0].split(" ")[0] in declared, line


def send_b_to_a(lab, n):
    send_udp(lab, n, dst="198.51.100.2", src_ns="B")


def test_metrics_counters_match_telemetry(lab):
    n = 40
    b0 = port_counter(lab, "b", "rx_packets")
    a0 = port_counter(lab, "a", "tx_packets")
    send_b_to_a(lab, n)
    wait_counter(lambda: port_counter(lab, "a", "tx_packets"), a0 + n, what="a tx")
    # the exporter reads the same counters as the telemetry socket
    t_before = port_counter(lab, "b", "rx_packets")
    _, s = scrape(lab)
    t_after = port_counter(lab, "b", "rx_packets")
    assert t_before <= metric(s, "vx0_port_rx_packets_total", port="b") <= t_after
    assert metric(s, "vx0_port_rx_packets_total", port="b") - b0 >= n
    assert metric(s, "vx0_port_tx_packets_total", port="a") - a0 >= n
    st = lab["node"].telemetry("/vx0/stats")[0]
    assert metric(s, "vx0_stage_packets_total", stage="rx") <= st["rx_packets"]
    assert metric(s, "vx0_stage_packets_total", stage="rx") >= b0 + n


def prom_query(lab, port, q):
    code = ("import json, sys, urllib.parse, urllib.request\n"
            "u = 'http://127.0.0.1:%s/api/v1/query?query=' % sys.argv[1]"
            " + urllib.parse.quote(sys.argv[2])\n"
            "print(urllib.request.urlopen(u, timeout=5).read().decode())\n")
    r = lab["net"].run(lab["A"], PY, "-c", code, str(port), q, check=False)
    if r.returncode != 0:
        return None
    d = json.loads(r.stdout)
    assert d["status"] == "success", d
    return d["data"]["result"]


def prom_value(lab, port, q):
    res = prom_query(lab, port, q)
    if not res:
        return None
    assert len(res) == 1, res
    return float(res[0]["value"][1])


@pytest.fixture()
def prometheus(lab):
    if shutil.which("prometheus") is None:
        pytest.fail("prometheus not installed (tools/setup.sh installs it)")
    d = tempfile.mkdtemp(prefix="vx0-prom-")
    cfg = os.path.join(d, "prometheus.yml")
    with open(cfg, "w") as f:
        f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                "scrape_configs:\n  - job_name: vx0d\n    static_configs:\n"
                f"      - targets: ['198.51.100.1:{METRICS_PORT}']\n")
    log = open(os.path.join(d, "prometheus.log"), "w+")
    # ip netns exec execs prometheus: this PID is the server itself
    proc = subprocess.Popen(["ip", "netns", "exec", lab["A"], "prometheus",
                             f"--config.file={cfg}", f"--storage.tsdb.path={d}/data",
                             f"--web.listen-address=127.0.0.1:{PROM_PORT}",
                             "--storage.tsdb.retention.time=1h", "--log.level=warn"],
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: proc.poll() is not None or prom_value(lab, PROM_PORT, 'up{job="vx0d"}') == 1,
                 30, interval=0.5, what="prometheus to scrape vx0d")
        assert proc.poll() is None, open(log.name).read()
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        log.close()
        shutil.rmtree(d, ignore_errors=True)


def test_metrics_prometheus_scrapes_traffic_counts(lab, prometheus):
    q_rx = 'vx0_port_rx_packets_total{port="b"}'
    q_tx = 'vx0_port_tx_packets_total{port="a"}'
    # quiet port b: wait until Prometheus holds its current value
    rx0 = port_counter(lab, "b", "rx_packets")
    wait_for(lambda: prom_value(lab, PROM_PORT, q_rx) == rx0, 10, interval=0.3,
             what="prometheus baseline")
    tx0 = prom_value(lab, PROM_PORT, q_tx)
    n = 57
    send_b_to_a(lab, n)
    wait_counter(lambda: port_counter(lab, "b", "rx_packets"), rx0 + n, what="rx")
    rx1 = port_counter(lab, "b", "rx_packets")
    # a new scrape (every 1 s) brings the new value into Prometheus
    got = wait_for(lambda: (v := prom_value(lab, PROM_PORT, q_rx)) is not None and v >= rx1 and v,
                   10, interval=0.3, what="prometheus to see the traffic")
    # exactly the datagrams sent, give or take a neighbour refresh of host B
    assert n <= got - rx0 <= n + 3, (rx0, got)
    assert prom_value(lab, PROM_PORT, q_tx) - tx0 >= n
    assert prom_value(lab, PROM_PORT, 'vx0_stage_packets_total{stage="rx"}') >= got
    assert prom_value(lab, PROM_PORT, 'vx0_build_info') == 1
    # PromQL over the series: an increase at least as large as what we sent
    inc = prom_value(lab, PROM_PORT, 'max_over_time(vx0_port_rx_packets_total{port="b"}[1m])'
                     ' - min_over_time(vx0_port_rx_packets_total{port="b"}[1m])')
    assert inc >= n


@pytest.mark.parametrize("req,status", [
    (b"GARBAGE\r\n\r\n", 400),
    (b"GET metrics HTTP/1.1\r\n\r\n", 400),
    (b"GET /metrics HTTP/1.1\r\nHost x\r\n\r\n", 400),
    (b"GET /metrics HTTP/1.1\r\nA: b\r\n folded\r\n\r\n", 400),
    (b"GET /metrics HTTP/2.0\r\n\r\n", 505),
    (b"GET / HTTP/1.1\r\n\r\n", 404),
    (b"GET /metricsz HTTP/1.1\r\n\r\n", 404),
    (b"POST /metrics HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi", 405),
    (b"DELETE /metrics HTTP/1.1\r\n\r\n", 405),
    (b"GET /metrics HTTP/1.1\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n", 431),
    (b"GET /" + b"m" * 1000 + b" HTTP/1.1\r\n\r\n", 431),
])
def test_metrics_bad_requests_answered_and_daemon_serves(lab, req, status):
    r = http(lab, req)
    assert r["status"] == status, r
    assert r["headers"]["connection"] == "close"
    if status == 405:
        assert r["headers"]["allow"] == "GET, HEAD"
    # still serving, still forwarding
    r2, s = scrape(lab)
    assert metric(s, "vx0_metrics_bad_requests_total") >= 1
    rc = lab["net"].run(lab["B"], "ping", "-c", "1", "-W", "2", "198.51.100.2",
                        check=False).returncode
    assert rc == 0


def test_metrics_connection_limit_then_recovers(lab):
    # 16 idle clients hold every slot; the 17th gets 503; when they go
    # (or time out), scrapes work again
    code = ("import socket, sys, time\n"
            "ss = [socket.create_connection(('198.51.100.1', int(sys.argv[1])), timeout=5)"
            " for _ in range(16)]\n"
            "time.sleep(0.5)\n"
            "x = socket.create_connection(('198.51.100.1', int(sys.argv[1])), timeout=5)\n"
            "print(x.recv(200).decode().split('\\r\\n')[0])\n"
            "for s in ss: s.close()\n")
    r = lab["net"].run(lab["A"], PY, "-c", code, str(METRICS_PORT))
    assert r.stdout.strip() == "HTTP/1.1 503 Service Unavailable"
    wait_for(lambda: http(lab, b"GET /metrics HTTP/1.1\r\n\r\n")["status"] == 200, 10,
             interval=0.2, what="the exporter to serve again")
    _, s = scrape(lab)
    assert metric(s, "vx0_metrics_scrapes_total") >= 1


def test_metrics_head_and_slow_client(lab):
    r = http(lab, b"HEAD /metrics HTTP/1.0\r\n\r\n")
    assert r["status"] == 200 and r["body"] == ""
    assert int(r["headers"]["content-length"]) > 1000
    # a client that sends half a request and stalls is cut after 5 s
    code = ("import socket, sys, time\n"
            "s = socket.create_connection(('198.51.100.1', int(sys.argv[1])), timeout=9)\n"
            "s.sendall(b'GET /metr')\n"
            "t = time.monotonic()\n"
            "print(s.recv(100) == b'', round(time.monotonic() - t))\n")
    r = lab["net"].run(lab["A"], PY, "-c", code, str(METRICS_PORT))
    closed, secs = r.stdout.split()
    assert closed == "True" and 4 <= int(secs) <= 7


def test_metrics_zz_shutdown_clean(lab):
    _, s1 = scrape(lab)
    _, s2 = scrape(lab)
    assert metric(s2, "vx0_metrics_scrapes_total") == metric(s1, "vx0_metrics_scrapes_total") + 1
    rc, stats = lab["node"].stop()
    assert rc == 0, lab["node"].logtext()
    assert stats["mbufs_in_use"] == 0
    # the exporter's socket went with the daemon
    r = lab["net"].run(lab["N"], "ss", "-Hltn", f"sport = :{METRICS_PORT}")
    assert r.stdout.strip() == ""
