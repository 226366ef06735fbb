/*
 * arp.c: ARP for IPv4 over Ethernet (RFC 826): the cache, answering
 * requests for our address, and asking for the MACs of next hops.
 *
 * What is believed. RFC 826's rule: an ARP packet whose sender we already
 * hold refreshes that entry, whoever it was for (so a host that changes its
 * MAC and announces it is followed); a packet for our address, request or
 * reply, also adds its sender, since a host that asks for us is about to
 * talk to us and will need an answer. Only hosts of the local network are
 * kept: no other is ever a next hop. A sender that is no host we may talk
 * to, or that claims our own address, is never believed.
 *
 * The cache has NET_ARP_ENTRIES entries: free, pending (a request is out
 * and datagrams wait) or resolved (believed until NET_ARP_LIFETIME_MS after
 * the last confirmation). A new entry takes a free or expired one, else the
 * resolved entry confirmed longest ago; pending entries are never taken,
 * and there is always another (net_int.h's invariant), so learning cannot
 * fail. Requests are resent every NET_ARP_RETRY_MS by net_tick, NET_ARP_TRIES
 * times in all; then the entry is freed and its datagrams are discarded.
 */
#include "net_int.h"

/* A received ARP packet, checked. */
struct arp_packet {
	uint16_t op;
	const uint8_t *sha;
	uint32_t spa;
	uint32_t tpa;
};

static bool expired(const struct net_arp_entry *e, uint64_t now)
{
	return now - e->stamp_ms >= NET_ARP_LIFETIME_MS;
}

static struct net_arp_entry *find(struct net_stack *stack, uint32_t ip)
{
	for (size_t i = 0; i < NET_ARP_ENTRIES; i++) {
		struct net_arp_entry *e = &stack->arp[i];
		if (e->state != NET_ARP_FREE && e->ip == ip)
			return e;
	}
	return NULL;
}

/* An entry to reuse: free, expired, else the oldest resolved one. */
static struct net_arp_entry *victim(struct net_stack *stack, uint64_t now)
{
	struct net_arp_entry *oldest = NULL;
	for (size_t i = 0; i < NET_ARP_ENTRIES; i++) {
		struct net_arp_entry *e = &stack->arp[i];
		if (e->state == NET_ARP_FREE)
			return e;
		if (e->state != NET_ARP_RESOLVED)
			continue;
		if (expired(e, now))
			return e;
		if (oldest == NULL || now - e->stamp_ms > now - oldest->stamp_ms)
			oldest = e;
	}
	NET_ASSERT(oldest != NULL);
	return oldest;
}

/* Sends an ARP packet of ours: a request (broadcast, target MAC unknown)
 * or a reply to tha. */
static void send_arp(struct net_stack *stack, uint16_t op, const uint8_t *tha, uint32_t tpa)
{
	uint8_t *f = stack->tx;
	uint8_t *a = f + NET_ETH_HEADER_BYTES;
	bool request = op == NET_ARP_OP_REQUEST;
	net_eth_header(stack, f, request ? net_broadcast_mac : tha, NET_ETHERTYPE_ARP);
	net_put16(a + NET_ARP_HTYPE, NET_ARP_HW_ETHERNET);
	net_put16(a + NET_ARP_PTYPE, NET_ETHERTYPE_IP);
	a[NET_ARP_HLEN] = NET_MAC_BYTES;
	a[NET_ARP_PLEN] = NET_ARP_IP_BYTES;
	net_put16(a + NET_ARP_OP, op);
	memcpy(a + NET_ARP_SHA, stack->config.mac, NET_MAC_BYTES);
	net_put32(a + NET_ARP_SPA, stack->config.ip);
	if (request)
		memset(a + NET_ARP_THA, 0, NET_MAC_BYTES);
	else
		memcpy(a + NET_ARP_THA, tha, NET_MAC_BYTES);
	net_put32(a + NET_ARP_TPA, tpa);
	net_eth_transmit(stack, f, NET_ETH_HEADER_BYTES + NET_ARP_BYTES);
}

/* Believes that ip is at mac: refreshes its entry or, with add, makes one;
 * a pending entry's datagrams leave now. */
static void learn(struct net_stack *stack, uint32_t ip, const uint8_t *mac, bool add)
{
	uint64_t now = net_now(stack);
	struct net_arp_entry *e = find(stack, ip);
	if (e == NULL && !add)
		return;
	bool was_pending = e != NULL && e->state == NET_ARP_PENDING;
	if (e == NULL)
		e = victim(stack, now);
	e->state = NET_ARP_RESOLVED;
	e->ip = ip;
	e->tries = 0;
	e->stamp_ms = now;
	memcpy(e->mac, mac, NET_MAC_BYTES);
	if (was_pending)
		net_wait_release(stack, ip, mac);
}

