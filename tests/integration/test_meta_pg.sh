#!/bin/sh
# test_meta_pg.sh - the metadata/lock unit test program (tests/unit/test_meta.c)
# against PostgreSQL: metadata tables, run lock and the postgres dialect's
# SQL on the real engine, each test in a schema of its own.  Run by
# tests/integration/run.sh as "sh test_meta_pg.sh BUILD/dla", which starts
# PostgreSQL and exports DLA_PG_CONN; the program is BUILD/tests/test_meta
# (built when missing).
set -u
: "${DLA_PG_CONN:?run me through tests/integration/run.sh}"
if [ $# -lt 1 ]; then
	echo "usage: sh tests/integration/test_meta_pg.sh BUILD/dla" >&2
	exit 2
fi
build_dir=$(dirname "$1")
bin=$build_dir/tests/test_meta
if [ ! -x "$bin" ]; then
	make --no-print-directory BUILD="$build_dir" "$bin" || {
		echo "meta-pg: FAILED (cannot build $bin)"
		exit 1
	}
fi

DLA_TEST_CONN=$DLA_PG_CONN DLA_TEST_DIALECT=postgres "$bin"
rc=$?
if [ "$rc" = 0 ]; then
	echo "meta-pg: ok"
else
	echo "meta-pg: FAILED (exit $rc)"
fi
exit "$rc"
