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
#include "defs.h"
#include "x86.h"

extern char __text_start[], __rodata_start[], __data_start[], __kernel_end[];

static uint64_t *kernel_pml4;

static uint64_t *table_of(uint64_t entry)
{
	return P2V(entry & PTE_ADDR);
}

/*
 * Returns the leaf entry for va, allocating intermediate tables if create.
 * Intermediate entries are user-accessible and writable; the leaf decides.
 */
uint64_t *vm_walk(uint64_t *pml4, uint64_t va, bool create)
{
	uint64_t *t = pml4;
	for (int shift = 39; shift > 12; shift -= 9) {
		uint64_t *e = &t[(va >> shift) & 511];
		if (!(*e & PTE_P)) {
			if (!create)
				return NULL;
			uint64_t pa = pmm_alloc();
			if (!pa)
				return NULL;
			*e = pa | PTE_P | PTE_W | (va < USER_END ? PTE_U : 0);
		}
		KASSERT(!(*e & PTE_PS));
		t = table_of(*e);
	}
	return &t[(va >> 12) & 511];
}

/* Maps one 4 KiB page; returns false when a page table cannot be allocated. */
bool vm_map(uint64_t *pml4, uint64_t va, uint64_t pa, uint64_t flags)
{
	uint64_t *pte = vm_walk(pml4, va, true);
	if (!pte)
		return false;
	KASSERT(!(*pte & PTE_P));
	*pte = pa | flags | PTE_P;
	return true;
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
		if (!vm_map(kernel_pml4, va, va - KERNEL_BASE_ADDR, flags))
			panic("vm_init: out of memory");
	}
	/* Every kernel PML4 slot exists now, so copies of the kernel half stay valid. */
	for (int i = 256; i < 512; i++)
		if (!(kernel_pml4[i] & PTE_P))
			kernel_pml4[i] = pmm_alloc() | PTE_P | PTE_W;
	write_cr3(V2P(kernel_pml4));
	kprintf("vm: %lu MiB direct-mapped, kernel W^X, NX on, identity map gone\n", top >> 20);
}

/* Switches to an address space; NULL means the kernel's own. */
void vm_switch(uint64_t *pml4)
{
	write_cr3(V2P(pml4 ? pml4 : kernel_pml4));
}

/* A new address space: an empty user half and the shared kernel half. */
uint64_t *vm_create(void)
{
	uint64_t pa = pmm_alloc();
	if (!pa)
		return NULL;
	uint64_t *pml4 = P2V(pa);
	memcpy(pml4 + 256, kernel_pml4 + 256, 256 * sizeof(uint64_t));
	return pml4;
}

/* Removes the mappings of [va, va + len); frees the frames the space owns. */
void vm_unmap(uint64_t *pml4, uint64_t va, uint64_t len)
{
	for (uint64_t a = va; a < va + len; a += PAGE_SIZE) {
		uint64_t *pte = vm_walk(pml4, a, false);
		if (!pte || !(*pte & PTE_P))
			continue;
		if (*pte & PTE_OWNED)
			pmm_free(*pte & PTE_ADDR);
		*pte = 0;
		invlpg(a);
	}
}

static void free_level(uint64_t *t, int level)
{
	for (int i = 0; i < 512; i++) {
		if (!(t[i] & PTE_P))
			continue;
		if (level > 1)
			free_level(table_of(t[i]), level - 1);
		else if (t[i] & PTE_OWNED)
			pmm_free(t[i] & PTE_ADDR);
	}
	pmm_free(V2P(t));
}

/* Frees the user half and the PML4; the caller no longer runs on it. */
void vm_destroy(uint64_t *pml4)
{
	for (int i = 0; i < 256; i++)
		if (pml4[i] & PTE_P)
			free_level(table_of(pml4[i]), 3);
	pmm_free(V2P(pml4));
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
	uint64_t *pte = vm_walk(pml4, va, false);
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
	uint64_t *pte = vm_walk(pml4, va, false);
	if (!pte || !(*pte & PTE_P) || !(*pte & PTE_U) || (*pte & PTE_MMIO))
		return 0; /* device memory is outside the direct map the kernel reads through */
	return (*pte & PTE_ADDR) | (va & (PAGE_SIZE - 1));
}
