/*
 * sema.c: semantic analysis.
 *
 * Resolves every name (within a file and across imports), evaluates
 * constant expressions, and rejects what the language forbids: duplicates,
 * unknown names, values outside their type, recursive types, bad ordinals
 * and C names that would collide. It also synthesizes the message structs
 * (request, reply, event) of each method, so that layout and the
 * generators treat messages as ordinary structs.
 */
#include "compile.h"
#include "parser.h"
#include "suggest.h"
#include "wire.h"

#include <string.h>

enum {
	UNVISITED,
	VISITING,
	VISITED
};

/* decl.zero_state */
enum {
	ZERO_UNKNOWN,
	ZERO_VALID,
	ZERO_INVALID
};

typedef struct cycle_step {
	decl *owner;
	member *field;
} cycle_step;

typedef struct sema {
	compilation *c;
	arena *a;
	diag_ctx *d;
	decl *cycle_start;      /* while a recursive type's path is being reported */
	cycle_step *cycle_path; /* one step per struct or union of the compilation at most */
	size_t cycle_length;
	unsigned eval_depth; /* evaluations under way, to stop at MAX_NESTING_DEPTH */
	bool eval_too_deep;  /* the current evaluation stopped there */
	bool eval_deep_reported;
	bool nesting_too_deep; /* nest_decl stopped at MAX_NESTING_DEPTH */
} sema;

/* ---- names ---- */

static void declare_symbols(sema *s, file *f)
{
	strmap_init(&f->symbols, s->a);
	for (decl *d = f->decls; d != NULL; d = d->next) {
		decl *had = strmap_put(&f->symbols, d->name, d);
		if (had != d) {
			diag_error(s->d, "redefinition", d->loc, "redefinition of '%s'", d->name);
			diag_note(s->d, had->loc, "previous definition of '%s' is here", d->name);
		}
	}
}

/* The types the language has built in: a misspelt one is a name. */
static const char *const builtin_types[] = {"u8",    "u16",    "u32",      "u64",    "i8",
                                            "i16",   "i32",    "i64",      "bool",   "string",
                                            "bytes", "vector", "optional", "handle", "channel"};

/* "; did you mean 'X'?" for a suggester's result, or "". */
static const char *did_you_mean(sema *s, const suggester *g)
{
	const char *best = suggest_result(g);
	return best != NULL ? arena_printf(s->a, "; did you mean '%s'?", best) : "";
}

/* What an unknown unqualified name in file f may have meant: one of the
 * file's declarations, an imported one (qualified), or a built-in type. */
static const char *closest_name(sema *s, file *f, const char *name)
{
	suggester g;
	suggest_init(&g, name);
	for (decl *d = f->decls; d != NULL; d = d->next)
		suggest_consider(&g, d->name);
	for (import *imp = f->imports; imp != NULL; imp = imp->next)
		if (imp->target != NULL && imp->target->package != NULL)
			for (decl *d = imp->target->decls; d != NULL; d = d->next)
				suggest_consider(
				    &g, arena_printf(s->a, "%s.%s", imp->target->package, d->name));
	for (size_t i = 0; i < sizeof(builtin_types) / sizeof(builtin_types[0]); i++)
		suggest_consider(&g, builtin_types[i]);
	return did_you_mean(s, &g);
}

/*
 * Finds the declaration a (maybe qualified) name refers to from file f.
 * Qualified with f's own package, it is f's declaration or, failing that,
 * one of an imported file of the same package (a package split over
 * files): an imported name is always qualified.
 */
static decl *lookup(sema *s, file *f, const char *qualifier, const char *name, loc at)
{
	bool own = qualifier != NULL && f->package && strcmp(qualifier, f->package) == 0;
	if (own) {
		decl *d = strmap_get(&f->symbols, name);
		if (d != NULL)
			return d;
	} else if (qualifier == NULL) {
		decl *d = strmap_get(&f->symbols, name);
		if (d != NULL)
			return d;
		for (import *imp = f->imports; imp != NULL; imp = imp->next) {
			if (imp->target && imp->target->package &&
			    strmap_get(&imp->target->symbols, name)) {
				diag_error(s->d, "unknown-name", at,
				           "unknown name '%s'; did you mean '%s.%s'?", name,
				           imp->target->package, name);
				diag_note(s->d, imp->loc,
				          "names of an imported file take its package's prefix");
				return NULL;
			}
		}
		diag_error(s->d, "unknown-name", at, "unknown name '%s'%s", name,
		           closest_name(s, f, name));
		return NULL;
	}
	bool package_known = false;
	for (import *imp = f->imports; imp != NULL; imp = imp->next) {
		if (imp->target == NULL || imp->target->package == NULL ||
		    strcmp(imp->target->package, qualifier) != 0)
			continue;
		package_known = true;
		imp->used = true;
		decl *d = strmap_get(&imp->target->symbols, name);
		if (d != NULL)
			return d;
	}
	if (own) {
		diag_error(s->d, "unknown-name", at, "unknown name '%s'%s", name,
		           closest_name(s, f, name));
		return NULL;
	}
	suggester g;
	if (package_known) {
		suggest_init(&g, name);
		for (import *imp = f->imports; imp != NULL; imp = imp->next)
			if (imp->target != NULL && imp->target->package != NULL &&
			    strcmp(imp->target->package, qualifier) == 0)
				for (decl *d = imp->target->decls; d != NULL; d = d->next)
					suggest_consider(&g, d->name);
		diag_error(s->d, "unknown-name", at, "package '%s' has no declaration named '%s'%s",
		           qualifier, name, did_you_mean(s, &g));
	} else {
		suggest_init(&g, qualifier);
		if (f->package != NULL)
			suggest_consider(&g, f->package);
		for (import *imp = f->imports; imp != NULL; imp = imp->next)
			if (imp->target != NULL && imp->target->package != NULL)
				suggest_consider(&g, imp->target->package);
		const char *best = suggest_result(&g);
		if (best != NULL)
			diag_error(s->d, "unknown-package", at,
			           "unknown package '%s'; did you mean '%s'?", qualifier, best);
		else
			diag_error(s->d, "unknown-package", at,
			           "unknown package '%s'; import the file that declares it",
			           qualifier);
	}
	return NULL;
}

/* ---- constants ---- */

#define VALUE_MIN (-((idl_int)1 << 63))
#define VALUE_MAX (((idl_int)1 << 64) - 1)

static bool eval_const_decl(sema *s, decl *d);

