/*
 * serve.c: the Linux port's server side: a listening socket (bound to a
 * name, or handed over), an accept thread that sets up each new client's
 * channel, and the idl_server thread that serves them all (idl/linux.h).
 *
 * One client must not take the server down: the accept thread closes a
 * connection at once when the server is full or its client holds its
 * share of sessions, and when the process is out of descriptors it still
 * takes the connection off the queue (with a descriptor kept spare for
 * that) and closes it, then backs off, instead of polling a queue it
 * cannot empty as fast as it can.
 *
 * Nothing here wakes on a timer: the accept thread sleeps in epoll_wait on
 * the listening socket, an eventfd that stop writes, and every client's
 * socket (a hang-up: the client died), and the server thread sleeps in
 * epoll_wait on every client's kick pipe and an interrupt eventfd (the
 * idl_server_port below). An idle server makes no wake-ups at all.
 *
 * A kick is a pipe of the client's own: the server creates it, keeps its
 * read end and hands the client the write end, so no other client can
 * clear a kick (docs/runtime.md, "Waking the server"). The client opens
 * the pipe again through /proc (connect.c), for a writer and a reader of
 * its own: the server cannot make its writes block by clearing O_NONBLOCK
 * (an eventfd's write, shared with the server, blocked on a full counter
 * once the server cleared it), nor raise SIGPIPE in it by closing its
 * reader. Our read ends are edge triggered, and every write to a pipe wakes
 * an epoll waiter, so the server never reads them: each pipe holds one page
 * of kicks, and a client whose pipe is full empties it itself (connect.c).
 * Linux 5.5 to 5.13 woke an epoll waiter only for a write to an empty pipe;
 * on such a kernel (kicks_pile_up says) the server empties a pipe when it
 * fires, as it did before.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* accept4, struct ucred */
#endif
#include "port.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

/* Server-side connection states. */
enum {
	CONN_FREE,
	CONN_SETUP,
	CONN_SERVING
};

/* What an epoll event of the accept thread is about: a client's socket
 * (its slot), the listening socket, or the wake eventfd. */
#define EVENT_LISTEN ((uint64_t)1 << 32)
#define EVENT_WAKE   ((uint64_t)2 << 32)

/* What an event of the server thread's sleep is about: a client's kick
 * (its slot) or an interrupt. */
#define EVENT_INTERRUPT UINT32_MAX

/*
 * Whether a write to a pipe that already holds bytes wakes an edge-triggered
 * epoll waiter, as Linux does since 5.14 (and did before 5.5). Asked once,
 * of a pipe of our own.
 */
static bool kicks_pile_up(void)
{
	int ends[2], ep = epoll_create1(EPOLL_CLOEXEC);
	bool woken = false;
	if (ep >= 0 && pipe2(ends, O_CLOEXEC | O_NONBLOCK) == 0) {
		struct epoll_event in = {.events = EPOLLIN | EPOLLET}, out;
		uint8_t kick = 1;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, ends[0], &in) == 0 &&
		    write(ends[1], &kick, 1) == 1 && epoll_wait(ep, &out, 1, 0) == 1 &&
		    write(ends[1], &kick, 1) == 1)
			woken = epoll_wait(ep, &out, 1, 0) == 1;
		close(ends[0]);
		close(ends[1]);
	}
	if (ep >= 0)
		close(ep);
	return woken;
}

static uint32_t port_sleep(void *ctx, uint64_t timeout_ns, uint32_t *kicked)
{
	idl_linux_server *ls = ctx;
	struct epoll_event events[64];
	int ms = -1;
	if (timeout_ns != 0)
		ms = timeout_ns >= (uint64_t)INT32_MAX * 1000000u
		         ? INT32_MAX
		         : (int)((timeout_ns + 999999u) / 1000000u);
	int n = epoll_wait(ls->sleep_fd, events, 64, ms);
	uint32_t words = 0;
	for (int i = 0; i < n; i++) {
		uint32_t slot = (uint32_t)events[i].data.u64;
		if (slot < ls->server.capacity) {
			kicked[slot / 32] |= 1u << (slot % 32);
			words |= 1u << (slot / 32);
			if (ls->drain_kicks) /* a kernel where kicks cannot pile up */
				idl_linux_empty_kick_pipe((int)(events[i].data.u64 >> 32));
		}
	}
	return words;
}

