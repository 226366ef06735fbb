/*
 * test_ring.c: the rings and the endpoint in one process: wrap-around,
 * full, empty, batching, every inconsistent value a peer can write, and
 * the endpoint's stash, events, timeouts and peer-closed detection, and
 * one pass of the server loop.
 */
#include "chan_fixture.h"
#include "idl/server.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

static _Alignas(8) uint8_t buf[FIX_MAX_FRAME];

/*
 * Whether a server end takes as within a pass of the server loop (main runs
 * the tests that take twice, outside and within): batching, its tail
 * published lazily, and the room told by a flush, here after each take.
 * Within a pass idl_chan_end_take has an inline path of its own for small
 * frames, and out-of-line ones for every other record.
 */
static bool in_pass;

static int take_frame(idl_chan_end *e, void *into, size_t max_bytes, size_t *size,
                      idl_typed_handle *handles, uint32_t *count)
{
	bool pass = in_pass && e->side == IDL_CHAN_SERVER;
	if (e->side == IDL_CHAN_SERVER) {
		e->batching = pass;
		e->rx.lazy = pass;
	}
	int err = idl_chan_end_take(e, into, max_bytes, size, handles, count);
	if (pass)
		idl_chan_end_flush(e);
	return err;
}

static int take(idl_chan_end *e, size_t *size)
{
	idl_typed_handle handles[IDL_MAX_HANDLES];
	uint32_t count = IDL_MAX_HANDLES;
	return take_frame(e, buf, sizeof(buf), size, handles, &count);
}

static void test_empty(void **state)
{
	(void)state;
	static fixture f;
	fixture_init(&f);
	size_t size;
	assert_int_equal(take(&f.server, &size), IDL_E_WOULD_BLOCK);
	assert_int_equal(take(&f.client, &size), IDL_E_WOULD_BLOCK);
}

static void test_one_frame(void **state)
{
	(void)state;
	static fixture f;
	fixture_init(&f);
	assert_int_equal(send_frame(&f.client, 48, 7, IDL_FLAG_REQUEST, 1), IDL_OK);
	size_t size;
	assert_int_equal(take(&f.server, &size), IDL_OK);
	assert_int_equal(size, 48);
	assert_int_equal(check_frame(buf, 48, 1), 0);
	assert_int_equal(take(&f.server, &size), IDL_E_WOULD_BLOCK);
}

/* Sizes that do not divide the ring, so frames land at every offset and
 * padding records are written at the end again and again. */
static void test_wrap(void **state)
{
	(void)state;
	static fixture f;
	fixture_init(&f);
	uint32_t sent = 0, got = 0;
	for (uint32_t round = 0; round < 5000; round++) {
		uint32_t size = 24 + 8 * ((round * 7) % 29);
		void *at;
		assert_int_equal(f.client.ep.ops->send_begin(&f.client.ep, size, &at), IDL_OK);
		assert_true(((uintptr_t)at & 7) == 0);
		assert_true((uint8_t *)at + size <= (uint8_t *)f.client.tx.data + FIX_RING);
		fill_frame(at, size, 0, IDL_FLAG_REQUEST, 0, sent++);
		assert_int_equal(f.client.ep.ops->send_commit(&f.client.ep, size, NULL, 0), IDL_OK);
		size_t n;
		assert_int_equal(take(&f.server, &n), IDL_OK);
		assert_int_equal(n, size);
		assert_int_equal(check_frame(buf, size, got++), 0);
	}
	assert_true(f.client.tx.own > 4 * FIX_RING);
}

/* A channel with rings bigger than IDL_RING_REWIND_AT (the fixture's are
 * smaller, so they never rewind). */
#define BIG_RING 8192u
typedef struct big_fixture {
	_Alignas(64) uint8_t region[IDL_CHAN_RINGS_OFFSET + 2 * BIG_RING];
	idl_chan_end client, server;
} big_fixture;

/* Sends a 48-byte frame; returns its offset in the request ring. */
static uint32_t send_48(big_fixture *f, uint32_t seq)
{
	void *at;
	assert_int_equal(f->client.ep.ops->send_begin(&f->client.ep, 48, &at), IDL_OK);
	fill_frame(at, 48, 0, IDL_FLAG_REQUEST, 0, seq);
	assert_int_equal(f->client.ep.ops->send_commit(&f->client.ep, 48, NULL, 0), IDL_OK);
	return (uint32_t)((uint8_t *)at - f->client.tx.data);
}

/* Calls one at a time stay at the start of the ring: once past
 * IDL_RING_REWIND_AT with nothing unread, the next frame goes to offset 0. */
static void test_rewind_when_empty(void **state)
{
	(void)state;
	static big_fixture f;
	chan_pair_init(f.region, sizeof(f.region), BIG_RING, &f.client, &f.server);
	/* send_begin reserves the frame and room for its handle words. */
	uint32_t reservation = 48 + IDL_RING_HANDLE_ROOM;
	uint32_t rewinds = 0, highest = 0;
	for (uint32_t seq = 0; seq < 1000; seq++) {
		uint32_t offset = send_48(&f, seq);
		rewinds += offset == 0 && seq > 0;
		highest = offset > highest ? offset : highest;
		size_t size;
		assert_int_equal(take(&f.server, &size), IDL_OK);
		assert_int_equal(check_frame(buf, 48, seq), 0);
	}
	assert_true(highest < IDL_RING_REWIND_AT + reservation);
	assert_true(rewinds >= 1000 * 48 / (IDL_RING_REWIND_AT + 48));
}

