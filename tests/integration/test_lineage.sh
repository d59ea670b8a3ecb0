#!/bin/sh
# test_lineage.sh DLA_BIN - `dla lineage` and the metadata views (issue 7):
#   1. golden md / json / dot of the demo project (the repository root),
#      static and with --upstream / --downstream (tests/golden/lineage/;
#      UPDATE=1 rewrites them: review the diff by hand);
#   2. the demo's two batches on SQLite and PostgreSQL, then
#      - `dla test` passes (freshness only warns on the 2024 demo data),
#      - the HTML report opened in headless Chromium: the DOM holds the
#        Graphviz SVG with one node per project node and the node table,
#      - the OpenLineage events validated against the 2-0-2 RunEvent schema
#        subset (tests/golden/lineage/check_openlineage.py), row counts
#        checked against dla_node_run,
#      - the metadata views for Tableau answer (dla_last_load,
#        dla_run_history, dla_lineage_edges, dla_last_test).
# Chromium is the Debian package `chromium` (scripts/deps.sh installs it);
# without it this script FAILS, naming the package.
set -u
DLA=${1:?usage: test_lineage.sh DLA_BIN}
case $DLA in /*) ;; *) DLA=$(pwd)/$DLA ;; esac
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
GOLDEN=$ROOT/tests/golden/lineage
PY=/usr/bin/python3
TMP=$(mktemp -d "${TMPDIR:-/tmp}/dla-lineage.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT INT TERM
passed=0
failed=0

ok() { passed=$((passed + 1)); }
fail() {
	failed=$((failed + 1))
	echo "lineage: FAIL $*" >&2
}

# ---- 1. goldens --------------------------------------------------------------
golden() {   # golden FILE ARGS...: dla lineage ARGS on the demo equals FILE
	g_file=$1
	shift
	if ! "$DLA" --project "$ROOT" lineage "$@" >"$TMP/out" 2>"$TMP/err"; then
		fail "golden $g_file: dla lineage $* exited $?: $(cat "$TMP/err")"
		return
	fi
	if [ "${UPDATE:-0}" = 1 ]; then
		cp "$TMP/out" "$GOLDEN/$g_file"
		ok
	elif cmp -s "$GOLDEN/$g_file" "$TMP/out"; then
		ok
	else
		fail "golden $g_file differs (dla lineage $*):"
		diff -u "$GOLDEN/$g_file" "$TMP/out" | head -40 | sed 's/^/    /' >&2
	fi
}
golden demo.md
golden demo.json --format json
golden demo.dot --format dot
golden demo_downstream_staging.customer.md --downstream staging.customer
golden demo_upstream_sales_performance.dot --upstream sales_performance --format dot
golden demo_downstream_staging.customer.city.json --downstream staging.customer.city \
	--format json
if dot -Tsvg "$GOLDEN/demo.dot" >/dev/null 2>"$TMP/err"; then ok; else
	fail "demo.dot does not lay out: $(cat "$TMP/err")"
fi
if "$PY" -c 'import json, sys; json.load(open(sys.argv[1]))' "$GOLDEN/demo.json"; then ok; else
	fail "demo.json is not JSON"
fi

# ---- 2. the demo on each target -----------------------------------------------
# run NAME CMD...: the command must exit 0
run() {
	r_name=$1
	shift
	if "$@" >"$TMP/out" 2>"$TMP/err"; then ok; else
		fail "$r_name: exit $?: $(tail -5 "$TMP/err") $(tail -5 "$TMP/out")"
		return 1
	fi
}

# A DOM dump of the report by headless Chromium, then checks on it.
check_html() {   # check_html TARGET HTML N_NODES
	if ! command -v chromium >/dev/null 2>&1; then
		fail "[$1] chromium is not installed: install the Debian package 'chromium' (make deps)"
		return
	fi
	profile=$(mktemp -d "$TMP/chromium.XXXXXX")
	if ! timeout 120 chromium --headless --no-sandbox --disable-gpu \
		--disable-background-networking --disable-component-update --disable-sync \
		--no-first-run --user-data-dir="$profile" --dump-dom "file://$2" \
		>"$TMP/dom.html" 2>"$TMP/chromium.err"; then
		fail "[$1] chromium could not open the report: $(tail -3 "$TMP/chromium.err")"
		return
	fi
	if "$PY" - "$TMP/dom.html" "$3" >"$TMP/dom.err" <<'PY'
import sys
from html.parser import HTMLParser

class Dom(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack = []
        self.svg_in_graph = 0
        self.graph_nodes = 0
        self.node_rows = 0
        self.in_nodes_table = False
        self.text = []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "svg" and any(t == "div" and d.get("id") == "graph" for t, d in self.stack):
            self.svg_in_graph += 1
        if tag == "g" and a.get("class") == "node":
            self.graph_nodes += 1
        if tag == "table" and a.get("id") == "nodes":
            self.in_nodes_table = True
        if tag == "tr" and self.in_nodes_table and (a.get("id") or "").startswith("node-"):
            self.node_rows += 1
        if tag not in ("br", "meta", "img", "input", "link", "path", "polygon", "ellipse",
                       "polyline", "text", "title"):
            self.stack.append((tag, a))
    def handle_endtag(self, tag):
        if tag == "table":
            self.in_nodes_table = False
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break
    def handle_data(self, data):
        self.text.append(data)

dom = Dom()
dom.feed(open(sys.argv[1], encoding="utf-8").read())
want = int(sys.argv[2])
text = "".join(dom.text)
problems = []
if dom.svg_in_graph != 1:
    problems.append("%d <svg> in the graph block, expected 1" % dom.svg_in_graph)
if dom.graph_nodes != want:
    problems.append("%d graph nodes, expected %d" % (dom.graph_nodes, want))
if dom.node_rows != want:
    problems.append("%d rows in the node table, expected %d" % (dom.node_rows, want))
for bad in ("could not be laid out", "parsererror", "This page contains the following errors"):
    if bad in text:
        problems.append("the page says %r" % bad)
if "success" not in text:
    problems.append("no load status in the page")
for p in problems:
    print(p)
sys.exit(1 if problems else 0)
PY
	then ok; else
		fail "[$1] the report's DOM: $(cat "$TMP/dom.err" 2>/dev/null)"
	fi
}

demo_on() {   # demo_on TARGET QUERY_CMD...
	target=$1
	shift
	proj=$TMP/demo-$target
	mkdir -p "$proj"
	cp -R "$ROOT/dla.yml" "$ROOT/models" "$ROOT/views" "$ROOT/seeds" "$proj/"
	d() { "$DLA" --project "$proj" --target "$target" "$@"; }
	run "[$target] seed batch 1" d seed || return
	run "[$target] run batch 1" d run --as-of '2024-03-11 06:00:00' || return
	run "[$target] seed batch 2" d seed --from seeds/batch2 || return
	run "[$target] run batch 2" d run --as-of '2024-03-22 06:00:00' || return
	if d test >"$TMP/test.out" 2>&1; then ok; else fail "[$target] dla test: $(grep -v PASS "$TMP/test.out")"; fi
	if grep -q '^test: 53 passed, 0 failed, 3 warnings, 0 errors' "$TMP/test.out"; then ok; else
		fail "[$target] dla test summary: $(tail -1 "$TMP/test.out")"
	fi

	# the HTML report
	run "[$target] lineage html" d lineage --format html -o "$proj/lineage.html" || return
	check_html "$target" "$proj/lineage.html" 23

	# OpenLineage events of the last run, row counts from dla_node_run
	run "[$target] lineage openlineage" d lineage --format openlineage -o "$proj/events.ndjson"
	"$@" "select node || ' ' || (rows_inserted + rows_updated + rows_expired + rows_deleted)
	      from dla_meta.dla_node_run where run_id = (select max(run_id) from dla_meta.dla_run)
	      and kind in ('dimension', 'fact') order by node" >"$proj/counts.txt" 2>"$TMP/err" ||
		fail "[$target] reading dla_node_run: $(cat "$TMP/err")"
	if [ "$(wc -l <"$proj/counts.txt")" -eq 6 ]; then ok; else
		fail "[$target] expected 6 dimension/fact rows in the last run: $(cat "$proj/counts.txt")"
	fi
	if "$PY" "$GOLDEN/check_openlineage.py" "$GOLDEN/openlineage-2-0-2-runevent.schema.json" \
		"$proj/events.ndjson" --counts "$proj/counts.txt" \
		--namespace-prefix "$target_ns" >"$TMP/ol.out"; then
		ok
	else
		fail "[$target] OpenLineage events: $(head -20 "$TMP/ol.out")"
	fi
	if [ "$(wc -l <"$proj/events.ndjson")" -eq 32 ]; then ok; else
		fail "[$target] $(wc -l <"$proj/events.ndjson") events, expected 32 (15 nodes + the run, START and end each)"
	fi
	if grep -q 'dla_secret_pw\|Pwd=\|Uid=' "$proj/events.ndjson" "$proj/lineage.html"; then
		fail "[$target] a credential leaked into the lineage output"
	else
		ok
	fi

	# run lineage: json of the last run names what each node read
	run "[$target] lineage --run last" d lineage --run last --format json
	if grep -q '"status": "success"' "$TMP/out" && grep -q '"rows_expired": 4' "$TMP/out"; then ok; else
		fail "[$target] run lineage json lacks the run's status or counts"
	fi

	# the metadata views for Tableau
	"$@" "select node, status, rows_inserted, rows_expired, schema_name, table_name,
	      case when age_seconds >= 0 then 'aged' else 'no age' end
	      from dla_meta.dla_last_load where node in ('dim_customer', 'v_customer') order by node" \
		>"$TMP/view.out" 2>"$TMP/err" || fail "[$target] dla_last_load: $(cat "$TMP/err")"
	printf '%s\n' "dim_customer|success|5|4|presentation|dim_customer|aged" \
		"v_customer|success|0|0|dla_views|v_customer|aged" >"$TMP/view.want"
	if cmp -s "$TMP/view.want" "$TMP/view.out"; then ok; else
		fail "[$target] dla_last_load: $(diff "$TMP/view.want" "$TMP/view.out")"
	fi
	"$@" "select count(*), sum(nodes_success), min(case when duration_seconds >= 0 then 1 else 0 end)
	      from dla_meta.dla_run_history" >"$TMP/view.out" 2>"$TMP/err" ||
		fail "[$target] dla_run_history: $(cat "$TMP/err")"
	if [ "$(cat "$TMP/view.out")" = "2|30|1" ]; then ok; else
		fail "[$target] dla_run_history: $(cat "$TMP/view.out"), expected 2|30|1"
	fi
	"$@" "select input_schema, input_table, output_schema, output_table
	      from dla_meta.dla_lineage_edges where node = 'dim_customer' and
	      run_id = (select max(run_id) from dla_meta.dla_run)" >"$TMP/view.out" 2>"$TMP/err" ||
		fail "[$target] dla_lineage_edges: $(cat "$TMP/err")"
	if [ "$(cat "$TMP/view.out")" = "dla_views|v_customer|presentation|dim_customer" ]; then ok; else
		fail "[$target] dla_lineage_edges: '$(cat "$TMP/view.out")'"
	fi
	"$@" "select count(*) from dla_meta.dla_last_test where status = 'warn'" \
		>"$TMP/view.out" 2>"$TMP/err" || fail "[$target] dla_last_test: $(cat "$TMP/err")"
	if [ "$(cat "$TMP/view.out")" = "3" ]; then ok; else
		fail "[$target] dla_last_test: $(cat "$TMP/view.out") warnings, expected 3"
	fi
}

sqlite_query() {
	sqlite3 -separator '|' "$TMP/demo-local/.dla/warehouse.db" \
		"attach '$TMP/demo-local/.dla/dla_meta.db' as dla_meta; $1"
}
target_ns="sqlite://$TMP/demo-local/.dla/warehouse.db"
demo_on local sqlite_query

if [ -n "${PGPORT:-}" ]; then
	psql -X -q -v ON_ERROR_STOP=1 -c "drop schema if exists presentation cascade" \
		-c "drop schema if exists staging cascade" -c "drop schema if exists dla_views cascade" \
		-c "drop schema if exists dla_meta cascade" >/dev/null 2>&1
	pg_query() { psql -X -q -At -F '|' -v ON_ERROR_STOP=1 -c "$1"; }
	target_ns="postgres://${PGHOST:-127.0.0.1}:$PGPORT"
	demo_on pg pg_query
	psql -X -q -c "drop schema if exists presentation cascade" \
		-c "drop schema if exists staging cascade" -c "drop schema if exists dla_views cascade" \
		-c "drop schema if exists dla_meta cascade" >/dev/null 2>&1
else
	fail "PostgreSQL is not running (run through tests/integration/run.sh)"
fi

echo "lineage: $passed passed, $failed failed"
[ "$failed" = 0 ]
