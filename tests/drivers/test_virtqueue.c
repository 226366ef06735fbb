/*
 * test_virtqueue.c: the split virtqueue (kernel-stubs/drivers/virtqueue.c)
 * against a device played by this test, which writes what it likes into
 * the queue's memory, as hardware or a hypervisor could:
 *
 *  - a chain offered, used and taken back gives its head, the bytes the
 *    device wrote, and its descriptors back;
 *  - a device that rewrites the descriptor table's `next` fields: the
 *    driver keeps handing out sound chains of its own descriptors (it used
 *    to follow the table's links, and with a link of 0xffff wrote 1 MiB
 *    past the table);
 *  - a device that gives back ids it was not given (out of range, not a
 *    chain's head, a chain twice) or runs its index far ahead: each is
 *    refused (-2) and the driver's free list is unchanged.
 *
 * The queue's memory is the first VIRTQ_DMA_BYTES of 2 MiB whose rest is
 * inaccessible, so a stray access faults instead of passing unseen.
 */
#include "virtio.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#define SIZE        8u
#define GUARD_BYTES (2u << 20)

static virtqueue q;
static uint8_t *dma;

static int setup(void **state)
{
	(void)state;
	dma = mmap(NULL, GUARD_BYTES, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (dma == MAP_FAILED || mprotect(dma, VIRTQ_DMA_BYTES, PROT_READ | PROT_WRITE) != 0)
		return -1;
	virtqueue_init(&q, 0, SIZE, dma);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	munmap(dma, GUARD_BYTES);
	return 0;
}

/* The device: puts chain `id` in its used ring with `len` bytes written. */
static void device_uses(uint32_t id, uint32_t len)
{
	volatile uint16_t *used_idx = (volatile uint16_t *)(q.used + 2);
	volatile struct virtq_used_elem *e =
	    (volatile struct virtq_used_elem *)(q.used + 4) + *used_idx % SIZE;
	e->id = id;
	e->len = len;
	(*used_idx)++;
}

/* A chain of two buffers, the second the device's to write. */
static int add_pair(void)
{
	struct virtq_buffer bufs[2] = {{.phys = 0x1000, .len = 16},
	                               {.phys = 0x2000, .len = 512, .device_writes = true}};
	return virtqueue_add(&q, bufs, 2);
}

/* The chain at `head` as the device reads it: two descriptors, linked,
 * both in the table; their indices marked in *seen, none twice. */
static void assert_sound_pair(int head, uint32_t *seen)
{
	assert_in_range(head, 0, SIZE - 1);
	volatile struct virtq_desc *first = &q.desc[head];
	assert_int_equal(first->flags, VIRTQ_DESC_NEXT);
	assert_int_equal(first->len, 16);
	uint16_t second = first->next;
	assert_in_range(second, 0, SIZE - 1);
	assert_int_not_equal(second, head);
	assert_int_equal(q.desc[second].flags, VIRTQ_DESC_WRITE);
	assert_int_equal(q.desc[second].len, 512);
	assert_false(*seen & (1u << head));
	assert_false(*seen & (1u << second));
	*seen |= 1u << head | 1u << second;
}

static void test_round_trip(void **state)
{
	(void)state;
	int head = add_pair();
	uint32_t seen = 0;
	assert_sound_pair(head, &seen);
	assert_int_equal(q.free_count, SIZE - 2);
	uint32_t written = 0;
	assert_int_equal(virtqueue_take(&q, &written), -1); /* nothing used yet */
	device_uses((uint32_t)head, 300);
	assert_int_equal(virtqueue_take(&q, &written), head);
	assert_int_equal(written, 300);
	assert_int_equal(q.free_count, SIZE);
}

static void test_device_rewrites_the_links(void **state)
{
	(void)state;
	for (int round = 0; round < 3; round++) {
		int heads[SIZE / 2];
		uint32_t seen = 0;
		for (unsigned c = 0; c < SIZE / 2; c++) {
			heads[c] = add_pair();
			assert_sound_pair(heads[c], &seen);
		}
		assert_int_equal(add_pair(), -1); /* the table is full */
		/* The device scribbles every link, then gives the chains back
		 * in reverse order. */
		for (unsigned i = 0; i < SIZE; i++)
			q.desc[i].next = (uint16_t)(round == 0 ? 0xffffu : SIZE + i);
		for (int c = SIZE / 2 - 1; c >= 0; c--)
			device_uses((uint32_t)heads[c], 0);
		uint32_t written;
		for (int c = SIZE / 2 - 1; c >= 0; c--)
			assert_int_equal(virtqueue_take(&q, &written), heads[c]);
		assert_int_equal(q.free_count, SIZE);
	}
}

static void test_device_returns_what_it_was_not_given(void **state)
{
	(void)state;
	int head = add_pair();
	uint32_t seen = 0;
	assert_sound_pair(head, &seen);
	uint16_t second = q.desc[head].next;
	uint32_t written;
	device_uses(SIZE, 0);           /* out of range */
	device_uses(0xffffffffu, 0);    /* far out of range */
	device_uses(second, 0);         /* in a chain, not its head */
	device_uses((uint32_t)head, 7); /* the chain itself */
	device_uses((uint32_t)head, 7); /* and once more */
	assert_int_equal(virtqueue_take(&q, &written), -2);
	assert_int_equal(virtqueue_take(&q, &written), -2);
	assert_int_equal(virtqueue_take(&q, &written), -2);
	assert_int_equal(q.free_count, SIZE - 2);
	assert_int_equal(virtqueue_take(&q, &written), head);
	assert_int_equal(written, 7);
	assert_int_equal(virtqueue_take(&q, &written), -2);
	assert_int_equal(virtqueue_take(&q, &written), -1);
	assert_int_equal(q.free_count, SIZE);
	/* An index run far ahead: each take is refused or a chain, and the
	 * takes end once the driver has caught up. */
	*(volatile uint16_t *)(q.used + 2) += 1000;
	int taken = 0;
	while (virtqueue_take(&q, &written) != -1)
		assert_true(++taken <= 1000);
	assert_int_equal(taken, 1000);
	assert_int_equal(q.free_count, SIZE);
	seen = 0;
	for (unsigned c = 0; c < SIZE / 2; c++)
		assert_sound_pair(add_pair(), &seen);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_device_rewrites_the_links, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_device_returns_what_it_was_not_given, setup,
	                                    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
