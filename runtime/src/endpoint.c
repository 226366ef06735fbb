/*
 * endpoint.c: idl_endpoint_ops on one end of a channel: reserve in the
 * outgoing ring, publish and wake, take with copy-then-validate and sleep.
 */
#include "idl/server.h" /* idl_session_defer */

/* Wakes the server of a client's channel: the port's kick, which no other
 * client can undo, or the doorbell's futex word. */
static void kick_server(idl_chan_end *e)
{
	if (e->xfer != NULL && e->xfer->kick != NULL) {
		e->xfer->kick(e->xfer_ctx);
		return;
	}
	idl_doorbell_mark(e->doorbell, e->slot); /* how the server finds us then */
	idl_doorbell_wake(e->doorbell);
}

/*
 * The client tells the server about a frame (DATA) or room made (ROOM), as
 * the channel's `notify` word says: nothing while the server watches the
 * channel, the doorbell bit while it is awake, a kick while it sleeps; and
 * for room only when the server said it waits for room. One fence orders
 * what we published before the looks; a compiler barrier when the server
 * fences for us (idl_fence_publisher). docs/runtime.md, "Waking the
 * server", has the argument. Inline up to the look at `notify`: while the
 * server watches the channel (the rule for a busy one) that is all a frame
 * costs; tell_server does the rest.
 */
static IDL_NOINLINE void tell_server(idl_chan_end *e, uint32_t bits, uint32_t how);

static inline __attribute__((always_inline)) void notify_server(idl_chan_end *e, uint32_t bits)
{
	idl_fence_publisher(e->light_fence);
	uint32_t how = atomic_load_explicit(&e->shared->notify, memory_order_relaxed);
	if (how == IDL_NOTIFY_NONE)
		return;
	tell_server(e, bits, how);
}

/* notify_server's rest, for a server that does not watch the channel. */
static IDL_NOINLINE void tell_server(idl_chan_end *e, uint32_t bits, uint32_t how)
{
	if ((bits & IDL_WAIT_DATA) == 0 &&
	    (atomic_load_explicit(&e->peer->waiting, memory_order_relaxed) & IDL_WAIT_ROOM) == 0)
		return;
	if (how == IDL_NOTIFY_KICK) {
		kick_server(e);
		return;
	}
	idl_doorbell_mark(e->doorbell, e->slot);
	/* A server end that sleeps alone on the doorbell (no idl_server). */
	if ((atomic_load_explicit(&e->doorbell->wake.waiting, memory_order_relaxed) &
	     IDL_WAIT_DATA) != 0)
		idl_doorbell_wake(e->doorbell);
}

/* Tells the peer about frames published (DATA) or room made (ROOM). A
 * server's batch is told once, by idl_chan_end_flush; so is the room a
 * client makes, with its next frame or before it sleeps: a reply taken
 * then costs no fence of its own. */
static inline __attribute__((always_inline)) void notify_peer(idl_chan_end *e, uint32_t bits)
{
	if (e->batching || (e->side == IDL_CHAN_CLIENT && bits == IDL_WAIT_ROOM)) {
		e->owed |= bits;
		return;
	}
	if (e->side == IDL_CHAN_SERVER) {
		idl_wake_peer(e->peer, bits);
		return;
	}
	bits |= e->owed;
	e->owed = 0;
	notify_server(e, bits);
}

void idl_chan_end_flush(idl_chan_end *e)
{
	idl_ring_publish(&e->rx);
	uint32_t bits = e->owed;
	if (bits == 0)
		return;
	e->owed = 0;
	if (e->side == IDL_CHAN_SERVER)
		idl_wake_peer(e->peer, bits);
	else
		notify_server(e, bits);
}

static void mark_closed(idl_chan_end *e)
{
	atomic_store_explicit(&e->self->closed, 1, memory_order_release);
	e->batching = false;
	e->owed = 0;
	idl_ring_publish(&e->rx);
	if (e->side == IDL_CHAN_SERVER) {
		idl_wake_peer(e->peer, IDL_WAIT_DATA | IDL_WAIT_ROOM);
		return;
	}
	/* Whatever `notify` says: a close is rare, and a watching server looks
	 * at indices, not at `closed`. */
	atomic_thread_fence(memory_order_seq_cst);
	idl_doorbell_mark(e->doorbell, e->slot);
	kick_server(e);
}

/* Out of line: a channel fails once, and its callers' fast paths then make
 * only tail calls. */
IDL_NOINLINE int idl_chan_end_fail(idl_chan_end *e, int err)
{
	if (e->error == IDL_OK) {
		e->error = err;
		mark_closed(e);
	}
	return e->error;
}

void idl_chan_end_close(idl_chan_end *e)
{
	if (e->error == IDL_OK) {
		e->error = IDL_E_PEER_CLOSED;
		mark_closed(e);
	}
}

static bool peer_closed(idl_chan_end *e)
{
	return atomic_load_explicit(&e->peer->closed, memory_order_acquire) != 0;
}

static bool rx_ready(void *ctx)
{
	idl_chan_end *e = ctx;
	return idl_ring_poll(&e->rx) || peer_closed(e);
}

static bool tx_ready(void *ctx)
{
	idl_chan_end *e = ctx;
	return idl_ring_can_reserve(&e->tx, e->tx_room) != IDL_E_WOULD_BLOCK || peer_closed(e);
}

/* A client with calls in flight waits for room or for replies. */
static bool tx_or_rx_ready(void *ctx)
{
	return tx_ready(ctx) || rx_ready(ctx);
}

static int pump(idl_chan_end *e);

