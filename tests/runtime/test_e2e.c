/*
 * test_e2e.c: generated stubs against a generated dispatcher in another
 * process, over the Linux port: connect by name, synchronous calls,
 * several calls in flight, a shared-memory handle, timeouts, a dead
 * server, sessions limited per client and per user, a client that never
 * reads its socket and one that half-closes it, one server with 1,
 * 16 and 256 clients, and the default rings: their size, and how much of
 * them setup commits.
 */
#include "../../runtime/linux/port.h" /* the socket name a raw client connects to */
#include "blk.h"
#include "demo_server.h"

#include <dirent.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

static char name[64];
static pid_t server;

static int start(void **state)
{
	static int n;
	(void)state;
	snprintf(name, sizeof(name), "test-e2e-%d-%d", (int)getpid(), n++);
	server = demo_start(name);
	return server > 0 ? 0 : -1;
}

/* A server of channels in huge pages, and this process trusting it with
 * them (until stop). */
static int start_huge(void **state)
{
	demo_huge_pages = true;
	int err = start(state);
	demo_huge_pages = false;
	idl_linux_trust_huge_pages(true);
	return err;
}

/* A server of the default ring size, in ordinary pages or in huge ones. */
static int start_default_rings(void **state)
{
	demo_ring = 0;
	int err = start(state);
	demo_ring = DEMO_RING;
	return err;
}

static int start_default_rings_huge(void **state)
{
	demo_huge_pages = true;
	int err = start_default_rings(state);
	demo_huge_pages = false;
	idl_linux_trust_huge_pages(true);
	return err;
}

static int stop(void **state)
{
	(void)state;
	idl_linux_trust_huge_pages(false);
	if (server > 0)
		demo_stop_server(server);
	server = 0;
	return 0;
}

static void test_sync_calls(void **state)
{
	(void)state;
	idl_linux_conn c;
	assert_int_equal(demo_connect(&c, name), IDL_OK);
	idl_endpoint *ep = idl_chan_end_endpoint(&c.end);
	for (uint32_t i = 0; i < 20000; i++)
		assert_int_equal(demo_call_write(ep, i % 64), IDL_OK);
	console_console_read_request req = {.max = 100};
	console_console_read_reply_buffer rb;
	const console_console_read_reply *reply;
	sys_errno error;
	assert_int_equal(console_console_read(ep, &req, &rb, &reply, &error), IDL_OK);
	assert_int_equal(reply->data.size, 5);
	assert_memory_equal(reply->data.data, "hello", 5);
	idl_linux_conn_close(&c);
}

/* The file server writes into the client's memfd, passed as a handle. */
static void test_shared_memory_handle(void **state)
{
	(void)state;
	idl_linux_conn c;
	assert_int_equal(demo_connect(&c, name), IDL_OK);
	idl_linux_region buffer;
	assert_int_equal(idl_linux_region_create(&buffer, "client-buffer", 4096), IDL_OK);
	for (int round = 0; round < 100; round++) {
		fs_file_read_shared_request req = {
		    .count = 1000, .buffer = (idl_handle)buffer.fd, .buffer_offset = 100};
		fs_file_read_shared_reply_buffer rb;
		const fs_file_read_shared_reply *reply;
		sys_errno error;
		assert_int_equal(
		    fs_file_read_shared(idl_chan_end_endpoint(&c.end), &req, &rb, &reply, &error),
		    IDL_OK);
		assert_int_equal(reply->count, sizeof(DEMO_FILE) - 1);
		assert_memory_equal((uint8_t *)buffer.base + 100, DEMO_FILE, reply->count);
		/* Out of range: the server's error value comes back. */
		req.buffer_offset = 4090;
		assert_int_equal(
		    fs_file_read_shared(idl_chan_end_endpoint(&c.end), &req, &rb, &reply, &error),
		    IDL_E_REMOTE);
		assert_int_equal(error, SYS_ERRNO_RANGE);
	}
	idl_linux_region_close(&buffer);
	idl_linux_conn_close(&c);
}

/* A read_shared request encoded in the ring by hand, not yet sent: the
 * caller spoils it (at, handles) and then sends it (idl_send_finish). */
static int64_t encode_read_shared_in_place(idl_endpoint *ep, const fs_file_read_shared_request *req,
                                           void **at, idl_typed_handle handles[1])
{
	assert_int_equal(ep->ops->send_begin(ep, FS_FILE_READ_SHARED_REQUEST_MAX_BYTES, at),
	                 IDL_OK);
	uint32_t count = 0;
	int64_t n = fs_file_read_shared_request_encode(req, idl_endpoint_txid(ep), *at,
	                                               FS_FILE_READ_SHARED_REQUEST_MAX_BYTES,
	                                               handles, &count);
	assert_int_equal(count, 1);
	return n;
}

/* A handle index out of order (the frame brings one handle and names the
 * second): the decoder says IDL_E_HANDLE_INDEX and the server closes that
 * channel. */
