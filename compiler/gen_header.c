/*
 * gen_header.c: writes <name>.h for one .idl file.
 *
 * The header holds everything a user of the package includes: constants,
 * enum and bits types with their values, structs and unions with explicit
 * padding and static asserts on their layout, and for each interface the
 * message structs, their size limits and ordinals, and the prototypes of
 * the encoders, decoders, client stubs and server skeleton.
 */
#include "gen.h"
#include "idl/assert.h"
#include "wire.h"

#include <string.h>

typedef struct header_gen {
	compilation *c;
	arena *a;
	emitter *e;
	file *f;
	strmap emitted; /* C name -> a struct or union already defined */
} header_gen;

/* Emits the defines of one run with their docs; clang-format aligns a run
 * of defines only while no comment interrupts it, and so do we. */
typedef struct define_run {
	const char **names;
	const char **values;
	size_t count;
	size_t capacity;
} define_run;

static void flush(header_gen *g, define_run *run)
{
	emit_defines(g->e, run->names, run->values, run->count);
	run->count = 0;
}

static void add_define(header_gen *g, define_run *run, const char *doc, const char *name,
                       const char *value)
{
	if (doc != NULL)
		flush(g, run);
	emit_doc(g->e, 0, doc);
	if (run->count == run->capacity) {
		size_t cap = run->capacity ? run->capacity * 2 : 32;
		const char **names = arena_alloc(g->a, cap * sizeof(*names));
		const char **values = arena_alloc(g->a, cap * sizeof(*values));
		if (run->count) {
			memcpy(names, run->names, run->count * sizeof(*names));
			memcpy(values, run->values, run->count * sizeof(*values));
		}
		run->names = names;
		run->values = values;
		run->capacity = cap;
	}
	run->names[run->count] = name;
	run->values[run->count] = value;
	run->count++;
	if (doc != NULL)
		flush(g, run);
}

static void gen_const(header_gen *g, decl *d)
{
	define_run run = {0};
	add_define(g, &run, d->doc, d->cnames.upper,
	           gen_int_literal(g->a, d->int_kind, d->value->value));
	flush(g, &run);
	emit(g->e, "\n");
}

static void gen_enum(header_gen *g, decl *d)
{
	emitter *e = g->e;
	emit(e, "/* %s%s %s (%s) */\n", d->flexible ? "flexible " : "", ast_decl_kind_name(d->kind),
	     d->name, gen_where(g->c, d->loc));
	emit_doc(e, 0, d->doc);
	if (d->flexible)
		emit(e, "/* Flexible: a decoder keeps values no member declares. */\n");
	emit(e, "typedef %s %s;\n", gen_int_ctype(d->int_kind), d->c_name);
	define_run run = {0};
	for (member *m = d->members; m != NULL; m = m->next) {
		const char *value =
		    d->kind == DECL_BITS
		        ? arena_printf(g->a, "((%s)0x%llxu)", d->c_name,
		                       (unsigned long long)m->value->value)
		        : arena_printf(g->a, "((%s)%s)", d->c_name,
		                       gen_int_literal(g->a, d->int_kind, m->value->value));
		add_define(g, &run, m->doc, m->c_macro, value);
	}
	flush(g, &run);
	if (d->kind == DECL_BITS) {
		emit(e, "/* Every declared bit of %s. */\n", d->c_name);
		emit(e, "#define %s ((%s)0x%llxu)\n", d->cnames.mask, d->c_name,
		     (unsigned long long)d->bits_mask);
		emit(e,
		     "\n/* Writes the names of the members set in v, joined by '|' (undeclared\n");
		emit(e,
		     " * bits in hex, \"0\" for none) as snprintf would; returns the length. */\n");
		emit(e, "size_t %s(%s v, char *buf, size_t size);\n\n", d->cnames.format,
		     d->c_name);
		return;
	}
	/* A range check when the values are contiguous, else a switch. */
	idl_int lo = 0, hi = 0;
	size_t count = 0;
	for (member *m = d->members; m != NULL; m = m->next, count++) {
		if (count == 0 || m->value->value < lo)
			lo = m->value->value;
		if (count == 0 || m->value->value > hi)
			hi = m->value->value;
	}
	emit(e, "\nstatic inline bool %s(%s v)\n{\n", d->cnames.is_valid, d->c_name);
	if ((idl_int)count == hi - lo + 1) {
		/* A bound at the type's own limit is no test: gcc's -Wtype-limits
		 * calls it always true. */
		bool low = lo != ast_int_kind_min(d->int_kind);
		bool high = hi != ast_int_kind_max(d->int_kind);
		const char *lo_text = gen_int_literal(g->a, d->int_kind, lo);
		const char *hi_text = gen_int_literal(g->a, d->int_kind, hi);
		if (low && high)
			emit(e, "\treturn v >= %s && v <= %s;\n", lo_text, hi_text);
		else if (low)
			emit(e, "\treturn v >= %s;\n", lo_text);
		else if (high)
			emit(e, "\treturn v <= %s;\n", hi_text);
		else
			emit(e, "\t(void)v; /* every value of the type is declared */\n\treturn "
			        "true;\n");
	} else {
		emit(e, "\tswitch (v) {\n");
		for (member *m = d->members; m != NULL; m = m->next)
			emit(e, "\tcase %s:\n", m->c_macro);
		emit(e, "\t\treturn true;\n\tdefault:\n\t\treturn false;\n\t}\n");
	}
	emit(e, "}\n\n");
	emit(e, "/* The member's name (\"%s\"), or NULL for an undeclared value. */\n",
	     d->members->name);
	emit(e, "const char *%s(%s v);\n\n", d->cnames.to_name, d->c_name);
}

