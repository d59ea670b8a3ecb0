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
 *   SESSION  per-connection settings (query tag ...)
 *   CLEANUP  run after the commit (or the rollback), errors ignored: drops
 *            temporary tables (DDL after DML would commit on Snowflake)
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
	DLA_STMT_CLEANUP
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
	char *message;   /* CHECK: the failure message prefix; else NULL */
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

static inline bool dla_stmts_failed(const struct dla_stmts *s) { return s->failed; }

/* "ddl", "dml", "check", "session". */
const char *dla_stmt_kind_name(enum dla_stmt_kind kind);

#endif
