#!/bin/sh
# deps.sh - install the Debian packages dla needs to build and test, when missing.
# As root: apt-get install -y.  Otherwise: print the exact command and stop.
set -eu
# clang + libclang-rt-14-dev: `make fuzz` (clang 14's libFuzzer runtime,
# libclang_rt.fuzzer-x86_64.a, is in libclang-rt-14-dev on Debian 12).
PKGS="build-essential pkg-config unixodbc unixodbc-dev libsqliteodbc odbc-postgresql
libyaml-dev libpcre2-dev libcmocka-dev libjansson-dev libgraphviz-dev graphviz
postgresql python3-sqlglot sqlite3 clang libclang-rt-14-dev chromium python3-jsonschema
gnuplot-nox"
missing=""
for p in $PKGS; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$status" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "dla needs these Debian packages:$missing" >&2
	echo "install them with:  sudo apt-get install -y$missing" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq || apt-get update
# shellcheck disable=SC2086
apt-get install -y -qq $missing
