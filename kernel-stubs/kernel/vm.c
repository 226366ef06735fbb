/*
 * vm.c: page tables. The kernel half of every address space (PML4 slots
 * 256-511) is the same: all RAM at PHYS_BASE (2 MiB pages, no-execute) and the
 * kernel image at KERNEL_BASE (4 KiB pages: text read-only and executable,
 * rodata read-only, data and bss no-execute). Those slots are filled once in
 * vm_init and copied into each new address space, so they never diverge.
 * The user half (slots 0-255) belongs to one process.
 *
 * Leaf entries of the user half carry PTE_OWNED when the frame belongs to the
 * address space (anonymous memory, program images, DMA buffers) and is freed
 * with it; shared-memory and MMIO frames lack it and outlive the mapping.
 *
 * Locking: one CPU, interrupts off in the kernel (trap.c); no locks.
 */
#include "proc.h"
#include "x86.h"

extern char __text_start[], __rodata_start[], __data_start[], __kernel_end[];

static uint64_t *kernel_pml4;

static uint64_t *table_of(uint64_t entry)
{
	return P2V(entry & PTE_ADDR);
}

/*
 * Returns the leaf entry for va in the kernel's tables, allocating
 * intermediate tables (uncharged: only vm_init builds the kernel half).
 */
static uint64_t *kernel_walk(uint64_t *pml4, uint64_t va)
{
	uint64_t *t = pml4;
	for (int shift = 39; shift > 12; shift -= 9) {
		uint64_t *e = &t[(va >> shift) & 511];
		if (!(*e & PTE_P)) {
			uint64_t pa = pmm_alloc();
			if (!pa)
				panic("vm_init: out of memory");
			*e = pa | PTE_P | PTE_W;
		}
		t = table_of(*e);
	}
	return &t[(va >> 12) & 511];
}

/* The leaf entry for user address va if its page tables exist, else NULL. */
uint64_t *vm_lookup(uint64_t *pml4, uint64_t va)
{
	uint64_t *t = pml4;
	for (int shift = 39; shift > 12; shift -= 9) {
		uint64_t e = t[(va >> shift) & 511];
		if (!(e & PTE_P))
			return NULL;
		t = table_of(e);
	}
	return &t[(va >> 12) & 511];
}

/*
 * Stores in *pte the leaf entry for user address va of p, allocating the
 * missing tables, each charged to p. Intermediate entries are
 * user-accessible and writable; the leaf decides. 0, -E_NOMEM or -E_LIMIT.
 */
int vm_walk_create(struct proc *p, uint64_t va, uint64_t **pte)
{
	KASSERT(va < USER_END);
	uint64_t *t = p->pml4;
	for (int shift = 39; shift > 12; shift -= 9) {
		uint64_t *e = &t[(va >> shift) & 511];
		if (!(*e & PTE_P)) {
			uint64_t pa;
			int err = frame_alloc(p, &pa);
			if (err < 0)
				return err;
			*e = pa | PTE_P | PTE_W | PTE_U;
		}
		t = table_of(*e);
	}
	*pte = &t[(va >> 12) & 511];
	return 0;
}

/* Maps one 4 KiB page of p, which the caller checked is not mapped. */
int vm_map(struct proc *p, uint64_t va, uint64_t pa, uint64_t flags)
{
	uint64_t *pte;
	int err = vm_walk_create(p, va, &pte);
	if (err < 0)
		return err;
	KASSERT(!(*pte & PTE_P));
	*pte = pa | flags | PTE_P;
	return 0;
}

