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

/* What a PRIMARY KEY rejects by itself on an engine (fact grains: a load
 * leaves these checks to the key and runs them only after a failure, to
 * name the offending keys; docs/FACTS.md). */
enum dla_key_enforcement {
	DLA_KEY_NOT_ENFORCED,     /* declared only (Snowflake) */
	DLA_KEY_UNIQUE,           /* duplicates rejected, NULL accepted (SQLite) */
	DLA_KEY_UNIQUE_NOT_NULL   /* duplicates and NULL rejected (PostgreSQL) */
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

	/* ---- names dla writes unquoted (identifier policy above) ---- */
	/* The longest name the engine keeps, in bytes (PostgreSQL cuts a
	 * longer one at 63 with only a NOTICE: a derived previous_<col> would
	 * then clash with itself on the next run); 0 = no limit that matters. */
	size_t max_ident_bytes;
	/* Words that cannot stand as an unquoted column name, upper case,
	 * NULL-terminated (each engine's own reserved words). */
	const char *const *reserved_words;
	/* How the engine folds an unquoted name: a described column whose name
	 * the fold changes was created quoted ("CustomerId" on PostgreSQL, "id"
	 * on Snowflake), and an unquoted reference would not find it. */
	enum dla_ident_fold { DLA_FOLD_NONE, DLA_FOLD_LOWER, DLA_FOLD_UPPER } ident_fold;

	/* ---- expressions ---- */
	const char *true_literal;      /* "TRUE" / "1" */
	const char *false_literal;     /* "FALSE" / "0" */
	/* Appends a boolean expression true when a and b differ, NULL-safe
	 * (NULL -> value and value -> NULL differ, NULL -> NULL does not). */
	void (*null_safe_distinct)(struct dla_buf *b, const char *a, const char *b_expr);
	/* Appends an expression casting expr to a timestamp (for comparing a
	 * source column with housekeeping timestamps).  SQLite: "(expr)"
	 * unchanged -- source timestamps are assumed to be stored as text in
	 * the canonical form already (datetime()/strftime() would drop or pad
	 * the fraction and break text equality). */
	void (*cast_timestamp)(struct dla_buf *b, const char *expr);
	/* Appends expr converted to a value of type t as a column of type t
	 * stores it, so that a value staged from the source compares equal to
	 * the same value stored in the target whatever the source's own type
	 * (or lack of one: docs/SCD.md "Column types").  PostgreSQL and
	 * Snowflake: CAST(expr AS t), text without a length (a cast to
	 * VARCHAR(n) would cut silently).  SQLite converts without losing
	 * anything, as a column's affinity does: numbers to text for TEXT and
	 * DATE, times to the canonical "YYYY-MM-DD HH:MM:SS[.ffffff]" for
	 * TIMESTAMP (a date gets 00:00:00, 'T' becomes ' ', an offset or Z is
	 * converted to UTC, the fraction at most six digits without trailing
	 * zeros, as timeutil.c writes times); numeric
	 * types unchanged (their affinity converts text that is a number when
	 * stored, and when compared with a numeric column).  expr may be
	 * repeated: pass a column reference, never a parameter. */
	void (*convert)(struct dla_buf *b, const char *expr, const struct dla_coltype *t);
	/* Appends the current UTC time as a timestamp expression. */
	void (*now_utc)(struct dla_buf *b);
	/* Appends the timestamp expr minus seconds seconds (an incremental
	 * fact's lookback).  SQLite: canonical text with milliseconds
	 * ("YYYY-MM-DD HH:MM:SS.SSS"), which compares correctly as text with
	 * the canonical forms, a date included; NULL stays NULL everywhere. */
	void (*timestamp_minus_seconds)(struct dla_buf *b, const char *expr,
					long seconds);

	/* ---- types ---- */
	/* Appends the DDL type for t. */
	void (*type_name)(struct dla_buf *b, const struct dla_coltype *t);
	/* Maps an ODBC result column (db.h) to a logical type.  Character
	 * types give TEXT of unknown length (precision 0): drivers report
	 * made-up lengths.  sqliteodbc describes expression columns as
	 * VARCHAR(255), so they map to TEXT; psqlODBC's unconstrained numeric
	 * (28,6) maps to DECIMAL without precision, and with its default
	 * BoolsAsChar=1 a boolean looks like VARCHAR(5) (use BoolsAsChar=0). */
	void (*from_odbc)(const struct dla_db_column *col, struct dla_coltype *out);
	/* True when a target column of type have can hold values of type want
	 * without a change of type (same family, wider or equal; a want of
	 * unknown length/precision fits; integer -> decimal fits).  SQLite
	 * compares storage classes only: text-like (TEXT, DATE, TIMESTAMP)
	 * versus numeric (INTEGER, DECIMAL, FLOAT, BOOLEAN). */
	bool (*type_compatible)(const struct dla_coltype *have,
				const struct dla_coltype *want);

