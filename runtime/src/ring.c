/*
 * ring.c: one ring of length-prefixed idl frames in shared memory, one
 * producer and one consumer, each possibly hostile to the other.
 *
 * A record is a frame (its first u32 is its size, a multiple of 8, at least
 * a frame header) followed by the frame's handle words, padded to 8 bytes.
 * Records never wrap: a producer that lacks contiguous room before the
 * ring's end writes a padding record (length word IDL_RING_PAD | bytes to
 * the end) and starts the frame at offset 0, so encoders always write one
 * contiguous frame straight into the ring.
 *
 * Both indices are free-running u32 byte counts; head - tail is what is
 * published and not yet consumed. Each side keeps its own index privately
 * and never reads it back. The peer's index is read with one acquire load
 * per batch (load_head, load_tail), and a value that could not come from a
 * well-behaved peer is IDL_E_PROTOCOL before anything uses it. A lazy
 * consumer (a server draining a batch) stores its tail once per batch, in
 * idl_ring_publish.
 *
 * Every frame passes through idl_ring_reserve and idl_ring_read, so each
 * starts with its common case: room before the ring's end and no rewind
 * due; a frame of the batch loaded last, without handle words, that fits
 * the caller's buffer. Those common cases, and the consumer's look for a
 * frame, are inline in idl/channel.h; this file has the rest: loading and
 * checking the peer's index, padding, rewinds, handle words, frames for
 * the scratch buffer or too big.
 */
#include "idl/assert.h"
#include "idl/channel.h"

/* The single read of a record's length word. */
static uint32_t load_length_once(const uint8_t *p)
{
	return *(const volatile uint32_t *)p;
}

/* The single read of a frame's handle count, when the frame is skipped
 * without being copied. */
static uint8_t load_handle_count_once(const uint8_t *frame)
{
	return *(const volatile uint8_t *)(frame + offsetof(idl_frame_header, handle_count));
}

/* Producer: the consumer's tail, loaded once and checked. */
static int load_tail(idl_ring *r)
{
	uint32_t tail = atomic_load_explicit(r->tail, memory_order_acquire);
	uint32_t used = r->own - tail;
	if (used > r->bytes || (used & (IDL_FRAME_ALIGN - 1)) != 0)
		return IDL_E_PROTOCOL;
	/* The tail only moves forward, and only over what was published. */
	if (tail - r->peer > r->own - r->peer)
		return IDL_E_PROTOCOL;
	r->peer = tail;
	return IDL_OK;
}

/* Consumer: the producer's head, loaded once and checked. */
static int load_head(idl_ring *r)
{
	uint32_t head = atomic_load_explicit(r->head, memory_order_acquire);
	uint32_t used = head - r->own;
	if (used > r->bytes || (used & (IDL_FRAME_ALIGN - 1)) != 0)
		return IDL_E_PROTOCOL;
	/* Published records cannot be taken back. */
	if (used < r->peer - r->own)
		return IDL_E_PROTOCOL;
	r->peer = head;
	return IDL_OK;
}

/* Bytes a reservation of `bytes` takes at the producer's position, padding
 * included. */
static uint32_t needed(const idl_ring *r, uint32_t bytes, uint32_t *pad)
{
	uint32_t contiguous = r->bytes - (r->own & (r->bytes - 1));
	*pad = contiguous >= bytes ? 0 : contiguous;
	return *pad + bytes;
}

static bool fits(const idl_ring *r, uint32_t bytes, uint32_t *pad)
{
	uint32_t free_bytes = r->bytes - (r->own - r->peer);
	return needed(r, bytes, pad) <= free_bytes;
}

int idl_ring_can_reserve_slow(idl_ring *r, uint32_t bytes)
{
	uint32_t pad;
	if (bytes > r->bytes / 2)
		return IDL_E_INVALID_ARGUMENT;
	if (fits(r, bytes, &pad))
		return IDL_OK;
	int err = load_tail(r);
	if (err != IDL_OK)
		return err;
	return fits(r, bytes, &pad) ? IDL_OK : IDL_E_WOULD_BLOCK;
}

/* Padding that starts the reservation at offset 0 again, or 0 to stay
 * (IDL_RING_REWIND_AT says why). The padding must end before the frame
 * would reach it, so offset >= bytes. */
static int rewind_pad(idl_ring *r, uint32_t bytes, uint32_t *pad)
{
	uint32_t offset = r->own & (r->bytes - 1);
	*pad = 0;
	if (offset < IDL_RING_REWIND_AT || offset < bytes ||
	    (int32_t)(r->own - r->retry_rewind) < 0)
		return IDL_OK;
	if (r->own != r->peer) {
		int err = load_tail(r);
		if (err != IDL_OK)
			return err;
	}
	if (r->own == r->peer)
		*pad = r->bytes - offset;
	/* Free-running like the indices and compared by difference: it stays
	 * within IDL_RING_REWIND_AT ahead of `own` and is passed within a lap. */
	r->retry_rewind = r->own + *pad + IDL_RING_REWIND_AT;
	return IDL_OK;
}

