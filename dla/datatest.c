/*
 * datatest.c - data tests (datatest.h): the SQL of each generated, declared
 * and freshness test of a node, running them on a connection, and the
 * outcome of one node's tests.
 */
#include "datatest.h"
#include "alloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_EXAMPLES 5

const char *dla_datatest_origin_name(enum dla_datatest_origin origin)
{
	switch (origin) {
	case DLA_DATATEST_GENERATED: return "generated";
	case DLA_DATATEST_DECLARED: return "declared";
	case DLA_DATATEST_FRESHNESS: return "freshness";
	}
	return "generated";
}

const char *dla_datatest_status_name(enum dla_datatest_status status)
{
	switch (status) {
	case DLA_DATATEST_PASS: return "pass";
	case DLA_DATATEST_FAIL: return "fail";
	case DLA_DATATEST_WARN: return "warn";
	case DLA_DATATEST_ERROR: return "error";
	}
	return "error";
}

static void test_release(struct dla_datatest *t)
{
	dla_free(t->name);
	dla_free(t->sql);
	dla_free(t->count_sql);
	dla_free(t->sample_sql);
	dla_free(t->static_failure);
	dla_free(t->freshness_column);
	memset(t, 0, sizeof(*t));
}

void dla_datatests_release(struct dla_datatests *t)
{
	for (size_t i = 0; i < t->n; i++)
		test_release(&t->items[i]);
	dla_free(t->items);
	memset(t, 0, sizeof(*t));
}

/* ---- generation ---------------------------------------------------------- */

/* What the generators of one node share. */
struct gen {
	const struct dla_datatest_input *in;
	const struct dla_dialect *d;
	const struct dla_project *p;
	const struct dla_node *node;
	struct dla_datatests *out;
	struct dla_buf table;        /* the node's relation as SQL */
	const char *sk;              /* dimension: surrogate key */
	const struct dla_names *keys;   /* dimension: business key; fact: grain */
	bool versioned, deleted, inferred;
};

static bool has_column(const struct gen *g, const char *name)
{
	for (size_t i = 0; i < g->in->n_columns; i++)
		if (strcasecmp(g->in->columns[i].name, name) == 0)
			return true;
	return false;
}

/* Adds a test whose failing rows are sql (consumed: the buffer is
 * released). */
static struct dla_datatest *add_test(struct gen *g, const char *name,
				     enum dla_datatest_origin origin,
				     enum dla_test_severity severity, struct dla_buf *sql)
{
	struct dla_datatest *t;
	struct dla_buf b = DLA_BUF_INIT;

	if (dla_grow((void **)&g->out->items, &g->out->cap, g->out->n + 1,
		     sizeof(*g->out->items))) {
		g->out->failed = true;
		dla_buf_release(sql);
		return NULL;
	}
	t = &g->out->items[g->out->n++];
	memset(t, 0, sizeof(*t));
	t->node = g->node->name;
	t->origin = origin;
	t->severity = severity;
	t->name = dla_strdup(name);
	if (sql && sql->len) {
		dla_buf_addf(&b, "SELECT COUNT(*) FROM (\n%s\n) dla_t", sql->buf);
		t->count_sql = dla_buf_detach(&b);
		dla_buf_addf(&b, "SELECT * FROM (\n%s\n) dla_t\nORDER BY 1\nLIMIT %d", sql->buf,
			     MAX_EXAMPLES);
		t->sample_sql = dla_buf_detach(&b);
		t->sql = dla_buf_detach(sql);
		if (!t->sql || !t->count_sql || !t->sample_sql)
			g->out->failed = true;
	}
	if (sql)
		dla_buf_release(sql);
	if (!t->name || (sql && dla_buf_failed(sql)))
		g->out->failed = true;
	return t;
}

