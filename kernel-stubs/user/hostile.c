/*
 * hostile.c: programs that attack the kernel on purpose, for the hostile
 * test image (init_hostile.c runs each with no rights and checks how it
 * ended). The argument picks the attack; each is one finding of the
 * kernel's hardening, and each must leave the system able to run the demo:
 *
 *   exhaust        map memory until the kernel refuses, then scatter single
 *                  pages and exit, leaving physical memory fragmented
 *   after-exhaust  (handle 0: DMA) allocate 1 MiB of contiguous DMA memory
 *                  and start threads: both need contiguous frames
 *   unmap          unmap huge, mostly empty ranges in a loop (the kernel must
 *                  skip empty tables), then the whole upper user half,
 *                  own stack included: it dies of a page fault on return
 *   lastpage       the page below the canonical boundary is never mapped,
 *                  and a SYSCALL ending at it ends the process (#GP)
 *   port-*         (handle 0: the UART's ports) touch a port outside them:
 *                  the exit port, the PIC, PCI configuration, the PIT
 *   resources      derive and use resource handles beyond their range or
 *                  of the wrong kind
 *   futex-gone     a waiter on a page that is unmapped is woken with GONE
 *   limits         (handle 0: DMA) run into each per-process limit
 *   channel        pass handles through a channel with words that are made
 *                  up, replayed, for the other direction, or duplicated;
 *                  send a channel through itself; close an end with handles
 *                  in flight towards it
 *
 * Exit status 0 means every check held (port-*, unmap and lastpage are
 * expected to be killed instead); the program prints what it saw.
 */
#include "ulib.h"

#define RW        (IDLK_PROT_READ | IDLK_PROT_WRITE)
#define LAST_PAGE IDLK_USER_END /* the first address no mapping may cover */

static int failures;

static void expect(const char *what, long got, long want)
{
	if (got == want)
		return;
	printf("hostile: %s gave %ld, expected %ld\n", what, got, want);
	failures++;
}

/* The program's result: 0 when every expectation held. */
static int verdict(const char *name)
{
	printf("hostile-%s: %s\n", name, failures ? "FAILED" : "every check held");
	return failures ? 1 : 0;
}

static int exhaust(void)
{
	long chunks = 0, singles = 0, err;
	while ((err = idlk_map(NULL, 64 * 1024, RW)) >= 0)
		chunks++;
	long single_err;
	while ((single_err = idlk_map(NULL, 4096, RW)) >= 0)
		singles++;
	printf("hostile-exhaust: %ld chunks of 64 KiB (then %ld), %ld single pages (then %ld)\n",
	       chunks, err, singles, single_err);
	return (err == -IDLK_E_LIMIT || err == -IDLK_E_NOMEM) ? 0 : 1;
}

static volatile int thread_ran[8];

static void mark_ran(void *arg)
{
	thread_ran[(uintptr_t)arg] = 1;
}

static int after_exhaust(void)
{
	uint64_t phys = 0;
	expect("a DMA right with a base", idlk_resource_derive(0, 4096, 4096), -IDLK_E_INVAL);
	expect("a DMA right above its own", idlk_resource_derive(0, 0, 2 << 20), -IDLK_E_PERM);
	long at = idlk_dma_alloc(0, 1 << 20, NULL, &phys);
	expect("dma_alloc of 1 MiB after exhaustion", at < 0 ? at : 0, 0);
	for (uintptr_t i = 0; i < 3; i++)
		expect("a thread after exhaustion", thread_spawn(mark_ran, (void *)i, 8192) < 0, 0);
	for (int round = 0; round < 10 && !(thread_ran[0] && thread_ran[1] && thread_ran[2]);
	     round++)
		idlk_thread_yield();
	expect("the threads ran", thread_ran[0] + thread_ran[1] + thread_ran[2], 3);
	printf("hostile-after-exhaust: 1 MiB of DMA memory at phys %p, 3 threads\n", (void *)phys);
	return verdict("after-exhaust");
}

