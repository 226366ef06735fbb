/*
 * bench_uring.c: io_uring IORING_OP_MSG_RING between two processes
 * (bench_uring.h). Both rings are created before the fork, since an
 * io_uring descriptor cannot travel over a UNIX socket: each process then
 * waits on its own ring and names the other's only as MSG_RING's target.
 * A sender's SQE asks for no completion of its own when it succeeds
 * (IOSQE_CQE_SKIP_SUCCESS), so every CQE a process sees is the peer's
 * message or its own failure (user_data SELF).
 */
#define _GNU_SOURCE
#include "bench_uring.h"

#include "idl/notify.h"

#include <stdio.h>
#include <stdlib.h>

#ifdef BENCH_WITH_URING

#include <liburing.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SQ_ENTRIES     64u
#define CQ_ENTRIES     4096u
#define STREAM_BATCH   32u              /* SQEs per io_uring_enter when streaming */
#define CREDIT_EVERY   1024u            /* messages the receiver takes before it returns credit */
#define STREAM_WINDOW  2048u            /* messages in flight at most: half the receiver's CQ */
#define SELF           UINT64_MAX       /* user_data of our own SQEs */
#define DONE           (UINT64_MAX - 1) /* the last message */
#define WARM_UP_FACTOR 10u

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void fail(const char *what, int err)
{
	fprintf(stderr, "bench_ipc: io_uring %s: %s\n", what, strerror(err < 0 ? -err : err));
	exit(1);
}

static void ring_init(struct io_uring *r)
{
	struct io_uring_params p;
	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_CQSIZE;
	p.cq_entries = CQ_ENTRIES;
	int err = io_uring_queue_init_params(SQ_ENTRIES, r, &p);
	if (err < 0)
		fail("setup", err);
}

/* Queues one message for the ring whose descriptor is target. */
static void queue_message(struct io_uring *r, int target, uint64_t data)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(r);
	if (sqe == NULL) {
		int err = io_uring_submit(r);
		if (err < 0)
			fail("submit", err);
		sqe = io_uring_get_sqe(r);
		if (sqe == NULL)
			fail("no SQE", 0);
	}
	io_uring_prep_msg_ring(sqe, target, 0, data, 0);
	io_uring_sqe_set_data64(sqe, SELF);
	sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
}

static void submit(struct io_uring *r)
{
	int err = io_uring_submit(r);
	if (err < 0)
		fail("submit", err);
}

/* Takes the next message: `spins` peeks, then a sleep in io_uring_enter. */
static uint64_t take_message(struct io_uring *r, uint32_t spins)
{
	struct io_uring_cqe *cqe = NULL;
	for (uint32_t i = 0; i < spins; i++) {
		if (io_uring_peek_cqe(r, &cqe) == 0)
			break;
		idl_os_relax();
		cqe = NULL;
	}
	if (cqe == NULL) {
		int err = io_uring_wait_cqe(r, &cqe);
		if (err < 0)
			fail("wait", err);
	}
	uint64_t data = cqe->user_data;
	if (data == SELF)
		fail("MSG_RING", cqe->res);
	io_uring_cqe_seen(r, cqe);
	return data;
}

/* Sends what is queued and takes the next message, in one io_uring_enter
 * when the caller sleeps at once. */
static uint64_t submit_and_take(struct io_uring *r, uint32_t spins)
{
	if (spins == 0) {
		int err = io_uring_submit_and_wait(r, 1);
		if (err < 0)
			fail("submit_and_wait", err);
	} else {
		submit(r);
	}
	return take_message(r, spins);
}

bool bench_uring_available(void)
{
	struct io_uring r;
	int err = io_uring_queue_init(8, &r, 0);
	if (err < 0) {
		fprintf(stderr, "bench_ipc: io_uring: %s\n", strerror(-err));
		return false;
	}
	struct io_uring_sqe *sqe = io_uring_get_sqe(&r);
	io_uring_prep_msg_ring(sqe, r.ring_fd, 0, 7, 0);
	struct io_uring_cqe *cqe;
	bool ok = false;
	/* Two CQEs: the message on our own ring, and the send's completion. */
	if (io_uring_submit_and_wait(&r, 2) >= 0) {
		ok = true;
		for (int i = 0; i < 2; i++) {
			if (io_uring_peek_cqe(&r, &cqe) != 0 || cqe->res < 0) {
				if (cqe != NULL)
					fprintf(stderr, "bench_ipc: IORING_OP_MSG_RING: %s\n",
					        strerror(-cqe->res));
				ok = false;
				break;
			}
			io_uring_cqe_seen(&r, cqe);
		}
	}
	io_uring_queue_exit(&r);
	return ok;
}

