/*
 * test_send.c: net_udp_send and the timers. Every header field and both
 * checksums of a sent datagram (checked with the test's own checksum); the
 * next hop chosen by the prefix; broadcasts; the ARP round trip, retries
 * and giving up; the wait slots filling; every error; a server answering
 * from inside deliver.
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
	rig_learn_neighbours(&r);
	return 0;
}

static int setup_cold(void **state)
{
	(void)state;
	rig_init(&r);
	return 0;
}

/* A sent UDP datagram, checked against what was asked, with independent
 * checksums. */
static void check_datagram(const struct sent_frame *s, const uint8_t *mac, uint32_t dst,
                           uint16_t sport, uint16_t dport, const uint8_t *data, size_t length)
{
	const uint8_t *f = s->bytes;
	size_t want = 14 + 20 + 8 + length;
	assert_int_equal(s->length, want < 60 ? 60 : want);
	assert_memory_equal(f, mac, 6);
	assert_memory_equal(f + 6, our_mac, 6);
	assert_int_equal(rd16(f + 12), 0x0800);
	const uint8_t *h = f + 14;
	assert_int_equal(h[0], 0x45);
	assert_int_equal(h[1], 0);
	assert_int_equal(rd16(h + 2), 20 + 8 + length);
	assert_int_equal(rd16(h + 6), 0); /* no DF, not a fragment */
	assert_int_equal(h[8], NET_TTL);
	assert_int_equal(h[9], 17);
	assert_int_equal(rd32(h + 12), OUR_IP);
	assert_int_equal(rd32(h + 16), dst);
	assert_int_equal(ref_checksum(h, 20), 0);
	const uint8_t *u = h + 20;
	assert_int_equal(rd16(u), sport);
	assert_int_equal(rd16(u + 2), dport);
	assert_int_equal(rd16(u + 4), 8 + length);
	assert_int_not_equal(rd16(u + 6), 0); /* a checksum is always sent */
	assert_int_equal(ref_udp_checksum(OUR_IP, dst, u, 8 + length), 0);
	assert_memory_equal(u + 8, data, length);
	for (size_t i = want; i < s->length; i++)
		assert_int_equal(f[i], 0);
}

static void headers_and_checksums(void **state)
{
	(void)state;
	static uint8_t data[NET_UDP_MAX_PAYLOAD];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 17 + 3);
	size_t sizes[] = {0, 1, 2, 3, 17, 18, 19, 100, 1000, 1471, NET_UDP_MAX_PAYLOAD};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		rig_clear(&r);
		uint16_t sport = (uint16_t)(40000 + i), dport = (uint16_t)(53 + i);
		assert_int_equal(net_udp_send(&r.stack, sport, PEER_IP, dport, data, sizes[i]),
		                 NET_OK);
		assert_int_equal(r.sent_count, 1);
		check_datagram(&r.sent[0], peer_mac, PEER_IP, sport, dport, data, sizes[i]);
	}
	/* The largest fills a frame exactly. */
	assert_int_equal(r.sent[0].length, NET_FRAME_MAX_BYTES);
	/* One more byte is refused. */
	assert_int_equal(net_udp_send(&r.stack, 1, PEER_IP, 2, data, NET_UDP_MAX_PAYLOAD + 1),
	                 NET_E_INVALID);
}

/* Each packet gets its own identification. */
static void ids_differ(void **state)
{
	(void)state;
	assert_int_equal(net_udp_send(&r.stack, 1, PEER_IP, 2, "a", 1), NET_OK);
	assert_int_equal(net_udp_send(&r.stack, 1, PEER_IP, 2, "a", 1), NET_OK);
	assert_int_not_equal(rd16(r.sent[0].bytes + 18), rd16(r.sent[1].bytes + 18));
}

/* A datagram whose checksum comes out 0 is sent with 0xffff, since 0 would
 * mean "none" (RFC 768). */
static void zero_checksum_is_sent_as_ones(void **state)
{
	(void)state;
	uint8_t data[8] = {1, 2, 3, 4, 5, 6, 0, 0};
	uint8_t seg[16];
	wr16(seg, 1000);
	wr16(seg + 2, 2000);
	wr16(seg + 4, 16);
	wr16(seg + 6, 0);
	memcpy(seg + 8, data, 8);
	wr16(data + 6, ref_udp_checksum(OUR_IP, PEER_IP, seg, 16));
	assert_int_equal(net_udp_send(&r.stack, 1000, PEER_IP, 2000, data, 8), NET_OK);
	assert_int_equal(rd16(r.sent[0].bytes + 34 + 6), 0xffff);
	check_datagram(&r.sent[0], peer_mac, PEER_IP, 1000, 2000, data, 8);
}

