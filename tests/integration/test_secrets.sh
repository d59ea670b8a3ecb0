#!/bin/sh
# test_secrets.sh DLA_BIN - passwords never leave dla (SPEC 2: "Secrets never
# appear in logs, errors, metadata or reports").
#
# A project whose targets carry passwords both ways: written into the
# connection string (Pwd={...}, Pwd=...) and through the environment
# (${PGPASSWORD}, ${DLA_BAD_PW} holding ';', '=' and '}'), on the integration
# runner's PostgreSQL (role dla, password authentication) and on SQLite.
# Every command runs on the success and the failure paths: validate (also a
# dla.yml error on the line of a written password), plan (text, json, dot),
# seed, run (--log-format json, --dry-run, --threads, a failing node: exit 1),
# wrong passwords written and from the environment (exit 3), and retry, test
# and lineage when the binary has them.  Then no secret may appear in:
#   - any stdout or stderr,
#   - any file under the project directory except dla.yml (which holds the
#     written ones by construction): SQLite warehouse and metadata files,
#     reports,
#   - any row of the PostgreSQL database (pg_dump of all data: dla_meta's
#     run, node and lineage tables, the loaded tables) or the server log,
#   - and, reported but not failed (a system setting dla does not own), the
#     psqlODBC CommLog files /tmp/psqlodbc_*.log written meanwhile (Debian's
#     odbcinst.ini sets CommLog=1).
# Prints "secrets: N passed, M failed"; exits non-zero on any failure.
set -u
if [ $# -lt 1 ]; then
	echo "usage: sh tests/integration/test_secrets.sh DLA_BIN" >&2
	exit 2
fi
DLA=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
passed=0
failed=0

ok()  { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "secrets: FAIL: $*" >&2; }

if [ -z "${PGPORT:-}" ] || [ -z "${PGPASSWORD:-}" ] || [ -z "${PGDATABASE:-}" ]; then
	echo "secrets: needs the PostgreSQL of tests/integration/run.sh (PGPORT, PGPASSWORD)" >&2
	echo "secrets: 0 passed, 1 failed"
	exit 1
fi

PW=$PGPASSWORD                       # the real password of role dla
BAD_INLINE=wrong_Inline_pw_42        # written into dla.yml
BAD_ENV_RAW='Wr0ng;env=Secret}}42'   # braced in the string: Wr0ng;env=Secret}42
BAD_PGPASSWORD=wrong_Env_pw_77       # a wrong ${PGPASSWORD}
SQLITE_PW=sqlite_Secret_pw_9         # SQLite ignores it; dla must hide it too
NEEDLES="$PW
$BAD_INLINE
Wr0ng
env=Secret
Secret}42
Secret}}42
$BAD_PGPASSWORD
$SQLITE_PW"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/dla-secrets-it.XXXXXX")
LOGS=$(mktemp -d "${TMPDIR:-/tmp}/dla-secrets-logs.XXXXXX")
MARK=$LOGS/start.mark
trap '[ -n "${DLA_SECRETS_KEEP:-}" ] || rm -rf "$WORK" "$LOGS"' EXIT
: > "$MARK"
# CommLog files written from now on are newer than the mark: once a file
# written now is (the file system's timestamp granularity; 10 s at most)
i=0
while rm -f "$LOGS/probe" && : >"$LOGS/probe" && [ -z "$(find "$LOGS/probe" -newer "$MARK")" ]; do
	i=$((i + 1))
	[ "$i" -lt 100 ] || { bad "a file written now is not newer than $MARK"; break; }
	sleep 0.1
done
rm -f "$LOGS/probe"

# ---- the project ------------------------------------------------------------
mkdir -p "$WORK/models" "$WORK/views" "$WORK/seeds"
cat > "$WORK/dla.yml" <<EOF
name: secrets_it
default_target: pg_env
targets:
  pg_env:
    dialect: postgres
    connection: "Driver=PostgreSQL Unicode;Server=\${PGHOST:-127.0.0.1};Port=\${PGPORT};Database=\${PGDATABASE};Uid=\${PGUSER};Pwd=\${PGPASSWORD};BoolsAsChar=0"
  pg_inline:
    dialect: postgres
    connection: "Driver=PostgreSQL Unicode;Server=127.0.0.1;Port=\${PGPORT};Database=\${PGDATABASE};Uid=dla;PWD={$PW};BoolsAsChar=0"
  pg_bad_inline:
    dialect: postgres
    connection: "Driver=PostgreSQL Unicode;Server=127.0.0.1;Port=\${PGPORT};Database=\${PGDATABASE};Uid=dla;Pwd=$BAD_INLINE"
  pg_bad_env:
    dialect: postgres
    connection: "Driver=PostgreSQL Unicode;Server=127.0.0.1;Port=\${PGPORT};Database=\${PGDATABASE};Uid=dla;Password={\${DLA_BAD_PW}}"
  local:
    dialect: sqlite
    connection: "Driver=SQLite3;Database=.dla/warehouse.db;PWD=\${DLA_SQLITE_PW}"
