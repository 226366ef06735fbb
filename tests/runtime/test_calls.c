/*
 * test_calls.c: the client side of calls through generated stubs over a
 * channel in one process: what may arrive while a call waits (events larger
 * than its reply buffer, replies to other calls), and many calls in flight
 * on one channel, served by an idl_server on a thread of its own; and a
 * call that ends at its timeout while a server keeps events coming.
 */
#include "blk.h"
#include "chan_fixture.h"
#include "idl/server.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

static char label[BLK_MAX_LABEL + 1];

/* The event handler of the client: the label it was sent, and how often. */
static int media_changes;
static void on_media_changed(void *ctx, const blk_device_media_changed_event *event)
{
	(void)ctx;
	assert_int_equal(event->label.size, BLK_MAX_LABEL);
	assert_memory_equal(event->label.data, label, BLK_MAX_LABEL);
	media_changes++;
}

static const blk_device_event_handlers events = {.media_changed = on_media_changed};

static void on_event(void *ctx, void *frame, size_t size, size_t frame_max,
                     const idl_typed_handle *handles, uint32_t count)
{
	assert_int_equal(
	    blk_device_event_dispatch(&events, ctx, frame, size, frame_max, handles, count),
	    IDL_OK);
}

/* What the server side writes into the reply ring, as a server would. */
static void server_sends_media_changed(idl_chan_end *server)
{
	memset(label, 'L', BLK_MAX_LABEL);
	blk_device_media_changed_event ev = {.label = {.size = BLK_MAX_LABEL, .data = label}};
	assert_int_equal(blk_device_send_media_changed(&server->ep, &ev), IDL_OK);
}

static void server_replies_to_flush(idl_chan_end *server, uint32_t txid)
{
	void *at;
	assert_int_equal(
	    server->ep.ops->send_begin(&server->ep, BLK_DEVICE_FLUSH_REPLY_MAX_BYTES, &at), IDL_OK);
	blk_device_flush_reply reply;
	memset(&reply, 0, sizeof(reply));
	int64_t n = blk_device_flush_reply_encode(&reply, txid, at,
	                                          BLK_DEVICE_FLUSH_REPLY_MAX_BYTES, NULL, NULL);
	assert_int_equal(idl_send_finish(&server->ep, n, NULL, 0), IDL_OK);
}

/*
 * An encoder that fails has already copied the caller's values into the
 * frame it reserved, the pointer of a string among them: the transport
 * zeroes the reservation as it gives it back, so nothing of the sender's
 * memory stays in the ring for the peer to read.
 */
static void test_failed_encode_leaves_no_pointer(void **state)
{
	(void)state;
	static fixture f;
	fixture_init(&f);
	static char bad[BLK_MAX_LABEL] = "a label with a NUL";
	bad[1] = '\0'; /* refused: a string holds no NUL */
	blk_device_media_changed_event ev = {.label = {.size = 10, .data = bad}};
	assert_int_not_equal(blk_device_send_media_changed(&f.server.ep, &ev), IDL_OK);
	uintptr_t pointer = (uintptr_t)bad;
	for (size_t i = 0; i + sizeof(pointer) <= sizeof(f.region); i++)
		if (memcmp(f.region + i, &pointer, sizeof(pointer)) == 0)
			fail_msg("the label's address is in the channel's memory at %zu", i);
	/* And the channel still works. */
	server_sends_media_changed(&f.server);
}

/*
 * Issue 10, section 1: the server sends an event of 144 bytes while the
 * client waits in flush, whose reply buffer holds 32. The call must return
 * its reply, and the event must reach the event callback.
 */
static void test_event_larger_than_reply_buffer(void **state)
{
	(void)state;
	static fixture f;
	fixture_init(&f);
	static _Alignas(8) uint8_t scratch[FIX_MAX_FRAME];
	idl_chan_end_set_scratch(&f.client, scratch, sizeof(scratch));
	idl_chan_end_set_events(&f.client, on_event, NULL);
	media_changes = 0;
	/* Both are in the ring before the call looks: the event first. */
	server_sends_media_changed(&f.server);
	server_replies_to_flush(&f.server, f.client.ep.next_txid + 1);
	blk_device_flush_request req = {0};
	blk_device_flush_reply_buffer rb;
	const blk_device_flush_reply *reply;
	sys_errno error;
	assert_int_equal(sizeof(rb.bytes), 24);
	assert_int_equal(blk_device_flush(&f.client.ep, &req, &rb, &reply, &error), IDL_OK);
	assert_int_equal(reply->header.txid, f.client.ep.next_txid);
	assert_int_equal(media_changes, 1);
	assert_int_equal(f.client.dropped, 0);
}

