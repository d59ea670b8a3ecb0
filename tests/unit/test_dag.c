/* test_dag.c - DAG building: nodes, edges of every kind, write sets,
 * reference errors, cycles, levelled order, large graphs and allocation
 * failures (dag.h).
 * Projects are built by hand (no YAML loader) with the helpers below. */
#include "test_util.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "arena.h"
#include "buf.h"
#include "dag.h"
#include "diag.h"
#include "project.h"

#define CAP 64
#define NONE ((size_t)-1)

/* ---- hand-built projects --------------------------------------------- */

static struct dla_project *project_new(size_t cap)
{
	struct dla_project *p = calloc(1, sizeof(*p));
	struct dla_arena *a;

	assert_non_null(p);
	a = &p->arena;
	dla_arena_init(a);
	p->name = "test";
	p->views_schema = "dla_views";
	p->metadata_schema = "dla_meta";
	p->sources = dla_arena_calloc(a, cap, sizeof(*p->sources));
	p->views = dla_arena_calloc(a, cap, sizeof(*p->views));
	p->dimensions = dla_arena_calloc(a, CAP, sizeof(*p->dimensions));
	p->facts = dla_arena_calloc(a, CAP, sizeof(*p->facts));
	p->exposures = dla_arena_calloc(a, CAP, sizeof(*p->exposures));
	assert_true(p->sources && p->views && p->dimensions && p->facts && p->exposures);
	return p;
}

static void project_free(struct dla_project *p)
{
	dla_arena_release(&p->arena);
	free(p);
}

static char *astr(struct dla_project *p, const char *s)
{
	char *copy = dla_arena_strdup(&p->arena, s);
	assert_non_null(copy);
	return copy;
}

static struct dla_loc at(const char *file, int line, int col)
{
	struct dla_loc loc = { file, line, col };
	return loc;
}

/* Appends name to list, at file:line:col. */
static void add_name(struct dla_project *p, struct dla_names *list,
		     const char *name, struct dla_loc loc)
{
	const char **items = dla_arena_calloc(&p->arena, list->n + 1, sizeof(*items));
	struct dla_loc *locs = dla_arena_calloc(&p->arena, list->n + 1, sizeof(*locs));

	assert_true(items && locs);
	if (list->n) {
		memcpy(items, list->items, list->n * sizeof(*items));
		memcpy(locs, list->locs, list->n * sizeof(*locs));
	}
	items[list->n] = astr(p, name);
	locs[list->n] = loc;
	list->items = items;
	list->locs = locs;
	list->n++;
}

/* "a,b,c" -> list, entry i at file:(line + i):col. */
static void set_names(struct dla_project *p, struct dla_names *list,
		      const char *csv, struct dla_loc loc)
{
	char buf[256];
	char *save = NULL, *tok;

	snprintf(buf, sizeof(buf), "%s", csv);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		add_name(p, list, tok, loc);
		loc.line++;
	}
}

/* Source schema.name declared in models/sources.yml at line 2 + 3 * i. */
static struct dla_source *add_source(struct dla_project *p, const char *schema,
				     const char *name)
{
	struct dla_source *s = &p->sources[p->n_sources++];

	s->schema = astr(p, schema);
	s->name = astr(p, name);
	s->relation = dla_arena_printf(&p->arena, "%s.%s", schema, name);
	s->loc = at("models/sources.yml", 2 + 3 * (int)(p->n_sources - 1), 13);
	return s;
}

/* View views/<name>.sql reading each ref ("schema.name" or "name", NULL
 * terminated); ref i is at line i + 2, col 6. */
static struct dla_view *add_view(struct dla_project *p, const char *name, ...)
{
	struct dla_view *v = &p->views[p->n_views++];
	const char *refs[32];
	size_t n = 0;
	va_list ap;

	va_start(ap, name);
	for (const char *r = va_arg(ap, const char *); r; r = va_arg(ap, const char *))
		refs[n++] = r;
	va_end(ap);
	v->name = astr(p, name);
	v->path = dla_arena_printf(&p->arena, "views/%s.sql", name);
	v->sql = "select 1";
	v->sql_len = 8;
	v->loc = at(v->path, 1, 1);
	v->refs = dla_arena_calloc(&p->arena, n + 1, sizeof(*v->refs));
	v->n_refs = n;
	for (size_t i = 0; i < n; i++) {
		const char *dot = strchr(refs[i], '.');
		if (dot) {
			v->refs[i].schema = dla_arena_strndup(&p->arena, refs[i],
							      (size_t)(dot - refs[i]));
			v->refs[i].name = astr(p, dot + 1);
		} else {
			v->refs[i].name = astr(p, refs[i]);
		}
		v->refs[i].line = (int)i + 2;
		v->refs[i].col = 6;
	}
	return v;
}

/* Dimension in models/<name>.yml: `dimension:` at 1:12, `source:` at 3:9,
 * business key csv; schema presentation. */
static struct dla_dimension *add_dim(struct dla_project *p, const char *name,
				     const char *source, const char *bk)
{
	struct dla_dimension *d = &p->dimensions[p->n_dimensions++];
	const char *file = dla_arena_printf(&p->arena, "models/%s.yml", name);

	d->name = astr(p, name);
	d->schema = "presentation";
	d->source = source ? astr(p, source) : NULL;
	d->source_loc = at(file, 3, 9);
	set_names(p, &d->business_key, bk, at(file, 4, 16));
	d->surrogate_key = dla_arena_printf(&p->arena, "%s_sk",
					    strncmp(name, "dim_", 4) ? name : name + 4);
	d->scd = DLA_SCD_1;
	d->unknown_member = true;
	d->loc = at(file, 1, 12);
	return d;
}

/* Fact in models/<name>.yml: `fact:` at 1:7, `source:` at 3:9. */
static struct dla_fact *add_fact(struct dla_project *p, const char *name,
				 const char *source)
{
	struct dla_fact *f = &p->facts[p->n_facts++];
	const char *file = dla_arena_printf(&p->arena, "models/%s.yml", name);

	f->name = astr(p, name);
	f->schema = "presentation";
	f->source = source ? astr(p, source) : NULL;
	f->source_loc = at(file, 3, 9);
	f->load = DLA_LOAD_MERGE;
	f->lookups = dla_arena_calloc(&p->arena, 8, sizeof(*f->lookups));
	f->loc = at(file, 1, 7);
	return f;
}

