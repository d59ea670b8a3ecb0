/*
 * sqlgen_fact.c - statements of a fact load (append, merge, incremental,
 * delete_insert, replace, --full-refresh) with point-in-time surrogate-key
 * lookups, set-based, per docs/FACTS.md: through a stage, or in one
 * INSERT ... SELECT where the engine's primary key checks the grain.
 */
#include "sqlgen_common.h"
#include "alloc.h"
#include "regex.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* One lookup as the generator resolved it. */
struct lookup {
	const struct dla_lookup *spec;
	const struct dla_dimension *dim;
	const char *key;                  /* fact column it fills */
	const char *sk;                   /* the dimension's surrogate key */
	bool versioned;                   /* the dimension table has valid_from */
	const struct dla_column *as_of;   /* source column, when point in time */
	bool has_current, has_deleted, has_run_id, has_updated_at;
	bool fill;                        /* new to a fact with rows: its key is
					     filled in them (emit_fill) */
	const char *unstored;             /* new to a fact with rows, but it
					     reads this on / as_of column the
					     table does not store: no fill, the
					     node fails (emit_fill_checks) */
	char alias[24];                   /* "d1", "d2" ... in the stage query */
	struct dla_buf relation;          /* the dimension table */
	const struct dla_load_input *in;  /* the load (emit_on's conversions) */
	const struct dla_fact_lookup_input *li;   /* the dimension's columns */
};

struct fact_gen {
	const struct dla_load_input *in;
	const struct dla_fact *fact;
	const struct dla_dialect *d;
	const struct dla_housekeeping *hk;
	const struct dla_column **staged;  /* source columns read into the stage */
	bool *stored;                      /* staged[i] is a fact column (not dropped) */
	size_t n_staged;
	const struct dla_column *inc;      /* incremental column or NULL */
	bool inc_is_time;                  /* compared as timestamps */
	struct lookup *lk;
	size_t n_lk;
	bool rebuild;                      /* replace or --full-refresh */
	struct dla_buf target;             /* rendered target relation */
	struct dla_buf *err;
};

/* ---- small emitters ------------------------------------------------- */

/* "l.g1 = r.g1 AND l.g2 = r.g2" over the grain */
static void emit_grain_join(struct fact_gen *g, struct dla_buf *b, const char *l,
			    const char *r)
{
	dla_sqlgen_names_join(b, &g->fact->grain, l, r);
}

static void emit_distinct(struct fact_gen *g, struct dla_buf *b, const char *la,
			  const char *ra, const char *col)
{
	dla_sqlgen_distinct(g->d, b, la, col, ra, col);
}

/* Appends source column c of alias as a time (dla_sqlgen_time_value). */
static void emit_cast_ts(struct fact_gen *g, struct dla_buf *b, const char *alias,
			 const struct dla_column *c)
{
	dla_sqlgen_time_value(g->in, b, alias, c->name, &c->type, c->undeclared);
}

static void emit_open_end(struct fact_gen *g, struct dla_buf *b)
{
	dla_sqlgen_open_end(g->in, b);
}

static bool is_grain(const struct fact_gen *g, const char *name)
{
	return dla_sqlgen_in_names(&g->fact->grain, name);
}

/* ---- column and lookup resolution ------------------------------------ */

/* Adds source column name to the stage (once); stored says whether it is a
 * fact column too. */
static void stage_column(struct fact_gen *g, const struct dla_column *c)
{
	for (size_t i = 0; i < g->n_staged; i++)
		if (g->staged[i] == c)
			return;
	g->staged[g->n_staged] = c;
	g->stored[g->n_staged] = !dla_sqlgen_in_names(&g->fact->drop, c->name);
	g->n_staged++;
}

/* The source column name as a stored (not dropped) fact column, for
 * `what` (grain, incremental_column ...); NULL with a message otherwise. */
static const struct dla_column *stored_source_column(struct fact_gen *g, const char *name,
						     const char *what)
{
	const struct dla_column *c = dla_sqlgen_find_column(g->in->source_cols, g->in->n_source_cols,
						 name);

	if (!c) {
		dla_buf_addf(g->err, "%s column '%s' is not a column of source '%s'", what,
			     name, g->fact->source);
		return NULL;
	}
	if (dla_sqlgen_in_names(&g->fact->drop, name)) {
		dla_buf_addf(g->err, "%s column '%s' of fact '%s' is listed in 'drop' (the "
			     "fact must store it)", what, name, g->fact->name);
		return NULL;
	}
	return c;
}

/* Whether the existing fact table holds source column name as the load
 * stores it: a column of the table, not listed in drop. */
static bool stored_in_table(const struct fact_gen *g, const char *name)
{
	return !dla_sqlgen_in_names(&g->fact->drop, name) &&
	       dla_sqlgen_find_column(g->in->target_cols, g->in->n_target_cols, name);
}

/* A lookup new to a fact with rows (its key column is not in the table,
 * or holds NULL: sqlgen.h) has its key filled in them from the columns
 * the lookup reads -- unless the table does not store one of them. */
static void resolve_fill(struct fact_gen *g, struct lookup *l,
			 const struct dla_fact_lookup_input *li)
{
	const struct dla_load_input *in = g->in;

	if (!in->target_exists || g->rebuild ||
	    (!li->key_unfilled &&
	     dla_sqlgen_find_column(in->target_cols, in->n_target_cols, l->key)))
		return;
	for (size_t k = 0; k < l->spec->n_on && !l->unstored; k++)
		if (!stored_in_table(g, l->spec->on[k].fact_column))
			l->unstored = l->spec->on[k].fact_column;
	if (!l->unstored && l->as_of && !stored_in_table(g, l->as_of->name))
		l->unstored = l->as_of->name;
	l->fill = !l->unstored;
}

static enum dla_code resolve_lookup(struct fact_gen *g, size_t i)
{
	const struct dla_fact_lookup_input *li = &g->in->lookups[i];
	struct lookup *l = &g->lk[i];
	const struct dla_lookup *spec = &g->fact->lookups[i];