static int unmap_storm(void)
{
	/* Some tables to walk: one page in each of several top-level slots. */
	for (uint64_t slot = 32; slot < 256; slot += 32)
		idlk_map((void *)(slot << 39), 4096, RW);
	long start = idlk_clock();
	for (int i = 0; i < 1000; i++)
		expect("unmap of 96 TiB", idlk_unmap((void *)0x100000000000ull, 0x600000000000ull),
		       0);
	long ms = (idlk_clock() - start) / 1000000;
	printf("hostile-unmap: 1000 unmaps of 96 TiB took %ld ms of kernel clock\n", ms);
	if (failures)
		return verdict("unmap");
	/* The finding's call reaches past the user half now (its last page is
	 * never mapped): refused. Then everything above 16 TiB, own stack too. */
	expect("unmap past the user half", idlk_unmap((void *)0x100000000000ull, 0x700000000000ull),
	       -IDLK_E_INVAL);
	if (failures)
		return verdict("unmap");
	printf("hostile-unmap: now the whole user half above 16 TiB, own stack included\n");
	fflush_stdout();
	idlk_unmap((void *)0x100000000000ull, IDLK_USER_END - 0x100000000000ull);
	printf("hostile-unmap: survived losing its stack\n");
	return 1;
}

/* mov $IDLK_SYS_CLOCK, %eax; syscall; the SYSCALL ends at the page's end. */
static const uint8_t clock_syscall[] = {0xb8, IDLK_SYS_CLOCK, 0, 0, 0, 0x0f, 0x05};

static void never_runs(void *arg)
{
	(void)arg;
}

static int last_page(void)
{
	long h = idlk_shm_create(4096);
	expect("map of the last page", idlk_map((void *)LAST_PAGE, 4096, RW), -IDLK_E_INVAL);
	expect("map across into the last page", idlk_map((void *)(LAST_PAGE - 4096), 8192, RW),
	       -IDLK_E_INVAL);
	expect("shm_map at the last page", idlk_shm_map((int)h, (void *)LAST_PAGE, RW),
	       -IDLK_E_INVAL);
	expect("thread entry in the last page",
	       idlk_thread_create(never_runs, (void *)(LAST_PAGE + 8), NULL), -IDLK_E_INVAL);
	long below = idlk_map((void *)(LAST_PAGE - 4096), 4096, RW | IDLK_PROT_EXEC);
	expect("map of the page below", below, (long)(LAST_PAGE - 4096));
	if (failures)
		return verdict("lastpage");
	uint8_t *code = (uint8_t *)(LAST_PAGE - sizeof(clock_syscall));
	memcpy(code, clock_syscall, sizeof(clock_syscall));
	printf("hostile-lastpage: a SYSCALL whose next instruction would be at %p\n",
	       (void *)LAST_PAGE);
	fflush_stdout();
	((void (*)(void))(uintptr_t)code)();
	printf("hostile-lastpage: came back from %p\n", (void *)LAST_PAGE);
	return 1;
}

/* Handle 0 is the UART's 8 ports; the port given must stay closed. */
static int port_outside(uint16_t port, uint8_t value)
{
	expect("opening the UART's ports", idlk_ioport(0), 0);
	expect("deriving the port from the UART's", idlk_resource_derive(0, port, 1), -IDLK_E_PERM);
	if (failures)
		return verdict("port");
	printf("hostile-port: out 0x%x to port 0x%x\n", value, port);
	fflush_stdout();
	outb(port, value);
	printf("hostile-port: port 0x%x was open\n", port);
	return 1;
}

/*
 * Handle 0: PCI's configuration ports [0xcf8, 0xd00), as the PCI server has
 * them. They reach configuration space through the kernel, one register at
 * a time, and never open: the reset control register 0xcf9 lies among them.
 */
