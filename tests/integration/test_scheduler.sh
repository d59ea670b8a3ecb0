#!/bin/sh
# test_scheduler.sh DLA_BIN - the parallel scheduler end to end on
# PostgreSQL (projects/sched: a chain of 5 dimensions x1..x5 and 12 leaf
# dimensions whose source views sleep in pg_sleep, 35 nodes to run) and on
# SQLite (the same project without sleeps):
#   parallel run with --threads 4: overlap and critical path first, read
#     from the timings recorded in dla_node_run (no wall-clock threshold);
#     queue and database timings recorded
#   past durations weigh priorities (a slow leaf starts first next time)
#   failure containment (JSON log lines checked), dla retry, retry of a
#     run that recorded no node, nothing-to-retry, unknown run id
#   --fail-fast
#   SIGTERM mid-run (dim_x1 waiting at a gate the test holds, gate.sh):
#     rollback, lease renewed while the node ran, lock released, exit 143
#     before the gate opened, a rerun succeeds; SIGINT on SQLite (dim_x1
#     looping until the gate opens): exit 130 before it opened
#   the Airflow task's command line exactly as docs/airflow_dla_dag.py
#     builds it, the first try with the database down
set -u
DLA=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PY=/usr/bin/python3
passed=0; failed=0

ok()   { passed=$((passed + 1)); }
bad()  { failed=$((failed + 1)); echo "sched[$TARGET]: FAIL: $*" >&2; }
check() { # check NAME EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then ok; else
		bad "$1"; printf '  expected:\n%s\n  actual:\n%s\n' "$2" "$3" >&2; fi
}
has() { # has NAME FILE FIXED-TEXT
	if grep -qF -- "$3" "$2"; then ok; else
		bad "$1: $(basename "$2") lacks '$3'"; sed 's/^/  | /' "$2" >&2; fi
}

if [ -z "${PGPORT:-}" ] || ! command -v psql >/dev/null 2>&1; then
	echo "sched: PostgreSQL not started by the runner (tests/integration/run.sh)" >&2
	exit 1
fi

W=$(mktemp -d "${TMPDIR:-/tmp}/dla-sched.XXXXXX") || exit 1
BG=""
. "$HERE/gate.sh"
trap 'if [ -n "$BG" ]; then kill "$BG" 2>/dev/null; fi; gate_cleanup; rm -rf "$W"' EXIT
cp -R "$HERE/projects/sched/." "$W/"
M=sched_meta
gate_init "$W" "$HERE"
if ! EXT=$(gate_sqlite_ext "$DLA"); then
	echo "sched: cannot build the SQLite gate extension ($HERE/sqlite_gate.c)" >&2
	echo "sched: 0 passed, 1 failed"
	exit 1
fi

q() { # q SQL: rows as a|b lines
	if [ "$TARGET" = local ]; then
		sqlite3 -separator '|' "$W/.dla/warehouse.db" \
			"attach '$W/.dla/presentation.db' as presentation;
			 attach '$W/.dla/$M.db' as $M; $1"
	else
		psql -X -q -At -F '|' -v ON_ERROR_STOP=1 -c "$1" 2>&1
	fi
}
dla() { "$DLA" --project "$W" --target "$TARGET" "$@"; }
run() { # run ARGS...: sets RC; stdout in $W/out, stderr in $W/err
	dla "$@" >"$W/out" 2>"$W/err"
	RC=$?
}
last_run() { q "select max(run_id) from $M.dla_run"; }
node_status() { # node_status RUN NODE
	q "select status from $M.dla_node_run where run_id = '$1' and node = '$2'"
}

