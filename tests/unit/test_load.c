/* test_load.c - a node's statement list (stmts.h: statements for one
 * state of the target, checks run only after a failure) and how
 * dla_node_execute (load.h) runs it, against a real driver; what
 * dla_node_prepare asks the database for a fact whose lookup key column
 * holds NULL (always on SQLite, in a project of its own).
 *
 * Default: SQLite ("Driver=SQLite3") in a fresh temp directory; with
 * DLA_TEST_CONN set, the same tests against that database (PostgreSQL:
 * a failed statement aborts the transaction, the checks then run after
 * the rollback all the same). */
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dag.h"
#include "load.h"
#include "project.h"

static char tmp_dir[64];
static char conn_str[512];

static struct dla_warehouse *open_wh(void)
{
	static struct dla_warehouse wh;
	struct dla_db_error err;

	memset(&wh, 0, sizeof(wh));
	wh.dialect = &dla_dialect_sqlite;   /* load.c reads no dialect to execute */
	if (dla_db_connect(conn_str, &wh.db, &err) != DLA_OK)
		fail_msg("connect failed: %s", err.message);
	return &wh;
}

static void close_wh(struct dla_warehouse *wh)
{
	dla_db_close(wh->db);
	wh->db = NULL;
}

static void exec_ok(struct dla_warehouse *wh, const char *sql)
{
	struct dla_db_error err;

	if (dla_db_exec(wh->db, sql, NULL, 0, NULL, &err) != DLA_OK)
		fail_msg("'%s' failed: %s", sql, err.message);
}

static long count_rows(struct dla_warehouse *wh, const char *table)
{
	struct dla_db_result *r = NULL;
	struct dla_db_error err;
	char sql[128];
	long n;

	snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM %s", table);
	if (dla_db_query(wh->db, sql, NULL, 0, &r, &err) != DLA_OK)
		fail_msg("'%s' failed: %s", sql, err.message);
	n = strtol(dla_db_cell(r, 0, 0), NULL, 10);
	dla_db_result_free(r);
	return n;
}

static void add(struct dla_stmts *s, enum dla_stmt_kind kind, const char *label,
		const char *sql, const char *message)
{
	dla_stmts_add_str(s, kind, kind == DLA_STMT_DML ? DLA_COUNT_INSERTED : DLA_COUNT_NONE,
			  label, sql, message);
	assert_false(dla_stmts_failed(s));
}

struct run {
	enum dla_code rc;
	struct dla_node_counts counts;
	struct dla_buf err;
	struct dla_db_error dberr;
};

static void run_list(struct dla_warehouse *wh, const struct dla_stmts *s, struct run *r)
{
	double seconds;

	memset(r, 0, sizeof(*r));
	dla_buf_init(&r->err);
	r->rc = dla_node_execute(wh, s, &r->counts, &seconds, &r->err, &r->dberr);
}

/* ---- statement lists ---------------------------------------------------- */

