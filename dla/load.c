/*
 * load.c - asks the warehouse what a node's generator needs, and runs a
 * node's statements as one transaction (checks first, cleanup last).
 */
#include "load.h"
#include "alloc.h"
#include "regex.h"
#include "sqlgen.h"
#include "sqlgen_common.h"
#include "regex.h"

#include <string.h>
#include <strings.h>
#include <time.h>

/* ---- test hook (load.h): off unless the orchestrator installs it ------- */

static dla_stmt_hook_fn stmt_hook;
static void *stmt_hook_ctx;

void dla_load_set_stmt_hook(dla_stmt_hook_fn fn, void *ctx)
{
	stmt_hook = fn;
	stmt_hook_ctx = ctx;
}

static void stmt_done(const char *node, const char *label)
{
	if (stmt_hook)
		stmt_hook(stmt_hook_ctx, node, label);
}

static double monotonic_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void dla_node_relation_sql(const struct dla_warehouse *wh, const struct dla_project *p,
			   const struct dla_node *node, struct dla_buf *out)
{
	switch (node->kind) {
	case DLA_NODE_VIEW:
		wh->dialect->view_relation(out, p->views_schema, node->spec.view->name);
		break;
	case DLA_NODE_SOURCE:
		wh->dialect->relation(out, node->spec.source->schema, node->spec.source->name);
		break;
	case DLA_NODE_DIMENSION:
		wh->dialect->relation(out, node->spec.dimension->schema,
				      node->spec.dimension->name);
		break;
	case DLA_NODE_FACT:
		wh->dialect->relation(out, node->spec.fact->schema, node->spec.fact->name);
		break;
	case DLA_NODE_EXPOSURE:
		break;
	}
}

bool dla_node_table(const struct dla_node *node, const char **schema, const char **table)
{
	switch (node->kind) {
	case DLA_NODE_SOURCE:
		*schema = node->spec.source->schema;
		*table = node->spec.source->name;
		return true;
	case DLA_NODE_DIMENSION:
		*schema = node->spec.dimension->schema;
		*table = node->spec.dimension->name;
		return true;
	case DLA_NODE_FACT:
		*schema = node->spec.fact->schema;
		*table = node->spec.fact->name;
		return true;
	case DLA_NODE_VIEW:
	case DLA_NODE_EXPOSURE:
		break;
	}
	*schema = *table = NULL;
	return false;
}

/* ---- asking the database -------------------------------------------- */

struct column_list {
	struct dla_column *items;
	size_t n;
	char **names;     /* owned copies of the names */
};

static void column_list_release(struct column_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		dla_free(l->names[i]);
	dla_free(l->names);
	dla_free(l->items);
	memset(l, 0, sizeof(*l));
}

static bool odbc_character(int sql_type)
{
	switch (sql_type) {
	case DLA_ODBC_CHAR: case DLA_ODBC_VARCHAR: case DLA_ODBC_LONGVARCHAR:
	case DLA_ODBC_WCHAR: case DLA_ODBC_WVARCHAR: case DLA_ODBC_WLONGVARCHAR:
		return true;
	default:
		return false;
	}
}

static enum dla_code describe_source(struct dla_warehouse *wh, const char *relation_sql,
				     struct column_list *out, struct dla_buf *errmsg,
				     struct dla_db_error *dberr)
{
	struct dla_buf q = DLA_BUF_INIT;
	struct dla_db_column *cols = NULL;
	size_t n = 0;
	enum dla_code rc;

	dla_buf_addf(&q, "SELECT * FROM %s WHERE 1 = 0", relation_sql);
	if (dla_buf_failed(&q))
		return DLA_ERR_NOMEM;
	rc = dla_db_describe(wh->db, q.buf, &cols, &n, dberr);
	dla_buf_release(&q);
	if (rc != DLA_OK) {
		dla_buf_addf(errmsg, "cannot describe source %s: %s", relation_sql,
			     dberr ? dberr->message : dla_strerror(rc));
		return rc;
	}
	out->items = dla_calloc(n, sizeof(*out->items));
	out->names = dla_calloc(n, sizeof(*out->names));
	if (!out->items || !out->names) {
		dla_db_columns_free(cols, n);
		return DLA_ERR_NOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		out->names[i] = dla_strdup(cols[i].name);
		if (!out->names[i]) {
			out->n = i;
			dla_db_columns_free(cols, n);
			return DLA_ERR_NOMEM;
		}
		out->items[i].name = out->names[i];
		wh->dialect->from_odbc(&cols[i], &out->items[i].type);
		/* a type dla has no logical type for (uuid, json, interval,
		 * binary ...) is stored as text: its values are converted to
		 * text, so they compare with the stored text (docs/SCD.md) */
		out->items[i].undeclared = out->items[i].type.type == DLA_TYPE_TEXT &&
					   !odbc_character(cols[i].sql_type);
	}
	out->n = n;
	dla_db_columns_free(cols, n);
	return DLA_OK;
}

/* Runs query q (released here) and sets *any to whether it returned a row.
 * On failure errmsg says "cannot read <what>schema.table: <error>". */
