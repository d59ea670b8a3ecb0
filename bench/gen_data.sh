#!/bin/sh
# gen_data.sh DIALECT WHAT ARGS... - print the SQL that generates benchmark
# data, for DIALECT sqlite (run by sqlite3 on the main database file, the
# schemas attached as dla attaches them) or postgres (run by psql).
# No external data: rows come from a recursive CTE (SQLite) or
# generate_series (PostgreSQL), values are pure functions of the row number.
#
#   customer N VERSION   staging.src_customer: the SCD source (bench_scd.sh)
#       keys 1..N, 12 attributes a01..a12 (a01-a06 type 1, a07-a12 type 2 in
#       the dimension spec; text, integer, decimal, date, some NULLs).
#       VERSION 0: the first load; 1: 5% of the keys (i % 20 = 5) change a
#       type 2 column (history before the measured batch); 2: the measured
#       batch: 10% of the keys change (i % 20 = 0: a type 2 and a type 1
#       column, i % 20 = 10: a type 1 column only) and N/100 new keys.
#   dims ND VERSION      staging.src_d1, src_d2, src_d3: sources of the three
#       type 2 dimensions a fact looks up (ND, ND/10 and ND/100 keys, at
#       least 10); VERSION 1 changes a type 2 column of a third of the keys.
#   fact N ND            staging.src_fact: N fact rows (order_id, line_no),
#       sold_at spread over 2026-01-01 .. 2026-03-31 (every dimension's
#       first version starts 2026-01-01: no sale predates a key), a key of
#       each dimension (a few per mille missing: the unknown member),
#       quantity, unit_price, amount.
set -eu

usage() {
	echo "usage: $0 sqlite|postgres customer N VERSION | dims ND VERSION | fact N ND" >&2
	exit 2
}
[ $# -ge 2 ] || usage
dialect=$1
what=$2
shift 2
num() {
	case $1 in '' | *[!0-9]*) usage ;; esac
}

case $dialect in
sqlite)
	# rows i = 1..$1 as a CTE "n(i)"
	series() { echo "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)"; }
	from_series() { echo "FROM n"; }
	cat_() { echo "($1 || $2)"; }
	text_of() { echo "CAST($1 AS TEXT)"; }
	date_plus() { echo "date('$1', '+' || ($2) || ' days')"; }
	ts_plus_s() { echo "strftime('%Y-%m-%d %H:%M:%S', '$1', '+' || ($2) || ' seconds')"; }
	dec2() { echo "ROUND(($1) / 100.0, 2)"; }
	idiv() { echo "(($1) / ($2))"; }
	t_text=TEXT; t_int=INTEGER; t_dec="NUMERIC(12,2)"; t_date=DATE; t_ts=TIMESTAMP
	;;
postgres)
	series() { echo ""; }
	from_series() { echo "FROM generate_series(CAST(1 AS BIGINT), $1) AS n(i)"; }
	cat_() { echo "($1 || $2)"; }
	text_of() { echo "CAST($1 AS TEXT)"; }
	date_plus() { echo "(DATE '$1' + CAST($2 AS INTEGER))"; }
	ts_plus_s() { echo "(TIMESTAMP '$1' + ($2) * INTERVAL '1 second')"; }
	dec2() { echo "CAST(($1) / 100.0 AS NUMERIC(12,2))"; }
	idiv() { echo "(($1) / ($2))"; }
	t_text="VARCHAR(60)"; t_int=BIGINT; t_dec="NUMERIC(12,2)"; t_date=DATE
	t_ts="TIMESTAMP"
	;;
*) usage ;;
esac