static bool in_range(idl_int v)
{
	return v >= VALUE_MIN && v <= VALUE_MAX;
}

static bool eval_node(sema *s, file *f, expr *e, idl_int *out);

/*
 * Evaluates e in file f. Values range over i64 and u64 together; anything
 * outside is an overflow. The parser bounds how deep parentheses nest, but
 * not a long sum (1+1+...+1 is a left-deep tree) nor constants each named
 * by the next: evaluation stops MAX_NESTING_DEPTH deep, and the outermost
 * call reports it where it started.
 */
static bool eval(sema *s, file *f, expr *e, idl_int *out)
{
	if (s->eval_depth >= MAX_NESTING_DEPTH) {
		s->eval_too_deep = true;
		return false;
	}
	s->eval_depth++;
	bool ok = eval_node(s, f, e, out);
	s->eval_depth--;
	if (s->eval_depth == 0 && s->eval_too_deep) {
		s->eval_too_deep = false;
		/* Once is enough: a chain of constants longer than the limit
		 * would give one error per stretch of it. */
		if (!s->eval_deep_reported)
			diag_error(s->d, "nesting-too-deep", e->loc,
			           "constant expression nests more than %u deep (operators, and "
			           "constants defined by constants)",
			           MAX_NESTING_DEPTH);
		s->eval_deep_reported = true;
	}
	return ok;
}

static bool eval_node(sema *s, file *f, expr *e, idl_int *out)
{
	if (e->evaluated) {
		*out = e->value;
		return true;
	}
	idl_int l = 0, r = 0, v = 0;
	switch (e->kind) {
	case EXPR_INT:
		v = e->literal;
		break;
	case EXPR_NAME: {
		decl *d = lookup(s, f, e->qualifier, e->name, e->loc);
		if (d == NULL)
			return false;
		if (d->kind != DECL_CONST) {
			diag_error(s->d, "not-a-constant", e->loc, "'%s' is %s %s, not a constant",
			           e->name,
			           d->kind == DECL_ENUM || d->kind == DECL_INTERFACE ? "an" : "a",
			           ast_decl_kind_name(d->kind));
			return false;
		}
		if (!eval_const_decl(s, d))
			return false;
		v = d->value->value;
		break;
	}
	case EXPR_UNARY:
		if (!eval(s, f, e->left, &l))
			return false;
		v = e->op == '-' ? -l : ~l;
		break;
	case EXPR_BINARY:
		if (!eval(s, f, e->left, &l) || !eval(s, f, e->right, &r))
			return false;
		switch (e->op) {
		case '|':
			v = l | r;
			break;
		case '^':
			v = l ^ r;
			break;
		case '&':
			v = l & r;
			break;
		case '+':
			v = l + r;
			break;
		case '-':
			v = l - r;
			break;
		case '*':
			if (__builtin_mul_overflow(l, r, &v))
				v = VALUE_MAX + 1;
			break;
		case '/':
		case '%':
			if (r == 0) {
				diag_error(s->d, "division-by-zero", e->loc,
				           "division by zero in constant expression");
				return false;
			}
			v = e->op == '/' ? l / r : l % r;
			break;
		case TOK_SHL:
		case '>':
			if (r < 0 || r > 63) {
				diag_error(s->d, "shift-out-of-range", e->loc,
				           "shift by %lld; the shift must be 0 to 63",
				           (long long)r);
				return false;
			}
			/* A shift of a negative value is undefined in C; multiply and divide
			 * instead, with the same overflow check as '*'. */
			if (e->op == '>')
				v = l >> r;
			else if (__builtin_mul_overflow(l, (idl_int)1 << r, &v))
				v = VALUE_MAX + 1;
			break;
		}
		break;
	}
	if (!in_range(v)) {
		diag_error(s->d, "constant-overflow", e->loc,
		           "constant expression overflows 64 bits");
		return false;
	}
	e->evaluated = true;
	e->value = v;
	*out = v;
	return true;
}

static void print_int(char *buf, size_t n, idl_int v)
{
	if (v < 0)
		snprintf(buf, n, "-%llu", (unsigned long long)-v);
	else
		snprintf(buf, n, "%llu", (unsigned long long)v);
}

static bool check_fits(sema *s, idl_int v, int_kind k, loc at, const char *what)
{
	if (v >= ast_int_kind_min(k) && v <= ast_int_kind_max(k))
		return true;
	char value[48];
	print_int(value, sizeof(value), v);
	diag_error(s->d, "value-out-of-range", at, "%s %s does not fit in %s", what, value,
	           ast_int_kind_name(k));
	return false;
}

static bool eval_const_decl(sema *s, decl *d)
{
	if (d->visit_state == VISITED)
		return d->value->evaluated;
	if (d->visit_state == VISITING) {
		diag_error(s->d, "constant-cycle", d->loc, "constant '%s' depends on itself",
		           d->name);
		return false;
	}
	d->visit_state = VISITING;
	idl_int v;
	bool ok =
	    eval(s, d->file, d->value, &v) && check_fits(s, v, d->int_kind, d->value->loc, "value");
	d->value->evaluated = ok;
	d->visit_state = VISITED;
	return ok;
}

/* Evaluates a size bound: 1 to MAX_BOUND. */
static bool eval_bound(sema *s, file *f, expr *e, uint64_t *out, const char *what)
{
	idl_int v;
	if (!eval(s, f, e, &v))
		return false;
	if (v < 1 || v > MAX_BOUND) {
		char value[48];
		print_int(value, sizeof(value), v);
		diag_error(s->d, "bound-out-of-range", e->loc,
		           "%s %s is out of range; it must be 1 to %u", what, value, MAX_BOUND);
		return false;
	}
	*out = (uint64_t)v;
	return true;
}

/* ---- types ---- */

static const struct {
	const char *name;
	handle_kind kind;
} handle_kinds[] = {
    {"any", HANDLE_ANY},   {"shm", HANDLE_SHM}, {"channel", HANDLE_CHANNEL},
    {"mmio", HANDLE_MMIO}, {"irq", HANDLE_IRQ}, {"ioport", HANDLE_IOPORT},
    {"dma", HANDLE_DMA},
};

/*
 * The word before '<' of a type the parser took for channel<I> or packed<T,
 * N>, when it is not `expected`: "strin<MAX>" and "vectr<u8, 4>" parse like
 * those, and the word is misspelt as surely as in "strin<64>", which the
 * parser reports. Otherwise `code` and `meaning` say what the form is.
 */
