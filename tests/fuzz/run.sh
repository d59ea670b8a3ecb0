#!/bin/sh
# run.sh BUILD_DIR SECONDS [RUNS] - runs every libFuzzer target built in
# BUILD_DIR/fuzz/ (make fuzz) for SECONDS each, or for RUNS inputs each when
# RUNS is given, one target after the other.
#
# Target BUILD_DIR/fuzz/fuzz_<name> starts from its seed corpus
# tests/fuzz/corpus/<name>/ (read only) plus BUILD_DIR/fuzz-corpus/<name>/,
# where libFuzzer keeps the inputs it finds (kept between runs, not in git),
# with the dictionary tests/fuzz/<name>.dict and the extra libFuzzer flags
# of tests/fuzz/<name>.options (one line) when they exist.  FUZZ_ONLY=<name>
# runs that target only.  A crash, leak,
# sanitizer report or timeout fails the run; the input is saved as
# BUILD_DIR/fuzz-artifacts/<name>-crash-<sha1> (reproduce with
# `BUILD_DIR/fuzz/fuzz_<name> FILE`).  Prints one line of figures per target.
# Run from the repository root.
set -u

if [ $# -lt 2 ]; then
	echo "usage: sh tests/fuzz/run.sh BUILD_DIR SECONDS [RUNS]" >&2
	exit 2
fi
B=$1
SECONDS_EACH=$2
RUNS=${3:-}
HERE=$(dirname "$0")
failed=0
found=0

# libFuzzer's limits: 10 s per input; inputs up to the largest seed or 4 KiB.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

for bin in "$B"/fuzz/fuzz_*; do
	[ -x "$bin" ] || continue
	found=$((found + 1))
	name=${bin##*/fuzz_}
	[ -n "${FUZZ_ONLY:-}" ] && [ "$FUZZ_ONLY" != "$name" ] && continue
	seeds=$HERE/corpus/$name
	work=$B/fuzz-corpus/$name
	arts=$B/fuzz-artifacts
	log=$B/fuzz-$name.log
	mkdir -p "$work" "$arts"
	set -- -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$arts/$name-"
	if [ -n "$RUNS" ]; then
		set -- "$@" -runs="$RUNS"
	else
		set -- "$@" -max_total_time="$SECONDS_EACH"
	fi
	[ -f "$HERE/$name.dict" ] && set -- "$@" -dict="$HERE/$name.dict"
	# shellcheck disable=SC2046
	[ -f "$HERE/$name.options" ] && set -- "$@" $(cat "$HERE/$name.options")
	[ -d "$seeds" ] || seeds=
	"$bin" "$@" "$work" $seeds > "$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	cov=$(grep -E '^#[0-9]+' "$log" | tail -n 1 | sed -n 's/.* cov: \([0-9]*\) ft: \([0-9]*\) corp: \([0-9]*\).*/cov \1, features \2, corpus \3/p')
	if [ $rc -ne 0 ]; then
		failed=$((failed + 1))
		echo "fuzz: FAIL $name (exit $rc) after ${runs:-?} runs; log $log"
		grep -E 'ERROR|SUMMARY|artifact|Test unit written' "$log" | head -n 20 | sed 's/^/    /'
	else
		echo "fuzz: $name: ${runs:-?} runs, ${speed:-?} exec/s, ${cov:-no coverage figures}, no crash"
	fi
done

if [ $found = 0 ]; then
	echo "fuzz: no targets in $B/fuzz (run make fuzz)" >&2
	exit 2
fi
[ $failed = 0 ]
