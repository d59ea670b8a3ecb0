/*
 * view_scan.c - finds the relations a view's SELECT reads: a tokenizer
 * (comments, string literals, dollar quotes, quoted identifiers) and a
 * reference extractor, a small state machine per parenthesis level over the
 * token stream.  Linear in the size of the text.
 */
#include "view_scan.h"
#include "alloc.h"
#include "regex.h"
#include "strmap.h"

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* ---- tokens ----------------------------------------------------------- */

enum tok_type {
	T_WORD,      /* unquoted identifier or keyword */
	T_QIDENT,    /* "quoted" or `quoted` identifier (quotes included) */
	T_STRING,    /* any string literal */
	T_NUMBER,
	T_LPAREN, T_RPAREN, T_COMMA, T_DOT, T_SEMI,
	T_OTHER      /* operators, parameters, anything else */
};

struct token {
	size_t start, end;     /* byte range in the text */
	unsigned char type;    /* enum tok_type */
	unsigned char kw;      /* enum keyword for T_WORD, else KW_NONE */
};

/* Keywords the extractor cares about.  A word right after '.' is never a
 * keyword (t.order is a column). */
enum keyword {
	KW_NONE,
	KW_ANTI, KW_APPLY, KW_AS, KW_ASOF, KW_CROSS, KW_DISTINCT, KW_EXCEPT,
	KW_FETCH, KW_FIRST, KW_FOR, KW_FROM, KW_FULL, KW_GROUP, KW_HAVING,
	KW_IGNORE, KW_INNER, KW_INTERSECT, KW_INTO, KW_JOIN, KW_LAST,
	KW_LATERAL, KW_LEFT, KW_LIMIT, KW_MATCH_RECOGNIZE, KW_MATERIALIZED,
	KW_MINUS, KW_NATURAL, KW_NOT, KW_OFFSET, KW_ON, KW_ONLY, KW_ORDER,
	KW_OUTER, KW_OVER, KW_PIVOT, KW_POSITIONAL, KW_QUALIFY, KW_RECURSIVE,
	KW_RESPECT, KW_RETURNING, KW_RIGHT, KW_ROWS, KW_SAMPLE, KW_SELECT, KW_SEMI,
	KW_STRAIGHT_JOIN, KW_TABLESAMPLE, KW_UNION, KW_UNPIVOT, KW_USING,
	KW_VALUES, KW_WHERE, KW_WINDOW, KW_WITH,
	KW_COUNT_
};

/* Keyword properties. */
#define F_NOALIAS 1u   /* after a relation: not its alias */
#define F_NOTNAME 2u   /* cannot start a relation name after FROM/JOIN */
#define F_ENDFROM 4u   /* ends the FROM clause of its query level */

