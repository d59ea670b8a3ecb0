/*
 * alloc.h - the only allocator libdla uses.
 *
 * All heap memory of the library goes through these functions so tests can
 * make the Nth allocation fail (SQLite's malloc fault tests).  They never
 * abort: a NULL return must be handled by the caller (DLA_ERR_NOMEM).
 * Memory from dla_malloc/dla_calloc/dla_realloc/dla_strdup is released with
 * dla_free (which is free(3); NULL is fine).
 */
#ifndef DLA_ALLOC_H
#define DLA_ALLOC_H

#include <stddef.h>

void *dla_malloc(size_t size);
void *dla_calloc(size_t count, size_t size);   /* checks count*size overflow */
void *dla_realloc(void *ptr, size_t size);
char *dla_strdup(const char *s);
char *dla_strndup(const char *s, size_t n);
void dla_free(void *ptr);

/*
 * Grow *items (an array of elem_size elements with *cap slots) so that it
 * holds at least need elements.  Doubles the capacity.  Returns 0, or -1 on
 * overflow/allocation failure (the array is unchanged then).
 */
int dla_grow(void **items, size_t *cap, size_t need, size_t elem_size);

/*
 * Fault injection, for tests only: after dla_alloc_fail_after(n), the n-th
 * following allocation (1-based) and all later ones fail until
 * dla_alloc_fail_after(0) disarms it.  dla_alloc_count() is the number of
 * allocations since the last call of dla_alloc_fail_after.  Not thread-safe:
 * use from single-threaded tests.
 */
void dla_alloc_fail_after(unsigned long n);
/* Like dla_alloc_fail_after(n), but only the n-th allocation fails: later
 * ones succeed again (a transient failure, which finds code that ignores a
 * failure and carries on).  dla_alloc_fail_after(0) disarms it. */
void dla_alloc_fail_once(unsigned long n);
unsigned long dla_alloc_count(void);

#endif