/* The next hop by the prefix: hosts of 10.0.2.0/24 directly, everything
 * else through the gateway. */
static void next_hop_by_prefix(void **state)
{
	(void)state;
	static const struct {
		uint32_t dst;
		bool local;
	} cases[] = {
	    {PEER_IP, true},
	    {GW_IP, true},
	    {NET_IPV4(10, 0, 2, 1), true},
	    {NET_IPV4(10, 0, 2, 254), true},
	    {NET_IPV4(10, 0, 3, 1), false},
	    {NET_IPV4(10, 0, 1, 254), false},
	    {NET_IPV4(10, 1, 2, 7), false},
	    {NET_IPV4(11, 0, 2, 7), false},
	    {NET_IPV4(8, 8, 8, 8), false},
	    {FAR_IP, false},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rig_clear(&r);
		assert_int_equal(net_udp_send(&r.stack, 1, cases[i].dst, 2, "x", 1), NET_OK);
		assert_int_equal(r.sent_count, 1);
		const uint8_t *f = r.sent[0].bytes;
		if (cases[i].dst == PEER_IP) {
			check_datagram(&r.sent[0], peer_mac, PEER_IP, 1, 2, (const uint8_t *)"x",
			               1);
		} else if (cases[i].local && cases[i].dst != GW_IP) {
			/* Unknown local host: ARP for it, not for the gateway. */
			assert_int_equal(rd16(f + 12), 0x0806);
			assert_int_equal(rd32(f + 14 + 24), cases[i].dst);
		} else {
			/* To the gateway's MAC, with the final address inside. */
			check_datagram(&r.sent[0], gw_mac, cases[i].dst, 1, 2, (const uint8_t *)"x",
			               1);
		}
	}
}

/* The prefix is the configured one, not a fixed /24. */
static void next_hop_by_other_prefixes(void **state)
{
	(void)state;
	struct net_settings s = r.stack.config;
	s.prefix_length = 16;
	assert_int_equal(net_configure(&r.stack, &s), NET_OK);
	rig_learn_neighbours(&r);
	assert_int_equal(net_udp_send(&r.stack, 1, NET_IPV4(10, 0, 77, 1), 2, "x", 1), NET_OK);
	assert_int_equal(rd16(r.sent[0].bytes + 12), 0x0806); /* local: ARP for it */
	assert_int_equal(rd32(r.sent[0].bytes + 14 + 24), NET_IPV4(10, 0, 77, 1));
	rig_clear(&r);
	assert_int_equal(net_udp_send(&r.stack, 1, NET_IPV4(10, 1, 0, 1), 2, "x", 1), NET_OK);
	assert_memory_equal(r.sent[0].bytes, gw_mac, 6);

	/* 10.0.2.5/30: 10.0.2.4 to 10.0.2.7, where 10.0.2.2 is no gateway. */
	s.ip = NET_IPV4(10, 0, 2, 5);
	s.prefix_length = 30;
	assert_int_equal(net_configure(&r.stack, &s), NET_E_INVALID);
	s.gateway = NET_IPV4(10, 0, 2, 6);
	assert_int_equal(net_configure(&r.stack, &s), NET_OK);
	rig_clear(&r);
	assert_int_equal(net_udp_send(&r.stack, 1, NET_IPV4(10, 0, 2, 9), 2, "x", 1), NET_OK);
	assert_int_equal(rd32(r.sent[0].bytes + 14 + 24), NET_IPV4(10, 0, 2, 6));
	/* 10.0.2.7 is this network's broadcast now. */
	assert_int_equal(net_udp_send(&r.stack, 1, PEER_IP, 2, "x", 1), NET_OK);
	assert_memory_equal(r.sent[1].bytes, bcast_mac, 6);
	assert_int_equal(rd16(r.sent[1].bytes + 12), 0x0800);
}

