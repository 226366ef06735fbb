/*
 * test_arp.c: ARP. Requests for our address are answered (the reply checked
 * byte by byte against one written out by hand), requests for others are
 * ignored, replies complete the sends that waited for them, what is
 * learnt and from whom, the cache's replacement and expiry, and every
 * malformed or suspicious packet dropped for its reason.
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

/* slirp (QEMU's user-mode network) asking who has 10.0.2.15, as a NIC
 * hands it over: padded to 60 bytes, no FCS. */
static const uint8_t slirp_who_has[60] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02, /* dst, src */
    0x08, 0x06,                                                             /* ARP */
    0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,                         /* request */
    0x52, 0x55, 0x0a, 0x00, 0x02, 0x02, 0x0a, 0x00, 0x02, 0x02,             /* 10.0.2.2 */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x02, 0x0f,             /* 10.0.2.15? */
};

/* Our answer, written out by hand from RFC 826. */
static const uint8_t our_is_at[60] = {
    0x52, 0x55, 0x0a, 0x00, 0x02, 0x02, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56, /* to slirp */
    0x08, 0x06,                                                             /* ARP */
    0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02,                         /* reply */
    0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x0a, 0x00, 0x02, 0x0f,             /* we are */
    0x52, 0x55, 0x0a, 0x00, 0x02, 0x02, 0x0a, 0x00, 0x02, 0x02,             /* to you */
};

/* The request the stack must send for 10.0.2.7. */
static const uint8_t who_has_peer[60] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56, /* broadcast */
    0x08, 0x06,                                                             /* ARP */
    0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,                         /* request */
    0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x0a, 0x00, 0x02, 0x0f,             /* from us */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x02, 0x07,             /* 10.0.2.7? */
};

static const uint8_t hello[] = "hello";

/* Sends a datagram to ip and says which MAC it went to: the datagram's, or
 * all ones when an ARP request went out instead (the datagram waits). */
static void send_and_see(uint32_t ip, uint8_t *mac)
{
	size_t before = r.sent_count;
	assert_int_equal(net_udp_send(&r.stack, 4000, ip, 5000, hello, 5), NET_OK);
	assert_int_equal(r.sent_count, before + 1);
	const uint8_t *f = r.sent[before].bytes;
	if (rd16(f + 12) == 0x0806) {
		memset(mac, 0xff, 6);
		return;
	}
	assert_int_equal(rd16(f + 12), 0x0800);
	memcpy(mac, f, 6);
}

static void request_for_us_is_answered(void **state)
{
	(void)state;
	struct net_counters before = r.stack.counters;
	rig_input(&r, slirp_who_has, sizeof(slirp_who_has));
	expect_counted(&before, &r.stack.counters, "arp_requests");
	assert_int_equal(r.sent_count, 1);
	assert_int_equal(r.sent[0].length, 60);
	assert_memory_equal(r.sent[0].bytes, our_is_at, 60);
	assert_int_equal(r.stack.counters.tx_frames, 1);
	assert_int_equal(r.stack.counters.tx_bytes, 60);
	/* The requester was learnt: traffic through the gateway goes at once. */
	uint8_t mac[6];
	send_and_see(FAR_IP, mac);
	assert_memory_equal(mac, gw_mac, 6);
}

/* A request sent to our MAC (as Linux does to confirm an entry) is as good
 * as a broadcast one. */
static void unicast_request_is_answered(void **state)
{
	(void)state;
	uint8_t f[64];
	memcpy(f, slirp_who_has, sizeof(slirp_who_has));
	memcpy(f, our_mac, 6);
	struct net_counters before = r.stack.counters;
	rig_input(&r, f, 42); /* unpadded this time */
	expect_counted(&before, &r.stack.counters, "arp_requests");
	assert_int_equal(r.sent_count, 1);
	assert_memory_equal(r.sent[0].bytes, our_is_at, 60);
}

static void request_for_someone_else_is_ignored(void **state)
{
	(void)state;
	uint8_t f[64];
	size_t n = build_arp(f, 1, peer_mac, PEER_IP, bcast_mac, NET_IPV4(10, 0, 2, 99));
	expect_input_dropped(&r, f, n, "arp_not_for_us");
	/* Nothing was learnt from it: sending to the asker needs ARP. */
	uint8_t mac[6];
	send_and_see(PEER_IP, mac);
	assert_memory_equal(mac, bcast_mac, 6);
	assert_memory_equal(r.sent[0].bytes, who_has_peer, 60);
}

