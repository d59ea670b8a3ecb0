#!/bin/sh
# bench_parallel.sh DLA_BIN THREADS - benchmark 5 (docs/PERFORMANCE.md): a
# DAG of 64 nodes with known costs on PostgreSQL: 32 dimensions in 4 layers
# of 8, each dimension of layer L depending (depends_on) on two of layer
# L-1 and reading its own one-row view that sleeps c seconds (pg_sleep:
# 0.8 .. 2.4 s, a fixed pattern), 32 views + 32 dimensions.  The critical
# path is the longest chain of costs through the DAG:
#   known  with the pg_sleep costs only (the database's own time, nothing
#          of dla's per-node work)
#   real   with each node's recorded duration (finished_at - started_at)
# and wall / critical path is what scheduling and dispatch add (1.0 =
# perfect; the run needs at least the critical path, whatever the threads).
set -eu
. "$(dirname "$0")/lib.sh"

[ $# -eq 2 ] || die "usage: bench_parallel.sh DLA_BIN THREADS"
DLA=$(abs_bin "$1")
THREADS=$2
P=$BENCH_OUT/parallel-postgres
W=$BENCH_OUT/work
mkdir -p "$W"

rm -rf "$P"
mkdir -p "$P/models" "$P/views"
write_dla_yml "$P" bench_parallel "$THREADS"
# cost of dimension i (0..31), in tenths of a second: 8 .. 24
cost() {
	echo $(( 2 * (4 + (($1 * 5 + 3) % 9)) ))
}
i=0
: >"$P/models/dims.yml"
while [ "$i" -lt 32 ]; do
	c=$(cost "$i")
	printf "select 1 as id, 'member %s' as name where pg_sleep(%s.%s) is not null\n" \
		"$i" $((c / 10)) $((c % 10)) >"$P/views/v_p$i.sql"
	layer=$((i / 8))
	{
		[ "$i" -gt 0 ] && echo "---"
		echo "dimension: dim_p$i"
		echo "schema: presentation"
		echo "source: v_p$i"
		echo "business_key: [id]"
		if [ "$layer" -gt 0 ]; then
			a=$(( (layer - 1) * 8 + (i % 8) ))
			b=$(( (layer - 1) * 8 + ((i * 3 + 1) % 8) ))
			[ "$a" = "$b" ] && b=$(( (layer - 1) * 8 + ((i + 1) % 8) ))
			echo "depends_on: [dim_p$a, dim_p$b]"
		fi
	} >>"$P/models/dims.yml"
	i=$((i + 1))
done
reset_engine postgres "$P"
# first run: creates the tables (and gives the scheduler its history)
"$DLA" --project "$P" --target pg run >"$W/par.log" 2>&1 || { tail "$W/par.log" >&2; die "first run failed"; }

# critical path over the DAG from per-dimension costs given on stdin as
# "i cost" (views precede their dimension: their cost is added to it)
critical_path() {
	awk -v dims="$P/models/dims.yml" '
	{ cost[$1] = $2 }
	END {
		while ((getline line < dims) > 0) {
			if (line ~ /^dimension: dim_p/) { sub(/^dimension: dim_p/, "", line); cur = line }
			if (line ~ /^depends_on:/) {
				gsub(/[^0-9,]/, "", line); n = split(line, d, ",")
				for (k = 1; k <= n; k++) dep[cur, k] = d[k]; ndep[cur] = n
			}
		}
		best = 0
		for (i = 0; i < 32; i++) {
			m = 0
			for (k = 1; k <= ndep[i]; k++) if (f[dep[i, k]] > m) m = f[dep[i, k]]
			f[i] = m + cost[i]
			if (f[i] > best) best = f[i]
		}
		printf "%.3f", best
	}'
}
known=$(i=0; while [ "$i" -lt 32 ]; do c=$(cost "$i"); echo "$i $((c / 10)).$((c % 10))"; i=$((i + 1)); done | critical_path)

walls=; ratios_known=; ratios_real=
pair=1
while [ "$pair" -le "$BENCH_PAIRS" ]; do
	timed "$W/par.log" "$DLA" --project "$P" --target pg run --threads "$THREADS"
	grep -q "done: success, 64 ok" "$W/par.log" || { tail "$W/par.log" >&2; die "run failed"; }
	run=$(query postgres "$P" "SELECT MAX(run_id) FROM dla_meta.dla_run")
	# span of the run's nodes (first start to last finish) and each
	# dimension's real cost (its recorded duration; views are ready at
	# once and off the critical path)
	span=$(query postgres "$P" "SELECT extract(epoch FROM MAX(finished_at) - MIN(started_at))
		FROM dla_meta.dla_node_run WHERE run_id = '$run'")
	real=$(query postgres "$P" "SELECT substr(node, 6), extract(epoch FROM finished_at - started_at)
		FROM dla_meta.dla_node_run WHERE run_id = '$run' AND node LIKE 'dim_p%'" |
		tr '|' ' ' | critical_path)
	walls="$walls $T"
	ratios_known="$ratios_known $(ratio "$T" "$known")"
	ratios_real="$ratios_real $(ratio "$span" "$real")"
	pair=$((pair + 1))
done
# shellcheck disable=SC2086
{
	w=$(median $walls); rk=$(median $ratios_known); rr=$(median $ratios_real)
}
echo "parallel [postgres] 64 nodes, --threads $THREADS: wall $w s, critical path $known s of pg_sleep: ratio $rk; node span / critical path of recorded node durations: $rr"
record parallel postgres 64 wall "$w"
record parallel postgres 64 critical_path_known "$known"
record parallel postgres 64 ratio_known "$rk"
record parallel postgres 64 ratio_real "$rr"
