/*
 * test_file_server.c: idl-file-server against a client that tries to take
 * it down (issue 10, section 6), the server run as a person runs it, with
 * a low descriptor limit.
 *
 *  - Descriptor exhaustion: this process opens every session and every
 *    file it may; it is refused (a hung-up connection, TOO_MANY) at its
 *    budget, and a well-behaved client, another process, is served
 *    throughout. Then the server's limit is lowered below what it holds:
 *    a connection it cannot accept is hung up at once instead of waiting
 *    for a hello, and once the limit is back the other client is served.
 *  - Bulk reads: a read_shared of 4 GiB reads at most the server's bound
 *    (1 MiB) per request, a client has at most four in flight, and the
 *    other client is served while they run.
 *  - Special files: a fifo is refused without being opened (its blocked
 *    writer stays blocked).
 *  - A buffer larger than the server's address space: read_shared into
 *    its last bytes works (the server maps only what it writes).
 *
 *     test_file_server BINDIR      (where idl-file-server is)
 */
#include "fs.h"
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
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#define NOFILE       256u /* the server's descriptor limit */
#define SHARED_BOUND (1u << 20)
#define BIG_BYTES    (8u << 20)
/* Sessions the server takes at NOFILE descriptors (file_server.c's
 * size_budgets), more than its 32 read_shared jobs. */
#define MANY_CLIENTS 36

static const char *bindir;
static char root[256], name[64];
static pid_t server;
static pid_t helpers[2]; /* a test's own processes: stopped with the server, pass or fail */

static int start_server(void **state)
{
	(void)state;
	static int n;
	snprintf(name, sizeof(name), "test-fs-%d-%d", (int)getpid(), n++);
	snprintf(root, sizeof(root), "/tmp/test-file-server-%d", (int)getpid());
	mkdir(root, 0700);
	char path[512];
	snprintf(path, sizeof(path), "%s/small.txt", root);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("a small file\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/big.bin", root);
	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, BIG_BYTES), 0); /* sparse: zeros */
	close(fd);
	server = fork();
	if (server == 0) {
		struct rlimit rl = {NOFILE, NOFILE};
		setrlimit(RLIMIT_NOFILE, &rl);
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 2);
		snprintf(path, sizeof(path), "%s/idl-file-server", bindir);
		execl(path, path, "-n", name, root, (char *)NULL);
		_exit(127);
	}
	return server > 0 ? 0 : -1;
}

static int stop_server(void **state)
{
	(void)state;
	int status = 0;
	for (int i = 0; i < 2; i++) {
		if (helpers[i] > 0) {
			kill(helpers[i], SIGKILL);
			waitpid(helpers[i], NULL, 0);
		}
		helpers[i] = 0;
	}
	kill(server, SIGTERM);
	waitpid(server, &status, 0);
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd) != 0)
		return -1;
	/* It stopped as asked, not killed by a fault. */
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* Connects, retrying while the server starts. */
static int connect_fs(idl_linux_conn *c)
{
	int err = IDL_E_TRANSPORT;
	for (int i = 0; i < 500 && err == IDL_E_TRANSPORT; i++) {
		err = idl_linux_connect(c, name, FS_FILE_PROTOCOL, 5000);
		if (err == IDL_E_TRANSPORT)
			usleep(10000);
	}
	if (err == IDL_OK)
		c->end.ep.timeout_ns = 10000000000u;
	return err;
}

static int open_file(idl_endpoint *ep, const char *path, uint32_t *fd, sys_errno *error)
{
	fs_file_open_request req = {.path = {.size = (uint32_t)strlen(path), .data = path},
	                            .flags = FS_OPEN_FLAGS_READ};
	fs_file_open_reply_buffer rb;
	const fs_file_open_reply *reply;
	int err = fs_file_open(ep, &req, &rb, &reply, error);
	if (err == IDL_OK)
		*fd = reply->fd;
	return err;
}

/* Connects and opens `path`, which must open; the endpoint. */
static idl_endpoint *connect_and_open(idl_linux_conn *c, const char *path, uint32_t *fd)
{
	assert_int_equal(connect_fs(c), IDL_OK);
	idl_endpoint *ep = idl_chan_end_endpoint(&c->end);
	sys_errno error;
	assert_int_equal(open_file(ep, path, fd, &error), IDL_OK);
	return ep;
}

/* A client that asks little: another process, which connects, opens,
 * reads and stats a file, `rounds` times. Exits 0 when all went well. */
