/*
 * test_server.c: the server side of the runtime in one process, the server
 * on a thread of its own (served.h): interfaces registered by their
 * generated descriptors, sessions with state of their own made and freed by
 * callbacks, and replies deferred to other threads.
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

/* Reads of blocks from DEFER_FROM on are deferred, into read_tokens. */
#define DEFER_FROM 5000u
#define MAX_READS  64u
static blk_device_read_token read_tokens[MAX_READS];
static _Atomic uint32_t deferred_reads;

/* Device.read answers with its session: block is the session's id, data
 * the count of reads this session made. */
static int dev_read(idl_request *r, const blk_device_read_request *req,
                    blk_device_read_reply *reply, sys_errno *error)
{
	(void)error;
	if (req->block >= DEFER_FROM) {
		uint32_t i = atomic_load(&deferred_reads);
		assert_true(i < MAX_READS);
		int err = blk_device_read_defer(r, &read_tokens[i]);
		atomic_store_explicit(&deferred_reads, i + 1, memory_order_release);
		return err;
	}
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

/* Device.flush defers every reply: tokens[i] is the i-th flush's, handed
 * to other threads by the release store of `deferred`. */
#define MAX_DEFERRED 256u
static blk_device_flush_token tokens[MAX_DEFERRED];
static _Atomic uint32_t deferred;

static int dev_flush(idl_request *r, const blk_device_flush_request *req,
                     blk_device_flush_reply *reply, sys_errno *error)
{
	(void)req, (void)reply, (void)error;
	uint32_t i = atomic_load(&deferred);
	assert_true(i < MAX_DEFERRED);
	int err = blk_device_flush_defer(r, &tokens[i]);
	atomic_store_explicit(&deferred, i + 1, memory_order_release);
	return err;
}

/* Waits (bounded) until the server has deferred n flushes. */
static void wait_deferred(uint32_t n)
{
	for (int i = 0; i < 5000 && atomic_load_explicit(&deferred, memory_order_acquire) < n; i++)
		nanosleep(&(struct timespec){0, 1000000}, NULL);
	assert_true(atomic_load_explicit(&deferred, memory_order_acquire) >= n);
}

static const blk_device_handlers device = {.read = dev_read, .flush = dev_flush};
static const console_console_handlers console = {.get_mode = con_get_mode};
static const console_mode console_ctx = CONSOLE_MODE_CANONICAL;

static void set_up(served *s, uint32_t refuse)
{
	atomic_store(&deferred, 0);
	atomic_store(&deferred_reads, 0);
	memset(tokens, 0, sizeof(tokens));
	memset(read_tokens, 0, sizeof(read_tokens));
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

/* A mark_blocks request (one record, a dot mark) broken by `how` after it
 * is encoded: 0, its records count none though their bytes are there
 * (IDL_E_RECORDS); 1, the dot's envelope counts a handle it did not take
 * (IDL_E_ENVELOPE). Either is a decoding error, which closes the channel. */
static void send_broken_mark(idl_endpoint *ep, int how)
{
	static const blk_label label = {.block = 1, .name = {.size = 2, .data = "ab"}};
	blk_device_mark_blocks_request req = {.mark = {.tag = BLK_MARK_DOT, .dot = 5}};
	req.labels.count = 1;
	req.labels.items = &label;
	static _Alignas(8) uint8_t frame[BLK_DEVICE_MARK_BLOCKS_REQUEST_MAX_BYTES];
	int64_t n =
	    blk_device_mark_blocks_request_encode(&req, 0, frame, sizeof(frame), NULL, NULL);
	assert_true(n > 0);
	blk_device_mark_blocks_request *w = (blk_device_mark_blocks_request *)frame;
	if (how == 0)
		w->labels.count = 0;
	else
		w->mark.envelope.handles = 1;
	void *at;
	assert_int_equal(ep->ops->send_begin(ep, (size_t)n, &at), IDL_OK);
	memcpy(at, frame, (size_t)n);
	assert_int_equal(ep->ops->send_commit(ep, (size_t)n, NULL, 0), IDL_OK);
}

static void test_bad_records_and_envelope_close(void **state)
{
	(void)state;
	for (int how = 0; how < 2; how++) {
		static served s;
		set_up(&s, SERVED_MAX);
		assert_int_equal(served_open(&s, 0), 0);
		served_start(&s);
		send_broken_mark(served_ep(&s, 0), how);
		wait_closed(1);
		assert_int_equal(atomic_load(&last_close_reason), IDL_E_PROTOCOL);
		served_close(&s);
	}
}

/* The thread that answers the deferred flushes: the first with a reply,
 * the second with an error, each token twice. */
static _Atomic bool go;
static int replied[4];

static void *replier(void *arg)
{
	(void)arg;
	for (int i = 0; i < 5000 && !atomic_load(&go); i++)
		nanosleep(&(struct timespec){0, 1000000}, NULL);
	wait_deferred(2);
	blk_device_flush_reply reply;
	memset(&reply, 0, sizeof(reply));
	replied[0] = blk_device_flush_reply_ok(&tokens[0], &reply);
	replied[1] = blk_device_flush_reply_ok(&tokens[0], &reply);
	replied[2] = blk_device_flush_reply_error(&tokens[1], SYS_ERRNO_IO);
	replied[3] = blk_device_flush_reply_error(&tokens[1], SYS_ERRNO_IO);
	return NULL;
}

/*
 * Section 2: two flushes whose replies the server defers to another
 * thread. Meanwhile the server serves other requests of the same client and
 * another client; then the thread answers, each token once.
 */
static void test_reply_deferred_to_another_thread(void **state)
{
	(void)state;
	static served s;
	set_up(&s, SERVED_MAX);
	assert_int_equal(served_open(&s, 0), 0);
	assert_int_equal(served_open(&s, 1), 1);
	served_start(&s);
	atomic_store(&go, false);
	pthread_t thread;
	assert_int_equal(pthread_create(&thread, NULL, replier, NULL), 0);
	idl_endpoint *ep = served_ep(&s, 0);
	blk_device_flush_request req = {0};
	blk_device_flush_pending p[2];
	assert_int_equal(blk_device_flush_start(ep, &req, &p[0]), IDL_OK);
	assert_int_equal(blk_device_flush_start(ep, &req, &p[1]), IDL_OK);
	wait_deferred(2);
	/* The server goes on: this client's reads, and another client's. */
	uint64_t block;
	uint8_t count;
	assert_int_equal(read_block(ep, &block, &count), IDL_OK);
	assert_int_equal(read_block(served_ep(&s, 1), &block, &count), IDL_OK);
	assert_int_equal(idl_call_wait(ep, &p[0].call, 1000000), IDL_E_TIMEOUT); /* not yet */
	atomic_store(&go, true);
	const blk_device_flush_reply *reply;
	sys_errno error = 0;
	assert_int_equal(blk_device_flush_finish(ep, &p[0], &reply, &error), IDL_OK);
	assert_int_equal(blk_device_flush_finish(ep, &p[1], &reply, &error), IDL_E_REMOTE);
	assert_int_equal(error, SYS_ERRNO_IO);
	pthread_join(thread, NULL);
	assert_int_equal(replied[0], IDL_OK);
	assert_int_equal(replied[1], IDL_E_REPLIED);
	assert_int_equal(replied[2], IDL_OK);
	assert_int_equal(replied[3], IDL_E_REPLIED);
	/* A token never given out is no token either. */
	blk_device_flush_token none;
	memset(&none, 0, sizeof(none));
	blk_device_flush_reply r0;
	memset(&r0, 0, sizeof(r0));
	assert_int_equal(blk_device_flush_reply_ok(&none, &r0), IDL_E_REPLIED);
	assert_int_equal(s.ch[0].client.dropped, 0);
	served_close(&s);
}

/* Answers the deferred flushes as they come, until all `n` are answered. */
static void *answer_all(void *arg)
{
	uint32_t n = *(const uint32_t *)arg;
	blk_device_flush_reply reply;
	memset(&reply, 0, sizeof(reply));
	for (uint32_t i = 0; i < n; i++) {
		wait_deferred(i + 1);
		assert_int_equal(blk_device_flush_reply_ok(&tokens[i], &reply), IDL_OK);
	}
	return NULL;
}

/*
 * Replies from another thread while the server thread sends its own on the
 * same channel: flushes (answered by another thread) and reads (answered by
 * the server) in flight together, every one answered, nothing lost. The
 * two threads share the channel's outgoing ring under the session's lock.
 */
static void test_deferred_and_direct_replies_together(void **state)
{
	(void)state;
	static served s;
	set_up(&s, SERVED_MAX);
	assert_int_equal(served_open(&s, 0), 0);
	served_start(&s);
	static uint32_t n = MAX_DEFERRED;
	pthread_t thread;
	assert_int_equal(pthread_create(&thread, NULL, answer_all, &n), 0);
	idl_endpoint *ep = served_ep(&s, 0);
	static blk_device_flush_pending flushes[MAX_DEFERRED];
	static blk_device_read_pending reads[MAX_DEFERRED];
	blk_device_flush_request freq = {0};
	blk_device_read_request rreq = {.block = 1};
	for (uint32_t i = 0; i < MAX_DEFERRED; i++) {
		assert_int_equal(blk_device_flush_start(ep, &freq, &flushes[i]), IDL_OK);
		assert_int_equal(blk_device_read_start(ep, &rreq, &reads[i]), IDL_OK);
	}
	for (uint32_t i = 0; i < MAX_DEFERRED; i++) {
		const blk_device_flush_reply *fr;
		const blk_device_read_reply *rr;
		sys_errno error;
		assert_int_equal(blk_device_read_finish(ep, &reads[i], &rr, &error), IDL_OK);
		assert_int_equal(rr->data.data[0], (uint8_t)(i + 1));
		assert_int_equal(blk_device_flush_finish(ep, &flushes[i], &fr, &error), IDL_OK);
	}
	pthread_join(thread, NULL);
	assert_int_equal(s.ch[0].client.dropped, 0);
	served_close(&s);
}

/*
 * A token whose session ended: using it is IDL_E_PEER_CLOSED, and nothing
 * is written into the channel.
 */
static void test_token_after_session_closed(void **state)
{
	(void)state;
	static served s;
	set_up(&s, SERVED_MAX);
	assert_int_equal(served_open(&s, 0), 0);
	served_start(&s);
	idl_endpoint *ep = served_ep(&s, 0);
	blk_device_flush_request req = {0};
	blk_device_flush_pending p;
	assert_int_equal(blk_device_flush_start(ep, &req, &p), IDL_OK);
	wait_deferred(1);
	idl_chan_end_close(&s.ch[0].client);
	wait_closed(1);
	idl_chan_shared *shared = (idl_chan_shared *)s.ch[0].region;
	uint32_t head = atomic_load(&shared->rep_head);
	blk_device_flush_reply reply;
	memset(&reply, 0, sizeof(reply));
	assert_int_equal(blk_device_flush_reply_ok(&tokens[0], &reply), IDL_E_PEER_CLOSED);
	assert_int_equal(blk_device_flush_reply_error(&tokens[0], SYS_ERRNO_IO), IDL_E_PEER_CLOSED);
	assert_int_equal(atomic_load(&shared->rep_head), head);
	served_close(&s);
}

/* A served channel with 4 KiB rings (they hold some 30 replies to read)
 * whose client has started n reads, which the server deferred into
 * read_tokens[0..n-1]. */
static idl_endpoint *start_deferred_reads(served *s, uint64_t reply_wait_ns,
                                          blk_device_read_pending *p, uint32_t n)
{
	atomic_store(&deferred_reads, 0);
	memset(read_tokens, 0, sizeof(read_tokens));
	served_init(s, 4096, BLK_DEVICE_MAX_FRAME_BYTES);
	assert_int_equal(idl_server_add_interface(&s->server, &blk_device_interface, &device, NULL),
	                 IDL_OK);
	s->server.reply_wait_ns = reply_wait_ns;
	assert_int_equal(served_open(s, 0), 0);
	served_start(s);
	idl_endpoint *ep = served_ep(s, 0);
	for (uint32_t i = 0; i < n; i++) {
		blk_device_read_request req = {.block = DEFER_FROM + i};
		assert_int_equal(blk_device_read_start(ep, &req, &p[i]), IDL_OK);
	}
	for (int i = 0; i < 5000 && atomic_load(&deferred_reads) < n; i++)
		nanosleep(&(struct timespec){0, 1000000}, NULL);
	assert_int_equal(atomic_load_explicit(&deferred_reads, memory_order_acquire), n);
	return ep;
}

/* Replies to the deferred reads from..from+n-1, counting those sent and
 * those that gave up (each token is used up either way). */
static void reply_deferred_reads(uint32_t from, uint32_t n, uint32_t *sent, uint32_t *gave_up)
{
	static uint8_t data[BLK_BLOCK_BYTES];
	blk_device_read_reply reply = {.data = {.size = BLK_BLOCK_BYTES, .data = data}};
	*sent = *gave_up = 0;
	for (uint32_t i = from; i < from + n; i++) {
		reply.block = DEFER_FROM + i;
		int err = blk_device_read_reply_ok(&read_tokens[i], &reply);
		assert_true(err == IDL_OK || err == IDL_E_TIMEOUT);
		*sent += err == IDL_OK;
		*gave_up += err == IDL_E_TIMEOUT;
		assert_int_equal(blk_device_read_reply_ok(&read_tokens[i], &reply), IDL_E_REPLIED);
	}
}

/* The client takes the replies to reads from..from+n-1 (the ones lost
 * time out at once); returns how many it got, each the right one. */
static uint32_t take_read_replies(idl_endpoint *ep, blk_device_read_pending *p, uint32_t from,
                                  uint32_t n)
{
	ep->timeout_ns = 1000000;
	uint32_t answered = 0;
	for (uint32_t i = from; i < from + n; i++) {
		const blk_device_read_reply *r;
		sys_errno error;
		int err = blk_device_read_finish(ep, &p[i], &r, &error);
		assert_true(err == IDL_OK || err == IDL_E_TIMEOUT);
		if (err == IDL_OK)
			assert_int_equal(r->block, DEFER_FROM + i);
		answered += err == IDL_OK;
	}
	return answered;
}

/*
 * A client that does not take its replies cannot hold up the thread that
 * answers it: deferred replies that find no room give up after the
 * server's reply_wait_ns, and the others are all there.
 */
static void test_deferred_reply_gives_up(void **state)
{
	(void)state;
	static served s;
	static blk_device_read_pending p[MAX_READS];
	idl_endpoint *ep = start_deferred_reads(&s, 5000000, p, MAX_READS);
	uint32_t sent, gave_up;
	reply_deferred_reads(0, MAX_READS, &sent, &gave_up);
	assert_true(sent > 0);
	assert_true(gave_up > 0);
	assert_int_equal(take_read_replies(ep, p, 0, MAX_READS), sent);
	served_close(&s);
}

static uint64_t monotonic_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/*
 * Nor for reply_wait_ns once per reply: after one reply has given up, the
 * session's next replies that find no room give up at once. The replies
 * that cannot fit (27 of 63 here) take one wait of 500 ms in all, where
 * they took one each (13.5 s). Once the client has taken its replies, the
 * next reply finds room and is sent.
 */
static void test_deferred_replies_wait_once(void **state)
{
	(void)state;
	static served s;
	static blk_device_read_pending p[MAX_READS];
	const uint64_t wait_ns = 500000000u;
	idl_endpoint *ep = start_deferred_reads(&s, wait_ns, p, MAX_READS - 1);
	uint64_t t0 = monotonic_ns();
	uint32_t sent, gave_up;
	reply_deferred_reads(0, MAX_READS - 1, &sent, &gave_up);
	uint64_t took = monotonic_ns() - t0;
	assert_true(gave_up >= 4);
	assert_true(took >= wait_ns);
	assert_true(took < 3 * wait_ns);
	assert_int_equal(take_read_replies(ep, p, 0, MAX_READS - 1), sent);
	/* Room again: the next deferred reply is sent. */
	ep->timeout_ns = 5000000000u;
	blk_device_read_request req = {.block = DEFER_FROM + MAX_READS - 1};
	assert_int_equal(blk_device_read_start(ep, &req, &p[MAX_READS - 1]), IDL_OK);
	for (int i = 0; i < 5000 && atomic_load(&deferred_reads) < MAX_READS; i++)
		nanosleep(&(struct timespec){0, 1000000}, NULL);
	reply_deferred_reads(MAX_READS - 1, 1, &sent, &gave_up);
	assert_int_equal(sent, 1);
	assert_int_equal(take_read_replies(ep, p, MAX_READS - 1, 1), 1);
	served_close(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sessions),
	    cmocka_unit_test(test_session_refused),
	    cmocka_unit_test(test_bad_records_and_envelope_close),
	    cmocka_unit_test(test_reply_deferred_to_another_thread),
	    cmocka_unit_test(test_deferred_and_direct_replies_together),
	    cmocka_unit_test(test_token_after_session_closed),
	    cmocka_unit_test(test_deferred_reply_gives_up),
	    cmocka_unit_test(test_deferred_replies_wait_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
