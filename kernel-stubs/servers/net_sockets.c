/*
 * net_sockets.c: the network server's net.Socket: datagram (UDP) sockets.
 *
 * Sockets live in one table of SOCKETS for all clients, at most
 * PER_CLIENT of them a process's (whatever its sessions); a client names
 * its sockets by numbers private to its session (1, 2, ...), and closing
 * its channel closes them.
 * Received datagrams wait in buffers from one pool of POOL, at most QUEUE
 * of them a socket's; beyond that, or with the pool empty, a datagram is
 * dropped and counted (udp_refused).
 *
 * receive_from on an empty queue defers its reply: the receive thread
 * answers it when a datagram comes, straight from the frame. A datagram
 * that finds no receive waiting is queued, and the socket's client gets a
 * `readable` event, once until it asks to receive again. Events go out on
 * the serving thread (kserve_set_turn), the only one that sends on a
 * session's channel except for deferred replies, and only when the ring has
 * room for them: a client that does not read its channel misses events,
 * never stalls the server. Deferred replies wait at most REPLY_WAIT_NS for
 * room, for the same reason.
 *
 * Stream sockets are not supported yet (open says NOT_SUPPORTED), nor are
 * the calls only they need (connect, listen, accept, send, receive,
 * shutdown).
 */
#include "net_server.h"

#include <stdatomic.h>

#define SOCKETS         ((int)NET_MAX_SOCKETS)
#define PER_CLIENT      16 /* sockets of one process, whatever its sessions */
#define QUEUE           16
#define POOL            128
#define EPHEMERAL_FIRST 49152u /* the dynamic ports of RFC 6335 */
#define REPLY_WAIT_NS   20000000u

struct datagram {
	uint32_t ip;
	uint16_t port;
	uint16_t length;
	uint8_t bytes[NET_UDP_MAX_PAYLOAD];
};

static struct datagram pool[POOL];
static uint16_t free_list[POOL];
static uint32_t free_count;

static struct sock {
	bool used;
	net_socket_kind kind;
	idl_session *session;
	uint32_t number; /* the client's name for it */
	uint16_t port;   /* 0: not bound yet */
	uint16_t queue[QUEUE];
	uint32_t head, count;
	bool receiving; /* a receive_from waits: its token and its max */
	uint32_t max;
	net_socket_receive_from_token token;
	bool readable_due;  /* an event is to be sent */
	bool readable_told; /* sent, and the client has not asked to receive since */
} socks[SOCKETS];

static kserver *server;
static _Atomic bool events_due;
static _Atomic uint64_t frames_served; /* the server's count, copied on its thread */
static uint64_t events_sent;           /* under net_lock */
static uint16_t next_ephemeral = EPHEMERAL_FIRST;

static struct sock *find(idl_request *r, uint32_t number)
{
	for (int i = 0; i < SOCKETS; i++)
		if (socks[i].used && socks[i].session == r->session && socks[i].number == number)
			return &socks[i];
	return NULL;
}

static struct sock *bound_to(uint16_t port)
{
	for (int i = 0; i < SOCKETS; i++)
		if (socks[i].used && socks[i].port == port)
			return &socks[i];
	return NULL;
}

/* A free port of the dynamic range, or 0 when all are taken. */
static uint16_t ephemeral_port(void)
{
	for (uint32_t n = 0; n < 65536u - EPHEMERAL_FIRST; n++) {
		uint16_t port = next_ephemeral;
		next_ephemeral = next_ephemeral == 65535 ? EPHEMERAL_FIRST : next_ephemeral + 1;
		if (!bound_to(port))
			return port;
	}
	return 0;
}

static void drop_queue(struct sock *s)
{
	for (; s->count; s->count--, s->head++)
		free_list[free_count++] = s->queue[s->head % QUEUE];
}

static int refuse(sys_errno why, sys_errno *error)
{
	*error = why;
	return IDL_E_REMOTE;
}

static net_socket_address address_of(uint32_t ip, uint16_t port)
{
	net_socket_address a = {.ip = {.tag = NET_IP_ADDRESS_V4}, .port = port};
	a.ip.v4[0] = (uint8_t)(ip >> 24);
	a.ip.v4[1] = (uint8_t)(ip >> 16);
	a.ip.v4[2] = (uint8_t)(ip >> 8);
	a.ip.v4[3] = (uint8_t)ip;
	return a;
}

