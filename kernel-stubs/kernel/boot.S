/*
 * boot.S: the first instructions. GRUB enters _start in 32-bit protected
 * mode with paging off (Multiboot2 machine state: EAX = magic, EBX = the
 * physical address of the boot information). This file builds throwaway page
 * tables that map the first 1 GiB three times (identity, at PHYS_BASE and at
 * KERNEL_BASE), turns
 * on PAE, long mode, NX and paging, and jumps to kmain in the higher half.
 * vm.c replaces these tables with the real ones.
 */
#include "asm.h"

#define MB2_MAGIC 0xe85250d6
#define MB2_ARCH_I386 0

	.section .multiboot, "a"
	.balign 8
mb2_header:
	.long MB2_MAGIC
	.long MB2_ARCH_I386
	.long mb2_header_end - mb2_header
	.long 0x100000000 - (MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
	/* End tag: GRUB loads the ELF segments by their physical addresses. */
	.balign 8
	.short 0
	.short 0
	.long 8
mb2_header_end:

	.section .boot.text, "ax"
	.code32
	.globl _start
_start:
	cli
	mov $boot_stack32_top, %esp
	/* EDI and ESI become the first two arguments of kmain. */
	mov %eax, %edi
	mov %ebx, %esi

	/* A 1 GiB page directory of 2 MiB pages, shared by both mappings. */
	mov $boot_pd, %ebx
	xor %ecx, %ecx
1:	mov %ecx, %eax
	shl $21, %eax
	or $(PTE_P | PTE_W | PTE_PS), %eax
	mov %eax, (%ebx, %ecx, 8)
	movl $0, 4(%ebx, %ecx, 8)
	inc %ecx
	cmp $512, %ecx
	jne 1b

	mov $(boot_pd + PTE_P + PTE_W), %eax
	mov %eax, boot_pdpt_low
	mov %eax, boot_pdpt_high + 510 * 8
	mov $(boot_pdpt_low + PTE_P + PTE_W), %eax
	mov %eax, boot_pml4
	mov $(boot_pdpt_high + PTE_P + PTE_W), %eax
	mov %eax, boot_pml4 + 511 * 8
	/* The start of the direct map at PHYS_BASE (PML4 slot 256), so P2V works
	 * for the first 1 GiB before vm.c maps all of memory there. */
	mov $(boot_pdpt_low + PTE_P + PTE_W), %eax
	mov %eax, boot_pml4 + 256 * 8

	mov %cr4, %eax
	or $(CR4_PAE | CR4_PGE), %eax
	mov %eax, %cr4
	mov $boot_pml4, %eax
	mov %eax, %cr3
	mov $MSR_EFER, %ecx
	rdmsr
	or $(EFER_SCE | EFER_LME | EFER_NXE), %eax
	wrmsr
	mov %cr0, %eax
	or $(CR0_PG | CR0_WP), %eax
	mov %eax, %cr0

	lgdt boot_gdt_ptr
	ljmp $8, $long_entry

	.code64
long_entry:
	xor %eax, %eax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov %ax, %fs
	mov %ax, %gs
	movabs $higher_entry, %rax
	jmp *%rax

	.section .boot.data, "aw"
	.balign 8
boot_gdt:
	.quad 0
	.quad 0x00af9a000000ffff /* 64-bit code, ring 0 */
boot_gdt_ptr:
	.short boot_gdt_ptr - boot_gdt - 1
	.long boot_gdt

	/* Zero-filled here rather than in .bss, which only the higher half clears. */
	.balign 4096
boot_pml4:
	.zero 4096
boot_pdpt_low:
	.zero 4096
boot_pdpt_high:
	.zero 4096
boot_pd:
	.zero 4096
	.zero 1024
boot_stack32_top:

	.text
higher_entry:
	/* The C code expects a zeroed .bss; GRUB zeroes it too, but it is cheap. */
	mov %rdi, %r12
	mov %rsi, %r13
	mov $__bss_start, %rdi
	mov $__bss_end, %rcx
	sub %rdi, %rcx
	xor %eax, %eax
	rep stosb
	mov $boot_stack_top, %rsp
	mov %r12, %rdi
	mov %r13, %rsi
	call kmain
2:	cli
	hlt
	jmp 2b

	.bss
	.balign 16
	.globl boot_stack
boot_stack:
	.zero KSTACK_BYTES
boot_stack_top:
