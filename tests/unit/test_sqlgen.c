/*
 * test_sqlgen.c - golden SQL tests: every directory in tests/golden/sql/ is
 * a small project plus an `input` file; the statements generated for its
 * node on each dialect must equal expected.<dialect>.sql.  Adding a case is
 * adding files.  UPDATE=1 rewrites the expected files (review the diff!).
 * Every Snowflake statement list is also written to build/sqlglot/sqlgen/
 * for the sqlglot parse check, and every list is checked to have no DDL
 * after its first DML (Snowflake commits implicitly on DDL).
 *
 * input lines:
 *   node NAME
 *   as_of TIMESTAMP
 *   run_id ID
 *   source COLUMN TYPE [undeclared]   (TEXT, INTEGER, DECIMAL(p,s), TIMESTAMP,
 *                           ...; undeclared: the source gives it no type,
 *                           e.g. a SQLite view column computed by an
 *                           expression, typed from the values)
 *   target COLUMN TYPE      (the existing target table; absent = none)
 *   dimension DIM COLUMN TYPE   (facts: a column of the table of dimension
 *                           DIM a lookup reads; absent = never loaded)
 *   full_refresh            (facts: dla run --full-refresh)
 *   key_unfilled KEY        (facts: the target's lookup key column KEY
 *                           holds a NULL: sqlgen.h)
 */
#include "test_util.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "alloc.h"
#include "dag.h"
#include "dialect.h"
#include "load.h"
#include "project.h"
#include "sqlgen.h"

#define CASES_DIR "tests/golden/sql"

/* paths and names in cases are short; truncation is checked by content */
#pragma GCC diagnostic ignored "-Wformat-truncation"

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *text;
	long size;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fseek(f, 0, SEEK_SET);
	text = malloc((size_t)size + 1);
	if (fread(text, 1, (size_t)size, f) != (size_t)size)
		size = 0;
	text[size] = '\0';
	fclose(f);
	return text;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void parse_type(const char *spelling, struct dla_coltype *t)
{
	memset(t, 0, sizeof(*t));
	if (!strcmp(spelling, "INTEGER"))
		t->type = DLA_TYPE_INTEGER;
	else if (!strncmp(spelling, "DECIMAL", 7)) {
		t->type = DLA_TYPE_DECIMAL;
		sscanf(spelling, "DECIMAL(%lu,%d)", &t->precision, &t->scale);
	} else if (!strcmp(spelling, "TIMESTAMP"))
		t->type = DLA_TYPE_TIMESTAMP;
	else if (!strcmp(spelling, "DATE"))
		t->type = DLA_TYPE_DATE;
	else if (!strcmp(spelling, "BOOLEAN"))
		t->type = DLA_TYPE_BOOLEAN;
	else if (!strcmp(spelling, "FLOAT"))
		t->type = DLA_TYPE_FLOAT;
	else
		t->type = DLA_TYPE_TEXT;
}

struct dim_table {
	char name[64];
	struct dla_column cols[32];
	size_t n;
};

struct case_input {
	char node[128], as_of[64], run_id[64];
	struct dla_column source[64], target[64];
	char names[256][64];
	size_t n_source, n_target, n_names;
	struct dim_table dims[8];
	size_t n_dims;
	bool full_refresh;
	bool source_key_unique;   /* "source_key_unique": the source's unique
				     index covers the business key */
	bool target_stats_stale;  /* "target_stats_stale" */
	bool source_stats_stale;  /* "source_stats_stale" */
	char key_unfilled[64];    /* "key_unfilled KEY" */
};

static struct dim_table *dim_table(struct case_input *in, const char *name)
{
	for (size_t i = 0; i < in->n_dims; i++)
		if (!strcasecmp(in->dims[i].name, name))
			return &in->dims[i];
	return NULL;
}