static int pci_config(void)
{
	uint64_t host_bridge = IDLK_PCI_ADDRESS(0, 0, 0, 0);
	/* The AHCI controller's interrupt line: writable (the chipset's own
	 * functions, the host bridge among them, are not: chipset below). */
	uint64_t line = IDLK_PCI_ADDRESS(0, 31, 2, 0x3c);
	expect("opening the configuration ports", idlk_ioport(0), -IDLK_E_PERM);
	expect("the host bridge's vendor", idlk_pci_config(0, host_bridge, 2, 0, 0), 0x8086);
	long old = idlk_pci_config(0, line, 1, 0, 0);
	expect("writing a register", idlk_pci_config(0, line, 1, 1, 0x5a), 0);
	expect("reading it back", idlk_pci_config(0, line, 1, 0, 0), 0x5a);
	expect("putting it back", idlk_pci_config(0, line, 1, 1, (uint32_t)old), 0);
	expect("a width of 3", idlk_pci_config(0, host_bridge, 3, 0, 0), -IDLK_E_INVAL);
	expect("a misaligned offset", idlk_pci_config(0, host_bridge + 2, 4, 0, 0), -IDLK_E_INVAL);
	expect("an address past bus 255", idlk_pci_config(0, 1u << 24, 1, 0, 0), -IDLK_E_INVAL);
	expect("an unknown operation", idlk_pci_config(0, line, 1, 2, 0), -IDLK_E_INVAL);
	long part = idlk_resource_derive(0, 0xcfc, 4);
	expect("deriving the data ports", part >= 0, 1);
	expect("the data ports alone", idlk_pci_config((int)part, host_bridge, 2, 0, 0),
	       -IDLK_E_PERM);
	long shm = idlk_shm_create(4096);
	expect("shared memory as the ports", idlk_pci_config((int)shm, host_bridge, 2, 0, 0),
	       -IDLK_E_BADH);
	if (failures)
		return verdict("pci-config");
	printf("hostile-pci-config: out 0x6 to port 0xcf9 (a full reset)\n");
	fflush_stdout();
	outb(0xcf9, 0x6);
	printf("hostile-pci-config: port 0xcf9 was open\n");
	return 1;
}

/*
 * Handles 0-1: what init gives the PCI server, the configuration ports and
 * the PCI I/O window [0x1000, 0x10000); 2-3: the HPET's page and a page of
 * PCIe's configuration space, from the MMIO it holds. The chipset's
 * functions and memory stay the kernel's: moving the ACPI block into the
 * window and writing its sleep bit switched the machine off, and the
 * HPET's legacy routing took IRQ 0, the kernel's clock, from the PIT. Nor
 * does a device's BAR move: one over the PIC's ports took the timer's
 * acknowledgements. Sizing a BAR, and putting it back, still works.
 */
static int chipset(void)
{
	uint64_t host_bridge = IDLK_PCI_ADDRESS(0, 0, 0, 0);
	uint64_t lpc = IDLK_PCI_ADDRESS(0, 31, 0, 0);
	uint64_t pmbase = lpc + 0x40, acpi_ctrl = lpc + 0x44;
	expect("the ISA bridge's class", idlk_pci_config(0, lpc + 0x08, 4, 0, 0) >> 16, 0x0601);
	long old_base = idlk_pci_config(0, pmbase, 4, 0, 0);
	expect("moving the ACPI block", idlk_pci_config(0, pmbase, 4, 1, 0xe001), -IDLK_E_PERM);
	expect("turning ACPI on", idlk_pci_config(0, acpi_ctrl, 1, 1, 0x80), -IDLK_E_PERM);
	expect("the ACPI block stayed", idlk_pci_config(0, pmbase, 4, 0, 0), old_base);
	long old_line = idlk_pci_config(0, host_bridge + 0x3c, 1, 0, 0);
	expect("writing the host bridge", idlk_pci_config(0, host_bridge + 0x3c, 1, 1, 0x5a),
	       -IDLK_E_PERM);
	expect("its register stayed", idlk_pci_config(0, host_bridge + 0x3c, 1, 0, 0), old_line);
	uint64_t bar4 = IDLK_PCI_ADDRESS(0, 31, 2, 0x20); /* the AHCI controller's I/O BAR */
	long placed = idlk_pci_config(0, bar4, 4, 0, 0);
	expect("moving a BAR over the PIC", idlk_pci_config(0, bar4, 4, 1, 0x21), -IDLK_E_PERM);
	expect("writing half a BAR", idlk_pci_config(0, bar4, 2, 1, 0x21), -IDLK_E_PERM);
	expect("the BAR stayed", idlk_pci_config(0, bar4, 4, 0, 0), placed);
	expect("sizing the BAR", idlk_pci_config(0, bar4, 4, 1, 0xffffffff), 0);
	long mask = idlk_pci_config(0, bar4, 4, 0, 0);
	expect("something other than where it was", idlk_pci_config(0, bar4, 4, 1, 0x21),
	       -IDLK_E_PERM);
	expect("putting it back", idlk_pci_config(0, bar4, 4, 1, (uint32_t)placed), 0);
	expect("the BAR is back", idlk_pci_config(0, bar4, 4, 0, 0), placed);
	expect("its size mask", (mask & 1) == 1 && mask != placed, 1);
	expect("mmio_map of the HPET", idlk_mmio_map(2, 0, 4096, NULL), -IDLK_E_PERM);
	expect("mmio_map of PCIe configuration", idlk_mmio_map(3, 0, 4096, NULL), -IDLK_E_PERM);
	expect("opening the PCI I/O window", idlk_ioport(1), 0);
	if (failures)
		return verdict("chipset");
	/* What the old kernel let through, in case a check above is wrong: a
	 * machine that switches off here fails the test. */
	idlk_pci_config(0, pmbase, 4, 1, 0xe001);
	idlk_pci_config(0, acpi_ctrl, 1, 1, 0x80);
	outw(0xe004, 1 << 13); /* PM1a_CNT: SLP_EN, sleep type 0 (QEMU's soft off) */
	return verdict("chipset");
}

