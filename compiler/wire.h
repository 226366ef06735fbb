/*
 * wire.h: the numbers the compiler works with, in one place: the facts of
 * the wire format, taken from idl_wire.h (the header the generated code
 * includes, so the compiler and the code it writes cannot disagree), and
 * the compiler's own limits on what a description may declare.
 */
#ifndef IDLC_WIRE_H
#define IDLC_WIRE_H

#include "support/idl_wire.h"

/* ---- the wire format (docs/wire-format.md) ---- */

/* The inline part of a string, bytes or vector: where its block is. */
#define WIRE_REF_BYTES ((uint32_t)sizeof(idl_string))
#define WIRE_REF_ALIGN 8u
/* Out-of-line blocks, inline parts and message versions end on this. */
#define WIRE_ALIGN IDL_FRAME_ALIGN
/* The envelope of a flexible union: its size, and its alignment. */
#define WIRE_ENVELOPE_BYTES ((uint32_t)sizeof(idl_envelope))
#define WIRE_ENVELOPE_ALIGN 4u

IDL_STATIC_ASSERT(sizeof(idl_bytes) == WIRE_REF_BYTES, "bytes and strings are referred to alike");

/* In a packed record, a string's or bytes' length takes as few bytes as its
 * bound needs: 1 up to 255, 2 up to 65535, else 4. */
static inline uint32_t wire_record_length_bytes(uint64_t bound)
{
	return bound <= 0xffu ? 1u : bound <= 0xffffu ? 2u : 4u;
}

/* ---- the compiler's limits ---- */

/* The largest bound of a string, bytes or vector, and of a fixed array. */
#define MAX_BOUND   0x7fffffffu
#define MAX_ORDINAL 0x7fffffffu
#define MAX_VERSION 0xffffu
/* An interface's frame limit when it sets none (@max_frame), and the
 * largest it may set: a frame's size must fit the header's u32. */
#define DEFAULT_MAX_FRAME 65536u
#define LARGEST_FRAME     0xfffffff8u
/* Inline parts and frames stay well inside the u32 size field. */
#define LARGEST_INLINE 0x7fffffffu
/* The most members a packed record has, nested structs' counted one by
 * one: each is a few lines of each of its three functions. */
#define RECORD_FIELDS_MAX 256u

#endif
