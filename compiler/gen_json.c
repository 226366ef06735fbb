/*
 * gen_json.c: the checked IR as JSON, so other tools and back ends can
 * build on idlc's front end without re-parsing .idl files. It holds what
 * the compatibility checker compares (compat.c reads it back with
 * ir_load.c): versions, defaults, flexibility, reserved names and numbers,
 * and where each declaration, member and method is in its .idl.
 */
#include "gen.h"

#include <string.h>

static void str(emitter *e, const char *s)
{
	emit(e, "\"");
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			emit(e, "\\%c", c);
		else if (c < 0x20)
			emit(e, "\\u%04x", c);
		else
			emit(e, "%c", c);
	}
	emit(e, "\"");
}

/* Where a declaration or member is in its .idl, for tools that report
 * on it: `"loc": {"file": ..., "line": ..., "column": ...}`. */
static void json_loc(compilation *c, emitter *e, loc at)
{
	unsigned line, col;
	diag_line_col(&c->diag, at, &line, &col);
	emit(e, ", \"loc\": {\"file\": ");
	str(e, diag_source(&c->diag, at.file)->path);
	emit(e, ", \"line\": %u, \"column\": %u}", line, col);
}

static void num(emitter *e, idl_int v)
{
	if (v < 0)
		emit(e, "-%llu", (unsigned long long)-v);
	else
		emit(e, "%llu", (unsigned long long)v);
}

static void json_type(emitter *e, const type *t)
{
	/* In the order of type_kind. */
	static const char *const kinds[] = {"int",    "bool",  "string",   "bytes",  "vector",
	                                    "packed", "array", "optional", "handle", "named"};
	emit(e, "{\"kind\": ");
	str(e, kinds[t->kind]);
	switch (t->kind) {
	case TYPE_INT:
		emit(e, ", \"int\": ");
		str(e, ast_int_kind_name(t->int_kind));
		break;
	case TYPE_HANDLE:
		emit(e, ", \"handle\": ");
		str(e, ast_handle_kind_name(t->handle));
		if (t->protocol != NULL) {
			emit(e, ", \"protocol_package\": ");
			str(e, t->protocol->file->package);
			emit(e, ", \"protocol\": ");
			str(e, t->protocol->name);
		}
		break;
	case TYPE_NAMED:
		emit(e, ", \"package\": ");
		str(e, t->target->file->package);
		emit(e, ", \"name\": ");
		str(e, t->target->name);
		break;
	default:
		break;
	}
	if (t->kind == TYPE_STRING || t->kind == TYPE_BYTES || t->kind == TYPE_VECTOR ||
	    t->kind == TYPE_PACKED || t->kind == TYPE_ARRAY)
		emit(e, ", \"bound\": %llu", (unsigned long long)t->count);
	if (t->element) {
		emit(e, ", \"element\": ");
		json_type(e, t->element);
	}
	emit(e, ", \"size\": %u, \"align\": %u, \"max_out_of_line\": %llu}", t->shape.size,
	     t->shape.align, (unsigned long long)t->shape.max_ool);
}

static void json_members(compilation *c, emitter *e, const member *list, bool typed, bool valued,
                         bool versioned, const char *indent)
{
	emit(e, "[");
	for (const member *m = list; m != NULL; m = m->next) {
		emit(e, "%s\n%s{\"name\": ", m == list ? "" : ",", indent);
		str(e, m->name);
		json_loc(c, e, m->loc);
		if (versioned) {
			emit(e, ", \"added\": %u", m->added);
			if (m->fallback_enum != NULL) {
				emit(e, ", \"default\": ");
				str(e, m->fallback_enum->name);
			} else if (m->fallback != NULL) {
				emit(e, ", \"default\": ");
				num(e, m->fallback_value);
			}
		}
		if (m->doc) {
			emit(e, ", \"doc\": ");
			str(e, m->doc);
		}
		if (valued) {
			emit(e, ", \"value\": ");
			num(e, m->value->value);
		}
		if (typed) {
			emit(e, ", \"offset\": %u, \"type\": ", m->offset);
			json_type(e, m->type);
		}
		emit(e, "}");
	}
	emit(e, "]");
}

static void json_message(compilation *c, emitter *e, const char *key, const decl *msg)
{
	emit(e, ", \"%s\": {\"c_name\": ", key);
	str(e, msg->c_name);
	emit(e, ", \"inline_size\": %u, \"max_bytes\": %llu, \"max_handles\": %u, \"fields\": ",
	     msg->shape.size, (unsigned long long)msg->max_frame_bytes, msg->shape.max_handles);
	json_members(c, e, msg->members, true, false, true, "          ");
	/* The inline part of each version: what a header's inline_size may say. */
	emit(e, ", \"versions\": [");
	for (uint32_t i = 0; i < msg->version_count; i++)
		emit(e, "%s{\"version\": %u, \"inline_size\": %u}", i == 0 ? "" : ", ",
		     msg->versions[i], msg->version_inline[i]);
	emit(e, "]");
	emit(e, "}");
}

static void json_reserved(emitter *e, const decl *d)
{
	if (d->reserveds == NULL)
		return;
	emit(e, ", \"reserved\": [");
	for (const reserved *r = d->reserveds; r != NULL; r = r->next) {
		emit(e, "%s", r == d->reserveds ? "" : ", ");
		if (r->name != NULL) {
			emit(e, "{\"name\": ");
			str(e, r->name);
		} else {
			emit(e, "{\"value\": ");
			num(e, r->value->value);
		}
		emit(e, "}");
	}
	emit(e, "]");
}

