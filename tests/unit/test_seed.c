/*
 * test_seed.c - seeds (seed.h): type inference, value normalisation, the
 * generated statements, the SQLite path rule of warehouse.h, and real loads
 * into a SQLite database in a temp directory (sqliteodbc, Driver=SQLite3)
 * opened through dla_warehouse_open.
 */
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "csv.h"
#include "db.h"
#include "dialect.h"
#include "project.h"
#include "seed.h"
#include "warehouse.h"

static void parse(const char *text, struct dla_csv *csv)
{
	struct dla_csv_error err;
	enum dla_code rc = dla_csv_parse(text, strlen(text), csv, &err);

	if (rc != DLA_OK)
		fail_msg("csv: %d:%d %s", err.line, err.col, err.message);
}

/* ---- inference ----------------------------------------------------------- */

struct infer_case {
	const char *values;       /* one CSV column, rows separated by \n */
	enum dla_type type;
	unsigned long precision;
	int scale;
};

static const struct infer_case infer_cases[] = {
	{ "1\n2\n-3\n+4\n", DLA_TYPE_INTEGER, 0, 0 },
	{ "0\n9223372036854775807\n-9223372036854775808\n", DLA_TYPE_INTEGER, 0, 0 },
	{ "1\n9223372036854775808\n", DLA_TYPE_DECIMAL, 19, 0 },
	{ "1\n2.5\n-3.125\n", DLA_TYPE_DECIMAL, 18, 3 },
	{ ".5\n0.25\n", DLA_TYPE_DECIMAL, 18, 2 },
	{ "12345678901234567890.12345\n", DLA_TYPE_DECIMAL, 25, 5 },
	{ "1234567890123456789012345678901234.12345\n", DLA_TYPE_TEXT, 0, 0 },
	{ "1.5e3\n2\n", DLA_TYPE_FLOAT, 0, 0 },
	{ "1E-2\n", DLA_TYPE_FLOAT, 0, 0 },
	{ "007\n1\n", DLA_TYPE_TEXT, 0, 0 },
	{ "01.5\n", DLA_TYPE_TEXT, 0, 0 },
	{ "0.5\n0\n", DLA_TYPE_DECIMAL, 18, 1 },
	{ "1.\n", DLA_TYPE_TEXT, 0, 0 },
	{ "-\n", DLA_TYPE_TEXT, 0, 0 },
	{ " 5\n", DLA_TYPE_TEXT, 0, 0 },
	{ "true\nFALSE\nTrue\n", DLA_TYPE_BOOLEAN, 0, 0 },
	{ "true\n1\n", DLA_TYPE_TEXT, 0, 0 },
	{ "yes\n", DLA_TYPE_TEXT, 0, 0 },
	{ "2024-01-31\n2024-02-29\n", DLA_TYPE_DATE, 0, 0 },
	{ "2023-02-29\n", DLA_TYPE_TEXT, 0, 0 },
	{ "2024-13-01\n", DLA_TYPE_TEXT, 0, 0 },
	{ "2024-1-01\n", DLA_TYPE_TEXT, 0, 0 },
	{ "2024-01-31 12:00:00\n2024-01-31 23:59:59.123456\n", DLA_TYPE_TIMESTAMP, 0, 0 },
	{ "2024-01-31T12:00:00\n", DLA_TYPE_TIMESTAMP, 0, 0 },
	{ "2024-01-31 12:00:00\n2024-02-01\n", DLA_TYPE_TIMESTAMP, 0, 0 },
	{ "2024-01-31 24:00:00\n", DLA_TYPE_TEXT, 0, 0 },
	{ "2024-01-31 12:00:00Z\n", DLA_TYPE_TEXT, 0, 0 },
	{ "2024-01-31 12:00\n", DLA_TYPE_TEXT, 0, 0 },
	{ "2024-01-31\n5\n", DLA_TYPE_TEXT, 0, 0 },
	{ "hello\n", DLA_TYPE_TEXT, 0, 0 },
	{ "\"\"\n1\n", DLA_TYPE_TEXT, 0, 0 },        /* "" is a value */
	{ "1\n\n2\n", DLA_TYPE_INTEGER, 0, 0 },      /* blank line skipped */
};

