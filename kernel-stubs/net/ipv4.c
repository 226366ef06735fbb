/*
 * ipv4.c: IPv4 (RFC 791) for a host: checking received packets and
 * handing them to ICMP or UDP; the header of packets sent.
 *
 * A received packet is checked whole before anything is done with it: the
 * header's length fields must lie inside the frame and agree with each
 * other, its checksum must be right, and it must be neither a fragment
 * (there is no reassembly) nor a packet with TTL 0. Options (IHL above 5)
 * are accepted and skipped, unread, as RFC 1122 3.2.1.8 lets a host do with
 * options it does not implement; replies carry none. The payload ends where
 * the total length says: bytes after it in the frame are Ethernet padding.
 *
 * Packets are for us when sent to our address (in a frame to our MAC: a
 * unicast packet in a link broadcast is dropped, RFC 1122 3.3.6) or to a
 * broadcast address, 255.255.255.255 or the local network's, which only UDP
 * takes. Their source must be a host we may talk to: not ours (a loop or a
 * forgery), not broadcast, multicast, loopback or 0.
 */
#include "net_int.h"

/* Checks a packet: NULL and *in filled when it is for us, else the drop
 * counter of the reason. */
static uint64_t *decode(struct net_stack *stack, bool link_broadcast, const uint8_t *p,
                        size_t length, struct net_ipv4_packet *in, uint8_t *protocol)
{
	struct net_drops *drop = &stack->counters.drop;
	if (length < NET_IP_HEADER_BYTES)
		return &drop->ip_short;
	if (p[NET_IP_VERSION_IHL] >> 4 != 4)
		return &drop->ip_bad_version;
	size_t header = (size_t)(p[NET_IP_VERSION_IHL] & 0xfu) * 4;
	if (header < NET_IP_HEADER_BYTES || header > length)
		return &drop->ip_bad_header_length;
	if (net_checksum(p, header) != 0)
		return &drop->ip_bad_checksum;
	size_t total = net_get16(p + NET_IP_TOTAL_LENGTH);
	if (total < header || total > length)
		return &drop->ip_bad_length;
	if ((net_get16(p + NET_IP_FRAGMENT) & (NET_IP_FLAG_MF | NET_IP_OFFSET_MASK)) != 0)
		return &drop->ip_fragment;
	if (p[NET_IP_TTL] == 0)
		return &drop->ip_ttl_zero;
	in->src = net_get32(p + NET_IP_SRC);
	in->dst = net_get32(p + NET_IP_DST);
	if (!net_is_peer(stack, in->src))
		return &drop->ip_bad_source;
	in->broadcast = net_is_broadcast(stack, in->dst);
	if (!in->broadcast && in->dst != stack->config.ip)
		return &drop->ip_not_for_us;
	if (!in->broadcast && link_broadcast)
		return &drop->ip_link_broadcast;
	*protocol = p[NET_IP_PROTOCOL];
	if (*protocol != NET_IP_PROTO_ICMP && *protocol != NET_IP_PROTO_UDP)
		return &drop->ip_unknown_protocol;
	in->payload = p + header;
	in->length = total - header;
	return NULL;
}

void net_ipv4_input(struct net_stack *stack, const uint8_t *eth_src, bool link_broadcast,
                    const uint8_t *packet, size_t length)
{
	struct net_ipv4_packet in;
	uint8_t protocol;
	uint64_t *drop = decode(stack, link_broadcast, packet, length, &in, &protocol);
	if (drop != NULL) {
		(*drop)++;
		return;
	}
	in.eth_src = eth_src;
	if (protocol == NET_IP_PROTO_ICMP)
		net_icmp_input(stack, &in);
	else
		net_udp_input(stack, &in);
}

void net_ipv4_header(struct net_stack *stack, uint8_t *frame, uint8_t protocol, uint32_t dst,
                     size_t payload_length)
{
	NET_ASSERT(payload_length <= NET_MTU - NET_IP_HEADER_BYTES);
	uint8_t *h = frame + NET_IP_AT;
	h[NET_IP_VERSION_IHL] = 4u << 4 | NET_IP_HEADER_BYTES / 4;
	h[NET_IP_TOS] = 0;
	net_put16(h + NET_IP_TOTAL_LENGTH, (uint32_t)(NET_IP_HEADER_BYTES + payload_length));
	net_put16(h + NET_IP_ID, stack->ip_id++);
	/* Neither DF nor MF: a router on a path with a smaller MTU may split
	 * the packet, since the stack does not listen for ICMP's "fragmentation
	 * needed". */
	net_put16(h + NET_IP_FRAGMENT, 0);
	h[NET_IP_TTL] = NET_TTL;
	h[NET_IP_PROTOCOL] = protocol;
	net_put16(h + NET_IP_CHECKSUM, 0);
	net_put32(h + NET_IP_SRC, stack->config.ip);
	net_put32(h + NET_IP_DST, dst);
	net_put16(h + NET_IP_CHECKSUM, net_checksum(h, NET_IP_HEADER_BYTES));
}

uint32_t net_ipv4_pseudo_sum(uint32_t src, uint32_t dst, uint8_t protocol, size_t length)
{
	uint8_t pseudo[12];
	net_put32(pseudo, src);
	net_put32(pseudo + 4, dst);
	pseudo[8] = 0;
	pseudo[9] = protocol;
	net_put16(pseudo + 10, (uint32_t)length);
	return net_checksum_add(0, pseudo, sizeof(pseudo));
}