static const struct {
	const char *word;
	unsigned char kw;
	unsigned char flags;
} keywords[] = {
	{ "anti", KW_ANTI, F_NOALIAS | F_NOTNAME },
	{ "apply", KW_APPLY, F_NOALIAS | F_NOTNAME },
	{ "as", KW_AS, F_NOALIAS | F_NOTNAME },
	{ "asof", KW_ASOF, F_NOALIAS | F_NOTNAME },
	{ "cross", KW_CROSS, F_NOALIAS | F_NOTNAME },
	{ "distinct", KW_DISTINCT, F_NOALIAS | F_NOTNAME },
	{ "except", KW_EXCEPT, F_NOALIAS | F_NOTNAME | F_ENDFROM },
	{ "fetch", KW_FETCH, F_NOALIAS | F_NOTNAME | F_ENDFROM },
	{ "first", KW_FIRST, 0 },
	{ "for", KW_FOR, F_NOALIAS | F_NOTNAME | F_ENDFROM },
	{ "from", KW_FROM, F_NOALIAS | F_NOTNAME },
	{ "full", KW_FULL, F_NOALIAS | F_NOTNAME },
	{ "group", KW_GROUP, F_NOALIAS | F_NOTNAME | F_ENDFROM },
	{ "having", KW_HAVING, F_NOALIAS | F_NOTNAME | F_ENDFROM },
	{ "ignore", KW_IGNORE, 0 },
	{ "inner", KW_INNER, F_NOALIAS | F_NOTNAME },
	{ "intersect", KW_INTERSECT, F_NOALIAS | F_NOTNAME | F_ENDFROM },
	{ "into", KW_INTO, F_NOALIAS | F_NOTNAME | F_ENDFROM },
	{ "join", KW_JOIN, F_NOALIAS | F_NOTNAME },
	{ "last", KW_LAST, 0 },
	{ "lateral", KW_LATERAL, F_NOALIAS },
	{ "left", KW_LEFT, F_NOALIAS | F_NOTNAME },
	{ "limit", KW_LIMIT, F_NOALIAS | F_NOTNAME | F_ENDFROM },
	{ "match_recognize", KW_MATCH_RECOGNIZE, F_NOALIAS },
	{ "materialized", KW_MATERIALIZED, 0 },
	{ "minus", KW_MINUS, F_NOALIAS | F_NOTNAME | F_ENDFROM },
	{ "natural", KW_NATURAL, F_NOALIAS | F_NOTNAME },
	{ "not", KW_NOT, F_NOALIAS | F_NOTNAME },
	{ "offset", KW_OFFSET, F_NOALIAS | F_NOTNAME | F_ENDFROM },
	{ "on", KW_ON, F_NOALIAS | F_NOTNAME },
	{ "only", KW_ONLY, 0 },
	{ "order", KW_ORDER, F_NOALIAS | F_NOTNAME | F_ENDFROM },
	{ "outer", KW_OUTER, F_NOALIAS | F_NOTNAME },
	{ "over", KW_OVER, 0 },
	{ "pivot", KW_PIVOT, F_NOALIAS },
	{ "positional", KW_POSITIONAL, F_NOALIAS | F_NOTNAME },
	{ "qualify", KW_QUALIFY, F_NOALIAS | F_NOTNAME | F_ENDFROM },
	{ "recursive", KW_RECURSIVE, 0 },
	{ "respect", KW_RESPECT, 0 },
	{ "returning", KW_RETURNING, F_NOALIAS | F_NOTNAME | F_ENDFROM },
	{ "right", KW_RIGHT, F_NOALIAS | F_NOTNAME },
	{ "rows", KW_ROWS, 0 },
	{ "sample", KW_SAMPLE, F_NOALIAS },
	{ "select", KW_SELECT, F_NOALIAS | F_NOTNAME | F_ENDFROM },
	{ "semi", KW_SEMI, F_NOALIAS | F_NOTNAME },
	{ "straight_join", KW_STRAIGHT_JOIN, F_NOALIAS | F_NOTNAME },
	{ "tablesample", KW_TABLESAMPLE, F_NOALIAS },
	{ "union", KW_UNION, F_NOALIAS | F_NOTNAME | F_ENDFROM },
	{ "unpivot", KW_UNPIVOT, F_NOALIAS },
	{ "using", KW_USING, F_NOALIAS | F_NOTNAME },
	{ "values", KW_VALUES, F_NOALIAS | F_NOTNAME | F_ENDFROM },
	{ "where", KW_WHERE, F_NOALIAS | F_NOTNAME | F_ENDFROM },
	{ "window", KW_WINDOW, F_NOALIAS | F_NOTNAME | F_ENDFROM },
	{ "with", KW_WITH, F_NOALIAS | F_NOTNAME },
};

#define N_KEYWORDS (sizeof(keywords) / sizeof(keywords[0]))
#define KW_MAXLEN 15
#define KW_SLOTS 256   /* power of two, well above 2 * N_KEYWORDS */

static unsigned char kw_flags[KW_COUNT_];
static unsigned char kw_slot[KW_SLOTS];   /* index + 1 into keywords[], 0 = empty */
static pthread_once_t kw_once = PTHREAD_ONCE_INIT;

static unsigned kw_hash(const unsigned char *w, size_t n)
{
	unsigned h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ w[i]) * 16777619u;
	return h;
}

static void kw_init(void)
{
	for (size_t i = 0; i < N_KEYWORDS; i++) {
		const char *w = keywords[i].word;
		unsigned h = kw_hash((const unsigned char *)w, strlen(w));

		while (kw_slot[h & (KW_SLOTS - 1)])
			h++;
		kw_slot[h & (KW_SLOTS - 1)] = (unsigned char)(i + 1);
		kw_flags[keywords[i].kw] = keywords[i].flags;
	}
}

/* The keyword spelled by w[0..n) in any case, or KW_NONE. */
static unsigned char kw_lookup(const char *w, size_t n)
{
	unsigned char low[KW_MAXLEN];
	unsigned h;

	if (n < 2 || n > KW_MAXLEN)
		return KW_NONE;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)w[i];
		low[i] = (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
	}
	h = kw_hash(low, n);
	for (;;) {
		unsigned char slot = kw_slot[h & (KW_SLOTS - 1)];
		const char *k;

		if (!slot)
			return KW_NONE;
		k = keywords[slot - 1].word;
		if (strlen(k) == n && memcmp(k, low, n) == 0)
			return keywords[slot - 1].kw;
		h++;
	}
}

/* ---- patterns for the rare non-ASCII cases ---------------------------- */

/*
 * pcre2 classifies what ASCII tables cannot: the extent of an unquoted
 * identifier holding non-ASCII letters, and a $tag$ dollar-quote opener
 * (whose tag follows identifier rules).  ASCII text never reaches these, so
 * the hot path stays a byte loop.  Compiled on first need and kept for the
 * life of the process; a failed compile (no memory) is retried next time.
 */
