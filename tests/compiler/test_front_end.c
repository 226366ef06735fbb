/*
 * test_front_end.c: unit tests of idlc's front end (lexer, parser, sema and
 * layout) through the library API of compile.h. Valid inputs must compile
 * and resolve to the right values; a few invalid ones must be rejected with
 * the expected message (the full diagnostics are in the bad/ corpus).
 */
#include "compile.h"
#include "json.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

typedef struct run {
	compilation c;
	FILE *out;
	char *diag;
	size_t diag_size;
	bool ok;
} run;

static file *run_text(run *r, const char *text, const char **include_dirs, size_t include_count)
{
	r->diag = NULL;
	r->diag_size = 0;
	r->out = open_memstream(&r->diag, &r->diag_size);
	assert_non_null(r->out);
	compile_init(&r->c, r->out);
	r->c.include_dirs = include_dirs;
	r->c.include_count = include_count;
	file *f = load_root_text(&r->c, "t.idl", text, strlen(text));
	r->ok = compile_front_end(&r->c);
	fflush(r->out);
	return f;
}

static void run_free(run *r)
{
	fclose(r->out);
	free(r->diag);
	compile_free(&r->c);
}

/* Compiles text that must compile without errors or warnings. */
static file *compile_ok(run *r, const char *text)
{
	file *f = run_text(r, text, NULL, 0);
	if (!r->ok || r->c.diag.warnings)
		fail_msg("unexpected diagnostics:\n%s", r->diag);
	assert_non_null(f);
	return f;
}

/* Compiles text that must fail with a message containing want. */
static void compile_bad(const char *text, const char *want)
{
	run r;
	run_text(&r, text, NULL, 0);
	assert_false(r.ok);
	assert_true(r.c.diag.errors >= 1);
	if (strstr(r.diag, want) == NULL)
		fail_msg("expected '%s' in:\n%s", want, r.diag);
	if (strstr(r.diag, "t.idl:") != r.diag)
		fail_msg("diagnostics should start with 't.idl:':\n%s", r.diag);
	run_free(&r);
}

static decl *find_decl(file *f, const char *name)
{
	for (decl *d = f->decls; d; d = d->next)
		if (strcmp(d->name, name) == 0)
			return d;
	fail_msg("no declaration '%s'", name);
	return NULL;
}

static member *find_member(decl *d, const char *name)
{
	for (member *m = d->members; m; m = m->next)
		if (strcmp(m->name, name) == 0)
			return m;
	fail_msg("no member '%s' in '%s'", name, d->name);
	return NULL;
}

static method *find_method(decl *d, const char *name)
{
	for (method *m = d->methods; m; m = m->next)
		if (strcmp(m->name, name) == 0)
			return m;
	fail_msg("no method '%s' in '%s'", name, d->name);
	return NULL;
}

static int64_t const_value(file *f, const char *name)
{
	decl *d = find_decl(f, name);
	assert_int_equal(d->kind, DECL_CONST);
	assert_true(d->value->evaluated);
	return (int64_t)d->value->value;
}

static uint32_t fnv_ordinal(const char *s)
{
	uint32_t h = 0x811c9dc5u;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x01000193u;
	h &= 0x7fffffffu;
	return h ? h : 1;
}

/* ---- lexer ---- */

static void test_literals_and_comments(void **state)
{
	(void)state;
	run r;
	file *f = compile_ok(&r, "/// The package.\n"
	                         "package p; // a comment\n"
	                         "/* a block\n comment */\n"
	                         "//// not a doc\n"
	                         "const DEC: u32 = 1_000;\n"
	                         "const HEX: u32 = 0x1F;\n"
	                         "const HEX_UP: u64 = 0Xffff_0000;\n"
	                         "const BIN: u8 = 0b101;\n"
	                         "const BIN_UP: u8 = 0B1_1;\n"
	                         "const BIG: u64 = 18446744073709551615;\n"
	                         "/// First line.\n"
	                         "///Second line.\n"
	                         "const DOC: u8 = 1;\n");
	assert_int_equal(const_value(f, "DEC"), 1000);
	assert_int_equal(const_value(f, "HEX"), 31);
	assert_int_equal(const_value(f, "HEX_UP"), 0xffff0000);
	assert_int_equal(const_value(f, "BIN"), 5);
	assert_int_equal(const_value(f, "BIN_UP"), 3);
	/* A leading zero (0644) is an error, not octal: bad/leading_zero.idl. */
	assert_true(find_decl(f, "BIG")->value->value == (idl_int)UINT64_MAX);
	assert_string_equal(f->doc, "The package.");
	assert_string_equal(find_decl(f, "DOC")->doc, "First line.\nSecond line.");
	assert_null(find_decl(f, "DEC")->doc);
	run_free(&r);
}

