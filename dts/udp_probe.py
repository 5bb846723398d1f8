#!/usr/bin/python3
"""UDP probe for lab tests, run inside a namespace.

  udp_probe.py recv ADDR PORT TIMEOUT   prints "ready", then one JSON line
                                        {"payload": hex, "ttl": n, "src": addr}
  udp_probe.py send ADDR PORT HEX       sends the payload once
"""
import json
import select
import socket
import sys

IP_RECVTTL, IP_TTL = 12, 2


def main():
    mode, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    if mode == "send":
        s.sendto(bytes.fromhex(sys.argv[4]), (addr, port))
        return 0
    s.bind((addr, port))
    if fam == socket.AF_INET:
        s.setsockopt(socket.IPPROTO_IP, IP_RECVTTL, 1)
    else:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVHOPLIMIT, 1)
    print("ready", flush=True)
    r, _, _ = select.select([s], [], [], float(sys.argv[4]))
    if not r:
        print(json.dumps({"error": "timeout"}))
        return 1
    data, anc, _, src = s.recvmsg(65535, 256)
    ttl = None
    for level, typ, val in anc:
        if typ in (IP_TTL, socket.IPV6_HOPLIMIT):
            ttl = int.from_bytes(val[:4], sys.byteorder)
    print(json.dumps({"payload": data.hex(), "ttl": ttl, "src": src[0]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