enum { RE_WORD_START, RE_WORD_CONT, RE_DOLLAR, RE_COUNT_ };

static const char *const re_patterns[RE_COUNT_] = {
	[RE_WORD_START] = "\\G[\\p{L}_][\\p{L}\\p{M}\\p{N}_$]*",
	[RE_WORD_CONT]  = "\\G[\\p{L}\\p{M}\\p{N}_$]+",
	[RE_DOLLAR]     = "\\G\\$(?:[\\p{L}_][\\p{L}\\p{M}\\p{N}_]*)?\\$",
};

static struct dla_regex *re_compiled[RE_COUNT_];
static atomic_int re_ready;
static pthread_mutex_t re_lock = PTHREAD_MUTEX_INITIALIZER;

static bool re_init(void)
{
	bool ok = true;

	if (atomic_load_explicit(&re_ready, memory_order_acquire))
		return true;
	pthread_mutex_lock(&re_lock);
	for (int i = 0; i < RE_COUNT_; i++) {
		if (!re_compiled[i])
			re_compiled[i] = dla_regex_compile(re_patterns[i], 0, NULL, 0);
		if (!re_compiled[i])
			ok = false;
	}
	if (ok)
		atomic_store_explicit(&re_ready, 1, memory_order_release);
	pthread_mutex_unlock(&re_lock);
	return ok;
}

/* ---- tokenizer -------------------------------------------------------- */

enum { C_SPACE = 1, C_START = 2, C_CONT = 4, C_DIGIT = 8 };

static unsigned char cclass[256];
static pthread_once_t cclass_once = PTHREAD_ONCE_INIT;

static void cclass_init(void)
{
	for (int c = 0; c < 256; c++) {
		unsigned char k = 0;
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v')
			k |= C_SPACE;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')
			k |= C_START | C_CONT;
		if (c >= '0' && c <= '9')
			k |= C_DIGIT | C_CONT;
		if (c == '$')
			k |= C_CONT;
		cclass[c] = k;
	}
}

struct lexer {
	const char *s;
	size_t len;
	bool lenient;          /* backslash escapes in '...', flat comments */
	struct token *toks;
	size_t n, cap;
	/* the first problem (when a function returns LEX_INVALID) */
	size_t err_off;
	char err_msg[160];
};

enum { LEX_OK = 0, LEX_NOMEM = 1, LEX_INVALID = 2 };

static int lex_fail(struct lexer *lx, size_t off, const char *msg)
{
	lx->err_off = off;
	snprintf(lx->err_msg, sizeof(lx->err_msg), "%s", msg);
	return LEX_INVALID;
}

static int push_tok(struct lexer *lx, unsigned char type, size_t start, size_t end)
{
	struct token *t;

	if (lx->n == lx->cap &&
	    dla_grow((void **)&lx->toks, &lx->cap, lx->n + 1, sizeof(*lx->toks)))
		return LEX_NOMEM;
	t = &lx->toks[lx->n++];
	t->start = start;
	t->end = end;
	t->type = type;
	t->kw = KW_NONE;
	return LEX_OK;
}

/* '...' from pos (the quote); backslash escapes when backslash is set. */
static int lex_string(struct lexer *lx, size_t pos, size_t tok_start,
		      bool backslash, size_t *end)
{
	const char *s = lx->s;
	size_t p = pos + 1;

	for (;;) {
		if (backslash) {
			while (p < lx->len && s[p] != '\'') {
				if (s[p] == '\\')
					p++;
				p++;
			}
			if (p >= lx->len)
				break;
		} else {
			const char *q = memchr(s + p, '\'', lx->len - p);
			if (!q)
				break;
			p = (size_t)(q - s);
		}
		/* s[p] is a quote: '' is an escaped quote */
		if (p + 1 < lx->len && s[p + 1] == '\'') {
			p += 2;
			continue;
		}
		*end = p + 1;
		return push_tok(lx, T_STRING, tok_start, *end);
	}
	return lex_fail(lx, pos, "unterminated string literal");
}

/* "..." or `...` with the quote doubled inside. */
static int lex_qident(struct lexer *lx, size_t pos, size_t *end)
{
	const char *s = lx->s;
	char quote = s[pos];
	size_t p = pos + 1;

	for (;;) {
		const char *q = memchr(s + p, quote, lx->len - p);
		if (!q)
			return lex_fail(lx, pos, "unterminated quoted identifier");
		p = (size_t)(q - s);
		if (p + 1 < lx->len && s[p + 1] == quote) {
			p += 2;
			continue;
		}
		*end = p + 1;
		return push_tok(lx, T_QIDENT, pos, *end);
	}
}