static void test_bad_handle_index(void **state)
{
	(void)state;
	idl_linux_conn c;
	assert_int_equal(demo_connect(&c, name), IDL_OK);
	idl_endpoint *ep = idl_chan_end_endpoint(&c.end);
	idl_linux_region buffer;
	assert_int_equal(idl_linux_region_create(&buffer, "client-buffer", 4096), IDL_OK);
	fs_file_read_shared_request req = {.count = 10, .buffer = (idl_handle)buffer.fd};
	void *at;
	idl_typed_handle handles[1];
	int64_t n = encode_read_shared_in_place(ep, &req, &at, handles);
	((fs_file_read_shared_request *)at)->buffer = 1;
	assert_int_equal(idl_send_finish(ep, n, handles, 1), IDL_OK);
	assert_int_equal(demo_call_write(ep, 3), IDL_E_PEER_CLOSED);
	idl_linux_region_close(&buffer);
	idl_linux_conn_close(&c);
}

/*
 * A handle of the wrong kind: the sender's transport refuses a descriptor
 * that is not what its field declares; one that claims nothing gets to the
 * server, whose transport finds it is a socket, not shared memory: the
 * decoder says IDL_E_HANDLE_KIND and the server closes that channel.
 */
static void test_wrong_kind_handle(void **state)
{
	(void)state;
	idl_linux_conn c;
	assert_int_equal(demo_connect(&c, name), IDL_OK);
	idl_endpoint *ep = idl_chan_end_endpoint(&c.end);
	assert_int_equal(idl_linux_handle_kind(c.sock), IDL_KIND_CHANNEL);
	fs_file_read_shared_request req = {.count = 10, .buffer = (idl_handle)c.sock};
	fs_file_read_shared_reply_buffer rb;
	const fs_file_read_shared_reply *reply;
	sys_errno error;
	assert_int_equal(fs_file_read_shared(ep, &req, &rb, &reply, &error), IDL_E_HANDLE_KIND);
	assert_int_equal(demo_call_write(ep, 3), IDL_OK); /* nothing was sent */

	void *at;
	idl_typed_handle handles[1];
	int64_t n = encode_read_shared_in_place(ep, &req, &at, handles);
	handles[0].kind = IDL_KIND_ANY; /* a hostile sender claims nothing */
	assert_int_equal(idl_send_finish(ep, n, handles, 1), IDL_OK);
	assert_int_equal(demo_call_write(ep, 3), IDL_E_PEER_CLOSED);
	idl_linux_conn_close(&c);
}

/* A client that names the interface it wants gets a server that serves it,
 * and IDL_E_HANDLE_KIND from one that does not. */
static void test_connect_checks_protocol(void **state)
{
	(void)state;
	idl_linux_conn c;
	assert_int_equal(demo_connect(&c, name), IDL_OK);
	idl_linux_conn_close(&c);
	assert_int_equal(idl_linux_connect(&c, name, FS_FILE_PROTOCOL, 5000), IDL_OK);
	idl_linux_conn_close(&c);
	assert_int_equal(idl_linux_connect(&c, name, CONSOLE_CONSOLE_PROTOCOL, 5000), IDL_OK);
	idl_linux_conn_close(&c);
	assert_int_equal(idl_linux_connect(&c, name, 0x12345678, 5000), IDL_E_HANDLE_KIND);
	assert_int_equal(c.sock, -1);
}

/* A client of another user is hung up at once: the name is an abstract
 * socket any local user can reach, and the server serves its own user (and
 * root). Needs root to become another user; skipped otherwise. */