static bool wrong_generic_word(sema *s, const type *t, const char *expected, const char *code,
                               const char *meaning)
{
	if (strcmp(t->name, expected) == 0)
		return false;
	const char *meant = ast_closest_generic_type(t->name);
	loc word = {t->loc.file, t->loc.begin, t->loc.begin + (uint32_t)strlen(t->name)};
	if (meant != NULL)
		diag_error(s->d, "misspelt-keyword", word,
		           "unknown type '%s<...>'; did you mean '%s'?", t->name, meant);
	else
		diag_error(s->d, code, t->loc, "unknown type '%s<...>'; %s", t->name, meaning);
	return true;
}

/* channel<Interface>: a handle of kind channel whose peer serves it. */
static void resolve_channel(sema *s, file *f, type *t)
{
	if (wrong_generic_word(s, t, "channel", "bad-channel-type",
	                       "a typed channel is channel<Interface>"))
		return;
	t->handle = HANDLE_CHANNEL;
	decl *d = lookup(s, f, t->protocol_qualifier, t->protocol_name, t->loc);
	if (d == NULL)
		return;
	if (d->kind != DECL_INTERFACE) {
		diag_error(s->d, "bad-channel-type", t->loc,
		           "'%s' is %s %s; channel<...> takes an interface", t->protocol_name,
		           d->kind == DECL_ENUM ? "an" : "a", ast_decl_kind_name(d->kind));
		diag_note(s->d, d->loc, "'%s' is declared here", d->name);
		return;
	}
	t->protocol = d;
}

static void resolve_type(sema *s, file *f, type *t)
{
	switch (t->kind) {
	case TYPE_INT:
	case TYPE_BOOL:
		break;
	case TYPE_STRING:
		eval_bound(s, f, t->bound, &t->count, "string bound");
		break;
	case TYPE_BYTES:
		eval_bound(s, f, t->bound, &t->count, "bytes bound");
		break;
	case TYPE_VECTOR:
		resolve_type(s, f, t->element);
		eval_bound(s, f, t->bound, &t->count, "vector bound");
		/* Elements are reached through a typed pointer, so they need a C type
		 * a user can name. */
		if (t->element->kind == TYPE_VECTOR || t->element->kind == TYPE_OPTIONAL)
			diag_error(s->d, "bad-vector-element", t->element->loc,
			           "a vector's element cannot be a %s; wrap it in a struct",
			           t->element->kind == TYPE_VECTOR ? "vector" : "optional");
		break;
	case TYPE_PACKED:
		if (wrong_generic_word(s, t, "packed", "bad-packed-element",
		                       "records end to end are packed<T, N>"))
			break;
		resolve_type(s, f, t->element);
		eval_bound(s, f, t->bound, &t->count, "packed bound");
		break;
	case TYPE_ARRAY:
		resolve_type(s, f, t->element);
		eval_bound(s, f, t->bound, &t->count, "array length");
		break;
	case TYPE_OPTIONAL:
		resolve_type(s, f, t->element);
		break;
	case TYPE_HANDLE: {
		if (t->protocol_name != NULL) {
			resolve_channel(s, f, t);
			break;
		}
		bool found = false;
		for (size_t i = 0; i < sizeof(handle_kinds) / sizeof(handle_kinds[0]); i++) {
			if (strcmp(t->name, handle_kinds[i].name) == 0) {
				t->handle = handle_kinds[i].kind;
				found = true;
			}
		}
		if (!found) {
			suggester g;
			suggest_init(&g, t->name);
			for (size_t i = 0; i < sizeof(handle_kinds) / sizeof(handle_kinds[0]); i++)
				suggest_consider(&g, handle_kinds[i].name);
			const char *best = suggest_result(&g);
			if (best != NULL)
				diag_error(s->d, "unknown-handle-kind", t->loc,
				           "unknown handle kind '%s'; did you mean '%s'?", t->name,
				           best);
			else
				diag_error(s->d, "unknown-handle-kind", t->loc,
				           "unknown handle kind '%s'; expected shm, channel, mmio, "
				           "irq, ioport, dma or any",
				           t->name);
		}
		break;
	}
	case TYPE_NAMED: {
		decl *d = lookup(s, f, t->qualifier, t->name, t->loc);
		if (d == NULL)
			break;
		if (d->kind == DECL_CONST || d->kind == DECL_INTERFACE) {
			diag_error(s->d, "not-a-type", t->loc, "'%s' is %s %s, not a type", t->name,
			           d->kind == DECL_CONST ? "a" : "an", ast_decl_kind_name(d->kind));
			diag_note(s->d, d->loc, "'%s' is declared here", t->name);
			break;
		}
		t->target = d;
		break;
	}
	}
}

/* ---- declarations ---- */

/* Whether a declaration is empty. After a syntax error the parser may have
 * dropped members it could not read, so emptiness is not reported then: it
 * would only repeat the syntax error. */
static bool is_empty(const decl *d, const void *first)
{
	return first == NULL && !d->file->had_syntax_errors;
}

static void check_member_names(sema *s, member *list, const char *what)
{
	strmap names;
	strmap_init(&names, s->a);
	for (member *m = list; m != NULL; m = m->next) {
		member *had = strmap_put(&names, m->name, m);
		if (had != m) {
			diag_error(s->d, "duplicate-member", m->loc, "duplicate %s '%s'", what,
			           m->name);
			diag_note(s->d, had->loc, "'%s' is first declared here", m->name);
		}
	}
}

static void check_member_reserved(sema *s, decl *d);

static void check_enum_like(sema *s, decl *d)
{
	const char *kind = d->kind == DECL_ENUM ? "enum" : "bits";
	if (is_empty(d, d->members))
		diag_error(s->d, "empty-declaration", d->loc, "%s '%s' has no members", kind,
		           d->name);
	if (d->kind == DECL_BITS && ast_int_kind_signed(d->int_kind))
		diag_error(s->d, "signed-bits", d->int_kind_loc,
		           "bits '%s' must have an unsigned type, not %s", d->name,
		           ast_int_kind_name(d->int_kind));
	check_member_names(s, d->members, d->kind == DECL_ENUM ? "enum member" : "bits member");
	for (member *m = d->members; m != NULL; m = m->next) {
		idl_int v;
		if (!eval(s, d->file, m->value, &v) ||
		    !check_fits(s, v, d->int_kind, m->value->loc, "value"))
			continue;
		if (d->kind == DECL_BITS) {
			if (v == 0)
				diag_error(s->d, "zero-bits-member", m->value->loc,
				           "bits member '%s' is zero; every member needs a bit",
				           m->name);
			if ((uint64_t)v & d->bits_mask)
				diag_warning(s->d, "overlapping-bits", m->value->loc,
				             "bits member '%s' overlaps earlier members", m->name);
			d->bits_mask |= (uint64_t)v;
			continue;
		}
		for (member *o = d->members; o != m; o = o->next) {
			if (o->value->evaluated && o->value->value == v) {
				diag_error(s->d, "duplicate-value", m->value->loc,
				           "enum members '%s' and '%s' have the same value",
				           o->name, m->name);
				diag_note(s->d, o->loc, "'%s' is declared here", o->name);
				break;
			}
		}
	}
	check_member_reserved(s, d);
}

