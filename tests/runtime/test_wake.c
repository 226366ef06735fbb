/*
 * test_wake.c: the lost-wake-up test. A producer and a consumer thread
 * stream frames through a ring so small that both sides sleep all the
 * time: the consumer for data, the producer for room. A lost wake-up
 * stalls the stream; a watchdog turns a stall into a failure, not a hang.
 * IDL_WAKE_MESSAGES sets the count (default 2 million).
 *
 * The same stream runs again through an 8 KiB ring, where the producer
 * rewinds to offset 0 whenever it finds the ring empty (IDL_RING_REWIND_AT)
 * while the consumer is still taking the last frames: every frame's bytes
 * are checked, so a rewind over an unread frame fails the test.
 */
#include "chan_fixture.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

/* The channel under test: the small fixture, or one that rewinds. */
#define REWIND_RING 8192u
static fixture small;
static struct {
	_Alignas(64) uint8_t region[IDL_CHAN_RINGS_OFFSET + 2 * REWIND_RING];
	idl_chan_end client, server;
} big;
static idl_chan_end *client, *server;
static uint64_t messages;
static bool dawdle; /* the producer pauses now and then */
static _Atomic uint64_t received;
static _Atomic bool failed;

/* Frame i's size: 24 to 48 bytes, known to both sides. */
static uint32_t frame_size(uint64_t i)
{
	uint32_t x = (uint32_t)i * 2654435761u;
	return 24 + 8 * (x >> 30);
}

/* Spins (and now and then a yield) vary per message so that each side
 * reaches the sleep/wake edge at many different moments relative to the
 * other. */
static void *producer(void *arg)
{
	(void)arg;
	uint32_t x = 12345;
	for (uint64_t i = 0; i < messages && !atomic_load(&failed); i++) {
		x = x * 1103515245u + 12345u;
		client->patience.spins = (x >> 16) % 4 == 0 ? (x >> 20) % 64 : 0;
		client->patience.yields = (x >> 26) % 8 == 0 ? 1 : 0;
		/* In the rewind test the producer dawdles now and then, so that
		 * the consumer empties the ring and the next frame may rewind. */
		if (dawdle && (x >> 12) % 4 == 0)
			for (uint32_t n = (x >> 4) % 512; n > 0; n--)
				idl_os_relax();
		if (send_frame(client, frame_size(i), 0, IDL_FLAG_REQUEST, (uint32_t)i) != IDL_OK) {
			atomic_store(&failed, true);
			break;
		}
	}
	return NULL;
}

static void *consumer(void *arg)
{
	(void)arg;
	_Alignas(8) uint8_t buf[FIX_MAX_FRAME];
	uint32_t x = 777;
	for (uint64_t i = 0; i < messages && !atomic_load(&failed); i++) {
		x = x * 1103515245u + 12345u;
		server->patience.spins = (x >> 16) % 4 == 0 ? (x >> 20) % 64 : 0;
		server->patience.yields = (x >> 26) % 8 == 0 ? 1 : 0;
		size_t size;
		idl_typed_handle h[1];
		uint32_t count = 1;
		int err =
		    server->ep.ops->receive(&server->ep, 0, buf, sizeof(buf), &size, h, &count);
		if (err != IDL_OK || size != frame_size(i) ||
		    check_frame(buf, (uint32_t)size, (uint32_t)i) != 0) {
			atomic_store(&failed, true);
			break;
		}
		atomic_store_explicit(&received, i + 1, memory_order_relaxed);
	}
	return NULL;
}

static void stream(idl_chan_shared *sh, uint64_t count)
{
	messages = count;
	atomic_store(&received, 0);
	client->nonblock = false;
	server->nonblock = false;
	/* Slices far longer than the watchdog: a lost wake-up must not be
	 * rescued by a slice timeout. Timeouts 0: wait forever. */
	client->slice_ns = server->slice_ns = 3600000000000u;
	pthread_t p, c;
	uint64_t t0 = idl_os_now_ns();
	assert_int_equal(pthread_create(&c, NULL, consumer, NULL), 0);
	assert_int_equal(pthread_create(&p, NULL, producer, NULL), 0);
	uint64_t last = 0;
	int still = 0;
	while (atomic_load(&received) < messages && !atomic_load(&failed)) {
		usleep(100000);
		uint64_t now = atomic_load(&received);
		still = now == last ? still + 1 : 0;
		last = now;
		if (still == 50) { /* 5 s without progress: a lost wake-up */
			fprintf(stderr, "stalled at %llu of %llu\n", (unsigned long long)now,
			        (unsigned long long)messages);
			_exit(1);
		}
	}
	pthread_join(p, NULL);
	pthread_join(c, NULL);
	assert_false(atomic_load(&failed));
	double s = (double)(idl_os_now_ns() - t0) / 1e9;
	print_message("  %llu messages in %.2f s; %u consumer and %u producer wake-ups; "
	              "the producer's index went round the ring %u times\n",
	              (unsigned long long)messages, s, atomic_load(&sh->doorbell.wake.seq),
	              atomic_load(&sh->client.seq), client->tx.own / client->tx.bytes);
}

static uint64_t messages_asked(void)
{
	const char *env = getenv("IDL_WAKE_MESSAGES");
	return env != NULL ? strtoull(env, NULL, 10) : 2000000;
}

static void test_no_lost_wakeup(void **state)
{
	(void)state;
	fixture_init(&small);
	client = &small.client;
	server = &small.server;
	dawdle = false;
	stream(fixture_shared(&small), messages_asked());
}

/* A quarter of the messages: the ring rarely fills, so this is about the
 * rewinds, which come every 2 KiB or so whenever the consumer keeps up. */
static void test_rewind_while_consuming(void **state)
{
	(void)state;
	chan_pair_init(big.region, sizeof(big.region), REWIND_RING, &big.client, &big.server);
	client = &big.client;
	server = &big.server;
	dawdle = true;
	uint64_t count = messages_asked() / 4;
	stream((idl_chan_shared *)big.region, count);
	/* What the index moved beyond the frames is padding; a rewind pads
	 * at least REWIND_RING - IDL_RING_REWIND_AT - 48 bytes at a time, a
	 * wrap at the ring's end less than a reservation (304 bytes). */
	uint64_t frames = 0;
	for (uint64_t i = 0; i < count; i++)
		frames += frame_size(i);
	uint64_t padding = (uint32_t)(client->tx.own - (uint32_t)frames);
	uint64_t rewinds = padding / (REWIND_RING - IDL_RING_REWIND_AT - 48);
	print_message("  about %llu rewinds\n", (unsigned long long)rewinds);
	/* Typically 1 in 250-500 messages; the bound only asks that the
	 * test did what it is for, with room for a slow machine. */
	assert_true(rewinds > count / 5000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_no_lost_wakeup),
	    cmocka_unit_test(test_rewind_while_consuming),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
