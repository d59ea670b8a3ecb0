#!/bin/sh
# run_asan.sh DLA_BIN - the integration scripts that drive a run's whole
# life cycle, against the ASan+UBSan build of dla (`make integration-asan`,
# part of `make check`; docs/RELIABILITY.md):
#
#     test_dims         loads, reruns, failures, the lock held and taken over
#     test_crash        SIGKILL at statement boundaries and metadata steps,
#                       takeover, run/retry (every 4th statement boundary:
#                       CRASH_STEP, default 4 here; every commit and every
#                       metadata step always)
#     test_concurrency  lost worker and main connections (reconnects), the
#                       database down, concurrent runs, lease expiry
#
# each through tests/integration/run.sh (its own PostgreSQL).  LeakSanitizer
# is on (suppressions: tests/lsan.supp, ODBC driver-internal leaks only);
# every ASan / LSan / UBSan report of any dla process goes to a file in
# SANITIZER_DIR (default: BUILD/sanitizer beside DLA_BIN), and any file
# there fails the pass: a report cannot hide behind an exit code a script
# expected anyway (3, 137).  Exits non-zero on a failed script or a report.
set -u
if [ $# -lt 1 ]; then
	echo "usage: sh tests/integration/run_asan.sh DLA_BIN" >&2
	exit 2
fi
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
case "$1" in
/*) BIN=$1 ;;
*) BIN=$(pwd)/$1 ;;
esac
LOGS=${SANITIZER_DIR:-$(dirname "$BIN")/sanitizer}
rm -rf "$LOGS"
mkdir -p "$LOGS" || exit 2
ASAN_OPTIONS="detect_leaks=1:log_path=$LOGS/asan${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
LSAN_OPTIONS="suppressions=$ROOT/tests/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
UBSAN_OPTIONS="print_stacktrace=1:log_path=$LOGS/ubsan${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
CRASH_STEP=${CRASH_STEP:-4}
export ASAN_OPTIONS LSAN_OPTIONS UBSAN_OPTIONS CRASH_STEP

cd "$ROOT" || exit 2
status=0
for t in test_dims test_crash test_concurrency; do
	DLA_IT_ONLY=$t sh tests/integration/run.sh "$BIN" || status=1
done
reports=$(ls "$LOGS")
if [ -n "$reports" ]; then
	for f in $reports; do
		echo "integration-asan: --- $f ---" >&2
		cat "$LOGS/$f" >&2
	done
	echo "integration-asan: FAIL: $(echo "$reports" | wc -l) sanitizer report(s) in $LOGS" >&2
	status=1
elif [ "$status" = 0 ]; then
	echo "integration-asan: 3 scripts passed under ASan+UBSan, no sanitizer report"
fi
exit "$status"
