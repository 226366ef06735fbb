/*
 * idl_port.c: the runtime's OS port (runtime/include/idl/notify.h) on the
 * reference kernel: waiting and waking are the futex system calls, the clock
 * is the kernel's monotonic clock. The futex is keyed on the physical page,
 * so the two ends of a channel meet although each maps it where it likes.
 */
#include "idl/notify.h"
#include "idl_wire.h"
#include "ulib.h"

int idl_os_wait(_Atomic uint32_t *word, uint32_t expected, uint64_t timeout_ns)
{
	long r = idlk_futex_wait((const volatile uint32_t *)word, expected, timeout_ns);
	return r == -IDLK_E_TIMEOUT ? IDL_E_TIMEOUT : 0;
}

void idl_os_wake(_Atomic uint32_t *word)
{
	idlk_futex_wake((const volatile uint32_t *)word, UINT32_MAX);
}

uint64_t idl_os_now_ns(void)
{
	return (uint64_t)idlk_clock();
}

void idl_os_relax(void)
{
	__asm__ volatile("pause");
}

void idl_os_yield(void)
{
	idlk_thread_yield();
}