static pid_t well_behaved(int rounds)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	idl_linux_conn c;
	if (connect_fs(&c) != IDL_OK)
		_exit(10);
	idl_endpoint *ep = idl_chan_end_endpoint(&c.end);
	for (int i = 0; i < rounds; i++) {
		uint32_t fd;
		sys_errno error;
		if (open_file(ep, "small.txt", &fd, &error) != IDL_OK)
			_exit(11);
		fs_file_read_request rq = {.fd = fd, .count = 64};
		fs_file_read_reply_buffer rb;
		const fs_file_read_reply *reply;
		if (fs_file_read(ep, &rq, &rb, &reply, &error) != IDL_OK ||
		    reply->data.size != 13 || memcmp(reply->data.data, "a small file\n", 13) != 0)
			_exit(12);
		fs_file_stat_request sq = {.fd = fd};
		fs_file_stat_reply_buffer sb;
		const fs_file_stat_reply *st;
		if (fs_file_stat(ep, &sq, &sb, &st, &error) != IDL_OK || st->st.size != 13)
			_exit(13);
		fs_file_close_request cq = {.fd = fd};
		fs_file_close_reply_buffer cb;
		const fs_file_close_reply *cr;
		if (fs_file_close(ep, &cq, &cb, &cr, &error) != IDL_OK)
			_exit(14);
	}
	idl_linux_conn_close(&c);
	_exit(0);
}

static void assert_served(pid_t pid)
{
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* The lowest descriptor number the server has free: with its limit there,
 * accept has none to give. */
static int lowest_free_descriptor(void)
{
	for (int fd = 0; fd < (int)NOFILE; fd++) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)server, fd);
		if (access(path, F_OK) != 0)
			return fd;
	}
	return -1;
}

static void set_server_limit(rlim_t n)
{
	struct rlimit rl = {n, NOFILE};
	assert_int_equal(prlimit(server, RLIMIT_NOFILE, &rl, NULL), 0);
}

static void test_descriptor_exhaustion(void **state)
{
	(void)state;
	enum {
		SESSIONS = 12
	};
	static idl_linux_conn c[SESSIONS];
	int sessions = 0;
	while (sessions < SESSIONS) {
		int err = sessions == 0
		              ? connect_fs(&c[0])
		              : idl_linux_connect(&c[sessions], name, FS_FILE_PROTOCOL, 5000);
		if (err != IDL_OK) {
			/* Its share of sessions taken: hung up at once. */
			assert_int_equal(err, IDL_E_PEER_CLOSED);
			break;
		}
		c[sessions].end.ep.timeout_ns = 10000000000u;
		sessions++;
	}
	assert_true(sessions > 1 && sessions < SESSIONS);
	/* Every file it may open, in every session: TOO_MANY at its budget. */
	int files = 0, refused = 0;
	for (int s = 0; s < sessions; s++) {
		for (;;) {
			uint32_t fd;
			sys_errno error = 0;
			int err =
			    open_file(idl_chan_end_endpoint(&c[s].end), "small.txt", &fd, &error);
			if (err != IDL_OK) {
				assert_int_equal(err, IDL_E_REMOTE);
				assert_int_equal(error, SYS_ERRNO_TOO_MANY);
				refused++;
				break;
			}
			files++;
		}
	}
	assert_int_equal(refused, sessions);
	assert_true(files > 0 && files < (int)NOFILE);
	print_message("  one client: %d sessions, %d files, then refused\n", sessions, files);
	/* Another client is served all the same. */
	assert_served(well_behaved(20));

	/* The server out of descriptors: a connection it cannot accept is
	 * taken off the queue and hung up, not left waiting for a hello. */
	int lowest = lowest_free_descriptor();
	assert_true(lowest > 0);
	set_server_limit((rlim_t)lowest);
	pid_t late = fork();
	if (late == 0) {
		idl_linux_conn c1;
		_exit(idl_linux_connect(&c1, name, FS_FILE_PROTOCOL, 5000) == IDL_E_PEER_CLOSED
		          ? 0
		          : 1);
	}
	assert_served(late);
	set_server_limit(NOFILE);
	assert_served(well_behaved(5));
	for (int s = 0; s < sessions; s++)
		idl_linux_conn_close(&c[s]);
}

/* One read_shared: the count the server answers. */
static int read_shared_start(idl_endpoint *ep, uint32_t fd, idl_linux_region *buf,
                             fs_file_read_shared_pending *p)
{
	fs_file_read_shared_request req = {
	    .fd = fd, .count = 0xffffffffu, .buffer = (idl_handle)buf->fd, .buffer_offset = 0};
	return fs_file_read_shared_start(ep, &req, p);
}

