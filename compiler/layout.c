/*
 * layout.c: where every byte goes on the wire.
 *
 * Computes each type's inline size and alignment (natural alignment, as a
 * C compiler lays out the generated structs), its largest out-of-line part
 * and handle count, and each field's offset. Messages start after the
 * 16-byte frame header and end on an 8-byte boundary; each version of a
 * message starts its fields on an 8-byte boundary too. Every message's
 * largest frame must fit its interface's @max_frame; the error says by how
 * much it does not.
 */
#include "compile.h"
#include "idl/assert.h"
#include "wire.h"

#include <string.h>

typedef struct layout {
	compilation *c;
	diag_ctx *d;
	bool too_large; /* a size overflowed; reported once per type */
} layout;

static uint64_t align_up(uint64_t n, uint64_t a)
{
	return (n + a - 1) & ~(a - 1);
}

/* Multiplies sizes, saturating far above any limit so checks stay simple. */
static uint64_t mul_sat(uint64_t a, uint64_t b)
{
	uint64_t r;
	return __builtin_mul_overflow(a, b, &r) || r > ((uint64_t)1 << 62) ? (uint64_t)1 << 62 : r;
}

/* Adds sizes with the same ceiling: a struct of four fields of 2^62 bytes
 * each must stay far above every limit, not wrap to 0. */
static uint64_t add_sat(uint64_t a, uint64_t b)
{
	uint64_t r;
	return __builtin_add_overflow(a, b, &r) || r > ((uint64_t)1 << 62) ? (uint64_t)1 << 62 : r;
}

static uint32_t clamp_u32(uint64_t n)
{
	return n > 0xffffffffu ? 0xffffffffu : (uint32_t)n;
}

static void lay_out_decl(layout *l, decl *d);

uint64_t layout_record_max(const type *t)
{
	switch (t->kind) {
	case TYPE_INT:
	case TYPE_BOOL:
		return t->shape.size;
	case TYPE_STRING:
	case TYPE_BYTES:
		return wire_record_length_bytes(t->count) + t->count + (t->kind == TYPE_STRING);
	case TYPE_ARRAY:
		return mul_sat(t->count, layout_record_max(t->element));
	case TYPE_NAMED:
		if (t->target->kind == DECL_STRUCT) {
			uint64_t sum = 0;
			for (const member *m = t->target->members; m != NULL; m = m->next) {
				sum += layout_record_max(m->type);
				if (sum > LARGEST_FRAME)
					return LARGEST_FRAME; /* saturate: the frame limit reports
					                         it */
			}
			return sum;
		}
		return t->target->shape.size; /* enum, bits */
	case TYPE_VECTOR:
	case TYPE_PACKED:
	case TYPE_OPTIONAL:
	case TYPE_HANDLE:
		break;
	}
	IDL_ASSERT(!"sema lets no other type into a record");
	return 0;
}

uint64_t layout_records_max(const type *packed)
{
	return mul_sat(packed->count, layout_record_max(packed->element));
}