static void test_other_users_are_refused(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	pid_t pid = fork();
	if (pid == 0) {
		if (setgid(65534) != 0 || setuid(65534) != 0)
			_exit(2);
		idl_linux_conn c;
		int err = IDL_E_TRANSPORT;
		for (int i = 0; i < 500 && err == IDL_E_TRANSPORT; i++) { /* while it starts */
			err = idl_linux_connect(&c, name, 0, 5000);
			if (err == IDL_E_TRANSPORT)
				usleep(10000);
		}
		_exit(err == IDL_E_PEER_CLOSED ? 0 : 1);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* Our own user is served all the same. */
	idl_linux_conn c;
	assert_int_equal(demo_connect(&c, name), IDL_OK);
	idl_linux_conn_close(&c);
}

/* One client process may hold four sessions: a fifth connection is hung
 * up at once, and a session closed makes room again. */
static int start_limited(void **state)
{
	demo_sessions_per_client = 4;
	int err = start(state);
	demo_sessions_per_client = 0;
	return err;
}

/* A server that sleeps as soon as it waits, so that every call kicks it. */
static int start_sleeping(void **state)
{
	demo_sleeps = true;
	int err = start(state);
	demo_sleeps = false;
	return err;
}

/* Makes `calls` calls, each a kick of a server that sleeps after each;
 * returns the bytes left in the kick pipe. */
static int kicks_left_after(uint32_t calls)
{
	idl_linux_conn c;
	assert_int_equal(demo_connect(&c, name), IDL_OK);
	c.end.patience = (idl_patience){0, 0};
	idl_endpoint *ep = idl_chan_end_endpoint(&c.end);
	for (uint32_t i = 0; i < calls; i++)
		assert_int_equal(demo_call_write(ep, i % 64), IDL_OK);
	int queued = -1;
	assert_int_equal(ioctl(c.kick_reader, FIONREAD, &queued), 0);
	idl_linux_conn_close(&c);
	return queued;
}

/* The server never reads its kick pipes, which hold a page of kicks: a
 * client whose pipe is full empties it and kicks again. 10,000 calls are
 * 10,000 kicks, so the pipe was emptied twice and is neither empty nor
 * full. (This kernel also wakes an epoll waiter for a write refused by a
 * full pipe, so a pipe never emptied would not stop the calls here.) */
static void test_kicks_past_a_full_pipe(void **state)
{
	(void)state;
	assert_in_range(kicks_left_after(10000), 1, 4095);
}

/* A kernel that wakes an epoll waiter only for a write to an empty pipe
 * (Linux 5.5 to 5.13): the server empties each pipe when it fires. This
 * kernel is not one, so the test plays one: the calls all end, and the
 * pipe holds no more than the kicks of the last calls the server took
 * without sleeping (one, or a few on a slow machine), not thousands. */
static int start_draining(void **state)
{
	demo_drains = true;
	int err = start_sleeping(state);
	demo_drains = false;
	return err;
}

static void test_kicks_drained_on_older_kernels(void **state)
{
	(void)state;
	assert_in_range(kicks_left_after(10000), 0, 8);
}

static void test_sessions_per_client(void **state)
{
	(void)state;
	idl_linux_conn c[5];
	for (int i = 0; i < 4; i++) {
		assert_int_equal(demo_connect(&c[i], name), IDL_OK);
		assert_int_equal(demo_call_write(idl_chan_end_endpoint(&c[i].end), 1), IDL_OK);
	}
	assert_int_equal(idl_linux_connect(&c[4], name, 0, 5000), IDL_E_PEER_CLOSED);
	idl_linux_conn_close(&c[0]);
	/* The server frees the slot once it has seen the close. */
	int err = IDL_E_PEER_CLOSED;
	for (int tries = 0; tries < 500 && err == IDL_E_PEER_CLOSED; tries++) {
		err = idl_linux_connect(&c[4], name, 0, 5000);
		if (err == IDL_E_PEER_CLOSED)
			usleep(10000);
	}
	assert_int_equal(err, IDL_OK);
	assert_int_equal(demo_call_write(idl_chan_end_endpoint(&c[4].end), 2), IDL_OK);
	for (int i = 1; i < 5; i++)
		idl_linux_conn_close(&c[i]);
}

/* One user may hold three sessions, whichever of its processes holds them:
 * with two here, a child's first connection is served and its second is
 * hung up at once, though the child holds one session only; a session
 * closed makes room again. */
static int start_user_limited(void **state)
{
	demo_sessions_per_user = 3;
	int err = start(state);
	demo_sessions_per_user = 0;
	return err;
}

/* In a child: connect twice; exit 0 when the first is served and the
 * second hung up, 1 otherwise. */
static int child_connects_twice(void)
{
	idl_linux_conn first, second;
	if (demo_connect(&first, name) != IDL_OK ||
	    demo_call_write(idl_chan_end_endpoint(&first.end), 3) != IDL_OK)
		return 1;
	int err = idl_linux_connect(&second, name, 0, 5000);
	if (err == IDL_OK)
		idl_linux_conn_close(&second);
	idl_linux_conn_close(&first);
	return err == IDL_E_PEER_CLOSED ? 0 : 1;
}

static void test_sessions_per_user(void **state)
{
	(void)state;
	idl_linux_conn c[3];
	for (int i = 0; i < 2; i++) {
		assert_int_equal(demo_connect(&c[i], name), IDL_OK);
		assert_int_equal(demo_call_write(idl_chan_end_endpoint(&c[i].end), 1), IDL_OK);
	}
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(child_connects_twice());
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* The child's session ended with it: once the server has seen that,
	 * there is room for one more, and only one. */
	int err = IDL_E_PEER_CLOSED;
	for (int tries = 0; tries < 500 && err == IDL_E_PEER_CLOSED; tries++) {
		err = idl_linux_connect(&c[2], name, 0, 5000);
		if (err == IDL_E_PEER_CLOSED)
			usleep(10000);
	}
	assert_int_equal(err, IDL_OK);
	assert_int_equal(demo_call_write(idl_chan_end_endpoint(&c[2].end), 2), IDL_OK);
	idl_linux_conn extra;
	assert_int_equal(idl_linux_connect(&extra, name, 0, 5000), IDL_E_PEER_CLOSED);
	for (int i = 0; i < 3; i++)
		idl_linux_conn_close(&c[i]);
}

/*
 * Typed channels (issue 10, section 5). A broker serves blk.Broker and
 * blk.Device on a listening socket it was handed (the test binds it); its
 * open_device makes a new session and returns its client end as a
 * channel<Device>, which the client opens as such. The broker replies
 * through a token from inside the handler, so that it can close its copy of
 * the descriptor once the reply has taken it.
 */
static idl_linux_server broker;

static int broker_open_device(idl_request *r, const blk_broker_open_device_request *req,
                              blk_broker_open_device_reply *reply, sys_errno *error)
{
	(void)req;
	int fd;
	if (idl_linux_server_new_client(&broker, &fd) != IDL_OK) {
		*error = SYS_ERRNO_TOO_MANY;
		return IDL_E_REMOTE;
	}
	blk_broker_open_device_token token;
	int err = blk_broker_open_device_defer(r, &token);
	if (err == IDL_DEFERRED) {
		reply->device.handle = (idl_handle)fd;
		int sent = blk_broker_open_device_reply_ok(&token, reply);
		err = sent == IDL_OK ? IDL_DEFERRED : sent;
	}
	close(fd);
	return err;
}

static int device_read(idl_request *r, const blk_device_read_request *req,
                       blk_device_read_reply *reply, sys_errno *error)
{
	(void)error;
	reply->block = req->block + r->session->id * 1000;
	return IDL_OK;
}

static const blk_broker_handlers broker_handlers = {.open_device = broker_open_device};
static const blk_device_handlers device_handlers = {.read = device_read};

static void serve_broker(int listen_fd, uint32_t capacity)
{
	if (idl_linux_server_open_fd(&broker, listen_fd, capacity) != IDL_OK ||
	    idl_server_add_interface(&broker.server, &blk_broker_interface, &broker_handlers,
	                             NULL) != IDL_OK ||
	    idl_server_add_interface(&broker.server, &blk_device_interface, &device_handlers,
	                             NULL) != IDL_OK)
		_exit(1);
	idl_linux_server_stop_on_signals(&broker);
	int err = idl_linux_server_run(&broker);
	idl_linux_server_close(&broker);
	_exit(err == IDL_OK ? 0 : 1);
}

/* A broker process serving `capacity` sessions on a socket bound to
 * broker_name, which the test binds: a server is handed only a listening
 * socket (one that is not is refused). */
static char broker_name[64];

static pid_t start_broker(uint32_t capacity)
{
	snprintf(broker_name, sizeof(broker_name), "test-broker-%d", (int)getpid());
	struct sockaddr_un addr;
	socklen_t len = idl_linux_socket_name(&addr, broker_name);
	int listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	assert_true(listen_fd >= 0);
	assert_int_equal(bind(listen_fd, (struct sockaddr *)&addr, len), 0);
	idl_linux_server not_listening;
	int pair[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, pair), 0);
	assert_int_equal(idl_linux_server_open_fd(&not_listening, pair[0], 4), IDL_E_HANDLE_KIND);
	close(pair[1]);
	assert_int_equal(listen(listen_fd, 16), 0);
	pid_t pid = fork();
	if (pid == 0)
		serve_broker(listen_fd, capacity);
	close(listen_fd);
	return pid;
}

