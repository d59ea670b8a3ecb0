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
	bool count_only;       /* count tokens in n, store none (toks NULL) */
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

	if (lx->count_only) {
		lx->n++;
		return LEX_OK;
	}
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
	if (rc == LEX_OK && !lx->count_only &&
	    !(lx->n >= 2 && lx->toks[lx->n - 2].type == T_DOT))
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

/* ---- blank views -------------------------------------------------------- */

bool dla_view_text_is_blank(const char *sql, size_t len)
{
	struct lexer lx;
	int rc;

	pthread_once(&kw_once, kw_init);
	pthread_once(&cclass_once, cclass_init);
	memset(&lx, 0, sizeof(lx));
	lx.s = sql;
	lx.len = len;
	lx.count_only = true;
	rc = lex_all(&lx);
	if (rc == LEX_INVALID) {   /* the reading dla_view_scan falls back to */
		lx.lenient = true;
		lx.n = 0;
		rc = lex_all(&lx);
	}
	return rc == LEX_OK && lx.n == 0;
}

/* ---- column lineage ----------------------------------------------------
 * dla_view_columns (view_scan.h): a second reader over the same tokens.
 * Everything intermediate lives in a scratch arena; the answer is copied
 * into the caller's arena at the end. */

const char *dla_column_lineage_name(enum dla_column_lineage lineage)
{
	switch (lineage) {
	case DLA_COLUMN_DIRECT: return "direct";
	case DLA_COLUMN_DERIVED: return "derived";
	case DLA_COLUMN_UNKNOWN: break;
	}
	return "unknown";
}

/* Words of expressions that are never column references (operators,
 * literals, type names, date parts, niladic functions).  Sorted. */
static const char *const expr_words[] = {
	"all", "and", "any", "array", "as", "asc", "at", "between", "bigint", "binary",
	"bit", "bool", "boolean", "both", "by", "bytea", "case", "cast", "char",
	"character", "collate", "current", "current_date", "current_time",
	"current_timestamp", "current_user", "date", "day", "dec", "decimal", "desc",
	"distinct", "double", "else", "end", "escape", "exists", "false", "filter",
	"first", "float", "following", "for", "from", "hour", "ilike", "in", "int",
	"integer", "interval", "is", "isnull", "json", "jsonb", "last", "leading",
	"like", "localtime", "localtimestamp", "minute", "month", "not", "notnull",
	"null", "nulls", "number", "numeric", "on", "or", "over", "partition",
	"preceding", "precision", "quarter", "range", "real", "rlike", "row", "rows",
	"second", "session_user", "similar", "smallint", "some", "string", "sysdate",
	"text", "then", "time", "timestamp", "timestamp_ltz", "timestamp_ntz",
	"timestamp_tz", "timestamptz", "tinyint", "to", "trailing", "true",
	"unbounded", "unknown", "user", "uuid", "varbinary", "varchar", "variant",
	"varying", "week", "when", "with", "within", "without", "year", "zone",
};

/* Words after which an operand must follow (so a word after them is not an
 * alias).  Sorted. */
static const char *const operand_words[] = {
	"and", "any", "as", "at", "between", "by", "case", "collate", "date",
	"distinct", "else", "escape", "exists", "filter", "from", "ilike", "in",
	"interval", "is", "like", "not", "on", "or", "over", "partition", "rlike",
	"similar", "some", "then", "time", "timestamp", "using", "when", "with",
	"within", "zone",
};

static bool word_in(const char *const *words, size_t n, const char *s, size_t len)
{
	char low[24];
	size_t lo = 0, hi = n;

	if (len == 0 || len >= sizeof(low))
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		low[i] = (char)((ch >= 'A' && ch <= 'Z') ? ch + 32 : ch);
	}
	low[len] = '\0';
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int cmp = strcmp(words[mid], low);
		if (cmp == 0)
			return true;
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

struct cl_src {
	const char *schema, *relation, *column;
};

struct cl_col {
	const char *name;
	enum dla_column_lineage lineage;
	struct cl_src *src;
	size_t n_src, cap_src;
	size_t tok;              /* first token of the select item */
};

struct cl_set {
	struct cl_col *cols;
	size_t n, cap;
	bool ok;                 /* the query was understood */
	bool complete;           /* every output resolved */
	bool unnamed;            /* some output has no name (NULL) */
};

enum { ITEM_REL, ITEM_QUERY, ITEM_UNKNOWN };

