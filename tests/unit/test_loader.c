/* test_loader.c - the project loader (project.h) and the YAML layer
 * (yaml_doc.h): every spec kind with all keys and defaults, several
 * documents per file, anchors / aliases / merge keys, ${VAR} expansion,
 * nested models/ directories, exact diagnostics (message, line, column),
 * hardening limits (size, encoding, nesting, alias bombs) and allocation
 * failures.  Fixture: tests/data/projects/full; error cases are written to
 * temporary directories by the helpers below. */
#include "test_util.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "arena.h"
#include "diag.h"
#include "project.h"
#include "yaml_doc.h"

#define FIXTURE "tests/data/projects/full"

/* ---- temporary projects ---------------------------------------------- */

struct tp {
	char dir[64];
};

static void tp_new(struct tp *t)
{
	snprintf(t->dir, sizeof(t->dir), "/tmp/dla_test_loader_XXXXXX");
	assert_non_null(mkdtemp(t->dir));
}

static void tp_put_n(struct tp *t, const char *rel, const char *data, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", t->dir, rel);
	for (char *s = path + strlen(t->dir) + 1; *s; s++) {
		if (*s == '/') {
			*s = '\0';
			if (mkdir(path, 0755) != 0 && errno != EEXIST)
				fail_msg("mkdir %s: %s", path, strerror(errno));
			*s = '/';
		}
	}
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void tp_put(struct tp *t, const char *rel, const char *text)
{
	tp_put_n(t, rel, text, strlen(text));
}

static void rm_tree(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	char child[1024];

	if (lstat(path, &st) != 0)
		return;
	if (S_ISDIR(st.st_mode) && (d = opendir(path)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(child, sizeof(child), "%s/%s", path, de->d_name);
			rm_tree(child);
		}
		closedir(d);
		rmdir(path);
	} else {
		unlink(path);
	}
}

static void tp_rm(struct tp *t)
{
	rm_tree(t->dir);
}

/* ---- loading and checking diagnostics --------------------------------- */

/* env is a NULL-terminated list of "NAME=value" strings. */
static const char *test_env(const char *name, void *ctx)
{
	const char *const *env = ctx;
	size_t len = strlen(name);

	for (; env && *env; env++)
		if (strncmp(*env, name, len) == 0 && (*env)[len] == '=')
			return *env + len + 1;
	return NULL;
}

struct loaded {
	struct dla_project p;
	struct dla_diags d;
	enum dla_code rc;
};

static const char *const no_env[] = { NULL };

static void load_env(struct loaded *l, const char *dir, const char *const *env)
{
	dla_diags_init(&l->d);
	l->rc = dla_project_load(&l->p, dir, test_env, (void *)env, &l->d);
	dla_diags_sort(&l->d);
}

static void load(struct loaded *l, const char *dir)
{
	load_env(l, dir, no_env);
}

static void unload(struct loaded *l)
{
	dla_project_release(&l->p);
	dla_diags_release(&l->d);
}

static void dump(const struct dla_diags *d)
{
	for (size_t i = 0; i < d->n; i++)
		fprintf(stderr, "  %s:%d:%d: %s: %s\n", d->items[i].file, d->items[i].line,
			d->items[i].col, d->items[i].severity == DLA_SEV_ERROR ? "error" : "warning",
			d->items[i].message);
}

static bool has_diag(const struct dla_diags *d, enum dla_severity sev, const char *file,
		     int line, int col, const char *msg)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct dla_diag *x = &d->items[i];
		if (x->severity == sev && strcmp(x->file, file) == 0 && x->line == line &&
		    x->col == col && strcmp(x->message, msg) == 0)
			return true;
	}
	return false;
}

static void expect_sev(const struct dla_diags *d, enum dla_severity sev, const char *file,
		       int line, int col, const char *msg)
{
	if (!has_diag(d, sev, file, line, col, msg)) {
		fprintf(stderr, "missing diagnostic %s:%d:%d: %s\ngot:\n", file, line, col, msg);
		dump(d);
		fail();
	}
}

#define expect(d, file, line, col, msg) expect_sev((d), DLA_SEV_ERROR, file, line, col, msg)
#define expect_warning(d, file, line, col, msg) \
	expect_sev((d), DLA_SEV_WARNING, file, line, col, msg)

static void expect_counts(const struct dla_diags *d, size_t errors, size_t warnings)
{
	if (d->n_errors != errors || d->n_warnings != warnings) {
		fprintf(stderr, "expected %zu errors, %zu warnings; got:\n", errors, warnings);
		dump(d);
		fail();
	}
}

/* Loads a project made of dla.yml "name: t" plus one model file. */
static void load_model(struct loaded *l, const char *yaml)
{
	struct tp t;

	tp_new(&t);
	tp_put(&t, "dla.yml", "name: t\n");
	tp_put(&t, "models/m.yml", yaml);
	load(l, t.dir);
	tp_rm(&t);
}

/* One model file expected to give exactly one error. */
static void model_error(const char *yaml, int line, int col, const char *msg)
{
	struct loaded l;

	load_model(&l, yaml);
	expect(&l.d, "models/m.yml", line, col, msg);
	expect_counts(&l.d, 1, 0);
	assert_int_equal(l.rc, DLA_ERR_INVALID);
	unload(&l);
}

/* dla.yml expected to give exactly one error. */
static void project_error(const char *yaml, int line, int col, const char *msg)
{
	struct loaded l;
	struct tp t;

	tp_new(&t);
	tp_put(&t, "dla.yml", yaml);
	load(&l, t.dir);
	tp_rm(&t);
	expect(&l.d, "dla.yml", line, col, msg);
	expect_counts(&l.d, 1, 0);
	unload(&l);
}

static const struct dla_dimension *find_dim(const struct dla_project *p, const char *name)
{
	for (size_t i = 0; i < p->n_dimensions; i++)
		if (strcmp(p->dimensions[i].name, name) == 0)
			return &p->dimensions[i];
	fail_msg("no dimension %s", name);
	return NULL;
}

static const struct dla_fact *find_fact(const struct dla_project *p, const char *name)
{
	for (size_t i = 0; i < p->n_facts; i++)
		if (strcmp(p->facts[i].name, name) == 0)
			return &p->facts[i];
	fail_msg("no fact %s", name);
	return NULL;
}

static const struct dla_column_spec *find_col(const struct dla_dimension *d, const char *name)
{
	for (size_t i = 0; i < d->n_columns; i++)
		if (strcmp(d->columns[i].name, name) == 0)
			return &d->columns[i];
	fail_msg("no column %s", name);
	return NULL;
}

static void assert_names(const struct dla_names *n, const char *const *expected, size_t count)
{
	assert_int_equal(n->n, count);
	for (size_t i = 0; i < count; i++)
		assert_string_equal(n->items[i], expected[i]);
}

#define NAMES(n, ...) do { \
		const char *const exp_[] = { __VA_ARGS__ }; \
		assert_names((n), exp_, sizeof(exp_) / sizeof(exp_[0])); \
	} while (0)

/* ---- the full fixture ------------------------------------------------- */

static const char *const fixture_env[] = { "PGUSER=loader", "PGPASSWORD=s3cret!", NULL };