/* A Device session from the broker, opened as such. */
static void open_device(idl_linux_conn *broker_conn, idl_linux_conn *dev)
{
	blk_broker_open_device_request req = {0};
	blk_broker_open_device_reply_buffer rb;
	const blk_broker_open_device_reply *reply;
	sys_errno error;
	assert_int_equal(blk_broker_open_device(idl_chan_end_endpoint(&broker_conn->end), &req, &rb,
	                                        &reply, &error),
	                 IDL_OK);
	/* The decoder checked the kind; the interface is checked on opening. */
	blk_device_channel channel = reply->device;
	assert_int_equal(idl_linux_handle_kind((int)channel.handle), IDL_KIND_CHANNEL);
	assert_int_equal(idl_linux_conn_open(dev, (int)channel.handle, BLK_DEVICE_PROTOCOL, 5000),
	                 IDL_OK);
	dev->end.ep.timeout_ns = 5000000000u;
}

static uint64_t read_on(idl_linux_conn *c, uint64_t block)
{
	blk_device_read_request req = {.block = block};
	blk_device_read_reply_buffer rb;
	const blk_device_read_reply *reply;
	sys_errno error;
	assert_int_equal(blk_device_read(idl_chan_end_endpoint(&c->end), &req, &rb, &reply, &error),
	                 IDL_OK);
	return reply->block;
}

static void test_typed_channels(void **state)
{
	(void)state;
	pid_t pid = start_broker(16);
	idl_linux_conn c;
	int err = idl_linux_connect(&c, broker_name, BLK_BROKER_PROTOCOL, 5000);
	assert_int_equal(err, IDL_OK);
	c.end.ep.timeout_ns = 5000000000u;
	idl_linux_conn dev[2];
	for (int i = 0; i < 2; i++)
		open_device(&c, &dev[i]);
	/* Two sessions of their own, each served. */
	uint64_t a = read_on(&dev[0], 7), b = read_on(&dev[1], 7);
	assert_true(a != b);
	assert_int_equal(a % 1000, 7);
	assert_int_equal(b % 1000, 7);
	/* A channel opened as another interface's is refused. */
	blk_broker_open_device_request req = {0};
	blk_broker_open_device_reply_buffer rb;
	const blk_broker_open_device_reply *reply;
	sys_errno error;
	assert_int_equal(
	    blk_broker_open_device(idl_chan_end_endpoint(&c.end), &req, &rb, &reply, &error),
	    IDL_OK);
	idl_linux_conn wrong;
	assert_int_equal(
	    idl_linux_conn_open(&wrong, (int)reply->device.handle, CONSOLE_CONSOLE_PROTOCOL, 5000),
	    IDL_E_HANDLE_KIND);
	for (int i = 0; i < 2; i++)
		idl_linux_conn_close(&dev[i]);
	idl_linux_conn_close(&c);
	assert_int_equal(demo_stop_server(pid), 0);
}

