/* test_meta.c - metadata tables and the run lock (meta.c) against a real database.
 *
 * By default a SQLite database in a new temporary directory, with the
 * metadata schema attached through the dialect's create_schema.  With
 * DLA_TEST_CONN (an ODBC connection string) and DLA_TEST_DIALECT
 * (postgres) set, the same tests run there, each in a schema of its own
 * that is dropped afterwards (tests/integration/test_meta_pg.sh).
 */
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "db.h"
#include "dialect.h"
#include "load.h"
#include "meta.h"
#include "stmts.h"

struct fixture {
	const struct dla_dialect *dialect;
	const char *conn_base;   /* DLA_TEST_CONN, or NULL for SQLite */
	char dir[256];           /* SQLite: the temporary directory */
	char conn[1024];
	char schema[64];
	struct dla_db *db;       /* first connection */
	struct dla_db *db2;      /* a second process, so to speak */
	struct dla_meta meta, meta2;
};

static void must(enum dla_code code, const struct dla_db_error *err, const char *what)
{
	if (code != DLA_OK)
		fail_msg("%s: %s: %s", what, dla_strerror(code), err->message);
}

static void exec_sql(struct dla_db *db, const char *sql)
{
	struct dla_db_error err;

	must(dla_db_exec(db, sql, NULL, 0, NULL, &err), &err, sql);
}

/* A new connection with the session set up and the schema usable. */
static struct dla_db *open_db(struct fixture *f)
{
	struct dla_stmts setup = DLA_STMTS_INIT;
	struct dla_buf schema = DLA_BUF_INIT;
	struct dla_db_error err;
	struct dla_db *db;

	must(dla_db_connect(f->conn, &db, &err), &err, "connect");
	f->dialect->session_setup(&setup);
	for (size_t i = 0; i < setup.n; i++)
		exec_sql(db, setup.items[i].sql);
	dla_stmts_release(&setup);
	f->dialect->create_schema(&schema, f->schema, f->dir);
	exec_sql(db, schema.buf);
	dla_buf_release(&schema);
	return db;
}