static uint32_t ip_of(const net_ip_address *a)
{
	return (uint32_t)a->v4[0] << 24 | (uint32_t)a->v4[1] << 16 | (uint32_t)a->v4[2] << 8 |
	       a->v4[3];
}

static int on_open(idl_request *r, const net_socket_open_request *req, net_socket_open_reply *reply,
                   sys_errno *error)
{
	if (req->kind == NET_SOCKET_KIND_STREAM)
		return refuse(SYS_ERRNO_NOT_SUPPORTED, error); /* no TCP yet */
	if (req->kind != NET_SOCKET_KIND_DATAGRAM)
		return refuse(SYS_ERRNO_INVALID, error);
	idl_lock_take(&net_lock);
	struct sock *free = NULL;
	uint32_t mine = 0, number = 1;
	for (int i = 0; i < SOCKETS; i++) {
		if (!socks[i].used && !free)
			free = &socks[i];
		if (socks[i].used && socks[i].session->client == r->session->client)
			mine++;
	}
	while (find(r, number))
		number++;
	int err = IDL_OK;
	if (!free || mine >= PER_CLIENT) {
		err = refuse(SYS_ERRNO_TOO_MANY, error);
	} else {
		*free = (struct sock){
		    .used = true, .kind = req->kind, .session = r->session, .number = number};
		reply->socket = number;
	}
	idl_lock_give(&net_lock);
	return err;
}

static int on_bind(idl_request *r, const net_socket_bind_request *req, net_socket_bind_reply *reply,
                   sys_errno *error)
{
	(void)reply;
	if (req->addr.ip.tag != NET_IP_ADDRESS_V4)
		return refuse(SYS_ERRNO_NOT_SUPPORTED, error);
	uint32_t ip = ip_of(&req->addr.ip);
	idl_lock_take(&net_lock);
	struct sock *s = find(r, req->socket);
	int err = IDL_OK;
	if (!s)
		err = refuse(SYS_ERRNO_BAD_HANDLE, error);
	else if (s->port)
		err = refuse(SYS_ERRNO_INVALID, error); /* bound already */
	else if (ip != 0 && (!net_has_address || ip != net_stack.config.ip))
		err = refuse(SYS_ERRNO_INVALID, error); /* not an address of ours */
	else if (req->addr.port && bound_to(req->addr.port))
		err = refuse(SYS_ERRNO_ADDR_IN_USE, error);
	else if (!(s->port = req->addr.port ? req->addr.port : ephemeral_port()))
		err = refuse(SYS_ERRNO_ADDR_IN_USE, error); /* every dynamic port is taken */
	idl_lock_give(&net_lock);
	return err;
}

static int on_local_address(idl_request *r, const net_socket_local_address_request *req,
                            net_socket_local_address_reply *reply, sys_errno *error)
{
	idl_lock_take(&net_lock);
	struct sock *s = find(r, req->socket);
	if (s)
		reply->addr = address_of(0, s->port); /* bound to every address we have */
	idl_lock_give(&net_lock);
	return s ? IDL_OK : refuse(SYS_ERRNO_BAD_HANDLE, error);
}

static int on_send_to(idl_request *r, const net_socket_send_to_request *req,
                      net_socket_send_to_reply *reply, sys_errno *error)
{
	if (req->to.ip.tag != NET_IP_ADDRESS_V4)
		return refuse(SYS_ERRNO_NOT_SUPPORTED, error);
	if (req->data.size > NET_UDP_MAX_PAYLOAD)
		return refuse(SYS_ERRNO_INVALID, error); /* no fragments: one frame a datagram */
	idl_lock_take(&net_lock);
	struct sock *s = find(r, req->socket);
	int err = IDL_OK;
	if (!s)
		err = refuse(SYS_ERRNO_BAD_HANDLE, error);
	else if (!net_up || !net_has_address)
		err = refuse(SYS_ERRNO_UNREACHABLE, error);
	else if (!s->port && !(s->port = ephemeral_port()))
		err = refuse(SYS_ERRNO_ADDR_IN_USE, error);
	if (err == IDL_OK) {
		int sent = net_udp_send(&net_stack, s->port, ip_of(&req->to.ip), req->to.port,
		                        req->data.data, req->data.size);
		if (sent != NET_OK)
			err = refuse((sys_errno)-sent, error);
		else
			reply->sent = req->data.size;
	}
	idl_lock_give(&net_lock);
	return err;
}

