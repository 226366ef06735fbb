/*
 * init.h: what the parts of init share (init.c, init_services.c,
 * init_system.c, init_faults.c, init_hostile.c).
 */
#ifndef INIT_H
#define INIT_H

#include "idl_wire.h"
#include "ulib.h"

#include <stdatomic.h>

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
/* init_system.c: the console and the demo; the whole system and the shell. */
bool run_demo(void);
bool run_system(bool with_stress);
/* Whether the directory session in slot is the shell's. */
bool system_is_shell(uint32_t slot);
/* Whether the program of directory session slot may look service up. */
bool system_may_look_up(const char *service, uint32_t slot);
/* Whether the program of directory session slot may publish service. */
bool system_may_publish(const char *service, uint32_t slot);
/* Kills the server that publishes service (the watcher starts it again);
 * false if init runs none. */
bool system_restart(const char *service);
/* Whether a server init runs (or is starting again) will publish service:
 * a lookup that finds it missing is told to wait, not that it is gone. */
bool system_is_starting(const char *service);

/* init_services.c: the directory. A session for a program to be started
 * is its handle 0; directory_run serves until the machine stops. */
int directory_start(void);
int directory_session(int *client_end, uint32_t *slot);
/* The session in slot is that of the process behind handle `process`. */
void directory_set_client(uint32_t slot, int process);
/* Waits until name is published, at most timeout_ns, or until *give_up
 * is true (set it, then directory_poke); whether it is published. */
bool directory_wait(const char *name, uint64_t timeout_ns, _Atomic bool *give_up);
void directory_poke(void);
void directory_run(void);

#endif
