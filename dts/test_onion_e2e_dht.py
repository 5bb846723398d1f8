# SPDX-License-Identifier: BSD-3-Clause
"""Lab: vx0-client --dht finds three vx0d relays through the descriptors
their DHT nodes publish (doc/descriptor.md: `a` is the onion endpoint, the
relay's onion address and cell port, when the node has an onion section)
and carries traffic through them. The topology is test_onion_e2e's, with a
DHT node in every vx0d (bound to its hub address, bootstrapped through the
guard's); the client asks the guard's DHT node (on its hub address, across the
guard from the client).
"""
import os
import socket
import struct
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_onion_e2e import CLIENT, HUB, SERVER4, Lab  # noqa: E402
from vx0lab import mgmt_requests, wait_for  # noqa: E402


@pytest.fixture(scope="module")
def dlab():
    if os.geteuid() != 0:
        pytest.skip("needs root for namespaces and TUN devices")
    if not os.path.exists(CLIENT):
        pytest.fail(f"{CLIENT} not built")
    lab = Lab(dht=True, tag="od")
    try:
        yield lab
    finally:
        lab.close()


def test_e2e_dht_client_finds_vx0d_relays(dlab):
    # every node knows the others before the client asks
    for k, s in dlab.socks.items():
        wait_for(lambda: len(mgmt_requests(s, {"cmd": "dht.table"})[0]["result"]["nodes"]) >= 3,
                 15, what=f"{k}'s DHT table")
    dlab.client(source=["--dht", HUB["guard"] + ":6881", "--dht-tiers", "1",
                        "--dht-wait", "3"])
    d = dlab.wait_event(lambda e: e["event"] == "directory" and e["relays"] == 4, 20,
                        "directory from the DHT")[0]
    o = dlab.wait_event(lambda e: e["event"] == "open", 20, "circuit open")[0]
    names = {"x" + dlab.desc[k]["id"][:16]: k for k in dlab.desc}
    path = [names[n] for n in o["path"]]
    dirs = [e for e in dlab.ev() if e["event"] == "directory"]
    assert d["rejected"] == 0, dirs
    # the guard set was seeded with the guard: found in the DHT, it is used
    assert path[0] == "guard" and path[1] in ("middle1", "middle2") and path[2] == "exit", path
    assert dlab.helper("udp", SERVER4, 5) == {"exact": 5, "lost": 0}
    t = dlab.helper("tcp", SERVER4, 64 << 10)
    assert t["exact"] is True, t


def test_e2e_dht_descriptors_name_the_onion_endpoint(dlab):
    """The signed descriptors stored in the nodes (dht.items) carry each
    relay's onion address and cell port as `a`, never the DHT socket; the
    guard, which started alone, published once it had a peer."""
    values = b"".join(bytes.fromhex(it["v_hex"]) for s in dlab.socks.values()
                      for it in mgmt_requests(s, {"cmd": "dht.items"})[0]["result"]
                      if it.get("mutable"))
    for k, d in dlab.desc.items():
        onion = b"1:al6:" + socket.inet_aton(d["addr"]) + struct.pack("!H", d["port"])
        dht = b"1:al6:" + socket.inet_aton(HUB[k]) + struct.pack("!H", 6881)
        assert onion in values, k
        assert dht not in values, k
