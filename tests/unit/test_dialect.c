/* test_dialect.c - the three SQL dialects, driven by tests/data/dialect/<method>.cases.
 *
 * A cases file has one case per line, fields separated by TABs:
 *     dialect  arg1 ... argN  expected
 * dialect is sqlite, postgres, snowflake or * (all three); \n \t \\ are
 * escapes; lines starting with # and blank lines are skipped.  Types are
 * written TEXT, TEXT(50), INTEGER, DECIMAL, DECIMAL(10,2), FLOAT, BOOLEAN,
 * DATE, TIMESTAMP (parse_type of an unknown spelling gives "unknown");
 * ODBC columns as CODE,size,decimals with CODE a DLA_ODBC_* name without
 * the prefix or a number.  Every method has a file and every file covers
 * every dialect.  Run from the repository root.
 *
 * Every Snowflake statement (expressions wrapped in SELECT, types in CREATE
 * TABLE) is also written to $DLA_SQLGLOT_DIR/dialect/<method>.sql (default
 * build/sqlglot) for tests/golden/sqlglot_run.sh.
 */
#include "test_util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "alloc.h"
#include "buf.h"
#include "dialect.h"
#include "stmts.h"

#define MAX_FIELDS 8

/* ---- type notation ---- */

static const char *const type_names[] = {
	[DLA_TYPE_TEXT] = "TEXT", [DLA_TYPE_INTEGER] = "INTEGER",
	[DLA_TYPE_DECIMAL] = "DECIMAL", [DLA_TYPE_FLOAT] = "FLOAT",
	[DLA_TYPE_BOOLEAN] = "BOOLEAN", [DLA_TYPE_DATE] = "DATE",
	[DLA_TYPE_TIMESTAMP] = "TIMESTAMP",
};

static bool parse_coltype(const char *text, struct dla_coltype *t)
{
	char name[32];
	const char *paren = strchr(text, '(');
	size_t len = paren ? (size_t)(paren - text) : strlen(text);

	memset(t, 0, sizeof(*t));
	if (len >= sizeof(name))
		return false;
	memcpy(name, text, len);
	name[len] = '\0';
	for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++) {
		if (strcmp(type_names[i], name) != 0)
			continue;
		t->type = (enum dla_type)i;
		if (paren && sscanf(paren, "(%lu,%d)", &t->precision, &t->scale) < 1)
			return false;
		return true;
	}
	return false;
}

static void format_coltype(struct dla_buf *b, const struct dla_coltype *t)
{
	dla_buf_adds(b, type_names[t->type]);
	if (t->type == DLA_TYPE_DECIMAL && t->precision)
		dla_buf_addf(b, "(%lu,%d)", t->precision, t->scale);
	else if (t->type == DLA_TYPE_TEXT && t->precision)
		dla_buf_addf(b, "(%lu)", t->precision);
}

static const struct { const char *name; int code; } odbc_names[] = {
	{ "CHAR", DLA_ODBC_CHAR }, { "NUMERIC", DLA_ODBC_NUMERIC },
	{ "DECIMAL", DLA_ODBC_DECIMAL }, { "INTEGER", DLA_ODBC_INTEGER },
	{ "SMALLINT", DLA_ODBC_SMALLINT }, { "FLOAT", DLA_ODBC_FLOAT },
	{ "REAL", DLA_ODBC_REAL }, { "DOUBLE", DLA_ODBC_DOUBLE },
	{ "DATE", DLA_ODBC_DATE }, { "TIME", DLA_ODBC_TIME },
	{ "TIMESTAMP", DLA_ODBC_TIMESTAMP }, { "VARCHAR", DLA_ODBC_VARCHAR },
	{ "BOOLEAN", DLA_ODBC_BOOLEAN }, { "TYPE_DATE", DLA_ODBC_TYPE_DATE },
	{ "TYPE_TIME", DLA_ODBC_TYPE_TIME }, { "TYPE_TIMESTAMP", DLA_ODBC_TYPE_TIMESTAMP },
	{ "LONGVARCHAR", DLA_ODBC_LONGVARCHAR }, { "BINARY", DLA_ODBC_BINARY },
	{ "VARBINARY", DLA_ODBC_VARBINARY }, { "LONGVARBINARY", DLA_ODBC_LONGVARBINARY },
	{ "BIGINT", DLA_ODBC_BIGINT }, { "TINYINT", DLA_ODBC_TINYINT },
	{ "BIT", DLA_ODBC_BIT }, { "WCHAR", DLA_ODBC_WCHAR },
	{ "WVARCHAR", DLA_ODBC_WVARCHAR }, { "WLONGVARCHAR", DLA_ODBC_WLONGVARCHAR },
	{ "GUID", DLA_ODBC_GUID },
};