/* Lookup i of fact f: `dimension:` at line 10 + 4 * i, col 18; on is
 * "fact_col:dim_col,..." */
static struct dla_lookup *add_lookup(struct dla_project *p, struct dla_fact *f,
				     const char *dim, const char *on)
{
	struct dla_lookup *l = &f->lookups[f->n_lookups++];
	char buf[256];
	char *save = NULL, *tok;

	l->dimension = astr(p, dim);
	l->loc = at(f->loc.file, 10 + 4 * (int)(f->n_lookups - 1), 18);
	l->on = dla_arena_calloc(&p->arena, 8, sizeof(*l->on));
	snprintf(buf, sizeof(buf), "%s", on);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(tok, ':');
		assert_non_null(colon);
		*colon = '\0';
		l->on[l->n_on].fact_column = astr(p, tok);
		l->on[l->n_on].dim_column = astr(p, colon + 1);
		l->on[l->n_on].loc = l->loc;
		l->n_on++;
	}
	return l;
}

/* Exposure in models/exposures.yml at line 2 + 10 * i; depends_on csv from
 * the line after it, col 19. */
static struct dla_exposure *add_exposure(struct dla_project *p, const char *name,
					 const char *depends_on)
{
	struct dla_exposure *e = &p->exposures[p->n_exposures++];
	int line = 2 + 10 * (int)(p->n_exposures - 1);

	e->name = astr(p, name);
	e->type = DLA_EXPOSURE_TABLEAU_WORKBOOK;
	e->loc = at("models/exposures.yml", line, 13);
	set_names(p, &e->depends_on, depends_on, at("models/exposures.yml", line + 5, 19));
	return e;
}

/* ---- assertions ------------------------------------------------------- */

static size_t node(const struct dla_dag *dag, const char *name)
{
	size_t idx = dla_dag_find(dag, name);
	if (idx == NONE)
		fail_msg("no node '%s'", name);
	return idx;
}

/* "a b c" from a list of node indices. */
static const char *names_str(const struct dla_dag *dag, const size_t *list, size_t n)
{
	static char out[4096];
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%s",
					i ? " " : "", dag->nodes[list[i]].name);
	return out;
}

static const char *deps_of(const struct dla_dag *dag, const char *name)
{
	const struct dla_node *n = &dag->nodes[node(dag, name)];
	return names_str(dag, n->deps, n->n_deps);
}

static const char *dependents_of(const struct dla_dag *dag, const char *name)
{
	const struct dla_node *n = &dag->nodes[node(dag, name)];
	return names_str(dag, n->dependents, n->n_dependents);
}

/* "name:level ..." in dag->order. */
static const char *order_str(const struct dla_dag *dag)
{
	static char out[4096];
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; i < dag->n; i++)
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%s:%d",
					i ? " " : "", dag->nodes[dag->order[i]].name,
					dag->nodes[dag->order[i]].level);
	return out;
}

/* "file:line:col: message" of diagnostic i. */
static const char *diag_str(const struct dla_diags *d, size_t i)
{
	static char out[4096];

	assert_true(i < d->n);
	snprintf(out, sizeof(out), "%s:%d:%d: %s", d->items[i].file,
		 d->items[i].line, d->items[i].col, d->items[i].message);
	return out;
}

static void dump_diags(const struct dla_diags *d)
{
	for (size_t i = 0; i < d->n; i++)
		print_message("  diag %zu: %s\n", i, diag_str(d, i));
}

#define assert_build(p, dag, d, expected) do { \
	enum dla_code rc_ = dla_dag_build((dag), (p), (d)); \
	if (rc_ != (expected)) \
		dump_diags(d); \
	assert_int_equal(rc_, (expected)); \
} while (0)

/* ---- a star schema ---------------------------------------------------- */

static struct dla_project *star(void)
{
	struct dla_project *p = project_new(CAP);
	struct dla_fact *f;

	add_source(p, "staging", "customer");
	add_source(p, "staging", "sales");
	add_source(p, "staging", "calendar");
	add_view(p, "v_customer", "staging.customer", NULL);
	add_view(p, "v_sales", "staging.sales", "staging.customer", NULL);
	add_dim(p, "dim_customer", "v_customer", "customer_id");
	add_dim(p, "dim_date", "staging.calendar", "date_key");
	f = add_fact(p, "fact_sales", "v_sales");
	add_lookup(p, f, "dim_customer", "customer_id:customer_id");
	add_lookup(p, f, "dim_date", "sale_date:date_key");
	add_exposure(p, "sales_dashboard", "fact_sales,dim_customer");
	return p;
}