static volatile unsigned long spins;

static void spinner(void *arg)
{
	(void)arg;
	for (;;)
		spins++;
}

/* RFLAGS.NT set in user mode (POPF may), then system calls that switch
 * threads, with a second thread always runnable: the kernel's flags are
 * not saved at a switch, and an IRETQ with NT set is #GP in ring 0. */
static int nt_flag(void)
{
	expect("a spinning thread", thread_spawn(spinner, NULL, 8192) < 0, 0);
	while (spins == 0)
		idlk_thread_yield();
	for (int i = 0; i < 50; i++) {
		__asm__ volatile("pushfq; orq $0x4000, (%%rsp); popfq" ::: "memory", "cc");
		idlk_thread_yield();
		__asm__ volatile("pushfq; andq $~0x4000, (%%rsp); popfq" ::: "memory", "cc");
	}
	return verdict("nt-flag");
}

/* Handle 0: the UART's ports [0x3f8, 0x400); handle 1: IRQ 4. */
static int resources(void)
{
	struct idlk_handle_info info;
	expect("handle_info of the ports", idlk_handle_info(0, &info), IDLK_HANDLE_IOPORT);
	expect("their base", (long)info.base, 0x3f8);
	expect("their size", (long)info.size, 8);
	expect("handle_info of the IRQ", idlk_handle_info(1, &info), IDLK_HANDLE_IRQ);
	expect("handle_info into the kernel", idlk_handle_info(0, (void *)0xffff800000001000ull),
	       -IDLK_E_FAULT);
	expect("handle_info of no handle", idlk_handle_info(5, &info), -IDLK_E_BADH);
	long part = idlk_resource_derive(0, 0x3fc, 4);
	expect("deriving the upper 4 ports", part >= 0, 1);
	expect("deriving from the derived, wider", idlk_resource_derive((int)part, 0x3f8, 8),
	       -IDLK_E_PERM);
	expect("deriving below the range", idlk_resource_derive(0, 0x3f0, 16), -IDLK_E_PERM);
	expect("deriving across the end", idlk_resource_derive(0, 0x3ff, 2), -IDLK_E_PERM);
	expect("deriving nothing", idlk_resource_derive(0, 0x3f8, 0), -IDLK_E_PERM);
	expect("deriving a range that wraps", idlk_resource_derive(0, 0x3f9, UINT64_MAX),
	       -IDLK_E_PERM);
	expect("deriving another IRQ", idlk_resource_derive(1, 5, 1), -IDLK_E_PERM);
	long shm = idlk_shm_create(4096);
	expect("deriving from shared memory", idlk_resource_derive((int)shm, 0, 1), -IDLK_E_BADH);
	expect("irq_wait on ports", idlk_irq_wait(0), -IDLK_E_BADH);
	expect("ioport on an IRQ", idlk_ioport(1), -IDLK_E_BADH);
	expect("mmio_map with ports", idlk_mmio_map(0, 0, 4096, NULL), -IDLK_E_BADH);
	uint64_t phys;
	expect("dma_alloc with ports", idlk_dma_alloc(0, 4096, NULL, &phys), -IDLK_E_BADH);
	expect("shm_map of a resource", idlk_shm_map(0, NULL, RW), -IDLK_E_BADH);
	expect("wait on a resource", idlk_wait(0), -IDLK_E_BADH);
	return verdict("resources");
}

static volatile uint32_t *watched;
static volatile long wait_result = 1;
static volatile int waiting;