static void shape_type(layout *l, type *t)
{
	wire_shape *s = &t->shape;
	memset(s, 0, sizeof(*s));
	switch (t->kind) {
	case TYPE_INT:
		s->size = s->align = ast_int_kind_bytes(t->int_kind);
		break;
	case TYPE_BOOL:
		s->size = s->align = 1;
		s->needs_check = true;
		break;
	case TYPE_HANDLE:
		s->size = s->align = 4;
		s->needs_check = true;
		s->has_handles = true;
		s->max_handles = 1;
		break;
	case TYPE_STRING:
	case TYPE_BYTES:
		s->size = WIRE_REF_BYTES;
		s->align = WIRE_REF_ALIGN;
		s->has_ool = true;
		s->needs_check = true;
		s->max_ool = align_up(t->count + (t->kind == TYPE_STRING), WIRE_ALIGN);
		break;
	case TYPE_VECTOR: {
		shape_type(l, t->element);
		const wire_shape *e = &t->element->shape;
		s->size = WIRE_REF_BYTES;
		s->align = WIRE_REF_ALIGN;
		s->has_ool = true;
		s->needs_check = true;
		s->has_handles = e->has_handles;
		s->open_ool = e->open_ool;
		s->max_ool = add_sat(align_up(mul_sat(t->count, e->size), WIRE_ALIGN),
		                     mul_sat(t->count, e->max_ool));
		s->max_handles = clamp_u32(mul_sat(t->count, e->max_handles));
		break;
	}
	case TYPE_PACKED:
		shape_type(l, t->element);
		s->size = WIRE_REF_BYTES;
		s->align = WIRE_REF_ALIGN;
		s->has_ool = true;
		s->needs_check = true;
		s->max_ool = align_up(layout_records_max(t), WIRE_ALIGN);
		break;
	case TYPE_ARRAY: {
		shape_type(l, t->element);
		const wire_shape *e = &t->element->shape;
		uint64_t size = mul_sat(t->count, e->size);
		if (size > LARGEST_INLINE) {
			diag_error(
			    l->d, "type-too-large", t->loc,
			    "array is %llu bytes; the inline part of a type is limited to %u bytes",
			    (unsigned long long)size, LARGEST_INLINE);
			size = 0;
		}
		*s = *e;
		s->size = (uint32_t)size;
		s->max_ool = mul_sat(t->count, e->max_ool);
		s->max_handles = clamp_u32(mul_sat(t->count, e->max_handles));
		break;
	}
	case TYPE_OPTIONAL: {
		shape_type(l, t->element);
		const wire_shape *e = &t->element->shape;
		*s = *e;
		s->size = (uint32_t)align_up(1, e->align) + e->size;
		s->needs_check = true;
		s->has_padding = e->has_padding || e->align > 1;
		break;
	}
	case TYPE_NAMED:
		IDL_ASSERT(t->target != NULL); /* sema resolved every name */
		lay_out_decl(l, t->target);
		*s = t->target->shape;
		break;
	}
}

/*
 * A message's versions: the fields of each later version start on an
 * 8-byte boundary after the inline part of the one before, so that each
 * earlier version's inline part, padding included, is a prefix of the
 * later ones'. Records each version's inline part.
 */
static uint64_t start_version(layout *l, decl *d, member *m, uint64_t offset)
{
	uint32_t n = d->version_count;
	if (n > 0 && m->added == d->versions[n - 1])
		return offset;
	uint64_t at = align_up(offset, WIRE_ALIGN);
	if (n > 0)
		d->version_inline[n - 1] = (uint32_t)at;
	d->versions[n] = m->added;
	d->version_count = n + 1;
	(void)l;
	return at;
}

/*
 * The padding left inside a message's current version group, where a
 * later parameter of the same group can go. A message is a function's
 * arguments, not a declared record: its writer should not have to order
 * parameters by alignment to get a tight frame (read(fd: u32, offset: u64,
 * count: u32) puts count beside fd). Structs keep exactly their declared
 * layout, which their writer chose.
 */
typedef struct gap {
	uint64_t start, end;
} gap;

typedef struct gaps {
	gap *list;
	size_t count;
} gaps;

/* The first gap that holds size bytes at align: where they go, or 0. */
static uint64_t fill_gap(gaps *g, uint32_t size, uint32_t align)
{
	for (size_t i = 0; i < g->count; i++) {
		gap *h = &g->list[i];
		uint64_t at = align_up(h->start, align);
		if (at + size > h->end)
			continue;
		/* What is left of the gap: before the parameter and after it. */
		gap after = {at + size, h->end};
		h->end = at;
		if (after.end > after.start)
			g->list[g->count++] = after;
		return at;
	}
	return 0;
}

/* Sorts a message's parameters by offset: the C struct's member order. */
static member *by_offset(member *list)
{
	member *sorted = NULL;
	for (member *m = list, *next; m != NULL; m = next) {
		next = m->next;
		member **at = &sorted;
		while (*at != NULL && (*at)->offset <= m->offset)
			at = &(*at)->next;
		m->next = *at;
		*at = m;
	}
	return sorted;
}