static void test_lexer_errors(void **state)
{
	(void)state;
	compile_bad("package p;\n/* open\n", "unterminated comment");
	compile_bad("package p;\nimport \"x.idl;\n", "unterminated string");
	compile_bad("package p;\nconst _A: u8 = 1;\n", "may not begin with '_'");
	compile_bad("package p;\nconst A__B: u8 = 1;\n", "'__'");
	compile_bad("package p;\nconst A: u64 = 0x1_0000_0000_0000_0000;\n",
	            "does not fit in 64 bits");
	compile_bad("package p;\n\x7f", "stray byte 0x7f");
}

/* ---- parser ---- */

static void test_parse_errors(void **state)
{
	(void)state;
	compile_bad("package p;\nstruct S {\n    a: u32;\n", "end of file");
	compile_bad("package p;\nstruct S {\n    a: u32;\n", "to close 'struct S'");
	compile_bad("const A: u8 = 1;\n", "'package'");
	compile_bad("package p;\ninterface I {\n    a(/// d\n x: u8) -> ();\n}\n", "doc comment");
	compile_bad("package p;\ninterface I {\n    oneway a() -> ();\n}\n", "error");
}

static void test_dotted_package(void **state)
{
	(void)state;
	run r;
	file *f = compile_ok(&r, "package os.fs;\nstruct DirEntry {\n    x: u8;\n}\n");
	assert_string_equal(f->package, "os.fs");
	assert_string_equal(f->c_prefix, "os_fs_");
	assert_string_equal(find_decl(f, "DirEntry")->c_name, "os_fs_dir_entry");
	run_free(&r);
}

/* ---- constants ---- */

static void test_const_expressions(void **state)
{
	(void)state;
	run r;
	file *f = compile_ok(&r, "package p;\n"
	                         "const C: u32 = A + B;\n" /* used before declared */
	                         "const A: u32 = 1024;\n"
	                         "const B: u32 = 64 * 1024;\n"
	                         "const D: u8 = (1 << 4) | 0x3;\n"
	                         "const E: i32 = -5 / 2;\n"
	                         "const F: i64 = -7 % 3;\n"
	                         "const G: i8 = ~5 + 10;\n"
	                         "const H: u32 = 0xff ^ 0x0f & 0x3c;\n"
	                         "const I: u64 = 1 << 63;\n"
	                         "const J: i64 = -9223372036854775807 - 1;\n"
	                         "const K: u16 = 256 >> 4 - 2;\n"
	                         "const L: u32 = p.A * 2;\n"
	                         "const M: i8 = -128;\n");
	assert_int_equal(const_value(f, "A"), 1024);
	assert_int_equal(const_value(f, "B"), 65536);
	assert_int_equal(const_value(f, "C"), 66560);
	assert_int_equal(const_value(f, "D"), 0x13);
	assert_int_equal(const_value(f, "E"), -2);
	assert_int_equal(const_value(f, "F"), -1);
	assert_int_equal(const_value(f, "G"), 4);
	assert_int_equal(const_value(f, "H"), 0xf3);
	assert_true(find_decl(f, "I")->value->value == (idl_int)1 << 63);
	assert_int_equal(const_value(f, "J"), INT64_MIN);
	assert_int_equal(const_value(f, "K"), 64);
	assert_int_equal(const_value(f, "L"), 2048);
	assert_int_equal(const_value(f, "M"), -128);
	run_free(&r);

	/* Found by the front-end fuzzer: shifting a negative value was undefined
	 * behaviour in the evaluator. */
	f = compile_ok(&r, "package p;\nconst N: i32 = -2 << 1;\nconst O: i64 = -1 << 63;\n");
	assert_int_equal(const_value(f, "N"), -4);
	assert_int_equal(const_value(f, "O"), INT64_MIN);
	run_free(&r);
	compile_bad("package p;\nconst A: i64 = -2 << 63;\n", "overflows");
}