static enum dla_code returns_rows(struct dla_warehouse *wh, struct dla_buf *q, bool *any,
				  const char *what, const char *schema, const char *table,
				  struct dla_buf *errmsg, struct dla_db_error *dberr)
{
	struct dla_db_result *res = NULL;
	enum dla_code rc;

	*any = false;
	if (dla_buf_failed(q)) {
		dla_buf_release(q);
		return DLA_ERR_NOMEM;
	}
	rc = dla_db_query(wh->db, q->buf, NULL, 0, &res, dberr);
	dla_buf_release(q);
	if (rc != DLA_OK) {
		dla_buf_addf(errmsg, "cannot read %s%s.%s: %s", what, schema, table,
			     dberr ? dberr->message : dla_strerror(rc));
		return rc;
	}
	*any = res->n_rows > 0;
	dla_db_result_free(res);
	return DLA_OK;
}

/* Whether the planner's statistics of schema.table are stale (dialect
 * stale_stats_query; never where it has none). */
static enum dla_code stats_stale(struct dla_warehouse *wh, const char *schema,
				 const char *table, bool *stale, struct dla_buf *errmsg,
				 struct dla_db_error *dberr)
{
	struct dla_buf q = DLA_BUF_INIT;

	*stale = false;
	if (!wh->dialect->stale_stats_query || !wh->dialect->analyze_table)
		return DLA_OK;
	wh->dialect->stale_stats_query(&q, schema, table);
	return returns_rows(wh, &q, stale, "the statistics of ", schema, table, errmsg, dberr);
}

static bool in_key(const char *column, const char *const *key, size_t n_key)
{
	for (size_t k = 0; column && k < n_key; k++)
		if (!strcasecmp(column, key[k]))
			return true;
	return false;
}

enum dla_code dla_key_enforced_unique(struct dla_db *db, const struct dla_dialect *dialect,
				      const char *schema, const char *table,
				      const char *const *key, size_t n_key, bool *unique,
				      struct dla_db_error *dberr)
{
	struct dla_buf q = DLA_BUF_INIT;
	struct dla_db_result *res = NULL;
	enum dla_code rc;
	size_t first = 0;

	*unique = false;
	if (!dialect->unique_keys_query || n_key == 0)
		return DLA_OK;
	dialect->unique_keys_query(&q, schema, table);
	if (dla_buf_failed(&q))
		return DLA_ERR_NOMEM;
	rc = dla_db_query(db, q.buf, NULL, 0, &res, dberr);
	dla_buf_release(&q);
	if (rc != DLA_OK)
		return rc;
	/* rows come grouped by index: [first, i) is one index */
	for (size_t i = 1; i <= res->n_rows && !*unique; i++) {
		const char *name = dla_db_cell(res, first, 0);
		bool covered = true;

		if (i < res->n_rows && name && dla_db_cell(res, i, 0) &&
		    !strcmp(name, dla_db_cell(res, i, 0)))
			continue;
		for (size_t r = first; r < i; r++)
			covered = covered && in_key(dla_db_cell(res, r, 1), key, n_key);
		*unique = covered;
		first = i;
	}
	dla_db_result_free(res);
	return DLA_OK;
}

static enum dla_code target_columns(struct dla_warehouse *wh, const char *schema,
				    const char *table, struct column_list *out,
				    struct dla_buf *errmsg, struct dla_db_error *dberr)
{
	struct dla_buf q = DLA_BUF_INIT;
	struct dla_db_result *res = NULL;
	enum dla_code rc;

	wh->dialect->columns_query(&q, schema, table);
	if (dla_buf_failed(&q))
		return DLA_ERR_NOMEM;
	rc = dla_db_query(wh->db, q.buf, NULL, 0, &res, dberr);
	dla_buf_release(&q);
	if (rc != DLA_OK) {
		dla_buf_addf(errmsg, "cannot read the columns of %s.%s: %s", schema, table,
			     dberr ? dberr->message : dla_strerror(rc));
		return rc;
	}
	out->items = dla_calloc(res->n_rows, sizeof(*out->items));
	out->names = dla_calloc(res->n_rows, sizeof(*out->names));
	if (!out->items || !out->names) {
		dla_db_result_free(res);
		return DLA_ERR_NOMEM;
	}
	for (size_t i = 0; i < res->n_rows; i++) {
		const char *name = dla_db_cell(res, i, 0);
		const char *type = dla_db_cell(res, i, 1);
		out->names[i] = dla_strdup(name ? name : "");
		if (!out->names[i]) {
			dla_db_result_free(res);
			return DLA_ERR_NOMEM;
		}
		out->n = i + 1;
		out->items[i].name = out->names[i];
		if (!type || !wh->dialect->parse_type(type, &out->items[i].type))
			out->items[i].type = (struct dla_coltype){ DLA_TYPE_TEXT, 0, 0 };
	}
	dla_db_result_free(res);
	return DLA_OK;
}

