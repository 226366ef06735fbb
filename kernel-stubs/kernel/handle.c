/*
 * handle.c: per-process handle tables. A handle is a small integer naming a
 * kernel object (a shared-memory object or a process) that the process may
 * use; objects count their references and die with the last one. A process
 * gets its first handles from its parent at spawn (sys_proc.c): they are the
 * handles 0, 1, ... of the child, in the order the parent listed them.
 */
#include "proc.h"

void obj_get(enum handle_kind kind, void *obj)
{
	if (kind == H_SHM)
		((struct shm *)obj)->refs++;
	else if (kind == H_PROC)
		((struct proc *)obj)->refs++;
}

void obj_put(enum handle_kind kind, void *obj)
{
	if (kind == H_PROC) {
		proc_put(obj);
		return;
	}
	struct shm *s = obj;
	KASSERT(kind == H_SHM && s->refs > 0);
	if (--s->refs > 0)
		return;
	for (size_t i = 0; i < s->npages; i++)
		pmm_free(s->frames[i]);
	pmm_free(V2P(s->frames));
	s->frames = NULL;
	s->npages = 0;
}

/* Puts obj in p's first free slot, taking a reference; -E_NOMEM if full. */
int handle_add(struct proc *p, enum handle_kind kind, void *obj)
{
	for (int h = 0; h < IDLK_MAX_HANDLES; h++) {
		if (p->handles[h].kind == H_NONE) {
			p->handles[h] = (struct handle){kind, obj};
			obj_get(kind, obj);
			return h;
		}
	}
	return -E_NOMEM;
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
	hd->kind = H_NONE;
	hd->obj = NULL;
	obj_put(old.kind, old.obj);
}
