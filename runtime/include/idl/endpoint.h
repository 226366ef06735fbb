/*
 * idl/endpoint.h: one end of a channel as an idl_endpoint (idl_wire.h), so
 * that generated client stubs and server dispatchers run over shared memory.
 *
 * send_begin reserves contiguous room straight in the outgoing ring (the
 * encoder writes there), send_commit publishes the frame and its handles
 * and wakes the peer if it sleeps, receive takes frames out with
 * copy-then-validate and sleeps when there are none.
 *
 * Several calls in flight: a reply whose txid is not the one awaited is
 * kept in the caller-supplied stash (idl_chan_end_set_stash) until its call
 * asks for it; without a stash (or when it is full) it is dropped and
 * counted. Events go to the event callback when one is set, otherwise they
 * are returned by receive(txid 0) or stashed like replies. A frame too big
 * for the buffer of the call that waits is taken into the scratch buffer
 * (idl_chan_end_set_scratch) and goes where it belongs from there.
 *
 * Freestanding, like the rest of the core.
 */
#ifndef IDL_ENDPOINT_H
#define IDL_ENDPOINT_H

#include "idl/channel.h"

/*
 * How handles cross the channel. The core writes one u32 per handle after
 * the frame in the ring; a port turns its handles into those words and back
 * (Linux: file descriptors sent over the channel's UNIX socket, see
 * idl/linux.h), and says what each handle it receives names. Without
 * transfer ops the words are the handle values, of kind IDL_KIND_ANY (the
 * core cannot tell), which only handle<any> fields accept.
 */
typedef struct idl_transfer_ops {
	/* Called before the frame is published: moves the handles to the
	 * transport and writes the words that travel in the ring. A handle that
	 * is not of the kind its field declares is IDL_E_HANDLE_KIND. */
	int (*send_handles)(void *ctx, const idl_typed_handle *handles, uint32_t count,
	                    uint32_t *wire);
	/* Called after a frame is taken: turns its words into local handles,
	 * each with the kind of object it names. Any error is the peer's: the
	 * channel is closed with IDL_E_PROTOCOL. */
	int (*receive_handles)(void *ctx, const uint32_t *wire, uint32_t count,
	                       idl_typed_handle *handles);
	/* Releases handles that arrived with a frame nobody will see. */
	void (*release_handles)(void *ctx, const idl_typed_handle *handles, uint32_t count);
	/* False once the peer is known to be gone without closing (it crashed). */
	bool (*peer_alive)(void *ctx);
	/* A client's: wakes its server, which sleeps, through something of this
	 * client's own that no other client can undo (Linux: an eventfd the
	 * server sleeps on). NULL: the doorbell's futex word. */
	void (*kick)(void *ctx);
} idl_transfer_ops;

/* Called with each event frame, already copied into private memory (not
 * yet validated: call the generated *_event_dispatch), in a buffer of
 * frame_max bytes: the scratch buffer when the end has one, so that the
 * decoder of an earlier version's event has the room to widen it. The
 * handles are released when it returns; one that is kept must be
 * duplicated first. */
typedef void (*idl_event_fn)(void *ctx, void *frame, size_t size, size_t frame_max,
                             const idl_typed_handle *handles, uint32_t handle_count);

/* One kept frame; its bytes live in the caller's stash memory. */
typedef struct idl_stash_entry {
	uint32_t txid;
	size_t size;
	uint32_t order; /* arrival order, for receive(txid 0) */
	uint32_t handle_count;
	bool used;
	idl_typed_handle handles[IDL_MAX_HANDLES];
} idl_stash_entry;

typedef struct idl_chan_end {
	/* What every frame touches comes first, on the fewest cache lines: a
	 * server walks hundreds of these, and each line is a miss. (So the
	 * struct is cache-line aligned: static, or aligned_alloc(64, ...).) */
	_Alignas(IDL_CACHE_LINE) idl_endpoint ep; /* first: its address is the end's */
	idl_ring tx, rx;
	idl_wake *self; /* this side's wait words in the channel */
	idl_wake *peer; /* the peer's */
	int error;      /* sticky once the channel is closed */
	uint32_t owed; /* IDL_WAIT_ bits owed to the peer: a batch's (server), room made (client) */
	bool room_wait; /* a server's end: it waits for room for a reply (idl/server.h) */
	/* A server's end: reply tokens given out and not used. While there are
	 * any, other threads may send on this end, and the server thread takes
	 * tx_lock around its own sends; when there are none (the rule), it does
	 * not: one load. */
	_Atomic uint32_t deferred;
	uint32_t tx_room;  /* room of the frame reserved by send_begin, handle words included */
	bool nonblock;     /* sending into a full ring: IDL_E_WOULD_BLOCK, not wait */
	bool batching;     /* the server loop wakes the peer once per batch */
	bool tx_locked;    /* a server's end: send_begin took tx_lock, send_commit gives it */
	bool light_fence;  /* a client's: its server fences for it (idl_fence_publisher) */
	uint8_t told;      /* a server's end: the IDL_NOTIFY_ value last stored in `notify` */
	uint8_t *tx_frame; /* the frame reserved by send_begin */
	const idl_transfer_ops *xfer;
	/* Set up once, or used when waiting (or with handles). */
	void *xfer_ctx;
	idl_chan_shared *shared;
	enum idl_chan_side side;
	idl_wake *sleep_on;     /* where this side sleeps: client: self; server: doorbell */
	idl_doorbell *doorbell; /* the server's doorbell (embedded one by default) */
	uint32_t slot;          /* this channel's bit in the doorbell */
	idl_patience patience;  /* how long to stay awake before sleeping */
	uint32_t spin_budget;   /* spins of the next wait (idl_spin_until) */
	uint64_t slice_ns;      /* longest sleep before asking peer_alive */
	idl_event_fn on_event;
	void *event_ctx;
	uint8_t *scratch; /* private room for a frame too big for the buffer at hand */
	size_t scratch_bytes;
	idl_call *calls, *calls_tail; /* calls in flight, oldest first */
	uint32_t calls_answered;      /* those of them answered */
	idl_session *session;         /* a server's end: its session (idl/server.h) */
	idl_lock *tx_lock;            /* a server's end: the lock of replies from other threads */
	idl_stash_entry *stash;
	uint8_t *stash_frames;
	uint32_t stash_slots;
	uint32_t stash_frame_bytes;
	uint32_t stash_order;
	uint64_t dropped; /* frames nobody asked for and that did not fit the stash */
} idl_chan_end;

