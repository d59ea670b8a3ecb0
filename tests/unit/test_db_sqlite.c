/* test_db_sqlite.c - the ODBC layer (db.h) against a real driver.
 *
 * Default: SQLite through the driver manager ("Driver=SQLite3") in a fresh
 * temp directory.  With DLA_TEST_CONN set (tests/integration/run.sh sets it
 * to the throw-away PostgreSQL) the same tests run against that database;
 * SQL is dialect-neutral, and the few driver-specific checks branch on
 * dla_db_dbms_name() here in the test only. */
#include "test_util.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "db.h"
#include "dialect.h"

static char tmp_dir[64];
static char conn_str[512];
static bool is_pg;
static bool is_sqlite;

/* ---- helpers --------------------------------------------------------- */

static struct dla_db *connect_ok(void)
{
	struct dla_db *db = NULL;
	struct dla_db_error err;
	enum dla_code rc = dla_db_connect(conn_str, &db, &err);

	if (rc != DLA_OK)
		fail_msg("connect failed (%d): %s", rc, err.message);
	assert_non_null(db);
	return db;
}

static void exec_ok(struct dla_db *db, const char *sql)
{
	struct dla_db_error err;
	enum dla_code rc = dla_db_exec(db, sql, NULL, 0, NULL, &err);

	if (rc != DLA_OK)
		fail_msg("'%s' failed (%d): %s", sql, rc, err.message);
}

static void exec_params_ok(struct dla_db *db, const char *sql,
			   const char *const *params, size_t n, long want_rows)
{
	struct dla_db_error err;
	long rows = -99;
	enum dla_code rc = dla_db_exec(db, sql, params, n, &rows, &err);

	if (rc != DLA_OK)
		fail_msg("'%s' failed (%d): %s", sql, rc, err.message);
	if (want_rows != -99)
		assert_int_equal(rows, want_rows);
}

static struct dla_db_result *query_ok(struct dla_db *db, const char *sql,
				      const char *const *params, size_t n)
{
	struct dla_db_result *r = NULL;
	struct dla_db_error err;
	enum dla_code rc = dla_db_query(db, sql, params, n, &r, &err);

	if (rc != DLA_OK)
		fail_msg("'%s' failed (%d): %s", sql, rc, err.message);
	assert_non_null(r);
	return r;
}

/* The single value of a one-row, one-column query, as a long. */
static long query_long(struct dla_db *db, const char *sql)
{
	struct dla_db_result *r = query_ok(db, sql, NULL, 0);
	long v;

	assert_int_equal(r->n_rows, 1);
	assert_int_equal(r->n_cols, 1);
	assert_non_null(dla_db_cell(r, 0, 0));
	v = strtol(dla_db_cell(r, 0, 0), NULL, 10);
	dla_db_result_free(r);
	return v;
}

static void fresh_table(struct dla_db *db, const char *name, const char *cols)
{
	char sql[512];

	snprintf(sql, sizeof(sql), "DROP TABLE IF EXISTS %s", name);
	exec_ok(db, sql);
	snprintf(sql, sizeof(sql), "CREATE TABLE %s (%s)", name, cols);
	exec_ok(db, sql);
}

static int group_setup(void **state)
{
	const char *env = getenv("DLA_TEST_CONN");
	struct dla_db *db;

	(void)state;
	if (env && env[0]) {
		snprintf(conn_str, sizeof(conn_str), "%s", env);
	} else {
		snprintf(tmp_dir, sizeof(tmp_dir), "/tmp/dla-test-db.XXXXXX");
		if (!mkdtemp(tmp_dir))
			return -1;
		snprintf(conn_str, sizeof(conn_str),
			 "Driver=SQLite3;Database=%s/main.db", tmp_dir);
	}
	db = connect_ok();
	is_pg = strcmp(dla_db_dbms_name(db), "PostgreSQL") == 0;
	is_sqlite = strcmp(dla_db_dbms_name(db), "SQLite") == 0;
	dla_db_close(db);
	print_message("db tests against %s\n", is_pg ? "PostgreSQL" :
		      is_sqlite ? "SQLite" : "another DBMS");
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	if (tmp_dir[0]) {
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp_dir);
		if (system(cmd) != 0)
			return -1;
	}
	return 0;
}

/* ---- tests ----------------------------------------------------------- */

static void test_connect_and_name(void **state)
{
	struct dla_db *db = connect_ok();

	(void)state;
	assert_true(dla_db_dbms_name(db)[0] != '\0');
	assert_false(dla_db_is_dead(db));
	assert_false(dla_db_in_transaction(db));
	dla_db_close(db);
	dla_db_close(NULL);
}

