/*
 * regex.h - the one wrapper around pcre2 (the only file including pcre2.h
 * is regex.c).
 *
 * Two uses: the shared identifier check (one pattern for every name in a
 * project), and a small compiled-pattern API for the view scanner.
 * Compiled patterns are immutable and may be shared between threads; each
 * match call uses its own match data.
 */
#ifndef DLA_REGEX_H
#define DLA_REGEX_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The identifier rule for every name dla will put into SQL unquoted
 * (tables, columns, schemas, node names, tags):
 *     ^[A-Za-z_][A-Za-z0-9_]{0,127}$
 * Kept strict so that identifiers never need quoting on Snowflake, where a
 * quoted lower-case name is a different object.
 */
#define DLA_IDENT_PATTERN "^[A-Za-z_][A-Za-z0-9_]{0,127}$"

bool dla_ident_valid(const char *name);

struct dla_regex;   /* opaque */

#define DLA_RE_CASELESS  1u
#define DLA_RE_MULTILINE 2u
#define DLA_RE_DOTALL    4u

/* Compiles pattern (UTF-8).  Returns NULL on error (bad pattern or no
 * memory); if errbuf is non-NULL a message is written there. */
struct dla_regex *dla_regex_compile(const char *pattern, unsigned flags,
				    char *errbuf, size_t errbuf_len);
void dla_regex_free(struct dla_regex *re);

/* Up to DLA_REGEX_MAX_GROUPS capture groups; group 0 is the whole match.
 * Offsets are byte offsets into the subject; an unset group has start ==
 * end == (size_t)-1. */
#define DLA_REGEX_MAX_GROUPS 10
struct dla_regex_match {
	size_t start[DLA_REGEX_MAX_GROUPS];
	size_t end[DLA_REGEX_MAX_GROUPS];
	int n_groups;   /* groups set by the match (including 0) */
};

/* Searches subject[offset..len).  Returns 1 on a match (m filled), 0 on no
 * match, -1 on an error (including match-limit exhaustion). */
int dla_regex_search(const struct dla_regex *re, const char *subject,
		     size_t len, size_t offset, struct dla_regex_match *m);

#endif
