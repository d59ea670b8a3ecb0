/* db.c - the ODBC connection layer: connect, transactions, statements with
 * bound text parameters, text results, column descriptions, batched inserts
 * and error/diagnostic collection.  The only file including sql.h/sqlext.h. */
#include "db.h"
#include "alloc.h"
#include "buf.h"
#include "redact.h"

#include <sql.h>
#include <sqlext.h>

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define DB_LOGIN_TIMEOUT_S   10
#define DB_MAX_DIAG_RECORDS  10
#define DB_DIAG_TEXT_MAX     4096     /* one record's text, before joining */
#define DB_CHUNK             8192     /* SQLGetData chunk size */
#define DB_ARRAY_BATCH       500      /* rows per SQL_ATTR_PARAMSET_SIZE batch */
#define DB_VALUES_BATCH      200      /* rows per multi-row VALUES statement */
#define DB_VALUES_MAX_PARAMS 999      /* SQLite's historical parameter limit */

struct dla_db {
	SQLHENV env;
	SQLHDBC dbc;
	bool connected;
	bool in_txn;
	bool dead;
	int array_support;            /* -1 unknown, 0 no, 1 yes */
	char **secrets;               /* secret values of the connection string */
	size_t n_secrets;
	char dbms_name[128];
	/* dla_db_cancel (from another thread): the statement now allocated,
	 * guarded by cancel_mu so it is never cancelled after being freed;
	 * once cancelled is set no statement starts and nothing commits. */
	pthread_mutex_t cancel_mu;
	SQLHSTMT running;
	atomic_bool cancelled;
};

/* ---- errors ---------------------------------------------------------- */

static void err_clear(struct dla_db_error *err)
{
	err->sqlstate[0] = '\0';
	err->native = 0;
	err->message[0] = '\0';
	err->connection_dead = false;
}

