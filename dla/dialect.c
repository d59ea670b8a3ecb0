/*
 * dialect.c - the table of dialects (dla_dialect_find, the only place that
 * maps a name to a dialect) and the building blocks the dialect files
 * share: quoting, select trimming, ODBC type mapping, type spelling parsing
 * and the engine-neutral type compatibility rule.
 */
#include "dialect.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *const dla_dialect_names[] = { "sqlite", "postgres", "snowflake", NULL };

static const struct dla_dialect *const dialects[] = {
	&dla_dialect_sqlite, &dla_dialect_postgres, &dla_dialect_snowflake,
};

const struct dla_dialect *dla_dialect_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < sizeof(dialects) / sizeof(dialects[0]); i++)
		if (strcasecmp(dialects[i]->name, name) == 0)
			return dialects[i];
	return NULL;
}

/* Appends text between quote characters, doubling each quote inside. */
static void quote_doubled(struct dla_buf *b, const char *text, char quote)
{
	const char *p = text, *q;

	dla_buf_addch(b, quote);
	while ((q = strchr(p, quote)) != NULL) {
		dla_buf_add(b, p, (size_t)(q - p) + 1);
		dla_buf_addch(b, quote);
		p = q + 1;
	}
	dla_buf_adds(b, p);
	dla_buf_addch(b, quote);
}

void dla_dialect_std_quote_ident(struct dla_buf *b, const char *ident)
{
	quote_doubled(b, ident, '"');
}

void dla_dialect_std_quote_literal(struct dla_buf *b, const char *text)
{
	quote_doubled(b, text, '\'');
}

void dla_dialect_std_relation(struct dla_buf *b, const char *schema, const char *table)
{
	dla_buf_addf(b, "%s.%s", schema, table);
}

void dla_dialect_no_query_tag(struct dla_buf *b, const char *tag)
{
}

void dla_dialect_no_advisory_lock(struct dla_buf *b, long long key)
{
}

void dla_dialect_no_table_lock(struct dla_buf *b, const char *schema, const char *table,
			       const char *key)
{
}

void dla_dialect_add_select(struct dla_buf *b, const char *select_sql)
{
	size_t len = strlen(select_sql);

	while (len > 0 && (isspace((unsigned char)select_sql[len - 1]) ||
			   select_sql[len - 1] == ';'))
		len--;
	dla_buf_add(b, select_sql, len);
}

void dla_dialect_odbc_generic(const struct dla_db_column *col, struct dla_coltype *out)
{
	out->type = DLA_TYPE_TEXT;
	out->precision = 0;
	out->scale = 0;
	switch (col->sql_type) {
	case DLA_ODBC_NUMERIC:
	case DLA_ODBC_DECIMAL:
		out->type = DLA_TYPE_DECIMAL;
		out->precision = col->size;
		out->scale = col->decimals > 0 ? col->decimals : 0;
		break;
	case DLA_ODBC_INTEGER:
	case DLA_ODBC_SMALLINT:
	case DLA_ODBC_BIGINT:
	case DLA_ODBC_TINYINT:
		out->type = DLA_TYPE_INTEGER;
		break;
	case DLA_ODBC_FLOAT:
	case DLA_ODBC_REAL:
	case DLA_ODBC_DOUBLE:
		out->type = DLA_TYPE_FLOAT;
		break;
	case DLA_ODBC_BIT:
	case DLA_ODBC_BOOLEAN:
		out->type = DLA_TYPE_BOOLEAN;
		break;
	case DLA_ODBC_DATE:
	case DLA_ODBC_TYPE_DATE:
		out->type = DLA_TYPE_DATE;
		break;
	case DLA_ODBC_TIMESTAMP:
	case DLA_ODBC_TYPE_TIMESTAMP:
		out->type = DLA_TYPE_TIMESTAMP;
		break;
	default:
		/* character types, and what dla has no type for (binary,
		 * GUID, TIME): text, length unknown */
		break;
	}
}

static bool is_exact_numeric(enum dla_type t)
{
	return t == DLA_TYPE_INTEGER || t == DLA_TYPE_DECIMAL;
}

