/*
 * test_tamper.c: hostile peers write random values into the shared region
 * (indices, lengths, frame bytes, the doorbell) while the victim runs.
 *
 *  - Server victim: a forked server serves one well-behaved client and
 *    several hostile ones. The good client's calls must all succeed; each
 *    hostile channel must be closed by the server (it sees the server's
 *    closed flag); the server must exit cleanly (under ASan a bad read
 *    kills it, and the exit status says so).
 *  - A client that keeps the shared doorbell clear (every ready bit, the
 *    summary, the waiter word) and holds its futex word still cannot
 *    starve another client of a server that sleeps between that client's
 *    calls: the `notify` word of each channel and each client's kick are
 *    its own. The good client's slices are an hour long, so that its second
 *    ring after a slice cannot be what serves it.
 *  - Nor can one that keeps the doorbell ringing with nothing behind it
 *    (the summary pointing at no channel).
 *  - A hostile server that keeps its client's kick full and blocking, or
 *    never reads its socket: the client's calls still end at their timeout.
 *  - Client victim: a hostile server process scribbles on the reply side
 *    of a channel while this process calls through it: every call ends
 *    (bounded timeouts), and the channel ends with IDL_E_PROTOCOL.
 *  - A producer rewrites a record's length word while the consumer copies
 *    it: every read that succeeds has the size it read in the copy.
 */
#include "../../runtime/linux/port.h" /* the hello: a hostile server says one */
#include "demo_server.h"

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>

#include <cmocka.h>

#define HOSTILE 3

