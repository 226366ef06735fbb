/*
 * c_names.c: every C name the generators write, worked out once.
 *
 * A .idl name becomes part of many C names: a struct Stat of package fs is
 * the type fs_stat, a method File.open is fs_file_open, its request the
 * type fs_file_open_request with its functions fs_file_open_request_encode
 * and the rest, its ordinal the macro FS_FILE_OPEN_ORDINAL, and so on.
 * Sema calls c_names_compute last: it stores each name in the AST
 * (decl.c_name, decl.cnames, method.cnames, member.c_macro), where the
 * generators read it rather than spelling it again, and it rejects two
 * declarations that would produce one C name, since the C compiler would
 * reject the output. The check sees exactly the names that are written,
 * the static ones of a generated .c included, because both come from here.
 */
#include "compile.h"
#include "idl/assert.h"

#include <string.h>

const char *c_names_snake_case(arena *a, const char *name)
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

/* Capitals of a C name: "fs_dir_entry" -> "FS_DIR_ENTRY". */
static const char *capitals(arena *a, const char *name)
{
	char *out = arena_strdup(a, name);
	for (char *p = out; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	return out;
}

const char *c_names_upper_case(arena *a, const char *name)
{
	return capitals(a, c_names_snake_case(a, name));
}

/* ---- computing ---- */

static const char *cat(arena *a, const char *x, const char *y)
{
	return arena_printf(a, "%s%s", x, y);
}

/* The names of a message struct (request, reply or event). */
static void message_names(arena *a, decl *iface, method *m, decl *msg, const char *suffix)
{
	decl_c_names *n = &msg->cnames;
	msg->c_name =
	    arena_printf(a, "%s%s_%s_%s", iface->file->c_prefix, c_names_snake_case(a, iface->name),
	                 c_names_snake_case(a, m->name), suffix);
	n->upper = capitals(a, msg->c_name);
	n->max_bytes = cat(a, n->upper, "_MAX_BYTES");
	n->max_handles = cat(a, n->upper, "_MAX_HANDLES");
	n->encode = cat(a, msg->c_name, "_encode");
	n->encode_version = cat(a, msg->c_name, "_encode_version");
	n->validate = cat(a, msg->c_name, "_validate");
	n->decode = cat(a, msg->c_name, "_decode");
	n->check = cat(a, "check_", msg->c_name);
	n->check_other = cat(a, msg->c_name, "_check_other");
	n->fields = cat(a, "fields_", msg->c_name);
	n->defaults = cat(a, "defaults_", msg->c_name);
	n->info = cat(a, "info_", msg->c_name);
	n->earlier = cat(a, "earlier_", msg->c_name);
	n->send = cat(a, "send_", msg->c_name);
	n->decode_other = cat(a, msg->c_name, "_decode_other");
}

static void method_names(arena *a, decl *iface, method *m)
{
	method_c_names *n = &m->cnames;
	IDL_ASSERT(m->request != NULL); /* sema made the message structs */
	const char *snake = c_names_snake_case(a, m->name);
	const char *base = arena_printf(a, "%s_%s", iface->c_name, snake);
	const char *upper =
	    arena_printf(a, "%s_%s", iface->cnames.upper, c_names_upper_case(a, m->name));
	n->ordinal = cat(a, upper, "_ORDINAL");
	n->added = cat(a, upper, "_ADDED");
	message_names(a, iface, m, m->request, m->kind == METHOD_EVENT ? "event" : "request");
	if (m->reply != NULL)
		message_names(a, iface, m, m->reply, "reply");
	if (m->kind == METHOD_EVENT) {
		n->call = arena_printf(a, "%s_send_%s", iface->c_name, snake);
		return;
	}
	n->call = base;
	n->serve = cat(a, "serve_", base);
	if (m->kind != METHOD_TWO_WAY)
		return;
	n->reply_buffer = cat(a, base, "_reply_buffer");
	n->pending = cat(a, base, "_pending");
	n->start = cat(a, base, "_start");
	n->finish = cat(a, base, "_finish");
	n->token = cat(a, base, "_token");
	n->defer = cat(a, base, "_defer");
	n->reply_ok = cat(a, base, "_reply_ok");
	n->reply_error = cat(a, base, "_reply_error");
	n->error_encode = cat(a, base, "_error_encode");
	n->error_validate = cat(a, base, "_error_validate");
	n->start_static = cat(a, "start_", base);
	n->finish_static = cat(a, "finish_", base);
}

/* fs_addr's variant `maybe: optional<T>` is of type fs_addr_maybe. */
static void name_variant_types(arena *a, decl *d)
{
	for (member *m = d->members; m != NULL; m = m->next) {
		type *t = ast_variant_struct(m);
		if (t != NULL)
			t->c_type_name = cat(a, cat(a, d->c_name, "_"), m->name);
	}
}

static void decl_names(arena *a, decl *d)
{
	decl_c_names *n = &d->cnames;
	d->c_name = cat(a, d->file->c_prefix, c_names_snake_case(a, d->name));
	n->upper = capitals(a, d->c_name);
	switch (d->kind) {
	case DECL_CONST:
		return;
	case DECL_ENUM:
		n->is_valid = cat(a, d->c_name, "_is_valid");
		n->to_name = cat(a, d->c_name, "_name");
		break;
	case DECL_BITS:
		n->format = cat(a, d->c_name, "_format");
		n->mask = cat(a, n->upper, "_MASK");
		break;
	case DECL_STRUCT:
	case DECL_UNION:
		n->check = cat(a, "check_", d->c_name);
		n->put = cat(a, "put_", d->c_name);
		if (d->kind == DECL_UNION)
			name_variant_types(a, d);
		if (d->packed_element) {
			n->next_record = cat(a, d->c_name, "_next");
			n->check_record = cat(a, "check_record_", d->c_name);
			n->put_record = cat(a, "put_record_", d->c_name);
		}
		break;
	case DECL_INTERFACE:
		d->channel_c_name = cat(a, d->c_name, "_channel");
		n->max_frame_bytes = cat(a, n->upper, "_MAX_FRAME_BYTES");
		n->protocol = cat(a, n->upper, "_PROTOCOL");
		n->version = cat(a, n->upper, "_VERSION");
		n->oldest_version = cat(a, n->upper, "_OLDEST_VERSION");
		n->handlers = cat(a, d->c_name, "_handlers");
		n->dispatch = cat(a, d->c_name, "_dispatch");
		n->interface = cat(a, d->c_name, "_interface");
		n->event_handlers = cat(a, d->c_name, "_event_handlers");
		n->event_dispatch = cat(a, d->c_name, "_event_dispatch");
		n->dispatch_static = cat(a, "dispatch_", d->c_name);
		for (method *m = d->methods; m != NULL; m = m->next)
			method_names(a, d, m);
		return;
	}
	/* The value macros of members are spelt in capitals as written, so
	 * that Kind.READ_ONLY stays FS_KIND_READ_ONLY. */
	for (member *m = d->members; m != NULL; m = m->next)
		if (d->kind != DECL_STRUCT)
			m->c_macro = arena_printf(a, "%s_%s", n->upper, capitals(a, m->name));
}

/* ---- checking ---- */

typedef struct c_name_owner {
	const char *what;
	loc loc; /* none for the names of C itself and of the generated code */
} c_name_owner;

typedef struct checker {
	arena *a;
	diag_ctx *d;
	strmap c_names;  /* C identifier -> the description of its owner */
	strmap reported; /* "owner\nearlier owner" of each clash reported */
} checker;

static void claim_c_name(checker *s, const char *name, const char *what, loc at)
{
	c_name_owner *owner = arena_alloc(s->a, sizeof(*owner));
	owner->what = what;
	owner->loc = at;
	c_name_owner *had = strmap_put(&s->c_names, name, owner);
	/* Names derived from one clashing name clash too (fs_x, check_fs_x,
	 * put_fs_x): one error per pair of declarations says it all. */
	if (had != owner && strmap_put(&s->reported, arena_printf(s->a, "%s\n%s", what, had->what),
	                               owner) == owner) {
		diag_error(s->d, "c-name-clash", at,
		           "%s maps to the C name '%s', which %s already has", what, name,
		           had->what);
		if (had->loc.file != 0)
			diag_note(s->d, had->loc, "%s is declared here", had->what);
	}
}

static void claim_all(checker *s, const char *const *names, size_t count, const char *what, loc at)
{
	for (size_t i = 0; i < count; i++)
		if (names[i] != NULL)
			claim_c_name(s, names[i], what, at);
}

#define COUNT(array) (sizeof(array) / sizeof((array)[0]))

/*
 * Names of C (and C++) that generated code meets, which a declaration,
 * field or method could spell: the types of <stdint.h> and <stddef.h>
 * (package uint8, struct T: uint8_t), the parameters of generated
 * functions, which would hide a type of the same name inside them, the
 * macros a field or method of the same name would be replaced by, and the
 * keywords of C++, whose compilers read the generated headers too.
 */
static void claim_c_own(checker *s)
{
	static const char *const standard[] = {
	    "int8_t",         "int16_t",       "int32_t",       "int64_t",        "uint8_t",
	    "uint16_t",       "uint32_t",      "uint64_t",      "int_least8_t",   "int_least16_t",
	    "int_least32_t",  "int_least64_t", "uint_least8_t", "uint_least16_t", "uint_least32_t",
	    "uint_least64_t", "int_fast8_t",   "int_fast16_t",  "int_fast32_t",   "int_fast64_t",
	    "uint_fast8_t",   "uint_fast16_t", "uint_fast32_t", "uint_fast64_t",  "intptr_t",
	    "uintptr_t",      "intmax_t",      "uintmax_t",     "size_t",         "ptrdiff_t",
	    "wchar_t",        "max_align_t"};
	static const char *const parameters[] = {"out_max", "buf_max", "handle_count",
	                                         "next_handle", "inline_bytes"};
	/* (Lists of at most about thirty names, which clang-format packs.) */
	static const char *const limits[] = {
	    "INT8_MIN",       "INT16_MIN",     "INT32_MIN",   "INT64_MIN",  "INT8_MAX",
	    "INT16_MAX",      "INT32_MAX",     "INT64_MAX",   "UINT8_MAX",  "UINT16_MAX",
	    "UINT32_MAX",     "UINT64_MAX",    "SIZE_MAX",    "INTPTR_MIN", "INTPTR_MAX",
	    "UINTPTR_MAX",    "PTRDIFF_MIN",   "PTRDIFF_MAX", "INTMAX_MIN", "INTMAX_MAX",
	    "UINTMAX_MAX",    "WCHAR_MIN",     "WCHAR_MAX",   "WINT_MIN",   "WINT_MAX",
	    "SIG_ATOMIC_MIN", "SIG_ATOMIC_MAX"};
	static const char *const least_fast_limits[] = {
	    "INT_LEAST8_MIN",  "INT_LEAST16_MIN",  "INT_LEAST32_MIN",  "INT_LEAST64_MIN",
	    "INT_LEAST8_MAX",  "INT_LEAST16_MAX",  "INT_LEAST32_MAX",  "INT_LEAST64_MAX",
	    "UINT_LEAST8_MAX", "UINT_LEAST16_MAX", "UINT_LEAST32_MAX", "UINT_LEAST64_MAX",
	    "INT_FAST8_MIN",   "INT_FAST16_MIN",   "INT_FAST32_MIN",   "INT_FAST64_MIN",
	    "INT_FAST8_MAX",   "INT_FAST16_MAX",   "INT_FAST32_MAX",   "INT_FAST64_MAX",
	    "UINT_FAST8_MAX",  "UINT_FAST16_MAX",  "UINT_FAST32_MAX",  "UINT_FAST64_MAX"};
	static const char *const other_macros[] = {"INT8_C",   "INT16_C",   "INT32_C",  "INT64_C",
	                                           "UINT8_C",  "UINT16_C",  "UINT32_C", "UINT64_C",
	                                           "INTMAX_C", "UINTMAX_C", "offsetof", "NULL",
	                                           "bool",     "true",      "false"};
	static const char *const cpp_keywords[] = {
	    "alignas",  "alignof",   "and",       "and_eq",    "asm",       "bitand",
	    "bitor",    "catch",     "char8_t",   "char16_t",  "char32_t",  "class",
	    "compl",    "concept",   "consteval", "constexpr", "constinit", "const_cast",
	    "co_await", "co_return", "co_yield",  "decltype",  "delete",    "dynamic_cast",
	    "explicit", "export",    "friend",    "mutable"};
	static const char *const more_cpp_keywords[] = {
	    "namespace",        "new",      "noexcept",      "not",         "not_eq",    "nullptr",
	    "operator",         "or",       "or_eq",         "private",     "protected", "public",
	    "reinterpret_cast", "requires", "static_assert", "static_cast", "template",  "this",
	    "thread_local",     "throw",    "try",           "typeid",      "typename",  "using",
	    "virtual",          "xor",      "xor_eq"};
	/* Macros of <stdlib.h>, which idl_wire.h does not include but nearly
	 * every hosted program does before the generated headers (and which
	 * gcc's <emmintrin.h> pulled in, even freestanding, until idl_wire.h
	 * stopped including it); and the names gcc and clang predefine in their default
	 * (GNU) modes for the targets a kernel is built for: Linux and other
	 * Unix toolchains, 32-bit x86, MIPS, SPARC and Solaris, 32-bit
	 * PowerPC, m68k (by CPU), VAX and MinGW. (`clang --target=T -std=gnu11
	 * -dM -E` lists them; gcc's come from builtin_define_std in its target
	 * headers.) */
	static const char *const stdlib_macros[] = {"EXIT_SUCCESS", "EXIT_FAILURE", "RAND_MAX",
	                                            "MB_CUR_MAX"};
	/* And the names of <stdlib.h> that a generated name could be: those
	 * with an underscore, as every generated name has one after its
	 * package (package quick, struct Exit: quick_exit). */
	static const char *const stdlib_names[] = {"div_t",         "ldiv_t",        "lldiv_t",
	                                           "aligned_alloc", "at_quick_exit", "quick_exit"};
	static const char *const gnu_predefined[] = {
	    "linux",   "unix",    "i386",    "mips", "MIPSEB",  "MIPSEL",  "sparc",
	    "sun",     "PPC",     "powerpc", "m68k", "mc68000", "mc68010", "mc68020",
	    "mc68030", "mc68040", "mc68060", "vax",  "WIN32",   "WIN64",   "WINNT"};
	const char *const library = "the C standard library";
	claim_all(s, standard, COUNT(standard), library, (loc){0});
	claim_all(s, parameters, COUNT(parameters), "a parameter of generated functions", (loc){0});
	claim_all(s, limits, COUNT(limits), library, (loc){0});
	claim_all(s, least_fast_limits, COUNT(least_fast_limits), library, (loc){0});
	claim_all(s, other_macros, COUNT(other_macros), library, (loc){0});
	claim_all(s, stdlib_macros, COUNT(stdlib_macros), library, (loc){0});
	claim_all(s, stdlib_names, COUNT(stdlib_names), library, (loc){0});
	claim_all(s, gnu_predefined, COUNT(gnu_predefined),
	          "the GNU mode of gcc or clang (a predefined macro)", (loc){0});
	claim_all(s, cpp_keywords, COUNT(cpp_keywords), "C++", (loc){0});
	claim_all(s, more_cpp_keywords, COUNT(more_cpp_keywords), "C++", (loc){0});
}

static void claim_decl(checker *s, decl *d, const char *what, loc at)
{
	const decl_c_names *n = &d->cnames;
	const char *const names[] = {
	    d->kind == DECL_CONST ? n->upper : d->c_name,
	    n->is_valid,
	    n->to_name,
	    n->format,
	    n->mask,
	    n->check,
	    n->put,
	    n->next_record,
	    n->check_record,
	    n->put_record,
	    n->max_bytes,
	    n->max_handles,
	    n->encode,
	    n->encode_version,
	    n->validate,
	    n->decode,
	    n->check_other,
	    n->fields,
	    n->defaults,
	    n->info,
	    n->earlier,
	    n->send,
	    n->decode_other,
	    d->channel_c_name,
	    n->max_frame_bytes,
	    n->protocol,
	    n->version,
	    n->oldest_version,
	    n->handlers,
	    n->dispatch,
	    n->interface,
	    n->event_handlers,
	    n->event_dispatch,
	    n->dispatch_static,
	};
	claim_all(s, names, COUNT(names), what, at);
}

static void claim_method(checker *s, decl *iface, method *m)
{
	const char *what = arena_printf(s->a, "method '%s.%s'", iface->name, m->name);
	const method_c_names *n = &m->cnames;
	const char *const names[] = {
	    n->call,           n->ordinal,      n->added,         n->reply_buffer,
	    n->pending,        n->start,        n->finish,        n->token,
	    n->defer,          n->reply_ok,     n->reply_error,   n->error_encode,
	    n->error_validate, n->start_static, n->finish_static, n->serve,
	};
	claim_all(s, names, COUNT(names), what, m->loc);
	claim_decl(s, m->request, what, m->loc);
	if (m->reply != NULL)
		claim_decl(s, m->reply, what, m->loc);
}

/* Members of a generated struct that the .idl does not name: a parameter
 * or variant of the same name would be declared twice. */
static void check_member_name(checker *s, const member *m, const char *what, const decl *owner,
                              const char *taken, const char *holds)
{
	if (strcmp(m->name, taken) == 0)
		diag_error(s->d, "c-member-clash", m->loc,
		           "%s '%s' would be the member '%s' of '%s', which holds %s", what,
		           m->name, taken, owner->c_name, holds);
}

static void check_members(checker *s, decl *d)
{
	if (d->kind == DECL_UNION) {
		for (member *m = d->members; m != NULL; m = m->next) {
			check_member_name(s, m, "variant", d, "tag", "the union's tag");
			if (d->flexible)
				check_member_name(s, m, "variant", d, "envelope",
				                  "the union's envelope");
		}
	}
	if (d->kind != DECL_INTERFACE)
		return;
	for (method *m = d->methods; m != NULL; m = m->next) {
		decl *msgs[] = {m->request, m->reply};
		for (size_t i = 0; i < 2; i++)
			for (member *p = msgs[i] != NULL ? msgs[i]->members : NULL; p != NULL;
			     p = p->next)
				check_member_name(s, p, "parameter", msgs[i], "header",
				                  "the frame header");
	}
}

static void claim_names(checker *s, decl *d)
{
	const char *what = arena_printf(s->a, "%s '%s'", ast_decl_kind_name(d->kind), d->name);
	claim_decl(s, d, what, d->loc);
	if (d->kind == DECL_UNION)
		for (member *m = d->members; m != NULL; m = m->next)
			if (ast_variant_struct(m) != NULL)
				claim_c_name(s, ast_variant_struct(m)->c_type_name,
				             arena_printf(s->a, "the type of variant '%s.%s'",
				                          d->name, m->name),
				             m->loc);
	for (member *m = d->members; m != NULL; m = m->next)
		if (m->c_macro != NULL)
			claim_c_name(s, m->c_macro,
			             arena_printf(s->a, "member '%s.%s'", d->name, m->name),
			             m->loc);
	for (method *m = d->methods; m != NULL; m = m->next)
		claim_method(s, d, m);
	check_members(s, d);
}

/*
 * Fields, variants, parameters and methods (in the handler tables) appear
 * in C as written, as members: a macro of the same name would replace
 * them, and idl_wire.h's macros all begin with IDL_. A member named like
 * any other C name of the compilation is refused as well, which is
 * simpler to state than which of them are macros.
 */
static void check_written_as_is(checker *s, const char *name, const char *what, loc at)
{
	if (strncmp(name, "IDL_", 4) == 0) {
		diag_error(s->d, "reserved-prefix", at,
		           "%s '%s' begins with 'IDL_', which idl_wire.h uses for its macros", what,
		           name);
		return;
	}
	const c_name_owner *had = strmap_get(&s->c_names, name);
	if (had == NULL)
		return;
	diag_error(s->d, "c-name-clash", at, "%s '%s' keeps its name in C, a name %s already has",
	           what, name, had->what);
	if (had->loc.file != 0)
		diag_note(s->d, had->loc, "%s is declared here", had->what);
}

static void check_members_as_written(checker *s, decl *d)
{
	const char *what = d->kind == DECL_UNION ? "variant" : "field";
	if (d->kind == DECL_STRUCT || d->kind == DECL_UNION)
		for (member *m = d->members; m != NULL; m = m->next)
			check_written_as_is(s, m->name, what, m->loc);
	for (method *m = d->methods; m != NULL; m = m->next) {
		check_written_as_is(s, m->name, "method", m->loc);
		decl *msgs[] = {m->request, m->reply};
		for (size_t i = 0; i < 2; i++)
			for (member *p = msgs[i] != NULL ? msgs[i]->members : NULL; p != NULL;
			     p = p->next)
				check_written_as_is(s, p->name, "parameter", p->loc);
	}
}

/* idl_wire.h owns the names that begin with idl_ and IDL_: a package idl,
 * or idl.anything (C prefix idl_anything_), would write some of them. */
static void check_prefix(checker *s, const file *f)
{
	if (strncmp(f->c_prefix, "idl_", 4) == 0)
		diag_error(s->d, "reserved-prefix", f->package_loc,
		           "package '%s' maps to a C prefix that begins with 'idl_', which "
		           "idl_wire.h uses",
		           f->package);
}

void c_names_compute(compilation *c)
{
	arena *a = &c->arena;
	for (file *f = c->files; f != NULL; f = f->next) {
		f->c_prefix = arena_printf(a, "%s_", c_names_snake_case(a, f->package));
		for (decl *d = f->decls; d != NULL; d = d->next)
			decl_names(a, d);
	}
	checker s = {.a = a, .d = &c->diag};
	strmap_init(&s.c_names, a);
	strmap_init(&s.reported, a);
	claim_c_own(&s);
	for (file *f = c->files; f != NULL; f = f->next) {
		IDL_ASSERT(f->package != NULL);
		check_prefix(&s, f);
		for (decl *d = f->decls; d != NULL; d = d->next)
			claim_names(&s, d);
	}
	/* Once every name is claimed: a member may be named like a later one. */
	for (file *f = c->files; f != NULL; f = f->next)
		for (decl *d = f->decls; d != NULL; d = d->next)
			check_members_as_written(&s, d);
}
