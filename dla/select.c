/*
 * select.c - node selection for --select / --exclude (select.h).
 *
 * Each argument is split into selectors (spaces or commas).  A selector
 * marks its matching nodes as seeds, plus upstream and/or downstream seeds
 * for the graph operators; each list is then expanded with one multi-source
 * BFS per direction, so a whole selection is linear in the size of the DAG
 * whatever the number of selectors.  Graph operators also apply to tag: and
 * path: selectors ("+tag:finance" = the tagged nodes and their inputs).
 */
#include "select.h"

#include <string.h>

#include "alloc.h"
#include "buf.h"

#define NO_NODE ((size_t)-1)

/* Per list: seed[i] = node i selected itself; up[i] / down[i] = its
 * upstream / downstream closure is selected too. */
struct marks {
	bool *seed, *up, *down;
};

struct selector_ctx {
	const struct dla_dag *dag;
	struct dla_diags *diags;
	const char **names;       /* did-you-mean candidates, built on error */
	size_t n_names;
	const char **tags;
	size_t n_tags;
	bool usage, nomem;
};

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static bool name_eq(const char *a, const char *b)
{
	for (; *a && lower((unsigned char)*a) == lower((unsigned char)*b); a++, b++)
		;
	return lower((unsigned char)*a) == lower((unsigned char)*b);
}

