/*
 * cmd_lineage.c - `dla lineage`: what feeds what, static from the project
 * and, with --run (and always for html / openlineage), what runs did, read
 * from the warehouse; impact analysis with --upstream / --downstream.
 */
#include "alloc.h"
#include "buf.h"
#include "commands.h"
#include "lineage.h"
#include "lineage_out.h"
#include "load.h"
#include "meta.h"
#include "project_open.h"
#include "warehouse.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define PROG "dla lineage"

enum { OPT_FORMAT, OPT_UPSTREAM, OPT_DOWNSTREAM, OPT_RUN, OPT_OUTPUT, OPT_NAMESPACE };

static const struct dla_optspec lineage_options[] = {
	{ "--format", 0, true, OPT_FORMAT },
	{ "--upstream", 0, true, OPT_UPSTREAM },
	{ "--downstream", 0, true, OPT_DOWNSTREAM },
	{ "--run", 0, true, OPT_RUN },
	{ "--output", 'o', true, OPT_OUTPUT },
	{ "--namespace", 0, true, OPT_NAMESPACE },
};

struct lineage_args {
	enum dla_lineage_format format;
	const char *focus;
	enum dla_lineage_direction direction;
	const char *run_id;
	const char *output;
	const char *job_ns;
};

static int parse_format(const char *value, enum dla_lineage_format *out)
{
	static const struct { const char *name; enum dla_lineage_format f; } formats[] = {
		{ "md", DLA_LINEAGE_MD }, { "html", DLA_LINEAGE_HTML },
		{ "json", DLA_LINEAGE_JSON }, { "dot", DLA_LINEAGE_DOT },
		{ "openlineage", DLA_LINEAGE_OPENLINEAGE },
	};

	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (strcmp(value, formats[i].name) == 0) {
			*out = formats[i].f;
			return 0;
		}
	return dla_usage_error(PROG, "unknown format '%s' (expected md, html, json, dot or "
			       "openlineage)", value);
}

/*
 * Reads what the format needs from the warehouse.  required: failing to
 * connect is an error (exit 3); otherwise a warning and the report is
 * rendered without warehouse data.  *read says whether anything was read.
 */
static int read_warehouse(struct dla_open_project *op, const struct dla_global_opts *g,
			  const struct lineage_args *a, struct dla_lineage *l,
			  struct dla_lineage_render *r, struct dla_buf *ns, struct dla_buf *prefix)
{
	bool required = a->format == DLA_LINEAGE_OPENLINEAGE || a->run_id;
	struct dla_warehouse wh;
	struct dla_meta meta;
	struct dla_db_error err;
	struct dla_buf why = DLA_BUF_INIT;
	enum dla_code code;
	int rc = DLA_EXIT_OK;
	char now[32];