static void emit_pad(header_gen *g, unsigned *pads, uint64_t bytes)
{
	emit(g->e, "\tuint8_t _pad%u[%llu];\n", (*pads)++, (unsigned long long)bytes);
}

static void emit_asserts(header_gen *g, decl *d)
{
	emitter *e = g->e;
	const char *size[] = {arena_printf(g->a, "sizeof(%s) == %u", d->c_name, d->shape.size),
	                      "\"wire layout\""};
	emit_wrapped(e, 0, "IDL_STATIC_ASSERT(", size, 2, ");\n");
	for (member *m = d->members; m != NULL; m = m->next) {
		const char *args[] = {
		    arena_printf(g->a, "offsetof(%s, %s) == %u", d->c_name, m->name, m->offset),
		    "\"wire layout\""};
		emit_wrapped(e, 0, "IDL_STATIC_ASSERT(", args, 2, ");\n");
	}
}

static void gen_struct(header_gen *g, decl *d)
{
	emitter *e = g->e;
	IDL_ASSERT(d->laid_out && d->c_name != NULL);
	if (d->is_message) {
		method *m = d->message_of;
		emit(e, "/* %s.%s %s (%s) */\n", d->interface_of->name, m->name,
		     strrchr(d->name, ' ') + 1, gen_where(g->c, m->loc));
	} else {
		emit(e, "/* struct %s (%s) */\n", d->name, gen_where(g->c, d->loc));
		emit_doc(e, 0, d->doc);
	}
	emit(e, "struct %s {\n", d->c_name);
	uint64_t offset = 0;
	unsigned pads = 0;
	if (d->is_message) {
		emit(e, "\tidl_frame_header header;\n");
		offset = IDL_FRAME_HEADER_BYTES;
	}
	uint32_t version = 1;
	for (member *m = d->members; m != NULL; m = m->next) {
		if (m->offset > offset)
			emit_pad(g, &pads, m->offset - offset);
		if (d->is_message && m->added != version) {
			version = m->added;
			emit(e,
			     "\t/* Version %u: absent (IDL_HAS_FIELD) from an earlier sender. */\n",
			     version);
		}
		emit_doc(e, 1, m->doc);
		gen_field_decl(g->a, e, 1, m->type, m->name);
		offset = m->offset + m->type->shape.size;
	}
	if (d->shape.size > offset)
		emit_pad(g, &pads, d->shape.size - offset);
	emit(e, "};\n");
	emit_asserts(g, d);
	emit(e, "\n");
}

