/*
 * csv.c - RFC 4180 parser for seed files: header + rows into one owned
 * struct dla_csv, errors with physical line:col (see csv.h).
 */
#include "csv.h"
#include "alloc.h"
#include "regex.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* One parsed field of the current record. */
struct field {
	const char *value;      /* into the pool; NULL = empty unquoted */
	int line, col;          /* where the field starts */
};

struct parser {
	const unsigned char *s;
	size_t len, i;
	int line, col;          /* position of s[i] */
	char *pool;             /* output text; never outgrows len + 1 */
	size_t pool_len;
	struct field *fields;   /* the current record */
	size_t n_fields, cap_fields;
	int end_line, end_col;  /* where the current record ended */
	struct dla_csv_error *err;
	enum dla_code code;     /* set together with err */
};

static void set_error(struct parser *p, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void set_error(struct parser *p, int line, int col, const char *fmt, ...)
{
	va_list ap;

	p->code = DLA_ERR_DATA;
	if (!p->err)
		return;
	p->err->line = line;
	p->err->col = col;
	va_start(ap, fmt);
	vsnprintf(p->err->message, sizeof(p->err->message), fmt, ap);
	va_end(ap);
}

/* Length of the valid UTF-8 sequence at s[0..avail), or 0 if invalid
 * (overlong forms, surrogates and code points above U+10FFFF rejected). */
static size_t utf8_seq_len(const unsigned char *s, size_t avail)
{
	unsigned char c = s[0];
	size_t n;
	unsigned long cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (avail < n)
		return 0;
	for (size_t k = 1; k < n; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[k] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

/*
 * Consumes one character of field content at p->i (not a line break),
 * copying its bytes to the pool when copy is set.  Checks NUL and UTF-8.
 * Returns false on error.
 */
static bool take_char(struct parser *p, bool copy)
{
	const unsigned char *c = p->s + p->i;
	size_t n;

	if (*c == '\0') {
		set_error(p, p->line, p->col, "NUL byte in file");
		return false;
	}
	n = utf8_seq_len(c, p->len - p->i);
	if (n == 0) {
		set_error(p, p->line, p->col, "invalid UTF-8 byte 0x%02x", *c);
		return false;
	}
	if (copy) {
		memcpy(p->pool + p->pool_len, c, n);
		p->pool_len += n;
	}
	p->i += n;
	p->col++;
	return true;
}

/* True when s[i] starts a line break (LF, CRLF or a lone CR). */
static bool at_newline(const struct parser *p)
{
	return p->i < p->len && (p->s[p->i] == '\n' || p->s[p->i] == '\r');
}

/* Consumes a line break at p->i, copying it when copy is set. */
static void take_newline(struct parser *p, bool copy)
{
	size_t n = (p->s[p->i] == '\r' && p->i + 1 < p->len &&
		    p->s[p->i + 1] == '\n') ? 2 : 1;

	if (copy) {
		memcpy(p->pool + p->pool_len, p->s + p->i, n);
		p->pool_len += n;
	}
	p->i += n;
	p->line++;
	p->col = 1;
}

static bool push_field(struct parser *p, const char *value, int line, int col)
{
	if (dla_grow((void **)&p->fields, &p->cap_fields, p->n_fields + 1,
		     sizeof(*p->fields))) {
		p->code = DLA_ERR_NOMEM;
		return false;
	}
	p->fields[p->n_fields].value = value;
	p->fields[p->n_fields].line = line;
	p->fields[p->n_fields].col = col;
	p->n_fields++;
	return true;
}

/* A quoted field: p->i is at the opening quote. */
static bool parse_quoted(struct parser *p)
{
	int open_line = p->line, open_col = p->col;
	char *start = p->pool + p->pool_len;

	p->i++;
	p->col++;
	for (;;) {
		if (p->i >= p->len) {
			set_error(p, open_line, open_col, "unterminated quoted field");
			return false;
		}
		if (p->s[p->i] == '"') {
			if (p->i + 1 < p->len && p->s[p->i + 1] == '"') {
				p->pool[p->pool_len++] = '"';
				p->i += 2;
				p->col += 2;
				continue;
			}
			p->i++;
			p->col++;
			break;
		}
		if (at_newline(p))
			take_newline(p, true);
		else if (!take_char(p, true))
			return false;
	}
	if (p->i < p->len && p->s[p->i] != ',' && !at_newline(p)) {
		set_error(p, p->line, p->col, "unexpected character after closing quote");
		return false;
	}
	p->pool[p->pool_len++] = '\0';
	return push_field(p, start, open_line, open_col);
}

/* An unquoted field: p->i is at its first byte (maybe a separator). */
static bool parse_unquoted(struct parser *p)
{
	int line = p->line, col = p->col;
	char *start = p->pool + p->pool_len;
	size_t begin = p->i;

	while (p->i < p->len && p->s[p->i] != ',' && !at_newline(p)) {
		if (p->s[p->i] == '"') {
			set_error(p, p->line, p->col, "quote inside an unquoted field");
			return false;
		}
		if (!take_char(p, true))
			return false;
	}
	if (p->i == begin)
		return push_field(p, NULL, line, col);
	p->pool[p->pool_len++] = '\0';
	return push_field(p, start, line, col);
}

/*
 * Parses one record starting at p->i (not at EOF, not at a blank line)
 * into p->fields and consumes its line break.  Returns false on error.
 */
static bool parse_record(struct parser *p)
{
	p->n_fields = 0;
	for (;;) {
		bool ok = (p->i < p->len && p->s[p->i] == '"') ? parse_quoted(p)
							       : parse_unquoted(p);
		if (!ok)
			return false;
		if (p->i < p->len && p->s[p->i] == ',') {
			p->i++;
			p->col++;
			if (p->i >= p->len || at_newline(p)) {
				/* "a,b," : a last, empty field */
				if (!push_field(p, NULL, p->line, p->col))
					return false;
				break;
			}
			continue;
		}
		break;
	}
	p->end_line = p->line;
	p->end_col = p->col;
	if (at_newline(p))
		take_newline(p, false);
	return true;
}

static bool check_header(struct parser *p)
{
	for (size_t k = 0; k < p->n_fields; k++) {
		const struct field *f = &p->fields[k];

		if (!f->value || !*f->value) {
			set_error(p, f->line, f->col, "empty column name in header");
			return false;
		}
		if (!dla_ident_valid(f->value)) {
			set_error(p, f->line, f->col,
				  "column name '%.100s' is not a valid identifier "
				  "(letters, digits and _, not starting with a digit)",
				  f->value);
			return false;
		}
		for (size_t j = 0; j < k; j++) {
			if (strcasecmp(p->fields[j].value, f->value) == 0) {
				set_error(p, f->line, f->col,
					  "duplicate column name '%.128s' in header",
					  f->value);
				return false;
			}
		}
	}
	return true;
}

static bool append_row(struct parser *p, struct dla_csv *csv, size_t *cap_cells)
{
	size_t have = csv->n_rows * csv->n_cols;

	if (p->n_fields != csv->n_cols) {
		if (p->n_fields > csv->n_cols)
			set_error(p, p->fields[csv->n_cols].line,
				  p->fields[csv->n_cols].col,
				  "row has %zu fields, header has %zu",
				  p->n_fields, csv->n_cols);
		else
			set_error(p, p->end_line, p->end_col,
				  "row has %zu field%s, header has %zu", p->n_fields,
				  p->n_fields == 1 ? "" : "s", csv->n_cols);
		return false;
	}
	if (dla_grow((void **)&csv->cells, cap_cells, have + csv->n_cols,
		     sizeof(*csv->cells))) {
		p->code = DLA_ERR_NOMEM;
		return false;
	}
	for (size_t k = 0; k < csv->n_cols; k++)
		csv->cells[have + k] = p->fields[k].value;
	csv->n_rows++;
	return true;
}

void dla_csv_release(struct dla_csv *csv)
{
	if (!csv)
		return;
	dla_free(csv->columns);
	dla_free(csv->cells);
	dla_free(csv->pool);
	memset(csv, 0, sizeof(*csv));
}

enum dla_code dla_csv_parse(const char *data, size_t len, struct dla_csv *out,
			    struct dla_csv_error *err)
{
	struct parser p;
	struct dla_csv csv = DLA_CSV_INIT;
	size_t cap_cells = 0;

	memset(out, 0, sizeof(*out));
	memset(&p, 0, sizeof(p));
	if (err) {
		err->line = err->col = 0;
		err->message[0] = '\0';
	}
	p.err = err;
	p.code = DLA_OK;
	p.line = p.col = 1;
	p.s = (const unsigned char *)data;
	p.len = len;
	if (len > DLA_CSV_MAX_BYTES) {
		set_error(&p, 0, 0, "file is too large (%zu bytes; the limit is 1 GiB)", len);
		return p.code;
	}
	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
		p.i = 3;
	if (p.i >= len) {
		set_error(&p, 1, 1, "empty file: missing header row");
		return p.code;
	}
	if (at_newline(&p)) {
		set_error(&p, 1, 1, "empty header row");
		return p.code;
	}

	/* Every field's text (plus its NUL) is at most as long as its input
	 * plus its separator, so the pool never needs to grow. */
	csv.pool = p.pool = dla_malloc(len + 1);
	if (!csv.pool)
		return DLA_ERR_NOMEM;

	if (!parse_record(&p) || !check_header(&p))
		goto fail;
	csv.n_cols = p.n_fields;
	csv.columns = dla_calloc(csv.n_cols, sizeof(*csv.columns));
	if (!csv.columns) {
		p.code = DLA_ERR_NOMEM;
		goto fail;
	}
	for (size_t k = 0; k < csv.n_cols; k++)
		csv.columns[k] = p.fields[k].value;

	while (p.i < p.len) {
		if (at_newline(&p)) {          /* blank line */
			take_newline(&p, false);
			continue;
		}
		if (!parse_record(&p) || !append_row(&p, &csv, &cap_cells))
			goto fail;
	}
	dla_free(p.fields);
	*out = csv;
	return DLA_OK;

fail:
	dla_free(p.fields);
	dla_csv_release(&csv);
	return p.code;
}

enum dla_code dla_csv_read_file(const char *path, struct dla_csv *out,
				struct dla_csv_error *err)
{
	FILE *f;
	struct stat st;
	char *data;
	size_t len, got;
	enum dla_code rc;

	memset(out, 0, sizeof(*out));
	if (err) {
		err->line = err->col = 0;
		err->message[0] = '\0';
	}
	f = fopen(path, "rb");
	if (!f || fstat(fileno(f), &st) != 0) {
		if (err)
			snprintf(err->message, sizeof(err->message),
				 "cannot read file: %s", strerror(errno));
		if (f)
			fclose(f);
		return DLA_ERR_IO;
	}
	if (!S_ISREG(st.st_mode)) {
		if (err)
			snprintf(err->message, sizeof(err->message),
				 "cannot read file: not a regular file");
		fclose(f);
		return DLA_ERR_IO;
	}
	if ((unsigned long long)st.st_size > DLA_CSV_MAX_BYTES) {
		if (err)
			snprintf(err->message, sizeof(err->message),
				 "file is too large (%llu bytes; the limit is 1 GiB)",
				 (unsigned long long)st.st_size);
		fclose(f);
		return DLA_ERR_IO;
	}
	len = (size_t)st.st_size;
	data = dla_malloc(len ? len : 1);
	if (!data) {
		fclose(f);
		return DLA_ERR_NOMEM;
	}
	got = fread(data, 1, len, f);
	if (got != len || ferror(f)) {
		if (err)
			snprintf(err->message, sizeof(err->message),
				 "cannot read file: %s",
				 ferror(f) ? strerror(errno) : "file changed while reading");
		dla_free(data);
		fclose(f);
		return DLA_ERR_IO;
	}
	fclose(f);
	rc = dla_csv_parse(data, len, out, err);
	dla_free(data);
	return rc;
}
