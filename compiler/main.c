/*
 * main.c: the idlc command line.
 *
 *   idlc [options] FILE.idl...
 *   idlc --compat-with=OLD NEW.idl
 *
 * Runs the front end over the named files and writes, for each, the
 * outputs asked for into the output directory. With --compat-with, writes
 * nothing and reports what in NEW.idl breaks peers built from OLD (a .idl
 * file, or idlc's JSON IR when its name ends in .json). Exit status: 0 on
 * success (with --compat-with: the new version talks to the old one, maybe
 * after warnings about the C API), 1 when the input has errors or breaks
 * the wire (two input files whose outputs would have one name included),
 * 2 on a usage or I/O problem. Everything is reported through diag and
 * allocated in the compilation's arena.
 */
#include "gen.h"
#include "wire.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef IDLC_VERSION
#define IDLC_VERSION "0.1.0"
#endif

extern const char idlc_support_header[];

enum {
	EMIT_HEADER = 1,
	EMIT_SOURCE = 2,
	EMIT_SUPPORT = 4,
	EMIT_JSON = 8
};

typedef struct options {
	const char *out_dir;
	const char *depfile;
	const char *compat_with; /* the old version to check against, or NULL */
	unsigned emit;
	bool check_only;
	bool werror;
	bool per_file;   /* C for the named files only, not for what they import */
	bool emit_given; /* --emit was on the command line */
	const char **inputs;
	size_t input_count;
} options;

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: idlc [options] FILE.idl...\n"
	        "\n"
	        "Compiles service descriptions into freestanding C: types, encoders,\n"
	        "copy-then-validate decoders, client stubs and server skeletons. C is\n"
	        "written for each FILE and for every file it imports.\n"
	        "\n"
	        "options:\n"
	        "  -o DIR             write outputs into DIR (default: .)\n"
	        "  -I DIR             search DIR for imports (after the importing file's own\n"
	        "                     directory); may be repeated\n"
	        "  --emit=LIST        what to write, a comma-separated list of:\n"
	        "                       header   NAME.h: types, constants, sizes, prototypes\n"
	        "                       source   NAME.c: encoders, decoders, stubs, skeletons\n"
	        "                       support  idl_wire.h: what all generated code shares\n"
	        "                       json     NAME.json: the checked IR, for other tools\n"
	        "                     (default: header,source,support)\n"
	        "  --depfile FILE     write a make/ninja dependency file\n"
	        "  --per-file         write C only for the files named, not for what they\n"
	        "                     import: their headers include the imported files'\n"
	        "                     headers by name (\"sys.h\"), which must be on the\n"
	        "                     include path; for build systems where several targets\n"
	        "                     share an imported description; idl_wire.h is then\n"
	        "                     written only if --emit asks for support\n"
	        "  --check            check the input and write nothing\n"
	        "  --compat-with=OLD  write nothing; report what in the one FILE breaks\n"
	        "                     peers built from OLD (a .idl, or --emit=json output\n"
	        "                     named *.json); exit 1 if the wire breaks\n"
	        "  -Werror            treat warnings as errors\n"
	        "  --version          print the version\n"
	        "  --help, -h         print this help\n");
}

/* A problem with the command line or the file system: no source location. */
#define NOWHERE ((loc){0})

static bool parse_emit(diag_ctx *d, const char *list, unsigned *emit)
{
	*emit = 0;
	if (*list == '\0') {
		diag_error(d, "bad-option", NOWHERE,
		           "--emit needs a list: header, source, support or json, with commas");
		return false;
	}
	while (*list) {
		const char *comma = strchr(list, ',');
		size_t n = comma ? (size_t)(comma - list) : strlen(list);
		if (n == 6 && strncmp(list, "header", n) == 0)
			*emit |= EMIT_HEADER;
		else if (n == 6 && strncmp(list, "source", n) == 0)
			*emit |= EMIT_SOURCE;
		else if (n == 7 && strncmp(list, "support", n) == 0)
			*emit |= EMIT_SUPPORT;
		else if (n == 4 && strncmp(list, "json", n) == 0)
			*emit |= EMIT_JSON;
		else {
			diag_error(d, "bad-option", NOWHERE, "unknown output '%.*s' in --emit",
			           (int)n, list);
			return false;
		}
		list += n + (comma ? 1 : 0);
	}
	return true;
}

