#!/bin/sh
# test_parallel_writers.sh DLA_BIN - two facts inferring members into the
# same dimensions (projects/writers: fact_a and fact_b both infer into
# dim_customer, type 2, and dim_product, type 1, their lookups listed in
# opposite orders) on PostgreSQL:
#   rounds (WRITERS_ROUNDS, default 20) of `dla run --threads 4`, each with
#     5 new customers and 4 new products, 3 customers and 2 products of
#     them in both facts' sales: every node succeeds, 9 members inferred
#     per run, fact_a and fact_b never overlap (dla_node_run timings), and
#     at the end no surrogate key twice, one row per business key, every
#     fact row pointing at the member of its own key, both facts at the
#     same member for a key
#   the statements of both facts (`dla run --dry-run`) replayed in two
#     psql sessions, writer_b started while writer_a holds its inferred
#     members uncommitted (gates read pg_stat_activity: no sleeps): with
#     the dimension locks writer_b waits at the LOCK TABLE, then inserts
#     only the keys writer_a did not; without them (the statements before
#     this change) writer_b numbers the same surrogate keys and fails on
#     the primary key -- the race the scheduler and the locks remove
#   a few rounds on SQLite (writers take turns on the file; no lock
#     statement)
set -u
DLA=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
ROUNDS=${WRITERS_ROUNDS:-20}
M=writers_meta
passed=0; failed=0

ok()   { passed=$((passed + 1)); }
bad()  { failed=$((failed + 1)); echo "writers[$TARGET]: FAIL: $*" >&2; }
check() { # check NAME EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then ok; else
		bad "$1"; printf '  expected:\n%s\n  actual:\n%s\n' "$2" "$3" >&2; fi
}
has() { # has NAME FILE FIXED-TEXT
	if grep -qF -- "$3" "$2"; then ok; else
		bad "$1: $(basename "$2") lacks '$3'"; sed 's/^/  | /' "$2" >&2; fi
}

if [ -z "${PGPORT:-}" ] || ! command -v psql >/dev/null 2>&1; then
	echo "writers: PostgreSQL not started by the runner (tests/integration/run.sh)" >&2
	exit 1
fi

W=$(mktemp -d "${TMPDIR:-/tmp}/dla-writers.XXXXXX") || exit 1
trap 'rm -rf "$W"' EXIT
cp -R "$HERE/projects/writers/." "$W/"

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

# seed_round R: round R's sales.  Customers 10000 + 10 R + 1..5 and products
# pR_s1, pR_s2, pR_a, pR_b are new; customers +1..+3 and products s1, s2
# are in both facts' sales, +4 and pR_a only in fact_a's, +5 and pR_b only
# in fact_b's; each fact also sells to a known customer a known product.
seed_round() {
	r=$1 c=$((10000 + 10 * $1))
	{
		echo "sale_id,customer_id,product_code,sold_at,amount"
		echo "$((100 * r + 1)),$((c + 1)),p${r}_s1,2026-01-02 10:00:00,1.00"
		echo "$((100 * r + 2)),$((c + 2)),p${r}_s2,2026-01-02 10:01:00,2.00"
		echo "$((100 * r + 3)),$((c + 3)),p${r}_s1,2026-01-02 10:02:00,3.00"
		echo "$((100 * r + 4)),$((c + 4)),p${r}_a,2026-01-02 10:03:00,4.00"
		echo "$((100 * r + 5)),1,base1,2026-01-02 10:04:00,5.00"
	} >"$W/seeds/sale_a.csv"
	{
		echo "sale_id,customer_id,product_code,sold_at,amount"
		echo "$((100 * r + 1)),$((c + 3)),p${r}_s2,2026-01-02 11:00:00,1.50"
		echo "$((100 * r + 2)),$((c + 2)),p${r}_s1,2026-01-02 11:01:00,2.50"
		echo "$((100 * r + 3)),$((c + 1)),p${r}_s2,2026-01-02 11:02:00,3.50"
		echo "$((100 * r + 4)),$((c + 5)),p${r}_b,2026-01-02 11:03:00,4.50"
		echo "$((100 * r + 5)),2,base2,2026-01-02 11:04:00,5.50"
	} >"$W/seeds/sale_b.csv"
	dla seed >/dev/null 2>"$W/seed.err" || bad "seed round $r: $(cat "$W/seed.err")"
}

# rounds FIRST LAST: one run per round, --threads 4
rounds() {
	r=$1
	while [ "$r" -le "$2" ]; do
		seed_round "$r"
		run run --threads 4
		R=$(last_run)
		check "round $r exit" 0 "$RC"
		has "round $r summary" "$W/out" "done: success, 4 ok, 0 failed, 0 skipped"
		check "round $r: members inferred (5 customers, 4 products)" 9 \
			"$(q "select sum(rows_inferred) from $M.dla_node_run where run_id = '$R'")"
		r=$((r + 1))
	done
}