struct cl_item {
	int kind;
	const char *alias;       /* name it is referred to by */
	const char *schema, *name;   /* ITEM_REL */
	struct cl_set *set;      /* ITEM_QUERY */
};

struct cl_items {
	struct cl_item *v;
	size_t n, cap;
};

struct cl_cte {
	const char *name;
	size_t b, e;             /* body tokens */
	size_t cols_b, cols_e;   /* column list tokens, or equal */
	struct cl_set *set;
	int state;               /* 0 not read, 1 being read, 2 read */
};

struct cl_ctx {
	struct dla_arena *scratch;
	const char *sql;
	const struct token *t;
	size_t n;
	size_t *match;           /* partner of each parenthesis, SIZE_MAX if none */
	struct cl_cte *ctes;
	size_t n_ctes, cap_ctes;
	int depth;
	bool nomem;
};

#define CL_MAX_DEPTH 64

static void *cl_push(struct cl_ctx *c, void **arr, size_t *n, size_t *cap, size_t size)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;
		void *grown = dla_arena_calloc(c->scratch, ncap, size);
		if (!grown) {
			c->nomem = true;
			return NULL;
		}
		if (*n)
			memcpy(grown, *arr, *n * size);
		*arr = grown;
		*cap = ncap;
	}
	return (char *)*arr + (*n)++ * size;
}

static bool cl_is(const struct cl_ctx *c, size_t i, enum tok_type type)
{
	return i < c->n && c->t[i].type == type;
}

static bool cl_kw(const struct cl_ctx *c, size_t i, enum keyword kw)
{
	return i < c->n && c->t[i].type == T_WORD && c->t[i].kw == kw;
}

/* The token is the one character ch (an operator). */
static bool cl_char(const struct cl_ctx *c, size_t i, char ch)
{
	return i < c->n && c->t[i].type == T_OTHER && c->t[i].end == c->t[i].start + 1 &&
	       c->sql[c->t[i].start] == ch;
}

static bool cl_word_in(const struct cl_ctx *c, size_t i, const char *const *words,
		       size_t n_words)
{
	return i < c->n && c->t[i].type == T_WORD &&
	       word_in(words, n_words, c->sql + c->t[i].start, c->t[i].end - c->t[i].start);
}

static bool cl_word_is(const struct cl_ctx *c, size_t i, const char *word)
{
	size_t len = strlen(word);

	if (i >= c->n || c->t[i].type != T_WORD || c->t[i].end - c->t[i].start != len)
		return false;
	for (size_t k = 0; k < len; k++) {
		unsigned char ch = (unsigned char)c->sql[c->t[i].start + k];
		if ((ch >= 'A' && ch <= 'Z' ? ch + 32 : ch) != (unsigned char)word[k])
			return false;
	}
	return true;
}

#define IS_EXPR_WORD(c, i) \
	cl_word_in(c, i, expr_words, sizeof(expr_words) / sizeof(expr_words[0]))
#define IS_OPERAND_WORD(c, i) \
	cl_word_in(c, i, operand_words, sizeof(operand_words) / sizeof(operand_words[0]))

static const char *cl_text(struct cl_ctx *c, size_t i)
{
	char *s = token_value(c->scratch, c->sql, &c->t[i]);

	if (!s)
		c->nomem = true;
	return s ? s : "";
}

static bool same_name(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	for (; *a && *b; a++, b++) {
		unsigned char x = (unsigned char)*a, y = (unsigned char)*b;
		if ((x >= 'A' && x <= 'Z' ? x + 32 : x) != (y >= 'A' && y <= 'Z' ? y + 32 : y))
			return false;
	}
	return *a == *b;
}

static struct cl_set *new_set(struct cl_ctx *c)
{
	struct cl_set *s = dla_arena_calloc(c->scratch, 1, sizeof(*s));

	if (!s)
		c->nomem = true;
	return s;
}

static struct cl_col *add_col(struct cl_ctx *c, struct cl_set *s, const char *name,
			      enum dla_column_lineage lineage, size_t tok)
{
	struct cl_col *col = cl_push(c, (void **)&s->cols, &s->n, &s->cap, sizeof(*s->cols));

	if (col) {
		memset(col, 0, sizeof(*col));
		col->name = name;
		col->lineage = lineage;
		col->tok = tok;
	}
	return col;
}

static void add_src(struct cl_ctx *c, struct cl_col *col, const char *schema,
		    const char *relation, const char *column)
{
	struct cl_src *s;

	for (size_t i = 0; i < col->n_src; i++)
		if (same_name(col->src[i].schema, schema) &&
		    same_name(col->src[i].relation, relation) &&
		    same_name(col->src[i].column, column))
			return;
	s = cl_push(c, (void **)&col->src, &col->n_src, &col->cap_src, sizeof(*col->src));
	if (s) {
		s->schema = schema;
		s->relation = relation;
		s->column = column;
	}
}