static void test_bulk_reads_are_bounded(void **state)
{
	(void)state;
	idl_linux_conn c;
	uint32_t fd;
	idl_endpoint *ep = connect_and_open(&c, "big.bin", &fd);
	sys_errno error;
	/* A buffer of 4 GiB, which costs nothing until written. */
	idl_linux_region buf;
	assert_int_equal(idl_linux_region_create(&buf, "test-4g", (size_t)0xffffffffu + 1), IDL_OK);
	fs_file_read_shared_pending p[5];
	for (int i = 0; i < 4; i++)
		assert_int_equal(read_shared_start(ep, fd, &buf, &p[i]), IDL_OK);
	/* A fifth in flight is one too many for one client. */
	assert_int_equal(read_shared_start(ep, fd, &buf, &p[4]), IDL_OK);
	pid_t other = well_behaved(20);
	const fs_file_read_shared_reply *reply;
	for (int i = 0; i < 4; i++) {
		assert_int_equal(fs_file_read_shared_finish(ep, &p[i], &reply, &error), IDL_OK);
		assert_int_equal(reply->count, SHARED_BOUND);
	}
	int err = fs_file_read_shared_finish(ep, &p[4], &reply, &error);
	assert_true(err == IDL_OK || (err == IDL_E_REMOTE && error == SYS_ERRNO_TOO_MANY));
	if (err == IDL_OK) /* the first ones were done before it came */
		assert_int_equal(reply->count, SHARED_BOUND);
	assert_served(other);
	idl_linux_region_close(&buf);
	idl_linux_conn_close(&c);
}

/* A fifo in the served directory is refused without being opened: a
 * writer blocked on it stays blocked (an open for reading, even for a
 * moment, would let it go), and nothing hangs. Likewise the server never
 * opens a device as such, which could make a terminal its own. */
static void test_special_files_are_not_opened(void **state)
{
	(void)state;
	char path[512];
	snprintf(path, sizeof(path), "%s/fifo", root);
	assert_int_equal(mkfifo(path, 0600), 0);
	pid_t writer = fork();
	if (writer == 0) {
		int fd = open(path, O_WRONLY); /* blocks until a reader opens */
		_exit(fd >= 0 ? 0 : 1);
	}
	idl_linux_conn c;
	assert_int_equal(connect_fs(&c), IDL_OK);
	idl_endpoint *ep = idl_chan_end_endpoint(&c.end);
	uint32_t fd;
	sys_errno error;
	assert_int_equal(open_file(ep, "fifo", &fd, &error), IDL_E_REMOTE);
	assert_int_equal(error, SYS_ERRNO_ACCESS);
	/* The server still answers, and the writer is still waiting. */
	assert_int_equal(open_file(ep, "small.txt", &fd, &error), IDL_OK);
	usleep(200000);
	int status;
	assert_int_equal(waitpid(writer, &status, WNOHANG), 0);
	kill(writer, SIGKILL);
	waitpid(writer, &status, 0);
	idl_linux_conn_close(&c);
}

/* A loop of synchronous read_shared of big.bin on a session of its own,
 * for `seconds`: 0 when every one was answered with data (or, with
 * refusals_allowed, refused with TOO_MANY), else which step failed. */
typedef struct shared_loop {
	double seconds;
	uint32_t count;
	bool refusals_allowed;
	int failed;
} shared_loop;

static void *loop_read_shared(void *arg)
{
	shared_loop *l = arg;
	idl_linux_conn c;
	if (connect_fs(&c) != IDL_OK) {
		l->failed = 1;
		return NULL;
	}
	idl_endpoint *ep = idl_chan_end_endpoint(&c.end);
	uint32_t fd;
	sys_errno error;
	idl_linux_region buf;
	if (open_file(ep, "big.bin", &fd, &error) != IDL_OK ||
	    idl_linux_region_create(&buf, "test-loop", l->count) != IDL_OK) {
		l->failed = 2;
		return NULL;
	}
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		fs_file_read_shared_request req = {
		    .fd = fd, .count = l->count, .buffer = (idl_handle)buf.fd};
		fs_file_read_shared_reply_buffer rb;
		const fs_file_read_shared_reply *reply;
		int err = fs_file_read_shared(ep, &req, &rb, &reply, &error);
		if (err == IDL_E_REMOTE && error == SYS_ERRNO_TOO_MANY && !l->refusals_allowed) {
			l->failed = 3;
			break;
		}
		if (err != IDL_OK && !(err == IDL_E_REMOTE && error == SYS_ERRNO_TOO_MANY)) {
			l->failed = 4;
			break;
		}
		if (err == IDL_OK && reply->count != l->count) {
			l->failed = 5;
			break;
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9 <
	         l->seconds);
	idl_linux_region_close(&buf);
	idl_linux_conn_close(&c);
	return NULL;
}

