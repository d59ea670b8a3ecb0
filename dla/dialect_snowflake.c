/*
 * dialect_snowflake.c - the Snowflake dialect (Snowflake ODBC driver).
 *
 * Identifiers are written unquoted so Snowflake folds them to upper case
 * (dialect.h).  Timestamps are TIMESTAMP_NTZ holding UTC; the session sets
 * TIMEZONE 'UTC' and TIMESTAMP_TYPE_MAPPING TIMESTAMP_NTZ.  Integers are
 * NUMBER(38,0) (any NUMBER with scale 0 reads back as INTEGER).  DDL
 * commits implicitly.  Every statement after set_query_tag carries the
 * QUERY_TAG "dla:<run_id>:<node>" (SPEC 6).
 *
 * Not reachable from the test machine: the SQL is checked by golden files
 * and by parsing with sqlglot's snowflake dialect (tests/golden/sqlglot_*).
 */
#include "dialect.h"

static void sf_timestamp_literal(struct dla_buf *b, const char *ts)
{
	dla_dialect_std_quote_literal(b, ts);
	dla_buf_adds(b, "::TIMESTAMP_NTZ");
}

static void sf_cast_timestamp(struct dla_buf *b, const char *expr)
{
	dla_buf_addf(b, "CAST(%s AS TIMESTAMP_NTZ)", expr);
}

/* SYSDATE() is the current UTC time as TIMESTAMP_NTZ, whatever the session
 * time zone. */
static void sf_now_utc(struct dla_buf *b)
{
	dla_buf_adds(b, "SYSDATE()");
}

static void sf_timestamp_minus_seconds(struct dla_buf *b, const char *expr, long seconds)
{
	dla_buf_addf(b, "DATEADD(SECOND, -%ld, %s)", seconds, expr);
}

/* Snowflake's bare NUMBER is NUMBER(38,0): an unconstrained decimal would
 * lose its fraction, so it keeps 12 digits of it. */
static const struct dla_type_words sf_words = {
	.text = "VARCHAR", .text_sized = "VARCHAR",
	.integer = "NUMBER(38,0)", .boolean = "BOOLEAN",
	.decimal = "NUMBER(38,12)", .decimal_sized = "NUMBER",
	.floating = "FLOAT", .date = "DATE", .timestamp = "TIMESTAMP_NTZ",
};

static void sf_type_name(struct dla_buf *b, const struct dla_coltype *t)
{
	dla_dialect_spell_type(b, t, &sf_words);
}

/* A time through TIMESTAMP_TZ and CONVERT_TIMEZONE to UTC: a TZ or LTZ
 * value, or text with an offset, keeps its instant (a plain cast to
 * TIMESTAMP_NTZ keeps the wall-clock time and drops the offset); NTZ and
 * dates are read in the session's time zone, which dla pins to UTC. */
static void sf_convert(struct dla_buf *b, const char *expr, const struct dla_coltype *t)
{
	if (t->type == DLA_TYPE_TIMESTAMP)
		dla_buf_addf(b, "CAST(CONVERT_TIMEZONE('UTC', CAST(%s AS TIMESTAMP_TZ)) AS "
			     "TIMESTAMP_NTZ)", expr);
	else
		dla_dialect_cast_words(b, expr, t, &sf_words);
}

/* Snowflake's maximum VARCHAR length: the same as no length. */
#define SF_VARCHAR_MAX 16777216UL

/* A NUMBER with scale 0 holds integers; the maximum length is no length. */
static void sf_normalise(struct dla_coltype *t)
{
	if (t->type == DLA_TYPE_DECIMAL && t->scale == 0) {
		t->type = DLA_TYPE_INTEGER;
		t->precision = 0;
	} else if (t->type == DLA_TYPE_TEXT && t->precision >= SF_VARCHAR_MAX) {
		t->precision = 0;
	}
}

static void sf_from_odbc(const struct dla_db_column *col, struct dla_coltype *out)
{
	dla_dialect_odbc_generic(col, out);
	sf_normalise(out);
}

/* Snowflake has no schema for temporary tables: templates give them names
 * no permanent table has. */
static void sf_drop_temp_table(struct dla_buf *b, const char *name)
{
	dla_buf_addf(b, "DROP TABLE IF EXISTS %s", name);
}

