/*
 * test_udp.c: UDP input. A DNS answer as slirp sends it (bytes written out,
 * checksum computed outside the library) is delivered with its addresses
 * and ports; a wrong checksum, a length that lies, port 0, a port nobody
 * has and a socket that cannot take it are each dropped and counted; a
 * checksum of 0 means none; broadcasts are delivered.
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

/* slirp's DNS server (10.0.2.3:53) answering 10.0.2.15:40000 with an A
 * record for example.com: 45 bytes of DNS, UDP checksum 0x3549. */
static const uint8_t slirp_dns_answer[87] = {
    0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x52, 0x55, 0x0a, 0x00, 0x02, 0x03, 0x08, 0x00, 0x45,
    0x00, 0x00, 0x49, 0x00, 0x42, 0x00, 0x00, 0x40, 0x11, 0x62, 0x51, 0x0a, 0x00, 0x02, 0x03,
    0x0a, 0x00, 0x02, 0x0f, 0x00, 0x35, 0x9c, 0x40, 0x00, 0x35, 0x35, 0x49, 0xab, 0xcd, 0x81,
    0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70,
    0x6c, 0x65, 0x03, 0x63, 0x6f, 0x6d, 0x00, 0x00, 0x01, 0x00, 0x01, 0xc0, 0x0c, 0x00, 0x01,
    0x00, 0x01, 0x00, 0x00, 0x01, 0x2c, 0x00, 0x04, 0x5d, 0xb8, 0xd8, 0x22,
};

static const struct udp_spec udp_default = {
    .src_port = 1234, .dst_port = 7, .length = -1, .checksum = -1};
static const uint8_t payload[] = "0123456789abcdef";
#define PAYLOAD_BYTES (sizeof(payload) - 1)

static void dns_answer_is_delivered(void **state)
{
	(void)state;
	struct net_counters before = r.stack.counters;
	rig_input(&r, slirp_dns_answer, sizeof(slirp_dns_answer));
	expect_counted(&before, &r.stack.counters, "udp_delivered");
	assert_int_equal(r.got_count, 1);
	const struct net_udp_datagram *d = &r.got[0].head;
	assert_int_equal(d->source_ip, NET_IPV4(10, 0, 2, 3));
	assert_int_equal(d->destination_ip, OUR_IP);
	assert_int_equal(d->source_port, 53);
	assert_int_equal(d->destination_port, 40000);
	assert_int_equal(d->length, 45);
	assert_memory_equal(d->payload, slirp_dns_answer + 42, 45);
	assert_int_equal(r.sent_count, 0);
}

/* deliver sees a pointer into the frame itself: no copy on the way. */
static const uint8_t *seen_payload;
static size_t seen_length;

static int remember(void *ctx, const struct net_udp_datagram *d)
{
	(void)ctx;
	seen_payload = d->payload;
	seen_length = d->length;
	return NET_OK;
}

static void payload_points_into_frame(void **state)
{
	(void)state;
	r.stack.hooks.deliver = remember;
	net_input(&r.stack, slirp_dns_answer, sizeof(slirp_dns_answer));
	assert_ptr_equal(seen_payload, slirp_dns_answer + 42);
	assert_int_equal(seen_length, 45);
}

static void wrong_checksum_is_dropped(void **state)
{
	(void)state;
	uint8_t f[NET_FRAME_MAX_BYTES];
	/* Every flipped bit of the UDP header and payload, and of the
	 * addresses the pseudo-header covers (after fixing the IPv4
	 * header's own checksum). */
	memcpy(f, slirp_dns_answer, sizeof(slirp_dns_answer));
	for (size_t bit = 0; bit < (8 + 45) * 8; bit++) {
		uint8_t g[NET_FRAME_MAX_BYTES];
		memcpy(g, f, sizeof(slirp_dns_answer));
		g[34 + bit / 8] ^= (uint8_t)(1u << (bit % 8));
		size_t n = sizeof(slirp_dns_answer);
		struct net_counters before = r.stack.counters;
		rig_input(&r, g, n);
		/* A flipped length bit may also make the length lie first. */
		if (bit / 8 == 4 || bit / 8 == 5) {
			if (r.stack.counters.drop.udp_bad_length != before.drop.udp_bad_length)
				continue;
		}
		/* Flipping the checksum to 0 turns it off (only 0x3549's
		 * bits are 1, so no single flip does that). */
		expect_counted(&before, &r.stack.counters, "udp_bad_checksum");
	}
	/* The source address, which only the pseudo-header covers. */
	struct ip_spec ip = ip_spec_default(17);
	size_t n = build_udp(f, &ip, &udp_default, payload, PAYLOAD_BYTES);
	wr32(f + 14 + 12, NET_IPV4(10, 0, 2, 8));
	wr16(f + 14 + 10, 0);
	wr16(f + 14 + 10, ref_checksum(f + 14, 20));
	expect_input_dropped(&r, f, n, "udp_bad_checksum");
	/* The checksum's other form of a right sum (0xffff vs 0) is no help to
	 * a wrong one. */
	struct udp_spec u = udp_default;
	u.checksum = 0xffff;
	n = build_udp(f, &ip, &u, payload, PAYLOAD_BYTES);
	expect_input_dropped(&r, f, n, "udp_bad_checksum");
	assert_int_equal(r.got_count, 0);
}

