/*
 * connect.c: connect-by-name over abstract UNIX sockets, the accept thread,
 * and handle (file descriptor) passing with SCM_RIGHTS. idl/linux.h
 * describes the protocol.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create, accept4, MSG_CMSG_CLOEXEC */
#endif
#include "idl/linux.h"

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

#define HELLO_MAGIC 0x6f6c6568u /* "helo" */

/* What the server tells a new client, beside the two descriptors. */
typedef struct hello {
	uint32_t magic;
	uint32_t version;
	uint32_t slot;
	uint32_t reserved;
} hello;

/* Server-side connection states. */
enum {
	CONN_FREE,
	CONN_SETUP,
	CONN_SERVING,
	CONN_CLOSED
};

static socklen_t socket_name(struct sockaddr_un *addr, const char *name)
{
	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	/* Abstract namespace: leading NUL, nothing on the file system. */
	int n = snprintf(addr->sun_path + 1, sizeof(addr->sun_path) - 1, "idl/%s", name);
	if (n < 0 || (size_t)n >= sizeof(addr->sun_path) - 1)
		return 0;
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
}

/* Sends payload with up to IDL_MAX_HANDLES descriptors. */
static int send_fds(int sock, const void *payload, size_t bytes, const int *fds, uint32_t count)
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
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)bytes ? IDL_OK : IDL_E_TRANSPORT;
}

/*
 * Receives one message of exactly `bytes` and its descriptors (at most
 * `room`). Without waiting: the sender queued it before publishing the
 * frame that announced it. Any surprise closes what came and fails.
 */
