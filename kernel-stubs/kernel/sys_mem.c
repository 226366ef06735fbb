/*
 * sys_mem.c: anonymous memory and shared-memory objects. Anonymous pages
 * belong to one address space (PTE_OWNED) and are freed with it. A
 * shared-memory object's frames belong to the object; every address space
 * that maps it holds a reference until it exits, so unmapping (or closing
 * the handle) never frees a frame that another process still sees. All of
 * it counts against the pages limit of the process that allocated it
 * (limits.c); an object's pages count against its creator's.
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
 * Stores the address to use; changes nothing. The emptiness check skips
 * absent page tables whole, so it costs what p has mapped, not len.
 */
int64_t map_decode(struct proc *p, uint64_t addr, uint64_t len, uint64_t *out)
{
	if (len == 0 || len % PAGE_SIZE || len > MAP_MAX_BYTES || addr % PAGE_SIZE)
		return -E_INVAL;
	if (addr == 0)
		addr = p->map_next;
	if (!vm_user_range(addr, len))
		return -E_INVAL;
	if (!vm_range_free(p->pml4, addr, len))
		return -E_BUSY;
	*out = addr;
	return 0;
}

/* After a successful map at the kernel's choice, the next one goes above it. */
void map_advance(struct proc *p, uint64_t addr, uint64_t len, uint64_t asked)
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
	err = limit_check(p, L_PAGES, len / PAGE_SIZE); /* page tables may still exceed it */
	if (err < 0)
		return err;
	/* Invoke: running out of memory or of the pages limit undoes it all. */
	for (uint64_t va = at; va < at + len; va += PAGE_SIZE) {
		uint64_t pa;
		int e = frame_alloc(p, &pa);
		if (e == 0) {
			e = vm_map(p, va, pa, prot_flags(prot) | PTE_OWNED);
			if (e < 0)
				frame_free(p, pa);
		}
		if (e < 0) {
			vm_unmap(p, at, va - at);
			return e;
		}
	}
	map_advance(p, at, len, addr);
	return (int64_t)at;
}

/* unmap(addr, len): removes mappings; anonymous pages are freed. */
int64_t sys_unmap(uint64_t addr, uint64_t len, uint64_t a2, uint64_t a3, uint64_t a4)
{
	(void)a2, (void)a3, (void)a4;
	if (len == 0 || len % PAGE_SIZE || addr % PAGE_SIZE || !vm_user_range(addr, len))
		return -E_INVAL;
	vm_unmap(current->proc, addr, len);
	return 0;
}

/* Frees an object whose last reference went: its frames and frame list
 * return to its owner's pages limit, the object to its owner's shms. */
static void shm_free(struct shm *s)
{
	for (size_t i = 0; i < s->npages; i++)
		frame_free(s->owner, s->frames[i]);
	frame_free(s->owner, V2P(s->frames));
	limit_give(s->owner, L_SHMS, 1);
	s->frames = NULL;
	s->npages = 0;
	s->owner = NULL;
}

void shm_put(struct shm *s)
{
	KASSERT(s->refs > 0);
	if (--s->refs == 0)
		shm_free(s);
}

/* A reaped process's objects now count against its parent (limits.c). */
void shm_change_owner(struct proc *from, struct proc *to)
{
	for (int i = 0; i < NSHM; i++)
		if (shms[i].refs > 0 && shms[i].owner == from)
			shms[i].owner = to;
}

bool shm_size_ok(uint64_t len)
{
	return len != 0 && len % PAGE_SIZE == 0 && len / PAGE_SIZE <= SHM_MAX_PAGES;
}

/*
 * The invoke half of making a shared-memory object of len bytes for p (the
 * caller checked the size and left a handle slot): takes p's shms and pages
 * limits, allocates, and stores the object with one reference. 0, -E_LIMIT
 * or -E_NOMEM, and then nothing is left behind.
 */
