/*
 * strmap.h: a string-keyed hash map in the arena, for symbol tables.
 *
 * Lookups must stay cheap however large the input: a file with a hundred
 * thousand declarations is bad input, not a reason to hang.
 */
#ifndef IDLC_STRMAP_H
#define IDLC_STRMAP_H

#include "arena.h"

#include <stddef.h>

typedef struct strmap_entry {
	const char *key;
	void *value;
} strmap_entry;

typedef struct strmap {
	arena *arena;
	strmap_entry *entries;
	size_t capacity; /* a power of two */
	size_t count;
} strmap;

void strmap_init(strmap *m, arena *a);
void *strmap_get(const strmap *m, const char *key);
/* Stores key -> value unless key is present; returns the value now stored. */
void *strmap_put(strmap *m, const char *key, void *value);

#endif