static void add_srcs(struct cl_ctx *c, struct cl_col *to, const struct cl_col *from)
{
	for (size_t i = 0; i < from->n_src; i++)
		add_src(c, to, from->src[i].schema, from->src[i].relation, from->src[i].column);
}

static const struct cl_col *find_col(const struct cl_set *s, const char *name)
{
	for (size_t i = 0; s && s->ok && i < s->n; i++)
		if (s->cols[i].name && same_name(s->cols[i].name, name))
			return &s->cols[i];
	return NULL;
}

/* A copy of s with its columns renamed by the name list tokens [b, e)
 * (a CTE's or an alias's column list); unmatched counts make it unknown. */
static struct cl_set *renamed(struct cl_ctx *c, const struct cl_set *s, size_t b, size_t e)
{
	struct cl_set *r = new_set(c);
	size_t k = 0;

	if (!r)
		return NULL;
	*r = *s;
	r->cols = NULL;
	r->n = r->cap = 0;
	for (size_t i = b; i < e; i++) {
		const struct cl_col *from;
		struct cl_col *col;

		if (!cl_is(c, i, T_WORD) && !cl_is(c, i, T_QIDENT))
			continue;
		from = s->ok && k < s->n ? &s->cols[k] : NULL;
		col = add_col(c, r, cl_text(c, i), from ? from->lineage : DLA_COLUMN_UNKNOWN, i);
		if (col && from)
			add_srcs(c, col, from);
		k++;
	}
	if (!s->ok || k != s->n)
		r->complete = false;
	r->unnamed = false;
	r->ok = true;
	return r;
}

static struct cl_set *analyse_query(struct cl_ctx *c, size_t b, size_t e);

/* The CTE called name (innermost first), or NULL. */
static struct cl_cte *find_cte(struct cl_ctx *c, const char *name)
{
	for (size_t i = c->n_ctes; i-- > 0;)
		if (same_name(c->ctes[i].name, name))
			return &c->ctes[i];
	return NULL;
}

static struct cl_set *cte_set(struct cl_ctx *c, struct cl_cte *cte)
{
	struct cl_set *s;

	if (cte->state == 2)
		return cte->set;
	if (cte->state == 1)
		return NULL;          /* recursive: cannot tell */
	cte->state = 1;
	s = analyse_query(c, cte->b, cte->e);
	if (s && cte->cols_e > cte->cols_b)
		s = renamed(c, s, cte->cols_b, cte->cols_e);
	/* the array may have moved while reading the body: find it again */
	cte = find_cte(c, cte->name);
	if (cte) {
		cte->set = s;
		cte->state = 2;
	}
	return s;
}

/* WITH list from i (after WITH): registers each CTE; returns the index of
 * the main query, or SIZE_MAX when it does not read as a WITH list. */
static size_t parse_ctes(struct cl_ctx *c, size_t i, size_t e)
{
	if (cl_kw(c, i, KW_RECURSIVE))
		i++;
	for (;;) {
		struct cl_cte cte, *slot;

		memset(&cte, 0, sizeof(cte));
		if (i >= e || !(cl_is(c, i, T_WORD) || cl_is(c, i, T_QIDENT)))
			return SIZE_MAX;
		cte.name = cl_text(c, i++);
		if (cl_is(c, i, T_LPAREN)) {
			if (c->match[i] == SIZE_MAX || c->match[i] >= e)
				return SIZE_MAX;
			cte.cols_b = i + 1;
			cte.cols_e = c->match[i];
			i = c->match[i] + 1;
		}
		if (!cl_kw(c, i, KW_AS))
			return SIZE_MAX;
		i++;
		while (cl_kw(c, i, KW_NOT) || cl_kw(c, i, KW_MATERIALIZED))
			i++;
		if (!cl_is(c, i, T_LPAREN) || c->match[i] == SIZE_MAX || c->match[i] >= e)
			return SIZE_MAX;
		cte.b = i + 1;
		cte.e = c->match[i];
		i = c->match[i] + 1;
		slot = cl_push(c, (void **)&c->ctes, &c->n_ctes, &c->cap_ctes, sizeof(*c->ctes));
		if (!slot)
			return SIZE_MAX;
		*slot = cte;
		if (cl_is(c, i, T_COMMA)) {
			i++;
			continue;
		}
		return i;
	}
}

