/*
 * sysfuzz_call.S: the fuzzer's way into the kernel. fuzz_syscall loads
 * every general register from an array (the number, the five arguments and
 * a pattern in each register the ABI says a call keeps), executes SYSCALL,
 * and stores every register afterwards, so that sysfuzz.c can check that
 * only RAX, RCX and R11 changed. The layout is enum fuzz_reg in sysfuzz.c.
 */
#include "idlk.h"

	.text
/* void fuzz_syscall(const uint64_t in[14], uint64_t out[15]) */
	.globl fuzz_syscall
fuzz_syscall:
	push %rbx
	push %rbp
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsi, fuzz_out(%rip)
	mov %rsp, fuzz_rsp(%rip)
	mov 7*8(%rdi), %rbx
	mov 8*8(%rdi), %rbp
	mov 9*8(%rdi), %r12
	mov 10*8(%rdi), %r13
	mov 11*8(%rdi), %r14
	mov 12*8(%rdi), %r15
	mov 6*8(%rdi), %r9
	mov 5*8(%rdi), %r8
	mov 4*8(%rdi), %r10
	mov 3*8(%rdi), %rdx
	mov 2*8(%rdi), %rsi
	mov 0*8(%rdi), %rax
	mov 1*8(%rdi), %rdi
	syscall
	/* R11 is clobbered by SYSCALL anyway: it holds the output pointer. */
	mov fuzz_out(%rip), %r11
	mov %rax, 0*8(%r11)
	mov %rdi, 1*8(%r11)
	mov %rsi, 2*8(%r11)
	mov %rdx, 3*8(%r11)
	mov %r10, 4*8(%r11)
	mov %r8, 5*8(%r11)
	mov %r9, 6*8(%r11)
	mov %rbx, 7*8(%r11)
	mov %rbp, 8*8(%r11)
	mov %r12, 9*8(%r11)
	mov %r13, 10*8(%r11)
	mov %r14, 11*8(%r11)
	mov %r15, 12*8(%r11)
	mov %rsp, 13*8(%r11)
	mov fuzz_rsp(%rip), %rax
	mov %rax, 14*8(%r11)
	mov fuzz_rsp(%rip), %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbp
	pop %rbx
	ret

/* A thread entry that ends its thread without touching its stack, so that
 * thread_create can be fuzzed with any stack pointer. */
	.globl fuzz_thread_exit
fuzz_thread_exit:
	mov $IDLK_SYS_THREAD_EXIT, %eax
	syscall
	ud2

/* Two read-only pages of spaces: buffers the kernel may read but not write,
 * and harmless to print. */
	.section .rodata
	.balign 4096
	.globl fuzz_ro_page
fuzz_ro_page:
	.fill 8192, 1, 0x20

	.bss
	.balign 8
fuzz_out:
	.quad 0
fuzz_rsp:
	.quad 0
