/*
 * ulib.h: what user programs of the reference system link against: the
 * system calls, a few string functions, and the libc shim (stdio.c), whose
 * printf and fgets go to the console server once a program has a channel to
 * it and to the kernel's debug log before that.
 */
#ifndef ULIB_H
#define ULIB_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "idlk.h"
#include "kstring.h"
#include "portio.h" /* for drivers holding an I/O port handle (idlk_ioport) */

/* System calls (syscall.S); see docs/reference-kernel.md. */
long idlk_debug_log(const char *buf, size_t len);
long idlk_clock(void);
long idlk_thread_create(void (*entry)(void *), void *stack_top, void *arg);
_Noreturn void idlk_thread_exit(void);
long idlk_spawn(const struct idlk_spawn *args);
_Noreturn void idlk_exit(int status);
long idlk_wait(int handle);
long idlk_map(void *addr, size_t len, int prot);
long idlk_unmap(void *addr, size_t len);
long idlk_shm_create(size_t len);
long idlk_shm_map(int handle, void *addr, int prot);
long idlk_handle_close(int handle);
long idlk_futex_wait(const volatile uint32_t *addr, uint32_t expected, uint64_t timeout_ns);
long idlk_futex_wake(const volatile uint32_t *addr, uint32_t count);
long idlk_irq_wait(int irq_handle);
long idlk_ioport(int ioport_handle);
long idlk_pci_config(int ioport_handle, uint64_t address, int width, int write, uint32_t value);
long idlk_mmio_map(int mmio_handle, uint64_t offset, size_t len, void *addr);
long idlk_dma_alloc(int dma_handle, size_t len, void *addr, uint64_t *phys_out);
long idlk_thread_yield(void);
long idlk_resource_derive(int handle, uint64_t base, uint64_t size);
long idlk_handle_info(int handle, struct idlk_handle_info *info);
long idlk_limits(struct idlk_limits *limit, struct idlk_limits *used);
long idlk_chan_create(size_t bytes, int ends[2], const struct idlk_chan_notify *notify);
long idlk_handle_send(int end, const int *handles, size_t count, uint32_t *words);
long idlk_handle_receive(int end, const uint32_t *words, size_t count, int *handles);
long idlk_handle_dup(int handle);
long idlk_chan_watch(int end, const struct idlk_chan_watch *watch);
long idlk_chan_kick(int end);
long idlk_kill(int process);

/* spawn.c: starts the boot module name with the handles, rights and limits
 * given; returns the process handle or < 0. */
long spawn(const char *name, const int *handles, size_t count, unsigned rights,
           const struct idlk_limits *limits);

/* Every program's entry: its argument string and how many handles it got. */
int umain(const char *args, long nhandles);

/* thread.c: runs fn(arg) on a new thread with its own stack; returns its id. */
long thread_spawn(void (*fn)(void *), void *arg, size_t stack_bytes);

/* stdio.c: the libc shim. */
typedef struct stdio_backend {
	/* Writes n bytes; returns how many were taken, or < 0. */
	long (*write)(void *ctx, const char *buf, size_t n);
	/* Reads at most n bytes (one line in canonical mode); returns the count or < 0. */
	long (*read)(void *ctx, char *buf, size_t n);
	void *ctx;
} stdio_backend;
void stdio_set_backend(const stdio_backend *backend);
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...);
int printf(const char *fmt, ...);
int puts(const char *s);
long read_stdin_line(char *buf, size_t size);
char *fgets_stdin(char *buf, int size);
void fflush_stdout(void);

#endif
