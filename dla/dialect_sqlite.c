/*
 * dialect_sqlite.c - the SQLite dialect (sqliteodbc, Driver=SQLite3).
 *
 * Schemas are attached database files ("<dir of main db>/<schema>.db",
 * SPEC 2) addressed as schema.table.  dla views are TEMP views created on
 * every connection (a persistent view may not read another attached
 * database) and referred to by bare name.  Dates and timestamps are TEXT in
 * the canonical form "YYYY-MM-DD HH:MM:SS[.ffffff]", which sorts and
 * compares correctly as text; booleans are INTEGER 1/0.  Column types are
 * declared with SQLite's affinity names, so type compatibility is decided
 * by storage class (text-like vs numeric), not by the declared name.
 */
#include "dialect.h"

#include <string.h>

static void sqlite_view_relation(struct dla_buf *b, const char *views_schema,
				 const char *view)
{
	dla_buf_adds(b, view);
}

static void sqlite_null_safe_distinct(struct dla_buf *b, const char *a, const char *b_expr)
{
	dla_buf_addf(b, "(%s IS NOT %s)", a, b_expr);
}

/* Source timestamps are assumed to be stored as text in the canonical form
 * already (what dla writes, what `dla seed` loads): the expression is used
 * unchanged.  datetime()/strftime() would drop or pad the fraction and so
 * break equality with housekeeping timestamps. */
static void sqlite_cast_timestamp(struct dla_buf *b, const char *expr)
{
	dla_buf_addf(b, "(%s)", expr);
}

#define DATE_GLOB "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]"

/* A time as canonical text, whatever spelling the source stored: a date
 * gets 00:00:00, a 'T' separator becomes ' ', a missing seconds field :00,
 * the fraction keeps at most six digits without trailing zeros (none when
 * zero: timeutil.c's one spelling per instant), an offset or Z is
 * converted to UTC (by strftime, to the millisecond).  Values that are not text, or text that is no time, pass
 * unchanged.  The canonical form without a fraction, the common case, is
 * tested first and costs least. */
static void sqlite_timestamp_text(struct dla_buf *b, const char *x)
{
	dla_buf_addf(b, "CASE WHEN typeof(%s) <> 'text' THEN %s\n"
		     "     WHEN length(%s) = 19 AND substr(%s, 11, 1) = ' ' THEN %s\n"
		     "     WHEN %s GLOB '" DATE_GLOB "' THEN %s || ' 00:00:00'\n"
		     "     WHEN NOT %s GLOB '" DATE_GLOB "[ T][0-9][0-9]:[0-9][0-9]*' THEN %s\n",
		     x, x, x, x, x, x, x, x, x);
	dla_buf_addf(b, "     WHEN substr(%s, 17) GLOB '*[zZ+-]*' THEN coalesce(rtrim(rtrim("
		     "strftime('%%Y-%%m-%%d %%H:%%M:%%f', %s), '0'), '.'), %s)\n", x, x, x);
	dla_buf_addf(b, "     WHEN length(%s) = 16 THEN substr(%s, 1, 10) || ' ' || "
		     "substr(%s, 12) || ':00'\n", x, x, x);
	dla_buf_addf(b, "     ELSE substr(%s, 1, 10) || ' ' || substr(%s, 12, 8) || CASE WHEN "
		     "substr(%s, 20, 1) = '.' AND rtrim(substr(%s, 21, 6), '0') <> '' THEN "
		     "'.' || rtrim(substr(%s, 21, 6), '0') ELSE '' END END", x, x, x, x, x);
}

/* What a column of type t would store (dialect.h convert): TEXT affinity
 * turns numbers into text and keeps everything else; times are made
 * canonical; numeric affinities are left to the column (and to the
 * comparison with a numeric column), which convert only text that is a
 * number, where CAST would turn '12abc' into 12 and 'n/a' into 0. */
static void sqlite_convert(struct dla_buf *b, const char *x, const struct dla_coltype *t)
{
	switch (t->type) {
	case DLA_TYPE_TIMESTAMP:
		dla_buf_adds(b, "(");
		sqlite_timestamp_text(b, x);
		dla_buf_adds(b, ")");
		break;
	case DLA_TYPE_TEXT:
	case DLA_TYPE_DATE:
		dla_buf_addf(b, "(CASE WHEN typeof(%s) IN ('integer', 'real') THEN CAST(%s AS TEXT) "
			     "ELSE %s END)", x, x, x);
		break;
	case DLA_TYPE_INTEGER:
	case DLA_TYPE_DECIMAL:
	case DLA_TYPE_FLOAT:
	case DLA_TYPE_BOOLEAN:
		dla_buf_adds(b, x);
		break;
	}
}

