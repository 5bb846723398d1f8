#!/bin/sh
# The demo: installs what is missing, builds, and replays config/demo.pcap
# through the whole vx0d pipeline (RX+classify, FIB, neighbours, ICMP
# errors, exception path, crypto ring, TX) on net_pcap ports. vx0d runs in
# a private network namespace because its exception path creates TAPs.
# Output captures land in build/demo/; the summary table is printed.
set -eu
cd "$(dirname "$0")/.."
tools/setup.sh
tools/build.sh
mkdir -p build/demo
rm -f build/demo/*.pcap build/demo/stats.json
/usr/bin/python3 -c "from scapy.all import wrpcap; wrpcap('build/demo/empty.pcap', [])" 2>/dev/null
NS="vx0demo-$$"
ip netns add "$NS"
trap 'ip netns del "$NS" 2>/dev/null || true' EXIT INT TERM
ip netns exec "$NS" timeout 120 build/app/vx0d/vx0d -c config/demo.json 2>build/demo/vx0d.log
echo
echo "output captures (tshark):"
for p in wan lan; do
	n=$(tshark -r "build/demo/$p-out.pcap" 2>/dev/null | wc -l)
	echo "  build/demo/$p-out.pcap: $n packets"
done
echo "  counters as JSON: build/demo/stats.json; vx0d's log: build/demo/vx0d.log"
