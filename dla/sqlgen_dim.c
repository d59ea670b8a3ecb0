/*
 * sqlgen_dim.c - statements of a dimension load (SCD types 0, 1, 2, 3, 6
 * mixed per column), set-based, per docs/SCD.md.
 */
#include "sqlgen.h"
#include "alloc.h"
#include "regex.h"

#include <string.h>
#include <strings.h>

/* One attribute column of the dimension and how it is tracked. */
struct attr {
	const char *name;
	enum dla_scd_type scd;
	const char *extra;          /* type 3: previous column; type 6: current */
	struct dla_coltype type;
};

struct dim_gen {
	const struct dla_load_input *in;
	const struct dla_dimension *dim;
	const struct dla_dialect *d;
	const struct dla_housekeeping *hk;
	const char *sk;
	const struct dla_column **bk;     /* source column of each key part */
	const struct dla_column *eff;     /* effective_from column or NULL */
	struct attr *attrs;
	size_t n_attrs;
	bool versioned;                   /* a type 2 or 6 column exists */
	struct dla_buf target;            /* rendered target relation */
	struct dla_buf *err;
};

const char *dla_dimension_sk(const struct dla_dimension *dim)
{
	return dim->surrogate_key;
}

static bool name_eq(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}

static bool in_names(const struct dla_names *names, const char *name)
{
	for (size_t i = 0; i < names->n; i++)
		if (name_eq(names->items[i], name))
			return true;
	return false;
}

static const struct dla_column_spec *column_override(const struct dla_dimension *dim,
						     const char *name)
{
	for (size_t i = 0; i < dim->n_columns; i++)
		if (name_eq(dim->columns[i].name, name))
			return &dim->columns[i];
	return NULL;
}

static const struct dla_column *find_column(const struct dla_column *cols, size_t n,
					    const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (name_eq(cols[i].name, name))
			return &cols[i];
	return NULL;
}

static bool is_attribute(const struct dla_dimension *dim, const char *name)
{
	return !in_names(&dim->business_key, name) && !in_names(&dim->drop, name) &&
	       !(dim->effective_from && name_eq(dim->effective_from, name));
}

bool dla_dimension_versioned(const struct dla_dimension *dim,
			     const struct dla_column *cols, size_t n_cols)
{
	for (size_t i = 0; i < n_cols; i++) {
		const struct dla_column_spec *o;
		enum dla_scd_type scd = dim->scd;

		if (!is_attribute(dim, cols[i].name))
			continue;
		o = column_override(dim, cols[i].name);
		if (o)
			scd = o->scd;
		if (scd == DLA_SCD_2 || scd == DLA_SCD_6)
			return true;
	}
	return false;
}

/* ---- small emitters ------------------------------------------------- */

static void emit_bk_list(struct dim_gen *g, struct dla_buf *b, const char *alias)
{
	for (size_t i = 0; i < g->dim->business_key.n; i++)
		dla_buf_addf(b, "%s%s%s%s", i ? ", " : "", alias ? alias : "",
			     alias ? "." : "", g->dim->business_key.items[i]);
}

static void emit_bk_join(struct dim_gen *g, struct dla_buf *b, const char *l, const char *r)
{
	for (size_t i = 0; i < g->dim->business_key.n; i++) {
		const char *k = g->dim->business_key.items[i];
		dla_buf_addf(b, "%s%s.%s = %s.%s", i ? " AND " : "", l, k, r, k);
	}
}

static void emit_distinct(struct dim_gen *g, struct dla_buf *b, const char *la,
			  const char *lcol, const char *ra, const char *rcol)
{
	struct dla_buf l = DLA_BUF_INIT, r = DLA_BUF_INIT;

	dla_buf_addf(&l, "%s.%s", la, lcol);
	dla_buf_addf(&r, "%s.%s", ra, rcol);
	if (dla_buf_failed(&l) || dla_buf_failed(&r))
		b->failed = true;
	else
		g->d->null_safe_distinct(b, l.buf, r.buf);
	dla_buf_release(&l);
	dla_buf_release(&r);
}

/* OR of NULL-safe differences between la.<col> and ra.<col> over the
 * attributes selected by want(scd); appends "FALSE"-equivalent "1 = 0"
 * when none is selected.  Returns the number of terms. */
