/*
 * elf.c: loads ELF64 executables from boot modules. elf_check validates the
 * whole file (headers, segment bounds, addresses in the user half and clear
 * of the initial stack, sizes) before elf_load touches an address space, so
 * a broken or hostile module is an error for the process that spawns it,
 * never a kernel fault.
 */
#include "proc.h"

/* What all loadable segments of one program may add up to. */
#define ELF_MAX_MEMORY (256ull << 20)

struct elf_header {
	uint8_t ident[16];
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf_phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

#define PT_LOAD 1
#define PF_X    1
#define PF_W    2

int elf_check(const uint8_t *image, size_t size)
{
	if (size < sizeof(struct elf_header))
		return -E_INVAL;
	const struct elf_header *eh = (const void *)image;
	if (memcmp(eh->ident, "\177ELF", 4) != 0 || eh->ident[4] != 2 /* 64-bit */ ||
	    eh->ident[5] != 1 /* little endian */ || eh->type != 2 /* executable */ ||
	    eh->machine != 62 /* x86-64 */ || eh->phentsize != sizeof(struct elf_phdr))
		return -E_INVAL;
	if (eh->phoff > size || (size - eh->phoff) / sizeof(struct elf_phdr) < eh->phnum)
		return -E_INVAL;
	if (!vm_user_range(eh->entry, 1))
		return -E_INVAL;
	const struct elf_phdr *ph = (const void *)(image + eh->phoff);
	uint64_t stack_bottom = IDLK_USER_STACK_TOP - IDLK_USER_STACK_BYTES, total = 0;
	for (int i = 0; i < eh->phnum; i++) {
		if (ph[i].type != PT_LOAD)
			continue;
		if (ph[i].filesz > ph[i].memsz || ph[i].offset > size ||
		    ph[i].filesz > size - ph[i].offset || !vm_user_range(ph[i].vaddr, ph[i].memsz))
			return -E_INVAL;
		/* Whole pages, as elf_load maps them; memsz <= USER_END, so no wrap. */
		uint64_t start = PAGE_DOWN(ph[i].vaddr), end = PAGE_UP(ph[i].vaddr + ph[i].memsz);
		if (end > USER_END || (start < IDLK_USER_STACK_TOP && end > stack_bottom))
			return -E_INVAL; /* into the last page, or over the stack spawn maps */
		total += end - start;
		if (total > ELF_MAX_MEMORY)
			return -E_INVAL;
	}
	return 0;
}

/* Maps and fills p's segments; the file passed elf_check. -E_NOMEM or -E_LIMIT
 * when memory or p's pages limit runs out (the caller discards p). */
int elf_load(struct proc *p, const uint8_t *image, size_t size, uint64_t *entry)
{
	(void)size;
	const struct elf_header *eh = (const void *)image;
	const struct elf_phdr *ph = (const void *)(image + eh->phoff);
	for (int i = 0; i < eh->phnum; i++) {
		if (ph[i].type != PT_LOAD)
			continue;
		uint64_t flags = PTE_U | PTE_OWNED | (ph[i].flags & PF_W ? PTE_W : 0) |
		                 (ph[i].flags & PF_X ? 0 : PTE_NX);
		uint64_t start = PAGE_DOWN(ph[i].vaddr), end = PAGE_UP(ph[i].vaddr + ph[i].memsz);
		for (uint64_t va = start; va < end; va += PAGE_SIZE) {
			uint64_t *pte;
			int err = vm_walk_create(p, va, &pte);
			if (err < 0)
				return err;
			if (*pte & PTE_P) {
				/* Two segments share this page: it gets both permissions. */
				*pte |= flags & PTE_W;
				if (!(flags & PTE_NX))
					*pte &= ~PTE_NX;
				continue;
			}
			uint64_t pa;
			err = frame_alloc(p, &pa);
			if (err < 0)
				return err;
			*pte = pa | flags | PTE_P;
		}
		/* Copy the file bytes; the rest of memsz stays zero (bss). */
		for (uint64_t off = 0; off < ph[i].filesz;) {
			uint64_t va = ph[i].vaddr + off;
			uint64_t n = PAGE_SIZE - (va & (PAGE_SIZE - 1));
			if (n > ph[i].filesz - off)
				n = ph[i].filesz - off;
			uint64_t pa = *vm_lookup(p->pml4, va) & PTE_ADDR;
			memcpy((uint8_t *)P2V(pa) + (va & (PAGE_SIZE - 1)),
			       image + ph[i].offset + off, n);
			off += n;
		}
	}
	*entry = eh->entry;
	return 0;
}
