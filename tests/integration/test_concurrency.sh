#!/bin/sh
# test_concurrency.sh DLA_BIN - lost connections, a database down at start
# and concurrent runs on one target (docs/RELIABILITY.md), with the
# projects/crash project (lock_lease: 3s in the copy under test).
#
# No sleep decides what a run is doing: a run that must still be running
# when something is checked waits in the source view of dim_customer behind
# a gate the test holds closed (gate.sh: a row lock of a psql session on
# PostgreSQL, a flock a test extension's function waits for on SQLite), and
# is checked to be alive and waiting there; the test then opens the gate
# and checks that the run ends as it should.
#
# PostgreSQL:
#   lost connection   the server backend of the worker loading dim_customer
#                     (waiting at the gate in its source view) is terminated
#                     with pg_terminate_backend: the node fails with the
#                     SQLSTATE (57P01 or 08xxx) in stderr and the JSON log,
#                     what depends on it is skipped, every other node runs
#                     (the worker reconnects), exit 1; `dla retry` then
#                     gives the uninterrupted run's warehouse (ordered dump
#                     compared with a reference database)
#   main connection   the session holding the advisory lock and writing the
#     lost            records is terminated mid-node (dim_customer at the
#                     gate): dla reconnects and renews its lease while the
#                     node still waits, and records everything (exit 0);
#                     when it cannot reconnect (CONNECTION LIMIT 0), it stops
#                     before its lease could expire, while the node still
#                     waits, rolling it back (exit 3), and the next run
#                     takes over
#   database down     a closed port: exit 3, "cannot connect to target",
#                     nothing recorded; `dla retry --as-of` later runs it all
# PostgreSQL and SQLite:
#   a run while another holds the lock (at the gate): exit 3 within 1 s
#     (more than a dry run takes: base_ms) naming the holder ("locked by
#     run <id>"), no dla_run / dla_node_run row
#   two runs started at the same instant (on a new warehouse and on a
#     loaded one, several rounds): exactly one runs (to the gate), the other
#     exits 3 naming it meanwhile, one dla_run row
#   a live holder whose lease is short keeps its lock (renewed) once its
#     first lease is over
#   a holder SIGKILLed (at the gate) on another host (its lock row moved to
#     another host name after the kill, its lease end set by the test):
#     refused while its lease lasts, taken over once it expired, the dead
#     run recorded failed ("lease expired")
set -u
DLA=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
AS1='2026-01-01 00:00:00'
AS2='2026-01-02 00:00:00'
AS3='2026-01-03 00:00:00'
M=crash_meta
passed=0; failed=0
BG=""; BG2=""
. "$HERE/gate.sh"

ok()   { passed=$((passed + 1)); }
bad()  { failed=$((failed + 1)); echo "concurrency[$TARGET]: FAIL: $*" >&2; }
check() { # check NAME EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then ok; else
		bad "$1"; printf '  expected:\n%s\n  actual:\n%s\n' "$2" "$3" >&2; fi
}
has() { # has NAME FILE FIXED-TEXT
	if grep -qF -- "$3" "$2"; then ok; else
		bad "$1: $(basename "$2") lacks '$3'"; sed 's/^/  | /' "$2" >&2; fi
}

if [ -d /dev/shm ] && [ -w /dev/shm ]; then WBASE=/dev/shm; else WBASE=${TMPDIR:-/tmp}; fi
W=$(mktemp -d "$WBASE/dla-conc.XXXXXX") || exit 1
P=$W/proj
PG_HOME_DB=${PGDATABASE:-dla}
cleanup() {
	for pid in $BG $BG2; do kill -9 "$pid" 2>/dev/null; done
	gate_cleanup
	rm -rf "$W"
	if [ -n "${PGPORT:-}" ]; then
		for db in conc_ref conc_it conc_new; do
			PGDATABASE=$PG_HOME_DB psql -X -q -c "set client_min_messages = warning" \
				-c "drop database if exists $db with (force)" >/dev/null 2>&1
		done
	fi
}
trap cleanup EXIT
gate_init "$W" "$HERE"
if ! EXT=$(gate_sqlite_ext "$DLA"); then
	echo "concurrency: cannot build the SQLite gate extension ($HERE/sqlite_gate.c)" >&2
	echo "concurrency: 0 passed, 1 failed"
	exit 1