static void add_item(struct cl_ctx *c, struct cl_items *items, int kind, const char *alias,
		     const char *schema, const char *name, struct cl_set *set)
{
	struct cl_item *it = cl_push(c, (void **)&items->v, &items->n, &items->cap,
				     sizeof(*items->v));

	if (it) {
		it->kind = kind;
		it->alias = alias;
		it->schema = schema;
		it->name = name;
		it->set = set;
	}
}

/* An alias token after a FROM item (same rule as the reference scanner). */
static bool is_from_alias(const struct cl_ctx *c, size_t i)
{
	return cl_is(c, i, T_QIDENT) ||
	       (cl_is(c, i, T_WORD) && !(kw_flags[c->t[i].kw] & F_NOALIAS));
}

/* Reads the FROM items in [b, e) into items.  Returns false when the
 * clause does not read as expected. */
static bool parse_from(struct cl_ctx *c, size_t b, size_t e, struct cl_items *items)
{
	bool expect = true;

	for (size_t i = b; i < e && !c->nomem; i++) {
		size_t first = items->n, j;
		struct cl_item *it;

		if (!expect) {
			if (cl_is(c, i, T_COMMA) || cl_kw(c, i, KW_JOIN) ||
			    cl_kw(c, i, KW_STRAIGHT_JOIN) || cl_kw(c, i, KW_APPLY))
				expect = true;
			else if (cl_is(c, i, T_LPAREN)) {
				if (c->match[i] == SIZE_MAX || c->match[i] >= e)
					return false;
				i = c->match[i];
			}
			continue;
		}
		expect = false;
		if (cl_kw(c, i, KW_LATERAL) || cl_kw(c, i, KW_ONLY)) {
			expect = true;
			continue;
		}
		if (cl_is(c, i, T_LPAREN)) {
			size_t m = c->match[i];
			if (m == SIZE_MAX || m >= e)
				return false;
			if (cl_kw(c, i + 1, KW_SELECT) || cl_kw(c, i + 1, KW_WITH) ||
			    cl_kw(c, i + 1, KW_VALUES) || cl_is(c, i + 1, T_LPAREN)) {
				struct cl_set *s = analyse_query(c, i + 1, m);
				add_item(c, items, s ? ITEM_QUERY : ITEM_UNKNOWN, NULL, NULL, NULL, s);
			} else if (!parse_from(c, i + 1, m, items)) {   /* (a JOIN b) */
				return false;
			}
			i = m;
		} else if (cl_kw(c, i, KW_VALUES)) {
			add_item(c, items, ITEM_UNKNOWN, NULL, NULL, NULL, NULL);
			while (cl_is(c, i + 1, T_LPAREN) || cl_is(c, i + 1, T_COMMA)) {
				i++;
				if (cl_is(c, i, T_LPAREN)) {
					if (c->match[i] == SIZE_MAX || c->match[i] >= e)
						return false;
					i = c->match[i];
				}
			}
		} else if (is_name(&c->t[i])) {
			size_t last = i, prev = SIZE_MAX;
			const char *schema = NULL, *name;
			struct cl_cte *cte;

			while (cl_is(c, last + 1, T_DOT) &&
			       (cl_is(c, last + 2, T_WORD) || cl_is(c, last + 2, T_QIDENT))) {
				prev = last;
				last += 2;
			}
			name = cl_text(c, last);
			if (prev != SIZE_MAX)
				schema = cl_text(c, prev);
			if (cl_is(c, last + 1, T_LPAREN)) {   /* table function */
				size_t m = c->match[last + 1];
				if (m == SIZE_MAX || m >= e)
					return false;
				add_item(c, items, ITEM_UNKNOWN, NULL, NULL, NULL, NULL);
				i = m;
			} else if (!schema && (cte = find_cte(c, name)) != NULL) {
				struct cl_set *s = cte_set(c, cte);
				add_item(c, items, s ? ITEM_QUERY : ITEM_UNKNOWN, name, NULL, NULL, s);
				i = last;
			} else {
				add_item(c, items, ITEM_REL, name, schema, name, NULL);
				i = last;
			}
		} else {
			return false;
		}
		/* [AS] alias [(columns)] of the item just read */
		j = i + 1;
		if (cl_kw(c, j, KW_AS))
			j++;
		if (j < e && is_from_alias(c, j) && items->n == first + 1) {
			it = &items->v[first];
			it->alias = cl_text(c, j);
			i = j;
			if (cl_is(c, i + 1, T_LPAREN)) {
				size_t m = c->match[i + 1];
				if (m == SIZE_MAX || m >= e)
					return false;
				if (it->kind == ITEM_QUERY && it->set)
					it->set = renamed(c, it->set, i + 2, m);
				else
					it->kind = ITEM_UNKNOWN;
				i = m;
			}
		}
	}
	return !c->nomem;
}

