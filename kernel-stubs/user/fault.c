/*
 * fault.c: programs that misbehave on purpose, for the fault test. The
 * argument picks the misdeed; each fault must kill this process alone, with
 * a report on the serial line, and leave the system running.
 *   null         write through a null pointer (page fault)
 *   kernel       read kernel memory (page fault: supervisor page)
 *   nx           jump into the stack (page fault: no-execute)
 *   text         write into its own code (page fault: read-only)
 *   ud           execute an invalid instruction
 *   syscall      pass bad pointers to system calls: they fail with
 *                IDLK_E_FAULT and the process goes on, then exits with 7
 *   device       ask for device access without a resource handle (each
 *                call fails with IDLK_E_BADH; spawn, without the right,
 *                with IDLK_E_PERM), then touch the UART's port anyway
 *                (general protection fault: the TSS bitmap denies it)
 */
#include "ulib.h"

int umain(const char *args, long nhandles)
{
	(void)nhandles;
	if (strcmp(args, "null") == 0)
		*(volatile int *)0 = 1;
	else if (strcmp(args, "kernel") == 0)
		return *(volatile int *)0xffffffff80100000ull;
	else if (strcmp(args, "nx") == 0) {
		uint8_t code[16];
		memset(code, 0xc3, sizeof(code)); /* ret */
		__asm__ volatile("" : : "r"(code) : "memory");
		((void (*)(void))(uintptr_t)code)();
	} else if (strcmp(args, "text") == 0)
		*(volatile uint8_t *)(uintptr_t)umain = 0xcc;
	else if (strcmp(args, "ud") == 0)
		__asm__ volatile("ud2");
	else if (strcmp(args, "syscall") == 0) {
		long a = idlk_debug_log((const char *)0xffff800000000000ull, 16);
		long b = idlk_debug_log((const char *)0x10, 16);
		long c = idlk_futex_wait((const volatile uint32_t *)0x7fff00000001ull, 0, 0);
		long d = idlk_map((void *)0xffff800000000000ull, 4096, IDLK_PROT_READ);
		printf("fault-syscall: kernel pointer -> %ld, unmapped pointer -> %ld, "
		       "misaligned futex -> %ld, map in the kernel half -> %ld\n",
		       a, b, c, d);
		return a == -IDLK_E_FAULT && b == -IDLK_E_FAULT && c == -IDLK_E_FAULT &&
		               d == -IDLK_E_INVAL
		           ? 7
		           : 1;
	} else if (strcmp(args, "device") == 0) {
		struct idlk_limits none = {0};
		long a = idlk_ioport(0);
		long b = idlk_irq_wait(0);
		long c = idlk_mmio_map(0, 0, 4096, NULL);
		long d = spawn("demo", NULL, 0, 0, &none);
		printf(
		    "fault-device: ioport -> %ld, irq_wait -> %ld, mmio_map -> %ld, spawn -> %ld\n",
		    a, b, c, d);
		if (a == -IDLK_E_BADH && b == -IDLK_E_BADH && c == -IDLK_E_BADH &&
		    d == -IDLK_E_PERM)
			(void)inb(0x3f8);
	}
	printf("fault: survived \"%s\", which should have killed it\n", args);
	return 1;
}