/* With frames unread the producer goes on in order, and it looks for an
 * empty ring again only IDL_RING_REWIND_AT bytes later; nothing is lost. */
static void test_no_rewind_over_unread_frames(void **state)
{
	(void)state;
	static big_fixture f;
	chan_pair_init(f.region, sizeof(f.region), BIG_RING, &f.client, &f.server);
	uint32_t seq = 0, last = 0, offset;
	while ((offset = send_48(&f, seq)) < IDL_RING_REWIND_AT + 1024) {
		assert_true(seq == 0 || offset == last + 48);
		last = offset;
		seq++;
	}
	assert_int_equal(offset, last + 48);
	seq++;
	size_t size;
	for (uint32_t i = 0; i < seq; i++) {
		assert_int_equal(take(&f.server, &size), IDL_OK);
		assert_int_equal(check_frame(buf, 48, i), 0);
	}
	/* Empty now: a rewind comes within IDL_RING_REWIND_AT bytes. */
	uint32_t tries = 0;
	while ((offset = send_48(&f, seq)) != 0) {
		assert_int_equal(take(&f.server, &size), IDL_OK);
		assert_int_equal(check_frame(buf, 48, seq++), 0);
		assert_true(++tries <= IDL_RING_REWIND_AT / 48 + 1);
	}
	assert_int_equal(take(&f.server, &size), IDL_OK);
	assert_int_equal(check_frame(buf, 48, seq), 0);
}

/* The look at the consumer's index that a rewind takes is checked like
 * any other: a hostile tail is a protocol error, not a rewind. */
static void test_rewind_checks_the_tail(void **state)
{
	(void)state;
	static big_fixture f;
	chan_pair_init(f.region, sizeof(f.region), BIG_RING, &f.client, &f.server);
	/* Up to the first look (before it, the producer had no reason to load
	 * the tail: there was room). */
	for (uint32_t seq = 0; (f.client.tx.own & (BIG_RING - 1)) < IDL_RING_REWIND_AT; seq++)
		send_48(&f, seq);
	atomic_store(&((idl_chan_shared *)f.region)->req_tail, f.client.tx.own + 8);
	void *at;
	assert_int_equal(f.client.ep.ops->send_begin(&f.client.ep, 48, &at), IDL_E_PROTOCOL);
}

/* A full ring refuses (the caller asked not to wait); nothing is lost. */
static void test_full(void **state)
{
	(void)state;
	static fixture f;
	fixture_init(&f);
	uint32_t sent = 0;
	int err;
	while ((err = send_frame(&f.client, 64, 0, IDL_FLAG_REQUEST, sent)) == IDL_OK)
		sent++;
	assert_int_equal(err, IDL_E_WOULD_BLOCK);
	assert_true(sent >= 2);
	size_t size;
	for (uint32_t i = 0; i < sent; i++) {
		assert_int_equal(take(&f.server, &size), IDL_OK);
		assert_int_equal(check_frame(buf, 64, i), 0);
	}
	assert_int_equal(take(&f.server, &size), IDL_E_WOULD_BLOCK);
	assert_int_equal(send_frame(&f.client, 64, 0, IDL_FLAG_REQUEST, 99), IDL_OK);
}

/* idl_ring_can_reserve (its inline shortcut included) never promises room
 * that a reservation then does not find, at any fill and offset. */
static void test_can_reserve_never_promises_too_much(void **state)
{
	(void)state;
	static fixture f;
	fixture_init(&f);
	static const uint32_t sizes[] = {16, 64, 200, 256, 512};
	uint32_t promised = 0;
	size_t size;
	for (uint32_t round = 0; round < 3000; round++) {
		/* Move on by a frame or take one, so the fill and the offset wander. */
		if (round % 3 != 2)
			(void)send_frame(&f.client, 16 + 8 * (round % 13), 0, IDL_FLAG_REQUEST,
			                 round);
		else
			(void)take(&f.server, &size);
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			if (idl_ring_can_reserve(&f.client.tx, sizes[i]) != IDL_OK)
				continue;
			promised++;
			void *at;
			assert_int_equal(idl_ring_reserve(&f.client.tx, sizes[i], &at), IDL_OK);
			idl_ring_commit(&f.client.tx, 0);
		}
	}
	assert_true(promised > 1000);
}

/* A blocking send into a full ring waits up to the timeout, then fits
 * once room is made. */