static void reply_completes_pending_sends(void **state)
{
	(void)state;
	static const uint8_t second[] = "second";
	assert_int_equal(net_udp_send(&r.stack, 4000, PEER_IP, 5000, hello, 5), NET_OK);
	/* Only the request went out, and exactly as RFC 826 says. */
	assert_int_equal(r.sent_count, 1);
	assert_int_equal(r.sent[0].length, 60);
	assert_memory_equal(r.sent[0].bytes, who_has_peer, 60);
	/* A second datagram waits too, without a second request. */
	assert_int_equal(net_udp_send(&r.stack, 4000, PEER_IP, 5001, second, 6), NET_OK);
	assert_int_equal(r.sent_count, 1);

	uint8_t f[64];
	size_t n = build_arp(f, 2, peer_mac, PEER_IP, our_mac, OUR_IP);
	struct net_counters before = r.stack.counters;
	rig_input(&r, f, n);
	expect_counted(&before, &r.stack.counters, "arp_replies");
	/* Both left, in order, to the MAC the reply gave. */
	assert_int_equal(r.sent_count, 3);
	for (int i = 1; i <= 2; i++) {
		const uint8_t *d = r.sent[i].bytes;
		assert_memory_equal(d, peer_mac, 6);
		assert_memory_equal(d + 6, our_mac, 6);
		assert_int_equal(rd16(d + 12), 0x0800);
		assert_int_equal(rd32(d + 14 + 16), PEER_IP);
		assert_int_equal(rd16(d + 34 + 2), 5000 + i - 1);
	}
	assert_memory_equal(r.sent[1].bytes + 42, hello, 5);
	assert_memory_equal(r.sent[2].bytes + 42, second, 6);
	assert_int_equal(r.stack.counters.tx_unresolved, 0);
	/* The next one goes straight away. */
	uint8_t mac[6];
	send_and_see(PEER_IP, mac);
	assert_memory_equal(mac, peer_mac, 6);
	/* And the timers find nothing left to ask. */
	r.now_ms += 10 * NET_ARP_RETRY_MS;
	rig_clear(&r);
	net_tick(&r.stack);
	assert_int_equal(r.sent_count, 0);
}

/* A request from the host we are asking about answers us as well as a
 * reply would. */
static void request_from_pending_host_completes_sends(void **state)
{
	(void)state;
	assert_int_equal(net_udp_send(&r.stack, 4000, PEER_IP, 5000, hello, 5), NET_OK);
	uint8_t f[64];
	size_t n = build_arp(f, 1, peer_mac, PEER_IP, bcast_mac, OUR_IP);
	struct net_counters before = r.stack.counters;
	rig_input(&r, f, n);
	expect_counted(&before, &r.stack.counters, "arp_requests");
	assert_int_equal(r.sent_count, 3); /* our request, our reply, the datagram */
	assert_int_equal(rd16(r.sent[1].bytes + 20), 2);
	assert_memory_equal(r.sent[2].bytes, peer_mac, 6);
	assert_int_equal(rd16(r.sent[2].bytes + 12), 0x0800);
}

static void unsolicited_reply_to_us_is_learnt(void **state)
{
	(void)state;
	uint8_t f[64];
	size_t n = build_arp(f, 2, peer_mac, PEER_IP, our_mac, OUR_IP);
	struct net_counters before = r.stack.counters;
	rig_input(&r, f, n);
	expect_counted(&before, &r.stack.counters, "arp_replies");
	assert_int_equal(r.sent_count, 0);
	uint8_t mac[6];
	send_and_see(PEER_IP, mac);
	assert_memory_equal(mac, peer_mac, 6);
}

/* RFC 826's merge: a packet from a host we hold refreshes its entry, even
 * when it is for someone else (here a gratuitous ARP announcing a new MAC). */
static void known_sender_is_refreshed(void **state)
{
	(void)state;
	rig_learn_neighbours(&r);
	static const uint8_t new_mac[6] = {0x02, 0, 0, 0, 0, 0x77};
	uint8_t f[64];
	size_t n = build_arp(f, 1, new_mac, PEER_IP, bcast_mac, PEER_IP);
	expect_input_dropped(&r, f, n, "arp_not_for_us");
	uint8_t mac[6];
	send_and_see(PEER_IP, mac);
	assert_memory_equal(mac, new_mac, 6);
	/* The gateway's entry is untouched. */
	send_and_see(FAR_IP, mac);
	assert_memory_equal(mac, gw_mac, 6);
}

/* An address probe (RFC 5227: sender 0.0.0.0) for our address is answered
 * so the prober sees the address is taken; it teaches nothing. */
