#!/bin/sh
# bench_project.sh DLA_BIN [N] - time `dla validate` and `dla plan` on a
# generated project of N load specs (default 10,000) in bench/out/projectNk.
#
# Prints one line per measurement: wall seconds and, when /usr/bin/time is
# available, peak resident memory.  The first validate runs with a cold page
# cache when the caches can be dropped (root, writable /proc/sys), else warm.
# Exits non-zero when a command fails.  Never part of `make check`.
set -eu

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: $0 DLA_BIN [N]" >&2
	exit 2
fi
dla=$1
n=${2:-10000}
case $dla in
/*) ;;
*) dla=$(pwd)/$dla ;;
esac
if [ ! -f "$dla" ] || [ ! -x "$dla" ]; then
	echo "$0: '$1' is not an executable file" >&2
	exit 2
fi

root=$(cd "$(dirname "$0")/.." && pwd)
if [ "$n" -ge 1000 ] && [ $((n % 1000)) -eq 0 ]; then
	out=$root/bench/out/project$((n / 1000))k
else
	out=$root/bench/out/project$n
fi
log=$root/bench/out/last.log

now() {
	date +%s.%N
}

elapsed() {   # START END -> seconds with 3 decimals
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'
}

drop_caches() {
	sync
	if [ "$(id -u)" = 0 ] && (echo 3 >/proc/sys/vm/drop_caches) 2>/dev/null; then
		echo cold
	else
		echo warm
	fi
}

# measure LABEL COMMAND... : runs COMMAND (stdout discarded, stderr to the
# log), prints "LABEL  X.XXX s  [peak RSS]".
measure() {
	label=$1
	shift
	rss=
	if [ -x /usr/bin/time ]; then
		t0=$(now)
		set +e
		/usr/bin/time -f '%M' -o "$log.rss" "$@" >/dev/null 2>"$log"
		rc=$?
		set -e
		t1=$(now)
		rss=$(tail -n 1 "$log.rss" 2>/dev/null || true)
		rm -f "$log.rss"
	else
		t0=$(now)
		set +e
		"$@" >/dev/null 2>"$log"
		rc=$?
		set -e
		t1=$(now)
	fi
	case $rss in
	'' | *[!0-9]*) rss_text= ;;
	*) rss_text=$(awk -v k="$rss" 'BEGIN { printf "  peak RSS %.0f MB", k / 1024 }') ;;
	esac
	printf '%-34s %8s s%s\n' "$label" "$(elapsed "$t0" "$t1")" "$rss_text"
	if [ "$rc" -ne 0 ]; then
		echo "$0: '$label' exited with $rc; first lines of its stderr:" >&2
		head -n 20 "$log" >&2
		exit 1
	fi
}

mkdir -p "$root/bench/out"
rm -rf "$out"
t0=$(now)
sh "$root/bench/gen_project.sh" "$n" "$out" >/dev/null
t1=$(now)
echo "project: $out"
echo "  $n specs, $(find "$out/views" -name '*.sql' | wc -l | tr -d ' ') views," \
	"$(find "$out/models" -name '*.yml' | wc -l | tr -d ' ') model files," \
	"$(du -sk "$out" | cut -f 1) KB; generated in $(elapsed "$t0" "$t1") s"

cache=$(drop_caches)
measure "dla validate ($cache cache)" "$dla" --project "$out" validate
measure "dla validate (warm cache)" "$dla" --project "$out" validate
measure "dla plan --format json (warm)" "$dla" --project "$out" plan --format json
measure "dla plan (warm cache)" "$dla" --project "$out" plan
cache=$(drop_caches)
measure "dla plan ($cache cache)" "$dla" --project "$out" plan
