/* test_select.c - --select / --exclude selectors over a hand-built DAG
 * (select.h): names, graph operators, tags, paths, lists, unions,
 * excludes, error text and allocation failures. */
#include "test_util.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "arena.h"
#include "dag.h"
#include "diag.h"
#include "project.h"
#include "select.h"

#define CAP 32

/* ---- a hand-built project --------------------------------------------- */

static const char *astr(struct dla_project *p, const char *s)
{
	const char *copy = dla_arena_strdup(&p->arena, s);
	assert_non_null(copy);
	return copy;
}

static struct dla_loc at(const char *file, int line)
{
	struct dla_loc loc = { file, line, 3 };
	return loc;
}

/* csv -> names (tags or depends_on). */
static struct dla_names names(struct dla_project *p, const char *csv, struct dla_loc loc)
{
	struct dla_names list = { NULL, NULL, 0 };
	char buf[256];
	char *save = NULL, *tok;

	list.items = dla_arena_calloc(&p->arena, 16, sizeof(*list.items));
	list.locs = dla_arena_calloc(&p->arena, 16, sizeof(*list.locs));
	assert_true(list.items && list.locs);
	snprintf(buf, sizeof(buf), "%s", csv);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		list.items[list.n] = astr(p, tok);
		list.locs[list.n++] = loc;
	}
	return list;
}

static struct dla_project *project_new(size_t cap)
{
	struct dla_project *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	dla_arena_init(&p->arena);
	p->views_schema = "dla_views";
	p->sources = dla_arena_calloc(&p->arena, CAP, sizeof(*p->sources));
	p->views = dla_arena_calloc(&p->arena, cap, sizeof(*p->views));
	p->dimensions = dla_arena_calloc(&p->arena, CAP, sizeof(*p->dimensions));
	p->facts = dla_arena_calloc(&p->arena, CAP, sizeof(*p->facts));
	p->exposures = dla_arena_calloc(&p->arena, CAP, sizeof(*p->exposures));
	assert_true(p->sources && p->views && p->dimensions && p->facts && p->exposures);
	return p;
}

static void project_free(struct dla_project *p)
{
	dla_arena_release(&p->arena);
	free(p);
}

static void add_source(struct dla_project *p, const char *schema, const char *name,
		       const char *file, const char *tags)
{
	struct dla_source *s = &p->sources[p->n_sources++];

	s->schema = astr(p, schema);
	s->name = astr(p, name);
	s->relation = dla_arena_printf(&p->arena, "%s.%s", schema, name);
	s->loc = at(file, (int)p->n_sources);
	s->tags = names(p, tags, s->loc);
}

/* refs: up to 3 relations, "" for none */
static void add_view(struct dla_project *p, const char *name, const char *tags,
		     const char *r1, const char *r2)
{
	struct dla_view *v = &p->views[p->n_views++];
	const char *refs[2] = { r1, r2 };

	v->name = astr(p, name);
	v->path = dla_arena_printf(&p->arena, "views/%s.sql", name);
	v->loc = at(v->path, 1);
	v->tags = names(p, tags, v->loc);
	v->refs = dla_arena_calloc(&p->arena, 2, sizeof(*v->refs));
	for (int i = 0; i < 2; i++) {
		const char *dot;
		if (!refs[i])
			continue;
		dot = strchr(refs[i], '.');
		if (dot) {
			v->refs[v->n_refs].schema = dla_arena_strndup(&p->arena, refs[i],
							(size_t)(dot - refs[i]));
			v->refs[v->n_refs].name = astr(p, dot + 1);
		} else {
			v->refs[v->n_refs].name = astr(p, refs[i]);
		}
		v->refs[v->n_refs].line = v->refs[v->n_refs].col = 1;
		v->n_refs++;
	}
}

static void add_dim(struct dla_project *p, const char *name, const char *file,
		    const char *source, const char *tags)
{
	struct dla_dimension *d = &p->dimensions[p->n_dimensions++];

	d->name = astr(p, name);
	d->schema = "presentation";
	d->source = astr(p, source);
	d->loc = at(file, 1);
	d->source_loc = at(file, 3);
	d->business_key = names(p, "id", d->loc);
	d->tags = names(p, tags, d->loc);
}

