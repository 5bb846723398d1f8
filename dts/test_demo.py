"""The demo (config/demo.json on config/demo.pcap) as a test: the counters
and the output captures must be exactly what the capture implies."""
import json
import os
import subprocess
import tempfile

from vx0lab import PY, ROOT, VX0D, Netns


def test_demo_replay_counts_and_captures():
    d = tempfile.mkdtemp(prefix="vx0-demo-")
    with open(os.path.join(ROOT, "config", "demo.json")) as f:
        text = f.read()
    text = text.replace("config/demo.pcap", os.path.join(ROOT, "config", "demo.pcap"))
    text = text.replace("build/demo/", d + "/").replace('"vx0demo"', f'"vx0demo{os.getpid()}"')
    conf = os.path.join(d, "demo.json")
    with open(conf, "w") as f:
        f.write(text)
    subprocess.run([PY, "-c", f"from scapy.all import wrpcap; wrpcap('{d}/empty.pcap', [])"],
                   check=True, capture_output=True)
    net = Netns("d")
    try:
        ns = net.ns("N")
        r = subprocess.run(["ip", "netns", "exec", ns, VX0D, "-c", conf], capture_output=True,
                           text=True, timeout=120)
    finally:
        net.close()
    assert r.returncode == 0, r.stderr[-2000:]
    assert "mbufs in use at exit: 0" in r.stdout
    with open(os.path.join(d, "stats.json")) as f:
        s = json.load(f)
    assert s["stages"]["rx"]["packets"] == 2013
    assert s["mbufs_in_use"] == 0
    for reason, n in {"ip_csum": 1, "ip_len": 1, "ethertype": 1, "l2_not_ours": 1,
                      "ttl_expired": 2, "no_route": 2, "esp_no_sa": 1}.items():
        assert s["drops"].get(reason) == n, (reason, s["drops"])
    assert s["icmp_errors_sent"] == 4
    assert s["punt"]["arp"] == 1 and s["punt"]["nd"] == 1 and s["punt"]["local"] == 1

    def tshark(pcap, *args):
        return subprocess.run(["tshark", "-r", os.path.join(d, pcap), *args], check=True,
                              capture_output=True, text=True).stdout.split("\n")

    # every transit packet left on lan with its TTL / hop limit decremented
    ttl = [l for l in tshark("lan-out.pcap", "-Y", "ip && !(udp.dstport == 2)",
                              "-T", "fields", "-e", "ip.ttl") if l]
    hl = [l for l in tshark("lan-out.pcap", "-Y", "ipv6 && !icmpv6", "-T", "fields",
                            "-e", "ipv6.hlim") if l]
    assert len(ttl) == 1000 and set(ttl) == {"63"}
    assert len(hl) == 1000 and set(hl) == {"63"}
    tagged = tshark("lan-out.pcap", "-Y", "udp.dstport == 2", "-T", "fields", "-e", "vlan.id",
                    "-e", "ip.dst")
    assert tagged[0] == "\t203.0.113.131"  # forwarded untagged
    wan = "\n".join(tshark("wan-out.pcap"))
    assert "198.51.100.1 is at 02:00:00:00:00:01" in wan
    assert "Neighbor Advertisement 2001:db8:a::1" in wan
    assert wan.count("Time-to-live exceeded") == 1 and wan.count("Network unreachable") == 1
    assert "hop limit exceeded" in wan and "no route to destination" in wan
