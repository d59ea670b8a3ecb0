/*
 * view_scan.h - finds the relations a view's SELECT reads.
 *
 * Not a SQL parser: a tokenizer followed by a small state machine per
 * parenthesis level over the tokens.
 *
 * Tokenizer: skips "--" and "//" line comments and nested slash-star
 * comments; skips string literals ('...' with '' escapes, E'...' with
 * backslash escapes, $$...$$ and $tag$...$tag$ dollar quotes); reads quoted
 * identifiers ("a""b", and `a``b` for MySQL/SQLite users).  Unquoted
 * identifiers may hold non-ASCII letters and '$' (pcre2 classifies the
 * non-ASCII ones, regex.h).  If the text does not scan this (PostgreSQL)
 * way, it is scanned again the Snowflake/MySQL way ('it\'s' escapes, block
 * comments that do not nest) and accepted if that succeeds; otherwise the
 * first problem of the PostgreSQL reading is reported.
 *
 * References: the relation after FROM, every JOIN form (and APPLY), each
 * item of a comma-separated FROM list, inside subqueries at any depth
 * (FROM, JOIN, WHERE, select list), CTE bodies and set operations.
 * Not references:
 *  - names defined in the view's WITH lists (anywhere in the view, also in
 *    their own definitions: a CTE named like a table hides that table when
 *    unqualified; schema.name is always a reference);
 *  - table functions: a name followed by '(' (generate_series(1, 3),
 *    TABLE(FLATTEN(...)), LATERAL FLATTEN(input => ...), ROWS FROM (...));
 *  - FROM inside a function call's parentheses (EXTRACT(YEAR FROM d),
 *    SUBSTRING(x FROM 2), TRIM(BOTH ' ' FROM x)): a parenthesis is a
 *    subquery only when SELECT, WITH or VALUES comes first in it (or SELECT
 *    or a set operator anywhere in it);
 *  - IS [NOT] DISTINCT FROM, and NTH_VALUE(...) FROM FIRST|LAST;
 *  - VALUES lists, aliases and alias column lists.
 * Names: "My Schema"."My Table" gives schema "My Schema", name "My Table";
 * db.schema.table keeps the last two parts.
 *
 * Results are arena-allocated and returned in order of appearance; a
 * relation read several times appears each time.  Positions are 1-based;
 * col counts bytes from the start of the line; a reference's position is
 * the first character of its (possibly qualified) name.  Scanning is linear
 * in the length of the text and thread-safe.
 */
#ifndef DLA_VIEW_SCAN_H
#define DLA_VIEW_SCAN_H

#include <stdbool.h>
#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "code.h"
#include "project.h"

struct dla_scan_error {
	int line, col;          /* 1-based position of the problem */
	char message[160];      /* e.g. "unterminated comment" */
};

/*
 * Scans sql[0..len).  On DLA_OK, *refs / *n_refs hold the references
 * (arena-owned; *refs is NULL when *n_refs is 0).  On DLA_ERR_INVALID,
 * err describes the first problem, at the position of its opening
 * characters: "unterminated comment", "unterminated string literal",
 * "unterminated dollar-quoted string '$tag$'", "unterminated quoted
 * identifier", or "NUL byte in view text" (a NUL anywhere is reported
 * before anything else).  DLA_ERR_NOMEM on allocation failure (the arena
 * may then hold unused memory).  err may be NULL.  *refs and *n_refs are
 * always set (NULL and 0 unless DLA_OK).
 * Quoted identifiers are returned unquoted ("My Table" -> My Table).
 */
enum dla_code dla_view_scan(struct dla_arena *arena, const char *sql, size_t len,
			    struct dla_view_ref **refs, size_t *n_refs,
			    struct dla_scan_error *err);

/* ---- column lineage (additions) ------------------------------------------
 *
 * dla_view_columns() reads the SELECT list of a view and says, for each
 * column the view returns, which columns of which relations it is computed
 * from, where a token-level reading can tell:
 *
 *   select c.id, c.first || ' ' || c.last as full_name from staging.customer c
 *     id         direct   staging.customer.id
 *     full_name  derived  staging.customer.first, staging.customer.last
 *
 * The same tokenizer as dla_view_scan; then, per query level: the CTEs of a
 * WITH list, set operations (the first branch names the columns, each
 * column reads the same position of every branch), the FROM items with
 * their aliases (relations, subqueries and CTEs, whose own columns are
 * resolved recursively and composed), and each select item: its output
 * name (AS alias, a trailing bare alias, or the column a plain reference
 * names) and the column references in its expression (qualified
 * "alias.col"; an unqualified "col" only when the level has one FROM item
 * or exactly one subquery/CTE item returns that column).
 *
 * Lineage of a column:
 *   DIRECT   the item is one column reference (possibly renamed), through
 *            any number of direct subquery/CTE levels;
 *   DERIVED  an expression over the listed columns (none: a constant);
 *   UNKNOWN  something the scanner cannot tell: an unresolved or ambiguous
 *            reference, a scalar subquery, a table function or VALUES
 *            source, a star over a relation whose columns are unknown
 *            (returned as one column named "*" reading those relations).
 *            sources then lists what was resolved.
 * out->complete is false when some output could not be named (an
 * expression without alias), a star could not be expanded, or the text is
 * not a query the reader understands (then out->n is 0): table-level
 * lineage is all a caller should claim then.
 *
 * Relations in sources are spelled as written (schema NULL when
 * unqualified; quotes removed); columns are as written in the source
 * query.  Each column lists each (relation, column) once, in order of first
 * reference.  Results live in arena; scanning errors are those of
 * dla_view_scan (DLA_ERR_INVALID with err filled), DLA_ERR_NOMEM otherwise
 * possible.  out is always initialised.
 */
enum dla_column_lineage {
	DLA_COLUMN_DIRECT, DLA_COLUMN_DERIVED, DLA_COLUMN_UNKNOWN
};

/* "direct", "derived", "unknown". */
const char *dla_column_lineage_name(enum dla_column_lineage lineage);

struct dla_column_source {
	const char *schema;      /* NULL when unqualified */
	const char *relation;    /* relation name as written */
	const char *column;      /* NULL for a star's relation */
};

struct dla_view_column {
	const char *name;        /* output column name ("*": unexpanded star) */
	enum dla_column_lineage lineage;
	struct dla_column_source *sources;
	size_t n_sources;
	int line, col;           /* start of the select item, 1-based */
};

struct dla_view_columns {
	struct dla_view_column *items;   /* NULL when n == 0 */
	size_t n;
	bool complete;
};

enum dla_code dla_view_columns(struct dla_arena *arena, const char *sql, size_t len,
			       struct dla_view_columns *out, struct dla_scan_error *err);

/*
 * True when sql[0..len) holds no SQL at all: the reading dla_view_scan
 * accepts (the PostgreSQL one, else the Snowflake/MySQL fallback) has no
 * token, only blanks and comments.  A view made of comments would pass the
 * scanner (no references) and fail in the warehouse.  False when the text
 * does not scan (dla_view_scan reports that).  Stores no tokens; non-ASCII
 * text may compile the scanner's patterns once (false if that fails for
 * lack of memory).  Thread-safe.
 */
bool dla_view_text_is_blank(const char *sql, size_t len);

#endif
