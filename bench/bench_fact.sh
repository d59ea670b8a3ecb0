#!/bin/sh
# bench_fact.sh DLA_BIN ENGINE ND N... - benchmark 3 (docs/PERFORMANCE.md):
# a fact of N rows loaded with 3 point-in-time lookups to type 2
# dimensions (ND, ND/10 and ND/100 keys, each with a second version for a
# third of its keys from 2026-02-15), by dla and by hand-written range-join
# SQL (bench/sql/ENGINE/fact_load.sql), into the same empty fact table.
#
# Setup (untimed): the dimensions loaded by dla twice (as of 2026-01-01 and
# 2026-02-15); for each N, staging.src_fact generated, the fact table
# created by a first dla load, then emptied.  BENCH_PAIRS interleaved pairs
# per N; both loads must give the same keys (checked on the first pair).
set -eu
. "$(dirname "$0")/lib.sh"

[ $# -ge 4 ] || die "usage: bench_fact.sh DLA_BIN sqlite|postgres ND N..."
DLA=$(abs_bin "$1")
ENGINE=$2
ND=$3
shift 3
SQLRUN=${SQLRUN:-$(dirname "$DLA")/sqlrun}
[ -x "$SQLRUN" ] || die "no driver '$SQLRUN'"
TARGET=$(target_of "$ENGINE")
P=$BENCH_OUT/fact-$ENGINE
W=$BENCH_OUT/work
mkdir -p "$W"

rm -rf "$P"
mkdir -p "$P/models"
write_dla_yml "$P" bench_fact 1
{
	echo "sources:"
	for k in 1 2 3; do
		printf '  - name: src_d%s\n    schema: staging\n' "$k"
	done
	printf '  - name: src_fact\n    schema: staging\n'
	for k in 1 2 3; do
		cat <<EOF
---
dimension: dim_d$k
schema: presentation
source: staging.src_d$k
business_key: [d${k}_id]
scd: 2
tags: [dims]
EOF
	done
	cat <<'EOF'
---
fact: fact_sales
schema: presentation
source: staging.src_fact
grain: [order_id, line_no]
load: merge
lookups:
  - {dimension: dim_d1, on: {d1_id: d1_id}, as_of: sold_at}
  - {dimension: dim_d2, on: {d2_id: d2_id}, as_of: sold_at}
  - {dimension: dim_d3, on: {d3_id: d3_id}, as_of: sold_at}
EOF
} >"$P/models/bench.yml"

dla() {
	"$DLA" --project "$P" --target "$TARGET" "$@" >"$W/setup.log" 2>&1 ||
		{ cat "$W/setup.log" >&2; die "dla $* failed"; }
}
gen() {   # gen WHAT ARGS...
	sh "$BENCH_ROOT/bench/gen_data.sh" "$ENGINE" "$@" >"$W/gen.sql"
	sql_file "$ENGINE" "$P" "$W/gen.sql"
}
analyze() {
	[ "$ENGINE" = postgres ] && sql_text "$ENGINE" "$P" "VACUUM ANALYZE $1;"
	return 0
}
empty_fact() {
	case $ENGINE in
	sqlite) restore_tables "$ENGINE" "$P" ;;
	postgres)
		sql_text "$ENGINE" "$P" "TRUNCATE presentation.fact_sales;"
		restore_tables "$ENGINE" "$P"
		;;
	esac
}
fingerprint() {
	query "$ENGINE" "$P" "SELECT COUNT(*), SUM(d1_sk), SUM(d2_sk), SUM(d3_sk),
		SUM(CASE WHEN d1_sk = -1 THEN 1 ELSE 0 END), SUM(amount)
		FROM presentation.fact_sales" | tr -d ' '
}

echo "fact [$ENGINE]: dimensions of $ND, $((ND / 10)), $((ND / 100)) keys"
reset_engine "$ENGINE" "$P"
gen dims "$ND" 0
gen fact 10 "$ND"
dla run --select tag:dims --as-of '2026-01-01 00:00:00'
gen dims "$ND" 1
dla run --select tag:dims --as-of '2026-02-15 00:00:00'
for k in 1 2 3; do analyze "presentation.dim_d$k"; done

hand_sql "$ENGINE" fact_load.sql "" "$W/fact.sql"
for N in "$@"; do
	t0=$(now)
	gen fact "$N" "$ND"
	analyze staging.src_fact
	# the fact table, created by dla, then emptied: the saved state
	dla run --select fact_sales --as-of '2026-04-01 00:00:00'
	case $ENGINE in
	sqlite)
		sql_text "$ENGINE" "$P" "DELETE FROM presentation.fact_sales; VACUUM presentation;"
		save_tables "$ENGINE" "$P"
		;;
	postgres) sql_text "$ENGINE" "$P" "TRUNCATE presentation.fact_sales;" ;;
	esac
	echo "  N=$N: setup $(elapsed "$t0" "$(now)") s"
	a_wall=; b_wall=; a_db=; b_db=; a_rss=; fp_a=; fp_b=
	pair=1
	while [ "$pair" -le "$BENCH_PAIRS" ]; do
		empty_fact
		timed "$W/a.log" "$DLA" --project "$P" --target "$TARGET" run \
			--select fact_sales --as-of '2026-04-01 00:00:00'
		grep -q "OK   fact_sales (fact merge) +$N " "$W/a.log" ||
			{ cat "$W/a.log" >&2; die "dla fact load failed"; }
		a_wall="$a_wall $T"
		a_rss="$a_rss $RSS"
		a_db="$a_db $(last_node_db_seconds "$ENGINE" "$P" fact_sales)"
		[ "$pair" -eq 1 ] && fp_a=$(fingerprint)
		empty_fact
		timed "$W/b.log" "$SQLRUN" "$P" "$TARGET" "$W/fact.sql"
		b_wall="$b_wall $T"
		b_db="$b_db $(cat "$W/b.log")"
		[ "$pair" -eq 1 ] && fp_b=$(fingerprint)
		pair=$((pair + 1))
	done
	[ "$fp_a" = "$fp_b" ] || die "dla and the hand-written SQL loaded different facts: '$fp_a' vs '$fp_b'"
	# shellcheck disable=SC2086
	{
		mw=$(median $a_wall); hw=$(median $b_wall); md=$(median $a_db); hd=$(median $b_db)
		mr=$(median $a_rss)
	}
	echo "  N=$N: dla $mw s (db $md s), hand $hw s (db $hd s): ratio $(ratio "$mw" "$hw") wall, $(ratio "$md" "$hd") db; dla peak RSS $(awk -v k="$mr" 'BEGIN { printf "%.0f", k / 1024 }') MB"
	record fact "$ENGINE" "$N" dla_wall "$mw"
	record fact "$ENGINE" "$N" hand_wall "$hw"
	record fact "$ENGINE" "$N" dla_db "$md"
	record fact "$ENGINE" "$N" hand_db "$hd"
	record fact "$ENGINE" "$N" dla_rss_kb "$mr"
done