static void gen_union(header_gen *g, decl *d)
{
	emitter *e = g->e;
	IDL_ASSERT(d->laid_out && d->c_name != NULL);
	emit(e, "/* %sunion %s (%s) */\n", d->flexible ? "flexible " : "", d->name,
	     gen_where(g->c, d->loc));
	emit_doc(e, 0, d->doc);
	define_run run = {0};
	for (member *m = d->members; m != NULL; m = m->next)
		add_define(g, &run, NULL, m->c_macro,
		           gen_int_literal(g->a, d->int_kind, m->value->value));
	flush(g, &run);
	for (member *m = d->members; m != NULL; m = m->next)
		if (ast_variant_struct(m) != NULL)
			gen_variant_type(g->a, e, ast_variant_struct(m));
	emit(e, "struct %s {\n", d->c_name);
	emit(e, "\t%s tag;\n", gen_int_ctype(d->int_kind));
	unsigned pads = 0;
	uint32_t tag = ast_int_kind_bytes(d->int_kind);
	uint32_t payload = d->payload_offset;
	if (d->flexible) {
		/* What a receiver that does not know the variant steps over. */
		if (d->envelope_offset > tag)
			emit_pad(g, &pads, d->envelope_offset - tag);
		emit(e, "\tidl_envelope envelope;\n");
		uint32_t after = d->envelope_offset + WIRE_ENVELOPE_BYTES;
		if (payload > after)
			emit_pad(g, &pads, payload - after);
	} else if (payload > tag) {
		emit_pad(g, &pads, payload - tag);
	}
	/* The wire's bytes after the largest variant, up to the union's size,
	 * are a member of the anonymous union: so the C union spans exactly
	 * the payload on every ABI, whatever alignment it gives the variants
	 * (x86-64 rounds u8[9] beside a u64 up to 16 bytes, i386 aligns a u64
	 * to 4), where padding after it would have to guess C's rounding. */
	uint64_t largest = 0;
	emit(e, "\tunion {\n");
	for (member *m = d->members; m != NULL; m = m->next) {
		emit_doc(e, 2, m->doc);
		gen_field_decl(g->a, e, 2, m->type, m->name);
		if (m->type->shape.size > largest)
			largest = m->type->shape.size;
	}
	if (d->shape.size > payload + largest)
		emit(e, "\t\tuint8_t _pad%u[%llu];\n", pads++,
		     (unsigned long long)(d->shape.size - payload));
	emit(e, "\t};\n");
	emit(e, "};\n");
	const char *size[] = {arena_printf(g->a, "sizeof(%s) == %u", d->c_name, d->shape.size),
	                      "\"wire layout\""};
	emit_wrapped(e, 0, "IDL_STATIC_ASSERT(", size, 2, ");\n\n");
}

/* channel<I>: a handle whose type says which interface its peer serves. */
static void gen_channel_type(header_gen *g, decl *d)
{
	emit(g->e, "/* channel<%s>: one end of a channel whose peer serves %s (%s). */\n", d->name,
	     d->name, gen_where(g->c, d->loc));
	emit(g->e, "typedef struct %s {\n\tidl_handle handle;\n} %s;\n\n", d->channel_c_name,
	     d->channel_c_name);
}

/* Emits struct and union definitions after the types they contain by value. */
static void gen_in_order(header_gen *g, decl *d);

static void gen_dependencies(header_gen *g, type *t)
{
	if (t == NULL || t->kind == TYPE_VECTOR || t->kind == TYPE_PACKED)
		return; /* vector elements are behind a pointer; a typedef suffices */
	if (t->kind == TYPE_NAMED) {
		if (t->target->file == g->f)
			gen_in_order(g, t->target);
		return;
	}
	gen_dependencies(g, t->element);
}

