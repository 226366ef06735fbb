/*
 * ir_load.c: idlc's JSON IR (gen_json.c) back into files and declarations,
 * so that the compatibility checker can compare a new .idl against an old
 * version kept as IR. It fills in what the front end would have resolved
 * and what compat.c reads: names, kinds, values, types and their targets,
 * ordinals, versions, defaults, reserved names and numbers, and the sizes
 * of unions. Locations point into the JSON text, so that a note about the
 * old version shows its line there.
 */
#include "compile.h"
#include "json.h"

#include <string.h>

typedef struct ir {
	compilation *c;
	arena *a;
	diag_ctx *d;
	bool failed;
} ir;

static void bad(ir *r, const json *at, const char *what, const char *key)
{
	if (!r->failed)
		diag_error(r->d, "bad-ir", at->loc, "%s \"%s\" in idlc's IR", what, key);
	r->failed = true;
}

static json *need(ir *r, const json *obj, const char *key, json_kind kind)
{
	json *m = json_member(obj, key);
	if (m == NULL || m->kind != kind) {
		bad(r, obj, m == NULL ? "expected" : "wrong kind of value for", key);
		return NULL;
	}
	return m;
}

static const char *text(ir *r, const json *obj, const char *key)
{
	json *m = need(r, obj, key, JSON_STRING);
	return m != NULL ? m->string : "";
}

static idl_int number(ir *r, const json *obj, const char *key)
{
	json *m = need(r, obj, key, JSON_NUMBER);
	return m != NULL ? m->number : 0;
}

/* An optional number, with its default. */
static idl_int number_or(const json *obj, const char *key, idl_int otherwise)
{
	json *m = json_member(obj, key);
	return m != NULL && m->kind == JSON_NUMBER ? m->number : otherwise;
}

static bool flag(const json *obj, const char *key)
{
	json *m = json_member(obj, key);
	return m != NULL && m->kind == JSON_TRUE;
}

static bool int_kind_of(ir *r, const json *at, const char *name, int_kind *out)
{
	for (int k = INT_U8; k <= INT_I64; k++) {
		if (strcmp(ast_int_kind_name((int_kind)k), name) == 0) {
			*out = (int_kind)k;
			return true;
		}
	}
	bad(r, at, "unknown integer type", name);
	return false;
}

static expr *constant(ir *r, loc at, idl_int v)
{
	expr *e = ast_expr_int(r->a, at, v);
	e->evaluated = true;
	e->value = v;
	return e;
}

static decl *find_decl(ir *r, const char *package, const char *name)
{
	for (file *f = r->c->files; f != NULL; f = f->next) {
		if (strcmp(f->package, package) != 0)
			continue;
		for (decl *d = f->decls; d != NULL; d = d->next)
			if (strcmp(d->name, name) == 0)
				return d;
	}
	return NULL;
}

static type *type_of(ir *r, const json *j);

static type *named_type(ir *r, const json *j, type *t)
{
	const char *package = text(r, j, "package");
	t->name = text(r, j, "name");
	t->target = find_decl(r, package, t->name);
	if (t->target == NULL)
		bad(r, j, "no declaration for the type", t->name);
	else
		t->shape = t->target->shape;
	return t;
}

static type *type_of(ir *r, const json *j)
{
	/* In the order of type_kind. */
	static const char *const kinds[] = {"int",    "bool",  "string",   "bytes",  "vector",
	                                    "packed", "array", "optional", "handle", "named"};
	if (j == NULL || j->kind != JSON_OBJECT) {
		if (j != NULL)
			bad(r, j, "expected an object for", "type");
		return NULL;
	}
	const char *kind = text(r, j, "kind");
	type *t = NULL;
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		if (strcmp(kind, kinds[k]) == 0)
			t = ast_type(r->a, j->loc, (type_kind)k);
	if (t == NULL) {
		bad(r, j, "unknown type kind", kind);
		return NULL;
	}
	t->shape.size = (uint32_t)number_or(j, "size", 0);
	t->shape.align = (uint32_t)number_or(j, "align", 0);
	t->shape.max_ool = (uint64_t)number_or(j, "max_out_of_line", 0);
	t->count = (uint64_t)number_or(j, "bound", 0);
	switch (t->kind) {
	case TYPE_INT:
		int_kind_of(r, j, text(r, j, "int"), &t->int_kind);
		break;
	case TYPE_HANDLE: {
		const char *h = text(r, j, "handle");
		bool found = false;
		for (int k = HANDLE_ANY; k <= HANDLE_DMA; k++) {
			if (strcmp(ast_handle_kind_name((handle_kind)k), h) == 0) {
				t->handle = (handle_kind)k;
				found = true;
			}
		}
		if (!found)
			bad(r, j, "unknown handle kind", h);
		if (json_member(j, "protocol") != NULL) {
			t->protocol_name = text(r, j, "protocol");
			t->protocol =
			    find_decl(r, text(r, j, "protocol_package"), t->protocol_name);
		}
		break;
	}
	case TYPE_NAMED:
		return named_type(r, j, t);
	case TYPE_VECTOR:
	case TYPE_PACKED:
	case TYPE_ARRAY:
	case TYPE_OPTIONAL:
		t->element = type_of(r, need(r, j, "element", JSON_OBJECT));
		if (t->element == NULL)
			return NULL;
		break;
	default:
		break;
	}
	return t;
}

