#!/usr/bin/python3
"""IKE_SA_INIT + IKE_AUTH handshakes per second: lib/ike vs strongSwan.

Not part of the tests. One namespace pair as in dts/test_ike_strongswan.py;
the same load generator (build/test/ike_bench, our initiator) runs in
namespace A pinned to CPU 0 and drives a responder in namespace B pinned
to CPU 1: first test/ike_node, then charon (kernel-libipsec). Prints one
JSON line per run. Usage: sudo tools/ike-bench.py [--duration 5]
[--concurrency 16] [--build build]
"""
import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'dts'))
import test_ike_strongswan as lab_mod  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--duration', type=float, default=5)
    ap.add_argument('--concurrency', type=int, default=16)
    ap.add_argument('--build', default=os.path.join(os.path.dirname(__file__), '..', 'build'))
    a = ap.parse_args()
    bench = os.path.join(a.build, 'test', 'ike_bench')
    node = os.path.join(a.build, 'test', 'ike_node')
    print(subprocess.run([bench, '--inproc', '1000'], capture_output=True,
                         text=True).stdout.strip())
    for responder in ('vx0', 'charon'):
        lab = lab_mod.Lab()
        try:
            psk = lab_mod.psk_file(lab)
            if responder == 'vx0':
                p = subprocess.Popen(
                    ['ip', 'netns', 'exec', lab.ns_b, 'taskset', '-c', '1', node,
                     '--local', lab_mod.B_IP, '--id', 'b.vx0', '--peer', lab_mod.A_IP,
                     '--peer-id', 'a.vx0', '--psk-file', psk, '--encr', 'chacha',
                     '--esp', 'chacha', '--prf', 'sha256', '--quiet',
                     '--cookie-threshold', '1000000', '--max-sas', '1000000',
                     '--ts-local', lab_mod.B_NET, '--ts-remote', lab_mod.A_NET,
                     '--duration', str(a.duration + 5)],
                    stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
                lab.procs.append(p)
                time.sleep(0.5)
            else:
                # swap roles: charon answers in namespace B
                ch = lab_mod.Charon(lab, lab_mod.conn(
                    'chacha20poly1305-prfsha256-x25519', 'chacha20poly1305',
                    dpd='unique = never'), lab_mod.PSK_SECRET,
                    extra='block_threshold = 100000\n  cookie_threshold = 100000\n'
                          '  init_limit_half_open = 0')
                subprocess.run(['taskset', '-a', '-cp', '1', str(ch.proc.pid)],
                               capture_output=True)
                # charon's own threads: pin the whole namespace process tree
                for pid in subprocess.run(['pgrep', '-P', str(ch.proc.pid)],
                                          capture_output=True, text=True).stdout.split():
                    subprocess.run(['taskset', '-a', '-cp', '1', pid], capture_output=True)
            out = subprocess.run(
                ['ip', 'netns', 'exec', lab.ns_a, 'taskset', '-c', '0', bench,
                 '--local', lab_mod.A_IP, '--peer', lab_mod.B_IP, '--id', 'a.vx0',
                 '--peer-id', 'b.vx0', '--psk-file', psk, '--concurrency',
                 str(a.concurrency), '--duration', str(a.duration)],
                capture_output=True, text=True, timeout=a.duration + 30).stdout
            r = json.loads(out)
            r['responder'] = responder
            print(json.dumps(r))
        finally:
            lab.close()


if __name__ == '__main__':
    main()
