/*
 * connect.c: the Linux port's client side: connect-by-name over abstract
 * UNIX sockets (or an end received as a handle), handle (file descriptor)
 * passing with SCM_RIGHTS, and what a descriptor names. idl/linux.h
 * describes the protocol; serve.c is the server side.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create, accept4, MSG_CMSG_CLOEXEC */
#endif
#include "port.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

socklen_t idl_linux_socket_name(struct sockaddr_un *addr, const char *name)
{
	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	/* Abstract namespace: leading NUL, nothing on the file system. */
	int n = snprintf(addr->sun_path + 1, sizeof(addr->sun_path) - 1, "idl/%s", name);
	if (n < 0 || (size_t)n >= sizeof(addr->sun_path) - 1)
		return 0;
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
}

int idl_linux_send_fds(int sock, const void *payload, size_t bytes, const int *fds, uint32_t count,
                       int flags)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * IDL_MAX_HANDLES)];
	} control;
	struct iovec iov = {.iov_base = (void *)payload, .iov_len = bytes};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	if (count > 0) {
		memset(&control, 0, sizeof(control));
		msg.msg_control = control.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * count);
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * count);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * count);
	}
	ssize_t n;
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL | flags);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return IDL_E_WOULD_BLOCK;
	return n == (ssize_t)bytes ? IDL_OK : IDL_E_TRANSPORT;
}

int idl_linux_receive_fds(int sock, void *payload, size_t bytes, int *fds, uint32_t room,
                          uint32_t *count, int flags)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * IDL_MAX_HANDLES)];
	} control;
	struct iovec iov = {.iov_base = payload, .iov_len = bytes};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	msg.msg_control = control.buf;
	msg.msg_controllen = sizeof(control.buf);
	ssize_t n;
	do
		n = recvmsg(sock, &msg, flags | MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return IDL_E_PROTOCOL;
	if (n == 0 && bytes > 0)
		return IDL_E_PEER_CLOSED;
	uint32_t got = 0;
	bool overflow = false;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (got < room)
				fds[got++] = fd;
			else {
				close(fd);
				overflow = true;
			}
		}
	}
	if (overflow || (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0 || (size_t)n != bytes) {
		for (uint32_t i = 0; i < got; i++)
			close(fds[i]);
		return IDL_E_PROTOCOL;
	}
	*count = got;
	return IDL_OK;
}

uint32_t idl_linux_handle_kind(int fd)
{
	struct stat st;
	if (fstat(fd, &st) != 0)
		return IDL_KIND_ANY;
	if (S_ISSOCK(st.st_mode)) {
		/* A channel end is a UNIX seqpacket socket, nothing else. */
		int domain = 0, type = 0;
		socklen_t n = sizeof(domain), m = sizeof(type);
		if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &n) == 0 &&
		    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &m) == 0 && domain == AF_UNIX &&
		    type == SOCK_SEQPACKET)
			return IDL_KIND_CHANNEL;
		return IDL_KIND_ANY;
	}
	/* Shared memory is a memfd that cannot shrink under its mappers (see
	 * shm.c): F_GET_SEALS fails on anything but a memfd. */
	int seals = fcntl(fd, F_GET_SEALS);
	if (S_ISREG(st.st_mode) && seals >= 0 && (seals & F_SEAL_SHRINK) != 0 &&
	    !idl_linux_refused_as_huge(fd))
		return IDL_KIND_SHM;
	return IDL_KIND_ANY;
}

/*
 * Each message is charged to the socket until the peer takes it, and a
 * peer that takes its frames but never reads the socket fills it. A server
 * never waits for room: one thread serves every client (it used to block
 * in sendmsg, and every other client with it), and the reply is lost, as
 * one that finds no room in the ring. A client waits as it waits for room
 * in the ring, up to its endpoint's timeout (it used to wait for good).
 */
static int send_handle_message(idl_linux_conn *c, const uint32_t header[2], const int *fds,
                               uint32_t count)
{
	uint64_t deadline = 0;
	for (;;) {
		int err = idl_linux_send_fds(c->sock, header, 2 * sizeof(uint32_t), fds, count,
		                             MSG_DONTWAIT);
		if (err != IDL_E_WOULD_BLOCK || c->end.side == IDL_CHAN_SERVER)
			return err;
		int ms = -1;
		if (c->end.ep.timeout_ns != 0) {
			uint64_t now = idl_os_now_ns();
			if (deadline == 0)
				deadline = now + c->end.ep.timeout_ns;
			if (now >= deadline)
				return IDL_E_TIMEOUT;
			uint64_t left = (deadline - now + 999999u) / 1000000u;
			ms = left > INT32_MAX ? INT32_MAX : (int)left;
		}
		struct pollfd p = {.fd = c->sock, .events = POLLOUT};
		if (poll(&p, 1, ms) < 0 && errno != EINTR)
			return IDL_E_TRANSPORT;
	}
}