static void check_struct(sema *s, decl *d)
{
	if (!d->is_message && is_empty(d, d->members))
		diag_error(s->d, "empty-declaration", d->loc, "struct '%s' has no fields", d->name);
	check_member_names(s, d->members, d->is_message ? "parameter" : "field");
	for (member *m = d->members; m != NULL; m = m->next)
		resolve_type(s, d->file, m->type);
}

static void check_union(sema *s, decl *d)
{
	if (is_empty(d, d->members))
		diag_error(s->d, "empty-declaration", d->loc, "union '%s' has no variants",
		           d->name);
	check_member_names(s, d->members, "union variant");
	for (member *m = d->members; m != NULL; m = m->next) {
		resolve_type(s, d->file, m->type);
		idl_int v;
		if (!eval(s, d->file, m->value, &v) ||
		    !check_fits(s, v, d->int_kind, m->value->loc, "tag"))
			continue;
		for (member *o = d->members; o != m; o = o->next) {
			if (o->value->evaluated && o->value->value == v) {
				diag_error(s->d, "duplicate-value", m->value->loc,
				           "union variants '%s' and '%s' have the same tag",
				           o->name, m->name);
				diag_note(s->d, o->loc, "'%s' is declared here", o->name);
				break;
			}
		}
	}
	check_member_reserved(s, d);
}

/* FNV-1a over "package.Interface.method", kept to 31 bits and never 0;
 * without a method, over "package.Interface" (an interface's protocol id). */
static uint32_t derive_ordinal(const char *package, const char *interface, const char *method)
{
	uint32_t h = 2166136261u;
	const char *parts[] = {package, ".", interface, ".", method};
	for (size_t i = 0; i < (method != NULL ? 5u : 3u); i++) {
		for (const char *p = parts[i]; *p; p++) {
			h ^= (unsigned char)*p;
			h *= 16777619u;
		}
	}
	h &= MAX_ORDINAL;
	return h ? h : 1;
}

static decl *make_message(sema *s, decl *iface, method *m, member *fields, const char *suffix)
{
	decl *msg = ast_decl(s->a, iface->file, m->loc, DECL_STRUCT,
	                     arena_printf(s->a, "%s.%s %s", iface->name, m->name, suffix));
	msg->members = fields;
	msg->is_message = true;
	msg->message_of = m;
	msg->interface_of = iface;
	check_struct(s, msg);
	return msg;
}

/* The attributes idlc knows; each applies to one kind of thing. */
static const char *const known_attributes[] = {"max_frame", "ordinal", "version", "oldest",
                                               "added"};

/* An attribute idlc does not know is ignored, with a warning that names
 * the known one it may have meant. */
static void warn_unknown_attribute(sema *s, const attribute *a)
{
	suggester g;
	suggest_init(&g, a->name);
	for (size_t i = 0; i < sizeof(known_attributes) / sizeof(known_attributes[0]); i++)
		suggest_consider(&g, known_attributes[i]);
	const char *best = suggest_result(&g);
	if (best != NULL)
		diag_warning(s->d, "unknown-attribute", a->loc,
		             "unknown attribute '@%s' ignored; did you mean '@%s'?", a->name, best);
	else
		diag_warning(s->d, "unknown-attribute", a->loc, "unknown attribute '@%s' ignored",
		             a->name);
}

/* allowed: the attribute names that apply here, separated by spaces. */
static bool attribute_allowed(const char *allowed, const char *name)
{
	size_t n = strlen(name);
	for (const char *at = allowed; at != NULL && *at != '\0';) {
		const char *end = strchr(at, ' ');
		size_t len = end != NULL ? (size_t)(end - at) : strlen(at);
		if (len == n && strncmp(at, name, n) == 0)
			return true;
		at = end != NULL ? end + 1 : NULL;
	}
	return false;
}

static void check_attributes(sema *s, attribute *attrs, const char *allowed, const char *where)
{
	for (attribute *a = attrs; a != NULL; a = a->next) {
		attribute *first = ast_find_attr(attrs, a->name);
		if (first != a) {
			diag_error(s->d, "duplicate-attribute", a->loc,
			           "attribute '@%s' given twice", a->name);
			diag_note(s->d, first->loc, "first given here");
			continue;
		}
		if (attribute_allowed(allowed, a->name))
			continue;
		bool known = false;
		for (size_t i = 0; i < sizeof(known_attributes) / sizeof(known_attributes[0]); i++)
			known |= strcmp(a->name, known_attributes[i]) == 0;
		if (known)
			diag_error(s->d, "misplaced-attribute", a->loc,
			           "attribute '@%s' does not apply to %s", a->name, where);
		else
			warn_unknown_attribute(s, a);
	}
}

static bool attribute_value(sema *s, file *f, attribute *a, uint64_t lo, uint64_t hi, uint64_t *out)
{
	if (a->arg == NULL) {
		diag_error(s->d, "attribute-needs-value", a->loc,
		           "attribute '@%s' needs a value, e.g. @%s(%llu)", a->name, a->name,
		           (unsigned long long)lo);
		return false;
	}
	idl_int v;
	if (!eval(s, f, a->arg, &v))
		return false;
	if (v < (idl_int)lo || v > (idl_int)hi) {
		char value[48];
		print_int(value, sizeof(value), v);
		diag_error(s->d, "attribute-out-of-range", a->arg->loc,
		           "@%s(%s) is out of range; it must be %llu to %llu", a->name, value,
		           (unsigned long long)lo, (unsigned long long)hi);
		return false;
	}
	*out = (uint64_t)v;
	return true;
}

