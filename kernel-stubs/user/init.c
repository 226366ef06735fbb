/*
 * init.c: the first process. The kernel starts it with the whole machine as
 * its limits and, as its handles 0-3, a resource covering every I/O port,
 * all device memory, every IRQ line, and DMA. It derives from them what each
 * server needs and nothing more: the console server gets the UART's 8 ports
 * and IRQ 4, the demo no device at all. It creates the channel between the
 * two, starts both with limits of their own, waits for the demo, and then
 * stops the machine through QEMU's debug-exit device (port 0xf4, which only
 * init opens): that is how the image reports success or failure to a test.
 *
 * With the argument "faults" it first runs the faulting programs (faults.c);
 * with "hostile", the hostile programs (hostile_run.c); each run must leave
 * the system able to run the demo as usual.
 */
#include "init.h"
#include "chan.h"
#include "console.h"

#define DEBUG_EXIT_PORT   0xf4
#define EXIT_SUCCESS_CODE 0x10 /* QEMU exits with status 33 */
#define EXIT_FAILURE_CODE 0x11 /* QEMU exits with status 35 */

#define COM1     0x3f8
#define COM1_IRQ 4

const struct idlk_limits server_limits = {
    .threads = 4, .procs = 0, .shms = 2, .handles = 8, .pages = 512};
const struct idlk_limits program_limits = {
    .threads = 4, .procs = 0, .shms = 2, .handles = 8, .pages = 512};

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

/* The console server and the demo, as in every image; true if the demo passed. */
static bool run_demo(void)
{
	int chan = chan_create(CONSOLE_CONSOLE_MAX_FRAME_BYTES);
	if (chan < 0) {
		printf("init: cannot create the console channel: %d\n", chan);
		return false;
	}
	int console[3] = {chan, derive(INIT_IOPORTS, COM1, 8), derive(INIT_IRQS, COM1_IRQ, 1)};
	if (start("console", console, 3, 0, &server_limits) < 0)
		return false;
	idlk_handle_close(console[1]);
	idlk_handle_close(console[2]);
	long demo = start("demo", &chan, 1, 0, &program_limits);
	if (demo < 0)
		return false;
	long status = idlk_wait((int)demo);
	printf("init: demo exited with status %ld\n", status);
	return status == 0;
}

int umain(const char *args, long nhandles)
{
	printf("init: started, arguments \"%s\", %ld handles\n", args, nhandles);
	open_exit_port();
	bool ok = true;
	if (strcmp(args, "faults") == 0)
		ok = run_faults();
	else if (strcmp(args, "hostile") == 0)
		ok = run_hostile();
	ok = run_demo() && ok;
	printf("init: %s; switching off\n", ok ? "success" : "FAILURE");
	power_off(ok);
}