static void test_const_errors(void **state)
{
	(void)state;
	compile_bad("package p;\nconst A: u32 = B;\nconst B: u32 = A;\n", "depends on itself");
	compile_bad("package p;\nconst A: u32 = 1 / 0;\n", "division by zero");
	compile_bad("package p;\nconst A: u32 = 1 % (2 - 2);\n", "zero");
	compile_bad("package p;\nconst A: u64 = 1 << 64;\n", "shift");
	compile_bad("package p;\nconst A: u64 = 1 >> -1;\n", "shift");
	compile_bad("package p;\nconst A: u64 = 0xffff_ffff_ffff_ffff + 1;\n", "overflows");
	compile_bad("package p;\nconst A: i64 = -9223372036854775807 - 2;\n", "overflows");
	compile_bad("package p;\nconst A: u8 = 256;\n", "does not fit in u8");
	compile_bad("package p;\nconst A: u32 = -1;\n", "does not fit in u32");
	compile_bad("package p;\nconst A: u32 = ~0;\n", "does not fit in u32");
	compile_bad("package p;\nconst A: u32 = NOPE;\n", "NOPE");
	compile_bad("package p;\nstruct S {\n    x: u8;\n}\nconst A: u32 = S;\n", "S");
}

/* ---- enums, bits, unions ---- */

static void test_enum_bits(void **state)
{
	(void)state;
	run r;
	file *f = compile_ok(&r, "package p;\n"
	                         "const BASE: u8 = 10;\n"
	                         "enum Errno : u32 {\n    OK = 0;\n    NOT_FOUND = 2;\n}\n"
	                         "enum Signed : i8 {\n    LOW = -128;\n    HIGH = BASE + 1;\n}\n"
	                         "bits Flags : u16 {\n    READ = 0x1;\n    WRITE = 1 << 1;\n"
	                         "    HIGH = 0x8000;\n}\n");
	decl *e = find_decl(f, "Errno");
	assert_int_equal(e->kind, DECL_ENUM);
	assert_int_equal(e->int_kind, INT_U32);
	assert_true(find_member(e, "NOT_FOUND")->value->value == 2);
	decl *s = find_decl(f, "Signed");
	assert_true(find_member(s, "LOW")->value->value == -128);
	assert_true(find_member(s, "HIGH")->value->value == 11);
	assert_int_equal(s->shape.size, 1);
	decl *b = find_decl(f, "Flags");
	assert_int_equal(b->kind, DECL_BITS);
	assert_int_equal(b->bits_mask, 0x8003);
	assert_int_equal(b->shape.size, 2);
	assert_int_equal(b->shape.align, 2);
	run_free(&r);
}

static void test_enum_bits_errors(void **state)
{
	(void)state;
	compile_bad("package p;\nenum E : u8 {\n    A = 256;\n}\n", "does not fit in u8");
	compile_bad("package p;\nenum E : i8 {\n    A = -129;\n}\n", "does not fit in i8");
	compile_bad("package p;\nenum E : u8 {\n    A = 1;\n    B = 1;\n}\n", "same value");
	compile_bad("package p;\nenum E : u8 {\n    A = 1;\n    A = 2;\n}\n", "'A'");
	compile_bad("package p;\nenum E : u8 {\n}\n", "E");
	compile_bad("package p;\nbits B : u8 {\n    Z = 0;\n}\n", "zero");
	compile_bad("package p;\nbits B : i8 {\n    A = 1;\n}\n", "unsigned");
	compile_bad("package p;\nunion U : u8 {\n    a: u8 = 1;\n    b: u16 = 1;\n}\n", "same tag");
	compile_bad("package p;\nunion U : u8 {\n    a: u8 = 300;\n}\n", "does not fit in u8");
}

/* ---- types and layout ---- */

