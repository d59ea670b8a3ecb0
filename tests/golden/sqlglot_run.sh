#!/bin/sh
# sqlglot_run.sh - parse every generated Snowflake statement under DIR
# (default build/sqlglot: *.sql written by the unit tests, e.g.
# build/tests/test_dialect, and by golden runs) with sqlglot_check.py.
# Prints "sqlglot: N passed, M failed"; exits non-zero on a failure or when
# there is nothing to check.  PYTHON overrides /usr/bin/python3.
set -u
dir=${1:-build/sqlglot}
python=${PYTHON:-/usr/bin/python3}
if [ ! -d "$dir" ] || [ -z "$(find "$dir" -name '*.sql' -type f | head -n 1)" ]; then
	echo "sqlglot: no statements under '$dir' (run the unit tests first: make unit)" >&2
	echo "sqlglot: 0 passed, 0 failed"
	exit 1
fi
exec "$python" "$(dirname "$0")/sqlglot_check.py" "$dir"
