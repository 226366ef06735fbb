/*
 * idl/channel.h: a channel is one shared region holding two rings of idl
 * frames, a request ring (client to server) and a reply/event ring (server
 * to client), with the indices and wait words of both sides.
 *
 * The byte layout (docs/runtime.md draws it):
 *
 *      0  header: magic, version, ring_bytes, max_frame_bytes (creator writes once)
 *     64  request ring head (the client writes it)
 *    128  reply ring tail (the client)
 *    192  request ring tail (the server)
 *    256  reply ring head (the server)
 *    320  notify (the server, rarely): how the client tells the server about a frame
 *    384  client idl_wake                        448  server idl_wake (per channel)
 *    512  embedded idl_doorbell (256 bytes), used when no idl_server serves the channel
 *   1024  request ring (ring_bytes)
 *   1024 + ring_bytes  reply ring (ring_bytes)
 *
 * Each index has a line of its own. A side waiting for a frame reads the
 * peer's head again and again; a store to any other word of that line
 * (its own tail, say, when it takes a frame) would take the line from the
 * waiter for nothing, and put one more transfer between a publication and
 * the waiter seeing it. A consumer that drains in batches (the server)
 * publishes its tail once per batch, not once per frame.
 *
 * Each side keeps its own index and every value it has checked in private
 * memory (idl_ring); shared memory is only ever read through the named
 * single loads in ring.c, and every value read is checked before use.
 *
 * Freestanding: <stdint.h>, <stddef.h>, <stdbool.h>, <stdatomic.h>.
 */
#ifndef IDL_CHANNEL_H
#define IDL_CHANNEL_H

#include "idl/notify.h"
#include "idl_wire.h"

#include <stddef.h>

#define IDL_CHAN_MAGIC        0x6c646943u /* "Cidl" */
#define IDL_CHAN_VERSION      5u
#define IDL_CHAN_RINGS_OFFSET 1024u

/*
 * Room for the handle list that follows a frame in the ring: one u32 per
 * handle, at most IDL_MAX_HANDLES of them.
 */
#define IDL_RING_HANDLE_ROOM (4u * IDL_MAX_HANDLES)

/* Smallest ring: a frame of max_frame_bytes plus its handles fits twice, so
 * an empty ring always has contiguous room for one (see idl_ring_reserve). */
#define IDL_RING_MIN_BYTES(max_frame_bytes) (2u * ((max_frame_bytes) + IDL_RING_HANDLE_ROOM))

/* A ring record whose length word has this bit set is padding to the ring's
 * end: the writer skipped the tail of the ring to keep a frame contiguous. */
#define IDL_RING_PAD 0x80000000u

typedef struct idl_chan_shared {
	_Alignas(IDL_CACHE_LINE) uint32_t magic;
	uint32_t version;
	uint32_t ring_bytes;      /* each ring; a power of two */
	uint32_t max_frame_bytes; /* largest frame either side may send */
	/* Free-running byte counts, each on its own line: the client writes
	 * the request head and the reply tail ... */
	_Alignas(IDL_CACHE_LINE) _Atomic uint32_t req_head;
	_Alignas(IDL_CACHE_LINE) _Atomic uint32_t rep_tail;
	/* ... and the server the request tail and the reply head. */
	_Alignas(IDL_CACHE_LINE) _Atomic uint32_t req_tail;
	_Alignas(IDL_CACHE_LINE) _Atomic uint32_t rep_head;
	/* How the client tells the server about a frame or room it made
	 * (IDL_NOTIFY_*). Each channel has its own, which no other client can
	 * write: it is what lets a server sleep with no timer. docs/runtime.md,
	 * "Waking the server", has the protocol. The server writes it only
	 * when it changes its mind, and the client reads it after every frame. */
	_Alignas(IDL_CACHE_LINE) _Atomic uint32_t notify;
	idl_wake client, server;
	idl_doorbell doorbell;
} idl_chan_shared;
_Static_assert(offsetof(idl_chan_shared, req_head) == 64, "channel layout");
_Static_assert(offsetof(idl_chan_shared, rep_tail) == 128, "channel layout");
_Static_assert(offsetof(idl_chan_shared, req_tail) == 192, "channel layout");
_Static_assert(offsetof(idl_chan_shared, rep_head) == 256, "channel layout");
_Static_assert(offsetof(idl_chan_shared, notify) == 320, "channel layout");

/*
 * The values of `notify`, from the least a client does to the most. The
 * server moves a channel to a stricter one only with a fence and a look at
 * the channel after it (idl/server.h), so that a frame published before
 * the client saw the change is seen by that look.
 */
