/*
 * ast.h: the data that flows through the compiler's stages.
 *
 * The parser builds these nodes; sema resolves names and evaluates
 * constants in place (the "resolved" fields); layout fills in sizes and
 * offsets; the generators only read. Every node lives in the compilation's
 * arena.
 */
#ifndef IDLC_AST_H
#define IDLC_AST_H

#include "arena.h"
#include "diag.h"
#include "strmap.h"

#include <stdbool.h>
#include <stdint.h>

/* Integer constants are evaluated in 128 bits, so every u64 and i64 value
 * and every overflow past them can be represented and reported. */
__extension__ typedef __int128 idl_int;

typedef enum int_kind {
	INT_U8,
	INT_U16,
	INT_U32,
	INT_U64,
	INT_I8,
	INT_I16,
	INT_I32,
	INT_I64
} int_kind;

typedef enum type_kind {
	TYPE_INT,
	TYPE_BOOL,
	TYPE_STRING,   /* string<N> */
	TYPE_BYTES,    /* bytes<N> */
	TYPE_VECTOR,   /* vector<T, N> */
	TYPE_PACKED,   /* packed<T, N>: records of struct T end to end, read in order */
	TYPE_ARRAY,    /* T[N] */
	TYPE_OPTIONAL, /* optional<T> */
	TYPE_HANDLE,   /* handle<kind>, or channel<Interface> */
	TYPE_NAMED     /* enum, bits, struct or union, maybe from another package */
} type_kind;

typedef enum handle_kind {
	HANDLE_ANY,
	HANDLE_SHM,
	HANDLE_CHANNEL,
	HANDLE_MMIO,
	HANDLE_IRQ,
	HANDLE_IOPORT,
	HANDLE_DMA
} handle_kind;

typedef enum expr_kind {
	EXPR_INT,
	EXPR_NAME,
	EXPR_UNARY,
	EXPR_BINARY
} expr_kind;

typedef struct decl decl;
typedef struct file file;

/* Layout of a type on the wire, filled in by layout.c. */
typedef struct wire_shape {
	uint32_t size;        /* inline bytes */
	uint32_t align;       /* inline alignment: 1, 2, 4 or 8 */
	uint64_t max_ool;     /* most out-of-line bytes (each block rounded to 8) */
	uint32_t max_handles; /* most handles */
	bool has_ool;         /* holds strings, bytes or vectors */
	bool has_handles;
	bool needs_check; /* decoding must look at it (not just any bit pattern is valid) */
	bool has_padding; /* its inline bytes include padding */
	/* Holds a flexible union: a newer sender's variant may bring
	 * out-of-line bytes that max_ool does not count (docs/evolution.md). */
	bool open_ool;
} wire_shape;

typedef struct expr {
	expr_kind kind;
	loc loc;
	int op; /* a token: '+', '-', '~', TOK_SHL, TOK_SHR, ... */
	struct expr *left, *right;
	idl_int literal;
	const char *qualifier; /* package qualifier of a name, or NULL */
	const char *name;
	/* resolved */
	bool evaluated;
	idl_int value;
} expr;

/* The most [N] suffixes one type takes (u8[2][3] has 2). */
#define MAX_ARRAY_DIMENSIONS 32u

/* How deep sema lets types nest (a struct in a struct, a type inside
 * vector<...>) and constant expressions evaluate (operands, and constants
 * named by constants). Every pass after sema recurses at most about this
 * deep, which fits the default 8 MiB stack with room to spare, sanitizers
 * included; no real description comes near. */
#define MAX_NESTING_DEPTH 4096u

