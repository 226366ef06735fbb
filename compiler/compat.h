/*
 * compat.h: what the files of the compatibility checker share (compat.c
 * compares declarations, compat_type.c types, compat_interface.c
 * interfaces, methods and their messages).
 *
 * Each change is reported on the line of `now` (the new version) that
 * made it, with a stable code in brackets, and a note on the old
 * version's declaration. A change that breaks the wire is an error; one
 * that breaks only the generated C API (a rename) is a warning. The codes
 * and why each rule holds are in docs/evolution.md.
 */
#ifndef IDLC_COMPAT_H
#define IDLC_COMPAT_H

#include "compile.h"

typedef struct compat {
	compilation *before; /* the old version: notes go to its sources */
	compilation *now;    /* the new version: diagnostics go to its sources */
	arena *a;
} compat;

typedef enum compat_breaks {
	COMPAT_API, /* generated C code of peers must change: a warning */
	COMPAT_WIRE /* old and new peers cannot talk: an error */
} compat_breaks;

/* Reports one change at `at` in the new version, then a note at `was` in
 * the old one, "the old version's <was_what>" (no note when was_what is
 * NULL). */
void compat_report(compat *k, compat_breaks breaks, const char *code, loc at, loc was,
                   const char *was_what, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

/* The errors reported so far: a catch-all rule speaks only when the
 * specific ones before it found nothing. */
unsigned compat_errors(const compat *k);

/* A type as written in .idl, for messages: "vector<u32, 4>". */
const char *compat_type_text(arena *a, const type *t);

/* compat_type.c: compares the type of one field, parameter, variant or
 * error: reports a changed type, a bound that was lowered or raised, or a
 * named type renamed with its layout kept. `what` names the
 * thing that has the type ("parameter 'name'"). */
void compat_type(compat *k, const type *was, const type *now, loc at, loc was_at, const char *what);

/* Whether d keeps a name, or a number, from reuse with a `reserved` line. */
bool compat_reserves_name(const decl *d, const char *name);
bool compat_reserves_value(const decl *d, idl_int value);

/* compat_interface.c: an interface against its old version. */
void compat_interface(compat *k, const decl *was, const decl *now);

#endif
