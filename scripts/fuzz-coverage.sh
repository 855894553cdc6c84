#!/bin/sh
# Line coverage reached by the request and round-trip fuzz targets (clang
# source-based coverage): builds build-cov/, seeds from canvass-poke --dump,
# fuzzes each target for SECONDS (default 30) and prints llvm-cov's report
# for the modules a member's bytes go through.
#
# usage: scripts/fuzz-coverage.sh [SECONDS]
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
secs=${1:-30}
command -v clang >/dev/null 2>&1 || { echo "fuzz-coverage: clang not found" >&2; exit 1; }
CC=clang cmake -S . -B build-cov -DCMAKE_BUILD_TYPE=Debug -DCANVASS_FUZZ=ON \
	-DCANVASS_SANITIZE=ON -DCMAKE_C_FLAGS="-fprofile-instr-generate -fcoverage-mapping" >/dev/null
cmake --build build-cov -j "$(nproc 2>/dev/null || echo 2)" \
	--target fuzz_request fuzz_roundtrip canvass-poke >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 scripts/synth.py data/questionnaires/integrity-self-assessment.v1.json \
	data/members.csv 2025 "$work/subs" --only KE,FR,JP >/dev/null
sub="$work/subs/KE.json"
mkdir -p "$work/seeds"
build-cov/bin/canvass-poke --dump "$work/seeds" "valid:$sub" "truncate:$sub" "version:2:$sub" \
	"answers:5:$sub" "string:70:$sub" "random:20:1" >/dev/null
for t in request roundtrip; do
	mkdir -p "$work/$t"
	(cd "$work" && LLVM_PROFILE_FILE="$work/$t.profraw" ASAN_OPTIONS=detect_leaks=0 \
		"$top/build-cov/bin/fuzz_$t" -max_total_time="$secs" -max_len=65536 \
		"$work/$t" "$work/seeds" 2>&1 | tail -1)
done
llvm-profdata merge -o "$work/all.profdata" "$work"/*.profraw
llvm-cov report build-cov/bin/fuzz_request -object build-cov/bin/fuzz_roundtrip \
	-instr-profile="$work/all.profdata" lib/wire/wire.c collector/intake.c lib/wire/canon.c lib/wire/text.c \
	lib/questionnaire/validate.c
