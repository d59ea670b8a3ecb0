/*
 * sqlgen_common.c - the pieces of SQL generation the dimension and fact
 * generators share: name matching, key lists and joins, NULL-safe
 * comparison, the open end, refreshing stale planner statistics, and
 * evolving an existing target table.
 */
#include "sqlgen_common.h"

#include <strings.h>

const struct dla_coltype dla_sqlgen_integer_type = { DLA_TYPE_INTEGER, 0, 0 };
const struct dla_coltype dla_sqlgen_text_type = { DLA_TYPE_TEXT, 0, 0 };
const struct dla_coltype dla_sqlgen_bool_type = { DLA_TYPE_BOOLEAN, 0, 0 };
const struct dla_coltype dla_sqlgen_ts_type = { DLA_TYPE_TIMESTAMP, 0, 0 };

bool dla_sqlgen_name_eq(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}

bool dla_sqlgen_in_names(const struct dla_names *names, const char *name)
{
	for (size_t i = 0; i < names->n; i++)
		if (dla_sqlgen_name_eq(names->items[i], name))
			return true;
	return false;
}

const struct dla_column *dla_sqlgen_find_column(const struct dla_column *cols, size_t n,
						const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (dla_sqlgen_name_eq(cols[i].name, name))
			return &cols[i];
	return NULL;
}

void dla_sqlgen_names(struct dla_buf *b, const struct dla_names *names, const char *alias)
{
	for (size_t i = 0; i < names->n; i++)
		dla_buf_addf(b, "%s%s%s%s", i ? ", " : "", alias ? alias : "",
			     alias ? "." : "", names->items[i]);
}

void dla_sqlgen_names_join(struct dla_buf *b, const struct dla_names *names, const char *l,
			   const char *r)
{
	for (size_t i = 0; i < names->n; i++) {
		const char *k = names->items[i];
		dla_buf_addf(b, "%s%s.%s = %s.%s", i ? " AND " : "", l, k, r, k);
	}
}

void dla_sqlgen_distinct(const struct dla_dialect *d, struct dla_buf *b, const char *la,
			 const char *lcol, const char *ra, const char *rcol)
{
	struct dla_buf l = DLA_BUF_INIT, r = DLA_BUF_INIT;

	dla_buf_addf(&l, "%s.%s", la, lcol);
	dla_buf_addf(&r, "%s.%s", ra, rcol);
	if (dla_buf_failed(&l) || dla_buf_failed(&r))
		b->failed = true;
	else
		d->null_safe_distinct(b, l.buf, r.buf);
	dla_buf_release(&l);
	dla_buf_release(&r);
}

void dla_sqlgen_open_end(const struct dla_load_input *in, struct dla_buf *b)
{
	if (in->project->open_end)
		in->dialect->timestamp_literal(b, in->project->open_end);
	else
		dla_buf_adds(b, "NULL");
}

enum dla_code dla_sqlgen_evolve_target(const struct dla_load_input *in, const char *schema,
				       const char *table, const char *source,
				       const struct dla_sqlgen_col *cols, size_t n,
				       struct dla_stmts *out, struct dla_buf *err)
{
	const struct dla_dialect *d = in->dialect;

	for (size_t i = 0; i < n; i++) {
		const struct dla_column *have = dla_sqlgen_find_column(in->target_cols,
								       in->n_target_cols,
								       cols[i].name);
		struct dla_buf b = DLA_BUF_INIT;

		if (have && !d->type_compatible(&have->type, &cols[i].type)) {
			struct dla_buf want = DLA_BUF_INIT, was = DLA_BUF_INIT;
			d->type_name(&want, &cols[i].type);
			d->type_name(&was, &have->type);
			dla_buf_addf(err, "column '%s' changed type: '%s' has %s, source '%s' "
				     "gives %s", cols[i].name, table, was.buf, source, want.buf);
			dla_buf_release(&want);
			dla_buf_release(&was);
			return DLA_ERR_INVALID;
		}
		if (have)
			continue;
		d->add_column(&b, schema, table, cols[i].name, &cols[i].type);
		dla_stmts_add(out, DLA_STMT_DDL, DLA_COUNT_NONE, "add new column", &b, NULL);
	}
	return DLA_OK;
}

void dla_sqlgen_refresh_stats(const struct dla_load_input *in, const char *schema,
			      const char *table, struct dla_stmts *out)
{
	const struct dla_dialect *d = in->dialect;
	struct dla_buf b = DLA_BUF_INIT;

	if (!d->analyze_table)
		return;
	if (in->target_stats_stale && in->target_exists) {
		d->analyze_table(&b, schema, table);
		dla_stmts_add(out, DLA_STMT_DDL, DLA_COUNT_NONE,
			      "refresh the target's stale planner statistics", &b, NULL);
	}
	if (in->source_stats_stale && in->source_schema && in->source_table) {
		d->analyze_table(&b, in->source_schema, in->source_table);
		dla_stmts_add(out, DLA_STMT_DDL, DLA_COUNT_NONE,
			      "refresh the source's stale planner statistics", &b, NULL);
	}
}

