/*
 * meta.c - the metadata tables in the warehouse (dla_run, dla_node_run,
 * dla_lineage, dla_lock, dla_schema_version): versioned creation, run /
 * node / lineage records, and the lease lock (meta.h).
 *
 * Every value is a bound parameter; the only text spliced into SQL is the
 * schema and table names (validated identifiers) and the column types the
 * dialect spells.  Timestamps are canonical UTC text (timeutil.c): SQLite
 * stores them as such, PostgreSQL and Snowflake convert the untyped text
 * parameter to TIMESTAMP.
 */
#include "meta.h"
#include "alloc.h"
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LOCK_NAME "run"

/* ---- the schema, as migrations ---------------------------------------- */

struct meta_column {
	const char *name;
	enum dla_type type;
	bool not_null;
};

struct meta_table {
	const char *name;
	const struct meta_column *columns;
	size_t n_columns;
	const char *primary_key;     /* column list, or NULL */
};

struct meta_added_column {
	const char *table;
	struct meta_column column;
};

/*
 * Migration N (N = index + 1) creates tables and adds columns; it never
 * drops or rewrites anything.  To change the schema append an entry, e.g.
 *     static const struct meta_added_column v2_adds[] = {
 *             { "dla_run", { "host", DLA_TYPE_TEXT, false } },
 *     };
 *     { NULL, 0, v2_adds, 1 },
 * and extend meta.h's table list.
 */
/* A view over the metadata tables (for Tableau); body appends its SELECT. */
struct meta_view {
	const char *name;
	void (*body)(struct dla_buf *b, const struct dla_meta *m);
};

struct meta_migration {
	const struct meta_table *creates;
	size_t n_creates;
	const struct meta_added_column *adds;
	size_t n_adds;
	const struct meta_view *views;   /* (re)created: DROP VIEW IF EXISTS + CREATE */
	size_t n_views;
};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static const struct meta_column v1_run[] = {
	{ "run_id", DLA_TYPE_TEXT, true },
	{ "project", DLA_TYPE_TEXT, false },
	{ "target", DLA_TYPE_TEXT, false },
	{ "command", DLA_TYPE_TEXT, false },
	{ "selector", DLA_TYPE_TEXT, false },
	{ "as_of", DLA_TYPE_TIMESTAMP, false },
	{ "started_at", DLA_TYPE_TIMESTAMP, false },
	{ "finished_at", DLA_TYPE_TIMESTAMP, false },
	{ "status", DLA_TYPE_TEXT, false },
	{ "dla_version", DLA_TYPE_TEXT, false },
	{ "retry_of", DLA_TYPE_TEXT, false },
	{ "message", DLA_TYPE_TEXT, false },
};

static const struct meta_column v1_node_run[] = {
	{ "run_id", DLA_TYPE_TEXT, true },
	{ "node", DLA_TYPE_TEXT, true },
	{ "kind", DLA_TYPE_TEXT, false },
	{ "status", DLA_TYPE_TEXT, false },
	{ "started_at", DLA_TYPE_TIMESTAMP, false },
	{ "finished_at", DLA_TYPE_TIMESTAMP, false },
	{ "rows_inserted", DLA_TYPE_INTEGER, false },
	{ "rows_updated", DLA_TYPE_INTEGER, false },
	{ "rows_expired", DLA_TYPE_INTEGER, false },
	{ "rows_deleted", DLA_TYPE_INTEGER, false },
	{ "message", DLA_TYPE_TEXT, false },
	{ "queued_at", DLA_TYPE_TIMESTAMP, false },
	{ "db_seconds", DLA_TYPE_FLOAT, false },
	{ "rows_inferred", DLA_TYPE_INTEGER, false },
};

static const struct meta_column v1_lineage[] = {
	{ "run_id", DLA_TYPE_TEXT, true },
	{ "node", DLA_TYPE_TEXT, true },
	{ "input_relation", DLA_TYPE_TEXT, false },
	{ "output_relation", DLA_TYPE_TEXT, false },
};

static const struct meta_column v1_lock[] = {
	{ "lock_name", DLA_TYPE_TEXT, true },
	{ "run_id", DLA_TYPE_TEXT, true },
	{ "holder_host", DLA_TYPE_TEXT, false },
	{ "holder_pid", DLA_TYPE_INTEGER, false },
	{ "acquired_at", DLA_TYPE_TIMESTAMP, false },
	{ "expires_at", DLA_TYPE_TIMESTAMP, false },
};

static const struct meta_table v1_tables[] = {
	{ "dla_run", v1_run, N_OF(v1_run), "run_id" },
	{ "dla_node_run", v1_node_run, N_OF(v1_node_run), "run_id, node" },
	{ "dla_lineage", v1_lineage, N_OF(v1_lineage), NULL },
	{ "dla_lock", v1_lock, N_OF(v1_lock), "lock_name" },
};

/* Migration 2: data test results (datatest.h) and the views for Tableau
 * (their bodies are below, after the helpers). */
static const struct meta_column v2_test_result[] = {
	{ "run_id", DLA_TYPE_TEXT, true },
	{ "node", DLA_TYPE_TEXT, true },
	{ "test_name", DLA_TYPE_TEXT, true },
	{ "test_kind", DLA_TYPE_TEXT, false },
	{ "severity", DLA_TYPE_TEXT, false },
	{ "status", DLA_TYPE_TEXT, false },
	{ "failures", DLA_TYPE_INTEGER, false },
	{ "message", DLA_TYPE_TEXT, false },
	{ "examples", DLA_TYPE_TEXT, false },
	{ "started_at", DLA_TYPE_TIMESTAMP, false },
	{ "finished_at", DLA_TYPE_TIMESTAMP, false },
	{ "command", DLA_TYPE_TEXT, false },
};

static const struct meta_table v2_tables[] = {
	{ "dla_test_result", v2_test_result, N_OF(v2_test_result), NULL },
};

static void view_last_load(struct dla_buf *b, const struct dla_meta *m);
static void view_run_history(struct dla_buf *b, const struct dla_meta *m);
static void view_lineage_edges(struct dla_buf *b, const struct dla_meta *m);
static void view_last_test(struct dla_buf *b, const struct dla_meta *m);

static const struct meta_view v2_views[] = {
	{ "dla_last_load", view_last_load },
	{ "dla_run_history", view_run_history },
	{ "dla_lineage_edges", view_lineage_edges },
	{ "dla_last_test", view_last_test },
};

static const struct meta_migration migrations[] = {
	{ v1_tables, N_OF(v1_tables), NULL, 0, NULL, 0 },
	{ v2_tables, N_OF(v2_tables), NULL, 0, v2_views, N_OF(v2_views) },
};

/* ---- helpers ---------------------------------------------------------- */