/* The transfer ops: the handle words are sequence numbers. */
static int linux_send_handles(void *ctx, const idl_typed_handle *handles, uint32_t count,
                              uint32_t *wire)
{
	idl_linux_conn *c = ctx;
	int fds[IDL_MAX_HANDLES];
	for (uint32_t i = 0; i < count; i++) {
		fds[i] = (int)handles[i].value;
		/* A bug of the sender's is caught here, before the peer sees it. */
		if (handles[i].kind != IDL_KIND_ANY &&
		    idl_linux_handle_kind(fds[i]) != handles[i].kind)
			return IDL_E_HANDLE_KIND;
		wire[i] = c->send_seq + i;
	}
	uint32_t header[2] = {c->send_seq, count};
	int err = send_handle_message(c, header, fds, count);
	if (err == IDL_OK)
		c->send_seq += count;
	return err;
}

static int linux_receive_handles(void *ctx, const uint32_t *wire, uint32_t count,
                                 idl_typed_handle *handles)
{
	idl_linux_conn *c = ctx;
	uint32_t header[2];
	int fds[IDL_MAX_HANDLES];
	uint32_t got;
	/* Without waiting: the sender queued it before it published the frame
	 * that announced it. */
	int err = idl_linux_receive_fds(c->sock, header, sizeof(header), fds, IDL_MAX_HANDLES, &got,
	                                MSG_DONTWAIT);
	if (err != IDL_OK)
		return err;
	bool ok = header[0] == c->receive_seq && header[1] == count && got == count;
	for (uint32_t i = 0; ok && i < count; i++)
		ok = wire[i] == c->receive_seq + i;
	if (!ok) {
		for (uint32_t i = 0; i < got; i++)
			close(fds[i]);
		return IDL_E_PROTOCOL;
	}
	c->receive_seq += count;
	for (uint32_t i = 0; i < count; i++)
		handles[i] = (idl_typed_handle){(idl_handle)fds[i], idl_linux_handle_kind(fds[i])};
	return IDL_OK;
}

static void linux_release_handles(void *ctx, const idl_typed_handle *handles, uint32_t count)
{
	(void)ctx;
	for (uint32_t i = 0; i < count; i++)
		close((int)handles[i].value);
}

static bool linux_peer_alive(void *ctx)
{
	idl_linux_conn *c = ctx;
	struct pollfd p = {.fd = c->sock, .events = 0};
	/* POLLHUP: the peer's end of the socket is gone, so is the peer. */
	return poll(&p, 1, 0) == 0 || (p.revents & (POLLHUP | POLLERR)) == 0;
}

/* The most pages of old kicks either end empties at once: our servers'
 * pipes hold one (serve.c). A pipe the other side made larger and keeps
 * full then costs only that side's own kicks, never a loop without end. */
#define KICK_PIPE_PAGES 16

void idl_linux_empty_kick_pipe(int fd)
{
	uint8_t old[4096];
	for (int i = 0; i < KICK_PIPE_PAGES; i++)
		if (read(fd, old, sizeof(old)) != (ssize_t)sizeof(old))
			break;
}

/* The client's kick: a byte into its own writer of the kick pipe, whose
 * read end the server sleeps on, edge-triggered: every write wakes it,
 * whatever the pipe holds, so it never reads the pipe (a system call less
 * each time it wakes). The kicks pile up, and a full pipe refuses the next
 * one; then the client empties the pipe through its own reader and writes
 * again: the server was woken for the old kicks already. */
static void linux_kick(void *ctx)
{
	idl_linux_conn *c = ctx;
	uint8_t kick = 1;
	if (c->kick_fd < 0 || write(c->kick_fd, &kick, 1) == 1 || errno != EAGAIN)
		return;
	idl_linux_empty_kick_pipe(c->kick_reader);
	(void)!write(c->kick_fd, &kick, 1);
}

const idl_transfer_ops idl_linux_transfer = {
    .send_handles = linux_send_handles,
    .receive_handles = linux_receive_handles,
    .release_handles = linux_release_handles,
    .peer_alive = linux_peer_alive,
    .kick = linux_kick,
};

/* Where the server's hello announces `protocol` (0: its first interface);
 * -1 when it does not. */
static int announced(const idl_linux_hello *h, uint32_t protocol)
{
	for (uint32_t i = 0; i < h->protocol_count && i < IDL_SERVER_MAX_INTERFACES; i++)
		if (protocol == 0 || h->protocols[i] == protocol)
			return (int)i;
	return -1;
}

/*
 * What the hello says of the interface asked for: IDL_E_HANDLE_KIND when
 * the server does not serve it, IDL_E_VERSION when its version and ours
 * cannot talk (iface NULL: any version will do). Records the server's
 * version either way.
 */
