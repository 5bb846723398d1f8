"""Onion circuits over real UDP datagrams.

test/onion_lab runs a guard, a middle and an exit relay (lib/onion with its
UDP glue), each on its own loopback socket, and a client that builds a
3-hop circuit through them; the exit echoes each packet back. The program
runs in a private network namespace (unshare -n), so nothing leaves it.
"""
import json
import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get('VX0_BUILD', os.path.join(ROOT, 'build'))
LAB = os.path.join(BUILD, 'test', 'onion_lab')


def run_lab(family, port, packets):
    if not os.path.exists(LAB):
        pytest.fail(f'{LAB} not built')
    p = subprocess.run(['unshare', '-n', 'sh', '-c',
                        f'ip link set lo up && exec "{LAB}" {family} {port} {packets}'],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stdout + p.stderr
    return json.loads(p.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize('family,port', [(4, 17150), (6, 17250)])
def test_onion_udp_circuit(family, port):
    r = run_lab(family, port, 40)
    assert r['open'] == 1
    assert r['sent'] == 40
    # every packet reached the exit and came back byte for byte
    assert r['exit_delivered'] == 40
    assert r['echoed'] == 40
    assert r['exact'] == 40
    # the guard relayed the 40 packets plus the EXTEND toward the exit,
    # and the 40 replies plus the middle's EXTENDED for the exit
    assert r['guard_relayed_fwd'] == 41
    assert r['guard_relayed_bwd'] == 41
    assert r['integrity_failed'] == 0