/* Resolves a reference: qualifier tokens [qb, qe) (names and dots; empty
 * when unqualified), column name col.  Adds its sources to out and returns
 * true with *lineage the lineage through subqueries; false when it cannot
 * be told. */
static bool resolve_ref(struct cl_ctx *c, const struct cl_items *items, size_t qb,
			size_t qe, const char *col, struct cl_col *out,
			enum dla_column_lineage *lineage)
{
	const struct cl_item *it = NULL;

	*lineage = DLA_COLUMN_UNKNOWN;
	if (qe > qb) {
		const char *qname = cl_text(c, qe - 1);
		const char *qschema = qe - qb >= 3 ? cl_text(c, qe - 3) : NULL;

		for (size_t k = 0; k < items->n && !it; k++) {
			const struct cl_item *x = &items->v[k];
			if (qschema) {
				if (x->kind == ITEM_REL && same_name(x->name, qname) &&
				    same_name(x->schema, qschema))
					it = x;
			} else if (x->alias && same_name(x->alias, qname)) {
				it = x;
			}
		}
	} else if (items->n == 1) {
		it = &items->v[0];
	} else {
		size_t found = 0, others = 0;
		for (size_t k = 0; k < items->n; k++) {
			const struct cl_item *x = &items->v[k];
			if (x->kind == ITEM_QUERY && find_col(x->set, col)) {
				it = x;
				found++;
			} else if (x->kind != ITEM_QUERY || !x->set || !x->set->ok ||
				   !x->set->complete) {
				others++;
			}
		}
		if (found != 1 || others)
			it = NULL;
	}
	if (!it)
		return false;
	if (it->kind == ITEM_REL) {
		add_src(c, out, it->schema, it->name, col);
		*lineage = DLA_COLUMN_DIRECT;
		return true;
	}
	if (it->kind == ITEM_QUERY) {
		const struct cl_col *inner = find_col(it->set, col);
		if (!inner)
			return false;
		add_srcs(c, out, inner);
		*lineage = inner->lineage;
		return inner->lineage != DLA_COLUMN_UNKNOWN;
	}
	return false;
}

/* A star (all items, or the item called alias): expands subqueries,
 * reports relations as an unknown "*" column. */
static void expand_star(struct cl_ctx *c, const struct cl_items *items, const char *alias,
			struct cl_set *set, size_t tok)
{
	struct cl_col *star = NULL;
	bool any = false;

	for (size_t k = 0; k < items->n; k++) {
		const struct cl_item *it = &items->v[k];

		if (alias && !(it->alias && same_name(it->alias, alias)))
			continue;
		any = true;
		if (it->kind == ITEM_QUERY && it->set && it->set->ok) {
			for (size_t i = 0; i < it->set->n; i++) {
				struct cl_col *col = add_col(c, set, it->set->cols[i].name,
							     it->set->cols[i].lineage, tok);
				if (col)
					add_srcs(c, col, &it->set->cols[i]);
			}
			if (!it->set->complete)
				set->complete = false;
			continue;
		}
		set->complete = false;
		if (!star)
			star = add_col(c, set, "*", DLA_COLUMN_UNKNOWN, tok);
		if (star && it->kind == ITEM_REL)
			add_src(c, star, it->schema, it->name, NULL);
	}
	if (!any)
		set->complete = false;
}

/* May token i (the last of a select item) be an alias written without AS,
 * given the token before it? */
static bool implicit_alias(const struct cl_ctx *c, size_t i, size_t ib)
{
	size_t p = i - 1;

	if (i <= ib || !(cl_is(c, i, T_QIDENT) ||
			 (cl_is(c, i, T_WORD) && !(kw_flags[c->t[i].kw] & F_NOALIAS) &&
			  !IS_EXPR_WORD(c, i))))
		return false;
	if (cl_is(c, i - 1, T_DOT))
		return false;
	switch (c->t[p].type) {
	case T_QIDENT:
	case T_RPAREN:
	case T_STRING:
	case T_NUMBER:
		return true;
	case T_WORD:
		/* a column name after a dot, or a word ending an expression */
		return (p > ib && cl_is(c, p - 1, T_DOT)) || !IS_OPERAND_WORD(c, p);
	default:
		return false;
	}
}