static void gen_in_order(header_gen *g, decl *d)
{
	/* C names are unique (c_names.c), so they key what was emitted. */
	if (strmap_get(&g->emitted, d->c_name) != NULL)
		return;
	strmap_put(&g->emitted, d->c_name, d);
	for (member *m = d->members; m != NULL; m = m->next)
		gen_dependencies(g, m->type);
	if (d->kind == DECL_STRUCT)
		gen_struct(g, d);
	else if (d->kind == DECL_UNION)
		gen_union(g, d);
	if ((d->kind == DECL_STRUCT || d->kind == DECL_UNION) && gen_codec_type_is_inline(d))
		gen_codec_type_helpers(g->c, d, g->e);
	if (d->packed_element)
		gen_codec_record_helpers(g->c, d, g->e);
}

/* Prototypes of the functions gen_codec.c defines for one message. */
static void gen_message_api(header_gen *g, decl *msg)
{
	emitter *e = g->e;
	const decl_c_names *cn = &msg->cnames;
	bool in_header = gen_codec_is_inline(msg);
	const char *args[GEN_ENCODE_PARAMS];
	size_t count = gen_encode_params(g->a, msg, false, args);
	if (!in_header)
		emit_wrapped(e, 0, arena_printf(g->a, "int64_t %s(", cn->encode), args, count,
		             ");\n");
	if (msg->version_count > 1) {
		emit(e, "/* The frame version `version` of the interface writes (fields added\n");
		emit(e, " * after it left out), for a peer known to be of that version. */\n");
		count = gen_encode_params(g->a, msg, true, args);
		emit_wrapped(e, 0, arena_printf(g->a, "int64_t %s(", cn->encode_version), args,
		             count, ");\n");
	}
	emit_wrapped(e, 0, arena_printf(g->a, "int %s(", cn->validate), gen_validate_params,
	             GEN_VALIDATE_PARAMS, ");\n");
	if (in_header) {
		gen_codec_inline(g->c, msg, e);
	} else {
		const char *decode_args[GEN_DECODE_PARAMS];
		gen_decode_params(g->a, msg, decode_args);
		emit_wrapped(e, 0, arena_printf(g->a, "int %s(", cn->decode), decode_args,
		             GEN_DECODE_PARAMS, ");\n");
	}
}

/* The tokens of deferred replies, and the functions that use them. */
static void gen_deferred_api(header_gen *g, decl *d)
{
	emitter *e = g->e;
	arena *a = g->a;
	emit(e, "/*\n * Deferred replies: a handler calls <method>_defer and returns what it\n");
	emit(e, " * returned (IDL_DEFERRED); later, from any thread, <method>_reply_ok or\n");
	emit(e, " * <method>_reply_error sends the reply, once (then IDL_E_REPLIED), unless\n");
	emit(e, " * the session ended meanwhile (IDL_E_PEER_CLOSED: nothing is written).\n */\n");
	for (method *m = d->methods; m != NULL; m = m->next) {
		if (m->kind != METHOD_TWO_WAY)
			continue;
		const method_c_names *cn = &m->cnames;
		emit(e, "typedef struct %s {\n\tidl_reply_token token;\n} %s;\n", cn->token,
		     cn->token);
		const char *token = arena_printf(a, "%s *t", cn->token);
		const char *dargs[] = {"idl_request *r", token};
		emit_wrapped(e, 0, arena_printf(a, "int %s(", cn->defer), dargs, 2, ");\n");
		const char *oargs[] = {token, arena_printf(a, "const %s *reply", m->reply->c_name)};
		emit_wrapped(e, 0, arena_printf(a, "int %s(", cn->reply_ok), oargs, 2, ");\n");
		decl *err = gen_error_enum(m);
		if (err != NULL) {
			const char *eargs[] = {token, arena_printf(a, "%s error", err->c_name)};
			emit_wrapped(e, 0, arena_printf(a, "int %s(", cn->reply_error), eargs, 2,
			             ");\n");
		}
		emit(e, "\n");
	}
}