static void futex_waiter(void *arg)
{
	(void)arg;
	waiting = 1;
	wait_result = idlk_futex_wait(watched, 0, 0);
}

static void nap(void)
{
	static volatile uint32_t never;
	idlk_futex_wait(&never, 0, 20 * 1000 * 1000); /* 20 ms */
}

static int futex_gone(void)
{
	long page = idlk_map(NULL, 4096, RW);
	watched = (volatile uint32_t *)page;
	expect("thread_spawn", thread_spawn(futex_waiter, NULL, 8192) < 0, 0);
	while (!waiting)
		idlk_thread_yield();
	nap(); /* the waiter is asleep in the kernel now */
	expect("the waiter still waits", wait_result, 1);
	expect("unmap of the page it waits on", idlk_unmap((void *)page, 4096), 0);
	nap();
	expect("the waiter's result", wait_result, -IDLK_E_GONE);
	/* Whoever maps memory next may get the frame: waking it wakes nobody. */
	long next = idlk_map(NULL, 4096, RW);
	expect("waking the next page", idlk_futex_wake((volatile uint32_t *)next, 100), 0);
	printf("hostile-futex-gone: the waiter returned %ld once its page went\n", wait_result);
	return verdict("futex-gone");
}

static void sleep_forever(void *arg)
{
	static volatile uint32_t never;
	(void)arg;
	for (;;)
		idlk_futex_wait(&never, 0, 0);
}

/* Limits (init_hostile.c): 4 threads, 2 shared objects, 4 handles, 200 pages. */
static int limits(void)
{
	struct idlk_limits limit, used;
	expect("limits", idlk_limits(&limit, &used), 0);
	expect("thread limit", (long)limit.threads, 4);
	long threads = 0, err;
	while ((err = thread_spawn(sleep_forever, NULL, 8192)) >= 0)
		threads++;
	expect("threads started", threads, 3);
	expect("the thread past the limit", err, -IDLK_E_LIMIT);
	expect("first shared object", idlk_shm_create(4096) >= 0, 1);
	expect("second shared object", idlk_shm_create(4096) >= 0, 1);
	expect("third shared object", idlk_shm_create(4096), -IDLK_E_LIMIT);
	expect("fourth handle", idlk_resource_derive(0, 0, 4096) >= 0, 1);
	expect("fifth handle", idlk_resource_derive(0, 0, 4096), -IDLK_E_LIMIT);
	long chunks = 0;
	while ((err = idlk_map(NULL, 16 * 4096, RW)) >= 0)
		chunks++;
	expect("the memory past the limit", err, -IDLK_E_LIMIT);
	expect("spawn without the right", spawn("demo", NULL, 0, 0, &limit), -IDLK_E_PERM);
	expect("limits", idlk_limits(&limit, &used), 0);
	printf("hostile-limits: threads %lu/%lu, shms %lu/%lu, handles %lu/%lu, pages %lu/%lu "
	       "after %ld chunks\n",
	       used.threads, limit.threads, used.shms, limit.shms, used.handles, limit.handles,
	       used.pages, limit.pages, chunks);
	expect("pages within the limit", used.pages <= limit.pages, 1);
	return verdict("limits");
}

/* Offsets of the death-notice words in the test channel's memory. */
static const struct idlk_chan_notify notices = {{0, 4}, {8, 12}};

/*
 * Channel ends in flight never hold each other: two channels that carry
 * each other's receiving end would be out of reach and never freed, and a
 * chain of ends each carrying the next would close by a recursion as deep
 * as the chain. Nothing goes towards an end that travels; an end does not
 * travel while ends travel towards it. And nothing is left behind. Its
 * failures count in channel()'s verdict.
 */