# the tables as the rounds must leave them (N rounds of new keys)
integrity() {
	check "no surrogate key twice" "0|0" "$(q "select
		(select count(*) - count(distinct customer_sk) from presentation.dim_customer),
		(select count(*) - count(distinct product_sk) from presentation.dim_product)")"
	check "one row per business key" "0|0" "$(q "select
		(select count(*) from (select customer_id from presentation.dim_customer
		 group by customer_id having count(*) > 1) x),
		(select count(*) from (select product_code from presentation.dim_product
		 group by product_code having count(*) > 1) y)")"
	check "one inferred member per new key" "$((5 * $1))|$((4 * $1))" "$(q "select
		(select count(*) from presentation.dim_customer where is_inferred = $TRUE),
		(select count(*) from presentation.dim_product where is_inferred = $TRUE)")"
	check "every fact row at the member of its key" "0|0|0|0" "$(q "select
		(select count(*) from presentation.fact_a f where not exists (select 1
		 from presentation.dim_customer d where d.customer_sk = f.customer_sk
		 and d.customer_id = f.customer_id)),
		(select count(*) from presentation.fact_a f where not exists (select 1
		 from presentation.dim_product d where d.product_sk = f.product_sk
		 and d.product_code = f.product_code)),
		(select count(*) from presentation.fact_b f where not exists (select 1
		 from presentation.dim_customer d where d.customer_sk = f.customer_sk
		 and d.customer_id = f.customer_id)),
		(select count(*) from presentation.fact_b f where not exists (select 1
		 from presentation.dim_product d where d.product_sk = f.product_sk
		 and d.product_code = f.product_code))")"
	check "both facts at the same member of a key" "0|0" "$(q "select
		(select count(*) from presentation.fact_a a join presentation.fact_b b
		 on b.customer_id = a.customer_id where b.customer_sk <> a.customer_sk),
		(select count(*) from presentation.fact_a a join presentation.fact_b b
		 on b.product_code = a.product_code where b.product_sk <> a.product_sk)")"
}

# ===================================================================== pg
TARGET=pg
TRUE=true
psql -X -q -c "drop schema if exists presentation cascade; drop schema if exists staging cascade;
	drop schema if exists writers_views cascade; drop schema if exists $M cascade" >/dev/null 2>&1

# ---- 1: the rounds -----------------------------------------------------------
rounds 1 "$ROUNDS"
integrity "$ROUNDS"
check "every node of every run succeeded" "$((4 * ROUNDS))|0" "$(q "select count(*),
	count(*) filter (where status <> 'success') from $M.dla_node_run")"
check "fact_a and fact_b never ran at once" "$ROUNDS|0" "$(q "select count(*),
	count(*) filter (where b.started_at < a.finished_at and a.started_at < b.finished_at)
	from $M.dla_node_run a join $M.dla_node_run b on b.run_id = a.run_id
	where a.node = 'fact_a' and b.node = 'fact_b'")"
check "members inferred by the runs" "$((9 * ROUNDS))" \
	"$(q "select sum(rows_inferred) from $M.dla_node_run")"

