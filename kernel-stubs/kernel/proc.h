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
#define NSHM    256
#define NMAPPED 64 /* shared-memory objects one address space maps at once */

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

/*
 * Shared-memory object: frames that several address spaces map. Its pages
 * are charged to the process that created it (owner), or, once that process
 * is gone, to the owner's parent (limits.c).
 */
struct shm {
	int refs; /* handles + processes that mapped it; freed at 0 */
	size_t npages;
	uint64_t *frames;   /* physical addresses, one page of them */
	struct proc *owner; /* whose limits it counts against */
	uint64_t id;        /* handle_info's object: never reused */
};

/* The kinds are the ABI's IDLK_HANDLE_* numbers, so handle_info passes them on. */
enum handle_kind {
	H_NONE = 0,
	H_SHM = IDLK_HANDLE_SHM,
	H_PROC = IDLK_HANDLE_PROC,
	H_IOPORT = IDLK_HANDLE_IOPORT,
	H_MMIO = IDLK_HANDLE_MMIO,
	H_IRQ = IDLK_HANDLE_IRQ,
	H_DMA = IDLK_HANDLE_DMA,
	H_CHAN = IDLK_HANDLE_CHANNEL
};

/*
 * A handle names a reference-counted object (shared memory, a process, a
 * channel end: base says which end) or is a device resource: the right to
 * [base, base + size) of one kind, a value with no object behind it (obj is
 * NULL).
 */
struct handle {
	enum handle_kind kind;
	void *obj;
	uint64_t base, size;
};

/* The limits a process has, and what it uses of them (limits.c). */
enum limit_kind {
	L_THREADS,
	L_PROCS,
	L_SHMS,
	L_HANDLES,
	L_PAGES,
	NLIMITS
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
	struct proc *parent; /* whose limits ours are carved from; NULL for init */
	uint64_t limit[NLIMITS], used[NLIMITS];
	uint64_t map_next; /* where IDLK_SYS_MAP puts memory when given no address */
	struct handle handles[IDLK_MAX_HANDLES];
	/* Shared objects this address space maps, and how many of their pages:
	 * each such page table entry names its slot (PTE_MAPSLOT), and the
	 * object's reference goes when its last page is unmapped. */
	struct {
		struct shm *shm;
		uint32_t pages;
	} maps[NMAPPED];
	/* I/O permission bitmap in the TSS's format (a clear bit allows); only
	 * bytes [io_lo, io_hi) are not all ones, which is all gdt.c copies. */
	uint8_t iomap[IDLK_MAX_IOPORT / 8];
	uint32_t io_lo, io_hi;
};

extern struct proc procs[NPROC];
extern struct thread threads[NTHREAD];
extern struct thread *current;

/* proc.c */
void proc_init(void);
int proc_alloc(const char *name, uint32_t rights, struct proc *parent,
               const uint64_t limit[NLIMITS], struct proc **out);
void proc_free_resources(struct proc *p);
int thread_alloc(struct proc *p, uint64_t rip, uint64_t rsp, uint64_t arg0, uint64_t arg1,
                 struct thread **out);
void proc_exit(struct proc *p, int64_t status);
void proc_put(struct proc *p);
void thread_exit(void);
_Noreturn void scheduler(void);
void yield(void);
int64_t block(enum wait_kind wait, uint64_t key, uint64_t deadline_ns);
int wakeup(enum wait_kind wait, uint64_t key, int64_t result, int max);
void wakeup_range(enum wait_kind wait, uint64_t first, uint64_t len, int64_t result);
void wakeup_timeouts(uint64_t now_ns);

/* limits.c */
void limits_from_abi(const struct idlk_limits *l, uint64_t out[NLIMITS]);
void limits_to_abi(const uint64_t v[NLIMITS], struct idlk_limits *out);
void limits_set_root(uint64_t limit[NLIMITS]);
int limits_check_grant(const struct proc *parent, const uint64_t want[NLIMITS]);
void limits_grant(struct proc *parent, struct proc *child, const uint64_t want[NLIMITS]);
void limits_release(struct proc *p);
void limits_free_slot(struct proc *p);
int limit_check(const struct proc *p, enum limit_kind k, uint64_t n);
int limit_take(struct proc *p, enum limit_kind k, uint64_t n);
void limit_give(struct proc *p, enum limit_kind k, uint64_t n);
int frame_alloc(struct proc *p, uint64_t *pa);
void frame_free(struct proc *p, uint64_t pa);

/* vm.c (the user-half functions; defs.h has the rest) */
uint64_t *vm_lookup(uint64_t *pml4, uint64_t va);
int vm_walk_create(struct proc *p, uint64_t va, uint64_t **pte);
int vm_map(struct proc *p, uint64_t va, uint64_t pa, uint64_t flags);
void vm_unmap(struct proc *p, uint64_t va, uint64_t len);
bool vm_range_free(uint64_t *pml4, uint64_t va, uint64_t len);
int vm_create(struct proc *p);
void vm_destroy(struct proc *p);

/* gdt.c */
void gdt_load_iomap(const struct proc *p);
void gdt_forget_iomap(const struct proc *p);

/* handle.c */
bool handle_room(const struct proc *p);
int handle_add(struct proc *p, const struct handle *h);
int handle_add_obj(struct proc *p, enum handle_kind kind, void *obj);
struct handle *handle_get(struct proc *p, int64_t h, enum handle_kind kind);
void handle_close(struct proc *p, int h);
bool resource_covers(const struct handle *r, uint64_t base, uint64_t size);
void obj_get(const struct handle *h);
void obj_put(const struct handle *h);

/* sys_mem.c */
bool shm_size_ok(uint64_t len);
int64_t shm_create(struct proc *p, uint64_t bytes, struct shm **out);
void shm_put(struct shm *s);
void shm_change_owner(struct proc *from, struct proc *to);
void shm_page_unmapped(struct proc *p, uint64_t pte);

/* channel.c */
struct chan;
void chan_get(struct chan *c, int side);
void chan_put(struct chan *c, int side);
void chan_left_table(struct proc *p, struct chan *c, int side);
struct shm *chan_memory(const struct chan *c);

/* sys_dev.c */
size_t dev_root_resources(struct handle *roots);

/* futex.c */
void futex_page_gone(uint64_t pa);

/* trap.c */
struct trapframe;
_Noreturn void trap_kill(struct trapframe *tf, uint64_t vector, const char *why);

/* elf.c */
int elf_check(const uint8_t *image, size_t size);
int elf_load(struct proc *p, const uint8_t *image, size_t size, uint64_t *entry);

#endif