static enum dla_code err_set(struct dla_db_error *err, enum dla_code code,
			     const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* An error that does not come from the driver (usage, NOMEM). */
static enum dla_code err_set(struct dla_db_error *err, enum dla_code code,
			     const char *fmt, ...)
{
	va_list ap;

	err_clear(err);
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return code;
}

/* What every operation on a cancelled connection returns. */
static enum dla_code cancelled_error(struct dla_db_error *err)
{
	err_set(err, DLA_ERR_DB, "[HY008] operation cancelled");
	memcpy(err->sqlstate, "HY008", sizeof(err->sqlstate));
	return DLA_ERR_DB;
}

static bool sqlstate_is_dead(const char *state)
{
	return (state[0] == '0' && state[1] == '8') ||
	       strcmp(state, "57P01") == 0 || strcmp(state, "57P02") == 0 ||
	       strcmp(state, "57P03") == 0;
}

/* If a secret was cut by the driver's truncation, drop its visible head:
 * remove a tail of text that is a proper prefix (>= 1 char) of a secret. */
static void cut_secret_tail(char *text, char *const *secrets, size_t n)
{
	size_t len = strlen(text), i;

	for (i = 0; i < n; i++) {
		size_t sl = strlen(secrets[i]), k;

		if (sl < 2)
			continue;
		for (k = sl - 1 < len ? sl - 1 : len; k > 0; k--) {
			if (memcmp(text + len - k, secrets[i], k) == 0) {
				len -= k;
				text[len] = '\0';
				break;
			}
		}
	}
}

/* Blank runs with newlines become one space; trailing blanks go. */
static void one_line(char *text)
{
	char *r = text, *w = text;

	while (*r) {
		if (*r == '\n' || *r == '\r' || *r == '\t') {
			while (*r == '\n' || *r == '\r' || *r == '\t' || *r == ' ')
				r++;
			if (w > text && w[-1] != ' ')
				*w++ = ' ';
			continue;
		}
		*w++ = *r++;
	}
	while (w > text && w[-1] == ' ')
		w--;
	*w = '\0';
}

/* Appends s to the fixed message buffer, truncating; "..." marks a cut. */
static void msg_append(char *msg, size_t cap, const char *s)
{
	size_t len = strlen(msg), sl = strlen(s);

	if (len + sl < cap) {
		memcpy(msg + len, s, sl + 1);
		return;
	}
	if (cap < 4 || len >= cap - 4)
		return;
	memcpy(msg + len, s, cap - 4 - len);
	memcpy(msg + cap - 4, "...", 4);
}

/*
 * Fills err from every diagnostic record of handle (at most
 * DB_MAX_DIAG_RECORDS), scrubbing secrets, and decides the code: code as
 * given, or DLA_ERR_CONN_DEAD when the connection is gone (only once
 * connected).  what names the failed step for records-less failures.
 */
static enum dla_code db_fail(struct dla_db *db, struct dla_db_error *err,
			     SQLSMALLINT type, SQLHANDLE handle,
			     enum dla_code code, const char *what)
{
	SQLSMALLINT i;
	bool dead = false;
	char first_dead[6] = "";
	long dead_native = 0;

	err_clear(err);
	for (i = 1; i <= DB_MAX_DIAG_RECORDS; i++) {
		SQLCHAR state[6] = "", text[DB_DIAG_TEXT_MAX];
		SQLINTEGER native = 0;
		SQLSMALLINT len = 0;
		SQLRETURN rc;
		char head[16];

		text[0] = '\0';
		rc = SQLGetDiagRec(type, handle, i, state, &native, text,
				   (SQLSMALLINT)sizeof(text), &len);
		if (rc != SQL_SUCCESS && rc != SQL_SUCCESS_WITH_INFO)
			break;
		state[5] = '\0';
		text[sizeof(text) - 1] = '\0';
		if (db) {
			dla_redact_in_place((char *)text,
					    (const char *const *)db->secrets,
					    db->n_secrets);
			if (len >= (SQLSMALLINT)sizeof(text))
				cut_secret_tail((char *)text, db->secrets,
						db->n_secrets);
		}
		one_line((char *)text);
		if (i == 1) {
			memcpy(err->sqlstate, state, sizeof(err->sqlstate));
			err->native = (long)native;
		}
		if (sqlstate_is_dead((const char *)state) && !first_dead[0]) {
			dead = true;
			memcpy(first_dead, state, sizeof(first_dead));
			dead_native = (long)native;
		}
		if (err->message[0])
			msg_append(err->message, sizeof(err->message), "; ");
		if (state[0]) {
			snprintf(head, sizeof(head), "[%s] ", (const char *)state);
			msg_append(err->message, sizeof(err->message), head);
		}
		msg_append(err->message, sizeof(err->message), (const char *)text);
	}
	if (!err->message[0])
		snprintf(err->message, sizeof(err->message),
			 "%s failed (the driver gave no diagnostic)", what);

	if (db && db->connected && code != DLA_ERR_CONNECT) {
		if (!dead) {
			SQLUINTEGER cd = SQL_CD_FALSE;

			if (SQL_SUCCEEDED(SQLGetConnectAttr(db->dbc,
				SQL_ATTR_CONNECTION_DEAD, &cd, 0, NULL)) &&
			    cd == SQL_CD_TRUE)
				dead = true;
		} else {
			memcpy(err->sqlstate, first_dead, sizeof(err->sqlstate));
			err->native = dead_native;
		}
		if (dead) {
			db->dead = true;
			err->connection_dead = true;
			return DLA_ERR_CONN_DEAD;
		}
	}
	return code;
}

/* ---- connection ------------------------------------------------------ */

static void db_free(struct dla_db *db)
{
	if (!db)
		return;
	if (db->dbc) {
		if (db->connected)
			SQLDisconnect(db->dbc);
		SQLFreeHandle(SQL_HANDLE_DBC, db->dbc);
	}
	if (db->env)
		SQLFreeHandle(SQL_HANDLE_ENV, db->env);
	dla_secrets_free(db->secrets, db->n_secrets);
	pthread_mutex_destroy(&db->cancel_mu);
	dla_free(db);
}

enum dla_code dla_db_connect(const char *conn_str, struct dla_db **out,
			     struct dla_db_error *err)
{
	struct dla_db_error scratch;
	struct dla_db *db;
	SQLRETURN rc;
	SQLSMALLINT len = 0;
	enum dla_code code;

	if (!err)
		err = &scratch;
	if (!out)
		return err_set(err, DLA_ERR_USAGE, "no output for the connection");
	*out = NULL;
	if (!conn_str || !conn_str[0])
		return err_set(err, DLA_ERR_USAGE, "empty connection string");

	db = dla_calloc(1, sizeof(*db));
	if (!db)
		return err_set(err, DLA_ERR_NOMEM, "out of memory connecting");
	db->array_support = -1;
	pthread_mutex_init(&db->cancel_mu, NULL);
	atomic_init(&db->cancelled, false);
	if (dla_connection_secrets(conn_str, &db->secrets, &db->n_secrets) != DLA_OK) {
		pthread_mutex_destroy(&db->cancel_mu);
		dla_free(db);
		return err_set(err, DLA_ERR_NOMEM, "out of memory connecting");
	}

	rc = SQLAllocHandle(SQL_HANDLE_ENV, SQL_NULL_HANDLE, &db->env);
	if (!SQL_SUCCEEDED(rc)) {
		db->env = SQL_NULL_HENV;
		db_free(db);
		return err_set(err, DLA_ERR_CONNECT,
			       "cannot allocate an ODBC environment");
	}
	rc = SQLSetEnvAttr(db->env, SQL_ATTR_ODBC_VERSION,
			   (SQLPOINTER)(uintptr_t)SQL_OV_ODBC3, 0);
	if (!SQL_SUCCEEDED(rc)) {
		code = db_fail(db, err, SQL_HANDLE_ENV, db->env, DLA_ERR_CONNECT,
			       "setting ODBC version 3");
		db_free(db);
		return code;
	}
	rc = SQLAllocHandle(SQL_HANDLE_DBC, db->env, &db->dbc);
	if (!SQL_SUCCEEDED(rc)) {
		db->dbc = SQL_NULL_HDBC;
		code = db_fail(db, err, SQL_HANDLE_ENV, db->env, DLA_ERR_CONNECT,
			       "allocating an ODBC connection");
		db_free(db);
		return code;
	}
	/* Best effort: not every driver knows a login timeout. */
	SQLSetConnectAttr(db->dbc, SQL_ATTR_LOGIN_TIMEOUT,
			  (SQLPOINTER)(uintptr_t)DB_LOGIN_TIMEOUT_S, 0);

	rc = SQLDriverConnect(db->dbc, NULL, (SQLCHAR *)conn_str, SQL_NTS,
			      NULL, 0, &len, SQL_DRIVER_NOPROMPT);
	if (!SQL_SUCCEEDED(rc)) {
		code = db_fail(db, err, SQL_HANDLE_DBC, db->dbc, DLA_ERR_CONNECT,
			       "connecting");
		db_free(db);
		return code;
	}
	db->connected = true;

	len = 0;
	rc = SQLGetInfo(db->dbc, SQL_DBMS_NAME, db->dbms_name,
			(SQLSMALLINT)sizeof(db->dbms_name), &len);
	if (!SQL_SUCCEEDED(rc))
		db->dbms_name[0] = '\0';
	db->dbms_name[sizeof(db->dbms_name) - 1] = '\0';

	err_clear(err);
	*out = db;
	return DLA_OK;
}

void dla_db_close(struct dla_db *db)
{
	if (!db)
		return;
	if (db->connected && db->in_txn && !db->dead) {
		SQLEndTran(SQL_HANDLE_DBC, db->dbc, SQL_ROLLBACK);
		SQLSetConnectAttr(db->dbc, SQL_ATTR_AUTOCOMMIT,
				  (SQLPOINTER)(uintptr_t)SQL_AUTOCOMMIT_ON, 0);
	}
	db_free(db);
}

const char *dla_db_dbms_name(struct dla_db *db)
{
	return db ? db->dbms_name : "";
}

bool dla_db_is_dead(struct dla_db *db)
{
	SQLUINTEGER cd = SQL_CD_FALSE;

	if (!db)
		return true;
	if (db->dead)
		return true;
	if (SQL_SUCCEEDED(SQLGetConnectAttr(db->dbc, SQL_ATTR_CONNECTION_DEAD,
					    &cd, 0, NULL)) && cd == SQL_CD_TRUE)
		db->dead = true;
	return db->dead;
}

/* ---- transactions ---------------------------------------------------- */

static enum dla_code set_autocommit(struct dla_db *db, bool on,
				    struct dla_db_error *err)
{
	SQLRETURN rc = SQLSetConnectAttr(db->dbc, SQL_ATTR_AUTOCOMMIT,
		(SQLPOINTER)(uintptr_t)(on ? SQL_AUTOCOMMIT_ON : SQL_AUTOCOMMIT_OFF), 0);

	if (!SQL_SUCCEEDED(rc))
		return db_fail(db, err, SQL_HANDLE_DBC, db->dbc, DLA_ERR_DB,
			       on ? "turning autocommit on" : "turning autocommit off");
	return DLA_OK;
}

enum dla_code dla_db_begin(struct dla_db *db, struct dla_db_error *err)
{
	struct dla_db_error scratch;
	enum dla_code code;

	if (!err)
		err = &scratch;
	if (!db)
		return err_set(err, DLA_ERR_USAGE, "no connection");
	if (db->in_txn)
		return err_set(err, DLA_ERR_USAGE, "a transaction is already open");
	code = set_autocommit(db, false, err);
	if (code != DLA_OK)
		return code;
	db->in_txn = true;
	err_clear(err);
	return DLA_OK;
}

static enum dla_code end_txn(struct dla_db *db, SQLSMALLINT how,
			     struct dla_db_error *err)
{
	SQLRETURN rc;
	enum dla_code code;

	rc = SQLEndTran(SQL_HANDLE_DBC, db->dbc, how);
	if (!SQL_SUCCEEDED(rc)) {
		code = db_fail(db, err, SQL_HANDLE_DBC, db->dbc, DLA_ERR_DB,
			       how == SQL_COMMIT ? "commit" : "rollback");
		/* A failed commit leaves the transaction open for a rollback;
		 * a failed rollback (dead connection) leaves nothing to do. */
		if (how == SQL_COMMIT && code != DLA_ERR_CONN_DEAD)
			return code;
		db->in_txn = false;
		if (code != DLA_ERR_CONN_DEAD)
			set_autocommit(db, true, &(struct dla_db_error){ 0 });
		return code;
	}
	db->in_txn = false;
	code = set_autocommit(db, true, err);
	if (code != DLA_OK)
		return code;
	err_clear(err);
	return DLA_OK;
}

enum dla_code dla_db_commit(struct dla_db *db, struct dla_db_error *err)
{
	struct dla_db_error scratch;

	if (!err)
		err = &scratch;
	if (!db)
		return err_set(err, DLA_ERR_USAGE, "no connection");
	if (!db->in_txn)
		return err_set(err, DLA_ERR_USAGE, "commit without a transaction");
	if (atomic_load(&db->cancelled))
		return cancelled_error(err);   /* the transaction stays open for a rollback */
	return end_txn(db, SQL_COMMIT, err);
}

enum dla_code dla_db_rollback(struct dla_db *db, struct dla_db_error *err)
{
	struct dla_db_error scratch;

	if (!err)
		err = &scratch;
	if (!db)
		return err_set(err, DLA_ERR_USAGE, "no connection");
	if (!db->in_txn) {
		err_clear(err);
		return DLA_OK;
	}
	return end_txn(db, SQL_ROLLBACK, err);
}

bool dla_db_in_transaction(const struct dla_db *db)
{
	return db && db->in_txn;
}

/* ---- statements ------------------------------------------------------ */

/* Allocates a statement and makes it the one dla_db_cancel interrupts.
 * Refused once the connection was cancelled. */
static enum dla_code stmt_alloc(struct dla_db *db, SQLHSTMT *stmt,
				struct dla_db_error *err)
{
	SQLRETURN rc;

	*stmt = SQL_NULL_HSTMT;
	if (atomic_load(&db->cancelled))
		return cancelled_error(err);
	rc = SQLAllocHandle(SQL_HANDLE_STMT, db->dbc, stmt);
	if (!SQL_SUCCEEDED(rc)) {
		*stmt = SQL_NULL_HSTMT;
		return db_fail(db, err, SQL_HANDLE_DBC, db->dbc, DLA_ERR_DB,
			       "allocating a statement");
	}
	pthread_mutex_lock(&db->cancel_mu);
	db->running = *stmt;
	pthread_mutex_unlock(&db->cancel_mu);
	/* a cancel between the check above and the registration */
	if (atomic_load(&db->cancelled)) {
		pthread_mutex_lock(&db->cancel_mu);
		db->running = SQL_NULL_HSTMT;
		pthread_mutex_unlock(&db->cancel_mu);
		SQLFreeHandle(SQL_HANDLE_STMT, *stmt);
		*stmt = SQL_NULL_HSTMT;
		return cancelled_error(err);
	}
	return DLA_OK;
}

static void stmt_free(struct dla_db *db, SQLHSTMT stmt)
{
	if (stmt != SQL_NULL_HSTMT) {
		pthread_mutex_lock(&db->cancel_mu);
		if (db->running == stmt)
			db->running = SQL_NULL_HSTMT;
		pthread_mutex_unlock(&db->cancel_mu);
		SQLFreeStmt(stmt, SQL_CLOSE);
		SQLFreeHandle(SQL_HANDLE_STMT, stmt);
	}
}

void dla_db_cancel(struct dla_db *db)
{
	if (!db)
		return;
	pthread_mutex_lock(&db->cancel_mu);
	atomic_store(&db->cancelled, true);
	if (db->running != SQL_NULL_HSTMT)
		(void)SQLCancel(db->running);
	pthread_mutex_unlock(&db->cancel_mu);
}

bool dla_db_cancelled(struct dla_db *db)
{
	return db && atomic_load(&db->cancelled);
}

/*
 * Binds params[0..n) as SQL_C_CHAR input parameters 1..n (starting at
 * first).  ind must have n slots and outlive the execution.
 */
static enum dla_code bind_text_params(struct dla_db *db, SQLHSTMT stmt,
				      SQLUSMALLINT first,
				      const char *const *params, size_t n,
				      SQLLEN *ind, struct dla_db_error *err)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const char *v = params[i];
		size_t len = v ? strlen(v) : 0;
		SQLRETURN rc;

		ind[i] = v ? (SQLLEN)len : SQL_NULL_DATA;
		rc = SQLBindParameter(stmt, (SQLUSMALLINT)(first + i),
				      SQL_PARAM_INPUT, SQL_C_CHAR, SQL_VARCHAR,
				      len ? (SQLULEN)len : 1, 0,
				      (SQLPOINTER)(uintptr_t)(v ? v : ""),
				      (SQLLEN)len + 1, &ind[i]);
		if (!SQL_SUCCEEDED(rc))
			return db_fail(db, err, SQL_HANDLE_STMT, stmt, DLA_ERR_DB,
				       "binding a parameter");
	}
	return DLA_OK;
}

