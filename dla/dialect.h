/*
 * dialect.h - what differs between SQL engines, as one const vtable per
 * engine (curl's protocol handlers).
 *
 * Each engine lives in its own file (dialect_sqlite.c, dialect_postgres.c,
 * dialect_snowflake.c) exporting one `const struct dla_dialect`.  SQL
 * templates (sqlgen_*.c, meta.c) build statements only through these
 * methods and never test a dialect's name.  Every method appends to a
 * struct dla_buf (buf.h) and cannot fail (the buffer's sticky error is
 * checked once by the caller).
 *
 * Identifier policy: every identifier dla writes has passed dla_ident_valid
 * (regex.h: letters, digits, _).  Such identifiers are written UNQUOTED on
 * every engine, so Snowflake folds them to upper case as its users expect
 * (a quoted lower-case name would be a different object there), and
 * PostgreSQL / SQLite fold or match them case-insensitively.  quote_ident is
 * only used for names that are not valid identifiers (e.g. a source column
 * with a space), which then keep their exact spelling.
 *
 * Literal policy: values that come from users or data (messages, run
 * parameters) are bound as parameters (db.h), never spliced.  Literals
 * spliced into generated SQL are produced by dla itself (timestamps it
 * formatted, run ids, 'Unknown') and still go through quote_literal.
 *
 * Timestamps: all housekeeping timestamps are UTC without time zone,
 * "YYYY-MM-DD HH:MM:SS[.ffffff]" (SPEC 6).  SQLite stores them as TEXT in
 * that form (so they sort and compare correctly as text).
 */
#ifndef DLA_DIALECT_H
#define DLA_DIALECT_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "db.h"
#include "stmts.h"

/* Logical column types dla maps to engine types. */
enum dla_type {
	DLA_TYPE_TEXT,       /* variable-length text */
	DLA_TYPE_INTEGER,    /* 64-bit integer (surrogate keys, counts) */
	DLA_TYPE_DECIMAL,    /* exact numeric with precision/scale */
	DLA_TYPE_FLOAT,      /* double precision */
	DLA_TYPE_BOOLEAN,
	DLA_TYPE_DATE,
	DLA_TYPE_TIMESTAMP,  /* without time zone */
};

/* A column type as dla understands it (from SQLDescribeCol, or declared). */
struct dla_coltype {
	enum dla_type type;
	unsigned long precision;  /* DECIMAL precision or TEXT length; 0 = none */
	int scale;                /* DECIMAL scale */
};

struct dla_dialect {
	const char *name;              /* "sqlite", "postgres", "snowflake" */

	/* ---- names and literals ---- */
	/* Appends ident quoted for this engine ("a""b" / `a` ...). */
	void (*quote_ident)(struct dla_buf *b, const char *ident);
	/* Appends text as a string literal ('it''s'). */
	void (*quote_literal)(struct dla_buf *b, const char *text);
	/* Appends a TIMESTAMP literal for ts ("YYYY-MM-DD HH:MM:SS[.f]"). */
	void (*timestamp_literal)(struct dla_buf *b, const char *ts);
	/* Appends the relation name of schema.table (SQLite: attached file
	 * alias; others: schema.table). */
	void (*relation)(struct dla_buf *b, const char *schema, const char *table);
	/* Appends how generated SQL refers to a dla view in views_schema
	 * (SQLite: TEMP views per connection, referred to by bare name). */
	void (*view_relation)(struct dla_buf *b, const char *views_schema,
			      const char *view);

	/* ---- expressions ---- */
	const char *true_literal;      /* "TRUE" / "1" */
	const char *false_literal;     /* "FALSE" / "0" */
	/* Appends a boolean expression true when a and b differ, NULL-safe
	 * (NULL -> value and value -> NULL differ, NULL -> NULL does not). */
	void (*null_safe_distinct)(struct dla_buf *b, const char *a, const char *b_expr);
	/* Appends an expression casting expr to a timestamp (for comparing a
	 * source column with housekeeping timestamps). */
	void (*cast_timestamp)(struct dla_buf *b, const char *expr);
	/* Appends the current UTC time as a timestamp expression. */
	void (*now_utc)(struct dla_buf *b);

