"""Lab: packet capture in a running vx0d (issue #8, part 4).

vx0d forwards between host A and host B (mgmt_lab.start_lab); captures at
named tap points hold exactly the packets the filter selects (read back by
tshark, pcap and pcapng, the pcapng interface named after the tap point), a
FIFO feeds a live tshark, a slow or vanished FIFO reader never blocks the
node, an overwhelmed capture counts its own drops (capture.status,
/vx0/capture, Prometheus), bad requests get clear errors, and vx0ctl
drives it all.
"""
import os
import signal
import subprocess
import tempfile
import time

import pytest

from mgmt_lab import PY, VX0CTL, metric, scrape, start_lab, stop_lab, vx0ctl
from vx0lab import mgmt_requests, wait_for

HERE = os.path.dirname(os.path.abspath(__file__))

# N datagrams to port P from one process, payload = index (2 bytes) * 10
UDP_N = r"""
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(int(sys.argv[3])):
    s.sendto(bytes([i >> 8, i & 255]) * 10, (sys.argv[1], int(sys.argv[2])))
"""


@pytest.fixture(scope="module")
def lab():
    lab = start_lab("k", metrics=("A", "198.51.100.1"))
    try:
        lab["net"].run(lab["A"], "ping", "-c", "1", "-W", "2", "203.0.113.2", check=False)
        lab["prefix"] = lab["node"].prefix
        lab["mgmt"] = f"/var/run/dpdk/{lab['prefix']}/vx0_mgmt.sock"
        lab["tmp"] = tempfile.mkdtemp(prefix="vx0-cap-")
        yield lab
    finally:
        stop_lab(lab)


def mgmt(lab, *reqs):
    return mgmt_requests(lab["mgmt"], *reqs)


def status(lab):
    r = mgmt(lab, {"cmd": "capture.status"})[0]
    assert r["ok"], r
    return r["result"]


def udp(lab, n, port, ns="A", dst="203.0.113.2"):
    lab["net"].run(lab[ns], PY, "-c", UDP_N, dst, str(port), str(n))


