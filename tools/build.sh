#!/bin/sh
# Configures and builds vx0net: build/ (gcc, -Werror) and, with --san,
# build-san/ (clang, ASan + UBSan) as well.
set -eu
cd "$(dirname "$0")/.."

setup() { # dir, compiler, extra meson args...
	dir=$1 cc=$2; shift 2
	if [ ! -f "$dir/build.ninja" ]; then
		rm -rf "$dir"
		CC=$cc meson setup "$dir" "$@" > "/tmp/vx0-meson-$$.log" 2>&1 ||
			{ cat "/tmp/vx0-meson-$$.log"; rm -f "/tmp/vx0-meson-$$.log"; exit 1; }
		rm -f "/tmp/vx0-meson-$$.log"
	fi
	ninja -C "$dir" > /dev/null || ninja -C "$dir"
}

setup build gcc --buildtype=debugoptimized
if [ "${1:-}" = "--san" ]; then
	setup build-san clang --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false
fi
