/*
 * dag.c - the dependency graph of a project (dag.h): one node per source,
 * view, dimension, fact and exposure; every reference resolved into an edge
 * (unknown ones reported where they are written); cycles reported once per
 * strongly connected component; a levelled topological order (Kahn); the
 * tables each node writes (its write set, for the scheduler).
 *
 * Memory: nodes, edge arrays, write sets, order and the "schema.name" key
 * strings live in one arena owned by the dag (dag->storage); the two hash
 * maps are the only other allocations.  Scratch arrays are freed before
 * returning.  Nothing here recurses: projects have 10,000+ nodes and long
 * chains.
 */
#include "dag.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "arena.h"
#include "buf.h"

#define NO_NODE ((size_t)-1)

/* "did you mean" scans every candidate: after this many distinct unknown
 * words in one build, further errors come without a hint, so a project
 * with thousands of broken references still validates in milliseconds. */
#define SUGGESTION_BUDGET 200

_Static_assert(sizeof(size_t) >= sizeof(uintptr_t),
	       "suggestion cache stores pointers in size_t values");

struct dag_storage {
	struct dla_arena arena;
};

struct pair {
	size_t a, b;
};

/* A candidate list for "did you mean", built on the first error that needs
 * it; answers are cached per misspelled word so a typo repeated in a
 * thousand views costs one scan of the candidates. */
struct suggester {
	const char **items;
	size_t *lens;              /* strlen of each item */
	size_t n;
	bool built;
	struct dla_strmap cache;   /* word -> (uintptr_t)suggestion, 0 = none */
};

struct builder {
	struct dla_dag *dag;
	const struct dla_project *p;
	struct dla_diags *diags;
	struct dla_arena *arena;
	struct pair *edges;          /* (dependency, dependent) */
	size_t n_edges, cap_edges;
	struct dla_buf key;          /* scratch "schema.name" for lookups */
	size_t *rank;                /* node -> position in name order */
	size_t *by_rank;             /* position in name order -> node */
	struct suggester relations;  /* every accepted relation spelling */
	struct suggester names;      /* node names */
	struct suggester dimensions; /* dimension node names */
	const char **scratch;        /* candidates that may be close enough */
	size_t suggestions;          /* distinct words looked up so far */
	bool invalid, nomem;
};

const char *dla_node_kind_name(enum dla_node_kind kind)
{
	switch (kind) {
	case DLA_NODE_SOURCE: return "source";
	case DLA_NODE_VIEW: return "view";
	case DLA_NODE_DIMENSION: return "dimension";
	case DLA_NODE_FACT: return "fact";
	case DLA_NODE_EXPOSURE: return "exposure";
	}
	return "node";
}

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Node-name order: ASCII case-insensitive, then byte order (deterministic
 * even for names differing only in case). */
static int name_cmp(const char *a, const char *b)
{
	const unsigned char *x = (const unsigned char *)a;
	const unsigned char *y = (const unsigned char *)b;

	for (;; x++, y++) {
		int cx = lower(*x), cy = lower(*y);
		if (cx != cy)
			return cx < cy ? -1 : 1;
		if (!*x)
			break;
	}
	return strcmp(a, b);
}

static bool name_eq(const char *a, const char *b)
{
	for (; *a && lower((unsigned char)*a) == lower((unsigned char)*b); a++, b++)
		;
	return lower((unsigned char)*a) == lower((unsigned char)*b);
}

struct named {
	const char *name;
	size_t idx;
};

