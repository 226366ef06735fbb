/*
 * pci_claim.h: claiming a device from the PCI server (pci_claim.c).
 */
#ifndef PCI_CLAIM_H
#define PCI_CLAIM_H

#include "pci.h"
#include "ulib.h"

/* Claims the device at address, waiting a little while its previous
 * driver's session ends: IDL_OK with *reply set, -error for the server's
 * refusal (a sys_errno), or another idl_error. */
int pci_claim(idl_endpoint *pci, pci_address address, pci_bus_claim_reply_buffer *rb,
              const pci_bus_claim_reply **reply);

#endif
