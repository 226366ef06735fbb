/*
 * test_ipv4.c: Ethernet and IPv4 input: every frame that lies about a
 * length, breaks a rule or is for someone else is dropped for its reason
 * and reaches no socket; options are skipped; padding after the packet is
 * ignored. Each case starts from a UDP datagram that is delivered when
 * left alone, so a drop is the patch's doing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"

static struct rig r;
static const uint8_t payload[] = "datagram payload";
#define PAYLOAD_BYTES (sizeof(payload) - 1)

static int setup(void **state)
{
	(void)state;
	rig_init(&r);
	return 0;
}

static const struct udp_spec udp_default = {
    .src_port = 1234, .dst_port = 7, .length = -1, .checksum = -1};

static size_t udp_frame(uint8_t *f, const struct ip_spec *ip)
{
	return build_udp(f, ip, &udp_default, payload, PAYLOAD_BYTES);
}

static void expect_delivered(const uint8_t *f, size_t n)
{
	struct net_counters before = r.stack.counters;
	size_t got = r.got_count;
	rig_input(&r, f, n);
	expect_counted(&before, &r.stack.counters, "udp_delivered");
	assert_int_equal(r.got_count, got + 1);
	const struct net_udp_datagram *d = &r.got[got].head;
	assert_int_equal(d->length, PAYLOAD_BYTES);
	assert_memory_equal(d->payload, payload, PAYLOAD_BYTES);
}

static void the_baseline_is_delivered(void **state)
{
	(void)state;
	struct ip_spec ip = ip_spec_default(17);
	uint8_t f[NET_FRAME_MAX_BYTES];
	expect_delivered(f, udp_frame(f, &ip));
	assert_int_equal(r.got[0].head.source_ip, PEER_IP);
	assert_int_equal(r.got[0].head.destination_ip, OUR_IP);
	assert_int_equal(r.got[0].head.source_port, 1234);
	assert_int_equal(r.got[0].head.destination_port, 7);
	assert_int_equal(r.sent_count, 0);
}

static void ethernet_drops(void **state)
{
	(void)state;
	struct ip_spec ip = ip_spec_default(17);
	uint8_t f[NET_FRAME_MAX_BYTES + 8];
	size_t n = udp_frame(f, &ip);
	uint8_t g[NET_FRAME_MAX_BYTES + 8];

	expect_input_dropped(&r, f, 0, "eth_short");
	expect_input_dropped(&r, f, 13, "eth_short");
	/* An IPv4 packet with 6 bytes of padding after it, too long a frame. */
	memcpy(g, f, n);
	memset(g + n, 0, sizeof(g) - n);
	expect_input_dropped(&r, g, NET_FRAME_MAX_BYTES + 1, "eth_oversize");

	static const uint8_t bad_sources[][6] = {
	    {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}, /* multicast */
	    {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, /* broadcast */
	    {0, 0, 0, 0, 0, 0},                   /* zero */
	    {0x52, 0x54, 0x00, 0x12, 0x34, 0x56}, /* ours */
	};
	for (size_t i = 0; i < 4; i++) {
		memcpy(g, f, n);
		memcpy(g + 6, bad_sources[i], 6);
		expect_input_dropped(&r, g, n, "eth_bad_source");
	}
	static const uint8_t other_dsts[][6] = {
	    {0x52, 0x54, 0x00, 0x12, 0x34, 0x57}, /* another station */
	    {0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb}, /* a multicast group */
	    {0x33, 0x33, 0x00, 0x00, 0x00, 0x01}, /* IPv6's all-nodes */
	};
	for (size_t i = 0; i < 3; i++) {
		memcpy(g, f, n);
		memcpy(g, other_dsts[i], 6);
		expect_input_dropped(&r, g, n, "eth_not_for_us");
	}
	static const uint16_t types[] = {0x86dd, 0x8100, 0x8035, 0x0000, 0x05dc, 0xffff};
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		memcpy(g, f, n);
		wr16(g + 12, types[i]);
		expect_input_dropped(&r, g, n, "eth_unknown_type");
	}
}

