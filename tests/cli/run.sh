#!/bin/sh
# run.sh - command-line tests of the dla program: options, help, exit codes,
# `validate` and `plan` (text, json, dot, svg, selectors) on fixtures/mini.
# usage: sh tests/cli/run.sh path/to/dla
set -u
DLA=${1:?usage: run.sh DLA_BIN}
case $DLA in /*) ;; *) DLA=$(pwd)/$DLA ;; esac
HERE=$(cd "$(dirname "$0")" && pwd)
MINI=$HERE/fixtures/mini
PY=/usr/bin/python3
TMP=$(mktemp -d "${TMPDIR:-/tmp}/dla-cli.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT INT TERM
passed=0; failed=0

ok()   { passed=$((passed + 1)); }
fail() {
	failed=$((failed + 1))
	echo "cli: FAIL $1" >&2
	shift
	for line in "$@"; do echo "    $line" >&2; done
	echo "    --- stdout:" >&2; sed 's/^/    | /' "$TMP/out" >&2
	echo "    --- stderr:" >&2; sed 's/^/    | /' "$TMP/err" >&2
}

# t NAME RC ARGS...: run dla with ARGS, expect exit status RC.
t() {
	t_name=$1; t_want=$2; shift 2
	"$DLA" "$@" >"$TMP/out" 2>"$TMP/err"
	t_rc=$?
	if [ "$t_rc" != "$t_want" ]; then
		fail "$t_name" "exit status $t_rc, expected $t_want"
		return 1
	fi
	return 0
}
# same_as NAME FILE TEXT: FILE must equal TEXT plus a final newline (or be
# empty when TEXT is empty).
same_as() {
	if [ -z "$3" ]; then : >"$TMP/want"; else printf '%s\n' "$3" >"$TMP/want"; fi
	if cmp -s "$TMP/want" "$2"; then ok; else
		fail "$1" "$(basename "$2") differs from expected:" "$(diff "$TMP/want" "$2")"
	fi
}
# has NAME FILE EREGEX
has() {
	if grep -Eq -- "$3" "$2"; then ok; else fail "$1" "$(basename "$2") lacks /$3/"; fi
}
# nodes: node names of a text plan on stdout, space separated
nodes() { awk 'NR > 2 { printf "%s%s", sep, $3; sep = " " } END { print "" }' "$TMP/out"; }
# sel NAME EXPECTED_NODES PLAN_ARGS...
sel() {
	s_name=$1; s_want=$2; shift 2
	if t "$s_name" 0 --project "$MINI" plan "$@"; then
		s_got=$(nodes)
		if [ "$s_got" = "$s_want" ]; then ok; else fail "$s_name" "nodes '$s_got', expected '$s_want'"; fi
	fi
}

# ---- program options ---------------------------------------------------------
t version 0 --version && same_as version "$TMP/out" "dla 0.1.0"
t help 0 --help && has help "$TMP/out" '^  validate +check' && has help-plan "$TMP/out" '^  plan +'
t help-short 0 -h && has help-short "$TMP/out" '^usage: dla '
t no-command 2 && has no-command "$TMP/err" '^usage: dla ' &&
	same_as no-command-stdout "$TMP/out" ""
t unknown-command 2 valdate &&
	same_as unknown-command "$TMP/err" "dla: unknown command 'valdate' (did you mean 'validate'?)"
t unknown-command-far 2 frobnicate && has unknown-command-far "$TMP/err" "^dla: unknown command 'frobnicate'"
t unknown-global 2 --projet x validate &&
	same_as unknown-global "$TMP/err" "dla: unknown option '--projet' (did you mean '--project'?)"
t project-no-value 2 --project && has project-no-value "$TMP/err" "needs a value"
t plan-help 0 plan --help && has plan-help "$TMP/out" '^usage: dla .*plan' &&
	has plan-help-select "$TMP/out" '--select S'
t validate-help 0 --project /nonexistent validate -h && has validate-help "$TMP/out" '^usage: dla .*validate'

# ---- validate ------------------------------------------------------------------
t validate 0 --project "$MINI" validate &&
	same_as validate "$TMP/out" "OK: 1 sources, 2 views, 1 dimensions, 1 facts, 1 exposures (6 nodes)" &&
	same_as validate-stderr "$TMP/err" ""
t validate-eq 0 --project="$MINI" validate && has validate-eq "$TMP/out" '^OK: '
(cd "$MINI" && "$DLA" validate >/dev/null 2>&1) && ok || fail validate-cwd "dla validate in the project directory failed"
t validate-target 0 --project "$MINI" --target local validate
t validate-bad-target 2 --project "$MINI" --target locl validate &&
	has validate-bad-target "$TMP/err" "^dla: error: unknown target 'locl' \(did you mean 'local'\?\)"
t validate-extra-arg 2 --project "$MINI" validate extra &&
	same_as validate-extra-arg "$TMP/err" "dla validate: unexpected argument 'extra'"
t validate-missing-dir 2 --project "$TMP/nope" validate && has validate-missing-dir "$TMP/err" 'error'

# an invalid copy: a misspelt key and a view reading an unknown relation
cp -R "$MINI" "$TMP/bad"
sed 's/^columns:/colums:/' "$MINI/models/dim_customer.yml" >"$TMP/bad/models/dim_customer.yml"
sed 's/FROM staging.orders/FROM staging.ordrs/' "$MINI/views/v_customer.sql" >"$TMP/bad/views/v_customer.sql"
if t validate-invalid 2 --project "$TMP/bad" validate; then
	same_as validate-invalid-stdout "$TMP/out" ""
	has validate-invalid-key "$TMP/err" "^models/dim_customer\.yml:7:1: error: .*'colums'"
	has validate-invalid-caret "$TMP/err" '^    colums:$'
	has validate-invalid-view "$TMP/err" "^views/v_customer\.sql:3:[0-9]+: error: .*staging\.ordrs"
	has validate-invalid-summary "$TMP/err" '^dla: [0-9]+ errors, [0-9]+ warnings?$'
	# the source line and caret follow each located diagnostic
	awk '/^views\/v_customer.sql:3:/ { getline l; getline c; print l; print c; exit }' "$TMP/err" >"$TMP/caret"
	same_as validate-invalid-view-caret "$TMP/caret" "    FROM staging.ordrs
         ^"
fi

# ---- plan: text -------------------------------------------------------------
t plan 0 --project "$MINI" plan && same_as plan "$TMP/out" "plan: 6 of 6 nodes selected
  level  kind       node                     depends on
  0      source     staging.orders
  1      view       v_customer               staging.orders
  1      view       v_orders                 staging.orders
  2      dimension  dim_customer             v_customer
  3      fact       fact_orders              dim_customer, v_orders
  4      exposure   sales_dashboard          dim_customer, fact_orders"

# ---- plan: selectors ----------------------------------------------------------
sel select-name "fact_orders" --select fact_orders
sel select-upstream "staging.orders v_customer v_orders dim_customer fact_orders" --select +fact_orders
sel select-downstream "dim_customer fact_orders sales_dashboard" --select dim_customer+
sel select-both "staging.orders v_customer dim_customer fact_orders sales_dashboard" --select +dim_customer+
sel select-tag "dim_customer" --select tag:daily
sel select-path "fact_orders" --select path:models/sales
sel select-view-path "v_orders" --select path:views/v_orders.sql
sel select-union "v_customer v_orders" --select v_customer --select v_orders
sel select-eq "v_orders" --select=v_orders
sel select-relation "staging.orders" --select staging.orders
sel exclude "staging.orders v_customer v_orders dim_customer" --select +fact_orders --exclude fact_orders
sel exclude-only "staging.orders v_customer v_orders" --exclude dim_customer+
t select-none 0 --project "$MINI" plan --exclude +sales_dashboard &&
	same_as select-none "$TMP/out" "plan: 0 of 6 nodes selected"
t select-unknown 2 --project "$MINI" plan --select dim_custmer &&
	has select-unknown "$TMP/err" "dim_custmer" && same_as select-unknown-stdout "$TMP/out" ""
t select-unknown-tag 2 --project "$MINI" plan --select tag:nope && has select-unknown-tag "$TMP/err" "tag:nope"

# ---- plan: json -----------------------------------------------------------------
if t plan-json 0 --project "$MINI" plan --format json; then
	if "$PY" - "$TMP/out" >"$TMP/py" 2>&1 <<'PYEOF'
import json, sys
doc = json.load(open(sys.argv[1]))
assert list(doc) == ["project", "selected", "total", "nodes"], list(doc)
assert doc["project"] == "mini" and doc["selected"] == 6 and doc["total"] == 6, doc
names = [n["name"] for n in doc["nodes"]]
assert names == ["staging.orders", "v_customer", "v_orders", "dim_customer",
                 "fact_orders", "sales_dashboard"], names
keys = ["name", "kind", "level", "relation", "file", "line", "depends_on", "tags"]
for n in doc["nodes"]:
    assert list(n) == keys, list(n)
by = {n["name"]: n for n in doc["nodes"]}
assert by["staging.orders"]["kind"] == "source" and by["staging.orders"]["level"] == 0
assert by["staging.orders"]["file"] == "models/sources.yml"
assert by["v_customer"]["relation"] == "dla_views.v_customer", by["v_customer"]
assert by["v_customer"]["file"] == "views/v_customer.sql"
assert by["dim_customer"]["relation"] == "presentation.dim_customer"
assert by["dim_customer"]["line"] == 1 and by["dim_customer"]["tags"] == ["daily"]
assert by["fact_orders"]["depends_on"] == ["dim_customer", "v_orders"]
assert by["fact_orders"]["file"] == "models/sales/fact_orders.yml"
assert by["sales_dashboard"]["relation"] is None
assert by["sales_dashboard"]["kind"] == "exposure" and by["sales_dashboard"]["level"] == 4
PYEOF
	then ok; else fail plan-json-content "$(cat "$TMP/py")"; fi
	head -2 "$TMP/out" >"$TMP/head"
	same_as plan-json-indent "$TMP/head" '{
  "project": "mini",'
fi
if t plan-json-select 0 --project "$MINI" plan --format=json --select tag:daily; then
	"$PY" -c 'import json,sys; d=json.load(sys.stdin); assert d["selected"]==1 and d["total"]==6 and [n["name"] for n in d["nodes"]]==["dim_customer"], d' \
		<"$TMP/out" >"$TMP/py" 2>&1 && ok || fail plan-json-select "$(cat "$TMP/py")"
fi

# ---- plan: dot and svg -----------------------------------------------------------
if t plan-dot 0 --project "$MINI" plan --format dot; then
	has plan-dot-head "$TMP/out" '^digraph dla \{$'
	has plan-dot-source "$TMP/out" '^  "staging\.orders" \[shape=cylinder'
	has plan-dot-fact "$TMP/out" '^  "fact_orders" \[shape=box3d'
	has plan-dot-edge "$TMP/out" '^  "v_orders" -> "fact_orders";$'
	if command -v dot >/dev/null 2>&1; then
		dot -Tsvg "$TMP/out" >"$TMP/svg" 2>"$TMP/doterr" && grep -q '<svg' "$TMP/svg" && ok ||
			fail plan-dot-render "dot -Tsvg failed: $(cat "$TMP/doterr")"
	fi
fi
if t plan-dot-select 0 --project "$MINI" plan --format dot --select v_orders+; then
	if grep -q '"v_customer"' "$TMP/out"; then fail plan-dot-select "v_customer is not selected"; else ok; fi
	has plan-dot-select-edge "$TMP/out" '"fact_orders" -> "sales_dashboard"'
fi
t plan-svg 0 --project "$MINI" plan --format svg && has plan-svg "$TMP/out" '<svg' &&
	has plan-svg-node "$TMP/out" 'sales_dashboard'

# ---- plan: usage errors ----------------------------------------------------------
t plan-bad-option 2 --project "$MINI" plan --formt json &&
	same_as plan-bad-option "$TMP/err" "dla plan: unknown option '--formt' (did you mean '--format'?)"
t plan-bad-format 2 --project "$MINI" plan --format xml && has plan-bad-format "$TMP/err" "^dla plan: unknown format 'xml'"
t plan-no-value 2 --project "$MINI" plan --select &&
	same_as plan-no-value "$TMP/err" "dla plan: option '--select' needs a value"
t plan-sql 2 --project "$MINI" plan --sql &&
	same_as plan-sql "$TMP/err" "dla plan: --sql needs SQL generation, not available in this version"
t plan-extra-arg 2 --project "$MINI" plan extra && has plan-extra-arg "$TMP/err" "unexpected argument 'extra'"
t plan-invalid 2 --project "$TMP/bad" plan && same_as plan-invalid-stdout "$TMP/out" ""

echo "cli: $passed passed, $failed failed"
[ "$failed" = 0 ]
