/*
 * udp_forward.c: the reference system's network, on the host: it forwards
 * UDP port HOSTPORT of 127.0.0.1 to the guest's port 7, and nothing else.
 *
 *   udp_forward HOSTPORT LINK_SOCKET QEMU_SOCKET
 *
 * QEMU's virtio-net card is joined to this program by a pair of Unix
 * datagram sockets (-netdev dgram,local.type=unix: QEMU_SOCKET is QEMU's
 * end, LINK_SOCKET ours), one Ethernet frame per datagram. On that link the
 * program plays the host 10.0.2.2, as QEMU's user-mode network would: it
 * answers ARP for 10.0.2.2 and asks for 10.0.2.15. A datagram that comes
 * to 127.0.0.1:HOSTPORT from 127.0.0.1:CPORT goes to 10.0.2.15:7 from
 * 10.0.2.2:CPORT; a datagram from 10.0.2.15:7 to 10.0.2.2:CPORT goes back
 * to 127.0.0.1:CPORT. Every other frame the guest sends is dropped and
 * counted: the guest reaches nothing through this link but the clients of
 * the forwarded port, and they must be on 127.0.0.1.
 *
 * Why not QEMU's user-mode network with restrict=on and
 * hostfwd=udp:127.0.0.1:HOSTPORT-:7, which promises the same: libslirp
 * (4.7.0 in Debian 12, and its later versions) drops every UDP datagram a
 * restricted guest sends, replies to forwarded ones included, so the echo
 * never comes back; and without restrict=on the guest could reach the
 * host's own services through 10.0.2.2, and whatever lies beyond.
 *
 * It runs until killed (SIGTERM or SIGINT), and then prints what it carried
 * and dropped on standard error.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define HOST_IP    0x0a000202u /* 10.0.2.2: this program, on the link */
#define GUEST_IP   0x0a00020fu /* 10.0.2.15 */
#define GUEST_PORT 7
#define ETH_HEADER 14
#define IP_HEADER  20
#define UDP_HEADER 8
#define MAX_FRAME  1514
#define MAX_UDP    (MAX_FRAME - ETH_HEADER - IP_HEADER - UDP_HEADER)
#define WAITING    64  /* client datagrams kept while the guest's MAC is unknown */
#define ARP_RETRY  200 /* ms between ARP requests while some wait */

static const uint8_t host_mac[6] = {0x52, 0x55, 0x0a, 0x00, 0x02, 0x02};
static uint8_t guest_mac[6];
static bool guest_known;

static int client_fd, link_fd;
static struct sockaddr_un qemu_addr;

static struct {
	uint64_t to_guest, to_clients, arp_answered, waited, lost_waiting, dropped, bad;
} count;

static struct waiting {
	uint16_t port;
	uint16_t length;
	uint8_t bytes[MAX_UDP];
} waiting[WAITING];
static int waiting_count;

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

/* The Internet checksum (RFC 1071) over pieces: start with sum 0. */
static uint32_t sum16(uint32_t sum, const uint8_t *p, size_t n)
{
	for (; n > 1; p += 2, n -= 2)
		sum += get16(p);
	if (n)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void send_frame(const uint8_t *frame, size_t length)
{
	uint8_t padded[60] = {0};
	if (length < sizeof(padded)) { /* Ethernet's minimum */
		memcpy(padded, frame, length);
		frame = padded;
		length = sizeof(padded);
	}
	sendto(link_fd, frame, length, 0, (struct sockaddr *)&qemu_addr, sizeof(qemu_addr));
}

/* An ARP packet: op 1 (request) or 2 (reply). */
static void send_arp(int op, const uint8_t *target_mac, uint32_t target_ip)
{
	static const uint8_t broadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	uint8_t f[ETH_HEADER + 28] = {0};
	memcpy(f, op == 1 ? broadcast : target_mac, 6);
	memcpy(f + 6, host_mac, 6);
	put16(f + 12, 0x0806);
	uint8_t *a = f + ETH_HEADER;
	put16(a, 1);          /* Ethernet */
	put16(a + 2, 0x0800); /* IPv4 */
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, (uint16_t)op);
	memcpy(a + 8, host_mac, 6);
	put32(a + 14, HOST_IP);
	if (op == 2)
		memcpy(a + 18, target_mac, 6);
	put32(a + 24, target_ip);
	send_frame(f, sizeof(f));
}

