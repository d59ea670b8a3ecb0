/*
 * view_scan.h - finds the relations a view's SELECT reads.
 *
 * Not a SQL parser: a tokenizer that skips comments (-- and nested block),
 * string literals ('...' with '' escapes, $$...$$ dollar quotes) and
 * understands quoted identifiers ("a""b"), followed by pattern matching
 * (regex.h) of FROM / JOIN / comma-join lists / subqueries / WITH lists.
 * CTE names defined by WITH are not references, LATERAL function calls and
 * table functions (name followed by '(') are not references.
 *
 * Results are arena-allocated (project arena) and returned in order of
 * appearance; a relation read several times appears each time.
 */
#ifndef DLA_VIEW_SCAN_H
#define DLA_VIEW_SCAN_H

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
 * (arena-owned; *refs may be NULL when n_refs is 0).  On DLA_ERR_INVALID,
 * err describes the first problem (unterminated comment, string or quoted
 * identifier; a NUL byte).  DLA_ERR_NOMEM on allocation failure.
 * Quoted identifiers are returned unquoted ("My Table" -> My Table).
 */
enum dla_code dla_view_scan(struct dla_arena *arena, const char *sql, size_t len,
			    struct dla_view_ref **refs, size_t *n_refs,
			    struct dla_scan_error *err);

#endif
