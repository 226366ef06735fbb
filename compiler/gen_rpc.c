/*
 * gen_rpc.c: client stubs, the server skeleton and events in <name>.c.
 *
 * Everything here moves frames through an idl_endpoint (idl_wire.h): a
 * per-message send_ helper encodes straight into the transport's frame;
 * stubs wait for the reply with their transaction id and validate it in
 * the caller's buffer; the dispatcher validates a request before its
 * handler sees it and encodes the handler's reply straight into the
 * transport.
 */
#include "gen.h"
#include "idl/assert.h"

typedef struct rpc_gen {
	compilation *c;
	arena *a;
	emitter *e;
} rpc_gen;

static uint32_t at_least_one(uint32_t n)
{
	return n ? n : 1;
}

/* static int send_<msg>(idl_endpoint *ep, const <msg> *msg, uint32_t txid) */
static void gen_send(rpc_gen *g, decl *msg)
{
	emitter *e = g->e;
	const char *n = msg->c_name;
	const char *max = msg->cnames.max_bytes;
	const char *args[] = {"idl_endpoint *ep", arena_printf(g->a, "const %s *msg", n),
	                      "uint32_t txid"};
	emit_wrapped(e, 0, arena_printf(g->a, "static int %s(", msg->cnames.send), args, 3,
	             ")\n{\n");
	emit(e, "\tidl_typed_handle handles[%u];\n", at_least_one(msg->shape.max_handles));
	emit(e, "\tuint32_t handle_count = 0;\n");
	emit(e, "\tvoid *frame;\n");
	emit(e, "\tint err = ep->ops->send_begin(ep, %s, &frame);\n", max);
	emit(e, "\tif (err != IDL_OK)\n\t\treturn err;\n");
	const char *enc[] = {"msg", "txid", "frame", max, "handles", "&handle_count"};
	emit_wrapped(e, 1, arena_printf(g->a, "int64_t size = %s(", msg->cnames.encode), enc, 6,
	             ");\n");
	emit(e, "\treturn idl_send_finish(ep, size, handles, handle_count);\n}\n\n");
}

/* The reply-side parameters of a two-way stub: reply, and error if any. */
static size_t reply_params(rpc_gen *g, method *m, const char **args)
{
	return gen_reply_params(g->a, m, args);
}

/*
 * static int start_<method>(ep, req, call): enters the call, then sends
 * the request; static int finish_<method>(ep, call, buf, reply, error):
 * waits, ends the call, validates the reply. The synchronous stub and
 * <method>_start / <method>_finish are both made of these two.
 */
static void gen_call_parts(rpc_gen *g, method *m)
{
	emitter *e = g->e;
	arena *a = g->a;
	IDL_ASSERT(m->kind == METHOD_TWO_WAY && m->reply != NULL);
	const method_c_names *cn = &m->cnames;
	decl *err_enum = gen_error_enum(m);
	const char *sargs[] = {"idl_endpoint *ep",
	                       arena_printf(a, "const %s *req", m->request->c_name),
	                       "idl_call *call"};
	emit_wrapped(e, 0, arena_printf(a, "static inline int %s(", cn->start_static), sargs, 3,
	             ")\n{\n");
	emit(e, "\tcall->txid = idl_endpoint_txid(ep);\n");
	emit(e, "\tcall->inline_bytes = (uint32_t)sizeof(%s);\n", m->reply->c_name);
	emit(e, "\tint err = ep->ops->call_begin(ep, call);\n");
	emit(e, "\tif (err != IDL_OK)\n\t\treturn err;\n");
	emit(e, "\terr = %s(ep, req, call->txid);\n", m->request->cnames.send);
	emit(e, "\tif (err != IDL_OK)\n\t\tep->ops->call_end(ep, call);\n");
	emit(e, "\treturn err;\n}\n\n");

	const char *fargs[5];
	size_t n = 0;
	fargs[n++] = "idl_endpoint *ep";
	fargs[n++] = "idl_call *call";
	fargs[n++] = arena_printf(a, "%s *buf", cn->reply_buffer);
	n += reply_params(g, m, fargs + n);
	emit_wrapped(e, 0, arena_printf(a, "static inline int %s(", cn->finish_static), fargs, n,
	             ")\n{\n");
	emit(e, "\tint err = idl_call_finish(ep, call);\n");
	emit(e, "\tif (err != IDL_OK)\n\t\treturn err;\n");
	/* A reply refused, and an error reply (which has no handles of its
	 * own), give back the handles that came with it: a server cannot make
	 * its client hold handles by sending them with a bad reply. */
	if (err_enum) {
		emit(e, "\tif (buf->reply.header.flags == (IDL_FLAG_REPLY | IDL_FLAG_ERROR)) {\n");
		emit(e, "\t\tidl_release_handles(ep, call->handles, call->handle_count);\n");
		emit(e, "\t\terr = %s(buf->bytes, call->size, error);\n", cn->error_validate);
		emit(e, "\t\treturn err != IDL_OK ? err : IDL_E_REMOTE;\n\t}\n");
	}
	const char *vargs[] = {"buf->bytes", "call->size", "call->handles", "call->handle_count",
	                       "reply"};
	emit_wrapped(e, 1, arena_printf(a, "err = %s(", m->reply->cnames.check), vargs, 5, ");\n");
	emit(e, "\tif (err == IDL_OK) {\n");
	const char *rargs[] = {"ep", "call->handles", "call->handle_count", "&(*reply)->header"};
	emit_wrapped(e, 2, "idl_release_unknown_handles(", rargs, 4, ");\n");
	emit(e, "\t\treturn IDL_OK;\n\t}\n");
	emit(e, "\tidl_release_handles(ep, call->handles, call->handle_count);\n");
	/* A reply that is not the method's may be a server's "not supported". */
	const char *ns[] = {"buf->bytes", "call->size", cn->ordinal, "call->handle_count", "err"};
	emit_wrapped(e, 1, "return idl_not_supported_or(", ns, 5, ");\n");
	emit(e, "}\n\n");
}

