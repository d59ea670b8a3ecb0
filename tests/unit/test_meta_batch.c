/* test_meta_batch.c - the runner's group commit in meta.c: node rows and
 * lineage edges written many at a time (dla_meta_*_record_many), inside
 * one transaction, read back exactly as the one-row functions write them;
 * the node durations read back from every timestamp spelling.
 *
 * A SQLite database in a new temporary directory by default; with
 * DLA_TEST_CONN (an ODBC connection string) and DLA_TEST_DIALECT
 * (postgres) set, the same tests in a schema of their own, dropped
 * afterwards.
 */
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "db.h"
#include "dialect.h"
#include "meta.h"
#include "stmts.h"

struct fixture {
	const struct dla_dialect *dialect;
	bool remote;             /* DLA_TEST_CONN: a schema of our own */
	char dir[256];
	char conn[1024];
	char schema[64];
	struct dla_db *db;
	struct dla_meta meta;
};

static void ok(enum dla_code code, const struct dla_db_error *err, const char *what)
{
	if (code != DLA_OK)
		fail_msg("%s: %s: %s", what, dla_strerror(code), err ? err->message : "");
}

static void run_sql(struct fixture *f, const char *sql)
{
	struct dla_db_error err;

	ok(dla_db_exec(f->db, sql, NULL, 0, NULL, &err), &err, sql);
}