EOF
cat > "$WORK/models/sources.yml" <<'EOF'
sources:
  - name: customer
    schema: staging
    seed: seeds/customer.csv
EOF
cat > "$WORK/models/dim_customer.yml" <<'EOF'
dimension: dim_customer
schema: presentation
source: v_customer
business_key: [customer_id]
scd: 2
tags: [daily]
EOF
cat > "$WORK/views/v_customer.sql" <<'EOF'
select customer_id, name, city from staging.customer
EOF
cat > "$WORK/views/v_broken.sql" <<'EOF'
-- fails in the warehouse: the column does not exist
select customer_id, no_such_column from staging.customer
EOF
printf 'customer_id,name,city\n1,Ann,Lyon\n2,Bob,Berlin\n' > "$WORK/seeds/customer.csv"

# A broken copy: errors on the lines of written passwords (diagnostics show
# the source line).
mkdir -p "$WORK/broken"
cat > "$WORK/broken/dla.yml" <<EOF
name: secrets_broken
default_target: inline
targets:
  inline:
    dialect: postgres
    connection: "Driver=PostgreSQL Unicode;Server=127.0.0.1;Uid=dla;Pwd=$PW;Database=\${DLA_SECRETS_UNSET}"
  flow: {dialect: postgress, connection: "Driver=X;Uid=dla;PWD={$BAD_INLINE};Server=x"}
EOF

export DLA_BAD_PW="$BAD_ENV_RAW" DLA_SQLITE_PW="$SQLITE_PW"

# ---- running dla ------------------------------------------------------------
n=0
# dla_expect EXPECTED_EXIT ARGS... : runs dla, keeps stdout and stderr in LOGS
dla_expect() {
	want=$1
	shift
	n=$((n + 1))
	"$DLA" "$@" > "$LOGS/$n.out" 2> "$LOGS/$n.err"
	rc=$?
	printf '%s\n' "$*" > "$LOGS/$n.cmd"
	if [ "$rc" = "$want" ]; then
		ok
	else
		bad "dla $* exited $rc, expected $want: $(head -c 600 "$LOGS/$n.err")"
	fi
}

# dla_any ARGS... : like dla_expect, for commands still being built (retry,
# test, lineage): any exit but a crash (a signal)
dla_any() {
	n=$((n + 1))
	"$DLA" "$@" > "$LOGS/$n.out" 2> "$LOGS/$n.err"
	rc=$?
	printf '%s\n' "$*" > "$LOGS/$n.cmd"
	if [ "$rc" -lt 128 ]; then
		ok
	else
		bad "dla $* crashed (exit $rc): $(head -c 600 "$LOGS/$n.err")"
	fi
}

has_command() { "$DLA" --help 2>&1 | grep -q "^  $1 "; }

if command -v psql >/dev/null 2>&1; then
	psql -X -q -c "drop schema if exists presentation cascade; drop schema if exists staging cascade;
		drop schema if exists dla_views cascade; drop schema if exists dla_meta cascade" \
		>/dev/null 2>&1
fi

P="--project $WORK"
for T in pg_env pg_inline local; do
	dla_expect 0 $P --target "$T" validate
	dla_expect 0 $P --target "$T" plan
	dla_expect 0 $P --target "$T" plan --format json
	dla_expect 0 $P --target "$T" plan --format dot
	dla_expect 0 $P --target "$T" seed
	dla_expect 0 $P --target "$T" run --exclude v_broken
	dla_expect 0 $P --target "$T" run --exclude v_broken --log-format json
	dla_expect 0 $P --target "$T" run --exclude v_broken --dry-run
	dla_expect 1 $P --target "$T" run
	dla_expect 1 $P --target "$T" run --log-format json --threads 2
	dla_expect 0 $P --target "$T" run --fail-fast --dry-run
	if has_command retry; then
		dla_any $P --target "$T" retry
	fi
	if has_command test; then
		dla_any $P --target "$T" test
	fi
	if has_command lineage; then
		dla_any $P --target "$T" lineage --format json -o "$WORK/lineage_$T.json"
		dla_any $P --target "$T" lineage --format md -o "$WORK/lineage_$T.md"
		dla_any $P --target "$T" lineage --format openlineage
	fi
