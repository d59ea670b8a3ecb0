/*
 * cmd_plan.c - `dla plan`: the selected nodes in run (topological) order,
 * as a text table, JSON, Graphviz DOT or SVG.  Needs no database.
 */
#include "alloc.h"
#include "buf.h"
#include "commands.h"
#include "diag_print.h"
#include "graph_render.h"
#include "json_out.h"
#include "project_open.h"
#include "select.h"

#include <stdio.h>
#include <string.h>

#define PROG "dla plan"

enum plan_format { FORMAT_TEXT, FORMAT_JSON, FORMAT_DOT, FORMAT_SVG };

enum { OPT_SELECT, OPT_EXCLUDE, OPT_FORMAT, OPT_SQL };

static const struct dla_optspec plan_options[] = {
	{ "--select", 0, true, OPT_SELECT },
	{ "--exclude", 0, true, OPT_EXCLUDE },
	{ "--format", 0, true, OPT_FORMAT },
	{ "--sql", 0, false, OPT_SQL },
};

struct plan {
	const struct dla_project *project;
	const struct dla_dag *dag;
	const bool *selected;
	size_t n_selected;
};

/* ---- text --------------------------------------------------------------- */

static void print_text(const struct plan *pl)
{
	const struct dla_dag *dag = pl->dag;
	int name_width = 24;

	printf("plan: %zu of %zu nodes selected\n", pl->n_selected, dag->n);
	if (pl->n_selected == 0)
		return;
	for (size_t k = 0; k < dag->n; k++) {
		size_t len = strlen(dag->nodes[k].name);
		if (pl->selected[k] && len > (size_t)name_width)
			name_width = len > 200 ? 200 : (int)len;
	}
	printf("  %-6s %-10s %-*s depends on\n", "level", "kind", name_width, "node");
	for (size_t k = 0; k < dag->n; k++) {
		const struct dla_node *node = &dag->nodes[dag->order[k]];

		if (!pl->selected[dag->order[k]])
			continue;
		if (node->n_deps == 0) {
			printf("  %-6d %-10s %s\n", node->level,
			       dla_node_kind_name(node->kind), node->name);
			continue;
		}
		printf("  %-6d %-10s %-*s ", node->level,
		       dla_node_kind_name(node->kind), name_width, node->name);
		for (size_t d = 0; d < node->n_deps; d++)
			printf("%s%s", d ? ", " : "", dag->nodes[node->deps[d]].name);
		putchar('\n');
	}
}

/* ---- json --------------------------------------------------------------- */

static struct dla_json *names_json(const struct dla_names *names)
{
	struct dla_json *arr = dla_json_array();
	int err = 0;

	for (size_t i = 0; names && i < names->n; i++)
		err |= dla_json_push(arr, dla_json_str(names->items[i]));
	if (err) {
		dla_json_free(arr);
		return NULL;
	}
	return arr;
}

static struct dla_json *node_json(const struct dla_dag *dag,
				  const struct dla_node *node)
{
	struct dla_json *obj = dla_json_object(), *deps = dla_json_array();
	int err = 0;

	for (size_t d = 0; d < node->n_deps; d++)
		err |= dla_json_push(deps, dla_json_str(dag->nodes[node->deps[d]].name));
	err |= dla_json_set(obj, "name", dla_json_str(node->name));
	err |= dla_json_set(obj, "kind", dla_json_str(dla_node_kind_name(node->kind)));
	err |= dla_json_set(obj, "level", dla_json_int(node->level));
	err |= dla_json_set(obj, "relation", dla_json_str(node->relation));
	err |= dla_json_set(obj, "file", dla_json_str(node->loc.file));
	err |= dla_json_set(obj, "line", dla_json_int(node->loc.line));
	err |= dla_json_set(obj, "depends_on", deps);
	err |= dla_json_set(obj, "tags", names_json(node->tags));
	if (err) {
		dla_json_free(obj);
		return NULL;
	}
	return obj;
}

static int print_json(const struct plan *pl)
{
	const struct dla_dag *dag = pl->dag;
	struct dla_json *root = dla_json_object(), *nodes = dla_json_array();
	int err = 0;

	for (size_t k = 0; k < dag->n; k++)
		if (pl->selected[dag->order[k]])
			err |= dla_json_push(nodes, node_json(dag, &dag->nodes[dag->order[k]]));
	err |= dla_json_set(root, "project", dla_json_str(pl->project->name));
	err |= dla_json_set(root, "selected", dla_json_int((long long)pl->n_selected));
	err |= dla_json_set(root, "total", dla_json_int((long long)dag->n));
	err |= dla_json_set(root, "nodes", nodes);
	if (!err)
		err = dla_json_write(stdout, root, DLA_JSON_PRETTY);
	dla_json_free(root);
	if (err) {
		fputs(PROG ": error: cannot build the JSON plan (out of memory)\n", stderr);
		return DLA_EXIT_FAILED;
	}
	return DLA_EXIT_OK;
}