static void fixture_project_settings(void **state)
{
	struct loaded l;
	const struct dla_target *t;
	(void)state;

	load_env(&l, FIXTURE, fixture_env);
	if (l.d.n)
		dump(&l.d);
	assert_int_equal(l.rc, DLA_OK);
	assert_int_equal(l.d.n, 0);
	assert_string_equal(l.p.name, "ticketing");
	assert_string_equal(l.p.dir, FIXTURE);
	assert_string_equal(l.p.default_target, "pg");
	assert_string_equal(l.p.default_schema, "presentation");
	assert_string_equal(l.p.views_schema, "dla_views");
	assert_string_equal(l.p.metadata_schema, "meta");
	assert_null(l.p.open_end);
	assert_int_equal(l.p.lock_lease_s, 900);
	assert_int_equal(l.p.threads, 8);
	assert_string_equal(l.p.hk.valid_from, "row_from");
	assert_string_equal(l.p.hk.valid_to, "row_to");
	assert_string_equal(l.p.hk.is_current, "current_flag");
	assert_string_equal(l.p.hk.is_deleted, "deleted_flag");
	assert_string_equal(l.p.hk.is_inferred, "inferred_flag");
	assert_string_equal(l.p.hk.run_id, "load_run");
	assert_string_equal(l.p.hk.updated_at, "touched_at");
	assert_string_equal(l.p.hk.loaded_at, "inserted_at");
	assert_int_equal(l.p.n_targets, 2);
	t = dla_project_target(&l.p, NULL);
	assert_non_null(t);
	assert_string_equal(t->name, "pg");
	assert_string_equal(t->dialect, "postgres");
	assert_string_equal(t->connection, "Server=127.0.0.1;Uid=loader;Pwd=s3cret!");
	assert_int_equal(t->loc.line, 26);
	assert_int_equal(t->loc.col, 3);
	t = dla_project_target(&l.p, "local");
	assert_non_null(t);
	assert_string_equal(t->dialect, "sqlite");   /* from the merge key */
	assert_string_equal(t->connection, "Driver=SQLite3;Database=.dla/warehouse.db");
	assert_null(dla_project_target(&l.p, "prod"));
	assert_int_equal(l.p.n_model_files, 4);
	unload(&l);
}

static void fixture_sources_and_views(void **state)
{
	struct loaded l;
	const struct dla_source *s;
	const struct dla_view *v;
	(void)state;

	load_env(&l, FIXTURE, fixture_env);
	assert_int_equal(l.rc, DLA_OK);
	/* files in path order: dims/customer.yml, dims/nested/more.yaml,
	 * facts/sales.yml, sources.yml */
	assert_int_equal(l.p.n_sources, 3);
	s = &l.p.sources[0];
	assert_string_equal(s->relation, "staging.venue");
	s = &l.p.sources[1];
	assert_string_equal(s->name, "customer");
	assert_string_equal(s->schema, "staging");
	assert_string_equal(s->relation, "staging.customer");
	assert_string_equal(s->seed, "seeds/customer.csv");
	assert_string_equal(s->description, "customers");
	NAMES(&s->tags, "staging", "nightly");
	assert_true(s->freshness.set);
	assert_string_equal(s->freshness.column, "loaded_at");
	assert_int_equal(s->freshness.warn_after_s, 6 * 3600);
	assert_int_equal(s->freshness.error_after_s, 86400);
	assert_string_equal(s->loc.file, "models/sources.yml");
	assert_int_equal(s->loc.line, 2);
	assert_int_equal(s->loc.col, 11);
	s = &l.p.sources[2];
	assert_string_equal(s->relation, "staging.ticket_sale");
	assert_null(s->seed);
	NAMES(&s->tags, "staging", "nightly");   /* alias */
	assert_int_equal(s->freshness.warn_after_s, 0);
	assert_int_equal(s->freshness.error_after_s, 90 * 60);

	assert_int_equal(l.p.n_views, 4);
	v = &l.p.views[0];
	assert_string_equal(v->name, "v_customer");
	assert_string_equal(v->path, "views/v_customer.sql");
	assert_int_equal(v->loc.line, 1);
	assert_true(strncmp(v->sql, "-- dla:", 7) == 0);
	assert_int_equal(v->sql_len, strlen(v->sql));
	NAMES(&v->tags, "daily", "finance");
	assert_int_equal(v->n_refs, 1);
	assert_string_equal(v->refs[0].schema, "staging");
	assert_string_equal(v->refs[0].name, "customer");
	assert_string_equal(l.p.views[1].name, "v_event");
	assert_string_equal(l.p.views[2].name, "v_ticket_sales");
	assert_string_equal(l.p.views[3].name, "v_venue");
	assert_int_equal(l.p.views[2].n_refs, 2);
	assert_int_equal(l.p.views[2].tags.n, 0);
	unload(&l);
}

static void fixture_dimensions(void **state)
{
	struct loaded l;
	const struct dla_dimension *d;
	const struct dla_column_spec *c;
	(void)state;

	load_env(&l, FIXTURE, fixture_env);
	assert_int_equal(l.rc, DLA_OK);
	assert_int_equal(l.p.n_dimensions, 5);
	d = find_dim(&l.p, "dim_customer");
	assert_string_equal(d->schema, "presentation");
	assert_string_equal(d->source, "v_customer");
	assert_int_equal(d->source_loc.line, 4);
	assert_int_equal(d->source_loc.col, 9);
	NAMES(&d->business_key, "customer_id");
	assert_int_equal(d->business_key.locs[0].line, 6);
	assert_int_equal(d->business_key.locs[0].col, 16);
	assert_string_equal(d->surrogate_key, "customer_key");
	assert_int_equal(d->scd, DLA_SCD_2);
	assert_int_equal(d->n_columns, 6);
	c = find_col(d, "email");
	assert_int_equal(c->scd, DLA_SCD_1);
	assert_null(c->previous);
	assert_null(c->current);
	assert_int_equal(c->loc.line, 10);
	assert_int_equal(c->loc.col, 3);
	c = find_col(d, "tier");
	assert_int_equal(c->scd, DLA_SCD_3);
	assert_string_equal(c->previous, "previous_tier");
	c = find_col(d, "city");
	assert_int_equal(c->scd, DLA_SCD_6);
	assert_string_equal(c->current, "current_city");
	c = find_col(d, "segment");
	assert_string_equal(c->previous, "previous_segment");
	c = find_col(d, "country");
	assert_string_equal(c->current, "current_country");
	c = find_col(d, "nickname");
	assert_int_equal(c->scd, DLA_SCD_2);   /* the dimension's default */
	assert_string_equal(d->effective_from, "changed_at");
	assert_int_equal(d->source_mode, DLA_MODE_DELTA);
	assert_int_equal(d->on_delete, DLA_ON_DELETE_IGNORE);
	assert_string_equal(d->delete_when, "op = 'D'");
	assert_int_equal(d->delete_when_loc.line, 19);
	assert_int_equal(d->delete_when_loc.col, 14);
	assert_false(d->unknown_member);
	NAMES(&d->drop, "op");
	NAMES(&d->tags, "daily");
	NAMES(&d->depends_on, "dim_date");
	assert_string_equal(d->description, "ticket buyers");
	assert_string_equal(d->loc.file, "models/dims/customer.yml");
	assert_int_equal(d->loc.line, 2);
	assert_int_equal(d->loc.col, 12);

	/* second document: defaults everywhere, schema from default_schema */
	d = find_dim(&l.p, "dim_date");
	assert_string_equal(d->schema, "presentation");
	assert_string_equal(d->source, "staging.ticket_sale");
	assert_string_equal(d->surrogate_key, "date_sk");
	assert_int_equal(d->scd, DLA_SCD_1);
	assert_int_equal(d->n_columns, 0);
	assert_null(d->effective_from);
	assert_int_equal(d->source_mode, DLA_MODE_SNAPSHOT);
	assert_int_equal(d->on_delete, DLA_ON_DELETE_IGNORE);
	assert_null(d->delete_when);
	assert_true(d->unknown_member);
	assert_int_equal(d->tags.n, 0);
	assert_int_equal(d->loc.line, 25);

	/* dimensions: list with merge keys */
	d = find_dim(&l.p, "dim_venue");
	assert_string_equal(d->schema, "presentation");
	assert_int_equal(d->scd, DLA_SCD_2);
	NAMES(&d->tags, "daily");
	assert_string_equal(d->loc.file, "models/dims/nested/more.yaml");
	d = find_dim(&l.p, "DIM_Event");
	assert_int_equal(d->scd, DLA_SCD_0);           /* own key wins */
	assert_int_equal(d->on_delete, DLA_ON_DELETE_CLOSE);   /* second merge source */
	assert_string_equal(d->surrogate_key, "Event_sk");
	NAMES(&d->business_key, "event_id", "edition");
	/* single spec next to a sources: list */
	d = find_dim(&l.p, "dim_geo");
	assert_int_equal(d->on_delete, DLA_ON_DELETE_CLOSE);
	assert_string_equal(d->schema, "presentation");
	unload(&l);
}

