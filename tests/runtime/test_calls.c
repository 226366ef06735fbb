/*
 * test_calls.c: the client side of calls through generated stubs over a
 * channel in one process: what may arrive while a call waits (events larger
 * than its reply buffer, replies to other calls).
 */
#include "blk.h"
#include "chan_fixture.h"

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

static void on_event(void *ctx, void *frame, size_t size, const idl_typed_handle *handles,
                     uint32_t count)
{
	assert_int_equal(blk_device_event_dispatch(&events, ctx, frame, size, handles, count),
	                 IDL_OK);
}

/* What the server side writes into the reply ring, as a server would. */
static void server_sends_media_changed(idl_chan_end *server)
{
	memset(label, 'L', BLK_MAX_LABEL);
	blk_device_media_changed_event ev = {.label = {.size = BLK_MAX_LABEL, .data = label}};
	assert_int_equal(blk_device_send_media_changed(&server->ep, &ev), IDL_OK);
}

static void server_replies_to_flush(idl_chan_end *server, uint64_t txid)
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
	assert_int_equal(sizeof(rb.bytes), 32);
	assert_int_equal(blk_device_flush(&f.client.ep, &req, &rb, &reply, &error), IDL_OK);
	assert_int_equal(reply->header.txid, f.client.ep.next_txid);
	assert_int_equal(media_changes, 1);
	assert_int_equal(f.client.dropped, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_event_larger_than_reply_buffer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