static void star_order_and_levels(void **state)
{
	struct dla_project *p = star();
	struct dla_diags d = DLA_DIAGS_INIT;
	struct dla_dag dag;
	(void)state;

	assert_build(p, &dag, &d, DLA_OK);
	assert_int_equal(d.n, 0);
	assert_int_equal(dag.n, 9);
	assert_string_equal(order_str(&dag),
		"staging.calendar:0 staging.customer:0 staging.sales:0 "
		"dim_date:1 v_customer:1 v_sales:1 dim_customer:2 fact_sales:3 "
		"sales_dashboard:4");
	/* project order: sources, views, dimensions, facts, exposures */
	assert_string_equal(dag.nodes[0].name, "staging.customer");
	assert_int_equal(dag.nodes[0].kind, DLA_NODE_SOURCE);
	assert_int_equal(dag.nodes[3].kind, DLA_NODE_VIEW);
	assert_int_equal(dag.nodes[5].kind, DLA_NODE_DIMENSION);
	assert_int_equal(dag.nodes[7].kind, DLA_NODE_FACT);
	assert_int_equal(dag.nodes[8].kind, DLA_NODE_EXPOSURE);

	assert_string_equal(deps_of(&dag, "fact_sales"), "dim_customer dim_date v_sales");
	assert_string_equal(deps_of(&dag, "v_sales"), "staging.customer staging.sales");
	assert_string_equal(deps_of(&dag, "sales_dashboard"), "dim_customer fact_sales");
	assert_string_equal(deps_of(&dag, "staging.customer"), "");
	assert_string_equal(dependents_of(&dag, "staging.customer"), "v_customer v_sales");
	assert_string_equal(dependents_of(&dag, "dim_customer"),
			    "fact_sales sales_dashboard");
	assert_string_equal(dependents_of(&dag, "sales_dashboard"), "");

	/* schema and relation per kind */
	{
		const struct dla_node *v = &dag.nodes[node(&dag, "v_customer")];
		const struct dla_node *dm = &dag.nodes[node(&dag, "dim_customer")];
		const struct dla_node *s = &dag.nodes[node(&dag, "staging.sales")];
		const struct dla_node *e = &dag.nodes[node(&dag, "sales_dashboard")];

		assert_string_equal(v->schema, "dla_views");
		assert_string_equal(v->relation, "dla_views.v_customer");
		assert_string_equal(v->loc.file, "views/v_customer.sql");
		assert_ptr_equal(v->spec.view, &p->views[0]);
		assert_string_equal(dm->schema, "presentation");
		assert_string_equal(dm->relation, "presentation.dim_customer");
		assert_ptr_equal(dm->spec.dimension, &p->dimensions[0]);
		assert_string_equal(s->schema, "staging");
		assert_string_equal(s->relation, "staging.sales");
		assert_null(e->schema);
		assert_null(e->relation);
		assert_string_equal(e->loc.file, "models/exposures.yml");
		assert_non_null(e->tags);
	}
	dla_dag_release(&dag);
	dla_diags_release(&d);
	project_free(p);
}

static void kind_names(void **state)
{
	(void)state;
	assert_string_equal(dla_node_kind_name(DLA_NODE_SOURCE), "source");
	assert_string_equal(dla_node_kind_name(DLA_NODE_VIEW), "view");
	assert_string_equal(dla_node_kind_name(DLA_NODE_DIMENSION), "dimension");
	assert_string_equal(dla_node_kind_name(DLA_NODE_FACT), "fact");
	assert_string_equal(dla_node_kind_name(DLA_NODE_EXPOSURE), "exposure");
}

static void ties_break_by_name_case_insensitively(void **state)
{
	struct dla_project *p = project_new(CAP);
	struct dla_diags d = DLA_DIAGS_INIT;
	struct dla_dag dag;
	(void)state;

	add_view(p, "b", NULL);
	add_view(p, "C", NULL);
	add_view(p, "a_x", NULL);
	add_view(p, "A", NULL);
	add_view(p, "reader", "c", "a", "B", "a_x", NULL);
	assert_build(p, &dag, &d, DLA_OK);
	assert_string_equal(order_str(&dag), "A:0 a_x:0 b:0 C:0 reader:1");
	assert_string_equal(deps_of(&dag, "reader"), "A a_x b C");
	assert_string_equal(dependents_of(&dag, "a"), "reader");
	dla_dag_release(&dag);
	dla_diags_release(&d);
	project_free(p);
}

static void every_kind_of_edge(void **state)
{
	struct dla_project *p = project_new(CAP);
	struct dla_diags d = DLA_DIAGS_INIT;
	struct dla_dimension *dm;
	struct dla_fact *f;
	struct dla_dag dag;
	(void)state;

	add_source(p, "raw", "orders");
	add_source(p, "raw", "promo");
	add_dim(p, "dim_direct", "raw.promo", "promo_id");          /* dim <- source */
	dm = add_dim(p, "dim_from_view", "v_base", "id");            /* dim <- view */
	set_names(p, &dm->depends_on, "dim_direct", at("models/dim_from_view.yml", 9, 5));
	f = add_fact(p, "fact_base", "raw.orders");                  /* fact <- source */
	add_lookup(p, f, "dim_from_view", "id:id");                  /* fact <- dim */
	set_names(p, &f->depends_on, "v_base", at("models/fact_base.yml", 20, 5));
	add_fact(p, "fact_on_fact", "presentation.fact_base");       /* fact <- fact */
	add_dim(p, "dim_on_dim", "dim_direct", "promo_id");          /* dim <- dim */
	add_view(p, "v_base", "raw.orders", NULL);                   /* view <- source */
	add_view(p, "v_top", "v_base", "dim_direct",                /* view <- view, dim */
		 "presentation.fact_base", NULL);                    /* view <- fact */
	add_exposure(p, "wb", "fact_on_fact,presentation.dim_on_dim,v_top,raw.promo");

	assert_build(p, &dag, &d, DLA_OK);
	assert_string_equal(deps_of(&dag, "dim_direct"), "raw.promo");
	assert_string_equal(deps_of(&dag, "dim_from_view"), "dim_direct v_base");
	assert_string_equal(deps_of(&dag, "fact_base"), "dim_from_view raw.orders v_base");
	assert_string_equal(deps_of(&dag, "fact_on_fact"), "fact_base");
	assert_string_equal(deps_of(&dag, "dim_on_dim"), "dim_direct");
	assert_string_equal(deps_of(&dag, "v_base"), "raw.orders");
	assert_string_equal(deps_of(&dag, "v_top"), "dim_direct fact_base v_base");
	assert_string_equal(deps_of(&dag, "wb"), "dim_on_dim fact_on_fact raw.promo v_top");
	assert_string_equal(order_str(&dag),
		"raw.orders:0 raw.promo:0 dim_direct:1 v_base:1 dim_from_view:2 "
		"dim_on_dim:2 fact_base:3 fact_on_fact:4 v_top:4 wb:5");
	dla_dag_release(&dag);
	dla_diags_release(&d);
	project_free(p);
}