/* Columns of the current database, with NUMBER and TEXT given their
 * precision/length so parse_type sees "NUMBER(10,2)", "VARCHAR(50)". */
static void sf_columns_query(struct dla_buf *b, const char *schema, const char *table)
{
	dla_buf_adds(b, "SELECT column_name, CASE "
		     "WHEN data_type = 'NUMBER' THEN 'NUMBER(' || numeric_precision || ',' || numeric_scale || ')' "
		     "WHEN data_type = 'TEXT' THEN 'VARCHAR(' || character_maximum_length || ')' "
		     "ELSE data_type END AS data_type "
		     "FROM information_schema.columns WHERE table_schema = UPPER(");
	dla_dialect_std_quote_literal(b, schema);
	dla_buf_adds(b, ") AND table_name = UPPER(");
	dla_dialect_std_quote_literal(b, table);
	dla_buf_adds(b, ") ORDER BY ordinal_position");
}

static const struct dla_type_name sf_types[] = {
	{ "varchar", DLA_TYPE_TEXT },
	{ "text", DLA_TYPE_TEXT },
	{ "string", DLA_TYPE_TEXT },
	{ "char", DLA_TYPE_TEXT },
	{ "character", DLA_TYPE_TEXT },
	{ "nvarchar", DLA_TYPE_TEXT },
	{ "nchar", DLA_TYPE_TEXT },
	{ "number", DLA_TYPE_DECIMAL },
	{ "decimal", DLA_TYPE_DECIMAL },
	{ "numeric", DLA_TYPE_DECIMAL },
	{ "int", DLA_TYPE_INTEGER },
	{ "integer", DLA_TYPE_INTEGER },
	{ "bigint", DLA_TYPE_INTEGER },
	{ "smallint", DLA_TYPE_INTEGER },
	{ "tinyint", DLA_TYPE_INTEGER },
	{ "byteint", DLA_TYPE_INTEGER },
	{ "float", DLA_TYPE_FLOAT },
	{ "float4", DLA_TYPE_FLOAT },
	{ "float8", DLA_TYPE_FLOAT },
	{ "double", DLA_TYPE_FLOAT },
	{ "double precision", DLA_TYPE_FLOAT },
	{ "real", DLA_TYPE_FLOAT },
	{ "boolean", DLA_TYPE_BOOLEAN },
	{ "date", DLA_TYPE_DATE },
	{ "timestamp_ntz", DLA_TYPE_TIMESTAMP },
	{ "timestamp", DLA_TYPE_TIMESTAMP },
	{ "datetime", DLA_TYPE_TIMESTAMP },
	{ "timestamp_ltz", DLA_TYPE_TIMESTAMP },
	{ "timestamp_tz", DLA_TYPE_TIMESTAMP },
};

static bool sf_parse_type(const char *spelling, struct dla_coltype *out)
{
	if (!dla_dialect_parse_with(spelling, sf_types,
				    sizeof(sf_types) / sizeof(sf_types[0]), out))
		return false;
	sf_normalise(out);
	return true;
}

static void sf_add_column(struct dla_buf *b, const char *schema, const char *table,
			  const char *column, const struct dla_coltype *t)
{
	dla_dialect_add_column_words(b, schema, table, column, t, &sf_words);
}

static void sf_session_setup(struct dla_stmts *out)
{
	dla_stmts_add_str(out, DLA_STMT_SESSION, DLA_COUNT_NONE, "utc session",
			  "ALTER SESSION SET TIMEZONE = 'UTC'", NULL);
	dla_stmts_add_str(out, DLA_STMT_SESSION, DLA_COUNT_NONE, "ntz timestamps",
			  "ALTER SESSION SET TIMESTAMP_TYPE_MAPPING = 'TIMESTAMP_NTZ'", NULL);
}

static void sf_set_query_tag(struct dla_buf *b, const char *tag)
{
	dla_buf_adds(b, "ALTER SESSION SET QUERY_TAG = ");
	dla_dialect_std_quote_literal(b, tag);
}

/* Snowflake's reserved keywords (its "Reserved & limited keywords" page:
 * the ANSI reserved words it keeps, ASC, DESC, MINUS, QUALIFY, REGEXP,
 * RLIKE, SOME, START, INCREMENT ...), those it refuses as column names or
 * column references included. */