static void read_input(const char *dir, struct case_input *in)
{
	char path[512], line[512];
	FILE *f;

	memset(in, 0, sizeof(*in));
	strcpy(in->as_of, "2026-01-01 00:00:00");
	strcpy(in->run_id, "r1");
	snprintf(path, sizeof(path), "%s/input", dir);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		char key[32], a[128], b[128];
		int n;
		line[strcspn(line, "\n")] = '\0';
		if (!line[0] || line[0] == '#')
			continue;
		n = sscanf(line, "%31s %127s %127[^\n]", key, a, b);
		if (!strcmp(key, "node"))
			snprintf(in->node, sizeof(in->node), "%s", a);
		else if (!strcmp(key, "as_of"))
			snprintf(in->as_of, sizeof(in->as_of), "%s %s", a, n > 2 ? b : "");
		else if (!strcmp(key, "run_id"))
			snprintf(in->run_id, sizeof(in->run_id), "%s", a);
		else if (!strcmp(key, "full_refresh"))
			in->full_refresh = true;
		else if (!strcmp(key, "source_key_unique"))
			in->source_key_unique = true;
		else if (!strcmp(key, "target_stats_stale"))
			in->target_stats_stale = true;
		else if (!strcmp(key, "source_stats_stale"))
			in->source_stats_stale = true;
		else if (!strcmp(key, "key_unfilled"))
			snprintf(in->key_unfilled, sizeof(in->key_unfilled), "%s", a);
		else if (!strcmp(key, "dimension")) {
			char col[128], type[128] = "TEXT";
			struct dim_table *t = dim_table(in, a);
			struct dla_column *c;
			assert_true(sscanf(b, "%127s %127s", col, type) >= 1);
			if (!t) {
				assert_true(in->n_dims < 8);
				t = &in->dims[in->n_dims++];
				snprintf(t->name, sizeof(t->name), "%s", a);
			}
			assert_true(t->n < 32);
			c = &t->cols[t->n++];
			snprintf(in->names[in->n_names], 64, "%s", col);
			c->name = in->names[in->n_names++];
			parse_type(type, &c->type);
		}
		else if (!strcmp(key, "source") || !strcmp(key, "target")) {
			bool src = key[0] == 's';
			struct dla_column *c = src ? &in->source[in->n_source++]
						   : &in->target[in->n_target++];
			char type[128] = "TEXT", flag[32] = "";
			snprintf(in->names[in->n_names], 64, "%s", a);
			c->name = in->names[in->n_names++];
			if (n > 2)
				sscanf(b, "%127s %31s", type, flag);
			parse_type(type, &c->type);
			c->undeclared = !strcmp(flag, "undeclared");
		}
	}
	fclose(f);
}

/* Renders the statement list as the golden text. */
static void render(const struct dla_stmts *s, struct dla_buf *out)
{
	for (size_t i = 0; i < s->n; i++) {
		dla_buf_addf(out, "-- %s: %s\n%s;\n\n", dla_stmt_kind_name(s->items[i].kind),
			     s->items[i].label, s->items[i].sql);
	}
}

static void check_ddl_before_dml(const char *name, const struct dla_stmts *s)
{
	bool seen_dml = false;

	for (size_t i = 0; i < s->n; i++) {
		if (s->items[i].kind == DLA_STMT_DML)
			seen_dml = true;
		if (seen_dml && s->items[i].kind == DLA_STMT_DDL) {
			fprintf(stderr, "%s: DDL '%s' after the first DML\n", name,
				s->items[i].label);
			fail();
		}
	}
}

static void dump_for_sqlglot(const char *name, const struct dla_stmts *s)
{
	struct dla_buf b = DLA_BUF_INIT;
	char path[512];

	mkdir("build", 0755);
	mkdir("build/sqlglot", 0755);
	mkdir("build/sqlglot/sqlgen", 0755);
	for (size_t i = 0; i < s->n; i++)
		dla_buf_addf(&b, "%s%s\n", i ? "-- @@\n" : "", s->items[i].sql);
	snprintf(path, sizeof(path), "build/sqlglot/sqlgen/%s.sql", name);
	write_file(path, b.buf);
	dla_buf_release(&b);
}

