/*
 * sys_dev.c: device access for user-space drivers, all of it only for
 * processes holding IDLK_RIGHT_DEVICE: I/O ports (through the TSS permission
 * bitmap, so IN and OUT run without a system call), interrupt lines, MMIO
 * mappings and DMA-able memory with its physical address. The kernel itself
 * drives no device beyond the timer, the interrupt controller and its debug
 * output.
 */
#include "syscall.h"

#define MMIO_MAX_BYTES (256ull << 20)
#define DMA_MAX_BYTES  (4ull << 20)

static struct proc *irq_owner[16];
static bool irq_pending[16];

static bool device_right(void)
{
	return current->proc->rights & IDLK_RIGHT_DEVICE;
}

/*
 * From trap(): interrupt on a line that user space may own. The line stays
 * masked until its driver calls irq_wait again. Returns whether a driver
 * thread was woken.
 */
bool irq_deliver(int irq)
{
	pic_mask(irq);
	if (!irq_owner[irq])
		return false;
	if (wakeup(W_IRQ, (uint64_t)irq, 0, 1))
		return true;
	irq_pending[irq] = true;
	return false;
}

/* A dying process gives its interrupt lines back. */
void irq_release(struct proc *p)
{
	for (int i = 0; i < 16; i++) {
		if (irq_owner[i] == p) {
			irq_owner[i] = NULL;
			irq_pending[i] = false;
			pic_mask(i);
		}
	}
}

/*
 * irq_wait(irq): the first call claims the line for this process. Each call
 * acknowledges the previous interrupt (unmasks the line) and waits for the
 * next; one that came in between returns at once.
 */
int64_t sys_irq_wait(uint64_t irq, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4)
{
	(void)a1, (void)a2, (void)a3, (void)a4;
	if (!device_right())
		return -E_PERM;
	if (irq == 0 || irq == 2 || irq >= 16) /* the timer and the cascade stay the kernel's */
		return -E_INVAL;
	if (irq_owner[irq] && irq_owner[irq] != current->proc)
		return -E_BUSY;
	irq_owner[irq] = current->proc;
	if (irq_pending[irq]) {
		irq_pending[irq] = false;
		return 0;
	}
	pic_unmask((int)irq);
	return block(W_IRQ, irq, 0);
}

/* ioport(first, count): lets this process use IN/OUT on ports [first, first + count). */
int64_t sys_ioport(uint64_t first, uint64_t count, uint64_t a2, uint64_t a3, uint64_t a4)
{
	(void)a2, (void)a3, (void)a4;
	struct proc *p = current->proc;
	if (!device_right())
		return -E_PERM;
	if (count == 0 || first >= IDLK_MAX_IOPORT || count > IDLK_MAX_IOPORT - first)
		return -E_INVAL;
	for (uint64_t port = first; port < first + count; port++)
		p->iomap[port / 8] &= (uint8_t) ~(1u << (port % 8));
	tss_set_iomap(p->iomap);
	return 0;
}

/* mmio_map(phys, len, addr) -> addr: maps device memory, uncached; never RAM. */
int64_t sys_mmio_map(uint64_t phys, uint64_t len, uint64_t addr, uint64_t a3, uint64_t a4)
{
	(void)a3, (void)a4;
	struct proc *p = current->proc;
	if (!device_right())
		return -E_PERM;
	if (phys % PAGE_SIZE || len > MMIO_MAX_BYTES || phys >= (1ull << 52) ||
	    len > (1ull << 52) - phys)
		return -E_INVAL;
	for (uint64_t pa = phys; pa < phys + len; pa += PAGE_SIZE)
		if (pmm_is_ram(pa))
			return -E_PERM;
	uint64_t at;
	int64_t err = map_decode(p, addr, len, &at);
	if (err < 0)
		return err;
	for (uint64_t off = 0; off < len; off += PAGE_SIZE) {
		if (!vm_map(p->pml4, at + off, phys + off,
		            PTE_U | PTE_W | PTE_NX | PTE_PCD | PTE_MMIO)) {
			vm_unmap(p->pml4, at, off);
			return -E_NOMEM;
		}
	}
	if (addr == 0)
		p->map_next = at + len + PAGE_SIZE;
	return (int64_t)at;
}

/*
 * dma_alloc(len, addr, phys_out) -> addr: physically contiguous, zeroed
 * memory, mapped at addr (0: anywhere); its physical address is stored in
 * the 64-bit word at phys_out, for programming a device.
 */
int64_t sys_dma_alloc(uint64_t len, uint64_t addr, uint64_t phys_out, uint64_t a3, uint64_t a4)
{
	(void)a3, (void)a4;
	struct proc *p = current->proc;
	uint64_t zero = 0;
	if (!device_right())
		return -E_PERM;
	if (len > DMA_MAX_BYTES)
		return -E_INVAL;
	uint64_t at;
	int64_t err = map_decode(p, addr, len, &at);
	if (err < 0)
		return err;
	/* Writing 0 now checks phys_out, so the call cannot fail after allocating. */
	if (copy_to_user(p->pml4, phys_out, &zero, sizeof(zero)) < 0)
		return -E_FAULT;
	uint64_t pa = pmm_alloc_contiguous(len / PAGE_SIZE);
	if (!pa)
		return -E_NOMEM;
	for (uint64_t off = 0; off < len; off += PAGE_SIZE) {
		if (!vm_map(p->pml4, at + off, pa + off, PTE_U | PTE_W | PTE_NX | PTE_OWNED)) {
			vm_unmap(p->pml4, at, off);
			for (uint64_t rest = off; rest < len; rest += PAGE_SIZE)
				pmm_free(pa + rest);
			return -E_NOMEM;
		}
	}
	copy_to_user(p->pml4, phys_out, &pa, sizeof(pa));
	if (addr == 0)
		p->map_next = at + len + PAGE_SIZE;
	return (int64_t)at;
}
