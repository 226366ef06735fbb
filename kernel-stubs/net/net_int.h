/*
 * net_int.h: what the library's files share and its users never see: the
 * wire layouts, big-endian access, the address rules, and the modules'
 * functions (each prefixed by its subject: net_eth_ eth.c, net_arp_ arp.c,
 * net_wait_ wait.c, net_ipv4_ ipv4.c, net_icmp_ icmp.c, net_udp_ udp.c).
 *
 * Data flows up on input (eth -> arp | ipv4 -> icmp | udp), each layer
 * checking all of its header before it acts or hands the rest up, and down
 * on output (udp | icmp -> ipv4 -> arp/wait -> eth).
 *
 * Invariants. A layer's input function gets a pointer and a length that lie
 * inside the received frame, and reads only below that length. Every frame
 * the stack builds is built in stack->tx or a wait slot, both
 * NET_FRAME_MAX_BYTES long, and is at most that long. A pending ARP entry
 * has at least one datagram waiting for it, so pending entries never
 * outnumber wait slots, and a cache with more entries than there are wait
 * slots always has one that is free or resolved to reuse.
 */
#ifndef NET_INT_H
#define NET_INT_H

#include "kstring.h"
#include "netstack.h"

/* Invariants (never packet contents): assert() in hosted debug builds, a
 * trap in freestanding ones, where there is no assert.h. */
#if __STDC_HOSTED__ && !defined(NDEBUG)
#include <assert.h>
#define NET_ASSERT(c) assert(c)
#else
#define NET_ASSERT(c) ((c) ? (void)0 : __builtin_trap())
#endif

_Static_assert(NET_ARP_ENTRIES > NET_WAIT_SLOTS,
               "a pending entry per wait slot, and one more to learn into");
_Static_assert(NET_WAIT_SLOTS >= 1, "a datagram must be able to wait for ARP");
_Static_assert(NET_ARP_TRIES >= 1 && NET_ARP_TRIES <= 255, "tries are counted in a u8");

/* Ethernet II (IEEE 802.3 with an EtherType): byte offsets. */
#define NET_ETH_DST       0
#define NET_ETH_SRC       6
#define NET_ETH_TYPE      12
#define NET_ETHERTYPE_IP  0x0800u
#define NET_ETHERTYPE_ARP 0x0806u

/* ARP for IPv4 over Ethernet (RFC 826): byte offsets and values. */
#define NET_ARP_HTYPE       0
#define NET_ARP_PTYPE       2
#define NET_ARP_HLEN        4
#define NET_ARP_PLEN        5
#define NET_ARP_OP          6
#define NET_ARP_SHA         8
#define NET_ARP_SPA         14
#define NET_ARP_THA         18
#define NET_ARP_TPA         24
#define NET_ARP_BYTES       28u
#define NET_ARP_IP_BYTES    4u /* an IPv4 address, as plen says */
#define NET_ARP_HW_ETHERNET 1u
#define NET_ARP_OP_REQUEST  1u
#define NET_ARP_OP_REPLY    2u

/* The ARP cache's entry states. */
#define NET_ARP_FREE     0u
#define NET_ARP_PENDING  1u /* a request is out; datagrams wait */
#define NET_ARP_RESOLVED 2u

/* IPv4 (RFC 791): byte offsets and values. */
#define NET_IP_VERSION_IHL  0
#define NET_IP_TOS          1
#define NET_IP_TOTAL_LENGTH 2
#define NET_IP_ID           4
#define NET_IP_FRAGMENT     6 /* flags (3 bits) and fragment offset (13) */
#define NET_IP_TTL          8
#define NET_IP_PROTOCOL     9
#define NET_IP_CHECKSUM     10
#define NET_IP_SRC          12
#define NET_IP_DST          16
#define NET_IP_HEADER_BYTES 20u /* without options: all the stack sends */
#define NET_IP_FLAG_MF      0x2000u
#define NET_IP_OFFSET_MASK  0x1fffu
#define NET_IP_PROTO_ICMP   1u
#define NET_IP_PROTO_UDP    17u

/* ICMP (RFC 792): byte offsets and values. */
#define NET_ICMP_TYPE         0
#define NET_ICMP_CODE         1
#define NET_ICMP_CHECKSUM     2
#define NET_ICMP_HEADER_BYTES 8u
#define NET_ICMP_ECHO_REPLY   0u
#define NET_ICMP_ECHO_REQUEST 8u

/* UDP (RFC 768): byte offsets. */
#define NET_UDP_SRC_PORT     0
#define NET_UDP_DST_PORT     2
#define NET_UDP_LENGTH       4
#define NET_UDP_CHECKSUM     6
#define NET_UDP_HEADER_BYTES 8u

/* Where each layer starts in a frame the stack builds. */
#define NET_IP_AT   NET_ETH_HEADER_BYTES
#define NET_L4_AT   (NET_IP_AT + NET_IP_HEADER_BYTES)
#define NET_DATA_AT (NET_L4_AT + NET_UDP_HEADER_BYTES)