static int on_receive_from(idl_request *r, const net_socket_receive_from_request *req,
                           net_socket_receive_from_reply *reply, sys_errno *error)
{
	/* The reply is encoded after the handler returns, when the pool buffer
	 * may be another datagram's: a copy on the serving thread. */
	static uint8_t copy[NET_UDP_MAX_PAYLOAD];
	idl_lock_take(&net_lock);
	struct sock *s = find(r, req->socket);
	int err;
	if (!s) {
		err = refuse(SYS_ERRNO_BAD_HANDLE, error);
	} else if (s->receiving) {
		err = refuse(SYS_ERRNO_BUSY, error); /* one receive waits at a time */
	} else if (s->count) {
		uint16_t b = s->queue[s->head++ % QUEUE];
		s->count--;
		struct datagram *d = &pool[b];
		uint32_t n = d->length < req->max ? d->length : req->max;
		memcpy(copy, d->bytes, n);
		reply->from = address_of(d->ip, d->port);
		reply->data.size = n;
		reply->data.data = copy;
		free_list[free_count++] = b;
		err = IDL_OK;
	} else {
		err = net_socket_receive_from_defer(r, &s->token);
		if (err == IDL_DEFERRED) {
			s->receiving = true;
			s->max = req->max;
		}
	}
	if (s)
		s->readable_told = false; /* the client is reading: tell it again */
	idl_lock_give(&net_lock);
	return err;
}

static int on_close(idl_request *r, const net_socket_close_request *req,
                    net_socket_close_reply *reply, sys_errno *error)
{
	(void)reply;
	idl_lock_take(&net_lock);
	struct sock *s = find(r, req->socket);
	if (s) {
		if (s->receiving)
			net_socket_receive_from_reply_error(&s->token, SYS_ERRNO_BAD_HANDLE);
		drop_queue(s);
		s->used = false;
	}
	idl_lock_give(&net_lock);
	return s ? IDL_OK : refuse(SYS_ERRNO_BAD_HANDLE, error);
}

/* What only stream sockets need. */

static int on_connect(idl_request *r, const net_socket_connect_request *req,
                      net_socket_connect_reply *reply, sys_errno *error)
{
	(void)r, (void)req, (void)reply;
	return refuse(SYS_ERRNO_NOT_SUPPORTED, error);
}

static int on_listen(idl_request *r, const net_socket_listen_request *req,
                     net_socket_listen_reply *reply, sys_errno *error)
{
	(void)r, (void)req, (void)reply;
	return refuse(SYS_ERRNO_NOT_SUPPORTED, error);
}

static int on_accept(idl_request *r, const net_socket_accept_request *req,
                     net_socket_accept_reply *reply, sys_errno *error)
{
	(void)r, (void)req, (void)reply;
	return refuse(SYS_ERRNO_NOT_SUPPORTED, error);
}

static int on_send(idl_request *r, const net_socket_send_request *req, net_socket_send_reply *reply,
                   sys_errno *error)
{
	(void)r, (void)req, (void)reply;
	return refuse(SYS_ERRNO_NOT_SUPPORTED, error);
}

static int on_receive(idl_request *r, const net_socket_receive_request *req,
                      net_socket_receive_reply *reply, sys_errno *error)
{
	(void)r, (void)req, (void)reply;
	return refuse(SYS_ERRNO_NOT_SUPPORTED, error);
}

static int on_shutdown(idl_request *r, const net_socket_shutdown_request *req,
                       net_socket_shutdown_reply *reply, sys_errno *error)
{
	(void)r, (void)req, (void)reply;
	return refuse(SYS_ERRNO_NOT_SUPPORTED, error);
}

