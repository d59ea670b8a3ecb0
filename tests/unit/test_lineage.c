/* test_lineage.c - column lineage of the view scanner (one case per file in
 * tests/data/view_columns: NAME.sql read, compared with NAME.expected;
 * DLA_UPDATE=1 rewrites the expected files), the static lineage of the demo
 * project (edges, column lineage, impact analysis), OpenLineage helpers
 * (namespaces without credentials, UUIDv5, ISO 8601) and allocation
 * failures. */
#include "test_util.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "arena.h"
#include "buf.h"
#include "dag.h"
#include "lineage.h"
#include "project.h"
#include "view_scan.h"

#define CASE_DIR "tests/data/view_columns"
#define NONE ((size_t)-1)

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *data;
	long size;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fseek(f, 0, SEEK_SET);
	data = malloc((size_t)size + 1);
	assert_non_null(data);
	*len = fread(data, 1, (size_t)size, f);
	data[*len] = '\0';
	fclose(f);
	return data;
}

/* The answer in the .expected format:
 *   complete yes|no
 *   L:C name lineage <- schema.relation.column, ... */
static void columns_to_text(const char *sql, size_t len, struct dla_buf *out)
{
	struct dla_arena arena = DLA_ARENA_INIT;
	struct dla_view_columns vc;
	struct dla_scan_error err;
	enum dla_code code = dla_view_columns(&arena, sql, len, &vc, &err);

	if (code == DLA_ERR_INVALID) {
		dla_buf_addf(out, "error %d:%d %s\n", err.line, err.col, err.message);
	} else {
		assert_int_equal(code, DLA_OK);
		dla_buf_addf(out, "complete %s\n", vc.complete ? "yes" : "no");
		for (size_t i = 0; i < vc.n; i++) {
			const struct dla_view_column *c = &vc.items[i];
			dla_buf_addf(out, "%d:%d %s %s <-", c->line, c->col, c->name,
				     dla_column_lineage_name(c->lineage));
			for (size_t k = 0; k < c->n_sources; k++) {
				const struct dla_column_source *s = &c->sources[k];
				dla_buf_addf(out, "%s %s%s%s.%s", k ? "," : "",
					     s->schema ? s->schema : "", s->schema ? "." : "",
					     s->relation, s->column ? s->column : "*");
			}
			dla_buf_addch(out, '\n');
		}
	}
	assert_false(dla_buf_failed(out));
	dla_arena_release(&arena);
}

static void run_case(void **state)
{
	const char *base = *state;
	char path[512];
	char *sql, *want;
	size_t len, want_len;
	struct dla_buf got = DLA_BUF_INIT;

	snprintf(path, sizeof(path), "%s/%s.sql", CASE_DIR, base);
	sql = read_file(path, &len);
	assert_non_null(sql);
	columns_to_text(sql, len, &got);
	snprintf(path, sizeof(path), "%s/%s.expected", CASE_DIR, base);
	if (getenv("DLA_UPDATE") && strcmp(getenv("DLA_UPDATE"), "1") == 0) {
		FILE *f = fopen(path, "w");
		assert_non_null(f);
		fputs(got.buf, f);
		fclose(f);
	}
	want = read_file(path, &want_len);
	if (!want)
		fail_msg("missing %s (run with DLA_UPDATE=1 and review it)", path);
	if (strcmp(want, got.buf) != 0)
		fail_msg("%s: expected\n%s\ngot\n%s", base, want, got.buf);
	free(want);
	free(sql);
	dla_buf_release(&got);
}

/* ---- the demo project --------------------------------------------------- */

struct demo {
	struct dla_project p;
	struct dla_dag dag;
	struct dla_diags diags;
	struct dla_lineage l;
};

static int demo_setup(void **state)
{
	struct demo *d = calloc(1, sizeof(*d));

	assert_non_null(d);
	dla_diags_init(&d->diags);
	assert_int_equal(dla_project_load(&d->p, ".", NULL, NULL, &d->diags), DLA_OK);
	assert_int_equal(dla_dag_build(&d->dag, &d->p, &d->diags), DLA_OK);
	assert_int_equal(dla_lineage_build(&d->l, &d->p, &d->dag), DLA_OK);
	*state = d;
	return 0;
}

