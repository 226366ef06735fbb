/*
 * stack.c: the stack's life: setting it up, changing its configuration,
 * and the timers.
 *
 * A configuration is checked whole before any of it is used, so a refused
 * one leaves the stack as it was. Everything derived from it (the netmask,
 * the broadcast address) is computed here once, and only here.
 */
#include "net_int.h"

static bool settings_ok(const struct net_settings *config)
{
	if (!net_mac_is_unicast(config->mac))
		return false;
	if (config->prefix_length < 1 || config->prefix_length > 30)
		return false; /* /31 and /32 have no broadcast address to speak of */
	if (!net_ipv4_is_host(config->ip))
		return false;
	uint32_t mask = ~(uint32_t)0 << (32 - config->prefix_length);
	uint32_t host = config->ip & ~mask;
	if (host == 0 || host == ~mask)
		return false; /* the network's own address or its broadcast */
	if (config->gateway == 0)
		return true;
	/* The gateway: a host address (not loopback, multicast or the like) on
	 * this network, other than ours and its network and broadcast ones. */
	uint32_t gateway_host = config->gateway & ~mask;
	return net_ipv4_is_host(config->gateway) && ((config->gateway ^ config->ip) & mask) == 0 &&
	       config->gateway != config->ip && gateway_host != 0 && gateway_host != ~mask;
}

int net_configure(struct net_stack *stack, const struct net_settings *config)
{
	/* Decode. */
	if (!settings_ok(config))
		return NET_E_INVALID;
	/* Invoke. */
	net_wait_discard(stack, 0);
	net_arp_clear(stack);
	stack->config = *config;
	stack->netmask = ~(uint32_t)0 << (32 - config->prefix_length);
	stack->broadcast = config->ip | ~stack->netmask;
	return NET_OK;
}

int net_init(struct net_stack *stack, const struct net_settings *config,
             const struct net_hooks *hooks)
{
	if (hooks->transmit == NULL || hooks->deliver == NULL || hooks->now_ms == NULL)
		return NET_E_INVALID;
	if (!settings_ok(config))
		return NET_E_INVALID;
	memset(stack, 0, sizeof(*stack));
	stack->hooks = *hooks;
	return net_configure(stack, config);
}

void net_tick(struct net_stack *stack)
{
	net_arp_tick(stack);
}