static const net_socket_handlers handlers = {
    .open = on_open,
    .bind = on_bind,
    .local_address = on_local_address,
    .connect = on_connect,
    .listen = on_listen,
    .accept = on_accept,
    .send_to = on_send_to,
    .receive_from = on_receive_from,
    .send = on_send,
    .receive = on_receive,
    .shutdown = on_shutdown,
    .close = on_close,
};

int sockets_deliver(void *ctx, const struct net_udp_datagram *d)
{
	(void)ctx;
	struct sock *s = bound_to(d->destination_port);
	if (!s)
		return NET_E_NOT_FOUND;
	if (s->receiving) {
		s->receiving = false;
		net_socket_receive_from_reply reply = {
		    .from = address_of(d->source_ip, d->source_port),
		    .data = {.size = (uint32_t)(d->length < s->max ? d->length : s->max),
		             .data = d->payload}};
		/* A client that does not take its replies loses the datagram. */
		return net_socket_receive_from_reply_ok(&s->token, &reply) == IDL_OK ? NET_OK
		                                                                     : NET_E_IO;
	}
	if (s->count == QUEUE || free_count == 0)
		return NET_E_NO_SPACE;
	uint16_t b = free_list[--free_count];
	pool[b].ip = d->source_ip;
	pool[b].port = d->source_port;
	pool[b].length = (uint16_t)d->length;
	memcpy(pool[b].bytes, d->payload, d->length);
	s->queue[(s->head + s->count++) % QUEUE] = b;
	if (!s->readable_told) {
		s->readable_due = true;
		atomic_store(&events_due, true);
	}
	return NET_OK;
}

void sockets_notify(void)
{
	if (atomic_load(&events_due))
		kserve_wake(server);
}

/* The serving thread's turn: sends the readable events that are due, to
 * clients with room for them. */
static void send_events(void *ctx)
{
	(void)ctx;
	atomic_store(&frames_served, server->server.frames);
	if (!atomic_exchange(&events_due, false))
		return;
	idl_lock_take(&net_lock);
	for (int i = 0; i < SOCKETS; i++) {
		struct sock *s = &socks[i];
		if (!s->used || !s->readable_due)
			continue;
		idl_chan_end *end = s->session->end;
		if (!end || idl_ring_can_reserve(&end->tx, end->tx.max_frame +
		                                               IDL_RING_HANDLE_ROOM) != IDL_OK) {
			atomic_store(&events_due, true); /* at the next turn */
			continue;
		}
		net_socket_readable_event e = {.socket = s->number};
		if (net_socket_send_readable(idl_chan_end_endpoint(end), &e) == IDL_OK)
			events_sent++;
		s->readable_due = false;
		s->readable_told = true;
	}
	idl_lock_give(&net_lock);
}

/* A session that ends closes its sockets; a waiting receive's token dies
 * with the session. */
static void session_closed(void *ctx, idl_session *session, int reason)
{
	(void)ctx, (void)reason;
	idl_lock_take(&net_lock);
	for (int i = 0; i < SOCKETS; i++) {
		if (socks[i].used && socks[i].session == session) {
			drop_queue(&socks[i]);
			socks[i].used = false;
		}
	}
	idl_lock_give(&net_lock);
}

uint64_t sockets_messages(void)
{
	/* Every request has its reply; events come on their own. */
	return 2 * atomic_load(&frames_served) + events_sent;
}

uint32_t sockets_list(net_socket_info *out, uint32_t max)
{
	uint32_t n = 0;
	for (int i = 0; i < SOCKETS && n < max; i++) {
		if (!socks[i].used)
			continue;
		out[n++] = (net_socket_info){.kind = socks[i].kind,
		                             .local = address_of(0, socks[i].port),
		                             .queued = socks[i].count,
		                             .session = socks[i].session->id};
	}
	return n;
}

int sockets_serve(kserver *ks)
{
	server = ks;
	for (uint32_t i = 0; i < POOL; i++)
		free_list[i] = (uint16_t)i;
	free_count = POOL;
	ks->server.reply_wait_ns = REPLY_WAIT_NS;
	kserve_set_sessions(ks, NULL, session_closed, NULL);
	kserve_set_turn(ks, send_events, NULL);
	return kserve_add_interface(ks, &net_socket_interface, &handlers, NULL);
}
