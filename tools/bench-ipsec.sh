#!/bin/sh
# Compares the vx0 cryptodev engine (app/vx0-perf-cryptodev: ESP tunnel
# encap on one core) with DPDK's ipsec-secgw example (outbound tunnel on one
# core) on the same crypto vdev, inner packet sizes and core. Not a test:
# run by hand, briefly (the machine is shared).
#
#   tools/bench-ipsec.sh [-d vdev] [-z sizes] [-a gcm|chacha|both] [-s secs] [-c cpu]
#   defaults: -d crypto_aesni_mb0 -z 64,512,1420 -a both -s 4 -c 1
#
# ipsec-secgw is built from Debian's dpdk-doc sources
# (/usr/share/dpdk/examples/ipsec-secgw) in a mktemp folder, with the one
# change vdevs need: RX checksum offload off. Its ports: net_pcap replaying
# plaintext IPv4 packets from memory (infinite_rx) on the protected port 0,
# net_null (no-rx) as the unprotected port 1 where the ESP packets leave.
# One outbound and one inbound SA (ipsec-secgw wants both); ChaCha20-
# Poly1305 runs only with librte_ipsec (-l), AES-GCM is run both ways and
# the faster is taken. Its rate: packets sent per CPU second of the process
# between its 1 s statistics prints (ESP packets out of port 1). Ours: the
# cd_Mpps of encap from vx0-perf-cryptodev (CPU time of the thread).
# Printed per AEAD and size: both rates and ratio = vx0 / ipsec-secgw.
# Addresses: 198.51.100.0/24 inner, 203.0.113.0/24 tunnel (documentation).
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)

DEV=crypto_aesni_mb0 SIZES=64,512,1420 ALGS=both SECS=4 CPU=1
while getopts d:z:a:s:c: o; do
	case $o in
	d) DEV=$OPTARG ;;
	z) SIZES=$OPTARG ;;
	a) ALGS=$OPTARG ;;
	s) SECS=$OPTARG ;;
	c) CPU=$OPTARG ;;
	*) sed -n '2,9p' "$0"; exit 2 ;;
	esac
done

PERF=$ROOT/build/app/vx0-perf-cryptodev/vx0-perf-cryptodev
[ -x "$PERF" ] || { echo "build first: tools/build.sh" >&2; exit 1; }
SRC=/usr/share/dpdk/examples/ipsec-secgw
if [ ! -d "$SRC" ]; then DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends dpdk-doc >/dev/null || { echo "$SRC missing: apt-get install dpdk-doc" >&2; exit 1; }; fi

TMP=$(mktemp -d /tmp/vx0-bench-ipsec.XXXXXX)
trap 'rm -rf "$TMP"' EXIT INT TERM
cp -r "$SRC" "$TMP/"
# vdevs have no RX checksum offload; the example asks for it unconditionally
sed -i 's/\.offloads = RTE_ETH_RX_OFFLOAD_CHECKSUM,/.offloads = 0,/' \
	"$TMP/ipsec-secgw/ipsec-secgw.c"
grep -q '\.offloads = 0,' "$TMP/ipsec-secgw/ipsec-secgw.c" ||
	{ echo "patching ipsec-secgw failed" >&2; exit 1; }
echo "# building ipsec-secgw in $TMP (make -j2)"
make -C "$TMP/ipsec-secgw" -j2 > "$TMP/make.log" 2>&1 ||
	{ tail -20 "$TMP/make.log"; exit 1; }

/usr/bin/python3 - "$TMP" "$TMP/ipsec-secgw/build/ipsec-secgw" "$PERF" "$DEV" "$SIZES" \
	"$ALGS" "$SECS" "$CPU" <<'EOF'
import os, re, struct, subprocess, sys, time

tmp, secgw, perf, dev, sizes, algs, secs, cpu = sys.argv[1:]
sizes = [int(s) for s in sizes.split(",")]
secs = float(secs)
algs = {"both": ["chacha20-poly1305", "aes-256-gcm"], "gcm": ["aes-256-gcm"],
        "chacha": ["chacha20-poly1305"]}[algs]
HZ = os.sysconf("SC_CLK_TCK")


def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return (~s) & 0xFFFF


def write_pcap(path, ip_len, count=256):
    """Ethernet + IPv4/UDP 198.51.100.1 -> 198.51.100.129+i, ip_len bytes."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i in range(count):
            udp_len = ip_len - 20
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, ip_len, i, 0x4000, 64, 17, 0,
                             bytes([198, 51, 100, 1]), bytes([198, 51, 100, 129 + i % 100]))
            ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
            udp = struct.pack("!HHHH", 1024 + i, 9, udp_len, 0) + bytes(udp_len - 8)
            frame = bytes.fromhex("020000000001020000000002") + b"\x08\x00" + ip + udp
            f.write(struct.pack("<IIII", 0, 0, len(frame), len(frame)) + frame)


def write_cfg(path, alg):
    key = ":".join(["a5"] * 36)  # key || salt, as ipsec-secgw wants them
    with open(path, "w") as f:
        f.write(f"""sp ipv4 out esp protect 5 pri 1 dst 198.51.100.128/25 sport 0:65535 dport 0:65535
