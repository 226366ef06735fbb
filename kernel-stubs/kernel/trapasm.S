/*
 * trapasm.S: every way into and out of the kernel. Interrupt and exception
 * stubs push a vector number (and a zero where the CPU pushes no error code)
 * so that all of them build the same struct trapframe (proc.h); SYSCALL
 * builds the same frame by hand. Returns to user space go through IRETQ, or
 * SYSRETQ after a system call. swtch switches kernel stacks.
 *
 * The kernel runs on one CPU with interrupts off (interrupt gates and the
 * SYSCALL flag mask clear IF), so the scratch slot for the user stack
 * pointer and cpu_kstack_top can be plain globals.
 */
#include "asm.h"

	.macro vector_noerr n
	.globl vector\n
vector\n:
	push $0
	push $\n
	jmp alltraps
	.endm

	.macro vector_err n
	.globl vector\n
vector\n:
	push $\n
	jmp alltraps
	.endm

	.text
	vector_noerr 0
	vector_noerr 1
	vector_noerr 2
	vector_noerr 3
	vector_noerr 4
	vector_noerr 5
	vector_noerr 6
	vector_noerr 7
	vector_err 8
	vector_noerr 9
	vector_err 10
	vector_err 11
	vector_err 12
	vector_err 13
	vector_err 14
	vector_noerr 15
	vector_noerr 16
	vector_err 17
	vector_noerr 18
	vector_noerr 19
	vector_noerr 20
	vector_err 21
	vector_noerr 22
	vector_noerr 23
	vector_noerr 24
	vector_noerr 25
	vector_noerr 26
	vector_noerr 27
	vector_noerr 28
	vector_err 29
	vector_err 30
	vector_noerr 31
	.irp n, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
	vector_noerr \n
	.endr

	.section .rodata
	.balign 8
	.globl vectors
vectors:
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
	.quad vector\n
	.endr

	.text
	.macro push_regs
	push %rax
	push %rbx
	push %rcx
	push %rdx
	push %rsi
	push %rdi
	push %rbp
	push %r8
	push %r9
	push %r10
	push %r11
	push %r12
	push %r13
	push %r14
	push %r15
	.endm

	.macro pop_regs
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rbp
	pop %rdi
	pop %rsi
	pop %rdx
	pop %rcx
	pop %rbx
	pop %rax
	.endm

alltraps:
	push_regs
	cld
	mov %rsp, %rdi
	call trap
	.globl trapret
trapret:
	pop_regs
	add $16, %rsp /* vector and error code */
	iretq

/* SYSCALL: RCX holds the user RIP, R11 the user RFLAGS; RSP is still the user's. */
	.globl syscall_entry
syscall_entry:
	mov %rsp, user_rsp_scratch(%rip)
	mov cpu_kstack_top(%rip), %rsp
	push $SEL_UDATA
	push user_rsp_scratch(%rip)
	push %r11
	push $SEL_UCODE
	push %rcx
	push $0
	push $SYSCALL_VECTOR
	push_regs
	cld
	mov %rsp, %rdi
	call syscall
	/*
	 * SYSRETQ to a non-canonical RIP would fault in ring 0 on the user's
	 * stack. syscall() never lets such a frame through (it ends the
	 * process); this check stops a kernel bug from becoming that fault.
	 */
	mov 15*8+16(%rsp), %rax
	shr $47, %rax
	jnz syscall_bad_return
	pop_regs
	add $16, %rsp
	pop %rcx /* RIP */
	add $8, %rsp
	pop %r11 /* RFLAGS */
	pop %rsp
	sysretq

/* New threads start here, on a kernel stack holding only their trapframe. */
	.globl thread_start
thread_start:
	jmp trapret

/*
 * swtch(uint64_t *save_sp, uint64_t load_sp): saves the callee-saved
 * registers on the current stack and its pointer in *save_sp, then resumes
 * the stack load_sp where an earlier swtch (or thread_setup) left it.
 */
	.globl swtch
swtch:
	push %rbp
	push %rbx
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, (%rdi)
	mov %rsi, %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbx
	pop %rbp
	ret

	.bss
	.balign 8
user_rsp_scratch:
	.quad 0
	.globl cpu_kstack_top
cpu_kstack_top:
	.quad 0
