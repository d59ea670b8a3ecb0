/*
 * stmts.h - an ordered list of generated SQL statements for one node.
 *
 * SQL generation (sqlgen_*.c) produces a struct dla_stmts; the runner
 * executes it in order inside the node's transaction; `dla plan --sql` and
 * `dla run --dry-run` print it.  Each statement says what it is so the runner
 * knows what to do with its result:
 *   DDL      create/alter; always placed before the first DML of a node
 *            (Snowflake commits implicitly on DDL)
 *   DML      insert/update/delete; its SQLRowCount is added to the node
 *            counter named by `counts`
 *   CHECK    a query that must return no rows; if it returns rows the node
 *            fails with `message` followed by up to 5 rows (the offending
 *            keys), before anything is written
 *   CHECK_ON_FAILURE
 *            a CHECK left to the database's own constraints: skipped while
 *            the node succeeds.  When a later statement fails (a DML or
 *            DDL error -- the fact's primary key rejecting a duplicate
 *            grain -- or a CHECK returning rows), the transaction is rolled
 *            back, then the CHECK_ON_FAILURE statements placed before the
 *            failed one run in order; the first that returns rows fails
 *            the node with its `message` and rows, in place of the failed
 *            statement's own error (which stands when none does).  Being
 *            run after the rollback, it may read only what existed before
 *            the node's transaction (the source, the dimensions, the
 *            target as it was): never a temporary table of the node
 *   SESSION  per-connection settings (query tag ...)
 *   CLEANUP  run after the commit (or the rollback), errors ignored: drops
 *            temporary tables (DDL after DML would commit on Snowflake)
 * A statement may hold only for one state of the target (`when`): a
 * generator can offer two ways of loading, one for an empty target and one
 * for a target with rows; dla_stmts_choose() keeps the one that applies
 * (load.c asks the database before the node runs).
 * Ownership: the list owns sql and label strings (freed by
 * dla_stmts_release).  Appending never fails visibly: on allocation failure
 * the list's `failed` flag is set (check once with dla_stmts_failed).
 */
#ifndef DLA_STMTS_H
#define DLA_STMTS_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

enum dla_stmt_kind {
	DLA_STMT_DDL, DLA_STMT_DML, DLA_STMT_CHECK, DLA_STMT_SESSION,
	DLA_STMT_CLEANUP, DLA_STMT_CHECK_ON_FAILURE
};

/* The state of the target a statement is for. */
enum dla_stmt_when {
	DLA_WHEN_ALWAYS,
	DLA_WHEN_TARGET_EMPTY,       /* the target table has no row (or does
					not exist yet) */
	DLA_WHEN_TARGET_HAS_ROWS
};

/* Which node counter a DML statement's row count feeds (SPEC 7 columns). */
enum dla_counter {
	DLA_COUNT_NONE, DLA_COUNT_INSERTED, DLA_COUNT_UPDATED,
	DLA_COUNT_EXPIRED, DLA_COUNT_DELETED,
	DLA_COUNT_INFERRED       /* inferred dimension members a fact created */
};

struct dla_stmt {
	enum dla_stmt_kind kind;
	enum dla_counter counts;
	char *label;     /* short name for logs: "expire changed versions" */
	char *sql;
	char *message;   /* CHECK, CHECK_ON_FAILURE: the failure message
			    prefix; else NULL */
	enum dla_stmt_when when;
};

struct dla_stmts {
	struct dla_stmt *items;
	size_t n, cap;
	bool failed;
};

#define DLA_STMTS_INIT { NULL, 0, 0, false }

void dla_stmts_init(struct dla_stmts *s);
void dla_stmts_release(struct dla_stmts *s);

/* Appends a statement; sql is taken from the buffer (b is released).
 * label and message are copied (message may be NULL).  An empty buffer
 * appends nothing. */
void dla_stmts_add(struct dla_stmts *s, enum dla_stmt_kind kind,
		   enum dla_counter counts, const char *label,
		   struct dla_buf *sql, const char *message);
/* Same with a plain string. */
void dla_stmts_add_str(struct dla_stmts *s, enum dla_stmt_kind kind,
		       enum dla_counter counts, const char *label,
		       const char *sql, const char *message);

/* Makes statements from..n-1 (those appended since n was from) hold only
 * when the target is in state `when`; their labels say so ("insert rows
 * (empty target)", "... (target has rows)"). */
void dla_stmts_set_when(struct dla_stmts *s, size_t from, enum dla_stmt_when when);

/* True when some statement holds only for one state of the target. */
bool dla_stmts_conditional(const struct dla_stmts *s);

/* Removes (and frees) the statements that do not hold when the target has
 * rows (target_has_rows) or not; the others keep their order. */
void dla_stmts_choose(struct dla_stmts *s, bool target_has_rows);

static inline bool dla_stmts_failed(const struct dla_stmts *s) { return s->failed; }

/* "ddl", "dml", "check", "session", "cleanup", "check on failure". */
const char *dla_stmt_kind_name(enum dla_stmt_kind kind);

#endif
