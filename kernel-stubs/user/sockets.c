/*
 * sockets.c: the libc shim's UDP sockets, on the network server
 * (idl/net.idl's Socket, published as "net"). A descriptor from
 * SOCKETS_FD_BASE on names one of the server's sockets on this program's
 * connection, made at the first call. When the server goes away (init
 * starts it again) the connection is dropped and its sockets with it: they
 * fail with EBADF, and new ones work on a new connection.
 *
 * recvfrom waits as long as it takes: the server defers its reply until a
 * datagram comes, so the connection's calls have no time limit.
 */
#include "files_int.h"
#include "kserve.h"
#include "net.h"

static kchan *connection;
static uint32_t generation = 1;

static struct socket_fd {
	bool used;
	uint32_t generation; /* the connection it was made on */
	uint32_t number;     /* the server's */
} sockets[SOCKETS_MAX];

static idl_endpoint *server(void)
{
	if (!connection) {
		sys_errno error;
		connection = kserve_connect_chan("net", NET_SOCKET_PROTOCOL, &error);
		if (!connection) {
			errno = error == SYS_ERRNO_NOT_FOUND ? ENOSYS : (int)error;
			return NULL;
		}
		idl_chan_end_endpoint(&connection->end)->timeout_ns = 0;
	}
	return idl_chan_end_endpoint(&connection->end);
}

/* A failed call's result as errno; -1. */
static int fail(int err, sys_errno error)
{
	if (err == IDL_E_REMOTE) {
		errno = (int)error;
	} else if (err == IDL_E_PEER_CLOSED) {
		errno = EPIPE;
		kserve_disconnect(connection);
		connection = NULL;
		generation++;
	} else {
		errno = ENOSYS;
	}
	return -1;
}

static struct socket_fd *socket_of(int fd)
{
	int i = fd - SOCKETS_FD_BASE;
	if (i < 0 || i >= SOCKETS_MAX || !sockets[i].used || sockets[i].generation != generation) {
		errno = EBADF;
		return NULL;
	}
	return &sockets[i];
}

int socket(int domain, int type, int protocol)
{
	if (domain != AF_INET || protocol != 0) {
		errno = ENOTSUP;
		return -1;
	}
	if (type != SOCK_DGRAM && type != SOCK_STREAM) {
		errno = EINVAL;
		return -1;
	}
	int i = 0;
	while (i < SOCKETS_MAX && sockets[i].used)
		i++;
	if (i == SOCKETS_MAX) {
		errno = EMFILE;
		return -1;
	}
	idl_endpoint *net = server();
	if (!net)
		return -1;
	net_socket_open_request req = {.kind = type == SOCK_DGRAM ? NET_SOCKET_KIND_DATAGRAM
	                                                          : NET_SOCKET_KIND_STREAM};
	net_socket_open_reply_buffer rb;
	const net_socket_open_reply *reply;
	sys_errno error;
	int err = net_socket_open(net, &req, &rb, &reply, &error);
	if (err != IDL_OK)
		return fail(err, error);
	sockets[i] = (struct socket_fd){true, generation, reply->socket};
	return SOCKETS_FD_BASE + i;
}

/* A sockaddr_in as the server's address; -1 (errno) if it is not one. */
static int address_from(const struct sockaddr *addr, socklen_t len, net_socket_address *out)
{
	if (!addr || len < sizeof(struct sockaddr_in) || addr->sa_family != AF_INET) {
		errno = EINVAL;
		return -1;
	}
	const struct sockaddr_in *in = (const struct sockaddr_in *)addr;
	uint32_t ip = ntohl(in->sin_addr.s_addr);
	*out = (net_socket_address){.ip = {.tag = NET_IP_ADDRESS_V4}, .port = ntohs(in->sin_port)};
	out->ip.v4[0] = (uint8_t)(ip >> 24);
	out->ip.v4[1] = (uint8_t)(ip >> 16);
	out->ip.v4[2] = (uint8_t)(ip >> 8);
	out->ip.v4[3] = (uint8_t)ip;
	return 0;
}