	l->spec = spec;
	l->dim = li->dim;
	l->key = li->key;
	l->in = g->in;
	l->li = li;
	dla_buf_init(&l->relation);
	snprintf(l->alias, sizeof(l->alias), "d%zu", i + 1);
	if (!l->dim || !l->key) {
		dla_buf_addf(g->err, "lookup of '%s' in fact '%s' does not name a dimension",
			     spec->dimension, g->fact->name);
		return DLA_ERR_INVALID;
	}
	l->sk = dla_dimension_sk(l->dim);
	g->d->relation(&l->relation, l->dim->schema, l->dim->name);
	if (li->n_dim_cols == 0) {
		dla_buf_addf(g->err, "dimension '%s' looked up by fact '%s' has no table "
			     "%s.%s yet: load the dimension first", l->dim->name,
			     g->fact->name, l->dim->schema, l->dim->name);
		return DLA_ERR_INVALID;
	}
	if (!dla_ident_valid(l->key)) {
		dla_buf_addf(g->err, "lookup key '%s' of fact '%s' is not a valid identifier",
			     l->key, g->fact->name);
		return DLA_ERR_INVALID;
	}
	if (!dla_sqlgen_find_column(li->dim_cols, li->n_dim_cols, l->sk)) {
		dla_buf_addf(g->err, "dimension table %s.%s has no surrogate key column '%s'",
			     l->dim->schema, l->dim->name, l->sk);
		return DLA_ERR_INVALID;
	}
	for (size_t k = 0; k < spec->n_on; k++) {
		const struct dla_column *c = dla_sqlgen_find_column(g->in->source_cols,
							 g->in->n_source_cols,
							 spec->on[k].fact_column);
		if (!c) {
			dla_buf_addf(g->err, "lookup column '%s' (of '%s') is not a column of "
				     "source '%s'", spec->on[k].fact_column, l->dim->name,
				     g->fact->source);
			return DLA_ERR_INVALID;
		}
		if (!dla_sqlgen_find_column(li->dim_cols, li->n_dim_cols, spec->on[k].dim_column)) {
			dla_buf_addf(g->err, "dimension table %s.%s has no column '%s'",
				     l->dim->schema, l->dim->name, spec->on[k].dim_column);
			return DLA_ERR_INVALID;
		}
		stage_column(g, c);
	}
	l->versioned = dla_sqlgen_find_column(li->dim_cols, li->n_dim_cols, g->hk->valid_from) != NULL;
	l->has_current = dla_sqlgen_find_column(li->dim_cols, li->n_dim_cols, g->hk->is_current) != NULL;
	l->has_deleted = dla_sqlgen_find_column(li->dim_cols, li->n_dim_cols, g->hk->is_deleted) != NULL;
	l->has_run_id = dla_sqlgen_find_column(li->dim_cols, li->n_dim_cols, g->hk->run_id) != NULL;
	l->has_updated_at = dla_sqlgen_find_column(li->dim_cols, li->n_dim_cols,
					g->hk->updated_at) != NULL;
	if (spec->as_of) {
		const struct dla_column *c = dla_sqlgen_find_column(g->in->source_cols,
							 g->in->n_source_cols, spec->as_of);
		if (!c) {
			dla_buf_addf(g->err, "as_of column '%s' (lookup of '%s') is not a "
				     "column of source '%s'", spec->as_of, l->dim->name,
				     g->fact->source);
			return DLA_ERR_INVALID;
		}
		stage_column(g, c);
		if (l->versioned)
			l->as_of = c;
	}
	if (spec->on_missing == DLA_MISSING_INFER &&
	    !dla_sqlgen_find_column(li->dim_cols, li->n_dim_cols, g->hk->is_inferred)) {
		dla_buf_addf(g->err, "dimension table %s.%s has no '%s' column for the "
			     "inferred members of fact '%s': load the dimension first",
			     l->dim->schema, l->dim->name, g->hk->is_inferred, g->fact->name);
		return DLA_ERR_INVALID;
	}
	resolve_fill(g, l, li);
	return DLA_OK;
}

/* A fact column name must not be used twice (source column, lookup key,
 * housekeeping column). */
static enum dla_code check_clashes(struct fact_gen *g)
{
	const char *hk[2] = { g->hk->run_id, g->hk->loaded_at };

	for (size_t i = 0; i < g->n_lk; i++) {
		const char *key = g->lk[i].key;
		for (size_t s = 0; s < g->n_staged; s++) {
			if (dla_sqlgen_name_eq(g->staged[s]->name, key)) {
				dla_buf_addf(g->err, "lookup key '%s' of fact '%s' is also a "
					     "column of source '%s' (name the key with 'key:')",
					     key, g->fact->name, g->fact->source);
				return DLA_ERR_INVALID;
			}
		}
		for (size_t j = 0; j < i; j++) {
			if (dla_sqlgen_name_eq(g->lk[j].key, key)) {
				dla_buf_addf(g->err, "two lookups of fact '%s' fill column '%s' "
					     "(give each a different 'key:')", g->fact->name, key);
				return DLA_ERR_INVALID;
			}
		}
		for (size_t h = 0; h < 2; h++) {
			if (dla_sqlgen_name_eq(hk[h], key)) {
				dla_buf_addf(g->err, "lookup key '%s' of fact '%s' is a "
					     "housekeeping column name", key, g->fact->name);
				return DLA_ERR_INVALID;
			}
		}
	}
	for (size_t s = 0; s < g->n_staged; s++) {
		for (size_t h = 0; h < 2; h++) {
			if (g->stored[s] && dla_sqlgen_name_eq(hk[h], g->staged[s]->name)) {
				dla_sqlgen_add_loc(g->err, &g->fact->source_loc);
				dla_buf_addf(g->err, "source column '%s' of '%s' clashes with a "
					     "housekeeping column (drop or rename it)",
					     g->staged[s]->name, g->fact->source);
				return DLA_ERR_INVALID;
			}
		}
	}
	/* names the engine would not take unquoted, or too long for it
	 * (sqlgen_names.c) */
	for (size_t s = 0; s < g->n_staged; s++)
		if (dla_sqlgen_check_source_column(g->in, g->staged[s]->name, g->fact->source,
						   &g->fact->source_loc, g->err) != DLA_OK)
			return DLA_ERR_INVALID;
	for (size_t i = 0; i < g->n_lk; i++)
		if (dla_sqlgen_check_derived(g->in, g->lk[i].key, "a lookup key; name it with "
					     "'key:'", g->fact->source, &g->fact->drop, NULL,
					     &g->lk[i].spec->loc, g->err) != DLA_OK)
			return DLA_ERR_INVALID;
	return DLA_OK;
}

static enum dla_code resolve_incremental(struct fact_gen *g)
{
	const struct dla_fact *fact = g->fact;

	if (fact->load != DLA_LOAD_INCREMENTAL)
		return DLA_OK;
	if (!fact->incremental_column) {
		dla_buf_addf(g->err, "fact '%s' is loaded incrementally but has no "
			     "'incremental_column'", fact->name);
		return DLA_ERR_INVALID;
	}
	g->inc = stored_source_column(g, fact->incremental_column, "incremental");
	if (!g->inc)
		return DLA_ERR_INVALID;
	switch (g->inc->type.type) {
	case DLA_TYPE_TEXT:
	case DLA_TYPE_DATE:
	case DLA_TYPE_TIMESTAMP:
		g->inc_is_time = true;
		break;
	case DLA_TYPE_INTEGER:
	case DLA_TYPE_DECIMAL:
	case DLA_TYPE_FLOAT:
		if (fact->lookback_s > 0) {
			dla_buf_addf(g->err, "incremental column '%s' of fact '%s' is a number: "
				     "'lookback' needs a date or timestamp column",
				     g->inc->name, fact->name);
			return DLA_ERR_INVALID;
		}
		break;
	case DLA_TYPE_BOOLEAN:
		dla_buf_addf(g->err, "incremental column '%s' of fact '%s' is a boolean",
			     g->inc->name, fact->name);
		return DLA_ERR_INVALID;
	}
	return DLA_OK;
}

static enum dla_code resolve(struct fact_gen *g)
{
	const struct dla_fact *fact = g->fact;
	const struct dla_load_input *in = g->in;
	enum dla_code rc;

	for (size_t i = 0; i < in->n_source_cols; i++) {
		if (!dla_ident_valid(in->source_cols[i].name)) {
			dla_buf_addf(g->err, "source column '%s' of '%s' is not a valid "
				     "identifier (rename it in the source: letters, digits, _)",
				     in->source_cols[i].name, fact->source);
			return DLA_ERR_INVALID;
		}
	}
	if (in->n_lookups != fact->n_lookups) {
		dla_buf_addf(g->err, "fact '%s': %zu lookups described, the spec has %zu",
			     fact->name, in->n_lookups, fact->n_lookups);
		return DLA_ERR_INVALID;
	}
	g->staged = dla_calloc(in->n_source_cols + 1, sizeof(*g->staged));
	g->stored = dla_calloc(in->n_source_cols + 1, sizeof(*g->stored));
	g->lk = dla_calloc(fact->n_lookups + 1, sizeof(*g->lk));
	if (!g->staged || !g->stored || !g->lk)
		return DLA_ERR_NOMEM;
	/* every stored column, in source order; then what only the load reads */
	for (size_t i = 0; i < in->n_source_cols; i++)
		if (!dla_sqlgen_in_names(&fact->drop, in->source_cols[i].name))
			stage_column(g, &in->source_cols[i]);
	if (g->n_staged == 0) {
		dla_buf_addf(g->err, "fact '%s' stores no column of source '%s'", fact->name,
			     fact->source);
		return DLA_ERR_INVALID;
	}
	if (fact->grain.n == 0) {
		dla_buf_addf(g->err, "fact '%s' has no 'grain'", fact->name);
		return DLA_ERR_INVALID;
	}
	for (size_t i = 0; i < fact->grain.n; i++)
		if (!stored_source_column(g, fact->grain.items[i], "grain"))
			return DLA_ERR_INVALID;
	rc = resolve_incremental(g);
	if (rc != DLA_OK)
		return rc;
	if (fact->load == DLA_LOAD_DELETE_INSERT) {
		if (!fact->partition_column) {
			dla_buf_addf(g->err, "fact '%s' is loaded with delete_insert but has no "
				     "'partition_column'", fact->name);
			return DLA_ERR_INVALID;
		}
		if (!stored_source_column(g, fact->partition_column, "partition"))
			return DLA_ERR_INVALID;
	}
	g->n_lk = fact->n_lookups;
	for (size_t i = 0; i < g->n_lk; i++) {
		rc = resolve_lookup(g, i);
		if (rc != DLA_OK)
			return rc;
	}
	return check_clashes(g);
}

