/*
 * notify.c: the sleep/wake protocol on top of the OS port's wait and wake.
 *
 * The sleeper reads the sequence word, announces itself in the waiter word,
 * and only then checks its condition one last time before sleeping on the
 * sequence word with the value it read. The waker publishes, then checks
 * the waiter word, then increments the sequence word and wakes. Both sides
 * put a seq_cst fence between their store and their load (the store-buffer
 * pattern), so at least one of them sees the other's store: either the
 * sleeper's last check sees the work, or the waker sees the waiter and
 * bumps the sequence word, which makes the sleeper's wait return at once
 * even if the wake itself came before the sleeper reached the kernel.
 */
#include "idl/notify.h"

#include "idl_wire.h"

void idl_doorbell_init(idl_doorbell *db)
{
	atomic_store_explicit(&db->wake.waiting, 0, memory_order_relaxed);
	atomic_store_explicit(&db->wake.seq, 0, memory_order_relaxed);
	atomic_store_explicit(&db->wake.closed, 0, memory_order_relaxed);
	atomic_store_explicit(&db->summary, 0, memory_order_relaxed);
	for (uint32_t i = 0; i < IDL_DOORBELL_WORDS; i++)
		atomic_store_explicit(&db->ready[i], 0, memory_order_relaxed);
}

void idl_wake_peer(idl_wake *w, uint32_t bits)
{
	atomic_thread_fence(memory_order_seq_cst);
	uint32_t waiting = atomic_load_explicit(&w->waiting, memory_order_relaxed);
	if ((waiting & bits) == 0)
		return;
	atomic_fetch_add_explicit(&w->seq, 1, memory_order_release);
	idl_os_wake(&w->seq);
}

void idl_doorbell_mark(idl_doorbell *db, uint32_t slot)
{
	slot %= IDL_DOORBELL_CHANNELS;
	uint32_t word = slot / 32, bit = 1u << (slot % 32);
	/* A set bit has not been taken by the server yet, and the server reads
	 * our ring after it takes the bit (the fences order the two), so the
	 * common case of a busy channel costs no atomic write here. */
	uint32_t ready = atomic_load_explicit(&db->ready[word], memory_order_relaxed);
	if ((ready & bit) == 0) {
		atomic_fetch_or_explicit(&db->ready[word], bit, memory_order_seq_cst);
		atomic_fetch_or_explicit(&db->summary, 1u << word, memory_order_seq_cst);
	}
}

void idl_doorbell_wake(idl_doorbell *db)
{
	atomic_fetch_add_explicit(&db->wake.seq, 1, memory_order_release);
	idl_os_wake(&db->wake.seq);
}

void idl_doorbell_ring(idl_doorbell *db, uint32_t slot)
{
	atomic_thread_fence(memory_order_seq_cst);
	idl_doorbell_mark(db, slot);
	/* The fence comes before this load too: either the sleeper's last look
	 * sees what was published, or we see that it waits. */
	uint32_t waiting = atomic_load_explicit(&db->wake.waiting, memory_order_relaxed);
	if ((waiting & IDL_WAIT_DATA) != 0)
		idl_doorbell_wake(db);
}

void idl_lock_take(idl_lock *l)
{
	uint32_t held = 0;
	if (atomic_compare_exchange_strong_explicit(&l->word, &held, 1, memory_order_acquire,
	                                            memory_order_relaxed))
		return;
	/* Contended: say so (2), so that the holder wakes us when it gives it. */
	if (held != 2)
		held = atomic_exchange_explicit(&l->word, 2, memory_order_acquire);
	while (held != 0) {
		(void)idl_os_wait(&l->word, 2, 0);
		held = atomic_exchange_explicit(&l->word, 2, memory_order_acquire);
	}
}

void idl_lock_give(idl_lock *l)
{
	if (atomic_exchange_explicit(&l->word, 0, memory_order_release) == 2)
		idl_os_wake(&l->word);
}

bool idl_spin_until(bool (*ready)(void *ctx), void *ctx, uint32_t max_spins, uint32_t *budget)
{
	uint32_t n = *budget < max_spins ? *budget : max_spins;
	for (uint32_t i = 0; i < n; i++) {
		if (ready(ctx)) {
			*budget = max_spins;
			return true;
		}
		idl_os_relax();
	}
	/* Never below the floor: a spin that cannot succeed cannot tell us
	 * that spinning pays again. */
	uint32_t floor = max_spins < IDL_SPIN_FLOOR ? max_spins : IDL_SPIN_FLOOR;
	*budget = n / 2 > floor ? n / 2 : floor;
	return false;
}

int idl_wait_for(idl_wake *w, uint32_t bits, bool (*ready)(void *ctx), void *ctx, idl_patience p,
                 uint64_t deadline_ns, uint64_t slice_ns)
{
	for (uint32_t i = 0; i < p.spins; i++) {
		if (ready(ctx))
			return IDL_OK;
		idl_os_relax();
	}
	/* Still nothing: let the threads that share this CPU run (the peer,
	 * or other callers whose replies are in) before paying for a sleep
	 * and, later, the peer's wake-up. On an idle CPU a yield returns at
	 * once, so this costs a few system calls, bounded by p.yields. */
	for (uint32_t i = 0; i < p.yields; i++) {
		if (ready(ctx))
			return IDL_OK;
		idl_os_yield();
	}
	uint32_t seq = atomic_load_explicit(&w->seq, memory_order_acquire);
	atomic_store_explicit(&w->waiting, bits, memory_order_relaxed);
	atomic_thread_fence(memory_order_seq_cst);
	if (ready(ctx)) {
		atomic_store_explicit(&w->waiting, 0, memory_order_relaxed);
		return IDL_OK;
	}
	uint64_t timeout = slice_ns;
	int result = IDL_E_WOULD_BLOCK;
	if (deadline_ns != 0) {
		uint64_t now = idl_os_now_ns();
		if (now >= deadline_ns) {
			atomic_store_explicit(&w->waiting, 0, memory_order_relaxed);
			return IDL_E_TIMEOUT;
		}
		if (timeout == 0 || deadline_ns - now <= timeout) {
			timeout = deadline_ns - now;
			result = IDL_E_TIMEOUT;
		}
	}
	int err = idl_os_wait(&w->seq, seq, timeout);
	atomic_store_explicit(&w->waiting, 0, memory_order_relaxed);
	if (ready(ctx))
		return IDL_OK;
	/* Woken without work (spurious, or a stale wake): let the caller loop. */
	return err == IDL_E_TIMEOUT ? result : IDL_E_WOULD_BLOCK;
}