static void test_struct_layout(void **state)
{
	(void)state;
	run r;
	file *f = compile_ok(&r, "package p;\n"
	                         "enum Kind : u8 {\n    A = 1;\n}\n"
	                         "struct S {\n"
	                         "    a: u8;\n"              /* 0 */
	                         "    b: u64;\n"             /* 8 */
	                         "    c: u16;\n"             /* 16 */
	                         "    kind: Kind;\n"         /* 18 */
	                         "    ok: bool;\n"           /* 19 */
	                         "    d: u32;\n"             /* 20 */
	                         "    mac: u8[6];\n"         /* 24 */
	                         "    name: string<255>;\n"  /* 32, 16 bytes */
	                         "    opt: optional<u32>;\n" /* 48, 8 bytes */
	                         "    h: handle<shm>;\n"     /* 56 */
	                         "}\n"
	                         "union U : u32 {\n    small: u8 = 1;\n    big: u64 = 2;\n}\n"
	                         "union V : u8 {\n    v4: u8[4] = 4;\n    v6: u8[16] = 6;\n}\n"
	                         "struct Grid {\n    g: u16[3][2];\n}\n");
	decl *s = find_decl(f, "S");
	const char *names[] = {"a", "b", "c", "kind", "ok", "d", "mac", "name", "opt", "h"};
	const uint32_t offsets[] = {0, 8, 16, 18, 19, 20, 24, 32, 48, 56};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		member *m = find_member(s, names[i]);
		if (m->offset != offsets[i])
			fail_msg("field %s at %u, expected %u", names[i], m->offset, offsets[i]);
	}
	assert_int_equal(s->shape.size, 64);
	assert_int_equal(s->shape.align, 8);
	assert_int_equal(s->shape.max_ool, 256); /* 255 + NUL */
	assert_int_equal(s->shape.max_handles, 1);
	assert_true(s->shape.has_ool);
	assert_true(s->shape.has_handles);
	assert_true(s->shape.has_padding);
	assert_int_equal(find_member(s, "opt")->type->shape.size, 8);
	assert_int_equal(find_member(s, "opt")->type->shape.align, 4);

	decl *u = find_decl(f, "U");
	assert_int_equal(u->shape.size, 16);
	assert_int_equal(u->shape.align, 8);
	decl *v = find_decl(f, "V");
	assert_int_equal(v->shape.size, 17);
	assert_int_equal(v->shape.align, 1);
	assert_true(find_member(v, "v6")->value->value == 6);
	decl *g = find_decl(f, "Grid");
	assert_int_equal(g->shape.size, 12);
	assert_int_equal(g->shape.align, 2);
	run_free(&r);
}

/* Order of a message's members: by offset, as the C struct lists them. */
static void assert_wire_order(decl *msg, const char *const *names, const uint32_t *offsets,
                              size_t count)
{
	size_t i = 0;
	for (member *m = msg->members; m != NULL; m = m->next, i++) {
		assert_true(i < count);
		if (strcmp(m->name, names[i]) != 0 || m->offset != offsets[i])
			fail_msg("member %zu is %s at %u, expected %s at %u", i, m->name, m->offset,
			         names[i], offsets[i]);
	}
	assert_int_equal(i, count);
}

/*
 * A message's parameter fills the first padding gap before it that holds
 * it, within its own version's group; a struct keeps its declared layout.
 */
