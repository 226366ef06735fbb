/*
 * sys_pci.c: PCI configuration space for the process holding its ports.
 * The kernel keeps the port mechanism's 8 ports (0xcf8-0xcff, sys_dev.c)
 * because the reset control register (0xcf9) lies among them: a process
 * allowed IN and OUT there could reset the machine. A holder of an I/O-port
 * handle that covers them reaches configuration space through this call
 * instead, one register access at a time, and nothing else behind those
 * ports. The kernel runs with interrupts off, so the address write and the
 * data access are never split by another process's access.
 *
 * It reads every function but writes none of the chipset's: bridges (the
 * host bridge, the ISA/LPC bridge, and "other" bridges such as the PIIX4's
 * power management) and memory controllers place the power-management
 * ports (a write there switches the machine off), PCIe's configuration
 * window, SMRAM and the BIOS shadows. Reading them is harmless, and
 * enumeration needs it.
 *
 * And it lets no device decode where the kernel works: a BAR placed over
 * the PIC's ports took the timer's acknowledgements, and one over RAM would
 * take memory. A BAR (or the expansion ROM's) is written only whole, with
 * all ones to size it, and then with the value it held before: what the
 * firmware placed stays where it was.
 */
#include "syscall.h"
#include "x86.h"

#define PCI_ENABLE    0x80000000u
#define PCI_DATA_PORT (IDLK_PCI_CONFIG_PORT + 4)
#define PCI_ADDRESSES (1u << 24) /* bus 8 bits, device 5, function 3, offset 8 */
#define PCI_OFFSET(a) ((a)&0xffu)
#define PCI_CLASS_REG 0x08u /* revision, programming interface, subclass, class */
#define PCI_BAR_FIRST 0x10u /* a type 0 header's six BARs */
#define PCI_BAR_END   0x28u
#define PCI_ROM_BAR   0x30u
#define SIZINGS       16 /* BARs being sized at once, at most */

/* BARs written with all ones, and what each held before. */
static struct {
	bool used;
	uint32_t reg; /* the register's address, offset included */
	uint32_t before;
} sizing[SIZINGS];

/* The register at `reg` (a multiple of 4), read whole. */
static uint32_t read_register(uint32_t reg)
{
	outl(IDLK_PCI_CONFIG_PORT, PCI_ENABLE | reg);
	return inl(PCI_DATA_PORT);
}

/* Whether the function at `address` is one of the chipset's. */
static bool chipset_function(uint32_t address)
{
	return IDLK_PCI_CHIPSET_CLASS(read_register((address & ~0xffu) | PCI_CLASS_REG) >> 24);
}

/* Whether a write of `width` bytes of `value` at `address` may move a BAR:
 * only all ones, or back to what it held before them. */
static bool bar_write_ok(uint32_t address, uint64_t width, uint32_t value)
{
	uint32_t offset = PCI_OFFSET(address);
	bool bar = (offset >= PCI_BAR_FIRST && offset < PCI_BAR_END) || offset == PCI_ROM_BAR;
	if (!bar)
		return true;
	if (width != 4)
		return false;
	int free = -1;
	for (int i = 0; i < SIZINGS; i++) {
		if (sizing[i].used && sizing[i].reg == address) {
			if (value == 0xffffffffu)
				return true; /* sized again: the value before stays the first */
			if (value != sizing[i].before)
				return false;
			sizing[i].used = false;
			return true;
		}
		if (!sizing[i].used && free < 0)
			free = i;
	}
	if (value != 0xffffffffu) /* not being sized: it stays */
		return value == read_register(address);
	if (free < 0)
		return false;
	sizing[free].used = true;
	sizing[free].reg = address;
	sizing[free].before = read_register(address);
	return true;
}

/*
 * pci_config(handle, address, width, write, value) -> value: reads (write
 * 0) or writes (write 1) `width` bytes (1, 2 or 4) of the register at
 * `address` (IDLK_PCI_ADDRESS: bus, device, function and an offset below
 * 256 that is a multiple of width). A read returns the value; a write
 * returns 0. The handle must be I/O ports that cover 0xcf8-0xcff.
 */
int64_t sys_pci_config(uint64_t h, uint64_t address, uint64_t width, uint64_t write, uint64_t value)
{
	struct proc *p = current->proc;
	/* Decode. */
	struct handle *r = handle_get(p, (int64_t)h, H_IOPORT);
	if (!r)
		return -E_BADH;
	if (r->base > IDLK_PCI_CONFIG_PORT ||
	    r->size < IDLK_PCI_CONFIG_PORT + IDLK_PCI_CONFIG_PORTS - r->base)
		return -E_PERM;
	if (address >= PCI_ADDRESSES || (width != 1 && width != 2 && width != 4) ||
	    PCI_OFFSET(address) % width != 0 || write > 1 || value > UINT32_MAX)
		return -E_INVAL;
	if (write && (chipset_function((uint32_t)address) ||
	              !bar_write_ok((uint32_t)address, width, (uint32_t)value)))
		return -E_PERM;
	/* Invoke. */
	uint32_t offset = PCI_OFFSET((uint32_t)address);
	outl(IDLK_PCI_CONFIG_PORT, PCI_ENABLE | ((uint32_t)address & ~3u));
	uint16_t data = (uint16_t)(PCI_DATA_PORT + (offset & 3));
	if (write) {
		if (width == 1)
			outb(data, (uint8_t)value);
		else if (width == 2)
			outw(data, (uint16_t)value);
		else
			outl(data, (uint32_t)value);
		return 0;
	}
	if (width == 1)
		return inb(data);
	if (width == 2)
		return inw(data);
	return inl(data);
}
