#!/bin/sh
# Transit forwarding benchmark: vx0-perf (1,000,000 IPv4 + 200,000 IPv6
# routes) beside dpdk-testpmd (io, macswap) and DPDK's l3fwd example in LPM
# mode, in one run, on the same cores and the same vdev type: net_pcap
# replaying the same generated capture with infinite_rx=1, TX without
# tx_pcap (the PMD drops). Prints Mpps per forwarding lcore and the ratios.
# l3fwd runs twice per mix: with its default table of 16 routes, and with
# the same 1M IPv4 / 200k IPv6 routes as vx0-perf (its --rule_ipv4/_ipv6
# files, written by vx0-perf --gen-only; all to port 0).
#
# l3fwd is built from Debian's dpdk-doc sources into a temporary folder,
# with its hard-coded RX checksum offload turned off there (vdevs lack it)
# and its LPM sizes raised to hold the big table (1.1M IPv4 rules, 65536
# tbl8 groups, 300k IPv6 rules: the sizes vx0-perf's FIB gets); nothing of
# it is kept. Not part of CI; about 5 minutes (l3fwd loads 1M IPv4 routes
# into rte_lpm in ~50 s: rte_lpm scans a prefix length's rules per add).
#
# Then ROUNDS more alternations of l3fwd (16 routes) and vx0-perf, each
# family in turn, 4 s each: this VM's speed differs by up to 20 % from one
# process to the next, so the medians of the per-round ratios are the
# figures to quote.
#
# usage: tools/bench-fwd.sh [-s SECONDS] [-c MAIN,FWD] [-p PACKETS] [-r ROUNDS]
set -eu
cd "$(dirname "$0")/.."

SECS=10          # measured seconds per run (after a warm-up)
CORES=0,1        # EAL main lcore, forwarding lcore (pinned to CPUs 0 and 1)
PKTS=4096        # packets per capture (l3fwd's pool is 8192 mbufs)
ROUNDS=5         # alternations at the end
while getopts s:c:p:r: opt; do
	case $opt in
	s) SECS=$OPTARG ;;
	c) CORES=$OPTARG ;;
	p) PKTS=$OPTARG ;;
	r) ROUNDS=$OPTARG ;;
	*) echo "usage: $0 [-s SECONDS] [-c MAIN,FWD] [-p PACKETS] [-r ROUNDS]" >&2; exit 2 ;;
	esac
