/*
 * pci_claim.c: how a driver claims its device from the PCI server. A
 * driver that init starts again after its previous instance died may ask
 * before the PCI server has seen the old session end (it notices within its
 * rescan interval); the device is then still held (BUSY), and is released
 * in a moment: the claim is asked again, for up to CLAIM_WAIT_MS.
 */
#include "pci_claim.h"

#define CLAIM_WAIT_MS  3000
#define CLAIM_RETRY_MS 50

int pci_claim(idl_endpoint *pci, pci_address address, pci_bus_claim_reply_buffer *rb,
              const pci_bus_claim_reply **reply)
{
	static volatile uint32_t never;
	pci_bus_claim_request req = {.address = address};
	for (int waited = 0;; waited += CLAIM_RETRY_MS) {
		sys_errno error;
		int err = pci_bus_claim(pci, &req, rb, reply, &error);
		if (err != IDL_E_REMOTE || error != SYS_ERRNO_BUSY || waited >= CLAIM_WAIT_MS)
			return err == IDL_E_REMOTE ? -(int)error : err;
		idlk_futex_wait(&never, 0, CLAIM_RETRY_MS * 1000000ull);
	}
}