static bool parse_odbc_column(const char *text, struct dla_db_column *col)
{
	char code[32];
	int decimals = 0;

	memset(col, 0, sizeof(*col));
	if (sscanf(text, "%31[^,],%lu,%d", code, &col->size, &decimals) != 3)
		return false;
	col->decimals = decimals;
	for (size_t i = 0; i < sizeof(odbc_names) / sizeof(odbc_names[0]); i++) {
		if (strcmp(odbc_names[i].name, code) == 0) {
			col->sql_type = odbc_names[i].code;
			return true;
		}
	}
	col->sql_type = atoi(code);
	return col->sql_type != 0 || strcmp(code, "0") == 0;
}

/* ---- the methods under test ---- */

/* What a Snowflake result is for sqlglot: nothing, a statement, an
 * expression (wrapped in SELECT), a relation, a type. */
enum sql_shape { SHAPE_NONE, SHAPE_STMT, SHAPE_EXPR, SHAPE_RELATION, SHAPE_TYPE };

struct method {
	const char *name;
	int n_args;
	enum sql_shape shape;
	/* Appends the result for args to out; false when an argument is
	 * malformed (a mistake in the cases file). */
	bool (*run)(const struct dla_dialect *d, char **args, struct dla_buf *out);
};

static bool run_quote_ident(const struct dla_dialect *d, char **a, struct dla_buf *o)
{ d->quote_ident(o, a[0]); return true; }
static bool run_quote_literal(const struct dla_dialect *d, char **a, struct dla_buf *o)
{ d->quote_literal(o, a[0]); return true; }
static bool run_timestamp_literal(const struct dla_dialect *d, char **a, struct dla_buf *o)
{ d->timestamp_literal(o, a[0]); return true; }
static bool run_relation(const struct dla_dialect *d, char **a, struct dla_buf *o)
{ d->relation(o, a[0], a[1]); return true; }
static bool run_view_relation(const struct dla_dialect *d, char **a, struct dla_buf *o)
{ d->view_relation(o, a[0], a[1]); return true; }
static bool run_null_safe_distinct(const struct dla_dialect *d, char **a, struct dla_buf *o)
{ d->null_safe_distinct(o, a[0], a[1]); return true; }
static bool run_cast_timestamp(const struct dla_dialect *d, char **a, struct dla_buf *o)
{ d->cast_timestamp(o, a[0]); return true; }
static bool run_now_utc(const struct dla_dialect *d, char **a, struct dla_buf *o)
{ d->now_utc(o); return true; }
static bool run_create_view(const struct dla_dialect *d, char **a, struct dla_buf *o)
{ d->create_view(o, a[0], a[1], a[2]); return true; }
static bool run_drop_view(const struct dla_dialect *d, char **a, struct dla_buf *o)
{ d->drop_view(o, a[0], a[1]); return true; }
static bool run_create_temp_table_as(const struct dla_dialect *d, char **a, struct dla_buf *o)
{ d->create_temp_table_as(o, a[0], a[1]); return true; }
static bool run_drop_temp_table(const struct dla_dialect *d, char **a, struct dla_buf *o)
{ d->drop_temp_table(o, a[0]); return true; }
static bool run_columns_query(const struct dla_dialect *d, char **a, struct dla_buf *o)
{ d->columns_query(o, a[0], a[1]); return true; }
/* nothing where the engine does not enforce uniqueness (NULL method) */
static bool run_unique_keys_query(const struct dla_dialect *d, char **a, struct dla_buf *o)
{ if (d->unique_keys_query) d->unique_keys_query(o, a[0], a[1]); return true; }
static bool run_stale_stats_query(const struct dla_dialect *d, char **a, struct dla_buf *o)
{ if (d->stale_stats_query) d->stale_stats_query(o, a[0], a[1]); return true; }
static bool run_analyze_table(const struct dla_dialect *d, char **a, struct dla_buf *o)
{ if (d->analyze_table) d->analyze_table(o, a[0], a[1]); return true; }
static bool run_set_query_tag(const struct dla_dialect *d, char **a, struct dla_buf *o)
{ d->set_query_tag(o, a[0]); return true; }

