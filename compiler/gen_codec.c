/*
 * gen_codec.c: the encoders and copy-then-validate decoders in <name>.c,
 * and in <name>.h those of inline messages.
 *
 * For each struct and union that a message reaches, a check_ and a put_
 * function; for each message, _encode, _validate and _decode (and
 * _encode_version when it has several versions). A message without handles,
 * vectors or flexible unions is inline (gen_codec_is_inline): its encoder,
 * field checks and decoder's fast path are static inline in the header, for
 * the caller's compiler to fold into its code as it would a codec written
 * by hand, and so are the helpers of structs and unions of that kind, in
 * the header of the file that declares them. A validator runs only on
 * the private copy: it checks each field on its own line with its own
 * error code, replaces out-of-line offsets by pointers and handle indexes
 * by handles, and returns IDL_OK only when every byte of the frame that
 * the receiver's version knows was accounted for. Its fast path takes a
 * frame of the receiver's own version; any other (an earlier or later
 * version, or a malformed frame) goes to the slow path, check_*_other.
 */
#include "gen.h"
#include "idl/assert.h"
#include "wire.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct codec_gen {
	compilation *c;
	arena *a;
	emitter *e;
	int loop_depth; /* names nested loop variables i0, i1, ... */
	strmap emitted; /* C name -> a struct or union whose helpers are written */
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

/* Emits `indent` tabs and text, without ending the line. */
static void line_start(codec_gen *g, int indent, const char *text)
{
	for (int i = 0; i < indent; i++)
		emit(g->e, "\t");
	emit(g->e, "%s", text);
}

/* Emits "if (cond)\n\treturn code;" */
static void fail_if(codec_gen *g, int indent, const char *cond, const char *code)
{
	line(g, indent, "if (%s)", cond);
	line(g, indent + 1, "return %s;", code);
}

/* Emits "if (a || b || ...)" and tail, wrapped as clang-format wraps it:
 * as many conditions as fit, continuations aligned after the "if (". */
static void if_any(codec_gen *g, int indent, const char *const *conds, size_t count,
                   const char *tail)
{
	size_t column = (size_t)indent * EMIT_TAB_COLUMNS + strlen("if (");
	line_start(g, indent, "if (");
	for (size_t i = 0; i < count; i++) {
		const char *end = i + 1 < count ? " ||" : ")";
		size_t width = strlen(conds[i]) + strlen(end) + (i + 1 < count ? 0 : strlen(tail));
		if (i > 0 && column + 1 + width > EMIT_COLUMNS) {
			emit(g->e, "\n");
			line_start(g, indent, "    ");
			column = (size_t)indent * EMIT_TAB_COLUMNS + 4;
		} else if (i > 0) {
			emit(g->e, " ");
			column++;
		}
		emit(g->e, "%s%s", conds[i], end);
		column += strlen(conds[i]) + strlen(end);
	}
	emit(g->e, "%s\n", tail);
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
		fail_if(g, indent, arena_printf(g->a, "!%s(%s)", d->cnames.is_valid, value),
		        enum_error);
		return true;
	}
	if (d->kind == DECL_BITS) {
		fail_if(g, indent, arena_printf(g->a, "(%s & ~%s) != 0", value, d->cnames.mask),
		        bits_error);
		return true;
	}
	return false;
}

/* ---- validation ---- */

/*
 * Checks the `count` records of a packed type at `base`, which must end
 * exactly at `bytes` (an lvalue; at<depth> counts them, declared by the
 * caller): a decoder's records, or a decoded message's given to an
 * encoder. `failed` is returned for a record that fails (n<depth> holds
 * its error), `short_or_long` when they do not end at `bytes`.
 */
static void walk_records(codec_gen *g, int indent, const type *t, const char *base,
                         const char *count, const char *bytes, int depth, const char *failed,
                         const char *short_or_long)
{
	arena *a = g->a;
	line(g, indent, "for (uint32_t i%d = 0; i%d < %s; i%d++) {", depth, depth, count, depth);
	const char *args[] = {arena_printf(a, "%s + at%d", base, depth),
	                      arena_printf(a, "%s - at%d", bytes, depth)};
	emit_wrapped(
	    g->e, indent + 1,
	    arena_printf(a, "int64_t n%d = %s(", depth, t->element->target->cnames.check_record),
	    args, 2, ");\n");
	fail_if(g, indent + 1, arena_printf(a, "n%d < 0", depth), failed);
	line(g, indent + 1, "at%d += (uint64_t)n%d;", depth, depth);
	line(g, indent, "}");
	fail_if(g, indent, arena_printf(a, "at%d != %s", depth, bytes), short_or_long);
}

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
	case TYPE_PACKED: {
		/* The records, one by one, must end exactly at the byte count. */
		int depth = g->loop_depth++;
		line(g, indent, "{");
		line(g, indent + 1, "uint8_t *block;");
		const char *args[] = {
		    "d",
		    arena_printf(a, "%s.count", lv),
		    arena_printf(a, "%s.bytes", lv),
		    arena_printf(a, "%s.offset", lv),
		    arena_printf(a, "%lluu", (unsigned long long)t->count),
		    arena_printf(a, "%lluu", (unsigned long long)layout_records_max(t)),
		    "&block"};
		try_call(g, indent + 1, "idl_check_records", args, 7);
		line(g, indent + 1, "uint64_t at%d = 0;", depth);
		walk_records(g, indent + 1, t, "block", arena_printf(a, "%s.count", lv),
		             arena_printf(a, "%s.bytes", lv), depth,
		             arena_printf(a, "(int)n%d", depth), "IDL_E_RECORDS");
		line(g, indent + 1, "%s.records = block;", lv);
		line(g, indent, "}");
		g->loop_depth--;
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
			try_call(g, indent, d->cnames.check, args, 2);
		}
		return;
	}
	}
}

/* The version group a message's member starts, or 0: its index in
 * d->versions when m is the first member of a later version. */
static uint32_t group_starting_at(const decl *d, const member *m, const member *prev)
{
	/* The first member starts a group too when its version is not the
	 * message's first: then the first version's inline part is the header
	 * alone. */
	if (!d->is_message || d->version_count < 2)
		return 0;
	uint32_t before = prev != NULL ? prev->added : d->versions[0];
	if (m->added == before)
		return 0;
	for (uint32_t i = 1; i < d->version_count; i++)
		if (d->versions[i] == m->added)
			return i;
	return 0;
}

/*
 * Checks the fields of a struct (or message body) in order, padding
 * included. A message's fields of a later version are checked only when
 * the sender wrote them: `sent`, its inline part, goes past where they
 * begin (the padding before them belongs to the version before).
 */
static void check_fields(codec_gen *g, decl *d)
{
	uint64_t offset = d->is_message ? IDL_FRAME_HEADER_BYTES : 0;
	unsigned pads = 0;
	member *prev = NULL;
	for (member *m = d->members; m != NULL; prev = m, m = m->next) {
		if (m->offset > offset)
			check_padding(g, 1, arena_printf(g->a, "p->_pad%u", pads++));
		uint32_t group = group_starting_at(d, m, prev);
		if (group != 0) {
			line(g, 1, "/* Version %u; an earlier sender's frame ends before it. */",
			     d->versions[group]);
			fail_if(g, 1,
			        arena_printf(g->a, "sent <= %uu", d->version_inline[group - 1]),
			        "IDL_OK");
		}
		/* Fields that any bit pattern satisfies have nothing to show. */
		if (gen_needs_check(m->type))
			emit(g->e, "\t/* %s: %s */\n", gen_where(g->c, m->loc), m->name);
		check_value(g, 1, m->type, arena_printf(g->a, "p->%s", m->name));
		offset = m->offset + m->type->shape.size;
	}
	if (d->shape.size > offset)
		check_padding(g, 1, arena_printf(g->a, "p->_pad%u", pads++));
}

static bool uses_err(const decl *d)
{
	for (member *m = d->members; m != NULL; m = m->next) {
		type *t = m->type;
		while (t->kind == TYPE_ARRAY || t->kind == TYPE_OPTIONAL)
			t = t->element;
		if (t->kind == TYPE_HANDLE || t->kind == TYPE_STRING || t->kind == TYPE_BYTES ||
		    t->kind == TYPE_VECTOR || t->kind == TYPE_PACKED || is_named(t, DECL_STRUCT) ||
		    is_named(t, DECL_UNION))
			if (gen_needs_check(t))
				return true;
	}
	return false;
}

/*
 * The most helper bodies one function may paste, inlined. A union's helper
 * is pasted once for each variant that holds another union, so nesting
 * multiplies: twelve levels of two-variant unions made 4096 copies, and
 * gcc took 84 s at -O0 (always_inline) and 51 s at -O2 (flatten). A type
 * whose helpers would paste more gets helpers that are never inlined
 * (IDL_NOINLINE): a caller pastes a call instead.
 */
#define INLINE_EXPANSION_MAX 64u

enum {
	CODEC_INLINE_UNKNOWN,
	CODEC_INLINE_NO,
	CODEC_INLINE_YES
};

static uint64_t decl_expansion(decl *d);

/* What a value of type t pastes into its container's helper. */
static uint64_t type_expansion(const type *t)
{
	while (t->kind == TYPE_ARRAY || t->kind == TYPE_OPTIONAL || t->kind == TYPE_VECTOR)
		t = t->element; /* one body, in a loop or behind a test */
	if (t->kind != TYPE_NAMED ||
	    (t->target->kind != DECL_STRUCT && t->target->kind != DECL_UNION))
		return 0;
	uint64_t e = decl_expansion(t->target);
	return e > INLINE_EXPANSION_MAX ? 1 : e; /* a call to a helper never inlined */
}

/* The helper bodies a struct's, union's or message's helpers paste, their
 * own included; memoized, so that judging nested types takes time in
 * proportion to the description. */
static uint64_t decl_expansion(decl *d)
{
	if (d->codec_expansion == 0) {
		uint64_t sum = 1;
		for (const member *m = d->members; m != NULL; m = m->next)
			sum += type_expansion(m->type);
		d->codec_expansion = sum;
	}
	return d->codec_expansion;
}

/*
 * Whether the code for values of type t can be inline in a header: no
 * handles (their slow path needs the transport's list), no vectors and no
 * flexible unions (loops and envelopes: long code, better out of line
 * once).
 */