static bool is_separator(char c)
{
	return c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void mark(struct marks *m, size_t idx, bool up, bool down)
{
	m->seed[idx] = true;
	if (up)
		m->up[idx] = true;
	if (down)
		m->down[idx] = true;
}

static bool has_tag(const struct dla_node *node, const char *tag)
{
	if (!node->tags)
		return false;
	for (size_t i = 0; i < node->tags->n; i++)
		if (node->tags->items[i] && name_eq(node->tags->items[i], tag))
			return true;
	return false;
}

/* Strips leading "./" and trailing "/" from path[0..*len); returns the new
 * start.  "." (the project directory) becomes "". */
static const char *normalise_path(const char *path, size_t *len)
{
	while (*len >= 2 && path[0] == '.' && path[1] == '/') {
		path += 2;
		*len -= 2;
		while (*len && path[0] == '/') {   /* ".//models" */
			path++;
			(*len)--;
		}
	}
	while (*len && path[*len - 1] == '/')
		(*len)--;
	if (*len == 1 && path[0] == '.')
		*len = 0;
	return path;
}

/* True when file is prefix itself or lies below the directory prefix. */
static bool path_matches(const char *file, const char *prefix, size_t len)
{
	size_t flen;

	if (!file)
		return false;
	flen = strlen(file);
	file = normalise_path(file, &flen);
	if (!len)
		return true;
	return flen >= len && memcmp(file, prefix, len) == 0 &&
	       (flen == len || file[len] == '/');
}

static void build_candidates(struct selector_ctx *c)
{
	const struct dla_dag *dag = c->dag;
	size_t n_tags = 0;

	if (c->names)
		return;
	c->names = dla_calloc(dag->by_relation.n + dag->n + 1, sizeof(*c->names));
	for (size_t i = 0; i < dag->n; i++)
		n_tags += dag->nodes[i].tags ? dag->nodes[i].tags->n : 0;
	c->tags = dla_calloc(n_tags + 1, sizeof(*c->tags));
	if (!c->names || !c->tags) {
		c->nomem = true;
		return;
	}
	/* node names first (the canonical spelling), then other spellings */
	for (size_t i = 0; i < dag->n; i++)
		c->names[c->n_names++] = dag->nodes[i].name;
	for (size_t i = 0; i < dag->by_relation.cap; i++) {
		const char *key = dag->by_relation.slots[i].key;
		if (key && !dla_strmap_get(&dag->by_name, key, NULL))
			c->names[c->n_names++] = key;
	}
	for (size_t i = 0; i < dag->n; i++)
		for (size_t k = 0; dag->nodes[i].tags && k < dag->nodes[i].tags->n; k++)
			if (dag->nodes[i].tags->items[k])
				c->tags[c->n_tags++] = dag->nodes[i].tags->items[k];
}

static void no_match(struct selector_ctx *c, const char *token, bool up,
		     bool down, const char *method, const char *value)
{
	const char *hint = NULL;

	c->usage = true;
	if (*value && strcmp(method, "path:")) {
		build_candidates(c);
		if (c->nomem)
			return;
		if (*method)
			hint = dla_closest_word(value, c->tags, c->n_tags);
		else
			hint = dla_closest_word(value, c->names, c->n_names);
	}
	if (hint)
		dla_error_at(c->diags, "", 0, 0,
			     "selector '%s' matches no node (did you mean '%s%s%s%s'?)",
			     token, up ? "+" : "", method, hint, down ? "+" : "");
	else
		dla_error_at(c->diags, "", 0, 0, "selector '%s' matches no node", token);
}

/* One selector, token = as written (NUL-terminated copy). */
static void apply_selector(struct selector_ctx *c, struct marks *m, char *token)
{
	const struct dla_dag *dag = c->dag;
	size_t len = strlen(token), matched = 0;
	bool up = false, down = false;
	const char *method = "";
	char *body = token, saved;

	if (len && body[0] == '+') {
		up = true;
		body++;
		len--;
	}
	if (len && body[len - 1] == '+') {
		down = true;
		len--;
	}
	saved = body[len];
	body[len] = '\0';
	if (strncmp(body, "tag:", 4) == 0) {
		method = "tag:";
		for (size_t i = 0; i < dag->n; i++)
			if (has_tag(&dag->nodes[i], body + 4)) {
				mark(m, i, up, down);
				matched++;
			}
	} else if (strncmp(body, "path:", 5) == 0) {
		size_t plen = len - 5;
		const char *prefix = normalise_path(body + 5, &plen);

		method = "path:";
		for (size_t i = 0; i < dag->n; i++)
			if (path_matches(dag->nodes[i].loc.file, prefix, plen)) {
				mark(m, i, up, down);
				matched++;
			}
	} else {
		size_t idx = dla_dag_find(dag, body);
		if (idx != NO_NODE) {
			mark(m, idx, up, down);
			matched++;
		}
	}
	if (!matched) {
		const char *value = body + strlen(method);
		char *copy = dla_strdup(value);

		if (!copy) {
			c->nomem = true;
			return;
		}
		body[len] = saved;
		no_match(c, token, up, down, method, copy);
		dla_free(copy);
	}
}

static void parse_list(struct selector_ctx *c, const char *const *args,
		       size_t n_args, struct marks *m, size_t *n_selectors)
{
	for (size_t a = 0; a < n_args && !c->nomem; a++) {
		const char *s = args[a];

		while (s && *s && !c->nomem) {
			size_t len = 0;
			char *token;

			while (*s && is_separator(*s))
				s++;
			while (s[len] && !is_separator(s[len]))
				len++;
			if (!len)
				break;
			token = dla_strndup(s, len);
			if (!token) {
				c->nomem = true;
				return;
			}
			apply_selector(c, m, token);
			dla_free(token);
			(*n_selectors)++;
			s += len;
		}
	}
}

/* result[i] = seed, or reachable from an up seed along deps, or from a
 * down seed along dependents.  queue and seen are scratch (n entries). */
static void expand(const struct dla_dag *dag, const struct marks *m,
		   bool *result, size_t *queue, bool *seen)
{
	for (int dir = 0; dir < 2; dir++) {
		const bool *starts = dir ? m->down : m->up;
		size_t head = 0, tail = 0;

		memset(seen, 0, dag->n * sizeof(*seen));
		for (size_t i = 0; i < dag->n; i++)
			if (starts[i]) {
				seen[i] = true;
				queue[tail++] = i;
			}
		while (head < tail) {
			const struct dla_node *u = &dag->nodes[queue[head++]];
			const size_t *next = dir ? u->dependents : u->deps;
			size_t n_next = dir ? u->n_dependents : u->n_deps;

			for (size_t k = 0; k < n_next; k++)
				if (!seen[next[k]]) {
					seen[next[k]] = true;
					queue[tail++] = next[k];
				}
		}
		for (size_t i = 0; i < dag->n; i++)
			if (seen[i])
				result[i] = true;
	}
	for (size_t i = 0; i < dag->n; i++)
		if (m->seed[i])
			result[i] = true;
}

enum dla_code dla_select(const struct dla_dag *dag,
			 const char *const *select, size_t n_select,
			 const char *const *exclude, size_t n_exclude,
			 bool *selected, struct dla_diags *diags)
{
	struct selector_ctx c = { dag, diags, NULL, 0, NULL, 0, false, false };
	size_t n = dag->n, n_selectors = 0;
	struct marks m;
	bool *seen = dla_calloc(n + 1, sizeof(*seen));
	bool *excluded = dla_calloc(n + 1, sizeof(*excluded));
	size_t *queue = dla_calloc(n + 1, sizeof(*queue));
	enum dla_code rc = DLA_ERR_NOMEM;

	m.seed = dla_calloc(n + 1, sizeof(bool));
	m.up = dla_calloc(n + 1, sizeof(bool));
	m.down = dla_calloc(n + 1, sizeof(bool));
	if (!seen || !excluded || !queue || !m.seed || !m.up || !m.down)
		goto out;

	for (size_t i = 0; i < n; i++)
		selected[i] = false;
	parse_list(&c, select, n_select, &m, &n_selectors);
	if (c.nomem)
		goto out;
	if (n_selectors)
		expand(dag, &m, selected, queue, seen);
	else
		for (size_t i = 0; i < n; i++)
			selected[i] = true;

	memset(m.seed, 0, n * sizeof(bool));
	memset(m.up, 0, n * sizeof(bool));
	memset(m.down, 0, n * sizeof(bool));
	n_selectors = 0;
	parse_list(&c, exclude, n_exclude, &m, &n_selectors);
	if (c.nomem)
		goto out;
	if (n_selectors) {
		expand(dag, &m, excluded, queue, seen);
		for (size_t i = 0; i < n; i++)
			if (excluded[i])
				selected[i] = false;
	}
	rc = c.usage ? DLA_ERR_USAGE : DLA_OK;
out:
	dla_free(seen);
	dla_free(excluded);
	dla_free(queue);
	dla_free(m.seed);
	dla_free(m.up);
	dla_free(m.down);
	dla_free(c.names);
	dla_free(c.tags);
	return rc;
}
