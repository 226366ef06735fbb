/*
 * idl/notify.h: the OS port and the sleep/wake protocol built on it.
 *
 * The runtime needs five things from the kernel under it, and only these:
 * sleep on a 32-bit word while it holds an expected value (with a timeout),
 * wake the sleepers of a word, a monotonic clock, a CPU pause hint, and a
 * yield of the CPU. On Linux they are futex(2), clock_gettime and
 * sched_yield (runtime/linux/futex.c); on the reference kernel its futex
 * and thread_yield syscalls. A port defines the five idl_os_ functions
 * below; nothing else in the core calls the OS.
 *
 * The wake protocol: a sleeper announces what it waits for in a waiter
 * word, then sleeps on a separate sequence word that every waker increments
 * before waking. docs/runtime.md has the argument why no wake-up is lost.
 *
 * Freestanding: <stdint.h>, <stdbool.h>, <stdatomic.h>.
 */
#ifndef IDL_NOTIFY_H
#define IDL_NOTIFY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* Words shared between processes must be lock-free, hence address-free. */
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "32-bit atomics must be lock-free");

#define IDL_CACHE_LINE 64u

/*
 * Sleeps while *word == expected, for at most timeout_ns (0: no limit).
 * Returns 0 when woken or when *word already differed, IDL_E_TIMEOUT when
 * the time ran out. Spurious returns are allowed: callers always recheck.
 */
int idl_os_wait(_Atomic uint32_t *word, uint32_t expected, uint64_t timeout_ns);
/* Wakes every sleeper on word (another process may share the page). */
void idl_os_wake(_Atomic uint32_t *word);
/* A monotonic clock in nanoseconds, for timeouts. */
uint64_t idl_os_now_ns(void);
/* A hint that the caller is spinning (x86 PAUSE); may do nothing. */
void idl_os_relax(void);
/* Gives the CPU to another runnable thread, if any (sched_yield); returns
 * at once when there is none. */
void idl_os_yield(void);

/* What the owner of an idl_wake sleeps for. */
#define IDL_WAIT_DATA 0x1u /* a frame in the ring it reads */
#define IDL_WAIT_ROOM 0x2u /* room in the ring it writes */

/*
 * One side's wait state, alone on its cache line. The owner writes
 * `waiting` and `closed`; the peer reads them and increments `seq`.
 */
typedef struct idl_wake {
	_Alignas(IDL_CACHE_LINE) _Atomic uint32_t waiting; /* IDL_WAIT_ bits */
	_Atomic uint32_t seq;                              /* the word the owner sleeps on */
	_Atomic uint32_t closed;                           /* nonzero once the owner closed */
} idl_wake;
_Static_assert(sizeof(idl_wake) == IDL_CACHE_LINE, "idl_wake is one cache line");

/*
 * A server's doorbell: one sleeper (the server) and many ringers (its
 * clients). A client whose server is awake marks its channel in the
 * two-level ready set; the server takes the set with one exchange per
 * level, so a pass costs O(ready channels), not O(clients).
 *
 * Every client can write all of it, so it is only a hint, and nothing that
 * wakes a sleeping server depends on it: before it sleeps the server sets
 * each channel's own `notify` word (idl/channel.h), which no other client
 * can write, to IDL_NOTIFY_KICK, and a client that reads KICK kicks the
 * server through its port (idl_transfer_ops.kick; Linux: an eventfd of its
 * own that the server sleeps on). Without a kick op the client bumps
 * `wake.seq` and wakes that futex word, which another client could undo.
 * `wake.waiting` is for a server end that sleeps alone (no idl_server).
 */
#define IDL_DOORBELL_WORDS    32u
#define IDL_DOORBELL_CHANNELS (32u * IDL_DOORBELL_WORDS) /* 1024 */
typedef struct idl_doorbell {
	idl_wake wake;                                     /* the sleeper's waiter flag and seq */
	_Alignas(IDL_CACHE_LINE) _Atomic uint32_t summary; /* bit w: ready[w] may be nonzero */
	_Alignas(IDL_CACHE_LINE) _Atomic uint32_t ready[IDL_DOORBELL_WORDS]; /* bit per channel */
} idl_doorbell;
_Static_assert(sizeof(idl_doorbell) == 256, "doorbell layout");