/*
 * A client that waited a whole slice while the server has not taken what
 * it sent tells it again, whatever `notify` says. With a port's kick this
 * is only a safety net (a server that sleeps has set KICK and looked at
 * the channel first, and nobody else can undo a kick); without one,
 * another client may have undone our futex wake-up.
 */
static void ring_again(idl_chan_end *e)
{
	if (e->side != IDL_CHAN_CLIENT)
		return;
	if (atomic_load_explicit(e->tx.tail, memory_order_acquire) != e->tx.own) {
		atomic_thread_fence(memory_order_seq_cst);
		idl_doorbell_mark(e->doorbell, e->slot);
		kick_server(e);
	}
}

/* One sleep of at most a slice; IDL_OK means look again. */
static int sleep_once(idl_chan_end *e, uint32_t bits, bool (*ready)(void *), uint64_t deadline)
{
	if (idl_spin_until(ready, e, e->patience.spins, &e->spin_budget))
		return IDL_OK;
	idl_patience p = {0, e->patience.yields};
	int err = idl_wait_for(e->sleep_on, bits, ready, e, p, deadline, e->slice_ns);
	if (err == IDL_E_WOULD_BLOCK) {
		/* A slice passed with nothing: is the peer still there? */
		if (e->xfer != NULL && e->xfer->peer_alive != NULL &&
		    !e->xfer->peer_alive(e->xfer_ctx))
			return idl_chan_end_fail(e, IDL_E_PEER_CLOSED);
		ring_again(e);
		return IDL_OK;
	}
	return err;
}

static uint64_t deadline_of(const idl_chan_end *e)
{
	return e->ep.timeout_ns == 0 ? 0 : idl_os_now_ns() + e->ep.timeout_ns;
}

/*
 * A wait checks its deadline when the ring runs empty. A peer that keeps
 * frames coming, none of them what the wait is for, never lets it run
 * empty, so a wait also reads the clock every IDL_FRAMES_PER_CLOCK frames
 * it took in vain: *deadline is set at the first reading (from timeout_ns,
 * 0: no deadline), and a later one past it ends the wait. The frames are
 * the peer's to send; the time is ours to bound.
 */
#define IDL_FRAMES_PER_CLOCK 64u

static bool overdue(uint32_t frames_in_vain, uint64_t *deadline, uint64_t timeout_ns)
{
	if (timeout_ns == 0 || frames_in_vain % IDL_FRAMES_PER_CLOCK != 0)
		return false;
	uint64_t now = idl_os_now_ns();
	if (*deadline == 0) {
		*deadline = now + timeout_ns;
		return false;
	}
	return now >= *deadline;
}

/*
 * A server's end with reply tokens out: other threads may send on it, so
 * the server thread's own sends take the lock too, from send_begin to
 * send_commit. Without tokens (the rule) this is one load.
 */
static void lock_tx(idl_chan_end *e)
{
	if (atomic_load_explicit(&e->deferred, memory_order_acquire) != 0) {
		idl_lock_take(e->tx_lock);
		e->tx_locked = true;
	}
}

static int unlock_tx(idl_chan_end *e, int err)
{
	if (e->tx_locked) {
		e->tx_locked = false;
		idl_lock_give(e->tx_lock);
	}
	return err;
}

static IDL_NOINLINE int send_wait(idl_chan_end *e, void **frame);

/*
 * Reserves room for a frame of at most max_bytes. The first try makes only
 * tail calls, so a sender saves no registers for a ring with room (the
 * rule); a full ring, or a broken one, goes on in send_wait.
 */
static inline __attribute__((always_inline)) int send_try(idl_chan_end *e, size_t max_bytes,
                                                          void **frame)
{
	if (e->error != IDL_OK)
		return e->error;
	if (max_bytes < IDL_FRAME_HEADER_BYTES || max_bytes > e->tx.max_frame)
		return IDL_E_FRAME_TOO_LARGE;
	if (peer_closed(e))
		return idl_chan_end_fail(e, IDL_E_PEER_CLOSED);
	e->tx_room = (uint32_t)idl_align8(max_bytes) + IDL_RING_HANDLE_ROOM;
	if (!idl_ring_reserve_inline(&e->tx, e->tx_room, frame))
		return send_wait(e, frame);
	e->tx_frame = (uint8_t *)*frame;
	return IDL_OK;
}

/* send_begin on a server's end with reply tokens out (lock_tx). */
static IDL_NOINLINE int send_begin_locked(idl_chan_end *e, size_t max_bytes, void **frame)
{
	lock_tx(e);
	int err = send_try(e, max_bytes, frame);
	return err == IDL_OK ? err : unlock_tx(e, err);
}

static int end_send_begin(idl_endpoint *ep, size_t max_bytes, void **frame)
{
	idl_chan_end *e = (idl_chan_end *)ep;
	if (atomic_load_explicit(&e->deferred, memory_order_acquire) != 0)
		return send_begin_locked(e, max_bytes, frame);
	return send_try(e, max_bytes, frame);
}

/* The ring had no room for e->tx_room bytes at the first try: try again,
 * taking replies, flushing and sleeping between tries, until there is
 * room, the deadline passes or the channel breaks. */
