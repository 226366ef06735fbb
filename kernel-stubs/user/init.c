/*
 * init.c: the first process. The kernel starts it with every right; it
 * creates the channel between the console server and the demo, starts both
 * (the server with the device right, the demo with none) passing each the
 * channel's handle, waits for the demo, and then stops the machine through
 * QEMU's debug-exit device (port 0xf4): that is how the image reports
 * success or failure to a test.
 *
 * With the argument "faults" it first runs the faulting programs one by one
 * and checks that each died of its exception (or, for bad system-call
 * arguments, got errors and went on), before running the demo as usual.
 */
#include "chan.h"
#include "console.h"
#include "ulib.h"

#define DEBUG_EXIT_PORT   0xf4
#define EXIT_SUCCESS_CODE 0x10 /* QEMU exits with status 33 */
#define EXIT_FAILURE_CODE 0x11 /* QEMU exits with status 35 */

/* wait() status of a process killed by exception `vector`. */
#define KILLED_BY(vector) (256 + (vector))

static _Noreturn void power_off(bool ok)
{
	fflush_stdout();
	idlk_ioport(DEBUG_EXIT_PORT, 1);
	outb(DEBUG_EXIT_PORT, ok ? EXIT_SUCCESS_CODE : EXIT_FAILURE_CODE);
	idlk_exit(1); /* not under QEMU: nothing to switch off */
}

static long spawn(const char *name, const int *handles, size_t count, unsigned rights)
{
	long h = idlk_spawn(name, strlen(name), handles, count, rights);
	if (h < 0)
		printf("init: cannot start %s: error %ld\n", name, h);
	return h;
}

static const struct {
	const char *module;
	long status;
} faults[] = {
    {"fault-null", KILLED_BY(14)},   {"fault-kernel", KILLED_BY(14)}, {"fault-nx", KILLED_BY(14)},
    {"fault-text", KILLED_BY(14)},   {"fault-ud", KILLED_BY(6)},      {"fault-syscall", 7},
    {"fault-device", KILLED_BY(13)},
};

static bool run_faults(void)
{
	bool ok = true;
	for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
		long h = spawn(faults[i].module, NULL, 0, 0);
		if (h < 0)
			return false;
		long status = idlk_wait((int)h);
		idlk_handle_close((int)h);
		bool as_expected = status == faults[i].status;
		printf("init: %s ended with status %ld, %s\n", faults[i].module, status,
		       as_expected ? "as expected" : "WRONG");
		ok = ok && as_expected;
	}
	if (ok)
		printf("init: every faulting program died alone; the system goes on\n");
	return ok;
}

int umain(const char *args, long nhandles)
{
	(void)nhandles;
	printf("init: started, arguments \"%s\"\n", args);
	bool ok = true;
	if (strcmp(args, "faults") == 0)
		ok = run_faults();

	int chan = chan_create(CONSOLE_CONSOLE_MAX_FRAME_BYTES);
	if (chan < 0) {
		printf("init: cannot create the console channel: %d\n", chan);
		power_off(false);
	}
	if (spawn("console", &chan, 1, IDLK_RIGHT_DEVICE) < 0)
		power_off(false);
	long demo = spawn("demo", &chan, 1, 0);
	if (demo < 0)
		power_off(false);
	long status = idlk_wait((int)demo);
	printf("init: demo exited with status %ld\n", status);
	ok = ok && status == 0;
	printf("init: %s; switching off\n", ok ? "success" : "FAILURE");
	power_off(ok);
}
