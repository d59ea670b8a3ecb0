/*
 * diag_print.c - prints diagnostics as "file:line:col: error: message" with
 * the source line and a caret, and the error/warning summary line.  A
 * source line holding an ODBC secret (a password written into a connection
 * string of dla.yml) is shown with the secret replaced by "***".
 */
#include "diag_print.h"
#include "alloc.h"
#include "buf.h"
#include "redact.h"

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

/*
 * The source line as it may be shown: secrets of ODBC "key=value" pairs in
 * it (redact.h: "Pwd=...", "password=...") replaced by DLA_REDACTED, so an
 * error in dla.yml next to a connection string never echoes a password.
 * *same_chars is the number of leading characters left unchanged (the caret
 * is shown only under them).  Values made only of ${VAR} references are
 * kept.  NULL when out of memory (show nothing then).
 * Caller frees with dla_free.
 */
/* True when s[0..n) is one or more ${VAR} / ${VAR:-default} references
 * whose defaults are empty or references again: no secret is written there
 * (the usual `Pwd=${PGPASSWORD}`), so the line is shown as written. */
static bool only_references(const char *s, size_t n)
{
	size_t i = 0;

	if (n == 0)
		return false;
	while (i < n) {
		size_t start, depth = 1;
		if (n - i < 3 || s[i] != '$' || s[i + 1] != '{')
			return false;
		i += 2;
		while (i < n && (s[i] == '_' || (s[i] >= 'A' && s[i] <= 'Z') ||
				 (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9')))
			i++;
		if (i < n && s[i] == '}') {
			i++;
			continue;
		}
		if (n - i < 2 || s[i] != ':' || s[i + 1] != '-')
			return false;
		i += 2;
		start = i;
		for (; i < n && depth; i++)
			depth += s[i] == '{' ? 1 : s[i] == '}' ? (size_t)-1 : 0;
		if (depth)
			return false;
		if (i - 1 > start && !only_references(s + start, i - 1 - start))
			return false;
	}
	return true;
}

/* True when every secret value in line (as dla_connection_secrets reads
 * it) is only references; a value may end in the YAML string's quote. */
static bool secrets_are_references(const char *line)
{
	char **secrets;
	size_t n, i;
	bool refs = true;

	if (dla_connection_secrets(line, &secrets, &n) != DLA_OK)
		return false;
	for (i = 0; i < n && refs; i++) {
		size_t len = strlen(secrets[i]);
		while (len && (secrets[i][len - 1] == '"' || secrets[i][len - 1] == '\'' ||
			       secrets[i][len - 1] == ' ' || secrets[i][len - 1] == '\t'))
			len--;
		refs = only_references(secrets[i], len);
	}
	dla_secrets_free(secrets, n);
	return refs;
}

static char *shown_line(const char *line, size_t len, size_t *same_chars)
{
	char *copy = dla_malloc(len + 1), *red;
	size_t i, chars = 0;

	if (!copy)
		return NULL;
	for (i = 0; i < len; i++)   /* a NUL would hide the rest (shown as '?') */
		copy[i] = line[i] ? line[i] : '?';
	copy[len] = '\0';
	if (secrets_are_references(copy)) {
		*same_chars = (size_t)-1;
		return copy;
	}
	red = dla_redact_connection(copy);
	if (!red) {
		dla_free(copy);
		return NULL;
	}
	for (i = 0; copy[i] && copy[i] == red[i]; i++)
		if (((unsigned char)copy[i] & 0xC0) != 0x80)
			chars++;
	*same_chars = copy[i] == red[i] ? (size_t)-1 : chars;
	dla_free(copy);
	return red;
}

void dla_diag_print(FILE *out, const struct dla_diag *diag,
		    const char *project_dir)
{
	const char *sev = diag->severity == DLA_SEV_ERROR ? "error" : "warning";
	const char *file = diag->file ? diag->file : "";
	char line_buf[SOURCE_LINE_MAX_BYTES];
	struct dla_buf path = DLA_BUF_INIT;
	size_t line_len = 0, same_chars = 0;
	char *shown;

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
	    read_source_line(path.buf, diag->line, line_buf, &line_len) &&
	    (shown = shown_line(line_buf, line_len, &same_chars)) != NULL) {
		fputs("    ", out);
		dla_fputs_sanitized(out, shown, strlen(shown), SOURCE_LINE_MAX_CHARS);
		fputc('\n', out);
		dla_free(shown);
		if (diag->col > 0 && (size_t)diag->col - 1 <= same_chars) {
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