/* ---- A block device served on a thread ---- */

/* The block no read answers: its call waits forever. */
#define SILENT_BLOCK 7u

static void block_contents(uint64_t block, uint8_t *data)
{
	for (uint32_t i = 0; i < BLK_BLOCK_BYTES; i++)
		data[i] = (uint8_t)(block * 31 + i);
}

static int dev_read(idl_request *r, const blk_device_read_request *req,
                    blk_device_read_reply *reply, sys_errno *error)
{
	(void)r;
	static uint8_t data[BLK_BLOCK_BYTES];
	if (req->block == SILENT_BLOCK)
		return IDL_E_NO_HANDLER; /* sends nothing */
	if (req->block > 1000000) {
		*error = SYS_ERRNO_RANGE;
		return IDL_E_REMOTE;
	}
	block_contents(req->block, data);
	reply->block = req->block;
	reply->data = (idl_bytes){.size = BLK_BLOCK_BYTES, .data = data};
	return IDL_OK;
}

static const blk_device_handlers device = {.read = dev_read};

/* A channel with small rings: 4 KiB each, so that calls in flight fill
 * the request ring long before the thousandth. */
#define SMALL_RING 4096u

typedef struct served {
	_Alignas(64) uint8_t region[IDL_CHAN_RINGS_OFFSET + 2 * SMALL_RING];
	idl_chan_end client, server_end;
	idl_server server;
	idl_chan_end *slots[1];
	idl_session sessions[1];
	_Alignas(8) uint8_t buf[BLK_DEVICE_MAX_FRAME_BYTES];
	_Alignas(8) uint8_t scratch[BLK_DEVICE_MAX_FRAME_BYTES];
	_Atomic bool stop;
	pthread_t thread;
} served;

static void *serve(void *arg)
{
	served *s = arg;
	idl_server_run(&s->server, &s->stop);
	return NULL;
}

static void served_start(served *s)
{
	memset(s->region, 0, sizeof(s->region));
	assert_int_equal(
	    idl_chan_format(s->region, sizeof(s->region), SMALL_RING, BLK_DEVICE_MAX_FRAME_BYTES),
	    IDL_OK);
	assert_int_equal(
	    idl_chan_end_init(&s->client, s->region, sizeof(s->region), IDL_CHAN_CLIENT), IDL_OK);
	assert_int_equal(
	    idl_chan_end_init(&s->server_end, s->region, sizeof(s->region), IDL_CHAN_SERVER),
	    IDL_OK);
	s->server_end.nonblock = true; /* the loop checks for room itself */
	idl_chan_end_set_scratch(&s->client, s->scratch, sizeof(s->scratch));
	s->client.ep.timeout_ns = 10000000000u; /* a lost reply fails the test, not hangs it */
	idl_server_init(&s->server, &((idl_chan_shared *)s->region)->doorbell, s->slots,
	                s->sessions, 1, s->buf, sizeof(s->buf));
	assert_int_equal(idl_server_add_interface(&s->server, &blk_device_interface, &device, NULL),
	                 IDL_OK);
	assert_int_equal(idl_server_add(&s->server, &s->server_end, 0), 0);
	atomic_store(&s->stop, false);
	assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
}

static void served_stop(served *s)
{
	atomic_store(&s->stop, true);
	idl_server_interrupt(&s->server);
	pthread_join(s->thread, NULL);
}

static int start_read(idl_endpoint *ep, uint64_t block, blk_device_read_pending *p)
{
	blk_device_read_request req = {.block = block};
	return blk_device_read_start(ep, &req, p);
}

/* Finishes a read and checks that it answers `block`. */
static void finish_read(idl_endpoint *ep, uint64_t block, blk_device_read_pending *p)
{
	const blk_device_read_reply *reply;
	sys_errno error;
	assert_int_equal(blk_device_read_finish(ep, p, &reply, &error), IDL_OK);
	assert_int_equal(reply->block, block);
	uint8_t want[BLK_BLOCK_BYTES];
	block_contents(block, want);
	assert_int_equal(reply->data.size, BLK_BLOCK_BYTES);
	assert_memory_equal(reply->data.data, want, BLK_BLOCK_BYTES);
}

