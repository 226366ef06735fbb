/*
 * sys_proc.c: threads and processes. A process starts from a boot module
 * named in the spawn call; it receives, in RDI, a pointer to the arguments
 * its grub.cfg line gives that module and, in RSI, the number of handles its
 * parent passed (they are its handles 0..n-1). That is the whole of how a
 * process gets its first handles: there is no name service in the kernel.
 */
#include "syscall.h"

#define USER_STACK_TOP    0x7fff00000000ull
#define USER_STACK_BYTES  (64 * 1024ull)
#define SPAWN_MAX_HANDLES 8

static const struct bootmodule *find_module(const char *name, size_t len)
{
	for (size_t i = 0; i < bootinfo.nmodules; i++) {
		const char *c = bootinfo.modules[i].cmdline;
		if (memcmp(c, name, len) == 0 && (c[len] == 0 || c[len] == ' '))
			return &bootinfo.modules[i];
	}
	return NULL;
}

/* Frees a process that never ran. */
static void discard(struct proc *p)
{
	for (int h = 0; h < IDLK_MAX_HANDLES; h++)
		handle_close(p, h);
	vm_destroy(p->pml4);
	p->state = P_FREE;
}

/*
 * Starts the module called name with rights, giving it the caller's handles
 * listed in handles (the caller checked them). Returns the new process or a
 * negative error; on error nothing is left behind.
 */
static int64_t start(const struct bootmodule *m, uint32_t rights, struct proc *parent,
                     const int *handles, size_t count, struct proc **out)
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

	struct proc *p = proc_alloc(name, rights);
	if (!p)
		return -E_NOMEM;
	uint64_t entry;
	if (elf_load(p, image, size, &entry) < 0)
		goto nomem;
	for (uint64_t va = USER_STACK_TOP - USER_STACK_BYTES; va < USER_STACK_TOP;
	     va += PAGE_SIZE) {
		uint64_t pa = pmm_alloc();
		if (!pa || !vm_map(p->pml4, va, pa, PTE_U | PTE_W | PTE_NX | PTE_OWNED)) {
			if (pa)
				pmm_free(pa);
			goto nomem;
		}
	}
	/* The argument string sits at the top of the stack. */
	size_t args_len = strlen(args) + 1;
	uint64_t args_va = USER_STACK_TOP - PAGE_UP(args_len);
	copy_to_user(p->pml4, args_va, args, args_len);
	struct thread *t = thread_alloc(p, entry, args_va, args_va, count);
	if (!t)
		goto nomem;
	for (size_t i = 0; i < count; i++) {
		struct handle *h = &parent->handles[handles[i]];
		p->handles[i] = *h;
		obj_get(h->kind, h->obj);
	}
	*out = p;
	return 0;
nomem:
	discard(p);
	return -E_NOMEM;
}

int64_t spawn_module(const char *name, uint32_t rights, const int *handles, size_t count)
{
	(void)handles;
	KASSERT(count == 0);
	const struct bootmodule *m = find_module(name, strlen(name));
	if (!m)
		return -E_NOENT;
	int64_t err = elf_check(P2V(m->start), m->end - m->start);
	if (err < 0)
		return err;
	struct proc *p;
	err = start(m, rights, NULL, NULL, 0, &p);
	if (err < 0)
		return err;
	return p->pid; /* no handle names it; the reference of the living keeps it */
}

/*
 * spawn(name, name_len, handles, count, rights) -> process handle.
 * Starts the boot module called name. The child gets the caller's handles
 * listed in handles[0..count) as its handles 0..count-1 and the rights given,
 * which must be a subset of the caller's. Needs IDLK_RIGHT_SPAWN.
 */
int64_t sys_spawn(uint64_t name_ptr, uint64_t name_len, uint64_t handles_ptr, uint64_t count,
                  uint64_t rights)
{
	struct proc *self = current->proc;
	char name[32];
	int handles[SPAWN_MAX_HANDLES];
	/* Decode. */
	if (!(self->rights & IDLK_RIGHT_SPAWN) || (rights & ~(uint64_t)self->rights))
		return -E_PERM;
	if (name_len == 0 || name_len >= sizeof(name) || count > SPAWN_MAX_HANDLES)
		return -E_INVAL;
	if (copy_from_user(self->pml4, name, name_ptr, name_len) < 0 ||
	    copy_from_user(self->pml4, handles, handles_ptr, count * sizeof(int)) < 0)
		return -E_FAULT;
	name[name_len] = 0;
	for (uint64_t i = 0; i < count; i++)
		if (!handle_get(self, handles[i], H_NONE))
			return -E_BADH;
	int free_slots = 0;
	for (int h = 0; h < IDLK_MAX_HANDLES; h++)
		free_slots += self->handles[h].kind == H_NONE;
	if (free_slots == 0)
		return -E_NOMEM;
	const struct bootmodule *m = find_module(name, name_len);
	if (!m)
		return -E_NOENT;
	if (elf_check(P2V(m->start), m->end - m->start) < 0)
		return -E_INVAL;
	/* Invoke: only running out of memory can fail now, and it undoes itself. */
	struct proc *child;
	int64_t err = start(m, (uint32_t)rights, self, handles, count, &child);
	if (err < 0)
		return err;
	int h = handle_add(self, H_PROC, child);
	KASSERT(h >= 0);
	return h;
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
	struct thread *t = thread_alloc(current->proc, entry, stack_top, arg, 0);
	if (!t)
		return -E_NOMEM;
	return t->tid;
}

/* thread_exit(): ends the calling thread; the last thread ends the process. */
int64_t sys_thread_exit(uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4)
{
	(void)a0, (void)a1, (void)a2, (void)a3, (void)a4;
	thread_exit();
	return 0;
}
