/*
 * pci_device.h: a driver's device, claimed from the PCI server
 * (pci_device.c): what the server handed over for it, and the virtio
 * transport's access to it (virtio.h's virtio_access callbacks).
 */
#ifndef PCI_DEVICE_H
#define PCI_DEVICE_H

#include "pci.h"
#include "ulib.h"

typedef struct pci_device {
	idl_endpoint *pci; /* the driver's connection to the PCI server */
	pci_address address;
	idl_handle memory_bars[6]; /* an MMIO resource for each memory BAR */
	bool bar_present[6];
	int irq; /* its interrupt line's resource */
	int dma; /* DMA memory */
} pci_device;

/*
 * Connects to the PCI server, finds the first function with vendor_id and
 * device_id, claims it (waiting a little while its previous driver's session
 * ends: a driver that init starts again may ask before the server has seen
 * the old one go), and turns on memory decoding only: bus mastering stays
 * off and the interrupt line disabled until the driver has reset the device
 * (pci_device_enable_dma). 0, 2 when there is no such device, -1 on any
 * other failure.
 */
int pci_device_claim(pci_device *d, uint16_t vendor_id, uint16_t device_id);

/* virtio_access's callbacks, with ctx the pci_device: a configuration read
 * through the PCI server (all ones on failure), a BAR's range mapped, and
 * bus mastering and INTx turned on (0, or -1 if the server refused). */
uint32_t pci_device_config_read(void *ctx, uint16_t offset, int width);
volatile void *pci_device_map_bar(void *ctx, int bar, uint32_t offset, uint32_t length);
int pci_device_enable_dma(void *ctx);

#endif
