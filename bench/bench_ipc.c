/*
 * bench_ipc.c: bench_ipc, the runtime's channels against pipes and UNIX
 * sockets between two processes, in one run, as ratios (issue 3, section 7,
 * and issue 15):
 *
 *  (a) round trip of a small call: console.write of 16 bytes through the
 *      generated stub and dispatcher over a channel. Busy (both sides
 *      spin): against the floor, two processes ping-ponging one shared
 *      word, and io_uring IORING_OP_MSG_RING between two spinning rings;
 *      and the same frames through the channel's rings alone (no stub,
 *      codec or server loop), to show what the ring protocol costs.
 *      Asleep (each side sleeps as soon as it waits): against the same
 *      request and reply frames carried by a pipe pair and by a
 *      socketpair(AF_UNIX, SOCK_SEQPACKET), peers in blocking read/write,
 *      MSG_RING with io_uring_submit_and_wait, and the floor under them
 *      all: one futex word ping-ponged, each side asleep on it (two
 *      wake-ups of a sleeping process a round trip); beside each, the
 *      share of round trips after which both ends had run on one CPU
 *      (sched_getcpu on each side), which decides most of the time of a
 *      wake-up; then all of them again with both ends held on CPU 0, which
 *      takes the placement out and leaves each mechanism's own cost. And
 *      the same calls
 *      pipelined, 16 in flight on the one channel (<method>_start /
 *      _finish), in ns per call;
 *  (b) one-way streaming of 64-byte frames (console.print of 32 bytes,
 *      encoded by the stub, copied and validated by the server) against
 *      64-byte writes into a pipe (read one message per read, and read in
 *      bulk), and MSG_RING messages sent 32 to an io_uring_enter;
 *  (c) the server's cost per message with 1, 16 and 256 clients (threads,
 *      one channel each; synchronous calls, and one-way messages): the
 *      server's busy time, CPU time and wall time per message, and frames
 *      per pass; again with channels in huge pages when the system's pool
 *      has enough;
 *  and what spinning costs: round trip against the spin counts, and the
 *  server's CPU time and wake-ups over an idle second.
 *
 * Wall-clock figures: each is the median of --runs runs, each run with a
 * fresh peer process; a ratio is the median of the runs' own ratios, with
 * their range (the worst run is one end of it). docs/benchmarks.md has the
 * figures and the commands.
 */
#define _GNU_SOURCE

#include "bench_uring.h"
#include "console.h"
#include "idl/linux.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_RUNS 31
#define CAPACITY 300u

static int runs = 5;
static uint32_t ring_bytes; /* --ring-bytes: each ring of each channel; 0, the server's default */
static uint32_t client_spin = IDL_DEFAULT_SPIN;
static uint32_t server_spin = IDL_DEFAULT_SPIN;
static uint32_t many_client_spin = 50;       /* clients outnumber the cores */
static uint32_t yields = IDL_DEFAULT_YIELDS; /* every waiter's, after its spins */
static bool pin;         /* --pin: the bench and its clients on CPU 0, peers on CPU 1 */
static bool together;    /* (a)'s held placement: the bench and its peers all on CPU 0 */
static const char *only; /* --only a|b|c|idle: one part of the run */
static bool huge_pages;  /* the next server puts its channels in huge pages */
static bool time_passes; /* the next server measures its busy time: only (c) reads it */

/* Each ring of each channel the servers set up, and of the rings alone. */
static uint32_t rings_of_channels(void)
{
	return ring_bytes != 0 ? ring_bytes : IDL_LINUX_DEFAULT_RING_BYTES;
}

/* Where a process of the bench goes: cpu under --pin, CPU 0 while (a)
 * holds both ends together, anywhere otherwise. */
static void pin_to(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(together ? 0 : cpu, &set);
	if ((pin || together) && sched_setaffinity(0, sizeof(set), &set) != 0)
		perror("bench_ipc: sched_setaffinity");
}

/* (a)'s held placement, on or off: the bench itself on CPU 0, and the
 * peers it starts meanwhile follow (pin_to); off gives back the CPUs the
 * bench had. */
static void hold_together(bool on)
{
	static cpu_set_t before;
	if (on && sched_getaffinity(0, sizeof(before), &before) != 0)
		CPU_ZERO(&before);
	together = on;
	if (on)
		pin_to(0);
	else if (CPU_COUNT(&before) > 0 && sched_setaffinity(0, sizeof(before), &before) != 0)
		perror("bench_ipc: sched_setaffinity");
}

static uint64_t now_ns(void)
{
	return idl_os_now_ns();
}

static int compare(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(v[0]), compare);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ---- The channel server: a child process serving console.Console ---- */

static idl_linux_server server;

/* What a forked server reports when it ends, in a page it shares with us. */
typedef struct server_report {
	uint64_t frames;
	uint64_t busy_ns;       /* idl_server.busy_ns: its passes, not its waiting */
	uint64_t passes;        /* idl_server.wakeups: passes that found work */
	uint32_t huge_channels; /* channels it set up in huge pages */
	_Atomic int cpu;        /* where its last call ran, when tell_cpu */
} server_report;
static server_report *report;

/* The next server says at each call which CPU it ran on (report->cpu). */
static bool tell_cpu;

static int on_write(idl_request *r, const console_console_write_request *req,
                    console_console_write_reply *reply, sys_errno *error)
{
	(void)r;
	(void)error;
	reply->written = req->data.size;
	return IDL_OK;
}

/* on_write for a server started with tell_cpu. A handler of its own, so
 * that every other server (and run_ipc_callgrind.sh's count) runs on_write
 * exactly as before. */
static int on_write_telling_cpu(idl_request *r, const console_console_write_request *req,
                                console_console_write_reply *reply, sys_errno *error)
{
	atomic_store_explicit(&report->cpu, sched_getcpu(), memory_order_relaxed);
	return on_write(r, req, reply, error);
}

static int on_print(idl_request *r, const console_console_print_request *req)
{
	(void)r;
	(void)req;
	return IDL_OK;
}

static int on_get_mode(idl_request *r, const console_console_get_mode_request *req,
                       console_console_get_mode_reply *reply, sys_errno *error)
{
	(void)r;
	(void)req;
	(void)error;
	reply->mode = CONSOLE_MODE_CANONICAL;
	return IDL_OK;
}

static const console_console_handlers handlers = {
    .write = on_write, .print = on_print, .get_mode = on_get_mode};
static const console_console_handlers handlers_telling_cpu = {
    .write = on_write_telling_cpu, .print = on_print, .get_mode = on_get_mode};

static void stop_server(int sig)
{
	(void)sig;
	idl_linux_server_stop(&server);
}

static char server_name[64];

/* A waiter's patience for a spin count; spin 0 stands for a waiter that
 * sleeps at once (the reader that always sleeps), so no yields either. */
static idl_patience patience_of(uint32_t spin)
{
	return (idl_patience){spin, spin == 0 ? 0 : yields};
}