/*
 * Allocates a statement and executes sql with params bound.  On DLA_OK
 * *stmt is ready for fetching (caller frees with stmt_free); *no_data is
 * set when the driver returned SQL_NO_DATA.  On failure the statement is
 * already freed.  ind holds n_params slots (or is NULL when 0).
 */
static enum dla_code run(struct dla_db *db, const char *sql,
			 const char *const *params, size_t n_params,
			 SQLLEN *ind, SQLHSTMT *stmt, bool *no_data,
			 struct dla_db_error *err)
{
	enum dla_code code;
	SQLRETURN rc;

	*no_data = false;
	code = stmt_alloc(db, stmt, err);
	if (code != DLA_OK)
		return code;
	if (n_params == 0) {
		rc = SQLExecDirect(*stmt, (SQLCHAR *)(uintptr_t)sql, SQL_NTS);
	} else {
		rc = SQLPrepare(*stmt, (SQLCHAR *)(uintptr_t)sql, SQL_NTS);
		if (!SQL_SUCCEEDED(rc)) {
			code = db_fail(db, err, SQL_HANDLE_STMT, *stmt, DLA_ERR_DB,
				       "preparing the statement");
			goto fail;
		}
		code = bind_text_params(db, *stmt, 1, params, n_params, ind, err);
		if (code != DLA_OK)
			goto fail;
		rc = SQLExecute(*stmt);
	}
	if (rc == SQL_NO_DATA) {
		*no_data = true;
		return DLA_OK;
	}
	if (!SQL_SUCCEEDED(rc)) {
		code = db_fail(db, err, SQL_HANDLE_STMT, *stmt, DLA_ERR_DB,
			       "executing the statement");
		goto fail;
	}
	return DLA_OK;
fail:
	stmt_free(db, *stmt);
	*stmt = SQL_NULL_HSTMT;
	return code;
}

