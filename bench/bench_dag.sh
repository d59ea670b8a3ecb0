#!/bin/sh
# bench_dag.sh DLA_BIN ENGINE N - benchmark 4 (docs/PERFORMANCE.md): the
# orchestration overhead of a DAG of N trivial nodes: N views in 10 layers
# of N/10, each reading one view of the layer before (layer 0 reads a
# one-row source table), run with --threads 1 so that time is either dla's
# or the database's:
#   overhead   = process wall - sum of dla_node_run.db_seconds (everything
#                dla adds: start, project load, connect, metadata, lock,
#                scheduling, SQL generation, recording each node), and
#                where it goes (the four add up to the overhead):
#                  startup   process start -> the first node starts (load,
#                            connect, locks, history, run row, workers)
#                  gaps      between the nodes (dispatch, bookkeeping)
#                  in-node   inside the nodes, outside the database
#                            (preparing the SQL)
#                  tail      the last node ends -> the process exits (the
#                            last records, the run's end, lock release)
#   dispatch   = for each node, started_at - max(queued_at, finished_at of
#                the node before it on the one worker): the time from "a
#                worker is free and the node is ready" to "it starts"; p50,
#                p99 and max
# Medians of BENCH_PAIRS runs, after one untimed run (so the scheduler
# reads a short history).  Then the same with the history a project in
# production has (the last 20 runs, which the scheduler reads at every
# start: BENCH_DAG_HISTORY, 0 skips it), and one run with --threads 4
# (wall only).
set -eu
. "$(dirname "$0")/lib.sh"

[ $# -eq 3 ] || die "usage: bench_dag.sh DLA_BIN sqlite|postgres N"
DLA=$(abs_bin "$1")
ENGINE=$2
N=$3
TARGET=$(target_of "$ENGINE")
P=$BENCH_OUT/dag-$ENGINE
W=$BENCH_OUT/work
mkdir -p "$W"
per=$((N / 10))
[ "$per" -ge 1 ] || die "N must be at least 10"

rm -rf "$P"
mkdir -p "$P/models" "$P/views"
write_dla_yml "$P" bench_dag 1
printf 'sources:\n  - name: one_row\n    schema: staging\n' >"$P/models/sources.yml"
awk -v per="$per" -v dir="$P/views" 'BEGIN {
	for (l = 0; l < 10; l++)
		for (j = 0; j < per; j++) {
			f = sprintf("%s/v_%d_%03d.sql", dir, l, j)
			if (l == 0)
				printf "select id, name from staging.one_row\n" > f
			else
				printf "select id, name from v_%d_%03d\n", l - 1, (j * 7) % per > f
			close(f)
		}
}'
reset_engine "$ENGINE" "$P"
sql_text "$ENGINE" "$P" "CREATE TABLE staging.one_row (id INTEGER, name VARCHAR(20));
INSERT INTO staging.one_row VALUES (1, 'one');"
"$DLA" --project "$P" --target "$TARGET" run --threads 1 >"$W/dag.log" 2>&1 ||
	{ tail "$W/dag.log" >&2; die "first run failed"; }

case $ENGINE in
# (SQLite: whole seconds and the fraction apart, printed to the
# microsecond: julianday's double of days keeps only about 0.1 ms)
sqlite) epoch() { echo "printf('%.6f', CAST(strftime('%s', $1) AS REAL) + CAST('0' || substr($1, 20) AS REAL))"; } ;;
postgres) epoch() { echo "extract(epoch from $1)"; } ;;
esac