static size_t emit_any_distinct(struct dim_gen *g, struct dla_buf *b, const char *la,
				const char *ra, bool (*want)(enum dla_scd_type))
{
	size_t terms = 0;

	dla_buf_addch(b, '(');
	for (size_t i = 0; i < g->n_attrs; i++) {
		if (!want(g->attrs[i].scd))
			continue;
		if (terms++)
			dla_buf_adds(b, " OR ");
		emit_distinct(g, b, la, g->attrs[i].name, ra, g->attrs[i].name);
	}
	if (!terms)
		dla_buf_adds(b, "1 = 0");
	dla_buf_addch(b, ')');
	return terms;
}

static bool tracked(enum dla_scd_type t) { return t != DLA_SCD_0; }
static bool versioning(enum dla_scd_type t) { return t == DLA_SCD_2 || t == DLA_SCD_6; }

static bool type3(enum dla_scd_type t) { return t == DLA_SCD_3; }

static void emit_change_time(struct dim_gen *g, struct dla_buf *b)
{
	if (g->eff) {
		struct dla_buf col = DLA_BUF_INIT;
		dla_buf_addf(&col, "s.%s", g->eff->name);
		g->d->cast_timestamp(b, col.buf);
		if (dla_buf_failed(&col))
			b->failed = true;
		dla_buf_release(&col);
	} else {
		g->d->timestamp_literal(b, g->in->as_of);
	}
}

static void emit_open_end(struct dim_gen *g, struct dla_buf *b)
{
	if (g->in->project->open_end)
		g->d->timestamp_literal(b, g->in->project->open_end);
	else
		dla_buf_adds(b, "NULL");
}

/* ", dla_run_id = '<run>', dla_updated_at = <now>" for UPDATE SET lists */
static void emit_set_audit(struct dim_gen *g, struct dla_buf *b)
{
	dla_buf_addf(b, ", %s = ", g->hk->run_id);
	g->d->quote_literal(b, g->in->run_id);
	dla_buf_addf(b, ", %s = ", g->hk->updated_at);
	g->d->now_utc(b);
}

/* ---- column resolution ---------------------------------------------- */

static enum dla_code resolve_columns(struct dim_gen *g)
{
	const struct dla_dimension *dim = g->dim;
	const struct dla_load_input *in = g->in;

	for (size_t i = 0; i < in->n_source_cols; i++) {
		if (!dla_ident_valid(in->source_cols[i].name)) {
			dla_buf_addf(g->err, "source column '%s' of '%s' is not a valid "
				     "identifier (rename it in the source: letters, digits, _)",
				     in->source_cols[i].name, dim->source);
			return DLA_ERR_INVALID;
		}
	}
	g->bk = dla_calloc(dim->business_key.n, sizeof(*g->bk));
	g->attrs = dla_calloc(in->n_source_cols, sizeof(*g->attrs));
	if (!g->bk || !g->attrs)
		return DLA_ERR_NOMEM;
	for (size_t i = 0; i < dim->business_key.n; i++) {
		g->bk[i] = find_column(in->source_cols, in->n_source_cols,
				       dim->business_key.items[i]);
		if (!g->bk[i]) {
			dla_buf_addf(g->err, "business key column '%s' is not a column of "
				     "source '%s'", dim->business_key.items[i], dim->source);
			return DLA_ERR_INVALID;
		}
	}
	if (dim->effective_from) {
		g->eff = find_column(in->source_cols, in->n_source_cols, dim->effective_from);
		if (!g->eff) {
			dla_buf_addf(g->err, "effective_from column '%s' is not a column of "
				     "source '%s'", dim->effective_from, dim->source);
			return DLA_ERR_INVALID;
		}
	}
	for (size_t i = 0; i < dim->n_columns; i++) {
		if (!find_column(in->source_cols, in->n_source_cols, dim->columns[i].name)) {
			dla_buf_addf(g->err, "column '%s' configured in 'columns' is not a "
				     "column of source '%s'", dim->columns[i].name, dim->source);
			return DLA_ERR_INVALID;
		}
	}
	for (size_t i = 0; i < in->n_source_cols; i++) {
		const struct dla_column *c = &in->source_cols[i];
		const struct dla_column_spec *o;
		struct attr *a;

		if (!is_attribute(dim, c->name))
			continue;
		a = &g->attrs[g->n_attrs++];
		o = column_override(dim, c->name);
		a->name = c->name;
		a->type = c->type;
		a->scd = o ? o->scd : dim->scd;
		if (a->scd == DLA_SCD_3)
			a->extra = o ? o->previous : NULL;
		else if (a->scd == DLA_SCD_6)
			a->extra = o ? o->current : NULL;
		if ((a->scd == DLA_SCD_3 || a->scd == DLA_SCD_6) && !a->extra) {
			/* dimension-wide type 3/6 without a per-column name */
			char *name = dla_malloc(strlen(c->name) + 10);
			if (!name)
				return DLA_ERR_NOMEM;
			strcpy(name, a->scd == DLA_SCD_3 ? "previous_" : "current_");
			strcat(name, c->name);
			a->extra = name;   /* freed in release_gen */
		}
		if (a->scd == DLA_SCD_2 || a->scd == DLA_SCD_6)
			g->versioned = true;
	}
	return DLA_OK;
}