static bool check_args(struct dla_db *db, const char *sql,
		       const char *const *params, size_t n_params,
		       struct dla_db_error *err)
{
	if (!db) {
		err_set(err, DLA_ERR_USAGE, "no connection");
		return false;
	}
	if (!sql || !sql[0]) {
		err_set(err, DLA_ERR_USAGE, "empty statement");
		return false;
	}
	if (n_params && !params) {
		err_set(err, DLA_ERR_USAGE, "parameters missing");
		return false;
	}
	return true;
}

enum dla_code dla_db_exec(struct dla_db *db, const char *sql,
			  const char *const *params, size_t n_params,
			  long *rows_affected, struct dla_db_error *err)
{
	struct dla_db_error scratch;
	SQLHSTMT stmt = SQL_NULL_HSTMT;
	SQLLEN *ind = NULL;
	SQLLEN count = -1;
	SQLSMALLINT ncols = 0;
	bool no_data;
	enum dla_code code;
	SQLRETURN rc;

	if (!err)
		err = &scratch;
	if (rows_affected)
		*rows_affected = -1;
	if (!check_args(db, sql, params, n_params, err))
		return DLA_ERR_USAGE;
	if (n_params) {
		ind = dla_calloc(n_params, sizeof(*ind));
		if (!ind)
			return err_set(err, DLA_ERR_NOMEM, "out of memory binding parameters");
	}
	code = run(db, sql, params, n_params, ind, &stmt, &no_data, err);
	if (code != DLA_OK)
		goto out;
	if (no_data) {
		count = 0;
	} else {
		if (SQL_SUCCEEDED(SQLNumResultCols(stmt, &ncols)) && ncols > 0)
			count = -1;
		else if (!SQL_SUCCEEDED(SQLRowCount(stmt, &count)))
			count = -1;
		/* Later results (multi-statement text): surface their errors. */
		while ((rc = SQLMoreResults(stmt)) != SQL_NO_DATA) {
			if (!SQL_SUCCEEDED(rc)) {
				code = db_fail(db, err, SQL_HANDLE_STMT, stmt,
					       DLA_ERR_DB, "executing the statement");
				goto out;
			}
		}
	}
	if (rows_affected)
		*rows_affected = (long)count;
	err_clear(err);
out:
	stmt_free(db, stmt);
	dla_free(ind);
	return code;
}

/* ---- queries --------------------------------------------------------- */

void dla_db_result_free(struct dla_db_result *r)
{
	size_t i;

	if (!r)
		return;
	if (r->col_names)
		for (i = 0; i < r->n_cols; i++)
			dla_free(r->col_names[i]);
	if (r->cells)
		for (i = 0; i < r->n_rows * r->n_cols; i++)
			dla_free(r->cells[i]);
	dla_free(r->col_names);
	dla_free(r->cells);
	dla_free(r);
}