/* Block comment from pos ("/" "*"): nested unless lenient. */
static int lex_block_comment(struct lexer *lx, size_t pos, size_t *end)
{
	const char *s = lx->s;
	size_t p = pos + 2, depth = 1;

	while (p + 1 < lx->len) {
		if (s[p] == '*' && s[p + 1] == '/') {
			p += 2;
			if (--depth == 0) {
				*end = p;
				return LEX_OK;
			}
		} else if (s[p] == '/' && s[p + 1] == '*' && !lx->lenient) {
			p += 2;
			depth++;
		} else {
			p++;
		}
	}
	return lex_fail(lx, pos, "unterminated comment");
}

/* Matches pattern re at pos; returns its end, pos when it does not match,
 * or (size_t)-1 on an error (no memory). */
static size_t re_match_at(int re, const char *s, size_t len, size_t pos)
{
	struct dla_regex_match m;
	int rc;

	if (!re_init())
		return (size_t)-1;
	rc = dla_regex_search(re_compiled[re], s, len, pos, &m);
	if (rc < 0)
		return (size_t)-1;
	if (rc == 0 || m.start[0] != pos)
		return pos;
	return m.end[0];
}

/* The first occurrence of tag[0..n) (n >= 2, starting with '$') in
 * hay[0..len), or NULL.  (memmem is a GNU extension.) */
static const char *find_tag(const char *hay, size_t len, const char *tag, size_t n)
{
	const char *p = hay, *end = hay + len;

	while ((size_t)(end - p) >= n) {
		p = memchr(p, '$', (size_t)(end - p) - n + 1);
		if (!p)
			return NULL;
		if (memcmp(p, tag, n) == 0)
			return p;
		p++;
	}
	return NULL;
}

/* '$': a $tag$ ... $tag$ string, a $1 parameter or a lone '$'. */
static int lex_dollar(struct lexer *lx, size_t pos, size_t *end)
{
	const char *s = lx->s, *close;
	size_t p = pos + 1, tag_end;

	if (p < lx->len && (cclass[(unsigned char)s[p]] & C_DIGIT)) {
		while (p < lx->len && (cclass[(unsigned char)s[p]] & C_DIGIT))
			p++;
		*end = p;
		return push_tok(lx, T_OTHER, pos, p);
	}
	if (p < lx->len && s[p] == '$') {
		tag_end = p + 1;
	} else {
		tag_end = re_match_at(RE_DOLLAR, s, lx->len, pos);
		if (tag_end == (size_t)-1)
			return LEX_NOMEM;
		if (tag_end == pos) {   /* not an opener */
			*end = pos + 1;
			return push_tok(lx, T_OTHER, pos, pos + 1);
		}
	}
	close = find_tag(s + tag_end, lx->len - tag_end, s + pos, tag_end - pos);
	if (!close) {
		char msg[160];
		int tag_len = tag_end - pos > 64 ? 64 : (int)(tag_end - pos);
		snprintf(msg, sizeof(msg), "unterminated dollar-quoted string '%.*s'",
			 tag_len, s + pos);
		return lex_fail(lx, pos, msg);
	}
	*end = (size_t)(close - s) + (tag_end - pos);
	return push_tok(lx, T_STRING, pos, *end);
}

/* An unquoted word from pos; may contain non-ASCII letters. */
static int lex_word(struct lexer *lx, size_t pos, size_t *end)
{
	const char *s = lx->s;
	size_t p = pos;
	int rc;

	if ((unsigned char)s[p] >= 0x80) {
		size_t e = re_match_at(RE_WORD_START, s, lx->len, p);
		if (e == (size_t)-1)
			return LEX_NOMEM;
		if (e == p) {   /* not a letter: one UTF-8 sequence of junk */
			p++;
			while (p < lx->len && ((unsigned char)s[p] & 0xC0) == 0x80)
				p++;
			*end = p;
			return push_tok(lx, T_OTHER, pos, p);
		}
		p = e;
	}
	for (;;) {
		while (p < lx->len && (cclass[(unsigned char)s[p]] & C_CONT))
			p++;
		if (p < lx->len && (unsigned char)s[p] >= 0x80) {
			size_t e = re_match_at(RE_WORD_CONT, s, lx->len, p);
			if (e == (size_t)-1)
				return LEX_NOMEM;
			if (e > p) {
				p = e;
				continue;
			}
		}
		break;
	}
	/* E'...': a string with backslash escapes */
	if (p == pos + 1 && (s[pos] == 'E' || s[pos] == 'e') &&
	    p < lx->len && s[p] == '\'')
		return lex_string(lx, p, pos, true, end);
	*end = p;
	rc = push_tok(lx, T_WORD, pos, p);
	if (rc == LEX_OK && !(lx->n >= 2 && lx->toks[lx->n - 2].type == T_DOT))
		lx->toks[lx->n - 1].kw = kw_lookup(s + pos, p - pos);
	return rc;
}

