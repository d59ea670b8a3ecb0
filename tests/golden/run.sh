#!/bin/sh
# run.sh - golden tests of `dla validate`: error text and valid projects.
#
#   sh tests/golden/run.sh DLA_BINARY            run every case
#   UPDATE=1 sh tests/golden/run.sh DLA_BINARY   rewrite the expected files
#                                                (review them by hand after!)
#
# tests/golden/errors/<case>/  a broken project; `dla --project <case> validate`
#     must print exactly the file `expected` on stderr and exit with the code
#     in the file `exit` (2 for an invalid project).
# tests/golden/ok/<case>/      a valid project; stdout must equal
#     `expected_stdout`, stderr `expected_stderr` when that file exists
#     (warnings), and the exit code `exit` (0 when the file is absent).
# A case may hold a file `env` with NAME=value lines: the program runs with
# only PATH, the sanitizer options and those variables in its environment,
# so a developer's PGUSER never changes the result.
# A case may hold a script `generate` for inputs too big or too odd to keep
# in git (a file over 1 MiB): the case directory is copied to a temporary
# directory, `sh generate` runs there, and the copy is validated instead.
# Run from the repository root (case paths are printed relative to it).
set -u

if [ $# -ne 1 ]; then
	echo "usage: sh tests/golden/run.sh DLA_BINARY" >&2
	exit 2
fi
DLA=$1
case $DLA in
/*) ;;
*) DLA=$(pwd)/$DLA ;;
esac
if [ ! -x "$DLA" ]; then
	echo "golden: $DLA is not an executable" >&2
	exit 2
fi

HERE=$(dirname "$0")
TMP=$(mktemp -d "${TMPDIR:-/tmp}/dla_golden.XXXXXX") || exit 2
trap 'rm -rf "$TMP"' EXIT INT TERM

passed=0
failed=0
update=${UPDATE:-0}

# run_case DIR: runs validate in a clean environment; fills $TMP/out,
# $TMP/err and $TMP/code.
run_case() {
	set -- "$1" env -i PATH="$PATH"
	for var in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
		eval "val=\${$var-}"
		if [ -n "$val" ]; then
			set -- "$@" "$var=$val"
		fi
	done
	if [ -f "$1/env" ]; then
		while IFS= read -r line || [ -n "$line" ]; do
			case $line in
			''|'#'*) ;;
			*) set -- "$@" "$line" ;;
			esac
		done < "$1/env"
	fi
	dir=$1
	shift
	"$@" "$DLA" --project "$dir" validate > "$TMP/out" 2> "$TMP/err"
	echo $? > "$TMP/code"
}

# project_dir DIR: DIR itself, or a generated copy of it (see `generate`).
project_dir() {
	if [ ! -f "$1/generate" ]; then
		echo "$1"
		return 0
	fi
	gen=$TMP/gen/$(basename "$1")
	rm -rf "$gen"
	mkdir -p "$TMP/gen"
	cp -R "$1" "$gen" || return 1
	if ! (cd "$gen" && sh ./generate); then
		echo "golden: FAIL $1: generate failed" >&2
		return 1
	fi
	echo "$gen"
}

# check NAME EXPECTED_FILE ACTUAL_FILE: compares, shows a diff on mismatch.
check() {
	if [ "$update" = 1 ]; then
		cp "$3" "$2"
		return 0
	fi
	if [ ! -f "$2" ]; then
		echo "golden: FAIL $1: missing $2 (run with UPDATE=1)"
		return 1
	fi
	if ! cmp -s "$2" "$3"; then
		echo "golden: FAIL $1: $(basename "$2") differs"
		diff -u "$2" "$3" | sed 's/^/    /'
		return 1
	fi
	return 0
}

for dir in "$HERE"/errors/*/; do
	[ -d "$dir" ] || continue
	dir=${dir%/}
	case_dir=$dir
	name=errors/$(basename "$dir")
	if ! proj=$(project_dir "$dir"); then
		failed=$((failed + 1))
		continue
	fi
	run_case "$proj"
	dir=$case_dir   # run_case sets dir
	ok=1
	check "$name" "$dir/expected" "$TMP/err" || ok=0
	check "$name" "$dir/exit" "$TMP/code" || ok=0
	if [ "$update" != 1 ] && [ "$(cat "$TMP/code")" = 0 ]; then
		echo "golden: FAIL $name: the broken project validated"
		ok=0
	fi
	if [ $ok = 1 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
done

for dir in "$HERE"/ok/*/; do
	[ -d "$dir" ] || continue
	dir=${dir%/}
	case_dir=$dir
	name=ok/$(basename "$dir")
	if ! proj=$(project_dir "$dir"); then
		failed=$((failed + 1))
		continue
	fi
	run_case "$proj"
	dir=$case_dir   # run_case sets dir
	ok=1
	check "$name" "$dir/expected_stdout" "$TMP/out" || ok=0
	if [ -f "$dir/expected_stderr" ] || { [ "$update" = 1 ] && [ -s "$TMP/err" ]; }; then
		check "$name" "$dir/expected_stderr" "$TMP/err" || ok=0
	fi
	if [ -f "$dir/exit" ] || [ "$update" = 1 ]; then
		check "$name" "$dir/exit" "$TMP/code" || ok=0
	elif [ "$(cat "$TMP/code")" != 0 ]; then
		echo "golden: FAIL $name: exit $(cat "$TMP/code"), expected 0"
		sed 's/^/    /' "$TMP/err"
		ok=0
	fi
	if [ $ok = 1 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
done

if [ "$update" = 1 ]; then
	echo "golden: $passed cases updated (review the expected files by hand)"
	exit 0
fi
echo "golden: $passed passed, $failed failed"
[ "$failed" = 0 ]
