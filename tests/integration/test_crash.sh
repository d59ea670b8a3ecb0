#!/bin/sh
# test_crash.sh DLA_BIN - crash consistency: `dla run` killed with a real
# SIGKILL at every statement boundary of a multi-node run, then run again,
# must leave the warehouse exactly as an uninterrupted run does; on SQLite
# and on PostgreSQL (docs/RELIABILITY.md).
#
# Project projects/crash: views v_customer, v_product, v_sales, v_daily (a
# view over a view) and rpt_city_sales (over the results); dim_customer
# (type 2 with a type 1 column, on_delete: close), dim_product (type 1);
# fact_sales (incremental with lookback, a point-in-time lookup inferring
# missing members, a plain lookup), fact_daily (delete_insert).  Batch 1
# is loaded, batch 2 seeded: that warehouse is the base every attempt
# starts from (a copy of the SQLite files; a PostgreSQL database created
# from a template), so the batch 2 run executes the same statements in the
# same order every time (same history, --threads 1).
#
# The hook: DLA_TEST_STOP_AFTER_STMT=k makes dla SIGKILL itself right
# after the k-th statement of a node transaction (list statements, COMMIT,
# cleanup), =meta:k after the k-th metadata step of the main thread, =0
# only traces (orchestrator/runner.c).  For each boundary:
#   1. kill the batch 2 run there (exit 137, the statement named in the
#      trace is the one the reference run executed as number k);
#   2. the warehouse right after the kill: a kill inside a node's
#      transaction leaves every target table exactly as after the last
#      COMMIT before it (no half-loaded node); a COMMIT changes only the
#      tables of its node; a metadata kill leaves some COMMIT's state;
#   3. run again (`dla run --as-of` and `dla retry --as-of` alternately):
#      exit 0, the lock taken over at once (same host, pid gone: stderr
#      says so), the killed run recorded `failed`, nothing left `running`,
#      the lock released, and every target table equal to the
#      uninterrupted run's (ordered dump, without dla_run_id /
#      dla_updated_at / dla_loaded_at; its invariants: no duplicate or
#      overlapping versions, one current version per key, unique grain).
# Every boundary by default; CRASH_STEP=n kills at every COMMIT, the last
# statement and every n-th other statement only (the ASan pass of
# `make integration-asan` uses it to stay short).
set -u
DLA=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
STEP=${CRASH_STEP:-1}
AS1='2026-01-01 00:00:00'
AS2='2026-01-02 00:00:00'
M=crash_meta
passed=0; failed=0

ok()   { passed=$((passed + 1)); }
bad()  { failed=$((failed + 1)); echo "crash[$TARGET]: FAIL: $*" >&2; }
check() { # check NAME EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then ok; else
		bad "$1"; printf '  expected:\n%s\n  actual:\n%s\n' "$2" "$3" >&2; fi
}

# SIGKILL loses no page cache: tmpfs (no fsync cost) is as good a disk as
# any for a process crash, and makes the SQLite part ten times faster.
if [ -d /dev/shm ] && [ -w /dev/shm ]; then WBASE=/dev/shm; else WBASE=${TMPDIR:-/tmp}; fi
W=$(mktemp -d "$WBASE/dla-crash.XXXXXX") || exit 1
P=$W/proj
cleanup() {
	rm -rf "$W"
	if [ -n "${PG_DBS:-}" ]; then
		for db in $PG_DBS; do
			psql -X -q -d "${PG_HOME_DB:-dla}" -c "drop database if exists $db with (force)" \
				>/dev/null 2>&1
		done
	fi
}
trap cleanup EXIT
cp -R "$HERE/projects/crash" "$P"

q() { # q SQL: rows as a|b lines, NULL as NULL
	if [ "$TARGET" = local ]; then
		sqlite3 -cmd '.timeout 10000' -separator '|' -nullvalue NULL "$P/.dla/warehouse.db" \
			"attach '$P/.dla/presentation.db' as presentation;
			 attach '$P/.dla/$M.db' as $M; $1"
	else
		psql -X -q -h "${DLA_PG_SOCKET:-$PGHOST}" -At -F '|' -P null=NULL -v ON_ERROR_STOP=1 \
			-c "$1" 2>&1
	fi
}
dla() { "$DLA" --project "$P" --target "$TARGET" "$@"; }

