/*
 * virtio_blk.c: the virtio-blk device. A request is a chain of three
 * buffers: its header (type, sector), the data, and one status byte the
 * device writes last.
 */
#include "virtio_blk.h"

#include "kstring.h"

#define STATUS_AT 512 /* the slots' status bytes follow their headers */

int vblk_start(virtio_blk *b, const virtio_access *a, volatile void *dma, uint64_t phys)
{
	memset(b, 0, sizeof(*b));
	uint64_t wanted = 1ull << VBLK_F_RO | 1ull << VBLK_F_FLUSH;
	int err = virtio_start(&b->dev, a, 0, wanted);
	if (err < 0)
		return err;
	err = virtqueue_setup(&b->dev, &b->queue, 0, 64, dma, phys); /* 3 per request */
	if (err < 0)
		return err;
	b->slots = (volatile uint8_t *)dma + VIRTQ_DMA_BYTES;
	b->slots_phys = phys + VIRTQ_DMA_BYTES;
	b->sectors = virtio_config_read(&b->dev, 0, 8); /* capacity, in 512-byte sectors */
	b->read_only = b->dev.features & 1ull << VBLK_F_RO;
	b->can_flush = b->dev.features & 1ull << VBLK_F_FLUSH;
	for (int i = 0; i < VBLK_SLOTS; i++)
		b->head_of[i] = -1;
	virtio_ready(&b->dev);
	return 0;
}

int vblk_submit(virtio_blk *b, int slot, uint32_t type, uint64_t sector, uint64_t data,
                uint32_t bytes)
{
	volatile uint8_t *header = b->slots + 16 * slot;
	*(volatile uint32_t *)header = type;
	*(volatile uint32_t *)(header + 4) = 0;
	*(volatile uint64_t *)(header + 8) = sector;
	b->slots[STATUS_AT + slot] = 0xff; /* the device writes 0, 1 or 2 */
	struct virtq_buffer chain[3] = {{b->slots_phys + 16 * (uint64_t)slot, 16, false}};
	int n = 1;
	if (bytes)
		chain[n++] = (struct virtq_buffer){data, bytes, type == VBLK_T_IN};
	chain[n++] = (struct virtq_buffer){b->slots_phys + STATUS_AT + (uint64_t)slot, 1, true};
	int head = virtqueue_add(&b->queue, chain, n);
	if (head < 0)
		return -1;
	b->head_of[slot] = head;
	virtqueue_kick(&b->queue);
	return 0;
}

int vblk_complete(virtio_blk *b, uint8_t *status)
{
	uint32_t written;
	int head = virtqueue_take(&b->queue, &written);
	if (head < 0)
		return head;
	for (int slot = 0; slot < VBLK_SLOTS; slot++) {
		if (b->head_of[slot] == head) {
			b->head_of[slot] = -1;
			*status = b->slots[STATUS_AT + slot];
			return slot;
		}
	}
	return -2;
}
