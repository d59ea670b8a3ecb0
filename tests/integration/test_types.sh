#!/bin/sh
# test_types.sh DLA_BIN - the type and name matrix (tests/types/run.py,
# generated from tests/types/matrix.tsv and names.tsv): every column type
# and every awkward column name as a dimension attribute, business key,
# fact grain, lookup key, effective_from and as_of, on SQLite and on
# PostgreSQL; first load, rerun, one change, exact round trip.  With
# DLA_GENERAL_BIN (make integration) the dimension roles play with it as
# well.  Prints `types: N passed, M failed, K xfail` (xfail: known
# findings, listed with their reason).
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${PGPORT:-}" ]; then
	echo "types: PostgreSQL not started by the runner" >&2
	echo "types: 0 passed, 1 failed, 0 xfail"
	exit 1
fi
set -- --dla "$1" --target local --target pg
if [ -n "${DLA_GENERAL_BIN:-}" ]; then
	set -- "$@" --general "$DLA_GENERAL_BIN"
fi
exec /usr/bin/python3 "$here/types/run.py" "$@"
