/*
 * emit.c: the generated-text buffer and clang-format-compatible wrapping.
 */
#include "emit.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

void emit_init(emitter *e, arena *a)
{
	memset(e, 0, sizeof(*e));
	e->arena = a;
}

static void reserve(emitter *e, size_t more)
{
	if (e->length + more + 1 <= e->capacity)
		return;
	size_t cap = e->capacity ? e->capacity : 4096;
	while (cap < e->length + more + 1)
		cap *= 2;
	char *text = arena_alloc(e->arena, cap);
	if (e->length)
		memcpy(text, e->text, e->length);
	e->text = text;
	e->capacity = cap;
}

void emit(emitter *e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n <= 0)
		return;
	reserve(e, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(e->text + e->length, (size_t)n + 1, fmt, ap);
	va_end(ap);
	e->length += (size_t)n;
}

static void emit_indent(emitter *e, int indent)
{
	for (int i = 0; i < indent; i++)
		emit(e, "\t");
}

/* Lines an aligned, bin-packed layout needs, or 0 when an argument does
 * not fit even on a line of its own. */
static size_t aligned_lines(size_t column, const char *const *args, size_t count,
                            size_t tail_length)
{
	size_t align = column, lines = 1;
	for (size_t i = 0; i < count; i++) {
		bool last = i + 1 == count;
		size_t need = strlen(args[i]) + (last ? tail_length : 1);
		if (i > 0) {
			if (column + 1 + need <= EMIT_COLUMNS) {
				column += 1;
			} else {
				lines++;
				column = align;
			}
		}
		if (column + need > EMIT_COLUMNS)
			return 0;
		column += need;
	}
	return lines;
}

static void emit_aligned(emitter *e, int indent, size_t start, size_t column,
                         const char *const *args, size_t count, const char *tail,
                         size_t tail_length)
{
	size_t align = column;
	for (size_t i = 0; i < count; i++) {
		bool last = i + 1 == count;
		size_t need = strlen(args[i]) + (last ? tail_length : 1);
		if (i > 0) {
			if (column + 1 + need <= EMIT_COLUMNS) {
				emit(e, " ");
				column += 1;
			} else {
				emit(e, "\n");
				emit_indent(e, indent);
				emit(e, "%*s", (int)(align - start), "");
				column = align;
			}
		}
		emit(e, "%s%s", args[i], last ? tail : ",");
		column += need;
	}
}

static void emit_joined(emitter *e, const char *const *args, size_t count, const char *tail)
{
	for (size_t i = 0; i < count; i++)
		emit(e, "%s%s", i ? ", " : "", args[i]);
	emit(e, "%s", tail);
}

/*
 * Chooses among the layouts clang-format uses for a call or declaration,
 * in the order it prefers them: all on one line; for an assignment, the
 * whole right side on the next line; arguments aligned after '(' on two
 * lines; all arguments on one line after a break behind '('; for an
 * assignment, the right side on the next line with its arguments aligned
 * on two lines; arguments aligned after '('; for a function declaration whose first parameter
 * cannot follow the name, the return type on a line of its own.
 */
