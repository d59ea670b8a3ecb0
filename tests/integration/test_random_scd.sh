#!/bin/sh
# test_random_scd.sh DLA_BIN - the randomized differential test of dimension
# loads (tests/random/scd_random.py: random spec, batches and source view
# shape, dla's table compared with a model of docs/SCD.md after every batch)
# on SQLite and on PostgreSQL.  With DLA_GENERAL_BIN (make integration: a dla
# whose dimension loads all take the general SCD path) the SQLite seeds run
# with it as well, so the snapshot fast path and the general path are both
# held to the model.
#
#   DLA_RANDOM_SEEDS=N        seeds per engine (default 120 on SQLite, 50 on
#                             PostgreSQL: under 2 minutes each on 2 cores)
#   DLA_RANDOM_SEEDS_LOCAL=N  DLA_RANDOM_SEEDS_PG=N   one engine's count
#   DLA_RANDOM_SEEDS_GENERAL=N  seeds with DLA_GENERAL_BIN (default 40)
#   DLA_RANDOM_FIRST=F        first seed (default 1): seeds F..F+N-1
#   DLA_RANDOM_SEED=S         only seed S (replay; every engine)
#   DLA_RANDOM_TARGETS="pg"   engines to run (default "local pg")
#   DLA_RANDOM_ARGS="-v"      more scd_random.py options (-v: one line a batch)
# Prints "random_scd: N passed, M failed" (seeds, every run together).
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
first=${DLA_RANDOM_FIRST:-1}
passed=0
failed=0
rc=0

run_seeds() { # run_seeds TARGET DLA N
	if [ -n "${DLA_RANDOM_SEED:-}" ]; then
		set -- "$1" "$2" --seed "$DLA_RANDOM_SEED"
	else
		set -- "$1" "$2" --seeds "$3" --first "$first"
	fi
	start=$(date +%s)
	target=$1
	dla=$2
	shift 2
	# DLA_RANDOM_ARGS is split into words on purpose
	# shellcheck disable=SC2086
	out=$(/usr/bin/python3 "$here/random/scd_random.py" --dla "$dla" --target "$target" \
		"$@" ${DLA_RANDOM_ARGS:-})
	status=$?
	printf '%s\n' "$out"
	echo "random_scd[$target]: $(( $(date +%s) - start ))s with $dla"
	line=$(printf '%s\n' "$out" | grep "^random_scd\[$target\]: [0-9]* passed" | tail -n 1)
	p=$(printf '%s\n' "$line" | sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed.*/\1/p')
	f=$(printf '%s\n' "$line" | sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed.*/\2/p')
	if [ -z "$p" ]; then
		p=0; f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	[ "$status" = 0 ] || rc=1
}

for target in ${DLA_RANDOM_TARGETS:-local pg}; do
	case $target in
	local)
		run_seeds local "$1" "${DLA_RANDOM_SEEDS_LOCAL:-${DLA_RANDOM_SEEDS:-120}}"
		if [ -n "${DLA_GENERAL_BIN:-}" ]; then
			run_seeds local "$DLA_GENERAL_BIN" "${DLA_RANDOM_SEEDS_GENERAL:-40}"
		fi ;;
	pg)
		if [ -z "${PGPORT:-}" ]; then
			echo "random_scd: PostgreSQL not started by the runner" >&2
			failed=$((failed + 1)); rc=1
			continue
		fi
		run_seeds pg "$1" "${DLA_RANDOM_SEEDS_PG:-${DLA_RANDOM_SEEDS:-50}}" ;;
	*) echo "random_scd: unknown target '$target'" >&2; exit 2 ;;
	esac
done
echo "random_scd: $passed passed, $failed failed"
[ "$failed" = 0 ] || rc=1
exit $rc