static void test_params_round_trip(void **state)
{
	struct dla_db *db = connect_ok();
	struct dla_db_result *r;
	const char *row1[] = { "1", "O'Brien", "a;b -- not a comment" };
	const char *row2[] = { "2", NULL, "\xc3\xa9\xe2\x82\xac \xc3\xbc \xe6\x97\xa5\xe6\x9c\xac" };
	const char *row3[] = { "3", "", "x'); DROP TABLE t_people; --" };
	const char *by_id[] = { "1" };

	(void)state;
	fresh_table(db, "t_people",
		    "id INTEGER PRIMARY KEY, name VARCHAR(100), note VARCHAR(200)");
	exec_params_ok(db, "INSERT INTO t_people (id, name, note) VALUES (?, ?, ?)",
		       row1, 3, 1);
	exec_params_ok(db, "INSERT INTO t_people (id, name, note) VALUES (?, ?, ?)",
		       row2, 3, 1);
	exec_params_ok(db, "INSERT INTO t_people (id, name, note) VALUES (?, ?, ?)",
		       row3, 3, 1);

	r = query_ok(db, "SELECT id, name, note FROM t_people ORDER BY id", NULL, 0);
	assert_int_equal(r->n_rows, 3);
	assert_int_equal(r->n_cols, 3);
	assert_string_equal(r->col_names[0], "id");
	assert_string_equal(r->col_names[2], "note");
	assert_string_equal(dla_db_cell(r, 0, 1), "O'Brien");
	assert_string_equal(dla_db_cell(r, 0, 2), "a;b -- not a comment");
	assert_null(dla_db_cell(r, 1, 1));
	assert_string_equal(dla_db_cell(r, 1, 2), row2[2]);
	assert_string_equal(dla_db_cell(r, 2, 1), "");
	assert_string_equal(dla_db_cell(r, 2, 2), row3[2]);
	assert_null(dla_db_cell(r, 3, 0));
	assert_null(dla_db_cell(r, 0, 3));
	dla_db_result_free(r);

	/* A text parameter compared with an integer column. */
	r = query_ok(db, "SELECT name FROM t_people WHERE id = ?", by_id, 1);
	assert_int_equal(r->n_rows, 1);
	assert_string_equal(dla_db_cell(r, 0, 0), "O'Brien");
	dla_db_result_free(r);

	/* Non-ASCII in the SQL text itself, and a NULL parameter. */
	r = query_ok(db, "SELECT '\xc3\xa9t\xc3\xa9' AS word, COUNT(*) AS n "
		     "FROM t_people WHERE name IS NULL", NULL, 0);
	assert_string_equal(dla_db_cell(r, 0, 0), "\xc3\xa9t\xc3\xa9");
	assert_string_equal(dla_db_cell(r, 0, 1), "1");
	dla_db_result_free(r);
	dla_db_close(db);
}

static void test_long_text(void **state)
{
	struct dla_db *db = connect_ok();
	struct dla_db_result *r;
	size_t len = 100000, i;
	char *big = malloc(len + 1);
	const char *params[1];

	(void)state;
	assert_non_null(big);
	/* "ab\u00e9\u20ac" repeated: 7 bytes, so chunk boundaries fall inside
	 * multi-byte characters. */
	for (i = 0; i + 7 <= len; i += 7)
		memcpy(big + i, "ab\xc3\xa9\xe2\x82\xac", 7);
	len = i;
	big[len] = '\0';
	fresh_table(db, "t_long", "body TEXT");
	params[0] = big;
	exec_params_ok(db, "INSERT INTO t_long (body) VALUES (?)", params, 1, 1);
	r = query_ok(db, "SELECT body FROM t_long", NULL, 0);
	assert_int_equal(r->n_rows, 1);
	assert_int_equal(strlen(dla_db_cell(r, 0, 0)), len);
	assert_string_equal(dla_db_cell(r, 0, 0), big);
	dla_db_result_free(r);
	free(big);
	dla_db_close(db);
}

static void test_rollback_leaves_nothing(void **state)
{
	struct dla_db *db = connect_ok();
	struct dla_db_error err;

	(void)state;
	fresh_table(db, "t_tx", "id INTEGER, v VARCHAR(10)");
	exec_ok(db, "INSERT INTO t_tx (id, v) VALUES (1, 'keep')");

	assert_int_equal(dla_db_begin(db, &err), DLA_OK);
	assert_true(dla_db_in_transaction(db));
	assert_int_equal(dla_db_begin(db, &err), DLA_ERR_USAGE);
	exec_ok(db, "INSERT INTO t_tx (id, v) VALUES (2, 'gone')");
	exec_ok(db, "UPDATE t_tx SET v = 'changed' WHERE id = 1");
	exec_ok(db, "CREATE TABLE t_tx_new (a INTEGER)");
	assert_int_equal(query_long(db, "SELECT COUNT(*) FROM t_tx"), 2);
	assert_int_equal(dla_db_rollback(db, &err), DLA_OK);
	assert_false(dla_db_in_transaction(db));

	assert_int_equal(query_long(db, "SELECT COUNT(*) FROM t_tx"), 1);
	assert_int_equal(query_long(db, "SELECT COUNT(*) FROM t_tx WHERE v = 'keep'"), 1);
	/* DDL was transactional too (SQLite and PostgreSQL). */
	assert_int_equal(dla_db_exec(db, "SELECT * FROM t_tx_new", NULL, 0, NULL, &err),
			 DLA_ERR_DB);
	/* Autocommit is back on: a new connection sees this insert at once. */
	exec_ok(db, "INSERT INTO t_tx (id, v) VALUES (3, 'auto')");
	{
		struct dla_db *other = connect_ok();

		assert_int_equal(query_long(other, "SELECT COUNT(*) FROM t_tx"), 2);
		dla_db_close(other);
	}
	/* Rollback without a transaction is a no-op. */
	assert_int_equal(dla_db_rollback(db, &err), DLA_OK);
	assert_int_equal(dla_db_commit(db, &err), DLA_ERR_USAGE);
	dla_db_close(db);
}

static void test_commit_persists(void **state)
{
	struct dla_db *db = connect_ok(), *other;
	struct dla_db_error err;

	(void)state;
	fresh_table(db, "t_commit", "id INTEGER");
	assert_int_equal(dla_db_begin(db, &err), DLA_OK);
	exec_ok(db, "INSERT INTO t_commit (id) VALUES (1)");
	exec_ok(db, "INSERT INTO t_commit (id) VALUES (2)");
	assert_int_equal(dla_db_commit(db, &err), DLA_OK);
	assert_false(dla_db_in_transaction(db));
	other = connect_ok();
	assert_int_equal(query_long(other, "SELECT COUNT(*) FROM t_commit"), 2);
	dla_db_close(other);

	/* close() rolls back an open transaction. */
	assert_int_equal(dla_db_begin(db, &err), DLA_OK);
	exec_ok(db, "INSERT INTO t_commit (id) VALUES (3)");
	dla_db_close(db);
	db = connect_ok();
	assert_int_equal(query_long(db, "SELECT COUNT(*) FROM t_commit"), 2);
	dla_db_close(db);
}

