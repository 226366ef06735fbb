/*
 * net_server.h: what the parts of the network server share: net_server.c
 * (the link, the protocol stack, its threads and net.Config) and
 * net_sockets.c (net.Socket).
 *
 * Three threads touch the stack: the one that takes frames from the link,
 * the one that runs its timers, and the serving threads of the two
 * interfaces. net_lock serializes them all; every function below that
 * says "under net_lock" must be called with it held.
 */
#ifndef NET_SERVER_H
#define NET_SERVER_H

#include "kserve.h"
#include "link.h"
#include "net.h"
#include "netstack.h"

extern idl_lock net_lock;
extern struct net_stack net_stack; /* under net_lock */

/* The interface's state, as net.Config sets it; under net_lock. */
extern bool net_up;          /* UP: frames are taken and sent */
extern bool net_has_address; /* remove_address took it away */

/* net_sockets.c. Serves net.Socket on ks (registers the interface, the
 * session callbacks and the turn that sends events). */
int sockets_serve(kserver *ks);
/* The stack's deliver hook: a datagram for a local port. Under net_lock. */
int sockets_deliver(void *ctx, const struct net_udp_datagram *d);
/* After frames were delivered (with net_lock given back): wakes the
 * serving thread if sockets became readable, so it sends the events. */
void sockets_notify(void);
/* Messages exchanged with socket clients so far. Under net_lock. */
uint64_t sockets_messages(void);
/* Fills out with up to max open sockets; how many. Under net_lock. */
uint32_t sockets_list(net_socket_info *out, uint32_t max);

#endif
