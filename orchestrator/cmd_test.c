/*
 * cmd_test.c - `dla test`: the data tests of the selected nodes (datatest.h)
 * against the target, one line per test, results recorded in
 * <metadata_schema>.dla_test_result.  Exit 1 when an error-severity test
 * fails.
 */
#include "alloc.h"
#include "buf.h"
#include "commands.h"
#include "datatest.h"
#include "diag_print.h"
#include "load.h"
#include "meta.h"
#include "project_open.h"
#include "select.h"
#include "warehouse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PROG "dla test"

enum { OPT_SELECT, OPT_EXCLUDE };

static const struct dla_optspec test_options[] = {
	{ "--select", 's', true, OPT_SELECT },
	{ "--exclude", 'x', true, OPT_EXCLUDE },
};

struct test_state {
	bool color;
	size_t passed, failed, warned, errors;
};

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One line per test: "PASS  node: test", "FAIL  node: test: 2 failing rows:
 * (...)". */
static void report(void *ctx, const struct dla_datatest *t, const struct dla_datatest_result *r)
{
	struct test_state *st = ctx;
	const char *word = "PASS ", *on = "\033[32m";
	bool fails = dla_datatest_result_fails(t, r);

	if (fails) {
		word = r->status == DLA_DATATEST_ERROR ? "ERROR" : "FAIL ";
		on = "\033[31m";
		st->failed++;
	} else if (r->status == DLA_DATATEST_WARN) {
		word = "WARN ";
		on = "\033[33m";
		st->warned++;
	} else if (r->status == DLA_DATATEST_ERROR) {
		word = "ERROR";
		on = "\033[33m";
		st->errors++;
	} else {
		st->passed++;
	}
	printf("%s%s%s %s: %s", st->color ? on : "", word, st->color ? "\033[0m" : "", t->node,
	       t->name);
	if (t->severity == DLA_TEST_SEV_WARN && r->status != DLA_DATATEST_PASS)
		printf(" (warn)");
	if (r->status != DLA_DATATEST_PASS || t->origin == DLA_DATATEST_FRESHNESS)
		printf(": %s", r->message ? r->message : "");
	if (r->examples)
		printf(": %s", r->examples);
	putchar('\n');
	fflush(stdout);
}

static bool has_tests(const struct dla_node *n)
{
	return n->kind == DLA_NODE_DIMENSION || n->kind == DLA_NODE_FACT ||
	       (n->kind == DLA_NODE_SOURCE && n->spec.source->freshness.set);
}

static int run_tests(struct dla_open_project *op, const struct dla_global_opts *g,
		     const bool *selected)
{
	const struct dla_dag *dag = &op->dag;
	struct dla_warehouse wh;
	struct dla_meta meta;
	struct dla_db_error err;
	struct test_state st;
	char run_id[64];
	size_t n_nodes = 0;
	double t0 = now_seconds();
	bool record_warned = false;
	enum dla_code code;
	const char *no_color = getenv("NO_COLOR");

	memset(&st, 0, sizeof(st));
	st.color = isatty(STDOUT_FILENO) && !(no_color && *no_color);
	code = dla_warehouse_open(&op->project, g->target, &wh, &err);
	if (code != DLA_OK) {
		fprintf(stderr, PROG ": cannot connect to target '%s': %s\n",
			g->target ? g->target : op->project.default_target, err.message);
		return code == DLA_ERR_USAGE ? DLA_EXIT_USAGE : DLA_EXIT_UNAVAILABLE;
	}
	meta.db = wh.db;
	meta.dialect = wh.dialect;
	meta.schema = op->project.metadata_schema;
	code = dla_meta_ensure(&meta, &err);
	if (code != DLA_OK) {
		fprintf(stderr, PROG ": cannot create the metadata tables in '%s': %s\n",
			meta.schema, err.message);
		dla_warehouse_close(&wh);
		return DLA_EXIT_UNAVAILABLE;
	}
	/* relationships tests may read views (SQLite: TEMP views) */
	(void)dla_views_attach(&wh, &op->project, dag, NULL);
	dla_run_id_new(run_id);
	for (size_t i = 0; i < dag->n; i++)
		if (selected[i] && has_tests(&dag->nodes[i]))
			n_nodes++;
	printf("test %s: %zu node%s on target '%s'\n", run_id, n_nodes, n_nodes == 1 ? "" : "s",
	       wh.target->name);
	fflush(stdout);

	for (size_t k = 0; k < dag->n; k++) {
		size_t idx = dag->order[k];
		struct dla_datatest_outcome out;

		if (!selected[idx] || !has_tests(&dag->nodes[idx]))
			continue;
		code = dla_datatest_run_node(&wh, &op->project, dag, idx, report, &st, &out);
		if (code == DLA_OK || code == DLA_ERR_CONN_DEAD) {
			struct dla_db_error rec_err;
			if (code == DLA_OK &&
			    dla_datatest_outcome_record(&meta, run_id, "test", &out, &rec_err) !=
				    DLA_OK && !record_warned) {
				fprintf(stderr, PROG ": warning: cannot record test results in "
					"'%s.dla_test_result': %s\n", meta.schema, rec_err.message);
				record_warned = true;
			}
		}
		dla_datatest_outcome_release(&out);
		if (code == DLA_ERR_NOMEM) {
			fputs(PROG ": error: out of memory\n", stderr);
			st.failed++;
			break;
		}
		if (code == DLA_ERR_CONN_DEAD) {
			fprintf(stderr, PROG ": error: the connection to target '%s' was lost\n",
				wh.target->name);
			st.failed++;
			break;
		}
	}
	printf("test: %zu passed, %zu failed, %zu warning%s, %zu error%s in %.2fs\n", st.passed,
	       st.failed, st.warned, st.warned == 1 ? "" : "s", st.errors,
	       st.errors == 1 ? "" : "s", now_seconds() - t0);
	dla_warehouse_close(&wh);
	return st.failed ? DLA_EXIT_FAILED : DLA_EXIT_OK;
}