static void test_error_in_transaction(void **state)
{
	struct dla_db *db = connect_ok();
	struct dla_db_error err;
	enum dla_code rc;

	(void)state;
	fresh_table(db, "t_txerr", "id INTEGER PRIMARY KEY");
	exec_ok(db, "INSERT INTO t_txerr (id) VALUES (1)");
	assert_int_equal(dla_db_begin(db, &err), DLA_OK);
	exec_ok(db, "INSERT INTO t_txerr (id) VALUES (2)");
	rc = dla_db_exec(db, "INSERT INTO t_txerr (id) VALUES (1)", NULL, 0, NULL, &err);
	assert_int_equal(rc, DLA_ERR_DB);
	assert_false(err.connection_dead);
	assert_int_equal(strlen(err.sqlstate), 5);
	if (is_pg)
		assert_string_equal(err.sqlstate, "23505");
	/* The transaction goes on (see db.h): only the statement failed. */
	assert_true(dla_db_in_transaction(db));
	exec_ok(db, "INSERT INTO t_txerr (id) VALUES (3)");
	assert_int_equal(query_long(db, "SELECT COUNT(*) FROM t_txerr"), 3);
	assert_int_equal(dla_db_rollback(db, &err), DLA_OK);
	assert_int_equal(query_long(db, "SELECT COUNT(*) FROM t_txerr"), 1);
	assert_false(dla_db_is_dead(db));
	dla_db_close(db);
}

static void test_row_counts(void **state)
{
	struct dla_db *db = connect_ok();
	const char *p[] = { "x" };

	(void)state;
	fresh_table(db, "t_rows", "id INTEGER, v VARCHAR(10)");
	exec_params_ok(db, "INSERT INTO t_rows (id, v) VALUES (1, 'a'), (2, 'a'), (3, 'b')",
		       NULL, 0, 3);
	exec_params_ok(db, "UPDATE t_rows SET v = ? WHERE v = 'a'", p, 1, 2);
	exec_params_ok(db, "UPDATE t_rows SET v = 'z' WHERE id = 99", NULL, 0, 0);
	exec_params_ok(db, "DELETE FROM t_rows WHERE id >= 2", NULL, 0, 2);
	exec_params_ok(db, "DELETE FROM t_rows WHERE id = 99", NULL, 0, 0);
	/* A SELECT through exec: no row count. */
	exec_params_ok(db, "SELECT * FROM t_rows", NULL, 0, -1);
	dla_db_close(db);
}

static const struct dla_db_column *col_named(const struct dla_db_column *c,
					     size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(c[i].name, name) == 0)
			return &c[i];
	fail_msg("no column '%s'", name);
	return NULL;
}

static void test_describe(void **state)
{
	struct dla_db *db = connect_ok();
	struct dla_db_error err;
	struct dla_db_column *cols = NULL;
	const struct dla_db_column *c;
	size_t n = 0, i;

	(void)state;
	fresh_table(db, "t_desc", "id INTEGER NOT NULL, name VARCHAR(40), "
		    "amount NUMERIC(12,2), at_ts TIMESTAMP");
	exec_ok(db, "DROP VIEW IF EXISTS v_desc");
	exec_ok(db, "CREATE VIEW v_desc AS SELECT id, name, amount, at_ts, "
		"id + 1 AS next_id, 'lit' AS lit FROM t_desc");
	exec_ok(db, "INSERT INTO t_desc (id) VALUES (1)");

	assert_int_equal(dla_db_describe(db, "SELECT * FROM v_desc", &cols, &n, &err),
			 DLA_OK);
	assert_int_equal(n, 6);
	for (i = 0; i < n; i++)
		print_message("  %s %-8s type=%d size=%lu decimals=%d nullable=%d\n",
			      dla_db_dbms_name(db), cols[i].name, cols[i].sql_type,
			      cols[i].size, cols[i].decimals, cols[i].nullable);
	c = col_named(cols, n, "id");
	assert_int_equal(c->sql_type, 4);                       /* SQL_INTEGER */
	c = col_named(cols, n, "name");
	assert_true(c->sql_type == 12 || c->sql_type == -9);    /* (W)VARCHAR */
	assert_int_equal(c->size, 40);
	c = col_named(cols, n, "at_ts");
	assert_int_equal(c->sql_type, 93);                      /* TIMESTAMP */
	c = col_named(cols, n, "amount");
	if (is_pg) {
		assert_int_equal(c->sql_type, 2);               /* SQL_NUMERIC */
		assert_int_equal(c->size, 12);
		assert_int_equal(c->decimals, 2);
	}
	c = col_named(cols, n, "lit");
	if (is_sqlite)   /* untyped expressions: VARCHAR(255) */
		assert_int_equal(c->sql_type, 12);
	dla_db_columns_free(cols, n);

	/* Describing does not execute (PostgreSQL: a sequence stays put). */
	if (is_pg) {
		exec_ok(db, "DROP SEQUENCE IF EXISTS s_desc");
		exec_ok(db, "CREATE SEQUENCE s_desc");
		assert_int_equal(dla_db_describe(db, "SELECT nextval('s_desc') AS n",
						 &cols, &n, &err), DLA_OK);
		assert_int_equal(n, 1);
		dla_db_columns_free(cols, n);
		assert_int_equal(query_long(db, "SELECT nextval('s_desc')"), 1);
	}
	/* Nothing was fetched or changed; bad SQL is an error. */
	assert_int_equal(query_long(db, "SELECT COUNT(*) FROM t_desc"), 1);
	assert_int_equal(dla_db_describe(db, "SELECT nope FROM t_desc", &cols, &n, &err),
			 DLA_ERR_DB);
	assert_null(cols);
	assert_int_equal(n, 0);
	dla_db_close(db);
}