static void short_and_wrong_version(void **state)
{
	(void)state;
	struct ip_spec ip = ip_spec_default(17);
	uint8_t f[NET_FRAME_MAX_BYTES];
	size_t n = udp_frame(f, &ip);
	expect_input_dropped(&r, f, 14, "ip_short");
	expect_input_dropped(&r, f, 14 + 19, "ip_short");
	for (uint8_t v = 0; v < 16; v++) {
		if (v == 4)
			continue;
		ip.version = v;
		n = udp_frame(f, &ip);
		expect_input_dropped(&r, f, n, "ip_bad_version");
	}
}

static void header_length_lies(void **state)
{
	(void)state;
	struct ip_spec ip = ip_spec_default(17);
	uint8_t f[NET_FRAME_MAX_BYTES];
	/* IHL 0 to 4: below the fixed header (checksum right over IHL's
	 * bytes, wrong over 20; either way it must not count). */
	for (uint8_t ihl = 0; ihl < 5; ihl++) {
		ip.ihl = ihl;
		size_t n = udp_frame(f, &ip);
		expect_input_dropped(&r, f, n, "ip_bad_header_length");
	}
	/* IHL 15 (60 bytes) in a packet of 40. */
	ip = ip_spec_default(17);
	(void)udp_frame(f, &ip);
	f[14] = 0x4f;
	expect_input_dropped(&r, f, 14 + 40, "ip_bad_header_length");
}

static void bad_header_checksum(void **state)
{
	(void)state;
	struct ip_spec ip = ip_spec_default(17);
	uint8_t f[NET_FRAME_MAX_BYTES];
	size_t n = udp_frame(f, &ip);
	uint16_t right = rd16(f + 24);
	ip.checksum = right ^ 0x0100;
	n = udp_frame(f, &ip);
	expect_input_dropped(&r, f, n, "ip_bad_checksum");
	ip.checksum = 0;
	n = udp_frame(f, &ip);
	expect_input_dropped(&r, f, n, "ip_bad_checksum");
	/* A flipped bit anywhere in the header is caught. */
	ip.checksum = -1;
	n = udp_frame(f, &ip);
	for (size_t bit = 0; bit < 20 * 8; bit++) {
		uint8_t g[NET_FRAME_MAX_BYTES];
		memcpy(g, f, n);
		g[14 + bit / 8] ^= (uint8_t)(1u << (bit % 8));
		struct net_counters before = r.stack.counters;
		rig_input(&r, g, n);
		/* Bits of the version or IHL fail earlier, for their own reason. */
		if (bit < 8 && r.stack.counters.drop.ip_bad_checksum == before.drop.ip_bad_checksum)
			continue;
		expect_counted(&before, &r.stack.counters, "ip_bad_checksum");
	}
	assert_int_equal(r.got_count, 0);
}

static void total_length_lies(void **state)
{
	(void)state;
	struct ip_spec ip = ip_spec_default(17);
	uint8_t f[NET_FRAME_MAX_BYTES];
	size_t n = udp_frame(f, &ip);
	size_t packet = n - 14;
	/* Longer than the frame: by one, and by the most the field says. */
	ip.total_length = (int)packet + 1;
	expect_input_dropped(&r, f, udp_frame(f, &ip), "ip_bad_length");
	ip.total_length = 0xffff;
	expect_input_dropped(&r, f, udp_frame(f, &ip), "ip_bad_length");
	/* Shorter than the header. */
	for (int t = 0; t < 20; t++) {
		ip.total_length = t;
		expect_input_dropped(&r, f, udp_frame(f, &ip), "ip_bad_length");
	}
	/* Shorter than the header with options. */
	static const uint8_t nops[4] = {1, 1, 1, 0};
	ip.ihl = 6;
	ip.options = nops;
	ip.total_length = 22;
	expect_input_dropped(&r, f, udp_frame(f, &ip), "ip_bad_length");
	/* Exactly the header: the packet is fine, the UDP inside is short. */
	ip = ip_spec_default(17);
	ip.total_length = 20;
	expect_input_dropped(&r, f, udp_frame(f, &ip), "udp_short");
}

