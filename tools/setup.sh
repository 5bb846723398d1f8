#!/bin/sh
# Installs what vx0net needs to build, test and run its lab on Debian 12.
# Idempotent: apt runs only when a package is missing. Needs root.
set -eu

PKGS="
 gcc clang meson ninja-build pkg-config python3-pyelftools
 libdpdk-dev dpdk dpdk-dev libsodium-dev libnuma-dev libpcap-dev libjansson-dev
 iproute2 iputils-ping procps ethtool tcpdump tshark
 python3 python3-pytest python3-scapy
 python3-cryptography
 python3-nacl
 bird2 gobgpd frr
 python3-libtorrent
 strongswan-charon strongswan-swanctl strongswan-pki libcharon-extra-plugins
 libstrongswan-extra-plugins libstrongswan-standard-plugins
 prometheus
"

if [ "${1:-}" = "--print" ]; then echo $PKGS; exit 0; fi

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "setup: missing packages:$missing (run as root)" >&2
		exit 1
	fi
	echo "setup: installing$missing"
	# tshark asks whether non-root may capture; answer no, never prompt.
	echo 'wireshark-common wireshark-common/install-setuid boolean false' | debconf-set-selections
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