/* Any thread, or a signal handler. */
static void port_interrupt(void *ctx)
{
	idl_linux_server *ls = ctx;
	uint64_t one = 1;
	if (ls->interrupt_fd >= 0)
		(void)!write(ls->interrupt_fd, &one, sizeof(one));
}

static void port_fence_clients(void *ctx)
{
	(void)ctx;
	idl_linux_fence_others();
}

static const idl_server_port port_fencing = {port_sleep, port_interrupt, port_fence_clients};
static const idl_server_port port_plain = {port_sleep, port_interrupt, NULL};

/* Whether a new session of `client`, of the user `user` (-1: unknown),
 * stays within the limits per client and per user. It counts the sessions
 * set up or served, under ls->setting_up: the server thread may free
 * slots meanwhile, which only makes the count high for a moment. */
static bool within_share(idl_linux_server *ls, uint64_t client, int64_t user)
{
	uint32_t per_client = atomic_load(&ls->sessions_per_client);
	uint32_t per_user = atomic_load(&ls->sessions_per_user);
	if (client == 0 || per_client == 0)
		per_client = UINT32_MAX;
	if (user < 0 || per_user == 0)
		per_user = UINT32_MAX;
	uint32_t of_client = 0, of_user = 0;
	for (uint32_t i = 0; i < ls->server.capacity; i++) {
		const idl_linux_conn *c = &ls->conns[i];
		if (atomic_load(&c->state) == CONN_FREE)
			continue;
		of_client += c->client == client;
		of_user += c->user == user;
	}
	return of_client < per_client && of_user < per_user;
}

/* A slot of our own, CONN_FREE to CONN_SETUP; capacity when none is free. */
static uint32_t claim_slot(idl_linux_server *ls)
{
	uint32_t slot = 0;
	for (; slot < ls->server.capacity; slot++) {
		uint32_t expected = CONN_FREE;
		if (atomic_compare_exchange_strong(&ls->conns[slot].state, &expected, CONN_SETUP))
			break;
	}
	return slot;
}

/* The channel region of a new client: in huge pages when asked and there
 * are some, in ordinary pages otherwise. */
static int create_channel(idl_linux_server *ls, idl_linux_conn *c, size_t bytes)
{
	if (atomic_load(&ls->huge_pages) &&
	    idl_linux_region_create_huge(&c->channel, "idl-channel", bytes) == IDL_OK) {
		atomic_fetch_add(&ls->huge_channels, 1);
		return IDL_OK;
	}
	return idl_linux_region_create(&c->channel, "idl-channel", bytes);
}

/* Takes a client's kick out of the server's sleep and closes it. */
static void close_kick(idl_linux_server *ls, idl_linux_conn *c)
{
	if (c->kick_fd < 0)
		return;
	(void)epoll_ctl(ls->sleep_fd, EPOLL_CTL_DEL, c->kick_fd, NULL);
	close(c->kick_fd);
	c->kick_fd = -1;
}

/* Sets up a client's channel on sock and says hello; then hands it to the
 * server thread. Any thread. */