/* ---- DDL: create or evolve the target ------------------------------- */


/* Stored source columns, one key per lookup, run id, loaded at.  out must
 * hold n_staged + n_lk + 2 entries. */
static size_t target_layout(const struct fact_gen *g, struct dla_sqlgen_col *out)
{
	size_t n = 0;

	for (size_t i = 0; i < g->n_staged; i++)
		if (g->stored[i])
			out[n++] = (struct dla_sqlgen_col){ g->staged[i]->name, g->staged[i]->type };
	for (size_t i = 0; i < g->n_lk; i++)
		out[n++] = (struct dla_sqlgen_col){ g->lk[i].key, dla_sqlgen_integer_type };
	out[n++] = (struct dla_sqlgen_col){ g->hk->run_id, dla_sqlgen_text_type };
	out[n++] = (struct dla_sqlgen_col){ g->hk->loaded_at, dla_sqlgen_ts_type };
	return n;
}

static enum dla_code emit_target_ddl(struct fact_gen *g, struct dla_stmts *out)
{
	const struct dla_load_input *in = g->in;
	struct dla_sqlgen_col *cols;
	size_t n;
	enum dla_code rc = DLA_OK;

	cols = dla_calloc(g->n_staged + g->n_lk + 2, sizeof(*cols));
	if (!cols)
		return DLA_ERR_NOMEM;
	n = target_layout(g, cols);
	if (!in->target_exists) {
		struct dla_buf b = DLA_BUF_INIT;
		dla_buf_addf(&b, "CREATE TABLE %s (\n", g->target.buf);
		for (size_t i = 0; i < n; i++) {
			dla_buf_addf(&b, "    %s ", cols[i].name);
			g->d->type_name(&b, &cols[i].type);
			dla_buf_adds(&b, ",\n");
		}
		dla_buf_adds(&b, "    PRIMARY KEY (");
		dla_sqlgen_names(&b, &g->fact->grain, NULL);
		dla_buf_adds(&b, ")\n)");
		dla_stmts_add(out, DLA_STMT_DDL, DLA_COUNT_NONE, "create target table",
			      &b, NULL);
		goto done;
	}
	rc = dla_sqlgen_evolve_target(in, g->fact->schema, g->fact->name, g->fact->source,
				      cols, n, out, g->err);
done:
	dla_free(cols);
	return rc;
}

/* ---- the stage: source rows with their resolved keys ------------------ */

/* "l.b1 = s.f1 AND l.b2 = s.f2": the lookup's business key */
/* "d1.bk = s.col AND ...": a fact column whose type differs from the
 * dimension key's (or that has no declared type) is converted to the
 * key's type first, so a text '17' finds the key 17 and PostgreSQL is not
 * asked to compare text with bigint. */
static void emit_on(struct dla_buf *b, const struct lookup *l, const char *src)
{
	for (size_t k = 0; k < l->spec->n_on; k++) {
		const char *fc = l->spec->on[k].fact_column, *dc = l->spec->on[k].dim_column;
		const struct dla_column *c = dla_sqlgen_find_column(l->in->source_cols,
								    l->in->n_source_cols, fc);
		const struct dla_column *key = dla_sqlgen_find_column(l->li->dim_cols,
								      l->li->n_dim_cols, dc);
		struct dla_buf ref = DLA_BUF_INIT;

		dla_buf_addf(b, "%s%s.%s = ", k ? " AND " : "", l->alias, dc);
		dla_buf_addf(&ref, "%s.%s", src, fc);
		if (dla_buf_failed(&ref))
			b->failed = true;
		else if (c && key) {
			struct dla_coltype t = dla_sqlgen_as_stored(l->in, c, &key->type);

			if (c->undeclared || c->type.type != t.type ||
			    (t.type == DLA_TYPE_TIMESTAMP && l->in->dialect->times_as_text))
				l->in->dialect->convert(b, ref.buf, &t);
			else
				dla_buf_adds(b, ref.buf);
		} else {
			dla_buf_adds(b, ref.buf);
		}
		dla_buf_release(&ref);
	}
}

static void emit_dim_bk(struct dla_buf *b, const struct lookup *l)
{
	for (size_t k = 0; k < l->spec->n_on; k++)
		dla_buf_addf(b, "%s%s", k ? ", " : "", l->spec->on[k].dim_column);
}

/*
 * The join of one lookup.  Versioned dimensions are read with each
 * version's successor (LEAD) so every time t of a key falls in exactly one
 * version: [valid_from, next valid_from), the first version also covering
 * everything before it and the latest everything after it.  That is
 * valid_from <= t < valid_to for contiguous history (SPEC 4), and still
 * one version in the gap after a closed (deleted) version.  Without as_of
 * (or with a NULL time) the latest version is taken: the current one, or
 * the last one of a closed key.
 */
static void emit_lookup_join(struct fact_gen *g, struct dla_buf *b, const struct lookup *l)
{
	const char *vf = g->hk->valid_from;

	if (!l->versioned) {
		dla_buf_addf(b, "\nLEFT JOIN %s %s\n       ON ", l->relation.buf, l->alias);
		emit_on(b, l, "s");
		return;
	}
	dla_buf_addf(b, "\nLEFT JOIN (SELECT %s, ", l->sk);
	emit_dim_bk(b, l);
	dla_buf_addf(b, ", %s,\n                  ", vf);
	if (l->as_of) {
		dla_buf_adds(b, "ROW_NUMBER() OVER (PARTITION BY ");
		emit_dim_bk(b, l);
		dla_buf_addf(b, " ORDER BY %s) AS dla_rn,\n                  ", vf);
	}
	dla_buf_addf(b, "LEAD(%s) OVER (PARTITION BY ", vf);
	emit_dim_bk(b, l);
	dla_buf_addf(b, " ORDER BY %s) AS dla_next\n           FROM %s) %s\n       ON ", vf,
		     l->relation.buf, l->alias);
	emit_on(b, l, "s");
	if (!l->as_of) {
		dla_buf_addf(b, " AND %s.dla_next IS NULL", l->alias);
		return;
	}
	dla_buf_addf(b, "\n      AND (%s.dla_rn = 1 OR %s.%s <= ", l->alias, l->alias, vf);
	emit_cast_ts(g, b, "s", l->as_of);
	dla_buf_adds(b, " OR ");
	emit_cast_ts(g, b, "s", l->as_of);
	dla_buf_addf(b, " IS NULL)\n      AND (%s.dla_next IS NULL OR ", l->alias);
	emit_cast_ts(g, b, "s", l->as_of);
	dla_buf_addf(b, " < %s.dla_next)", l->alias);
}

/* The key a lookup gives a staged row: -1 for a NULL business key;
 * unknown: -1 when missing; fail / infer: NULL when missing (checked,
 * or filled once the inferred members exist). */
