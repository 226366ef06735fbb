/*
 * compile.c: sets up a compilation and runs the front end's stages.
 */
#include "compile.h"

#include <string.h>

void compile_init(compilation *c, FILE *diag_out)
{
	memset(c, 0, sizeof(*c));
	diag_init(&c->diag, &c->arena, diag_out);
}

void compile_free(compilation *c)
{
	arena_free(&c->arena);
}

bool compile_front_end(compilation *c)
{
	/* Sema runs after syntax errors too (the parser recovered), so one run
	 * reports both; only a complete, clean AST is laid out. */
	if (diag_too_many(&c->diag))
		return false;
	sema_check(c);
	if (c->diag.errors)
		return false;
	layout_compute(c);
	return c->diag.errors == 0;
}