static void test_choose_by_target_state(void **state)
{
	struct dla_stmts s = DLA_STMTS_INIT, copy = DLA_STMTS_INIT;
	size_t from;

	(void)state;
	add(&s, DLA_STMT_DDL, "create", "CREATE", NULL);
	assert_false(dla_stmts_conditional(&s));
	from = s.n;
	add(&s, DLA_STMT_DDL, "stage", "STAGE", NULL);
	add(&s, DLA_STMT_DML, "insert new rows", "INSERT NEW", NULL);
	dla_stmts_set_when(&s, from, DLA_WHEN_TARGET_HAS_ROWS);
	add(&s, DLA_STMT_CHECK_ON_FAILURE, "duplicate grain", "RECHECK", "dup");
	from = s.n;
	add(&s, DLA_STMT_DML, "insert rows", "INSERT ALL", NULL);
	dla_stmts_set_when(&s, from, DLA_WHEN_TARGET_EMPTY);
	assert_true(dla_stmts_conditional(&s));
	assert_string_equal(s.items[1].label, "stage (target has rows)");
	assert_string_equal(s.items[4].label, "insert rows (empty target)");
	assert_string_equal(dla_stmt_kind_name(s.items[3].kind), "check on failure");

	for (size_t i = 0; i < s.n; i++) {
		add(&copy, s.items[i].kind, s.items[i].label, s.items[i].sql,
		    s.items[i].message);
		copy.items[i].when = s.items[i].when;
	}
	dla_stmts_choose(&s, false);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.items[0].sql, "CREATE");
	assert_string_equal(s.items[1].sql, "RECHECK");
	assert_string_equal(s.items[1].message, "dup");
	assert_string_equal(s.items[2].sql, "INSERT ALL");
	dla_stmts_choose(&copy, true);
	assert_int_equal(copy.n, 4);
	assert_string_equal(copy.items[1].sql, "STAGE");
	assert_string_equal(copy.items[2].sql, "INSERT NEW");
	assert_string_equal(copy.items[3].sql, "RECHECK");
	dla_stmts_release(&copy);
	dla_stmts_release(&s);
}

/* ---- checks run after a failure ------------------------------------------ */

/* One statement of a list: kind, SQL, message (the label is the SQL). */
struct step {
	enum dla_stmt_kind kind;
	const char *sql;
	const char *message;
};

/* Runs steps on a fresh target t(k, v) holding (1, 10); checks the
 * outcome, the message (NULL: the driver's, starting "<sql> failed: "
 * with a SQLSTATE) and that the target holds rows_after rows. */
static void expect_run(const struct step *steps, size_t n, enum dla_code want,
		       const char *want_message, long rows_after)
{
	struct dla_warehouse *wh = open_wh();
	struct dla_stmts s = DLA_STMTS_INIT;
	struct run r;

	exec_ok(wh, "DROP TABLE IF EXISTS dla_test_t");
	exec_ok(wh, "CREATE TABLE dla_test_t (k INTEGER NOT NULL, v INTEGER, PRIMARY KEY (k))");
	exec_ok(wh, "INSERT INTO dla_test_t VALUES (1, 10)");
	for (size_t i = 0; i < n; i++)
		add(&s, steps[i].kind, steps[i].sql, steps[i].sql, steps[i].message);
	run_list(wh, &s, &r);
	assert_int_equal(r.rc, want);
	if (want_message) {
		assert_string_equal(r.err.buf, want_message);
		assert_string_equal(r.dberr.sqlstate, "");
	} else if (want != DLA_OK) {
		assert_non_null(strstr(r.err.buf, " failed: "));
		assert_string_not_equal(r.dberr.sqlstate, "");
	}
	assert_int_equal(count_rows(wh, "dla_test_t"), rows_after);
	exec_ok(wh, "DROP TABLE IF EXISTS dla_test_scratch");
	dla_buf_release(&r.err);
	dla_stmts_release(&s);
	close_wh(wh);
}

#define N_STEPS(a) (sizeof(a) / sizeof((a)[0]))

static const char no_rows_sql[] = "SELECT k FROM dla_test_t WHERE k < 0";
static const char dup_sql[] = "SELECT k, 2 AS dla_rows FROM dla_test_t WHERE k = 1";

/* Succeeding: the checks are not run (this one returns a row). */
static void test_not_run_on_success(void **state)
{
	static const struct step steps[] = {
		{ DLA_STMT_CHECK_ON_FAILURE, "SELECT 1 AS one", "should not run" },
		{ DLA_STMT_DML, "INSERT INTO dla_test_t VALUES (2, 20)", NULL },
	};

	(void)state;
	expect_run(steps, N_STEPS(steps), DLA_OK, NULL, 2);
}

/* The key rejects a duplicate: the first check returning rows names it,
 * in place of the driver's error; nothing is written. */
