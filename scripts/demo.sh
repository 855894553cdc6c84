#!/bin/sh
# The demo: installs what is missing, builds, starts an aggregator and a
# collector in ./demo/run, pushes a synthetic submission from each of the
# 187 WCO members through canvass-submit, prints the cross-member
# comparison and stops both daemons. Every run starts from an empty store.
#
# It runs as in production: CURVE on both links, each member with its own
# key pair (made on the first run in ./demo/keys, reused afterwards), and a
# registry that binds each member code to its public key.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
sh scripts/setup.sh

echo "== building" >&2
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc 2>/dev/null || echo 2)" >/dev/null

bin=$top/build/bin
run=$top/demo/run
rm -rf "$run"
mkdir -p "$run/receipts"
chmod 700 "$run"

pids=""
stop_all() {
	for pid in $pids; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in $pids; do
		wait "$pid" 2>/dev/null || true
	done
	pids=""
}
trap stop_all EXIT INT TERM

# Waits for a daemon's pidfile (written once it is ready), with a deadline.
wait_ready() {
	i=0
	while [ ! -f "$1" ]; do
		i=$((i + 1))
		if [ "$i" -gt 200 ]; then
			echo "demo: $2 did not become ready; see $run/$2.log" >&2
			exit 1
		fi
		sleep 0.05
	done
}

keys=$top/demo/keys
if [ ! -f "$keys/registry.csv" ]; then
	echo "== first run: key pairs for the daemons and the 187 members in $keys" >&2
	rm -rf "$keys"
	mkdir -p "$keys"
	chmod 700 "$keys"
	"$bin/canvassctl" keygen --dir "$keys" aggregator >/dev/null
	"$bin/canvassctl" keygen --dir "$keys" collector >/dev/null
	{
		echo "code,name,region,public_key"
		tail -n +2 data/members.csv | while IFS= read -r row; do
			code=${row%%,*}
			row=${row%,} # the shipped public_key column is empty
			printf '%s,%s\n' "$row" "$("$bin/canvassctl" keygen --dir "$keys" "$code")"
		done
	} >"$keys/registry.tmp"
	mv "$keys/registry.tmp" "$keys/registry.csv"
fi

# This year's cycle, open now: due in two weeks, closing in two months.
cycle=$(date -u +%Y)
cat >"$run/cycles.json" <<JSON
{"cycles": [{"questionnaire": "integrity-self-assessment", "cycle": "$cycle",
             "opens": "$cycle-01-01", "due": "$(date -u -d '+14 days' +%F)",
             "closes": "$(date -u -d '+60 days' +%F)"}]}
JSON

# Loopback ports for the operators' endpoints (/metrics, /health, /ready).
ports=$(python3 -c 'import socket
ss = [socket.socket() for _ in range(2)]
for s in ss: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))')
agg_http="127.0.0.1:${ports% *}"
col_http="127.0.0.1:${ports#* }"

echo "== starting canvass-aggregator and canvass-collector in $run (CURVE on)" >&2
"$bin/canvass-aggregator" --data "$run/data" --listen "ipc://$run/aggregator.sock" \
	--key "$keys/aggregator.key" --collector-key "$keys/collector.pub" --http "$agg_http" \
	--registry "$keys/registry.csv" \
	--events "ipc://$run/events.sock" --pidfile "$run/aggregator.pid" 2>"$run/aggregator.log" &
pids="$!"
wait_ready "$run/aggregator.pid" aggregator
"$bin/canvass-collector" --listen "ipc://$run/collector.sock" \
	--aggregator "ipc://$run/aggregator.sock" --key "$keys/collector.key" \
	--aggregator-key "$keys/aggregator.pub" --registry "$keys/registry.csv" \
	--questionnaires data/questionnaires --cycles "$run/cycles.json" --http "$col_http" \
	--pidfile "$run/collector.pid" 2>"$run/collector.log" &
pids="$pids $!"
wait_ready "$run/collector.pid" collector

echo "== pushing one synthetic submission per member (187), cycle $cycle" >&2
python3 scripts/synth.py data/questionnaires/integrity-self-assessment.v1.json \
	data/members.csv "$cycle" "$run/submissions"
# Each member submits with its own key, four at a time.
status=0
ls "$run"/submissions/*.json | xargs -P 4 -I{} sh -c '
	code=$(basename "$1" .json)
	"$2/canvass-submit" --connect "ipc://$3/collector.sock" --key "$4/$code.key" \
		--server-key "$4/collector.pub" "$1" >"$3/receipts/$code.txt"' _ {} "$bin" "$run" "$keys" \
	|| status=$?
cat "$run"/receipts/*.txt >"$run/receipts.txt"
echo "   $(grep -c ': ACCEPTED ' "$run/receipts.txt") accepted," \
	"$(grep -c '^  warning' "$run/receipts.txt") warnings; receipts in $run/receipts.txt" >&2
[ "$status" -eq 0 ] || exit 1

echo "== canvass-reporter compare" >&2
"$bin/canvass-reporter" compare --data "$run/data" --registry data/members.csv \
	--questionnaires data/questionnaires --questionnaire integrity-self-assessment --cycle "$cycle"

"$bin/canvass-reporter" compare --data "$run/data" --registry data/members.csv \
	--questionnaires data/questionnaires --questionnaire integrity-self-assessment --cycle "$cycle" \
	--format html --member KE >"$run/compare.html"
echo "== the same comparison with charts: $run/compare.html" >&2
echo "== canvassctl status" >&2
"$bin/canvassctl" status --aggregator-http "$agg_http" --collector-http "$col_http" \
	--interval-ms 200 >&2 || true

stop_all
echo "== stopped; logs in $run" >&2
