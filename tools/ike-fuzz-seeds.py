#!/usr/bin/python3
"""Writes seeds for test/fuzz/fuzz_ike_sk.c: [exchange][first payload][chain].

Each is a plausible inner payload chain of an encrypted request: new and
rekeyed CHILD_SAs (with and without KE), an IKE SA rekey, Deletes, an empty
INFORMATIONAL, and an IKE_AUTH in the wrong state.
"""
import os
import struct

OUT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fuzz', 'corpus', 'ike_sk')


def chain(*pls):
    out = b''
    for i, (t, body) in enumerate(pls):
        nxt = pls[i + 1][0] if i + 1 < len(pls) else 0
        out += struct.pack('>BBH', nxt, 0, 4 + len(body)) + body
    return (pls[0][0] if pls else 0), out


def transform(last, ttype, tid, keylen=None):
    attr = struct.pack('>HH', 0x800e, keylen) if keylen else b''
    return struct.pack('>BBHBBH', 0 if last else 3, 0, 8 + len(attr), ttype, 0, tid) + attr


def sa(proto, spi, trans):
    body = b''.join(transform(i == len(trans) - 1, *t) for i, t in enumerate(trans))
    return (33, struct.pack('>BBHBBBB', 0, 0, 8 + len(spi) + len(body), 1, proto, len(spi),
                            len(trans)) + spi + body)


def ts(t, lo, hi):
    return (t, struct.pack('>BBH', 1, 0, 0) + struct.pack('>BBHHH', 7, 0, 16, 0, 65535)
            + bytes(lo) + bytes(hi))


esp = sa(3, b'\x00\x00\x12\x34', [(1, 28), (5, 0)])
esp_pfs = sa(3, b'\x00\x00\x12\x35', [(1, 28), (4, 31), (5, 0)])
nonce = (40, bytes(range(32)))
ke = (34, struct.pack('>HH', 31, 0) + bytes(range(9, 41)))
tsi = ts(44, [0, 0, 0, 0], [255, 255, 255, 255])
tsr = ts(45, [0, 0, 0, 0], [255, 255, 255, 255])
rekey = (41, struct.pack('>BBH', 3, 4, 16393) + b'\x00\x00\x00\x00')
seeds = {
    'new_child': (36, chain(esp, nonce, tsi, tsr)),
    'new_child_pfs': (36, chain(esp_pfs, nonce, ke, tsi, tsr)),
    'rekey_child': (36, chain(rekey, esp, nonce, tsi, tsr)),
    'rekey_ike': (36, chain(sa(1, bytes(range(1, 9)), [(1, 28), (2, 5), (4, 31)]), nonce, ke)),
    'delete_esp': (37, chain((42, struct.pack('>BBH', 3, 4, 1) + b'\x00\x00\x12\x34'))),
    'delete_ike': (37, chain((42, struct.pack('>BBH', 1, 0, 0)))),
    'empty_info': (37, (0, b'')),
    'auth_again': (35, chain((35, b'\x02\x00\x00\x00a.vx0'), (39, b'\x02\x00\x00\x00' + bytes(32)))),
}
os.makedirs(OUT, exist_ok=True)
for name, (exch, (first, body)) in seeds.items():
    with open(os.path.join(OUT, name + '.bin'), 'wb') as f:
        f.write(bytes([exch - 34, first]) + body)