static void insert_rows_check(bool arrays)
{
	struct dla_db *db = connect_ok();
	struct dla_db_error err;
	struct dla_db_result *r;
	enum { N = 1000, C = 3 };
	const char **vals = calloc(N * C, sizeof(*vals));
	char (*nums)[16] = calloc(N, sizeof(*nums));
	long inserted = -1;
	size_t i;

	dla_db_use_param_arrays(db, arrays);
	assert_non_null(vals);
	assert_non_null(nums);
	fresh_table(db, "t_bulk", "id INTEGER, name VARCHAR(50), note VARCHAR(50)");
	for (i = 0; i < N; i++) {
		snprintf(nums[i], sizeof(nums[i]), "%zu", i + 1);
		vals[i * C] = nums[i];
		vals[i * C + 1] = i % 7 == 0 ? NULL : (i % 2 ? "O'Brien;x" : "\xc3\xa9");
		vals[i * C + 2] = i % 3 == 0 ? "" : nums[i];
	}
	assert_int_equal(dla_db_begin(db, &err), DLA_OK);
	assert_int_equal(dla_db_insert_rows(db, "INSERT INTO t_bulk (id, name, note) VALUES ",
					    C, vals, N, &inserted, &err), DLA_OK);
	assert_int_equal(dla_db_commit(db, &err), DLA_OK);
	assert_int_equal(inserted, N);
	assert_int_equal(query_long(db, "SELECT COUNT(*) FROM t_bulk"), N);
	assert_int_equal(query_long(db, "SELECT SUM(id) FROM t_bulk"), N * (N + 1) / 2);
	assert_int_equal(query_long(db, "SELECT COUNT(*) FROM t_bulk WHERE name IS NULL"),
			 (N + 6) / 7);
	assert_int_equal(query_long(db, "SELECT COUNT(*) FROM t_bulk WHERE note = ''"),
			 (N + 2) / 3);
	r = query_ok(db, "SELECT name, note FROM t_bulk WHERE id = 2", NULL, 0);
	assert_string_equal(dla_db_cell(r, 0, 0), "O'Brien;x");
	assert_string_equal(dla_db_cell(r, 0, 1), "2");
	dla_db_result_free(r);
	r = query_ok(db, "SELECT name FROM t_bulk WHERE id = 3", NULL, 0);
	assert_string_equal(dla_db_cell(r, 0, 0), "\xc3\xa9");
	dla_db_result_free(r);

	/* One row, and zero rows. */
	assert_int_equal(dla_db_insert_rows(db, "INSERT INTO t_bulk (id, name, note) VALUES ",
					    C, vals, 1, &inserted, &err), DLA_OK);
	assert_int_equal(inserted, 1);
	assert_int_equal(dla_db_insert_rows(db, "INSERT INTO t_bulk (id, name, note) VALUES ",
					    C, vals, 0, &inserted, &err), DLA_OK);
	assert_int_equal(inserted, 0);

	/* A failing batch inside a transaction: rolled back as a whole. */
	fresh_table(db, "t_bulk_pk", "id INTEGER PRIMARY KEY");
	{
		const char *ids[600];

		for (i = 0; i < 600; i++)
			ids[i] = nums[i];
		ids[550] = "1";
		assert_int_equal(dla_db_begin(db, &err), DLA_OK);
		assert_int_equal(dla_db_insert_rows(db, "INSERT INTO t_bulk_pk (id) VALUES ",
						    1, ids, 600, &inserted, &err), DLA_ERR_DB);
		assert_true(err.message[0] != '\0');
		assert_true(inserted < 600);
		assert_int_equal(dla_db_rollback(db, &err), DLA_OK);
		assert_int_equal(query_long(db, "SELECT COUNT(*) FROM t_bulk_pk"), 0);
	}
	free(vals);
	free(nums);
	dla_db_close(db);
}

static void test_insert_rows(void **state)
{
	(void)state;
	insert_rows_check(true);
}

/* The multi-row VALUES path (drivers without parameter arrays). */
static void test_insert_rows_values(void **state)
{
	(void)state;
	insert_rows_check(false);
}

static void test_statement_error(void **state)
{
	struct dla_db *db = connect_ok();
	struct dla_db_error err;
	struct dla_db_result *r = (void *)1;
	enum dla_code rc;

	(void)state;
	rc = dla_db_exec(db, "SELECT * FROM no_such_table_x", NULL, 0, NULL, &err);
	assert_int_equal(rc, DLA_ERR_DB);
	assert_int_equal(strlen(err.sqlstate), 5);
	assert_non_null(strstr(err.message, "no_such_table_x"));
	assert_non_null(strstr(err.message, err.sqlstate));
	assert_false(err.connection_dead);
	print_message("  error text: %s\n", err.message);
	if (is_pg)
		assert_string_equal(err.sqlstate, "42P01");

	rc = dla_db_query(db, "SELEC 1", NULL, 0, &r, &err);
	assert_int_equal(rc, DLA_ERR_DB);
	assert_null(r);
	assert_true(err.message[0] != '\0');

	/* The connection still works, and success clears the error. */
	assert_int_equal(dla_db_exec(db, "SELECT 1", NULL, 0, NULL, &err), DLA_OK);
	assert_string_equal(err.message, "");
	assert_string_equal(err.sqlstate, "");
	assert_false(dla_db_is_dead(db));

	/* Usage errors. */
	assert_int_equal(dla_db_exec(db, "", NULL, 0, NULL, &err), DLA_ERR_USAGE);
	assert_int_equal(dla_db_exec(db, "SELECT ?", NULL, 1, NULL, &err), DLA_ERR_USAGE);
	assert_int_equal(dla_db_exec(NULL, "SELECT 1", NULL, 0, NULL, NULL), DLA_ERR_USAGE);
	dla_db_close(db);
}