const char *dla_db_cell(const struct dla_db_result *r, size_t row, size_t col)
{
	if (!r || row >= r->n_rows || col >= r->n_cols)
		return NULL;
	return r->cells[row * r->n_cols + col];
}

/* Column name of result column col (1-based) as a new string. */
static enum dla_code column_name(struct dla_db *db, SQLHSTMT stmt,
				 SQLUSMALLINT col, char **name,
				 SQLSMALLINT *type, SQLULEN *size,
				 SQLSMALLINT *decimals, SQLSMALLINT *nullable,
				 struct dla_db_error *err)
{
	SQLCHAR small[256];
	SQLSMALLINT len = 0, t = 0, d = 0, nl = SQL_NULLABLE_UNKNOWN;
	SQLULEN sz = 0;
	SQLRETURN rc;

	rc = SQLDescribeCol(stmt, col, small, (SQLSMALLINT)sizeof(small), &len,
			    &t, &sz, &d, &nl);
	if (!SQL_SUCCEEDED(rc))
		return db_fail(db, err, SQL_HANDLE_STMT, stmt, DLA_ERR_DB,
			       "describing a column");
	if (len >= (SQLSMALLINT)sizeof(small)) {
		SQLSMALLINT cap = (SQLSMALLINT)(len + 1);

		*name = dla_malloc((size_t)cap);
		if (!*name)
			return err_set(err, DLA_ERR_NOMEM, "out of memory describing a column");
		rc = SQLDescribeCol(stmt, col, (SQLCHAR *)*name, cap, &len,
				    NULL, NULL, NULL, NULL);
		if (!SQL_SUCCEEDED(rc)) {
			dla_free(*name);
			*name = NULL;
			return db_fail(db, err, SQL_HANDLE_STMT, stmt, DLA_ERR_DB,
				       "describing a column");
		}
		(*name)[cap - 1] = '\0';
	} else {
		small[sizeof(small) - 1] = '\0';
		*name = dla_strdup((const char *)small);
		if (!*name)
			return err_set(err, DLA_ERR_NOMEM, "out of memory describing a column");
	}
	if (type)
		*type = t;
	if (size)
		*size = sz;
	if (decimals)
		*decimals = d;
	if (nullable)
		*nullable = nl;
	return DLA_OK;
}

/* Reads column col of the current row as text, in chunks.  *out is NULL
 * for SQL NULL. */
static enum dla_code fetch_text(struct dla_db *db, SQLHSTMT stmt,
				SQLUSMALLINT col, char *chunk, char **out,
				struct dla_db_error *err)
{
	struct dla_buf b = DLA_BUF_INIT;
	bool got_any = false;

	*out = NULL;
	for (;;) {
		SQLLEN ind = 0;
		SQLRETURN rc = SQLGetData(stmt, col, SQL_C_CHAR, chunk, DB_CHUNK, &ind);
		size_t n;

		if (rc == SQL_NO_DATA)
			break;
		if (!SQL_SUCCEEDED(rc)) {
			dla_buf_release(&b);
			return db_fail(db, err, SQL_HANDLE_STMT, stmt, DLA_ERR_DB,
				       "fetching a value");
		}
		if (ind == SQL_NULL_DATA) {
			dla_buf_release(&b);
			return DLA_OK;
		}
		got_any = true;
		if (ind == SQL_NO_TOTAL || ind >= DB_CHUNK)
			n = strnlen(chunk, DB_CHUNK - 1);  /* a full chunk */
		else
			n = (size_t)ind;
		dla_buf_add(&b, chunk, n);
		if (rc == SQL_SUCCESS || n == 0)   /* n == 0: no progress */
			break;
		/* SQL_SUCCESS_WITH_INFO: 01004 truncated, more to come; a
		 * chunk that was not full means nothing is left. */
		if (ind != SQL_NO_TOTAL && ind < DB_CHUNK)
			break;
	}
	if (!got_any) {
		*out = dla_strdup("");
	} else {
		*out = dla_buf_detach(&b);
	}
	if (!*out)
		return err_set(err, DLA_ERR_NOMEM, "out of memory fetching a value");
	return DLA_OK;
}

static enum dla_code fetch_all(struct dla_db *db, SQLHSTMT stmt,
			       struct dla_db_result *r, struct dla_db_error *err)
{
	SQLSMALLINT ncols = 0;
	size_t cap = 0, c;
	char *chunk;
	enum dla_code code = DLA_OK;

	if (!SQL_SUCCEEDED(SQLNumResultCols(stmt, &ncols)))
		return db_fail(db, err, SQL_HANDLE_STMT, stmt, DLA_ERR_DB,
			       "counting result columns");
	if (ncols <= 0)
		return DLA_OK;
	r->col_names = dla_calloc((size_t)ncols, sizeof(*r->col_names));
	if (!r->col_names)
		return err_set(err, DLA_ERR_NOMEM, "out of memory reading a result");
	r->n_cols = (size_t)ncols;
	for (c = 0; c < r->n_cols; c++) {
		code = column_name(db, stmt, (SQLUSMALLINT)(c + 1), &r->col_names[c],
				   NULL, NULL, NULL, NULL, err);
		if (code != DLA_OK)
			return code;
	}
	chunk = dla_malloc(DB_CHUNK);
	if (!chunk)
		return err_set(err, DLA_ERR_NOMEM, "out of memory reading a result");
	for (;;) {
		SQLRETURN rc = SQLFetch(stmt);
		char **row;

		if (rc == SQL_NO_DATA)
			break;
		if (!SQL_SUCCEEDED(rc)) {
			code = db_fail(db, err, SQL_HANDLE_STMT, stmt, DLA_ERR_DB,
				       "fetching a row");
			break;
		}
		if (dla_grow((void **)&r->cells, &cap,
			     (r->n_rows + 1) * r->n_cols, sizeof(*r->cells)) != 0) {
			code = err_set(err, DLA_ERR_NOMEM, "out of memory reading a result");
			break;
		}
		row = r->cells + r->n_rows * r->n_cols;
		memset(row, 0, r->n_cols * sizeof(*row));
		r->n_rows++;             /* counted now so free sees its cells */
		for (c = 0; c < r->n_cols; c++) {
			code = fetch_text(db, stmt, (SQLUSMALLINT)(c + 1), chunk,
					  &row[c], err);
			if (code != DLA_OK)
				break;
		}
		if (code != DLA_OK)
			break;
	}
	dla_free(chunk);
	return code;
}

