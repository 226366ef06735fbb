/*
 * sh_net.c: the shell's network commands, on the network server's
 * configuration interface (net.Config, "net.config", which the directory
 * gives the shell alone): ifconfig (addresses, MAC, packet and drop
 * counters) and netstat (open sockets).
 */
#include "kserve.h"
#include "net.h"
#include "sh.h"

static idl_endpoint *config(const char *command)
{
	static kchan *c;
	if (c && kchan_peer_closed(c)) {
		kserve_disconnect(c); /* the server was started again: look it up anew */
		c = NULL;
	}
	if (!c) {
		sys_errno error;
		c = kserve_connect_chan("net.config", NET_CONFIG_PROTOCOL, &error);
		if (!c) {
			printf("%s: %s\n", command,
			       error == SYS_ERRNO_NOT_FOUND ? "no network server (no network card?)"
			                                    : sys_errno_name(error));
			return NULL;
		}
	}
	return idl_chan_end_endpoint(&c->end);
}

static int failed(const char *command, int err, sys_errno error)
{
	printf("%s: %s\n", command,
	       err == IDL_E_REMOTE ? sys_errno_name(error) : idl_error_name(err));
	return 1;
}

static void print_ip(const net_ip_address *a)
{
	if (a->tag == NET_IP_ADDRESS_V4)
		printf("%u.%u.%u.%u", a->v4[0], a->v4[1], a->v4[2], a->v4[3]);
	else
		printf("(IPv6)");
}

static void print_flags(net_link_flags f)
{
	static const struct {
		net_link_flags bit;
		const char *name;
	} names[] = {{NET_LINK_FLAGS_UP, "UP"},
	             {NET_LINK_FLAGS_RUNNING, "RUNNING"},
	             {NET_LINK_FLAGS_LOOPBACK, "LOOPBACK"},
	             {NET_LINK_FLAGS_BROADCAST, "BROADCAST"}};
	const char *sep = "";
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (f & names[i].bit) {
			printf("%s%s", sep, names[i].name);
			sep = ",";
		}
	}
}

static int print_statistics(idl_endpoint *ep, uint32_t index)
{
	net_config_statistics_request req = {.index = index};
	net_config_statistics_reply_buffer rb;
	const net_config_statistics_reply *reply;
	sys_errno error;
	int err = net_config_statistics(ep, &req, &rb, &reply, &error);
	if (err != IDL_OK)
		return failed("ifconfig", err, error);
	const net_interface_statistics *s = &reply->statistics;
	printf("    received %lu frames (%lu bytes), sent %lu frames (%lu bytes)\n",
	       (unsigned long)s->received_frames, (unsigned long)s->received_bytes,
	       (unsigned long)s->sent_frames, (unsigned long)s->sent_bytes);
	printf("    dropped %lu malformed, %lu fragments, %lu unwanted\n",
	       (unsigned long)s->dropped_malformed, (unsigned long)s->dropped_fragments,
	       (unsigned long)s->dropped_unwanted);
	printf("    messages: %lu with the link driver, %lu with socket clients\n",
	       (unsigned long)s->link_messages, (unsigned long)s->socket_messages);
	return 0;
}

int sh_ifconfig(int argc, char **argv)
{
	(void)argc, (void)argv;
	idl_endpoint *ep = config("ifconfig");
	if (!ep)
		return 1;
	net_config_list_interfaces_request req = {0};
	static net_config_list_interfaces_reply_buffer rb;
	const net_config_list_interfaces_reply *reply;
	sys_errno error;
	int err = net_config_list_interfaces(ep, &req, &rb, &reply, &error);
	if (err != IDL_OK)
		return failed("ifconfig", err, error);
	int status = 0;
	for (uint32_t i = 0; i < reply->interfaces.count; i++) {
		const net_interface_info *f = &reply->interfaces.items[i];
		printf("%.*s: flags ", (int)f->name.size, f->name.data);
		print_flags(f->flags);
		printf(" mtu %u\n    ether %02x:%02x:%02x:%02x:%02x:%02x\n", f->mtu, f->mac[0],
		       f->mac[1], f->mac[2], f->mac[3], f->mac[4], f->mac[5]);
		for (uint32_t a = 0; a < f->addresses.count; a++) {
			printf("    inet ");
			print_ip(&f->addresses.items[a].ip);
			printf("/%u\n", f->addresses.items[a].prefix_length);
		}
		if (f->gateway.present) {
			printf("    gateway ");
			print_ip(&f->gateway.value);
			printf("\n");
		}
		status |= print_statistics(ep, f->index);
	}
	return status;
}

int sh_netstat(int argc, char **argv)
{
	(void)argc, (void)argv;
	idl_endpoint *ep = config("netstat");
	if (!ep)
		return 1;
	net_config_list_sockets_request req = {0};
	static net_config_list_sockets_reply_buffer rb;
	const net_config_list_sockets_reply *reply;
	sys_errno error;
	int err = net_config_list_sockets(ep, &req, &rb, &reply, &error);
	if (err != IDL_OK)
		return failed("netstat", err, error);
	printf("proto  local address          queued  session\n");
	for (uint32_t i = 0; i < reply->sockets.count; i++) {
		const net_socket_info *s = &reply->sockets.items[i];
		char local[32];
		const uint8_t *ip = s->local.ip.v4;
		if (s->local.port)
			snprintf(local, sizeof(local), "%u.%u.%u.%u:%u", ip[0], ip[1], ip[2], ip[3],
			         s->local.port);
		else
			snprintf(local, sizeof(local), "(not bound)");
		printf("%-6s %-22s %-7u %u\n", s->kind == NET_SOCKET_KIND_STREAM ? "tcp" : "udp",
		       local, s->queued, s->session);
	}
	return 0;
}
