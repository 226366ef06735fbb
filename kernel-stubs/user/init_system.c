/*
 * init_system.c: starting the reference system. Each server gets a session
 * of the directory as its handle 0 and, after it, exactly the device
 * resources it drives; each program the directory alone. A server that
 * dies is started again (up to RESTARTS times): its clients see their
 * channels closed, the directory forgets its name, and the new instance
 * publishes it again, so the next lookup reaches it.
 *
 * Images: "demo" runs the console server and the demo program; "shell"
 * runs the console, PCI, block and file servers, the network card's driver,
 * the network server and udpecho, and the shell, and ends when the shell
 * does (`poweroff`). Without a disk or a network card the servers of that
 * device find nothing to serve and the rest runs without them.
 *
 * Who may look up what: every program may reach every service but two, the
 * link driver ("ethernet", the network server's alone: whoever has it sees
 * and sends raw frames) and the network configuration ("net.config", the
 * shell's alone).
 */
#include "init.h"

#define COM1               0x3f8
#define COM1_IRQ           4
#define RESTARTS           5
#define RESTART_BACKOFF_NS 50000000ull   /* 50 ms more before each restart */
#define PUBLISH_WAIT_NS    5000000000ull /* a server has 5 s to publish itself */
#define SHUTDOWN_GRACE_NS  200000000ull  /* 200 ms for the servers after the shell ends */

const struct idlk_limits server_limits = {
    .threads = 4, .procs = 0, .shms = 24, .handles = 24, .pages = 3072};
const struct idlk_limits program_limits = {
    .threads = 4, .procs = 0, .shms = 8, .handles = 16, .pages = 2048};

/*
 * Starts module with a directory session as its handle 0 and the handles
 * in extra after it; init keeps none of them, so the channel's end is the
 * child's alone (its death closes it). The process handle, or < 0.
 */
static long start_with_directory(const char *module, const int *extra, size_t count,
                                 const struct idlk_limits *limits, _Atomic uint32_t *slot_out)
{
	int handles[IDLK_SPAWN_HANDLES];
	uint32_t slot;
	if (count + 1 > IDLK_SPAWN_HANDLES || directory_session(&handles[0], &slot) != IDL_OK) {
		printf("init: no directory session for %s\n", module);
		return -1;
	}
	for (size_t i = 0; i < count; i++)
		handles[1 + i] = extra[i];
	/* Known before the program runs: its first lookup may depend on it. */
	if (slot_out)
		atomic_store(slot_out, slot);
	long h = start(module, handles, count + 1, 0, limits);
	idlk_handle_close(handles[0]);
	if (h >= 0)
		directory_set_client(slot, (int)h);
	return h;
}

/* What each server is given; servers derive nothing else. */
enum grant {
	GRANT_CONSOLE, /* the UART's 8 ports and IRQ 4 */
	GRANT_PCI,     /* configuration ports, the PCI I/O window, device memory, IRQs, DMA */
	GRANT_NONE     /* drivers and servers that get devices from the PCI server */
};

static size_t grant(enum grant g, int *out)
{
	switch (g) {
	case GRANT_CONSOLE:
		out[0] = derive(INIT_IOPORTS, COM1, 8);
		out[1] = derive(INIT_IRQS, COM1_IRQ, 1);
		return 2;
	case GRANT_PCI:
		out[0] = derive(INIT_IOPORTS, IDLK_PCI_CONFIG_PORT, IDLK_PCI_CONFIG_PORTS);
		out[1] = derive(INIT_IOPORTS, 0x1000, 0xf000); /* where PCI I/O BARs live */
		out[2] = (int)idlk_handle_dup(INIT_MMIO);
		out[3] = derive(INIT_IRQS, 5, 11); /* the lines PCI interrupts are routed to */
		out[4] = (int)idlk_handle_dup(INIT_DMA);
		return 5;
	case GRANT_NONE:
		return 0;
	}
	return 0;
}

static long start_server(const char *module, enum grant g, _Atomic uint32_t *slot)
{
	int extra[8];
	size_t n = grant(g, extra);
	long h = start_with_directory(module, extra, n, &server_limits, slot);
	for (size_t i = 0; i < n; i++)
		idlk_handle_close(extra[i]);
	return h;
}

/* A directory slot that is nobody's. */
#define NO_SLOT UINT32_MAX

/* A server init keeps running (or a program: service NULL). */
struct watched {
	const char *module;
	const char *service; /* the name it publishes */
	const char *also;    /* a second name it publishes, or NULL */
	enum grant grant;
	long process;          /* its process handle, or -1; under process_lock */
	bool asked;            /* the shell asked for the restart; under process_lock */
	int restarts;          /* after it failed: the shell's restarts do not count */
	_Atomic uint32_t slot; /* its directory session; NO_SLOT while it does not run */
	_Atomic bool started;  /* init started it once */
	_Atomic bool absent;   /* it ended with status 2: no device for it */
	_Atomic bool given_up; /* init will not start it again */
};

