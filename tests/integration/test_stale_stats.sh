#!/bin/sh
# test_stale_stats.sh DLA_BIN - PostgreSQL only (skipped without the PG*
# variables the integration runner exports): a load into a table whose
# planner statistics are stale refreshes them first (dialect
# stale_stats_query / analyze_table, docs/PERFORMANCE.md); so does a load
# from a source table whose statistics are stale.
#
# The stale state is made the way it happens in production: an ANALYZE
# (autovacuum's, here a plain one) runs while a bulk load of the table is
# still uncommitted, so it counts none of its rows: reltuples = 0 for a
# table of 200,000 rows.  A merge of 400,000 staged rows then joined the
# "empty" target by nested loop over a sequential scan of the stage: 8e10
# row pairs, hours (seen in bench/: 5M into 1M did not finish in 7 min).
# With the refresh the merge takes seconds; the run is given 300 s, a
# guard against the hang, not a timing assertion.
# Prints "stale-stats: N passed, M failed"; exits non-zero on a failure.
set -u
if [ $# -lt 1 ]; then
	echo "usage: sh tests/integration/test_stale_stats.sh DLA_BIN" >&2
	exit 2
fi
if [ -z "${PGHOST:-}" ] || [ -z "${PGPORT:-}" ]; then
	echo "stale-stats: skipped (no PostgreSQL: run through tests/integration/run.sh)"
	exit 0
fi
DLA=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/gate.sh"        # pg_session_*: a psql session the test feeds
passed=0
failed=0
ok()  { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "stale-stats: FAIL: $*" >&2; }
q()   { psql -X -q -At -F '|' -v ON_ERROR_STOP=1 -c "$1" 2>&1; }
contains() { # contains NAME NEEDLE HAYSTACK
	case "$3" in *"$2"*) ok ;; *) bad "$1: no '$2' in:"; printf '%s\n' "$3" >&2 ;; esac
}
lacks() { # lacks NAME NEEDLE HAYSTACK
	case "$3" in *"$2"*) bad "$1: '$2' in:"; printf '%s\n' "$3" >&2 ;; *) ok ;; esac
}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/dla-stale-it.XXXXXX")
trap 'gate_cleanup; rm -rf "$WORK"' EXIT
mkdir -p "$WORK/models" "$WORK/it"
gate_init "$WORK/it" "$HERE"
cat >"$WORK/dla.yml" <<'EOF'
name: stale_it
default_target: pg
metadata_schema: stale_meta
targets:
  pg:
    dialect: postgres
    connection: "Driver=PostgreSQL Unicode;Server=${PGHOST};Port=${PGPORT};Database=${PGDATABASE:-dla};Uid=${PGUSER:-dla};Pwd=${PGPASSWORD:-}"
EOF
cat >"$WORK/models/m.yml" <<'EOF'
sources:
  - {name: src_line, schema: stale_src}
---
fact: fact_line
schema: stale_out
source: stale_src.src_line
grain: [line_id]
load: merge
EOF
run_dla() { # run_dla ARGS... : OUT, RC
	OUT=$(timeout 300 "$DLA" --project "$WORK" run --as-of '2026-01-01 00:00:00' "$@" 2>&1)
	RC=$?
}

# load_analyzed_midway TABLE SELECT: INSERT INTO TABLE SELECT ... in one
# transaction that an ANALYZE of another session sees uncommitted: the
# loader is a psql session the test feeds (gate.sh), committed once the
# ANALYZE is done; the ANALYZE waits until the INSERT is done and its
# transaction still open
load_analyzed_midway() {
	pg_session_open dla_it_loader || bad "cannot start the loader's session"
	pg_session_send "BEGIN;" "INSERT INTO $1 $2;"
	wait_until 300 pg_session_is "state = 'idle in transaction' and query like 'INSERT INTO%'" ||
		bad "the bulk load of $1 never finished its INSERT: $(cat "$WORK/it/dla_it_loader.out")"
	q "ANALYZE $1" >/dev/null
	pg_session_send "COMMIT;"
	pg_session_close || bad "the bulk load of $1 failed: $(cat "$WORK/it/dla_it_loader.out")"
	q "SELECT pg_stat_force_next_flush()" >/dev/null
}

q "DROP SCHEMA IF EXISTS stale_src, stale_out, stale_meta CASCADE" >/dev/null
q "CREATE SCHEMA stale_src" >/dev/null
q "CREATE TABLE stale_src.src_line (line_id BIGINT NOT NULL, amount BIGINT)" >/dev/null
run_dla
[ "$RC" -eq 0 ] && ok || bad "first (empty) run: exit $RC: $OUT"
q "ALTER TABLE stale_out.fact_line SET (autovacuum_enabled = false)" >/dev/null

# a bulk load of the target, analyzed while it is uncommitted
load_analyzed_midway stale_out.fact_line \
	"(line_id, amount) SELECT i, i FROM generate_series(1, 200000) i"
stats=$(q "SELECT c.reltuples, (SELECT COUNT(*) FROM stale_out.fact_line) FROM pg_class c
	JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'stale_out' AND c.relname = 'fact_line'")
[ "$stats" = "0|200000" ] && ok || bad "the setup did not leave stale statistics: reltuples|rows = $stats"

# the merge: 200,000 changed rows, 200,000 new
q "INSERT INTO stale_src.src_line SELECT i, i + 1 FROM generate_series(1, 400000) i" >/dev/null
q "ANALYZE stale_src.src_line" >/dev/null
run_dla --dry-run
contains "dry run refreshes the statistics" "ANALYZE stale_out.fact_line" "$OUT"
run_dla
[ "$RC" -eq 0 ] && ok || bad "merge: exit $RC: $OUT"
contains "merge counts" "+200000 ~200000 -0" "$OUT"
check=$(q "SELECT COUNT(*), SUM(amount - line_id) FROM stale_out.fact_line")
[ "$check" = "400000|400000" ] && ok || bad "merged table: count|changed = $check"
q "SELECT pg_stat_force_next_flush()" >/dev/null

# fresh statistics: no refresh
q "ANALYZE stale_out.fact_line" >/dev/null
q "SELECT pg_stat_force_next_flush()" >/dev/null
run_dla --dry-run
lacks "dry run on fresh statistics" "ANALYZE" "$OUT"

# the source reloaded and analyzed while its load was uncommitted (an
# upstream job's bulk load): refreshed too, the target's fresh ones not
q "TRUNCATE stale_src.src_line" >/dev/null
load_analyzed_midway stale_src.src_line "SELECT i, i + 2 FROM generate_series(1, 400000) i"
run_dla --dry-run
contains "dry run refreshes the source's statistics" "ANALYZE stale_src.src_line" "$OUT"
lacks "... not the target's" "ANALYZE stale_out.fact_line" "$OUT"
run_dla
[ "$RC" -eq 0 ] && ok || bad "merge from the stale source: exit $RC: $OUT"
contains "merge counts" "+0 ~400000 -0" "$OUT"
check=$(q "SELECT COUNT(*), SUM(amount - line_id) FROM stale_out.fact_line")
[ "$check" = "400000|800000" ] && ok || bad "merged table: count|changed = $check"

q "DROP SCHEMA IF EXISTS stale_src, stale_out, stale_meta CASCADE" >/dev/null
echo "stale-stats: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
