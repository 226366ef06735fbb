/*
 * virtio_pci.c: the modern virtio PCI transport (virtio 1.1, 4.1.4): the
 * vendor capabilities in configuration space say which BAR, at which
 * offset, holds the common configuration, the notification area, the
 * interrupt status and the device's own configuration.
 */
#include "kstring.h"
#include "virtio.h"

#define PCI_STATUS              0x06
#define PCI_STATUS_CAPABILITIES 0x10
#define PCI_CAPABILITIES        0x34
#define PCI_CAP_VENDOR          0x09

#define CAP_COMMON 1
#define CAP_NOTIFY 2
#define CAP_ISR    3
#define CAP_DEVICE 4

/* struct virtio_pci_common_cfg (4.1.4.3). */
#define COMMON_DEVICE_FEATURE_SELECT 0
#define COMMON_DEVICE_FEATURE        4
#define COMMON_DRIVER_FEATURE_SELECT 8
#define COMMON_DRIVER_FEATURE        12
#define COMMON_NUM_QUEUES            18
#define COMMON_DEVICE_STATUS         20
#define COMMON_CONFIG_GENERATION     21
#define COMMON_QUEUE_SELECT          22
#define COMMON_QUEUE_SIZE            24
#define COMMON_QUEUE_MSIX_VECTOR     26
#define COMMON_QUEUE_ENABLE          28
#define COMMON_QUEUE_NOTIFY_OFF      30
#define COMMON_QUEUE_DESC            32
#define COMMON_QUEUE_DRIVER          40
#define COMMON_QUEUE_DEVICE          48
#define COMMON_BYTES                 56

#define NO_VECTOR 0xffff

static uint8_t rd8(volatile uint8_t *base, uint32_t off)
{
	return base[off];
}

static uint16_t rd16(volatile uint8_t *base, uint32_t off)
{
	return *(volatile uint16_t *)(base + off);
}

static uint32_t rd32(volatile uint8_t *base, uint32_t off)
{
	return *(volatile uint32_t *)(base + off);
}

static void wr8(volatile uint8_t *base, uint32_t off, uint8_t v)
{
	base[off] = v;
}

static void wr16(volatile uint8_t *base, uint32_t off, uint16_t v)
{
	*(volatile uint16_t *)(base + off) = v;
}

static void wr32(volatile uint8_t *base, uint32_t off, uint32_t v)
{
	*(volatile uint32_t *)(base + off) = v;
}

/* 64-bit fields are written as two 32-bit halves, low first (4.1.3.1). */
static void wr64(volatile uint8_t *base, uint32_t off, uint64_t v)
{
	wr32(base, off, (uint32_t)v);
	wr32(base, off + 4, (uint32_t)(v >> 32));
}

/* Maps the region a capability at `cap` describes; records its length. */
static volatile uint8_t *map_cap(const virtio_access *a, uint16_t cap, uint32_t *length)
{
	int bar = (int)a->config_read(a->ctx, (uint16_t)(cap + 4), 1);
	uint32_t offset = a->config_read(a->ctx, (uint16_t)(cap + 8), 4);
	uint32_t len = a->config_read(a->ctx, (uint16_t)(cap + 12), 4);
	if (bar > 5 || len == 0)
		return NULL;
	*length = len;
	return a->map_bar(a->ctx, bar, offset, len);
}

static int find_regions(virtio_device *d, const virtio_access *a)
{
	if (!(a->config_read(a->ctx, PCI_STATUS, 2) & PCI_STATUS_CAPABILITIES))
		return -1;
	uint16_t cap = (uint16_t)(a->config_read(a->ctx, PCI_CAPABILITIES, 1) & 0xfc);
	uint32_t common_len = 0, isr_len = 0;
	/* A list that loops is cut off: there are at most 48 capabilities in 192 bytes. */
	for (int hops = 0; cap >= 0x40 && hops < 48; hops++) {
		uint8_t id = (uint8_t)a->config_read(a->ctx, cap, 1);
		uint8_t next = (uint8_t)a->config_read(a->ctx, (uint16_t)(cap + 1), 1);
		uint8_t type = (uint8_t)a->config_read(a->ctx, (uint16_t)(cap + 3), 1);
		if (id == PCI_CAP_VENDOR) {
			if (type == CAP_COMMON && !d->common)
				d->common = map_cap(a, cap, &common_len);
			else if (type == CAP_NOTIFY && !d->notify) {
				d->notify = map_cap(a, cap, &d->notify_length);
				d->notify_multiplier =
				    a->config_read(a->ctx, (uint16_t)(cap + 16), 4);
			} else if (type == CAP_ISR && !d->isr)
				d->isr = map_cap(a, cap, &isr_len);
			else if (type == CAP_DEVICE && !d->device_config)
				d->device_config = map_cap(a, cap, &d->device_config_length);
		}
		cap = next & 0xfc;
	}
	if (!d->common || common_len < COMMON_BYTES || !d->notify || !d->isr)
		return -1;
	return 0;
}