/*
 * Guards each server's process handle between its watcher, which closes it
 * when the server ends and stores the next one, and the directory's thread,
 * which kills through it for the shell (system_restart): a handle number
 * closed and given to another process's handle meanwhile would end that
 * process instead. Held only around a few system calls that do not block.
 */
static atomic_flag process_lock = ATOMIC_FLAG_INIT;

static void lock_processes(void)
{
	while (atomic_flag_test_and_set_explicit(&process_lock, memory_order_acquire))
		idlk_thread_yield();
}

static void unlock_processes(void)
{
	atomic_flag_clear_explicit(&process_lock, memory_order_release);
}

static void set_process(struct watched *w, long process)
{
	lock_processes();
	w->process = process;
	unlock_processes();
}

static long start_watched_process(struct watched *w)
{
	long process = w->service
	                   ? start_server(w->module, w->grant, &w->slot)
	                   : start_with_directory(w->module, NULL, 0, &program_limits, &w->slot);
	if (process < 0)
		atomic_store(&w->slot, NO_SLOT); /* its session was closed */
	set_process(w, process < 0 ? -1 : process);
	return process;
}

static _Atomic bool shutting_down;

/* One thread per server: waits for it to end and starts it again. Exit
 * status 2 means the server found nothing to serve (no such device). */
static void watch(void *arg)
{
	struct watched *w = arg;
	for (;;) {
		long status = idlk_wait((int)w->process); /* only this thread changes it */
		/* Its directory session went with it, and the slot goes to the
		 * next program: no right of the server's goes with it. */
		atomic_store(&w->slot, NO_SLOT);
		lock_processes();
		idlk_handle_close((int)w->process);
		w->process = -1;
		bool asked = w->asked;
		w->asked = false;
		unlock_processes();
		if (atomic_load(&shutting_down))
			return;
		if (asked) {
			printf("init: %s ended, as the shell asked; starting it again\n",
			       w->module);
			if (start_watched_process(w) < 0) {
				atomic_store(&w->given_up, true);
				return;
			}
			continue;
		}
		if (status == 2) {
			atomic_store(&w->absent, true);
			directory_poke();
			return;
		}
		printf("init: %s ended with status %ld", w->module, status);
		if (w->restarts == RESTARTS) {
			printf("; not starting it again\n");
			atomic_store(&w->given_up, true);
			return;
		}
		w->restarts++;
		printf("; starting it again (%d of %d)\n", w->restarts, RESTARTS);
		/* A little later each time: what it needs may be starting again
		 * too, and a server that dies at once must not spin. */
		static volatile uint32_t never;
		idlk_futex_wait(&never, 0, (uint64_t)w->restarts * RESTART_BACKOFF_NS);
		if (start_watched_process(w) < 0) {
			atomic_store(&w->given_up, true);
			return;
		}
	}
}

/* Starts a server, waits until it published its name (or ended with
 * status 2: nothing to serve), and watches it. */
static bool start_watched(struct watched *w)
{
	atomic_store(&w->started, true);
	if (start_watched_process(w) < 0) {
		atomic_store(&w->given_up, true);
		return false;
	}
	if (thread_spawn(watch, w, 16384) < 0)
		printf("init: cannot watch %s\n", w->module);
	if (!w->service)
		return true;
	bool published = directory_wait(w->service, PUBLISH_WAIT_NS, &w->absent);
	if (!published && !atomic_load(&w->absent))
		printf("init: %s did not publish \"%s\"\n", w->module, w->service);
	return published;
}

static struct watched console = {.module = "console",
                                 .service = "console",
                                 .grant = GRANT_CONSOLE,
                                 .process = -1,
                                 .slot = NO_SLOT};

bool run_demo(void)
{
	if (!start_watched(&console))
		return false;
	long demo = start_with_directory("demo", NULL, 0, &program_limits, NULL);
	if (demo < 0)
		return false;
	long status = idlk_wait((int)demo);
	printf("init: demo exited with status %ld\n", status);
	atomic_store(&shutting_down, true);
	return status == 0;
}

static _Atomic uint32_t shell_slot = NO_SLOT;
static _Atomic bool shell_started;

bool system_is_shell(uint32_t slot)
{
	return atomic_load(&shell_started) && slot == shell_slot;
}

static struct watched pci = {
    .module = "pci", .service = "pci", .grant = GRANT_PCI, .process = -1, .slot = NO_SLOT};
static struct watched block = {
    .module = "blk", .service = "block", .grant = GRANT_NONE, .process = -1, .slot = NO_SLOT};
static struct watched fs = {
    .module = "fs", .service = "fs", .grant = GRANT_NONE, .process = -1, .slot = NO_SLOT};
static struct watched eth = {
    .module = "eth", .service = "ethernet", .grant = GRANT_NONE, .process = -1, .slot = NO_SLOT};
static struct watched net = {.module = "net",
                             .service = "net",
                             .also = "net.config",
                             .grant = GRANT_NONE,
                             .process = -1,
                             .slot = NO_SLOT};
static struct watched udpecho = {
    .module = "udpecho", .grant = GRANT_NONE, .process = -1, .slot = NO_SLOT};

static struct watched *const servers[] = {&console, &pci, &block, &fs, &eth, &net};

