/*
 * compat.c: the compatibility checker (idlc --compat-with=OLD NEW.idl):
 * what in a new version of a description breaks peers built from the old
 * one. This file matches declarations by package and name and compares
 * constants, enums, bits, structs and unions; compat_type.c compares the
 * types of their members, compat_interface.c interfaces.
 *
 * Members are matched by what the wire carries: enum and bits members and
 * union variants by value (a new name for the same value is a rename, which
 * breaks only the C API), struct fields by position (the wire has no
 * names, only offsets).
 */
#include "compat.h"

#include <stdarg.h>
#include <string.h>

void compat_report(compat *k, compat_breaks breaks, const char *code, loc at, loc was,
                   const char *was_what, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char buffer[512];
	vsnprintf(buffer, sizeof(buffer), fmt, ap);
	va_end(ap);
	if (breaks == COMPAT_WIRE)
		diag_error(&k->now->diag, code, at, "%s", buffer);
	else
		diag_warning(&k->now->diag, code, at, "%s", buffer);
	if (was_what != NULL && !diag_too_many(&k->now->diag))
		diag_note(&k->before->diag, was, "the old version's %s", was_what);
}

unsigned compat_errors(const compat *k)
{
	return k->now->diag.errors;
}

bool compat_reserves_name(const decl *d, const char *name)
{
	for (const reserved *r = d->reserveds; r != NULL; r = r->next)
		if (r->name != NULL && strcmp(r->name, name) == 0)
			return true;
	return false;
}

bool compat_reserves_value(const decl *d, idl_int value)
{
	for (const reserved *r = d->reserveds; r != NULL; r = r->next)
		if (r->value != NULL && r->value->value == value)
			return true;
	return false;
}

static member *member_named(member *list, const char *name)
{
	for (member *m = list; m != NULL; m = m->next)
		if (strcmp(m->name, name) == 0)
			return m;
	return NULL;
}

static member *member_valued(member *list, idl_int value)
{
	for (member *m = list; m != NULL; m = m->next)
		if (m->value != NULL && m->value->value == value)
			return m;
	return NULL;
}

static const char *kind_word(const decl *d)
{
	return d->kind == DECL_UNION ? "variant" : "member";
}

static const char *int_text(arena *a, idl_int v)
{
	if (v < 0)
		return arena_printf(a, "-%llu", (unsigned long long)-v);
	return arena_printf(a, "%llu", (unsigned long long)v);
}

/* A member of the old enum, bits or union that the new one lacks (by
 * value and by name). A strict receiver of the new version rejects the
 * value, which old peers still send; a flexible one keeps it as unknown,
 * so only the C name is gone, and not even that is reported when a
 * `reserved` line keeps the name and the value. */
static void member_removed(compat *k, const decl *was, const decl *now, const member *m)
{
	const char *what = kind_word(was);
	const char *was_what = arena_printf(k->a, "%s '%s'", what, m->name);
	if (!now->flexible) {
		compat_report(k, COMPAT_WIRE, "compat-member-removed", now->loc, m->loc, was_what,
		              "%s '%s' (%s) was removed from strict %s '%s': the new version "
		              "rejects it from old peers",
		              what, m->name, int_text(k->a, m->value->value),
		              ast_decl_kind_name(now->kind), now->name);
		return;
	}
	if (compat_reserves_name(now, m->name) && compat_reserves_value(now, m->value->value))
		return;
	compat_report(k, COMPAT_API, "compat-member-removed", now->loc, m->loc, was_what,
	              "%s '%s' (%s) was removed from '%s' without 'reserved %s, %s;'", what,
	              m->name, int_text(k->a, m->value->value), now->name, m->name,
	              int_text(k->a, m->value->value));
}

/* A union variant matched by tag: its name and type. */
static void compare_variant(compat *k, const member *o, const member *n)
{
	const char *what = arena_printf(k->a, "variant '%s'", n->name);
	if (strcmp(o->name, n->name) != 0)
		compat_report(k, COMPAT_API, "compat-member-renamed", n->loc, o->loc,
		              arena_printf(k->a, "variant '%s'", o->name),
		              "variant '%s' was renamed to '%s' (tag %s kept)", o->name, n->name,
		              int_text(k->a, n->value->value));
	if (o->type != NULL && n->type != NULL)
		compat_type(k, o->type, n->type, n->type->loc, o->type->loc, what);
}