static struct dla_fact *add_fact(struct dla_project *p, const char *name,
				 const char *file, const char *source, const char *tags)
{
	struct dla_fact *f = &p->facts[p->n_facts++];

	f->name = astr(p, name);
	f->schema = "presentation";
	f->source = astr(p, source);
	f->loc = at(file, 1);
	f->source_loc = at(file, 3);
	f->tags = names(p, tags, f->loc);
	f->lookups = dla_arena_calloc(&p->arena, 4, sizeof(*f->lookups));
	return f;
}

static void add_lookup(struct dla_project *p, struct dla_fact *f, const char *dim)
{
	struct dla_lookup *l = &f->lookups[f->n_lookups++];

	l->dimension = astr(p, dim);
	l->on = dla_arena_calloc(&p->arena, 1, sizeof(*l->on));
	l->on[0].fact_column = "id";
	l->on[0].dim_column = "id";
	l->n_on = 1;
	l->loc = f->loc;
}

/*
 * staging.customer, staging.calendar   models/staging/sources.yml  [raw]
 * v_customer <- staging.customer       views/v_customer.sql
 * v_sales    <- v_customer              views/v_sales.sql           [finance]
 * dim_customer <- v_customer            models/sales/dim_customer.yml [daily]
 * dim_date <- staging.calendar          models/shared/dim_date.yml
 * fact_sales <- v_sales, dim_customer, dim_date
 *                                       models/sales/fact_sales.yml [daily, Finance]
 * fact_sf <- staging.customer           models/salesforce.yml
 * sales_dashboard <- fact_sales         models/exposures.yml
 */
struct fixture {
	struct dla_project *p;
	struct dla_dag dag;
	struct dla_diags d;
	bool *selected;
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	struct dla_project *p;
	struct dla_fact *f;
	struct dla_exposure *e;

	assert_non_null(fx);
	fx->p = p = project_new(CAP);
	add_source(p, "staging", "customer", "models/staging/sources.yml", "raw");
	add_source(p, "staging", "calendar", "models/staging/sources.yml", "raw");
	add_view(p, "v_customer", "", "staging.customer", NULL);
	add_view(p, "v_sales", "finance", "v_customer", NULL);
	add_dim(p, "dim_customer", "models/sales/dim_customer.yml", "v_customer", "daily");
	add_dim(p, "dim_date", "models/shared/dim_date.yml", "staging.calendar", "");
	f = add_fact(p, "fact_sales", "models/sales/fact_sales.yml", "v_sales",
		     "daily,Finance");
	add_lookup(p, f, "dim_customer");
	add_lookup(p, f, "dim_date");
	add_fact(p, "fact_sf", "models/salesforce.yml", "staging.customer", "");
	e = &p->exposures[p->n_exposures++];
	e->name = "sales_dashboard";
	e->loc = at("models/exposures.yml", 2);
	e->depends_on = names(p, "fact_sales", e->loc);

	dla_diags_init(&fx->d);
	assert_int_equal(dla_dag_build(&fx->dag, p, &fx->d), DLA_OK);
	assert_int_equal(fx->dag.n, 9);
	fx->selected = calloc(fx->dag.n, sizeof(bool));
	assert_non_null(fx->selected);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	dla_dag_release(&fx->dag);
	dla_diags_release(&fx->d);
	project_free(fx->p);
	free(fx->selected);
	free(fx);
	return 0;
}

/* Selected node names in project order, space separated (static). */
static const char *picked(const struct fixture *fx)
{
	static char out[1024];
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; i < fx->dag.n; i++)
		if (fx->selected[i])
			len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%s",
						len ? " " : "", fx->dag.nodes[i].name);
	return out;
}

/* Runs one select (NULL-free lists given as "a|b" strings split on '|',
 * "" = empty list) and returns the picked names; expects rc. */
static const char *run(struct fixture *fx, const char *select, const char *exclude,
		       enum dla_code rc)
{
	const char *sel[8], *exc[8];
	char sbuf[256], ebuf[256];
	size_t ns = 0, ne = 0;
	char *save = NULL, *tok;