fi

now_ms() { date +%s%3N; }
T0=$(now_ms)
section() { echo "concurrency: $(( ($(now_ms) - T0) / 1000 ))s $*"; }
q() { # q SQL: rows as a|b lines, NULL as NULL
	if [ "$TARGET" = local ]; then
		sqlite3 -cmd '.timeout 10000' -separator '|' -nullvalue NULL "$P/.dla/warehouse.db" \
			"attach '$P/.dla/presentation.db' as presentation;
			 attach '$P/.dla/staging.db' as staging;
			 attach '$P/.dla/$M.db' as $M; $1"
	else
		psql -X -q -h "${DLA_PG_SOCKET:-$PGHOST}" -At -F '|' -P null=NULL \
			-v ON_ERROR_STOP=1 -c "$1" 2>&1
	fi
}
dla() { "$DLA" --project "$P" --target "$TARGET" "$@"; }
run() { # run ARGS...: RC, stdout in $W/out, stderr in $W/err
	dla "$@" >"$W/out" 2>"$W/err"
	RC=$?
}
pg_db() { # pg_db NAME: a new empty database, the current one from now on
	PGDATABASE=$PG_HOME_DB psql -X -q -v ON_ERROR_STOP=1 -c "set client_min_messages = warning" \
		-c "drop database if exists $1 with (force)" -c "create database $1" >/dev/null ||
		bad "cannot create database $1"
	PGDATABASE=$1
	export PGDATABASE
}

# A fresh project copy (new SQLite files), lease 3 s, and v_customer behind
# the gate (gate.sh; open unless close_gate closed it): on PostgreSQL it
# reads the one row of source staging.gate FOR SHARE, on SQLite it calls
# dla_it_gate (the test extension, loaded by the local target's connection
# string).  The view text never changes: a retry that does not re-create the
# view (it succeeded) reads the same view.
new_project() {
	rm -rf "$P"
	cp -R "$HERE/projects/crash" "$P"
	sed -i 's/^threads: 1$/threads: 1\nlock_lease: 3s/' "$P/dla.yml"
	grep -q '^lock_lease: 3s$' "$P/dla.yml" || bad "lock_lease not set in the copy"
	sed -i "s|^\(    connection: \"Driver=SQLite3;Database=.dla/warehouse.db\)\"$|\1;LoadExt=$EXT\"|" \
		"$P/dla.yml"
	grep -qF "LoadExt=$EXT\"" "$P/dla.yml" || bad "the gate extension not loaded by the copy"
	printf 'sources:\n  - name: gate\n    schema: staging\n    seed: seeds/gate.csv\n' \
		>"$P/models/gate.yml"
	printf 'open\n1\n' >"$P/seeds/gate.csv"
	cp "$P/seeds/gate.csv" "$P/seeds/batch2/gate.csv"
	if [ "$TARGET" = pg ]; then
		cat >"$P/views/v_customer.sql" <<EOF
select c.customer_id, c.name, lower(c.email) as email, c.city, c.tier
from staging.customer c, (select g.open from staging.gate g for share) z
EOF
	else
		cat >"$P/views/v_customer.sql" <<EOF
select c.customer_id, c.name, lower(c.email) as email, c.city, c.tier
from staging.customer c
where dla_it_gate('$GATE_FILE')
EOF
	fi
}
close_gate() { # the gate of v_customer closed (the current target's)
	if [ "$TARGET" = pg ]; then gate_close pg; else gate_close sqlite; fi ||
		bad "cannot close the gate"
}
open_gate() {
	gate_open || bad "the gate's holder did not end cleanly"
}
# gated NAME PID: PID runs and waits at the closed gate (a check)
gated() {
	if gate_waiter "$2" && gate_is_closed; then ok; else
		bad "$1: pid $2 is not waiting at the closed gate (running: $(running "$2" &&
			echo yes || echo no), gate closed: $(gate_is_closed && echo yes || echo no))"
	fi
}
at_gate() { # at_gate PID: until PID waits at the gate (60 s at most)
	wait_until 60 gate_waiter "$1"
}

load_batch1() { # a warehouse with batch 1 loaded and batch 2 seeded
	dla seed >/dev/null 2>"$W/err" || bad "seed: $(cat "$W/err")"
	run run --as-of "$AS1"
	check "batch 1 exit" 0 "$RC"
	dla seed --from "$P/seeds/batch2" >/dev/null 2>"$W/err" || bad "seed 2: $(cat "$W/err")"
}

