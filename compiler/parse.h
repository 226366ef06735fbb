/*
 * parse.h: the front end's entry point: source text to a file's AST.
 *
 * The scanner (lexer.l) and the parser (parser.y) share a parse_ctx. The
 * parser reports syntax errors through diag and recovers at declaration and
 * member boundaries, so one typo gives one error.
 */
#ifndef IDLC_PARSE_H
#define IDLC_PARSE_H

#include "ast.h"

typedef struct parse_ctx {
	arena *arena;
	diag_ctx *diag;
	file *file;
	uint32_t source;
	/* The scanner's own state. */
	uint32_t offset; /* scanner position, in bytes from the start of the source */
	loc comment_start;
	/* The parser's: parse.c keeps it from the tokens the parser is given,
	 * for syntax errors. The scanner neither reads nor writes it. */
	/* The braces still open, so an error can say what a '}' would close. */
	loc *open_braces;
	const char **open_what;
	size_t brace_depth;
	size_t brace_capacity;
	/* The last declaration keyword and name seen, to describe a '{'. */
	const char *last_keyword;
	const char *last_name;
	bool expect_name;
	/* The last three tokens the parser was given, the last one first. */
	int last_token, previous_token, earlier_token;
	loc last_loc, previous_loc, earlier_loc;
} parse_ctx;

/* Parses the registered source `source` into a new file node. Never fails:
 * errors are reported through diag and the result holds what could be read. */
file *parse_file(arena *a, diag_ctx *d, const char *path, uint32_t source);

#endif