static int set_up(idl_linux_server *ls, int sock, uint64_t client, int64_t user)
{
	/* The count and the claim under one lock: the acceptor and a thread
	 * that adopts a socket may set up at once, and neither may find the
	 * other's slot claimed with its client and user not yet written. */
	uint32_t slot = ls->server.capacity;
	idl_lock_take(&ls->setting_up);
	if (within_share(ls, client, user))
		slot = claim_slot(ls);
	if (slot < ls->server.capacity) {
		ls->conns[slot].client = client;
		ls->conns[slot].user = user;
	}
	idl_lock_give(&ls->setting_up);
	if (slot == ls->server.capacity) {
		/* Full, or the client's or its user's share is taken: it sees
		 * the hang-up. */
		atomic_fetch_add(&ls->refused, 1);
		close(sock);
		return IDL_E_BUFFER;
	}
	idl_linux_conn *c = &ls->conns[slot];
	c->sock = sock;
	c->send_seq = c->receive_seq = 0;
	c->doorbell.fd = -1;
	c->doorbell.base = NULL;
	/* The client's kick: a pipe of one page, whose read end, ours, is in
	 * our sleep's epoll set (data: its slot, and the descriptor, for
	 * idl_linux_empty_kick_pipe) before the client can write it. */
	int kick_ends[2] = {-1, -1};
	c->kick_fd = -1;
	if (pipe2(kick_ends, O_CLOEXEC | O_NONBLOCK) == 0) {
		c->kick_fd = kick_ends[0];
		(void)fcntl(kick_ends[0], F_SETPIPE_SZ, 4096);
		struct epoll_event kick = {.events = EPOLLIN | EPOLLET,
		                           .data.u64 = (uint64_t)kick_ends[0] << 32 | slot};
		if (epoll_ctl(ls->sleep_fd, EPOLL_CTL_ADD, c->kick_fd, &kick) != 0) {
			close(c->kick_fd);
			c->kick_fd = -1;
		}
	}
	size_t bytes = idl_chan_region_bytes(ls->ring_bytes);
	int err = c->kick_fd >= 0 ? create_channel(ls, c, bytes) : IDL_E_TRANSPORT;
	if (err == IDL_OK)
		err = idl_chan_format(c->channel.base, bytes, ls->ring_bytes, ls->max_frame_bytes);
	if (err == IDL_OK)
		err = idl_chan_end_init(&c->end, c->channel.base, bytes, IDL_CHAN_SERVER);
	if (err == IDL_OK) {
		idl_linux_chan_populate(&c->channel, ls->ring_bytes);
		idl_chan_end_set_transfer(&c->end, &idl_linux_transfer, c);
		c->end.nonblock = true; /* the loop checks for room before it takes a request */
		idl_linux_hello h = {.magic = IDL_LINUX_HELLO_MAGIC,
		                     .version = IDL_CHAN_VERSION,
		                     .wire_version = IDL_WIRE_VERSION,
		                     .slot = slot,
		                     .flags = ls->fences ? IDL_LINUX_HELLO_FENCES : 0,
		                     .protocol_count = ls->server.interface_count};
		for (uint32_t i = 0; i < ls->server.interface_count; i++) {
			const idl_interface *iface = ls->server.interfaces[i].iface;
			h.protocols[i] = iface->protocol;
			h.versions[i] = iface->version;
			h.oldest[i] = iface->oldest;
		}
		int fds[IDL_LINUX_HELLO_FDS] = {c->channel.fd, ls->doorbell.fd, kick_ends[1]};
		/* Never waiting: an adopted socket's peer may have filled it. */
		err =
		    idl_linux_send_fds(sock, &h, sizeof(h), fds, IDL_LINUX_HELLO_FDS, MSG_DONTWAIT);
	}
	if (kick_ends[1] >= 0)
		close(kick_ends[1]); /* the client's end: it has its own now, or never will */
	if (err != IDL_OK) {
		idl_linux_region_close(&c->channel);
		close_kick(ls, c);
		close(sock);
		c->sock = -1;
		atomic_store(&c->state, CONN_FREE);
		return err;
	}
	/* The mapping is what we use: one descriptor per session, not two. */
	close(c->channel.fd);
	c->channel.fd = -1;
	/* Told once when the client hangs up (EPOLLONESHOT); data: its slot.
	 * EPOLLHUP, which epoll reports unasked and peer_alive looks for: the
	 * socket is shut both ways, its client gone. (EPOLLRDHUP fired at a
	 * client's shutdown(SHUT_WR) too, peer_alive found it alive, and with
	 * the one shot spent its exit went unseen: the session outlived it.) */
	struct epoll_event ev = {.events = EPOLLONESHOT, .data.u64 = slot};
	if (epoll_ctl(ls->epoll_fd, EPOLL_CTL_ADD, sock, &ev) != 0) {
		idl_linux_region_close(&c->channel);
		close_kick(ls, c);
		close(sock);
		c->sock = -1;
		atomic_store(&c->state, CONN_FREE);
		return IDL_E_TRANSPORT;
	}
	atomic_fetch_or(&ls->adding[slot / 32], 1u << (slot % 32));
	atomic_fetch_or(&ls->adding_summary, 1u << (slot / 32));
	idl_server_interrupt(&ls->server);
	return IDL_OK;
}

