/*
 * compat_type.c: the compatibility checker's comparison of two types (of a
 * field, parameter, variant or error): the same, a named type renamed
 * with its layout kept (an API change), a bound lowered or raised, or a
 * change of layout or meaning.
 */
#include "compat.h"

#include <string.h>

static const member *member_valued(const member *list, idl_int value)
{
	for (const member *m = list; m != NULL; m = m->next)
		if (m->value != NULL && m->value->value == value)
			return m;
	return NULL;
}

/* Whether a name of `a` names another value (or tag) in `b`: a swap, which
 * keeps the set of values but not what each means. */
static bool names_moved(const member *a, const member *b)
{
	for (const member *x = a; x != NULL; x = x->next)
		for (const member *y = b; y != NULL; y = y->next)
			if (x->value != NULL && y->value != NULL && strcmp(x->name, y->name) == 0 &&
			    x->value->value != y->value->value)
				return true;
	return false;
}

const char *compat_type_text(arena *a, const type *t)
{
	switch (t->kind) {
	case TYPE_INT:
		return ast_int_kind_name(t->int_kind);
	case TYPE_BOOL:
		return "bool";
	case TYPE_STRING:
		return arena_printf(a, "string<%llu>", (unsigned long long)t->count);
	case TYPE_BYTES:
		return arena_printf(a, "bytes<%llu>", (unsigned long long)t->count);
	case TYPE_VECTOR:
	case TYPE_PACKED:
		return arena_printf(a, "%s<%s, %llu>", t->kind == TYPE_VECTOR ? "vector" : "packed",
		                    compat_type_text(a, t->element), (unsigned long long)t->count);
	case TYPE_ARRAY:
		return arena_printf(a, "%s[%llu]", compat_type_text(a, t->element),
		                    (unsigned long long)t->count);
	case TYPE_OPTIONAL:
		return arena_printf(a, "optional<%s>", compat_type_text(a, t->element));
	case TYPE_HANDLE:
		if (t->handle == HANDLE_CHANNEL && t->protocol != NULL)
			return arena_printf(a, "channel<%s.%s>", t->protocol->file->package,
			                    t->protocol->name);
		if (t->handle == HANDLE_CHANNEL && t->protocol_name != NULL)
			return arena_printf(a, "channel<%s>", t->protocol_name);
		return arena_printf(a, "handle<%s>", ast_handle_kind_name(t->handle));
	case TYPE_NAMED:
		return t->target != NULL ? t->target->name : t->name;
	}
	return "?";
}

/* From the least to the most serious. */
typedef enum type_diff {
	TYPE_SAME,
	TYPE_RENAMED, /* a named type under another name, with the same layout */
	TYPE_BOUND_LOWERED,
	TYPE_BOUND_RAISED,
	TYPE_CHANGED
} type_diff;

static const char *package_of(const type *t)
{
	return t->target != NULL ? t->target->file->package : "";
}

static const char *named(const type *t)
{
	return t->target != NULL ? t->target->name : t->name;
}

