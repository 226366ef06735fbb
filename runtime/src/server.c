/*
 * server.c: the server loop: take the doorbell's ready set and the slots
 * that kicked, drain each ready channel through the dispatchers of the
 * interfaces served, watch the channel of a client that keeps it busy,
 * tell every channel to kick before sleeping and look at the ones that
 * did not, sleep when nothing is ready; and sessions, which begin and end
 * with their channels.
 */
#include "idl/server.h"

void idl_server_init(idl_server *s, idl_doorbell *db, idl_chan_end **slots, idl_session *sessions,
                     uint32_t capacity, void *buf, size_t buf_bytes)
{
	IDL_MEMSET(s, 0, sizeof(*s));
	s->doorbell = db;
	s->slots = slots;
	s->sessions = sessions;
	s->capacity = capacity < IDL_DOORBELL_CHANNELS ? capacity : IDL_DOORBELL_CHANNELS;
	for (uint32_t i = 0; i < s->capacity; i++) {
		slots[i] = NULL;
		IDL_MEMSET(&sessions[i], 0, sizeof(sessions[i]));
		sessions[i].id = i;
		sessions[i].server = s;
	}
	s->batch_limit = IDL_DEFAULT_BATCH_LIMIT;
	s->patience = (idl_patience){IDL_DEFAULT_SPIN, IDL_DEFAULT_YIELDS};
	s->spin_budget = UINT32_MAX;
	s->sweep_passes = IDL_DEFAULT_SWEEP_PASSES;
	s->watched = IDL_SERVER_NO_WATCH;
	s->reply_wait_ns = IDL_DEFAULT_REPLY_WAIT_NS;
	s->buf = buf;
	s->buf_bytes = buf_bytes;
}

int idl_server_add_interface(idl_server *s, const idl_interface *iface, const void *handlers,
                             void *ctx)
{
	if (s->interface_count == IDL_SERVER_MAX_INTERFACES ||
	    (s->buf != NULL && s->buf_bytes < iface->max_request_bytes))
		return IDL_E_BUFFER;
	s->interfaces[s->interface_count++] = (idl_served_interface){iface, handlers, ctx};
	return IDL_OK;
}

uint32_t idl_server_max_request_bytes(const idl_server *s)
{
	uint32_t most = 0;
	for (uint32_t i = 0; i < s->interface_count; i++)
		if (s->interfaces[i].iface->max_request_bytes > most)
			most = s->interfaces[i].iface->max_request_bytes;
	return most;
}

uint32_t idl_server_max_frame_bytes(const idl_server *s)
{
	uint32_t most = 0;
	for (uint32_t i = 0; i < s->interface_count; i++)
		if (s->interfaces[i].iface->max_frame_bytes > most)
			most = s->interfaces[i].iface->max_frame_bytes;
	return most;
}

void idl_server_set_sessions(idl_server *s, idl_session_open_fn open, idl_session_close_fn close,
                             void *ctx)
{
	s->session_open = open;
	s->session_close = close;
	s->session_ctx = ctx;
}

void idl_server_set_close(idl_server *s, idl_close_fn fn, void *ctx)
{
	s->on_close = fn;
	s->close_ctx = ctx;
}

void idl_server_set_port(idl_server *s, const idl_server_port *port, void *ctx)
{
	s->port = port;
	s->port_ctx = ctx;
}

/* Stores how the client of a slot tells us about a frame (IDL_NOTIFY_*),
 * when that changes, and keeps the set of slots that do not kick. A move
 * to a stricter value needs a fence and a look at the channel after it
 * (the callers'). */
static void tell(idl_server *s, uint32_t slot, uint32_t how)
{
	idl_chan_end *e = s->slots[slot];
	if (e->told == how)
		return;
	e->told = (uint8_t)how;
	atomic_store_explicit(&e->shared->notify, how, memory_order_relaxed);
	uint32_t bit = 1u << (slot % 32);
	if (how == IDL_NOTIFY_KICK)
		s->lax[slot / 32] &= ~bit;
	else
		s->lax[slot / 32] |= bit;
}

/* Our fence, and one on every CPU that runs a client when the port can:
 * what pairs with a client's idl_fence_publisher. */
static void fence_clients(idl_server *s)
{
	atomic_thread_fence(memory_order_seq_cst);
	if (s->port != NULL && s->port->fence_clients != NULL)
		s->port->fence_clients(s->port_ctx);
}

