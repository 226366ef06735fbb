/*
 * test_truncated.c: cut frames. Every prefix of a valid frame, from 0
 * bytes to one short of the whole, is fed through an exact-size heap copy
 * (ASan, in the sanitizer build, sees any read past the end): none may
 * deliver, answer or crash, and each is counted once. The whole frame then
 * does what it should. Then random bit flips of valid frames, which must
 * keep every frame counted once and every frame sent well-formed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"

static struct rig r;

static int setup(void **state)
{
	(void)state;
	rig_init(&r);
	rig_learn_neighbours(&r);
	return 0;
}

struct sample {
	const char *name;
	uint8_t bytes[NET_FRAME_MAX_BYTES];
	size_t length;
	const char *handled_as; /* what the whole frame counts as */
};

static struct sample samples[8];
static size_t sample_count;

static void make_samples(void)
{
	static uint8_t data[NET_UDP_MAX_PAYLOAD];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 5);
	struct udp_spec u = {.src_port = 999, .dst_port = 53, .length = -1, .checksum = -1};
	struct sample *s = samples;

	s->name = "ARP request";
	s->length = build_arp(s->bytes, 1, peer_mac, PEER_IP, bcast_mac, OUR_IP);
	s->handled_as = "arp_requests";
	s++;
	s->name = "ARP reply";
	s->length = build_arp(s->bytes, 2, peer_mac, PEER_IP, our_mac, OUR_IP);
	s->handled_as = "arp_replies";
	s++;
	struct ip_spec ip = ip_spec_default(1);
	s->name = "ICMP echo";
	s->length = build_echo(s->bytes, &ip, 1, 2, data, 56);
	s->handled_as = "icmp_echoes";
	s++;
	s->name = "ICMP echo, largest";
	s->length = build_echo(s->bytes, &ip, 1, 2, data, NET_MTU - 28);
	s->handled_as = "icmp_echoes";
	s++;
	ip = ip_spec_default(17);
	s->name = "UDP";
	s->length = build_udp(s->bytes, &ip, &u, data, 20);
	s->handled_as = "udp_delivered";
	s++;
	s->name = "UDP, largest";
	s->length = build_udp(s->bytes, &ip, &u, data, NET_UDP_MAX_PAYLOAD);
	s->handled_as = "udp_delivered";
	s++;
	static const uint8_t options[8] = {0x94, 4, 0, 0, 1, 1, 1, 0}; /* router alert */
	ip.ihl = 7;
	ip.options = options;
	s->name = "UDP with options";
	s->length = build_udp(s->bytes, &ip, &u, data, 3);
	s->handled_as = "udp_delivered";
	s++;
	ip = ip_spec_default(17);
	ip.eth_dst = bcast_mac;
	ip.dst = NET_IPV4(255, 255, 255, 255);
	u.checksum = 0;
	s->name = "UDP broadcast, no checksum";
	s->length = build_udp(s->bytes, &ip, &u, data, 0);
	s->handled_as = "udp_delivered";
	s++;
	sample_count = (size_t)(s - samples);
}

static void every_prefix(void **state)
{
	(void)state;
	make_samples();
	for (size_t k = 0; k < sample_count; k++) {
		const struct sample *s = &samples[k];
		for (size_t len = 0; len < s->length; len++) {
			rig_clear(&r);
			struct net_counters before = r.stack.counters;
			rig_input(&r, s->bytes, len);
			if (r.sent_count != 0 || r.got_count != 0)
				fail_msg("%s cut to %zu bytes was answered or delivered", s->name,
				         len);
			assert_int_equal(r.stack.counters.rx_frames, before.rx_frames + 1);
			expect_all_counted(&r.stack.counters);
			/* It was dropped, not handled. */
			assert_int_equal(r.stack.counters.udp_delivered, before.udp_delivered);
			assert_int_equal(r.stack.counters.icmp_echoes, before.icmp_echoes);
			assert_int_equal(r.stack.counters.arp_requests, before.arp_requests);
			assert_int_equal(r.stack.counters.arp_replies, before.arp_replies);
		}
		rig_clear(&r);
		struct net_counters before = r.stack.counters;
		rig_input(&r, s->bytes, s->length);
		expect_counted(&before, &r.stack.counters, s->handled_as);
	}
}

/* A frame the stack sent: its lengths agree and its checksums are right. */
static void check_sent(const struct sent_frame *s)
{
	const uint8_t *f = s->bytes;
	assert_true(s->length >= 60 && s->length <= NET_FRAME_MAX_BYTES);
	assert_memory_equal(f + 6, our_mac, 6);
	uint16_t type = rd16(f + 12);
	if (type == 0x0806) {
		assert_int_equal(rd32(f + 14 + 14), OUR_IP);
		return;
	}
	assert_int_equal(type, 0x0800);
	const uint8_t *h = f + 14;
	assert_int_equal(h[0], 0x45);
	size_t total = rd16(h + 2);
	assert_true(total >= 28 && 14 + total <= s->length);
	assert_int_equal(ref_checksum(h, 20), 0);
	assert_int_equal(rd32(h + 12), OUR_IP);
	if (h[9] == 1) {
		assert_int_equal(h[20], 0);
		assert_int_equal(ref_checksum(h + 20, total - 20), 0);
	} else {
		assert_int_equal(h[9], 17);
		assert_int_equal(rd16(h + 24), total - 20);
		assert_int_equal(ref_udp_checksum(OUR_IP, rd32(h + 16), h + 20, total - 20), 0);
	}
}

/* Random damage to valid frames: one to eight flipped bits or changed
 * bytes, lengths cut or grown. */
static void random_damage(void **state)
{
	(void)state;
	make_samples();
	r.echo = true; /* answers exercise the send path too */
	srand(12345);
	static uint8_t f[NET_FRAME_MAX_BYTES + 16];
	for (int round = 0; round < 200000; round++) {
		const struct sample *s = &samples[(size_t)rand() % sample_count];
		memcpy(f, s->bytes, s->length);
		memset(f + s->length, rand() & 0xff, sizeof(f) - s->length);
		int changes = 1 + rand() % 8;
		for (int i = 0; i < changes; i++) {
			size_t at = (size_t)rand() % s->length;
			if (rand() % 2)
				f[at] ^= (uint8_t)(1u << (rand() % 8));
			else
				f[at] = (uint8_t)rand();
		}
		size_t len = s->length;
		if (rand() % 4 == 0)
			len = (size_t)rand() % (sizeof(f) + 1);
		rig_clear(&r);
		rig_input(&r, f, len);
		expect_all_counted(&r.stack.counters);
		for (size_t i = 0; i < r.sent_count; i++)
			check_sent(&r.sent[i]);
		for (size_t i = 0; i < r.got_count; i++)
			assert_true(r.got[i].head.length <= NET_UDP_MAX_PAYLOAD);
		if (round % 1000 == 0) {
			r.now_ms += 700;
			net_tick(&r.stack);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(every_prefix, setup),
	    cmocka_unit_test_setup(random_damage, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