# ---- SCD source ------------------------------------------------------------
gen_customer() {
	n=$1
	v=$2
	num "$n"
	num "$v"
	rows=$n
	[ "$v" -ge 2 ] && rows=$((n + n / 100))
	# c1: the batch's change on i % 20 = 0 (types 2 and 1); c10: on
	# i % 20 = 10 (type 1 only); h5: the history batch's change
	c1="(CASE WHEN $v >= 2 AND i % 20 = 0 AND i <= $n THEN 1 ELSE 0 END)"
	c10="(CASE WHEN $v >= 2 AND i % 20 = 10 AND i <= $n THEN 1 ELSE 0 END)"
	h5="(CASE WHEN $v >= 1 AND i % 20 = 5 THEN 1 ELSE 0 END)"
	cat <<EOF
DROP TABLE IF EXISTS staging.src_customer;
CREATE TABLE staging.src_customer (
    customer_id $t_int NOT NULL,
    a01 $t_text, a02 $t_text, a03 $t_int, a04 $t_dec, a05 $t_text, a06 $t_date,
    a07 $t_text, a08 $t_text, a09 $t_int, a10 $t_dec, a11 $t_text, a12 $t_date
);
$(series "$rows")
INSERT INTO staging.src_customer
SELECT i,
       $(cat_ "'name '" "$(cat_ "$(text_of i)" "CASE WHEN $c10 = 1 THEN ' (renamed)' ELSE '' END")"),
       $(cat_ "'user'" "$(cat_ "$(text_of i)" "'@example.com'")"),
       i % 97 + $c1,
       $(dec2 "i % 100000"),
       CASE WHEN i % 7 = 0 THEN NULL ELSE $(cat_ "'phone '" "$(text_of "i % 1000003")") END,
       $(date_plus 2010-01-01 "i % 3650"),
       $(cat_ "'segment '" "$(text_of "i % 50")"),
       $(cat_ "'city '" "$(text_of "(i + $h5) % 5000")"),
       i % 1000 + $c1,
       $(dec2 "(i * 7) % 1000000"),
       CASE WHEN i % 11 = 0 THEN NULL ELSE $(cat_ "'tier '" "$(text_of "i % 5")") END,
       $(date_plus 2000-01-01 "i % 9000")
$(from_series "$rows");
EOF
}

# ---- the fact benchmark's dimensions and fact ----------------------------------
gen_dims() {
	nd=$1
	v=$2
	num "$nd"
	num "$v"
	k=1
	for size in "$nd" $((nd / 10)) $((nd / 100)); do
		[ "$size" -ge 10 ] || size=10
		ch="(CASE WHEN $v >= 1 AND i % 3 = 0 THEN 1 ELSE 0 END)"
		cat <<EOF
DROP TABLE IF EXISTS staging.src_d$k;
CREATE TABLE staging.src_d$k (
    d${k}_id $t_int NOT NULL,
    name $t_text, grp $t_text, rank_no $t_int
);
$(series "$size")
INSERT INTO staging.src_d$k
SELECT i, $(cat_ "'d$k member '" "$(text_of i)"),
       $(cat_ "'group '" "$(text_of "(i + $ch) % 20")"), i % 10
$(from_series "$size");
EOF
		k=$((k + 1))
	done
}

gen_fact() {
	n=$1
	nd=$2
	num "$n"
	num "$nd"
	s1=$nd
	s2=$((nd / 10))
	s3=$((nd / 100))
	[ "$s2" -ge 10 ] || s2=10
	[ "$s3" -ge 10 ] || s3=10
	# 90 days of seconds, spread by a multiplicative hash of i; keys by
	# other hashes; key 0 (i % 997 = 0 for d1) does not exist: unknown
	cat <<EOF
DROP TABLE IF EXISTS staging.src_fact;
CREATE TABLE staging.src_fact (
    order_id $t_int NOT NULL, line_no $t_int NOT NULL, sold_at $t_ts,
    d1_id $t_int, d2_id $t_int, d3_id $t_int,
    quantity $t_int, unit_price $t_dec, amount $t_dec
);
$(series "$n")
INSERT INTO staging.src_fact
SELECT $(idiv "i + 2" 3), i % 3 + 1,
       $(ts_plus_s "2026-01-01 00:00:00" "(i * 7919) % 7776000"),
       CASE WHEN i % 997 = 0 THEN 0 ELSE (i * 31) % $s1 + 1 END,
       (i * 17) % $s2 + 1, (i * 13) % $s3 + 1,
       i % 9 + 1, $(dec2 "(i * 37) % 10000 + 100"),
       $(dec2 "(i % 9 + 1) * ((i * 37) % 10000 + 100)")
$(from_series "$n");
EOF
}

case $what in
customer) [ $# -eq 2 ] || usage; gen_customer "$1" "$2" ;;
dims) [ $# -eq 2 ] || usage; gen_dims "$1" "$2" ;;
fact) [ $# -eq 2 ] || usage; gen_fact "$1" "$2" ;;
*) usage ;;
esac
