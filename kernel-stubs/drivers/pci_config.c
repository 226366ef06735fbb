/*
 * pci_config.c: PCI configuration space through the kernel's pci_config
 * call, and a scan of every bus. Brute force over the 256 buses, 32 devices and (for
 * multi-function devices) 8 functions is simple and finds functions behind
 * any bridge without following the bridges; it runs once, at start-up.
 */
#include "pci_config.h"
#include "ulib.h"

static int config_ports = -1;

static uint64_t address(uint8_t bus, uint8_t dev, uint8_t fn, uint16_t offset)
{
	return IDLK_PCI_ADDRESS(bus, dev & 31, fn & 7, offset & 0xff);
}

bool pci_config_open(int ports)
{
	config_ports = ports;
	return idlk_pci_config(ports, address(0, 0, 0, PCI_CFG_VENDOR_ID), 2, 0, 0) >= 0;
}

/* The PCI server checks width and offset before it asks (pci_server.c), and
 * the scan asks only for registers it names, so the kernel refuses nothing
 * here; a refusal reads as all ones, what an absent function answers. */
uint32_t pci_config_read(uint8_t bus, uint8_t dev, uint8_t fn, uint16_t offset, int width)
{
	long v = idlk_pci_config(config_ports, address(bus, dev, fn, offset), width, 0, 0);
	return v < 0 ? 0xffffffffu : (uint32_t)v;
}

void pci_config_write(uint8_t bus, uint8_t dev, uint8_t fn, uint16_t offset, int width,
                      uint32_t value)
{
	idlk_pci_config(config_ports, address(bus, dev, fn, offset), width, 1, value);
}

/*
 * Sizes BAR i of a type 0 header: writes all ones and reads back which
 * address bits the device implements. Decoding is off while the BAR holds
 * the probe value, so the device answers no stray address.
 */
static int read_bar(struct pci_function *f, int i)
{
	struct pci_bar_info *b = &f->bars[i];
	uint16_t reg = (uint16_t)(PCI_CFG_BAR0 + 4 * i);
	uint32_t low = pci_config_read(f->bus, f->device, f->function, reg, 4);
	pci_config_write(f->bus, f->device, f->function, reg, 4, 0xffffffffu);
	uint32_t low_mask = pci_config_read(f->bus, f->device, f->function, reg, 4);
	pci_config_write(f->bus, f->device, f->function, reg, 4, low);
	if (low_mask == 0)
		return 1; /* not implemented */
	if (low & 1) {
		b->kind = 2;
		b->base = low & ~3u;
		b->size = (uint16_t)(~(low_mask & ~3u) + 1);
		return 1;
	}
	b->kind = 1;
	b->prefetchable = low & 8;
	b->is64 = ((low >> 1) & 3) == 2 && i + 1 < PCI_BARS;
	uint64_t base = low & ~15u, mask = low_mask & ~15u;
	if (b->is64) {
		uint16_t hreg = (uint16_t)(reg + 4);
		uint32_t high = pci_config_read(f->bus, f->device, f->function, hreg, 4);
		pci_config_write(f->bus, f->device, f->function, hreg, 4, 0xffffffffu);
		uint32_t high_mask = pci_config_read(f->bus, f->device, f->function, hreg, 4);
		pci_config_write(f->bus, f->device, f->function, hreg, 4, high);
		base |= (uint64_t)high << 32;
		mask |= (uint64_t)high_mask << 32;
	} else {
		mask |= 0xffffffff00000000ull;
	}
	b->base = base;
	b->size = ~mask + 1;
	return b->is64 ? 2 : 1;
}

static void read_function(struct pci_function *f)
{
	uint8_t bus = f->bus, dev = f->device, fn = f->function;
	f->vendor_id = (uint16_t)pci_config_read(bus, dev, fn, PCI_CFG_VENDOR_ID, 2);
	f->device_id = (uint16_t)pci_config_read(bus, dev, fn, PCI_CFG_DEVICE_ID, 2);
	f->revision = (uint8_t)pci_config_read(bus, dev, fn, PCI_CFG_REVISION, 1);
	f->prog_if = (uint8_t)pci_config_read(bus, dev, fn, PCI_CFG_PROG_IF, 1);
	f->subclass = (uint8_t)pci_config_read(bus, dev, fn, PCI_CFG_SUBCLASS, 1);
	f->base_class = (uint8_t)pci_config_read(bus, dev, fn, PCI_CFG_BASE_CLASS, 1);
	f->header_type = (uint8_t)pci_config_read(bus, dev, fn, PCI_CFG_HEADER_TYPE, 1);
	f->interrupt_line = (uint8_t)pci_config_read(bus, dev, fn, PCI_CFG_INTERRUPT_LINE, 1);
	f->interrupt_pin = (uint8_t)pci_config_read(bus, dev, fn, PCI_CFG_INTERRUPT_PIN, 1);
	if ((f->header_type & 0x7f) != 0)
		return; /* bridges: their BARs are not for drivers */
	/* The chipset's functions: the kernel refuses writes to them, so a
	 * sizing write would read back the BAR itself as its mask and give a
	 * made-up size; and no driver may claim them (pci_server.c). */
	if (IDLK_PCI_CHIPSET_CLASS(f->base_class))
		return;
	f->subsystem_vendor_id =
	    (uint16_t)pci_config_read(bus, dev, fn, PCI_CFG_SUBSYSTEM_VENDOR, 2);
	f->subsystem_id = (uint16_t)pci_config_read(bus, dev, fn, PCI_CFG_SUBSYSTEM_ID, 2);
	uint16_t command = (uint16_t)pci_config_read(bus, dev, fn, PCI_CFG_COMMAND, 2);
	pci_config_write(bus, dev, fn, PCI_CFG_COMMAND, 2,
	                 command & ~(PCI_CFG_COMMAND_IO | PCI_CFG_COMMAND_MEMORY));
	for (int i = 0; i < PCI_BARS;)
		i += read_bar(f, i);
	pci_config_write(bus, dev, fn, PCI_CFG_COMMAND, 2, command);
}

int pci_scan(struct pci_function *out, int max)
{
	int n = 0;
	for (int bus = 0; bus < 256; bus++) {
		for (int dev = 0; dev < 32; dev++) {
			int functions = 1;
			for (int fn = 0; fn < functions && n < max; fn++) {
				uint16_t vendor = (uint16_t)pci_config_read(
				    (uint8_t)bus, (uint8_t)dev, (uint8_t)fn, PCI_CFG_VENDOR_ID, 2);
				if (vendor == 0xffff)
					continue;
				if (fn == 0 && (pci_config_read((uint8_t)bus, (uint8_t)dev, 0,
				                                PCI_CFG_HEADER_TYPE, 1) &
				                0x80))
					functions = 8;
				struct pci_function *f = &out[n++];
				*f = (struct pci_function){.bus = (uint8_t)bus,
				                           .device = (uint8_t)dev,
				                           .function = (uint8_t)fn};
				read_function(f);
			}
		}
	}
	return n;
}
