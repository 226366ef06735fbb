/*
 * trap.c: the interrupt descriptor table and trap(), where every interrupt
 * and exception lands. Interrupts: the timer ticks the clock and preempts;
 * other lines go to the user-space driver that waits on them (sys_dev.c).
 * Exceptions: from user mode the process is killed with a report on the
 * serial line and everything else goes on; from kernel mode it is a kernel
 * bug, and the kernel panics.
 *
 * The kernel never runs with interrupts enabled except in the idle loop
 * (proc.c), so trap() is never re-entered.
 */
#include "proc.h"
#include "x86.h"

struct gate {
	uint16_t offset_low, selector;
	uint8_t ist, type;
	uint16_t offset_mid;
	uint32_t offset_high, reserved;
};

static struct gate idt[48];
extern uint64_t vectors[48];
static uint64_t slice_start;

static const char *const exception_names[32] = {
    [0] = "divide error",
    [1] = "debug",
    [3] = "breakpoint",
    [4] = "overflow",
    [5] = "bound range",
    [6] = "invalid opcode",
    [7] = "no math coprocessor",
    [8] = "double fault",
    [10] = "invalid TSS",
    [11] = "segment not present",
    [12] = "stack fault",
    [13] = "general protection fault",
    [14] = "page fault",
    [16] = "x87 floating-point error",
    [17] = "alignment check",
    [18] = "machine check",
    [19] = "SIMD floating-point error",
};

void trap_init(void)
{
	for (int i = 0; i < 48; i++) {
		uint64_t a = vectors[i];
		idt[i] = (struct gate){
		    .offset_low = (uint16_t)a,
		    .selector = SEL_KCODE,
		    .type = 0x8e, /* present, DPL 0, interrupt gate: IF cleared on entry */
		    .offset_mid = (uint16_t)(a >> 16),
		    .offset_high = (uint32_t)(a >> 32),
		};
	}
	/* int3 may be used from user mode; it kills the process like any fault. */
	idt[3].type = 0xee;
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) ptr = {sizeof(idt) - 1, (uint64_t)idt};
	__asm__ volatile("lidt %0" : : "m"(ptr));
}

static void report(struct trapframe *tf)
{
	const char *name = tf->vector < 32 && exception_names[tf->vector]
	                       ? exception_names[tf->vector]
	                       : "exception";
	kprintf("%s (vector %lu, error 0x%lx) at rip %p, rsp %p", name, tf->vector, tf->error,
	        tf->rip, tf->rsp);
	if (tf->vector == 14)
		kprintf(", address %p", read_cr2());
	kprintf("\n");
}

/* A driver thread that an interrupt woke waits for the CPU. */
static bool driver_waits;

/* Called from the idle loop and thread switches: a thread got a fresh slice. */
void trap_new_slice(void)
{
	slice_start = clock_ticks();
	driver_waits = false;
}

/*
 * Whether the thread on the CPU gives it up now. At the end of its slice;
 * or for a driver that an interrupt woke, once it ran a whole tick.
 * Not before: a level-triggered line that a device keeps asserting (one
 * whose driver died, or has not started its interrupt thread yet) fires
 * again as soon as a sharer of the line acknowledges it, and preempting
 * at once each time left every other thread a few instructions between
 * interrupts: a livelock. So a driver waits at most two ticks for a busy CPU.
 */
static bool preempt_now(bool driver_woken)
{
	uint64_t ran = clock_ticks() - slice_start;
	driver_waits |= driver_woken;
	return ran >= SLICE_TICKS || (driver_waits && ran >= DRIVER_MIN_RUN_TICKS);
}

void trap(struct trapframe *tf)
{
	bool from_user = (tf->cs & 3) == 3;
	if (tf->vector >= IRQ_VECTOR_BASE && tf->vector < IRQ_VECTOR_BASE + 16) {
		int irq = (int)tf->vector - IRQ_VECTOR_BASE;
		bool driver_woken = false;
		if (irq == 0) {
			clock_tick();
			wakeup_timeouts(clock_ns());
		} else {
			driver_woken = irq_deliver(irq);
		}
		pic_eoi(irq);
		if (current && from_user && preempt_now(driver_woken))
			yield();
		return;
	}
	if (!from_user) {
		kprintf("kernel: ");
		report(tf);
		panic("exception in kernel mode");
	}
	trap_kill(tf, tf->vector, NULL);
}

/*
 * Ends the current process for exception vector (its wait status is 256 +
 * vector), with a report on the serial line: the trap's own, or why.
 */
_Noreturn void trap_kill(struct trapframe *tf, uint64_t vector, const char *why)
{
	struct proc *p = current->proc;
	kprintf("fault: process %d (%s) thread %d killed: ", p->pid, p->name, current->tid);
	if (why)
		kprintf("%s (as vector %lu) at rip %p, rsp %p\n", why, vector, tf->rip, tf->rsp);
	else
		report(tf);
	proc_exit(p, 256 + (int64_t)vector);
	thread_exit();
	panic("a killed thread returned");
}