static bool extra_owned(const struct dim_gen *g, const struct attr *a)
{
	const struct dla_column_spec *o = column_override(g->dim, a->name);
	return a->extra && !(o && (o->previous == a->extra || o->current == a->extra));
}

/* ---- DDL: create or evolve the target ------------------------------- */

struct target_col {
	const char *name;
	struct dla_coltype type;
};

static const struct dla_coltype integer_type = { DLA_TYPE_INTEGER, 0, 0 };
static const struct dla_coltype text_type = { DLA_TYPE_TEXT, 0, 0 };
static const struct dla_coltype bool_type = { DLA_TYPE_BOOLEAN, 0, 0 };
static const struct dla_coltype ts_type = { DLA_TYPE_TIMESTAMP, 0, 0 };

static bool has_deleted(const struct dim_gen *g)
{
	return g->dim->on_delete == DLA_ON_DELETE_CLOSE || g->dim->delete_when;
}

/* Every column the target must have, in creation order.  Returns count;
 * out must hold 2 * n_attrs + bk + 8 entries. */
static size_t target_layout(const struct dim_gen *g, struct target_col *out)
{
	size_t n = 0;

	out[n++] = (struct target_col){ g->sk, integer_type };
	for (size_t i = 0; i < g->dim->business_key.n; i++)
		out[n++] = (struct target_col){ g->bk[i]->name, g->bk[i]->type };
	for (size_t i = 0; i < g->n_attrs; i++) {
		out[n++] = (struct target_col){ g->attrs[i].name, g->attrs[i].type };
		if (g->attrs[i].extra)
			out[n++] = (struct target_col){ g->attrs[i].extra, g->attrs[i].type };
	}
	if (g->versioned) {
		out[n++] = (struct target_col){ g->hk->valid_from, ts_type };
		out[n++] = (struct target_col){ g->hk->valid_to, ts_type };
		out[n++] = (struct target_col){ g->hk->is_current, bool_type };
	}
	if (has_deleted(g))
		out[n++] = (struct target_col){ g->hk->is_deleted, bool_type };
	if (g->in->with_inferred)
		out[n++] = (struct target_col){ g->hk->is_inferred, bool_type };
	out[n++] = (struct target_col){ g->hk->run_id, text_type };
	out[n++] = (struct target_col){ g->hk->updated_at, ts_type };
	return n;
}

static enum dla_code emit_target_ddl(struct dim_gen *g, struct dla_stmts *out)
{
	const struct dla_load_input *in = g->in;
	struct target_col *cols;
	size_t n;
	enum dla_code rc = DLA_OK;