static void test_blocking_send_times_out(void **state)
{
	(void)state;
	static fixture f;
	fixture_init(&f);
	while (send_frame(&f.client, FIX_MAX_FRAME, 0, IDL_FLAG_REQUEST, 0) == IDL_OK)
		;
	f.client.nonblock = false;
	f.client.ep.timeout_ns = 20000000;
	f.client.patience.spins = 0;
	assert_int_equal(send_frame(&f.client, FIX_MAX_FRAME, 0, IDL_FLAG_REQUEST, 0),
	                 IDL_E_TIMEOUT);
	size_t size;
	while (take(&f.server, &size) == IDL_OK)
		;
	assert_int_equal(send_frame(&f.client, FIX_MAX_FRAME, 0, IDL_FLAG_REQUEST, 0), IDL_OK);
}

/* The consumer loads the producer's index once per batch: a garbage head
 * written after the batch was loaded is only seen when the batch is done. */
static void test_batch_reads_index_once(void **state)
{
	(void)state;
	static fixture f;
	fixture_init(&f);
	for (uint32_t i = 0; i < 4; i++)
		assert_int_equal(send_frame(&f.client, 32, 0, IDL_FLAG_REQUEST, i), IDL_OK);
	size_t size;
	assert_int_equal(take(&f.server, &size), IDL_OK);
	atomic_store(&fixture_shared(&f)->req_head, 0xdeadbeefu);
	for (uint32_t i = 1; i < 4; i++) {
		assert_int_equal(take(&f.server, &size), IDL_OK);
		assert_int_equal(check_frame(buf, 32, i), 0);
	}
	assert_int_equal(take(&f.server, &size), IDL_E_PROTOCOL);
}

/* The server wakes a sleeping client once per batch, not once per frame. */
static void test_batched_wakeup(void **state)
{
	(void)state;
	static fixture f;
	fixture_init(&f);
	idl_chan_shared *c = fixture_shared(&f);
	atomic_store(&c->client.waiting, IDL_WAIT_DATA);
	f.server.batching = true;
	for (uint32_t i = 0; i < 5; i++)
		assert_int_equal(send_frame(&f.server, 32, i + 1, IDL_FLAG_REPLY, i), IDL_OK);
	assert_int_equal(atomic_load(&c->client.seq), 0);
	idl_chan_end_flush(&f.server);
	assert_int_equal(atomic_load(&c->client.seq), 1);
	/* Awake client: no wake at all. */
	atomic_store(&c->client.waiting, 0);
	assert_int_equal(send_frame(&f.server, 32, 9, IDL_FLAG_REPLY, 9), IDL_OK);
	idl_chan_end_flush(&f.server);
	assert_int_equal(atomic_load(&c->client.seq), 1);
}

/* The client rings the doorbell bit once; the server takes the set. */
static void test_doorbell(void **state)
{
	(void)state;
	static fixture f;
	fixture_init(&f);
	idl_doorbell *db = &fixture_shared(&f)->doorbell;
	assert_int_equal(send_frame(&f.client, 32, 0, IDL_FLAG_REQUEST, 0), IDL_OK);
	assert_int_equal(atomic_load(&db->ready[0]), 1);
	assert_int_equal(atomic_load(&db->summary), 1);
	assert_int_equal(atomic_load(&db->wake.seq), 0); /* the server was awake */
	atomic_store(&db->wake.waiting, IDL_WAIT_DATA);
	assert_int_equal(send_frame(&f.client, 32, 0, IDL_FLAG_REQUEST, 1), IDL_OK);
	assert_int_equal(atomic_load(&db->wake.seq), 1);
}

/* A waiter checks once per spin, then once per yield, and announces
 * itself in the waiter word only when both are used up. */
static uint32_t ready_calls, ready_on;
static bool ready_after(void *ctx)
{
	idl_wake *w = ctx;
	assert_int_equal(atomic_load(&w->waiting), 0); /* not announced yet */
	return ++ready_calls >= ready_on;
}

static void test_patience(void **state)
{
	(void)state;
	static idl_wake w;
	ready_calls = 0;
	ready_on = 7; /* the second yield's check */
	assert_int_equal(
	    idl_wait_for(&w, IDL_WAIT_DATA, ready_after, &w, (idl_patience){5, 3}, 0, 0), IDL_OK);
	assert_int_equal(ready_calls, 7);
	assert_int_equal(atomic_load(&w.seq), 0);
}

/* The interface of test_server_pass, dispatched by hand: a reply per
 * request, whatever its ordinal. */
static int echo_reply(const void *handlers, idl_request *r, void *frame, size_t size,
                      const idl_typed_handle *handles, uint32_t count)
{
	(void)handlers, (void)size, (void)handles, (void)count;
	const idl_frame_header *h = frame;
	return send_frame((idl_chan_end *)r->ep, 32, h->txid, IDL_FLAG_REPLY, h->ordinal);
}

static const idl_interface echo = {
    .name = "test.Echo",
    .max_frame_bytes = FIX_MAX_FRAME,
    .max_request_bytes = FIX_MAX_FRAME,
    .dispatch = echo_reply,
};

/* A server of the echo interface with the fixture's server end in its one
 * slot. */
typedef struct echo_server {
	idl_server s;
	idl_chan_end *slots[1];
	idl_session sessions[1];
	_Alignas(8) uint8_t buf[FIX_MAX_FRAME];
} echo_server;