/* "-" stands for a NULL main_db_dir */
static bool run_create_schema(const struct dla_dialect *d, char **a, struct dla_buf *o)
{
	d->create_schema(o, a[0], strcmp(a[1], "-") == 0 ? NULL : a[1]);
	return true;
}

static bool run_try_advisory_lock(const struct dla_dialect *d, char **a, struct dla_buf *o)
{
	d->try_advisory_lock(o, strtoll(a[0], NULL, 10));
	return true;
}

static bool run_type_name(const struct dla_dialect *d, char **a, struct dla_buf *o)
{
	struct dla_coltype t;

	if (!parse_coltype(a[0], &t))
		return false;
	d->type_name(o, &t);
	return true;
}

static bool run_add_column(const struct dla_dialect *d, char **a, struct dla_buf *o)
{
	struct dla_coltype t;

	if (!parse_coltype(a[3], &t))
		return false;
	d->add_column(o, a[0], a[1], a[2], &t);
	return true;
}

static bool run_create_index(const struct dla_dialect *d, char **a, struct dla_buf *o)
{
	d->create_index(o, a[0], a[1], a[2], a[3]);
	return true;
}

static bool run_lock_table_writes(const struct dla_dialect *d, char **a, struct dla_buf *o)
{
	d->lock_table_writes(o, a[0], a[1], a[2]);
	return true;
}

static bool run_session_setup(const struct dla_dialect *d, char **a, struct dla_buf *o)
{
	struct dla_stmts s = DLA_STMTS_INIT;

	d->session_setup(&s);
	for (size_t i = 0; i < s.n; i++) {
		assert_int_equal(s.items[i].kind, DLA_STMT_SESSION);
		dla_buf_addf(o, "%s%s", i ? "; " : "", s.items[i].sql);
	}
	assert_false(dla_stmts_failed(&s));
	dla_stmts_release(&s);
	return true;
}

static bool run_view_search_path(const struct dla_dialect *d, char **a, struct dla_buf *o)
{
	d->view_search_path(o, a[0]);
	return true;
}

static bool run_flags(const struct dla_dialect *d, char **a, struct dla_buf *o)
{
	dla_buf_addf(o, "true=%s false=%s views_per_connection=%s ddl_commits=%s "
		     "typed_stage=%s times_as_text=%s", d->true_literal, d->false_literal,
		     d->views_per_connection ? "yes" : "no", d->ddl_commits ? "yes" : "no",
		     d->typed_stage ? "yes" : "no", d->times_as_text ? "yes" : "no");
	return true;
}

static bool run_convert(const struct dla_dialect *d, char **a, struct dla_buf *o)
{
	struct dla_coltype t;

	if (!parse_coltype(a[1], &t))
		return false;
	d->convert(o, a[0], &t);
	return true;
}

/* nothing where the driver's description is exact (NULL method); "-" is
 * a NULL schema (a dla view) */
static bool run_declared_types_query(const struct dla_dialect *d, char **a, struct dla_buf *o)
{
	if (d->declared_types_query)
		d->declared_types_query(o, strcmp(a[0], "-") == 0 ? NULL : a[0], a[1], a[2]);
	return true;
}