/*
 * Out of descriptors: a connection waits that accept cannot take, and poll
 * reports it again at once (the accept thread spun at two thirds of a CPU
 * while one client held every descriptor). Take it off the queue with the
 * spare descriptor and close it, so that its client sees a hang-up rather
 * than wait for a hello, then back off before looking again.
 */
static void shed(idl_linux_server *ls)
{
	atomic_fetch_add(&ls->shed, 1);
	if (ls->spare_fd >= 0) {
		close(ls->spare_fd);
		int sock = accept4(ls->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (sock >= 0)
			close(sock);
		ls->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	}
	struct timespec ts = {0, 10000000}; /* 10 ms: a hundred looks a second at most */
	nanosleep(&ts, NULL);
}

/* Who is at the other end of a connection: false when the kernel will
 * not say. */
static bool peer_credentials(int sock, struct ucred *cred)
{
	socklen_t n = sizeof(*cred);
	return getsockopt(sock, SOL_SOCKET, SO_PEERCRED, cred, &n) == 0 && n == sizeof(*cred);
}

/* Whether that peer may be served: its user is ours or root, unless the
 * server serves every user (cred NULL: unknown, refused). */
static bool user_allowed(idl_linux_server *ls, const struct ucred *cred)
{
	if (atomic_load(&ls->any_user))
		return true;
	return cred != NULL && (cred->uid == geteuid() || cred->uid == 0);
}

/* The client a peer is counted as, 0 when unknown. A peer whose pid is not
 * in our namespace (the kernel says 0) is named by its user instead,
 * IDL_LINUX_CLIENT_USER | uid: all such clients of one user then share one
 * client's limits, where a pid of 0 used to escape them. */
static uint64_t client_of(const struct ucred *cred)
{
	if (cred == NULL)
		return 0;
	if (cred->pid <= 0)
		return IDL_LINUX_CLIENT_USER | (uint64_t)cred->uid;
	return (uint64_t)cred->pid;
}

/* A client's socket hung up: tell the server thread. */
static void mark_gone(idl_linux_server *ls, uint32_t slot)
{
	atomic_fetch_or(&ls->gone[slot / 32], 1u << (slot % 32));
	atomic_fetch_or(&ls->gone_summary, 1u << (slot / 32));
	idl_server_interrupt(&ls->server);
}

/* A connection accepted: set up for its client, or hung up at once when
 * it is another user's (a hang-up, nothing more). */
static void take_connection(idl_linux_server *ls, int sock)
{
	struct ucred cred;
	const struct ucred *who = peer_credentials(sock, &cred) ? &cred : NULL;
	if (!user_allowed(ls, who)) {
		atomic_fetch_add(&ls->refused, 1);
		close(sock);
		return;
	}
	(void)set_up(ls, sock, client_of(who), who != NULL ? (int64_t)who->uid : -1);
}

static void *acceptor(void *arg)
{
	idl_linux_server *ls = arg;
	struct epoll_event events[16];
	while (!atomic_load(&ls->stop)) {
		int n = epoll_wait(ls->epoll_fd, events, 16, -1);
		for (int i = 0; i < n; i++) {
			uint64_t what = events[i].data.u64;
			if (what == EVENT_WAKE) {
				uint64_t count;
				(void)!read(ls->wake_fd, &count, sizeof(count));
			} else if (what == EVENT_LISTEN) {
				/* The listening socket does not block: a connection that
				 * went away before we took it is EAGAIN, not a hang. */
				int sock = accept4(ls->listen_fd, NULL, NULL, SOCK_CLOEXEC);
				if (sock >= 0)
					take_connection(ls, sock);
				else if (errno == EMFILE || errno == ENFILE)
					shed(ls);
			} else if (what < ls->server.capacity) {
				mark_gone(ls, (uint32_t)what);
			}
		}
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
			/* A refused session is closed through closed(), below. */
			(void)idl_server_install(&ls->server, slot, &c->end, c->client);
		}
	}
}

/*
 * Server thread: ends the sessions of clients whose sockets hung up. A slot
 * the accept thread reported may have been closed and set up again since;
 * its socket says whether this client is gone. One still being installed
 * stays reported: the interrupt that installs it brings us back here.
 */
