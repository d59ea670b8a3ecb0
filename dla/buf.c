/* buf.c - growable NUL-terminated buffer used for SQL text and messages. */
#include "buf.h"
#include "alloc.h"

#include <stdio.h>
#include <string.h>

char dla_buf_empty[1];

void dla_buf_init(struct dla_buf *b)
{
	b->buf = dla_buf_empty;
	b->len = 0;
	b->alloc = 0;
	b->failed = false;
}

void dla_buf_release(struct dla_buf *b)
{
	if (b->alloc)
		dla_free(b->buf);
	dla_buf_init(b);
}

char *dla_buf_detach(struct dla_buf *b)
{
	char *out;

	if (b->failed) {
		dla_buf_release(b);
		return NULL;
	}
	out = b->alloc ? b->buf : dla_strdup("");
	dla_buf_init(b);
	return out;
}

void dla_buf_reset(struct dla_buf *b)
{
	dla_buf_truncate(b, 0);
}

void dla_buf_truncate(struct dla_buf *b, size_t len)
{
	if (len < b->len) {
		b->len = len;
		if (b->alloc)
			b->buf[len] = '\0';
	}
}

static bool reserve(struct dla_buf *b, size_t extra)
{
	size_t need, cap;
	char *grown;

	if (b->failed)
		return false;
	if (extra > (size_t)-1 - b->len - 1)
		goto fail;
	need = b->len + extra + 1;
	if (need <= b->alloc)
		return true;
	cap = b->alloc ? b->alloc : 64;
	while (cap < need) {
		if (cap > (size_t)-1 / 2)
			goto fail;
		cap *= 2;
	}
	grown = dla_realloc(b->alloc ? b->buf : NULL, cap);
	if (!grown)
		goto fail;
	if (!b->alloc)
		grown[0] = '\0';
	b->buf = grown;
	b->alloc = cap;
	return true;
fail:
	b->failed = true;
	return false;
}

void dla_buf_add(struct dla_buf *b, const void *data, size_t len)
{
	if (!reserve(b, len))
		return;
	memcpy(b->buf + b->len, data, len);
	b->len += len;
	b->buf[b->len] = '\0';
}

void dla_buf_adds(struct dla_buf *b, const char *s)
{
	dla_buf_add(b, s, strlen(s));
}

void dla_buf_addch(struct dla_buf *b, char c)
{
	dla_buf_add(b, &c, 1);
}

void dla_buf_vaddf(struct dla_buf *b, const char *fmt, va_list ap)
{
	va_list copy;
	int n;

	if (b->failed)
		return;
	va_copy(copy, ap);
	n = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (n < 0 || !reserve(b, (size_t)n))
		return;
	vsnprintf(b->buf + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void dla_buf_addf(struct dla_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	dla_buf_vaddf(b, fmt, ap);
	va_end(ap);
}
