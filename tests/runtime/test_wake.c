/*
 * test_wake.c: the lost-wake-up test. A producer and a consumer thread
 * stream frames through a ring so small that both sides sleep all the
 * time: the consumer for data, the producer for room. A lost wake-up
 * stalls the stream; a watchdog turns a stall into a failure, not a hang.
 * IDL_WAKE_MESSAGES sets the count (default 2 million).
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

static fixture f;
static uint64_t messages;
static _Atomic uint64_t received;
static _Atomic bool failed;

/* Spins (and now and then a yield) vary per message so that each side
 * reaches the sleep/wake edge at many different moments relative to the
 * other. */
static void *producer(void *arg)
{
	(void)arg;
	uint32_t x = 12345;
	for (uint64_t i = 0; i < messages && !atomic_load(&failed); i++) {
		x = x * 1103515245u + 12345u;
		f.client.patience.spins = (x >> 16) % 4 == 0 ? (x >> 20) % 64 : 0;
		f.client.patience.yields = (x >> 26) % 8 == 0 ? 1 : 0;
		uint32_t size = 24 + 8 * ((x >> 8) % 4);
		if (send_frame(&f.client, size, 0, IDL_FLAG_REQUEST, (uint32_t)i) != IDL_OK) {
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
		f.server.patience.spins = (x >> 16) % 4 == 0 ? (x >> 20) % 64 : 0;
		f.server.patience.yields = (x >> 26) % 8 == 0 ? 1 : 0;
		size_t size;
		idl_handle h[1];
		uint32_t count = 1;
		int err =
		    f.server.ep.ops->receive(&f.server.ep, 0, buf, sizeof(buf), &size, h, &count);
		if (err != IDL_OK || ((idl_frame_header *)buf)->ordinal != (uint32_t)i) {
			atomic_store(&failed, true);
			break;
		}
		atomic_store_explicit(&received, i + 1, memory_order_relaxed);
	}
	return NULL;
}

static void test_no_lost_wakeup(void **state)
{
	(void)state;
	const char *env = getenv("IDL_WAKE_MESSAGES");
	messages = env != NULL ? strtoull(env, NULL, 10) : 2000000;
	fixture_init(&f);
	f.client.nonblock = false;
	f.server.nonblock = false;
	/* Slices far longer than the watchdog: a lost wake-up must not be
	 * rescued by a slice timeout. Timeouts 0: wait forever. */
	f.client.slice_ns = f.server.slice_ns = 3600000000000u;
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
	idl_chan_shared *sh = fixture_shared(&f);
	print_message("  %llu messages in %.2f s; %u consumer and %u producer wake-ups\n",
	              (unsigned long long)messages, s, atomic_load(&sh->doorbell.wake.seq),
	              atomic_load(&sh->client.seq));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_no_lost_wakeup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