static void zero_checksum_means_none(void **state)
{
	(void)state;
	uint8_t f[NET_FRAME_MAX_BYTES];
	struct ip_spec ip = ip_spec_default(17);
	struct udp_spec u = udp_default;
	u.checksum = 0;
	size_t n = build_udp(f, &ip, &u, payload, PAYLOAD_BYTES);
	/* Even with the payload changed: nothing checks it. */
	f[n - 1] ^= 0x55;
	struct net_counters before = r.stack.counters;
	rig_input(&r, f, n);
	expect_counted(&before, &r.stack.counters, "udp_delivered");
	assert_int_equal(r.got[0].head.length, PAYLOAD_BYTES);
	assert_int_equal(r.got[0].bytes[PAYLOAD_BYTES - 1], payload[PAYLOAD_BYTES - 1] ^ 0x55);
}

/* A datagram whose sum is all ones has checksum 0, sent as 0xffff
 * (RFC 768); it must be accepted. */
static void all_ones_checksum_is_accepted(void **state)
{
	(void)state;
	uint8_t data[8] = {1, 2, 3, 4, 5, 6, 0, 0};
	uint8_t seg[16];
	wr16(seg, 1234);
	wr16(seg + 2, 7);
	wr16(seg + 4, 16);
	wr16(seg + 6, 0);
	memcpy(seg + 8, data, 8);
	uint16_t fix = ref_udp_checksum(PEER_IP, OUR_IP, seg, 16);
	wr16(data + 6, fix);
	memcpy(seg + 8, data, 8);
	assert_int_equal(ref_udp_checksum(PEER_IP, OUR_IP, seg, 16), 0);
	uint8_t f[NET_FRAME_MAX_BYTES];
	struct ip_spec ip = ip_spec_default(17);
	size_t n = build_udp(f, &ip, &udp_default, data, 8);
	assert_int_equal(rd16(f + 34 + 6), 0xffff);
	struct net_counters before = r.stack.counters;
	rig_input(&r, f, n);
	expect_counted(&before, &r.stack.counters, "udp_delivered");
}

static void lying_lengths_are_dropped(void **state)
{
	(void)state;
	uint8_t f[NET_FRAME_MAX_BYTES];
	struct ip_spec ip = ip_spec_default(17);
	/* Fewer than 8 bytes of UDP in the IPv4 payload. */
	for (size_t len = 0; len < 8; len++) {
		size_t n = build_ip(f, &ip, "\x04\xd2\x00\x07\x00\x08\x00", len);
		expect_input_dropped(&r, f, n, "udp_short");
	}
	/* UDP length below its header, and beyond the IPv4 payload (the
	 * frame has the bytes, the IPv4 packet does not). */
	static const int lies[] = {0, 1, 7, PAYLOAD_BYTES + 9, 0xffff};
	for (size_t i = 0; i < sizeof(lies) / sizeof(lies[0]); i++) {
		struct udp_spec u = udp_default;
		u.length = lies[i];
		size_t n = build_udp(f, &ip, &u, payload, PAYLOAD_BYTES);
		memset(f + n, 0, 64);
		expect_input_dropped(&r, f, n + 64, "udp_bad_length");
		/* With the checksum off, the length is still checked. */
		u.checksum = 0;
		n = build_udp(f, &ip, &u, payload, PAYLOAD_BYTES);
		expect_input_dropped(&r, f, n, "udp_bad_length");
	}
	/* Shorter than the IPv4 payload is fine: the rest is ignored (the
	 * checksum covers the UDP length only). */
	struct udp_spec u = udp_default;
	u.length = 8 + 5;
	u.checksum = -1;
	uint8_t seg[8 + 5];
	wr16(seg, 1234);
	wr16(seg + 2, 7);
	wr16(seg + 4, 13);
	wr16(seg + 6, 0);
	memcpy(seg + 8, payload, 5);
	u.checksum = ref_udp_checksum(PEER_IP, OUR_IP, seg, 13);
	size_t n = build_udp(f, &ip, &u, payload, PAYLOAD_BYTES);
	struct net_counters before = r.stack.counters;
	rig_input(&r, f, n);
	expect_counted(&before, &r.stack.counters, "udp_delivered");
	assert_int_equal(r.got[0].head.length, 5);
	assert_memory_equal(r.got[0].bytes, payload, 5);
}

