/*
 * lineage_out.c - Markdown, HTML (inline Graphviz SVG), JSON, DOT and
 * OpenLineage NDJSON renderings of a lineage (lineage_out.h).
 */
#include "lineage_out.h"
#include "alloc.h"
#include "buf.h"
#include "datatest.h"
#include "graph_render.h"
#include "json_out.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NONE ((size_t)-1)
#define PRODUCER "urn:dla:" DLA_VERSION
#define OL_SCHEMA "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
#define FACET(name, version) \
	"https://openlineage.io/spec/facets/" version "/" name ".json#/$defs/" name

/* ---- shared ------------------------------------------------------------- */

static const struct dla_node *node_at(const struct dla_lineage *l, size_t i)
{
	return &l->dag->nodes[i];
}

/* The included inputs (deps) or outputs (dependents) of node i, as a list
 * of edge indices (caller frees). */
static size_t *edges_of(const struct dla_lineage *l, size_t i, bool into, size_t *n_out)
{
	size_t *v = dla_calloc(l->n_edges + 1, sizeof(*v)), n = 0;

	if (!v) {
		*n_out = 0;
		return NULL;
	}
	for (size_t e = 0; e < l->n_edges; e++) {
		const struct dla_lineage_edge *x = &l->edges[e];
		if (into && x->to == i && l->included[x->from])
			v[n++] = e;
		else if (!into && x->from == i && l->included[x->to])
			v[n++] = e;
	}
	*n_out = n;
	return v;
}

static size_t count_edges(const struct dla_lineage *l)
{
	size_t n = 0;

	for (size_t e = 0; e < l->n_edges; e++)
		n += l->included[l->edges[e].from] && l->included[l->edges[e].to];
	return n;
}

static const char *direction_word(enum dla_lineage_direction d)
{
	return d == DLA_LINEAGE_UPSTREAM ? "upstream" : "downstream";
}

/* Sources upstream of node i (all, not only included). */
static void upstream_sources(const struct dla_lineage *l, size_t i, bool *mark)
{
	const struct dla_node *n = node_at(l, i);

	if (mark[i])
		return;
	mark[i] = true;
	for (size_t d = 0; d < n->n_deps; d++)
		upstream_sources(l, n->deps[d], mark);
}

static const char *exposure_type(enum dla_exposure_type t)
{
	switch (t) {
	case DLA_EXPOSURE_TABLEAU_WORKBOOK: return "tableau_workbook";
	case DLA_EXPOSURE_TABLEAU_DATASOURCE: return "tableau_datasource";
	case DLA_EXPOSURE_OTHER: break;
	}
	return "other";
}

/* "+5 ~2 -1 x0" */
static void counts_text(const struct dla_node_load *ld, char *out, size_t size)
{
	snprintf(out, size, "+%ld ~%ld -%ld", ld->rows_inserted, ld->rows_updated,
		 ld->rows_expired);
	if (ld->rows_deleted) {
		size_t len = strlen(out);
		snprintf(out + len, size - len, " x%ld", ld->rows_deleted);
	}
}

static void age_text(long long seconds, char out[32])
{
	if (seconds < 0)
		snprintf(out, 32, "-");
	else
		dla_duration_text(seconds, out);
}

/* ---- markdown ----------------------------------------------------------- */

static void md_cell(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '|')
			fputs("\\|", f);
		else if (*s == '\n' || *s == '\r')
			fputc(' ', f);
		else
			fputc(*s, f);
	}
}

static void md_inputs(FILE *f, const struct dla_lineage_column *c)
{
	for (size_t k = 0; k < c->n_inputs; k++) {
		fputs(k ? ", " : "", f);
		md_cell(f, c->inputs[k].relation);
		fputc('.', f);
		md_cell(f, c->inputs[k].column ? c->inputs[k].column : "*");
	}
}

