/*
 * fuzz_versions.c: libFuzzer harness for the decoding rules of interface
 * evolution, over the messages of version 2 of tests/evolution/v2/evo.idl
 * (version_table.h): frames of earlier and later versions, cut known parts
 * of frames above the receiver's maximum, flexible enums, bits and unions
 * with their envelopes.
 *
 * Input: byte 0 selects the message (modulo the table size), byte 1 the
 * number of handles that came with the frame (modulo 5; evo declares none,
 * but an unknown union variant may claim some), the rest is the untrusted
 * shared memory, in a buffer of exactly its size; the private copy is one of
 * exactly the message's MAX_BYTES, so AddressSanitizer sees any access past
 * either.
 *
 * A frame that decodes must give a view that encodes, unless it holds a
 * variant this version does not know with out-of-line bytes or handles
 * (IDL_E_INVALID_ARGUMENT: such a variant cannot be passed on); a frame of
 * the receiver's own version must be canonical (the encoding of its view is
 * the same bytes); and an encoding of any view decodes again to a view that
 * encodes to the same bytes.
 */
#include "version_table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_HANDLES 4u

static void fail(const fuzz_message *m, const char *what)
{
	fprintf(stderr, "fuzz_versions: %s: %s\n", m->name, what);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	const fuzz_message *m = &messages[data[0] % MESSAGE_COUNT];
	idl_typed_handle received[FUZZ_HANDLES];
	uint32_t handle_count = data[1] % (FUZZ_HANDLES + 1);
	for (uint32_t i = 0; i < handle_count; i++)
		received[i] = (idl_typed_handle){0x1001u * (i + 1), IDL_KIND_ANY};
	size_t available = size - 2;

	uint8_t *shared = malloc(available > 0 ? available : 1);
	uint8_t *buf = malloc(m->max_bytes);
	uint8_t *again = malloc(m->max_bytes);
	uint8_t *out = malloc(m->max_bytes);
	uint8_t *out2 = malloc(m->max_bytes);
	if (shared == NULL || buf == NULL || again == NULL || out == NULL || out2 == NULL)
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
		if (h->size > available)
			fail(m, "decoded frame larger than its input");
		bool own_version = h->inline_size == m->inline_bytes && h->size <= m->max_bytes;
		idl_typed_handle handles[IDL_MAX_HANDLES];
		uint32_t count = 0;
		int64_t n = m->encode(view, h->txid, out, m->max_bytes, handles, &count);
		if (n < 0 && n != IDL_E_INVALID_ARGUMENT) {
			fprintf(stderr, "fuzz_versions: encode error %lld\n", (long long)n);
			fail(m, "a decoded view does not encode");
		}
		if (n >= 0 && own_version &&
		    ((uint64_t)n != h->size || memcmp(out, shared, (size_t)n) != 0))
			fail(m, "a frame of the receiver's version is not canonical");
		if (n >= 0) {
			const void *view2 = NULL;
			err =
			    m->decode(out, (size_t)n, again, m->max_bytes, handles, count, &view2);
			if (err != IDL_OK) {
				fprintf(stderr, "fuzz_versions: second decode error %d\n", err);
				fail(m, "an encoded view does not decode");
			}
			uint32_t count2 = 0;
			int64_t n2 =
			    m->encode(view2, h->txid, out2, m->max_bytes, handles, &count2);
			if (n2 != n || memcmp(out, out2, (size_t)n) != 0 || count2 != count)
				fail(m, "encode(decode(encode(view))) differs from encode(view)");
		}
	}

	free(out2);
	free(out);
	free(again);
	free(buf);
	free(shared);
	return 0;
}