static void ends_in_flight(void)
{
	struct idlk_limits limit, before, after;
	idlk_limits(&limit, &before);
	int a[2], b[2], c[2], d[2];
	expect("chan_create a", idlk_chan_create(4096, a, NULL), 0);
	expect("chan_create b", idlk_chan_create(4096, b, NULL), 0);
	expect("chan_create c", idlk_chan_create(4096, c, NULL), 0);
	expect("chan_create d", idlk_chan_create(4096, d, NULL), 0);
	uint32_t word, other;
	/* b's end 0 travels towards a's end 1. */
	expect("send an end", idlk_handle_send(a[0], &b[0], 1, &word), 0);
	/* Nothing towards b's end 0 while it travels: the cycle's last step. */
	expect("send towards an end in flight", idlk_handle_send(b[1], &a[0], 1, &other),
	       -IDLK_E_BUSY);
	/* a's end 1 has an end travelling towards it: it stays (no chains). */
	expect("send an end that an end travels to", idlk_handle_send(c[0], &a[1], 1, &other),
	       -IDLK_E_BUSY);
	/* Landed, b's end 0 takes handles again. */
	int b0 = -1;
	expect("receive the end", idlk_handle_receive(a[1], &word, 1, &b0), 0);
	expect("send towards it, landed", idlk_handle_send(b[1], &c[1], 1, &other), 0);
	/* With only an object towards it, a's end 1 travels, with it. */
	int shm = (int)idlk_shm_create(4096);
	expect("send an object to a's end 1", idlk_handle_send(a[0], &shm, 1, &word), 0);
	expect("send a's end 1, carrying it", idlk_handle_send(d[0], &a[1], 1, &word), 0);
	/* Closing the ends they travel to closes them and what they carry:
	 * d's end 1 takes a's end 1 and the object; b's end 0 takes c's end 1. */
	idlk_handle_close(d[1]);
	idlk_handle_close(b0);
	int rest[] = {a[0], b[1], c[0], d[0]};
	for (size_t i = 0; i < sizeof(rest) / sizeof(rest[0]); i++)
		idlk_handle_close(rest[i]);
	idlk_limits(&limit, &after);
	expect("objects left behind", (long)after.shms, (long)before.shms);
	expect("handles left behind", (long)after.handles, (long)before.handles);
	printf("hostile-ends: nothing travels towards an end in flight, nor an end that ends "
	       "travel to\n");
}