static void fixture_facts_and_exposures(void **state)
{
	struct loaded l;
	const struct dla_fact *f;
	const struct dla_exposure *e;
	(void)state;

	load_env(&l, FIXTURE, fixture_env);
	assert_int_equal(l.rc, DLA_OK);
	assert_int_equal(l.p.n_facts, 2);
	f = find_fact(&l.p, "fact_ticket_sales");
	assert_string_equal(f->schema, "presentation");
	assert_string_equal(f->source, "v_ticket_sales");
	NAMES(&f->grain, "order_id", "line_no");
	assert_int_equal(f->load, DLA_LOAD_INCREMENTAL);
	assert_string_equal(f->incremental_column, "sold_at");
	assert_int_equal(f->lookback_s, 3 * 86400);
	assert_null(f->partition_column);
	assert_int_equal(f->n_lookups, 3);
	assert_string_equal(f->lookups[0].dimension, "dim_customer");
	assert_int_equal(f->lookups[0].n_on, 1);
	assert_string_equal(f->lookups[0].on[0].fact_column, "customer_id");
	assert_string_equal(f->lookups[0].on[0].dim_column, "customer_id");
	assert_string_equal(f->lookups[0].as_of, "sold_at");
	assert_string_equal(f->lookups[0].key, "customer_key");
	assert_int_equal(f->lookups[0].on_missing, DLA_MISSING_INFER);
	assert_int_equal(f->lookups[0].loc.line, 11);
	assert_int_equal(f->lookups[0].loc.col, 20);
	assert_string_equal(f->lookups[1].on[0].fact_column, "sale_date");
	assert_string_equal(f->lookups[1].on[0].dim_column, "date_id");
	assert_null(f->lookups[1].as_of);
	assert_int_equal(f->lookups[1].on_missing, DLA_MISSING_UNKNOWN);
	assert_int_equal(f->lookups[2].on_missing, DLA_MISSING_FAIL);
	NAMES(&f->drop, "etl_batch");
	NAMES(&f->tags, "daily", "finance");
	NAMES(&f->depends_on, "dim_venue", "staging.customer");
	assert_string_equal(f->description, "one row per order line");

	f = find_fact(&l.p, "fact_refunds");
	assert_string_equal(f->schema, "presentation");
	assert_int_equal(f->load, DLA_LOAD_DELETE_INSERT);
	assert_string_equal(f->partition_column, "refund_date");
	assert_int_equal(f->lookback_s, 0);
	assert_null(f->lookups[0].key);                /* resolved by the DAG */
	assert_int_equal(f->lookups[0].on_missing, DLA_MISSING_UNKNOWN);

	assert_int_equal(l.p.n_exposures, 2);
	e = &l.p.exposures[0];
	assert_string_equal(e->name, "sales_dashboard");
	assert_int_equal(e->type, DLA_EXPOSURE_TABLEAU_WORKBOOK);
	assert_string_equal(e->url, "https://tableau.example.com/#/views/Sales");
	assert_string_equal(e->owner, "analytics@example.com");
	assert_string_equal(e->description, "sales");
	NAMES(&e->depends_on, "fact_ticket_sales", "dim_customer");
	NAMES(&e->tags, "tableau");
	e = &l.p.exposures[1];
	assert_int_equal(e->type, DLA_EXPOSURE_OTHER);
	assert_null(e->url);
	unload(&l);
}

/* ---- defaults and shapes ---------------------------------------------- */

static void minimal_project_defaults(void **state)
{
	struct loaded l;
	struct tp t;
	const struct dla_target *target;
	(void)state;

	tp_new(&t);
	tp_put(&t, "dla.yml", "name: t\n");
	tp_put(&t, "models/d.yml",
	       "dimension: dim_customer\nschema: p\nsource: v_c\nbusiness_key: [id]\n"
	       "---\n"
	       "fact: f\nschema: p\nsource: v_c\ngrain: [id]\n"
	       "lookups:\n  - {dimension: dim_customer, on: {cid: id}}\n"
	       "---\n"
	       "exposures:\n  - {name: e, type: tableau_datasource}\n");
	load(&l, t.dir);
	tp_rm(&t);
	expect_counts(&l.d, 0, 0);
	assert_int_equal(l.rc, DLA_OK);
	assert_string_equal(l.p.views_schema, "dla_views");
	assert_string_equal(l.p.metadata_schema, "dla_meta");
	assert_string_equal(l.p.open_end, "9999-12-31 00:00:00");
	assert_null(l.p.default_schema);
	assert_string_equal(l.p.hk.valid_from, "valid_from");
	assert_string_equal(l.p.hk.valid_to, "valid_to");
	assert_string_equal(l.p.hk.is_current, "is_current");
	assert_string_equal(l.p.hk.is_deleted, "is_deleted");
	assert_string_equal(l.p.hk.is_inferred, "is_inferred");
	assert_string_equal(l.p.hk.run_id, "dla_run_id");
	assert_string_equal(l.p.hk.updated_at, "dla_updated_at");
	assert_string_equal(l.p.hk.loaded_at, "dla_loaded_at");
	assert_int_equal(l.p.lock_lease_s, 600);
	assert_int_equal(l.p.threads, 4);
	/* no targets: the embedded SQLite default */
	assert_int_equal(l.p.n_targets, 1);
	target = dla_project_target(&l.p, NULL);
	assert_non_null(target);
	assert_string_equal(target->name, "local");
	assert_string_equal(target->dialect, "sqlite");
	assert_string_equal(target->connection, "Driver=SQLite3;Database=.dla/warehouse.db");
	assert_string_equal(l.p.dimensions[0].surrogate_key, "customer_sk");
	assert_int_equal(l.p.dimensions[0].scd, DLA_SCD_1);
	assert_int_equal(l.p.dimensions[0].source_mode, DLA_MODE_SNAPSHOT);
	assert_int_equal(l.p.dimensions[0].on_delete, DLA_ON_DELETE_IGNORE);
	assert_true(l.p.dimensions[0].unknown_member);
	assert_int_equal(l.p.facts[0].load, DLA_LOAD_MERGE);
	assert_int_equal(l.p.facts[0].lookups[0].on_missing, DLA_MISSING_UNKNOWN);
	assert_int_equal(l.p.exposures[0].type, DLA_EXPOSURE_TABLEAU_DATASOURCE);
	assert_int_equal(l.p.n_views, 0);
	unload(&l);
}