# dump FILE: every target table in order, housekeeping columns left out
dump() {
	sql=""
	for t in dim_customer dim_product fact_daily fact_sales; do
		if [ "$TARGET" = local ]; then
			cols=$(q "select name from pragma_table_info('$t', 'presentation') order by cid")
		else
			cols=$(q "select column_name from information_schema.columns where table_schema =
				'presentation' and table_name = '$t' order by ordinal_position")
		fi
		list=""; order=""; i=0
		for c in $cols; do
			case $c in dla_run_id|dla_updated_at|dla_loaded_at) continue ;; esac
			i=$((i + 1)); list="$list${list:+, }$c"; order="$order${order:+, }$i"
		done
		sql="$sql select '== $t'; select $list from presentation.$t order by $order;"
	done
	q "$sql" >"$1"
}

wait_lock() { # wait_lock: until a run holds the lock and is recorded running
	i=0          # (60 s at most); prints its run id
	while [ "$i" -lt 600 ]; do
		holder=$(q "select l.run_id from $M.dla_lock l join $M.dla_run r
			on r.run_id = l.run_id and r.status = 'running'" 2>/dev/null)
		case $holder in [0-9]*) echo "$holder"; return 0 ;; esac
		sleep 0.1; i=$((i + 1))
	done
	return 1
}
now_utc() { date -u '+%Y-%m-%d %H:%M:%S.%6N'; }
utc_in() { date -u -d "$1" '+%Y-%m-%d %H:%M:%S.%6N'; }   # utc_in '+2 seconds'
# past TIMESTAMP: the clock is past it (canonical UTC text sorts as time)
past() { expr "$(now_utc)" \> "$1" >/dev/null; }
# A refused run must not wait for the lock: it takes at most 1 s more than
# `dla run --dry-run` (which starts, connects and reads the same metadata,
# and takes no lock) takes on this machine at that time, not 1 s flat (an
# ASan build on a busy machine needs about that much just to start and
# connect).  base_ms times the dry run into BASE_MS; within_1s T0 T1 says
# yes or why not.
base_ms() {
	b0=$(now_ms)
	dla run --dry-run --as-of "$AS2" >/dev/null 2>&1 || bad "the dry run (base time) failed"
	BASE_MS=$(( $(now_ms) - b0 ))
}
within_1s() {
	if [ $(($2 - $1)) -lt $((BASE_MS + 1000)) ]; then echo yes; else
		echo "no: $(($2 - $1)) ms, a dry run $BASE_MS ms"; fi
}
# counts [RUN]: runs and node rows, leaving out those of RUN (a holder
# still running records its nodes as they finish: group commit, every
# 50 ms or when idle; what must not change is what other runs wrote)
counts() {
	q "select (select count(*) from $M.dla_run where run_id <> '${1:-}') || '/' ||
		(select count(*) from $M.dla_node_run where run_id <> '${1:-}')"
}

# ---- a run while another holds the lock; a live holder keeps its lease ----
lock_held() {
	base_ms
	close_gate
	"$DLA" --project "$P" --target "$TARGET" run --as-of "$AS2" >"$W/a.out" 2>"$W/a.err" &
	BG=$!        # not through dla(): $! must be dla itself
	A=$(wait_lock) || bad "the first run never took the lock"
	at_gate "$BG"
	e1=$(q "select expires_at from $M.dla_lock where run_id = '$A'")
	before=$(counts "$A")
	gated "the holder before the second run" "$BG"
	t0=$(now_ms)
	run run --as-of "$AS2"
	t1=$(now_ms)
	check "second run exit" 3 "$RC"
	has "second run names the holder" "$W/err" "dla run: locked by run $A since "
	check "second run refused within 1 s" yes "$(within_1s "$t0" "$t1")"
	check "second run wrote nothing" "$before" "$(counts "$A")"
	# the holder renews its 3 s lease: still refused once the lease it had
	# when it reached the gate is over
	wait_until 60 past "$e1" || bad "the clock never passed $e1"
	gated "the holder after its first lease" "$BG"
	check "the holder renewed its lease" yes "$(q "select case when expires_at > '$e1' then 'yes'
		else 'no: ' || expires_at end from $M.dla_lock where run_id = '$A'")"
	run retry --as-of "$AS2"
	check "live holder keeps its lock after its first lease" 3 "$RC"
	has "live holder named" "$W/err" "locked by run $A since "
	check "the refused retry wrote nothing" "$before" "$(counts "$A")"
	gated "the holder after the refused retry" "$BG"
	open_gate
	wait_exit "$BG" 60
	check "the holder finished" 0 "$WAIT_RC"
	BG=""
	check "the holder's run" "success" "$(q "select status from $M.dla_run where run_id = '$A'")"
}