static void end_session(idl_server *s, uint32_t slot, int reason, bool opened);

int idl_server_install(idl_server *s, uint32_t slot, idl_chan_end *end, uint64_t client)
{
	if (slot >= s->capacity || s->slots[slot] != NULL)
		return IDL_E_BUFFER;
	idl_session *session = &s->sessions[slot];
	session->client = client;
	session->state = NULL;
	idl_lock_take(&session->lock);
	session->open = true;
	session->starved = false;
	session->end = end;
	idl_lock_give(&session->lock);
	idl_chan_end_set_doorbell(end, s->doorbell, slot);
	end->session = session;
	end->tx_lock = &session->lock;
	end->batching = true;
	end->rx.lazy = true; /* the tail is published once per drain */
	s->slots[slot] = end;
	end->told = IDL_NOTIFY_BIT; /* what idl_chan_format wrote */
	s->lax[slot / 32] |= 1u << (slot % 32);
	s->kicked[slot / 32] &= ~(1u << (slot % 32));
	int err = s->session_open != NULL ? s->session_open(s->session_ctx, session) : IDL_OK;
	if (err != IDL_OK) {
		/* Refused: closed before anything was served; the close callback
		 * is not told, since nothing was opened. */
		end_session(s, slot, err, false);
		return err;
	}
	/* Frames sent before the client knew the slot: look once. */
	idl_doorbell_mark(s->doorbell, slot);
	return IDL_OK;
}

int idl_server_add(idl_server *s, idl_chan_end *end, uint64_t client)
{
	for (uint32_t i = 0; i < s->capacity; i++) {
		if (s->slots[i] != NULL)
			continue;
		int err = idl_server_install(s, i, end, client);
		return err != IDL_OK ? err : (int)i;
	}
	return IDL_E_BUFFER;
}

/* Closes the channel of a slot; `opened`: its session was opened and is
 * told to the close callback. */
static void end_session(idl_server *s, uint32_t slot, int reason, bool opened)
{
	idl_chan_end *e = s->slots[slot];
	idl_session *session = &s->sessions[slot];
	if (s->watched == slot)
		s->watched = IDL_SERVER_NO_WATCH;
	s->lax[slot / 32] &= ~(1u << (slot % 32));
	s->kicked[slot / 32] &= ~(1u << (slot % 32));
	/* Under the session's lock, so that a reply from another thread is
	 * either in before the close or sees the session ended. */
	idl_lock_take(&session->lock);
	idl_chan_end_fail(e, reason);
	session->open = false;
	session->generation++; /* its tokens are spent */
	session->end = NULL;
	atomic_store_explicit(&e->deferred, 0, memory_order_relaxed);
	idl_lock_give(&session->lock);
	s->slots[slot] = NULL;
	if (opened && s->session_close != NULL)
		s->session_close(s->session_ctx, session, reason);
	session->state = NULL;
	if (s->on_close != NULL)
		s->on_close(s->close_ctx, slot, e, reason);
}

void idl_server_close_slot(idl_server *s, uint32_t slot, int reason)
{
	if (slot < s->capacity && s->slots[slot] != NULL)
		end_session(s, slot, reason, true);
}

static bool decoding_error(int err)
{
	return (err <= IDL_E_FRAME_SHORT && err >= IDL_E_HANDLE_INDEX && err != IDL_E_BUFFER) ||
	       err == IDL_E_HANDLE_KIND || err == IDL_E_INLINE_SIZE || err == IDL_E_ENVELOPE ||
	       err == IDL_E_RECORDS;
}

/* Room for the largest reply? If not, ask the client to ring when it has
 * taken some (or, when it is watched, look at its tail as it moves), and
 * leave the requests where they are. */
static int reply_room_unlocked(idl_chan_end *e)
{
	uint32_t need = e->tx.max_frame + IDL_RING_HANDLE_ROOM;
	int err = idl_ring_can_reserve(&e->tx, need);
	if (err == IDL_E_WOULD_BLOCK) {
		e->room_wait = true;
		atomic_store_explicit(&e->self->waiting, IDL_WAIT_ROOM, memory_order_relaxed);
		fence_clients(e->session->server); /* rare: a client that does not read */
		err = idl_ring_can_reserve(&e->tx, need);
	}
	if (err == IDL_OK && e->room_wait) {
		e->room_wait = false;
		atomic_store_explicit(&e->self->waiting, 0, memory_order_relaxed);
	}
	return err;
}

