#!/bin/sh
# plot.sh RESULTS_TSV OUT.svg - the chart of docs/PERFORMANCE.md: dla's and
# the hand-written SQL's median wall time (left, log-log) and their ratio
# (right) against the row count, for the SCD2 batch and the fact load on
# SQLite and PostgreSQL.  gnuplot (Debian: gnuplot-nox).
set -eu
[ $# -eq 2 ] || { echo "usage: $0 RESULTS_TSV OUT.svg" >&2; exit 2; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dla-plot.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# one data file per (bench, engine): rows dla_wall hand_wall ratio
for b in scd2_batch fact; do
	for e in sqlite postgres; do
		awk -F'\t' -v b="$b" -v e="$e" '$1 == b && $2 == e && $4 == "dla_wall" { d[$3] = $5 }
			$1 == b && $2 == e && $4 == "hand_wall" { h[$3] = $5 }
			END { for (n in d) if (n in h && h[n] > 0) printf "%s %s %s %.3f\n", n, d[n], h[n], d[n] / h[n] }' \
			"$1" | sort -n >"$tmp/$b-$e.dat"
	done
done
plots_t=
plots_r=
for b in scd2_batch fact; do
	for e in sqlite postgres; do
		[ -s "$tmp/$b-$e.dat" ] || continue
		case $b in scd2_batch) bl="SCD2 batch" ;; fact) bl="fact" ;; esac
		case $e in sqlite) pt=7 ;; postgres) pt=5 ;; esac
		case $b in scd2_batch) lc=1 ;; fact) lc=2 ;; esac
		plots_t="$plots_t${plots_t:+, }'$tmp/$b-$e.dat' using 1:2 with linespoints lc $lc pt $pt lw 2 title 'dla, $bl, $e', '$tmp/$b-$e.dat' using 1:3 with linespoints lc $lc pt $pt dt 2 title 'by hand, $bl, $e'"
		plots_r="$plots_r${plots_r:+, }'$tmp/$b-$e.dat' using 1:4 with linespoints lc $lc pt $pt lw 2 title '$bl, $e'"
	done
done
[ -n "$plots_t" ] || { echo "plot: no SCD2 or fact figures in $1" >&2; exit 1; }
gnuplot <<GP
set terminal svg size 1100,480 dynamic enhanced font 'sans,11'
set output '$2'
set multiplot layout 1,2 title 'dla vs hand-written SQL (median of interleaved runs)'
set logscale x
set logscale y
set grid
set key top left font ',9'
set xlabel 'rows (fact rows / dimension keys)'
set ylabel 'wall seconds'
set format x '%.0s%c'
plot $plots_t
unset logscale y
set ylabel 'ratio dla / hand-written'
set yrange [0:*]
set key top right font ',9'
plot $plots_r, 1.15 with lines lc rgb 'dark-green' dt 2 title 'goal (fact)', 1.10 with lines lc rgb 'dark-violet' dt 2 title 'goal (SCD2)'
unset multiplot
GP
