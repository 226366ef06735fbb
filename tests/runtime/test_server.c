/*
 * test_server.c: the server side of the runtime in one process, the server
 * on a thread of its own (served.h): interfaces registered by their
 * generated descriptors, sessions with state of their own made and freed by
 * callbacks.
 */
#include "blk.h"
#include "console.h"
#include "served.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <time.h>

#include <cmocka.h>

#define RING 32768u /* holds two of Console's largest frames */

/* What the server keeps per session. */
typedef struct session_state {
	uint32_t reads;
	bool in_use;
} session_state;

static session_state states[SERVED_MAX];
static _Atomic uint32_t opened, closed, refuse_after;
static _Atomic int last_close_reason;

static int session_open(void *ctx, idl_session *session)
{
	(void)ctx;
	if (atomic_fetch_add(&opened, 1) >= atomic_load(&refuse_after))
		return IDL_E_BUFFER;
	session_state *st = &states[session->id];
	assert_false(st->in_use);
	*st = (session_state){.in_use = true};
	session->state = st;
	return IDL_OK;
}

static void session_close(void *ctx, idl_session *session, int reason)
{
	(void)ctx;
	session_state *st = session->state;
	assert_non_null(st);
	st->in_use = false;
	atomic_store(&last_close_reason, reason);
	atomic_fetch_add(&closed, 1);
}

/* Device.read answers with its session: block is the session's id, data
 * the count of reads this session made. */
static int dev_read(idl_request *r, const blk_device_read_request *req,
                    blk_device_read_reply *reply, sys_errno *error)
{
	(void)req, (void)error;
	static uint8_t count;
	session_state *st = r->session->state;
	count = (uint8_t)++st->reads;
	reply->block = r->session->id;
	reply->data = (idl_bytes){.size = 1, .data = &count};
	return IDL_OK;
}

/* Console.get_mode, on the same channel: the handler's context and the
 * session reach it too. */
static int con_get_mode(idl_request *r, const console_console_get_mode_request *req,
                        console_console_get_mode_reply *reply, sys_errno *error)
{
	(void)req, (void)error;
	session_state *st = r->session->state;
	reply->mode = *(const console_mode *)r->ctx | (st->reads > 0 ? CONSOLE_MODE_ECHO : 0);
	return IDL_OK;
}

static const blk_device_handlers device = {.read = dev_read};
static const console_console_handlers console = {.get_mode = con_get_mode};
static const console_mode console_ctx = CONSOLE_MODE_CANONICAL;

static void set_up(served *s, uint32_t refuse)
{
	atomic_store(&opened, 0);
	atomic_store(&closed, 0);
	atomic_store(&refuse_after, refuse);
	served_init(s, RING, CONSOLE_CONSOLE_MAX_FRAME_BYTES);
	assert_int_equal(idl_server_add_interface(&s->server, &blk_device_interface, &device, NULL),
	                 IDL_OK);
	assert_int_equal(idl_server_add_interface(&s->server, &console_console_interface, &console,
	                                          (void *)&console_ctx),
	                 IDL_OK);
	idl_server_set_sessions(&s->server, session_open, session_close, NULL);
}

static int read_block(idl_endpoint *ep, uint64_t *block, uint8_t *count)
{
	blk_device_read_request req = {.block = 1};
	blk_device_read_reply_buffer rb;
	const blk_device_read_reply *reply;
	sys_errno error;
	int err = blk_device_read(ep, &req, &rb, &reply, &error);
	if (err == IDL_OK) {
		*block = reply->block;
		*count = reply->data.data[0];
	}
	return err;
}

static console_mode get_mode(idl_endpoint *ep)
{
	console_console_get_mode_request req = {0};
	console_console_get_mode_reply_buffer rb;
	const console_console_get_mode_reply *reply;
	sys_errno error;
	assert_int_equal(console_console_get_mode(ep, &req, &rb, &reply, &error), IDL_OK);
	return reply->mode;
}

/* Waits (bounded) until the server has closed n sessions. */
static void wait_closed(uint32_t n)
{
	for (int i = 0; i < 5000 && atomic_load(&closed) < n; i++)
		nanosleep(&(struct timespec){0, 1000000}, NULL);
	assert_int_equal(atomic_load(&closed), n);
}

/* Two clients, two interfaces on each channel, state per session. */
static void test_sessions(void **state)
{
	(void)state;
	static served s;
	set_up(&s, SERVED_MAX);
	assert_int_equal(served_open(&s, 0), 0);
	assert_int_equal(served_open(&s, 1), 1);
	assert_int_equal(s.sessions[1].client, 1001);
	served_start(&s);
	uint64_t block;
	uint8_t count;
	assert_int_equal(get_mode(served_ep(&s, 0)), CONSOLE_MODE_CANONICAL);
	for (uint8_t i = 1; i <= 3; i++) {
		assert_int_equal(read_block(served_ep(&s, 0), &block, &count), IDL_OK);
		assert_int_equal(block, 0);
		assert_int_equal(count, i);
	}
	assert_int_equal(get_mode(served_ep(&s, 0)), CONSOLE_MODE_CANONICAL | CONSOLE_MODE_ECHO);
	assert_int_equal(read_block(served_ep(&s, 1), &block, &count), IDL_OK);
	assert_int_equal(block, 1);
	assert_int_equal(count, 1);
	/* A client that closes ends its session, and only its own. */
	idl_chan_end_close(&s.ch[0].client);
	wait_closed(1);
	assert_int_equal(atomic_load(&last_close_reason), IDL_E_PEER_CLOSED);
	assert_false(states[0].in_use);
	assert_true(states[1].in_use);
	assert_int_equal(read_block(served_ep(&s, 1), &block, &count), IDL_OK);
	assert_int_equal(count, 2);
	served_close(&s);
	assert_int_equal(atomic_load(&closed), 2);
	assert_false(states[1].in_use);
}

/* A session the open callback refuses is closed at once. */
static void test_session_refused(void **state)
{
	(void)state;
	static served s;
	set_up(&s, 1);
	assert_int_equal(served_open(&s, 0), 0);
	assert_int_equal(served_open(&s, 1), IDL_E_BUFFER);
	served_start(&s);
	uint64_t block;
	uint8_t count;
	assert_int_equal(read_block(served_ep(&s, 1), &block, &count), IDL_E_PEER_CLOSED);
	assert_int_equal(read_block(served_ep(&s, 0), &block, &count), IDL_OK);
	served_close(&s);
	assert_int_equal(atomic_load(&closed), 1); /* the refused one never opened */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sessions),
	    cmocka_unit_test(test_session_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
