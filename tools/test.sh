#!/bin/sh
# The test command: installs what is missing, builds (normal and sanitizer),
# runs the unit tests and fuzz targets under both builds and the dts/ lab
# suites against the normal build. Last line: "N passed, N failed".
set -eu
cd "$(dirname "$0")/.."
tools/setup.sh
tools/build.sh --san
exec /usr/bin/python3 tools/run-tests.py --build build --build build-san --dts dts "$@"
