/*
 * ast.c: node constructors and facts about the built-in types.
 */
#include "ast.h"

#include <string.h>

expr *ast_expr_int(arena *a, loc at, idl_int v)
{
	expr *e = arena_alloc(a, sizeof(expr));
	e->kind = EXPR_INT;
	e->loc = at;
	e->literal = v;
	return e;
}

expr *ast_expr_name(arena *a, loc at, const char *qualifier, const char *name)
{
	expr *e = arena_alloc(a, sizeof(expr));
	e->kind = EXPR_NAME;
	e->loc = at;
	e->qualifier = qualifier;
	e->name = name;
	return e;
}

expr *ast_expr_unary(arena *a, loc at, int op, expr *operand)
{
	expr *e = arena_alloc(a, sizeof(expr));
	e->kind = EXPR_UNARY;
	e->loc = at;
	e->op = op;
	e->left = operand;
	return e;
}

expr *ast_expr_binary(arena *a, loc at, int op, expr *l, expr *r)
{
	expr *e = arena_alloc(a, sizeof(expr));
	e->kind = EXPR_BINARY;
	e->loc = at;
	e->op = op;
	e->left = l;
	e->right = r;
	return e;
}

type *ast_type(arena *a, loc at, type_kind kind)
{
	type *t = arena_alloc(a, sizeof(type));
	t->kind = kind;
	t->loc = at;
	return t;
}

loc ast_loc_span(loc first, loc last)
{
	return (loc){.file = first.file, .begin = first.begin, .end = last.end};
}

const char *ast_int_kind_name(int_kind k)
{
	static const char *const names[] = {"u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64"};
	return names[k];
}

unsigned ast_int_kind_bytes(int_kind k)
{
	static const unsigned bytes[] = {1, 2, 4, 8, 1, 2, 4, 8};
	return bytes[k];
}

bool ast_int_kind_signed(int_kind k)
{
	return k >= INT_I8;
}

idl_int ast_int_kind_min(int_kind k)
{
	if (!ast_int_kind_signed(k))
		return 0;
	return -((idl_int)1 << (ast_int_kind_bytes(k) * 8 - 1));
}

idl_int ast_int_kind_max(int_kind k)
{
	unsigned bits = ast_int_kind_bytes(k) * 8;
	if (ast_int_kind_signed(k))
		bits--;
	return ((idl_int)1 << bits) - 1;
}

const char *ast_handle_kind_name(handle_kind k)
{
	static const char *const names[] = {"any", "shm",    "channel", "mmio",
	                                    "irq", "ioport", "dma"};
	return names[k];
}

const char *ast_decl_kind_name(decl_kind k)
{
	static const char *const names[] = {"const",  "enum",  "bits",
	                                    "struct", "union", "interface"};
	return names[k];
}

attribute *ast_find_attr(attribute *list, const char *name)
{
	for (attribute *a = list; a != NULL; a = a->next)
		if (strcmp(a->name, name) == 0)
			return a;
	return NULL;
}

bool ast_is_flexible_union(const decl *d)
{
	return d->kind == DECL_UNION && d->flexible;
}
