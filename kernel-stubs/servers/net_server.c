/*
 * net_server.c: the network server. It takes Ethernet frames from the link
 * driver ("ethernet", idl/link.idl), runs them through the protocol library
 * (kernel-stubs/net: Ethernet, ARP, IPv4, ICMP echo, UDP), and serves
 * datagram sockets (net.Socket as "net", net_sockets.c) and the interface's
 * configuration (net.Config as "net.config", which the directory hands to
 * the shell alone).
 *
 * Threads: the main thread serves sockets and another serves Config; one
 * takes frames from the link (a receive call whose reply the driver defers
 * until a frame comes) and hands each to the stack; one runs the stack's
 * timers (ARP retries and expiry) every TICK_MS. net_lock serializes them
 * around the stack. Two connections to the driver: the receive thread
 * blocks in its call, everyone else sends on the other under net_lock.
 *
 * The configuration is static until net.Config changes it: 10.0.2.15/24,
 * gateway 10.0.2.2, what QEMU's user-mode network expects.
 *
 * Exit status 2: there is no link driver (no network card); 1: the driver
 * went away (init starts the server again, and it finds the driver's next
 * instance).
 */
#include "net_server.h"

#define TICK_MS         250
#define RETRY_MS        100
#define INTERFACE_INDEX 1
#define INTERFACE_NAME  "eth0"

idl_lock net_lock;
struct net_stack net_stack;
bool net_up = true;
bool net_has_address = true;

static idl_endpoint *link_rx, *link_tx;
static uint8_t mac[NET_MAC_BYTES];
static uint32_t mtu;
static struct net_settings settings; /* the stack's configuration; under net_lock */
static uint64_t link_messages;       /* under net_lock */
static uint64_t dropped_down;        /* frames that came while down or without an address */
static kserver socket_server, config_server;

/* The stack's hooks. */

static int transmit(void *ctx, const void *frame, size_t length)
{
	(void)ctx;
	link_ethernet_send_request req = {.frame = {.size = (uint32_t)length, .data = frame}};
	link_ethernet_send_reply_buffer rb;
	const link_ethernet_send_reply *reply;
	sys_errno error;
	link_messages += 2;
	return link_ethernet_send(link_tx, &req, &rb, &reply, &error) == IDL_OK ? 0 : -1;
}

static uint64_t now_ms(void *ctx)
{
	(void)ctx;
	return (uint64_t)idlk_clock() / 1000000u;
}

/* The threads. */

static volatile uint32_t never; /* a futex word to sleep on */

static void receive_frames(void *arg)
{
	(void)arg;
	static link_ethernet_receive_reply_buffer rb;
	for (;;) {
		link_ethernet_receive_request req = {0};
		const link_ethernet_receive_reply *reply;
		sys_errno error;
		int err = link_ethernet_receive(link_rx, &req, &rb, &reply, &error);
		if (err == IDL_E_REMOTE) {
			/* Refused (BUSY: another reader took over); the driver is there. */
			printf("net: the link driver refused a receive: %s\n",
			       sys_errno_name(error));
			idlk_futex_wait(&never, 0, RETRY_MS * 1000000ull);
			continue;
		}
		if (err != IDL_OK) {
			printf("net: the link driver went away (%s)\n", idl_error_name(err));
			idlk_exit(1);
		}
		idl_lock_take(&net_lock);
		link_messages += 2;
		if (net_up && net_has_address)
			net_input(&net_stack, reply->frame.data, reply->frame.size);
		else
			dropped_down++;
		idl_lock_give(&net_lock);
		sockets_notify();
	}
}

static void run_timers(void *arg)
{
	(void)arg;
	for (;;) {
		idlk_futex_wait(&never, 0, TICK_MS * 1000000ull);
		idl_lock_take(&net_lock);
		net_tick(&net_stack);
		idl_lock_give(&net_lock);
	}
}

static void serve_config(void *arg)
{
	kserve_run(arg);
}

/* net.Config. */

