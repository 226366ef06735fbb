/*
 * ast.c: node constructors and facts about the built-in types.
 */
#include "ast.h"
#include "suggest.h"

#include <string.h>

file *ast_file(arena *a, const char *path, uint32_t source)
{
	file *f = arena_alloc(a, sizeof(file));
	f->path = path;
	f->source = source;
	return f;
}

import *ast_import(arena *a, loc at, const char *path){import *imp = arena_alloc(a, sizeof(import));
imp->path = path;
imp->loc = at;
return imp;
}

attribute *ast_attribute(arena *a, loc at, const char *name, expr *arg)
{
	attribute *attr = arena_alloc(a, sizeof(attribute));
	attr->name = name;
	attr->loc = at;
	attr->arg = arg;
	return attr;
}

decl *ast_decl(arena *a, file *f, loc at, decl_kind kind, const char *name)
{
	decl *d = arena_alloc(a, sizeof(decl));
	d->kind = kind;
	d->loc = at;
	d->name = name;
	d->file = f;
	return d;
}

member *ast_member(arena *a, loc at, const char *doc, const char *name, type *t, expr *value)
{
	member *m = arena_alloc(a, sizeof(member));
	m->loc = at;
	m->doc = doc;
	m->name = name;
	m->type = t;
	m->value = value;
	return m;
}

method *ast_method(arena *a, loc at, method_kind kind, const char *name, member *params)
{
	method *m = arena_alloc(a, sizeof(method));
	m->kind = kind;
	m->loc = at;
	m->name = name;
	m->params = params;
	return m;
}

reserved *ast_reserved(arena *a, loc at, const char *name, expr *value)
{
	reserved *r = arena_alloc(a, sizeof(reserved));
	r->loc = at;
	r->name = name;
	r->value = value;
	return r;
}

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

const char *ast_closest_generic_type(const char *word)
{
	static const char *const generic[] = {"string",   "bytes",  "vector", "packed",
	                                      "optional", "handle", "channel"};
	suggester g;
	suggest_init(&g, word);
	for (size_t i = 0; i < sizeof(generic) / sizeof(generic[0]); i++)
		suggest_consider(&g, generic[i]);
	return suggest_result(&g);
}

type *ast_variant_struct(const member *m)
{
	type *t = m->type;
	while (t->kind == TYPE_ARRAY)
		t = t->element;
	bool unnamed = t->kind == TYPE_OPTIONAL || t->kind == TYPE_VECTOR || t->kind == TYPE_PACKED;
	return unnamed ? t : NULL;
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
