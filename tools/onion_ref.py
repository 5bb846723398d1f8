#!/usr/bin/python3
"""Independent reference of the vx0 onion crypto (doc/onion.md).

Written from the spec with PyNaCl (Debian python3-nacl) and hashlib/hmac
only, to produce and cross-check known-answer vectors of the C library:
HKDF-SHA256 (RFC 5869), the ntor handshake, and the per-hop layers.

usage:
  onion_ref.py vectors          print the doc's fixed-input vectors
  onion_ref.py OP ARGS...       same line protocol as test/onion_vec.c:
    hkdf SALT IKM INFO LEN      -> okm
    ntor ID b x y               -> client_hs server_hs okm
    fwd OKM[,OKM..] TARGET MSG  -> body after the client, then after each hop
    bwd OKM[,OKM..] ORIGIN K MSG -> body at the client, then from, key (d|c), message
  (all byte strings in hex; "-" is the empty string)
"""
import hashlib
import hmac
import struct
import sys

from nacl.bindings import (crypto_aead_chacha20poly1305_ietf_decrypt,
                           crypto_aead_chacha20poly1305_ietf_encrypt,
                           crypto_scalarmult, crypto_scalarmult_base)

BODY = 1360
HDR = 24
M = BODY - HDR            # forward plaintext per hop
BWD_CT = M - 8 * 2        # backward sealed length (3 hops max)
PROTOID = b"vx0-ntor-x25519-sha256-1"
KDF_LEN = 120


def hkdf(salt, ikm, info, n):
    prk = hmac.new(salt or b"\0" * 32, ikm, hashlib.sha256).digest()
    out, t, i = b"", b"", 1
    while len(out) < n:
        t = hmac.new(prk, t + info + bytes([i]), hashlib.sha256).digest()
        out += t
        i += 1
    return out[:n]


def H(msg, tweak):
    return hmac.new(tweak, msg, hashlib.sha256).digest()


def ntor_derive(dh1, dh2, ident, B, X, Y):
    secret = dh1 + dh2 + ident + B + X + Y + PROTOID
    okm = hkdf(PROTOID + b":key_extract", secret, PROTOID + b":key_expand", KDF_LEN)
    verify = H(secret, PROTOID + b":verify")
    auth = H(verify + ident + B + Y + X + PROTOID + b"Server", PROTOID + b":mac")
    return auth, okm


def ntor(ident, b, x, y):
    B = crypto_scalarmult_base(b)
    X = crypto_scalarmult_base(x)
    client_hs = ident + B + X
    # server
    Y = crypto_scalarmult_base(y)
    auth, okm_s = ntor_derive(crypto_scalarmult(y, X), crypto_scalarmult(b, X), ident, B, X, Y)
    server_hs = Y + auth
    # client
    auth_c, okm_c = ntor_derive(crypto_scalarmult(x, Y), crypto_scalarmult(x, B), ident, B, X, Y)
    assert hmac.compare_digest(auth_c, auth) and okm_c == okm_s
    return client_hs, server_hs, okm_s


def keys(okm):
    mask = (1 << 62) - 1
    return {"kf": okm[0:32], "kb": okm[32:64], "kc": okm[64:96],
            "fbase": int.from_bytes(okm[96:104], "big") & mask,
            "bbase": int.from_bytes(okm[104:112], "big") & mask,
            "cbase": int.from_bytes(okm[112:120], "big") & mask}


def nonce(seq):
    return b"\0" * 4 + seq.to_bytes(8, "big")


def _rotl(v, c):
    return ((v << c) & 0xffffffff) | (v >> (32 - c))