/* Checks an ARP packet: NULL and *in filled when it is to be acted on, else
 * the drop counter of the reason. */
static uint64_t *decode(struct net_stack *stack, const uint8_t *a, size_t length,
                        struct arp_packet *in)
{
	struct net_drops *drop = &stack->counters.drop;
	if (length < NET_ARP_BYTES)
		return &drop->arp_short;
	in->op = net_get16(a + NET_ARP_OP);
	if (net_get16(a + NET_ARP_HTYPE) != NET_ARP_HW_ETHERNET ||
	    net_get16(a + NET_ARP_PTYPE) != NET_ETHERTYPE_IP || a[NET_ARP_HLEN] != NET_MAC_BYTES ||
	    a[NET_ARP_PLEN] != NET_ARP_IP_BYTES ||
	    (in->op != NET_ARP_OP_REQUEST && in->op != NET_ARP_OP_REPLY))
		return &drop->arp_unsupported;
	in->sha = a + NET_ARP_SHA;
	in->spa = net_get32(a + NET_ARP_SPA);
	in->tpa = net_get32(a + NET_ARP_TPA);
	if (!net_mac_is_unicast(in->sha) || memcmp(in->sha, stack->config.mac, NET_MAC_BYTES) == 0)
		return &drop->arp_bad_sender;
	/* Sender 0.0.0.0 is a probe (RFC 5227): a host asking whether the
	 * address is taken before it takes it. It is answered, never learnt. */
	bool probe = in->spa == 0 && in->op == NET_ARP_OP_REQUEST;
	if (!probe && !net_is_peer(stack, in->spa))
		return &drop->arp_bad_sender;
	/* A reply from off the network answers nothing we asked. */
	if (in->tpa == stack->config.ip && in->op == NET_ARP_OP_REPLY &&
	    !net_on_link(stack, in->spa))
		return &drop->arp_bad_sender;
	return NULL;
}

void net_arp_input(struct net_stack *stack, const uint8_t *arp, size_t length)
{
	struct arp_packet in;
	uint64_t *drop = decode(stack, arp, length, &in);
	if (drop != NULL) {
		(*drop)++;
		return;
	}
	bool for_us = in.tpa == stack->config.ip;
	bool learnable = in.spa != 0 && net_on_link(stack, in.spa);
	if (!for_us) {
		/* RFC 826's merge: refresh what we hold, add nothing. */
		if (learnable)
			learn(stack, in.spa, in.sha, false);
		stack->counters.drop.arp_not_for_us++;
		return;
	}
	if (in.op == NET_ARP_OP_REQUEST) {
		stack->counters.arp_requests++;
		send_arp(stack, NET_ARP_OP_REPLY, in.sha, in.spa);
	} else {
		stack->counters.arp_replies++;
	}
	if (learnable)
		learn(stack, in.spa, in.sha, true);
}

bool net_arp_lookup(struct net_stack *stack, uint32_t ip, uint8_t *mac)
{
	struct net_arp_entry *e = find(stack, ip);
	if (e == NULL || e->state != NET_ARP_RESOLVED || expired(e, net_now(stack)))
		return false;
	memcpy(mac, e->mac, NET_MAC_BYTES);
	return true;
}

void net_arp_want(struct net_stack *stack, uint32_t ip)
{
	uint64_t now = net_now(stack);
	struct net_arp_entry *e = find(stack, ip);
	if (e != NULL && e->state == NET_ARP_PENDING)
		return;
	if (e == NULL)
		e = victim(stack, now);
	e->state = NET_ARP_PENDING;
	e->ip = ip;
	e->tries = 1;
	e->stamp_ms = now;
	send_arp(stack, NET_ARP_OP_REQUEST, NULL, ip);
}

void net_arp_tick(struct net_stack *stack)
{
	uint64_t now = net_now(stack);
	for (size_t i = 0; i < NET_ARP_ENTRIES; i++) {
		struct net_arp_entry *e = &stack->arp[i];
		if (e->state == NET_ARP_RESOLVED && expired(e, now)) {
			e->state = NET_ARP_FREE;
		} else if (e->state == NET_ARP_PENDING && now - e->stamp_ms >= NET_ARP_RETRY_MS) {
			if (e->tries < NET_ARP_TRIES) {
				e->tries++;
				e->stamp_ms = now;
				send_arp(stack, NET_ARP_OP_REQUEST, NULL, e->ip);
			} else {
				e->state = NET_ARP_FREE;
				net_wait_discard(stack, e->ip);
			}
		}
	}
}

void net_arp_clear(struct net_stack *stack)
{
	memset(stack->arp, 0, sizeof(stack->arp));
}
