/*
 * sys_dev.c: device access for user-space drivers. Every call takes a
 * resource handle (handle.c) and reaches only what it names: I/O ports
 * through the TSS permission bitmap (so IN and OUT run without a system
 * call), interrupt lines, MMIO mappings, and DMA-able memory with its
 * physical address. Whatever a handle says, the kernel keeps for itself the
 * devices it drives: the interrupt controllers and the timer (their ports,
 * IRQ 0, the cascade IRQ 2, the local and I/O APIC's memory). The kernel
 * drives no other device beyond its debug output.
 */
#include "syscall.h"
#include "x86.h"

#define MMIO_MAX_BYTES (256ull << 20)
#define DMA_MAX_BYTES  (4ull << 20)
#define NIRQ           16

#define IRQ_SHARERS 4 /* processes that may wait on one line (PCI lines are shared) */

/*
 * An interrupt line that user space waits on. PCI interrupts are level
 * triggered and shared: when the line fires, the kernel masks it and wakes
 * every process waiting on it; each checks its own device, and the line is
 * unmasked once every sharer has called irq_wait again (its acknowledgement),
 * so a device that still asserts the line interrupts again then.
 */
static struct irq_line {
	struct proc *owner[IRQ_SHARERS];
	bool pending[IRQ_SHARERS]; /* an interrupt came while the owner was not waiting */
	uint8_t unacked;           /* bit i: owner i has not waited since the last interrupt */
} lines[NIRQ];

static uint64_t irq_key(int irq, int sharer)
{
	return (uint64_t)irq * IRQ_SHARERS + (uint64_t)sharer;
}

/* Ports no handle opens: the 8259 PICs and their trigger modes (ELCR,
 * 0x4d0-0x4d1), the 8254 PIT, its gate (0x61), the reset lines a port can
 * pull: the PS/2 controller's (0x64) and System Control Port A's (0x92),
 * and PCI's configuration ports (0xcf8-0xcff),
 * among which sits the reset control register (0xcf9). The I/O bitmap
 * cannot let a 32-bit access at 0xcf8 through and stop a byte written to
 * 0xcf9, so configuration space is reached through pci_config (sys_pci.c). */
static const struct {
	uint16_t first, count;
} kernel_ports[] = {
    {0x20, 2}, {0xa0, 2}, {0x40, 4},  {0x61, 1},
    {0x64, 1}, {0x92, 1}, {0x4d0, 2}, {IDLK_PCI_CONFIG_PORT, IDLK_PCI_CONFIG_PORTS}};

/* Physical ranges no handle maps: the I/O APIC, the local APIC, the HPET
 * (whose legacy routing would take IRQ 0 from the PIT, the kernel's clock)
 * and, on q35, PCIe's memory-mapped configuration space, which would reach
 * the registers pci_config keeps (sys_pci.c). */
static const struct {
	uint64_t base, size;
} kernel_mmio[] = {
    {0xfec00000, 0x100000}, {0xfee00000, 0x100000}, {0xfed00000, 0x1000}, {0xb0000000, 0x10000000}};

static bool overlaps(uint64_t a, uint64_t a_len, uint64_t b, uint64_t b_len)
{
	return a < b + b_len && b < a + a_len;
}

/* Stores the resources init gets at boot, its handles 0..3; returns 4. */
size_t dev_root_resources(struct handle *roots)
{
	roots[0] = (struct handle){H_IOPORT, NULL, 0, IDLK_MAX_IOPORT};
	roots[1] = (struct handle){H_MMIO, NULL, 0, 1ull << 52};
	roots[2] = (struct handle){H_IRQ, NULL, 0, NIRQ};
	roots[3] = (struct handle){H_DMA, NULL, 0, DMA_MAX_BYTES};
	return 4;
}

/*
 * From trap(): interrupt on a line that user space may own. The line stays
 * masked until every sharer called irq_wait again. Returns whether a driver
 * thread was woken.
 */
