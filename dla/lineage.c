/*
 * lineage.c - static lineage of a project (edges and column lineage), run
 * lineage and last loads read from the metadata schema, impact analysis,
 * and the OpenLineage helpers: dataset namespaces, name-based UUIDs,
 * ISO 8601 times (lineage.h).
 */
#include "lineage.h"
#include "alloc.h"
#include "datatest.h"
#include "load.h"
#include "meta.h"
#include "sqlgen.h"
#include "view_scan.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NONE ((size_t)-1)

const char *dla_edge_kind_name(enum dla_edge_kind kind)
{
	switch (kind) {
	case DLA_EDGE_READS: return "reads";
	case DLA_EDGE_DEPENDS_ON: return "depends_on";
	case DLA_EDGE_EXPOSES: return "exposes";
	}
	return "reads";
}

const char *dla_col_kind_name(enum dla_col_kind kind)
{
	switch (kind) {
	case DLA_COL_DIRECT: return "direct";
	case DLA_COL_DERIVED: return "derived";
	case DLA_COL_GENERATED: return "generated";
	case DLA_COL_SOURCE: return "source";
	case DLA_COL_UNKNOWN: break;
	}
	return "unknown";
}

/* ---- building columns ---------------------------------------------------- */

/* A growable column list in the arena (copied on growth). */
struct col_list {
	struct dla_lineage_column *v;
	size_t n, cap;
};

struct builder {
	struct dla_lineage *l;
	bool nomem;
};

static void *grow_arena(struct builder *b, void *arr, size_t n, size_t *cap, size_t size)
{
	void *grown;
	size_t ncap;

	if (n < *cap)
		return arr;
	ncap = *cap ? *cap * 2 : 8;
	grown = dla_arena_calloc(&b->l->arena, ncap, size);
	if (!grown) {
		b->nomem = true;
		return NULL;
	}
	if (n)
		memcpy(grown, arr, n * size);
	*cap = ncap;
	return grown;
}

static struct dla_lineage_column *add_column(struct builder *b, struct col_list *cl,
					     const char *name, enum dla_col_kind kind)
{
	struct dla_lineage_column *c;
	void *grown = grow_arena(b, cl->v, cl->n, &cl->cap, sizeof(*cl->v));

	if (!grown)
		return NULL;
	cl->v = grown;
	c = &cl->v[cl->n++];
	memset(c, 0, sizeof(*c));
	c->name = name;
	c->kind = kind;
	return c;
}

static void add_input(struct builder *b, struct dla_lineage_column *c, size_t node,
		      const char *relation, const char *column)
{
	struct dla_col_input *in;

	for (size_t i = 0; i < c->n_inputs; i++) {
		const struct dla_col_input *x = &c->inputs[i];
		if (x->node == node && (node != NONE || strcasecmp(x->relation, relation) == 0) &&
		    ((!x->column && !column) ||
		     (x->column && column && strcasecmp(x->column, column) == 0)))
			return;
	}
	in = dla_arena_calloc(&b->l->arena, c->n_inputs + 1, sizeof(*in));
	if (!in) {
		b->nomem = true;
		return;
	}
	if (c->n_inputs)
		memcpy(in, c->inputs, c->n_inputs * sizeof(*in));
	in[c->n_inputs].node = node;
	in[c->n_inputs].relation = relation;
	in[c->n_inputs].column = column;
	c->inputs = in;
	c->n_inputs++;
}

/* The display name of node i (its relation, or its name). */
static const char *node_label(const struct dla_dag *dag, size_t i)
{
	return dag->nodes[i].relation ? dag->nodes[i].relation : dag->nodes[i].name;
}

static void build_view(struct builder *b, size_t idx)
{
	struct dla_lineage *l = b->l;
	const struct dla_view *v = l->dag->nodes[idx].spec.view;
	struct dla_lineage_node *ln = &l->nodes[idx];
	struct dla_view_columns vc;
	struct col_list cl = { NULL, 0, 0 };
	bool resolved = true;
	enum dla_code code;

	code = dla_view_columns(&l->arena, v->sql, v->sql_len, &vc, NULL);
	if (code == DLA_ERR_NOMEM) {
		b->nomem = true;
		return;
	}
	for (size_t i = 0; code == DLA_OK && i < vc.n; i++) {
		const struct dla_view_column *src = &vc.items[i];
		enum dla_col_kind kind = src->lineage == DLA_COLUMN_DIRECT ? DLA_COL_DIRECT :
					 src->lineage == DLA_COLUMN_DERIVED ? DLA_COL_DERIVED :
					 DLA_COL_UNKNOWN;
		struct dla_lineage_column *c = add_column(b, &cl, src->name, kind);

		if (!c)
			return;
		for (size_t k = 0; k < src->n_sources; k++) {
			const struct dla_column_source *s = &src->sources[k];
			const char *rel = s->schema ? dla_arena_printf(&l->arena, "%s.%s", s->schema,
								       s->relation)
						    : s->relation;
			size_t node = rel ? dla_dag_find(l->dag, rel) : NONE;

			if (!rel) {
				b->nomem = true;
				return;
			}
			if (node == NONE)
				resolved = false;
			add_input(b, c, node, node == NONE ? rel : node_label(l->dag, node),
				  s->column);
		}
	}
	ln->columns = cl.v;
	ln->n_columns = cl.n;
	ln->column_level = code == DLA_OK && vc.complete && resolved;
	if (code != DLA_OK)
		ln->note = "the view text does not scan";
	else if (vc.n == 0)
		ln->note = "the view's select list could not be read";
	else if (!vc.complete)
		ln->note = "some columns cannot be told (a star over a relation, an expression "
			   "without a name, a subquery or an ambiguous column)";
	else if (!resolved)
		ln->note = "the view reads a relation that is not part of the project";
}

/* The columns of the node a dimension or fact reads, if known. */
static const struct dla_lineage_node *source_columns(const struct dla_lineage *l,
						     const char *source, size_t *src_idx)
{
	*src_idx = dla_dag_find(l->dag, source);
	if (*src_idx == NONE)
		return NULL;
	return &l->nodes[*src_idx];
}