/* The declared types of the source node's columns where the driver's
 * description is not exact (dialect declared_types_query: SQLite describes
 * every expression column as text).  A declared type replaces the
 * described one; a column without one (an expression in a view, a
 * CREATE TABLE AS column over one, an untyped table column) is marked
 * undeclared and takes the target's type when the target has the column,
 * else the type its values have now (value_type_probe, one read of the
 * source): all integers INTEGER, numbers DECIMAL (unconstrained: SQLite
 * keeps 2 an integer and 1.5 a real there), anything else or no value at
 * all TEXT (docs/SCD.md "Column types"). */
static enum dla_code declared_source_types(struct dla_warehouse *wh,
					   const struct dla_project *p,
					   const struct dla_node *node,
					   const char *relation_sql, struct column_list *src,
					   const struct column_list *tgt, struct dla_buf *errmsg,
					   struct dla_db_error *dberr)
{
	const struct dla_dialect *d = wh->dialect;
	struct dla_buf q = DLA_BUF_INIT;
	struct dla_db_result *res = NULL;
	const char *schema = NULL, *table = node->name;
	size_t n_probe = 0;
	enum dla_code rc;

	if (!d->declared_types_query || src->n == 0)
		return DLA_OK;
	if (!dla_node_table(node, &schema, &table))
		table = node->name;
	d->declared_types_query(&q, schema, table, p->views_schema);
	if (dla_buf_failed(&q))
		return DLA_ERR_NOMEM;
	rc = dla_db_query(wh->db, q.buf, NULL, 0, &res, dberr);
	dla_buf_release(&q);
	if (rc != DLA_OK) {
		dla_buf_addf(errmsg, "cannot read the declared column types of %s: %s",
			     relation_sql, dberr ? dberr->message : dla_strerror(rc));
		return rc;
	}
	for (size_t i = 0; i < src->n; i++) {
		struct dla_column *c = &src->items[i];
		const struct dla_column *have;
		const char *declared = NULL;

		for (size_t r = 0; r < res->n_rows && !declared; r++)
			if (dla_db_cell(res, r, 0) && !strcasecmp(dla_db_cell(res, r, 0), c->name))
				declared = dla_db_cell(res, r, 1) ? dla_db_cell(res, r, 1) : "";
		if (!declared)
			continue;   /* keep the driver's description */
		if (*declared) {
			struct dla_coltype t;
			/* a type dla has no logical type for is stored as text */
			c->undeclared = !d->parse_type(declared, &t);
			if (t.type == DLA_TYPE_TEXT)
				t.precision = 0;   /* as from_odbc: text of any length
						      (the unknown member's 'Unknown'
						      fits a varchar(5) key's table) */
			c->type = t;
			continue;
		}
		c->undeclared = true;
		have = dla_sqlgen_find_column(tgt->items, tgt->n, c->name);
		if (have) {
			c->type = have->type;
			continue;
		}
		if (!dla_ident_valid(c->name) || !d->value_type_probe)
			continue;   /* refused by the generator / stays text */
		dla_buf_adds(&q, n_probe++ ? ", " : "SELECT ");
		d->value_type_probe(&q, c->name);
	}
	dla_db_result_free(res);
	if (n_probe == 0)
		return DLA_OK;
	dla_buf_addf(&q, " FROM %s", relation_sql);
	if (dla_buf_failed(&q))
		return DLA_ERR_NOMEM;
	rc = dla_db_query(wh->db, q.buf, NULL, 0, &res, dberr);
	dla_buf_release(&q);
	if (rc != DLA_OK) {
		dla_buf_addf(errmsg, "cannot read the kinds of values of %s: %s", relation_sql,
			     dberr ? dberr->message : dla_strerror(rc));
		return rc;
	}
	for (size_t i = 0, k = 0; i < src->n && res->n_rows == 1; i++) {
		struct dla_column *c = &src->items[i];
		const char *kind;

		if (!c->undeclared || !dla_ident_valid(c->name) ||
		    dla_sqlgen_find_column(tgt->items, tgt->n, c->name))
			continue;
		kind = dla_db_cell(res, 0, k++);
		c->type = (struct dla_coltype){ DLA_TYPE_TEXT, 0, 0 };
		if (kind && !strcmp(kind, "1"))
			c->type.type = DLA_TYPE_INTEGER;
		else if (kind && !strcmp(kind, "2"))
			c->type.type = DLA_TYPE_DECIMAL;   /* keeps 2 as 2, 1.5 as 1.5 */
	}
	dla_db_result_free(res);
	return DLA_OK;
}

/* True when some fact looks dim up with on_missing: infer. */
static bool dimension_inferred(const struct dla_project *p, const char *dim)
{
	for (size_t i = 0; i < p->n_facts; i++)
		for (size_t j = 0; j < p->facts[i].n_lookups; j++)
			if (p->facts[i].lookups[j].on_missing == DLA_MISSING_INFER &&
			    strcasecmp(p->facts[i].lookups[j].dimension, dim) == 0)
				return true;
	return false;
}

static void add_query_tag(struct dla_warehouse *wh, const struct dla_node_work *w,
			  struct dla_stmts *out)
{
	struct dla_buf tag = DLA_BUF_INIT, b = DLA_BUF_INIT;