/* The same, under the session's lock while replies from other threads
 * may be writing the ring. */
static int reply_room(idl_chan_end *e)
{
	bool locked = atomic_load_explicit(&e->deferred, memory_order_acquire) != 0;
	if (locked)
		idl_lock_take(e->tx_lock);
	int err = reply_room_unlocked(e);
	if (locked)
		idl_lock_give(e->tx_lock);
	return err;
}

/* Whether a channel has something for the server: a request (or a
 * protocol error to find) it can take, its client gone, or the room it
 * waited for made. A look at the channel's own words: no other client
 * can write them. `again`: the caller will ask again and again (a spin on
 * the watched channel), so have the next request's line on its way. */
static bool channel_looked_at(idl_chan_end *e, bool again)
{
	if (e->error != IDL_OK || atomic_load_explicit(&e->peer->closed, memory_order_acquire) != 0)
		return true;
	if (e->room_wait)
		return idl_ring_can_reserve(&e->tx, e->tx.max_frame + IDL_RING_HANDLE_ROOM) !=
		       IDL_E_WOULD_BLOCK;
	return again ? idl_ring_poll(&e->rx) : idl_ring_ready(&e->rx);
}

static bool channel_pending(idl_chan_end *e)
{
	return channel_looked_at(e, false);
}

/* Hands a request to the first interface that knows its ordinal. The
 * first interface is tried before the loop: most servers serve one. */
static int dispatch(idl_server *s, idl_request *r, size_t size, const idl_typed_handle *handles,
                    uint32_t count)
{
	if (s->interface_count == 0)
		return IDL_E_PROTOCOL;
	const idl_served_interface *served = &s->interfaces[0];
	r->ctx = served->ctx;
	int err = served->iface->dispatch(served->handlers, r, s->buf, size, handles, count);
	for (uint32_t i = 1; err == IDL_E_ORDINAL && i < s->interface_count; i++) {
		served = &s->interfaces[i];
		r->ctx = served->ctx;
		err = served->iface->dispatch(served->handlers, r, s->buf, size, handles, count);
	}
	/* A method no interface knows (a newer client's): "not supported",
	 * and the channel stays open. */
	if (err == IDL_E_ORDINAL) {
		s->unsupported++;
		err = idl_serve_not_supported(r->ep, s->buf, size, count);
	}
	return err;
}

/* ---- Watching one channel ----
 *
 * The client of a watched channel (NOTIFY_NONE) tells the server nothing:
 * after publishing it fences and reads `notify`, and sees NONE. In return
 * the server looks at the channel's indices on every pass and while it
 * spins, until it stores another value, fences and looks once more.
 * Either the client's look comes after the store and it tells, or the
 * server's last look sees what the client published: the store-buffer
 * pattern of docs/runtime.md, "Why no wake-up is lost". */

#define WATCH_MOVE_AFTER 64u /* busy passes without a frame before the watch may move */

static void drain(idl_server *s, uint32_t slot);

static void watch(idl_server *s, uint32_t slot)
{
	s->watched = slot;
	s->watch_quiet = 0;
	s->watch_slip = 0;
	tell(s, slot, IDL_NOTIFY_NONE);
}

/* After a pass that took frames: watch the last channel that had some if
 * none is watched, or move the watch there when the one watched has been
 * quiet a while. A move costs a fence and a look at the old channel, so it
 * is rare: with many clients in turn, once per WATCH_MOVE_AFTER passes. */
static void move_watch(idl_server *s)
{
	uint32_t slot = s->last_busy;
	/* Watching pays only while the server spins between passes. */
	if (slot == s->watched || s->slots[slot] == NULL || s->patience.spins == 0)
		return;
	if (s->watched != IDL_SERVER_NO_WATCH) {
		if (s->watch_quiet < WATCH_MOVE_AFTER)
			return;
		uint32_t old = s->watched;
		s->watched = IDL_SERVER_NO_WATCH;
		tell(s, old, IDL_NOTIFY_BIT);
		/* Our fence only, not the clients' (fence_clients costs a system
		 * call): a client that publishes with a compiler barrier may still
		 * read NONE, and its frame then waits for the next look that
		 * fences for it, before sleeping or at the next sweep. */
		atomic_thread_fence(memory_order_seq_cst);
		if (channel_pending(s->slots[old]))
			drain(s, old);
		if (s->slots[slot] == NULL)
			return;
	}
	watch(s, slot);
}