	cols = dla_calloc(2 * g->n_attrs + g->dim->business_key.n + 8, sizeof(*cols));
	if (!cols)
		return DLA_ERR_NOMEM;
	n = target_layout(g, cols);
	if (!in->target_exists) {
		struct dla_buf b = DLA_BUF_INIT;
		dla_buf_addf(&b, "CREATE TABLE %s (\n", g->target.buf);
		for (size_t i = 0; i < n; i++) {
			dla_buf_addf(&b, "    %s ", cols[i].name);
			g->d->type_name(&b, &cols[i].type);
			dla_buf_adds(&b, i == 0 ? " NOT NULL,\n" : ",\n");
		}
		dla_buf_addf(&b, "    PRIMARY KEY (%s)\n)", g->sk);
		dla_stmts_add(out, DLA_STMT_DDL, DLA_COUNT_NONE, "create target table",
			      &b, NULL);
		goto done;
	}
	if (g->versioned && !find_column(in->target_cols, in->n_target_cols,
					 g->hk->valid_from)) {
		dla_buf_addf(g->err, "dimension '%s' now has a type 2 or 6 column but its "
			     "table has no history columns; rebuild it explicitly",
			     g->dim->name);
		rc = DLA_ERR_INVALID;
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		const struct dla_column *have = find_column(in->target_cols,
							    in->n_target_cols, cols[i].name);
		if (have) {
			if (!g->d->type_compatible(&have->type, &cols[i].type)) {
				struct dla_buf want = DLA_BUF_INIT, was = DLA_BUF_INIT;
				g->d->type_name(&want, &cols[i].type);
				g->d->type_name(&was, &have->type);
				dla_buf_addf(g->err, "column '%s' changed type: '%s' has %s, "
					     "source '%s' gives %s", cols[i].name,
					     g->dim->name, was.buf, g->dim->source, want.buf);
				dla_buf_release(&want);
				dla_buf_release(&was);
				rc = DLA_ERR_INVALID;
				goto done;
			}
			continue;
		}
		{
			struct dla_buf b = DLA_BUF_INIT;
			g->d->add_column(&b, g->dim->schema, g->dim->name, cols[i].name,
					 &cols[i].type);
			dla_stmts_add(out, DLA_STMT_DDL, DLA_COUNT_NONE, "add new column",
				      &b, NULL);
		}
	}
done:
	dla_free(cols);
	return rc;
}

/* ---- staging and the change set -------------------------------------- */

static void emit_stage(struct dim_gen *g, struct dla_stmts *out)
{
	struct dla_buf sel = DLA_BUF_INIT, b = DLA_BUF_INIT;

	dla_buf_adds(&sel, "SELECT ");
	emit_bk_list(g, &sel, "s");
	for (size_t i = 0; i < g->n_attrs; i++)
		dla_buf_addf(&sel, ", s.%s", g->attrs[i].name);
	dla_buf_adds(&sel, ", ");
	emit_change_time(g, &sel);
	dla_buf_addf(&sel, " AS dla_t\nFROM %s s", g->in->source_sql);

	g->d->drop_temp_table(&b, DLA_STAGE_TABLE);
	dla_stmts_add(out, DLA_STMT_DDL, DLA_COUNT_NONE, "drop stale stage", &b, NULL);
	g->d->drop_temp_table(&b, DLA_CHANGE_TABLE);
	dla_stmts_add(out, DLA_STMT_DDL, DLA_COUNT_NONE, "drop stale change set", &b, NULL);
	if (dla_buf_failed(&sel))
		out->failed = true;
	else
		g->d->create_temp_table_as(&b, DLA_STAGE_TABLE, sel.buf);
	dla_stmts_add(out, DLA_STMT_DDL, DLA_COUNT_NONE, "stage source", &b, NULL);
	dla_buf_release(&sel);
}

static void emit_key_checks(struct dim_gen *g, struct dla_stmts *out)
{
	struct dla_buf b = DLA_BUF_INIT, msg = DLA_BUF_INIT;

	dla_buf_adds(&b, "SELECT ");
	emit_bk_list(g, &b, NULL);
	dla_buf_addf(&b, ", COUNT(*) AS dla_rows\nFROM %s\nGROUP BY ", DLA_STAGE_TABLE);
	emit_bk_list(g, &b, NULL);
	dla_buf_adds(&b, "\nHAVING COUNT(*) > 1\nORDER BY ");
	emit_bk_list(g, &b, NULL);
	dla_buf_adds(&b, "\nLIMIT 5");
	dla_buf_addf(&msg, "duplicate business key in source '%s'", g->dim->source);
	dla_stmts_add(out, DLA_STMT_CHECK, DLA_COUNT_NONE, "duplicate keys", &b, msg.buf);
	dla_buf_reset(&msg);

	dla_buf_adds(&b, "SELECT ");
	emit_bk_list(g, &b, NULL);
	dla_buf_addf(&b, "\nFROM %s\nWHERE ", DLA_STAGE_TABLE);
	for (size_t i = 0; i < g->dim->business_key.n; i++)
		dla_buf_addf(&b, "%s%s IS NULL", i ? " OR " : "",
			     g->dim->business_key.items[i]);
	dla_buf_adds(&b, "\nLIMIT 5");
	dla_buf_addf(&msg, "NULL business key in source '%s'", g->dim->source);
	dla_stmts_add(out, DLA_STMT_CHECK, DLA_COUNT_NONE, "NULL keys", &b, msg.buf);
	dla_buf_release(&msg);
}