# The ordered dump of every target table (housekeeping columns left out)
# and the invariants a loaded warehouse keeps, as one SQL script built from
# the catalog of the reference warehouse.
build_dump_sql() {
	if [ "$TARGET" = local ]; then
		tables=$(q "select name from presentation.sqlite_master where type = 'table' order by name")
	else
		tables=$(q "select table_name from information_schema.tables where table_schema = 'presentation'
			and table_type = 'BASE TABLE' order by table_name")
	fi
	DUMP_SQL=""
	for t in $tables; do
		if [ "$TARGET" = local ]; then
			cols=$(q "select name from pragma_table_info('$t', 'presentation') order by cid")
		else
			cols=$(q "select column_name from information_schema.columns where table_schema =
				'presentation' and table_name = '$t' order by ordinal_position")
		fi
		list=""; order=""; i=0
		for c in $cols; do
			case $c in dla_run_id|dla_updated_at|dla_loaded_at) continue ;; esac
			i=$((i + 1))
			list="$list${list:+, }$c"
			order="$order${order:+, }$i"
		done
		DUMP_SQL="$DUMP_SQL select '== $t'; select $list from presentation.$t order by $order;"
	done
	# invariants: duplicate versions, overlapping versions, keys with more
	# than one current version (the unknown member included), duplicate grain
	DUMP_SQL="$DUMP_SQL select '== invariants';
	select 'duplicate versions', count(*) from (select customer_id, valid_from from
		presentation.dim_customer group by customer_id, valid_from having count(*) > 1) d;
	select 'overlapping versions', count(*) from presentation.dim_customer a
		join presentation.dim_customer b on b.customer_id = a.customer_id
		and b.customer_sk <> a.customer_sk and b.valid_from < a.valid_to
		and a.valid_from < b.valid_to;
	select 'several current', count(*) from (select customer_id from presentation.dim_customer
		where is_current group by customer_id having count(*) > 1) d;
	select 'duplicate products', count(*) from (select product_id from presentation.dim_product
		group by product_id having count(*) > 1) d;
	select 'duplicate sales grain', count(*) from (select order_id, line_no from
		presentation.fact_sales group by order_id, line_no having count(*) > 1) d;
	select 'duplicate daily grain', count(*) from (select sale_date, product_id from
		presentation.fact_daily group by sale_date, product_id having count(*) > 1) d;"
}

# state NAME: dumps the warehouse into $W/NAME.dump and writes one line per
# table ("table sha256-prefix rows") into $W/NAME.
state() {
	q "$DUMP_SQL" >"$W/$1.dump"
	"$PY" - "$W/$1.dump" >"$W/$1" <<'EOF'
import hashlib, sys
tables, cur = {}, None
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    if line.startswith("== "):
        cur = line[3:].strip()
        tables[cur] = []
    elif cur is not None:
        tables[cur].append(line)
for t in sorted(tables):
    print(t, hashlib.sha256("".join(tables[t]).encode()).hexdigest()[:16], len(tables[t]))
EOF
}
# changed A B: the tables whose content differs between states A and B
changed() {
	join "$W/$1" "$W/$2" | awk '$2 != $4 { printf "%s%s", sep, $1; sep = " " }'
}
same_state() { cmp -s "$W/$1" "$W/$2"; }

# A fresh copy of the base warehouse (batch 1 loaded, batch 2 seeded):
# SQLite, a copy of its files; PostgreSQL, every table of the warehouse
# (targets, sources, metadata) emptied and refilled from a snapshot taken
# of the base, in one transaction (what the killed run's dead session may
# still lock, it waits for).
snapshot_base() {
	if [ "$TARGET" = local ]; then
		cp -R "$P/.dla" "$W/base.dla"
		return
	fi
	snap="drop schema if exists crash_snap cascade; create schema crash_snap;"
	RESTORE_SQL=""
	for st in $(q "select table_schema || '.' || table_name from information_schema.tables
		where table_schema in ('presentation', 'staging', '$M') and table_type = 'BASE TABLE'
		order by 1"); do
		copy=crash_snap.$(echo "$st" | tr . _)
		snap="$snap create table $copy as select * from $st;"
		RESTORE_SQL="$RESTORE_SQL truncate $st; insert into $st select * from $copy;"
	done
	q "$snap" >/dev/null
}
fresh() {
	if [ "$TARGET" = local ]; then
		rm -rf "$P/.dla"
		cp -R "$W/base.dla" "$P/.dla"
	else
		q "begin; $RESTORE_SQL commit;" >"$W/restore.err" ||
			{ bad "cannot restore the base: $(cat "$W/restore.err")"; return 1; }
	fi
}

# Tables a node's COMMIT may change.
writes() {
	case $1 in
	dim_customer) echo dim_customer ;;
	dim_product) echo dim_product ;;
	fact_sales) echo dim_customer fact_sales ;;   # inferred members
	fact_daily) echo fact_daily ;;
	*) echo "" ;;
	esac
}
subset() { # subset "A B" "C D E": every word of A is in B
	for x in $1; do case " $2 " in *" $x "*) ;; *) return 1 ;; esac; done
	return 0
}

