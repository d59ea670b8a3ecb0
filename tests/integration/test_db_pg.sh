#!/bin/sh
# test_db_pg.sh - the ODBC layer test program (tests/unit/test_db_sqlite.c)
# against PostgreSQL through psqlODBC: same tests as on SQLite plus the
# PostgreSQL-only ones (dead connection after pg_terminate_backend, wrong
# password).  Run by tests/integration/run.sh, which starts PostgreSQL and
# exports DLA_PG_CONN and DLA_DB_TEST_BIN.
set -u
: "${DLA_PG_CONN:?run me through tests/integration/run.sh}"
: "${DLA_DB_TEST_BIN:?run me through tests/integration/run.sh}"

DLA_TEST_CONN=$DLA_PG_CONN "$DLA_DB_TEST_BIN"
rc=$?
if [ "$rc" = 0 ]; then
	echo "test_db_pg: ok"
else
	echo "test_db_pg: FAILED (exit $rc)"
fi
exit "$rc"