#define IDL_NOTIFY_BIT  0u /* the server is awake: mark the channel's doorbell bit */
#define IDL_NOTIFY_NONE 1u /* the server watches this channel: it sees frames by itself */
#define IDL_NOTIFY_KICK 2u /* the server sleeps: kick it (idl_transfer_ops.kick) */
_Static_assert(offsetof(idl_chan_shared, client) == 384, "channel layout");
_Static_assert(offsetof(idl_chan_shared, server) == 448, "channel layout");
_Static_assert(offsetof(idl_chan_shared, doorbell) == 512, "channel layout");
_Static_assert(sizeof(idl_chan_shared) <= IDL_CHAN_RINGS_OFFSET, "channel header fits");

/* The largest ring idl_chan_format makes (a power of two, as every ring). */
#define IDL_CHAN_MAX_RING_BYTES 0x40000000u

/* Bytes of a channel region whose rings hold ring_bytes each. */
static inline size_t idl_chan_region_bytes(uint32_t ring_bytes)
{
	return IDL_CHAN_RINGS_OFFSET + 2 * (size_t)ring_bytes;
}

/* Where the reply ring starts in such a region: after the request ring. */
static inline size_t idl_chan_reply_ring_offset(uint32_t ring_bytes)
{
	return IDL_CHAN_RINGS_OFFSET + (size_t)ring_bytes;
}

/*
 * One side's private view of one ring. The side that produces owns `head`,
 * the side that consumes owns `tail`; the peer's index is cached in `peer`
 * after it was loaded and checked. Nothing here is read back from shared
 * memory.
 */
typedef struct idl_ring {
	uint8_t *data;          /* the ring's bytes, in shared memory */
	_Atomic uint32_t *head; /* shared producer index */
	_Atomic uint32_t *tail; /* shared consumer index */
	uint32_t bytes;         /* capacity, a power of two */
	uint32_t max_frame;     /* largest frame accepted */
	uint32_t own;           /* our index: head if we produce, tail if we consume */
	uint32_t peer;          /* the peer's index as last loaded and checked */
	uint32_t reserved;      /* producer: bytes reserved by idl_ring_reserve, padding included */
	uint32_t pad;           /* producer: padding in front of the reservation */
	uint32_t retry_rewind;  /* producer: `own` from which to look for an empty ring again */
	uint32_t published;     /* consumer: the tail last stored */
	bool lazy;              /* consumer: store the tail in idl_ring_publish, not per frame */
	bool write_ahead;       /* producer: the CPU has PREFETCHW (idl_ring_prefetch_to_write) */
} idl_ring;

/*
 * Small traffic stays at the start of a ring: once the producer's offset
 * passes IDL_RING_REWIND_AT (or the reservation's size, if larger) and the
 * consumer has taken everything, the next frame goes to offset 0 behind a
 * padding record. A synchronous channel then reuses the same few lines and
 * pages call after call, where it used to move to a new line every call and
 * to a new page every few dozen; with hundreds of channels those misses
 * were what a call cost beyond the work (docs/benchmarks.md). 2048 keeps
 * frames of up to 1 KiB of the request ring in the channel header's page.
 * While the ring is not empty the producer looks again IDL_RING_REWIND_AT
 * bytes later, so a stream pays one load of the consumer's index per
 * 2 KiB.
 */
#define IDL_RING_REWIND_AT 2048u

/*
 * A stream's lines asked for ahead, on both sides, IDL_RING_PREFETCH_AHEAD
 * bytes on (docs/benchmarks.md, "A stream's lines asked for ahead"). Each
 * line of a stream crosses from one CPU to the other, and a CPU overlaps
 * only the crossings that fit in its window of instructions: two or three
 * frames' worth of the take, decode and dispatch, or of the stub, encode
 * and send. A hint at each frame for the line this far on keeps more of
 * them on their way. Neither hint reads anything into the program, so
 * nothing in shared memory is trusted because of them.
 *
 * Both are IDL_INLINE (always inline) on purpose: gcc 12 takes a plain
 * inline function whose only effect is a prefetch for one with no effect
 * at all, and drops its calls before it would have inlined them.
 */
#define IDL_RING_PREFETCH_AHEAD 2048u

/* The consumer (a server, at each take within a pass): the line that far
 * on, if the batch it loaded reaches it. Only published bytes are asked
 * for, so the producer is never robbed of a line it is still writing. */
IDL_INLINE void idl_ring_prefetch_ahead(const idl_ring *r)
{
	if (r->peer - r->own > IDL_RING_PREFETCH_AHEAD)
		__builtin_prefetch(r->data + ((r->own + IDL_RING_PREFETCH_AHEAD) & (r->bytes - 1)));
}

