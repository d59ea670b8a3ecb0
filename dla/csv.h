/*
 * csv.h - an RFC 4180 CSV parser for seed files (SPEC 2, seeds/NAME.csv).
 *
 * Input is one buffer (a file is read whole, at most DLA_CSV_MAX_BYTES).
 * The first row is the header: the column names.  Every later row has
 * exactly as many fields as the header.
 *
 * Syntax accepted
 *   - Fields are separated by ',' and rows by LF or CRLF (a lone CR also
 *     ends a row).  The last row may or may not end with a line break.
 *   - A field in double quotes may hold ',', '"' (written "") and line
 *     breaks; they are kept as written (a CRLF inside quotes stays CRLF).
 *   - A UTF-8 byte order mark at the very start is skipped.
 *   - Blank lines (no byte between two line breaks) are skipped, like
 *     Python's csv module; a blank first line is an error (empty header).
 *   - Nothing is trimmed: a field is exactly the bytes between its
 *     separators (" a" keeps its space).  A quote may only open a field:
 *     a"b and  "a" (space before the quote) are errors.
 *
 * NULL versus empty string
 *   An EMPTY UNQUOTED field (a,,b) is SQL NULL: its cell is a NULL pointer.
 *   A QUOTED EMPTY field (a,"",b) is the empty string "".
 *
 * Errors (the first one found stops the parse; text is interface)
 *   Positions are 1-based: line = physical line of the file (a quoted field
 *   spanning lines counts every line), col = character (UTF-8 code point)
 *   on that line, the BOM not counted.
 *     empty file: missing header row                       1:1
 *     empty header row                                     1:1
 *     empty column name in header                          at the field
 *     column name 'x y' is not a valid identifier          at the field
 *     duplicate column name 'id' in header                 at the 2nd one
 *     row has 4 fields, header has 5                       end of the row
 *     row has 6 fields, header has 5                       at the 6th field
 *     unterminated quoted field                            at the opening "
 *     quote inside an unquoted field                       at the "
 *     unexpected character after closing quote             after the "
 *     NUL byte in file                                     at the byte
 *     invalid UTF-8 byte 0xff                              at the byte
 *     file is too large (N bytes; the limit is 1 GiB)      0:0
 *     cannot read file: <strerror>                         0:0
 *   Column names must pass dla_ident_valid() (regex.h) and are compared
 *   case-insensitively (like unquoted SQL identifiers).
 *
 * Ownership: a struct dla_csv owns everything it points at (one text pool
 * and two pointer arrays); dla_csv_release() frees it all.  It is safe to
 * release a struct that a failed parse left behind (it is zeroed then).
 */
#ifndef DLA_CSV_H
#define DLA_CSV_H

#include <stddef.h>

#include "code.h"

/* Largest input accepted (1 GiB). */
#define DLA_CSV_MAX_BYTES ((size_t)1 << 30)

struct dla_csv {
	size_t n_cols;          /* header fields, >= 1 */
	size_t n_rows;          /* data rows (header not counted), may be 0 */
	const char **columns;   /* n_cols column names, as written */
	const char **cells;     /* n_rows * n_cols, row-major; NULL = SQL NULL */
	char *pool;             /* internal: the unescaped text of every field */
};

#define DLA_CSV_INIT { 0, 0, NULL, NULL, NULL }

struct dla_csv_error {
	int line, col;          /* 1-based; 0 when not tied to a position */
	char message[256];      /* "" on success */
};

/* The cell at row, col (no bounds check beyond an assert-like contract:
 * row < n_rows, col < n_cols). */
static inline const char *dla_csv_cell(const struct dla_csv *csv, size_t row,
				       size_t col)
{
	return csv->cells[row * csv->n_cols + col];
}

/*
 * Parses data[0..len) (need not be NUL-terminated).  On DLA_OK *out holds
 * the result (caller releases).  Returns DLA_ERR_DATA with err filled on a
 * syntax error (*out zeroed), DLA_ERR_NOMEM on allocation failure.
 * err may be NULL.
 */
enum dla_code dla_csv_parse(const char *data, size_t len, struct dla_csv *out,
			    struct dla_csv_error *err);

/*
 * Reads and parses the file at path.  Adds DLA_ERR_IO ("cannot read file:
 * ...", "file is too large ...") to the codes of dla_csv_parse.
 */
enum dla_code dla_csv_read_file(const char *path, struct dla_csv *out,
				struct dla_csv_error *err);

/* Frees everything csv owns and zeroes it.  NULL is fine. */
void dla_csv_release(struct dla_csv *csv);

#endif