static void write_md(FILE *f, const struct dla_lineage *l)
{
	const struct dla_dag *dag = l->dag;
	bool *mark = dla_calloc(dag->n + 1, sizeof(*mark));
	size_t n_exposures = 0;

	fprintf(f, "# Lineage of project `%s`\n\n", l->project->name);
	if (l->focus_node != NONE && l->direction != DLA_LINEAGE_ALL) {
		fprintf(f, "Impact analysis: everything %s of `%s%s%s` (%zu of %zu nodes).\n\n",
			direction_word(l->direction), node_at(l, l->focus_node)->name,
			l->focus_column ? "." : "", l->focus_column ? l->focus_column : "",
			l->n_included, dag->n);
	}
	fprintf(f, "%s lineage: %zu nodes, %zu edges.  Columns are traced where the view "
		"scanner can tell (column-level: `direct` copied, `derived` computed from the "
		"listed columns, `generated` made by dla); table-level otherwise.\n\n",
		l->run.set ? "Static and run" : "Static", l->n_included, count_edges(l));

	fputs("## Nodes\n\n| level | kind | node | relation | reads | lineage |\n"
	      "|---|---|---|---|---|---|\n", f);
	for (size_t k = 0; k < dag->n; k++) {
		size_t i = dag->order[k], n_in;
		const struct dla_node *n = node_at(l, i);
		size_t *in;

		if (!l->included[i])
			continue;
		in = edges_of(l, i, true, &n_in);
		fprintf(f, "| %d | %s | ", n->level, dla_node_kind_name(n->kind));
		md_cell(f, n->name);
		fputs(" | ", f);
		md_cell(f, n->relation ? n->relation : "");
		fputs(" | ", f);
		for (size_t e = 0; e < n_in; e++) {
			const struct dla_lineage_edge *x = &l->edges[in[e]];
			fputs(e ? ", " : "", f);
			md_cell(f, node_at(l, x->from)->name);
			if (x->kind == DLA_EDGE_DEPENDS_ON)
				fputs(" (depends_on)", f);
		}
		fprintf(f, " | %s |\n", n->kind == DLA_NODE_EXPOSURE ? "-" :
			l->nodes[i].column_level ? "column-level" : "table-level");
		dla_free(in);
	}

	for (size_t i = 0; i < dag->n; i++)
		n_exposures += l->included[i] && node_at(l, i)->kind == DLA_NODE_EXPOSURE;
	if (n_exposures && mark) {
		fputs("\n## Exposures (Tableau)\n\n| exposure | type | owner | built on | "
		      "upstream sources |\n|---|---|---|---|---|\n", f);
		for (size_t k = 0; k < dag->n; k++) {
			size_t i = dag->order[k];
			const struct dla_node *n = node_at(l, i);
			const struct dla_exposure *x;
			bool first = true;

			if (!l->included[i] || n->kind != DLA_NODE_EXPOSURE)
				continue;
			x = n->spec.exposure;
			fputs("| ", f);
			if (x->url) {
				fputc('[', f);
				md_cell(f, x->name);
				fputs("](", f);
				md_cell(f, x->url);
				fputc(')', f);
			} else {
				md_cell(f, x->name);
			}
			fprintf(f, " | %s | ", exposure_type(x->type));
			md_cell(f, x->owner ? x->owner : "");
			fputs(" | ", f);
			for (size_t d = 0; d < n->n_deps; d++) {
				fputs(d ? ", " : "", f);
				md_cell(f, node_at(l, n->deps[d])->name);
			}
			fputs(" | ", f);
			memset(mark, 0, (dag->n + 1) * sizeof(*mark));
			upstream_sources(l, i, mark);
			for (size_t s = 0; s < dag->n; s++) {
				if (!mark[s] || node_at(l, s)->kind != DLA_NODE_SOURCE)
					continue;
				fputs(first ? "" : ", ", f);
				md_cell(f, node_at(l, s)->name);
				first = false;
			}
			fputs(" |\n", f);
		}
	}

	if (l->run.set) {
		const struct dla_run_summary *r = &l->run;
		fprintf(f, "\n## Run %s\n\n", r->run_id);
		fprintf(f, "%s `%s` on target `%s`, as of %s: %s (started %s, finished %s).\n\n",
			r->command ? r->command : "run", r->selector ? r->selector : "all nodes",
			r->target ? r->target : "?", r->as_of ? r->as_of : "-",
			r->status ? r->status : "?", r->started_at ? r->started_at : "-",
			r->finished_at ? r->finished_at : "-");
		fputs("| node | status | rows | started | finished | read | wrote | message |\n"
		      "|---|---|---|---|---|---|---|---|\n", f);
		for (size_t k = 0; k < dag->n; k++) {
			size_t i = dag->order[k];
			const struct dla_lineage_node *ln = &l->nodes[i];
			char counts[96];

			if (!l->included[i] || !ln->run.set)
				continue;
			counts_text(&ln->run, counts, sizeof(counts));
			fputs("| ", f);
			md_cell(f, node_at(l, i)->name);
			fprintf(f, " | %s | %s | %s | %s | ", ln->run.status ? ln->run.status : "",
				node_at(l, i)->kind == DLA_NODE_VIEW ? "" : counts,
				ln->run.started_at ? ln->run.started_at : "",
				ln->run.finished_at ? ln->run.finished_at : "");
			for (size_t x = 0; x < ln->n_run_inputs; x++) {
				fputs(x ? ", " : "", f);
				md_cell(f, ln->run_inputs[x]);
			}
			fputs(" | ", f);
			md_cell(f, ln->run_output ? ln->run_output : "");
			fputs(" | ", f);
			md_cell(f, ln->run.message ? ln->run.message : "");
			fputs(" |\n", f);
		}
	}

	fputs("\n## Columns\n", f);
	for (size_t k = 0; k < dag->n; k++) {
		size_t i = dag->order[k];
		const struct dla_node *n = node_at(l, i);
		const struct dla_lineage_node *ln = &l->nodes[i];
		size_t shown = 0;

		if (!l->included[i] || n->kind == DLA_NODE_EXPOSURE)
			continue;
		fprintf(f, "\n### %s (%s, %s", n->name, dla_node_kind_name(n->kind),
			ln->column_level ? "column-level" : "table-level");
		if (!ln->column_level && ln->note)
			fprintf(f, ": %s", ln->note);
		fputs(")\n\n", f);
		if (ln->n_columns == 0) {
			fputs("No columns known.\n", f);
			continue;
		}
		for (size_t c = 0; c < ln->n_columns; c++) {
			const struct dla_lineage_column *col = &ln->columns[c];
			if (l->focus_column && !col->in_focus)
				continue;
			if (!shown++)
				fputs("| column | lineage | from |\n|---|---|---|\n", f);
			fputs("| ", f);
			md_cell(f, col->name);
			fprintf(f, " | %s | ", dla_col_kind_name(col->kind));
			md_inputs(f, col);
			fputs(" |\n", f);
		}
		if (!shown)
			fputs("Table-level: any column may be affected.\n", f);
	}
	dla_free(mark);
}

/* ---- dot -------------------------------------------------------------------- */

