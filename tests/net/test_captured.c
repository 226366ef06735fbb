/*
 * test_captured.c: frames another implementation wrote, replayed: slirp's
 * side of a UDP echo session, captured from QEMU (captured/README.md). Its
 * ARP request must be answered and every datagram delivered intact to port
 * 7, from 10.0.2.2, with no frame dropped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"

#define ROUNDS 3
static const size_t sizes[] = {1, 7, 64, 333, 1000, 1472};
#define PER_ROUND (sizeof(sizes) / sizeof(sizes[0]))

struct capture {
	size_t count;
	struct {
		size_t length;
		uint8_t bytes[NET_FRAME_MAX_BYTES];
	} frames[64];
};

/* Reads a classic pcap file (little-endian, microseconds, Ethernet). */
static void read_pcap(const char *path, struct capture *c)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	uint8_t header[24];
	assert_int_equal(fread(header, 1, sizeof(header), f), sizeof(header));
	assert_int_equal(header[0] | header[1] << 8 | header[2] << 16 | (uint32_t)header[3] << 24,
	                 0xa1b2c3d4u);
	assert_int_equal(header[20], 1); /* LINKTYPE_ETHERNET */
	c->count = 0;
	uint8_t record[16];
	while (fread(record, 1, sizeof(record), f) == sizeof(record)) {
		uint32_t length =
		    record[8] | record[9] << 8 | record[10] << 16 | (uint32_t)record[11] << 24;
		assert_true(length <= NET_FRAME_MAX_BYTES);
		assert_true(c->count < sizeof(c->frames) / sizeof(c->frames[0]));
		c->frames[c->count].length = length;
		assert_int_equal(fread(c->frames[c->count].bytes, 1, length, f), length);
		c->count++;
	}
	fclose(f);
}

static void slirp_session_replayed(void **state)
{
	(void)state;
	static struct capture c;
	read_pcap(CAPTURE_FILE, &c);
	static struct rig r;
	rig_init(&r);
	size_t from_slirp = 0, datagrams = 0, arp_replies = 0;
	for (size_t i = 0; i < c.count; i++) {
		const uint8_t *frame = c.frames[i].bytes;
		if (memcmp(frame + 6, gw_mac, 6) != 0)
			continue; /* the guest's own frames */
		from_slirp++;
		rig_clear(&r);
		rig_input(&r, frame, c.frames[i].length);
		if (rd16(frame + 12) == 0x0806) {
			/* Its ARP request for us: answered with our MAC. */
			assert_int_equal(r.sent_count, 1);
			const uint8_t *reply = r.sent[0].bytes;
			assert_memory_equal(reply, gw_mac, 6);
			assert_int_equal(rd16(reply + 12), 0x0806);
			assert_int_equal(rd16(reply + 14 + 6), 2);
			assert_memory_equal(reply + 14 + 8, our_mac, 6);
			assert_int_equal(rd32(reply + 14 + 14), OUR_IP);
			arp_replies++;
			continue;
		}
		/* A datagram of the session: to port 7, intact. */
		assert_int_equal(r.got_count, 1);
		const struct net_udp_datagram *d = &r.got[0].head;
		size_t n = datagrams % PER_ROUND;
		assert_int_equal(d->source_ip, GW_IP);
		assert_int_equal(d->destination_ip, OUR_IP);
		assert_int_equal(d->destination_port, 7);
		assert_int_equal(d->length, sizes[n]);
		for (size_t j = 0; j < d->length; j++)
			assert_int_equal(d->payload[j], (uint8_t)(31 * n + 7 * j));
		datagrams++;
	}
	assert_int_equal(arp_replies, 1);
	assert_int_equal(datagrams, ROUNDS * PER_ROUND);
	assert_int_equal(r.stack.counters.rx_frames, from_slirp);
	assert_int_equal(r.stack.counters.udp_delivered, datagrams);
	assert_int_equal(r.stack.counters.arp_requests, 1);
	const struct net_drops *drop = &r.stack.counters.drop;
	uint64_t dropped = 0;
#define ADD(name, meaning) dropped += drop->name;
	NET_DROP_REASONS(ADD)
#undef ADD
	assert_int_equal(dropped, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(slirp_session_replayed)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
