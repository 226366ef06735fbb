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
/* Reads a whole file into the arena; reports why it cannot. */
bool load_read_file(compilation *c, loc at, const char *path, char **text, size_t *size);
/* Adds a file to the files named on the command line. */
void load_add_root(compilation *c, file *f);

/*
 * ir_load.c: reads idlc's JSON IR (--emit=json) back into files and
 * declarations, checked and laid out as the front end leaves them, as far
 * as the compatibility checker needs; the first file is the root. False
 * after reporting what is wrong with the file.
 */
bool ir_load(compilation *c, const char *path);

/* The IR's schema version (docs/json-ir.md), which gen_json writes and
 * ir_load requires. Raised when a key changes meaning: 3 since wire format
 * 3, whose 16-byte header moved every message's offsets and inline sizes;
 * 4 since wire format 4, whose parameters fill padding before them; 5
 * since wire format 5, which added the type kind "packed". */
#define IR_VERSION 5

/*
 * compat.c: what in `now` (a new version of a description) breaks peers
 * built from `before` (an old one): each change is a diagnostic of `now`
 * with its code, an error when it breaks the wire, a warning when it
 * breaks only the generated C API (a rename). Notes point at `before`.
 * Both have been through the front end (or ir_load).
 */
void compat_check(compilation *before, compilation *now);

/* sema.c: resolves names, evaluates constants, checks every rule. */
void sema_check(compilation *c);

/* c_names.c, called by sema: stores every C name the generators write in
 * the AST and reports two declarations that would produce one. */
void c_names_compute(compilation *c);
/* How a .idl name becomes part of a C name: "DirEntry" -> "dir_entry". */
const char *c_names_snake_case(arena *a, const char *name);
/* The same in capitals: "DirEntry" -> "DIR_ENTRY". */
const char *c_names_upper_case(arena *a, const char *name);

/* layout.c: wire sizes, alignments and offsets; message size limits. */
void layout_compute(compilation *c);
/* The most bytes a packed record of a value of type t takes (a type that a
 * record can hold: sema checked it). */
uint64_t layout_record_max(const type *t);
/* The most bytes the records of packed<T, N> take: N of T's largest. */
uint64_t layout_records_max(const type *packed);

/* Runs load, sema and layout on the roots; true when there were no errors. */
bool compile_front_end(compilation *c);

#endif