done
FWD=${CORES#*,}
WARM=2

# what it needs: testpmd (dpdk), the examples (dpdk-doc), a compiler
need=""
command -v dpdk-testpmd >/dev/null || need="$need dpdk"
[ -d /usr/share/dpdk/examples/l3fwd ] || need="$need dpdk-doc"
pkg-config --exists libdpdk || need="$need libdpdk-dev"
command -v make >/dev/null || need="$need make"
command -v gcc >/dev/null || need="$need gcc"
if [ -n "$need" ]; then
	echo "installing:$need"
	apt-get install -y $need >/dev/null
fi

PERF=build/app/vx0-perf/vx0-perf
[ -f build/build.ninja ] || tools/build.sh
ninja -C build -j2 app/vx0-perf/vx0-perf >/dev/null

TMP=$(mktemp -d /tmp/vx0-bench.XXXXXX)
PID=""
cleanup() {
	if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
		kill -INT "$PID" 2>/dev/null || true
		sleep 1
		kill -KILL "$PID" 2>/dev/null || true
	fi
	rm -rf "$TMP"
	rm -rf /var/run/dpdk/vx0b_$$_* 2>/dev/null || true
}
trap cleanup EXIT INT TERM

echo "building l3fwd from /usr/share/dpdk/examples/l3fwd in $TMP ..."
cp -r /usr/share/dpdk/examples/l3fwd /usr/share/dpdk/examples/common "$TMP/"
# the one change: no RX checksum offload (net_pcap has none)
sed -i 's/\.offloads = RTE_ETH_RX_OFFLOAD_CHECKSUM,/.offloads = 0,/' "$TMP/l3fwd/main.c"
grep -q 'RTE_ETH_RX_OFFLOAD_CHECKSUM,' "$TMP/l3fwd/main.c" && { echo "l3fwd: patch failed" >&2; exit 1; }
# room for the same FIB as vx0-perf (the 16-route runs are unaffected: the
# tables are allocated at their full size either way)
sed -i -e 's/^#define IPV4_L3FWD_LPM_MAX_RULES .*/#define IPV4_L3FWD_LPM_MAX_RULES 1100000/' \
	-e 's/^#define IPV4_L3FWD_LPM_NUMBER_TBL8S .*/#define IPV4_L3FWD_LPM_NUMBER_TBL8S (1 << 16)/' \
	-e 's/^#define IPV6_L3FWD_LPM_MAX_RULES .*/#define IPV6_L3FWD_LPM_MAX_RULES 300000/' "$TMP/l3fwd/l3fwd_lpm.c"
[ "$(grep -cE 'MAX_RULES (1100000|300000)|NUMBER_TBL8S \(1 << 16\)' "$TMP/l3fwd/l3fwd_lpm.c")" -eq 4 ] ||
	{ echo "l3fwd: size patch failed" >&2; exit 1; }
make -C "$TMP/l3fwd" -j2 >"$TMP/l3fwd-build.log" 2>&1 || { tail "$TMP/l3fwd-build.log"; exit 1; }
L3FWD=$TMP/l3fwd/build/l3fwd

"$PERF" --gen-only --dir "$TMP/cap" --packets "$PKTS" >/dev/null

EAL="--no-huge -m 2048 --no-pci -l $CORES --main-lcore ${CORES%,*} --log-level=pmd.net.pcap:warning"
# l3fwd opens a TX queue per lcore and net_pcap has one: its main lcore is
# the forwarding one (the same CPU)
EAL1="--no-huge -m 2048 --no-pci -l $FWD --log-level=pmd.net.pcap:warning"

# Packets received per second on port 0, sampled through the DPDK telemetry
# socket of the running app once a second; prints the median in Mpps and the
# rate per second of CPU time its busiest thread (the forwarding lcore) got
# over the measured period (/proc/PID/task/*/stat): on CPUs shared with other
# processes the second one leaves out the time they held the CPU.
sample() { # file-prefix pid
	/usr/bin/python3 - "$1" "$WARM" "$SECS" "$2" <<'EOF'
import json, os, socket, statistics, sys, time
prefix, warm, secs, pid = sys.argv[1], float(sys.argv[2]), int(float(sys.argv[3])), int(sys.argv[4])
# l3fwd with the big table forwards only after loading it (~1 min)
def alive():
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False
path = "/var/run/dpdk/%s/dpdk_telemetry.v2" % prefix
deadline = time.time() + 300
s = None
while time.time() < deadline and alive():
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        s.connect(path)
        break
    except OSError:
        s = None
        time.sleep(0.2)
if s is None:
    print("nan nan"); sys.exit(0)
s.recv(4096)
def rx():
    s.send(b"/ethdev/stats,0")
    st = json.loads(s.recv(65536))["/ethdev/stats"]
    if st is None:
        print("nan nan"); sys.exit(0)
    return st["ipackets"], time.monotonic()
while rx()[0] == 0 and time.time() < deadline and alive():
    time.sleep(0.2)
def cpu():  # utime + stime per thread, in clock ticks
    t = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                v = f.read().rsplit(")", 1)[1].split()
            t[tid] = int(v[11]) + int(v[12])
        except (OSError, IndexError, ValueError):
            pass
    return t
time.sleep(warm)
prev = first = rx()
c0 = cpu()
rates = []
for _ in range(secs):
    time.sleep(1)
    cur = rx()
    rates.append((cur[0] - prev[0]) / (cur[1] - prev[1]) / 1e6)
    prev = cur
c1 = cpu()
busy = max((c1[t] - c0.get(t, 0) for t in c1), default=0) / os.sysconf("SC_CLK_TCK")
print("%.3f %.3f" % (statistics.median(rates),
                     (cur[0] - first[0]) / busy / 1e6 if busy > 0 else float("nan")))
EOF
}

# run_app NAME PCAP CMD...: start it, sample, stop it with SIGINT; the
# median goes to $TMP/NAME.mpps
run_app() {
	name=$1 pcap=$2; shift 2
	prefix=vx0b_$$_$name
	"$@" --file-prefix "$prefix" --vdev "net_pcap0,rx_pcap=$TMP/cap/$pcap.pcap,infinite_rx=1" \
		-- $APPARGS </dev/null >"$TMP/$name.log" 2>&1 &
	PID=$!
	sample "$prefix" "$PID" >"$TMP/$name.mpps" 2>/dev/null || echo nan nan >"$TMP/$name.mpps"
	kill -INT "$PID" 2>/dev/null || true
	wait "$PID" 2>/dev/null || true
	PID=""
}

echo "running (each: ${WARM} s warm-up + ${SECS} s measured; forwarding lcore $FWD) ..."
APPARGS="--forward-mode=io --nb-cores=1 --rxq=1 --txq=1 --total-num-mbufs=16384 --stats-period=1"
run_app tp_io v4 stdbuf -o0 dpdk-testpmd $EAL
APPARGS="--forward-mode=macswap --nb-cores=1 --rxq=1 --txq=1 --total-num-mbufs=16384 --stats-period=1"
run_app tp_ms v4 stdbuf -o0 dpdk-testpmd $EAL
APPARGS="-p 0x1 -P --lookup=lpm --parse-ptype --config=(0,0,$FWD)"
run_app l3_v4a v4 "$L3FWD" $EAL1
run_app l3_v6a v6 "$L3FWD" $EAL1
# the same FIB as vx0-perf for the measured family (the other one keeps
# l3fwd's 16 default routes: it loads in seconds, not a minute)
L3=/usr/share/dpdk/examples/l3fwd
APPARGS="-p 0x1 -P --lookup=lpm --parse-ptype --config=(0,0,$FWD) --rule_ipv4=$TMP/cap/l3fwd_v4.cfg --rule_ipv6=$L3/lpm_default_v6.cfg"
run_app l3big_v4 v4 "$L3FWD" $EAL1
APPARGS="-p 0x1 -P --lookup=lpm --parse-ptype --config=(0,0,$FWD) --rule_ipv4=$L3/lpm_default_v4.cfg --rule_ipv6=$TMP/cap/l3fwd_v6.cfg"
run_app l3big_v6 v6 "$L3FWD" $EAL1
APPARGS="-p 0x1 -P --lookup=lpm --parse-ptype --config=(0,0,$FWD)"

"$PERF" --dir "$TMP/cap" --packets "$PKTS" --seconds "$SECS" --warmup "$WARM" --windows "$SECS" \
	-- --no-huge -m 2048 --no-pci -l "$CORES" --main-lcore "${CORES%,*}" \
	--log-level=pmd.net.pcap:warning --file-prefix "vx0b_$$_vx0" >"$TMP/vx0.log" 2>&1 ||
	{ cat "$TMP/vx0.log"; exit 1; }
grep -E '^(fib|traffic):' "$TMP/vx0.log"
# l3fwd once more after vx0-perf: the CPUs are shared and the load drifts,
# so its reference is the mean of the runs before and after
run_app l3_v4b v4 "$L3FWD" $EAL1
run_app l3_v6b v6 "$L3FWD" $EAL1
w() { cut -d' ' -f1 "$TMP/$1.mpps"; }   # wall-clock median
c() { cut -d' ' -f2 "$TMP/$1.mpps"; }   # per CPU-second of the forwarding thread
TP_IO="$(w tp_io) $(c tp_io)" TP_MS="$(w tp_ms) $(c tp_ms)"
L3_V4="$(w l3_v4a) $(w l3_v4b) $(c l3_v4a) $(c l3_v4b)"
L3_V6="$(w l3_v6a) $(w l3_v6b) $(c l3_v6a) $(c l3_v6b)"
L3B_V4="$(w l3big_v4) $(c l3big_v4)" L3B_V6="$(w l3big_v6) $(c l3big_v6)"
vx() { sed -n "s/^RESULT mix=$1 mpps=\([0-9.]*\).* cpu_mpps=\([0-9.]*\).*/\1 \2/p" "$TMP/vx0.log"; }
VX_V4=$(vx v4) VX_V6=$(vx v6) VX_MIX=$(vx mix)

# l3fwd prints one line per route it adds: it really had the big table
echo "l3fwd same-FIB: $(grep -cE '^LPM: Adding route [0-9.]+ /' "$TMP/l3big_v4.log") IPv4 routes" \
	"(v4 run), $(grep -cE '^LPM: Adding route [0-9a-f]*:[0-9a-f:]* /' "$TMP/l3big_v6.log") IPv6 routes (v6 run)"
for f in tp_io tp_ms l3_v4a l3_v6a l3big_v4 l3big_v6 l3_v4b l3_v6b; do
	grep -qiE 'Cause:|cannot|fail' "$TMP/$f.log" && { echo "--- $f:"; grep -iE 'Cause:|cannot|fail' "$TMP/$f.log" | head -5; }
done

echo
echo "Mpps per forwarding lcore (medians of 1 s samples; same capture, same cores, net_pcap vdev):"
/usr/bin/python3 - "$TP_IO" "$TP_MS" "$L3_V4" "$L3_V6" "$L3B_V4" "$L3B_V6" "$VX_V4" "$VX_V6" "$VX_MIX" <<'EOF'
import sys
def num(x):
    try:
        return float(x)
    except ValueError:
        return float("nan")
def pair(x):  # "wall cpu" or "wall_a wall_b cpu_a cpu_b" (mean of the two runs)
    v = [num(a) for a in x.split()] or [float("nan")] * 2
    h = len(v) // 2
    return sum(v[:h]) / h, sum(v[h:]) / h
tp_io, tp_ms, l3_v4, l3_v6, l3b_v4, l3b_v6, vx_v4, vx_v6, vx_mix = (pair(a) for a in sys.argv[1:10])
rows = [
    ("testpmd io", "v4", tp_io, "no lookup, no header change"),
    ("testpmd macswap", "v4", tp_ms, "swaps MACs"),
    ("l3fwd LPM", "v4", l3_v4, "its default table: 16 routes (a miss goes back out the input port); mean of 2 runs"),
    ("l3fwd LPM", "v6", l3_v6, "its default table: 16 routes; mean of 2 runs"),
    ("l3fwd LPM", "v4", l3b_v4, "vx0-perf's 1,000,000 IPv4 routes (same FIB)"),
    ("l3fwd LPM", "v6", l3b_v6, "vx0-perf's 200,000 IPv6 routes (same FIB)"),
    ("vx0-perf", "v4", vx_v4, "1,000,000 IPv4 routes /8../32"),
    ("vx0-perf", "v6", vx_v6, "200,000 IPv6 routes /20../48"),
    ("vx0-perf", "mix", vx_mix, "half IPv4, half IPv6"),
]
print("%-16s %-4s %8s %9s  %s" % ("app", "mix", "Mpps", "cpu Mpps", "note"))
for name, mix, (wall, cpu), note in rows:
    print("%-16s %-4s %8.3f %9.3f  %s" % (name, mix, wall, cpu, note))
print("(cpu Mpps: packets per second of CPU time the forwarding thread got)")
print("(l3fwd 16 routes, before/after vx0-perf: v4 %s, v6 %s)" % (sys.argv[3], sys.argv[4]))
def ratio(a, b):
    return a / b if b and b == b else float("nan")
print()
print("ratio                      wall      cpu")
for label, a, b in (("vx0 / l3fwd-16-routes v4", vx_v4, l3_v4), ("vx0 / l3fwd-16-routes v6", vx_v6, l3_v6),
                    ("vx0 / l3fwd-same-FIB  v4", vx_v4, l3b_v4), ("vx0 / l3fwd-same-FIB  v6", vx_v6, l3b_v6),
                    ("vx0 / testpmd-io      v4", vx_v4, tp_io), ("vx0 / testpmd-macswap v4", vx_v4, tp_ms)):
    print("%-24s %6.2f   %6.2f" % (label, ratio(a[0], b[0]), ratio(a[1], b[1])))
EOF
echo
grep -E '^(mix|v4|v6) ' "$TMP/vx0.log" | sed 's/^/vx0-perf: /' || true

# alternations: l3fwd with its 16 routes, then vx0-perf, per family
[ "$ROUNDS" -gt 0 ] || exit 0
echo
echo "alternations (4 s each; l3fwd 16 routes, then vx0-perf with the 1M/200k-route FIB):"
SECS=4
R4="" R6=""
for r in $(seq 1 "$ROUNDS"); do
	line="round $r:"
	for mix in v4 v6; do
		APPARGS="-p 0x1 -P --lookup=lpm --parse-ptype --config=(0,0,$FWD)"
		run_app alt_l3 "$mix" "$L3FWD" $EAL1
		"$PERF" --dir "$TMP/cap" --packets "$PKTS" --mixes "$mix" --seconds 4 --warmup "$WARM" \
			--windows 4 -- --no-huge -m 2048 --no-pci -l "$CORES" --main-lcore "${CORES%,*}" \
			--log-level=pmd.net.pcap:warning --file-prefix "vx0b_$$_alt" >"$TMP/alt.log" 2>&1 || true
		l=$(w alt_l3)
		v=$(sed -n "s/^RESULT mix=$mix mpps=\([0-9.]*\).*/\1/p" "$TMP/alt.log")
		q=$(/usr/bin/python3 -c "import sys; print('%.2f' % (float(sys.argv[1]) / float(sys.argv[2])))" "${v:-nan}" "${l:-nan}" 2>/dev/null || echo nan)
		line="$line  $mix l3fwd ${l:-nan} vx0 ${v:-nan} -> $q"
		if [ "$mix" = v4 ]; then R4="$R4 $q"; else R6="$R6 $q"; fi
	done
	echo "$line"
done
/usr/bin/python3 - "$R4" "$R6" <<'EOF'
import statistics, sys
for fam, xs in (("v4", sys.argv[1]), ("v6", sys.argv[2])):
    v = [float(x) for x in xs.split() if x != "nan"]
    if v:
        print("vx0 / l3fwd-16-routes %s: median %.2f over %d rounds (min %.2f, max %.2f)"
              % (fam, statistics.median(v), len(v), min(v), max(v)))
EOF