static void duplicate_edges_collapse(void **state)
{
	struct dla_project *p = project_new(CAP);
	struct dla_diags d = DLA_DIAGS_INIT;
	struct dla_dimension *dm;
	struct dla_fact *f;
	struct dla_dag dag;
	(void)state;

	add_source(p, "staging", "customer");
	add_view(p, "v_customer", "staging.customer", "STAGING.Customer",
		 "staging.customer", NULL);
	dm = add_dim(p, "dim_customer", "v_customer", "customer_id");
	set_names(p, &dm->depends_on, "v_customer,dla_views.v_customer,V_CUSTOMER",
		  at("models/dim_customer.yml", 12, 5));
	f = add_fact(p, "fact_x", "v_customer");
	add_lookup(p, f, "dim_customer", "customer_id:customer_id");
	add_lookup(p, f, "dim_customer", "other_id:customer_id");
	assert_build(p, &dag, &d, DLA_OK);
	assert_string_equal(deps_of(&dag, "v_customer"), "staging.customer");
	assert_string_equal(deps_of(&dag, "dim_customer"), "v_customer");
	assert_string_equal(deps_of(&dag, "fact_x"), "dim_customer v_customer");
	assert_string_equal(dependents_of(&dag, "v_customer"), "dim_customer fact_x");
	assert_string_equal(dependents_of(&dag, "staging.customer"), "v_customer");
	dla_dag_release(&dag);
	dla_diags_release(&d);
	project_free(p);
}

static const char *writes_of(const struct dla_dag *dag, const char *name)
{
	const struct dla_node *n = &dag->nodes[node(dag, name)];
	return names_str(dag, n->writes, n->n_writes);
}

/* A load writes its table; a fact also writes each dimension it infers
 * members into (once, whatever the number of lookups); the write sets add
 * no edge. */
static void write_sets(void **state)
{
	struct dla_project *p = project_new(CAP);
	struct dla_diags d = DLA_DIAGS_INIT;
	struct dla_fact *fa, *fb, *fc;
	struct dla_dag dag;
	(void)state;

	add_source(p, "staging", "sales");
	add_view(p, "v_sales", "staging.sales", NULL);
	add_dim(p, "dim_customer", "staging.sales", "customer_id");
	add_dim(p, "dim_product", "staging.sales", "product_id");
	add_dim(p, "dim_date", "staging.sales", "date_key");
	fa = add_fact(p, "fact_a", "v_sales");
	add_lookup(p, fa, "dim_product", "product_id:product_id")->on_missing = DLA_MISSING_INFER;
	add_lookup(p, fa, "dim_customer", "buyer_id:customer_id")->on_missing = DLA_MISSING_INFER;
	add_lookup(p, fa, "presentation.dim_customer", "seller_id:customer_id")->on_missing =
		DLA_MISSING_INFER;
	add_lookup(p, fa, "dim_date", "date_key:date_key")->on_missing = DLA_MISSING_FAIL;
	fb = add_fact(p, "fact_b", "v_sales");
	add_lookup(p, fb, "DIM_CUSTOMER", "customer_id:customer_id")->on_missing =
		DLA_MISSING_INFER;
	fc = add_fact(p, "fact_c", "v_sales");
	add_lookup(p, fc, "dim_customer", "customer_id:customer_id");   /* unknown */
	add_exposure(p, "wb", "fact_a");

	assert_build(p, &dag, &d, DLA_OK);
	assert_string_equal(writes_of(&dag, "fact_a"), "dim_customer dim_product fact_a");
	assert_string_equal(writes_of(&dag, "fact_b"), "dim_customer fact_b");
	assert_string_equal(writes_of(&dag, "fact_c"), "fact_c");
	assert_string_equal(writes_of(&dag, "dim_customer"), "dim_customer");
	assert_string_equal(writes_of(&dag, "staging.sales"), "");
	assert_string_equal(writes_of(&dag, "v_sales"), "");
	assert_string_equal(writes_of(&dag, "wb"), "");
	for (size_t i = 0; i < dag.n; i++)
		for (size_t k = 1; k < dag.nodes[i].n_writes; k++)
			assert_true(dag.nodes[i].writes[k - 1] < dag.nodes[i].writes[k]);
	/* the edges are the lookups', nothing more */
	assert_string_equal(dependents_of(&dag, "dim_customer"), "fact_a fact_b fact_c");
	assert_string_equal(deps_of(&dag, "fact_a"), "dim_customer dim_date dim_product v_sales");
	assert_string_equal(deps_of(&dag, "fact_b"), "dim_customer v_sales");
	dla_dag_release(&dag);
	dla_diags_release(&d);
	project_free(p);
}

static void resolution_is_case_insensitive_and_qualified(void **state)
{
	struct dla_project *p = project_new(CAP);
	struct dla_diags d = DLA_DIAGS_INIT;
	struct dla_fact *f;
	struct dla_dag dag;
	(void)state;

	add_source(p, "Staging", "Customer");
	add_view(p, "v_customer", "STAGING.customer", NULL);
	add_view(p, "v_b", "DLA_VIEWS.V_Customer", "Presentation.DIM_customer", NULL);
	add_dim(p, "dim_customer", "dla_views.v_customer", "customer_id");
	f = add_fact(p, "fact_x", "V_B");
	add_lookup(p, f, "presentation.dim_customer", "CUSTOMER_ID:Customer_Id");
	assert_build(p, &dag, &d, DLA_OK);
	assert_int_equal(d.n, 0);
	assert_string_equal(deps_of(&dag, "v_customer"), "Staging.Customer");
	assert_string_equal(deps_of(&dag, "v_b"), "dim_customer v_customer");
	assert_string_equal(deps_of(&dag, "dim_customer"), "v_customer");
	assert_string_equal(deps_of(&dag, "fact_x"), "dim_customer v_b");
	dla_dag_release(&dag);
	dla_diags_release(&d);
	project_free(p);
}

