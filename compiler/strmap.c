/*
 * strmap.c: open addressing with linear probing; FNV-1a hashes.
 */
#include "strmap.h"

#include <stdint.h>
#include <string.h>

static uint64_t hash(const char *s)
{
	uint64_t h = 14695981039346656037u;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211u;
	}
	return h;
}

void strmap_init(strmap *m, arena *a)
{
	memset(m, 0, sizeof(*m));
	m->arena = a;
}

void *strmap_get(const strmap *m, const char *key)
{
	if (m->capacity == 0)
		return NULL;
	for (size_t i = hash(key) & (m->capacity - 1);; i = (i + 1) & (m->capacity - 1)) {
		if (m->entries[i].key == NULL)
			return NULL;
		if (strcmp(m->entries[i].key, key) == 0)
			return m->entries[i].value;
	}
}

static void grow(strmap *m)
{
	size_t cap = m->capacity ? m->capacity * 2 : 64;
	strmap_entry *old = m->entries;
	size_t old_cap = m->capacity;
	m->entries = arena_alloc(m->arena, cap * sizeof(*m->entries));
	m->capacity = cap;
	m->count = 0;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i].key != NULL)
			strmap_put(m, old[i].key, old[i].value);
}

void *strmap_put(strmap *m, const char *key, void *value)
{
	if ((m->count + 1) * 2 > m->capacity)
		grow(m);
	for (size_t i = hash(key) & (m->capacity - 1);; i = (i + 1) & (m->capacity - 1)) {
		if (m->entries[i].key == NULL) {
			m->entries[i].key = key;
			m->entries[i].value = value;
			m->count++;
			return value;
		}
		if (strcmp(m->entries[i].key, key) == 0)
			return m->entries[i].value;
	}
}