/* The server's address into a sockaddr_in of *len bytes (cut short if
 * smaller, as POSIX says); *len becomes its full size. */
static void address_to(const net_socket_address *a, struct sockaddr *addr, socklen_t *len)
{
	if (!addr || !len)
		return;
	struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons(a->port)};
	if (a->ip.tag == NET_IP_ADDRESS_V4)
		in.sin_addr.s_addr =
		    htonl((uint32_t)a->ip.v4[0] << 24 | (uint32_t)a->ip.v4[1] << 16 |
		          (uint32_t)a->ip.v4[2] << 8 | a->ip.v4[3]);
	memcpy(addr, &in, *len < sizeof(in) ? *len : sizeof(in));
	*len = sizeof(in);
}

int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	struct socket_fd *s = socket_of(fd);
	net_socket_bind_request req = {0};
	if (!s || address_from(addr, len, &req.addr) < 0)
		return -1;
	req.socket = s->number;
	net_socket_bind_reply_buffer rb;
	const net_socket_bind_reply *reply;
	sys_errno error;
	int err = net_socket_bind(server(), &req, &rb, &reply, &error);
	return err == IDL_OK ? 0 : fail(err, error);
}

ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to,
               socklen_t to_len)
{
	struct socket_fd *s = socket_of(fd);
	net_socket_send_to_request req = {0};
	if (!s || address_from(to, to_len, &req.to) < 0)
		return -1;
	if (flags != 0 || len > NET_MAX_DATAGRAM) {
		errno = EINVAL;
		return -1;
	}
	req.socket = s->number;
	req.data.size = (uint32_t)len;
	req.data.data = buf;
	net_socket_send_to_reply_buffer rb;
	const net_socket_send_to_reply *reply;
	sys_errno error;
	int err = net_socket_send_to(server(), &req, &rb, &reply, &error);
	return err == IDL_OK ? (ssize_t)reply->sent : fail(err, error);
}

ssize_t recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from,
                 socklen_t *from_len)
{
	struct socket_fd *s = socket_of(fd);
	if (!s)
		return -1;
	if (flags != 0) {
		errno = EINVAL;
		return -1;
	}
	net_socket_receive_from_request req = {
	    .socket = s->number, .max = len < NET_MAX_DATAGRAM ? (uint32_t)len : NET_MAX_DATAGRAM};
	static net_socket_receive_from_reply_buffer rb;
	const net_socket_receive_from_reply *reply;
	sys_errno error;
	int err = net_socket_receive_from(server(), &req, &rb, &reply, &error);
	if (err != IDL_OK)
		return fail(err, error);
	/* The server cut the datagram to max; a server that sent more is
	 * cut here too, rather than believed. */
	size_t n = reply->data.size < len ? reply->data.size : len;
	memcpy(buf, reply->data.data, n);
	address_to(&reply->from, from, from_len);
	return (ssize_t)n;
}

int getsockname(int fd, struct sockaddr *addr, socklen_t *len)
{
	struct socket_fd *s = socket_of(fd);
	if (!s)
		return -1;
	net_socket_local_address_request req = {.socket = s->number};
	net_socket_local_address_reply_buffer rb;
	const net_socket_local_address_reply *reply;
	sys_errno error;
	int err = net_socket_local_address(server(), &req, &rb, &reply, &error);
	if (err != IDL_OK)
		return fail(err, error);
	address_to(&reply->addr, addr, len);
	return 0;
}

int sockets_close(int fd)
{
	int i = fd - SOCKETS_FD_BASE;
	if (i < 0 || i >= SOCKETS_MAX || !sockets[i].used) {
		errno = EBADF;
		return -1;
	}
	sockets[i].used = false;
	if (sockets[i].generation != generation)
		return 0; /* its connection, and the socket with it, is gone */
	net_socket_close_request req = {.socket = sockets[i].number};
	net_socket_close_reply_buffer rb;
	const net_socket_close_reply *reply;
	sys_errno error;
	int err = net_socket_close(server(), &req, &rb, &reply, &error);
	return err == IDL_OK ? 0 : fail(err, error);
}
