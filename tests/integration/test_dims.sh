#!/bin/sh
# test_dims.sh DLA_BIN - type 1 / type 2 dimension loads end to end with the
# real binary, on SQLite and (when the integration runner started it) on
# PostgreSQL: first load, changes, new keys, NULL transitions, unchanged
# reruns, duplicate and NULL key failures, unknown member, metadata rows,
# the run lock held by another run and an expired lease taken over.
set -u
DLA=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
passed=0; failed=0

ok()   { passed=$((passed + 1)); }
bad()  { failed=$((failed + 1)); echo "dims[$TARGET]: FAIL: $*" >&2; }
check() { # check NAME EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then ok; else
		bad "$1"; printf '  expected:\n%s\n  actual:\n%s\n' "$2" "$3" >&2; fi
}

q() { # q SQL : rows as a|b|c lines, NULL as empty
	if [ "$TARGET" = local ]; then
		sqlite3 -separator '|' "$WORK/.dla/warehouse.db" \
			"attach '$WORK/.dla/presentation.db' as presentation;
			 attach '$WORK/.dla/dla_meta.db' as dla_meta;
			 attach '$WORK/.dla/staging.db' as staging; $1"
	else
		psql -X -q -At -F '|' -v ON_ERROR_STOP=1 -c "$1" 2>&1
	fi
}

seed() { # seed CSV-TEXT
	printf '%s\n' "$1" > "$WORK/seeds/customer.csv"
	"$DLA" --project "$WORK" --target "$TARGET" seed >/dev/null 2>"$WORK/seed.err" ||
		{ bad "seed failed: $(cat "$WORK/seed.err")"; }
}

run() { # run AS_OF : sets RC, OUT, ERR
	"$DLA" --project "$WORK" --target "$TARGET" run --as-of "$1" >"$WORK/out" 2>"$WORK/err"
	RC=$?
	OUT=$(cat "$WORK/out"); ERR=$(cat "$WORK/err")
}

DIM="select customer_sk, customer_id, name, email, city, valid_from, valid_to,
            case when is_current then 1 else 0 end
     from presentation.dim_customer order by customer_sk"

scenario() {
	TARGET=$1
	WORK=$(mktemp -d)
	cp -R "$HERE/projects/dims/." "$WORK/"
	mkdir -p "$WORK/seeds"
	if [ "$TARGET" = pg ]; then
		psql -X -q -c "drop schema if exists presentation cascade; drop schema if exists staging cascade;
			drop schema if exists dla_views cascade; drop schema if exists dla_meta cascade" >/dev/null 2>&1
	fi

	# 1: first load, with a NULL email
	seed 'customer_id,name,email,city
1,Ann,ANN@x.com,Lyon
2,Bob,bob@x.com,Berlin
3,Cid,,Toronto'
	run '2026-01-01 00:00:00'
	check "first load exit" 0 "$RC"
	case "$OUT" in *"OK   dim_customer"*"+3 ~0 -0"*) ok ;; *) bad "first load line: $OUT $ERR" ;; esac
	check "first load rows" "-1||Unknown|Unknown|Unknown|1900-01-01 00:00:00|9999-12-31 00:00:00|1
1|1|Ann|ann@x.com|Lyon|2026-01-01 00:00:00|9999-12-31 00:00:00|1
2|2|Bob|bob@x.com|Berlin|2026-01-01 00:00:00|9999-12-31 00:00:00|1
3|3|Cid||Toronto|2026-01-01 00:00:00|9999-12-31 00:00:00|1" "$(q "$DIM")"

	# 2: type 1 change, type 2 change, NULL -> value (type 1), new key with NULL city
	seed 'customer_id,name,email,city
1,Ann,ann@new.com,Lyon
2,Bob,bob@x.com,Munich
3,Cid,cid@x.com,Toronto
4,Dee,dee@x.com,'
	run '2026-02-01T00:00:00Z'
	check "changes exit" 0 "$RC"
	case "$OUT" in *"+2 ~2 -1"*) ok ;; *) bad "changes counts: $OUT $ERR" ;; esac
	check "changes rows" "-1||Unknown|Unknown|Unknown|1900-01-01 00:00:00|9999-12-31 00:00:00|1
1|1|Ann|ann@new.com|Lyon|2026-01-01 00:00:00|9999-12-31 00:00:00|1
2|2|Bob|bob@x.com|Berlin|2026-01-01 00:00:00|2026-02-01 00:00:00|0
3|3|Cid|cid@x.com|Toronto|2026-01-01 00:00:00|9999-12-31 00:00:00|1
4|2|Bob|bob@x.com|Munich|2026-02-01 00:00:00|9999-12-31 00:00:00|1
5|4|Dee|dee@x.com||2026-02-01 00:00:00|9999-12-31 00:00:00|1" "$(q "$DIM")"
	before=$(q "$DIM")

	# 3: unchanged reruns, same and later as-of: nothing touched
	run '2026-02-01 00:00:00'
	case "$OUT" in *"+0 ~0 -0"*) ok ;; *) bad "rerun same as-of: $OUT $ERR" ;; esac
	run '2026-03-01 00:00:00'
	case "$OUT" in *"+0 ~0 -0"*) ok ;; *) bad "rerun later as-of: $OUT $ERR" ;; esac
	check "rerun rows" "$before" "$(q "$DIM")"

	# 4: value -> NULL (type 1) and NULL -> value (type 2)
	seed 'customer_id,name,email,city
