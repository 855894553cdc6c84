#!/bin/sh
# Short fuzz run of every decoder of untrusted bytes (libFuzzer, clang,
# with ASan+UBSan). Seeds come from valid and hostile messages made by
# canvass-poke --dump and from synthetic submissions. A crash fails the
# run and leaves its input under tests/fuzz/regressions/TARGET/, where the
# unit tests replay it from then on: commit it with the fix.
#
# usage: scripts/fuzz.sh [SECONDS_PER_TARGET]   (default 20)
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
secs=${1:-20}
if ! command -v clang >/dev/null 2>&1; then
	echo "fuzz: clang not found; skipping the fuzz run" >&2
	exit 0
fi
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DCANVASS_SANITIZE=ON \
	-DCANVASS_FUZZ=ON >/dev/null
cmake --build build-fuzz -j "$(nproc 2>/dev/null || echo 2)" \
	--target fuzz_request fuzz_roundtrip fuzz_json fuzz_store_request fuzz_entry fuzz_xlsx \
	canvass-poke canvassctl >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/request" "$work/roundtrip" "$work/json" "$work/store_request" "$work/entry" \
	"$work/xlsx"
python3 scripts/synth.py data/questionnaires/integrity-self-assessment.v1.json \
	data/members.csv 2025 "$work/subs" --only KE,FR,JP,BR,DE,CN
cp "$work"/subs/*.json "$work/json/"
cp tests/corpus/bad/*.json "$work/json/" 2>/dev/null || true
sub="$work/subs/KE.json"
build-fuzz/bin/canvass-poke --dump "$work/request" "valid:$sub" "truncate:$sub" \
	"version:2:$sub" "frames:2:$sub" "answers:5:$sub" "string:70:$sub" "random:20:1" >/dev/null
cp "$work"/request/* "$work/roundtrip/"
# StoreRequests with quality checks, so that the fuzzer starts inside them.
/usr/bin/python3 scripts/fuzz_seeds.py proto "$work/store_request" ||
	echo "fuzz: no StoreRequest seeds (python3-protobuf and protoc: setup.sh --test)" >&2
# Stored entries (submissions and review actions), so that fuzz_entry starts in the reader.
/usr/bin/python3 scripts/fuzz_seeds.py --entries proto data/examples "$work/entry" ||
	echo "fuzz: no entry seeds (python3-protobuf and protoc: setup.sh --test)" >&2
# The shipped questionnaires as workbooks, so that fuzz_xlsx starts inside XLSForm.
for q in integrity-self-assessment gender-integrity; do
	build-fuzz/bin/canvassctl questionnaire export --questionnaires data/questionnaires \
		--out "$work/xlsx/$q.xlsx" "$q" >/dev/null
done
# Every regression input seeds its target too.
for t in request roundtrip json store_request entry xlsx; do
	cp tests/fuzz/regressions/$t/* "$work/$t/" 2>/dev/null || true
done

# Two fuzzers at a time (one per core), each for the full SECONDS.
fuzz_one() {
	t=$1
	mkdir -p "tests/fuzz/regressions/$t"
	if ASAN_OPTIONS=detect_leaks=1 build-fuzz/bin/fuzz_$t -max_total_time="$secs" \
		-max_len=65536 -artifact_prefix="$top/tests/fuzz/regressions/$t/" \
		-print_final_stats=1 "$work/$t" >"$work/$t.log" 2>&1; then
		echo ok >"$work/$t.status"
	else
		echo failed >"$work/$t.status"
	fi
}
status=0
for pair in "request roundtrip" "json store_request" "entry xlsx"; do
	echo "== fuzz_$(echo $pair | sed 's/ / and fuzz_/') for ${secs}s" >&2
	for t in $pair; do
		fuzz_one "$t" &
	done
	wait
done
for t in request roundtrip json store_request entry xlsx; do
	if [ "$(cat "$work/$t.status")" != ok ]; then
		tail -40 "$work/$t.log" >&2
		echo "fuzz_$t FAILED: the input is in tests/fuzz/regressions/$t/" >&2
		status=1
	else
		printf 'fuzz_%s: ' "$t" >&2
		grep -E "stat::number_of_executed_units" "$work/$t.log" | tail -1 >&2
	fi
done
exit $status
