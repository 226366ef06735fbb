/*
 * proc.c: the process and thread tables, the scheduler, and blocking.
 *
 * Scheduling is round robin over the thread table. The scheduler runs on the
 * boot stack in the kernel's address space; a thread gives up the CPU with
 * sched(), which switches to it, and the scheduler switches back into the
 * next runnable thread. Dead threads and processes are reaped here too, on
 * the boot stack, because a thread cannot free the stack it runs on nor a
 * process the page tables in CR3.
 *
 * Locking: one CPU, and the kernel runs with interrupts off; the only place
 * they are on is the idle halt below. Every function here may assume that no
 * other kernel code runs until it returns or blocks.
 */
#include "proc.h"
#include "x86.h"

struct proc procs[NPROC];
struct thread threads[NTHREAD];
struct thread *current;
extern uint64_t cpu_kstack_top;
extern char thread_start[];
void swtch(uint64_t *save_sp, uint64_t load_sp);

static uint64_t scheduler_sp;
static int next_pid = 1, next_tid = 1;
static int blocked[W_PROC + 1]; /* threads blocked, by what they wait for */

static void unblock(struct thread *t, enum thread_state state, int64_t result);

/*
 * A new process with an empty address space, its limits carved out of
 * parent's (NULL for init, which gets the machine). The caller checked the
 * limits (limits_check_grant). Returns -E_NOMEM when the table is full, or
 * the error of creating the address space.
 */
int proc_alloc(const char *name, uint32_t rights, struct proc *parent,
               const uint64_t limit[NLIMITS], struct proc **out)
{
	struct proc *p = NULL;
	for (int i = 0; i < NPROC && !p; i++)
		if (procs[i].state == P_FREE)
			p = &procs[i];
	if (!p)
		return -E_NOMEM;
	memset(p, 0, sizeof(*p));
	limits_grant(parent, p, limit);
	int err = vm_create(p);
	if (err < 0) {
		limits_release(p);
		limits_free_slot(p);
		return err;
	}
	p->state = P_ALIVE;
	p->pid = next_pid++;
	p->refs = 1;
	size_t n = strlen(name);
	memcpy(p->name, name, n < sizeof(p->name) - 1 ? n : sizeof(p->name) - 1);
	p->rights = rights;
	p->map_next = 0x10000000;
	memset(p->iomap, 0xff, sizeof(p->iomap));
	*out = p;
	return 0;
}

/* Kernel stacks for every thread slot, allocated once at boot: a thread's
 * stack must be physically contiguous, and later the memory could be too
 * fragmented to find one. */
void proc_init(void)
{
	for (int i = 0; i < NTHREAD; i++) {
		threads[i].kstack = pmm_alloc_contiguous(KSTACK_BYTES / PAGE_SIZE);
		if (!threads[i].kstack)
			panic("proc_init: no memory for kernel stacks");
	}
}

/*
 * A new thread of p that starts in user mode at rip with stack rsp and its
 * first two arguments in RDI and RSI, counted against p's thread limit.
 * Stores it in *out; -E_LIMIT, or -E_NOMEM when the table is full.
 */
int thread_alloc(struct proc *p, uint64_t rip, uint64_t rsp, uint64_t arg0, uint64_t arg1,
                 struct thread **out)
{
	struct thread *t = NULL;
	for (int i = 0; i < NTHREAD && !t; i++)
		if (threads[i].state == T_FREE)
			t = &threads[i];
	if (!t)
		return -E_NOMEM;
	int err = limit_take(p, L_THREADS, 1);
	if (err < 0)
		return err;
	uint64_t top = (uint64_t)P2V(t->kstack) + KSTACK_BYTES;
	t->tf = (struct trapframe *)(top - sizeof(struct trapframe));
	memset(t->tf, 0, sizeof(*t->tf));
	t->tf->rip = rip;
	t->tf->rsp = rsp;
	t->tf->rdi = arg0;
	t->tf->rsi = arg1;
	t->tf->cs = SEL_UCODE;
	t->tf->ss = SEL_UDATA;
	t->tf->rflags = 0x202; /* IF */
	/* What swtch pops: six callee-saved registers, then thread_start. */
	uint64_t *frame = (uint64_t *)t->tf - 7;
	memset(frame, 0, 6 * sizeof(uint64_t));
	frame[6] = (uint64_t)thread_start;
	t->ksp = (uint64_t)frame;
	t->tid = next_tid++;
	t->proc = p;
	t->wait = W_NONE;
	t->state = T_RUNNABLE;
	p->nthreads++;
	*out = t;
	return 0;
}

/*
 * Ends process p: its threads stop running at once (the current one, if it is
 * p's, must call thread_exit right after), waiters learn the status, and the
 * scheduler frees the rest once no thread of p is on a CPU.
 */
void proc_exit(struct proc *p, int64_t status)
{
	if (p->state != P_ALIVE)
		return;
	p->state = P_ZOMBIE;
	p->exit_status = status;
	for (int i = 0; i < NTHREAD; i++) {
		struct thread *t = &threads[i];
		if (t->proc != p || t->state == T_FREE || t == current)
			continue;
		if (t->state == T_BLOCKED)
			unblock(t, T_DEAD, 0);
		else
			t->state = T_DEAD;
	}
	wakeup(W_PROC, (uint64_t)p, status, NTHREAD);
}

