/*
 * json.h: a small reader of JSON text, for idlc's own IR (gen_json.c
 * writes it, ir_load.c reads it back). Values keep their location in the
 * source, so that a problem in the file is reported on its line.
 */
#ifndef IDLC_JSON_H
#define IDLC_JSON_H

#include "ast.h"

typedef enum json_kind {
	JSON_NULL,
	JSON_FALSE,
	JSON_TRUE,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT
} json_kind;

typedef struct json {
	json_kind kind;
	loc loc;
	idl_int number;     /* JSON_NUMBER: an integer; the IR has no other numbers */
	const char *string; /* JSON_STRING */
	const char *key;    /* a member of an object: its key */
	struct json *first; /* JSON_ARRAY, JSON_OBJECT: the items or members */
	struct json *next;  /* the next item or member */
} json;

/* Parses the registered source `source`; NULL after reporting an error. */
json *json_parse(arena *a, diag_ctx *d, uint32_t source);
/* The member `key` of an object, or NULL. */
json *json_member(const json *object, const char *key);

#endif