def chacha20_block(key, counter, nonce):
    """RFC 8439 2.3, in plain Python (PyNaCl exposes no raw ChaCha20)."""
    st = [0x61707865, 0x3320646e, 0x79622d32, 0x6b206574]
    st += list(struct.unpack("<8I", key)) + [counter] + list(struct.unpack("<3I", nonce))
    x = st[:]

    def qr(a, b, c, d):
        x[a] = (x[a] + x[b]) & 0xffffffff; x[d] = _rotl(x[d] ^ x[a], 16)
        x[c] = (x[c] + x[d]) & 0xffffffff; x[b] = _rotl(x[b] ^ x[c], 12)
        x[a] = (x[a] + x[b]) & 0xffffffff; x[d] = _rotl(x[d] ^ x[a], 8)
        x[c] = (x[c] + x[d]) & 0xffffffff; x[b] = _rotl(x[b] ^ x[c], 7)
    for _ in range(10):
        qr(0, 4, 8, 12); qr(1, 5, 9, 13); qr(2, 6, 10, 14); qr(3, 7, 11, 15)
        qr(0, 5, 10, 15); qr(1, 6, 11, 12); qr(2, 7, 8, 13); qr(3, 4, 9, 14)
    return struct.pack("<16I", *((a + b) & 0xffffffff for a, b in zip(x, st)))


def spare(key, seq, n):
    """Block 0's bytes [32, 32+n): the half the AEAD's Poly1305 key leaves."""
    return chacha20_block(key, 0, nonce(seq))[32:32 + n]


def keystream(key, seq, off, n):
    """Bytes [off, off+n) of the AEAD's message keystream (block 1 on)."""
    ct = crypto_aead_chacha20poly1305_ietf_encrypt(b"\0" * (off + n), None, nonce(seq), key)
    return ct[off:off + n]


def xor(a, b):
    return bytes(x ^ y for x, y in zip(a, b))


def seal(hops, target, msg):
    """Client, forward: hops = list of key dicts with a running 'fseq'."""
    seqs = []
    for i in range(target + 1):
        hops[i]["fseq"] += 1
        seqs.append(hops[i]["fseq"])
    filler = b""
    for i in range(target):
        if filler:
            filler = xor(filler, keystream(hops[i]["kf"], seqs[i], M - len(filler), len(filler)))
        filler += spare(hops[i]["kf"], seqs[i], HDR)
    pt = msg + b"\0" * (M - len(filler) - len(msg))
    if filler:
        pt += xor(filler, keystream(hops[target]["kf"], seqs[target], M - len(filler), len(filler)))
    body = None
    for i in range(target, -1, -1):
        if body is not None:
            pt = body[:M]
        ct = crypto_aead_chacha20poly1305_ietf_encrypt(pt, None, nonce(seqs[i]), hops[i]["kf"])
        body = seqs[i].to_bytes(8, "big") + ct[-16:] + ct[:-16]
    return body


def peel(kf, body):
    """Relay, forward. Returns (terminal?, new body)."""
    seq = int.from_bytes(body[:8], "big")
    pt = crypto_aead_chacha20poly1305_ietf_decrypt(body[HDR:] + body[8:HDR], None, nonce(seq), kf)
    out = pt + spare(kf, seq, HDR)
    return bool(out[0] & 0x80), out


def originate(kb, seq, msg):
    pt = msg + b"\0" * (BWD_CT - len(msg))
    ct = crypto_aead_chacha20poly1305_ietf_encrypt(pt, None, nonce(seq), kb)
    return seq.to_bytes(8, "big") + ct[-16:] + ct[:-16] + spare(kb, seq, BODY - HDR - BWD_CT)


def wrap(kb, seq, body):
    return seq.to_bytes(8, "big") + xor(body[:BODY - 8], keystream(kb, seq, 0, BODY - 8))


def client_open(hops, body):
    for i, h in enumerate(hops):
        seq = int.from_bytes(body[:8], "big")
        for kind in ("kb", "kc"):
            try:
                pt = crypto_aead_chacha20poly1305_ietf_decrypt(
                    body[HDR:HDR + BWD_CT] + body[8:HDR], None, nonce(seq), h[kind])
                return i, "d" if kind == "kb" else "c", pt
            except Exception:
                pass
        body = xor(body[8:], keystream(h["kb"], seq, 0, BODY - 8)) + b"\0" * 8
    raise ValueError("no hop authenticates")


def relay_msg(cmd, data):
    return bytes([cmd, 0]) + len(data).to_bytes(2, "big") + data


def unhex(s):
    return b"" if s == "-" else bytes.fromhex(s)


