/*
 * idlk.h: the system-call interface of the reference kernel (idlk), shared
 * by the kernel and user space: call numbers, error codes, handle kinds,
 * rights, limits and the address-space layout. docs/reference-kernel.md
 * explains each call. A call returns a value >= 0 on success and a negative
 * IDLK_E_* code on failure; RAX holds the result, RCX and R11 are clobbered,
 * every other register keeps its value.
 */
#ifndef IDLK_H
#define IDLK_H

/* System-call numbers (macros, for assembly too): RAX at SYSCALL; arguments in
 * RDI, RSI, RDX, R10, R8. */
#define IDLK_SYS_DEBUG_LOG       0  /* (buf, len) */
#define IDLK_SYS_CLOCK           1  /* () -> monotonic ns */
#define IDLK_SYS_THREAD_CREATE   2  /* (entry, stack_top, arg) -> thread id */
#define IDLK_SYS_THREAD_EXIT     3  /* () */
#define IDLK_SYS_SPAWN           4  /* (const struct idlk_spawn *) -> process handle */
#define IDLK_SYS_EXIT            5  /* (status) */
#define IDLK_SYS_WAIT            6  /* (process handle) -> exit status */
#define IDLK_SYS_MAP             7  /* (addr, len, prot) -> addr */
#define IDLK_SYS_UNMAP           8  /* (addr, len) */
#define IDLK_SYS_SHM_CREATE      9  /* (len) -> shared-memory handle */
#define IDLK_SYS_SHM_MAP         10 /* (handle, addr, prot) -> addr */
#define IDLK_SYS_HANDLE_CLOSE    11 /* (handle) */
#define IDLK_SYS_FUTEX_WAIT      12 /* (addr, expected, timeout_ns) */
#define IDLK_SYS_FUTEX_WAKE      13 /* (addr, count) -> woken */
#define IDLK_SYS_IRQ_WAIT        14 /* (irq handle) */
#define IDLK_SYS_IOPORT          15 /* (ioport handle): allow IN/OUT on its ports */
#define IDLK_SYS_MMIO_MAP        16 /* (mmio handle, offset, len, addr) -> addr */
#define IDLK_SYS_DMA_ALLOC       17 /* (dma handle, len, addr, phys_out) -> addr */
#define IDLK_SYS_THREAD_YIELD    18 /* () */
#define IDLK_SYS_RESOURCE_DERIVE 19 /* (handle, base, size) -> handle */
#define IDLK_SYS_HANDLE_INFO     20 /* (handle, struct idlk_handle_info *) -> kind */
#define IDLK_SYS_LIMITS          21 /* (struct idlk_limits *limit, struct idlk_limits *used) */
#define IDLK_SYS_CHAN_CREATE     22 /* (bytes, int ends[2], const struct idlk_chan_notify *) */
#define IDLK_SYS_HANDLE_SEND     23 /* (channel end, const int *handles, count, uint32_t *words) */
#define IDLK_SYS_HANDLE_RECEIVE  24 /* (channel end, const uint32_t *words, count, int *handles) */
#define IDLK_SYS_HANDLE_DUP      25 /* (handle) -> handle */
#define IDLK_SYS_KILL            26 /* (process handle) */
#define IDLK_SYS_CHAN_WATCH      27 /* (channel end, const struct idlk_chan_watch *) */
#define IDLK_SYS_CHAN_KICK       28 /* (channel end) */
#define IDLK_SYS_PCI_CONFIG      29 /* (ioport handle, address, width, write, value) -> value */
#define IDLK_SYSCALL_COUNT       30

/* IDLK_SYS_PCI_CONFIG's address: a function's configuration register. */
#define IDLK_PCI_ADDRESS(bus, device, function, offset)                                            \
	((uint64_t)(bus) << 16 | (uint64_t)(device) << 11 | (uint64_t)(function) << 8 |            \
	 (uint64_t)(offset))
#define IDLK_PCI_CONFIG_PORT  0xcf8 /* the port mechanism's 8 ports, which the kernel keeps */
#define IDLK_PCI_CONFIG_PORTS 8
/* Whether a function of this base class is the chipset's: a memory
 * controller (05) or a bridge (06). pci_config writes none of them, and the
 * PCI server lets no driver claim one. */
#define IDLK_PCI_CHIPSET_CLASS(base_class) ((base_class) == 0x05 || (base_class) == 0x06)

/* wait()'s status of a process that kill ended. */
#define IDLK_STATUS_KILLED 512

/* Error codes, returned negated. */
#define IDLK_E_NOSYS   1  /* no such system call */
#define IDLK_E_INVAL   2  /* an argument is out of its range */
#define IDLK_E_FAULT   3  /* a user pointer is not mapped with the access needed */
#define IDLK_E_NOMEM   4  /* out of physical memory or of a kernel table */
#define IDLK_E_BADH    5  /* not a handle, or a handle of the wrong kind */
#define IDLK_E_PERM    6  /* the process lacks the right or resource this call needs */
#define IDLK_E_AGAIN   7  /* futex word did not hold the expected value */
#define IDLK_E_TIMEOUT 8  /* the wait timed out */
#define IDLK_E_NOENT   9  /* no boot module of that name */
#define IDLK_E_BUSY    10 /* the address range or IRQ is already taken */
#define IDLK_E_LIMIT   11 /* one of the caller's limits (struct idlk_limits) is reached */
#define IDLK_E_GONE    12 /* a futex word's page, or a channel's other end, is gone */
#define IDLK_E_MAX     12