static void test_infer(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(infer_cases) / sizeof(infer_cases[0]); i++) {
		const struct infer_case *c = &infer_cases[i];
		char text[256];
		struct dla_csv csv;
		struct dla_coltype t;

		snprintf(text, sizeof(text), "x\n%s", c->values);
		parse(text, &csv);
		dla_seed_infer(&csv, &t);
		if (t.type != c->type || t.precision != c->precision || t.scale != c->scale)
			fail_msg("case %zu (%s): got type %d (%lu,%d), want %d (%lu,%d)",
				 i, c->values, t.type, t.precision, t.scale, c->type,
				 c->precision, c->scale);
		dla_csv_release(&csv);
	}
}

static void test_infer_nulls(void **state)
{
	struct dla_csv csv;
	struct dla_coltype t[3];

	(void)state;
	parse("a,b,c\n,1,\n,,x\n", &csv);
	dla_seed_infer(&csv, t);
	assert_int_equal(t[0].type, DLA_TYPE_TEXT);       /* all NULL */
	assert_int_equal(t[1].type, DLA_TYPE_INTEGER);    /* NULLs ignored */
	assert_int_equal(t[2].type, DLA_TYPE_TEXT);
	dla_csv_release(&csv);

	parse("a,b\n", &csv);                             /* no rows */
	dla_seed_infer(&csv, t);
	assert_int_equal(t[0].type, DLA_TYPE_TEXT);
	assert_int_equal(t[1].type, DLA_TYPE_TEXT);
	dla_csv_release(&csv);
}

static void test_values(void **state)
{
	struct dla_csv csv;
	struct dla_coltype t[4];
	struct dla_seed_values sv;
	const char **v;

	(void)state;
	parse("b,ts,n,s\n"
	      "true,2024-01-31T10:00:00.5,1,\n"
	      "FALSE,2024-02-01,,\"\"\n"
	      ",2024-02-02 03:04:05,3,x\n", &csv);
	dla_seed_infer(&csv, t);
	assert_int_equal(t[0].type, DLA_TYPE_BOOLEAN);
	assert_int_equal(t[1].type, DLA_TYPE_TIMESTAMP);
	assert_int_equal(dla_seed_values_build(&csv, t, &sv), DLA_OK);
	v = sv.values;
	assert_string_equal(v[0], "1");
	assert_string_equal(v[1], "2024-01-31 10:00:00.5");
	assert_string_equal(v[2], "1");
	assert_null(v[3]);
	assert_string_equal(v[4], "0");
	assert_string_equal(v[5], "2024-02-01 00:00:00");
	assert_null(v[6]);
	assert_string_equal(v[7], "");
	assert_null(v[8]);
	assert_string_equal(v[9], "2024-02-02 03:04:05");
	assert_ptr_equal(v[9], dla_csv_cell(&csv, 2, 1));   /* unchanged: shared */
	assert_int_equal(sv.n_owned, 2);
	dla_seed_values_release(&sv);

	/* allocation failures: NOMEM, no leak */
	for (unsigned long n = 1; n < 10; n++) {
		enum dla_code rc;

		dla_alloc_fail_after(n);
		rc = dla_seed_values_build(&csv, t, &sv);
		dla_alloc_fail_after(0);
		if (rc == DLA_OK) {
			dla_seed_values_release(&sv);
			break;
		}
		assert_int_equal(rc, DLA_ERR_NOMEM);
		assert_null(sv.values);
		dla_seed_values_release(&sv);
	}
	dla_csv_release(&csv);
}