# ---- 2: the statements of both facts side by side ----------------------------
# replay MODE: fact_a's statements in session writer_a up to its last
# inferred insert (uncommitted), then fact_b's whole transaction in session
# writer_b, started once writer_a is idle in its transaction; once writer_b
# waits on a lock, writer_a finishes and commits.  MODE lock: the
# statements as dla generates them; nolock: without the dimension locks.
# Prints "a EXIT", "b EXIT", "b waited at: STATEMENT", b's errors.
replay() {
	"$PY" - "$DLA" "$W" "$1" <<'EOF'
import os, re, subprocess, sys, time
dla, w, mode = sys.argv[1:4]
HEADER = re.compile(r"^-- (ddl|dml|check|session|cleanup|check on failure): (.*)$")

def statements(node):
    p = subprocess.run([dla, "--project", w, "--target", "pg", "run", "--dry-run",
                        "--select", node], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit("dry run of %s: exit %d: %s" % (node, p.returncode, p.stderr))
    found, cur = [], None
    for line in p.stdout.splitlines():
        m = HEADER.match(line)
        if m:
            cur = [m.group(1), m.group(2), []]
            found.append(cur)
        elif line.startswith("-- "):
            cur = None
        elif cur is not None:
            cur[2].append(line)
    out = []
    for kind, label, lines in found:
        if kind in ("cleanup", "check on failure"):
            continue      # after the commit / only after a failure
        if mode == "nolock" and label == "lock dimension for inferred members":
            continue
        out.append((label, "\n".join(lines).strip().rstrip(";") + ";\n"))
    return out

def one(sql):
    return subprocess.run(["psql", "-X", "-q", "-At", "-c", sql], capture_output=True,
                          text=True, check=True).stdout.strip()

def wait_for(what, sql):
    deadline = time.monotonic() + 120
    while one(sql) != "t":
        if time.monotonic() > deadline:
            sys.exit("timed out waiting until " + what)
        time.sleep(0.02)

def session(app):
    return subprocess.Popen(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1"],
                            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, PGAPPNAME=app))

a_stmts, b_stmts = statements("fact_a"), statements("fact_b")
labels = [label for label, _ in a_stmts]
if mode == "lock" and "lock dimension for inferred members" not in labels:
    sys.exit("fact_a locks no dimension: " + ", ".join(labels))
cut = max(i for i, label in enumerate(labels) if label == "insert inferred members") + 1
a = session("writer_a")
a.stdin.write("BEGIN;\nSET TIME ZONE 'UTC';\n")
a.stdin.write("".join(sql for _, sql in a_stmts[:cut]))
a.stdin.write("SELECT 'writer_a holds its members';\n")
a.stdin.flush()
wait_for("writer_a holds its members uncommitted",
         "select exists (select 1 from pg_stat_activity where application_name = 'writer_a'"
         " and state = 'idle in transaction'"
         " and query = 'SELECT ''writer_a holds its members'';')")
b = session("writer_b")
b.stdin.write("BEGIN;\nSET TIME ZONE 'UTC';\n")
b.stdin.write("".join(sql for _, sql in b_stmts))
b.stdin.write("COMMIT;\n")
b.stdin.close()
wait_for("writer_b waits on a lock",
         "select exists (select 1 from pg_stat_activity where application_name = 'writer_b'"
         " and wait_event_type = 'Lock')")
waited = one("select substr(query, 1, 50) from pg_stat_activity"
             " where application_name = 'writer_b'").splitlines()[0]
waited = " ".join(waited.split()[:3])
a.stdin.write("".join(sql for _, sql in a_stmts[cut:]))
a.stdin.write("COMMIT;\n")
a.stdin.close()
a_err = a.stderr.read()
b_err = b.stderr.read()
print("a", a.wait())
print("b", b.wait())
print("b waited at:", waited)
for line in (a_err + b_err).splitlines():
    if "ERROR:" in line:
        print(line.split("ERROR:", 1)[1].strip())
EOF
}

# the statements before this change: writer_b numbers writer_a's keys
R=$((ROUNDS + 1))
seed_round "$R"
replay nolock >"$W/replay" 2>&1
check "without the locks: writer_b fails on the key writer_a took" \
"a 0
b 3
b waited at: INSERT INTO presentation.dim_product" "$(sed -n 1,3p "$W/replay")"
has "without the locks: the primary key's error" "$W/replay" \
	"duplicate key value violates unique constraint"
check "without the locks: writer_a's members only" "4|3" "$(q "select
	(select count(*) from presentation.dim_customer where customer_id > 10000 + 10 * $R),
	(select count(*) from presentation.dim_product where product_code like 'p${R}!_%' escape '!')")"

# as generated: writer_b waits for writer_a's commit, then infers the rest
R=$((ROUNDS + 2))
seed_round "$R"
replay lock >"$W/replay" 2>&1
check "with the locks: both commit, writer_b waited at the first lock" \
"a 0
b 0
b waited at: LOCK TABLE presentation.dim_customer" "$(cat "$W/replay")"
check "with the locks: one member per key of the round" "5|5|5|4|4|4" "$(q "select
	(select count(distinct customer_id) from presentation.dim_customer where customer_id > 10000 + 10 * $R),
	(select count(*) from presentation.dim_customer where customer_id > 10000 + 10 * $R),
	(select count(distinct customer_sk) from presentation.dim_customer where customer_id > 10000 + 10 * $R),
	(select count(distinct product_code) from presentation.dim_product where product_code like 'p${R}!_%' escape '!'),
	(select count(*) from presentation.dim_product where product_code like 'p${R}!_%' escape '!'),
	(select count(distinct product_sk) from presentation.dim_product where product_code like 'p${R}!_%' escape '!')")"
check "with the locks: fact_b at writer_a's members" "0" "$(q "select count(*)
	from presentation.fact_a a join presentation.fact_b b on b.customer_id = a.customer_id
	where a.sale_id > 100 * $R and b.customer_sk <> a.customer_sk")"

# and dla itself still loads both (the round whose fact_b transaction failed)
seed_round $((ROUNDS + 3))
run run --threads 4
check "a run after the sessions" 0 "$RC"
check "no surrogate key twice after the sessions" "0|0" "$(q "select
	(select count(*) - count(distinct customer_sk) from presentation.dim_customer),
	(select count(*) - count(distinct product_sk) from presentation.dim_product)")"

# ================================================================== sqlite
TARGET=local
TRUE=1
rm -rf "$W/.dla"
rounds 1 3
integrity 3

echo "writers: $passed passed, $failed failed"
[ "$failed" = 0 ]