static void sqlite_value_type_probe(struct dla_buf *b, const char *x)
{
	dla_buf_addf(b, "MAX(CASE typeof(%s) WHEN 'null' THEN NULL WHEN 'integer' THEN 1 "
		     "WHEN 'real' THEN 2 ELSE 3 END)", x);
}

static void sqlite_now_utc(struct dla_buf *b)
{
	dla_buf_adds(b, "strftime('%Y-%m-%d %H:%M:%S','now')");
}

/* strftime keeps milliseconds ("2026-01-01 00:00:00.000").  Compared as
 * text with canonical values, "value > bound" holds exactly when the value
 * is later: "2026-01-01 00:00:00" and the date "2026-01-01" sort before that
 * bound, "2026-01-01 00:00:00.5" after it. */
static void sqlite_timestamp_minus_seconds(struct dla_buf *b, const char *expr,
					   long seconds)
{
	dla_buf_addf(b, "strftime('%%Y-%%m-%%d %%H:%%M:%%f', %s, '-%ld seconds')", expr,
		     seconds);
}

/* Type affinities: dates and timestamps are canonical text. */
static const struct dla_type_words sqlite_words = {
	.text = "TEXT", .text_sized = NULL,
	.integer = "INTEGER", .boolean = "INTEGER",
	.decimal = "NUMERIC", .decimal_sized = "NUMERIC",
	.floating = "REAL", .date = "TEXT", .timestamp = "TEXT",
};

static void sqlite_type_name(struct dla_buf *b, const struct dla_coltype *t)
{
	dla_dialect_spell_type(b, t, &sqlite_words);
}

/* sqliteodbc describes declared columns by their declared type (TEXT ->
 * LONGVARCHAR, INTEGER -> INTEGER, NUMERIC/REAL -> DOUBLE, TIMESTAMP -> 93,
 * BOOLEAN -> BIT) and expression columns of a prepared statement as
 * VARCHAR(255): the generic mapping (text of unknown length) fits. */
static void sqlite_from_odbc(const struct dla_db_column *col, struct dla_coltype *out)
{
	dla_dialect_odbc_generic(col, out);
}

/* SQLite stores any value in any column; the declared type only sets the
 * affinity.  What matters is that text stays text and numbers stay numbers. */
static bool is_textual(enum dla_type t)
{
	return t == DLA_TYPE_TEXT || t == DLA_TYPE_DATE || t == DLA_TYPE_TIMESTAMP;
}

static bool sqlite_type_compatible(const struct dla_coltype *have,
				   const struct dla_coltype *want)
{
	return is_textual(have->type) == is_textual(want->type);
}

static void sqlite_create_schema(struct dla_buf *b, const char *schema,
				 const char *main_db_dir)
{
	struct dla_buf path = DLA_BUF_INIT;

	if (main_db_dir && *main_db_dir) {
		size_t len = strlen(main_db_dir);

		dla_buf_adds(&path, main_db_dir);
		if (main_db_dir[len - 1] != '/')
			dla_buf_addch(&path, '/');
	}
	dla_buf_addf(&path, "%s.db", schema);
	if (dla_buf_failed(&path))
		b->failed = true;
	dla_buf_adds(b, "ATTACH DATABASE ");
	dla_dialect_std_quote_literal(b, path.buf);
	dla_buf_addf(b, " AS %s", schema);
	dla_buf_release(&path);
}

static void sqlite_create_view(struct dla_buf *b, const char *views_schema,
			       const char *view, const char *select_sql)
{
	dla_buf_addf(b, "CREATE TEMP VIEW %s AS\n", view);
	dla_dialect_add_select(b, select_sql);
}

static void sqlite_drop_view(struct dla_buf *b, const char *views_schema, const char *view)
{
	dla_buf_addf(b, "DROP VIEW IF EXISTS temp.%s", view);
}

static void sqlite_create_temp_table_as(struct dla_buf *b, const char *name,
					const char *select_sql)
{
	dla_buf_addf(b, "CREATE TEMP TABLE %s AS\n", name);
	dla_dialect_add_select(b, select_sql);
}