static const char *const sf_reserved[] = {
	"ACCOUNT", "ALL", "ALTER", "AND", "ANY", "AS", "ASC", "BETWEEN", "BY", "CASE",
	"CAST", "CHECK", "COLUMN", "CONNECT", "CONNECTION", "CONSTRAINT", "CREATE", "CROSS",
	"CURRENT", "CURRENT_DATE", "CURRENT_TIME", "CURRENT_TIMESTAMP", "CURRENT_USER",
	"DATABASE", "DELETE", "DESC", "DISTINCT", "DROP", "ELSE", "EXISTS", "FALSE",
	"FOLLOWING", "FOR", "FROM", "FULL", "GRANT", "GROUP", "GSCLUSTER", "HAVING", "ILIKE",
	"IN", "INCREMENT", "INNER", "INSERT", "INTERSECT", "INTO", "IS", "ISSUE", "JOIN",
	"LATERAL", "LEFT", "LIKE", "LOCALTIME", "LOCALTIMESTAMP", "MINUS", "NATURAL", "NOT",
	"NULL", "OF", "ON", "OR", "ORDER", "ORGANIZATION", "QUALIFY", "REGEXP", "REVOKE",
	"RIGHT", "RLIKE", "ROW", "ROWS", "SAMPLE", "SCHEMA", "SELECT", "SET", "SOME", "START",
	"TABLE", "TABLESAMPLE", "THEN", "TO", "TRIGGER", "TRUE", "TRY_CAST", "UNION",
	"UNIQUE", "UPDATE", "USING", "VALUES", "VIEW", "WHEN", "WHENEVER", "WHERE", "WINDOW",
	"WITH", NULL
};

/* An UPDATE matching no row: the table's DML lock, held to the commit. */
static void sf_lock_table_writes(struct dla_buf *b, const char *schema, const char *table,
				 const char *key)
{
	dla_buf_adds(b, "UPDATE ");
	dla_dialect_std_relation(b, schema, table);
	dla_buf_addf(b, " SET %s = %s WHERE %s < -1", key, key, key);
}

const struct dla_dialect dla_dialect_snowflake = {
	.name = "snowflake",
	.quote_ident = dla_dialect_std_quote_ident,
	.quote_literal = dla_dialect_std_quote_literal,
	.timestamp_literal = sf_timestamp_literal,
	.relation = dla_dialect_std_relation,
	.view_relation = dla_dialect_std_relation,
	.max_ident_bytes = 255,
	.reserved_words = sf_reserved,
	.ident_fold = DLA_FOLD_UPPER,
	.true_literal = "TRUE",
	.false_literal = "FALSE",
	.null_safe_distinct = dla_dialect_std_null_safe_distinct,
	.cast_timestamp = sf_cast_timestamp,
	.now_utc = sf_now_utc,
	.timestamp_minus_seconds = sf_timestamp_minus_seconds,
	.type_name = sf_type_name,
	.convert = sf_convert,
	.declared_types_query = NULL,
	.value_type_probe = NULL,
	.typed_stage = false,
	.times_as_text = false,
	.from_odbc = sf_from_odbc,
	.type_compatible = dla_dialect_compatible_generic,
	.create_schema = dla_dialect_std_create_schema,
	.create_view = dla_dialect_std_create_view,
	.drop_view = dla_dialect_std_drop_view,
	.views_per_connection = false,
	.create_temp_table_as = dla_dialect_std_create_temp_table_as,
	.drop_temp_table = sf_drop_temp_table,
	.columns_query = sf_columns_query,
	.unique_keys_query = NULL,   /* constraints are not enforced */
	.parse_type = sf_parse_type,
	.add_column = sf_add_column,
	.create_index = dla_dialect_no_index,
	.session_setup = sf_session_setup,
	.view_search_path = dla_dialect_no_view_search_path,
	.set_query_tag = sf_set_query_tag,
	.ddl_commits = true,
	.primary_key = DLA_KEY_NOT_ENFORCED,
	.lock_table_writes = sf_lock_table_writes,
	.try_advisory_lock = dla_dialect_no_advisory_lock,
};
