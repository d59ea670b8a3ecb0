/*
 * diag_print.h - prints collected diagnostics (diag.h) for humans.
 *
 * Shape (jq's locfile_locate; the text is interface, golden tests pin it):
 *
 *     models/dim_customer.yml:7:3: error: unknown key 'colums' (did you mean 'columns'?)
 *         colums:
 *         ^
 *
 * - "file:line:col: error|warning: message"; col omitted when 0; a
 *   diagnostic with line 0 prints "file: error: message", or
 *   "dla: error: message" when file is "".
 * - Then, when line > 0 and project_dir/file is readable and has that line,
 *   the line indented by 4 spaces (tabs shown as one space, control bytes and
 *   invalid UTF-8 as '?', capped at 200 characters), and when col > 0 a
 *   caret line: 4 spaces + (col - 1) spaces + '^'.
 * - A source line holding a secret of an ODBC "key=value" pair ("Pwd=...",
 *   redact.h; a password written into a connection string in dla.yml)
 *   shows "***" instead of the secret; the caret is left out when it would
 *   point past the start of the redaction.
 * - Messages and file names are sanitised the same way (no control bytes
 *   reach the terminal).
 * - When d holds errors, a summary line follows all diagnostics:
 *     dla: 1 error, 0 warnings        dla: 3 errors, 1 warning
 * - When d->nomem is set: "dla: error: out of memory (some diagnostics were
 *   lost)".
 */
#ifndef DLA_DIAG_PRINT_H
#define DLA_DIAG_PRINT_H

#include <stdio.h>

#include "diag.h"

/* Sorts d (dla_diags_sort) and prints everything to out (stderr in the
 * program).  project_dir: where the files named by diagnostics are read
 * from (NULL = "."). */
void dla_diags_print(FILE *out, struct dla_diags *d, const char *project_dir);

/* Prints one diagnostic (no summary). */
void dla_diag_print(FILE *out, const struct dla_diag *diag,
		    const char *project_dir);

/* Writes s to out replacing control bytes and invalid UTF-8 by '?' (tab by
 * a space), at most max_chars characters (0 = no limit).  For printing text
 * that came from user files or the database. */
void dla_fputs_sanitized(FILE *out, const char *s, size_t len, size_t max_chars);

#endif