static IDL_NOINLINE int send_wait(idl_chan_end *e, void **frame)
{
	uint64_t deadline = 0;
	uint32_t in_vain = 0; /* passes that took replies and found no room */
	for (;;) {
		void *at;
		int err = idl_ring_reserve(&e->tx, e->tx_room, &at);
		if (err == IDL_OK) {
			e->tx_frame = at;
			*frame = at;
			return IDL_OK;
		}
		if (err != IDL_E_WOULD_BLOCK)
			return idl_chan_end_fail(e, err);
		/* A client with calls in flight takes their replies while it waits
		 * for room: the server may be waiting for room for its replies. */
		bool calls = e->side == IDL_CHAN_CLIENT && e->calls != NULL;
		if (calls) {
			int taken = pump(e);
			if (taken < 0)
				return taken;
			if (taken > 0) {
				if (overdue(++in_vain, &deadline, e->ep.timeout_ns))
					return IDL_E_TIMEOUT;
				continue;
			}
		}
		if (e->nonblock)
			return IDL_E_WOULD_BLOCK;
		if (peer_closed(e))
			return idl_chan_end_fail(e, IDL_E_PEER_CLOSED);
		/* The peer may be waiting for what we batched so far. */
		idl_chan_end_flush(e);
		if (deadline == 0)
			deadline = deadline_of(e);
		if (e->side == IDL_CHAN_SERVER) {
			/* A server sleeps on its doorbell; the client rings it when it
			 * makes room and sees this flag. */
			atomic_store_explicit(&e->self->waiting, IDL_WAIT_ROOM,
			                      memory_order_relaxed);
		}
		uint32_t bits = e->side == IDL_CHAN_SERVER ? IDL_WAIT_DATA
		                : calls                    ? IDL_WAIT_ROOM | IDL_WAIT_DATA
		                                           : IDL_WAIT_ROOM;
		err = sleep_once(e, bits, calls ? tx_or_rx_ready : tx_ready, deadline);
		if (e->side == IDL_CHAN_SERVER)
			atomic_store_explicit(&e->self->waiting, 0, memory_order_relaxed);
		if (err != IDL_OK)
			return err;
	}
}

/* Writes a frame's handle words after it, as the transport moves them.
 * Out of line: most frames carry no handles, and the commit that sends
 * them then saves no registers for this path (and keeps no 256-byte
 * array on its stack). */
IDL_COLD static int put_handle_words(idl_chan_end *e, uint8_t *after_frame,
                                     const idl_typed_handle *handles, uint32_t handle_count)
{
	uint32_t wire[IDL_MAX_HANDLES];
	if (e->xfer != NULL && e->xfer->send_handles != NULL) {
		int err = e->xfer->send_handles(e->xfer_ctx, handles, handle_count, wire);
		if (err != IDL_OK)
			return err;
	} else {
		for (uint32_t i = 0; i < handle_count; i++)
			wire[i] = handles[i].value;
	}
	/* A few words: a loop, not a bounded memcpy (`rep movsq`). */
	volatile uint32_t *words = (volatile uint32_t *)after_frame;
	for (uint32_t i = 0; i < handle_count; i++)
		words[i] = wire[i];
	if ((handle_count & 1) != 0)
		words[handle_count] = 0;
	return IDL_OK;
}

/*
 * Gives a reservation back, zeroed first. What an encoder wrote there is
 * in memory the peer can read, published or not, and an encoder that
 * failed may have left the caller's own values in it (the pointers of its
 * strings and vectors, which the encoder replaces by offsets as it goes):
 * they must not stay for the peer to find. The cost is the failure's.
 */
IDL_COLD static void give_back(idl_chan_end *e, uint8_t *frame)
{
	IDL_MEMSET(frame, 0, e->tx_room);
	idl_ring_commit(&e->tx, 0);
}

/* Publishes the frame send_begin reserved (0 bytes: gives it back). */
static inline __attribute__((always_inline)) int
commit_frame(idl_chan_end *e, size_t bytes, const idl_typed_handle *handles, uint32_t handle_count)
{
	if (e->tx_frame == NULL)
		return IDL_E_TRANSPORT;
	uint8_t *frame = e->tx_frame;
	e->tx_frame = NULL;
	if (bytes == 0) {
		give_back(e, frame);
		return IDL_OK;
	}
	/* The frame's own size and handle count are not read back: a load
	 * from a ring line the consumer is reading stalls this CPU when the
	 * line is taken from under it (a stream lost a tenth of its rate, and
	 * sometimes four fifths). The consumer checks both (ring.c). */
	if (bytes + IDL_RING_HANDLE_ROOM > e->tx_room || (bytes & (IDL_FRAME_ALIGN - 1)) != 0 ||
	    handle_count > IDL_MAX_HANDLES) {
		give_back(e, frame);
		return IDL_E_INVALID_ARGUMENT;
	}
	if (handle_count > 0) {
		int err = put_handle_words(e, frame + bytes, handles, handle_count);
		if (err != IDL_OK) {
			give_back(e, frame);
			return err;
		}
	}
	idl_ring_commit(&e->tx, (uint32_t)bytes + (uint32_t)idl_align8(4u * handle_count));
	return IDL_OK;
}

/* send_commit on a server's end that took tx_lock in send_begin. */
static IDL_NOINLINE int send_commit_locked(idl_chan_end *e, size_t bytes,
                                           const idl_typed_handle *handles, uint32_t handle_count)
{
	int err = commit_frame(e, bytes, handles, handle_count);
	if (err == IDL_OK && bytes > 0)
		notify_peer(e, IDL_WAIT_DATA);
	return unlock_tx(e, err);
}

/* Without the lock, telling the peer is the last thing the commit does, so
 * it keeps nothing in registers for after it; the lock's path is
 * send_commit_locked. */
