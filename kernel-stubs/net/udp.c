/*
 * udp.c: UDP (RFC 768): delivering received datagrams to the server's
 * sockets through the deliver hook, and net_udp_send.
 *
 * Received: the UDP length must cover the header and lie inside the IPv4
 * payload (bytes after it are ignored), the checksum over the
 * pseudo-header must be right unless it is 0 (the sender computed none),
 * and the destination port must not be 0. Which socket takes a datagram is
 * the server's business: deliver says whether one did. No ICMP "port
 * unreachable" goes back for a port nobody has; the datagram is counted
 * (udp_no_listener) and forgotten, as a firewalled host would.
 *
 * Sent: the next hop is the destination itself on the local network, the
 * gateway otherwise; broadcasts go to every station. Everything that can
 * refuse the datagram is checked before any of it is built, so a refused
 * datagram leaves no trace but a counter. A checksum that comes out as 0 is
 * sent as 0xffff, its other form, since 0 would mean "none".
 */
#include "net_int.h"

static uint64_t *decode(struct net_stack *stack, const struct net_ipv4_packet *in,
                        struct net_udp_datagram *out)
{
	struct net_drops *drop = &stack->counters.drop;
	const uint8_t *u = in->payload;
	if (in->length < NET_UDP_HEADER_BYTES)
		return &drop->udp_short;
	size_t length = net_get16(u + NET_UDP_LENGTH);
	if (length < NET_UDP_HEADER_BYTES || length > in->length)
		return &drop->udp_bad_length;
	if (net_get16(u + NET_UDP_CHECKSUM) != 0) {
		uint32_t sum = net_ipv4_pseudo_sum(in->src, in->dst, NET_IP_PROTO_UDP, length);
		if (net_checksum_finish(net_checksum_add(sum, u, length)) != 0)
			return &drop->udp_bad_checksum;
	}
	out->destination_port = net_get16(u + NET_UDP_DST_PORT);
	if (out->destination_port == 0)
		return &drop->udp_bad_port;
	out->source_ip = in->src;
	out->destination_ip = in->dst;
	out->source_port = net_get16(u + NET_UDP_SRC_PORT);
	out->payload = u + NET_UDP_HEADER_BYTES;
	out->length = length - NET_UDP_HEADER_BYTES;
	return NULL;
}

void net_udp_input(struct net_stack *stack, const struct net_ipv4_packet *in)
{
	struct net_udp_datagram datagram;
	uint64_t *drop = decode(stack, in, &datagram);
	if (drop != NULL) {
		(*drop)++;
		return;
	}
	NET_ASSERT(datagram.length <= NET_UDP_MAX_PAYLOAD);
	int taken = stack->hooks.deliver(stack->hooks.ctx, &datagram);
	if (taken == NET_OK)
		stack->counters.udp_delivered++;
	else if (taken == NET_E_NOT_FOUND)
		stack->counters.drop.udp_no_listener++;
	else
		stack->counters.drop.udp_refused++;
}

/* Where a datagram to dst goes first: NET_OK and *next_hop (0 for a
 * broadcast), or why it cannot go. */
static int route(const struct net_stack *stack, uint32_t dst, uint32_t *next_hop)
{
	if (net_is_broadcast(stack, dst)) {
		*next_hop = 0;
		return NET_OK;
	}
	uint32_t top = dst >> 24;
	if (top >= 224 && top < 240)
		return NET_E_NOT_SUPPORTED; /* multicast: no IGMP, no group MACs */
	if (dst == stack->config.ip)
		return NET_E_NOT_SUPPORTED; /* loopback is the server's to do */
	if (!net_is_peer(stack, dst))
		return NET_E_INVALID; /* 0/8, 127/8, 240/4, the local network's own address */
	if (net_on_link(stack, dst)) {
		*next_hop = dst;
		return NET_OK;
	}
	if (stack->config.gateway == 0)
		return NET_E_UNREACHABLE;
	*next_hop = stack->config.gateway;
	return NET_OK;
}

/* Writes the UDP header and payload after the IPv4 header, checksum
 * included. */
static void build(struct net_stack *stack, uint8_t *f, uint16_t source_port, uint32_t dst,
                  uint16_t destination_port, const void *payload, size_t length)
{
	size_t udp_length = NET_UDP_HEADER_BYTES + length;
	uint8_t *u = f + NET_L4_AT;
	net_put16(u + NET_UDP_SRC_PORT, source_port);
	net_put16(u + NET_UDP_DST_PORT, destination_port);
	net_put16(u + NET_UDP_LENGTH, (uint32_t)udp_length);
	net_put16(u + NET_UDP_CHECKSUM, 0);
	if (length > 0)
		memcpy(u + NET_UDP_HEADER_BYTES, payload, length);
	uint32_t sum = net_ipv4_pseudo_sum(stack->config.ip, dst, NET_IP_PROTO_UDP, udp_length);
	uint16_t checksum = net_checksum_finish(net_checksum_add(sum, u, udp_length));
	net_put16(u + NET_UDP_CHECKSUM, checksum == 0 ? 0xffffu : checksum);
	net_ipv4_header(stack, f, NET_IP_PROTO_UDP, dst, udp_length);
}

int net_udp_send(struct net_stack *stack, uint16_t source_port, uint32_t destination_ip,
                 uint16_t destination_port, const void *payload, size_t length)
{
	/* Decode. */
	if (source_port == 0 || destination_port == 0 || length > NET_UDP_MAX_PAYLOAD ||
	    (payload == NULL && length > 0))
		return NET_E_INVALID;
	uint32_t next_hop;
	int err = route(stack, destination_ip, &next_hop);
	if (err != NET_OK)
		return err;
	uint8_t mac[NET_MAC_BYTES];
	bool known = next_hop == 0;
	if (known)
		memcpy(mac, net_broadcast_mac, NET_MAC_BYTES);
	else
		known = net_arp_lookup(stack, next_hop, mac);
	if (!known && !net_wait_has_room(stack)) {
		stack->counters.tx_queue_full++;
		return NET_E_NO_SPACE;
	}
	/* Invoke. */
	uint8_t *f = stack->tx;
	net_eth_header(stack, f, known ? mac : NULL, NET_ETHERTYPE_IP);
	build(stack, f, source_port, destination_ip, destination_port, payload, length);
	size_t frame_length = NET_DATA_AT + length;
	if (known)
		return net_eth_transmit(stack, f, frame_length);
	net_wait_add(stack, next_hop, f, frame_length);
	net_arp_want(stack, next_hop);
	return NET_OK;
}
