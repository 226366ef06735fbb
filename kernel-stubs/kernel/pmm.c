/*
 * pmm.c: physical page frames. The free memory is the Multiboot2 map's
 * available RAM above 1 MiB, minus the kernel image, the boot information and
 * the boot modules. One bit per frame up to the highest such address says
 * whether it is free; a freed frame is as good as one never used, so
 * physically contiguous runs (kernel stacks, DMA buffers) can be found again
 * after any pattern of allocation and freeing, as long as the memory exists.
 *
 * Single frames come from the top of memory downwards and contiguous runs
 * from the bottom upwards, so the page-by-page churn of user memory does not
 * fragment the low memory where runs are found. Before vm_init maps all RAM,
 * only the first GiB (mapped by boot.S) is handed out.
 *
 * Locking: the kernel runs on one CPU with interrupts off (see trap.c), so
 * nothing here needs a lock.
 */
#include "defs.h"

extern char __kernel_end[];

#define BOOT_MAPPED_BYTES (1ull << 30)

static uint64_t *bitmap;     /* bit set: the frame is in use or not RAM we manage */
static uint64_t nframes;     /* frames the bitmap covers, from physical address 0 */
static uint64_t ceiling;     /* frames at and above this are not handed out yet */
static uint64_t single_hint; /* search for single frames starts below this word */
static uint64_t free_pages;

static bool frame_used(uint64_t f)
{
	return bitmap[f / 64] >> (f % 64) & 1;
}

static void mark_used(uint64_t f)
{
	bitmap[f / 64] |= 1ull << (f % 64);
}

static void mark_free(uint64_t f)
{
	bitmap[f / 64] &= ~(1ull << (f % 64));
}

/* Removes [lo, hi) from the range [*next, *end), keeping the larger part. */
static void cut(uint64_t *next, uint64_t *end, uint64_t lo, uint64_t hi)
{
	if (hi <= *next || lo >= *end)
		return;
	if (lo - *next >= *end - hi)
		*end = lo > *next ? lo : *next;
	else
		*next = hi;
}

/* The usable part of RAM range i (page-aligned, without what is reserved). */
static void usable_range(size_t i, uint64_t *next, uint64_t *end)
{
	uint64_t kernel_end = (uint64_t)__kernel_end - KERNEL_BASE_ADDR;
	*next = PAGE_UP(bootinfo.ram[i].base);
	*end = PAGE_DOWN(bootinfo.ram[i].end);
	cut(next, end, 0, 0x100000);
	cut(next, end, 0x100000, PAGE_UP(kernel_end));
	cut(next, end, PAGE_DOWN(bootinfo.mbi_start), PAGE_UP(bootinfo.mbi_end));
	for (size_t m = 0; m < bootinfo.nmodules; m++)
		cut(next, end, PAGE_DOWN(bootinfo.modules[m].start),
		    PAGE_UP(bootinfo.modules[m].end));
}

void pmm_init(void)
{
	uint64_t top = 0;
	for (size_t i = 0; i < bootinfo.nram; i++) {
		uint64_t next, end;
		usable_range(i, &next, &end);
		if (next < end && end > top)
			top = end;
	}
	nframes = top / PAGE_SIZE;
	uint64_t bitmap_bytes = PAGE_UP((nframes + 63) / 64 * 8);
	/* The bitmap takes the lowest usable run big enough, inside the boot map. */
	uint64_t at = 0;
	for (size_t i = 0; i < bootinfo.nram && !at; i++) {
		uint64_t next, end;
		usable_range(i, &next, &end);
		if (next < end && end - next >= bitmap_bytes &&
		    next + bitmap_bytes <= BOOT_MAPPED_BYTES)
			at = next;
	}
	if (!at)
		panic("pmm: no room for the frame bitmap");
	bitmap = P2V(at);
	memset(bitmap, 0xff, bitmap_bytes);
	for (size_t i = 0; i < bootinfo.nram; i++) {
		uint64_t next, end;
		usable_range(i, &next, &end);
		for (uint64_t pa = next; pa < end; pa += PAGE_SIZE) {
			if (pa >= at && pa < at + bitmap_bytes)
				continue;
			if (frame_used(pa / PAGE_SIZE)) {
				mark_free(pa / PAGE_SIZE);
				free_pages++;
			}
		}
	}
	ceiling = nframes < BOOT_MAPPED_BYTES / PAGE_SIZE ? nframes : BOOT_MAPPED_BYTES / PAGE_SIZE;
	single_hint = (ceiling + 63) / 64;
	kprintf("pmm: %lu free pages (%lu KiB), bitmap of %lu frames\n", free_pages, free_pages * 4,
	        nframes);
}