static void sqlite_drop_temp_table(struct dla_buf *b, const char *name)
{
	dla_buf_addf(b, "DROP TABLE IF EXISTS temp.%s", name);
}

/* The arguments of a table-valued pragma: ('table', 'schema'). */
static void pragma_args(struct dla_buf *b, const char *first, const char *schema)
{
	dla_buf_addch(b, '(');
	dla_dialect_std_quote_literal(b, first);
	dla_buf_adds(b, ", ");
	dla_dialect_std_quote_literal(b, schema);
	dla_buf_addch(b, ')');
}

static void sqlite_columns_query(struct dla_buf *b, const char *schema, const char *table)
{
	dla_buf_adds(b, "SELECT name AS column_name, type AS data_type FROM pragma_table_info");
	pragma_args(b, table, schema);
	dla_buf_adds(b, " ORDER BY cid");
}

/* pragma_table_info gives a view's or table's declared types, '' for a
 * column computed by an expression (or declared without a type); dla
 * views are TEMP views. */
static void sqlite_declared_types_query(struct dla_buf *b, const char *schema,
					const char *table, const char *views_schema)
{
	sqlite_columns_query(b, schema ? schema : "temp", table);
}

/* Unique indexes from pragma_index_list (origin 'pk' and 'u' included),
 * and the INTEGER PRIMARY KEY, which is the rowid and has no index. */
static void sqlite_unique_keys_query(struct dla_buf *b, const char *schema, const char *table)
{
	dla_buf_adds(b, "SELECT il.name AS index_name, ii.name AS column_name FROM pragma_index_list");
	pragma_args(b, table, schema);
	dla_buf_adds(b, " AS il JOIN pragma_index_info(il.name, ");
	dla_dialect_std_quote_literal(b, schema);
	dla_buf_adds(b, ") AS ii WHERE il.\"unique\" = 1 AND il.partial = 0 "
		     "UNION ALL SELECT 'rowid' AS index_name, ti.name AS column_name "
		     "FROM pragma_table_info");
	pragma_args(b, table, schema);
	dla_buf_adds(b, " AS ti WHERE ti.pk = 1 AND upper(ti.type) = 'INTEGER' AND NOT EXISTS "
		     "(SELECT 1 FROM pragma_table_info");
	pragma_args(b, table, schema);
	dla_buf_adds(b, " AS p2 WHERE p2.pk > 1) ORDER BY 1");
}

static bool contains(const char *haystack, const char *needle)
{
	return strstr(haystack, needle) != NULL;
}

/* SQLite's affinity rules (datatype3.html 3.1), after the names dla itself
 * or a hand-written schema may use for dates, timestamps and booleans. */
static bool sqlite_parse_type(const char *spelling, struct dla_coltype *out)
{
	struct dla_type_spelling sp;
	const char *s;

	out->type = DLA_TYPE_TEXT;
	out->precision = 0;
	out->scale = 0;
	if (!spelling || !dla_dialect_split_type(spelling, &sp))
		return false;
	s = sp.base;
	if (strcmp(s, "boolean") == 0 || strcmp(s, "bool") == 0) {
		out->type = DLA_TYPE_BOOLEAN;
	} else if (strcmp(s, "date") == 0) {
		out->type = DLA_TYPE_DATE;
	} else if (strcmp(s, "datetime") == 0 || strncmp(s, "timestamp", 9) == 0) {
		out->type = DLA_TYPE_TIMESTAMP;
	} else if (contains(s, "int")) {
		out->type = DLA_TYPE_INTEGER;
	} else if (contains(s, "char") || contains(s, "clob") || contains(s, "text")) {
		out->type = DLA_TYPE_TEXT;
		if (sp.n_args >= 1)
			out->precision = sp.args[0];
	} else if (contains(s, "blob")) {
		return false;
	} else if (contains(s, "real") || contains(s, "floa") || contains(s, "doub")) {
		out->type = DLA_TYPE_FLOAT;
	} else {
		out->type = DLA_TYPE_DECIMAL;
		if (sp.n_args >= 1) {
			out->precision = sp.args[0];
			out->scale = sp.n_args == 2 ? (int)sp.args[1] : 0;
		}
	}
	return true;
}

static void sqlite_add_column(struct dla_buf *b, const char *schema, const char *table,
			      const char *column, const struct dla_coltype *t)
{
	dla_dialect_add_column_words(b, schema, table, column, t, &sqlite_words);
}