# src.csv: two rows per group; extra rows appended by the arguments
seed_src() {
	{
		echo "id,grp,name"
		i=0
		for g in l01 l02 l03 l04 l05 l06 l07 l08 l09 l10 l11 l12 x1 x2 x3 x4 x5; do
			for k in 1 2; do
				i=$((i + 1))
				echo "$i,$g,$g-$k$SUFFIX"
			done
		done
		for extra in "$@"; do echo "$extra"; done
	} >"$W/seeds/src.csv"
	dla seed >/dev/null 2>"$W/seed.err" || bad "seed: $(cat "$W/seed.err")"
}
knob() { # knob GRP=SECS...: every other group sleeps 0.4 s
	{
		echo "grp,secs"
		for g in l01 l02 l03 l04 l05 l06 l07 l08 l09 l10 l11 l12 x1 x2 x3 x4 x5; do
			secs=0.4
			for kv in "$@"; do [ "${kv%%=*}" = "$g" ] && secs=${kv#*=}; done
			echo "$g,$secs"
		done
	} >"$W/seeds/knob.csv"
}
json_ok() { # json_ok FILE: every line parses as JSON
	if "$PY" -c 'import json,sys; [json.loads(l) for l in sys.stdin]' <"$1"; then ok; else
		bad "JSON lines of $(basename "$1") do not parse"; fi
}

# ===================================================================== pg
TARGET=pg
SUFFIX=""
psql -X -q -c "drop schema if exists presentation cascade; drop schema if exists staging cascade;
	drop schema if exists sched_views cascade; drop schema if exists $M cascade" >/dev/null 2>&1
knob
seed_src

# ---- 1: 35 nodes on 4 workers ---------------------------------------------
run run --threads 4
R1=$(last_run)
check "parallel exit" 0 "$RC"
has "parallel summary" "$W/out" "done: success, 35 ok, 0 failed, 0 skipped"
# the critical path first: the chain's nodes sort after the leaves by name,
# yet the first three nodes started are chain nodes (v_x1 6, then two of
# v_x2 5, dim_x1 5, v_x3 4; the best leaf view, v_l03, has 3), and while
# dim_x1's view ran, each of the 3 other workers could start at most one
# leaf dimension (0.4 s each)
check "critical path first" "v_x1 chain chain" "$(grep ' START ' "$W/out" | sort -n -k2 | head -3 |
	awk '{ n = $6; if (NR > 1 && n ~ /_x/) n = "chain"; printf "%s%s", sep, n; sep = " " }')"
check "chain before leaves" "yes" "$(n=$(q "select count(*) from $M.dla_node_run where run_id = '$R1'
	and node like 'dim_l%' and started_at < (select started_at from $M.dla_node_run
	where run_id = '$R1' and node = 'dim_x1')"); [ "$n" -le 3 ] && echo yes || echo "no: $n")"
# each chain link started after the one before it finished
check "chain order" "0" "$(q "select count(*) from $M.dla_node_run a join $M.dla_node_run b
	on b.run_id = a.run_id and b.node = 'dim_x' || (cast(substr(a.node, 6) as int) - 1)
	where a.run_id = '$R1' and a.node in ('dim_x2', 'dim_x3', 'dim_x4', 'dim_x5')
	and a.started_at < b.finished_at")"
# about the critical path: the run's span is well under the sum of its nodes
check "span vs work" "yes" "$(q "select case when extract(epoch from max(finished_at) - min(started_at))
	< 0.6 * sum(extract(epoch from finished_at - started_at)) then 'yes' else 'no' end
	from $M.dla_node_run where run_id = '$R1'")"
# per-node timings: queue wait and database time
check "queued_at recorded" "0" "$(q "select count(*) from $M.dla_node_run where run_id = '$R1'
	and (queued_at is null or queued_at > started_at or started_at > finished_at)")"
check "db_seconds recorded" "0" "$(q "select count(*) from $M.dla_node_run where run_id = '$R1'
	and node like 'dim%' and (db_seconds < 0.35 or db_seconds > extract(epoch from finished_at - started_at) + 0.01)")"
check "leaf waited in the queue" "yes" "$(q "select case when max(started_at - queued_at) > interval '0.3 second'
	then 'yes' else 'no' end from $M.dla_node_run where run_id = '$R1' and node like 'dim_l%'")"