static int lex_number(struct lexer *lx, size_t pos, size_t *end)
{
	const char *s = lx->s;
	size_t p = pos;

	while (p < lx->len && (cclass[(unsigned char)s[p]] & C_DIGIT))
		p++;
	if (p < lx->len && s[p] == '.') {
		p++;
		while (p < lx->len && (cclass[(unsigned char)s[p]] & C_DIGIT))
			p++;
	}
	if (p < lx->len && (s[p] == 'e' || s[p] == 'E')) {
		size_t q = p + 1;
		if (q < lx->len && (s[q] == '+' || s[q] == '-'))
			q++;
		if (q < lx->len && (cclass[(unsigned char)s[q]] & C_DIGIT))
			p = q;
	}
	/* 0x1F, 1_000, 10abc: glued characters belong to the number */
	while (p < lx->len && (cclass[(unsigned char)s[p]] & C_CONT))
		p++;
	*end = p;
	return push_tok(lx, T_NUMBER, pos, p);
}

static int lex_all(struct lexer *lx)
{
	const char *s = lx->s;
	size_t pos = 0, len = lx->len, end;
	int rc;

	while (pos < len) {
		unsigned char c = (unsigned char)s[pos];
		unsigned char next = pos + 1 < len ? (unsigned char)s[pos + 1] : 0;

		if (cclass[c] & C_SPACE) {
			pos++;
			continue;
		}
		end = pos + 1;
		switch (c) {
		case '-':
		case '/':
			if (next == c) {   /* -- or // (Snowflake) to end of line */
				const char *nl = memchr(s + pos, '\n', len - pos);
				pos = nl ? (size_t)(nl - s) + 1 : len;
				continue;
			}
			if (c == '/' && next == '*') {
				rc = lex_block_comment(lx, pos, &end);
				if (rc)
					return rc;
				pos = end;
				continue;
			}
			rc = push_tok(lx, T_OTHER, pos, end);
			break;
		case '\'':
			rc = lex_string(lx, pos, pos, lx->lenient, &end);
			break;
		case '"':
		case '`':
			rc = lex_qident(lx, pos, &end);
			break;
		case '$':
			rc = lex_dollar(lx, pos, &end);
			break;
		case '(':
			rc = push_tok(lx, T_LPAREN, pos, end);
			break;
		case ')':
			rc = push_tok(lx, T_RPAREN, pos, end);
			break;
		case ',':
			rc = push_tok(lx, T_COMMA, pos, end);
			break;
		case '.':
			rc = push_tok(lx, T_DOT, pos, end);
			break;
		case ';':
			rc = push_tok(lx, T_SEMI, pos, end);
			break;
		default:
			if (cclass[c] & C_DIGIT)
				rc = lex_number(lx, pos, &end);
			else if ((cclass[c] & C_START) || c >= 0x80)
				rc = lex_word(lx, pos, &end);
			else
				rc = push_tok(lx, T_OTHER, pos, end);
			break;
		}
		if (rc)
			return rc;
		pos = end;
	}
	return LEX_OK;
}

/* ---- positions -------------------------------------------------------- */

/* Offset -> line/col, counting newlines incrementally (offsets asked for
 * are nearly always increasing, so the whole scan stays linear). */
struct locator {
	const char *s;
	size_t off, line_start;
	int line;
};

static void locate(struct locator *l, size_t target, int *line, int *col)
{
	const char *p, *end;
	size_t c;

	if (target < l->off) {
		l->off = 0;
		l->line_start = 0;
		l->line = 1;
	}
	p = l->s + l->off;
	end = l->s + target;
	while (p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		if (l->line < INT_MAX)
			l->line++;
		p++;
		l->line_start = (size_t)(p - l->s);
	}
	l->off = target;
	c = target - l->line_start + 1;
	*line = l->line;
	*col = c > INT_MAX ? INT_MAX : (int)c;
}

/* ---- reference extraction --------------------------------------------- */

enum frame_kind {
	K_QUERY,   /* FROM and JOIN start relation lists here */
	K_EXPR     /* function arguments, lists: FROM means EXTRACT(.. FROM ..) */
};

enum frame_state {
	S_NONE,        /* nothing expected */
	S_REL,         /* after FROM, JOIN or a comma of a FROM list */
	S_AFTER_REL,   /* after a relation, subquery or table function */
	S_AS,          /* after AS: an alias */
	S_AFTER_ALIAS, /* after an alias: maybe a column list */
	S_VALUES,      /* FROM VALUES (...), (...) */
	S_CTE_NAME,    /* after WITH [RECURSIVE] or a CTE's closing ')' + ',' */
	S_CTE_COLS,    /* after a CTE name: (columns) or AS */
	S_CTE_AS,      /* after AS: [NOT] [MATERIALIZED] ( */
	S_CTE_NEXT     /* after a CTE body: ',' or the main query */
};

/* One parenthesis level (index 0: the statement itself). */
struct frame {
	unsigned char kind;     /* enum frame_kind */
	unsigned char state;    /* enum frame_state */
	bool in_from;           /* inside this level's FROM clause */
	bool fresh;             /* no token seen yet: the first one decides
				   whether this is a subquery */
};