static bool names_have(const struct dla_names *names, const char *name)
{
	for (size_t i = 0; i < names->n; i++)
		if (strcasecmp(names->items[i], name) == 0)
			return true;
	return false;
}

static enum dla_scd_type column_scd(const struct dla_dimension *d, const char *col)
{
	for (size_t i = 0; i < d->n_columns; i++)
		if (strcasecmp(d->columns[i].name, col) == 0)
			return d->columns[i].scd;
	return d->scd;
}

static const struct dla_column_spec *column_override(const struct dla_dimension *d,
						     const char *col)
{
	for (size_t i = 0; i < d->n_columns; i++)
		if (strcasecmp(d->columns[i].name, col) == 0)
			return &d->columns[i];
	return NULL;
}

static bool dimension_inferred(const struct dla_project *p, const char *dim)
{
	for (size_t i = 0; i < p->n_facts; i++)
		for (size_t j = 0; j < p->facts[i].n_lookups; j++)
			if (p->facts[i].lookups[j].on_missing == DLA_MISSING_INFER &&
			    strcasecmp(p->facts[i].lookups[j].dimension, dim) == 0)
				return true;
	return false;
}

static void generated(struct builder *b, struct col_list *cl, const char *name)
{
	add_column(b, cl, name, DLA_COL_GENERATED);
}

static void build_dimension(struct builder *b, size_t idx)
{
	struct dla_lineage *l = b->l;
	const struct dla_dimension *d = l->dag->nodes[idx].spec.dimension;
	const struct dla_housekeeping *hk = &l->project->hk;
	struct dla_lineage_node *ln = &l->nodes[idx];
	struct col_list cl = { NULL, 0, 0 };
	size_t src;
	const struct dla_lineage_node *sn = source_columns(l, d->source, &src);
	const char *src_rel = src != NONE ? node_label(l->dag, src) : d->source;
	bool known = sn && sn->column_level &&
		     l->dag->nodes[src].kind != DLA_NODE_SOURCE;
	bool versioned = false;
	struct dla_lineage_column *c;

	generated(b, &cl, dla_dimension_sk(d));
	for (size_t i = 0; i < d->business_key.n; i++) {
		c = add_column(b, &cl, d->business_key.items[i], DLA_COL_DIRECT);
		if (c)
			add_input(b, c, src, src_rel, d->business_key.items[i]);
	}
	if (known) {
		for (size_t i = 0; i < sn->n_columns; i++) {
			const char *name = sn->columns[i].name;
			const struct dla_column_spec *o;
			enum dla_scd_type scd;

			if (names_have(&d->business_key, name) || names_have(&d->drop, name) ||
			    (d->effective_from && strcasecmp(d->effective_from, name) == 0))
				continue;
			scd = column_scd(d, name);
			o = column_override(d, name);
			if (scd == DLA_SCD_2 || scd == DLA_SCD_6)
				versioned = true;
			c = add_column(b, &cl, name, DLA_COL_DIRECT);
			if (c)
				add_input(b, c, src, src_rel, name);
			if (scd == DLA_SCD_3 || scd == DLA_SCD_6) {
				const char *extra = scd == DLA_SCD_3
					? (o && o->previous ? o->previous
							    : dla_arena_printf(&l->arena, "previous_%s", name))
					: (o && o->current ? o->current
							   : dla_arena_printf(&l->arena, "current_%s", name));
				c = extra ? add_column(b, &cl, extra, DLA_COL_DERIVED) : NULL;
				if (c)
					add_input(b, c, src, src_rel, name);
			}
		}
	} else {
		versioned = d->scd == DLA_SCD_2 || d->scd == DLA_SCD_6;
		for (size_t i = 0; i < d->n_columns; i++)
			if (d->columns[i].scd == DLA_SCD_2 || d->columns[i].scd == DLA_SCD_6)
				versioned = true;
	}
	if (versioned) {
		c = add_column(b, &cl, hk->valid_from,
			       d->effective_from ? DLA_COL_DERIVED : DLA_COL_GENERATED);
		if (c && d->effective_from)
			add_input(b, c, src, src_rel, d->effective_from);
		generated(b, &cl, hk->valid_to);
		generated(b, &cl, hk->is_current);
	}
	if (d->on_delete == DLA_ON_DELETE_CLOSE || d->delete_when)
		generated(b, &cl, hk->is_deleted);
	if (dimension_inferred(l->project, d->name))
		generated(b, &cl, hk->is_inferred);
	generated(b, &cl, hk->run_id);
	generated(b, &cl, hk->updated_at);
	ln->columns = cl.v;
	ln->n_columns = cl.n;
	ln->column_level = known;
	if (!known)
		ln->note = src != NONE && l->dag->nodes[src].kind == DLA_NODE_SOURCE
			   ? "its source's columns are known only in the warehouse"
			   : "its source's columns cannot all be told";
}