static int end_send_commit(idl_endpoint *ep, size_t bytes, const idl_typed_handle *handles,
                           uint32_t handle_count)
{
	idl_chan_end *e = (idl_chan_end *)ep;
	if (e->tx_locked)
		return send_commit_locked(e, bytes, handles, handle_count);
	int err = commit_frame(e, bytes, handles, handle_count);
	if (err != IDL_OK || bytes == 0)
		return err;
	notify_peer(e, IDL_WAIT_DATA);
	return IDL_OK;
}

int idl_chan_end_reserve_locked(idl_chan_end *e, size_t max_bytes, void **frame)
{
	if (e->error != IDL_OK)
		return e->error;
	if (max_bytes < IDL_FRAME_HEADER_BYTES || max_bytes > e->tx.max_frame)
		return IDL_E_FRAME_TOO_LARGE;
	/* The server thread will see the close and end the session; this
	 * thread only reports it. */
	if (peer_closed(e))
		return IDL_E_PEER_CLOSED;
	e->tx_room = (uint32_t)idl_align8(max_bytes) + IDL_RING_HANDLE_ROOM;
	void *at;
	int err = idl_ring_reserve(&e->tx, e->tx_room, &at);
	if (err != IDL_OK)
		return err;
	e->tx_frame = at;
	*frame = at;
	return IDL_OK;
}

int idl_chan_end_commit_locked(idl_chan_end *e, size_t bytes, const idl_typed_handle *handles,
                               uint32_t handle_count)
{
	int err = commit_frame(e, bytes, handles, handle_count);
	if (err == IDL_OK && bytes > 0)
		idl_wake_peer(e->peer, IDL_WAIT_DATA); /* not batched: not the server's pass */
	return err;
}

static void release(idl_chan_end *e, const idl_typed_handle *handles, uint32_t count)
{
	if (count > 0 && e->xfer != NULL && e->xfer->release_handles != NULL)
		e->xfer->release_handles(e->xfer_ctx, handles, count);
}

/*
 * What follows the ring's read of a frame (`err`, from idl_ring_read or
 * one of its out-of-line parts): the room is told, and the frame's handles
 * are mapped into handles[IDL_MAX_HANDLES]. A frame that fits neither
 * f->buf nor f->alt was skipped; its handles are released:
 * IDL_E_FRAME_TOO_LARGE.
 */
static inline __attribute__((always_inline)) int take_found(idl_chan_end *e, idl_ring_frame *f,
                                                            idl_typed_handle *handles, int err)
{
	if (err == IDL_E_WOULD_BLOCK)
		return err;
	if (err != IDL_OK && err != IDL_E_FRAME_TOO_LARGE)
		return idl_chan_end_fail(e, err);
	notify_peer(e, IDL_WAIT_ROOM);
	if (f->handle_count > 0) {
		if (e->xfer != NULL && e->xfer->receive_handles != NULL) {
			if (e->xfer->receive_handles(e->xfer_ctx, f->wire, f->handle_count,
			                             handles) != IDL_OK)
				return idl_chan_end_fail(e, IDL_E_PROTOCOL);
		} else {
			for (uint32_t i = 0; i < f->handle_count; i++)
				handles[i] = (idl_typed_handle){f->wire[i], IDL_KIND_ANY};
		}
	}
	if (err != IDL_OK)
		release(e, handles, f->handle_count);
	return err;
}

/*
 * Takes one frame from the ring into f->buf, or into f->alt when it does
 * not fit there (f->at says which), and maps its handles (take_found).
 */
static inline __attribute__((always_inline)) int take_one(idl_chan_end *e, idl_ring_frame *f,
                                                          idl_typed_handle *handles)
{
	return take_found(e, f, handles, idl_ring_read(&e->rx, f));
}

/* Hands the caller a frame take_one took into its buffer (with its
 * handles in `local`, unless they are in the caller's array already). */
static inline __attribute__((always_inline)) int give(idl_chan_end *e, const idl_ring_frame *f,
                                                      const idl_typed_handle *local, size_t *size,
                                                      idl_typed_handle *handles,
                                                      uint32_t *handle_count)
{
	if (f->at != f->buf || f->handle_count > *handle_count) {
		release(e, local, f->handle_count);
		return f->at != f->buf ? IDL_E_FRAME_TOO_LARGE : IDL_E_HANDLE_COUNT;
	}
	if (f->handle_count > 0 && local != handles)
		IDL_MEMCPY(handles, local, sizeof(idl_typed_handle) * f->handle_count);
	*handle_count = f->handle_count;
	*size = f->size;
	return IDL_OK;
}

/* Where take_framed's frame comes from. */
enum take_read {
	READ_NEXT,         /* the ring's next record, its length word not read yet */
	READ_AFTER_LENGTH, /* take_small's IDL_RING_READ_LENGTH: the record whose length it read */
	READ_HANDLE_WORDS, /* take_small's IDL_RING_READ_HANDLES: the words after its copy */
};

/*
 * A server's take through the frame struct, for every frame its inline
 * common case (take_small) does not finish, and for a take outside a pass.
 * `length`: the record's length word as take_small read it (each word of
 * the ring is read once), for READ_AFTER_LENGTH and READ_HANDLE_WORDS.
 */
