/*
 * project_value.c - typed reading of YAML values for the project loader
 * (strings, identifiers, booleans, integers, durations, enums, name lists,
 * keys with "did you mean"), ${VAR} expansion and duration parsing.
 * Exports dla_expand_env, dla_parse_duration, dla_scd_type_valid.
 */
#include "project_internal.h"
#include "alloc.h"
#include "buf.h"
#include "regex.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- diagnostics --------------------------------------------------------- */

struct dla_loc ld_loc(struct dla_loader *L, const struct dla_ynode *n)
{
	struct dla_loc loc = { L->file, 0, 0 };

	if (n) {
		loc.line = n->line;
		loc.col = n->col;
	}
	return loc;
}

void ld_error(struct dla_loader *L, const struct dla_ynode *at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	dla_diag_vadd(L->diags, DLA_SEV_ERROR, L->file, at ? at->line : 0,
		      at ? at->col : 0, fmt, ap);
	va_end(ap);
}

void ld_warn(struct dla_loader *L, const struct dla_ynode *at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	dla_diag_vadd(L->diags, DLA_SEV_WARNING, L->file, at ? at->line : 0,
		      at ? at->col : 0, fmt, ap);
	va_end(ap);
}

void ld_error_loc(struct dla_loader *L, struct dla_loc loc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	dla_diag_vadd(L->diags, DLA_SEV_ERROR, loc.file, loc.line, loc.col, fmt, ap);
	va_end(ap);
}

char *ld_strdup(struct dla_loader *L, const char *s)
{
	char *copy = dla_arena_strdup(L->arena, s);

	if (!copy)
		L->nomem = true;
	return copy;
}

/* ---- scalar getters ------------------------------------------------------ */

static int scalar_text(struct dla_loader *L, const char *key,
		       const struct dla_ynode *n, const char *what)
{
	if (!n || dla_ynode_is_null(n))
		return 0;
	if (n->flags & LD_FLAG_BAD)
		return -1;
	if (n->kind != DLA_YNODE_SCALAR) {
		ld_error(L, n, "'%s' must be %s", key, what);
		return -1;
	}
	return 1;
}

int ld_string(struct dla_loader *L, const char *key, const struct dla_ynode *n,
	      const char **out)
{
	int rc = scalar_text(L, key, n, "a string");

	if (rc <= 0)
		return rc;
	*out = ld_strdup(L, n->value);
	return *out ? 1 : -1;
}

bool ld_check_ident(struct dla_loader *L, const struct dla_ynode *at, const char *name)
{
	if (dla_ident_valid(name))
		return true;
	if (strlen(name) > 128)
		ld_error(L, at, "invalid identifier '%s' (longer than 128 characters)", name);
	else
		ld_error(L, at, "invalid identifier '%s' (use letters, digits and _; "
			 "start with a letter or _)", name);
	return false;
}

int ld_ident(struct dla_loader *L, const char *key, const struct dla_ynode *n,
	     const char **out)
{
	int rc = scalar_text(L, key, n, "a string");

	if (rc <= 0)
		return rc;
	if (!ld_check_ident(L, n, n->value))
		return -1;
	*out = ld_strdup(L, n->value);
	return *out ? 1 : -1;
}

static bool nodename_valid(const char *s)
{
	const char *dot = strchr(s, '.');
	char part[200];
	size_t len;

	if (!dot)
		return dla_ident_valid(s);
	len = (size_t)(dot - s);
	if (len >= sizeof(part) || strchr(dot + 1, '.'))
		return false;
	memcpy(part, s, len);
	part[len] = '\0';
	return dla_ident_valid(part) && dla_ident_valid(dot + 1);
}

int ld_nodename(struct dla_loader *L, const char *key, const struct dla_ynode *n,
		const char **out)
{
	int rc = scalar_text(L, key, n, "a string");

	if (rc <= 0)
		return rc;
	if (!nodename_valid(n->value)) {
		ld_error(L, n, "invalid name '%s' (use name or schema.name with letters, "
			 "digits and _)", n->value);
		return -1;
	}
	*out = ld_strdup(L, n->value);
	return *out ? 1 : -1;
}