/* Serves server_name until SIGTERM; returns the frames handled. */
static uint64_t serve(uint32_t spin)
{
	if (idl_linux_server_open(&server, server_name, CAPACITY) != IDL_OK ||
	    idl_server_add_interface(&server.server, &console_console_interface,
	                             tell_cpu ? &handlers_telling_cpu : &handlers, NULL) != IDL_OK)
		_exit(1);
	idl_linux_server_set_ring_bytes(&server, ring_bytes);
	server.server.patience = patience_of(spin);
	idl_linux_server_use_huge_pages(&server, huge_pages);
	server.server.time_passes = time_passes;
	signal(SIGTERM, stop_server);
	if (idl_linux_server_run(&server) != IDL_OK)
		_exit(1);
	idl_linux_server_close(&server);
	if (report != NULL) {
		report->frames = server.server.frames;
		report->busy_ns = server.server.busy_ns;
		report->passes = server.server.wakeups;
		report->huge_channels = atomic_load(&server.huge_channels);
	}
	return server.server.frames;
}

/* --drive: the server is another process (under valgrind, say), not ours. */
static bool external_server;

/* Forks a server with server.spin = spin; returns its pid. */
static pid_t start_server(uint32_t spin)
{
	static int n;
	if (external_server)
		return 0;
	snprintf(server_name, sizeof(server_name), "bench-ipc-%d-%d", (int)getpid(), n++);
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	pin_to(1);
	serve(spin);
	_exit(0);
}