static void gen_stub(rpc_gen *g, decl *iface, method *m)
{
	emitter *e = g->e;
	arena *a = g->a;
	const method_c_names *cn = &m->cnames;
	emit(e, "/* %s: %s.%s */\n", gen_where(g->c, m->loc), iface->name, m->name);
	if (m->kind == METHOD_EVENT) {
		const char *args[] = {"idl_endpoint *ep",
		                      arena_printf(a, "const %s *event", m->request->c_name)};
		emit_wrapped(e, 0, arena_printf(a, "int %s(", cn->call), args, 2, ")\n{\n");
		emit(e, "\treturn %s(ep, event, 0);\n}\n\n", m->request->cnames.send);
		return;
	}
	const char *args[5];
	size_t n = 0;
	args[n++] = "idl_endpoint *ep";
	args[n++] = arena_printf(a, "const %s *req", m->request->c_name);
	if (m->kind == METHOD_ONE_WAY) {
		emit_wrapped(e, 0, arena_printf(a, "int %s(", cn->call), args, n, ")\n{\n");
		emit(e, "\treturn %s(ep, req, 0);\n}\n\n", m->request->cnames.send);
		return;
	}
	gen_call_parts(g, m);
	uint32_t handles = at_least_one(m->reply->shape.max_handles);
	const char *rargs[2];
	size_t r = reply_params(g, m, rargs);
	const char *pass_reply = r == 2 ? "reply, error" : "reply";

	/* The synchronous stub: a call on the stack, started and finished. */
	args[n++] = arena_printf(a, "%s *buf", cn->reply_buffer);
	for (size_t i = 0; i < r; i++)
		args[n++] = rargs[i];
	emit_wrapped(e, 0, arena_printf(a, "int %s(", cn->call), args, n, ")\n{\n");
	emit(e, "\tidl_typed_handle handles[%u];\n", handles);
	emit(e, "\tidl_call call;\n");
	emit(e, "\tidl_call_init(&call, buf->bytes, sizeof(buf->bytes), handles, %u);\n", handles);
	emit(e, "\tint err = %s(ep, req, &call);\n", cn->start_static);
	emit(e, "\tif (err != IDL_OK)\n\t\treturn err;\n");
	emit(e, "\treturn %s(ep, &call, buf, %s);\n}\n\n", cn->finish_static, pass_reply);

	/* The same in two halves, the call in the caller's <method>_pending. */
	emit(e, "/* %s: %s.%s, started */\n", gen_where(g->c, m->loc), iface->name, m->name);
	const char *sargs[] = {"idl_endpoint *ep",
	                       arena_printf(a, "const %s *req", m->request->c_name),
	                       arena_printf(a, "%s *p", cn->pending)};
	emit_wrapped(e, 0, arena_printf(a, "int %s(", cn->start), sargs, 3, ")\n{\n");
	const char *init[] = {"&p->call", "p->buf.bytes", "sizeof(p->buf.bytes)", "p->handles",
	                      arena_printf(a, "%uu", handles)};
	emit_wrapped(e, 1, "idl_call_init(", init, 5, ");\n");
	emit(e, "\treturn %s(ep, req, &p->call);\n}\n\n", cn->start_static);
	emit(e, "/* %s: %s.%s, finished */\n", gen_where(g->c, m->loc), iface->name, m->name);
	const char *fargs[4];
	size_t k = 0;
	fargs[k++] = "idl_endpoint *ep";
	fargs[k++] = arena_printf(a, "%s *p", cn->pending);
	for (size_t i = 0; i < r; i++)
		fargs[k++] = rargs[i];
	emit_wrapped(e, 0, arena_printf(a, "int %s(", cn->finish), fargs, k, ")\n{\n");
	emit(e, "\treturn %s(ep, &p->call, &p->buf, %s);\n}\n\n", cn->finish_static, pass_reply);
}