static idl_server *echo_server_over(echo_server *e, fixture *f)
{
	idl_server_init(&e->s, &fixture_shared(f)->doorbell, e->slots, e->sessions, 1, e->buf,
	                sizeof(e->buf));
	assert_int_equal(idl_server_add_interface(&e->s, &echo, NULL, NULL), IDL_OK);
	assert_int_equal(idl_server_add(&e->s, &f->server, 0), 0);
	return &e->s;
}

/* One pass serves every queued request of a ready channel; with
 * time_passes the server adds the pass to busy_ns, without it not. */
static void test_server_pass(void **state)
{
	(void)state;
	static fixture f;
	fixture_init(&f);
	static echo_server e;
	idl_server *s = echo_server_over(&e, &f);
	s->time_passes = true;
	for (uint32_t i = 0; i < 3; i++)
		assert_int_equal(send_frame(&f.client, 32, i + 1, IDL_FLAG_REQUEST, i), IDL_OK);
	assert_int_equal(idl_server_poll(s, 1000000), 3);
	assert_int_equal(s->frames, 3);
	assert_int_equal(s->wakeups, 1);
	assert_true(s->busy_ns > 0);
	size_t size;
	for (uint32_t i = 0; i < 3; i++) {
		assert_int_equal(take(&f.client, &size), IDL_OK);
		assert_int_equal(check_frame(buf, 32, i), 0);
	}
	assert_int_equal(take(&f.client, &size), IDL_E_WOULD_BLOCK);
	/* Nothing ready: the poll times out having handled nothing. */
	s->patience = (idl_patience){10, 2};
	assert_int_equal(idl_server_poll(s, 1000000), 0);
	uint64_t busy = s->busy_ns;
	s->time_passes = false;
	assert_int_equal(send_frame(&f.client, 32, 9, IDL_FLAG_REQUEST, 9), IDL_OK);
	assert_int_equal(idl_server_poll(s, 1000000), 1);
	assert_int_equal(s->busy_ns, busy);
}

/* A pass that takes two frames or more and empties the watched channel
 * leaves it alone for a while (server.c, WATCH_SLIP_CHECKS); a pass of
 * one frame does not. A frame that comes meanwhile is still taken: by the
 * spin once the slip is over, or by the look before sleeping, which no
 * slip skips. */
static void test_server_slips_behind_a_stream(void **state)
{
	(void)state;
	static fixture f;
	fixture_init(&f);
	static echo_server e;
	idl_server *s = echo_server_over(&e, &f);
	s->patience = (idl_patience){100, 0}; /* the server spins, so it watches */
	size_t size;
	uint32_t txid = 1;

	/* One request a pass, as a synchronous client sends them: watched,
	 * no slip. */
	for (uint32_t i = 0; i < 2; i++) {
		assert_int_equal(send_frame(&f.client, 32, txid++, IDL_FLAG_REQUEST, 0), IDL_OK);
		assert_int_equal(idl_server_poll(s, 1000000000), 1);
		assert_int_equal(take(&f.client, &size), IDL_OK);
	}
	assert_int_equal(s->watched, 0);
	assert_int_equal(s->watch_slip, 0);

	/* Three in one pass: the server slips. The next frame is taken all
	 * the same, whether the spin outlasts the slip or not. */
	const idl_patience spins[] = {{100, 0}, {10, 0}};
	for (uint32_t k = 0; k < 2; k++) {
		s->patience = (idl_patience){100, 0};
		for (uint32_t i = 0; i < 3; i++)
			assert_int_equal(send_frame(&f.client, 32, txid++, IDL_FLAG_REQUEST, 0),
			                 IDL_OK);
		assert_int_equal(idl_server_poll(s, 1000000000), 3);
		assert_int_equal(s->watched, 0);
		assert_true(s->watch_slip > 0);
		for (uint32_t i = 0; i < 3; i++)
			assert_int_equal(take(&f.client, &size), IDL_OK);
		s->patience = spins[k];
		s->spin_budget = spins[k].spins;
		uint64_t sleeps = s->sleeps;
		assert_int_equal(send_frame(&f.client, 32, txid++, IDL_FLAG_REQUEST, 0), IDL_OK);
		assert_int_equal(idl_server_poll(s, 1000000000), 1);
		assert_int_equal(s->sleeps, sleeps); /* found before it slept */
		assert_int_equal(take(&f.client, &size), IDL_OK);
	}
}

/* Producer scribbles: each writes raw request-ring bytes and a head. */
typedef struct scribble {
	const char *what;
	uint32_t offset; /* where the record goes */
	uint32_t length; /* its length word */
	uint16_t handles;
	uint32_t published; /* the head published, relative to offset */
} scribble;

