/*
 * eth.c: Ethernet II framing: net_input, where every received frame
 * enters, and the last step of every frame sent.
 *
 * A received frame is counted, checked (length, source, destination) and
 * handed by EtherType to ARP or IPv4 with the bytes after its header;
 * anything else is dropped. Frames arrive without FCS and may carry padding
 * after the packet (Ethernet's 60-byte minimum), which the layers above cut
 * off by their own length fields. Frames sent are padded to that minimum
 * here, since a virtio device need not do it.
 */
#include "net_int.h"

const uint8_t net_broadcast_mac[NET_MAC_BYTES] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

/* A received frame, checked. */
struct eth_frame {
	const uint8_t *src;
	bool broadcast; /* sent to every station, not to our MAC alone */
	uint16_t type;
	const uint8_t *body;
	size_t length;
};

/* Checks a frame: NULL and *in filled when it is for us, else the drop
 * counter of the reason. */
static uint64_t *decode(struct net_stack *stack, const uint8_t *f, size_t length,
                        struct eth_frame *in)
{
	struct net_drops *drop = &stack->counters.drop;
	if (length < NET_ETH_HEADER_BYTES)
		return &drop->eth_short;
	/* A longer frame could hold an IPv4 packet whose echo reply would not
	 * fit in a frame of ours. */
	if (length > NET_FRAME_MAX_BYTES)
		return &drop->eth_oversize;
	in->src = f + NET_ETH_SRC;
	if (!net_mac_is_unicast(in->src) || memcmp(in->src, stack->config.mac, NET_MAC_BYTES) == 0)
		return &drop->eth_bad_source;
	in->broadcast = net_mac_is_broadcast(f + NET_ETH_DST);
	if (!in->broadcast && memcmp(f + NET_ETH_DST, stack->config.mac, NET_MAC_BYTES) != 0)
		return &drop->eth_not_for_us;
	in->type = net_get16(f + NET_ETH_TYPE);
	if (in->type != NET_ETHERTYPE_ARP && in->type != NET_ETHERTYPE_IP)
		return &drop->eth_unknown_type;
	in->body = f + NET_ETH_HEADER_BYTES;
	in->length = length - NET_ETH_HEADER_BYTES;
	return NULL;
}

void net_input(struct net_stack *stack, const void *frame, size_t length)
{
	stack->counters.rx_frames++;
	stack->counters.rx_bytes += length;
	struct eth_frame in;
	uint64_t *drop = decode(stack, frame, length, &in);
	if (drop != NULL) {
		(*drop)++;
		return;
	}
	if (in.type == NET_ETHERTYPE_ARP)
		net_arp_input(stack, in.body, in.length);
	else
		net_ipv4_input(stack, in.src, in.broadcast, in.body, in.length);
}

void net_eth_header(struct net_stack *stack, uint8_t *frame, const uint8_t *dst, uint16_t type)
{
	if (dst != NULL)
		memcpy(frame + NET_ETH_DST, dst, NET_MAC_BYTES);
	memcpy(frame + NET_ETH_SRC, stack->config.mac, NET_MAC_BYTES);
	net_put16(frame + NET_ETH_TYPE, type);
}

int net_eth_transmit(struct net_stack *stack, uint8_t *frame, size_t length)
{
	NET_ASSERT(length >= NET_ETH_HEADER_BYTES && length <= NET_FRAME_MAX_BYTES);
	if (length < NET_FRAME_MIN_BYTES) {
		memset(frame + length, 0, NET_FRAME_MIN_BYTES - length);
		length = NET_FRAME_MIN_BYTES;
	}
	if (stack->hooks.transmit(stack->hooks.ctx, frame, length) != 0) {
		stack->counters.tx_errors++;
		return NET_E_IO;
	}
	stack->counters.tx_frames++;
	stack->counters.tx_bytes += length;
	return NET_OK;
}