static enum dla_code meta_error(struct dla_db_error *err, enum dla_code code,
				const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* An error found by meta.c itself (not reported by the driver). */
static enum dla_code meta_error(struct dla_db_error *err, enum dla_code code,
				const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	memset(err, 0, sizeof(*err));
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return code;
}

/* Appends the schema-qualified name of a metadata table. */
static void add_table(struct dla_buf *b, const struct dla_meta *m, const char *table)
{
	m->dialect->relation(b, m->schema, table);
}

/* Runs the statement in b (released) with params. */
static enum dla_code exec_buf(const struct dla_meta *m, struct dla_buf *b,
			      const char *const *params, size_t n, long *rows,
			      struct dla_db_error *err)
{
	enum dla_code code;

	if (dla_buf_failed(b)) {
		dla_buf_release(b);
		return meta_error(err, DLA_ERR_NOMEM, "out of memory building metadata sql");
	}
	code = dla_db_exec(m->db, b->buf, params, n, rows, err);
	dla_buf_release(b);
	return code;
}

static enum dla_code query_buf(const struct dla_meta *m, struct dla_buf *b,
			       const char *const *params, size_t n,
			       struct dla_db_result **out, struct dla_db_error *err)
{
	enum dla_code code;

	*out = NULL;
	if (dla_buf_failed(b)) {
		dla_buf_release(b);
		return meta_error(err, DLA_ERR_NOMEM, "out of memory building metadata sql");
	}
	code = dla_db_query(m->db, b->buf, params, n, out, err);
	dla_buf_release(b);
	return code;
}

/* Rolls back after a failure, keeping the first error. */
static enum dla_code rollback_with(const struct dla_meta *m, enum dla_code code)
{
	dla_db_rollback(m->db, NULL);
	return code;
}

/* "INSERT INTO <table> (c1, c2, ...) VALUES " (dla_db_insert_rows adds
 * the rows). */
static void add_insert_prefix(struct dla_buf *b, const struct dla_meta *m, const char *table,
			      const char *const *columns, size_t n)
{
	dla_buf_adds(b, "INSERT INTO ");
	add_table(b, m, table);
	dla_buf_adds(b, " (");
	for (size_t i = 0; i < n; i++)
		dla_buf_addf(b, "%s%s", i ? ", " : "", columns[i]);
	dla_buf_adds(b, ") VALUES ");
}

/* "INSERT INTO <table> (c1, c2, ...) VALUES (?, ?, ...)" */
static void add_insert(struct dla_buf *b, const struct dla_meta *m, const char *table,
		       const char *const *columns, size_t n)
{
	add_insert_prefix(b, m, table, columns, n);
	for (size_t i = 0; i < n; i++)
		dla_buf_adds(b, i ? ", ?" : "(?");
	dla_buf_addch(b, ')');
}

/* ---- the statements ----------------------------------------------------
 * Each sql_* function appends one statement; the functions below run them
 * and dla_meta_statements lists them. */

static const char *const run_start_columns[] = {
	"run_id", "project", "target", "command", "selector", "as_of",
	"started_at", "status", "dla_version", "retry_of",
};

static const char *const node_columns[] = {
	"run_id", "node", "kind", "status", "started_at", "finished_at",
	"rows_inserted", "rows_updated", "rows_expired", "rows_deleted",
	"message", "queued_at", "db_seconds", "rows_inferred",
};

static const char *const lineage_columns[] = {
	"run_id", "node", "input_relation", "output_relation",
};

static const char *const version_columns[] = { "version" };

static const struct meta_column version_column = { "version", DLA_TYPE_INTEGER, true };
static const struct meta_table version_table = {
	"dla_schema_version", &version_column, 1, NULL
};

static void add_column_def(struct dla_buf *b, const struct dla_meta *m,
			   const struct meta_column *c)
{
	struct dla_coltype t = { c->type, 0, 0 };

	dla_buf_addf(b, "%s ", c->name);
	m->dialect->type_name(b, &t);
	if (c->not_null)
		dla_buf_adds(b, " NOT NULL");
}

static void sql_create_table(struct dla_buf *b, const struct dla_meta *m,
			     const struct meta_table *t)
{
	dla_buf_adds(b, "CREATE TABLE IF NOT EXISTS ");
	add_table(b, m, t->name);
	dla_buf_adds(b, " (");
	for (size_t i = 0; i < t->n_columns; i++) {
		dla_buf_adds(b, i ? ", " : "");
		add_column_def(b, m, &t->columns[i]);
	}
	if (t->primary_key)
		dla_buf_addf(b, ", PRIMARY KEY (%s)", t->primary_key);
	dla_buf_addch(b, ')');
}

static void sql_add_column(struct dla_buf *b, const struct dla_meta *m,
			   const struct meta_added_column *a)
{
	struct dla_coltype t = { a->column.type, 0, 0 };

	m->dialect->add_column(b, m->schema, a->table, a->column.name, &t);
}

static void sql_read_version(struct dla_buf *b, const struct dla_meta *m)
{
	dla_buf_adds(b, "SELECT MAX(version) FROM ");
	add_table(b, m, "dla_schema_version");
}

static void sql_delete_versions(struct dla_buf *b, const struct dla_meta *m)
{
	dla_buf_adds(b, "DELETE FROM ");
	add_table(b, m, "dla_schema_version");
}

static void sql_run_finish(struct dla_buf *b, const struct dla_meta *m)
{
	dla_buf_adds(b, "UPDATE ");
	add_table(b, m, "dla_run");
	dla_buf_adds(b, " SET status = ?, finished_at = ?, message = ? WHERE run_id = ?");
}

/* params: lock_name, run_id, host, pid, acquired_at, expires_at, lock_name */
static void sql_insert_lock(struct dla_buf *b, const struct dla_meta *m)
{
	dla_buf_adds(b, "INSERT INTO ");
	add_table(b, m, "dla_lock");
	dla_buf_adds(b, " (lock_name, run_id, holder_host, holder_pid, acquired_at, "
		     "expires_at) SELECT ?, ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM ");
	add_table(b, m, "dla_lock");
	dla_buf_adds(b, " WHERE lock_name = ?)");
}

static void sql_read_holders(struct dla_buf *b, const struct dla_meta *m)
{
	dla_buf_adds(b, "SELECT run_id, holder_host, holder_pid, acquired_at, expires_at FROM ");
	add_table(b, m, "dla_lock");
	dla_buf_adds(b, " WHERE lock_name = ? ORDER BY acquired_at, run_id");
}

static void sql_delete_lock(struct dla_buf *b, const struct dla_meta *m)
{
	dla_buf_adds(b, "DELETE FROM ");
	add_table(b, m, "dla_lock");
	dla_buf_adds(b, " WHERE lock_name = ? AND run_id = ?");
}

/* params: run_id, host, pid, acquired_at, expires_at, lock_name, old run_id
 * [, now when expired] */
static void sql_take_over(struct dla_buf *b, const struct dla_meta *m, bool expired)
{
	dla_buf_adds(b, "UPDATE ");
	add_table(b, m, "dla_lock");
	dla_buf_adds(b, " SET run_id = ?, holder_host = ?, holder_pid = ?, acquired_at = ?, "
		     "expires_at = ? WHERE lock_name = ? AND run_id = ?");
	if (expired) {
		dla_buf_adds(b, " AND expires_at < ");
		m->dialect->cast_timestamp(b, "?");
	}
}

/* params: status, finished_at, message, run_id, "running" */
static void sql_fail_stale_run(struct dla_buf *b, const struct dla_meta *m)
{
	dla_buf_adds(b, "UPDATE ");
	add_table(b, m, "dla_run");
	dla_buf_adds(b, " SET status = ?, finished_at = ?, message = ? "
		     "WHERE run_id = ? AND status = ?");
}

static void sql_renew(struct dla_buf *b, const struct dla_meta *m)
{
	dla_buf_adds(b, "UPDATE ");
	add_table(b, m, "dla_lock");
	dla_buf_adds(b, " SET expires_at = ? WHERE lock_name = ? AND run_id = ?");
}

/* params: none (max_runs is a number dla spliced itself).  The times as
 * text: psqlODBC converts a TIMESTAMP column to text at about twice the
 * cost of passing text through (20,000 rows at every run start). */
static void sql_node_durations(struct dla_buf *b, const struct dla_meta *m,
			       size_t max_runs)
{
	dla_buf_adds(b, "SELECT n.node, CAST(n.started_at AS VARCHAR(32)), "
		     "CAST(n.finished_at AS VARCHAR(32)) FROM ");
	add_table(b, m, "dla_node_run");
	dla_buf_adds(b, " n WHERE n.status = 'success' AND n.run_id >= (SELECT MIN(r.run_id) "
		     "FROM (SELECT run_id FROM ");
	add_table(b, m, "dla_run");
	dla_buf_addf(b, " ORDER BY run_id DESC LIMIT %zu) r) ORDER BY n.run_id DESC", max_runs);
}

/* params: [run_id] | [project, as_of] | [project] */
static void sql_run_find(struct dla_buf *b, const struct dla_meta *m, bool by_id,
			 bool by_as_of)
{
	dla_buf_adds(b, "SELECT run_id, command, status, as_of, retry_of, selector FROM ");
	add_table(b, m, "dla_run");
	if (by_id) {
		dla_buf_adds(b, " WHERE run_id = ?");
		return;
	}
	dla_buf_adds(b, " WHERE project = ? AND command IN ('run', 'retry')");
	if (by_as_of) {
		dla_buf_adds(b, " AND as_of = ");
		m->dialect->cast_timestamp(b, "?");
	}
	dla_buf_adds(b, " ORDER BY run_id DESC LIMIT 1");
}

/* params: run_id */
static void sql_run_nodes(struct dla_buf *b, const struct dla_meta *m)
{
	dla_buf_adds(b, "SELECT node, status FROM ");
	add_table(b, m, "dla_node_run");
	dla_buf_adds(b, " WHERE run_id = ? ORDER BY node");
}

/* ---- views for Tableau ----------------------------------------------------
 * Portable SQL (one spelling for SQLite, PostgreSQL and Snowflake):
 *  - a view reads the metadata tables by bare name where schemas are files
 *    (SQLite: a view in an attached file may only read its own file, and a
 *    bare name keeps the file usable when opened alone), else qualified;
 *  - "schema.table" is split with LTRIM over the identifier characters
 *    (every relation dla records is schema.identifier);
 *  - seconds between two timestamps are computed from their text
 *    (CAST AS VARCHAR: "YYYY-MM-DD HH:MM:SS..." on all three engines with
 *    default session formats) with days-from-civil in integer arithmetic;
 *    a floor division a/b is (a - a % b) / b, exact everywhere (Snowflake's
 *    "/" returns a decimal). */

static void view_table(struct dla_buf *b, const struct dla_meta *m, const char *table)
{
	if (m->dialect->file_database)
		dla_buf_adds(b, table);
	else
		add_table(b, m, table);
}

#define IDENT_CHARS "'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_'"

/* schema (part 1) or table (part 2) of a "schema.table" expression. */
static void split_relation(struct dla_buf *b, const char *expr, int part)
{
	if (part == 1)
		dla_buf_addf(b, "CASE WHEN %s LIKE '%%.%%' THEN SUBSTR(%s, 1, LENGTH(%s) - "
			     "LENGTH(LTRIM(%s, " IDENT_CHARS "))) END", expr, expr, expr, expr);
	else
		dla_buf_addf(b, "CASE WHEN %s LIKE '%%.%%' THEN SUBSTR(LTRIM(%s, " IDENT_CHARS
			     "), 2) ELSE %s END", expr, expr, expr);
}

/* An integer part of a timestamp's text t: SUBSTR(t, from, len). */
static void ts_part(struct dla_buf *b, const char *t, int from, int len)
{
	dla_buf_addf(b, "CAST(SUBSTR(%s, %d, %d) AS BIGINT)", t, from, len);
}

/* (a - a % n) / n for a non-negative a. */
static void floor_div(struct dla_buf *b, const char *a, int n)
{
	dla_buf_addf(b, "((%s) - (%s) %% %d) / %d", a, a, n, n);
}

/* Seconds since 0000-03-01 of the timestamp text t (days from civil). */
static void epoch_seconds(struct dla_buf *b, const char *t)
{
	struct dla_buf y = DLA_BUF_INIT, mo = DLA_BUF_INIT, yy = DLA_BUF_INIT;
	struct dla_buf mm = DLA_BUF_INIT;

	ts_part(&y, t, 1, 4);
	ts_part(&mo, t, 6, 2);
	/* the year and month counted from March */
	dla_buf_addf(&yy, "%s - CASE WHEN %s <= 2 THEN 1 ELSE 0 END", y.buf, mo.buf);
	dla_buf_addf(&mm, "153 * (CASE WHEN %s <= 2 THEN %s + 9 ELSE %s - 3 END) + 2", mo.buf,
		     mo.buf, mo.buf);
	dla_buf_addf(b, "((365 * (%s) + ", yy.buf);
	floor_div(b, yy.buf, 4);
	dla_buf_adds(b, " - ");
	floor_div(b, yy.buf, 100);
	dla_buf_adds(b, " + ");
	floor_div(b, yy.buf, 400);
	dla_buf_adds(b, " + ");
	floor_div(b, mm.buf, 5);
	dla_buf_adds(b, " + ");
	ts_part(b, t, 9, 2);
	dla_buf_adds(b, ") * 86400 + ");
	ts_part(b, t, 12, 2);
	dla_buf_adds(b, " * 3600 + ");
	ts_part(b, t, 15, 2);
	dla_buf_adds(b, " * 60 + ");
	ts_part(b, t, 18, 2);
	dla_buf_addch(b, ')');
	dla_buf_release(&y);
	dla_buf_release(&mo);
	dla_buf_release(&yy);
	dla_buf_release(&mm);
}

/* Whole seconds from timestamp expression from to timestamp expression to
 * (NULL when either is NULL). */
static void seconds_between(struct dla_buf *b, const char *from, const char *to)
{
	struct dla_buf f = DLA_BUF_INIT, t = DLA_BUF_INIT;

	dla_buf_addf(&f, "CAST(%s AS VARCHAR(32))", from);
	dla_buf_addf(&t, "CAST(%s AS VARCHAR(32))", to);
	dla_buf_adds(b, "CAST(");
	epoch_seconds(b, t.buf);
	dla_buf_adds(b, " - ");
	epoch_seconds(b, f.buf);
	dla_buf_adds(b, " AS BIGINT)");
	dla_buf_release(&f);
	dla_buf_release(&t);
}

/* The latest attempt (not skipped) of every node, with the relation it
 * wrote, its counts, the last success and how old the load is. */
static void view_last_load(struct dla_buf *b, const struct dla_meta *m)
{
	struct dla_buf now = DLA_BUF_INIT;

	m->dialect->now_utc(&now);
	dla_buf_adds(b, "SELECT x.node, x.kind,\n    ");
	split_relation(b, "l.output_relation", 1);
	dla_buf_adds(b, " AS schema_name,\n    ");
	split_relation(b, "l.output_relation", 2);
	dla_buf_adds(b, " AS table_name,\n    x.run_id, x.status, x.started_at, x.finished_at, "
		     "x.rows_inserted, x.rows_updated, x.rows_expired, x.rows_deleted,\n    "
		     "COALESCE(x.rows_inserted, 0) + COALESCE(x.rows_updated, 0) + "
		     "COALESCE(x.rows_expired, 0) + COALESCE(x.rows_deleted, 0) AS rows_touched,\n"
		     "    x.message, x.last_success_at,\n    ");
	seconds_between(b, "x.finished_at", now.buf);
	dla_buf_adds(b, " AS age_seconds,\n    ");
	seconds_between(b, "x.last_success_at", now.buf);
	dla_buf_adds(b, " AS success_age_seconds\nFROM (\n    SELECT r.run_id, r.node, r.kind, "
		     "r.status, r.started_at, r.finished_at, r.rows_inserted, r.rows_updated, "
		     "r.rows_expired, r.rows_deleted, r.message,\n        "
		     "MAX(CASE WHEN r.status = 'success' THEN r.finished_at END) OVER "
		     "(PARTITION BY r.node) AS last_success_at,\n        ROW_NUMBER() OVER "
		     "(PARTITION BY r.node ORDER BY r.run_id DESC) AS dla_rn\n    FROM ");
	view_table(b, m, "dla_node_run");
	dla_buf_adds(b, " r\n    WHERE r.status <> 'skipped'\n) x\nLEFT JOIN (\n    SELECT node, "
		     "MAX(output_relation) AS output_relation\n    FROM ");
	view_table(b, m, "dla_lineage");
	dla_buf_adds(b, "\n    GROUP BY node\n) l ON l.node = x.node\nWHERE x.dla_rn = 1");
	dla_buf_release(&now);
}

/* Every run with its duration and totals over its nodes. */
static void view_run_history(struct dla_buf *b, const struct dla_meta *m)
{
	dla_buf_adds(b, "SELECT r.run_id, r.project, r.target, r.command, r.selector, r.as_of, "
		     "r.started_at, r.finished_at, r.status, r.dla_version, r.retry_of, "
		     "r.message,\n    ");
	seconds_between(b, "r.started_at", "r.finished_at");
	dla_buf_adds(b, " AS duration_seconds,\n    COALESCE(n.nodes_success, 0) AS nodes_success, "
		     "COALESCE(n.nodes_failed, 0) AS nodes_failed, COALESCE(n.nodes_skipped, 0) "
		     "AS nodes_skipped,\n    COALESCE(n.rows_inserted, 0) AS rows_inserted, "
		     "COALESCE(n.rows_updated, 0) AS rows_updated, COALESCE(n.rows_expired, 0) AS "
		     "rows_expired, COALESCE(n.rows_deleted, 0) AS rows_deleted\nFROM ");
	view_table(b, m, "dla_run");
	dla_buf_adds(b, " r\nLEFT JOIN (\n    SELECT run_id,\n        SUM(CASE WHEN status = "
		     "'success' THEN 1 ELSE 0 END) AS nodes_success,\n        SUM(CASE WHEN status "
		     "= 'failed' THEN 1 ELSE 0 END) AS nodes_failed,\n        SUM(CASE WHEN status "
		     "= 'skipped' THEN 1 ELSE 0 END) AS nodes_skipped,\n        SUM(rows_inserted) "
		     "AS rows_inserted, SUM(rows_updated) AS rows_updated,\n        "
		     "SUM(rows_expired) AS rows_expired, SUM(rows_deleted) AS rows_deleted\n    "
		     "FROM ");
	view_table(b, m, "dla_node_run");
	dla_buf_adds(b, "\n    GROUP BY run_id\n) n ON n.run_id = r.run_id");
}

/* dla_lineage with relation names split into schema and table. */
static void view_lineage_edges(struct dla_buf *b, const struct dla_meta *m)
{
	dla_buf_adds(b, "SELECT l.run_id, l.node, l.input_relation,\n    ");
	split_relation(b, "l.input_relation", 1);
	dla_buf_adds(b, " AS input_schema,\n    ");
	split_relation(b, "l.input_relation", 2);
	dla_buf_adds(b, " AS input_table,\n    l.output_relation,\n    ");
	split_relation(b, "l.output_relation", 1);
	dla_buf_adds(b, " AS output_schema,\n    ");
	split_relation(b, "l.output_relation", 2);
	dla_buf_adds(b, " AS output_table,\n    r.started_at AS run_started_at, r.status AS "
		     "run_status\nFROM ");
	view_table(b, m, "dla_lineage");
	dla_buf_adds(b, " l\nLEFT JOIN ");
	view_table(b, m, "dla_run");
	dla_buf_adds(b, " r ON r.run_id = l.run_id");
}

/* The latest result of every data test. */
static void view_last_test(struct dla_buf *b, const struct dla_meta *m)
{
	dla_buf_adds(b, "SELECT x.node, x.test_name, x.test_kind, x.severity, x.status, "
		     "x.failures, x.message, x.examples, x.run_id, x.command, x.started_at, "
		     "x.finished_at\nFROM (\n    SELECT t.node, t.test_name, t.test_kind, "
		     "t.severity, t.status, t.failures, t.message, t.examples, t.run_id, "
		     "t.command, t.started_at, t.finished_at,\n        ROW_NUMBER() OVER "
		     "(PARTITION BY t.node, t.test_name ORDER BY t.run_id DESC, t.started_at DESC) "
		     "AS dla_rn\n    FROM ");
	view_table(b, m, "dla_test_result");
	dla_buf_adds(b, " t\n) x\nWHERE x.dla_rn = 1");
}

static void sql_drop_view(struct dla_buf *b, const struct dla_meta *m, const char *view)
{
	dla_buf_adds(b, "DROP VIEW IF EXISTS ");
	add_table(b, m, view);
}

static void sql_create_view(struct dla_buf *b, const struct dla_meta *m,
			    const struct meta_view *v)
{
	dla_buf_adds(b, "CREATE VIEW ");
	add_table(b, m, v->name);
	dla_buf_adds(b, " AS\n");
	v->body(b, m);
}

static const char *const test_result_columns[] = {
	"run_id", "node", "test_name", "test_kind", "severity", "status", "failures",
	"message", "examples", "started_at", "finished_at", "command",
};

void dla_meta_statements(const struct dla_meta *m, struct dla_stmts *out)
{
	struct dla_buf b = DLA_BUF_INIT;

#define LIST(kind, label, build) \
	do { build; dla_stmts_add(out, kind, DLA_COUNT_NONE, label, &b, NULL); } while (0)
	LIST(DLA_STMT_DDL, "create dla_schema_version", sql_create_table(&b, m, &version_table));
	for (size_t v = 0; v < N_OF(migrations); v++) {
		const struct meta_migration *mig = &migrations[v];

		for (size_t i = 0; i < mig->n_creates; i++)
			LIST(DLA_STMT_DDL, mig->creates[i].name,
			     sql_create_table(&b, m, &mig->creates[i]));
		for (size_t i = 0; i < mig->n_adds; i++)
			LIST(DLA_STMT_DDL, mig->adds[i].table, sql_add_column(&b, m, &mig->adds[i]));
		for (size_t i = 0; i < mig->n_views; i++) {
			LIST(DLA_STMT_DDL, mig->views[i].name,
			     sql_drop_view(&b, m, mig->views[i].name));
			LIST(DLA_STMT_DDL, mig->views[i].name,
			     sql_create_view(&b, m, &mig->views[i]));
		}
	}
	LIST(DLA_STMT_DML, "read schema version", sql_read_version(&b, m));
	LIST(DLA_STMT_DML, "clear schema version", sql_delete_versions(&b, m));
	LIST(DLA_STMT_DML, "write schema version",
	     add_insert(&b, m, "dla_schema_version", version_columns, N_OF(version_columns)));
	LIST(DLA_STMT_DML, "run start",
	     add_insert(&b, m, "dla_run", run_start_columns, N_OF(run_start_columns)));
	LIST(DLA_STMT_DML, "run finish", sql_run_finish(&b, m));
	LIST(DLA_STMT_DML, "node record",
	     add_insert(&b, m, "dla_node_run", node_columns, N_OF(node_columns)));
	LIST(DLA_STMT_DML, "lineage record",
	     add_insert(&b, m, "dla_lineage", lineage_columns, N_OF(lineage_columns)));
	LIST(DLA_STMT_DML, "lock insert", sql_insert_lock(&b, m));
	LIST(DLA_STMT_DML, "lock holders", sql_read_holders(&b, m));
	LIST(DLA_STMT_DML, "lock take over (holder gone)", sql_take_over(&b, m, false));
	LIST(DLA_STMT_DML, "lock take over (lease expired)", sql_take_over(&b, m, true));
	LIST(DLA_STMT_DML, "fail stale run", sql_fail_stale_run(&b, m));
	LIST(DLA_STMT_DML, "lock renew", sql_renew(&b, m));
	LIST(DLA_STMT_DML, "lock release", sql_delete_lock(&b, m));
	LIST(DLA_STMT_DML, "node durations", sql_node_durations(&b, m, 20));
	LIST(DLA_STMT_DML, "run by id", sql_run_find(&b, m, true, false));
	LIST(DLA_STMT_DML, "latest run", sql_run_find(&b, m, false, false));
	LIST(DLA_STMT_DML, "latest run as of", sql_run_find(&b, m, false, true));
	LIST(DLA_STMT_DML, "run nodes", sql_run_nodes(&b, m));
	LIST(DLA_STMT_DML, "test result record",
	     add_insert(&b, m, "dla_test_result", test_result_columns,
			N_OF(test_result_columns)));
#undef LIST
}

/* ---- creation --------------------------------------------------------- */

static enum dla_code create_table(const struct dla_meta *m, const struct meta_table *t,
				  struct dla_db_error *err)
{
	struct dla_buf b = DLA_BUF_INIT;

	sql_create_table(&b, m, t);
	return exec_buf(m, &b, NULL, 0, NULL, err);
}

static enum dla_code apply_migration(const struct dla_meta *m,
				     const struct meta_migration *mig,
				     struct dla_db_error *err)
{
	enum dla_code code = DLA_OK;

	for (size_t i = 0; i < mig->n_creates && code == DLA_OK; i++)
		code = create_table(m, &mig->creates[i], err);
	for (size_t i = 0; i < mig->n_adds && code == DLA_OK; i++) {
		struct dla_buf b = DLA_BUF_INIT;

		sql_add_column(&b, m, &mig->adds[i]);
		code = exec_buf(m, &b, NULL, 0, NULL, err);
	}
	for (size_t i = 0; i < mig->n_views && code == DLA_OK; i++) {
		struct dla_buf b = DLA_BUF_INIT;

		sql_drop_view(&b, m, mig->views[i].name);
		code = exec_buf(m, &b, NULL, 0, NULL, err);
		if (code == DLA_OK) {
			sql_create_view(&b, m, &mig->views[i]);
			code = exec_buf(m, &b, NULL, 0, NULL, err);
		}
	}
	return code;
}

static enum dla_code read_version(const struct dla_meta *m, long *version,
				  struct dla_db_error *err)
{
	struct dla_buf b = DLA_BUF_INIT;
	struct dla_db_result *r;
	const char *cell;
	enum dla_code code;

	sql_read_version(&b, m);
	code = query_buf(m, &b, NULL, 0, &r, err);
	if (code != DLA_OK)
		return code;
	cell = dla_db_cell(r, 0, 0);
	*version = cell ? strtol(cell, NULL, 10) : 0;
	dla_db_result_free(r);
	return DLA_OK;
}

static enum dla_code write_version(const struct dla_meta *m, long version,
				   struct dla_db_error *err)
{
	struct dla_buf b = DLA_BUF_INIT;
	char text[24];
	const char *params[] = { text };
	enum dla_code code;

	sql_delete_versions(&b, m);
	code = exec_buf(m, &b, NULL, 0, NULL, err);
	if (code != DLA_OK)
		return code;
	snprintf(text, sizeof(text), "%ld", version);
	add_insert(&b, m, "dla_schema_version", version_columns, N_OF(version_columns));
	return exec_buf(m, &b, params, N_OF(params), NULL, err);
}

enum dla_code dla_meta_ensure(const struct dla_meta *m, struct dla_db_error *err)
{
	long version = 0, latest = (long)N_OF(migrations);
	enum dla_code code;

	code = dla_db_begin(m->db, err);
	if (code != DLA_OK)
		return code;
	code = create_table(m, &version_table, err);
	if (code == DLA_OK)
		code = read_version(m, &version, err);
	/* a newer dla may have migrated further: its columns are extra ones,
	 * and every statement here names its columns */
	for (long v = version + 1; code == DLA_OK && v <= latest; v++)
		code = apply_migration(m, &migrations[v - 1], err);
	if (code == DLA_OK && version < latest)
		code = write_version(m, latest, err);
	if (code != DLA_OK)
		return rollback_with(m, code);
	return dla_db_commit(m->db, err);
}

/* ---- runs, nodes, lineage -------------------------------------------- */

enum dla_code dla_meta_run_start(const struct dla_meta *m, const struct dla_run_row *run,
				 struct dla_db_error *err)
{
	const char *params[] = {
		run->run_id, run->project, run->target, run->command, run->selector,
		run->as_of, run->started_at, "running", run->dla_version, run->retry_of,
	};
	struct dla_buf b = DLA_BUF_INIT;

	add_insert(&b, m, "dla_run", run_start_columns, N_OF(run_start_columns));
	return exec_buf(m, &b, params, N_OF(params), NULL, err);
}

enum dla_code dla_meta_run_finish(const struct dla_meta *m, const char *run_id,
				  const char *status, const char *finished_at,
				  const char *message, struct dla_db_error *err)
{
	const char *params[] = { status, finished_at, message, run_id };
	struct dla_buf b = DLA_BUF_INIT;
	long rows = 0;
	enum dla_code code;

	sql_run_finish(&b, m);
	code = exec_buf(m, &b, params, N_OF(params), &rows, err);
	if (code == DLA_OK && rows == 0)
		return meta_error(err, DLA_ERR_DB, "no run '%s' in the metadata", run_id);
	return code;
}

/* Seconds as "S.ffffff" whatever the process locale. */
static void format_seconds(char out[32], double seconds)
{
	long long micros = seconds > 0 ? (long long)(seconds * 1e6 + 0.5) : 0;

	snprintf(out, 32, "%lld.%06lld", micros / 1000000, micros % 1000000);
}

/* Inserts n rows of n_cols values (row-major) into table (dla_db_insert_rows). */
static enum dla_code insert_many(const struct dla_meta *m, const char *table,
				 const char *const *columns, size_t n_cols,
				 const char *const *values, size_t n,
				 struct dla_db_error *err)
{
	struct dla_buf b = DLA_BUF_INIT;
	enum dla_code code;

	if (n == 0)
		return DLA_OK;
	add_insert_prefix(&b, m, table, columns, n_cols);
	if (dla_buf_failed(&b)) {
		dla_buf_release(&b);
		return meta_error(err, DLA_ERR_NOMEM, "out of memory building metadata sql");
	}
	code = dla_db_insert_rows(m->db, b.buf, n_cols, values, n, NULL, err);
	dla_buf_release(&b);
	return code;
}

/* The numbers of a node row as text, whatever the process locale. */
struct node_numbers {
	char counts[5][24];
	char seconds[32];
};

enum dla_code dla_meta_node_record_many(const struct dla_meta *m,
					const struct dla_node_row *rows, size_t n,
					struct dla_db_error *err)
{
	enum { N_COLS = N_OF(node_columns) };
	struct node_numbers *num;
	const char **values;
	enum dla_code code;

	if (n == 0)
		return DLA_OK;
	num = dla_calloc(n, sizeof(*num));
	values = dla_calloc(n * N_COLS, sizeof(*values));
	if (!num || !values) {
		dla_free(num);
		dla_free(values);
		return meta_error(err, DLA_ERR_NOMEM, "out of memory recording nodes");
	}
	for (size_t i = 0; i < n; i++) {
		const struct dla_node_row *row = &rows[i];
		struct node_numbers *x = &num[i];
		const char *const row_values[N_COLS] = {
			row->run_id, row->node, row->kind, row->status, row->started_at,
			row->finished_at, x->counts[0], x->counts[1], x->counts[2],
			x->counts[3], row->message, row->queued_at, x->seconds, x->counts[4],
		};

		snprintf(x->counts[0], sizeof(x->counts[0]), "%ld", row->rows_inserted);
		snprintf(x->counts[1], sizeof(x->counts[1]), "%ld", row->rows_updated);
		snprintf(x->counts[2], sizeof(x->counts[2]), "%ld", row->rows_expired);
		snprintf(x->counts[3], sizeof(x->counts[3]), "%ld", row->rows_deleted);
		snprintf(x->counts[4], sizeof(x->counts[4]), "%ld", row->rows_inferred);
		format_seconds(x->seconds, row->db_seconds);
		memcpy(&values[i * N_COLS], row_values, sizeof(row_values));
	}
	code = insert_many(m, "dla_node_run", node_columns, N_COLS, values, n, err);
	dla_free(values);
	dla_free(num);
	return code;
}

enum dla_code dla_meta_node_record(const struct dla_meta *m,
				   const struct dla_node_row *row,
				   struct dla_db_error *err)
{
	return dla_meta_node_record_many(m, row, 1, err);
}

enum dla_code dla_meta_lineage_record_many(const struct dla_meta *m,
					   const struct dla_lineage_row *rows, size_t n,
					   struct dla_db_error *err)
{
	enum { N_COLS = N_OF(lineage_columns) };
	const char **values;
	enum dla_code code;

	if (n == 0)
		return DLA_OK;
	values = dla_calloc(n * N_COLS, sizeof(*values));
	if (!values)
		return meta_error(err, DLA_ERR_NOMEM, "out of memory recording lineage");
	for (size_t i = 0; i < n; i++) {
		values[i * N_COLS] = rows[i].run_id;
		values[i * N_COLS + 1] = rows[i].node;
		values[i * N_COLS + 2] = rows[i].input_relation;
		values[i * N_COLS + 3] = rows[i].output_relation;
	}
	code = insert_many(m, "dla_lineage", lineage_columns, N_COLS, values, n, err);
	dla_free(values);
	return code;
}

enum dla_code dla_meta_lineage_record(const struct dla_meta *m, const char *run_id,
				      const char *node, const char *input_relation,
				      const char *output_relation,
				      struct dla_db_error *err)
{
	const struct dla_lineage_row row = { run_id, node, input_relation, output_relation };

	return dla_meta_lineage_record_many(m, &row, 1, err);
}

/* ---- the lease lock --------------------------------------------------- */

static void copy_text(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src ? src : "");
}