/*
 * The producer (at each reservation past IDL_RING_REWIND_AT, which a
 * stream passes and a synchronous channel seldom does): the line that far
 * on, for writing, if the consumer has left it. Taking it for writing
 * early sends the consumer's stale copy away before the frame's stores
 * need it gone. Only with x86's PREFETCHW, and only where the CPU says it
 * has it (write_ahead, from CPUID when the ring is set up: a CPU without
 * it may fault on it). A plain prefetch for reading there made streams
 * three times slower, and that is what gcc makes of __builtin_prefetch for
 * writing without -mprfchw; so elsewhere nothing is asked.
 */
IDL_INLINE void idl_ring_prefetch_to_write(const idl_ring *r)
{
#if defined(__GNUC__) && defined(__x86_64__)
	uint32_t ahead = IDL_RING_PREFETCH_AHEAD + IDL_CACHE_LINE;
	if (r->own + ahead - r->peer <= r->bytes)
		__asm__ volatile("prefetchw %0" ::"m"(
		    *(r->data + ((r->own + IDL_RING_PREFETCH_AHEAD) & (r->bytes - 1)))));
#else
	(void)r;
#endif
}

/*
 * Every frame passes through idl_ring_reserve, idl_ring_commit and the
 * consumer's idl_ring_ready and idl_ring_publish, so their common cases are
 * inline: a call into ring.c and back cost as many instructions as the
 * work (docs/benchmarks.md, "The ring's common cases, inline").
 * idl_ring_reserve's is room before the ring's end, room in what the
 * consumer left when we last looked, and no rewind due (see
 * IDL_RING_REWIND_AT: none before the offset passes both 2048 and the
 * reservation, so that a stub reserving room for its largest frame, 4 KiB
 * say, stays on this path while its small frames fill the ring up to it);
 * idl_ring_reserve_slow (bytes already a multiple of 8) answers everything
 * else.
 */
int idl_ring_reserve_slow(idl_ring *r, uint32_t bytes, void **out);
/*
 * Producer side. idl_ring_reserve finds `bytes` (a multiple of 8) of
 * contiguous room and returns it in *out; when the room up to the ring's
 * end is too short it writes a padding record there (published with the
 * frame). IDL_E_WOULD_BLOCK: not enough room now. IDL_E_PROTOCOL: the
 * consumer's index is inconsistent. idl_ring_reserve_inline is its common
 * case alone (true: reserved), for a caller that must make no call on it.
 */
static inline bool idl_ring_reserve_inline(idl_ring *r, uint32_t bytes, void **out)
{
	bytes = (uint32_t)idl_align8(bytes);
	uint32_t offset = r->own & (r->bytes - 1);
	if (bytes <= r->bytes / 2 && bytes <= r->bytes - offset &&
	    r->own - r->peer <= r->bytes - bytes &&
	    (offset < IDL_RING_REWIND_AT || offset < bytes ||
	     (int32_t)(r->own - r->retry_rewind) < 0)) {
		r->pad = 0;
		r->reserved = bytes;
		*out = r->data + offset;
		if (offset >= IDL_RING_REWIND_AT && r->write_ahead)
			idl_ring_prefetch_to_write(r);
		return true;
	}
	return false;
}
static inline int idl_ring_reserve(idl_ring *r, uint32_t bytes, void **out)
{
	if (idl_ring_reserve_inline(r, bytes, out))
		return IDL_OK;
	return idl_ring_reserve_slow(r, (uint32_t)idl_align8(bytes), out);
}

/* Publishes `bytes` of the reservation (release store); 0 cancels it. */
static inline void idl_ring_commit(idl_ring *r, uint32_t bytes)
{
	if (bytes == 0 || bytes > r->reserved) {
		r->reserved = 0;
		r->pad = 0;
		r->retry_rewind = r->own; /* a cancelled rewind may be tried again */
		return;
	}
	r->own += r->pad + (uint32_t)idl_align8(bytes);
	r->reserved = 0;
	r->pad = 0;
	atomic_store_explicit(r->head, r->own, memory_order_release);
}
/*
 * IDL_OK when a reservation of `bytes` would succeed now, else
 * IDL_E_WOULD_BLOCK (or IDL_E_PROTOCOL, IDL_E_INVALID_ARGUMENT). Callers
 * ask on every frame (a server, for room for the largest reply), so the
 * common case is inline: when what was free at the last look at the tail
 * holds `bytes` twice, a reservation succeeds wherever it lands, padding
 * to the ring's end included. Otherwise idl_ring_can_reserve_slow works it
 * out, and loads the tail if it must.
 */