static void test_statements(void **state)
{
	struct dla_csv csv;
	struct dla_coltype t[3];
	struct dla_stmts s = DLA_STMTS_INIT;
	struct dla_buf b = DLA_BUF_INIT;

	(void)state;
	parse("id,amount,name\n1,2.50,x\n", &csv);
	dla_seed_infer(&csv, t);

	dla_seed_statements(&dla_dialect_sqlite, "staging", "customer", &csv, t,
			    DLA_SEED_RECREATE, &s);
	assert_false(dla_stmts_failed(&s));
	assert_int_equal(s.n, 2);
	assert_int_equal(s.items[0].kind, DLA_STMT_DDL);
	assert_string_equal(s.items[0].sql, "DROP TABLE IF EXISTS staging.customer");
	assert_string_equal(s.items[1].sql,
			    "CREATE TABLE staging.customer (\n"
			    "  id INTEGER,\n"
			    "  amount NUMERIC(18,2),\n"
			    "  name TEXT\n"
			    ")");
	dla_stmts_release(&s);

	dla_seed_statements(&dla_dialect_sqlite, "staging", "customer", &csv, t,
			    DLA_SEED_REPLACE_ROWS, &s);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.items[0].kind, DLA_STMT_DML);
	assert_string_equal(s.items[0].sql, "DELETE FROM staging.customer");
	dla_stmts_release(&s);

	dla_seed_statements(&dla_dialect_sqlite, "staging", "customer", &csv, t,
			    DLA_SEED_CREATE, &s);
	assert_int_equal(s.n, 1);
	dla_stmts_release(&s);

	dla_seed_insert_prefix(&dla_dialect_sqlite, "staging", "customer", &csv, &b);
	assert_string_equal(b.buf, "INSERT INTO staging.customer (id, amount, name) VALUES ");
	dla_buf_release(&b);
	dla_csv_release(&csv);
}

/* ---- the SQLite path rule ------------------------------------------------- */

static void check_path(const char *conn, const char *want_conn, const char *want_path)
{
	char *got_conn, *got_path;

	assert_int_equal(dla_warehouse_sqlite_path(conn, "/proj", &got_conn, &got_path),
			 DLA_OK);
	assert_string_equal(got_conn, want_conn);
	if (want_path)
		assert_string_equal(got_path, want_path);
	else
		assert_null(got_path);
	dla_free(got_conn);
	dla_free(got_path);
}

static void test_sqlite_path(void **state)
{
	char *c, *p;

	(void)state;
	check_path("Driver=SQLite3;Database=.dla/warehouse.db",
		   "Driver=SQLite3;Database=/proj/.dla/warehouse.db", "/proj/.dla/warehouse.db");
	check_path("Driver=SQLite3;Database=./w.db;Timeout=5",
		   "Driver=SQLite3;Database=/proj/w.db;Timeout=5", "/proj/w.db");
	check_path("Driver=SQLite3; database = /abs/w.db ;x=1",
		   "Driver=SQLite3; database = /abs/w.db;x=1", "/abs/w.db");
	check_path("DATABASE={my;dir/w.db};Driver=SQLite3",
		   "DATABASE={/proj/my;dir/w.db};Driver=SQLite3", "/proj/my;dir/w.db");
	check_path("Driver=SQLite3;Database={a}}b.db}",
		   "Driver=SQLite3;Database={/proj/a}}b.db}", "/proj/a}b.db");
	check_path("Driver=SQLite3;Database=:memory:", "Driver=SQLite3;Database=:memory:", NULL);
	/* DatabaseX is another key */
	assert_int_equal(dla_warehouse_sqlite_path("Driver=SQLite3;DatabaseX=a.db",
						   "/proj", &c, &p), DLA_ERR_USAGE);
	assert_int_equal(dla_warehouse_sqlite_path("Driver=SQLite3;Database=;",
						   "/proj", &c, &p), DLA_ERR_USAGE);
	assert_null(c);
	assert_null(p);
}

/* ---- real loads into SQLite ----------------------------------------------- */

