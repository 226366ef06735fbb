/*
 * virtio_blk.h: the virtio-blk device (virtio 1.1, 5.2) over virtio.h: its
 * configuration, and requests of a type, a sector and one data buffer in
 * DMA memory. Several requests may be in flight; each has a slot, which
 * holds its header and status byte in DMA memory, and completions come
 * back in any order.
 */
#ifndef VIRTIO_BLK_H
#define VIRTIO_BLK_H

#include "virtio.h"

#define VBLK_T_IN    0 /* read */
#define VBLK_T_OUT   1 /* write */
#define VBLK_T_FLUSH 4

#define VBLK_S_OK     0
#define VBLK_S_IOERR  1
#define VBLK_S_UNSUPP 2

#define VBLK_F_RO    5 /* feature bits */
#define VBLK_F_FLUSH 9

#define VBLK_SLOTS 16 /* requests in flight at once */

/* DMA memory the device part needs: the queue, then the slots' headers and
 * status bytes. Data buffers are the caller's. */
#define VBLK_DMA_BYTES (VIRTQ_DMA_BYTES + 4096u)

typedef struct virtio_blk {
	virtio_device dev;
	virtqueue queue;
	uint64_t sectors;
	bool read_only, can_flush;
	volatile uint8_t *slots; /* per slot: 16-byte header, then at 512 + slot the status */
	uint64_t slots_phys;
	int head_of[VBLK_SLOTS]; /* the chain each busy slot is, or -1 */
} virtio_blk;

/* Starts the device found through a (VBLK_DMA_BYTES of dma at phys). */
int vblk_start(virtio_blk *b, const virtio_access *a, volatile void *dma, uint64_t phys);

/*
 * Puts request `slot` (free, < VBLK_SLOTS) on the queue: type, first
 * sector, and `bytes` of data at physical `data` (none for FLUSH). The
 * device is told at once. 0, or -1 if the queue is full.
 */
int vblk_submit(virtio_blk *b, int slot, uint32_t type, uint64_t sector, uint64_t data,
                uint32_t bytes);

/*
 * After an interrupt (or to poll): the next finished request's slot, and
 * its status (VBLK_S_*) in *status. -1 when none; -2 when the device handed
 * back something that is no request of ours.
 */
int vblk_complete(virtio_blk *b, uint8_t *status);

#endif
