#!/bin/sh
# run.sh DLA_BIN - every benchmark, one after the other (`make bench`).
# Benchmarks print figures; they never fail on a time.  Results are copied
# by hand into docs/PERFORMANCE.md with the date and machine.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
echo "== project size: validate and plan on 10,000 specs"
sh "$here/bench_project.sh" "$1" 10000
