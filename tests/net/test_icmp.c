/*
 * test_icmp.c: ICMP echo. A ping as Linux sends it (its bytes and the
 * expected reply's written out, checksums computed outside the library) is
 * answered byte for byte; echo requests of every size are answered with
 * replies whose checksums the test computes itself; bad checksums, short
 * messages, broadcast pings and other ICMP types are dropped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"

static struct rig r;

static int setup(void **state)
{
	(void)state;
	rig_init(&r);
	return 0;
}

/* `ping -c 1 10.0.2.15` from slirp's 10.0.2.2: identifier 0x1c46, sequence
 * 1, 56 bytes of data (a timestamp, then 0x10 to 0x37). */
static const uint8_t linux_ping[98] = {
    0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02, 0x08, 0x00,
    0x45, 0x00, 0x00, 0x54, 0xa1, 0xb2, 0x40, 0x00, 0x40, 0x01, 0x80, 0xe6, 0x0a, 0x00,
    0x02, 0x02, 0x0a, 0x00, 0x02, 0x0f, 0x08, 0x00, 0xdb, 0x05, 0x1c, 0x46, 0x00, 0x01,
    0x8f, 0x2c, 0x6b, 0x66, 0x00, 0x00, 0x00, 0x00, 0x3c, 0x4d, 0x0b, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b,
    0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29,
    0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37,
};

/* The reply's headers: back to slirp's MAC; IPv4 id 0 (our first packet),
 * no flags, TTL 64, from us to 10.0.2.2, checksum 0x6299; ICMP type 0,
 * checksum 0xe305 (the request's plus 0x0800, type 8 having become 0). */
static const uint8_t linux_ping_reply_head[42] = {
    0x52, 0x55, 0x0a, 0x00, 0x02, 0x02, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x08, 0x00,
    0x45, 0x00, 0x00, 0x54, 0x00, 0x00, 0x00, 0x00, 0x40, 0x01, 0x62, 0x99, 0x0a, 0x00,
    0x02, 0x0f, 0x0a, 0x00, 0x02, 0x02, 0x00, 0x00, 0xe3, 0x05, 0x1c, 0x46, 0x00, 0x01,
};

static void linux_ping_is_answered(void **state)
{
	(void)state;
	struct net_counters before = r.stack.counters;
	rig_input(&r, linux_ping, sizeof(linux_ping));
	expect_counted(&before, &r.stack.counters, "icmp_echoes");
	assert_int_equal(r.sent_count, 1);
	assert_int_equal(r.sent[0].length, 98);
	assert_memory_equal(r.sent[0].bytes, linux_ping_reply_head, 42);
	assert_memory_equal(r.sent[0].bytes + 42, linux_ping + 42, 56);
}

/* The reply to a request of `length` data bytes from src (at eth_src),
 * checked field by field against the request with independent checksums. */
static void check_reply(const struct sent_frame *s, const uint8_t *eth_src, uint32_t src,
                        uint16_t ident, uint16_t seq, const uint8_t *data, size_t length)
{
	const uint8_t *f = s->bytes;
	size_t want = 14 + 20 + 8 + length;
	assert_int_equal(s->length, want < 60 ? 60 : want);
	assert_memory_equal(f, eth_src, 6);
	assert_memory_equal(f + 6, our_mac, 6);
	assert_int_equal(rd16(f + 12), 0x0800);
	const uint8_t *h = f + 14;
	assert_int_equal(h[0], 0x45);
	assert_int_equal(rd16(h + 2), 20 + 8 + length);
	assert_int_equal(rd16(h + 6) & 0x3fff, 0); /* not a fragment */
	assert_int_equal(h[8], 64);
	assert_int_equal(h[9], 1);
	assert_int_equal(rd32(h + 12), OUR_IP);
	assert_int_equal(rd32(h + 16), src);
	assert_int_equal(ref_checksum(h, 20), 0);
	const uint8_t *m = h + 20;
	assert_int_equal(m[0], 0);
	assert_int_equal(m[1], 0);
	assert_int_equal(rd16(m + 4), ident);
	assert_int_equal(rd16(m + 6), seq);
	assert_memory_equal(m + 8, data, length);
	assert_int_equal(ref_checksum(m, 8 + length), 0);
	/* The padding of a short reply is zeros. */
	for (size_t i = want; i < s->length; i++)
		assert_int_equal(f[i], 0);
}

static void echoes_of_every_size(void **state)
{
	(void)state;
	static uint8_t data[NET_MTU];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 31 + 7);
	uint8_t f[NET_FRAME_MAX_BYTES];
	size_t max = NET_MTU - 20 - 8;
	for (size_t len = 0; len <= max; len += len < 40 ? 1 : 37) {
		rig_clear(&r);
		struct ip_spec ip = ip_spec_default(1);
		size_t n = build_echo(f, &ip, 0xbeef, (uint16_t)len, data, len);
		struct net_counters before = r.stack.counters;
		rig_input(&r, f, n);
		expect_counted(&before, &r.stack.counters, "icmp_echoes");
		assert_int_equal(r.sent_count, 1);
		check_reply(&r.sent[0], peer_mac, PEER_IP, 0xbeef, (uint16_t)len, data, len);
	}
	/* The largest: a full frame in, a full frame out. */
	rig_clear(&r);
	struct ip_spec ip = ip_spec_default(1);
	size_t n = build_echo(f, &ip, 1, 2, data, max);
	assert_int_equal(n, NET_FRAME_MAX_BYTES);
	rig_input(&r, f, n);
	assert_int_equal(r.sent_count, 1);
	check_reply(&r.sent[0], peer_mac, PEER_IP, 1, 2, data, max);
}