# ---- two runs started at the same instant ----------------------------------
# one_refused: one of $BG and $BG2 ended, the other waits at the gate
one_refused() {
	{ ! running "$BG" && gate_waiter "$BG2"; } || { ! running "$BG2" && gate_waiter "$BG"; }
}
both_ended() { ! running "$BG" && ! running "$BG2"; }
race_round() { # race_round NAME
	before=$(q "select count(*) from $M.dla_run" 2>/dev/null)
	case $before in [0-9]*) ;; *) before=0 ;; esac
	close_gate
	"$DLA" --project "$P" --target "$TARGET" run --as-of "$AS2" >"$W/a.out" 2>"$W/a.err" &
	BG=$!
	"$DLA" --project "$P" --target "$TARGET" run --as-of "$AS2" >"$W/b.out" 2>"$W/b.err" &
	BG2=$!
	# until one run ended while the other waits at the gate (or both ended)
	wait_until 60 eval 'one_refused || both_ended'
	if one_refused && gate_is_closed; then ok; else
		bad "$1: no run ended while the other waited at the closed gate"
	fi
	open_gate
	wait_exit "$BG" 60; ra=$WAIT_RC
	wait_exit "$BG2" 60; rb=$WAIT_RC
	BG=""; BG2=""
	case "$ra $rb" in
	"0 3") win=a lose=b ;;
	"3 0") win=b lose=a ;;
	*) bad "$1: exits $ra and $rb, not one 0 and one 3"
	   sed 's/^/  a| /' "$W/a.err" >&2; sed 's/^/  b| /' "$W/b.err" >&2
	   return ;;
	esac
	ok
	winner=$(sed -n 's/^done: .* (run \(.*\))$/\1/p' "$W/$win.out")
	has "$1: the loser names the winner" "$W/$lose.err" "locked by run $winner since "
	check "$1: one run recorded" "$((before + 1))" "$(q "select count(*) from $M.dla_run")"
	check "$1: the winner's run" "success" "$(q "select status from $M.dla_run where run_id = '$winner'")"
}

# ---- a holder SIGKILLed on another host: taken over once its lease expired --
other_host() {
	base_ms
	close_gate
	"$DLA" --project "$P" --target "$TARGET" run --as-of "$AS2" >"$W/a.out" 2>"$W/a.err" &
	BG=$!        # not through dla(): $! must be dla itself
	A=$(wait_lock) || bad "the run to kill never took the lock"
	at_gate "$BG"
	gated "the run to kill, mid-run" "$BG"
	kill -9 "$BG"; wait "$BG" 2>/dev/null; BG=""
	# the row another host would leave: its host name, and a lease that
	# still lasts when the next run comes however slowly this test runs (10
	# minutes: the default lease is 600 s; its own 3 s could be over already)
	q "update $M.dla_lock set holder_host = 'dla-other-host',
		expires_at = '$(utc_in '+10 minutes')' where run_id = '$A'" >/dev/null
	open_gate
	t0=$(now_ms)
	run run --as-of "$AS2"
	t1=$(now_ms)
	check "dead holder elsewhere, lease running: exit" 3 "$RC"
	has "dead holder elsewhere named" "$W/err" "locked by run $A since "
	has "dead holder's host named" "$W/err" "(host dla-other-host, pid "
	check "refused within 1 s" yes "$(within_1s "$t0" "$t1")"
	# the lease then ends 2 s from now; retried every 0.3 s until it goes
	# through (60 s at most): not before the lease expired
	expires=$(utc_in '+2 seconds')
	q "update $M.dla_lock set expires_at = '$expires' where run_id = '$A'" >/dev/null
	i=0
	while [ "$i" -lt 200 ]; do
		run run --as-of "$AS2"
		[ "$RC" = 3 ] || break
		sleep 0.3; i=$((i + 1))
	done
	check "taken over once the lease expired: exit" 0 "$RC"
	has "the takeover is reported" "$W/err" "took over the lock of run $A"
	B=$(sed -n 's/^done: .* (run \(.*\))$/\1/p' "$W/out")
	check "not before the lease expired" yes "$(q "select case when started_at >= '$expires' then 'yes' else
		'no: ' || started_at || ' < $expires' end from $M.dla_run where run_id = '$B'")"
	check "the dead run recorded failed" "failed|lease expired: run did not finish" \
		"$(q "select status, message from $M.dla_run where run_id = '$A'")"
	check "nothing left running" "0" "$(q "select count(*) from $M.dla_run where status = 'running'")"
	check "lock released" "0" "$(q "select count(*) from $M.dla_lock")"
}