/* Returns 0 when parsing may go on, otherwise the exit status. */
static int parse_args(int argc, char **argv, options *o, compilation *c)
{
	o->out_dir = ".";
	o->emit = EMIT_HEADER | EMIT_SOURCE | EMIT_SUPPORT;
	diag_ctx *d = &c->diag;
	o->inputs = arena_alloc(&c->arena, (size_t)argc * sizeof(*o->inputs));
	c->include_dirs = arena_alloc(&c->arena, (size_t)argc * sizeof(*c->include_dirs));
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *value = NULL;
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			return -1;
		} else if (strcmp(a, "--version") == 0) {
			printf("idlc %s (wire format %d)\n", IDLC_VERSION, IDL_WIRE_VERSION);
			return -1;
		} else if (strcmp(a, "--check") == 0) {
			o->check_only = true;
		} else if (strncmp(a, "--compat-with=", 14) == 0) {
			if (a[14] == '\0') {
				diag_error(d, "bad-option", NOWHERE,
				           "'--compat-with' needs a value");
				return 2;
			}
			o->compat_with = a + 14;
		} else if (strcmp(a, "-Werror") == 0) {
			o->werror = true;
		} else if (strcmp(a, "--per-file") == 0) {
			o->per_file = true;
		} else if (strncmp(a, "--emit=", 7) == 0) {
			if (!parse_emit(d, a + 7, &o->emit))
				return 2;
			o->emit_given = true;
		} else if (strcmp(a, "-o") == 0 || strcmp(a, "-I") == 0 ||
		           strcmp(a, "--depfile") == 0 || strcmp(a, "--emit") == 0 ||
		           strcmp(a, "--compat-with") == 0) {
			if (i + 1 >= argc) {
				diag_error(d, "bad-option", NOWHERE, "'%s' needs a value", a);
				return 2;
			}
			value = argv[++i];
			if (a[1] == 'o')
				o->out_dir = value;
			else if (a[1] == 'I')
				c->include_dirs[c->include_count++] = value;
			else if (strcmp(a, "--emit") == 0) {
				if (!parse_emit(d, value, &o->emit))
					return 2;
				o->emit_given = true;
			} else if (strcmp(a, "--compat-with") == 0)
				o->compat_with = value;
			else
				o->depfile = value;
		} else if (strncmp(a, "-I", 2) == 0 && a[2]) {
			c->include_dirs[c->include_count++] = a + 2;
		} else if (strncmp(a, "-o", 2) == 0 && a[2]) {
			o->out_dir = a + 2;
		} else if (a[0] == '-' && a[1] != '\0') {
			diag_error(d, "bad-option", NOWHERE, "unknown option '%s'", a);
			diag_note(d, NOWHERE, "run 'idlc --help' for the options");
			return 2;
		} else {
			o->inputs[o->input_count++] = a;
		}
	}
	/* Per file, idl_wire.h comes from the installed headers (idlc::wire),
	 * or from one --emit=support of the build's own. */
	if (o->per_file && !o->emit_given)
		o->emit &= ~(unsigned)EMIT_SUPPORT;
	if (o->input_count == 0) {
		diag_error(d, "no-input", NOWHERE, "no input files");
		usage(stderr);
		return 2;
	}
	if (o->compat_with != NULL && o->input_count != 1) {
		diag_error(d, "bad-option", NOWHERE,
		           "--compat-with checks one new file against OLD");
		return 2;
	}
	return 0;
}

/* Writes text to path, through whatever path is. */
static bool write_direct(const char *path, const char *text, size_t size)
{
	FILE *f = fopen(path, "wb");
	if (f == NULL)
		return false;
	bool ok = fwrite(text, 1, size, f) == size;
	int saved = errno;
	if (fclose(f) != 0 && ok)
		return false;
	errno = saved;
	return ok;
}

/*
 * Writes `path` whole or not at all: into a temporary file beside it, then
 * renamed over it, so that a build system never finds an output cut short
 * by a full disk or a kill, nor reads half of one. What exists and is not
 * a regular file (a symbolic link such as /dev/stdout, a device, a pipe)
 * is written as it is: a rename would replace it.
 */
static bool write_whole(compilation *c, const char *path, const char *text, size_t size)
{
	struct stat st;
	bool ok;
	if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		ok = write_direct(path, text, size);
	} else {
		const char *tmp = arena_printf(&c->arena, "%s.tmp%ld", path, (long)getpid());
		ok = write_direct(tmp, text, size) && rename(tmp, path) == 0;
		int saved = errno;
		if (!ok)
			remove(tmp);
		errno = saved;
	}
	if (!ok)
		diag_error(&c->diag, "cannot-write", NOWHERE, "cannot write '%s': %s", path,
		           strerror(errno));
	return ok;
}

static bool write_file(compilation *c, const char *dir, const char *name, const char *text,
                       size_t size)
{
	return write_whole(c, arena_printf(&c->arena, "%s/%s", dir, name), text, size);
}