/*
 * A stream the server keeps up with: a pass that took two frames or more
 * and emptied the watched channel's ring leaves that ring alone for the
 * next WATCH_SLIP_CHECKS checks of the spin (about a microsecond) rather
 * than asking for its head again and again. A reader that has caught up
 * with a writer takes the head's line, and the line where the next frame
 * goes, back from the writer after every frame it commits; on a machine
 * whose CPUs are far apart the two then settle into a pass per frame at
 * half the rate (docs/benchmarks.md, "On a host whose CPUs are far
 * apart"). A synchronous client has one request at a time, so its passes
 * take one frame and never slip; nothing slips the look before sleeping.
 */
#define WATCH_SLIP_CHECKS 64u

/* The watched channel has work. */
static bool watched_ready(idl_server *s)
{
	if (s->watched == IDL_SERVER_NO_WATCH)
		return false;
	if (s->watch_slip > 0) {
		s->watch_slip--;
		return false;
	}
	return channel_looked_at(s->slots[s->watched], true);
}

static void drain(idl_server *s, uint32_t slot)
{
	idl_chan_end *e = s->slots[slot];
	if (e == NULL)
		return;
	uint32_t n = 0;
	for (; n < s->batch_limit; n++) {
		/* A synchronous client has one request in flight: after it, the
		 * ring is empty, and one load says so without the reply-room
		 * check. (A close rings the doorbell again: the next pass sees it.) */
		if (n > 0 && !idl_ring_ready(&e->rx)) {
			if (n >= 2 && slot == s->watched)
				s->watch_slip = WATCH_SLIP_CHECKS;
			break;
		}
		int err = reply_room(e);
		if (err == IDL_E_WOULD_BLOCK)
			break;
		if (err != IDL_OK) {
			idl_server_close_slot(s, slot, IDL_E_PROTOCOL);
			return;
		}
		idl_typed_handle handles[IDL_MAX_HANDLES];
		uint32_t count = IDL_MAX_HANDLES;
		size_t size;
		err = idl_chan_end_take(e, s->buf, s->buf_bytes, &size, handles, &count);
		if (err == IDL_E_WOULD_BLOCK)
			break;
		if (err == IDL_E_FRAME_TOO_LARGE)
			err = IDL_E_PROTOCOL; /* bigger than any request of the interface */
		if (err != IDL_OK) {
			idl_server_close_slot(s, slot, err);
			return;
		}
		idl_request r = {.ep = &e->ep, .session = e->session};
		err = dispatch(s, &r, size, handles, count);
		if (count > 0 && e->xfer != NULL && e->xfer->release_handles != NULL)
			e->xfer->release_handles(e->xfer_ctx, handles, count);
		s->frames++;
		if (e->error != IDL_OK ||
		    (err != IDL_OK && (decoding_error(err) || err == IDL_E_PROTOCOL))) {
			idl_chan_end_flush(e);
			idl_server_close_slot(s, slot,
			                      e->error != IDL_OK ? e->error : IDL_E_PROTOCOL);
			return;
		}
		if (err != IDL_OK) {
			s->errors++;
			s->last_error = err;
		}
	}
	idl_chan_end_flush(e);
	if (n > 0) {
		s->last_busy = slot;
		if (slot == s->watched)
			s->watch_quiet = 0;
		/* Awake and about to spin: the client marks its bit rather than
		 * kick (a system call). A server that sleeps at once keeps it
		 * kicking, and so needs no fence and no look before it sleeps. */
		if (e->told == IDL_NOTIFY_KICK && s->patience.spins > 0)
			tell(s, slot, IDL_NOTIFY_BIT);
	}
	if (n == s->batch_limit && s->watched != slot)
		idl_doorbell_mark(s->doorbell, slot); /* more waits: come back after the others */
}

void idl_server_peer_gone(idl_server *s, uint32_t slot)
{
	if (slot >= s->capacity || s->slots[slot] == NULL)
		return;
	idl_chan_end *e = s->slots[slot];
	drain(s, slot);
	if (s->slots[slot] == e)
		idl_server_close_slot(s, slot, IDL_E_PEER_CLOSED);
}

