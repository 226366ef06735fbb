/*
 * kserve.c: serving and finding services on the reference kernel
 * (kserve.h).
 */
#include "kserve.h"

#include "sys.h"

#define PAGE 4096u

/* Sessions of one server a client (a process) may hold, so that one cannot
 * take every slot from the rest. */
#define SESSIONS_PER_CLIENT 4

/* The slots taken for client's sessions. */
static uint32_t sessions_of(kserver *ks, uint64_t client)
{
	uint32_t used = atomic_load(&ks->used), n = 0;
	for (uint32_t slot = 0; slot < ks->server.capacity; slot++)
		n += (used >> slot & 1u) && ks->pending_client[slot] == client;
	return n;
}

/* The listener's one request: the directory asks for a session. */
static int on_open_session(idl_request *r, const sys_listener_open_session_request *req,
                           sys_listener_open_session_reply *reply, sys_errno *error)
{
	kserver *ks = r->ctx;
	if (ks->listener_slot < 0 || r->session->id != (uint32_t)ks->listener_slot) {
		*error = SYS_ERRNO_ACCESS; /* only the directory, on the listener, may ask */
		return IDL_E_REMOTE;
	}
	int end;
	if (sessions_of(ks, req->client) >= SESSIONS_PER_CLIENT ||
	    kserve_add_session(ks, req->client, &end, NULL) != IDL_OK) {
		*error = SYS_ERRNO_TOO_MANY;
		return IDL_E_REMOTE;
	}
	reply->channel = (idl_handle)end; /* moves to the directory with the reply */
	return IDL_OK;
}

static const sys_listener_handlers listener_handlers = {.open_session = on_open_session};

/* The slots that kicked since the last look, into kicked; returns the
 * words it set bits in. */
static uint32_t take_kicks(kserver *ks, uint32_t *kicked)
{
	uint32_t words = 0;
	for (uint32_t w = 0; w < sizeof(ks->kicks.bits) / sizeof(ks->kicks.bits[0]); w++) {
		uint32_t bits = atomic_exchange(&ks->kicks.bits[w], 0);
		if (bits != 0) {
			kicked[w] |= bits;
			words |= 1u << w;
		}
	}
	return words;
}

/* The server thread's sleep (idl_server_port): until a kick or an
 * interrupt changes seq. A kick or interrupt after seq was read changes it,
 * so the futex wait returns at once: none is lost. */
static uint32_t port_sleep(void *ctx, uint64_t timeout_ns, uint32_t *kicked)
{
	kserver *ks = ctx;
	uint32_t seen = atomic_load(&ks->kicks.seq);
	uint32_t words = take_kicks(ks, kicked);
	if (words == 0 && atomic_exchange(&ks->kicks.interrupted, 0) == 0)
		idlk_futex_wait((volatile uint32_t *)&ks->kicks.seq, seen, timeout_ns);
	return words | take_kicks(ks, kicked);
}

static void port_interrupt(void *ctx)
{
	kserver *ks = ctx;
	atomic_store(&ks->kicks.interrupted, 1);
	atomic_fetch_add(&ks->kicks.seq, 1);
	idlk_futex_wake((volatile uint32_t *)&ks->kicks.seq, UINT32_MAX);
}

/* One CPU: no fence on other CPUs to ask for; clients fence for themselves. */
static const idl_server_port kicks_port = {.sleep = port_sleep, .interrupt = port_interrupt};

int kserve_init(kserver *ks, uint32_t capacity)
{
	if (capacity > KSERVE_MAX_SESSIONS)
		return IDL_E_INVALID_ARGUMENT;
	long h = idlk_shm_create(PAGE);
	if (h < 0)
		return IDL_E_TRANSPORT;
	long at = idlk_shm_map((int)h, NULL, IDLK_PROT_READ | IDLK_PROT_WRITE);
	if (at < 0)
		return IDL_E_TRANSPORT;
	ks->doorbell = (idl_doorbell *)at;
	ks->doorbell_handle = (int)h;
	idl_doorbell_init(ks->doorbell);
	idl_server_init(&ks->server, ks->doorbell, ks->slots, ks->sessions, capacity, NULL, 0);
	memset(&ks->kicks, 0, sizeof(ks->kicks));
	idl_server_set_port(&ks->server, &kicks_port, ks);
	ks->server.patience = (idl_patience){0, IDL_DEFAULT_YIELDS};
	ks->iface_count = 0;
	ks->listener_slot = -1;
	atomic_store(&ks->pending, 0);
	atomic_store(&ks->used, 0);
	atomic_store(&ks->stop, false);
	return kserve_add_interface(ks, &sys_listener_interface, &listener_handlers, ks);
}