static void emit_key_expr(struct dla_buf *b, const struct lookup *l)
{
	if (l->spec->on_missing == DLA_MISSING_UNKNOWN) {
		dla_buf_addf(b, "COALESCE(%s.%s, -1) AS %s", l->alias, l->sk, l->key);
		return;
	}
	dla_buf_adds(b, "CASE WHEN ");
	for (size_t k = 0; k < l->spec->n_on; k++)
		dla_buf_addf(b, "%ss.%s IS NULL", k ? " OR " : "", l->spec->on[k].fact_column);
	dla_buf_addf(b, " THEN -1 ELSE %s.%s END AS %s", l->alias, l->sk, l->key);
}

/* incremental: "max(target) - lookback < source value", NULL-safe for an
 * empty target (the condition, without WHERE) */
static void emit_incremental_cond(struct fact_gen *g, struct dla_buf *b)
{
	struct dla_buf bound = DLA_BUF_INIT;
	struct dla_coltype inc_type;

	dla_buf_adds(b, "dla_max.v IS NULL OR ");
	if (!g->inc_is_time) {
		dla_buf_addf(b, "s.%s > dla_max.v", g->inc->name);
		return;
	}
	emit_cast_ts(g, b, "s", g->inc);
	dla_buf_adds(b, " > ");
	inc_type = dla_sqlgen_stored_type(g->in, g->inc);
	dla_sqlgen_time_value(g->in, &bound, "dla_max", "v", &inc_type, false);
	if (g->fact->lookback_s > 0 && !dla_buf_failed(&bound))
		g->d->timestamp_minus_seconds(b, bound.buf, g->fact->lookback_s);
	else
		dla_buf_add(b, bound.buf ? bound.buf : "", bound.len);
	if (dla_buf_failed(&bound))
		b->failed = true;
	dla_buf_release(&bound);
}

static bool incremental_read(const struct fact_gen *g)
{
	return g->inc && !g->rebuild;
}

/* The rows of the source a load reads, as it read them before its
 * transaction: the watermark is read from the target only when the target
 * existed (a target the node creates is empty: every row). */
static bool filtered_read(const struct fact_gen *g)
{
	return incremental_read(g) && g->in->target_exists;
}

/* append, merge and incremental tell new grains from existing ones: the
 * stage marks each row (dla_in_target) by one join with the target, made
 * before any write, so the update reads only the marked rows and the
 * insert reads the stage alone -- no anti-join of the target with the
 * rows being inserted into it, which PostgreSQL may plan as a nested loop
 * over a table it just emptied or created (statistics of 0 rows) and then
 * rescan for every row inserted. */
static bool marks_existing(const struct fact_gen *g)
{
	return !g->rebuild && (g->fact->load == DLA_LOAD_APPEND ||
			       g->fact->load == DLA_LOAD_MERGE ||
			       g->fact->load == DLA_LOAD_INCREMENTAL);
}

/* The stored column i as the stage holds it: cast to the fact column's
 * type (see emit_staged_column); NULL type = the source's. */
static void emit_cast_to_fact_type(struct fact_gen *g, struct dla_buf *b, size_t i)
{
	const struct dla_column *c = g->staged[i];
	struct dla_coltype t = dla_sqlgen_stored_type(g->in, c);
	struct dla_buf ref = DLA_BUF_INIT;

	dla_buf_addf(&ref, "s.%s", c->name);
	if (dla_buf_failed(&ref))
		b->failed = true;
	else
		g->d->convert(b, ref.buf, &t);   /* text without a length: no cut */
	dla_buf_release(&ref);
}

/*
 * A stored column is staged as the fact will store it: converted to the
 * fact column's type (the existing column's, else the source's; text
 * without a length, so a value too long fails at the insert instead of
 * being cut) by the dialect's convert.  Change detection then compares
 * like with like.  On SQLite the conversion loses nothing (a CAST would
 * turn 'n/a' into 0 and 2.5 into 2): numbers become text for a TEXT
 * column, times become canonical text, and numeric columns convert text
 * that is a number themselves (docs/SCD.md "Column types").
 */
static void emit_staged_column(struct fact_gen *g, struct dla_buf *b, size_t i)
{
	const struct dla_column *c = g->staged[i];

	if (!g->stored[i]) {
		dla_buf_addf(b, "s.%s", c->name);
		return;
	}
	emit_cast_to_fact_type(g, b, i);
	dla_buf_addf(b, " AS %s", c->name);
}

/* "dla_t.g1 = CAST(s.g1 AS ..) AND ...": a staged row's grain, as the
 * stage stores it, against the target's */
static void emit_target_match(struct fact_gen *g, struct dla_buf *b)
{
	size_t n = 0;

	for (size_t i = 0; i < g->n_staged; i++) {
		if (!g->stored[i] || !is_grain(g, g->staged[i]->name))
			continue;
		dla_buf_addf(b, "%sdla_t.%s = ", n++ ? " AND " : "", g->staged[i]->name);
		emit_cast_to_fact_type(g, b, i);
	}
}

/* What a read of the source carries (emit_from). */
enum read_part {
	READ_LOOKUPS = 1,    /* the lookup joins */
	READ_MARK = 2,       /* the join marking grains the target has */
	READ_FILTER = 4      /* the incremental watermark */
};

/* The watermark of an incremental read: the target's largest
 * incremental_column value as dla_max.v (emit_incremental_cond tests it). */
static void emit_watermark_join(struct fact_gen *g, struct dla_buf *b)
{
	dla_buf_addf(b, "\nCROSS JOIN (SELECT MAX(%s) AS v FROM %s) dla_max",
		     g->inc->name, g->target.buf);
}

/* "\nFROM source s ..." with the parts asked for: every read of the
 * source (the stage, a direct insert, a check) is this text. */
static void emit_from(struct fact_gen *g, struct dla_buf *b, unsigned parts)
{
	dla_buf_addf(b, "\nFROM %s s", g->in->source_sql);
	if (parts & READ_FILTER)
		emit_watermark_join(g, b);
	if (parts & READ_LOOKUPS)
		for (size_t i = 0; i < g->n_lk; i++)
			emit_lookup_join(g, b, &g->lk[i]);
	if (parts & READ_MARK) {
		dla_buf_addf(b, "\nLEFT JOIN %s dla_t\n       ON ", g->target.buf);
		emit_target_match(g, b);
	}
	if (parts & READ_FILTER) {
		dla_buf_adds(b, "\nWHERE ");
		emit_incremental_cond(g, b);
	}
}

/* The stored columns and the lookup keys as the fact stores them:
 * ", "-separated with a line break every 4 columns, each key on a line. */
static void emit_fact_values(struct fact_gen *g, struct dla_buf *b, bool only_stored)
{
	size_t n = 0;

	for (size_t i = 0; i < g->n_staged; i++) {
		if (only_stored && !g->stored[i])
			continue;
		dla_buf_adds(b, n == 0 ? "" : n % 4 ? ", " : ",\n       ");
		emit_staged_column(g, b, i);
		n++;
	}
	for (size_t i = 0; i < g->n_lk; i++) {
		dla_buf_adds(b, ",\n       ");
		emit_key_expr(b, &g->lk[i]);
	}
}

static void emit_stage(struct fact_gen *g, struct dla_stmts *out)
{
	struct dla_buf sel = DLA_BUF_INIT, b = DLA_BUF_INIT;
	unsigned parts = READ_LOOKUPS;

	dla_buf_adds(&sel, "SELECT ");
	emit_fact_values(g, &sel, false);
	if (marks_existing(g)) {
		dla_buf_addf(&sel, ",\n       CASE WHEN dla_t.%s IS NULL THEN 0 ELSE 1 END "
			     "AS dla_in_target", g->fact->grain.items[0]);
		parts |= READ_MARK;
	}
	if (incremental_read(g))
		parts |= READ_FILTER;
	emit_from(g, &sel, parts);

	g->d->drop_temp_table(&b, DLA_STAGE_TABLE);
	dla_stmts_add(out, DLA_STMT_DDL, DLA_COUNT_NONE, "drop stale stage", &b, NULL);
	if (dla_buf_failed(&sel))
		out->failed = true;
	else
		g->d->create_temp_table_as(&b, DLA_STAGE_TABLE, sel.buf);
	dla_stmts_add(out, DLA_STMT_DDL, DLA_COUNT_NONE,
		      g->n_lk ? "stage source with resolved keys" : "stage source", &b, NULL);
	dla_buf_release(&sel);
}