static void test_parameters_fill_padding(void **state)
{
	(void)state;
	run r;
	file *f =
	    compile_ok(&r, "package p;\n"
	                   "struct Same {\n    fd: u32;\n    offset: u64;\n    count: u32;\n}\n"
	                   "@version(2)\n"
	                   "interface I {\n"
	                   "    read(fd: u32, offset: u64, count: u32) -> ();\n"
	                   "    mixed(a: u8, b: u64, c: u16, d: u32, e: u8, f: u64, g: u8) -> ();\n"
	                   "    grown(a: u32, b: u64, @added(2) c: u8, @added(2) d: u64,\n"
	                   "          @added(2) e: u32) -> ();\n"
	                   "}\n");
	decl *i = find_decl(f, "I");
	decl *read = find_method(i, "read")->request;
	const char *read_names[] = {"fd", "count", "offset"};
	const uint32_t read_offsets[] = {16, 20, 24};
	assert_wire_order(read, read_names, read_offsets, 3);
	assert_int_equal(read->shape.size, 32);
	assert_false(read->shape.has_padding);

	/* a 16, b 24 (gap 17..23), c 18, d 20, e 17, f 32, g 40, then 41..47. */
	decl *mixed = find_method(i, "mixed")->request;
	const char *mixed_names[] = {"a", "e", "c", "d", "b", "f", "g"};
	const uint32_t mixed_offsets[] = {16, 17, 18, 20, 24, 32, 40};
	assert_wire_order(mixed, mixed_names, mixed_offsets, 7);
	assert_int_equal(mixed->shape.size, 48);
	assert_true(mixed->shape.has_padding);

	/* Version 1: a 16, b 24 (gap 20..23 stays version 1's). Version 2 starts at
	 * 32: c 32, d 40 (gap 33..39), e 36. */
	decl *grown = find_method(i, "grown")->request;
	const char *grown_names[] = {"a", "b", "c", "e", "d"};
	const uint32_t grown_offsets[] = {16, 24, 32, 36, 40};
	assert_wire_order(grown, grown_names, grown_offsets, 5);
	assert_int_equal(grown->version_count, 2);
	assert_int_equal(grown->version_inline[0], 32);
	assert_int_equal(grown->version_inline[1], 48);

	decl *same = find_decl(f, "Same");
	assert_int_equal(find_member(same, "count")->offset, 16);
	assert_int_equal(same->shape.size, 24);
	run_free(&r);
}

static void test_out_of_line(void **state)
{
	(void)state;
	run r;
	file *f = compile_ok(&r, "package p;\n"
	                         "const N: u32 = 8;\n"
	                         "struct Entry {\n    id: u32;\n    name: string<N>;\n}\n"
	                         "struct Dir {\n"
	                         "    entries: vector<Entry, 4>;\n"
	                         "    blob: bytes<(2 * N + 1)>;\n"
	                         "    maybe: optional<handle<mmio>>;\n"
	                         "    bars: optional<handle<any>>[6];\n"
	                         "}\n");
	decl *e = find_decl(f, "Entry");
	assert_int_equal(e->shape.size, 24);
	assert_int_equal(e->shape.max_ool, 16); /* 8 + NUL, rounded to 8 */
	decl *d = find_decl(f, "Dir");
	/* vector block: 4 * 24 = 96, then 4 * 16 of names; bytes: 17 -> 24 */
	assert_int_equal(d->shape.max_ool, 96 + 64 + 24);
	assert_int_equal(d->shape.max_handles, 7);
	assert_int_equal(find_member(d, "blob")->type->count, 17);
	assert_int_equal(find_member(d, "entries")->type->count, 4);
	run_free(&r);
}

static void test_type_errors(void **state)
{
	(void)state;
	compile_bad("package p;\nstruct S {\n    a: Nope;\n}\n", "Nope");
	compile_bad("package p;\nstruct S {\n    a: q.T;\n}\n", "unknown package 'q'");
	compile_bad("package p;\nstruct S {\n    a: u8;\n    a: u8;\n}\n", "duplicate field 'a'");
	compile_bad("package p;\nconst S: u8 = 1;\nconst S: u8 = 2;\n", "redefinition of 'S'");
	compile_bad("package p;\nstruct S {\n    s: optional<S>;\n}\n", "contains itself");
	compile_bad("package p;\nstruct S {\n    v: vector<vector<u8, 2>, 2>;\n}\n", "vector");
	compile_bad("package p;\nstruct S {\n    v: vector<optional<u8>, 2>;\n}\n", "optional");
	compile_bad("package p;\nstruct S {\n    h: handle<socket>;\n}\n", "unknown handle kind");
	compile_bad("package p;\nstruct S {\n    s: string<0>;\n}\n", "out of range");
	compile_bad("package p;\nstruct S {\n    s: u8[0x80000000];\n}\n", "out of range");
	compile_bad("package p;\nconst A: u8 = 1;\nstruct S {\n    s: A;\n}\n", "A");
	compile_bad("package p;\nstruct S {\n}\n", "S");
	compile_bad(
	    "package p;\nstruct DirEntry {\n    x: u8;\n}\nstruct Dir_Entry {\n    x: u8;\n}\n",
	    "dir_entry");
}