	dla_buf_addf(&tag, "dla:%s:%s", w->run_id, w->dag->nodes[w->node].name);
	wh->dialect->set_query_tag(&b, tag.buf);
	dla_stmts_add(out, DLA_STMT_SESSION, DLA_COUNT_NONE, "query tag", &b, NULL);
	dla_buf_release(&tag);
}

/* Whether in's source table has an enforced unique index that makes dim's
 * business key unique (views: never). */
static enum dla_code source_key_unique(struct dla_warehouse *wh,
				       const struct dla_dimension *dim,
				       struct dla_load_input *in, struct dla_buf *errmsg,
				       struct dla_db_error *dberr)
{
	enum dla_code rc;

	in->source_key_unique = false;
	if (!in->source_table)
		return DLA_OK;
	rc = dla_key_enforced_unique(wh->db, wh->dialect, in->source_schema, in->source_table,
				     dim->business_key.items, dim->business_key.n,
				     &in->source_key_unique, dberr);
	if (rc != DLA_OK)
		dla_buf_addf(errmsg, "cannot read the unique indexes of %s.%s: %s",
			     in->source_schema, in->source_table,
			     dberr ? dberr->message : dla_strerror(rc));
	return rc;
}

/* The planner statistics of the load's tables: the existing target's and,
 * when in->source_table is set, the source's (stats_stale). */
static enum dla_code load_stats_stale(struct dla_warehouse *wh, const char *schema,
				      const char *table, bool target_exists,
				      struct dla_load_input *in, struct dla_buf *errmsg,
				      struct dla_db_error *dberr)
{
	enum dla_code rc = DLA_OK;

	if (target_exists)
		rc = stats_stale(wh, schema, table, &in->target_stats_stale, errmsg, dberr);
	if (rc == DLA_OK && in->source_table)
		rc = stats_stale(wh, in->source_schema, in->source_table,
				 &in->source_stats_stale, errmsg, dberr);
	return rc;
}

static enum dla_code prepare_dimension(struct dla_warehouse *wh,
				       const struct dla_node_work *w,
				       const struct dla_dimension *dim,
				       struct dla_stmts *out, struct dla_buf *errmsg,
				       struct dla_db_error *dberr)
{
	const struct dla_dag *dag = w->dag;
	struct column_list src = { 0 }, tgt = { 0 };
	struct dla_buf source_sql = DLA_BUF_INIT;
	struct dla_load_input in;
	size_t src_node = dla_dag_find(dag, dim->source);
	enum dla_code rc;

	if (src_node == (size_t)-1) {
		dla_buf_addf(errmsg, "unknown source '%s'", dim->source);
		return DLA_ERR_INVALID;
	}
	dla_node_relation_sql(wh, w->project, &dag->nodes[src_node], &source_sql);
	rc = describe_source(wh, source_sql.buf, &src, errmsg, dberr);
	if (rc == DLA_OK)
		rc = target_columns(wh, dim->schema, dim->name, &tgt, errmsg, dberr);
	if (rc == DLA_OK)
		rc = declared_source_types(wh, w->project, &dag->nodes[src_node], source_sql.buf,
					   &src, &tgt, errmsg, dberr);
	if (rc == DLA_OK) {
		memset(&in, 0, sizeof(in));
		in.project = w->project;
		in.dialect = wh->dialect;
		in.node = dim->name;
		in.run_id = w->run_id;
		in.as_of = w->as_of;
		in.source_sql = source_sql.buf;
		(void)dla_node_table(&dag->nodes[src_node], &in.source_schema, &in.source_table);
		rc = source_key_unique(wh, dim, &in, errmsg, dberr);
	}
	if (rc == DLA_OK)
		rc = load_stats_stale(wh, dim->schema, dim->name, tgt.n > 0, &in, errmsg, dberr);
	if (rc == DLA_OK) {
		in.source_cols = src.items;
		in.n_source_cols = src.n;
		in.target_exists = tgt.n > 0;
		in.target_cols = tgt.items;
		in.n_target_cols = tgt.n;
		in.with_inferred = dimension_inferred(w->project, dim->name);
		add_query_tag(wh, w, out);
		rc = dla_sqlgen_dimension(&in, dim, out, errmsg);
	}
	column_list_release(&src);
	column_list_release(&tgt);
	dla_buf_release(&source_sql);
	return rc;
}

/* The columns of the dimension table each lookup of fact reads. */
struct lookup_columns {
	struct dla_fact_lookup_input *items;
	struct column_list *cols;
	size_t n;
};

static void lookup_columns_release(struct lookup_columns *lc)
{
	for (size_t i = 0; i < lc->n; i++)
		column_list_release(&lc->cols[i]);
	dla_free(lc->cols);
	dla_free(lc->items);
	memset(lc, 0, sizeof(*lc));
}

