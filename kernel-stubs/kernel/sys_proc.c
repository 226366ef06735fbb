/*
 * sys_proc.c: threads and processes. A process starts from a boot module
 * named in the spawn call; it receives, in RDI, a pointer to the arguments
 * its grub.cfg line gives that module and, in RSI, the number of handles its
 * parent passed (they are its handles 0..n-1). That is the whole of how a
 * process gets its first handles: there is no name service in the kernel.
 */
#include "syscall.h"

#define USER_STACK_TOP   IDLK_USER_STACK_TOP
#define USER_STACK_BYTES IDLK_USER_STACK_BYTES

static const struct bootmodule *find_module(const char *name, size_t len)
{
	for (size_t i = 0; i < bootinfo.nmodules; i++) {
		const char *c = bootinfo.modules[i].cmdline;
		if (memcmp(c, name, len) == 0 && (c[len] == 0 || c[len] == ' '))
			return &bootinfo.modules[i];
	}
	return NULL;
}

/* Maps the initial stack and puts the argument string at its top; stores
 * where the string is. 0, -E_NOMEM or -E_LIMIT (the caller discards p). */
static int make_stack(struct proc *p, const char *args, uint64_t *args_va)
{
	for (uint64_t va = USER_STACK_TOP - USER_STACK_BYTES; va < USER_STACK_TOP;
	     va += PAGE_SIZE) {
		uint64_t pa;
		int err = frame_alloc(p, &pa);
		if (err == 0) {
			err = vm_map(p, va, pa, PTE_U | PTE_W | PTE_NX | PTE_OWNED);
			if (err < 0)
				frame_free(p, pa);
		}
		if (err < 0)
			return err;
	}
	size_t args_len = strlen(args) + 1; /* < the 64-byte cmdline */
	*args_va = USER_STACK_TOP - PAGE_UP(args_len);
	copy_to_user(p->pml4, *args_va, args, args_len);
	return 0;
}

/*
 * Starts module m (which passed elf_check) with rights and limits carved from
 * parent's, giving it copies of give[0..count) as its handles 0..count-1.
 * Stores the new process; on error nothing is left behind.
 */
static int64_t start(const struct bootmodule *m, uint32_t rights, const uint64_t limit[NLIMITS],
                     struct proc *parent, const struct handle *give, size_t count,
                     struct proc **out)
{
	const uint8_t *image = P2V(m->start);
	size_t size = m->end - m->start;
	const char *args = m->cmdline;
	while (*args && *args != ' ')
		args++;
	size_t name_len = (size_t)(args - m->cmdline);
	char name[16] = {0};
	memcpy(name, m->cmdline, name_len < 15 ? name_len : 15);
	while (*args == ' ')
		args++;

	struct proc *p;
	int64_t err = proc_alloc(name, rights, parent, limit, &p);
	if (err < 0)
		return err;
	uint64_t entry, args_va;
	struct thread *t;
	if ((err = elf_load(p, image, size, &entry)) < 0 ||
	    (err = make_stack(p, args, &args_va)) < 0 ||
	    (err = thread_alloc(p, entry, args_va, args_va, count, &t)) < 0) {
		proc_free_resources(p);
		proc_put(p); /* the reference of the living: frees the slot */
		return err;
	}
	for (size_t i = 0; i < count; i++)
		handle_add(p, &give[i]); /* slots 0.. in order */
	*out = p;
	return 0;
}

/* Starts init, the first process, from the boot module of that name, with
 * the whole machine as its limits and the root device resources. */
int64_t spawn_init(void)
{
	const struct bootmodule *m = find_module("init", 4);
	if (!m)
		return -E_NOENT;
	int64_t err = elf_check(P2V(m->start), m->end - m->start);
	if (err < 0)
		return err;
	uint64_t limit[NLIMITS];
	limits_set_root(limit);
	struct handle roots[IDLK_SPAWN_HANDLES];
	size_t count = dev_root_resources(roots);
	struct proc *p;
	err = start(m, IDLK_RIGHT_SPAWN, limit, NULL, roots, count, &p);
	if (err < 0)
		return err;
	return p->pid;
}

/*
 * spawn(args) -> process handle, args a struct idlk_spawn. Starts the boot
 * module called args->name. The child gets the caller's handles listed in
 * args->handles as its handles 0..count-1, the rights given (a subset of the
 * caller's), and args->limits carved out of the caller's (limits.c). Needs
 * IDLK_RIGHT_SPAWN.
 */
