/*
 * db.h - one ODBC connection to the target warehouse (SQLite, PostgreSQL,
 * Snowflake) and the few operations dla needs on it.
 *
 * dla/db.c is the only file of the project that includes sql.h/sqlext.h;
 * everything else talks to the database through this header, in UTF-8 text.
 *
 * Life cycle
 *     struct dla_db *db;
 *     struct dla_db_error err;
 *     if (dla_db_connect(conn_str, &db, &err) != DLA_OK) { report err.message }
 *     dla_db_begin(db, &err);  dla_db_exec(...);  dla_db_commit(db, &err);
 *     dla_db_close(db);
 *   A connection starts in autocommit mode: every dla_db_exec is its own
 *   transaction.  dla_db_begin switches autocommit off; dla_db_commit and
 *   dla_db_rollback end the transaction and switch autocommit back on.
 *   dla_db_close rolls back a transaction still open, then disconnects and
 *   frees everything (NULL is fine).
 *
 * Threads
 *   One connection per thread: a struct dla_db must not be used by two
 *   threads at the same time, but different connections may be used from
 *   different threads concurrently (each connection has its own ODBC
 *   environment handle).  The one exception is dla_db_cancel, made to be
 *   called from another thread.
 *
 * Errors
 *   Every function that can fail returns an enum dla_code and fills the
 *   caller's struct dla_db_error (err may be NULL when the caller does not
 *   care).  On DLA_OK the error is cleared (message "", sqlstate "").
 *     DLA_ERR_CONNECT    dla_db_connect failed (bad driver, refused, auth).
 *     DLA_ERR_DB         a statement failed (syntax, constraint, ...).
 *     DLA_ERR_CONN_DEAD  the connection is gone (SQLSTATE class 08, 57P01,
 *                        57P02, 57P03 or SQL_ATTR_CONNECTION_DEAD); also sets
 *                        err->connection_dead.  Close it and reconnect.
 *     DLA_ERR_NOMEM      an allocation failed.
 *     DLA_ERR_USAGE      a NULL/invalid argument.
 *   err->message holds the text of EVERY diagnostic record the driver
 *   returned (at most 10), each as "[SQLSTATE] text", joined with "; ",
 *   truncated to fit.  err->sqlstate/native are those of the first record
 *   (of the first connection-dead record when there is one).
 *   Secret values of the connection string (PWD, PASSWORD, TOKEN, ...; see
 *   redact.h) are replaced by "***" in every message, and the connection
 *   string itself never appears in a message.
 *
 * Text
 *   SQL text, parameters and results are UTF-8 bytes passed through the
 *   ODBC ANSI API (psqlODBC "PostgreSQL Unicode" and sqliteodbc round-trip
 *   non-ASCII text unchanged through unixODBC).  Parameters are always
 *   bound (SQL_C_CHAR, "?" placeholders), never spliced into the SQL; a NULL
 *   parameter pointer is SQL NULL.  Results are fetched as text in chunks,
 *   so long values are complete.
 *
 * Transactions and errors
 *   A failed statement does NOT end the transaction on SQLite nor on
 *   PostgreSQL (psqlODBC's default statement-level rollback): only that
 *   statement is undone, the earlier ones are still there, later ones run,
 *   and a commit would commit them.  Callers must dla_db_rollback after
 *   any error inside a transaction.
 *
 * Driver notes (verified with Debian 12 packages): see the end of this
 * header.
 */
#ifndef DLA_DB_H
#define DLA_DB_H

#include <stdbool.h>
#include <stddef.h>

#include "code.h"

/* One ODBC connection (environment + connection handle); opaque. */
struct dla_db;

struct dla_db_error {
	char sqlstate[6];       /* "" when no SQLSTATE (e.g. NOMEM, USAGE) */
	long native;            /* driver's native error code of record 1 */
	char message[1024];     /* secrets scrubbed; never NULL, may be "" */
	bool connection_dead;
};