static void open_end_and_durations(void **state)
{
	struct loaded l;
	struct tp t;
	(void)state;

	tp_new(&t);
	/* with a byte order mark and CRLF line ends */
	tp_put(&t, "dla.yml", "\xef\xbb\xbfname: t\r\nopen_end: 2999-12-31\r\nlock_lease: 1h 30min\r\n");
	load(&l, t.dir);
	tp_rm(&t);
	expect_counts(&l.d, 0, 0);
	assert_string_equal(l.p.open_end, "2999-12-31 00:00:00");
	assert_int_equal(l.p.lock_lease_s, 5400);
	unload(&l);
}

static void models_sorted_recursively(void **state)
{
	struct loaded l;
	struct tp t;
	(void)state;

	tp_new(&t);
	tp_put(&t, "dla.yml", "name: t\n");
	tp_put(&t, "models/b/z.yml", "sources: [{name: s3, schema: x}]\n");
	tp_put(&t, "models/b/a/deep/er.yaml", "sources: [{name: s2, schema: x}]\n");
	tp_put(&t, "models/a.yml", "sources: [{name: s1, schema: x}]\n");
	tp_put(&t, "models/c.yaml", "sources: [{name: s4, schema: x}]\n");
	tp_put(&t, "models/notes.txt", "not: yaml: at all: [\n");
	tp_put(&t, "models/.hidden.yml", "bad: [\n");
	tp_put(&t, "views/sub/v_ignored.sql", "select 1\n");
	load(&l, t.dir);
	tp_rm(&t);
	expect_counts(&l.d, 0, 0);
	assert_int_equal(l.p.n_model_files, 4);
	assert_int_equal(l.p.n_sources, 4);
	assert_string_equal(l.p.sources[0].name, "s1");
	assert_string_equal(l.p.sources[1].name, "s2");
	assert_string_equal(l.p.sources[2].name, "s3");
	assert_string_equal(l.p.sources[3].name, "s4");
	assert_string_equal(l.p.sources[1].loc.file, "models/b/a/deep/er.yaml");
	assert_int_equal(l.p.n_views, 0);
	unload(&l);
}

static void env_expansion_in_project_file(void **state)
{
	static const char *const env[] = { "SCHEMA=from_env", "EMPTY=", "N=12", NULL };
	struct loaded l;
	struct tp t;
	(void)state;

	tp_new(&t);
	tp_put(&t, "dla.yml",
	       "name: ${NAME:-defaulted}\n"
	       "views_schema: ${SCHEMA}\n"
	       "metadata_schema: ${EMPTY:-meta_${SCHEMA}}\n"
	       "threads: \"${N}\"\n"
	       "targets:\n"
	       "  local:\n"
	       "    dialect: sqlite\n"
	       "    connection: 'a=$${SCHEMA};b=${EMPTY};c=$x'\n");
	load_env(&l, t.dir, env);
	tp_rm(&t);
	expect_counts(&l.d, 0, 0);
	assert_string_equal(l.p.name, "defaulted");
	assert_string_equal(l.p.views_schema, "from_env");
	assert_string_equal(l.p.metadata_schema, "meta_from_env");
	assert_int_equal(l.p.threads, 12);
	assert_string_equal(l.p.targets[0].connection, "a=${SCHEMA};b=;c=$x");
	unload(&l);
}

static void missing_variable_never_leaks_secrets(void **state)
{
	static const char *const env[] = { "PGPASSWORD=hunter2-secret", NULL };
	struct loaded l;
	struct tp t;
	(void)state;

	tp_new(&t);
	tp_put(&t, "dla.yml",
	       "name: t\n"
	       "default_target: pg\n"
	       "targets:\n"
	       "  pg:\n"
	       "    dialect: postgres\n"
	       "    connection: \"Uid=${PGUSER};Pwd=${PGPASSWORD}\"\n"
	       "  other:\n"
	       "    dialect: postgress\n"
	       "    connection: {Pwd: \"${PGPASSWORD}\"}\n");
	load_env(&l, t.dir, env);
	tp_rm(&t);
	expect(&l.d, "dla.yml", 6, 17, "undefined environment variable 'PGUSER'");
	expect(&l.d, "dla.yml", 8, 14, "unknown dialect 'postgress' (did you mean 'postgres'?)");
	expect(&l.d, "dla.yml", 9, 17, "'connection' must be a string");
	expect_counts(&l.d, 3, 0);   /* no "unknown target 'pg'" follow-up */
	for (size_t i = 0; i < l.d.n; i++)
		assert_null(strstr(l.d.items[i].message, "hunter2"));
	unload(&l);
}

static void anchors_aliases_merge(void **state)
{
	struct loaded l;
	(void)state;

	load_model(&l,
		   "x-base: &base {schema: p, scd: 2, business_key: [id]}\n"
		   "x-more: &more {tags: [t1], scd: 3}\n"
		   "dimensions:\n"
		   "  - <<: *base\n"
		   "    dimension: dim_a\n"
		   "    source: v\n"
		   "  - <<: [*more, *base]\n"
		   "    dimension: dim_b\n"
		   "    source: &src v2\n"
		   "  - dimension: dim_c\n"
		   "    <<: *base\n"
		   "    schema: q\n"
		   "    source: *src\n");
	expect_counts(&l.d, 0, 0);
	assert_int_equal(l.p.n_dimensions, 3);
	assert_int_equal(l.p.dimensions[0].scd, DLA_SCD_2);
	assert_string_equal(l.p.dimensions[0].schema, "p");
	assert_int_equal(l.p.dimensions[1].scd, DLA_SCD_3);   /* earlier merge wins */
	NAMES(&l.p.dimensions[1].tags, "t1");
	assert_string_equal(l.p.dimensions[2].schema, "q");  /* own key wins */
	assert_string_equal(l.p.dimensions[2].source, "v2");
	NAMES(&l.p.dimensions[2].business_key, "id");
	unload(&l);
}

/* ---- diagnostics: keys, types, identifiers ---------------------------- */

#define DIM_HEAD "dimension: dim_x\nschema: p\nsource: v\n"

