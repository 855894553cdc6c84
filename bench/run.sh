#!/bin/sh
# The benchmark: builds canvass in Release mode (build-bench/), runs every
# measurement with its baselines in one run, prints the table and writes
# build-bench/bench.json. Figures are noisy on a shared machine: compare
# the ratios, not the absolute numbers. Takes a few minutes.
#
# usage: sh bench/run.sh [--smoke] [--clients N] [--submissions N]
set -eu
cd "$(dirname "$0")/.."
sh scripts/setup.sh
if ! command -v initdb >/dev/null 2>&1 && [ ! -x /usr/lib/postgresql/15/bin/initdb ]; then
	# The PostgreSQL baseline (server and libpq); the rest runs without it.
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO="sudo"
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql libpq-dev >/dev/null ||
		echo "bench: PostgreSQL not installed; its baseline will be skipped" >&2
fi
dpkg-query -W -f='${Status}' libsqlite3-dev 2>/dev/null | grep -q "install ok installed" || {
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO="sudo"
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libsqlite3-dev >/dev/null
}
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
cmake --build build-bench -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
exec build-bench/bin/canvass-bench --bindir build-bench/bin --json build-bench/bench.json \
	--commit "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" "$@"