/*
 * Connects with SQLDriverConnect(SQL_DRIVER_NOPROMPT) and a 10 s login
 * timeout.  conn_str is an ODBC connection string ("Driver=SQLite3;
 * Database=/tmp/x.db", "DSN=snowflake;Uid=..;Pwd=.."); it is not kept after
 * the call except its secret values, used to scrub later messages.
 * On success *out is the new connection (caller closes with dla_db_close);
 * on failure *out is NULL and the code is DLA_ERR_CONNECT (or NOMEM/USAGE).
 */
enum dla_code dla_db_connect(const char *conn_str, struct dla_db **out,
			     struct dla_db_error *err);

/* Rolls back an open transaction, disconnects, frees db.  NULL is fine. */
void dla_db_close(struct dla_db *db);

/* Starts a transaction: autocommit off.  Nesting is a DLA_ERR_USAGE. */
enum dla_code dla_db_begin(struct dla_db *db, struct dla_db_error *err);
/* Commits the transaction and turns autocommit back on. */
enum dla_code dla_db_commit(struct dla_db *db, struct dla_db_error *err);
/* Rolls the transaction back and turns autocommit back on.  Without an
 * open transaction it does nothing and returns DLA_OK. */
enum dla_code dla_db_rollback(struct dla_db *db, struct dla_db_error *err);
/* True between dla_db_begin and dla_db_commit/rollback. */
bool dla_db_in_transaction(const struct dla_db *db);

/*
 * Executes one statement.  params[0..n_params) are bound in order to the
 * "?" markers as SQL_C_CHAR text (NULL pointer = SQL NULL); params may be
 * NULL when n_params is 0.  *rows_affected (rows_affected may be NULL) is
 * SQLRowCount: rows inserted/updated/deleted; -1 for a statement with a
 * result set (SELECT); 0 for DDL on sqliteodbc and psqlODBC.  A statement
 * that returns SQL_NO_DATA (UPDATE/DELETE matching no row) is success with
 * 0 rows.  A result set, if any, is discarded.
 * One statement per call: sqliteodbc refuses "a; b" ("only one SQL
 * statement allowed"); psqlODBC runs it but counts the first only.
 */
enum dla_code dla_db_exec(struct dla_db *db, const char *sql,
			  const char *const *params, size_t n_params,
			  long *rows_affected, struct dla_db_error *err);

/* All rows of a query, as text. */
struct dla_db_result {
	size_t n_rows, n_cols;
	char **col_names;     /* n_cols names, never NULL */
	char **cells;         /* row-major, n_rows * n_cols; NULL = SQL NULL */
};

/*
 * Runs a query (parameters as for dla_db_exec) and fetches every row.
 * On success *out is a new result the caller frees with
 * dla_db_result_free; on failure *out is NULL.  A statement without a
 * result set gives a result with n_cols == 0 and n_rows == 0.
 */
enum dla_code dla_db_query(struct dla_db *db, const char *sql,
			   const char *const *params, size_t n_params,
			   struct dla_db_result **out, struct dla_db_error *err);
void dla_db_result_free(struct dla_db_result *r);   /* NULL is fine */
/* Cell text, NULL for SQL NULL or when row/col is out of range. */
const char *dla_db_cell(const struct dla_db_result *r, size_t row, size_t col);

/* One column of a result, as reported by SQLDescribeCol. */
struct dla_db_column {
	char *name;
	int sql_type;          /* ODBC SQL type code: SQL_VARCHAR (12),
				  SQL_INTEGER (4), SQL_DECIMAL (3), SQL_TYPE_TIMESTAMP
				  (93), SQL_WVARCHAR (-9), ... */
	unsigned long size;    /* column size (characters or precision) */
	int decimals;          /* decimal digits (scale) */
	bool nullable;         /* true also when the driver does not know */
};

/*
 * Describes the columns of a query's result without fetching rows
 * (SQLPrepare + SQLNumResultCols + SQLDescribeCol).  On success *cols is a
 * new array of *n_cols columns (caller frees with dla_db_columns_free).
 * For queries only (SELECT/WITH): sqliteodbc and psqlODBC describe at
 * prepare time without executing (checked with a sequence on PostgreSQL).
 * Types differ a lot per driver: see the driver notes.
 */
