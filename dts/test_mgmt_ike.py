"""Lab: IKE peers over the management socket, on test_vx0d_ike.py's two
nodes (X initiates to Y with a PSK): ike.peers shows the IKE SA on both
sides; ike.terminate on X deletes it (Y hears the Delete, the CHILD_SAs and
tunnel routes go on both nodes); ike.initiate brings it back and traffic
flows again; bad requests name what is wrong.
"""
import json

from mgmt_lab import vx0ctl
from test_vx0d_ike import lab, ping, sas  # noqa: F401 (the module's lab fixture)
from vx0lab import mgmt_requests, wait_for


def ike_peers(path):
    rep = mgmt_requests(path, {"cmd": "ike.peers"})[0]
    assert rep["ok"], rep
    return {p["name"]: p for p in rep["result"]["peers"]}


def ymgmt(lab):
    return lab["mgmt"].replace("mgmt-x.vx0.sock", "mgmt-y.vx0.sock")


def up_both(lab):
    return (ike_peers(lab["mgmt"])["other"]["established"] and
            ike_peers(ymgmt(lab))["other"]["established"] and
            len(sas(lab["X"])) == 2 and len(sas(lab["Y"])) == 2)


def test_ike_peers_listed(lab):
    wait_for(lambda: up_both(lab), 30, what="the IKE SA on both nodes")
    p = ike_peers(lab["mgmt"])["other"]
    assert p["address"] == "203.0.113.2" and p["auth"] == "psk" and p["initiate"] is True
    spi_i, spi_r = p["ike_spis"].split("/")
    assert len(spi_i) == 16 and int(spi_i, 16) != 0 and int(spi_r, 16) != 0
    # both sides name the same IKE SA
    assert ike_peers(ymgmt(lab))["other"]["ike_spis"] == p["ike_spis"]
    r = vx0ctl("-m", lab["mgmt"], "ike", "peers", prefix=lab["X"].prefix)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[1].split()[:5] == ["other", "203.0.113.2", "psk", "true", "true"]


def test_ike_terminate_then_initiate(lab):
    wait_for(lambda: up_both(lab), 30, what="the IKE SA on both nodes")
    r = vx0ctl("-m", lab["mgmt"], "--json", "ike", "terminate", "other", prefix=lab["X"].prefix)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"peer": "other", "terminated": "ok"}
    wait_for(lambda: not ike_peers(lab["mgmt"])["other"]["established"] and
             not ike_peers(ymgmt(lab))["other"]["established"], 15, what="the IKE SA gone")
    wait_for(lambda: sas(lab["X"]) == {} and sas(lab["Y"]) == {}, 15,
             what="CHILD_SAs removed on both nodes")
    assert lab["X"].telemetry("/vx0/fib,198.51.100.130")[0]["result"] == "no route"
    # by address this time
    r = vx0ctl("-m", lab["mgmt"], "ike", "initiate", "203.0.113.2", prefix=lab["X"].prefix)
    assert r.returncode == 0, r.stderr
    wait_for(lambda: up_both(lab), 30, what="the IKE SA back")
    rc, out = ping(lab, "198.51.100.130")
    assert rc == 0, out


def test_ike_bad_requests(lab):
    for args, msg in (({"peer": "nobody"}, "no IKE peer \"nobody\""),
                      ({"peer": "203.0.113.99"}, "no IKE peer \"203.0.113.99\""),
                      ({}, "\"peer\" must be an IKE peer's name or address"),
                      ({"peer": "other", "now": 1}, "unknown argument \"now\"")):
        rep = mgmt_requests(lab["mgmt"], dict(cmd="ike.terminate", **args))[0]
        assert rep["ok"] is False and msg in rep["error"], rep
    wait_for(lambda: up_both(lab), 30, what="the IKE SA")
    rep = mgmt_requests(lab["mgmt"], {"cmd": "ike.initiate", "peer": "other"})[0]
    assert rep["ok"] is False and "established already" in rep["error"], rep


def test_zz_clean_exit(lab):
    for n in ("X", "Y"):
        rc, stats = lab[n].stop()
        assert rc == 0 and stats["mbufs_in_use"] == 0