/* static int serve_<method>(...): validate, call the handler, reply. */
static void gen_serve(rpc_gen *g, decl *iface, method *m)
{
	emitter *e = g->e;
	arena *a = g->a;
	const method_c_names *cn = &m->cnames;
	decl *err_enum = gen_error_enum(m);
	const char *args[GEN_DISPATCH_PARAMS];
	gen_dispatch_params(a, iface, args);
	emit_wrapped(e, 0, arena_printf(a, "static int %s(", cn->serve), args, GEN_DISPATCH_PARAMS,
	             ")\n{\n");
	emit(e, "\tconst %s *req;\n", m->request->c_name);
	const char *check[] = {"frame", "size", "handles", "handle_count", "&req"};
	emit_wrapped(e, 1, arena_printf(a, "int err = %s(", m->request->cnames.check), check, 5,
	             ");\n");
	emit(e, "\tif (err != IDL_OK)\n\t\treturn err;\n");
	emit(e, "\tif (h->%s == NULL) /* the client is told at once */\n", m->name);
	emit(e, "\t\treturn idl_serve_not_supported(r->ep, frame, size, handle_count);\n");
	emit(e, "\tr->txid = req->header.txid;\n");
	if (m->kind == METHOD_ONE_WAY) {
		emit(e, "\treturn h->%s(r, req);\n}\n\n", m->name);
		return;
	}
	emit(e, "\t%s reply;\n", m->reply->c_name);
	emit(e, "\tIDL_MEMSET(&reply, 0, sizeof(reply));\n");
	if (err_enum) {
		emit(e, "\t%s error = 0;\n", err_enum->c_name);
		emit(e, "\terr = h->%s(r, req, &reply, &error);\n", m->name);
		emit(e, "\tif (err == IDL_DEFERRED)\n\t\treturn IDL_OK;\n");
		emit(e, "\tif (err == IDL_E_REMOTE) {\n");
		emit(e, "\t\tvoid *out;\n");
		emit(e, "\t\terr = r->ep->ops->send_begin(r->ep, IDL_ERROR_FRAME_BYTES, &out);\n");
		emit(e, "\t\tif (err != IDL_OK)\n\t\t\treturn err;\n");
		const char *enc[] = {"r->txid", "error", "out", "IDL_ERROR_FRAME_BYTES"};
		emit_wrapped(e, 2, arena_printf(a, "int64_t n = %s(", cn->error_encode), enc, 4,
		             ");\n");
		emit(e, "\t\treturn idl_send_finish(r->ep, n, NULL, 0);\n\t}\n");
	} else {
		emit(e, "\terr = h->%s(r, req, &reply);\n", m->name);
		emit(e, "\tif (err == IDL_DEFERRED)\n\t\treturn IDL_OK;\n");
	}
	emit(e, "\tif (err != IDL_OK)\n\t\treturn err;\n");
	emit(e, "\treturn %s(r->ep, &reply, r->txid);\n}\n\n", m->reply->cnames.send);
}

/*
 * <method>_defer, <method>_reply_ok, <method>_reply_error: a handler takes
 * the reply with it in a token and sends it later, from any thread.
 */