static bool interrupted(idl_server *s)
{
	return atomic_load_explicit(&s->interrupts, memory_order_acquire) != s->interrupts_seen;
}

/* What ends a spin: a doorbell bit, a kick, work on the watched channel, a
 * stop or an interrupt. */
static bool busy_ready(idl_server *s)
{
	return atomic_load_explicit(&s->doorbell->summary, memory_order_relaxed) != 0 ||
	       s->kicked_words != 0 || watched_ready(s) ||
	       (s->stop != NULL && atomic_load_explicit(s->stop, memory_order_relaxed)) ||
	       interrupted(s);
}

static bool busy_ready_fn(void *ctx)
{
	return busy_ready(ctx);
}

/* Every channel once: drains those with work; returns frames handled. */
static uint64_t sweep(idl_server *s)
{
	uint64_t before = s->frames;
	s->sweeps++;
	s->unswept = 0;
	fence_clients(s); /* so that a frame published before it is seen */
	for (uint32_t i = 0; i < s->capacity; i++)
		if (s->slots[i] != NULL && channel_pending(s->slots[i]))
			drain(s, i);
	return s->frames - before;
}

/* Whether any channel has work, without taking it. */
static bool any_pending(idl_server *s)
{
	for (uint32_t i = 0; i < s->capacity; i++)
		if (s->slots[i] != NULL && channel_pending(s->slots[i]))
			return true;
	return false;
}

/* Takes the ready set and drains what it names, and the watched channel;
 * returns frames handled. Every sweep_passes busy passes it sweeps too, so
 * that a client whose bits another keeps clearing still gets its turn; and
 * after IDL_SERVER_FALSE_ALARMS passes in a row that found the doorbell
 * rung and nothing to do, so that one whose kicks go unseen gets its turn
 * while another keeps the doorbell ringing with nothing behind it (the
 * server then never sleeps, which is where kicks are collected, and has
 * no busy passes to count).
 * Out of line so that profilers can count it alone (bench/run_ipc_callgrind.sh). */
__attribute__((noinline)) static uint64_t take_ready(idl_server *s)
{
	uint64_t before = s->frames;
	idl_doorbell *db = s->doorbell;
	/* A load first: with the client watched nothing rings, and an exchange
	 * would take the line from every client that reads it. */
	uint32_t summary = atomic_load_explicit(&db->summary, memory_order_relaxed);
	if (summary != 0)
		summary = atomic_exchange_explicit(&db->summary, 0, memory_order_seq_cst);
	bool rang = summary != 0;
	while (summary != 0) {
		uint32_t w = (uint32_t)__builtin_ctz(summary);
		summary &= summary - 1;
		uint32_t bits = atomic_exchange_explicit(&db->ready[w], 0, memory_order_seq_cst);
		/* Pairs with the client's fence in idl_doorbell_ring: after taking
		 * a bit we read the ring, or the client sets the bit again. */
		atomic_thread_fence(memory_order_seq_cst);
		while (bits != 0) {
			uint32_t slot = 32 * w + (uint32_t)__builtin_ctz(bits);
			bits &= bits - 1;
			if (slot < s->capacity)
				drain(s, slot);
		}
	}
	/* The slots that kicked the port while it slept: private, exact. */
	while (s->kicked_words != 0) {
		uint32_t w = (uint32_t)__builtin_ctz(s->kicked_words);
		s->kicked_words &= s->kicked_words - 1;
		uint32_t bits = s->kicked[w];
		s->kicked[w] = 0;
		while (bits != 0) {
			uint32_t slot = 32 * w + (uint32_t)__builtin_ctz(bits);
			bits &= bits - 1;
			if (slot < s->capacity)
				drain(s, slot);
		}
	}
	if (watched_ready(s))
		drain(s, s->watched);
	if (s->frames != before) {
		s->false_alarms = 0;
		if (++s->unswept >= s->sweep_passes)
			(void)sweep(s);
		s->watch_quiet++;
		move_watch(s);
	} else if (rang && ++s->false_alarms >= IDL_SERVER_FALSE_ALARMS) {
		s->false_alarms = 0;
		(void)sweep(s);
	}
	return s->frames - before;
}

/* A pass (or a sweep), timed when asked: its work, wake-ups of clients
 * included, but not the spinning or sleeping between passes. */