static void test_key_failure_named(void **state)
{
	static const struct step steps[] = {
		{ DLA_STMT_CHECK_ON_FAILURE, no_rows_sql, "no negative keys" },
		{ DLA_STMT_CHECK_ON_FAILURE, dup_sql, "duplicate grain in source 's'" },
		{ DLA_STMT_CHECK_ON_FAILURE, "SELECT 1 AS one", "not this one" },
		{ DLA_STMT_DML, "INSERT INTO dla_test_t VALUES (3, 30)", NULL },
		{ DLA_STMT_DML, "INSERT INTO dla_test_t VALUES (1, 11)", NULL },
	};

	(void)state;
	expect_run(steps, N_STEPS(steps), DLA_ERR_DATA,
		   "duplicate grain in source 's': (k=1, dla_rows=2)", 1);
}

/* No check returns rows (one reads a table of the rolled-back
 * transaction: its error is ignored): the driver's error stands. */
static void test_key_failure_unexplained(void **state)
{
	static const struct step steps[] = {
		{ DLA_STMT_CHECK_ON_FAILURE, no_rows_sql, "no negative keys" },
		{ DLA_STMT_DDL, "CREATE TABLE dla_test_scratch (k INTEGER)", NULL },
		{ DLA_STMT_CHECK_ON_FAILURE, "SELECT k FROM dla_test_scratch", "gone" },
		{ DLA_STMT_DML, "INSERT INTO dla_test_t VALUES (1, 11)", NULL },
	};

	(void)state;
	expect_run(steps, N_STEPS(steps), DLA_ERR_DB, NULL, 1);
}

/* A CHECK returning rows: the checks placed before it run first and the
 * first returning rows wins; one placed after it does not run. */
static void test_check_failure(void **state)
{
	static const struct step own[] = {
		{ DLA_STMT_CHECK_ON_FAILURE, no_rows_sql, "no negative keys" },
		{ DLA_STMT_CHECK, "SELECT 'Z' AS code", "missing members" },
		{ DLA_STMT_CHECK_ON_FAILURE, "SELECT 1 AS one", "placed after" },
	};
	static const struct step first[] = {
		{ DLA_STMT_CHECK_ON_FAILURE, "SELECT v FROM dla_test_t", "named first" },
		{ DLA_STMT_CHECK, "SELECT 'Z' AS code", "missing members" },
	};

	(void)state;
	expect_run(own, N_STEPS(own), DLA_ERR_DATA, "missing members: (code=Z)", 1);
	expect_run(first, N_STEPS(first), DLA_ERR_DATA, "named first: (v=10)", 1);
}

/* ---- preparing a fact: a lookup key column left NULL ---------------------- */

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

/* Whether fact_sale's statements, prepared on wh, fill lookup keys. */
static bool prepares_fill(struct dla_warehouse *wh, const struct dla_project *p,
			  const struct dla_dag *dag)
{
	struct dla_node_work w = { p, dag, dla_dag_find(dag, "fact_sale"), "r1",
				   "2026-01-01 00:00:00", false };
	struct dla_stmts s = DLA_STMTS_INIT;
	struct dla_buf err = DLA_BUF_INIT;
	struct dla_db_error dberr;
	bool fill = false;

	if (dla_node_prepare(wh, &w, &s, &err, &dberr) != DLA_OK)
		fail_msg("prepare failed: %s", err.buf);
	for (size_t i = 0; i < s.n; i++)
		fill = fill || strncmp(s.items[i].label, "fill new lookup keys", 20) == 0;
	dla_stmts_release(&s);
	dla_buf_release(&err);
	return fill;
}

/* A fact table with its lookup key column, NULL in a row (an earlier load
 * added the column, then failed): where DDL commits (the column stayed)
 * the load fills it; where DDL rolls back with the load, an existing key
 * column is never read for NULLs. */