static int test_run(int argc, char **argv, const struct dla_global_opts *opts)
{
	struct dla_optparser parser;
	struct dla_open_project op;
	const char **select, **exclude;
	size_t n_select = 0, n_exclude = 0;
	bool *selected = NULL;
	const char *value;
	int opt, rc = DLA_EXIT_OK;

	select = dla_calloc((size_t)argc + 1, sizeof(*select));
	exclude = dla_calloc((size_t)argc + 1, sizeof(*exclude));
	if (!select || !exclude) {
		dla_free(select);
		dla_free(exclude);
		fputs(PROG ": error: out of memory\n", stderr);
		return DLA_EXIT_FAILED;
	}
	dla_opt_init(&parser, PROG, argc, argv, 1, test_options,
		     sizeof(test_options) / sizeof(test_options[0]));
	while (rc == DLA_EXIT_OK && (opt = dla_opt_next(&parser, &value)) != DLA_OPT_END) {
		switch (opt) {
		case OPT_SELECT:
			select[n_select++] = value;
			break;
		case OPT_EXCLUDE:
			exclude[n_exclude++] = value;
			break;
		case DLA_OPT_ARG:
			rc = dla_usage_error(PROG, "unexpected argument '%s'", value);
			break;
		default:
			rc = DLA_EXIT_USAGE;
			break;
		}
	}
	if (rc != DLA_EXIT_OK)
		goto out_args;

	rc = dla_open_project(&op, opts);
	if (rc == DLA_EXIT_OK) {
		struct dla_diags diags = DLA_DIAGS_INIT;
		selected = dla_calloc(op.dag.n ? op.dag.n : 1, sizeof(*selected));
		if (!selected) {
			fputs(PROG ": error: out of memory\n", stderr);
			rc = DLA_EXIT_FAILED;
		} else if (dla_select(&op.dag, select, n_select, exclude, n_exclude, selected,
				      &diags) != DLA_OK) {
			dla_diags_print(stderr, &diags, op.project.dir);
			rc = diags.nomem ? DLA_EXIT_FAILED : DLA_EXIT_USAGE;
		} else {
			rc = run_tests(&op, opts, selected);
		}
		dla_diags_release(&diags);
	}
	dla_close_project(&op);
	dla_free(selected);
out_args:
	dla_free(select);
	dla_free(exclude);
	return rc;
}

const struct dla_command cmd_test_entry = {
	.name = "test",
	.summary = "run the data tests of the selected nodes (keys, history, declared, freshness)",
	.usage =
	"usage: dla [--project DIR] [--target NAME] test [--select S]... [--exclude S]...\n"
	"\n"
	"Runs the data tests of the selected dimensions, facts and sources against\n"
	"the target and prints one line per test (PASS, FAIL, WARN, ERROR) with the\n"
	"number of failing rows and up to 5 of them.  Results are recorded in\n"
	"<metadata_schema>.dla_test_result.  See docs/TESTS.md.\n"
	"\n"
	"  generated   dimensions: unique / not-NULL surrogate and business keys,\n"
	"              one current version per live key, is_current on the open\n"
	"              version, valid_from < valid_to, no overlapping or gapped\n"
	"              versions, unknown member present, inferred members still\n"
	"              open (warning); facts: unique / not-NULL grain, every\n"
	"              lookup key not NULL and present in its dimension\n"
	"  declared    `tests:` of the specs: not_null, unique, accepted_values,\n"
	"              relationships, custom SQL; severity error or warn\n"
	"  freshness   sources with `freshness:` (warn_after, error_after)\n"
	"\n"
	"options:\n"
	"  -s, --select S    nodes to test (name, +name, name+, tag:T, path:P);\n"
	"                    repeatable, default all\n"
	"  -x, --exclude S   nodes not to test (same syntax); repeatable\n"
	"\n"
	"exit codes: 0 no error-severity test failed, 1 a test failed,\n"
	"            2 usage or invalid project, 3 cannot connect\n",
	.run = test_run,
};