static uint32_t rng(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

/* One random write into what a client may write: its request ring
 * (indices, length words, frame bytes) and the shared doorbell. */
static void scribble_as_client(idl_linux_conn *c, uint32_t *x)
{
	idl_chan_shared *s = c->channel.base;
	uint8_t *ring = (uint8_t *)s + IDL_CHAN_RINGS_OFFSET;
	uint32_t ring_bytes = s->ring_bytes;
	idl_doorbell *db = c->doorbell.base;
	uint32_t r = rng(x);
	uint32_t v = rng(x);
	uint32_t small = v % 4 == 0 ? v : v % 64; /* often plausible, sometimes wild */
	switch (r % 8) {
	case 0:
		atomic_store(&s->req_head, atomic_load(&s->req_head) + small * 8);
		break;
	case 1:
		atomic_store(&s->req_head, v);
		break;
	case 2:
		atomic_store(&s->rep_tail, v);
		break;
	case 3: /* a length word where a frame starts */
		*(volatile uint32_t *)(ring + (atomic_load(&s->req_tail) & (ring_bytes - 1) &
		                               ~7u)) = v % 2 ? small * 8 : v;
		break;
	case 4:
		*(volatile uint32_t *)(ring + (v % ring_bytes & ~3u)) = rng(x);
		break;
	case 5:
		atomic_store(&db->ready[v % IDL_DOORBELL_WORDS], rng(x));
		atomic_store(&db->summary, rng(x));
		break;
	case 6:
		atomic_store(&db->wake.waiting, v);
		atomic_fetch_add(&db->wake.seq, 1);
		idl_os_wake(&db->wake.seq);
		break;
	default: /* a valid call now and then, so the server reads our ring */
		c->end.ep.timeout_ns = 1000000;
		(void)demo_call_write(idl_chan_end_endpoint(&c->end), small % 64);
		break;
	}
}

/* A hostile client process: scribbles for a while, then checks that the
 * server closed its channel. Exit status 0: closed as it should be. */
static int hostile_client(const char *name, uint32_t seed)
{
	idl_linux_conn c;
	if (demo_connect(&c, name) != IDL_OK)
		return 2;
	idl_chan_shared *s = c.channel.base;
	uint64_t end = idl_os_now_ns() + 1500000000u;
	uint32_t x = seed;
	while (idl_os_now_ns() < end && atomic_load(&s->server.closed) == 0)
		scribble_as_client(&c, &x);
	/* Surely inconsistent, in case the scribbles happened to be benign. */
	atomic_store(&s->req_head, atomic_load(&s->req_tail) + 0x40000000u);
	idl_doorbell_ring(c.doorbell.base, c.end.slot);
	for (int i = 0; i < 300 && atomic_load(&s->server.closed) == 0; i++)
		usleep(10000);
	return atomic_load(&s->server.closed) != 0 ? 0 : 3;
}

static void test_hostile_clients(void **state)
{
	(void)state;
	char name[64];
	snprintf(name, sizeof(name), "test-tamper-%d", (int)getpid());
	pid_t server = demo_start(name);
	idl_linux_conn good;
	assert_int_equal(demo_connect(&good, name), IDL_OK);
	pid_t hostile[HOSTILE];
	for (int i = 0; i < HOSTILE; i++) {
		hostile[i] = fork();
		if (hostile[i] == 0)
			_exit(hostile_client(name, 0x9e3779b9u * (uint32_t)(i + 1)));
	}
	/* The good client goes on while they scribble. */
	uint64_t end = idl_os_now_ns() + 2000000000u;
	uint32_t calls = 0;
	while (idl_os_now_ns() < end) {
		assert_int_equal(demo_call_write(idl_chan_end_endpoint(&good.end), calls % 64),
		                 IDL_OK);
		calls++;
	}
	for (int i = 0; i < HOSTILE; i++) {
		int status;
		waitpid(hostile[i], &status, 0);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	assert_int_equal(demo_call_write(idl_chan_end_endpoint(&good.end), 5), IDL_OK);
	print_message("  %u good calls while %d clients scribbled\n", calls, HOSTILE);
	idl_linux_conn_close(&good);
	int status = demo_stop_server(server);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* A forked client of the server `name`, killed with the test (if the test
 * fails first, too): its server's doorbell, or NULL. */
static idl_doorbell *connect_child(const char *name, idl_linux_conn *c)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	return demo_connect(c, name) == IDL_OK ? c->doorbell.base : NULL;
}

/* Clears everything of the doorbell a client may write, as fast as it
 * can, until it is killed. */
static int starver(const char *name)
{
	idl_linux_conn c;
	idl_doorbell *db = connect_child(name, &c);
	if (db == NULL)
		return 2;
	uint32_t seq = atomic_load(&db->wake.seq);
	for (;;) {
		atomic_store(&db->wake.waiting, 0);
		atomic_store(&db->wake.seq, seq);
		atomic_store(&db->summary, 0);
		for (uint32_t w = 0; w < IDL_DOORBELL_WORDS; w++)
			atomic_store(&db->ready[w], 0);
	}
}

#define STARVED_CALLS 200

static void test_doorbell_cleared(void **state)
{
	(void)state;
	char name[64];
	snprintf(name, sizeof(name), "test-starve-%d", (int)getpid());
	pid_t server = demo_start(name);
	idl_linux_conn good;
	assert_int_equal(demo_connect(&good, name), IDL_OK);
	good.end.slice_ns = 3600000000000u;
	pid_t bad = fork();
	if (bad == 0)
		_exit(starver(name));
	usleep(100000); /* connected and clearing */
	/* A pause before each call, so that the server has gone to sleep when
	 * it comes (a call's timeout is 5 s: a bound, not a measurement). */
	for (uint32_t i = 0; i < STARVED_CALLS; i++) {
		usleep(1000);
		assert_int_equal(demo_call_write(idl_chan_end_endpoint(&good.end), i % 64), IDL_OK);
	}
	print_message("  %d calls, each after a pause, while another client cleared the doorbell\n",
	              STARVED_CALLS);
	demo_kill(&bad);
	idl_linux_conn_close(&good);
	int status = demo_stop_server(server);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/*
 * The other way to starve a sleeping client: keep the doorbell ringing. A
 * client makes a call (the server watches its channel, then sleeps and
 * tells every client to kick), wakes the server with a kick of its own,
 * then keeps the summary pointing at a word of no channel, forever.
 */
static int ringer(const char *name)
{
	idl_linux_conn c;
	idl_doorbell *db = connect_child(name, &c);
	if (db == NULL || demo_call_write(idl_chan_end_endpoint(&c.end), 1) != IDL_OK)
		return 2;
	usleep(10000); /* the server has gone to sleep: every client kicks */
	atomic_store(&db->summary, 1u << (IDL_DOORBELL_WORDS - 1));
	c.end.xfer->kick(c.end.xfer_ctx);
	for (;;)
		atomic_store(&db->summary, 1u << (IDL_DOORBELL_WORDS - 1));
}

/* Runs pid on `cpu` alone, when the machine has it. */
static void pin(pid_t pid, int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	(void)sched_setaffinity(pid, sizeof(set), &set);
}

/*
 * A client that keeps the doorbell ringing with nothing behind it cannot
 * starve one whose server sleeps between its calls: the server looks at
 * every channel after so many passes, whether they found work or not. The
 * ringer runs on the server's CPU, where the server's yields hand it the
 * CPU. (Only passes that found work counted: the server never slept,
 * never saw a kick and never looked at every channel, and every call of
 * the good client timed out.)
 */
static pid_t ringing_server, ringing; /* stopped by stop_ringing, pass or fail */

static int stop_ringing(void **state)
{
	(void)state;
	demo_kill(&ringing);
	if (ringing_server > 0)
		demo_stop_server(ringing_server);
	ringing_server = 0;
	cpu_set_t all;
	CPU_ZERO(&all);
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
		CPU_SET(cpu, &all);
	(void)sched_setaffinity(0, sizeof(all), &all);
	return 0;
}

static void test_doorbell_kept_ringing(void **state)
{
	(void)state;
	char name[64];
	snprintf(name, sizeof(name), "test-ringing-%d", (int)getpid());
	pid_t server = ringing_server = demo_start(name);
	idl_linux_conn good;
	assert_int_equal(demo_connect(&good, name), IDL_OK);
	good.end.slice_ns = 3600000000000u;
	good.end.ep.timeout_ns = 2000000000u;
	pin(server, 0);
	pin(0, 1);
	assert_int_equal(demo_call_write(idl_chan_end_endpoint(&good.end), 1), IDL_OK);
	usleep(300000); /* the server slept, and told us to kick */
	ringing = fork();
	if (ringing == 0)
		_exit(ringer(name));
	pin(ringing, 0);
	usleep(600000); /* connected and ringing */
	for (uint32_t i = 0; i < 50; i++) {
		usleep(1000);
		assert_int_equal(demo_call_write(idl_chan_end_endpoint(&good.end), i % 64), IDL_OK);
	}
	demo_kill(&ringing);
	idl_linux_conn_close(&good);
	int status = demo_stop_server(server);
	ringing_server = 0;
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* The hostile server: scribbles on what a server may write. */
static void hostile_server(idl_chan_shared *s, uint32_t seed)
{
	uint8_t *replies = (uint8_t *)s + IDL_CHAN_RINGS_OFFSET + s->ring_bytes;
	uint32_t ring_bytes = s->ring_bytes;
	uint32_t x = seed;
	uint64_t end = idl_os_now_ns() + 1500000000u;
	while (idl_os_now_ns() < end) {
		uint32_t r = rng(&x), v = rng(&x);
		uint32_t small = v % 4 == 0 ? v : v % 64;
		switch (r % 6) {
		case 0:
			atomic_store(&s->rep_head, atomic_load(&s->rep_head) + small * 8);
			break;
		case 1:
			atomic_store(&s->rep_head, v);
			break;
		case 2:
			atomic_store(&s->req_tail, v);
			break;
		case 3:
			*(volatile uint32_t *)(replies + (atomic_load(&s->rep_tail) &
			                                  (ring_bytes - 1) & ~7u)) = small * 8;
			break;
		case 4:
			*(volatile uint32_t *)(replies + (v % ring_bytes & ~3u)) = rng(&x);
			break;
		default:
			atomic_fetch_add(&s->client.seq, 1);
			idl_os_wake(&s->client.seq);
			break;
		}
	}
	_exit(0);
}

static void test_hostile_server(void **state)
{
	(void)state;
	idl_linux_region r;
	size_t bytes = idl_chan_region_bytes(DEMO_RING);
	assert_int_equal(idl_linux_region_create(&r, "tamper", bytes), IDL_OK);
	assert_int_equal(idl_chan_format(r.base, bytes, DEMO_RING, FS_FILE_MAX_FRAME_BYTES),
	                 IDL_OK);
	pid_t pid = fork();
	if (pid == 0)
		hostile_server(r.base, 42);
	idl_chan_end c;
	assert_int_equal(idl_chan_end_init(&c, r.base, bytes, IDL_CHAN_CLIENT), IDL_OK);
	c.ep.timeout_ns = 20000000;
	uint32_t calls = 0, errors[40] = {0};
	int err = IDL_OK;
	uint64_t end = idl_os_now_ns() + 1000000000u;
	while (idl_os_now_ns() < end && err != IDL_E_PROTOCOL) {
		err = demo_call_write(idl_chan_end_endpoint(&c), calls % 64);
		errors[-err < 40 ? -err : 0]++;
		calls++;
	}
	print_message("  %u calls: %u timeouts, %u protocol errors, %u other failures\n", calls,
	              errors[-IDL_E_TIMEOUT], errors[-IDL_E_PROTOCOL],
	              calls - errors[-IDL_E_TIMEOUT] - errors[-IDL_E_PROTOCOL] - errors[0]);
	assert_int_equal(err, IDL_E_PROTOCOL);
	assert_int_equal(atomic_load(&((idl_chan_shared *)r.base)->client.closed), 1);
	demo_kill(&pid);
	idl_linux_region_close(&r);
}

/* A hostile server's start, in its child: dies with the test, listens on
 * `name` as a server would and takes its one client. The client's socket,
 * or -1. */
static int hostile_accept(const char *name)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	struct sockaddr_un addr;
	socklen_t len = idl_linux_socket_name(&addr, name);
	int listener = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (listener < 0 || bind(listener, (struct sockaddr *)&addr, len) != 0 ||
	    listen(listener, 4) != 0)
		_exit(1);
	return accept(listener, NULL, NULL);
}

/*
 * A hostile server's kick. The server shares the open file of the kick it
 * hands its client, so it can clear O_NONBLOCK on it and fill it: a write
 * of the client's then blocks for good, past any timeout (it did, with the
 * eventfd kick, whose write blocks on a full counter). And with a pipe it
 * could close its reader, so that the client's next kick raises SIGPIPE.
 * The client opens the pipe again through /proc for a writer and a reader
 * of its own, and refuses anything but a pipe at connect. The server here
 * says a valid hello, hands over a full pipe that it keeps blocking and
 * has no reader of, and never answers.
 */
static void kick_jammer(const char *name, bool eventfd_kick)
{
	int sock = hostile_accept(name);
	idl_linux_region channel, doorbell;
	size_t bytes = idl_chan_region_bytes(DEMO_RING);
	if (sock < 0 || idl_linux_region_create(&channel, "jammer", bytes) != IDL_OK ||
	    idl_chan_format(channel.base, bytes, DEMO_RING, FS_FILE_MAX_FRAME_BYTES) != IDL_OK ||
	    idl_linux_region_create(&doorbell, "jammer-db", sizeof(idl_doorbell)) != IDL_OK)
		_exit(1);
	idl_doorbell_init(doorbell.base);
	int kick[2];
	if (eventfd_kick) {
		kick[1] = eventfd(0, 0);
		uint64_t top = UINT64_MAX - 1; /* one more and a write blocks */
		(void)!write(kick[1], &top, sizeof(top));
	} else {
		if (pipe2(kick, O_NONBLOCK) != 0)
			_exit(1);
		static const uint8_t junk[4096];
		while (write(kick[1], junk, sizeof(junk)) > 0)
			;
		while (write(kick[1], junk, 1) > 0)
			;
	}
	idl_linux_hello h = {.magic = IDL_LINUX_HELLO_MAGIC,
	                     .version = IDL_CHAN_VERSION,
	                     .wire_version = IDL_WIRE_VERSION};
	int fds[IDL_LINUX_HELLO_FDS] = {channel.fd, doorbell.fd, kick[1]};
	if (idl_linux_send_fds(sock, &h, sizeof(h), fds, IDL_LINUX_HELLO_FDS, 0) != IDL_OK)
		_exit(1);
	if (!eventfd_kick)
		close(kick[0]); /* no reader of ours: a write that finds none is SIGPIPE */
	for (;;) {              /* blocking again whenever the client made it non-blocking */
		(void)fcntl(kick[1], F_SETFL, 0);
		usleep(1000);
	}
}

static void test_hostile_server_kick(void **state)
{
	(void)state;
	char name[64];
	for (int eventfd_kick = 1; eventfd_kick >= 0; eventfd_kick--) {
		snprintf(name, sizeof(name), "test-jammer-%d-%d", (int)getpid(), eventfd_kick);
		pid_t jammer = fork();
		if (jammer == 0)
			kick_jammer(name, eventfd_kick);
		idl_linux_conn c;
		int err = demo_connect(&c, name);
		if (eventfd_kick) {
			assert_int_equal(err, IDL_E_PROTOCOL);
		} else {
			assert_int_equal(err, IDL_OK);
			c.end.ep.timeout_ns = 300000000u;
			c.end.slice_ns = 50000000u; /* so that it kicks again, and again */
			usleep(50000);              /* the kick blocking again */
			uint64_t start = idl_os_now_ns();
			assert_int_equal(demo_call_write(idl_chan_end_endpoint(&c.end), 1),
			                 IDL_E_TIMEOUT);
			assert_true(idl_os_now_ns() - start <
			            3000000000u); /* a bound, not a measurement */
			idl_linux_conn_close(&c);
		}
		demo_kill(&jammer);
	}
}

/*
 * A hostile server whose channel (or doorbell) is a sealed, sparse memfd of
 * a terabyte, formatted as a good one: the client mapped all of it, a
 * terabyte of its address space for as long as it stayed connected. Now it
 * refuses regions larger than the largest channel and doorbell can be.
 */
#define A_TERABYTE ((size_t)1 << 40)

/* A sealed memfd of `bytes` whose first page (mapped alone: the server maps
 * no terabyte itself) is made by `fill`. The descriptor, or -1. */
static int sealed_region(size_t bytes, void (*fill)(void *page))
{
	int fd = memfd_create("oversized", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0 || ftruncate(fd, (off_t)bytes) != 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0)
		return -1;
	void *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (page == MAP_FAILED)
		return -1;
	fill(page);
	munmap(page, 4096);
	return fd;
}

static void a_channel(void *page)
{
	/* A header that asks for no more than the channel's rings: the region
	 * may be larger, as idl_chan_check allows. */
	(void)idl_chan_format(page, idl_chan_region_bytes(DEMO_RING), DEMO_RING,
	                      FS_FILE_MAX_FRAME_BYTES);
}

static void a_doorbell(void *page)
{
	idl_doorbell_init(page);
}

static void oversized_server(const char *name, bool big_doorbell)
{
	int sock = hostile_accept(name);
	int channel =
	    sealed_region(big_doorbell ? idl_chan_region_bytes(DEMO_RING) : A_TERABYTE, a_channel);
	int doorbell = sealed_region(big_doorbell ? A_TERABYTE : 4096, a_doorbell);
	int kick[2];
	if (sock < 0 || channel < 0 || doorbell < 0 || pipe2(kick, O_NONBLOCK) != 0)
		_exit(1);
	idl_linux_hello h = {.magic = IDL_LINUX_HELLO_MAGIC,
	                     .version = IDL_CHAN_VERSION,
	                     .wire_version = IDL_WIRE_VERSION};
	int fds[IDL_LINUX_HELLO_FDS] = {channel, doorbell, kick[1]};
	if (idl_linux_send_fds(sock, &h, sizeof(h), fds, IDL_LINUX_HELLO_FDS, 0) != IDL_OK)
		_exit(1);
	pause();
	_exit(0);
}

static void test_hostile_server_oversized_regions(void **state)
{
	(void)state;
	char name[64];
	for (int big_doorbell = 0; big_doorbell <= 1; big_doorbell++) {
		snprintf(name, sizeof(name), "test-oversized-%d-%d", (int)getpid(), big_doorbell);
		pid_t server = fork();
		if (server == 0)
			oversized_server(name, big_doorbell);
		idl_linux_conn c;
		int err = demo_connect(&c, name);
		if (err == IDL_OK)
			idl_linux_conn_close(&c);
		assert_int_equal(err, IDL_E_PROTOCOL);
		demo_kill(&server);
	}
}

/*
 * A hostile server that never reads its socket: the descriptors a client
 * sends fill it (each message is charged to the socket until the peer
 * takes it), and the client's next send with a handle waits for room. It
 * waits up to its timeout, as for room in the ring. (It waited for good,
 * in sendmsg.) The jammer above takes nothing from its socket.
 */
static void test_hostile_server_never_reads_its_socket(void **state)
{
	(void)state;
	char name[64];
	snprintf(name, sizeof(name), "test-deaf-%d", (int)getpid());
	pid_t jammer = fork();
	if (jammer == 0)
		kick_jammer(name, false);
	idl_linux_conn c;
	int err = demo_connect(&c, name);
	assert_int_equal(err, IDL_OK);
	c.end.ep.timeout_ns = 300000000u;
	idl_linux_region buf;
	assert_int_equal(idl_linux_region_create(&buf, "deaf", 4096), IDL_OK);
	static fs_file_read_shared_pending p[1000];
	uint32_t sent = 0;
	uint64_t start = 0;
	for (; sent < 1000; sent++) {
		fs_file_read_shared_request req = {
		    .fd = 1, .count = 16, .buffer = (idl_handle)buf.fd, .buffer_offset = 0};
		start = idl_os_now_ns();
		err = fs_file_read_shared_start(idl_chan_end_endpoint(&c.end), &req, &p[sent]);
		if (err != IDL_OK)
			break;
	}
	uint64_t took = idl_os_now_ns() - start;
	print_message("  %u requests with a descriptor sent, then %s after %.3f s\n", sent,
	              idl_error_name(err), (double)took / 1e9);
	assert_true(sent < 1000); /* the socket did fill */
	assert_int_equal(err, IDL_E_TIMEOUT);
	assert_true(took < 3000000000u); /* a bound, not a measurement */
	idl_linux_conn_close(&c);
	idl_linux_region_close(&buf);
	demo_kill(&jammer);
}

/*
 * A peer that rewrites a record's length word while the consumer copies
 * the record out. The consumer reads the word once and, after the copy,
 * checks the copy's size field against it (idl_ring_read_plain, and
 * idl_ring_read_length for a record too big for the first buffer), so
 * a read that succeeds always hands over a frame whose header says the
 * size that was read and copied. A forked producer flips the first record's
 * word between 64 and 128 (both within what it published) while this
 * process reads that record again and again, until the flip has fallen
 * between a read and its copy a thousand times (or two seconds pass).
 */
static void test_length_word_rewritten_during_the_copy(void **state)
{
	(void)state;
	const uint32_t ring = 1024, max_frame = 256;
	size_t bytes = idl_chan_region_bytes(ring);
	uint8_t *region =
	    mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(region != MAP_FAILED);
	assert_int_equal(idl_chan_format(region, bytes, ring, max_frame), IDL_OK);
	idl_chan_end client, server;
	assert_int_equal(idl_chan_end_init(&client, region, bytes, IDL_CHAN_CLIENT), IDL_OK);
	assert_int_equal(idl_chan_end_init(&server, region, bytes, IDL_CHAN_SERVER), IDL_OK);
	/* Three one-way requests of 64 bytes, published: 192 bytes. */
	for (uint32_t i = 0; i < 3; i++) {
		idl_frame_header h = {.size = 64, .ordinal = i, .flags = IDL_FLAG_REQUEST};
		memcpy(client.tx.data + 64 * i, &h, sizeof(h));
	}
	atomic_store(client.tx.head, 192u);
	volatile uint32_t *word = (volatile uint32_t *)client.tx.data;
	pid_t pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* with the test, if it fails first */
		for (uint32_t i = 0;; i++)
			*word = (i & 1) != 0 ? 128u : 64u;
	}
	assert_true(pid > 0);
	uint64_t taken = 0, refused = 0, reads = 0;
	uint64_t end = idl_os_now_ns() + 2000000000u;
	while (refused < 1000 && idl_os_now_ns() < end) {
		for (uint32_t i = 0; i < 1000; i++, reads++) {
			idl_ring r = server.rx; /* the first record again, each time */
			_Alignas(8) uint8_t buf[256], small[32];
			idl_ring_frame f = {.buf = buf, .buf_bytes = sizeof(buf)};
			/* Every other read into a buffer too small for the record, so
			 * that it goes to the second buffer the other way
			 * (idl_ring_read_length), which checks the copy too. */
			if ((i & 1) != 0)
				f = (idl_ring_frame){.buf = small,
				                     .buf_bytes = sizeof(small),
				                     .alt = buf,
				                     .alt_bytes = sizeof(buf)};
			int err = idl_ring_read(&r, &f);
			if (err == IDL_OK) {
				taken++;
				assert_true(f.size == 64 || f.size == 128);
				assert_ptr_equal(f.at, buf);
				assert_int_equal(((const idl_frame_header *)f.at)->size, f.size);
			} else {
				assert_int_equal(err, IDL_E_PROTOCOL);
				refused++;
			}
		}
	}
	demo_kill(&pid);
	print_message("  %llu reads: %llu taken, %llu refused (the word changed under the copy)\n",
	              (unsigned long long)reads, (unsigned long long)taken,
	              (unsigned long long)refused);
	assert_true(taken > 0);
	munmap(region, bytes);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hostile_clients),
	    cmocka_unit_test(test_doorbell_cleared),
	    cmocka_unit_test_teardown(test_doorbell_kept_ringing, stop_ringing),
	    cmocka_unit_test(test_hostile_server),
	    cmocka_unit_test(test_hostile_server_kick),
	    cmocka_unit_test(test_hostile_server_oversized_regions),
	    cmocka_unit_test(test_hostile_server_never_reads_its_socket),
	    cmocka_unit_test(test_length_word_rewritten_during_the_copy),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
