/*
 * yaml_doc.c - hardened YAML parsing into the generic tree of yaml_doc.h.
 * The only file of dla including yaml.h: it drives libyaml's event API,
 * resolves anchors, aliases and merge keys, and enforces the size, encoding,
 * depth and alias-expansion limits.
 */
#include "yaml_doc.h"
#include "alloc.h"
#include "strmap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

/* ---- encoding ----------------------------------------------------------- */

/* Length of the valid UTF-8 sequence starting at s[0] (n bytes left), or 0. */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		return n >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
	if (c >= 0xE0 && c <= 0xEF) {
		if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
			return 0;
		if (c == 0xE0 && s[1] < 0xA0)
			return 0;   /* overlong */
		if (c == 0xED && s[1] >= 0xA0)
			return 0;   /* surrogate */
		return 3;
	}
	if (c >= 0xF0 && c <= 0xF4) {
		if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 ||
		    (s[3] & 0xC0) != 0x80)
			return 0;
		if (c == 0xF0 && s[1] < 0x90)
			return 0;   /* overlong */
		if (c == 0xF4 && s[1] >= 0x90)
			return 0;   /* above U+10FFFF */
		return 4;
	}
	return 0;
}

bool dla_utf8_check(const char *text, size_t len, size_t *offset,
		    int *line, int *col)
{
	const unsigned char *s = (const unsigned char *)text;
	int ln = 1, cl = 1;
	size_t i = 0;

	while (i < len) {
		size_t n = s[i] ? utf8_seq_len(s + i, len - i) : 0;
		if (!n) {
			*offset = i;
			*line = ln;
			*col = cl;
			return false;
		}
		if (s[i] == '\n' || (s[i] == '\r' && (i + 1 >= len || s[i + 1] != '\n'))) {
			ln++;
			cl = 1;
		} else if (s[i] != '\r') {
			cl++;
		}
		i += n;
	}
	return true;
}

/* Byte offset of 1-based (line, col) in text, col counting characters the
 * way dla_utf8_check does; len when past the end. */
static size_t offset_of(const char *text, size_t len, int line, int col)
{
	int ln = 1, cl = 1;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if ((c & 0xC0) == 0x80)
			continue;
		if (ln == line && cl == col)
			return i;
		if (c == '\n' || (c == '\r' && (i + 1 >= len || text[i + 1] != '\n'))) {
			ln++;
			cl = 1;
		} else if (c != '\r') {
			cl++;
		}
	}
	return len;
}

/* 1-based line:col of byte offset off (columns in characters). */
static void position_of(const char *text, size_t len, size_t off, int *line, int *col)
{
	int ln = 1, cl = 1;

	for (size_t i = 0; i < off && i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c == '\n' || (c == '\r' && (i + 1 >= len || text[i + 1] != '\n'))) {
			ln++;
			cl = 1;
		} else if ((c & 0xC0) != 0x80 && c != '\r') {
			cl++;
		}
	}
	*line = ln;
	*col = cl;
}

/* ---- nesting pre-scan ----------------------------------------------------
 *
 * libyaml 0.2.5 has no nesting limit and its scanner is quadratic in the
 * flow depth, so deep nesting is rejected on the raw text first.  The scan
 * tracks flow brackets outside quoted scalars and comments, and the stack of
 * block indentation points (line indentation and `- ` / `? ` entries),
 * skipping block scalar contents.  It is conservative: the innermost block
 * point may be a leaf scalar, so it counts one level less than it sees; the
 * exact limit is enforced by the event loop.
 */

struct prescan {
	const char *s;
	size_t len, i;
	int line, col;          /* of s[i] */
};

static bool ps_is_break(const struct prescan *ps, size_t i)
{
	return i < ps->len && (ps->s[i] == '\n' || ps->s[i] == '\r');
}

static bool ps_is_blank_or_end(const struct prescan *ps, size_t i)
{
	return i >= ps->len || ps->s[i] == ' ' || ps->s[i] == '\t' ||
	       ps->s[i] == '\n' || ps->s[i] == '\r';
}