int ld_bool(struct dla_loader *L, const char *key, const struct dla_ynode *n, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on" };
	static const char *const no[] = { "false", "no", "off" };
	int rc = scalar_text(L, key, n, "true or false");

	if (rc <= 0)
		return rc;
	for (size_t i = 0; i < 3; i++) {
		if (strcasecmp(n->value, yes[i]) == 0) {
			*out = true;
			return 1;
		}
		if (strcasecmp(n->value, no[i]) == 0) {
			*out = false;
			return 1;
		}
	}
	ld_error(L, n, "'%s' must be true or false", key);
	return -1;
}

static bool parse_long(const char *s, long *out)
{
	char *end;
	long v;

	if (!*s || isspace((unsigned char)*s))
		return false;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

int ld_long(struct dla_loader *L, const char *key, const struct dla_ynode *n,
	    long min, long max, long *out)
{
	int rc = scalar_text(L, key, n, "an integer");
	long v;

	if (rc <= 0)
		return rc;
	if (!parse_long(n->value, &v) || v < min || v > max) {
		ld_error(L, n, "'%s' must be an integer between %ld and %ld", key, min, max);
		return -1;
	}
	*out = v;
	return 1;
}

int ld_duration(struct dla_loader *L, const char *key, const struct dla_ynode *n,
		long *out)
{
	int rc = scalar_text(L, key, n, "a duration");

	if (rc <= 0)
		return rc;
	if (!dla_parse_duration(n->value, out)) {
		ld_error(L, n, "'%s' must be a duration like '30s', '90 min', '6h' or "
			 "'3 days'", key);
		return -1;
	}
	return 1;
}

int ld_enum(struct dla_loader *L, const char *noun, const struct dla_ynode *n,
	    const char *const *values, size_t n_values, int *out)
{
	int rc = scalar_text(L, noun, n, "a string");
	const char *near;
	struct dla_buf list = DLA_BUF_INIT;

	if (rc <= 0)
		return rc;
	for (size_t i = 0; i < n_values; i++) {
		if (strcmp(n->value, values[i]) == 0) {
			*out = (int)i;
			return 1;
		}
	}
	near = dla_closest_word(n->value, values, n_values);
	if (near) {
		ld_error(L, n, "unknown %s '%s' (did you mean '%s'?)", noun, n->value, near);
		return -1;
	}
	for (size_t i = 0; i < n_values; i++) {
		dla_buf_adds(&list, i ? ", " : "");
		dla_buf_adds(&list, values[i]);
	}
	ld_error(L, n, "unknown %s '%s' (expected one of %s)", noun, n->value, list.buf);
	dla_buf_release(&list);
	return -1;
}

/* ---- name lists ---------------------------------------------------------- */

static const char *names_noun(enum ld_names_kind kind)
{
	switch (kind) {
	case LD_COLUMNS: return "column";
	case LD_TAGS: return "tag";
	case LD_NODES: return "node";
	}
	return "name";
}

int ld_names(struct dla_loader *L, const char *key, const struct dla_ynode *n,
	     enum ld_names_kind kind, struct dla_names *out)
{
	const char *what = kind == LD_COLUMNS ? "column names" :
			   kind == LD_TAGS ? "tags" : "node names";
	struct dla_strmap seen;
	bool use_map, bad = false;
	size_t count = 0;

	memset(out, 0, sizeof(*out));
	if (!n || dla_ynode_is_null(n))
		return 0;
	if (n->flags & LD_FLAG_BAD)
		return -1;
	if (n->kind != DLA_YNODE_SEQUENCE) {
		ld_error(L, n, "'%s' must be a list of %s", key, what);
		return -1;
	}
	for (size_t i = 0; i < n->n_items; i++) {
		if (n->items[i]->kind != DLA_YNODE_SCALAR || dla_ynode_is_null(n->items[i])) {
			ld_error(L, n->items[i], "'%s' must be a list of %s", key, what);
			return -1;
		}
	}
	out->items = dla_arena_calloc(L->arena, n->n_items ? n->n_items : 1,
				      sizeof(*out->items));
	out->locs = dla_arena_calloc(L->arena, n->n_items ? n->n_items : 1,
				     sizeof(*out->locs));
	if (!out->items || !out->locs) {
		L->nomem = true;
		return -1;
	}
	use_map = n->n_items > 16;
	dla_strmap_init(&seen, true);
	for (size_t i = 0; i < n->n_items; i++) {
		const struct dla_ynode *item = n->items[i];
		const char *name = item->value;
		bool dup = false;

		if (item->flags & LD_FLAG_BAD) {
			bad = true;
			continue;
		}
		if (kind == LD_NODES ? !nodename_valid(name) : !dla_ident_valid(name)) {
			if (kind == LD_NODES)
				ld_error(L, item, "invalid name '%s' (use name or schema.name "
					 "with letters, digits and _)", name);
			else
				ld_check_ident(L, item, name);
			bad = true;
			continue;
		}
		if (use_map) {
			int rc = dla_strmap_put_new(&seen, name, i, NULL);
			if (rc < 0) {
				L->nomem = true;
				break;
			}
			dup = rc == 0;
		} else {
			for (size_t j = 0; j < count && !dup; j++)
				dup = strcasecmp(out->items[j], name) == 0;
		}
		if (dup) {
			ld_error(L, item, "%s '%s' listed twice in '%s'", names_noun(kind),
				 name, key);
			bad = true;
			continue;
		}
		out->items[count] = ld_strdup(L, name);
		out->locs[count] = ld_loc(L, item);
		if (!out->items[count])
			break;
		count++;
	}
	dla_strmap_release(&seen);
	out->n = count;
	if (L->nomem)
		return -1;
	return bad ? -1 : 1;
}

/* ---- keys ---------------------------------------------------------------- */

int ld_key(struct dla_loader *L, const struct dla_ynode *k,
	   const char *const *keys, size_t n_keys,
	   const char *const *extra, size_t n_extra, bool allow_ext)
{
	const char *cands[64];
	size_t n_cands = 0;
	const char *near;

	if (k->kind != DLA_YNODE_SCALAR) {
		ld_error(L, k, "invalid key (keys must be plain names)");
		return -1;
	}
	for (size_t i = 0; i < n_keys; i++)
		if (strcmp(k->value, keys[i]) == 0)
			return (int)i;
	for (size_t i = 0; i < n_extra; i++)
		if (strcmp(k->value, extra[i]) == 0)
			return (int)(n_keys + i);
	if (allow_ext && strncmp(k->value, "x-", 2) == 0)
		return -2;
	for (size_t i = 0; i < n_keys && n_cands < 64; i++)
		cands[n_cands++] = keys[i];
	for (size_t i = 0; i < n_extra && n_cands < 64; i++)
		cands[n_cands++] = extra[i];
	near = dla_closest_word(k->value, cands, n_cands);
	if (near)
		ld_error(L, k, "unknown key '%s' (did you mean '%s'?)", k->value, near);
	else
		ld_error(L, k, "unknown key '%s'", k->value);
	return -1;
}

bool ld_is_mapping(struct dla_loader *L, const char *key, const struct dla_ynode *n)
{
	if (!n || dla_ynode_is_null(n) || (n->flags & LD_FLAG_BAD))
		return false;
	if (n->kind != DLA_YNODE_MAPPING) {
		ld_error(L, n, "'%s' must be a mapping", key);
		return false;
	}
	return true;
}

/* ---- ${VAR} expansion ---------------------------------------------------- */

enum expand_status { EXP_OK, EXP_MISSING, EXP_SYNTAX, EXP_NOMEM };

struct expand {
	dla_env_lookup_fn lookup;
	void *ctx;
	const char *bad_name;      /* malloc'd name of the failing variable */
	size_t bad_len;
	size_t err_offset;
	const char *problem;       /* static text for EXP_SYNTAX */
	size_t base;               /* offset of the current text in the original */
};

static const char *env_get(struct expand *x, const char *name)
{
	return x->lookup ? x->lookup(name, x->ctx) : getenv(name);
}

/* End (index of the matching '}') of the reference whose "${" is at i, or
 * (size_t)-1. */
static size_t reference_end(const char *s, size_t len, size_t i)
{
	int depth = 0;

	for (size_t j = i; j < len; j++) {
		if (s[j] == '$' && j + 1 < len && s[j + 1] == '{') {
			depth++;
			j++;
		} else if (s[j] == '}') {
			if (--depth == 0)
				return j;
		}
	}
	return (size_t)-1;
}

static enum expand_status expand_into(struct expand *x, struct dla_buf *out,
				      const char *s, size_t len, size_t base, int level)
{
	size_t i = 0;

	if (level > 16) {
		x->problem = "environment variable defaults nested too deeply";
		x->err_offset = base;
		return EXP_SYNTAX;
	}
	while (i < len) {
		size_t end, name_len = 0;
		const char *value;
		char name[256];

		if (s[i] != '$') {
			dla_buf_addch(out, s[i++]);
			continue;
		}
		if (i + 1 < len && s[i + 1] == '$') {
			dla_buf_addch(out, '$');
			i += 2;
			continue;
		}
		if (i + 1 >= len || s[i + 1] != '{') {
			dla_buf_addch(out, s[i++]);
			continue;
		}
		x->err_offset = base + i;
		end = reference_end(s, len, i);
		if (end == (size_t)-1) {
			x->problem = "unterminated '${' (use ${NAME} or ${NAME:-default})";
			return EXP_SYNTAX;
		}
		while (i + 2 + name_len < end &&
		       (isalnum((unsigned char)s[i + 2 + name_len]) || s[i + 2 + name_len] == '_'))
			name_len++;
		if (name_len == 0 || isdigit((unsigned char)s[i + 2]) || name_len >= sizeof(name) ||
		    (i + 2 + name_len < end &&
		     (end - (i + 2 + name_len) < 2 || s[i + 2 + name_len] != ':' ||
		      s[i + 3 + name_len] != '-'))) {
			x->problem = "invalid environment variable reference "
				     "(use ${NAME} or ${NAME:-default})";
			return EXP_SYNTAX;
		}
		memcpy(name, s + i + 2, name_len);
		name[name_len] = '\0';
		value = env_get(x, name);
		if (i + 2 + name_len == end) {            /* ${NAME} */
			if (!value) {
				x->bad_name = dla_strdup(name);
				return x->bad_name ? EXP_MISSING : EXP_NOMEM;
			}
			dla_buf_adds(out, value);
		} else if (value && *value) {             /* ${NAME:-default}, set */
			dla_buf_adds(out, value);
		} else {                                  /* default */
			size_t d = i + 4 + name_len;
			enum expand_status st = expand_into(x, out, s + d, end - d,
							    base + d, level + 1);
			if (st != EXP_OK)
				return st;
		}
		i = end + 1;
	}
	return dla_buf_failed(out) ? EXP_NOMEM : EXP_OK;
}

static char *expand_common(struct dla_arena *a, const char *text,
			   dla_env_lookup_fn env_lookup, void *env_ctx,
			   struct expand *x, enum expand_status *st)
{
	struct dla_buf out = DLA_BUF_INIT;
	char *result = NULL;

	memset(x, 0, sizeof(*x));
	x->lookup = env_lookup;
	x->ctx = env_ctx;
	*st = expand_into(x, &out, text, strlen(text), 0, 0);
	if (*st == EXP_OK && dla_buf_failed(&out))
		*st = EXP_NOMEM;
	if (*st == EXP_OK) {
		result = dla_arena_strndup(a, out.buf, out.len);
		if (!result)
			*st = EXP_NOMEM;
	}
	dla_buf_release(&out);
	return result;
}

char *dla_expand_env(struct dla_arena *a, const char *text,
		     dla_env_lookup_fn env_lookup, void *env_ctx,
		     const char **missing, size_t *err_offset)
{
	struct expand x;
	enum expand_status st;
	char *result = expand_common(a, text, env_lookup, env_ctx, &x, &st);

	*missing = NULL;
	*err_offset = 0;
	if (st == EXP_OK)
		return result;
	*err_offset = x.err_offset;
	if (st == EXP_MISSING)
		*missing = dla_arena_strdup(a, x.bad_name);
	else if (st == EXP_SYNTAX)
		*missing = "";
	dla_free((void *)x.bad_name);
	return NULL;
}

char *ld_expand_env_msg(struct dla_arena *a, const char *text,
			dla_env_lookup_fn env_lookup, void *env_ctx,
			const char **message)
{
	struct expand x;
	enum expand_status st;
	char *result = expand_common(a, text, env_lookup, env_ctx, &x, &st);

	*message = NULL;
	if (st == EXP_MISSING)
		*message = dla_arena_printf(a, "undefined environment variable '%s'",
					    x.bad_name);
	else if (st == EXP_SYNTAX)
		*message = x.problem;
	dla_free((void *)x.bad_name);
	return result;
}

void ld_expand_tree(struct dla_loader *L, struct dla_ynode *n)
{
	if (!n || (n->flags & LD_FLAG_VISITED))
		return;
	n->flags |= LD_FLAG_VISITED;
	switch (n->kind) {
	case DLA_YNODE_MAPPING:
		for (size_t i = 0; i < n->n_pairs; i++)
			ld_expand_tree(L, n->pairs[i].value);
		break;
	case DLA_YNODE_SEQUENCE:
		for (size_t i = 0; i < n->n_items; i++)
			ld_expand_tree(L, n->items[i]);
		break;
	case DLA_YNODE_SCALAR: {
		const char *msg;
		char *v;
		if (!strchr(n->value, '$'))
			break;
		v = ld_expand_env_msg(L->arena, n->value, L->env, L->env_ctx, &msg);
		if (v) {
			n->value = v;
			n->len = strlen(v);
		} else if (msg) {
			ld_error(L, n, "%s", msg);
			n->flags |= LD_FLAG_BAD;
		} else {
			L->nomem = true;
			n->flags |= LD_FLAG_BAD;
		}
		break;
	}
	}
}

/* ---- durations ----------------------------------------------------------- */

struct unit {
	const char *name;
	long seconds;
};

static const struct unit units[] = {
	{ "s", 1 }, { "sec", 1 }, { "secs", 1 }, { "second", 1 }, { "seconds", 1 },
	{ "m", 60 }, { "min", 60 }, { "mins", 60 }, { "minute", 60 }, { "minutes", 60 },
	{ "h", 3600 }, { "hr", 3600 }, { "hrs", 3600 }, { "hour", 3600 }, { "hours", 3600 },
	{ "d", 86400 }, { "day", 86400 }, { "days", 86400 },
	{ "w", 604800 }, { "wk", 604800 }, { "week", 604800 }, { "weeks", 604800 },
};

bool dla_parse_duration(const char *text, long *seconds)
{
	const char *s = text;
	long total = 0;
	int parts = 0;

	if (!text)
		return false;
	for (;;) {
		long num = 0, mult = 0;
		const char *word;
		size_t wlen;

		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			break;
		if (!isdigit((unsigned char)*s))
			return false;
		while (isdigit((unsigned char)*s)) {
			int dgt = *s++ - '0';
			if (num > (LONG_MAX - dgt) / 10)
				return false;
			num = num * 10 + dgt;
		}
		while (*s == ' ' || *s == '\t')
			s++;
		word = s;
		while (isalpha((unsigned char)*s))
			s++;
		wlen = (size_t)(s - word);
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			if (strlen(units[i].name) == wlen &&
			    strncasecmp(units[i].name, word, wlen) == 0) {
				mult = units[i].seconds;
				break;
			}
		}
		if (!mult || num > (LONG_MAX - total) / mult)
			return false;
		total += num * mult;
		parts++;
		if (*s == ',')
			s++;
	}
	if (!parts)
		return false;
	*seconds = total;
	return true;
}

bool dla_scd_type_valid(long type)
{
	return type == 0 || type == 1 || type == 2 || type == 3 || type == 6;
}