/* A relation found: token indices of its first part, schema part (or
 * SIZE_MAX) and name part. */
struct raw_ref {
	size_t first, schema, name;
};

struct extractor {
	const char *sql;
	const struct token *t;
	size_t n;
	struct frame *frames;
	size_t depth, frames_cap;
	struct raw_ref *refs;
	size_t n_refs, refs_cap;
	size_t *ctes;            /* token index of each CTE name */
	size_t n_ctes, ctes_cap;
};

static int push_frame(struct extractor *x, enum frame_kind kind,
		      enum frame_state state, bool in_from)
{
	struct frame *f;

	if (dla_grow((void **)&x->frames, &x->frames_cap, x->depth + 2,
		     sizeof(*x->frames)))
		return -1;
	f = &x->frames[++x->depth];
	f->kind = (unsigned char)kind;
	f->state = (unsigned char)state;
	f->in_from = in_from;
	f->fresh = true;
	return 0;
}

static bool is_word(const struct extractor *x, size_t i, enum keyword kw)
{
	return i < x->n && x->t[i].type == T_WORD && x->t[i].kw == kw;
}

static bool is_type(const struct extractor *x, size_t i, enum tok_type type)
{
	return i < x->n && x->t[i].type == type;
}

static bool is_name(const struct token *t)
{
	return t->type == T_QIDENT ||
	       (t->type == T_WORD && !(kw_flags[t->kw] & F_NOTNAME));
}

/*
 * A relation name or table function starting at token i (S_REL).  Returns
 * the index of the last token consumed; pushes the argument frame of a
 * function.
 */
static int take_relation(struct extractor *x, size_t *ip)
{
	size_t i = *ip, last = i, prev = SIZE_MAX;

	while (is_type(x, last + 1, T_DOT) && last + 2 < x->n &&
	       (x->t[last + 2].type == T_WORD || x->t[last + 2].type == T_QIDENT)) {
		prev = last;
		last += 2;
	}
	x->frames[x->depth].state = S_AFTER_REL;
	if (is_type(x, last + 1, T_LPAREN)) {   /* generate_series(...) */
		*ip = last + 1;
		return push_frame(x, K_EXPR, S_NONE, false);
	}
	if (x->n_refs == x->refs_cap &&
	    dla_grow((void **)&x->refs, &x->refs_cap, x->n_refs + 1, sizeof(*x->refs)))
		return -1;
	x->refs[x->n_refs].first = i;
	x->refs[x->n_refs].schema = prev;
	x->refs[x->n_refs].name = last;
	x->n_refs++;
	*ip = last;
	return 0;
}

/* FROM that does not start a relation list: IS [NOT] DISTINCT FROM, and
 * NTH_VALUE(...) FROM FIRST|LAST OVER (...). */
static bool from_is_operator(const struct extractor *x, size_t i)
{
	if (i > 0 && is_word(x, i - 1, KW_DISTINCT))
		return true;
	return (is_word(x, i + 1, KW_FIRST) || is_word(x, i + 1, KW_LAST)) &&
	       (is_word(x, i + 2, KW_OVER) || is_word(x, i + 2, KW_IGNORE) ||
		is_word(x, i + 2, KW_RESPECT));
}

/* WITH starts a CTE list only where a query starts. */
static bool with_starts_query(const struct extractor *x, size_t i)
{
	return i == 0 || x->t[i - 1].type == T_LPAREN || x->t[i - 1].type == T_SEMI ||
	       is_word(x, i - 1, KW_AS);
}

static int add_cte(struct extractor *x, size_t i)
{
	if (x->n_ctes == x->ctes_cap &&
	    dla_grow((void **)&x->ctes, &x->ctes_cap, x->n_ctes + 1, sizeof(*x->ctes)))
		return -1;
	x->ctes[x->n_ctes++] = i;
	return 0;
}

/* Token i where nothing in particular is expected. */
static int step_general(struct extractor *x, size_t i)
{
	const struct token *t = &x->t[i];
	struct frame *f = &x->frames[x->depth];

	switch (t->type) {
	case T_LPAREN:
		return push_frame(x, K_EXPR, S_NONE, false);
	case T_COMMA:
		if (f->in_from && f->kind == K_QUERY)
			f->state = S_REL;
		return 0;
	case T_WORD:
		break;
	default:
		return 0;
	}
	if (t->kw == KW_NONE)
		return 0;
	if (f->kind == K_EXPR) {
		/* a SELECT anywhere makes this parenthesis a subquery:
		 * ((select ...) union select ...) */
		if (t->kw != KW_SELECT && t->kw != KW_UNION &&
		    t->kw != KW_INTERSECT && t->kw != KW_EXCEPT)
			return 0;
		f->kind = K_QUERY;
	}
	switch (t->kw) {
	case KW_FROM:
		if (!from_is_operator(x, i)) {
			f->in_from = true;
			f->state = S_REL;
		}
		break;
	case KW_JOIN:
	case KW_STRAIGHT_JOIN:
	case KW_APPLY:
		f->in_from = true;
		f->state = S_REL;
		break;
	case KW_WITH:
		if (with_starts_query(x, i))
			f->state = S_CTE_NAME;
		break;
	default:
		if (kw_flags[t->kw] & F_ENDFROM)
			f->in_from = false;
		break;
	}
	return 0;
}