static void ps_advance(struct prescan *ps)
{
	unsigned char c = (unsigned char)ps->s[ps->i];

	if (c == '\n' || (c == '\r' && (ps->i + 1 >= ps->len || ps->s[ps->i + 1] != '\n'))) {
		ps->line++;
		ps->col = 1;
	} else if (c != '\r') {
		ps->col++;
	}
	ps->i++;
	while (ps->i < ps->len && ((unsigned char)ps->s[ps->i] & 0xC0) == 0x80)
		ps->i++;
}

static void ps_skip_to_eol(struct prescan *ps)
{
	while (ps->i < ps->len && !ps_is_break(ps, ps->i))
		ps_advance(ps);
}

static void ps_skip_quoted(struct prescan *ps)
{
	char q = ps->s[ps->i];

	ps_advance(ps);
	while (ps->i < ps->len) {
		char c = ps->s[ps->i];
		if (q == '"' && c == '\\') {
			ps_advance(ps);
			if (ps->i < ps->len)
				ps_advance(ps);
			continue;
		}
		if (c == q) {
			if (q == '\'' && ps->i + 1 < ps->len && ps->s[ps->i + 1] == '\'') {
				ps_advance(ps);
				ps_advance(ps);
				continue;
			}
			ps_advance(ps);
			return;
		}
		ps_advance(ps);
	}
}

/* Returns false with *line and *col where the nesting first exceeds max. */
static bool prescan_depth(const char *text, size_t len, int max, int *line, int *col)
{
	struct prescan ps = { text, len, 0, 1, 1 };
	int stack[DLA_YAML_MAX_DEPTH + 4];
	int nstack = 0, flow = 0, scalar_parent = -1;
	int top_line = 1, top_col = 1;    /* where the innermost block point starts */
	bool top_confirmed = false;       /* it is known to be a collection */
	bool line_start = true, node_start = true, prev_blank = true;

	/* the innermost block point only counts once it is known to hold a
	 * mapping or sequence (`key:` or `- ` seen on it), or flow content */
#define PS_DEPTH() (nstack - (nstack > 0 && !top_confirmed ? 1 : 0) + flow)
#define PS_FAIL_AT(l, c) do { *line = (l); *col = (c); return false; } while (0)
#define PS_PUSH(v) do { \
		if (nstack >= max + 2) \
			PS_FAIL_AT(ps.line, ps.col); \
		stack[nstack++] = (v); \
		top_line = ps.line; \
		top_col = ps.col; \
		top_confirmed = false; \
	} while (0)