/* @added(N) of a method or parameter of interface d: 1 when absent. */
static uint32_t added_version(sema *s, decl *d, attribute *attrs)
{
	attribute *a = ast_find_attr(attrs, "added");
	uint64_t v = 1;
	if (a == NULL || !attribute_value(s, d->file, a, 1, MAX_VERSION, &v))
		return 1;
	if (v > d->version) {
		diag_error(s->d, "added-above-version", a->arg->loc,
		           "@added(%llu) is above the version of '%s' (%u)", (unsigned long long)v,
		           d->name, d->version);
		attribute *version = ast_find_attr(d->attrs, "version");
		diag_note(s->d, version != NULL ? version->loc : d->loc,
		          "raise it with @version(%llu) on the interface", (unsigned long long)v);
		return d->version;
	}
	return (uint32_t)v;
}

/* The `reserved` names and numbers of a declaration: each given once, and
 * none used by a member. */
static bool reserved_number(sema *s, decl *d, reserved *r, idl_int *out)
{
	if (!eval(s, d->file, r->value, out))
		return false;
	if (d->kind == DECL_INTERFACE) {
		if (*out < 1 || *out > MAX_ORDINAL) {
			diag_error(s->d, "reserved-out-of-range", r->loc,
			           "reserved ordinal is out of range; it must be 1 to %u",
			           MAX_ORDINAL);
			return false;
		}
		return true;
	}
	return check_fits(s, *out, d->int_kind, r->loc, "reserved value");
}

static void check_reserved_list(sema *s, decl *d)
{
	for (reserved *r = d->reserveds; r != NULL; r = r->next) {
		idl_int v = 0;
		bool numbered = r->name == NULL && reserved_number(s, d, r, &v);
		for (reserved *o = d->reserveds; o != r; o = o->next) {
			idl_int w;
			bool same = r->name != NULL
			                ? o->name != NULL && strcmp(o->name, r->name) == 0
			                : numbered && o->name == NULL && o->value->evaluated &&
			                      (w = o->value->value, w == v);
			if (same) {
				diag_error(s->d, "duplicate-reserved", r->loc, "reserved twice");
				diag_note(s->d, o->loc, "first reserved here");
				break;
			}
		}
	}
}

static void reserved_clash(sema *s, reserved *r, const char *what, loc at)
{
	diag_error(s->d, "reserved-reused", at, "%s is reserved", what);
	diag_note(s->d, r->loc, "reserved here, so that a later version does not reuse it");
}

/* Members of an enum, bits or union against its `reserved` line. */
static void check_member_reserved(sema *s, decl *d)
{
	check_reserved_list(s, d);
	const char *what = d->kind == DECL_UNION ? "variant" : "member";
	for (reserved *r = d->reserveds; r != NULL; r = r->next) {
		for (member *m = d->members; m != NULL; m = m->next) {
			bool clash = r->name != NULL ? strcmp(r->name, m->name) == 0
			                             : r->value->evaluated && m->value->evaluated &&
			                                   r->value->value == m->value->value;
			if (!clash)
				continue;
			if (r->name != NULL)
				reserved_clash(
				    s, r, arena_printf(s->a, "the name of %s '%s'", what, m->name),
				    m->loc);
			else
				reserved_clash(s, r,
				               arena_printf(s->a, "the %s of %s '%s'",
				                            d->kind == DECL_UNION ? "tag" : "value",
				                            what, m->name),
				               m->value->loc);
		}
	}
}

/* Methods against the interface's `reserved` line. A reserved name also
 * reserves the ordinal derived from it: that is the ordinal old peers use. */
static void check_interface_reserved(sema *s, decl *d)
{
	check_reserved_list(s, d);
	const char *package = d->file->package ? d->file->package : "";
	for (reserved *r = d->reserveds; r != NULL; r = r->next) {
		uint32_t ordinal = 0;
		if (r->name != NULL)
			ordinal = derive_ordinal(package, d->name, r->name);
		else if (r->value->evaluated)
			ordinal = (uint32_t)r->value->value;
		for (method *m = d->methods; m != NULL; m = m->next) {
			if (r->name != NULL && strcmp(r->name, m->name) == 0)
				reserved_clash(
				    s, r, arena_printf(s->a, "the name of method '%s'", m->name),
				    m->loc);
			else if (ordinal != 0 && m->ordinal == ordinal)
				reserved_clash(s, r,
				               arena_printf(s->a, "ordinal %u of method '%s'",
				                            ordinal, m->name),
				               m->ordinal_loc);
		}
	}
}

static void check_interface(sema *s, decl *d)
{
	file *f = d->file;
	if (is_empty(d, d->methods))
		diag_error(s->d, "empty-declaration", d->loc,
		           "interface '%s' has no methods or events", d->name);
	check_attributes(s, d->attrs, "max_frame version oldest", "an interface");
	d->max_frame_bytes = DEFAULT_MAX_FRAME;
	attribute *max_frame = ast_find_attr(d->attrs, "max_frame");
	if (max_frame)
		attribute_value(s, f, max_frame, 64, LARGEST_FRAME, &d->max_frame_bytes);
	uint64_t version = 1, oldest = 1;
	attribute *version_attr = ast_find_attr(d->attrs, "version");
	if (version_attr)
		attribute_value(s, f, version_attr, 1, MAX_VERSION, &version);
	attribute *oldest_attr = ast_find_attr(d->attrs, "oldest");
	if (oldest_attr && attribute_value(s, f, oldest_attr, 1, MAX_VERSION, &oldest) &&
	    oldest > version) {
		diag_error(s->d, "oldest-above-version", oldest_attr->arg->loc,
		           "@oldest(%llu) is above the interface's version %llu",
		           (unsigned long long)oldest, (unsigned long long)version);
		oldest = version;
	}
	d->version = (uint32_t)version;
	d->oldest = (uint32_t)oldest;

	strmap names, ordinals;
	strmap_init(&names, s->a);
	strmap_init(&ordinals, s->a);
	for (method *m = d->methods; m != NULL; m = m->next) {
		method *had = strmap_put(&names, m->name, m);
		bool duplicate = had != m;
		if (duplicate) {
			diag_error(s->d, "duplicate-member", m->loc,
			           "duplicate method '%s' in interface '%s'", m->name, d->name);
			diag_note(s->d, had->loc, "'%s' is first declared here", m->name);
		}
		if (m->kind == METHOD_TWO_WAY && !m->has_reply) {
			diag_error(s->d, "missing-reply", m->loc, "method '%s' has no reply",
			           m->name);
			diag_note(s->d, m->loc,
			          "write 'oneway %s(...)' for a one-way method, or '-> ()' for an "
			          "empty reply",
			          m->name);
		}
		check_attributes(s, m->attrs, "ordinal added", "a method");
		m->added = added_version(s, d, m->attrs);
		attribute *explicit_ordinal = ast_find_attr(m->attrs, "ordinal");
		uint64_t ordinal;
		if (explicit_ordinal &&
		    attribute_value(s, f, explicit_ordinal, 1, MAX_ORDINAL, &ordinal)) {
			m->ordinal = (uint32_t)ordinal;
			m->ordinal_loc = explicit_ordinal->loc;
		} else {
			m->ordinal = derive_ordinal(f->package ? f->package : "", d->name, m->name);
			m->ordinal_loc = m->loc;
		}
		char key[16];
		snprintf(key, sizeof(key), "%u", m->ordinal);
		/* A duplicate name derives the same ordinal: one error is enough. */
		had = duplicate ? m : strmap_put(&ordinals, arena_strdup(s->a, key), m);
		if (had != m) {
			diag_error(s->d, "ordinal-collision", m->ordinal_loc,
			           "ordinal %u of '%s' collides with '%s'", m->ordinal, m->name,
			           had->name);
			diag_note(s->d, had->ordinal_loc, "'%s' has ordinal %u", had->name,
			          had->ordinal);
			diag_note(s->d, m->loc, "pick another ordinal with @ordinal(N)");
		}

		if (m->error != NULL) {
			resolve_type(s, f, m->error);
			if (m->error->kind != TYPE_NAMED ||
			    (m->error->target && m->error->target->kind != DECL_ENUM))
				diag_error(s->d, "error-not-enum", m->error->loc,
				           "the error type of '%s' must be an enum", m->name);
		}
		const char *suffix = m->kind == METHOD_EVENT ? "event" : "request";
		m->request = make_message(s, d, m, m->params, suffix);
		if (m->has_reply)
			m->reply = make_message(s, d, m, m->results, "reply");
	}
	check_interface_reserved(s, d);
}