	snprintf(sbuf, sizeof(sbuf), "%s", select);
	snprintf(ebuf, sizeof(ebuf), "%s", exclude);
	for (tok = strtok_r(sbuf, "|", &save); tok; tok = strtok_r(NULL, "|", &save))
		sel[ns++] = tok;
	for (tok = strtok_r(ebuf, "|", &save); tok; tok = strtok_r(NULL, "|", &save))
		exc[ne++] = tok;
	dla_diags_release(&fx->d);
	assert_int_equal(dla_select(&fx->dag, sel, ns, exc, ne, fx->selected, &fx->d), rc);
	if (rc == DLA_OK)
		assert_int_equal(fx->d.n, 0);
	return picked(fx);
}

#define ALL "staging.customer staging.calendar v_customer v_sales dim_customer " \
	    "dim_date fact_sales fact_sf sales_dashboard"

/* ---- tests ------------------------------------------------------------ */

static void empty_select_is_everything(void **state)
{
	struct fixture *fx = *state;

	assert_string_equal(run(fx, "", "", DLA_OK), ALL);
	assert_string_equal(run(fx, " ,, ", "", DLA_OK), ALL);
	assert_string_equal(run(fx, "", "fact_sf|sales_dashboard", DLA_OK),
		"staging.customer staging.calendar v_customer v_sales dim_customer "
		"dim_date fact_sales");
}

static void names_and_relation_spellings(void **state)
{
	struct fixture *fx = *state;

	assert_string_equal(run(fx, "dim_customer", "", DLA_OK), "dim_customer");
	assert_string_equal(run(fx, "DIM_Customer", "", DLA_OK), "dim_customer");
	assert_string_equal(run(fx, "presentation.dim_customer", "", DLA_OK), "dim_customer");
	assert_string_equal(run(fx, "dla_views.v_sales", "", DLA_OK), "v_sales");
	assert_string_equal(run(fx, "staging.customer", "", DLA_OK), "staging.customer");
	assert_string_equal(run(fx, "sales_dashboard", "", DLA_OK), "sales_dashboard");
}

static void graph_operators(void **state)
{
	struct fixture *fx = *state;

	assert_string_equal(run(fx, "+dim_customer", "", DLA_OK),
			    "staging.customer v_customer dim_customer");
	assert_string_equal(run(fx, "dim_customer+", "", DLA_OK),
			    "dim_customer fact_sales sales_dashboard");
	assert_string_equal(run(fx, "+dim_customer+", "", DLA_OK),
			    "staging.customer v_customer dim_customer fact_sales "
			    "sales_dashboard");
	assert_string_equal(run(fx, "+fact_sales", "", DLA_OK),
			    "staging.customer staging.calendar v_customer v_sales "
			    "dim_customer dim_date fact_sales");
	assert_string_equal(run(fx, "staging.customer+", "", DLA_OK),
			    "staging.customer v_customer v_sales dim_customer "
			    "fact_sales fact_sf sales_dashboard");
	assert_string_equal(run(fx, "+staging.customer", "", DLA_OK), "staging.customer");
	assert_string_equal(run(fx, "sales_dashboard+", "", DLA_OK), "sales_dashboard");
	assert_string_equal(run(fx, "+presentation.dim_date+", "", DLA_OK),
			    "staging.calendar dim_date fact_sales sales_dashboard");
}

static void tags(void **state)
{
	struct fixture *fx = *state;

	assert_string_equal(run(fx, "tag:daily", "", DLA_OK), "dim_customer fact_sales");
	assert_string_equal(run(fx, "tag:DAILY", "", DLA_OK), "dim_customer fact_sales");
	assert_string_equal(run(fx, "tag:finance", "", DLA_OK), "v_sales fact_sales");
	assert_string_equal(run(fx, "tag:raw", "", DLA_OK), "staging.customer staging.calendar");
	/* graph operators apply to tag selectors too */
	assert_string_equal(run(fx, "tag:raw+", "", DLA_OK), ALL);
	assert_string_equal(run(fx, "+tag:finance", "", DLA_OK),
			    "staging.customer staging.calendar v_customer v_sales "
			    "dim_customer dim_date fact_sales");
}

