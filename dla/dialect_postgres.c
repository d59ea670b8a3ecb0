/*
 * dialect_postgres.c - the PostgreSQL dialect (psqlODBC, "PostgreSQL
 * Unicode"; standard_conforming_strings on, so literals only double their
 * quotes).
 *
 * Schemas are real schemas; dla views are persistent views in views_schema.
 * Timestamps are TIMESTAMP (without time zone) holding UTC; the session
 * time zone is UTC.  Table columns come from pg_catalog with format_type's
 * spelling ("numeric(10,2)", "character varying(50)", "timestamp without
 * time zone").
 */
#include "dialect.h"

static void pg_timestamp_literal(struct dla_buf *b, const char *ts)
{
	dla_buf_adds(b, "TIMESTAMP ");
	dla_dialect_std_quote_literal(b, ts);
}

static void pg_cast_timestamp(struct dla_buf *b, const char *expr)
{
	dla_buf_addf(b, "CAST(%s AS TIMESTAMP)", expr);
}

static void pg_now_utc(struct dla_buf *b)
{
	dla_buf_adds(b, "(now() AT TIME ZONE 'UTC')");
}

static void pg_timestamp_minus_seconds(struct dla_buf *b, const char *expr, long seconds)
{
	dla_buf_addf(b, "(%s - INTERVAL '%ld seconds')", expr, seconds);
}

static const struct dla_type_words pg_words = {
	.text = "TEXT", .text_sized = "VARCHAR",
	.integer = "BIGINT", .boolean = "BOOLEAN",
	.decimal = "NUMERIC", .decimal_sized = "NUMERIC",
	.floating = "DOUBLE PRECISION", .date = "DATE", .timestamp = "TIMESTAMP",
};

static void pg_type_name(struct dla_buf *b, const struct dla_coltype *t)
{
	dla_dialect_spell_type(b, t, &pg_words);
}

/* A time through timestamptz and back at UTC: a text value's offset is
 * honoured (a cast of '...+02:00' to timestamp would drop it), a
 * timestamptz becomes its UTC wall-clock time, and a timestamp or a date
 * is read in the session's time zone, which dla pins to UTC. */
static void pg_convert(struct dla_buf *b, const char *expr, const struct dla_coltype *t)
{
	if (t->type == DLA_TYPE_TIMESTAMP)
		dla_buf_addf(b, "(CAST(%s AS TIMESTAMPTZ) AT TIME ZONE 'UTC')", expr);
	else
		dla_dialect_cast_words(b, expr, t, &pg_words);
}

/* psqlODBC describes an unconstrained numeric (and numeric expressions
 * such as sum(bigint) or 1.5) as NUMERIC(28,6): taken as unconstrained.
 * Note: with psqlODBC's default BoolsAsChar=1 a boolean is described as
 * VARCHAR(5); connect with BoolsAsChar=0 to see BIT. */
static void pg_from_odbc(const struct dla_db_column *col, struct dla_coltype *out)
{
	dla_dialect_odbc_generic(col, out);
	if (out->type == DLA_TYPE_DECIMAL && out->precision == 28 && out->scale == 6) {
		out->precision = 0;
		out->scale = 0;
	}
}

/* pg_temp: never drops a permanent table of the same name on search_path. */
static void pg_drop_temp_table(struct dla_buf *b, const char *name)
{
	dla_buf_addf(b, "DROP TABLE IF EXISTS pg_temp.%s", name);
}

static void pg_columns_query(struct dla_buf *b, const char *schema, const char *table)
{
	dla_buf_adds(b, "SELECT a.attname AS column_name, "
		     "format_type(a.atttypid, a.atttypmod) AS data_type "
		     "FROM pg_catalog.pg_attribute a "
		     "JOIN pg_catalog.pg_class c ON c.oid = a.attrelid "
		     "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
		     "WHERE n.nspname = lower(");
	dla_dialect_std_quote_literal(b, schema);
	dla_buf_adds(b, ") AND c.relname = lower(");
	dla_dialect_std_quote_literal(b, table);
	dla_buf_adds(b, ") AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum");
}

/* The catalog's spelling of every column (format_type): a type dla has no
 * logical type for (json, money, arrays, enums, inet, interval ...) is
 * described by psqlODBC as character data or a double, and is stored and
 * compared as text instead (load.c). */
static void pg_declared_types_query(struct dla_buf *b, const char *schema, const char *table,
				    const char *views_schema)
{
	pg_columns_query(b, schema ? schema : views_schema, table);
}

/* pg_index: valid, immediate, no predicate, no expression (indkey also
 * lists INCLUDE columns: an index then only looks wider than it is). */
