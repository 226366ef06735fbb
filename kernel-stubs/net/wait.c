/*
 * wait.c: datagrams waiting for ARP to find their next hop's MAC.
 *
 * A slot keeps a whole frame but its destination MAC, so that the answer
 * costs one copy of six bytes and a transmit. The slots are shared by all
 * next hops; when every one is taken, net_udp_send refuses the next
 * datagram (NET_E_NO_SPACE) rather than drop one it has already accepted,
 * so the caller learns at once what happened to each. Datagrams to one
 * next hop leave in the order they came (each slot has a sequence number);
 * those to a hop that never answers are discarded when ARP gives up.
 */
#include "net_int.h"

bool net_wait_has_room(const struct net_stack *stack)
{
	for (size_t i = 0; i < NET_WAIT_SLOTS; i++)
		if (stack->wait[i].next_hop == 0)
			return true;
	return false;
}

void net_wait_add(struct net_stack *stack, uint32_t next_hop, const uint8_t *frame, size_t length)
{
	NET_ASSERT(next_hop != 0 && length <= NET_FRAME_MAX_BYTES);
	for (size_t i = 0; i < NET_WAIT_SLOTS; i++) {
		struct net_wait_slot *w = &stack->wait[i];
		if (w->next_hop != 0)
			continue;
		w->next_hop = next_hop;
		w->seq = stack->next_seq++;
		w->length = (uint16_t)length;
		memcpy(w->frame, frame, length);
		return;
	}
	NET_ASSERT(!"net_wait_has_room said yes");
}

/* The slot waiting for ip that came first, or NULL. Sequence numbers are
 * compared by their distance from next_seq, so wrapping does no harm. */
static struct net_wait_slot *first_for(struct net_stack *stack, uint32_t ip)
{
	struct net_wait_slot *first = NULL;
	for (size_t i = 0; i < NET_WAIT_SLOTS; i++) {
		struct net_wait_slot *w = &stack->wait[i];
		if (w->next_hop == 0 || (ip != 0 && w->next_hop != ip))
			continue;
		if (first == NULL || stack->next_seq - w->seq > stack->next_seq - first->seq)
			first = w;
	}
	return first;
}

void net_wait_release(struct net_stack *stack, uint32_t ip, const uint8_t *mac)
{
	NET_ASSERT(ip != 0);
	struct net_wait_slot *w;
	while ((w = first_for(stack, ip)) != NULL) {
		memcpy(w->frame + NET_ETH_DST, mac, NET_MAC_BYTES);
		net_eth_transmit(stack, w->frame, w->length);
		w->next_hop = 0;
	}
}

void net_wait_discard(struct net_stack *stack, uint32_t ip)
{
	struct net_wait_slot *w;
	while ((w = first_for(stack, ip)) != NULL) {
		w->next_hop = 0;
		stack->counters.tx_unresolved++;
	}
}