static void paths(void **state)
{
	struct fixture *fx = *state;

	assert_string_equal(run(fx, "path:models/sales", "", DLA_OK),
			    "dim_customer fact_sales");
	assert_string_equal(run(fx, "path:models/sales/", "", DLA_OK),
			    "dim_customer fact_sales");
	assert_string_equal(run(fx, "path:./models/sales", "", DLA_OK),
			    "dim_customer fact_sales");
	assert_string_equal(run(fx, "path:.//models/sales//", "", DLA_OK),
			    "dim_customer fact_sales");
	assert_string_equal(run(fx, "path:models/salesforce.yml", "", DLA_OK), "fact_sf");
	assert_string_equal(run(fx, "path:models/sales/fact_sales.yml", "", DLA_OK),
			    "fact_sales");
	assert_string_equal(run(fx, "path:views/v_customer.sql", "", DLA_OK), "v_customer");
	assert_string_equal(run(fx, "path:views", "", DLA_OK), "v_customer v_sales");
	assert_string_equal(run(fx, "path:models/staging", "", DLA_OK),
			    "staging.customer staging.calendar");
	assert_string_equal(run(fx, "path:.", "", DLA_OK), ALL);
	assert_string_equal(run(fx, "path:models", "", DLA_OK),
			    "staging.customer staging.calendar dim_customer dim_date "
			    "fact_sales fact_sf sales_dashboard");
	assert_string_equal(run(fx, "path:models/sales+", "", DLA_OK),
			    "dim_customer fact_sales sales_dashboard");
	/* a prefix of a file name is not a directory */
	assert_string_equal(run(fx, "path:models/sal", "", DLA_ERR_USAGE), "");
	assert_string_equal(run(fx, "path:views/v_customer", "", DLA_ERR_USAGE), "");
	assert_string_equal(fx->d.items[0].message,
			    "selector 'path:views/v_customer' matches no node");
}

static void lists_and_unions(void **state)
{
	struct fixture *fx = *state;

	assert_string_equal(run(fx, "dim_customer,fact_sf v_sales", "", DLA_OK),
			    "v_sales dim_customer fact_sf");
	assert_string_equal(run(fx, "dim_customer|fact_sf|v_sales", "", DLA_OK),
			    "v_sales dim_customer fact_sf");
	assert_string_equal(run(fx, " dim_date ,  ,fact_sf\t|tag:raw", "", DLA_OK),
			    "staging.customer staging.calendar dim_date fact_sf");
	assert_string_equal(run(fx, "dim_customer+,+dim_date", "", DLA_OK),
			    "staging.calendar dim_customer dim_date fact_sales "
			    "sales_dashboard");
	/* overlapping selectors */
	assert_string_equal(run(fx, "+fact_sales|v_customer|tag:daily", "", DLA_OK),
			    "staging.customer staging.calendar v_customer v_sales "
			    "dim_customer dim_date fact_sales");
}

static void excludes(void **state)
{
	struct fixture *fx = *state;

	assert_string_equal(run(fx, "+fact_sales", "tag:raw", DLA_OK),
			    "v_customer v_sales dim_customer dim_date fact_sales");
	assert_string_equal(run(fx, "+fact_sales", "v_customer+", DLA_OK),
			    "staging.customer staging.calendar dim_date");
	assert_string_equal(run(fx, "staging.customer+", "fact_sales, fact_sf|+v_sales", DLA_OK),
			    "dim_customer sales_dashboard");
	assert_string_equal(run(fx, "", "path:models", DLA_OK), "v_customer v_sales");
	assert_string_equal(run(fx, "dim_customer", "dim_customer", DLA_OK), "");
}

