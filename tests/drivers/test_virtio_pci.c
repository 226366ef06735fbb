/*
 * test_virtio_pci.c: the virtio PCI transport (kernel-stubs/drivers/
 * virtio_pci.c) against a device played by this test. The device says where
 * each queue's notify register is: its queue_notify_off times the notify
 * capability's multiplier, both the device's to choose. Wherever that
 * points, the driver keeps its notify writes inside the notify region, or
 * refuses the queue: a product of 0xffffffff used to pass the check (the
 * `+ 2` wrapped in 32 bits) and send the kick 4 GiB past the BAR.
 *
 * The BAR is 16 KiB of host memory with inaccessible memory around it, so a
 * stray write faults instead of passing unseen.
 */
#include "virtio.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#define BAR_BYTES    0x4000u
#define GUARD_BYTES  (1u << 20)
#define NOTIFY_AT    0x1000u /* the notify region, in the BAR */
#define NOTIFY_BYTES 0x1000u

/* Capability types (virtio 1.x, 4.1.4). */
#define CAP_COMMON 1
#define CAP_NOTIFY 2
#define CAP_ISR    3

static uint8_t config[256]; /* the function's configuration space */
static uint8_t *area, *bar;

static uint32_t config_read(void *ctx, uint16_t offset, int width)
{
	(void)ctx;
	uint32_t v = 0;
	memcpy(&v, config + offset, (size_t)width);
	return v;
}

static volatile void *map_bar(void *ctx, int index, uint32_t offset, uint32_t length)
{
	(void)ctx;
	return index == 0 && offset <= BAR_BYTES && length <= BAR_BYTES - offset ? bar + offset
	                                                                         : NULL;
}

static int enable_dma(void *ctx)
{
	(void)ctx;
	return 0;
}

/* A vendor capability at `at` for a region of BAR 0. */
static void put_cap(uint8_t at, uint8_t next, uint8_t length, uint8_t type, uint32_t offset,
                    uint32_t bytes)
{
	config[at] = 0x09; /* vendor specific */
	config[at + 1] = next;
	config[at + 2] = length;
	config[at + 3] = type;
	config[at + 4] = 0; /* BAR 0 */
	memcpy(config + at + 8, &offset, 4);
	memcpy(config + at + 12, &bytes, 4);
}

/* A device of one queue of 8 whose notify register is at
 * queue_notify_off * multiplier in the notify region. */
static void device(uint32_t multiplier, uint16_t queue_notify_off)
{
	memset(config, 0, sizeof(config));
	memset(bar, 0, BAR_BYTES);
	config[0x06] = 0x10; /* status: a capability list */
	config[0x34] = 0x40; /* its first entry */
	put_cap(0x40, 0x54, 16, CAP_COMMON, 0, 0x1000);
	put_cap(0x54, 0x6c, 20, CAP_NOTIFY, NOTIFY_AT, NOTIFY_BYTES);
	memcpy(config + 0x54 + 16, &multiplier, 4);
	put_cap(0x6c, 0, 16, CAP_ISR, 0x2000, 4);
	uint32_t version_1 = 1; /* feature 32, in the high word */
	uint16_t queues = 1, size = 8;
	memcpy(bar + 4, &version_1, 4); /* device_feature, as selected */
	memcpy(bar + 18, &queues, 2);   /* num_queues */
	memcpy(bar + 24, &size, 2);     /* queue_size */
	memcpy(bar + 30, &queue_notify_off, 2);
}

static int setup(void **state)
{
	(void)state;
	area =
	    mmap(NULL, BAR_BYTES + 2 * GUARD_BYTES, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED)
		return -1;
	bar = area + GUARD_BYTES;
	return mprotect(bar, BAR_BYTES, PROT_READ | PROT_WRITE);
}

static int teardown(void **state)
{
	(void)state;
	munmap(area, BAR_BYTES + 2 * GUARD_BYTES);
	return 0;
}

/* Sets up queue 0 of the device; the result of virtqueue_setup. */
static int set_up_queue(virtqueue *q)
{
	static uint8_t dma[VIRTQ_DMA_BYTES] __attribute__((aligned(4096)));
	virtio_access access = {config_read, map_bar, enable_dma, NULL};
	virtio_device d;
	assert_int_equal(virtio_start(&d, &access, 0, 0), 0);
	return virtqueue_setup(&d, q, 0, 8, dma, 0x100000);
}

static void test_notify_register_in_the_region(void **state)
{
	(void)state;
	device(4, 3);
	virtqueue q;
	assert_int_equal(set_up_queue(&q), 0);
	assert_ptr_equal((volatile uint8_t *)q.notify, bar + NOTIFY_AT + 12);
	virtqueue_kick(&q);
	assert_int_equal(*(volatile uint16_t *)(bar + NOTIFY_AT + 12), 0); /* queue 0's index */
}

/* The last register that fits, and the first that does not. */
static void test_notify_register_at_the_region_end(void **state)
{
	(void)state;
	virtqueue q;
	device(2, NOTIFY_BYTES / 2 - 1);
	assert_int_equal(set_up_queue(&q), 0);
	assert_ptr_equal((volatile uint8_t *)q.notify, bar + NOTIFY_AT + NOTIFY_BYTES - 2);
	device(2, NOTIFY_BYTES / 2);
	assert_int_equal(set_up_queue(&q), -1);
}

/* 0xffffffff x 1: in 32 bits, 0xffffffff + 2 is 1, which passed. */
static void test_notify_offset_that_wraps(void **state)
{
	(void)state;
	virtqueue q;
	device(0xffffffffu, 1);
	assert_int_equal(set_up_queue(&q), -1);
	device(0x10000u, 0xffff); /* 0xffff0000: no wrap, far past the region */
	assert_int_equal(set_up_queue(&q), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_notify_register_in_the_region),
	    cmocka_unit_test(test_notify_register_at_the_region_end),
	    cmocka_unit_test(test_notify_offset_that_wraps),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
