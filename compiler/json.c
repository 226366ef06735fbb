/*
 * json.c: a recursive-descent reader of JSON text into json nodes in the
 * arena. Numbers must be integers within 64 bits (signed or not); nesting
 * is limited, so that hostile input cannot exhaust the stack. The first
 * error is reported with its location and ends the parse.
 */
#include "json.h"

#include <string.h>

#define MAX_DEPTH 64

typedef struct reader {
	arena *a;
	diag_ctx *d;
	uint32_t source;
	const char *text;
	size_t size;
	size_t at;
	bool failed;
} reader;

static loc here(const reader *r, size_t begin)
{
	return (loc){.file = r->source, .begin = (uint32_t)begin, .end = (uint32_t)r->at};
}

static void fail(reader *r, const char *what)
{
	if (r->failed)
		return;
	r->failed = true;
	size_t end = r->at < r->size ? r->at + 1 : r->at;
	diag_error(r->d, "bad-ir", (loc){r->source, (uint32_t)r->at, (uint32_t)end}, "%s", what);
}

static void skip_space(reader *r)
{
	while (r->at < r->size && strchr(" \t\r\n", r->text[r->at]) != NULL)
		r->at++;
}

static bool eat(reader *r, char c)
{
	skip_space(r);
	if (r->at < r->size && r->text[r->at] == c) {
		r->at++;
		return true;
	}
	return false;
}

static bool word(reader *r, const char *w)
{
	size_t n = strlen(w);
	if (r->size - r->at >= n && strncmp(r->text + r->at, w, n) == 0) {
		r->at += n;
		return true;
	}
	return false;
}

static unsigned hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return (unsigned)(c - '0');
	if (c >= 'a' && c <= 'f')
		return (unsigned)(c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (unsigned)(c - 'A' + 10);
	return 16;
}

/* A string's text, with its escapes; \u only below 0x80 (idlc writes no more). */
static const char *string_text(reader *r)
{
	r->at++; /* the opening quote */
	/* Sized by the string's own bytes (escapes only shrink): sized by the
	 * rest of the file, every string of an IR took memory quadratic in it. */
	size_t end = r->at;
	while (end < r->size && r->text[end] != '"')
		end += r->text[end] == '\\' ? 2 : 1;
	char *out = arena_alloc(r->a, (end < r->size ? end : r->size) - r->at + 1);
	size_t n = 0;
	while (r->at < r->size && r->text[r->at] != '"') {
		char c = r->text[r->at++];
		if ((unsigned char)c < 0x20) {
			r->at--;
			fail(r, "control character in a JSON string");
			return "";
		}
		if (c != '\\') {
			out[n++] = c;
			continue;
		}
		if (r->at >= r->size)
			break;
		char e = r->text[r->at++];
		const char *plain = strchr("\"\\/bfnrt", e);
		if (plain != NULL && e != 0) {
			out[n++] = "\"\\/\b\f\n\r\t"[plain - "\"\\/bfnrt"];
			continue;
		}
		unsigned v = 0;
		for (int i = 0; e == 'u' && i < 4 && r->at < r->size; i++) {
			unsigned h = hex_digit(r->text[r->at++]);
			v = h < 16 ? v * 16 + h : 0x10000;
		}
		if (e != 'u' || v == 0 || v >= 0x80) {
			fail(r, "unsupported escape in a JSON string");
			return "";
		}
		out[n++] = (char)v;
	}
	if (r->at >= r->size) {
		fail(r, "unterminated JSON string");
		return "";
	}
	r->at++; /* the closing quote */
	out[n] = '\0';
	return out;
}

static json *value(reader *r, int depth);

static json *node(reader *r, json_kind kind, size_t begin)
{
	json *j = arena_alloc(r->a, sizeof(json));
	j->kind = kind;
	j->loc = here(r, begin);
	return j;
}

static json *number(reader *r, size_t begin)
{
	bool negative = r->text[r->at] == '-';
	if (negative)
		r->at++;
	idl_int v = 0;
	size_t digits = 0;
	while (r->at < r->size && r->text[r->at] >= '0' && r->text[r->at] <= '9') {
		v = v * 10 + (r->text[r->at++] - '0');
		if (v > ((idl_int)1 << 64)) {
			fail(r, "JSON number out of range");
			return NULL;
		}
		digits++;
	}
	if (digits == 0 || (r->at < r->size && strchr(".eE", r->text[r->at]) != NULL)) {
		fail(r, "expected an integer");
		return NULL;
	}
	json *j = node(r, JSON_NUMBER, begin);
	j->number = negative ? -v : v;
	return j;
}

/* The items of an array or the members of an object, after its '[' or '{'. */
static json *items(reader *r, json *j, char close, int depth)
{
	json **tail = &j->first;
	if (eat(r, close))
		return j;
	do {
		const char *key = NULL;
		if (j->kind == JSON_OBJECT) {
			skip_space(r);
			if (r->at >= r->size || r->text[r->at] != '"') {
				fail(r, "expected a key (a JSON string)");
				return NULL;
			}
			key = string_text(r);
			if (!eat(r, ':')) {
				fail(r, "expected ':' after a key");
				return NULL;
			}
		}
		json *item = value(r, depth + 1);
		if (item == NULL)
			return NULL;
		item->key = key;
		*tail = item;
		tail = &item->next;
	} while (eat(r, ','));
	if (!eat(r, close)) {
		fail(r, close == ']' ? "expected ',' or ']'" : "expected ',' or '}'");
		return NULL;
	}
	return j;
}

static json *value(reader *r, int depth)
{
	if (depth > MAX_DEPTH) {
		fail(r, "JSON nests too deeply");
		return NULL;
	}
	skip_space(r);
	size_t begin = r->at;
	if (r->at >= r->size) {
		fail(r, "unexpected end of the JSON text");
		return NULL;
	}
	char c = r->text[r->at];
	if (c == '{' || c == '[') {
		r->at++;
		json *j = node(r, c == '{' ? JSON_OBJECT : JSON_ARRAY, begin);
		return items(r, j, c == '{' ? '}' : ']', depth);
	}
	if (c == '"') {
		const char *text = string_text(r);
		json *j = node(r, JSON_STRING, begin);
		j->string = text;
		return j;
	}
	if (c == '-' || (c >= '0' && c <= '9'))
		return number(r, begin);
	if (word(r, "true"))
		return node(r, JSON_TRUE, begin);
	if (word(r, "false"))
		return node(r, JSON_FALSE, begin);
	if (word(r, "null"))
		return node(r, JSON_NULL, begin);
	fail(r, "expected a JSON value");
	return NULL;
}

json *json_parse(arena *a, diag_ctx *d, uint32_t source)
{
	const struct source *s = diag_source(d, source);
	reader r = {.a = a, .d = d, .source = source, .text = s->text, .size = s->size};
	json *j = value(&r, 0);
	skip_space(&r);
	if (j != NULL && r.at < r.size)
		fail(&r, "text after the JSON value");
	return r.failed ? NULL : j;
}

json *json_member(const json *object, const char *key)
{
	if (object == NULL || object->kind != JSON_OBJECT)
		return NULL;
	for (json *m = object->first; m != NULL; m = m->next)
		if (strcmp(m->key, key) == 0)
			return m;
	return NULL;
}
