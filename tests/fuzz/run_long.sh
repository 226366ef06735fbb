#!/bin/sh
# Runs the libFuzzer harnesses for longer than ctest does.
#
#   tests/fuzz/run_long.sh BUILD_DIR SECONDS [JOBS]
#
# BUILD_DIR is a build configured with CC=clang and -DIDLC_FUZZ=ON. Each
# fuzzer runs for SECONDS (two at a time, JOBS workers each, default 1) over a
# corpus kept in BUILD_DIR/fuzz-long/<harness>/corpus, seeded from the
# committed corpus and kept between runs so coverage accumulates; the
# committed seeds are never modified. Crash reproducers are written to
# BUILD_DIR/fuzz-long/<harness>/artifacts (earlier runs' move to
# artifacts-previous); logs beside them. Exits nonzero if
# any fuzzer found a crash, leak or timeout.
set -eu
if [ $# -lt 2 ]; then
	echo "usage: $0 BUILD_DIR SECONDS [JOBS]" >&2
	exit 2
fi
build=$(cd "$1" && pwd)
seconds=$2
jobs=${3:-1}
here=$(cd "$(dirname "$0")" && pwd)

run() {
	harness=$1
	max_len=$2
	bin="$build/tests/fuzz/fuzz_$harness"
	if [ ! -x "$bin" ]; then
		echo "$bin missing: configure with CC=clang -DIDLC_FUZZ=ON and build" >&2
		return 1
	fi
	work="$build/fuzz-long/$harness"
	mkdir -p "$work/corpus" "$work/artifacts" "$work/artifacts-previous"
	# Reproducers of earlier runs move aside, so only this run's are reported.
	find "$work/artifacts" -type f -exec mv {} "$work/artifacts-previous/" \;
	cp -n "$here/corpus_$harness"/* "$work/corpus/" 2>/dev/null || true
	cd "$work"
	if [ "$jobs" -gt 1 ]; then
		set -- -jobs="$jobs" -workers="$jobs"
	else
		set --
	fi
	"$bin" "$@" -max_total_time="$seconds" -rss_limit_mb=2048 -max_len="$max_len" \
		-print_final_stats=1 -artifact_prefix="$work/artifacts/" "$work/corpus" \
		>"$work/log" 2>&1
}

status=0
# Two at a time, on a machine of two cores; sizes as in tests/fuzz/CMakeLists.txt.
pair() {
	run "$1" "$2" &
	a=$!
	run "$3" "$4" &
	b=$!
	wait "$a" || status=1
	wait "$b" || status=1
}
pair front_end 16384 decoders 20000
pair versions 4096 ring 1032
pair fat 65536 net 8192
for harness in front_end decoders versions ring fat net; do
	work="$build/fuzz-long/$harness"
	echo "== fuzz_$harness: $(grep -hiE '^(#[0-9]+[[:space:]]+)?done' "$work"/log* 2>/dev/null | tail -1)"
	if [ -n "$(ls -A "$work/artifacts" 2>/dev/null)" ]; then
		echo "   reproducers: $(ls "$work/artifacts" | tr '\n' ' ')"
		status=1
	fi
done
exit "$status"