static int named_cmp(const void *x, const void *y)
{
	const struct named *a = x, *b = y;
	int c = name_cmp(a->name, b->name);

	if (c)
		return c;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* ---- did you mean ---------------------------------------------------- */

/* Fills s->items (and lens) with its candidates.  Returns -1 on
 * allocation failure. */
static int suggester_fill(struct builder *b, struct suggester *s)
{
	const struct dla_dag *dag = b->dag;

	s->items = dla_calloc(2 * dag->n + 1, sizeof(*s->items));
	if (!s->items)
		return -1;
	for (size_t i = 0; i < dag->n; i++) {
		const struct dla_node *node = &dag->nodes[i];
		size_t found;

		if (s == &b->relations) {
			/* node order, bare spelling before the qualified one:
			 * the order dla_closest_word breaks ties in */
			if (node->kind == DLA_NODE_EXPOSURE)
				continue;
			if (node->kind != DLA_NODE_SOURCE &&
			    dla_strmap_get(&dag->by_relation, node->name, &found) &&
			    found == i)
				s->items[s->n++] = node->name;
			if (node->relation &&
			    dla_strmap_get(&dag->by_relation, node->relation, &found) &&
			    found == i)
				s->items[s->n++] = node->relation;
		} else if (s == &b->names || node->kind == DLA_NODE_DIMENSION) {
			s->items[s->n++] = node->name;
		}
	}
	s->lens = dla_calloc(s->n + 1, sizeof(*s->lens));
	if (!s->lens)
		return -1;
	for (size_t i = 0; i < s->n; i++)
		s->lens[i] = strlen(s->items[i]);
	s->built = true;
	return 0;
}

/*
 * False when candidate is certainly more than 2 edits away from the word
 * whose lowercased character counts are in hist (len characters): an edit
 * changes the count difference by at most 2, so distance >= difference / 2.
 * hist is restored before returning.
 */
static bool may_be_close(int *hist, size_t len, const char *candidate)
{
	const unsigned char *c = (const unsigned char *)candidate;
	size_t n = strlen(candidate), diff = len, i;
	bool close = true;

	for (i = 0; i < n; i++) {
		if (hist[lower(c[i])]-- > 0)
			diff--;
		else
			diff++;
		/* each of the n - i - 1 characters left lowers diff by <= 1 */
		if (diff > 4 + (n - i - 1)) {
			close = false;
			i++;
			break;
		}
	}
	while (i--)
		hist[lower(c[i])]++;
	return close && diff <= 4;
}

/* The candidate closest to word, or NULL (also on allocation failure, which
 * sets b->nomem). */
static const char *suggest(struct builder *b, struct suggester *s, const char *word)
{
	size_t cached, len = strlen(word), n = 0;
	int hist[256];
	const char *best;
	char *copy;

	if (b->nomem)
		return NULL;
	if (!s->built && suggester_fill(b, s))
		goto nomem;
	if (dla_strmap_get(&s->cache, word, &cached))
		return (const char *)(uintptr_t)cached;
	if (b->suggestions >= SUGGESTION_BUDGET)
		return NULL;
	b->suggestions++;
	if (!b->scratch) {
		b->scratch = dla_calloc(2 * b->dag->n + 1, sizeof(*b->scratch));
		if (!b->scratch)
			goto nomem;
	}
	/* dla_closest_word accepts distance <= 2 only: skipping candidates
	 * that cannot be that close saves the O(len^2) edit distance without
	 * changing the answer (a misspelled schema in 5,000 views of a
	 * 10,000-node project must not take seconds). */
	memset(hist, 0, sizeof(hist));
	for (size_t i = 0; i < len; i++)
		hist[lower((unsigned char)word[i])]++;
	for (size_t i = 0; i < s->n; i++)
		if (s->lens[i] + 2 >= len && s->lens[i] <= len + 2 &&
		    may_be_close(hist, len, s->items[i]))
			b->scratch[n++] = s->items[i];
	best = dla_closest_word(word, b->scratch, n);
	copy = dla_arena_strdup(b->arena, word);
	if (!copy || dla_strmap_put(&s->cache, copy, (size_t)(uintptr_t)best))
		goto nomem;
	return best;
nomem:
	b->nomem = true;
	return NULL;
}

static void suggester_release(struct suggester *s)
{
	dla_free(s->items);
	dla_free(s->lens);
	dla_strmap_release(&s->cache);
}

/* ---- nodes and relation spellings ------------------------------------ */

static void add_node(struct dla_dag *dag, enum dla_node_kind kind,
		     const char *name, const char *schema, const char *relation,
		     struct dla_loc loc, const struct dla_names *tags)
{
	struct dla_node *node = &dag->nodes[dag->n++];

	node->kind = kind;
	node->name = name;
	node->schema = schema;
	node->relation = relation;
	node->loc = loc;
	node->tags = tags;
}

static const char *qualify(struct builder *b, const char *schema, const char *name)
{
	size_t ls, ln;
	char *s;

	if (!schema)
		return name;
	ls = strlen(schema);
	ln = strlen(name);
	s = dla_arena_alloc(b->arena, ls + ln + 2);
	if (!s) {
		b->nomem = true;
		return NULL;
	}
	memcpy(s, schema, ls);
	s[ls] = '.';
	memcpy(s + ls + 1, name, ln + 1);
	return s;
}

static int make_nodes(struct builder *b)
{
	const struct dla_project *p = b->p;
	struct dla_dag *dag = b->dag;
	const char *views_schema = p->views_schema ? p->views_schema : "dla_views";
	size_t total = p->n_sources + p->n_views + p->n_dimensions + p->n_facts +
		       p->n_exposures;

	dag->nodes = dla_arena_calloc(b->arena, total ? total : 1, sizeof(*dag->nodes));
	if (!dag->nodes)
		return -1;
	for (size_t i = 0; i < p->n_sources; i++) {
		const struct dla_source *s = &p->sources[i];
		const char *rel = s->relation ? s->relation : qualify(b, s->schema, s->name);
		if (!rel)
			return -1;
		add_node(dag, DLA_NODE_SOURCE, rel, s->schema, rel, s->loc, &s->tags);
		dag->nodes[dag->n - 1].spec.source = s;
	}
	for (size_t i = 0; i < p->n_views; i++) {
		const struct dla_view *v = &p->views[i];
		const char *rel = qualify(b, views_schema, v->name);
		struct dla_loc loc = v->loc;
		if (!rel)
			return -1;
		if (!loc.file) {
			loc.file = v->path;
			loc.line = loc.col = 1;
		}
		add_node(dag, DLA_NODE_VIEW, v->name, views_schema, rel, loc, &v->tags);
		dag->nodes[dag->n - 1].spec.view = v;
	}
	for (size_t i = 0; i < p->n_dimensions; i++) {
		const struct dla_dimension *d = &p->dimensions[i];
		const char *rel = qualify(b, d->schema, d->name);
		if (!rel)
			return -1;
		add_node(dag, DLA_NODE_DIMENSION, d->name, d->schema, rel, d->loc, &d->tags);
		dag->nodes[dag->n - 1].spec.dimension = d;
	}
	for (size_t i = 0; i < p->n_facts; i++) {
		const struct dla_fact *f = &p->facts[i];
		const char *rel = qualify(b, f->schema, f->name);
		if (!rel)
			return -1;
		add_node(dag, DLA_NODE_FACT, f->name, f->schema, rel, f->loc, &f->tags);
		dag->nodes[dag->n - 1].spec.fact = f;
	}
	for (size_t i = 0; i < p->n_exposures; i++) {
		const struct dla_exposure *e = &p->exposures[i];
		add_node(dag, DLA_NODE_EXPOSURE, e->name, NULL, NULL, e->loc, &e->tags);
		dag->nodes[dag->n - 1].spec.exposure = e;
	}
	return 0;
}

/* Registers one spelling.  Two nodes claiming the same qualified relation
 * would write (or be) the same table: an error, unless they are the same
 * node name twice, which the loader reports as a duplicate already. */
static int add_spelling(struct builder *b, const char *spelling, size_t idx,
			bool qualified)
{
	const struct dla_node *nodes = b->dag->nodes;
	size_t existing;
	int rc = dla_strmap_put_new(&b->dag->by_relation, spelling, idx, &existing);

	if (rc < 0)
		return -1;
	if (rc == 0 && qualified && existing != idx &&
	    !name_eq(nodes[existing].name, nodes[idx].name)) {
		dla_error_at(b->diags, nodes[idx].loc.file, nodes[idx].loc.line,
			     nodes[idx].loc.col,
			     "relation '%s' of %s '%s' is already declared by %s '%s'",
			     spelling, dla_node_kind_name(nodes[idx].kind),
			     nodes[idx].name, dla_node_kind_name(nodes[existing].kind),
			     nodes[existing].name);
		b->invalid = true;
	}
	return 0;
}

static int index_nodes(struct builder *b)
{
	struct dla_dag *dag = b->dag;

	for (size_t i = 0; i < dag->n; i++) {
		const struct dla_node *node = &dag->nodes[i];

		/* a duplicate name keeps the first node (the loader reports it) */
		if (dla_strmap_put_new(&dag->by_name, node->name, i, NULL) < 0)
			return -1;
		switch (node->kind) {
		case DLA_NODE_SOURCE:
			if (add_spelling(b, node->relation, i, true))
				return -1;
			break;
		case DLA_NODE_VIEW:
		case DLA_NODE_DIMENSION:
		case DLA_NODE_FACT:
			if (add_spelling(b, node->name, i, false))
				return -1;
			if (node->relation != node->name &&
			    add_spelling(b, node->relation, i, true))
				return -1;
			break;
		case DLA_NODE_EXPOSURE:
			break;
		}
	}
	return 0;
}

/* ---- edges ----------------------------------------------------------- */

static void add_edge(struct builder *b, size_t dependency, size_t dependent)
{
	if (dla_grow((void **)&b->edges, &b->cap_edges, b->n_edges + 1,
		     sizeof(*b->edges))) {
		b->nomem = true;
		return;
	}
	b->edges[b->n_edges].a = dependency;
	b->edges[b->n_edges].b = dependent;
	b->n_edges++;
}

static size_t find_relation(const struct dla_dag *dag, const char *spelling)
{
	size_t idx;

	return dla_strmap_get(&dag->by_relation, spelling, &idx) ? idx : NO_NODE;
}

static void view_edges(struct builder *b, size_t idx)
{
	const struct dla_view *v = b->dag->nodes[idx].spec.view;
	const char *file = v->path ? v->path : v->loc.file;

	for (size_t r = 0; r < v->n_refs; r++) {
		const struct dla_view_ref *ref = &v->refs[r];
		const char *spelling = ref->name;
		const char *hint;
		size_t dep;

		if (!ref->name)
			continue;
		if (ref->schema) {
			dla_buf_reset(&b->key);
			dla_buf_adds(&b->key, ref->schema);
			dla_buf_addch(&b->key, '.');
			dla_buf_adds(&b->key, ref->name);
			if (dla_buf_failed(&b->key)) {
				b->nomem = true;
				return;
			}
			spelling = b->key.buf;
		}
		dep = find_relation(b->dag, spelling);
		if (dep != NO_NODE) {
			add_edge(b, dep, idx);
			continue;
		}
		b->invalid = true;
		hint = suggest(b, &b->relations, spelling);
		if (hint)
			dla_error_at(b->diags, file, ref->line, ref->col,
				     "unknown relation '%s' (not a declared source, view, "
				     "dimension or fact; did you mean '%s'?)", spelling, hint);
		else
			dla_error_at(b->diags, file, ref->line, ref->col,
				     "unknown relation '%s' (not a declared source, view, "
				     "dimension or fact)", spelling);
	}
}

/* The `source` of a dimension or fact: a source, view, dimension or fact. */
static void source_edge(struct builder *b, size_t idx, const char *source,
			struct dla_loc loc)
{
	const struct dla_node *node = &b->dag->nodes[idx];
	const char *kind = dla_node_kind_name(node->kind);
	const char *hint;
	size_t dep;

	if (!source)
		return;   /* missing key: reported by the loader */
	if (!loc.file)
		loc = node->loc;
	dep = find_relation(b->dag, source);
	if (dep != NO_NODE) {
		add_edge(b, dep, idx);
		return;
	}
	b->invalid = true;
	dep = dla_dag_find(b->dag, source);
	if (dep != NO_NODE) {
		dla_error_at(b->diags, loc.file, loc.line, loc.col,
			     "source '%s' of %s '%s' is an %s, not a relation",
			     source, kind, node->name,
			     dla_node_kind_name(b->dag->nodes[dep].kind));
		return;
	}
	hint = suggest(b, &b->relations, source);
	if (hint)
		dla_error_at(b->diags, loc.file, loc.line, loc.col,
			     "unknown source '%s' for %s '%s' (did you mean '%s'?)",
			     source, kind, node->name, hint);
	else
		dla_error_at(b->diags, loc.file, loc.line, loc.col,
			     "unknown source '%s' for %s '%s'", source, kind, node->name);
}

static void depends_on_edges(struct builder *b, size_t idx,
			     const struct dla_names *names)
{
	const struct dla_node *node = &b->dag->nodes[idx];

	for (size_t i = 0; i < names->n; i++) {
		const char *name = names->items[i];
		struct dla_loc loc = names->locs ? names->locs[i] : node->loc;
		const char *hint;
		size_t dep;

		if (!name)
			continue;
		if (!loc.file)
			loc = node->loc;
		dep = dla_dag_find(b->dag, name);
		if (dep != NO_NODE) {
			add_edge(b, dep, idx);
			continue;
		}
		b->invalid = true;
		hint = suggest(b, &b->names, name);
		if (hint)
			dla_error_at(b->diags, loc.file, loc.line, loc.col,
				     "unknown node '%s' in 'depends_on' (did you mean '%s'?)",
				     name, hint);
		else
			dla_error_at(b->diags, loc.file, loc.line, loc.col,
				     "unknown node '%s' in 'depends_on'", name);
	}
}

/* A lookup's `on` must name each business-key column of the dimension
 * exactly once (and nothing else). */
static bool lookup_covers_key(const struct dla_lookup *l,
			      const struct dla_dimension *d)
{
	if (l->n_on != d->business_key.n)
		return false;
	for (size_t i = 0; i < l->n_on; i++) {
		const char *col = l->on[i].dim_column;
		size_t hits = 0;

		if (!col)
			return false;
		for (size_t k = 0; k < d->business_key.n; k++)
			if (d->business_key.items[k] && name_eq(col, d->business_key.items[k]))
				hits++;
		for (size_t j = 0; j < i; j++)
			if (l->on[j].dim_column && name_eq(col, l->on[j].dim_column))
				return false;
		if (hits != 1)
			return false;
	}
	return true;
}

static void lookup_edges(struct builder *b, size_t idx)
{
	const struct dla_fact *f = b->dag->nodes[idx].spec.fact;

	for (size_t i = 0; i < f->n_lookups; i++) {
		const struct dla_lookup *l = &f->lookups[i];
		struct dla_loc loc = l->loc.file ? l->loc : f->loc;
		const struct dla_dimension *d;
		const char *hint;
		size_t dep;

		if (!l->dimension)
			continue;
		dep = dla_dag_find(b->dag, l->dimension);
		if (dep == NO_NODE) {
			b->invalid = true;
			hint = suggest(b, &b->dimensions, l->dimension);
			if (hint)
				dla_error_at(b->diags, loc.file, loc.line, loc.col,
					     "lookup of unknown dimension '%s' (did you mean '%s'?)",
					     l->dimension, hint);
			else
				dla_error_at(b->diags, loc.file, loc.line, loc.col,
					     "lookup of unknown dimension '%s'", l->dimension);
			continue;
		}
		if (b->dag->nodes[dep].kind != DLA_NODE_DIMENSION) {
			b->invalid = true;
			dla_error_at(b->diags, loc.file, loc.line, loc.col,
				     "'%s' is a %s, not a dimension", l->dimension,
				     dla_node_kind_name(b->dag->nodes[dep].kind));
			continue;
		}
		add_edge(b, dep, idx);
		d = b->dag->nodes[dep].spec.dimension;
		if (d->business_key.n && !lookup_covers_key(l, d)) {
			struct dla_buf keys = DLA_BUF_INIT;

			for (size_t k = 0; k < d->business_key.n; k++)
				dla_buf_addf(&keys, "%s%s", k ? ", " : "",
					     d->business_key.items[k] ? d->business_key.items[k] : "");
			if (dla_buf_failed(&keys))
				b->nomem = true;
			b->invalid = true;
			dla_error_at(b->diags, loc.file, loc.line, loc.col,
				     "lookup 'on' must map every business-key column of "
				     "'%s' (%s)", d->name, keys.buf);
			dla_buf_release(&keys);
		}
	}
}

static void collect_edges(struct builder *b)
{
	struct dla_dag *dag = b->dag;

	for (size_t i = 0; i < dag->n && !b->nomem; i++) {
		const struct dla_node *node = &dag->nodes[i];

		switch (node->kind) {
		case DLA_NODE_SOURCE:
			break;
		case DLA_NODE_VIEW:
			view_edges(b, i);
			break;
		case DLA_NODE_DIMENSION:
			source_edge(b, i, node->spec.dimension->source,
				    node->spec.dimension->source_loc);
			depends_on_edges(b, i, &node->spec.dimension->depends_on);
			break;
		case DLA_NODE_FACT:
			source_edge(b, i, node->spec.fact->source,
				    node->spec.fact->source_loc);
			lookup_edges(b, i);
			depends_on_edges(b, i, &node->spec.fact->depends_on);
			break;
		case DLA_NODE_EXPOSURE:
			depends_on_edges(b, i, &node->spec.exposure->depends_on);
			break;
		}
	}
}

/* ---- adjacency ------------------------------------------------------- */

static int rank_nodes(struct builder *b)
{
	const struct dla_dag *dag = b->dag;
	struct named *sorted = dla_calloc(dag->n + 1, sizeof(*sorted));

	b->rank = dla_calloc(dag->n + 1, sizeof(*b->rank));
	b->by_rank = dla_calloc(dag->n + 1, sizeof(*b->by_rank));
	if (!sorted || !b->rank || !b->by_rank) {
		dla_free(sorted);
		return -1;
	}
	for (size_t i = 0; i < dag->n; i++) {
		sorted[i].name = dag->nodes[i].name;
		sorted[i].idx = i;
	}
	qsort(sorted, dag->n, sizeof(*sorted), named_cmp);
	for (size_t r = 0; r < dag->n; r++) {
		b->by_rank[r] = sorted[r].idx;
		b->rank[sorted[r].idx] = r;
	}
	dla_free(sorted);
	return 0;
}

/*
 * Edge lists in O(V + E), no comparison sort: raw edges are bucketed by
 * dependency; walking dependencies in name order and appending each to its
 * dependents' deps lists leaves every deps list sorted by name with
 * duplicates adjacent (dropped on the fly).  Walking nodes in name order
 * over their deps then fills every dependents list sorted by name.
 */
static int build_adjacency(struct builder *b)
{
	struct dla_dag *dag = b->dag;
	size_t n = dag->n, m = b->n_edges, total = 0;
	size_t *start = dla_calloc(n + 1, sizeof(*start));
	size_t *by_dep = dla_calloc(m + 1, sizeof(*by_dep));
	size_t *count = dla_calloc(n + 1, sizeof(*count));
	size_t *deps, *dependents;
	int rc = -1;

	if (!start || !by_dep || !count || rank_nodes(b))
		goto out;
	/* by_dep[start[u] .. start[u + 1]) = the raw dependents of u */
	for (size_t i = 0; i < m; i++)
		start[b->edges[i].a + 1]++;
	for (size_t u = 0; u < n; u++)
		start[u + 1] += start[u];
	for (size_t i = 0; i < m; i++) {
		size_t u = b->edges[i].a;
		by_dep[start[u] + count[u]++] = b->edges[i].b;
	}

	/* deps, each with room for its raw in-degree */
	deps = dla_arena_calloc(b->arena, m + 1, sizeof(*deps));
	if (!deps)
		goto out;
	memset(count, 0, (n + 1) * sizeof(*count));
	for (size_t i = 0; i < m; i++)
		count[b->edges[i].b]++;
	for (size_t w = 0; w < n; w++) {
		dag->nodes[w].deps = count[w] ? deps + total : NULL;
		total += count[w];
	}
	for (size_t r = 0; r < n; r++) {
		size_t u = b->by_rank[r];

		for (size_t k = start[u]; k < start[u + 1]; k++) {
			struct dla_node *w = &dag->nodes[by_dep[k]];
			if (!w->n_deps || w->deps[w->n_deps - 1] != u)
				w->deps[w->n_deps++] = u;
		}
	}

	/* dependents, from the de-duplicated deps */
	dependents = dla_arena_calloc(b->arena, m + 1, sizeof(*dependents));
	if (!dependents)
		goto out;
	memset(count, 0, (n + 1) * sizeof(*count));
	for (size_t w = 0; w < n; w++)
		for (size_t k = 0; k < dag->nodes[w].n_deps; k++)
			count[dag->nodes[w].deps[k]]++;
	total = 0;
	for (size_t u = 0; u < n; u++) {
		dag->nodes[u].dependents = count[u] ? dependents + total : NULL;
		total += count[u];
	}
	for (size_t r = 0; r < n; r++) {
		size_t w = b->by_rank[r];
		const struct dla_node *node = &dag->nodes[w];

		for (size_t k = 0; k < node->n_deps; k++) {
			struct dla_node *u = &dag->nodes[node->deps[k]];
			u->dependents[u->n_dependents++] = w;
		}
	}
	rc = 0;
out:
	dla_free(start);
	dla_free(by_dep);
	dla_free(count);
	return rc;
}

/* ---- write sets ------------------------------------------------------ */

/* The dimension node an infer lookup writes into, or NO_NODE. */
static size_t inferred_into(const struct dla_dag *dag, const struct dla_lookup *l)
{
	size_t dim;

	if (l->on_missing != DLA_MISSING_INFER)
		return NO_NODE;
	dim = dla_dag_find(dag, l->dimension);
	if (dim == NO_NODE || dag->nodes[dim].kind != DLA_NODE_DIMENSION)
		return NO_NODE;
	return dim;
}

/* Adds table to the ascending set w[0..*n) unless it is there. */
static void add_write(size_t *w, size_t *n, size_t table)
{
	size_t k = *n;

	for (size_t i = 0; i < *n; i++)
		if (w[i] == table)
			return;
	while (k > 0 && w[k - 1] > table) {
		w[k] = w[k - 1];
		k--;
	}
	w[k] = table;
	(*n)++;
}

/* Every node's writes (dag.h), in one arena array. */
static int write_sets(struct builder *b)
{
	struct dla_dag *dag = b->dag;
	size_t total = 0, used = 0;
	size_t *all;

	for (size_t i = 0; i < dag->n; i++) {
		const struct dla_node *node = &dag->nodes[i];

		if (node->kind == DLA_NODE_DIMENSION)
			total++;
		else if (node->kind == DLA_NODE_FACT)
			total += 1 + node->spec.fact->n_lookups;
	}
	all = dla_arena_calloc(b->arena, total + 1, sizeof(*all));
	if (!all)
		return -1;
	for (size_t i = 0; i < dag->n; i++) {
		struct dla_node *node = &dag->nodes[i];

		if (node->kind != DLA_NODE_DIMENSION && node->kind != DLA_NODE_FACT)
			continue;
		node->writes = all + used;
		add_write(node->writes, &node->n_writes, i);
		if (node->kind == DLA_NODE_FACT) {
			const struct dla_fact *f = node->spec.fact;

			for (size_t l = 0; l < f->n_lookups; l++) {
				size_t dim = inferred_into(dag, &f->lookups[l]);

				if (dim != NO_NODE)
					add_write(node->writes, &node->n_writes, dim);
			}
		}
		used += node->n_writes;
	}
	return 0;
}

/* ---- order and cycles ------------------------------------------------ */

/*
 * Kahn's algorithm: levels, then order sorted by (level, name).  Nodes on
 * or downstream of a cycle never reach in-degree 0: they get level -1 and
 * go last, in name order.  Sets *n_done to the number of ordered nodes.
 */
static int topo_order(struct builder *b, size_t *n_done)
{
	struct dla_dag *dag = b->dag;
	size_t *indeg = dla_calloc(dag->n + 1, sizeof(*indeg));
	size_t *queue = dla_calloc(dag->n + 1, sizeof(*queue));
	size_t *at_level = dla_calloc(dag->n + 2, sizeof(*at_level));
	size_t head = 0, tail = 0;
	int rc = -1;

	dag->order = dla_arena_calloc(b->arena, dag->n + 1, sizeof(*dag->order));
	if (!indeg || !queue || !at_level || !dag->order)
		goto out;
	for (size_t i = 0; i < dag->n; i++) {
		indeg[i] = dag->nodes[i].n_deps;
		dag->nodes[i].level = 0;
		if (!indeg[i])
			queue[tail++] = i;
	}
	while (head < tail) {
		const struct dla_node *u = &dag->nodes[queue[head++]];

		for (size_t k = 0; k < u->n_dependents; k++) {
			struct dla_node *w = &dag->nodes[u->dependents[k]];
			if (w->level < u->level + 1)
				w->level = u->level + 1;
			if (--indeg[u->dependents[k]] == 0)
				queue[tail++] = u->dependents[k];
		}
	}
	*n_done = tail;
	/* counting sort by level, names in order within a level; level -1
	 * (slot n: levels are < n) goes last */
	for (size_t i = 0; i < dag->n; i++) {
		if (indeg[i])
			dag->nodes[i].level = -1;
		at_level[(indeg[i] ? dag->n : (size_t)dag->nodes[i].level) + 1]++;
	}
	for (size_t l = 0; l <= dag->n; l++)
		at_level[l + 1] += at_level[l];
	for (size_t r = 0; r < dag->n; r++) {
		size_t v = b->by_rank[r];
		size_t l = dag->nodes[v].level < 0 ? dag->n : (size_t)dag->nodes[v].level;
		dag->order[at_level[l]++] = v;
	}
	rc = 0;
out:
	dla_free(indeg);
	dla_free(queue);
	dla_free(at_level);
	return rc;
}

struct frame {
	size_t node, next;   /* next = index of the next dependent to visit */
};

/* The shortest cycle through start inside component comp_id (BFS along
 * dependents), reported at start: "cycle: a -> b -> a". */
static int report_cycle(struct builder *b, size_t start, const size_t *comp,
			size_t *parent, size_t *queue)
{
	const struct dla_dag *dag = b->dag;
	struct dla_buf msg = DLA_BUF_INIT;
	size_t head = 0, tail = 0, last = NO_NODE, n_path = 0;

	for (size_t i = 0; i < dag->n; i++)
		if (comp[i] == comp[start])
			parent[i] = NO_NODE;
	queue[tail++] = start;
	parent[start] = start;
	while (head < tail && last == NO_NODE) {
		size_t u = queue[head++];
		const struct dla_node *node = &dag->nodes[u];

		for (size_t k = 0; k < node->n_dependents; k++) {
			size_t w = node->dependents[k];
			if (w == start) {
				last = u;
				break;
			}
			if (comp[w] == comp[start] && parent[w] == NO_NODE) {
				parent[w] = u;
				queue[tail++] = w;
			}
		}
	}
	if (last == NO_NODE)
		return 0;   /* cannot happen for a cyclic component */
	/* the path start .. last, collected backwards into queue */
	for (size_t v = last;; v = parent[v]) {
		queue[n_path++] = v;
		if (v == start)
			break;
	}
	dla_buf_adds(&msg, "cycle: ");
	while (n_path)
		dla_buf_addf(&msg, "%s -> ", dag->nodes[queue[--n_path]].name);
	dla_buf_adds(&msg, dag->nodes[start].name);
	if (dla_buf_failed(&msg))
		return -1;
	dla_error_at(b->diags, dag->nodes[start].loc.file, dag->nodes[start].loc.line,
		     dag->nodes[start].loc.col, "%s", msg.buf);
	dla_buf_release(&msg);
	return 0;
}

/* Iterative Tarjan over the nodes Kahn could not order (following
 * dependents never leaves that set).  Each strongly connected component
 * with a cycle is reported once, starting at its first node by name;
 * reports come in name order of those nodes. */
static int report_cycles(struct builder *b)
{
	const struct dla_dag *dag = b->dag;
	size_t n = dag->n, counter = 0, n_stack = 0, n_starts = 0, n_comps = 0;
	size_t *index = dla_calloc(n + 1, sizeof(*index));
	size_t *low = dla_calloc(n + 1, sizeof(*low));
	size_t *comp = dla_calloc(n + 1, sizeof(*comp));
	size_t *stack = dla_calloc(n + 1, sizeof(*stack));
	size_t *starts = dla_calloc(n + 1, sizeof(*starts));
	struct frame *frames = dla_calloc(n + 1, sizeof(*frames));
	bool *on_stack = dla_calloc(n + 1, sizeof(*on_stack));
	int rc = -1;

	if (!index || !low || !comp || !stack || !starts || !frames || !on_stack)
		goto out;
	for (size_t i = 0; i < n; i++) {
		index[i] = NO_NODE;
		comp[i] = dag->nodes[i].level < 0 ? NO_NODE : SIZE_MAX - 1;
	}
	for (size_t r = 0; r < n; r++) {
		size_t root = b->by_rank[r], depth = 0;

		if (comp[root] != NO_NODE || index[root] != NO_NODE)
			continue;
		index[root] = low[root] = counter++;
		stack[n_stack++] = root;
		on_stack[root] = true;
		frames[depth].node = root;
		frames[depth++].next = 0;
		while (depth) {
			struct frame *f = &frames[depth - 1];
			const struct dla_node *node = &dag->nodes[f->node];
			size_t v = f->node;

			if (f->next < node->n_dependents) {
				size_t w = node->dependents[f->next++];
				if (index[w] == NO_NODE) {
					index[w] = low[w] = counter++;
					stack[n_stack++] = w;
					on_stack[w] = true;
					frames[depth].node = w;
					frames[depth++].next = 0;
				} else if (on_stack[w] && index[w] < low[v]) {
					low[v] = index[w];
				}
				continue;
			}
			depth--;
			if (depth && low[v] < low[frames[depth - 1].node])
				low[frames[depth - 1].node] = low[v];
			if (low[v] == index[v]) {
				/* v roots a component: pop it, note its first
				 * node by name, keep it if it has a cycle */
				size_t size = 0, first = v, w;
				bool self = false;

				do {
					w = stack[--n_stack];
					on_stack[w] = false;
					comp[w] = n_comps;
					if (b->rank[w] < b->rank[first])
						first = w;
					size++;
				} while (w != v);
				for (size_t k = 0; k < node->n_dependents; k++)
					if (node->dependents[k] == v)
						self = true;
				if (size > 1 || self)
					starts[n_starts++] = b->rank[first];
				n_comps++;
			}
		}
	}
	/* starts hold ranks: sorting them sorts the reports by name */
	for (size_t i = 1; i < n_starts; i++) {
		size_t key = starts[i], j = i;
		while (j > 0 && starts[j - 1] > key) {
			starts[j] = starts[j - 1];
			j--;
		}
		starts[j] = key;
	}
	rc = 0;
	for (size_t i = 0; i < n_starts && !rc; i++)
		rc = report_cycle(b, b->by_rank[starts[i]], comp, low, stack);
out:
	dla_free(index);
	dla_free(low);
	dla_free(comp);
	dla_free(stack);
	dla_free(starts);
	dla_free(frames);
	dla_free(on_stack);
	return rc;
}

/* ---- public ---------------------------------------------------------- */

enum dla_code dla_dag_build(struct dla_dag *dag, const struct dla_project *p,
			    struct dla_diags *diags)
{
	struct builder b;
	struct dag_storage *storage;
	enum dla_code rc = DLA_ERR_NOMEM;
	size_t n_done = 0;

	memset(dag, 0, sizeof(*dag));
	dla_strmap_init(&dag->by_name, true);
	dla_strmap_init(&dag->by_relation, true);
	storage = dla_calloc(1, sizeof(*storage));
	if (!storage)
		return DLA_ERR_NOMEM;
	dla_arena_init(&storage->arena);
	dag->storage = storage;

	memset(&b, 0, sizeof(b));
	b.dag = dag;
	b.p = p;
	b.diags = diags;
	b.arena = &storage->arena;
	dla_buf_init(&b.key);
	dla_strmap_init(&b.relations.cache, true);
	dla_strmap_init(&b.names.cache, true);
	dla_strmap_init(&b.dimensions.cache, true);

	if (make_nodes(&b) || b.nomem || index_nodes(&b) || b.nomem)
		goto out;
	collect_edges(&b);
	if (b.nomem || build_adjacency(&b) || write_sets(&b) || topo_order(&b, &n_done))
		goto out;
	if (n_done < dag->n) {
		if (report_cycles(&b))
			goto out;
		rc = DLA_ERR_CYCLE;
	} else {
		rc = b.invalid ? DLA_ERR_INVALID : DLA_OK;
	}
out:
	if (b.nomem)
		rc = DLA_ERR_NOMEM;
	dla_free(b.edges);
	dla_free(b.rank);
	dla_free(b.by_rank);
	dla_free(b.scratch);
	dla_buf_release(&b.key);
	suggester_release(&b.relations);
	suggester_release(&b.names);
	suggester_release(&b.dimensions);
	return rc;
}

void dla_dag_release(struct dla_dag *dag)
{
	struct dag_storage *storage = dag->storage;

	if (storage) {
		dla_arena_release(&storage->arena);
		dla_free(storage);
	}
	dla_strmap_release(&dag->by_name);
	dla_strmap_release(&dag->by_relation);
	memset(dag, 0, sizeof(*dag));
}

size_t dla_dag_find(const struct dla_dag *dag, const char *name)
{
	size_t idx;

	if (!name)
		return NO_NODE;
	if (dla_strmap_get(&dag->by_name, name, &idx) ||
	    dla_strmap_get(&dag->by_relation, name, &idx))
		return idx;
	return NO_NODE;
}

const struct dla_dimension *dla_dag_lookup_dimension(const struct dla_dag *dag,
						     const struct dla_lookup *lookup)
{
	size_t idx = dla_dag_find(dag, lookup->dimension);

	if (idx == NO_NODE || dag->nodes[idx].kind != DLA_NODE_DIMENSION)
		return NULL;
	return dag->nodes[idx].spec.dimension;
}

const char *dla_dag_lookup_key(const struct dla_dag *dag,
			       const struct dla_lookup *lookup)
{
	const struct dla_dimension *d;

	if (lookup->key)
		return lookup->key;
	d = dla_dag_lookup_dimension(dag, lookup);
	return d ? d->surrogate_key : NULL;
}
