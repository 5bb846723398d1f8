"""Lab: vx0d's DHT node (on the slow path, through the exception path)
joins a swarm of libtorrent DHT nodes in a host namespace, appears in their
routing tables, and its signed descriptor (BEP 44 mutable item, salt
"vx0/desc/1") is read back by libtorrent, which checks the signature.

  host A: libtorrent x4 on 198.51.100.2-5:6881 ── [ vx0d, DHT on 198.51.100.1:6881 ]
"""
import json
import os

import pytest

from vx0lab import PY, Netns, Vx0d, mgmt_requests, metric, scrape_ns, wait_for

LT_SCRIPT = r"""
import json, sys, time, warnings
warnings.simplefilter('ignore', DeprecationWarning)
import libtorrent as lt
identity = bytes.fromhex(sys.argv[1])
ss = []
for i in range(4):
    ss.append(lt.session({
        'listen_interfaces': '198.51.100.%d:6881' % (2 + i), 'enable_dht': True,
        'enable_lsd': False, 'enable_upnp': False, 'enable_natpmp': False,
        'dht_bootstrap_nodes': '', 'dht_restrict_routing_ips': False,
        'dht_restrict_search_ips': False, 'dht_block_ratelimit': 100000,
        'dht_upload_rate_limit': 1000000,
        'alert_mask': lt.alert.category_t.all_categories}))
for s in ss:
    s.add_dht_node(('198.51.100.1', 6881))
    for j in range(4):
        s.add_dht_node(('198.51.100.%d' % (2 + j), 6881))
res = {'lt_with_us': 0, 'item': None}
end = time.monotonic() + 30
while time.monotonic() < end and res['lt_with_us'] < 3:
    n = 0
    for s in ss:
        st = s.dht_state()
        s.dht_live_nodes(lt.sha1_hash(st[b'node-id'][0][:20] if isinstance(st[b'node-id'], list) else st[b'node-id'][:20]))
    time.sleep(0.5)
    for s in ss:
        for a in s.pop_alerts():
            if isinstance(a, lt.dht_live_nodes_alert):
                if any(tuple(x['endpoint']) == ('198.51.100.1', 6881) for x in a.nodes):
                    n += 1
    res['lt_with_us'] = max(res['lt_with_us'], n)
end = time.monotonic() + 30
while time.monotonic() < end and res['item'] is None:
    ss[0].dht_get_mutable_item(identity, b'vx0/desc/1')
    t = time.monotonic() + 5
    while time.monotonic() < t and res['item'] is None:
        for a in ss[0].pop_alerts():
            if isinstance(a, lt.dht_mutable_item_alert) and a.seq > 0:
                res['item'] = {'seq': a.seq, 'salt': a.salt.decode() if isinstance(a.salt, bytes) else a.salt,
                               'key': bytes(a.key).hex() if not isinstance(a.key, str) else a.key}
        time.sleep(0.1)
print(json.dumps(res))
"""


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    d = str(tmp_path_factory.mktemp("dht"))
    net = Netns("h")
    node = None
    try:
        nsn, nsa = net.ns("N"), net.ns("A")
        p = net.prefix[-7:]
        ha, na = f"h{p}a", f"n{p}a"
        net.veth(nsa, ha, nsn, na)
        net.offload_off(nsa, ha)
        net.offload_off(nsn, na)
        for i in range(4):
            net.run(nsa, "ip", "addr", "add", f"198.51.100.{2 + i}/24", "dev", ha)
        conf = {
            "lcores": [{"id": 0, "roles": ["ctl"]}, {"id": 1, "roles": ["rx", "tx"]}],
            "ports": [{"name": "a", "device": f"net_af_packet0,iface={na}",
                       "addresses": ["198.51.100.1/24"]}],
            "dht": {"bind": "198.51.100.1:6881", "bootstrap": ["198.51.100.2:6881"],
                    "k": 8, "state_file": os.path.join(d, "dht-state.json"),
                    "identity_key_file": os.path.join(d, "identity.key"),
                    "onion_key_file": os.path.join(d, "onion.key"), "tier": 1,
                    "exit_policy": "reject *:*"},
            "management": {"socket": os.path.join(d, "mgmt.sock")},
            "metrics": {"listen": "198.51.100.1:9100"},
        }
        node = Vx0d(net, nsn, conf, "h")
        yield {"net": net, "node": node, "A": nsa, "dir": d, "mgmt": os.path.join(d, "mgmt.sock")}
    finally:
        if node is not None:
            node.stop()
        net.close()


def test_joins_libtorrent_swarm_and_descriptor_is_readable(lab):
    ident = lab["node"].telemetry("/vx0/dht")[0]["identity"]
    r = lab["net"].run(lab["A"], PY, "-c", LT_SCRIPT, ident, timeout=120)
    res = json.loads(r.stdout.strip().splitlines()[-1])
    assert res["lt_with_us"] >= 3, res      # we are in their routing tables
    assert res["item"] is not None, res      # libtorrent verified our signature
    assert res["item"]["salt"] == "vx0/desc/1"
    t = lab["node"].telemetry("/vx0/dht")[0]
    assert t["table_good"] >= 3 and t["rx_queries"] > 0, t
    assert t["descriptors_published"] >= 1