void emit_wrapped(emitter *e, int indent, const char *head, const char *const *args, size_t count,
                  const char *tail)
{
	size_t start = (size_t)indent * EMIT_TAB_COLUMNS;
	size_t column = start + strlen(head);
	size_t tail_length = strcspn(tail, "\n");
	size_t joined = tail_length;
	for (size_t i = 0; i < count; i++)
		joined += strlen(args[i]) + (i ? 2 : 0);
	if (column + joined <= EMIT_COLUMNS) {
		emit_indent(e, indent);
		emit(e, "%s", head);
		emit_joined(e, args, count, tail);
		return;
	}
	const char *assign = strstr(head, " = ");
	if (assign != NULL && start + 4 + strlen(assign + 3) + joined <= EMIT_COLUMNS) {
		emit_indent(e, indent);
		emit(e, "%.*s =\n", (int)(assign - head), head);
		emit_indent(e, indent);
		emit(e, "    %s", assign + 3);
		emit_joined(e, args, count, tail);
		return;
	}
	size_t lines = aligned_lines(column, args, count, tail_length);
	/* Declarations keep their parameters aligned however many lines that
	 * takes; calls do only while it takes two. */
	bool declaration = assign == NULL && indent == 0;
	if (lines != 0 && (lines <= 2 || declaration)) {
		emit_indent(e, indent);
		emit(e, "%s", head);
		emit_aligned(e, indent, start, column, args, count, tail, tail_length);
		return;
	}
	if (start + 4 + joined <= EMIT_COLUMNS) {
		emit_indent(e, indent);
		emit(e, "%s\n", head);
		emit_indent(e, indent);
		emit(e, "    ");
		emit_joined(e, args, count, tail);
		return;
	}
	if (assign != NULL) {
		/* The right side on the next line, its arguments aligned after
		 * '(' on two lines. */
		const char *call = assign + 3;
		size_t call_column = start + 4 + strlen(call);
		if (aligned_lines(call_column, args, count, tail_length) == 2) {
			emit_indent(e, indent);
			emit(e, "%.*s =\n", (int)(assign - head), head);
			emit_indent(e, indent);
			emit(e, "    %s", call);
			emit_aligned(e, indent, start, call_column, args, count, tail, tail_length);
			return;
		}
	}
	size_t packed = aligned_lines(start + 4, args, count, tail_length);
	if (assign != NULL && packed != 0 && (lines == 0 || (lines > 3 && packed < lines))) {
		/* An argument too wide to align after '(': break behind it and pack. */
		emit_indent(e, indent);
		emit(e, "%s\n", head);
		emit_indent(e, indent);
		emit(e, "    ");
		emit_aligned(e, indent, start, start + 4, args, count, tail, tail_length);
		return;
	}
	/* The return type (with any specifiers before it) ends at the last
	 * space before the name. */
	const char *paren = strchr(head, '(');
	const char *space = NULL;
	for (const char *c = head; paren != NULL && c < paren; c++)
		if (*c == ' ')
			space = c;
	if (lines == 0 && indent == 0 && assign == NULL && space != NULL) {
		/* The return type goes on a line of its own. */
		emit(e, "%.*s\n", (int)(space - head), head);
		head = space + 1;
		column = strlen(head);
	} else {
		emit_indent(e, indent);
	}
	emit(e, "%s", head);
	emit_aligned(e, indent, start, column, args, count, tail, tail_length);
}

void emit_defines(emitter *e, const char *const *names, const char *const *values, size_t count)
{
	size_t width = 0;
	for (size_t i = 0; i < count; i++)
		if (strlen(names[i]) > width)
			width = strlen(names[i]);
	for (size_t i = 0; i < count; i++)
		emit(e, "#define %-*s %s\n", (int)width, names[i], values[i]);
}

/* Emits one comment line, keeping the text from closing or opening a comment. */
static void emit_comment_text(emitter *e, const char *text, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		emit(e, "%c", text[i]);
		if ((text[i] == '*' && i + 1 < n && text[i + 1] == '/') ||
		    (text[i] == '/' && i + 1 < n && text[i + 1] == '*'))
			emit(e, " ");
	}
}

void emit_doc(emitter *e, int indent, const char *doc)
{
	if (doc == NULL)
		return;
	/* Lines longer than the column limit are wrapped at spaces, as
	 * clang-format would reflow them. */
	size_t room = EMIT_COLUMNS - (size_t)indent * EMIT_TAB_COLUMNS - 3;
	emit_indent(e, indent);
	emit(e, "/*\n");
	const char *line = doc;
	while (line != NULL) {
		const char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line);
		while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t'))
			n--;
		do {
			size_t take = n;
			if (take > room) {
				take = room;
				while (take > 0 && line[take] != ' ')
					take--;
				if (take == 0)
					take = n;
			}
			emit_indent(e, indent);
			emit(e, " *%s", take ? " " : "");
			emit_comment_text(e, line, take);
			emit(e, "\n");
			while (take < n && line[take] == ' ')
				take++;
			line += take;
			n -= take;
		} while (n > 0);
		line = nl ? nl + 1 : NULL;
	}
	emit_indent(e, indent);
	emit(e, " */\n");
}
