/*
 * init_hostile.c: init's hostile test (argument "hostile"). It runs the
 * hostile programs (hostile.c, sysfuzz.c, the broken ELF files of
 * hostile-elf/) one after another, none with any right, each with only the
 * resources its attack needs, and checks how each ended: the status it
 * exited or died with, or the error spawn refused it with. Then init runs
 * the console demo as in every image, which must still pass.
 */
#include "init.h"

/* What a hostile program gets as its handles 0... */
enum give {
	NOTHING,
	UART,     /* the UART's 8 ports and IRQ 4, as the console server */
	PCI,      /* PCI's 8 configuration ports, as the PCI server */
	DMA_1MIB, /* DMA of up to 1 MiB */
	DMA_PAGE, /* DMA of one page */
	CHIPSET,  /* the PCI server's ports and window, the HPET, PCIe configuration */
	FUZZ_KIT  /* shm, ports, MMIO, two IRQ lines, DMA, a dead process, a channel end */
};

/* ... and what limits. */
enum budget {
	SMALL, /* program_limits */
	TIGHT, /* 4 threads, 2 objects, 4 handles, 200 pages */
	ALL    /* every page init can spare */
};

#define REFUSED(err) (-(err)) /* expect spawn to fail with this error */

static const struct hostile {
	const char *module;
	enum give give;
	enum budget budget;
	long expect; /* the wait status, or REFUSED(error) */
	const char *finding;
} cases[] = {
    {"hostile-exhaust", NOTHING, ALL, 0, "memory exhaustion"},
    {"hostile-after-exhaust", DMA_1MIB, SMALL, 0, "contiguous memory after exhaustion"},
    {"hostile-unmap", NOTHING, SMALL, KILLED_BY(14), "unmap of huge ranges"},
    {"hostile-elf-stack", NOTHING, SMALL, REFUSED(IDLK_E_INVAL), "ELF over the stack"},
    {"hostile-elf-lastpage", NOTHING, SMALL, REFUSED(IDLK_E_INVAL), "ELF in the last page"},
    {"hostile-elf-kernel", NOTHING, SMALL, REFUSED(IDLK_E_INVAL), "ELF in the kernel half"},
    {"hostile-elf-huge", NOTHING, SMALL, REFUSED(IDLK_E_INVAL), "ELF of 512 MiB"},
    {"hostile-elf-short", NOTHING, SMALL, REFUSED(IDLK_E_INVAL), "truncated ELF"},
    {"hostile-lastpage", NOTHING, SMALL, KILLED_BY(13), "return to a non-user RIP"},
    {"hostile-port-exit", UART, SMALL, KILLED_BY(13), "the debug-exit port"},
    {"hostile-port-pic", UART, SMALL, KILLED_BY(13), "the interrupt controller"},
    {"hostile-port-pci", UART, SMALL, KILLED_BY(13), "PCI configuration"},
    {"hostile-port-pit", UART, SMALL, KILLED_BY(13), "the timer"},
    {"hostile-pci-config", PCI, SMALL, KILLED_BY(13), "PCI configuration and its reset port"},
    {"hostile-chipset", CHIPSET, SMALL, 0, "the chipset's ACPI block, HPET and PCIe window"},
    {"hostile-nt-flag", NOTHING, SMALL, 0, "RFLAGS.NT across a thread switch"},
    {"hostile-resources", UART, SMALL, 0, "resource handles"},
    {"hostile-futex-gone", NOTHING, SMALL, 0, "futex on a freed page"},
    {"hostile-limits", DMA_PAGE, TIGHT, 0, "per-process limits"},
    {"hostile-channel", NOTHING, SMALL, 0, "handles through channels"},
    {"sysfuzz", FUZZ_KIT, SMALL, 7, "system-call fuzzer"},
};

static const struct idlk_limits tight_limits = {
    .threads = 4, .procs = 0, .shms = 2, .handles = 4, .pages = 200};

/* Pages init keeps back from the exhausting program: init itself allocates
 * nothing while it waits, so the program takes all but these. */
#define KEEP_PAGES 16

static int handles[8];
static long last_process = -1; /* an ended process, for the fuzzer */

/* One end of a channel whose other end is closed. */
static int lone_channel_end(void)
{
	int ends[2];
	if (idlk_chan_create(4096, ends, NULL) < 0)
		power_off(false);
	idlk_handle_close(ends[1]);
	return ends[0];
}

/* Fills handles[] for a program; returns how many. */
static size_t prepare(enum give give)
{
	switch (give) {
	case NOTHING:
		return 0;
	case UART:
		handles[0] = derive(INIT_IOPORTS, 0x3f8, 8);
		handles[1] = derive(INIT_IRQS, 4, 1);
		return 2;
	case PCI:
		handles[0] = derive(INIT_IOPORTS, IDLK_PCI_CONFIG_PORT, IDLK_PCI_CONFIG_PORTS);
		return 1;
	case DMA_1MIB:
		handles[0] = derive(INIT_DMA, 0, 1 << 20);
		return 1;
	case DMA_PAGE:
		handles[0] = derive(INIT_DMA, 0, 4096);
		return 1;
	case CHIPSET:
		handles[0] = derive(INIT_IOPORTS, IDLK_PCI_CONFIG_PORT, IDLK_PCI_CONFIG_PORTS);
		handles[1] = derive(INIT_IOPORTS, 0x1000, 0xf000);
		handles[2] = derive(INIT_MMIO, 0xfed00000, 4096);
		handles[3] = derive(INIT_MMIO, 0xb0000000, 4096);
		return 4;
	case FUZZ_KIT:
		handles[0] = (int)idlk_shm_create(4096);
		handles[1] = derive(INIT_IOPORTS, 0x3e8, 8);          /* COM3: nothing there */
		handles[2] = derive(INIT_MMIO, 0xfd000000, 16 << 20); /* the VGA frame buffer */
		handles[3] = derive(INIT_IRQS, 5, 2);
		handles[4] = derive(INIT_DMA, 0, 65536);
		handles[5] = (int)last_process;
		handles[6] = lone_channel_end();
		return 7;
	}
	return 0;
}