int kserve_add_interface(kserver *ks, const idl_interface *iface, const void *handlers, void *ctx)
{
	if (ks->iface_count == KCHAN_MAX_PROTOCOLS)
		return IDL_E_BUFFER;
	int err = idl_server_add_interface(&ks->server, iface, handlers, ctx);
	if (err == IDL_OK)
		ks->ifaces[ks->iface_count++] = iface;
	return err;
}

void kserve_set_sessions(kserver *ks, idl_session_open_fn open, idl_session_close_fn close,
                         void *ctx)
{
	idl_server_set_sessions(&ks->server, open, close, ctx);
}

/* The ring size for the interfaces served: two of the largest frames fit. */
static uint32_t ring_bytes(kserver *ks)
{
	uint32_t need = IDL_RING_MIN_BYTES(idl_server_max_frame_bytes(&ks->server));
	uint32_t bytes = KCHAN_DEFAULT_RING;
	while (bytes < need)
		bytes *= 2;
	return bytes;
}

/* Takes a free slot (any thread); capacity when there is none. */
static uint32_t claim_slot(kserver *ks)
{
	uint32_t used = atomic_load(&ks->used);
	for (;;) {
		uint32_t slot = 0;
		while (slot < ks->server.capacity && (used & (1u << slot)))
			slot++;
		if (slot == ks->server.capacity)
			return slot;
		if (atomic_compare_exchange_weak(&ks->used, &used, used | (1u << slot)))
			return slot;
	}
}

/* Gives a slot back (any thread). */
static void release_slot(kserver *ks, uint32_t slot)
{
	atomic_fetch_and(&ks->used, ~(1u << slot));
}

/* The server thread: installs the sessions other threads made. */
static void install_pending(kserver *ks)
{
	uint32_t pending = atomic_exchange(&ks->pending, 0);
	for (uint32_t slot = 0; pending; slot++, pending >>= 1)
		if (pending & 1)
			idl_server_install(&ks->server, slot, &ks->conns[slot].end,
			                   ks->pending_client[slot]);
}

/* A closed channel's slot is free again (the runtime has removed it). */
static void on_closed(void *ctx, uint32_t slot, idl_chan_end *end, int reason)
{
	(void)end, (void)reason;
	kserver *ks = ctx;
	kchan_close(&ks->conns[slot]);
	release_slot(ks, slot);
}

/* kserve_add_session, telling the slot too. */
static int add_session(kserver *ks, uint64_t client, int *client_end, uint32_t *slot_out)
{
	uint32_t slot = claim_slot(ks);
	if (slot == ks->server.capacity)
		return IDL_E_BUFFER;
	kchan *c = &ks->conns[slot];
	int err = kchan_create(c, ring_bytes(ks), idl_server_max_frame_bytes(&ks->server),
	                       ks->doorbell_handle, slot, ks->ifaces, ks->iface_count, client_end);
	if (err != IDL_OK) {
		release_slot(ks, slot);
		return err;
	}
	/* Its kicks come to this server's own words (kserve_kicks). */
	struct idlk_chan_watch watch = {.seq = (uint64_t)(uintptr_t)&ks->kicks.seq,
	                                .bits = (uint64_t)(uintptr_t)&ks->kicks.bits[slot / 32],
	                                .bit = slot % 32};
	if (idlk_chan_watch(c->handle, &watch) < 0) {
		int client = *client_end;
		kchan_close(c);
		idlk_handle_close(client);
		release_slot(ks, slot);
		return IDL_E_TRANSPORT;
	}
	c->end.nonblock = true; /* the loop checks for room before it takes a request */
	ks->pending_client[slot] = client;
	*slot_out = slot;
	atomic_fetch_or(&ks->pending, 1u << slot);
	idl_server_interrupt(&ks->server);
	return IDL_OK;
}

int kserve_add_session(kserver *ks, uint64_t client, int *client_end, uint32_t *slot)
{
	uint32_t ignored;
	return add_session(ks, client, client_end, slot ? slot : &ignored);
}

/* A session's client is known only once its process exists: the one made
 * for a program to be spawned learns it here. Installed or not, the next
 * request sees it (a word written on x86-64 is read whole). */
void kserve_set_client(kserver *ks, uint32_t slot, uint64_t client)
{
	ks->pending_client[slot] = client;
	ks->sessions[slot].client = client;
}

int kserve_publish(kserver *ks, const char *name)
{
	idl_endpoint *dir = kserve_directory();
	if (!dir)
		return IDL_E_TRANSPORT;
	int listener;
	uint32_t slot;
	int err = add_session(ks, 1, &listener, &slot); /* the directory is init, process 1 */
	if (err != IDL_OK)
		return err;
	ks->listener_slot = (int)slot;
	sys_services_publish_request req = {.name = {.size = (uint32_t)strlen(name), .data = name},
	                                    .listener = (idl_handle)listener};
	sys_services_publish_reply_buffer rb;
	const sys_services_publish_reply *reply;
	sys_errno error;
	err = sys_services_publish(dir, &req, &rb, &reply, &error);
	if (err == IDL_E_REMOTE)
		printf("kserve: publishing \"%s\": %s\n", name, sys_errno_name(error));
	return err;
}

