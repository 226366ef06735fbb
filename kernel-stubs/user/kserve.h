/*
 * kserve.h: serving and finding services on the reference kernel, over the
 * runtime's server loop (idl/server.h) and kchan.h's channels.
 *
 * A server makes a kserver, registers its interfaces (the generated
 * <iface>_interface and handler tables) and publishes itself under a name:
 * it makes a listener channel, a session of its own that speaks
 * sys.Listener, and gives the directory (init, sys.Services) the other end.
 * When a program looks the name up, the directory asks the listener for a
 * session, and the server makes a new channel, serves its end and hands
 * back the client's. kserve_run then serves every session on one thread.
 *
 * A client finds a service with kserve_connect(name, protocol): a lookup
 * through the directory channel every program gets as its handle 0.
 */
#ifndef KSERVE_H
#define KSERVE_H

#include "idl/server.h"
#include "kchan.h"
#include "sys.h"

#define KSERVE_MAX_SESSIONS 16
#define DIRECTORY_HANDLE    0 /* every program's channel to the directory */

/*
 * Where the kernel delivers its channels' kicks (IDLK_SYS_CHAN_WATCH): in
 * the server's own memory, which no client maps, so that a kick is
 * something no other client can undo. The server thread sleeps on seq.
 */
typedef struct kserve_kicks {
	_Atomic uint32_t seq;         /* the kernel adds 1 per kick; interrupts too */
	_Atomic uint32_t interrupted; /* kserve_wake and friends: the sleep returns */
	_Atomic uint32_t bits[(KSERVE_MAX_SESSIONS + 31) / 32]; /* bit: the slot kicked */
} kserve_kicks;

typedef struct kserver {
	kchan conns[KSERVE_MAX_SESSIONS]; /* first: cache-line aligned */
	idl_server server;
	idl_chan_end *slots[KSERVE_MAX_SESSIONS];
	idl_session sessions[KSERVE_MAX_SESSIONS];
	_Atomic uint32_t pending; /* slots made by other threads, to install */
	uint64_t pending_client[KSERVE_MAX_SESSIONS];
	_Atomic uint32_t used; /* slots taken (made or installed) */
	idl_doorbell *doorbell;
	int doorbell_handle;
	const idl_interface *ifaces[KCHAN_MAX_PROTOCOLS]; /* announced in each hello */
	uint32_t iface_count;
	int listener_slot; /* -1 until published */
	_Atomic bool stop;
	kserve_kicks kicks;
	void (*turn)(void *ctx); /* kserve_set_turn */
	void *turn_ctx;
} kserver;

int kserve_init(kserver *ks, uint32_t capacity);
/* Serves iface with its handler table; r->ctx is ctx. */
int kserve_add_interface(kserver *ks, const idl_interface *iface, const void *handlers, void *ctx);
void kserve_set_sessions(kserver *ks, idl_session_open_fn open, idl_session_close_fn close,
                         void *ctx);

/*
 * Makes a session for `client` (a process id; 0 unknown) on a new channel
 * and stores the client's end in *client_end (and its slot in *slot, if not
 * NULL). From the serving thread (a handler) it is served at once; from any
 * other thread at the loop's next turn.
 */
int kserve_add_session(kserver *ks, uint64_t client, int *client_end, uint32_t *slot);
/* Names the client of the session in slot, made before its process was. */
void kserve_set_client(kserver *ks, uint32_t slot, uint64_t client);

/* Publishes the server under name through the directory. */
int kserve_publish(kserver *ks, const char *name);

/*
 * Calls fn(ctx) on the serving thread after every pass of the loop: work
 * that other threads leave for it (events to send, say). Another thread
 * asks for a pass with kserve_wake.
 */
void kserve_set_turn(kserver *ks, void (*fn)(void *ctx), void *ctx);
void kserve_wake(kserver *ks);

/* Serves until kserve_stop; returns at once if the server cannot run. */
void kserve_run(kserver *ks);
void kserve_stop(kserver *ks);

/* The session of slot id, for servers that keep per-slot state. */
static inline uint32_t kserve_slot_of(const idl_session *s)
{
	return s->id;
}

/*
 * Connects to the service published under name that speaks protocol (its
 * <IFACE>_PROTOCOL; 0: any): the endpoint, or NULL. Up to
 * KSERVE_MAX_CONNECTIONS connections per program. While init is starting
 * the service's server (the directory answers WOULD_BLOCK), it waits up to
 * KSERVE_START_WAIT_MS for it to publish.
 */
#define KSERVE_MAX_CONNECTIONS 8
#define KSERVE_START_WAIT_MS   60000
idl_endpoint *kserve_connect(const char *name, uint32_t protocol);
/* The same, as the channel end, for callers that close it themselves. */
kchan *kserve_connect_chan(const char *name, uint32_t protocol, sys_errno *error);

/* Closes a connection kserve_connect_chan made. */
void kserve_disconnect(kchan *c);

/* The program's channel to the directory (handle 0), opened at first use. */
idl_endpoint *kserve_directory(void);

#endif