/* Drops a reference to p; the slot is free once no handle names it. */
void proc_put(struct proc *p)
{
	KASSERT(p->refs > 0);
	if (--p->refs == 0) {
		limits_free_slot(p);
		p->state = P_FREE;
	}
}

/* The current thread ends; the last thread of a process ends the process. */
void thread_exit(void)
{
	struct proc *p = current->proc;
	current->state = T_DEAD;
	if (p->state == P_ALIVE && p->nthreads == 1)
		proc_exit(p, 0);
	swtch(&current->ksp, scheduler_sp);
	panic("a dead thread was scheduled");
}

/* Frees what dead threads and exited processes leave; runs on the boot stack. */
static void reap(void)
{
	for (int i = 0; i < NTHREAD; i++) {
		struct thread *t = &threads[i];
		if (t->state != T_DEAD)
			continue;
		struct proc *p = t->proc;
		if (p->pid == 1 && p->nthreads == 1)
			panic("init exited"); /* nothing could ever run again */
		t->state = T_FREE;
		t->proc = NULL;
		limit_give(p, L_THREADS, 1);
		if (--p->nthreads > 0)
			continue;
		if (p->state == P_ALIVE)
			proc_exit(p, 0);
		proc_free_resources(p);
		proc_put(p); /* the reference held while alive */
	}
}

/*
 * Frees what a process without threads holds: handles, mappings, IRQ lines,
 * the address space; then its parent takes over its limits and what outlives
 * it. Used by reap and by a spawn that fails half-way.
 */
void proc_free_resources(struct proc *p)
{
	for (int h = 0; h < IDLK_MAX_HANDLES; h++)
		handle_close(p, h);
	irq_release(p);
	gdt_forget_iomap(p);
	vm_destroy(p);
	limits_release(p);
}

_Noreturn void scheduler(void)
{
	int last = 0;
	for (;;) {
		reap();
		struct thread *t = NULL;
		for (int i = 1; i <= NTHREAD && !t; i++) {
			int k = (last + i) % NTHREAD;
			if (threads[k].state == T_RUNNABLE) {
				t = &threads[k];
				last = k;
			}
		}
		if (!t) {
			/* Idle: the one place the kernel takes interrupts. */
			__asm__ volatile("sti; hlt; cli" ::: "memory");
			continue;
		}
		t->state = T_RUNNING;
		current = t;
		uint64_t top = (uint64_t)P2V(t->kstack) + KSTACK_BYTES;
		tss_set_rsp0(top);
		cpu_kstack_top = top;
		gdt_load_iomap(t->proc);
		vm_switch(t->proc->pml4);
		trap_new_slice();
		swtch(&scheduler_sp, t->ksp);
		current = NULL;
		vm_switch(NULL);
	}
}

/* Gives up the CPU; the caller has set current->state. */
static void sched(void)
{
	swtch(&current->ksp, scheduler_sp);
}

void yield(void)
{
	current->state = T_RUNNABLE;
	sched();
}

/*
 * Blocks the current thread until a wakeup with the same wait and key, or
 * until the monotonic clock passes deadline_ns (if not 0). Returns the
 * result the waker passed, or -E_TIMEOUT.
 */
int64_t block(enum wait_kind wait, uint64_t key, uint64_t deadline_ns)
{
	current->wait = wait;
	current->wait_key = key;
	current->deadline_ns = deadline_ns;
	current->wait_result = 0;
	current->state = T_BLOCKED;
	blocked[wait]++;
	sched();
	return current->wait_result;
}

/* t stops waiting: runnable with result, or dead (proc_exit). */
static void unblock(struct thread *t, enum thread_state state, int64_t result)
{
	KASSERT(t->state == T_BLOCKED && blocked[t->wait] > 0);
	blocked[t->wait]--;
	t->state = state;
	t->wait = W_NONE;
	t->wait_result = result;
}

/* Wakes at most max threads blocked on (wait, key); returns how many. */
int wakeup(enum wait_kind wait, uint64_t key, int64_t result, int max)
{
	int n = 0;
	for (int i = 0; i < NTHREAD && n < max && blocked[wait] > 0; i++) {
		struct thread *t = &threads[i];
		if (t->state == T_BLOCKED && t->wait == wait && t->wait_key == key) {
			unblock(t, T_RUNNABLE, result);
			n++;
		}
	}
	return n;
}

/* Wakes every thread blocked on (wait, key) with key in [first, first + len). */
void wakeup_range(enum wait_kind wait, uint64_t first, uint64_t len, int64_t result)
{
	for (int i = 0; i < NTHREAD && blocked[wait] > 0; i++) {
		struct thread *t = &threads[i];
		if (t->state == T_BLOCKED && t->wait == wait && t->wait_key - first < len)
			unblock(t, T_RUNNABLE, result);
	}
}

void wakeup_timeouts(uint64_t now_ns)
{
	for (int i = 0; i < NTHREAD; i++) {
		struct thread *t = &threads[i];
		if (t->state == T_BLOCKED && t->deadline_ns && t->deadline_ns <= now_ns)
			unblock(t, T_RUNNABLE, -E_TIMEOUT);
	}
}