/* SQLite names the index's database, not the table's: "CREATE INDEX s.i ON t". */
static void sqlite_create_index(struct dla_buf *b, const char *schema, const char *table,
				const char *index, const char *columns)
{
	dla_buf_addf(b, "CREATE INDEX IF NOT EXISTS %s.%s ON %s (%s)", schema, index, table,
		     columns);
}

static void sqlite_session_setup(struct dla_stmts *out)
{
	dla_stmts_add_str(out, DLA_STMT_SESSION, DLA_COUNT_NONE, "busy timeout",
			  "PRAGMA busy_timeout = 10000", NULL);
	dla_stmts_add_str(out, DLA_STMT_SESSION, DLA_COUNT_NONE, "rollback journal",
			  "PRAGMA journal_mode = DELETE", NULL);
}

/* Keywords SQLite's grammar does not take back as names (no %fallback to
 * ID in its parse.y), and CURRENT_DATE / CURRENT_TIME / CURRENT_TIMESTAMP,
 * which it accepts as names but reads as the current time.  Checked
 * against the engine by tests/unit/test_db_sqlite.c. */
static const char *const sqlite_reserved[] = {
	"ADD", "ALL", "ALTER", "AND", "AS", "AUTOINCREMENT", "BETWEEN", "CASE", "CHECK",
	"COLLATE", "COMMIT", "CONSTRAINT", "CREATE", "CURRENT_DATE", "CURRENT_TIME",
	"CURRENT_TIMESTAMP", "DEFAULT", "DEFERRABLE", "DELETE", "DISTINCT", "DROP", "ELSE",
	"ESCAPE", "EXCEPT", "EXISTS", "FOREIGN", "FROM", "GROUP", "HAVING", "IN", "INDEX",
	"INSERT", "INTERSECT", "INTO", "IS", "ISNULL", "LIMIT", "NOT", "NOTNULL", "NULL",
	"ON", "OR", "ORDER", "PRIMARY", "REFERENCES", "RETURNING", "SELECT", "SET", "TABLE",
	"THEN", "TO", "TRANSACTION", "UNION", "UNIQUE", "UPDATE", "USING", "VALUES", "WHEN",
	"WHERE", NULL
};

const struct dla_dialect dla_dialect_sqlite = {
	.name = "sqlite",
	.quote_ident = dla_dialect_std_quote_ident,
	.quote_literal = dla_dialect_std_quote_literal,
	.timestamp_literal = dla_dialect_std_quote_literal,   /* TEXT */
	.relation = dla_dialect_std_relation,
	.view_relation = sqlite_view_relation,
	.max_ident_bytes = 0,
	.reserved_words = sqlite_reserved,
	.ident_fold = DLA_FOLD_NONE,
	.true_literal = "1",
	.false_literal = "0",
	.null_safe_distinct = sqlite_null_safe_distinct,
	.cast_timestamp = sqlite_cast_timestamp,
	.now_utc = sqlite_now_utc,
	.timestamp_minus_seconds = sqlite_timestamp_minus_seconds,
	.type_name = sqlite_type_name,
	.convert = sqlite_convert,
	.declared_types_query = sqlite_declared_types_query,
	.value_type_probe = sqlite_value_type_probe,
	.typed_stage = true,
	.times_as_text = true,
	.from_odbc = sqlite_from_odbc,
	.type_compatible = sqlite_type_compatible,
	.create_schema = sqlite_create_schema,
	.create_view = sqlite_create_view,
	.drop_view = sqlite_drop_view,
	.views_per_connection = true,
	.file_database = true,
	.single_writer = true,
	.create_temp_table_as = sqlite_create_temp_table_as,
	.drop_temp_table = sqlite_drop_temp_table,
	.columns_query = sqlite_columns_query,
	.unique_keys_query = sqlite_unique_keys_query,
	.parse_type = sqlite_parse_type,
	.add_column = sqlite_add_column,
	.create_index = sqlite_create_index,
	.session_setup = sqlite_session_setup,
	.view_search_path = dla_dialect_no_view_search_path,
	.set_query_tag = dla_dialect_no_query_tag,
	.ddl_commits = false,
	.primary_key = DLA_KEY_UNIQUE,
	.lock_table_writes = dla_dialect_no_table_lock,
	.try_advisory_lock = dla_dialect_no_advisory_lock,
};
