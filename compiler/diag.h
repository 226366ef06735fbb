/*
 * diag.h: the compiler's one way to report a problem.
 *
 * Sources are registered here and referred to by index; a location is a
 * byte range in one source. Line and column are worked out only when a
 * diagnostic is printed, in the form gcc and clang use:
 *
 *   fs.idl:4:9: error: unknown name 'Sttat'; did you mean 'Stat'? [unknown-name]
 *       4 |     st: Sttat;
 *         |         ^~~~~
 */
#ifndef IDLC_DIAG_H
#define IDLC_DIAG_H

#include "arena.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct loc {
	uint32_t file; /* index into the diag context's sources; 0 means no location */
	uint32_t begin;
	uint32_t end; /* one past the last byte */
} loc;

typedef struct source {
	const char *path;
	const char *text; /* NUL-terminated copy; may hold NUL bytes before size */
	size_t size;
	size_t *line_starts; /* the offset of each line's first byte, ascending */
	size_t line_count;
} source;

typedef struct diag_ctx {
	arena *arena;
	source *sources; /* sources[0] is a placeholder for "no file" */
	uint32_t source_count;
	uint32_t source_capacity;
	unsigned errors;
	unsigned warnings;
	unsigned max_errors; /* stop reporting (and compiling) after this many */
	bool warnings_are_errors;
	FILE *out;
} diag_ctx;

void diag_init(diag_ctx *d, arena *a, FILE *out);
uint32_t diag_add_source(diag_ctx *d, const char *path, const char *text, size_t size);
const source *diag_source(const diag_ctx *d, uint32_t file);
/* Works out the 1-based line and byte column of an offset. */
void diag_line_col(const diag_ctx *d, loc at, unsigned *line, unsigned *col);

/*
 * Every error and warning has a code, a stable name printed after the
 * message (`[unknown-name]`) and explained in docs/diagnostics.md (the
 * compatibility checker's in docs/evolution.md), so that a user can look it
 * up and a test can tell one diagnostic from another. Notes add to the
 * diagnostic before them and have none.
 */
void diag_error(diag_ctx *d, const char *code, loc at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void diag_warning(diag_ctx *d, const char *code, loc at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void diag_note(diag_ctx *d, loc at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* True once max_errors was reached: callers stop early instead of cascading. */
bool diag_too_many(const diag_ctx *d);

#endif