struct fixture {
	char dir[256];
	struct dla_project project;
	struct dla_target target;
	struct dla_source source;
	struct dla_warehouse wh;
};

static int setup_db(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "%s/dla-test-seed-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	f->target.name = "local";
	f->target.dialect = "sqlite";
	/* relative: resolved against the project dir, .dla/ created */
	f->target.connection = "Driver=SQLite3;Database=.dla/warehouse.db";
	f->source.name = "customer";
	f->source.schema = "staging";
	f->source.relation = "staging.customer";
	f->project.dir = f->dir;
	f->project.name = "test";
	f->project.default_target = "local";
	f->project.views_schema = "dla_views";
	f->project.metadata_schema = "dla_meta";
	f->project.targets = &f->target;
	f->project.n_targets = 1;
	f->project.sources = &f->source;
	f->project.n_sources = 1;
	*state = f;
	return 0;
}

static int teardown_db(void **state)
{
	struct fixture *f = *state;
	char cmd[512];

	dla_warehouse_close(&f->wh);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "test_seed: cannot remove %s\n", f->dir);
	free(f);
	return 0;
}

static void open_wh(struct fixture *f)
{
	struct dla_db_error err;
	enum dla_code rc = dla_warehouse_open(&f->project, NULL, &f->wh, &err);

	if (rc != DLA_OK)
		fail_msg("warehouse open: %s", err.message);
}

/* The rows of sql as "a|b\n" lines, NULL as "~". */
static char *query_text(struct fixture *f, const char *sql)
{
	struct dla_db_result *r;
	struct dla_db_error err;
	struct dla_buf b = DLA_BUF_INIT;

	if (dla_db_query(f->wh.db, sql, NULL, 0, &r, &err) != DLA_OK)
		fail_msg("%s: %s", sql, err.message);
	for (size_t i = 0; i < r->n_rows; i++) {
		for (size_t c = 0; c < r->n_cols; c++) {
			const char *v = dla_db_cell(r, i, c);
			if (c)
				dla_buf_addch(&b, '|');
			dla_buf_adds(&b, v ? v : "~");
		}
		dla_buf_addch(&b, '\n');
	}
	dla_db_result_free(r);
	return dla_buf_detach(&b);
}

static void assert_query(struct fixture *f, const char *sql, const char *want)
{
	char *got = query_text(f, sql);

	assert_non_null(got);
	if (strcmp(got, want) != 0)
		fail_msg("%s\n--- want\n%s--- got\n%s", sql, want, got);
	dla_free(got);
}

static long seed(struct fixture *f, const char *text, enum dla_seed_action want_action,
		 enum dla_code want_rc)
{
	struct dla_csv csv;
	struct dla_seed_result res;
	struct dla_db_error err;
	enum dla_code rc;

	parse(text, &csv);
	rc = dla_seed_load(f->wh.db, f->wh.dialect, "staging", "customer", &csv, NULL,
			   &res, &err);
	dla_csv_release(&csv);
	if (rc != want_rc)
		fail_msg("seed: rc %d, want %d: %s", rc, want_rc, err.message);
	if (rc == DLA_OK && res.action != want_action)
		fail_msg("seed: action '%s', want '%s' for:\n%s",
			 dla_seed_action_name(res.action),
			 dla_seed_action_name(want_action), text);
	if (rc != DLA_OK)
		assert_non_null(strstr(err.message, "'staging.customer'"));
	return res.rows;
}

