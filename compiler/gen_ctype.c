/*
 * gen_ctype.c: how idl types and values are spelled in C.
 */
#include "gen.h"
#include "idl/assert.h"
#include "wire.h"

#include <string.h>

const char *gen_int_ctype(int_kind k)
{
	static const char *const names[] = {"uint8_t", "uint16_t", "uint32_t", "uint64_t",
	                                    "int8_t",  "int16_t",  "int32_t",  "int64_t"};
	return names[k];
}

const char *gen_int_literal(arena *a, int_kind k, idl_int v)
{
	const char *ctype = gen_int_ctype(k);
	bool wide = ast_int_kind_bytes(k) == 8;
	if (!ast_int_kind_signed(k))
		return arena_printf(a, "((%s)%llu%s)", ctype, (unsigned long long)v,
		                    wide ? "ull" : "u");
	if (v == ast_int_kind_min(k) && wide)
		return arena_printf(a, "((%s)(-9223372036854775807ll - 1))", ctype);
	return arena_printf(a, "((%s)%lld%s)", ctype, (long long)v, wide ? "ll" : "");
}

const char *gen_guard(arena *a, const file *f)
{
	char *guard = arena_printf(a, "IDLC_%s_H", f->basename);
	for (char *p = guard; *p; p++) {
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
		else if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
			*p = '_';
	}
	return guard;
}

const char *gen_where(compilation *c, loc at)
{
	unsigned line, col;
	diag_line_col(&c->diag, at, &line, &col);
	const char *path = diag_source(&c->diag, at.file)->path;
	const char *slash = strrchr(path, '/');
	return arena_printf(&c->arena, "%s:%u", slash ? slash + 1 : path, line);
}

bool gen_shape_needs_check(const wire_shape *s)
{
	return s->needs_check || s->has_ool || s->has_handles;
}

bool gen_needs_check(const type *t)
{
	return gen_shape_needs_check(&t->shape);
}

bool gen_needs_put(const type *t)
{
	if (t->kind == TYPE_BOOL)
		return false;
	return gen_needs_check(t);
}

bool gen_has_requests(const decl *iface)
{
	for (const method *m = iface->methods; m != NULL; m = m->next)
		if (m->kind != METHOD_EVENT)
			return true;
	return false;
}

decl *gen_error_enum(const method *m)
{
	return m->error ? m->error->target : NULL;
}

void gen_dispatch_params(arena *a, const decl *iface, const char *out[GEN_DISPATCH_PARAMS])
{
	out[0] = arena_printf(a, "const %s *h", iface->cnames.handlers);
	out[1] = "idl_request *r";
	out[2] = "void *frame";
	out[3] = "size_t size";
	out[4] = "const idl_typed_handle *handles";
	out[5] = "uint32_t handle_count";
}

const char *const gen_validate_params[GEN_VALIDATE_PARAMS] = {
    "void *frame", "size_t size", "size_t frame_max", "const idl_typed_handle *handles",
    "uint32_t handle_count"};

size_t gen_encode_params(arena *a, const decl *msg, bool version,
                         const char *out[GEN_ENCODE_PARAMS])
{
	size_t n = 0;
	out[n++] = arena_printf(a, "const %s *msg", msg->c_name);
	if (version)
		out[n++] = "uint32_t version";
	out[n++] = "uint32_t txid";
	out[n++] = "void *out";
	out[n++] = "size_t out_max";
	out[n++] = "idl_typed_handle *handles";
	out[n++] = "uint32_t *handle_count";
	return n;
}

void gen_decode_params(arena *a, const decl *msg, const char *out[GEN_DECODE_PARAMS])
{
	out[0] = "const void *shared";
	out[1] = "size_t available";
	out[2] = "void *buf";
	out[3] = "size_t buf_max";
	out[4] = "const idl_typed_handle *handles";
	out[5] = "uint32_t handle_count";
	out[6] = arena_printf(a, "const %s **out", msg->c_name);
}

size_t gen_reply_params(arena *a, const method *m, const char *out[2])
{
	size_t n = 0;
	out[n++] = arena_printf(a, "const %s **reply", m->reply->c_name);
	if (gen_error_enum(m))
		out[n++] = arena_printf(a, "%s *error", gen_error_enum(m)->c_name);
	return n;
}

void gen_event_dispatch_params(arena *a, const decl *iface,
                               const char *out[GEN_EVENT_DISPATCH_PARAMS])
{
	out[0] = arena_printf(a, "const %s *h", iface->cnames.event_handlers);
	out[1] = "void *ctx";
	out[2] = "void *frame";
	out[3] = "size_t size";
	out[4] = "size_t frame_max";
	out[5] = "const idl_typed_handle *handles";
	out[6] = "uint32_t handle_count";
}

const char *gen_handle_kind(const type *t)
{
	static const char *const kinds[] = {
	    [HANDLE_ANY] = "IDL_KIND_ANY",         [HANDLE_SHM] = "IDL_KIND_SHM",
	    [HANDLE_CHANNEL] = "IDL_KIND_CHANNEL", [HANDLE_MMIO] = "IDL_KIND_MMIO",
	    [HANDLE_IRQ] = "IDL_KIND_IRQ",         [HANDLE_IOPORT] = "IDL_KIND_IOPORT",
	    [HANDLE_DMA] = "IDL_KIND_DMA",
	};
	return kinds[t->handle];
}