/* Make-style escaping of a path in a depfile. */
static void dep_path(emitter *e, const char *p)
{
	for (; *p; p++) {
		if (*p == ' ' || *p == '#')
			emit(e, "\\");
		if (*p == '$')
			emit(e, "$");
		emit(e, "%c", *p);
	}
}

static bool is_root(const compilation *c, const file *f)
{
	for (size_t r = 0; r < c->root_count; r++)
		if (c->roots[r] == f)
			return true;
	return false;
}

/* Whether C is written for f: every file, or with --per-file the named ones. */
static bool writes_c(const options *o, const compilation *c, const file *f)
{
	return !o->per_file || is_root(c, f);
}

/* Two inputs named alike (a/fs.idl, b/fs.idl) would write the same files,
 * and two whose names differ only where the include guard cannot tell
 * (a-b.idl, a_b.idl; Fs.idl, fs.idl) would each hide the other's header:
 * errors in the input, reported before anything is written. */
static bool names_collide(const options *o, compilation *c)
{
	strmap written, guards;
	strmap_init(&written, &c->arena);
	strmap_init(&guards, &c->arena);
	bool collide = false;
	for (file *f = c->files; f != NULL; f = f->next) {
		if (!writes_c(o, c, f))
			continue;
		/* Generated code includes idlc's own support header by name. */
		if (strcmp(f->basename, "idl_wire") == 0) {
			diag_error(
			    &c->diag, "output-clash", NOWHERE,
			    "'%s' would write 'idl_wire.h', the name of idlc's support header; "
			    "rename the file",
			    f->path);
			collide = true;
			continue;
		}
		file *had = strmap_put(&written, f->basename, f);
		if (had != f) {
			diag_error(&c->diag, "output-clash", NOWHERE,
			           "'%s' and '%s' would both write '%s.h'", had->path, f->path,
			           f->basename);
			collide = true;
			continue;
		}
		const char *guard = gen_guard(&c->arena, f);
		had = strmap_put(&guards, guard, f);
		if (had != f) {
			diag_error(&c->diag, "output-clash", NOWHERE,
			           "'%s.h' and '%s.h' would both have the include guard %s; rename "
			           "one of '%s' and '%s'",
			           had->basename, f->basename, guard, had->path, f->path);
			collide = true;
		}
	}
	return collide;
}

/* A path with a colon (or a line break) has no spelling in a depfile: make
 * reads the colon as the end of the targets. Refused before anything is
 * written, rather than writing a depfile make cannot read. */
static bool depfile_spells(compilation *c, const char *path)
{
	if (strpbrk(path, ":\n\r") == NULL)
		return true;
	diag_error(&c->diag, "cannot-write", NOWHERE,
	           "no depfile can name '%s': make's syntax has no way to write a colon or a "
	           "line break in a path",
	           path);
	return false;
}

static bool depfile_can_be_written(const options *o, compilation *c)
{
	bool ok = depfile_spells(c, o->out_dir);
	for (file *f = c->files; f != NULL; f = f->next)
		ok = depfile_spells(c, f->basename) && ok;
	for (size_t i = 0; i < c->dependency_count; i++)
		ok = depfile_spells(c, c->dependencies[i]) && ok;
	return ok;
}

