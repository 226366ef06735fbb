/*
 * syscall.c: the system-call table, the dispatcher SYSCALL enters through
 * (trapasm.S), and the two calls too small for a file of their own.
 */
#include "syscall.h"
#include "x86.h"

void syscall_entry(void);

static syscall_fn *const syscalls[IDLK_SYSCALL_COUNT] = {
    [IDLK_SYS_DEBUG_LOG] = sys_debug_log,
    [IDLK_SYS_CLOCK] = sys_clock,
    [IDLK_SYS_THREAD_CREATE] = sys_thread_create,
    [IDLK_SYS_THREAD_EXIT] = sys_thread_exit,
    [IDLK_SYS_SPAWN] = sys_spawn,
    [IDLK_SYS_EXIT] = sys_exit,
    [IDLK_SYS_WAIT] = sys_wait,
    [IDLK_SYS_MAP] = sys_map,
    [IDLK_SYS_UNMAP] = sys_unmap,
    [IDLK_SYS_SHM_CREATE] = sys_shm_create,
    [IDLK_SYS_SHM_MAP] = sys_shm_map,
    [IDLK_SYS_HANDLE_CLOSE] = sys_handle_close,
    [IDLK_SYS_FUTEX_WAIT] = sys_futex_wait,
    [IDLK_SYS_FUTEX_WAKE] = sys_futex_wake,
    [IDLK_SYS_IRQ_WAIT] = sys_irq_wait,
    [IDLK_SYS_IOPORT] = sys_ioport,
    [IDLK_SYS_MMIO_MAP] = sys_mmio_map,
    [IDLK_SYS_DMA_ALLOC] = sys_dma_alloc,
    [IDLK_SYS_THREAD_YIELD] = sys_thread_yield,
    [IDLK_SYS_RESOURCE_DERIVE] = sys_resource_derive,
    [IDLK_SYS_HANDLE_INFO] = sys_handle_info,
    [IDLK_SYS_LIMITS] = sys_limits,
    [IDLK_SYS_CHAN_CREATE] = sys_chan_create,
    [IDLK_SYS_HANDLE_SEND] = sys_handle_send,
    [IDLK_SYS_HANDLE_RECEIVE] = sys_handle_receive,
    [IDLK_SYS_HANDLE_DUP] = sys_handle_dup,
    [IDLK_SYS_CHAN_WATCH] = sys_chan_watch,
    [IDLK_SYS_CHAN_KICK] = sys_chan_kick,
    [IDLK_SYS_KILL] = sys_kill,
    [IDLK_SYS_PCI_CONFIG] = sys_pci_config,
};

void syscall_init(void)
{
	/* SYSCALL loads CS from STAR[47:32]; SYSRET loads CS from STAR[63:48] + 16. */
	wrmsr(MSR_STAR, ((uint64_t)SEL_KDATA << 48) | ((uint64_t)SEL_KCODE << 32));
	wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
	/* Clear IF, DF, TF, NT and AC on entry: the kernel runs with interrupts
	 * off. NT too, which user code may set with POPF: the kernel's flags
	 * are not saved when it switches threads, so NT would reach the IRETQ
	 * that resumes another thread, which is #GP in long mode, in ring 0. */
	wrmsr(MSR_SFMASK, 0x200 | 0x400 | 0x100 | 0x4000 | 0x40000);
}

/*
 * Called by syscall_entry with the user registers; the result goes to RAX.
 * The return address is the instruction after the SYSCALL. If that is not
 * in the user half (a SYSCALL ending exactly at IDLK_USER_END), returning
 * there would fault in kernel mode on a real CPU (SYSRET and IRETQ both
 * raise #GP in ring 0 for a non-canonical RIP, and the page above the user
 * half is never mapped), so the process is ended here as if by that #GP.
 */
void syscall(struct trapframe *tf)
{
	uint64_t n = tf->rax;
	if (n >= IDLK_SYSCALL_COUNT)
		tf->rax = (uint64_t)-E_NOSYS;
	else
		tf->rax = (uint64_t)syscalls[n](tf->rdi, tf->rsi, tf->rdx, tf->r10, tf->r8);
	if (!vm_user_range(tf->rip, 1))
		trap_kill(tf, 13, "return from a system call outside the user half");
}

/* trapasm.S: syscall() let through a return address SYSRET cannot take. */
_Noreturn void syscall_bad_return(void)
{
	panic("SYSRET to a non-canonical address");
}

#define DEBUG_LOG_MAX 256

/* debug_log(buf, len): writes len bytes (at most 256) to the serial line. */
int64_t sys_debug_log(uint64_t buf, uint64_t len, uint64_t a2, uint64_t a3, uint64_t a4)
{
	(void)a2, (void)a3, (void)a4;
	char text[DEBUG_LOG_MAX];
	if (len > DEBUG_LOG_MAX)
		return -E_INVAL;
	if (copy_from_user(current->proc->pml4, text, buf, len) < 0)
		return -E_FAULT;
	serial_write(text, len);
	return (int64_t)len;
}

/* clock(): nanoseconds since boot, monotonic, with a resolution of one tick. */
int64_t sys_clock(uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4)
{
	(void)a0, (void)a1, (void)a2, (void)a3, (void)a4;
	return (int64_t)clock_ns();
}