/* ---- versions of messages ---- */

static bool decl_zero_is_valid(decl *d);

/* Whether all zero bytes are a valid value of t, and need nothing else
 * (no pointer to set): what a receiver shows for a field that an earlier
 * sender did not write. */
static bool zero_is_valid(const type *t)
{
	switch (t->kind) {
	case TYPE_INT:
	case TYPE_BOOL:
	case TYPE_OPTIONAL:
		return true;
	case TYPE_STRING:
	case TYPE_BYTES:
	case TYPE_VECTOR:
	case TYPE_PACKED:
	case TYPE_HANDLE:
		return false;
	case TYPE_ARRAY:
		return zero_is_valid(t->element);
	case TYPE_NAMED:
		break;
	}
	if (t->target == NULL)
		return true; /* unresolved: reported already */
	return decl_zero_is_valid(t->target);
}

/* zero_is_valid for a declaration. A struct's or union's answer is kept:
 * a struct holding two of the one below, forty levels deep, took 2^40
 * walks. */
static bool decl_zero_is_valid(decl *d)
{
	switch (d->kind) {
	case DECL_BITS:
		return true;
	case DECL_ENUM:
		if (d->flexible)
			return true;
		for (const member *m = d->members; m != NULL; m = m->next)
			if (m->value->evaluated && m->value->value == 0)
				return true;
		return false;
	case DECL_STRUCT:
	case DECL_UNION:
		break;
	case DECL_CONST:
	case DECL_INTERFACE:
		return false;
	}
	if (d->zero_state != ZERO_UNKNOWN)
		return d->zero_state == ZERO_VALID;
	bool valid = d->kind == DECL_STRUCT || d->flexible;
	for (const member *m = d->members; m != NULL; m = m->next) {
		if (d->kind == DECL_STRUCT && !zero_is_valid(m->type)) {
			valid = false;
			break;
		}
		if (d->kind == DECL_UNION && m->value->evaluated && m->value->value == 0) {
			valid = zero_is_valid(m->type);
			break;
		}
	}
	d->zero_state = valid ? ZERO_VALID : ZERO_INVALID;
	return valid;
}

/* A parameter's declared default: an integer, or a member of its enum. */
static void check_default(sema *s, decl *msg, member *m)
{
	type *t = m->type;
	if (t->kind == TYPE_INT) {
		idl_int v;
		if (eval(s, msg->file, m->fallback, &v) &&
		    check_fits(s, v, t->int_kind, m->fallback->loc, "default"))
			m->fallback_value = v;
		return;
	}
	if (t->kind == TYPE_NAMED && t->target != NULL && t->target->kind == DECL_ENUM) {
		expr *e = m->fallback;
		if (e->kind == EXPR_NAME && e->qualifier == NULL) {
			for (member *o = t->target->members; o != NULL; o = o->next) {
				if (strcmp(o->name, e->name) == 0) {
					m->fallback_enum = o;
					return;
				}
			}
		}
		suggester g;
		suggest_init(&g, e->kind == EXPR_NAME ? e->name : "");
		for (member *o = t->target->members; o != NULL; o = o->next)
			suggest_consider(&g, o->name);
		diag_error(s->d, "bad-default", e->loc,
		           "the default of '%s' must be a member of enum '%s'%s", m->name,
		           t->target->name, did_you_mean(s, &g));
		return;
	}
	diag_error(s->d, "bad-default", m->fallback->loc,
	           "only integer and enum parameters have declared defaults; '%s' is absent "
	           "as its zero value",
	           m->name);
}

/*
 * The parameters of a message, in versions: those of version 1 first,
 * then each later version's, in ascending order (a version adds fields at
 * the end, so that every earlier version is a prefix). A field added later
 * must have a value a receiver can show when an earlier sender leaves it
 * out: its declared default, or its zero value.
 */