static enum dla_code read_lookup_columns(struct dla_warehouse *wh, const struct dla_dag *dag,
					 const struct dla_fact *fact,
					 struct lookup_columns *lc, struct dla_buf *errmsg,
					 struct dla_db_error *dberr)
{
	lc->items = dla_calloc(fact->n_lookups + 1, sizeof(*lc->items));
	lc->cols = dla_calloc(fact->n_lookups + 1, sizeof(*lc->cols));
	if (!lc->items || !lc->cols)
		return DLA_ERR_NOMEM;
	for (size_t i = 0; i < fact->n_lookups; i++) {
		const struct dla_lookup *l = &fact->lookups[i];
		const struct dla_dimension *dim = dla_dag_lookup_dimension(dag, l);
		enum dla_code rc;

		lc->n = i + 1;
		lc->items[i].dim = dim;
		lc->items[i].key = dla_dag_lookup_key(dag, l);
		if (!dim)
			continue;   /* the generator reports it */
		rc = target_columns(wh, dim->schema, dim->name, &lc->cols[i], errmsg, dberr);
		if (rc != DLA_OK)
			return rc;
		lc->items[i].dim_cols = lc->cols[i].items;
		lc->items[i].n_dim_cols = lc->cols[i].n;
	}
	return DLA_OK;
}

/* On an engine whose DDL commits (dialect ddl_commits), a fact load that
 * failed after adding a lookup's key column left the column in the table,
 * NULL in the rows it had: such a key must still be filled (sqlgen.h
 * key_unfilled).  Elsewhere the ADD COLUMN rolls back with the load and an
 * absent column says it all, so nothing is read. */
static enum dla_code read_unfilled_keys(struct dla_warehouse *wh, const struct dla_fact *fact,
					const struct column_list *tgt,
					struct lookup_columns *lc, struct dla_buf *errmsg,
					struct dla_db_error *dberr)
{
	enum dla_code rc = DLA_OK;

	if (!wh->dialect->ddl_commits)
		return DLA_OK;
	for (size_t i = 0; i < lc->n && rc == DLA_OK; i++) {
		const char *key = lc->items[i].key;
		struct dla_buf q = DLA_BUF_INIT;
		bool in_table = false;

		for (size_t c = 0; key && c < tgt->n && !in_table; c++)
			in_table = strcasecmp(tgt->items[c].name, key) == 0;
		if (!in_table || !dla_ident_valid(key))
			continue;   /* new (or invalid: the generator says so) */
		dla_buf_adds(&q, "SELECT 1 FROM ");
		wh->dialect->relation(&q, fact->schema, fact->name);
		dla_buf_addf(&q, " WHERE %s IS NULL LIMIT 1", key);
		rc = returns_rows(wh, &q, &lc->items[i].key_unfilled, "the lookup keys of ",
				  fact->schema, fact->name, errmsg, dberr);
	}
	return rc;
}

/* Whether the fact table has a row: the generator offers a load without a
 * stage for an empty target (sqlgen_fact.c).  Read before the node's
 * transaction; a row another session adds meanwhile makes the insert fail
 * on the primary key (nothing is written), never load twice. */
static enum dla_code target_has_rows(struct dla_warehouse *wh, const struct dla_fact *fact,
				     bool *has_rows, struct dla_buf *errmsg,
				     struct dla_db_error *dberr)
{
	struct dla_buf q = DLA_BUF_INIT;

	dla_buf_adds(&q, "SELECT 1 FROM ");
	wh->dialect->relation(&q, fact->schema, fact->name);
	dla_buf_adds(&q, " LIMIT 1");
	return returns_rows(wh, &q, has_rows, "", fact->schema, fact->name, errmsg, dberr);
}

static enum dla_code prepare_fact(struct dla_warehouse *wh, const struct dla_node_work *w,
				  const struct dla_fact *fact, struct dla_stmts *out,
				  struct dla_buf *errmsg, struct dla_db_error *dberr)
{
	const struct dla_dag *dag = w->dag;
	struct column_list src = { 0 }, tgt = { 0 };
	struct lookup_columns lc = { 0 };
	struct dla_buf source_sql = DLA_BUF_INIT;
	struct dla_load_input in;
	size_t src_node = dla_dag_find(dag, fact->source);
	enum dla_code rc;

	if (src_node == (size_t)-1) {
		dla_buf_addf(errmsg, "unknown source '%s'", fact->source);
		return DLA_ERR_INVALID;
	}
	dla_node_relation_sql(wh, w->project, &dag->nodes[src_node], &source_sql);
	rc = describe_source(wh, source_sql.buf, &src, errmsg, dberr);
	if (rc == DLA_OK)
		rc = target_columns(wh, fact->schema, fact->name, &tgt, errmsg, dberr);
	if (rc == DLA_OK)
		rc = declared_source_types(wh, w->project, &dag->nodes[src_node], source_sql.buf,
					   &src, &tgt, errmsg, dberr);
	if (rc == DLA_OK)
		rc = read_lookup_columns(wh, dag, fact, &lc, errmsg, dberr);
	if (rc == DLA_OK)
		rc = read_unfilled_keys(wh, fact, &tgt, &lc, errmsg, dberr);
	memset(&in, 0, sizeof(in));
	(void)dla_node_table(&dag->nodes[src_node], &in.source_schema, &in.source_table);
	if (rc == DLA_OK)
		rc = load_stats_stale(wh, fact->schema, fact->name, tgt.n > 0, &in, errmsg, dberr);
	if (rc == DLA_OK) {
		in.project = w->project;
		in.dialect = wh->dialect;
		in.node = fact->name;
		in.run_id = w->run_id;
		in.as_of = w->as_of;
		in.source_sql = source_sql.buf;
		in.source_cols = src.items;
		in.n_source_cols = src.n;
		in.target_exists = tgt.n > 0;
		in.target_cols = tgt.items;
		in.n_target_cols = tgt.n;
		in.full_refresh = w->full_refresh;
		in.lookups = lc.items;
		in.n_lookups = fact->n_lookups;
		add_query_tag(wh, w, out);
		rc = dla_sqlgen_fact(&in, fact, out, errmsg);
	}
	if (rc == DLA_OK && dla_stmts_conditional(out)) {
		bool has_rows = false;
		rc = target_has_rows(wh, fact, &has_rows, errmsg, dberr);
		if (rc == DLA_OK)
			dla_stmts_choose(out, has_rows);
	}
	lookup_columns_release(&lc);
	column_list_release(&src);
	column_list_release(&tgt);
	dla_buf_release(&source_sql);
	return rc;
}

