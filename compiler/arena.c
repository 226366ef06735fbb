/*
 * arena.c: bump allocation in large blocks, all freed at once.
 */
#include "arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_BLOCK_BYTES (64u * 1024u)

struct arena_block {
	arena_block *next;
	size_t used;
	size_t capacity;
	_Alignas(16) unsigned char data[];
};

static arena_block *new_block(size_t capacity)
{
	arena_block *b = malloc(sizeof(*b) + capacity);
	if (b == NULL) {
		fputs("idlc: fatal: out of memory\n", stderr);
		exit(2);
	}
	b->next = NULL;
	b->used = 0;
	b->capacity = capacity;
	return b;
}

void *arena_alloc(arena *a, size_t bytes)
{
	size_t need = (bytes + 15u) & ~(size_t)15u;
	if (need < bytes) {
		fputs("idlc: fatal: allocation too large\n", stderr);
		exit(2);
	}
	if (need > ARENA_BLOCK_BYTES / 4) {
		/* A large request gets a block of its own, kept behind the head so
		 * that small requests go on filling the current block. */
		arena_block *b = new_block(need);
		b->used = need;
		if (a->head != NULL) {
			b->next = a->head->next;
			a->head->next = b;
		} else {
			a->head = b;
		}
		a->total_bytes += need;
		memset(b->data, 0, need);
		return b->data;
	}
	if (a->head == NULL || a->head->capacity - a->head->used < need) {
		arena_block *b = new_block(ARENA_BLOCK_BYTES);
		b->next = a->head;
		a->head = b;
		a->total_bytes += ARENA_BLOCK_BYTES;
	}
	void *p = a->head->data + a->head->used;
	a->head->used += need;
	memset(p, 0, need);
	return p;
}

char *arena_strndup(arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *arena_strdup(arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *arena_printf(arena *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return arena_strdup(a, "");
	char *p = arena_alloc(a, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

void arena_free(arena *a)
{
	arena_block *b = a->head;
	while (b != NULL) {
		arena_block *next = b->next;
		free(b);
		b = next;
	}
	a->head = NULL;
	a->total_bytes = 0;
}