#define PS_CONFIRM() do { \
		if (!top_confirmed && nstack > 0) { \
			top_confirmed = true; \
			if (PS_DEPTH() > max) \
				PS_FAIL_AT(top_line, top_col); \
		} \
	} while (0)

	while (ps.i < len) {
		char c = text[ps.i];

		if (line_start && flow == 0) {
			size_t j = ps.i;
			int ind = 0;
			while (j < len && text[j] == ' ') {
				j++;
				ind++;
			}
			line_start = false;
			if (j >= len || text[j] == '\n' || text[j] == '\r' || text[j] == '#' ||
			    (scalar_parent >= 0 && ind > scalar_parent)) {
				ps_skip_to_eol(&ps);
				if (ps.i < len)
					ps_advance(&ps);
				line_start = true;
				continue;
			}
			scalar_parent = -1;
			while (ps.i < j)
				ps_advance(&ps);
			if (ind == 0 && len - j >= 3 &&
			    (memcmp(text + j, "---", 3) == 0 || memcmp(text + j, "...", 3) == 0) &&
			    ps_is_blank_or_end(&ps, j + 3)) {
				nstack = 0;
				top_confirmed = false;
				for (int k = 0; k < 3; k++)
					ps_advance(&ps);
				node_start = true;
				prev_blank = true;
				continue;
			}
			if (nstack > 0 && stack[nstack - 1] > ind) {
				while (nstack > 0 && stack[nstack - 1] > ind)
					nstack--;
				top_confirmed = true;   /* it had deeper content */
			}
			if (nstack == 0 || stack[nstack - 1] < ind)
				PS_PUSH(ind);
			node_start = true;
			prev_blank = true;
			continue;
		}
		if (c == '\n' || c == '\r') {
			ps_advance(&ps);
			if (flow == 0)
				line_start = true;
			prev_blank = true;
			continue;
		}
		if (c == ' ' || c == '\t') {
			ps_advance(&ps);
			prev_blank = true;
			continue;
		}
		if (c == '#' && prev_blank) {
			ps_skip_to_eol(&ps);
			continue;
		}
		prev_blank = false;
		if (c == '[' || c == '{') {
			if (flow > 0 || node_start) {
				flow++;
				if (PS_DEPTH() > max)
					PS_FAIL_AT(ps.line, ps.col);
				node_start = true;
			}
			ps_advance(&ps);
			continue;
		}
		if (flow > 0) {
			if (c == ']' || c == '}') {
				flow--;
				node_start = false;
			} else if (c == ',' || c == ':' || c == '?') {
				node_start = true;
			} else if (node_start && (c == '\'' || c == '"')) {
				ps_skip_quoted(&ps);
				node_start = false;
				continue;
			} else if (!(node_start && (c == '&' || c == '!' || c == '-'))) {
				node_start = false;
			}
			ps_advance(&ps);
			continue;
		}
		/* block context */
		if (node_start) {
			if ((c == '-' || c == '?') && ps_is_blank_or_end(&ps, ps.i + 1)) {
				size_t j = ps.i + 1;
				int pcol = ps.col;   /* 1-based column of the indicator */
				PS_CONFIRM();
				while (j < len && text[j] == ' ') {
					j++;
					pcol++;
				}
				ps_advance(&ps);
				if (j < len && !ps_is_break(&ps, j) && text[j] != '#' &&
				    text[j] != '|' && text[j] != '>') {
					while (ps.i < j)
						ps_advance(&ps);
					PS_PUSH(pcol);   /* 0-based column of the content */
				}
				continue;
			}
			if (c == '\'' || c == '"') {
				ps_skip_quoted(&ps);
				node_start = false;
				continue;
			}
			if (c == '|' || c == '>') {
				scalar_parent = nstack > 0 ? stack[nstack - 1] : 0;
				ps_skip_to_eol(&ps);
				node_start = false;
				continue;
			}
			if (c == '&' || c == '!') {
				while (!ps_is_blank_or_end(&ps, ps.i))
					ps_advance(&ps);
				continue;
			}
			node_start = false;
			ps_advance(&ps);
			continue;
		}
		if (c == ':' && ps_is_blank_or_end(&ps, ps.i + 1)) {
			PS_CONFIRM();
			node_start = true;
		}
		ps_advance(&ps);
	}
	return true;
#undef PS_DEPTH
#undef PS_FAIL_AT
#undef PS_PUSH
#undef PS_CONFIRM
}

/* ---- the event loop ------------------------------------------------------ */

struct frame {
	struct dla_ynode *node;
	struct dla_ynode **kids;    /* heap; mappings: key, value, key, value... */
	size_t n, cap;
	char *anchor;               /* arena */
};

struct builder {
	struct dla_arena *arena;
	const char *file;
	const char *text;
	size_t len;
	struct dla_diags *diags;
	struct frame frames[DLA_YAML_MAX_DEPTH];
	int depth;
	struct dla_strmap anchors;  /* anchor name -> struct dla_ynode * */
	size_t alias_nodes;         /* nodes reached through aliases so far */
	struct dla_ynode *root;
	struct dla_ynode **docs;    /* heap */
	size_t n_docs, cap_docs;
	enum dla_code rc;
};