_Static_assert(NET_DATA_AT + NET_UDP_MAX_PAYLOAD == NET_FRAME_MAX_BYTES,
               "the largest payload fills the largest frame");

/* Big-endian fields. */
static inline uint16_t net_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t net_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static inline void net_put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void net_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* MACs: the group bit (bit 0 of the first byte) marks multicast and
 * broadcast, which no station may use as its source. */
static inline bool net_mac_is_broadcast(const uint8_t *mac)
{
	return (mac[0] & mac[1] & mac[2] & mac[3] & mac[4] & mac[5]) == 0xffu;
}

static inline bool net_mac_is_unicast(const uint8_t *mac)
{
	return (mac[0] & 1u) == 0 && (mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]) != 0;
}

/* An address some host may have anywhere: not 0/8 ("this network"), 127/8
 * (loopback), 224/4 (multicast) or 240/4 (reserved, and broadcast). */
static inline bool net_ipv4_is_host(uint32_t ip)
{
	uint32_t top = ip >> 24;
	return top != 0 && top != 127 && top < 224;
}

static inline bool net_on_link(const struct net_stack *stack, uint32_t ip)
{
	return ((ip ^ stack->config.ip) & stack->netmask) == 0;
}

static inline bool net_is_broadcast(const struct net_stack *stack, uint32_t ip)
{
	return ip == NET_BROADCAST_IP || ip == stack->broadcast;
}

/* A host we may talk to: a host address, not ours, and neither the local
 * network's own address nor its broadcast address. */
static inline bool net_is_peer(const struct net_stack *stack, uint32_t ip)
{
	if (!net_ipv4_is_host(ip) || ip == stack->config.ip)
		return false;
	uint32_t host = ip & ~stack->netmask;
	return !net_on_link(stack, ip) || (host != 0 && host != ~stack->netmask);
}

static inline uint64_t net_now(struct net_stack *stack)
{
	return stack->hooks.now_ms(stack->hooks.ctx);
}

/* One received IPv4 packet, checked, as the layers above see it. */
struct net_ipv4_packet {
	const uint8_t *eth_src; /* the previous hop's MAC */
	uint32_t src;
	uint32_t dst;
	bool broadcast;         /* dst is a broadcast address */
	const uint8_t *payload; /* inside the frame, after the options */
	size_t length;          /* of the payload, by the total length field */
};

/* eth.c */
extern const uint8_t net_broadcast_mac[NET_MAC_BYTES];
/* Writes the Ethernet header: destination (NULL: left as it is), our MAC,
 * type. */
void net_eth_header(struct net_stack *stack, uint8_t *frame, const uint8_t *dst, uint16_t type);
/* Pads frame (which has room for NET_FRAME_MAX_BYTES) to the minimum size
 * and gives it to the transmit hook: NET_OK or NET_E_IO, counted. */
int net_eth_transmit(struct net_stack *stack, uint8_t *frame, size_t length);

/* arp.c */
void net_arp_input(struct net_stack *stack, const uint8_t *arp, size_t length);
/* The MAC of ip into mac if the cache holds an answer that has not
 * expired. */
bool net_arp_lookup(struct net_stack *stack, uint32_t ip, uint8_t *mac);
/* Makes sure a request for ip is out: starts one unless one is pending. */
void net_arp_want(struct net_stack *stack, uint32_t ip);
void net_arp_tick(struct net_stack *stack);
void net_arp_clear(struct net_stack *stack);

/* wait.c */
bool net_wait_has_room(const struct net_stack *stack);
/* Keeps a frame (length bytes, everything but the destination MAC) until
 * next_hop's MAC is known; net_wait_has_room must have said yes. */
void net_wait_add(struct net_stack *stack, uint32_t next_hop, const uint8_t *frame, size_t length);
/* Sends, in the order they came, the frames that waited for ip. */
void net_wait_release(struct net_stack *stack, uint32_t ip, const uint8_t *mac);
/* Discards the frames that waited for ip (0: all of them), counted in
 * tx_unresolved. */
void net_wait_discard(struct net_stack *stack, uint32_t ip);

/* ipv4.c */
void net_ipv4_input(struct net_stack *stack, const uint8_t *eth_src, bool link_broadcast,
                    const uint8_t *packet, size_t length);
/* Writes a header without options, checksum included, at frame +
 * NET_IP_AT, for payload_length bytes of protocol from us to dst. */
void net_ipv4_header(struct net_stack *stack, uint8_t *frame, uint8_t protocol, uint32_t dst,
                     size_t payload_length);
/* The sum of the pseudo-header that UDP's checksum covers (RFC 768). */
uint32_t net_ipv4_pseudo_sum(uint32_t src, uint32_t dst, uint8_t protocol, size_t length);

/* icmp.c */
void net_icmp_input(struct net_stack *stack, const struct net_ipv4_packet *packet);

/* udp.c */
void net_udp_input(struct net_stack *stack, const struct net_ipv4_packet *packet);

#endif
