#!/bin/sh
# test_seed.sh DLA_BIN - `dla seed` end to end with the real binary, on
# SQLite and (when PG* variables point at a server, as the integration
# runner arranges) on PostgreSQL: loading every seed, types, NULL versus
# empty string, quoted commas and newlines, --select, re-seeding (same shape
# and new shape), a view depending on a seeded table (PostgreSQL), a broken
# CSV (file:line:col, exit 2, nothing loaded anywhere), an unknown target,
# a failed connection without the password in the message.
# Prints "seed[TARGET]: N passed, M failed" per target; exits non-zero on
# any failure.
set -u
if [ $# -lt 1 ]; then
	echo "usage: sh tests/integration/test_seed.sh DLA_BIN" >&2
	exit 2
fi
DLA=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
total_failed=0

ok()    { passed=$((passed + 1)); }
bad()   { failed=$((failed + 1)); echo "seed[$TARGET]: FAIL: $*" >&2; }
check() { # check NAME EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then ok; else
		bad "$1"; printf '  expected:\n%s\n  actual:\n%s\n' "$2" "$3" >&2; fi
}
contains() { # contains NAME NEEDLE HAYSTACK
	case "$3" in *"$2"*) ok ;; *) bad "$1: no '$2' in:"; printf '%s\n' "$3" >&2 ;; esac
}

q() { # q SQL : rows as a|b lines
	if [ "$TARGET" = local ]; then
		sqlite3 -separator '|' "$WORK/.dla/warehouse.db" \
			"attach '$WORK/.dla/staging.db' as staging; $1" 2>&1
	else
		psql -X -q -At -F '|' -v ON_ERROR_STOP=1 -c "$1" 2>&1
	fi
}

dla_seed() { # dla_seed ARGS... : sets RC, OUT (times as N.NNs), ERR
	"$DLA" --project "$WORK" --target "$TARGET" seed "$@" >"$WORK/out" 2>"$WORK/err"
	RC=$?
	OUT=$(sed 's/in [0-9][0-9]*\.[0-9][0-9]s/in N.NNs/' "$WORK/out")
	ERR=$(cat "$WORK/err")
}

make_project() {
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/dla-seed-it.XXXXXX")
	mkdir -p "$WORK/models" "$WORK/seeds" "$WORK/views"
	cat > "$WORK/dla.yml" <<'EOF'
name: seed_it
default_target: local
targets:
  local:
    dialect: sqlite
    connection: "Driver=SQLite3;Database=.dla/warehouse.db"
  pg:
    dialect: postgres
    connection: "Driver=PostgreSQL Unicode;Server=${PGHOST:-127.0.0.1};Port=${PGPORT:-5432};Database=${PGDATABASE:-dla};Uid=${PGUSER:-dla};Pwd=${PGPASSWORD:-}"
  pg_badpw:
    dialect: postgres
    connection: "Driver=PostgreSQL Unicode;Server=${PGHOST:-127.0.0.1};Port=${PGPORT:-5432};Database=${PGDATABASE:-dla};Uid=${PGUSER:-dla};Pwd=wrong_Secret_pw_42"
EOF
	cat > "$WORK/models/sources.yml" <<'EOF'
sources:
  - name: customer
    schema: staging
    seed: seeds/customer.csv
  - name: orders
    schema: staging
    seed: seeds/orders.csv
  - name: events
    schema: staging
EOF
	printf 'customer_id,name,note\r\n1,"Smith, Ann","said ""hi""\r\ntwice"\r\n2,Bob,\r\n3,Cid,""\r\n' \
		> "$WORK/seeds/customer.csv"
	cat > "$WORK/seeds/orders.csv" <<'EOF'
order_id,customer_id,amount,paid,ordered_on,shipped_at,code
1,1,10.50,true,2026-01-02,2026-01-03 10:00:00,007
2,1,3,false,2026-01-05,2026-01-06T11:30:00.25,010
3,2,-0.75,TRUE,2026-02-01,,100
EOF
}