static void gen_deferred(rpc_gen *g, decl *iface, method *m)
{
	emitter *e = g->e;
	arena *a = g->a;
	const method_c_names *cn = &m->cnames;
	const char *max = m->reply->cnames.max_bytes;
	const char *token = arena_printf(a, "%s *t", cn->token);
	emit(e, "/* %s: %s.%s, deferred */\n", gen_where(g->c, m->loc), iface->name, m->name);
	const char *dargs[] = {"idl_request *r", token};
	emit_wrapped(e, 0, arena_printf(a, "int %s(", cn->defer), dargs, 2, ")\n{\n");
	emit(e, "\treturn idl_defer(r, &t->token);\n}\n\n");

	const char *oargs[] = {token, arena_printf(a, "const %s *reply", m->reply->c_name)};
	emit_wrapped(e, 0, arena_printf(a, "int %s(", cn->reply_ok), oargs, 2, ")\n{\n");
	emit(e, "\tidl_typed_handle handles[%u];\n", at_least_one(m->reply->shape.max_handles));
	emit(e, "\tuint32_t handle_count = 0;\n");
	emit(e, "\tvoid *frame;\n");
	emit(e, "\tint err = idl_reply_begin(&t->token, %s, &frame);\n", max);
	emit(e, "\tif (err != IDL_OK)\n\t\treturn err;\n");
	const char *enc[] = {"reply", "t->token.txid", "frame", max, "handles", "&handle_count"};
	emit_wrapped(e, 1, arena_printf(a, "int64_t size = %s(", m->reply->cnames.encode), enc, 6,
	             ");\n");
	emit(e, "\treturn idl_reply_finish(&t->token, size, handles, handle_count);\n}\n\n");

	decl *err_enum = gen_error_enum(m);
	if (err_enum == NULL)
		return;
	const char *eargs[] = {token, arena_printf(a, "%s error", err_enum->c_name)};
	emit_wrapped(e, 0, arena_printf(a, "int %s(", cn->reply_error), eargs, 2, ")\n{\n");
	emit(e, "\tvoid *frame;\n");
	emit(e, "\tint err = idl_reply_begin(&t->token, IDL_ERROR_FRAME_BYTES, &frame);\n");
	emit(e, "\tif (err != IDL_OK)\n\t\treturn err;\n");
	const char *enc2[] = {"t->token.txid", "error", "frame", "IDL_ERROR_FRAME_BYTES"};
	emit_wrapped(e, 1, arena_printf(a, "int64_t size = %s(", cn->error_encode), enc2, 4,
	             ");\n");
	emit(e, "\treturn idl_reply_finish(&t->token, size, NULL, 0);\n}\n\n");
}

/* <iface>_interface: what a server's runtime needs to serve the interface. */
static void gen_interface_descriptor(rpc_gen *g, decl *iface)
{
	emitter *e = g->e;
	arena *a = g->a;
	const decl_c_names *cn = &iface->cnames;
	uint64_t max_request = 0;
	for (method *m = iface->methods; m != NULL; m = m->next)
		if (m->kind != METHOD_EVENT && m->request->max_frame_bytes > max_request)
			max_request = m->request->max_frame_bytes;
	const char *args[] = {"const void *h",
	                      "idl_request *r",
	                      "void *frame",
	                      "size_t size",
	                      "const idl_typed_handle *handles",
	                      "uint32_t handle_count"};
	emit_wrapped(e, 0, arena_printf(a, "static int %s(", cn->dispatch_static), args, 6,
	             ")\n{\n");
	const char *pass[] = {"h", "r", "frame", "size", "handles", "handle_count"};
	emit_wrapped(e, 1, arena_printf(a, "return %s(", cn->dispatch), pass, 6, ");\n");
	emit(e, "}\n\n");
	emit(e, "const idl_interface %s = {\n", cn->interface);
	emit(e, "    .name = \"%s%s%s\",\n", iface->file->package, *iface->file->package ? "." : "",
	     iface->name);
	emit(e, "    .protocol = %s,\n", cn->protocol);
	emit(e, "    .max_frame_bytes = %s,\n", cn->max_frame_bytes);
	emit(e, "    .max_request_bytes = %lluu,\n", (unsigned long long)max_request);
	emit(e, "    .version = %s,\n", cn->version);
	emit(e, "    .oldest = %s,\n", cn->oldest_version);
	emit(e, "    .dispatch = %s,\n", cn->dispatch_static);
	emit(e, "};\n\n");
}