/* One select item [ib, ie). */
static void analyse_item(struct cl_ctx *c, const struct cl_items *items, size_t ib,
			 size_t ie, struct cl_set *set)
{
	struct cl_col scratch;
	const char *name = NULL, *single = NULL;
	enum dla_column_lineage inner = DLA_COLUMN_UNKNOWN;
	bool resolved = true, opaque = false;
	size_t xe = ie, n_refs = 0;
	struct cl_col *col;

	if (ie - ib == 1 && cl_char(c, ib, '*')) {
		expand_star(c, items, NULL, set, ib);
		return;
	}
	if (ie - ib == 3 && cl_is(c, ib + 1, T_DOT) && cl_char(c, ib + 2, '*')) {
		expand_star(c, items, cl_text(c, ib), set, ib);
		return;
	}
	if (ie - ib >= 3 && cl_kw(c, ie - 2, KW_AS) &&
	    (cl_is(c, ie - 1, T_WORD) || cl_is(c, ie - 1, T_QIDENT))) {
		name = cl_text(c, ie - 1);
		xe = ie - 2;
	} else if (ie - ib >= 2 && implicit_alias(c, ie - 1, ib)) {
		name = cl_text(c, ie - 1);
		xe = ie - 1;
	}

	memset(&scratch, 0, sizeof(scratch));
	for (size_t i = ib; i < xe && !c->nomem; i++) {
		size_t j;
		enum dla_column_lineage l;

		if (cl_is(c, i, T_LPAREN)) {
			if (cl_kw(c, i + 1, KW_SELECT) || cl_kw(c, i + 1, KW_WITH)) {
				opaque = true;            /* scalar subquery */
				if (c->match[i] != SIZE_MAX && c->match[i] < xe)
					i = c->match[i];
			}
			continue;
		}
		if (!cl_is(c, i, T_WORD) && !cl_is(c, i, T_QIDENT))
			continue;
		if (i > ib && (cl_is(c, i - 1, T_DOT) || cl_kw(c, i - 1, KW_AS) ||
			       cl_char(c, i - 1, ':')))
			continue;                 /* part of a name, a type, a path */
		if (cl_is(c, i + 1, T_LPAREN))
			continue;                 /* a function */
		if (cl_is(c, i, T_WORD) && (IS_EXPR_WORD(c, i) || cl_is(c, i + 1, T_STRING) ||
					    (kw_flags[c->t[i].kw] & F_NOTNAME)))
			continue;                 /* keyword, type, typed literal */
		j = i;
		while (cl_is(c, j + 1, T_DOT) &&
		       (cl_is(c, j + 2, T_WORD) || cl_is(c, j + 2, T_QIDENT)))
			j += 2;
		if (cl_is(c, j + 1, T_DOT) && cl_char(c, j + 2, '*')) {
			i = j + 2;                /* count(t.*) */
			continue;
		}
		n_refs++;
		{
			const char *colname = cl_text(c, j);
			if (!resolve_ref(c, items, i, j > i ? j - 1 : i, colname, &scratch, &l))
				resolved = false;
			if (i == ib && j + 1 == xe) {
				single = colname;
				inner = l;
			}
		}
		i = j;
	}
	if (!name)
		name = single;
	if (!name)
		set->unnamed = true;          /* an expression without a name */
	col = add_col(c, set, name, DLA_COLUMN_DERIVED, ib);
	if (!col)
		return;
	add_srcs(c, col, &scratch);
	if (opaque || !resolved)
		col->lineage = DLA_COLUMN_UNKNOWN;
	else if (single && n_refs == 1)
		col->lineage = inner;
	if (col->lineage == DLA_COLUMN_UNKNOWN)
		set->complete = false;
}

/* The end of the FROM clause starting at b (exclusive), within e. */
static size_t from_end(const struct cl_ctx *c, size_t b, size_t e)
{
	for (size_t i = b; i < e; i++) {
		if (cl_is(c, i, T_LPAREN)) {
			if (c->match[i] == SIZE_MAX || c->match[i] >= e)
				return e;
			i = c->match[i];
			continue;
		}
		if (c->t[i].type == T_WORD && (kw_flags[c->t[i].kw] & F_ENDFROM))
			return i;
	}
	return e;
}

/* SELECT ... [FROM ...] ... in [b, e). */
static struct cl_set *analyse_select(struct cl_ctx *c, size_t b, size_t e)
{
	struct cl_set *set;
	struct cl_items items = { NULL, 0, 0 };
	size_t i, sel_b, sel_e, from = SIZE_MAX, start;