static void build_fact(struct builder *b, size_t idx)
{
	struct dla_lineage *l = b->l;
	const struct dla_fact *f = l->dag->nodes[idx].spec.fact;
	const struct dla_housekeeping *hk = &l->project->hk;
	struct dla_lineage_node *ln = &l->nodes[idx];
	struct col_list cl = { NULL, 0, 0 };
	size_t src;
	const struct dla_lineage_node *sn = source_columns(l, f->source, &src);
	const char *src_rel = src != NONE ? node_label(l->dag, src) : f->source;
	bool known = sn && sn->column_level && l->dag->nodes[src].kind != DLA_NODE_SOURCE;
	struct dla_lineage_column *c;

	if (known) {
		for (size_t i = 0; i < sn->n_columns; i++) {
			if (names_have(&f->drop, sn->columns[i].name))
				continue;
			c = add_column(b, &cl, sn->columns[i].name, DLA_COL_DIRECT);
			if (c)
				add_input(b, c, src, src_rel, sn->columns[i].name);
		}
	} else {
		for (size_t i = 0; i < f->grain.n; i++) {
			c = add_column(b, &cl, f->grain.items[i], DLA_COL_DIRECT);
			if (c)
				add_input(b, c, src, src_rel, f->grain.items[i]);
		}
	}
	for (size_t i = 0; i < f->n_lookups; i++) {
		const struct dla_lookup *lk = &f->lookups[i];
		const struct dla_dimension *dim = dla_dag_lookup_dimension(l->dag, lk);
		const char *key = dla_dag_lookup_key(l->dag, lk);
		size_t dn = dim ? dla_dag_find(l->dag, dim->name) : NONE;

		if (!key || dn == NONE)
			continue;
		c = add_column(b, &cl, key, DLA_COL_DERIVED);
		if (!c)
			return;
		add_input(b, c, dn, node_label(l->dag, dn), dla_dimension_sk(dim));
		for (size_t k = 0; k < lk->n_on; k++)
			add_input(b, c, src, src_rel, lk->on[k].fact_column);
		if (lk->as_of)
			add_input(b, c, src, src_rel, lk->as_of);
	}
	generated(b, &cl, hk->run_id);
	generated(b, &cl, hk->loaded_at);
	ln->columns = cl.v;
	ln->n_columns = cl.n;
	ln->column_level = known;
	if (!known)
		ln->note = src != NONE && l->dag->nodes[src].kind == DLA_NODE_SOURCE
			   ? "its source's columns are known only in the warehouse"
			   : "its source's columns cannot all be told";
}

/* A source's columns: those read downstream, and its freshness column. */
static void build_sources(struct builder *b)
{
	struct dla_lineage *l = b->l;
	struct col_list *lists = dla_calloc(l->dag->n + 1, sizeof(*lists));

	if (!lists) {
		b->nomem = true;
		return;
	}
	for (size_t k = 0; k < l->dag->n; k++) {
		const struct dla_lineage_node *n = &l->nodes[l->dag->order[k]];

		for (size_t i = 0; i < n->n_columns; i++)
			for (size_t j = 0; j < n->columns[i].n_inputs; j++) {
				const struct dla_col_input *in = &n->columns[i].inputs[j];
				struct col_list *cl;
				bool seen = false;

				if (in->node == NONE || !in->column ||
				    l->dag->nodes[in->node].kind != DLA_NODE_SOURCE)
					continue;
				cl = &lists[in->node];
				for (size_t x = 0; x < cl->n && !seen; x++)
					seen = strcasecmp(cl->v[x].name, in->column) == 0;
				if (!seen)
					add_column(b, cl, in->column, DLA_COL_SOURCE);
			}
	}
	for (size_t i = 0; i < l->dag->n; i++) {
		const struct dla_node *node = &l->dag->nodes[i];
		const struct dla_source *s;
		bool seen = false;

		if (node->kind != DLA_NODE_SOURCE)
			continue;
		s = node->spec.source;
		if (s->freshness.set) {
			for (size_t x = 0; x < lists[i].n && !seen; x++)
				seen = strcasecmp(lists[i].v[x].name, s->freshness.column) == 0;
			if (!seen)
				add_column(b, &lists[i], s->freshness.column, DLA_COL_SOURCE);
		}
		l->nodes[i].columns = lists[i].v;
		l->nodes[i].n_columns = lists[i].n;
		l->nodes[i].column_level = false;
		l->nodes[i].note = "columns read downstream (the full list is in the warehouse)";
	}
	dla_free(lists);
}

static enum dla_edge_kind edge_kind(const struct dla_dag *dag, const struct dla_node *n,
				    size_t dep)
{
	switch (n->kind) {
	case DLA_NODE_EXPOSURE:
		return DLA_EDGE_EXPOSES;
	case DLA_NODE_DIMENSION:
		return dla_dag_find(dag, n->spec.dimension->source) == dep ? DLA_EDGE_READS
									     : DLA_EDGE_DEPENDS_ON;
	case DLA_NODE_FACT: {
		const struct dla_fact *f = n->spec.fact;
		if (dla_dag_find(dag, f->source) == dep)
			return DLA_EDGE_READS;
		for (size_t i = 0; i < f->n_lookups; i++)
			if (dla_dag_find(dag, f->lookups[i].dimension) == dep)
				return DLA_EDGE_READS;
		return DLA_EDGE_DEPENDS_ON;
	}
	default:
		return DLA_EDGE_READS;
	}
}

enum dla_code dla_lineage_build(struct dla_lineage *l, const struct dla_project *p,
				const struct dla_dag *dag)
{
	struct builder b = { l, false };
	size_t n_edges = 0;

	memset(l, 0, sizeof(*l));
	dla_arena_init(&l->arena);
	l->project = p;
	l->dag = dag;
	l->focus_node = NONE;
	l->nodes = dla_arena_calloc(&l->arena, dag->n + 1, sizeof(*l->nodes));
	l->included = dla_arena_calloc(&l->arena, dag->n + 1, sizeof(*l->included));
	for (size_t i = 0; i < dag->n; i++)
		n_edges += dag->nodes[i].n_deps;
	l->edges = dla_arena_calloc(&l->arena, n_edges + 1, sizeof(*l->edges));
	if (!l->nodes || !l->included || !l->edges)
		return DLA_ERR_NOMEM;
	for (size_t i = 0; i < dag->n; i++)
		l->included[i] = true;
	l->n_included = dag->n;
	for (size_t k = 0; k < dag->n; k++) {
		size_t i = dag->order[k];
		const struct dla_node *n = &dag->nodes[i];

		for (size_t d = 0; d < n->n_deps; d++) {
			struct dla_lineage_edge *e = &l->edges[l->n_edges++];
			e->from = n->deps[d];
			e->to = i;
			e->kind = edge_kind(dag, n, n->deps[d]);
		}
		l->nodes[i].run.age_seconds = -1;
		l->nodes[i].last.age_seconds = -1;
		switch (n->kind) {
		case DLA_NODE_VIEW: build_view(&b, i); break;
		case DLA_NODE_DIMENSION: build_dimension(&b, i); break;
		case DLA_NODE_FACT: build_fact(&b, i); break;
		case DLA_NODE_SOURCE:
		case DLA_NODE_EXPOSURE:
			break;
		}
		if (b.nomem)
			return DLA_ERR_NOMEM;
	}
	build_sources(&b);
	return b.nomem ? DLA_ERR_NOMEM : DLA_OK;
}