bool irq_deliver(int irq)
{
	pic_mask(irq);
	struct irq_line *l = &lines[irq];
	bool woken = false;
	for (int i = 0; i < IRQ_SHARERS; i++) {
		if (!l->owner[i])
			continue;
		l->unacked |= (uint8_t)(1u << i);
		if (wakeup(W_IRQ, irq_key(irq, i), 0, 1))
			woken = true;
		else
			l->pending[i] = true;
	}
	return woken;
}

/* The line is unmasked when it has owners and none owes an acknowledgement. */
static void maybe_unmask(int irq)
{
	struct irq_line *l = &lines[irq];
	bool owned = false;
	for (int i = 0; i < IRQ_SHARERS; i++)
		owned |= l->owner[i] != NULL;
	if (owned && l->unacked == 0)
		pic_unmask(irq);
}

/* A dying process gives its interrupt lines back. */
void irq_release(struct proc *p)
{
	for (int irq = 0; irq < NIRQ; irq++) {
		struct irq_line *l = &lines[irq];
		for (int i = 0; i < IRQ_SHARERS; i++) {
			if (l->owner[i] != p)
				continue;
			l->owner[i] = NULL;
			l->pending[i] = false;
			l->unacked &= (uint8_t) ~(1u << i);
			maybe_unmask(irq);
		}
	}
}

/*
 * irq_wait(handle): the handle names one interrupt line. The first call
 * makes this process one of the line's sharers until it exits. Each call
 * acknowledges the previous interrupt and waits for the next; one that came
 * in between returns at once.
 */
int64_t sys_irq_wait(uint64_t h, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4)
{
	(void)a1, (void)a2, (void)a3, (void)a4;
	struct proc *p = current->proc;
	/* Decode. */
	struct handle *r = handle_get(p, (int64_t)h, H_IRQ);
	if (!r)
		return -E_BADH;
	if (r->size != 1)
		return -E_INVAL;
	int irq = (int)r->base;
	if (irq == 0 || irq == 2 || irq >= NIRQ) /* the timer and the cascade */
		return -E_PERM;
	struct irq_line *l = &lines[irq];
	int me = -1, free_slot = -1;
	for (int i = 0; i < IRQ_SHARERS; i++) {
		if (l->owner[i] == p)
			me = i;
		else if (!l->owner[i] && free_slot < 0)
			free_slot = i;
	}
	if (me < 0 && free_slot < 0)
		return -E_BUSY;
	/* Invoke. */
	if (me < 0) {
		me = free_slot;
		l->owner[me] = p;
	}
	l->unacked &= (uint8_t) ~(1u << me);
	maybe_unmask(irq);
	if (l->pending[me]) {
		l->pending[me] = false;
		return 0;
	}
	return block(W_IRQ, irq_key(irq, me), 0);
}

/*
 * ioport(handle): lets this process use IN and OUT on the handle's ports,
 * for as long as it lives. Refused (PERM) if the range covers a port the
 * kernel keeps.
 */
int64_t sys_ioport(uint64_t h, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4)
{
	(void)a1, (void)a2, (void)a3, (void)a4;
	struct proc *p = current->proc;
	/* Decode. */
	struct handle *r = handle_get(p, (int64_t)h, H_IOPORT);
	if (!r)
		return -E_BADH;
	uint64_t first = r->base, count = r->size;
	if (count == 0 || first >= IDLK_MAX_IOPORT || count > IDLK_MAX_IOPORT - first)
		return -E_INVAL;
	for (size_t i = 0; i < ARRAY_LEN(kernel_ports); i++)
		if (overlaps(first, count, kernel_ports[i].first, kernel_ports[i].count))
			return -E_PERM;
	/* Invoke. */
	gdt_forget_iomap(p);
	for (uint64_t port = first; port < first + count; port++)
		p->iomap[port / 8] &= (uint8_t) ~(1u << (port % 8));
	uint32_t lo = (uint32_t)(first / 8), hi = (uint32_t)((first + count + 7) / 8);
	if (p->io_lo == p->io_hi) {
		p->io_lo = lo;
		p->io_hi = hi;
	} else {
		p->io_lo = lo < p->io_lo ? lo : p->io_lo;
		p->io_hi = hi > p->io_hi ? hi : p->io_hi;
	}
	gdt_load_iomap(p);
	return 0;
}