static int setup(void **state)
{
	static int counter;
	struct fixture *f = calloc(1, sizeof(*f));
	const char *conn = getenv("DLA_TEST_CONN");
	const char *dialect = getenv("DLA_TEST_DIALECT");
	struct dla_stmts session = DLA_STMTS_INIT;
	struct dla_buf create = DLA_BUF_INIT;
	struct dla_db_error err;

	assert_non_null(f);
	f->remote = conn && *conn;
	f->dialect = dla_dialect_find(f->remote && dialect ? dialect : "sqlite");
	assert_non_null(f->dialect);
	if (f->remote) {
		snprintf(f->conn, sizeof(f->conn), "%s", conn);
		snprintf(f->schema, sizeof(f->schema), "dla_meta_batch_%ld_%d",
			 (long)getpid(), ++counter);
	} else {
		snprintf(f->dir, sizeof(f->dir), "%s/dla_test_meta_batch_XXXXXX",
			 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
		assert_non_null(mkdtemp(f->dir));
		snprintf(f->conn, sizeof(f->conn), "Driver=SQLite3;Database=%s/w.db", f->dir);
		snprintf(f->schema, sizeof(f->schema), "dla_meta");
	}
	ok(dla_db_connect(f->conn, &f->db, &err), &err, "connect");
	f->dialect->session_setup(&session);
	for (size_t i = 0; i < session.n; i++)
		run_sql(f, session.items[i].sql);
	dla_stmts_release(&session);
	f->dialect->create_schema(&create, f->schema, f->dir);
	run_sql(f, create.buf);
	dla_buf_release(&create);
	f->meta = (struct dla_meta){ f->db, f->dialect, f->schema };
	ok(dla_meta_ensure(&f->meta, &err), &err, "ensure");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char text[600];

	if (f->remote) {
		snprintf(text, sizeof(text), "DROP SCHEMA IF EXISTS %s CASCADE", f->schema);
		run_sql(f, text);
	} else {
		snprintf(text, sizeof(text), "rm -rf '%s'", f->dir);
		if (system(text) != 0)
			fprintf(stderr, "could not remove %s\n", f->dir);
	}
	dla_db_close(f->db);
	free(f);
	return 0;
}

/* The rows of "SELECT <columns> FROM <schema>.<table> ORDER BY <order>"
 * as "a|b|NULL" lines. */
static char *dump(struct fixture *f, const char *columns, const char *table,
		  const char *order)
{
	struct dla_buf sql = DLA_BUF_INIT, out = DLA_BUF_INIT;
	struct dla_db_result *r;
	struct dla_db_error err;

	dla_buf_addf(&sql, "SELECT %s FROM %s.%s ORDER BY %s", columns, f->schema, table,
		     order);
	ok(dla_db_query(f->db, sql.buf, NULL, 0, &r, &err), &err, sql.buf);
	for (size_t i = 0; i < r->n_rows; i++)
		for (size_t c = 0; c < r->n_cols; c++)
			dla_buf_addf(&out, "%s%s", dla_db_cell(r, i, c) ? dla_db_cell(r, i, c)
								      : "NULL",
				     c + 1 < r->n_cols ? "|" : "\n");
	dla_db_result_free(r);
	dla_buf_release(&sql);
	return dla_buf_detach(&out);
}

static void assert_dump(struct fixture *f, const char *columns, const char *table,
			const char *order, const char *want)
{
	char *got = dump(f, columns, table, order);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

#define NODE_COLUMNS "node, kind, status, rows_inserted, rows_updated, rows_expired, " \
		     "rows_deleted, rows_inferred, message"

static const struct dla_node_row node_rows[] = {
	{ "run_a", "v_one", "view", "success", "2026-01-01 00:00:00",
	  "2026-01-01 00:00:01.5", "2026-01-01 00:00:00", 0, 0, 0, 0, 0, 0.25, NULL },
	{ "run_a", "dim_two", "dimension", "failed", "2026-01-01 00:00:02",
	  "2026-01-01 00:00:03", NULL, 1, 2, 3, 4, 5, 1.0,
	  "insert failed: [23505] d\xc3\xa9j\xc3\xa0 vu; 'quoted' \"text\", ?" },
	{ "run_a", "fact_three", "fact", "skipped", "2026-01-01 00:00:04",
	  "2026-01-01 00:00:04", NULL, 0, 0, 0, 0, 0, 0, "upstream 'dim_two' failed" },
};

static const char node_dump[] =
	"dim_two|dimension|failed|1|2|3|4|5|insert failed: [23505] d\xc3\xa9j\xc3\xa0 vu; "
	"'quoted' \"text\", ?\n"
	"fact_three|fact|skipped|0|0|0|0|0|upstream 'dim_two' failed\n"
	"v_one|view|success|0|0|0|0|0|NULL\n";

/* Many node rows and edges in one transaction read back like the one-row
 * functions write them; with and without parameter arrays. */
static void many_rows_in_one_transaction(struct fixture *f, bool arrays)
{
	const struct dla_lineage_row edges[] = {
		{ "run_a", "dim_two", "dla_views.v_one", "presentation.dim_two" },
		{ "run_a", "fact_three", "dla_views.v_one", "presentation.fact_three" },
		{ "run_a", "fact_three", "presentation.dim_two", "presentation.fact_three" },
	};
	struct dla_db_error err;

	dla_db_use_param_arrays(f->db, arrays);
	ok(dla_db_begin(f->db, &err), &err, "begin");
	ok(dla_meta_node_record_many(&f->meta, node_rows, 3, &err), &err, "nodes");
	ok(dla_meta_lineage_record_many(&f->meta, edges, 3, &err), &err, "lineage");
	ok(dla_meta_node_record_many(&f->meta, NULL, 0, &err), &err, "no nodes");
	ok(dla_meta_lineage_record_many(&f->meta, NULL, 0, &err), &err, "no edges");
	ok(dla_db_commit(f->db, &err), &err, "commit");
	assert_dump(f, NODE_COLUMNS, "dla_node_run", "node", node_dump);
	assert_dump(f, "node, input_relation, output_relation", "dla_lineage",
		    "node, input_relation",
		    "dim_two|dla_views.v_one|presentation.dim_two\n"
		    "fact_three|dla_views.v_one|presentation.fact_three\n"
		    "fact_three|presentation.dim_two|presentation.fact_three\n");
}

static void many_rows_with_arrays(void **state)
{
	many_rows_in_one_transaction(*state, true);
}

static void many_rows_without_arrays(void **state)
{
	many_rows_in_one_transaction(*state, false);
}

/* The one-row functions write the same rows. */
static void one_row_at_a_time(void **state)
{
	struct fixture *f = *state;
	struct dla_db_error err;

	for (size_t i = 0; i < 3; i++)
		ok(dla_meta_node_record(&f->meta, &node_rows[i], &err), &err, "node");
	ok(dla_meta_lineage_record(&f->meta, "run_a", "dim_two", "dla_views.v_one",
				   "presentation.dim_two", &err), &err, "lineage");
	assert_dump(f, NODE_COLUMNS, "dla_node_run", "node", node_dump);
	assert_dump(f, "node, input_relation, output_relation", "dla_lineage", "node",
		    "dim_two|dla_views.v_one|presentation.dim_two\n");
}

/* A failure inside the batch rolls all of it back (the runner's group
 * commit then retries or reports the whole batch). */
static void a_failed_batch_writes_nothing(void **state)
{
	struct fixture *f = *state;
	struct dla_db_error err;

	ok(dla_meta_node_record(&f->meta, &node_rows[1], &err), &err, "first");
	ok(dla_db_begin(f->db, &err), &err, "begin");
	/* node_rows[1] again: the primary key (run_id, node) refuses it */
	assert_int_not_equal(dla_meta_node_record_many(&f->meta, node_rows, 3, &err), DLA_OK);
	ok(dla_db_rollback(f->db, &err), &err, "rollback");
	assert_dump(f, "node", "dla_node_run", "node", "dim_two\n");
}

/* Durations from timestamps however the engine gives them back (SQLite:
 * as written, ISO 8601 included), across days, months, a leap day and a
 * year. */
static void durations_from_every_spelling(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *node, *started, *finished;
		double seconds;
	} cases[] = {
		{ "a", "2026-01-01 00:00:00", "2026-01-01 00:00:02.5", 2.5 },
		{ "b", "2026-02-28 23:59:59.75", "2026-03-01 00:00:00.25", 0.5 },
		{ "c", "2024-02-29 12:00:00", "2024-02-29 12:01:00.000001", 60.000001 },
		{ "d", "2026-01-01T00:00:00Z", "2026-01-01T00:00:03Z", 3 },
		{ "e", "1999-12-31 23:59:59.9", "2000-01-01 00:00:00.1", 0.2 },
		{ "f", "2026-12-31 23:59:59.999999", "2027-01-01 00:00:01", 1.000001 },
	};
	struct dla_run_row run = { "run_a", "p", "t", "run", NULL, "2026-01-01 00:00:00",
				   "2026-01-01 00:00:00", "0", NULL };
	struct dla_node_duration *d = NULL;
	struct dla_db_error err;
	size_t n = 0;

	ok(dla_meta_run_start(&f->meta, &run, &err), &err, "run");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dla_node_row row = { "run_a", cases[i].node, "view", "success",
					    cases[i].started, cases[i].finished, NULL,
					    0, 0, 0, 0, 0, 0, NULL };

		ok(dla_meta_node_record(&f->meta, &row, &err), &err, "node");
	}
	ok(dla_meta_node_durations(&f->meta, 20, &d, &n, &err), &err, "durations");
	assert_int_equal(n, sizeof(cases) / sizeof(cases[0]));
	for (size_t i = 0; i < n; i++) {
		bool found = false;

		for (size_t c = 0; c < n; c++) {
			if (strcmp(d[i].node, cases[c].node) != 0)
				continue;
			found = true;
			if (d[i].seconds < cases[c].seconds - 1e-6 ||
			    d[i].seconds > cases[c].seconds + 1e-6)
				fail_msg("%s: %.6f s, want %.6f", d[i].node, d[i].seconds,
					 cases[c].seconds);
		}
		assert_true(found);
	}
	dla_meta_node_durations_free(d, n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(many_rows_with_arrays, setup, teardown),
		cmocka_unit_test_setup_teardown(many_rows_without_arrays, setup, teardown),
		cmocka_unit_test_setup_teardown(one_row_at_a_time, setup, teardown),
		cmocka_unit_test_setup_teardown(a_failed_batch_writes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(durations_from_every_spelling, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
