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

#include <string.h>

/* The largest bound of a string, bytes or vector, and of a fixed array. */
#define MAX_BOUND   0x7fffffffu
#define MAX_ORDINAL 0x7fffffffu

enum {
	UNVISITED,
	VISITING,
	VISITED
};

typedef struct cycle_step {
	decl *owner;
	member *field;
} cycle_step;

typedef struct sema {
	compilation *c;
	arena *a;
	diag_ctx *d;
	strmap c_names;         /* C identifier -> the description of its owner */
	decl *cycle_start;      /* while a recursive type's path is being reported */
	cycle_step *cycle_path; /* one step per struct or union of the compilation at most */
	size_t cycle_length;
} sema;

typedef struct c_name_owner {
	const char *what;
	loc loc;
} c_name_owner;

const char *sema_snake_case(arena *a, const char *name)
{
	size_t n = strlen(name);
	char *out = arena_alloc(a, n * 2 + 1);
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		char ch = name[i];
		bool upper = ch >= 'A' && ch <= 'Z';
		if (upper && i > 0 && name[i - 1] != '_' && name[i - 1] != '.') {
			char prev = name[i - 1];
			bool prev_lower =
			    (prev >= 'a' && prev <= 'z') || (prev >= '0' && prev <= '9');
			bool next_lower = i + 1 < n && name[i + 1] >= 'a' && name[i + 1] <= 'z';
			bool prev_upper = prev >= 'A' && prev <= 'Z';
			if (prev_lower || (prev_upper && next_lower))
				out[o++] = '_';
		}
		if (ch == '.')
			ch = '_';
		out[o++] = upper ? (char)(ch - 'A' + 'a') : ch;
	}
	out[o] = '\0';
	return out;
}

