/*
 * thread.c: threads for programs: a stack from anonymous memory, and a
 * start routine that ends the thread when its function returns.
 */
#include "ulib.h"

struct start {
	void (*fn)(void *);
	void *arg;
};

static void thread_main(void *p)
{
	struct start *s = p;
	s->fn(s->arg);
	idlk_thread_exit();
}

long thread_spawn(void (*fn)(void *), void *arg, size_t stack_bytes)
{
	stack_bytes = (stack_bytes + 4095) & ~(size_t)4095;
	long stack = idlk_map(NULL, stack_bytes, IDLK_PROT_READ | IDLK_PROT_WRITE);
	if (stack < 0)
		return stack;
	/* The start record at the top, then a zero return address below it. */
	uintptr_t top = (uintptr_t)stack + stack_bytes - sizeof(struct start);
	struct start *s = (struct start *)top;
	s->fn = fn;
	s->arg = arg;
	top = (top & ~(uintptr_t)15) - 8;
	*(uint64_t *)top = 0;
	long tid = idlk_thread_create(thread_main, (void *)top, s);
	if (tid < 0)
		idlk_unmap((void *)stack, stack_bytes);
	return tid;
}