/* ---- checks (before any write) -------------------------------------- */

/* Where a grain check reads. */
enum check_read {
	CHECK_STAGE,          /* every staged row */
	CHECK_STAGE_MARKED,   /* the staged rows whose grain the target has */
	CHECK_SOURCE,         /* the source as the stage reads it (a check run
				 after a failure: the stage is gone) */
	CHECK_SOURCE_ALL      /* every source row (an empty target, a rebuild) */
};

/* The grain columns of a source row as the stage holds them. */
static void emit_grain_values(struct fact_gen *g, struct dla_buf *b)
{
	size_t n = 0;

	for (size_t i = 0; i < g->n_staged; i++) {
		if (!g->stored[i] || !is_grain(g, g->staged[i]->name))
			continue;
		dla_buf_adds(b, n++ ? ", " : "");
		emit_staged_column(g, b, i);
	}
}

/* Duplicate grains (up to 5, with their counts). */
static void emit_duplicate_check(struct fact_gen *g, struct dla_stmts *out,
				 enum dla_stmt_kind kind, enum check_read from)
{
	const struct dla_names *grain = &g->fact->grain;
	struct dla_buf b = DLA_BUF_INIT, msg = DLA_BUF_INIT;

	dla_buf_adds(&b, "SELECT ");
	dla_sqlgen_names(&b, grain, NULL);
	dla_buf_adds(&b, ", COUNT(*) AS dla_rows\nFROM ");
	if (from == CHECK_SOURCE) {
		/* the stage's rows: the lookup joins too (a dimension with two
		 * versions for one time would double a row) */
		dla_buf_adds(&b, "(SELECT ");
		emit_grain_values(g, &b);
		emit_from(g, &b, READ_LOOKUPS | (filtered_read(g) ? READ_FILTER : 0));
		dla_buf_adds(&b, ") dla_x");
	} else {
		dla_buf_adds(&b, DLA_STAGE_TABLE);
		if (from == CHECK_STAGE_MARKED)
			dla_buf_adds(&b, "\nWHERE dla_in_target = 1");
	}
	dla_buf_adds(&b, "\nGROUP BY ");
	dla_sqlgen_names(&b, grain, NULL);
	dla_buf_adds(&b, "\nHAVING COUNT(*) > 1\nORDER BY ");
	dla_sqlgen_names(&b, grain, NULL);
	dla_buf_adds(&b, "\nLIMIT 5");
	dla_buf_addf(&msg, "duplicate grain in source '%s'", g->fact->source);
	dla_stmts_add(out, kind, DLA_COUNT_NONE,
		      from == CHECK_STAGE_MARKED ? "duplicate grain among existing rows"
						 : "duplicate grain", &b, msg.buf);
	dla_buf_release(&msg);
}

/* Rows with a NULL in a grain column (up to 5). */
static void emit_null_check(struct fact_gen *g, struct dla_stmts *out,
			    enum dla_stmt_kind kind, enum check_read from)
{
	const struct dla_names *grain = &g->fact->grain;
	struct dla_buf b = DLA_BUF_INIT, msg = DLA_BUF_INIT;
	bool filter = from == CHECK_SOURCE && filtered_read(g);

	if (from == CHECK_STAGE) {
		dla_buf_adds(&b, "SELECT ");
		dla_sqlgen_names(&b, grain, NULL);
		dla_buf_addf(&b, "\nFROM %s\nWHERE ", DLA_STAGE_TABLE);
		for (size_t i = 0; i < grain->n; i++)
			dla_buf_addf(&b, "%s%s IS NULL", i ? " OR " : "", grain->items[i]);
	} else {
		/* a cast keeps NULL and only NULL: the source column is tested
		 * (an engine knowing it NOT NULL skips the scan) */
		dla_buf_adds(&b, "SELECT ");
		emit_grain_values(g, &b);
		dla_buf_addf(&b, "\nFROM %s s", g->in->source_sql);
		if (filter)
			emit_watermark_join(g, &b);
		dla_buf_adds(&b, "\nWHERE (");
		for (size_t i = 0; i < grain->n; i++)
			dla_buf_addf(&b, "%ss.%s IS NULL", i ? " OR " : "", grain->items[i]);
		dla_buf_addch(&b, ')');
		if (filter) {
			dla_buf_adds(&b, "\n  AND (");
			emit_incremental_cond(g, &b);
			dla_buf_addch(&b, ')');
		}
	}
	dla_buf_adds(&b, "\nLIMIT 5");
	dla_buf_addf(&msg, "NULL grain in source '%s'", g->fact->source);
	dla_stmts_add(out, kind, DLA_COUNT_NONE, "NULL grain", &b, msg.buf);
	dla_buf_release(&msg);
}

/* on_missing: fail -- business keys the dimension does not have. */
static void emit_missing_checks(struct fact_gen *g, struct dla_stmts *out)
{
	struct dla_buf b = DLA_BUF_INIT, msg = DLA_BUF_INIT;

	for (size_t i = 0; i < g->n_lk; i++) {
		const struct lookup *l = &g->lk[i];

		if (l->spec->on_missing != DLA_MISSING_FAIL)
			continue;
		dla_buf_adds(&b, "SELECT DISTINCT ");
		for (size_t k = 0; k < l->spec->n_on; k++)
			dla_buf_addf(&b, "%s%s", k ? ", " : "", l->spec->on[k].fact_column);
		dla_buf_addf(&b, "\nFROM %s\nWHERE %s IS NULL\nORDER BY ", DLA_STAGE_TABLE,
			     l->key);
		for (size_t k = 0; k < l->spec->n_on; k++)
			dla_buf_addf(&b, "%s%s", k ? ", " : "", l->spec->on[k].fact_column);
		dla_buf_adds(&b, "\nLIMIT 5");
		dla_buf_addf(&msg, "no member of dimension '%s' for lookup '%s' of fact '%s' "
			     "(on_missing: fail)", l->dim->name, l->key, g->fact->name);
		dla_stmts_add(out, DLA_STMT_CHECK, DLA_COUNT_NONE, "missing dimension members",
			      &b, msg.buf);
		dla_buf_reset(&msg);
	}
	dla_buf_release(&msg);
}

/* "s.<key> IS NULL AND s.<on> IS NOT NULL ... AND NOT EXISTS (<member>)":
 * a row of the fact table (s) whose new lookup finds no member. */
static void emit_unfilled_missing(struct dla_buf *b, const struct lookup *l)
{
	dla_buf_addf(b, "s.%s IS NULL", l->key);
	for (size_t k = 0; k < l->spec->n_on; k++)
		dla_buf_addf(b, " AND s.%s IS NOT NULL", l->spec->on[k].fact_column);
	dla_buf_addf(b, "\n        AND NOT EXISTS (SELECT 1 FROM %s %s WHERE ", l->relation.buf,
		     l->alias);
	emit_on(b, l, "s");
	dla_buf_addch(b, ')');
}

/* Lookups new to a fact with rows (docs/FACTS.md): when the table does not
 * store a column the lookup reads, a row in it fails the node (never keys
 * left NULL); on_missing: fail names the business keys of its rows that
 * the dimension does not have. */
