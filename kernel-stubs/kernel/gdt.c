/*
 * gdt.c: segments and the TSS. Long mode ignores segment bases and limits,
 * but the CPU still needs code and data descriptors for ring 0 and ring 3,
 * and a TSS for the kernel stack to use on an interrupt from user mode
 * (rsp0) and for the I/O permission bitmap. The descriptor order is fixed by
 * SYSCALL/SYSRET: kernel code, kernel data, then user data, user code.
 */
#include "proc.h"
#include "x86.h"

struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
	/* Ports 0..IDLK_MAX_IOPORT-1, a set bit denies; the CPU reads one byte
	 * past the end, which must be all ones. */
	uint8_t iomap[IDLK_MAX_IOPORT / 8 + 1];
} __attribute__((packed));

static struct tss tss;
static uint64_t gdt[7];
/* The process whose opened ports the TSS bitmap holds, or NULL: all closed. */
static const struct proc *iomap_owner;

void gdt_init(void)
{
	gdt[0] = 0;
	gdt[1] = 0x00af9a000000ffff; /* 0x08 kernel code: 64-bit, DPL 0 */
	gdt[2] = 0x00cf92000000ffff; /* 0x10 kernel data */
	gdt[3] = 0x00cff2000000ffff; /* 0x18 user data: DPL 3 */
	gdt[4] = 0x00affa000000ffff; /* 0x20 user code: 64-bit, DPL 3 */
	uint64_t base = (uint64_t)&tss, limit = sizeof(tss) - 1;
	gdt[5] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
	         ((limit >> 16 & 0xf) << 48) | ((base >> 24 & 0xff) << 56);
	gdt[6] = base >> 32;
	tss.iomap_base = offsetof(struct tss, iomap);
	memset(tss.iomap, 0xff, sizeof(tss.iomap));

	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) ptr = {sizeof(gdt) - 1, (uint64_t)gdt};
	__asm__ volatile("lgdt %0\n"
	                 "mov %1, %%ds\n"
	                 "mov %1, %%es\n"
	                 "mov %1, %%ss\n"
	                 "pushq %2\n"
	                 "leaq 1f(%%rip), %%rax\n"
	                 "pushq %%rax\n"
	                 "lretq\n"
	                 "1:\n"
	                 :
	                 : "m"(ptr), "r"((uint64_t)SEL_KDATA), "i"(SEL_KCODE)
	                 : "rax", "memory");
	__asm__ volatile("ltr %w0" : : "r"(SEL_TSS));
}

/* The stack the CPU switches to on an interrupt or exception from user mode. */
void tss_set_rsp0(uint64_t rsp0)
{
	tss.rsp[0] = rsp0;
}

/*
 * Makes the TSS bitmap p's, before p runs. The bitmap covers all 65536
 * ports (8 KiB), but a process opens few, so only the bytes that differ
 * from all-closed are copied: the previous owner's are closed again, then
 * p's opened. Most processes open none, and a switch between them copies
 * nothing.
 */
void gdt_load_iomap(const struct proc *p)
{
	if (iomap_owner == p)
		return;
	if (iomap_owner && iomap_owner->io_lo < iomap_owner->io_hi)
		memset(tss.iomap + iomap_owner->io_lo, 0xff,
		       iomap_owner->io_hi - iomap_owner->io_lo);
	if (p->io_lo < p->io_hi)
		memcpy(tss.iomap + p->io_lo, p->iomap + p->io_lo, p->io_hi - p->io_lo);
	iomap_owner = p;
}

/* p's ports changed (sys_ioport) or p is going away. */
void gdt_forget_iomap(const struct proc *p)
{
	if (iomap_owner != p)
		return;
	if (p->io_lo < p->io_hi)
		memset(tss.iomap + p->io_lo, 0xff, p->io_hi - p->io_lo);
	iomap_owner = NULL;
}
