/*
 * buf.h - a growable, always NUL-terminated byte buffer (git's strbuf).
 *
 * Life cycle: struct dla_buf b = DLA_BUF_INIT; ... dla_buf_release(&b);
 * Invariants: b.buf is never NULL after init (points at a static "" while
 * nothing is allocated), b.buf[b.len] == '\0'.
 * Sticky errors: when an allocation fails the buffer keeps its old content,
 * sets b.failed and ignores further appends; check dla_buf_failed() once at
 * the end instead of after every append.
 */
#ifndef DLA_BUF_H
#define DLA_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct dla_buf {
	char *buf;
	size_t len;
	size_t alloc;   /* 0 while buf points at the static empty string */
	bool failed;
};

extern char dla_buf_empty[];
#define DLA_BUF_INIT { dla_buf_empty, 0, 0, false }

void dla_buf_init(struct dla_buf *b);
/* Frees the contents and re-initialises b. */
void dla_buf_release(struct dla_buf *b);
/* Returns the malloc'd string (caller frees with dla_free) and re-initialises
 * b; NULL when an allocation failed. */
char *dla_buf_detach(struct dla_buf *b);
void dla_buf_reset(struct dla_buf *b);   /* len = 0, keeps the allocation */
void dla_buf_truncate(struct dla_buf *b, size_t len);

void dla_buf_add(struct dla_buf *b, const void *data, size_t len);
void dla_buf_adds(struct dla_buf *b, const char *s);
void dla_buf_addch(struct dla_buf *b, char c);
void dla_buf_addf(struct dla_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void dla_buf_vaddf(struct dla_buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static inline bool dla_buf_failed(const struct dla_buf *b) { return b->failed; }

#endif