static bool write_depfile(const options *o, compilation *c)
{
	emitter e;
	emit_init(&e, &c->arena);
	bool first = true;
	static const struct {
		unsigned bit;
		const char *ext;
		bool roots_only;
	} outs[] = {
	    {EMIT_HEADER, ".h", false}, {EMIT_SOURCE, ".c", false}, {EMIT_JSON, ".json", true}};
	for (file *in = c->files; in != NULL; in = in->next) {
		for (size_t i = 0; i < 3; i++) {
			bool written = outs[i].roots_only ? is_root(c, in) : writes_c(o, c, in);
			if (!(o->emit & outs[i].bit) || !written)
				continue;
			emit(&e, "%s", first ? "" : " ");
			first = false;
			dep_path(&e, o->out_dir);
			emit(&e, "/");
			dep_path(&e, in->basename);
			emit(&e, "%s", outs[i].ext);
		}
	}
	emit(&e, ":");
	for (size_t i = 0; i < c->dependency_count; i++) {
		emit(&e, " ");
		dep_path(&e, c->dependencies[i]);
	}
	emit(&e, "\n");
	return write_whole(c, o->depfile, e.text, e.length);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* --compat-with: the old version through the front end (or read back from
 * its IR), then the new one, then the comparison. Errors in either input
 * stop before comparing. */
static int run_compat(const options *o, compilation *now)
{
	compilation before;
	compile_init(&before, stderr);
	before.include_dirs = now->include_dirs;
	before.include_count = now->include_count;
	bool old_ok;
	int status = 1;
	if (ends_with(o->compat_with, ".json")) {
		old_ok = ir_load(&before, o->compat_with);
		if (!old_ok && access(o->compat_with, R_OK) != 0)
			status = 2; /* OLD cannot be read, as for an OLD.idl */
	} else if (load_root(&before, o->compat_with) == NULL) {
		old_ok = false;
		status = 2; /* OLD cannot be read */
	} else {
		old_ok = compile_front_end(&before);
	}
	if (old_ok) {
		if (load_root(now, o->inputs[0]) == NULL)
			status = 2;
		else if (compile_front_end(now)) {
			compat_check(&before, now);
			status = now->diag.errors != 0;
		}
	}
	compile_free(&before);
	return status;
}

/* The output directory and any parents missing (mkdir -p). */
static bool make_directory(compilation *c, const char *dir)
{
	if (*dir == '\0') {
		diag_error(&c->diag, "bad-option", NOWHERE, "the output directory is empty");
		return false;
	}
	char *path = arena_printf(&c->arena, "%s", dir);
	for (char *p = path + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char end = *p;
		*p = '\0';
		struct stat st;
		if (stat(path, &st) != 0 && mkdir(path, 0777) != 0 && errno != EEXIST) {
			diag_error(&c->diag, "cannot-write", NOWHERE,
			           "cannot create output directory '%s': %s", path,
			           strerror(errno));
			return false;
		}
		*p = end;
		if (end == '\0')
			break;
	}
	struct stat st;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		diag_error(&c->diag, "cannot-write", NOWHERE, "'%s' is not a directory", dir);
		return false;
	}
	return true;
}

static int run(const options *o, compilation *c)
{
	if (o->compat_with != NULL) {
		c->diag.warnings_are_errors = o->werror;
		return run_compat(o, c);
	}
	c->diag.warnings_are_errors = o->werror;
	/* A named file that cannot be read is the command line's problem (2);
	 * an import that cannot be, the importing file's (1). */
	bool unreadable = false;
	for (size_t i = 0; i < o->input_count; i++)
		if (load_root(c, o->inputs[i]) == NULL)
			unreadable = true;
	if (!compile_front_end(c))
		return unreadable ? 2 : 1;
	if (unreadable)
		return 2;
	/* What would be written is checked under --check too: it is part of
	 * whether the input is good. */
	if (names_collide(o, c))
		return 1;
	if (o->check_only)
		return 0;
	if (o->depfile != NULL && !depfile_can_be_written(o, c))
		return 2;
	if (!make_directory(c, o->out_dir))
		return 2;
	/* C for every file of the compilation: the named ones and what they
	 * import, so that the output compiles on its own; with --per-file, for
	 * the named ones alone. */
	bool ok = true;
	for (file *f = c->files; f != NULL; f = f->next) {
		if (!writes_c(o, c, f))
			continue;
		if (o->emit & EMIT_HEADER) {
			emitter e;
			emit_init(&e, &c->arena);
			gen_header(c, f, &e);
			ok &=
			    write_file(c, o->out_dir, arena_printf(&c->arena, "%s.h", f->basename),
			               e.text, e.length);
		}
		if (o->emit & EMIT_SOURCE) {
			emitter e;
			emit_init(&e, &c->arena);
			gen_source(c, f, &e);
			ok &=
			    write_file(c, o->out_dir, arena_printf(&c->arena, "%s.c", f->basename),
			               e.text, e.length);
		}
		if ((o->emit & EMIT_JSON) && is_root(c, f)) {
			emitter e;
			emit_init(&e, &c->arena);
			gen_json(c, f, &e);
			ok &= write_file(c, o->out_dir,
			                 arena_printf(&c->arena, "%s.json", f->basename), e.text,
			                 e.length);
		}
	}
	if (o->emit & EMIT_SUPPORT)
		ok &= write_file(c, o->out_dir, "idl_wire.h", idlc_support_header,
		                 strlen(idlc_support_header));
	/* Only after every output is written: a depfile naming outputs that
	 * are not there would tell the build they are up to date. */
	if (ok && o->depfile)
		ok = write_depfile(o, c);
	return ok ? 0 : 2;
}

int main(int argc, char **argv)
{
	compilation c;
	compile_init(&c, stderr);
	options o = {0};
	int status = parse_args(argc, argv, &o, &c);
	if (status == 0)
		status = run(&o, &c);
	else if (status < 0)
		status = 0;
	compile_free(&c);
	return status;
}
