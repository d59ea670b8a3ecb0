/*
 * diag_print.c - prints diagnostics as "file:line:col: error: message" with
 * the source line and a caret, and the error/warning summary line.
 */
#include "diag_print.h"
#include "buf.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define SOURCE_LINE_MAX_CHARS 200
#define SOURCE_LINE_MAX_BYTES (SOURCE_LINE_MAX_CHARS * 4)

/* Length of the valid UTF-8 sequence at s[0..len) (2..4), or 0. */
static size_t utf8_seq_len(const unsigned char *s, size_t len)
{
	size_t n;
	unsigned char c = s[0];

	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (n > len)
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	/* overlong 3/4-byte forms, surrogates, > U+10FFFF */
	if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f) ||
	    (c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] > 0x8f))
		return 0;
	return n;
}

void dla_fputs_sanitized(FILE *out, const char *s, size_t len, size_t max_chars)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, chars = 0;

	while (i < len && (max_chars == 0 || chars < max_chars)) {
		unsigned char c = p[i];
		size_t n;

		if (c == '\t') {
			fputc(' ', out);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			fputc('?', out);
			i++;
		} else if (c < 0x80) {
			fputc(c, out);
			i++;
		} else if ((n = utf8_seq_len(p + i, len - i)) != 0) {
			fwrite(p + i, 1, n, out);
			i += n;
		} else {
			fputc('?', out);
			i++;
		}
		chars++;
	}
}

static void fputs_clean(FILE *out, const char *s)
{
	dla_fputs_sanitized(out, s, strlen(s), 0);
}

/*
 * Reads line `line` (1-based) of path into buf, without its line ending,
 * keeping at most SOURCE_LINE_MAX_BYTES bytes.  Returns false when the file
 * cannot be read or is shorter.
 */
static bool read_source_line(const char *path, int line, char *buf,
			     size_t *len)
{
	FILE *f = fopen(path, "rb");
	int cur = 1, c;
	size_t n = 0;
	bool found = false;

	if (!f)
		return false;
	while (cur < line && (c = getc(f)) != EOF)
		if (c == '\n')
			cur++;
	if (cur == line) {
		while ((c = getc(f)) != EOF && c != '\n') {
			found = true;
			if (n < SOURCE_LINE_MAX_BYTES)
				buf[n++] = (char)c;
		}
		/* an empty last line without '\n' does not exist */
		if (c == '\n')
			found = true;
	}
	fclose(f);
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	*len = n;
	return found;
}

void dla_diag_print(FILE *out, const struct dla_diag *diag,
		    const char *project_dir)
{
	const char *sev = diag->severity == DLA_SEV_ERROR ? "error" : "warning";
	const char *file = diag->file ? diag->file : "";
	char line_buf[SOURCE_LINE_MAX_BYTES];
	struct dla_buf path = DLA_BUF_INIT;
	size_t line_len = 0;

	if (file[0] == '\0') {
		fprintf(out, "dla: %s: ", sev);
		fputs_clean(out, diag->message);
		fputc('\n', out);
		return;
	}
	fputs_clean(out, file);
	if (diag->line > 0) {
		fprintf(out, ":%d", diag->line);
		if (diag->col > 0)
			fprintf(out, ":%d", diag->col);
	}
	fprintf(out, ": %s: ", sev);
	fputs_clean(out, diag->message);
	fputc('\n', out);
	if (diag->line <= 0)
		return;

	if (file[0] != '/') {
		dla_buf_adds(&path, project_dir ? project_dir : ".");
		dla_buf_addch(&path, '/');
	}
	dla_buf_adds(&path, file);
	if (!dla_buf_failed(&path) &&
	    read_source_line(path.buf, diag->line, line_buf, &line_len)) {
		fputs("    ", out);
		dla_fputs_sanitized(out, line_buf, line_len, SOURCE_LINE_MAX_CHARS);
		fputc('\n', out);
		if (diag->col > 0) {
			int pad = diag->col - 1;
			if (pad > SOURCE_LINE_MAX_CHARS)
				pad = SOURCE_LINE_MAX_CHARS;
			fprintf(out, "    %*s^\n", pad, "");
		}
	}
	dla_buf_release(&path);
}

void dla_diags_print(FILE *out, struct dla_diags *d, const char *project_dir)
{
	dla_diags_sort(d);
	for (size_t i = 0; i < d->n; i++)
		dla_diag_print(out, &d->items[i], project_dir);
	if (d->nomem)
		fputs("dla: error: out of memory (some diagnostics were lost)\n", out);
	if (d->n_errors > 0)
		fprintf(out, "dla: %zu error%s, %zu warning%s\n",
			d->n_errors, d->n_errors == 1 ? "" : "s",
			d->n_warnings, d->n_warnings == 1 ? "" : "s");
}