static inline __attribute__((always_inline)) int
take_framed(idl_chan_end *e, void *buf, size_t max_bytes, size_t *size, idl_typed_handle *handles,
            uint32_t *handle_count, enum take_read from, uint32_t length)
{
	/* Field by field: an initializer would zero the 256 bytes of wire. */
	idl_ring_frame f;
	f.buf = buf;
	f.buf_bytes = max_bytes;
	f.alt = NULL;
	f.alt_bytes = 0;
	f.at = buf;
	idl_typed_handle local[IDL_MAX_HANDLES];
	idl_typed_handle *into = *handle_count >= IDL_MAX_HANDLES ? handles : local;
	int err = from == READ_NEXT           ? idl_ring_read(&e->rx, &f)
	          : from == READ_HANDLE_WORDS ? idl_ring_read_handles(&e->rx, &f, length)
	                                      : idl_ring_read_length(&e->rx, &f, length);
	err = take_found(e, &f, into, err);
	if (err == IDL_OK)
		return give(e, &f, into, size, handles, handle_count);
	/* An empty ring (padding with nothing after it, say) of a client that
	 * has gone. */
	if (err == IDL_E_WOULD_BLOCK && peer_closed(e) && !idl_ring_ready(&e->rx))
		return idl_chan_end_fail(e, IDL_E_PEER_CLOSED);
	return err;
}

/* The rest of a take take_small began. */
static IDL_NOINLINE int take_rest(idl_chan_end *e, void *buf, size_t max_bytes, size_t *size,
                                  idl_typed_handle *handles, uint32_t *handle_count,
                                  enum take_read from, uint32_t length)
{
	return take_framed(e, buf, max_bytes, size, handles, handle_count, from, length);
}

/*
 * The common case of a server's take, inline and without the frame struct:
 * a frame of at most a line (idl_ring_read_plain, the ring's own common
 * case), whose room is told at the end of the pass. It makes no call, so
 * nothing is spilled around one, and it needs none of the 872 bytes of
 * stack the other paths keep for handle words (a seventh of a one-way
 * frame's server instructions went to those calls, spills and saves).
 * Every take within a pass starts here, whatever its frame's size, so
 * this is where the batch's later lines are asked for.
 */
static inline __attribute__((always_inline)) int take_small(idl_chan_end *e, void *buf,
                                                            size_t max_bytes, size_t *size,
                                                            idl_typed_handle *handles,
                                                            uint32_t *handle_count)
{
	idl_ring_prefetch_ahead(&e->rx);
	if (max_bytes < IDL_RING_INLINE_COPY_MAX) /* a small buffer: never a server's */
		return take_rest(e, buf, max_bytes, size, handles, handle_count, READ_NEXT, 0);
	uint32_t length;
	int got = idl_ring_read_plain(&e->rx, buf, IDL_RING_INLINE_COPY_MAX, &length);
	if (got == IDL_OK) {
		e->owed |= IDL_WAIT_ROOM; /* notify_peer's batching case */
		*size = length;
		*handle_count = 0;
		return IDL_OK;
	}
	if (got == IDL_RING_READ_LENGTH)
		return take_rest(e, buf, max_bytes, size, handles, handle_count, READ_AFTER_LENGTH,
		                 length);
	if (got == IDL_RING_READ_HANDLES)
		return take_rest(e, buf, max_bytes, size, handles, handle_count, READ_HANDLE_WORDS,
		                 length);
	return idl_chan_end_fail(e, got);
}

/* A server's take when the batch it loaded last is used up: the head is
 * loaded (once), then as take_small. */
static IDL_NOINLINE int take_batch_start(idl_chan_end *e, void *buf, size_t max_bytes, size_t *size,
                                         idl_typed_handle *handles, uint32_t *handle_count)
{
	int err = idl_ring_read_slow(&e->rx);
	if (err == IDL_E_WOULD_BLOCK) {
		if (peer_closed(e) && !idl_ring_ready(&e->rx))
			return idl_chan_end_fail(e, IDL_E_PEER_CLOSED);
		return err;
	}
	if (err != IDL_OK)
		return idl_chan_end_fail(e, err);
	return take_small(e, buf, max_bytes, size, handles, handle_count);
}

/* A take outside a server's pass (a channel served without idl_server):
 * each frame's room is told at once. */
static IDL_NOINLINE int take_unbatched(idl_chan_end *e, void *buf, size_t max_bytes, size_t *size,
                                       idl_typed_handle *handles, uint32_t *handle_count)
{
	return take_framed(e, buf, max_bytes, size, handles, handle_count, READ_NEXT, 0);
}

/* The server's take: no scratch (a request too big for the server's buffer
 * is a protocol error), and the handles straight into the caller's array
 * when it has room for any frame's (the server's has). */
int idl_chan_end_take(idl_chan_end *e, void *buf, size_t max_bytes, size_t *size,
                      idl_typed_handle *handles, uint32_t *handle_count)
{
	if (e->error != IDL_OK)
		return e->error;
	if (((uintptr_t)buf & (IDL_FRAME_ALIGN - 1)) != 0)
		return IDL_E_BUFFER;
	if (!e->batching)
		return take_unbatched(e, buf, max_bytes, size, handles, handle_count);
	if (e->rx.own == e->rx.peer)
		return take_batch_start(e, buf, max_bytes, size, handles, handle_count);
	return take_small(e, buf, max_bytes, size, handles, handle_count);
}

/* Finds a kept frame for txid (0: the oldest) and moves it to buf. */
static int unstash(idl_chan_end *e, uint32_t txid, void *buf, size_t max_bytes, size_t *size,
                   idl_typed_handle *handles, uint32_t *handle_count)
{
	idl_stash_entry *best = NULL;
	uint32_t best_index = 0;
	for (uint32_t i = 0; i < e->stash_slots; i++) {
		idl_stash_entry *s = &e->stash[i];
		if (!s->used || (txid != 0 && s->txid != txid))
			continue;
		if (best == NULL || (int32_t)(s->order - best->order) < 0) {
			best = s;
			best_index = i;
		}
	}
	if (best == NULL)
		return IDL_E_WOULD_BLOCK;
	best->used = false;
	if (best->size > max_bytes || best->handle_count > *handle_count) {
		release(e, best->handles, best->handle_count);
		return best->size > max_bytes ? IDL_E_FRAME_TOO_LARGE : IDL_E_HANDLE_COUNT;
	}
	IDL_MEMCPY(buf, e->stash_frames + (size_t)best_index * e->stash_frame_bytes, best->size);
	if (best->handle_count > 0)
		IDL_MEMCPY(handles, best->handles, sizeof(idl_typed_handle) * best->handle_count);
	*handle_count = best->handle_count;
	*size = best->size;
	return IDL_OK;
}

