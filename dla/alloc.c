/* alloc.c - libdla's allocator wrappers with fault injection for tests. */
#include "alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static unsigned long fail_after;  /* 0 = disarmed */
static unsigned long alloc_count;
static int fail_once;             /* only allocation fail_after fails */

static int should_fail(void)
{
	alloc_count++;
	if (fail_after == 0)
		return 0;
	return fail_once ? alloc_count == fail_after : alloc_count >= fail_after;
}

void dla_alloc_fail_after(unsigned long n)
{
	fail_after = n;
	fail_once = 0;
	alloc_count = 0;
}

void dla_alloc_fail_once(unsigned long n)
{
	fail_after = n;
	fail_once = 1;
	alloc_count = 0;
}

unsigned long dla_alloc_count(void)
{
	return alloc_count;
}

void *dla_malloc(size_t size)
{
	if (should_fail())
		return NULL;
	return malloc(size ? size : 1);
}

void *dla_calloc(size_t count, size_t size)
{
	if (size && count > SIZE_MAX / size)
		return NULL;
	if (should_fail())
		return NULL;
	return calloc(count ? count : 1, size ? size : 1);
}

void *dla_realloc(void *ptr, size_t size)
{
	if (should_fail())
		return NULL;
	return realloc(ptr, size ? size : 1);
}

char *dla_strndup(const char *s, size_t n)
{
	char *copy = dla_malloc(n + 1);
	if (!copy)
		return NULL;
	memcpy(copy, s, n);
	copy[n] = '\0';
	return copy;
}

char *dla_strdup(const char *s)
{
	return dla_strndup(s, strlen(s));
}

void dla_free(void *ptr)
{
	free(ptr);
}

int dla_grow(void **items, size_t *cap, size_t need, size_t elem_size)
{
	size_t new_cap;
	void *grown;

	if (need <= *cap)
		return 0;
	new_cap = *cap ? *cap : 8;
	while (new_cap < need) {
		if (new_cap > SIZE_MAX / 2)
			return -1;
		new_cap *= 2;
	}
	if (elem_size && new_cap > SIZE_MAX / elem_size)
		return -1;
	grown = dla_realloc(*items, new_cap * elem_size);
	if (!grown)
		return -1;
	*items = grown;
	*cap = new_cap;
	return 0;
}
