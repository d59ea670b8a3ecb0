#!/bin/sh
# bench_scd.sh DLA_BIN ENGINE N - benchmarks 1 and 2 (docs/PERFORMANCE.md):
# an SCD dimension of N keys and 12 attributes (a01-a06 type 1, a07-a12
# type 2), loaded by dla and by hand-written SQL from the same state.
#
# Setup (untimed): staging.src_customer version 0 loaded by dla as of
# 2026-01-01, version 1 (5% of the keys change a type 2 column: history)
# as of 2026-02-01; that state of presentation.dim_customer is saved.  The
# source then becomes version 2: 10% of the keys changed (half of them a
# type 2 and a type 1 column, half a type 1 column only), N/100 new keys.
#
# 1. batch: BENCH_PAIRS interleaved pairs (A = `dla run`, B = sqlrun with
#    bench/sql/ENGINE/scd2_batch.sql), each from the restored saved state;
#    both must leave the same table (checked on the first pair).
# 2. unchanged rerun: after the batch, A = `dla run` again (must write 0
#    rows), B = bench/sql/ENGINE/scd2_unchanged.sql (one scan of source and
#    target counting changed rows, must count 0).
# Each pair also times C: the hand-written SQL with the duplicate-key check
# prepended (bench/sql/ENGINE/scd2_key_check.sql): the check the contract
# requires of dla, which the plain hand-written SQL leaves out.
# Then both again with a unique index on the source's business key (bench
# names scd2_batch_keyed, scd2_unchanged_keyed): dla then leaves out the
# duplicate-key checks, which the database guarantees.  On PostgreSQL the
# keyed unchanged rerun also times the scan without parallel workers.
# Results go to results.tsv (lib.sh); wall = the whole process, connect and
# metadata included; db = dla's db_seconds vs the driver's transaction.
set -eu
. "$(dirname "$0")/lib.sh"