static void unknown_keys_suggest(void **state)
{
	(void)state;
	model_error(DIM_HEAD "business_key: [id]\ncolums: {}\n", 5, 1,
		    "unknown key 'colums' (did you mean 'columns'?)");
	model_error(DIM_HEAD "business_key: [id]\nfrobnicate: 1\n", 5, 1,
		    "unknown key 'frobnicate'");
	model_error("sourcs:\n  - {name: a, schema: b}\n", 1, 1,
		    "unknown key 'sourcs' (did you mean 'sources'?)");
	model_error("sources:\n  - {name: a, schema: b, sed: x.csv}\n", 2, 26,
		    "unknown key 'sed' (did you mean 'seed'?)");
	model_error(DIM_HEAD "business_key: [id]\ncolumns:\n  tier: {scd: 3, prevous: p}\n", 6, 18,
		    "unknown key 'prevous' (did you mean 'previous'?)");
	project_error("name: t\nview_schema: v\n", 2, 1,
		      "unknown key 'view_schema' (did you mean 'views_schema'?)");
}

static void wrong_types(void **state)
{
	(void)state;
	model_error(DIM_HEAD "business_key: customer_id\n", 4, 15,
		    "'business_key' must be a list of column names");
	model_error(DIM_HEAD "business_key: [id, [a]]\n", 4, 20,
		    "'business_key' must be a list of column names");
	model_error(DIM_HEAD "business_key: [id]\nscd: 4\n", 5, 6,
		    "'scd' must be one of 0, 1, 2, 3, 6");
	model_error(DIM_HEAD "business_key: [id]\nscd: two\n", 5, 6,
		    "'scd' must be one of 0, 1, 2, 3, 6");
	model_error(DIM_HEAD "business_key: [id]\ncolumns:\n  tier: {scd: 5}\n", 6, 15,
		    "'scd' must be one of 0, 1, 2, 3, 6");
	model_error(DIM_HEAD "business_key: [id]\nunknown_member: maybe\n", 5, 17,
		    "'unknown_member' must be true or false");
	model_error(DIM_HEAD "business_key: [id]\ntags: daily\n", 5, 7,
		    "'tags' must be a list of tags");
	model_error(DIM_HEAD "business_key: [id]\nsurrogate_key: [a]\n", 5, 16,
		    "'surrogate_key' must be a string");
	model_error(DIM_HEAD "business_key: [id]\ncolumns: [email]\n", 5, 10,
		    "'columns' must be a mapping of column names to settings");
	model_error(DIM_HEAD "business_key: [id]\ncolumns:\n  email: 1\n", 6, 10,
		    "override of column 'email' must be a mapping like {scd: 2}");
	model_error("fact: f\nschema: p\nsource: v\ngrain: [id]\nlookback: 3 fortnights\n", 5, 11,
		    "'lookback' must be a duration like '30s', '90 min', '6h' or '3 days'");
	model_error("fact: f\nschema: p\nsource: v\ngrain: [id]\nlookups: {a: 1}\n", 5, 10,
		    "'lookups' must be a list of mappings");
	model_error("fact: f\nschema: p\nsource: v\ngrain: [id]\n"
		    "lookups:\n  - dimension: d\n    on: [a]\n", 7, 9,
		    "'on' must be a mapping of fact columns to dimension columns");
	model_error("sources: {name: a}\n", 1, 10, "'sources' must be a list of mappings");
	model_error("- a\n- b\n", 1, 1, "a models document must be a mapping (with 'sources', "
		    "'dimensions', 'facts', 'exposures', 'dimension' or 'fact')");
	project_error("name: t\nthreads: many\n", 2, 10,
		      "'threads' must be an integer between 1 and 256");
	project_error("name: t\nopen_end: someday\n", 2, 11,
		      "'open_end' must be a timestamp 'YYYY-MM-DD HH:MM:SS' or null");
	project_error("name: t\nlock_lease: forever\n", 2, 13,
		      "'lock_lease' must be a duration like '30s', '90 min', '6h' or '3 days'");
	project_error("name: t\ncolumns:\n  run_id: VALID_FROM\n", 3, 11,
		      "column name 'VALID_FROM' is used for both 'valid_from' and 'run_id'");
	project_error("name: t\ncolumns:\n  valid_to: x\n  loaded_at: x\n", 4, 14,
		      "column name 'x' is used for both 'valid_to' and 'loaded_at'");
	project_error("name: t\ntargets: [a]\n", 2, 10,
		      "'targets' must be a mapping of target names to settings");
}

static void missing_required_keys(void **state)
{
	(void)state;
	model_error("dimension: dim_x\nschema: p\nsource: v\n", 1, 12,
		    "dimension 'dim_x' is missing required key 'business_key'");
	model_error("dimension: dim_x\nschema: p\nbusiness_key: [a]\n", 1, 12,
		    "dimension 'dim_x' is missing required key 'source'");
	model_error("dimension: dim_x\nsource: v\nbusiness_key: [a]\n", 1, 12,
		    "dimension 'dim_x' is missing required key 'schema'");
	model_error("dimensions:\n  - {schema: p, source: v, business_key: [a]}\n", 2, 5,
		    "dimension is missing required key 'dimension'");
	model_error("fact: f\nschema: p\nsource: v\n", 1, 7,
		    "fact 'f' is missing required key 'grain'");
	model_error("fact: f\nschema: p\nsource: v\ngrain: [a]\nlookups:\n  - dimension: d\n",
		    6, 16, "lookup of 'd' is missing required key 'on'");
	model_error("sources:\n  - name: s\n", 2, 11, "source 's' is missing required key 'schema'");
	model_error("sources:\n  - schema: s\n", 2, 5, "source is missing required key 'name'");
	model_error("exposures:\n  - name: e\n", 2, 11, "exposure 'e' is missing required key 'type'");
	model_error("sources:\n  - name: s\n    schema: x\n    freshness: {warn_after: 1h}\n",
		    4, 16, "'freshness' is missing required key 'column'");
	model_error("sources:\n  - name: s\n    schema: x\n    freshness: {column: c}\n",
		    4, 16, "'freshness' needs 'warn_after' or 'error_after'");
	project_error("views_schema: v\n", 1, 1, "project file is missing required key 'name'");
	project_error("name: t\ntargets:\n  pg:\n    dialect: postgres\n", 3, 3,
		      "target 'pg' is missing required key 'connection'");
	project_error("name: t\ntargets:\n  a: {dialect: sqlite, connection: x}\n"
		      "  b: {dialect: sqlite, connection: y}\n", 1, 1,
		      "project file is missing required key 'default_target' "
		      "(several targets are defined)");
}

static void invalid_identifiers(void **state)
{
	(void)state;
	model_error("dimension: \"dim_x; drop table y\"\nschema: p\nsource: v\nbusiness_key: [a]\n",
		    1, 12, "invalid identifier 'dim_x; drop table y' (use letters, digits and _; "
		    "start with a letter or _)");
	model_error(DIM_HEAD "business_key: [1abc]\n", 4, 16,
		    "invalid identifier '1abc' (use letters, digits and _; start with a letter or _)");
	model_error(DIM_HEAD "business_key: [id]\ntags: [ok, not-ok]\n", 5, 12,
		    "invalid identifier 'not-ok' (use letters, digits and _; start with a letter or _)");
	model_error("dimension: dim_x\nschema: p\nsource: a.b.c\nbusiness_key: [id]\n", 3, 9,
		    "invalid name 'a.b.c' (use name or schema.name with letters, digits and _)");
	project_error("name: t\ntargets:\n  my-target: {dialect: sqlite, connection: x}\n", 3, 3,
		      "invalid identifier 'my-target' (use letters, digits and _; start with a "
		      "letter or _)");
}