/* ---- dot / svg ---------------------------------------------------------- */

/* Appends s as a DOT double-quoted ID. */
static void dot_quote(struct dla_buf *b, const char *s)
{
	dla_buf_addch(b, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			dla_buf_addch(b, '\\');
		if (*p < 0x20 || *p == 0x7f)
			dla_buf_addch(b, '?');
		else
			dla_buf_addch(b, (char)*p);
	}
	dla_buf_addch(b, '"');
}

static const char *dot_shape(enum dla_node_kind kind)
{
	switch (kind) {
	case DLA_NODE_SOURCE: return "cylinder";
	case DLA_NODE_VIEW: return "note";
	case DLA_NODE_DIMENSION: return "box";
	case DLA_NODE_FACT: return "box3d";
	case DLA_NODE_EXPOSURE: return "ellipse";
	}
	return "box";
}

static void build_dot(const struct plan *pl, struct dla_buf *b)
{
	const struct dla_dag *dag = pl->dag;

	dla_buf_adds(b, "digraph dla {\n"
		     "  rankdir=LR;\n"
		     "  node [fontname=\"Helvetica\", fontsize=10];\n");
	for (size_t k = 0; k < dag->n; k++) {
		const struct dla_node *node = &dag->nodes[dag->order[k]];

		if (!pl->selected[dag->order[k]])
			continue;
		dla_buf_adds(b, "  ");
		dot_quote(b, node->name);
		dla_buf_addf(b, " [shape=%s, tooltip=\"%s\"];\n",
			     dot_shape(node->kind), dla_node_kind_name(node->kind));
	}
	for (size_t k = 0; k < dag->n; k++) {
		size_t i = dag->order[k];
		const struct dla_node *node = &dag->nodes[i];

		if (!pl->selected[i])
			continue;
		for (size_t d = 0; d < node->n_deps; d++) {
			if (!pl->selected[node->deps[d]])
				continue;
			dla_buf_adds(b, "  ");
			dot_quote(b, dag->nodes[node->deps[d]].name);
			dla_buf_adds(b, " -> ");
			dot_quote(b, node->name);
			dla_buf_adds(b, ";\n");
		}
	}
	dla_buf_adds(b, "}\n");
}

static int print_graph(const struct plan *pl, enum plan_format format)
{
	struct dla_buf dot = DLA_BUF_INIT;
	char *svg = NULL;
	int rc = DLA_EXIT_OK;

	build_dot(pl, &dot);
	if (dla_buf_failed(&dot)) {
		fputs(PROG ": error: out of memory\n", stderr);
		return DLA_EXIT_FAILED;
	}
	if (format == FORMAT_DOT) {
		fwrite(dot.buf, 1, dot.len, stdout);
	} else if (dla_render_dot_to_svg(dot.buf, &svg) == 0) {
		fputs(svg, stdout);
		dla_free(svg);
	} else {
		fprintf(stderr, PROG ": error: cannot render the graph: %s\n",
			dla_render_last_error());
		rc = DLA_EXIT_FAILED;
	}
	dla_buf_release(&dot);
	return rc;
}

/* ---- the command -------------------------------------------------------- */

