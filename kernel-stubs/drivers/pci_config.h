/*
 * pci_config.h: PCI configuration space through the kernel's pci_config
 * call (the port mechanism, whose ports the kernel keeps), and what the PCI
 * server learns from it about each function. Only the PCI server includes
 * this: it is the one process with a handle to those ports.
 */
#ifndef PCI_CONFIG_H
#define PCI_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

/* Registers of a type 0 header. */
#define PCI_CFG_VENDOR_ID        0x00
#define PCI_CFG_DEVICE_ID        0x02
#define PCI_CFG_COMMAND          0x04
#define PCI_CFG_STATUS           0x06
#define PCI_CFG_REVISION         0x08
#define PCI_CFG_PROG_IF          0x09
#define PCI_CFG_SUBCLASS         0x0a
#define PCI_CFG_BASE_CLASS       0x0b
#define PCI_CFG_HEADER_TYPE      0x0e
#define PCI_CFG_BAR0             0x10
#define PCI_CFG_SUBSYSTEM_VENDOR 0x2c
#define PCI_CFG_SUBSYSTEM_ID     0x2e
#define PCI_CFG_CAPABILITIES     0x34
#define PCI_CFG_INTERRUPT_LINE   0x3c
#define PCI_CFG_INTERRUPT_PIN    0x3d

#define PCI_CFG_STATUS_CAPABILITIES 0x10
#define PCI_CFG_COMMAND_IO          0x1
#define PCI_CFG_COMMAND_MEMORY      0x2
#define PCI_CFG_COMMAND_MASTER      0x4
#define PCI_CFG_COMMAND_INTX_OFF    0x400

#define PCI_CONFIG_BYTES 256 /* what the port mechanism reaches */
#define PCI_BARS         6

struct pci_bar_info {
	uint8_t kind; /* 0 none, 1 memory, 2 I/O (pci.idl's BarKind) */
	bool is64, prefetchable;
	uint64_t base, size;
};

struct pci_function {
	uint8_t bus, device, function;
	uint16_t vendor_id, device_id;
	uint16_t subsystem_vendor_id, subsystem_id;
	uint8_t base_class, subclass, prog_if, revision;
	uint8_t header_type;
	uint8_t interrupt_pin, interrupt_line;
	struct pci_bar_info bars[PCI_BARS]; /* type 0 headers only */
};

/* Makes the accesses below go through `ports`, an I/O-port handle covering
 * 0xcf8-0xcff; returns whether the kernel accepts it (a read of 00:00.0). */
bool pci_config_open(int ports);

/* Reads or writes `width` (1, 2, 4) bytes at `offset`, a multiple of width. */
uint32_t pci_config_read(uint8_t bus, uint8_t dev, uint8_t fn, uint16_t offset, int width);
void pci_config_write(uint8_t bus, uint8_t dev, uint8_t fn, uint16_t offset, int width,
                      uint32_t value);

/*
 * Finds every function on every bus (up to `max` of them) and fills out[]
 * with what the header says, sizing each BAR (with the function's decoding
 * off meanwhile). Returns how many it found.
 */
int pci_scan(struct pci_function *out, int max);

#endif