enum dla_code dla_db_query(struct dla_db *db, const char *sql,
			   const char *const *params, size_t n_params,
			   struct dla_db_result **out, struct dla_db_error *err)
{
	struct dla_db_error scratch;
	struct dla_db_result *r = NULL;
	SQLHSTMT stmt = SQL_NULL_HSTMT;
	SQLLEN *ind = NULL;
	bool no_data;
	enum dla_code code;

	if (!err)
		err = &scratch;
	if (!out)
		return err_set(err, DLA_ERR_USAGE, "no output for the result");
	*out = NULL;
	if (!check_args(db, sql, params, n_params, err))
		return DLA_ERR_USAGE;
	r = dla_calloc(1, sizeof(*r));
	if (!r)
		return err_set(err, DLA_ERR_NOMEM, "out of memory reading a result");
	if (n_params) {
		ind = dla_calloc(n_params, sizeof(*ind));
		if (!ind) {
			code = err_set(err, DLA_ERR_NOMEM, "out of memory binding parameters");
			goto out;
		}
	}
	code = run(db, sql, params, n_params, ind, &stmt, &no_data, err);
	if (code != DLA_OK)
		goto out;
	if (!no_data)
		code = fetch_all(db, stmt, r, err);
out:
	stmt_free(db, stmt);
	dla_free(ind);
	if (code != DLA_OK) {
		dla_db_result_free(r);
		return code;
	}
	err_clear(err);
	*out = r;
	return DLA_OK;
}

/* ---- describe -------------------------------------------------------- */

void dla_db_columns_free(struct dla_db_column *cols, size_t n)
{
	size_t i;

	if (!cols)
		return;
	for (i = 0; i < n; i++)
		dla_free(cols[i].name);
	dla_free(cols);
}

enum dla_code dla_db_describe(struct dla_db *db, const char *sql,
			      struct dla_db_column **cols, size_t *n_cols,
			      struct dla_db_error *err)
{
	struct dla_db_error scratch;
	struct dla_db_column *list = NULL;
	SQLHSTMT stmt = SQL_NULL_HSTMT;
	SQLSMALLINT ncols = 0;
	size_t c, n = 0;
	enum dla_code code;

	if (!err)
		err = &scratch;
	if (!cols || !n_cols)
		return err_set(err, DLA_ERR_USAGE, "no output for the columns");
	*cols = NULL;
	*n_cols = 0;
	if (!check_args(db, sql, NULL, 0, err))
		return DLA_ERR_USAGE;
	code = stmt_alloc(db, &stmt, err);
	if (code != DLA_OK)
		return code;
	if (!SQL_SUCCEEDED(SQLPrepare(stmt, (SQLCHAR *)(uintptr_t)sql, SQL_NTS))) {
		code = db_fail(db, err, SQL_HANDLE_STMT, stmt, DLA_ERR_DB,
			       "preparing the statement");
		goto out;
	}
	if (!SQL_SUCCEEDED(SQLNumResultCols(stmt, &ncols))) {
		code = db_fail(db, err, SQL_HANDLE_STMT, stmt, DLA_ERR_DB,
			       "counting result columns");
		goto out;
	}
	if (ncols > 0) {
		list = dla_calloc((size_t)ncols, sizeof(*list));
		if (!list) {
			code = err_set(err, DLA_ERR_NOMEM, "out of memory describing columns");
			goto out;
		}
	}
	for (c = 0; c < (size_t)(ncols > 0 ? ncols : 0); c++) {
		SQLSMALLINT type = 0, decimals = 0, nullable = SQL_NULLABLE_UNKNOWN;
		SQLULEN size = 0;

		code = column_name(db, stmt, (SQLUSMALLINT)(c + 1), &list[c].name,
				   &type, &size, &decimals, &nullable, err);
		if (code != DLA_OK)
			goto out;
		n++;
		list[c].sql_type = type;
		list[c].size = (unsigned long)size;
		list[c].decimals = decimals;
		list[c].nullable = nullable != SQL_NO_NULLS;
	}
	err_clear(err);
out:
	stmt_free(db, stmt);
	if (code != DLA_OK) {
		dla_db_columns_free(list, n);
		return code;
	}
	*cols = list;
	*n_cols = n;
	return DLA_OK;
}

/* ---- batched insert -------------------------------------------------- */

/* "prefix (?,?),(?,?)" for rows rows of n_cols columns; NULL on NOMEM. */
static char *values_sql(const char *prefix, size_t n_cols, size_t rows)
{
	struct dla_buf b = DLA_BUF_INIT;
	size_t r, c;

	dla_buf_adds(&b, prefix);
	for (r = 0; r < rows; r++) {
		dla_buf_adds(&b, r ? ",(" : "(");
		for (c = 0; c < n_cols; c++)
			dla_buf_adds(&b, c ? ",?" : "?");
		dla_buf_addch(&b, ')');
	}
	return dla_buf_detach(&b);
}

void dla_db_use_param_arrays(struct dla_db *db, bool on)
{
	if (db)
		db->array_support = on ? -1 : 0;
}

/* Does the driver take SQL_ATTR_PARAMSET_SIZE > 1 on stmt?  Remembered. */
static bool array_supported(struct dla_db *db, SQLHSTMT stmt)
{
	SQLULEN got = 0;
	SQLRETURN rc;

	if (db->array_support >= 0)
		return db->array_support == 1;
	rc = SQLSetStmtAttr(stmt, SQL_ATTR_PARAMSET_SIZE,
			    (SQLPOINTER)(uintptr_t)2, 0);
	db->array_support = 0;
	if (rc == SQL_SUCCESS &&
	    SQL_SUCCEEDED(SQLGetStmtAttr(stmt, SQL_ATTR_PARAMSET_SIZE, &got, 0, NULL)) &&
	    got == 2)
		db->array_support = 1;
	SQLSetStmtAttr(stmt, SQL_ATTR_PARAMSET_SIZE, (SQLPOINTER)(uintptr_t)1, 0);
	return db->array_support == 1;
}