int64_t shm_create(struct proc *p, uint64_t len, struct shm **out)
{
	KASSERT(shm_size_ok(len));
	struct shm *s = NULL;
	for (int i = 0; i < NSHM && !s; i++)
		if (shms[i].refs == 0)
			s = &shms[i];
	if (!s)
		return -E_NOMEM;
	int64_t err = limit_check(p, L_PAGES, len / PAGE_SIZE + 1);
	if (err < 0)
		return err;
	err = limit_take(p, L_SHMS, 1);
	if (err < 0)
		return err;
	uint64_t list;
	err = frame_alloc(p, &list);
	if (err < 0) {
		limit_give(p, L_SHMS, 1);
		return err;
	}
	static uint64_t next_id = 1;
	s->refs = 1;
	s->owner = p;
	s->id = next_id++;
	s->frames = P2V(list);
	for (s->npages = 0; s->npages < len / PAGE_SIZE; s->npages++) {
		err = frame_alloc(p, &s->frames[s->npages]);
		if (err < 0) {
			shm_put(s);
			return err;
		}
	}
	*out = s;
	return 0;
}

/* shm_create(len) -> handle: a zeroed shared-memory object of len bytes. */
int64_t sys_shm_create(uint64_t len, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4)
{
	(void)a1, (void)a2, (void)a3, (void)a4;
	struct proc *p = current->proc;
	/* Decode. */
	if (!shm_size_ok(len))
		return -E_INVAL;
	if (!handle_room(p))
		return -E_LIMIT;
	/* Invoke. */
	struct shm *s;
	int64_t err = shm_create(p, len, &s);
	if (err < 0)
		return err;
	err = handle_add_obj(p, H_SHM, s);
	shm_put(s); /* the handle holds it now */
	return err;
}

/* shm_map(handle, addr, prot) -> addr: maps the whole object, or the memory
 * of a channel whose end the handle is. */
int64_t sys_shm_map(uint64_t h, uint64_t addr, uint64_t prot, uint64_t a3, uint64_t a4)
{
	(void)a3, (void)a4;
	struct proc *p = current->proc;
	/* Decode. */
	struct handle *hd = handle_get(p, (int64_t)h, H_NONE);
	if (!hd || (hd->kind != H_SHM && hd->kind != H_CHAN))
		return -E_BADH;
	struct shm *s = hd->kind == H_SHM ? hd->obj : chan_memory(hd->obj);
	if (!prot_ok(prot))
		return -E_INVAL;
	uint64_t at;
	int64_t err = map_decode(p, addr, s->npages * PAGE_SIZE, &at);
	if (err < 0)
		return err;
	int slot = -1;
	for (int m = 0; m < NMAPPED; m++) {
		if (p->maps[m].shm == s) {
			slot = m;
			break;
		}
		if (!p->maps[m].shm && slot < 0)
			slot = m;
	}
	if (slot < 0)
		return -E_NOMEM;
	/* Invoke: only the page tables can fail, and that undoes it all. */
	if (!p->maps[slot].shm) {
		p->maps[slot].shm = s;
		p->maps[slot].pages = 0;
		s->refs++;
	}
	uint64_t flags = prot_flags(prot) | (uint64_t)(slot + 1) << PTE_MAPSLOT_SHIFT;
	for (size_t i = 0; i < s->npages; i++) {
		err = vm_map(p, at + i * PAGE_SIZE, s->frames[i], flags);
		if (err < 0) {
			if (i == 0 && p->maps[slot].pages == 0)
				shm_page_unmapped(p, flags | PTE_P); /* as if one went */
			else
				vm_unmap(p, at, i * PAGE_SIZE);
			return err;
		}
		p->maps[slot].pages++;
	}
	map_advance(p, at, s->npages * PAGE_SIZE, addr);
	return (int64_t)at;
}

/* A page of a shared object, whose entry was pte, left p's address space;
 * with the object's last page goes p's reference to it. */
void shm_page_unmapped(struct proc *p, uint64_t pte)
{
	int slot = (int)((pte & PTE_MAPSLOT) >> PTE_MAPSLOT_SHIFT) - 1;
	KASSERT(slot >= 0 && slot < NMAPPED && p->maps[slot].shm);
	if (p->maps[slot].pages > 0)
		p->maps[slot].pages--;
	if (p->maps[slot].pages == 0) {
		struct shm *s = p->maps[slot].shm;
		p->maps[slot].shm = NULL;
		shm_put(s);
	}
}