static void pg_unique_keys_query(struct dla_buf *b, const char *schema, const char *table)
{
	dla_buf_adds(b, "SELECT ic.relname AS index_name, a.attname AS column_name "
		     "FROM pg_catalog.pg_index i "
		     "JOIN pg_catalog.pg_class c ON c.oid = i.indrelid "
		     "JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid "
		     "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
		     "JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid "
		     "AND a.attnum = ANY (i.indkey::int2[]) "
		     "WHERE n.nspname = lower(");
	dla_dialect_std_quote_literal(b, schema);
	dla_buf_adds(b, ") AND c.relname = lower(");
	dla_dialect_std_quote_literal(b, table);
	dla_buf_adds(b, ") AND i.indisunique AND i.indisvalid AND i.indimmediate "
		     "AND i.indpred IS NULL AND i.indexprs IS NULL ORDER BY 1");
}

/* The planner takes a table's row count as pg_class's density
 * (reltuples / relpages) times its current size in pages; stale means that
 * is under half the live rows the statistics collector counts
 * (n_live_tup), by more than 1,000.  Not the rows changed since the last
 * ANALYZE: a writer flushes its counts up to a second after its commit,
 * so an ANALYZE right after a bulk load in the same session is followed
 * by the load's counts, and the table looks stale when it is not. */
static void pg_stale_stats_query(struct dla_buf *b, const char *schema, const char *table)
{
	dla_buf_adds(b, "SELECT c.reltuples, c.relpages, s.n_live_tup "
		     "FROM pg_catalog.pg_stat_user_tables s "
		     "JOIN pg_catalog.pg_class c ON c.oid = s.relid "
		     "WHERE s.schemaname = lower(");
	dla_dialect_std_quote_literal(b, schema);
	dla_buf_adds(b, ") AND s.relname = lower(");
	dla_dialect_std_quote_literal(b, table);
	dla_buf_adds(b, ") AND c.relpages > 0 AND c.reltuples / c.relpages * "
		     "(pg_catalog.pg_relation_size(c.oid) / "
		     "pg_catalog.current_setting('block_size')::integer) "
		     "< 0.5 * s.n_live_tup - 1000");
}

static void pg_analyze_table(struct dla_buf *b, const char *schema, const char *table)
{
	dla_buf_adds(b, "ANALYZE ");
	dla_dialect_std_relation(b, schema, table);
}

static const struct dla_type_name pg_types[] = {
	{ "text", DLA_TYPE_TEXT },
	{ "character varying", DLA_TYPE_TEXT },
	{ "varchar", DLA_TYPE_TEXT },
	{ "character", DLA_TYPE_TEXT },
	{ "char", DLA_TYPE_TEXT },
	{ "bpchar", DLA_TYPE_TEXT },
	{ "name", DLA_TYPE_TEXT },
	{ "bigint", DLA_TYPE_INTEGER },
	{ "integer", DLA_TYPE_INTEGER },
	{ "int", DLA_TYPE_INTEGER },
	{ "smallint", DLA_TYPE_INTEGER },
	{ "int8", DLA_TYPE_INTEGER },
	{ "int4", DLA_TYPE_INTEGER },
	{ "int2", DLA_TYPE_INTEGER },
	{ "numeric", DLA_TYPE_DECIMAL },
	{ "decimal", DLA_TYPE_DECIMAL },
	{ "double precision", DLA_TYPE_FLOAT },
	{ "real", DLA_TYPE_FLOAT },
	{ "float8", DLA_TYPE_FLOAT },
	{ "float4", DLA_TYPE_FLOAT },
	{ "boolean", DLA_TYPE_BOOLEAN },
	{ "bool", DLA_TYPE_BOOLEAN },
	{ "date", DLA_TYPE_DATE },
	{ "timestamp without time zone", DLA_TYPE_TIMESTAMP },
	{ "timestamp", DLA_TYPE_TIMESTAMP },
	{ "timestamp with time zone", DLA_TYPE_TIMESTAMP },
	{ "timestamptz", DLA_TYPE_TIMESTAMP },
};

static bool pg_parse_type(const char *spelling, struct dla_coltype *out)
{
	return dla_dialect_parse_with(spelling, pg_types,
				      sizeof(pg_types) / sizeof(pg_types[0]), out);
}

static void pg_add_column(struct dla_buf *b, const char *schema, const char *table,
			  const char *column, const struct dla_coltype *t)
{
	dla_dialect_add_column_words(b, schema, table, column, t, &pg_words);
}

static void pg_session_setup(struct dla_stmts *out)
{
	dla_stmts_add_str(out, DLA_STMT_SESSION, DLA_COUNT_NONE, "utc session",
			  "SET TIME ZONE 'UTC'", NULL);
	dla_stmts_add_str(out, DLA_STMT_SESSION, DLA_COUNT_NONE, "quiet notices",
			  "SET client_min_messages = warning", NULL);
}

static void pg_view_search_path(struct dla_buf *b, const char *views_schema)
{
	dla_buf_addf(b, "SET search_path TO %s, public", views_schema);
}