check "lock released" "0" "$(q "select count(*) from $M.dla_lock")"

# ---- 2: a failing leaf, JSON log; a slow leaf for the history ------------
knob l12=1.2
seed_src "1000,l03,x" "1000,l03,y"            # a duplicate business key
run run --log-format json
R2=$(last_run)
check "containment exit" 1 "$RC"
json_ok "$W/out"
check "containment statuses" "dim_l03|failed
r_l03|skipped" "$(q "select node, status from $M.dla_node_run where run_id = '$R2' and status <> 'success' order by node")"
check "containment siblings ran" "33" "$(q "select count(*) from $M.dla_node_run where run_id = '$R2' and status = 'success'")"
check "skip names the failure" "upstream 'dim_l03' failed" "$(q "select message from $M.dla_node_run where run_id = '$R2' and node = 'r_l03'")"
"$PY" - "$W/out" "$R2" <<'EOF' && ok || bad "JSON log fields"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
run_id = sys.argv[2]
assert all(l["run_id"] == run_id and "ts" in l and "event" in l for l in lines), "run_id/ts/event"
events = [l["event"] for l in lines]
assert events[0] == "run_start" and events[-1] == "run_end", events[:2]
ends = {l["node"]: l for l in lines if l["event"] == "node_end"}
starts = {l["node"]: l for l in lines if l["event"] == "node_start"}
assert len(ends) == 35 and len(starts) == 34, (len(ends), len(starts))
fields = ["node", "kind", "index", "total", "status", "rows_inserted", "rows_updated",
          "rows_expired", "rows_deleted", "seconds", "db_seconds", "queued_seconds", "error"]
for e in ends.values():
    for f in fields:
        assert f in e, (f, e)
d = ends["dim_l01"]
assert d["status"] == "success" and d["error"] is None and d["rows_inserted"] == 0, d
assert d["db_seconds"] > 0.3 and d["seconds"] >= d["db_seconds"] and d["worker"] >= 1, d
f = ends["dim_l03"]
assert f["status"] == "failed" and "duplicate business key" in f["error"]["message"], f
assert "sqlstate" in f["error"], f
s = ends["r_l03"]
assert s["status"] == "skipped" and s["error"]["message"] == "upstream 'dim_l03' failed", s
end = lines[-1]
assert end["status"] == "failed" and end["succeeded"] == 33 and end["failed"] == 1 and end["skipped"] == 1, end
assert sorted(p["node"] for p in end["problems"]) == ["dim_l03", "r_l03"], end
EOF

# ---- 3: dla retry (the latest run), nothing to retry, unknown run ---------
knob l12=1.2
seed_src
run retry
R3=$(last_run)
check "retry exit" 0 "$RC"
has "retry summary" "$W/out" "done: success, 2 ok, 0 failed, 0 skipped"
check "retry row" "retry|$R2|success|--select dim_l03 --select r_l03" \
	"$(q "select command, retry_of, status, selector from $M.dla_run where run_id = '$R3'")"
check "retry keeps the as-of" "1" "$(q "select count(distinct as_of) from $M.dla_run where run_id in ('$R2', '$R3')")"
check "retry ran only those" "dim_l03|success
r_l03|success" "$(q "select node, status from $M.dla_node_run where run_id = '$R3' order by node")"
run retry
check "nothing to retry exit" 0 "$RC"
has "nothing to retry" "$W/out" "nothing to retry: run $R3 succeeded"
check "nothing to retry records nothing" "$R3" "$(last_run)"
run retry no-such-run
check "unknown run exit" 2 "$RC"
has "unknown run message" "$W/err" "no run 'no-such-run'"