static void find_by_name_and_relation(void **state)
{
	struct dla_project *p = star();
	struct dla_diags d = DLA_DIAGS_INIT;
	struct dla_dag dag;
	(void)state;

	assert_build(p, &dag, &d, DLA_OK);
	assert_int_equal(dla_dag_find(&dag, "staging.customer"), 0);
	assert_int_equal(dla_dag_find(&dag, "STAGING.CUSTOMER"), 0);
	assert_int_equal(dla_dag_find(&dag, "v_customer"), 3);
	assert_int_equal(dla_dag_find(&dag, "dla_views.v_customer"), 3);
	assert_int_equal(dla_dag_find(&dag, "Dim_Customer"), 5);
	assert_int_equal(dla_dag_find(&dag, "presentation.dim_customer"), 5);
	assert_int_equal(dla_dag_find(&dag, "presentation.fact_sales"), 7);
	assert_int_equal(dla_dag_find(&dag, "sales_dashboard"), 8);
	assert_int_equal(dla_dag_find(&dag, "customer"), NONE);           /* bare source */
	assert_int_equal(dla_dag_find(&dag, "staging.v_customer"), NONE); /* wrong schema */
	assert_int_equal(dla_dag_find(&dag, "presentation.sales_dashboard"), NONE);
	assert_int_equal(dla_dag_find(&dag, ""), NONE);
	assert_int_equal(dla_dag_find(&dag, NULL), NONE);
	/* lookup helpers */
	assert_ptr_equal(dla_dag_lookup_dimension(&dag, &p->facts[0].lookups[0]),
			 &p->dimensions[0]);
	assert_string_equal(dla_dag_lookup_key(&dag, &p->facts[0].lookups[1]), "date_sk");
	p->facts[0].lookups[1].key = "sale_date_sk";
	assert_string_equal(dla_dag_lookup_key(&dag, &p->facts[0].lookups[1]), "sale_date_sk");
	dla_dag_release(&dag);
	dla_diags_release(&d);
	project_free(p);
}

/* ---- reference errors ------------------------------------------------- */

static void unknown_references_are_reported_where_written(void **state)
{
	struct dla_project *p = star();
	struct dla_diags d = DLA_DIAGS_INIT;
	struct dla_dimension *dm;
	struct dla_fact *f;
	struct dla_dag dag;
	(void)state;

	add_view(p, "v_bad", "staging.customer", "staging.custmer", "nowhere.qqqq", NULL);
	dm = add_dim(p, "dim_bad", "v_custmer", "customer_id");
	set_names(p, &dm->depends_on, "dim_date,dim_dat,zzzzzzzz",
		  at("models/dim_bad.yml", 8, 5));
	f = add_fact(p, "fact_bad", "fact_sale");
	add_lookup(p, f, "dim_custmer", "customer_id:customer_id");
	add_lookup(p, f, "fact_sales", "x:y");
	add_lookup(p, f, "v_sales", "x:y");
	add_lookup(p, f, "nothing_like_it", "x:y");
	add_fact(p, "fact_from_wb", "sales_dashboard");
	add_fact(p, "fact_nothing", "qqqqqqqqqqqq");
	add_exposure(p, "wb_bad", "fact_sales,fact_sale");

	assert_build(p, &dag, &d, DLA_ERR_INVALID);
	dla_diags_sort(&d);
	assert_int_equal(d.n, 13);
	assert_string_equal(diag_str(&d, 0),
		"models/dim_bad.yml:3:9: unknown source 'v_custmer' for dimension "
		"'dim_bad' (did you mean 'v_customer'?)");
	assert_string_equal(diag_str(&d, 1),
		"models/dim_bad.yml:9:5: unknown node 'dim_dat' in 'depends_on' "
		"(did you mean 'dim_date'?)");
	assert_string_equal(diag_str(&d, 2),
		"models/dim_bad.yml:10:5: unknown node 'zzzzzzzz' in 'depends_on'");
	assert_string_equal(diag_str(&d, 3),
		"models/exposures.yml:18:19: unknown node 'fact_sale' in 'depends_on' "
		"(did you mean 'fact_sales'?)");
	assert_string_equal(diag_str(&d, 4),
		"models/fact_bad.yml:3:9: unknown source 'fact_sale' for fact "
		"'fact_bad' (did you mean 'fact_sales'?)");
	assert_string_equal(diag_str(&d, 5),
		"models/fact_bad.yml:10:18: lookup of unknown dimension 'dim_custmer' "
		"(did you mean 'dim_customer'?)");
	assert_string_equal(diag_str(&d, 6),
		"models/fact_bad.yml:14:18: 'fact_sales' is a fact, not a dimension");
	assert_string_equal(diag_str(&d, 7),
		"models/fact_bad.yml:18:18: 'v_sales' is a view, not a dimension");
	assert_string_equal(diag_str(&d, 8),
		"models/fact_bad.yml:22:18: lookup of unknown dimension 'nothing_like_it'");
	assert_string_equal(diag_str(&d, 9),
		"models/fact_from_wb.yml:3:9: source 'sales_dashboard' of fact "
		"'fact_from_wb' is an exposure, not a relation");
	assert_string_equal(diag_str(&d, 10),
		"models/fact_nothing.yml:3:9: unknown source 'qqqqqqqqqqqq' for fact "
		"'fact_nothing'");
	/* views/ sorts after models/ */
	assert_string_equal(d.items[11].file, "views/v_bad.sql");
	assert_int_equal(d.items[11].line, 3);
	assert_int_equal(d.items[12].line, 4);
	dla_diags_release(&d);
	dla_dag_release(&dag);
	project_free(p);
}

static void unknown_view_relation_text(void **state)
{
	struct dla_project *p = star();
	struct dla_diags d = DLA_DIAGS_INIT;
	struct dla_dag dag;
	(void)state;

	add_view(p, "v_bad", "staging.customer", "staging.custmer", "nowhere.qqqq",
		 "v_custmer", "dla_views.v_salez", NULL);
	assert_build(p, &dag, &d, DLA_ERR_INVALID);
	assert_int_equal(d.n, 4);
	assert_string_equal(diag_str(&d, 0),
		"views/v_bad.sql:3:6: unknown relation 'staging.custmer' (not a declared "
		"source, view, dimension or fact; did you mean 'staging.customer'?)");
	assert_string_equal(diag_str(&d, 1),
		"views/v_bad.sql:4:6: unknown relation 'nowhere.qqqq' (not a declared "
		"source, view, dimension or fact)");
	assert_string_equal(diag_str(&d, 2),
		"views/v_bad.sql:5:6: unknown relation 'v_custmer' (not a declared "
		"source, view, dimension or fact; did you mean 'v_customer'?)");
	assert_string_equal(diag_str(&d, 3),
		"views/v_bad.sql:6:6: unknown relation 'dla_views.v_salez' (not a declared "
		"source, view, dimension or fact; did you mean 'dla_views.v_sales'?)");
	/* the DAG is still built without the missing edges */
	assert_non_null(dag.order);
	assert_string_equal(deps_of(&dag, "v_bad"), "staging.customer");
	assert_int_equal(dag.nodes[node(&dag, "v_bad")].level, 1);
	assert_int_equal(dag.nodes[node(&dag, "sales_dashboard")].level, 4);
	dla_dag_release(&dag);
	dla_diags_release(&d);
	project_free(p);
}

