/*
 * limits.c: per-process limits, and the accounting of what each process
 * holds against them: threads, descendant processes, shared-memory objects,
 * handle slots and pages of memory (what it maps, its page tables, the
 * shared objects it created).
 *
 * A parent sets its child's limits at spawn, and they are carved out of the
 * parent's own: while the child lives, its whole limit counts as used by the
 * parent (and a child counts one process more). So the limits of all
 * processes nest inside init's, which are the machine's (NTHREAD threads,
 * NPROC processes, NSHM objects, the free pages at boot), and no process can
 * take what was given to another. Handle slots are not carved: each process
 * has its own table, and its limit only caps how much of it may be used.
 *
 * When a process is reaped, what it still holds (shared objects other
 * processes keep alive, children that outlive it) becomes its parent's: the
 * parent gets back the carved limit and is charged for what remains, which
 * keeps every count exact. The one process a child counts against its parent
 * is given back only when the child's slot is freed (the last handle to it
 * closed): an ended child that its parent keeps a handle to still fills a
 * slot of the process table, and must not let the parent fill them all.
 *
 * Locking: one CPU, interrupts off in the kernel; no locks.
 */
#include "proc.h"

static bool carved(int k)
{
	return k != L_HANDLES;
}

/* A child counts one process against its parent, besides its own limit. */
static uint64_t carve_size(const uint64_t limit[NLIMITS], int k)
{
	return limit[k] + (k == L_PROCS);
}

void limits_from_abi(const struct idlk_limits *l, uint64_t out[NLIMITS])
{
	out[L_THREADS] = l->threads;
	out[L_PROCS] = l->procs;
	out[L_SHMS] = l->shms;
	out[L_HANDLES] = l->handles;
	out[L_PAGES] = l->pages;
}

void limits_to_abi(const uint64_t v[NLIMITS], struct idlk_limits *out)
{
	out->threads = v[L_THREADS];
	out->procs = v[L_PROCS];
	out->shms = v[L_SHMS];
	out->handles = v[L_HANDLES];
	out->pages = v[L_PAGES];
}

/* init's limits: the whole machine, as it is when init is created. */
void limits_set_root(uint64_t limit[NLIMITS])
{
	limit[L_THREADS] = NTHREAD;
	limit[L_PROCS] = NPROC - 1;
	limit[L_SHMS] = NSHM;
	limit[L_HANDLES] = IDLK_MAX_HANDLES;
	limit[L_PAGES] = pmm_free_pages();
}

/*
 * Decode half of a spawn: whether parent can give a child these limits.
 * -E_INVAL for limits no process can live with (no thread, no page, more
 * handles than a table has), -E_LIMIT when they do not fit in what the
 * parent has left.
 */
int limits_check_grant(const struct proc *parent, const uint64_t want[NLIMITS])
{
	if (want[L_THREADS] == 0 || want[L_PAGES] == 0 || want[L_HANDLES] > IDLK_MAX_HANDLES)
		return -E_INVAL;
	for (int k = 0; k < NLIMITS; k++) {
		if (!carved(k))
			continue;
		uint64_t left =
		    parent->used[k] < parent->limit[k] ? parent->limit[k] - parent->used[k] : 0;
		uint64_t self = k == L_PROCS; /* the child itself */
		if (want[k] > left || left - want[k] < self)
			return -E_LIMIT;
	}
	return 0;
}

/* Gives child its limits (checked by limits_check_grant), carved from parent's. */
void limits_grant(struct proc *parent, struct proc *child, const uint64_t want[NLIMITS])
{
	child->parent = parent;
	for (int k = 0; k < NLIMITS; k++) {
		child->limit[k] = want[k];
		child->used[k] = 0;
		if (parent && carved(k))
			parent->used[k] += carve_size(want, k);
	}
}

/*
 * p was reaped: its threads, memory and handles are gone. Its parent gets
 * back p's limit (all but p's own process slot, see limits_free_slot) and
 * takes over what p still holds: the shared objects p created that others
 * keep alive (sys_mem.c), and p's children, running or ended.
 */
void limits_release(struct proc *p)
{
	struct proc *to = p->parent;
	KASSERT(p->used[L_THREADS] == 0);
	if (!to)
		return; /* init, which never ends while the system runs */
	for (int k = 0; k < NLIMITS; k++) {
		if (!carved(k))
			continue;
		limit_give(to, k, p->limit[k]);
		to->used[k] += p->used[k];
		p->used[k] = 0;
	}
	for (int i = 0; i < NPROC; i++)
		if (procs[i].parent == p && &procs[i] != p)
			procs[i].parent = to;
	shm_change_owner(p, to);
}

/* p's slot in the process table is free again: the last count of it goes. */
void limits_free_slot(struct proc *p)
{
	if (p->parent)
		limit_give(p->parent, L_PROCS, 1);
	p->parent = NULL;
}

/* Whether n more of p's limit k are left: 0 or -E_LIMIT (decode phases). */
int limit_check(const struct proc *p, enum limit_kind k, uint64_t n)
{
	if (p->used[k] > p->limit[k] || n > p->limit[k] - p->used[k])
		return -E_LIMIT;
	return 0;
}

/* Takes n of p's limit k: 0, or -E_LIMIT and nothing taken. */
int limit_take(struct proc *p, enum limit_kind k, uint64_t n)
{
	int err = limit_check(p, k, n);
	if (err == 0)
		p->used[k] += n;
	return err;
}

void limit_give(struct proc *p, enum limit_kind k, uint64_t n)
{
	KASSERT(p->used[k] >= n);
	p->used[k] -= n;
}

/* A zeroed frame charged to p: 0, -E_LIMIT or -E_NOMEM. */
int frame_alloc(struct proc *p, uint64_t *pa)
{
	int err = limit_take(p, L_PAGES, 1);
	if (err < 0)
		return err;
	*pa = pmm_alloc();
	if (!*pa) {
		limit_give(p, L_PAGES, 1);
		return -E_NOMEM;
	}
	return 0;
}

/* Frees a frame charged to p. Futex waiters on it learn that it is gone
 * before anyone else can get it. */
void frame_free(struct proc *p, uint64_t pa)
{
	futex_page_gone(pa);
	pmm_free(pa);
	limit_give(p, L_PAGES, 1);
}