/* A timestamp read back from the database, in canonical form (engines
 * print fractions their own way: PostgreSQL "05.5", Snowflake "05.500"). */
static void copy_timestamp(char dst[32], const char *src)
{
	if (!src || !dla_time_parse(src, dst))
		copy_text(dst, 32, src);
}

/*
 * Inserts the lock row for run_id unless one exists.  A primary-key
 * violation (a concurrent insert won on PostgreSQL) is not an error.
 * Snowflake does not enforce primary keys: the read-back settles that.
 */
static enum dla_code insert_lock(const struct dla_meta *m, const char *const mine[6],
				 struct dla_db_error *err)
{
	const char *params[] = { mine[0], mine[1], mine[2], mine[3], mine[4], mine[5],
				 LOCK_NAME };
	struct dla_buf b = DLA_BUF_INIT;
	enum dla_code code;

	sql_insert_lock(&b, m);
	code = exec_buf(m, &b, params, N_OF(params), NULL, err);
	if (code == DLA_ERR_DB && strncmp(err->sqlstate, "23", 2) == 0)
		return DLA_OK;
	return code;
}

/* The lock rows, first the one that counts (the earliest). */
static enum dla_code read_holders(const struct dla_meta *m, struct dla_db_result **out,
				  struct dla_db_error *err)
{
	static const char *const params[] = { LOCK_NAME };
	struct dla_buf b = DLA_BUF_INIT;