	code = dla_warehouse_open(&op->project, g->target, &wh, &err);
	if (code != DLA_OK) {
		if (code == DLA_ERR_USAGE) {
			fprintf(stderr, PROG ": %s\n", err.message);
			return DLA_EXIT_USAGE;
		}
		fprintf(stderr, PROG ": %s: cannot connect to target '%s': %s\n",
			required ? "error" : "warning",
			g->target ? g->target : op->project.default_target, err.message);
		return required ? DLA_EXIT_UNAVAILABLE : DLA_EXIT_OK;
	}
	r->target = wh.target->name;
	dla_lineage_namespace(wh.target, op->project.dir, ns, prefix);
	meta.db = wh.db;
	meta.dialect = wh.dialect;
	meta.schema = op->project.metadata_schema;
	/* creates the metadata tables and views when missing (a fresh target) */
	code = dla_meta_ensure(&meta, &err);
	if (code != DLA_OK) {
		fprintf(stderr, PROG ": %s: cannot read the metadata in '%s': %s\n",
			required ? "error" : "warning", meta.schema, err.message);
		rc = required ? DLA_EXIT_UNAVAILABLE : DLA_EXIT_OK;
		goto out;
	}
	if (a->run_id || a->format == DLA_LINEAGE_OPENLINEAGE) {
		code = dla_lineage_read_run(l, &wh, a->run_id, &why, &err);
		if (code == DLA_ERR_USAGE) {
			fprintf(stderr, PROG ": %s\n", why.buf);
			rc = DLA_EXIT_USAGE;
			goto out;
		}
		if (code != DLA_OK) {
			fprintf(stderr, PROG ": cannot read the run: %s\n",
				code == DLA_ERR_NOMEM ? "out of memory" : err.message);
			rc = code == DLA_ERR_NOMEM ? DLA_EXIT_FAILED : DLA_EXIT_UNAVAILABLE;
			goto out;
		}
	}
	if (a->format == DLA_LINEAGE_OPENLINEAGE) {
		/* schema facets: every relation's columns (views need attaching) */
		(void)dla_views_attach(&wh, &op->project, &op->dag, NULL);
		code = dla_lineage_read_fields(l, &wh, &err);
		if (code != DLA_OK) {
			fprintf(stderr, PROG ": cannot read the columns of the relations: %s\n",
				code == DLA_ERR_NOMEM ? "out of memory" : err.message);
			rc = DLA_EXIT_FAILED;
			goto out;
		}
	}
	if (a->format == DLA_LINEAGE_HTML) {
		code = dla_lineage_read_last_loads(l, &wh, &err);
		if (code == DLA_OK)
			code = dla_lineage_read_last_tests(l, &wh, &err);
		if (code == DLA_OK) {
			dla_time_now(now);
			code = dla_lineage_read_freshness(l, &wh, now);
		}
		if (code == DLA_ERR_NOMEM) {
			fputs(PROG ": error: out of memory\n", stderr);
			rc = DLA_EXIT_FAILED;
			goto out;
		}
		if (code != DLA_OK)
			fprintf(stderr, PROG ": warning: cannot read the last loads: %s\n",
				err.message);
		else
			r->warehouse = true;
	}
out:
	dla_warehouse_close(&wh);
	dla_buf_release(&why);
	return rc;
}

static int lineage_main(struct dla_open_project *op, const struct dla_global_opts *g,
			const struct lineage_args *a)
{
	struct dla_lineage l;
	struct dla_lineage_render r;
	struct dla_buf errmsg = DLA_BUF_INIT, ns = DLA_BUF_INIT, prefix = DLA_BUF_INIT;
	char generated[32];
	const char *why = NULL;
	FILE *out = stdout;
	enum dla_code code;
	int rc = DLA_EXIT_OK;

	code = dla_lineage_build(&l, &op->project, &op->dag);
	if (code != DLA_OK) {
		fputs(PROG ": error: out of memory\n", stderr);
		rc = DLA_EXIT_FAILED;
		goto out;
	}
	if (a->focus) {
		code = dla_lineage_focus(&l, a->focus, a->direction, &errmsg);
		if (code != DLA_OK) {
			fprintf(stderr, PROG ": %s\n", code == DLA_ERR_NOMEM ? "out of memory"
									   : errmsg.buf);
			rc = code == DLA_ERR_NOMEM ? DLA_EXIT_FAILED : DLA_EXIT_USAGE;
			goto out;
		}
	}
	memset(&r, 0, sizeof(r));
	r.format = a->format;
	r.target = g->target;
	r.job_ns = a->job_ns ? a->job_ns : op->project.name;
	if (a->format == DLA_LINEAGE_HTML || a->format == DLA_LINEAGE_OPENLINEAGE || a->run_id) {
		rc = read_warehouse(op, g, a, &l, &r, &ns, &prefix);
		if (rc != DLA_EXIT_OK)
			goto out;
	}
	r.dataset_ns = ns.buf;
	r.dataset_prefix = prefix.buf;
	dla_time_now(generated);
	generated[19] = '\0';           /* whole seconds in the report */
	r.generated_at = generated;

	if (a->output && strcmp(a->output, "-") != 0) {
		out = fopen(a->output, "w");
		if (!out) {
			fprintf(stderr, PROG ": cannot write '%s': %s\n", a->output, strerror(errno));
			rc = DLA_EXIT_FAILED;
			goto out;
		}
	}
	if (dla_lineage_write(out, &l, &r, &why) != 0) {
		fprintf(stderr, PROG ": error: %s\n", why ? why : "cannot write the lineage");
		rc = DLA_EXIT_FAILED;
	}
	if (out != stdout && fclose(out) != 0 && rc == DLA_EXIT_OK) {
		fprintf(stderr, PROG ": cannot write '%s': %s\n", a->output, strerror(errno));
		rc = DLA_EXIT_FAILED;
	}
out:
	dla_lineage_release(&l);
	dla_buf_release(&errmsg);
	dla_buf_release(&ns);
	dla_buf_release(&prefix);
	return rc;
}