static int setup(void **state)
{
	static int counter;
	struct fixture *f = calloc(1, sizeof(*f));
	const char *dialect = getenv("DLA_TEST_DIALECT");

	assert_non_null(f);
	f->conn_base = getenv("DLA_TEST_CONN");
	if (f->conn_base && !*f->conn_base)
		f->conn_base = NULL;
	f->dialect = dla_dialect_find(f->conn_base && dialect ? dialect : "sqlite");
	if (!f->dialect)
		fail_msg("unknown DLA_TEST_DIALECT '%s'", dialect);
	if (f->conn_base) {
		snprintf(f->conn, sizeof(f->conn), "%s", f->conn_base);
		snprintf(f->schema, sizeof(f->schema), "dla_meta_test_%ld_%d",
			 (long)getpid(), ++counter);
	} else {
		snprintf(f->dir, sizeof(f->dir), "%s/dla_test_meta_XXXXXX",
			 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
		if (!mkdtemp(f->dir))
			fail_msg("mkdtemp failed");
		snprintf(f->conn, sizeof(f->conn), "Driver=SQLite3;Database=%s/w.db", f->dir);
		snprintf(f->schema, sizeof(f->schema), "dla_meta");
	}
	f->db = open_db(f);
	f->db2 = open_db(f);
	f->meta = (struct dla_meta){ f->db, f->dialect, f->schema };
	f->meta2 = (struct dla_meta){ f->db2, f->dialect, f->schema };
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[600];

	dla_db_close(f->db2);
	if (f->conn_base) {
		char sql[128];

		snprintf(sql, sizeof(sql), "DROP SCHEMA IF EXISTS %s CASCADE", f->schema);
		exec_sql(f->db, sql);
	} else {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", f->dir);
	}
	dla_db_close(f->db);
	free(f);
	return 0;
}

/* The single value of a query with params (NULL for SQL NULL); caller frees. */
static char *value(struct dla_db *db, const char *sql, const char *const *params,
		   size_t n)
{
	struct dla_db_result *r;
	struct dla_db_error err;
	char *v;

	must(dla_db_query(db, sql, params, n, &r, &err), &err, sql);
	if (r->n_rows != 1)
		fail_msg("%s: %zu rows, want 1", sql, r->n_rows);
	v = dla_db_cell(r, 0, 0) ? strdup(dla_db_cell(r, 0, 0)) : NULL;
	dla_db_result_free(r);
	return v;
}

/* value() of "SELECT <what> FROM <schema>.<table> <where>". */
static char *meta_value(struct fixture *f, const char *what, const char *table,
			const char *where, const char *param)
{
	char sql[512];
	const char *params[] = { param };

	snprintf(sql, sizeof(sql), "SELECT %s FROM %s.%s %s", what, f->schema, table,
		 where ? where : "");
	return value(f->db, sql, params, param ? 1 : 0);
}

static void assert_meta_value(struct fixture *f, const char *what, const char *table,
			      const char *where, const char *param, const char *want)
{
	char *got = meta_value(f, what, table, where, param);

	if (!want || !got) {
		if (want != got)
			fail_msg("%s of %s: want %s, got %s", what, table,
				 want ? want : "NULL", got ? got : "NULL");
	} else if (strcmp(want, got) != 0) {
		fail_msg("%s of %s: want '%s', got '%s'", what, table, want, got);
	}
	free(got);
}

/* Timestamps come back in the engine's spelling: compare canonically. */
static void assert_meta_time(struct fixture *f, const char *what, const char *table,
			     const char *where, const char *param, const char *want)
{
	char *got = meta_value(f, what, table, where, param);
	char canon[32];

	if (!got || !dla_time_parse(got, canon))
		fail_msg("%s of %s: '%s' is not a timestamp", what, table, got ? got : "NULL");
	if (strcmp(canon, want) != 0)
		fail_msg("%s of %s: want '%s', got '%s'", what, table, want, canon);
	free(got);
}

static void start_run(struct fixture *f, const char *run_id)
{
	struct dla_db_error err;
	struct dla_run_row run = {
		.run_id = run_id, .project = "ticketing", .target = "local",
		.command = "run", .selector = "+fact_sales", .as_of = "2026-01-02 03:04:05",
		.started_at = "2026-01-02 03:04:06.25", .dla_version = "0.1.0",
	};

	must(dla_meta_run_start(&f->meta, &run, &err), &err, "run start");
}

static void ensure(struct fixture *f)
{
	struct dla_db_error err;

	must(dla_meta_ensure(&f->meta, &err), &err, "ensure");
}

/* ---- tests ---- */

static void ensure_creates_version_1_idempotently(void **state)
{
	struct fixture *f = *state;
	struct dla_db_error err;
	static const char *const tables[] = {
		"dla_run", "dla_node_run", "dla_lineage", "dla_lock", "dla_test_result",
		"dla_last_load", "dla_run_history", "dla_lineage_edges", "dla_last_test",
	};

	ensure(f);
	must(dla_meta_ensure(&f->meta2, &err), &err, "ensure again");
	assert_false(dla_db_in_transaction(f->db));
	assert_meta_value(f, "MAX(version)", "dla_schema_version", NULL, NULL, "2");
	assert_meta_value(f, "COUNT(*)", "dla_schema_version", NULL, NULL, "1");
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
		assert_meta_value(f, "COUNT(*)", tables[i], NULL, NULL, "0");
}

/* The dialect's columns_query and parse_type against the real engine. */
static void columns_read_back_with_their_types(void **state)
{
	static const struct { const char *name; enum dla_type type; } want[] = {
		{ "run_id", DLA_TYPE_TEXT }, { "node", DLA_TYPE_TEXT },
		{ "kind", DLA_TYPE_TEXT }, { "status", DLA_TYPE_TEXT },
		{ "started_at", DLA_TYPE_TIMESTAMP }, { "finished_at", DLA_TYPE_TIMESTAMP },
		{ "rows_inserted", DLA_TYPE_INTEGER }, { "rows_updated", DLA_TYPE_INTEGER },
		{ "rows_expired", DLA_TYPE_INTEGER }, { "rows_deleted", DLA_TYPE_INTEGER },
		{ "message", DLA_TYPE_TEXT }, { "queued_at", DLA_TYPE_TIMESTAMP },
		{ "db_seconds", DLA_TYPE_FLOAT }, { "rows_inferred", DLA_TYPE_INTEGER },
	};
	struct fixture *f = *state;
	struct dla_buf q = DLA_BUF_INIT;
	struct dla_db_result *r;
	struct dla_db_error err;

	ensure(f);
	f->dialect->columns_query(&q, f->schema, "dla_node_run");
	must(dla_db_query(f->db, q.buf, NULL, 0, &r, &err), &err, q.buf);
	assert_int_equal(r->n_rows, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < r->n_rows; i++) {
		struct dla_coltype t, declared = { want[i].type, 0, 0 };

		assert_string_equal(dla_db_cell(r, i, 0), want[i].name);
		assert_true(f->dialect->parse_type(dla_db_cell(r, i, 1), &t));
		if (!f->dialect->type_compatible(&t, &declared))
			fail_msg("column %s: '%s' is not compatible with what was declared",
				 want[i].name, dla_db_cell(r, i, 1));
	}
	dla_db_result_free(r);
	dla_buf_reset(&q);
	f->dialect->columns_query(&q, f->schema, "no_such_table");
	must(dla_db_query(f->db, q.buf, NULL, 0, &r, &err), &err, q.buf);
	assert_int_equal(r->n_rows, 0);
	dla_db_result_free(r);
	dla_buf_release(&q);
}

static void run_start_and_finish(void **state)
{
	struct fixture *f = *state;
	struct dla_db_error err;
	const char *run_id = "20260102T030406250000Z-42";

	ensure(f);
	start_run(f, run_id);
	assert_meta_value(f, "status", "dla_run", "WHERE run_id = ?", run_id, "running");
	assert_meta_value(f, "selector", "dla_run", "WHERE run_id = ?", run_id, "+fact_sales");
	assert_meta_value(f, "retry_of", "dla_run", "WHERE run_id = ?", run_id, NULL);
	assert_meta_value(f, "finished_at", "dla_run", "WHERE run_id = ?", run_id, NULL);
	assert_meta_time(f, "as_of", "dla_run", "WHERE run_id = ?", run_id,
			 "2026-01-02 03:04:05");
	assert_meta_time(f, "started_at", "dla_run", "WHERE run_id = ?", run_id,
			 "2026-01-02 03:04:06.25");
	/* a run id is unique */
	{
		struct dla_run_row again = { .run_id = run_id, .project = "x" };

		assert_int_equal(dla_meta_run_start(&f->meta, &again, &err), DLA_ERR_DB);
	}
	must(dla_meta_run_finish(&f->meta, run_id, "success", "2026-01-02 03:05:00.000001",
				 NULL, &err), &err, "finish");
	assert_meta_value(f, "status", "dla_run", "WHERE run_id = ?", run_id, "success");
	assert_meta_time(f, "finished_at", "dla_run", "WHERE run_id = ?", run_id,
			 "2026-01-02 03:05:00.000001");
	assert_int_equal(dla_meta_run_finish(&f->meta, "no-such-run", "failed",
					     "2026-01-02 03:05:00", "x", &err), DLA_ERR_DB);
	assert_non_null(strstr(err.message, "no-such-run"));
}

static void node_record_binds_every_value(void **state)
{
	struct fixture *f = *state;
	struct dla_db_error err;
	const char *run_id = "20260102T030406250000Z-43";
	const char *message = "duplicate key 'O''Brien' in \"dim_customer\";\n"
			      "second line \\ with a backslash, ?, and Grüße -- not a comment";
	struct dla_node_row row = {
		.run_id = run_id, .node = "dim_customer", .kind = "dimension",
		.status = "failed", .started_at = "2026-01-02 03:04:07",
		.finished_at = "2026-01-02 03:04:09.5", .queued_at = "2026-01-02 03:04:06.25",
		.rows_inserted = 12, .rows_updated = 3, .rows_expired = 2,
		.rows_deleted = 0, .rows_inferred = 1, .db_seconds = 1.25,
		.message = message,
	};
	char *seconds;

	ensure(f);
	start_run(f, run_id);
	must(dla_meta_node_record(&f->meta, &row, &err), &err, "node record");
	assert_meta_value(f, "message", "dla_node_run", "WHERE node = ?", "dim_customer",
			  message);
	assert_meta_value(f, "status", "dla_node_run", "WHERE node = ?", "dim_customer",
			  "failed");
	assert_meta_value(f, "rows_inserted + rows_updated + rows_expired + rows_deleted",
			  "dla_node_run", "WHERE node = ?", "dim_customer", "17");
	assert_meta_value(f, "rows_inferred", "dla_node_run", "WHERE node = ?",
			  "dim_customer", "1");
	assert_meta_time(f, "finished_at", "dla_node_run", "WHERE node = ?",
			 "dim_customer", "2026-01-02 03:04:09.5");
	assert_meta_time(f, "queued_at", "dla_node_run", "WHERE node = ?",
			 "dim_customer", "2026-01-02 03:04:06.25");
	seconds = meta_value(f, "db_seconds", "dla_node_run", "WHERE node = ?", "dim_customer");
	assert_true(strtod(seconds, NULL) == 1.25);
	free(seconds);

	/* a successful node has no message */
	row.node = "fact_sales";
	row.status = "success";
	row.message = NULL;
	must(dla_meta_node_record(&f->meta, &row, &err), &err, "node record");
	assert_meta_value(f, "message", "dla_node_run", "WHERE node = ?", "fact_sales", NULL);
	assert_meta_value(f, "COUNT(*)", "dla_node_run", "WHERE run_id = ?", run_id, "2");
}

/* A node row with the given status and times. */
static void record_node(struct fixture *f, const char *run_id, const char *node,
			const char *status, const char *started, const char *finished)
{
	struct dla_db_error err;
	struct dla_node_row row = {
		.run_id = run_id, .node = node, .kind = "view", .status = status,
		.started_at = started, .finished_at = finished, .queued_at = started,
	};

	must(dla_meta_node_record(&f->meta, &row, &err), &err, "node record");
}

static void start_run_as(struct fixture *f, const char *run_id, const char *command,
			 const char *as_of, const char *selector, const char *retry_of)
{
	struct dla_db_error err;
	struct dla_run_row run = {
		.run_id = run_id, .project = "ticketing", .target = "local",
		.command = command, .selector = selector, .as_of = as_of,
		.started_at = "2026-01-02 03:04:06", .dla_version = "0.1.0",
		.retry_of = retry_of,
	};

	must(dla_meta_run_start(&f->meta, &run, &err), &err, "run start");
}

/* Durations of successful nodes of the last N runs; runs found by id, by
 * as-of and latest; a run's node rows (for dla retry). */
static void runs_read_back(void **state)
{
	struct fixture *f = *state;
	struct dla_node_duration *d;
	struct dla_run_info info;
	struct dla_db_result *r;
	struct dla_db_error err;
	size_t n;
	bool found;

	ensure(f);
	must(dla_meta_run_find(&f->meta, "ticketing", NULL, NULL, &info, &found, &err),
	     &err, "find in empty");
	assert_false(found);
	start_run_as(f, "r1", "run", "2026-01-01 00:00:00", NULL, NULL);
	record_node(f, "r1", "v_a", "success", "2026-01-01 00:00:01",
		    "2026-01-01 00:00:03.5");
	record_node(f, "r1", "v_b", "failed", "2026-01-01 00:00:01", "2026-01-01 00:00:09");
	start_run_as(f, "r2", "retry", "2026-01-01 00:00:00", "--select v_b", "r1");
	record_node(f, "r2", "v_b", "success", "2026-01-01 00:01:00", "2026-01-01 00:01:02");
	start_run_as(f, "r3", "run", "2026-01-02 00:00:00", "--select tag:x --exclude v_c",
		     NULL);
	start_run_as(f, "r4", "test", "2026-01-02 00:00:00", NULL, NULL);

	must(dla_meta_node_durations(&f->meta, 20, &d, &n, &err), &err, "durations");
	assert_int_equal(n, 2);
	assert_string_equal(d[0].node, "v_b");     /* newest run first */
	assert_true(d[0].seconds > 1.999 && d[0].seconds < 2.001);
	assert_string_equal(d[1].node, "v_a");
	assert_true(d[1].seconds > 2.499 && d[1].seconds < 2.501);
	dla_meta_node_durations_free(d, n);
	must(dla_meta_node_durations(&f->meta, 2, &d, &n, &err), &err, "durations");
	assert_int_equal(n, 0);                    /* r3 and r4 ran nothing */
	dla_meta_node_durations_free(d, n);

	/* latest run or retry of the project: r3 (r4 is another command) */
	must(dla_meta_run_find(&f->meta, "ticketing", NULL, NULL, &info, &found, &err),
	     &err, "latest");
	assert_true(found);
	assert_string_equal(info.run_id, "r3");
	assert_string_equal(info.status, "running");
	assert_string_equal(info.selector, "--select tag:x --exclude v_c");
	assert_string_equal(info.as_of, "2026-01-02 00:00:00");
	dla_meta_run_info_release(&info);
	must(dla_meta_run_find(&f->meta, "ticketing", NULL, "2026-01-01T00:00:00Z", &info,
			       &found, &err), &err, "by as-of");
	assert_true(found);
	assert_string_equal(info.run_id, "r2");
	assert_string_equal(info.command, "retry");
	assert_string_equal(info.retry_of, "r1");
	dla_meta_run_info_release(&info);
	must(dla_meta_run_find(&f->meta, "ticketing", NULL, "2025-01-01 00:00:00", &info,
			       &found, &err), &err, "unknown as-of");
	assert_false(found);
	must(dla_meta_run_find(&f->meta, "other", NULL, NULL, &info, &found, &err),
	     &err, "other project");
	assert_false(found);
	must(dla_meta_run_find(&f->meta, "ticketing", "r1", NULL, &info, &found, &err),
	     &err, "by id");
	assert_true(found);
	assert_null(info.selector);
	assert_string_equal(info.retry_of, "");
	dla_meta_run_info_release(&info);
	assert_int_equal(dla_meta_run_find(&f->meta, "ticketing", NULL, "not a time",
					   &info, &found, &err), DLA_ERR_USAGE);

	must(dla_meta_run_nodes(&f->meta, "r1", &r, &err), &err, "run nodes");
	assert_int_equal(r->n_rows, 2);
	assert_string_equal(dla_db_cell(r, 0, 0), "v_a");
	assert_string_equal(dla_db_cell(r, 0, 1), "success");
	assert_string_equal(dla_db_cell(r, 1, 1), "failed");
	dla_db_result_free(r);
}

static void lineage_records_edges(void **state)
{
	struct fixture *f = *state;
	struct dla_db_error err;
	const char *run_id = "20260102T030406250000Z-44";

	ensure(f);
	must(dla_meta_lineage_record(&f->meta, run_id, "dim_customer", "staging.customer",
				     "presentation.dim_customer", &err), &err, "lineage");
	must(dla_meta_lineage_record(&f->meta, run_id, "dim_customer", "dla_views.v_customer",
				     "presentation.dim_customer", &err), &err, "lineage");
	assert_meta_value(f, "COUNT(*)", "dla_lineage", "WHERE run_id = ?", run_id, "2");
	assert_meta_value(f, "MIN(input_relation)", "dla_lineage", "WHERE run_id = ?",
			  run_id, "dla_views.v_customer");
	assert_meta_value(f, "MAX(output_relation)", "dla_lineage", "WHERE run_id = ?",
			  run_id, "presentation.dim_customer");
}

static bool pid_alive(long pid, void *ctx)
{
	const long *dead = ctx;

	return pid != *dead;
}

static void lock_is_exclusive_until_released(void **state)
{
	struct fixture *f = *state;
	struct dla_lock_holder holder;
	struct dla_db_error err;
	char took_over[64] = "x";
	long dead = -1;
	const char *now = "2026-01-02 03:04:05";

	ensure(f);
	must(dla_meta_lock_acquire(&f->meta, "run_a", "host1", 100, now, 600, pid_alive,
				   &dead, &holder, took_over, &err), &err, "acquire a");
	assert_string_equal(took_over, "");
	/* the same run again: it holds it */
	must(dla_meta_lock_acquire(&f->meta, "run_a", "host1", 100, now, 600, pid_alive,
				   &dead, &holder, took_over, &err), &err, "acquire a again");

	/* another run, from the other connection, sees the holder at once */
	assert_int_equal(dla_meta_lock_acquire(&f->meta2, "run_b", "host2", 200,
					       "2026-01-02 03:10:00", 600, pid_alive,
					       &dead, &holder, took_over, &err),
			 DLA_ERR_LOCKED);
	assert_string_equal(holder.run_id, "run_a");
	assert_string_equal(holder.host, "host1");
	assert_int_equal(holder.pid, 100);
	assert_string_equal(holder.acquired_at, "2026-01-02 03:04:05");
	assert_string_equal(holder.expires_at, "2026-01-02 03:14:05");
	assert_string_equal(took_over, "");
	assert_non_null(strstr(err.message, "run_a"));
	assert_meta_value(f, "COUNT(*)", "dla_lock", NULL, NULL, "1");
	{
		/* read without taking (naming the holder of the advisory lock) */
		struct dla_lock_holder seen;
		bool found = false;

		must(dla_meta_lock_holder(&f->meta2, &seen, &found, &err), &err, "holder");
		assert_true(found);
		assert_string_equal(seen.run_id, "run_a");
		assert_string_equal(seen.host, "host1");
		assert_int_equal(seen.pid, 100);
		assert_string_equal(seen.acquired_at, "2026-01-02 03:04:05");
		assert_string_equal(seen.expires_at, "2026-01-02 03:14:05");
		assert_meta_value(f, "COUNT(*)", "dla_lock", NULL, NULL, "1");
	}

	/* renew moves the lease: b still locked out after the old expiry */
	must(dla_meta_lock_renew(&f->meta, "run_a", "2026-01-02 03:10:00", 600, &err),
	     &err, "renew");
	assert_int_equal(dla_meta_lock_acquire(&f->meta2, "run_b", "host2", 200,
					       "2026-01-02 03:15:00", 600, NULL, NULL,
					       &holder, took_over, &err),
			 DLA_ERR_LOCKED);
	assert_string_equal(holder.expires_at, "2026-01-02 03:20:00");

	/* release by someone else does nothing; by the holder frees it */
	must(dla_meta_lock_release(&f->meta2, "run_b", &err), &err, "release b");
	assert_meta_value(f, "COUNT(*)", "dla_lock", NULL, NULL, "1");
	must(dla_meta_lock_release(&f->meta, "run_a", &err), &err, "release a");
	assert_meta_value(f, "COUNT(*)", "dla_lock", NULL, NULL, "0");
	{
		struct dla_lock_holder seen;
		bool found = true;

		must(dla_meta_lock_holder(&f->meta2, &seen, &found, &err), &err, "no holder");
		assert_false(found);
		assert_string_equal(seen.run_id, "");
	}
	must(dla_meta_lock_acquire(&f->meta2, "run_b", "host2", 200, "2026-01-02 03:16:00",
				   600, NULL, NULL, &holder, took_over, &err), &err,
	     "acquire b after release");
	assert_string_equal(took_over, "");
	/* a's renewal now fails: it lost the lock */
	assert_int_equal(dla_meta_lock_renew(&f->meta, "run_a", "2026-01-02 03:16:00",
					     600, &err), DLA_ERR_LOCKED);
}

static void expired_lease_is_taken_over(void **state)
{
	struct fixture *f = *state;
	struct dla_lock_holder holder;
	struct dla_db_error err;
	char took_over[64];
	long dead = -1;
	char *message;

	ensure(f);
	start_run(f, "run_old");
	start_run(f, "run_done");
	must(dla_meta_run_finish(&f->meta, "run_done", "success", "2026-01-02 03:04:05",
				 NULL, &err), &err, "finish");
	must(dla_meta_lock_acquire(&f->meta, "run_old", "host1", 100, "2026-01-02 03:00:00",
				   60, pid_alive, &dead, &holder, took_over, &err), &err,
	     "acquire old");
	/* the lease is still valid at its last microsecond ... */
	assert_int_equal(dla_meta_lock_acquire(&f->meta2, "run_new", "host2", 200,
					       "2026-01-02 03:01:00", 60, pid_alive, &dead,
					       &holder, took_over, &err),
			 DLA_ERR_LOCKED);
	/* ... and expired after it */
	must(dla_meta_lock_acquire(&f->meta2, "run_new", "host2", 200,
				   "2026-01-02T03:01:00.000001Z", 60, pid_alive, &dead,
				   &holder, took_over, &err), &err, "take over");
	assert_string_equal(took_over, "run_old");
	assert_meta_value(f, "run_id", "dla_lock", NULL, NULL, "run_new");
	assert_meta_value(f, "holder_host", "dla_lock", NULL, NULL, "host2");
	assert_meta_value(f, "holder_pid", "dla_lock", NULL, NULL, "200");
	assert_meta_time(f, "expires_at", "dla_lock", NULL, NULL,
			 "2026-01-02 03:02:00.000001");
	assert_meta_value(f, "status", "dla_run", "WHERE run_id = ?", "run_old", "failed");
	message = meta_value(f, "message", "dla_run", "WHERE run_id = ?", "run_old");
	assert_string_equal(message, "lease expired: run did not finish");
	free(message);
	assert_meta_time(f, "finished_at", "dla_run", "WHERE run_id = ?", "run_old",
			 "2026-01-02 03:01:00.000001");
	/* a finished run is left alone */
	assert_meta_value(f, "status", "dla_run", "WHERE run_id = ?", "run_done", "success");
	/* the old run's renewal and release fail / do nothing */
	assert_int_equal(dla_meta_lock_renew(&f->meta, "run_old", "2026-01-02 03:01:01",
					     60, &err), DLA_ERR_LOCKED);
	must(dla_meta_lock_release(&f->meta, "run_old", &err), &err, "release old");
	assert_meta_value(f, "run_id", "dla_lock", NULL, NULL, "run_new");
}

static void dead_holder_on_this_host_is_taken_over(void **state)
{
	struct fixture *f = *state;
	struct dla_lock_holder holder;
	struct dla_db_error err;
	char took_over[64];
	long dead = 100;
	char *message;

	ensure(f);
	start_run(f, "run_crashed");
	must(dla_meta_lock_acquire(&f->meta, "run_crashed", "host1", 100,
				   "2026-01-02 03:00:00", 3600, NULL, NULL, &holder,
				   took_over, &err), &err, "acquire");
	/* another host cannot tell whether pid 100 lives: it waits */
	assert_int_equal(dla_meta_lock_acquire(&f->meta2, "run_other", "host2", 100,
					       "2026-01-02 03:00:10", 3600, pid_alive,
					       &dead, &holder, took_over, &err),
			 DLA_ERR_LOCKED);
	/* on host1 the process is gone: taken over at once */
	must(dla_meta_lock_acquire(&f->meta2, "run_next", "host1", 300,
				   "2026-01-02 03:00:10", 3600, pid_alive, &dead, &holder,
				   took_over, &err), &err, "take over");
	assert_string_equal(took_over, "run_crashed");
	assert_meta_value(f, "run_id", "dla_lock", NULL, NULL, "run_next");
	assert_meta_value(f, "status", "dla_run", "WHERE run_id = ?", "run_crashed", "failed");
	message = meta_value(f, "message", "dla_run", "WHERE run_id = ?", "run_crashed");
	assert_string_equal(message, "holder process 100 on 'host1' is gone");
	free(message);
	/* a live holder on this host is respected */
	assert_int_equal(dla_meta_lock_acquire(&f->meta, "run_late", "host1", 400,
					       "2026-01-02 03:00:20", 3600, pid_alive,
					       &dead, &holder, took_over, &err),
			 DLA_ERR_LOCKED);
	assert_string_equal(holder.run_id, "run_next");
}

static void bad_input_is_reported(void **state)
{
	struct fixture *f = *state;
	struct dla_meta missing = { f->db, f->dialect, "no_such_schema" };
	struct dla_db_error err;

	ensure(f);
	assert_int_equal(dla_meta_ensure(&missing, &err), DLA_ERR_DB);
	assert_false(dla_db_in_transaction(f->db));
	assert_int_equal(dla_meta_lock_acquire(&f->meta, "r", "h", 1, "yesterday", 60,
					       NULL, NULL, NULL, NULL, &err), DLA_ERR_USAGE);
	assert_non_null(strstr(err.message, "yesterday"));
	assert_int_equal(dla_meta_lock_renew(&f->meta, "r", "2026-02-30", 60, &err),
			 DLA_ERR_USAGE);
	/* NULL holder / took_over / err are fine */
	assert_int_equal(dla_meta_lock_acquire(&f->meta, "r", "h", 1, "2026-01-02", 60,
					       NULL, NULL, NULL, NULL, NULL), DLA_OK);
}

static void run_sql(struct fixture *f, const char *sql)
{
	exec_sql(f->db, sql);
}

static char *query_one(struct fixture *f, const char *sql)
{
	return value(f->db, sql, NULL, 0);
}

/* The dialect's SQL, run on the real engine (SQLite, or DLA_TEST_CONN). */
static void dialect_sql_runs_on_the_engine(void **state)
{
	struct fixture *f = *state;
	const struct dla_dialect *d = f->dialect;
	struct dla_buf b = DLA_BUF_INIT;
	struct dla_coltype text = { DLA_TYPE_TEXT, 0, 0 }, integer = { DLA_TYPE_INTEGER, 0, 0 },
		money = { DLA_TYPE_DECIMAL, 10, 2 }, flag = { DLA_TYPE_BOOLEAN, 0, 0 },
		day = { DLA_TYPE_DATE, 0, 0 }, ts = { DLA_TYPE_TIMESTAMP, 0, 0 },
		real = { DLA_TYPE_FLOAT, 0, 0 };
	char views[80], now[32], canon[32];
	struct dla_db_column *cols;
	struct dla_db_error err;
	size_t n_cols;
	char *v;

	/* a table with every type, and a row of literals */
	dla_buf_addf(&b, "CREATE TABLE %s.t (id ", f->schema);
	d->type_name(&b, &integer);
	dla_buf_adds(&b, ", name ");
	d->type_name(&b, &text);
	dla_buf_adds(&b, ", amount ");
	d->type_name(&b, &money);
	dla_buf_adds(&b, ", ok ");
	d->type_name(&b, &flag);
	dla_buf_adds(&b, ", d ");
	d->type_name(&b, &day);
	dla_buf_adds(&b, ", ts ");
	d->type_name(&b, &ts);
	dla_buf_adds(&b, ", f ");
	d->type_name(&b, &real);
	dla_buf_adds(&b, ")");
	run_sql(f, b.buf);
	dla_buf_reset(&b);
	dla_buf_addf(&b, "INSERT INTO %s.t VALUES (1, ", f->schema);
	d->quote_literal(&b, "it's");
	dla_buf_addf(&b, ", 12.50, %s, ", d->true_literal);
	d->quote_literal(&b, "2026-01-02");
	dla_buf_adds(&b, ", ");
	d->timestamp_literal(&b, "2026-01-02 03:04:05.25");
	dla_buf_adds(&b, ", 0.5)");
	run_sql(f, b.buf);
	dla_buf_reset(&b);
	dla_buf_adds(&b, "SELECT name FROM ");
	d->relation(&b, f->schema, "t");
	dla_buf_addf(&b, " WHERE ok = %s AND ", d->true_literal);
	d->cast_timestamp(&b, "ts");
	dla_buf_adds(&b, " < ");
	d->timestamp_literal(&b, "2026-01-02 03:04:05.250001");
	dla_buf_adds(&b, " AND ");
	d->null_safe_distinct(&b, "name", "NULL");
	dla_buf_adds(&b, " AND NOT ");
	d->null_safe_distinct(&b, "NULL", "NULL");
	dla_buf_adds(&b, " AND NOT ");
	d->null_safe_distinct(&b, "name", "name");
	v = query_one(f, b.buf);
	assert_string_equal(v, "it's");
	free(v);

	/* a new column, then the columns read back */
	dla_buf_reset(&b);
	d->add_column(&b, f->schema, "t", "extra", &text);
	run_sql(f, b.buf);
	dla_buf_reset(&b);
	d->columns_query(&b, f->schema, "t");
	{
		static const enum dla_type want[] = {
			DLA_TYPE_INTEGER, DLA_TYPE_TEXT, DLA_TYPE_DECIMAL, DLA_TYPE_BOOLEAN,
			DLA_TYPE_DATE, DLA_TYPE_TIMESTAMP, DLA_TYPE_FLOAT, DLA_TYPE_TEXT,
		};
		struct dla_db_result *r;

		must(dla_db_query(f->db, b.buf, NULL, 0, &r, &err), &err, b.buf);
		assert_int_equal(r->n_rows, 8);
		assert_string_equal(dla_db_cell(r, 7, 0), "extra");
		for (size_t i = 0; i < 8; i++) {
			struct dla_coltype got, declared = { want[i], 0, 0 };

			assert_true(d->parse_type(dla_db_cell(r, i, 1), &got));
			if (want[i] == DLA_TYPE_DECIMAL)
				declared = money;
			if (!d->type_compatible(&got, &declared))
				fail_msg("column %zu: '%s' reads back incompatible", i,
					 dla_db_cell(r, i, 1));
		}
		dla_db_result_free(r);
	}

	/* a view in the views schema, replaced, described, dropped */
	snprintf(views, sizeof(views), "%s_v", f->schema);
	dla_buf_reset(&b);
	d->create_schema(&b, views, f->dir);
	run_sql(f, b.buf);
	for (int round = 0; round < 2; round++) {
		char select[160];

		snprintf(select, sizeof(select), "SELECT id, name, amount FROM %s.t;\n",
			 f->schema);
		if (d->views_per_connection || round == 1) {
			dla_buf_reset(&b);
			d->drop_view(&b, views, "v_t");
			run_sql(f, b.buf);
		}
		dla_buf_reset(&b);
		d->create_view(&b, views, "v_t", select);
		run_sql(f, b.buf);
	}
	dla_buf_reset(&b);
	dla_buf_adds(&b, "SELECT id, name FROM ");
	d->view_relation(&b, views, "v_t");
	must(dla_db_describe(f->db, b.buf, &cols, &n_cols, &err), &err, b.buf);
	assert_int_equal(n_cols, 2);
	{
		struct dla_coltype t0, t1;

		d->from_odbc(&cols[0], &t0);
		d->from_odbc(&cols[1], &t1);
		assert_int_equal(t0.type, DLA_TYPE_INTEGER);
		assert_int_equal(t1.type, DLA_TYPE_TEXT);
	}
	dla_db_columns_free(cols, n_cols);
	v = query_one(f, b.buf);
	assert_string_equal(v, "1");
	free(v);
	dla_buf_reset(&b);
	d->drop_view(&b, views, "v_t");
	run_sql(f, b.buf);
	run_sql(f, b.buf);      /* IF EXISTS */

	/* a temporary table, dropped twice */
	dla_buf_reset(&b);
	dla_buf_addf(&b, "SELECT id FROM %s.t", f->schema);
	{
		char select[128];

		snprintf(select, sizeof(select), "%s", b.buf);
		dla_buf_reset(&b);
		d->create_temp_table_as(&b, "dla_tmp_t", select);
	}
	run_sql(f, b.buf);
	v = query_one(f, "SELECT COUNT(*) FROM dla_tmp_t");
	assert_string_equal(v, "1");
	free(v);
	dla_buf_reset(&b);
	d->drop_temp_table(&b, "dla_tmp_t");
	run_sql(f, b.buf);
	run_sql(f, b.buf);

	/* the engine's clock is UTC */
	dla_buf_reset(&b);
	dla_buf_adds(&b, "SELECT ");
	d->now_utc(&b);
	v = query_one(f, b.buf);
	assert_true(dla_time_parse(v, canon));
	dla_time_now(now);
	if (strncmp(canon, now, 13) != 0)   /* same UTC hour, give or take */
		assert_int_equal(strncmp(canon, now, 10), 0);
	free(v);

	/* a query tag or an advisory lock where the engine has them */
	dla_buf_reset(&b);
	d->set_query_tag(&b, "dla:r:n");
	if (b.len)
		run_sql(f, b.buf);
	dla_buf_reset(&b);
	d->try_advisory_lock(&b, 4242);
	if (b.len) {
		v = query_one(f, b.buf);
		assert_non_null(v);
		free(v);
	}

	if (f->conn_base) {
		dla_buf_reset(&b);
		dla_buf_addf(&b, "DROP SCHEMA %s CASCADE", views);
		run_sql(f, b.buf);
	}
	dla_buf_release(&b);
}

/* Every statement meta.c runs, for each dialect; the Snowflake ones go to
 * $DLA_SQLGLOT_DIR/meta/statements.sql (default build/sqlglot) for
 * tests/golden/sqlglot_run.sh. */
static void statements_are_listed_for_every_dialect(void **state)
{
	const char *dir = getenv("DLA_SQLGLOT_DIR");
	char path[512];
	(void)state;

	if (!dir || !*dir)
		dir = "build/sqlglot";
	for (const char *const *name = dla_dialect_names; *name; name++) {
		const struct dla_dialect *d = dla_dialect_find(*name);
		struct dla_meta m = { NULL, d, "dla_meta" };
		struct dla_stmts list = DLA_STMTS_INIT;
		bool snowflake = strcmp(*name, "snowflake") == 0;
		FILE *out = NULL;

		dla_meta_statements(&m, &list);
		assert_false(dla_stmts_failed(&list));
		assert_int_equal(list.n, 34);   /* + migration 2: dla_test_result, 4 views, test record */
		if (snowflake) {
			snprintf(path, sizeof(path), "mkdir -p '%s/meta'", dir);
			assert_int_equal(system(path), 0);
			snprintf(path, sizeof(path), "%s/meta/statements.sql", dir);
			out = fopen(path, "w");
			assert_non_null(out);
			fprintf(out, "-- generated by tests/unit/test_meta.c: dla_meta_statements\n");
		}
		for (size_t i = 0; i < list.n; i++) {
			assert_true(strstr(list.items[i].sql, "dla_meta.") != NULL);
			if (out)
				fprintf(out, "-- @@\n-- %s\n%s\n", list.items[i].label,
					list.items[i].sql);
		}
		if (snowflake) {
			assert_non_null(strstr(list.items[1].sql,
					       "(run_id VARCHAR NOT NULL, project VARCHAR,"));
			assert_non_null(strstr(list.items[1].sql, "as_of TIMESTAMP_NTZ,"));
			assert_non_null(strstr(list.items[24].sql,
					       "AND expires_at < CAST(? AS TIMESTAMP_NTZ)"));
		}
		if (out)
			assert_int_equal(fclose(out), 0);
		dla_stmts_release(&list);
	}
}

/* dla_key_enforced_unique on the engine: which unique indexes make a
 * business key unique (a load then skips its duplicate-key checks). */
static void unique_keys_read_back(void **state)
{
	static const struct {
		const char *table;
		const char *columns;   /* CREATE TABLE schema.table columns; NULL: none */
		const char *index;     /* CREATE [UNIQUE] INDEX ... ON (index) */
		bool unique_index;
		const char *key[2];
		bool unique;
	} cases[] = {
		{ "u_none", "(k INTEGER, v TEXT)", NULL, false, { "k" }, false },
		{ "u_pk", "(k INTEGER PRIMARY KEY, v TEXT)", NULL, false, { "K" }, true },
		{ "u_pk2", "(a TEXT, b INTEGER, v TEXT, PRIMARY KEY (a, b))", NULL, false,
		  { "b", "a" }, true },
		{ "u_pk2_wide", "(a TEXT, b INTEGER, v TEXT, PRIMARY KEY (a, b))", NULL, false,
		  { "a" }, false },
		{ "u_narrow", "(a TEXT, b INTEGER, v TEXT, UNIQUE (a))", NULL, false,
		  { "a", "b" }, true },
		{ "u_index", "(a TEXT, b INTEGER, v TEXT)", "(b, a)", true, { "a", "b" }, true },
		{ "u_plain", "(a TEXT, b INTEGER, v TEXT)", "(a, b)", false, { "a", "b" }, false },
		{ "u_partial", "(a TEXT, b INTEGER, v TEXT)", "(a) WHERE b > 0", true, { "a" },
		  false },
		{ "u_text_pk", "(k TEXT PRIMARY KEY, v TEXT)", NULL, false, { "k" }, true },
		{ "u_missing", NULL, NULL, false, { "k" }, false },
	};
	struct fixture *f = *state;
	const struct dla_dialect *d = f->dialect;
	bool sqlite = !strcmp(d->name, "sqlite");
	struct dla_db_error err;

	ensure(f);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dla_buf sql = DLA_BUF_INIT;
		size_t n_key = cases[i].key[1] ? 2 : 1;
		bool unique = !cases[i].unique;

		if (cases[i].columns) {
			dla_buf_addf(&sql, "CREATE TABLE %s.%s %s", f->schema, cases[i].table,
				     cases[i].columns);
			run_sql(f, sql.buf);
		}
		if (cases[i].index) {
			/* SQLite names the index's schema, PostgreSQL the table's */
			dla_buf_reset(&sql);
			dla_buf_addf(&sql, "CREATE %sINDEX %s%s%s_ux ON %s%s%s %s",
				     cases[i].unique_index ? "UNIQUE " : "",
				     sqlite ? f->schema : "", sqlite ? "." : "", cases[i].table,
				     sqlite ? "" : f->schema, sqlite ? "" : ".", cases[i].table,
				     cases[i].index);
			run_sql(f, sql.buf);
		}
		dla_buf_release(&sql);
		must(dla_key_enforced_unique(f->db, d, f->schema, cases[i].table, cases[i].key,
					     n_key, &unique, &err), &err, cases[i].table);
		if (unique != cases[i].unique)
			fail_msg("%s: key %s%s%s: unique = %d, want %d", cases[i].table,
				 cases[i].key[0], n_key > 1 ? ", " : "",
				 n_key > 1 ? cases[i].key[1] : "", unique, cases[i].unique);
	}
}