static net_ip_address ipv4_of(uint32_t ip)
{
	net_ip_address a = {.tag = NET_IP_ADDRESS_V4};
	a.v4[0] = (uint8_t)(ip >> 24);
	a.v4[1] = (uint8_t)(ip >> 16);
	a.v4[2] = (uint8_t)(ip >> 8);
	a.v4[3] = (uint8_t)ip;
	return a;
}

static uint32_t ip_of(const net_ip_address *a)
{
	return (uint32_t)a->v4[0] << 24 | (uint32_t)a->v4[1] << 16 | (uint32_t)a->v4[2] << 8 |
	       a->v4[3];
}

static net_link_flags flags_now(void)
{
	return (net_up ? NET_LINK_FLAGS_UP : 0) | NET_LINK_FLAGS_RUNNING | NET_LINK_FLAGS_BROADCAST;
}

/* Tells every Config client that the interface changed (a hint: a client
 * whose ring is full misses it). On the Config thread. */
static void announce_change(void)
{
	net_config_interfaces_changed_event e = {0};
	for (uint32_t i = 0; i < config_server.server.capacity; i++)
		if (config_server.slots[i] && (int)i != config_server.listener_slot)
			net_config_send_interfaces_changed(
			    idl_chan_end_endpoint(config_server.slots[i]), &e);
}

/* The interface's index must be ours: 0 on success, or IDL_E_REMOTE. */
static int check_index(uint32_t index, sys_errno *error)
{
	if (index == INTERFACE_INDEX)
		return IDL_OK;
	*error = SYS_ERRNO_NOT_FOUND;
	return IDL_E_REMOTE;
}

static int refuse(sys_errno why, sys_errno *error)
{
	*error = why;
	return IDL_E_REMOTE;
}

static int on_list_interfaces(idl_request *r, const net_config_list_interfaces_request *req,
                              net_config_list_interfaces_reply *reply, sys_errno *error)
{
	(void)r, (void)req, (void)error;
	/* The reply is encoded after the handler returns: static storage. */
	static net_interface_info info;
	static net_interface_address address;
	idl_lock_take(&net_lock);
	info = (net_interface_info){
	    .index = INTERFACE_INDEX,
	    .name = {.size = sizeof(INTERFACE_NAME) - 1, .data = INTERFACE_NAME},
	    .mtu = mtu,
	    .flags = flags_now()};
	memcpy(info.mac, mac, sizeof(mac));
	if (net_has_address) {
		address = (net_interface_address){.ip = ipv4_of(settings.ip),
		                                  .prefix_length = settings.prefix_length};
		info.addresses.count = 1;
		info.addresses.items = &address;
	}
	if (settings.gateway) {
		info.gateway.present = true;
		info.gateway.value = ipv4_of(settings.gateway);
	}
	idl_lock_give(&net_lock);
	reply->interfaces.count = 1;
	reply->interfaces.items = &info;
	return IDL_OK;
}

/* Applies new settings to the stack; INVALID (nothing changed) if it
 * refuses them. Under net_lock. */
static int reconfigure(const struct net_settings *next, sys_errno *error)
{
	if (net_configure(&net_stack, next) != NET_OK)
		return refuse(SYS_ERRNO_INVALID, error);
	settings = *next;
	return IDL_OK;
}

static int on_add_address(idl_request *r, const net_config_add_address_request *req,
                          net_config_add_address_reply *reply, sys_errno *error)
{
	(void)r, (void)reply;
	if (check_index(req->index, error) != IDL_OK)
		return IDL_E_REMOTE;
	if (req->address.ip.tag != NET_IP_ADDRESS_V4)
		return refuse(SYS_ERRNO_NOT_SUPPORTED, error);
	idl_lock_take(&net_lock);
	int err;
	if (net_has_address) {
		err = refuse(SYS_ERRNO_TOO_MANY, error); /* one address per interface */
	} else {
		struct net_settings next = settings;
		next.ip = ip_of(&req->address.ip);
		next.prefix_length = req->address.prefix_length;
		/* A gateway off the new network would be refused with it. (A
		 * prefix outside 1..30 is refused whole by reconfigure; the shift
		 * is only made where it is defined.) */
		uint32_t prefix = next.prefix_length;
		if (next.gateway != 0 && prefix >= 1 && prefix <= 31 &&
		    ((next.gateway ^ next.ip) >> (32 - prefix)) != 0)
			next.gateway = 0;
		err = reconfigure(&next, error);
		if (err == IDL_OK)
			net_has_address = true;
	}
	idl_lock_give(&net_lock);
	if (err == IDL_OK)
		announce_change();
	return err;
}

