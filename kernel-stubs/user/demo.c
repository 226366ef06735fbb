/*
 * demo.c: an ordinary program of the reference system. It finds the console
 * server through the directory (its handle 0); once connected, printf goes
 * through the libc shim to the generated Console.write stub, and
 * fgets_stdin through Console.read to a line typed on the serial console.
 */
#include "console_client.h"

static volatile int other_ran;

static void set_flag(void *arg)
{
	(void)arg;
	other_ran = 1;
}

/* thread_yield hands the CPU to every other runnable thread before the
 * caller runs again (the runtime's waiters rely on it on one CPU). The new
 * thread may be preempted before it sets the flag (an interrupt for the
 * console's input thread, say), so it gets three turns; a yield that gave
 * none would leave the flag clear. */
static void check_yield(void)
{
	other_ran = 0;
	if (thread_spawn(set_flag, NULL, 16384) < 0) {
		printf("demo: thread_spawn failed\n");
		return;
	}
	for (int i = 0; i < 3 && !other_ran; i++)
		idlk_thread_yield();
	printf(other_ran ? "demo: a yield let the new thread run first\n"
	                 : "demo: a yield returned before the new thread ran\n");
}

int umain(const char *args, long nhandles)
{
	(void)args;
	if (nhandles < 1 || console_client_connect() < 0) {
		printf("demo: no console channel\n");
		return 1;
	}
	printf("demo: hello through printf, the generated console stub and the console server\n");
	printf("demo: %d + %d = %d, clock %ld ms\n", 20, 22, 20 + 22, idlk_clock() / 1000000);
	check_yield();
	printf("demo: type a line: ");
	char line[128];
	if (!fgets_stdin(line, sizeof(line))) {
		printf("demo: reading failed\n");
		return 1;
	}
	size_t n = strlen(line);
	if (n && line[n - 1] == '\n')
		line[--n] = 0;
	printf("demo: read \"%s\" (%zu bytes) from the serial console\n", line, n);
	return 0;
}