/* Kinds of handle (IDLK_SYS_HANDLE_INFO). Resources (I/O ports, MMIO, IRQ
 * lines, DMA) are rights to a range [base, base + size) of one kind of
 * device resource; they are values, copied when passed or derived. */
#define IDLK_HANDLE_SHM     1 /* shared memory; size in bytes */
#define IDLK_HANDLE_PROC    2 /* a child process (wait) */
#define IDLK_HANDLE_IOPORT  3 /* I/O ports [base, base + size) */
#define IDLK_HANDLE_MMIO    4 /* physical device memory [base, base + size) */
#define IDLK_HANDLE_IRQ     5 /* interrupt lines [base, base + size) */
#define IDLK_HANDLE_DMA     6 /* may allocate DMA memory, at most size bytes per call */
#define IDLK_HANDLE_CHANNEL 7 /* one end of a channel; base: which end (0, 1); size in bytes */

/* Protections of IDLK_SYS_MAP and IDLK_SYS_SHM_MAP. */
#define IDLK_PROT_READ  0x1
#define IDLK_PROT_WRITE 0x2
#define IDLK_PROT_EXEC  0x4

/* Rights given at spawn; a child gets at most its parent's. Device access is
 * not a right but a handle (IDLK_HANDLE_IOPORT ... IDLK_HANDLE_DMA). */
#define IDLK_RIGHT_SPAWN 0x2 /* may start processes from boot modules */

/* Fixed sizes. */
#define IDLK_MAX_HANDLES   64      /* handle slots per process */
#define IDLK_MAX_IOPORT    0x10000 /* the I/O port space */
#define IDLK_SPAWN_HANDLES 8       /* handles passed at spawn, at most */
#define IDLK_SEND_HANDLES  16      /* handles one handle_send or handle_receive moves, at most */

/* The user half of every address space: [IDLK_USER_START, IDLK_USER_END).
 * The last page below the canonical boundary (0x7ffffffff000) is never
 * mapped, so that no instruction's successor can be non-canonical. */
#define IDLK_USER_START       0x1000ull
#define IDLK_USER_END         0x7ffffffff000ull
#define IDLK_USER_STACK_TOP   0x7fff00000000ull /* the initial stack ends here */
#define IDLK_USER_STACK_BYTES (64 * 1024ull)

#ifndef __ASSEMBLER__
#include <stdint.h>

/*
 * Per-process limits, set by the parent at spawn. A child's limits are
 * carved out of its parent's: while the child lives, they count as used by
 * the parent, so no process can take more than its parent gave it and one
 * child cannot starve its siblings. init starts with the whole machine.
 */
struct idlk_limits {
	uint64_t threads; /* threads alive at once */
	uint64_t procs;   /* descendant processes alive at once (children count 1 + theirs) */
	uint64_t shms;    /* shared-memory objects it created that are alive */
	uint64_t handles; /* handle slots it may use (at most IDLK_MAX_HANDLES) */
	uint64_t pages;   /* 4 KiB pages: its memory, page tables and shared objects */
};

/* What IDLK_SYS_SPAWN takes. */
struct idlk_spawn {
	const char *name; /* the boot module's name */
	uint64_t name_len;
	const int *handles; /* the caller's handles to pass: the child's 0..count-1 */
	uint64_t handle_count;
	uint64_t rights; /* IDLK_RIGHT_*, a subset of the caller's */
	struct idlk_limits limits;
};

/*
 * Where IDLK_SYS_CHAN_CREATE's death notices go: offsets into the channel's
 * memory of u32 words. When the last handle to end i goes, the kernel
 * writes 1 to closed_offset[i], adds 1 to wake_offset[1 - i] and wakes that
 * word's futex waiters.
 */
struct idlk_chan_notify {
	uint32_t closed_offset[2];
	uint32_t wake_offset[2];
};

/*
 * What IDLK_SYS_CHAN_WATCH registers for the caller's end of a channel:
 * two u32 words in the caller's own memory. From then on, each
 * IDLK_SYS_CHAN_KICK by a holder of the other end sets bit `bit` of the
 * word at `bits`, adds 1 to the word at `seq` and wakes that word's futex
 * waiters. In memory no other process maps, a kick is something no other
 * process can undo (the runtime's server sleeps on `seq`).
 */
struct idlk_chan_watch {
	uint64_t seq;      /* address of a u32, 4-aligned */
	uint64_t bits;     /* address of a u32, 4-aligned */
	uint32_t bit;      /* below 32 */
	uint32_t reserved; /* zero */
};

/* What IDLK_SYS_HANDLE_INFO stores. */
struct idlk_handle_info {
	uint64_t kind; /* IDLK_HANDLE_* */
	uint64_t base; /* resources: the first port, address or line; else 0 */
	uint64_t size; /* resources: how many; shm: bytes; process: 0 */
	/* Which object (never reused while the system runs): shm and channel
	 * memory, a process's id; 0 for resources, which are values. A server
	 * that keeps a client's buffer mapped knows it again by this. */
	uint64_t object;
};
#endif

#endif