/* The dialect's stale_stats_query and analyze_table on the engine (only
 * where it has them: PostgreSQL).  Counts reach pg_stat_user_tables when
 * the writer flushes them: pg_stat_force_next_flush() makes that now. */
static bool stats_stale(struct fixture *f, const char *table)
{
	struct dla_buf q = DLA_BUF_INIT;
	struct dla_db_result *r;
	struct dla_db_error err;
	bool stale;

	run_sql(f, "SELECT pg_stat_force_next_flush()");
	f->dialect->stale_stats_query(&q, f->schema, table);
	must(dla_db_query(f->db, q.buf, NULL, 0, &r, &err), &err, q.buf);
	stale = r->n_rows > 0;
	dla_db_result_free(r);
	dla_buf_release(&q);
	return stale;
}

static void stale_statistics_are_found(void **state)
{
	struct fixture *f = *state;
	const struct dla_dialect *d = f->dialect;
	struct dla_buf sql = DLA_BUF_INIT, analyze = DLA_BUF_INIT;

	if (!d->stale_stats_query) {
		assert_null(d->analyze_table);
		return;
	}
	assert_non_null(d->analyze_table);
	d->analyze_table(&analyze, f->schema, "st");
	dla_buf_addf(&sql, "CREATE TABLE %s.st (k INTEGER)", f->schema);
	run_sql(f, sql.buf);
	assert_false(stats_stale(f, "st"));   /* empty, never analyzed */
	dla_buf_reset(&sql);
	dla_buf_addf(&sql, "INSERT INTO %s.st SELECT generate_series(1, 3000)", f->schema);
	run_sql(f, sql.buf);
	/* never analyzed: the planner measures the file and the row width */
	assert_false(stats_stale(f, "st"));
	/* analyzed right after the insert, before this session flushed the
	 * insert's counts: not stale (the counts arrive after the ANALYZE) */
	run_sql(f, analyze.buf);
	assert_false(stats_stale(f, "st"));
	/* analyzed when every row was deleted: density 0 on the table's pages,
	 * then 3,000 rows again: the planner would count none of them (the
	 * flush first: an ANALYZE of another session, as autovacuum's, comes
	 * after the delete's counts) */
	dla_buf_reset(&sql);
	dla_buf_addf(&sql, "DELETE FROM %s.st", f->schema);
	run_sql(f, sql.buf);
	run_sql(f, "SELECT pg_stat_force_next_flush()");
	run_sql(f, analyze.buf);
	dla_buf_reset(&sql);
	dla_buf_addf(&sql, "INSERT INTO %s.st SELECT generate_series(1, 3000)", f->schema);
	run_sql(f, sql.buf);
	assert_true(stats_stale(f, "st"));
	run_sql(f, analyze.buf);
	assert_false(stats_stale(f, "st"));   /* counted again */
	/* growth alone is not stale: the density scales with the pages */
	run_sql(f, sql.buf);
	run_sql(f, sql.buf);
	assert_false(stats_stale(f, "st"));
	dla_buf_release(&sql);
	dla_buf_release(&analyze);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(ensure_creates_version_1_idempotently,
						setup, teardown),
		cmocka_unit_test_setup_teardown(columns_read_back_with_their_types,
						setup, teardown),
		cmocka_unit_test_setup_teardown(run_start_and_finish, setup, teardown),
		cmocka_unit_test_setup_teardown(node_record_binds_every_value, setup, teardown),
		cmocka_unit_test_setup_teardown(lineage_records_edges, setup, teardown),
		cmocka_unit_test_setup_teardown(runs_read_back, setup, teardown),
		cmocka_unit_test_setup_teardown(lock_is_exclusive_until_released,
						setup, teardown),
		cmocka_unit_test_setup_teardown(expired_lease_is_taken_over, setup, teardown),
		cmocka_unit_test_setup_teardown(dead_holder_on_this_host_is_taken_over,
						setup, teardown),
		cmocka_unit_test_setup_teardown(bad_input_is_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(dialect_sql_runs_on_the_engine,
						setup, teardown),
		cmocka_unit_test_setup_teardown(unique_keys_read_back, setup, teardown),
		cmocka_unit_test_setup_teardown(stale_statistics_are_found, setup, teardown),
		cmocka_unit_test(statements_are_listed_for_every_dialect),
	};
	return cmocka_run_group_tests_name(getenv("DLA_TEST_DIALECT") &&
					   getenv("DLA_TEST_CONN") ?
					   "meta (DLA_TEST_CONN)" : "meta (sqlite)",
					   tests, NULL, NULL);
}