static void enums_suggest(void **state)
{
	(void)state;
	model_error("fact: f\nschema: p\nsource: v\ngrain: [id]\nload: merg\n", 5, 7,
		    "unknown load 'merg' (did you mean 'merge'?)");
	model_error("fact: f\nschema: p\nsource: v\ngrain: [id]\nload: upsert\n", 5, 7,
		    "unknown load 'upsert' (expected one of append, merge, incremental, "
		    "delete_insert, replace)");
	model_error(DIM_HEAD "business_key: [id]\nsource_mode: snapshots\n", 5, 14,
		    "unknown source_mode 'snapshots' (did you mean 'snapshot'?)");
	model_error(DIM_HEAD "business_key: [id]\non_delete: clos\n", 5, 12,
		    "unknown on_delete 'clos' (did you mean 'close'?)");
	model_error("fact: f\nschema: p\nsource: v\ngrain: [id]\n"
		    "lookups:\n  - {dimension: d, on: {a: b}, on_missing: infered}\n", 6, 44,
		    "unknown on_missing 'infered' (did you mean 'infer'?)");
	model_error("exposures:\n  - {name: e, type: tableau}\n", 2, 21,
		    "unknown exposure type 'tableau' (expected one of tableau_workbook, "
		    "tableau_datasource, other)");
	project_error("name: t\ntargets:\n  pg: {dialect: postgresql, connection: x}\n", 3, 17,
		      "unknown dialect 'postgresql' (did you mean 'postgres'?)");
	project_error("name: t\ndefault_target: lokal\n", 2, 17,
		      "unknown target 'lokal' (did you mean 'local'?)");
}

static void scd_column_rules(void **state)
{
	(void)state;
	model_error(DIM_HEAD "business_key: [id]\ncolumns:\n  email: {scd: 1, previous: old_email}\n",
		    6, 19, "'previous' is only valid for scd 3 columns");
	model_error(DIM_HEAD "business_key: [id]\nscd: 2\ncolumns:\n  city: {current: c}\n",
		    7, 10, "'current' is only valid for scd 6 columns");
	model_error(DIM_HEAD "business_key: [id]\ncolumns:\n  ID: {scd: 2}\n", 6, 3,
		    "cannot override business key column 'ID'");
	model_error(DIM_HEAD "business_key: [id]\neffective_from: ts\ncolumns:\n  ts: {scd: 1}\n",
		    7, 3, "cannot override effective_from column 'ts'");
	model_error(DIM_HEAD "business_key: [id]\ndrop: [op]\ncolumns:\n  op: {scd: 1}\n",
		    7, 3, "cannot override dropped column 'op'");
	model_error(DIM_HEAD "business_key: [id]\ndrop: [id]\n", 5, 8,
		    "cannot drop business key column 'id'");
	model_error(DIM_HEAD "business_key: [id]\ncolumns:\n  a: {scd: 1}\n  A: {scd: 2}\n",
		    7, 3, "column 'A' listed twice in 'columns'");
}

static void mode_rules(void **state)
{
	struct loaded l;
	(void)state;

	model_error(DIM_HEAD "business_key: [id]\ndelete_when: op = 'D'\n", 5, 1,
		    "'delete_when' is only valid with source_mode delta");
	model_error(DIM_HEAD "business_key: [id]\nsource_mode: delta\non_delete: close\n", 6, 12,
		    "'on_delete: close' is only valid with source_mode snapshot (in delta mode "
		    "use 'delete_when')");
	model_error("fact: f\nschema: p\nsource: v\ngrain: [id]\nload: incremental\n", 5, 7,
		    "'incremental_column' is required for load incremental");
	model_error("fact: f\nschema: p\nsource: v\ngrain: [id]\nload: delete_insert\n", 5, 7,
		    "'partition_column' is required for load delete_insert");
	model_error("fact: f\nschema: p\nsource: v\ngrain: [order_id, line, order_id]\n", 4, 25,
		    "column 'order_id' listed twice in 'grain'");
	model_error("fact: f\nschema: p\nsource: v\ngrain: [id]\ndrop: [id]\n", 5, 8,
		    "cannot drop grain column 'id'");
	model_error("fact: f\nschema: p\nsource: v\ngrain: [id]\nlookups:\n"
		    "  - {dimension: dim_date, on: {a: id}}\n"
		    "  - {dimension: dim_date, on: {b: id}}\n", 7, 17,
		    "dimension 'dim_date' is looked up twice: give each lookup its own 'key'");
	model_error("fact: f\nschema: p\nsource: v\ngrain: [id]\nlookups:\n"
		    "  - {dimension: d1, on: {a: id}, key: k}\n"
		    "  - {dimension: d2, on: {b: id}, key: K}\n", 7, 39,
		    "lookup key 'K' used twice (first at models/m.yml:6:39)");
	model_error("sources:\n  - name: s\n    schema: x\n    seed: ../etc/passwd\n", 4, 11,
		    "'seed' must be a relative path inside the project");
	model_error("sources:\n  - name: s\n    schema: x\n"
		    "    freshness: {column: c, warn_after: 2 days, error_after: 1 day}\n", 4, 40,
		    "'warn_after' must not be longer than 'error_after'");

	load_model(&l, "fact: f\nschema: p\nsource: v\ngrain: [id]\n"
		   "incremental_column: ts\nlookback: 1h\npartition_column: d\n");
	expect_counts(&l.d, 0, 3);
	assert_int_equal(l.rc, DLA_OK);
	expect_warning(&l.d, "models/m.yml", 5, 1,
		       "'incremental_column' is ignored unless load is incremental");
	expect_warning(&l.d, "models/m.yml", 6, 1, "'lookback' is ignored unless load is incremental");
	expect_warning(&l.d, "models/m.yml", 7, 1,
		       "'partition_column' is ignored unless load is delete_insert");
	unload(&l);
}

static void duplicate_names(void **state)
{
	struct loaded l;
	struct tp t;
	(void)state;

	tp_new(&t);
	tp_put(&t, "dla.yml", "name: t\n");
	tp_put(&t, "models/a.yml",
	       "sources:\n  - {name: customer, schema: staging}\n"
	       "---\n"
	       "dimension: dim_customer\nschema: p\nsource: v_customer\nbusiness_key: [id]\n");
	tp_put(&t, "models/b.yml",
	       "fact: DIM_CUSTOMER\nschema: p\nsource: v\ngrain: [id]\n"
	       "---\n"
	       "sources:\n  - {name: customer, schema: STAGING}\n"
	       "exposures:\n  - {name: v_customer, type: other}\n");
	tp_put(&t, "models/c.yml", "dimension: customer\nschema: staging\nsource: v\n"
	       "business_key: [id]\n");
	tp_put(&t, "views/v_customer.sql", "select 1 as id\n");
	load(&l, t.dir);
	tp_rm(&t);
	expect(&l.d, "models/b.yml", 1, 7,
	       "duplicate node name 'DIM_CUSTOMER' (first defined at models/a.yml:4:12)");
	expect(&l.d, "models/b.yml", 7, 12,
	       "duplicate node name 'STAGING.customer' (first defined at models/a.yml:2:12)");
	expect(&l.d, "models/c.yml", 1, 12,
	       "duplicate relation 'staging.customer' (first defined at models/a.yml:2:12)");
	expect(&l.d, "views/v_customer.sql", 1, 1,
	       "duplicate node name 'v_customer' (first defined at models/b.yml:9:12)");
	expect_counts(&l.d, 4, 0);
	unload(&l);
}

