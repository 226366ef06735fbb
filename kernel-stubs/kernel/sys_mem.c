/*
 * sys_mem.c: anonymous memory and shared-memory objects. Anonymous pages
 * belong to one address space (PTE_OWNED) and are freed with it. A
 * shared-memory object's frames belong to the object; every address space
 * that maps it holds a reference until it exits, so unmapping (or closing
 * the handle) never frees a frame that another process still sees.
 */
#include "syscall.h"

#define MAP_MAX_BYTES (1ull << 30)
#define SHM_MAX_PAGES 512 /* the frame list fills one page */

static struct shm shms[NSHM];

uint64_t prot_flags(uint64_t prot)
{
	return PTE_U | (prot & IDLK_PROT_WRITE ? PTE_W : 0) | (prot & IDLK_PROT_EXEC ? 0 : PTE_NX);
}

static bool prot_ok(uint64_t prot)
{
	return (prot & IDLK_PROT_READ) &&
	       !(prot & ~(uint64_t)(IDLK_PROT_READ | IDLK_PROT_WRITE | IDLK_PROT_EXEC));
}

/*
 * Checks a request to map len bytes at addr (0: let the kernel choose) in p:
 * page-aligned, non-empty, bounded, in the user half and not mapped yet.
 * Stores the address to use; changes nothing.
 */
int64_t map_decode(struct proc *p, uint64_t addr, uint64_t len, uint64_t *out)
{
	if (len == 0 || len % PAGE_SIZE || len > MAP_MAX_BYTES || addr % PAGE_SIZE)
		return -E_INVAL;
	if (addr == 0)
		addr = p->map_next;
	if (!vm_user_range(addr, len))
		return -E_INVAL;
	for (uint64_t va = addr; va < addr + len; va += PAGE_SIZE) {
		uint64_t *pte = vm_walk(p->pml4, va, false);
		if (pte && (*pte & PTE_P))
			return -E_BUSY;
	}
	*out = addr;
	return 0;
}

/* After a successful map at the kernel's choice, the next one goes above it. */
static void advance(struct proc *p, uint64_t addr, uint64_t len, uint64_t asked)
{
	if (asked == 0)
		p->map_next = addr + len + PAGE_SIZE; /* a guard page between mappings */
}

/* map(addr, len, prot) -> addr: zeroed anonymous memory. */
int64_t sys_map(uint64_t addr, uint64_t len, uint64_t prot, uint64_t a3, uint64_t a4)
{
	(void)a3, (void)a4;
	struct proc *p = current->proc;
	uint64_t at;
	if (!prot_ok(prot))
		return -E_INVAL;
	int64_t err = map_decode(p, addr, len, &at);
	if (err < 0)
		return err;
	for (uint64_t va = at; va < at + len; va += PAGE_SIZE) {
		uint64_t pa = pmm_alloc();
		if (!pa || !vm_map(p->pml4, va, pa, prot_flags(prot) | PTE_OWNED)) {
			if (pa)
				pmm_free(pa);
			vm_unmap(p->pml4, at, va - at);
			return -E_NOMEM;
		}
	}
	advance(p, at, len, addr);
	return (int64_t)at;
}

/* unmap(addr, len): removes mappings; anonymous pages are freed. */
int64_t sys_unmap(uint64_t addr, uint64_t len, uint64_t a2, uint64_t a3, uint64_t a4)
{
	(void)a2, (void)a3, (void)a4;
	if (len == 0 || len % PAGE_SIZE || addr % PAGE_SIZE || !vm_user_range(addr, len))
		return -E_INVAL;
	vm_unmap(current->proc->pml4, addr, len);
	return 0;
}

/* shm_create(len) -> handle: a zeroed shared-memory object of len bytes. */
int64_t sys_shm_create(uint64_t len, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4)
{
	(void)a1, (void)a2, (void)a3, (void)a4;
	struct proc *p = current->proc;
	if (len == 0 || len % PAGE_SIZE || len / PAGE_SIZE > SHM_MAX_PAGES)
		return -E_INVAL;
	struct shm *s = NULL;
	for (int i = 0; i < NSHM && !s; i++)
		if (shms[i].refs == 0)
			s = &shms[i];
	bool slot = false;
	for (int h = 0; h < IDLK_MAX_HANDLES; h++)
		slot |= p->handles[h].kind == H_NONE;
	if (!s || !slot)
		return -E_NOMEM;
	uint64_t list = pmm_alloc();
	if (!list)
		return -E_NOMEM;
	s->frames = P2V(list);
	for (s->npages = 0; s->npages < len / PAGE_SIZE; s->npages++) {
		uint64_t pa = pmm_alloc();
		if (!pa) {
			s->refs = 1;
			obj_put(H_SHM, s);
			return -E_NOMEM;
		}
		s->frames[s->npages] = pa;
	}
	return handle_add(p, H_SHM, s);
}

/* shm_map(handle, addr, prot) -> addr: maps the whole object. */
int64_t sys_shm_map(uint64_t h, uint64_t addr, uint64_t prot, uint64_t a3, uint64_t a4)
{
	(void)a3, (void)a4;
	struct proc *p = current->proc;
	struct handle *hd = handle_get(p, (int64_t)h, H_SHM);
	if (!hd)
		return -E_BADH;
	struct shm *s = hd->obj;
	if (!prot_ok(prot))
		return -E_INVAL;
	uint64_t at;
	int64_t err = map_decode(p, addr, s->npages * PAGE_SIZE, &at);
	if (err < 0)
		return err;
	int slot = -1;
	for (int m = 0; m < (int)ARRAY_LEN(p->mapped); m++) {
		if (p->mapped[m] == s) {
			slot = m;
			break;
		}
		if (!p->mapped[m] && slot < 0)
			slot = m;
	}
	if (slot < 0)
		return -E_NOMEM;
	for (size_t i = 0; i < s->npages; i++) {
		if (!vm_map(p->pml4, at + i * PAGE_SIZE, s->frames[i], prot_flags(prot))) {
			vm_unmap(p->pml4, at, i * PAGE_SIZE);
			return -E_NOMEM;
		}
	}
	if (p->mapped[slot] != s) {
		p->mapped[slot] = s;
		obj_get(H_SHM, s);
	}
	advance(p, at, s->npages * PAGE_SIZE, addr);
	return (int64_t)at;
}

/* handle_close(handle): drops the handle; mappings of the object stay. */
int64_t sys_handle_close(uint64_t h, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4)
{
	(void)a1, (void)a2, (void)a3, (void)a4;
	if (!handle_get(current->proc, (int64_t)h, H_NONE))
		return -E_BADH;
	handle_close(current->proc, (int)h);
	return 0;
}
