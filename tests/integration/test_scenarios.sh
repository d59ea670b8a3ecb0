#!/bin/sh
# test_scenarios.sh DLA_BIN - the data-driven SCD and fact scenarios
# (tests/scenarios/) on SQLite and on PostgreSQL, with the same runner
# (their reshaped sources: test_scenario_shapes.sh).
# With DLA_GENERAL_BIN (make integration: a dla whose dimension loads all
# take the general SCD path), the dimension scenarios run with it as well:
# the snapshot fast path and the general path must give the same tables.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
rc=0
/usr/bin/python3 "$here/scenarios/run.py" --dla "$1" --target local || rc=1
if [ -n "${PGPORT:-}" ]; then
	/usr/bin/python3 "$here/scenarios/run.py" --dla "$1" --target pg || rc=1
else
	echo "scenarios: PostgreSQL not started by the runner" >&2
	rc=1
fi
if [ -n "${DLA_GENERAL_BIN:-}" ]; then
	/usr/bin/python3 "$here/scenarios/run.py" --dla "$DLA_GENERAL_BIN" --target local \
		--only dim/ || rc=1
	if [ -n "${PGPORT:-}" ]; then
		/usr/bin/python3 "$here/scenarios/run.py" --dla "$DLA_GENERAL_BIN" --target pg \
			--only dim/ || rc=1
	fi
fi
exit $rc