	sql_read_holders(&b, m);
	return query_buf(m, &b, params, N_OF(params), out, err);
}

static enum dla_code delete_lock(const struct dla_meta *m, const char *run_id,
				 struct dla_db_error *err)
{
	const char *params[] = { LOCK_NAME, run_id };
	struct dla_buf b = DLA_BUF_INIT;

	sql_delete_lock(&b, m);
	return exec_buf(m, &b, params, N_OF(params), NULL, err);
}

/*
 * Takes the lock over from the stale holder old (one transaction): the
 * conditional UPDATE matches only while old still holds it (and, for an
 * expired lease, while it is still expired: a late renewal wins), then
 * old's run is marked failed.  *won says whether the UPDATE matched.
 */
static enum dla_code take_over(const struct dla_meta *m, const char *const mine[6],
			       const struct dla_lock_holder *old, bool expired,
			       const char *now, const char *reason, bool *won,
			       struct dla_db_error *err)
{
	struct dla_buf b = DLA_BUF_INIT;
	const char *params[] = { mine[1], mine[2], mine[3], mine[4], mine[5],
				 LOCK_NAME, old->run_id, now };
	const char *fail_params[] = { "failed", now, reason, old->run_id, "running" };
	long rows = 0;
	enum dla_code code;

	*won = false;
	code = dla_db_begin(m->db, err);
	if (code != DLA_OK)
		return code;
	sql_take_over(&b, m, expired);
	code = exec_buf(m, &b, params, expired ? 8 : 7, &rows, err);
	if (code != DLA_OK)
		return rollback_with(m, code);
	if (rows != 1)
		return rollback_with(m, DLA_OK);
	sql_fail_stale_run(&b, m);
	code = exec_buf(m, &b, fail_params, N_OF(fail_params), NULL, err);
	if (code != DLA_OK)
		return rollback_with(m, code);
	code = dla_db_commit(m->db, err);
	*won = code == DLA_OK;
	return code;
}