static bool inline_ok(const type *t)
{
	switch (t->kind) {
	case TYPE_INT:
	case TYPE_BOOL:
	case TYPE_STRING:
	case TYPE_BYTES:
		return true;
	case TYPE_HANDLE:
	case TYPE_VECTOR:
	case TYPE_PACKED:
		return false;
	case TYPE_ARRAY:
	case TYPE_OPTIONAL:
		return inline_ok(t->element);
	case TYPE_NAMED:
		return gen_codec_type_is_inline(t->target);
	}
	return false;
}

static bool members_inline_ok(decl *d)
{
	for (const member *m = d->members; m != NULL; m = m->next)
		if (!inline_ok(m->type))
			return false;
	return decl_expansion(d) <= INLINE_EXPANSION_MAX;
}

bool gen_codec_type_is_inline(decl *d)
{
	if (d->kind == DECL_ENUM || d->kind == DECL_BITS)
		return true;
	if (d->kind != DECL_STRUCT && d->kind != DECL_UNION)
		return false;
	if (d->codec_inline == CODEC_INLINE_UNKNOWN) {
		bool ok =
		    !(d->kind == DECL_UNION && ast_is_flexible_union(d)) && members_inline_ok(d);
		d->codec_inline = ok ? CODEC_INLINE_YES : CODEC_INLINE_NO;
	}
	return d->codec_inline == CODEC_INLINE_YES;
}

/* How a struct's or union's helpers are declared: inline in the header of
 * the file that declares the type (gen_codec_type_helpers), or static in
 * each <name>.c that needs them. */
static const char *helper_linkage(decl *d)
{
	if (gen_codec_type_is_inline(d))
		return "IDL_INLINE";
	return decl_expansion(d) > INLINE_EXPANSION_MAX ? "IDL_NOINLINE static" : "static";
}

static void gen_check_struct(codec_gen *g, decl *d)
{
	const char *args[] = {"idl_decoder *d", arena_printf(g->a, "%s *p", d->c_name)};
	emit_wrapped(g->e, 0, arena_printf(g->a, "%s int %s(", helper_linkage(d), d->cnames.check),
	             args, 2, ")\n{\n");
	if (uses_err(d))
		line(g, 1, "int err;");
	line(g, 1, "(void)d;");
	check_fields(g, d);
	line(g, 1, "return IDL_OK;");
	emit(g->e, "}\n\n");
}

/* The padding fields of a union before its payload, as gen_header.c
 * declares them: between tag and payload (strict), or between tag and
 * envelope and between envelope and payload (flexible). */
static unsigned union_leading_pads(const decl *d, const char *pads[2])
{
	uint32_t tag = ast_int_kind_bytes(d->int_kind);
	unsigned n = 0;
	if (ast_is_flexible_union(d)) {
		if (d->envelope_offset > tag)
			pads[n++] = "p->_pad0";
		if (d->payload_offset > d->envelope_offset + WIRE_ENVELOPE_BYTES) {
			pads[n] = n == 0 ? "p->_pad0" : "p->_pad1";
			n++;
		}
	} else if (d->payload_offset > tag) {
		pads[n++] = "p->_pad0";
	}
	return n;
}

static void gen_check_union(codec_gen *g, decl *d)
{
	arena *a = g->a;
	bool flexible = ast_is_flexible_union(d);
	const char *args[] = {"idl_decoder *d", arena_printf(a, "%s *p", d->c_name)};
	emit_wrapped(g->e, 0, arena_printf(a, "%s int %s(", helper_linkage(d), d->cnames.check),
	             args, 2, ")\n{\n");
	if (uses_err(d))
		line(g, 1, "int err;");
	line(g, 1, "(void)d;");
	const char *pads[2];
	unsigned n = union_leading_pads(d, pads);
	for (unsigned i = 0; i < n; i++)
		check_padding(g, 1, pads[i]);
	if (flexible) {
		line(g, 1, "uint64_t cursor = d->cursor;");
		line(g, 1, "uint32_t next_handle = d->next_handle;");
	}
	uint32_t payload = d->payload_offset;
	line(g, 1, "switch (p->tag) {");
	for (member *m = d->members; m != NULL; m = m->next) {
		line(g, 1, "case %s:", m->c_macro);
		check_value(g, 2, m->type, arena_printf(a, "p->%s", m->name));
		uint64_t used = payload + m->type->shape.size;
		if (used < d->shape.size) {
			line(g, 2, "/* The bytes after the variant are zero. */");
			const char *cond = arena_printf(
			    a, "!idl_is_zero((const uint8_t *)p + %llu, %llu)",
			    (unsigned long long)used, (unsigned long long)(d->shape.size - used));
			fail_if(g, 2, cond, "IDL_E_PADDING");
		}
		line(g, 2, flexible ? "break;" : "return IDL_OK;");
	}
	line(g, 1, "default:");
	if (flexible) {
		line(g, 2, "/* A newer sender's variant: kept, its payload unread. */");
		line(g, 2, "return idl_skip_envelope(d, &p->envelope);");
		line(g, 1, "}");
		line(g, 1, "return idl_end_envelope(d, &p->envelope, cursor, next_handle);");
	} else {
		line(g, 2, "return IDL_E_UNION_TAG;");
		line(g, 1, "}");
	}
	emit(g->e, "}\n\n");
}

/* ---- encoding ----
 *
 * An encoder writes straight into the ring, which the peer may read at
 * any moment. So it writes each byte once, with its final value: it never
 * copies the caller's struct and then patches it, which would show the
 * peer, for a moment, the caller's pointers, its handle values and the
 * stale bytes of its padding (tests/frames/test_encoder_stores.c).
 * put_value writes all of dst.
 */

/* Whether a value is copied as it is: no padding, nothing out of line,
 * no handles, every bit pattern valid. */
static bool is_plain(const type *t)
{
	return !gen_needs_put(t);
}

/* The bytes of an integer, bool, enum or bits value; 0 for other types. */
static unsigned scalar_bytes(const type *t)
{
	if (t->kind == TYPE_INT)
		return ast_int_kind_bytes(t->int_kind);
	if (t->kind == TYPE_BOOL)
		return 1;
	if (is_named(t, DECL_ENUM) || is_named(t, DECL_BITS))
		return ast_int_kind_bytes(t->target->int_kind);
	return 0;
}

static void copy_plain(codec_gen *g, int indent, type *t, const char *src, const char *dst)
{
	if (scalar_bytes(t) != 0) {
		line(g, indent, "%s = %s;", dst, src);
		return;
	}
	const char *args[] = {arena_printf(g->a, "&%s", dst), arena_printf(g->a, "&%s", src),
	                      arena_printf(g->a, "sizeof(%s)", dst)};
	emit_wrapped(g->e, indent, "IDL_MEMCPY(", args, 3, ");\n");
}

static void put_value(codec_gen *g, int indent, type *t, const char *src, const char *dst);

/* A bytes or vector slot: the block out of line, then the slot. Plain
 * elements are copied as a block; others are written one by one into a
 * block reserved for them. */
static void put_block(codec_gen *g, int indent, type *t, const char *src, const char *dst)
{
	arena *a = g->a;
	bool vec = t->kind == TYPE_VECTOR;
	bool each = vec && !is_plain(t->element);
	const char *count = vec ? "count" : "size";
	line(g, indent, "{");
	line(g, indent + 1, "uint64_t offset;");
	line(g, indent + 1, "uint8_t *block;");
	const char *args[] = {"e",
	                      arena_printf(a, "%s.%s", src, vec ? "items" : "data"),
	                      arena_printf(a, "%s.%s", src, count),
	                      arena_printf(a, "%lluu", (unsigned long long)t->count),
	                      vec ? arena_printf(a, "sizeof(*%s.items)", src) : "1",
	                      "&offset",
	                      "&block"};
	try_call(g, indent + 1, each ? "idl_reserve_block" : "idl_put_block", args, 7);
	if (each) {
		int depth = g->loop_depth++;
		const char *item = arena_printf(a, "items%d", depth);
		line(g, indent + 1, "%s = (void *)block;", gen_pointer_decl(a, t->element, item));
		line(g, indent + 1, "for (uint32_t i%d = 0; i%d < %s.count; i%d++) {", depth, depth,
		     src, depth);
		put_value(g, indent + 2, t->element, arena_printf(a, "%s.items[i%d]", src, depth),
		          arena_printf(a, "%s[i%d]", item, depth));
		line(g, indent + 1, "}");
		g->loop_depth--;
	}
	line(g, indent + 1, "%s.%s = %s.%s;", dst, count, src, count);
	line(g, indent + 1, "%s.reserved = 0;", dst);
	line(g, indent + 1, "%s.offset = offset;", dst);
	line(g, indent, "}");
}

/*
 * A packed slot: the records written one by one after the cursor, then
 * the padding after them, then the slot. A slot with a byte count holds
 * the records of a decoded message (forwarded, say): they are checked as
 * a decoder checks them and copied as they are.
 */
static void put_records(codec_gen *g, int indent, type *t, const char *src, const char *dst)
{
	arena *a = g->a;
	decl *rec = t->element->target;
	int depth = g->loop_depth++;
	const char *at = arena_printf(a, "at%d", depth), *n = arena_printf(a, "n%d", depth);
	line(g, indent, "{");
	line(g, indent + 1, "uint8_t *block;");
	line(g, indent + 1, "uint64_t room, offset, %s = 0;", at);
	const char *args[] = {"e",
	                      arena_printf(a, "%s.items", src),
	                      arena_printf(a, "%s.count", src),
	                      arena_printf(a, "%lluu", (unsigned long long)t->count),
	                      "&block",
	                      "&room"};
	try_call(g, indent + 1, "idl_begin_records", args, 6);
	line(g, indent + 1, "if (%s.bytes != 0) {", src);
	line(g, indent + 2, "/* A decoded message's records: checked, then copied. */");
	fail_if(g, indent + 2,
	        arena_printf(a, "%s.bytes > %lluu", src, (unsigned long long)layout_records_max(t)),
	        "IDL_E_INVALID_ARGUMENT");
	walk_records(g, indent + 2, t, arena_printf(a, "%s.records", src),
	             arena_printf(a, "%s.count", src), arena_printf(a, "%s.bytes", src), depth,
	             "IDL_E_INVALID_ARGUMENT", "IDL_E_INVALID_ARGUMENT");
	fail_if(g, indent + 2, arena_printf(a, "%s > room", at), "IDL_E_BUFFER");
	line(g, indent + 2, "idl_copy(block, %s.records, %s);", src, at);
	line(g, indent + 1, "} else {");
	line(g, indent + 2, "for (uint32_t i%d = 0; i%d < %s.count; i%d++) {", depth, depth, src,
	     depth);
	const char *pargs[] = {arena_printf(a, "block + %s", at), arena_printf(a, "room - %s", at),
	                       arena_printf(a, "&%s.items[i%d]", src, depth)};
	emit_wrapped(g->e, indent + 3,
	             arena_printf(a, "int64_t %s = %s(", n, rec->cnames.put_record), pargs, 3,
	             ");\n");
	fail_if(g, indent + 3, arena_printf(a, "%s < 0", n), arena_printf(a, "(int)%s", n));
	line(g, indent + 3, "%s += (uint64_t)%s;", at, n);
	line(g, indent + 2, "}");
	line(g, indent + 1, "}");
	const char *eargs[] = {"e", at, "&offset"};
	try_call(g, indent + 1, "idl_end_records", eargs, 3);
	line(g, indent + 1, "%s.count = %s.count;", dst, src);
	line(g, indent + 1, "%s.bytes = (uint32_t)%s;", dst, at);
	line(g, indent + 1, "%s.offset = offset;", dst);
	line(g, indent, "}");
	g->loop_depth--;
}