# attempt SPEC MODE: kill the batch 2 run at SPEC, check the state into
# $W/kill, rerun with MODE (run | retry), compare with the reference.
attempt() {
	spec=$1 mode=$2
	fresh || return
	DLA_TEST_STOP_AFTER_STMT=$spec dla run --as-of "$AS2" >"$W/k.out" 2>"$W/k.err"
	krc=$?
	if [ "$krc" != 137 ]; then
		bad "$spec: killed run exit $krc, not 137 (SIGKILL)"
		sed 's/^/  | /' "$W/k.err" | tail -5 >&2
		return
	fi
	ok
	killed=$(grep '(SIGKILL)$' "$W/k.err" | sed 's/^dla: test: //; s/ (SIGKILL)$//')
	expected=$(sed -n "/^$(echo "$spec" | sed 's/^meta:/meta /; s/^\([0-9]\)/stmt \1/'): /p" "$W/ref.trace")
	check "$spec: the kill hit the reference run's boundary" "$expected" "$killed"
	state kill
	# the lock's holder and the killed run's id, if it got that far
	set -- $(q "select coalesce((select max(run_id) from $M.dla_lock), '-') || ' ' ||
		coalesce((select min(run_id) from $M.dla_run where run_id > '$BASE_RUN'), '-')")
	holder=${1:--} KILLED_RUN=${2:--}
	[ "$holder" = - ] && holder=""
	[ "$KILLED_RUN" = - ] && KILLED_RUN=""
	if [ "$mode" = run ]; then
		dla run --as-of "$AS2" >"$W/r.out" 2>"$W/r.err"
	else
		dla retry --as-of "$AS2" >"$W/r.out" 2>"$W/r.err"
	fi
	rrc=$?
	if [ "$rrc" != 0 ]; then
		bad "$spec: $mode after the kill exit $rrc"; sed 's/^/  | /' "$W/r.err" >&2
		return
	fi
	ok
	state rerun
	if same_state rerun ref; then ok; else
		bad "$spec: $mode after the kill differs from the uninterrupted run in: $(changed rerun ref)"
		diff "$W/ref.dump" "$W/rerun.dump" | head -20 | sed 's/^/  | /' >&2
	fi
	if [ -n "$holder" ]; then
		case $(cat "$W/r.err") in
		*"took over the lock of run $holder"*) ok ;;
		*) bad "$spec: the rerun did not say it took over the lock of $holder: $(cat "$W/r.err")" ;;
		esac
	fi
	# after the rerun: nothing running, the lock released, the killed run
	# recorded: it keeps its end when killed after recording it, any other
	# is recorded failed by the takeover
	case $expected in
	*"run finished"|*"lock released") want="success|NULL" ;;
	*) want="failed|holder process * on '*' is gone" ;;
	esac
	[ -n "$KILLED_RUN" ] || want="no run row"
	got=$(q "select (select count(*) from $M.dla_run where status = 'running') || ' ' ||
		(select count(*) from $M.dla_lock) || ' ' || coalesce((select status || '|' ||
		coalesce(message, 'NULL') from $M.dla_run where run_id = '$KILLED_RUN'), 'no run row')")
	case $got in
	"0 0 "$want) ok ;;
	*) bad "$spec: after the rerun (running runs, lock rows, the killed run): '$got', not '0 0 $want'" ;;
	esac
}

