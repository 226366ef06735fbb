/*
 * pci_device.c: what every PCI driver of the reference system does with the
 * PCI server before it drives its device (pci_device.h).
 */
#include "pci_device.h"
#include "kserve.h"

#define PAGE           4096u
#define CLAIM_WAIT_MS  3000
#define CLAIM_RETRY_MS 50

/* The claim, asked again while the device is BUSY, up to CLAIM_WAIT_MS. */
static int claim(pci_device *d, pci_bus_claim_reply_buffer *rb, const pci_bus_claim_reply **c)
{
	static volatile uint32_t never;
	pci_bus_claim_request req = {.address = d->address};
	for (int waited = 0;; waited += CLAIM_RETRY_MS) {
		sys_errno error;
		int err = pci_bus_claim(d->pci, &req, rb, c, &error);
		if (err != IDL_E_REMOTE || error != SYS_ERRNO_BUSY || waited >= CLAIM_WAIT_MS)
			return err;
		idlk_futex_wait(&never, 0, CLAIM_RETRY_MS * 1000000ull);
	}
}

/* Sets and clears bits of the device's command register; 0 or -1. */
static int set_command(pci_device *d, pci_command enable, pci_command disable)
{
	pci_bus_set_command_request cmd = {
	    .address = d->address, .enable = enable, .disable = disable};
	pci_bus_set_command_reply_buffer rb;
	const pci_bus_set_command_reply *set;
	sys_errno error;
	return pci_bus_set_command(d->pci, &cmd, &rb, &set, &error) == IDL_OK ? 0 : -1;
}

int pci_device_claim(pci_device *d, uint16_t vendor_id, uint16_t device_id)
{
	d->pci = kserve_connect("pci", PCI_BUS_PROTOCOL);
	if (!d->pci)
		return -1;
	pci_bus_find_request find = {0};
	find.filter.vendor_id.present = true;
	find.filter.vendor_id.value = vendor_id;
	find.filter.device_id.present = true;
	find.filter.device_id.value = device_id;
	static pci_bus_find_reply_buffer frb;
	const pci_bus_find_reply *found;
	sys_errno error;
	if (pci_bus_find(d->pci, &find, &frb, &found, &error) != IDL_OK ||
	    found->devices.count == 0)
		return 2;
	d->address = found->devices.items[0];
	static pci_bus_claim_reply_buffer crb;
	const pci_bus_claim_reply *c;
	if (claim(d, &crb, &c) != IDL_OK || !c->irq.present)
		return -1;
	for (int b = 0; b < 6; b++) {
		d->bar_present[b] = c->memory_bars[b].present;
		d->memory_bars[b] = c->memory_bars[b].value;
	}
	d->irq = (int)c->irq.value;
	d->dma = (int)c->dma;
	/* Registers only: a device a previous driver left running must be reset
	 * before it may reach memory again (pci_device_enable_dma). */
	return set_command(d, PCI_COMMAND_MEMORY_SPACE | PCI_COMMAND_INTX_DISABLE,
	                   PCI_COMMAND_BUS_MASTER);
}

int pci_device_enable_dma(void *ctx)
{
	return set_command(ctx, PCI_COMMAND_BUS_MASTER, PCI_COMMAND_INTX_DISABLE);
}

uint32_t pci_device_config_read(void *ctx, uint16_t offset, int width)
{
	pci_device *d = ctx;
	pci_bus_config_read_request req = {
	    .address = d->address, .offset = offset, .width = (pci_width)width};
	pci_bus_config_read_reply_buffer rb;
	const pci_bus_config_read_reply *reply;
	sys_errno error;
	if (pci_bus_config_read(d->pci, &req, &rb, &reply, &error) != IDL_OK)
		return 0xffffffffu;
	return reply->value;
}

volatile void *pci_device_map_bar(void *ctx, int bar, uint32_t offset, uint32_t length)
{
	pci_device *d = ctx;
	if (bar < 0 || bar > 5 || !d->bar_present[bar])
		return NULL;
	uint32_t first = offset / PAGE * PAGE;
	uint32_t bytes = (offset + length + PAGE - 1) / PAGE * PAGE - first;
	long at = idlk_mmio_map((int)d->memory_bars[bar], first, bytes, NULL);
	return at < 0 ? NULL : (volatile uint8_t *)at + (offset - first);
}