void dla_lineage_release(struct dla_lineage *l)
{
	dla_arena_release(&l->arena);
	memset(l, 0, sizeof(*l));
	l->focus_node = NONE;
}

/* ---- impact analysis ------------------------------------------------------- */

/* Node-level closure from the nodes already included (upstream: deps;
 * downstream: dependents).  only_opaque: downstream through nodes whose
 * columns cannot be told (and exposures) only. */
static void close_nodes(struct dla_lineage *l, size_t *queue, size_t n_queue,
			enum dla_lineage_direction dir, bool only_opaque)
{
	const struct dla_dag *dag = l->dag;

	while (n_queue > 0) {
		const struct dla_node *n = &dag->nodes[queue[--n_queue]];
		const size_t *next = dir == DLA_LINEAGE_UPSTREAM ? n->deps : n->dependents;
		size_t n_next = dir == DLA_LINEAGE_UPSTREAM ? n->n_deps : n->n_dependents;

		for (size_t i = 0; i < n_next; i++) {
			size_t j = next[i];
			if (l->included[j])
				continue;
			if (only_opaque && dag->nodes[j].kind != DLA_NODE_EXPOSURE &&
			    l->nodes[j].column_level)
				continue;
			l->included[j] = true;
			queue[n_queue++] = j;
		}
	}
}

/* Column ids: offset[node] + column index. */
struct colgraph {
	size_t *offset;          /* dag->n + 1 */
	size_t total;
};

static size_t column_id(const struct dla_lineage *l, const struct colgraph *g,
			const struct dla_col_input *in)
{
	const struct dla_lineage_node *n;

	if (in->node == NONE)
		return NONE;
	n = &l->nodes[in->node];
	for (size_t i = 0; i < n->n_columns; i++)
		if (in->column && strcasecmp(n->columns[i].name, in->column) == 0)
			return g->offset[in->node] + i;
	return NONE;
}

static enum dla_code focus_column(struct dla_lineage *l, size_t node, size_t col,
				  enum dla_lineage_direction dir)
{
	const struct dla_dag *dag = l->dag;
	struct colgraph g;
	size_t *queue = NULL, n_queue = 0, *owner = NULL, *nodes = NULL, n_nodes = 0;
	bool *seen = NULL;
	enum dla_code code = DLA_ERR_NOMEM;

	g.offset = dla_calloc(dag->n + 1, sizeof(*g.offset));
	if (!g.offset)
		return DLA_ERR_NOMEM;
	g.total = 0;
	for (size_t i = 0; i < dag->n; i++) {
		g.offset[i] = g.total;
		g.total += l->nodes[i].n_columns;
	}
	g.offset[dag->n] = g.total;
	queue = dla_calloc(g.total + 1, sizeof(*queue));
	seen = dla_calloc(g.total + 1, sizeof(*seen));
	owner = dla_calloc(g.total + 1, sizeof(*owner));
	nodes = dla_calloc(dag->n + 1, sizeof(*nodes));
	if (!queue || !seen || !owner || !nodes)
		goto out;
	for (size_t i = 0; i < dag->n; i++)
		for (size_t c = 0; c < l->nodes[i].n_columns; c++)
			owner[g.offset[i] + c] = i;

	queue[n_queue++] = g.offset[node] + col;
	seen[g.offset[node] + col] = true;
	while (n_queue > 0) {
		size_t id = queue[--n_queue], n = owner[id];
		struct dla_lineage_column *c = &l->nodes[n].columns[id - g.offset[n]];

		c->in_focus = true;
		if (!l->included[n]) {
			l->included[n] = true;
			nodes[n_nodes++] = n;
		}
		if (dir == DLA_LINEAGE_UPSTREAM) {
			for (size_t k = 0; k < c->n_inputs; k++) {
				size_t up = column_id(l, &g, &c->inputs[k]);
				if (c->inputs[k].node != NONE && !l->included[c->inputs[k].node]) {
					/* a star or a column the node does not list */
					l->included[c->inputs[k].node] = true;
					nodes[n_nodes++] = c->inputs[k].node;
				}
				if (up != NONE && !seen[up]) {
					seen[up] = true;
					queue[n_queue++] = up;
				}
			}
			continue;
		}
		/* downstream: every column that has c among its inputs */
		for (size_t k = 0; k < dag->nodes[n].n_dependents; k++) {
			size_t dn = dag->nodes[n].dependents[k];
			struct dla_lineage_node *d = &l->nodes[dn];

			for (size_t x = 0; x < d->n_columns; x++) {
				size_t did = g.offset[dn] + x;
				for (size_t y = 0; y < d->columns[x].n_inputs && !seen[did]; y++) {
					const struct dla_col_input *in = &d->columns[x].inputs[y];
					if (in->node == n &&
					    (!in->column || strcasecmp(in->column, c->name) == 0)) {
						seen[did] = true;
						queue[n_queue++] = did;
					}
				}
			}
		}
	}
	/* what cannot be told column by column: downstream through nodes
	 * without column lineage, and the exposures of what was reached */
	if (dir == DLA_LINEAGE_DOWNSTREAM)
		close_nodes(l, nodes, n_nodes, dir, true);
	code = DLA_OK;
out:
	dla_free(g.offset);
	dla_free(queue);
	dla_free(seen);
	dla_free(owner);
	dla_free(nodes);
	return code;
}

enum dla_code dla_lineage_focus(struct dla_lineage *l, const char *target,
				enum dla_lineage_direction direction, struct dla_buf *errmsg)
{
	const struct dla_dag *dag = l->dag;
	size_t idx = dla_dag_find(dag, target), col = NONE, *queue;
	const char *column = NULL;
	enum dla_code code = DLA_OK;