static void reap_gone(idl_linux_server *ls)
{
	if (atomic_load_explicit(&ls->gone_summary, memory_order_relaxed) == 0)
		return;
	uint32_t words = atomic_exchange(&ls->gone_summary, 0);
	while (words != 0) {
		uint32_t w = (uint32_t)__builtin_ctz(words);
		words &= words - 1;
		uint32_t bits = atomic_exchange(&ls->gone[w], 0);
		while (bits != 0) {
			uint32_t slot = 32 * w + (uint32_t)__builtin_ctz(bits);
			bits &= bits - 1;
			idl_linux_conn *c = &ls->conns[slot];
			uint32_t state = atomic_load(&c->state);
			if (state == CONN_SETUP) {
				atomic_fetch_or(&ls->gone[w], 1u << (slot % 32));
				atomic_fetch_or(&ls->gone_summary, 1u << w);
			} else if (state == CONN_SERVING && !idl_linux_transfer.peer_alive(c)) {
				idl_server_peer_gone(&ls->server, slot);
			}
		}
	}
}

/* The server closed a channel (its session has ended): free the slot. */
static void closed(void *ctx, uint32_t slot, idl_chan_end *end, int reason)
{
	(void)end;
	(void)reason;
	idl_linux_server *ls = ctx;
	idl_linux_conn *c = &ls->conns[slot];
	idl_linux_region_close(&c->channel);
	close_kick(ls, c);
	(void)epoll_ctl(ls->epoll_fd, EPOLL_CTL_DEL, c->sock, NULL);
	close(c->sock);
	c->sock = -1;
	/* client and user stay: a free slot is not counted, and they are
	 * written again, under setting_up, when it is claimed. */
	atomic_store(&c->state, CONN_FREE);
}

/* The part of open that does not depend on where the socket comes from. */
static int open_common(idl_linux_server *ls, uint32_t capacity)
{
	if (capacity == 0 || capacity > IDL_DOORBELL_CHANNELS)
		return IDL_E_INVALID_ARGUMENT;
	ls->conns = aligned_alloc(IDL_CACHE_LINE, capacity * sizeof(idl_linux_conn));
	ls->slots = calloc(capacity, sizeof(idl_chan_end *));
	ls->sessions = calloc(capacity, sizeof(idl_session));
	if (ls->conns == NULL || ls->slots == NULL || ls->sessions == NULL)
		return IDL_E_TRANSPORT;
	for (uint32_t i = 0; i < capacity; i++) {
		memset(&ls->conns[i], 0, sizeof(ls->conns[i]));
		ls->conns[i].sock = ls->conns[i].channel.fd = ls->conns[i].doorbell.fd = -1;
		ls->conns[i].kick_fd = ls->conns[i].kick_reader = -1;
	}
	int err = idl_linux_region_create(&ls->doorbell, "idl-doorbell", sizeof(idl_doorbell));
	if (err != IDL_OK)
		return err;
	idl_doorbell_init(ls->doorbell.base);
	idl_server_init(&ls->server, ls->doorbell.base, ls->slots, ls->sessions, capacity, NULL, 0);
	idl_server_set_close(&ls->server, closed, ls);
	ls->fences = idl_linux_fences_register();
	ls->drain_kicks = !kicks_pile_up();
	idl_server_set_port(&ls->server, ls->fences ? &port_fencing : &port_plain, ls);
	ls->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ls->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	ls->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ls->sleep_fd = epoll_create1(EPOLL_CLOEXEC);
	ls->interrupt_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = EVENT_WAKE};
	struct epoll_event interrupt = {.events = EPOLLIN | EPOLLET, .data.u32 = EVENT_INTERRUPT};
	if (ls->epoll_fd < 0 || ls->wake_fd < 0 || ls->sleep_fd < 0 || ls->interrupt_fd < 0 ||
	    epoll_ctl(ls->epoll_fd, EPOLL_CTL_ADD, ls->wake_fd, &ev) != 0 ||
	    epoll_ctl(ls->sleep_fd, EPOLL_CTL_ADD, ls->interrupt_fd, &interrupt) != 0)
		return IDL_E_TRANSPORT;
	return IDL_OK;
}

