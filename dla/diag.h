/*
 * diag.h - diagnostics collected while loading and checking a project.
 *
 * The library never prints: loaders and checkers append diagnostics to a
 * struct dla_diags and keep going, so `dla validate` can report every
 * mistake at once (SQLite's parse context).  The orchestrator prints them as
 *     file:line:col: message
 * followed by the source line and a caret under col.
 *
 * Conventions for message text (it is interface, golden tests pin it):
 * lowercase, the failure first, the subject in single quotes, e.g.
 *     unknown key 'colums' (did you mean 'columns'?)
 * file is the path relative to the project directory ("models/sales.yml",
 * "dla.yml", "views/v_customer.sql").  line and col are 1-based; 0 means
 * unknown (the printer then omits them).
 *
 * Ownership: the collection owns copies of file and message; items are
 * freed by dla_diags_release().
 */
#ifndef DLA_DIAG_H
#define DLA_DIAG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

enum dla_severity { DLA_SEV_ERROR, DLA_SEV_WARNING };

struct dla_diag {
	enum dla_severity severity;
	char *file;      /* may be "" when not tied to a file */
	int line, col;
	char *message;
};

struct dla_diags {
	struct dla_diag *items;
	size_t n, cap;
	size_t n_errors, n_warnings;
	bool nomem;      /* a diagnostic could not be stored: report OOM */
};

#define DLA_DIAGS_INIT { NULL, 0, 0, 0, 0, false }

void dla_diags_init(struct dla_diags *d);
void dla_diags_release(struct dla_diags *d);

/* Appends a diagnostic; on allocation failure sets d->nomem (never fails
 * otherwise).  file may be NULL (stored as ""). */
void dla_diag_add(struct dla_diags *d, enum dla_severity sev,
		  const char *file, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
void dla_diag_vadd(struct dla_diags *d, enum dla_severity sev,
		   const char *file, int line, int col, const char *fmt, va_list ap)
	__attribute__((format(printf, 6, 0)));

/* Shorthands for errors and warnings. */
#define dla_error_at(d, file, line, col, ...) \
	dla_diag_add((d), DLA_SEV_ERROR, (file), (line), (col), __VA_ARGS__)
#define dla_warn_at(d, file, line, col, ...) \
	dla_diag_add((d), DLA_SEV_WARNING, (file), (line), (col), __VA_ARGS__)

/* Stable sort by file, line, col (insertion order among equals). */
void dla_diags_sort(struct dla_diags *d);

static inline bool dla_diags_has_errors(const struct dla_diags *d)
{
	return d->n_errors > 0 || d->nomem;
}

/*
 * "did you mean" helper: the candidate closest to word by edit distance
 * (case-insensitive), or NULL when none is close enough (distance <= 2 and
 * less than half of word's length).  Returns one of candidates[].
 */
const char *dla_closest_word(const char *word, const char *const *candidates,
			     size_t n_candidates);

#endif