#define STATUS_UNTOUCHED 0xFFFF   /* no SQL_PARAM_* value */

/* Rows of a batch known to be inserted.  A status the driver did not set
 * counts as inserted only when the execution succeeded (trust_untouched). */
static size_t rows_ok(const SQLUSMALLINT *status, size_t rows,
		      SQLULEN processed, bool trust_untouched)
{
	size_t r, ok = 0;

	for (r = 0; r < rows; r++) {
		switch (status[r]) {
		case SQL_PARAM_SUCCESS:
		case SQL_PARAM_SUCCESS_WITH_INFO:
		case SQL_PARAM_DIAG_UNAVAILABLE:
			ok++;
			break;
		case STATUS_UNTOUCHED:
			if (trust_untouched && (processed == 0 || r < processed))
				ok++;
			break;
		default:   /* SQL_PARAM_ERROR, SQL_PARAM_UNUSED */
			break;
		}
	}
	return ok;
}

/* Column-wise array binding: one prepared single-row INSERT, executed for
 * DB_ARRAY_BATCH rows at a time. */
static enum dla_code insert_array(struct dla_db *db, SQLHSTMT stmt,
				  size_t n_cols, const char *const *values,
				  size_t n_rows, long *done,
				  struct dla_db_error *err)
{
	size_t batch_cap = n_rows < DB_ARRAY_BATCH ? n_rows : DB_ARRAY_BATCH;
	char **bufs = NULL;
	size_t *widths = NULL;
	SQLLEN *inds = NULL;
	SQLUSMALLINT *status = NULL;
	SQLULEN processed = 0;
	size_t start, c, r;
	enum dla_code code = DLA_OK;

	bufs = dla_calloc(n_cols, sizeof(*bufs));
	widths = dla_calloc(n_cols, sizeof(*widths));
	inds = dla_calloc(n_cols * batch_cap, sizeof(*inds));
	status = dla_calloc(batch_cap, sizeof(*status));
	if (!bufs || !widths || !inds || !status) {
		code = err_set(err, DLA_ERR_NOMEM, "out of memory inserting rows");
		goto out;
	}
	if (!SQL_SUCCEEDED(SQLSetStmtAttr(stmt, SQL_ATTR_PARAM_BIND_TYPE,
			(SQLPOINTER)(uintptr_t)SQL_PARAM_BIND_BY_COLUMN, 0)) ||
	    !SQL_SUCCEEDED(SQLSetStmtAttr(stmt, SQL_ATTR_PARAM_STATUS_PTR,
			status, 0)) ||
	    !SQL_SUCCEEDED(SQLSetStmtAttr(stmt, SQL_ATTR_PARAMS_PROCESSED_PTR,
			&processed, 0))) {
		code = db_fail(db, err, SQL_HANDLE_STMT, stmt, DLA_ERR_DB,
			       "setting up array binding");
		goto out;
	}
	for (start = 0; start < n_rows; start += batch_cap) {
		size_t rows = n_rows - start < batch_cap ? n_rows - start : batch_cap;
		SQLRETURN rc;

		SQLFreeStmt(stmt, SQL_RESET_PARAMS);
		for (c = 0; c < n_cols; c++) {
			size_t w = 1;
			char *p;

			for (r = 0; r < rows; r++) {
				const char *v = values[(start + r) * n_cols + c];
				size_t l = v ? strlen(v) : 0;

				if (l + 1 > w)
					w = l + 1;
			}
			if (w > widths[c]) {
				if (w > (size_t)-1 / batch_cap) {
					code = err_set(err, DLA_ERR_NOMEM,
						       "out of memory inserting rows");
					goto out;
				}
				p = dla_realloc(bufs[c], w * batch_cap);
				if (!p) {
					code = err_set(err, DLA_ERR_NOMEM,
						       "out of memory inserting rows");
					goto out;
				}
				bufs[c] = p;
				widths[c] = w;
			}
			for (r = 0; r < rows; r++) {
				const char *v = values[(start + r) * n_cols + c];
				SQLLEN *ind = &inds[c * batch_cap + r];
				char *cell = bufs[c] + r * widths[c];

				if (v) {
					size_t l = strlen(v);

					memcpy(cell, v, l + 1);
					*ind = (SQLLEN)l;
				} else {
					cell[0] = '\0';
					*ind = SQL_NULL_DATA;
				}
			}
			rc = SQLBindParameter(stmt, (SQLUSMALLINT)(c + 1),
					      SQL_PARAM_INPUT, SQL_C_CHAR,
					      SQL_VARCHAR, widths[c] - 1 ? widths[c] - 1 : 1,
					      0, bufs[c], (SQLLEN)widths[c],
					      &inds[c * batch_cap]);
			if (!SQL_SUCCEEDED(rc)) {
				code = db_fail(db, err, SQL_HANDLE_STMT, stmt,
					       DLA_ERR_DB, "binding a parameter");
				goto out;
			}
		}
		if (!SQL_SUCCEEDED(SQLSetStmtAttr(stmt, SQL_ATTR_PARAMSET_SIZE,
				(SQLPOINTER)(uintptr_t)rows, 0))) {
			code = db_fail(db, err, SQL_HANDLE_STMT, stmt, DLA_ERR_DB,
				       "setting the batch size");
			goto out;
		}
		processed = 0;
		for (r = 0; r < rows; r++)
			status[r] = STATUS_UNTOUCHED;
		rc = SQLExecute(stmt);
		if (rc != SQL_NO_DATA && !SQL_SUCCEEDED(rc)) {
			*done += (long)rows_ok(status, rows, processed, false);
			code = db_fail(db, err, SQL_HANDLE_STMT, stmt, DLA_ERR_DB,
				       "inserting rows");
			goto out;
		}
		/* Per ODBC, a driver that goes on after a failed row returns
		 * SQL_SUCCESS_WITH_INFO: the status array tells. */
		if (rows_ok(status, rows, processed, true) != rows) {
			*done += (long)rows_ok(status, rows, processed, false);
			code = db_fail(db, err, SQL_HANDLE_STMT, stmt, DLA_ERR_DB,
				       "inserting rows");
			goto out;
		}
		while ((rc = SQLMoreResults(stmt)) != SQL_NO_DATA) {
			if (!SQL_SUCCEEDED(rc)) {
				code = db_fail(db, err, SQL_HANDLE_STMT, stmt,
					       DLA_ERR_DB, "inserting rows");
				goto out;
			}
		}
		*done += (long)rows;
	}
out:
	if (bufs)
		for (c = 0; c < n_cols; c++)
			dla_free(bufs[c]);
	dla_free(bufs);
	dla_free(widths);
	dla_free(inds);
	dla_free(status);
	return code;
}