static int receive_fds(int sock, void *payload, size_t bytes, int *fds, uint32_t room,
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
	if (S_ISREG(st.st_mode) && seals >= 0 && (seals & F_SEAL_SHRINK) != 0)
		return IDL_KIND_SHM;
	return IDL_KIND_ANY;
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
	int err = send_fds(c->sock, header, sizeof(header), fds, count);
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
	int err =
	    receive_fds(c->sock, header, sizeof(header), fds, IDL_MAX_HANDLES, &got, MSG_DONTWAIT);
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

const idl_transfer_ops idl_linux_transfer = {
    .send_handles = linux_send_handles,
    .receive_handles = linux_receive_handles,
    .release_handles = linux_release_handles,
    .peer_alive = linux_peer_alive,
};

int idl_linux_connect(idl_linux_conn *conn, const char *name, int timeout_ms)
{
	memset(conn, 0, sizeof(*conn));
	conn->channel.fd = conn->doorbell.fd = -1;
	struct sockaddr_un addr;
	socklen_t len = socket_name(&addr, name);
	if (len == 0)
		return IDL_E_INVALID_ARGUMENT;
	conn->sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (conn->sock < 0)
		return IDL_E_TRANSPORT;
	if (connect(conn->sock, (struct sockaddr *)&addr, len) != 0) {
		close(conn->sock);
		return IDL_E_TRANSPORT;
	}
	struct pollfd p = {.fd = conn->sock, .events = POLLIN};
	hello h;
	int fds[2];
	uint32_t got = 0;
	int err = IDL_E_TIMEOUT;
	if (poll(&p, 1, timeout_ms) == 1)
		err = receive_fds(conn->sock, &h, sizeof(h), fds, 2, &got, MSG_DONTWAIT);
	if (err == IDL_OK && (got != 2 || h.magic != HELLO_MAGIC || h.version != IDL_CHAN_VERSION ||
	                      h.slot >= IDL_DOORBELL_CHANNELS)) {
		for (uint32_t i = 0; i < got; i++)
			close(fds[i]);
		err = IDL_E_PROTOCOL;
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
		idl_linux_region_populate(&conn->channel,
		                          idl_chan_region_bytes(conn->end.rx.bytes));
	if (err != IDL_OK) {
		idl_linux_region_close(&conn->channel);
		idl_linux_region_close(&conn->doorbell);
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
	return IDL_OK;
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
}

/* Acceptor thread: sets up one client, then hands it to the server thread. */
static void accept_one(idl_linux_server *ls, int sock)
{
	uint32_t slot = 0;
	for (; slot < ls->server.capacity; slot++) {
		uint32_t expected = CONN_FREE;
		if (atomic_compare_exchange_strong(&ls->conns[slot].state, &expected, CONN_SETUP))
			break;
	}
	if (slot == ls->server.capacity) {
		close(sock); /* full: the client sees the hang-up */
		return;
	}
	idl_linux_conn *c = &ls->conns[slot];
	c->sock = sock;
	c->send_seq = c->receive_seq = 0;
	c->doorbell.fd = -1;
	c->doorbell.base = NULL;
	size_t bytes = idl_chan_region_bytes(ls->ring_bytes);
	int err;
	if (atomic_load(&ls->huge_pages) &&
	    idl_linux_region_create_huge(&c->channel, "idl-channel", bytes) == IDL_OK) {
		atomic_fetch_add(&ls->huge_channels, 1);
		err = IDL_OK;
	} else {
		/* Not asked for, or the pool is empty: ordinary pages. */
		err = idl_linux_region_create(&c->channel, "idl-channel", bytes);
	}
	if (err == IDL_OK)
		err = idl_chan_format(c->channel.base, bytes, ls->ring_bytes, ls->max_frame_bytes);
	if (err == IDL_OK)
		err = idl_chan_end_init(&c->end, c->channel.base, bytes, IDL_CHAN_SERVER);
	if (err == IDL_OK) {
		idl_linux_region_populate(&c->channel, bytes);
		idl_chan_end_set_transfer(&c->end, &idl_linux_transfer, c);
		c->end.nonblock = true; /* the loop checks for room before it takes a request */
		hello h = {.magic = HELLO_MAGIC, .version = IDL_CHAN_VERSION, .slot = slot};
		int fds[2] = {c->channel.fd, ls->doorbell.fd};
		err = send_fds(sock, &h, sizeof(h), fds, 2);
	}
	if (err != IDL_OK) {
		idl_linux_region_close(&c->channel);
		close(sock);
		atomic_store(&c->state, CONN_FREE);
		return;
	}
	atomic_fetch_or(&ls->adding[slot / 32], 1u << (slot % 32));
	atomic_fetch_or(&ls->adding_summary, 1u << (slot / 32));
	idl_server_interrupt(&ls->server);
}

static void *acceptor(void *arg)
{
	idl_linux_server *ls = arg;
	while (!atomic_load(&ls->stop)) {
		struct pollfd p = {.fd = ls->listen_fd, .events = POLLIN};
		if (poll(&p, 1, 100) != 1)
			continue;
		int sock = accept4(ls->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (sock >= 0)
			accept_one(ls, sock);
	}
	return NULL;
}

/* Server thread: installs what the acceptor set up. It runs before every
 * poll, so the common case (nobody new) costs one load. */
static void install_new(idl_linux_server *ls)
{
	if (atomic_load_explicit(&ls->adding_summary, memory_order_relaxed) == 0)
		return;
	uint32_t words = atomic_exchange(&ls->adding_summary, 0);
	while (words != 0) {
		uint32_t w = (uint32_t)__builtin_ctz(words);
		words &= words - 1;
		uint32_t bits = atomic_exchange(&ls->adding[w], 0);
		while (bits != 0) {
			uint32_t slot = 32 * w + (uint32_t)__builtin_ctz(bits);
			bits &= bits - 1;
			idl_linux_conn *c = &ls->conns[slot];
			atomic_store(&c->state, CONN_SERVING);
			idl_chan_end_set_doorbell(&c->end, ls->doorbell.base, slot);
			c->end.batching = true;
			ls->server.slots[slot] = &c->end;
			idl_doorbell_ring(ls->doorbell.base, slot);
		}
	}
}

static void closed(void *ctx, uint32_t slot, idl_chan_end *end, int reason)
{
	idl_linux_server *ls = ctx;
	if (ls->on_close != NULL)
		ls->on_close(ls->close_ctx, slot, end, reason);
	idl_linux_conn *c = &ls->conns[slot];
	idl_linux_region_close(&c->channel);
	close(c->sock);
	c->sock = -1;
	atomic_store(&c->state, CONN_FREE);
}

int idl_linux_server_open(idl_linux_server *ls, const char *name, idl_linux_conn *conns,
                          idl_chan_end **slots, uint32_t capacity, uint32_t ring_bytes,
                          uint32_t max_frame_bytes, idl_frame_handler handler, void *ctx, void *buf,
                          size_t buf_bytes)
{
	memset(ls, 0, sizeof(*ls));
	ls->listen_fd = -1;
	if (capacity > IDL_DOORBELL_CHANNELS)
		capacity = IDL_DOORBELL_CHANNELS;
	ls->conns = conns;
	ls->ring_bytes = ring_bytes;
	ls->max_frame_bytes = max_frame_bytes;
	for (uint32_t i = 0; i < capacity; i++) {
		memset(&conns[i], 0, sizeof(conns[i]));
		conns[i].sock = conns[i].channel.fd = conns[i].doorbell.fd = -1;
	}
	/* Checked once here, so the acceptor's formatting cannot fail later. */
	if ((ring_bytes & (ring_bytes - 1)) != 0 ||
	    ring_bytes < IDL_RING_MIN_BYTES(max_frame_bytes) || (max_frame_bytes & 7) != 0 ||
	    max_frame_bytes < IDL_FRAME_HEADER_BYTES)
		return IDL_E_INVALID_ARGUMENT;
	int err = idl_linux_region_create(&ls->doorbell, "idl-doorbell", sizeof(idl_doorbell));
	if (err != IDL_OK)
		return err;
	idl_doorbell_init(ls->doorbell.base);
	idl_server_init(&ls->server, ls->doorbell.base, slots, capacity, handler, ctx, buf,
	                buf_bytes);
	idl_server_set_close(&ls->server, closed, ls);
	struct sockaddr_un addr;
	socklen_t len = socket_name(&addr, name);
	ls->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (len == 0 || ls->listen_fd < 0 ||
	    bind(ls->listen_fd, (struct sockaddr *)&addr, len) != 0 ||
	    listen(ls->listen_fd, 64) != 0) {
		idl_linux_server_close(ls);
		return IDL_E_TRANSPORT;
	}
	return IDL_OK;
}

void idl_linux_server_use_huge_pages(idl_linux_server *ls, bool on)
{
	atomic_store(&ls->huge_pages, on);
}

int idl_linux_server_run(idl_linux_server *ls)
{
	/* Clients wait in the listen queue until now, so that every one of
	 * them gets the settings made since open. */
	if (!ls->acceptor_running) {
		if (pthread_create(&ls->acceptor, NULL, acceptor, ls) != 0)
			return IDL_E_TRANSPORT;
		ls->acceptor_running = true;
	}
	ls->server.stop = &ls->stop;
	while (!atomic_load(&ls->stop)) {
		install_new(ls);
		(void)idl_server_poll(&ls->server, 0);
	}
	return IDL_OK;
}

void idl_linux_server_stop(idl_linux_server *ls)
{
	atomic_store(&ls->stop, true);
	idl_server_interrupt(&ls->server);
}

void idl_linux_server_close(idl_linux_server *ls)
{
	atomic_store(&ls->stop, true);
	if (ls->acceptor_running)
		pthread_join(ls->acceptor, NULL);
	ls->acceptor_running = false;
	install_new(ls); /* so that set-up channels are closed below too */
	for (uint32_t i = 0; i < ls->server.capacity; i++)
		if (ls->server.slots != NULL && ls->server.slots[i] != NULL) {
			idl_chan_end_close(ls->server.slots[i]);
			closed(ls, i, ls->server.slots[i], IDL_E_PEER_CLOSED);
			ls->server.slots[i] = NULL;
		}
	if (ls->listen_fd >= 0)
		close(ls->listen_fd);
	ls->listen_fd = -1;
	idl_linux_region_close(&ls->doorbell);
}