const char *sema_upper_case(arena *a, const char *name)
{
	const char *snake = sema_snake_case(a, name);
	char *out = arena_strdup(a, snake);
	for (char *p = out; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	return out;
}

/* ---- names ---- */

static void claim_c_name(sema *s, const char *name, const char *what, loc at)
{
	c_name_owner *owner = arena_alloc(s->a, sizeof(*owner));
	owner->what = what;
	owner->loc = at;
	c_name_owner *had = strmap_put(&s->c_names, name, owner);
	if (had != owner) {
		diag_error(s->d, at, "%s maps to the C name '%s', which %s already has", what, name,
		           had->what);
		diag_note(s->d, had->loc, "%s is declared here", had->what);
	}
}

static void declare_symbols(sema *s, file *f)
{
	strmap_init(&f->symbols, s->a);
	for (decl *d = f->decls; d != NULL; d = d->next) {
		decl *had = strmap_put(&f->symbols, d->name, d);
		if (had != d) {
			diag_error(s->d, d->loc, "redefinition of '%s'", d->name);
			diag_note(s->d, had->loc, "previous definition of '%s' is here", d->name);
		}
	}
}

/* Finds the declaration a (maybe qualified) name refers to from file f. */
static decl *lookup(sema *s, file *f, const char *qualifier, const char *name, loc at)
{
	if (qualifier == NULL || (f->package && strcmp(qualifier, f->package) == 0)) {
		decl *d = strmap_get(&f->symbols, name);
		if (d != NULL)
			return d;
		diag_error(s->d, at, "unknown name '%s'", name);
		for (import *imp = f->imports; imp != NULL; imp = imp->next) {
			if (imp->target && imp->target->package &&
			    strmap_get(&imp->target->symbols, name)) {
				diag_note(s->d, at, "did you mean '%s.%s'?", imp->target->package,
				          name);
				break;
			}
		}
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
	if (package_known)
		diag_error(s->d, at, "package '%s' has no declaration named '%s'", qualifier, name);
	else
		diag_error(s->d, at, "unknown package '%s'; import the file that declares it",
		           qualifier);
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

/* Evaluates e in file f. Values range over i64 and u64 together; anything
 * outside is an overflow. */
static bool eval(sema *s, file *f, expr *e, idl_int *out)
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
			diag_error(s->d, e->loc, "'%s' is %s %s, not a constant", e->name,
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
				diag_error(s->d, e->loc, "division by zero in constant expression");
				return false;
			}
			v = e->op == '/' ? l / r : l % r;
			break;
		case TOK_SHL:
		case '>':
			if (r < 0 || r > 63) {
				diag_error(s->d, e->loc, "shift by %lld; the shift must be 0 to 63",
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
		diag_error(s->d, e->loc, "constant expression overflows 64 bits");
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
	diag_error(s->d, at, "%s %s does not fit in %s", what, value, ast_int_kind_name(k));
	return false;
}

static bool eval_const_decl(sema *s, decl *d)
{
	if (d->visit_state == VISITED)
		return d->value->evaluated;
	if (d->visit_state == VISITING) {
		diag_error(s->d, d->loc, "constant '%s' depends on itself", d->name);
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
		diag_error(s->d, e->loc, "%s %s is out of range; it must be 1 to %u", what, value,
		           MAX_BOUND);
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

/* channel<Interface>: a handle of kind channel whose peer serves it. */
static void resolve_channel(sema *s, file *f, type *t)
{
	if (strcmp(t->name, "channel") != 0) {
		diag_error(s->d, t->loc,
		           "unknown type '%s<...>'; a typed channel is channel<Interface>",
		           t->name);
		return;
	}
	t->handle = HANDLE_CHANNEL;
	decl *d = lookup(s, f, t->protocol_qualifier, t->protocol_name, t->loc);
	if (d == NULL)
		return;
	if (d->kind != DECL_INTERFACE) {
		diag_error(s->d, t->loc, "'%s' is %s %s; channel<...> takes an interface",
		           t->protocol_name, d->kind == DECL_ENUM ? "an" : "a",
		           ast_decl_kind_name(d->kind));
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
			diag_error(s->d, t->element->loc,
			           "a vector's element cannot be a %s; wrap it in a struct",
			           t->element->kind == TYPE_VECTOR ? "vector" : "optional");
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
		if (!found)
			diag_error(
			    s->d, t->loc,
			    "unknown handle kind '%s'; expected shm, channel, mmio, irq or any",
			    t->name);
		break;
	}
	case TYPE_NAMED: {
		decl *d = lookup(s, f, t->qualifier, t->name, t->loc);
		if (d == NULL)
			break;
		if (d->kind == DECL_CONST || d->kind == DECL_INTERFACE) {
			diag_error(s->d, t->loc, "'%s' is %s %s, not a type", t->name,
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
			diag_error(s->d, m->loc, "duplicate %s '%s'", what, m->name);
			diag_note(s->d, had->loc, "'%s' is first declared here", m->name);
		}
	}
}

static void check_enum_like(sema *s, decl *d)
{
	const char *kind = d->kind == DECL_ENUM ? "enum" : "bits";
	if (is_empty(d, d->members))
		diag_error(s->d, d->loc, "%s '%s' has no members", kind, d->name);
	if (d->kind == DECL_BITS && ast_int_kind_signed(d->int_kind))
		diag_error(s->d, d->int_kind_loc, "bits '%s' must have an unsigned type, not %s",
		           d->name, ast_int_kind_name(d->int_kind));
	check_member_names(s, d->members, d->kind == DECL_ENUM ? "enum member" : "bits member");
	for (member *m = d->members; m != NULL; m = m->next) {
		idl_int v;
		if (!eval(s, d->file, m->value, &v) ||
		    !check_fits(s, v, d->int_kind, m->value->loc, "value"))
			continue;
		if (d->kind == DECL_BITS) {
			if (v == 0)
				diag_error(s->d, m->value->loc,
				           "bits member '%s' is zero; every member needs a bit",
				           m->name);
			if ((uint64_t)v & d->bits_mask)
				diag_warning(s->d, m->value->loc,
				             "bits member '%s' overlaps earlier members", m->name);
			d->bits_mask |= (uint64_t)v;
			continue;
		}
		for (member *o = d->members; o != m; o = o->next) {
			if (o->value->evaluated && o->value->value == v) {
				diag_error(s->d, m->value->loc,
				           "enum members '%s' and '%s' have the same value",
				           o->name, m->name);
				diag_note(s->d, o->loc, "'%s' is declared here", o->name);
				break;
			}
		}
	}
}

static void check_struct(sema *s, decl *d)
{
	if (!d->is_message && is_empty(d, d->members))
		diag_error(s->d, d->loc, "struct '%s' has no fields", d->name);
	check_member_names(s, d->members, d->is_message ? "parameter" : "field");
	for (member *m = d->members; m != NULL; m = m->next)
		resolve_type(s, d->file, m->type);
}

static void check_union(sema *s, decl *d)
{
	if (is_empty(d, d->members))
		diag_error(s->d, d->loc, "union '%s' has no variants", d->name);
	check_member_names(s, d->members, "union variant");
	for (member *m = d->members; m != NULL; m = m->next) {
		resolve_type(s, d->file, m->type);
		idl_int v;
		if (!eval(s, d->file, m->value, &v) ||
		    !check_fits(s, v, d->int_kind, m->value->loc, "tag"))
			continue;
		for (member *o = d->members; o != m; o = o->next) {
			if (o->value->evaluated && o->value->value == v) {
				diag_error(s->d, m->value->loc,
				           "union variants '%s' and '%s' have the same tag",
				           o->name, m->name);
				diag_note(s->d, o->loc, "'%s' is declared here", o->name);
				break;
			}
		}
	}
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
	decl *msg = arena_alloc(s->a, sizeof(decl));
	msg->kind = DECL_STRUCT;
	msg->name = arena_printf(s->a, "%s.%s %s", iface->name, m->name, suffix);
	msg->loc = m->loc;
	msg->file = iface->file;
	msg->members = fields;
	msg->is_message = true;
	msg->message_of = m;
	msg->interface_of = iface;
	msg->c_name = arena_printf(s->a, "%s%s_%s_%s", iface->file->c_prefix,
	                           sema_snake_case(s->a, iface->name),
	                           sema_snake_case(s->a, m->name), suffix);
	check_struct(s, msg);
	return msg;
}

static void check_attributes(sema *s, attribute *attrs, const char *allowed, const char *where)
{
	for (attribute *a = attrs; a != NULL; a = a->next) {
		attribute *first = ast_find_attr(attrs, a->name);
		if (first != a) {
			diag_error(s->d, a->loc, "attribute '@%s' given twice", a->name);
			diag_note(s->d, first->loc, "first given here");
			continue;
		}
		if (allowed != NULL && strcmp(a->name, allowed) == 0)
			continue;
		if (strcmp(a->name, "ordinal") == 0 || strcmp(a->name, "max_frame") == 0)
			diag_error(s->d, a->loc, "attribute '@%s' does not apply to %s", a->name,
			           where);
		else
			diag_warning(s->d, a->loc, "unknown attribute '@%s' ignored", a->name);
	}
}

static bool attribute_value(sema *s, file *f, attribute *a, uint64_t lo, uint64_t hi, uint64_t *out)
{
	if (a->arg == NULL) {
		diag_error(s->d, a->loc, "attribute '@%s' needs a value, e.g. @%s(%llu)", a->name,
		           a->name, (unsigned long long)lo);
		return false;
	}
	idl_int v;
	if (!eval(s, f, a->arg, &v))
		return false;
	if (v < (idl_int)lo || v > (idl_int)hi) {
		char value[48];
		print_int(value, sizeof(value), v);
		diag_error(s->d, a->arg->loc, "@%s(%s) is out of range; it must be %llu to %llu",
		           a->name, value, (unsigned long long)lo, (unsigned long long)hi);
		return false;
	}
	*out = (uint64_t)v;
	return true;
}

#define DEFAULT_MAX_FRAME 65536u
#define LARGEST_FRAME     0xfffffff8u

static void check_interface(sema *s, decl *d)
{
	file *f = d->file;
	if (is_empty(d, d->methods))
		diag_error(s->d, d->loc, "interface '%s' has no methods or events", d->name);
	check_attributes(s, d->attrs, "max_frame", "an interface");
	d->max_frame_bytes = DEFAULT_MAX_FRAME;
	attribute *max_frame = ast_find_attr(d->attrs, "max_frame");
	if (max_frame)
		attribute_value(s, f, max_frame, 64, LARGEST_FRAME, &d->max_frame_bytes);

	strmap names, ordinals;
	strmap_init(&names, s->a);
	strmap_init(&ordinals, s->a);
	for (method *m = d->methods; m != NULL; m = m->next) {
		method *had = strmap_put(&names, m->name, m);
		bool duplicate = had != m;
		if (duplicate) {
			diag_error(s->d, m->loc, "duplicate method '%s' in interface '%s'", m->name,
			           d->name);
			diag_note(s->d, had->loc, "'%s' is first declared here", m->name);
		}
		if (m->kind == METHOD_TWO_WAY && !m->has_reply) {
			diag_error(s->d, m->loc, "method '%s' has no reply", m->name);
			diag_note(s->d, m->loc,
			          "write 'oneway %s(...)' for a one-way method, or '-> ()' for an "
			          "empty reply",
			          m->name);
		}
		check_attributes(s, m->attrs, "ordinal", "a method");
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
			diag_error(s->d, m->ordinal_loc, "ordinal %u of '%s' collides with '%s'",
			           m->ordinal, m->name, had->name);
			diag_note(s->d, had->ordinal_loc, "'%s' has ordinal %u", had->name,
			          had->ordinal);
			diag_note(s->d, m->loc, "pick another ordinal with @ordinal(N)");
		}

		if (m->error != NULL) {
			resolve_type(s, f, m->error);
			if (m->error->kind != TYPE_NAMED ||
			    (m->error->target && m->error->target->kind != DECL_ENUM))
				diag_error(s->d, m->error->loc,
				           "the error type of '%s' must be an enum", m->name);
		}
		const char *suffix = m->kind == METHOD_EVENT ? "event" : "request";
		m->request = make_message(s, d, m, m->params, suffix);
		if (m->has_reply)
			m->reply = make_message(s, d, m, m->results, "reply");
	}
}

/* ---- recursion ---- */

static bool find_cycle(sema *s, decl *d);

static bool type_cycle(sema *s, type *t)
{
	if (t == NULL)
		return false;
	if (t->kind == TYPE_NAMED)
		return t->target != NULL && find_cycle(s, t->target);
	return type_cycle(s, t->element);
}

/*
 * Reports a type that contains itself: it would have no maximum size. The
 * error names the first type of the cycle; a note per field shows the path.
 */
static bool find_cycle(sema *s, decl *d)
{
	if (d->kind != DECL_STRUCT && d->kind != DECL_UNION)
		return false;
	if (d->visit_state == VISITED)
		return false;
	if (d->visit_state == VISITING) {
		diag_error(s->d, d->loc, "%s '%s' contains itself, so it has no maximum size",
		           ast_decl_kind_name(d->kind), d->name);
		s->cycle_start = d;
		s->cycle_length = 0;
		return true;
	}
	d->visit_state = VISITING;
	bool cycle = false;
	for (member *m = d->members; m != NULL && !cycle; m = m->next) {
		cycle = type_cycle(s, m->type);
		if (cycle && s->cycle_start != NULL) {
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
	return cycle;
}

/* ---- C names ---- */

static void claim_decl_names(sema *s, decl *d)
{
	const char *prefix = d->file->c_prefix;
	const char *upper_prefix = sema_upper_case(s->a, prefix);
	const char *what = arena_printf(s->a, "%s '%s'", ast_decl_kind_name(d->kind), d->name);
	switch (d->kind) {
	case DECL_CONST:
		claim_c_name(
		    s, arena_printf(s->a, "%s%s", upper_prefix, sema_upper_case(s->a, d->name)),
		    what, d->loc);
		return;
	case DECL_ENUM:
	case DECL_BITS:
		claim_c_name(s,
		             arena_printf(s->a, "%s_%s", d->c_name,
		                          d->kind == DECL_ENUM ? "name" : "format"),
		             what, d->loc);
		claim_c_name(s,
		             d->kind == DECL_ENUM
		                 ? arena_printf(s->a, "%s_is_valid", d->c_name)
		                 : arena_printf(s->a, "%s_MASK", sema_upper_case(s->a, d->c_name)),
		             what, d->loc);
		/* fall through */
	case DECL_UNION:
		claim_c_name(s, d->c_name, what, d->loc);
		for (member *m = d->members; m != NULL; m = m->next)
			claim_c_name(s,
			             arena_printf(s->a, "%s_%s", sema_upper_case(s->a, d->c_name),
			                          sema_upper_case(s->a, m->name)),
			             arena_printf(s->a, "member '%s.%s'", d->name, m->name),
			             m->loc);
		return;
	case DECL_STRUCT:
		claim_c_name(s, d->c_name, what, d->loc);
		return;
	case DECL_INTERFACE:
		break;
	}
	const char *base = d->c_name;
	claim_c_name(s, d->channel_c_name, what, d->loc);
	claim_c_name(s, arena_printf(s->a, "%s_PROTOCOL", sema_upper_case(s->a, base)), what,
	             d->loc);
	claim_c_name(s, arena_printf(s->a, "%s_handlers", base), what, d->loc);
	claim_c_name(s, arena_printf(s->a, "%s_interface", base), what, d->loc);
	claim_c_name(s, arena_printf(s->a, "%s_dispatch", base), what, d->loc);
	claim_c_name(s, arena_printf(s->a, "%s_event_handlers", base), what, d->loc);
	claim_c_name(s, arena_printf(s->a, "%s_event_dispatch", base), what, d->loc);
	for (method *m = d->methods; m != NULL; m = m->next) {
		const char *mwhat = arena_printf(s->a, "method '%s.%s'", d->name, m->name);
		const char *stub =
		    arena_printf(s->a, "%s_%s", base, sema_snake_case(s->a, m->name));
		claim_c_name(s,
		             m->kind == METHOD_EVENT ? arena_printf(s->a, "%s_send_%s", base,
		                                                    sema_snake_case(s->a, m->name))
		                                     : stub,
		             mwhat, m->loc);
		claim_c_name(s, m->request->c_name, mwhat, m->loc);
		if (m->reply) {
			claim_c_name(s, m->reply->c_name, mwhat, m->loc);
			static const char *const suffixes[] = {
			    "reply_buffer", "pending", "start",    "finish",
			    "token",        "defer",   "reply_ok", "reply_error"};
			for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++)
				claim_c_name(s, arena_printf(s->a, "%s_%s", stub, suffixes[i]),
				             mwhat, m->loc);
		}
	}
}

/* ---- driver ---- */

void sema_check(compilation *c)
{
	sema s = {.c = c, .a = &c->arena, .d = &c->diag};
	strmap_init(&s.c_names, s.a);

	for (file *f = c->files; f != NULL; f = f->next) {
		if (f->package == NULL)
			f->package = "";
		f->c_prefix = arena_printf(s.a, "%s_", sema_snake_case(s.a, f->package));
		declare_symbols(&s, f);
	}
	/* C names first: a type may name an interface of a file checked later. */
	for (file *f = c->files; f != NULL; f = f->next) {
		for (decl *d = f->decls; d != NULL; d = d->next) {
			d->c_name =
			    arena_printf(s.a, "%s%s", f->c_prefix, sema_snake_case(s.a, d->name));
			if (d->kind != DECL_INTERFACE)
				continue;
			d->channel_c_name = arena_printf(s.a, "%s_channel", d->c_name);
			d->protocol_id = derive_ordinal(f->package, d->name, NULL);
		}
	}
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
		for (import *imp = f->imports; imp != NULL; imp = imp->next)
			if (imp->target != NULL && !imp->used)
				diag_warning(s.d, imp->loc, "import '%s' is not used", imp->path);
	}
	if (s.d->errors)
		return;
	size_t decl_count = 0;
	for (file *f = c->files; f != NULL; f = f->next)
		for (decl *d = f->decls; d != NULL; d = d->next)
			decl_count++;
	s.cycle_path = arena_alloc(s.a, (decl_count + 1) * sizeof(*s.cycle_path));
	for (file *f = c->files; f != NULL; f = f->next)
		for (decl *d = f->decls; d != NULL; d = d->next)
			find_cycle(&s, d);
	for (file *f = c->files; f != NULL; f = f->next)
		for (decl *d = f->decls; d != NULL; d = d->next)
			claim_decl_names(&s, d);
}