/* Members of an enum, bits or union: by value, as the wire has them. */
static void compare_members(compat *k, const decl *was, const decl *now)
{
	const char *what = kind_word(was);
	for (member *o = was->members; o != NULL; o = o->next) {
		member *n = member_valued(now->members, o->value->value);
		member *same_name = member_named(now->members, o->name);
		/* The name first: a name kept with another number is a change of
		 * number even when another member took the old one (a swap),
		 * which old peers would take for this one. */
		if (same_name != NULL && same_name->value->value != o->value->value) {
			compat_report(k, COMPAT_WIRE, "compat-member-value-changed",
			              same_name->value->loc, o->loc,
			              arena_printf(k->a, "%s '%s'", what, o->name),
			              "%s '%s' changed its %s from %s to %s", what, o->name,
			              was->kind == DECL_UNION ? "tag" : "value",
			              int_text(k->a, o->value->value),
			              int_text(k->a, same_name->value->value));
		} else if (n != NULL && strcmp(n->name, o->name) != 0 &&
		           compat_reserves_name(now, o->name)) {
			/* Not a rename: the new version says the old one was removed. */
			compat_report(k, COMPAT_WIRE, "compat-number-reused", n->loc, o->loc,
			              arena_printf(k->a, "%s '%s'", what, o->name),
			              "%s '%s' takes %s %s of '%s', which the new version removed "
			              "('reserved %s;'): old peers' '%s' arrives as '%s'",
			              what, n->name, was->kind == DECL_UNION ? "tag" : "value",
			              int_text(k->a, o->value->value), o->name, o->name, o->name,
			              n->name);
		} else if (n != NULL && was->kind == DECL_UNION) {
			compare_variant(k, o, n);
		} else if (n != NULL && strcmp(n->name, o->name) != 0) {
			compat_report(k, COMPAT_API, "compat-member-renamed", n->loc, o->loc,
			              arena_printf(k->a, "member '%s'", o->name),
			              "member '%s' was renamed to '%s' (value %s kept)", o->name,
			              n->name, int_text(k->a, n->value->value));
		} else if (n == NULL) {
			member_removed(k, was, now, o);
		}
	}
	/* A new value reaches old receivers, which refuse it when the type was
	 * strict (a flexible one keeps it as unknown). */
	if (was->flexible)
		return;
	for (member *n = now->members; n != NULL; n = n->next) {
		if (member_valued(was->members, n->value->value) != NULL ||
		    member_named(was->members, n->name) != NULL)
			continue;
		compat_report(
		    k, COMPAT_WIRE, "compat-member-added-strict", n->loc, was->loc,
		    arena_printf(k->a, "strict %s '%s'", ast_decl_kind_name(was->kind), was->name),
		    "%s '%s' was added to strict %s '%s': old peers reject it", what, n->name,
		    ast_decl_kind_name(now->kind), now->name);
	}
}

/* strict <-> flexible. A union's layout depends on it (the envelope); an
 * enum's or bits' does not, and only flexible -> strict makes a receiver
 * reject values it used to keep. */
static void compare_strictness(compat *k, const decl *was, const decl *now)
{
	if (was->flexible == now->flexible)
		return;
	bool wire = now->kind == DECL_UNION || !now->flexible;
	const char *from = was->flexible ? "flexible" : "strict";
	const char *to = now->flexible ? "flexible" : "strict";
	compat_report(k, wire ? COMPAT_WIRE : COMPAT_API, "compat-strictness-changed",
	              now->modifier_loc.file != 0 ? now->modifier_loc : now->loc, was->loc,
	              arena_printf(k->a, "%s '%s'", ast_decl_kind_name(was->kind), was->name),
	              "%s '%s' changed from %s to %s%s", ast_decl_kind_name(now->kind), now->name,
	              from, to,
	              now->kind == DECL_UNION ? ": its inline layout changed (the envelope)"
	              : wire ? ": the new version rejects unknown values old peers keep"
	                     : ": generated code now keeps unknown values");
}