static void emit_fill_checks(struct fact_gen *g, struct dla_stmts *out)
{
	struct dla_buf b = DLA_BUF_INIT, msg = DLA_BUF_INIT;

	for (size_t i = 0; i < g->n_lk; i++) {
		const struct lookup *l = &g->lk[i];

		if (l->unstored) {
			dla_buf_addf(&b, "SELECT dla_n AS dla_rows\nFROM (SELECT COUNT(*) AS dla_n "
				     "FROM %s) dla_c\nWHERE dla_n > 0", g->target.buf);
			dla_buf_addf(&msg, "cannot fill new lookup key '%s' (%s) in the existing "
				     "rows of fact '%s': column '%s' is not stored in them (run "
				     "with --full-refresh)", l->key, l->dim->name, g->fact->name,
				     l->unstored);
			dla_stmts_add(out, DLA_STMT_CHECK, DLA_COUNT_NONE,
				      "new lookup whose columns are not stored", &b, msg.buf);
		} else if (l->fill && l->spec->on_missing == DLA_MISSING_FAIL) {
			dla_buf_adds(&b, "SELECT DISTINCT ");
			for (size_t k = 0; k < l->spec->n_on; k++)
				dla_buf_addf(&b, "%ss.%s", k ? ", " : "", l->spec->on[k].fact_column);
			dla_buf_addf(&b, "\nFROM %s s\nWHERE ", g->target.buf);
			emit_unfilled_missing(&b, l);
			dla_buf_adds(&b, "\nORDER BY ");
			for (size_t k = 0; k < l->spec->n_on; k++)
				dla_buf_addf(&b, "%ss.%s", k ? ", " : "", l->spec->on[k].fact_column);
			dla_buf_adds(&b, "\nLIMIT 5");
			dla_buf_addf(&msg, "no member of dimension '%s' for lookup '%s' of fact "
				     "'%s' in its existing rows (on_missing: fail)", l->dim->name,
				     l->key, g->fact->name);
			dla_stmts_add(out, DLA_STMT_CHECK, DLA_COUNT_NONE,
				      "missing dimension members of existing rows", &b, msg.buf);
		}
		dla_buf_reset(&msg);
	}
	dla_buf_release(&b);
	dla_buf_release(&msg);
}

/*
 * The grain checks.  Where the engine enforces the primary key, a
 * duplicate (and on PostgreSQL a NULL) among the rows the load inserts
 * fails the insert by itself: the full checks run only after a failure, to
 * name the keys (CHECK_ON_FAILURE, reading the source since the stage is
 * rolled back with the rest).  What the key cannot see is checked before:
 * duplicates among staged rows whose grain the target has (an update or an
 * ignored append row would hide them), and NULL grains where the key
 * accepts NULL (SQLite).  Snowflake enforces no key: every check before
 * any write.
 */
static void emit_rechecks(struct fact_gen *g, struct dla_stmts *out)
{
	if (g->d->primary_key == DLA_KEY_NOT_ENFORCED)
		return;
	emit_duplicate_check(g, out, DLA_STMT_CHECK_ON_FAILURE, CHECK_SOURCE);
	if (g->d->primary_key == DLA_KEY_UNIQUE_NOT_NULL)
		emit_null_check(g, out, DLA_STMT_CHECK_ON_FAILURE, CHECK_SOURCE);
}

static void emit_stage_checks(struct fact_gen *g, struct dla_stmts *out)
{
	switch (g->d->primary_key) {
	case DLA_KEY_NOT_ENFORCED:
		emit_duplicate_check(g, out, DLA_STMT_CHECK, CHECK_STAGE);
		emit_null_check(g, out, DLA_STMT_CHECK, CHECK_STAGE);
		break;
	case DLA_KEY_UNIQUE:
	case DLA_KEY_UNIQUE_NOT_NULL:
		if (marks_existing(g))
			emit_duplicate_check(g, out, DLA_STMT_CHECK, CHECK_STAGE_MARKED);
		if (g->d->primary_key == DLA_KEY_UNIQUE)
			emit_null_check(g, out, DLA_STMT_CHECK, CHECK_STAGE);
		break;
	}
	emit_missing_checks(g, out);
	emit_fill_checks(g, out);
}

/* ---- DML -------------------------------------------------------------- */

/* Lookups by the name of their dimension table. */
static int compare_lookup_relation(const void *a, const void *b)
{
	const struct lookup *x = *(const struct lookup *const *)a;
	const struct lookup *y = *(const struct lookup *const *)b;
	int c = strcasecmp(x->relation.buf ? x->relation.buf : "",
			   y->relation.buf ? y->relation.buf : "");

	if (c == 0)
		c = strcmp(x->relation.buf ? x->relation.buf : "",
			   y->relation.buf ? y->relation.buf : "");
	return c;
}

/*
 * on_missing: infer.  Before any inferred member is numbered, the fact's
 * transaction makes itself the only writer of every dimension it infers
 * into (the dialect's lock_table_writes), each dimension once, in the
 * order of their names, so that two facts inferring into the same
 * dimensions wait for each other instead of deadlocking.  The scheduler
 * already keeps such facts apart (schedule.h); the lock is for the case it
 * does not see.  The insert that follows numbers from the committed
 * max(sk) and skips every key a transaction that held the lock before
 * committed: the NOT EXISTS reads the dimension as of the insert.
 */
static void emit_inferred_locks(struct fact_gen *g, struct dla_stmts *out)
{
	const struct lookup **dims = dla_calloc(g->n_lk + 1, sizeof(*dims));
	size_t n = 0;

	if (!dims) {
		out->failed = true;
		return;
	}
	for (size_t i = 0; i < g->n_lk; i++) {
		bool seen = false;

		if (g->lk[i].spec->on_missing != DLA_MISSING_INFER)
			continue;
		for (size_t k = 0; k < n; k++)
			if (dims[k]->dim == g->lk[i].dim)
				seen = true;
		if (!seen)
			dims[n++] = &g->lk[i];
	}
	qsort(dims, n, sizeof(*dims), compare_lookup_relation);
	for (size_t k = 0; k < n; k++) {
		struct dla_buf b = DLA_BUF_INIT;

		g->d->lock_table_writes(&b, dims[k]->dim->schema, dims[k]->dim->name,
					dims[k]->sk);
		dla_stmts_add(out, DLA_STMT_DML, DLA_COUNT_NONE,
			      "lock dimension for inferred members", &b, NULL);
	}
	dla_free(dims);
}

/* One row per missing business key, surrogate keys max + row_number like
 * the dimension load's; then the stage takes them. */
