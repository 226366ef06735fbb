/*
 * store_tracer.c: write protection plus the trap flag, so that each store
 * into a buffer is seen right after it happens (store_tracer.h).
 */
#define _GNU_SOURCE
#include "store_tracer.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#if defined(__x86_64__) && defined(__linux__)

#define TRAP_FLAG 0x100 /* EFLAGS.TF: trap after the next instruction */

/* What the signal handlers need; one trace runs at a time. */
static struct {
	uint8_t *buf;
	size_t bytes;     /* what the observer sees */
	size_t protected; /* bytes rounded up to pages */
	store_observer *observe;
	void *ctx;
	long stores;
	bool stepping;
} tracer;

static size_t page_round(size_t bytes)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	return (bytes + page - 1) / page * page;
}

static void on_fault(int sig, siginfo_t *info, void *uc_void)
{
	ucontext_t *uc = uc_void;
	uint8_t *at = info->si_addr;
	if (tracer.buf == NULL || at < tracer.buf || at >= tracer.buf + tracer.protected) {
		/* Not ours: fault again with the default action, for a core dump. */
		signal(sig, SIG_DFL);
		return;
	}
	mprotect(tracer.buf, tracer.protected, PROT_READ | PROT_WRITE);
	uc->uc_mcontext.gregs[REG_EFL] |= TRAP_FLAG;
	tracer.stepping = true;
}

static void on_trap(int sig, siginfo_t *info, void *uc_void)
{
	(void)info;
	ucontext_t *uc = uc_void;
	if (!tracer.stepping) {
		signal(sig, SIG_DFL);
		return;
	}
	uc->uc_mcontext.gregs[REG_EFL] &= ~(greg_t)TRAP_FLAG;
	tracer.stepping = false;
	tracer.stores++;
	tracer.observe(tracer.buf, tracer.bytes, tracer.ctx);
	mprotect(tracer.buf, tracer.protected, PROT_READ);
}

bool store_tracer_available(void)
{
	return true;
}

uint8_t *store_tracer_buffer(size_t bytes)
{
	void *p = mmap(NULL, page_round(bytes), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
	               -1, 0);
	if (p == MAP_FAILED)
		abort();
	return p;
}

void store_tracer_free(uint8_t *buf, size_t bytes)
{
	munmap(buf, page_round(bytes));
}

long store_trace(uint8_t *buf, size_t bytes, void (*run)(void *ctx), store_observer *observe,
                 void *ctx)
{
	struct sigaction fault, trap, old_fault, old_trap;
	memset(&fault, 0, sizeof(fault));
	fault.sa_sigaction = on_fault;
	fault.sa_flags = SA_SIGINFO;
	sigemptyset(&fault.sa_mask);
	trap = fault;
	trap.sa_sigaction = on_trap;

	tracer.buf = buf;
	tracer.bytes = bytes;
	tracer.protected = page_round(bytes);
	tracer.observe = observe;
	tracer.ctx = ctx;
	tracer.stores = 0;
	tracer.stepping = false;
	sigaction(SIGSEGV, &fault, &old_fault);
	sigaction(SIGTRAP, &trap, &old_trap);
	mprotect(buf, tracer.protected, PROT_READ);

	run(ctx);

	mprotect(buf, tracer.protected, PROT_READ | PROT_WRITE);
	sigaction(SIGSEGV, &old_fault, NULL);
	sigaction(SIGTRAP, &old_trap, NULL);
	tracer.buf = NULL;
	return tracer.stores;
}

#else

bool store_tracer_available(void)
{
	return false;
}

uint8_t *store_tracer_buffer(size_t bytes)
{
	uint8_t *p = malloc(bytes);
	if (p == NULL)
		abort();
	return p;
}

void store_tracer_free(uint8_t *buf, size_t bytes)
{
	(void)bytes;
	free(buf);
}

long store_trace(uint8_t *buf, size_t bytes, void (*run)(void *ctx), store_observer *observe,
                 void *ctx)
{
	(void)buf;
	(void)bytes;
	(void)observe;
	run(ctx);
	return -1;
}

#endif