typedef struct type {
	type_kind kind;
	loc loc;
	int_kind int_kind;     /* TYPE_INT */
	handle_kind handle;    /* TYPE_HANDLE */
	expr *bound;           /* string, bytes, vector, packed: maximum; array: length */
	struct type *element;  /* vector, packed, array, optional */
	uint32_t dimensions;   /* array: how many [N] suffixes, this one included */
	const char *qualifier; /* TYPE_NAMED: package qualifier or NULL */
	const char *name;      /* TYPE_NAMED; TYPE_HANDLE: the word before '<' or inside it */
	const char *protocol_qualifier; /* channel<pkg.Interface>: pkg, or NULL */
	const char *protocol_name;      /* channel<pkg.Interface>: Interface; else NULL */
	/* resolved */
	decl *target;   /* TYPE_NAMED */
	decl *protocol; /* channel<Interface>: the interface its peer serves */
	/* An optional, vector or packed that is (an array of) a union's variant:
	 * the name of its C struct, which C++ will not have anonymous inside an
	 * anonymous union (c_names.c); else NULL. */
	const char *c_type_name;
	uint64_t count; /* evaluated bound */
	wire_shape shape;
} type;

typedef struct attribute {
	const char *name;
	loc loc;
	expr *arg; /* NULL when written without parentheses */
	struct attribute *next;
} attribute;

/* One item of a `reserved` line: a name, or a number (an ordinal, an enum
 * or bits value, a union tag) that a later version may not use again. */
typedef struct reserved {
	const char *name; /* NULL for a number */
	expr *value;      /* NULL for a name */
	loc loc;
	struct reserved *next;
} reserved;

/* A struct field, enum or bits member, union variant, or method parameter. */
typedef struct member {
	const char *name;
	loc loc;
	const char *doc;
	attribute *attrs; /* parameters */
	type *type;       /* fields, variants, parameters */
	expr *value;      /* enum and bits members, union variant tags */
	expr *fallback;   /* a parameter's declared default ("= expr"), or NULL */
	struct member *next;
	/* resolved */
	uint32_t added; /* parameters: the version that added it (@added), 1 by default */
	loc added_loc;  /* where @added is, or the parameter */
	struct member *fallback_enum; /* an enum parameter's default member */
	idl_int fallback_value;       /* an integer parameter's default */
	/* resolved */
	const char *c_macro; /* enum, bits and union members: FS_KIND_FILE (c_names.c) */
	/* layout */
	uint32_t offset; /* byte offset in the enclosing inline part */
} member;

typedef enum decl_kind {
	DECL_CONST,
	DECL_ENUM,
	DECL_BITS,
	DECL_STRUCT,
	DECL_UNION,
	DECL_INTERFACE
} decl_kind;

typedef enum method_kind {
	METHOD_TWO_WAY,
	METHOD_ONE_WAY,
	METHOD_EVENT
} method_kind;

/*
 * The C names the generators write for a method, computed once by
 * c_names.c. The static ones are private to the generated <name>.c.
 */
typedef struct method_c_names {
	const char *call;    /* the client's function: fs_file_open, fs_file_send_changed */
	const char *ordinal; /* FS_FILE_OPEN_ORDINAL */
	const char *added;   /* FS_FILE_OPEN_ADDED */
	/* two-way */
	const char *reply_buffer; /* fs_file_open_reply_buffer */
	const char *pending;      /* fs_file_open_pending */
	const char *start;        /* fs_file_open_start */
	const char *finish;       /* fs_file_open_finish */
	const char *token;        /* fs_file_open_token */
	const char *defer;        /* fs_file_open_defer */
	const char *reply_ok;     /* fs_file_open_reply_ok */
	const char *reply_error;  /* fs_file_open_reply_error */
	const char *error_encode; /* fs_file_open_error_encode */
	const char *error_validate;
	const char *start_static;  /* start_fs_file_open */
	const char *finish_static; /* finish_fs_file_open */
	/* two-way and one-way */
	const char *serve; /* serve_fs_file_open */
} method_c_names;

typedef struct method {
	method_kind kind;
	const char *name;
	loc loc;
	const char *doc;
	attribute *attrs;
	uint32_t added; /* the interface version that added it (@added), 1 by default */
	member *params;
	member *results;
	bool has_reply; /* two-way */
	type *error;    /* two-way with a typed error, or NULL */
	struct method *next;
	/* resolved */
	uint32_t ordinal;
	loc ordinal_loc;
	decl *request; /* the synthesized message structs */
	decl *reply;
	method_c_names cnames;
} method;