double bench_uring_round_trip(uint32_t calls, bench_uring_wait w, double *one_cpu)
{
	struct io_uring a, b; /* ours, the peer's */
	ring_init(&a);
	ring_init(&b);
	/* Where the peer says which CPU it answered from. */
	_Atomic int *peer_cpu = NULL;
	if (one_cpu != NULL) {
		peer_cpu = mmap(NULL, sizeof(*peer_cpu), PROT_READ | PROT_WRITE,
		                MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (peer_cpu == MAP_FAILED)
			fail("mmap", 0);
	}
	pid_t pid = fork();
	if (pid < 0)
		fail("fork", 0);
	if (pid == 0) {
		if (w.child_setup != NULL)
			w.child_setup();
		uint64_t data = take_message(&b, w.spins);
		while (data != DONE) {
			if (peer_cpu != NULL)
				atomic_store_explicit(peer_cpu, sched_getcpu(),
				                      memory_order_relaxed);
			queue_message(&b, a.ring_fd, data);
			data = submit_and_take(&b, w.spins);
		}
		_exit(0);
	}
	uint32_t warm = calls / WARM_UP_FACTOR, together = 0;
	uint64_t t0 = 0;
	for (uint32_t i = 0; i < warm + calls; i++) {
		if (i == warm)
			t0 = now_ns();
		queue_message(&a, b.ring_fd, i);
		if (submit_and_take(&a, w.spins) != i)
			fail("round trip out of order", 0);
		if (peer_cpu != NULL && i >= warm)
			together +=
			    sched_getcpu() == atomic_load_explicit(peer_cpu, memory_order_relaxed);
	}
	uint64_t t1 = now_ns();
	queue_message(&a, b.ring_fd, DONE);
	submit(&a);
	waitpid(pid, NULL, 0);
	io_uring_queue_exit(&a);
	io_uring_queue_exit(&b);
	if (peer_cpu != NULL) {
		*one_cpu = (double)together / calls;
		munmap((void *)peer_cpu, sizeof(*peer_cpu));
	}
	return (double)(t1 - t0) / calls;
}

/* The receiving peer of a stream: takes every CQE there is at once, and
 * returns credit every CREDIT_EVERY messages. */
static void stream_receiver(struct io_uring *b, int sender, uint32_t messages, uint32_t spins)
{
	uint32_t got = 0;
	while (got < messages) {
		uint32_t before = got;
		(void)take_message(b, spins); /* the first of a batch, waited for */
		got++;
		uint32_t more = 0;
		unsigned head;
		struct io_uring_cqe *cqe;
		io_uring_for_each_cqe(b, head, cqe)
		{
			if (cqe->user_data == SELF)
				fail("MSG_RING", cqe->res);
			more++;
		}
		io_uring_cq_advance(b, more);
		got += more;
		if (got / CREDIT_EVERY != before / CREDIT_EVERY || got == messages) {
			queue_message(b, sender, got == messages ? DONE : got);
			submit(b);
		}
	}
}

double bench_uring_stream(uint32_t messages, bench_uring_wait w)
{
	struct io_uring a, b;
	ring_init(&a);
	ring_init(&b);
	pid_t pid = fork();
	if (pid < 0)
		fail("fork", 0);
	if (pid == 0) {
		if (w.child_setup != NULL)
			w.child_setup();
		stream_receiver(&b, a.ring_fd, messages, w.spins);
		_exit(0);
	}
	uint64_t t0 = now_ns();
	uint32_t credited = 0;
	bool done = false;
	for (uint32_t sent = 0; sent < messages;) {
		while (sent - credited >= STREAM_WINDOW) {
			uint64_t data = take_message(&a, w.spins);
			if (data == DONE)
				fail("stream ended early", 0);
			credited = (uint32_t)data;
		}
		uint32_t n = messages - sent;
		if (n > STREAM_BATCH)
			n = STREAM_BATCH;
		if (n > STREAM_WINDOW - (sent - credited))
			n = STREAM_WINDOW - (sent - credited);
		for (uint32_t i = 0; i < n; i++)
			queue_message(&a, b.ring_fd, sent + i);
		submit(&a);
		sent += n;
	}
	while (!done)
		done = take_message(&a, w.spins) == DONE;
	uint64_t t1 = now_ns();
	waitpid(pid, NULL, 0);
	io_uring_queue_exit(&a);
	io_uring_queue_exit(&b);
	return messages / ((double)(t1 - t0) / 1e9);
}

#else /* !BENCH_WITH_URING */

bool bench_uring_available(void)
{
	fprintf(stderr, "bench_ipc: built without liburing (Debian: liburing-dev)\n");
	return false;
}

double bench_uring_round_trip(uint32_t calls, bench_uring_wait w, double *one_cpu)
{
	(void)calls;
	(void)w;
	if (one_cpu != NULL)
		*one_cpu = 0;
	return 0;
}

double bench_uring_stream(uint32_t messages, bench_uring_wait w)
{
	(void)messages;
	(void)w;
	return 0;
}

#endif