enum dla_code dla_meta_lock_acquire(const struct dla_meta *m, const char *run_id,
				    const char *host, long pid, const char *now,
				    long lease_s, dla_pid_alive_fn alive, void *alive_ctx,
				    struct dla_lock_holder *holder, char took_over[64],
				    struct dla_db_error *err)
{
	char now_c[32], expires[32], pid_text[24];
	const char *mine[6] = { LOCK_NAME, run_id, host, pid_text, now_c, expires };
	struct dla_lock_holder scratch;
	struct dla_db_error scratch_err;

	if (!holder)
		holder = &scratch;
	if (!err)
		err = &scratch_err;   /* insert_lock reads the SQLSTATE */
	memset(holder, 0, sizeof(*holder));
	if (took_over)
		took_over[0] = '\0';
	if (!dla_time_parse(now, now_c) || !dla_time_add(now_c, lease_s, expires))
		return meta_error(err, DLA_ERR_USAGE, "invalid lock time '%s'",
				  now ? now : "(null)");
	snprintf(pid_text, sizeof(pid_text), "%ld", pid);

	/* Each round changes the lock row or finds it held: a few rounds
	 * settle any race (released, taken over, renewed in between). */
	for (int round = 0; round < 5; round++) {
		struct dla_db_result *r;
		bool ours_is_extra = false, expired, gone, won;
		char reason[512];
		enum dla_code code;

		code = insert_lock(m, mine, err);
		if (code == DLA_OK)
			code = read_holders(m, &r, err);
		if (code != DLA_OK)
			return code;
		if (r->n_rows == 0) {      /* released in between */
			dla_db_result_free(r);
			continue;
		}
		copy_text(holder->run_id, sizeof(holder->run_id), dla_db_cell(r, 0, 0));
		copy_text(holder->host, sizeof(holder->host), dla_db_cell(r, 0, 1));
		holder->pid = dla_db_cell(r, 0, 2) ? strtol(dla_db_cell(r, 0, 2), NULL, 10) : 0;
		copy_timestamp(holder->acquired_at, dla_db_cell(r, 0, 3));
		copy_timestamp(holder->expires_at, dla_db_cell(r, 0, 4));
		for (size_t i = 1; i < r->n_rows; i++)
			if (strcmp(dla_db_cell(r, i, 0) ? dla_db_cell(r, i, 0) : "", run_id) == 0)
				ours_is_extra = true;
		dla_db_result_free(r);

		if (strcmp(holder->run_id, run_id) == 0)
			return DLA_OK;
		if (ours_is_extra) {       /* lost an unenforced-key race */
			code = delete_lock(m, run_id, err);
			if (code != DLA_OK)
				return code;
		}
		expired = strcmp(holder->expires_at, now_c) < 0;
		gone = !expired && alive && strcmp(holder->host, host) == 0 &&
		       !alive(holder->pid, alive_ctx);
		if (!expired && !gone)
			return meta_error(err, DLA_ERR_LOCKED,
					  "run lock held by run '%s' (pid %ld on '%s') until %s",
					  holder->run_id, holder->pid, holder->host,
					  holder->expires_at);
		if (expired)
			snprintf(reason, sizeof(reason),
				 "lease expired: run did not finish");
		else
			snprintf(reason, sizeof(reason), "holder process %ld on '%s' is gone",
				 holder->pid, holder->host);
		code = take_over(m, mine, holder, expired, now_c, reason, &won, err);
		if (code != DLA_OK)
			return code;
		if (won) {
			if (took_over)
				copy_text(took_over, 64, holder->run_id);
			return DLA_OK;
		}
	}
	return meta_error(err, DLA_ERR_LOCKED, "run lock keeps changing hands; try again");
}