void vm_init(void)
{
	kernel_pml4 = P2V(pmm_alloc());
	/* The direct map of all RAM, in 2 MiB pages. */
	uint64_t top = PAGE_UP(pmm_highest());
	for (uint64_t pa = 0; pa < top; pa += 2ull << 20) {
		uint64_t va = (uint64_t)P2V(pa);
		uint64_t *pdpt_e = &kernel_pml4[(va >> 39) & 511];
		if (!(*pdpt_e & PTE_P))
			*pdpt_e = pmm_alloc() | PTE_P | PTE_W;
		uint64_t *pd_e = &table_of(*pdpt_e)[(va >> 30) & 511];
		if (!(*pd_e & PTE_P))
			*pd_e = pmm_alloc() | PTE_P | PTE_W;
		table_of(*pd_e)[(va >> 21) & 511] = pa | PTE_P | PTE_W | PTE_PS | PTE_G | PTE_NX;
	}
	/* The kernel image, page by page with the permissions of its part. */
	for (uint64_t va = (uint64_t)__text_start; va < (uint64_t)__kernel_end; va += PAGE_SIZE) {
		uint64_t flags = PTE_G;
		if (va >= (uint64_t)__rodata_start)
			flags |= PTE_NX;
		if (va >= (uint64_t)__data_start)
			flags |= PTE_W;
		*kernel_walk(kernel_pml4, va) = (va - KERNEL_BASE_ADDR) | flags | PTE_P;
	}
	/* Every kernel PML4 slot exists now, so copies of the kernel half stay valid. */
	for (int i = 256; i < 512; i++)
		if (!(kernel_pml4[i] & PTE_P))
			kernel_pml4[i] = pmm_alloc() | PTE_P | PTE_W;
	write_cr3(V2P(kernel_pml4));
	pmm_all_mapped();
	kprintf("vm: %lu MiB direct-mapped, kernel W^X, NX on, identity map gone\n", top >> 20);
}

/* Switches to an address space; NULL means the kernel's own. */
void vm_switch(uint64_t *pml4)
{
	write_cr3(V2P(pml4 ? pml4 : kernel_pml4));
}

/* A new address space for p, its PML4 charged to p: an empty user half and
 * the shared kernel half. */
int vm_create(struct proc *p)
{
	uint64_t pa;
	int err = frame_alloc(p, &pa);
	if (err < 0)
		return err;
	p->pml4 = P2V(pa);
	memcpy(p->pml4 + 256, kernel_pml4 + 256, 256 * sizeof(uint64_t));
	return 0;
}

/* Bytes one entry of a table at this level covers (level 1: a page table). */
static uint64_t entry_span(int level)
{
	return PAGE_SIZE << (9 * (level - 1));
}

/*
 * Removes the mappings of [va, end) below table t of the given level, whose
 * first entry maps address t_base; frees the frames p owns and the tables
 * left empty. The work is proportional to the tables that exist, not to the
 * length: absent entries are skipped whole at the highest level.
 * Returns whether t is empty now.
 */
static bool unmap_level(struct proc *p, uint64_t *t, int level, uint64_t t_base, uint64_t va,
                        uint64_t end, bool *table_freed)
{
	uint64_t span = entry_span(level);
	int first = (int)((va > t_base ? va - t_base : 0) / span);
	for (int i = first; i < 512; i++) {
		uint64_t e_base = t_base + (uint64_t)i * span;
		if (e_base >= end)
			break;
		if (!(t[i] & PTE_P))
			continue;
		if (level == 1) {
			uint64_t pte = t[i];
			t[i] = 0;
			invlpg(e_base);
			if (pte & PTE_OWNED)
				frame_free(p, pte & PTE_ADDR);
			else if (pte & PTE_MAPSLOT)
				shm_page_unmapped(p, pte);
		} else if (unmap_level(p, table_of(t[i]), level - 1, e_base, va, end,
		                       table_freed)) {
			uint64_t pa = t[i] & PTE_ADDR;
			t[i] = 0;
			frame_free(p, pa);
			*table_freed = true;
		}
	}
	for (int i = 0; i < 512; i++)
		if (t[i] & PTE_P)
			return false;
	return true;
}

/*
 * Removes p's mappings of [va, va + len), a range in the user half. When a
 * page table goes and p's tables are loaded, the whole TLB is flushed: the
 * CPU may hold the freed table in its paging-structure caches, and the
 * frame may be someone else's next.
 */
void vm_unmap(struct proc *p, uint64_t va, uint64_t len)
{
	KASSERT(vm_user_range(va, len));
	if (len == 0)
		return;
	uint64_t end = va + len;
	bool table_freed = false;
	for (int i = (int)(va >> 39); i < 256 && ((uint64_t)i << 39) < end; i++) {
		if (!(p->pml4[i] & PTE_P))
			continue;
		if (unmap_level(p, table_of(p->pml4[i]), 3, (uint64_t)i << 39, va, end,
		                &table_freed)) {
			uint64_t pa = p->pml4[i] & PTE_ADDR;
			p->pml4[i] = 0;
			frame_free(p, pa);
			table_freed = true;
		}
	}
	if (table_freed && read_cr3() == V2P(p->pml4))
		write_cr3(V2P(p->pml4));
}