static void check_message_versions(sema *s, decl *iface, decl *msg)
{
	member *last = NULL;
	for (member *m = msg->members; m != NULL; m = m->next) {
		check_attributes(s, m->attrs, "added", "a parameter");
		m->added = added_version(s, iface, m->attrs);
		attribute *added = ast_find_attr(m->attrs, "added");
		m->added_loc = added != NULL ? added->loc : m->loc;
		if (last != NULL && m->added < last->added) {
			diag_error(
			    s->d, "version-order", m->added_loc,
			    "'%s' (version %u) comes after '%s' (version %u); a version adds "
			    "parameters after those of earlier versions",
			    m->name, m->added, last->name, last->added);
			diag_note(s->d, last->added_loc, "'%s' is added here", last->name);
		}
		last = m;
		if (m->fallback != NULL && m->added == 1) {
			diag_error(s->d, "default-not-added", m->fallback->loc,
			           "a default applies to a parameter added in a later version "
			           "(@added(N)); '%s' is always sent",
			           m->name);
			continue;
		}
		if (m->added == 1)
			continue;
		if (m->fallback != NULL) {
			check_default(s, msg, m);
			continue;
		}
		type *t = m->type;
		bool top_level_empty = t->kind == TYPE_STRING || t->kind == TYPE_BYTES ||
		                       t->kind == TYPE_VECTOR || t->kind == TYPE_PACKED;
		if (!top_level_empty && !zero_is_valid(t)) {
			diag_error(
			    s->d, "added-without-default", t->loc,
			    "'%s' is added in version %u, but an earlier sender leaves it out "
			    "and its type has no zero value",
			    m->name, m->added);
			diag_note(s->d, t->loc,
			          "give it a default ('= VALUE'), or make it optional<...>");
		}
	}
}

/* ---- recursion and nesting ---- */

static uint32_t nest_decl(sema *s, decl *d, uint32_t depth);

/* Stops a walk that went MAX_NESTING_DEPTH deep; the caller reports it. */
static uint32_t too_deep(sema *s)
{
	s->nesting_too_deep = true;
	return 0;
}

/* How deep type t nests, itself included, `depth` levels below where the
 * walk started; 0 when the walk stopped (a recursive type, or too deep). */
static uint32_t nest_type(sema *s, type *t, uint32_t depth)
{
	if (depth >= MAX_NESTING_DEPTH)
		return too_deep(s);
	if (t->kind == TYPE_NAMED) {
		decl *d = t->target;
		if (d == NULL || (d->kind != DECL_STRUCT && d->kind != DECL_UNION))
			return 1;
		return nest_decl(s, d, depth);
	}
	if (t->element == NULL)
		return 1;
	uint32_t inner = nest_type(s, t->element, depth + 1);
	return inner != 0 ? inner + 1 : 0;
}

/*
 * How deep struct or union d nests: one more than its deepest member's
 * type. Every later pass that follows types recurses about that deep, so
 * the walk, whose own depth is the same, stops at MAX_NESTING_DEPTH.
 *
 * Reports a type that contains itself: it would have no maximum size. The
 * error names the first type of the cycle; a note per field shows the path.
 */
static uint32_t nest_decl(sema *s, decl *d, uint32_t depth)
{
	if (depth >= MAX_NESTING_DEPTH)
		return too_deep(s);
	if (d->visit_state == VISITED) {
		/* 0: part of a cycle reported already; look on for others. */
		if (d->nesting == 0)
			return 1;
		return depth + d->nesting > MAX_NESTING_DEPTH ? too_deep(s) : d->nesting;
	}
	if (d->visit_state == VISITING) {
		diag_error(s->d, "recursive-type", d->loc,
		           "%s '%s' contains itself, so it has no maximum size",
		           ast_decl_kind_name(d->kind), d->name);
		s->cycle_start = d;
		s->cycle_length = 0;
		return 0;
	}
	d->visit_state = VISITING;
	uint32_t deepest = 0;
	bool stopped = false;
	for (member *m = d->members; m != NULL && !stopped; m = m->next) {
		uint32_t n = nest_type(s, m->type, depth + 1);
		stopped = n == 0;
		deepest = n > deepest ? n : deepest;
		if (stopped && s->cycle_start != NULL) {
			/* Unwinding meets the path backwards; print it forwards. */
			s->cycle_path[s->cycle_length++] = (cycle_step){d, m};
			if (s->cycle_start == d) {
				while (s->cycle_length > 0) {
					cycle_step step = s->cycle_path[--s->cycle_length];
					diag_note(s->d, step.field->loc, "through '%s.%s'",
					          step.owner->name, step.field->name);
				}
				s->cycle_start = NULL;
			}
		}
	}
	d->visit_state = VISITED;
	d->nesting = stopped ? 0 : deepest + 1;
	return d->nesting;
}

/* Measures how deep d nests, when it is a struct, union or message, and
 * reports it nesting deeper than MAX_NESTING_DEPTH; false after an error. */
static bool check_nesting(sema *s, decl *d, const char *what)
{
	if (d == NULL || (d->kind != DECL_STRUCT && d->kind != DECL_UNION))
		return true;
	unsigned errors = s->d->errors;
	nest_decl(s, d, 0);
	if (s->nesting_too_deep)
		diag_error(s->d, "nesting-too-deep", d->loc,
		           "%s '%s' nests types more than %u deep", what,
		           d->is_message ? d->message_of->name : d->name, MAX_NESTING_DEPTH);
	return s->d->errors == errors;
}

/* Checks every type for cycles and depth, before anything else follows
 * types; false after reporting the first type too deep, or any cycle. */
static bool check_all_nesting(sema *s)
{
	size_t decl_count = 0;
	for (file *f = s->c->files; f != NULL; f = f->next)
		for (decl *d = f->decls; d != NULL; d = d->next)
			decl_count++;
	s->cycle_path = arena_alloc(s->a, (decl_count + 1) * sizeof(*s->cycle_path));
	bool ok = true;
	for (file *f = s->c->files; f != NULL; f = f->next) {
		for (decl *d = f->decls; d != NULL && !s->nesting_too_deep; d = d->next) {
			ok &= check_nesting(s, d, ast_decl_kind_name(d->kind));
			if (d->kind != DECL_INTERFACE)
				continue;
			for (method *m = d->methods; m != NULL && !s->nesting_too_deep; m = m->next)
				ok &= check_nesting(s, m->request, "method") &&
				      check_nesting(s, m->reply, "method");
		}
	}
	return ok;
}

/* ---- packed records ---- */

/* Whether values of t can be a packed record's member: laid out end to end
 * with nothing to patch (docs/wire-format.md, "Packed records"). Reports
 * the first that cannot, with a note where the packed type names it. */
