/*
 * emit.h: writing generated text.
 *
 * An emitter is a growing buffer in the arena. Generated C must come out
 * clang-format clean under the repository's .clang-format, so long
 * declarations and calls are wrapped here the way clang-format wraps them:
 * as many arguments as fit, continuation lines aligned after the '('.
 */
#ifndef IDLC_EMIT_H
#define IDLC_EMIT_H

#include "arena.h"

#include <stddef.h>

#define EMIT_COLUMNS 100
/* Columns of one tab, as clang-format counts them. */
#define EMIT_TAB_COLUMNS 8

typedef struct emitter {
	arena *arena;
	char *text;
	size_t length;
	size_t capacity;
} emitter;

void emit_init(emitter *e, arena *a);
void emit(emitter *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Emits `indent` tabs, then head, the comma-separated args and tail,
 * wrapped at EMIT_COLUMNS with continuations aligned after head. */
void emit_wrapped(emitter *e, int indent, const char *head, const char *const *args, size_t count,
                  const char *tail);
/* Emits a run of "#define NAME VALUE" lines with the values aligned, as
 * clang-format's AlignConsecutiveMacros does. */
void emit_defines(emitter *e, const char *const *names, const char *const *values, size_t count);
/* Emits a comment block holding doc text, one " * " line per line. */
void emit_doc(emitter *e, int indent, const char *doc);

#endif