static void test_unfilled_key_probe(void **state)
{
	struct dla_dialect committing = dla_dialect_sqlite;
	struct dla_project p;
	struct dla_dag dag;
	struct dla_diags diags = DLA_DIAGS_INIT;
	struct dla_warehouse wh;
	struct dla_db_error err;
	char dir[64], path[128];

	(void)state;
	committing.ddl_commits = true;
	snprintf(dir, sizeof(dir), "/tmp/dla-test-probe.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/dla.yml", dir);
	write_text(path, "name: probe\ndefault_target: local\ntargets:\n  local:\n"
		   "    dialect: sqlite\n    connection: \"Driver=SQLite3;Database=w.db\"\n");
	snprintf(path, sizeof(path), "%s/models", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/models/m.yml", dir);
	write_text(path, "sources:\n  - {name: store, schema: staging}\n"
		   "  - {name: sale, schema: staging}\n---\n"
		   "dimension: dim_store\nschema: presentation\nsource: staging.store\n"
		   "business_key: [store_code]\nscd: 1\n---\n"
		   "fact: fact_sale\nschema: presentation\nsource: staging.sale\n"
		   "grain: [sale_id]\nlookups:\n  - dimension: dim_store\n"
		   "    on: {store_code: store_code}\n");
	memset(&p, 0, sizeof(p));
	memset(&dag, 0, sizeof(dag));
	assert_int_equal(dla_project_load(&p, dir, NULL, NULL, &diags), DLA_OK);
	assert_int_equal(dla_dag_build(&dag, &p, &diags), DLA_OK);
	if (dla_warehouse_open(&p, NULL, &wh, &err) != DLA_OK)
		fail_msg("open failed: %s", err.message);
	exec_ok(&wh, "CREATE TABLE staging.store (store_code TEXT)");
	exec_ok(&wh, "CREATE TABLE staging.sale (sale_id INTEGER, store_code TEXT)");
	exec_ok(&wh, "CREATE TABLE presentation.dim_store (store_sk INTEGER, store_code TEXT, "
		     "dla_run_id TEXT, dla_updated_at TEXT)");
	exec_ok(&wh, "CREATE TABLE presentation.fact_sale (sale_id INTEGER, store_code TEXT, "
		     "store_sk INTEGER, dla_run_id TEXT, dla_loaded_at TEXT, PRIMARY KEY (sale_id))");
	exec_ok(&wh, "INSERT INTO presentation.fact_sale VALUES (1, 'S1', NULL, 'r0', NULL)");

	assert_false(prepares_fill(&wh, &p, &dag));
	wh.dialect = &committing;
	assert_true(prepares_fill(&wh, &p, &dag));
	exec_ok(&wh, "UPDATE presentation.fact_sale SET store_sk = -1");
	assert_false(prepares_fill(&wh, &p, &dag));

	wh.dialect = &dla_dialect_sqlite;
	dla_warehouse_close(&wh);
	dla_dag_release(&dag);
	dla_project_release(&p);
	dla_diags_release(&diags);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	assert_int_equal(system(path), 0);
}

static int group_setup(void **state)
{
	const char *env = getenv("DLA_TEST_CONN");

	(void)state;
	if (env && env[0]) {
		snprintf(conn_str, sizeof(conn_str), "%s", env);
		return 0;
	}
	snprintf(tmp_dir, sizeof(tmp_dir), "/tmp/dla-test-load.XXXXXX");
	if (!mkdtemp(tmp_dir))
		return -1;
	snprintf(conn_str, sizeof(conn_str), "Driver=SQLite3;Database=%s/main.db", tmp_dir);
	return 0;
}

static int group_teardown(void **state)
{
	char path[96];

	(void)state;
	if (!tmp_dir[0])
		return 0;
	snprintf(path, sizeof(path), "%s/main.db", tmp_dir);
	if (unlink(path) != 0 || rmdir(tmp_dir) != 0)
		return -1;
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_choose_by_target_state),
		cmocka_unit_test(test_not_run_on_success),
		cmocka_unit_test(test_key_failure_named),
		cmocka_unit_test(test_key_failure_unexplained),
		cmocka_unit_test(test_check_failure),
		cmocka_unit_test(test_unfilled_key_probe),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