static const scribble scribbles[] = {
    {"head beyond capacity", 0, 32, 0, FIX_RING + 8},
    {"head not a multiple of 8", 0, 32, 0, 36},
    {"head behind tail", 0, 32, 0, 0xfffffff8u},
    {"length below a header", 0, 8, 0, 64},
    {"length not a multiple of 8", 0, 36, 0, 64},
    {"length above max frame", 0, FIX_MAX_FRAME + 8, 0, FIX_RING},
    {"length above published", 0, 64, 0, 32},
    {"length past the ring end", FIX_RING - 64, 128, 0, 128},
    {"padding not to the end", 0, IDL_RING_PAD | 64, 0, 128},
    {"padding not to the end, the whole ring published", 0, IDL_RING_PAD | 64, 0, FIX_RING},
    {"padding beyond published", FIX_RING - 64, IDL_RING_PAD | 64, 0, 32},
    {"handle count above max", 0, 32, IDL_MAX_HANDLES + 1, 512},
    {"handles beyond published", 0, 32, 4, 32},
    {"handles past the ring end", FIX_RING - 32, 32, 2, 40},
    {"zero length", 0, 0, 0, 32},
};

static void test_protocol_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(scribbles) / sizeof(scribbles[0]); i++) {
		static fixture f;
		const scribble *s = &scribbles[i];
		fixture_init(&f);
		idl_chan_shared *c = fixture_shared(&f);
		uint8_t *ring = f.region + IDL_CHAN_RINGS_OFFSET;
		uint32_t start = s->offset;
		if (start != 0) {
			/* Both sides at `offset`, as if frames had ended there: the
			 * producer's API cannot put a frame that close to the ring's
			 * end (it reserves room for handle words too, and pads to
			 * the end when that room is not there). */
			f.client.tx.own = f.client.tx.peer = f.client.tx.retry_rewind = start;
			f.server.rx.own = f.server.rx.peer = f.server.rx.published = start;
			atomic_store(&c->req_head, start);
			atomic_store(&c->req_tail, start);
		}
		idl_frame_header h = {.size = s->length, .handle_count = s->handles};
		memcpy(ring + start, &h, sizeof(h));
		atomic_store(&c->req_head, start + s->published);
		size_t size;
		print_message("  %s\n", s->what);
		assert_int_equal(take(&f.server, &size), IDL_E_PROTOCOL);
		/* Closed for good, and the peer is told. */
		assert_int_equal(take(&f.server, &size), IDL_E_PROTOCOL);
		assert_int_equal(atomic_load(&c->server.closed), 1);
		void *at;
		assert_int_equal(f.server.ep.ops->send_begin(&f.server.ep, 32, &at),
		                 IDL_E_PROTOCOL);
		assert_int_equal(f.client.ep.ops->send_begin(&f.client.ep, 32, &at),
		                 IDL_E_PEER_CLOSED);
	}
}

/* The consumer's index, scribbled: the producer refuses to send. */
static void test_protocol_error_tail(void **state)
{
	(void)state;
	/* Ahead of the head, unaligned and ahead, far behind, and unaligned
	 * though behind within the ring. */
	static const uint32_t tails[] = {8, 4, 0xfffffc00u, 0xfffffffcu};
	for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
		static fixture f;
		fixture_init(&f);
		while (send_frame(&f.client, 64, 0, IDL_FLAG_REQUEST, 0) == IDL_OK)
			;
		atomic_store(&fixture_shared(&f)->req_tail, f.client.tx.own + tails[i]);
		void *at;
		assert_int_equal(f.client.ep.ops->send_begin(&f.client.ep, 64, &at),
		                 IDL_E_PROTOCOL);
	}
}

/* A valid frame bigger than the caller's buffer is skipped, not fatal. */
static void test_frame_too_large_for_caller(void **state)
{
	(void)state;
	static fixture f;
	fixture_init(&f);
	assert_int_equal(send_frame(&f.client, 200, 0, IDL_FLAG_REQUEST, 1), IDL_OK);
	assert_int_equal(send_frame(&f.client, 32, 0, IDL_FLAG_REQUEST, 2), IDL_OK);
	_Alignas(8) uint8_t small[64];
	size_t size;
	uint32_t count = 0;
	assert_int_equal(take_frame(&f.server, small, sizeof(small), &size, NULL, &count),
	                 IDL_E_FRAME_TOO_LARGE);
	assert_int_equal(take_frame(&f.server, small, sizeof(small), &size, NULL, &count), IDL_OK);
	assert_int_equal(check_frame(small, 32, 2), 0);
}

/* A writer whose commit is not its frame: it writes a request of `size`
 * bytes that says it has `handles` handles, then commits `committed` bytes
 * and no handles. The channel takes the commit's word for it. */
static void commit_other_than_written(fixture *f, uint32_t size, uint16_t handles, size_t committed)
{
	void *at;
	assert_int_equal(f->client.ep.ops->send_begin(&f->client.ep, size, &at), IDL_OK);
	fill_frame(at, size, 0, IDL_FLAG_REQUEST, handles, 0);
	assert_int_equal(f->client.ep.ops->send_commit(&f->client.ep, committed, NULL, 0), IDL_OK);
}

static void test_cancel(void **state)
{
	(void)state;
	static fixture f;
	fixture_init(&f);
	void *at;
	assert_int_equal(f.client.ep.ops->send_begin(&f.client.ep, 64, &at), IDL_OK);
	assert_int_equal(f.client.ep.ops->send_commit(&f.client.ep, 0, NULL, 0), IDL_OK);
	size_t size;
	assert_int_equal(take(&f.server, &size), IDL_E_WOULD_BLOCK);
	/* A commit that is not the frame's own size field is published as
	 * told; the consumer refuses it. */
	commit_other_than_written(&f, 64, 0, 56);
	assert_int_equal(take(&f.server, &size), IDL_E_PROTOCOL);
}

