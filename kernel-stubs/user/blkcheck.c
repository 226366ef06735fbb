/*
 * blkcheck.c: keeps the block driver busy with several requests at once,
 * for the stress image: more than it has room for on the device, so some
 * wait for a slot. It attaches a buffer, starts BATCH reads of
 * different sectors as asynchronous calls (<method>_start) without waiting,
 * then finishes each, and checks every sector against a plain synchronous
 * read of the same sector: the driver's requests complete in any order and
 * each reply must carry its own sectors. Then, as a program that is no
 * driver, it asks the directory for the PCI server, which it must not get.
 * Exit status 0 when all match and the PCI server was refused.
 */
#include "block.h"
#include "kserve.h"
#include "pci.h"

#define BATCH   12 /* more than the driver's 8 slots: some wait for one */
#define SECTORS 8  /* per read: 4 KiB */
#define BYTES   (SECTORS * 512)

static block_device_read_pending pending[BATCH];

int umain(const char *args, long nhandles)
{
	(void)args, (void)nhandles;
	idl_endpoint *blk = kserve_connect("block", BLOCK_DEVICE_PROTOCOL);
	long shm = idlk_shm_create(2 * BATCH * BYTES);
	long at = shm < 0 ? shm : idlk_shm_map((int)shm, NULL, IDLK_PROT_READ | IDLK_PROT_WRITE);
	if (!blk || at < 0) {
		printf("blkcheck: no block service or no buffer\n");
		return 1;
	}
	uint8_t *buf = (uint8_t *)at;
	sys_errno error;
	block_device_attach_request attach = {.buffer = (idl_handle)idlk_handle_dup((int)shm)};
	block_device_attach_reply_buffer arb;
	const block_device_attach_reply *ar;
	if (block_device_attach(blk, &attach, &arb, &ar, &error) != IDL_OK) {
		printf("blkcheck: attach failed\n");
		return 1;
	}
	/* BATCH reads in flight: the first half of the buffer. */
	for (int i = 0; i < BATCH; i++) {
		block_device_read_request req = {.sector = 2048u + 97u * (uint64_t)i,
		                                 .count = SECTORS,
		                                 .buffer_offset = (uint64_t)i * BYTES};
		if (block_device_read_start(blk, &req, &pending[i]) != IDL_OK) {
			printf("blkcheck: read %d could not start\n", i);
			return 1;
		}
	}
	int answered = 0;
	for (int i = BATCH - 1; i >= 0; i--) {
		const block_device_read_reply *reply;
		if (block_device_read_finish(blk, &pending[i], &reply, &error) == IDL_OK)
			answered++;
	}
	/* The same sectors one at a time: the second half. */
	int same = 0;
	for (int i = 0; i < BATCH; i++) {
		block_device_read_request req = {.sector = 2048u + 97u * (uint64_t)i,
		                                 .count = SECTORS,
		                                 .buffer_offset = (uint64_t)(BATCH + i) * BYTES};
		block_device_read_reply_buffer rb;
		const block_device_read_reply *reply;
		if (block_device_read(blk, &req, &rb, &reply, &error) == IDL_OK &&
		    memcmp(buf + i * BYTES, buf + (BATCH + i) * BYTES, BYTES) == 0)
			same++;
	}
	printf("blkcheck: %d reads in flight at once, %d answered, %d match the same sectors read "
	       "one at a time\n",
	       BATCH, answered, same);
	/* A claimed device comes with its DMA, and so with all of memory: the
	 * PCI server is only the drivers' and the shell's. */
	sys_errno denied = 0;
	kchan *pci = kserve_connect_chan("pci", PCI_BUS_PROTOCOL, &denied);
	printf("blkcheck: a lookup of pci: %s\n", pci ? "given" : sys_errno_name(denied));
	return answered == BATCH && same == BATCH && !pci ? 0 : 1;
}
