/*
 * syscall.S: the system-call stubs. The kernel takes the number in RAX and
 * arguments in RDI, RSI, RDX, R10, R8 (R10 instead of RCX, which SYSCALL
 * overwrites with the return address); SYSCALL also overwrites R11.
 */
#include "idlk.h"

	.macro stub name, number
	.globl \name
\name:
	mov $\number, %eax
	mov %rcx, %r10
	syscall
	ret
	.endm

	.text
	stub idlk_debug_log, IDLK_SYS_DEBUG_LOG
	stub idlk_clock, IDLK_SYS_CLOCK
	stub idlk_thread_create, IDLK_SYS_THREAD_CREATE
	stub idlk_thread_exit, IDLK_SYS_THREAD_EXIT
	stub idlk_spawn, IDLK_SYS_SPAWN
	stub idlk_exit, IDLK_SYS_EXIT
	stub idlk_wait, IDLK_SYS_WAIT
	stub idlk_map, IDLK_SYS_MAP
	stub idlk_unmap, IDLK_SYS_UNMAP
	stub idlk_shm_create, IDLK_SYS_SHM_CREATE
	stub idlk_shm_map, IDLK_SYS_SHM_MAP
	stub idlk_handle_close, IDLK_SYS_HANDLE_CLOSE
	stub idlk_futex_wait, IDLK_SYS_FUTEX_WAIT
	stub idlk_futex_wake, IDLK_SYS_FUTEX_WAKE
	stub idlk_irq_wait, IDLK_SYS_IRQ_WAIT
	stub idlk_ioport, IDLK_SYS_IOPORT
	stub idlk_pci_config, IDLK_SYS_PCI_CONFIG
	stub idlk_mmio_map, IDLK_SYS_MMIO_MAP
	stub idlk_dma_alloc, IDLK_SYS_DMA_ALLOC
	stub idlk_thread_yield, IDLK_SYS_THREAD_YIELD
	stub idlk_resource_derive, IDLK_SYS_RESOURCE_DERIVE
	stub idlk_handle_info, IDLK_SYS_HANDLE_INFO
	stub idlk_limits, IDLK_SYS_LIMITS
	stub idlk_chan_create, IDLK_SYS_CHAN_CREATE
	stub idlk_handle_send, IDLK_SYS_HANDLE_SEND
	stub idlk_handle_receive, IDLK_SYS_HANDLE_RECEIVE
	stub idlk_handle_dup, IDLK_SYS_HANDLE_DUP
	stub idlk_chan_watch, IDLK_SYS_CHAN_WATCH
	stub idlk_chan_kick, IDLK_SYS_CHAN_KICK
	stub idlk_kill, IDLK_SYS_KILL