static void test_warehouse_open(void **state)
{
	struct fixture *f = *state;
	char path[512];
	struct stat st;
	struct dla_warehouse wh2;
	struct dla_db_error err;

	open_wh(f);
	assert_non_null(f->wh.main_db_dir);
	assert_true(f->wh.main_db_dir[0] == '/');
	assert_non_null(strstr(f->wh.main_db_dir, "/.dla"));
	snprintf(path, sizeof(path), "%s/staging.db", f->wh.main_db_dir);
	assert_int_equal(stat(path, &st), 0);          /* ATTACH created it */
	assert_int_equal(f->wh.n_schemas, 3);          /* dla_views, dla_meta, staging */
	/* idempotent, case-insensitive */
	assert_int_equal(dla_warehouse_ensure_schema(&f->wh, "STAGING", &err), DLA_OK);
	assert_int_equal(f->wh.n_schemas, 3);

	assert_int_equal(dla_warehouse_open(&f->project, "prod", &wh2, &err), DLA_ERR_USAGE);
	assert_string_equal(err.message, "target 'prod' is not defined in dla.yml");
	assert_int_equal(dla_warehouse_open(&f->project, "locl", &wh2, &err), DLA_ERR_USAGE);
	assert_string_equal(err.message,
			    "target 'locl' is not defined in dla.yml (did you mean 'local'?)");
}

static void test_connect_error_has_no_secret(void **state)
{
	struct fixture *f = *state;
	struct dla_warehouse wh2;
	struct dla_db_error err;

	f->target.connection = "Driver=NoSuchDriver;Database=x.db;Pwd=hunter2secret";
	assert_int_equal(dla_warehouse_open(&f->project, NULL, &wh2, &err), DLA_ERR_CONNECT);
	assert_non_null(strstr(err.message, "cannot connect to target 'local'"));
	assert_null(strstr(err.message, "hunter2secret"));
	assert_null(strstr(err.message, "NoSuchDriver;"));
	assert_null(wh2.db);
}

static void test_seed_sqlite(void **state)
{
	struct fixture *f = *state;

	open_wh(f);
	assert_int_equal(seed(f, "id,name,active,joined,score\n"
			      "1,Alice,true,2024-01-31,1.5\n"
			      "2,\"Bob, Jr.\",false,2024-02-01T08:00:00,\n"
			      "3,\"\",,,-2\n",
			      DLA_SEED_CREATE, DLA_OK), 3);
	assert_query(f, "SELECT id, name, active, joined, score, typeof(id), typeof(name) "
		     "FROM staging.customer ORDER BY id",
		     "1|Alice|1|2024-01-31 00:00:00|1.5|integer|text\n"
		     "2|Bob, Jr.|0|2024-02-01 08:00:00|~|integer|text\n"
		     "3||~|~|-2|integer|text\n");

	/* re-seed with the same shape: rows replaced, table kept (the existing
	 * NUMERIC(18,1) holds scale 0 too) */
	assert_int_equal(seed(f, "id,name,active,joined,score\n"
			      "7,Zed,true,2024-03-01,2\n",
			      DLA_SEED_REPLACE_ROWS, DLA_OK), 1);
	assert_query(f, "SELECT id, name, score FROM staging.customer",
		     "7|Zed|2\n");

	/* SQLite decides by storage class: a wider scale still fits NUMERIC */
	assert_int_equal(seed(f, "id,name,active,joined,score\n"
			      "8,Ann,true,2024-03-01,2.25\n",
			      DLA_SEED_REPLACE_ROWS, DLA_OK), 1);
	/* a text column that now holds numbers or booleans keeps its type and
	 * the values as written */
	assert_int_equal(seed(f, "id,name,active,joined,score\n"
			      "9,42,true,2024-03-01,2.25\n"
			      "10,true,false,2024-03-01,2.25\n",
			      DLA_SEED_REPLACE_ROWS, DLA_OK), 2);
	assert_query(f, "SELECT id, name, typeof(name), active FROM staging.customer "
		     "ORDER BY id", "9|42|text|1\n10|true|text|0\n");
	/* an integer column that now holds text: re-created */
	assert_int_equal(seed(f, "id,name,active,joined,score\n"
			      "x9,Ann,true,2024-03-01,2.25\n",
			      DLA_SEED_RECREATE, DLA_OK), 1);
	assert_query(f, "SELECT type FROM pragma_table_info('customer', 'staging') "
		     "ORDER BY cid", "TEXT\nTEXT\nINTEGER\nTEXT\nNUMERIC(18,2)\n");
	/* all-NULL values fit any existing column */
	assert_int_equal(seed(f, "id,name,active,joined,score\n"
			      "x10,,,,\n",
			      DLA_SEED_REPLACE_ROWS, DLA_OK), 1);

	/* a new shape: dropped and re-created */
	assert_int_equal(seed(f, "id,email\n1,a@x\n2,b@x\n", DLA_SEED_RECREATE, DLA_OK), 2);
	assert_query(f, "SELECT name FROM pragma_table_info('customer', 'staging') ORDER BY cid",
		     "id\nemail\n");
	assert_query(f, "SELECT count(*) FROM staging.customer", "2\n");

	/* header only: the table is kept, emptied */
	assert_int_equal(seed(f, "id,email\n", DLA_SEED_REPLACE_ROWS, DLA_OK), 0);
	assert_query(f, "SELECT count(*) FROM staging.customer", "0\n");
}