static int demo_teardown(void **state)
{
	struct demo *d = *state;

	dla_lineage_release(&d->l);
	dla_dag_release(&d->dag);
	dla_project_release(&d->p);
	dla_diags_release(&d->diags);
	free(d);
	return 0;
}

static const struct dla_lineage_column *column(const struct demo *d, const char *node,
					       const char *col)
{
	size_t i = dla_dag_find(&d->dag, node);

	assert_true(i != NONE);
	for (size_t c = 0; c < d->l.nodes[i].n_columns; c++)
		if (strcmp(d->l.nodes[i].columns[c].name, col) == 0)
			return &d->l.nodes[i].columns[c];
	fail_msg("%s has no column %s", node, col);
	return NULL;
}

static bool included(const struct demo *d, const char *node)
{
	return d->l.included[dla_dag_find(&d->dag, node)];
}

static void demo_static_lineage(void **state)
{
	struct demo *d = *state;
	const struct dla_lineage_column *c;
	size_t reads = 0, exposes = 0, depends = 0;

	assert_int_equal(d->dag.n, 23);
	assert_int_equal(d->l.n_edges, 42);
	for (size_t e = 0; e < d->l.n_edges; e++) {
		reads += d->l.edges[e].kind == DLA_EDGE_READS;
		exposes += d->l.edges[e].kind == DLA_EDGE_EXPOSES;
		depends += d->l.edges[e].kind == DLA_EDGE_DEPENDS_ON;
	}
	assert_int_equal(exposes, 8);
	assert_int_equal(depends, 0);
	assert_int_equal(reads, 34);
	/* every view of the demo is understood column by column */
	for (size_t i = 0; i < d->dag.n; i++)
		if (d->dag.nodes[i].kind == DLA_NODE_VIEW ||
		    d->dag.nodes[i].kind == DLA_NODE_DIMENSION ||
		    d->dag.nodes[i].kind == DLA_NODE_FACT)
			assert_true(d->l.nodes[i].column_level);

	c = column(d, "v_customer", "full_name");
	assert_int_equal(c->kind, DLA_COL_DERIVED);
	assert_int_equal(c->n_inputs, 2);
	assert_string_equal(c->inputs[0].relation, "staging.customer");
	assert_string_equal(c->inputs[0].column, "first_name");
	c = column(d, "rpt_customer_sales", "city_at_sale");
	assert_int_equal(c->kind, DLA_COL_DIRECT);
	assert_string_equal(c->inputs[0].relation, "presentation.dim_customer");
	assert_string_equal(c->inputs[0].column, "city");
	/* a bare view name resolves to the view node */
	c = column(d, "v_ticket_sales", "venue_id");
	assert_int_equal(c->inputs[0].node, dla_dag_find(&d->dag, "v_event"));
	/* dimensions: key and attributes from the source, housekeeping generated */
	assert_int_equal(column(d, "dim_customer", "customer_sk")->kind, DLA_COL_GENERATED);
	assert_int_equal(column(d, "dim_customer", "previous_loyalty_segment")->kind,
			 DLA_COL_DERIVED);
	c = column(d, "dim_customer", "valid_from");
	assert_int_equal(c->kind, DLA_COL_DERIVED);
	assert_string_equal(c->inputs[0].column, "loaded_at");
	assert_int_equal(column(d, "dim_customer", "is_inferred")->kind, DLA_COL_GENERATED);
	/* facts: lookup keys from the dimension's surrogate key and `on` */
	c = column(d, "fact_ticket_sales", "sale_date_sk");
	assert_int_equal(c->kind, DLA_COL_DERIVED);
	assert_string_equal(c->inputs[0].relation, "presentation.dim_date");
	assert_string_equal(c->inputs[0].column, "date_sk");
	assert_string_equal(c->inputs[1].column, "sale_date");
	/* sources list what is read downstream, and are table-level */
	assert_false(d->l.nodes[dla_dag_find(&d->dag, "staging.customer")].column_level);
	assert_int_equal(column(d, "staging.customer", "tier")->kind, DLA_COL_SOURCE);
}

