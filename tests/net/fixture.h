/*
 * fixture.h: what the network library's tests share: a stack configured as
 * QEMU's user-mode network expects (10.0.2.15/24, gateway 10.0.2.2) whose
 * hooks record every frame sent and every datagram delivered and read a
 * clock the test sets; frame builders and a checksum written apart from the
 * library (tests must not trust the code they test); and checks that the
 * counters moved exactly as expected.
 */
#ifndef NET_FIXTURE_H
#define NET_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netstack.h"

#define RIG_MAX_FRAMES    64
#define RIG_MAX_DATAGRAMS 16

/* Our MAC (QEMU's default for a guest), the gateway's (slirp's) and one
 * for another host of the network. */
extern const uint8_t our_mac[6];
extern const uint8_t gw_mac[6];
extern const uint8_t peer_mac[6];
extern const uint8_t bcast_mac[6];

#define OUR_IP  NET_IPV4(10, 0, 2, 15)
#define GW_IP   NET_IPV4(10, 0, 2, 2)
#define PEER_IP NET_IPV4(10, 0, 2, 7)
#define FAR_IP  NET_IPV4(192, 0, 2, 33) /* off the network: through the gateway */

struct sent_frame {
	size_t length;
	uint8_t bytes[NET_FRAME_MAX_BYTES];
};

struct got_datagram {
	struct net_udp_datagram head; /* payload points into bytes below */
	uint8_t bytes[NET_UDP_MAX_PAYLOAD];
};

struct rig {
	struct net_stack stack;
	uint64_t now_ms;
	/* What transmit was given, in order. */
	size_t sent_count;
	struct sent_frame sent[RIG_MAX_FRAMES];
	/* What deliver was given, in order. */
	size_t got_count;
	struct got_datagram got[RIG_MAX_DATAGRAMS];
	/* What transmit and deliver answer. */
	int transmit_result;
	int deliver_result;
	/* When set, deliver sends each datagram back to its sender (from the
	 * port it came to), as an echo server on top of the stack would. */
	bool echo;
	int echo_result;
};

/* Sets the rig up (the stack with the QEMU configuration, clock at 1000). */
void rig_init(struct rig *r);
/* Forgets what was sent and delivered. */
void rig_clear(struct rig *r);
/* Puts gw_mac for the gateway and peer_mac for PEER_IP in the ARP cache,
 * the way the stack learns them: ARP requests for us. Clears the rig. */
void rig_learn_neighbours(struct rig *r);
/* Feeds a frame through an exact-size heap copy, so that ASan sees a read
 * past its end. */
void rig_input(struct rig *r, const void *frame, size_t length);

/* The Internet checksum, computed apart from the library's (16-bit words,
 * the carry added back after each word). */
uint16_t ref_checksum(const void *data, size_t length);
/* UDP's checksum over the pseudo-header and the datagram. */
uint16_t ref_udp_checksum(uint32_t src, uint32_t dst, const uint8_t *udp, size_t length);

/* Big-endian access for the tests' own use. */
uint16_t rd16(const uint8_t *p);
uint32_t rd32(const uint8_t *p);
void wr16(uint8_t *p, uint32_t v);
void wr32(uint8_t *p, uint32_t v);

/* Frame builders. Each writes a whole frame at f (room for
 * NET_FRAME_MAX_BYTES) and returns its length; none pads it. */
size_t build_eth(uint8_t *f, const uint8_t *dst, const uint8_t *src, uint16_t type);
size_t build_arp(uint8_t *f, uint16_t op, const uint8_t *sha, uint32_t spa, const uint8_t *tha,
                 uint32_t tpa);

/* An IPv4 packet in a frame, everything adjustable; ip_spec_default gives
 * a correct packet from PEER_IP (peer_mac) to us. */
struct ip_spec {
	const uint8_t *eth_dst, *eth_src;
	uint8_t version; /* 4 */
	uint8_t ihl;     /* 5 + options / 4 */
	uint8_t tos;
	int total_length; /* -1: the right one */
	uint16_t id;
	uint16_t fragment; /* flags and offset */
	uint8_t ttl;
	uint8_t protocol;
	int checksum; /* -1: the right one */
	uint32_t src, dst;
	const uint8_t *options; /* (ihl - 5) * 4 bytes */
};
struct ip_spec ip_spec_default(uint8_t protocol);
size_t build_ip(uint8_t *f, const struct ip_spec *spec, const void *payload, size_t length);

/* A UDP datagram (right checksum unless checksum >= 0 says otherwise). */
struct udp_spec {
	uint16_t src_port, dst_port;
	int length;   /* -1: the right one */
	int checksum; /* -1: the right one */
};
size_t build_udp(uint8_t *f, const struct ip_spec *ip, const struct udp_spec *udp,
                 const void *payload, size_t length);
/* An ICMP echo request (type 8) with a right checksum. */
size_t build_echo(uint8_t *f, const struct ip_spec *ip, uint16_t ident, uint16_t seq,
                  const void *data, size_t length);

/* The frame fed since `before` was counted once, as `name`: a drop reason
 * (struct net_drops) or a handled counter (arp_requests, arp_replies,
 * icmp_echoes, udp_delivered); no other of those moved. */
void expect_counted(const struct net_counters *before, const struct net_counters *after,
                    const char *name);
/* Every frame received is counted exactly once. */
void expect_all_counted(const struct net_counters *c);
/* Feeds a frame and checks that it was dropped for reason, and that it
 * made the stack send and deliver nothing. */
void expect_input_dropped(struct rig *r, const void *frame, size_t length, const char *reason);

#endif
