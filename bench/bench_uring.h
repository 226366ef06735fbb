/*
 * bench_uring.h: io_uring's IORING_OP_MSG_RING between two processes, a
 * peer of bench_ipc's channels: one ring per process, and each message is
 * an SQE on the sender's ring that posts a CQE on the receiver's (its 64-bit
 * user_data and 32-bit res carry 12 bytes; nothing is copied beyond that).
 * Built when liburing is there (BENCH_WITH_URING); otherwise bench_ipc leaves
 * its lines out.
 */
#ifndef BENCH_URING_H
#define BENCH_URING_H

#include <stdbool.h>
#include <stdint.h>

/* How a peer waits for its next CQE: spinning on its completion queue
 * (`spins` peeks, a pause between them) before it sleeps in
 * io_uring_enter; spins 0 sleeps at once. */
typedef struct bench_uring_wait {
	uint32_t spins;
	void (*child_setup)(void); /* run in the forked peer first (pinning) */
} bench_uring_wait;

/* False when this kernel or build cannot run MSG_RING (why on stderr). */
bool bench_uring_available(void);

/* ns per round trip: a message to the peer, the peer's message back. With
 * one_cpu, also the share of round trips after which we ran on the CPU
 * the peer had answered from. */
double bench_uring_round_trip(uint32_t calls, bench_uring_wait w, double *one_cpu);

/* Messages per second one way, sent in batches of up to 32 SQEs per
 * io_uring_enter; the receiver returns credit every 1024 messages so that
 * its completion queue never overflows. */
double bench_uring_stream(uint32_t messages, bench_uring_wait w);

#endif /* BENCH_URING_H */