enum dla_code dla_db_describe(struct dla_db *db, const char *sql,
			      struct dla_db_column **cols, size_t *n_cols,
			      struct dla_db_error *err);
void dla_db_columns_free(struct dla_db_column *cols, size_t n);

/*
 * Batched insert of n_rows rows of n_cols text values (row-major, NULL =
 * SQL NULL).  insert_sql_prefix is "INSERT INTO t (a,b) VALUES " (no
 * placeholders); dla adds the "(?,?),..." groups.  Values are always bound,
 * never spliced.  Rows go in batches (array binding with SQL_ATTR_PARAMSET_SIZE
 * when the driver supports it, otherwise multi-row VALUES statements of up to
 * ~200 rows).  Not atomic by itself: call inside dla_db_begin/commit to make
 * it all-or-nothing.  *rows_inserted (may be NULL) is the number of rows
 * inserted; on failure a lower bound (rows of the batches before the
 * failing one, plus rows the driver reports as done: psqlODBC does,
 * sqliteodbc does not, and in autocommit mode sqliteodbc keeps the rows of
 * a failing batch before the bad row while psqlODBC undoes the batch).
 * Both sqliteodbc and psqlODBC take parameter arrays (100k rows x 3 text
 * columns in one transaction: ~0.3 s SQLite, ~1 s PostgreSQL).
 */
enum dla_code dla_db_insert_rows(struct dla_db *db, const char *insert_sql_prefix,
				 size_t n_cols, const char *const *values,
				 size_t n_rows, long *rows_inserted,
				 struct dla_db_error *err);

/* Whether dla_db_insert_rows may use parameter arrays on db (default: yes
 * when the driver accepts SQL_ATTR_PARAMSET_SIZE).  false forces the
 * multi-row VALUES path: for tests, and for a driver whose arrays misbehave. */
void dla_db_use_param_arrays(struct dla_db *db, bool on);

/* True when the connection is known to be dead: the last error had class
 * 08/57P01 or the driver reports SQL_ATTR_CONNECTION_DEAD. */
bool dla_db_is_dead(struct dla_db *db);

/*
 * Cancels db from ANOTHER thread (the one other operation allowed on a
 * connection in use: a signal or a --fail-fast stop interrupts a worker's
 * statement).  The statement executing or fetching on db, if any, gets
 * SQLCancel (psqlODBC sends a cancel request to the server; sqliteodbc
 * interrupts the engine) and fails; from then on every statement on db
 * fails at once with "[HY008] operation cancelled" (DLA_ERR_DB) and
 * dla_db_commit fails the same way, leaving the transaction open, so the
 * caller's error path rolls back: nothing commits after a cancel
 * (a commit already under way may still finish).  dla_db_rollback and
 * dla_db_close still work.  A cancelled connection stays cancelled: close
 * it.  Thread-safe; NULL is fine.
 */
void dla_db_cancel(struct dla_db *db);
/* True once dla_db_cancel was called on db. */
bool dla_db_cancelled(struct dla_db *db);

/* SQLGetInfo(SQL_DBMS_NAME), e.g. "SQLite", "PostgreSQL"; "" if unknown.
 * Owned by db, valid until dla_db_close. */
const char *dla_db_dbms_name(struct dla_db *db);