# ======================================================================== pg
TARGET=pg
if [ -z "${PGPORT:-}" ] || ! command -v psql >/dev/null 2>&1; then
	echo "concurrency: PostgreSQL not started by the runner (tests/integration/run.sh)" >&2
	exit 1
fi

# the reference: batch 1, then batch 2 uninterrupted
new_project
pg_db conc_ref
load_batch1
run run --as-of "$AS2"
check "reference run" 0 "$RC"
dump "$W/ref.dump"

# ---- lost connection mid-node ---------------------------------------------
# lost_conn FORMAT: batch 2 with dim_customer's backend terminated; the
# SQLSTATE in the JSON log (json) or on stderr (text); then dla retry.
lost_conn() {
	pg_db conc_it
	load_batch1
	close_gate
	"$DLA" --project "$P" --target "$TARGET" run --as-of "$AS2" --threads 1 --log-format "$1" \
		>"$W/out" 2>"$W/err" &
	BG=$!        # not through dla(): $! must be dla itself
	pid=""; i=0
	while [ "$i" -lt 600 ] && [ -z "$pid" ]; do   # until a worker waits at the gate
		pid=$(q "select a.pid from pg_stat_activity a, pg_stat_activity g
			where g.application_name = 'dla_it_gate' and g.pid = any(pg_blocking_pids(a.pid))
			and a.datname = 'conc_it' and a.query like '%dla_stage%'")
		[ -n "$pid" ] || sleep 0.1
		i=$((i + 1))
	done
	if [ -z "$pid" ]; then
		bad "$1: dim_customer never waited at the gate in its view"
	else
		gated "$1: the run, dim_customer at the gate" "$BG"
		check "$1: backend terminated" "t" "$(q "select pg_terminate_backend($pid)")"
	fi
	open_gate
	wait_exit "$BG" 60
	RC=$WAIT_RC
	BG=""
	check "$1: lost connection exit" 1 "$RC"
	LR=$(q "select max(run_id) from $M.dla_run")
	# the worker reconnected: the nodes after dim_customer ran
	check "$1: lost connection: node statuses" "dim_customer|failed
dim_product|success
fact_daily|success
fact_sales|skipped
rpt_city_sales|skipped
v_customer|success
v_daily|success
v_product|success
v_sales|success" "$(q "select node, status from $M.dla_node_run where run_id = '$LR' order by node")"
	check "$1: lost connection: skipped for the failure" "upstream 'dim_customer' failed
upstream 'dim_customer' failed" "$(q "select message from $M.dla_node_run where run_id = '$LR' and status = 'skipped' order by node")"
	message=$(q "select message from $M.dla_node_run where run_id = '$LR' and node = 'dim_customer'")
	case $message in
	*"[57P01]"*|*"[08"???"]"*) ok ;;
	*) bad "$1: lost connection: node message without SQLSTATE 57P01/08xxx: $message" ;;
	esac
	if [ "$1" = json ]; then
		sqlstate=$("$PY" - "$W/out" <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["event"] == "node_end" and e["node"] == "dim_customer":
        print(e["status"], (e["error"] or {}).get("sqlstate"))
EOF
)
		case $sqlstate in
		"failed 57P01"|"failed 08"???) ok ;;
		*) bad "json: node_end of dim_customer: '$sqlstate' (want failed 57P01 or 08xxx)" ;;
		esac
	else
		case $(cat "$W/err") in
		*"dla: node 'dim_customer' failed: "*"[57P01]"*|*"dla: node 'dim_customer' failed: "*"[08"???"]"*) ok ;;
		*) bad "text: stderr lacks the failure with its SQLSTATE: $(cat "$W/err")" ;;
		esac
		has "text: the summary" "$W/out" "done: failed, 6 ok, 1 failed, 2 skipped"
	fi
	check "$1: lost connection: run failed, lock released" "failed|0" \
		"$(q "select status, (select count(*) from $M.dla_lock) from $M.dla_run where run_id = '$LR'")"
	run retry
	check "$1: retry after the lost connection" 0 "$RC"
	has "$1: retry ran what was lost" "$W/out" "done: success, 3 ok, 0 failed, 0 skipped"
	dump "$W/lc.dump"
	check "$1: retry converged to the uninterrupted run" "" "$(diff "$W/ref.dump" "$W/lc.dump")"
}
section "lost_conn text"
lost_conn text
lost_conn json