static int channel(void)
{
	ends_in_flight();
	int ends[2];
	expect("chan_create", idlk_chan_create(4096, ends, &notices), 0);
	volatile uint32_t *mem = (volatile uint32_t *)idlk_shm_map(ends[0], NULL, RW);
	expect("mapping the channel", (long)mem > 0, 1);
	struct idlk_handle_info info;
	expect("handle_info of end 1", idlk_handle_info(ends[1], &info), IDLK_HANDLE_CHANNEL);
	expect("its end", (long)info.base, 1);
	int more[2];
	const struct idlk_chan_notify outside = {{0, 4096}, {8, 12}};
	expect("a notice word outside", idlk_chan_create(4096, more, &outside), -IDLK_E_INVAL);
	/* A shared object from end 0 to end 1, received back by this process. */
	int shm = (int)idlk_shm_create(4096);
	idlk_handle_info(shm, &info);
	long shm_object = (long)info.object;
	struct idlk_limits limit, used;
	idlk_limits(&limit, &used);
	uint64_t handles_before = used.handles;
	uint32_t word;
	expect("send", idlk_handle_send(ends[0], &shm, 1, &word), 0);
	expect("the sent handle left the table", idlk_handle_info(shm, &info), -IDLK_E_BADH);
	expect("receive at the sending end", idlk_handle_receive(ends[0], &word, 1, &shm),
	       -IDLK_E_BADH);
	uint32_t forged = word ^ 0x100; /* same slot, another generation */
	expect("receive a made-up word", idlk_handle_receive(ends[1], &forged, 1, &shm),
	       -IDLK_E_BADH);
	uint32_t twice[2] = {word, word};
	expect("receive one word twice", idlk_handle_receive(ends[1], twice, 2, &shm),
	       -IDLK_E_INVAL);
	int got = -1;
	expect("receive", idlk_handle_receive(ends[1], &word, 1, &got), 0);
	expect("what arrived", idlk_handle_info(got, &info), IDLK_HANDLE_SHM);
	expect("the same object", (long)info.object, (long)shm_object);
	expect("receive the word again", idlk_handle_receive(ends[1], &word, 1, &got),
	       -IDLK_E_BADH);
	int pair[2] = {got, got};
	expect("send one handle twice", idlk_handle_send(ends[0], pair, 2, twice), -IDLK_E_INVAL);
	expect("send a channel through itself", idlk_handle_send(ends[0], &ends[1], 1, &word),
	       -IDLK_E_INVAL);
	idlk_limits(&limit, &used);
	expect("handles after the round trip", (long)used.handles, (long)handles_before);
	/* Fill the 64 slots towards end 1, then one more. */
	long sent = 0, err = 0;
	while (err == 0) {
		int dup = (int)idlk_handle_dup(got);
		err = idlk_handle_send(ends[0], &dup, 1, &word);
		if (err == 0)
			sent++;
		else
			idlk_handle_close(dup);
	}
	expect("handles in flight at once", sent, 64);
	expect("the one past them", err, -IDLK_E_BUSY);
	/* Kicks: watch end 0 with words of this process's; each kick from end 1,
	 * and end 1's death below, sets the bit and bumps the sequence. */
	static volatile uint32_t kick_words[2]; /* seq, bits */
	struct idlk_chan_watch watch = {(uint64_t)(uintptr_t)&kick_words[0],
	                                (uint64_t)(uintptr_t)&kick_words[1], 5, 0};
	expect("a kick nobody watches", idlk_chan_kick(ends[1]), -IDLK_E_AGAIN);
	expect("kick with no channel", idlk_chan_kick(9999), -IDLK_E_BADH);
	struct idlk_chan_watch bad = watch;
	bad.bit = 32;
	expect("watch bit 32", idlk_chan_watch(ends[0], &bad), -IDLK_E_INVAL);
	bad = watch;
	bad.reserved = 1;
	expect("watch with reserved set", idlk_chan_watch(ends[0], &bad), -IDLK_E_INVAL);
	bad = watch;
	bad.seq += 2;
	expect("watch a misaligned word", idlk_chan_watch(ends[0], &bad), -IDLK_E_INVAL);
	bad = watch;
	bad.bits = LAST_PAGE;
	expect("watch a word outside user memory", idlk_chan_watch(ends[0], &bad), -IDLK_E_FAULT);
	expect("watch from a bad pointer",
	       idlk_chan_watch(ends[0], (const struct idlk_chan_watch *)LAST_PAGE), -IDLK_E_FAULT);
	expect("watch", idlk_chan_watch(ends[0], &watch), 0);
	expect("kick", idlk_chan_kick(ends[1]), 0);
	expect("kick", idlk_chan_kick(ends[1]), 0);
	expect("the kicks' sequence", (long)kick_words[0], 2);
	expect("the kicks' bit", (long)kick_words[1], 1 << 5);
	expect("a kick towards the kicker's own end", idlk_chan_kick(ends[0]), -IDLK_E_AGAIN);
	/* Words unmapped after the watch: the kick is lost, nothing else. */
	long page = idlk_map(NULL, 4096, RW);
	struct idlk_chan_watch gone = {(uint64_t)page, (uint64_t)page + 4, 1, 0};
	expect("watch words of a page", idlk_chan_watch(ends[0], &gone), 0);
	idlk_unmap((void *)page, 4096);
	expect("kick words unmapped since", idlk_chan_kick(ends[1]), 0);
	expect("watch again", idlk_chan_watch(ends[0], &watch), 0);
	/* The watch lasts while this process holds end 0: closing one of two
	 * handles to it keeps it; sending the last away ends it, and the end
	 * received back is not watched until watched again. */
	int twin = (int)idlk_handle_dup(ends[0]);
	idlk_handle_close(ends[0]);
	expect("kick, one of two handles closed", idlk_chan_kick(ends[1]), 0);
	expect("the watch held", (long)kick_words[0], 3);
	int via[2];
	expect("chan_create via", idlk_chan_create(4096, via, NULL), 0);
	uint32_t carried;
	expect("send the watched end away", idlk_handle_send(via[0], &twin, 1, &carried), 0);
	expect("a kick after the end left", idlk_chan_kick(ends[1]), -IDLK_E_AGAIN);
	expect("no kick reached the old holder", (long)kick_words[0], 3);
	expect("receive it back", idlk_handle_receive(via[1], &carried, 1, &ends[0]), 0);
	expect("a kick towards the end received", idlk_chan_kick(ends[1]), -IDLK_E_AGAIN);
	idlk_handle_close(via[0]);
	idlk_handle_close(via[1]);
	expect("watch the end received", idlk_chan_watch(ends[0], &watch), 0);
	/* Closing end 1: its handles in flight close, end 0 is told. */
	uint32_t wake_before = mem[2];
	idlk_limits(&limit, &used);
	uint64_t shms_before = used.shms;
	idlk_handle_close(got);
	expect("the object lives while in flight", (long)used.shms, (long)shms_before);
	idlk_handle_close(ends[1]);
	idlk_limits(&limit, &used);
	expect("closed word of end 1", (long)mem[1], 1);
	expect("wake word of end 0", (long)(mem[2] - wake_before), 1);
	expect("end 1's death kicks end 0's watcher", (long)kick_words[0], 4);
	expect("the object died with the end it travelled to", (long)used.shms,
	       (long)shms_before - 1);
	int another = (int)idlk_shm_create(4096);
	expect("send to a closed end", idlk_handle_send(ends[0], &another, 1, &word), -IDLK_E_GONE);
	expect("kick a closed end", idlk_chan_kick(ends[0]), -IDLK_E_GONE);
	/* Mapping and unmapping an object many times costs nothing lasting: the
	 * mapping's reference goes with its last page. */
	long remaps = 0;
	for (int i = 0; i < 100; i++) {
		long at = idlk_shm_map(another, NULL, RW);
		if (at < 0 || idlk_unmap((void *)at, 4096) < 0)
			break;
		remaps++;
	}
	expect("maps and unmaps of one object", remaps, 100);
	idlk_limits(&limit, &used);
	uint64_t shms_mapped = used.shms;
	long first = idlk_shm_map(another, NULL, RW);
	long second = idlk_shm_map(another, NULL, RW); /* mapped twice: two pages, one slot */
	idlk_unmap((void *)second, 4096);
	idlk_handle_close(another);
	idlk_limits(&limit, &used);
	expect("the object lives while one mapping is left", (long)used.shms, (long)shms_mapped);
	idlk_unmap((void *)first, 4096);
	idlk_limits(&limit, &used);
	expect("and goes with it", (long)used.shms, (long)shms_mapped - 1);
	printf("hostile-channel: %ld handles in flight, forged and replayed words refused\n", sent);
	return verdict("channel");
}