int idl_ring_reserve_slow(idl_ring *r, uint32_t bytes, void **out)
{
	/* The full answer, not the inline shortcut: idl_ring_reserve has just
	 * found the cheap cases wanting. */
	int err = idl_ring_can_reserve_slow(r, bytes);
	if (err != IDL_OK)
		return err;
	uint32_t pad;
	(void)fits(r, bytes, &pad);
	if (pad == 0) {
		err = rewind_pad(r, bytes, &pad);
		if (err != IDL_OK)
			return err;
	}
	if (pad != 0) {
		/* Published together with the frame by idl_ring_commit. */
		*(volatile uint32_t *)(r->data + (r->own & (r->bytes - 1))) = IDL_RING_PAD | pad;
	}
	r->pad = pad;
	r->reserved = bytes;
	*out = r->data + ((r->own + pad) & (r->bytes - 1));
	return IDL_OK;
}

/* The ring looked empty at the last look: look at the head again. */
bool idl_ring_ready_slow(idl_ring *r)
{
	if (load_head(r) != IDL_OK)
		return true;
	return r->own != r->peer;
}

bool idl_ring_poll(idl_ring *r)
{
	if (r->own != r->peer)
		return true;
	/* Where the next record will start, asked for before each look at the
	 * head, not after a look that found nothing: the producer stores the
	 * record before the head, so the look that finds the head moved has
	 * the record's line on its way beside it. Asked for after the look,
	 * the line had last come a pause earlier, often before the record was
	 * written, and came again after the head's, one crossing later
	 * (docs/benchmarks.md, "The record's line asked for first"). */
	__builtin_prefetch(r->data + (r->own & (r->bytes - 1)));
	return idl_ring_ready_slow(r);
}

/* The rest of a record whose frame is already in f->at: its handle words
 * (handle_count of them, from the private copy), then the tail. */
static int finish_record(idl_ring *r, idl_ring_frame *f, uint32_t length, uint32_t handle_count)
{
	uint32_t used = r->peer - r->own;
	uint32_t contiguous = r->bytes - (r->own & (r->bytes - 1));
	if (handle_count > IDL_MAX_HANDLES)
		return IDL_E_PROTOCOL;
	uint32_t record = length + (uint32_t)idl_align8(4u * handle_count);
	if (record > used || record > contiguous)
		return IDL_E_PROTOCOL;
	/* Word by word, each read once: a few words, where gcc makes a
	 * bounded memcpy a `rep movsq` that costs more to start than this. */
	const volatile uint32_t *words =
	    (const volatile uint32_t *)(r->data + (r->own & (r->bytes - 1)) + length);
	for (uint32_t i = 0; i < handle_count; i++)
		f->wire[i] = words[i];
	idl_ring_advance(r, record);
	f->size = length;
	f->handle_count = handle_count;
	return f->at == NULL ? IDL_E_FRAME_TOO_LARGE : IDL_OK;
}

int idl_ring_read_handles(idl_ring *r, idl_ring_frame *f, uint32_t length)
{
	return finish_record(r, f, length, ((const idl_frame_header *)f->at)->handle_count);
}

/* One record whose length word, at the consumer's offset, was read once:
 * `length`. */
static int read_record(idl_ring *r, idl_ring_frame *f, uint32_t length)
{
	IDL_ASSERT(r->peer - r->own <= r->bytes); /* load_head refused anything more */
	const uint8_t *at = r->data + (r->own & (r->bytes - 1));
	if (!idl_ring_frame_length_ok(r, length))
		return IDL_E_PROTOCOL;
	f->at = length <= f->buf_bytes ? f->buf : length <= f->alt_bytes ? f->alt : NULL;
	if (f->at == NULL) {
		/* A valid frame too big for this caller: skip it, but keep its
		 * handle words so the transport can release them. */
		return finish_record(r, f, length, load_handle_count_once(at));
	}
	IDL_MEMCPY(f->at, at, length);
	/* The copy is private now; the length must be the one read. */
	if (((const idl_frame_header *)f->at)->size != length)
		return IDL_E_PROTOCOL;
	return finish_record(r, f, length, ((const idl_frame_header *)f->at)->handle_count);
}

int idl_ring_read_length(idl_ring *r, idl_ring_frame *f, uint32_t length)
{
	for (;;) {
		if ((length & IDL_RING_PAD) == 0)
			return read_record(r, f, length);
		/* Padding must run exactly to the ring's end. */
		uint32_t contiguous = r->bytes - (r->own & (r->bytes - 1));
		if ((length & ~IDL_RING_PAD) != contiguous || contiguous > r->peer - r->own)
			return IDL_E_PROTOCOL;
		idl_ring_advance(r, contiguous);
		if (r->own == r->peer) {
			int err = load_head(r);
			if (err != IDL_OK)
				return err;
			if (r->own == r->peer)
				return IDL_E_WOULD_BLOCK;
		}
		length = load_length_once(r->data + (r->own & (r->bytes - 1)));
	}
}

int idl_ring_read_slow(idl_ring *r)
{
	int err = load_head(r);
	if (err != IDL_OK)
		return err;
	return r->own == r->peer ? IDL_E_WOULD_BLOCK : IDL_OK;
}