static void probe_is_answered(void **state)
{
	(void)state;
	uint8_t f[64];
	static const uint8_t zero[6] = {0};
	size_t n = build_arp(f, 1, peer_mac, 0, zero, OUR_IP);
	struct net_counters before = r.stack.counters;
	rig_input(&r, f, n);
	expect_counted(&before, &r.stack.counters, "arp_requests");
	assert_int_equal(r.sent_count, 1);
	const uint8_t *a = r.sent[0].bytes + 14;
	assert_memory_equal(r.sent[0].bytes, peer_mac, 6);
	assert_int_equal(rd16(a + 6), 2);
	assert_memory_equal(a + 8, our_mac, 6);
	assert_int_equal(rd32(a + 14), OUR_IP);
	assert_memory_equal(a + 18, peer_mac, 6);
	assert_int_equal(rd32(a + 24), 0);
	/* A probe for someone else is not for us. */
	n = build_arp(f, 1, peer_mac, 0, zero, PEER_IP);
	expect_input_dropped(&r, f, n, "arp_not_for_us");
}

/* A request from off the network is answered (the host may be
 * misconfigured, and answering costs nothing) but not learnt: it is never
 * a next hop. A reply from off the network answers nothing we asked. */
static void off_network_senders(void **state)
{
	(void)state;
	uint8_t f[64];
	size_t n = build_arp(f, 1, peer_mac, NET_IPV4(10, 0, 3, 7), bcast_mac, OUR_IP);
	struct net_counters before = r.stack.counters;
	rig_input(&r, f, n);
	expect_counted(&before, &r.stack.counters, "arp_requests");
	assert_int_equal(r.sent_count, 1);
	for (size_t i = 0; i < NET_ARP_ENTRIES; i++)
		assert_int_equal(r.stack.arp[i].state, 0);
	rig_clear(&r);
	n = build_arp(f, 2, peer_mac, NET_IPV4(10, 0, 3, 7), our_mac, OUR_IP);
	expect_input_dropped(&r, f, n, "arp_bad_sender");
}

static void malformed_packets_are_dropped(void **state)
{
	(void)state;
	uint8_t f[64];
	size_t n = build_arp(f, 1, peer_mac, PEER_IP, bcast_mac, OUR_IP);
	uint8_t g[64];

	/* 27 bytes of ARP: one short. */
	expect_input_dropped(&r, f, n - 1, "arp_short");
	expect_input_dropped(&r, f, 14, "arp_short");

	struct {
		size_t offset;
		uint8_t value;
	} patches[] = {
	    {14 + 1, 6},    /* hardware type 6 (IEEE 802) */
	    {14 + 2, 0x86}, /* protocol type 0x86dd (IPv6) */
	    {14 + 4, 8},    /* hardware length 8 */
	    {14 + 5, 16},   /* protocol length 16 */
	    {14 + 7, 3},    /* op 3 (RARP request) */
	    {14 + 7, 0},    /* op 0 */
	    {14 + 6, 1},    /* op 0x0101 */
	};
	for (size_t i = 0; i < sizeof(patches) / sizeof(patches[0]); i++) {
		memcpy(g, f, n);
		g[patches[i].offset] = patches[i].value;
		expect_input_dropped(&r, g, n, "arp_unsupported");
	}
}

static void suspicious_senders_are_dropped(void **state)
{
	(void)state;
	uint8_t f[64];
	static const uint8_t multicast[6] = {0x01, 0x00, 0x5e, 0, 0, 1};
	static const uint8_t zero[6] = {0};
	/* The Ethernet source is fine; the ARP sender's MAC is not. */
	size_t n = build_arp(f, 1, multicast, PEER_IP, bcast_mac, OUR_IP);
	memcpy(f + 6, peer_mac, 6);
	expect_input_dropped(&r, f, n, "arp_bad_sender");
	n = build_arp(f, 1, bcast_mac, PEER_IP, bcast_mac, OUR_IP);
	memcpy(f + 6, peer_mac, 6);
	expect_input_dropped(&r, f, n, "arp_bad_sender");
	n = build_arp(f, 1, zero, PEER_IP, bcast_mac, OUR_IP);
	memcpy(f + 6, peer_mac, 6);
	expect_input_dropped(&r, f, n, "arp_bad_sender");
	/* Our own MAC, or our own address: a loop or a conflict. */
	n = build_arp(f, 1, our_mac, PEER_IP, bcast_mac, OUR_IP);
	memcpy(f + 6, peer_mac, 6);
	expect_input_dropped(&r, f, n, "arp_bad_sender");
	n = build_arp(f, 2, peer_mac, OUR_IP, our_mac, OUR_IP);
	expect_input_dropped(&r, f, n, "arp_bad_sender");
	n = build_arp(f, 1, peer_mac, OUR_IP, bcast_mac, OUR_IP);
	expect_input_dropped(&r, f, n, "arp_bad_sender");
	/* Addresses no host has. */
	static const uint32_t bad_ips[] = {
	    NET_IPV4(10, 0, 2, 255), NET_IPV4(10, 0, 2, 0),    NET_IPV4(255, 255, 255, 255),
	    NET_IPV4(127, 0, 0, 1),  NET_IPV4(224, 0, 0, 251), NET_IPV4(0, 0, 0, 1),
	};
	for (size_t i = 0; i < sizeof(bad_ips) / sizeof(bad_ips[0]); i++) {
		n = build_arp(f, 1, peer_mac, bad_ips[i], bcast_mac, OUR_IP);
		expect_input_dropped(&r, f, n, "arp_bad_sender");
		n = build_arp(f, 2, peer_mac, bad_ips[i], our_mac, OUR_IP);
		expect_input_dropped(&r, f, n, "arp_bad_sender");
	}
	/* A reply from 0.0.0.0 is no probe. */
	n = build_arp(f, 2, peer_mac, 0, our_mac, OUR_IP);
	expect_input_dropped(&r, f, n, "arp_bad_sender");
}