/* An exposure is no relation: a view cannot read it. */
static void view_cannot_read_exposure(void **state)
{
	struct dla_project *p = star();
	struct dla_diags d = DLA_DIAGS_INIT;
	struct dla_dag dag;
	(void)state;

	add_view(p, "v_bad", "sales_dashboard", NULL);
	assert_build(p, &dag, &d, DLA_ERR_INVALID);
	assert_int_equal(d.n, 1);
	assert_string_equal(diag_str(&d, 0),
		"views/v_bad.sql:2:6: unknown relation 'sales_dashboard' (not a declared "
		"source, view, dimension or fact)");
	dla_dag_release(&dag);
	dla_diags_release(&d);
	project_free(p);
}

static void lookup_on_must_cover_business_key(void **state)
{
	struct dla_project *p = project_new(CAP);
	struct dla_diags d = DLA_DIAGS_INIT;
	struct dla_fact *f;
	struct dla_dag dag;
	(void)state;

	add_source(p, "s", "t");
	add_dim(p, "dim_customer", "s.t", "customer_id,region");
	add_dim(p, "dim_one", "s.t", "one_id");
	f = add_fact(p, "fact_x", "s.t");
	add_lookup(p, f, "dim_customer", "cust:CUSTOMER_ID,reg:Region");      /* ok */
	add_lookup(p, f, "dim_customer", "reg:region,cust:customer_id");      /* ok */
	add_lookup(p, f, "dim_customer", "cust:customer_id");                 /* missing */
	add_lookup(p, f, "dim_customer", "a:customer_id,b:customer_id");      /* twice */
	add_lookup(p, f, "dim_customer", "a:customer_id,b:region,c:city");    /* extra */
	add_lookup(p, f, "dim_one", "a:one_id,b:city");                        /* extra */
	add_lookup(p, f, "dim_one", "a:other");                                /* wrong */
	add_lookup(p, f, "dim_one", "a:one_id");                               /* ok */
	assert_build(p, &dag, &d, DLA_ERR_INVALID);
	assert_int_equal(d.n, 5);
	assert_string_equal(diag_str(&d, 0),
		"models/fact_x.yml:18:18: lookup 'on' must map every business-key column "
		"of 'dim_customer' (customer_id, region)");
	assert_int_equal(d.items[1].line, 22);
	assert_int_equal(d.items[2].line, 26);
	assert_string_equal(diag_str(&d, 3),
		"models/fact_x.yml:30:18: lookup 'on' must map every business-key column "
		"of 'dim_one' (one_id)");
	assert_int_equal(d.items[4].line, 34);
	/* the edges exist anyway */
	assert_string_equal(deps_of(&dag, "fact_x"), "dim_customer dim_one s.t");
	dla_dag_release(&dag);
	dla_diags_release(&d);
	project_free(p);
}

static void same_relation_declared_twice(void **state)
{
	struct dla_project *p = project_new(CAP);
	struct dla_diags d = DLA_DIAGS_INIT;
	struct dla_dag dag;
	(void)state;

	add_source(p, "presentation", "dim_customer");
	add_source(p, "dla_views", "v_x");
	add_view(p, "v_x", NULL);
	add_dim(p, "dim_customer", "v_x", "id");
	assert_build(p, &dag, &d, DLA_ERR_INVALID);
	assert_int_equal(d.n, 2);
	assert_string_equal(diag_str(&d, 0),
		"views/v_x.sql:1:1: relation 'dla_views.v_x' of view 'v_x' is already "
		"declared by source 'dla_views.v_x'");
	assert_string_equal(diag_str(&d, 1),
		"models/dim_customer.yml:1:12: relation 'presentation.dim_customer' of "
		"dimension 'dim_customer' is already declared by source "
		"'presentation.dim_customer'");
	dla_dag_release(&dag);
	dla_diags_release(&d);
	project_free(p);
}

/* ---- cycles ----------------------------------------------------------- */

/* Builds, expects DLA_ERR_CYCLE and n diagnostics; returns them joined by
 * "\n" (static). */
static const char *cycle_diags(struct dla_project *p, size_t n)
{
	static char out[8192];
	struct dla_diags d = DLA_DIAGS_INIT;
	struct dla_dag dag;
	size_t len = 0;

	assert_build(p, &dag, &d, DLA_ERR_CYCLE);
	if (d.n != n)
		dump_diags(&d);
	assert_int_equal(d.n, n);
	out[0] = '\0';
	for (size_t i = 0; i < d.n; i++)
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%s",
					i ? "\n" : "", diag_str(&d, i));
	/* order still lists every node once */
	for (size_t i = 0; i < dag.n; i++)
		for (size_t j = i + 1; j < dag.n; j++)
			assert_true(dag.order[i] != dag.order[j]);
	dla_dag_release(&dag);
	dla_diags_release(&d);
	project_free(p);
	return out;
}

static void cycle_of_two(void **state)
{
	struct dla_project *p = project_new(CAP);
	(void)state;

	add_view(p, "v_b", "v_a", NULL);
	add_view(p, "v_a", "v_b", NULL);
	assert_string_equal(cycle_diags(p, 1), "views/v_a.sql:1:1: cycle: v_a -> v_b -> v_a");
}

static void cycle_of_three_in_dependency_order(void **state)
{
	struct dla_project *p = project_new(CAP);
	(void)state;

	/* v_b reads v_a, v_c reads v_b, v_a reads v_c */
	add_view(p, "v_c", "v_b", NULL);
	add_view(p, "v_a", "v_c", NULL);
	add_view(p, "v_b", "v_a", NULL);
	assert_string_equal(cycle_diags(p, 1),
			    "views/v_a.sql:1:1: cycle: v_a -> v_b -> v_c -> v_a");

	/* the other direction: v_a reads v_b, v_b reads v_c, v_c reads v_a */
	p = project_new(CAP);
	add_view(p, "v_a", "v_b", NULL);
	add_view(p, "v_b", "v_c", NULL);
	add_view(p, "v_c", "v_a", NULL);
	assert_string_equal(cycle_diags(p, 1),
			    "views/v_a.sql:1:1: cycle: v_a -> v_c -> v_b -> v_a");
}