scenario() {
	TARGET=$1
	if [ "$TARGET" = pg ]; then
		PG_HOME_DB=${PGDATABASE:-dla}
		PG_DBS=crash_it
		PGDATABASE=$PG_HOME_DB psql -X -q -v ON_ERROR_STOP=1 \
			-c "set client_min_messages = warning" \
			-c "drop database if exists crash_it with (force)" \
			-c "create database crash_it" >/dev/null || { bad "cannot create crash_it"; return; }
		PGDATABASE=crash_it
		export PGDATABASE
	fi
	rm -rf "$P/.dla"
	started=$(date +%s)

	# ---- the base: batch 1 loaded, batch 2 seeded --------------------------
	dla seed >/dev/null 2>"$W/err" || { bad "seed: $(cat "$W/err")"; return; }
	dla run --as-of "$AS1" >"$W/out" 2>"$W/err" || { bad "batch 1: $(cat "$W/out" "$W/err")"; return; }
	dla seed --from "$P/seeds/batch2" >/dev/null 2>"$W/err" || { bad "seed batch 2: $(cat "$W/err")"; return; }
	BASE_RUN=$(q "select max(run_id) from $M.dla_run")
	build_dump_sql
	state base
	snapshot_base

	# ---- the reference: batch 2 uninterrupted, traced (twice: same order) --
	for i in 1 2; do
		fresh || return
		DLA_TEST_STOP_AFTER_STMT=0 dla run --as-of "$AS2" >"$W/out" 2>"$W/err.$i"
		check "reference run $i exit" 0 "$?"
		sed -n 's/^dla: test: \(stmt [0-9]*: .*\)$/\1/p' "$W/err.$i" >"$W/trace.$i"
	done
	check "the reference order is repeatable" "" "$(diff "$W/trace.1" "$W/trace.2")"
	sed -n 's/^dla: test: //p' "$W/err.2" >"$W/ref.trace"
	state ref
	K=$(grep -c '^stmt ' "$W/ref.trace")
	MK=$(grep -c '^meta ' "$W/ref.trace")
	COMMITS=$(grep -c '^stmt [0-9]*: [a-z_]*: commit$' "$W/ref.trace")
	# the reference itself: batch 2 applied, invariants hold
	check "reference: every table changed" "dim_customer dim_product fact_daily fact_sales" "$(changed base ref)"
	check "reference invariants" "duplicate versions|0
overlapping versions|0
several current|0
duplicate products|0
duplicate sales grain|0
duplicate daily grain|0" "$(sed -n '/^== invariants/,$p' "$W/ref.dump" | tail -n +2)"
	check "reference: Bob moved and Cid's tier came (type 2), Cid's email (type 1), Eve closed, 7 inferred" \
		"2|Berlin|bob@x.com|0
2|Munich|bob@x.com|1
3|Toronto|cid@new.com|0
3|Toronto|cid@new.com|1
5|Rome|eve@x.com|0
7|NULL|NULL|1" "$(q "select customer_id, city, email, case when is_current then 1 else 0 end
		from presentation.dim_customer where customer_id in (2, 3, 5, 7) order by customer_id, valid_from")"

	# ---- every statement boundary ------------------------------------------
	cp "$W/base" "$W/cur"          # the state after the last COMMIT so far
	cp "$W/base" "$W/commit.0"
	killed_stmts=0; n_commits=0; k=1
	while [ "$k" -le "$K" ]; do
		line=$(sed -n "s/^stmt $k: //p" "$W/ref.trace")
		node=${line%%:*}
		is_commit=no
		[ "${line#*: }" = commit ] && is_commit=yes
		if [ "$is_commit" = no ] && [ $((k % STEP)) != 0 ] && [ "$k" != "$K" ]; then
			k=$((k + 1)); continue
		fi
		if [ $((killed_stmts % 2)) = 0 ]; then mode=run; else mode=retry; fi
		attempt "$k" "$mode"
		killed_stmts=$((killed_stmts + 1))
		if [ "$is_commit" = yes ]; then
			ch=$(changed cur kill)
			if subset "$ch" "$(writes "$node")"; then ok; else
				bad "stmt $k: the commit of $node changed: $ch"; fi
			cp "$W/kill" "$W/cur"
			n_commits=$((n_commits + 1))
			cp "$W/kill" "$W/commit.$n_commits"
		elif same_state kill cur; then
			ok
		else
			bad "stmt $k ($line): half-loaded: $(changed cur kill) differ from the last commit"
		fi
		k=$((k + 1))
	done
	check "after the last commit: the reference" "" "$(changed cur ref)"
	check "every commit killed" "$COMMITS" "$n_commits"

	# ---- every metadata step ----------------------------------------------
	j=1
	while [ "$j" -le "$MK" ]; do
		if [ $((j % 2)) = 0 ]; then mode=run; else mode=retry; fi
		attempt "meta:$j" "$mode"
		found=no
		for s in "$W"/commit.*; do
			same_state kill "${s#"$W"/}" && found=yes
		done
		check "meta:$j: the warehouse is some commit's state" yes "$found"
		j=$((j + 1))
	done

	secs=$(( $(date +%s) - started ))
	echo "crash[$TARGET]: $killed_stmts of $K statement boundaries ($COMMITS commits) and $MK metadata steps killed, $((killed_stmts + MK)) reruns compared with the reference in ${secs}s"
	if [ "$TARGET" = pg ]; then
		PGDATABASE=$PG_HOME_DB
		psql -X -q -c "set client_min_messages = warning" \
			-c "drop database if exists crash_it with (force)" >/dev/null 2>&1
		PG_DBS=""
	fi
}

scenario local
if [ -n "${PGPORT:-}" ] && command -v psql >/dev/null 2>&1; then
	scenario pg
else
	echo "crash: PostgreSQL not started by the runner (tests/integration/run.sh): SQLite only" >&2
	failed=$((failed + 1))
fi

echo "crash: $passed passed, $failed failed"
[ "$failed" = 0 ]
