/*
 * fuzz_decoders.c: libFuzzer harness for every generated decoder.
 *
 * Input: byte 0 selects the message (modulo the table size), byte 1 the
 * number of handles that came with the frame (modulo 5), the rest is the
 * untrusted shared memory. The shared bytes live in a buffer of exactly
 * their size and the private copy in one of exactly the message's
 * MAX_BYTES, so AddressSanitizer sees any read or write past either.
 *
 * A frame that decodes must be canonical: encoding the decoded view gives
 * back the same bytes and the same handles, and those decode again. A
 * frame of a later version of the message (a larger inline size: wire
 * format 2) decodes to the fields this version knows; its view must encode
 * to a frame of this version that decodes and encodes to the same bytes
 * again, and only its header's size may exceed the message's maximum (the
 * known part was copied).
 */
#include "message_table.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_HANDLES 4u

static const idl_handle handle_values[FUZZ_HANDLES] = {0x1001, 0x2002, 0x3003, 0x4004};

/* The handles that came with the frame: byte 1 % 5 of them, with the
 * kinds byte 1 / 5 picks (handle i: (pick + i) % 5, IDL_KIND_ANY to
 * IDL_KIND_IRQ), as a transport reports them. */
static uint32_t received_handles(uint8_t byte, idl_typed_handle *handles)
{
	uint32_t count = byte % (FUZZ_HANDLES + 1);
	for (uint32_t i = 0; i < count; i++)
		handles[i] =
		    (idl_typed_handle){handle_values[i], (byte / (FUZZ_HANDLES + 1) + i) % 5};
	return count;
}

static void fail(const fuzz_message *m, const char *what)
{
	fprintf(stderr, "fuzz_decoders: %s: %s\n", m->name, what);
	abort();
}

/* Encodes a decoded view; checks the result against the frame it came from. */
static int64_t reencode(const fuzz_message *m, const void *view, const uint8_t *frame,
                        uint64_t frame_size, const idl_typed_handle *received,
                        uint32_t handle_count, uint8_t *out)
{
	idl_typed_handle handles[IDL_MAX_HANDLES];
	uint32_t count = 0;
	uint32_t txid = ((const idl_frame_header *)view)->txid;
	int64_t n = m->encode(view, txid, out, m->max_bytes, handles, &count);
	if (n < 0) {
		fprintf(stderr, "fuzz_decoders: encode error %lld\n", (long long)n);
		fail(m, "a decoded view does not encode");
	}
	if ((uint64_t)n != frame_size)
		fail(m, "re-encoded frame has a different size");
	if (memcmp(out, frame, (size_t)n) != 0)
		fail(m, "re-encoded frame has different bytes");
	if (count != handle_count)
		fail(m, "re-encoded frame has a different handle count");
	/* The same handles, and each field declares the kind the decoder took
	 * (or any kind). */
	for (uint32_t i = 0; i < count; i++) {
		if (handles[i].value != received[i].value)
			fail(m, "re-encoded frame has different handles");
		if (handles[i].kind != IDL_KIND_ANY && handles[i].kind != received[i].kind)
			fail(m, "a handle of another kind than its field's was accepted");
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	const fuzz_message *m = &messages[data[0] % MESSAGE_COUNT];
	idl_typed_handle received[FUZZ_HANDLES];
	uint32_t handle_count = received_handles(data[1], received);
	size_t available = size - 2;

	uint8_t *shared = malloc(available > 0 ? available : 1);
	uint8_t *buf = malloc(m->max_bytes);
	uint8_t *again = malloc(m->max_bytes);
	uint8_t *first = malloc(m->max_bytes);
	uint8_t *out = malloc(m->max_bytes);
	uint8_t *out2 = malloc(m->max_bytes);
	if (shared == NULL || buf == NULL || again == NULL || first == NULL || out == NULL ||
	    out2 == NULL)
		abort();
	memcpy(shared, data + 2, available);

	const void *view = NULL;
	bool agree;
	int err =
	    fuzz_decode_twice(m, shared, available, buf, received, handle_count, &view, &agree);
	if (!agree)
		fail(m, "the verdict depends on what the private buffer held before");
	if (err == IDL_OK) {
		if (view != buf)
			fail(m, "decoded view is not the private buffer");
		const idl_frame_header *h = view;
		uint64_t frame_size = h->size;
		if (frame_size > available)
			fail(m, "decoded frame larger than its input");
		bool later = h->inline_size > m->inline_bytes;
		if (!later && frame_size > m->max_bytes)
			fail(m, "decoded frame larger than the message's maximum");
		/* The bytes and handles the view must encode to: the frame itself,
		 * or, for a later version's, this version's encoding of its view. */
		const uint8_t *expected = shared;
		const idl_typed_handle *expected_handles = received;
		uint32_t expected_count = handle_count;
		idl_typed_handle own_handles[IDL_MAX_HANDLES];
		if (later) {
			uint32_t count = 0;
			int64_t n0 =
			    m->encode(view, h->txid, first, m->max_bytes, own_handles, &count);
			if (n0 < 0)
				fail(m, "a later version's view does not encode");
			if (m->decode(first, (size_t)n0, buf, m->max_bytes, own_handles, count,
			              &view) != IDL_OK)
				fail(m, "a later version's view encodes to a frame that does not "
				        "decode");
			expected = first;
			frame_size = (uint64_t)n0;
			expected_handles = own_handles;
			expected_count = count;
		}
		int64_t n =
		    reencode(m, view, expected, frame_size, expected_handles, expected_count, out);

		const void *view2 = NULL;
		err = m->decode(out, (size_t)n, again, m->max_bytes, expected_handles,
		                expected_count, &view2);
		if (err != IDL_OK) {
			fprintf(stderr, "fuzz_decoders: second decode error %d\n", err);
			fail(m, "re-encoded frame does not decode");
		}
		reencode(m, view2, expected, frame_size, expected_handles, expected_count, out2);
	}

	free(out2);
	free(out);
	free(first);
	free(again);
	free(buf);
	free(shared);
	return 0;
}