/* A client's datagram to the guest's port 7, from 10.0.2.2:port. */
static void send_udp(uint16_t port, const uint8_t *data, size_t n)
{
	uint8_t f[MAX_FRAME];
	memcpy(f, guest_mac, 6);
	memcpy(f + 6, host_mac, 6);
	put16(f + 12, 0x0800);
	uint8_t *ip = f + ETH_HEADER, *udp = ip + IP_HEADER;
	static uint16_t id;
	memset(ip, 0, IP_HEADER);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(IP_HEADER + UDP_HEADER + n));
	put16(ip + 4, id++);
	ip[8] = 64;
	ip[9] = 17;
	put32(ip + 12, HOST_IP);
	put32(ip + 16, GUEST_IP);
	put16(ip + 10, fold(sum16(0, ip, IP_HEADER)));
	put16(udp, port);
	put16(udp + 2, GUEST_PORT);
	put16(udp + 4, (uint16_t)(UDP_HEADER + n));
	put16(udp + 6, 0);
	memcpy(udp + UDP_HEADER, data, n);
	/* The pseudo-header, then the datagram. */
	uint8_t pseudo[12];
	memcpy(pseudo, ip + 12, 8);
	pseudo[8] = 0;
	pseudo[9] = 17;
	put16(pseudo + 10, (uint16_t)(UDP_HEADER + n));
	uint16_t c = fold(sum16(sum16(0, pseudo, 12), udp, UDP_HEADER + n));
	put16(udp + 6, c ? c : 0xffff);
	send_frame(f, ETH_HEADER + IP_HEADER + UDP_HEADER + n);
	count.to_guest++;
}

static void flush_waiting(void)
{
	for (int i = 0; i < waiting_count; i++)
		send_udp(waiting[i].port, waiting[i].bytes, waiting[i].length);
	waiting_count = 0;
}

static void from_client(void)
{
	uint8_t data[MAX_UDP + 1];
	struct sockaddr_in from;
	socklen_t len = sizeof(from);
	ssize_t n = recvfrom(client_fd, data, sizeof(data), 0, (struct sockaddr *)&from, &len);
	if (n < 0)
		return;
	if (from.sin_addr.s_addr != htonl(INADDR_LOOPBACK) || n > MAX_UDP) {
		count.dropped++; /* only 127.0.0.1, and only what fits a frame */
		return;
	}
	uint16_t port = ntohs(from.sin_port);
	if (guest_known) {
		send_udp(port, data, (size_t)n);
		return;
	}
	if (waiting_count == WAITING) {
		count.lost_waiting++;
		return;
	}
	waiting[waiting_count++] = (struct waiting){port, (uint16_t)n, {0}};
	memcpy(waiting[waiting_count - 1].bytes, data, (size_t)n);
	count.waited++;
	send_arp(1, NULL, GUEST_IP);
}

static void from_guest_arp(const uint8_t *a, size_t n)
{
	if (n < 28 || get16(a) != 1 || get16(a + 2) != 0x0800 || a[4] != 6 || a[5] != 4) {
		count.bad++;
		return;
	}
	uint16_t op = get16(a + 6);
	uint32_t sender = get32(a + 14), target = get32(a + 24);
	if (sender != GUEST_IP || target != HOST_IP) {
		count.dropped++; /* the guest asks for no one else here */
		return;
	}
	memcpy(guest_mac, a + 8, 6);
	guest_known = true;
	if (op == 1) {
		send_arp(2, guest_mac, GUEST_IP);
		count.arp_answered++;
	}
	flush_waiting();
}