	if (cl_is(c, b, T_LPAREN) && c->match[b] != SIZE_MAX && c->match[b] < e)
		return analyse_query(c, b + 1, c->match[b]);   /* (select ..) order by */
	set = new_set(c);
	if (!set || !cl_kw(c, b, KW_SELECT))
		return set;
	i = b + 1;
	if (cl_kw(c, i, KW_DISTINCT)) {
		i++;
		if (cl_kw(c, i, KW_ON) && cl_is(c, i + 1, T_LPAREN) &&
		    c->match[i + 1] != SIZE_MAX && c->match[i + 1] < e)
			i = c->match[i + 1] + 1;
	} else if (cl_word_is(c, i, "all")) {
		i++;
	}
	if (cl_word_is(c, i, "top") && cl_is(c, i + 1, T_NUMBER))
		i += 2;
	sel_b = i;
	for (sel_e = i; sel_e < e; sel_e++) {
		if (cl_is(c, sel_e, T_LPAREN)) {
			if (c->match[sel_e] == SIZE_MAX || c->match[sel_e] >= e)
				return set;
			sel_e = c->match[sel_e];
			continue;
		}
		if (cl_kw(c, sel_e, KW_FROM) && !cl_kw(c, sel_e - 1, KW_DISTINCT)) {
			from = sel_e;
			break;
		}
		if (c->t[sel_e].type == T_WORD && c->t[sel_e].kw != KW_SELECT &&
		    (kw_flags[c->t[sel_e].kw] & F_ENDFROM))
			break;
	}
	if (from != SIZE_MAX &&
	    !parse_from(c, from + 1, from_end(c, from + 1, e), &items))
		return set;
	set->ok = true;
	set->complete = true;
	start = sel_b;
	for (i = sel_b; i <= sel_e && !c->nomem; i++) {
		if (i < sel_e && cl_is(c, i, T_LPAREN)) {
			i = c->match[i];
			continue;
		}
		if (i == sel_e || cl_is(c, i, T_COMMA)) {
			if (i > start)
				analyse_item(c, &items, start, i, set);
			start = i + 1;
		}
	}
	return set;
}

static bool is_set_op(const struct cl_ctx *c, size_t i)
{
	return cl_kw(c, i, KW_UNION) || cl_kw(c, i, KW_INTERSECT) || cl_kw(c, i, KW_EXCEPT) ||
	       cl_kw(c, i, KW_MINUS);
}

/* Combines the branches of a set operation into first. */
static void combine_branch(struct cl_ctx *c, struct cl_set *first, const struct cl_set *other)
{
	if (!other || !other->ok || other->n != first->n) {
		for (size_t k = 0; k < first->n; k++)
			first->cols[k].lineage = DLA_COLUMN_UNKNOWN;
		first->complete = false;
		return;
	}
	for (size_t k = 0; k < first->n; k++) {
		struct cl_col *col = &first->cols[k];
		const struct cl_col *o = &other->cols[k];

		add_srcs(c, col, o);
		if (o->lineage == DLA_COLUMN_UNKNOWN)
			col->lineage = DLA_COLUMN_UNKNOWN;
		else if (o->lineage == DLA_COLUMN_DERIVED && col->lineage == DLA_COLUMN_DIRECT)
			col->lineage = DLA_COLUMN_DERIVED;
	}
	if (!other->complete)
		first->complete = false;
}

static struct cl_set *analyse_query(struct cl_ctx *c, size_t b, size_t e)
{
	struct cl_set *set = NULL, *branch;
	size_t saved_ctes = c->n_ctes, start;
	bool first = true;

	if (++c->depth > CL_MAX_DEPTH)
		goto out;
	while (e > b && cl_is(c, e - 1, T_SEMI))
		e--;
	while (e > b + 1 && cl_is(c, b, T_LPAREN) && c->match[b] == e - 1) {
		b++;
		e--;
	}
	if (b >= e)
		goto out;
	if (cl_kw(c, b, KW_WITH)) {
		b = parse_ctes(c, b + 1, e);
		if (b == SIZE_MAX || b >= e)
			goto out;
	}
	start = b;
	for (size_t i = b; i <= e && !c->nomem; i++) {
		if (i < e && cl_is(c, i, T_LPAREN)) {
			if (c->match[i] == SIZE_MAX || c->match[i] >= e)
				goto out;
			i = c->match[i];
			continue;
		}
		if (i < e && !is_set_op(c, i))
			continue;
		branch = analyse_select(c, start, i);
		if (!branch)
			goto out;
		if (first) {
			set = branch;
			first = false;
			if (!set->ok)
				goto out;
		} else {
			combine_branch(c, set, branch);
		}
		if (i < e && (cl_word_is(c, i + 1, "all") || cl_kw(c, i + 1, KW_DISTINCT)))
			i++;
		start = i + 1;
	}
out:
	c->n_ctes = saved_ctes;
	c->depth--;
	if (!set)
		set = new_set(c);
	return set;
}