/*
 * The C names the generators write for a declaration, besides its type's
 * (decl.c_name), computed once by c_names.c; NULL where its kind has none.
 * The static ones are private to a generated <name>.c.
 */
typedef struct decl_c_names {
	const char *upper; /* FS_DIR_ENTRY: a constant's macro, the stem of others */
	/* enum and bits */
	const char *is_valid; /* enum: fs_kind_is_valid */
	const char *to_name;  /* enum: fs_kind_name */
	const char *format;   /* bits: fs_mode_format */
	const char *mask;     /* bits: FS_MODE_MASK */
	/* struct and union; check also for messages */
	/* static in <name>.c, or inline in the header (gen_codec_type_is_inline) */
	const char *check; /* check_fs_dir_entry */
	const char *put;   /* put_fs_dir_entry */
	/* a struct that packed<T, N> holds: its records' functions, in the header */
	const char *next_record;  /* fs_dir_entry_next */
	const char *check_record; /* check_record_fs_dir_entry */
	const char *put_record;   /* put_record_fs_dir_entry */
	/* message */
	const char *max_bytes;      /* FS_FILE_OPEN_REQUEST_MAX_BYTES */
	const char *max_handles;    /* FS_FILE_OPEN_REQUEST_MAX_HANDLES */
	const char *encode;         /* fs_file_open_request_encode */
	const char *encode_version; /* fs_file_open_request_encode_version */
	const char *validate;       /* fs_file_open_request_validate */
	const char *decode;         /* fs_file_open_request_decode */
	/* Static in <name>.c; for an inline message (gen_codec_is_inline) the
	 * two slow paths are extern and fields_ is in the header. */
	const char *check_other;  /* fs_file_open_request_check_other */
	const char *fields;       /* fields_fs_file_open_request */
	const char *defaults;     /* defaults_fs_file_open_request */
	const char *info;         /* info_fs_file_open_request */
	const char *earlier;      /* earlier_fs_file_open_request */
	const char *send;         /* send_fs_file_open_request */
	const char *decode_other; /* fs_file_open_request_decode_other */
	/* interface */
	const char *max_frame_bytes; /* FS_FILE_MAX_FRAME_BYTES */
	const char *protocol;        /* FS_FILE_PROTOCOL */
	const char *version;         /* FS_FILE_VERSION */
	const char *oldest_version;  /* FS_FILE_OLDEST_VERSION */
	const char *handlers;        /* fs_file_handlers */
	const char *dispatch;        /* fs_file_dispatch */
	const char *interface;       /* fs_file_interface */
	const char *event_handlers;  /* fs_file_event_handlers */
	const char *event_dispatch;  /* fs_file_event_dispatch */
	const char *dispatch_static; /* dispatch_fs_file (static) */
} decl_c_names;

struct decl {
	decl_kind kind;
	const char *name;
	loc loc;
	const char *doc;
	attribute *attrs;
	file *file;
	int_kind int_kind; /* const, enum, bits and union tag type */
	loc int_kind_loc;
	expr *value;         /* const */
	member *members;     /* enum, bits, struct fields, union variants */
	method *methods;     /* interface */
	reserved *reserveds; /* enum, bits, union, interface: names and numbers kept from reuse */
	bool flexible;       /* enum, bits, union declared `flexible`: unknown values are kept */
	loc modifier_loc;    /* where `strict` or `flexible` is, if written */
	decl *next;
	/* resolved */
	bool is_message;            /* a synthesized request, reply or event struct */
	method *message_of;         /* its method */
	decl *interface_of;         /* its interface */
	const char *c_name;         /* e.g. fs_dir_entry (c_names.c) */
	const char *channel_c_name; /* interface: the C type of channel<it>, fs_file_channel */
	decl_c_names cnames;        /* every other C name the generators write for it */
	uint32_t protocol_id;       /* interface: derived from "package.Interface" */
	int visit_state;            /* sema's cycle detection */
	/* struct, union: the longest chain of types in it, itself included,
	 * which sema keeps within MAX_NESTING_DEPTH */
	uint32_t nesting;
	uint8_t zero_state; /* struct, union: sema's memo of whether all zero bytes are valid */
	bool laid_out;
	wire_shape shape;
	uint64_t max_frame_bytes; /* interface: the frame limit; message: its maximum size */
	uint64_t bits_mask;       /* bits: the union of member values */
	uint32_t envelope_offset; /* flexible union: where its idl_envelope is */
	uint32_t payload_offset;  /* union: where its variants are */
	uint32_t version;         /* interface: its version (@version), 1 by default */
	uint32_t oldest;          /* interface: the oldest version it talks to (@oldest) */
	/* message: the inline part (header included) of each of its versions,
	 * ascending; the last is shape.size. versions[i] is the interface
	 * version that made it. */
	uint32_t *version_inline;
	uint32_t *versions;
	uint32_t version_count;
	bool packed_element; /* struct: a packed<T, N> of this file holds it */
	/* gen_codec's memo of gen_codec_type_is_inline (CODEC_INLINE_*), and
	 * the helper bodies that inlining its helpers pastes into a caller. */
	uint8_t codec_inline;
	uint64_t codec_expansion;
};