# ---- the main connection lost mid-run ---------------------------------------
# Its session holds the advisory lock, renews the 3 s lease and writes the
# records.  main_lost RETURNS: the advisory lock holder's backend is
# terminated while dim_customer waits at the gate; "back": dla reconnects
# (the advisory lock held by a new session) and renews while the node still
# waits, then the gate opens and it records everything, exit 0; "never":
# role dla may not connect any more (CONNECTION LIMIT 0), so the lease
# cannot be renewed: the run stops before it could expire, while the node
# still waits at the closed gate (rolls it back), exit 3; the next run takes
# over and completes.
advisory_holders() { # the backends holding an advisory lock in conc_it
	psql -X -q -At -h "$DLA_PG_SOCKET" -U postgres -d postgres -c "select pid from pg_locks
		where locktype = 'advisory' and granted
		and database = (select oid from pg_database where datname = 'conc_it')" 2>&1
}
reconnected() { # reconnected OLD-PIDS: a new session holds the advisory lock
	new=$(advisory_holders)
	case $new in ""|*[!0-9]*) return 1 ;; esac
	[ "$new" != "$1" ]
}
main_lost() {
	pg_db conc_it
	load_batch1
	dim_before=$(q "select count(*) from presentation.dim_customer")
	close_gate
	"$DLA" --project "$P" --target "$TARGET" run --as-of "$AS2" >"$W/out" 2>"$W/err" &
	BG=$!        # not through dla(): $! must be dla itself
	ML=$(wait_lock) || bad "main lost ($1): never took the lock"
	at_gate "$BG"
	gated "main lost ($1): dim_customer at the gate" "$BG"
	old=$(advisory_holders)
	[ "$1" = never ] && admin "alter role dla connection limit 0"
	check "main lost ($1): backend terminated" "t" "$(psql -X -q -At -h "$DLA_PG_SOCKET" -U postgres \
		-d postgres -c "select pg_terminate_backend(pid) from pg_locks where locktype = 'advisory'
		and database = (select oid from pg_database where datname = 'conc_it')" 2>&1)"
	t0=$(now_ms)
	if [ "$1" = back ]; then
		wait_until 60 reconnected "$old" || bad "main lost (back): no new session took the advisory lock"
		gated "main lost (back): reconnected while dim_customer waits" "$BG"
		open_gate
	fi
	wait_exit "$BG" 60
	RC=$WAIT_RC
	t1=$(now_ms)
	BG=""
	if [ "$1" = never ]; then
		check "main lost (never): stopped while dim_customer waited at the gate" yes \
			"$(gate_is_closed && echo yes || echo no)"
		admin "alter role dla connection limit -1"
		open_gate
	fi
	if [ "$1" = back ]; then
		check "main lost (back): exit" 0 "$RC"
		has "main lost (back): says so" "$W/err" "the main connection to the database was lost; reconnected, the run lock is still held"
		check "main lost (back): everything recorded" "success|9|0" "$(q "select status,
			(select count(*) from $M.dla_node_run where run_id = '$ML' and status = 'success'),
			(select count(*) from $M.dla_lock) from $M.dla_run where run_id = '$ML'")"
	else
		check "main lost (never): exit" 3 "$RC"
		has "main lost (never): lock lost" "$W/err" "run lock lost: its lease could not be renewed for "
		check "main lost (never): stopped before its lease could expire" yes \
			"$([ $((t1 - t0)) -lt 4000 ] && echo yes || echo "no: $((t1 - t0)) ms")"
		check "main lost (never): dim_customer rolled back" "$dim_before" \
			"$(q "select count(*) from presentation.dim_customer")"
		run run --as-of "$AS2"
		check "main lost (never): next run" 0 "$RC"
		has "main lost (never): next run takes over" "$W/err" "took over the lock of run $ML"
		check "main lost (never): the lost run recorded failed" "failed" \
			"$(q "select status from $M.dla_run where run_id = '$ML'")"
	fi
	dump "$W/ml.dump"
	check "main lost ($1): the uninterrupted run's warehouse" "" "$(diff "$W/ref.dump" "$W/ml.dump")"
}
admin() { # admin SQL: as the superuser over the unix socket
	psql -X -q -h "$DLA_PG_SOCKET" -U postgres -d postgres -v ON_ERROR_STOP=1 -c "$1" >/dev/null ||
		bad "admin: $1"
}
section "main connection lost"
main_lost back
main_lost never