static int lineage_run(int argc, char **argv, const struct dla_global_opts *opts)
{
	struct dla_optparser parser;
	struct dla_open_project op;
	struct lineage_args a;
	const char *value;
	int opt, rc = DLA_EXIT_OK;

	memset(&a, 0, sizeof(a));
	a.format = DLA_LINEAGE_MD;
	dla_opt_init(&parser, PROG, argc, argv, 1, lineage_options,
		     sizeof(lineage_options) / sizeof(lineage_options[0]));
	while (rc == DLA_EXIT_OK && (opt = dla_opt_next(&parser, &value)) != DLA_OPT_END) {
		switch (opt) {
		case OPT_FORMAT:
			rc = parse_format(value, &a.format);
			break;
		case OPT_UPSTREAM:
		case OPT_DOWNSTREAM:
			if (a.focus)
				rc = dla_usage_error(PROG, "give one of --upstream and --downstream, "
						     "once");
			a.focus = value;
			a.direction = opt == OPT_UPSTREAM ? DLA_LINEAGE_UPSTREAM
							  : DLA_LINEAGE_DOWNSTREAM;
			break;
		case OPT_RUN:
			a.run_id = value;
			break;
		case OPT_OUTPUT:
			a.output = value;
			break;
		case OPT_NAMESPACE:
			a.job_ns = value;
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
		return rc;
	rc = dla_open_project(&op, opts);
	if (rc == DLA_EXIT_OK)
		rc = lineage_main(&op, opts, &a);
	dla_close_project(&op);
	return rc;
}

const struct dla_command cmd_lineage_entry = {
	.name = "lineage",
	.summary = "show what feeds what: sources, views, tables, exposures, columns, runs",
	.usage =
	"usage: dla [--project DIR] [--target NAME] lineage [--format F]\n"
	"           [--upstream NODE | --downstream NODE] [--run RUN_ID] [-o FILE]\n"
	"\n"
	"Prints the lineage of the project: every source, view, dimension, fact and\n"
	"exposure with what it reads, and column by column where the view scanner\n"
	"can tell (table-level otherwise).  See docs/LINEAGE.md.\n"
	"\n"
	"options:\n"
	"  --format F          md (default), html, json, dot or openlineage\n"
	"                        md, json, dot  static lineage; add --run for a run's\n"
	"                                       nodes, counts, times and edges read\n"
	"                        html           one self-contained page: the graph\n"
	"                                       (Graphviz), last load status, row\n"
	"                                       counts, age, freshness (reads the\n"
	"                                       warehouse when it can)\n"
	"                        openlineage    OpenLineage 2-0-2 RunEvents of a run\n"
	"                                       (default the last), one per line\n"
	"  --upstream NODE     only NODE and what feeds it\n"
	"  --downstream NODE   only NODE and what it feeds (\"which Tableau\n"
	"                      workbooks change if staging.customer changes?\");\n"
	"                      NODE.COLUMN follows one column\n"
	"  --run RUN_ID        a run recorded in the metadata schema, or 'last'\n"
	"  -o, --output FILE   write to FILE instead of standard output\n"
	"  --namespace NS      OpenLineage job namespace (default: the project name)\n"
	"\n"
	"exit codes: 0 ok, 1 cannot write, 2 usage, invalid project or unknown\n"
	"            node / run, 3 cannot connect (--run, openlineage)\n",
	.run = lineage_run,
};
