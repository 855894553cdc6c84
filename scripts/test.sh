#!/bin/sh
# The test command: installs what is missing, then builds and runs every
# test twice - a normal build, and one under AddressSanitizer and
# UndefinedBehaviorSanitizer. Both build with -Werror.
set -eu
cd "$(dirname "$0")/.."
sh scripts/setup.sh --test

jobs=$(nproc 2>/dev/null || echo 2)
run() {
	dir=$1
	shift
	cmake -S . -B "$dir" -DCANVASS_WERROR=ON "$@" >/dev/null
	cmake --build "$dir" -j "$jobs"
	(cd "$dir" && ctest --output-on-failure -j "$((jobs + 1))")
}

echo "== build and test (RelWithDebInfo)"
run build -DCMAKE_BUILD_TYPE=RelWithDebInfo
echo "== build and test (AddressSanitizer + UndefinedBehaviorSanitizer)"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	run build-asan -DCMAKE_BUILD_TYPE=Debug -DCANVASS_SANITIZE=ON
echo "== fuzz (libFuzzer, five targets, two at a time, about 45 seconds)"
sh scripts/fuzz.sh 15