/* A client process running `threads` such loops at once; exits with the
 * first failure (0: none). */
static pid_t shared_reader(int threads, double seconds, uint32_t count, bool refusals_allowed)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	shared_loop loops[4];
	pthread_t t[4];
	for (int i = 0; i < threads; i++) {
		loops[i] = (shared_loop){seconds, count, refusals_allowed, 0};
		if (pthread_create(&t[i], NULL, loop_read_shared, &loops[i]) != 0)
			_exit(20);
	}
	int failed = 0;
	for (int i = 0; i < threads; i++) {
		pthread_join(t[i], NULL);
		if (failed == 0)
			failed = loops[i].failed;
	}
	_exit(failed);
}

/*
 * Thirty-six client processes keep the server's 32 jobs in flight, each looping
 * read_shared: some are refused (TOO_MANY, the server's jobs all taken),
 * none fails otherwise, and the server lives through it. (A job given back
 * used to count as free before it was on the free list, and the server
 * thread could take one from the empty list: it crashed within seconds.)
 */
static void test_shared_reads_from_many_clients(void **state)
{
	(void)state;
	pid_t readers[MANY_CLIENTS];
	for (int i = 0; i < MANY_CLIENTS; i++)
		readers[i] = shared_reader(1, 3.0, 64 * 1024, true);
	for (int i = 0; i < MANY_CLIENTS; i++)
		assert_served(readers[i]);
	assert_served(well_behaved(5));
}

/* A client with four read_shared in flight at the most, asking again as
 * soon as it is answered, is never refused: a worker gives the client's
 * place back before it answers. (It answered first, and some 400 of each
 * 100000 such requests got TOO_MANY.) */
static void test_four_in_flight_are_never_refused(void **state)
{
	(void)state;
	assert_served(shared_reader(4, 3.0, 4096, false));
}

/* A read past the largest file offset is at the end of the file: 0 bytes,
 * not INVALID (pread refuses offset + count past it). */
static void test_read_at_the_last_offset(void **state)
{
	(void)state;
	idl_linux_conn c;
	uint32_t fd;
	idl_endpoint *ep = connect_and_open(&c, "small.txt", &fd);
	sys_errno error;
	fs_file_read_request req = {.fd = fd, .offset = INT64_MAX - 10, .count = 64};
	fs_file_read_reply_buffer rb;
	const fs_file_read_reply *reply;
	assert_int_equal(fs_file_read(ep, &req, &rb, &reply, &error), IDL_OK);
	assert_int_equal(reply->data.size, 0);
	idl_linux_region buf;
	assert_int_equal(idl_linux_region_create(&buf, "test-last", 4096), IDL_OK);
	fs_file_read_shared_request sreq = {
	    .fd = fd, .offset = INT64_MAX - 10, .count = 4096, .buffer = (idl_handle)buf.fd};
	fs_file_read_shared_reply_buffer sb;
	const fs_file_read_shared_reply *sreply;
	assert_int_equal(fs_file_read_shared(ep, &sreq, &sb, &sreply, &error), IDL_OK);
	assert_int_equal(sreply->count, 0);
	idl_linux_region_close(&buf);
	idl_linux_conn_close(&c);
}

/*
 * A client chooses its buffer's size, and a sparse memfd can be larger
 * than the server's address space (128 TiB): read_shared into the last
 * bytes of a 1 PiB buffer lands there, because the server maps only the
 * bytes it writes. (It mapped the whole buffer, and answered INVALID.)
 */
