#!/bin/sh
# Runs the kill -9 crash test (tests/integration/test_crash.py) several
# times against the build in ./build, printing each run's figures.
#
# usage: scripts/crash-test.sh [RUNS] [SUBMISSIONS_PER_CLIENT] [AGGREGATOR_KILLS]
#        defaults: 5 runs, 1500 submissions per client (4 clients), 4 kills
set -eu
cd "$(dirname "$0")/.."
runs=${1:-5}
export CANVASS_CRASH_SUBMISSIONS=${2:-1500}
export CANVASS_CRASH_KILLS=${3:-4}
export CANVASS_BIN="$(pwd)/build/bin" CANVASS_SOURCE="$(pwd)" PYTHONDONTWRITEBYTECODE=1
[ -x build/bin/canvass-aggregator ] || { echo "build first: sh scripts/test.sh" >&2; exit 2; }
failed=0
i=1
while [ "$i" -le "$runs" ]; do
	printf 'run %d: ' "$i"
	if out=$(python3 tests/integration/test_crash.py 2>&1); then
		echo "$out" | grep '^crash test:' | sed 's/^crash test: //'
	else
		echo "FAILED"
		echo "$out" | tail -30
		failed=$((failed + 1))
	fi
	i=$((i + 1))
done
echo "$((runs - failed)) of $runs runs passed"
[ "$failed" -eq 0 ]