static void broadcasts_need_no_arp(void **state)
{
	(void)state;
	rig_init(&r); /* an empty cache */
	assert_int_equal(net_udp_send(&r.stack, 68, NET_IPV4(255, 255, 255, 255), 67, "b", 1),
	                 NET_OK);
	check_datagram(&r.sent[0], bcast_mac, 0xffffffffu, 68, 67, (const uint8_t *)"b", 1);
	assert_int_equal(net_udp_send(&r.stack, 68, NET_IPV4(10, 0, 2, 255), 67, "b", 1), NET_OK);
	check_datagram(&r.sent[1], bcast_mac, NET_IPV4(10, 0, 2, 255), 68, 67, (const uint8_t *)"b",
	               1);
	assert_int_equal(r.sent_count, 2);
}

static void errors(void **state)
{
	(void)state;
	struct net_stack *s = &r.stack;
	assert_int_equal(net_udp_send(s, 0, PEER_IP, 2, "x", 1), NET_E_INVALID);
	assert_int_equal(net_udp_send(s, 1, PEER_IP, 0, "x", 1), NET_E_INVALID);
	assert_int_equal(net_udp_send(s, 1, PEER_IP, 2, NULL, 1), NET_E_INVALID);
	assert_int_equal(net_udp_send(s, 1, PEER_IP, 2, "x", NET_UDP_MAX_PAYLOAD + 1),
	                 NET_E_INVALID);
	assert_int_equal(net_udp_send(s, 1, PEER_IP, 2, "x", (size_t)-1), NET_E_INVALID);
	static const uint32_t invalid[] = {
	    0,
	    NET_IPV4(0, 1, 2, 3),
	    NET_IPV4(127, 0, 0, 1),
	    NET_IPV4(240, 0, 0, 1),
	    NET_IPV4(255, 255, 255, 254),
	    NET_IPV4(10, 0, 2, 0),
	};
	for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++)
		assert_int_equal(net_udp_send(s, 1, invalid[i], 2, "x", 1), NET_E_INVALID);
	assert_int_equal(net_udp_send(s, 1, NET_IPV4(224, 0, 0, 251), 5353, "x", 1),
	                 NET_E_NOT_SUPPORTED);
	assert_int_equal(net_udp_send(s, 1, NET_IPV4(239, 1, 1, 1), 5353, "x", 1),
	                 NET_E_NOT_SUPPORTED);
	assert_int_equal(net_udp_send(s, 1, OUR_IP, 2, "x", 1), NET_E_NOT_SUPPORTED);
	assert_int_equal(r.sent_count, 0);
	/* A zero-length datagram needs no payload pointer. */
	assert_int_equal(net_udp_send(s, 1, PEER_IP, 2, NULL, 0), NET_OK);
	assert_int_equal(r.sent_count, 1);

	/* No gateway: only the local network is reachable. */
	struct net_settings cfg = s->config;
	cfg.gateway = 0;
	assert_int_equal(net_configure(s, &cfg), NET_OK);
	assert_int_equal(net_udp_send(s, 1, FAR_IP, 2, "x", 1), NET_E_UNREACHABLE);
	assert_int_equal(net_udp_send(s, 1, NET_IPV4(255, 255, 255, 255), 2, "x", 1), NET_OK);

	/* transmit fails: NET_E_IO, counted, nothing kept. */
	rig_learn_neighbours(&r);
	r.transmit_result = -5;
	assert_int_equal(net_udp_send(s, 1, PEER_IP, 2, "x", 1), NET_E_IO);
	assert_int_equal(s->counters.tx_errors, 1);
	r.transmit_result = 0;
	net_tick(s);
	assert_int_equal(r.sent_count, 0);
}

/* The whole round trip from a cold cache: request, reply, datagram; the
 * request and the datagram checked in full. */