static void emit_change_set(struct dim_gen *g, struct dla_stmts *out)
{
	struct dla_buf sel = DLA_BUF_INIT, b = DLA_BUF_INIT;

	dla_buf_adds(&sel, "SELECT ");
	emit_bk_list(g, &sel, "s");
	for (size_t i = 0; i < g->n_attrs; i++)
		dla_buf_addf(&sel, ", s.%s", g->attrs[i].name);
	dla_buf_addf(&sel, ", s.dla_t,\n       c.%s AS dla_cur_sk", g->sk);
	if (g->versioned)
		dla_buf_addf(&sel, ", c.%s AS dla_cur_from", g->hk->valid_from);
	for (size_t i = 0; i < g->n_attrs; i++) {
		const struct attr *a = &g->attrs[i];
		if (a->scd == DLA_SCD_0 || a->scd == DLA_SCD_3)
			dla_buf_addf(&sel, ", c.%s AS dla_old_%s", a->name, a->name);
		if (a->scd == DLA_SCD_3)
			dla_buf_addf(&sel, ", c.%s AS dla_old_%s", a->extra, a->extra);
	}
	dla_buf_addf(&sel, ",\n       CASE WHEN c.%s IS NULL THEN 'N'", g->sk);
	if (g->versioned) {
		dla_buf_addf(&sel, "\n            WHEN s.dla_t <= c.%s THEN 'L'",
			     g->hk->valid_from);
		dla_buf_adds(&sel, "\n            WHEN ");
		emit_any_distinct(g, &sel, "s", "c", versioning);
		dla_buf_adds(&sel, " THEN 'V'");
	}
	dla_buf_adds(&sel, "\n            ELSE 'U' END AS dla_action\n");
	dla_buf_addf(&sel, "FROM %s s\nLEFT JOIN %s c ON ", DLA_STAGE_TABLE, g->target.buf);
	emit_bk_join(g, &sel, "c", "s");
	if (g->versioned)
		dla_buf_addf(&sel, " AND c.%s = %s", g->hk->is_current, g->d->true_literal);
	dla_buf_addf(&sel, "\nWHERE c.%s IS NULL OR ", g->sk);
	emit_any_distinct(g, &sel, "s", "c", tracked);

	if (dla_buf_failed(&sel))
		out->failed = true;
	else
		g->d->create_temp_table_as(&b, DLA_CHANGE_TABLE, sel.buf);
	dla_stmts_add(out, DLA_STMT_DDL, DLA_COUNT_NONE, "compute change set", &b, NULL);
	dla_buf_release(&sel);
}

static void emit_late_check(struct dim_gen *g, struct dla_stmts *out)
{
	struct dla_buf b = DLA_BUF_INIT, msg = DLA_BUF_INIT;

	if (!g->versioned)
		return;
	dla_buf_adds(&b, "SELECT ");
	emit_bk_list(g, &b, "x");
	dla_buf_addf(&b, ", x.dla_t\nFROM %s x\nLEFT JOIN %s v ON ", DLA_CHANGE_TABLE,
		     g->target.buf);
	emit_bk_join(g, &b, "v", "x");
	dla_buf_addf(&b, " AND v.%s <= x.dla_t AND ", g->hk->valid_from);
	if (g->in->project->open_end)
		dla_buf_addf(&b, "x.dla_t < v.%s", g->hk->valid_to);
	else
		dla_buf_addf(&b, "(v.%s IS NULL OR x.dla_t < v.%s)", g->hk->valid_to,
			     g->hk->valid_to);
	dla_buf_addf(&b, "\nWHERE x.dla_action = 'L' AND (v.%s IS NULL OR ", g->sk);
	emit_any_distinct(g, &b, "x", "v", tracked);
	dla_buf_adds(&b, ")\nORDER BY ");
	emit_bk_list(g, &b, "x");
	dla_buf_adds(&b, "\nLIMIT 5");
	dla_buf_addf(&msg, "back-dated change in source '%s': a row is not later than "
		     "the start of its key's current version and differs from the "
		     "version valid at its time", g->dim->source);
	dla_stmts_add(out, DLA_STMT_CHECK, DLA_COUNT_NONE, "back-dated rows", &b, msg.buf);
	dla_buf_release(&msg);
}