def mgmt(lab, cmd, **args):
    return mgmt_requests(lab["mgmt"], dict(args, cmd=cmd))[0]


LT_SWARM = r"""
import json, sys, time, warnings
warnings.simplefilter('ignore', DeprecationWarning)
import libtorrent as lt
ss = [lt.session({'listen_interfaces': '198.51.100.%d:6881' % (2 + i), 'enable_dht': True,
                  'enable_lsd': False, 'enable_upnp': False, 'enable_natpmp': False,
                  'dht_bootstrap_nodes': '', 'dht_restrict_routing_ips': False,
                  'dht_restrict_search_ips': False, 'dht_block_ratelimit': 100000,
                  'dht_upload_rate_limit': 1000000,
                  'alert_mask': lt.alert.category_t.all_categories}) for i in range(4)]
for s in ss:
    s.add_dht_node(('198.51.100.1', 6881))
    for j in range(4):
        s.add_dht_node(('198.51.100.%d' % (2 + j), 6881))
print('ready', flush=True)
for line in sys.stdin:
    cmd = line.split()
    if not cmd or cmd[0] == 'quit':
        break
    # get TARGET: libtorrent's own BEP 44 immutable get
    ss[3].dht_get_immutable_item(lt.sha1_hash(bytes.fromhex(cmd[1])))
    found, end = None, time.monotonic() + 20
    while found is None and time.monotonic() < end:
        for a in ss[3].pop_alerts():
            if isinstance(a, lt.dht_immutable_item_alert) and a.item is not None:
                v = a.item.get('value') if isinstance(a.item, dict) else a.item
                found = v.decode() if isinstance(v, bytes) else str(v)
        time.sleep(0.1)
    print(json.dumps({'item': found}), flush=True)
"""


def test_put_and_get_through_the_management_socket(lab):
    import subprocess
    sw = subprocess.Popen(["ip", "netns", "exec", lab["A"], PY, "-c", LT_SWARM],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert sw.stdout.readline().strip() == "ready"
        wait_for(lambda: lab["node"].telemetry("/vx0/dht")[0]["table_good"] >= 3, 30,
                 what="live libtorrent nodes in our table")
        _put_get(lab, sw)
    finally:
        if sw.poll() is None:
            try:
                sw.stdin.write("quit\n")
                sw.stdin.flush()
            except OSError:
                pass
            try:
                sw.wait(10)
            except subprocess.TimeoutExpired:
                sw.kill()
                sw.wait(5)


def _put_get(lab, sw):
    r = mgmt(lab, "dht.put", value="vx0 says hello")
    assert r["ok"], r
    target, put = r["result"]["target"], r["result"]["lookup"]
    wait_for(lambda: mgmt(lab, "dht.result", lookup=put)["ok"], 30, what="the put to finish")
    assert mgmt(lab, "dht.result", lookup=put)["result"]["stored"] >= 1
    g = mgmt(lab, "dht.get", target=target)["result"]["lookup"]
    wait_for(lambda: mgmt(lab, "dht.result", lookup=g)["ok"], 30, what="the get to finish")
    got = mgmt(lab, "dht.result", lookup=g)["result"]
    assert got["item"]["target"] == target
    assert bytes.fromhex(got["item"]["v_hex"]) == b"14:vx0 says hello"
    assert isinstance(mgmt(lab, "dht.items")["result"], list)
    table = mgmt(lab, "dht.table")["result"]
    assert len(table["nodes"]) >= 3
    bad = [mgmt(lab, "dht.get", target="zz"), mgmt(lab, "dht.put", value=""),
           mgmt(lab, "dht.result", lookup=999999)]
    assert [b["ok"] for b in bad] == [False, False, False]
    # libtorrent finds the item we stored in the DHT
    sw.stdin.write(f"get {target}\n")
    sw.stdin.flush()
    got = json.loads(sw.stdout.readline())
    assert got["item"] == "vx0 says hello", got


def test_prometheus_dht_metrics(lab):
    """/metrics: the DHT's table, items and traffic as /vx0/dht counts them
    (after the swarm test: a routing table and a published descriptor)."""
    out, samples = scrape_ns(lab["net"], lab["A"], "http://198.51.100.1:9100/metrics")
    t = lab["node"].telemetry("/vx0/dht")[0]
    assert "# TYPE vx0_dht_packets_total counter" in out
    assert metric(samples, "vx0_dht_table_nodes", state="all") >= 3
    assert abs(metric(samples, "vx0_dht_table_nodes", state="all") - t["table_nodes"]) <= 2
    assert metric(samples, "vx0_dht_packets_total", dir="rx") > 0
    assert metric(samples, "vx0_dht_packets_total", dir="tx") > 0
    assert metric(samples, "vx0_dht_descriptors_published_total") >= 1


def test_state_saved_at_exit_and_keys_private(lab):
    rc, stats = lab["node"].stop()
    assert rc == 0 and stats["mbufs_in_use"] == 0
    with open(os.path.join(lab["dir"], "dht-state.json")) as f:
        st = json.load(f)
    assert st  # id and nodes persisted
    for k in ("identity.key", "onion.key"):
        assert os.stat(os.path.join(lab["dir"], k)).st_mode & 0o077 == 0
