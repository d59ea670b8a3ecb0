/* diag.c - collection of file:line:col diagnostics and "did you mean". */
#include "diag.h"
#include "alloc.h"
#include "buf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

void dla_diags_init(struct dla_diags *d)
{
	memset(d, 0, sizeof(*d));
}

void dla_diags_release(struct dla_diags *d)
{
	for (size_t i = 0; i < d->n; i++) {
		dla_free(d->items[i].file);
		dla_free(d->items[i].message);
	}
	dla_free(d->items);
	dla_diags_init(d);
}

void dla_diag_vadd(struct dla_diags *d, enum dla_severity sev,
		   const char *file, int line, int col, const char *fmt, va_list ap)
{
	struct dla_buf msg = DLA_BUF_INIT;
	struct dla_diag *item;
	char *file_copy, *text;

	dla_buf_vaddf(&msg, fmt, ap);
	text = dla_buf_detach(&msg);
	file_copy = dla_strdup(file ? file : "");
	if (!text || !file_copy ||
	    dla_grow((void **)&d->items, &d->cap, d->n + 1, sizeof(*d->items))) {
		dla_free(text);
		dla_free(file_copy);
		d->nomem = true;
		return;
	}
	item = &d->items[d->n++];
	item->severity = sev;
	item->file = file_copy;
	item->line = line;
	item->col = col;
	item->message = text;
	if (sev == DLA_SEV_ERROR)
		d->n_errors++;
	else
		d->n_warnings++;
}

void dla_diag_add(struct dla_diags *d, enum dla_severity sev,
		  const char *file, int line, int col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	dla_diag_vadd(d, sev, file, line, col, fmt, ap);
	va_end(ap);
}

static int diag_cmp(const struct dla_diag *a, const struct dla_diag *b)
{
	int c = strcmp(a->file, b->file);
	if (c)
		return c;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	if (a->col != b->col)
		return a->col < b->col ? -1 : 1;
	return 0;
}

void dla_diags_sort(struct dla_diags *d)
{
	/* insertion sort: stable, and diagnostic lists are short */
	for (size_t i = 1; i < d->n; i++) {
		struct dla_diag key = d->items[i];
		size_t j = i;
		while (j > 0 && diag_cmp(&d->items[j - 1], &key) > 0) {
			d->items[j] = d->items[j - 1];
			j--;
		}
		d->items[j] = key;
	}
}

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t row[65];

	if (la > 64 || lb > 64)
		return (size_t)-1;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t cost = tolower((unsigned char)a[i - 1]) ==
				      tolower((unsigned char)b[j - 1]) ? 0 : 1;
			size_t best = diag + cost;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			if (up + 1 < best)
				best = up + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

const char *dla_closest_word(const char *word, const char *const *candidates,
			     size_t n_candidates)
{
	const char *best = NULL;
	size_t best_dist = (size_t)-1, len = strlen(word);

	for (size_t i = 0; i < n_candidates; i++) {
		size_t dist = edit_distance(word, candidates[i]);
		if (dist < best_dist) {
			best_dist = dist;
			best = candidates[i];
		}
	}
	if (best && best_dist <= 2 && best_dist * 2 < len)
		return best;
	return NULL;
}