# ---- the database down at start --------------------------------------------
before=$(counts)
PGPORT_SAVED=$PGPORT
PGPORT=1
t0=$(now_ms)
run run --as-of "$AS3"
t1=$(now_ms)
check "database down: exit" 3 "$RC"
has "database down: clear message" "$W/err" "dla run: cannot connect to target 'pg': "
check "database down: at once" yes "$([ $((t1 - t0)) -lt 5000 ] && echo yes || echo "no: $((t1 - t0)) ms")"
run retry --as-of "$AS3"
check "database down: retry exit" 3 "$RC"
has "database down: retry message" "$W/err" "dla retry: cannot connect to target 'pg': "
PGPORT=$PGPORT_SAVED
check "database down: nothing recorded" "$before" "$(counts)"
run retry --as-of "$AS3"
check "retry once the database is back" 0 "$RC"
has "retry ran everything" "$W/out" "done: success, 9 ok, 0 failed, 0 skipped"
check "retry recorded as of the missed run" "retry|NULL|$AS3|success" \
	"$(q "select command, retry_of, as_of, status from $M.dla_run where run_id = (select max(run_id) from $M.dla_run)")"
dump "$W/down.dump"
check "retry after the outage: same warehouse" "" "$(diff "$W/ref.dump" "$W/down.dump")"

# ---- concurrent runs ---------------------------------------------------------
section "lock_held"
lock_held
pg_db conc_new            # seeded, no metadata yet: two first runs at once
dla seed >/dev/null 2>"$W/err" || bad "seed: $(cat "$W/err")"
dla seed --from "$P/seeds/batch2" >/dev/null 2>"$W/err" || bad "seed 2: $(cat "$W/err")"
section "race_round new warehouse"
race_round "new warehouse"
race_round "loaded warehouse 1"
race_round "loaded warehouse 2"
pg_db conc_it
load_batch1
section "other_host"
other_host
dump "$W/oh.dump"
check "after the takeover: same warehouse" "" "$(diff "$W/ref.dump" "$W/oh.dump")"
PGDATABASE=$PG_HOME_DB

section "sqlite"
# ==================================================================== sqlite
TARGET=local
new_project
load_batch1
run run --as-of "$AS2"
check "sqlite reference" 0 "$RC"
dump "$W/ref.dump"
new_project
# the database cannot be opened: its directory is a file
: >"$P/.dla"
run run --as-of "$AS1"
check "sqlite unopenable: exit" 3 "$RC"
has "sqlite unopenable: message" "$W/err" "dla run: cannot connect to target 'local': "
rm -f "$P/.dla"
dla seed >/dev/null 2>"$W/err" || bad "seed: $(cat "$W/err")"
rm -f "$P/.dla/$M.db"      # seeded, no metadata yet: two first runs at once
section "race_round new warehouse"
race_round "new warehouse"
new_project
load_batch1
section "lock_held"
lock_held
race_round "loaded warehouse 1"
race_round "loaded warehouse 2"
new_project
load_batch1
section "other_host"
other_host
dump "$W/oh.dump"
check "after the takeover: same warehouse" "" "$(diff "$W/ref.dump" "$W/oh.dump")"

echo "concurrency: $passed passed, $failed failed"
[ "$failed" = 0 ]
