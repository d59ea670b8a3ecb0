/*
 * load.h - preparing and executing one node's work on a warehouse.
 *
 * dla_node_prepare() asks the database what the generators need (the
 * source's columns via SQLDescribeCol, the target's existing columns via
 * the dialect's catalog query), then generates the node's statements
 * (sqlgen.h); when the generator offers one way for an empty target and
 * one for a target with rows (stmts.h `when`: facts), it reads whether the
 * target has a row and keeps the one that applies.  dla_node_execute()
 * runs a statement list as ONE transaction: CHECK statements that return
 * rows fail the node before anything is written; any error rolls
 * everything back, then the CHECK_ON_FAILURE statements placed before the
 * failed one may name the cause (stmts.h); CLEANUP statements run after
 * the commit or rollback.  Neither prints anything.
 *
 * Nodes by kind:
 *   view       create or replace the view (retried as drop + create when
 *              the engine refuses to replace it, e.g. PostgreSQL when its
 *              columns changed)
 *   dimension  sqlgen_dim (docs/SCD.md)
 *   fact       sqlgen_fact (docs/FACTS.md); also reads the columns of
 *              every looked-up dimension table and, where DDL commits
 *              (dialect ddl_commits), whether a lookup key column of the
 *              fact holds a NULL (sqlgen.h key_unfilled)
 *   source, exposure   nothing to execute (empty statement list)
 */
#ifndef DLA_LOAD_H
#define DLA_LOAD_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "code.h"
#include "dag.h"
#include "db.h"
#include "project.h"
#include "stmts.h"
#include "warehouse.h"

struct dla_node_counts {
	long inserted, updated, expired, deleted, inferred;
};

struct dla_node_work {
	const struct dla_project *project;
	const struct dla_dag *dag;
	size_t node;                 /* index in dag->nodes */
	const char *run_id;
	const char *as_of;           /* normalised timestamp */
	bool full_refresh;           /* --full-refresh: facts are rebuilt from
					their source (dimensions ignore it) */
};

/*
 * Fills out with the statements of w->node.  On failure errmsg holds a
 * one-line reason (a missing column, a changed type, a database error while
 * describing).  Database errors set *dberr too (may be NULL).
 */
enum dla_code dla_node_prepare(struct dla_warehouse *wh, const struct dla_node_work *w,
			       struct dla_stmts *out, struct dla_buf *errmsg,
			       struct dla_db_error *dberr);

/*
 * Sets *unique when the database itself keeps key (n_key column names,
 * matched case-insensitively) unique in schema.table: some enforced unique
 * index of the table (dialect unique_keys_query) has only columns of key.
 * False, without asking, where the dialect has no unique_keys_query
 * (Snowflake).  A dimension load read from such a table skips its
 * duplicate-key checks (docs/SCD.md).  Database errors fill *dberr.
 */
enum dla_code dla_key_enforced_unique(struct dla_db *db, const struct dla_dialect *dialect,
				      const char *schema, const char *table,
				      const char *const *key, size_t n_key, bool *unique,
				      struct dla_db_error *dberr);

/*
 * Executes stmts as one transaction.  Adds DML row counts to *counts.
 * Returns DLA_OK; DLA_ERR_DATA when a CHECK returned rows, or when after a
 * failure a CHECK_ON_FAILURE did (errmsg: the check's message and up to 5
 * offending rows; *dberr cleared); DLA_ERR_DB / DLA_ERR_CONN_DEAD when a
 * statement failed (errmsg: which statement and the driver's text; *dberr
 * filled).  *db_seconds receives the time spent in the database.
 */
enum dla_code dla_node_execute(struct dla_warehouse *wh, const struct dla_stmts *stmts,
			       struct dla_node_counts *counts, double *db_seconds,
			       struct dla_buf *errmsg, struct dla_db_error *dberr);

/*
 * prepare + execute, the way a run does it.  A view whose CREATE OR REPLACE
 * fails is retried once as drop + create (PostgreSQL refuses to replace a
 * view whose columns changed).
 */
enum dla_code dla_node_run(struct dla_warehouse *wh, const struct dla_node_work *w,
			   struct dla_node_counts *counts, double *db_seconds,
			   struct dla_buf *errmsg, struct dla_db_error *dberr);

/* Prepares a NEW connection for views: makes bare view names resolve in
 * views_schema (dialect->view_search_path), and creates every view of the
 * project, in DAG order and in one transaction, when the dialect keeps
 * views per connection (SQLite TEMP views: a new connection has none, so
 * nothing is dropped first).  skip (NULL: none) leaves out the views i with
 * skip[i]: a run with ONE worker passes the nodes it executes, whose own
 * node creates them on that connection before anything downstream runs.
 * Views whose creation fails are skipped silently here (their node reports
 * the error when it runs). */
enum dla_code dla_views_attach(struct dla_warehouse *wh, const struct dla_project *p,
			       const struct dla_dag *dag, const bool *skip);

/*
 * Test hook (crash-consistency tests: tests/integration/test_crash.sh,
 * docs/RELIABILITY.md).  NULL (the default) = off.  When set, fn is called
 * right after each statement a node's transaction executed on the
 * database: every statement of its list in order (session, DDL, DML,
 * CHECK), then its COMMIT (label "commit"), then each CLEANUP statement;
 * not the statements that only read the catalog or the target
 * (dla_node_prepare), nor a rollback, nor the CHECK_ON_FAILURE statements
 * run after it.  node is the node's name (NULL from dla_node_execute), label
 * the statement's label.  Calls come from every thread running nodes at
 * once: fn must be thread-safe.  Install it before any node runs; the
 * library never reads the environment itself (the orchestrator decides).
 */
typedef void (*dla_stmt_hook_fn)(void *ctx, const char *node, const char *label);
void dla_load_set_stmt_hook(dla_stmt_hook_fn fn, void *ctx);

/* The SQL text naming the relation of node (view / table / source). */
void dla_node_relation_sql(const struct dla_warehouse *wh, const struct dla_project *p,
			   const struct dla_node *node, struct dla_buf *out);

/* The stored table a node's relation is (a declared source, a dimension,
 * a fact): true with *schema and *table pointing into the spec; false for
 * views and exposures. */
bool dla_node_table(const struct dla_node *node, const char **schema, const char **table);

#endif
