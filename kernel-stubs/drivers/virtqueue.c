/*
 * virtqueue.c: split virtqueues (virtio 1.1, 2.6): a descriptor table, the
 * driver's ring of chains it offers, and the device's ring of chains it
 * used. Free descriptors form a list through the driver's own copy of
 * their `next` fields (q->next): the table is the device's to write too.
 */
#include "kstring.h"
#include "virtio.h"

/* The driver's ring: flags, idx, ring[size]. */
#define AVAIL_IDX     1
#define AVAIL_RING(i) (2 + (i))
/* The device's ring: flags, idx, then 8-byte elements from byte 4. */
#define USED_IDX_BYTE  2
#define USED_RING_BYTE 4

void virtqueue_init(virtqueue *q, uint16_t index, uint16_t size, volatile void *dma)
{
	memset((void *)dma, 0, VIRTQ_DMA_BYTES);
	memset(q, 0, sizeof(*q));
	q->index = index;
	q->size = size;
	/* Descriptors at 0 (16 bytes each, 2 KiB at most), the driver's ring at
	 * 2048, the device's ring on the next page. */
	q->desc = (volatile struct virtq_desc *)dma;
	q->avail = (volatile uint16_t *)((volatile uint8_t *)dma + 2048);
	q->used = (volatile uint8_t *)dma + 4096;
	for (uint16_t i = 0; i + 1 < size; i++)
		q->next[i] = (uint16_t)(i + 1);
	q->free_head = 0;
	q->free_count = size;
}

int virtqueue_add(virtqueue *q, const struct virtq_buffer *bufs, int count)
{
	if (count <= 0 || count > q->free_count)
		return -1;
	uint16_t head = q->free_head, i = head;
	for (int b = 0; b < count; b++) {
		volatile struct virtq_desc *d = &q->desc[i];
		d->addr = bufs[b].phys;
		d->len = bufs[b].len;
		d->flags = (uint16_t)((b + 1 < count ? VIRTQ_DESC_NEXT : 0) |
		                      (bufs[b].device_writes ? VIRTQ_DESC_WRITE : 0));
		d->next = q->next[i];
		if (b + 1 < count)
			i = q->next[i];
	}
	q->free_head = q->next[i];
	q->free_count = (uint16_t)(q->free_count - count);
	q->chain_length[head] = (uint16_t)count;
	q->avail[AVAIL_RING(q->avail_idx % q->size)] = head;
	/* The device must see the descriptors before the index that offers them. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	q->avail_idx++;
	q->avail[AVAIL_IDX] = q->avail_idx;
	return head;
}

void virtqueue_kick(virtqueue *q)
{
	/* The index must be visible before the notification. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	*q->notify = q->index;
}

int virtqueue_take(virtqueue *q, uint32_t *written)
{
	uint16_t used_idx = *(volatile uint16_t *)(q->used + USED_IDX_BYTE);
	if (used_idx == q->used_seen)
		return -1;
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	volatile struct virtq_used_elem *e =
	    (volatile struct virtq_used_elem *)(q->used + USED_RING_BYTE) + q->used_seen % q->size;
	uint32_t id = e->id, len = e->len;
	q->used_seen++;
	if (id >= q->size || q->chain_length[id] == 0)
		return -2;
	/* Give the chain's descriptors back to the free list. */
	uint16_t last = (uint16_t)id;
	for (uint16_t n = 1; n < q->chain_length[id]; n++)
		last = q->next[last];
	q->next[last] = q->free_head;
	q->free_head = (uint16_t)id;
	q->free_count = (uint16_t)(q->free_count + q->chain_length[id]);
	q->chain_length[id] = 0;
	*written = len;
	return (int)id;
}
