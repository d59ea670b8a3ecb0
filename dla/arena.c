/* arena.c - bump allocator for project-lifetime data. */
#include "arena.h"
#include "alloc.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define BLOCK_MIN 16384

struct dla_arena_block {
	struct dla_arena_block *next;
	size_t used, size;
	alignas(max_align_t) unsigned char data[];
};

void dla_arena_init(struct dla_arena *a)
{
	a->head = NULL;
	a->total = 0;
}

void dla_arena_release(struct dla_arena *a)
{
	struct dla_arena_block *b = a->head, *next;

	while (b) {
		next = b->next;
		dla_free(b);
		b = next;
	}
	dla_arena_init(a);
}

void *dla_arena_alloc(struct dla_arena *a, size_t size)
{
	const size_t align = alignof(max_align_t);
	struct dla_arena_block *b = a->head;
	size_t rounded, block_size;
	void *p;

	if (size > SIZE_MAX - align)
		return NULL;
	rounded = (size + align - 1) & ~(align - 1);
	if (!rounded)
		rounded = align;
	if (!b || b->size - b->used < rounded) {
		block_size = rounded > BLOCK_MIN ? rounded : BLOCK_MIN;
		if (block_size > SIZE_MAX - sizeof(*b))
			return NULL;
		b = dla_malloc(sizeof(*b) + block_size);
		if (!b)
			return NULL;
		b->used = 0;
		b->size = block_size;
		b->next = a->head;
		a->head = b;
	}
	p = b->data + b->used;
	b->used += rounded;
	a->total += rounded;
	memset(p, 0, size);
	return p;
}

void *dla_arena_calloc(struct dla_arena *a, size_t count, size_t size)
{
	if (size && count > SIZE_MAX / size)
		return NULL;
	return dla_arena_alloc(a, count * size);
}

char *dla_arena_strndup(struct dla_arena *a, const char *s, size_t n)
{
	char *copy;

	if (n == SIZE_MAX)
		return NULL;
	copy = dla_arena_alloc(a, n + 1);
	if (!copy)
		return NULL;
	memcpy(copy, s, n);
	copy[n] = '\0';
	return copy;
}

char *dla_arena_strdup(struct dla_arena *a, const char *s)
{
	return dla_arena_strndup(a, s, strlen(s));
}

char *dla_arena_printf(struct dla_arena *a, const char *fmt, ...)
{
	va_list ap;
	int n;
	char *out;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	out = dla_arena_alloc(a, (size_t)n + 1);
	if (!out)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(out, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return out;
}
