#!/bin/sh
# run.sh - the integration suite: the real dla binary against SQLite and a
# throw-away PostgreSQL 15.
#
#     sh tests/integration/run.sh DLA_BIN        (make integration)
#
# Starts PostgreSQL (tests/integration/pg_env.sh), runs the ODBC layer test
# program (BUILD/tests/test_db_sqlite beside DLA_BIN, built if missing;
# DLA_DB_TEST_BIN overrides) against SQLite, then
# every tests/integration/test_*.sh in name order, each as
#     sh test_x.sh DLA_BIN
# from the repository root, with the PG* variables, DLA_PG_CONN,
# DLA_DB_TEST_BIN and DLA_ROOT in the environment.  A script passes when it
# exits 0 and prints its own result lines.  Set DLA_IT_TIMEOUT (seconds,
# default 900) to bound each script; DLA_IT_ONLY=pattern runs the matching
# scripts only.  Prints "integration: N passed, M failed" and exits non-zero
# when anything failed.  PostgreSQL is stopped on every exit path.
set -u

if [ $# -lt 1 ]; then
	echo "usage: sh tests/integration/run.sh DLA_BIN" >&2
	exit 2
fi
DLA_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
case "$1" in
/*) DLA_BIN=$1 ;;
*) DLA_BIN=$(pwd)/$1 ;;
esac
cd "$DLA_ROOT" || exit 2
if [ ! -x "$DLA_BIN" ]; then
	echo "integration: '$DLA_BIN' is not an executable dla binary" >&2
	exit 2
fi
BUILD_DIR=$(dirname "$DLA_BIN")
DLA_DB_TEST_BIN=${DLA_DB_TEST_BIN:-$BUILD_DIR/tests/test_db_sqlite}
export DLA_BIN DLA_ROOT DLA_DB_TEST_BIN

. "$DLA_ROOT/tests/integration/pg_env.sh"
trap 'pg_stop' EXIT
trap 'pg_stop; exit 130' INT TERM

passed=0
failed=0
failed_names=""

record() {   # record NAME STATUS
	if [ "$2" = 0 ]; then
		passed=$((passed + 1))
		echo "integration: PASS $1"
	else
		failed=$((failed + 1))
		failed_names="$failed_names $1"
		echo "integration: FAIL $1 (exit $2)"
	fi
}

run_bounded() {
	if command -v timeout >/dev/null 2>&1; then
		timeout -k 10 "${DLA_IT_TIMEOUT:-900}" "$@"
	else
		"$@"
	fi
}

if [ ! -x "$DLA_DB_TEST_BIN" ]; then
	echo "integration: building $DLA_DB_TEST_BIN"
	make --no-print-directory BUILD="$BUILD_DIR" "$DLA_DB_TEST_BIN" || {
		echo "integration: cannot build $DLA_DB_TEST_BIN" >&2
		exit 1
	}
fi

if ! pg_start; then
	echo "integration: PostgreSQL did not start; nothing was run" >&2
	echo "integration: 0 passed, 1 failed"
	exit 1
fi

selected() {   # selected NAME: is NAME chosen by DLA_IT_ONLY?
	[ -z "${DLA_IT_ONLY:-}" ] && return 0
	case "$1" in *"$DLA_IT_ONLY"*) return 0 ;; esac
	return 1
}

if selected db_sqlite; then
	echo "integration: === db layer against SQLite"
	(unset DLA_TEST_CONN; run_bounded "$DLA_DB_TEST_BIN")
	record db_sqlite $?
fi

for t in "$DLA_ROOT"/tests/integration/test_*.sh; do
	[ -f "$t" ] || continue
	name=$(basename "$t" .sh)
	selected "$name" || continue
	echo "integration: === $name"
	run_bounded sh "$t" "$DLA_BIN"
	record "$name" $?
done

echo "integration: $passed passed, $failed failed"
if [ "$failed" != 0 ]; then
	echo "integration: failed:$failed_names" >&2
	exit 1
fi
exit 0
