#!/usr/bin/python3
"""Runs vx0net's tests and prints one summary line: "N passed, N failed".

Unit tests and fuzz runners are the TAP executables meson knows
(`meson introspect --tests`); every "ok"/"not ok" line counts as one test.
A binary that dies before reporting (a sanitizer abort, a timeout) counts as
one failure. Lab suites under dts/ run with pytest; each pytest case counts.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

TAP = re.compile(r'^(not ok|ok)\b\s*\d*\s*-?\s*(.*?)(\s+#\s*(SKIP|TODO)\b.*)?$', re.I)


def run_unit(build, passed, failed, skipped, only):
    tests = json.loads(subprocess.check_output(
        ['meson', 'introspect', '--tests', build], text=True))
    for t in tests:
        if only and not re.search(only, t['name']):
            continue
        label = f"{os.path.basename(build)}/{t['name']}"
        env = dict(os.environ)
        env.update(t.get('env') or {})
        env.setdefault('UBSAN_OPTIONS', 'print_stacktrace=1:halt_on_error=1')
        env.setdefault('ASAN_OPTIONS', 'detect_leaks=1:abort_on_error=1')
        t0 = time.monotonic()
        try:
            p = subprocess.run(t['cmd'], cwd=t.get('workdir') or build, env=env,
                               capture_output=True, text=True,
                               timeout=t.get('timeout') or 300)
            out, err, rc = p.stdout, p.stderr, p.returncode
        except subprocess.TimeoutExpired as e:
            out = (e.stdout or b'').decode(errors='replace') if isinstance(e.stdout, bytes) else (e.stdout or '')
            err, rc = 'timeout', -1
        n_ok = n_fail = n_skip = 0
        for line in out.splitlines():
            m = TAP.match(line.strip())
            if not m:
                continue
            if m.group(4):
                n_skip += 1
                print(f"  skip {label}: {m.group(2)}")
            elif m.group(1).lower() == 'ok':
                n_ok += 1
            else:
                n_fail += 1
                print(f"  FAIL {label}: {m.group(2)}")
        if rc != 0 and n_fail == 0:
            n_fail = 1
            print(f"  FAIL {label}: exit status {rc}")
        if n_fail:
            sys.stdout.write(''.join('    | ' + l + '\n' for l in err.splitlines()[-40:]))
        print(f"{label}: {n_ok} passed, {n_fail} failed"
              + (f", {n_skip} skipped" if n_skip else '')
              + f" ({time.monotonic() - t0:.1f}s)")
        passed[0] += n_ok
        failed[0] += n_fail
        skipped[0] += n_skip


def run_dts(dts, build, passed, failed, skipped, only):
    cases = [f for f in os.listdir(dts) if f.startswith('test_') and f.endswith('.py')]
    if not cases:
        return
    xml = os.path.join(os.path.abspath(build), 'dts-results.xml')
    env = dict(os.environ, VX0_BUILD=os.path.abspath(build))
    cmd = ['/usr/bin/python3', '-m', 'pytest', '-q', '-p', 'no:cacheprovider',
           f'--junitxml={xml}', dts]
    if only:
        # the unit side takes a regex; pytest's -k takes "a or b"
        cmd += ['-k', ' or '.join(p for p in only.split('|') if p) if '|' in only else only]
    p = subprocess.run(cmd, env=env)
    if not os.path.exists(xml):
        failed[0] += 1
        print(f"dts: pytest produced no report (exit {p.returncode})")
        return
    root = ET.parse(xml).getroot()
    suites = [root] if root.tag == 'testsuite' else list(root)
    for s in suites:
        n = int(s.get('tests', 0))
        f = int(s.get('failures', 0)) + int(s.get('errors', 0))
        k = int(s.get('skipped', 0))
        passed[0] += n - f - k
        failed[0] += f
        skipped[0] += k
    if p.returncode not in (0, 1, 5) and failed[0] == 0:
        failed[0] += 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', action='append', default=[])
    ap.add_argument('--dts')
    ap.add_argument('-k', dest='only', help='regex/keyword selecting tests')
    ap.add_argument('--no-dts', action='store_true')
    a = ap.parse_args()
    passed, failed, skipped = [0], [0], [0]
    for b in a.build:
        run_unit(b, passed, failed, skipped, a.only)
    if a.dts and not a.no_dts and a.build:
        run_dts(a.dts, a.build[0], passed, failed, skipped, a.only)
    line = f"{passed[0]} passed, {failed[0]} failed"
    if skipped[0]:
        line += f", {skipped[0]} skipped"
    print(line)
    return 1 if failed[0] or passed[0] == 0 else 0


if __name__ == '__main__':
    sys.exit(main())
