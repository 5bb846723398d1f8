#!/usr/bin/python3
"""Records a BGP feed once and replays it, byte for byte, to receivers
(lab benchmark helper for tools/bgp-bench.py --replay, not CI).

  record --listen ADDR --as ASN --id RID -n N --out FILE
      Listens on ADDR:179 (the feeder connects), answers its OPEN, and
      writes every UPDATE it sends, whole, to FILE until N prefixes came.
  serve --feed FILE --as ASN --id RID --link ADDR[,ADDR...] --go FILE
        [--nexthop-from ADDR]
      Listens on each ADDR:179; once every link has a session up (OPEN and
      KEEPALIVE both ways), writes the monotonic start time to --go and sends
      the recorded UPDATEs to all links at once, as fast as TCP takes them,
      with the NEXT_HOP rewritten from --nexthop-from to the link's address.
      Then answers KEEPALIVEs until it is terminated.

A BIRD feeder spends about as much CPU per route as a BIRD receiver, so a
live feeder paces every receiver (tools/bgp-bench.py); the replay offers
the same bytes without that limit, so what is measured is the receiver.
"""
import argparse
import os
import select
import socket
import struct
import sys
import threading
import time

MARKER = b'\xff' * 16
KEEPALIVE = MARKER + struct.pack('!HB', 19, 4)


def open_msg(asn, rid, hold=240):
    # capabilities: multiprotocol IPv4 unicast (RFC 4760), 4-octet AS (RFC 6793)
    caps = bytes.fromhex('010400010001') + b'\x41\x04' + struct.pack('!I', asn)
    opt = b'\x02' + bytes([len(caps)]) + caps
    body = struct.pack('!BHH4sB', 4, asn if asn < 65536 else 23456, hold,
                       socket.inet_aton(rid), len(opt)) + opt
    return MARKER + struct.pack('!HB', 19 + len(body), 1) + body


class Conn:
    """One BGP session's byte stream, read whole messages at a time."""

    def __init__(self, sock):
        self.s = sock
        self.buf = bytearray()

    def msg(self, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            if len(self.buf) >= 19:
                ln = struct.unpack('!H', self.buf[16:18])[0]
                if ln < 19 or ln > 65535:
                    raise ValueError(f'bad BGP length {ln}')
                if len(self.buf) >= ln:
                    m = bytes(self.buf[:ln])
                    del self.buf[:ln]
                    return m
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError('no BGP message')
            self.s.settimeout(left)
            d = self.s.recv(1 << 20)
            if not d:
                raise EOFError('peer closed')
            self.buf += d

    def handshake(self, asn, rid):
        self.s.sendall(open_msg(asn, rid))
        got_open = got_ka = False
        while not (got_open and got_ka):
            m = self.msg()
            if m[18] == 1:
                got_open = True
                self.s.sendall(KEEPALIVE)
            elif m[18] == 4:
                got_ka = True
            elif m[18] == 3:
                raise RuntimeError('NOTIFICATION %s' % m[19:].hex())


def nlri_count(m):
    """Prefixes an IPv4 UPDATE announces in its NLRI field."""
    wl = struct.unpack('!H', m[19:21])[0]
    al = struct.unpack('!H', m[21 + wl:23 + wl])[0]
    i, n, end = 23 + wl + al, 0, len(m)
    while i < end:
        i += 1 + (m[i] + 7) // 8
        n += 1
    if i != end:
        raise ValueError('truncated NLRI')
    return n


def listener(addr):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((addr, 179))
    srv.listen(4)
    return srv


def record(a):
    srv = listener(a.listen)
    srv.settimeout(a.timeout)
    sock, _ = srv.accept()
    c = Conn(sock)
    c.handshake(a.asn, a.id)
    got, msgs = 0, 0
    tmp = a.out + '.part'
    deadline = time.monotonic() + a.timeout
    with open(tmp, 'wb') as f:
        while got < a.n:
            if time.monotonic() > deadline:
                raise TimeoutError(f'{got} of {a.n} prefixes recorded')
            m = c.msg()
            if m[18] == 2:
                got += nlri_count(m)
                msgs += 1
                f.write(m)
            elif m[18] == 3:
                raise RuntimeError('NOTIFICATION %s' % m[19:].hex())
    os.rename(tmp, a.out)
    sock.close()
    print(f'recorded {got} prefixes in {msgs} UPDATEs, {os.path.getsize(a.out)} bytes', flush=True)


def serve(a):
    with open(a.feed, 'rb') as f:
        feed = f.read()
    old = b'\x40\x03\x04' + socket.inet_aton(a.nexthop_from)
    n_upd = 0
    i = 0
    while i < len(feed):
        n_upd += 1
        i += struct.unpack('!H', feed[i + 16:i + 18])[0]
    if feed.count(old) != n_upd:
        sys.exit(f'NEXT_HOP {a.nexthop_from} found {feed.count(old)} times in {n_upd} UPDATEs')
    links = a.link.split(',')
    data = {ln: feed.replace(old, b'\x40\x03\x04' + socket.inet_aton(ln)) for ln in links}
    srvs = {ln: listener(ln) for ln in links}
    conns = {}
    deadline = time.monotonic() + a.timeout
    for ln, srv in srvs.items():
        srv.settimeout(max(1, deadline - time.monotonic()))
        sock, _ = srv.accept()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conns[ln] = Conn(sock)
        conns[ln].handshake(a.asn, a.id)
    go = time.monotonic()
    with open(a.go + '.part', 'w') as f:
        f.write(f'{go}\n')
    os.rename(a.go + '.part', a.go)

    def blast(ln):
        conns[ln].s.settimeout(None)
        conns[ln].s.sendall(data[ln])
    threads = [threading.Thread(target=blast, args=(ln,), daemon=True) for ln in links]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(f'sent {len(feed)} bytes ({n_upd} UPDATEs) to {len(links)} link(s) in '
          f'{time.monotonic() - go:.2f} s', flush=True)
    # keep the sessions up: answer keepalives, drain what the receivers send
    last_ka = time.monotonic()
    while time.monotonic() < deadline:
        r, _, _ = select.select([c.s for c in conns.values()], [], [], 1)
        for s in r:
            if not s.recv(65536):
                return
        if time.monotonic() - last_ka > 60:
            for c in conns.values():
                c.s.sendall(KEEPALIVE)
            last_ka = time.monotonic()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = ap.add_subparsers(dest='cmd', required=True)
    r = sub.add_parser('record')
    r.add_argument('--listen', required=True)
    r.add_argument('-n', type=int, required=True)
    r.add_argument('--out', required=True)
    s = sub.add_parser('serve')
    s.add_argument('--feed', required=True)
    s.add_argument('--link', required=True)
    s.add_argument('--go', required=True)
    s.add_argument('--nexthop-from', default='198.51.100.1')
    for p in (r, s):
        p.add_argument('--as', dest='asn', type=int, required=True)
        p.add_argument('--id', required=True)
        p.add_argument('--timeout', type=float, default=600)
    a = ap.parse_args()
    (record if a.cmd == 'record' else serve)(a)


if __name__ == '__main__':
    main()
