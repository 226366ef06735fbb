/*
 * udpecho.c: the echo service (RFC 862) over UDP: every datagram that
 * comes to port 7 goes back to its sender unchanged. Init starts it when
 * the system has a network card. It uses nothing but the libc shim's
 * sockets, like any program would.
 *
 * When the network server goes away (init starts it again), the socket
 * dies with its connection: udpecho makes a new one and binds it again.
 */
#include "posix.h"
#include "ulib.h"

#define ECHO_PORT 7

/* A socket bound to the echo port, or -1. While the network server starts
 * again, socket() waits for it (the directory's lookup answers WOULD_BLOCK
 * until it is back), so one try is enough. */
static int open_echo_socket(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd >= 0) {
		struct sockaddr_in at = {
		    .sin_family = AF_INET, .sin_port = htons(ECHO_PORT), .sin_addr = {INADDR_ANY}};
		if (bind(fd, (const struct sockaddr *)&at, sizeof(at)) == 0)
			return fd;
		close(fd);
	}
	printf("udpecho: cannot bind port %d: %s\n", ECHO_PORT, strerror(errno));
	return -1;
}

int umain(const char *args, long nhandles)
{
	(void)args, (void)nhandles;
	static uint8_t datagram[1500];
	int fd = open_echo_socket();
	if (fd < 0)
		return 1;
	printf("udpecho: echoing UDP datagrams on port %d\n", ECHO_PORT);
	for (;;) {
		struct sockaddr_in from;
		socklen_t from_len = sizeof(from);
		ssize_t n = recvfrom(fd, datagram, sizeof(datagram), 0, (struct sockaddr *)&from,
		                     &from_len);
		if (n >= 0) {
			/* A datagram the server could not send is lost: UDP allows
			 * that, and the next one may go. */
			sendto(fd, datagram, (size_t)n, 0, (const struct sockaddr *)&from,
			       from_len);
			continue;
		}
		printf("udpecho: receiving: %s; binding again\n", strerror(errno));
		close(fd);
		if ((fd = open_echo_socket()) < 0)
			return 1;
	}
}