static void arp_round_trip(void **state)
{
	(void)state;
	assert_int_equal(net_udp_send(&r.stack, 5555, FAR_IP, 53, "query", 5), NET_OK);
	assert_int_equal(r.sent_count, 1);
	const uint8_t *q = r.sent[0].bytes;
	assert_int_equal(r.sent[0].length, 60);
	assert_memory_equal(q, bcast_mac, 6);
	assert_memory_equal(q + 6, our_mac, 6);
	assert_int_equal(rd16(q + 12), 0x0806);
	assert_int_equal(rd16(q + 14), 1);
	assert_int_equal(rd16(q + 16), 0x0800);
	assert_int_equal(q[18], 6);
	assert_int_equal(q[19], 4);
	assert_int_equal(rd16(q + 20), 1);
	assert_memory_equal(q + 22, our_mac, 6);
	assert_int_equal(rd32(q + 28), OUR_IP);
	assert_int_equal(rd32(q + 38), GW_IP); /* the gateway: FAR_IP is off the network */
	for (size_t i = 42; i < 60; i++)
		assert_int_equal(q[i], 0);

	uint8_t f[64];
	size_t n = build_arp(f, 2, gw_mac, GW_IP, our_mac, OUR_IP);
	rig_input(&r, f, n);
	assert_int_equal(r.sent_count, 2);
	check_datagram(&r.sent[1], gw_mac, FAR_IP, 5555, 53, (const uint8_t *)"query", 5);
	/* A reply for the same address again changes nothing and sends
	 * nothing. */
	rig_input(&r, f, n);
	assert_int_equal(r.sent_count, 2);
}

/* Unanswered: resent every NET_ARP_RETRY_MS, NET_ARP_TRIES requests in
 * all, then the waiting datagrams are discarded and counted. */
static void arp_retries_then_gives_up(void **state)
{
	(void)state;
	assert_int_equal(net_udp_send(&r.stack, 1, PEER_IP, 2, "a", 1), NET_OK);
	assert_int_equal(net_udp_send(&r.stack, 1, PEER_IP, 2, "b", 1), NET_OK);
	assert_int_equal(r.sent_count, 1);
	for (unsigned i = 1; i < NET_ARP_TRIES; i++) {
		r.now_ms += NET_ARP_RETRY_MS - 1;
		net_tick(&r.stack);
		assert_int_equal(r.sent_count, i); /* not yet */
		r.now_ms += 1;
		net_tick(&r.stack);
		assert_int_equal(r.sent_count, i + 1);
		assert_memory_equal(r.sent[i].bytes, r.sent[0].bytes, 60);
	}
	r.now_ms += NET_ARP_RETRY_MS - 1;
	net_tick(&r.stack);
	assert_int_equal(r.stack.counters.tx_unresolved, 0);
	r.now_ms += 1;
	net_tick(&r.stack);
	assert_int_equal(r.sent_count, NET_ARP_TRIES);
	assert_int_equal(r.stack.counters.tx_unresolved, 2);
	/* A late reply finds nothing waiting. */
	uint8_t f[64];
	size_t n = build_arp(f, 2, peer_mac, PEER_IP, our_mac, OUR_IP);
	rig_input(&r, f, n);
	assert_int_equal(r.sent_count, NET_ARP_TRIES);
	/* The slots are free again. */
	for (int i = 0; i < NET_WAIT_SLOTS; i++)
		assert_int_equal(net_udp_send(&r.stack, 1, NET_IPV4(10, 0, 2, 50), 2, "c", 1),
		                 NET_OK);
}

/* NET_WAIT_SLOTS datagrams may wait, for any mix of hosts; the next is
 * refused and counted, and a slot frees when its host answers. */
static void wait_slots_fill(void **state)
{
	(void)state;
	size_t for_101 = 0;
	for (int i = 0; i < NET_WAIT_SLOTS; i++) {
		uint32_t ip = NET_IPV4(10, 0, 2, 100 + i % 3);
		for_101 += i % 3 == 1;
		assert_int_equal(net_udp_send(&r.stack, 1, ip, 2, "w", 1), NET_OK);
	}
	assert_int_equal(r.sent_count, 3); /* one request per host */
	assert_int_equal(net_udp_send(&r.stack, 1, NET_IPV4(10, 0, 2, 100), 2, "w", 1),
	                 NET_E_NO_SPACE);
	assert_int_equal(net_udp_send(&r.stack, 1, NET_IPV4(10, 0, 2, 120), 2, "w", 1),
	                 NET_E_NO_SPACE);
	assert_int_equal(r.stack.counters.tx_queue_full, 2);
	assert_int_equal(r.sent_count, 3);
	/* Known hosts are not held up by a full queue. */
	assert_int_equal(net_udp_send(&r.stack, 1, PEER_IP, 2, "k", 1), NET_OK);
	assert_int_equal(net_udp_send(&r.stack, 1, FAR_IP, 2, "k", 1), NET_OK);
	assert_int_equal(r.sent_count, 5);
	/* 10.0.2.101 answers: its datagrams leave, room is made. */
	uint8_t f[64];
	static const uint8_t mac101[6] = {0x02, 0, 0, 0, 0, 101};
	size_t n = build_arp(f, 2, mac101, NET_IPV4(10, 0, 2, 101), our_mac, OUR_IP);
	rig_input(&r, f, n);
	size_t expect = 5 + for_101;
	assert_int_equal(r.sent_count, expect);
	for (size_t i = 5; i < expect; i++)
		assert_memory_equal(r.sent[i].bytes, mac101, 6);
	assert_int_equal(net_udp_send(&r.stack, 1, NET_IPV4(10, 0, 2, 100), 2, "w", 1), NET_OK);
}