/* A view node: (drop,) create or replace, then read it once. */
static void view_statements(struct dla_warehouse *wh, const struct dla_node_work *w,
			    const struct dla_view *view, bool drop_first,
			    struct dla_stmts *out)
{
	struct dla_buf b = DLA_BUF_INIT;

	add_query_tag(wh, w, out);
	if (drop_first) {
		wh->dialect->drop_view(&b, w->project->views_schema, view->name);
		dla_stmts_add(out, DLA_STMT_DDL, DLA_COUNT_NONE, "drop view", &b, NULL);
	}
	wh->dialect->create_view(&b, w->project->views_schema, view->name, view->sql);
	dla_stmts_add(out, DLA_STMT_DDL, DLA_COUNT_NONE, "create view", &b, NULL);
	/* engines that resolve a view's columns only when it is read (SQLite)
	 * would accept a broken view: read it once, so the node fails here */
	dla_buf_adds(&b, "SELECT * FROM ");
	wh->dialect->view_relation(&b, w->project->views_schema, view->name);
	dla_buf_adds(&b, " WHERE 1 = 0");
	dla_stmts_add(out, DLA_STMT_CHECK, DLA_COUNT_NONE, "view compiles", &b,
		      "view returned rows for WHERE 1 = 0");
}

enum dla_code dla_node_prepare(struct dla_warehouse *wh, const struct dla_node_work *w,
			       struct dla_stmts *out, struct dla_buf *errmsg,
			       struct dla_db_error *dberr)
{
	const struct dla_node *node = &w->dag->nodes[w->node];

	switch (node->kind) {
	case DLA_NODE_VIEW:
		/* per-connection views already exist on this connection */
		view_statements(wh, w, node->spec.view, wh->dialect->views_per_connection, out);
		break;
	case DLA_NODE_DIMENSION:
		return prepare_dimension(wh, w, node->spec.dimension, out, errmsg, dberr);
	case DLA_NODE_FACT:
		return prepare_fact(wh, w, node->spec.fact, out, errmsg, dberr);
	case DLA_NODE_SOURCE:
	case DLA_NODE_EXPOSURE:
		break;
	}
	return dla_stmts_failed(out) ? DLA_ERR_NOMEM : DLA_OK;
}

/* ---- executing ---------------------------------------------------------- */

/* "message: (customer_id=3, dla_rows=2), (customer_id=7, dla_rows=2)" */
static void describe_check_rows(struct dla_buf *errmsg, const char *message,
				const struct dla_db_result *res)
{
	dla_buf_adds(errmsg, message);
	dla_buf_adds(errmsg, ":");
	for (size_t r = 0; r < res->n_rows && r < 5; r++) {
		dla_buf_adds(errmsg, r ? ", (" : " (");
		for (size_t c = 0; c < res->n_cols; c++) {
			const char *v = dla_db_cell(res, r, c);
			dla_buf_addf(errmsg, "%s%s=%s", c ? ", " : "", res->col_names[c],
				     v ? v : "NULL");
		}
		dla_buf_addch(errmsg, ')');
	}
}

static void run_cleanup(struct dla_warehouse *wh, const struct dla_stmts *stmts,
			const char *node)
{
	for (size_t i = 0; i < stmts->n; i++)
		if (stmts->items[i].kind == DLA_STMT_CLEANUP) {
			(void)dla_db_exec(wh->db, stmts->items[i].sql, NULL, 0, NULL, NULL);
			stmt_done(node, stmts->items[i].label);
		}
}

static long *counter_of(struct dla_node_counts *c, enum dla_counter which)
{
	switch (which) {
	case DLA_COUNT_INSERTED: return &c->inserted;
	case DLA_COUNT_UPDATED: return &c->updated;
	case DLA_COUNT_EXPIRED: return &c->expired;
	case DLA_COUNT_DELETED: return &c->deleted;
	case DLA_COUNT_INFERRED: return &c->inferred;
	case DLA_COUNT_NONE: break;
	}
	return NULL;
}