static void put_value(codec_gen *g, int indent, type *t, const char *src, const char *dst)
{
	arena *a = g->a;
	if (is_plain(t)) {
		copy_plain(g, indent, t, src, dst);
		return;
	}
	switch (t->kind) {
	case TYPE_INT:
	case TYPE_BOOL:
		IDL_ASSERT(!"integers and bools are plain");
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
	case TYPE_VECTOR:
		put_block(g, indent, t, src, dst);
		return;
	case TYPE_PACKED:
		put_records(g, indent, t, src, dst);
		return;
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
	case TYPE_OPTIONAL: {
		/* The value's bytes are addressed from the optional's own: as
		 * &dst.value, a union variant's value looked to gcc -O2
		 * -Warray-bounds=2 like a write past a sibling variant's member. */
		uint32_t at = t->element->shape.align; /* the presence byte, padded */
		const char *value = arena_printf(a, "(uint8_t *)&%s + %u", dst, at);
		line(g, indent, "%s.present = %s.present;", dst, src);
		if (at > 1)
			line(g, indent, "IDL_MEMSET(%s.pad, 0, sizeof(%s.pad));", dst, dst);
		line(g, indent, "if (%s.present) {", src);
		if (is_plain(t->element) && scalar_bytes(t->element) == 0) {
			const char *args[] = {value, arena_printf(a, "&%s.value", src),
			                      arena_printf(a, "sizeof(%s.value)", dst)};
			emit_wrapped(g->e, indent + 1, "IDL_MEMCPY(", args, 3, ");\n");
		} else {
			put_value(g, indent + 1, t->element, arena_printf(a, "%s.value", src),
			          arena_printf(a, "%s.value", dst));
		}
		line(g, indent, "} else {");
		const char *zero[] = {value, "0", arena_printf(a, "sizeof(%s.value)", dst)};
		emit_wrapped(g->e, indent + 1, "IDL_MEMSET(", zero, 3, ");\n");
		line(g, indent, "}");
		return;
	}
	case TYPE_NAMED: {
		decl *d = t->target;
		if (check_enum_or_bits(g, indent, d, src, "IDL_E_INVALID_ARGUMENT",
		                       "IDL_E_INVALID_ARGUMENT")) {
			line(g, indent, "%s = %s;", dst, src);
		} else {
			const char *args[] = {"e", arena_printf(a, "&%s", src),
			                      arena_printf(a, "&%s", dst)};
			try_call(g, indent, d->cnames.put, args, 3);
		}
		return;
	}
	}
}

/* Copies the plain members first .. last, which lie side by side, with one
 * copy. */
static void copy_plain_run(codec_gen *g, int indent, const member *first, const member *last,
                           const char *src)
{
	if (first == last) {
		copy_plain(g, indent, first->type, arena_printf(g->a, "%s->%s", src, first->name),
		           arena_printf(g->a, "p->%s", first->name));
		return;
	}
	uint64_t bytes = last->offset + last->type->shape.size - first->offset;
	/* Through the structs' bytes, not &p->first: the copy spans members. */
	line(g, indent, "/* %s to %s */", first->name, last->name);
	const char *args[] = {
	    arena_printf(g->a, "(uint8_t *)p + %llu", (unsigned long long)first->offset),
	    arena_printf(g->a, "(const uint8_t *)%s + %llu", src,
	                 (unsigned long long)first->offset),
	    arena_printf(g->a, "%lluu", (unsigned long long)bytes)};
	emit_wrapped(g->e, indent, "IDL_MEMCPY(", args, 3, ");\n");
}

/* A strict enum or bits value: a scalar whose values are checked. */
static bool is_checked_scalar(const type *t)
{
	return scalar_bytes(t) != 0 && !is_plain(t);
}

/* The checks of a struct's or message's enum and bits members, made
 * before any of it is written: a store that follows a compare and branch
 * on the same value was a tenth of the readdir encoder's time. */
static void check_scalars_first(codec_gen *g, const decl *d, const char *src)
{
	for (const member *m = d->members; m != NULL; m = m->next)
		if (is_checked_scalar(m->type))
			check_enum_or_bits(g, 1, m->type->target,
			                   arena_printf(g->a, "%s->%s", src, m->name),
			                   "IDL_E_INVALID_ARGUMENT", "IDL_E_INVALID_ARGUMENT");
}

/*
 * A scalar followed by padding, span bytes from its start (at most 8),
 * written with the zeros after it by idl_put_padded, so that the word
 * takes one store rather than a narrow one beside unaligned stores of the
 * padding. Its value was checked (check_scalars_first).
 */
static void put_padded(codec_gen *g, int indent, const member *m, uint64_t span, const char *src)
{
	const char *from = arena_printf(g->a, "%s->%s", src, m->name);
	/* Through the struct's bytes, not &p->member: the store runs past the
	 * member, and -Warray-bounds=2 would hold &p->member to its size. */
	line(g, indent, "/* %s and the padding after it */", m->name);
	line(g, indent, "idl_put_padded((uint8_t *)p + %llu, (uint%u_t)%s, %lluu);",
	     (unsigned long long)m->offset, scalar_bytes(m->type) * 8, from,
	     (unsigned long long)span);
}

/*
 * Writes a struct's or message's fields from src: padding zeroed, plain
 * members side by side copied together, a scalar with padding after it
 * written with its padding, the others put one by one. gated: a message
 * encoded for an earlier version (inline_bytes) writes only that
 * version's fields.
 */
static void put_fields(codec_gen *g, decl *d, const char *src, bool gated)
{
	uint64_t offset = d->is_message ? IDL_FRAME_HEADER_BYTES : 0;
	unsigned pads = 0;
	int indent = 1;
	member *prev = NULL;
	const member *run = NULL; /* the first of the plain members not yet copied */
	bool padded = false;      /* the last member wrote the padding after it */
	if (!gated)
		check_scalars_first(g, d, src);
	for (member *m = d->members; m != NULL; prev = m, m = m->next) {
		uint32_t group = gated ? group_starting_at(d, m, prev) : 0;
		uint64_t end = m->offset + m->type->shape.size;
		uint64_t span = (m->next != NULL ? m->next->offset : d->shape.size) - m->offset;
		bool with_padding =
		    !gated && end < m->offset + span && span <= 8 && scalar_bytes(m->type) != 0;
		/* copied as it is: checked already, or any value goes */
		bool copied = is_plain(m->type) || (!gated && is_checked_scalar(m->type));
		bool joins_run =
		    run != NULL && m->offset == offset && group == 0 && copied && !with_padding;
		if (run != NULL && !joins_run) {
			copy_plain_run(g, indent, run, prev, src);
			run = NULL;
		}
		if (m->offset > offset) {
			if (!padded)
				line(g, indent, "IDL_MEMSET(p->_pad%u, 0, sizeof(p->_pad%u));",
				     pads, pads);
			pads++;
		}
		if (group != 0) {
			if (indent > 1)
				line(g, 1, "}");
			line(g, 1, "if (inline_bytes > %uu) {", d->version_inline[group - 1]);
			indent = 2;
		}
		if (with_padding)
			put_padded(g, indent, m, span, src);
		else if (!copied)
			put_value(g, indent, m->type, arena_printf(g->a, "%s->%s", src, m->name),
			          arena_printf(g->a, "p->%s", m->name));
		else if (run == NULL)
			run = m;
		padded = with_padding;
		offset = end;
	}
	if (run != NULL)
		copy_plain_run(g, indent, run, prev, src);
	if (d->shape.size > offset && !padded)
		line(g, indent, "IDL_MEMSET(p->_pad%u, 0, sizeof(p->_pad%u));", pads, pads);
	if (indent > 1)
		line(g, 1, "}");
}

static bool put_uses_err(const decl *d)
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
	emit_wrapped(g->e, 0, arena_printf(g->a, "%s int %s(", helper_linkage(d), d->cnames.put),
	             args, 3, ")\n{\n");
	if (put_uses_err(d))
		line(g, 1, "int err;");
	line(g, 1, "(void)e;");
	line(g, 1, "(void)src;");
	put_fields(g, d, "src", false);
	line(g, 1, "return IDL_OK;");
	emit(g->e, "}\n\n");
}

static void gen_put_union(codec_gen *g, decl *d)
{
	arena *a = g->a;
	bool flexible = ast_is_flexible_union(d);
	const char *args[] = {"idl_encoder *e", arena_printf(a, "const %s *src", d->c_name),
	                      arena_printf(a, "%s *p", d->c_name)};
	emit_wrapped(g->e, 0, arena_printf(a, "%s int %s(", helper_linkage(d), d->cnames.put), args,
	             3, ")\n{\n");
	if (put_uses_err(d))
		line(g, 1, "int err;");
	line(g, 1, "(void)e;");
	const char *pads[2];
	unsigned n = union_leading_pads(d, pads);
	for (unsigned i = 0; i < n; i++)
		line(g, 1, "IDL_MEMSET(%s, 0, sizeof(%s));", pads[i], pads[i]);
	line(g, 1, "p->tag = src->tag;");
	if (flexible) {
		line(g, 1, "uint64_t cursor = e->cursor;");
		line(g, 1, "uint32_t handle_count = e->handle_count;");
	}
	uint32_t payload = d->payload_offset;
	line(g, 1, "switch (src->tag) {");
	for (member *m = d->members; m != NULL; m = m->next) {
		line(g, 1, "case %s:", m->c_macro);
		put_value(g, 2, m->type, arena_printf(a, "src->%s", m->name),
		          arena_printf(a, "p->%s", m->name));
		uint64_t used = payload + m->type->shape.size;
		if (used < d->shape.size)
			line(g, 2, "IDL_MEMSET((uint8_t *)p + %llu, 0, %llu);",
			     (unsigned long long)used, (unsigned long long)(d->shape.size - used));
		line(g, 2, flexible ? "break;" : "return IDL_OK;");
	}
	line(g, 1, "default:");
	if (flexible) {
		line(g, 2, "/* A variant this version does not know, passed on as it came:");
		line(g, 2, " * only one with nothing out of line can be. */");
		fail_if(g, 2, "src->envelope.bytes != 0 || src->envelope.handles != 0",
		        "IDL_E_INVALID_ARGUMENT");
		line(g, 2, "IDL_MEMCPY((uint8_t *)p + %u, (const uint8_t *)src + %u, %llu);",
		     payload, payload, (unsigned long long)(d->shape.size - payload));
		line(g, 2, "break;");
		line(g, 1, "}");
		line(g, 1, "idl_put_envelope(e, &p->envelope, cursor, handle_count);");
		line(g, 1, "return IDL_OK;");
	} else {
		line(g, 2, "return IDL_E_INVALID_ARGUMENT;");
		line(g, 1, "}");
	}
	emit(g->e, "}\n\n");
}

