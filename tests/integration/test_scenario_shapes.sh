#!/bin/sh
# test_scenario_shapes.sh DLA_BIN - the dim/ and fact/ scenarios again, each
# source rewritten into another shape (tests/scenarios/shapes.py: computed
# keys and attributes, UNION ALL of two halves, CREATE TABLE AS): the
# values are the same, so are the expected tables and the history checks.
# Each case plays in 2 of the 4 shapes, in turn (run.py --rotate 2), on
# SQLite and on PostgreSQL at once, to keep make check within its time;
# every shape still plays half of the cases.  All of them, every shape:
#     tests/scenarios/run.py --dla build/dla --target local --shapes
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${PGPORT:-}" ]; then
	echo "shapes: PostgreSQL not started by the runner" >&2
	exit 1
fi
tmp=$(mktemp -d) || exit 1
/usr/bin/python3 "$here/scenarios/run.py" --dla "$1" --target pg --rotate 2 >"$tmp/pg" 2>&1 &
pg=$!
rc=0
/usr/bin/python3 "$here/scenarios/run.py" --dla "$1" --target local --rotate 2 || rc=1
wait "$pg" || rc=1
cat "$tmp/pg"
rm -rf "$tmp"
exit $rc