/* dla_node_execute; *failed_kind receives the kind of the statement that
 * failed (DLA_STMT_CLEANUP when none did). */
static enum dla_code execute_list(struct dla_warehouse *wh, const struct dla_stmts *stmts,
				  const char *node, struct dla_node_counts *counts,
				  double *db_seconds, struct dla_buf *errmsg,
				  struct dla_db_error *dberr, enum dla_stmt_kind *failed_kind);

enum dla_code dla_node_execute(struct dla_warehouse *wh, const struct dla_stmts *stmts,
			       struct dla_node_counts *counts, double *db_seconds,
			       struct dla_buf *errmsg, struct dla_db_error *dberr)
{
	enum dla_stmt_kind failed_kind;

	return execute_list(wh, stmts, NULL, counts, db_seconds, errmsg, dberr, &failed_kind);
}

/*
 * After a failure at statement failed_at, rolled back: the CHECK_ON_FAILURE
 * statements before it, in order.  The first returning rows replaces the
 * failure (errmsg from errmsg_len on, *dberr cleared as a failed CHECK
 * leaves it) and makes it DLA_ERR_DATA; else rc stands.  Their own errors
 * are ignored: the failure stands.
 */
static enum dla_code run_failure_checks(struct dla_warehouse *wh,
					const struct dla_stmts *stmts, size_t failed_at,
					enum dla_code rc, struct dla_buf *errmsg,
					size_t errmsg_len, struct dla_db_error *dberr)
{
	if (rc != DLA_ERR_DB && rc != DLA_ERR_DATA)
		return rc;    /* a dead connection, no memory: nothing to ask */
	for (size_t i = 0; i < failed_at && i < stmts->n; i++) {
		const struct dla_stmt *st = &stmts->items[i];
		struct dla_db_result *res = NULL;
		struct dla_db_error scratch;
		enum dla_code qrc;
		bool found;

		if (st->kind != DLA_STMT_CHECK_ON_FAILURE)
			continue;
		qrc = dla_db_query(wh->db, st->sql, NULL, 0, &res, &scratch);

		if (qrc != DLA_OK) {
			dla_db_result_free(res);
			if (qrc == DLA_ERR_CONN_DEAD)
				break;
			continue;
		}
		found = res->n_rows > 0;
		if (found) {
			dla_buf_truncate(errmsg, errmsg_len);
			describe_check_rows(errmsg, st->message ? st->message : st->label, res);
			if (dberr)
				memset(dberr, 0, sizeof(*dberr));
		}
		dla_db_result_free(res);
		if (found)
			return DLA_ERR_DATA;
	}
	return rc;
}

static enum dla_code execute_list(struct dla_warehouse *wh, const struct dla_stmts *stmts,
				  const char *node, struct dla_node_counts *counts,
				  double *db_seconds, struct dla_buf *errmsg,
				  struct dla_db_error *dberr, enum dla_stmt_kind *failed_kind)
{
	struct dla_node_counts local = { 0 };
	double started = monotonic_seconds();
	enum dla_code rc = DLA_OK;
	size_t errmsg_len = errmsg->len, failed_at = stmts->n;
	size_t i;

	*failed_kind = DLA_STMT_CLEANUP;
	rc = dla_db_begin(wh->db, dberr);
	if (rc != DLA_OK) {
		dla_buf_addf(errmsg, "cannot start a transaction: %s",
			     dberr ? dberr->message : dla_strerror(rc));
		goto out;
	}
	for (i = 0; i < stmts->n && rc == DLA_OK; i++) {
		const struct dla_stmt *st = &stmts->items[i];
		long rows = -1;

		if (st->kind == DLA_STMT_CLEANUP || st->kind == DLA_STMT_CHECK_ON_FAILURE)
			continue;
		if (st->kind == DLA_STMT_CHECK) {
			struct dla_db_result *res = NULL;
			rc = dla_db_query(wh->db, st->sql, NULL, 0, &res, dberr);
			if (rc == DLA_OK && res->n_rows > 0) {
				describe_check_rows(errmsg, st->message ? st->message
								   : st->label, res);
				rc = DLA_ERR_DATA;
			} else if (rc != DLA_OK) {
				dla_buf_addf(errmsg, "%s failed: %s", st->label,
					     dberr ? dberr->message : dla_strerror(rc));
			}
			dla_db_result_free(res);
			if (rc != DLA_OK) {
				*failed_kind = st->kind;
				failed_at = i;
			} else {
				stmt_done(node, st->label);
			}
			continue;
		}
		rc = dla_db_exec(wh->db, st->sql, NULL, 0, &rows, dberr);
		if (rc != DLA_OK) {
			*failed_kind = st->kind;
			failed_at = i;
			dla_buf_addf(errmsg, "%s failed: %s", st->label,
				     dberr ? dberr->message : dla_strerror(rc));
			break;
		}
		stmt_done(node, st->label);
		if (st->kind == DLA_STMT_DML && rows > 0) {
			long *counter = counter_of(&local, st->counts);
			if (counter)
				*counter += rows;
		}
	}
	if (rc == DLA_OK) {
		rc = dla_db_commit(wh->db, dberr);
		if (rc != DLA_OK)
			dla_buf_addf(errmsg, "commit failed: %s",
				     dberr ? dberr->message : dla_strerror(rc));
		else
			stmt_done(node, "commit");
	}
	if (rc != DLA_OK) {
		(void)dla_db_rollback(wh->db, NULL);
		rc = run_failure_checks(wh, stmts, failed_at, rc, errmsg, errmsg_len,
					 dberr);
	}
	if (rc != DLA_ERR_CONN_DEAD)
		run_cleanup(wh, stmts, node);
	if (rc == DLA_OK) {
		counts->inserted += local.inserted;
		counts->updated += local.updated;
		counts->expired += local.expired;
		counts->deleted += local.deleted;
		counts->inferred += local.inferred;
	}
out:
	if (db_seconds)
		*db_seconds = monotonic_seconds() - started;
	return rc;
}