static void unknown_selectors(void **state)
{
	struct fixture *fx = *state;

	run(fx, "dim_custmer", "", DLA_ERR_USAGE);
	assert_int_equal(fx->d.n, 1);
	assert_string_equal(fx->d.items[0].file, "");
	assert_int_equal(fx->d.items[0].line, 0);
	assert_int_equal(fx->d.items[0].col, 0);
	assert_string_equal(fx->d.items[0].message,
			    "selector 'dim_custmer' matches no node (did you mean "
			    "'dim_customer'?)");

	/* every problem is reported, operators kept in the suggestion */
	run(fx, "+dim_custmer+,tag:nightly|fact_sales|tag:daly", "stagin.customer+|zzzzzz",
	    DLA_ERR_USAGE);
	assert_int_equal(fx->d.n, 5);
	assert_string_equal(fx->d.items[0].message,
			    "selector '+dim_custmer+' matches no node (did you mean "
			    "'+dim_customer+'?)");
	assert_string_equal(fx->d.items[1].message, "selector 'tag:nightly' matches no node");
	assert_string_equal(fx->d.items[2].message,
			    "selector 'tag:daly' matches no node (did you mean 'tag:daily'?)");
	assert_string_equal(fx->d.items[3].message,
			    "selector 'stagin.customer+' matches no node (did you mean "
			    "'staging.customer+'?)");
	assert_string_equal(fx->d.items[4].message, "selector 'zzzzzz' matches no node");

	run(fx, "+", "", DLA_ERR_USAGE);
	assert_string_equal(fx->d.items[0].message, "selector '+' matches no node");
	run(fx, "tag:", "", DLA_ERR_USAGE);
	assert_string_equal(fx->d.items[0].message, "selector 'tag:' matches no node");
	run(fx, "dla_views.v_salez", "", DLA_ERR_USAGE);
	assert_string_equal(fx->d.items[0].message,
			    "selector 'dla_views.v_salez' matches no node (did you mean "
			    "'dla_views.v_sales'?)");
	/* an exposure has no relation spelling */
	run(fx, "presentation.sales_dashboard", "", DLA_ERR_USAGE);
}

static void allocation_failures(void **state)
{
	struct fixture *fx = *state;
	const char *sel[] = { "+fact_sales", "tag:daily,dim_custmer" };
	const char *exc[] = { "path:views" };

	for (unsigned long n = 1;; n++) {
		enum dla_code rc;
		bool failed;

		dla_diags_release(&fx->d);
		dla_alloc_fail_after(n);
		rc = dla_select(&fx->dag, sel, 2, exc, 1, fx->selected, &fx->d);
		failed = dla_alloc_count() >= n;
		dla_alloc_fail_after(0);
		if (!failed) {
			assert_int_equal(rc, DLA_ERR_USAGE);
			break;
		}
		if (rc != DLA_ERR_NOMEM)
			assert_true(fx->d.nomem);
		assert_true(n < 1000);
	}
	assert_string_equal(picked(fx),
			    "staging.customer staging.calendar dim_customer dim_date "
			    "fact_sales");
}

/* Selecting in a 20,000-node chain: operators must not recurse. */
static void long_chain(void **state)
{
	struct dla_project *p = project_new(20000);
	struct dla_diags d = DLA_DIAGS_INIT;
	struct dla_dag dag;
	bool *selected;
	size_t count = 0;
	const char *sel[] = { "+v_19999", "v_00000+" };
	const char *exc[] = { "v_10000+" };
	(void)state;

	for (int i = 0; i < 20000; i++) {
		char name[16], prev[16];
		snprintf(name, sizeof(name), "v_%05d", i);
		snprintf(prev, sizeof(prev), "v_%05d", i - 1);
		add_view(p, name, "", i ? prev : NULL, NULL);
	}
	assert_int_equal(dla_dag_build(&dag, p, &d), DLA_OK);
	selected = calloc(dag.n, sizeof(bool));
	assert_non_null(selected);
	assert_int_equal(dla_select(&dag, sel, 2, exc, 1, selected, &d), DLA_OK);
	for (size_t i = 0; i < dag.n; i++)
		count += selected[i];
	assert_int_equal(count, 10000);
	assert_true(selected[9999]);
	assert_false(selected[10000]);
	free(selected);
	dla_dag_release(&dag);
	dla_diags_release(&d);
	project_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(empty_select_is_everything, setup, teardown),
		cmocka_unit_test_setup_teardown(names_and_relation_spellings, setup, teardown),
		cmocka_unit_test_setup_teardown(graph_operators, setup, teardown),
		cmocka_unit_test_setup_teardown(tags, setup, teardown),
		cmocka_unit_test_setup_teardown(paths, setup, teardown),
		cmocka_unit_test_setup_teardown(lists_and_unions, setup, teardown),
		cmocka_unit_test_setup_teardown(excludes, setup, teardown),
		cmocka_unit_test_setup_teardown(unknown_selectors, setup, teardown),
		cmocka_unit_test_setup_teardown(allocation_failures, setup, teardown),
		cmocka_unit_test(long_chain),
	};
	return cmocka_run_group_tests_name("select", tests, NULL, NULL);
}
