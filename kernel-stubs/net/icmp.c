/*
 * icmp.c: ICMP (RFC 792) as far as a host must go to be pinged: echo
 * requests are answered, every other message is dropped.
 *
 * The reply goes back to the MAC the request came from, without asking
 * ARP: that station is the previous hop, the host itself or the router it
 * used, and the reply needs nothing else. It carries the request's
 * identifier, sequence number and data unchanged, in a packet of our own
 * (TTL NET_TTL, no options). Requests to a broadcast address are not
 * answered, so the stack cannot be made to flood the network (RFC 1122
 * 3.2.2.6 lets a host ignore them).
 */
#include "net_int.h"

static uint64_t *decode(struct net_stack *stack, const struct net_ipv4_packet *in)
{
	struct net_drops *drop = &stack->counters.drop;
	const uint8_t *m = in->payload;
	if (in->length < NET_ICMP_HEADER_BYTES)
		return &drop->icmp_short;
	if (net_checksum(m, in->length) != 0)
		return &drop->icmp_bad_checksum;
	if (m[NET_ICMP_TYPE] != NET_ICMP_ECHO_REQUEST || m[NET_ICMP_CODE] != 0)
		return &drop->icmp_unsupported;
	if (in->broadcast)
		return &drop->icmp_broadcast;
	return NULL;
}

void net_icmp_input(struct net_stack *stack, const struct net_ipv4_packet *in)
{
	uint64_t *drop = decode(stack, in);
	if (drop != NULL) {
		(*drop)++;
		return;
	}
	/* The packet fit in a received frame with a header at least as long
	 * as ours, so the reply fits in one of ours. */
	NET_ASSERT(in->length <= NET_MTU - NET_IP_HEADER_BYTES);
	stack->counters.icmp_echoes++;
	uint8_t *f = stack->tx;
	uint8_t *m = f + NET_L4_AT;
	net_eth_header(stack, f, in->eth_src, NET_ETHERTYPE_IP);
	net_ipv4_header(stack, f, NET_IP_PROTO_ICMP, in->src, in->length);
	memcpy(m, in->payload, in->length);
	m[NET_ICMP_TYPE] = NET_ICMP_ECHO_REPLY;
	m[NET_ICMP_CODE] = 0;
	net_put16(m + NET_ICMP_CHECKSUM, 0);
	net_put16(m + NET_ICMP_CHECKSUM, net_checksum(m, in->length));
	net_eth_transmit(stack, f, NET_L4_AT + in->length);
}