/* ---- interfaces ---- */

static const char fs_text[] =
    "package fs;\n"
    "const MAX_PATH: u32 = 1024;\n"
    "enum Errno : u32 {\n    NOT_FOUND = 2;\n}\n"
    "bits OpenFlags : u32 {\n    READ = 1;\n}\n"
    "@max_frame(4096)\n"
    "interface File {\n"
    "    /// Opens it.\n"
    "    open(path: string<MAX_PATH>, flags: OpenFlags) -> (fd: u32) error Errno;\n"
    "    sync() -> ();\n"
    "    oneway hint(fd: u32);\n"
    "    event changed(fd: u32, region: handle<shm>);\n"
    "    @ordinal(42) stat(fd: u32) -> (size: u64) error Errno;\n"
    "}\n"
    "interface Plain {\n    ping(x: u8) -> (y: u8);\n}\n";

static void test_interface(void **state)
{
	(void)state;
	run r;
	file *f = compile_ok(&r, fs_text);
	decl *i = find_decl(f, "File");
	assert_int_equal(i->kind, DECL_INTERFACE);
	assert_int_equal(i->max_frame_bytes, 4096);
	assert_int_equal(find_decl(f, "Plain")->max_frame_bytes, 65536);

	method *open = find_method(i, "open");
	assert_int_equal(open->kind, METHOD_TWO_WAY);
	assert_int_equal(open->ordinal, fnv_ordinal("fs.File.open"));
	assert_int_equal(open->ordinal, 1267801248u);
	assert_string_equal(open->doc, "Opens it.");
	assert_non_null(open->error);
	assert_ptr_equal(open->error->target, find_decl(f, "Errno"));
	assert_string_equal(open->request->c_name, "fs_file_open_request");
	assert_string_equal(open->reply->c_name, "fs_file_open_reply");
	/* Every C name is worked out once (c_names.c), for the generators. */
	assert_string_equal(open->cnames.call, "fs_file_open");
	assert_string_equal(open->cnames.ordinal, "FS_FILE_OPEN_ORDINAL");
	assert_string_equal(open->cnames.reply_buffer, "fs_file_open_reply_buffer");
	assert_string_equal(open->cnames.serve, "serve_fs_file_open");
	assert_string_equal(open->request->cnames.encode, "fs_file_open_request_encode");
	assert_string_equal(open->request->cnames.max_bytes, "FS_FILE_OPEN_REQUEST_MAX_BYTES");
	assert_string_equal(open->request->cnames.check_other, "fs_file_open_request_check_other");
	assert_string_equal(i->cnames.protocol, "FS_FILE_PROTOCOL");
	assert_string_equal(i->channel_c_name, "fs_file_channel");
	assert_string_equal(find_decl(f, "Errno")->cnames.is_valid, "fs_errno_is_valid");
	/* header 16 + path slot 16 + flags 4 + mode 4: 40; path block 1025 -> 1032 */
	assert_int_equal(open->request->max_frame_bytes, 40 + 1032);
	assert_int_equal(open->reply->max_frame_bytes, 24);
	assert_int_equal(find_member(open->request, "path")->offset, 16);
	assert_int_equal(find_member(open->request, "flags")->offset, 32);

	method *sync = find_method(i, "sync");
	assert_int_equal(sync->ordinal, fnv_ordinal("fs.File.sync"));
	assert_null(sync->error);
	assert_int_equal(sync->request->max_frame_bytes, 16);
	assert_int_equal(sync->reply->max_frame_bytes, 16);

	method *hint = find_method(i, "hint");
	assert_int_equal(hint->kind, METHOD_ONE_WAY);
	assert_int_equal(hint->ordinal, fnv_ordinal("fs.File.hint"));
	assert_null(hint->reply);

	method *changed = find_method(i, "changed");
	assert_int_equal(changed->kind, METHOD_EVENT);
	assert_int_equal(changed->ordinal, fnv_ordinal("fs.File.changed"));
	assert_int_equal(changed->request->max_frame_bytes, 24);
	assert_int_equal(changed->request->shape.max_handles, 1);

	assert_int_equal(find_method(i, "stat")->ordinal, 42);
	run_free(&r);
}