/* The handler table and the dispatcher of an interface that has requests. */
static void gen_server_side(header_gen *g, decl *d)
{
	emitter *e = g->e;
	arena *a = g->a;
	emit(e, "/*\n * Server side of %s: a handler per method. A handler returns 0 to send\n",
	     d->name);
	emit(e, " * its reply, IDL_E_REMOTE to send *error instead, or another idl_error\n");
	emit(e, " * to send nothing and make the dispatcher return it, or what\n");
	emit(e, " * <method>_defer returned, to reply later. r says who asked\n");
	emit(e, " * (r->session) and carries the context registered with the table.\n */\n");
	emit(e, "typedef struct %s {\n", d->cnames.handlers);
	for (method *m = d->methods; m != NULL; m = m->next) {
		if (m->kind == METHOD_EVENT)
			continue;
		const char *args[4];
		size_t n = 0;
		args[n++] = "idl_request *r";
		args[n++] = arena_printf(a, "const %s *req", m->request->c_name);
		if (m->reply)
			args[n++] = arena_printf(a, "%s *reply", m->reply->c_name);
		if (gen_error_enum(m))
			args[n++] = arena_printf(a, "%s *error", gen_error_enum(m)->c_name);
		emit_wrapped(e, 1, arena_printf(a, "int (*%s)(", m->name), args, n, ");\n");
	}
	emit(e, "} %s;\n\n", d->cnames.handlers);
	gen_deferred_api(g, d);
	emit(e, "/* Validates a frame already copied into private memory, calls its\n");
	emit(e, " * handler and sends the reply through ep. */\n");
	const char *dargs[GEN_DISPATCH_PARAMS];
	gen_dispatch_params(a, d, dargs);
	emit_wrapped(e, 0, arena_printf(a, "int %s(", d->cnames.dispatch), dargs,
	             GEN_DISPATCH_PARAMS, ");\n\n");
	emit(e, "/* The interface for a server's runtime (idl_server_add_interface). */\n");
	emit(e, "extern const idl_interface %s;\n\n", d->cnames.interface);
}

/* The sizes, ordinals and versions of an interface and its messages. */
static void gen_interface_defines(header_gen *g, decl *d)
{
	arena *a = g->a;
	define_run run = {0};
	add_define(g, &run, NULL, d->cnames.max_frame_bytes,
	           arena_printf(a, "%lluu", (unsigned long long)d->max_frame_bytes));
	add_define(g, &run, NULL, d->cnames.protocol, arena_printf(a, "0x%08xu", d->protocol_id));
	add_define(g, &run, NULL, d->cnames.version, arena_printf(a, "%uu", d->version));
	add_define(g, &run, NULL, d->cnames.oldest_version, arena_printf(a, "%uu", d->oldest));
	for (method *m = d->methods; m != NULL; m = m->next) {
		add_define(g, &run, NULL, m->cnames.ordinal,
		           arena_printf(a, "0x%08xu", m->ordinal));
		if (m->added > 1)
			add_define(g, &run, NULL, m->cnames.added,
			           arena_printf(a, "%uu", m->added));
		decl *msgs[] = {m->request, m->reply};
		for (size_t i = 0; i < 2 && msgs[i] != NULL; i++) {
			add_define(
			    g, &run, NULL, msgs[i]->cnames.max_bytes,
			    arena_printf(a, "%lluu", (unsigned long long)msgs[i]->max_frame_bytes));
			add_define(g, &run, NULL, msgs[i]->cnames.max_handles,
			           arena_printf(a, "%uu", msgs[i]->shape.max_handles));
		}
	}
	flush(g, &run);
	emit(g->e, "\n");
}

