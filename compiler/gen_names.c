/*
 * gen_names.c: the names of values in <name>.c, so that a program can
 * print NOT_FOUND rather than "remote error 1": <enum>_name for each enum,
 * <bits>_format for each bits type (the member names joined by '|').
 */
#include "gen.h"

static void gen_enum_name(compilation *c, emitter *e, decl *d)
{
	emit(e, "/* %s %s (%s) */\n", ast_decl_kind_name(d->kind), d->name, gen_where(c, d->loc));
	emit(e, "const char *%s(%s v)\n{\n", d->cnames.to_name, d->c_name);
	emit(e, "\tswitch (v) {\n");
	for (member *m = d->members; m != NULL; m = m->next) {
		emit(e, "\tcase %s:\n", m->c_macro);
		emit(e, "\t\treturn \"%s\";\n", m->name);
	}
	emit(e, "\tdefault:\n\t\treturn NULL;\n\t}\n}\n\n");
}

static void gen_bits_format(compilation *c, emitter *e, decl *d)
{
	arena *a = &c->arena;
	emit(e, "/* %s %s (%s) */\n", ast_decl_kind_name(d->kind), d->name, gen_where(c, d->loc));
	emit(e, "size_t %s(%s v, char *buf, size_t size)\n{\n", d->cnames.format, d->c_name);
	emit(e, "\tidl_bits_text t = {.buf = buf, .size = size, .v = v, .left = v};\n");
	for (member *m = d->members; m != NULL; m = m->next) {
		const char *args[] = {"&t", m->c_macro, arena_printf(a, "\"%s\"", m->name)};
		emit_wrapped(e, 1, "idl_bits_name(", args, 3, ");\n");
	}
	emit(e, "\treturn idl_bits_end(&t);\n}\n\n");
}

void gen_names(compilation *c, file *f, emitter *e)
{
	for (decl *d = f->decls; d != NULL; d = d->next) {
		if (d->kind == DECL_ENUM)
			gen_enum_name(c, e, d);
		else if (d->kind == DECL_BITS)
			gen_bits_format(c, e, d);
	}
}