const char *gen_handle_member(const type *t)
{
	return t->protocol != NULL ? ".handle" : "";
}

uint64_t gen_reply_buffer_bytes(const method *m)
{
	uint64_t bytes = m->reply ? m->reply->max_frame_bytes : 0;
	if (m->error && bytes < IDL_ERROR_FRAME_BYTES)
		bytes = IDL_ERROR_FRAME_BYTES;
	return bytes;
}

/* The C name for a value of type t when it can be written as one word. */
static const char *simple_ctype(const type *t)
{
	switch (t->kind) {
	case TYPE_INT:
		return gen_int_ctype(t->int_kind);
	case TYPE_BOOL:
		return "bool";
	case TYPE_STRING:
		return "idl_string";
	case TYPE_BYTES:
		return "idl_bytes";
	case TYPE_HANDLE:
		return t->protocol != NULL ? t->protocol->channel_c_name : "idl_handle";
	case TYPE_NAMED:
		IDL_ASSERT(t->target != NULL && t->target->c_name != NULL);
		return t->target->c_name;
	default:
		return NULL;
	}
}

static void indent_to(emitter *e, int indent)
{
	for (int i = 0; i < indent; i++)
		emit(e, "\t");
}

static void anonymous_struct(arena *a, emitter *e, int indent, type *t, const char *declarator,
                             const char *qualifier);

/* Emits "<type> <declarator>;" where the declarator may carry array
 * suffixes, e.g. "uint8_t v6[16];" or "const uint8_t (*items)[4];". */
static void decl_with_suffix(arena *a, emitter *e, int indent, type *t, const char *declarator,
                             const char *qualifier)
{
	if (t->kind == TYPE_ARRAY) {
		const char *inner =
		    declarator[0] == '*' ? arena_printf(a, "(%s)", declarator) : declarator;
		decl_with_suffix(a, e, indent, t->element,
		                 arena_printf(a, "%s[%llu]", inner, (unsigned long long)t->count),
		                 qualifier);
		return;
	}
	const char *simple = simple_ctype(t);
	if (simple == NULL)
		simple = t->c_type_name; /* a union's variant: its struct has a name */
	if (simple != NULL) {
		indent_to(e, indent);
		emit(e, "%s%s %s;\n", qualifier, simple, declarator);
		return;
	}
	anonymous_struct(a, e, indent, t, declarator, qualifier);
}

/* An optional's, vector's or packed field's struct, declared in place:
 * "struct { ... } declarator;". */
static void anonymous_struct(arena *a, emitter *e, int indent, type *t, const char *declarator,
                             const char *qualifier)
{
	indent_to(e, indent);
	emit(e, "%sstruct {\n", qualifier);
	if (t->kind == TYPE_VECTOR || t->kind == TYPE_PACKED) {
		/* A packed field's second word counts its records' bytes; and
		 * decoded, its pointer is to the records, read with T_next
		 * (idl_records_of). To encode, count values at items, bytes 0. */
		bool packed = t->kind == TYPE_PACKED;
		indent_to(e, indent + 1);
		emit(e, "uint32_t count;\n");
		indent_to(e, indent + 1);
		emit(e, "uint32_t %s;\n", packed ? "bytes" : "reserved");
		indent_to(e, indent + 1);
		emit(e, "union {\n");
		indent_to(e, indent + 2);
		emit(e, "uint64_t offset;\n");
		decl_with_suffix(a, e, indent + 2, t->element, "*items", "const ");
		if (packed) {
			indent_to(e, indent + 2);
			emit(e, "const uint8_t *records;\n");
		}
		indent_to(e, indent + 1);
		emit(e, "};\n");
	} else {
		/* optional<T>: a presence byte, padding to T's alignment, then T. */
		uint32_t align = t->element->shape.align;
		indent_to(e, indent + 1);
		emit(e, "bool present;\n");
		if (align > 1) {
			indent_to(e, indent + 1);
			emit(e, "uint8_t pad[%u];\n", align - 1);
		}
		decl_with_suffix(a, e, indent + 1, t->element, "value", "");
	}
	indent_to(e, indent);
	emit(e, "} %s;\n", declarator);
}

void gen_field_decl(arena *a, emitter *e, int indent, type *t, const char *name)
{
	decl_with_suffix(a, e, indent, t, name, "");
}

void gen_variant_type(arena *a, emitter *e, type *t)
{
	anonymous_struct(a, e, 0, t, t->c_type_name, "typedef ");
}

const char *gen_pointer_decl(arena *a, const type *t, const char *name)
{
	const char *suffix = "";
	while (t->kind == TYPE_ARRAY) {
		suffix = arena_printf(a, "%s[%llu]", suffix, (unsigned long long)t->count);
		t = t->element;
	}
	if (*suffix)
		return arena_printf(a, "%s (*%s)%s", simple_ctype(t), name, suffix);
	return arena_printf(a, "%s *%s", simple_ctype(t), name);
}