/*
 * 1000 calls in flight on one channel whose request ring holds a few dozen
 * requests: each start that finds the ring full takes the replies that
 * came meanwhile into their calls. Then every call is waited for, in the
 * order the replies come (idl_call_wait_any), and each has its own reply.
 */
#define IN_FLIGHT 1000u

static void test_thousand_calls_in_flight(void **state)
{
	(void)state;
	static served s;
	static blk_device_read_pending pending[IN_FLIGHT];
	served_start(&s);
	idl_endpoint *ep = &s.client.ep;
	for (uint32_t i = 0; i < IN_FLIGHT; i++)
		assert_int_equal(start_read(ep, 1000 + i, &pending[i]), IDL_OK);
	static bool done[IN_FLIGHT];
	memset(done, 0, sizeof(done));
	for (uint32_t n = 0; n < IN_FLIGHT; n++) {
		int err;
		idl_call *call = idl_call_wait_any(ep, 0, &err);
		assert_int_equal(err, IDL_OK);
		/* The call is the first member of its pending. */
		blk_device_read_pending *p = (blk_device_read_pending *)call;
		uint32_t i = (uint32_t)(p - pending);
		assert_true(i < IN_FLIGHT);
		assert_false(done[i]);
		done[i] = true;
		finish_read(ep, 1000 + i, p);
	}
	int err;
	assert_null(idl_call_wait_any(ep, 0, &err)); /* none left */
	assert_int_equal(err, IDL_E_INVALID_ARGUMENT);
	assert_int_equal(s.client.dropped, 0);
	served_stop(&s);
}

/*
 * txids are 32 bits and wrap. A call still in flight when the counter comes
 * round keeps its txid; the next call skips it (and 0), and both replies
 * reach their own calls.
 */
static void test_txid_wraps_around_a_call_in_flight(void **state)
{
	(void)state;
	static served s;
	served_start(&s);
	idl_endpoint *ep = &s.client.ep;
	blk_device_read_pending old, wrapped, next;
	ep->next_txid = UINT32_MAX - 1;
	assert_int_equal(start_read(ep, 1, &old), IDL_OK);
	assert_int_equal(old.call.txid, UINT32_MAX);
	ep->next_txid = UINT32_MAX - 1; /* 2^32 calls later */
	assert_int_equal(start_read(ep, 2, &wrapped), IDL_OK);
	assert_int_equal(wrapped.call.txid, 1); /* not UINT32_MAX, in flight; not 0 */
	assert_int_equal(start_read(ep, 3, &next), IDL_OK);
	assert_int_equal(next.call.txid, 2);
	finish_read(ep, 3, &next);
	finish_read(ep, 2, &wrapped);
	finish_read(ep, 1, &old);
	assert_int_equal(s.client.dropped, 0);
	served_stop(&s);
}

/*
 * Ten calls in flight, one of which the server never answers: waiting for
 * it times out, the others are answered all the same, and a synchronous
 * call after it works.
 */
static void test_one_call_times_out_among_many(void **state)
{
	(void)state;
	static served s;
	served_start(&s);
	idl_endpoint *ep = &s.client.ep;
	blk_device_read_pending p[10];
	for (uint32_t i = 0; i < 10; i++)
		assert_int_equal(start_read(ep, i, &p[i]), IDL_OK);
	/* The silent one first: it times out, and stays in flight. */
	assert_int_equal(idl_call_wait(ep, &p[SILENT_BLOCK].call, 50000000), IDL_E_TIMEOUT);
	assert_int_equal(p[SILENT_BLOCK].call.status, IDL_E_WOULD_BLOCK);
	for (uint32_t i = 0; i < 10; i++)
		if (i != SILENT_BLOCK)
			finish_read(ep, i, &p[i]);
	/* Its _finish gives up after the endpoint's timeout. */
	ep->timeout_ns = 20000000;
	const blk_device_read_reply *reply;
	sys_errno error;
	assert_int_equal(blk_device_read_finish(ep, &p[SILENT_BLOCK], &reply, &error),
	                 IDL_E_TIMEOUT);
	ep->timeout_ns = 10000000000u;
	blk_device_read_request req = {.block = 3};
	blk_device_read_reply_buffer rb;
	assert_int_equal(blk_device_read(ep, &req, &rb, &reply, &error), IDL_OK);
	assert_int_equal(reply->block, 3);
	req.block = 2000000;
	assert_int_equal(blk_device_read(ep, &req, &rb, &reply, &error), IDL_E_REMOTE);
	assert_int_equal(error, SYS_ERRNO_RANGE);
	assert_null(s.client.calls);
	served_stop(&s);
}

