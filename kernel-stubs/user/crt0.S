/*
 * crt0.S: where every program starts. The kernel enters _start with RDI
 * pointing at the program's argument string and RSI holding how many handles
 * its parent passed; umain gets both. Returning from umain exits.
 */
	.text
	.globl _start
_start:
	and $-16, %rsp
	xor %ebp, %ebp
	call umain
	mov %eax, %edi
	call idlk_exit
	ud2