static void demo_impact_downstream(void **state)
{
	struct demo *d = *state;
	struct dla_buf err = DLA_BUF_INIT;

	assert_int_equal(dla_lineage_focus(&d->l, "staging.customer", DLA_LINEAGE_DOWNSTREAM,
					   &err), DLA_OK);
	assert_int_equal(d->l.n_included, 11);
	assert_true(included(d, "sales_performance"));
	assert_true(included(d, "event_attendance"));
	assert_true(included(d, "ticket_sales_datasource"));
	assert_true(included(d, "fact_attendance"));
	assert_false(included(d, "v_event"));
	assert_false(included(d, "dim_date"));
	dla_buf_release(&err);
}

static void demo_impact_upstream(void **state)
{
	struct demo *d = *state;
	struct dla_buf err = DLA_BUF_INIT;

	/* relation spellings work too */
	assert_int_equal(dla_lineage_focus(&d->l, "dla_views.rpt_event_attendance",
					   DLA_LINEAGE_UPSTREAM, &err), DLA_OK);
	assert_true(included(d, "staging.gate_scan"));
	assert_true(included(d, "fact_attendance"));
	assert_true(included(d, "v_ticket_sales"));
	assert_false(included(d, "event_attendance"));
	assert_false(included(d, "rpt_customer_sales"));
	assert_int_equal(d->l.n_included, 18);
	dla_buf_release(&err);
}

static void demo_impact_column(void **state)
{
	struct demo *d = *state;
	struct dla_buf err = DLA_BUF_INIT;

	assert_int_equal(dla_lineage_focus(&d->l, "staging.customer.city",
					   DLA_LINEAGE_DOWNSTREAM, &err), DLA_OK);
	assert_string_equal(d->l.focus_column, "city");
	assert_true(column(d, "rpt_customer_sales", "city_at_sale")->in_focus);
	assert_false(column(d, "rpt_customer_sales", "email")->in_focus);
	assert_true(included(d, "sales_performance"));
	assert_false(included(d, "fact_ticket_sales"));   /* reads only the key */
	assert_false(included(d, "event_attendance"));
	assert_int_equal(d->l.n_included, 6);
	dla_buf_release(&err);
}

static void demo_impact_column_upstream(void **state)
{
	struct demo *d = *state;
	struct dla_buf err = DLA_BUF_INIT;

	assert_int_equal(dla_lineage_focus(&d->l, "rpt_sales_by_event.net_amount",
					   DLA_LINEAGE_UPSTREAM, &err), DLA_OK);
	assert_true(column(d, "staging.ticket_sale", "discount")->in_focus);
	assert_true(column(d, "staging.ticket_sale", "unit_price")->in_focus);
	assert_false(column(d, "staging.ticket_sale", "channel")->in_focus);
	assert_false(included(d, "staging.customer"));
	dla_buf_release(&err);
}

static void demo_focus_errors(void **state)
{
	struct demo *d = *state;
	struct dla_buf err = DLA_BUF_INIT;

	assert_int_equal(dla_lineage_focus(&d->l, "dim_custmer", DLA_LINEAGE_DOWNSTREAM, &err),
			 DLA_ERR_USAGE);
	assert_string_equal(err.buf, "unknown node 'dim_custmer' (did you mean 'dim_customer'?)");
	dla_buf_reset(&err);
	assert_int_equal(dla_lineage_focus(&d->l, "v_venue.nope", DLA_LINEAGE_UPSTREAM, &err),
			 DLA_ERR_USAGE);
	assert_string_equal(err.buf, "node 'v_venue' has no column 'nope' (known: venue_id "
			    "venue_name city capacity venue_type size_class loaded_at)");
	/* nothing was narrowed */
	assert_int_equal(d->l.n_included, 23);
	dla_buf_release(&err);
}