static void gen_dispatch(rpc_gen *g, decl *iface)
{
	emitter *e = g->e;
	arena *a = g->a;
	const char *args[GEN_DISPATCH_PARAMS];
	gen_dispatch_params(a, iface, args);
	emit_wrapped(e, 0, arena_printf(a, "int %s(", iface->cnames.dispatch), args,
	             GEN_DISPATCH_PARAMS, ")\n{\n");
	emit(e, "\tif (size < IDL_FRAME_HEADER_BYTES)\n\t\treturn IDL_E_FRAME_SHORT;\n");
	emit(e, "\tswitch (((const idl_frame_header *)frame)->ordinal) {\n");
	for (method *m = iface->methods; m != NULL; m = m->next) {
		if (m->kind == METHOD_EVENT)
			continue;
		emit(e, "\tcase %s:\n", m->cnames.ordinal);
		const char *call[] = {"h", "r", "frame", "size", "handles", "handle_count"};
		emit_wrapped(e, 2, arena_printf(a, "return %s(", m->cnames.serve), call, 6, ");\n");
	}
	emit(e, "\tdefault:\n\t\treturn IDL_E_ORDINAL;\n\t}\n}\n\n");
	gen_interface_descriptor(g, iface);
}

static void gen_event_dispatch(rpc_gen *g, decl *iface)
{
	emitter *e = g->e;
	arena *a = g->a;
	const char *args[GEN_EVENT_DISPATCH_PARAMS];
	gen_event_dispatch_params(a, iface, args);
	emit_wrapped(e, 0, arena_printf(a, "int %s(", iface->cnames.event_dispatch), args,
	             GEN_EVENT_DISPATCH_PARAMS, ")\n{\n");
	emit(e, "\tint err;\n");
	emit(e, "\tif (size < IDL_FRAME_HEADER_BYTES)\n\t\treturn IDL_E_FRAME_SHORT;\n");
	emit(e, "\tswitch (((const idl_frame_header *)frame)->ordinal) {\n");
	for (method *m = iface->methods; m != NULL; m = m->next) {
		if (m->kind != METHOD_EVENT)
			continue;
		emit(e, "\tcase %s:\n", m->cnames.ordinal);
		const char *check[] = {"frame", "size", "frame_max", "handles", "handle_count"};
		emit_wrapped(e, 2, arena_printf(a, "err = %s(", m->request->cnames.validate), check,
		             5, ");\n");
		emit(e, "\t\tif (err != IDL_OK)\n\t\t\treturn err;\n");
		emit(e, "\t\tif (h->%s == NULL)\n\t\t\treturn IDL_E_NO_HANDLER;\n", m->name);
		emit(e, "\t\th->%s(ctx, frame);\n", m->name);
		emit(e, "\t\treturn IDL_OK;\n");
	}
	emit(e, "\tdefault:\n");
	emit(e, "\t\treturn idl_unknown_event(frame, size, handle_count);\n\t}\n}\n\n");
}

void gen_rpc(compilation *c, file *f, emitter *e)
{
	rpc_gen g = {.c = c, .a = &c->arena, .e = e};
	for (decl *d = f->decls; d != NULL; d = d->next) {
		if (d->kind != DECL_INTERFACE)
			continue;
		bool has_events = false;
		for (method *m = d->methods; m != NULL; m = m->next) {
			gen_send(&g, m->request);
			if (m->reply)
				gen_send(&g, m->reply);
			has_events |= m->kind == METHOD_EVENT;
		}
		for (method *m = d->methods; m != NULL; m = m->next)
			gen_stub(&g, d, m);
		for (method *m = d->methods; m != NULL; m = m->next)
			if (m->kind != METHOD_EVENT)
				gen_serve(&g, d, m);
		for (method *m = d->methods; m != NULL; m = m->next)
			if (m->kind == METHOD_TWO_WAY)
				gen_deferred(&g, d, m);
		if (gen_has_requests(d))
			gen_dispatch(&g, d);
		if (has_events)
			gen_event_dispatch(&g, d);
	}
}

void gen_source(compilation *c, file *f, emitter *e)
{
	emit(e, "/*\n * %s.c: generated by idlc from %s.idl. Do not edit.\n *\n", f->basename,
	     f->basename);
	emit(e, " * Encoders, copy-then-validate decoders, client stubs and the server\n");
	emit(e, " * skeleton. Freestanding: no allocation, no libc beyond memcpy/memset.\n */\n");
	emit(e, "#include \"%s.h\"\n\n", f->basename);
	gen_names(c, f, e);
	gen_codec(c, f, e);
	gen_rpc(c, f, e);
	/* Every function ends in a blank line; the file ends in one newline. */
	while (e->length > 1 && e->text[e->length - 1] == '\n' && e->text[e->length - 2] == '\n')
		e->text[--e->length] = '\0';
}
