/*
 * netstack.h: the protocol core of the reference system's network server:
 * Ethernet, ARP, IPv4, ICMP echo and UDP for one interface.
 *
 * Freestanding C11: no allocation, no OS, only memcpy/memset/memcmp
 * (kstring.h). The caller supplies all memory (a struct net_stack, about
 * 14 KiB with the default sizes) and the world as the callbacks of a struct
 * net_hooks: a transmit function, a deliver function for UDP datagrams and
 * a millisecond clock. Every frame from the wire is untrusted: a frame that
 * a correct peer could not have sent is dropped and counted by reason
 * (struct net_drops), never a crash or a read beyond its length.
 *
 * The header is called netstack.h, not net.h, because the server also
 * includes the generated net.h; for the same reason no name here begins
 * with net_socket_, net_config_, net_ip_address or NET_MAX_.
 *
 * One thread at a time: the library takes no locks. docs/netstack.md
 * describes what is supported, the memory model and every drop reason.
 */
#ifndef NETSTACK_H
#define NETSTACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* IPv4 addresses are uint32_t in host order: 10.0.2.15 is 0x0a00020f. */
#define NET_IPV4(a, b, c, d)                                                                       \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

/* What QEMU's user-mode network expects of its guest. */
#define NET_QEMU_IP            NET_IPV4(10, 0, 2, 15)
#define NET_QEMU_PREFIX_LENGTH 24
#define NET_QEMU_GATEWAY       NET_IPV4(10, 0, 2, 2)

/* Sizes on the wire. Frames carry no FCS (the device strips and adds it). */
#define NET_MAC_BYTES        6u
#define NET_ETH_HEADER_BYTES 14u
#define NET_MTU              1500u /* the largest IPv4 packet */
#define NET_FRAME_MAX_BYTES  (NET_ETH_HEADER_BYTES + NET_MTU)
#define NET_FRAME_MIN_BYTES  60u   /* shorter frames are padded with zeros */
#define NET_UDP_MAX_PAYLOAD  1472u /* the MTU less IPv4's 20 and UDP's 8 */
#define NET_IPV4_TEXT_BYTES  16u   /* "255.255.255.255" and its terminator */
#define NET_BROADCAST_IP     NET_IPV4(255, 255, 255, 255)
#define NET_TTL              64u /* of every packet the stack sends */

/* The ARP cache: NET_ARP_ENTRIES entries; an answer is believed for
 * NET_ARP_LIFETIME_MS. A request unanswered after NET_ARP_RETRY_MS is sent
 * again, NET_ARP_TRIES times in all; then the address is given up and the
 * datagrams that waited for it are discarded. At most NET_WAIT_SLOTS
 * datagrams wait for addresses at once (each slot holds a whole frame).
 * Override any at build time for another footprint. */
#ifndef NET_ARP_ENTRIES
#define NET_ARP_ENTRIES 16
#endif
#ifndef NET_ARP_LIFETIME_MS
#define NET_ARP_LIFETIME_MS 300000u
#endif
#ifndef NET_ARP_RETRY_MS
#define NET_ARP_RETRY_MS 1000u
#endif
#ifndef NET_ARP_TRIES
#define NET_ARP_TRIES 3u
#endif
#ifndef NET_WAIT_SLOTS
#define NET_WAIT_SLOTS 8
#endif

/* Errors: the negated numbers of sys.Errno (idl/sys.idl), so a server
 * returns -err as the error of its reply. 0 is success. */
enum net_error {
	NET_OK = 0,
	NET_E_NOT_FOUND = -1,      /* deliver's answer: no socket has the port */
	NET_E_INVALID = -6,        /* a bad argument: address, port, length, configuration */
	NET_E_NO_SPACE = -7,       /* every slot for datagrams waiting for ARP is taken */
	NET_E_IO = -8,             /* the transmit callback failed */
	NET_E_NOT_SUPPORTED = -11, /* multicast, or our own address (no loopback here) */
	NET_E_UNREACHABLE = -14,   /* off the local network, and no gateway */
};

/* The interface's configuration. */
struct net_settings {
	uint8_t mac[NET_MAC_BYTES]; /* unicast, not zero */
	uint32_t ip;                /* a host address of its network */
	uint8_t prefix_length;      /* 1 to 30: 24 for 10.0.2.15/24 */
	uint32_t gateway;           /* on the local network; 0: none */
};

/* One UDP datagram for a local port, as deliver receives it. payload
 * points into the received frame: valid only during the call. */
struct net_udp_datagram {
	uint32_t source_ip;
	uint32_t destination_ip; /* ours, or a broadcast address */
	uint16_t source_port;
	uint16_t destination_port;
	const uint8_t *payload;
	size_t length; /* 0 to NET_UDP_MAX_PAYLOAD */
};