static bool record_member_ok(sema *s, const type *t, const member *m, const type *packed,
                             uint32_t *fields)
{
	const char *what = NULL;
	if (t->kind != TYPE_NAMED || t->target == NULL || t->target->kind != DECL_STRUCT) {
		if (++*fields > RECORD_FIELDS_MAX) {
			diag_error(
			    s->d, "bad-packed-element", packed->loc,
			    "a packed record of more than %u members (nested structs' counted "
			    "one by one)",
			    RECORD_FIELDS_MAX);
			return false;
		}
	}
	switch (t->kind) {
	case TYPE_INT:
	case TYPE_BOOL:
	case TYPE_STRING:
	case TYPE_BYTES:
		return true;
	case TYPE_ARRAY: {
		const type *e = t->element;
		while (e->kind == TYPE_ARRAY)
			e = e->element;
		if (e->kind == TYPE_INT || e->kind == TYPE_BOOL ||
		    (e->kind == TYPE_NAMED && e->target != NULL &&
		     (e->target->kind == DECL_ENUM || e->target->kind == DECL_BITS)))
			return true;
		what = "an array of anything but integers, bools, enums or bits";
		break;
	}
	case TYPE_VECTOR:
		what = "a vector";
		break;
	case TYPE_PACKED:
		what = "a packed<...>";
		break;
	case TYPE_OPTIONAL:
		what = "an optional";
		break;
	case TYPE_HANDLE:
		what = "a handle";
		break;
	case TYPE_NAMED: {
		const decl *d = t->target;
		if (d == NULL || d->kind == DECL_ENUM || d->kind == DECL_BITS)
			return true;
		if (d->kind == DECL_STRUCT) {
			for (const member *inner = d->members; inner != NULL; inner = inner->next)
				if (!record_member_ok(s, inner->type, inner, packed, fields))
					return false;
			return true;
		}
		what = "a union";
		break;
	}
	}
	diag_error(s->d, "bad-packed-element", t->loc,
	           "'%s' is %s, which a packed record cannot hold; records hold integers, "
	           "bools, enums, bits, arrays of these, strings, bytes and structs of these",
	           m->name, what);
	diag_note(s->d, packed->loc, "packed here");
	return false;
}

/* packed<T, N>: T is a struct of this file whose members a record can hold. */
static void check_packed(sema *s, const file *f, type *t)
{
	if (t->element->kind != TYPE_NAMED || t->element->target == NULL ||
	    t->element->target->kind != DECL_STRUCT) {
		/* A name that did not resolve was reported already. */
		if (t->element->kind != TYPE_NAMED || t->element->target != NULL)
			diag_error(s->d, "bad-packed-element", t->element->loc,
			           "packed<T, N> takes a struct: each record is one");
		return;
	}
	decl *d = t->element->target;
	if (d->file != f) {
		diag_error(s->d, "bad-packed-element", t->element->loc,
		           "the struct of a packed<T, N> must be declared in the same file: its "
		           "record functions go in that file's header");
		diag_note(s->d, d->loc, "'%s' is declared here", d->name);
		return;
	}
	bool ok = true;
	uint32_t fields = 0;
	for (const member *m = d->members; m != NULL && ok; m = m->next)
		ok = record_member_ok(s, m->type, m, t, &fields);
	if (ok)
		d->packed_element = true;
}

static void find_packed(sema *s, const file *f, type *t)
{
	if (t == NULL)
		return;
	if (t->kind == TYPE_PACKED)
		check_packed(s, f, t);
	find_packed(s, f, t->element);
}

static void find_packed_in(sema *s, const file *f, member *members)
{
	for (member *m = members; m != NULL; m = m->next)
		find_packed(s, f, m->type);
}

/* ---- driver ---- */

void sema_check(compilation *c)
{
	sema s = {.c = c, .a = &c->arena, .d = &c->diag};

	for (file *f = c->files; f != NULL; f = f->next) {
		if (f->package == NULL)
			f->package = "";
		declare_symbols(&s, f);
	}
	for (file *f = c->files; f != NULL; f = f->next)
		for (decl *d = f->decls; d != NULL; d = d->next)
			if (d->kind == DECL_INTERFACE)
				d->protocol_id = derive_ordinal(f->package, d->name, NULL);
	for (file *f = c->files; f != NULL && !diag_too_many(s.d); f = f->next) {
		for (decl *d = f->decls; d != NULL; d = d->next) {
			switch (d->kind) {
			case DECL_CONST:
				check_attributes(&s, d->attrs, NULL, "a constant");
				eval_const_decl(&s, d);
				break;
			case DECL_ENUM:
			case DECL_BITS:
				check_attributes(&s, d->attrs, NULL,
				                 d->kind == DECL_ENUM ? "an enum" : "a bits type");
				check_enum_like(&s, d);
				break;
			case DECL_STRUCT:
				check_attributes(&s, d->attrs, NULL, "a struct");
				check_struct(&s, d);
				break;
			case DECL_UNION:
				check_attributes(&s, d->attrs, NULL, "a union");
				check_union(&s, d);
				break;
			case DECL_INTERFACE:
				check_interface(&s, d);
				break;
			}
		}
		/* After an error, a name that failed to resolve may have been meant
		 * for an import: "not used" would then be a follow-on, not news. */
		for (import *imp = f->imports; imp != NULL && s.d->errors == 0; imp = imp->next)
			if (imp->target != NULL && !imp->used)
				diag_warning(s.d, "unused-import", imp->loc,
				             "import '%s' is not used", imp->path);
	}
	/* Before anything that follows types (check_message_versions, layout,
	 * the generators): a recursive type would have them loop for ever, and
	 * one nested too deep would overflow their stacks. */
	if (!check_all_nesting(&s))
		return;
	for (file *f = c->files; f != NULL; f = f->next) {
		for (decl *d = f->decls; d != NULL; d = d->next) {
			if (d->kind != DECL_INTERFACE)
				continue;
			/* A file the first pass gave up on (too many errors) has
			 * interfaces whose messages were never made. */
			for (method *m = d->methods; m != NULL; m = m->next) {
				if (m->request != NULL)
					check_message_versions(&s, d, m->request);
				if (m->reply != NULL)
					check_message_versions(&s, d, m->reply);
			}
		}
	}
	if (s.d->errors)
		return;
	for (file *f = c->files; f != NULL; f = f->next) {
		for (decl *d = f->decls; d != NULL; d = d->next) {
			if (d->kind == DECL_STRUCT || d->kind == DECL_UNION)
				find_packed_in(&s, f, d->members);
			if (d->kind != DECL_INTERFACE)
				continue;
			for (method *m = d->methods; m != NULL; m = m->next) {
				find_packed_in(&s, f, m->params);
				find_packed_in(&s, f, m->results);
			}
		}
	}
	if (s.d->errors)
		return;
	c_names_compute(c);
}