static uint64_t device_features(virtio_device *d)
{
	wr32(d->common, COMMON_DEVICE_FEATURE_SELECT, 0);
	uint64_t low = rd32(d->common, COMMON_DEVICE_FEATURE);
	wr32(d->common, COMMON_DEVICE_FEATURE_SELECT, 1);
	return low | (uint64_t)rd32(d->common, COMMON_DEVICE_FEATURE) << 32;
}

int virtio_start(virtio_device *d, const virtio_access *a, uint64_t required, uint64_t wanted)
{
	memset(d, 0, sizeof(*d));
	if (find_regions(d, a) < 0)
		return -1;
	/* 3.1.1: reset, acknowledge, driver, features, FEATURES_OK, check it stuck. */
	wr8(d->common, COMMON_DEVICE_STATUS, 0);
	while (rd8(d->common, COMMON_DEVICE_STATUS) != 0)
		;
	if (a->enable_dma(a->ctx) < 0)
		return -1;
	wr8(d->common, COMMON_DEVICE_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	wr8(d->common, COMMON_DEVICE_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	uint64_t offered = device_features(d);
	required |= 1ull << VIRTIO_F_VERSION_1;
	if ((offered & required) != required) {
		wr8(d->common, COMMON_DEVICE_STATUS, VIRTIO_STATUS_FAILED);
		return -2;
	}
	d->features = required | (offered & wanted);
	wr32(d->common, COMMON_DRIVER_FEATURE_SELECT, 0);
	wr32(d->common, COMMON_DRIVER_FEATURE, (uint32_t)d->features);
	wr32(d->common, COMMON_DRIVER_FEATURE_SELECT, 1);
	wr32(d->common, COMMON_DRIVER_FEATURE, (uint32_t)(d->features >> 32));
	uint8_t status =
	    VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK;
	wr8(d->common, COMMON_DEVICE_STATUS, status);
	if (!(rd8(d->common, COMMON_DEVICE_STATUS) & VIRTIO_STATUS_FEATURES_OK)) {
		wr8(d->common, COMMON_DEVICE_STATUS, VIRTIO_STATUS_FAILED);
		return -3;
	}
	return 0;
}

int virtqueue_setup(virtio_device *d, virtqueue *q, uint16_t index, uint16_t max_size,
                    volatile void *dma, uint64_t phys)
{
	if (index >= rd16(d->common, COMMON_NUM_QUEUES))
		return -1;
	wr16(d->common, COMMON_QUEUE_SELECT, index);
	uint16_t size = rd16(d->common, COMMON_QUEUE_SIZE);
	if (size == 0)
		return -1;
	if (size > max_size)
		size = max_size;
	if (size > VIRTQ_MAX_SIZE)
		size = VIRTQ_MAX_SIZE;
	/* Sizes of split queues are powers of two (2.6). */
	while (size & (size - 1))
		size &= (uint16_t)(size - 1);
	virtqueue_init(q, index, size, dma);
	wr16(d->common, COMMON_QUEUE_SIZE, size);
	wr16(d->common, COMMON_QUEUE_MSIX_VECTOR, NO_VECTOR);
	wr64(d->common, COMMON_QUEUE_DESC, phys);
	wr64(d->common, COMMON_QUEUE_DRIVER, phys + 2048);
	wr64(d->common, COMMON_QUEUE_DEVICE, phys + 4096);
	/* Both factors are the device's: in 64 bits, the product and the +2
	 * cannot wrap past the check. */
	uint64_t notify_off =
	    (uint64_t)rd16(d->common, COMMON_QUEUE_NOTIFY_OFF) * d->notify_multiplier;
	if (notify_off + 2 > d->notify_length)
		return -1;
	q->notify = (volatile uint16_t *)(d->notify + notify_off);
	wr16(d->common, COMMON_QUEUE_ENABLE, 1);
	return 0;
}

void virtio_ready(virtio_device *d)
{
	wr8(d->common, COMMON_DEVICE_STATUS,
	    VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
	        VIRTIO_STATUS_DRIVER_OK);
}

uint8_t virtio_isr(virtio_device *d)
{
	return rd8(d->isr, 0);
}

uint64_t virtio_config_read(virtio_device *d, uint32_t offset, int width)
{
	if (!d->device_config || offset + (uint32_t)width > d->device_config_length)
		return 0;
	/* Read until the generation is the same before and after (4.1.4.3.1). */
	for (;;) {
		uint8_t before = rd8(d->common, COMMON_CONFIG_GENERATION);
		uint64_t v;
		if (width == 1)
			v = rd8(d->device_config, offset);
		else if (width == 2)
			v = rd16(d->device_config, offset);
		else if (width == 4)
			v = rd32(d->device_config, offset);
		else
			v = rd32(d->device_config, offset) |
			    (uint64_t)rd32(d->device_config, offset + 4) << 32;
		if (rd8(d->common, COMMON_CONFIG_GENERATION) == before)
			return v;
	}
}
