/*
 * pmm.c: physical page frames. The free memory is the Multiboot2 map's
 * available RAM above 1 MiB, minus the kernel image, the boot information and
 * the boot modules. Frames are handed out first from a list of freed frames,
 * then by bumping through the free ranges in address order; the bump part is
 * also where physically contiguous runs (DMA buffers) come from.
 *
 * Locking: the kernel runs on one CPU with interrupts off (see trap.c), so
 * nothing here needs a lock.
 */
#include "defs.h"

extern char __kernel_end[];

struct range {
	uint64_t next, end; /* [next, end): not yet handed out */
};

static struct range ranges[32];
static size_t nranges;
static uint64_t free_list; /* physical address of the first freed frame, or 0 */
static uint64_t free_pages;

/* Removes [lo, hi) from the range r, keeping the larger remaining part. */
static void cut(struct range *r, uint64_t lo, uint64_t hi)
{
	if (hi <= r->next || lo >= r->end)
		return;
	if (lo - r->next >= r->end - hi)
		r->end = lo > r->next ? lo : r->next;
	else
		r->next = hi;
}

void pmm_init(void)
{
	uint64_t kernel_end = (uint64_t)__kernel_end - KERNEL_BASE_ADDR;
	for (size_t i = 0; i < bootinfo.nram && nranges < ARRAY_LEN(ranges); i++) {
		struct range r = {PAGE_UP(bootinfo.ram[i].base), PAGE_DOWN(bootinfo.ram[i].end)};
		cut(&r, 0, 0x100000);
		cut(&r, 0x100000, PAGE_UP(kernel_end));
		cut(&r, PAGE_DOWN(bootinfo.mbi_start), PAGE_UP(bootinfo.mbi_end));
		for (size_t m = 0; m < bootinfo.nmodules; m++)
			cut(&r, PAGE_DOWN(bootinfo.modules[m].start),
			    PAGE_UP(bootinfo.modules[m].end));
		if (r.next < r.end)
			ranges[nranges++] = r;
	}
	/* Ascending order, so early page tables come from the boot-mapped first GiB. */
	for (size_t i = 1; i < nranges; i++)
		for (size_t j = i; j > 0 && ranges[j].next < ranges[j - 1].next; j--) {
			struct range t = ranges[j];
			ranges[j] = ranges[j - 1];
			ranges[j - 1] = t;
		}
	for (size_t i = 0; i < nranges; i++)
		free_pages += (ranges[i].end - ranges[i].next) / PAGE_SIZE;
	kprintf("pmm: %lu free pages (%lu KiB) in %u ranges\n", free_pages, free_pages * 4,
	        (unsigned)nranges);
}

uint64_t pmm_highest(void)
{
	uint64_t top = 0;
	for (size_t i = 0; i < bootinfo.nram; i++)
		if (bootinfo.ram[i].end > top)
			top = bootinfo.ram[i].end;
	return top;
}

/* Returns a zeroed frame's physical address, or 0 when memory is exhausted. */
uint64_t pmm_alloc(void)
{
	uint64_t pa = free_list;
	if (pa) {
		free_list = *(uint64_t *)P2V(pa);
	} else {
		pa = pmm_alloc_contiguous(1);
		if (!pa)
			return 0;
		free_pages++; /* pmm_alloc_contiguous counted it */
	}
	free_pages--;
	memset(P2V(pa), 0, PAGE_SIZE);
	return pa;
}

/* Returns the physical address of n zeroed, physically contiguous frames. */
uint64_t pmm_alloc_contiguous(size_t n)
{
	for (size_t i = 0; i < nranges; i++) {
		if ((ranges[i].end - ranges[i].next) / PAGE_SIZE >= n) {
			uint64_t pa = ranges[i].next;
			ranges[i].next += n * PAGE_SIZE;
			free_pages -= n;
			memset(P2V(pa), 0, n * PAGE_SIZE);
			return pa;
		}
	}
	return 0;
}

void pmm_free(uint64_t pa)
{
	KASSERT(pa && pa % PAGE_SIZE == 0);
	*(uint64_t *)P2V(pa) = free_list;
	free_list = pa;
	free_pages++;
}

uint64_t pmm_free_pages(void)
{
	return free_pages;
}

/* True if pa is RAM that this allocator manages (so never an MMIO target). */
bool pmm_is_ram(uint64_t pa)
{
	for (size_t i = 0; i < bootinfo.nram; i++)
		if (pa >= bootinfo.ram[i].base && pa < bootinfo.ram[i].end)
			return true;
	return pa < 0xa0000; /* conventional memory; 0xa0000-0xfffff is VGA and ROM */
}
