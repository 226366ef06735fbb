/*
 * handle.c: per-process handle tables. A handle is a small integer naming a
 * kernel object (a shared-memory object or a process), which counts its
 * references and dies with the last one, or a device resource: the right to
 * a range of I/O ports, physical device memory, interrupt lines, or to
 * allocate DMA memory. Resources are values with no object behind them:
 * passing one copies it, and a holder can derive narrower ones from it
 * (sys_resource_derive), never wider. The kernel gives init one resource of
 * each kind covering everything at boot; every other process has only what
 * its parent passed at spawn (sys_proc.c): its handles 0, 1, ... in the
 * order the parent listed them.
 *
 * A process uses at most limit[L_HANDLES] slots of its table.
 */
#include "syscall.h"

void obj_get(const struct handle *h)
{
	if (h->kind == H_SHM)
		((struct shm *)h->obj)->refs++;
	else if (h->kind == H_PROC)
		((struct proc *)h->obj)->refs++;
	else if (h->kind == H_CHAN)
		chan_get(h->obj, (int)h->base);
}

void obj_put(const struct handle *h)
{
	if (h->kind == H_PROC)
		proc_put(h->obj);
	else if (h->kind == H_SHM)
		shm_put(h->obj);
	else if (h->kind == H_CHAN)
		chan_put(h->obj, (int)h->base);
}

static bool is_resource(enum handle_kind kind)
{
	return kind == H_IOPORT || kind == H_MMIO || kind == H_IRQ || kind == H_DMA;
}

/* Whether p may take one more handle slot (decode phases check this). */
bool handle_room(const struct proc *p)
{
	return p->used[L_HANDLES] < p->limit[L_HANDLES];
}

/*
 * Puts a copy of h in p's first free slot, taking a reference on its
 * object; -E_LIMIT at p's handle limit.
 */
int handle_add(struct proc *p, const struct handle *h)
{
	if (!handle_room(p))
		return -E_LIMIT;
	for (int i = 0; i < IDLK_MAX_HANDLES; i++) {
		if (p->handles[i].kind == H_NONE) {
			p->handles[i] = *h;
			p->used[L_HANDLES]++;
			obj_get(h);
			return i;
		}
	}
	KASSERT(!"a handle limit above the table size");
	return -E_LIMIT;
}

int handle_add_obj(struct proc *p, enum handle_kind kind, void *obj)
{
	struct handle h = {kind, obj, 0, 0};
	return handle_add(p, &h);
}

/* The handle h of p if it exists and is of kind (H_NONE: any kind). */
struct handle *handle_get(struct proc *p, int64_t h, enum handle_kind kind)
{
	if (h < 0 || h >= IDLK_MAX_HANDLES || p->handles[h].kind == H_NONE)
		return NULL;
	if (kind != H_NONE && p->handles[h].kind != kind)
		return NULL;
	return &p->handles[h];
}

void handle_close(struct proc *p, int h)
{
	struct handle *hd = handle_get(p, h, H_NONE);
	if (!hd)
		return;
	struct handle old = *hd;
	*hd = (struct handle){H_NONE, NULL, 0, 0};
	p->used[L_HANDLES]--;
	if (old.kind == H_CHAN)
		chan_left_table(p, old.obj, (int)old.base);
	obj_put(&old);
}

/* Whether [base, base + size) lies inside resource r (size > 0, no wrap). */
bool resource_covers(const struct handle *r, uint64_t base, uint64_t size)
{
	return size > 0 && base >= r->base && base - r->base <= r->size &&
	       size <= r->size - (base - r->base);
}

/* handle_close(handle): drops the handle; mappings of an object stay. */
int64_t sys_handle_close(uint64_t h, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4)
{
	(void)a1, (void)a2, (void)a3, (void)a4;
	if (!handle_get(current->proc, (int64_t)h, H_NONE))
		return -E_BADH;
	handle_close(current->proc, (int)h);
	return 0;
}

/*
 * resource_derive(handle, base, size) -> handle: a new resource handle of
 * the same kind for [base, base + size), which must lie inside the given
 * one. For DMA, base is 0 and size the largest allocation it allows.
 */
int64_t sys_resource_derive(uint64_t h, uint64_t base, uint64_t size, uint64_t a3, uint64_t a4)
{
	(void)a3, (void)a4;
	struct proc *p = current->proc;
	/* Decode. */
	struct handle *r = handle_get(p, (int64_t)h, H_NONE);
	if (!r || !is_resource(r->kind))
		return -E_BADH;
	if (r->kind == H_DMA && base != 0)
		return -E_INVAL;
	if (!resource_covers(r, base, size))
		return -E_PERM;
	if (!handle_room(p))
		return -E_LIMIT;
	/* Invoke. */
	struct handle narrow = {r->kind, NULL, base, size};
	return handle_add(p, &narrow);
}

/* handle_dup(handle) -> handle: a second handle to the same object or
 * resource; each must be closed on its own. */
int64_t sys_handle_dup(uint64_t h, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4)
{
	(void)a1, (void)a2, (void)a3, (void)a4;
	struct proc *p = current->proc;
	struct handle *hd = handle_get(p, (int64_t)h, H_NONE);
	if (!hd)
		return -E_BADH;
	struct handle copy = *hd;
	return handle_add(p, &copy);
}

/* handle_info(handle, info) -> kind: what a handle is (struct idlk_handle_info). */
int64_t sys_handle_info(uint64_t h, uint64_t out, uint64_t a2, uint64_t a3, uint64_t a4)
{
	(void)a2, (void)a3, (void)a4;
	struct proc *p = current->proc;
	struct handle *hd = handle_get(p, (int64_t)h, H_NONE);
	if (!hd)
		return -E_BADH;
	struct idlk_handle_info info = {(uint64_t)hd->kind, hd->base, hd->size, 0};
	const struct shm *mem = NULL;
	if (hd->kind == H_SHM)
		mem = hd->obj;
	else if (hd->kind == H_CHAN)
		mem = chan_memory(hd->obj);
	else if (hd->kind == H_PROC)
		info.object = (uint64_t)((const struct proc *)hd->obj)->pid;
	if (mem) {
		info.size = mem->npages * PAGE_SIZE;
		info.object = mem->id;
	}
	if (copy_to_user(p->pml4, out, &info, sizeof(info)) < 0)
		return -E_FAULT;
	return (int64_t)info.kind;
}