static void test_bad_connection(void **state)
{
	struct dla_db *db = (void *)1;
	struct dla_db_error err;
	enum dla_code rc;

	(void)state;
	rc = dla_db_connect("Driver=NoSuchDriver;Pwd=hunter2", &db, &err);
	assert_int_equal(rc, DLA_ERR_CONNECT);
	assert_null(db);
	assert_true(err.message[0] != '\0');
	assert_null(strstr(err.message, "hunter2"));
	assert_false(err.connection_dead);

	rc = dla_db_connect("DSN=dla_no_such_dsn;Uid=u;PASSWORD={hunter2;x}", &db, &err);
	assert_int_equal(rc, DLA_ERR_CONNECT);
	assert_null(strstr(err.message, "hunter2"));

	rc = dla_db_connect("", &db, &err);
	assert_int_equal(rc, DLA_ERR_USAGE);

	if (is_sqlite) {
		char bad[600];

		snprintf(bad, sizeof(bad),
			 "Driver=SQLite3;Database=%s/no/such/dir/x.db;Pwd=hunter2",
			 tmp_dir[0] ? tmp_dir : "/nonexistent");
		rc = dla_db_connect(bad, &db, &err);
		assert_int_equal(rc, DLA_ERR_CONNECT);
		assert_null(strstr(err.message, "hunter2"));
	}
}

/* With a password-protected target: a wrong password fails to connect and
 * neither the right nor the wrong password shows up in the message. */
static void test_wrong_password(void **state)
{
	const char *pwd = strstr(conn_str, "Pwd=");
	char bad[600], secret[128];
	struct dla_db *db = NULL;
	struct dla_db_error err;
	const char *end;

	(void)state;
	if (!pwd) {
		skip();
		return;
	}
	end = strchr(pwd, ';');
	snprintf(secret, sizeof(secret), "%.*s", (int)(end ? end - pwd - 4 : (long)strlen(pwd + 4)),
		 pwd + 4);
	snprintf(bad, sizeof(bad), "%.*sPwd=WrongPw_9x7;%s", (int)(pwd - conn_str),
		 conn_str, end ? end + 1 : "");
	assert_int_equal(dla_db_connect(bad, &db, &err), DLA_ERR_CONNECT);
	assert_null(db);
	print_message("  wrong password: %s\n", err.message);
	assert_null(strstr(err.message, "WrongPw_9x7"));
	if (strlen(secret) >= 3)
		assert_null(strstr(err.message, secret));
}

static void test_query_without_rows(void **state)
{
	struct dla_db *db = connect_ok();
	struct dla_db_result *r;

	(void)state;
	fresh_table(db, "t_empty", "a INTEGER, b VARCHAR(5)");
	r = query_ok(db, "SELECT a, b FROM t_empty", NULL, 0);
	assert_int_equal(r->n_rows, 0);
	assert_int_equal(r->n_cols, 2);
	assert_string_equal(r->col_names[1], "b");
	dla_db_result_free(r);
	/* A statement without a result set through query. */
	r = query_ok(db, "DELETE FROM t_empty", NULL, 0);
	assert_int_equal(r->n_rows, 0);
	assert_int_equal(r->n_cols, 0);
	dla_db_result_free(r);
	dla_db_close(db);
}

/* Our allocations failing one by one: NOMEM or success, never a crash or
 * a leak (run under ASan). */
static void test_nomem(void **state)
{
	struct dla_db *db = connect_ok();
	struct dla_db_error err;
	const char *vals[] = { "1", "a", "2", NULL, "3", "c" };
	const char *p[] = { "1" };
	unsigned long i;
	bool query_done = false, insert_done = false;

	(void)state;
	fresh_table(db, "t_nomem", "id INTEGER, v VARCHAR(5)");
	for (i = 1; i < 200 && !(query_done && insert_done); i++) {
		struct dla_db_result *r = NULL;
		long n = 0;
		enum dla_code rc;

		if (!query_done) {
			dla_alloc_fail_after(i);
			rc = dla_db_query(db, "SELECT id, v FROM t_nomem WHERE id >= ?",
					  p, 1, &r, &err);
			dla_alloc_fail_after(0);
			assert_true(rc == DLA_OK || rc == DLA_ERR_NOMEM);
			if (rc == DLA_OK)
				query_done = true;
			else
				assert_null(r);
			dla_db_result_free(r);
		}
		if (!insert_done) {
			dla_alloc_fail_after(i);
			rc = dla_db_insert_rows(db, "INSERT INTO t_nomem (id, v) VALUES ",
						2, vals, 3, &n, &err);
			dla_alloc_fail_after(0);
			assert_true(rc == DLA_OK || rc == DLA_ERR_NOMEM);
			if (rc == DLA_OK)
				insert_done = true;
		}
	}
	assert_true(query_done && insert_done);
	dla_db_use_param_arrays(db, false);
	for (i = 1; i < 200; i++) {
		long n = 0;
		enum dla_code rc;

		dla_alloc_fail_after(i);
		rc = dla_db_insert_rows(db, "INSERT INTO t_nomem (id, v) VALUES ",
					2, vals, 3, &n, &err);
		dla_alloc_fail_after(0);
		assert_true(rc == DLA_OK || rc == DLA_ERR_NOMEM);
		if (rc == DLA_OK)
			break;
	}
	assert_true(i < 200);
	for (i = 1; i < 50; i++) {
		struct dla_db *db2 = NULL;
		enum dla_code rc;

		dla_alloc_fail_after(i);
		rc = dla_db_connect(conn_str, &db2, &err);
		dla_alloc_fail_after(0);
		dla_db_close(db2);
		if (rc == DLA_OK)
			break;
		assert_int_equal(rc, DLA_ERR_NOMEM);
	}
	dla_db_close(db);
}