/* Transfer ops of a client that takes its replies from the ring but never
 * the descriptors they carry from its socket. */
static int handles_not_read(void *ctx, const uint32_t *wire, uint32_t count,
                            idl_typed_handle *handles)
{
	(void)ctx;
	for (uint32_t i = 0; i < count; i++)
		handles[i] = (idl_typed_handle){wire[i], IDL_KIND_CHANNEL};
	return IDL_OK;
}

static void nothing_to_release(void *ctx, const idl_typed_handle *handles, uint32_t count)
{
	(void)ctx, (void)handles, (void)count;
}

/*
 * A client that never reads its socket fills it with the descriptors of
 * its replies, and the server's next send to it would wait for room. The
 * server never waits: that reply is lost (its caller times out) and the
 * other clients are served. (The server thread blocked in sendmsg after
 * about 280 replies, and every other client's calls timed out with it.)
 */
static pid_t broker_pid, attacker; /* stopped by stop_broker, pass or fail */

static int stop_broker(void **state)
{
	(void)state;
	demo_kill(&attacker);
	if (broker_pid > 0)
		demo_stop_server(broker_pid);
	broker_pid = 0;
	return 0;
}

static void test_client_that_never_reads_its_socket(void **state)
{
	(void)state;
	broker_pid = start_broker(512);
	idl_linux_conn c, dev;
	assert_int_equal(idl_linux_connect(&c, broker_name, BLK_BROKER_PROTOCOL, 5000), IDL_OK);
	c.end.ep.timeout_ns = 5000000000u;
	open_device(&c, &dev);
	int report[2];
	assert_int_equal(pipe(report), 0);
	attacker = fork();
	if (attacker == 0) {
		idl_linux_conn a;
		if (idl_linux_connect(&a, broker_name, BLK_BROKER_PROTOCOL, 5000) != IDL_OK)
			_exit(1);
		static idl_transfer_ops ops;
		ops = idl_linux_transfer;
		ops.receive_handles = handles_not_read;
		ops.release_handles = nothing_to_release;
		idl_chan_end_set_transfer(&a.end, &ops, &a);
		a.end.ep.timeout_ns = 1000000000u;
		uint32_t answered = 0;
		for (; answered < 500; answered++) {
			blk_broker_open_device_request req = {0};
			blk_broker_open_device_reply_buffer rb;
			const blk_broker_open_device_reply *reply;
			sys_errno error;
			if (blk_broker_open_device(idl_chan_end_endpoint(&a.end), &req, &rb, &reply,
			                           &error) != IDL_OK)
				break;
		}
		(void)!write(report[1], &answered, sizeof(answered));
		pause(); /* its socket stays full until it is killed */
		_exit(0);
	}
	close(report[1]);
	uint32_t answered = 0;
	assert_int_equal(read(report[0], &answered, sizeof(answered)), sizeof(answered));
	close(report[0]);
	print_message("  the client that never reads: %u replies, then none\n", answered);
	assert_true(answered < 500); /* its socket did fill */
	/* Served at once, the attacker still there. */
	dev.end.ep.timeout_ns = 2000000000u;
	assert_int_equal(read_on(&dev, 3) % 1000, 3);
	idl_linux_conn more;
	open_device(&c, &more);
	assert_int_equal(read_on(&more, 4) % 1000, 4);
	idl_linux_conn_close(&more);
	idl_linux_conn_close(&dev);
	idl_linux_conn_close(&c);
	demo_kill(&attacker);
	assert_int_equal(demo_stop_server(broker_pid), 0);
	broker_pid = 0;
}

/* Descriptors the process holds now. */
static int descriptors_of(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	DIR *d = opendir(path);
	assert_non_null(d);
	int n = 0;
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n - 2; /* . and .. */
}

/*
 * A client that shuts its socket for writing and later exits: its
 * sessions end when it does. (The server's one-shot watch fired at the
 * shutdown, found the client alive, and never saw it go: each session
 * kept its slot, channel and descriptors for good.)
 */
static void test_half_closed_client_that_exits(void **state)
{
	(void)state;
	idl_linux_conn c;
	assert_int_equal(demo_connect(&c, name), IDL_OK); /* the server is up */
	idl_linux_conn_close(&c);
	int before = descriptors_of(server);
	pid_t child = fork();
	if (child == 0) {
		struct sockaddr_un addr;
		socklen_t len = idl_linux_socket_name(&addr, name);
		for (int i = 0; i < 20; i++) {
			int sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
			if (sock < 0 || connect(sock, (struct sockaddr *)&addr, len) != 0)
				_exit(1);
			char hello[1024]; /* its descriptors are dropped: no room for them */
			if (recv(sock, hello, sizeof(hello), 0) <= 0)
				_exit(1);
			shutdown(sock, SHUT_WR);
		}
		usleep(200000); /* the server has seen every shutdown */
		_exit(0);
	}
	int status;
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_int_equal(status, 0);
	int after = descriptors_of(server);
	for (int tries = 0; tries < 300 && after > before; tries++) {
		usleep(10000);
		after = descriptors_of(server);
	}
	assert_true(after <= before);
	assert_int_equal(demo_connect(&c, name), IDL_OK);
	assert_int_equal(demo_call_write(idl_chan_end_endpoint(&c.end), 5), IDL_OK);
	idl_linux_conn_close(&c);
}