/* Zeroes a doorbell; its creator calls it once. */
void idl_doorbell_init(idl_doorbell *db);

/*
 * The waker's half: after publishing (a release store of an index), wake
 * the owner of w if it waits for any of `bits`. Costs a fence and a load
 * when the owner is awake.
 */
void idl_wake_peer(idl_wake *w, uint32_t bits);

/* Marks channel slot ready in db (the caller published and fenced). A
 * set bit costs a load: the server reads the ring after it takes a bit. */
void idl_doorbell_mark(idl_doorbell *db, uint32_t slot);
/* Wakes whoever sleeps on db->wake.seq: the kick of a port without one. */
void idl_doorbell_wake(idl_doorbell *db);
/* Marks slot ready and wakes a server end that sleeps alone on db (its
 * waiter word says so); the caller published first. */
void idl_doorbell_ring(idl_doorbell *db, uint32_t slot);

/*
 * The fence of the side that publishes all the time, against a peer that
 * fences rarely and for both of them (idl_server_port.fence_clients:
 * Linux's membarrier). `light`: the peer does, and a compiler barrier is
 * enough; otherwise a seq_cst fence. The store-buffer argument of
 * docs/runtime.md holds either way.
 */
static inline void idl_fence_publisher(bool light)
{
	if (light)
		atomic_signal_fence(memory_order_seq_cst);
	else
		atomic_thread_fence(memory_order_seq_cst);
}

/*
 * How long a waiter stays awake before it sleeps: `spins` checks with a
 * pause between them (cheap, but they hold the CPU), then `yields` checks
 * with a yield of the CPU between them (a system call each, but the CPU
 * goes to whoever else is runnable on it). docs/runtime.md has the figures.
 */
typedef struct idl_patience {
	uint32_t spins;
	uint32_t yields;
} idl_patience;

/*
 * Adaptive spinning, the first phase of a wait: up to min(*budget,
 * max_spins) checks of ready() with a pause between them. A spin that
 * ends in success gives the next wait the whole of max_spins again; one
 * that runs out halves the budget, down to IDL_SPIN_FLOOR checks (under a
 * microsecond, a busy round trip's worth), from which a success brings it
 * back. Spinning pays
 * only while the peer runs on another CPU; on a loaded machine, where the
 * two share one, every step keeps the peer from running (a stream went
 * from 33-72 M messages/s to 6-7 M so), and within a few waits the waiter
 * spins briefly and then yields. *budget starts at UINT32_MAX.
 */
#define IDL_SPIN_FLOOR 16u
bool idl_spin_until(bool (*ready)(void *ctx), void *ctx, uint32_t max_spins, uint32_t *budget);

/*
 * The sleeper's half. The caller's `ready` tells whether the condition it
 * waits for holds; idl_wait_for checks it as `p` says, then announces
 * `bits` in w->waiting, checks again and sleeps on w->seq.
 * Returns 0 when ready() held, IDL_E_TIMEOUT when deadline_ns (absolute,
 * idl_os_now_ns; 0: none) passed first. Returns after at most slice_ns of
 * sleep (0: no limit) with IDL_E_WOULD_BLOCK so that the caller can check
 * on its peer (is it still alive?) and call again.
 */
int idl_wait_for(idl_wake *w, uint32_t bits, bool (*ready)(void *ctx), void *ctx, idl_patience p,
                 uint64_t deadline_ns, uint64_t slice_ns);

/*
 * A lock between threads of one process, for what is not the hot path: a
 * compare-and-swap when free, a sleep on its word through the OS port when
 * another thread holds it (0 free, 1 held, 2 held and maybe waited for).
 */
typedef struct idl_lock {
	_Atomic uint32_t word;
} idl_lock;

void idl_lock_take(idl_lock *l);
void idl_lock_give(idl_lock *l);

#endif /* IDL_NOTIFY_H */