/* SQLite only: ATTACH through ODBC (the sqlite dialect attaches one file
 * per schema) and how it behaves inside a transaction. */
static void test_sqlite_attach(void **state)
{
	struct dla_db *db;
	struct dla_db_error err;
	char sql[256];
	enum dla_code rc;

	(void)state;
	if (!is_sqlite || !tmp_dir[0]) {
		skip();
		return;
	}
	db = connect_ok();
	snprintf(sql, sizeof(sql), "ATTACH DATABASE '%s/s.db' AS s", tmp_dir);
	exec_ok(db, sql);
	exec_ok(db, "DROP TABLE IF EXISTS s.t_att");
	exec_ok(db, "CREATE TABLE s.t_att (id INTEGER)");
	fresh_table(db, "t_att_main", "id INTEGER");
	assert_int_equal(dla_db_begin(db, &err), DLA_OK);
	exec_ok(db, "INSERT INTO s.t_att (id) VALUES (1)");
	assert_int_equal(dla_db_rollback(db, &err), DLA_OK);
	assert_int_equal(query_long(db, "SELECT COUNT(*) FROM s.t_att"), 0);
	/* ATTACH also works inside a transaction (sqliteodbc 0.9998, SQLite
	 * 3.40), and the transaction stays atomic across the files. */
	assert_int_equal(dla_db_begin(db, &err), DLA_OK);
	exec_ok(db, "INSERT INTO s.t_att (id) VALUES (2)");
	snprintf(sql, sizeof(sql), "ATTACH DATABASE '%s/s2.db' AS s2", tmp_dir);
	rc = dla_db_exec(db, sql, NULL, 0, NULL, &err);
	assert_int_equal(rc, DLA_OK);
	exec_ok(db, "CREATE TABLE s2.t_att2 (id INTEGER)");
	exec_ok(db, "INSERT INTO s2.t_att2 (id) VALUES (1)");
	assert_int_equal(dla_db_rollback(db, &err), DLA_OK);
	assert_int_equal(query_long(db, "SELECT COUNT(*) FROM s.t_att"), 0);
	assert_int_equal(dla_db_exec(db, "SELECT * FROM s2.t_att2", NULL, 0, NULL, &err),
			 DLA_ERR_DB);
	assert_int_equal(dla_db_begin(db, &err), DLA_OK);
	exec_ok(db, "INSERT INTO s.t_att (id) VALUES (2)");
	exec_ok(db, "INSERT INTO t_att_main (id) VALUES (2)");
	assert_int_equal(dla_db_commit(db, &err), DLA_OK);
	assert_int_equal(query_long(db, "SELECT COUNT(*) FROM s.t_att"), 1);
	/* A temp view may read the attached schema. */
	exec_ok(db, "CREATE TEMP VIEW v_att AS SELECT id FROM s.t_att");
	assert_int_equal(query_long(db, "SELECT COUNT(*) FROM v_att"), 1);
	dla_db_close(db);
}

/* SQLite only: connection-string options the driver honours. */
static void test_sqlite_options(void **state)
{
	struct dla_db *db = NULL;
	struct dla_db_error err;
	char conn[600];

	(void)state;
	if (!is_sqlite || !tmp_dir[0]) {
		skip();
		return;
	}
	snprintf(conn, sizeof(conn), "%s;Timeout=5000;SyncPragma=OFF;"
		 "JournalMode=DELETE;FKSupport=1", conn_str);
	assert_int_equal(dla_db_connect(conn, &db, &err), DLA_OK);
	assert_int_equal(query_long(db, "PRAGMA synchronous"), 0);
	assert_int_equal(query_long(db, "PRAGMA foreign_keys"), 1);
	dla_db_close(db);
	snprintf(conn, sizeof(conn), "Driver=SQLite3;Database=%s/never.db;NoCreat=1",
		 tmp_dir);
	assert_int_equal(dla_db_connect(conn, &db, &err), DLA_ERR_CONNECT);
	assert_null(db);
}

/* PostgreSQL only: a backend killed under us is a dead connection. */
static void test_pg_dead_connection(void **state)
{
	struct dla_db *victim, *killer;
	struct dla_db_error err;
	struct dla_db_result *r;
	const char *pid[1];
	enum dla_code rc;

	(void)state;
	if (!is_pg) {
		skip();
		return;
	}
	victim = connect_ok();
	killer = connect_ok();
	r = query_ok(victim, "SELECT pg_backend_pid()", NULL, 0);
	pid[0] = dla_db_cell(r, 0, 0);
	assert_non_null(pid[0]);
	{
		struct dla_db_result *k = query_ok(killer,
			"SELECT pg_terminate_backend(CAST(? AS INTEGER))", pid, 1);

		assert_string_equal(dla_db_cell(k, 0, 0), "1");
		dla_db_result_free(k);
	}
	dla_db_result_free(r);
	usleep(200 * 1000);
	rc = dla_db_exec(victim, "SELECT 1", NULL, 0, NULL, &err);
	print_message("  after pg_terminate_backend: %d [%s] %s\n", rc, err.sqlstate,
		      err.message);
	assert_int_equal(rc, DLA_ERR_CONN_DEAD);
	assert_true(err.connection_dead);
	assert_true(strncmp(err.sqlstate, "08", 2) == 0 ||
		    strcmp(err.sqlstate, "57P01") == 0);
	assert_true(dla_db_is_dead(victim));
	/* Closing a dead connection is fine; the other one is unaffected. */
	dla_db_close(victim);
	assert_int_equal(query_long(killer, "SELECT 1"), 1);
	dla_db_close(killer);
}