/* The world, as the caller gives it. */
struct net_hooks {
	void *ctx;
	/* Sends one Ethernet frame (no FCS, NET_FRAME_MIN_BYTES to
	 * NET_FRAME_MAX_BYTES); 0 on success, anything else counts as
	 * tx_errors. frame is valid only during the call, and the call must
	 * not call into the stack. */
	int (*transmit)(void *ctx, const void *frame, size_t length);
	/* Gives one UDP datagram to the socket bound to its destination port:
	 * NET_OK if one took it, NET_E_NOT_FOUND if none has the port
	 * (udp_no_listener), anything else if it could not take it
	 * (udp_refused: a full receive queue). It may call net_udp_send. */
	int (*deliver)(void *ctx, const struct net_udp_datagram *datagram);
	/* Milliseconds from any fixed point; never goes back. */
	uint64_t (*now_ms)(void *ctx);
};

/* Why received frames were dropped: X(field, meaning) for each reason, in
 * the order the checks run. Every frame given to net_input is counted once:
 * in exactly one of these, or in one of struct net_counters' "handled"
 * counters. Expand the list to print them:
 *   #define X(name, meaning) print(#name, counters.drop.name);
 *   NET_DROP_REASONS(X)
 */
#define NET_DROP_REASONS(X)                                                                        \
	X(eth_short, "frame shorter than an Ethernet header")                                      \
	X(eth_oversize, "frame longer than the MTU allows")                                        \
	X(eth_bad_source, "source MAC is multicast, broadcast, zero or ours")                      \
	X(eth_not_for_us, "destination MAC is neither ours nor broadcast")                         \
	X(eth_unknown_type, "EtherType neither IPv4 nor ARP")                                      \
	X(arp_short, "ARP packet shorter than 28 bytes")                                           \
	X(arp_unsupported, "ARP not for Ethernet and IPv4, or neither request nor reply")          \
	X(arp_bad_sender, "ARP sender is no host we may talk to, or claims our address")           \
	X(arp_not_for_us, "ARP whose target address is not ours")                                  \
	X(ip_short, "IPv4 packet shorter than 20 bytes")                                           \
	X(ip_bad_version, "IP version other than 4")                                               \
	X(ip_bad_header_length, "IHL below 5, or a header beyond the frame")                       \
	X(ip_bad_checksum, "IPv4 header checksum wrong")                                           \
	X(ip_bad_length, "total length beyond the frame or below the header")                      \
	X(ip_fragment, "a fragment (MF set or an offset): no reassembly")                          \
	X(ip_ttl_zero, "TTL 0")                                                                    \
	X(ip_bad_source, "source is not a host address: ours, 0/8, 127/8, 224/3, broadcast")       \
	X(ip_not_for_us, "destination neither ours nor broadcast")                                 \
	X(ip_link_broadcast, "unicast to us in a broadcast frame (RFC 1122 3.3.6)")                \
	X(ip_unknown_protocol, "protocol neither ICMP nor UDP")                                    \
	X(icmp_short, "ICMP message shorter than 8 bytes")                                         \
	X(icmp_bad_checksum, "ICMP checksum wrong")                                                \
	X(icmp_unsupported, "ICMP other than an echo request")                                     \
	X(icmp_broadcast, "echo request to a broadcast address: not answered")                     \
	X(udp_short, "UDP datagram shorter than its 8-byte header")                                \
	X(udp_bad_length, "UDP length below 8 or beyond the IPv4 payload")                         \
	X(udp_bad_checksum, "UDP checksum wrong (0 means none and is accepted)")                   \
	X(udp_bad_port, "destination port 0")                                                      \
	X(udp_no_listener, "no socket has the destination port (no ICMP error is sent)")           \
	X(udp_refused, "the socket could not take the datagram")

#define NET_DROP_FIELD(name, meaning) uint64_t name;
struct net_drops {
	NET_DROP_REASONS(NET_DROP_FIELD)
};
#undef NET_DROP_FIELD

/* What the stack has done since net_init; the server's ifconfig prints
 * them. The caller may read them at any time and must not write them. */
struct net_counters {
	uint64_t rx_frames; /* every frame given to net_input */
	uint64_t rx_bytes;
	uint64_t tx_frames; /* every frame transmit took */
	uint64_t tx_bytes;
	/* Received frames that were handled, not dropped. */
	uint64_t arp_requests;  /* requests for our address, answered */
	uint64_t arp_replies;   /* replies to us, believed */
	uint64_t icmp_echoes;   /* echo requests, answered */
	uint64_t udp_delivered; /* datagrams a socket took */
	/* Output trouble. */
	uint64_t tx_errors;     /* frames transmit refused */
	uint64_t tx_queue_full; /* net_udp_send refused: every wait slot taken */
	uint64_t tx_unresolved; /* waiting datagrams discarded: ARP got no answer */
	struct net_drops drop;
};