/* The cache holds NET_ARP_ENTRIES hosts; a new one replaces the one
 * confirmed longest ago, never one that datagrams are waiting for. */
static void cache_replaces_oldest_but_never_pending(void **state)
{
	(void)state;
	assert_int_equal(net_udp_send(&r.stack, 4000, PEER_IP, 5000, hello, 5), NET_OK);
	uint8_t f[64];
	uint8_t mac[6] = {0x02, 0, 0, 0, 0, 0};
	for (uint32_t i = 0; i < 3 * NET_ARP_ENTRIES; i++) {
		r.now_ms += 10;
		mac[5] = (uint8_t)(100 + i);
		size_t n = build_arp(f, 1, mac, NET_IPV4(10, 0, 2, 100 + i), bcast_mac, OUR_IP);
		rig_input(&r, f, n);
	}
	/* The last NET_ARP_ENTRIES - 1 learnt are held, with the pending one. */
	rig_clear(&r);
	uint8_t got[6];
	uint32_t last = 3 * NET_ARP_ENTRIES - 1;
	for (uint32_t i = last - (NET_ARP_ENTRIES - 2); i <= last; i++) {
		send_and_see(NET_IPV4(10, 0, 2, 100 + i), got);
		assert_int_equal(got[5], 100 + i);
	}
	/* The reply still finds the datagram waiting. */
	rig_clear(&r);
	size_t n = build_arp(f, 2, peer_mac, PEER_IP, our_mac, OUR_IP);
	rig_input(&r, f, n);
	assert_int_equal(r.sent_count, 1);
	assert_memory_equal(r.sent[0].bytes, peer_mac, 6);
	assert_memory_equal(r.sent[0].bytes + 42, hello, 5);
	/* The oldest learnt were replaced: sending to one asks again. */
	rig_clear(&r);
	send_and_see(NET_IPV4(10, 0, 2, 100), got);
	assert_memory_equal(got, bcast_mac, 6);
}

/* An answer is believed for NET_ARP_LIFETIME_MS, then asked again. */
static void entries_expire(void **state)
{
	(void)state;
	rig_learn_neighbours(&r);
	uint64_t learnt = r.now_ms;
	uint8_t mac[6];
	r.now_ms = learnt + NET_ARP_LIFETIME_MS - 1;
	net_tick(&r.stack);
	send_and_see(PEER_IP, mac);
	assert_memory_equal(mac, peer_mac, 6);
	r.now_ms = learnt + NET_ARP_LIFETIME_MS;
	send_and_see(PEER_IP, mac);
	assert_memory_equal(mac, bcast_mac, 6);
	/* net_tick forgets the gateway too, so it is asked for again. */
	net_tick(&r.stack);
	send_and_see(FAR_IP, mac);
	assert_memory_equal(mac, bcast_mac, 6);
	assert_int_equal(rd32(r.sent[r.sent_count - 1].bytes + 14 + 24), GW_IP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(request_for_us_is_answered, setup),
	    cmocka_unit_test_setup(unicast_request_is_answered, setup),
	    cmocka_unit_test_setup(request_for_someone_else_is_ignored, setup),
	    cmocka_unit_test_setup(reply_completes_pending_sends, setup),
	    cmocka_unit_test_setup(request_from_pending_host_completes_sends, setup),
	    cmocka_unit_test_setup(unsolicited_reply_to_us_is_learnt, setup),
	    cmocka_unit_test_setup(known_sender_is_refreshed, setup),
	    cmocka_unit_test_setup(probe_is_answered, setup),
	    cmocka_unit_test_setup(off_network_senders, setup),
	    cmocka_unit_test_setup(malformed_packets_are_dropped, setup),
	    cmocka_unit_test_setup(suspicious_senders_are_dropped, setup),
	    cmocka_unit_test_setup(cache_replaces_oldest_but_never_pending, setup),
	    cmocka_unit_test_setup(entries_expire, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
