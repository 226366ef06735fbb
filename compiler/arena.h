/*
 * arena.h: the compiler's one allocation strategy.
 *
 * Everything idlc builds (tokens, AST, IR, output text) lives in one arena
 * that is freed once, when the compilation ends. No node is freed on its
 * own, so the parser needs no destructors and error paths leak nothing.
 */
#ifndef IDLC_ARENA_H
#define IDLC_ARENA_H

#include <stddef.h>

typedef struct arena_block arena_block;

typedef struct arena {
	arena_block *head;
	size_t total_bytes;
} arena;

/* Returns zeroed memory; exits with a message when the system is out of memory. */
void *arena_alloc(arena *a, size_t bytes);
char *arena_strndup(arena *a, const char *s, size_t n);
char *arena_strdup(arena *a, const char *s);
/* printf into the arena. */
char *arena_printf(arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void arena_free(arena *a);

#endif
