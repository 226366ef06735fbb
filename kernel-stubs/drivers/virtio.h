/*
 * virtio.h: virtio 1.x devices over the modern PCI transport, and split
 * virtqueues (the virtio 1.1 specification, sections 2.6 and 4.1). The
 * transport code finds the device's regions from its vendor capabilities,
 * negotiates features and sets queues up; a device driver (virtio_blk.c)
 * puts buffers on a queue and takes them back when the device used them.
 *
 * Memory the device reads or writes (the rings, request headers, data) is
 * DMA memory: physically contiguous, with its physical address known. The
 * driver trusts the device (it is the machine's), but still checks what it
 * reads from the used ring, and never reads back what it wrote to the
 * descriptor table, so that a confused device makes a request fail rather
 * than the driver read or write out of bounds.
 */
#ifndef VIRTIO_H
#define VIRTIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VIRTIO_VENDOR_ID       0x1af4
#define VIRTIO_MODERN_ID(type) (0x1040 + (type)) /* device ids of modern-only devices */
#define VIRTIO_TYPE_NET        1
#define VIRTIO_TYPE_BLOCK      2

#define VIRTIO_F_VERSION_1 32 /* feature bit: a modern (1.x) device */

/* Device status bits. */
#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER      2
#define VIRTIO_STATUS_DRIVER_OK   4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_FAILED      128

/* Where the regions are: read from configuration space, mapped from BARs. */
typedef struct virtio_access {
	/* Reads `width` bytes of the function's configuration space. */
	uint32_t (*config_read)(void *ctx, uint16_t offset, int width);
	/* Maps `length` bytes at `offset` of memory BAR `bar`; NULL if it cannot. */
	volatile void *(*map_bar)(void *ctx, int bar, uint32_t offset, uint32_t length);
	/* Turns on bus mastering and the interrupt line; 0 or < 0. virtio_start
	 * calls it once the device is reset, so that nothing a previous driver
	 * left in the device (its rings, pending buffers) reaches memory. */
	int (*enable_dma)(void *ctx);
	void *ctx;
} virtio_access;

typedef struct virtio_device {
	volatile uint8_t *common; /* struct virtio_pci_common_cfg */
	volatile uint8_t *notify; /* queue notifications: notify + notify_off * multiplier */
	uint32_t notify_multiplier;
	uint32_t notify_length;
	volatile uint8_t *isr; /* read to acknowledge an interrupt */
	volatile uint8_t *device_config;
	uint32_t device_config_length;
	uint64_t features; /* what was negotiated */
} virtio_device;

/* Descriptor flags. */
#define VIRTQ_DESC_NEXT  1
#define VIRTQ_DESC_WRITE 2 /* the device writes this buffer */

struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct virtq_used_elem {
	uint32_t id;
	uint32_t len;
};

#define VIRTQ_MAX_SIZE 128

typedef struct virtqueue {
	uint16_t index, size;
	volatile struct virtq_desc *desc;
	volatile uint16_t *avail; /* flags, idx, ring[size], used_event */
	volatile uint8_t *used;   /* flags, idx, ring[size] of virtq_used_elem, avail_event */
	volatile uint16_t *notify;
	uint16_t free_head, free_count;
	uint16_t avail_idx;                    /* our copy of avail->idx */
	uint16_t used_seen;                    /* used->idx as far as we took it */
	uint16_t chain_length[VIRTQ_MAX_SIZE]; /* descriptors per chain, by head */
	/* Each descriptor's next, in the free list and in a chain: the
	 * driver's own copy, since the device can write the table's. */
	uint16_t next[VIRTQ_MAX_SIZE];
} virtqueue;

/* Bytes of DMA memory a queue of `size` needs (page-aligned parts). */
#define VIRTQ_DMA_BYTES 8192u

/*
 * Resets the device, finds its regions, and negotiates: the device must
 * offer VERSION_1 and every bit of `required`; `wanted` bits are taken when
 * offered. Leaves the device in FEATURES_OK; 0 or a negative errno-style
 * code (-1 no such capability, -2 a feature missing, -3 refused).
 */
int virtio_start(virtio_device *d, const virtio_access *a, uint64_t required, uint64_t wanted);

/*
 * Sets queue `index` up in `dma` (VIRTQ_DMA_BYTES at physical `phys`) with
 * at most `max_size` entries. 0 or < 0.
 */
int virtqueue_setup(virtio_device *d, virtqueue *q, uint16_t index, uint16_t max_size,
                    volatile void *dma, uint64_t phys);

/*
 * Lays a queue of `size` entries (a power of two, at most VIRTQ_MAX_SIZE)
 * out in `dma`, zeroed, with every descriptor free: virtqueue_setup's
 * part that does not touch the device.
 */
void virtqueue_init(virtqueue *q, uint16_t index, uint16_t size, volatile void *dma);

/* The device may run now (DRIVER_OK). */
void virtio_ready(virtio_device *d);

/* Reads and clears the interrupt status (bit 0: a queue, bit 1: config). */
uint8_t virtio_isr(virtio_device *d);

/*
 * Puts a chain of `count` buffers (physical address, length, whether the
 * device writes it) on the queue. Returns the chain's head (the id the used
 * ring gives back), or -1 when the queue has no room.
 */
struct virtq_buffer {
	uint64_t phys;
	uint32_t len;
	bool device_writes;
};
int virtqueue_add(virtqueue *q, const struct virtq_buffer *bufs, int count);

/* Tells the device about what virtqueue_add put on the queue. */
void virtqueue_kick(virtqueue *q);

/*
 * Takes the next chain the device finished: its head, and the bytes it
 * wrote in *written. -1 when none is ready; -2 if the device gave back an
 * id that is no chain of ours (the queue is then broken).
 */
int virtqueue_take(virtqueue *q, uint32_t *written);

/* Device-specific configuration, read with a generation check. */
uint64_t virtio_config_read(virtio_device *d, uint32_t offset, int width);

#endif