/* ---- the types a file's messages reach ---- */

static void gen_helpers_for(codec_gen *g, type *t);

static void gen_helpers_decl(codec_gen *g, decl *d)
{
	if (d->kind != DECL_STRUCT && d->kind != DECL_UNION)
		return;
	/* An inline type's helpers are in its file's header. */
	if (!d->is_message && gen_codec_type_is_inline(d))
		return;
	/* C names are unique (c_names.c), so they key what was emitted. */
	if (strmap_get(&g->emitted, d->c_name) != NULL)
		return;
	strmap_put(&g->emitted, d->c_name, d);
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

/* The names one message's functions share. */
typedef struct message_names {
	const char *n;             /* its C name */
	const decl_c_names *names; /* the names of its functions and constants */
	const char *ordinal;       /* its method's ordinal constant */
	const char *flags;         /* its frame kind */
} message_names;

static message_names names_of(decl *msg)
{
	IDL_ASSERT(msg->is_message && msg->laid_out);
	message_names mn;
	mn.n = msg->c_name;
	mn.names = &msg->cnames;
	mn.ordinal = msg->message_of->cnames.ordinal;
	mn.flags = message_flags(msg);
	return mn;
}

static bool is_versioned(const decl *msg)
{
	return msg->version_count > 1;
}

/* A fixed-size message of at most this many bytes is copied with a
 * constant size: a few moves instead of a library call. Larger constant
 * copies could become `rep movs`, slower than the call for such frames. */
#define EXACT_COPY_MAX 256u
/*
 * A decoder copies the frame of a message whose out-of-line part may reach
 * this many bytes in two parts (gen_decode): the inline part, a constant
 * copy (so only where it is at most EXACT_COPY_MAX), then the rest. The
 * header's checks then need not wait for the end of a long copy, which
 * takes them 6-9 ns on an AVX-512 memcpy. A message that carries less pays
 * a second call instead (an 80-byte open request's decode took 1 ns more).
 */
#define SPLIT_COPY_MIN_OOL 2048u

bool gen_codec_is_inline(decl *msg)
{
	/* A large fixed-size message would be copied with a constant size. */
	if (!msg->shape.has_ool && msg->shape.size > EXACT_COPY_MAX)
		return false;
	return !msg->shape.has_handles && members_inline_ok(msg);
}

/* Where a message's slow paths live: static in <name>.c, or there but
 * called from the header's inline decoder. */
static const char *slow_linkage(decl *msg)
{
	return gen_codec_is_inline(msg) ? "" : "static ";
}

/* The transaction ids a message's frames carry (IDL_TXID_*): any on a
 * reply, which its stub matches; not 0 on a two-way request; 0 on a
 * one-way request or an event. Decoders check it (idl_message_info), and
 * encoders refuse what their decoder would (check_txid). */
typedef enum {
	TXID_ANY,
	TXID_NONZERO,
	TXID_ZERO
} txid_rule;

static txid_rule txid_rule_of(const decl *msg)
{
	const method *m = msg->message_of;
	if (msg == m->reply)
		return TXID_ANY;
	return m->kind == METHOD_TWO_WAY ? TXID_NONZERO : TXID_ZERO;
}

/* A frame the peer must refuse would close the channel for a bug of the
 * sender's: the encoder says IDL_E_INVALID_ARGUMENT instead. */
static void check_txid(codec_gen *g, const decl *msg)
{
	txid_rule rule = txid_rule_of(msg);
	if (rule != TXID_ANY)
		fail_if(g, 1, rule == TXID_NONZERO ? "txid == 0" : "txid != 0",
		        "IDL_E_INVALID_ARGUMENT");
}

/* The header and the tail of an encoder; `inline_bytes` names the size of
 * the inline part written. */
static void encode_header(codec_gen *g, const message_names *mn, const char *inline_bytes)
{
	const char *args[] = {"&p->header",
	                      arena_printf(g->a, "(uint32_t)(%s + enc.cursor)", inline_bytes),
	                      mn->ordinal,
	                      "txid",
	                      mn->flags,
	                      "enc.handle_count",
	                      arena_printf(g->a, "(uint32_t)%s", inline_bytes)};
	emit_wrapped(g->e, 1, "idl_put_header(", args, 7, ");\n");
	line(g, 1, "if (handle_count != NULL)");
	line(g, 2, "*handle_count = enc.handle_count;");
	line(g, 1, "return (int64_t)(%s + enc.cursor);", inline_bytes);
}

/* Sets up the encoder over the out-of-line part, after inline_bytes. */
static void encode_setup(codec_gen *g, decl *msg, const char *inline_bytes, bool calls)
{
	const char *args[] = {arena_printf(g->a, "(uint8_t *)out + %s", inline_bytes),
	                      arena_printf(g->a, "out_max - %s", inline_bytes),
	                      msg->shape.has_handles ? "handles" : "NULL"};
	emit_wrapped(g->e, 1, "idl_encoder enc = idl_encoder_over(", args, 3, ");\n");
	if (!msg->shape.has_handles)
		line(g, 1, "(void)handles;");
	if (calls)
		line(g, 1, "idl_encoder *e = &enc;");
}

/* An encoder's body: every byte after the header written once, from the
 * caller's fields, padding zeroed, values checked, out-of-line data and
 * handles moved out. */
static void put_body(codec_gen *g, decl *msg)
{
	if (msg->members == NULL)
		line(g, 1, "(void)msg;");
	put_fields(g, msg, "msg", false);
}

/* <message>_encode, in <name>.c or (in_header) inline in <name>.h. */
static void gen_encode(codec_gen *g, decl *msg, const message_names *mn, bool in_header)
{
	arena *a = g->a;
	emitter *e = g->e;
	if (in_header)
		emit(e, "IDL_INLINE\n");
	else
		emit(e, "/* %s: %s */\n", gen_where(g->c, msg->message_of->loc), msg->name);
	const char *args[GEN_ENCODE_PARAMS];
	size_t count = gen_encode_params(a, msg, false, args);
	emit_wrapped(e, 0, arena_printf(a, "int64_t %s(", mn->names->encode), args, count,
	             ")\n{\n");
	bool calls = put_uses_err(msg);
	if (calls)
		line(g, 1, "int err;");
	line(g, 1, "%s *p = (%s *)out;", mn->n, mn->n);
	fail_if(g, 1, "((uintptr_t)out & 7) != 0 || out_max < sizeof(*p)", "IDL_E_BUFFER");
	check_txid(g, msg);
	encode_setup(g, msg, "sizeof(*p)", calls);
	put_body(g, msg);
	encode_header(g, mn, "sizeof(*p)");
	emit(e, "}\n\n");
}

/* <message>_encode_version: the frame an earlier version of the interface
 * would write for the same value, without the fields it lacks. */
static void gen_encode_version(codec_gen *g, decl *msg, const message_names *mn)
{
	arena *a = g->a;
	emitter *e = g->e;
	emit(e, "/* %s: %s, as an earlier version writes it */\n",
	     gen_where(g->c, msg->message_of->loc), msg->name);
	const char *args[GEN_ENCODE_PARAMS];
	size_t count = gen_encode_params(a, msg, true, args);
	emit_wrapped(e, 0, arena_printf(a, "int64_t %s(", mn->names->encode_version), args, count,
	             ")\n{\n");
	bool calls = put_uses_err(msg);
	if (calls)
		line(g, 1, "int err;");
	line(g, 1, "%s *p = (%s *)out;", mn->n, mn->n);
	line(g, 1, "uint32_t inline_bytes;");
	for (uint32_t i = msg->version_count; i-- > 0;) {
		line(g, 1, "%sif (version >= %uu)", i + 1 == msg->version_count ? "" : "else ",
		     msg->versions[i]);
		line(g, 2, "inline_bytes = %uu;", msg->version_inline[i]);
	}
	line(g, 1, "else");
	line(g, 2, "return IDL_E_INVALID_ARGUMENT;");
	fail_if(g, 1, "((uintptr_t)out & 7) != 0 || out_max < inline_bytes", "IDL_E_BUFFER");
	check_txid(g, msg);
	encode_setup(g, msg, "inline_bytes", calls);
	put_fields(g, msg, "msg", true);
	encode_header(g, mn, "inline_bytes");
	emit(e, "}\n\n");
}

/* fields_<message>: the checks of its fields, shared by the fast path
 * (sent is then the constant of its own version, and the checks of
 * versions fold away) and the slow one. */
static void gen_fields(codec_gen *g, decl *msg, const message_names *mn)
{
	const char *args[] = {"idl_decoder *d", arena_printf(g->a, "%s *p", mn->n),
	                      "uint32_t sent"};
	emit_wrapped(g->e, 0, arena_printf(g->a, "IDL_INLINE int %s(", mn->names->fields), args, 3,
	             ")\n{\n");
	if (uses_err(msg))
		line(g, 1, "int err;");
	line(g, 1, "(void)d;");
	line(g, 1, "(void)p;");
	line(g, 1, "(void)sent;");
	check_fields(g, msg);
	line(g, 1, "return IDL_OK;");
	emit(g->e, "}\n\n");
}

/* defaults_<message>: what the view shows for the fields of later versions
 * that an earlier sender did not write (idl_other_begin zeroed them). */
static void gen_defaults(codec_gen *g, decl *msg, const message_names *mn)
{
	arena *a = g->a;
	emit(g->e, "static void %s(%s *p, uint32_t sent)\n{\n", mn->names->defaults, mn->n);
	line(g, 1, "(void)p;");
	line(g, 1, "(void)sent;"); /* unread when every field is of a later version */
	member *prev = NULL;
	bool open = false;
	for (member *m = msg->members; m != NULL; prev = m, m = m->next) {
		uint32_t group = group_starting_at(msg, m, prev);
		if (group != 0) {
			if (open)
				line(g, 1, "}");
			line(g, 1, "if (sent <= %uu) {", msg->version_inline[group - 1]);
			open = true;
		}
		if (m->added == 1)
			continue;
		type *t = m->type;
		if (m->fallback_enum != NULL)
			line(g, 2, "p->%s = %s;", m->name, m->fallback_enum->c_macro);
		else if (m->fallback != NULL)
			line(g, 2, "p->%s = %s;", m->name,
			     gen_int_literal(a, t->int_kind, m->fallback_value));
		else if (t->kind == TYPE_STRING)
			line(g, 2, "p->%s.data = \"\";", m->name);
		else if (t->kind == TYPE_BYTES)
			line(g, 2, "p->%s.data = (const uint8_t *)p;", m->name);
		else if (t->kind == TYPE_VECTOR)
			line(g, 2, "p->%s.items = (void *)p;", m->name);
		else if (t->kind == TYPE_PACKED)
			line(g, 2, "p->%s.records = (const uint8_t *)p;", m->name);
		else
			line(g, 2, "/* %s: zero */", m->name);
	}
	if (open)
		line(g, 1, "}");
	emit(g->e, "}\n\n");
}

/* The static facts of a message that its slow path needs. */
static void gen_message_info(codec_gen *g, decl *msg, const message_names *mn)
{
	static const char *const txid_names[] = {[TXID_ANY] = "IDL_TXID_ANY",
	                                         [TXID_NONZERO] = "IDL_TXID_NONZERO",
	                                         [TXID_ZERO] = "IDL_TXID_ZERO"};
	const char *txid = txid_names[txid_rule_of(msg)];
	if (is_versioned(msg)) {
		emit(g->e, "static const uint32_t %s[] = {", mn->names->earlier);
		for (uint32_t i = 0; i + 1 < msg->version_count; i++)
			emit(g->e, "%s%uu", i ? ", " : "", msg->version_inline[i]);
		emit(g->e, "};\n");
	}
	emit(g->e, "static const idl_message_info %s = {\n", mn->names->info);
	emit(g->e, "    .ordinal = %s,\n", mn->ordinal);
	emit(g->e, "    .flags = %s,\n", mn->flags);
	emit(g->e, "    .txid = %s,\n", txid);
	emit(g->e, "    .inline_bytes = sizeof(%s),\n", mn->n);
	emit(g->e, "    .max_bytes = %s,\n", mn->names->max_bytes);
	if (is_versioned(msg)) {
		emit(g->e, "    .earlier = %s,\n", mn->names->earlier);
		emit(g->e, "    .earlier_count = %uu,\n", msg->version_count - 1);
	}
	emit(g->e, "};\n\n");
}

/* The parameters of check_<message>: _validate's but frame_max, whose
 * room _validate settles first; check_<message>_other's `out` is a
 * `const <message> **` as void *, to keep its declaration short. */
static void check_params(codec_gen *g, const message_names *mn, const char *out[5])
{
	out[0] = "void *frame";
	out[1] = "size_t size";
	out[2] = "const idl_typed_handle *handles";
	out[3] = "uint32_t handle_count";
	out[4] = mn != NULL ? arena_printf(g->a, "const %s **out", mn->n) : "void *out";
}

static const char *const check_pass[] = {"frame", "size", "handles", "handle_count", "out"};
/* A message none of whose known fields holds a handle: its slow path
 * counts the handles of a later version's fields, never looks at them. */
static const char *const check_pass_no_handles[] = {"frame", "size", "NULL", "handle_count", "out"};

/* check_<message>_other: the slow path, for another version of the
 * message or a malformed frame (idl_other_begin). */
static void gen_check_other(codec_gen *g, decl *msg, const message_names *mn)
{
	emitter *e = g->e;
	const char *params[5];
	check_params(g, NULL, params);
	emit(e, "IDL_COLD\n");
	emit_wrapped(e, 0,
	             arena_printf(g->a, "%sint %s(", slow_linkage(msg), mn->names->check_other),
	             params, 5, ")\n{\n");
	line(g, 1, "%s *p = frame;", mn->n);
	line(g, 1, "idl_decoder dec;");
	const char *begin[] = {arena_printf(g->a, "&%s", mn->names->info),
	                       "frame",
	                       "size",
	                       "handles",
	                       "handle_count",
	                       "&dec"};
	emit_wrapped(e, 1, "int err = idl_other_begin(", begin, 6, ");\n");
	fail_if(g, 1, "err != IDL_OK", "err");
	line(g, 1, "uint32_t sent = p->header.inline_size;");
	if (is_versioned(msg)) {
		line(g, 1, "if (sent < sizeof(*p))");
		line(g, 2, "%s(p, sent);", mn->names->defaults);
	}
	line(g, 1, "err = %s(&dec, p, sent);", mn->names->fields);
	fail_if(g, 1, "err != IDL_OK", "err");
	line(g, 1, "err = idl_other_end(&dec, &p->header, (uint32_t)sizeof(*p));");
	fail_if(g, 1, "err != IDL_OK", "err");
	/* An inline decoder passes no out: the view is its buffer. */
	line(g, 1, "if (out != NULL)");
	line(g, 2, "*(const %s **)out = p;", mn->n);
	line(g, 1, "return IDL_OK;");
	emit(e, "}\n\n");
}

/*
 * Where a fast path sends a frame it does not take: a tail call, so that
 * the fast path saves no registers for it. An inline decoder's slow paths
 * (`view` set) leave out the caller's `out`, so that its view need not
 * live in memory for them: the view of a message decoded is the buffer it
 * was copied into, which the decoder sets itself when they return IDL_OK.
 */
typedef struct slow_call {
	const char *head; /* "return check_x_other(", or without "return " with `view` */
	const char *const *args;
	size_t count;
	const char *view;   /* NULL, or the message's C type */
	const char *before; /* NULL, or a statement the call needs first */
} slow_call;

/* Emits the slow call and the return of its answer. */
static void to_slow(codec_gen *g, int indent, const slow_call *slow)
{
	if (slow->before != NULL)
		line(g, indent, "%s", slow->before);
	if (slow->view == NULL) {
		emit_wrapped(g->e, indent, slow->head, slow->args, slow->count, ");\n");
		return;
	}
	const char *head = arena_printf(g->a, "int slow = %s", slow->head);
	emit_wrapped(g->e, indent, head, slow->args, slow->count, ");\n");
	line(g, indent, "if (slow == IDL_OK)");
	line(g, indent + 1, "*out = (const %s *)buf;", slow->view);
	line(g, indent, "return slow;");
}

/* Emits "if (cond)" and the slow call under it. */
static void slow_if(codec_gen *g, int indent, const char *cond, const slow_call *slow)
{
	bool block = slow->view != NULL || slow->before != NULL;
	line(g, indent, block ? "if (%s) {" : "if (%s)", cond);
	to_slow(g, indent + 1, slow);
	if (block)
		line(g, indent, "}");
}

/*
 * The fast path's checks of a frame of the receiver's own version in
 * `frame`, `size` bytes: a few compares of the header, then the fields;
 * *out is set on success. `sized`: the caller has checked the size
 * already. `rest`: NULL, or the copy of the frame's bytes after its inline
 * part, which the fields' checks (and the slow way) need but the header's
 * do not. Anything else goes the slow way.
 */
static void gen_check_body(codec_gen *g, decl *msg, const message_names *mn, const char *frame,
                           bool sized, const char *rest, const slow_call *slow)
{
	arena *a = g->a;
	emitter *e = g->e;
	method *m = msg->message_of;
	bool fixed = !msg->shape.has_ool;
	bool two_way_request = m->kind == METHOD_TWO_WAY && msg == m->request;
	bool one_way = m->kind == METHOD_ONE_WAY || m->kind == METHOD_EVENT;
	if (uses_err(msg))
		line(g, 1, "int err;");
	line(g, 1, "%s *p = (%s *)%s;", mn->n, mn->n, frame);
	if (!msg->shape.has_handles)
		line(g, 1, "(void)handles;");
	if (!sized) {
		if (fixed) {
			line(g, 1, "if (size != sizeof(*p))");
		} else {
			line(g, 1, "if (size < sizeof(*p))");
			line(g, 2, "goto other;");
			line(g, 1, "if (size > %s)", mn->names->max_bytes);
			line(g, 2, "goto other;");
			/* A size no frame has: the slow path's header checks name
			 * it (IDL_E_FRAME_SIZE), as they do for a fixed size. A
			 * decoder's copy never gives one. */
			line(g, 1, "if ((size & (IDL_FRAME_ALIGN - 1)) != 0)");
		}
		line(g, 2, "goto other;");
		line(g, 1, "if (p->header.size != size)");
		line(g, 2, "goto other;");
	}
	fail_if(g, 1, arena_printf(a, "p->header.ordinal != %s", mn->ordinal), "IDL_E_ORDINAL");
	const char *tail =
	    msg->shape.has_handles
	        ? arena_printf(a, "!idl_header_tail_is(&p->header, %s, handle_count, sizeof(*p))",
	                       mn->flags)
	        : arena_printf(a,
	                       "handle_count != 0 || !idl_header_tail_is(&p->header, %s, 0, "
	                       "sizeof(*p))",
	                       mn->flags);
	/* Sized, this is the one way to the slow path: no label to jump to
	 * (which C++, where a header's inline decoder may be compiled, would
	 * refuse across the declarations below). */
	if (sized) {
		slow_if(g, 1, tail, slow);
	} else {
		line(g, 1, "if (%s)", tail);
		line(g, 2, "goto other;");
	}
	if (two_way_request)
		fail_if(g, 1, "p->header.txid == 0", "IDL_E_TXID");
	else if (one_way)
		fail_if(g, 1, "p->header.txid != 0", "IDL_E_TXID");
	if (rest != NULL)
		line(g, 1, "%s", rest);
	/* Fields that need the decoder state (out-of-line data, handles,
	 * nested structs) get it; plain checks do without. */
	if (uses_err(msg)) {
		const char *init[] = {arena_printf(a, "(uint8_t *)%s + sizeof(*p)", frame),
		                      "size - sizeof(*p)"};
		emit_wrapped(e, 1, "idl_decoder dec = idl_decoder_over(", init, 2, ");\n");
		if (msg->shape.has_handles) {
			line(g, 1, "dec.handles = handles;");
			line(g, 1, "dec.handle_count = handle_count;");
		}
		line(g, 1, "err = %s(&dec, p, sizeof(*p));", mn->names->fields);
		fail_if(g, 1, "err != IDL_OK", "err");
		if (msg->shape.has_handles)
			fail_if(g, 1, "dec.next_handle != handle_count", "IDL_E_HANDLE_COUNT");
		if (!fixed)
			fail_if(g, 1, "dec.cursor != dec.size", "IDL_E_TRAILING");
	} else {
		line(g, 1, "int err = %s(NULL, p, sizeof(*p));", mn->names->fields);
		fail_if(g, 1, "err != IDL_OK", "err");
	}
	line(g, 1, "*out = p;");
	line(g, 1, "return IDL_OK;");
	if (!sized) {
		emit(e, "other:\n");
		to_slow(g, 1, slow);
	}
}

/* check_<message> (the fast path, for _validate, the stubs and the
 * dispatcher) and <message>_validate. */
static void gen_check(codec_gen *g, decl *msg, const message_names *mn)
{
	arena *a = g->a;
	emitter *e = g->e;
	const char *params[5];
	check_params(g, mn, params);
	emit_wrapped(e, 0, arena_printf(a, "IDL_INLINE int %s(", mn->names->check), params, 5,
	             ")\n{\n");
	slow_call slow = {arena_printf(a, "return %s(", mn->names->check_other),
	                  msg->shape.has_handles ? check_pass : check_pass_no_handles, 5, NULL,
	                  NULL};
	gen_check_body(g, msg, mn, "frame", false, NULL, &slow);
	emit(e, "}\n\n");
	emit_wrapped(e, 0, arena_printf(a, "IDL_FLATTEN int %s(", mn->names->validate),
	             gen_validate_params, GEN_VALIDATE_PARAMS, ")\n{\n");
	line(g, 1, "const %s *view;", mn->n);
	if (is_versioned(msg)) {
		/* idl_other_begin moves an earlier version's out-of-line part up. */
		line(g, 1, "/* An earlier version's frame grows by the fields it lacks. */");
		const char *room[] = {"frame", "size", "frame_max", "sizeof(*view)"};
		emit_wrapped(e, 1, "if (!idl_room_to_grow(", room, 4, "))\n");
		line(g, 2, "return IDL_E_BUFFER;");
	} else {
		fail_if(g, 1, "frame_max < size", "IDL_E_BUFFER");
	}
	const char *pass[] = {"frame", "size", "handles", "handle_count", "&view"};
	emit_wrapped(e, 1, arena_printf(a, "return %s(", mn->names->check), pass, 5, ");\n");
	emit(e, "}\n\n");
}

static const char *const decode_check_pass[] = {"buf", "size", "handles", "handle_count", "out"};
static const char *const decode_check_pass_no_handles[] = {"buf", "size", "NULL", "0", "out"};

static const char *const decode_other_pass[] = {"shared",  "available",    "buf", "size",
                                                "handles", "handle_count", "out"};

/* The same for an inline decoder (no handles): no `out`, the decoder sets
 * the view itself (slow_call.view). */
static const char *const inline_decode_other_pass[] = {"shared",  "available",    "buf", "size",
                                                       "handles", "handle_count", "NULL"};
static const char *const inline_check_pass[] = {"buf", "size", "NULL", "0", "NULL"};

/* The frames a decoder's fast path copies and checks itself: a small
 * fixed-size message's own size (copied with a constant size), or any size
 * a frame of the message can have (idl_frame_fits). Every other size (a
 * malformed frame, an earlier or later version's) goes to
 * decode_<message>_other, which tells them apart. Emits `bool fits`. */
static void emit_fits(codec_gen *g, const message_names *mn, bool exact_copy)
{
	if (exact_copy) {
		line(g, 1, "bool fits = size == %s;", mn->names->max_bytes);
		return;
	}
	const char *args[] = {"size", arena_printf(g->a, "sizeof(%s)", mn->n),
	                      mn->names->max_bytes};
	emit_wrapped(g->e, 1, "bool fits = idl_frame_fits(", args, 3, ");\n");
}

/* decode_<message>_other: a decoder's slow path before the copy, with its
 * parameters in the same places (the fast path's tail call moves nothing):
 * a frame of a size the fast path does not take, or one that brought
 * handles a message without any cannot have. It copies the frame (the
 * fast path has not) and checks it the slow way. */
static const char *const decode_other_args[] = {"const void *shared",
                                                "size_t available",
                                                "void *buf",
                                                "uint32_t size",
                                                "const idl_typed_handle *handles",
                                                "uint32_t handle_count",
                                                "void *out"};

static void gen_decode_other(codec_gen *g, decl *msg, const message_names *mn)
{
	arena *a = g->a;
	emit(g->e, "IDL_COLD\n");
	emit_wrapped(g->e, 0,
	             arena_printf(a, "%sint %s(", slow_linkage(msg), mn->names->decode_other),
	             decode_other_args, 7, ")\n{\n");
	const char *max = mn->names->max_bytes;
	const char *copy[] = {
	    "shared", "available", "buf", max, arena_printf(a, "(uint32_t)sizeof(%s)", mn->n),
	    "size"};
	emit_wrapped(g->e, 1, "int64_t held = idl_frame_copy_sized(", copy, 6, ");\n");
	fail_if(g, 1, "held < 0", "(int)held");
	const char *check[] = {"buf", "(size_t)held", "handles", "handle_count", "out"};
	emit_wrapped(g->e, 1, arena_printf(a, "return %s(", mn->names->check_other), check, 5,
	             ");\n");
	emit(g->e, "}\n\n");
}

/*
 * <message>_decode: reads the size field once; a frame of a size the
 * message can have is copied and checked here, on the fast path, which
 * then knows its size and skips the checks of it; any other goes to the
 * slow path.
 */
static void gen_decode(codec_gen *g, decl *msg, const message_names *mn, bool in_header)
{
	arena *a = g->a;
	emitter *e = g->e;
	bool exact_copy = !msg->shape.has_ool && msg->shape.size <= EXACT_COPY_MAX;
	const char *args[GEN_DECODE_PARAMS];
	gen_decode_params(a, msg, args);
	if (in_header)
		emit(e, "IDL_INLINE\n");
	emit_wrapped(
	    e, 0, arena_printf(a, "%sint %s(", in_header ? "" : "IDL_FLATTEN ", mn->names->decode),
	    args, GEN_DECODE_PARAMS, ")\n{\n");
	const char *max = mn->names->max_bytes;
	fail_if(g, 1, arena_printf(a, "buf_max < %s", max), "IDL_E_BUFFER");
	line(g, 1, "int64_t read = idl_frame_size_once(shared, available, buf);");
	fail_if(g, 1, "read < 0", "(int)read");
	line(g, 1, "size_t size = (uint32_t)read;");
	/* Before the copy, the slow path copies; after it, it only checks,
	 * so that nothing but the frame and its handles must outlive the copy.
	 * A message without handles sends a frame that brings some (a later
	 * version's) the slow way before the copy, for the same reason. */
	emit_fits(g, mn, exact_copy);
	slow_call copy_first = {arena_printf(a, "return %s(", mn->names->decode_other),
	                        decode_other_pass, 7, NULL, NULL};
	const char *const *check_args =
	    msg->shape.has_handles ? decode_check_pass : decode_check_pass_no_handles;
	slow_call slow = {arena_printf(a, "return %s(", mn->names->check_other), check_args, 5,
	                  NULL, NULL};
	/* Inline (no handles), the slow paths leave the view to the decoder. */
	if (in_header) {
		copy_first = (slow_call){arena_printf(a, "%s(", mn->names->decode_other),
		                         inline_decode_other_pass, 7, mn->n, NULL};
		slow = (slow_call){arena_printf(a, "%s(", mn->names->check_other),
		                   inline_check_pass, 5, mn->n, NULL};
	}
	slow_if(g, 1, msg->shape.has_handles ? "!fits" : "!fits || handle_count != 0", &copy_first);
	fail_if(g, 1, "size > available", "IDL_E_FRAME_TRUNCATED");
	/* A message that may bring much out-of-line data is copied in two
	 * parts: the inline part, whose header is checked at once, then the
	 * rest (idl_copy_rest). docs/benchmarks.md has the figures. */
	bool split = msg->shape.max_ool >= SPLIT_COPY_MIN_OOL && msg->shape.size <= EXACT_COPY_MAX;
	const char *rest = NULL;
	if (exact_copy) {
		line(g, 1, "IDL_MEMCPY(buf, shared, %s);", max);
	} else if (split) {
		line(g, 1, "IDL_MEMCPY(buf, shared, sizeof(%s));", mn->n);
		rest = "idl_copy_rest(buf, shared, sizeof(*p), size);";
		slow.before = rest;
	} else {
		line(g, 1, "idl_copy(buf, shared, size);");
	}
	fail_if(g, 1, "((const idl_frame_header *)buf)->size != size", "IDL_E_FRAME_CHANGED");
	gen_check_body(g, msg, mn, "buf", true, rest, &slow);
	emit(e, in_header ? "}\n" : "}\n\n");
}

static void gen_message(codec_gen *g, decl *msg)
{
	message_names mn = names_of(msg);
	/* An inline message's encoder, field checks and decoder are in the
	 * header (gen_codec_inline). */
	bool in_header = gen_codec_is_inline(msg);
	if (!in_header)
		gen_encode(g, msg, &mn, false);
	if (is_versioned(msg))
		gen_encode_version(g, msg, &mn);
	if (!in_header)
		gen_fields(g, msg, &mn);
	if (is_versioned(msg))
		gen_defaults(g, msg, &mn);
	gen_message_info(g, msg, &mn);
	gen_check_other(g, msg, &mn);
	gen_check(g, msg, &mn);
	gen_decode_other(g, msg, &mn);
	if (!in_header)
		gen_decode(g, msg, &mn, false);
}

/*
 * An inline message's <message>_encode: the fields copied, padding
 * zeroed, values checked, the header written. Nothing goes out of line, so
 * the size and handle count are constants.
 */
static void gen_encode_inline(codec_gen *g, decl *msg, const message_names *mn)
{
	arena *a = g->a;
	const char *args[GEN_ENCODE_PARAMS];
	size_t count = gen_encode_params(a, msg, false, args);
	emit(g->e, "IDL_INLINE\n");
	emit_wrapped(g->e, 0, arena_printf(a, "int64_t %s(", mn->names->encode), args, count,
	             ")\n{\n");
	line(g, 1, "%s *p = (%s *)out;", mn->n, mn->n);
	fail_if(g, 1, "((uintptr_t)out & 7) != 0 || out_max < sizeof(*p)", "IDL_E_BUFFER");
	check_txid(g, msg);
	line(g, 1, "(void)handles;");
	put_body(g, msg);
	const char *header[] = {
	    "&p->header", "(uint32_t)sizeof(*p)", mn->ordinal, "txid", mn->flags,
	    "0",          "(uint32_t)sizeof(*p)"};
	emit_wrapped(g->e, 1, "idl_put_header(", header, 7, ");\n");
	line(g, 1, "if (handle_count != NULL)");
	line(g, 2, "*handle_count = 0;");
	line(g, 1, "return (int64_t)sizeof(*p);");
	emit(g->e, "}\n\n");
}

/*
 * An inline message's <message>_decode: the fast path of gen_decode for a
 * frame of exactly the message's size, with the bytes available checked
 * before the size field is read (so that, the size being the message's,
 * it is not checked against them again). Anything else goes to
 * <message>_decode_other after the one read of the size field, or to
 * <message>_check_other after the copy, both in <name>.c.
 */
static void gen_decode_inline(codec_gen *g, decl *msg, const message_names *mn)
{
	arena *a = g->a;
	emitter *e = g->e;
	const char *max = mn->names->max_bytes;
	const char *args[GEN_DECODE_PARAMS];
	gen_decode_params(a, msg, args);
	emit(e, "IDL_INLINE\n");
	emit_wrapped(e, 0, arena_printf(a, "int %s(", mn->names->decode), args, GEN_DECODE_PARAMS,
	             ")\n{\n");
	const char *buffer_bad[] = {arena_printf(a, "buf_max < %s", max),
	                            "((uintptr_t)buf & 7) != 0"};
	if_any(g, 1, buffer_bad, 2, "");
	line(g, 2, "return IDL_E_BUFFER;");
	/* Too few bytes for the message, or handles it cannot carry. */
	const char *unusual[] = {arena_printf(a, "available < %s", max), "handle_count != 0"};
	if_any(g, 1, unusual, 2, " {");
	line(g, 2, "int64_t read = idl_frame_size_once(shared, available, buf);");
	fail_if(g, 2, "read < 0", "(int)read");
	const char *head = arena_printf(a, "%s(", mn->names->decode_other);
	const char *unread[] = {"shared",  "available",    "buf", "(uint32_t)read",
	                        "handles", "handle_count", "NULL"};
	slow_call other_read = {head, unread, 7, mn->n, NULL};
	to_slow(g, 2, &other_read);
	line(g, 1, "}");
	line(g, 1, "uint32_t size = idl_frame_load_size(shared);");
	slow_call other_size = {head, inline_decode_other_pass, 7, mn->n, NULL};
	slow_if(g, 1, arena_printf(a, "size != %s", max), &other_size);
	line(g, 1, "IDL_MEMCPY(buf, shared, %s);", max);
	fail_if(g, 1, "((const idl_frame_header *)buf)->size != size", "IDL_E_FRAME_CHANGED");
	slow_call check = {arena_printf(a, "%s(", mn->names->check_other), inline_check_pass, 5,
	                   mn->n, NULL};
	gen_check_body(g, msg, mn, "buf", true, NULL, &check);
	emit(e, "}\n");
}

void gen_codec_inline(compilation *c, decl *msg, emitter *e)
{
	IDL_ASSERT(gen_codec_is_inline(msg));
	codec_gen g = {.c = c, .a = &c->arena, .e = e};
	message_names mn = names_of(msg);
	emit(e, "/* The slow paths of its inline decoder, in %s.c: a frame of a size the\n",
	     msg->file->basename);
	emit(e, " * fast path does not take (another version's, or malformed), after the\n");
	emit(e, " * one read of the size field; one whose header it does not, after the\n");
	emit(e, " * copy. */\n");
	emit_wrapped(e, 0, arena_printf(g.a, "int %s(", mn.names->decode_other), decode_other_args,
	             7, ");\n");
	const char *params[5];
	check_params(&g, NULL, params);
	emit_wrapped(e, 0, arena_printf(g.a, "int %s(", mn.names->check_other), params, 5,
	             ");\n\n");
	gen_fields(&g, msg, &mn);
	bool fixed = !msg->shape.has_ool;
	/* A fixed-size message's encoder needs no encoder state unless a
	 * field's helper takes one. */
	if (fixed && !put_uses_err(msg))
		gen_encode_inline(&g, msg, &mn);
	else
		gen_encode(&g, msg, &mn, true);
	if (fixed)
		gen_decode_inline(&g, msg, &mn);
	else
		gen_decode(&g, msg, &mn, true);
}

/* ---- packed records ----
 *
 * A struct that packed<T, N> holds gets three functions in its file's
 * header: check_record_T (one record of a decoder's private copy: its
 * bytes, or an error), put_record_T (one record from a T: its bytes, or an
 * error) and T_next (the next record of a decoded packed field, into a T).
 * The struct's members, nested structs flattened, are items: a scalar, an
 * array of scalars, or a string or bytes. A run of fixed-size items, with
 * the length field of the string or bytes after it, is checked for room
 * once; each string or bytes then adds its own length.
 */

typedef struct record_item {
	type *t;
	const char *path; /* the C member: "name", "when.seconds" */
} record_item;

typedef struct record_items {
	record_item *item;
	size_t count;
} record_items;

static void collect_items(arena *a, decl *d, const char *prefix, record_items *out)
{
	for (member *m = d->members; m != NULL; m = m->next) {
		const char *path = arena_printf(a, "%s%s", prefix, m->name);
		if (is_named(m->type, DECL_STRUCT)) {
			collect_items(a, m->type->target, arena_printf(a, "%s.", path), out);
			continue;
		}
		IDL_ASSERT(out->count < RECORD_FIELDS_MAX);
		out->item[out->count++] = (record_item){m->type, path};
	}
}

static record_items items_of(arena *a, decl *d)
{
	record_items items = {arena_alloc(a, RECORD_FIELDS_MAX * sizeof(record_item)), 0};
	collect_items(a, d, "", &items);
	return items;
}

static bool is_var(const type *t)
{
	return t->kind == TYPE_STRING || t->kind == TYPE_BYTES;
}

/* The bytes an item takes before its variable part: a scalar's or an
 * array's bytes, a string's or bytes' length field. */
static uint64_t fixed_bytes(const type *t)
{
	return is_var(t) ? wire_record_length_bytes(t->count) : t->shape.size;
}

/* The scalar an array holds, and how many. */
static const type *array_scalar(const type *t, uint64_t *count)
{
	*count = 1;
	while (t->kind == TYPE_ARRAY) {
		*count *= t->count;
		t = t->element;
	}
	return t;
}

/* The check of a record's scalar (or each of an array's) at `at`: a bool
 * is 0 or 1, an enum or bits value is declared. */
static void check_record_scalar(codec_gen *g, int indent, const type *t, const char *at)
{
	arena *a = g->a;
	uint64_t count;
	const type *s = array_scalar(t, &count);
	if (!gen_needs_check(s))
		return;
	unsigned bytes = scalar_bytes(s);
	const char *where = at;
	if (count > 1) {
		line(g, indent, "for (uint32_t k = 0; k < %lluu; k++) {",
		     (unsigned long long)count);
		indent++;
		where = arena_printf(a, "%s + %uu * k", at, bytes);
	}
	if (s->kind == TYPE_BOOL) {
		fail_if(g, indent, arena_printf(a, "*(%s) > 1", where), "IDL_E_BOOL");
	} else {
		line(g, indent, "%s v;", s->target->c_name);
		line(g, indent, "IDL_MEMCPY(&v, %s, sizeof(v));", where);
		check_enum_or_bits(g, indent, s->target, "v", "IDL_E_ENUM", "IDL_E_BITS");
	}
	if (count > 1)
		line(g, indent - 1, "}");
}

/* The run of items from i: fixed-size items up to and including the first
 * string or bytes, whose length field ends the run. Sets *bytes to the
 * run's fixed bytes and returns the index after it. */
static size_t run_end(const record_items *items, size_t i, uint64_t *bytes)
{
	*bytes = 0;
	for (; i < items->count; i++) {
		*bytes += fixed_bytes(items->item[i].t);
		if (is_var(items->item[i].t))
			return i + 1;
	}
	return i;
}

/* Whether a length field of `width` bytes can say more than `bound`. */
static bool length_can_exceed(uint32_t width, uint64_t bound)
{
	return width == 4 || bound < (1ull << (8 * width)) - 1;
}

static void gen_check_record(codec_gen *g, decl *d)
{
	arena *a = g->a;
	record_items items = items_of(a, d);
	const char *args[] = {"const uint8_t *r", "uint64_t left"};
	emit_wrapped(g->e, 0, arena_printf(a, "IDL_INLINE int64_t %s(", d->cnames.check_record),
	             args, 2, ")\n{\n");
	bool reads = false; /* a record of integers alone has nothing to look at */
	for (size_t i = 0; i < items.count; i++)
		reads |= is_var(items.item[i].t) || gen_needs_check(items.item[i].t);
	if (!reads)
		line(g, 1, "(void)r;");
	line(g, 1, "uint64_t at = 0;");
	for (size_t i = 0; i < items.count;) {
		uint64_t run, offset = 0;
		size_t end = run_end(&items, i, &run);
		fail_if(g, 1, arena_printf(a, "left - at < %lluu", (unsigned long long)run),
		        "IDL_E_RECORDS");
		for (; i < end; i++) {
			const record_item *it = &items.item[i];
			const char *at =
			    arena_printf(a, "r + at + %llu", (unsigned long long)offset);
			if (is_var(it->t)) {
				uint32_t width = wire_record_length_bytes(it->t->count);
				line(g, 1, "/* %s */", it->path);
				line(g, 1, "uint32_t n%zu = idl_record_length(%s, %u);", i, at,
				     width);
			} else if (gen_needs_check(it->t)) {
				line(g, 1, "/* %s */", it->path);
				line(g, 1, "{");
				check_record_scalar(g, 2, it->t, at);
				line(g, 1, "}");
			}
			offset += fixed_bytes(it->t);
		}
		line(g, 1, "at += %lluu;", (unsigned long long)run);
		const record_item *last = &items.item[end - 1];
		if (!is_var(last->t))
			continue;
		size_t n = end - 1;
		bool text = last->t->kind == TYPE_STRING;
		if (length_can_exceed(wire_record_length_bytes(last->t->count), last->t->count))
			fail_if(
			    g, 1,
			    arena_printf(a, "n%zu > %lluu", n, (unsigned long long)last->t->count),
			    "IDL_E_COUNT");
		fail_if(g, 1,
		        arena_printf(a, "left - at < (uint64_t)n%zu%s", n, text ? " + 1" : ""),
		        "IDL_E_RECORDS");
		if (text)
			fail_if(g, 1, arena_printf(a, "!idl_record_text_is(r + at, n%zu)", n),
			        "IDL_E_STRING");
		line(g, 1, "at += (uint64_t)n%zu%s;", n, text ? " + 1" : "");
	}
	line(g, 1, "return (int64_t)at;");
	emit(g->e, "}\n\n");
}

/*
 * The copy between a record at r and a T at `value` ("src" or "out"): into
 * the record (put_record_T) or out of it (T_next), a run at a time, `at`
 * moving past each run and each string's or bytes' bytes.
 */
static void copy_record(codec_gen *g, const record_items *items, const char *value, bool to_record)
{
	arena *a = g->a;
	for (size_t i = 0; i < items->count;) {
		uint64_t run, offset = 0;
		size_t end = run_end(items, i, &run);
		for (; i < end; i++) {
			const record_item *it = &items->item[i];
			const char *at =
			    arena_printf(a, "r + at + %llu", (unsigned long long)offset);
			const char *v = arena_printf(a, "%s->%s", value, it->path);
			unsigned long long size = it->t->shape.size;
			uint32_t width = is_var(it->t) ? wire_record_length_bytes(it->t->count) : 0;
			if (is_var(it->t) && to_record) {
				line(g, 1, "idl_put_record_length(%s, %s.size, %u);", at, v, width);
			} else if (is_var(it->t)) {
				line(g, 1, "%s.size = idl_record_length(%s, %u);", v, at, width);
				line(g, 1, "%s.reserved = 0;", v);
			} else {
				/* An array is its own address; a scalar's is taken. */
				const char *addr = arena_printf(
				    a, "%s%s", it->t->kind == TYPE_ARRAY ? "" : "&", v);
				line(g, 1, "IDL_MEMCPY(%s, %s, %lluu);", to_record ? at : addr,
				     to_record ? addr : at, size);
			}
			offset += fixed_bytes(it->t);
		}
		line(g, 1, "at += %lluu;", (unsigned long long)run);
		const record_item *last = &items->item[end - 1];
		if (!is_var(last->t))
			continue;
		const char *v = arena_printf(a, "%s->%s", value, last->path);
		bool text = last->t->kind == TYPE_STRING;
		if (to_record) {
			line(g, 1, "if (%s.size > 0)", v);
			line(g, 2, "idl_copy(r + at, %s.data, %s.size);", v, v);
			line(g, 1, "at += %s.size;", v);
			if (text)
				line(g, 1, "r[at++] = 0;");
		} else {
			line(g, 1, "%s.data = (const %s *)(r + at);", v, text ? "char" : "uint8_t");
			line(g, 1, "at += %s.size%s;", v, text ? " + 1" : "");
		}
	}
}

static void gen_put_record(codec_gen *g, decl *d)
{
	arena *a = g->a;
	record_items items = items_of(a, d);
	const char *args[] = {"uint8_t *r", "uint64_t room",
	                      arena_printf(a, "const %s *src", d->c_name)};
	emit_wrapped(g->e, 0, arena_printf(a, "IDL_INLINE int64_t %s(", d->cnames.put_record), args,
	             3, ")\n{\n");
	/* Every value is checked before any byte is written. */
	uint64_t fixed = 0;
	for (size_t i = 0; i < items.count; i++) {
		const record_item *it = &items.item[i];
		const char *v = arena_printf(a, "src->%s", it->path);
		fixed += fixed_bytes(it->t);
		if (is_var(it->t)) {
			bool text = it->t->kind == TYPE_STRING;
			fixed += text;
			const char *conds[] = {
			    arena_printf(a, "%s.size > %lluu", v, (unsigned long long)it->t->count),
			    arena_printf(a, "(%s.size > 0 && %s.data == NULL)", v, v),
			    arena_printf(a, "idl_text_has_nul((const uint8_t *)%s.data, %s.size)",
			                 v, v)};
			if_any(g, 1, conds, text ? 3 : 2, "");
			line(g, 2, "return IDL_E_INVALID_ARGUMENT;");
			continue;
		}
		uint64_t count;
		const type *s = array_scalar(it->t, &count);
		if ((!is_named(s, DECL_ENUM) && !is_named(s, DECL_BITS)) || !gen_needs_put(s))
			continue;
		if (it->t->kind != TYPE_ARRAY) {
			check_enum_or_bits(g, 1, s->target, v, "IDL_E_INVALID_ARGUMENT",
			                   "IDL_E_INVALID_ARGUMENT");
			continue;
		}
		/* The array's elements, through a pointer to the first. */
		line(g, 1, "for (uint32_t k = 0; k < %lluu; k++) {", (unsigned long long)count);
		check_enum_or_bits(g, 2, s->target,
		                   arena_printf(a, "((const %s *)&%s)[k]", s->target->c_name, v),
		                   "IDL_E_INVALID_ARGUMENT", "IDL_E_INVALID_ARGUMENT");
		line(g, 1, "}");
	}
	line_start(g, 1, "");
	emit(g->e, "uint64_t bytes = %lluu", (unsigned long long)fixed);
	for (size_t i = 0; i < items.count; i++)
		if (is_var(items.item[i].t))
			emit(g->e, " + src->%s.size", items.item[i].path);
	emit(g->e, ";\n");
	fail_if(g, 1, "bytes > room", "IDL_E_BUFFER");
	line(g, 1, "uint64_t at = 0;");
	copy_record(g, &items, "src", true);
	line(g, 1, "return (int64_t)at;");
	emit(g->e, "}\n\n");
}

static void gen_next_record(codec_gen *g, decl *d)
{
	arena *a = g->a;
	record_items items = items_of(a, d);
	const char *args[] = {"idl_records *records", arena_printf(a, "%s *out", d->c_name)};
	emit(g->e,
	     "/* Reads the next record of a decoded packed<%s, N> into *out; false\n"
	     " * after the last. Its strings and bytes point into the records. */\n",
	     d->name);
	emit_wrapped(g->e, 0, arena_printf(a, "IDL_INLINE bool %s(", d->cnames.next_record), args,
	             2, ")\n{\n");
	fail_if(g, 1, "records->left == 0", "false");
	line(g, 1, "const uint8_t *r = records->at;");
	line(g, 1, "uint64_t at = 0;");
	copy_record(g, &items, "out", false);
	line(g, 1, "records->at = r + at;");
	line(g, 1, "records->left--;");
	line(g, 1, "return true;");
	emit(g->e, "}\n\n");
}

void gen_codec_record_helpers(compilation *c, decl *d, emitter *e)
{
	IDL_ASSERT(d->packed_element);
	codec_gen g = {.c = c, .a = &c->arena, .e = e};
	gen_check_record(&g, d);
	gen_put_record(&g, d);
	gen_next_record(&g, d);
}

void gen_codec_type_helpers(compilation *c, decl *d, emitter *e)
{
	IDL_ASSERT(gen_codec_type_is_inline(d));
	if (!gen_shape_needs_check(&d->shape))
		return; /* any bytes are a valid value: no helpers */
	codec_gen g = {.c = c, .a = &c->arena, .e = e};
	if (d->kind == DECL_STRUCT) {
		gen_check_struct(&g, d);
		gen_put_struct(&g, d);
	} else {
		gen_check_union(&g, d);
		gen_put_union(&g, d);
	}
}

/* The error reply of a method: the header and the error value, padded to 8. */
static void gen_error_reply(codec_gen *g, method *m)
{
	arena *a = g->a;
	emitter *e = g->e;
	decl *err = gen_error_enum(m);
	const method_c_names *cn = &m->cnames;
	const char *ordinal = cn->ordinal;
	IDL_ASSERT(err != NULL && err->shape.size <= IDL_ERROR_BODY_BYTES);
	const char *args[] = {"uint32_t txid", arena_printf(a, "%s error", err->c_name),
	                      "void *out", "size_t out_max"};
	emit_wrapped(e, 0, arena_printf(a, "int64_t %s(", cn->error_encode), args, 4, ")\n{\n");
	line(g, 1, "idl_frame_header *h = out;");
	fail_if(g, 1, "((uintptr_t)out & 7) != 0 || out_max < IDL_ERROR_FRAME_BYTES",
	        "IDL_E_BUFFER");
	if (!err->flexible)
		fail_if(g, 1, arena_printf(a, "!%s(error)", err->cnames.is_valid),
		        "IDL_E_INVALID_ARGUMENT");
	line(g, 1, "IDL_MEMSET(h + 1, 0, IDL_ERROR_BODY_BYTES);");
	line(g, 1, "IDL_MEMCPY(h + 1, &error, sizeof(error));");
	line(g, 1, "idl_error_header(h, %s, txid);", ordinal);
	line(g, 1, "return IDL_ERROR_FRAME_BYTES;");
	emit(e, "}\n\n");

	const char *vargs[] = {"const void *frame", "size_t size",
	                       arena_printf(a, "%s *error", err->c_name)};
	emit_wrapped(e, 0, arena_printf(a, "int %s(", cn->error_validate), vargs, 3, ")\n{\n");
	line(g, 1, "const uint8_t *body = (const uint8_t *)frame + IDL_FRAME_HEADER_BYTES;");
	line(g, 1, "%s value;", err->c_name);
	line(g, 1, "int err = idl_check_error_header(frame, size, %s);", ordinal);
	line(g, 1, "if (err != IDL_OK)");
	line(g, 2, "return err;");
	line(g, 1, "IDL_MEMCPY(&value, body, sizeof(value));");
	fail_if(g, 1, "!idl_is_zero(body + sizeof(value), IDL_ERROR_BODY_BYTES - sizeof(value))",
	        "IDL_E_PADDING");
	if (!err->flexible)
		fail_if(g, 1, arena_printf(a, "!%s(value)", err->cnames.is_valid), "IDL_E_ENUM");
	line(g, 1, "*error = value;");
	line(g, 1, "return IDL_OK;");
	emit(e, "}\n\n");
}

void gen_codec(compilation *c, file *f, emitter *e)
{
	codec_gen g = {.c = c, .a = &c->arena, .e = e};
	strmap_init(&g.emitted, g.a);
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
				gen_error_reply(&g, m);
		}
	}
}