static void yaml_level_errors(void **state)
{
	(void)state;
	model_error(DIM_HEAD "business_key: [id]\nscd: 1\nscd: 2\n", 6, 1,
		    "duplicate key 'scd' (first defined at models/m.yml:5:1)");
	model_error("dimension: d\n  schema: p\n", 2, 9,
		    "invalid YAML: mapping values are not allowed in this context");
	model_error("dimension: d\n\tschema: p\n", 2, 1,
		    "invalid YAML: tab character in indentation (use spaces)");
	model_error("sources:\n  - name: a\n    schema: [b\n", 4, 1,
		    "invalid YAML: did not find expected ',' or ']' (while parsing a flow "
		    "sequence at line 3)");
	model_error("dimension: *nowhere\n", 1, 12, "undefined alias 'nowhere'");
	model_error("a: &a [1, *a]\n", 1, 11, "undefined alias 'a'");
	model_error("x-a: &a 1\ndimensions:\n  - <<: *a\n", 3, 5,
		    "merge key '<<' needs a mapping or a list of mappings");
	model_error("dimension: \"d\\0x\"\n", 1, 12, "string contains a NUL character");
}

static void project_file_problems(void **state)
{
	struct loaded l;
	struct tp t;
	(void)state;

	tp_new(&t);
	load(&l, t.dir);
	assert_int_equal(l.rc, DLA_ERR_IO);
	expect(&l.d, "dla.yml", 0, 0, "cannot read project file: No such file or directory");
	expect_counts(&l.d, 1, 0);
	unload(&l);

	tp_put(&t, "dla.yml", "");
	load(&l, t.dir);
	assert_int_equal(l.rc, DLA_ERR_INVALID);
	expect(&l.d, "dla.yml", 0, 0, "project file is empty");
	unload(&l);

	tp_put(&t, "dla.yml", "name: a\n---\nname: b\n");
	load(&l, t.dir);
	expect(&l.d, "dla.yml", 3, 1, "project file must hold a single document");
	unload(&l);

	tp_put(&t, "dla.yml", "[name]\n");
	load(&l, t.dir);
	expect(&l.d, "dla.yml", 1, 1, "project file must be a mapping (name:, targets:, ...)");
	unload(&l);

	/* an unreadable models file and dla.yml as a directory */
	tp_put(&t, "dla.yml", "name: t\n");
	tp_put(&t, "models/dir.yml/x.txt", "");
	tp_put(&t, "views/v.sql", "   \n\n");
	tp_put(&t, "views/bad-name.sql", "select 1\n");
	tp_put(&t, "views/v_open.sql", "select 1 /* no end\n");
	load(&l, t.dir);
	expect(&l.d, "views/v.sql", 0, 0, "view file is empty");
	expect(&l.d, "views/bad-name.sql", 0, 0, "invalid view name 'bad-name' (use letters, "
	       "digits and _; start with a letter or _)");
	assert_true(l.d.n_errors >= 3);
	assert_true(has_diag(&l.d, DLA_SEV_ERROR, "views/v_open.sql", 1, 10,
			     l.d.items[l.d.n - 1].message));
	unload(&l);
	tp_rm(&t);
}

static void view_tag_comment_errors(void **state)
{
	struct loaded l;
	struct tp t;
	(void)state;

	tp_new(&t);
	tp_put(&t, "dla.yml", "name: t\n");
	tp_put(&t, "views/v_a.sql", "\n--   dla: tag: [x]\nselect 1\n");
	tp_put(&t, "views/v_b.sql", "-- dla: tags: [x, x]\nselect 1\n-- dla: tags: [late]\n");
	load(&l, t.dir);
	tp_rm(&t);
	expect(&l.d, "views/v_a.sql", 2, 11, "unknown key 'tag' (did you mean 'tags'?)");
	expect(&l.d, "views/v_b.sql", 1, 19, "tag 'x' listed twice in 'tags'");
	expect_counts(&l.d, 2, 0);
	NAMES(&l.p.views[1].tags, "x");
	unload(&l);
}

static void undefined_variable_position(void **state)
{
	(void)state;
	project_error("name: t\ntargets:\n  pg:\n    dialect: postgres\n"
		      "    connection: \"Uid=${PGUSER}\"\n", 5, 17,
		      "undefined environment variable 'PGUSER'");
	project_error("name: ${NAME\n", 1, 7,
		      "unterminated '${' (use ${NAME} or ${NAME:-default})");
	project_error("name: ${A B}\n", 1, 7,
		      "invalid environment variable reference (use ${NAME} or ${NAME:-default})");
}

/* ---- hardening ---------------------------------------------------------- */

static void deep_nesting_rejected(void **state)
{
	const size_t depth = 100000;
	char *text = malloc(2 * depth + 16);
	struct loaded l;
	struct tp t;
	size_t n = 0;
	(void)state;

	assert_non_null(text);
	n += (size_t)sprintf(text, "a: ");
	for (size_t i = 0; i < depth; i++)
		text[n++] = '[';
	for (size_t i = 0; i < depth; i++)
		text[n++] = ']';
	text[n++] = '\n';
	tp_new(&t);
	tp_put(&t, "dla.yml", "name: t\n");
	tp_put_n(&t, "models/deep.yml", text, n);
	/* block nesting: 70 levels of indentation */
	{
		char buf[8192];
		size_t m = 0;
		for (int i = 0; i < 70; i++)
			m += (size_t)snprintf(buf + m, sizeof(buf) - m, "%*sk%d:\n", i, "", i);
		m += (size_t)snprintf(buf + m, sizeof(buf) - m, "%*sleaf\n", 70, "");
		tp_put_n(&t, "models/deep_block.yml", buf, m);
	}
	/* 64 levels are fine */
	{
		char buf[256];
		size_t m = 0;
		m += (size_t)snprintf(buf + m, sizeof(buf) - m, "x-a: ");
		for (int i = 0; i < 63; i++)
			buf[m++] = '[';
		for (int i = 0; i < 63; i++)
			buf[m++] = ']';
		buf[m++] = '\n';
		tp_put_n(&t, "models/ok.yml", buf, m);
	}
	load(&l, t.dir);
	tp_rm(&t);
	free(text);
	/* "a: " is a mapping (level 1), so the 64th '[' is level 65 */
	expect(&l.d, "models/deep.yml", 1, 67, "nesting deeper than 64 levels");
	expect(&l.d, "models/deep_block.yml", 65, 65, "nesting deeper than 64 levels");
	expect_counts(&l.d, 2, 0);
	unload(&l);
}