static void port_zero_is_dropped(void **state)
{
	(void)state;
	uint8_t f[NET_FRAME_MAX_BYTES];
	struct ip_spec ip = ip_spec_default(17);
	struct udp_spec u = udp_default;
	u.dst_port = 0;
	expect_input_dropped(&r, f, build_udp(f, &ip, &u, payload, PAYLOAD_BYTES), "udp_bad_port");
	/* Source port 0 means "no reply expected" and is fine. */
	u = udp_default;
	u.src_port = 0;
	struct net_counters before = r.stack.counters;
	rig_input(&r, f, build_udp(f, &ip, &u, payload, PAYLOAD_BYTES));
	expect_counted(&before, &r.stack.counters, "udp_delivered");
	assert_int_equal(r.got[0].head.source_port, 0);
}

/* Nobody has the port: counted, no ICMP port unreachable goes back. */
static void no_listener_is_counted(void **state)
{
	(void)state;
	r.deliver_result = NET_E_NOT_FOUND;
	expect_input_dropped(&r, slirp_dns_answer, sizeof(slirp_dns_answer), "udp_no_listener");
	r.deliver_result = NET_E_NO_SPACE;
	expect_input_dropped(&r, slirp_dns_answer, sizeof(slirp_dns_answer), "udp_refused");
	r.deliver_result = -99;
	expect_input_dropped(&r, slirp_dns_answer, sizeof(slirp_dns_answer), "udp_refused");
}

/* Broadcasts, to everyone or to the local network, are delivered with the
 * address they were sent to. */
static void broadcasts_are_delivered(void **state)
{
	(void)state;
	static const uint32_t dsts[] = {NET_IPV4(255, 255, 255, 255), NET_IPV4(10, 0, 2, 255)};
	uint8_t f[NET_FRAME_MAX_BYTES];
	for (size_t i = 0; i < 2; i++) {
		struct ip_spec ip = ip_spec_default(17);
		ip.eth_dst = bcast_mac;
		ip.dst = dsts[i];
		struct net_counters before = r.stack.counters;
		rig_input(&r, f, build_udp(f, &ip, &udp_default, payload, PAYLOAD_BYTES));
		expect_counted(&before, &r.stack.counters, "udp_delivered");
		assert_int_equal(r.got[0].head.destination_ip, dsts[i]);
		/* Also in a frame to our MAC. */
		ip.eth_dst = our_mac;
		before = r.stack.counters;
		rig_input(&r, f, build_udp(f, &ip, &udp_default, payload, PAYLOAD_BYTES));
		expect_counted(&before, &r.stack.counters, "udp_delivered");
		rig_clear(&r);
	}
}

/* The largest datagram there can be: 1472 bytes of payload. */
static void largest_datagram_is_delivered(void **state)
{
	(void)state;
	static uint8_t big[NET_UDP_MAX_PAYLOAD];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i ^ (i >> 8));
	uint8_t f[NET_FRAME_MAX_BYTES];
	struct ip_spec ip = ip_spec_default(17);
	size_t n = build_udp(f, &ip, &udp_default, big, sizeof(big));
	assert_int_equal(n, NET_FRAME_MAX_BYTES);
	rig_input(&r, f, n);
	assert_int_equal(r.got_count, 1);
	assert_int_equal(r.got[0].head.length, NET_UDP_MAX_PAYLOAD);
	assert_memory_equal(r.got[0].bytes, big, sizeof(big));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(dns_answer_is_delivered, setup),
	    cmocka_unit_test_setup(payload_points_into_frame, setup),
	    cmocka_unit_test_setup(wrong_checksum_is_dropped, setup),
	    cmocka_unit_test_setup(zero_checksum_means_none, setup),
	    cmocka_unit_test_setup(all_ones_checksum_is_accepted, setup),
	    cmocka_unit_test_setup(lying_lengths_are_dropped, setup),
	    cmocka_unit_test_setup(port_zero_is_dropped, setup),
	    cmocka_unit_test_setup(no_listener_is_counted, setup),
	    cmocka_unit_test_setup(broadcasts_are_delivered, setup),
	    cmocka_unit_test_setup(largest_datagram_is_delivered, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
