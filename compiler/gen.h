/*
 * gen.h: the back ends. Each reads the checked, laid-out AST and writes
 * text into an emitter; main.c decides which run and where the text goes.
 */
#ifndef IDLC_GEN_H
#define IDLC_GEN_H

#include "compile.h"
#include "emit.h"

/* gen_header.c: <name>.h, the types, constants, sizes and prototypes. */
void gen_header(compilation *c, file *f, emitter *e);
/* gen_codec.c + gen_rpc.c: <name>.c, the encoders, validators, stubs and skeletons. */
void gen_source(compilation *c, file *f, emitter *e);
void gen_codec(compilation *c, file *f, emitter *e);
/* Whether a message's encoder, field checks and decoder's fast path are
 * inline in <name>.h (no handles, vectors or flexible unions, and at most
 * 256 bytes if fixed-size: code a caller's compiler should see, as it
 * would a hand-written codec), and those definitions. */
bool gen_codec_is_inline(decl *msg);
void gen_codec_inline(compilation *c, decl *msg, emitter *e);
/* Whether a type's values can be checked and written inline (no handles,
 * vectors or flexible unions in it), and an inline struct's or union's
 * check_ and put_ functions, which go in the header of its file. */
bool gen_codec_type_is_inline(decl *d);
void gen_codec_type_helpers(compilation *c, decl *d, emitter *e);
/* A struct that a packed<T, N> holds: check_record_T, put_record_T and
 * T_next, which go in the header of its file. */
void gen_codec_record_helpers(compilation *c, decl *d, emitter *e);
/* gen_names.c: <enum>_name and <bits>_format in <name>.c. */
void gen_names(compilation *c, file *f, emitter *e);
void gen_rpc(compilation *c, file *f, emitter *e);
/* gen_json.c: the checked IR of `root` and what it imports, as JSON, for
 * other tools: `root` first, then its imports in load order. */
void gen_json(compilation *c, const file *root, emitter *e);

/* gen_ctype.c: C spellings shared by the C generators. */
/* The C type of an integer kind: "uint32_t". */
const char *gen_int_ctype(int_kind k);
/* A C literal of an integer kind: "((uint32_t)1024u)". */
const char *gen_int_literal(arena *a, int_kind k, idl_int v);
/* Emits the declaration of one field of type t named name, ending in ";\n". */
void gen_field_decl(arena *a, emitter *e, int indent, type *t, const char *name);
/* Emits "typedef struct { ... } <t->c_type_name>;" for an optional, vector or
 * packed that is a union's variant (C++ wants no anonymous struct type in
 * the union's anonymous union). */
void gen_variant_type(arena *a, emitter *e, type *t);
/* The header guard and include name of a file: "fs" -> "IDLC_FS_H". */
const char *gen_guard(arena *a, const file *f);
/* Where in the .idl a declaration comes from: "fs.idl:12". */
const char *gen_where(compilation *c, loc at);
/* Whether decoding must look at values of type t, and encoding fix them up. */
bool gen_needs_check(const type *t);
bool gen_shape_needs_check(const wire_shape *s); /* the same, of a type's shape */
bool gen_needs_put(const type *t);
/* The idl_wire.h constant of a handle type's kind: "IDL_KIND_SHM". */
const char *gen_handle_kind(const type *t);
/* How a handle field reaches its idl_handle: "" or ".handle" (channel<I>). */
const char *gen_handle_member(const type *t);
/* The largest frame of a message including its error reply. */
uint64_t gen_reply_buffer_bytes(const method *m);
/* Declares a pointer to t: "const fs_dir_entry *items", "const uint8_t (*items)[4]". */
const char *gen_pointer_decl(arena *a, const type *t, const char *name);
/* Whether an interface has requests to serve (methods that are not events):
 * an interface of events only has no handler table and no dispatcher. */
bool gen_has_requests(const decl *iface);
/* The method's error enum, or NULL. */
decl *gen_error_enum(const method *m);
/* The parameters of <iface>_dispatch (and of each static serve_<method>),
 * and of <iface>_event_dispatch, for the prototype and the definition. */
#define GEN_DISPATCH_PARAMS       6
#define GEN_EVENT_DISPATCH_PARAMS 7
void gen_dispatch_params(arena *a, const decl *iface, const char *out[GEN_DISPATCH_PARAMS]);
/* The reply parameters of a two-way client stub: reply, and error when the
 * method has one; returns how many. */
size_t gen_reply_params(arena *a, const method *m, const char *out[2]);
void gen_event_dispatch_params(arena *a, const decl *iface,
                               const char *out[GEN_EVENT_DISPATCH_PARAMS]);
/* The parameters of <message>_encode, or with `version` of
 * <message>_encode_version (a version after msg); returns how many. */
#define GEN_ENCODE_PARAMS 7
size_t gen_encode_params(arena *a, const decl *msg, bool version,
                         const char *out[GEN_ENCODE_PARAMS]);
/* The parameters of <message>_validate. */
#define GEN_VALIDATE_PARAMS 5
extern const char *const gen_validate_params[GEN_VALIDATE_PARAMS];
/* The parameters of <message>_decode, for the prototype and the definition. */
#define GEN_DECODE_PARAMS 7
void gen_decode_params(arena *a, const decl *msg, const char *out[GEN_DECODE_PARAMS]);

#endif
