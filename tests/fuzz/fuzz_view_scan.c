/*
 * fuzz_view_scan.c - libFuzzer target: the view scanner (view_scan.h) on
 * arbitrary bytes as the text of a view: dla_view_scan (the relations a
 * view reads), dla_view_columns (column lineage) and dla_view_text_is_blank.
 *
 * Oracles: AddressSanitizer, UndefinedBehaviorSanitizer and LeakSanitizer,
 * plus the scanner's contract: on DLA_OK every reference has a name and a
 * position inside the text; on DLA_ERR_INVALID the error has a message and a
 * position inside the text; a second scan gives the same answer (no hidden
 * state between calls); dla_view_columns fails to scan exactly when
 * dla_view_scan does, and its columns have names, relations and positions
 * inside the text; a blank text has no references.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "view_scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Number of lines of text (1 + newlines). */
static int count_lines(const char *s, size_t n)
{
	int lines = 1;

	for (size_t i = 0; i < n; i++)
		if (s[i] == '\n')
			lines++;
	return lines;
}

static void check_columns(struct dla_arena *arena, const char *sql, size_t size,
			  enum dla_code scan_rc, int lines)
{
	struct dla_view_columns cols;
	struct dla_scan_error err;
	enum dla_code rc = dla_view_columns(arena, sql, size, &cols, &err);

	if (rc == DLA_ERR_NOMEM)
		return;
	if ((rc == DLA_ERR_INVALID) != (scan_rc == DLA_ERR_INVALID))
		abort();
	if (rc != DLA_OK && rc != DLA_ERR_INVALID)
		abort();
	if (rc != DLA_OK)
		return;
	if ((cols.n == 0) != (cols.items == NULL))
		abort();
	for (size_t i = 0; i < cols.n; i++) {
		const struct dla_view_column *c = &cols.items[i];
		if (!c->name || c->line < 1 || c->line > lines || c->col < 1 ||
		    (size_t)c->col > size || (c->n_sources && !c->sources) ||
		    (unsigned)c->lineage > DLA_COLUMN_UNKNOWN)
			abort();
		for (size_t j = 0; j < c->n_sources; j++)
			if (!c->sources[j].relation)
				abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *sql = (const char *)data;
	struct dla_arena arena = DLA_ARENA_INIT;
	struct dla_view_ref *refs, *refs2;
	size_t n_refs, n_refs2;
	struct dla_scan_error err, err2;
	enum dla_code rc, rc2;
	int lines = count_lines(sql, size);

	rc = dla_view_scan(&arena, sql, size, &refs, &n_refs, &err);
	if (rc == DLA_OK) {
		if ((n_refs == 0) != (refs == NULL))
			abort();
		for (size_t i = 0; i < n_refs; i++) {
			if (!refs[i].name || refs[i].line < 1 || refs[i].line > lines ||
			    refs[i].col < 1 || (size_t)refs[i].col > size)
				abort();
		}
	} else if (rc == DLA_ERR_INVALID) {
		if (!err.message[0] || err.line < 1 || err.line > lines || err.col < 1 ||
		    (size_t)err.col > size)
			abort();
		if (refs || n_refs)
			abort();
	} else if (rc != DLA_ERR_NOMEM) {
		abort();
	}

	rc2 = dla_view_scan(&arena, sql, size, &refs2, &n_refs2, &err2);
	if (rc2 != rc || n_refs2 != n_refs)
		abort();
	for (size_t i = 0; rc == DLA_OK && i < n_refs; i++) {
		if (strcmp(refs[i].name, refs2[i].name) != 0 ||
		    (refs[i].schema == NULL) != (refs2[i].schema == NULL) ||
		    (refs[i].schema && strcmp(refs[i].schema, refs2[i].schema) != 0) ||
		    refs[i].line != refs2[i].line || refs[i].col != refs2[i].col)
			abort();
	}
	if (rc == DLA_ERR_INVALID &&
	    (err.line != err2.line || err.col != err2.col || strcmp(err.message, err2.message)))
		abort();
	if (rc == DLA_OK && n_refs && dla_view_text_is_blank(sql, size))
		abort();

	check_columns(&arena, sql, size, rc, lines);
	dla_arena_release(&arena);
	return 0;
}