/* ---- OpenLineage helpers -------------------------------------------------- */

static void namespaces_hold_no_credentials(void **state)
{
	struct {
		const char *dialect, *conn, *ns, *prefix;
	} cases[] = {
		{ "postgres", "Driver=PostgreSQL Unicode;Server=db.example.com;Port=6543;"
		  "Database=dw;Uid=alice;Pwd=s3cret", "postgres://db.example.com:6543", "dw." },
		{ "postgres", "Driver=PostgreSQL Unicode;Server=127.0.0.1;Database={my;db};"
		  "Pwd={p;w}", "postgres://127.0.0.1:5432", "my;db." },
		{ "snowflake", "Driver=SnowflakeDSIIDriver;Server=xy12345.eu-west-1."
		  "snowflakecomputing.com;Database=ANALYTICS;Uid=bob;Pwd=pw",
		  "snowflake://xy12345.eu-west-1", "ANALYTICS." },
		{ "snowflake", "DSN=snowflake;Uid=bob;Pwd=pw", "snowflake://snowflake", "" },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dla_target t = { "t", cases[i].dialect, cases[i].conn, { NULL, 0, 0 } };
		struct dla_buf ns = DLA_BUF_INIT, prefix = DLA_BUF_INIT;

		dla_lineage_namespace(&t, "/tmp", &ns, &prefix);
		assert_string_equal(ns.buf, cases[i].ns);
		assert_string_equal(prefix.buf, cases[i].prefix);
		assert_null(strstr(ns.buf, "alice"));
		assert_null(strstr(ns.buf, "pw"));
		dla_buf_release(&ns);
		dla_buf_release(&prefix);
	}
	{
		struct dla_target t = { "local", "sqlite",
					"Driver=SQLite3;Database=.dla/warehouse.db;PWD=x", { NULL, 0, 0 } };
		struct dla_buf ns = DLA_BUF_INIT, prefix = DLA_BUF_INIT;

		dla_lineage_namespace(&t, "/srv/project", &ns, &prefix);
		assert_string_equal(ns.buf, "sqlite:///srv/project/.dla/warehouse.db");
		assert_string_equal(prefix.buf, "");
		dla_buf_release(&ns);
		dla_buf_release(&prefix);
	}
}

static void uuid5_is_stable_and_well_formed(void **state)
{
	char a[37], b[37], c[37];
	(void)state;

	dla_uuid5("ticketing/20240311T060000000000Z-1/dim_customer", a);
	dla_uuid5("ticketing/20240311T060000000000Z-1/dim_customer", b);
	dla_uuid5("ticketing/20240311T060000000000Z-1/dim_venue", c);
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	assert_int_equal(strlen(a), 36);
	assert_int_equal(a[8], '-');
	assert_int_equal(a[14], '5');                       /* version 5 */
	assert_non_null(strchr("89ab", a[19]));             /* RFC 4122 variant */
	/* pinned: the SHA-1 of dla's namespace followed by the name
	 * (python3 -c 'import uuid; print(uuid.uuid5(uuid.UUID(
	 * "4d1a9f3e-6c2b-4f51-9a07-3c5e8d21b064"), "abc"))') */
	dla_uuid5("abc", a);
	assert_string_equal(a, "8d4507a1-d632-5ab5-8af4-971098a7b1ca");
}

static void iso8601_times(void **state)
{
	char out[40];
	(void)state;

	assert_true(dla_time_iso8601("2024-03-11 06:00:00", out));
	assert_string_equal(out, "2024-03-11T06:00:00Z");
	assert_true(dla_time_iso8601("2024-03-11 06:00:00.5", out));
	assert_string_equal(out, "2024-03-11T06:00:00.5Z");
	assert_false(dla_time_iso8601("not a time", out));
	assert_false(dla_time_iso8601(NULL, out));
}

/* ---- allocation failures ---------------------------------------------------- */