void kserve_run(kserver *ks)
{
	/* Room for any frame of the channel: a newer client's request may be
	 * larger than this version's largest (docs/evolution.md). */
	size_t bytes = (idl_server_max_frame_bytes(&ks->server) + PAGE - 1) / PAGE * PAGE;
	long buf = idlk_map(NULL, bytes, IDLK_PROT_READ | IDLK_PROT_WRITE);
	if (buf < 0) {
		printf("kserve: no memory for the request buffer\n");
		return;
	}
	ks->server.buf = (void *)buf;
	ks->server.buf_bytes = bytes;
	idl_server_set_close(&ks->server, on_closed, ks);
	while (!atomic_load(&ks->stop)) {
		install_pending(ks);
		idl_server_poll(&ks->server, 0);
		if (ks->turn)
			ks->turn(ks->turn_ctx);
	}
}

void kserve_set_turn(kserver *ks, void (*fn)(void *ctx), void *ctx)
{
	ks->turn = fn;
	ks->turn_ctx = ctx;
}

void kserve_wake(kserver *ks)
{
	idl_server_interrupt(&ks->server);
}

void kserve_stop(kserver *ks)
{
	atomic_store(&ks->stop, true);
	idl_server_interrupt(&ks->server);
}

/* The client side. */

/* Room for a frame that comes while a call waits and does not fit its
 * buffer (an event, say): the directory's frames, and up to SCRATCH_BYTES
 * on other connections (kserve_connect_chan's callers may give more). */
#define SCRATCH_BYTES 4096

/* How often a lookup asks again while the service's server is starting. */
#define START_POLL_MS 20

static kchan directory_chan;
static bool directory_open;
static _Alignas(8) uint8_t directory_scratch[SYS_SERVICES_MAX_FRAME_BYTES];
static kchan connections[KSERVE_MAX_CONNECTIONS];
static bool connection_used[KSERVE_MAX_CONNECTIONS];
static _Alignas(8) uint8_t scratch[KSERVE_MAX_CONNECTIONS][SCRATCH_BYTES];

idl_endpoint *kserve_directory(void)
{
	if (!directory_open) {
		int err = kchan_open(&directory_chan, DIRECTORY_HANDLE, SYS_SERVICES_PROTOCOL,
		                     directory_scratch, sizeof(directory_scratch));
		if (err != IDL_OK)
			return NULL;
		directory_open = true;
	}
	return idl_chan_end_endpoint(&directory_chan.end);
}

kchan *kserve_connect_chan(const char *name, uint32_t protocol, sys_errno *error)
{
	*error = SYS_ERRNO_NOT_FOUND;
	idl_endpoint *dir = kserve_directory();
	if (!dir)
		return NULL;
	int i = 0;
	while (i < KSERVE_MAX_CONNECTIONS && connection_used[i])
		i++;
	if (i == KSERVE_MAX_CONNECTIONS) {
		*error = SYS_ERRNO_TOO_MANY;
		return NULL;
	}
	sys_services_lookup_request req = {.name = {.size = (uint32_t)strlen(name), .data = name}};
	sys_services_lookup_reply_buffer rb;
	const sys_services_lookup_reply *reply;
	int err = sys_services_lookup(dir, &req, &rb, &reply, error);
	/* WOULD_BLOCK: init is starting the service's server (again, after a
	 * crash, perhaps slowly on a busy machine); it answers NOT_FOUND once
	 * no server will come. */
	for (uint32_t waited = 0; err == IDL_E_REMOTE && *error == SYS_ERRNO_WOULD_BLOCK &&
	                          waited < KSERVE_START_WAIT_MS;
	     waited += START_POLL_MS) {
		static volatile uint32_t never;
		idlk_futex_wait(&never, 0, START_POLL_MS * 1000000ull);
		err = sys_services_lookup(dir, &req, &rb, &reply, error);
	}
	if (err != IDL_OK) {
		if (err != IDL_E_REMOTE)
			*error = SYS_ERRNO_IO;
		return NULL;
	}
	int handle = (int)reply->channel;
	if (kchan_open(&connections[i], handle, protocol, scratch[i], SCRATCH_BYTES) != IDL_OK) {
		idlk_handle_close(handle);
		*error = SYS_ERRNO_NOT_SUPPORTED;
		return NULL;
	}
	connection_used[i] = true;
	return &connections[i];
}

void kserve_disconnect(kchan *c)
{
	kchan_close(c);
	connection_used[c - connections] = false;
}

idl_endpoint *kserve_connect(const char *name, uint32_t protocol)
{
	sys_errno error;
	kchan *c = kserve_connect_chan(name, protocol, &error);
	return c ? idl_chan_end_endpoint(&c->end) : NULL;
}