static void emit_inferred(struct fact_gen *g, struct dla_stmts *out, const struct lookup *l)
{
	struct dla_buf b = DLA_BUF_INIT;
	const struct dla_housekeeping *hk = g->hk;

	dla_buf_addf(&b, "INSERT INTO %s (%s, ", l->relation.buf, l->sk);
	emit_dim_bk(&b, l);
	if (l->versioned)
		dla_buf_addf(&b, ", %s, %s", hk->valid_from, hk->valid_to);
	if (l->has_current)
		dla_buf_addf(&b, ", %s", hk->is_current);
	if (l->has_deleted)
		dla_buf_addf(&b, ", %s", hk->is_deleted);
	dla_buf_addf(&b, ", %s", hk->is_inferred);
	if (l->has_run_id)
		dla_buf_addf(&b, ", %s", hk->run_id);
	if (l->has_updated_at)
		dla_buf_addf(&b, ", %s", hk->updated_at);
	dla_buf_addf(&b, ")\nSELECT (SELECT COALESCE(MAX(%s), 0) FROM %s WHERE %s > 0)"
		     " + ROW_NUMBER() OVER (ORDER BY ", l->sk, l->relation.buf, l->sk);
	for (size_t k = 0; k < l->spec->n_on; k++)
		dla_buf_addf(&b, "%sm.%s", k ? ", " : "", l->spec->on[k].dim_column);
	dla_buf_adds(&b, "),\n       ");
	for (size_t k = 0; k < l->spec->n_on; k++)
		dla_buf_addf(&b, "%sm.%s", k ? ", " : "", l->spec->on[k].dim_column);
	if (l->versioned) {
		dla_buf_adds(&b, ", ");
		g->d->timestamp_literal(&b, "1900-01-01 00:00:00");
		dla_buf_adds(&b, ", ");
		emit_open_end(g, &b);
	}
	if (l->has_current)
		dla_buf_addf(&b, ", %s", g->d->true_literal);
	if (l->has_deleted)
		dla_buf_addf(&b, ", %s", g->d->false_literal);
	dla_buf_addf(&b, ", %s", g->d->true_literal);
	if (l->has_run_id) {
		dla_buf_adds(&b, ", ");
		g->d->quote_literal(&b, g->in->run_id);
	}
	if (l->has_updated_at) {
		dla_buf_adds(&b, ", ");
		g->d->now_utc(&b);
	}
	dla_buf_adds(&b, "\nFROM (SELECT DISTINCT ");
	for (size_t k = 0; k < l->spec->n_on; k++)
		dla_buf_addf(&b, "%ss.%s AS %s", k ? ", " : "", l->spec->on[k].fact_column,
			     l->spec->on[k].dim_column);
	dla_buf_addf(&b, "\n      FROM %s s\n      WHERE s.%s IS NULL\n        AND NOT EXISTS "
		     "(SELECT 1 FROM %s %s WHERE ", DLA_STAGE_TABLE, l->key, l->relation.buf,
		     l->alias);
	emit_on(&b, l, "s");
	dla_buf_addch(&b, ')');
	if (l->fill) {
		/* a lookup new to the table: its rows' missing members too */
		dla_buf_adds(&b, "\n      UNION\n      SELECT ");
		for (size_t k = 0; k < l->spec->n_on; k++)
			dla_buf_addf(&b, "%ss.%s AS %s", k ? ", " : "", l->spec->on[k].fact_column,
				     l->spec->on[k].dim_column);
		dla_buf_addf(&b, "\n      FROM %s s\n      WHERE ", g->target.buf);
		emit_unfilled_missing(&b, l);
	}
	dla_buf_adds(&b, ") m");
	dla_stmts_add(out, DLA_STMT_DML, DLA_COUNT_INFERRED, "insert inferred members",
		      &b, NULL);

	dla_buf_addf(&b, "UPDATE %s AS s\nSET %s = %s.%s\nFROM %s AS %s\nWHERE s.%s IS NULL AND ",
		     DLA_STAGE_TABLE, l->key, l->alias, l->sk, l->relation.buf, l->alias,
		     l->key);
	emit_on(&b, l, "s");
	dla_stmts_add(out, DLA_STMT_DML, DLA_COUNT_NONE, "use inferred members", &b, NULL);
}

/* "c1, c2, k1, dla_run_id, dla_loaded_at" */
static void emit_insert_columns(struct fact_gen *g, struct dla_buf *b)
{
	for (size_t i = 0; i < g->n_staged; i++)
		if (g->stored[i])
			dla_buf_addf(b, "%s, ", g->staged[i]->name);
	for (size_t i = 0; i < g->n_lk; i++)
		dla_buf_addf(b, "%s, ", g->lk[i].key);
	dla_buf_addf(b, "%s, %s", g->hk->run_id, g->hk->loaded_at);
}

static void emit_insert(struct fact_gen *g, struct dla_stmts *out, bool only_new)
{
	struct dla_buf b = DLA_BUF_INIT;

	dla_buf_addf(&b, "INSERT INTO %s (", g->target.buf);
	emit_insert_columns(g, &b);
	dla_buf_adds(&b, ")\nSELECT ");
	for (size_t i = 0; i < g->n_staged; i++)
		if (g->stored[i])
			dla_buf_addf(&b, "x.%s, ", g->staged[i]->name);
	for (size_t i = 0; i < g->n_lk; i++)
		dla_buf_addf(&b, "x.%s, ", g->lk[i].key);
	g->d->quote_literal(&b, g->in->run_id);
	dla_buf_adds(&b, ", ");
	g->d->now_utc(&b);
	dla_buf_addf(&b, "\nFROM %s x", DLA_STAGE_TABLE);
	if (only_new)
		dla_buf_adds(&b, "\nWHERE x.dla_in_target = 0");
	dla_stmts_add(out, DLA_STMT_DML, DLA_COUNT_INSERTED,
		      only_new ? "insert new rows" : "insert rows", &b, NULL);
}

/* The load in one statement, without a stage: the source read with its
 * lookups straight into the target. */
static void emit_insert_direct(struct fact_gen *g, struct dla_stmts *out, const char *label)
{
	struct dla_buf b = DLA_BUF_INIT;

	dla_buf_addf(&b, "INSERT INTO %s (", g->target.buf);
	emit_insert_columns(g, &b);
	dla_buf_adds(&b, ")\nSELECT ");
	emit_fact_values(g, &b, true);
	dla_buf_adds(&b, ",\n       ");
	g->d->quote_literal(&b, g->in->run_id);
	dla_buf_adds(&b, ", ");
	g->d->now_utc(&b);
	emit_from(g, &b, READ_LOOKUPS);
	dla_stmts_add(out, DLA_STMT_DML, DLA_COUNT_INSERTED, label, &b, NULL);
}

/* merge: rows whose grain exists and whose values differ (NULL-safe),
 * lookup keys included */
static void emit_update_changed(struct fact_gen *g, struct dla_stmts *out)
{
	struct dla_buf b = DLA_BUF_INIT;
	size_t n = 0;

	dla_buf_addf(&b, "UPDATE %s AS t\nSET ", g->target.buf);
	for (size_t i = 0; i < g->n_staged; i++) {
		const char *c = g->staged[i]->name;
		if (g->stored[i] && !is_grain(g, c))
			dla_buf_addf(&b, "%s%s = x.%s", n++ ? ", " : "", c, c);
	}
	for (size_t i = 0; i < g->n_lk; i++)
		dla_buf_addf(&b, "%s%s = x.%s", n++ ? ", " : "", g->lk[i].key, g->lk[i].key);
	if (!n) {
		dla_buf_release(&b);   /* nothing but the grain: nothing can change */
		return;
	}
	dla_buf_addf(&b, ", %s = ", g->hk->run_id);
	g->d->quote_literal(&b, g->in->run_id);
	dla_buf_addf(&b, ", %s = ", g->hk->loaded_at);
	g->d->now_utc(&b);
	dla_buf_addf(&b, "\nFROM %s AS x\nWHERE x.dla_in_target = 1 AND ", DLA_STAGE_TABLE);
	emit_grain_join(g, &b, "t", "x");
	dla_buf_adds(&b, "\n  AND (");
	n = 0;
	for (size_t i = 0; i < g->n_staged; i++) {
		const char *c = g->staged[i]->name;
		if (!g->stored[i] || is_grain(g, c))
			continue;
		if (n++)
			dla_buf_adds(&b, " OR ");
		emit_distinct(g, &b, "t", "x", c);
	}
	for (size_t i = 0; i < g->n_lk; i++) {
		if (n++)
			dla_buf_adds(&b, " OR ");
		emit_distinct(g, &b, "t", "x", g->lk[i].key);
	}
	dla_buf_addch(&b, ')');
	dla_stmts_add(out, DLA_STMT_DML, DLA_COUNT_UPDATED, "update changed rows", &b, NULL);
}

static void emit_delete_partitions(struct fact_gen *g, struct dla_stmts *out)
{
	struct dla_buf b = DLA_BUF_INIT;
	const char *p = g->fact->partition_column;

	dla_buf_addf(&b, "DELETE FROM %s\nWHERE %s IN (SELECT x.%s FROM %s x)\n"
		     "   OR (%s IS NULL AND EXISTS (SELECT 1 FROM %s x WHERE x.%s IS NULL))",
		     g->target.buf, p, p, DLA_STAGE_TABLE, p, DLA_STAGE_TABLE, p);
	dla_stmts_add(out, DLA_STMT_DML, DLA_COUNT_DELETED,
		      "delete the partitions present in the source", &b, NULL);
}

static void emit_delete_all(struct fact_gen *g, struct dla_stmts *out)
{
	struct dla_buf b = DLA_BUF_INIT;

	dla_buf_addf(&b, "DELETE FROM %s", g->target.buf);
	dla_stmts_add(out, DLA_STMT_DML, DLA_COUNT_DELETED, "delete all rows", &b, NULL);
}

