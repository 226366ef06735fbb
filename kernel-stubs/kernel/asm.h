/*
 * asm.h: x86-64 constants that both assembly and C use: control-register
 * and EFER bits, page-table entry bits, the layout of the address space and
 * the GDT selectors. Plain #defines only, so boot.S and trapasm.S can include it.
 */
#ifndef KERNEL_ASM_H
#define KERNEL_ASM_H

#define CR0_WP  (1 << 16)
#define CR0_PG  (1 << 31)
#define CR4_PAE (1 << 5)
#define CR4_PGE (1 << 7)

#define MSR_EFER      0xc0000080
#define MSR_STAR      0xc0000081
#define MSR_LSTAR     0xc0000082
#define MSR_SFMASK    0xc0000084
#define MSR_FS_BASE   0xc0000100
#define MSR_KERNEL_GS 0xc0000102
#define EFER_SCE      (1 << 0)
#define EFER_LME      (1 << 8)
#define EFER_NXE      (1 << 11)

/* Page-table entry bits (Intel SDM vol. 3, 4.5). */
#define PTE_P  0x1
#define PTE_W  0x2
#define PTE_U  0x4
#define PTE_PS 0x80
#define PTE_G  0x100

/* The kernel image is linked at KERNEL_BASE + its physical address. */
#define KERNEL_BASE 0xffffffff80000000
/* All physical memory is mapped at PHYS_BASE + its physical address. */
#define PHYS_BASE 0xffff800000000000

/* GDT selectors; the order is fixed by SYSCALL/SYSRET (see gdt.c). */
#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UDATA 0x1b /* 0x18 | RPL 3 */
#define SEL_UCODE 0x23 /* 0x20 | RPL 3 */
#define SEL_TSS   0x28

#define KSTACK_BYTES 16384

/* The vector field of a trapframe built by SYSCALL; real vectors are < 256. */
#define SYSCALL_VECTOR 256

#endif