	/* A query returning (column_name, declared_type) of a relation in
	 * column order, declared_type '' for a column whose type the engine
	 * does not know (SQLite: a view column computed by an expression, a
	 * CREATE TABLE AS column over one, an untyped table column); schema
	 * NULL names a dla view in views_schema.  NULL where the driver's
	 * description of a query (SQLDescribeCol) gives every column's real
	 * type (Snowflake).  PostgreSQL gives the catalog's spelling: a type
	 * psqlODBC describes as character data or a double (json, money,
	 * arrays, enums ...) is then known to be none dla has a logical type
	 * for, and is stored and compared as text.  load.c then reads each undeclared
	 * column's type from the target, or from the values (value_type_probe). */
	void (*declared_types_query)(struct dla_buf *b, const char *schema,
				     const char *table, const char *views_schema);
	/* Appends an aggregate over expr telling the kind of its values:
	 * 1 all integers, 2 numbers some not integers, 3 anything else (text,
	 * blobs), NULL when no value is non-NULL.  NULL with
	 * declared_types_query. */
	void (*value_type_probe)(struct dla_buf *b, const char *expr);
	/* True when CREATE TABLE AS gives a column computed by an expression
	 * no type (SQLite): a stage whose values must compare as the target's
	 * then is created with the target's column types and filled by INSERT
	 * ... SELECT, so the engine's own conversion rules apply to it. */
	bool typed_stage;
	/* True when dates and timestamps are stored as text (SQLite): any
	 * spelling can sit in a TIMESTAMP column, so a time read from the
	 * source is converted (convert) even when its column is a TIMESTAMP. */
	bool times_as_text;

	/* ---- DDL ---- */
	/* Statements making schema usable on this connection: SQLite ATTACHes
	 * "<dir of main db>/<schema>.db" AS schema (main_db_dir given; NULL
	 * gives "<schema>.db"); others CREATE SCHEMA IF NOT EXISTS.  SQLite's
	 * ATTACH is not idempotent: a second one fails ("database x is already
	 * in use"), so attach each schema once per connection. */
	void (*create_schema)(struct dla_buf *b, const char *schema,
			      const char *main_db_dir);
	/* CREATE (OR REPLACE) VIEW for a dla view, "...AS\n<select_sql>"
	 * without select_sql's trailing ';'s and blanks.  SQLite: CREATE TEMP
	 * VIEW v (re-created on every connection; drop_view first to replace
	 * it); PostgreSQL and Snowflake: CREATE OR REPLACE VIEW s.v. */
	void (*create_view)(struct dla_buf *b, const char *views_schema,
			    const char *view, const char *select_sql);
	/* Statement dropping the view (PostgreSQL falls back to drop-and-create
	 * when CREATE OR REPLACE fails because columns changed).  No CASCADE:
	 * dependent views must not vanish silently.  SQLite: temp.<view>. */
	void (*drop_view)(struct dla_buf *b, const char *views_schema, const char *view);
	/* True when the database is a file named by the connection string's
	 * Database= (relative to the project, SPEC 2) and schemas are files
	 * beside it (SQLite). */
	bool file_database;
	/* "Key=value;..." appended to a target's connection string for each key
	 * it does not set (psqlODBC: BoolsAsChar=0 so booleans describe as
	 * booleans, not VARCHAR(5)); NULL for none. */
	const char *connection_defaults;
	/* True when one writer at a time is all the engine does well (SQLite:
	 * concurrent write transactions fail with SQLITE_BUSY): the runner
	 * then serialises table loads while views still run in parallel. */
	bool single_writer;
	/* True when views must be created on every new connection (SQLite). */
	bool views_per_connection;
	/* CREATE TEMPORARY TABLE name AS\n<select_sql> (trimmed as above). */
	void (*create_temp_table_as)(struct dla_buf *b, const char *name,
				     const char *select_sql);
	/* DROP TABLE IF EXISTS for a temporary table: SQLite temp.<name>,
	 * PostgreSQL pg_temp.<name> (never a permanent table of that name);
	 * Snowflake has no temp schema: give temp tables names no permanent
	 * table has. */
	void (*drop_temp_table)(struct dla_buf *b, const char *name);
	/* A query returning (column_name, data_type) of schema.table in
	 * column order, zero rows when the table does not exist.  data_type is
	 * the engine's spelling, parsed back with parse_type. */
	void (*columns_query)(struct dla_buf *b, const char *schema, const char *table);
	/* A query returning (index_name, column_name), ordered by index_name,
	 * for every unique index of schema.table the engine enforces on every
	 * committed row: primary keys and unique indexes or constraints, not
	 * partial, not deferrable, not on expressions (an expression column's
	 * name may come back NULL); zero rows when there is none or no such
	 * table.  NULL where the engine does not enforce uniqueness
	 * (Snowflake: constraints are informational).  Loads use it to skip a
	 * duplicate-key check the database already guarantees (load.h). */
	void (*unique_keys_query)(struct dla_buf *b, const char *schema, const char *table);
	/* A query returning a row when the planner's statistics of
	 * schema.table are stale enough to mislead it, zero rows otherwise.
	 * PostgreSQL: the planner's row count (pg_class density times the
	 * table's current pages) is under half the live rows counted, by more
	 * than 1,000 (an ANALYZE that ran during a bulk load counts none of
	 * the rows being loaded: the planner then takes a table of millions
	 * for an empty one and joins it by nested loop).  NULL where the
	 * engine needs no help (SQLite without ANALYZE, Snowflake). */
	void (*stale_stats_query)(struct dla_buf *b, const char *schema, const char *table);
	/* The statement refreshing those statistics, valid inside a
	 * transaction (PostgreSQL: ANALYZE).  NULL with stale_stats_query. */
	void (*analyze_table)(struct dla_buf *b, const char *schema, const char *table);
	/* Parses an engine type spelling from columns_query into a logical type;
	 * false when unknown (out is then TEXT).  Snowflake: NUMBER(p,0) is
	 * INTEGER. */
	bool (*parse_type)(const char *spelling, struct dla_coltype *out);
	/* ALTER TABLE ... ADD COLUMN. */
	void (*add_column)(struct dla_buf *b, const char *schema, const char *table,
			   const char *column, const struct dla_coltype *t);
	/* CREATE INDEX IF NOT EXISTS index ON schema.table (columns), columns
	 * a comma-separated list ("customer_id, valid_from"); the index lives
	 * in the table's schema (SQLite: "schema.index ON table").  Idempotent,
	 * so templates emit it on every load (a table created before dla made
	 * indexes gets them).  Nothing where the engine has no indexes
	 * (Snowflake: appends nothing, the caller skips the empty statement). */
	void (*create_index)(struct dla_buf *b, const char *schema, const char *table,
			     const char *index, const char *columns);

	/* ---- session and transactions ---- */
	/* Appends the statements run once on every new connection (kind
	 * DLA_STMT_SESSION): SQLite busy_timeout and journal_mode DELETE (no
	 * WAL: a node's transaction must stay atomic across attached files);
	 * PostgreSQL SET TIME ZONE 'UTC'; Snowflake ALTER SESSION SET
	 * TIMEZONE = 'UTC'. */
	void (*session_setup)(struct dla_stmts *out);
	/* Statement making unqualified names in view SQL resolve in
	 * views_schema first, so a view can read another view by bare name
	 * (PostgreSQL binds names when the view is created: SET search_path);
	 * nothing where views resolve in their own schema (Snowflake) or live
	 * per connection (SQLite). */
	void (*view_search_path)(struct dla_buf *b, const char *views_schema);
	/* Statement setting the query tag for the statements that follow
	 * ("dla:<run_id>:<node>"), or nothing where the engine has none
	 * (appends nothing: the caller skips an empty statement). */
	void (*set_query_tag)(struct dla_buf *b, const char *tag);
	/* True when DDL implicitly commits (Snowflake): templates then put all
	 * DDL before the first DML of a node, which they do on every engine
	 * anyway; the runner uses this to decide whether a failure after DDL
	 * can roll the DDL back, and a fact load to ask whether a lookup key
	 * column an earlier, failed load added still holds NULL (load.c). */
	bool ddl_commits;
	/* What a PRIMARY KEY enforces. */
	enum dla_key_enforcement primary_key;
	/* A statement inside a node's transaction after which no other
	 * transaction writes schema.table until this one ends, and whose
	 * next statements see every row committed before it returned: taken
	 * before numbering new rows from the table's largest surrogate key
	 * `key` (a fact's inferred members, docs/FACTS.md), so two loads
	 * inferring into one dimension take turns instead of numbering the
	 * same keys.  PostgreSQL: LOCK TABLE ... IN SHARE ROW EXCLUSIVE MODE
	 * (conflicts with itself and with INSERT, UPDATE, DELETE; readers go
	 * on; a READ COMMITTED statement takes its snapshot when it starts).
	 * Snowflake: an UPDATE of the table matching no row (key < -1: keys
	 * are positive, the unknown member -1), since UPDATE, DELETE and
	 * MERGE hold the table's lock to the end of the transaction and wait
	 * for each other, where INSERTs do not.  Nothing on SQLite, whose
	 * writers take turns on the file (appends nothing: the caller skips
	 * the empty statement). */
	void (*lock_table_writes)(struct dla_buf *b, const char *schema,
				  const char *table, const char *key);
	/* One statement per ODBC call (every engine: dla never sends several
	 * statements in one call). */