static void compare_valued(compat *k, const decl *was, const decl *now)
{
	unsigned errors = compat_errors(k);
	if (was->int_kind != now->int_kind)
		compat_report(
		    k, COMPAT_WIRE, "compat-type-changed",
		    now->int_kind_loc.file != 0 ? now->int_kind_loc : now->loc, was->loc,
		    arena_printf(k->a, "%s '%s'", ast_decl_kind_name(was->kind), was->name),
		    "the %s type of '%s' changed from %s to %s",
		    now->kind == DECL_UNION ? "tag" : "underlying", now->name,
		    ast_int_kind_name(was->int_kind), ast_int_kind_name(now->int_kind));
	compare_strictness(k, was, now);
	compare_members(k, was, now);
	if (now->kind != DECL_UNION || compat_errors(k) != errors)
		return;
	/* A variant that old receivers do not know still has to fit the
	 * union's inline part. Its out-of-line bytes and handles need no room
	 * of theirs: a message holding a flexible union takes any frame its
	 * interface allows, and the envelope says what to step over. */
	const char *was_what = arena_printf(k->a, "union '%s'", was->name);
	if (was->shape.size != now->shape.size || was->shape.align != now->shape.align)
		compat_report(k, COMPAT_WIRE, "compat-union-grew", now->loc, was->loc, was_what,
		              "union '%s' is now %u bytes inline (aligned to %u), was %u (aligned "
		              "to %u): a variant does not fit its old payload",
		              now->name, now->shape.size, now->shape.align, was->shape.size,
		              was->shape.align);
}

/* Whether the field at index `at` of `now` takes the place of a field of
 * `was` under a new name: neither name is found in the other list. */
static bool is_rename(member *was, member *now, const member *n)
{
	member *o = was;
	for (member *m = now; m != n && o != NULL; m = m->next)
		o = o->next;
	return o != NULL && member_named(now, o->name) == NULL &&
	       member_named(was, n->name) == NULL;
}

static unsigned index_of(const member *list, const member *m)
{
	unsigned i = 0;
	for (; list != NULL && list != m; list = list->next)
		i++;
	return i;
}

/* A struct's fields: a struct has one fixed layout, so any field added,
 * removed or moved changes it. */
static void compare_struct(compat *k, const decl *was, const decl *now)
{
	for (member *o = was->members; o != NULL; o = o->next) {
		const char *what = arena_printf(k->a, "field '%s'", o->name);
		member *n = member_named(now->members, o->name);
		unsigned i = index_of(was->members, o);
		if (n == NULL) {
			member *place = now->members;
			for (unsigned j = 0; place != NULL && j < i; j++)
				place = place->next;
			if (place != NULL && is_rename(was->members, now->members, place)) {
				compat_report(k, COMPAT_API, "compat-field-renamed", place->loc,
				              o->loc, what, "field '%s' was renamed to '%s'",
				              o->name, place->name);
				compat_type(k, o->type, place->type, place->type->loc, o->type->loc,
				            arena_printf(k->a, "field '%s'", place->name));
			} else {
				compat_report(
				    k, COMPAT_WIRE, "compat-field-removed", now->loc, o->loc, what,
				    "field '%s' was removed from struct '%s'", o->name, now->name);
			}
			continue;
		}
		if (index_of(now->members, n) != i)
			compat_report(k, COMPAT_WIRE, "compat-field-moved", n->loc, o->loc, what,
			              "field '%s' moved from position %u to %u in struct '%s'",
			              o->name, i + 1, index_of(now->members, n) + 1, now->name);
		compat_type(k, o->type, n->type, n->type->loc, o->type->loc, what);
	}
	for (member *n = now->members; n != NULL; n = n->next) {
		if (member_named(was->members, n->name) != NULL ||
		    is_rename(was->members, now->members, n))
			continue;
		compat_report(k, COMPAT_WIRE, "compat-field-added", n->loc, was->loc,
		              arena_printf(k->a, "struct '%s'", was->name),
		              "field '%s' was added to struct '%s': a struct's layout is fixed "
		              "(add parameters to a method, with @added(N), instead)",
		              n->name, now->name);
	}
}

/* What a `reserved` line of the old version kept: still kept, or reused
 * (the new version gives the name or number to something else, which old
 * peers take for the removed thing), or dropped (free to be reused). */