static bool run_value_type_probe(const struct dla_dialect *d, char **a, struct dla_buf *o)
{
	if (d->value_type_probe)
		d->value_type_probe(o, a[0]);
	return true;
}

static bool run_parse_type(const struct dla_dialect *d, char **a, struct dla_buf *o)
{
	struct dla_coltype t;

	memset(&t, 0x5a, sizeof(t));
	if (d->parse_type(a[0], &t)) {
		format_coltype(o, &t);
	} else {
		/* documented: an unknown spelling reads as TEXT */
		assert_int_equal(t.type, DLA_TYPE_TEXT);
		dla_buf_adds(o, "unknown");
	}
	return true;
}

static bool run_from_odbc(const struct dla_dialect *d, char **a, struct dla_buf *o)
{
	struct dla_db_column col;
	struct dla_coltype t;

	if (!parse_odbc_column(a[0], &col))
		return false;
	memset(&t, 0x5a, sizeof(t));
	d->from_odbc(&col, &t);
	format_coltype(o, &t);
	return true;
}

static bool run_type_compatible(const struct dla_dialect *d, char **a, struct dla_buf *o)
{
	struct dla_coltype have, want;

	if (!parse_coltype(a[0], &have) || !parse_coltype(a[1], &want))
		return false;
	dla_buf_adds(o, d->type_compatible(&have, &want) ? "yes" : "no");
	return true;
}

static const struct method methods[] = {
	{ "quote_ident", 1, SHAPE_EXPR, run_quote_ident },
	{ "quote_literal", 1, SHAPE_EXPR, run_quote_literal },
	{ "timestamp_literal", 1, SHAPE_EXPR, run_timestamp_literal },
	{ "relation", 2, SHAPE_RELATION, run_relation },
	{ "view_relation", 2, SHAPE_RELATION, run_view_relation },
	{ "null_safe_distinct", 2, SHAPE_EXPR, run_null_safe_distinct },
	{ "cast_timestamp", 1, SHAPE_EXPR, run_cast_timestamp },
	{ "convert", 2, SHAPE_EXPR, run_convert },
	{ "value_type_probe", 1, SHAPE_EXPR, run_value_type_probe },
	{ "declared_types_query", 3, SHAPE_STMT, run_declared_types_query },
	{ "now_utc", 0, SHAPE_EXPR, run_now_utc },
	{ "flags", 0, SHAPE_NONE, run_flags },
	{ "type_name", 1, SHAPE_TYPE, run_type_name },
	{ "from_odbc", 1, SHAPE_NONE, run_from_odbc },
	{ "type_compatible", 2, SHAPE_NONE, run_type_compatible },
	{ "parse_type", 1, SHAPE_NONE, run_parse_type },
	{ "create_schema", 2, SHAPE_STMT, run_create_schema },
	{ "create_view", 3, SHAPE_STMT, run_create_view },
	{ "drop_view", 2, SHAPE_STMT, run_drop_view },
	{ "create_temp_table_as", 2, SHAPE_STMT, run_create_temp_table_as },
	{ "drop_temp_table", 1, SHAPE_STMT, run_drop_temp_table },
	{ "columns_query", 2, SHAPE_STMT, run_columns_query },
	{ "unique_keys_query", 2, SHAPE_STMT, run_unique_keys_query },
	{ "stale_stats_query", 2, SHAPE_STMT, run_stale_stats_query },
	{ "analyze_table", 2, SHAPE_STMT, run_analyze_table },
	{ "add_column", 4, SHAPE_STMT, run_add_column },
	{ "create_index", 4, SHAPE_STMT, run_create_index },
	{ "session_setup", 0, SHAPE_STMT, run_session_setup },
	{ "view_search_path", 1, SHAPE_STMT, run_view_search_path },
	{ "set_query_tag", 1, SHAPE_STMT, run_set_query_tag },
	{ "try_advisory_lock", 1, SHAPE_STMT, run_try_advisory_lock },
	{ "lock_table_writes", 3, SHAPE_STMT, run_lock_table_writes },
};