/* A ping from off the network comes through the gateway and goes back to
 * it, without ARP; one with options is answered without them. */
static void replies_go_to_previous_hop(void **state)
{
	(void)state;
	uint8_t f[NET_FRAME_MAX_BYTES];
	struct ip_spec ip = ip_spec_default(1);
	ip.src = FAR_IP;
	ip.eth_src = gw_mac;
	size_t n = build_echo(f, &ip, 7, 8, "far", 3);
	rig_input(&r, f, n);
	assert_int_equal(r.sent_count, 1);
	check_reply(&r.sent[0], gw_mac, FAR_IP, 7, 8, (const uint8_t *)"far", 3);

	rig_clear(&r);
	static const uint8_t options[8] = {1, 1, 1, 1, 1, 1, 1, 0};
	ip = ip_spec_default(1);
	ip.ihl = 7;
	ip.options = options;
	n = build_echo(f, &ip, 9, 10, "options", 7);
	rig_input(&r, f, n);
	assert_int_equal(r.sent_count, 1);
	check_reply(&r.sent[0], peer_mac, PEER_IP, 9, 10, (const uint8_t *)"options", 7);
}

static void bad_checksum_is_dropped(void **state)
{
	(void)state;
	uint8_t f[NET_FRAME_MAX_BYTES];
	struct ip_spec ip = ip_spec_default(1);
	size_t n = build_echo(f, &ip, 1, 1, "abcdefgh", 8);
	/* Every single flipped bit of the message is caught. */
	for (size_t bit = 0; bit < 16 * 8; bit++) {
		uint8_t g[NET_FRAME_MAX_BYTES];
		memcpy(g, f, n);
		g[34 + bit / 8] ^= (uint8_t)(1u << (bit % 8));
		expect_input_dropped(&r, g, n, "icmp_bad_checksum");
	}
	/* An odd length's last byte counts, padded on the right. */
	n = build_echo(f, &ip, 1, 1, "abc", 3);
	f[n - 1] ^= 0x01;
	expect_input_dropped(&r, f, n, "icmp_bad_checksum");
	/* 0 is no "no checksum" for ICMP. */
	n = build_echo(f, &ip, 1, 1, "abc", 3);
	wr16(f + 36, 0);
	expect_input_dropped(&r, f, n, "icmp_bad_checksum");
}

static void short_message_is_dropped(void **state)
{
	(void)state;
	uint8_t f[NET_FRAME_MAX_BYTES];
	struct ip_spec ip = ip_spec_default(1);
	/* 0 to 7 bytes of ICMP, by the total length (the frame holds more). */
	static const uint8_t seven[7] = {8, 0, 0xf7, 0xff, 0, 0, 0};
	for (size_t len = 0; len < 8; len++) {
		size_t n = build_ip(f, &ip, seven, len);
		expect_input_dropped(&r, f, n, "icmp_short");
	}
}

/* A ping to a broadcast address is not answered (no smurf amplifier). */
static void broadcast_ping_is_dropped(void **state)
{
	(void)state;
	uint8_t f[NET_FRAME_MAX_BYTES];
	struct ip_spec ip = ip_spec_default(1);
	ip.eth_dst = bcast_mac;
	ip.dst = NET_IPV4(255, 255, 255, 255);
	expect_input_dropped(&r, f, build_echo(f, &ip, 1, 1, "x", 1), "icmp_broadcast");
	ip.dst = NET_IPV4(10, 0, 2, 255);
	expect_input_dropped(&r, f, build_echo(f, &ip, 1, 1, "x", 1), "icmp_broadcast");
}

static void other_types_are_dropped(void **state)
{
	(void)state;
	uint8_t f[NET_FRAME_MAX_BYTES];
	struct ip_spec ip = ip_spec_default(1);
	/* Echo reply, unreachable, redirect, time exceeded, timestamp, and an
	 * echo request with a code other than 0. */
	static const uint8_t kinds[][2] = {{0, 0}, {3, 3}, {5, 1}, {11, 0}, {13, 0}, {8, 1}};
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		uint8_t m[16] = {kinds[i][0], kinds[i][1], 0, 0, 0, 1, 0, 2, 'p', 'a', 'y'};
		wr16(m + 2, ref_checksum(m, sizeof(m)));
		expect_input_dropped(&r, f, build_ip(f, &ip, m, sizeof(m)), "icmp_unsupported");
	}
}

/* A reply that transmit refuses is counted; the request still was handled. */
static void refused_reply_is_counted(void **state)
{
	(void)state;
	r.transmit_result = -1;
	struct net_counters before = r.stack.counters;
	rig_input(&r, linux_ping, sizeof(linux_ping));
	expect_counted(&before, &r.stack.counters, "icmp_echoes");
	assert_int_equal(r.stack.counters.tx_errors, 1);
	assert_int_equal(r.stack.counters.tx_frames, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(linux_ping_is_answered, setup),
	    cmocka_unit_test_setup(echoes_of_every_size, setup),
	    cmocka_unit_test_setup(replies_go_to_previous_hop, setup),
	    cmocka_unit_test_setup(bad_checksum_is_dropped, setup),
	    cmocka_unit_test_setup(short_message_is_dropped, setup),
	    cmocka_unit_test_setup(broadcast_ping_is_dropped, setup),
	    cmocka_unit_test_setup(other_types_are_dropped, setup),
	    cmocka_unit_test_setup(refused_reply_is_counted, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