/* Bytes after the total length are padding (Ethernet's minimum, or a
 * sloppy sender): ignored, not delivered. */
static void padding_after_packet_is_ignored(void **state)
{
	(void)state;
	struct ip_spec ip = ip_spec_default(17);
	uint8_t f[NET_FRAME_MAX_BYTES];
	size_t n = build_udp(f, &ip, &udp_default, "hi", 2);
	assert_int_equal(n, 14 + 20 + 8 + 2);
	memset(f + n, 0xee, 60 - n);
	struct net_counters before = r.stack.counters;
	rig_input(&r, f, 60);
	expect_counted(&before, &r.stack.counters, "udp_delivered");
	assert_int_equal(r.got[0].head.length, 2);
	assert_memory_equal(r.got[0].bytes, "hi", 2);
}

/* Options are skipped unread: the payload starts after them. */
static void options_are_skipped(void **state)
{
	(void)state;
	uint8_t f[NET_FRAME_MAX_BYTES];
	/* Record route with room for two addresses, then the end of options. */
	static const uint8_t record_route[12] = {7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0};
	struct ip_spec ip = ip_spec_default(17);
	ip.ihl = 8;
	ip.options = record_route;
	expect_delivered(f, udp_frame(f, &ip));
	/* The most options there can be: 40 bytes of NOPs. */
	static uint8_t nops[40];
	memset(nops, 1, sizeof(nops));
	ip.ihl = 15;
	ip.options = nops;
	expect_delivered(f, udp_frame(f, &ip));
}

static void fragments_are_dropped(void **state)
{
	(void)state;
	struct ip_spec ip = ip_spec_default(17);
	uint8_t f[NET_FRAME_MAX_BYTES];
	/* MF: the first fragment, with and without DF. */
	ip.fragment = 0x2000;
	expect_input_dropped(&r, f, udp_frame(f, &ip), "ip_fragment");
	ip.fragment = 0x6000;
	expect_input_dropped(&r, f, udp_frame(f, &ip), "ip_fragment");
	/* An offset: the last fragment, and the smallest offset. */
	ip.fragment = 0x00b9;
	expect_input_dropped(&r, f, udp_frame(f, &ip), "ip_fragment");
	ip.fragment = 0x0001;
	expect_input_dropped(&r, f, udp_frame(f, &ip), "ip_fragment");
	ip.fragment = 0x1fff;
	expect_input_dropped(&r, f, udp_frame(f, &ip), "ip_fragment");
	assert_int_equal(r.stack.counters.drop.ip_fragment, 5);
	/* DF alone, or none, or the reserved bit: whole packets. */
	ip.fragment = 0x4000;
	expect_delivered(f, udp_frame(f, &ip));
	ip.fragment = 0;
	expect_delivered(f, udp_frame(f, &ip));
	ip.fragment = 0x8000;
	expect_delivered(f, udp_frame(f, &ip));
}

static void ttl_zero_is_dropped(void **state)
{
	(void)state;
	struct ip_spec ip = ip_spec_default(17);
	uint8_t f[NET_FRAME_MAX_BYTES];
	ip.ttl = 0;
	expect_input_dropped(&r, f, udp_frame(f, &ip), "ip_ttl_zero");
	ip.ttl = 1;
	expect_delivered(f, udp_frame(f, &ip));
}