static void view_columns_survive_allocation_failures(void **state)
{
	static const char sql[] =
		"with a as (select x.id, x.v from s.x x union select y.id, y.w from s.y y)\n"
		"select a.id, upper(a.v) as v, (select 1) as one, z.* from a join s.z z on z.id = a.id";
	(void)state;

	for (unsigned long n = 1; n < 400; n++) {
		struct dla_arena arena = DLA_ARENA_INIT;
		struct dla_view_columns vc;
		enum dla_code code;

		dla_alloc_fail_after(n);
		code = dla_view_columns(&arena, sql, sizeof(sql) - 1, &vc, NULL);
		dla_alloc_fail_after(0);
		assert_true(code == DLA_OK || code == DLA_ERR_NOMEM);
		if (code == DLA_ERR_NOMEM)
			assert_int_equal(vc.n, 0);
		dla_arena_release(&arena);
		if (code == DLA_OK && n > 1)
			break;
	}
}

static void lineage_survives_allocation_failures(void **state)
{
	struct demo *d = *state;
	unsigned long n;

	for (n = 1; n < 100000; n += 7) {
		struct dla_lineage l;
		struct dla_buf err = DLA_BUF_INIT;
		enum dla_code code;

		dla_alloc_fail_after(n);
		code = dla_lineage_build(&l, &d->p, &d->dag);
		if (code == DLA_OK)
			code = dla_lineage_focus(&l, "staging.customer.city",
						 DLA_LINEAGE_DOWNSTREAM, &err);
		dla_alloc_fail_after(0);
		assert_true(code == DLA_OK || code == DLA_ERR_NOMEM);
		dla_lineage_release(&l);
		dla_buf_release(&err);
		if (code == DLA_OK)
			break;
	}
	assert_true(n < 100000);
}

/* ---- main ------------------------------------------------------------------ */

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
	struct CMUnitTest *tests;
	size_t n = 0, cap = 64;
	char **names;
	DIR *dir = opendir(CASE_DIR);
	struct dirent *e;
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test_setup_teardown(demo_static_lineage, demo_setup, demo_teardown),
		cmocka_unit_test_setup_teardown(demo_impact_downstream, demo_setup, demo_teardown),
		cmocka_unit_test_setup_teardown(demo_impact_upstream, demo_setup, demo_teardown),
		cmocka_unit_test_setup_teardown(demo_impact_column, demo_setup, demo_teardown),
		cmocka_unit_test_setup_teardown(demo_impact_column_upstream, demo_setup,
						demo_teardown),
		cmocka_unit_test_setup_teardown(demo_focus_errors, demo_setup, demo_teardown),
		cmocka_unit_test(namespaces_hold_no_credentials),
		cmocka_unit_test(uuid5_is_stable_and_well_formed),
		cmocka_unit_test(iso8601_times),
		cmocka_unit_test(view_columns_survive_allocation_failures),
		cmocka_unit_test_setup_teardown(lineage_survives_allocation_failures, demo_setup,
						demo_teardown),
	};
	int rc;

	if (!dir) {
		fprintf(stderr, "cannot open %s (run from the repository root)\n", CASE_DIR);
		return 1;
	}
	tests = calloc(cap + sizeof(fixed) / sizeof(fixed[0]), sizeof(*tests));
	names = calloc(cap, sizeof(*names));
	while ((e = readdir(dir)) != NULL) {
		size_t len = strlen(e->d_name);
		if (len < 5 || strcmp(e->d_name + len - 4, ".sql") != 0 || n == cap)
			continue;
		names[n] = strndup(e->d_name, len - 4);
		n++;
	}
	closedir(dir);
	qsort(names, n, sizeof(*names), by_name);
	for (size_t i = 0; i < n; i++) {
		tests[i].name = names[i];
		tests[i].test_func = run_case;
		tests[i].initial_state = names[i];
	}
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		tests[n + i] = fixed[i];
	rc = _cmocka_run_group_tests("test_lineage", tests,
				     n + sizeof(fixed) / sizeof(fixed[0]), NULL, NULL);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(tests);
	return rc;
}
