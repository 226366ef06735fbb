/*
 * test_versions.c: the decoding rules that interface evolution added
 * (docs/evolution.md, docs/wire-format.md), frame by frame, against the
 * code idlc generates for version 2 of tests/evolution/v2/evo.idl. Frames
 * of an earlier version are written by the same code's _encode_version;
 * frames of a later version, and hostile ones, are patched by hand from
 * valid encodings. Each hostile frame expects its rule's own error code.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "evo.h"

#define WIRE_BYTES (EVO_STORE_MAX_FRAME_BYTES + 1024u)

static _Alignas(8) uint8_t g_wire[WIRE_BYTES];
static _Alignas(8) uint8_t g_priv[WIRE_BYTES];

#define HDR ((idl_frame_header *)g_wire)

static size_t checked(int64_t n)
{
	assert_true(n >= (int64_t)IDL_FRAME_HEADER_BYTES);
	return (size_t)n;
}

/* Decodes g_wire (avail bytes, no handles) as T, expecting code. */
#define EXPECT(T, avail, code)                                                                     \
	do {                                                                                       \
		const T *out_ = NULL;                                                              \
		memset(g_priv, 0, sizeof(g_priv));                                                 \
		assert_int_equal(                                                                  \
		    T##_decode(g_wire, (avail), g_priv, sizeof(g_priv), NULL, 0, &out_), (code));  \
		if ((code) != IDL_OK)                                                              \
			assert_null(out_);                                                         \
		else                                                                               \
			assert_ptr_equal(out_, g_priv);                                            \
	} while (0)

/* The decoded message in g_priv after an EXPECT(..., IDL_OK). */
#define DECODED(T) ((const T *)g_priv)

static const evo_store_put_request g_put = {
    .name = {.size = 3, .data = "abc"},
    .value = 7,
    .mode = EVO_MODE_FAST,
    .priority = 9,
    .tag = {.size = 1, .data = "t"},
    .mode2 = EVO_MODE_FAST,
};

/* put as version 2 writes it: inline part 72, then "abc" and "t", 8 bytes each. */
static size_t put_v2(void)
{
	memset(g_wire, 0, sizeof(g_wire));
	return checked(evo_store_put_request_encode(&g_put, 1, g_wire, sizeof(g_wire), NULL, NULL));
}

/* put as version 1 writes it: inline part 48 (no priority, tag, mode2), then "abc". */
static size_t put_v1(void)
{
	memset(g_wire, 0, sizeof(g_wire));
	return checked(
	    evo_store_put_request_encode_version(&g_put, 1, 1, g_wire, sizeof(g_wire), NULL, NULL));
}

#define PUT_V1_INLINE 48u
#define PUT_V2_INLINE ((uint32_t)sizeof(evo_store_put_request))

/*
 * put as a later version would write it: version 2's inline part, then
 * `extra` bytes of an inline field version 2 does not know, then version
 * 2's blocks, then one block of `tail` bytes for the unknown field, which
 * canonical order puts after the blocks of every known field.
 */
static size_t put_later(uint32_t extra, uint32_t tail)
{
	size_t n = put_v2();
	static uint8_t ool[WIRE_BYTES];
	size_t ool_bytes = n - PUT_V2_INLINE;
	memcpy(ool, g_wire + PUT_V2_INLINE, ool_bytes);
	memset(g_wire + PUT_V2_INLINE, 0x5a, extra);
	memcpy(g_wire + PUT_V2_INLINE + extra, ool, ool_bytes);
	memset(g_wire + PUT_V2_INLINE + extra + ool_bytes, 0xa5, tail);
	n += extra + tail;
	HDR->size = (uint32_t)n;
	HDR->inline_size = PUT_V2_INLINE + extra;
	return n;
}

static void test_own_version(void **state)
{
	(void)state;
	size_t n = put_v2();
	assert_int_equal(HDR->inline_size, PUT_V2_INLINE);
	EXPECT(evo_store_put_request, n, IDL_OK);
	const evo_store_put_request *m = DECODED(evo_store_put_request);
	assert_true(IDL_HAS_FIELD(m, priority));
	assert_false(IDL_HAS_UNKNOWN_FIELDS(m));
	assert_int_equal(m->priority, 9);
	assert_string_equal(m->tag.data, "t");
}

/* An earlier sender's frame: widened, the fields it lacks at their defaults. */
static void test_earlier_version(void **state)
{
	(void)state;
	size_t n = put_v1();
	assert_int_equal(n, PUT_V1_INLINE + 8);
	assert_int_equal(HDR->inline_size, PUT_V1_INLINE);
	EXPECT(evo_store_put_request, n, IDL_OK);
	const evo_store_put_request *m = DECODED(evo_store_put_request);
	assert_false(IDL_HAS_FIELD(m, priority));
	assert_false(IDL_HAS_UNKNOWN_FIELDS(m));
	assert_string_equal(m->name.data, "abc");
	assert_int_equal(m->value, 7);
	assert_int_equal(m->priority, 4);          /* declared default */
	assert_int_equal(m->mode2, EVO_MODE_SAFE); /* declared default */
	assert_int_equal(m->tag.size, 0);          /* no default: the empty string */
	assert_non_null(m->tag.data);
	assert_int_equal(m->tag.data[0], 0);
	/* The earlier version's own fields are checked as strictly as ever. */
	put_v1();
	g_wire[offsetof(evo_store_put_request, mode)] = 9; /* a strict enum */
	EXPECT(evo_store_put_request, n, IDL_E_ENUM);
	put_v1();
	g_wire[offsetof(evo_store_put_request, mode) + 1] = 1; /* padding */
	EXPECT(evo_store_put_request, n, IDL_E_PADDING);
	put_v1();
	g_wire[PUT_V1_INLINE + 3] = 'x'; /* the name's NUL */
	EXPECT(evo_store_put_request, n, IDL_E_STRING);
}

/* _validate works in place: an earlier version's frame grows by the fields
 * it lacks, so the buffer must have room for them, and says so when it has
 * not (the buffers are exactly the sizes named, for ASan to see past them). */
static void test_validate_in_place(void **state)
{
	(void)state;
	size_t n = put_v1();
	size_t grown = n + PUT_V2_INLINE - PUT_V1_INLINE;
	uint8_t *exact = test_malloc(n);
	memcpy(exact, g_wire, n);
	assert_int_equal(evo_store_put_request_validate(exact, n, n, NULL, 0), IDL_E_BUFFER);
	assert_int_equal(evo_store_put_request_validate(exact, n, n - 8, NULL, 0), IDL_E_BUFFER);
	assert_memory_equal(exact, g_wire, n); /* refused before any change */
	test_free(exact);

	uint8_t *room = test_malloc(grown);
	memcpy(room, g_wire, n);
	assert_int_equal(evo_store_put_request_validate(room, n, grown, NULL, 0), IDL_OK);
	const evo_store_put_request *m = (const evo_store_put_request *)room;
	assert_string_equal(m->name.data, "abc");
	assert_int_equal(m->priority, 4);
	test_free(room);

	/* An event goes the same way through the event dispatcher, which is
	 * told the room by the runtime (idl_event_fn's frame_max). */
	static const evo_store_changed_event v1_event = {.slot = 3};
	n = checked(evo_store_changed_event_encode_version(&v1_event, 1, 0, g_wire, sizeof(g_wire),
	                                                   NULL, NULL));
	static const evo_store_event_handlers none = {0};
	exact = test_malloc(n);
	memcpy(exact, g_wire, n);
	assert_int_equal(evo_store_event_dispatch(&none, NULL, exact, n, n, NULL, 0), IDL_E_BUFFER);
	test_free(exact);
	room = test_malloc(sizeof(evo_store_changed_event));
	memcpy(room, g_wire, n);
	assert_int_equal(evo_store_event_dispatch(&none, NULL, room, n,
	                                          sizeof(evo_store_changed_event), NULL, 0),
	                 IDL_E_NO_HANDLER);
	test_free(room);

	/* A frame of the receiver's own version needs no more than its bytes. */
	n = put_v2();
	exact = test_malloc(n);
	memcpy(exact, g_wire, n);
	assert_int_equal(evo_store_put_request_validate(exact, n, n, NULL, 0), IDL_OK);
	test_free(exact);
}

/* The inline size names a version: aligned, within the frame, and, when
 * smaller than the receiver's, one of its earlier versions' exactly. */
static void test_inline_size(void **state)
{
	(void)state;
	size_t n = put_v2();
	HDR->inline_size = PUT_V1_INLINE + 8; /* between version 1 and 2 */
	EXPECT(evo_store_put_request, n, IDL_E_INLINE_SIZE);
	HDR->inline_size = PUT_V2_INLINE - 4; /* not a multiple of 8 */
	EXPECT(evo_store_put_request, n, IDL_E_INLINE_SIZE);
	HDR->inline_size = 8; /* inside the header */
	EXPECT(evo_store_put_request, n, IDL_E_INLINE_SIZE);
	HDR->inline_size = (uint32_t)n + 8; /* beyond the frame */
	EXPECT(evo_store_put_request, n, IDL_E_MESSAGE_SHORT);
	n = put_v1();
	HDR->inline_size = 40; /* version 1's message has no 40-byte form */
	EXPECT(evo_store_put_request, n, IDL_E_INLINE_SIZE);
}

/* An earlier version's frame may not bring more out-of-line bytes than the
 * receiver's version could hold after widening. */
static void test_earlier_version_too_large(void **state)
{
	(void)state;
	put_v1();
	/* 104 bytes after version 1's inline part; version 2's blocks take at
	 * most 72 + 24 = 96. */
	size_t n = PUT_V1_INLINE + 104;
	HDR->size = (uint32_t)n;
	EXPECT(evo_store_put_request, n, IDL_E_FRAME_TOO_LARGE);
}

/* A later sender's frame: the known fields are read and checked, the rest
 * is left, and the receiver can tell that something was. */
static void test_later_version(void **state)
{
	(void)state;
	size_t n = put_later(8, 8);
	EXPECT(evo_store_put_request, n, IDL_OK);
	const evo_store_put_request *m = DECODED(evo_store_put_request);
	assert_true(IDL_HAS_UNKNOWN_FIELDS(m));
	assert_string_equal(m->name.data, "abc");
	assert_string_equal(m->tag.data, "t");
	assert_int_equal(m->priority, 9);
	/* The known fields stay fully checked. */
	n = put_later(8, 8);
	g_wire[offsetof(evo_store_put_request, mode2)] = 7; /* a strict enum */
	EXPECT(evo_store_put_request, n, IDL_E_ENUM);
	n = put_later(8, 8);
	((evo_store_put_request *)g_wire)->tag.offset = 4;
	EXPECT(evo_store_put_request, n, IDL_E_ALIGNMENT);
	n = put_later(8, 8);
	g_wire[PUT_V2_INLINE + 8 + 2] = 0; /* a NUL inside "abc" */
	EXPECT(evo_store_put_request, n, IDL_E_STRING);
}

/* A later version's frame larger than the receiver's largest: only its
 * known part is copied. A frame of the receiver's own version that large
 * is no version's. */
static void test_later_version_above_our_maximum(void **state)
{
	(void)state;
	size_t n = put_later(16, 400);
	assert_true(n > EVO_STORE_PUT_REQUEST_MAX_BYTES);
	EXPECT(evo_store_put_request, n, IDL_OK);
	const evo_store_put_request *m = DECODED(evo_store_put_request);
	assert_true(IDL_HAS_UNKNOWN_FIELDS(m));
	assert_string_equal(m->name.data, "abc");
	assert_string_equal(m->tag.data, "t");
	/* Only an inline size that is a multiple of 8 makes such a frame a
	 * later version's: with any other it is too large, not cut. */
	n = put_later(16, 400);
	HDR->inline_size = PUT_V2_INLINE + 12;
	EXPECT(evo_store_put_request, n, IDL_E_FRAME_TOO_LARGE);
	/* ... and so does an inline size no larger than the frame. */
	n = put_later(16, 400);
	HDR->inline_size = (uint32_t)n + 8;
	EXPECT(evo_store_put_request, n, IDL_E_FRAME_TOO_LARGE);

	n = put_v2();
	memset(g_wire + n, 0, 400);
	n += 400;
	HDR->size = (uint32_t)n;
	EXPECT(evo_store_put_request, n, IDL_E_FRAME_TOO_LARGE);

	/* _validate given a known part (a size field above the bytes given):
	 * the bytes after the receiver's inline part are the sender's
	 * out-of-line part's first, so no more than it. Here 16 bytes follow
	 * version 2's inline part, and the sender's inline part is 8 or 16
	 * bytes larger, its out-of-line part 16 or 8 bytes. */
	n = put_v2();
	idl_frame_header *cut = (idl_frame_header *)g_priv;
	memcpy(g_priv, g_wire, n);
	cut->size = (uint32_t)n + 8;
	cut->inline_size = PUT_V2_INLINE + 8;
	assert_int_equal(evo_store_put_request_validate(g_priv, n, sizeof(g_priv), NULL, 0),
	                 IDL_OK);
	memcpy(g_priv, g_wire, n);
	cut->size = (uint32_t)n + 8;
	cut->inline_size = PUT_V2_INLINE + 16;
	assert_int_equal(evo_store_put_request_validate(g_priv, n, sizeof(g_priv), NULL, 0),
	                 IDL_E_FRAME_SIZE);
}

/* paint(color, perm, mark): flexible enum, bits and union. */
static size_t paint(uint8_t tag)
{
	memset(g_wire, 0, sizeof(g_wire));
	evo_store_paint_request p = {
	    .color = EVO_COLOR_RED, .perm = EVO_PERM_READ, .mark = {.tag = tag, .dot = 5}};
	return checked(evo_store_paint_request_encode(&p, 1, g_wire, sizeof(g_wire), NULL, NULL));
}

#define PAINT ((evo_store_paint_request *)g_wire)

static void test_flexible_values_are_kept(void **state)
{
	(void)state;
	size_t n = paint(EVO_MARK_DOT);
	PAINT->color = (evo_color)77;
	PAINT->perm = (evo_perm)0x80000001u;
	EXPECT(evo_store_paint_request, n, IDL_OK);
	assert_int_equal(DECODED(evo_store_paint_request)->color, 77);
	assert_int_equal(DECODED(evo_store_paint_request)->perm, 0x80000001u);
	assert_false(evo_color_is_valid(DECODED(evo_store_paint_request)->color));
}

/* A variant the receiver does not know is kept, its payload unread, and
 * its envelope says what to step over; every count in it is checked. */
static void test_flexible_union_envelope(void **state)
{
	(void)state;
	size_t n = paint(EVO_MARK_DOT);
	PAINT->mark.tag = 9;
	EXPECT(evo_store_paint_request, n, IDL_OK);
	assert_int_equal(DECODED(evo_store_paint_request)->mark.tag, 9);

	/* An unknown variant with a block of its own: stepped over. */
	n = paint(EVO_MARK_DOT);
	PAINT->mark.tag = 9;
	PAINT->mark.envelope.bytes = 16;
	memset(g_wire + n, 0x77, 16);
	n += 16;
	HDR->size = (uint32_t)n;
	EXPECT(evo_store_paint_request, n, IDL_OK);

	n = paint(EVO_MARK_DOT);
	PAINT->mark.tag = 9;
	PAINT->mark.envelope.bytes = 4; /* not a multiple of 8 */
	EXPECT(evo_store_paint_request, n, IDL_E_ENVELOPE);
	PAINT->mark.envelope.bytes = 8; /* beyond the frame */
	EXPECT(evo_store_paint_request, n, IDL_E_ENVELOPE);
	/* not a multiple of 8, though within the frame */
	memset(g_wire + n, 0x77, 8);
	HDR->size = (uint32_t)n + 8;
	PAINT->mark.envelope.bytes = 4;
	EXPECT(evo_store_paint_request, n + 8, IDL_E_ENVELOPE);
	HDR->size = (uint32_t)n;
	PAINT->mark.envelope.bytes = 0;
	PAINT->mark.envelope.handles = 1; /* more handles than came */
	EXPECT(evo_store_paint_request, n, IDL_E_ENVELOPE);
	PAINT->mark.envelope.handles = 0;
	PAINT->mark.envelope.reserved = 1;
	EXPECT(evo_store_paint_request, n, IDL_E_RESERVED);

	/* A known variant's envelope counts exactly what the variant took. */
	n = paint(EVO_MARK_DOT);
	PAINT->mark.envelope.bytes = 8;
	memset(g_wire + n, 0, 8);
	n += 8;
	HDR->size = (uint32_t)n;
	EXPECT(evo_store_paint_request, n, IDL_E_ENVELOPE);
	n = paint(EVO_MARK_DOT);
	PAINT->mark.envelope.handles = 1; /* the variant took none */
	EXPECT(evo_store_paint_request, n, IDL_E_ENVELOPE);
	n = paint(EVO_MARK_DOT);
	PAINT->mark.envelope.reserved = 2;
	EXPECT(evo_store_paint_request, n, IDL_E_RESERVED);
	/* ... and its unused payload is zero, as in a strict union. */
	n = paint(EVO_MARK_DOT);
	g_wire[offsetof(evo_store_paint_request, mark) + 16] = 1;
	EXPECT(evo_store_paint_request, n, IDL_E_PADDING);
}

/* A "not supported" reply is the header alone, and only that; anything
 * else with its flag is a malformed reply, which closes the channel. */
static void test_not_supported_reply(void **state)
{
	(void)state;
	enum {
		H = IDL_FRAME_HEADER_BYTES
	};
	idl_frame_header request = {.size = H,
	                            .ordinal = EVO_STORE_COUNT_ORDINAL,
	                            .txid = 5,
	                            .flags = IDL_FLAG_REQUEST,
	                            .inline_size = H};
	memset(g_wire, 0, sizeof(g_wire));
	assert_int_equal(idl_not_supported_encode(&request, g_wire, sizeof(g_wire)), H);
	assert_int_equal(HDR->txid, 5);
	int flags_err = IDL_E_FLAGS; /* what the reply's decoder said */
	assert_int_equal(idl_not_supported_or(g_wire, H, EVO_STORE_COUNT_ORDINAL, 0, flags_err),
	                 IDL_E_NOT_SUPPORTED);
	/* Not the method asked. */
	assert_int_equal(idl_not_supported_or(g_wire, H, EVO_STORE_PUT_ORDINAL, 0, flags_err),
	                 IDL_E_ORDINAL);
	/* With a body. */
	HDR->size = H + 8;
	assert_int_equal(idl_not_supported_or(g_wire, H + 8, EVO_STORE_COUNT_ORDINAL, 0, flags_err),
	                 IDL_E_TRAILING);
	HDR->size = H;
	/* With handles. */
	HDR->handle_count = 1;
	assert_int_equal(idl_not_supported_or(g_wire, H, EVO_STORE_COUNT_ORDINAL, 1, flags_err),
	                 IDL_E_HANDLE_COUNT);
	HDR->handle_count = 0;
	/* An inline size that is not the header's. */
	HDR->inline_size = H - 8;
	assert_int_equal(idl_not_supported_or(g_wire, H, EVO_STORE_COUNT_ORDINAL, 0, flags_err),
	                 IDL_E_INLINE_SIZE);
	HDR->inline_size = H + 8;
	assert_int_equal(idl_not_supported_or(g_wire, H, EVO_STORE_COUNT_ORDINAL, 0, flags_err),
	                 IDL_E_MESSAGE_SHORT);
	HDR->inline_size = H;
	/* Without the flag, the decoder's own error stands. */
	HDR->flags = IDL_FLAG_REPLY | IDL_FLAG_ERROR;
	assert_int_equal(idl_not_supported_or(g_wire, H, EVO_STORE_COUNT_ORDINAL, 0, flags_err),
	                 flags_err);
}

/* An event the client does not know (a later server's) is dropped, unless
 * its header breaks the rules every event obeys. */
static void test_unknown_event(void **state)
{
	(void)state;
	memset(g_wire, 0, sizeof(g_wire));
	*HDR = (idl_frame_header){
	    .size = 32, .ordinal = 0x1234567u, .flags = IDL_FLAG_EVENT, .inline_size = 32};
	assert_int_equal(idl_unknown_event(g_wire, 32, 0), IDL_E_NOT_SUPPORTED);
	HDR->txid = 1;
	assert_int_equal(idl_unknown_event(g_wire, 32, 0), IDL_E_TXID);
	HDR->txid = 0;
	HDR->inline_size = 12;
	assert_int_equal(idl_unknown_event(g_wire, 32, 0), IDL_E_INLINE_SIZE);
	HDR->inline_size = 32;
	HDR->size = 40;
	assert_int_equal(idl_unknown_event(g_wire, 32, 0), IDL_E_FRAME_SIZE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_own_version),
	    cmocka_unit_test(test_earlier_version),
	    cmocka_unit_test(test_validate_in_place),
	    cmocka_unit_test(test_inline_size),
	    cmocka_unit_test(test_earlier_version_too_large),
	    cmocka_unit_test(test_later_version),
	    cmocka_unit_test(test_later_version_above_our_maximum),
	    cmocka_unit_test(test_flexible_values_are_kept),
	    cmocka_unit_test(test_flexible_union_envelope),
	    cmocka_unit_test(test_not_supported_reply),
	    cmocka_unit_test(test_unknown_event),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