/* Keeps a private frame for a later receive, or drops it. */
static void keep(idl_chan_end *e, const void *frame, size_t size, const idl_typed_handle *handles,
                 uint32_t handle_count)
{
	for (uint32_t i = 0; i < e->stash_slots; i++) {
		idl_stash_entry *s = &e->stash[i];
		if (s->used || size > e->stash_frame_bytes)
			continue;
		IDL_MEMCPY(e->stash_frames + (size_t)i * e->stash_frame_bytes, frame, size);
		s->used = true;
		s->size = size;
		s->txid = ((const idl_frame_header *)frame)->txid;
		s->order = e->stash_order++;
		s->handle_count = handle_count;
		if (handle_count > 0)
			IDL_MEMCPY(s->handles, handles, sizeof(idl_typed_handle) * handle_count);
		return;
	}
	release(e, handles, handle_count);
	e->dropped++;
}

/* ---- Calls in flight (the client side) ---- */

/* The call a reply answers. Replies mostly come in the order of their
 * requests, and calls are kept in that order: look from the oldest. */
static idl_call *find_call(idl_chan_end *e, uint32_t txid)
{
	for (idl_call *c = e->calls; c != NULL; c = c->next)
		if (c->txid == txid && c->status == IDL_E_WOULD_BLOCK)
			return c;
	return NULL;
}

static void answered(idl_chan_end *e, idl_call *c, int status)
{
	c->status = status;
	e->calls_answered++;
}

/* Gives a call its reply, which take_one put in the call's buffer or in
 * the scratch buffer (then it is moved: private memory to private). */
static void deliver(idl_chan_end *e, idl_call *c, const idl_ring_frame *f,
                    const idl_typed_handle *local)
{
	if (f->handle_count > c->handle_room) {
		release(e, local, f->handle_count);
		answered(e, c, IDL_E_HANDLE_COUNT);
		return;
	}
	size_t size = f->size;
	if (f->at != c->buf && f->size > c->buf_bytes) {
		/* A newer server's reply, larger than this version's: the call
		 * keeps the part it knows (the validator tells it by the size). */
		int64_t known = idl_frame_copy_known(f->at, (uint32_t)f->size, c->buf, c->buf_bytes,
		                                     c->inline_bytes);
		if (known < 0) {
			release(e, local, f->handle_count);
			answered(e, c, IDL_E_FRAME_TOO_LARGE);
			return;
		}
		size = (size_t)known;
	} else if (f->at != c->buf) {
		idl_copy(c->buf, f->at, f->size);
	}
	if (f->handle_count > 0)
		IDL_MEMCPY(c->handles, local, sizeof(idl_typed_handle) * f->handle_count);
	c->size = size;
	c->handle_count = f->handle_count;
	answered(e, c, IDL_OK);
}

/*
 * Sends a frame taken by a client where it belongs: an event to the event
 * callback, a reply to its call in flight; returns false for anything else
 * (the caller gives it to a receive, or keeps it).
 */
static bool route(idl_chan_end *e, const idl_ring_frame *f, const idl_typed_handle *local)
{
	const idl_frame_header *h = f->at;
	if ((h->flags & IDL_FLAG_EVENT) != 0 && e->on_event != NULL) {
		/* An earlier version's event is widened in place by its decoder:
		 * it gets the scratch buffer's room, not a call buffer's. */
		void *frame = f->at;
		size_t frame_max = f->at == f->buf ? f->buf_bytes : f->alt_bytes;
		if (frame != e->scratch && e->scratch != NULL && f->size <= e->scratch_bytes) {
			idl_copy(e->scratch, frame, f->size);
			frame = e->scratch;
		}
		if (frame == e->scratch)
			frame_max = e->scratch_bytes;
		e->on_event(e->event_ctx, frame, f->size, frame_max, local, f->handle_count);
		release(e, local, f->handle_count);
		return true;
	}
	if ((h->flags & IDL_FLAG_REPLY) != 0) {
		idl_call *c = find_call(e, h->txid);
		if (c != NULL) {
			deliver(e, c, f, local);
			return true;
		}
	}
	return false;
}

/* Where the next frame lands: in the buffer of `call`, or of the oldest
 * call in flight (most often it is that call's reply), and in the scratch
 * buffer when it does not fit there. */
static inline void landing(idl_chan_end *e, idl_call *call, idl_ring_frame *f)
{
	for (idl_call *c = e->calls; call == NULL && c != NULL; c = c->next)
		if (c->status == IDL_E_WOULD_BLOCK)
			call = c;
	f->buf = call != NULL ? call->buf : e->scratch;
	f->buf_bytes = call != NULL ? call->buf_bytes : e->scratch_bytes;
	f->alt = e->scratch;
	f->alt_bytes = e->scratch_bytes;
}

/* Takes every frame there is and routes it; returns how many, or the
 * channel's error. */