def tshark(path, *fields, extra=()):
    out = subprocess.run(["tshark", "-r", path, *extra, "-T", "fields",
                          *[a for f in fields for a in ("-e", f)]],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    return [l.split("\t") for l in out.splitlines() if l]


def wait_idle(lab, timeout=10):
    last = {}

    def idle():
        last["st"] = status(lab)
        return last["st"] if not last["st"]["active"] else None
    try:
        return wait_for(idle, timeout, what="the capture to end")
    except TimeoutError as e:
        raise TimeoutError(f"{e}: {last.get('st')}") from None


def test_filtered_capture_at_stage_points_pcap_and_pcapng(lab):
    ng = os.path.join(lab["tmp"], "rxout.pcapng")
    r = mgmt(lab, {"cmd": "capture.start", "point": "stage:rx:out", "file": ng, "count": 4,
                   "filter": "udp dst port 5555"})[0]
    assert r["ok"], r
    assert r["result"]["state"] == "running" and r["result"]["format"] == "pcapng"
    lab["net"].run(lab["A"], "ping", "-c", "2", "-i", "0.2", "203.0.113.2", check=False)
    udp(lab, 3, 5556)          # filtered out
    udp(lab, 6, 5555)          # the first 4 are kept
    st = wait_idle(lab)
    assert st["written"] == 4 and st["filtered"] >= 5 and st["dropped"] == 0, st
    assert st["stop_reason"] == "count reached", st
    rows = tshark(ng, "frame.interface_name", "udp.dstport", "ip.ttl", "data.data",
                  "frame.len", "frame.cap_len")
    assert len(rows) == 4, rows
    assert {r[0] for r in rows} == {"stage:rx:out"}
    assert [r[1] for r in rows] == ["5555"] * 4
    # after the forwarding decision: the TTL is already decremented
    assert [r[2] for r in rows] == ["63"] * 4
    assert [r[3] for r in rows] == [(bytes([0, i]) * 10).hex() for i in range(4)]
    assert all(r[4] == r[5] == "62" for r in rows), rows
    # the same traffic at rx:a in pcap, cut to 34 bytes: original length kept
    pc = os.path.join(lab["tmp"], "rxa.pcap")
    r = mgmt(lab, {"cmd": "capture.start", "point": "rx:a", "file": pc, "count": 2,
                   "snaplen": 34, "filter": "ip and not icmp"})[0]
    assert r["ok"], r
    assert r["result"]["format"] == "pcap" and r["result"]["snaplen"] == 34
    lab["net"].run(lab["A"], "ping", "-c", "1", "203.0.113.2", check=False)
    udp(lab, 2, 5557)
    st = wait_idle(lab)
    assert st["written"] == 2, st
    rows = tshark(pc, "ip.ttl", "frame.len", "frame.cap_len", "ip.dst")
    assert rows == [["64", "62", "34", "203.0.113.2"]] * 2, rows
    fmt = subprocess.run(["capinfos", "-t", "-E", pc], capture_output=True, text=True).stdout
    assert "pcap" in fmt and "Ethernet" in fmt, fmt


def test_tx_and_punt_points(lab):
    tx = os.path.join(lab["tmp"], "txb.pcapng")
    r = mgmt(lab, {"cmd": "capture.start", "point": "tx:b", "file": tx, "count": 2,
                   "filter": "udp port 6000"})[0]
    assert r["ok"], r
    udp(lab, 2, 6000)
    wait_idle(lab)
    rows = tshark(tx, "frame.interface_name", "eth.src", "udp.dstport")
    mac_b = lab["net"].run(lab["N"], "cat", "/sys/class/net/" + lab["hb"].replace("h", "n", 1)
                           + "/address", check=False).stdout.strip()
    assert [r[0] for r in rows] == ["tx:b"] * 2 and [r[2] for r in rows] == ["6000"] * 2
    assert mac_b and {r[1] for r in rows} == {mac_b}   # rewritten: the node's port b
    punt = os.path.join(lab["tmp"], "punt.pcap")
    r = mgmt(lab, {"cmd": "capture.start", "point": "punt", "file": punt, "count": 1,
                   "filter": "icmp[icmptype] == icmp-echo and dst host 198.51.100.1"})[0]
    assert r["ok"], r
    lab["net"].run(lab["A"], "ping", "-c", "1", "-W", "2", "198.51.100.1", check=False)
    wait_idle(lab)
    assert tshark(punt, "ip.dst", "icmp.type") == [["198.51.100.1", "8"]]


def test_several_points_in_one_capture(lab):
    ng = os.path.join(lab["tmp"], "both.pcapng")
    r = mgmt(lab, {"cmd": "capture.start", "point": "rx:a,tx:b", "file": ng, "count": 4,
                   "filter": "udp dst port 6100"})[0]
    assert r["ok"], r
    udp(lab, 2, 6100)
    st = wait_idle(lab)
    assert st["written"] == 4 and st["point"] == "rx:a,tx:b", st
    rows = tshark(ng, "frame.interface_name", "ip.ttl", "data.data")
    # each packet once on the way in (TTL 64) and once on the way out (63)
    assert sorted(rows) == sorted([["rx:a", "64", (bytes([0, i]) * 10).hex()] for i in range(2)]
                                  + [["tx:b", "63", (bytes([0, i]) * 10).hex()]
                                     for i in range(2)]), rows
    bad = mgmt(lab, {"cmd": "capture.start", "point": "rx:a,stage:rx:in", "file": ng,
                     "count": 1})[0]
    assert '"stage:rx:in" overlaps an earlier point' in bad["error"], bad


def test_fifo_live_tshark(lab):
    fifo = os.path.join(lab["tmp"], "live.fifo")
    os.mkfifo(fifo)
    reader = subprocess.Popen(["tshark", "-l", "-i", fifo, "-c", "3", "-T", "fields",
                               "-e", "frame.interface_name", "-e", "udp.dstport", "-e", "data.data"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        r = mgmt(lab, {"cmd": "capture.start", "point": "stage:rx:in", "fifo": fifo,
                       "count": 3, "seconds": 30, "format": "pcapng",
                       "filter": "udp dst port 7000"})[0]
        assert r["ok"], r
        wait_for(lambda: status(lab)["state"] == "running", 10, what="tshark to open the FIFO")
        udp(lab, 5, 7000)
        out, err = reader.communicate(timeout=30)
    finally:
        if reader.poll() is None:
            reader.kill()
            reader.wait()
    rows = [l.split("\t") for l in out.splitlines() if l]
    assert rows == [["stage:rx:in", "7000", (bytes([0, i]) * 10).hex()] for i in range(3)], \
        (out, err)
    st = wait_idle(lab)
    assert st["written"] == 3 and st["fifo"] is True, st


def test_fifo_without_reader_waits_within_its_time(lab):
    fifo = os.path.join(lab["tmp"], "nobody.fifo")
    os.mkfifo(fifo)
    r = mgmt(lab, {"cmd": "capture.start", "point": "punt", "fifo": fifo, "seconds": 1})[0]
    assert r["ok"] and r["result"]["state"] == "waiting for a reader", r
    t0 = time.monotonic()
    st = wait_idle(lab, timeout=5)
    assert st["stop_reason"] == "time is up" and st["written"] == 0, st
    assert 0.8 < time.monotonic() - t0 < 3


def test_fifo_slow_reader_never_blocks_and_gone_reader_stops(lab):
    fifo = os.path.join(lab["tmp"], "slow.fifo")
    os.mkfifo(fifo)
    # a reader that opens the FIFO and never reads
    reader = subprocess.Popen([PY, "-c", "import sys, time; f = open(sys.argv[1], 'rb'); "
                               "time.sleep(60)", fifo])
    try:
        r = mgmt(lab, {"cmd": "capture.start", "point": "rx:a", "fifo": fifo, "seconds": 60,
                       "filter": "udp dst port 7100"})[0]
        assert r["ok"], r
        wait_for(lambda: status(lab)["state"] == "running", 10, what="the reader to open")
        # ~1.7 MB of records: more than the pipe (64 KiB) and the queue (1 MiB);
        # on a loaded machine part of a burst may be lost before the capture
        # (counted elsewhere), so send again until the writer has dropped
        st = None
        for _ in range(4):
            lab["net"].run(lab["A"], PY, "-c", "import socket\ns = socket.socket(socket.AF_INET, "
                           "socket.SOCK_DGRAM)\nfor i in range(1500): s.sendto(b'x' * 1000, "
                           "('203.0.113.2', 7100))")
            try:
                st = wait_for(lambda: (lambda s: s if s["dropped_writer"] > 0 else None)(
                    status(lab)), 5, what="writer drops")
                break
            except TimeoutError:
                continue
        assert st is not None, status(lab)
        assert st["active"], st
        # the node keeps serving meanwhile, promptly
        t0 = time.monotonic()
        assert mgmt(lab, {"cmd": "version"})[0]["ok"]
        assert time.monotonic() - t0 < 1.0
        # the reader goes away: the capture ends by itself
        reader.send_signal(signal.SIGTERM)
        reader.wait(10)
        st = wait_idle(lab, timeout=5)
        assert st["stop_reason"] == "reader closed", st
    finally:
        if reader.poll() is None:
            reader.kill()
            reader.wait()
    assert mgmt(lab, {"cmd": "version"})[0]["ok"]


def test_overwhelmed_ring_counts_capture_drops(lab):
    before = lab["node"].telemetry("/vx0/capture")[0]
    _, m0 = scrape(lab)
    path = os.path.join(lab["tmp"], "flood.pcap")
    r = mgmt(lab, {"cmd": "capture.start", "point": "stage:rx:in", "file": path,
                   "seconds": 20, "ring": 32})[0]
    assert r["ok"] and r["result"]["ring"] == 32, r
    deadline = time.monotonic() + 20
    st = status(lab)
    while st["dropped_ring_full"] + st["dropped_no_mbuf"] == 0 and time.monotonic() < deadline:
        udp(lab, 20000, 7200)
        st = status(lab)
    assert st["dropped_ring_full"] + st["dropped_no_mbuf"] > 0, st
    mgmt(lab, {"cmd": "capture.stop"})
    st = wait_idle(lab)
    assert st["stop_reason"] == "stopped"
    assert st["dropped"] == st["dropped_ring_full"] + st["dropped_no_mbuf"] + \
        st["dropped_writer"]
    # what was not dropped was written: the file holds exactly `written` packets
    assert len(tshark(path, "frame.number")) == st["written"]
    tel = lab["node"].telemetry("/vx0/capture")[0]
    assert tel["dropped_ring_full"] == st["dropped_ring_full"]
    assert tel["total_dropped"] >= before["total_dropped"] + st["dropped"]
    assert tel["captures"] == before["captures"] + 1
    _, m1 = scrape(lab)
    for reason in ("ring_full", "no_mbuf", "writer"):
        d = metric(m1, "vx0_capture_dropped_total", reason=reason) - \
            metric(m0, "vx0_capture_dropped_total", reason=reason)
        assert d == st["dropped_" + reason], (reason, d, st)
    assert metric(m1, "vx0_capture_packets_total") - metric(m0, "vx0_capture_packets_total") \
        == st["written"]
    assert metric(m1, "vx0_capture_active") == 0


def test_bad_requests_get_clear_errors(lab):
    fifo_not = os.path.join(lab["tmp"], "plain")
    open(fifo_not, "w").close()
    bad = mgmt(lab,
               {"cmd": "capture.start", "point": "rx:zz", "file": "/tmp/x.pcap", "count": 1},
               {"cmd": "capture.start", "point": "stage:dns:in", "file": "/tmp/x.pcap", "count": 1},
               {"cmd": "capture.start", "point": "stage:rx:up", "file": "/tmp/x.pcap", "count": 1},
               {"cmd": "capture.start", "point": "stage:tx:out", "file": "/tmp/x.pcap", "count": 1},
               {"cmd": "capture.start", "point": "eth0", "file": "/tmp/x.pcap", "count": 1},
               {"cmd": "capture.start", "point": "punt", "file": "/tmp/x.pcap", "count": 1,
                "filter": "udp port"},
               {"cmd": "capture.start", "point": "punt", "file": "/tmp/x.pcap", "count": 1,
                "snaplen": 5},
               {"cmd": "capture.start", "point": "punt", "file": "/tmp/x.pcap", "count": 1,
                "snaplen": 70000},
               {"cmd": "capture.start", "point": "punt", "file": "/tmp/x.pcap", "count": 1,
                "format": "erf"},
               {"cmd": "capture.start", "point": "punt", "fifo": fifo_not, "count": 1},
               {"cmd": "capture.start", "point": "punt", "file": "rel.pcap", "count": 1},
               {"cmd": "capture.start", "point": "punt", "file": "/tmp/x.pcap"},
               {"cmd": "capture.start", "point": "punt", "file": "/tmp/x.pcap", "count": 1,
                "colour": "red"},
               {"cmd": "capture.start", "point": "punt", "file": "/nonexistent/dir/x.pcap",
                "count": 1},
               {"cmd": "capture.start", "point": "punt", "file": "/tmp/x.pcap", "count": 1,
                "ring": 8},
               {"cmd": "capture.stop"})
    assert [b["ok"] for b in bad] == [False] * len(bad), bad
    e = [b["error"] for b in bad]
    assert 'no port "zz" (ports: a, b)' in e[0]
    assert 'no stage "dns" (stages: rx, crypto, onion, tx)' in e[1]
    assert 'direction "up" must be "in" or "out"' in e[2]
    assert 'stage "tx" has no "out" tap' in e[3]
    assert 'point "eth0": expected rx:PORT' in e[4]
    assert e[5].startswith("filter: ")
    assert "snaplen: 5 is shorter than an Ethernet header" in e[6]
    assert '"snaplen" must be an integer from 0 to 65535' in e[7]
    assert 'format "erf": must be pcap or pcapng' in e[8]
    assert "is not a FIFO" in e[9]
    assert "absolute path" in e[10]
    assert "bound it" in e[11]
    assert 'unknown argument "colour"' in e[12]
    assert e[13].startswith("file: /nonexistent/dir/x.pcap: No such file")
    assert "ring: 8 copies is out of range" in e[14]
    assert "no capture running" in e[15]
    # the daemon keeps serving, and a good capture still works
    assert mgmt(lab, {"cmd": "version"})[0]["ok"]
    ok = os.path.join(lab["tmp"], "after.pcap")
    r = mgmt(lab, {"cmd": "capture.start", "point": "stage:tx:in", "file": ok, "count": 1,
                   "filter": "udp port 7300"},
             {"cmd": "capture.start", "point": "punt", "file": ok, "count": 1})
    assert r[0]["ok"] and "running already" in r[1]["error"], r
    udp(lab, 1, 7300)
    st = wait_idle(lab)
    # after the flood's drops, this capture counts only its own
    assert st["written"] == 1 and st["dropped"] == 0, st


def test_vx0ctl_capture(lab):
    path = os.path.join(lab["tmp"], "ctl.pcapng")
    p = subprocess.Popen([VX0CTL, "-f", lab["prefix"], "capture",
                          "stage:rx:out", "-c", "2", "-s", "128", "-w", path, "udp", "dst",
                          "port", "7400"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: status(lab)["active"], 10, what="vx0ctl to start the capture")
        udp(lab, 3, 7400)
        out, err = p.communicate(timeout=20)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 0, err
    assert out.startswith("capture at stage:rx:out: 2 packets written to " + path + " (pcapng)")
    assert "count reached" in out
    assert [r[0] for r in tshark(path, "udp.dstport")] == ["7400"] * 2
    # Ctrl-C stops the capture and still prints its summary
    p = subprocess.Popen([VX0CTL, "-f", lab["prefix"], "capture", "punt", "-d", "60", "-w",
                          os.path.join(lab["tmp"], "int.pcap")],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: status(lab)["active"], 10, what="vx0ctl to start the capture")
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=10)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 0 and out.startswith("capture at punt:") and "; stopped" in out, \
        (out, err)
    assert not status(lab)["active"]
    # --background, status, stop
    r = vx0ctl("capture", "punt", "-d", "30", "-w", os.path.join(lab["tmp"], "bg.pcap"),
               "--background", prefix=lab["prefix"])
    assert r.returncode == 0 and "started" in r.stdout, r.stderr
    r = vx0ctl("capture", "status", prefix=lab["prefix"])
    rows = dict(l.split(None, 1) for l in r.stdout.splitlines() if len(l.split(None, 1)) == 2)
    assert r.returncode == 0 and rows["state"] == "running" and rows["point"] == "punt", r.stdout
    r = vx0ctl("capture", "stop", prefix=lab["prefix"])
    assert r.returncode == 0 and "stopped" in r.stdout, r.stdout
    r = vx0ctl("capture", "stop", prefix=lab["prefix"])
    assert r.returncode == 3 and "no capture running" in r.stderr
    r = vx0ctl("capture", "stage:nope:in", "-c", "1", "-w", "/tmp/x", prefix=lab["prefix"])
    assert r.returncode == 3 and 'no stage "nope"' in r.stderr
    r = vx0ctl("capture", "punt", "-w", "/tmp/x", prefix=lab["prefix"])
    assert r.returncode == 1 and "needs a bound" in r.stderr
    r = vx0ctl("--json", "capture", "status", prefix=lab["prefix"])
    assert r.returncode == 0 and '"active": false' in r.stdout.replace('":false', '": false')



def test_vx0ctl_capture_bash_completion(lab):
    comp = os.path.join(os.path.dirname(HERE), "tools", "vx0ctl.bash-completion")
    p = lab["prefix"]
    script = (f"source {comp}\n"
              "COMP_WORDS=(vx0ctl capture stage:c); COMP_CWORD=2; _vx0ctl; echo ${COMPREPLY[@]}\n"
              f"COMP_WORDS=(vx0ctl -f {p} capture rx:); COMP_CWORD=4; _vx0ctl; "
              "echo ${COMPREPLY[@]}\n"
              "COMP_WORDS=(vx0ctl capture punt --fo); COMP_CWORD=3; _vx0ctl; echo ${COMPREPLY[@]}\n"
              "COMP_WORDS=(vx0ctl capture punt --format ''); COMP_CWORD=4; _vx0ctl; "
              "echo ${COMPREPLY[@]}\n")
    env = dict(os.environ, PATH=os.path.dirname(VX0CTL) + ":" + os.environ.get("PATH", ""))
    r = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=10,
                       env=env)
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["stage:crypto:in", "stage:crypto:out"], r
    assert lines[1].split() == ["rx:a", "rx:b"], r
    assert lines[2].split() == ["--format"], r
    assert lines[3].split() == ["pcap", "pcapng"], r