static bool same_text(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Named types nest only this deep (sema rejects recursive types; this
 * bounds the comparison of declarations read back from the IR too). */
#define MAX_NESTING 64

static type_diff diff_types(const type *was, const type *now, uint64_t *was_bound,
                            uint64_t *now_bound, int depth);

static unsigned count_members(const member *m)
{
	unsigned n = 0;
	for (; m != NULL; m = m->next)
		n++;
	return n;
}

/* Whether two declarations have one layout and one set of valid values:
 * then a type renamed from one to the other breaks only the C API. */
static bool same_layout(const decl *a, const decl *b, int depth)
{
	if (a == NULL || b == NULL || depth > MAX_NESTING || a->kind != b->kind ||
	    a->int_kind != b->int_kind || a->flexible != b->flexible ||
	    a->shape.size != b->shape.size || a->shape.align != b->shape.align ||
	    a->shape.max_ool != b->shape.max_ool || a->shape.max_handles != b->shape.max_handles ||
	    count_members(a->members) != count_members(b->members) ||
	    (a->kind != DECL_STRUCT && names_moved(a->members, b->members)))
		return false;
	const member *y = b->members;
	for (const member *x = a->members; x != NULL; x = x->next, y = y->next) {
		/* Struct fields by position; members and variants by value. */
		const member *other = y;
		if (a->kind != DECL_STRUCT)
			other = member_valued(b->members, x->value->value);
		if (other == NULL)
			return false;
		uint64_t was_bound, now_bound;
		if (x->type != NULL &&
		    (other->type == NULL || diff_types(x->type, other->type, &was_bound, &now_bound,
		                                       depth + 1) > TYPE_RENAMED))
			return false;
	}
	return true;
}

/*
 * How the type `now` differs from `was`. A different bound of a string,
 * bytes or vector keeps the inline layout but not what a receiver accepts;
 * any other difference (an array's length included) changes the layout or
 * the meaning of the bytes. *was_bound and *now_bound get the first bound
 * that differs.
 */
static type_diff diff_types(const type *was, const type *now, uint64_t *was_bound,
                            uint64_t *now_bound, int depth)
{
	if (was->kind != now->kind)
		return TYPE_CHANGED;
	type_diff bound = TYPE_SAME;
	switch (was->kind) {
	case TYPE_INT:
		return was->int_kind == now->int_kind ? TYPE_SAME : TYPE_CHANGED;
	case TYPE_BOOL:
		return TYPE_SAME;
	case TYPE_HANDLE:
		/* channel<I>: the interface is its package and name (its
		 * protocol identity), not the name alone. */
		if (was->handle != now->handle ||
		    !same_text(was->protocol_name, now->protocol_name) ||
		    !same_text(was->protocol != NULL ? was->protocol->file->package : NULL,
		               now->protocol != NULL ? now->protocol->file->package : NULL))
			return TYPE_CHANGED;
		return TYPE_SAME;
	case TYPE_NAMED:
		if (strcmp(named(was), named(now)) == 0 &&
		    strcmp(package_of(was), package_of(now)) == 0)
			return TYPE_SAME; /* the declaration is compared on its own */
		return same_layout(was->target, now->target, depth) ? TYPE_RENAMED : TYPE_CHANGED;
	case TYPE_ARRAY:
		if (was->count != now->count)
			return TYPE_CHANGED;
		break;
	case TYPE_STRING:
	case TYPE_BYTES:
	case TYPE_VECTOR:
	case TYPE_PACKED:
		if (was->count != now->count) {
			bound = was->count > now->count ? TYPE_BOUND_LOWERED : TYPE_BOUND_RAISED;
			*was_bound = was->count;
			*now_bound = now->count;
		}
		break;
	case TYPE_OPTIONAL:
		break;
	}
	if (was->element == NULL || now->element == NULL)
		return bound;
	uint64_t inner_was = 0, inner_now = 0;
	type_diff inner = diff_types(was->element, now->element, &inner_was, &inner_now, depth);
	if (inner == TYPE_CHANGED || bound != TYPE_SAME)
		return inner == TYPE_CHANGED ? TYPE_CHANGED : bound;
	*was_bound = inner_was;
	*now_bound = inner_now;
	return inner;
}

void compat_type(compat *k, const type *was, const type *now, loc at, loc was_at, const char *what)
{
	uint64_t was_bound = 0, now_bound = 0;
	const char *before = compat_type_text(k->a, was), *after = compat_type_text(k->a, now);
	switch (diff_types(was, now, &was_bound, &now_bound, 0)) {
	case TYPE_SAME:
		break;
	case TYPE_RENAMED:
		compat_report(k, COMPAT_API, "compat-type-renamed", at, was_at, what,
		              "the type of %s is now '%s', which has the layout and values of "
		              "the old '%s'",
		              what, after, before);
		break;
	case TYPE_CHANGED:
		compat_report(k, COMPAT_WIRE, "compat-type-changed", at, was_at, what,
		              "the type of %s changed from '%s' to '%s'", what, before, after);
		break;
	case TYPE_BOUND_LOWERED:
		compat_report(k, COMPAT_WIRE, "compat-bound-lowered", at, was_at, what,
		              "the bound of %s was lowered from %llu to %llu ('%s' to '%s'): the "
		              "new version rejects what old peers may send",
		              what, (unsigned long long)was_bound, (unsigned long long)now_bound,
		              before, after);
		break;
	case TYPE_BOUND_RAISED:
		compat_report(k, COMPAT_WIRE, "compat-bound-raised", at, was_at, what,
		              "the bound of %s was raised from %llu to %llu ('%s' to '%s'): old "
		              "peers reject what the new version may send",
		              what, (unsigned long long)was_bound, (unsigned long long)now_bound,
		              before, after);
		break;
	}
}
