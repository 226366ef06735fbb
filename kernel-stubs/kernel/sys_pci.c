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
 * Nor does it write the chipset's own functions, the host bridge and the
 * ISA (LPC) bridge: they place the power-management ports (a write there
 * switches the machine off), PCIe's configuration window, SMRAM and the
 * BIOS shadows. Reading them is harmless, and enumeration needs it.
 */
#include "syscall.h"
#include "x86.h"

#define PCI_ENABLE      0x80000000u
#define PCI_DATA_PORT   (IDLK_PCI_CONFIG_PORT + 4)
#define PCI_ADDRESSES   (1u << 24) /* bus 8 bits, device 5, function 3, offset 8 */
#define PCI_OFFSET(a)   ((a)&0xffu)
#define PCI_CLASS_REG   0x08u   /* revision, programming interface, subclass, class */
#define PCI_HOST_BRIDGE 0x0600u /* class and subclass */
#define PCI_ISA_BRIDGE  0x0601u

/* Class and subclass of the function at `address` (its offset ignored). */
static uint32_t function_class(uint32_t address)
{
	outl(IDLK_PCI_CONFIG_PORT, PCI_ENABLE | (address & ~0xffu) | PCI_CLASS_REG);
	return inl(PCI_DATA_PORT) >> 16;
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
	if (write) {
		uint32_t class = function_class((uint32_t)address);
		if (class == PCI_HOST_BRIDGE || class == PCI_ISA_BRIDGE)
			return -E_PERM;
	}
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
