# gate.sh - gates an integration test holds closed while a dla run waits
# behind them, and opens when it has checked what it wanted: no sleep and no
# slow query decides whether a run is still running.  POSIX sh; SOURCE it
# (after pg_env.sh's variables are in the environment, for PostgreSQL):
#
#     . tests/integration/gate.sh
#     gate_init DIR HERE     DIR: a private directory for the gate's files;
#                            HERE: tests/integration (sqlite_gate.c)
#
# SQLite: a view waits in `dla_it_gate('$GATE_FILE')` (or loops while
#   `dla_it_gate_closed('$GATE_FILE')`), functions of a test extension
#   (tests/integration/sqlite_gate.c, built by gate_sqlite_ext and loaded by
#   the target's connection string: LoadExt=<its path>).  Closed: a process of
#   the test holds an exclusive flock on $GATE_FILE.  A process that waited
#   at the gate wrote its pid into $GATE_FILE.at.
# PostgreSQL: a view reads `(select g.open from staging.gate g for share)`.
#   Closed: a psql session of the test (application_name dla_it_gate) holds
#   the row FOR UPDATE in an open transaction.  Who waits: the backends that
#   session blocks (pg_blocking_pids).
#
#     gate_close ENGINE      sqlite | pg; returns once the gate IS closed
#     gate_open              returns once it is open (and its holder gone)
#     gate_is_closed         true while it is closed
#     gate_waiter PID        true when process PID waits at the gate
#                            (PostgreSQL: PID runs and a backend waits)
#     gate_cleanup           for the EXIT trap
#
# Also: running PID (alive, not a zombie), wait_until SECONDS CMD... (polls
# CMD every 0.1 s until it succeeds; false after SECONDS), wait_exit PID
# SECONDS (reaps PID; WAIT_RC its exit status, 124 when it did not exit in
# time: then it is killed), and a psql session fed through a named pipe:
# pg_session_open NAME, pg_session_send LINE..., pg_session_is COND,
# pg_session_close (false unless psql exits 0).  One session at a time (fd 8).

GATE_PID=""           # the flock holder (SQLite) or the psql session (pg)
GATE_ENGINE=""
PG_SESSION_PID=""
PG_SESSION_NAME=""

gate_init() { # gate_init DIR HERE
	GATE_DIR=$1
	GATE_SRC=$2/sqlite_gate.c
	GATE_FILE=$GATE_DIR/it.gate
	: >"$GATE_FILE"
}

running() { # running PID: alive and not a zombie (an exited child not reaped)
	_st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
	[ -n "$_st" ] && [ "$_st" != Z ] && [ "$_st" != X ]
}

wait_until() { # wait_until SECONDS CMD...: CMD succeeded within SECONDS
	_end=$(( $(date +%s) + $1 ))
	shift
	while :; do
		"$@" && return 0
		[ "$(date +%s)" -lt "$_end" ] || return 1
		sleep 0.1
	done
}

wait_exit() { # wait_exit PID SECONDS: WAIT_RC = exit status, 124 if killed
	if wait_until "$2" _not_running "$1"; then
		wait "$1"
		WAIT_RC=$?
	else
		kill -9 "$1" 2>/dev/null
		wait "$1" 2>/dev/null
		WAIT_RC=124
	fi
}
_not_running() { ! running "$1"; }

# gate_sqlite_ext DLA_BIN: the SQLite extension, built beside DLA_BIN (in
# its tests/, as the runner's test programs: a directory executables run
# from) when missing or older than its source; prints its path.
gate_sqlite_ext() {
	_ext=$(dirname "$1")/tests/sqlite_gate.so
	if [ ! -f "$_ext" ] || [ -n "$(find "$GATE_SRC" -newer "$_ext")" ]; then
		if ! { mkdir -p "$(dirname "$_ext")" &&
			${CC:-cc} -std=c11 -D_DEFAULT_SOURCE -O2 -shared -fPIC -o "$_ext.$$" \
				"$GATE_SRC" -l:libsqlite3.so.0 >&2 &&
			mv -f "$_ext.$$" "$_ext"; }; then
			rm -f "$_ext.$$"
			return 1
		fi
	fi
	echo "$_ext"
}

# ---- a psql session fed through a named pipe ---------------------------------
_pg_admin() { # as the superuser over the unix socket, in the current database
	psql -X -q -At -v ON_ERROR_STOP=1 -h "${DLA_PG_SOCKET:-$PGHOST}" -U postgres \
		-d "${PGDATABASE:-dla}" -c "$1"
}