/* ---- DML -------------------------------------------------------------- */

static void emit_unknown_member(struct dim_gen *g, struct dla_stmts *out)
{
	struct dla_buf b = DLA_BUF_INIT;

	if (!g->dim->unknown_member)
		return;
	dla_buf_addf(&b, "INSERT INTO %s (%s", g->target.buf, g->sk);
	for (size_t i = 0; i < g->dim->business_key.n; i++)
		dla_buf_addf(&b, ", %s", g->bk[i]->name);
	for (size_t i = 0; i < g->n_attrs; i++) {
		dla_buf_addf(&b, ", %s", g->attrs[i].name);
		if (g->attrs[i].extra)
			dla_buf_addf(&b, ", %s", g->attrs[i].extra);
	}
	if (g->versioned)
		dla_buf_addf(&b, ", %s, %s, %s", g->hk->valid_from, g->hk->valid_to,
			     g->hk->is_current);
	if (has_deleted(g))
		dla_buf_addf(&b, ", %s", g->hk->is_deleted);
	if (g->in->with_inferred)
		dla_buf_addf(&b, ", %s", g->hk->is_inferred);
	dla_buf_addf(&b, ", %s, %s)\nSELECT -1", g->hk->run_id, g->hk->updated_at);
	for (size_t i = 0; i < g->dim->business_key.n; i++)
		dla_buf_adds(&b, ", NULL");
	for (size_t i = 0; i < g->n_attrs; i++) {
		const struct attr *a = &g->attrs[i];
		bool text = a->type.type == DLA_TYPE_TEXT;
		dla_buf_adds(&b, text ? ", 'Unknown'" : ", NULL");
		/* type 6 current column mirrors the column; previous stays NULL */
		if (a->extra)
			dla_buf_adds(&b, text && a->scd == DLA_SCD_6 ? ", 'Unknown'" : ", NULL");
	}
	if (g->versioned) {
		dla_buf_adds(&b, ", ");
		g->d->timestamp_literal(&b, "1900-01-01 00:00:00");
		dla_buf_adds(&b, ", ");
		emit_open_end(g, &b);
		dla_buf_addf(&b, ", %s", g->d->true_literal);
	}
	if (has_deleted(g))
		dla_buf_addf(&b, ", %s", g->d->false_literal);
	if (g->in->with_inferred)
		dla_buf_addf(&b, ", %s", g->d->false_literal);
	dla_buf_adds(&b, ", ");
	g->d->quote_literal(&b, g->in->run_id);
	dla_buf_adds(&b, ", ");
	g->d->now_utc(&b);
	dla_buf_addf(&b, "\nWHERE NOT EXISTS (SELECT 1 FROM %s WHERE %s = -1)",
		     g->target.buf, g->sk);
	dla_stmts_add(out, DLA_STMT_DML, DLA_COUNT_NONE, "unknown member", &b, NULL);
}

static void emit_expire(struct dim_gen *g, struct dla_stmts *out)
{
	struct dla_buf b = DLA_BUF_INIT;

	if (!g->versioned)
		return;
	dla_buf_addf(&b, "UPDATE %s AS t\nSET %s = x.dla_t, %s = %s", g->target.buf,
		     g->hk->valid_to, g->hk->is_current, g->d->false_literal);
	emit_set_audit(g, &b);
	dla_buf_addf(&b, "\nFROM %s AS x\nWHERE t.%s = x.dla_cur_sk AND x.dla_action = 'V'",
		     DLA_CHANGE_TABLE, g->sk);
	dla_stmts_add(out, DLA_STMT_DML, DLA_COUNT_EXPIRED, "expire changed versions",
		      &b, NULL);
}