/* The same for a handle count that is not the frame's: the frame says two
 * handles, the commit publishes none, and the consumer refuses a record
 * that would run past what was published. */
static void test_commit_handle_count_not_the_frames(void **state)
{
	(void)state;
	static fixture f;
	fixture_init(&f);
	commit_other_than_written(&f, 64, 2, 64);
	size_t size;
	assert_int_equal(take(&f.server, &size), IDL_E_PROTOCOL);
}

static void test_handles_pass_through(void **state)
{
	(void)state;
	static fixture f;
	fixture_init(&f);
	void *at;
	idl_typed_handle in[3] = {{11, IDL_KIND_SHM}, {22, IDL_KIND_ANY}, {33, IDL_KIND_CHANNEL}};
	assert_int_equal(f.client.ep.ops->send_begin(&f.client.ep, 40, &at), IDL_OK);
	fill_frame(at, 40, 0, IDL_FLAG_REQUEST, 3, 5);
	assert_int_equal(f.client.ep.ops->send_commit(&f.client.ep, 40, in, 3), IDL_OK);
	idl_typed_handle out[4];
	uint32_t count = 4;
	size_t size;
	assert_int_equal(take_frame(&f.server, buf, sizeof(buf), &size, out, &count), IDL_OK);
	assert_int_equal(count, 3);
	assert_int_equal(out[2].value, 33);
	/* Without transfer ops the core cannot tell what a word names. */
	assert_int_equal(out[2].kind, IDL_KIND_ANY);
	/* Too little room for the handles: an error, the channel goes on. */
	assert_int_equal(f.client.ep.ops->send_begin(&f.client.ep, 40, &at), IDL_OK);
	fill_frame(at, 40, 0, IDL_FLAG_REQUEST, 3, 6);
	assert_int_equal(f.client.ep.ops->send_commit(&f.client.ep, 40, in, 3), IDL_OK);
	count = 1;
	assert_int_equal(take_frame(&f.server, buf, sizeof(buf), &size, out, &count),
	                 IDL_E_HANDLE_COUNT);
	assert_int_equal(send_frame(&f.client, 32, 0, IDL_FLAG_REQUEST, 7), IDL_OK);
	assert_int_equal(take(&f.server, &size), IDL_OK);
}

/* A reply that brings more handles than its call has room for: the call
 * fails with IDL_E_HANDLE_COUNT, and nothing is written past its room. */
static void test_call_reply_with_too_many_handles(void **state)
{
	(void)state;
	static fixture f;
	fixture_init(&f);
	static _Alignas(8) uint8_t reply[FIX_MAX_FRAME];
	idl_typed_handle room[2] = {{0, IDL_KIND_ANY}, {99, IDL_KIND_ANY}};
	idl_call call;
	idl_call_init(&call, reply, sizeof(reply), room, 1);
	call.txid = 9;
	assert_int_equal(f.client.ep.ops->call_begin(&f.client.ep, &call), IDL_OK);
	void *at;
	idl_typed_handle in[2] = {{11, IDL_KIND_ANY}, {22, IDL_KIND_ANY}};
	assert_int_equal(f.server.ep.ops->send_begin(&f.server.ep, 40, &at), IDL_OK);
	fill_frame(at, 40, 9, IDL_FLAG_REPLY, 2, 5);
	assert_int_equal(f.server.ep.ops->send_commit(&f.server.ep, 40, in, 2), IDL_OK);
	assert_int_equal(f.client.ep.ops->call_wait(&f.client.ep, &call, 0, NULL), IDL_OK);
	assert_int_equal(call.status, IDL_E_HANDLE_COUNT);
	assert_int_equal(room[1].value, 99);
	f.client.ep.ops->call_end(&f.client.ep, &call);
}

/* Replies out of order: each call finds its own; others wait in the stash. */
static void test_stash_out_of_order(void **state)
{
	(void)state;
	static fixture f;
	fixture_init(&f);
	static idl_stash_entry entries[4];
	static _Alignas(8) uint8_t frames[4][FIX_MAX_FRAME];
	idl_chan_end_set_stash(&f.client, entries, frames, 4, FIX_MAX_FRAME);
	assert_int_equal(send_frame(&f.server, 40, 3, IDL_FLAG_REPLY, 3), IDL_OK);
	assert_int_equal(send_frame(&f.server, 48, 1, IDL_FLAG_REPLY, 1), IDL_OK);
	assert_int_equal(send_frame(&f.server, 56, 2, IDL_FLAG_REPLY, 2), IDL_OK);
	static const uint64_t order[] = {2, 1, 3};
	for (int i = 0; i < 3; i++) {
		size_t size;
		idl_typed_handle h[1];
		uint32_t count = 1;
		assert_int_equal(f.client.ep.ops->receive(&f.client.ep, order[i], buf, sizeof(buf),
		                                          &size, h, &count),
		                 IDL_OK);
		assert_int_equal(((idl_frame_header *)buf)->txid, order[i]);
		assert_int_equal(check_frame(buf, (uint32_t)size, (uint32_t)order[i]), 0);
	}
	assert_int_equal(f.client.dropped, 0);
}