	/* ---- types ---- */
	/* Appends the DDL type for t. */
	void (*type_name)(struct dla_buf *b, const struct dla_coltype *t);
	/* Maps an ODBC result column (db.h) to a logical type. */
	void (*from_odbc)(const struct dla_db_column *col, struct dla_coltype *out);
	/* True when a target column of type have can hold values of type want
	 * without a change of type (same family, wider or equal). */
	bool (*type_compatible)(const struct dla_coltype *have,
				const struct dla_coltype *want);

	/* ---- DDL ---- */
	/* Statements making schema usable on this connection: SQLite ATTACHes
	 * "<dir of main db>/<schema>.db" AS schema (main_db_dir given);
	 * others CREATE SCHEMA IF NOT EXISTS. */
	void (*create_schema)(struct dla_buf *b, const char *schema,
			      const char *main_db_dir);
	/* CREATE (OR REPLACE) VIEW for a dla view.  SQLite: CREATE TEMP VIEW
	 * (re-created on every connection); PostgreSQL: CREATE OR REPLACE
	 * VIEW; Snowflake: CREATE OR REPLACE VIEW. */
	void (*create_view)(struct dla_buf *b, const char *views_schema,
			    const char *view, const char *select_sql);
	/* Statement dropping the view (PostgreSQL falls back to drop-and-create
	 * when CREATE OR REPLACE fails because columns changed). */
	void (*drop_view)(struct dla_buf *b, const char *views_schema, const char *view);
	/* True when views must be created on every new connection (SQLite). */
	bool views_per_connection;
	/* CREATE TEMPORARY TABLE name AS select. */
	void (*create_temp_table_as)(struct dla_buf *b, const char *name,
				     const char *select_sql);
	/* DROP TABLE IF EXISTS for a temporary table. */
	void (*drop_temp_table)(struct dla_buf *b, const char *name);
	/* A query returning (column_name, data_type) of schema.table in
	 * column order, zero rows when the table does not exist.  data_type is
	 * the engine's spelling, parsed back with parse_type. */
	void (*columns_query)(struct dla_buf *b, const char *schema, const char *table);
	/* Parses an engine type spelling from columns_query into a logical type;
	 * false when unknown (treated as TEXT). */
	bool (*parse_type)(const char *spelling, struct dla_coltype *out);
	/* ALTER TABLE ... ADD COLUMN. */
	void (*add_column)(struct dla_buf *b, const char *schema, const char *table,
			   const char *column, const struct dla_coltype *t);

	/* ---- session and transactions ---- */
	/* Appends the statements run once on every new connection (kind
	 * DLA_STMT_SESSION): SQLite busy_timeout and journal_mode DELETE (no
	 * WAL: a node's transaction must stay atomic across attached files);
	 * PostgreSQL SET TIME ZONE 'UTC'; Snowflake ALTER SESSION SET
	 * TIMEZONE = 'UTC'. */
	void (*session_setup)(struct dla_stmts *out);
	/* Statement setting the query tag for the statements that follow
	 * ("dla:<run_id>:<node>"), or nothing where the engine has none
	 * (appends nothing: the caller skips an empty statement). */
	void (*set_query_tag)(struct dla_buf *b, const char *tag);
	/* True when DDL implicitly commits (Snowflake): templates then put all
	 * DDL before the first DML of a node, which they do on every engine
	 * anyway; the runner uses this only to decide whether a failure after
	 * DDL can roll the DDL back. */
	bool ddl_commits;
	/* One statement per ODBC call (every engine: dla never sends several
	 * statements in one call). */

	/* ---- run lock ---- */
	/* A statement taking a session-level advisory lock keyed by key
	 * (PostgreSQL pg_try_advisory_lock, returning one row with a boolean),
	 * or nothing where the engine has none. */
	void (*try_advisory_lock)(struct dla_buf *b, long long key);
};

extern const struct dla_dialect dla_dialect_sqlite;
extern const struct dla_dialect dla_dialect_postgres;
extern const struct dla_dialect dla_dialect_snowflake;

/* The dialect called name, or NULL.  The only place that maps names. */
const struct dla_dialect *dla_dialect_find(const char *name);

/* Names of all dialects, NULL-terminated (for "did you mean"). */
extern const char *const dla_dialect_names[];

#endif