static int plan_run(int argc, char **argv, const struct dla_global_opts *opts)
{
	struct dla_optparser parser;
	struct dla_open_project op;
	enum plan_format format = FORMAT_TEXT;
	const char **select = NULL, **exclude = NULL;
	size_t n_select = 0, n_exclude = 0;
	bool want_sql = false, *selected = NULL;
	struct plan pl;
	const char *value;
	enum dla_code code;
	int opt, rc;

	/* at most argc selectors of each kind */
	select = dla_calloc((size_t)argc + 1, sizeof(*select));
	exclude = dla_calloc((size_t)argc + 1, sizeof(*exclude));
	if (!select || !exclude) {
		dla_free(select);
		dla_free(exclude);
		fputs(PROG ": error: out of memory\n", stderr);
		return DLA_EXIT_FAILED;
	}

	rc = DLA_EXIT_OK;
	dla_opt_init(&parser, PROG, argc, argv, 1, plan_options,
		     sizeof(plan_options) / sizeof(plan_options[0]));
	while (rc == DLA_EXIT_OK &&
	       (opt = dla_opt_next(&parser, &value)) != DLA_OPT_END) {
		switch (opt) {
		case OPT_SELECT:
			select[n_select++] = value;
			break;
		case OPT_EXCLUDE:
			exclude[n_exclude++] = value;
			break;
		case OPT_FORMAT:
			if (strcmp(value, "text") == 0)
				format = FORMAT_TEXT;
			else if (strcmp(value, "json") == 0)
				format = FORMAT_JSON;
			else if (strcmp(value, "dot") == 0)
				format = FORMAT_DOT;
			else if (strcmp(value, "svg") == 0)
				format = FORMAT_SVG;
			else
				rc = dla_usage_error(PROG, "unknown format '%s' "
						     "(expected text, json, dot or svg)",
						     value);
			break;
		case OPT_SQL:
			want_sql = true;
			break;
		case DLA_OPT_ARG:
			rc = dla_usage_error(PROG, "unexpected argument '%s'", value);
			break;
		default:
			rc = DLA_EXIT_USAGE;    /* already reported */
			break;
		}
	}
	/* TODO(sqlgen): print each selected node's SQL once SQL generation
	 * (dla/sqlgen.h) exists: for every selected node in order, a
	 * "-- node (kind)" header then its statements for the target's dialect. */
	if (rc == DLA_EXIT_OK && want_sql)
		rc = dla_usage_error(PROG, "--sql needs SQL generation, "
				     "not available in this version");
	if (rc != DLA_EXIT_OK)
		goto out_args;

	rc = dla_open_project(&op, opts);
	if (rc != DLA_EXIT_OK)
		goto out;

	selected = dla_calloc(op.dag.n ? op.dag.n : 1, sizeof(*selected));
	if (!selected) {
		fputs(PROG ": error: out of memory\n", stderr);
		rc = DLA_EXIT_FAILED;
		goto out;
	}
	dla_diags_release(&op.diags);    /* already printed by dla_open_project */
	code = dla_select(&op.dag, select, n_select, exclude, n_exclude, selected,
			  &op.diags);
	if (code != DLA_OK) {
		dla_diags_print(stderr, &op.diags, opts->project_dir);
		if (code == DLA_ERR_NOMEM) {
			fputs(PROG ": error: out of memory\n", stderr);
			rc = DLA_EXIT_FAILED;
		} else {
			rc = DLA_EXIT_USAGE;
		}
		goto out;
	}

	pl.project = &op.project;
	pl.dag = &op.dag;
	pl.selected = selected;
	pl.n_selected = 0;
	for (size_t i = 0; i < op.dag.n; i++)
		pl.n_selected += selected[i];

	switch (format) {
	case FORMAT_TEXT:
		print_text(&pl);
		break;
	case FORMAT_JSON:
		rc = print_json(&pl);
		break;
	case FORMAT_DOT:
	case FORMAT_SVG:
		rc = print_graph(&pl, format);
		break;
	}
out:
	dla_free(selected);
	dla_close_project(&op);
out_args:
	dla_free(select);
	dla_free(exclude);
	return rc;
}

const struct dla_command cmd_plan_entry = {
	.name = "plan",
	.summary = "show the selected nodes in run order (text, json, dot, svg)",
	.usage =
	"usage: dla [--project DIR] plan [--select S]... [--exclude S]...\n"
	"                                [--format text|json|dot|svg] [--sql]\n"
	"\n"
	"Prints the nodes a run would execute, in run (topological) order, with\n"
	"their level, kind and dependencies.  Needs no database.\n"
	"\n"
	"options:\n"
	"  --select S    select nodes; repeatable, the union is taken:\n"
	"                  name      the node\n"
	"                  +name     the node and everything upstream\n"
	"                  name+     the node and everything downstream\n"
	"                  tag:T     nodes tagged T\n"
	"                  path:P    nodes declared at or below P (path:models/sales)\n"
	"                default: every node\n"
	"  --exclude S   remove nodes (same syntax); repeatable\n"
	"  --format F    text (default), json, dot (Graphviz) or svg\n"
	"  --sql         also print the SQL of each node (not available yet)\n"
	"\n"
	"exit status: 0 ok, 2 usage error, invalid project or a selector\n"
	"matching no node\n",
	.run = plan_run,
};