def op_fwd(okms, target, msg):
    hops = [keys(unhex(o)) for o in okms.split(",")]
    for h in hops:
        h["fseq"] = h["fbase"]
    target = int(target)
    body = seal(hops, target, unhex(msg))
    out = [body.hex()]
    for i in range(target + 1):
        term, body = peel(hops[i]["kf"], body)
        assert term == (i == target), "recognized bit at the wrong hop"
        out.append(body.hex())
    return out


def op_bwd(okms, origin, kind, msg):
    hops = [keys(unhex(o)) for o in okms.split(",")]
    origin = int(origin)
    h = hops[origin]
    if kind == "c":
        body = originate(h["kc"], h["cbase"] + 1, unhex(msg))
    else:
        body = originate(h["kb"], h["bbase"] + 1, unhex(msg))
    for i in range(origin - 1, -1, -1):
        body = wrap(hops[i]["kb"], hops[i]["bbase"] + 1, body)
    frm, k, pt = client_open(hops, body)
    return [body.hex(), str(frm), k, pt.hex()]


def run(args):
    op = args[0]
    if op == "hkdf":
        return [hkdf(unhex(args[1]), unhex(args[2]), unhex(args[3]), int(args[4])).hex()]
    if op == "ntor":
        return [v.hex() for v in ntor(*(unhex(a) for a in args[1:5]))]
    if op == "fwd":
        return op_fwd(*args[1:4])
    if op == "bwd":
        return op_bwd(*args[1:5])
    raise SystemExit("unknown op " + op)


def seq_bytes(start, n):
    return bytes((start + i) & 0xff for i in range(n))


def selftest():
    """RFC 8439 2.3.2 block vector; block 1 on equals the AEAD's keystream."""
    blk = chacha20_block(bytes(range(32)), 1, bytes.fromhex("000000090000004a00000000"))
    assert blk.hex().startswith("10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e")
    key = bytes(range(32))
    assert chacha20_block(key, 1, nonce(7)) + chacha20_block(key, 2, nonce(7)) == \
        keystream(key, 7, 0, 128)


def vectors():
    """The fixed inputs of doc/onion.md section 11."""
    ident = seq_bytes(0xa0, 32)
    b = seq_bytes(0x01, 32)
    x = seq_bytes(0x21, 32)
    y = seq_bytes(0x41, 32)
    chs, shs, okm = ntor(ident, b, x, y)
    print("ntor.ID      =", ident.hex())
    print("ntor.b       =", b.hex())
    print("ntor.B       =", crypto_scalarmult_base(b).hex())
    print("ntor.x       =", x.hex())
    print("ntor.y       =", y.hex())
    print("ntor.client  =", chs.hex())
    print("ntor.server  =", shs.hex())
    print("ntor.okm     =", okm.hex())
    okms = [hkdf(b"vx0-test", bytes([i]) * 32, b"hop", KDF_LEN) for i in range(3)]
    for i, o in enumerate(okms):
        print(f"hop{i}.okm     =", o.hex())
    msg = relay_msg(0x80, b"vx0 onion test vector")
    print("fwd.msg      =", msg.hex())
    res = op_fwd(",".join(o.hex() for o in okms), "2", msg.hex())
    names = ["fwd.client", "fwd.guard", "fwd.middle", "fwd.exit"]
    for n, v in zip(names, res):
        print(f"{n:12} =", v)
    back = relay_msg(0x80, b"vx0 onion reply")
    print("bwd.msg      =", back.hex())
    res = op_bwd(",".join(o.hex() for o in okms), "2", "d", back.hex())
    print("bwd.client   =", res[0])
    print("bwd.from     =", res[1], res[2])
    ext = relay_msg(0x82, b"\0\x01\0\x40" + bytes(range(64)))
    print("ctl.msg      =", ext.hex())
    res = op_bwd(",".join(o.hex() for o in okms), "1", "c", ext.hex())
    print("ctl.client   =", res[0])
    print("ctl.from     =", res[1], res[2])


if __name__ == "__main__":
    selftest()
    if len(sys.argv) > 1 and sys.argv[1] == "vectors":
        vectors()
    elif len(sys.argv) > 1:
        print("\n".join(run(sys.argv[1:])))
    else:
        for line in sys.stdin:
            if line.strip():
                print(" ".join(run(line.split())), flush=True)