scenario() {
	TARGET=$1
	passed=0; failed=0
	make_project
	if [ "$TARGET" = pg ]; then
		psql -X -q -c "drop schema if exists staging cascade; drop schema if exists dla_views cascade;
			drop schema if exists dla_meta cascade" >/dev/null 2>&1
	fi

	# 1: everything loads
	dla_seed
	check "first seed exit" 0 "$RC"
	check "first seed output" "seed staging.customer: 3 rows from seeds/customer.csv in N.NNs
seed staging.orders: 3 rows from seeds/orders.csv in N.NNs
seed: 2 sources, 6 rows in N.NNs" "$OUT"
	check "first seed stderr" "" "$ERR"
	check "customer rows" "1|Smith, Ann|said \"hi\"
twice|0
2|Bob|NULL|
3|Cid||1" "$(q "select customer_id, name, coalesce(note, 'NULL'),
		case when note = '' then 1 when note is null then null else 0 end
		from staging.customer order by customer_id" | tr -d '\r')"
	if [ "$TARGET" = local ]; then
		check "orders rows" "1|1|10.5|1|2026-01-02|2026-01-03 10:00:00|007
2|1|3|0|2026-01-05|2026-01-06 11:30:00.25|010
3|2|-0.75|1|2026-02-01||100" "$(q "select * from staging.orders order by order_id")"
		check "orders types" "order_id|INTEGER
customer_id|INTEGER
amount|NUMERIC(18,2)
paid|INTEGER
ordered_on|TEXT
shipped_at|TEXT
code|TEXT" "$(q "select name, type from pragma_table_info('orders', 'staging') order by cid")"
	else
		check "orders rows" "1|1|10.50|t|2026-01-02|2026-01-03 10:00:00|007
2|1|3.00|f|2026-01-05|2026-01-06 11:30:00.25|010
3|2|-0.75|t|2026-02-01||100" "$(q "select * from staging.orders order by order_id")"
		check "orders types" "order_id|bigint
customer_id|bigint
amount|numeric
paid|boolean
ordered_on|date
shipped_at|timestamp without time zone
code|text" "$(q "select column_name, data_type from information_schema.columns
			where table_schema = 'staging' and table_name = 'orders' order by ordinal_position")"
		# a view reading the seeded table must not block a re-seed
		q "create view staging.v_customer as select customer_id, name from staging.customer" >/dev/null
	fi

	# 2: --select loads only the selected source
	printf 'customer_id,name,note\n9,Zed,42\n' > "$WORK/seeds/customer.csv"
	printf 'order_id,customer_id,amount,paid,ordered_on,shipped_at,code\n' > "$WORK/seeds/orders.csv"
	dla_seed --select staging.orders
	check "select exit" 0 "$RC"
	check "select output" "seed staging.orders: 0 rows from seeds/orders.csv in N.NNs
seed: 1 source, 0 rows in N.NNs" "$OUT"
	check "select: orders emptied" "0" "$(q "select count(*) from staging.orders")"
	check "select: customer untouched" "3" "$(q "select count(*) from staging.customer")"

	# 3: same shape again: rows replaced, the table kept (a text column now
	# holding only numbers stays text; the view on PostgreSQL survives)
	dla_seed --select staging.customer
	check "reseed exit" 0 "$RC"
	check "reseed rows" "9|Zed|42" "$(q "select * from staging.customer")"
	if [ "$TARGET" = local ]; then typeof=typeof; else typeof=pg_typeof; fi
	check "reseed keeps text" "text" "$(q "select $typeof(note) from staging.customer")"
	if [ "$TARGET" = pg ]; then
		check "view still there" "9|Zed" "$(q "select * from staging.v_customer")"
		q "drop view staging.v_customer" >/dev/null
	fi

	# 4: a new shape: table re-created
	printf 'customer_id,email\n1,a@x\n2,b@x\n' > "$WORK/seeds/customer.csv"
	dla_seed --select staging.customer
	check "new shape exit" 0 "$RC"
	check "new shape rows" "1|a@x
2|b@x" "$(q "select * from staging.customer order by 1")"

	# 5: a broken CSV: file:line:col, exit 2, nothing loaded anywhere
	printf 'order_id,customer_id,amount,paid,ordered_on,shipped_at,code\n5,1,1,true,2026-01-01,,x\n' \
		> "$WORK/seeds/orders.csv"
	printf 'customer_id,email\n7,c@x\n8,d@x,extra\n' > "$WORK/seeds/customer.csv"
	dla_seed
	check "ragged exit" 2 "$RC"
	contains "ragged message" "seeds/customer.csv:3:7: error: row has 3 fields, header has 2" "$ERR"
	contains "ragged nothing loaded" "nothing loaded" "$ERR"
	check "ragged: customer unchanged" "1|a@x
2|b@x" "$(q "select * from staging.customer order by 1")"
	check "ragged: orders unchanged" "0" "$(q "select count(*) from staging.orders")"
	printf 'customer_id,email\n7,"c@x\n' > "$WORK/seeds/customer.csv"
	dla_seed
	check "unterminated exit" 2 "$RC"
	contains "unterminated message" "seeds/customer.csv:2:3: error: unterminated quoted field" "$ERR"

	# 6: a missing seed file
	rm "$WORK/seeds/customer.csv"
	dla_seed
	check "missing file exit" 2 "$RC"
	contains "missing file message" "seeds/customer.csv: error: cannot read file: No such file or directory" "$ERR"
	printf 'customer_id,email\n1,a@x\n' > "$WORK/seeds/customer.csv"

	# 7: selectors: nothing seeded, unknown selector
	dla_seed --select staging.events
	check "no seed exit" 0 "$RC"
	contains "no seed message" "nothing to load" "$OUT"
	dla_seed --select staging.nope
	check "bad selector exit" 2 "$RC"

	rm -rf "$WORK"
	echo "seed[$TARGET]: $passed passed, $failed failed"
	total_failed=$((total_failed + failed))
}

# Usage and target errors need no database.
TARGET=usage; passed=0; failed=0
make_project
"$DLA" --project "$WORK" seed --help >"$WORK/out" 2>&1
check "help exit" 0 "$?"
contains "help text" "usage: dla" "$(cat "$WORK/out")"
"$DLA" --project "$WORK" seed extra >/dev/null 2>"$WORK/err"
check "positional exit" 2 "$?"
"$DLA" --project "$WORK" --target nope seed >/dev/null 2>"$WORK/err"
check "unknown target exit" 2 "$?"
contains "unknown target message" "'nope'" "$(cat "$WORK/err")"
rm -rf "$WORK"
echo "seed[usage]: $passed passed, $failed failed"
total_failed=$((total_failed + failed))

scenario local

if [ -n "${PGHOST:-}" ] && psql -X -q -c 'select 1' >/dev/null 2>&1; then
	scenario pg
	# connection failure: exit 3, no password in the message
	TARGET=pg_badpw; passed=0; failed=0
	make_project
	dla_seed
	check "bad password exit" 3 "$RC"
	contains "bad password message" "cannot connect to target 'pg_badpw'" "$ERR"
	case "$ERR$OUT" in *wrong_Secret_pw_42*) bad "password in output: $ERR" ;; *) ok ;; esac
	rm -rf "$WORK"
	echo "seed[pg_badpw]: $passed passed, $failed failed"
	total_failed=$((total_failed + failed))
else
	echo "seed[pg]: skipped (no PostgreSQL: PGHOST unset or unreachable)"
fi

[ "$total_failed" = 0 ]