enum dla_code dla_meta_lock_holder(const struct dla_meta *m, struct dla_lock_holder *holder,
				   bool *found, struct dla_db_error *err)
{
	struct dla_db_result *r = NULL;
	enum dla_code code;

	memset(holder, 0, sizeof(*holder));
	*found = false;
	code = read_holders(m, &r, err);
	if (code != DLA_OK)
		return code;
	if (r->n_rows > 0) {
		*found = true;
		copy_text(holder->run_id, sizeof(holder->run_id), dla_db_cell(r, 0, 0));
		copy_text(holder->host, sizeof(holder->host), dla_db_cell(r, 0, 1));
		holder->pid = dla_db_cell(r, 0, 2) ? strtol(dla_db_cell(r, 0, 2), NULL, 10) : 0;
		copy_timestamp(holder->acquired_at, dla_db_cell(r, 0, 3));
		copy_timestamp(holder->expires_at, dla_db_cell(r, 0, 4));
	}
	dla_db_result_free(r);
	return DLA_OK;
}

enum dla_code dla_meta_lock_renew(const struct dla_meta *m, const char *run_id,
				  const char *now, long lease_s,
				  struct dla_db_error *err)
{
	char expires[32];
	const char *params[] = { expires, LOCK_NAME, run_id };
	struct dla_buf b = DLA_BUF_INIT;
	long rows = 0;
	enum dla_code code;