static void release(enum give give, size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (!(give == FUZZ_KIT && i == 5))
			idlk_handle_close(handles[i]);
}

static struct idlk_limits limits_for(enum budget budget)
{
	if (budget == TIGHT)
		return tight_limits;
	struct idlk_limits l = program_limits;
	if (budget == ALL) {
		struct idlk_limits limit, used;
		idlk_limits(&limit, &used);
		l.pages = limit.pages - used.pages - KEEP_PAGES;
	}
	return l;
}

static uint64_t procs_used(void)
{
	struct idlk_limits limit, used;
	idlk_limits(&limit, &used);
	return used.procs;
}

static bool run_case(const struct hostile *c)
{
	size_t count = prepare(c->give);
	struct idlk_limits limits = limits_for(c->budget);
	uint64_t procs_before = procs_used();
	long h = spawn(c->module, handles, count, 0, &limits);
	release(c->give, count);
	long outcome;
	bool slot_counted = true;
	if (h < 0) {
		outcome = REFUSED(-h);
		printf("init: %s refused by spawn with error %ld", c->module, h);
	} else {
		outcome = idlk_wait((int)h);
		printf("init: %s ended with status %ld", c->module, outcome);
		/* Ended, but its slot stays taken while init holds the handle. */
		slot_counted = procs_used() == procs_before + 1;
		if (last_process >= 0)
			idlk_handle_close((int)last_process);
		last_process = h;
	}
	if (!slot_counted)
		printf(" (its process slot was not counted)");
	bool ok = outcome == c->expect && slot_counted;
	printf(", %s (%s)\n", ok ? "as expected" : "WRONG", c->finding);
	return ok;
}

/* Spawn itself: limits that do not fit, or that no process can live with. */
static bool bad_spawns(void)
{
	struct idlk_limits too_many_pages = program_limits, no_thread = program_limits,
	                   too_many_handles = program_limits, all_procs = program_limits;
	too_many_pages.pages = UINT64_MAX / 2;
	no_thread.threads = 0;
	too_many_handles.handles = IDLK_MAX_HANDLES + 1;
	all_procs.procs = 1000;
	long a = spawn("demo", NULL, 0, 0, &too_many_pages);
	long b = spawn("demo", NULL, 0, 0, &no_thread);
	long c = spawn("demo", NULL, 0, 0, &too_many_handles);
	long d = spawn("demo", NULL, 0, 0, &all_procs);
	printf("init: spawn with too many pages -> %ld, no thread -> %ld, %d handles -> %ld, "
	       "1000 processes -> %ld\n",
	       a, b, IDLK_MAX_HANDLES + 1, c, d);
	return a == -IDLK_E_LIMIT && b == -IDLK_E_INVAL && c == -IDLK_E_INVAL && d == -IDLK_E_LIMIT;
}

/* A process that kills itself (its own handle, sent to it) ends there,
 * as exit would: wait says killed, and nothing it does after the call
 * shows (hostile.c, kill_self). */
static bool kill_self(void)
{
	int ends[2];
	if (idlk_chan_create(4096, ends, NULL) < 0)
		return false;
	volatile uint32_t *mem =
	    (volatile uint32_t *)idlk_shm_map(ends[0], NULL, IDLK_PROT_READ | IDLK_PROT_WRITE);
	struct idlk_limits limits = program_limits;
	long h = spawn("hostile-kill-self", &ends[1], 1, 0, &limits);
	idlk_handle_close(ends[1]);
	long status = -1;
	uint32_t ran_on = 0;
	if (h >= 0 && (long)mem > 0) {
		int own = (int)idlk_handle_dup((int)h);
		uint32_t word;
		if (own >= 0 && idlk_handle_send(ends[0], &own, 1, &word) == 0) {
			mem[0] = word;
			mem[1] = 1;
			idlk_futex_wake(&mem[1], 1);
		}
		status = idlk_wait((int)h);
		for (int i = 0; i < 200; i++) /* room for a ghost to show itself */
			idlk_thread_yield();
		ran_on = mem[2];
		idlk_handle_close((int)h);
	}
	if ((long)mem > 0)
		idlk_unmap((void *)mem, 4096);
	idlk_handle_close(ends[0]);
	bool ok = status == IDLK_STATUS_KILLED && ran_on == 0;
	printf("init: hostile-kill-self ended with status %ld and ran on for %u steps, %s\n",
	       status, ran_on, ok ? "as expected (a process killing itself)" : "WRONG");
	return ok;
}

bool run_hostile(void)
{
	struct idlk_limits limit, before;
	idlk_limits(&limit, &before);
	bool ok = bad_spawns();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ok = run_case(&cases[i]) && ok;
	ok = kill_self() && ok;
	if (last_process >= 0)
		idlk_handle_close((int)last_process);
	struct idlk_limits after;
	idlk_limits(&limit, &after);
	printf("init: pages in use before %lu, after %lu; threads %lu, %lu\n", before.pages,
	       after.pages, before.threads, after.threads);
	ok = ok && after.pages == before.pages && after.threads == before.threads &&
	     after.procs == before.procs && after.shms == before.shms;
	printf("init: %s\n", ok ? "every hostile program was contained; the system goes on"
	                        : "a hostile program was NOT contained");
	return ok;
}