static void test_interface_errors(void **state)
{
	(void)state;
	compile_bad("package p;\ninterface I {\n    a(x: u8);\n}\n", "has no reply");
	compile_bad(
	    "package p;\nstruct S {\n    x: u8;\n}\ninterface I {\n    a() -> () error S;\n}\n",
	    "must be an enum");
	compile_bad("package p;\ninterface I {\n    @ordinal(5) a() -> ();\n    @ordinal(5) b() -> "
	            "();\n}\n",
	            "collides");
	compile_bad("package p;\ninterface I {\n    @ordinal(0) a() -> ();\n}\n", "ordinal");
	compile_bad("package p;\ninterface I {\n    @ordinal(0x80000000) a() -> ();\n}\n",
	            "ordinal");
	compile_bad("package p;\ninterface I {\n    @ordinal a() -> ();\n}\n", "ordinal");
	compile_bad("package p;\n@max_frame(63)\ninterface I {\n    a() -> ();\n}\n", "max_frame");
	compile_bad("package p;\n@max_frame(79)\ninterface I {\n    a(b: bytes<41>) -> ();\n}\n",
	            "1 more than the frame limit");
	compile_bad("package p;\n@ordinal(3)\nstruct S {\n    x: u8;\n}\n", "ordinal");
	compile_bad("package p;\ninterface I {\n    a(x: u8, x: u8) -> ();\n}\n", "'x'");
	compile_bad("package p;\nstruct FileOpenRequest {\n    x: u8;\n}\ninterface File {\n    "
	            "open() -> ();\n}\n",
	            "p_file_open_request");
	compile_bad("package p;\ninterface I {\n    a(h: handle<any>[65]) -> ();\n}\n", "handles");
	compile_bad("package p;\ninterface I {\n}\nstruct S {\n    i: I;\n}\n", "I");
}

static void test_unknown_attribute_warns(void **state)
{
	(void)state;
	run r;
	run_text(&r, "package p;\n@frobnicate(3)\nstruct S {\n    x: u8;\n}\n", NULL, 0);
	assert_true(r.ok);
	assert_int_equal(r.c.diag.errors, 0);
	assert_int_equal(r.c.diag.warnings, 1);
	assert_non_null(strstr(r.diag, "t.idl:2:2: warning: unknown attribute '@frobnicate'"));
	run_free(&r);
}

/* ---- imports ---- */

static char tmp_dir[64];

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int make_tmp_dir(void **state)
{
	(void)state;
	strcpy(tmp_dir, "/tmp/idlc_test_XXXXXX");
	if (mkdtemp(tmp_dir) == NULL)
		return -1;
	write_file(tmp_dir, "sys.idl",
	           "package sys;\nconst MAX: u32 = 100;\nenum Errno : u32 {\n    IO = 5;\n}\n"
	           "struct Pair {\n    a: u32;\n    b: u8;\n}\n");
	write_file(tmp_dir, "a.idl", "package a;\nimport \"b.idl\";\nstruct T {\n    x: b.T;\n}\n");
	write_file(tmp_dir, "b.idl", "package b;\nimport \"a.idl\";\nstruct T {\n    x: u8;\n}\n");
	return 0;
}

static int remove_tmp_dir(void **state)
{
	(void)state;
	const char *names[] = {"sys.idl", "a.idl", "b.idl"};
	char path[256];
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", tmp_dir, names[i]);
		unlink(path);
	}
	rmdir(tmp_dir);
	return 0;
}