/* A two-way method's reply buffer and pending call, and its error codec. */
static void gen_reply_types(header_gen *g, decl *d, method *m)
{
	emitter *e = g->e;
	arena *a = g->a;
	const method_c_names *cn = &m->cnames;
	emit(e, "/* Room for any reply to %s.%s, error replies included. */\n", d->name, m->name);
	emit(e, "typedef union %s {\n", cn->reply_buffer);
	emit(e, "\t%s reply;\n", m->reply->c_name);
	emit(e, "\tuint8_t bytes[%lluu];\n", (unsigned long long)gen_reply_buffer_bytes(m));
	emit(e, "} %s;\n\n", cn->reply_buffer);
	emit(e, "/* A call to %s.%s in flight: _start fills it in, _finish ends it. */\n", d->name,
	     m->name);
	emit(e, "typedef struct %s {\n", cn->pending);
	emit(e, "\tidl_call call; /* first: what idl_call_wait_any returns */\n");
	emit(e, "\t%s buf;\n", cn->reply_buffer);
	emit(e, "\tidl_typed_handle handles[%uu];\n",
	     m->reply->shape.max_handles ? m->reply->shape.max_handles : 1);
	emit(e, "} %s;\n\n", cn->pending);
	decl *err = gen_error_enum(m);
	if (err == NULL)
		return;
	const char *args[] = {"uint32_t txid", arena_printf(a, "%s error", err->c_name),
	                      "void *out", "size_t out_max"};
	emit_wrapped(e, 0, arena_printf(a, "int64_t %s(", cn->error_encode), args, 4, ");\n");
	const char *vargs[] = {"const void *frame", "size_t size",
	                       arena_printf(a, "%s *error", err->c_name)};
	emit_wrapped(e, 0, arena_printf(a, "int %s(", cn->error_validate), vargs, 3, ");\n");
	emit(e, "\n");
}

/* The client's functions of one method: its stub, or an event's sender. */
static void gen_client_api(header_gen *g, method *m)
{
	emitter *e = g->e;
	arena *a = g->a;
	const method_c_names *cn = &m->cnames;
	if (m->kind == METHOD_EVENT) {
		const char *args[] = {"idl_endpoint *ep",
		                      arena_printf(a, "const %s *event", m->request->c_name)};
		emit_wrapped(e, 0, arena_printf(a, "int %s(", cn->call), args, 2, ");\n");
		return;
	}
	const char *args[5];
	size_t n = 0;
	args[n++] = "idl_endpoint *ep";
	args[n++] = arena_printf(a, "const %s *req", m->request->c_name);
	const char *rargs[2];
	size_t r = 0;
	if (m->reply) {
		args[n++] = arena_printf(a, "%s *buf", cn->reply_buffer);
		r = gen_reply_params(a, m, rargs);
		for (size_t i = 0; i < r; i++)
			args[n++] = rargs[i];
	}
	emit_wrapped(e, 0, arena_printf(a, "int %s(", cn->call), args, n, ");\n");
	if (m->reply == NULL)
		return;
	const char *pending = arena_printf(a, "%s *p", cn->pending);
	const char *sargs[] = {"idl_endpoint *ep",
	                       arena_printf(a, "const %s *req", m->request->c_name), pending};
	emit_wrapped(e, 0, arena_printf(a, "int %s(", cn->start), sargs, 3, ");\n");
	const char *fargs[4] = {"idl_endpoint *ep", pending};
	for (size_t i = 0; i < r; i++)
		fargs[2 + i] = rargs[i];
	emit_wrapped(e, 0, arena_printf(a, "int %s(", cn->finish), fargs, 2 + r, ");\n");
}

/* The client's table of event handlers and its dispatcher. */
static void gen_event_api(header_gen *g, decl *d)
{
	emitter *e = g->e;
	arena *a = g->a;
	emit(e, "/* Client side of %s's events. */\n", d->name);
	emit(e, "typedef struct %s {\n", d->cnames.event_handlers);
	for (method *m = d->methods; m != NULL; m = m->next) {
		if (m->kind != METHOD_EVENT)
			continue;
		const char *args[] = {"void *ctx",
		                      arena_printf(a, "const %s *event", m->request->c_name)};
		emit_wrapped(e, 1, arena_printf(a, "void (*%s)(", m->name), args, 2, ");\n");
	}
	emit(e, "} %s;\n\n", d->cnames.event_handlers);
	const char *eargs[GEN_EVENT_DISPATCH_PARAMS];
	gen_event_dispatch_params(a, d, eargs);
	emit_wrapped(e, 0, arena_printf(a, "int %s(", d->cnames.event_dispatch), eargs,
	             GEN_EVENT_DISPATCH_PARAMS, ");\n\n");
}

