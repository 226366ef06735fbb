/*
 * futex.c: wait on a 32-bit word in user memory until another thread wakes
 * it, the notification under the runtime's channels. The key is the word's
 * physical address, so two processes that map one shared-memory object at
 * different addresses wait and wake on the same key. A key is only good
 * while its frame is: when the frame is freed (its last mapping went),
 * every waiter on it is woken with IDLK_E_GONE, so that whoever gets the
 * frame next cannot wake, or be woken by, a stranger.
 */
#include "syscall.h"

/* The physical address of the aligned user word at addr, or 0 if unusable. */
static uint64_t futex_key(uint64_t addr)
{
	if (addr % 4 || !vm_user_range(addr, 4))
		return 0;
	return vm_user_phys(current->proc->pml4, addr);
}

/*
 * futex_wait(addr, expected, timeout_ns): if the word at addr still holds
 * expected, waits for a futex_wake on it or for timeout_ns (0: forever).
 * The check and the sleep cannot be separated by a wake: the kernel runs
 * with interrupts off.
 */
int64_t sys_futex_wait(uint64_t addr, uint64_t expected, uint64_t timeout_ns, uint64_t a3,
                       uint64_t a4)
{
	(void)a3, (void)a4;
	uint64_t key = futex_key(addr);
	if (!key)
		return -E_FAULT;
	if (*(volatile uint32_t *)P2V(key) != (uint32_t)expected)
		return -E_AGAIN;
	uint64_t deadline = 0;
	if (timeout_ns) {
		deadline = clock_ns() + timeout_ns;
		if (deadline < timeout_ns)
			deadline = UINT64_MAX; /* forever, in practice */
	}
	return block(W_FUTEX, key, deadline);
}

/* The frame at pa is being freed (limits.c frame_free). */
void futex_page_gone(uint64_t pa)
{
	wakeup_range(W_FUTEX, pa, PAGE_SIZE, -E_GONE);
}

/* futex_wake(addr, count) -> woken: wakes up to count waiters on the word. */
int64_t sys_futex_wake(uint64_t addr, uint64_t count, uint64_t a2, uint64_t a3, uint64_t a4)
{
	(void)a2, (void)a3, (void)a4;
	uint64_t key = futex_key(addr);
	if (!key)
		return -E_FAULT;
	if (count > NTHREAD)
		count = NTHREAD;
	return wakeup(W_FUTEX, key, 0, (int)count);
}