static void test_read_into_a_buffer_larger_than_memory(void **state)
{
	(void)state;
	idl_linux_conn c;
	uint32_t fd;
	idl_endpoint *ep = connect_and_open(&c, "small.txt", &fd);
	const uint64_t buffer_bytes = 1ull << 50;
	int buffer = memfd_create("test-1p", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	assert_true(buffer >= 0);
	assert_int_equal(ftruncate(buffer, (off_t)buffer_bytes), 0);
	assert_int_equal(fcntl(buffer, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW), 0);
	/* 13 bytes from 5 before the last page: across a page boundary,
	 * from an offset not on one. */
	const uint64_t at = buffer_bytes - 4096 - 5;
	fs_file_read_shared_request req = {
	    .fd = fd, .count = 64, .buffer = (idl_handle)buffer, .buffer_offset = at};
	fs_file_read_shared_reply_buffer rb;
	const fs_file_read_shared_reply *reply;
	sys_errno error;
	assert_int_equal(fs_file_read_shared(ep, &req, &rb, &reply, &error), IDL_OK);
	assert_int_equal(reply->count, strlen("a small file\n"));
	uint8_t *tail =
	    mmap(NULL, 2 * 4096, PROT_READ, MAP_SHARED, buffer, (off_t)(buffer_bytes - 2 * 4096));
	assert_true(tail != MAP_FAILED);
	assert_memory_equal(tail + 4096 - 5, "a small file\n", reply->count);
	munmap(tail, 2 * 4096);
	/* Past its end, by one byte, is still out of range. */
	req.buffer_offset = buffer_bytes - 63;
	assert_int_equal(fs_file_read_shared(ep, &req, &rb, &reply, &error), IDL_E_REMOTE);
	assert_int_equal(error, SYS_ERRNO_RANGE);
	close(buffer);
	idl_linux_conn_close(&c);
}

/*
 * A path that names a regular file when the server looks and a fifo a
 * moment later (another process swaps the two with RENAME_EXCHANGE, over
 * and over) is never opened as the fifo: a writer blocked on the fifo
 * stays blocked through two seconds of opens. (The server looked the path
 * up twice, and the second lookup opened the fifo before the check that
 * then refused it: the writer went free within a few opens.)
 */
static void test_fifo_swapped_in_is_not_opened(void **state)
{
	(void)state;
	char victim[512], fifo[512], writers[512];
	snprintf(victim, sizeof(victim), "%s/victim", root);
	snprintf(fifo, sizeof(fifo), "%s/swapped", root);
	snprintf(writers, sizeof(writers), "%s/writers-fifo", root);
	int made = open(victim, O_CREAT | O_WRONLY, 0600);
	assert_true(made >= 0);
	close(made);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(link(fifo, writers), 0); /* the writer's way in, whatever its name */
	pid_t swapper = fork();
	if (swapper == 0)
		for (;;)
			renameat2(AT_FDCWD, victim, AT_FDCWD, fifo, RENAME_EXCHANGE);
	helpers[0] = swapper;
	pid_t writer = fork();
	if (writer == 0) {
		int fd = open(writers, O_WRONLY); /* blocks until a reader opens */
		_exit(fd >= 0 ? 0 : 1);
	}
	helpers[1] = writer;
	idl_linux_conn c;
	assert_int_equal(connect_fs(&c), IDL_OK);
	idl_endpoint *ep = idl_chan_end_endpoint(&c.end);
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int opened = 0, refused = 0, status;
	do {
		uint32_t fd;
		sys_errno error = 0;
		int err = open_file(ep, "victim", &fd, &error);
		if (err == IDL_OK) {
			opened++;
			fs_file_close_request cq = {.fd = fd};
			fs_file_close_reply_buffer cb;
			const fs_file_close_reply *cr;
			assert_int_equal(fs_file_close(ep, &cq, &cb, &cr, &error), IDL_OK);
		} else {
			assert_int_equal(err, IDL_E_REMOTE);
			assert_true(error == SYS_ERRNO_ACCESS || error == SYS_ERRNO_NOT_FOUND);
			refused++;
		}
		assert_int_equal(waitpid(writer, &status, WNOHANG), 0); /* still blocked */
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (t.tv_sec - t0.tv_sec < 2);
	print_message("  %d opens of the file, %d refused as the fifo\n", opened, refused);
	assert_true(opened > 0 && refused > 0); /* both were seen */
	idl_linux_conn_close(&c);
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
	    cmocka_unit_test_setup_teardown(test_descriptor_exhaustion, start_server, stop_server),
	    cmocka_unit_test_setup_teardown(test_bulk_reads_are_bounded, start_server, stop_server),
	    cmocka_unit_test_setup_teardown(test_special_files_are_not_opened, start_server,
	                                    stop_server),
	    cmocka_unit_test_setup_teardown(test_fifo_swapped_in_is_not_opened, start_server,
	                                    stop_server),
	    cmocka_unit_test_setup_teardown(test_shared_reads_from_many_clients, start_server,
	                                    stop_server),
	    cmocka_unit_test_setup_teardown(test_four_in_flight_are_never_refused, start_server,
	                                    stop_server),
	    cmocka_unit_test_setup_teardown(test_read_into_a_buffer_larger_than_memory,
	                                    start_server, stop_server),
	    cmocka_unit_test_setup_teardown(test_read_at_the_last_offset, start_server,
	                                    stop_server),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