/* ---- threads --------------------------------------------------------- */

struct thread_job {
	int id;
	char conn[600];
	int failures;
	char msg[1024];
};

static void *thread_main(void *arg)
{
	struct thread_job *job = arg;
	struct dla_db *db = NULL;
	struct dla_db_error err;
	char table[32], sql[128];
	int i;

	if (dla_db_connect(job->conn, &db, &err) != DLA_OK) {
		job->failures++;
		snprintf(job->msg, sizeof(job->msg), "%s", err.message);
		return NULL;
	}
	snprintf(table, sizeof(table), "t_thread_%d", job->id);
	snprintf(sql, sizeof(sql), "DROP TABLE IF EXISTS %s", table);
	job->failures += dla_db_exec(db, sql, NULL, 0, NULL, &err) != DLA_OK;
	snprintf(sql, sizeof(sql), "CREATE TABLE %s (i INTEGER)", table);
	job->failures += dla_db_exec(db, sql, NULL, 0, NULL, &err) != DLA_OK;
	for (i = 0; i < 50; i++) {
		char num[16];
		const char *p[1] = { num };
		struct dla_db_result *r = NULL;

		snprintf(num, sizeof(num), "%d", i);
		snprintf(sql, sizeof(sql), "INSERT INTO %s (i) VALUES (?)", table);
		job->failures += dla_db_exec(db, sql, p, 1, NULL, &err) != DLA_OK;
		snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM %s", table);
		if (dla_db_query(db, sql, NULL, 0, &r, &err) != DLA_OK ||
		    strtol(dla_db_cell(r, 0, 0), NULL, 10) != i + 1)
			job->failures++;
		dla_db_result_free(r);
	}
	if (job->failures && !job->msg[0])
		snprintf(job->msg, sizeof(job->msg), "%s", err.message);
	dla_db_close(db);
	return NULL;
}

static void test_threads(void **state)
{
	enum { T = 4 };
	struct thread_job jobs[T];
	pthread_t th[T];
	int i;

	(void)state;
	for (i = 0; i < T; i++) {
		memset(&jobs[i], 0, sizeof(jobs[i]));
		jobs[i].id = i;
		if (is_sqlite && tmp_dir[0])   /* one file each: no lock waits */
			snprintf(jobs[i].conn, sizeof(jobs[i].conn),
				 "Driver=SQLite3;Database=%s/thread%d.db", tmp_dir, i);
		else
			snprintf(jobs[i].conn, sizeof(jobs[i].conn), "%s", conn_str);
		assert_int_equal(pthread_create(&th[i], NULL, thread_main, &jobs[i]), 0);
	}
	for (i = 0; i < T; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	for (i = 0; i < T; i++)
		if (jobs[i].failures)
			fail_msg("thread %d: %d failures: %s", i, jobs[i].failures,
				 jobs[i].msg);
}

/* tests/data/dialect/convert_values.cases: the dialect's convert of a
 * literal (one per line: dialect or *, type, SQL literal, expected text of
 * the result, NULL for none) as the engine computes it.  The same values
 * must come out on SQLite and PostgreSQL: times in any spelling become one
 * instant, text keeps every byte, numbers stay the numbers they were. */
static bool parse_type_word(const char *w, struct dla_coltype *t)
{
	static const char *const names[] = {
		[DLA_TYPE_TEXT] = "TEXT", [DLA_TYPE_INTEGER] = "INTEGER",
		[DLA_TYPE_DECIMAL] = "DECIMAL", [DLA_TYPE_FLOAT] = "FLOAT",
		[DLA_TYPE_BOOLEAN] = "BOOLEAN", [DLA_TYPE_DATE] = "DATE",
		[DLA_TYPE_TIMESTAMP] = "TIMESTAMP",
	};

	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(w, names[i]) == 0) {
			t->type = (enum dla_type)i;
			return true;
		}
	return false;
}

static void test_convert_values(void **state)
{
	const struct dla_dialect *d = is_pg ? &dla_dialect_postgres : &dla_dialect_sqlite;
	FILE *f = fopen("tests/data/dialect/convert_values.cases", "r");
	struct dla_db *db;
	char line[1024];
	int cases = 0, failures = 0, line_no = 0;

	(void)state;
	if (!is_pg && !is_sqlite)
		skip();
	assert_non_null(f);
	db = connect_ok();
	while (fgets(line, sizeof(line), f)) {
		char *field[4], *save = NULL, *p = line;
		struct dla_buf q = DLA_BUF_INIT;
		struct dla_db_result *res = NULL;
		struct dla_db_error err;
		struct dla_coltype t;
		const char *got;
		int n = 0;

		line_no++;
		line[strcspn(line, "\n")] = '\0';
		if (!line[0] || line[0] == '#')
			continue;
		while (n < 4 && (field[n] = strtok_r(p, "\t", &save)) != NULL) {
			n++;
			p = NULL;
		}
		assert_int_equal(n, 4);
		if (strcmp(field[0], "*") && strcmp(field[0], d->name))
			continue;
		assert_true(parse_type_word(field[1], &t));
		dla_buf_adds(&q, "SELECT ");
		d->convert(&q, "s.x", &t);
		dla_buf_addf(&q, " FROM (SELECT %s AS x) s", field[2]);
		assert_false(dla_buf_failed(&q));
		if (dla_db_query(db, q.buf, NULL, 0, &res, &err) != DLA_OK)
			fail_msg("line %d: %s: %s", line_no, q.buf, err.message);
		got = dla_db_cell(res, 0, 0);
		cases++;
		if (strcmp(got ? got : "NULL", field[3]) != 0) {
			print_error("convert_values.cases:%d: %s %s gave '%s', expected '%s'\n",
				    line_no, field[1], field[2], got ? got : "NULL", field[3]);
			failures++;
		}
		dla_db_result_free(res);
		dla_buf_release(&q);
	}
	fclose(f);
	dla_db_close(db);
	print_message("convert_values: %d cases on %s\n", cases, d->name);
	assert_int_equal(failures, 0);
	assert_true(cases > 10);
}