static void bad_sources_are_dropped(void **state)
{
	(void)state;
	static const uint32_t sources[] = {
	    0,
	    NET_IPV4(0, 1, 2, 3),
	    NET_IPV4(127, 0, 0, 1),
	    NET_IPV4(224, 0, 0, 1),
	    NET_IPV4(239, 255, 255, 250),
	    NET_IPV4(240, 0, 0, 1),
	    NET_IPV4(255, 255, 255, 255),
	    NET_IPV4(10, 0, 2, 255), /* our network's broadcast */
	    NET_IPV4(10, 0, 2, 0),   /* our network's own address */
	    OUR_IP,
	};
	uint8_t f[NET_FRAME_MAX_BYTES];
	for (size_t i = 0; i < sizeof(sources) / sizeof(sources[0]); i++) {
		struct ip_spec ip = ip_spec_default(17);
		ip.src = sources[i];
		expect_input_dropped(&r, f, udp_frame(f, &ip), "ip_bad_source");
	}
	/* Off the network is fine: through the gateway. */
	struct ip_spec ip = ip_spec_default(17);
	ip.src = FAR_IP;
	ip.eth_src = gw_mac;
	expect_delivered(f, udp_frame(f, &ip));
}

static void other_destinations_are_dropped(void **state)
{
	(void)state;
	static const uint32_t dsts[] = {
	    NET_IPV4(10, 0, 2, 16), NET_IPV4(10, 0, 2, 0),   PEER_IP, FAR_IP,
	    NET_IPV4(224, 0, 0, 1), NET_IPV4(10, 0, 3, 255), 0,       NET_IPV4(127, 0, 0, 1),
	};
	uint8_t f[NET_FRAME_MAX_BYTES];
	for (size_t i = 0; i < sizeof(dsts) / sizeof(dsts[0]); i++) {
		struct ip_spec ip = ip_spec_default(17);
		ip.dst = dsts[i];
		expect_input_dropped(&r, f, udp_frame(f, &ip), "ip_not_for_us");
	}
}

/* Unicast to us in an Ethernet broadcast: RFC 1122 3.3.6 says discard. */
static void unicast_in_link_broadcast_is_dropped(void **state)
{
	(void)state;
	struct ip_spec ip = ip_spec_default(17);
	ip.eth_dst = bcast_mac;
	uint8_t f[NET_FRAME_MAX_BYTES];
	expect_input_dropped(&r, f, udp_frame(f, &ip), "ip_link_broadcast");
}

static void unknown_protocols_are_dropped(void **state)
{
	(void)state;
	static const uint8_t protocols[] = {0, 2, 6, 41, 58, 132, 255};
	uint8_t f[NET_FRAME_MAX_BYTES];
	for (size_t i = 0; i < sizeof(protocols); i++) {
		struct ip_spec ip = ip_spec_default(protocols[i]);
		expect_input_dropped(&r, f, build_ip(f, &ip, payload, PAYLOAD_BYTES),
		                     "ip_unknown_protocol");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(the_baseline_is_delivered, setup),
	    cmocka_unit_test_setup(ethernet_drops, setup),
	    cmocka_unit_test_setup(short_and_wrong_version, setup),
	    cmocka_unit_test_setup(header_length_lies, setup),
	    cmocka_unit_test_setup(bad_header_checksum, setup),
	    cmocka_unit_test_setup(total_length_lies, setup),
	    cmocka_unit_test_setup(padding_after_packet_is_ignored, setup),
	    cmocka_unit_test_setup(options_are_skipped, setup),
	    cmocka_unit_test_setup(fragments_are_dropped, setup),
	    cmocka_unit_test_setup(ttl_zero_is_dropped, setup),
	    cmocka_unit_test_setup(bad_sources_are_dropped, setup),
	    cmocka_unit_test_setup(other_destinations_are_dropped, setup),
	    cmocka_unit_test_setup(unicast_in_link_broadcast_is_dropped, setup),
	    cmocka_unit_test_setup(unknown_protocols_are_dropped, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