struct dla_coltype dla_sqlgen_as_stored(const struct dla_load_input *in,
					const struct dla_column *c, const struct dla_coltype *have)
{
	if (!have)
		return c->type;
	/* SQLite keeps dates and times in TEXT columns, which read back as
	 * TEXT: a time from the source is still converted as a time */
	if (in->dialect->times_as_text && have->type == DLA_TYPE_TEXT && !c->undeclared &&
	    (c->type.type == DLA_TYPE_TIMESTAMP || c->type.type == DLA_TYPE_DATE))
		return c->type;
	return *have;
}

struct dla_coltype dla_sqlgen_stored_type(const struct dla_load_input *in,
					  const struct dla_column *c)
{
	const struct dla_column *have = dla_sqlgen_find_column(in->target_cols,
							       in->n_target_cols, c->name);

	return dla_sqlgen_as_stored(in, c, have ? &have->type : NULL);
}

bool dla_sqlgen_needs_convert(const struct dla_load_input *in, const struct dla_column *c)
{
	struct dla_coltype t = dla_sqlgen_stored_type(in, c);

	return c->undeclared || c->type.type != t.type ||
	       (t.type == DLA_TYPE_TIMESTAMP && in->dialect->times_as_text);
}

void dla_sqlgen_source_value(const struct dla_load_input *in, struct dla_buf *b,
			     const char *alias, const struct dla_column *c)
{
	struct dla_buf ref = DLA_BUF_INIT;
	struct dla_coltype t;

	if (!dla_sqlgen_needs_convert(in, c)) {
		dla_buf_addf(b, "%s.%s", alias, c->name);
		return;
	}
	t = dla_sqlgen_stored_type(in, c);
	dla_buf_addf(&ref, "%s.%s", alias, c->name);
	if (dla_buf_failed(&ref))
		b->failed = true;
	else
		in->dialect->convert(b, ref.buf, &t);
	dla_buf_release(&ref);
}

void dla_sqlgen_time_value(const struct dla_load_input *in, struct dla_buf *b,
			   const char *alias, const char *name,
			   const struct dla_coltype *type, bool undeclared)
{
	struct dla_buf ref = DLA_BUF_INIT;

	dla_buf_addf(&ref, "%s.%s", alias, name);
	if (dla_buf_failed(&ref))
		b->failed = true;
	else if (!undeclared && type->type == DLA_TYPE_TIMESTAMP && !in->dialect->times_as_text)
		dla_buf_adds(b, ref.buf);
	else
		in->dialect->convert(b, ref.buf, &dla_sqlgen_ts_type);
	dla_buf_release(&ref);
}

void dla_sqlgen_typed_stage(const struct dla_load_input *in, struct dla_stmts *out,
			    const char *label, const char *table,
			    const struct dla_sqlgen_col *cols, size_t n, struct dla_buf *sel)
{
	const struct dla_dialect *d = in->dialect;
	struct dla_buf b = DLA_BUF_INIT, create_label = DLA_BUF_INIT;

	if (dla_buf_failed(sel)) {
		out->failed = true;
		dla_buf_release(sel);
		return;
	}
	if (!d->typed_stage) {
		d->create_temp_table_as(&b, table, sel->buf);
		dla_stmts_add(out, DLA_STMT_DDL, DLA_COUNT_NONE, label, &b, NULL);
		dla_buf_release(sel);
		return;
	}
	dla_buf_addf(&b, "CREATE TEMPORARY TABLE %s (", table);
	for (size_t i = 0; i < n; i++) {
		dla_buf_addf(&b, "%s%s ", i ? ", " : "", cols[i].name);
		d->type_name(&b, &cols[i].type);
	}
	dla_buf_addch(&b, ')');
	dla_buf_addf(&create_label, "create %s", table);
	if (dla_buf_failed(&create_label))
		out->failed = true;
	else
		dla_stmts_add(out, DLA_STMT_DDL, DLA_COUNT_NONE, create_label.buf, &b, NULL);
	dla_buf_release(&create_label);
	dla_buf_release(&b);
	dla_buf_addf(&b, "INSERT INTO %s (", table);
	for (size_t i = 0; i < n; i++)
		dla_buf_addf(&b, "%s%s", i ? ", " : "", cols[i].name);
	dla_buf_adds(&b, ")\n");
	dla_dialect_add_select(&b, sel->buf);
	dla_stmts_add(out, DLA_STMT_DDL, DLA_COUNT_NONE, label, &b, NULL);
	dla_buf_release(sel);
}
