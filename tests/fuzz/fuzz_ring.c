/*
 * fuzz_ring.c: libFuzzer harness for the runtime's ring parser, the code
 * that reads what a hostile peer wrote into shared memory.
 *
 * Input: [u32 reply-ring head][u32 request-ring tail][reply ring bytes...]
 * [u8 frames of our own], the last byte only when the input runs past the
 * ring. A channel is formatted, then everything the peer (a server) could
 * write is replaced by the input: the reply ring's producer index, its
 * bytes, and the consumer index of the request ring. The client then takes
 * frames until the ring says stop, sends up to 63 frames of 64 bytes of its
 * own (so that a reservation may look for an empty ring to rewind, and
 * load the hostile tail there), and reserves room to send. The region is a
 * buffer of exactly its size, so AddressSanitizer sees any access outside
 * it; every result must be a defined idl_error, and a protocol error must
 * stick: once the peer is caught, nothing more is read.
 *
 * The same bytes then stand for a hostile client's: its request ring and
 * its producer index, which a server's end takes frames from within a pass
 * of the server loop (idl_chan_end_take: an inline path for small frames,
 * out-of-line ones for the rest), into a buffer whose size the input picks,
 * so that frames too big for it are skipped. The same rules hold, and the
 * channel stays closed once caught.
 */
#include "idl/endpoint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RING_BYTES 4096u /* > IDL_RING_REWIND_AT, so that rewinds happen */
#define MAX_FRAME  256u

static uint32_t load32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static void fail(const char *what, int err)
{
	fprintf(stderr, "fuzz_ring: %s (%d: %s)\n", what, err, idl_error_name(err));
	abort();
}

/*
 * One result of a take, against the rules above: a frame (within the
 * limits, and never after a protocol error), the ring empty (false: stop
 * taking), a protocol error (*caught), a frame too big for the buffer, or
 * `also` (another defined error the caller may get). Anything else fails.
 */
static bool judge(int err, bool within_limits, int also, bool *caught)
{
	if (err == IDL_OK) {
		if (*caught)
			fail("a frame after a protocol error", err);
		if (!within_limits)
			fail("a frame outside the limits", err);
		return true;
	}
	if (err == IDL_E_WOULD_BLOCK)
		return false;
	if (err == IDL_E_PROTOCOL)
		*caught = true;
	else if (err != IDL_E_FRAME_TOO_LARGE && err != also)
		fail("an unexpected result of a take", err);
	return true;
}

/* The server's side: a hostile client wrote the request ring. */
static void fuzz_server_take(const uint8_t *data, size_t size)
{
	size_t region_bytes = idl_chan_region_bytes(RING_BYTES);
	uint8_t *region = aligned_alloc(IDL_CACHE_LINE, region_bytes);
	if (region == NULL)
		return;
	memset(region, 0, region_bytes);
	if (idl_chan_format(region, region_bytes, RING_BYTES, MAX_FRAME) != IDL_OK)
		fail("format", IDL_E_BUFFER);
	static _Alignas(IDL_CACHE_LINE) idl_chan_end server;
	if (idl_chan_end_init(&server, region, region_bytes, IDL_CHAN_SERVER) != IDL_OK)
		fail("end init", IDL_E_BUFFER);
	server.nonblock = true;
	server.batching = true; /* as idl_server's pass takes */
	server.rx.lazy = true;

	/* What the hostile client controls. */
	idl_chan_shared *chan = (idl_chan_shared *)region;
	atomic_store(&chan->req_head, load32(data));
	atomic_store(&chan->rep_tail, load32(data + 4));
	size_t ring = size - 8 < RING_BYTES ? size - 8 : RING_BYTES;
	memcpy(region + IDL_CHAN_RINGS_OFFSET, data + 8, ring);

	/* A buffer of 16 to 256 bytes, from the input: frames bigger than it
	 * are skipped. */
	static _Alignas(8) uint8_t buf[MAX_FRAME];
	size_t buf_bytes = 16u + 8u * (data[4] % 31u);
	bool caught = false;
	for (int i = 0; i < 64; i++) {
		idl_typed_handle handles[IDL_MAX_HANDLES];
		uint32_t count = (i & 1) != 0 ? IDL_MAX_HANDLES : 2u;
		size_t got = 0;
		int err = idl_chan_end_take(&server, buf, buf_bytes, &got, handles, &count);
		if ((i & 7) == 7)
			idl_chan_end_flush(&server); /* a pass ends */
		if (caught && err != IDL_E_PROTOCOL)
			fail("a take after a protocol error", err);
		bool within = got >= IDL_FRAME_HEADER_BYTES && got <= buf_bytes && got % 8 == 0 &&
		              count <= IDL_MAX_HANDLES;
		if (!judge(err, within, IDL_E_HANDLE_COUNT, &caught))
			break;
	}
	idl_chan_end_flush(&server);
	free(region);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 8)
		return 0;
	fuzz_server_take(data, size);
	size_t region_bytes = idl_chan_region_bytes(RING_BYTES);
	uint8_t *region = aligned_alloc(IDL_CACHE_LINE, region_bytes);
	if (region == NULL)
		return 0;
	memset(region, 0, region_bytes);
	if (idl_chan_format(region, region_bytes, RING_BYTES, MAX_FRAME) != IDL_OK)
		fail("format", IDL_E_BUFFER);
	idl_chan_shared *chan = (idl_chan_shared *)region;
	idl_ring tx, rx;
	idl_chan_rings(chan, IDL_CHAN_CLIENT, RING_BYTES, MAX_FRAME, &tx, &rx);

	/* What the hostile server controls. */
	atomic_store(&chan->rep_head, load32(data));
	atomic_store(&chan->req_tail, load32(data + 4));
	size_t ring = size - 8 < RING_BYTES ? size - 8 : RING_BYTES;
	memcpy(region + IDL_CHAN_RINGS_OFFSET + RING_BYTES, data + 8, ring);

	static _Alignas(8) uint8_t buf[MAX_FRAME];
	bool caught = false;
	for (int i = 0; i < 64; i++) {
		idl_ring_frame f = {.buf = buf, .buf_bytes = sizeof(buf)};
		int err = idl_ring_read(&rx, &f);
		bool within = f.size >= IDL_FRAME_HEADER_BYTES && f.size <= sizeof(buf) &&
		              f.size % 8 == 0 && f.handle_count <= IDL_MAX_HANDLES;
		if (!judge(err, within, IDL_E_FRAME_TOO_LARGE, &caught))
			break;
	}

	void *room;
	uint32_t ours = size > 8 + RING_BYTES ? data[8 + RING_BYTES] % 64u : 0;
	for (uint32_t i = 0; i < ours; i++) {
		if (idl_ring_reserve(&tx, 64, &room) != IDL_OK)
			break;
		memset(room, 0x5a, 64);
		idl_ring_commit(&tx, 64);
	}
	int err = idl_ring_reserve(&tx, 64, &room);
	if (err == IDL_OK) {
		if ((uint8_t *)room < region + IDL_CHAN_RINGS_OFFSET ||
		    (uint8_t *)room + 64 > region + IDL_CHAN_RINGS_OFFSET + RING_BYTES)
			fail("room outside the request ring", err);
		memset(room, 0xa5, 64);
		idl_ring_commit(&tx, 0);
	} else if (err != IDL_E_WOULD_BLOCK && err != IDL_E_PROTOCOL) {
		fail("an unexpected result from idl_ring_reserve", err);
	}
	free(region);
	return 0;
}