static int check_hello(idl_linux_conn *conn, const idl_linux_hello *h, uint32_t protocol,
                       const idl_interface *iface)
{
	if (h->magic != IDL_LINUX_HELLO_MAGIC || h->version != IDL_CHAN_VERSION ||
	    h->slot >= IDL_DOORBELL_CHANNELS)
		return IDL_E_PROTOCOL;
	if (h->wire_version != IDL_WIRE_VERSION)
		return IDL_E_VERSION;
	int i = announced(h, protocol);
	if (i < 0)
		return protocol == 0 ? IDL_OK : IDL_E_HANDLE_KIND;
	conn->peer_version = h->versions[i];
	conn->peer_oldest = h->oldest[i];
	if (iface != NULL &&
	    !idl_versions_talk(iface->version, iface->oldest, h->versions[i], h->oldest[i]))
		return IDL_E_VERSION;
	return IDL_OK;
}

static void close_kick(idl_linux_conn *conn)
{
	if (conn->kick_fd >= 0)
		close(conn->kick_fd);
	if (conn->kick_reader >= 0)
		close(conn->kick_reader);
	conn->kick_fd = conn->kick_reader = -1;
}

/*
 * The kick the server sent (its write end of a pipe, which it keeps reading
 * from), made the client's own; takes fd. The server shares the open file
 * of what it sent, so it could clear O_NONBLOCK on it and fill the pipe,
 * and a write would then block us for good (it did, with an eventfd kick);
 * and it could close its reader, and a write would then raise SIGPIPE. So
 * the client opens the pipe again through /proc, for a writer of its own,
 * non-blocking whatever the server does, and a reader of its own, which it
 * never reads but which keeps the pipe from being without one. Anything
 * but a pipe (or a fifo) is refused; a client needs /proc.
 */
static int own_kick(idl_linux_conn *conn, int fd)
{
	struct stat st;
	char path[64];
	int err = IDL_E_PROTOCOL;
	if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode)) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		/* The reader first: a non-blocking writer needs one to open. */
		conn->kick_reader = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (conn->kick_reader >= 0)
			conn->kick_fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		err = conn->kick_fd >= 0 ? IDL_OK : IDL_E_TRANSPORT;
	}
	close(fd);
	return err;
}

/*
 * The most a server's regions may be: a channel of two rings of the
 * largest size, and a doorbell, each rounded up to the largest huge page
 * (1 GiB). A client maps each region whole, and a hostile server's sealed,
 * sparse memfd of a terabyte took a terabyte of the client's address space
 * (not memory) for as long as the connection lived.
 */
#define MOST_REGION_PAGE    (UINT64_C(1) << 30)
#define MOST_CHANNEL_BYTES  (3 * MOST_REGION_PAGE)
#define MOST_DOORBELL_BYTES MOST_REGION_PAGE
_Static_assert(IDL_CHAN_RINGS_OFFSET + 2 * (uint64_t)IDL_CHAN_MAX_RING_BYTES <= MOST_CHANNEL_BYTES,
               "the largest channel fits");

static bool regions_fit(int channel_fd, int doorbell_fd)
{
	uint64_t channel = 0, doorbell = 0;
	return idl_linux_region_size(channel_fd, &channel) == IDL_OK &&
	       idl_linux_region_size(doorbell_fd, &doorbell) == IDL_OK &&
	       channel <= MOST_CHANNEL_BYTES && doorbell <= MOST_DOORBELL_BYTES;
}