/* Two requests in flight, replies taken in the other order. */
static void test_async_in_flight(void **state)
{
	(void)state;
	idl_linux_conn c;
	assert_int_equal(demo_connect(&c, name), IDL_OK);
	static idl_stash_entry entries[8];
	static _Alignas(8) uint8_t frames[8][256];
	idl_chan_end_set_stash(&c.end, entries, frames, 8, 256);
	idl_endpoint *ep = idl_chan_end_endpoint(&c.end);
	uint32_t txids[8];
	for (int i = 0; i < 8; i++) {
		txids[i] = idl_endpoint_txid(ep);
		void *at;
		assert_int_equal(
		    ep->ops->send_begin(ep, CONSOLE_CONSOLE_GET_MODE_REQUEST_MAX_BYTES, &at),
		    IDL_OK);
		console_console_get_mode_request req = {0};
		int64_t n = console_console_get_mode_request_encode(
		    &req, txids[i], at, CONSOLE_CONSOLE_GET_MODE_REQUEST_MAX_BYTES, NULL, NULL);
		assert_true(n > 0);
		assert_int_equal(ep->ops->send_commit(ep, (size_t)n, NULL, 0), IDL_OK);
	}
	for (int i = 7; i >= 0; i--) {
		console_console_get_mode_reply_buffer rb;
		size_t size;
		idl_typed_handle h[1];
		uint32_t count = 1;
		assert_int_equal(
		    ep->ops->receive(ep, txids[i], rb.bytes, sizeof(rb.bytes), &size, h, &count),
		    IDL_OK);
		assert_int_equal(console_console_get_mode_reply_validate(
		                     rb.bytes, size, sizeof(rb.bytes), h, count),
		                 IDL_OK);
		assert_true(rb.reply.header.txid == txids[i]);
		assert_int_equal(rb.reply.mode, CONSOLE_MODE_ECHO);
	}
	assert_int_equal(c.end.dropped, 0);
	idl_linux_conn_close(&c);
}

/* A one-way message, then a call: both arrive, in order. */
static void test_one_way(void **state)
{
	(void)state;
	idl_linux_conn c;
	assert_int_equal(demo_connect(&c, name), IDL_OK);
	idl_endpoint *ep = idl_chan_end_endpoint(&c.end);
	console_console_print_request p = {.data = {.size = 3, .data = (const uint8_t *)"abc"}};
	for (int i = 0; i < 100; i++)
		assert_int_equal(console_console_print(ep, &p), IDL_OK);
	assert_int_equal(demo_call_write(ep, 7), IDL_OK);
	idl_linux_conn_close(&c);
}

static void test_timeout_then_recover(void **state)
{
	(void)state;
	stop(state);
	demo_slow_ns = 300000000; /* inherited by the forked server */
	start(state);
	demo_slow_ns = 0;
	idl_linux_conn c;
	assert_int_equal(demo_connect(&c, name), IDL_OK);
	idl_endpoint *ep = idl_chan_end_endpoint(&c.end);
	ep->timeout_ns = 50000000;
	console_console_get_mode_request req = {0};
	console_console_get_mode_reply_buffer rb;
	const console_console_get_mode_reply *reply;
	sys_errno error;
	assert_int_equal(console_console_get_mode(ep, &req, &rb, &reply, &error), IDL_E_TIMEOUT);
	/* The late reply is dropped; the next call gets its own. */
	ep->timeout_ns = 5000000000u;
	assert_int_equal(demo_call_write(ep, 9), IDL_OK);
	assert_int_equal(c.end.dropped, 1);
	idl_linux_conn_close(&c);
}

/* A server killed without closing: calls end with IDL_E_PEER_CLOSED. */
static void test_server_dies(void **state)
{
	(void)state;
	idl_linux_conn c;
	assert_int_equal(demo_connect(&c, name), IDL_OK);
	idl_endpoint *ep = idl_chan_end_endpoint(&c.end);
	assert_int_equal(demo_call_write(ep, 1), IDL_OK);
	demo_kill(&server);
	uint64_t t0 = idl_os_now_ns();
	assert_int_equal(demo_call_write(ep, 1), IDL_E_PEER_CLOSED);
	assert_true(idl_os_now_ns() - t0 < 2000000000u);
	idl_linux_conn_close(&c);
}

/* Many clients on one server, each a thread with its own connection. */
typedef struct client_arg {
	uint32_t calls;
	int err;
	bool huge; /* its channel came in huge pages */
} client_arg;