int64_t sys_spawn(uint64_t args_ptr, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4)
{
	(void)a1, (void)a2, (void)a3, (void)a4;
	struct proc *self = current->proc;
	struct idlk_spawn a;
	char name[32];
	int handles[IDLK_SPAWN_HANDLES];
	struct handle give[IDLK_SPAWN_HANDLES];
	uint64_t limit[NLIMITS];
	/* Decode. */
	if (!(self->rights & IDLK_RIGHT_SPAWN))
		return -E_PERM;
	if (copy_from_user(self->pml4, &a, args_ptr, sizeof(a)) < 0)
		return -E_FAULT;
	if (a.rights & ~(uint64_t)self->rights)
		return -E_PERM;
	if (a.name_len == 0 || a.name_len >= sizeof(name) || a.handle_count > IDLK_SPAWN_HANDLES)
		return -E_INVAL;
	if (copy_from_user(self->pml4, name, (uint64_t)a.name, a.name_len) < 0 ||
	    copy_from_user(self->pml4, handles, (uint64_t)a.handles, a.handle_count * sizeof(int)) <
	        0)
		return -E_FAULT;
	name[a.name_len] = 0;
	for (uint64_t i = 0; i < a.handle_count; i++) {
		struct handle *h = handle_get(self, handles[i], H_NONE);
		if (!h)
			return -E_BADH;
		give[i] = *h;
	}
	limits_from_abi(&a.limits, limit);
	int64_t err = limits_check_grant(self, limit);
	if (err < 0)
		return err;
	if (a.handle_count > limit[L_HANDLES])
		return -E_LIMIT;
	if (!handle_room(self))
		return -E_LIMIT;
	const struct bootmodule *m = find_module(name, a.name_len);
	if (!m)
		return -E_NOENT;
	if (elf_check(P2V(m->start), m->end - m->start) < 0)
		return -E_INVAL;
	/* Invoke: only running out of memory or of the child's limits can fail
	 * now, and that undoes itself. */
	struct proc *child;
	err = start(m, (uint32_t)a.rights, limit, self, give, a.handle_count, &child);
	if (err < 0)
		return err;
	return handle_add_obj(self, H_PROC, child);
}

/*
 * kill(handle): ends the process the handle names (wait reports
 * IDLK_STATUS_KILLED); one that has ended already stays as it was. Only a
 * holder of its handle can: its parent, or whom the parent gave it to.
 */
int64_t sys_kill(uint64_t h, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4)
{
	(void)a1, (void)a2, (void)a3, (void)a4;
	struct handle *hd = handle_get(current->proc, (int64_t)h, H_PROC);
	if (!hd)
		return -E_BADH;
	struct proc *target = hd->obj;
	proc_exit(target, IDLK_STATUS_KILLED);
	/* proc_exit leaves the calling thread to its caller, as exit does: a
	 * process that kills itself (with its own handle, passed to it) must
	 * end here too, or it would run on, reported killed and unkillable. */
	if (target == current->proc)
		thread_exit();
	return 0;
}

/* exit(status): ends the calling process; status is reported by wait (0-255). */
int64_t sys_exit(uint64_t status, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4)
{
	(void)a1, (void)a2, (void)a3, (void)a4;
	proc_exit(current->proc, (int64_t)(status & 0xff));
	thread_exit();
	return 0;
}

/* thread_yield(): lets every other runnable thread run once before the
 * caller runs again; the runtime's waiters call it before they sleep. */
int64_t sys_thread_yield(uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4)
{
	(void)a0, (void)a1, (void)a2, (void)a3, (void)a4;
	yield();
	return 0;
}

/*
 * wait(handle) -> status: waits for the process to end. The status is the
 * one it passed to exit (0-255), or 256 + the exception vector it died of.
 */
int64_t sys_wait(uint64_t h, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4)
{
	(void)a1, (void)a2, (void)a3, (void)a4;
	struct handle *hd = handle_get(current->proc, (int64_t)h, H_PROC);
	if (!hd)
		return -E_BADH;
	struct proc *p = hd->obj;
	if (p->state != P_ALIVE)
		return p->exit_status;
	return block(W_PROC, (uint64_t)p, 0);
}

/*
 * thread_create(entry, stack_top, arg) -> thread id: a new thread in this
 * process, entering entry(arg) as if called: stack_top (8 mod 16, as after a
 * call) is where its return address would be.
 */
int64_t sys_thread_create(uint64_t entry, uint64_t stack_top, uint64_t arg, uint64_t a3,
                          uint64_t a4)
{
	(void)a3, (void)a4;
	if (!vm_user_range(entry, 1) || !vm_user_range(stack_top, 8) || (stack_top & 15) != 8)
		return -E_INVAL;
	struct thread *t;
	int err = thread_alloc(current->proc, entry, stack_top, arg, 0, &t);
	if (err < 0)
		return err;
	return t->tid;
}

/* thread_exit(): ends the calling thread; the last thread ends the process. */
int64_t sys_thread_exit(uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4)
{
	(void)a0, (void)a1, (void)a2, (void)a3, (void)a4;
	thread_exit();
	return 0;
}

/* limits(limit, used): stores the caller's limits and what it uses of them. */
int64_t sys_limits(uint64_t limit_out, uint64_t used_out, uint64_t a2, uint64_t a3, uint64_t a4)
{
	(void)a2, (void)a3, (void)a4;
	struct proc *p = current->proc;
	struct idlk_limits limit, used;
	limits_to_abi(p->limit, &limit);
	limits_to_abi(p->used, &used);
	if (copy_to_user(p->pml4, limit_out, &limit, sizeof(limit)) < 0 ||
	    copy_to_user(p->pml4, used_out, &used, sizeof(used)) < 0)
		return -E_FAULT;
	return 0;
}