/* Waits for the server's hello on a connected socket and sets up conn. */
static int open_channel(idl_linux_conn *conn, uint32_t protocol, const idl_interface *iface,
                        int timeout_ms)
{
	struct pollfd p = {.fd = conn->sock, .events = POLLIN};
	idl_linux_hello h;
	int fds[IDL_LINUX_HELLO_FDS];
	uint32_t got = 0;
	int err = IDL_E_TIMEOUT;
	if (poll(&p, 1, timeout_ms) == 1)
		err = idl_linux_receive_fds(conn->sock, &h, sizeof(h), fds, IDL_LINUX_HELLO_FDS,
		                            &got, MSG_DONTWAIT);
	if (err == IDL_OK)
		err = got != IDL_LINUX_HELLO_FDS ? IDL_E_PROTOCOL
		                                 : check_hello(conn, &h, protocol, iface);
	if (err != IDL_OK) {
		for (uint32_t i = 0; i < got; i++)
			close(fds[i]);
		got = 0;
	}
	if (err == IDL_OK) {
		err = own_kick(conn, fds[2]);
		if (err == IDL_OK && !regions_fit(fds[0], fds[1]))
			err = IDL_E_PROTOCOL;
		if (err != IDL_OK) { /* the regions were never mapped: close them */
			close(fds[0]);
			close(fds[1]);
		}
	}
	if (err == IDL_OK) {
		err = idl_linux_region_map(&conn->channel, fds[0]);
		int db_err = idl_linux_region_map(&conn->doorbell, fds[1]);
		if (err == IDL_OK &&
		    (db_err != IDL_OK || conn->doorbell.bytes < sizeof(idl_doorbell)))
			err = IDL_E_PROTOCOL;
	}
	if (err == IDL_OK)
		err = idl_chan_end_init(&conn->end, conn->channel.base, conn->channel.bytes,
		                        IDL_CHAN_CLIENT);
	if (err == IDL_OK)
		idl_linux_chan_populate(&conn->channel, conn->end.rx.bytes);
	if (err != IDL_OK) {
		idl_linux_region_close(&conn->channel);
		idl_linux_region_close(&conn->doorbell);
		close_kick(conn);
		close(conn->sock);
		conn->sock = -1;
		return err;
	}
	/* Private room for any frame the server may send (an event larger than
	 * the reply buffer of the call that waits, say): mapped, so that its
	 * pages cost nothing until a frame needs them. */
	conn->scratch_bytes = conn->end.rx.max_frame;
	conn->scratch = mmap(NULL, conn->scratch_bytes, PROT_READ | PROT_WRITE,
	                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (conn->scratch == MAP_FAILED) {
		conn->scratch = NULL;
		idl_linux_conn_close(conn);
		return IDL_E_TRANSPORT;
	}
	idl_chan_end_set_scratch(&conn->end, conn->scratch, conn->scratch_bytes);
	idl_chan_end_set_doorbell(&conn->end, conn->doorbell.base, h.slot);
	idl_chan_end_set_transfer(&conn->end, &idl_linux_transfer, conn);
	/* Registered before the first frame: the server's fences cover us. */
	conn->end.light_fence =
	    (h.flags & IDL_LINUX_HELLO_FENCES) != 0 && idl_linux_fences_register();
	return IDL_OK;
}

static void conn_reset(idl_linux_conn *conn)
{
	memset(conn, 0, sizeof(*conn));
	conn->channel.fd = conn->doorbell.fd = -1;
	conn->sock = conn->kick_fd = conn->kick_reader = -1;
}

static int connect_by_name(idl_linux_conn *conn, const char *name, uint32_t protocol,
                           const idl_interface *iface, int timeout_ms)
{
	conn_reset(conn);
	struct sockaddr_un addr;
	socklen_t len = idl_linux_socket_name(&addr, name);
	if (len == 0)
		return IDL_E_INVALID_ARGUMENT;
	conn->sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (conn->sock < 0)
		return IDL_E_TRANSPORT;
	if (connect(conn->sock, (struct sockaddr *)&addr, len) != 0) {
		close(conn->sock);
		conn->sock = -1;
		return IDL_E_TRANSPORT;
	}
	return open_channel(conn, protocol, iface, timeout_ms);
}

int idl_linux_connect(idl_linux_conn *conn, const char *name, uint32_t protocol, int timeout_ms)
{
	return connect_by_name(conn, name, protocol, NULL, timeout_ms);
}

int idl_linux_connect_interface(idl_linux_conn *conn, const char *name, const idl_interface *iface,
                                int timeout_ms)
{
	return connect_by_name(conn, name, iface->protocol, iface, timeout_ms);
}

int idl_linux_conn_open(idl_linux_conn *conn, int sock, uint32_t protocol, int timeout_ms)
{
	conn_reset(conn);
	if (idl_linux_handle_kind(sock) != IDL_KIND_CHANNEL) {
		close(sock);
		return IDL_E_HANDLE_KIND;
	}
	conn->sock = sock;
	return open_channel(conn, protocol, NULL, timeout_ms);
}

int idl_linux_version_text(const idl_linux_conn *conn, const idl_interface *iface, char *buf,
                           size_t size)
{
	return snprintf(buf, size,
	                "%s: the server speaks version %u (and talks to %u and later); this "
	                "program speaks version %u (and talks to %u and later)",
	                iface->name, conn->peer_version, conn->peer_oldest, iface->version,
	                iface->oldest);
}

void idl_linux_conn_close(idl_linux_conn *conn)
{
	if (conn->channel.base != NULL)
		idl_chan_end_close(&conn->end);
	idl_linux_region_close(&conn->channel);
	idl_linux_region_close(&conn->doorbell);
	if (conn->scratch != NULL)
		munmap(conn->scratch, conn->scratch_bytes);
	conn->scratch = NULL;
	if (conn->sock >= 0)
		close(conn->sock);
	conn->sock = -1;
	close_kick(conn);
}