typedef struct import {
	const char *path; /* as written */
	loc loc;
	file *target;
	bool used;
	struct import *next;
} import;

struct file {
	const char *path;
	const char *real_path; /* identifies the file when imported twice */
	uint32_t source;       /* diag source index */
	const char *package;
	loc package_loc;
	const char *doc;
	import *imports;
	decl *decls;
	const char *c_prefix;   /* "fs_" */
	const char *basename;   /* "fs" for fs.idl: names the generated files */
	int visit_state;        /* import cycle detection */
	strmap symbols;         /* name -> decl */
	bool had_syntax_errors; /* the parser recovered from at least one error */
	struct file *next;      /* all files of the compilation */
};

/* Constructors the parser's actions call: every node is made here. */
file *ast_file(arena *a, const char *path, uint32_t source);
import *ast_import(arena *a, loc at, const char *path);
attribute *ast_attribute(arena *a, loc at, const char *name, expr *arg);
decl *ast_decl(arena *a, file *f, loc at, decl_kind kind, const char *name);
/* A field, member, variant or parameter. */
member *ast_member(arena *a, loc at, const char *doc, const char *name, type *t, expr *value);
method *ast_method(arena *a, loc at, method_kind kind, const char *name, member *params);
reserved *ast_reserved(arena *a, loc at, const char *name, expr *value);
expr *ast_expr_int(arena *a, loc at, idl_int v);
expr *ast_expr_name(arena *a, loc at, const char *qualifier, const char *name);
expr *ast_expr_unary(arena *a, loc at, int op, expr *operand);
expr *ast_expr_binary(arena *a, loc at, int op, expr *l, expr *r);
type *ast_type(arena *a, loc at, type_kind kind);
loc ast_loc_span(loc first, loc last);

const char *ast_int_kind_name(int_kind k);
unsigned ast_int_kind_bytes(int_kind k);
bool ast_int_kind_signed(int_kind k);
/* The optional, vector or packed type a union's variant is, through its
 * array suffixes: a C struct with no name of its own, which c_names.c
 * names (type.c_type_name); NULL for any other variant. */
type *ast_variant_struct(const member *m);
idl_int ast_int_kind_min(int_kind k);
idl_int ast_int_kind_max(int_kind k);
const char *ast_handle_kind_name(handle_kind k);
const char *ast_decl_kind_name(decl_kind k);
/* The type written with <...> (string, bytes, vector, optional, handle,
 * channel) that `word` is a typo of, or NULL: the parser sees "strin<64>"
 * fail, sema "strin<N>" (which parses like channel<Interface>). */
const char *ast_closest_generic_type(const char *word);
/* Looks up an attribute by name; NULL when absent. */
attribute *ast_find_attr(attribute *list, const char *name);
/* Whether d is a flexible union, whose inline part holds an envelope. */
bool ast_is_flexible_union(const decl *d);

#endif