static int pump(idl_chan_end *e)
{
	int taken = 0;
	for (;;) {
		idl_ring_frame f;
		idl_typed_handle local[IDL_MAX_HANDLES];
		landing(e, NULL, &f);
		int err = take_one(e, &f, local);
		if (err == IDL_E_WOULD_BLOCK)
			return taken;
		if (err == IDL_OK && !route(e, &f, local))
			keep(e, f.at, f.size, local, f.handle_count);
		else if (err == IDL_E_FRAME_TOO_LARGE)
			e->dropped++;
		else if (err != IDL_OK)
			return err;
		taken++;
	}
}

static int end_call_begin(idl_endpoint *ep, idl_call *call)
{
	idl_chan_end *e = (idl_chan_end *)ep;
	if (e->error != IDL_OK)
		return e->error;
	if (call->owner != NULL)
		return IDL_E_INVALID_ARGUMENT; /* in flight already */
	/* txids are 32 bits and wrap: a call still waiting 2^32 calls later
	 * keeps its txid, and the new call takes the next one free. */
	while (find_call(e, call->txid) != NULL)
		call->txid = idl_endpoint_txid(ep);
	call->status = IDL_E_WOULD_BLOCK;
	call->size = 0;
	call->handle_count = 0;
	call->owner = e;
	call->next = NULL;
	call->prev = e->calls_tail;
	if (e->calls_tail != NULL)
		e->calls_tail->next = call;
	else
		e->calls = call;
	e->calls_tail = call;
	return IDL_OK;
}

static void end_call_end(idl_endpoint *ep, idl_call *call)
{
	idl_chan_end *e = (idl_chan_end *)ep;
	if (call->owner != e)
		return;
	if (call->prev != NULL)
		call->prev->next = call->next;
	else
		e->calls = call->next;
	if (call->next != NULL)
		call->next->prev = call->prev;
	else
		e->calls_tail = call->prev;
	if (call->status != IDL_E_WOULD_BLOCK)
		e->calls_answered--;
	call->owner = NULL;
	call->prev = call->next = NULL;
}

/*
 * The ring was empty: the peer's end if it closed and left nothing, else
 * what we owe the peer told (idl_chan_end_flush) and a sleep until a frame
 * comes or deadline (0: none).
 */
static int await_frame(idl_chan_end *e, uint64_t deadline)
{
	if (peer_closed(e) && !idl_ring_ready(&e->rx))
		return idl_chan_end_fail(e, IDL_E_PEER_CLOSED);
	idl_chan_end_flush(e);
	return sleep_once(e, IDL_WAIT_DATA, rx_ready, deadline);
}

/* The oldest call answered and not yet ended, or NULL. */
static idl_call *first_answered(idl_chan_end *e)
{
	if (e->calls_answered == 0)
		return NULL;
	for (idl_call *c = e->calls; c != NULL; c = c->next)
		if (c->status != IDL_E_WOULD_BLOCK)
			return c;
	return NULL;
}

/*
 * Takes frames until `call` (NULL: any call in flight) is answered. Every
 * frame goes where it belongs on the way: replies to their calls, events
 * to the event callback, anything else to the stash.
 */
static int end_call_wait(idl_endpoint *ep, idl_call *call, uint64_t timeout_ns, idl_call **done)
{
	idl_chan_end *e = (idl_chan_end *)ep;
	if (call != NULL && call->owner != e)
		return IDL_E_INVALID_ARGUMENT;
	uint64_t deadline = 0;
	uint32_t in_vain = 0; /* frames taken that were not the answer awaited */
	for (;;) {
		idl_call *c = call == NULL                        ? first_answered(e)
		              : call->status != IDL_E_WOULD_BLOCK ? call
		                                                  : NULL;
		if (c != NULL) {
			if (done != NULL)
				*done = c;
			return IDL_OK;
		}
		if (e->calls == NULL)
			return IDL_E_INVALID_ARGUMENT; /* nothing to wait for */
		if (e->error != IDL_OK)
			return e->error;
		idl_ring_frame f;
		idl_typed_handle local[IDL_MAX_HANDLES];
		landing(e, call, &f);
		int err = take_one(e, &f, local);
		if (err == IDL_OK) {
			const idl_frame_header *h = f.at;
			if (call != NULL && f.at == call->buf && h->txid == call->txid &&
			    (h->flags & IDL_FLAG_REPLY) != 0 &&
			    f.handle_count <= call->handle_room) {
				/* The reply awaited, already where it belongs: the
				 * common end of a synchronous call. */
				if (f.handle_count > 0)
					IDL_MEMCPY(call->handles, local,
					           sizeof(idl_typed_handle) * f.handle_count);
				call->size = f.size;
				call->handle_count = f.handle_count;
				answered(e, call, IDL_OK);
				continue;
			}
			if (!route(e, &f, local))
				keep(e, f.at, f.size, local, f.handle_count);
			if (overdue(++in_vain, &deadline, timeout_ns))
				return IDL_E_TIMEOUT;
			continue;
		}
		if (err == IDL_E_FRAME_TOO_LARGE) {
			/* It fit nowhere: without a scratch buffer it may have been
			 * the reply awaited, which cannot come now. */
			e->dropped++;
			if (call != NULL && e->scratch == NULL)
				answered(e, call, IDL_E_FRAME_TOO_LARGE);
			else if (overdue(++in_vain, &deadline, timeout_ns))
				return IDL_E_TIMEOUT;
			continue;
		}
		if (err != IDL_E_WOULD_BLOCK)
			return err;
		if (deadline == 0 && timeout_ns != 0)
			deadline = idl_os_now_ns() + timeout_ns;
		err = await_frame(e, deadline);
		if (err != IDL_OK)
			return err;
	}
}

