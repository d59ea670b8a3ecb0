/*
 * arena.h - bump allocator owning everything of one loaded project.
 *
 * Specs, names and lists of a struct dla_project live in its arena and are
 * freed together by dla_arena_release(); nothing allocated here is freed
 * individually.  Allocation failure returns NULL (never aborts).
 */
#ifndef DLA_ARENA_H
#define DLA_ARENA_H

#include <stdarg.h>
#include <stddef.h>

struct dla_arena_block;

struct dla_arena {
	struct dla_arena_block *head;
	size_t total;    /* bytes handed out, for statistics */
};

#define DLA_ARENA_INIT { NULL, 0 }

void dla_arena_init(struct dla_arena *a);
void dla_arena_release(struct dla_arena *a);

/* Zeroed memory aligned for any type. */
void *dla_arena_alloc(struct dla_arena *a, size_t size);
void *dla_arena_calloc(struct dla_arena *a, size_t count, size_t size);
char *dla_arena_strdup(struct dla_arena *a, const char *s);
char *dla_arena_strndup(struct dla_arena *a, const char *s, size_t n);
char *dla_arena_printf(struct dla_arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