static void self_cycle(void **state)
{
	struct dla_project *p = project_new(CAP);
	struct dla_dimension *dm;
	(void)state;

	add_view(p, "v_a", "dla_views.v_a", NULL);
	assert_string_equal(cycle_diags(p, 1), "views/v_a.sql:1:1: cycle: v_a -> v_a");

	p = project_new(CAP);
	add_source(p, "s", "t");
	dm = add_dim(p, "dim_a", "s.t", "id");
	set_names(p, &dm->depends_on, "presentation.dim_a", at("models/dim_a.yml", 7, 5));
	assert_string_equal(cycle_diags(p, 1), "models/dim_a.yml:1:12: cycle: dim_a -> dim_a");
}

static void two_disjoint_cycles(void **state)
{
	struct dla_project *p = project_new(CAP);
	(void)state;

	add_view(p, "v_z", "v_y", NULL);
	add_view(p, "v_y", "v_z", NULL);
	add_view(p, "v_b", "v_a", NULL);
	add_view(p, "v_a", "v_b", NULL);
	add_view(p, "v_ok", NULL);
	assert_string_equal(cycle_diags(p, 2),
			    "views/v_a.sql:1:1: cycle: v_a -> v_b -> v_a\n"
			    "views/v_y.sql:1:1: cycle: v_y -> v_z -> v_y");
}

/* One strongly connected component with several cycles is reported once,
 * with a shortest cycle through its first node. */
static void tangled_cycles_reported_once(void **state)
{
	struct dla_project *p = project_new(CAP);
	(void)state;

	add_view(p, "v_a", "v_d", NULL);
	add_view(p, "v_b", "v_a", "v_c", NULL);
	add_view(p, "v_c", "v_b", NULL);
	add_view(p, "v_d", "v_c", "v_b", NULL);
	assert_string_equal(cycle_diags(p, 1),
			    "views/v_a.sql:1:1: cycle: v_a -> v_b -> v_d -> v_a");
}

static void cycle_through_specs_with_valid_part(void **state)
{
	struct dla_project *p = star();
	struct dla_diags d = DLA_DIAGS_INIT;
	struct dla_fact *f;
	struct dla_dag dag;
	(void)state;

	/* dim_loop reads fact_loop, which looks it up */
	add_dim(p, "dim_loop", "fact_loop", "id");
	f = add_fact(p, "fact_loop", "v_sales");
	add_lookup(p, f, "dim_loop", "id:id");
	add_exposure(p, "wb_loop", "fact_loop");       /* downstream of the cycle */
	add_view(p, "v_unknown", "nope.nope", NULL);   /* an error too */

	assert_build(p, &dag, &d, DLA_ERR_CYCLE);
	dla_diags_sort(&d);
	assert_int_equal(d.n, 2);
	assert_string_equal(diag_str(&d, 0),
			    "models/dim_loop.yml:1:12: cycle: dim_loop -> fact_loop -> dim_loop");
	assert_string_equal(d.items[1].file, "views/v_unknown.sql");
	/* valid nodes are ordered, the rest follow with level -1 */
	assert_string_equal(order_str(&dag),
		"staging.calendar:0 staging.customer:0 staging.sales:0 v_unknown:0 "
		"dim_date:1 v_customer:1 v_sales:1 dim_customer:2 "
		"fact_sales:3 sales_dashboard:4 "
		"dim_loop:-1 fact_loop:-1 wb_loop:-1");
	dla_dag_release(&dag);
	dla_diags_release(&d);
	project_free(p);
}

/* ---- large graphs ----------------------------------------------------- */

#define CHAIN 20000

static struct dla_project *chain(int closed)
{
	struct dla_project *p = project_new(CHAIN + 1);

	for (int i = 0; i < CHAIN; i++) {
		char name[16], prev[16];
		snprintf(name, sizeof(name), "v_%05d", i);
		snprintf(prev, sizeof(prev), "v_%05d", i ? i - 1 : CHAIN - 1);
		if (i || closed)
			add_view(p, name, prev, NULL);
		else
			add_view(p, name, NULL);
	}
	return p;
}

static void long_chain(void **state)
{
	struct dla_project *p = chain(0);
	struct dla_diags d = DLA_DIAGS_INIT;
	struct dla_dag dag;
	(void)state;

	assert_build(p, &dag, &d, DLA_OK);
	assert_int_equal(dag.n, CHAIN);
	for (size_t i = 0; i < CHAIN; i++) {
		assert_int_equal(dag.order[i], i);
		assert_int_equal(dag.nodes[i].level, (int)i);
	}
	dla_dag_release(&dag);
	dla_diags_release(&d);
	project_free(p);
}

static void long_cycle(void **state)
{
	struct dla_project *p = chain(1);
	struct dla_diags d = DLA_DIAGS_INIT;
	struct dla_dag dag;
	const char *msg;
	size_t len;
	(void)state;

	assert_build(p, &dag, &d, DLA_ERR_CYCLE);
	assert_int_equal(d.n, 1);
	msg = d.items[0].message;
	len = strlen(msg);
	assert_int_equal(strncmp(msg, "cycle: v_00000 -> v_00001 -> v_00002 -> ", 40), 0);
	assert_string_equal(msg + len - 29, "v_19998 -> v_19999 -> v_00000");
	assert_int_equal(len, strlen("cycle: ") + (CHAIN + 1) * 7 + CHAIN * 4);
	assert_string_equal(d.items[0].file, "views/v_00000.sql");
	dla_dag_release(&dag);
	dla_diags_release(&d);
	project_free(p);
}

/* 10,000 nodes, 30,000 edges: 5,000 sources read by 5,000 views that also
 * read each other (a deep, wide DAG).  No timing assertion here (bench/). */
#define WIDE 5000