	/* ---- run lock ---- */
	/* A statement taking a session-level advisory lock keyed by key
	 * (PostgreSQL pg_try_advisory_lock, returning one row with a boolean),
	 * or nothing where the engine has none. */
	void (*try_advisory_lock)(struct dla_buf *b, long long key);
};

/*
 * ODBC SQL type codes (the values of sql.h/sqlext.h, which only db.c may
 * include) as they appear in struct dla_db_column.sql_type.
 */
enum dla_odbc_type {
	DLA_ODBC_CHAR = 1, DLA_ODBC_NUMERIC = 2, DLA_ODBC_DECIMAL = 3,
	DLA_ODBC_INTEGER = 4, DLA_ODBC_SMALLINT = 5, DLA_ODBC_FLOAT = 6,
	DLA_ODBC_REAL = 7, DLA_ODBC_DOUBLE = 8, DLA_ODBC_DATE = 9,
	DLA_ODBC_TIME = 10, DLA_ODBC_TIMESTAMP = 11, DLA_ODBC_VARCHAR = 12,
	DLA_ODBC_BOOLEAN = 16,              /* not ODBC 3; a few drivers use it */
	DLA_ODBC_TYPE_DATE = 91, DLA_ODBC_TYPE_TIME = 92,
	DLA_ODBC_TYPE_TIMESTAMP = 93,
	DLA_ODBC_LONGVARCHAR = -1, DLA_ODBC_BINARY = -2, DLA_ODBC_VARBINARY = -3,
	DLA_ODBC_LONGVARBINARY = -4, DLA_ODBC_BIGINT = -5, DLA_ODBC_TINYINT = -6,
	DLA_ODBC_BIT = -7, DLA_ODBC_WCHAR = -8, DLA_ODBC_WVARCHAR = -9,
	DLA_ODBC_WLONGVARCHAR = -10, DLA_ODBC_GUID = -11,
};

/*
 * Building blocks shared by the dialect files (implemented in dialect.c).
 * Templates call the vtable, not these.
 */
/* Methods every engine shares: "a""b" identifiers, 'it''s' literals,
 * schema.table relations, and the empty statement for engines without
 * query tags / advisory locks. */
void dla_dialect_std_quote_ident(struct dla_buf *b, const char *ident);
void dla_dialect_std_quote_literal(struct dla_buf *b, const char *text);
void dla_dialect_std_relation(struct dla_buf *b, const char *schema, const char *table);
void dla_dialect_no_query_tag(struct dla_buf *b, const char *tag);
void dla_dialect_no_advisory_lock(struct dla_buf *b, long long key);
/* lock_table_writes for engines with one writer per database (nothing). */
void dla_dialect_no_table_lock(struct dla_buf *b, const char *schema, const char *table,
			       const char *key);
/* Appends select_sql without trailing whitespace and ';'s (a view file may
 * end with "...;\n"). */
void dla_dialect_add_select(struct dla_buf *b, const char *select_sql);
/* The engine-neutral mapping of an ODBC column type: character types ->
 * TEXT with precision 0 (drivers report made-up lengths: psqlODBC 8190 for
 * text, 255 for unknown; sqliteodbc 255 for expressions), exact numerics ->
 * DECIMAL(size, decimals), integer types -> INTEGER, BIT -> BOOLEAN, ...;
 * unknown codes (binary, GUID, TIME) -> TEXT. */
