/*
 * diag.c: printing diagnostics with the source line and a caret.
 */
#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* The widest stretch of a source line that a diagnostic shows. */
#define SHOWN_LINE_BYTES 160u

void diag_init(diag_ctx *d, arena *a, FILE *out)
{
	memset(d, 0, sizeof(*d));
	d->arena = a;
	d->out = out;
	d->max_errors = 50;
	diag_add_source(d, "<none>", "", 0);
}

uint32_t diag_add_source(diag_ctx *d, const char *path, const char *text, size_t size)
{
	if (d->source_count == d->source_capacity) {
		uint32_t cap = d->source_capacity ? d->source_capacity * 2 : 16;
		source *s = arena_alloc(d->arena, cap * sizeof(*s));
		if (d->source_count)
			memcpy(s, d->sources, d->source_count * sizeof(*s));
		d->sources = s;
		d->source_capacity = cap;
	}
	/* Where each line starts, so that finding a location's line is a
	 * binary search: generators name a line in every comment they write. */
	size_t lines = 1;
	for (size_t i = 0; i < size; i++)
		lines += text[i] == '\n';
	size_t *starts = arena_alloc(d->arena, lines * sizeof(*starts));
	starts[0] = 0;
	for (size_t i = 0, l = 1; i < size; i++)
		if (text[i] == '\n')
			starts[l++] = i + 1;
	d->sources[d->source_count] = (source){
	    .path = path, .text = text, .size = size, .line_starts = starts, .line_count = lines};
	return d->source_count++;
}

const source *diag_source(const diag_ctx *d, uint32_t file)
{
	return file < d->source_count ? &d->sources[file] : &d->sources[0];
}

void diag_line_col(const diag_ctx *d, loc at, unsigned *line, unsigned *col)
{
	const source *s = diag_source(d, at.file);
	size_t end = at.begin < s->size ? at.begin : s->size;
	/* The last line that starts at or before end. */
	size_t low = 0, high = s->line_count;
	while (high - low > 1) {
		size_t mid = low + (high - low) / 2;
		if (s->line_starts[mid] <= end)
			low = mid;
		else
			high = mid;
	}
	*line = (unsigned)low + 1;
	*col = (unsigned)(end - s->line_starts[low]) + 1;
}

/* Prints the line holding `at` and a caret under it, gcc style. */
static void show_line(const diag_ctx *d, loc at, unsigned line)
{
	const source *s = diag_source(d, at.file);
	size_t begin = at.begin < s->size ? at.begin : s->size;
	size_t start = begin;
	while (start > 0 && s->text[start - 1] != '\n')
		start--;
	size_t stop = begin;
	while (stop < s->size && s->text[stop] != '\n')
		stop++;
	/* A CRLF line ends before its CR, unless the caret is on it. */
	if (stop > begin && s->text[stop - 1] == '\r')
		stop--;
	/* Keep megabyte-long lines readable: show a window around the caret. */
	size_t from = start;
	if (begin - start > SHOWN_LINE_BYTES / 2)
		from = begin - SHOWN_LINE_BYTES / 2;
	size_t to = stop;
	if (to - from > SHOWN_LINE_BYTES)
		to = from + SHOWN_LINE_BYTES;
	size_t underline = at.end > begin ? at.end - begin : 1;
	if (begin + underline > to)
		underline = to > begin ? to - begin : 1;

	fprintf(d->out, "%5u | %s", line, from > start ? "..." : "");
	for (size_t i = from; i < to; i++) {
		unsigned char c = (unsigned char)s->text[i];
		fputc(c == '\t' || (c >= 0x20 && c < 0x7f) ? c : '?', d->out);
	}
	fprintf(d->out, "%s\n      | %s", to < stop ? "..." : "", from > start ? "   " : "");
	for (size_t i = from; i < begin; i++)
		fputc(s->text[i] == '\t' ? '\t' : ' ', d->out);
	fputc('^', d->out);
	for (size_t i = 1; i < underline; i++)
		fputc('~', d->out);
	fputc('\n', d->out);
}

static void report(diag_ctx *d, const char *kind, const char *code, loc at, const char *fmt,
                   va_list ap)
{
	if (at.file != 0) {
		unsigned line, col;
		diag_line_col(d, at, &line, &col);
		fprintf(d->out, "%s:%u:%u: %s: ", diag_source(d, at.file)->path, line, col, kind);
	} else {
		fprintf(d->out, "idlc: %s: ", kind);
	}
	vfprintf(d->out, fmt, ap);
	if (code != NULL)
		fprintf(d->out, " [%s]", code);
	fputc('\n', d->out);
	if (at.file != 0) {
		unsigned line, col;
		diag_line_col(d, at, &line, &col);
		show_line(d, at, line);
	}
}

bool diag_too_many(const diag_ctx *d)
{
	return d->errors >= d->max_errors;
}

void diag_error(diag_ctx *d, const char *code, loc at, const char *fmt, ...)
{
	if (diag_too_many(d))
		return;
	va_list ap;
	va_start(ap, fmt);
	report(d, "error", code, at, fmt, ap);
	va_end(ap);
	if (++d->errors == d->max_errors)
		fprintf(d->out, "idlc: fatal error: too many errors emitted, stopping now\n");
}

void diag_warning(diag_ctx *d, const char *code, loc at, const char *fmt, ...)
{
	if (diag_too_many(d))
		return;
	va_list ap;
	va_start(ap, fmt);
	report(d, d->warnings_are_errors ? "error" : "warning", code, at, fmt, ap);
	va_end(ap);
	if (d->warnings_are_errors)
		d->errors++;
	else
		d->warnings++;
}

void diag_note(diag_ctx *d, loc at, const char *fmt, ...)
{
	if (diag_too_many(d))
		return;
	va_list ap;
	va_start(ap, fmt);
	report(d, "note", NULL, at, fmt, ap);
	va_end(ap);
}