# ---- 4: history: the leaf that took 1.2 s starts before the other leaves --
knob
seed_src
run run
R4=$(last_run)
check "history run exit" 0 "$RC"
leaves_before_l12() { # leaves_before_l12 RUN: leaf dimensions started before dim_l12
	q "select count(*) from $M.dla_node_run where run_id = '$1' and node like 'dim_l%'
	   and node <> 'dim_l12' and started_at < (select started_at from $M.dla_node_run
	   where run_id = '$1' and node = 'dim_l12')"
}
# without history (run 1) leaves start in name order, dim_l12 among the last;
# after it took 1.2 s (run 2) it is among the first (3 other workers may
# each have started a leaf while its view ran)
check "slow leaf first" "yes" "$(n=$(leaves_before_l12 "$R4"); [ "$n" -le 3 ] && echo yes || echo "no: $n")"
check "without history by name" "yes" "$(n=$(leaves_before_l12 "$R1"); [ "$n" -ge 6 ] && echo yes || echo "no: $n")"

# ---- 5: --fail-fast --------------------------------------------------------
seed_src "1000,x1,x" "1000,x1,y"
run run --fail-fast --threads 2
R5=$(last_run)
check "fail-fast exit" 1 "$RC"
check "fail-fast failed" "dim_x1" "$(q "select node from $M.dla_node_run where run_id = '$R5' and status = 'failed'")"
check "fail-fast downstream" "upstream 'dim_x1' failed" "$(q "select message from $M.dla_node_run where run_id = '$R5' and node = 'dim_x2'")"
has "fail-fast not started" "$W/out" "not started: --fail-fast after a failure"
check "fail-fast started nothing after the failure" "0" "$(q "select count(*) from $M.dla_node_run
	where run_id = '$R5' and status <> 'skipped' and started_at > (select finished_at
	from $M.dla_node_run where run_id = '$R5' and node = 'dim_x1')")"
check "fail-fast skipped the rest" "yes" "$(q "select case when count(*) > 10 then 'yes' else 'no' end
	from $M.dla_node_run where run_id = '$R5' and status = 'skipped'")"
case $(cat "$W/err") in *"node 'dim_x1' failed: "*"duplicate business key"*) ok ;;
	*) bad "fail-fast error on stderr: $(cat "$W/err")" ;; esac
seed_src
run retry --threads 4
check "retry after fail-fast" 0 "$RC"
check "retry after fail-fast reran" "$(q "select count(*) from $M.dla_node_run where run_id = '$R5' and status <> 'success'")" \
	"$(q "select count(*) from $M.dla_node_run where run_id = '$(last_run)' and status = 'success'")"

# ---- 6: a run recorded without any node row: retry uses its selector ------
q "insert into $M.dla_run (run_id, project, target, command, selector, as_of, started_at, finished_at, status, dla_version)
   values ('29990101T000000000000Z-1', 'sched_it', 'pg', 'run', '--select tag:chain', '2026-03-01 00:00:00',
   '2026-03-01 00:00:00', '2026-03-01 00:00:01', 'failed', '0')" >/dev/null
run retry
R6=$(q "select run_id from $M.dla_run where retry_of = '29990101T000000000000Z-1'")
q "delete from $M.dla_run where run_id = '29990101T000000000000Z-1'" >/dev/null
check "no-node retry exit" 0 "$RC"
check "no-node retry ran the selector's nodes" "dim_x1 dim_x2 dim_x3 dim_x4 dim_x5" \
	"$(q "select node from $M.dla_node_run where run_id = '$R6' order by node" | tr '\n' ' ' | sed 's/ $//')"
check "no-node retry as of that run" "29990101T000000000000Z-1|2026-03-01 00:00:00" \
	"$(q "select retry_of, as_of from $M.dla_run where run_id = '$R6'")"