void dla_dialect_odbc_generic(const struct dla_db_column *col, struct dla_coltype *out);
/* The engine-neutral compatibility rule (PostgreSQL, Snowflake):
 *   same type: TEXT when have is unbounded (0), want is of unknown length
 *   (0) or have.precision >= want.precision; DECIMAL when either precision
 *   is 0 (unconstrained / unknown) or have keeps at least want's integer
 *   digits and scale; other types always;
 *   have DECIMAL, want INTEGER: yes;  have INTEGER, want DECIMAL(p<=18, 0):
 *   yes;  anything else: no. */
bool dla_dialect_compatible_generic(const struct dla_coltype *have,
				    const struct dla_coltype *want);
/* A type spelling split into its lowercase base name (spaces collapsed,
 * arguments removed: "timestamp(3) without time zone" -> "timestamp without
 * time zone") and up to two integer arguments.  False when malformed. */
struct dla_type_spelling {
	char base[64];
	unsigned long args[2];
	int n_args;
};
bool dla_dialect_split_type(const char *spelling, struct dla_type_spelling *out);
/* One row of a base-name table for dla_dialect_parse_with. */
struct dla_type_name {
	const char *base;
	enum dla_type type;
};
/* Parses spelling by looking its base name up in names[0..n); TEXT takes
 * args[0] as length, DECIMAL args as precision and scale. */
bool dla_dialect_parse_with(const char *spelling, const struct dla_type_name *names,
			    size_t n, struct dla_coltype *out);

/* How a dialect spells each column type, for dla_dialect_spell_type:
 * text_sized / decimal_sized are the names written with "(length)" /
 * "(precision,scale)" when the type has them (text_sized NULL: never). */
struct dla_type_words {
	const char *text, *text_sized;
	const char *integer, *boolean;
	const char *decimal, *decimal_sized;
	const char *floating, *date, *timestamp;
};
void dla_dialect_spell_type(struct dla_buf *b, const struct dla_coltype *t,
			    const struct dla_type_words *words);
/* convert for engines whose types are real: "CAST(expr AS <t in words>)",
 * text without a length. */
void dla_dialect_cast_words(struct dla_buf *b, const char *expr, const struct dla_coltype *t,
			    const struct dla_type_words *words);
/* "ALTER TABLE schema.table ADD COLUMN column <type in words>" */
void dla_dialect_add_column_words(struct dla_buf *b, const char *schema, const char *table,
				  const char *column, const struct dla_coltype *t,
				  const struct dla_type_words *words);

/* Spellings PostgreSQL and Snowflake share: IS DISTINCT FROM, CREATE SCHEMA
 * IF NOT EXISTS, CREATE OR REPLACE VIEW views_schema.view, DROP VIEW IF
 * EXISTS (no CASCADE: dependent views would silently vanish), CREATE
 * TEMPORARY TABLE ... AS. */
void dla_dialect_std_null_safe_distinct(struct dla_buf *b, const char *a, const char *b_expr);
void dla_dialect_std_create_schema(struct dla_buf *b, const char *schema,
				   const char *main_db_dir);
void dla_dialect_std_create_view(struct dla_buf *b, const char *views_schema,
				 const char *view, const char *select_sql);
void dla_dialect_std_drop_view(struct dla_buf *b, const char *views_schema, const char *view);
void dla_dialect_std_create_temp_table_as(struct dla_buf *b, const char *name,
					  const char *select_sql);

/* create_index: CREATE INDEX IF NOT EXISTS index ON schema.table (columns)
 * (PostgreSQL's spelling); and nothing, for engines without indexes. */
void dla_dialect_std_create_index(struct dla_buf *b, const char *schema, const char *table,
				  const char *index, const char *columns);
void dla_dialect_no_index(struct dla_buf *b, const char *schema, const char *table,
			  const char *index, const char *columns);

/* view_search_path for engines that need none (appends nothing). */
void dla_dialect_no_view_search_path(struct dla_buf *b, const char *views_schema);

extern const struct dla_dialect dla_dialect_sqlite;
extern const struct dla_dialect dla_dialect_postgres;
extern const struct dla_dialect dla_dialect_snowflake;

/* NULL when name can be written unquoted on d and means the column of that
 * name; else why not, as a phrase for an error message ("is a reserved
 * word on postgres", "is 70 bytes long, over postgres's limit of 63",
 * "has upper-case letters, which postgres folds to lower case unless the
 * name is quoted"), in a static buffer of the calling thread. */
const char *dla_dialect_ident_problem(const struct dla_dialect *d, const char *name);

/* The dialect called name, or NULL.  The only place that maps names. */
const struct dla_dialect *dla_dialect_find(const char *name);

/* Names of all dialects, NULL-terminated (for "did you mean"). */
extern const char *const dla_dialect_names[];

#endif