static void pg_try_advisory_lock(struct dla_buf *b, long long key)
{
	dla_buf_addf(b, "SELECT pg_try_advisory_lock(%lld)", key);
}

/* PostgreSQL's reserved keywords and those that can be a function or type
 * name but not a column name (pg_get_keywords() catcode 'R' and 'T';
 * tests/unit/test_db_sqlite.c compares this list with the server's). */
static const char *const pg_reserved[] = {
	"ALL", "ANALYSE", "ANALYZE", "AND", "ANY", "ARRAY", "AS", "ASC", "ASYMMETRIC",
	"AUTHORIZATION", "BINARY", "BOTH", "CASE", "CAST", "CHECK", "COLLATE", "COLLATION",
	"COLUMN", "CONCURRENTLY", "CONSTRAINT", "CREATE", "CROSS", "CURRENT_CATALOG",
	"CURRENT_DATE", "CURRENT_ROLE", "CURRENT_SCHEMA", "CURRENT_TIME", "CURRENT_TIMESTAMP",
	"CURRENT_USER", "DEFAULT", "DEFERRABLE", "DESC", "DISTINCT", "DO", "ELSE", "END",
	"EXCEPT", "FALSE", "FETCH", "FOR", "FOREIGN", "FREEZE", "FROM", "FULL", "GRANT",
	"GROUP", "HAVING", "ILIKE", "IN", "INITIALLY", "INNER", "INTERSECT", "INTO", "IS",
	"ISNULL", "JOIN", "LATERAL", "LEADING", "LEFT", "LIKE", "LIMIT", "LOCALTIME",
	"LOCALTIMESTAMP", "NATURAL", "NOT", "NOTNULL", "NULL", "OFFSET", "ON", "ONLY", "OR",
	"ORDER", "OUTER", "OVERLAPS", "PLACING", "PRIMARY", "REFERENCES", "RETURNING",
	"RIGHT", "SELECT", "SESSION_USER", "SIMILAR", "SOME", "SYMMETRIC", "TABLE",
	"TABLESAMPLE", "THEN", "TO", "TRAILING", "TRUE", "UNION", "UNIQUE", "USER", "USING",
	"VARIADIC", "VERBOSE", "WHEN", "WHERE", "WINDOW", "WITH", NULL
};

static void pg_lock_table_writes(struct dla_buf *b, const char *schema, const char *table,
				 const char *key)
{
	dla_buf_adds(b, "LOCK TABLE ");
	dla_dialect_std_relation(b, schema, table);
	dla_buf_adds(b, " IN SHARE ROW EXCLUSIVE MODE");
}

const struct dla_dialect dla_dialect_postgres = {
	.name = "postgres",
	.quote_ident = dla_dialect_std_quote_ident,
	.quote_literal = dla_dialect_std_quote_literal,
	.timestamp_literal = pg_timestamp_literal,
	.relation = dla_dialect_std_relation,
	.view_relation = dla_dialect_std_relation,
	.max_ident_bytes = 63,
	.reserved_words = pg_reserved,
	.ident_fold = DLA_FOLD_LOWER,
	.true_literal = "TRUE",
	.false_literal = "FALSE",
	.null_safe_distinct = dla_dialect_std_null_safe_distinct,
	.cast_timestamp = pg_cast_timestamp,
	.now_utc = pg_now_utc,
	.timestamp_minus_seconds = pg_timestamp_minus_seconds,
	.type_name = pg_type_name,
	.convert = pg_convert,
	.declared_types_query = pg_declared_types_query,
	.value_type_probe = NULL,
	.typed_stage = false,
	.times_as_text = false,
	.from_odbc = pg_from_odbc,
	.type_compatible = dla_dialect_compatible_generic,
	.create_schema = dla_dialect_std_create_schema,
	.create_view = dla_dialect_std_create_view,
	.drop_view = dla_dialect_std_drop_view,
	.views_per_connection = false,
	.create_temp_table_as = dla_dialect_std_create_temp_table_as,
	.drop_temp_table = pg_drop_temp_table,
	.columns_query = pg_columns_query,
	.unique_keys_query = pg_unique_keys_query,
	.stale_stats_query = pg_stale_stats_query,
	.analyze_table = pg_analyze_table,
	.parse_type = pg_parse_type,
	.add_column = pg_add_column,
	.create_index = dla_dialect_std_create_index,
	.session_setup = pg_session_setup,
	.view_search_path = pg_view_search_path,
	.connection_defaults = "BoolsAsChar=0",
	.set_query_tag = dla_dialect_no_query_tag,
	.ddl_commits = false,
	.primary_key = DLA_KEY_UNIQUE_NOT_NULL,
	.lock_table_writes = pg_lock_table_writes,
	.try_advisory_lock = pg_try_advisory_lock,
};