static void *client_thread(void *p)
{
	client_arg *a = p;
	idl_linux_conn c;
	a->err = demo_connect(&c, name);
	if (a->err != IDL_OK)
		return NULL;
	a->huge = c.channel.huge;
	c.end.patience.spins = 50; /* more threads than cores: do not spin long */
	for (uint32_t i = 0; i < a->calls && a->err == IDL_OK; i++)
		a->err = demo_call_write(idl_chan_end_endpoint(&c.end), i % 64);
	idl_linux_conn_close(&c);
	return NULL;
}

/* Returns how many of the clients' channels came in huge pages. */
static uint32_t many_clients(uint32_t n, uint32_t calls)
{
	static pthread_t threads[256];
	static client_arg args[256];
	uint32_t huge = 0;
	uint64_t t0 = idl_os_now_ns();
	for (uint32_t i = 0; i < n; i++) {
		args[i] = (client_arg){.calls = calls};
		assert_int_equal(pthread_create(&threads[i], NULL, client_thread, &args[i]), 0);
	}
	for (uint32_t i = 0; i < n; i++) {
		pthread_join(threads[i], NULL);
		assert_int_equal(args[i].err, IDL_OK);
		huge += args[i].huge;
	}
	double s = (double)(idl_os_now_ns() - t0) / 1e9;
	print_message("  %u clients x %u calls: %.2f s, %.0f calls/s\n", n, calls, s,
	              n * calls / s);
	return huge;
}

static void test_clients_1(void **state)
{
	(void)state;
	assert_int_equal(many_clients(1, 20000), 0); /* not asked for huge pages */
}

static void test_clients_16(void **state)
{
	(void)state;
	assert_int_equal(many_clients(16, 2000), 0);
}

static void test_clients_256(void **state)
{
	(void)state;
	assert_int_equal(many_clients(256, 100), 0);
}

/*
 * A server asked for huge-page channels takes them while the pool has
 * some and falls back to ordinary pages when it is empty (the default
 * machine); either way the calls work. Which of the two happened is
 * checked against the pool: CI reserves a small one when it may.
 */
static void test_huge_page_channels(void **state)
{
	(void)state;
	long before = idl_linux_huge_pages_free();
	uint32_t huge = many_clients(16, 500);
	print_message("  %u of 16 channels in huge pages (%ld huge pages were free)\n", huge,
	              before);
	if (before == 0)
		assert_int_equal(huge, 0);
	else if (before >= 32) /* room to spare for other users of the pool */
		assert_int_equal(huge, 16);
}

/*
 * A region in huge pages is taken from a peer only by a process that
 * trusts its peers with them: the peer can punch a hole in it, and with
 * the pool empty our next touch is SIGBUS (a server that did so killed
 * its client). Untrusted, a huge-page channel fails the connect, and a
 * huge-page memfd neither maps nor counts as shared memory.
 */
static void test_huge_pages_only_when_trusted(void **state)
{
	(void)state;
	if (idl_linux_huge_pages_free() < 4)
		skip(); /* the server falls back to ordinary pages: nothing to refuse */
	idl_linux_trust_huge_pages(false);
	idl_linux_conn c;
	assert_int_equal(demo_connect(&c, name), IDL_E_PROTOCOL);
	idl_linux_region own, peer;
	assert_int_equal(idl_linux_region_create_huge(&own, "test-huge", 1), IDL_OK);
	assert_int_equal(idl_linux_handle_kind(own.fd), IDL_KIND_ANY);
	assert_int_equal(idl_linux_region_map(&peer, dup(own.fd)), IDL_E_PROTOCOL);
	assert_int_equal(idl_linux_region_map_window(&peer, dup(own.fd), 0, 1), IDL_E_PROTOCOL);
	idl_linux_trust_huge_pages(true);
	assert_int_equal(idl_linux_handle_kind(own.fd), IDL_KIND_SHM);
	assert_int_equal(idl_linux_region_map_window(&peer, dup(own.fd), 4096 + 5, 100), IDL_OK);
	assert_true(peer.huge);
	memcpy(peer.base, "seen", 4);
	assert_memory_equal((uint8_t *)own.base + 4096 + 5, "seen", 4);
	idl_linux_region_close(&peer);
	idl_linux_region_close(&own);
	assert_int_equal(demo_connect(&c, name), IDL_OK);
	assert_true(c.channel.huge);
	assert_int_equal(demo_call_write(idl_chan_end_endpoint(&c.end), 16), IDL_OK);
	idl_linux_conn_close(&c);
}

/* Pages of the region [offset, offset + bytes) that are in memory. */
static size_t resident_pages(const idl_linux_region *r, size_t offset, size_t bytes)
{
	static unsigned char in_core[(2u << 20) / 4096];
	size_t page = 4096, pages = bytes / page;
	assert_true(offset % page == 0 && bytes % page == 0 && pages <= sizeof(in_core));
	assert_true(offset + bytes <= r->bytes);
	assert_int_equal(mincore((uint8_t *)r->base + offset, bytes, in_core), 0);
	size_t n = 0;
	for (size_t i = 0; i < pages; i++)
		n += in_core[i] & 1u;
	return n;
}

/* Whether the kernel may back shared memory with transparent huge pages,
 * which would fault in 2 MiB at a time whatever we ask for. */