/*
 * Driver notes (unixODBC 2.3.11, sqliteodbc 0.9998 with SQLite 3.40,
 * psqlODBC "PostgreSQL Unicode" with PostgreSQL 15; pinned by
 * tests/unit/test_db_sqlite.c, which tests/integration also runs on PG)
 *
 * sqliteodbc ("Driver=SQLite3;Database=FILE")
 *   - Autocommit off + SQLEndTran work: a rollback undoes DML and DDL, also
 *     across ATTACHed files.  ATTACH DATABASE works through ODBC, in and
 *     outside a transaction; TEMP views may read attached schemas.
 *   - Connection-string options the driver reads: Database, Timeout (busy
 *     wait in ms, default 100000; honoured through the driver's own busy
 *     handler, so PRAGMA busy_timeout still shows 0), SyncPragma
 *     (OFF|NORMAL|FULL -> PRAGMA synchronous; default NORMAL), JournalMode
 *     (-> PRAGMA journal_mode; default: SQLite's, i.e. DELETE), FKSupport
 *     (1 -> PRAGMA foreign_keys=on; default off), NoCreat (1: fail when the
 *     file is missing), NoTXN, StepAPI, ShortNames, LongNames, NoWCHAR,
 *     LoadExt, BigInt, JDConv, Tracefile, PWD.  There is no NoWAL option;
 *     WAL only happens with JournalMode=WAL, so leave it unset.
 *   - A missing directory gives only "[HY000] [SQLite]connect failed".
 *   - Statement errors are SQLSTATE HY000 with SQLite's text and code:
 *     "[HY000] [SQLite]no such table: x (1)", "...UNIQUE constraint
 *     failed: t.id (19)", "database is locked (5)".
 *   - SQLDescribeCol: INTEGER -> SQL_INTEGER(4) size 10; VARCHAR(n) ->
 *     SQL_VARCHAR(12) size n; TEXT -> SQL_LONGVARCHAR(-1) size 65536;
 *     NUMERIC(p,s) -> SQL_DOUBLE(8) size p, decimals 0 (!); TIMESTAMP ->
 *     SQL_TYPE_TIMESTAMP(93) size 32.  Every expression (id + 1, 'lit',
 *     COUNT(*), a || b), also through a view, has no declared type and is
 *     reported as SQL_VARCHAR(12) size 255.  nullable is always true,
 *     even for NOT NULL columns.
 *   - SQL_ATTR_PARAMSET_SIZE is accepted and honoured (rows are executed
 *     one by one inside the driver); SQL_PARAM_ARRAY_ROW_COUNTS says 0.
 *
 * psqlODBC ("Driver=PostgreSQL Unicode;Server=..;Port=..;Database=..;
 * Uid=..;Pwd=..")
 *   - UTF-8 through the ANSI API round-trips unchanged, in the C and the
 *     C.UTF-8 locale (SQL text, bound parameters, fetched values).
 *   - Text parameters are sent untyped, so "WHERE int_col = ?" and
 *     "? + 1" work; a function overloaded on its argument type may need
 *     CAST(? AS INTEGER).
 *   - Errors: "[42P01] ERROR: relation "x" does not exist; Error while
 *     executing the query"; wrong password: "[08001] connection to server
 *     at ... failed: FATAL:  password authentication failed for user ..."
 *     (no password echoed).  A backend killed by pg_terminate_backend
 *     gives "[57P01] FATAL: terminating connection due to administrator
 *     command; The connection has been lost" -> DLA_ERR_CONN_DEAD.
 *   - SQLDescribeCol (ANSI application: unixODBC reports narrow types):
 *     integer -> 4 size 10; varchar(n) -> SQL_VARCHAR(12) size n; text and
 *     untyped literals -> SQL_LONGVARCHAR(-1) size 8190; numeric(p,s) ->
 *     SQL_NUMERIC(2) size p decimals s; timestamp -> 93 size 26 decimals 6;
 *     integer expressions keep their type.  nullable is false for a NOT
 *     NULL table column (also through a subquery), true otherwise.
 *   - Parameter arrays supported (SQL_PARAM_ARRAY_ROW_COUNTS = batch).
 *   - Debian's /etc/odbcinst.ini sets CommLog=1 for psqlODBC, so every
 *     process writes /tmp/psqlodbc_<program>_<user><pid>.log (only
 *     "PQfinish" lines seen; no secrets).  CommLog=0 in the connection
 *     string does not stop it; set CommLog=0 in odbcinst.ini instead.
 */

#endif