/* Copies a scratch string into the caller's arena. */
static const char *keep(struct dla_arena *a, const char *s, bool *nomem)
{
	char *copy;

	if (!s)
		return NULL;
	copy = dla_arena_strdup(a, s);
	if (!copy)
		*nomem = true;
	return copy;
}

enum dla_code dla_view_columns(struct dla_arena *arena, const char *sql, size_t len,
			       struct dla_view_columns *out, struct dla_scan_error *err)
{
	struct dla_arena scratch = DLA_ARENA_INIT;
	struct lexer lx;
	struct cl_ctx c;
	struct cl_set *set;
	struct locator loc = { sql, 0, 0, 1 };
	size_t *stack = NULL, depth = 0;
	bool nomem = false;
	enum dla_code code;
	int rc;

	memset(out, 0, sizeof(*out));
	if (err) {
		err->line = err->col = 0;
		err->message[0] = '\0';
	}
	if (!sql || !len)
		return DLA_OK;
	pthread_once(&kw_once, kw_init);
	pthread_once(&cclass_once, cclass_init);
	if (memchr(sql, '\0', len))
		return invalid(err, sql, (size_t)((const char *)memchr(sql, '\0', len) - sql),
			       "NUL byte in view text");

	memset(&lx, 0, sizeof(lx));
	lx.s = sql;
	lx.len = len;
	rc = lex_all(&lx);
	if (rc == LEX_INVALID) {
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

	memset(&c, 0, sizeof(c));
	c.scratch = &scratch;
	c.sql = sql;
	c.t = lx.toks;
	c.n = lx.n;
	code = DLA_ERR_NOMEM;
	c.match = dla_calloc(lx.n ? lx.n : 1, sizeof(*c.match));
	stack = dla_calloc(lx.n ? lx.n : 1, sizeof(*stack));
	if (!c.match || !stack)
		goto done;
	for (size_t i = 0; i < lx.n; i++) {
		c.match[i] = SIZE_MAX;
		if (lx.toks[i].type == T_LPAREN) {
			stack[depth++] = i;
		} else if (lx.toks[i].type == T_RPAREN && depth > 0) {
			size_t open = stack[--depth];
			c.match[open] = i;
			c.match[i] = open;
		}
	}
	set = analyse_query(&c, 0, lx.n);
	if (c.nomem || !set)
		goto done;
	code = DLA_OK;
	if (!set->ok)
		goto done;
	out->complete = set->complete && !set->unnamed;
	out->items = set->n ? dla_arena_calloc(arena, set->n, sizeof(*out->items)) : NULL;
	if (set->n && !out->items)
		nomem = true;
	for (size_t i = 0; i < set->n && !nomem; i++) {
		const struct cl_col *from = &set->cols[i];
		struct dla_view_column *to = &out->items[out->n];

		if (!from->name)
			continue;             /* cannot be referred to */
		out->n++;

		to->name = keep(arena, from->name, &nomem);
		to->lineage = from->lineage;
		locate(&loc, lx.toks[from->tok].start, &to->line, &to->col);
		to->n_sources = from->n_src;
		to->sources = from->n_src ? dla_arena_calloc(arena, from->n_src,
							     sizeof(*to->sources)) : NULL;
		if (from->n_src && !to->sources) {
			nomem = true;
			break;
		}
		for (size_t k = 0; k < from->n_src; k++) {
			to->sources[k].schema = keep(arena, from->src[k].schema, &nomem);
			to->sources[k].relation = keep(arena, from->src[k].relation, &nomem);
			to->sources[k].column = keep(arena, from->src[k].column, &nomem);
		}
	}
	if (out->n == 0)
		out->items = NULL;
	if (nomem) {
		memset(out, 0, sizeof(*out));
		code = DLA_ERR_NOMEM;
	}
done:
	dla_free(stack);
	dla_free(c.match);
	dla_free(lx.toks);
	dla_arena_release(&scratch);
	return code;
}