/*
 * Waits for the frame of txid (0: the next frame) and gives it to the
 * caller. Everything else that arrives meanwhile goes where it belongs:
 * events to the event callback, replies to their calls in flight, frames
 * for other receives to the stash. A frame larger than the caller's buffer
 * lands in the scratch buffer, so that an event or another call's reply
 * never fails this receive.
 */
static int end_receive(idl_endpoint *ep, uint32_t txid, void *buf, size_t max_bytes, size_t *size,
                       idl_typed_handle *handles, uint32_t *handle_count)
{
	idl_chan_end *e = (idl_chan_end *)ep;
	if (((uintptr_t)buf & (IDL_FRAME_ALIGN - 1)) != 0)
		return IDL_E_BUFFER;
	if (e->stash_slots > 0) {
		int err = unstash(e, txid, buf, max_bytes, size, handles, handle_count);
		if (err != IDL_E_WOULD_BLOCK)
			return err;
	}
	if (e->error != IDL_OK)
		return e->error;
	uint64_t deadline = 0;
	uint32_t in_vain = 0; /* frames taken that were not the one awaited */
	for (;;) {
		idl_ring_frame f; /* not an initializer: it would zero wire */
		f.buf = buf;
		f.buf_bytes = max_bytes;
		f.alt = e->scratch;
		f.alt_bytes = e->scratch_bytes;
		idl_typed_handle local[IDL_MAX_HANDLES];
		int err = take_one(e, &f, local);
		if (err == IDL_OK) {
			const idl_frame_header *h = f.at;
			if (!route(e, &f, local)) {
				if (txid == 0 ||
				    (h->txid == txid && (h->flags & IDL_FLAG_REPLY) != 0))
					return give(e, &f, local, size, handles, handle_count);
				keep(e, f.at, f.size, local, f.handle_count);
			}
			if (overdue(++in_vain, &deadline, e->ep.timeout_ns))
				return IDL_E_TIMEOUT;
			continue;
		}
		if (err != IDL_E_WOULD_BLOCK)
			return err;
		if (deadline == 0)
			deadline = deadline_of(e);
		err = await_frame(e, deadline);
		if (err != IDL_OK)
			return err;
	}
}

static int end_defer(idl_endpoint *ep, uint32_t txid, idl_reply_token *token)
{
	idl_chan_end *e = (idl_chan_end *)ep;
	if (e->session == NULL)
		return IDL_E_TRANSPORT; /* not an end an idl_server serves */
	return idl_session_defer(e->session, txid, token);
}

static void end_release(idl_endpoint *ep, const idl_typed_handle *handles, uint32_t count)
{
	release((idl_chan_end *)ep, handles, count);
}

static const idl_endpoint_ops chan_end_ops = {
    .send_begin = end_send_begin,
    .send_commit = end_send_commit,
    .receive = end_receive,
    .call_begin = end_call_begin,
    .call_wait = end_call_wait,
    .call_end = end_call_end,
    .defer = end_defer,
    .release = end_release,
};

int idl_chan_end_init(idl_chan_end *e, void *region, size_t region_bytes, enum idl_chan_side side)
{
	uint32_t ring_bytes, max_frame;
	int err = idl_chan_check(region, region_bytes, &ring_bytes, &max_frame);
	if (err != IDL_OK)
		return err;
	IDL_MEMSET(e, 0, sizeof(*e));
	e->ep.ops = &chan_end_ops;
	e->shared = region;
	e->side = side;
	idl_chan_rings(e->shared, side, ring_bytes, max_frame, &e->tx, &e->rx);
	e->self = side == IDL_CHAN_CLIENT ? &e->shared->client : &e->shared->server;
	e->peer = side == IDL_CHAN_CLIENT ? &e->shared->server : &e->shared->client;
	e->doorbell = &e->shared->doorbell;
	e->sleep_on = side == IDL_CHAN_CLIENT ? e->self : &e->doorbell->wake;
	e->patience = (idl_patience){IDL_DEFAULT_SPIN, IDL_DEFAULT_YIELDS};
	e->spin_budget = UINT32_MAX;
	e->slice_ns = IDL_DEFAULT_SLICE_NS;
	return IDL_OK;
}

void idl_chan_end_set_doorbell(idl_chan_end *e, idl_doorbell *db, uint32_t slot)
{
	e->doorbell = db;
	e->slot = slot % IDL_DOORBELL_CHANNELS;
	if (e->side == IDL_CHAN_SERVER)
		e->sleep_on = &db->wake;
}

void idl_chan_end_set_transfer(idl_chan_end *e, const idl_transfer_ops *ops, void *ctx)
{
	e->xfer = ops;
	e->xfer_ctx = ctx;
}

void idl_chan_end_set_events(idl_chan_end *e, idl_event_fn fn, void *ctx)
{
	e->on_event = fn;
	e->event_ctx = ctx;
}

void idl_chan_end_set_scratch(idl_chan_end *e, void *buf, size_t bytes)
{
	e->scratch = buf;
	e->scratch_bytes = bytes;
}

void idl_chan_end_set_stash(idl_chan_end *e, idl_stash_entry *entries, void *frames, uint32_t slots,
                            uint32_t frame_bytes)
{
	e->stash = entries;
	e->stash_frames = frames;
	e->stash_slots = slots;
	e->stash_frame_bytes = frame_bytes & ~(IDL_FRAME_ALIGN - 1);
	for (uint32_t i = 0; i < slots; i++)
		entries[i].used = false;
}