	if (idx == NONE) {
		const char *dot = strrchr(target, '.');
		if (dot && dot[1]) {
			char *node = dla_arena_strndup(&l->arena, target, (size_t)(dot - target));
			if (!node)
				return DLA_ERR_NOMEM;
			idx = dla_dag_find(dag, node);
			column = dot + 1;
		}
	}
	if (idx == NONE) {
		const char **names = dla_calloc(dag->n + 1, sizeof(*names));
		const char *guess;
		if (!names)
			return DLA_ERR_NOMEM;
		for (size_t i = 0; i < dag->n; i++)
			names[i] = dag->nodes[i].name;
		guess = dla_closest_word(target, names, dag->n);
		if (guess)
			dla_buf_addf(errmsg, "unknown node '%s' (did you mean '%s'?)", target, guess);
		else
			dla_buf_addf(errmsg, "unknown node '%s'", target);
		dla_free(names);
		return DLA_ERR_USAGE;
	}
	if (column) {
		const struct dla_lineage_node *n = &l->nodes[idx];
		for (size_t i = 0; i < n->n_columns && col == NONE; i++)
			if (strcasecmp(n->columns[i].name, column) == 0)
				col = i;
		if (col == NONE) {
			dla_buf_addf(errmsg, "node '%s' has no column '%s'", dag->nodes[idx].name,
				     column);
			if (n->n_columns) {
				dla_buf_adds(errmsg, " (known:");
				for (size_t i = 0; i < n->n_columns && i < 12; i++)
					dla_buf_addf(errmsg, " %s", n->columns[i].name);
				dla_buf_adds(errmsg, n->n_columns > 12 ? " ...)" : ")");
			}
			return DLA_ERR_USAGE;
		}
	}
	l->direction = direction;
	l->focus_node = idx;
	l->focus_column = col != NONE ? l->nodes[idx].columns[col].name : NULL;
	if (direction == DLA_LINEAGE_ALL)
		return DLA_OK;
	for (size_t i = 0; i < dag->n; i++)
		l->included[i] = false;
	if (col != NONE) {
		code = focus_column(l, idx, col, direction);
	} else {
		queue = dla_calloc(dag->n + 1, sizeof(*queue));
		if (!queue)
			return DLA_ERR_NOMEM;
		l->included[idx] = true;
		queue[0] = idx;
		close_nodes(l, queue, 1, direction, false);
		dla_free(queue);
	}
	l->n_included = 0;
	for (size_t i = 0; i < dag->n; i++)
		l->n_included += l->included[i];
	return code;
}

/* ---- reading the warehouse ------------------------------------------------- */

static const char *keep(struct dla_lineage *l, const char *s, bool *nomem)
{
	char *copy;

	if (!s)
		return NULL;
	copy = dla_arena_strdup(&l->arena, s);
	if (!copy)
		*nomem = true;
	return copy;
}

/* A timestamp read back, in canonical form (engines print fractions their
 * own way). */
static const char *keep_ts(struct dla_lineage *l, const char *s, bool *nomem)
{
	char canon[32];

	if (s && dla_time_parse(s, canon))
		return keep(l, canon, nomem);
	return keep(l, s, nomem);
}

static long cell_long(const struct dla_db_result *r, size_t row, size_t col)
{
	const char *v = dla_db_cell(r, row, col);

	return v ? strtol(v, NULL, 10) : 0;
}

static void meta_table(struct dla_buf *b, const struct dla_warehouse *wh,
		       const struct dla_project *p, const char *table)
{
	wh->dialect->relation(b, p->metadata_schema, table);
}

/* Fills load from a result row: node(0) ... in the column order of
 * NODE_COLUMNS. */
#define NODE_COLUMNS "run_id, status, started_at, finished_at, rows_inserted, rows_updated, " \
		     "rows_expired, rows_deleted, message"

static void fill_load(struct dla_lineage *l, struct dla_node_load *load,
		      const struct dla_db_result *r, size_t row, size_t first, bool *nomem)
{
	char now[32];
	long long age;

	load->set = true;
	load->run_id = keep(l, dla_db_cell(r, row, first), nomem);
	load->status = keep(l, dla_db_cell(r, row, first + 1), nomem);
	load->started_at = keep_ts(l, dla_db_cell(r, row, first + 2), nomem);
	load->finished_at = keep_ts(l, dla_db_cell(r, row, first + 3), nomem);
	load->rows_inserted = cell_long(r, row, first + 4);
	load->rows_updated = cell_long(r, row, first + 5);
	load->rows_expired = cell_long(r, row, first + 6);
	load->rows_deleted = cell_long(r, row, first + 7);
	load->message = keep(l, dla_db_cell(r, row, first + 8), nomem);
	dla_time_now(now);
	load->age_seconds = load->finished_at && dla_time_diff(load->finished_at, now, &age)
			    ? age : -1;
}

static enum dla_code query(struct dla_warehouse *wh, struct dla_buf *q, const char *param,
			   struct dla_db_result **res, struct dla_db_error *err)
{
	const char *params[] = { param };
	enum dla_code code;

	if (dla_buf_failed(q)) {
		dla_buf_release(q);
		return DLA_ERR_NOMEM;
	}
	code = dla_db_query(wh->db, q->buf, param ? params : NULL, param ? 1 : 0, res, err);
	dla_buf_release(q);
	return code;
}

enum dla_code dla_lineage_read_run(struct dla_lineage *l, struct dla_warehouse *wh,
				   const char *run_id, struct dla_buf *errmsg,
				   struct dla_db_error *err)
{
	const struct dla_project *p = l->project;
	struct dla_buf q = DLA_BUF_INIT;
	struct dla_db_result *res = NULL;
	struct dla_run_summary *run = &l->run;
	bool latest = !run_id || strcmp(run_id, "last") == 0, nomem = false;
	enum dla_code code;