/* Type 1 columns and type 6 current columns: every version of the key. */
static void emit_overwrite_all_versions(struct dim_gen *g, struct dla_stmts *out)
{
	struct dla_buf b = DLA_BUF_INIT;
	size_t n = 0;

	dla_buf_addf(&b, "UPDATE %s AS t\nSET ", g->target.buf);
	for (size_t i = 0; i < g->n_attrs; i++) {
		const struct attr *a = &g->attrs[i];
		if (a->scd == DLA_SCD_1)
			dla_buf_addf(&b, "%s%s = x.%s", n++ ? ", " : "", a->name, a->name);
		else if (a->scd == DLA_SCD_6)
			dla_buf_addf(&b, "%s%s = x.%s", n++ ? ", " : "", a->extra, a->name);
	}
	if (!n) {
		dla_buf_release(&b);
		return;
	}
	emit_set_audit(g, &b);
	dla_buf_addf(&b, "\nFROM %s AS x\nWHERE ", DLA_CHANGE_TABLE);
	emit_bk_join(g, &b, "t", "x");
	dla_buf_adds(&b, " AND x.dla_action IN ('U', 'V')\n  AND (");
	n = 0;
	for (size_t i = 0; i < g->n_attrs; i++) {
		const struct attr *a = &g->attrs[i];
		if (a->scd != DLA_SCD_1 && a->scd != DLA_SCD_6)
			continue;
		if (n++)
			dla_buf_adds(&b, " OR ");
		emit_distinct(g, &b, "t", a->scd == DLA_SCD_6 ? a->extra : a->name,
			      "x", a->name);
	}
	dla_buf_addch(&b, ')');
	dla_stmts_add(out, DLA_STMT_DML, DLA_COUNT_UPDATED,
		      "overwrite type 1 columns on every version", &b, NULL);
}

static void emit_type3(struct dim_gen *g, struct dla_stmts *out)
{
	struct dla_buf b = DLA_BUF_INIT;
	size_t n = 0;

	dla_buf_addf(&b, "UPDATE %s AS t\nSET ", g->target.buf);
	for (size_t i = 0; i < g->n_attrs; i++) {
		const struct attr *a = &g->attrs[i];
		if (a->scd != DLA_SCD_3)
			continue;
		dla_buf_addf(&b, "%s%s = CASE WHEN ", n++ ? ",\n    " : "", a->extra);
		emit_distinct(g, &b, "t", a->name, "x", a->name);
		dla_buf_addf(&b, " THEN t.%s ELSE t.%s END, %s = x.%s", a->name, a->extra,
			     a->name, a->name);
	}
	if (!n) {
		dla_buf_release(&b);
		return;
	}
	emit_set_audit(g, &b);
	dla_buf_addf(&b, "\nFROM %s AS x\nWHERE t.%s = x.dla_cur_sk AND x.dla_action = 'U'"
		     "\n  AND ", DLA_CHANGE_TABLE, g->sk);
	emit_any_distinct(g, &b, "t", "x", type3);
	dla_stmts_add(out, DLA_STMT_DML, DLA_COUNT_UPDATED,
		      "move type 3 values to their previous column", &b, NULL);
}

