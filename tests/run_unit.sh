#!/bin/sh
# run_unit.sh - run each cmocka unit-test program; print a total line.
set -u
failed=0; total=0
for t in "$@"; do
	total=$((total + 1))
	if ! "$t"; then
		failed=$((failed + 1))
		echo "unit: FAILED $t" >&2
	fi
done
echo "unit: $((total - failed)) passed, $failed failed"
[ "$failed" = 0 ]