/*
 * Lookups new to a fact with rows: their keys in the rows the table has
 * (still NULL), by the rule of new rows -- the same joins and key
 * expressions as the stage -- over the columns the table stores, in one
 * statement before the load.  The rows count as updated; a merge then
 * finds their keys equal to the staged ones.
 */
static void emit_fill(struct fact_gen *g, struct dla_stmts *out)
{
	struct dla_buf b = DLA_BUF_INIT;
	size_t n = 0;

	for (size_t i = 0; i < g->n_lk; i++)
		n += g->lk[i].fill;
	if (!n)
		return;
	dla_buf_addf(&b, "UPDATE %s AS t\nSET ", g->target.buf);
	n = 0;
	for (size_t i = 0; i < g->n_lk; i++)
		if (g->lk[i].fill)
			dla_buf_addf(&b, "%s%s = f.%s", n++ ? ", " : "", g->lk[i].key,
				     g->lk[i].key);
	dla_buf_addf(&b, ", %s = ", g->hk->run_id);
	g->d->quote_literal(&b, g->in->run_id);
	dla_buf_addf(&b, ", %s = ", g->hk->loaded_at);
	g->d->now_utc(&b);
	dla_buf_adds(&b, "\nFROM (SELECT ");
	dla_sqlgen_names(&b, &g->fact->grain, "s");
	for (size_t i = 0; i < g->n_lk; i++) {
		if (!g->lk[i].fill)
			continue;
		dla_buf_adds(&b, ",\n       ");
		emit_key_expr(&b, &g->lk[i]);
	}
	dla_buf_addf(&b, "\nFROM %s s", g->target.buf);
	for (size_t i = 0; i < g->n_lk; i++)
		if (g->lk[i].fill)
			emit_lookup_join(g, &b, &g->lk[i]);
	dla_buf_adds(&b, "\nWHERE ");
	n = 0;
	for (size_t i = 0; i < g->n_lk; i++)
		if (g->lk[i].fill)
			dla_buf_addf(&b, "%ss.%s IS NULL", n++ ? " OR " : "", g->lk[i].key);
	dla_buf_adds(&b, ") f\nWHERE ");
	emit_grain_join(g, &b, "t", "f");
	dla_stmts_add(out, DLA_STMT_DML, DLA_COUNT_UPDATED, "fill new lookup keys of existing rows",
		      &b, NULL);
}

static void emit_load(struct fact_gen *g, struct dla_stmts *out)
{
	emit_fill(g, out);
	if (g->rebuild) {
		emit_delete_all(g, out);
		emit_insert(g, out, false);
		return;
	}
	switch (g->fact->load) {
	case DLA_LOAD_APPEND:
		emit_insert(g, out, true);
		break;
	case DLA_LOAD_MERGE:
	case DLA_LOAD_INCREMENTAL:
		emit_update_changed(g, out);
		emit_insert(g, out, true);
		break;
	case DLA_LOAD_DELETE_INSERT:
		emit_delete_partitions(g, out);
		emit_insert(g, out, false);
		break;
	case DLA_LOAD_REPLACE:
		emit_delete_all(g, out);
		emit_insert(g, out, false);
		break;
	}
}

static void emit_cleanup(struct fact_gen *g, struct dla_stmts *out)
{
	struct dla_buf b = DLA_BUF_INIT;

	g->d->drop_temp_table(&b, DLA_STAGE_TABLE);
	dla_stmts_add(out, DLA_STMT_CLEANUP, DLA_COUNT_NONE, "drop stage", &b, NULL);
}

static void release_gen(struct fact_gen *g)
{
	if (g->lk)
		for (size_t i = 0; i < g->n_lk; i++)
			dla_buf_release(&g->lk[i].relation);
	dla_free(g->lk);
	dla_free(g->staged);
	dla_free(g->stored);
	dla_buf_release(&g->target);
}

/* One INSERT ... SELECT can load without a stage where the engine's key
 * checks the grain and no lookup needs the stage (on_missing: fail checks
 * it, infer updates it). */
static bool direct_possible(const struct fact_gen *g)
{
	if (g->d->primary_key == DLA_KEY_NOT_ENFORCED)
		return false;
	for (size_t i = 0; i < g->n_lk; i++)
		if (g->lk[i].spec->on_missing != DLA_MISSING_UNKNOWN)
			return false;
	return true;
}

/* Where the key accepts NULL (SQLite), the NULL check reads the source
 * before a direct insert. */
static void emit_direct_checks(struct fact_gen *g, struct dla_stmts *out)
{
	if (g->d->primary_key == DLA_KEY_UNIQUE)
		emit_null_check(g, out, DLA_STMT_CHECK, CHECK_SOURCE_ALL);
}

/* Stage, checks, inferred members, load, cleanup (docs/FACTS.md). */
static void emit_staged_load(struct fact_gen *g, struct dla_stmts *out)
{
	emit_stage(g, out);
	emit_rechecks(g, out);
	emit_stage_checks(g, out);
	emit_inferred_locks(g, out);
	for (size_t i = 0; i < g->n_lk; i++)
		if (g->lk[i].spec->on_missing == DLA_MISSING_INFER)
			emit_inferred(g, out, &g->lk[i]);
	emit_load(g, out);
	emit_cleanup(g, out);
}

/*
 * append, merge, incremental: into a target with rows, the staged load;
 * into an empty one (always when the node creates it), one INSERT ...
 * SELECT of every source row (an empty target has no watermark, no row to
 * update or to keep), the way a hand-written initial load does it.  Both
 * are offered (load.c keeps the one that applies); the stage's DDL comes
 * first so that no DDL follows a DML in either.
 */
static void emit_new_or_staged_load(struct fact_gen *g, struct dla_stmts *out)
{
	size_t from;

	if (g->in->target_exists) {
		from = out->n;
		emit_stage(g, out);
		dla_stmts_set_when(out, from, DLA_WHEN_TARGET_HAS_ROWS);
	}
	emit_rechecks(g, out);
	if (g->in->target_exists) {
		from = out->n;
		emit_stage_checks(g, out);
		emit_load(g, out);
		dla_stmts_set_when(out, from, DLA_WHEN_TARGET_HAS_ROWS);
	}
	from = out->n;
	emit_direct_checks(g, out);
	emit_insert_direct(g, out, "insert rows");
	if (g->in->target_exists) {
		dla_stmts_set_when(out, from, DLA_WHEN_TARGET_EMPTY);
		from = out->n;
		emit_cleanup(g, out);
		dla_stmts_set_when(out, from, DLA_WHEN_TARGET_HAS_ROWS);
	}
}

enum dla_code dla_sqlgen_fact(const struct dla_load_input *in,
			      const struct dla_fact *fact,
			      struct dla_stmts *out, struct dla_buf *errmsg)
{
	struct fact_gen g;
	enum dla_code rc;

	memset(&g, 0, sizeof(g));
	g.in = in;
	g.fact = fact;
	g.d = in->dialect;
	g.hk = &in->project->hk;
	g.err = errmsg;
	g.rebuild = in->full_refresh || fact->load == DLA_LOAD_REPLACE;
	dla_buf_init(&g.target);
	in->dialect->relation(&g.target, fact->schema, fact->name);

	rc = resolve(&g);
	if (rc == DLA_OK) {
		dla_sqlgen_refresh_stats(in, fact->schema, fact->name, out);
		rc = emit_target_ddl(&g, out);
	}
	if (rc == DLA_OK) {
		if (!direct_possible(&g)) {
			emit_staged_load(&g, out);
		} else if (g.rebuild) {
			emit_rechecks(&g, out);
			emit_direct_checks(&g, out);
			emit_delete_all(&g, out);
			emit_insert_direct(&g, out, "insert rows");
		} else if (marks_existing(&g)) {
			emit_new_or_staged_load(&g, out);
		} else {
			emit_staged_load(&g, out);
		}
		if (dla_stmts_failed(out) || dla_buf_failed(&g.target))
			rc = DLA_ERR_NOMEM;
	}
	release_gen(&g);
	return rc;
}