static uint64_t timed(idl_server *s, uint64_t (*work)(idl_server *))
{
	if (!s->time_passes)
		return work(s);
	uint64_t start = idl_os_now_ns();
	uint64_t handled = work(s);
	if (handled > 0)
		s->busy_ns += idl_os_now_ns() - start;
	return handled;
}

/* Before sleeping: every channel whose client would not kick is told to
 * (its bit goes in `changed`), then the fence for our clients; frames
 * they published before they saw KICK are there for the look after. */
static void tell_all_to_kick(idl_server *s, uint32_t *changed)
{
	bool any = false;
	s->watched = IDL_SERVER_NO_WATCH;
	for (uint32_t w = 0; w < IDL_DOORBELL_WORDS; w++) {
		uint32_t bits = changed[w] = s->lax[w];
		any |= bits != 0;
		while (bits != 0) {
			uint32_t slot = 32 * w + (uint32_t)__builtin_ctz(bits);
			bits &= bits - 1;
			tell(s, slot, IDL_NOTIFY_KICK);
		}
	}
	if (any)
		fence_clients(s);
	else
		atomic_thread_fence(memory_order_seq_cst);
}

/* The look after it: drains the channels told (or, without a port, every
 * channel: a futex wake-up another client can undo is no proof that
 * nothing came); returns the frames handled. */
static uint64_t look_before_sleeping(idl_server *s, const uint32_t *changed)
{
	if (s->port == NULL)
		return any_pending(s) ? sweep(s) : 0;
	uint64_t before = s->frames;
	for (uint32_t w = 0; w < IDL_DOORBELL_WORDS; w++) {
		uint32_t bits = changed[w];
		while (bits != 0) {
			uint32_t slot = 32 * w + (uint32_t)__builtin_ctz(bits);
			bits &= bits - 1;
			if (slot < s->capacity && s->slots[slot] != NULL &&
			    channel_pending(s->slots[slot]))
				drain(s, slot);
		}
	}
	return s->frames - before;
}

/* The look, in the shape timed() takes. */
static uint64_t changed_look(idl_server *s)
{
	return look_before_sleeping(s, s->changed);
}

/*
 * Waits for work as s->patience says (checks with a pause, then with a
 * yield), looking at the doorbell and the watched channel; then tells
 * every channel to kick, looks at those that did not before, and sleeps
 * until a client kicks, an interrupt, or deadline_ns (0: none). Returns
 * the frames that last look handled; 0 means: look again.
 */
static uint64_t wait_for_work(idl_server *s, uint64_t deadline_ns)
{
	/* Spinning pays while requests keep coming; after a poll that found
	 * nothing (an interrupt, say), go straight to sleep. */
	idl_patience p = s->idle ? (idl_patience){0, 0} : s->patience;
	if (p.spins > 0 && idl_spin_until(busy_ready_fn, s, p.spins, &s->spin_budget))
		return 0;
	for (uint32_t i = 0; i < p.yields; i++) {
		if (busy_ready(s))
			return 0;
		idl_os_yield();
	}
	idl_wake *w = &s->doorbell->wake;
	uint32_t seq = atomic_load_explicit(&w->seq, memory_order_acquire);
	tell_all_to_kick(s, s->changed);
	/* The look comes first, even with a bit or a kick waiting: a channel
	 * that was watched until now has no bit to be found by, and its client
	 * no reason to kick for what it published before it read KICK. */
	uint64_t handled = timed(s, changed_look);
	if (handled > 0 || busy_ready(s))
		return handled;
	uint64_t timeout = 0;
	if (deadline_ns != 0) {
		uint64_t now = idl_os_now_ns();
		if (now >= deadline_ns)
			return 0;
		timeout = deadline_ns - now;
	}
	s->sleeps++;
	if (s->port != NULL) {
		s->kicked_words |= s->port->sleep(s->port_ctx, timeout, s->kicked);
	} else {
		(void)idl_os_wait(&w->seq, seq, timeout);
	}
	return 0;
}

