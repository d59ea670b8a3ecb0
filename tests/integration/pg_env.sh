# pg_env.sh - a throw-away PostgreSQL 15 server for integration tests.
# POSIX sh; SOURCE it, then:
#
#     . tests/integration/pg_env.sh
#     trap 'pg_stop' EXIT
#     trap 'pg_stop; exit 130' INT TERM
#     pg_start || exit 1
#
# pg_start initialises a cluster in a fresh temp directory (owned by the
# `postgres` user when run as root: initdb refuses root), listening only on
# 127.0.0.1 on a free port, unix socket inside the temp directory,
# fsync=off.  Authentication:
#   - unix socket: trust, for everybody (admin work: pg_psql_admin)
#   - TCP, role `dla`: scram-sha-256, password `dla_secret_pw` (a password
#     is really needed: secret-handling tests rely on it)
#   - TCP, other roles: trust
# Role `dla` (LOGIN CREATEDB) owns database `dla`.
#
# Exports: PGHOST PGPORT PGDATABASE PGUSER PGPASSWORD (psql works as `dla`),
#          DLA_PG_CONN  ODBC connection string for psqlODBC,
#          DLA_PG_DIR   the temp directory (data/, server.log, socket)
#          DLA_PG_SOCKET the socket directory
# pg_stop stops the server and removes the directory; safe to call twice
# and when pg_start failed half-way.  The server log is $DLA_PG_DIR/server.log
# and is printed when the start fails.
#
# Override PG_BIN to use another installation (default: Debian's 15).

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
DLA_PG_ROLE=dla
DLA_PG_PASSWORD=dla_secret_pw
DLA_PG_DB=dla

# Runs a PostgreSQL server program as the cluster owner.
_pg_run() {
	if [ "$(id -u)" = 0 ]; then
		(cd "$DLA_PG_DIR" && runuser -u postgres -- "$@")
	else
		(cd "$DLA_PG_DIR" && "$@")
	fi
}

# True when something answers or listens on 127.0.0.1:$1.
_pg_port_busy() {
	if command -v ss >/dev/null 2>&1; then
		ss -Hltn "sport = :$1" 2>/dev/null | grep -q . && return 0
	fi
	"$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$1" -t 1 >/dev/null 2>&1
	[ $? -ne 2 ]
}

# psql as the superuser over the unix socket (trust).
pg_psql_admin() {
	"$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$DLA_PG_SOCKET" -p "$PGPORT" \
		-U postgres -d "${PG_ADMIN_DB:-postgres}" "$@"
}

_pg_fail() {
	echo "pg_env: $1" >&2
	if [ -n "${DLA_PG_DIR:-}" ] && [ -f "$DLA_PG_DIR/server.log" ]; then
		echo "pg_env: --- server log ($DLA_PG_DIR/server.log) ---" >&2
		tail -n 40 "$DLA_PG_DIR/server.log" >&2
		echo "pg_env: --- end of server log ---" >&2
	fi
	return 1
}

pg_start() {
	if [ ! -x "$PG_BIN/initdb" ] || [ ! -x "$PG_BIN/pg_ctl" ]; then
		echo "pg_env: PostgreSQL 15 server binaries not found in $PG_BIN;" \
		     "install them with: sh scripts/deps.sh (package postgresql)" >&2
		return 1
	fi
	if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
		echo "pg_env: running as root but there is no 'postgres' user" \
		     "to own the cluster (initdb refuses root)" >&2
		return 1
	fi
	DLA_PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/dla-pg.XXXXXX") || {
		echo "pg_env: cannot create a temp directory" >&2; return 1; }
	DLA_PG_SOCKET=$DLA_PG_DIR
	export DLA_PG_DIR DLA_PG_SOCKET
	chmod 700 "$DLA_PG_DIR"
	if [ "$(id -u)" = 0 ]; then
		chown postgres:postgres "$DLA_PG_DIR" || {
			echo "pg_env: cannot chown $DLA_PG_DIR to postgres" >&2; return 1; }
	fi
	if ! _pg_run "$PG_BIN/initdb" -D "$DLA_PG_DIR/data" -U postgres -E UTF8 \
		--locale=C --auth-local=trust --auth-host=trust --no-sync \
		>"$DLA_PG_DIR/initdb.log" 2>&1; then
		cat "$DLA_PG_DIR/initdb.log" >&2
		_pg_fail "initdb failed"
		return 1
	fi
	cat > "$DLA_PG_DIR/data/pg_hba.conf" <<EOF
local all all trust
host all $DLA_PG_ROLE 127.0.0.1/32 scram-sha-256
host all all 127.0.0.1/32 trust
EOF
	[ "$(id -u)" = 0 ] && chown postgres:postgres "$DLA_PG_DIR/data/pg_hba.conf"

	# A free port: random start in 20000..59999, then walk upwards.
	_pg_port=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000 ))
	_pg_tries=0
	while :; do
		_pg_tries=$((_pg_tries + 1))
		if [ "$_pg_tries" -gt 40 ]; then
			_pg_fail "no free port found for PostgreSQL"
			return 1
		fi
		if _pg_port_busy "$_pg_port"; then
			_pg_port=$((_pg_port + 1))
			continue
		fi
		if _pg_run "$PG_BIN/pg_ctl" -D "$DLA_PG_DIR/data" -l "$DLA_PG_DIR/server.log" \
			-w -t 60 -o "-p $_pg_port -k $DLA_PG_SOCKET -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
			start >"$DLA_PG_DIR/pg_ctl.log" 2>&1; then
			break
		fi
		# Lost a race for the port?  Try the next one; else give up.
		if grep -q 'could not bind\|Address already in use' "$DLA_PG_DIR/server.log" 2>/dev/null; then
			_pg_port=$((_pg_port + 1))
			continue
		fi
		cat "$DLA_PG_DIR/pg_ctl.log" >&2
		_pg_fail "PostgreSQL did not start"
		return 1
	done

	PGPORT=$_pg_port
	export PGPORT
	if ! pg_psql_admin -c "CREATE ROLE $DLA_PG_ROLE LOGIN CREATEDB PASSWORD '$DLA_PG_PASSWORD'" \
		-c "CREATE DATABASE $DLA_PG_DB OWNER $DLA_PG_ROLE" >/dev/null; then
		_pg_fail "cannot create role/database '$DLA_PG_ROLE'"
		return 1
	fi
	PGHOST=127.0.0.1
	PGDATABASE=$DLA_PG_DB
	PGUSER=$DLA_PG_ROLE
	PGPASSWORD=$DLA_PG_PASSWORD
	DLA_PG_CONN="Driver=PostgreSQL Unicode;Server=127.0.0.1;Port=$PGPORT;Database=$DLA_PG_DB;Uid=$DLA_PG_ROLE;Pwd=$DLA_PG_PASSWORD"
	export PGHOST PGDATABASE PGUSER PGPASSWORD DLA_PG_CONN
	echo "pg_env: PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PGPORT ($DLA_PG_DIR)"
	return 0
}

pg_stop() {
	[ -n "${DLA_PG_DIR:-}" ] || return 0
	if [ -d "$DLA_PG_DIR/data" ] && [ -f "$DLA_PG_DIR/data/postmaster.pid" ]; then
		_pg_run "$PG_BIN/pg_ctl" -D "$DLA_PG_DIR/data" -m immediate -w -t 30 stop \
			>/dev/null 2>&1 || true
	fi
	rm -rf "$DLA_PG_DIR"
	DLA_PG_DIR=
	return 0
}