/*
 * A process that kills itself with its own handle, which init sends it
 * (its handle 0 is a channel end; init writes the handle's word, then 1,
 * in the channel's memory). The kill must end it there, as exit does: if
 * the call returns, it counts in the memory where init looks, for a while.
 */
static int kill_self(void)
{
	volatile uint32_t *mem = (volatile uint32_t *)idlk_shm_map(0, NULL, RW);
	if ((long)mem <= 0)
		return 3;
	while (mem[1] == 0)
		idlk_futex_wait(&mem[1], 0, 1000000000u);
	uint32_t word = mem[0];
	int self = -1;
	if (idlk_handle_receive(0, &word, 1, &self) < 0)
		return 4;
	idlk_kill(self);
	for (int i = 0; i < 1000; i++) { /* a ghost: killed, and running on */
		mem[2]++;
		idlk_thread_yield();
	}
	return 5;
}

int umain(const char *args, long nhandles)
{
	(void)nhandles;
	if (strcmp(args, "exhaust") == 0)
		return exhaust();
	if (strcmp(args, "after-exhaust") == 0)
		return after_exhaust();
	if (strcmp(args, "unmap") == 0)
		return unmap_storm();
	if (strcmp(args, "lastpage") == 0)
		return last_page();
	if (strcmp(args, "port-exit") == 0)
		return port_outside(0xf4, 0x11); /* the failure code, should it get through */
	if (strcmp(args, "port-pic") == 0)
		return port_outside(0x21, 0xff); /* mask every interrupt */
	if (strcmp(args, "port-pci") == 0)
		return port_outside(0xcf8, 0);
	if (strcmp(args, "port-pit") == 0)
		return port_outside(0x43, 0x30);
	if (strcmp(args, "pci-config") == 0)
		return pci_config();
	if (strcmp(args, "chipset") == 0)
		return chipset();
	if (strcmp(args, "nt-flag") == 0)
		return nt_flag();
	if (strcmp(args, "resources") == 0)
		return resources();
	if (strcmp(args, "futex-gone") == 0)
		return futex_gone();
	if (strcmp(args, "limits") == 0)
		return limits();
	if (strcmp(args, "channel") == 0)
		return channel();
	if (strcmp(args, "kill-self") == 0)
		return kill_self();
	printf("hostile: no attack called \"%s\"\n", args);
	return 2;
}