static void compare_reserved(compat *k, const decl *was, const decl *now)
{
	for (const reserved *r = was->reserveds; r != NULL; r = r->next) {
		bool by_name = r->name != NULL;
		if (by_name ? compat_reserves_name(now, r->name)
		            : compat_reserves_value(now, r->value->value))
			continue;
		const char *text = by_name ? r->name : int_text(k->a, r->value->value);
		loc user = {0};
		const char *user_name = NULL;
		if (now->kind == DECL_INTERFACE) {
			for (method *m = now->methods; m != NULL; m = m->next) {
				if (by_name ? strcmp(m->name, r->name) == 0
				            : m->ordinal == (uint32_t)r->value->value) {
					user = m->loc;
					user_name = m->name;
				}
			}
		} else {
			member *m = by_name ? member_named(now->members, r->name)
			                    : member_valued(now->members, r->value->value);
			if (m != NULL) {
				user = m->loc;
				user_name = m->name;
			}
		}
		const char *number = now->kind == DECL_INTERFACE ? "the ordinal"
		                     : now->kind == DECL_UNION   ? "the tag"
		                                                 : "the value";
		const char *what = by_name ? arena_printf(k->a, "the name '%s'", text)
		                           : arena_printf(k->a, "%s %s", number, text);
		const char *was_what = arena_printf(k->a, "reserved %s", text);
		if (user_name != NULL)
			compat_report(k, COMPAT_WIRE, "compat-reserved-reused", user, r->loc,
			              was_what,
			              "'%s' reuses %s, which the old version of '%s' reserved",
			              user_name, what, now->name);
		else
			compat_report(k, COMPAT_API, "compat-reserved-dropped", now->loc, r->loc,
			              was_what,
			              "'%s' no longer reserves %s: a later version could reuse it",
			              now->name, what);
	}
}

static void compare_decl(compat *k, const decl *was, const decl *now)
{
	if (was->kind != now->kind) {
		compat_report(
		    k, COMPAT_WIRE, "compat-kind-changed", now->loc, was->loc,
		    arena_printf(k->a, "%s '%s'", ast_decl_kind_name(was->kind), was->name),
		    "'%s' changed from %s to %s", now->name, ast_decl_kind_name(was->kind),
		    ast_decl_kind_name(now->kind));
		return;
	}
	switch (now->kind) {
	case DECL_CONST:
		if (was->value->value != now->value->value || was->int_kind != now->int_kind)
			compat_report(
			    k, COMPAT_API, "compat-const-changed", now->value->loc, was->loc,
			    arena_printf(k->a, "const '%s'", was->name),
			    "const '%s' changed from %s %s to %s %s", now->name,
			    ast_int_kind_name(was->int_kind), int_text(k->a, was->value->value),
			    ast_int_kind_name(now->int_kind), int_text(k->a, now->value->value));
		break;
	case DECL_ENUM:
	case DECL_BITS:
	case DECL_UNION:
		compare_valued(k, was, now);
		break;
	case DECL_STRUCT:
		compare_struct(k, was, now);
		break;
	case DECL_INTERFACE:
		compat_interface(k, was, now);
		break;
	}
	compare_reserved(k, was, now);
}

static decl *find_decl(compilation *c, const char *package, const char *name)
{
	for (file *f = c->files; f != NULL; f = f->next) {
		if (f->package == NULL || strcmp(f->package, package) != 0)
			continue;
		for (decl *d = f->decls; d != NULL; d = d->next)
			if (strcmp(d->name, name) == 0)
				return d;
	}
	return NULL;
}

void compat_check(compilation *before, compilation *now)
{
	compat k = {.before = before, .now = now, .a = &now->arena};
	file *old_root = before->roots[0], *root = now->roots[0];
	if (strcmp(old_root->package, root->package) != 0) {
		compat_report(&k, COMPAT_WIRE, "compat-package-changed", root->package_loc,
		              old_root->package_loc, "package",
		              "package '%s' was '%s': every interface's protocol identity and "
		              "every C name changed",
		              root->package, old_root->package);
		return;
	}
	for (file *f = before->files; f != NULL; f = f->next) {
		for (decl *was = f->decls; was != NULL; was = was->next) {
			decl *d = find_decl(now, f->package, was->name);
			if (d != NULL) {
				compare_decl(&k, was, d);
				continue;
			}
			const char *was_what = arena_printf(
			    &k.now->arena, "%s '%s'", ast_decl_kind_name(was->kind), was->name);
			if (was->kind == DECL_INTERFACE)
				compat_report(
				    &k, COMPAT_WIRE, "compat-interface-removed", root->package_loc,
				    was->loc, was_what,
				    "interface '%s' was removed (or renamed, which changes "
				    "its protocol identity): its old peers cannot connect",
				    was->name);
			else
				compat_report(&k, COMPAT_API, "compat-type-removed",
				              root->package_loc, was->loc, was_what,
				              "%s '%s' was removed (or renamed)",
				              ast_decl_kind_name(was->kind), was->name);
		}
	}
}