/* Reconfiguring discards what waits (its source address may be stale) and
 * forgets every neighbour. */
static void configure_discards_waiting(void **state)
{
	(void)state;
	assert_int_equal(net_udp_send(&r.stack, 1, NET_IPV4(10, 0, 2, 100), 2, "w", 1), NET_OK);
	struct net_settings s = r.stack.config;
	s.ip = NET_IPV4(10, 0, 2, 16);
	assert_int_equal(net_configure(&r.stack, &s), NET_OK);
	assert_int_equal(r.stack.counters.tx_unresolved, 1);
	rig_clear(&r);
	assert_int_equal(net_udp_send(&r.stack, 1, PEER_IP, 2, "x", 1), NET_OK);
	assert_int_equal(rd16(r.sent[0].bytes + 12), 0x0806);
	assert_int_equal(rd32(r.sent[0].bytes + 14 + 14), NET_IPV4(10, 0, 2, 16));
}

/* A server on top answers from inside deliver: the reply goes out at once
 * to a known host, or waits for ARP for an unknown one. */
static void echo_from_deliver(void **state)
{
	(void)state;
	r.echo = true;
	uint8_t f[NET_FRAME_MAX_BYTES];
	struct ip_spec ip = ip_spec_default(17);
	struct udp_spec u = {.src_port = 3333, .dst_port = 7, .length = -1, .checksum = -1};
	rig_input(&r, f, build_udp(f, &ip, &u, "ping!", 5));
	assert_int_equal(r.echo_result, NET_OK);
	assert_int_equal(r.sent_count, 1);
	check_datagram(&r.sent[0], peer_mac, PEER_IP, 7, 3333, (const uint8_t *)"ping!", 5);

	rig_clear(&r);
	static const uint8_t stranger_mac[6] = {0x02, 0, 0, 0, 0, 0x42};
	ip.src = NET_IPV4(10, 0, 2, 42);
	ip.eth_src = stranger_mac;
	rig_input(&r, f, build_udp(f, &ip, &u, "hello", 5));
	assert_int_equal(r.echo_result, NET_OK);
	assert_int_equal(r.sent_count, 1);
	assert_int_equal(rd16(r.sent[0].bytes + 12), 0x0806);
	size_t n = build_arp(f, 2, stranger_mac, NET_IPV4(10, 0, 2, 42), our_mac, OUR_IP);
	rig_input(&r, f, n);
	assert_int_equal(r.sent_count, 2);
	check_datagram(&r.sent[1], stranger_mac, NET_IPV4(10, 0, 2, 42), 7, 3333,
	               (const uint8_t *)"hello", 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(headers_and_checksums, setup),
	    cmocka_unit_test_setup(ids_differ, setup),
	    cmocka_unit_test_setup(zero_checksum_is_sent_as_ones, setup),
	    cmocka_unit_test_setup(next_hop_by_prefix, setup),
	    cmocka_unit_test_setup(next_hop_by_other_prefixes, setup),
	    cmocka_unit_test_setup(broadcasts_need_no_arp, setup),
	    cmocka_unit_test_setup(errors, setup),
	    cmocka_unit_test_setup(arp_round_trip, setup_cold),
	    cmocka_unit_test_setup(arp_retries_then_gives_up, setup_cold),
	    cmocka_unit_test_setup(wait_slots_fill, setup),
	    cmocka_unit_test_setup(configure_discards_waiting, setup),
	    cmocka_unit_test_setup(echo_from_deliver, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