# ---- 7: SIGTERM mid-run ------------------------------------------------------
# v_x1 reads the row of source staging.gate FOR SHARE: dim_x1 waits there
# while the test's psql session holds it FOR UPDATE (the gate closed)
printf 'sources:\n  - name: gate\n    schema: staging\n    seed: seeds/gate.csv\n' >"$W/models/gate.yml"
printf 'open\n1\n' >"$W/seeds/gate.csv"
cp "$W/views/v_x1.sql" "$W/v_x1.sql.orig"
cat >"$W/views/v_x1.sql" <<'EOF'
select s.id, s.name
from staging.src s, (select g.open from staging.gate g for share) z
where s.grp = 'x1'
EOF
knob
SUFFIX=" v2"
seed_src
before=$(q "select string_agg(name, ',' order by id) from presentation.dim_x1")
gate_close pg || bad "cannot close the gate"
"$DLA" --project "$W" --target "$TARGET" run --threads 4 --log-format json \
	>"$W/out" 2>"$W/err" &     # not through dla(): $! must be dla itself
BG=$!
x1_at_gate() { # dim_x1's statement waits at the gate
	[ "$(q "select count(*) from pg_stat_activity a, pg_stat_activity g
		where g.application_name = 'dla_it_gate' and g.pid = any(pg_blocking_pids(a.pid))
		and a.query like '%v_x1%'")" = 1 ]
}
renewed() { # renewed RUN EXPIRES: RUN's lease now ends after EXPIRES
	[ "$(q "select expires_at > '$2' from $M.dla_lock where run_id = '$1'")" = t ]
}
wait_until 60 x1_at_gate || bad "dim_x1 never waited at the gate"
RT=$(last_run)
e1=$(q "select expires_at from $M.dla_lock where run_id = '$RT'")
wait_until 60 renewed "$RT" "$e1"     # the lease is 3 s: renewed every second
check "lease renewed while the node ran" "t" "$(q "select expires_at > '$e1' from $M.dla_lock where run_id = '$RT'")"
check "dim_x1 still at the gate" yes "$(gate_waiter "$BG" && x1_at_gate && gate_is_closed && echo yes || echo no)"
t0=$(date +%s%3N)
kill -TERM "$BG"
wait_exit "$BG" 60
RC=$WAIT_RC
t1=$(date +%s%3N)
BG=""
check "SIGTERM ended the run before the gate opened" yes "$(gate_is_closed && echo yes || echo no)"
gate_open || bad "the gate's holder did not end cleanly"
mv "$W/v_x1.sql.orig" "$W/views/v_x1.sql"
check "SIGTERM exit" 143 "$RC"
check "SIGTERM lock released" "0" "$(q "select count(*) from $M.dla_lock")"
check "SIGTERM rolled back" "$before" "$(q "select string_agg(name, ',' order by id) from presentation.dim_x1")"
check "SIGTERM node row" "failed|interrupted by SIGTERM: statement cancelled, transaction rolled back" \
	"$(q "select status, message from $M.dla_node_run where run_id = '$RT' and node = 'dim_x1'")"
check "SIGTERM cancelled at once" "yes" "$([ $((t1 - t0)) -lt 15000 ] && echo yes || echo "no: $((t1 - t0)) ms")"
check "SIGTERM run row" "failed|interrupted by SIGTERM" "$(q "select status, message from $M.dla_run where run_id = '$RT'")"
check "SIGTERM rest not started" "not started: run interrupted by SIGTERM" \
	"$(q "select message from $M.dla_node_run where run_id = '$RT' and node = 'dim_x5'")"
json_ok "$W/out"
"$PY" - "$W/out" <<'EOF' && ok || bad "SIGTERM JSON: sqlstate 57014 on dim_x1"
import json, sys
ends = {}
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e["event"] == "node_end":
        ends[e["node"]] = e
e = ends["dim_x1"]["error"]
assert e["sqlstate"] == "57014" and e["message"].startswith("interrupted by SIGTERM"), e
EOF
has "SIGTERM on stderr" "$W/err" "interrupted by SIGTERM"
knob
seed_src
run run
check "rerun after SIGTERM" 0 "$RC"
check "rerun loaded" "x1-1 v2,x1-2 v2,Unknown" "$(q "select string_agg(name, ',' order by id) from presentation.dim_x1")"