#define N_METHODS (sizeof(methods) / sizeof(methods[0]))

/* ---- the cases runner ---- */

static void unescape(char *s)
{
	char *w = s;

	for (char *r = s; *r; r++) {
		if (*r == '\\' && r[1]) {
			r++;
			*w++ = *r == 'n' ? '\n' : *r == 't' ? '\t' : *r;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

static int split_fields(char *line, char **fields)
{
	int n = 0;
	char *p = line;

	for (;;) {
		char *tab = strchr(p, '\t');

		if (n == MAX_FIELDS)
			return -1;
		fields[n++] = p;
		if (!tab)
			break;
		*tab = '\0';
		p = tab + 1;
	}
	for (int i = 0; i < n; i++)
		unescape(fields[i]);
	return n;
}

static void mkdir_p(const char *path)
{
	char tmp[512];

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(tmp, 0777);
			*p = '/';
		}
	}
	if (mkdir(tmp, 0777) != 0 && errno != EEXIST)
		fail_msg("cannot create '%s': %s", tmp, strerror(errno));
}

static FILE *open_sqlglot_dump(const char *method)
{
	const char *dir = getenv("DLA_SQLGLOT_DIR");
	char path[512];
	FILE *f;

	if (!dir || !*dir)
		dir = "build/sqlglot";
	snprintf(path, sizeof(path), "%s/dialect", dir);
	mkdir_p(path);
	snprintf(path, sizeof(path), "%s/dialect/%s.sql", dir, method);
	f = fopen(path, "w");
	if (!f)
		fail_msg("cannot write '%s': %s", path, strerror(errno));
	fprintf(f, "-- generated by tests/unit/test_dialect.c from "
		"tests/data/dialect/%s.cases\n", method);
	return f;
}

static void dump_snowflake(FILE *f, const struct method *m, const char *sql)
{
	if (!*sql)
		return;
	switch (m->shape) {
	case SHAPE_NONE:
		return;
	case SHAPE_STMT:
		if (strcmp(m->name, "session_setup") == 0) {
			/* joined with "; ": one statement each */
			const char *p = sql, *sep;

			while ((sep = strstr(p, "; ")) != NULL) {
				fprintf(f, "-- @@\n%.*s\n", (int)(sep - p), p);
				p = sep + 2;
			}
			fprintf(f, "-- @@\n%s\n", p);
			return;
		}
		fprintf(f, "-- @@\n%s\n", sql);
		return;
	case SHAPE_EXPR:
		fprintf(f, "-- @@\nSELECT %s\n", sql);
		return;
	case SHAPE_RELATION:
		fprintf(f, "-- @@\nSELECT * FROM %s\n", sql);
		return;
	case SHAPE_TYPE:
		fprintf(f, "-- @@\nCREATE TEMPORARY TABLE t (c %s)\n", sql);
		return;
	}
}

static const struct dla_dialect *const all_dialects[] = {
	&dla_dialect_sqlite, &dla_dialect_postgres, &dla_dialect_snowflake,
};

static void run_cases(const struct method *m)
{
	char path[256], line[8192];
	FILE *in, *dump = NULL;
	int line_no = 0, failures = 0, cases = 0;
	bool seen[3] = { false, false, false };

	snprintf(path, sizeof(path), "tests/data/dialect/%s.cases", m->name);
	in = fopen(path, "r");
	if (!in)
		fail_msg("cannot open '%s' (run from the repository root): %s",
			 path, strerror(errno));
	if (m->shape != SHAPE_NONE)
		dump = open_sqlglot_dump(m->name);
	while (fgets(line, sizeof(line), in)) {
		char *fields[MAX_FIELDS];
		size_t len = strlen(line);
		int n;

		line_no++;
		if (len && line[len - 1] == '\n')
			line[--len] = '\0';
		if (len == 0 || line[0] == '#')
			continue;
		n = split_fields(line, fields);
		if (n != m->n_args + 2)
			fail_msg("%s:%d: %d fields, want %d (dialect, %d argument(s), expected)",
				 path, line_no, n, m->n_args + 2, m->n_args);
		for (size_t i = 0; i < 3; i++) {
			const struct dla_dialect *d = all_dialects[i];
			struct dla_buf got = DLA_BUF_INIT;
			const char *want = fields[n - 1];

			if (strcmp(fields[0], "*") != 0 && strcmp(fields[0], d->name) != 0)
				continue;
			seen[i] = true;
			cases++;
			if (!m->run(d, fields + 1, &got))
				fail_msg("%s:%d: malformed argument", path, line_no);
			assert_false(dla_buf_failed(&got));
			if (strcmp(got.buf, want) != 0) {
				failures++;
				print_error("%s:%d: %s %s\n  want: %s\n  got:  %s\n", path,
					    line_no, d->name, m->name, want, got.buf);
			}
			if (dump && d == &dla_dialect_snowflake)
				dump_snowflake(dump, m, got.buf);
			dla_buf_release(&got);
		}
		if (!seen[0] && !seen[1] && !seen[2])
			fail_msg("%s:%d: unknown dialect '%s'", path, line_no, fields[0]);
	}
	fclose(in);
	if (dump)
		fclose(dump);
	for (size_t i = 0; i < 3; i++)
		if (!seen[i])
			fail_msg("%s: no case for dialect '%s'", path, all_dialects[i]->name);
	print_message("%s: %d cases\n", m->name, cases);
	assert_int_equal(failures, 0);
}

static void cases_test(void **state)
{
	run_cases(*state);
}

/* ---- the rest, in C ---- */

static void find_maps_every_name(void **state)
{
	size_t n = 0;
	(void)state;
	for (const char *const *name = dla_dialect_names; *name; name++, n++) {
		const struct dla_dialect *d = dla_dialect_find(*name);

		assert_non_null(d);
		assert_string_equal(d->name, *name);
	}
	assert_int_equal(n, 3);
	assert_ptr_equal(dla_dialect_find("SQLite"), &dla_dialect_sqlite);
	assert_ptr_equal(dla_dialect_find("postgres"), &dla_dialect_postgres);
	assert_ptr_equal(dla_dialect_find("snowflake"), &dla_dialect_snowflake);
	assert_null(dla_dialect_find("postgresql"));
	assert_null(dla_dialect_find(""));
	assert_null(dla_dialect_find(NULL));
}

static void every_method_is_set(void **state)
{
	(void)state;
	for (size_t i = 0; i < 3; i++) {
		const struct dla_dialect *d = all_dialects[i];

		assert_non_null(d->quote_ident);
		assert_non_null(d->quote_literal);
		assert_non_null(d->timestamp_literal);
		assert_non_null(d->relation);
		assert_non_null(d->view_relation);
		assert_non_null(d->true_literal);
		assert_non_null(d->false_literal);
		assert_non_null(d->null_safe_distinct);
		assert_non_null(d->cast_timestamp);
		assert_non_null(d->now_utc);
		assert_non_null(d->type_name);
		assert_non_null(d->from_odbc);
		assert_non_null(d->type_compatible);
		assert_non_null(d->create_schema);
		assert_non_null(d->create_view);
		assert_non_null(d->drop_view);
		assert_non_null(d->create_temp_table_as);
		assert_non_null(d->drop_temp_table);
		assert_non_null(d->columns_query);
		assert_non_null(d->parse_type);
		assert_non_null(d->add_column);
		assert_non_null(d->create_index);
		assert_non_null(d->session_setup);
		assert_non_null(d->view_search_path);
		assert_non_null(d->set_query_tag);
		assert_non_null(d->try_advisory_lock);
		assert_non_null(d->lock_table_writes);
	}
}

/* Every type dla writes reads back as itself (or as what the engine
 * stores it as), and is compatible with itself. */
static void type_names_round_trip(void **state)
{
	static const char *const samples[] = {
		"TEXT", "TEXT(50)", "INTEGER", "DECIMAL(10,2)", "DECIMAL(18,0)",
		"FLOAT", "BOOLEAN", "DATE", "TIMESTAMP",
	};
	(void)state;
	for (size_t i = 0; i < 3; i++) {
		const struct dla_dialect *d = all_dialects[i];

		for (size_t k = 0; k < sizeof(samples) / sizeof(samples[0]); k++) {
			struct dla_buf spelling = DLA_BUF_INIT;
			struct dla_coltype want, back;

			assert_true(parse_coltype(samples[k], &want));
			d->type_name(&spelling, &want);
			if (!d->parse_type(spelling.buf, &back))
				fail_msg("%s: '%s' does not parse", d->name, spelling.buf);
			if (!d->type_compatible(&back, &want))
				fail_msg("%s: %s written as '%s' is not compatible with itself",
					 d->name, samples[k], spelling.buf);
			dla_buf_release(&spelling);
		}
	}
}

static void split_type_edge_cases(void **state)
{
	struct dla_type_spelling sp;
	(void)state;
	assert_true(dla_dialect_split_type("  Timestamp(3)  WITHOUT   time zone ", &sp));
	assert_string_equal(sp.base, "timestamp without time zone");
	assert_int_equal(sp.n_args, 1);
	assert_int_equal(sp.args[0], 3);
	assert_true(dla_dialect_split_type("NUMBER( 38 , 0 )", &sp));
	assert_string_equal(sp.base, "number");
	assert_int_equal(sp.n_args, 2);
	assert_int_equal(sp.args[1], 0);
	assert_false(dla_dialect_split_type("", &sp));
	assert_false(dla_dialect_split_type("numeric(10", &sp));
	assert_false(dla_dialect_split_type("numeric(1,2,3)", &sp));
	assert_false(dla_dialect_split_type("numeric(a)", &sp));
	assert_false(dla_dialect_split_type("numeric(1)(2)", &sp));
	assert_false(dla_dialect_split_type(
		"a very long type name that does not fit into the base buffer at all", &sp));
}

static void select_is_trimmed(void **state)
{
	struct dla_buf b = DLA_BUF_INIT;
	(void)state;
	dla_dialect_add_select(&b, "SELECT 1 ;\n;  \n");
	assert_string_equal(b.buf, "SELECT 1");
	dla_buf_reset(&b);
	dla_dialect_add_select(&b, ";\n");
	assert_string_equal(b.buf, "");
	dla_buf_release(&b);
}

/* Methods cannot fail: an allocation failure is the buffer's sticky error. */
static void allocation_failure_is_sticky(void **state)
{
	(void)state;
	for (size_t i = 0; i < 3; i++) {
		const struct dla_dialect *d = all_dialects[i];

		for (unsigned long n = 1; n <= 3; n++) {
			struct dla_buf b = DLA_BUF_INIT;
			bool reached;

			dla_alloc_fail_after(n);
			d->create_schema(&b, "presentation", "/var/lib/dla/a/very/long/"
					 "directory/name/that/needs/more/than/one/buffer");
			d->create_view(&b, "dla_views", "v_customer", "SELECT 1");
			reached = dla_alloc_count() >= n;
			dla_alloc_fail_after(0);
			assert_true(reached || n > 1);
			if (reached)
				assert_true(dla_buf_failed(&b));
			dla_buf_release(&b);
		}
	}
}

int main(void)
{
	struct CMUnitTest tests[N_METHODS + 6];
	size_t n = 0;

	for (size_t i = 0; i < N_METHODS; i++) {
		tests[n] = (struct CMUnitTest)cmocka_unit_test_prestate(cases_test,
						(void *)&methods[i]);
		tests[n].name = methods[i].name;
		n++;
	}
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(find_maps_every_name);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(every_method_is_set);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(type_names_round_trip);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(split_type_edge_cases);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(select_is_trimmed);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(allocation_failure_is_sticky);
	return _cmocka_run_group_tests("dialect", tests, n, NULL, NULL);
}