done

# wrong passwords, written and from the environment: cannot connect
for T in pg_bad_inline pg_bad_env; do
	dla_expect 3 $P --target "$T" seed
	dla_expect 3 $P --target "$T" run
	dla_expect 3 $P --target "$T" run --log-format json
	dla_expect 3 $P --target "$T" run --dry-run
done
PGPASSWORD=$BAD_PGPASSWORD dla_expect 3 $P --target pg_env run
PGPASSWORD=$BAD_PGPASSWORD dla_expect 3 $P --target pg_env run --log-format json
PGPASSWORD=$BAD_PGPASSWORD dla_expect 3 $P --target pg_env seed

# a broken dla.yml next to written passwords
dla_expect 2 --project "$WORK/broken" validate
dla_expect 2 --project "$WORK/broken" run

# the runs above really happened (else the search below proves nothing)
runs=$(psql -X -q -At -c "select count(*) from dla_meta.dla_run" 2>&1)
case $runs in
''|*[!0-9]*) bad "no dla_meta.dla_run on PostgreSQL: $runs" ;;
0) bad "no run recorded on PostgreSQL" ;;
*) ok ;;
esac
if [ -f "$WORK/.dla/dla_meta.db" ]; then ok; else bad "no SQLite metadata file $WORK/.dla/dla_meta.db"; fi

# ---- where secrets must not be ----------------------------------------------
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_DUMP=$PG_BIN/pg_dump
command -v "$PG_DUMP" >/dev/null 2>&1 || PG_DUMP=pg_dump
if "$PG_DUMP" --data-only --no-owner "$PGDATABASE" > "$LOGS/database.sql" 2> "$LOGS/pg_dump.err"; then
	ok
else
	bad "pg_dump failed: $(cat "$LOGS/pg_dump.err")"
fi
psql -X -q -At -c "select 'dla_meta.' || table_name from information_schema.tables
	where table_schema = 'dla_meta' order by 1" > "$LOGS/meta_tables.txt" 2>&1
for t in $(cat "$LOGS/meta_tables.txt"); do
	psql -X -q -At -c "select * from $t" > "$LOGS/meta_$t.txt" 2>&1
done

search_failed=0
# search NAME FILE... : every needle absent from the files
search() {
	what=$1
	shift
	for f in "$@"; do
		[ -f "$f" ] || continue
		printf '%s\n' "$NEEDLES" | while IFS= read -r needle; do
			[ -n "$needle" ] || continue
			if grep -aqF -- "$needle" "$f"; then
				echo "secrets: FAIL: '$needle' found in $what: $f" >&2
				grep -anF -- "$needle" "$f" | head -n 3 | cut -c1-300 | sed 's/^/    /' >&2
				echo x
			fi
		done
	done
}

found=$(search "dla output" "$LOGS"/*.out "$LOGS"/*.err)
[ -z "$found" ] && ok || bad "secrets in dla's output (above)"
found=$(find "$WORK" -type f ! -name dla.yml | while IFS= read -r f; do search "a project file" "$f"; done)
[ -z "$found" ] && ok || bad "secrets in files under the project (above)"
found=$(search "the database" "$LOGS/database.sql" "$LOGS"/meta_*.txt)
[ -z "$found" ] && ok || bad "secrets in the PostgreSQL database (above)"
if [ -n "${DLA_PG_DIR:-}" ] && [ -r "$DLA_PG_DIR/server.log" ]; then
	found=$(search "the server log" "$DLA_PG_DIR/server.log")
	[ -z "$found" ] && ok || bad "secrets in the PostgreSQL server log (above)"
fi

# psqlODBC's communication log: a system setting (odbcinst.ini CommLog=1),
# reported, not failed
commlogs=$(find /tmp -maxdepth 1 -name 'psqlodbc_*.log' -newer "$MARK" 2>/dev/null)
n_commlogs=$(printf '%s' "$commlogs" | grep -c . || true)
found=""
if [ -n "$commlogs" ]; then
	# shellcheck disable=SC2086
	found=$(search "a psqlODBC CommLog" $commlogs 2>&1)
fi
if [ -n "$found" ]; then
	echo "secrets: NOTE: the psqlODBC driver's CommLog holds a password:" >&2
	printf '%s\n' "$found" | grep -v '^x$' >&2
	echo "secrets: NOTE: that is /etc/odbcinst.ini 'CommLog=1' (Debian's default), outside dla" >&2
else
	echo "secrets: $n_commlogs psqlODBC CommLog files written meanwhile, no secret in them"
fi

echo "secrets: $n dla commands, $passed passed, $failed failed"
[ "$failed" = 0 ]