static void json_decl(compilation *c, emitter *e, const decl *d)
{
	emit(e, "    {\"kind\": ");
	str(e, ast_decl_kind_name(d->kind));
	emit(e, ", \"name\": ");
	str(e, d->name);
	json_loc(c, e, d->loc);
	if (d->kind == DECL_ENUM || d->kind == DECL_BITS || d->kind == DECL_UNION)
		emit(e, ", \"flexible\": %s", d->flexible ? "true" : "false");
	json_reserved(e, d);
	emit(e, ", \"c_name\": ");
	str(e, d->c_name);
	if (d->doc) {
		emit(e, ", \"doc\": ");
		str(e, d->doc);
	}
	switch (d->kind) {
	case DECL_CONST:
		emit(e, ", \"type\": ");
		str(e, ast_int_kind_name(d->int_kind));
		emit(e, ", \"value\": ");
		num(e, d->value->value);
		break;
	case DECL_ENUM:
	case DECL_BITS:
		emit(e, ", \"type\": ");
		str(e, ast_int_kind_name(d->int_kind));
		emit(e, ", \"members\": ");
		json_members(c, e, d->members, false, true, false, "      ");
		break;
	case DECL_STRUCT:
	case DECL_UNION:
		if (d->kind == DECL_UNION) {
			emit(e, ", \"tag\": ");
			str(e, ast_int_kind_name(d->int_kind));
		}
		if (ast_is_flexible_union(d))
			emit(e, ", \"envelope_offset\": %u", d->envelope_offset);
		emit(e,
		     ", \"size\": %u, \"align\": %u, \"max_out_of_line\": %llu, \"max_handles\": "
		     "%u, "
		     "\"%s\": ",
		     d->shape.size, d->shape.align, (unsigned long long)d->shape.max_ool,
		     d->shape.max_handles, d->kind == DECL_UNION ? "variants" : "fields");
		json_members(c, e, d->members, true, d->kind == DECL_UNION, false, "      ");
		break;
	case DECL_INTERFACE: {
		static const char *const kinds[] = {"two_way", "one_way", "event"};
		emit(e,
		     ", \"max_frame_bytes\": %llu, \"protocol_id\": %u, \"version\": %u, "
		     "\"oldest\": %u, \"methods\": [",
		     (unsigned long long)d->max_frame_bytes, d->protocol_id, d->version, d->oldest);
		for (const method *m = d->methods; m != NULL; m = m->next) {
			emit(e, "%s\n      {\"name\": ", m == d->methods ? "" : ",");
			str(e, m->name);
			json_loc(c, e, m->loc);
			emit(e, ", \"kind\": ");
			str(e, kinds[m->kind]);
			emit(e, ", \"ordinal\": %u, \"added\": %u", m->ordinal, m->added);
			if (m->doc) {
				emit(e, ", \"doc\": ");
				str(e, m->doc);
			}
			if (m->error) {
				emit(e, ", \"error\": ");
				json_type(e, m->error);
			}
			json_message(c, e, m->kind == METHOD_EVENT ? "event" : "request",
			             m->request);
			if (m->reply)
				json_message(c, e, "reply", m->reply);
			emit(e, "}");
		}
		emit(e, "]");
		break;
	}
	}
	emit(e, "}");
}

/* What tells files apart: the real path (one file imported twice is
 * loaded once), or the path of one given as text. */
static const char *file_key(const file *f)
{
	return f->real_path != NULL ? f->real_path : f->path;
}

/* Adds to `seen` every file `f` imports, directly or through others. */
static void collect_imports(strmap *seen, const file *f)
{
	for (const import *imp = f->imports; imp != NULL; imp = imp->next) {
		file *t = imp->target;
		if (t != NULL && strmap_get(seen, file_key(t)) == NULL) {
			strmap_put(seen, file_key(t), t);
			collect_imports(seen, t);
		}
	}
}

static void json_file(compilation *c, emitter *e, const file *f, bool first)
{
	emit(e, "%s\n  {\"path\": ", first ? "" : ",");
	str(e, f->path);
	emit(e, ", \"package\": ");
	str(e, f->package);
	if (f->doc) {
		emit(e, ", \"doc\": ");
		str(e, f->doc);
	}
	emit(e, ", \"imports\": [");
	for (import *imp = f->imports; imp != NULL; imp = imp->next) {
		emit(e, "%s", imp == f->imports ? "" : ", ");
		str(e, imp->path);
	}
	emit(e, "], \"declarations\": [");
	for (decl *d = f->decls; d != NULL; d = d->next) {
		emit(e, "%s\n", d == f->decls ? "" : ",");
		json_decl(c, e, d);
	}
	emit(e, "]}");
}

void gen_json(compilation *c, const file *root, emitter *e)
{
	emit(e, "{\"idlc_ir_version\": %d, \"files\": [", IR_VERSION);
	json_file(c, e, root, true);
	/* Then what it imports, in load order; another named file and its
	 * imports are not this file's (they have a JSON file of their own). */
	strmap imported;
	strmap_init(&imported, &c->arena);
	collect_imports(&imported, root);
	for (file *f = c->files; f != NULL; f = f->next)
		if (f != root && strmap_get(&imported, file_key(f)) != NULL)
			json_file(c, e, f, false);
	emit(e, "\n]}\n");
}