static int events_seen;
static void on_event(void *ctx, void *frame, size_t size, size_t frame_max,
                     const idl_typed_handle *handles, uint32_t count)
{
	(void)ctx;
	(void)frame_max;
	(void)handles;
	(void)count;
	assert_int_equal(check_frame(frame, (uint32_t)size, 77), 0);
	events_seen++;
}

static void test_events_and_timeout(void **state)
{
	(void)state;
	static fixture f;
	fixture_init(&f);
	idl_chan_end_set_events(&f.client, on_event, NULL);
	f.client.ep.timeout_ns = 20000000;
	f.client.patience.spins = 10;
	assert_int_equal(send_frame(&f.server, 32, 0, IDL_FLAG_EVENT, 77), IDL_OK);
	assert_int_equal(send_frame(&f.server, 32, 5, IDL_FLAG_REPLY, 5), IDL_OK);
	size_t size;
	idl_typed_handle h[1];
	uint32_t count = 1;
	assert_int_equal(
	    f.client.ep.ops->receive(&f.client.ep, 5, buf, sizeof(buf), &size, h, &count), IDL_OK);
	assert_int_equal(events_seen, 1);
	uint64_t t0 = idl_os_now_ns();
	count = 1;
	assert_int_equal(
	    f.client.ep.ops->receive(&f.client.ep, 6, buf, sizeof(buf), &size, h, &count),
	    IDL_E_TIMEOUT);
	uint64_t waited = idl_os_now_ns() - t0;
	assert_true(waited >= 19000000 && waited < 2000000000);
	/* A late reply without a stash is dropped and counted. */
	assert_int_equal(send_frame(&f.server, 32, 6, IDL_FLAG_REPLY, 6), IDL_OK);
	assert_int_equal(send_frame(&f.server, 32, 7, IDL_FLAG_REPLY, 7), IDL_OK);
	count = 1;
	assert_int_equal(
	    f.client.ep.ops->receive(&f.client.ep, 7, buf, sizeof(buf), &size, h, &count), IDL_OK);
	assert_int_equal(f.client.dropped, 1);
}

/* Frames sent before a close still arrive; then the peer is closed. */
static void test_peer_closed(void **state)
{
	(void)state;
	static fixture f;
	fixture_init(&f);
	assert_int_equal(send_frame(&f.server, 32, 1, IDL_FLAG_REPLY, 1), IDL_OK);
	idl_chan_end_close(&f.server);
	size_t size;
	idl_typed_handle h[1];
	uint32_t count = 1;
	assert_int_equal(
	    f.client.ep.ops->receive(&f.client.ep, 1, buf, sizeof(buf), &size, h, &count), IDL_OK);
	count = 1;
	assert_int_equal(
	    f.client.ep.ops->receive(&f.client.ep, 2, buf, sizeof(buf), &size, h, &count),
	    IDL_E_PEER_CLOSED);
	void *at;
	assert_int_equal(f.client.ep.ops->send_begin(&f.client.ep, 32, &at), IDL_E_PEER_CLOSED);
}

/* The client's frames before its close are taken; then the server's take
 * says the client is gone, and the channel is closed. */
static void test_server_sees_the_client_close(void **state)
{
	(void)state;
	static fixture f;
	fixture_init(&f);
	assert_int_equal(send_frame(&f.client, 48, 0, IDL_FLAG_REQUEST, 1), IDL_OK);
	assert_int_equal(send_frame(&f.client, 160, 0, IDL_FLAG_REQUEST, 2), IDL_OK);
	idl_chan_end_close(&f.client);
	size_t size;
	assert_int_equal(take(&f.server, &size), IDL_OK);
	assert_int_equal(check_frame(buf, 48, 1), 0);
	assert_int_equal(take(&f.server, &size), IDL_OK);
	assert_int_equal(check_frame(buf, 160, 2), 0);
	assert_int_equal(take(&f.server, &size), IDL_E_PEER_CLOSED);
	assert_int_equal(take(&f.server, &size), IDL_E_PEER_CLOSED);
}

/* A client that wrote padding to the ring's end, published it with nothing
 * after it (only a hostile one does) and closed: the take that crosses the
 * padding finds the ring empty and says the client is gone. */
static void test_padding_then_close(void **state)
{
	(void)state;
	static fixture f;
	fixture_init(&f);
	size_t size;
	assert_int_equal(send_frame(&f.client, 64, 0, IDL_FLAG_REQUEST, 1), IDL_OK);
	assert_int_equal(take(&f.server, &size), IDL_OK);
	uint32_t pad = IDL_RING_PAD | (FIX_RING - 64);
	memcpy(f.region + IDL_CHAN_RINGS_OFFSET + 64, &pad, sizeof(pad));
	atomic_store(&fixture_shared(&f)->req_head, FIX_RING);
	idl_chan_end_close(&f.client);
	assert_int_equal(take(&f.server, &size), IDL_E_PEER_CLOSED);
}