pg_session_open() { # pg_session_open NAME: psql as $PGUSER, application_name NAME
	PG_SESSION_NAME=$1
	rm -f "$GATE_DIR/$1.in"
	mkfifo "$GATE_DIR/$1.in" || return 1
	PGAPPNAME=$1 psql -X -q -v ON_ERROR_STOP=1 -h "${DLA_PG_SOCKET:-$PGHOST}" \
		<"$GATE_DIR/$1.in" >"$GATE_DIR/$1.out" 2>&1 &
	PG_SESSION_PID=$!
	exec 8>"$GATE_DIR/$1.in"
}

pg_session_send() { # pg_session_send LINE...: false when the session is gone
	[ -n "$PG_SESSION_PID" ] || return 1
	(trap '' PIPE; printf '%s\n' "$@" >&8) 2>/dev/null
}

# pg_session_is COND: the session's backend satisfies COND (SQL over
# pg_stat_activity's columns), e.g. "state = 'idle in transaction'"
pg_session_is() {
	[ "$(_pg_admin "select count(*) from pg_stat_activity where
		application_name = '$PG_SESSION_NAME' and ($1)" 2>/dev/null)" = 1 ]
}

pg_session_close() { # \q, end of input: false unless psql exits 0
	[ -n "$PG_SESSION_PID" ] || return 0
	pg_session_send '\q'
	exec 8>&-
	wait_exit "$PG_SESSION_PID" 60
	PG_SESSION_PID=""
	rm -f "$GATE_DIR/$PG_SESSION_NAME.in"
	[ "$WAIT_RC" = 0 ]
}

# ---- the gate ---------------------------------------------------------------
gate_close() { # gate_close sqlite|pg
	GATE_ENGINE=$1
	if [ "$1" = sqlite ]; then
		rm -f "$GATE_FILE.at" "$GATE_FILE.held"
		/usr/bin/python3 -c '
import fcntl, signal, sys
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
f = open(sys.argv[1])
fcntl.flock(f, fcntl.LOCK_EX)
open(sys.argv[1] + ".held", "w").close()
while True:
    signal.pause()' "$GATE_FILE" &
		GATE_PID=$!
		wait_until 60 test -f "$GATE_FILE.held" && return 0
	else
		pg_session_open dla_it_gate || return 1
		GATE_PID=$PG_SESSION_PID
		pg_session_send "begin;" "select open from staging.gate for update;"
		wait_until 60 pg_session_is "state = 'idle in transaction' and query like '%for update%'" &&
			return 0
	fi
	echo "gate: could not close the gate ($1)" >&2
	return 1
}

gate_is_closed() {
	[ -n "$GATE_PID" ] && running "$GATE_PID" || return 1
	[ "$GATE_ENGINE" = sqlite ] && return 0
	pg_session_is "state = 'idle in transaction' and query like '%for update%'"
}

gate_waiter() { # gate_waiter PID
	running "$1" || return 1
	if [ "$GATE_ENGINE" = sqlite ]; then
		grep -qx "$1" "$GATE_FILE.at" 2>/dev/null
	else
		[ "$(_pg_admin "select count(*) from pg_stat_activity a, pg_stat_activity g
			where g.application_name = 'dla_it_gate' and g.pid = any(pg_blocking_pids(a.pid))" \
			2>/dev/null)" -gt 0 ] 2>/dev/null
	fi
}

gate_open() { # false when the holder did not end as asked
	[ -n "$GATE_PID" ] || return 0
	if [ "$GATE_ENGINE" = sqlite ]; then
		kill "$GATE_PID" 2>/dev/null
		wait_exit "$GATE_PID" 60
		GATE_PID=""
		[ "$WAIT_RC" = 0 ]
	else
		GATE_PID=""
		pg_session_send "commit;"
		pg_session_close
	fi
}

gate_cleanup() {
	if [ -n "$GATE_PID" ] && [ "$GATE_ENGINE" = sqlite ]; then
		kill "$GATE_PID" 2>/dev/null
	fi
	if [ -n "$PG_SESSION_PID" ]; then
		exec 8>&-
		kill "$PG_SESSION_PID" 2>/dev/null
	fi
	GATE_PID=""; PG_SESSION_PID=""
}