static int on_remove_address(idl_request *r, const net_config_remove_address_request *req,
                             net_config_remove_address_reply *reply, sys_errno *error)
{
	(void)r, (void)reply;
	if (check_index(req->index, error) != IDL_OK)
		return IDL_E_REMOTE;
	idl_lock_take(&net_lock);
	bool ours = net_has_address && req->address.ip.tag == NET_IP_ADDRESS_V4 &&
	            ip_of(&req->address.ip) == settings.ip &&
	            req->address.prefix_length == settings.prefix_length;
	if (ours)
		net_has_address = false;
	idl_lock_give(&net_lock);
	if (!ours)
		return refuse(SYS_ERRNO_NOT_FOUND, error);
	announce_change();
	return IDL_OK;
}

static int on_set_gateway(idl_request *r, const net_config_set_gateway_request *req,
                          net_config_set_gateway_reply *reply, sys_errno *error)
{
	(void)r, (void)reply;
	if (check_index(req->index, error) != IDL_OK)
		return IDL_E_REMOTE;
	if (req->gateway.present && req->gateway.value.tag != NET_IP_ADDRESS_V4)
		return refuse(SYS_ERRNO_NOT_SUPPORTED, error);
	idl_lock_take(&net_lock);
	struct net_settings next = settings;
	next.gateway = req->gateway.present ? ip_of(&req->gateway.value) : 0;
	int err = reconfigure(&next, error);
	idl_lock_give(&net_lock);
	if (err == IDL_OK)
		announce_change();
	return err;
}

static int on_set_flags(idl_request *r, const net_config_set_flags_request *req,
                        net_config_set_flags_reply *reply, sys_errno *error)
{
	(void)r, (void)reply;
	if (check_index(req->index, error) != IDL_OK)
		return IDL_E_REMOTE;
	idl_lock_take(&net_lock);
	int err = IDL_OK;
	if ((req->flags & ~NET_LINK_FLAGS_UP) != (flags_now() & ~NET_LINK_FLAGS_UP))
		err = refuse(SYS_ERRNO_INVALID, error); /* only UP is the administrator's */
	else
		net_up = (req->flags & NET_LINK_FLAGS_UP) != 0;
	idl_lock_give(&net_lock);
	if (err == IDL_OK)
		announce_change();
	return err;
}

static int on_statistics(idl_request *r, const net_config_statistics_request *req,
                         net_config_statistics_reply *reply, sys_errno *error)
{
	(void)r;
	if (check_index(req->index, error) != IDL_OK)
		return IDL_E_REMOTE;
	idl_lock_take(&net_lock);
	const struct net_counters *c = &net_stack.counters;
	const struct net_drops *d = &c->drop;
	uint64_t all = 0;
#define NET_ADD_DROP(name, meaning) all += d->name;
	NET_DROP_REASONS(NET_ADD_DROP)
#undef NET_ADD_DROP
	/* Well-formed, but for no one here. */
	uint64_t unwanted = d->eth_not_for_us + d->eth_unknown_type + d->arp_not_for_us +
	                    d->ip_not_for_us + d->ip_unknown_protocol + d->icmp_unsupported +
	                    d->icmp_broadcast + d->udp_no_listener + d->udp_refused;
	net_interface_statistics *s = &reply->statistics;
	s->received_frames = c->rx_frames + dropped_down;
	s->received_bytes = c->rx_bytes;
	s->sent_frames = c->tx_frames;
	s->sent_bytes = c->tx_bytes;
	s->dropped_fragments = d->ip_fragment;
	s->dropped_unwanted = unwanted + dropped_down;
	s->dropped_malformed = all - unwanted - d->ip_fragment;
	s->link_messages = link_messages;
	s->socket_messages = sockets_messages();
	idl_lock_give(&net_lock);
	return IDL_OK;
}

