/*
 * fuzz_front_end.c: libFuzzer harness for the whole compiler. The input is
 * one .idl file; it goes through load, sema and layout, and when it compiles
 * through every generator. Imports resolve against the repository's idl/
 * directory (FUZZ_IDL_DIR), so seeds that import sys.idl compile fully.
 */
#include "compile.h"
#include "gen.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef FUZZ_IDL_DIR
#define FUZZ_IDL_DIR "idl"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *null_out(void)
{
	static FILE *out;
	if (out == NULL) {
		out = fopen("/dev/null", "w");
		if (out == NULL)
			abort();
	}
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *include_dirs[] = {FUZZ_IDL_DIR};
	compilation c;
	compile_init(&c, null_out());
	c.include_dirs = include_dirs;
	c.include_count = 1;
	load_root_text(&c, "fuzz.idl", (const char *)data, size);
	if (compile_front_end(&c)) {
		emitter e;
		emit_init(&e, &c.arena);
		gen_header(&c, c.roots[0], &e);
		emit_init(&e, &c.arena);
		gen_source(&c, c.roots[0], &e);
		emit_init(&e, &c.arena);
		gen_json(&c, c.roots[0], &e);
	}
	compile_free(&c);
	return 0;
}