	dla_buf_adds(&q, "SELECT run_id, project, target, command, selector, as_of, started_at, "
		     "finished_at, status FROM ");
	meta_table(&q, wh, p, "dla_run");
	if (latest)
		dla_buf_adds(&q, " WHERE project = ? AND command IN ('run', 'retry') "
			     "ORDER BY run_id DESC LIMIT 1");
	else
		dla_buf_adds(&q, " WHERE run_id = ?");
	code = query(wh, &q, latest ? p->name : run_id, &res, err);
	if (code != DLA_OK)
		return code;
	if (res->n_rows == 0) {
		dla_db_result_free(res);
		if (latest)
			dla_buf_addf(errmsg, "no run of project '%s' is recorded in '%s' yet "
				     "(run `dla run` first)", p->name, p->metadata_schema);
		else
			dla_buf_addf(errmsg, "no run '%s' in '%s.dla_run'", run_id,
				     p->metadata_schema);
		return DLA_ERR_USAGE;
	}
	run->set = true;
	run->run_id = keep(l, dla_db_cell(res, 0, 0), &nomem);
	run->project = keep(l, dla_db_cell(res, 0, 1), &nomem);
	run->target = keep(l, dla_db_cell(res, 0, 2), &nomem);
	run->command = keep(l, dla_db_cell(res, 0, 3), &nomem);
	run->selector = keep(l, dla_db_cell(res, 0, 4), &nomem);
	run->as_of = keep_ts(l, dla_db_cell(res, 0, 5), &nomem);
	run->started_at = keep_ts(l, dla_db_cell(res, 0, 6), &nomem);
	run->finished_at = keep_ts(l, dla_db_cell(res, 0, 7), &nomem);
	run->status = keep(l, dla_db_cell(res, 0, 8), &nomem);
	dla_db_result_free(res);
	if (nomem)
		return DLA_ERR_NOMEM;

	dla_buf_adds(&q, "SELECT node, " NODE_COLUMNS " FROM ");
	meta_table(&q, wh, p, "dla_node_run");
	dla_buf_adds(&q, " WHERE run_id = ? ORDER BY node");
	code = query(wh, &q, run->run_id, &res, err);
	if (code != DLA_OK)
		return code;
	for (size_t r = 0; r < res->n_rows; r++) {
		size_t idx = dla_dag_find(l->dag, dla_db_cell(res, r, 0) ? dla_db_cell(res, r, 0)
									 : "");
		if (idx != NONE)
			fill_load(l, &l->nodes[idx].run, res, r, 1, &nomem);
	}
	dla_db_result_free(res);

	dla_buf_adds(&q, "SELECT node, input_relation, output_relation FROM ");
	meta_table(&q, wh, p, "dla_lineage");
	dla_buf_adds(&q, " WHERE run_id = ? ORDER BY node, input_relation");
	code = query(wh, &q, run->run_id, &res, err);
	if (code != DLA_OK)
		return code;
	for (size_t r = 0; r < res->n_rows && !nomem; r++) {
		const char *node = dla_db_cell(res, r, 0);
		size_t idx = node ? dla_dag_find(l->dag, node) : NONE;
		struct dla_lineage_node *ln;
		const char **grown;

		if (idx == NONE)
			continue;
		ln = &l->nodes[idx];
		if (dla_db_cell(res, r, 2) && !ln->run_output)
			ln->run_output = keep(l, dla_db_cell(res, r, 2), &nomem);
		if (!dla_db_cell(res, r, 1))
			continue;
		grown = dla_arena_calloc(&l->arena, ln->n_run_inputs + 1, sizeof(*grown));
		if (!grown) {
			nomem = true;
			break;
		}
		if (ln->n_run_inputs)
			memcpy(grown, ln->run_inputs, ln->n_run_inputs * sizeof(*grown));
		grown[ln->n_run_inputs] = keep(l, dla_db_cell(res, r, 1), &nomem);
		ln->run_inputs = grown;
		ln->n_run_inputs++;
	}
	dla_db_result_free(res);
	return nomem ? DLA_ERR_NOMEM : DLA_OK;
}

enum dla_code dla_lineage_read_last_loads(struct dla_lineage *l, struct dla_warehouse *wh,
					  struct dla_db_error *err)
{
	struct dla_buf q = DLA_BUF_INIT;
	struct dla_db_result *res = NULL;
	bool nomem = false;
	enum dla_code code;

	dla_buf_adds(&q, "SELECT node, " NODE_COLUMNS ", age_seconds FROM ");
	meta_table(&q, wh, l->project, "dla_last_load");
	code = query(wh, &q, NULL, &res, err);
	if (code != DLA_OK)
		return code;
	for (size_t r = 0; r < res->n_rows; r++) {
		const char *node = dla_db_cell(res, r, 0);
		size_t idx = node ? dla_dag_find(l->dag, node) : NONE;

		if (idx == NONE)
			continue;
		fill_load(l, &l->nodes[idx].last, res, r, 1, &nomem);
	}
	dla_db_result_free(res);
	return nomem ? DLA_ERR_NOMEM : DLA_OK;
}

enum dla_code dla_lineage_read_last_tests(struct dla_lineage *l, struct dla_warehouse *wh,
					  struct dla_db_error *err)
{
	struct dla_buf q = DLA_BUF_INIT;
	struct dla_db_result *res = NULL;
	bool nomem = false;
	enum dla_code code;

	dla_buf_adds(&q, "SELECT node, test_name, status FROM ");
	meta_table(&q, wh, l->project, "dla_last_test");
	dla_buf_adds(&q, " ORDER BY node, test_name");
	code = query(wh, &q, NULL, &res, err);
	if (code != DLA_OK)
		return code;
	for (size_t r = 0; r < res->n_rows && !nomem; r++) {
		const char *node = dla_db_cell(res, r, 0), *name = dla_db_cell(res, r, 1);
		const char *status = dla_db_cell(res, r, 2);
		size_t idx = node ? dla_dag_find(l->dag, node) : NONE;
		struct dla_lineage_node *ln;

		if (idx == NONE || !status)
			continue;
		ln = &l->nodes[idx];
		if (strcmp(status, "pass") == 0) {
			ln->tests_passed++;
		} else if (strcmp(status, "warn") == 0) {
			ln->tests_warned++;
		} else {
			ln->tests_failed++;
			ln->tests_failing = ln->tests_failing
				? dla_arena_printf(&l->arena, "%s, %s", ln->tests_failing,
						   name ? name : "?")
				: keep(l, name ? name : "?", &nomem);
			if (!ln->tests_failing)
				nomem = true;
		}
	}
	dla_db_result_free(res);
	return nomem ? DLA_ERR_NOMEM : DLA_OK;
}