static void fail_at(struct builder *b, enum dla_code rc, int line, int col,
		    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void fail_at(struct builder *b, enum dla_code rc, int line, int col,
		    const char *fmt, ...)
{
	va_list ap;

	if (b->rc != DLA_OK)
		return;
	b->rc = rc;
	if (rc == DLA_ERR_NOMEM)
		return;
	va_start(ap, fmt);
	dla_diag_vadd(b->diags, DLA_SEV_ERROR, b->file, line, col, fmt, ap);
	va_end(ap);
}

static void nomem(struct builder *b)
{
	fail_at(b, DLA_ERR_NOMEM, 0, 0, "out of memory");
}

static struct dla_ynode *new_node(struct builder *b, enum dla_ynode_kind kind,
				  const yaml_mark_t *mark, const yaml_char_t *tag)
{
	struct dla_ynode *n = dla_arena_alloc(b->arena, sizeof(*n));

	if (!n) {
		nomem(b);
		return NULL;
	}
	n->kind = kind;
	n->line = (int)mark->line + 1;
	n->col = (int)mark->column + 1;
	n->size = 1;
	if (tag) {
		n->tag = dla_arena_strdup(b->arena, (const char *)tag);
		if (!n->tag) {
			nomem(b);
			return NULL;
		}
	}
	return n;
}

static bool register_anchor(struct builder *b, const char *anchor, struct dla_ynode *node)
{
	if (!anchor)
		return true;
	if (dla_strmap_put(&b->anchors, anchor, (size_t)(uintptr_t)node)) {
		nomem(b);
		return false;
	}
	return true;
}

/* Hands a finished node to its parent (or makes it the document root). */
static void add_node(struct builder *b, struct dla_ynode *node)
{
	struct frame *f;

	if (b->depth == 0) {
		b->root = node;
		return;
	}
	f = &b->frames[b->depth - 1];
	if (dla_grow((void **)&f->kids, &f->cap, f->n + 1, sizeof(*f->kids))) {
		nomem(b);
		return;
	}
	f->kids[f->n++] = node;
	f->node->size += node->size;
}

static bool is_merge_key(const struct dla_ynode *k)
{
	return k->kind == DLA_YNODE_SCALAR &&
	       ((k->style == DLA_YSTYLE_PLAIN && !k->tag && strcmp(k->value, "<<") == 0) ||
		(k->tag && strcmp(k->tag, "tag:yaml.org,2002:merge") == 0));
}

/* Index set over the scalar keys of a pair list under construction. */
struct keyset {
	struct dla_strmap map;
	const struct dla_ypair *pairs;
	size_t n;
	bool use_map;
};

static bool keyset_find(const struct keyset *ks, const char *key, size_t *at)
{
	if (ks->use_map)
		return dla_strmap_get(&ks->map, key, at);
	for (size_t i = 0; i < ks->n; i++) {
		const struct dla_ynode *k = ks->pairs[i].key;
		if (k->kind == DLA_YNODE_SCALAR && strcmp(k->value, key) == 0) {
			*at = i;
			return true;
		}
	}
	return false;
}

static void finish_mapping(struct builder *b, struct frame *f)
{
	struct dla_ynode *map = f->node;
	size_t n_explicit = f->n / 2, n_out = 0, cap = n_explicit;
	struct dla_ypair *out;
	struct keyset ks;
	bool has_merge = false;

	for (size_t i = 0; i < n_explicit; i++) {
		struct dla_ynode *k = f->kids[2 * i], *v = f->kids[2 * i + 1];
		if (!is_merge_key(k))
			continue;
		has_merge = true;
		if (v->kind == DLA_YNODE_MAPPING) {
			cap += v->n_pairs;
		} else if (v->kind == DLA_YNODE_SEQUENCE) {
			for (size_t j = 0; j < v->n_items; j++) {
				if (v->items[j]->kind != DLA_YNODE_MAPPING) {
					fail_at(b, DLA_ERR_INVALID, k->line, k->col,
						"merge key '<<' needs a mapping or a list of mappings");
					return;
				}
				cap += v->items[j]->n_pairs;
			}
		} else {
			/* at the key: an aliased value's position is its anchor's */
			fail_at(b, DLA_ERR_INVALID, k->line, k->col,
				"merge key '<<' needs a mapping or a list of mappings");
			return;
		}
	}
	out = dla_arena_calloc(b->arena, cap ? cap : 1, sizeof(*out));
	if (!out) {
		nomem(b);
		return;
	}
	dla_strmap_init(&ks.map, false);
	ks.pairs = out;
	ks.use_map = cap > 12;
	ks.n = 0;
	for (size_t i = 0; i < n_explicit && b->rc == DLA_OK; i++) {
		struct dla_ynode *k = f->kids[2 * i];
		size_t at;
		if (is_merge_key(k))
			continue;
		if (k->kind == DLA_YNODE_SCALAR) {
			if (keyset_find(&ks, k->value, &at)) {
				const struct dla_ynode *first = out[at].key;
				fail_at(b, DLA_ERR_INVALID, k->line, k->col,
					"duplicate key '%s' (first defined at %s:%d:%d)",
					k->value, b->file, first->line, first->col);
				break;
			}
			if (ks.use_map && dla_strmap_put(&ks.map, k->value, n_out)) {
				nomem(b);
				break;
			}
		}
		out[n_out].key = k;
		out[n_out].value = f->kids[2 * i + 1];
		ks.n = ++n_out;
	}
	/* merged keys: own keys win, then earlier merge sources */
	for (size_t i = 0; has_merge && i < n_explicit && b->rc == DLA_OK; i++) {
		struct dla_ynode *k = f->kids[2 * i], *v = f->kids[2 * i + 1];
		size_t n_src = v->kind == DLA_YNODE_MAPPING ? 1 : v->n_items;
		if (!is_merge_key(k))
			continue;
		for (size_t s = 0; s < n_src && b->rc == DLA_OK; s++) {
			const struct dla_ynode *src =
				v->kind == DLA_YNODE_MAPPING ? v : v->items[s];
			for (size_t j = 0; j < src->n_pairs; j++) {
				const struct dla_ypair *pr = &src->pairs[j];
				size_t at;
				if (pr->key->kind == DLA_YNODE_SCALAR) {
					if (keyset_find(&ks, pr->key->value, &at))
						continue;
					if (ks.use_map &&
					    dla_strmap_put(&ks.map, pr->key->value, n_out)) {
						nomem(b);
						break;
					}
				}
				out[n_out++] = *pr;
				ks.n = n_out;
			}
		}
	}
	dla_strmap_release(&ks.map);
	map->pairs = out;
	map->n_pairs = n_out;
}

static void finish_sequence(struct builder *b, struct frame *f)
{
	struct dla_ynode *seq = f->node;

	seq->items = dla_arena_calloc(b->arena, f->n ? f->n : 1, sizeof(*seq->items));
	if (!seq->items) {
		nomem(b);
		return;
	}
	if (f->n)
		memcpy(seq->items, f->kids, f->n * sizeof(*seq->items));
	seq->n_items = f->n;
}

static char *arena_anchor(struct builder *b, const yaml_char_t *anchor)
{
	char *copy;

	if (!anchor)
		return NULL;
	copy = dla_arena_strdup(b->arena, (const char *)anchor);
	if (!copy)
		nomem(b);
	return copy;
}

static void on_scalar(struct builder *b, const yaml_event_t *ev)
{
	struct dla_ynode *n = new_node(b, DLA_YNODE_SCALAR, &ev->start_mark,
				       ev->data.scalar.tag);
	char *anchor;

	if (!n)
		return;
	switch (ev->data.scalar.style) {
	case YAML_SINGLE_QUOTED_SCALAR_STYLE: n->style = DLA_YSTYLE_SINGLE_QUOTED; break;
	case YAML_DOUBLE_QUOTED_SCALAR_STYLE: n->style = DLA_YSTYLE_DOUBLE_QUOTED; break;
	case YAML_LITERAL_SCALAR_STYLE: n->style = DLA_YSTYLE_LITERAL; break;
	case YAML_FOLDED_SCALAR_STYLE: n->style = DLA_YSTYLE_FOLDED; break;
	default: n->style = DLA_YSTYLE_PLAIN; break;
	}
	n->len = ev->data.scalar.length;
	if (memchr(ev->data.scalar.value, '\0', n->len)) {
		fail_at(b, DLA_ERR_INVALID, n->line, n->col,
			"string contains a NUL character");
		return;
	}
	n->value = dla_arena_strndup(b->arena, (const char *)ev->data.scalar.value, n->len);
	if (!n->value) {
		nomem(b);
		return;
	}
	anchor = arena_anchor(b, ev->data.scalar.anchor);
	if (b->rc != DLA_OK || !register_anchor(b, anchor, n))
		return;
	add_node(b, n);
}

static void on_start(struct builder *b, const yaml_event_t *ev, enum dla_ynode_kind kind)
{
	const yaml_char_t *tag = kind == DLA_YNODE_MAPPING ?
		ev->data.mapping_start.tag : ev->data.sequence_start.tag;
	const yaml_char_t *anchor = kind == DLA_YNODE_MAPPING ?
		ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
	struct frame *f;
	struct dla_ynode *n;

	if (b->depth >= DLA_YAML_MAX_DEPTH) {
		fail_at(b, DLA_ERR_INVALID, (int)ev->start_mark.line + 1,
			(int)ev->start_mark.column + 1,
			"nesting deeper than %d levels", DLA_YAML_MAX_DEPTH);
		return;
	}
	n = new_node(b, kind, &ev->start_mark, tag);
	if (!n)
		return;
	f = &b->frames[b->depth++];
	f->node = n;
	f->n = 0;
	f->anchor = arena_anchor(b, anchor);
}

static void on_end(struct builder *b)
{
	struct frame *f = &b->frames[b->depth - 1];
	struct dla_ynode *n = f->node;

	if (n->kind == DLA_YNODE_MAPPING)
		finish_mapping(b, f);
	else
		finish_sequence(b, f);
	b->depth--;
	if (b->rc != DLA_OK || !register_anchor(b, f->anchor, n))
		return;
	add_node(b, n);
}

static void on_alias(struct builder *b, const yaml_event_t *ev)
{
	const char *name = (const char *)ev->data.alias.anchor;
	int line = (int)ev->start_mark.line + 1, col = (int)ev->start_mark.column + 1;
	size_t v;
	struct dla_ynode *target;

	if (!dla_strmap_get(&b->anchors, name, &v)) {
		fail_at(b, DLA_ERR_INVALID, line, col, "undefined alias '%s'", name);
		return;
	}
	target = (struct dla_ynode *)(uintptr_t)v;
	b->alias_nodes += target->size;
	if (b->alias_nodes > DLA_YAML_MAX_ALIAS_NODES) {
		fail_at(b, DLA_ERR_INVALID, line, col,
			"alias expansion exceeds %u nodes (alias bomb?)",
			DLA_YAML_MAX_ALIAS_NODES);
		return;
	}
	add_node(b, target);
}

static void report_libyaml_error(struct builder *b, const yaml_parser_t *parser)
{
	int line, col;
	const char *problem = parser->problem ? parser->problem : "syntax error";

	if (parser->error == YAML_MEMORY_ERROR) {
		nomem(b);
		return;
	}
	if (parser->error == YAML_READER_ERROR) {
		position_of(b->text, b->len, parser->problem_offset, &line, &col);
		fail_at(b, DLA_ERR_INVALID, line, col, "invalid YAML: %s", problem);
		return;
	}
	line = (int)parser->problem_mark.line + 1;
	col = (int)parser->problem_mark.column + 1;
	if (strcmp(problem, "found character that cannot start any token") == 0 ||
	    strstr(problem, "tab character")) {
		size_t off = offset_of(b->text, b->len, line, col);
		if (off < b->len && b->text[off] == '\t') {
			fail_at(b, DLA_ERR_INVALID, line, col,
				"invalid YAML: tab character in indentation (use spaces)");
			return;
		}
	}
	if (parser->context && parser->context_mark.line != parser->problem_mark.line)
		fail_at(b, DLA_ERR_INVALID, line, col, "invalid YAML: %s (%s at line %d)",
			problem, parser->context, (int)parser->context_mark.line + 1);
	else
		fail_at(b, DLA_ERR_INVALID, line, col, "invalid YAML: %s", problem);
}

static void run_events(struct builder *b, yaml_parser_t *parser)
{
	yaml_event_t ev;
	bool done = false;

	while (!done && b->rc == DLA_OK) {
		if (!yaml_parser_parse(parser, &ev)) {
			report_libyaml_error(b, parser);
			return;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			b->root = NULL;
			dla_strmap_release(&b->anchors);   /* anchors are per document */
			break;
		case YAML_DOCUMENT_END_EVENT:
			if (b->root) {
				if (dla_grow((void **)&b->docs, &b->cap_docs, b->n_docs + 1,
					     sizeof(*b->docs)))
					nomem(b);
				else
					b->docs[b->n_docs++] = b->root;
			}
			break;
		case YAML_ALIAS_EVENT:
			on_alias(b, &ev);
			break;
		case YAML_SCALAR_EVENT:
			on_scalar(b, &ev);
			break;
		case YAML_SEQUENCE_START_EVENT:
			on_start(b, &ev, DLA_YNODE_SEQUENCE);
			break;
		case YAML_MAPPING_START_EVENT:
			on_start(b, &ev, DLA_YNODE_MAPPING);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			on_end(b);
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
}

enum dla_code dla_yaml_parse(struct dla_arena *arena, const char *file,
			     const char *text, size_t len,
			     struct dla_ydocs *out, struct dla_diags *diags)
{
	struct builder b;
	yaml_parser_t parser;
	size_t bad;
	int line, col;

	out->docs = NULL;
	out->n = 0;
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
		/* a UTF-8 byte order mark: libyaml does not count it either */
		text += 3;
		len -= 3;
	}
	if (len > DLA_YAML_MAX_BYTES) {
		dla_error_at(diags, file, 0, 0, "file is larger than 1 MiB");
		return DLA_ERR_INVALID;
	}
	if (!dla_utf8_check(text, len, &bad, &line, &col)) {
		if (text[bad] == '\0')
			dla_error_at(diags, file, line, col, "file contains a NUL byte");
		else
			dla_error_at(diags, file, line, col,
				     "file is not valid UTF-8 (byte 0x%02x)",
				     (unsigned char)text[bad]);
		return DLA_ERR_INVALID;
	}
	if (!prescan_depth(text, len, DLA_YAML_MAX_DEPTH, &line, &col)) {
		dla_error_at(diags, file, line, col, "nesting deeper than %d levels",
			     DLA_YAML_MAX_DEPTH);
		return DLA_ERR_INVALID;
	}

	memset(&b, 0, sizeof(b));
	b.arena = arena;
	b.file = file;
	b.text = text;
	b.len = len;
	b.diags = diags;
	dla_strmap_init(&b.anchors, false);
	if (!yaml_parser_initialize(&parser))
		return DLA_ERR_NOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);   /* checked above */
	run_events(&b, &parser);
	yaml_parser_delete(&parser);

	for (int i = 0; i < DLA_YAML_MAX_DEPTH; i++)
		dla_free(b.frames[i].kids);
	dla_strmap_release(&b.anchors);
	if (b.rc == DLA_OK && b.n_docs) {
		out->docs = dla_arena_calloc(arena, b.n_docs, sizeof(*out->docs));
		if (!out->docs)
			b.rc = DLA_ERR_NOMEM;
		else {
			memcpy(out->docs, b.docs, b.n_docs * sizeof(*out->docs));
			out->n = b.n_docs;
		}
	}
	dla_free(b.docs);
	if (b.rc == DLA_ERR_NOMEM)
		diags->nomem = true;
	return b.rc;
}

/* ---- accessors ----------------------------------------------------------- */

bool dla_ynode_is_null(const struct dla_ynode *node)
{
	if (!node || node->kind != DLA_YNODE_SCALAR)
		return false;
	if (node->tag)
		return strcmp(node->tag, "tag:yaml.org,2002:null") == 0;
	if (node->style != DLA_YSTYLE_PLAIN)
		return false;
	return node->len == 0 || strcmp(node->value, "~") == 0 ||
	       strcmp(node->value, "null") == 0 || strcmp(node->value, "Null") == 0 ||
	       strcmp(node->value, "NULL") == 0;
}

struct dla_ynode *dla_ynode_get(const struct dla_ynode *map, const char *key)
{
	if (!map || map->kind != DLA_YNODE_MAPPING)
		return NULL;
	for (size_t i = 0; i < map->n_pairs; i++) {
		const struct dla_ynode *k = map->pairs[i].key;
		if (k->kind == DLA_YNODE_SCALAR && strcmp(k->value, key) == 0)
			return map->pairs[i].value;
	}
	return NULL;
}

/* ---- files --------------------------------------------------------------- */

static void report_too_large(const char *relpath, size_t max_bytes, struct dla_diags *diags)
{
	if (max_bytes % (1024u * 1024u) == 0)
		dla_error_at(diags, relpath, 0, 0, "file is larger than %zu MiB",
			     max_bytes / (1024u * 1024u));
	else
		dla_error_at(diags, relpath, 0, 0, "file is larger than %zu bytes", max_bytes);
}

enum dla_code dla_text_file_read(const char *dir, const char *relpath,
				 size_t max_bytes, char **text, size_t *len,
				 int *err, struct dla_diags *diags)
{
	char *path, *data = NULL;
	size_t n = 0, cap;
	struct stat st;
	int fd;
	enum dla_code rc;

	*text = NULL;
	*len = 0;
	*err = 0;
	if (dir) {
		size_t dl = strlen(dir), rl = strlen(relpath);
		path = dla_malloc(dl + rl + 2);
		if (!path)
			return DLA_ERR_NOMEM;
		memcpy(path, dir, dl);
		path[dl] = '/';
		memcpy(path + dl + 1, relpath, rl + 1);
	} else {
		path = dla_strdup(relpath);
		if (!path)
			return DLA_ERR_NOMEM;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	dla_free(path);
	if (fd < 0) {
		*err = errno;
		return DLA_ERR_IO;
	}
	if (fstat(fd, &st) != 0) {
		*err = errno;
		close(fd);
		return DLA_ERR_IO;
	}
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		*err = EISDIR;
		return DLA_ERR_IO;
	}
	if (S_ISREG(st.st_mode) && (unsigned long long)st.st_size > max_bytes)
		goto too_large;
	cap = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : 4096;
	if (cap > max_bytes + 1)
		cap = max_bytes + 1;
	data = dla_malloc(cap + 1);
	if (!data) {
		close(fd);
		return DLA_ERR_NOMEM;
	}
	for (;;) {
		ssize_t r;
		if (n == cap) {
			size_t ncap;
			char *grown;
			if (n > max_bytes)
				break;
			ncap = cap * 2 > max_bytes + 1 ? max_bytes + 1 : cap * 2;
			grown = dla_realloc(data, ncap + 1);
			if (!grown) {
				dla_free(data);
				close(fd);
				return DLA_ERR_NOMEM;
			}
			data = grown;
			cap = ncap;
		}
		r = read(fd, data + n, cap - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			*err = errno;
			dla_free(data);
			close(fd);
			return DLA_ERR_IO;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	data[n] = '\0';
	rc = dla_text_check(relpath, data, n, max_bytes, diags);
	if (rc != DLA_OK) {
		dla_free(data);
		return rc;
	}
	*text = data;
	*len = n;
	return DLA_OK;

too_large:
	close(fd);
	report_too_large(relpath, max_bytes, diags);
	return DLA_ERR_INVALID;
}

enum dla_code dla_text_check(const char *relpath, const char *text, size_t len,
			     size_t max_bytes, struct dla_diags *diags)
{
	size_t bad;
	int line, col;

	if (len > max_bytes) {
		report_too_large(relpath, max_bytes, diags);
		return DLA_ERR_INVALID;
	}
	if (!dla_utf8_check(text, len, &bad, &line, &col)) {
		if (text[bad] == '\0')
			dla_error_at(diags, relpath, line, col, "file contains a NUL byte");
		else
			dla_error_at(diags, relpath, line, col,
				     "file is not valid UTF-8 (byte 0x%02x)",
				     (unsigned char)text[bad]);
		return DLA_ERR_INVALID;
	}
	return DLA_OK;
}