/* A load failing half-way leaves the previous contents: the table has a NOT
 * NULL column of the same shape, so the DELETE runs and the insert fails. */
static void test_seed_failure_rolls_back(void **state)
{
	struct fixture *f = *state;
	struct dla_db_error err;

	open_wh(f);
	assert_int_equal(dla_db_exec(f->wh.db, "CREATE TABLE staging.customer "
				     "(id INTEGER NOT NULL, name TEXT)", NULL, 0, NULL, &err),
			 DLA_OK);
	assert_int_equal(dla_db_exec(f->wh.db, "INSERT INTO staging.customer VALUES "
				     "(1, 'old')", NULL, 0, NULL, &err), DLA_OK);
	seed(f, "id,name\n2,new\n,broken\n", DLA_SEED_REPLACE_ROWS, DLA_ERR_DB);
	assert_query(f, "SELECT id, name FROM staging.customer", "1|old\n");
	assert_false(dla_db_in_transaction(f->wh.db));
	/* the connection is still usable */
	assert_int_equal(seed(f, "id,name\n2,new\n", DLA_SEED_REPLACE_ROWS, DLA_OK), 1);
	assert_query(f, "SELECT id, name FROM staging.customer", "2|new\n");
}

static void test_seed_many_rows(void **state)
{
	struct fixture *f = *state;
	struct dla_buf b = DLA_BUF_INIT;
	struct dla_csv csv;
	struct dla_seed_result res;
	struct dla_db_error err;

	open_wh(f);
	dla_buf_adds(&b, "n,label\n");
	for (int i = 0; i < 2500; i++)
		dla_buf_addf(&b, "%d,\"it's row %d\"\n", i, i);
	parse(b.buf, &csv);
	dla_buf_release(&b);
	assert_int_equal(dla_seed_load(f->wh.db, f->wh.dialect, "staging", "customer",
				       &csv, NULL, &res, &err), DLA_OK);
	assert_int_equal(res.rows, 2500);
	dla_csv_release(&csv);
	assert_query(f, "SELECT count(*), sum(n), max(label) FROM staging.customer",
		     "2500|3123750|it's row 999\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_infer),
		cmocka_unit_test(test_infer_nulls),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_statements),
		cmocka_unit_test(test_sqlite_path),
		cmocka_unit_test_setup_teardown(test_warehouse_open, setup_db, teardown_db),
		cmocka_unit_test_setup_teardown(test_connect_error_has_no_secret, setup_db,
						teardown_db),
		cmocka_unit_test_setup_teardown(test_seed_sqlite, setup_db, teardown_db),
		cmocka_unit_test_setup_teardown(test_seed_failure_rolls_back, setup_db,
						teardown_db),
		cmocka_unit_test_setup_teardown(test_seed_many_rows, setup_db, teardown_db),
	};

	return cmocka_run_group_tests_name("seed", tests, NULL, NULL);
}
