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
 *   environment handle).
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
 *   truncated to fit.  err->sqlstate/native are those of the first record.
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
 * Driver notes (verified with Debian 12 packages)
 *   See the "Driver notes" section at the end of this header.
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
 * SQLRowCount: rows inserted/updated/deleted, -1 when not applicable (DDL,
 * SELECT).  A statement that returns SQL_NO_DATA (UPDATE/DELETE matching no
 * row) is success with 0 rows.  A result set, if any, is discarded.
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
 * Portable use: wrap the query as "SELECT * FROM (q) AS d WHERE 1=0" when
 * the driver only describes after execution (see driver notes).
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
 * inserted, also on failure (rows inserted before the failing batch).
 */
enum dla_code dla_db_insert_rows(struct dla_db *db, const char *insert_sql_prefix,
				 size_t n_cols, const char *const *values,
				 size_t n_rows, long *rows_inserted,
				 struct dla_db_error *err);

/* True when the connection is known to be dead: the last error had class
 * 08/57P01 or the driver reports SQL_ATTR_CONNECTION_DEAD. */
bool dla_db_is_dead(struct dla_db *db);

/* SQLGetInfo(SQL_DBMS_NAME), e.g. "SQLite", "PostgreSQL"; "" if unknown.
 * Owned by db, valid until dla_db_close. */
const char *dla_db_dbms_name(struct dla_db *db);

/*
 * Driver notes
 *   (filled in from tests; see tests/unit/test_db_sqlite.c)
 */

#endif