int64_t idl_server_poll(idl_server *s, uint64_t timeout_ns)
{
	uint64_t deadline = timeout_ns == 0 ? 0 : idl_os_now_ns() + timeout_ns;
	uint64_t handled = timed(s, take_ready);
	while (handled == 0) {
		if (s->stop != NULL && atomic_load_explicit(s->stop, memory_order_relaxed))
			break;
		/* Another thread wants the caller's loop to run (a new channel to
		 * install, say): return instead of waiting again. */
		if (interrupted(s)) {
			s->interrupts_seen =
			    atomic_load_explicit(&s->interrupts, memory_order_acquire);
			break;
		}
		handled = wait_for_work(s, deadline);
		if (handled == 0)
			handled = timed(s, take_ready);
		if (handled == 0 && deadline != 0 && idl_os_now_ns() >= deadline)
			break;
	}
	if (handled > 0)
		s->wakeups++;
	s->idle = handled == 0;
	return (int64_t)handled;
}

void idl_server_run(idl_server *s, _Atomic bool *stop)
{
	s->stop = stop;
	while (!atomic_load_explicit(stop, memory_order_acquire))
		(void)idl_server_poll(s, 0);
}

void idl_server_interrupt(idl_server *s)
{
	atomic_fetch_add_explicit(&s->interrupts, 1, memory_order_release);
	if (s->port != NULL)
		s->port->interrupt(s->port_ctx);
	else
		idl_doorbell_wake(s->doorbell);
}

/* ---- Deferred replies ---- */

static int reply_begin(idl_reply_token *t, size_t max_bytes, void **frame);
static int reply_commit(idl_reply_token *t, size_t bytes, const idl_typed_handle *handles,
                        uint32_t handle_count);

static const idl_reply_ops session_reply = {.begin = reply_begin, .commit = reply_commit};

/* The server thread, in a handler of the session. */
int idl_session_defer(idl_session *session, uint32_t txid, idl_reply_token *token)
{
	if (!session->open)
		return IDL_E_PEER_CLOSED;
	token->ops = &session_reply;
	token->owner = session;
	token->txid = txid;
	token->generation = session->generation; /* only this thread changes it */
	token->armed = 1;
	atomic_fetch_add_explicit(&session->end->deferred, 1, memory_order_relaxed);
	return IDL_OK;
}

/* With the session's lock: can the token still be used? */
static int token_state(const idl_reply_token *t, const idl_session *s)
{
	if (!t->armed)
		return IDL_E_REPLIED;
	if (!s->open || s->generation != t->generation)
		return IDL_E_PEER_CLOSED;
	return IDL_OK;
}

/* With the session's lock: the token is spent, with or without a reply. */
static void spend(idl_reply_token *t, idl_session *s)
{
	t->armed = 0;
	/* Release: whatever this thread did to the ring is seen by the server
	 * thread once it sees no tokens out and stops taking the lock. */
	atomic_fetch_sub_explicit(&s->end->deferred, 1, memory_order_release);
}

/*
 * Any thread. Takes the session's lock and room for the reply; keeps the
 * lock until reply_commit. A client that does not make room is looked at
 * again every millisecond until the server's reply_wait_ns has passed;
 * not at all when its last reply gave up and none has found room since
 * (session->starved).
 */
static int reply_begin(idl_reply_token *t, size_t max_bytes, void **frame)
{
	idl_session *s = t->owner;
	uint64_t deadline = 0;
	for (;;) {
		idl_lock_take(&s->lock);
		int err = token_state(t, s);
		if (err == IDL_OK)
			err = idl_chan_end_reserve_locked(s->end, max_bytes, frame);
		if (err == IDL_OK) {
			s->starved = false;
			return IDL_OK;
		}
		if (err == IDL_E_WOULD_BLOCK) {
			uint64_t now = idl_os_now_ns();
			if (deadline == 0)
				deadline = s->starved ? now : now + s->server->reply_wait_ns;
			if (now >= deadline) {
				s->starved = true;
				spend(t, s);
				err = IDL_E_TIMEOUT;
			}
		}
		idl_lock_give(&s->lock);
		if (err != IDL_E_WOULD_BLOCK)
			return err;
		/* A private word nobody wakes: a sleep of a millisecond. */
		_Atomic uint32_t word = 0;
		(void)idl_os_wait(&word, 0, 1000000);
	}
}

static int reply_commit(idl_reply_token *t, size_t bytes, const idl_typed_handle *handles,
                        uint32_t handle_count)
{
	idl_session *s = t->owner;
	int err = idl_chan_end_commit_locked(s->end, bytes, handles, handle_count);
	if (err == IDL_OK && bytes > 0)
		spend(t, s);
	idl_lock_give(&s->lock);
	return err;
}
