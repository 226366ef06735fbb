/*
 * init.c: the first process. The kernel starts it with the whole machine as
 * its limits and, as its handles 0-3, a resource covering every I/O port,
 * all device memory, every IRQ line, and DMA. It derives from them what each
 * server needs and nothing more (init_system.c): the console server gets
 * the UART's 8 ports and IRQ 4, the PCI server the configuration ports and
 * what PCI devices may be given, programs no device at all. Every program
 * it starts gets a session of init's directory (init_services.c) as its
 * handle 0 and finds the services there. At the end init stops the machine
 * through QEMU's debug-exit device (port 0xf4, which only init opens): that
 * is how an image reports success or failure to a test.
 *
 * The arguments pick the image: "shell" (the reference system: servers and
 * the shell, init_system.c), "stress" (the same, with a hostile client of
 * the servers and two readers at once before the shell), "demo" (the
 * console and the demo program),
 * "faults" and "hostile" (the faulting and hostile programs, init_faults.c
 * and init_hostile.c, then the demo, which must still work).
 */
#include "init.h"

#define DEBUG_EXIT_PORT   0xf4
#define EXIT_SUCCESS_CODE 0x10 /* QEMU exits with status 33 */
#define EXIT_FAILURE_CODE 0x11 /* QEMU exits with status 35 */

static int exit_port = -1;

_Noreturn void power_off(bool ok)
{
	fflush_stdout();
	if (exit_port >= 0)
		outb(DEBUG_EXIT_PORT, ok ? EXIT_SUCCESS_CODE : EXIT_FAILURE_CODE);
	idlk_exit(1); /* not under QEMU: nothing to switch off */
}

long start(const char *name, const int *handles, size_t count, unsigned rights,
           const struct idlk_limits *limits)
{
	long h = spawn(name, handles, count, rights, limits);
	if (h < 0)
		printf("init: cannot start %s: error %ld\n", name, h);
	return h;
}

/* A new handle for [base, base + size) of root resource `root`, or exits. */
int derive(int root, uint64_t base, uint64_t size)
{
	long h = idlk_resource_derive(root, base, size);
	if (h < 0) {
		printf("init: cannot derive a resource [%lx, +%lx) from handle %d: %ld\n",
		       (unsigned long)base, (unsigned long)size, root, h);
		power_off(false);
	}
	return (int)h;
}

/* Opens the debug-exit port for init alone. The root handle itself cannot be
 * opened: it covers the ports the kernel keeps (the PIC and the timer). */
static void open_exit_port(void)
{
	long err = idlk_ioport(INIT_IOPORTS);
	if (err != -IDLK_E_PERM) {
		printf("init: opening every port gave %ld, not the kernel's refusal\n", err);
		power_off(false);
	}
	exit_port = derive(INIT_IOPORTS, DEBUG_EXIT_PORT, 1);
	if (idlk_ioport(exit_port) < 0) {
		printf("init: cannot open the debug-exit port\n");
		exit_port = -1;
		power_off(false);
	}
}

/*
 * The boot thread: what the image's arguments ask for, then power off. The
 * main thread serves the directory meanwhile, which every program but the
 * faulting and hostile ones finds the system's services through.
 */
static void boot(void *arg)
{
	const char *args = arg;
	bool ok = true;
	if (strcmp(args, "faults") == 0)
		ok = run_faults();
	else if (strcmp(args, "hostile") == 0)
		ok = run_hostile();
	if (strcmp(args, "shell") == 0 || strcmp(args, "stress") == 0)
		ok = run_system(strcmp(args, "stress") == 0);
	else
		ok = run_demo() && ok;
	printf("init: %s; switching off\n", ok ? "success" : "FAILURE");
	power_off(ok);
}

int umain(const char *args, long nhandles)
{
	printf("init: started, arguments \"%s\", %ld handles\n", args, nhandles);
	open_exit_port();
	if (directory_start() != IDL_OK) {
		printf("init: cannot start the directory\n");
		power_off(false);
	}
	if (thread_spawn(boot, (void *)args, 65536) < 0) {
		printf("init: cannot start the boot thread\n");
		power_off(false);
	}
	directory_run();
	printf("init: the directory stopped\n");
	power_off(false);
}