static void stop_child(pid_t pid)
{
	if (pid == 0)
		return;
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

/* Connects to the server just started, retrying while it starts. */
static void connect_server(idl_linux_conn *c, uint32_t spin)
{
	int err = IDL_E_TRANSPORT;
	for (int i = 0; i < 500 && err == IDL_E_TRANSPORT; i++) {
		err = idl_linux_connect(c, server_name, CONSOLE_CONSOLE_PROTOCOL, 5000);
		if (err == IDL_E_TRANSPORT)
			usleep(10000);
	}
	if (err != IDL_OK) {
		fprintf(stderr, "bench_ipc: connect: %s\n", idl_error_name(err));
		exit(1);
	}
	c->end.patience = patience_of(spin);
	c->end.ep.timeout_ns = 10000000000u;
}

/* The process CPU time of another process (all its threads). */
static uint64_t cpu_ns(pid_t pid)
{
	clockid_t clock;
	struct timespec ts;
	if (pid == 0 || clock_getcpuclockid(pid, &clock) != 0 || clock_gettime(clock, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static const uint8_t text[64] = "0123456789abcdef0123456789abcdef0123456789abcdef";

static void call_write(idl_endpoint *ep, uint32_t n)
{
	console_console_write_request req = {.data = {.size = n, .data = text}};
	console_console_write_reply_buffer rb;
	const console_console_write_reply *reply;
	sys_errno error;
	int err = console_console_write(ep, &req, &rb, &reply, &error);
	if (err != IDL_OK || reply->written != n) {
		fprintf(stderr, "bench_ipc: write: %s\n", idl_error_name(err));
		exit(1);
	}
}

static void call_get_mode(idl_endpoint *ep)
{
	console_console_get_mode_request req = {0};
	console_console_get_mode_reply_buffer rb;
	const console_console_get_mode_reply *reply;
	sys_errno error;
	int err = console_console_get_mode(ep, &req, &rb, &reply, &error);
	if (err != IDL_OK) {
		fprintf(stderr, "bench_ipc: get_mode: %s\n", idl_error_name(err));
		exit(1);
	}
}

/*
 * (a) over a channel: ns per call, and the server's CPU ns per call. With
 * one_cpu, also the share of calls after which the client ran on the CPU
 * the server's handler had run on.
 */
static double channel_round_trip(uint32_t cspin, uint32_t sspin, uint32_t calls, double *cpu,
                                 double *one_cpu)
{
	tell_cpu = one_cpu != NULL;
	pid_t pid = start_server(sspin);
	tell_cpu = false;
	idl_linux_conn c;
	connect_server(&c, cspin);
	idl_endpoint *ep = idl_chan_end_endpoint(&c.end);
	for (uint32_t i = 0; i < calls / 10; i++)
		call_write(ep, 16); /* warm up */
	uint32_t together = 0;
	uint64_t c0 = cpu_ns(pid), t0 = now_ns();
	for (uint32_t i = 0; i < calls; i++) {
		call_write(ep, 16);
		if (one_cpu != NULL)
			together += sched_getcpu() ==
			            atomic_load_explicit(&report->cpu, memory_order_relaxed);
	}
	uint64_t t1 = now_ns(), c1 = cpu_ns(pid);
	idl_linux_conn_close(&c);
	stop_child(pid);
	if (cpu != NULL)
		*cpu = (double)(c1 - c0) / calls;
	if (one_cpu != NULL)
		*one_cpu = (double)together / calls;
	return (double)(t1 - t0) / calls;
}

/* Calls in flight on one channel at a time, in (a)'s pipelined case. */
#define PIPELINE_DEPTH 16u

/*
 * (a) pipelined: PIPELINE_DEPTH console.write calls in flight on one
 * channel; the oldest is finished (the replies come in order) and a new
 * one started in its place. ns per call.
 */
static double channel_pipelined(uint32_t cspin, uint32_t sspin, uint32_t calls)
{
	pid_t pid = start_server(sspin);
	idl_linux_conn c;
	connect_server(&c, cspin);
	idl_endpoint *ep = idl_chan_end_endpoint(&c.end);
	console_console_write_request req = {.data = {.size = 16, .data = text}};
	console_console_write_pending p[PIPELINE_DEPTH];
	uint64_t t0 = 0;
	uint32_t warm = calls / 10;
	for (uint32_t i = 0; i < warm + calls + PIPELINE_DEPTH; i++) {
		if (i == warm + PIPELINE_DEPTH)
			t0 = now_ns();
		console_console_write_pending *slot = &p[i % PIPELINE_DEPTH];
		if (i >= PIPELINE_DEPTH) {
			const console_console_write_reply *reply;
			sys_errno error;
			int err = console_console_write_finish(ep, slot, &reply, &error);
			if (err != IDL_OK || reply->written != 16) {
				fprintf(stderr, "bench_ipc: write: %s\n", idl_error_name(err));
				exit(1);
			}
		}
		if (i < warm + calls && console_console_write_start(ep, &req, slot) != IDL_OK) {
			fprintf(stderr, "bench_ipc: write_start failed\n");
			exit(1);
		}
	}
	uint64_t t1 = now_ns();
	idl_linux_conn_close(&c);
	stop_child(pid);
	return (double)(t1 - t0) / calls;
}

/* ---- Pipes and sockets: the same frames, blocking read and write ---- */

static uint8_t request[128], reply_frame[64];
static size_t request_bytes, reply_bytes;

static void encode_frames(void)
{
	console_console_write_request req = {.data = {.size = 16, .data = text}};
	console_console_write_reply rep = {.written = 16};
	int64_t n =
	    console_console_write_request_encode(&req, 1, request, sizeof(request), NULL, NULL);
	int64_t m = console_console_write_reply_encode(&rep, 1, reply_frame, sizeof(reply_frame),
	                                               NULL, NULL);
	if (n < 0 || m < 0)
		exit(1);
	request_bytes = (size_t)n;
	reply_bytes = (size_t)m;
}

static bool read_full(int fd, void *buf, size_t n)
{
	for (size_t done = 0; done < n;) {
		ssize_t r = read(fd, (uint8_t *)buf + done, n - done);
		if (r <= 0)
			return false;
		done += (size_t)r;
	}
	return true;
}

static bool write_full(int fd, const void *buf, size_t n)
{
	for (size_t done = 0; done < n;) {
		ssize_t r = write(fd, (const uint8_t *)buf + done, n - done);
		if (r <= 0)
			return false;
		done += (size_t)r;
	}
	return true;
}

/* The peer: reads a request, answers the reply, until end of input; says
 * in report->cpu where it answered from, before each answer. */
static void echo_peer(int in, int out)
{
	uint8_t buf[128];
	while (read_full(in, buf, request_bytes)) {
		atomic_store_explicit(&report->cpu, sched_getcpu(), memory_order_relaxed);
		if (!write_full(out, reply_frame, reply_bytes))
			break;
	}
	_exit(0);
}

/* (a) over a pipe pair (seqpacket false) or a SOCK_SEQPACKET pair; and the
 * share of round trips after which we ran on the CPU the peer answered from. */
static double stream_round_trip(bool seqpacket, uint32_t calls, double *one_cpu)
{
	int to[2], from[2];
	if (seqpacket) {
		if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, to) != 0)
			exit(1);
		from[0] = to[0];
		from[1] = to[1];
	} else if (pipe(to) != 0 || pipe(from) != 0) {
		exit(1);
	}
	/* Sockets: the parent uses end 0, the child end 1, both ways. */
	int parent_out = seqpacket ? to[0] : to[1], parent_in = seqpacket ? to[0] : from[0];
	int child_in = seqpacket ? to[1] : to[0], child_out = seqpacket ? to[1] : from[1];
	pid_t pid = fork();
	if (pid == 0) {
		pin_to(1);
		close(parent_out);
		if (!seqpacket)
			close(parent_in);
		echo_peer(child_in, child_out);
	}
	close(child_in);
	if (!seqpacket)
		close(child_out);
	uint8_t buf[64];
	uint32_t together = 0;
	uint64_t t0 = 0;
	for (uint32_t i = 0; i < calls + calls / 10; i++) {
		if (i == calls / 10)
			t0 = now_ns();
		if (!write_full(parent_out, request, request_bytes) ||
		    !read_full(parent_in, buf, reply_bytes))
			exit(1);
		if (i >= calls / 10)
			together += sched_getcpu() ==
			            atomic_load_explicit(&report->cpu, memory_order_relaxed);
	}
	uint64_t t1 = now_ns();
	*one_cpu = (double)together / calls;
	close(parent_out);
	if (!seqpacket)
		close(parent_in);
	waitpid(pid, NULL, 0);
	return (double)(t1 - t0) / calls;
}

/* The floor under any round trip between two processes: one shared word,
 * ping-ponged (odd: our turn is done; even: the peer's), each side checking
 * it with a load and a pause as a channel's waiter does. A side yields its
 * CPU after every IDL_DEFAULT_SPIN checks, so that unpinned peers that share
 * a CPU still finish. ns per round trip. */
static void floor_wait(_Atomic uint32_t *word, uint32_t value)
{
	for (uint32_t i = 1; atomic_load_explicit(word, memory_order_acquire) != value; i++) {
		idl_os_relax();
		if (i % IDL_DEFAULT_SPIN == 0)
			sched_yield();
	}
}

/* The floor under a round trip with both sides asleep: one shared word,
 * ping-ponged as above, but each side sleeps on it (futex wait) as soon as
 * it waits and wakes the other (futex wake) after its store: two wake-ups
 * of a sleeping process per round trip and nothing else. */
static void floor_sleep_until(_Atomic uint32_t *word, uint32_t value)
{
	for (uint32_t v; (v = atomic_load_explicit(word, memory_order_acquire)) != value;)
		(void)idl_os_wait(word, v, 0);
}

/* One side's turn of the ping-pong: store the next value, wake the peer if
 * it sleeps, and wait for its answer. */
static void floor_turn(_Atomic uint32_t *word, uint32_t store, uint32_t await, bool asleep)
{
	atomic_store_explicit(word, store, memory_order_release);
	if (asleep) {
		idl_os_wake(word);
		floor_sleep_until(word, await);
	} else {
		floor_wait(word, await);
	}
}

/* The floor's word, and where the peer says which CPU it ran on: a line
 * of its own, so that saying it does not slow the word. */
#define FLOOR_CPU_WORD 16

/* ns per round trip of the floor, spinning (asleep false) or sleeping; with
 * one_cpu, also the share of round trips after which we ran on the CPU
 * the peer had stored from. */
static double floor_round_trip(uint32_t calls, bool asleep, double *one_cpu)
{
	_Atomic uint32_t *word =
	    mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (word == MAP_FAILED)
		exit(1);
	atomic_store(word, 0);
	uint32_t warm = calls / 10, total = warm + calls;
	pid_t pid = fork();
	if (pid == 0) {
		pin_to(1);
		if (asleep)
			floor_sleep_until(word, 1);
		else
			floor_wait(word, 1);
		for (uint32_t i = 0; i < total; i++) {
			if (one_cpu != NULL) /* ordered before the word's store */
				atomic_store_explicit(&word[FLOOR_CPU_WORD],
				                      (uint32_t)sched_getcpu(),
				                      memory_order_relaxed);
			floor_turn(word, 2 * i + 2, i + 1 < total ? 2 * i + 3 : 2 * i + 2, asleep);
		}
		_exit(0);
	}
	uint32_t together = 0;
	uint64_t t0 = 0;
	for (uint32_t i = 0; i < total; i++) {
		if (i == warm)
			t0 = now_ns();
		floor_turn(word, 2 * i + 1, 2 * i + 2, asleep);
		if (one_cpu != NULL && i >= warm)
			together +=
			    (uint32_t)sched_getcpu() ==
			    atomic_load_explicit(&word[FLOOR_CPU_WORD], memory_order_relaxed);
	}
	uint64_t t1 = now_ns();
	waitpid(pid, NULL, 0);
	munmap((void *)word, 4096);
	if (one_cpu != NULL)
		*one_cpu = (double)together / calls;
	return (double)(t1 - t0) / calls;
}

/*
 * The rings alone: the same request and reply frames through a channel's
 * two rings with idl_ring_reserve/commit/read, both sides spinning, and no
 * stub, codec, endpoint or server loop: what the ring protocol costs (its
 * index and frame lines crossing, the copies and the ring's checks) beside
 * the floor. ns per round trip.
 */
static _Alignas(8) uint8_t ring_buf[CONSOLE_CONSOLE_MAX_FRAME_BYTES];

/* Reserves what send_begin reserves for the stub's message (its largest
 * frame and room for handles), so that the frames land where the
 * channel's would. */
static void ring_send(idl_ring *r, const uint8_t *frame, size_t bytes, uint32_t max_bytes)
{
	void *at;
	while (idl_ring_reserve(r, max_bytes + IDL_RING_HANDLE_ROOM, &at) == IDL_E_WOULD_BLOCK)
		idl_os_relax();
	memcpy(at, frame, bytes);
	idl_ring_commit(r, (uint32_t)bytes);
}

static void ring_take(idl_ring *r, idl_ring_frame *f)
{
	int err;
	while ((err = idl_ring_read(r, f)) == IDL_E_WOULD_BLOCK) {
		while (!idl_ring_poll(r))
			idl_os_relax();
	}
	if (err != IDL_OK)
		exit(1);
}

static double rings_round_trip(uint32_t calls)
{
	uint32_t ring = rings_of_channels();
	size_t bytes = idl_chan_region_bytes(ring);
	void *region = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (region == MAP_FAILED ||
	    idl_chan_format(region, bytes, ring, CONSOLE_CONSOLE_MAX_FRAME_BYTES) != IDL_OK)
		exit(1);
	uint32_t warm = calls / 10, total = warm + calls;
	idl_ring tx, rx;
	idl_ring_frame f; /* not an initializer: it would zero wire */
	f.buf = ring_buf;
	f.buf_bytes = sizeof(ring_buf);
	f.alt = NULL;
	f.alt_bytes = 0;
	pid_t pid = fork();
	if (pid == 0) {
		pin_to(1);
		idl_chan_rings(region, IDL_CHAN_SERVER, ring, CONSOLE_CONSOLE_MAX_FRAME_BYTES, &tx,
		               &rx);
		for (uint32_t i = 0; i < total; i++) {
			ring_take(&rx, &f);
			ring_send(&tx, reply_frame, reply_bytes,
			          CONSOLE_CONSOLE_WRITE_REPLY_MAX_BYTES);
		}
		_exit(0);
	}
	idl_chan_rings(region, IDL_CHAN_CLIENT, ring, CONSOLE_CONSOLE_MAX_FRAME_BYTES, &tx, &rx);
	uint64_t t0 = 0;
	for (uint32_t i = 0; i < total; i++) {
		if (i == warm)
			t0 = now_ns();
		ring_send(&tx, request, request_bytes, CONSOLE_CONSOLE_WRITE_REQUEST_MAX_BYTES);
		ring_take(&rx, &f);
	}
	uint64_t t1 = now_ns();
	waitpid(pid, NULL, 0);
	munmap(region, bytes);
	return (double)(t1 - t0) / calls;
}

static void pin_peer(void)
{
	pin_to(1);
}

/* ---- (b) streaming 64-byte messages ---- */

/* Messages per second through a channel: console.print frames of 64 bytes,
 * then one call, which the server answers after every print before it. */
static double channel_stream(uint32_t messages)
{
	pid_t pid = start_server(server_spin);
	idl_linux_conn c;
	connect_server(&c, client_spin);
	idl_endpoint *ep = idl_chan_end_endpoint(&c.end);
	console_console_print_request p = {.data = {.size = 32, .data = text}};
	uint8_t frame[128];
	if (console_console_print_request_encode(&p, 0, frame, sizeof(frame), NULL, NULL) != 64) {
		fprintf(stderr, "bench_ipc: a print of 32 bytes is not a 64-byte frame\n");
		exit(1);
	}
	call_get_mode(ep);
	uint64_t t0 = now_ns();
	for (uint32_t i = 0; i < messages; i++)
		if (console_console_print(ep, &p) != IDL_OK)
			exit(1);
	call_get_mode(ep);
	uint64_t t1 = now_ns();
	idl_linux_conn_close(&c);
	stop_child(pid);
	return messages / ((double)(t1 - t0) / 1e9);
}

/* Messages per second through a pipe: one write per message; the reader
 * takes one message per read (bulk false) or all it can get (bulk true),
 * then says it has them all on a second pipe. */
static double pipe_stream(uint32_t messages, bool bulk)
{
	int data[2], done[2];
	if (pipe(data) != 0 || pipe(done) != 0)
		exit(1);
	/* The same buffer as each ring of the channel, or the largest the
	 * system allows below it (fs.pipe-max-size, 1 MiB by default): a writer
	 * may run as far ahead of its reader through either. */
	for (uint32_t size = rings_of_channels(); size >= 4096; size /= 2)
		if (fcntl(data[1], F_SETPIPE_SZ, (int)size) >= 0)
			break;
	pid_t pid = fork();
	if (pid == 0) {
		pin_to(1);
		close(data[1]);
		close(done[0]);
		static uint8_t buf[65536];
		uint64_t want = (uint64_t)messages * 64, got = 0;
		while (got < want) {
			ssize_t r = read(data[0], buf, bulk ? sizeof(buf) : 64);
			if (r <= 0)
				_exit(1);
			got += (uint64_t)r;
		}
		write_full(done[1], "k", 1);
		_exit(0);
	}
	close(data[0]);
	close(done[1]);
	uint8_t msg[64];
	memcpy(msg, request, sizeof(msg));
	uint64_t t0 = now_ns();
	for (uint32_t i = 0; i < messages; i++)
		if (!write_full(data[1], msg, sizeof(msg)))
			exit(1);
	char k;
	if (!read_full(done[0], &k, 1))
		exit(1);
	uint64_t t1 = now_ns();
	close(data[1]);
	close(done[0]);
	waitpid(pid, NULL, 0);
	return messages / ((double)(t1 - t0) / 1e9);
}

/* ---- (c) many clients on one server ---- */

typedef struct client_arg {
	uint32_t calls;
	bool oneway;
	pthread_barrier_t *start;
	idl_linux_conn conn;
} client_arg;

static void *client_thread(void *p)
{
	client_arg *a = p;
	idl_endpoint *ep = idl_chan_end_endpoint(&a->conn.end);
	/* A new channel's first call waits for the server to install it (the
	 * accept thread interrupts the server for that): untimed. */
	call_write(ep, 16);
	pthread_barrier_wait(a->start); /* all warmed up */
	pthread_barrier_wait(a->start); /* go */
	console_console_print_request print = {.data = {.size = 16, .data = text}};
	for (uint32_t i = 0; i < a->calls; i++) {
		if (!a->oneway)
			call_write(ep, 16);
		else if (console_console_print(ep, &print) != IDL_OK)
			exit(1);
	}
	if (a->oneway)
		call_get_mode(ep); /* answered after every print before it */
	return NULL;
}

/*
 * n clients, total messages: synchronous console.write calls, or one-way
 * console.print messages (then one call each). Wall ns per message, the
 * server's CPU ns per message (its waiting included: it spins between
 * passes), and its busy ns per frame (only its passes over ready channels,
 * over its whole life: the clients' warm-up calls are 1 frame in 800).
 */
typedef struct many_result {
	double wall, cpu, busy; /* ns per message */
	double per_pass;        /* frames per server pass that found work */
	uint32_t huge_channels; /* channels the server put in huge pages */
} many_result;

static many_result many_clients(uint32_t n, uint32_t total, bool oneway, uint32_t spin)
{
	static client_arg args[256];
	static pthread_t threads[256];
	pthread_barrier_t start;
	pthread_barrier_init(&start, NULL, n + 1);
	pid_t pid = start_server(server_spin);
	for (uint32_t i = 0; i < n; i++) {
		args[i].calls = total / n;
		args[i].oneway = oneway;
		args[i].start = &start;
		connect_server(&args[i].conn, spin);
		if (pthread_create(&threads[i], NULL, client_thread, &args[i]) != 0)
			exit(1);
	}
	/* Between the two barriers: once the second opens, the clients may
	 * run for a long time before this thread gets a CPU again. */
	pthread_barrier_wait(&start);
	uint64_t c0 = cpu_ns(pid), t0 = now_ns();
	pthread_barrier_wait(&start);
	for (uint32_t i = 0; i < n; i++)
		pthread_join(threads[i], NULL);
	uint64_t t1 = now_ns(), c1 = cpu_ns(pid);
	for (uint32_t i = 0; i < n; i++)
		idl_linux_conn_close(&args[i].conn);
	if (report != NULL)
		report->frames = 0;
	stop_child(pid);
	pthread_barrier_destroy(&start);
	uint32_t done = total / n * n;
	many_result m = {.wall = (double)(t1 - t0) / done, .cpu = (double)(c1 - c0) / done};
	if (report != NULL && report->frames != 0) {
		m.busy = (double)report->busy_ns / (double)report->frames;
		m.per_pass =
		    report->passes != 0 ? (double)report->frames / (double)report->passes : 0;
		m.huge_channels = report->huge_channels;
	}
	return m;
}

/*
 * The wake-ups of every thread of a process so far: the sum of their
 * voluntary context switches (/proc/PID/task/TID/status), since a thread
 * that sleeps and is woken again counts one.
 */
static uint64_t wakeups_of(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	if (d == NULL)
		return 0;
	uint64_t n = 0;
	struct dirent *t;
	while ((t = readdir(d)) != NULL) {
		if (t->d_name[0] == '.')
			continue;
		char status[320], line[128];
		snprintf(status, sizeof(status), "/proc/%d/task/%s/status", (int)pid, t->d_name);
		FILE *f = fopen(status, "re");
		if (f == NULL)
			continue;
		unsigned long long v;
		while (fgets(line, sizeof(line), f) != NULL)
			if (sscanf(line, "voluntary_ctxt_switches: %llu", &v) == 1)
				n += v;
		fclose(f);
	}
	closedir(d);
	return n;
}

/* Server CPU ns spent over one idle second, a client connected; and the
 * server's wake-ups meanwhile, in *wakeups. */
static double idle_cpu(uint32_t sspin, uint64_t *wakeups)
{
	pid_t pid = start_server(sspin);
	idl_linux_conn c;
	connect_server(&c, client_spin);
	for (int i = 0; i < 1000; i++)
		call_write(idl_chan_end_endpoint(&c.end), 16);
	usleep(100000); /* let the server's spin end */
	uint64_t c0 = cpu_ns(pid), w0 = wakeups_of(pid);
	sleep(1);
	uint64_t c1 = cpu_ns(pid), w1 = wakeups_of(pid);
	idl_linux_conn_close(&c);
	stop_child(pid);
	if (wakeups != NULL)
		*wakeups = w1 - w0;
	return (double)(c1 - c0);
}

/* ns per readiness check of a spin (a load and a pause). */
static double spin_step_ns(void)
{
	static _Atomic uint32_t word;
	uint64_t t0 = now_ns();
	for (int i = 0; i < 1000000; i++) {
		if (atomic_load_explicit(&word, memory_order_relaxed) != 0)
			break;
		idl_os_relax();
	}
	return (double)(now_ns() - t0) / 1e6;
}

static const char *verdict(bool met)
{
	return met ? "met" : "NOT met";
}

static void sweep(void)
{
	static const uint32_t spins[] = {0, 100, 500, 2000, 10000};
	printf("\nspin sweep: channel round trip, ns (median of %d); client spin across, server "
	       "spin down\n%8s",
	       runs, "");
	for (size_t j = 0; j < sizeof(spins) / sizeof(spins[0]); j++)
		printf(" %8u", spins[j]);
	printf("\n");
	for (size_t i = 0; i < sizeof(spins) / sizeof(spins[0]); i++) {
		printf("%8u", spins[i]);
		for (size_t j = 0; j < sizeof(spins) / sizeof(spins[0]); j++) {
			double v[MAX_RUNS];
			uint32_t calls = spins[i] == 0 || spins[j] == 0 ? 20000 : 100000;
			for (int r = 0; r < runs; r++)
				v[r] = channel_round_trip(spins[j], spins[i], calls, NULL, NULL);
			printf(" %8.0f", median(v, runs));
			fflush(stdout);
		}
		printf("\n");
	}
	printf("\nidle server, CPU time over one second with a client connected:\n");
	for (size_t i = 0; i < sizeof(spins) / sizeof(spins[0]); i++)
		printf("  server spin %5u: %.0f us\n", spins[i], idle_cpu(spins[i], NULL) / 1e3);
}

/* The runs' own ratios num[r] / den[r]: their median and range. */
typedef struct ratio {
	double median, lo, hi;
} ratio;

static ratio ratios(const double *num, const double *den, int n)
{
	double v[MAX_RUNS];
	for (int r = 0; r < n; r++)
		v[r] = num[r] / den[r];
	ratio q = {median(v, n), v[0], v[n - 1]}; /* median sorts v */
	return q;
}

/* The run whose ratio num[r] / den[r] is the highest. */
static int worst_run(const double *num, const double *den, int n)
{
	int worst = 0;
	for (int r = 1; r < n; r++)
		if (num[r] / den[r] > num[worst] / den[worst])
			worst = r;
	return worst;
}

static bool have_uring; /* io_uring MSG_RING runs on this kernel */

/* One line of (a)'s asleep figures: the median ns, the median share. */
static void print_asleep(const char *name, double *ns, double *one_cpu)
{
	printf("    %-28s%8.0f   (%.0f%%)\n", name, median(ns, runs), 100 * median(one_cpu, runs));
}

/* (a)'s asleep round trips again with both ends held on one CPU, ns: the
 * scheduler's placement, which moves the unheld figures most, taken out, so
 * that what is left is each mechanism's own cost. */
typedef struct asleep_held {
	double channel[MAX_RUNS], pipes[MAX_RUNS], socks[MAX_RUNS], ring[MAX_RUNS], floor[MAX_RUNS];
} asleep_held;

static void print_held(asleep_held *h)
{
	ratio sock = ratios(h->channel, h->socks, runs), pipe = ratios(h->channel, h->pipes, runs);
	ratio fl = ratios(h->channel, h->floor, runs);
	printf("  asleep as above, both ends held on CPU 0 (sched_setaffinity), so that every\n"
	       "  wake-up is on the sleeper's own CPU\n");
	printf("    channel                     %8.0f\n", median(h->channel, runs));
	printf("    pipe pair                   %8.0f\n", median(h->pipes, runs));
	printf("    socketpair SOCK_SEQPACKET   %8.0f\n", median(h->socks, runs));
	if (have_uring)
		printf("    io_uring MSG_RING, waiting  %8.0f\n", median(h->ring, runs));
	printf("    floor: one futex word       %8.0f\n", median(h->floor, runs));
	printf("    channel / socketpair: %.2f (runs %.2f-%.2f; target <= 0.8 in the worst run: "
	       "%s)\n",
	       sock.median, sock.lo, sock.hi, verdict(sock.hi <= 0.8));
	printf("    channel / pipe pair: %.2f (runs %.2f-%.2f; target < 1 in the worst run: %s)\n",
	       pipe.median, pipe.lo, pipe.hi, verdict(pipe.hi < 1));
	printf("    channel / floor: %.2f (runs %.2f-%.2f)\n", fl.median, fl.lo, fl.hi);
}

/* (a) Round trips, interleaved so that a slow spell hits all alike. */
static void part_round_trip(void)
{
	double chan[MAX_RUNS], chan_cpu[MAX_RUNS], floors[MAX_RUNS], ring_busy[MAX_RUNS],
	    bare[MAX_RUNS], sleepy[MAX_RUNS], pipes[MAX_RUNS], socks[MAX_RUNS],
	    ring_asleep[MAX_RUNS], piped[MAX_RUNS], floors_asleep[MAX_RUNS],
	    sleepy_one_cpu[MAX_RUNS], floors_one_cpu[MAX_RUNS], pipes_one_cpu[MAX_RUNS],
	    socks_one_cpu[MAX_RUNS], ring_one_cpu[MAX_RUNS];
	bench_uring_wait spinning = {IDL_DEFAULT_SPIN, pin_peer}, asleep = {0, pin_peer};
	asleep_held held;
	double ignored;
	for (int r = 0; r < runs; r++) {
		chan[r] = channel_round_trip(client_spin, server_spin, 200000, &chan_cpu[r], NULL);
		floors[r] = floor_round_trip(200000, false, NULL);
		bare[r] = rings_round_trip(200000);
		ring_busy[r] = have_uring ? bench_uring_round_trip(200000, spinning, NULL) : 0;
		piped[r] = channel_pipelined(client_spin, server_spin, 200000);
		sleepy[r] = channel_round_trip(0, 0, 20000, NULL, &sleepy_one_cpu[r]);
		pipes[r] = stream_round_trip(false, 20000, &pipes_one_cpu[r]);
		socks[r] = stream_round_trip(true, 20000, &socks_one_cpu[r]);
		ring_asleep[r] =
		    have_uring ? bench_uring_round_trip(20000, asleep, &ring_one_cpu[r]) : 0;
		floors_asleep[r] = floor_round_trip(20000, true, &floors_one_cpu[r]);
		hold_together(true);
		held.channel[r] = channel_round_trip(0, 0, 20000, NULL, NULL);
		held.pipes[r] = stream_round_trip(false, 20000, &ignored);
		held.socks[r] = stream_round_trip(true, 20000, &ignored);
		held.ring[r] = have_uring ? bench_uring_round_trip(20000, asleep, &ignored) : 0;
		held.floor[r] = floor_round_trip(20000, true, &ignored);
		hold_together(false);
	}
	/* Before the medians below, which sort in place. */
	int worst = worst_run(chan, floors, runs);
	double worst_chan = chan[worst], worst_floor = floors[worst];
	ratio busy = ratios(chan, floors, runs), busy_ring = ratios(chan, ring_busy, runs);
	ratio bare_floor = ratios(bare, floors, runs);
	ratio sock = ratios(sleepy, socks, runs), pipe = ratios(sleepy, pipes, runs);
	ratio sleep_ring = ratios(sleepy, ring_asleep, runs), gain = ratios(chan, piped, runs);
	ratio issue3 = ratios(chan, socks, runs);
	ratio sleep_floor = ratios(sleepy, floors_asleep, runs);
	printf("\n(a) round trip, console.write of 16 bytes (request %zu B, reply %zu B), ns\n",
	       request_bytes, reply_bytes);
	printf("  busy: both sides spin (client %u, server %u steps)\n", client_spin, server_spin);
	printf("    channel                     %8.0f   server CPU %.0f ns/call\n",
	       median(chan, runs), median(chan_cpu, runs));
	printf("    floor: one shared word      %8.0f\n", median(floors, runs));
	printf("    the rings alone             %8.0f\n", median(bare, runs));
	if (have_uring)
		printf("    io_uring MSG_RING, spinning %8.0f\n", median(ring_busy, runs));
	printf("    channel / floor: %.2f (runs %.2f-%.2f; target <= 4 in the worst run: %s)\n",
	       busy.median, busy.lo, busy.hi, verdict(busy.hi <= 4));
	/* Which placement of the two CPUs the worst run met: on this kind of
	 * host the floor alone tells (docs/benchmarks.md, "The record's line
	 * asked for first, and three placements"). */
	printf("    the worst run: channel %.0f ns over a floor of %.0f ns\n", worst_chan,
	       worst_floor);
	printf("    the rings alone / floor: %.2f (runs %.2f-%.2f)\n", bare_floor.median,
	       bare_floor.lo, bare_floor.hi);
	if (have_uring)
		printf("    channel / io_uring: %.2f (runs %.2f-%.2f)\n", busy_ring.median,
		       busy_ring.lo, busy_ring.hi);
	/* A wake-up on the sleeper's own CPU costs little; one that must reach
	 * another (an idle one, often) can cost twenty times more, so where the
	 * scheduler puts the two ends moves these figures most. */
	printf("  asleep: each side sleeps as soon as it waits (spin 0, no yields); the share of\n"
	       "  round trips after which both ends had run on one CPU in brackets\n");
	print_asleep("channel", sleepy, sleepy_one_cpu);
	print_asleep("pipe pair", pipes, pipes_one_cpu);
	print_asleep("socketpair SOCK_SEQPACKET", socks, socks_one_cpu);
	if (have_uring)
		print_asleep("io_uring MSG_RING, waiting", ring_asleep, ring_one_cpu);
	print_asleep("floor: one futex word", floors_asleep, floors_one_cpu);
	printf("    channel / socketpair: %.2f (runs %.2f-%.2f; target <= 0.8 in the worst run: "
	       "%s)\n",
	       sock.median, sock.lo, sock.hi, verdict(sock.hi <= 0.8));
	printf("    channel / pipe pair: %.2f (runs %.2f-%.2f; target < 1 in the worst run: %s)\n",
	       pipe.median, pipe.lo, pipe.hi, verdict(pipe.hi < 1));
	if (have_uring)
		printf("    channel / io_uring: %.2f (runs %.2f-%.2f)\n", sleep_ring.median,
		       sleep_ring.lo, sleep_ring.hi);
	printf("    channel / floor: %.2f (runs %.2f-%.2f)\n", sleep_floor.median, sleep_floor.lo,
	       sleep_floor.hi);
	print_held(&held);
	printf("  busy channel / asleep socketpair: %.3f (runs %.3f-%.3f; issue 3's target <= 0.5: "
	       "%s)\n",
	       issue3.median, issue3.lo, issue3.hi, verdict(issue3.median <= 0.5));
	printf("  %u calls in flight: %.0f ns per call; pipelined / synchronous, calls per second: "
	       "%.2fx (runs %.2f-%.2fx)\n",
	       PIPELINE_DEPTH, median(piped, runs), gain.median, gain.lo, gain.hi);
}

/* (b) One-way streaming. */
static void part_streaming(void)
{
	double cs[MAX_RUNS], ps[MAX_RUNS], pb[MAX_RUNS], us[MAX_RUNS];
	bench_uring_wait w = {server_spin, pin_peer};
	for (int r = 0; r < runs; r++) {
		cs[r] = channel_stream(2000000);
		ps[r] = pipe_stream(200000, false);
		pb[r] = pipe_stream(200000, true);
		us[r] = have_uring ? bench_uring_stream(2000000, w) : 1;
	}
	ratio pipe = ratios(cs, ps, runs), bulk = ratios(cs, pb, runs), ring = ratios(cs, us, runs);
	printf("\n(b) one-way streaming of 64-byte messages, messages/s\n");
	/* median() sorts: the runs' range is the first and the last after it.
	 * A ratio's range mixes both sides'; these say which moved. */
	double cm = median(cs, runs), pm = median(ps, runs);
	printf("  channel (console.print)    %12.0f (runs %.1f-%.1f M)\n", cm, cs[0] / 1e6,
	       cs[runs - 1] / 1e6);
	printf("  pipe, a read per message   %12.0f (runs %.2f-%.2f M)\n", pm, ps[0] / 1e6,
	       ps[runs - 1] / 1e6);
	printf("  pipe, bulk reads           %12.0f\n", median(pb, runs));
	if (have_uring)
		printf(
		    "  io_uring MSG_RING          %12.0f (12 bytes each, 32 per io_uring_enter)\n",
		    median(us, runs));
	printf("  channel / pipe: %.1fx (runs %.1f-%.1fx; issue 15's target >= 15x: %s; issue 3's "
	       ">= 10x: %s)\n",
	       pipe.median, pipe.lo, pipe.hi, verdict(pipe.median >= 15),
	       verdict(pipe.median >= 10));
	printf("  channel / pipe bulk: %.1fx (runs %.1f-%.1fx)\n", bulk.median, bulk.lo, bulk.hi);
	if (have_uring)
		printf("  channel / io_uring: %.1fx (runs %.1f-%.1fx)\n", ring.median, ring.lo,
		       ring.hi);
}

/* (c) Many clients: three ways, the same server. */
static void part_many_clients(void)
{
	static const uint32_t counts[] = {1, 16, 256};
	static const struct {
		const char *what;
		bool oneway;
		bool same_spin; /* every client count with many_client_spin */
		bool huge;      /* channels in huge pages */
	} ways[] = {
	    {"synchronous calls; 1 client spins as in (a), more clients spin briefly", false, false,
	     false},
	    {"synchronous calls; every client spins briefly (--many-client-spin)", false, true,
	     false},
	    {"one-way console.print from every client, then one call each", true, true, false},
	    {"synchronous calls as in the first, channels in huge pages "
	     "(idl_linux_server_use_huge_pages)",
	     false, false, true},
	    {"one-way as above, channels in huge pages", true, true, true},
	};
	time_passes = true;
	printf("\n(c) server cost per message, 200000 messages of 16 bytes over n clients "
	       "(threads); each run measures 1, 16 and 256 clients in turn, so that a slow "
	       "spell hits all three\n");
	for (size_t w = 0; w < sizeof(ways) / sizeof(ways[0]); w++) {
		printf("  %s\n", ways[w].what);
		long free_pages = idl_linux_huge_pages_free();
		if (ways[w].huge && free_pages < 256) {
			printf("    skipped: %ld huge pages free, 256 needed; as root: echo 300 > "
			       "/proc/sys/vm/nr_hugepages\n",
			       free_pages);
			continue;
		}
		huge_pages = ways[w].huge;
		double wv[3][MAX_RUNS], cv[3][MAX_RUNS], bv[3][MAX_RUNS], pv[3][MAX_RUNS];
		uint32_t fewest_huge = 256;
		for (int r = 0; r < runs; r++)
			for (int k = 0; k < 3; k++) {
				uint32_t spin = counts[k] == 1 && !ways[w].same_spin
				                    ? client_spin
				                    : many_client_spin;
				many_result m =
				    many_clients(counts[k], 200000, ways[w].oneway, spin);
				wv[k][r] = m.wall;
				cv[k][r] = m.cpu;
				bv[k][r] = m.busy;
				pv[k][r] = m.per_pass;
				if (counts[k] == 256 && m.huge_channels < fewest_huge)
					fewest_huge = m.huge_channels;
			}
		huge_pages = false;
		/* Ratios within each run, then their median: a run is the fairest
		 * comparison on a machine whose load changes minute by minute.
		 * (Before the medians below, which sort in place.) */
		double busy[MAX_RUNS], cpu[MAX_RUNS], wall[MAX_RUNS];
		for (int r = 0; r < runs; r++) {
			busy[r] = bv[2][r] / bv[0][r];
			cpu[r] = cv[2][r] / cv[0][r];
			wall[r] = wv[2][r] / wv[0][r];
		}
		for (int k = 0; k < 3; k++)
			printf("    %3u clients: server busy %5.0f ns/message, server CPU %5.0f, "
			       "wall %5.0f; %.1f frames per pass\n",
			       counts[k], median(bv[k], runs), median(cv[k], runs),
			       median(wv[k], runs), median(pv[k], runs));
		if (ways[w].huge)
			printf("    (at least %u of the 256 channels in huge pages in every run)\n",
			       fewest_huge);
		double b = median(busy, runs);
		printf("    256 / 1 clients, median of the runs' ratios: server busy %.2fx (runs "
		       "%.2f-%.2fx; target <= 1.5x: %s), server CPU %.2fx, wall %.2fx\n",
		       b, busy[0], busy[runs - 1], verdict(b <= 1.5), median(cpu, runs),
		       median(wall, runs));
	}
}

static void part_idle(void)
{
	uint64_t wakeups;
	double cpu = idle_cpu(server_spin, &wakeups);
	printf("\nidle: over one idle second (server spin %u), a client connected: server CPU %.0f "
	       "us, %llu wake-ups (target 0: %s)\n",
	       server_spin, cpu / 1e3, (unsigned long long)wakeups, verdict(wakeups == 0));
}

static bool do_sweep;

/*
 * --client-calls N (bench/run_client_callgrind.sh): the client's own work
 * in a synchronous call, without a peer to wait for. One channel in this
 * process; before each call the reply is put in the ring as the server
 * would, and after it the request taken out. Callgrind counts client_call
 * alone (--toggle-collect), the same count on every run.
 */
static idl_chan_end cc_client, cc_server;

__attribute__((noinline)) static int client_call(void)
{
	console_console_write_request req = {.data = {.size = 16, .data = text}};
	console_console_write_reply_buffer rb;
	const console_console_write_reply *reply;
	sys_errno error;
	return console_console_write(&cc_client.ep, &req, &rb, &reply, &error);
}

static int client_calls(uint32_t n)
{
	static _Alignas(IDL_CACHE_LINE) uint8_t region[IDL_CHAN_RINGS_OFFSET + 2 * 65536];
	static _Alignas(8) uint8_t buf[CONSOLE_CONSOLE_MAX_FRAME_BYTES];
	if (idl_chan_format(region, sizeof(region), 65536, CONSOLE_CONSOLE_MAX_FRAME_BYTES) !=
	        IDL_OK ||
	    idl_chan_end_init(&cc_client, region, sizeof(region), IDL_CHAN_CLIENT) != IDL_OK ||
	    idl_chan_end_init(&cc_server, region, sizeof(region), IDL_CHAN_SERVER) != IDL_OK)
		return 1;
	cc_server.nonblock = true;
	for (uint32_t i = 0; i < n; i++) {
		void *at;
		console_console_write_reply r = {.written = 16};
		if (cc_server.ep.ops->send_begin(&cc_server.ep, 32, &at) != IDL_OK ||
		    idl_send_finish(&cc_server.ep,
		                    console_console_write_reply_encode(
		                        &r, cc_client.ep.next_txid + 1, at, 32, NULL, NULL),
		                    NULL, 0) != IDL_OK ||
		    client_call() != IDL_OK)
			return 1;
		size_t size;
		uint32_t count = 0;
		if (idl_chan_end_take(&cc_server, buf, sizeof(buf), &size, NULL, &count) != IDL_OK)
			return 1;
	}
	return 0;
}

/* The options from argv[first] on; false on anything unknown. */
static bool parse_options(int argc, char **argv, int first)
{
	for (int i = first; i < argc; i++) {
		if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
			runs = atoi(argv[++i]);
		else if (strcmp(argv[i], "--client-spin") == 0 && i + 1 < argc)
			client_spin = (uint32_t)atoi(argv[++i]);
		else if (strcmp(argv[i], "--server-spin") == 0 && i + 1 < argc)
			server_spin = (uint32_t)atoi(argv[++i]);
		else if (strcmp(argv[i], "--many-client-spin") == 0 && i + 1 < argc)
			many_client_spin = (uint32_t)atoi(argv[++i]);
		else if (strcmp(argv[i], "--yields") == 0 && i + 1 < argc)
			yields = (uint32_t)atoi(argv[++i]);
		else if (strcmp(argv[i], "--ring-bytes") == 0 && i + 1 < argc)
			ring_bytes = (uint32_t)atoi(argv[++i]);
		else if (strcmp(argv[i], "--pin") == 0)
			pin = true;
		else if (strcmp(argv[i], "--sweep") == 0)
			do_sweep = true;
		else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
			only = argv[++i];
		else
			return false;
	}
	if (ring_bytes != 0 && ((ring_bytes & (ring_bytes - 1)) != 0 ||
	                        ring_bytes < IDL_RING_MIN_BYTES(CONSOLE_CONSOLE_MAX_FRAME_BYTES))) {
		fprintf(stderr, "bench_ipc: --ring-bytes must be a power of two of at least %u\n",
		        IDL_RING_MIN_BYTES(CONSOLE_CONSOLE_MAX_FRAME_BYTES));
		return false;
	}
	if (runs < 1 || runs > MAX_RUNS) {
		fprintf(stderr, "bench_ipc: --runs must be 1 to %d\n", MAX_RUNS);
		return false;
	}
	if (only != NULL && strcmp(only, "a") != 0 && strcmp(only, "b") != 0 &&
	    strcmp(only, "c") != 0 && strcmp(only, "idle") != 0) {
		fprintf(stderr, "bench_ipc: --only takes a, b, c or idle\n");
		return false;
	}
	return true;
}

static int usage(const char *argv0)
{
	fprintf(stderr,
	        "usage: %s [--runs R] [--client-spin N] [--server-spin N] [--many-client-spin N] "
	        "[--yields N] [--ring-bytes B] [--pin] [--sweep] [--only a|b|c|idle]\n"
	        "       %s --serve NAME [options]            (a server alone)\n"
	        "       %s --drive NAME N TOTAL sync|oneway [options]   (N clients alone)\n"
	        "       %s --client-calls N              (a client's own work, for callgrind)\n",
	        argv0, argv0, argv0, argv0);
	return 2;
}

int main(int argc, char **argv)
{
	/* Its servers are its own: their channels in huge pages, part (c). */
	idl_linux_trust_huge_pages(true);
	if (argc == 3 && strcmp(argv[1], "--client-calls") == 0)
		return client_calls((uint32_t)atoi(argv[2]));
	/* For bench/run_ipc_callgrind.sh: the server alone, and clients alone. */
	if (argc >= 3 && strcmp(argv[1], "--serve") == 0) {
		if (!parse_options(argc, argv, 3))
			return usage(argv[0]);
		snprintf(server_name, sizeof(server_name), "%s", argv[2]);
		time_passes = true;
		uint64_t frames = serve(server_spin);
		fprintf(stderr,
		        "bench_ipc --serve: %llu frames in %llu passes, busy %.0f ns/frame\n",
		        (unsigned long long)frames, (unsigned long long)server.server.wakeups,
		        frames == 0 ? 0.0 : (double)server.server.busy_ns / (double)frames);
		return 0;
	}
	if (argc >= 6 && strcmp(argv[1], "--drive") == 0) {
		if (!parse_options(argc, argv, 6))
			return usage(argv[0]);
		snprintf(server_name, sizeof(server_name), "%s", argv[2]);
		external_server = true;
		uint32_t n = (uint32_t)atoi(argv[3]);
		bool oneway = strcmp(argv[5], "oneway") == 0;
		if (n < 1 || n > 256)
			return usage(argv[0]);
		many_result m = many_clients(n, (uint32_t)atoi(argv[4]), oneway,
		                             n == 1 ? client_spin : many_client_spin);
		printf("%u clients: %.0f ns/message (wall)\n", n, m.wall);
		return 0;
	}
	if (!parse_options(argc, argv, 1))
		return usage(argv[0]);
	report =
	    mmap(NULL, sizeof(*report), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (report == MAP_FAILED)
		return 1;
	signal(SIGPIPE, SIG_IGN);
	pin_to(0);
	encode_frames();
	printf("bench_ipc: %ld CPUs, median of %d runs; client spin %u, server spin %u, "
	       "yields %u, spin step %.1f ns, rings of %u KiB (%u KiB in huge pages)%s\n",
	       sysconf(_SC_NPROCESSORS_ONLN), runs, client_spin, server_spin, yields,
	       spin_step_ns(), rings_of_channels() / 1024,
	       (ring_bytes != 0 ? ring_bytes : IDL_LINUX_HUGE_RING_BYTES) / 1024,
	       pin ? "; pinned: clients on CPU 0, peers on CPU 1" : "");

	have_uring = bench_uring_available();
	if (only == NULL || strcmp(only, "a") == 0)
		part_round_trip();
	if (only == NULL || strcmp(only, "b") == 0)
		part_streaming();
	if (only == NULL || strcmp(only, "c") == 0)
		part_many_clients();
	if (only == NULL || strcmp(only, "idle") == 0)
		part_idle();
	if (do_sweep)
		sweep();
	return 0;
}