static void gen_interface(header_gen *g, decl *d)
{
	emitter *e = g->e;
	emit(e, "/* interface %s (%s) */\n", d->name, gen_where(g->c, d->loc));
	emit_doc(e, 0, d->doc);
	gen_interface_defines(g, d);
	for (method *m = d->methods; m != NULL; m = m->next) {
		emit_doc(e, 0, m->doc);
		gen_struct(g, m->request);
		gen_message_api(g, m->request);
		emit(e, "\n");
		if (m->reply == NULL)
			continue;
		gen_struct(g, m->reply);
		gen_message_api(g, m->reply);
		emit(e, "\n");
		gen_reply_types(g, d, m);
	}

	emit(e, "/*\n * Client stubs of %s: each encodes its request straight into the\n", d->name);
	emit(e, " * transport, waits for the reply and returns it validated in buf.\n");
	emit(e, " * They return 0, IDL_E_REMOTE with *error set, or another idl_error.\n");
	emit(e, " * <method>_start sends a request and returns; <method>_finish waits for\n");
	emit(e, " * its reply (at most ep->timeout_ns) and returns it as the stub does.\n */\n");
	bool has_events = false;
	for (method *m = d->methods; m != NULL; m = m->next) {
		gen_client_api(g, m);
		has_events |= m->kind == METHOD_EVENT;
	}
	emit(e, "\n");
	if (gen_has_requests(d))
		gen_server_side(g, d);
	if (has_events)
		gen_event_api(g, d);
}

void gen_header(compilation *c, file *f, emitter *e)
{
	header_gen g = {.c = c, .a = &c->arena, .e = e, .f = f};
	strmap_init(&g.emitted, g.a);
	const char *guard = gen_guard(g.a, f);
	emit(e, "/*\n * %s.h: generated by idlc from %s.idl. Do not edit.\n", f->basename,
	     f->basename);
	if (f->doc) {
		emit(e, " *\n");
		const char *line = f->doc;
		while (line) {
			const char *nl = strchr(line, '\n');
			int n = nl ? (int)(nl - line) : (int)strlen(line);
			emit(e, " *%s%.*s\n", n ? " " : "", n, line);
			line = nl ? nl + 1 : NULL;
		}
	}
	emit(e, " */\n#ifndef %s\n#define %s\n\n#include \"idl_wire.h\"\n", guard, guard);
	for (import *imp = f->imports; imp != NULL; imp = imp->next)
		if (imp->target)
			emit(e, "#include \"%s.h\"\n", imp->target->basename);
	emit(e, "\nIDL_STATIC_ASSERT(sizeof(bool) == 1, \"bool is one byte on the wire\");\n\n");
	emit(e, "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n");

	for (decl *d = f->decls; d != NULL; d = d->next)
		if (d->kind == DECL_CONST)
			gen_const(&g, d);
	for (decl *d = f->decls; d != NULL; d = d->next)
		if (d->kind == DECL_ENUM || d->kind == DECL_BITS)
			gen_enum(&g, d);
	/* Typed channel ends, before any struct that holds one. */
	for (decl *d = f->decls; d != NULL; d = d->next)
		if (d->kind == DECL_INTERFACE)
			gen_channel_type(&g, d);
	/* Structs and unions may point at each other through vectors, so all
	 * are declared before any is defined. */
	bool any = false;
	for (decl *d = f->decls; d != NULL; d = d->next) {
		if (d->kind == DECL_STRUCT || d->kind == DECL_UNION) {
			emit(e, "typedef struct %s %s;\n", d->c_name, d->c_name);
			any = true;
		}
		if (d->kind == DECL_INTERFACE) {
			for (method *m = d->methods; m != NULL; m = m->next) {
				emit(e, "typedef struct %s %s;\n", m->request->c_name,
				     m->request->c_name);
				if (m->reply)
					emit(e, "typedef struct %s %s;\n", m->reply->c_name,
					     m->reply->c_name);
				any = true;
			}
		}
	}
	if (any)
		emit(e, "\n");
	for (decl *d = f->decls; d != NULL; d = d->next)
		gen_in_order(&g, d);
	for (decl *d = f->decls; d != NULL; d = d->next)
		if (d->kind == DECL_INTERFACE)
			gen_interface(&g, d);
	emit(e, "#ifdef __cplusplus\n}\n#endif\n\n#endif /* %s */\n", guard);
}