static reserved *reserved_of(ir *r, const json *list)
{
	reserved *head = NULL, **tail = &head;
	for (json *item = list != NULL ? list->first : NULL; item != NULL; item = item->next) {
		reserved *res = arena_alloc(r->a, sizeof(reserved));
		res->loc = item->loc;
		if (json_member(item, "name") != NULL)
			res->name = text(r, item, "name");
		else
			res->value = constant(r, item->loc, number(r, item, "value"));
		*tail = res;
		tail = &res->next;
	}
	return head;
}

/* The members of a declaration (kinds and values: the first pass). */
static member *members_of(ir *r, const json *list, bool valued)
{
	member *head = NULL, **tail = &head;
	for (json *item = list != NULL ? list->first : NULL; item != NULL; item = item->next) {
		member *m = ast_member(r->a, item->loc, NULL, text(r, item, "name"), NULL, NULL);
		m->added = (uint32_t)number_or(item, "added", 1);
		if (valued)
			m->value = constant(r, item->loc, number(r, item, "value"));
		*tail = m;
		tail = &m->next;
	}
	return head;
}

/* The types of a declaration's members (the second pass: every
 * declaration exists by then), and a parameter's default. */
static void member_types(ir *r, member *list, const json *items)
{
	json *item = items != NULL ? items->first : NULL;
	for (member *m = list; m != NULL && item != NULL; m = m->next, item = item->next) {
		m->type = type_of(r, need(r, item, "type", JSON_OBJECT));
		json *fallback = json_member(item, "default");
		if (fallback == NULL || m->type == NULL)
			continue;
		m->fallback = constant(r, fallback->loc, 0);
		if (fallback->kind == JSON_NUMBER) {
			m->fallback_value = fallback->number;
			continue;
		}
		decl *e = m->type->kind == TYPE_NAMED ? m->type->target : NULL;
		for (member *o = e != NULL ? e->members : NULL; o != NULL; o = o->next)
			if (fallback->kind == JSON_STRING && strcmp(o->name, fallback->string) == 0)
				m->fallback_enum = o;
		if (m->fallback_enum == NULL)
			bad(r, fallback, "unknown default", m->name);
	}
}

static decl *message_of(ir *r, decl *iface, method *m, const json *j, const char *suffix)
{
	decl *msg = ast_decl(r->a, iface->file, j->loc, DECL_STRUCT,
	                     arena_printf(r->a, "%s.%s %s", iface->name, m->name, suffix));
	msg->is_message = true;
	msg->message_of = m;
	msg->interface_of = iface;
	json *fields = need(r, j, "fields", JSON_ARRAY);
	msg->members = members_of(r, fields, false);
	member_types(r, msg->members, fields);
	msg->shape.size = (uint32_t)number_or(j, "inline_size", 0);
	msg->max_frame_bytes = (uint64_t)number_or(j, "max_bytes", 0);
	return msg;
}

static void methods_of(ir *r, decl *d, const json *j)
{
	static const char *const kinds[] = {"two_way", "one_way", "event"};
	json *list = need(r, j, "methods", JSON_ARRAY);
	method **tail = &d->methods;
	for (json *item = list != NULL ? list->first : NULL; item != NULL; item = item->next) {
		method *m =
		    ast_method(r->a, item->loc, METHOD_TWO_WAY, text(r, item, "name"), NULL);
		m->ordinal_loc = item->loc;
		const char *kind = text(r, item, "kind");
		for (int k = 0; k < 3; k++)
			if (strcmp(kind, kinds[k]) == 0)
				m->kind = (method_kind)k;
		m->ordinal = (uint32_t)number(r, item, "ordinal");
		m->added = (uint32_t)number_or(item, "added", 1);
		if (json_member(item, "error") != NULL)
			m->error = type_of(r, json_member(item, "error"));
		json *request = json_member(item, m->kind == METHOD_EVENT ? "event" : "request");
		if (request == NULL) {
			bad(r, item, "expected", m->kind == METHOD_EVENT ? "event" : "request");
			return;
		}
		m->request =
		    message_of(r, d, m, request, m->kind == METHOD_EVENT ? "event" : "request");
		json *reply = json_member(item, "reply");
		m->has_reply = reply != NULL;
		if (reply != NULL)
			m->reply = message_of(r, d, m, reply, "reply");
		*tail = m;
		tail = &m->next;
	}
}

static const char *const decl_kinds[] = {"const", "enum", "bits", "struct", "union", "interface"};