static void lay_out_struct(layout *l, decl *d)
{
	wire_shape *s = &d->shape;
	/* A message's fields follow the frame header. */
	uint64_t offset = d->is_message ? IDL_FRAME_HEADER_BYTES : 0;
	uint32_t align = d->is_message ? WIRE_ALIGN : 1;
	gaps padding = {0};
	if (d->is_message) {
		size_t n = 1;
		for (member *m = d->members; m != NULL; m = m->next)
			n++;
		d->version_inline = arena_alloc(&l->c->arena, n * sizeof(uint32_t));
		d->versions = arena_alloc(&l->c->arena, n * sizeof(uint32_t));
		d->versions[0] = 1;
		d->version_count = 1;
		/* A gap splits into at most two: one more per parameter. */
		padding.list = arena_alloc(&l->c->arena, n * sizeof(gap));
	}
	for (member *m = d->members; m != NULL; m = m->next) {
		shape_type(l, m->type);
		const wire_shape *f = &m->type->shape;
		if (f->align == 0)
			continue; /* unresolved; already reported */
		if (d->is_message) {
			uint32_t groups = d->version_count;
			offset = start_version(l, d, m, offset);
			if (d->version_count != groups)
				padding.count = 0; /* an earlier version's padding stays */
		}
		uint64_t at = d->is_message ? fill_gap(&padding, f->size, f->align) : 0;
		if (at == 0) {
			at = align_up(offset, f->align);
			if (at != offset && d->is_message)
				padding.list[padding.count++] = (gap){offset, at};
			offset = at + f->size;
		}
		m->offset = (uint32_t)at;
		if (f->align > align)
			align = f->align;
		s->max_ool = add_sat(s->max_ool, f->max_ool);
		s->max_handles = clamp_u32((uint64_t)s->max_handles + f->max_handles);
		s->has_ool |= f->has_ool;
		s->has_handles |= f->has_handles;
		s->open_ool |= f->open_ool;
		s->needs_check |= f->needs_check;
		s->has_padding |= f->has_padding;
		if (offset > LARGEST_INLINE) {
			diag_error(l->d, "type-too-large", m->loc,
			           "struct '%s' is larger than %u bytes inline", d->name,
			           LARGEST_INLINE);
			break;
		}
	}
	uint64_t size = align_up(offset, align);
	s->size = (uint32_t)size;
	s->align = align;
	if (d->is_message) {
		d->version_inline[d->version_count - 1] = s->size;
		d->members = by_offset(d->members);
	}
	/* Padding: any byte between the members, or after the last. */
	uint64_t end = d->is_message ? IDL_FRAME_HEADER_BYTES : 0;
	for (member *m = d->members; m != NULL; m = m->next) {
		if (m->type->shape.align == 0)
			continue;
		if (m->offset != end)
			s->has_padding = true;
		end = m->offset + m->type->shape.size;
	}
	if (size != end)
		s->has_padding = true;
	s->needs_check |= s->has_padding;
}

static void lay_out_union(layout *l, decl *d)
{
	wire_shape *s = &d->shape;
	uint32_t tag = ast_int_kind_bytes(d->int_kind);
	uint32_t payload_align = 1;
	uint64_t payload = 0;
	for (member *m = d->members; m != NULL; m = m->next) {
		shape_type(l, m->type);
		const wire_shape *v = &m->type->shape;
		if (v->align > payload_align)
			payload_align = v->align;
		if (v->size > payload)
			payload = v->size;
		if (v->max_ool > s->max_ool)
			s->max_ool = v->max_ool;
		if (v->max_handles > s->max_handles)
			s->max_handles = v->max_handles;
		s->has_ool |= v->has_ool;
		s->has_handles |= v->has_handles;
		s->open_ool |= v->open_ool;
	}
	uint32_t align = tag > payload_align ? tag : payload_align;
	uint64_t payload_offset = align_up(tag, payload_align);
	d->envelope_offset = 0;
	if (d->flexible) {
		/* The envelope (idl_envelope: 8 bytes, aligned to 4) follows the
		 * tag; unknown variants are skipped by what it counts. */
		uint64_t envelope = align_up(tag, WIRE_ENVELOPE_ALIGN);
		d->envelope_offset = (uint32_t)envelope;
		/* A variant this version does not know may have out-of-line
		 * blocks, which the envelope steps over: the frame can hold more
		 * than the known variants' blocks. */
		s->has_ool = true;
		s->open_ool = true;
		payload_offset = align_up(envelope + WIRE_ENVELOPE_BYTES, payload_align);
		if (align < WIRE_ENVELOPE_ALIGN)
			align = WIRE_ENVELOPE_ALIGN;
	}
	for (member *m = d->members; m != NULL; m = m->next)
		m->offset = (uint32_t)payload_offset;
	d->payload_offset = (uint32_t)payload_offset;
	s->size = (uint32_t)align_up(payload_offset + payload, align);
	s->align = align;
	s->needs_check = true;
	s->has_padding = true;
}