static bool shmem_in_huge_pages(void)
{
	char mode[128] = "";
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/shmem_enabled", "r");
	if (f == NULL)
		return false;
	bool read = fgets(mode, sizeof(mode), f) != NULL;
	fclose(f);
	return read && (strstr(mode, "[always]") != NULL || strstr(mode, "[within_size]") != NULL ||
	                strstr(mode, "[force]") != NULL);
}

/*
 * Default rings are a megabyte each (docs/runtime.md, "Ring size"), but a
 * channel commits only what calls use: setup faults in the header and the
 * first IDL_LINUX_POPULATE_RING bytes of each ring, on both sides, and
 * calls one at a time stay there (they rewind to the start of the ring).
 */
static void test_default_rings_commit_what_is_used(void **state)
{
	(void)state;
	idl_linux_conn c;
	assert_int_equal(demo_connect(&c, name), IDL_OK);
	const size_t ring = c.end.rx.bytes, used = IDL_LINUX_POPULATE_RING, page = 4096;
	assert_int_equal(ring, IDL_LINUX_DEFAULT_RING_BYTES);
	assert_int_equal(c.end.tx.bytes, ring);
	for (int i = 0; i < 2000; i++)
		assert_int_equal(demo_call_write(idl_chan_end_endpoint(&c.end), 16), IDL_OK);
	/* The request ring starts at IDL_CHAN_RINGS_OFFSET (1 KiB), the reply
	 * ring inside a page too: the pages wholly inside the part faulted in
	 * are there, those wholly past it are not. */
	const size_t reply = idl_chan_reply_ring_offset((uint32_t)ring);
	const size_t reply_page = (reply + page - 1) / page * page; /* its first whole page */
	assert_true(reply % page != 0 && IDL_CHAN_RINGS_OFFSET < page);
	assert_int_equal(resident_pages(&c.channel, 0, used), used / page);
	assert_int_equal(resident_pages(&c.channel, reply_page, used - page), used / page - 1);
	if (shmem_in_huge_pages()) {
		print_message(
		    "  shared memory in transparent huge pages here: the rest not checked\n");
	} else {
		assert_int_equal(resident_pages(&c.channel, used + page, ring - used - page), 0);
		assert_int_equal(resident_pages(&c.channel, reply_page + used, ring - used - page),
		                 0);
	}
	idl_linux_conn_close(&c);
}

/* In huge pages the default ring is half as big, so that one 2 MiB page
 * holds the whole channel. */
static void test_default_rings_in_huge_pages(void **state)
{
	(void)state;
	idl_linux_conn c;
	assert_int_equal(demo_connect(&c, name), IDL_OK);
	assert_int_equal(c.end.rx.bytes, IDL_LINUX_HUGE_RING_BYTES);
	assert_true(idl_chan_region_bytes(c.end.rx.bytes) <= 2u << 20);
	assert_int_equal(demo_call_write(idl_chan_end_endpoint(&c.end), 16), IDL_OK);
	idl_linux_conn_close(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_sync_calls, start, stop),
	    cmocka_unit_test_setup_teardown(test_kicks_past_a_full_pipe, start_sleeping, stop),
	    cmocka_unit_test_setup_teardown(test_kicks_drained_on_older_kernels, start_draining,
	                                    stop),
	    cmocka_unit_test_setup_teardown(test_shared_memory_handle, start, stop),
	    cmocka_unit_test_setup_teardown(test_wrong_kind_handle, start, stop),
	    cmocka_unit_test_setup_teardown(test_bad_handle_index, start, stop),
	    cmocka_unit_test_setup_teardown(test_connect_checks_protocol, start, stop),
	    cmocka_unit_test_setup_teardown(test_other_users_are_refused, start, stop),
	    cmocka_unit_test_setup_teardown(test_sessions_per_client, start_limited, stop),
	    cmocka_unit_test_setup_teardown(test_sessions_per_user, start_user_limited, stop),
	    cmocka_unit_test(test_typed_channels),
	    cmocka_unit_test_teardown(test_client_that_never_reads_its_socket, stop_broker),
	    cmocka_unit_test_setup_teardown(test_half_closed_client_that_exits, start, stop),
	    cmocka_unit_test_setup_teardown(test_async_in_flight, start, stop),
	    cmocka_unit_test_setup_teardown(test_one_way, start, stop),
	    cmocka_unit_test_setup_teardown(test_timeout_then_recover, start, stop),
	    cmocka_unit_test_setup_teardown(test_server_dies, start, stop),
	    cmocka_unit_test_setup_teardown(test_clients_1, start, stop),
	    cmocka_unit_test_setup_teardown(test_clients_16, start, stop),
	    cmocka_unit_test_setup_teardown(test_clients_256, start, stop),
	    cmocka_unit_test_setup_teardown(test_huge_page_channels, start_huge, stop),
	    cmocka_unit_test_setup_teardown(test_huge_pages_only_when_trusted, start_huge, stop),
	    cmocka_unit_test_setup_teardown(test_default_rings_commit_what_is_used,
	                                    start_default_rings, stop),
	    cmocka_unit_test_setup_teardown(test_default_rings_in_huge_pages,
	                                    start_default_rings_huge, stop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