/* Wakes the accept thread (from any thread, or a signal handler). */
static void wake_acceptor(idl_linux_server *ls)
{
	uint64_t one = 1;
	if (ls->wake_fd >= 0)
		(void)!write(ls->wake_fd, &one, sizeof(one));
}

static void reset(idl_linux_server *ls)
{
	memset(ls, 0, sizeof(*ls));
	ls->listen_fd = ls->spare_fd = -1;
	ls->epoll_fd = ls->wake_fd = -1;
	ls->sleep_fd = ls->interrupt_fd = -1;
	ls->doorbell.fd = -1;
}

int idl_linux_server_open(idl_linux_server *ls, const char *name, uint32_t capacity)
{
	reset(ls);
	int err = open_common(ls, capacity);
	struct sockaddr_un addr;
	socklen_t len = idl_linux_socket_name(&addr, name);
	if (err == IDL_OK) {
		ls->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
		if (len == 0 || ls->listen_fd < 0 ||
		    bind(ls->listen_fd, (struct sockaddr *)&addr, len) != 0 ||
		    listen(ls->listen_fd, 64) != 0)
			err = IDL_E_TRANSPORT;
	}
	if (err != IDL_OK)
		idl_linux_server_close(ls);
	return err;
}

int idl_linux_server_open_fd(idl_linux_server *ls, int listen_fd, uint32_t capacity)
{
	reset(ls);
	ls->listen_fd = listen_fd;
	int listening = 0;
	socklen_t n = sizeof(listening);
	int err = idl_linux_handle_kind(listen_fd) == IDL_KIND_CHANNEL &&
	                  getsockopt(listen_fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &n) == 0 &&
	                  listening
	              ? open_common(ls, capacity)
	              : IDL_E_HANDLE_KIND;
	if (err != IDL_OK)
		idl_linux_server_close(ls);
	return err;
}

void idl_linux_server_use_huge_pages(idl_linux_server *ls, bool on)
{
	atomic_store(&ls->huge_pages, on);
}

void idl_linux_server_set_ring_bytes(idl_linux_server *ls, uint32_t ring_bytes)
{
	ls->ring_bytes = ring_bytes;
}

void idl_linux_server_limit_sessions(idl_linux_server *ls, uint32_t n)
{
	atomic_store(&ls->sessions_per_client, n);
}

void idl_linux_server_limit_user_sessions(idl_linux_server *ls, uint32_t n)
{
	atomic_store(&ls->sessions_per_user, n);
}

void idl_linux_server_allow_any_user(idl_linux_server *ls, bool on)
{
	atomic_store(&ls->any_user, on);
}

/* Sizes what the interfaces registered need: every channel, the request
 * buffer. Once, before the first channel is set up. The request buffer
 * holds any frame the channel does, not only this version's largest
 * request: a newer client's request may be larger (docs/evolution.md). */
static int prepare(idl_linux_server *ls)
{
	if (atomic_load(&ls->prepared))
		return IDL_OK;
	uint32_t max_frame = idl_server_max_frame_bytes(&ls->server);
	uint32_t max_request = idl_server_max_request_bytes(&ls->server);
	if (max_request < max_frame)
		max_request = max_frame;
	if (max_frame == 0)
		return IDL_E_INVALID_ARGUMENT; /* nothing to serve */
	uint32_t ring = ls->ring_bytes;
	if (ring == 0)
		for (ring = atomic_load(&ls->huge_pages) ? IDL_LINUX_HUGE_RING_BYTES
		                                         : IDL_LINUX_DEFAULT_RING_BYTES;
		     ring < IDL_RING_MIN_BYTES(max_frame); ring *= 2)
			;
	if ((ring & (ring - 1)) != 0 || ring < IDL_RING_MIN_BYTES(max_frame) ||
	    (max_frame & 7) != 0)
		return IDL_E_INVALID_ARGUMENT;
	size_t buf_bytes = (size_t)idl_align8(max_request);
	ls->buf = aligned_alloc(IDL_FRAME_ALIGN, buf_bytes);
	if (ls->buf == NULL)
		return IDL_E_TRANSPORT;
	ls->server.buf = ls->buf;
	ls->server.buf_bytes = buf_bytes;
	ls->ring_bytes = ring;
	ls->max_frame_bytes = max_frame;
	atomic_store(&ls->prepared, true);
	return IDL_OK;
}