static void lay_out_decl(layout *l, decl *d)
{
	if (d->laid_out)
		return;
	d->laid_out = true;
	switch (d->kind) {
	case DECL_ENUM:
	case DECL_BITS:
		d->shape.size = d->shape.align = ast_int_kind_bytes(d->int_kind);
		/* A flexible enum or bits type keeps values it does not know. */
		d->shape.needs_check =
		    !d->flexible && (d->kind == DECL_ENUM ||
		                     d->bits_mask != (uint64_t)ast_int_kind_max(d->int_kind));
		break;
	case DECL_STRUCT:
		lay_out_struct(l, d);
		break;
	case DECL_UNION:
		lay_out_union(l, d);
		break;
	case DECL_CONST:
	case DECL_INTERFACE:
		break;
	}
}

/* Lays out one message and checks it against its interface's frame limit. */
static void lay_out_message(layout *l, decl *iface, decl *msg, const char *what)
{
	lay_out_decl(l, msg);
	uint64_t max = (uint64_t)msg->shape.size + msg->shape.max_ool;
	/* A later version's variant of a flexible union may fill the frame:
	 * the receiver takes any frame the interface allows (as FIDL does). */
	msg->max_frame_bytes =
	    msg->shape.open_ool && max <= iface->max_frame_bytes ? iface->max_frame_bytes : max;
	if (msg->shape.size > IDL_MAX_INLINE_BYTES) {
		/* The header's inline_size is a u16: large data goes out of line. */
		method *m = msg->message_of;
		diag_error(l->d, "inline-too-large", m->loc,
		           "the %s of '%s.%s' has an inline part of %u bytes, header included; a "
		           "frame's inline part is limited to %u bytes",
		           what, iface->name, m->name, msg->shape.size, IDL_MAX_INLINE_BYTES);
		member *largest = msg->members;
		for (member *f = msg->members; f != NULL; f = f->next)
			if (f->type->shape.size > largest->type->shape.size)
				largest = f;
		diag_note(
		    l->d, largest->loc,
		    "'%s' takes %u bytes inline; bytes<N> or vector<T, N> would put it out of "
		    "line",
		    largest->name, largest->type->shape.size);
	} else if (max > iface->max_frame_bytes) {
		method *m = msg->message_of;
		diag_error(l->d, "frame-too-large", m->loc,
		           "the %s of '%s.%s' can be %llu bytes, %llu more than the frame limit of "
		           "'%s' (%llu bytes)",
		           what, iface->name, m->name, (unsigned long long)max,
		           (unsigned long long)(max - iface->max_frame_bytes), iface->name,
		           (unsigned long long)iface->max_frame_bytes);
		attribute *a = ast_find_attr(iface->attrs, "max_frame");
		if (a != NULL)
			diag_note(l->d, a->loc, "the limit is set here");
		else
			diag_note(l->d, iface->loc,
			          "raise the limit with @max_frame(N) on the interface");
	} else if (msg->shape.max_handles > IDL_MAX_HANDLES) {
		diag_error(l->d, "too-many-handles", msg->message_of->loc,
		           "the %s of '%s.%s' can carry %u handles; the limit is 64", what,
		           iface->name, msg->message_of->name, msg->shape.max_handles);
	}
}

void layout_compute(compilation *c)
{
	layout l = {.c = c, .d = &c->diag};
	/* Only a checked AST is laid out (compile_front_end). */
	IDL_ASSERT(c->diag.errors == 0);
	for (file *f = c->files; f != NULL; f = f->next) {
		for (decl *d = f->decls; d != NULL; d = d->next) {
			lay_out_decl(&l, d);
			if (d->kind != DECL_INTERFACE)
				continue;
			for (method *m = d->methods; m != NULL; m = m->next) {
				/* The error's shape too, for readers of the IR. */
				if (m->error != NULL)
					shape_type(&l, m->error);
				lay_out_message(&l, d, m->request,
				                m->kind == METHOD_EVENT ? "event" : "request");
				if (m->reply != NULL)
					lay_out_message(&l, d, m->reply, "reply");
			}
		}
	}
}