enum dla_code dla_lineage_read_freshness(struct dla_lineage *l, struct dla_warehouse *wh,
					 const char *now)
{
	bool nomem = false;

	for (size_t i = 0; i < l->dag->n && !nomem; i++) {
		const struct dla_node *n = &l->dag->nodes[i];
		struct dla_datatests tests = DLA_DATATESTS_INIT;
		struct dla_datatest_input in;
		struct dla_datatest_result r;
		enum dla_code code;

		if (!l->included[i] || n->kind != DLA_NODE_SOURCE || !n->spec.source->freshness.set)
			continue;
		memset(&in, 0, sizeof(in));
		in.project = l->project;
		in.dag = l->dag;
		in.dialect = wh->dialect;
		in.node = i;
		code = dla_datatest_node_sql(&in, &tests);
		if (code == DLA_OK && tests.n == 1) {
			code = dla_datatest_execute(wh->db, &tests.items[0], now, &r);
			l->nodes[i].has_freshness = true;
			l->nodes[i].fresh_status = dla_datatest_status_name(r.status);
			l->nodes[i].fresh_message = keep(l, r.message, &nomem);
			dla_datatest_result_release(&r);
		}
		dla_datatests_release(&tests);
		if (code == DLA_ERR_NOMEM)
			nomem = true;
		if (code == DLA_ERR_CONN_DEAD)
			return code;
	}
	return nomem ? DLA_ERR_NOMEM : DLA_OK;
}

enum dla_code dla_lineage_read_fields(struct dla_lineage *l, struct dla_warehouse *wh,
				      struct dla_db_error *err)
{
	bool nomem = false;

	for (size_t i = 0; i < l->dag->n && !nomem; i++) {
		const struct dla_node *n = &l->dag->nodes[i];
		struct dla_lineage_node *ln = &l->nodes[i];
		struct dla_buf rel = DLA_BUF_INIT, q = DLA_BUF_INIT;
		struct dla_db_column *cols = NULL;
		size_t n_cols = 0;
		enum dla_code code;

		if (!l->included[i] || n->kind == DLA_NODE_EXPOSURE)
			continue;
		dla_node_relation_sql(wh, l->project, n, &rel);
		dla_buf_addf(&q, "SELECT * FROM %s WHERE 1 = 0", rel.buf);
		dla_buf_release(&rel);
		if (dla_buf_failed(&q)) {
			dla_buf_release(&q);
			return DLA_ERR_NOMEM;
		}
		code = dla_db_describe(wh->db, q.buf, &cols, &n_cols, err);
		dla_buf_release(&q);
		if (code == DLA_ERR_CONN_DEAD || code == DLA_ERR_NOMEM)
			return code;
		if (code != DLA_OK)
			continue;         /* not there (yet) */
		ln->fields = dla_arena_calloc(&l->arena, n_cols + 1, sizeof(*ln->fields));
		if (!ln->fields) {
			dla_db_columns_free(cols, n_cols);
			return DLA_ERR_NOMEM;
		}
		for (size_t c = 0; c < n_cols; c++) {
			struct dla_coltype t;
			struct dla_buf type = DLA_BUF_INIT;

			wh->dialect->from_odbc(&cols[c], &t);
			wh->dialect->type_name(&type, &t);
			ln->fields[c].name = keep(l, cols[c].name, &nomem);
			ln->fields[c].type = keep(l, dla_buf_failed(&type) ? NULL : type.buf, &nomem);
			dla_buf_release(&type);
		}
		ln->n_fields = n_cols;
		ln->fields_read = true;
		dla_db_columns_free(cols, n_cols);
	}
	return nomem ? DLA_ERR_NOMEM : DLA_OK;
}

/* ---- OpenLineage helpers ----------------------------------------------------- */

/* The value of key in an ODBC connection string ("k=v;{braced;v}"), or
 * false.  Keys compare case-insensitively. */
static bool conn_value(const char *conn, const char *key, struct dla_buf *out)
{
	const char *p = conn;
	size_t klen = strlen(key);

	while (p && *p) {
		const char *eq, *end;
		const char *k = p;

		while (*k == ' ' || *k == ';')
			k++;
		eq = strchr(k, '=');
		if (!eq)
			return false;
		end = eq;
		while (end > k && end[-1] == ' ')
			end--;
		p = eq + 1;
		while (*p == ' ')
			p++;
		if (*p == '{') {
			const char *v = p + 1;
			struct dla_buf val = DLA_BUF_INIT;
			while (*v && !(v[0] == '}' && v[1] != '}')) {
				if (v[0] == '}' && v[1] == '}')
					v++;
				dla_buf_addch(&val, *v++);
			}
			if ((size_t)(end - k) == klen && strncasecmp(k, key, klen) == 0) {
				dla_buf_adds(out, val.buf);
				dla_buf_release(&val);
				return true;
			}
			dla_buf_release(&val);
			p = *v ? strchr(v, ';') : NULL;
		} else {
			const char *semi = strchr(p, ';');
			size_t vlen = semi ? (size_t)(semi - p) : strlen(p);
			if ((size_t)(end - k) == klen && strncasecmp(k, key, klen) == 0) {
				while (vlen && p[vlen - 1] == ' ')
					vlen--;
				dla_buf_add(out, p, vlen);
				return true;
			}
			p = semi;
		}
	}
	return false;
}

/* Something that can go into a URI authority/path as is. */
static void add_uri_safe(struct dla_buf *b, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~/:", *p))
			dla_buf_addch(b, (char)*p);
		else
			dla_buf_addf(b, "%%%02X", *p);
	}
}

void dla_lineage_namespace(const struct dla_target *target, const char *project_dir,
			   struct dla_buf *ns, struct dla_buf *prefix)
{
	const struct dla_dialect *d = dla_dialect_find(target->dialect);
	struct dla_buf v = DLA_BUF_INIT, db = DLA_BUF_INIT;