enum dla_code dla_views_attach(struct dla_warehouse *wh, const struct dla_project *p,
			       const struct dla_dag *dag, const bool *skip)
{
	struct dla_buf path = DLA_BUF_INIT;
	enum dla_code rc = DLA_OK;
	bool in_tx;

	wh->dialect->view_search_path(&path, p->views_schema);
	if (dla_buf_failed(&path))
		return DLA_ERR_NOMEM;
	if (path.len) {
		rc = dla_db_exec(wh->db, path.buf, NULL, 0, NULL, NULL);
		dla_buf_release(&path);
		if (rc != DLA_OK)
			return rc;
	}
	if (!wh->dialect->views_per_connection)
		return DLA_OK;
	/* A new connection has no per-connection view: no DROP first.  One
	 * transaction for all of them, so SQLite commits its temp schema once,
	 * not once per view; a failed CREATE fails that statement only. */
	in_tx = dla_db_begin(wh->db, NULL) == DLA_OK;
	for (size_t i = 0; i < dag->n && rc == DLA_OK; i++) {
		const struct dla_node *node = &dag->nodes[dag->order[i]];
		struct dla_buf b = DLA_BUF_INIT;

		if (node->kind != DLA_NODE_VIEW || (skip && skip[dag->order[i]]))
			continue;
		wh->dialect->create_view(&b, p->views_schema, node->spec.view->name,
					 node->spec.view->sql);
		if (dla_buf_failed(&b))
			rc = DLA_ERR_NOMEM;
		else
			(void)dla_db_exec(wh->db, b.buf, NULL, 0, NULL, NULL);
		dla_buf_release(&b);
	}
	if (in_tx && dla_db_commit(wh->db, NULL) != DLA_OK)
		(void)dla_db_rollback(wh->db, NULL);
	return rc;
}

static enum dla_code rerun_view_dropping_first(struct dla_warehouse *wh,
					       const struct dla_node_work *w,
					       struct dla_node_counts *counts,
					       double *db_seconds, struct dla_buf *errmsg,
					       struct dla_db_error *dberr)
{
	const struct dla_view *view = w->dag->nodes[w->node].spec.view;
	struct dla_stmts stmts = DLA_STMTS_INIT;
	struct dla_buf second = DLA_BUF_INIT;
	double more = 0;
	enum dla_stmt_kind failed_kind;
	enum dla_code rc;

	view_statements(wh, w, view, true, &stmts);
	if (dla_stmts_failed(&stmts)) {
		dla_stmts_release(&stmts);
		return DLA_ERR_NOMEM;
	}
	rc = execute_list(wh, &stmts, w->dag->nodes[w->node].name, counts, &more, &second,
			  dberr, &failed_kind);
	*db_seconds += more;
	if (rc == DLA_OK)
		dla_buf_reset(errmsg);
	else
		dla_buf_addf(errmsg, "; drop and create also failed: %s", second.buf);
	dla_buf_release(&second);
	dla_stmts_release(&stmts);
	return rc;
}

enum dla_code dla_node_run(struct dla_warehouse *wh, const struct dla_node_work *w,
			   struct dla_node_counts *counts, double *db_seconds,
			   struct dla_buf *errmsg, struct dla_db_error *dberr)
{
	struct dla_stmts stmts = DLA_STMTS_INIT;
	double seconds = 0;
	enum dla_code rc;

	enum dla_stmt_kind failed_kind = DLA_STMT_CLEANUP;

	rc = dla_node_prepare(wh, w, &stmts, errmsg, dberr);
	if (rc == DLA_OK)
		rc = execute_list(wh, &stmts, w->dag->nodes[w->node].name, counts, &seconds,
				  errmsg, dberr, &failed_kind);
	/* only a refused CREATE OR REPLACE is worth a drop + create */
	if (rc == DLA_ERR_DB && failed_kind == DLA_STMT_DDL &&
	    w->dag->nodes[w->node].kind == DLA_NODE_VIEW)
		rc = rerun_view_dropping_first(wh, w, counts, &seconds, errmsg, dberr);
	dla_stmts_release(&stmts);
	if (db_seconds)
		*db_seconds = seconds;
	return rc;
}
