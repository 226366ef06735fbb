/*
 * syscall.h: the system-call handlers, one per entry of the table in
 * syscall.c. Each takes the raw argument registers; each first checks every
 * argument (decode) and only then changes anything (invoke), so a call that
 * fails has changed nothing.
 */
#ifndef KERNEL_SYSCALL_H
#define KERNEL_SYSCALL_H

#include "proc.h"

typedef int64_t syscall_fn(uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4);

/* syscall.c */
syscall_fn sys_debug_log, sys_clock;
/* sys_proc.c */
syscall_fn sys_thread_create, sys_thread_exit, sys_thread_yield, sys_spawn, sys_exit, sys_wait,
    sys_limits, sys_kill;
/* sys_mem.c */
syscall_fn sys_map, sys_unmap, sys_shm_create, sys_shm_map;
/* handle.c */
syscall_fn sys_handle_close, sys_resource_derive, sys_handle_info, sys_handle_dup;
/* channel.c */
syscall_fn sys_chan_create, sys_handle_send, sys_handle_receive, sys_chan_watch, sys_chan_kick;
/* futex.c */
syscall_fn sys_futex_wait, sys_futex_wake;
/* sys_dev.c */
syscall_fn sys_irq_wait, sys_ioport, sys_mmio_map, sys_dma_alloc;
/* sys_pci.c */
syscall_fn sys_pci_config;

/* sys_mem.c: helpers for calls that map memory. */
int64_t map_decode(struct proc *p, uint64_t addr, uint64_t len, uint64_t *out);
void map_advance(struct proc *p, uint64_t addr, uint64_t len, uint64_t asked);
uint64_t prot_flags(uint64_t prot);

/* sys_proc.c: starts init from the boot module of that name (kmain). */
int64_t spawn_init(void);

#endif
