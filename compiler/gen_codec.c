/*
 * gen_codec.c: the encoders and copy-then-validate decoders in <name>.c.
 *
 * For each struct and union that a message reaches, a static check_ and
 * put_ function; for each message, _encode, _validate and _decode. A
 * validator runs only on the private copy: it checks each field on its own
 * line with its own error code, replaces out-of-line offsets by pointers
 * and handle indexes by handles, and returns IDL_OK only when every byte
 * of the frame was accounted for.
 */
#include "gen.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct codec_gen {
	compilation *c;
	arena *a;
	emitter *e;
	int loop_depth; /* names nested loop variables i0, i1, ... */
	unsigned mark;
} codec_gen;

static void line(codec_gen *g, int indent, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void line(codec_gen *g, int indent, const char *fmt, ...)
{
	for (int i = 0; i < indent; i++)
		emit(g->e, "\t");
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	char *text = arena_alloc(g->a, (size_t)(n > 0 ? n : 0) + 1);
	va_start(ap, fmt);
	vsnprintf(text, (size_t)(n > 0 ? n : 0) + 1, fmt, ap);
	va_end(ap);
	emit(g->e, "%s\n", text);
}

/* Emits "if (cond)\n\treturn code;" */
static void fail_if(codec_gen *g, int indent, const char *cond, const char *code)
{
	line(g, indent, "if (%s)", cond);
	line(g, indent + 1, "return %s;", code);
}

/* Emits "err = call;\nif (err != IDL_OK)\n\treturn err;" with wrapping. */
static void try_call(codec_gen *g, int indent, const char *fn, const char *const *args, size_t n)
{
	emit_wrapped(g->e, indent, arena_printf(g->a, "err = %s(", fn), args, n, ");\n");
	fail_if(g, indent, "err != IDL_OK", "err");
}

static bool is_named(const type *t, decl_kind k)
{
	return t->kind == TYPE_NAMED && t->target->kind == k;
}

/* Emits the value check of an enum or bits type and returns true; returns
 * false for other declarations. Decoders and encoders differ only in the
 * error codes: a peer's bad value, or the caller's. */
static bool check_enum_or_bits(codec_gen *g, int indent, decl *d, const char *value,
                               const char *enum_error, const char *bits_error)
{
	if (d->kind == DECL_ENUM) {
		fail_if(g, indent, arena_printf(g->a, "!%s_is_valid(%s)", d->c_name, value),
		        enum_error);
		return true;
	}
	if (d->kind == DECL_BITS) {
		const char *upper = gen_upper(g->a, d->c_name);
		fail_if(g, indent, arena_printf(g->a, "(%s & ~%s_MASK) != 0", value, upper),
		        bits_error);
		return true;
	}
	return false;
}

/* ---- validation ---- */

static void check_value(codec_gen *g, int indent, type *t, const char *lv);

static void check_padding(codec_gen *g, int indent, const char *lv_pad)
{
	fail_if(g, indent, arena_printf(g->a, "!idl_is_zero(%s, sizeof(%s))", lv_pad, lv_pad),
	        "IDL_E_PADDING");
}

static void check_value(codec_gen *g, int indent, type *t, const char *lv)
{
	arena *a = g->a;
	if (!gen_needs_check(t))
		return;
	switch (t->kind) {
	case TYPE_INT:
		return;
	case TYPE_BOOL:
		fail_if(g, indent, arena_printf(a, "*(const uint8_t *)&%s > 1", lv), "IDL_E_BOOL");
		return;
	case TYPE_HANDLE: {
		const char *args[] = {"d", arena_printf(a, "&%s%s", lv, gen_handle_member(t)),
		                      gen_handle_kind(t)};
		try_call(g, indent, "idl_take_handle", args, 3);
		return;
	}
	case TYPE_STRING: {
		const char *args[] = {"d", arena_printf(a, "&%s", lv),
		                      arena_printf(a, "%lluu", (unsigned long long)t->count)};
		try_call(g, indent, "idl_check_string", args, 3);
		return;
	}
	case TYPE_BYTES:
	case TYPE_VECTOR: {
		bool vec = t->kind == TYPE_VECTOR;
		line(g, indent, "{");
		line(g, indent + 1, "uint8_t *block;");
		const char *elem = vec ? arena_printf(a, "sizeof(*%s.items)", lv) : "1";
		const char *args[] = {"d",
		                      arena_printf(a, "%s.%s", lv, vec ? "count" : "size"),
		                      arena_printf(a, "%s.reserved", lv),
		                      arena_printf(a, "%s.offset", lv),
		                      arena_printf(a, "%lluu", (unsigned long long)t->count),
		                      elem,
		                      "&block"};
		try_call(g, indent + 1, "idl_check_block", args, 7);
		if (!vec) {
			line(g, indent + 1, "%s.data = block;", lv);
			line(g, indent, "}");
			return;
		}
		if (gen_needs_check(t->element)) {
			int depth = g->loop_depth++;
			const char *item = arena_printf(a, "items%d", depth);
			/* The element type spelled through the typed pointer of the slot. */
			line(g, indent + 1, "%s = (void *)block;",
			     gen_pointer_decl(a, t->element, item));
			line(g, indent + 1, "for (uint32_t i%d = 0; i%d < %s.count; i%d++) {",
			     depth, depth, lv, depth);
			check_value(g, indent + 2, t->element,
			            arena_printf(a, "%s[i%d]", item, depth));
			line(g, indent + 1, "}");
			g->loop_depth--;
		}
		line(g, indent + 1, "%s.items = (void *)block;", lv);
		line(g, indent, "}");
		return;
	}
	case TYPE_ARRAY: {
		int depth = g->loop_depth++;
		line(g, indent, "for (uint32_t i%d = 0; i%d < %lluu; i%d++) {", depth, depth,
		     (unsigned long long)t->count, depth);
		check_value(g, indent + 1, t->element, arena_printf(a, "%s[i%d]", lv, depth));
		line(g, indent, "}");
		g->loop_depth--;
		return;
	}
	case TYPE_OPTIONAL:
		fail_if(g, indent, arena_printf(a, "*(const uint8_t *)&%s.present > 1", lv),
		        "IDL_E_OPTIONAL");
		if (t->element->shape.align > 1)
			check_padding(g, indent, arena_printf(a, "%s.pad", lv));
		line(g, indent, "if (%s.present) {", lv);
		check_value(g, indent + 1, t->element, arena_printf(a, "%s.value", lv));
		const char *zero[] = {arena_printf(a, "(const uint8_t *)&%s.value", lv),
		                      arena_printf(a, "sizeof(%s.value)", lv)};
		emit_wrapped(g->e, indent, "} else if (!idl_is_zero(", zero, 2, ")) {\n");
		line(g, indent + 1, "return IDL_E_PADDING;");
		line(g, indent, "}");
		return;
	case TYPE_NAMED: {
		decl *d = t->target;
		if (!check_enum_or_bits(g, indent, d, lv, "IDL_E_ENUM", "IDL_E_BITS")) {
			const char *args[] = {"d", arena_printf(a, "&%s", lv)};
			try_call(g, indent, arena_printf(a, "check_%s", d->c_name), args, 2);
		}
		return;
	}
	}
}

/* Checks the fields of a struct (or message body) in order, padding included. */
static void check_fields(codec_gen *g, decl *d)
{
	uint64_t offset = d->is_message ? 24 : 0;
	unsigned pads = 0;
	for (member *m = d->members; m != NULL; m = m->next) {
		if (m->offset > offset)
			check_padding(g, 1, arena_printf(g->a, "p->_pad%u", pads++));
		/* Fields that any bit pattern satisfies have nothing to show. */
		if (gen_needs_check(m->type))
			emit(g->e, "\t/* %s: %s */\n", gen_where(g->c, m->loc), m->name);
		check_value(g, 1, m->type, arena_printf(g->a, "p->%s", m->name));
		offset = m->offset + m->type->shape.size;
	}
	if (d->shape.size > offset)
		check_padding(g, 1, arena_printf(g->a, "p->_pad%u", pads++));
}

static bool uses_err(decl *d)
{
	for (member *m = d->members; m != NULL; m = m->next) {
		type *t = m->type;
		while (t->kind == TYPE_ARRAY || t->kind == TYPE_OPTIONAL)
			t = t->element;
		if (t->kind == TYPE_HANDLE || t->kind == TYPE_STRING || t->kind == TYPE_BYTES ||
		    t->kind == TYPE_VECTOR || is_named(t, DECL_STRUCT) || is_named(t, DECL_UNION))
			if (gen_needs_check(t))
				return true;
	}
	return false;
}

static void gen_check_struct(codec_gen *g, decl *d)
{
	emit(g->e, "static int check_%s(idl_decoder *d, %s *p)\n{\n", d->c_name, d->c_name);
	if (uses_err(d))
		line(g, 1, "int err;");
	line(g, 1, "(void)d;");
	check_fields(g, d);
	line(g, 1, "return IDL_OK;");
	emit(g->e, "}\n\n");
}

static void gen_check_union(codec_gen *g, decl *d)
{
	arena *a = g->a;
	emit(g->e, "static int check_%s(idl_decoder *d, %s *p)\n{\n", d->c_name, d->c_name);
	if (uses_err(d))
		line(g, 1, "int err;");
	line(g, 1, "(void)d;");
	uint32_t tag = ast_int_kind_bytes(d->int_kind);
	uint32_t payload = d->members->offset;
	if (payload > tag)
		check_padding(g, 1, "p->_pad0");
	const char *upper = gen_upper(a, d->c_name);
	line(g, 1, "switch (p->tag) {");
	for (member *m = d->members; m != NULL; m = m->next) {
		line(g, 1, "case %s_%s:", upper, gen_upper(a, m->name));
		check_value(g, 2, m->type, arena_printf(a, "p->%s", m->name));
		uint64_t used = payload + m->type->shape.size;
		if (used < d->shape.size) {
			line(g, 2, "/* The bytes after the variant are zero. */");
			const char *cond = arena_printf(
			    a, "!idl_is_zero((const uint8_t *)p + %llu, %llu)",
			    (unsigned long long)used, (unsigned long long)(d->shape.size - used));
			fail_if(g, 2, cond, "IDL_E_PADDING");
		}
		line(g, 2, "return IDL_OK;");
	}
	line(g, 1, "default:");
	line(g, 2, "return IDL_E_UNION_TAG;");
	line(g, 1, "}");
	emit(g->e, "}\n\n");
}

/* ---- encoding ---- */

static void put_value(codec_gen *g, int indent, type *t, const char *src, const char *dst);

static void put_value(codec_gen *g, int indent, type *t, const char *src, const char *dst)
{
	arena *a = g->a;
	if (!gen_needs_put(t))
		return;
	switch (t->kind) {
	case TYPE_INT:
	case TYPE_BOOL:
		return;
	case TYPE_HANDLE: {
		const char *member = gen_handle_member(t);
		const char *args[] = {"e", arena_printf(a, "%s%s", src, member), gen_handle_kind(t),
		                      arena_printf(a, "&%s%s", dst, member)};
		try_call(g, indent, "idl_put_handle", args, 4);
		return;
	}
	case TYPE_STRING: {
		const char *args[] = {"e", arena_printf(a, "&%s", src), arena_printf(a, "&%s", dst),
		                      arena_printf(a, "%lluu", (unsigned long long)t->count)};
		try_call(g, indent, "idl_put_string", args, 4);
		return;
	}
	case TYPE_BYTES:
	case TYPE_VECTOR: {
		bool vec = t->kind == TYPE_VECTOR;
		line(g, indent, "{");
		line(g, indent + 1, "uint64_t offset;");
		line(g, indent + 1, "uint8_t *block;");
		const char *args[] = {"e",
		                      arena_printf(a, "%s.%s", src, vec ? "items" : "data"),
		                      arena_printf(a, "%s.%s", src, vec ? "count" : "size"),
		                      arena_printf(a, "%lluu", (unsigned long long)t->count),
		                      vec ? arena_printf(a, "sizeof(*%s.items)", src) : "1",
		                      "&offset",
		                      "&block"};
		try_call(g, indent + 1, "idl_put_block", args, 7);
		if (vec && gen_needs_put(t->element)) {
			int depth = g->loop_depth++;
			const char *item = arena_printf(a, "items%d", depth);
			line(g, indent + 1, "%s = (void *)block;",
			     gen_pointer_decl(a, t->element, item));
			line(g, indent + 1, "for (uint32_t i%d = 0; i%d < %s.count; i%d++) {",
			     depth, depth, src, depth);
			put_value(g, indent + 2, t->element,
			          arena_printf(a, "%s.items[i%d]", src, depth),
			          arena_printf(a, "%s[i%d]", item, depth));
			line(g, indent + 1, "}");
			g->loop_depth--;
		}
		line(g, indent + 1, "%s.reserved = 0;", dst);
		line(g, indent + 1, "%s.offset = offset;", dst);
		line(g, indent, "}");
		return;
	}
	case TYPE_ARRAY: {
		int depth = g->loop_depth++;
		line(g, indent, "for (uint32_t i%d = 0; i%d < %lluu; i%d++) {", depth, depth,
		     (unsigned long long)t->count, depth);
		put_value(g, indent + 1, t->element, arena_printf(a, "%s[i%d]", src, depth),
		          arena_printf(a, "%s[i%d]", dst, depth));
		line(g, indent, "}");
		g->loop_depth--;
		return;
	}
	case TYPE_OPTIONAL:
		if (t->element->shape.align > 1)
			line(g, indent, "IDL_MEMSET(%s.pad, 0, sizeof(%s.pad));", dst, dst);
		line(g, indent, "if (%s.present) {", src);
		put_value(g, indent + 1, t->element, arena_printf(a, "%s.value", src),
		          arena_printf(a, "%s.value", dst));
		line(g, indent, "} else {");
		line(g, indent + 1, "IDL_MEMSET(&%s.value, 0, sizeof(%s.value));", dst, dst);
		line(g, indent, "}");
		return;
	case TYPE_NAMED: {
		decl *d = t->target;
		if (!check_enum_or_bits(g, indent, d, src, "IDL_E_INVALID_ARGUMENT",
		                        "IDL_E_INVALID_ARGUMENT")) {
			const char *args[] = {"e", arena_printf(a, "&%s", src),
			                      arena_printf(a, "&%s", dst)};
			try_call(g, indent, arena_printf(a, "put_%s", d->c_name), args, 3);
		}
		return;
	}
	}
}

static void put_fields(codec_gen *g, decl *d, const char *src)
{
	uint64_t offset = d->is_message ? 24 : 0;
	unsigned pads = 0;
	for (member *m = d->members; m != NULL; m = m->next) {
		if (m->offset > offset) {
			line(g, 1, "IDL_MEMSET(p->_pad%u, 0, sizeof(p->_pad%u));", pads, pads);
			pads++;
		}
		put_value(g, 1, m->type, arena_printf(g->a, "%s->%s", src, m->name),
		          arena_printf(g->a, "p->%s", m->name));
		offset = m->offset + m->type->shape.size;
	}
	if (d->shape.size > offset) {
		line(g, 1, "IDL_MEMSET(p->_pad%u, 0, sizeof(p->_pad%u));", pads, pads);
		pads++;
	}
}

static bool put_uses_err(decl *d)
{
	for (member *m = d->members; m != NULL; m = m->next) {
		type *t = m->type;
		while (t->kind == TYPE_ARRAY || t->kind == TYPE_OPTIONAL)
			t = t->element;
		if (gen_needs_put(t) && !is_named(t, DECL_ENUM) && !is_named(t, DECL_BITS))
			return true;
	}
	return false;
}

static void gen_put_struct(codec_gen *g, decl *d)
{
	const char *args[] = {"idl_encoder *e", arena_printf(g->a, "const %s *src", d->c_name),
	                      arena_printf(g->a, "%s *p", d->c_name)};
	emit_wrapped(g->e, 0, arena_printf(g->a, "static int put_%s(", d->c_name), args, 3,
	             ")\n{\n");
	if (put_uses_err(d))
		line(g, 1, "int err;");
	line(g, 1, "(void)e;");
	line(g, 1, "(void)src;");
	put_fields(g, d, "src");
	line(g, 1, "return IDL_OK;");
	emit(g->e, "}\n\n");
}

static void gen_put_union(codec_gen *g, decl *d)
{
	arena *a = g->a;
	const char *args[] = {"idl_encoder *e", arena_printf(a, "const %s *src", d->c_name),
	                      arena_printf(a, "%s *p", d->c_name)};
	emit_wrapped(g->e, 0, arena_printf(a, "static int put_%s(", d->c_name), args, 3, ")\n{\n");
	if (put_uses_err(d))
		line(g, 1, "int err;");
	line(g, 1, "(void)e;");
	uint32_t tag = ast_int_kind_bytes(d->int_kind);
	uint32_t payload = d->members->offset;
	if (payload > tag)
		line(g, 1, "IDL_MEMSET(p->_pad0, 0, sizeof(p->_pad0));");
	const char *upper = gen_upper(a, d->c_name);
	line(g, 1, "switch (src->tag) {");
	for (member *m = d->members; m != NULL; m = m->next) {
		line(g, 1, "case %s_%s:", upper, gen_upper(a, m->name));
		put_value(g, 2, m->type, arena_printf(a, "src->%s", m->name),
		          arena_printf(a, "p->%s", m->name));
		uint64_t used = payload + m->type->shape.size;
		if (used < d->shape.size)
			line(g, 2, "IDL_MEMSET((uint8_t *)p + %llu, 0, %llu);",
			     (unsigned long long)used, (unsigned long long)(d->shape.size - used));
		line(g, 2, "return IDL_OK;");
	}
	line(g, 1, "default:");
	line(g, 2, "return IDL_E_INVALID_ARGUMENT;");
	line(g, 1, "}");
	emit(g->e, "}\n\n");
}

/* ---- the types a file's messages reach ---- */

static void gen_helpers_for(codec_gen *g, type *t);

static void gen_helpers_decl(codec_gen *g, decl *d)
{
	if (d->kind != DECL_STRUCT && d->kind != DECL_UNION)
		return;
	if (d->gen_mark == g->mark)
		return;
	d->gen_mark = g->mark;
	for (member *m = d->members; m != NULL; m = m->next)
		gen_helpers_for(g, m->type);
	if (d->is_message)
		return;
	if (d->kind == DECL_STRUCT) {
		gen_check_struct(g, d);
		gen_put_struct(g, d);
	} else {
		gen_check_union(g, d);
		gen_put_union(g, d);
	}
}

static void gen_helpers_for(codec_gen *g, type *t)
{
	if (t == NULL)
		return;
	if (t->kind == TYPE_NAMED) {
		if (gen_needs_check(t))
			gen_helpers_decl(g, t->target);
		return;
	}
	gen_helpers_for(g, t->element);
}

/* ---- messages ---- */

static const char *message_flags(decl *msg)
{
	method *m = msg->message_of;
	if (m->kind == METHOD_EVENT)
		return "IDL_FLAG_EVENT";
	return msg == m->reply ? "IDL_FLAG_REPLY" : "IDL_FLAG_REQUEST";
}

static void gen_message(codec_gen *g, decl *msg)
{
	arena *a = g->a;
	emitter *e = g->e;
	method *m = msg->message_of;
	const char *n = msg->c_name;
	const char *upper = gen_upper(a, n);
	const char *ordinal =
	    arena_printf(a, "%s_%s_ORDINAL", gen_upper(a, msg->interface_of->c_name),
	                 sema_upper_case(a, m->name));
	bool fixed = !msg->shape.has_ool;
	bool two_way_request = m->kind == METHOD_TWO_WAY && msg == m->request;
	bool one_way = m->kind == METHOD_ONE_WAY || m->kind == METHOD_EVENT;

	/* encode */
	emit(e, "/* %s: %s */\n", gen_where(g->c, m->loc), msg->name);
	const char *enc_args[] = {arena_printf(a, "const %s *msg", n),
	                          "uint64_t txid",
	                          "void *out",
	                          "size_t out_max",
	                          "idl_typed_handle *handles",
	                          "uint32_t *handle_count"};
	emit_wrapped(e, 0, arena_printf(a, "int64_t %s_encode(", n), enc_args, 6, ")\n{\n");
	bool calls = put_uses_err(msg);
	if (calls)
		line(g, 1, "int err;");
	line(g, 1, "%s *p = out;", n);
	fail_if(g, 1, "((uintptr_t)out & 7) != 0 || out_max < sizeof(*p)", "IDL_E_BUFFER");
	line(g, 1, "idl_encoder enc = {.base = out, .capacity = out_max, .cursor = sizeof(*p)};");
	if (msg->shape.has_handles)
		line(g, 1, "enc.handles = handles;");
	else
		line(g, 1, "(void)handles;");
	if (calls)
		line(g, 1, "idl_encoder *e = &enc;");
	if (msg->shape.size > 24)
		line(g, 1,
		     "IDL_MEMCPY(&p->header + 1, &msg->header + 1, sizeof(*p) - "
		     "sizeof(p->header));");
	else
		line(g, 1, "(void)msg;");
	put_fields(g, msg, "msg");
	line(g, 1, "p->header.size = (uint32_t)enc.cursor;");
	line(g, 1, "p->header.ordinal = %s;", ordinal);
	line(g, 1, "p->header.txid = txid;");
	line(g, 1, "p->header.flags = %s;", message_flags(msg));
	line(g, 1, "p->header.handle_count = (uint16_t)enc.handle_count;");
	line(g, 1, "p->header.reserved = 0;");
	line(g, 1, "if (handle_count != NULL)");
	line(g, 2, "*handle_count = enc.handle_count;");
	line(g, 1, "return (int64_t)enc.cursor;");
	emit(e, "}\n\n");

	/* validate: a static body that _decode inlines, and the public entry */
	const char *val_args[] = {"void *frame", "size_t size", "const idl_typed_handle *handles",
	                          "uint32_t handle_count"};
	emit_wrapped(e, 0, arena_printf(a, "static inline int check_%s(", n), val_args, 4,
	             ")\n{\n");
	if (uses_err(msg))
		line(g, 1, "int err;");
	line(g, 1, "%s *p = frame;", n);
	if (fixed) {
		fail_if(g, 1, "size < sizeof(*p)", "IDL_E_MESSAGE_SHORT");
		fail_if(g, 1, "size > sizeof(*p)", "IDL_E_TRAILING");
	} else {
		fail_if(g, 1, "size < sizeof(*p)", "IDL_E_MESSAGE_SHORT");
		fail_if(g, 1, arena_printf(a, "size > %s_MAX_BYTES", upper),
		        "IDL_E_FRAME_TOO_LARGE");
	}
	fail_if(g, 1, "p->header.size != size", "IDL_E_FRAME_SIZE");
	fail_if(g, 1, arena_printf(a, "p->header.ordinal != %s", ordinal), "IDL_E_ORDINAL");
	if (msg->shape.has_handles) {
		line(g, 1, "if (!idl_header_tail_is(&p->header, %s, handle_count))",
		     message_flags(msg));
	} else {
		fail_if(g, 1, "handle_count != 0", "IDL_E_HANDLE_COUNT");
		line(g, 1, "(void)handles;");
		line(g, 1, "if (!idl_header_tail_is(&p->header, %s, 0))", message_flags(msg));
	}
	line(g, 2, "return idl_header_tail_error(&p->header, %s);", message_flags(msg));
	if (two_way_request)
		fail_if(g, 1, "p->header.txid == 0", "IDL_E_TXID");
	else if (one_way)
		fail_if(g, 1, "p->header.txid != 0", "IDL_E_TXID");
	/* Fields that need the decoder state (out-of-line data, handles,
	 * nested structs) get it; plain checks do without. */
	if (uses_err(msg)) {
		line(g, 1,
		     "idl_decoder dec = {.base = frame, .size = size, .cursor = sizeof(*p)};");
		line(g, 1, "idl_decoder *d = &dec;");
		if (msg->shape.has_handles) {
			line(g, 1, "dec.handles = handles;");
			line(g, 1, "dec.handle_count = handle_count;");
		}
		check_fields(g, msg);
		if (msg->shape.has_handles)
			fail_if(g, 1, "dec.next_handle != handle_count", "IDL_E_HANDLE_COUNT");
		if (!fixed)
			fail_if(g, 1, "dec.cursor != size", "IDL_E_TRAILING");
	} else {
		check_fields(g, msg);
	}
	line(g, 1, "return IDL_OK;");
	emit(e, "}\n\n");
	emit_wrapped(e, 0, arena_printf(a, "int %s_validate(", n), val_args, 4, ")\n{\n");
	const char *pass[] = {"frame", "size", "handles", "handle_count"};
	emit_wrapped(e, 1, arena_printf(a, "return check_%s(", n), pass, 4, ");\n");
	emit(e, "}\n\n");

	/* decode */
	const char *dec_args[] = {"const void *shared",
	                          "size_t available",
	                          "void *buf",
	                          "size_t buf_max",
	                          "const idl_typed_handle *handles",
	                          "uint32_t handle_count",
	                          arena_printf(a, "const %s **out", n)};
	emit_wrapped(e, 0, arena_printf(a, "int %s_decode(", n), dec_args, 7, ")\n{\n");
	fail_if(g, 1, arena_printf(a, "buf_max < %s_MAX_BYTES", upper), "IDL_E_BUFFER");
	const char *copy[] = {"shared", "available", "buf", arena_printf(a, "%s_MAX_BYTES", upper)};
	/* A small fixed-size message is copied with a constant size: a few moves
	 * instead of a library call. Larger constant copies could become
	 * `rep movs`, which is slower than the call for frames of this size. */
	bool exact_copy = fixed && msg->shape.size <= 256;
	emit_wrapped(e, 1,
	             exact_copy ? "int64_t size = idl_frame_copy_exact("
	                        : "int64_t size = idl_frame_copy(",
	             copy, 4, ");\n");
	fail_if(g, 1, "size < 0", "(int)size");
	const char *check[] = {"buf", "(size_t)size", "handles", "handle_count"};
	emit_wrapped(e, 1, arena_printf(a, "int err = check_%s(", n), check, 4, ");\n");
	fail_if(g, 1, "err != IDL_OK", "err");
	line(g, 1, "*out = buf;");
	line(g, 1, "return IDL_OK;");
	emit(e, "}\n\n");
}

/* The error reply of a method: the header and the error value, padded to 8. */
static void gen_error_reply(codec_gen *g, decl *iface, method *m)
{
	arena *a = g->a;
	emitter *e = g->e;
	decl *err = gen_error_enum(m);
	const char *base = arena_printf(a, "%s_%s", iface->c_name, sema_snake_case(a, m->name));
	const char *ordinal = arena_printf(a, "%s_%s_ORDINAL", gen_upper(a, iface->c_name),
	                                   sema_upper_case(a, m->name));
	const char *args[] = {"uint64_t txid", arena_printf(a, "%s error", err->c_name),
	                      "void *out", "size_t out_max"};
	emit_wrapped(e, 0, arena_printf(a, "int64_t %s_error_encode(", base), args, 4, ")\n{\n");
	line(g, 1, "idl_frame_header *h = out;");
	fail_if(g, 1, "((uintptr_t)out & 7) != 0 || out_max < IDL_ERROR_FRAME_BYTES",
	        "IDL_E_BUFFER");
	fail_if(g, 1, arena_printf(a, "!%s_is_valid(error)", err->c_name),
	        "IDL_E_INVALID_ARGUMENT");
	line(g, 1, "IDL_MEMSET(h + 1, 0, 8);");
	line(g, 1, "IDL_MEMCPY(h + 1, &error, sizeof(error));");
	line(g, 1, "h->size = IDL_ERROR_FRAME_BYTES;");
	line(g, 1, "h->ordinal = %s;", ordinal);
	line(g, 1, "h->txid = txid;");
	line(g, 1, "h->flags = IDL_FLAG_REPLY | IDL_FLAG_ERROR;");
	line(g, 1, "h->handle_count = 0;");
	line(g, 1, "h->reserved = 0;");
	line(g, 1, "return IDL_ERROR_FRAME_BYTES;");
	emit(e, "}\n\n");

	const char *vargs[] = {"const void *frame", "size_t size",
	                       arena_printf(a, "%s *error", err->c_name)};
	emit_wrapped(e, 0, arena_printf(a, "int %s_error_validate(", base), vargs, 3, ")\n{\n");
	line(g, 1, "const idl_frame_header *h = frame;");
	line(g, 1, "const uint8_t *body = (const uint8_t *)frame + IDL_FRAME_HEADER_BYTES;");
	line(g, 1, "%s value;", err->c_name);
	fail_if(g, 1, "size < IDL_ERROR_FRAME_BYTES", "IDL_E_MESSAGE_SHORT");
	fail_if(g, 1, "size > IDL_ERROR_FRAME_BYTES", "IDL_E_TRAILING");
	fail_if(g, 1, "h->size != size", "IDL_E_FRAME_SIZE");
	fail_if(g, 1, arena_printf(a, "h->ordinal != %s", ordinal), "IDL_E_ORDINAL");
	fail_if(g, 1, "h->flags != (IDL_FLAG_REPLY | IDL_FLAG_ERROR)", "IDL_E_FLAGS");
	fail_if(g, 1, "h->reserved != 0", "IDL_E_RESERVED");
	fail_if(g, 1, "h->handle_count != 0", "IDL_E_HANDLE_COUNT");
	line(g, 1, "IDL_MEMCPY(&value, body, sizeof(value));");
	fail_if(g, 1, "!idl_is_zero(body + sizeof(value), 8 - sizeof(value))", "IDL_E_PADDING");
	fail_if(g, 1, arena_printf(a, "!%s_is_valid(value)", err->c_name), "IDL_E_ENUM");
	line(g, 1, "*error = value;");
	line(g, 1, "return IDL_OK;");
	emit(e, "}\n\n");
}

void gen_codec(compilation *c, file *f, emitter *e)
{
	codec_gen g = {.c = c, .a = &c->arena, .e = e, .mark = gen_new_mark()};
	/* Helpers for every struct and union the messages reach, callees first. */
	for (decl *d = f->decls; d != NULL; d = d->next) {
		if (d->kind != DECL_INTERFACE)
			continue;
		for (method *m = d->methods; m != NULL; m = m->next) {
			gen_helpers_decl(&g, m->request);
			if (m->reply)
				gen_helpers_decl(&g, m->reply);
		}
	}
	for (decl *d = f->decls; d != NULL; d = d->next) {
		if (d->kind != DECL_INTERFACE)
			continue;
		for (method *m = d->methods; m != NULL; m = m->next) {
			gen_message(&g, m->request);
			if (m->reply)
				gen_message(&g, m->reply);
			if (gen_error_enum(m))
				gen_error_reply(&g, d, m);
		}
	}
}