int idl_ring_can_reserve_slow(idl_ring *r, uint32_t bytes);
static inline int idl_ring_can_reserve(idl_ring *r, uint32_t bytes)
{
	if (bytes <= r->bytes / 2 && r->own - r->peer <= r->bytes - 2 * bytes)
		return IDL_OK;
	return idl_ring_can_reserve_slow(r, bytes);
}

/* A frame taken out of a ring into private memory. */
typedef struct idl_ring_frame {
	void *buf;             /* caller's buffer, 8-aligned */
	size_t buf_bytes;      /* its size */
	void *alt;             /* where a frame too big for buf goes (or NULL), 8-aligned */
	size_t alt_bytes;      /* its size */
	void *at;              /* out: buf or alt, whichever holds the frame */
	size_t size;           /* out: the frame's size */
	uint32_t handle_count; /* out: handle words that followed the frame */
	uint32_t wire[IDL_MAX_HANDLES]; /* out: those words, copied */
} idl_ring_frame;

/* A lazy consumer's tail, stored if it moved since it was last (release). */
static inline void idl_ring_publish(idl_ring *r)
{
	if (r->published != r->own) {
		r->published = r->own;
		atomic_store_explicit(r->tail, r->own, memory_order_release);
	}
}

/* The consumer is done with `bytes` more of the ring. */
static inline void idl_ring_advance(idl_ring *r, uint32_t bytes)
{
	r->own += bytes;
	if (!r->lazy)
		idl_ring_publish(r);
}

/*
 * Consumer side. Takes the next frame: loads the producer's index only when
 * the batch it loaded last is used up, reads the frame's length word once,
 * copies the frame and its handle words into private memory with bounded
 * copies (into f->buf, or into f->alt when it does not fit buf), then
 * checks the copy. Returns IDL_OK; IDL_E_WOULD_BLOCK when the ring is
 * empty; IDL_E_FRAME_TOO_LARGE when the frame is valid but fits neither
 * (it is skipped); IDL_E_PROTOCOL for any inconsistent value. Publishes the
 * new tail with a release store (a lazy consumer: in idl_ring_publish).
 *
 * Every frame a server or a client takes passes through here, so the
 * common case is inline, as idl_ring_reserve's is (a call, its register
 * saves and its return were a quarter of the work): a frame of the batch
 * loaded last, without handle words, that fits f->buf. The length word is
 * read here, once; what else there is to do goes out of line with that
 * value: idl_ring_read_length for padding and for a frame bound for f->alt
 * or too big, idl_ring_read_handles for the handle words after a frame
 * already copied. When the batch is used up, idl_ring_read_slow loads the
 * head: IDL_OK when it holds more, IDL_E_WOULD_BLOCK when not.
 */
int idl_ring_read_slow(idl_ring *r);
/*
 * The copy of a frame of `length` bytes (at least a header) out of the
 * ring. A frame of a line or less, which is what a busy channel carries,
 * is copied with two moves of a constant size that overlap, as the
 * library's memcpy copies such sizes itself, but without the call and the
 * register saves around it. The compiler barrier keeps the compiler from
 * taking a later read of the copy from the ring instead.
 */
#define IDL_RING_INLINE_COPY_MAX 64u
IDL_INLINE void idl_ring_copy(void *dst, const uint8_t *src, uint32_t length)
{
	uint8_t *to = (uint8_t *)dst;
	if (length <= 32) {
		IDL_MEMCPY(to, src, 16);
		IDL_MEMCPY(to + length - 16, src + length - 16, 16);
	} else if (length <= IDL_RING_INLINE_COPY_MAX) {
		IDL_MEMCPY(to, src, 32);
		IDL_MEMCPY(to + length - 32, src + length - 32, 32);
	} else {
		IDL_MEMCPY(to, src, length);
	}
#if defined(__GNUC__)
	__asm__ volatile("" ::: "memory");
#endif
}
_Static_assert(IDL_FRAME_HEADER_BYTES >= 16, "idl_ring_copy's first move");
/* Whether `length`, read at the consumer's offset and without the padding
 * bit, can be a frame's: a header at least, whole 8-byte words, within the
 * frame limit, the batch published and the room before the ring's end.
 * The one statement of it, for the inline path and ring.c alike. */
