/*
 * init.h: what the parts of init share (init.c, init_faults.c,
 * init_hostile.c).
 */
#ifndef INIT_H
#define INIT_H

#include "ulib.h"

/* The root resources the kernel gives init, as its handles. */
#define INIT_IOPORTS 0
#define INIT_MMIO    1
#define INIT_IRQS    2
#define INIT_DMA     3

/* wait() status of a process killed by exception `vector`. */
#define KILLED_BY(vector) (256 + (vector))

/* Limits for a server and for an ordinary program. */
extern const struct idlk_limits server_limits, program_limits;

_Noreturn void power_off(bool ok);
/* spawn, with a line on the console when it fails. */
long start(const char *name, const int *handles, size_t count, unsigned rights,
           const struct idlk_limits *limits);
/* A narrower resource from one of init's, or power off. */
int derive(int root, uint64_t base, uint64_t size);

bool run_faults(void);
bool run_hostile(void);

#endif