# ---- 8: the Airflow task, exactly as docs/airflow_dla_dag.py builds it ----
mkdir -p "$W/stub/airflow/operators" "$W/bin"
cat >"$W/stub/airflow/__init__.py" <<'EOF'
class DAG:
    def __init__(self, **kwargs):
        self.kwargs = kwargs
    def __enter__(self):
        return self
    def __exit__(self, *exc):
        return False
EOF
: >"$W/stub/airflow/operators/__init__.py"
cat >"$W/stub/airflow/operators/bash.py" <<'EOF'
TASKS = []
class BashOperator:
    def __init__(self, task_id, bash_command, **kwargs):
        self.task_id, self.bash_command = task_id, bash_command
        TASKS.append(self)
EOF
ln -s "$DLA" "$W/bin/dla"
COMMAND=$(PYTHONPATH="$W/stub" DLA_PROJECT="$W" DLA_TARGET=pg "$PY" -c '
import runpy, sys
runpy.run_path(sys.argv[1])
from airflow.operators.bash import TASKS
assert len(TASKS) == 1
print(TASKS[0].bash_command)' "$ROOT/docs/airflow_dla_dag.py")
case $COMMAND in *'run --as-of'*|*'"$verb" --as-of "{{ ts }}"'*) ok ;; *) bad "airflow command: $COMMAND" ;; esac
airflow_try() { # airflow_try N: what BashOperator runs for try N (bash -c)
	rendered=$(printf '%s' "$COMMAND" | sed -e 's/{{ ts }}/2026-01-02T03:04:05+00:00/g' \
		-e "s/{{ ti.try_number }}/$1/g")
	PATH="$W/bin:$PATH" bash -c "$rendered" >"$W/out" 2>"$W/err"
	RC=$?
}
runs_before=$(q "select count(*) from $M.dla_run")
PGPORT_SAVED=$PGPORT
PGPORT=1                                      # the warehouse is down
airflow_try 1
PGPORT=$PGPORT_SAVED
check "airflow try 1 exit (database down)" 3 "$RC"
has "airflow try 1 says why" "$W/err" "cannot connect to target 'pg'"
check "airflow try 1 recorded nothing" "$runs_before" "$(q "select count(*) from $M.dla_run")"
airflow_try 2
check "airflow try 2 exit" 0 "$RC"
json_ok "$W/out"
check "airflow try 2 ran everything as of ts" "retry||success|2026-01-02 03:04:05|35" \
	"$(q "select r.command, r.retry_of, r.status, r.as_of, count(n.node) from $M.dla_run r
	      join $M.dla_node_run n on n.run_id = r.run_id where r.run_id = '$(last_run)'
	      group by r.command, r.retry_of, r.status, r.as_of")"
airflow_try 3
check "airflow try 3 exit" 0 "$RC"
has "airflow try 3: nothing to retry" "$W/out" '"event":"note"'
has "airflow try 3: nothing to retry" "$W/out" "nothing to retry"

# ================================================================== sqlite
# The same project without pg_sleep, 4 workers on one SQLite file set; the
# gate's SQLite functions loaded by the connection string (the SIGINT test).
TARGET=local
SUFFIX=""
sed -i "s|^\(    connection: \"Driver=SQLite3;Database=.dla/warehouse.db\)\"$|\1;LoadExt=$EXT\"|" "$W/dla.yml"
grep -qF "LoadExt=$EXT\"" "$W/dla.yml" || bad "the gate extension not loaded by the local target"
for f in "$W"/views/v_*.sql; do
	sed -i 's/, (select pg_sleep(k.secs) from staging.knob k where k.grp = .*) z$//' "$f"
done
seed_src
run run --threads 4
check "sqlite parallel exit" 0 "$RC"
has "sqlite parallel summary" "$W/out" "done: success, 35 ok, 0 failed, 0 skipped"
check "sqlite nodes recorded" "35|35" "$(q "select count(*), count(distinct node) from $M.dla_node_run where status = 'success'")"
# the SQLite writer lock: no two dimension loads overlapped, views did
check "sqlite one table writer at a time" "0" "$(q "select count(*) from $M.dla_node_run a join $M.dla_node_run b
	on b.run_id = a.run_id and b.node > a.node and b.node like 'dim%' and a.node like 'dim%'
	and b.started_at < a.finished_at and a.started_at < b.finished_at")"