static inline bool idl_ring_frame_length_ok(const idl_ring *r, uint32_t length)
{
	uint32_t contiguous = r->bytes - (r->own & (r->bytes - 1));
	return length >= IDL_FRAME_HEADER_BYTES && (length & (IDL_FRAME_ALIGN - 1)) == 0 &&
	       length <= r->max_frame && length <= r->peer - r->own && length <= contiguous;
}
int idl_ring_read_length(idl_ring *r, idl_ring_frame *f, uint32_t length);
int idl_ring_read_handles(idl_ring *r, idl_ring_frame *f, uint32_t length);
/*
 * What idl_ring_read_plain leaves to its caller, beside IDL_OK and
 * IDL_E_PROTOCOL, with the record's length word in *length:
 * IDL_RING_READ_LENGTH, not its case and nothing copied (for
 * idl_ring_read_length); IDL_RING_READ_HANDLES, the frame is in buf and
 * handle words follow it (for idl_ring_read_handles).
 */
#define IDL_RING_READ_LENGTH  1
#define IDL_RING_READ_HANDLES 2
/*
 * The common case of a read, stated once for idl_ring_read and a server's
 * take (which has no frame struct): a frame of the batch loaded last, of
 * at most `fits` bytes, without handle words. Its length word is read
 * once, the frame copied into buf and the copy's size field checked
 * against that word: IDL_OK, the frame taken. Padding, a frame bigger than
 * `fits` and a length to refuse are IDL_RING_READ_LENGTH; a frame with
 * handle words is copied and IDL_RING_READ_HANDLES. (A length with the
 * padding bit is above any frame limit, so it is IDL_RING_READ_LENGTH.)
 */
IDL_INLINE int idl_ring_read_plain(idl_ring *r, void *buf, size_t fits, uint32_t *length)
{
	const uint8_t *at = r->data + (r->own & (r->bytes - 1));
	uint32_t n = *(const volatile uint32_t *)at;
	*length = n;
	if (n > fits || !idl_ring_frame_length_ok(r, n))
		return IDL_RING_READ_LENGTH;
	idl_ring_copy(buf, at, n);
	/* The copy is private now; the length must be the one read. */
	const idl_frame_header *h = (const idl_frame_header *)buf;
	if (h->size != n)
		return IDL_E_PROTOCOL;
	if (h->handle_count != 0)
		return IDL_RING_READ_HANDLES;
	idl_ring_advance(r, n);
	return IDL_OK;
}
IDL_INLINE int idl_ring_read(idl_ring *r, idl_ring_frame *f)
{
	if (r->own == r->peer) {
		int err = idl_ring_read_slow(r);
		if (err != IDL_OK)
			return err;
	}
	uint32_t length;
	f->at = f->buf;
	int got = idl_ring_read_plain(r, f->buf, f->buf_bytes, &length);
	if (got == IDL_OK) {
		f->size = length;
		f->handle_count = 0;
		return IDL_OK;
	}
	if (got == IDL_RING_READ_LENGTH)
		return idl_ring_read_length(r, f, length);
	if (got == IDL_RING_READ_HANDLES)
		return idl_ring_read_handles(r, f, length);
	return got;
}
/* True when a frame (or padding) is visible; loads the head when the
 * cached batch is used up. A protocol error also counts as ready. */
bool idl_ring_ready_slow(idl_ring *r);
static inline bool idl_ring_ready(idl_ring *r)
{
	return r->own != r->peer || idl_ring_ready_slow(r);
}
/* The same for a waiter that asks again and again: when the ring is empty
 * it also prefetches the line where the next record will start, before
 * each look at the head, so that a frame costs one cross-CPU transfer of
 * latency, not two one after the other (the head's, then the record's). */
bool idl_ring_poll(idl_ring *r);
/*
 * Channel setup. idl_chan_format writes a fresh channel into a zeroed
 * region (its creator's job). idl_chan_check reads the header of a region
 * received from a peer once, checks it against the region's real size and
 * returns its ring size and frame limit.
 */
int idl_chan_format(void *region, size_t region_bytes, uint32_t ring_bytes,
                    uint32_t max_frame_bytes);
int idl_chan_check(const void *region, size_t region_bytes, uint32_t *ring_bytes,
                   uint32_t *max_frame_bytes);

/* Which end of a channel. */
enum idl_chan_side {
	IDL_CHAN_CLIENT = 0,
	IDL_CHAN_SERVER = 1,
};

/* Fills the two private ring views of one side. */
void idl_chan_rings(idl_chan_shared *c, enum idl_chan_side side, uint32_t ring_bytes,
                    uint32_t max_frame_bytes, idl_ring *tx, idl_ring *rx);

#endif /* IDL_CHANNEL_H */
