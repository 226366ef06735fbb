/*
 * proc.h: processes, threads, and the trapframe that saves a thread's user
 * registers. A process is an address space, a handle table and rights; a
 * thread is a kernel stack and a saved user context inside one process.
 */
#ifndef KERNEL_PROC_H
#define KERNEL_PROC_H

#include "defs.h"

#define NPROC   16
#define NTHREAD 64
#define NSHM    32

/* The layout trapasm.S pushes: general registers, vector, error, CPU frame. */
struct trapframe {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};

enum thread_state {
	T_FREE,
	T_RUNNABLE,
	T_RUNNING,
	T_BLOCKED,
	T_DEAD
};

/* What a blocked thread waits for; wait_key says which one. */
enum wait_kind {
	W_NONE,
	W_FUTEX,
	W_IRQ,
	W_PROC
};

struct thread {
	enum thread_state state;
	int tid;
	struct proc *proc;
	uint64_t kstack;      /* physical address of KSTACK_BYTES, contiguous */
	uint64_t ksp;         /* saved kernel stack pointer while switched out */
	struct trapframe *tf; /* at the top of the kernel stack */
	enum wait_kind wait;  /* valid while T_BLOCKED */
	uint64_t wait_key;    /* futex: physical address; irq: number; proc: pointer */
	uint64_t deadline_ns; /* 0: none */
	int64_t wait_result;  /* what the wait returns once woken */
};

/* Shared-memory object: frames that several address spaces map. */
struct shm {
	int refs; /* handles + processes that mapped it; freed at 0 */
	size_t npages;
	uint64_t *frames; /* physical addresses, one page of them */
};

enum handle_kind {
	H_NONE,
	H_SHM,
	H_PROC
};

struct handle {
	enum handle_kind kind;
	void *obj;
};

enum proc_state {
	P_FREE,
	P_ALIVE,
	P_ZOMBIE
};

struct proc {
	enum proc_state state;
	int pid;
	int refs; /* handles to it, plus one while alive; the slot is freed at 0 */
	char name[16];
	uint64_t *pml4;
	uint32_t rights;
	int nthreads;
	int64_t exit_status;
	uint64_t map_next; /* where IDLK_SYS_MAP puts memory when given no address */
	struct handle handles[IDLK_MAX_HANDLES];
	struct shm *mapped[8];              /* shared objects this address space maps */
	uint8_t iomap[IDLK_MAX_IOPORT / 8]; /* TSS format: a clear bit allows */
};

extern struct proc procs[NPROC];
extern struct thread threads[NTHREAD];
extern struct thread *current;

/* proc.c */
struct proc *proc_alloc(const char *name, uint32_t rights);
struct thread *thread_alloc(struct proc *p, uint64_t rip, uint64_t rsp, uint64_t arg0,
                            uint64_t arg1);
void proc_exit(struct proc *p, int64_t status);
void proc_put(struct proc *p);
void thread_exit(void);
_Noreturn void scheduler(void);
void yield(void);
int64_t block(enum wait_kind wait, uint64_t key, uint64_t deadline_ns);
int wakeup(enum wait_kind wait, uint64_t key, int64_t result, int max);
void wakeup_timeouts(uint64_t now_ns);

/* handle.c */
int handle_add(struct proc *p, enum handle_kind kind, void *obj);
struct handle *handle_get(struct proc *p, int64_t h, enum handle_kind kind);
void handle_close(struct proc *p, int h);
void obj_get(enum handle_kind kind, void *obj);
void obj_put(enum handle_kind kind, void *obj);

/* elf.c */
int elf_check(const uint8_t *image, size_t size);
int elf_load(struct proc *p, const uint8_t *image, size_t size, uint64_t *entry);

#endif
