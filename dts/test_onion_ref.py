"""The C onion library against the independent Python reference.

tools/onion_ref.py (PyNaCl + hashlib, written from doc/onion.md) and
test/onion_vec.c (lib/onion) answer the same line protocol; on random
inputs every answer must agree byte for byte: HKDF, the ntor handshake,
forward sealing and peeling at every hop, and backward sealing, wrapping
and opening.
"""
import os
import random
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'tools'))
import onion_ref  # noqa: E402

BUILD = os.environ.get('VX0_BUILD', os.path.join(ROOT, 'build'))
VEC = os.path.join(BUILD, 'test', 'onion_vec')
N = 25


def c_side(lines):
    if not os.path.exists(VEC):
        pytest.fail(f'{VEC} not built')
    p = subprocess.run([VEC], input='\n'.join(lines) + '\n', capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return p.stdout.splitlines()


def py_side(lines):
    return [' '.join(onion_ref.run(line.split())) for line in lines]


def hx(rng, n):
    return rng.randbytes(n).hex() if n else '-'


def check(lines):
    c, py = c_side(lines), py_side(lines)
    assert len(c) == len(lines)
    for line, a, b in zip(lines, c, py):
        assert a != 'error', line
        assert a == b, line[:80]


def test_onion_ref_hkdf():
    rng = random.Random(5869)
    check([f'hkdf {hx(rng, rng.randrange(0, 80))} {hx(rng, rng.randrange(1, 100))} '
           f'{hx(rng, rng.randrange(0, 60))} {rng.randrange(1, 300)}' for _ in range(N)])


def test_onion_ref_ntor():
    rng = random.Random(216)
    check([f'ntor {hx(rng, 32)} {hx(rng, 32)} {hx(rng, 32)} {hx(rng, 32)}' for _ in range(N)])


def okms(rng, n):
    return ','.join(rng.randbytes(onion_ref.KDF_LEN).hex() for _ in range(n))


def test_onion_ref_forward():
    rng = random.Random(1360)
    lines = []
    for _ in range(N):
        hops = rng.randrange(1, 4)
        target = rng.randrange(0, hops)
        room = 1336 - 24 * target
        msg = bytes([0x80 + rng.randrange(4), 0]) + rng.randbytes(rng.randrange(2, room - 1))
        lines.append(f'fwd {okms(rng, hops)} {target} {msg.hex()}')
    check(lines)


def test_onion_ref_backward():
    rng = random.Random(1320)
    lines = []
    for _ in range(N):
        hops = rng.randrange(1, 4)
        origin = rng.randrange(0, hops)
        msg = bytes([0x80, 0]) + rng.randbytes(rng.randrange(2, 1318))
        kind = rng.choice('dc')
        lines.append(f'bwd {okms(rng, hops)} {origin} {kind} {msg.hex()}')
    check(lines)


def test_onion_ref_doc_vectors():
    """The doc's ntor vector through the C side equals the reference's."""
    ident = bytes(range(0xa0, 0xc0)).hex()
    line = f'ntor {ident} {bytes(range(1, 33)).hex()} {bytes(range(0x21, 0x41)).hex()} ' \
           f'{bytes(range(0x41, 0x61)).hex()}'
    out = c_side([line])[0].split()
    assert out[2].startswith('d5e21669d6ca6e85482a3d931bfaf398')
    assert out == py_side([line])[0].split()