/* The stress image's hostile client (scribbler.c), which plays a driver. */
static _Atomic uint32_t scribbler_slot = NO_SLOT;

/* The server init runs that publishes service (its name, or its second
 * one), or NULL. */
static struct watched *server_named(const char *service)
{
	for (size_t i = 0; i < sizeof(servers) / sizeof(servers[0]); i++) {
		struct watched *w = servers[i];
		if (strcmp(w->service, service) == 0 || (w->also && strcmp(w->also, service) == 0))
			return w;
	}
	return NULL;
}

/* Whether directory session slot is that of w's program as it runs now
 * (or as init starts it: the slot is known before the program runs). */
static bool is_slot_of(struct watched *w, uint32_t slot)
{
	return slot != NO_SLOT && slot == atomic_load(&w->slot);
}

bool system_may_look_up(const char *service, uint32_t slot)
{
	if (strcmp(service, "ethernet") == 0)
		return is_slot_of(&net, slot);
	/* A claimed device comes with its DMA, and so with all of memory (no
	 * IOMMU): the PCI server is the drivers', the shell's (lspci) and, in
	 * the stress image, that of the hostile client that plays a driver. */
	if (strcmp(service, "pci") == 0)
		return is_slot_of(&block, slot) || is_slot_of(&eth, slot) ||
		       system_is_shell(slot) || slot == atomic_load(&scribbler_slot);
	if (strcmp(service, "net.config") == 0)
		return system_is_shell(slot);
	return true;
}

/* A name init starts a server for is that server's: only the program init
 * started for it publishes it, so that no other can take it while the
 * server starts again and be given its clients. */
bool system_may_publish(const char *service, uint32_t slot)
{
	struct watched *w = server_named(service);
	return w == NULL || is_slot_of(w, slot);
}

/* Starts a program with a directory session and waits for it; its status. */
static long run_program(const char *module, _Atomic uint32_t *slot_out)
{
	long h = start_with_directory(module, NULL, 0, &program_limits, slot_out);
	if (h < 0)
		return h;
	long status = idlk_wait((int)h);
	idlk_handle_close((int)h);
	return status;
}

/* Ends the server published as service, if one runs; its watcher starts it
 * again, whatever its failures so far. */
bool system_restart(const char *service)
{
	for (size_t i = 0; i < sizeof(servers) / sizeof(servers[0]); i++) {
		struct watched *w = servers[i];
		if (strcmp(w->service, service) != 0)
			continue;
		lock_processes();
		bool killed = w->process >= 0 && idlk_kill((int)w->process) == 0;
		if (killed)
			w->asked = true;
		unlock_processes();
		if (killed)
			printf("init: stopping %s, as the shell asked\n", w->module);
		return killed;
	}
	return false;
}

bool system_is_starting(const char *service)
{
	if (atomic_load(&shutting_down))
		return false;
	struct watched *w = server_named(service);
	return w != NULL && atomic_load(&w->started) && !atomic_load(&w->absent) &&
	       !atomic_load(&w->given_up);
}

/*
 * The stress image, before the shell: a hostile client of the file, PCI and
 * block servers (scribbler.c), then two readers of different files at once
 * (reader.c), then several block requests in flight at once (blkcheck.c);
 * each must end with status 0.
 */
static bool stress(void)
{
	long status = run_program("scribbler", &scribbler_slot);
	atomic_store(&scribbler_slot, NO_SLOT); /* its slot goes to the next program */
	printf("init: scribbler ended with status %ld\n", status);
	bool ok = status == 0;
	long a = start_with_directory("reader-large", NULL, 0, &program_limits, NULL);
	long b = start_with_directory("reader-numbers", NULL, 0, &program_limits, NULL);
	if (a < 0 || b < 0)
		return false;
	long sa = idlk_wait((int)a), sb = idlk_wait((int)b);
	printf("init: the readers ended with status %ld and %ld\n", sa, sb);
	long sc = run_program("blkcheck", NULL);
	printf("init: blkcheck ended with status %ld\n", sc);
	return ok && sa == 0 && sb == 0 && sc == 0;
}

bool run_system(bool with_stress)
{
	if (!start_watched(&console) || !start_watched(&pci))
		return false;
	/* Without a disk there is no block service, and no file system: the
	 * shell still works, and says so when asked for files. */
	if (start_watched(&block))
		start_watched(&fs);
	/* Likewise without a network card: no link, no network server. */
	if (start_watched(&eth) && start_watched(&net))
		start_watched(&udpecho);
	if (with_stress && !stress())
		return false;
	atomic_store(&shell_started, true); /* its session, from its first lookup on */
	long sh = start_with_directory("sh", NULL, 0, &program_limits, &shell_slot);
	if (sh < 0)
		return false;
	long status = idlk_wait((int)sh);
	atomic_store(&shutting_down, true);
	printf("init: the shell exited with status %ld\n", status);
	/* Let the servers finish with the shell's sessions (and say so) before
	 * the machine stops. */
	static volatile uint32_t never;
	idlk_futex_wait(&never, 0, SHUTDOWN_GRACE_NS);
	return status == 0;
}
