/*
 * gen_json.c: the checked IR as JSON, so other tools and back ends can
 * build on idlc's front end without re-parsing .idl files.
 */
#include "gen.h"

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

static void num(emitter *e, idl_int v)
{
	if (v < 0)
		emit(e, "-%llu", (unsigned long long)-v);
	else
		emit(e, "%llu", (unsigned long long)v);
}

static void json_type(emitter *e, const type *t)
{
	static const char *const kinds[] = {"int",   "bool",     "string", "bytes", "vector",
	                                    "array", "optional", "handle", "named"};
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
	    t->kind == TYPE_ARRAY)
		emit(e, ", \"bound\": %llu", (unsigned long long)t->count);
	if (t->element) {
		emit(e, ", \"element\": ");
		json_type(e, t->element);
	}
	emit(e, ", \"size\": %u, \"align\": %u, \"max_out_of_line\": %llu}", t->shape.size,
	     t->shape.align, (unsigned long long)t->shape.max_ool);
}

static void json_members(emitter *e, const member *list, bool typed, bool valued,
                         const char *indent)
{
	emit(e, "[");
	for (const member *m = list; m != NULL; m = m->next) {
		emit(e, "%s\n%s{\"name\": ", m == list ? "" : ",", indent);
		str(e, m->name);
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

static void json_message(emitter *e, const char *key, const decl *msg)
{
	emit(e, ", \"%s\": {\"c_name\": ", key);
	str(e, msg->c_name);
	emit(e, ", \"inline_size\": %u, \"max_bytes\": %llu, \"max_handles\": %u, \"fields\": ",
	     msg->shape.size, (unsigned long long)msg->max_frame_bytes, msg->shape.max_handles);
	json_members(e, msg->members, true, false, "          ");
	emit(e, "}");
}

static void json_decl(emitter *e, const decl *d)
{
	emit(e, "    {\"kind\": ");
	str(e, ast_decl_kind_name(d->kind));
	emit(e, ", \"name\": ");
	str(e, d->name);
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
		json_members(e, d->members, false, true, "      ");
		break;
	case DECL_STRUCT:
	case DECL_UNION:
		if (d->kind == DECL_UNION) {
			emit(e, ", \"tag\": ");
			str(e, ast_int_kind_name(d->int_kind));
		}
		emit(e, ", \"size\": %u, \"align\": %u, \"max_out_of_line\": %llu, \"%s\": ",
		     d->shape.size, d->shape.align, (unsigned long long)d->shape.max_ool,
		     d->kind == DECL_UNION ? "variants" : "fields");
		json_members(e, d->members, true, d->kind == DECL_UNION, "      ");
		break;
	case DECL_INTERFACE: {
		static const char *const kinds[] = {"two_way", "one_way", "event"};
		emit(e, ", \"max_frame_bytes\": %llu, \"protocol_id\": %u, \"methods\": [",
		     (unsigned long long)d->max_frame_bytes, d->protocol_id);
		for (const method *m = d->methods; m != NULL; m = m->next) {
			emit(e, "%s\n      {\"name\": ", m == d->methods ? "" : ",");
			str(e, m->name);
			emit(e, ", \"kind\": ");
			str(e, kinds[m->kind]);
			emit(e, ", \"ordinal\": %u", m->ordinal);
			if (m->doc) {
				emit(e, ", \"doc\": ");
				str(e, m->doc);
			}
			if (m->error) {
				emit(e, ", \"error\": ");
				json_type(e, m->error);
			}
			json_message(e, m->kind == METHOD_EVENT ? "event" : "request", m->request);
			if (m->reply)
				json_message(e, "reply", m->reply);
			emit(e, "}");
		}
		emit(e, "]");
		break;
	}
	}
	emit(e, "}");
}

void gen_json(compilation *c, emitter *e)
{
	emit(e, "{\"idlc_ir_version\": 1, \"files\": [");
	for (file *f = c->files; f != NULL; f = f->next) {
		emit(e, "%s\n  {\"path\": ", f == c->files ? "" : ",");
		str(e, f->path);
		emit(e, ", \"package\": ");
		str(e, f->package);
		emit(e, ", \"imports\": [");
		for (import *imp = f->imports; imp != NULL; imp = imp->next) {
			emit(e, "%s", imp == f->imports ? "" : ", ");
			str(e, imp->path);
		}
		emit(e, "], \"declarations\": [");
		for (decl *d = f->decls; d != NULL; d = d->next) {
			emit(e, "%s\n", d == f->decls ? "" : ",");
			json_decl(e, d);
		}
		emit(e, "]}");
	}
	emit(e, "\n]}\n");
}