/* Default patience before sleeping; docs/runtime.md says why. */
#define IDL_DEFAULT_SPIN   2000u
#define IDL_DEFAULT_YIELDS 8u
/* Default longest sleep before checking that the peer still lives. */
#define IDL_DEFAULT_SLICE_NS 100000000u

/*
 * Opens one end of a formatted channel region (the creator formats it with
 * idl_chan_format first; the other side's region comes from the peer and
 * is checked here). Timeout 0 (forever), blocking sends, the embedded
 * doorbell; the setters below change that.
 */
int idl_chan_end_init(idl_chan_end *e, void *region, size_t region_bytes, enum idl_chan_side side);
/* Client: ring this server-wide doorbell with bit `slot`. Server: sleep on it. */
void idl_chan_end_set_doorbell(idl_chan_end *e, idl_doorbell *db, uint32_t slot);
void idl_chan_end_set_transfer(idl_chan_end *e, const idl_transfer_ops *ops, void *ctx);
void idl_chan_end_set_events(idl_chan_end *e, idl_event_fn fn, void *ctx);
/*
 * Private memory (8-aligned) for a frame that arrives while a call waits
 * and is too big for that call's buffer: an event, another call's reply.
 * With `bytes` at least the channel's max_frame_bytes, anything the peer
 * may send is delivered where it belongs and fails no unrelated call.
 * Without it such a frame is skipped and the waiting call fails with
 * IDL_E_FRAME_TOO_LARGE. The Linux port sets one up in idl_linux_connect.
 */
void idl_chan_end_set_scratch(idl_chan_end *e, void *buf, size_t bytes);
/* entries[slots], frames: slots * frame_bytes bytes, 8-aligned. */
void idl_chan_end_set_stash(idl_chan_end *e, idl_stash_entry *entries, void *frames, uint32_t slots,
                            uint32_t frame_bytes);

/* The idl_endpoint to hand to generated stubs and dispatchers. */
static inline idl_endpoint *idl_chan_end_endpoint(idl_chan_end *e)
{
	return &e->ep;
}

/*
 * Takes the next frame without waiting (the server loop's receive):
 * IDL_E_WOULD_BLOCK when none is there, IDL_E_PEER_CLOSED when none will
 * come. Same contract as idl_endpoint_ops.receive otherwise.
 */
int idl_chan_end_take(idl_chan_end *e, void *buf, size_t max_bytes, size_t *size,
                      idl_typed_handle *handles, uint32_t *handle_count);

/*
 * Tells the peer about everything published or consumed and not told yet:
 * a server's batch, or the room a client made by taking frames (a client
 * tells that with its next frame, or before it sleeps). A consumer that
 * publishes its tail lazily (a server's) publishes it here first.
 */
void idl_chan_end_flush(idl_chan_end *e);

/* Closes this end: the peer's waits end with IDL_E_PEER_CLOSED once it
 * has taken what was sent before. */
void idl_chan_end_close(idl_chan_end *e);

/* Closes the channel because the peer broke the protocol; returns err. */
int idl_chan_end_fail(idl_chan_end *e, int err);

/*
 * Sending from a thread other than the server's, with e->tx_lock held
 * (idl/server.h: deferred replies): reserves room without waiting and
 * without the server's batching (IDL_E_WOULD_BLOCK when there is none
 * now), and publishes, waking the peer at once; commit with 0 bytes gives
 * the room back.
 */
int idl_chan_end_reserve_locked(idl_chan_end *e, size_t max_bytes, void **frame);
int idl_chan_end_commit_locked(idl_chan_end *e, size_t bytes, const idl_typed_handle *handles,
                               uint32_t handle_count);

#endif /* IDL_ENDPOINT_H */