/* Token *ip according to the state of the innermost level; may consume
 * more tokens (advancing *ip to the last one consumed). */
static int step(struct extractor *x, size_t *ip)
{
	size_t i = *ip;
	const struct token *t = &x->t[i];
	struct frame *f = &x->frames[x->depth];

	if (t->type == T_RPAREN) {
		if (x->depth > 0)
			x->depth--;
		return 0;
	}
	if (t->type == T_SEMI) {
		x->depth = 0;
		x->frames[0].state = S_NONE;
		x->frames[0].in_from = false;
		return 0;
	}
	if (f->fresh) {
		f->fresh = false;
		if (t->type == T_WORD && (t->kw == KW_SELECT || t->kw == KW_WITH ||
					  t->kw == KW_VALUES)) {
			f->kind = K_QUERY;
			f->state = S_NONE;
			f->in_from = false;
		}
	}

	switch ((enum frame_state)f->state) {
	case S_NONE:
		break;
	case S_REL:
		if (t->type == T_LPAREN) {   /* (subquery) or (a JOIN b) */
			f->state = S_AFTER_REL;
			return push_frame(x, K_QUERY, S_REL, true);
		}
		if (is_word(x, i, KW_LATERAL) || is_word(x, i, KW_ONLY))
			return 0;
		if (is_word(x, i, KW_VALUES)) {
			f->state = S_VALUES;
			return 0;
		}
		if (is_word(x, i, KW_ROWS) && is_word(x, i + 1, KW_FROM) &&
		    is_type(x, i + 2, T_LPAREN)) {   /* ROWS FROM (f(), g()) */
			f->state = S_AFTER_REL;
			*ip = i + 2;
			return push_frame(x, K_EXPR, S_NONE, false);
		}
		if (is_name(t))
			return take_relation(x, ip);
		f->state = S_NONE;
		break;
	case S_AFTER_REL:
		if (is_word(x, i, KW_AS)) {
			f->state = S_AS;
			return 0;
		}
		if (t->type == T_QIDENT ||
		    (t->type == T_WORD && !(kw_flags[t->kw] & F_NOALIAS))) {
			f->state = S_AFTER_ALIAS;
			return 0;
		}
		f->state = S_NONE;
		break;
	case S_AS:
		if (t->type == T_WORD || t->type == T_QIDENT) {
			f->state = S_AFTER_ALIAS;
			return 0;
		}
		f->state = S_NONE;
		break;
	case S_AFTER_ALIAS:
		f->state = S_NONE;
		if (t->type == T_LPAREN)   /* AS x(a, b) */
			return push_frame(x, K_EXPR, S_NONE, false);
		break;
	case S_VALUES:
		if (t->type == T_LPAREN)
			return push_frame(x, K_EXPR, S_NONE, false);
		if (t->type == T_COMMA)
			return 0;
		f->state = S_AFTER_REL;
		return step(x, ip);
	case S_CTE_NAME:
		if (is_word(x, i, KW_RECURSIVE))
			return 0;
		if (is_name(t)) {
			f->state = S_CTE_COLS;
			return add_cte(x, i);
		}
		f->state = S_NONE;
		break;
	case S_CTE_COLS:
		if (t->type == T_LPAREN)
			return push_frame(x, K_EXPR, S_NONE, false);
		if (is_word(x, i, KW_AS)) {
			f->state = S_CTE_AS;
			return 0;
		}
		f->state = S_NONE;
		break;
	case S_CTE_AS:
		if (is_word(x, i, KW_NOT) || is_word(x, i, KW_MATERIALIZED))
			return 0;
		if (t->type == T_LPAREN) {
			f->state = S_CTE_NEXT;
			return push_frame(x, K_QUERY, S_NONE, false);
		}
		f->state = S_NONE;
		break;
	case S_CTE_NEXT:
		if (t->type == T_COMMA) {
			f->state = S_CTE_NAME;
			return 0;
		}
		f->state = S_NONE;
		break;
	}
	return step_general(x, i);
}

/* The value of a name token: quotes removed, doubled quotes collapsed. */
static char *token_value(struct dla_arena *a, const char *sql, const struct token *t)
{
	size_t len = t->end - t->start, o = 0;
	const char *s = sql + t->start;
	char quote, *out;

	if (t->type != T_QIDENT)
		return dla_arena_strndup(a, s, len);
	quote = s[0];
	out = dla_arena_alloc(a, len);
	if (!out)
		return NULL;
	for (size_t p = 1; p + 1 < len; p++) {
		out[o++] = s[p];
		if (s[p] == quote)
			p++;   /* the second of a doubled quote */
	}
	out[o] = '\0';
	return out;
}