	if (!dla_time_add(now, lease_s, expires))
		return meta_error(err, DLA_ERR_USAGE, "invalid lock time '%s'",
				  now ? now : "(null)");
	sql_renew(&b, m);
	code = exec_buf(m, &b, params, N_OF(params), &rows, err);
	if (code == DLA_OK && rows < 1)
		return meta_error(err, DLA_ERR_LOCKED,
				  "run lock lost: run '%s' no longer holds it", run_id);
	return code;
}

enum dla_code dla_meta_lock_release(const struct dla_meta *m, const char *run_id,
				    struct dla_db_error *err)
{
	return delete_lock(m, run_id, err);
}

/* ---- reading runs back ------------------------------------------------ */

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; H. Hinnant's
 * days_from_civil). */
static long days_from_civil(long y, long m, long d)
{
	long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The number of the n digits at s, or -1 when one is not a digit. */
static long digits(const char *s, int n)
{
	long v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* The fast path of timestamp_seconds: "YYYY-MM-DD HH:MM:SS[.f...]", the
 * way every engine prints dla's timestamps back (the node durations read
 * thousands of them).  false: not that form, or not a valid time (the
 * caller then tries every form dla_time_parse knows). */
static bool plain_timestamp_seconds(const char *t, double *out)
{
	static const int month_days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	long y, mo, d, h, mi, sec;
	double fraction = 0, scale = 0.1;
	const char *f = t + 19;

	if (strnlen(t, 19) < 19 || t[4] != '-' || t[7] != '-' || t[10] != ' ' ||
	    t[13] != ':' || t[16] != ':')
		return false;
	y = digits(t, 4);
	mo = digits(t + 5, 2);
	d = digits(t + 8, 2);
	h = digits(t + 11, 2);
	mi = digits(t + 14, 2);
	sec = digits(t + 17, 2);
	if (y < 1 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 ||
	    sec < 0 || sec > 59 ||
	    d > month_days[mo - 1] + (mo == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return false;
	if (*f == '.') {
		for (f++; *f >= '0' && *f <= '9'; f++, scale /= 10)
			fraction += (*f - '0') * scale;
		if (f == t + 20)
			return false;
	}
	if (*f)
		return false;
	*out = (double)(days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec) +
	       fraction;
	return true;
}

/* Seconds since the epoch of a timestamp in any dla_time_parse form. */
static bool timestamp_seconds(const char *text, double *out)
{
	char canon[32];
	struct tm tm;
	double fraction = 0;
	const char *dot;

	if (text && plain_timestamp_seconds(text, out))
		return true;
	if (!text || !dla_time_parse(text, canon))
		return false;
	memset(&tm, 0, sizeof(tm));
	if (sscanf(canon, "%d-%d-%d %d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
		   &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
		return false;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	dot = strchr(canon, '.');
	if (dot)
		fraction = strtod(dot, NULL);
	*out = (double)timegm(&tm) + fraction;
	return true;
}

void dla_meta_node_durations_free(struct dla_node_duration *d, size_t n)
{
	if (!d)
		return;
	for (size_t i = 0; i < n; i++)
		dla_free(d[i].node);
	dla_free(d);
}

enum dla_code dla_meta_node_durations(const struct dla_meta *m, size_t max_runs,
				      struct dla_node_duration **out, size_t *n,
				      struct dla_db_error *err)
{
	struct dla_buf b = DLA_BUF_INIT;
	struct dla_db_result *r;
	struct dla_node_duration *d;
	size_t k = 0;
	enum dla_code code;

	*out = NULL;
	*n = 0;
	sql_node_durations(&b, m, max_runs ? max_runs : 1);
	code = query_buf(m, &b, NULL, 0, &r, err);
	if (code != DLA_OK)
		return code;
	d = dla_calloc(r->n_rows ? r->n_rows : 1, sizeof(*d));
	if (!d) {
		dla_db_result_free(r);
		return meta_error(err, DLA_ERR_NOMEM, "out of memory reading node durations");
	}
	for (size_t i = 0; i < r->n_rows; i++) {
		double started, finished;
		const char *node = dla_db_cell(r, i, 0);

		if (!node || !timestamp_seconds(dla_db_cell(r, i, 1), &started) ||
		    !timestamp_seconds(dla_db_cell(r, i, 2), &finished))
			continue;
		d[k].node = dla_strdup(node);
		if (!d[k].node) {
			dla_db_result_free(r);
			dla_meta_node_durations_free(d, k);
			return meta_error(err, DLA_ERR_NOMEM,
					  "out of memory reading node durations");
		}
		d[k].seconds = finished > started ? finished - started : 0;
		k++;
	}
	dla_db_result_free(r);
	*out = d;
	*n = k;
	return DLA_OK;
}

void dla_meta_run_info_release(struct dla_run_info *r)
{
	if (!r)
		return;
	dla_free(r->selector);
	memset(r, 0, sizeof(*r));
}

enum dla_code dla_meta_run_find(const struct dla_meta *m, const char *project,
				const char *run_id, const char *as_of,
				struct dla_run_info *out, bool *found,
				struct dla_db_error *err)
{
	struct dla_buf b = DLA_BUF_INIT;
	struct dla_db_result *r;
	const char *params[2];
	size_t n_params = 0;
	char as_of_c[32];
	enum dla_code code;

	memset(out, 0, sizeof(*out));
	*found = false;
	if (run_id) {
		params[n_params++] = run_id;
	} else {
		params[n_params++] = project;
		if (as_of) {
			if (!dla_time_parse(as_of, as_of_c))
				return meta_error(err, DLA_ERR_USAGE, "invalid as-of time '%s'",
						  as_of);
			params[n_params++] = as_of_c;
		}
	}
	sql_run_find(&b, m, run_id != NULL, !run_id && as_of);
	code = query_buf(m, &b, params, n_params, &r, err);
	if (code != DLA_OK)
		return code;
	if (r->n_rows > 0) {
		const char *sel = dla_db_cell(r, 0, 5);

		copy_text(out->run_id, sizeof(out->run_id), dla_db_cell(r, 0, 0));
		copy_text(out->command, sizeof(out->command), dla_db_cell(r, 0, 1));
		copy_text(out->status, sizeof(out->status), dla_db_cell(r, 0, 2));
		if (dla_db_cell(r, 0, 3))
			copy_timestamp(out->as_of, dla_db_cell(r, 0, 3));
		copy_text(out->retry_of, sizeof(out->retry_of), dla_db_cell(r, 0, 4));
		if (sel && *sel) {
			out->selector = dla_strdup(sel);
			if (!out->selector) {
				dla_db_result_free(r);
				return meta_error(err, DLA_ERR_NOMEM, "out of memory reading a run");
			}
		}
		*found = true;
	}
	dla_db_result_free(r);
	return DLA_OK;
}

enum dla_code dla_meta_run_nodes(const struct dla_meta *m, const char *run_id,
				 struct dla_db_result **out, struct dla_db_error *err)
{
	const char *params[] = { run_id };
	struct dla_buf b = DLA_BUF_INIT;

	sql_run_nodes(&b, m);
	return query_buf(m, &b, params, N_OF(params), out, err);
}

/* ---- data test results ------------------------------------------------ */

enum dla_code dla_meta_test_record(const struct dla_meta *m, const struct dla_test_row *row,
				   struct dla_db_error *err)
{
	char failures[24];
	const char *params[] = {
		row->run_id, row->node, row->test_name, row->test_kind, row->severity,
		row->status, row->failures >= 0 ? failures : NULL, row->message,
		row->examples, row->started_at, row->finished_at, row->command,
	};
	struct dla_buf b = DLA_BUF_INIT;

	snprintf(failures, sizeof(failures), "%ld", row->failures);
	add_insert(&b, m, "dla_test_result", test_result_columns, N_OF(test_result_columns));
	return exec_buf(m, &b, params, N_OF(params), NULL, err);
}