bool dla_dialect_compatible_generic(const struct dla_coltype *have,
				    const struct dla_coltype *want)
{
	if (have->type == want->type) {
		switch (have->type) {
		case DLA_TYPE_TEXT:
			return have->precision == 0 || want->precision == 0 ||
			       have->precision >= want->precision;
		case DLA_TYPE_DECIMAL:
			if (have->precision == 0 || want->precision == 0)
				return true;
			return have->scale >= want->scale &&
			       (long)have->precision - have->scale >=
			       (long)want->precision - want->scale;
		default:
			return true;
		}
	}
	if (!is_exact_numeric(have->type) || !is_exact_numeric(want->type))
		return false;
	if (have->type == DLA_TYPE_DECIMAL)   /* want INTEGER */
		return true;
	/* have INTEGER, want DECIMAL: only integral values that fit 64 bits */
	return want->scale == 0 && want->precision > 0 && want->precision <= 18;
}

bool dla_dialect_split_type(const char *spelling, struct dla_type_spelling *out)
{
	const char *p = spelling;
	size_t n = 0;
	bool in_args = false, had_args = false, pending_space = false;

	memset(out, 0, sizeof(*out));
	while (*p) {
		unsigned char c = (unsigned char)*p;

		if (in_args) {
			if (isspace(c)) {
				p++;
			} else if (isdigit(c)) {
				char *end;
				unsigned long v;

				if (out->n_args == 2)
					return false;
				v = strtoul(p, &end, 10);
				out->args[out->n_args++] = v;
				p = end;
				while (isspace((unsigned char)*p))
					p++;
				if (*p == ',') {
					p++;
				} else if (*p == ')') {
					p++;
					in_args = false;
					had_args = true;
				} else {
					return false;
				}
			} else {
				return false;
			}
			continue;
		}
		if (c == '(') {
			if (had_args)
				return false;
			in_args = true;
			p++;
			continue;
		}
		if (isspace(c)) {
			pending_space = n > 0;
			p++;
			continue;
		}
		if (n + 2 >= sizeof(out->base))
			return false;
		if (pending_space)
			out->base[n++] = ' ';
		pending_space = false;
		out->base[n++] = (char)tolower(c);
		p++;
	}
	out->base[n] = '\0';
	return !in_args && n > 0;
}

bool dla_dialect_parse_with(const char *spelling, const struct dla_type_name *names,
			    size_t n, struct dla_coltype *out)
{
	struct dla_type_spelling sp;

	out->type = DLA_TYPE_TEXT;
	out->precision = 0;
	out->scale = 0;
	if (!spelling || !dla_dialect_split_type(spelling, &sp))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(names[i].base, sp.base) != 0)
			continue;
		out->type = names[i].type;
		if (out->type == DLA_TYPE_TEXT && sp.n_args >= 1) {
			out->precision = sp.args[0];
		} else if (out->type == DLA_TYPE_DECIMAL && sp.n_args >= 1) {
			out->precision = sp.args[0];
			out->scale = sp.n_args == 2 ? (int)sp.args[1] : 0;
		}
		return true;
	}
	return false;
}

void dla_dialect_no_view_search_path(struct dla_buf *b, const char *views_schema)
{
	(void)b;
	(void)views_schema;
}

void dla_dialect_std_create_index(struct dla_buf *b, const char *schema, const char *table,
				  const char *index, const char *columns)
{
	dla_buf_addf(b, "CREATE INDEX IF NOT EXISTS %s ON %s.%s (%s)", index, schema, table,
		     columns);
}

void dla_dialect_no_index(struct dla_buf *b, const char *schema, const char *table,
			  const char *index, const char *columns)
{
	(void)b;
	(void)schema;
	(void)table;
	(void)index;
	(void)columns;
}