static enum dla_code collect(struct extractor *x, struct dla_arena *arena,
			     struct dla_view_ref **refs_out, size_t *n_out)
{
	struct dla_strmap ctes;
	struct dla_view_ref *refs;
	struct locator loc = { x->sql, 0, 0, 1 };
	enum dla_code code = DLA_ERR_NOMEM;
	size_t n = 0;

	dla_strmap_init(&ctes, true);
	for (size_t i = 0; i < x->n_ctes; i++) {
		char *name = token_value(arena, x->sql, &x->t[x->ctes[i]]);
		if (!name || dla_strmap_put(&ctes, name, i) < 0)
			goto out;
	}
	refs = x->n_refs ? dla_arena_calloc(arena, x->n_refs, sizeof(*refs)) : NULL;
	if (x->n_refs && !refs)
		goto out;
	for (size_t i = 0; i < x->n_refs; i++) {
		const struct raw_ref *r = &x->refs[i];
		struct dla_view_ref *out = &refs[n];
		size_t ignored;

		out->name = token_value(arena, x->sql, &x->t[r->name]);
		if (!out->name)
			goto out;
		if (r->schema == SIZE_MAX) {
			if (ctes.n && dla_strmap_get(&ctes, out->name, &ignored))
				continue;   /* a CTE of this view */
			out->schema = NULL;
		} else {
			out->schema = token_value(arena, x->sql, &x->t[r->schema]);
			if (!out->schema)
				goto out;
		}
		locate(&loc, x->t[r->first].start, &out->line, &out->col);
		n++;
	}
	*refs_out = n ? refs : NULL;
	*n_out = n;
	code = DLA_OK;
out:
	dla_strmap_release(&ctes);
	return code;
}

/* ---- the entry point -------------------------------------------------- */

static enum dla_code invalid(struct dla_scan_error *err, const char *sql,
			     size_t off, const char *msg)
{
	struct locator loc = { sql, 0, 0, 1 };

	if (err) {
		locate(&loc, off, &err->line, &err->col);
		snprintf(err->message, sizeof(err->message), "%s", msg);
	}
	return DLA_ERR_INVALID;
}

enum dla_code dla_view_scan(struct dla_arena *arena, const char *sql, size_t len,
			    struct dla_view_ref **refs, size_t *n_refs,
			    struct dla_scan_error *err)
{
	struct lexer lx;
	struct extractor x;
	const char *nul;
	enum dla_code code;
	int rc;

	*refs = NULL;
	*n_refs = 0;
	if (err) {
		err->line = err->col = 0;
		err->message[0] = '\0';
	}
	if (!sql || !len)
		return DLA_OK;
	pthread_once(&kw_once, kw_init);
	pthread_once(&cclass_once, cclass_init);

	nul = memchr(sql, '\0', len);
	if (nul)
		return invalid(err, sql, (size_t)(nul - sql), "NUL byte in view text");

	memset(&lx, 0, sizeof(lx));
	lx.s = sql;
	lx.len = len;
	if (dla_grow((void **)&lx.toks, &lx.cap, len / 6 + 16, sizeof(*lx.toks)))
		return DLA_ERR_NOMEM;
	rc = lex_all(&lx);
	if (rc == LEX_INVALID) {
		/* Snowflake and MySQL read 'it\'s' and do not nest comments:
		 * accept the text if it scans that way, else report the
		 * standard (PostgreSQL) reading's first problem. */
		struct lexer strict = lx;
		lx.lenient = true;
		lx.n = 0;
		rc = lex_all(&lx);
		if (rc == LEX_INVALID) {
			dla_free(lx.toks);
			return invalid(err, sql, strict.err_off, strict.err_msg);
		}
	}
	if (rc != LEX_OK) {
		dla_free(lx.toks);
		return DLA_ERR_NOMEM;
	}

	memset(&x, 0, sizeof(x));
	x.sql = sql;
	x.t = lx.toks;
	x.n = lx.n;
	code = DLA_ERR_NOMEM;
	if (dla_grow((void **)&x.frames, &x.frames_cap, 16, sizeof(*x.frames)))
		goto out;
	x.frames[0].kind = K_QUERY;
	x.frames[0].state = S_NONE;
	x.frames[0].in_from = false;
	x.frames[0].fresh = false;
	for (size_t i = 0; i < x.n; i++)
		if (step(&x, &i))
			goto out;
	code = collect(&x, arena, refs, n_refs);
out:
	dla_free(x.frames);
	dla_free(x.refs);
	dla_free(x.ctes);
	dla_free(lx.toks);
	return code;
}