	if (d && d->file_database) {
		char *conn = NULL, *path = NULL, abs[4096];
		const char *dir = project_dir ? project_dir : ".";

		if (dir[0] != '/' && realpath(dir, abs))
			dir = abs;
		if (dla_warehouse_sqlite_path(target->connection, dir, &conn, &path) == DLA_OK &&
		    path) {
			dla_buf_addf(ns, "%s://", target->dialect);
			add_uri_safe(ns, path);
		} else {
			dla_buf_addf(ns, "%s://%s", target->dialect, target->name);
		}
		dla_free(conn);
		dla_free(path);
		return;
	}
	dla_buf_addf(ns, "%s://", target->dialect);
	if (conn_value(target->connection, "Server", &v) ||
	    conn_value(target->connection, "Host", &v) ||
	    conn_value(target->connection, "Servername", &v)) {
		const char *suffix = ".snowflakecomputing.com";
		size_t len = strlen(v.buf), slen = strlen(suffix);
		if (len > slen && strcasecmp(v.buf + len - slen, suffix) == 0)
			dla_buf_truncate(&v, len - slen);
		add_uri_safe(ns, v.buf);
		dla_buf_reset(&v);
		if (conn_value(target->connection, "Port", &v) && v.len) {
			dla_buf_addch(ns, ':');
			add_uri_safe(ns, v.buf);
		} else if (strcmp(target->dialect, "postgres") == 0) {
			dla_buf_adds(ns, ":5432");
		}
	} else if (conn_value(target->connection, "Account", &v) ||
		   conn_value(target->connection, "DSN", &v)) {
		add_uri_safe(ns, v.buf);
	} else {
		add_uri_safe(ns, target->name);
	}
	if (conn_value(target->connection, "Database", &db) ||
	    conn_value(target->connection, "Dbname", &db)) {
		if (db.len)
			dla_buf_addf(prefix, "%s.", db.buf);
	}
	dla_buf_release(&v);
	dla_buf_release(&db);
}

/* SHA-1 (FIPS 180-4), enough for name-based UUIDs. */
struct sha1 {
	uint32_t h[5];
	uint64_t len;
	unsigned char block[64];
	size_t used;
};

static uint32_t rol(uint32_t x, int n)
{
	return (x << n) | (x >> (32 - n));
}

static void sha1_block(struct sha1 *s, const unsigned char *p)
{
	uint32_t w[80], a, b, c, d, e;

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 80; i++)
		w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	a = s->h[0]; b = s->h[1]; c = s->h[2]; d = s->h[3]; e = s->h[4];
	for (int i = 0; i < 80; i++) {
		uint32_t f, k, t;
		if (i < 20) { f = (b & c) | (~b & d); k = 0x5A827999; }
		else if (i < 40) { f = b ^ c ^ d; k = 0x6ED9EBA1; }
		else if (i < 60) { f = (b & c) | (b & d) | (c & d); k = 0x8F1BBCDC; }
		else { f = b ^ c ^ d; k = 0xCA62C1D6; }
		t = rol(a, 5) + f + e + k + w[i];
		e = d; d = c; c = rol(b, 30); b = a; a = t;
	}
	s->h[0] += a; s->h[1] += b; s->h[2] += c; s->h[3] += d; s->h[4] += e;
}

static void sha1_add(struct sha1 *s, const void *data, size_t n)
{
	const unsigned char *p = data;

	s->len += n;
	while (n > 0) {
		size_t take = 64 - s->used < n ? 64 - s->used : n;
		memcpy(s->block + s->used, p, take);
		s->used += take;
		p += take;
		n -= take;
		if (s->used == 64) {
			sha1_block(s, s->block);
			s->used = 0;
		}
	}
}

static void sha1_done(struct sha1 *s, unsigned char out[20])
{
	uint64_t bits = s->len * 8;
	unsigned char pad = 0x80, zero = 0, len[8];

	sha1_add(s, &pad, 1);
	while (s->used != 56)
		sha1_add(s, &zero, 1);
	for (int i = 0; i < 8; i++)
		len[i] = (unsigned char)(bits >> (56 - 8 * i));
	sha1_add(s, len, 8);
	for (int i = 0; i < 5; i++) {
		out[4 * i] = (unsigned char)(s->h[i] >> 24);
		out[4 * i + 1] = (unsigned char)(s->h[i] >> 16);
		out[4 * i + 2] = (unsigned char)(s->h[i] >> 8);
		out[4 * i + 3] = (unsigned char)s->h[i];
	}
}

void dla_uuid5(const char *name, char out[37])
{
	/* dla's namespace: the UUIDv5 of "dla" in the URL namespace
	 * (6ba7b811-9dad-11d1-80b4-00c04fd430c8) would do as well; a fixed
	 * random-looking one keeps it independent. */
	static const unsigned char ns[16] = {
		0x4d, 0x1a, 0x9f, 0x3e, 0x6c, 0x2b, 0x4f, 0x51,
		0x9a, 0x07, 0x3c, 0x5e, 0x8d, 0x21, 0xb0, 0x64,
	};
	struct sha1 s = { { 0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0 },
			  0, { 0 }, 0 };
	unsigned char h[20];

	sha1_add(&s, ns, sizeof(ns));
	sha1_add(&s, name, strlen(name));
	sha1_done(&s, h);
	h[6] = (unsigned char)((h[6] & 0x0f) | 0x50);   /* version 5 */
	h[8] = (unsigned char)((h[8] & 0x3f) | 0x80);   /* RFC 4122 variant */
	snprintf(out, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8], h[9], h[10], h[11],
		 h[12], h[13], h[14], h[15]);
}

bool dla_time_iso8601(const char *ts, char out[40])
{
	char canon[32];

	if (!ts || !dla_time_parse(ts, canon))
		return false;
	/* "YYYY-MM-DD HH:MM:SS[.ffffff]" -> "YYYY-MM-DDTHH:MM:SS[.ffffff]Z" */
	snprintf(out, 40, "%.10sT%sZ", canon, canon + 11);
	return true;
}
