/*
 * test_console_server.c: idl-console-server with its stdin and stdout on
 * pipes this test holds, against a stdout that is slow or non-blocking and
 * a client that tries to take every place in line.
 *
 *  - A stdout read steadily but slowly (4 KiB every 5 ms, 800 KB/s) loses
 *    no one-way print: stdout is not stalled while it takes bytes, though
 *    the 256 KiB ring fills.
 *  - A stdout left non-blocking (as a terminal or pipe shared with another
 *    program may be) loses nothing and fails no write.
 *  - One session may have four reads waiting for input and four writes
 *    waiting for stdout; more are refused with TOO_MANY, and another
 *    client still gets its place in line.
 *  - The server stops at once on SIGTERM, whatever its clients left.
 *
 *     test_console_server BINDIR      (where idl-console-server is)
 */
#include "console.h"
#include "idl/linux.h"

#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#define PER_SESSION 4u /* waiting reads, and waiting writes, of one session */

static const char *bindir;
static char name[64];
static pid_t server;
static int to_stdin = -1, from_stdout = -1;

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Starts the server on two pipes; with nonblocking_stdout, the end it
 * writes is non-blocking (a flag of the pipe, so the server inherits it). */
static void start(bool nonblocking_stdout)
{
	static int n;
	snprintf(name, sizeof(name), "test-console-%d-%d", (int)getpid(), n++);
	int in[2], out[2];
	assert_int_equal(pipe(in), 0);
	assert_int_equal(pipe(out), 0);
	if (nonblocking_stdout)
		assert_int_equal(fcntl(out[1], F_SETFL, fcntl(out[1], F_GETFL) | O_NONBLOCK), 0);
	server = fork();
	assert_true(server >= 0);
	if (server == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 2);
		for (int fd = 3; fd < 64; fd++)
			close(fd);
		char path[512];
		snprintf(path, sizeof(path), "%s/idl-console-server", bindir);
		execl(path, path, "-n", name, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	to_stdin = in[1];
	from_stdout = out[0];
}

static int start_blocking(void **state)
{
	(void)state;
	start(false);
	return 0;
}

static int start_nonblocking(void **state)
{
	(void)state;
	start(true);
	return 0;
}

/* Stops the server with SIGTERM: it must exit 0 within 5 s, with nothing
 * read from its stdout any more (what it holds then it may drop). */
static int stop(void **state)
{
	(void)state;
	int status = -1;
	kill(server, SIGTERM);
	uint64_t deadline = now_ns() + 5000000000u;
	pid_t done = 0;
	while (done == 0 && now_ns() < deadline) {
		done = waitpid(server, &status, WNOHANG);
		if (done == 0)
			usleep(10000);
	}
	if (done == 0) {
		kill(server, SIGKILL);
		waitpid(server, &status, 0);
	}
	close(to_stdin);
	close(from_stdout);
	return done == server && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static void connect_console(idl_linux_conn *c)
{
	int err = IDL_E_TRANSPORT;
	for (int i = 0; i < 500 && err == IDL_E_TRANSPORT; i++) {
		err = idl_linux_connect(c, name, CONSOLE_CONSOLE_PROTOCOL, 5000);
		if (err == IDL_E_TRANSPORT)
			usleep(10000);
	}
	assert_int_equal(err, IDL_OK);
	c->end.ep.timeout_ns = 10000000000u;
}

/* A reader of the server's stdout: 4 KiB every `pause_us`, counting each
 * byte value, until `expected` bytes came or the pipe ended. */
typedef struct steady_reader {
	pthread_t thread;
	int fd;
	useconds_t pause_us;
	size_t expected;
	size_t got;
	size_t counts[256];
} steady_reader;

static void *read_steadily(void *arg)
{
	steady_reader *r = arg;
	static uint8_t buf[4096];
	while (r->got < r->expected) {
		ssize_t n = read(r->fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n; i++)
			r->counts[buf[i]]++;
		r->got += (size_t)n;
		usleep(r->pause_us);
	}
	return NULL;
}

static void read_start(steady_reader *r, useconds_t pause_us, size_t expected)
{
	memset(r, 0, sizeof(*r));
	r->fd = from_stdout;
	r->pause_us = pause_us;
	r->expected = expected;
	assert_int_equal(pthread_create(&r->thread, NULL, read_steadily, r), 0);
}

/* Waits for the reader, at most 20 s (then the server's stdout is read no
 * more, and the count is short). */
static void read_finish(steady_reader *r)
{
	uint64_t deadline = now_ns() + 20000000000u;
	while (r->got < r->expected && now_ns() < deadline)
		usleep(10000);
	if (r->got < r->expected)
		pthread_cancel(r->thread);
	pthread_join(r->thread, NULL);
}

static void print_bytes(idl_endpoint *ep, uint8_t byte, size_t total)
{
	static uint8_t data[CONSOLE_MAX_WRITE];
	memset(data, byte, sizeof(data));
	for (size_t sent = 0; sent < total;) {
		size_t n = total - sent < sizeof(data) ? total - sent : sizeof(data);
		console_console_print_request req = {.data = {.size = (uint32_t)n, .data = data}};
		assert_int_equal(console_console_print(ep, &req), IDL_OK);
		sent += n;
	}
}

static int write_bytes(idl_endpoint *ep, uint8_t byte, size_t total)
{
	static uint8_t data[CONSOLE_MAX_WRITE];
	memset(data, byte, sizeof(data));
	for (size_t sent = 0; sent < total;) {
		size_t n = total - sent < sizeof(data) ? total - sent : sizeof(data);
		console_console_write_request req = {.data = {.size = (uint32_t)n, .data = data}};
		console_console_write_reply_buffer rb;
		const console_console_write_reply *reply;
		sys_errno error = 0;
		int err = console_console_write(ep, &req, &rb, &reply, &error);
		if (err != IDL_OK)
			return err;
		sent += reply->written;
	}
	return IDL_OK;
}

/* A call after one-way prints: when it is answered, the server has taken
 * the prints. */
static void sync_with_server(idl_endpoint *ep)
{
	console_console_get_mode_request req = {0};
	console_console_get_mode_reply_buffer rb;
	const console_console_get_mode_reply *reply;
	sys_errno error = 0;
	assert_int_equal(console_console_get_mode(ep, &req, &rb, &reply, &error), IDL_OK);
}

/* More one-way prints than the ring holds, to a stdout that takes 800 KB/s
 * steadily: every byte comes out. (Before, stdout counted as stalled
 * whenever one write(2) of up to 256 KiB took 100 ms, and a third of the
 * bytes was dropped.) */
static void test_slow_stdout_loses_no_print(void **state)
{
	(void)state;
	const size_t total = 600000;
	steady_reader r;
	read_start(&r, 5000, total);
	idl_linux_conn c;
	connect_console(&c);
	idl_endpoint *ep = idl_chan_end_endpoint(&c.end);
	print_bytes(ep, 'y', total);
	sync_with_server(ep);
	read_finish(&r);
	assert_int_equal(r.counts['y'], total);
	idl_linux_conn_close(&c);
}

/* A non-blocking stdout, read steadily: a synchronous write and one-way
 * prints all come out, and the write succeeds. (Before, EAGAIN failed the
 * write and dropped what it held.) */
static void test_nonblocking_stdout(void **state)
{
	(void)state;
	const size_t written = 100000, printed = 200000;
	steady_reader r;
	read_start(&r, 5000, written + printed);
	idl_linux_conn c;
	connect_console(&c);
	idl_endpoint *ep = idl_chan_end_endpoint(&c.end);
	assert_int_equal(write_bytes(ep, 'x', written), IDL_OK);
	print_bytes(ep, 'y', printed);
	sync_with_server(ep);
	read_finish(&r);
	assert_int_equal(r.counts['x'], written);
	assert_int_equal(r.counts['y'], printed);
	idl_linux_conn_close(&c);
}

/* A client that tries to take every place in line, and another. */
typedef struct two_clients {
	idl_linux_conn hog_conn, other_conn;
	idl_endpoint *hog, *other;
} two_clients;

static void connect_two(two_clients *t)
{
	connect_console(&t->hog_conn);
	connect_console(&t->other_conn);
	t->hog = idl_chan_end_endpoint(&t->hog_conn.end);
	t->other = idl_chan_end_endpoint(&t->other_conn.end);
}

static void close_two(two_clients *t)
{
	idl_linux_conn_close(&t->other_conn);
	idl_linux_conn_close(&t->hog_conn);
}

/* Whether a call is answered within `ms`. */
static bool answered_within(idl_endpoint *ep, idl_call *call, uint32_t ms)
{
	return idl_call_wait(ep, call, (uint64_t)ms * 1000000u) == IDL_OK;
}

/* Eight reads from one session with no input: four wait, four are refused;
 * another client's read still waits in line, and gets its line. */
static void test_reads_per_session(void **state)
{
	(void)state;
	two_clients t;
	connect_two(&t);
	static console_console_read_pending reads[2 * PER_SESSION];
	console_console_read_request req = {.max = 100};
	for (uint32_t i = 0; i < 2 * PER_SESSION; i++)
		assert_int_equal(console_console_read_start(t.hog, &req, &reads[i]), IDL_OK);
	for (uint32_t i = 0; i < 2 * PER_SESSION; i++) {
		bool answered =
		    answered_within(t.hog, &reads[i].call, i < PER_SESSION ? 100 : 5000);
		assert_int_equal(answered, i >= PER_SESSION);
		if (!answered)
			continue;
		const console_console_read_reply *reply;
		sys_errno error = 0;
		assert_int_equal(console_console_read_finish(t.hog, &reads[i], &reply, &error),
		                 IDL_E_REMOTE);
		assert_int_equal(error, SYS_ERRNO_TOO_MANY);
	}
	console_console_read_pending mine;
	assert_int_equal(console_console_read_start(t.other, &req, &mine), IDL_OK);
	assert_false(answered_within(t.other, &mine.call, 100)); /* in line, not refused */
	/* Input goes to the reads in the order they came: the hog's four, then
	 * ours. */
	const char lines[] = "1\n2\n3\n4\nfifth\n";
	assert_int_equal(write(to_stdin, lines, sizeof(lines) - 1), (ssize_t)sizeof(lines) - 1);
	const console_console_read_reply *reply;
	sys_errno error = 0;
	assert_int_equal(console_console_read_finish(t.other, &mine, &reply, &error), IDL_OK);
	assert_int_equal(reply->data.size, 6);
	assert_memory_equal(reply->data.data, "fifth\n", 6);
	close_two(&t);
}

/* With stdout taking nothing (the pipe full, the ring holding more), eight
 * writes from one session: four wait, four are refused; another client's
 * write still waits, and succeeds once stdout is read. */
static void test_writes_per_session(void **state)
{
	(void)state;
	two_clients t;
	connect_two(&t);
	/* The pipe's 64 KiB, and some in the ring. */
	const size_t fill = 128 * 1024;
	print_bytes(t.hog, 'p', fill);
	sync_with_server(t.hog);
	static console_console_write_pending writes[2 * PER_SESSION];
	console_console_write_request req = {.data = {.size = 1, .data = (const uint8_t *)"w"}};
	for (uint32_t i = 0; i < 2 * PER_SESSION; i++)
		assert_int_equal(console_console_write_start(t.hog, &req, &writes[i]), IDL_OK);
	for (uint32_t i = PER_SESSION; i < 2 * PER_SESSION; i++) {
		assert_true(answered_within(t.hog, &writes[i].call, 5000));
		const console_console_write_reply *reply;
		sys_errno error = 0;
		assert_int_equal(console_console_write_finish(t.hog, &writes[i], &reply, &error),
		                 IDL_E_REMOTE);
		assert_int_equal(error, SYS_ERRNO_TOO_MANY);
	}
	for (uint32_t i = 0; i < PER_SESSION; i++)
		assert_false(answered_within(t.hog, &writes[i].call, 10));
	console_console_write_request one = {.data = {.size = 1, .data = (const uint8_t *)"o"}};
	console_console_write_pending mine;
	assert_int_equal(console_console_write_start(t.other, &one, &mine), IDL_OK);
	assert_false(answered_within(t.other, &mine.call, 100)); /* waits for stdout */
	steady_reader r;
	read_start(&r, 0, fill + PER_SESSION + 1);
	const console_console_write_reply *reply;
	sys_errno error = 0;
	assert_int_equal(console_console_write_finish(t.other, &mine, &reply, &error), IDL_OK);
	assert_int_equal(reply->written, 1);
	for (uint32_t i = 0; i < PER_SESSION; i++) {
		assert_int_equal(console_console_write_finish(t.hog, &writes[i], &reply, &error),
		                 IDL_OK);
		assert_int_equal(reply->written, 1);
	}
	read_finish(&r);
	assert_int_equal(r.counts['p'], fill);
	assert_int_equal(r.counts['w'], PER_SESSION);
	assert_int_equal(r.counts['o'], 1);
	close_two(&t);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s BINDIR\n", argv[0]);
		return 2;
	}
	bindir = argv[1];
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_slow_stdout_loses_no_print, start_blocking, stop),
	    cmocka_unit_test_setup_teardown(test_nonblocking_stdout, start_nonblocking, stop),
	    cmocka_unit_test_setup_teardown(test_reads_per_session, start_blocking, stop),
	    cmocka_unit_test_setup_teardown(test_writes_per_session, start_blocking, stop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