static int run_case(const char *name)
{
	static const struct dla_dialect *const dialects[] = {
		&dla_dialect_sqlite, &dla_dialect_postgres, &dla_dialect_snowflake,
	};
	char dir[512];
	struct case_input in;
	struct dla_project p;
	struct dla_diags diags = DLA_DIAGS_INIT;
	struct dla_dag dag;
	int failures = 0;
	size_t node;

	snprintf(dir, sizeof(dir), "%s/%s", CASES_DIR, name);
	read_input(dir, &in);
	memset(&p, 0, sizeof(p));
	memset(&dag, 0, sizeof(dag));
	assert_int_equal(dla_project_load(&p, dir, NULL, NULL, &diags), DLA_OK);
	assert_int_equal(dla_dag_build(&dag, &p, &diags), DLA_OK);
	node = dla_dag_find(&dag, in.node);
	assert_true(node != (size_t)-1);

	for (size_t d = 0; d < sizeof(dialects) / sizeof(dialects[0]); d++) {
		struct dla_warehouse wh = { 0 };
		struct dla_buf source_sql = DLA_BUF_INIT, err = DLA_BUF_INIT, text = DLA_BUF_INIT;
		struct dla_stmts stmts = DLA_STMTS_INIT;
		struct dla_load_input li = { 0 };
		struct dla_fact_lookup_input lookups[16];
		const struct dla_node *n = &dag.nodes[node];
		const char *source;
		size_t src;
		char path[600];
		char *expected;
		enum dla_code rc;

		wh.dialect = dialects[d];
		li.project = &p;
		li.dialect = dialects[d];
		li.node = n->name;
		li.run_id = in.run_id;
		li.as_of = in.as_of;
		li.source_cols = in.source;
		li.n_source_cols = in.n_source;
		li.target_exists = in.n_target > 0;
		li.target_cols = in.target;
		li.n_target_cols = in.n_target;
		li.full_refresh = in.full_refresh;
		assert_true(n->kind == DLA_NODE_DIMENSION || n->kind == DLA_NODE_FACT);
		source = n->kind == DLA_NODE_FACT ? n->spec.fact->source
						  : n->spec.dimension->source;
		src = dla_dag_find(&dag, source);
		dla_node_relation_sql(&wh, &p, &dag.nodes[src], &source_sql);
		li.source_sql = source_sql.buf;
		li.source_key_unique = in.source_key_unique;
		li.target_stats_stale = in.target_stats_stale;
		(void)dla_node_table(&dag.nodes[src], &li.source_schema, &li.source_table);
		li.source_stats_stale = in.source_stats_stale;
		if (n->kind == DLA_NODE_FACT) {
			const struct dla_fact *f = n->spec.fact;
			assert_true(f->n_lookups <= 16);
			for (size_t l = 0; l < f->n_lookups; l++) {
				const struct dla_dimension *dim =
					dla_dag_lookup_dimension(&dag, &f->lookups[l]);
				struct dim_table *t = dim ? dim_table(&in, dim->name) : NULL;
				lookups[l].dim = dim;
				lookups[l].key = dla_dag_lookup_key(&dag, &f->lookups[l]);
				lookups[l].dim_cols = t ? t->cols : NULL;
				lookups[l].n_dim_cols = t ? t->n : 0;
				lookups[l].key_unfilled = lookups[l].key &&
					!strcasecmp(lookups[l].key, in.key_unfilled);
			}
			li.lookups = lookups;
			li.n_lookups = f->n_lookups;
			rc = dla_sqlgen_fact(&li, f, &stmts, &err);
		} else {
			rc = dla_sqlgen_dimension(&li, n->spec.dimension, &stmts, &err);
		}
		if (rc == DLA_OK) {
			render(&stmts, &text);
			check_ddl_before_dml(name, &stmts);
			if (dialects[d] == &dla_dialect_snowflake)
				dump_for_sqlglot(name, &stmts);
		} else {
			dla_buf_addf(&text, "error: %s\n", err.buf);
		}
		snprintf(path, sizeof(path), "%s/expected.%s.sql", dir, dialects[d]->name);
		expected = read_file(path);
		if (getenv("UPDATE")) {
			write_file(path, text.buf);
		} else if (!expected || strcmp(expected, text.buf) != 0) {
			char actual[640];
			snprintf(actual, sizeof(actual), "%s.actual", path);
			write_file(actual, text.buf);
			fprintf(stderr, "golden sql: %s differs (see diff -u %s %s)\n", path,
				path, actual);
			failures++;
		}
		free(expected);
		dla_buf_release(&text);
		dla_buf_release(&err);
		dla_buf_release(&source_sql);
		dla_stmts_release(&stmts);
	}
	dla_dag_release(&dag);
	dla_project_release(&p);
	dla_diags_release(&diags);
	return failures;
}

static void golden_sql_cases(void **state)
{
	DIR *dir = opendir(CASES_DIR);
	struct dirent *e;
	int failures = 0, cases = 0;
	(void)state;

	assert_non_null(dir);
	while ((e = readdir(dir))) {
		if (e->d_name[0] == '.')
			continue;
		cases++;
		failures += run_case(e->d_name);
	}
	closedir(dir);
	assert_true(cases > 0);
	assert_int_equal(failures, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(golden_sql_cases),
	};
	return cmocka_run_group_tests_name("sqlgen", tests, NULL, NULL);
}