[ $# -eq 3 ] || die "usage: bench_scd.sh DLA_BIN sqlite|postgres N"
DLA=$(abs_bin "$1")
ENGINE=$2
N=$3
SQLRUN=${SQLRUN:-$(dirname "$DLA")/sqlrun}
[ -x "$SQLRUN" ] || die "no driver '$SQLRUN' (make $(dirname "$1")/sqlrun)"
TARGET=$(target_of "$ENGINE")
P=$BENCH_OUT/scd-$ENGINE
W=$BENCH_OUT/work
mkdir -p "$W"

rm -rf "$P"
mkdir -p "$P/models"
write_dla_yml "$P" bench_scd 1
cat >"$P/models/scd.yml" <<'EOF'
sources:
  - name: src_customer
    schema: staging
---
dimension: dim_customer
schema: presentation
source: staging.src_customer
business_key: [customer_id]
scd: 2
columns:
  a01: {scd: 1}
  a02: {scd: 1}
  a03: {scd: 1}
  a04: {scd: 1}
  a05: {scd: 1}
  a06: {scd: 1}
EOF

dla() {
	"$DLA" --project "$P" --target "$TARGET" "$@"
}
gen() {   # gen VERSION
	sh "$BENCH_ROOT/bench/gen_data.sh" "$ENGINE" customer "$N" "$1" >"$W/gen.sql"
	sql_file "$ENGINE" "$P" "$W/gen.sql"
	if [ "$ENGINE" = postgres ]; then
		sql_text "$ENGINE" "$P" "VACUUM ANALYZE staging.src_customer;"
	fi
}
# the table as content, without the audit columns (they hold run ids / times)
fingerprint() {
	query "$ENGINE" "$P" "SELECT COUNT(*), SUM(customer_sk), SUM(CASE WHEN is_current = TRUE THEN 1 ELSE 0 END),
		SUM(CASE WHEN valid_to = '2026-03-01 00:00:00' THEN 1 ELSE 0 END),
		SUM(CASE WHEN valid_from = '2026-03-01 00:00:00' THEN customer_id ELSE 0 END),
		SUM(LENGTH(a01) + a03 + a09), COUNT(a05), COUNT(a11)
		FROM presentation.dim_customer" | tr -d ' '
}

echo "scd [$ENGINE] N=$N: setup"
reset_engine "$ENGINE" "$P"
t0=$(now)
gen 0
dla run --as-of '2026-01-01 00:00:00' >"$W/setup.log" 2>&1 || { cat "$W/setup.log" >&2; die "first load failed"; }
first_load=$(last_node_db_seconds "$ENGINE" "$P" dim_customer)
gen 1
dla run --as-of '2026-02-01 00:00:00' >"$W/setup.log" 2>&1 || { cat "$W/setup.log" >&2; die "history load failed"; }
save_tables "$ENGINE" "$P" dim_customer
gen 2
echo "  setup $(elapsed "$t0" "$(now)") s (first load of $N keys: ${first_load} s in the database)"

AS_OF='2026-03-01 00:00:00'
hand_sql "$ENGINE" scd2_batch.sql "$AS_OF" "$W/batch.sql"
hand_sql "$ENGINE" scd2_unchanged.sql "$AS_OF" "$W/unchanged.sql"
# C: the same with the duplicate-key check dla must run (scd2_key_check.sql)
hand_sql "$ENGINE" scd2_key_check.sql "$AS_OF" "$W/key_check.sql"
cat "$W/key_check.sql" "$W/batch.sql" >"$W/batch_checked.sql"
cat "$W/key_check.sql" "$W/unchanged.sql" >"$W/unchanged_checked.sql"
# PostgreSQL: the scan as one process.  The count runs with parallel
# workers; a load cannot (PostgreSQL 15 runs no INSERT, UPDATE or
# temporary table write in parallel), so this is the floor of any load
# that writes its change set.
{ echo "SET LOCAL max_parallel_workers_per_gather = 0;"; cat "$W/unchanged.sql"; } >"$W/unchanged_serial.sql"

# measure SUFFIX LABEL: the batch pairs, then the unchanged reruns;
# records scd2_batchSUFFIX and scd2_unchangedSUFFIX
measure() {
	suffix=$1
	label=$2
	a_wall=; b_wall=; c_wall=; a_db=; b_db=; a_rss=; fp_a=; fp_b=
	pair=1
	while [ "$pair" -le "$BENCH_PAIRS" ]; do
		restore_tables "$ENGINE" "$P" dim_customer
		timed "$W/a.log" "$DLA" --project "$P" --target "$TARGET" run --as-of "$AS_OF"
		a_wall="$a_wall $T"
		a_rss="$a_rss $RSS"
		a_db="$a_db $(last_node_db_seconds "$ENGINE" "$P" dim_customer)"
		grep -q 'OK   dim_customer' "$W/a.log" || { cat "$W/a.log" >&2; die "dla batch failed"; }
		[ "$pair" -eq 1 ] && fp_a=$(fingerprint)
		counts=$(sed -n 's/.*OK   dim_customer ([^)]*) \(+[0-9]* ~[0-9]* -[0-9]*\).*/\1/p' "$W/a.log")
		restore_tables "$ENGINE" "$P" dim_customer
		timed "$W/b.log" "$SQLRUN" "$P" "$TARGET" "$W/batch.sql"
		b_wall="$b_wall $T"
		b_db="$b_db $(cat "$W/b.log")"
		[ "$pair" -eq 1 ] && fp_b=$(fingerprint)
		if [ -z "$suffix" ]; then
			restore_tables "$ENGINE" "$P" dim_customer
			timed "$W/c.log" "$SQLRUN" "$P" "$TARGET" "$W/batch_checked.sql"
			c_wall="$c_wall $T"
		fi
		pair=$((pair + 1))
	done
	[ "$fp_a" = "$fp_b" ] || die "dla and the hand-written SQL left different tables: '$fp_a' vs '$fp_b'"
	# shellcheck disable=SC2086
	{
		mw=$(median $a_wall); hw=$(median $b_wall); md=$(median $a_db); hd=$(median $b_db)
		mr=$(median $a_rss)
	}
	echo "  batch$label ($counts): dla $mw s (db $md s), hand $hw s (db $hd s): ratio $(ratio "$mw" "$hw") wall, $(ratio "$md" "$hd") db; dla peak RSS $(awk -v k="$mr" 'BEGIN { printf "%.0f", k / 1024 }') MB"
	if [ -z "$suffix" ]; then
		# shellcheck disable=SC2086
		cw=$(median $c_wall)
		echo "  batch: hand + duplicate-key check $cw s: ratio $(ratio "$mw" "$cw") wall"
		record scd2_batch "$ENGINE" "$N" hand_checked_wall "$cw"
	fi
	record "scd2_batch$suffix" "$ENGINE" "$N" dla_wall "$mw"
	record "scd2_batch$suffix" "$ENGINE" "$N" hand_wall "$hw"
	record "scd2_batch$suffix" "$ENGINE" "$N" dla_db "$md"
	record "scd2_batch$suffix" "$ENGINE" "$N" hand_db "$hd"
	record "scd2_batch$suffix" "$ENGINE" "$N" dla_rss_kb "$mr"

	# 2. unchanged rerun, on the state the last hand-written batch left (the
	# same content as dla's: checked above)
	a_wall=; b_wall=; c_wall=; a_db=; b_db=
	pair=1
	while [ "$pair" -le "$BENCH_PAIRS" ]; do
		timed "$W/a.log" "$DLA" --project "$P" --target "$TARGET" run --as-of "$AS_OF"
		grep -q 'OK   dim_customer (dimension scd mixed) +0 ~0 -0' "$W/a.log" ||
			{ cat "$W/a.log" >&2; die "the unchanged rerun wrote rows"; }
		a_wall="$a_wall $T"
		a_db="$a_db $(last_node_db_seconds "$ENGINE" "$P" dim_customer)"
		timed "$W/b.log" "$SQLRUN" -v "$P" "$TARGET" "$W/unchanged.sql"
		grep -q 'changed = 0' "$W/b.log.err" || { cat "$W/b.log.err" >&2; die "the scan found changes"; }
		b_wall="$b_wall $T"
		b_db="$b_db $(cat "$W/b.log")"
		if [ -z "$suffix" ]; then
			timed "$W/c.log" "$SQLRUN" "$P" "$TARGET" "$W/unchanged_checked.sql"
			c_wall="$c_wall $T"
		elif [ "$ENGINE" = postgres ]; then
			timed "$W/c.log" "$SQLRUN" "$P" "$TARGET" "$W/unchanged_serial.sql"
			c_wall="$c_wall $T"
		fi
		pair=$((pair + 1))
	done
	# shellcheck disable=SC2086
	{
		mw=$(median $a_wall); hw=$(median $b_wall); md=$(median $a_db); hd=$(median $b_db)
	}
	echo "  unchanged rerun$label: dla $mw s (db $md s), one scan $hw s (db $hd s): ratio $(ratio "$mw" "$hw") wall, $(ratio "$md" "$hd") db"
	if [ -z "$suffix" ]; then
		# shellcheck disable=SC2086
		cw=$(median $c_wall)
		echo "  unchanged rerun: one scan + duplicate-key check $cw s: ratio $(ratio "$mw" "$cw") wall"
		record scd2_unchanged "$ENGINE" "$N" hand_checked_wall "$cw"
	elif [ "$ENGINE" = postgres ]; then
		# shellcheck disable=SC2086
		cw=$(median $c_wall)
		echo "  unchanged rerun$label: one scan without parallel workers $cw s: ratio $(ratio "$mw" "$cw") wall"
		record "scd2_unchanged$suffix" "$ENGINE" "$N" hand_serial_wall "$cw"
	fi
	record "scd2_unchanged$suffix" "$ENGINE" "$N" dla_wall "$mw"
	record "scd2_unchanged$suffix" "$ENGINE" "$N" hand_wall "$hw"
	record "scd2_unchanged$suffix" "$ENGINE" "$N" dla_db "$md"
	record "scd2_unchanged$suffix" "$ENGINE" "$N" hand_db "$hd"
}

measure "" ""
# the same with the source keyed: a unique index on the business key (what a
# staging table with a primary key has).  dla reads it from the catalog and
# leaves the duplicate-key checks to the database (docs/SCD.md); the
# hand-written SQL is unchanged.  Untimed: the index build.
if [ "$ENGINE" = sqlite ]; then
	sql_text "$ENGINE" "$P" "CREATE UNIQUE INDEX staging.src_customer_ux ON src_customer (customer_id);"
else
	sql_text "$ENGINE" "$P" "CREATE UNIQUE INDEX src_customer_ux ON staging.src_customer (customer_id); ANALYZE staging.src_customer;"
fi
measure _keyed " (source keyed)"