/* First pass: a declaration, its kind, name, values and sizes. */
static decl *decl_of(ir *r, file *f, const json *j)
{
	const char *kind = text(r, j, "kind");
	decl *d = arena_alloc(r->a, sizeof(decl));
	bool found = false;
	for (int k = DECL_CONST; k <= DECL_INTERFACE; k++) {
		if (strcmp(kind, decl_kinds[k]) == 0) {
			d->kind = (decl_kind)k;
			found = true;
		}
	}
	if (!found) {
		bad(r, j, "unknown declaration kind", kind);
		return NULL;
	}
	d->name = text(r, j, "name");
	d->loc = j->loc;
	d->file = f;
	d->flexible = flag(j, "flexible");
	d->reserveds = reserved_of(r, json_member(j, "reserved"));
	switch (d->kind) {
	case DECL_CONST:
		int_kind_of(r, j, text(r, j, "type"), &d->int_kind);
		d->value = constant(r, j->loc, number(r, j, "value"));
		break;
	case DECL_ENUM:
	case DECL_BITS:
		int_kind_of(r, j, text(r, j, "type"), &d->int_kind);
		d->members = members_of(r, need(r, j, "members", JSON_ARRAY), true);
		for (member *m = d->members; m != NULL; m = m->next)
			d->bits_mask |= (uint64_t)m->value->value;
		break;
	case DECL_UNION:
		int_kind_of(r, j, text(r, j, "tag"), &d->int_kind);
		d->members = members_of(r, need(r, j, "variants", JSON_ARRAY), true);
		break;
	case DECL_STRUCT:
		d->members = members_of(r, need(r, j, "fields", JSON_ARRAY), false);
		break;
	case DECL_INTERFACE:
		d->max_frame_bytes = (uint64_t)number(r, j, "max_frame_bytes");
		d->protocol_id = (uint32_t)number(r, j, "protocol_id");
		d->version = (uint32_t)number_or(j, "version", 1);
		d->oldest = (uint32_t)number_or(j, "oldest", 1);
		break;
	}
	d->shape.size = (uint32_t)number_or(j, "size", 0);
	d->shape.align = (uint32_t)number_or(j, "align", 0);
	d->shape.max_ool = (uint64_t)number_or(j, "max_out_of_line", 0);
	d->shape.max_handles = (uint32_t)number_or(j, "max_handles", 0);
	if (d->kind == DECL_ENUM || d->kind == DECL_BITS) /* the IR writes no size for them */
		d->shape.size = d->shape.align = ast_int_kind_bytes(d->int_kind);
	d->laid_out = true;
	return d;
}

/* Second pass: what refers to other declarations. */
static void resolve_decl(ir *r, decl *d, const json *j)
{
	if (d->kind == DECL_STRUCT)
		member_types(r, d->members, json_member(j, "fields"));
	else if (d->kind == DECL_UNION)
		member_types(r, d->members, json_member(j, "variants"));
	else if (d->kind == DECL_INTERFACE)
		methods_of(r, d, j);
}

bool ir_load(compilation *c, const char *path)
{
	ir r = {.c = c, .a = &c->arena, .d = &c->diag};
	char *text_bytes;
	size_t size;
	if (!load_read_file(c, (loc){0}, path, &text_bytes, &size))
		return false;
	uint32_t source = diag_add_source(r.d, arena_strdup(r.a, path), text_bytes, size);
	json *top = json_parse(r.a, r.d, source);
	if (top == NULL)
		return false;
	json *version = json_member(top, "idlc_ir_version");
	if (version == NULL || version->kind != JSON_NUMBER || version->number != IR_VERSION) {
		diag_error(r.d, "bad-ir", version != NULL ? version->loc : top->loc,
		           "not idlc's IR version %d; write it again with idlc --emit=json",
		           IR_VERSION);
		return false;
	}
	json *files = need(&r, top, "files", JSON_ARRAY);
	file **tail = &c->files;
	for (json *jf = files != NULL ? files->first : NULL; jf != NULL && !r.failed;
	     jf = jf->next) {
		file *f = ast_file(r.a, text(&r, jf, "path"), source);
		f->package = text(&r, jf, "package");
		f->package_loc = jf->loc;
		decl **dtail = &f->decls;
		json *decls = need(&r, jf, "declarations", JSON_ARRAY);
		for (json *jd = decls != NULL ? decls->first : NULL; jd != NULL; jd = jd->next) {
			decl *d = decl_of(&r, f, jd);
			if (d == NULL)
				break;
			*dtail = d;
			dtail = &d->next;
		}
		*tail = f;
		tail = &f->next;
		if (f == c->files)
			load_add_root(c, f);
	}
	/* The second pass, in the same order: declarations and JSON side by side. */
	json *jf = files != NULL ? files->first : NULL;
	for (file *f = c->files; f != NULL && jf != NULL && !r.failed; f = f->next, jf = jf->next) {
		json *jd = json_member(jf, "declarations")->first;
		for (decl *d = f->decls; d != NULL && jd != NULL; d = d->next, jd = jd->next)
			resolve_decl(&r, d, jd);
	}
	if (c->files == NULL && !r.failed)
		bad(&r, top, "no files", "files");
	return !r.failed;
}