/*
 * A server that never answers a call but keeps events coming, faster than
 * the client takes them, never lets the reply ring run empty, which is
 * where a wait checked its deadline: the call still ends at its timeout.
 * (It waited for as long as the events came: here until the stream is
 * stopped, after 3 s.)
 */
#define STREAM_RING (64u << 10)
static _Alignas(64) uint8_t stream_region[IDL_CHAN_RINGS_OFFSET + 2 * STREAM_RING];
static _Atomic bool stream_stop;

/* 256 events of 16 bytes at a time, whenever the client left room for them. */
static void *event_stream(void *arg)
{
	(void)arg;
	idl_chan_shared *c = (idl_chan_shared *)stream_region;
	uint8_t *ring = stream_region + idl_chan_reply_ring_offset(STREAM_RING);
	uint32_t head = 0;
	uint64_t end = idl_os_now_ns() + 3000000000u;
	while (!atomic_load(&stream_stop) && idl_os_now_ns() < end) {
		if (STREAM_RING - (head - atomic_load(&c->rep_tail)) < 4096)
			continue;
		for (uint32_t i = 0; i < 4096; i += 16)
			fill_frame(ring + ((head + i) & (STREAM_RING - 1)), 16, 0, IDL_FLAG_EVENT,
			           0, 7);
		head += 4096;
		atomic_store(&c->rep_head, head);
		atomic_fetch_add(&c->client.seq, 1);
		idl_os_wake(&c->client.seq);
	}
	return NULL;
}

/* An event callback with a microsecond of work: slower than the stream. */
static uint64_t events_taken;
static void slow_event(void *ctx, void *frame, size_t size, size_t frame_max,
                       const idl_typed_handle *handles, uint32_t count)
{
	(void)ctx, (void)frame, (void)size, (void)frame_max, (void)handles, (void)count;
	events_taken++;
	uint64_t until = idl_os_now_ns() + 1000;
	while (idl_os_now_ns() < until)
		;
}

static void test_timeout_while_events_keep_coming(void **state)
{
	(void)state;
	idl_chan_end client;
	assert_int_equal(idl_chan_format(stream_region, sizeof(stream_region), STREAM_RING, 8192),
	                 IDL_OK);
	assert_int_equal(
	    idl_chan_end_init(&client, stream_region, sizeof(stream_region), IDL_CHAN_CLIENT),
	    IDL_OK);
	idl_chan_end_set_events(&client, slow_event, NULL);
	idl_endpoint *ep = idl_chan_end_endpoint(&client);
	ep->timeout_ns = 100000000u; /* 100 ms */
	pthread_t stream;
	assert_int_equal(pthread_create(&stream, NULL, event_stream, NULL), 0);
	blk_device_read_request req = {.block = 1};
	blk_device_read_reply_buffer rb;
	const blk_device_read_reply *reply;
	sys_errno error;
	uint64_t start = idl_os_now_ns();
	int err = blk_device_read(ep, &req, &rb, &reply, &error);
	uint64_t took = idl_os_now_ns() - start;
	atomic_store(&stream_stop, true);
	pthread_join(stream, NULL);
	print_message("  a 100 ms call ended after %.3f s, %llu events taken meanwhile\n",
	              (double)took / 1e9, (unsigned long long)events_taken);
	assert_int_equal(err, IDL_E_TIMEOUT);
	assert_true(events_taken > 0);
	assert_true(took < 1000000000u); /* a bound, far from the 3 s of the stream */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_event_larger_than_reply_buffer),
	    cmocka_unit_test(test_failed_encode_leaves_no_pointer),
	    cmocka_unit_test(test_thousand_calls_in_flight),
	    cmocka_unit_test(test_one_call_times_out_among_many),
	    cmocka_unit_test(test_txid_wraps_around_a_call_in_flight),
	    cmocka_unit_test(test_timeout_while_events_keep_coming),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