/* One entry of the ARP cache; private to the library. */
struct net_arp_entry {
	uint8_t state; /* NET_ARP_FREE, NET_ARP_PENDING, NET_ARP_RESOLVED (net_int.h) */
	uint8_t tries; /* pending: requests sent */
	uint8_t mac[NET_MAC_BYTES];
	uint32_t ip;
	uint64_t stamp_ms; /* resolved: when last confirmed; pending: when last asked */
};

/* A datagram waiting for its next hop's MAC; private to the library. The
 * frame is complete but for the destination MAC. */
struct net_wait_slot {
	uint32_t next_hop; /* 0: the slot is free */
	uint32_t seq;      /* order of arrival: a resolved hop's datagrams leave in it */
	uint16_t length;
	uint8_t frame[NET_FRAME_MAX_BYTES];
};

/* The stack. The caller owns the memory; counters may be read, the other
 * members are private. */
struct net_stack {
	struct net_settings config;
	uint32_t netmask;   /* from prefix_length */
	uint32_t broadcast; /* the local network's broadcast address */
	struct net_hooks hooks;
	struct net_counters counters;
	uint16_t ip_id;    /* identification of the next IPv4 packet */
	uint32_t next_seq; /* of the next waiting datagram */
	struct net_arp_entry arp[NET_ARP_ENTRIES];
	struct net_wait_slot wait[NET_WAIT_SLOTS];
	uint8_t tx[NET_FRAME_MAX_BYTES]; /* where frames are built */
};

/* Sets the stack up with a configuration (NET_E_INVALID if net_configure
 * refuses it) and the hooks, all three of which are needed. Counters
 * start at 0, the ARP cache empty. */
int net_init(struct net_stack *stack, const struct net_settings *config,
             const struct net_hooks *hooks);

/* Changes the configuration: NET_E_INVALID, changing nothing, unless the MAC
 * is unicast and not zero, the prefix 1 to 30 bits, the address neither the
 * network's nor its broadcast address nor outside host addresses (0/8,
 * 127/8, 224/3), and the gateway 0 or another host of the network. The ARP
 * cache is emptied and waiting datagrams are discarded (tx_unresolved):
 * their next hop and source address may be wrong now. */
int net_configure(struct net_stack *stack, const struct net_settings *config);

/* Handles one received Ethernet frame (without FCS) of length bytes: answers
 * ARP requests for our address and ICMP echo requests, learns ARP answers
 * (and sends what waited for them), delivers UDP datagrams for our address
 * or a broadcast address; drops and counts everything else. Never reads
 * beyond length; frame is not kept after the call. */
void net_input(struct net_stack *stack, const void *frame, size_t length);

/* Sends length bytes (at most NET_UDP_MAX_PAYLOAD) from source_port to
 * destination_ip:destination_port: directly to hosts of the local network,
 * through the gateway otherwise, as an Ethernet broadcast to 255.255.255.255
 * and the network's broadcast address. When the next hop's MAC is not known
 * the datagram waits for ARP in one of NET_WAIT_SLOTS slots and the call
 * returns NET_OK; net_tick retries the request and gives up at last.
 * Errors: NET_E_INVALID (port 0, too long, address 0/8, 127/8 or 240/4),
 * NET_E_NOT_SUPPORTED (multicast, our own address), NET_E_UNREACHABLE (off
 * the network without a gateway), NET_E_NO_SPACE (every wait slot taken),
 * NET_E_IO (transmit failed). */
int net_udp_send(struct net_stack *stack, uint16_t source_port, uint32_t destination_ip,
                 uint16_t destination_port, const void *payload, size_t length);

/* Runs the timers: resends unanswered ARP requests, gives up addresses
 * after NET_ARP_TRIES requests (discarding what waited for them), forgets
 * expired answers. Call it every few hundred milliseconds. */
void net_tick(struct net_stack *stack);

/* The Internet checksum (RFC 1071) of data: what goes into an IPv4, ICMP or
 * UDP checksum field, in host order (store it big-endian). Over data whose
 * checksum field is filled in, it is 0 when the checksum is right. */
uint16_t net_checksum(const void *data, size_t length);
/* The same in pieces: sum = net_checksum_add(sum, piece, n) from sum 0 over
 * the pieces in order (every piece but the last of even length), then
 * net_checksum_finish(sum). */
uint32_t net_checksum_add(uint32_t sum, const void *data, size_t length);
uint16_t net_checksum_finish(uint32_t sum);

/* Reads a dotted IPv4 address ("10.0.2.15") from length bytes of text (no
 * terminator needed): exactly four decimal numbers of 0 to 255, without
 * leading zeros (which some parsers read as octal), signs or spaces.
 * NET_E_INVALID, leaving *ip alone, for anything else. */
int net_ipv4_parse(const char *text, size_t length, uint32_t *ip);

/* Writes ip as dotted text and a terminator into out, which holds size
 * bytes; returns the characters written without the terminator, or 0 (and
 * an empty string if size > 0) when size is below NET_IPV4_TEXT_BYTES. */
size_t net_ipv4_format(uint32_t ip, char *out, size_t size);

#endif