/* True if no page of [va, va + len) (in the user half) is mapped in pml4;
 * skips absent tables whole, like unmap_level. */
static bool level_empty(uint64_t *t, int level, uint64_t t_base, uint64_t va, uint64_t end)
{
	uint64_t span = entry_span(level);
	int first = (int)((va > t_base ? va - t_base : 0) / span);
	for (int i = first; i < 512; i++) {
		uint64_t e_base = t_base + (uint64_t)i * span;
		if (e_base >= end)
			break;
		if (!(t[i] & PTE_P))
			continue;
		if (level == 1 || !level_empty(table_of(t[i]), level - 1, e_base, va, end))
			return false;
	}
	return true;
}

bool vm_range_free(uint64_t *pml4, uint64_t va, uint64_t len)
{
	return level_empty(pml4, 4, 0, va, va + len);
}

/* Frees the user half and the PML4; the caller no longer runs on it. */
void vm_destroy(struct proc *p)
{
	vm_unmap(p, USER_START, USER_END - USER_START);
	frame_free(p, V2P(p->pml4));
	p->pml4 = NULL;
}

/* True if [va, va + len) lies in the user half, without wrapping around. */
bool vm_user_range(uint64_t va, uint64_t len)
{
	return va >= USER_START && va <= USER_END && len <= USER_END - va;
}

/*
 * Finds the frame behind user address va if the page is present, user
 * accessible and (when write) writable; returns its kernel address or NULL.
 */
static uint8_t *user_page(uint64_t *pml4, uint64_t va, bool write)
{
	uint64_t *pte = vm_lookup(pml4, va);
	if (!pte || !(*pte & PTE_P) || !(*pte & PTE_U) || (write && !(*pte & PTE_W)))
		return NULL;
	if (*pte & PTE_MMIO)
		return NULL; /* the kernel never copies to or from device memory */
	return (uint8_t *)P2V(*pte & PTE_ADDR) + (va & (PAGE_SIZE - 1));
}

/*
 * Copies between the kernel and a user address space, checking every page
 * first: a bad user pointer is an error (-E_FAULT), never a kernel fault.
 * The copy goes through the direct map, so it works on any address space.
 */
int copy_from_user(uint64_t *pml4, void *dst, uint64_t src, size_t len)
{
	if (len == 0)
		return 0;
	if (!vm_user_range(src, len))
		return -E_FAULT;
	for (uint64_t a = PAGE_DOWN(src); a < src + len; a += PAGE_SIZE)
		if (!user_page(pml4, a, false))
			return -E_FAULT;
	uint8_t *d = dst;
	while (len) {
		size_t n = PAGE_SIZE - (src & (PAGE_SIZE - 1));
		if (n > len)
			n = len;
		memcpy(d, user_page(pml4, src, false), n);
		d += n;
		src += n;
		len -= n;
	}
	return 0;
}

int copy_to_user(uint64_t *pml4, uint64_t dst, const void *src, size_t len)
{
	if (len == 0)
		return 0;
	if (!vm_user_range(dst, len))
		return -E_FAULT;
	for (uint64_t a = PAGE_DOWN(dst); a < dst + len; a += PAGE_SIZE)
		if (!user_page(pml4, a, true))
			return -E_FAULT;
	const uint8_t *s = src;
	while (len) {
		size_t n = PAGE_SIZE - (dst & (PAGE_SIZE - 1));
		if (n > len)
			n = len;
		memcpy(user_page(pml4, dst, true), s, n);
		s += n;
		dst += n;
		len -= n;
	}
	return 0;
}

/* The physical address behind a present user RAM page, or 0 (futex keys). */
uint64_t vm_user_phys(uint64_t *pml4, uint64_t va)
{
	uint64_t *pte = vm_lookup(pml4, va);
	if (!pte || !(*pte & PTE_P) || !(*pte & PTE_U) || (*pte & PTE_MMIO))
		return 0; /* device memory is outside the direct map the kernel reads through */
	return (*pte & PTE_ADDR) | (va & (PAGE_SIZE - 1));
}
