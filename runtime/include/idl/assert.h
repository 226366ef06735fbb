/*
 * idl/assert.h: IDL_ASSERT(cond) states what an earlier stage or a caller
 * guarantees (SQLite's habit), so that the code says its invariants and a
 * broken one stops at once instead of corrupting what follows.
 *
 * Freestanding by default: a failed assertion traps (__builtin_trap), with
 * no libc to call, as in the runtime and a kernel. A hosted program (the
 * compiler) defines IDL_ASSERT_HOSTED to print file:line and abort. The
 * checks stay in optimized builds (NDEBUG does not remove them: a compare
 * and a branch cost little, and the tests run optimized); IDL_NO_ASSERT
 * removes them, leaving the condition unevaluated.
 */
#ifndef IDL_ASSERT_H
#define IDL_ASSERT_H

/* The runtime and the compiler share it: it needs nothing of either. */

#if defined(IDL_NO_ASSERT)
#define IDL_ASSERT(cond) ((void)sizeof(!(cond)))
#elif defined(IDL_ASSERT_HOSTED)
#include <stdio.h>
#include <stdlib.h>
#define IDL_ASSERT(cond)                                                                           \
	((cond) ? (void)0                                                                          \
	        : (fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__, __LINE__, #cond),    \
	           abort()))
#else
#define IDL_ASSERT(cond) ((cond) ? (void)0 : __builtin_trap())
#endif

#endif
