/*
 * strmap.h - open-addressing hash map from C strings to size_t values.
 *
 * Used for name resolution (relations, node names) so a 10,000-spec project
 * resolves in linear time.  Keys are NOT copied: they must outlive the map
 * (in practice they live in the project arena).  Lookups can be
 * case-insensitive (ASCII) when the map is initialised with nocase = true,
 * which is how unquoted SQL identifiers compare.
 */
#ifndef DLA_STRMAP_H
#define DLA_STRMAP_H

#include <stdbool.h>
#include <stddef.h>

struct dla_strmap_slot {
	const char *key;  /* NULL = empty */
	size_t value;
};

struct dla_strmap {
	struct dla_strmap_slot *slots;
	size_t n, cap;    /* cap is 0 or a power of two */
	bool nocase;
};

void dla_strmap_init(struct dla_strmap *m, bool nocase);
void dla_strmap_release(struct dla_strmap *m);

/* Inserts or replaces.  Returns 0, or -1 on allocation failure. */
int dla_strmap_put(struct dla_strmap *m, const char *key, size_t value);
/* Inserts only if absent; *existing receives the old value if present.
 * Returns 1 if inserted, 0 if the key existed, -1 on allocation failure. */
int dla_strmap_put_new(struct dla_strmap *m, const char *key, size_t value,
		       size_t *existing);
/* Returns true and sets *value when found. */
bool dla_strmap_get(const struct dla_strmap *m, const char *key, size_t *value);
/* Same with an explicit length (key need not be NUL-terminated). */
bool dla_strmap_getn(const struct dla_strmap *m, const char *key, size_t len,
		     size_t *value);

#endif
