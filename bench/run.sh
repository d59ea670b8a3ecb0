#!/bin/sh
# run.sh DLA_BIN - every benchmark, one after the other (`make bench`).
# Benchmarks print figures; they never fail on a time.  Results are copied
# by hand into docs/PERFORMANCE.md with the date and machine.
#
# Environment:
#   BENCH_SCALE    multiplies every row count and node count (default 1;
#                  0.1 for a quick run of a few minutes)
#   BENCH_ONLY     the benchmarks to run, among: project scd fact dag
#                  parallel (default: all), then the summary and chart
#   BENCH_ENGINES  sqlite postgres (default both; postgres needs the
#                  PostgreSQL 15 server binaries: tests/integration/pg_env.sh
#                  starts a throw-away server on loopback)
#   BENCH_PAIRS    interleaved dla / hand-written pairs per figure (default 2)
#   BENCH_FACT_ROWS  fact sizes (default "100000 1000000 5000000", scaled)
#   BENCH_SCD_ROWS   dimension sizes (default "100000 1000000", scaled)
# Output: bench/out/results.tsv (every figure), bench/out/summary.md (the
# table of docs/PERFORMANCE.md), bench/out/scaling.svg (the chart).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
[ $# -eq 1 ] || { echo "usage: $0 DLA_BIN" >&2; exit 2; }
dla=$1
SCALE=${BENCH_SCALE:-1}
ONLY=${BENCH_ONLY:-}
[ -n "$ONLY" ] || ONLY="project scd fact dag parallel"
ENGINES=${BENCH_ENGINES:-sqlite postgres}
FACT_ROWS=${BENCH_FACT_ROWS:-100000 1000000 5000000}
SCD_ROWS=${BENCH_SCD_ROWS:-100000 1000000}
export BENCH_OUT="${BENCH_OUT:-$here/out}"
mkdir -p "$BENCH_OUT"

scaled() {   # scaled N [MIN] -> N * BENCH_SCALE, at least MIN (default 10)
	awk -v n="$1" -v s="$SCALE" -v m="${2:-10}" 'BEGIN { v = int(n * s + 0.5); if (v < m) v = m; print v }'
}
wants() {
	case " $ONLY " in *" $1 "*) return 0 ;; esac
	return 1
}
has_engine() {
	case " $ENGINES " in *" $1 "*) return 0 ;; esac
	return 1
}

started=$(date +%s)
echo "bench: scale $SCALE, engines: $ENGINES, benchmarks: $ONLY ($(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs)"
if [ -f "$BENCH_OUT/results.tsv" ]; then
	mv "$BENCH_OUT/results.tsv" "$BENCH_OUT/results.previous.tsv"
fi
: >"$BENCH_OUT/results.tsv"

if has_engine postgres && { wants scd || wants fact || wants dag || wants parallel; }; then
	. "$here/../tests/integration/pg_env.sh"
	trap 'pg_stop' EXIT
	trap 'pg_stop; exit 130' INT TERM
	pg_start >/dev/null || { echo "bench: PostgreSQL did not start" >&2; exit 1; }
fi

if wants project; then
	n=$(scaled 10000 100)
	echo "== 6. project size: validate and plan on $n specs"
	sh "$here/bench_project.sh" "$dla" "$n"
fi
if wants scd; then
	echo "== 1, 2. SCD2 dimension: batch (10% changed, 1% new) and unchanged rerun"
	for e in $ENGINES; do
		for n in $SCD_ROWS; do
			sh "$here/bench_scd.sh" "$dla" "$e" "$(scaled "$n" 1000)"
		done
	done
fi
if wants fact; then
	echo "== 3. fact: point-in-time lookups to 3 type 2 dimensions"
	rows=
	for n in $FACT_ROWS; do rows="$rows $(scaled "$n" 1000)"; done
	for e in $ENGINES; do
		# shellcheck disable=SC2086
		sh "$here/bench_fact.sh" "$dla" "$e" "$(scaled 100000 1000)" $rows
	done
fi
if wants dag; then
	echo "== 4. orchestration overhead: a DAG of trivial nodes"
	for e in $ENGINES; do
		sh "$here/bench_dag.sh" "$dla" "$e" "$(scaled 1000 10)"
	done
fi
if wants parallel && has_engine postgres; then
	echo "== 5. parallel DAG on PostgreSQL: 64 nodes with known costs"
	sh "$here/bench_parallel.sh" "$dla" 16
fi
echo "== summary (7. memory: peak RSS of the dla process at each size)"
sh "$here/summary.sh" "$BENCH_OUT/results.tsv" | tee "$BENCH_OUT/summary.md"
if command -v gnuplot >/dev/null 2>&1; then
	sh "$here/plot.sh" "$BENCH_OUT/results.tsv" "$BENCH_OUT/scaling.svg" &&
		echo "chart: $BENCH_OUT/scaling.svg"
else
	echo "bench: no gnuplot (sh scripts/deps.sh installs gnuplot-nox): no chart"
fi
echo "bench: done in $(( $(date +%s) - started )) s"
