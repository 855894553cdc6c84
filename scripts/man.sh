#!/bin/sh
# Writes the man pages of every canvass program and canvassctl subcommand,
# generated from their --help and --version by help2man, compressed as
# Debian policy wants them (gzip -9n: no name, no time stamp, reproducible).
# usage: sh scripts/man.sh BINDIR OUTDIR
set -eu
bin=$1
out=$2
mkdir -p "$out"
page() { # NAME "COMMAND" "ONE-LINE DESCRIPTION"
	help2man --no-info --section 1 --name "$3" --output "$out/$1.1" "$2"
}
page canvass-aggregator "$bin/canvass-aggregator" "the single writer of the canvass submission store"
page canvass-collector "$bin/canvass-collector" "the member-facing intake of canvass: checks and relays submissions"
page canvass-reporter "$bin/canvass-reporter" "cross-member reports from the canvass store"
page canvass-submit "$bin/canvass-submit" "sends questionnaire submissions to a canvass collector"
page canvassctl "$bin/canvassctl" "the canvass operator tool"
for sub in keygen member-key check verify history backup tail review status questionnaire; do
	page "canvassctl-$sub" "$bin/canvassctl $sub" "$("$bin/canvassctl" --help | sed -n "s/^  $sub  *//p")"
	# help2man names the page after the last word of the command: the subcommand.
	upper=$(echo "$sub" | tr a-z A-Z)
	sed -i -e "s/^\.TH $upper /.TH CANVASSCTL-$upper /" \
		-e '/^\.SH NAME$/{n;s/^[^ ]* \\-/canvassctl-'"$sub"' \\-/}' "$out/canvassctl-$sub.1"
done
rm -f "$out"/*.1.gz
gzip -9n "$out"/*.1
