/*
 * defs.h: the kernel's shared declarations, one block per file, so a reader
 * finds which file implements a function by the block it sits in.
 */
#ifndef KERNEL_DEFS_H
#define KERNEL_DEFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "asm.h"
#include "idlk.h"
#include "kstring.h"

#define PAGE_SIZE        4096ull
#define PAGE_DOWN(a)     ((a) & ~(PAGE_SIZE - 1))
#define PAGE_UP(a)       (((a) + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1))
#define P2V(pa)          ((void *)((uint64_t)(pa) + 0xffff800000000000ull))
#define V2P(va)          ((uint64_t)(va)-0xffff800000000000ull)
#define ARRAY_LEN(a)     (sizeof(a) / sizeof((a)[0]))
#define KERNEL_BASE_ADDR 0xffffffff80000000ull
#define USER_START       IDLK_USER_START
#define USER_END         IDLK_USER_END
#define KASSERT(c)       ((c) ? (void)0 : panic("assertion failed: " #c))

/* Exit codes of the isa-debug-exit device: QEMU exits with (code << 1) | 1. */
#define QEMU_EXIT_SUCCESS 0x10 /* exit status 33 */
#define QEMU_EXIT_FAILURE 0x11 /* exit status 35 */
#define QEMU_EXIT_PANIC   0x01 /* exit status 3 */

/* Page-table entry bits beyond asm.h's: software bits 9 and 10 are ours. */
#define PTE_PCD   0x10ull
#define PTE_OWNED 0x200ull /* the frame belongs to this address space */
#define PTE_MMIO  0x400ull /* device memory: never touched by copy_*_user */
/* Bits 52-58 (ignored by the CPU): 1 + the slot in proc.maps of the shared
 * object a page belongs to, 0 for other pages. */
#define PTE_MAPSLOT_SHIFT 52
#define PTE_MAPSLOT       (0x7full << PTE_MAPSLOT_SHIFT)
#define PTE_NX            (1ull << 63)
#define PTE_ADDR          0x000ffffffffff000ull

/* Kernel-internal spellings of the idlk.h error codes. */
#define E_NOSYS   IDLK_E_NOSYS
#define E_INVAL   IDLK_E_INVAL
#define E_FAULT   IDLK_E_FAULT
#define E_NOMEM   IDLK_E_NOMEM
#define E_BADH    IDLK_E_BADH
#define E_PERM    IDLK_E_PERM
#define E_AGAIN   IDLK_E_AGAIN
#define E_TIMEOUT IDLK_E_TIMEOUT
#define E_NOENT   IDLK_E_NOENT
#define E_BUSY    IDLK_E_BUSY
#define E_LIMIT   IDLK_E_LIMIT
#define E_GONE    IDLK_E_GONE

struct proc;
struct thread;

/* lib.c */
void kprintf(const char *fmt, ...);
_Noreturn void panic(const char *why);
_Noreturn void qemu_exit(uint8_t code);

/* bootinfo.c */
struct bootmodule {
	uint64_t start, end; /* physical */
	char cmdline[64];    /* "name args..." from grub.cfg */
};
struct bootinfo {
	struct {
		uint64_t base, end;
	} ram[32];
	size_t nram;
	struct bootmodule modules[32];
	size_t nmodules;
	uint64_t mbi_start, mbi_end;
};
extern struct bootinfo bootinfo;
void bootinfo_parse(uint64_t mbi_phys);

/* pmm.c */
void pmm_init(void);
void pmm_all_mapped(void);
uint64_t pmm_alloc(void);
uint64_t pmm_alloc_contiguous(size_t n);
void pmm_free(uint64_t pa);
uint64_t pmm_highest(void);
uint64_t pmm_free_pages(void);
bool pmm_overlaps_ram(uint64_t pa, uint64_t len);

/* vm.c (proc.h declares the functions on a process's address space) */
void vm_init(void);
void vm_switch(uint64_t *pml4);
bool vm_user_range(uint64_t va, uint64_t len);
int copy_from_user(uint64_t *pml4, void *dst, uint64_t src, size_t len);
int copy_to_user(uint64_t *pml4, uint64_t dst, const void *src, size_t len);
uint64_t vm_user_phys(uint64_t *pml4, uint64_t va);

/* gdt.c (proc.h declares the I/O bitmap functions) */
void gdt_init(void);
void tss_set_rsp0(uint64_t rsp0);

/* pic.c */
#define IRQ_VECTOR_BASE 32
void pic_init(void);
void pic_mask(int irq);
void pic_unmask(int irq);
void pic_eoi(int irq);

/* clock.c */
#define TICK_HZ              1000
#define SLICE_TICKS          10 /* a thread runs at most this many ticks before others */
#define DRIVER_MIN_RUN_TICKS 2  /* ... and this many (one whole at least) before a woken driver */
void clock_init(void);
void clock_tick(void);
uint64_t clock_ns(void);
uint64_t clock_ticks(void);

/* trap.c */
void trap_init(void);
void trap_new_slice(void);

/* sys_dev.c */
bool irq_deliver(int irq);
void irq_release(struct proc *p);

/* syscall.c */
void syscall_init(void);

/* serial.c */
void serial_init(void);
void serial_putc(char c);
void serial_write(const char *s, size_t n);

#endif