1,Ann,ann@new.com,Lyon
2,Bob,bob@x.com,Munich
3,Cid,,Toronto
4,Dee,dee@x.com,Paris'
	run '2026-03-01 00:00:00'
	case "$OUT" in *"+1 ~1 -1"*) ok ;; *) bad "NULL transitions: $OUT $ERR" ;; esac
	check "NULL transitions rows" "3|3|Cid||Toronto|2026-01-01 00:00:00|9999-12-31 00:00:00|1
5|4|Dee|dee@x.com||2026-02-01 00:00:00|2026-03-01 00:00:00|0
6|4|Dee|dee@x.com|Paris|2026-03-01 00:00:00|9999-12-31 00:00:00|1" \
		"$(q "$DIM" | grep -E '^(3|5|6)\|')"
	before=$(q "$DIM")

	# 5: duplicate business key: node fails, nothing written, exit 1
	seed 'customer_id,name,email,city
1,Ann,ann@new.com,Nice
1,Ann B,ann@b.com,Lyon
2,Bob,bob@x.com,Munich'
	run '2026-04-01 00:00:00'
	check "duplicate key exit" 1 "$RC"
	case "$ERR" in *"duplicate business key in source 'v_customer'"*"customer_id=1"*) ok ;;
		*) bad "duplicate key message: $ERR" ;; esac
	check "duplicate key wrote nothing" "$before" "$(q "$DIM")"
	check "duplicate key recorded" "failed" \
		"$(q "select status from dla_meta.dla_node_run where node = 'dim_customer' order by started_at desc, run_id desc limit 1")"

	# 6: NULL business key: same
	seed 'customer_id,name,email,city
,Nobody,n@x.com,Rome
2,Bob,bob@x.com,Munich'
	run '2026-04-01 00:00:00'
	check "NULL key exit" 1 "$RC"
	case "$ERR" in *"NULL business key in source 'v_customer'"*) ok ;; *) bad "NULL key message: $ERR" ;; esac
	check "NULL key wrote nothing" "$before" "$(q "$DIM")"

	# 7: metadata of run 2 (the changes): counts and lineage
	check "node counts" "dim_customer|dimension|success|2|2|1|0" \
		"$(q "select n.node, n.kind, n.status, n.rows_inserted, n.rows_updated, n.rows_expired, n.rows_deleted
		      from dla_meta.dla_node_run n join dla_meta.dla_run r on r.run_id = n.run_id
		      where n.node = 'dim_customer' and cast(r.as_of as varchar(32)) like '2026-02-01%' order by n.run_id limit 1")"
	check "lineage" "dim_customer|dla_views.v_customer|presentation.dim_customer
v_customer|staging.customer|dla_views.v_customer" \
		"$(q "select node, input_relation, output_relation from dla_meta.dla_lineage
		      where run_id = (select min(run_id) from dla_meta.dla_run) order by node")"
	check "run statuses" "success|5
failed|2" "$(q "select status, count(*) from dla_meta.dla_run group by status order by status desc")"

	# 8: another live run holds the lock: exit 3, nothing recorded
	seed 'customer_id,name,email,city
1,Ann,ann@new.com,Lyon'
	runs_before=$(q "select count(*) from dla_meta.dla_run")
	q "insert into dla_meta.dla_lock (lock_name, run_id, holder_host, holder_pid, acquired_at, expires_at)
	   values ('run', 'other-run', '$(hostname)', $$, '2026-01-01 00:00:00', '2999-01-01 00:00:00')" >/dev/null
	run '2026-05-01 00:00:00'
	check "locked exit" 3 "$RC"
	case "$ERR" in *"locked by run other-run since 2026-01-01 00:00:00"*) ok ;; *) bad "locked message: $ERR" ;; esac
	check "locked wrote no run" "$runs_before" "$(q "select count(*) from dla_meta.dla_run")"

	# 9: a crashed holder whose lease expired is taken over and recorded failed
	q "delete from dla_meta.dla_lock" >/dev/null
	q "insert into dla_meta.dla_run (run_id, project, target, command, started_at, status, dla_version)
	   values ('0-stale', 'dims_it', '$TARGET', 'run', '2026-01-01 00:00:00', 'running', '0')" >/dev/null
	q "insert into dla_meta.dla_lock (lock_name, run_id, holder_host, holder_pid, acquired_at, expires_at)
	   values ('run', '0-stale', 'another-host', 1, '2026-01-01 00:00:00', '2000-01-01 00:00:00')" >/dev/null
	run '2026-05-01 00:00:00'
	check "takeover exit" 0 "$RC"
	check "stale run failed" "failed" "$(q "select status from dla_meta.dla_run where run_id = '0-stale'")"
	check "lock released" "0" "$(q "select count(*) from dla_meta.dla_lock")"

	rm -rf "$WORK"
}

scenario local
if [ -n "${PGPORT:-}" ] && command -v psql >/dev/null 2>&1; then
	scenario pg
else
	echo "dims: PostgreSQL not started by the runner; pg scenario not run" >&2
	failed=$((failed + 1))
fi
echo "dims: $passed passed, $failed failed"
[ "$failed" = 0 ]