int idl_linux_server_run(idl_linux_server *ls)
{
	int err = prepare(ls);
	if (err != IDL_OK)
		return err;
	/* Clients wait in the listen queue until now, so that every one of
	 * them gets the settings made since open. */
	if (!ls->acceptor_running) {
		struct epoll_event ev = {.events = EPOLLIN, .data.u64 = EVENT_LISTEN};
		int flags = fcntl(ls->listen_fd, F_GETFL);
		if (flags < 0 || fcntl(ls->listen_fd, F_SETFL, flags | O_NONBLOCK) != 0 ||
		    epoll_ctl(ls->epoll_fd, EPOLL_CTL_ADD, ls->listen_fd, &ev) != 0 ||
		    pthread_create(&ls->acceptor, NULL, acceptor, ls) != 0)
			return IDL_E_TRANSPORT;
		ls->acceptor_running = true;
	}
	ls->server.stop = &ls->stop;
	while (!atomic_load(&ls->stop)) {
		install_new(ls);
		reap_gone(ls);
		(void)idl_server_poll(&ls->server, 0);
	}
	return IDL_OK;
}

void idl_linux_server_stop(idl_linux_server *ls)
{
	/* An atomic store, an eventfd write and a futex wake: fit for a signal
	 * handler. */
	atomic_store(&ls->stop, true);
	wake_acceptor(ls);
	idl_server_interrupt(&ls->server);
}

static idl_linux_server *stopped_by_signal;

static void stop_signal(int sig)
{
	(void)sig;
	if (stopped_by_signal != NULL)
		idl_linux_server_stop(stopped_by_signal);
}

void idl_linux_server_stop_on_signals(idl_linux_server *ls)
{
	stopped_by_signal = ls;
	struct sigaction sa = {.sa_handler = stop_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

int idl_linux_server_adopt(idl_linux_server *ls, int sock, uint64_t client)
{
	if (!atomic_load(&ls->prepared) || idl_linux_handle_kind(sock) != IDL_KIND_CHANNEL) {
		close(sock);
		return atomic_load(&ls->prepared) ? IDL_E_HANDLE_KIND : IDL_E_INVALID_ARGUMENT;
	}
	return set_up(ls, sock, client, -1);
}

int idl_linux_server_new_client(idl_linux_server *ls, int *client_end)
{
	int pair[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0)
		return IDL_E_TRANSPORT;
	int err = idl_linux_server_adopt(ls, pair[0], 0);
	if (err != IDL_OK) {
		close(pair[1]);
		return err;
	}
	*client_end = pair[1];
	return IDL_OK;
}

void idl_linux_server_close(idl_linux_server *ls)
{
	atomic_store(&ls->stop, true);
	wake_acceptor(ls);
	if (ls->acceptor_running)
		pthread_join(ls->acceptor, NULL);
	ls->acceptor_running = false;
	if (ls->conns != NULL && ls->slots != NULL) {
		install_new(ls); /* so that set-up channels are closed below too */
		for (uint32_t i = 0; i < ls->server.capacity; i++)
			idl_server_close_slot(&ls->server, i, IDL_E_PEER_CLOSED);
	}
	if (stopped_by_signal == ls)
		stopped_by_signal = NULL;
	if (ls->listen_fd >= 0)
		close(ls->listen_fd);
	if (ls->spare_fd >= 0)
		close(ls->spare_fd);
	if (ls->epoll_fd >= 0)
		close(ls->epoll_fd);
	if (ls->wake_fd >= 0)
		close(ls->wake_fd);
	if (ls->sleep_fd >= 0)
		close(ls->sleep_fd);
	if (ls->interrupt_fd >= 0)
		close(ls->interrupt_fd);
	ls->listen_fd = ls->spare_fd = ls->epoll_fd = ls->wake_fd = -1;
	ls->sleep_fd = ls->interrupt_fd = -1;
	idl_linux_region_close(&ls->doorbell);
	free(ls->conns);
	free(ls->slots);
	free(ls->sessions);
	free(ls->buf);
	ls->conns = NULL;
	ls->slots = NULL;
	ls->sessions = NULL;
	ls->buf = NULL;
}