/*
 * mmio_map(handle, offset, len, addr) -> addr: maps [base + offset,
 * base + offset + len) of the handle's device memory, uncached and
 * no-execute, at addr (0: anywhere). Never RAM, never the APICs.
 */
int64_t sys_mmio_map(uint64_t h, uint64_t offset, uint64_t len, uint64_t addr, uint64_t a4)
{
	(void)a4;
	struct proc *p = current->proc;
	/* Decode. */
	struct handle *r = handle_get(p, (int64_t)h, H_MMIO);
	if (!r)
		return -E_BADH;
	if (offset % PAGE_SIZE || len % PAGE_SIZE || len == 0 || len > MMIO_MAX_BYTES ||
	    r->base % PAGE_SIZE || offset >= r->size || len > r->size - offset)
		return -E_INVAL;
	uint64_t phys = r->base + offset;
	if (pmm_overlaps_ram(phys, len))
		return -E_PERM;
	for (size_t i = 0; i < ARRAY_LEN(kernel_mmio); i++)
		if (overlaps(phys, len, kernel_mmio[i].base, kernel_mmio[i].size))
			return -E_PERM;
	uint64_t at;
	int64_t err = map_decode(p, addr, len, &at);
	if (err < 0)
		return err;
	/* Invoke: only the page tables can fail, and that undoes it all. */
	for (uint64_t off = 0; off < len; off += PAGE_SIZE) {
		err = vm_map(p, at + off, phys + off, PTE_U | PTE_W | PTE_NX | PTE_PCD | PTE_MMIO);
		if (err < 0) {
			vm_unmap(p, at, off);
			return err;
		}
	}
	map_advance(p, at, len, addr);
	return (int64_t)at;
}

/*
 * dma_alloc(handle, len, addr, phys_out) -> addr: physically contiguous,
 * zeroed memory of at most the handle's size, mapped at addr (0: anywhere);
 * its physical address is stored in the 64-bit word at phys_out, for
 * programming a device. Counts against the pages limit like map.
 */
int64_t sys_dma_alloc(uint64_t h, uint64_t len, uint64_t addr, uint64_t phys_out, uint64_t a4)
{
	(void)a4;
	struct proc *p = current->proc;
	uint64_t zero = 0;
	/* Decode. */
	struct handle *r = handle_get(p, (int64_t)h, H_DMA);
	if (!r)
		return -E_BADH;
	if (len > r->size || len > DMA_MAX_BYTES)
		return -E_PERM;
	uint64_t at;
	int64_t err = map_decode(p, addr, len, &at);
	if (err < 0)
		return err;
	/* Writing 0 now checks phys_out, so the call cannot fail after allocating. */
	if (copy_to_user(p->pml4, phys_out, &zero, sizeof(zero)) < 0)
		return -E_FAULT;
	uint64_t n = len / PAGE_SIZE;
	err = limit_take(p, L_PAGES, n);
	if (err < 0)
		return err;
	/* Invoke: running out of memory or of the pages limit undoes it all. */
	uint64_t pa = pmm_alloc_contiguous(n);
	if (!pa) {
		limit_give(p, L_PAGES, n);
		return -E_NOMEM;
	}
	for (uint64_t off = 0; off < len; off += PAGE_SIZE) {
		err = vm_map(p, at + off, pa + off, PTE_U | PTE_W | PTE_NX | PTE_OWNED);
		if (err < 0) {
			vm_unmap(p, at, off); /* frees the pages mapped so far */
			for (uint64_t rest = off; rest < len; rest += PAGE_SIZE)
				frame_free(p, pa + rest);
			return err;
		}
	}
	copy_to_user(p->pml4, phys_out, &pa, sizeof(pa));
	map_advance(p, at, len, addr);
	return (int64_t)at;
}