static void event_depth_limit(void **state)
{
	/* indentless sequences hide their depth from the pre-scan: the event
	 * loop still stops at 65 */
	char buf[16384];
	struct dla_arena a = DLA_ARENA_INIT;
	struct dla_diags d = DLA_DIAGS_INIT;
	struct dla_ydocs docs;
	size_t m = 0;
	(void)state;

	/* k0:\n- k1:\n  - k2:\n    - k3: ... two levels per line */
	m += (size_t)snprintf(buf + m, sizeof(buf) - m, "k0:\n");
	for (int i = 1; i <= 40; i++)
		m += (size_t)snprintf(buf + m, sizeof(buf) - m, "%*s- k%d:\n", 2 * (i - 1), "", i);
	assert_int_equal(dla_yaml_parse(&a, "f.yml", buf, m, &docs, &d), DLA_ERR_INVALID);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.items[0].message, "nesting deeper than 64 levels");
	assert_int_equal(docs.n, 0);
	dla_diags_release(&d);
	dla_arena_release(&a);
}

static void alias_bomb_rejected(void **state)
{
	const char *bomb =
		"a: &a [x, x, x, x, x, x, x, x, x, x]\n"
		"b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
		"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
		"d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
		"e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
		"f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
		"g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
		"h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
		"i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]\n";
	(void)state;

	/* d holds 10 * 1111 + 1 nodes through aliases; e pushes past 100000 at
	 * its 9th alias (4 * 11111 + 8 * 11111 > 100000) */
	model_error(bomb, 5, 36, "alias expansion exceeds 100000 nodes (alias bomb?)");
}

static void oversized_file_rejected(void **state)
{
	size_t len = 1024 * 1024 + 1;
	char *text = malloc(len);
	struct loaded l;
	struct tp t;
	(void)state;

	assert_non_null(text);
	memset(text, '#', len);
	text[len - 1] = '\n';
	tp_new(&t);
	tp_put(&t, "dla.yml", "name: t\n");
	tp_put_n(&t, "models/big.yml", text, len);
	tp_put_n(&t, "models/just_fits.yml", text + 1, len - 1);
	load(&l, t.dir);
	tp_rm(&t);
	free(text);
	expect(&l.d, "models/big.yml", 0, 0, "file is larger than 1 MiB");
	expect_counts(&l.d, 1, 0);
	unload(&l);
}

static void encoding_rejected(void **state)
{
	struct loaded l;
	struct tp t;
	(void)state;

	tp_new(&t);
	tp_put(&t, "dla.yml", "name: t\n");
	tp_put(&t, "models/latin1.yml", "sources:\n  - name: caf\xe9\n");
	tp_put_n(&t, "models/nul.yml", "sources:\n  - n\0me: x\n", 22);
	tp_put(&t, "models/utf8_ok.yml", "# caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\n");
	tp_put(&t, "models/overlong.yml", "# \xc3\xa9\xc3\xa9 \xc0\xaf\n");
	tp_put(&t, "models/surrogate.yml", "x: 1\ny: \xed\xa0\x80\n");
	tp_put(&t, "views/v_latin.sql", "select 'caf\xe9'\n");
	load(&l, t.dir);
	tp_rm(&t);
	expect(&l.d, "models/latin1.yml", 2, 14, "file is not valid UTF-8 (byte 0xe9)");
	expect(&l.d, "models/nul.yml", 2, 6, "file contains a NUL byte");
	expect(&l.d, "models/overlong.yml", 1, 6, "file is not valid UTF-8 (byte 0xc0)");
	expect(&l.d, "models/surrogate.yml", 2, 4, "file is not valid UTF-8 (byte 0xed)");
	expect(&l.d, "views/v_latin.sql", 1, 12, "file is not valid UTF-8 (byte 0xe9)");
	expect_counts(&l.d, 5, 0);
	unload(&l);
}

static void columns_count_characters(void **state)
{
	/* libyaml columns count characters: so do ours */
	model_error("# \xc3\xa9\xc3\xa9\nsources:\n  - {name: \xc3\xa9t\xc3\xa9, schema: s}\n", 3, 12,
		    "invalid identifier '\xc3\xa9t\xc3\xa9' (use letters, digits and _; start "
		    "with a letter or _)");
}

/* ---- scale and allocation failures -------------------------------------- */

static void many_files_load(void **state)
{
	struct loaded l;
	struct tp t;
	char rel[64], text[256];
	(void)state;

	tp_new(&t);
	tp_put(&t, "dla.yml", "name: t\n");
	for (int i = 0; i < 2000; i++) {
		snprintf(rel, sizeof(rel), "models/d%02d/dim_%04d.yml", i % 50, i);
		snprintf(text, sizeof(text),
			 "dimension: dim_%04d\nschema: p\nsource: staging.s\nbusiness_key: [id]\n"
			 "scd: 2\ncolumns: {a: {scd: 1}, b: {scd: 3}}\ntags: [t%d]\n", i, i % 7);
		tp_put(&t, rel, text);
	}
	tp_put(&t, "models/dup.yml", "dimension: DIM_1999\nschema: p\nsource: v\nbusiness_key: [id]\n");
	load(&l, t.dir);
	tp_rm(&t);
	assert_int_equal(l.p.n_dimensions, 2000);
	assert_int_equal(l.p.n_model_files, 2001);
	expect(&l.d, "models/dup.yml", 1, 12,
	       "duplicate node name 'DIM_1999' (first defined at models/d49/dim_1999.yml:1:12)");
	expect_counts(&l.d, 1, 0);
	unload(&l);
}

static void allocation_failures(void **state)
{
	unsigned long n;
	(void)state;

	for (n = 1; n < 100000; n++) {
		struct loaded l;
		dla_alloc_fail_after(n);
		load_env(&l, FIXTURE, fixture_env);
		dla_alloc_fail_after(0);
		if (l.rc == DLA_OK) {
			assert_int_equal(l.p.n_dimensions, 5);
			unload(&l);
			break;
		}
		assert_true(l.rc == DLA_ERR_NOMEM);
		assert_true(l.d.nomem);
		unload(&l);
	}
	assert_true(n > 10);
	assert_true(n < 100000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fixture_project_settings),
		cmocka_unit_test(fixture_sources_and_views),
		cmocka_unit_test(fixture_dimensions),
		cmocka_unit_test(fixture_facts_and_exposures),
		cmocka_unit_test(minimal_project_defaults),
		cmocka_unit_test(open_end_and_durations),
		cmocka_unit_test(models_sorted_recursively),
		cmocka_unit_test(env_expansion_in_project_file),
		cmocka_unit_test(missing_variable_never_leaks_secrets),
		cmocka_unit_test(anchors_aliases_merge),
		cmocka_unit_test(unknown_keys_suggest),
		cmocka_unit_test(wrong_types),
		cmocka_unit_test(missing_required_keys),
		cmocka_unit_test(invalid_identifiers),
		cmocka_unit_test(enums_suggest),
		cmocka_unit_test(scd_column_rules),
		cmocka_unit_test(mode_rules),
		cmocka_unit_test(duplicate_names),
		cmocka_unit_test(yaml_level_errors),
		cmocka_unit_test(project_file_problems),
		cmocka_unit_test(view_tag_comment_errors),
		cmocka_unit_test(undefined_variable_position),
		cmocka_unit_test(deep_nesting_rejected),
		cmocka_unit_test(event_depth_limit),
		cmocka_unit_test(alias_bomb_rejected),
		cmocka_unit_test(oversized_file_rejected),
		cmocka_unit_test(encoding_rejected),
		cmocka_unit_test(columns_count_characters),
		cmocka_unit_test(many_files_load),
		cmocka_unit_test(allocation_failures),
	};
	return cmocka_run_group_tests_name("loader", tests, NULL, NULL);
}