static void wide_graph(void **state)
{
	struct dla_project *p = project_new(WIDE);
	struct dla_diags d = DLA_DIAGS_INIT;
	struct dla_dag dag;
	size_t edges = 0, *pos;
	(void)state;

	for (int i = 0; i < WIDE; i++) {
		char name[16];
		snprintf(name, sizeof(name), "t%d", i);
		add_source(p, "raw", name);
	}
	for (int i = 0; i < WIDE; i++) {
		char name[16], r[6][24];
		snprintf(name, sizeof(name), "v%d", i);
		snprintf(r[0], sizeof(r[0]), "raw.t%d", i);
		snprintf(r[1], sizeof(r[1]), "raw.t%d", (i * 7 + 1) % WIDE);
		snprintf(r[2], sizeof(r[2]), "raw.t%d", (i * 13 + 5) % WIDE);
		snprintf(r[3], sizeof(r[3]), "v%d", i - 1);
		snprintf(r[4], sizeof(r[4]), "v%d", i / 2);
		snprintf(r[5], sizeof(r[5]), "v%d", i / 3);
		if (i)
			add_view(p, name, r[0], r[1], r[2], r[3], r[4], r[5], NULL);
		else
			add_view(p, name, r[0], r[1], r[2], NULL);
	}
	assert_build(p, &dag, &d, DLA_OK);
	assert_int_equal(dag.n, 2 * WIDE);
	for (size_t i = 0; i < dag.n; i++)
		edges += dag.nodes[i].n_deps;
	assert_true(edges > 25000);
	assert_int_equal(dag.nodes[dla_dag_find(&dag, "v4999")].level, WIDE);
	/* order is topological and levels grow along every edge */
	pos = calloc(dag.n, sizeof(*pos));
	assert_non_null(pos);
	for (size_t i = 0; i < dag.n; i++)
		pos[dag.order[i]] = i;
	for (size_t i = 0; i < dag.n; i++)
		for (size_t k = 0; k < dag.nodes[i].n_deps; k++) {
			assert_true(pos[dag.nodes[i].deps[k]] < pos[i]);
			assert_true(dag.nodes[dag.nodes[i].deps[k]].level < dag.nodes[i].level);
		}
	free(pos);
	dla_dag_release(&dag);
	dla_diags_release(&d);
	project_free(p);
}

/* ---- life cycle and allocation failures ------------------------------- */

static void release_is_safe_on_zeroed_dag(void **state)
{
	struct dla_dag dag;
	(void)state;

	memset(&dag, 0, sizeof(dag));
	dla_dag_release(&dag);
	dla_dag_release(&dag);

	/* an empty project */
	{
		struct dla_project *p = project_new(1);
		struct dla_diags d = DLA_DIAGS_INIT;
		assert_build(p, &dag, &d, DLA_OK);
		assert_int_equal(dag.n, 0);
		assert_int_equal(dla_dag_find(&dag, "x"), NONE);
		dla_dag_release(&dag);
		dla_dag_release(&dag);
		project_free(p);
	}
}

/* Fails the 1st, 2nd, ... allocation of dla_dag_build until it succeeds:
 * every failure must return DLA_ERR_NOMEM (or still succeed) and leak
 * nothing (ASan). */
static void build_survives_allocation_failures(struct dla_project *p,
					       enum dla_code expected)
{
	for (unsigned long n = 1;; n++) {
		struct dla_diags d = DLA_DIAGS_INIT;
		struct dla_dag dag;
		enum dla_code rc;
		bool failed, diag_lost;

		dla_alloc_fail_after(n);
		rc = dla_dag_build(&dag, p, &d);
		failed = dla_alloc_count() >= n;
		dla_alloc_fail_after(0);
		diag_lost = d.nomem;
		dla_dag_release(&dag);
		dla_diags_release(&d);
		if (!failed) {
			assert_int_equal(rc, expected);
			break;
		}
		/* a failed allocation is never swallowed */
		if (rc != DLA_ERR_NOMEM)
			assert_true(diag_lost);
		assert_true(n < 100000);
	}
}

static void allocation_failures(void **state)
{
	struct dla_project *p = star();
	struct dla_fact *f;
	(void)state;

	build_survives_allocation_failures(p, DLA_OK);
	add_view(p, "v_bad", "staging.custmer", "staging.custmer", NULL);
	f = add_fact(p, "fact_bad", "v_salez");
	add_lookup(p, f, "dim_custmer", "a:b");
	add_lookup(p, f, "dim_customer", "a:b");
	build_survives_allocation_failures(p, DLA_ERR_INVALID);
	add_view(p, "v_l1", "v_l2", NULL);
	add_view(p, "v_l2", "v_l1", NULL);
	build_survives_allocation_failures(p, DLA_ERR_CYCLE);
	project_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(star_order_and_levels),
		cmocka_unit_test(kind_names),
		cmocka_unit_test(ties_break_by_name_case_insensitively),
		cmocka_unit_test(every_kind_of_edge),
		cmocka_unit_test(duplicate_edges_collapse),
		cmocka_unit_test(write_sets),
		cmocka_unit_test(resolution_is_case_insensitive_and_qualified),
		cmocka_unit_test(find_by_name_and_relation),
		cmocka_unit_test(unknown_references_are_reported_where_written),
		cmocka_unit_test(unknown_view_relation_text),
		cmocka_unit_test(view_cannot_read_exposure),
		cmocka_unit_test(lookup_on_must_cover_business_key),
		cmocka_unit_test(same_relation_declared_twice),
		cmocka_unit_test(cycle_of_two),
		cmocka_unit_test(cycle_of_three_in_dependency_order),
		cmocka_unit_test(self_cycle),
		cmocka_unit_test(two_disjoint_cycles),
		cmocka_unit_test(tangled_cycles_reported_once),
		cmocka_unit_test(cycle_through_specs_with_valid_part),
		cmocka_unit_test(long_chain),
		cmocka_unit_test(long_cycle),
		cmocka_unit_test(wide_graph),
		cmocka_unit_test(release_is_safe_on_zeroed_dag),
		cmocka_unit_test(allocation_failures),
	};
	return cmocka_run_group_tests_name("dag", tests, NULL, NULL);
}