seed_src "1000,l03,x" "1000,l03,y"
run run --threads 4
R7=$(last_run)
check "sqlite containment exit" 1 "$RC"
has "sqlite containment skip" "$W/out" "SKIP r_l03 (view): upstream 'dim_l03' failed"
check "sqlite containment" "33|1|1" "$(q "select sum(status = 'success'), sum(status = 'failed'), sum(status = 'skipped')
	from $M.dla_node_run where run_id = '$R7'")"
seed_src
run retry --threads 4
check "sqlite retry exit" 0 "$RC"
has "sqlite retry summary" "$W/out" "done: success, 2 ok, 0 failed, 0 skipped"
# SIGINT mid-load on SQLite: v_x1 counts rows of a recursive CTE for as
# long as the gate is closed (dla_it_gate_closed); once dim_x1's statement
# loops there, SIGINT interrupts it (sqlite3_interrupt through SQLCancel)
# and it is rolled back, the gate still closed (it could not have ended)
cp "$W/views/v_x1.sql" "$W/v_x1.sql.orig"
cat >"$W/views/v_x1.sql" <<EOF
select s.id, s.name
from staging.src s,
     (with recursive c(i) as (select 1 union all select i + 1 from c
                              where dla_it_gate_closed('$GATE_FILE'))
      select count(*) as n from c) z
where s.grp = 'x1'
EOF
gate_close sqlite || bad "cannot close the gate"
"$PY" - "$DLA" "$W" "$GATE_FILE" >"$W/sigint" <<'EOF'
import fcntl, signal, subprocess, sys, time
dla, w, gate = sys.argv[1], sys.argv[2], sys.argv[3]
p = subprocess.Popen([dla, "--project", w, "--target", "local", "run", "--select", "+dim_x1"],
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
for line in p.stdout:
    if "START dim_x1" in line:
        break
def at_gate():   # the process loops at the gate (it wrote its pid)
    try:
        return str(p.pid) in open(gate + ".at").read().split()
    except FileNotFoundError:
        return False
def closed():    # the test's process still holds the gate's flock
    with open(gate) as f:
        try:
            fcntl.flock(f, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(f, fcntl.LOCK_UN)
        return False
deadline = time.time() + 60
while not at_gate() and p.poll() is None and time.time() < deadline:
    time.sleep(0.1)
where = "at the gate" if at_gate() and p.poll() is None else "not at the gate"
p.send_signal(signal.SIGINT)
try:
    p.communicate(timeout=60)
except subprocess.TimeoutExpired:
    p.kill()
    p.communicate()
    print("no exit 60 s after SIGINT")
    sys.exit()
print(p.returncode, "interrupted", where, "while the gate was", "closed" if closed() else "open")
EOF
gate_open || bad "the gate's holder did not end cleanly"
check "sqlite SIGINT exit" "130 interrupted at the gate while the gate was closed" "$(cat "$W/sigint")"
RI=$(last_run)
check "sqlite SIGINT node" "failed|interrupted by SIGINT: statement cancelled, transaction rolled back" \
	"$(q "select status, message from $M.dla_node_run where run_id = '$RI' and node = 'dim_x1'")"
check "sqlite SIGINT lock released" "0" "$(q "select count(*) from $M.dla_lock")"
check "sqlite SIGINT run" "failed|interrupted by SIGINT" "$(q "select status, message from $M.dla_run where run_id = '$RI'")"
mv "$W/v_x1.sql.orig" "$W/views/v_x1.sql"
for i in 1 2 3; do                             # repeated: no SQLITE_BUSY
	run run --threads 8
	check "sqlite parallel rerun $i" 0 "$RC"
done

echo "sched: $passed passed, $failed failed"
[ "$failed" = 0 ]
