/*
 * load.c: reads .idl files and follows their imports.
 *
 * An import is looked up beside the importing file, then in each -I
 * directory in order. Files are identified by their real path, so a file
 * reached twice is read once; a file reached again while its own imports
 * are still loading closes an import cycle, which is an error.
 */
#include "compile.h"
#include "parse.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_SOURCE_BYTES (64u * 1024u * 1024u)

/* Imports are followed recursively, a few frames per level: a chain of
 * imports longer than this is refused, far beyond any real description and
 * far within the stack. */
#define MAX_IMPORT_DEPTH 1000u

enum {
	UNVISITED,
	LOADING,
	LOADED
};

/* What a path that is not a regular file names, for the error. */
static const char *special_file_kind(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISCHR(mode) || S_ISBLK(mode))
		return "a device";
	return "a special file";
}

/*
 * Reads a whole regular file into the arena; reports why it cannot. Opened
 * without blocking and checked before reading: a FIFO would block the open
 * and the reads for ever, waiting for a writer.
 */
bool load_read_file(compilation *c, loc at, const char *path, char **text, size_t *size)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		diag_error(&c->diag, "cannot-open", at, "cannot open '%s': %s", path,
		           strerror(errno));
		return false;
	}
	struct stat st;
	if (fstat(fd, &st) != 0) {
		diag_error(&c->diag, "cannot-open", at, "cannot open '%s': %s", path,
		           strerror(errno));
		close(fd);
		return false;
	}
	if (!S_ISREG(st.st_mode)) {
		diag_error(&c->diag, "not-a-file", at, "'%s' is %s, not an .idl file", path,
		           special_file_kind(st.st_mode));
		close(fd);
		return false;
	}
	FILE *f = fdopen(fd, "rb");
	if (f == NULL) {
		diag_error(&c->diag, "cannot-open", at, "cannot open '%s': %s", path,
		           strerror(errno));
		close(fd);
		return false;
	}
	size_t cap = 4096, n = 0;
	char *buf = arena_alloc(&c->arena, cap + 1);
	for (;;) {
		if (n == cap) {
			if (cap >= MAX_SOURCE_BYTES) {
				diag_error(&c->diag, "file-too-large", at,
				           "'%s' is larger than %u MiB", path,
				           MAX_SOURCE_BYTES >> 20);
				fclose(f);
				return false;
			}
			char *bigger = arena_alloc(&c->arena, cap * 2 + 1);
			memcpy(bigger, buf, n);
			buf = bigger;
			cap *= 2;
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	bool failed = ferror(f) != 0;
	fclose(f);
	if (failed) {
		diag_error(&c->diag, "cannot-open", at, "cannot read '%s'", path);
		return false;
	}
	buf[n] = '\0';
	*text = buf;
	*size = n;
	return true;
}

static const char *base_name(compilation *c, const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *name = slash ? slash + 1 : path;
	size_t len = strlen(name);
	if (len > 4 && strcmp(name + len - 4, ".idl") == 0)
		len -= 4;
	return arena_strndup(&c->arena, name, len);
}

static file *find_loaded(compilation *c, const char *real)
{
	for (file *f = c->files; f != NULL; f = f->next)
		if (strcmp(f->path, real) == 0 || (f->real_path && strcmp(f->real_path, real) == 0))
			return f;
	return NULL;
}

static void add_file(compilation *c, file *f)
{
	file **tail = &c->files;
	while (*tail != NULL)
		tail = &(*tail)->next;
	*tail = f;
}

static void load_imports(compilation *c, file *f, unsigned depth);

static void add_dependency(compilation *c, const char *path)
{
	if (c->dependency_count == c->dependency_capacity) {
		size_t cap = c->dependency_capacity ? c->dependency_capacity * 2 : 16;
		const char **deps = arena_alloc(&c->arena, cap * sizeof(*deps));
		if (c->dependency_count)
			memcpy(deps, c->dependencies, c->dependency_count * sizeof(*deps));
		c->dependencies = deps;
		c->dependency_capacity = cap;
	}
	c->dependencies[c->dependency_count++] = path;
}

/* depth: how many imports led to this file from the file named. */
static file *load_text(compilation *c, const char *path, const char *real, char *text, size_t size,
                       unsigned depth)
{
	uint32_t src = diag_add_source(&c->diag, path, text, size);
	file *f = parse_file(&c->arena, &c->diag, path, src);
	f->real_path = real;
	f->basename = base_name(c, path);
	add_file(c, f);
	add_dependency(c, path);
	load_imports(c, f, depth);
	return f;
}

/*
 * Whether the name of the file at path (its last component) can name the
 * generated header in `#include "NAME.h"`, which a quote would end early, a
 * newline break, and in which a backslash is undefined; reports one that
 * cannot.
 */
static bool file_name_ok(compilation *c, loc at, const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *name = slash ? slash + 1 : path;
	size_t bad = strcspn(name, "\"\\\n");
	if (name[bad] == '\0')
		return true;
	/* Shown with the newlines escaped, on one line like every diagnostic. */
	char *shown = arena_alloc(&c->arena, 2 * strlen(path) + 1);
	for (char *out = shown; *path != '\0'; path++) {
		if (*path == '\n') {
			*out++ = '\\';
			*out++ = 'n';
		} else {
			*out++ = *path;
		}
	}
	diag_error(&c->diag, "bad-file-name", at,
	           "file name '%s' holds %s, which cannot go in the generated #include \"...\"",
	           shown,
	           name[bad] == '"'    ? "a quote"
	           : name[bad] == '\\' ? "a backslash"
	                               : "a newline");
	return false;
}

static file *load_path(compilation *c, loc at, const char *path, unsigned depth)
{
	/* Allocated rather than PATH_MAX on the stack, which every level of
	 * imports took. */
	char *resolved = realpath(path, NULL);
	const char *real = resolved != NULL ? arena_strdup(&c->arena, resolved) : path;
	free(resolved);
	file *f = find_loaded(c, real);
	if (f != NULL)
		return f;
	char *text;
	size_t size;
	if (!load_read_file(c, at, path, &text, &size))
		return NULL;
	return load_text(c, arena_strdup(&c->arena, path), real, text, size, depth);
}

static bool exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

/* Finds an import: beside the importing file, then in the -I directories. */
static const char *find_import(compilation *c, file *from, const char *name)
{
	if (name[0] == '/')
		return name;
	const char *slash = strrchr(from->path, '/');
	const char *beside =
	    slash ? arena_printf(&c->arena, "%.*s/%s", (int)(slash - from->path), from->path, name)
	          : name;
	if (exists(beside))
		return beside;
	for (size_t i = 0; i < c->include_count; i++) {
		const char *candidate = arena_printf(&c->arena, "%s/%s", c->include_dirs[i], name);
		if (exists(candidate))
			return candidate;
	}
	return NULL;
}

static void load_imports(compilation *c, file *f, unsigned depth)
{
	f->visit_state = LOADING;
	for (import *imp = f->imports; imp != NULL; imp = imp->next) {
		if (diag_too_many(&c->diag))
			break;
		if (depth >= MAX_IMPORT_DEPTH) {
			diag_error(&c->diag, "import-too-deep", imp->loc,
			           "import '%s' makes a chain of imports more than %u long",
			           imp->path, MAX_IMPORT_DEPTH);
			break;
		}
		if (!file_name_ok(c, imp->loc, imp->path))
			continue;
		const char *path = find_import(c, f, imp->path);
		if (path == NULL) {
			diag_error(&c->diag, "import-not-found", imp->loc,
			           "cannot find import '%s'", imp->path);
			if (c->include_count == 0)
				diag_note(&c->diag, imp->loc,
				          "looked beside '%s'; add search directories with -I",
				          f->path);
			continue;
		}
		imp->target = load_path(c, imp->loc, path, depth + 1);
		if (imp->target == f) {
			diag_error(&c->diag, "import-cycle", imp->loc, "'%s' imports itself",
			           f->path);
			imp->target = NULL;
		} else if (imp->target != NULL && imp->target->visit_state == LOADING) {
			diag_error(&c->diag, "import-cycle", imp->loc,
			           "import cycle: '%s' imports '%s', which imports it back",
			           f->path, imp->target->path);
			imp->target = NULL;
		}
	}
	f->visit_state = LOADED;
}

void load_add_root(compilation *c, file *f)
{
	file **roots = arena_alloc(&c->arena, (c->root_count + 1) * sizeof(*roots));
	if (c->root_count)
		memcpy(roots, c->roots, c->root_count * sizeof(*roots));
	roots[c->root_count++] = f;
	c->roots = roots;
}

file *load_root(compilation *c, const char *path)
{
	if (!file_name_ok(c, (loc){0}, path))
		return NULL;
	file *f = load_path(c, (loc){0}, path, 0);
	if (f != NULL)
		load_add_root(c, f);
	return f;
}

file *load_root_text(compilation *c, const char *path, const char *text, size_t size)
{
	char *copy = arena_alloc(&c->arena, size + 1);
	memcpy(copy, text, size);
	file *f = load_text(c, path, path, copy, size, 0);
	load_add_root(c, f);
	return f;
}