static void set_static_failure(struct gen *g, struct dla_datatest *t, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_static_failure(struct gen *g, struct dla_datatest *t, const char *fmt, ...)
{
	struct dla_buf b = DLA_BUF_INIT;
	va_list ap;

	if (!t)
		return;
	va_start(ap, fmt);
	dla_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	t->static_failure = dla_buf_detach(&b);
	if (!t->static_failure)
		g->out->failed = true;
}

/* ", a, b" or "a, b" (first) of a name list, each prefixed by alias. */
static void add_list(struct dla_buf *b, const struct dla_names *names, const char *alias,
		     bool leading_comma)
{
	for (size_t i = 0; i < names->n; i++)
		dla_buf_addf(b, "%s%s%s%s", i || leading_comma ? ", " : "",
			     alias ? alias : "", alias ? "." : "", names->items[i]);
}

/* "(a IS NULL OR b IS NULL)" */
static void add_any_null(struct dla_buf *b, const struct dla_names *names)
{
	dla_buf_addch(b, '(');
	for (size_t i = 0; i < names->n; i++)
		dla_buf_addf(b, "%s%s IS NULL", i ? " OR " : "", names->items[i]);
	dla_buf_addch(b, ')');
}

/* "(sk IS NULL OR sk <> -1)": every row but the unknown member. */
static void add_not_unknown(struct dla_buf *b, const struct gen *g)
{
	dla_buf_addf(b, "(%s IS NULL OR %s <> -1)", g->sk, g->sk);
}

/* A boolean column is true / false-or-NULL. */
static void add_true(struct dla_buf *b, const struct gen *g, const char *col)
{
	dla_buf_addf(b, "%s = %s", col, g->d->true_literal);
}

static void add_not_true(struct dla_buf *b, const struct gen *g, const char *col)
{
	dla_buf_addf(b, "COALESCE(%s, %s) = %s", col, g->d->false_literal, g->d->false_literal);
}

/* valid_to is the open end. */
static void add_open_end(struct dla_buf *b, const struct gen *g, const char *alias)
{
	const char *vt = g->p->hk.valid_to;

	if (g->p->open_end) {
		dla_buf_addf(b, "%s%s%s = ", alias ? alias : "", alias ? "." : "", vt);
		g->d->timestamp_literal(b, g->p->open_end);
	} else {
		dla_buf_addf(b, "%s%s%s IS NULL", alias ? alias : "", alias ? "." : "", vt);
	}
}

/* "SELECT <cols>, COUNT(*) AS dla_rows FROM T [WHERE w] GROUP BY <cols>
 * HAVING COUNT(*) > 1" */
static void sql_duplicates(struct dla_buf *b, const struct gen *g, const struct dla_names *cols,
			   const char *where)
{
	dla_buf_adds(b, "SELECT ");
	add_list(b, cols, NULL, false);
	dla_buf_addf(b, ", COUNT(*) AS dla_rows\nFROM %s", g->table.buf);
	if (where && *where)
		dla_buf_addf(b, "\nWHERE %s", where);
	dla_buf_adds(b, "\nGROUP BY ");
	add_list(b, cols, NULL, false);
	dla_buf_adds(b, "\nHAVING COUNT(*) > 1");
}

/* ---- dimensions ---- */

static void dimension_tests(struct gen *g)
{
	const struct dla_housekeeping *hk = &g->p->hk;
	const struct dla_dimension *dim = g->node->spec.dimension;
	struct dla_names one = { &g->sk, NULL, 1 };
	struct dla_buf b = DLA_BUF_INIT, w = DLA_BUF_INIT;

	/* surrogate key */
	sql_duplicates(&b, g, &one, NULL);
	add_test(g, "unique_surrogate_key", DLA_DATATEST_GENERATED, DLA_TEST_SEV_ERROR, &b);
	dla_buf_adds(&b, "SELECT ");
	add_list(&b, g->keys, NULL, false);
	dla_buf_addf(&b, "\nFROM %s\nWHERE %s IS NULL", g->table.buf, g->sk);
	add_test(g, "not_null_surrogate_key", DLA_DATATEST_GENERATED, DLA_TEST_SEV_ERROR, &b);

	/* business key */
	dla_buf_addf(&b, "SELECT %s", g->sk);
	add_list(&b, g->keys, NULL, true);
	dla_buf_addf(&b, "\nFROM %s\nWHERE ", g->table.buf);
	add_any_null(&b, g->keys);
	dla_buf_adds(&b, " AND ");
	add_not_unknown(&b, g);
	add_test(g, "not_null_business_key", DLA_DATATEST_GENERATED, DLA_TEST_SEV_ERROR, &b);

	add_not_unknown(&w, g);
	if (!g->versioned) {
		sql_duplicates(&b, g, g->keys, w.buf);
		add_test(g, "unique_business_key", DLA_DATATEST_GENERATED, DLA_TEST_SEV_ERROR,
			 &b);
	} else {
		struct dla_names kv = { NULL, NULL, 0 };
		const char **items = dla_calloc(g->keys->n + 1, sizeof(*items));

		if (!items) {
			g->out->failed = true;
		} else {
			memcpy(items, g->keys->items, g->keys->n * sizeof(*items));
			items[g->keys->n] = hk->valid_from;
			kv.items = items;
			kv.n = g->keys->n + 1;
			sql_duplicates(&b, g, &kv, w.buf);
			add_test(g, "unique_business_key_version", DLA_DATATEST_GENERATED,
				 DLA_TEST_SEV_ERROR, &b);
			dla_free(items);
		}

		/* exactly one current version per live key */
		dla_buf_adds(&b, "SELECT ");
		add_list(&b, g->keys, NULL, false);
		dla_buf_adds(&b, ", SUM(CASE WHEN ");
		add_true(&b, g, hk->is_current);
		dla_buf_adds(&b, " THEN 1 ELSE 0 END) AS current_versions");
		dla_buf_addf(&b, "\nFROM %s\nWHERE %s\nGROUP BY ", g->table.buf, w.buf);
		add_list(&b, g->keys, NULL, false);
		dla_buf_adds(&b, "\nHAVING SUM(CASE WHEN ");
		add_true(&b, g, hk->is_current);
		if (g->deleted) {
			/* a key whose versions are all closed by a delete is not live */
			dla_buf_adds(&b, " THEN 1 ELSE 0 END) > 1\n    OR (SUM(CASE WHEN ");
			add_true(&b, g, hk->is_current);
			dla_buf_adds(&b, " THEN 1 ELSE 0 END) = 0 AND SUM(CASE WHEN ");
			add_true(&b, g, hk->is_deleted);
			dla_buf_adds(&b, " THEN 1 ELSE 0 END) = 0)");
		} else {
			dla_buf_adds(&b, " THEN 1 ELSE 0 END) <> 1");
		}
		add_test(g, "one_current_version", DLA_DATATEST_GENERATED, DLA_TEST_SEV_ERROR,
			 &b);

		/* is_current is set exactly on the open version */
		dla_buf_addf(&b, "SELECT %s", g->sk);
		add_list(&b, g->keys, NULL, true);
		dla_buf_addf(&b, ", %s, %s\nFROM %s\nWHERE %s\n  AND ((", hk->is_current,
			     hk->valid_to, g->table.buf, w.buf);
		add_true(&b, g, hk->is_current);
		dla_buf_adds(&b, " AND NOT (");
		add_open_end(&b, g, NULL);
		dla_buf_adds(&b, "))\n    OR (");
		add_not_true(&b, g, hk->is_current);
		dla_buf_adds(&b, " AND ");
		add_open_end(&b, g, NULL);
		dla_buf_adds(&b, "))");
		add_test(g, "current_flag_on_open_version", DLA_DATATEST_GENERATED,
			 DLA_TEST_SEV_ERROR, &b);

		/* valid_from < valid_to */
		dla_buf_addf(&b, "SELECT %s", g->sk);
		add_list(&b, g->keys, NULL, true);
		dla_buf_addf(&b, ", %s, %s\nFROM %s\nWHERE %s\n  AND (%s IS NULL OR %s >= %s",
			     hk->valid_from, hk->valid_to, g->table.buf, w.buf, hk->valid_from,
			     hk->valid_from, hk->valid_to);
		if (g->p->open_end)
			dla_buf_addf(&b, " OR %s IS NULL", hk->valid_to);
		dla_buf_addch(&b, ')');
		add_test(g, "valid_from_before_valid_to", DLA_DATATEST_GENERATED,
			 DLA_TEST_SEV_ERROR, &b);

		/* each version against the next one of its key */
		for (int gaps = 0; gaps < 2; gaps++) {
			dla_buf_adds(&b, "SELECT ");
			add_list(&b, g->keys, NULL, false);
			dla_buf_addf(&b, ", %s, %s, dla_next_from AS next_%s\nFROM (\n    SELECT ",
				     hk->valid_from, hk->valid_to, hk->valid_from);
			add_list(&b, g->keys, NULL, false);
			dla_buf_addf(&b, ", %s, %s", hk->valid_from, hk->valid_to);
			if (g->deleted)
				dla_buf_addf(&b, ", %s", hk->is_deleted);
			dla_buf_addf(&b, ",\n        LEAD(%s) OVER (PARTITION BY ", hk->valid_from);
			add_list(&b, g->keys, NULL, false);
			dla_buf_addf(&b, " ORDER BY %s, %s) AS dla_next_from\n    FROM %s\n    "
				     "WHERE %s\n) dla_v\nWHERE dla_next_from IS NOT NULL AND ",
				     hk->valid_from, g->sk, g->table.buf, w.buf);
			if (!gaps) {
				dla_buf_addf(&b, "(%s IS NULL OR dla_next_from < %s)", hk->valid_to,
					     hk->valid_to);
				add_test(g, "no_overlapping_versions", DLA_DATATEST_GENERATED,
					 DLA_TEST_SEV_ERROR, &b);
			} else {
				dla_buf_addf(&b, "dla_next_from > %s", hk->valid_to);
				if (g->deleted) {
					/* a key that comes back after a delete */
					dla_buf_adds(&b, " AND ");
					add_not_true(&b, g, hk->is_deleted);
				}
				add_test(g, "no_gaps_between_versions", DLA_DATATEST_GENERATED,
					 DLA_TEST_SEV_ERROR, &b);
			}
		}
	}

	if (dim->unknown_member) {
		dla_buf_addf(&b, "SELECT dla_c.dla_rows AS unknown_members\nFROM (SELECT COUNT(*) "
			     "AS dla_rows FROM %s WHERE %s = -1) dla_c\nWHERE dla_c.dla_rows <> 1",
			     g->table.buf, g->sk);
		add_test(g, "unknown_member_present", DLA_DATATEST_GENERATED, DLA_TEST_SEV_ERROR,
			 &b);
	}
	if (g->inferred) {
		dla_buf_addf(&b, "SELECT %s", g->sk);
		add_list(&b, g->keys, NULL, true);
		dla_buf_addf(&b, "\nFROM %s\nWHERE ", g->table.buf);
		add_true(&b, g, hk->is_inferred);
		add_test(g, "inferred_members_completed", DLA_DATATEST_GENERATED,
			 DLA_TEST_SEV_WARN, &b);
	}
	dla_buf_release(&w);
}

/* ---- facts ---- */

static void fact_tests(struct gen *g)
{
	const struct dla_fact *fact = g->node->spec.fact;
	struct dla_buf b = DLA_BUF_INIT, name = DLA_BUF_INIT;

	sql_duplicates(&b, g, g->keys, NULL);
	add_test(g, "unique_grain", DLA_DATATEST_GENERATED, DLA_TEST_SEV_ERROR, &b);
	dla_buf_adds(&b, "SELECT ");
	add_list(&b, g->keys, NULL, false);
	dla_buf_addf(&b, "\nFROM %s\nWHERE ", g->table.buf);
	add_any_null(&b, g->keys);
	add_test(g, "not_null_grain", DLA_DATATEST_GENERATED, DLA_TEST_SEV_ERROR, &b);

	for (size_t i = 0; i < fact->n_lookups; i++) {
		const struct dla_lookup *l = &fact->lookups[i];
		const struct dla_dimension *dim = dla_dag_lookup_dimension(g->in->dag, l);
		const char *key = dla_dag_lookup_key(g->in->dag, l);
		struct dla_buf dim_table = DLA_BUF_INIT;
		struct dla_datatest *t;

		if (!dim || !key)
			continue;
		dla_buf_reset(&name);
		dla_buf_addf(&name, "not_null_%s", key);
		dla_buf_adds(&b, "SELECT ");
		add_list(&b, g->keys, NULL, false);
		dla_buf_addf(&b, ", %s\nFROM %s\nWHERE %s IS NULL", key, g->table.buf, key);
		t = add_test(g, name.buf, DLA_DATATEST_GENERATED, DLA_TEST_SEV_ERROR, &b);
		if (!has_column(g, key))
			set_static_failure(g, t, "column '%s' does not exist in %s", key,
					   g->node->relation);

		dla_buf_reset(&name);
		dla_buf_addf(&name, "relationships_%s", key);
		g->d->relation(&dim_table, dim->schema, dim->name);
		dla_buf_addf(&b, "SELECT f.%s, COUNT(*) AS dla_rows\nFROM %s f\nLEFT JOIN %s d "
			     "ON d.%s = f.%s\nWHERE f.%s IS NOT NULL AND d.%s IS NULL\nGROUP BY f.%s",
			     key, g->table.buf, dim_table.buf, dla_dimension_sk(dim), key, key,
			     dla_dimension_sk(dim), key);
		t = add_test(g, name.buf, DLA_DATATEST_GENERATED, DLA_TEST_SEV_ERROR, &b);
		if (!has_column(g, key))
			set_static_failure(g, t, "column '%s' does not exist in %s", key,
					   g->node->relation);
		dla_buf_release(&dim_table);
	}
	dla_buf_release(&name);
}

/* ---- declared tests ---- */

/* The rows declared tests look at: on dimensions, neither the unknown
 * member nor inferred members. */
static void declared_filter(struct dla_buf *b, const struct gen *g, const char *alias)
{
	const char *a = alias ? alias : "", *dot = alias ? "." : "";

	if (g->node->kind != DLA_NODE_DIMENSION)
		return;
	dla_buf_addf(b, "(%s%s%s IS NULL OR %s%s%s <> -1)", a, dot, g->sk, a, dot, g->sk);
	if (g->inferred) {
		char col[160];
		snprintf(col, sizeof(col), "%s%s%s", a, dot, g->p->hk.is_inferred);
		dla_buf_adds(b, " AND ");
		add_not_true(b, g, col);
	}
}

/* The relation of the node a relationships test points at, as SQL. */
static bool relation_of(const struct gen *g, const char *name, struct dla_buf *out)
{
	size_t idx = dla_dag_find(g->in->dag, name);
	const struct dla_node *n;

	if (idx == (size_t)-1)
		return false;
	n = &g->in->dag->nodes[idx];
	switch (n->kind) {
	case DLA_NODE_VIEW:
		g->d->view_relation(out, g->p->views_schema, n->spec.view->name);
		return true;
	case DLA_NODE_SOURCE:
		g->d->relation(out, n->spec.source->schema, n->spec.source->name);
		return true;
	case DLA_NODE_DIMENSION:
		g->d->relation(out, n->spec.dimension->schema, n->spec.dimension->name);
		return true;
	case DLA_NODE_FACT:
		g->d->relation(out, n->spec.fact->schema, n->spec.fact->name);
		return true;
	case DLA_NODE_EXPOSURE:
		break;
	}
	return false;
}

static const char *const declared_prefix[] = {
	[DLA_TEST_NOT_NULL] = "not_null",
	[DLA_TEST_UNIQUE] = "unique",
	[DLA_TEST_ACCEPTED_VALUES] = "accepted_values",
	[DLA_TEST_RELATIONSHIPS] = "relationships",
	[DLA_TEST_CUSTOM] = "custom",
};

static void declared_test(struct gen *g, const struct dla_test_spec *s)
{
	struct dla_buf b = DLA_BUF_INIT, name = DLA_BUF_INIT, f = DLA_BUF_INIT;
	struct dla_buf rel = DLA_BUF_INIT;
	const char *col = s->columns.n ? s->columns.items[0] : NULL;
	const char *missing = NULL;
	bool unknown_to = false;
	struct dla_datatest *t;

	if (s->kind == DLA_TEST_CUSTOM) {
		dla_buf_adds(&name, s->name);
	} else {
		dla_buf_adds(&name, declared_prefix[s->kind]);
		for (size_t i = 0; i < s->columns.n; i++) {
			dla_buf_addf(&name, "_%s", s->columns.items[i]);
			if (!has_column(g, s->columns.items[i]) && !missing)
				missing = s->columns.items[i];
		}
	}
	declared_filter(&f, g, s->kind == DLA_TEST_RELATIONSHIPS ? "t" : NULL);

	switch (s->kind) {
	case DLA_TEST_NOT_NULL:
		if (g->node->kind == DLA_NODE_DIMENSION)
			dla_buf_addf(&b, "SELECT %s, ", g->sk);
		else
			dla_buf_adds(&b, "SELECT ");
		add_list(&b, g->keys, NULL, false);
		for (size_t i = 0; i < g->keys->n; i++)
			if (strcasecmp(g->keys->items[i], col) == 0)
				col = NULL;
		if (col)
			dla_buf_addf(&b, ", %s", col);
		dla_buf_addf(&b, "\nFROM %s\nWHERE %s IS NULL", g->table.buf, s->columns.items[0]);
		if (f.len)
			dla_buf_addf(&b, " AND %s", f.buf);
		break;
	case DLA_TEST_UNIQUE:
		sql_duplicates(&b, g, &s->columns, f.buf);
		break;
	case DLA_TEST_ACCEPTED_VALUES:
		dla_buf_addf(&b, "SELECT %s, COUNT(*) AS dla_rows\nFROM %s\nWHERE %s IS NOT NULL "
			     "AND %s NOT IN (", col, g->table.buf, col, col);
		for (size_t i = 0; i < s->n_values; i++) {
			if (i)
				dla_buf_adds(&b, ", ");
			if (s->values[i].number)
				dla_buf_adds(&b, s->values[i].text);
			else
				g->d->quote_literal(&b, s->values[i].text);
		}
		dla_buf_addch(&b, ')');
		if (f.len)
			dla_buf_addf(&b, " AND %s", f.buf);
		dla_buf_addf(&b, "\nGROUP BY %s", col);
		break;
	case DLA_TEST_RELATIONSHIPS:
		if (!relation_of(g, s->to, &rel))
			unknown_to = true;
		dla_buf_addf(&b, "SELECT t.%s, COUNT(*) AS dla_rows\nFROM %s t\nLEFT JOIN %s r ON "
			     "r.%s = t.%s\nWHERE t.%s IS NOT NULL AND r.%s IS NULL", col,
			     g->table.buf, rel.buf, s->field, col, col, s->field);
		if (f.len)
			dla_buf_addf(&b, " AND %s", f.buf);
		dla_buf_addf(&b, "\nGROUP BY t.%s", col);
		break;
	case DLA_TEST_CUSTOM:
		dla_dialect_add_select(&b, s->sql);
		break;
	}
	t = add_test(g, name.buf, DLA_DATATEST_DECLARED, s->severity, &b);
	if (unknown_to)
		set_static_failure(g, t, "%s:%d:%d: relationships test: '%s' is not a node of "
				   "the project", s->loc.file, s->loc.line, s->loc.col, s->to);
	else if (missing)
		set_static_failure(g, t, "%s:%d:%d: column '%s' does not exist in %s",
				   s->loc.file, s->loc.line, s->loc.col, missing,
				   g->node->relation);
	dla_buf_release(&name);
	dla_buf_release(&f);
	dla_buf_release(&rel);
	if (dla_buf_failed(&b))
		g->out->failed = true;
	dla_buf_release(&b);
}

/* ---- sources ---- */

static void freshness_test(struct gen *g)
{
	const struct dla_source *src = g->node->spec.source;
	struct dla_buf b = DLA_BUF_INIT;
	struct dla_datatest *t;

	dla_buf_addf(&b, "SELECT MAX(%s) AS latest FROM %s", src->freshness.column, g->table.buf);
	t = add_test(g, "freshness", DLA_DATATEST_FRESHNESS,
		     src->freshness.error_after_s ? DLA_TEST_SEV_ERROR : DLA_TEST_SEV_WARN, NULL);
	if (!t) {
		dla_buf_release(&b);
		return;
	}
	t->sql = dla_buf_detach(&b);
	t->freshness_column = dla_strdup(src->freshness.column);
	t->warn_after_s = src->freshness.warn_after_s;
	t->error_after_s = src->freshness.error_after_s;
	if (!t->sql || !t->freshness_column)
		g->out->failed = true;
}

/* Makes test names unique within the node: a later duplicate of "x" is
 * renamed "x_2", "x_3", ... */
static bool name_taken(const struct dla_datatests *out, size_t first, size_t i,
		       const char *name)
{
	for (size_t j = first; j < i; j++)
		if (out->items[j].name && strcmp(out->items[j].name, name) == 0)
			return true;
	return false;
}

static void unique_names(struct dla_datatests *out, size_t first)
{
	for (size_t i = first + 1; i < out->n; i++) {
		char *base = out->items[i].name, *name;
		size_t size;

		if (!base || !name_taken(out, first, i, base))
			continue;
		size = strlen(base) + 24;
		name = dla_malloc(size);
		if (!name) {
			out->failed = true;
			return;
		}
		for (int k = 2;; k++) {
			snprintf(name, size, "%s_%d", base, k);
			if (!name_taken(out, first, i, name))
				break;
		}
		dla_free(base);
		out->items[i].name = name;
	}
}

enum dla_code dla_datatest_node_sql(const struct dla_datatest_input *in,
				    struct dla_datatests *out)
{
	const struct dla_node *node = &in->dag->nodes[in->node];
	const struct dla_test_spec *declared = NULL;
	size_t n_declared = 0, first = out->n;
	struct gen g;

	memset(&g, 0, sizeof(g));
	g.in = in;
	g.d = in->dialect;
	g.p = in->project;
	g.node = node;
	g.out = out;
	dla_buf_init(&g.table);

	switch (node->kind) {
	case DLA_NODE_SOURCE:
		if (node->spec.source->freshness.set) {
			g.d->relation(&g.table, node->spec.source->schema, node->spec.source->name);
			freshness_test(&g);
		}
		break;
	case DLA_NODE_DIMENSION: {
		const struct dla_dimension *dim = node->spec.dimension;
		g.d->relation(&g.table, dim->schema, dim->name);
		g.sk = dla_dimension_sk(dim);
		g.keys = &dim->business_key;
		declared = dim->tests;
		n_declared = dim->n_tests;
		if (in->n_columns == 0)
			break;
		g.versioned = has_column(&g, g.p->hk.valid_from) &&
			      has_column(&g, g.p->hk.valid_to) &&
			      has_column(&g, g.p->hk.is_current);
		g.deleted = has_column(&g, g.p->hk.is_deleted);
		g.inferred = has_column(&g, g.p->hk.is_inferred);
		dimension_tests(&g);
		break;
	}
	case DLA_NODE_FACT: {
		const struct dla_fact *fact = node->spec.fact;
		g.d->relation(&g.table, fact->schema, fact->name);
		g.keys = &fact->grain;
		declared = fact->tests;
		n_declared = fact->n_tests;
		if (in->n_columns == 0)
			break;
		fact_tests(&g);
		break;
	}
	case DLA_NODE_VIEW:
	case DLA_NODE_EXPOSURE:
		break;
	}
	if ((node->kind == DLA_NODE_DIMENSION || node->kind == DLA_NODE_FACT) &&
	    in->n_columns == 0) {
		struct dla_datatest *t = add_test(&g, "table_exists", DLA_DATATEST_GENERATED,
						  DLA_TEST_SEV_ERROR, NULL);
		set_static_failure(&g, t, "table %s does not exist (has the node been run?)",
				   node->relation);
	} else {
		for (size_t i = 0; i < n_declared; i++)
			declared_test(&g, &declared[i]);
	}
	if (dla_buf_failed(&g.table))
		out->failed = true;
	dla_buf_release(&g.table);
	if (!out->failed)
		unique_names(out, first);
	return out->failed ? DLA_ERR_NOMEM : DLA_OK;
}

/* ---- time ------------------------------------------------------------------ */

/* Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm). */
static long long days_from_civil(long long y, unsigned m, unsigned d)
{
	long long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

static bool epoch_seconds(const char *ts, long long *out)
{
	char canon[32];
	int y, mo, d, h, mi, s;

	if (!ts || !dla_time_parse(ts, canon))
		return false;
	if (sscanf(canon, "%d-%d-%d %d:%d:%d", &y, &mo, &d, &h, &mi, &s) != 6)
		return false;
	*out = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + s;
	return true;
}

bool dla_time_diff(const char *a, const char *b, long long *seconds)
{
	long long x, y;

	if (!epoch_seconds(a, &x) || !epoch_seconds(b, &y))
		return false;
	*seconds = y - x;
	return true;
}

void dla_duration_text(long long seconds, char out[32])
{
	long long s = seconds < 0 ? -seconds : seconds;
	const char *sign = seconds < 0 ? "-" : "";

	if (s % 86400 == 0 && s >= 86400)
		snprintf(out, 32, "%s%lld day%s", sign, s / 86400, s == 86400 ? "" : "s");
	else if (s >= 2 * 86400)
		snprintf(out, 32, "%s%.1f days", sign, (double)s / 86400.0);
	else if (s % 3600 == 0 && s >= 3600)
		snprintf(out, 32, "%s%lldh", sign, s / 3600);
	else if (s >= 3600)
		snprintf(out, 32, "%s%.1fh", sign, (double)s / 3600.0);
	else if (s >= 60)
		snprintf(out, 32, "%s%lld min", sign, s / 60);
	else
		snprintf(out, 32, "%s%llds", sign, s);
}

/* ---- running --------------------------------------------------------------- */

void dla_datatest_result_release(struct dla_datatest_result *r)
{
	dla_free(r->examples);
	dla_free(r->message);
	memset(r, 0, sizeof(*r));
}

bool dla_datatest_result_fails(const struct dla_datatest *t,
			       const struct dla_datatest_result *r)
{
	return r->status == DLA_DATATEST_FAIL ||
	       (r->status == DLA_DATATEST_ERROR && t->severity == DLA_TEST_SEV_ERROR);
}

static double mono_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void set_message(struct dla_datatest_result *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void set_message(struct dla_datatest_result *r, const char *fmt, ...)
{
	struct dla_buf b = DLA_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	dla_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	dla_free(r->message);
	r->message = dla_buf_detach(&b);
}

/* "(a=1, b=NULL), (a=2, b=x)" */
static char *examples_text(const struct dla_db_result *res)
{
	struct dla_buf b = DLA_BUF_INIT;

	for (size_t row = 0; row < res->n_rows && row < MAX_EXAMPLES; row++) {
		dla_buf_adds(&b, row ? ", (" : "(");
		for (size_t c = 0; c < res->n_cols; c++) {
			const char *v = dla_db_cell(res, row, c);
			dla_buf_addf(&b, "%s%s=%s", c ? ", " : "", res->col_names[c],
				     v ? v : "NULL");
		}
		dla_buf_addch(&b, ')');
	}
	return dla_buf_detach(&b);
}

static enum dla_code db_failure(struct dla_datatest_result *r, enum dla_code code,
				const struct dla_db_error *err)
{
	r->status = DLA_DATATEST_ERROR;
	set_message(r, "cannot run the test: %s", err->message[0] ? err->message
								   : dla_strerror(code));
	return code == DLA_ERR_CONN_DEAD || code == DLA_ERR_NOMEM ? code : DLA_OK;
}

static enum dla_code run_freshness(struct dla_db *db, const struct dla_datatest *t,
				   const char *now, struct dla_datatest_result *r)
{
	struct dla_db_result *res = NULL;
	struct dla_db_error err;
	enum dla_code code;
	const char *latest;
	long long age;
	char age_text[32], limit_text[32];

	code = dla_db_query(db, t->sql, NULL, 0, &res, &err);
	if (code != DLA_OK)
		return db_failure(r, code, &err);
	latest = dla_db_cell(res, 0, 0);
	r->failures = 0;
	if (!latest) {
		r->status = t->error_after_s ? DLA_DATATEST_FAIL : DLA_DATATEST_WARN;
		r->failures = 1;
		set_message(r, "no %s value: the source is empty", t->freshness_column);
	} else if (!dla_time_diff(latest, now, &age)) {
		r->status = DLA_DATATEST_ERROR;
		set_message(r, "latest %s '%s' is not a timestamp", t->freshness_column, latest);
	} else {
		char canon[32];
		dla_time_parse(latest, canon);
		dla_duration_text(age, age_text);
		if (age < 0) {
			r->status = DLA_DATATEST_PASS;
			set_message(r, "latest %s %s is in the future", t->freshness_column,
				    canon);
		} else if (t->error_after_s && age > t->error_after_s) {
			r->status = DLA_DATATEST_FAIL;
			r->failures = 1;
			dla_duration_text(t->error_after_s, limit_text);
			set_message(r, "latest %s %s is %s old (error after %s)",
				    t->freshness_column, canon, age_text, limit_text);
		} else if (t->warn_after_s && age > t->warn_after_s) {
			r->status = DLA_DATATEST_WARN;
			r->failures = 1;
			dla_duration_text(t->warn_after_s, limit_text);
			set_message(r, "latest %s %s is %s old (warn after %s)",
				    t->freshness_column, canon, age_text, limit_text);
		} else {
			r->status = DLA_DATATEST_PASS;
			set_message(r, "latest %s %s is %s old", t->freshness_column, canon,
				    age_text);
		}
	}
	dla_db_result_free(res);
	return r->message ? DLA_OK : DLA_ERR_NOMEM;
}

enum dla_code dla_datatest_execute(struct dla_db *db, const struct dla_datatest *t,
				   const char *now, struct dla_datatest_result *r)
{
	struct dla_db_result *res = NULL;
	struct dla_db_error err;
	enum dla_code code = DLA_OK;
	double t0 = mono_seconds();
	const char *cell;

	memset(r, 0, sizeof(*r));
	r->failures = -1;
	dla_time_now(r->started_at);
	if (t->static_failure) {
		r->status = t->severity == DLA_TEST_SEV_WARN ? DLA_DATATEST_WARN
							    : DLA_DATATEST_FAIL;
		set_message(r, "%s", t->static_failure);
	} else if (t->origin == DLA_DATATEST_FRESHNESS) {
		code = run_freshness(db, t, now, r);
	} else {
		code = dla_db_query(db, t->count_sql, NULL, 0, &res, &err);
		if (code != DLA_OK) {
			code = db_failure(r, code, &err);
		} else {
			cell = dla_db_cell(res, 0, 0);
			r->failures = cell ? strtol(cell, NULL, 10) : 0;
			dla_db_result_free(res);
			res = NULL;
			if (r->failures == 0) {
				r->status = DLA_DATATEST_PASS;
				set_message(r, "0 failing rows");
			} else {
				r->status = t->severity == DLA_TEST_SEV_WARN ? DLA_DATATEST_WARN
									    : DLA_DATATEST_FAIL;
				set_message(r, "%ld failing row%s", r->failures,
					    r->failures == 1 ? "" : "s");
				code = dla_db_query(db, t->sample_sql, NULL, 0, &res, &err);
				if (code == DLA_OK) {
					r->examples = examples_text(res);
					if (!r->examples)
						code = DLA_ERR_NOMEM;
				} else if (code != DLA_ERR_CONN_DEAD && code != DLA_ERR_NOMEM) {
					code = DLA_OK;   /* counted: examples are a bonus */
				}
				dla_db_result_free(res);
			}
		}
	}
	dla_time_now(r->finished_at);
	r->seconds = mono_seconds() - t0;
	if (!r->message && code == DLA_OK)
		code = DLA_ERR_NOMEM;
	return code;
}

/* ---- one node -------------------------------------------------------------- */

void dla_datatest_outcome_release(struct dla_datatest_outcome *o)
{
	for (size_t i = 0; o->results && i < o->tests.n; i++)
		dla_datatest_result_release(&o->results[i]);
	dla_free(o->results);
	dla_datatests_release(&o->tests);
	memset(o, 0, sizeof(*o));
}

/* The node's table columns from the catalog (sqlgen.h struct dla_column;
 * names owned by names[]). */
static enum dla_code read_columns(struct dla_warehouse *wh, const char *schema,
				  const char *table, struct dla_column **cols, char ***names,
				  size_t *n, struct dla_db_error *err)
{
	struct dla_buf q = DLA_BUF_INIT;
	struct dla_db_result *res = NULL;
	enum dla_code code;

	*cols = NULL;
	*names = NULL;
	*n = 0;
	wh->dialect->columns_query(&q, schema, table);
	if (dla_buf_failed(&q))
		return DLA_ERR_NOMEM;
	code = dla_db_query(wh->db, q.buf, NULL, 0, &res, err);
	dla_buf_release(&q);
	if (code != DLA_OK)
		return code;
	*cols = dla_calloc(res->n_rows + 1, sizeof(**cols));
	*names = dla_calloc(res->n_rows + 1, sizeof(**names));
	if (!*cols || !*names) {
		dla_db_result_free(res);
		return DLA_ERR_NOMEM;
	}
	for (size_t i = 0; i < res->n_rows; i++) {
		const char *name = dla_db_cell(res, i, 0);
		(*names)[i] = dla_strdup(name ? name : "");
		if (!(*names)[i]) {
			dla_db_result_free(res);
			return DLA_ERR_NOMEM;
		}
		*n = i + 1;
		(*cols)[i].name = (*names)[i];
		(*cols)[i].type.type = DLA_TYPE_TEXT;
	}
	dla_db_result_free(res);
	return DLA_OK;
}

enum dla_code dla_datatest_run_node(struct dla_warehouse *wh, const struct dla_project *p,
				    const struct dla_dag *dag, size_t node,
				    dla_datatest_report_fn report, void *ctx,
				    struct dla_datatest_outcome *out)
{
	const struct dla_node *n = &dag->nodes[node];
	struct dla_datatest_input in;
	struct dla_column *cols = NULL;
	char **names = NULL, now[32];
	size_t n_cols = 0;
	struct dla_db_error err;
	enum dla_code code = DLA_OK;
	const char *schema = NULL, *table = NULL;

	memset(out, 0, sizeof(*out));
	if (n->kind == DLA_NODE_DIMENSION) {
		schema = n->spec.dimension->schema;
		table = n->spec.dimension->name;
	} else if (n->kind == DLA_NODE_FACT) {
		schema = n->spec.fact->schema;
		table = n->spec.fact->name;
	}
	if (table) {
		code = read_columns(wh, schema, table, &cols, &names, &n_cols, &err);
		if (code == DLA_ERR_DB)
			n_cols = 0;     /* no catalog answer: treated as missing */
		else if (code != DLA_OK)
			goto out;
		code = DLA_OK;
	}
	memset(&in, 0, sizeof(in));
	in.project = p;
	in.dag = dag;
	in.dialect = wh->dialect;
	in.node = node;
	in.columns = cols;
	in.n_columns = n_cols;
	code = dla_datatest_node_sql(&in, &out->tests);
	if (code != DLA_OK)
		goto out;
	out->results = dla_calloc(out->tests.n + 1, sizeof(*out->results));
	if (!out->results) {
		code = DLA_ERR_NOMEM;
		goto out;
	}
	dla_time_now(now);
	for (size_t i = 0; i < out->tests.n; i++) {
		const struct dla_datatest *t = &out->tests.items[i];
		struct dla_datatest_result *r = &out->results[i];

		code = dla_datatest_execute(wh->db, t, now, r);
		if (dla_datatest_result_fails(t, r))
			out->failed++;
		else if (r->status == DLA_DATATEST_WARN)
			out->warned++;
		else if (r->status == DLA_DATATEST_ERROR)
			out->errors++;
		else
			out->passed++;
		if (report)
			report(ctx, t, r);
		if (code != DLA_OK)
			break;
	}
out:
	for (size_t i = 0; names && i < n_cols; i++)
		dla_free(names[i]);
	dla_free(names);
	dla_free(cols);
	return code;
}

void dla_datatest_outcome_message(const struct dla_datatest_outcome *o, struct dla_buf *msg)
{
	size_t shown = 0;

	if (!o->failed)
		return;
	dla_buf_adds(msg, "data tests failed: ");
	for (size_t i = 0; i < o->tests.n; i++) {
		const struct dla_datatest *t = &o->tests.items[i];
		const struct dla_datatest_result *r = &o->results[i];

		if (!dla_datatest_result_fails(t, r))
			continue;
		if (shown == MAX_EXAMPLES) {
			dla_buf_addf(msg, ", and %zu more", o->failed - shown);
			break;
		}
		dla_buf_addf(msg, "%s%s (%s)", shown ? ", " : "", t->name,
			     r->message ? r->message : "failed");
		shown++;
	}
}

enum dla_code dla_datatest_outcome_record(const struct dla_meta *m, const char *run_id,
					  const char *command,
					  const struct dla_datatest_outcome *o,
					  struct dla_db_error *err)
{
	for (size_t i = 0; i < o->tests.n; i++) {
		const struct dla_datatest *t = &o->tests.items[i];
		const struct dla_datatest_result *r = &o->results[i];
		struct dla_test_row row;
		enum dla_code code;

		memset(&row, 0, sizeof(row));
		row.run_id = run_id;
		row.node = t->node;
		row.test_name = t->name;
		row.test_kind = dla_datatest_origin_name(t->origin);
		row.severity = t->severity == DLA_TEST_SEV_WARN ? "warn" : "error";
		row.status = dla_datatest_status_name(r->status);
		row.failures = r->failures;
		row.message = r->message;
		row.examples = r->examples;
		row.started_at = r->started_at[0] ? r->started_at : NULL;
		row.finished_at = r->finished_at[0] ? r->finished_at : NULL;
		row.command = command;
		code = dla_meta_test_record(m, &row, err);
		if (code != DLA_OK)
			return code;
	}
	return DLA_OK;
}