static int on_list_sockets(idl_request *r, const net_config_list_sockets_request *req,
                           net_config_list_sockets_reply *reply, sys_errno *error)
{
	(void)r, (void)req, (void)error;
	static net_socket_info list[NET_MAX_SOCKETS];
	idl_lock_take(&net_lock);
	reply->sockets.count = sockets_list(list, NET_MAX_SOCKETS);
	idl_lock_give(&net_lock);
	reply->sockets.items = list;
	return IDL_OK;
}

static const net_config_handlers config_handlers = {
    .list_interfaces = on_list_interfaces,
    .add_address = on_add_address,
    .remove_address = on_remove_address,
    .set_gateway = on_set_gateway,
    .set_flags = on_set_flags,
    .statistics = on_statistics,
    .list_sockets = on_list_sockets,
};

/* Connects to the link driver twice and learns its MAC; 2 if there is none
 * (the lookup waits while init is starting the driver, again perhaps: when
 * the driver died, this server died with it and both start at once). */
static int connect_link(void)
{
	sys_errno error;
	kchan *rx = kserve_connect_chan("ethernet", LINK_ETHERNET_PROTOCOL, &error);
	if (!rx)
		return error == SYS_ERRNO_NOT_FOUND ? 2 : 1;
	link_rx = idl_chan_end_endpoint(&rx->end);
	link_tx = kserve_connect("ethernet", LINK_ETHERNET_PROTOCOL);
	if (!link_tx)
		return 1;
	link_ethernet_info_request req = {0};
	link_ethernet_info_reply_buffer rb;
	const link_ethernet_info_reply *reply;
	if (link_ethernet_info(link_tx, &req, &rb, &reply, &error) != IDL_OK)
		return 1;
	memcpy(mac, reply->info.mac, sizeof(mac));
	mtu = reply->info.mtu;
	return 0;
}

static int serve(void)
{
	int err = kserve_init(&socket_server, KSERVE_MAX_SESSIONS);
	if (err == IDL_OK)
		err = sockets_serve(&socket_server);
	if (err == IDL_OK)
		err = kserve_init(&config_server, KSERVE_MAX_SESSIONS);
	if (err == IDL_OK)
		err = kserve_add_interface(&config_server, &net_config_interface, &config_handlers,
		                           NULL);
	if (err == IDL_OK)
		err = kserve_publish(&socket_server, "net");
	if (err == IDL_OK)
		err = kserve_publish(&config_server, "net.config");
	return err;
}

int umain(const char *args, long nhandles)
{
	(void)args, (void)nhandles;
	int err = connect_link();
	if (err) {
		printf("net: %s\n", err == 2 ? "no link driver (\"ethernet\")"
		                             : "cannot talk to the link driver");
		return err;
	}
	memcpy(settings.mac, mac, sizeof(mac));
	settings.ip = NET_QEMU_IP;
	settings.prefix_length = NET_QEMU_PREFIX_LENGTH;
	settings.gateway = NET_QEMU_GATEWAY;
	struct net_hooks hooks = {NULL, transmit, sockets_deliver, now_ms};
	if (net_init(&net_stack, &settings, &hooks) != NET_OK) {
		printf("net: the stack refused its configuration\n");
		return 1;
	}
	err = serve();
	if (err != IDL_OK) {
		printf("net: cannot serve: %s\n", idl_error_name(err));
		return 1;
	}
	if (thread_spawn(receive_frames, NULL, 16384) < 0 ||
	    thread_spawn(run_timers, NULL, 8192) < 0 ||
	    thread_spawn(serve_config, &config_server, 16384) < 0) {
		printf("net: cannot start its threads\n");
		return 1;
	}
	char ip[NET_IPV4_TEXT_BYTES], gateway[NET_IPV4_TEXT_BYTES];
	net_ipv4_format(settings.ip, ip, sizeof(ip));
	net_ipv4_format(settings.gateway, gateway, sizeof(gateway));
	printf("net: %s %s/%u gateway %s; serving idl/net.idl as \"net\" and \"net.config\"\n",
	       INTERFACE_NAME, ip, settings.prefix_length, gateway);
	kserve_run(&socket_server);
	return 0;
}