/* The dialect's reserved words (dialect.h, names dla refuses before a
 * load) are the ones the engine refuses: PostgreSQL's list equals the
 * server's own (pg_get_keywords, catcode R and T); on SQLite every listed
 * word fails as a column name, or -- CURRENT_DATE/TIME/TIMESTAMP -- is read
 * as the current time instead of the column; everyday names are taken. */
static void test_reserved_words(void **state)
{
	const struct dla_dialect *d = is_pg ? &dla_dialect_postgres : &dla_dialect_sqlite;
	static const char *const everyday[] = {
		"key", "action", "year", "month", "data", "name", "value", "type", "status",
		"position", "comment", "level", "role", "source", "text", "time", "date",
		"timestamp", "first", "last", "rows", "row", "view", "temp", "replace",
		"match", "plan", "query", "filter", "over", "partition", "range", "window_id",
	};
	struct dla_db *db = connect_ok();
	struct dla_db_result *res = NULL;
	struct dla_db_error err;
	size_t n = 0;

	(void)state;
	if (!is_pg && !is_sqlite) {
		dla_db_close(db);
		skip();
	}
	for (const char *const *w = d->reserved_words; *w; w++, n++) {
		struct dla_buf q = DLA_BUF_INIT;
		bool misread = strncmp(*w, "CURRENT_", 8) == 0;

		if (is_pg)
			continue;   /* compared with the server's list below */
		dla_buf_addf(&q, misread ? "SELECT %s FROM (SELECT 1 AS \"%s\")"
					 : "CREATE TEMP TABLE dla_kw_probe (%s INTEGER)", *w, *w);
		if (misread) {
			assert_int_equal(dla_db_query(db, q.buf, NULL, 0, &res, &err), DLA_OK);
			if (strcmp(dla_db_cell(res, 0, 0), "1") == 0)
				fail_msg("%s is read as the column on sqlite", *w);
			dla_db_result_free(res);
		} else if (dla_db_exec(db, q.buf, NULL, 0, NULL, &err) == DLA_OK) {
			fail_msg("sqlite takes reserved word %s as a column name", *w);
		}
		dla_buf_release(&q);
	}
	if (is_pg) {
		char count[32];

		assert_int_equal(dla_db_query(db, "SELECT upper(word) FROM pg_get_keywords() "
					      "WHERE catcode IN ('R', 'T') ORDER BY 1", NULL, 0,
					      &res, &err), DLA_OK);
		for (size_t r = 0; r < res->n_rows; r++)
			if (!dla_dialect_ident_problem(d, dla_db_cell(res, r, 0)))
				fail_msg("postgres reserves %s, the dialect does not",
					 dla_db_cell(res, r, 0));
		snprintf(count, sizeof(count), "%zu", res->n_rows);
		if (res->n_rows != n)
			fail_msg("postgres reserves %s words, the dialect lists %zu", count, n);
		dla_db_result_free(res);
	}
	for (size_t i = 0; i < sizeof(everyday) / sizeof(everyday[0]); i++) {
		struct dla_buf q = DLA_BUF_INIT;

		assert_null(dla_dialect_ident_problem(d, everyday[i]));
		dla_buf_addf(&q, "SELECT s.%s, %s FROM (SELECT 7 AS %s) s GROUP BY %s ORDER BY %s",
			     everyday[i], everyday[i], everyday[i], everyday[i], everyday[i]);
		if (dla_db_query(db, q.buf, NULL, 0, &res, &err) != DLA_OK)
			fail_msg("%s refuses everyday name %s: %s", d->name, everyday[i],
				 err.message);
		assert_string_equal(dla_db_cell(res, 0, 0), "7");
		dla_db_result_free(res);
		dla_buf_release(&q);
	}
	dla_db_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_connect_and_name),
		cmocka_unit_test(test_params_round_trip),
		cmocka_unit_test(test_long_text),
		cmocka_unit_test(test_rollback_leaves_nothing),
		cmocka_unit_test(test_commit_persists),
		cmocka_unit_test(test_error_in_transaction),
		cmocka_unit_test(test_row_counts),
		cmocka_unit_test(test_describe),
		cmocka_unit_test(test_insert_rows),
		cmocka_unit_test(test_insert_rows_values),
		cmocka_unit_test(test_statement_error),
		cmocka_unit_test(test_bad_connection),
		cmocka_unit_test(test_wrong_password),
		cmocka_unit_test(test_query_without_rows),
		cmocka_unit_test(test_nomem),
		cmocka_unit_test(test_sqlite_attach),
		cmocka_unit_test(test_sqlite_options),
		cmocka_unit_test(test_pg_dead_connection),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_convert_values),
		cmocka_unit_test(test_reserved_words),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
