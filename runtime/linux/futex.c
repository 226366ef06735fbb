/*
 * futex.c: the OS port on Linux: futex(2) wait and wake, CLOCK_MONOTONIC,
 * and membarrier(2) for the servers' fences on their clients' CPUs. The
 * futexes are shared (no FUTEX_PRIVATE_FLAG): the words live in memfd
 * pages that other processes map.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create, accept4, MSG_CMSG_CLOEXEC */
#endif
#include "idl/notify.h"
#include "idl_wire.h"
#include "port.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <linux/membarrier.h>
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int idl_os_wait(_Atomic uint32_t *word, uint32_t expected, uint64_t timeout_ns)
{
	struct timespec ts, *tsp = NULL;
	if (timeout_ns != 0) {
		ts.tv_sec = (time_t)(timeout_ns / 1000000000u);
		ts.tv_nsec = (long)(timeout_ns % 1000000000u);
		tsp = &ts;
	}
	long r = syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT, expected, tsp, NULL, 0);
	if (r == -1 && errno == ETIMEDOUT)
		return IDL_E_TIMEOUT;
	return IDL_OK; /* woken, value differed (EAGAIN), or a signal (EINTR) */
}

void idl_os_wake(_Atomic uint32_t *word)
{
	syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

uint64_t idl_os_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void idl_os_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

void idl_os_yield(void)
{
	sched_yield();
}

static int membarrier(int cmd)
{
	return (int)syscall(SYS_membarrier, cmd, 0, 0);
}

bool idl_linux_fences_register(void)
{
	int offered = membarrier(MEMBARRIER_CMD_QUERY);
	int needed = MEMBARRIER_CMD_GLOBAL_EXPEDITED | MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED;
	if (offered < 0 || (offered & needed) != needed)
		return false;
	return membarrier(MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED) == 0;
}

void idl_linux_fence_others(void)
{
	(void)membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED);
}