void dla_dialect_spell_type(struct dla_buf *b, const struct dla_coltype *t,
			    const struct dla_type_words *words)
{
	switch (t->type) {
	case DLA_TYPE_TEXT:
		if (t->precision && words->text_sized)
			dla_buf_addf(b, "%s(%lu)", words->text_sized, t->precision);
		else
			dla_buf_adds(b, words->text);
		break;
	case DLA_TYPE_INTEGER:
		dla_buf_adds(b, words->integer);
		break;
	case DLA_TYPE_DECIMAL:
		if (t->precision)
			dla_buf_addf(b, "%s(%lu,%d)", words->decimal_sized, t->precision,
				     t->scale);
		else
			dla_buf_adds(b, words->decimal);
		break;
	case DLA_TYPE_FLOAT:
		dla_buf_adds(b, words->floating);
		break;
	case DLA_TYPE_BOOLEAN:
		dla_buf_adds(b, words->boolean);
		break;
	case DLA_TYPE_DATE:
		dla_buf_adds(b, words->date);
		break;
	case DLA_TYPE_TIMESTAMP:
		dla_buf_adds(b, words->timestamp);
		break;
	}
}

void dla_dialect_cast_words(struct dla_buf *b, const char *expr, const struct dla_coltype *t,
			    const struct dla_type_words *words)
{
	struct dla_coltype u = *t;

	if (u.type == DLA_TYPE_TEXT)
		u.precision = 0;
	dla_buf_addf(b, "CAST(%s AS ", expr);
	dla_dialect_spell_type(b, &u, words);
	dla_buf_addch(b, ')');
}

void dla_dialect_add_column_words(struct dla_buf *b, const char *schema, const char *table,
				  const char *column, const struct dla_coltype *t,
				  const struct dla_type_words *words)
{
	dla_buf_addf(b, "ALTER TABLE %s.%s ADD COLUMN %s ", schema, table, column);
	dla_dialect_spell_type(b, t, words);
}

void dla_dialect_std_null_safe_distinct(struct dla_buf *b, const char *a, const char *b_expr)
{
	dla_buf_addf(b, "(%s IS DISTINCT FROM %s)", a, b_expr);
}

void dla_dialect_std_create_schema(struct dla_buf *b, const char *schema,
				   const char *main_db_dir)
{
	(void)main_db_dir;
	dla_buf_addf(b, "CREATE SCHEMA IF NOT EXISTS %s", schema);
}

void dla_dialect_std_create_view(struct dla_buf *b, const char *views_schema,
				 const char *view, const char *select_sql)
{
	dla_buf_addf(b, "CREATE OR REPLACE VIEW %s.%s AS\n", views_schema, view);
	dla_dialect_add_select(b, select_sql);
}

void dla_dialect_std_drop_view(struct dla_buf *b, const char *views_schema, const char *view)
{
	dla_buf_addf(b, "DROP VIEW IF EXISTS %s.%s", views_schema, view);
}

void dla_dialect_std_create_temp_table_as(struct dla_buf *b, const char *name,
					  const char *select_sql)
{
	dla_buf_addf(b, "CREATE TEMPORARY TABLE %s AS\n", name);
	dla_dialect_add_select(b, select_sql);
}

const char *dla_dialect_ident_problem(const struct dla_dialect *d, const char *name)
{
	static _Thread_local char why[160];
	size_t len = strlen(name);

	if (d->max_ident_bytes && len > d->max_ident_bytes) {
		snprintf(why, sizeof(why), "is %zu bytes long, over %s's limit of %zu", len,
			 d->name, d->max_ident_bytes);
		return why;
	}
	for (const char *const *w = d->reserved_words; w && *w; w++) {
		if (strcasecmp(*w, name) == 0) {
			snprintf(why, sizeof(why), "is a reserved word on %s", d->name);
			return why;
		}
	}
	for (const char *p = name; *p; p++) {
		if (d->ident_fold == DLA_FOLD_LOWER && *p >= 'A' && *p <= 'Z') {
			snprintf(why, sizeof(why), "has upper-case letters, which %s folds to "
				 "lower case unless the name is quoted", d->name);
			return why;
		}
		if (d->ident_fold == DLA_FOLD_UPPER && *p >= 'a' && *p <= 'z') {
			snprintf(why, sizeof(why), "has lower-case letters, which %s folds to "
				 "upper case unless the name is quoted", d->name);
			return why;
		}
	}
	return NULL;
}