/* vm_init mapped all RAM: every frame may be handed out now. */
void pmm_all_mapped(void)
{
	ceiling = nframes;
	single_hint = (ceiling + 63) / 64;
}

uint64_t pmm_highest(void)
{
	uint64_t top = 0;
	for (size_t i = 0; i < bootinfo.nram; i++)
		if (bootinfo.ram[i].end > top)
			top = bootinfo.ram[i].end;
	return top;
}

static void zero_frames(uint64_t pa, size_t n)
{
	uint64_t words = n * PAGE_SIZE / 8;
	void *p = P2V(pa);
	__asm__ volatile("rep stosq" : "+D"(p), "+c"(words) : "a"(0ull) : "memory");
}

/* The highest free frame below the ceiling, searching down from the hint. */
static uint64_t find_single(void)
{
	uint64_t words = (ceiling + 63) / 64;
	for (int pass = 0; pass < 2; pass++) {
		for (uint64_t w = pass ? words : single_hint; w-- > 0;) {
			uint64_t free_bits = ~bitmap[w];
			if (!free_bits)
				continue;
			uint64_t f = w * 64 + 63 - (uint64_t)__builtin_clzll(free_bits);
			if (f >= ceiling) {
				/* the top word is partial: look below the ceiling only */
				uint64_t below = ceiling - w * 64;
				free_bits &= below ? (1ull << below) - 1 : 0;
				if (!free_bits)
					continue;
				f = w * 64 + 63 - (uint64_t)__builtin_clzll(free_bits);
			}
			single_hint = w + 1;
			return f;
		}
	}
	return 0;
}

/* Returns a zeroed frame's physical address, or 0 when memory is exhausted. */
uint64_t pmm_alloc(void)
{
	uint64_t f = find_single();
	if (!f)
		return 0;
	mark_used(f);
	free_pages--;
	zero_frames(f * PAGE_SIZE, 1);
	return f * PAGE_SIZE;
}

/*
 * Returns the physical address of n zeroed, physically contiguous frames,
 * the lowest such run, or 0 if there is none. Linear in the frames below
 * the run; n is bounded by the callers (kernel stacks, DMA_MAX_BYTES).
 */
uint64_t pmm_alloc_contiguous(size_t n)
{
	if (n == 0)
		return 0;
	uint64_t run = 0;
	for (uint64_t f = 1; f < ceiling; f++) {
		if (run == 0 && bitmap[f / 64] == ~0ull) {
			f = f / 64 * 64 + 63; /* a word with nothing free: skip it */
			continue;
		}
		run = frame_used(f) ? 0 : run + 1;
		if (run == n) {
			uint64_t first = f + 1 - n;
			for (uint64_t g = first; g <= f; g++)
				mark_used(g);
			free_pages -= n;
			zero_frames(first * PAGE_SIZE, n);
			return first * PAGE_SIZE;
		}
	}
	return 0;
}

void pmm_free(uint64_t pa)
{
	uint64_t f = pa / PAGE_SIZE;
	KASSERT(pa && pa % PAGE_SIZE == 0 && f < nframes && frame_used(f));
	mark_free(f);
	free_pages++;
	if (f / 64 + 1 > single_hint)
		single_hint = f / 64 + 1;
}

uint64_t pmm_free_pages(void)
{
	return free_pages;
}

/* True if any of [pa, pa + len) is RAM (so never an MMIO target). */
bool pmm_overlaps_ram(uint64_t pa, uint64_t len)
{
	for (size_t i = 0; i < bootinfo.nram; i++)
		if (pa < bootinfo.ram[i].end && bootinfo.ram[i].base < pa + len)
			return true;
	return pa < 0xa0000; /* conventional memory; 0xa0000-0xfffff is VGA and ROM */
}
