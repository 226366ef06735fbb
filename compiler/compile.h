/*
 * compile.h: one compilation: the files it reads and the stages it runs.
 *
 * The pipeline is load (read, parse, follow imports) -> sema (resolve and
 * check) -> layout (sizes and offsets) -> the generators. Each stage reads
 * what the previous one built and reports through diag; a stage that finds
 * errors stops the pipeline before code generation.
 */
#ifndef IDLC_COMPILE_H
#define IDLC_COMPILE_H

#include "ast.h"

typedef struct compilation {
	arena arena;
	diag_ctx diag;
	const char **include_dirs;
	size_t include_count;
	file *files;  /* every file read, imports included, in load order */
	file **roots; /* the files named on the command line */
	size_t root_count;
	const char **dependencies; /* every path read, for the depfile */
	size_t dependency_count;
	size_t dependency_capacity;
} compilation;

void compile_init(compilation *c, FILE *diag_out);
void compile_free(compilation *c);

/* load.c: reads a file named on the command line and all it imports. */
file *load_root(compilation *c, const char *path);
/* Registers in-memory text as a root file (tests and the fuzzer). */
file *load_root_text(compilation *c, const char *path, const char *text, size_t size);

/* sema.c: resolves names, evaluates constants, checks every rule. */
void sema_check(compilation *c);
/* Mapping of .idl names to C names, shared by sema and the generators. */
const char *sema_snake_case(arena *a, const char *name);
const char *sema_upper_case(arena *a, const char *name);

/* layout.c: wire sizes, alignments and offsets; message size limits. */
void layout_compute(compilation *c);

/* Runs load, sema and layout on the roots; true when there were no errors. */
bool compile_front_end(compilation *c);

#endif