# measure SUFFIX LABEL: BENCH_PAIRS timed runs; prints the medians (LABEL
# after "--threads 1") and records them (metric names + SUFFIX).
measure() {
	suffix=$1 label=$2
	walls=; overheads=; p99s=; p50s=; maxs=; startups=; gapss=; innodes=; tails=
	pair=1
	while [ "$pair" -le "$BENCH_PAIRS" ]; do
		timed "$W/dag.log" "$DLA" --project "$P" --target "$TARGET" run --threads 1
		grep -q "done: success, $N ok" "$W/dag.log" || { tail "$W/dag.log" >&2; die "run failed"; }
		run=$(query "$ENGINE" "$P" "SELECT MAX(run_id) FROM dla_meta.dla_run")
		query "$ENGINE" "$P" "SELECT $(epoch queued_at), $(epoch started_at), $(epoch finished_at), db_seconds
			FROM dla_meta.dla_node_run WHERE run_id = '$run' ORDER BY started_at" >"$W/nodes.txt"
		# shellcheck disable=SC2154
		set -- $(awk -F'|' -v t0="$_t0" -v t1="$_t1" '
			NR == 1 { first = $2 }
			{ db += $4; inside += $3 - $2; last = $3 }
			END { printf "%.3f %.3f %.3f %.3f %.3f", db, first - t0,
				(last - first) - inside, inside - db, t1 - last }' "$W/nodes.txt")
		db=$1
		startups="$startups $2"; gapss="$gapss $3"; innodes="$innodes $4"; tails="$tails $5"
		# dispatch gaps, sorted
		awk -F'|' 'NR > 1 { ready = ($1 > prev) ? $1 : prev; printf "%.6f\n", ($2 - ready) * 1000 }
			{ prev = $3 }' "$W/nodes.txt" | sort -g >"$W/gaps.txt"
		n=$(wc -l <"$W/gaps.txt")
		p50s="$p50s $(awk -v n="$n" 'NR == int(n * 0.50 + 0.999) { printf "%.3f", $1 }' "$W/gaps.txt")"
		p99s="$p99s $(awk -v n="$n" 'NR == int(n * 0.99 + 0.999) { printf "%.3f", $1 }' "$W/gaps.txt")"
		maxs="$maxs $(tail -n 1 "$W/gaps.txt" | awk '{ printf "%.3f", $1 }')"
		walls="$walls $T"
		overheads="$overheads $(awk -v w="$T" -v d="$db" 'BEGIN { printf "%.3f", w - d }')"
		pair=$((pair + 1))
	done
	# shellcheck disable=SC2086
	{
		w=$(median $walls); o=$(median $overheads); p50=$(median $p50s); p99=$(median $p99s)
		mx=$(median $maxs); su=$(median $startups); ga=$(median $gapss)
		inn=$(median $innodes); ta=$(median $tails)
	}
	pct=$(awk -v o="$o" -v w="$w" 'BEGIN { printf "%.1f", 100 * o / w }')
	echo "dag [$ENGINE] $N views, --threads 1$label: wall $w s, database $(awk -v w="$w" -v o="$o" 'BEGIN { printf "%.3f", w - o }') s, overhead $o s ($pct% of wall): startup $su s, gaps $ga s, in-node $inn s, tail $ta s; dispatch p50 $p50 ms, p99 $p99 ms, max $mx ms"
	record dag "$ENGINE" "$N" "wall$suffix" "$w"
	record dag "$ENGINE" "$N" "overhead$suffix" "$o"
	record dag "$ENGINE" "$N" "overhead_pct$suffix" "$pct"
	record dag "$ENGINE" "$N" "overhead_startup$suffix" "$su"
	record dag "$ENGINE" "$N" "overhead_gaps$suffix" "$ga"
	record dag "$ENGINE" "$N" "overhead_in_node$suffix" "$inn"
	record dag "$ENGINE" "$N" "overhead_tail$suffix" "$ta"
	record dag "$ENGINE" "$N" "dispatch_p50_ms$suffix" "$p50"
	record dag "$ENGINE" "$N" "dispatch_p99_ms$suffix" "$p99"
	record dag "$ENGINE" "$N" "dispatch_max_ms$suffix" "$mx"
}

measure "" ""
HISTORY=${BENCH_DAG_HISTORY:-20}
if [ "$HISTORY" -gt 0 ]; then
	while [ "$(query "$ENGINE" "$P" "SELECT COUNT(*) FROM dla_meta.dla_run")" -lt "$HISTORY" ]; do
		"$DLA" --project "$P" --target "$TARGET" run --threads 1 >"$W/dag.log" 2>&1 ||
			{ tail "$W/dag.log" >&2; die "run failed"; }
	done
	measure "_history" " after $HISTORY runs"
fi
timed "$W/dag.log" "$DLA" --project "$P" --target "$TARGET" run --threads 4
grep -q "done: success, $N ok" "$W/dag.log" || { tail "$W/dag.log" >&2; die "run failed"; }
echo "dag [$ENGINE] $N views, --threads 4: wall $T s"
record dag "$ENGINE" "$N" wall_threads4 "$T"