static void test_bad_regions(void **state)
{
	(void)state;
	static fixture f;
	fixture_init(&f);
	uint32_t ring, max;
	assert_int_equal(idl_chan_check(f.region, sizeof(f.region), &ring, &max), IDL_OK);
	assert_int_equal(idl_chan_check(f.region, sizeof(f.region) - 8, &ring, &max),
	                 IDL_E_PROTOCOL);
	idl_chan_shared *c = fixture_shared(&f);
	c->ring_bytes = FIX_RING + 8;
	assert_int_equal(idl_chan_check(f.region, sizeof(f.region), &ring, &max), IDL_E_PROTOCOL);
	c->ring_bytes = FIX_RING;
	c->max_frame_bytes = FIX_RING;
	assert_int_equal(idl_chan_check(f.region, sizeof(f.region), &ring, &max), IDL_E_PROTOCOL);
	c->max_frame_bytes = FIX_MAX_FRAME;
	c->magic = 0;
	assert_int_equal(idl_chan_check(f.region, sizeof(f.region), &ring, &max), IDL_E_PROTOCOL);
	assert_int_equal(idl_chan_format(f.region, sizeof(f.region), 1000, FIX_MAX_FRAME),
	                 IDL_E_INVALID_ARGUMENT);
}

/* A client's send takes a stream's lines ahead for writing only on a CPU
 * with PREFETCHW, which it reads with CPUID; Linux reads the same bit and
 * names it 3dnowprefetch in /proc/cpuinfo. */
static void test_write_ahead_follows_the_cpu(void **state)
{
	(void)state;
	bool listed = false;
#if defined(__x86_64__)
	FILE *cpuinfo = fopen("/proc/cpuinfo", "r");
	if (cpuinfo == NULL)
		skip();
	static char line[16384]; /* a flags line is one line, however long */
	while (!listed && fgets(line, sizeof(line), cpuinfo) != NULL)
		listed = strncmp(line, "flags", 5) == 0 && strstr(line, " 3dnowprefetch") != NULL;
	fclose(cpuinfo);
#endif
	fixture f;
	fixture_init(&f);
	assert_int_equal(f.client.tx.write_ahead, listed);
	assert_int_equal(f.server.tx.write_ahead, listed);
	assert_false(f.client.rx.write_ahead);
	assert_false(f.server.rx.write_ahead);
}

static int enter_pass(void **state)
{
	(void)state;
	in_pass = true;
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_empty),
	    cmocka_unit_test(test_one_frame),
	    cmocka_unit_test(test_wrap),
	    cmocka_unit_test(test_rewind_when_empty),
	    cmocka_unit_test(test_no_rewind_over_unread_frames),
	    cmocka_unit_test(test_rewind_checks_the_tail),
	    cmocka_unit_test(test_full),
	    cmocka_unit_test(test_can_reserve_never_promises_too_much),
	    cmocka_unit_test(test_blocking_send_times_out),
	    cmocka_unit_test(test_batch_reads_index_once),
	    cmocka_unit_test(test_batched_wakeup),
	    cmocka_unit_test(test_doorbell),
	    cmocka_unit_test(test_patience),
	    cmocka_unit_test(test_server_pass),
	    cmocka_unit_test(test_server_slips_behind_a_stream),
	    cmocka_unit_test(test_protocol_errors),
	    cmocka_unit_test(test_protocol_error_tail),
	    cmocka_unit_test(test_frame_too_large_for_caller),
	    cmocka_unit_test(test_cancel),
	    cmocka_unit_test(test_commit_handle_count_not_the_frames),
	    cmocka_unit_test(test_handles_pass_through),
	    cmocka_unit_test(test_call_reply_with_too_many_handles),
	    cmocka_unit_test(test_stash_out_of_order),
	    cmocka_unit_test(test_events_and_timeout),
	    cmocka_unit_test(test_peer_closed),
	    cmocka_unit_test(test_server_sees_the_client_close),
	    cmocka_unit_test(test_padding_then_close),
	    cmocka_unit_test(test_bad_regions),
	    cmocka_unit_test(test_write_ahead_follows_the_cpu),
	};
	/* The tests of what a server's take returns, again within a pass. */
	const struct CMUnitTest takes_in_a_pass[] = {
	    cmocka_unit_test(test_empty),
	    cmocka_unit_test(test_one_frame),
	    cmocka_unit_test(test_wrap),
	    cmocka_unit_test(test_protocol_errors),
	    cmocka_unit_test(test_frame_too_large_for_caller),
	    cmocka_unit_test(test_cancel),
	    cmocka_unit_test(test_commit_handle_count_not_the_frames),
	    cmocka_unit_test(test_handles_pass_through),
	    cmocka_unit_test(test_server_sees_the_client_close),
	    cmocka_unit_test(test_padding_then_close),
	};
	int failed = cmocka_run_group_tests_name("outside a pass", tests, NULL, NULL);
	failed += cmocka_run_group_tests_name("within a pass", takes_in_a_pass, enter_pass, NULL);
	return failed;
}