static void test_import(void **state)
{
	(void)state;
	const char *dirs[] = {"/nonexistent_idlc_dir", tmp_dir};
	run r;
	file *f =
	    run_text(&r,
	             "package fs;\n"
	             "import \"sys.idl\";\n"
	             "const LIMIT: u32 = sys.MAX * 2;\n"
	             "struct S {\n    p: sys.Pair;\n    e: sys.Errno;\n    n: string<sys.MAX>;\n}\n"
	             "interface I {\n    a() -> () error sys.Errno;\n}\n",
	             dirs, 2);
	if (!r.ok || r.c.diag.warnings)
		fail_msg("unexpected diagnostics:\n%s", r.diag);
	assert_int_equal(const_value(f, "LIMIT"), 200);
	decl *s = find_decl(f, "S");
	assert_int_equal(find_member(s, "e")->offset, 8);
	assert_int_equal(find_member(s, "n")->offset, 16);
	assert_int_equal(find_member(s, "p")->type->target->shape.size, 8);
	assert_string_equal(find_member(s, "p")->type->target->c_name, "sys_pair");
	assert_int_equal(find_member(s, "n")->type->count, 100);
	assert_non_null(f->imports);
	assert_non_null(f->imports->target);
	assert_string_equal(f->imports->target->package, "sys");
	run_free(&r);
}

static void test_import_errors(void **state)
{
	(void)state;
	const char *dirs[] = {tmp_dir};
	run r;
	run_text(&r, "package p;\nimport \"missing.idl\";\n", dirs, 1);
	assert_false(r.ok);
	assert_non_null(strstr(r.diag, "cannot find import 'missing.idl'"));
	run_free(&r);

	run_text(&r, "package p;\nimport \"a.idl\";\nstruct S {\n    t: a.T;\n}\n", dirs, 1);
	assert_false(r.ok);
	assert_non_null(strstr(r.diag, "import cycle"));
	run_free(&r);

	/* Imports are not transitive and need the qualifier. */
	run_text(&r, "package p;\nimport \"sys.idl\";\nstruct S {\n    t: Errno;\n}\n", dirs, 1);
	assert_false(r.ok);
	run_free(&r);

	/* An unused import is a warning. */
	run_text(&r, "package p;\nimport \"sys.idl\";\n", dirs, 1);
	assert_true(r.ok);
	assert_int_equal(r.c.diag.warnings, 1);
	run_free(&r);
}

/* The JSON reader's memory grows with the file: each string took as many
 * bytes as the rest of the file, so an IR of a few MB needed tens of GB. */
static void test_json_memory(void **state)
{
	(void)state;
	enum {
		STRINGS = 20000
	};
	size_t size = 2 + STRINGS * 5;
	char *text = malloc(size + 1);
	assert_non_null(text);
	char *at = text;
	*at++ = '[';
	for (int i = 0; i < STRINGS; i++) {
		memcpy(at, "\"ab\",", 5);
		at += 5;
	}
	at[-1] = ']'; /* no comma after the last */
	*at = '\0';
	compilation c;
	compile_init(&c, stderr);
	uint32_t src = diag_add_source(&c.diag, "t.json", text, (size_t)(at - text));
	size_t before = c.arena.total_bytes;
	json *top = json_parse(&c.arena, &c.diag, src);
	assert_non_null(top);
	assert_string_equal(top->first->string, "ab");
	assert_true(c.arena.total_bytes - before < 64 * size);
	compile_free(&c);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_literals_and_comments),
	    cmocka_unit_test(test_lexer_errors),
	    cmocka_unit_test(test_parse_errors),
	    cmocka_unit_test(test_dotted_package),
	    cmocka_unit_test(test_const_expressions),
	    cmocka_unit_test(test_const_errors),
	    cmocka_unit_test(test_enum_bits),
	    cmocka_unit_test(test_enum_bits_errors),
	    cmocka_unit_test(test_struct_layout),
	    cmocka_unit_test(test_parameters_fill_padding),
	    cmocka_unit_test(test_out_of_line),
	    cmocka_unit_test(test_type_errors),
	    cmocka_unit_test(test_interface),
	    cmocka_unit_test(test_interface_errors),
	    cmocka_unit_test(test_unknown_attribute_warns),
	    cmocka_unit_test(test_import),
	    cmocka_unit_test(test_import_errors),
	    cmocka_unit_test(test_json_memory),
	};
	return cmocka_run_group_tests(tests, make_tmp_dir, remove_tmp_dir);
}