static void dot_quote(struct dla_buf *b, const char *s)
{
	dla_buf_addch(b, '"');
	for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
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

static const char *status_color(const char *status)
{
	if (!status)
		return "#ffffff";
	if (strcmp(status, "success") == 0 || strcmp(status, "pass") == 0)
		return "#d9f2d9";
	if (strcmp(status, "warn") == 0 || strcmp(status, "skipped") == 0)
		return "#fff2cc";
	return "#f8d0d0";
}

/* An HTML anchor id for node i: "node-" + name with unsafe bytes as '_'. */
static void anchor(struct dla_buf *b, const struct dla_lineage *l, size_t i)
{
	dla_buf_adds(b, "node-");
	for (const char *p = node_at(l, i)->name; *p; p++)
		dla_buf_addch(b, (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
				 (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' ? *p : '_');
}

/* with_status: fill nodes by their last load / freshness and link them to
 * their row of the HTML page. */
static void build_dot(const struct dla_lineage *l, bool with_status, struct dla_buf *b)
{
	const struct dla_dag *dag = l->dag;

	dla_buf_addf(b, "digraph lineage {\n  rankdir=LR;\n  graph [fontname=\"Helvetica\", "
		     "fontsize=10, label=");
	dot_quote(b, l->project->name);
	dla_buf_adds(b, "];\n  node [fontname=\"Helvetica\", fontsize=10, style=filled, "
		     "fillcolor=\"#ffffff\"];\n  edge [color=\"#555555\"];\n");
	for (size_t k = 0; k < dag->n; k++) {
		size_t i = dag->order[k];
		const struct dla_node *n = node_at(l, i);
		const struct dla_lineage_node *ln = &l->nodes[i];

		if (!l->included[i])
			continue;
		dla_buf_adds(b, "  ");
		dot_quote(b, n->name);
		dla_buf_addf(b, " [shape=%s, tooltip=\"%s\"", dot_shape(n->kind),
			     dla_node_kind_name(n->kind));
		if (i == l->focus_node && l->direction != DLA_LINEAGE_ALL)
			dla_buf_adds(b, ", penwidth=2.5");
		if (with_status) {
			const char *status = n->kind == DLA_NODE_SOURCE
				? (ln->has_freshness ? ln->fresh_status : NULL)
				: (ln->last.set ? ln->last.status : NULL);
			struct dla_buf a = DLA_BUF_INIT;
			dla_buf_addf(b, ", fillcolor=\"%s\", URL=\"#", status_color(status));
			anchor(&a, l, i);
			dla_buf_addf(b, "%s\"", a.buf);
			dla_buf_release(&a);
		}
		dla_buf_adds(b, "];\n");
	}
	for (size_t e = 0; e < l->n_edges; e++) {
		const struct dla_lineage_edge *x = &l->edges[e];

		if (!l->included[x->from] || !l->included[x->to])
			continue;
		dla_buf_adds(b, "  ");
		dot_quote(b, node_at(l, x->from)->name);
		dla_buf_adds(b, " -> ");
		dot_quote(b, node_at(l, x->to)->name);
		if (x->kind == DLA_EDGE_DEPENDS_ON)
			dla_buf_adds(b, " [style=dashed, tooltip=\"depends_on\"]");
		else if (x->kind == DLA_EDGE_EXPOSES)
			dla_buf_adds(b, " [style=dotted, tooltip=\"exposes\"]");
		dla_buf_adds(b, ";\n");
	}
	dla_buf_adds(b, "}\n");
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

static struct dla_json *load_json(const struct dla_node_load *ld)
{
	struct dla_json *o = dla_json_object();
	int err = 0;

	err |= dla_json_set(o, "run_id", dla_json_str(ld->run_id));
	err |= dla_json_set(o, "status", dla_json_str(ld->status));
	err |= dla_json_set(o, "started_at", dla_json_str(ld->started_at));
	err |= dla_json_set(o, "finished_at", dla_json_str(ld->finished_at));
	err |= dla_json_set(o, "rows_inserted", dla_json_int(ld->rows_inserted));
	err |= dla_json_set(o, "rows_updated", dla_json_int(ld->rows_updated));
	err |= dla_json_set(o, "rows_expired", dla_json_int(ld->rows_expired));
	err |= dla_json_set(o, "rows_deleted", dla_json_int(ld->rows_deleted));
	err |= dla_json_set(o, "message", dla_json_str(ld->message));
	if (err) {
		dla_json_free(o);
		return NULL;
	}
	return o;
}

static struct dla_json *columns_json(const struct dla_lineage *l, size_t i)
{
	const struct dla_lineage_node *ln = &l->nodes[i];
	struct dla_json *arr = dla_json_array();
	int err = 0;

	for (size_t c = 0; c < ln->n_columns; c++) {
		const struct dla_lineage_column *col = &ln->columns[c];
		struct dla_json *o = dla_json_object(), *from = dla_json_array();

		if (l->focus_column && !col->in_focus) {
			dla_json_free(o);
			dla_json_free(from);
			continue;
		}
		for (size_t k = 0; k < col->n_inputs; k++) {
			struct dla_json *in = dla_json_object();
			const struct dla_col_input *x = &col->inputs[k];
			err |= dla_json_set(in, "node", dla_json_str(x->node != NONE
								     ? node_at(l, x->node)->name
								     : x->relation));
			err |= dla_json_set(in, "column", dla_json_str(x->column));
			err |= dla_json_push(from, in);
		}
		err |= dla_json_set(o, "name", dla_json_str(col->name));
		err |= dla_json_set(o, "lineage", dla_json_str(dla_col_kind_name(col->kind)));
		err |= dla_json_set(o, "from", from);
		err |= dla_json_push(arr, o);
	}
	if (err) {
		dla_json_free(arr);
		return NULL;
	}
	return arr;
}

static struct dla_json *node_json(const struct dla_lineage *l, size_t i)
{
	const struct dla_node *n = node_at(l, i);
	const struct dla_lineage_node *ln = &l->nodes[i];
	struct dla_json *o = dla_json_object(), *reads = dla_json_array(),
			*read_by = dla_json_array();
	size_t n_in, n_out, *in = edges_of(l, i, true, &n_in), *out = edges_of(l, i, false, &n_out);
	const char *dot = n->relation ? strchr(n->relation, '.') : NULL;
	int err = 0;

	for (size_t e = 0; e < n_in; e++)
		err |= dla_json_push(reads, dla_json_str(node_at(l, l->edges[in[e]].from)->name));
	for (size_t e = 0; e < n_out; e++)
		err |= dla_json_push(read_by, dla_json_str(node_at(l, l->edges[out[e]].to)->name));
	dla_free(in);
	dla_free(out);
	err |= dla_json_set(o, "name", dla_json_str(n->name));
	err |= dla_json_set(o, "kind", dla_json_str(dla_node_kind_name(n->kind)));
	err |= dla_json_set(o, "relation", dla_json_str(n->relation));
	err |= dla_json_set(o, "schema", dot ? dla_json_strn(n->relation, (size_t)(dot - n->relation))
					     : dla_json_null());
	err |= dla_json_set(o, "table", dla_json_str(dot ? dot + 1 : NULL));
	err |= dla_json_set(o, "level", dla_json_int(n->level));
	err |= dla_json_set(o, "file", dla_json_str(n->loc.file));
	err |= dla_json_set(o, "line", dla_json_int(n->loc.line));
	err |= dla_json_set(o, "tags", names_json(n->tags));
	err |= dla_json_set(o, "reads", reads);
	err |= dla_json_set(o, "read_by", read_by);
	if (n->kind == DLA_NODE_EXPOSURE) {
		const struct dla_exposure *x = n->spec.exposure;
		err |= dla_json_set(o, "type", dla_json_str(exposure_type(x->type)));
		err |= dla_json_set(o, "url", dla_json_str(x->url));
		err |= dla_json_set(o, "owner", dla_json_str(x->owner));
	} else {
		err |= dla_json_set(o, "column_lineage",
				    dla_json_str(ln->column_level ? "column" : "table"));
		err |= dla_json_set(o, "note", dla_json_str(ln->column_level ? NULL : ln->note));
		err |= dla_json_set(o, "columns", columns_json(l, i));
	}
	if (l->run.set)
		err |= dla_json_set(o, "run", ln->run.set ? load_json(&ln->run) : dla_json_null());
	if (ln->last.set)
		err |= dla_json_set(o, "last_load", load_json(&ln->last));
	if (ln->has_freshness) {
		struct dla_json *fr = dla_json_object();
		err |= dla_json_set(fr, "status", dla_json_str(ln->fresh_status));
		err |= dla_json_set(fr, "message", dla_json_str(ln->fresh_message));
		err |= dla_json_set(o, "freshness", fr);
	}
	if (err) {
		dla_json_free(o);
		return NULL;
	}
	return o;
}

static int write_json(FILE *f, const struct dla_lineage *l)
{
	const struct dla_dag *dag = l->dag;
	struct dla_json *root = dla_json_object(), *nodes = dla_json_array(),
			*edges = dla_json_array(), *focus;
	int err = 0;

	err |= dla_json_set(root, "project", dla_json_str(l->project->name));
	if (l->focus_node != NONE && l->direction != DLA_LINEAGE_ALL) {
		focus = dla_json_object();
		err |= dla_json_set(focus, "node", dla_json_str(node_at(l, l->focus_node)->name));
		err |= dla_json_set(focus, "column", dla_json_str(l->focus_column));
		err |= dla_json_set(focus, "direction", dla_json_str(direction_word(l->direction)));
		err |= dla_json_set(root, "focus", focus);
	} else {
		err |= dla_json_set(root, "focus", dla_json_null());
	}
	for (size_t k = 0; k < dag->n; k++)
		if (l->included[dag->order[k]])
			err |= dla_json_push(nodes, node_json(l, dag->order[k]));
	for (size_t e = 0; e < l->n_edges; e++) {
		const struct dla_lineage_edge *x = &l->edges[e];
		struct dla_json *o;

		if (!l->included[x->from] || !l->included[x->to])
			continue;
		o = dla_json_object();
		err |= dla_json_set(o, "from", dla_json_str(node_at(l, x->from)->name));
		err |= dla_json_set(o, "to", dla_json_str(node_at(l, x->to)->name));
		err |= dla_json_set(o, "kind", dla_json_str(dla_edge_kind_name(x->kind)));
		err |= dla_json_push(edges, o);
	}
	err |= dla_json_set(root, "nodes", nodes);
	err |= dla_json_set(root, "edges", edges);
	if (l->run.set) {
		const struct dla_run_summary *r = &l->run;
		struct dla_json *run = dla_json_object();
		err |= dla_json_set(run, "run_id", dla_json_str(r->run_id));
		err |= dla_json_set(run, "target", dla_json_str(r->target));
		err |= dla_json_set(run, "command", dla_json_str(r->command));
		err |= dla_json_set(run, "selector", dla_json_str(r->selector));
		err |= dla_json_set(run, "as_of", dla_json_str(r->as_of));
		err |= dla_json_set(run, "started_at", dla_json_str(r->started_at));
		err |= dla_json_set(run, "finished_at", dla_json_str(r->finished_at));
		err |= dla_json_set(run, "status", dla_json_str(r->status));
		err |= dla_json_set(root, "run", run);
	}
	if (!err)
		err = dla_json_write(f, root, DLA_JSON_PRETTY);
	dla_json_free(root);
	return err ? -1 : 0;
}

/* ---- html ----------------------------------------------------------------- */

static void h(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*s, f); break;
		}
	}
}

static void html_status(FILE *f, const char *status)
{
	fprintf(f, "<span class=\"st st-%s\">", status ? status : "none");
	h(f, status ? status : "-");
	fputs("</span>", f);
}

/* "12 pass", "1 fail: one_current_version, 1 warn" (latest dla test results) */
static void html_tests(FILE *f, const struct dla_lineage_node *ln)
{
	if (!ln->tests_passed && !ln->tests_failed && !ln->tests_warned)
		return;
	if (ln->tests_failed) {
		fprintf(f, "<span class=\"st st-fail\">%zu fail</span> ", ln->tests_failed);
		h(f, ln->tests_failing);
	} else if (ln->tests_passed) {
		fprintf(f, "<span class=\"st st-pass\">%zu pass</span>", ln->tests_passed);
	}
	if (ln->tests_warned)
		fprintf(f, "%s<span class=\"st st-warn\">%zu warn</span>",
			ln->tests_failed || ln->tests_passed ? " " : "", ln->tests_warned);
}

static const char html_style[] =
	"body{font-family:-apple-system,Helvetica,Arial,sans-serif;margin:24px;color:#222}"
	"h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd}"
	"table{border-collapse:collapse;font-size:13px;margin:8px 0}"
	"th,td{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}"
	"th{background:#f4f4f4}td.num{text-align:right;font-variant-numeric:tabular-nums;"
	"white-space:nowrap}td.ts{white-space:nowrap}"
	".graph{overflow:auto;border:1px solid #ddd;padding:8px;background:#fafafa}"
	".graph svg{max-width:none}.st{padding:1px 6px;border-radius:3px}"
	".st-success,.st-pass{background:#d9f2d9}.st-failed,.st-fail,.st-error{background:#f8d0d0}"
	".st-skipped,.st-warn{background:#fff2cc}.muted{color:#777}"
	"code{background:#f4f4f4;padding:0 3px}details{margin:6px 0}";

static void html_graph(FILE *f, const struct dla_lineage *l)
{
	struct dla_buf dot = DLA_BUF_INIT;
	char *svg = NULL;

	build_dot(l, true, &dot);
	if (!dla_buf_failed(&dot) && dla_render_dot_to_svg(dot.buf, &svg) == 0) {
		const char *start = strstr(svg, "<svg");
		fputs("<div class=\"graph\" id=\"graph\">\n", f);
		fputs(start ? start : svg, f);
		fputs("</div>\n", f);
	} else {
		fputs("<p class=\"muted\">The graph could not be laid out: ", f);
		h(f, dla_render_last_error());
		fputs("</p>\n", f);
	}
	dla_free(svg);
	dla_buf_release(&dot);
}

static void write_html(FILE *f, const struct dla_lineage *l, const struct dla_lineage_render *r)
{
	const struct dla_dag *dag = l->dag;
	bool *mark = dla_calloc(dag->n + 1, sizeof(*mark));
	struct dla_buf a = DLA_BUF_INIT;

	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"generator\" content=\"dla " DLA_VERSION "\">\n<title>Lineage: ", f);
	h(f, l->project->name);
	fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>Lineage of ", html_style);
	h(f, l->project->name);
	fputs("</h1>\n<p>", f);
	if (r->target) {
		fputs("Target <code>", f);
		h(f, r->target);
		fputs("</code>. ", f);
	}
	if (r->generated_at) {
		fputs("Generated ", f);
		h(f, r->generated_at);
		fputs(" UTC by dla " DLA_VERSION ". ", f);
	}
	fprintf(f, "%zu nodes, %zu edges.", l->n_included, count_edges(l));
	if (l->focus_node != NONE && l->direction != DLA_LINEAGE_ALL) {
		fprintf(f, " Impact analysis: everything %s of <code>",
			direction_word(l->direction));
		h(f, node_at(l, l->focus_node)->name);
		if (l->focus_column) {
			fputc('.', f);
			h(f, l->focus_column);
		}
		fputs("</code>.", f);
	}
	if (!r->warehouse)
		fputs(" <span class=\"muted\">The warehouse was not read: no load status.</span>", f);
	fputs("</p>\n<h2>Graph</h2>\n", f);
	html_graph(f, l);

	fputs("<h2>Nodes</h2>\n<table id=\"nodes\">\n<tr><th>node</th><th>kind</th>"
	      "<th>relation</th><th>level</th><th>last load</th><th>finished (UTC)</th>"
	      "<th>age</th><th>rows +ins ~upd -exp xdel</th><th>data tests</th>"
	      "<th>freshness / message</th></tr>\n", f);
	for (size_t k = 0; k < dag->n; k++) {
		size_t i = dag->order[k];
		const struct dla_node *n = node_at(l, i);
		const struct dla_lineage_node *ln = &l->nodes[i];
		char counts[96], age[32];

		if (!l->included[i])
			continue;
		dla_buf_reset(&a);
		anchor(&a, l, i);
		fprintf(f, "<tr id=\"%s\"><td>", a.buf);
		h(f, n->name);
		fprintf(f, "</td><td>%s</td><td>", dla_node_kind_name(n->kind));
		h(f, n->relation ? n->relation : "");
		fprintf(f, "</td><td class=\"num\">%d</td><td>", n->level);
		if (ln->last.set) {
			counts_text(&ln->last, counts, sizeof(counts));
			age_text(ln->last.age_seconds, age);
			html_status(f, ln->last.status);
			fputs("</td><td class=\"ts\">", f);
			if (ln->last.finished_at)
				fprintf(f, "%.19s", ln->last.finished_at);   /* whole seconds */
			fprintf(f, "</td><td class=\"num\">%s</td><td class=\"num\">%s</td><td>", age,
				n->kind == DLA_NODE_VIEW ? "" : counts);
			html_tests(f, ln);
			fputs("</td><td>", f);
			h(f, ln->last.message);
		} else if (ln->has_freshness) {
			fputs("-</td><td></td><td></td><td></td><td>", f);
			html_tests(f, ln);
			fputs("</td><td>", f);
			html_status(f, ln->fresh_status);
			fputc(' ', f);
			h(f, ln->fresh_message);
		} else {
			fputs("<span class=\"muted\">-</span></td><td></td><td></td><td></td><td>", f);
			html_tests(f, ln);
			fputs("</td><td>", f);
		}
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);

	fputs("<h2>Source freshness</h2>\n<table id=\"freshness\">\n<tr><th>source</th>"
	      "<th>column</th><th>warn after</th><th>error after</th><th>status</th>"
	      "<th>verdict</th></tr>\n", f);
	for (size_t k = 0; k < dag->n; k++) {
		size_t i = dag->order[k];
		const struct dla_node *n = node_at(l, i);
		const struct dla_freshness *fr;
		char warn[32], error[32];

		if (!l->included[i] || n->kind != DLA_NODE_SOURCE || !n->spec.source->freshness.set)
			continue;
		fr = &n->spec.source->freshness;
		age_text(fr->warn_after_s ? fr->warn_after_s : -1, warn);
		age_text(fr->error_after_s ? fr->error_after_s : -1, error);
		fputs("<tr><td>", f);
		h(f, n->name);
		fputs("</td><td>", f);
		h(f, fr->column);
		fprintf(f, "</td><td>%s</td><td>%s</td><td>", warn, error);
		html_status(f, l->nodes[i].has_freshness ? l->nodes[i].fresh_status : NULL);
		fputs("</td><td>", f);
		h(f, l->nodes[i].fresh_message);
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);

	fputs("<h2>Exposures</h2>\n<table id=\"exposures\">\n<tr><th>exposure</th><th>type</th>"
	      "<th>owner</th><th>built on</th><th>upstream sources</th></tr>\n", f);
	for (size_t k = 0; k < dag->n && mark; k++) {
		size_t i = dag->order[k];
		const struct dla_node *n = node_at(l, i);
		const struct dla_exposure *x;
		bool first = true;

		if (!l->included[i] || n->kind != DLA_NODE_EXPOSURE)
			continue;
		x = n->spec.exposure;
		fputs("<tr><td>", f);
		if (x->url) {
			fputs("<a href=\"", f);
			h(f, x->url);
			fputs("\">", f);
			h(f, x->name);
			fputs("</a>", f);
		} else {
			h(f, x->name);
		}
		fprintf(f, "</td><td>%s</td><td>", exposure_type(x->type));
		h(f, x->owner);
		fputs("</td><td>", f);
		for (size_t d = 0; d < n->n_deps; d++) {
			fputs(d ? ", " : "", f);
			h(f, node_at(l, n->deps[d])->name);
		}
		fputs("</td><td>", f);
		memset(mark, 0, (dag->n + 1) * sizeof(*mark));
		upstream_sources(l, i, mark);
		for (size_t s = 0; s < dag->n; s++) {
			if (!mark[s] || node_at(l, s)->kind != DLA_NODE_SOURCE)
				continue;
			fputs(first ? "" : ", ", f);
			h(f, node_at(l, s)->name);
			first = false;
		}
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);

	fputs("<h2>Columns</h2>\n<p class=\"muted\">Column-level where the view scanner can tell: "
	      "<i>direct</i> copied, <i>derived</i> computed from the listed columns, "
	      "<i>generated</i> made by dla; table-level otherwise.</p>\n", f);
	for (size_t k = 0; k < dag->n; k++) {
		size_t i = dag->order[k];
		const struct dla_node *n = node_at(l, i);
		const struct dla_lineage_node *ln = &l->nodes[i];

		if (!l->included[i] || n->kind == DLA_NODE_EXPOSURE || ln->n_columns == 0)
			continue;
		fputs("<details><summary>", f);
		h(f, n->name);
		fprintf(f, " <span class=\"muted\">(%s, %s)</span></summary>\n",
			dla_node_kind_name(n->kind),
			ln->column_level ? "column-level" : "table-level");
		fputs("<table><tr><th>column</th><th>lineage</th><th>from</th></tr>\n", f);
		for (size_t c = 0; c < ln->n_columns; c++) {
			const struct dla_lineage_column *col = &ln->columns[c];
			if (l->focus_column && !col->in_focus)
				continue;
			fputs("<tr><td>", f);
			h(f, col->name);
			fprintf(f, "</td><td>%s</td><td>", dla_col_kind_name(col->kind));
			for (size_t x = 0; x < col->n_inputs; x++) {
				fputs(x ? ", " : "", f);
				h(f, col->inputs[x].relation);
				fputc('.', f);
				h(f, col->inputs[x].column ? col->inputs[x].column : "*");
			}
			fputs("</td></tr>\n", f);
		}
		fputs("</table></details>\n", f);
	}
	fputs("</body>\n</html>\n", f);
	dla_buf_release(&a);
	dla_free(mark);
}

/* ---- openlineage ----------------------------------------------------------- */

struct ol {
	const struct dla_lineage *l;
	const struct dla_lineage_render *r;
	FILE *f;
	int err;
};

static struct dla_json *facet_base(const char *schema_url)
{
	struct dla_json *o = dla_json_object();

	if (dla_json_set(o, "_producer", dla_json_str(PRODUCER)) ||
	    dla_json_set(o, "_schemaURL", dla_json_str(schema_url))) {
		dla_json_free(o);
		return NULL;
	}
	return o;
}

static char *dataset_name(const struct ol *ol, const char *relation)
{
	struct dla_buf b = DLA_BUF_INIT;

	dla_buf_addf(&b, "%s%s", ol->r->dataset_prefix ? ol->r->dataset_prefix : "", relation);
	return dla_buf_detach(&b);
}

/* A dataset: namespace, name and its schema facet when its fields are
 * known (node may be NONE). */
static struct dla_json *dataset_json(struct ol *ol, const char *relation, size_t node,
				     bool output, bool complete)
{
	const struct dla_lineage *l = ol->l;
	struct dla_json *o = dla_json_object(), *facets = dla_json_object();
	char *name = dataset_name(ol, relation);
	bool any_facet = false;

	ol->err |= dla_json_set(o, "namespace", dla_json_str(ol->r->dataset_ns));
	ol->err |= dla_json_set(o, "name", dla_json_str(name));
	dla_free(name);
	if (node != NONE && l->nodes[node].fields_read) {
		const struct dla_lineage_node *ln = &l->nodes[node];
		struct dla_json *schema = facet_base(FACET("SchemaDatasetFacet", "1-1-1"));
		struct dla_json *fields = dla_json_array();

		for (size_t i = 0; i < ln->n_fields; i++) {
			struct dla_json *fo = dla_json_object();
			ol->err |= dla_json_set(fo, "name", dla_json_str(ln->fields[i].name));
			ol->err |= dla_json_set(fo, "type", dla_json_str(ln->fields[i].type));
			ol->err |= dla_json_push(fields, fo);
		}
		ol->err |= dla_json_set(schema, "fields", fields);
		ol->err |= dla_json_set(facets, "schema", schema);
		any_facet = true;
	}
	if (output && node != NONE && l->nodes[node].n_columns) {
		const struct dla_lineage_node *ln = &l->nodes[node];
		struct dla_json *cl = facet_base(FACET("ColumnLineageDatasetFacet", "1-0-1"));
		struct dla_json *fields = dla_json_object();
		bool any = false;

		for (size_t c = 0; c < ln->n_columns; c++) {
			const struct dla_lineage_column *col = &ln->columns[c];
			struct dla_json *entry, *inputs;
			bool has = false;

			for (size_t k = 0; k < col->n_inputs; k++)
				has |= col->inputs[k].column != NULL;
			if (!has)
				continue;
			entry = dla_json_object();
			inputs = dla_json_array();
			for (size_t k = 0; k < col->n_inputs; k++) {
				const struct dla_col_input *in = &col->inputs[k];
				struct dla_json *x;
				char *iname;

				if (!in->column)
					continue;
				x = dla_json_object();
				iname = dataset_name(ol, in->relation);
				ol->err |= dla_json_set(x, "namespace", dla_json_str(ol->r->dataset_ns));
				ol->err |= dla_json_set(x, "name", dla_json_str(iname));
				ol->err |= dla_json_set(x, "field", dla_json_str(in->column));
				ol->err |= dla_json_push(inputs, x);
				dla_free(iname);
			}
			ol->err |= dla_json_set(entry, "inputFields", inputs);
			ol->err |= dla_json_set(fields, col->name, entry);
			any = true;
		}
		if (any) {
			ol->err |= dla_json_set(cl, "fields", fields);
			ol->err |= dla_json_set(facets, "columnLineage", cl);
			any_facet = true;
		} else {
			dla_json_free(fields);
			dla_json_free(cl);
		}
	}
	if (output && complete) {
		const struct dla_node_load *ld = &l->nodes[node].run;
		struct dla_json *of = dla_json_object();
		struct dla_json *st = facet_base(FACET("OutputStatisticsOutputDatasetFacet", "1-0-2"));
		ol->err |= dla_json_set(st, "rowCount",
					dla_json_int(ld->rows_inserted + ld->rows_updated +
						     ld->rows_expired + ld->rows_deleted));
		ol->err |= dla_json_set(of, "outputStatistics", st);
		ol->err |= dla_json_set(o, "outputFacets", of);
	}
	if (any_facet)
		ol->err |= dla_json_set(o, "facets", facets);
	else
		dla_json_free(facets);
	return o;
}

static void emit_event(struct ol *ol, const char *type, const char *time,
		       const char *run_uuid, const char *job_name, struct dla_json *run_facets,
		       struct dla_json *inputs, struct dla_json *outputs)
{
	struct dla_json *e = dla_json_object(), *run = dla_json_object(), *job = dla_json_object();
	char iso[40];

	if (!dla_time_iso8601(time, iso))
		dla_time_iso8601("1970-01-01 00:00:00", iso);
	ol->err |= dla_json_set(e, "eventType", dla_json_str(type));
	ol->err |= dla_json_set(e, "eventTime", dla_json_str(iso));
	ol->err |= dla_json_set(run, "runId", dla_json_str(run_uuid));
	if (run_facets)
		ol->err |= dla_json_set(run, "facets", run_facets);
	ol->err |= dla_json_set(e, "run", run);
	ol->err |= dla_json_set(job, "namespace", dla_json_str(ol->r->job_ns));
	ol->err |= dla_json_set(job, "name", dla_json_str(job_name));
	ol->err |= dla_json_set(e, "job", job);
	ol->err |= dla_json_set(e, "inputs", inputs ? inputs : dla_json_array());
	ol->err |= dla_json_set(e, "outputs", outputs ? outputs : dla_json_array());
	ol->err |= dla_json_set(e, "producer", dla_json_str(PRODUCER));
	ol->err |= dla_json_set(e, "schemaURL", dla_json_str(OL_SCHEMA));
	if (!ol->err)
		ol->err |= dla_json_write(ol->f, e, DLA_JSON_LINE);
	dla_json_free(e);
}

static struct dla_json *parent_facet(const struct ol *ol, const char *parent_uuid)
{
	struct dla_json *facets = dla_json_object();
	struct dla_json *p = facet_base(FACET("ParentRunFacet", "1-1-0"));
	struct dla_json *run = dla_json_object(), *job = dla_json_object();
	int err = 0;

	err |= dla_json_set(run, "runId", dla_json_str(parent_uuid));
	err |= dla_json_set(job, "namespace", dla_json_str(ol->r->job_ns));
	err |= dla_json_set(job, "name", dla_json_str(ol->l->project->name));
	err |= dla_json_set(p, "run", run);
	err |= dla_json_set(p, "job", job);
	err |= dla_json_set(facets, "parent", p);
	if (err) {
		dla_json_free(facets);
		return NULL;
	}
	return facets;
}

/* The START and COMPLETE / FAIL / ABORT events of node i in the run. */
static void node_events(struct ol *ol, size_t i, const char *parent_uuid)
{
	const struct dla_lineage *l = ol->l;
	const struct dla_node *n = node_at(l, i);
	const struct dla_lineage_node *ln = &l->nodes[i];
	const char *status = ln->run.status ? ln->run.status : "";
	const char *end_type = strcmp(status, "success") == 0 ? "COMPLETE"
			       : strcmp(status, "skipped") == 0 ? "ABORT" : "FAIL";
	struct dla_buf key = DLA_BUF_INIT;
	char uuid[37];

	dla_buf_addf(&key, "%s/%s/%s", l->project->name, l->run.run_id, n->name);
	dla_uuid5(dla_buf_failed(&key) ? n->name : key.buf, uuid);
	dla_buf_release(&key);
	for (int end = 0; end < 2; end++) {
		struct dla_json *inputs = dla_json_array(), *outputs = dla_json_array();
		struct dla_json *facets = parent_facet(ol, parent_uuid);
		const char *out_rel = ln->run_output ? ln->run_output : n->relation;

		if (ln->n_run_inputs) {
			for (size_t k = 0; k < ln->n_run_inputs; k++)
				ol->err |= dla_json_push(inputs, dataset_json(ol, ln->run_inputs[k],
						dla_dag_find(l->dag, ln->run_inputs[k]), false, false));
		} else {
			for (size_t e = 0; e < l->n_edges; e++) {
				const struct dla_lineage_edge *x = &l->edges[e];
				if (x->to != i || x->kind != DLA_EDGE_READS ||
				    !node_at(l, x->from)->relation)
					continue;
				ol->err |= dla_json_push(inputs, dataset_json(ol,
						node_at(l, x->from)->relation, x->from, false, false));
			}
		}
		if (out_rel)
			ol->err |= dla_json_push(outputs, dataset_json(ol, out_rel, i, true,
						 end && strcmp(end_type, "COMPLETE") == 0));
		if (end && strcmp(end_type, "FAIL") == 0 && facets) {
			struct dla_json *em = facet_base(FACET("ErrorMessageRunFacet", "1-0-1"));
			ol->err |= dla_json_set(em, "message",
						dla_json_str(ln->run.message ? ln->run.message
									     : "failed"));
			ol->err |= dla_json_set(em, "programmingLanguage", dla_json_str("SQL"));
			ol->err |= dla_json_set(facets, "errorMessage", em);
		}
		emit_event(ol, end ? end_type : "START",
			   end ? (ln->run.finished_at ? ln->run.finished_at : ln->run.started_at)
			       : ln->run.started_at,
			   uuid, n->name, facets, inputs, outputs);
	}
}

static int write_openlineage(FILE *f, const struct dla_lineage *l,
			     const struct dla_lineage_render *r)
{
	const struct dla_dag *dag = l->dag;
	struct ol ol = { l, r, f, 0 };
	struct dla_buf key = DLA_BUF_INIT;
	char parent[37];
	size_t *order, n = 0;

	if (!l->run.set)
		return -1;
	dla_buf_addf(&key, "%s/%s", l->project->name, l->run.run_id);
	if (dla_buf_failed(&key))
		return -1;
	dla_uuid5(key.buf, parent);
	dla_buf_release(&key);
	order = dla_calloc(dag->n + 1, sizeof(*order));
	if (!order)
		return -1;
	/* node runs in start order (then DAG order) */
	for (size_t k = 0; k < dag->n; k++) {
		size_t i = dag->order[k];
		if (l->included[i] && l->nodes[i].run.set)
			order[n++] = i;
	}
	for (size_t a = 1; a < n; a++) {
		size_t x = order[a], b = a;
		const char *xs = l->nodes[x].run.started_at ? l->nodes[x].run.started_at : "";
		while (b > 0) {
			const char *ys = l->nodes[order[b - 1]].run.started_at;
			if (strcmp(ys ? ys : "", xs) <= 0)
				break;
			order[b] = order[b - 1];
			b--;
		}
		order[b] = x;
	}
	emit_event(&ol, "START", l->run.started_at, parent, l->project->name, NULL, NULL, NULL);
	for (size_t k = 0; k < n && !ol.err; k++)
		node_events(&ol, order[k], parent);
	emit_event(&ol, l->run.status && strcmp(l->run.status, "success") == 0 ? "COMPLETE"
		   : l->run.status && strcmp(l->run.status, "running") == 0 ? "RUNNING" : "FAIL",
		   l->run.finished_at ? l->run.finished_at : l->run.started_at, parent,
		   l->project->name, NULL, NULL, NULL);
	dla_free(order);
	return ol.err ? -1 : 0;
}

/* ---- entry ------------------------------------------------------------------ */

int dla_lineage_write(FILE *out, const struct dla_lineage *l,
		      const struct dla_lineage_render *r, const char **why)
{
	struct dla_buf dot = DLA_BUF_INIT;
	int rc = 0;

	*why = "cannot write the output";
	switch (r->format) {
	case DLA_LINEAGE_MD:
		write_md(out, l);
		break;
	case DLA_LINEAGE_HTML:
		write_html(out, l, r);
		break;
	case DLA_LINEAGE_JSON:
		rc = write_json(out, l);
		if (rc)
			*why = "cannot build the JSON document (out of memory)";
		break;
	case DLA_LINEAGE_DOT:
		build_dot(l, false, &dot);
		if (dla_buf_failed(&dot)) {
			*why = "out of memory";
			rc = -1;
		} else {
			fwrite(dot.buf, 1, dot.len, out);
		}
		dla_buf_release(&dot);
		break;
	case DLA_LINEAGE_OPENLINEAGE:
		rc = write_openlineage(out, l, r);
		if (rc)
			*why = "cannot build the OpenLineage events";
		break;
	}
	if (rc == 0 && (fflush(out) != 0 || ferror(out)))
		rc = -1;
	return rc;
}