static void emit_insert_versions(struct dim_gen *g, struct dla_stmts *out)
{
	struct dla_buf b = DLA_BUF_INIT;

	dla_buf_addf(&b, "INSERT INTO %s (%s", g->target.buf, g->sk);
	for (size_t i = 0; i < g->dim->business_key.n; i++)
		dla_buf_addf(&b, ", %s", g->bk[i]->name);
	for (size_t i = 0; i < g->n_attrs; i++) {
		dla_buf_addf(&b, ", %s", g->attrs[i].name);
		if (g->attrs[i].extra)
			dla_buf_addf(&b, ", %s", g->attrs[i].extra);
	}
	if (g->versioned)
		dla_buf_addf(&b, ", %s, %s, %s", g->hk->valid_from, g->hk->valid_to,
			     g->hk->is_current);
	if (has_deleted(g))
		dla_buf_addf(&b, ", %s", g->hk->is_deleted);
	if (g->in->with_inferred)
		dla_buf_addf(&b, ", %s", g->hk->is_inferred);
	dla_buf_addf(&b, ", %s, %s)\n", g->hk->run_id, g->hk->updated_at);
	dla_buf_addf(&b, "SELECT (SELECT COALESCE(MAX(%s), 0) FROM %s WHERE %s > 0)"
		     " + ROW_NUMBER() OVER (ORDER BY ", g->sk, g->target.buf, g->sk);
	emit_bk_list(g, &b, "x");
	dla_buf_adds(&b, "),\n       ");
	emit_bk_list(g, &b, "x");
	for (size_t i = 0; i < g->n_attrs; i++) {
		const struct attr *a = &g->attrs[i];
		switch (a->scd) {
		case DLA_SCD_0:
			dla_buf_addf(&b, ",\n       CASE WHEN x.dla_action = 'V' THEN "
				     "x.dla_old_%s ELSE x.%s END", a->name, a->name);
			break;
		case DLA_SCD_3: {
			/* previous: on a new version, the value it replaces */
			struct dla_buf old = DLA_BUF_INIT;
			dla_buf_addf(&old, "dla_old_%s", a->name);
			dla_buf_addf(&b, ", x.%s,\n       CASE WHEN x.dla_action <> 'V' THEN "
				     "NULL WHEN ", a->name);
			emit_distinct(g, &b, "x", a->name, "x", old.buf);
			dla_buf_addf(&b, " THEN x.dla_old_%s ELSE x.dla_old_%s END",
				     a->name, a->extra);
			if (dla_buf_failed(&old))
				b.failed = true;
			dla_buf_release(&old);
			break;
		}
		case DLA_SCD_6:
			dla_buf_addf(&b, ", x.%s, x.%s", a->name, a->name);
			break;
		default:
			dla_buf_addf(&b, ", x.%s", a->name);
			break;
		}
	}
	if (g->versioned) {
		dla_buf_adds(&b, ",\n       x.dla_t, ");
		emit_open_end(g, &b);
		dla_buf_addf(&b, ", %s", g->d->true_literal);
	}
	if (has_deleted(g))
		dla_buf_addf(&b, ", %s", g->d->false_literal);
	if (g->in->with_inferred)
		dla_buf_addf(&b, ", %s", g->d->false_literal);
	dla_buf_adds(&b, ", ");
	g->d->quote_literal(&b, g->in->run_id);
	dla_buf_adds(&b, ", ");
	g->d->now_utc(&b);
	dla_buf_addf(&b, "\nFROM %s AS x\nWHERE x.dla_action IN ('N', 'V')", DLA_CHANGE_TABLE);
	dla_stmts_add(out, DLA_STMT_DML, DLA_COUNT_INSERTED, "insert new versions", &b, NULL);
}

static void emit_cleanup(struct dim_gen *g, struct dla_stmts *out)
{
	struct dla_buf b = DLA_BUF_INIT;

	g->d->drop_temp_table(&b, DLA_CHANGE_TABLE);
	dla_stmts_add(out, DLA_STMT_CLEANUP, DLA_COUNT_NONE, "drop change set", &b, NULL);
	g->d->drop_temp_table(&b, DLA_STAGE_TABLE);
	dla_stmts_add(out, DLA_STMT_CLEANUP, DLA_COUNT_NONE, "drop stage", &b, NULL);
}

static void release_gen(struct dim_gen *g)
{
	for (size_t i = 0; i < g->n_attrs; i++)
		if (extra_owned(g, &g->attrs[i]))
			dla_free((char *)g->attrs[i].extra);
	dla_free(g->attrs);
	dla_free(g->bk);
	dla_buf_release(&g->target);
}

enum dla_code dla_sqlgen_dimension(const struct dla_load_input *in,
				   const struct dla_dimension *dim,
				   struct dla_stmts *out, struct dla_buf *errmsg)
{
	struct dim_gen g;
	enum dla_code rc;

	memset(&g, 0, sizeof(g));
	g.in = in;
	g.dim = dim;
	g.d = in->dialect;
	g.hk = &in->project->hk;
	g.sk = dim->surrogate_key;
	g.err = errmsg;
	dla_buf_init(&g.target);
	in->dialect->relation(&g.target, dim->schema, dim->name);

	rc = resolve_columns(&g);
	if (rc == DLA_OK)
		rc = emit_target_ddl(&g, out);
	if (rc == DLA_OK) {
		emit_stage(&g, out);
		emit_key_checks(&g, out);
		emit_change_set(&g, out);
		emit_late_check(&g, out);
		emit_unknown_member(&g, out);
		emit_expire(&g, out);
		emit_overwrite_all_versions(&g, out);
		emit_type3(&g, out);
		emit_insert_versions(&g, out);
		emit_cleanup(&g, out);
		if (dla_stmts_failed(out) || dla_buf_failed(&g.target))
			rc = DLA_ERR_NOMEM;
	}
	release_gen(&g);
	return rc;
}
