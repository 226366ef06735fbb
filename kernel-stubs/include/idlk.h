/*
 * idlk.h: the system-call interface of the reference kernel (idlk), shared
 * by the kernel and user space: call numbers, error codes, flags and rights.
 * docs/reference-kernel.md explains each call. A call returns a value >= 0
 * on success and a negative IDLK_E_* code on failure.
 */
#ifndef IDLK_H
#define IDLK_H

/* System-call numbers (macros, for assembly too): RAX at SYSCALL; arguments in
 * RDI, RSI, RDX, R10, R8. */
#define IDLK_SYS_DEBUG_LOG     0  /* (buf, len) */
#define IDLK_SYS_CLOCK         1  /* () -> monotonic ns */
#define IDLK_SYS_THREAD_CREATE 2  /* (entry, stack_top, arg) -> thread id */
#define IDLK_SYS_THREAD_EXIT   3  /* () */
#define IDLK_SYS_SPAWN         4  /* (name, name_len, handles, count, rights) -> handle */
#define IDLK_SYS_EXIT          5  /* (status) */
#define IDLK_SYS_WAIT          6  /* (process handle) -> exit status */
#define IDLK_SYS_MAP           7  /* (addr, len, prot) -> addr */
#define IDLK_SYS_UNMAP         8  /* (addr, len) */
#define IDLK_SYS_SHM_CREATE    9  /* (len) -> shared-memory handle */
#define IDLK_SYS_SHM_MAP       10 /* (handle, addr, prot) -> addr */
#define IDLK_SYS_HANDLE_CLOSE  11 /* (handle) */
#define IDLK_SYS_FUTEX_WAIT    12 /* (addr, expected, timeout_ns) */
#define IDLK_SYS_FUTEX_WAKE    13 /* (addr, count) -> woken */
#define IDLK_SYS_IRQ_WAIT      14 /* (irq) */
#define IDLK_SYS_IOPORT        15 /* (first, count): allow IN/OUT on these ports */
#define IDLK_SYS_MMIO_MAP      16 /* (phys, len, addr) -> addr */
#define IDLK_SYS_DMA_ALLOC     17 /* (len, addr, phys_out) -> addr */
#define IDLK_SYS_THREAD_YIELD  18 /* () */
#define IDLK_SYSCALL_COUNT     19

#ifndef __ASSEMBLER__
/* Error codes, returned negated. */
enum idlk_error {
	IDLK_E_NOSYS = 1,   /* no such system call */
	IDLK_E_INVAL = 2,   /* an argument is out of its range */
	IDLK_E_FAULT = 3,   /* a user pointer is not mapped with the access needed */
	IDLK_E_NOMEM = 4,   /* out of physical memory or of a kernel table */
	IDLK_E_BADH = 5,    /* not a handle, or a handle of the wrong kind */
	IDLK_E_PERM = 6,    /* the process lacks the right this call needs */
	IDLK_E_AGAIN = 7,   /* futex word did not hold the expected value */
	IDLK_E_TIMEOUT = 8, /* the wait timed out */
	IDLK_E_NOENT = 9,   /* no boot module of that name */
	IDLK_E_BUSY = 10    /* the address range or IRQ is already taken */
};
#endif

/* Protections of IDLK_SYS_MAP and IDLK_SYS_SHM_MAP. */
#define IDLK_PROT_READ  0x1
#define IDLK_PROT_WRITE 0x2
#define IDLK_PROT_EXEC  0x4

/* Rights given at spawn; a child gets at most its parent's. */
#define IDLK_RIGHT_DEVICE 0x1 /* I/O ports, IRQs, MMIO and DMA memory */
#define IDLK_RIGHT_SPAWN  0x2 /* may start processes from boot modules */

/* Limits. */
#define IDLK_MAX_HANDLES 32    /* handles per process */
#define IDLK_MAX_IOPORT  0x400 /* ports above this stay closed (TSS bitmap size) */
#define IDLK_USER_START  0x1000ull
#define IDLK_USER_END    0x800000000000ull

#endif