sp ipv4 in esp protect 6 pri 1 dst 198.51.100.0/25 sport 0:65535 dport 0:65535
sa out 5 aead_algo {alg} aead_key {key} mode ipv4-tunnel src 203.0.113.1 dst 203.0.113.2
sa in 6 aead_algo {alg} aead_key {key} mode ipv4-tunnel src 203.0.113.2 dst 203.0.113.1
rt ipv4 dst 203.0.113.0/24 port 1
rt ipv4 dst 198.51.100.0/25 port 0
""")


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        st = f.read().rsplit(")", 1)[1].split()
    return int(st[11]) + int(st[12])  # utime + stime


def run_secgw(alg, size, libipsec):
    pcap = os.path.join(tmp, f"plain{size}.pcap")
    cfg = os.path.join(tmp, f"{alg}.cfg")
    write_pcap(pcap, size)
    write_cfg(cfg, alg)
    # stdbuf: its statistics printf is block-buffered into a pipe
    cmd = ["stdbuf", "-o0", secgw, "-l", cpu, "-n", "1", "--no-huge", "-m", "1024", "--no-pci",
           "--no-telemetry", f"--file-prefix=vx0secgw{os.getpid()}", "--log-level=*:error",
           "--vdev", f"net_pcap0,rx_pcap={pcap},infinite_rx=1",
           "--vdev", "net_null0,no-rx=1", "--vdev", dev,
           "--", "-p", "0x3", "-u", "0x2", "-P", "--config", f"(0,0,{cpu}),(1,0,{cpu})",
           "-f", cfg, "-t", "1"] + (["-l"] if libipsec else [])
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    samples, log = [], []
    deadline = time.monotonic() + secs + 15  # start-up included
    try:
        for line in p.stdout:
            log.append(line)
            m = re.search(r"Total packets sent:\s+(\d+)", line)
            if m:
                samples.append((int(m.group(1)), cpu_ticks(p.pid), time.monotonic()))
                if len(samples) >= secs + 2:
                    break
            if time.monotonic() > deadline:
                break
    finally:
        p.terminate()
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    if len(samples) < 3:
        sys.stderr.write(f"ipsec-secgw {alg} {size} {'-l' if libipsec else ''}: rc {p.returncode}, "
                         f"{len(samples)} samples\n" + "".join(log[-15:]))
        return None
    (n0, c0, w0), (n1, c1, w1) = samples[1], samples[-1]  # skip warm-up second
    cpu_s = (c1 - c0) / HZ
    return (n1 - n0) / cpu_s / 1e6 if cpu_s > 0 else None, (n1 - n0) / (w1 - w0) / 1e6


def run_perf(alg):
    a = "gcm" if alg == "aes-256-gcm" else "chacha"
    out = subprocess.run(["taskset", "-c", cpu, perf, "-s", str(secs), "-d", dev,
                          "-z", ",".join(map(str, sizes)), "-a", a, "-c", cpu],
                         capture_output=True, text=True, timeout=120)
    res = {}
    for line in out.stdout.splitlines():
        f = line.split()
        if len(f) > 5 and f[0] == alg:
            res[int(f[1])] = (float(f[4]), f[2])
    if not res:
        sys.stderr.write(out.stdout + out.stderr)
    return res


print(f"# vdev {dev}, core {cpu}; Mpps of outbound ESP tunnel packets on one core")
print(f"{'aead':18} {'size':>5} {'secgw_Mpps':>10} {'(wall)':>7} {'mode':>6} "
      f"{'vx0_Mpps':>9} {'vx0_path':>22} {'ratio':>6}")
for alg in algs:
    ours = run_perf(alg)
    for size in sizes:
        best, mode = None, "-"
        for libipsec in ([True] if alg == "chacha20-poly1305" else [False, True]):
            r = run_secgw(alg, size, libipsec)
            if r and r[0] and (best is None or r[0] > best[0]):
                best, mode = r, ("-l" if libipsec else "legacy")
        v = ours.get(size)
        ratio = f"{v[0] / best[0]:6.2f}" if (best and v) else "     -"
        print(f"{alg:18} {size:5} "
              + (f"{best[0]:10.3f} {best[1]:7.3f} {mode:>6} " if best else
                 f"{'failed':>10} {'-':>7} {'-':>6} ")
              + (f"{v[0]:9.3f} {v[1]:>22} " if v else f"{'-':>9} {'-':>22} ")
              + ratio, flush=True)
EOF