/* Multi-row "VALUES (?,?),(?,?)..." statements of up to DB_VALUES_BATCH
 * rows, for drivers without parameter arrays. */
static enum dla_code insert_values(struct dla_db *db, const char *prefix,
				   size_t n_cols, const char *const *values,
				   size_t n_rows, long *done,
				   struct dla_db_error *err)
{
	size_t per = DB_VALUES_MAX_PARAMS / n_cols, start, prepared_rows = 0;
	SQLHSTMT stmt = SQL_NULL_HSTMT;
	SQLLEN *ind = NULL;
	char *sql = NULL;
	enum dla_code code = DLA_OK;

	if (per == 0)
		per = 1;
	if (per > DB_VALUES_BATCH)
		per = DB_VALUES_BATCH;
	if (per > n_rows)
		per = n_rows;
	ind = dla_calloc(per * n_cols, sizeof(*ind));
	if (!ind)
		return err_set(err, DLA_ERR_NOMEM, "out of memory inserting rows");
	for (start = 0; start < n_rows; start += per) {
		size_t rows = n_rows - start < per ? n_rows - start : per;
		SQLRETURN rc;
		SQLLEN count = -1;

		if (rows != prepared_rows) {
			stmt_free(db, stmt);
			stmt = SQL_NULL_HSTMT;
			dla_free(sql);
			sql = values_sql(prefix, n_cols, rows);
			if (!sql) {
				code = err_set(err, DLA_ERR_NOMEM,
					       "out of memory inserting rows");
				goto out;
			}
			code = stmt_alloc(db, &stmt, err);
			if (code != DLA_OK)
				goto out;
			if (!SQL_SUCCEEDED(SQLPrepare(stmt, (SQLCHAR *)sql, SQL_NTS))) {
				code = db_fail(db, err, SQL_HANDLE_STMT, stmt,
					       DLA_ERR_DB, "preparing the insert");
				goto out;
			}
			prepared_rows = rows;
		}
		SQLFreeStmt(stmt, SQL_CLOSE);
		SQLFreeStmt(stmt, SQL_RESET_PARAMS);
		code = bind_text_params(db, stmt, 1, values + start * n_cols,
					rows * n_cols, ind, err);
		if (code != DLA_OK)
			goto out;
		rc = SQLExecute(stmt);
		if (rc != SQL_NO_DATA && !SQL_SUCCEEDED(rc)) {
			code = db_fail(db, err, SQL_HANDLE_STMT, stmt, DLA_ERR_DB,
				       "inserting rows");
			goto out;
		}
		if (SQL_SUCCEEDED(SQLRowCount(stmt, &count)) && count >= 0)
			*done += (long)count;
		else
			*done += (long)rows;
	}
out:
	stmt_free(db, stmt);
	dla_free(sql);
	dla_free(ind);
	return code;
}

enum dla_code dla_db_insert_rows(struct dla_db *db, const char *insert_sql_prefix,
				 size_t n_cols, const char *const *values,
				 size_t n_rows, long *rows_inserted,
				 struct dla_db_error *err)
{
	struct dla_db_error scratch;
	SQLHSTMT stmt = SQL_NULL_HSTMT;
	long done = 0;
	char *sql = NULL;
	enum dla_code code;

	if (!err)
		err = &scratch;
	if (rows_inserted)
		*rows_inserted = 0;
	if (!db)
		return err_set(err, DLA_ERR_USAGE, "no connection");
	if (!insert_sql_prefix || !insert_sql_prefix[0] || n_cols == 0 ||
	    (n_rows && !values))
		return err_set(err, DLA_ERR_USAGE, "bad insert arguments");
	if (n_rows == 0) {
		err_clear(err);
		return DLA_OK;
	}
	code = stmt_alloc(db, &stmt, err);
	if (code != DLA_OK)
		return code;
	if (n_rows > 1 && array_supported(db, stmt)) {
		sql = values_sql(insert_sql_prefix, n_cols, 1);
		if (!sql) {
			code = err_set(err, DLA_ERR_NOMEM, "out of memory inserting rows");
			goto out;
		}
		if (!SQL_SUCCEEDED(SQLPrepare(stmt, (SQLCHAR *)sql, SQL_NTS))) {
			code = db_fail(db, err, SQL_HANDLE_STMT, stmt, DLA_ERR_DB,
				       "preparing the insert");
			goto out;
		}
		code = insert_array(db, stmt, n_cols, values, n_rows, &done, err);
	} else {
		stmt_free(db, stmt);
		stmt = SQL_NULL_HSTMT;
		code = insert_values(db, insert_sql_prefix, n_cols, values, n_rows,
				     &done, err);
	}
out:
	stmt_free(db, stmt);
	dla_free(sql);
	if (rows_inserted)
		*rows_inserted = done;
	if (code == DLA_OK)
		err_clear(err);
	return code;
}