static void from_guest_ip(const uint8_t *ip, size_t n)
{
	if (n < IP_HEADER || ip[0] != 0x45 || fold(sum16(0, ip, IP_HEADER)) != 0 ||
	    get16(ip + 2) < IP_HEADER + UDP_HEADER || get16(ip + 2) > n) {
		count.bad++;
		return;
	}
	n = get16(ip + 2);
	const uint8_t *udp = ip + IP_HEADER;
	if (ip[9] != 17 || get32(ip + 12) != GUEST_IP || get32(ip + 16) != HOST_IP ||
	    get16(udp) != GUEST_PORT || (get16(ip + 6) & 0x3fff) != 0) {
		count.dropped++; /* not a reply of the echo service: it goes nowhere */
		return;
	}
	size_t length = get16(udp + 4);
	if (length < UDP_HEADER || length > n - IP_HEADER) {
		count.bad++;
		return;
	}
	if (get16(udp + 6) != 0) {
		uint8_t pseudo[12];
		memcpy(pseudo, ip + 12, 8);
		pseudo[8] = 0;
		pseudo[9] = 17;
		put16(pseudo + 10, (uint16_t)length);
		if (fold(sum16(sum16(0, pseudo, 12), udp, length)) != 0) {
			count.bad++;
			return;
		}
	}
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(get16(udp + 2))};
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sendto(client_fd, udp + UDP_HEADER, length - UDP_HEADER, 0, (struct sockaddr *)&to,
	       sizeof(to));
	count.to_clients++;
}

static void from_guest(void)
{
	uint8_t f[MAX_FRAME + 64];
	ssize_t n = recv(link_fd, f, sizeof(f), 0);
	if (n < 0)
		return;
	if (n < ETH_HEADER || n > MAX_FRAME) {
		count.bad++;
		return;
	}
	uint16_t type = get16(f + 12);
	if (type == 0x0806)
		from_guest_arp(f + ETH_HEADER, (size_t)n - ETH_HEADER);
	else if (type == 0x0800 && memcmp(f, host_mac, 6) == 0)
		from_guest_ip(f + ETH_HEADER, (size_t)n - ETH_HEADER);
	else
		count.dropped++;
}

static int unix_socket(const char *path, struct sockaddr_un *addr)
{
	*addr = (struct sockaddr_un){.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(addr->sun_path)) {
		fprintf(stderr, "udp_forward: socket path too long: %s\n", path);
		exit(2);
	}
	strcpy(addr->sun_path, path);
	return socket(AF_UNIX, SOCK_DGRAM, 0);
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: udp_forward HOSTPORT LINK_SOCKET QEMU_SOCKET\n");
		return 2;
	}
	int port = atoi(argv[1]);
	struct sockaddr_un link_addr;
	link_fd = unix_socket(argv[2], &link_addr);
	unix_socket(argv[3], &qemu_addr);
	unlink(argv[2]);
	client_fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in at = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (port < 1 || port > 65535 || link_fd < 0 || client_fd < 0 ||
	    bind(link_fd, (struct sockaddr *)&link_addr, sizeof(link_addr)) < 0 ||
	    bind(client_fd, (struct sockaddr *)&at, sizeof(at)) < 0) {
		fprintf(stderr, "udp_forward: cannot listen on 127.0.0.1:%s or %s: %s\n", argv[1],
		        argv[2], strerror(errno));
		return 1;
	}
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	while (!stop) {
		struct pollfd p[2] = {{.fd = client_fd, .events = POLLIN},
		                      {.fd = link_fd, .events = POLLIN}};
		int ready = poll(p, 2, waiting_count ? ARP_RETRY : -1);
		if (ready == 0 && waiting_count)
			send_arp(1, NULL, GUEST_IP); /* still no answer: ask again */
		if (ready > 0 && (p[0].revents & POLLIN))
			from_client();
		if (ready > 0 && (p[1].revents & POLLIN))
			from_guest();
	}
	unlink(argv[2]);
	fprintf(stderr,
	        "udp_forward: %lu datagrams to the guest (%lu waited for ARP, %lu lost waiting), "
	        "%lu back to clients; %lu ARP requests answered; guest frames dropped: %lu going "
	        "elsewhere, %lu malformed\n",
	        (unsigned long)count.to_guest, (unsigned long)count.waited,
	        (unsigned long)count.lost_waiting, (unsigned long)count.to_clients,
	        (unsigned long)count.arp_answered, (unsigned long)count.dropped,
	        (unsigned long)count.bad);
	return 0;
}
