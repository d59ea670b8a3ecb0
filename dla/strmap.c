/* strmap.c - string-keyed open-addressing hash map (FNV-1a, linear probing). */
#include "strmap.h"
#include "alloc.h"

#include <ctype.h>
#include <string.h>

void dla_strmap_init(struct dla_strmap *m, bool nocase)
{
	m->slots = NULL;
	m->n = m->cap = 0;
	m->nocase = nocase;
}

void dla_strmap_release(struct dla_strmap *m)
{
	dla_free(m->slots);
	dla_strmap_init(m, m->nocase);
}

static size_t hash_key(const char *key, size_t len, bool nocase)
{
	size_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)key[i];
		if (nocase)
			c = (unsigned char)tolower(c);
		h ^= c;
		h *= 1099511628211ULL;
	}
	return h;
}

static bool key_equal(const char *stored, const char *key, size_t len, bool nocase)
{
	if (nocase) {
		for (size_t i = 0; i < len; i++)
			if (!stored[i] || tolower((unsigned char)stored[i]) !=
					  tolower((unsigned char)key[i]))
				return false;
		return stored[len] == '\0';
	}
	return strncmp(stored, key, len) == 0 && stored[len] == '\0';
}

static struct dla_strmap_slot *find_slot(const struct dla_strmap *m,
					 const char *key, size_t len)
{
	size_t mask = m->cap - 1;
	size_t i = hash_key(key, len, m->nocase) & mask;

	while (m->slots[i].key && !key_equal(m->slots[i].key, key, len, m->nocase))
		i = (i + 1) & mask;
	return &m->slots[i];
}

static int rehash(struct dla_strmap *m, size_t new_cap)
{
	struct dla_strmap_slot *old = m->slots;
	size_t old_cap = m->cap;

	m->slots = dla_calloc(new_cap, sizeof(*m->slots));
	if (!m->slots) {
		m->slots = old;
		return -1;
	}
	m->cap = new_cap;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i].key)
			*find_slot(m, old[i].key, strlen(old[i].key)) = old[i];
	dla_free(old);
	return 0;
}

int dla_strmap_put_new(struct dla_strmap *m, const char *key, size_t value,
		       size_t *existing)
{
	struct dla_strmap_slot *slot;

	if ((m->n + 1) * 4 > m->cap * 3 && rehash(m, m->cap ? m->cap * 2 : 16))
		return -1;
	slot = find_slot(m, key, strlen(key));
	if (slot->key) {
		if (existing)
			*existing = slot->value;
		return 0;
	}
	slot->key = key;
	slot->value = value;
	m->n++;
	return 1;
}

int dla_strmap_put(struct dla_strmap *m, const char *key, size_t value)
{
	struct dla_strmap_slot *slot;
	int rc = dla_strmap_put_new(m, key, value, NULL);

	if (rc != 0)
		return rc < 0 ? -1 : 0;
	slot = find_slot(m, key, strlen(key));
	slot->value = value;
	return 0;
}

bool dla_strmap_getn(const struct dla_strmap *m, const char *key, size_t len,
		     size_t *value)
{
	const struct dla_strmap_slot *slot;

	if (!m->cap)
		return false;
	slot = find_slot(m, key, len);
	if (!slot->key)
		return false;
	if (value)
		*value = slot->value;
	return true;
}

bool dla_strmap_get(const struct dla_strmap *m, const char *key, size_t *value)
{
	return dla_strmap_getn(m, key, strlen(key), value);
}
