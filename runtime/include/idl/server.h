/*
 * idl/server.h: one server thread serving one or more interfaces to many
 * clients, each client a session on a channel of its own.
 *
 * Serving: the server takes each request frame into its private buffer and
 * hands it to the generated dispatcher of the first registered interface
 * that knows its ordinal (idl_server_add_interface), with an idl_request
 * that names the client's session. A request that no interface knows (a
 * newer client's method) is answered "not supported"
 * (idl_serve_not_supported; the dispatcher does the same for a method
 * whose handler is NULL) and the channel stays open; a frame that breaks
 * the wire format closes it. A session begins when its channel is
 * installed and ends when the channel closes; callbacks (idl_server_set_
 * sessions) make and free what the server keeps per session.
 *
 * Waking: each channel's `notify` word (idl/channel.h), which only its own
 * client and the server can write, says how its client tells the server
 * about a frame. While the server is awake the client marks its channel's
 * bit in the doorbell all clients share, and the server takes that ready
 * set with an exchange per word and drains every ready channel (up to
 * batch_limit frames each, so one busy client cannot starve the others):
 * work per pass is proportional to the channels that are ready, not to
 * the channels that exist. One channel at a time, a client that keeps the
 * server busy, is watched (NOTIFY_NONE): the server looks at its indices on
 * every pass and while it spins, and the client tells it nothing.
 *
 * Before it sleeps the server sets KICK in every channel that said
 * otherwise, fences (for its clients too, when the port can:
 * idl_server_port.fence_clients) and looks at those channels once; then a
 * client that publishes kicks it through the port, with something of its
 * own that no other client can clear (Linux: an eventfd per client, which
 * the server sleeps on with epoll). So the shared ready set is only a
 * hint: a client that clears another's bits delays it until the server's
 * next look at every channel (every sweep_passes busy passes) or until it
 * goes to sleep, and one that keeps the doorbell ringing with nothing
 * behind it (so that the server never sleeps) until the server's next look
 * after IDL_SERVER_FALSE_ALARMS such rings in a row; never further. An
 * idle server sleeps with no timer.
 * Without a port, a kick is a wake-up of the doorbell's futex word, which
 * a hostile client could undo (the reference kernel's case; docs/runtime.md).
 *
 * Freestanding, like the rest of the core; the memory is the caller's.
 */
#ifndef IDL_SERVER_H
#define IDL_SERVER_H

#include "idl/endpoint.h"

typedef struct idl_server idl_server;

/*
 * A client's session: one channel, from its installation to its close. A
 * handler finds it in r->session. Sessions live in an array the caller
 * gives the server, one per slot, for as long as the server.
 */
struct idl_session {
	uint32_t id;     /* its slot: unique among the sessions open at one time */
	uint64_t client; /* who: the port's name for the peer (Linux: its pid); 0 unknown */
	void *state;     /* what the open callback made of it; NULL without one */
	idl_server *server;
	/* The runtime's own. */
	idl_lock lock;       /* serializes replies from other threads with the server's */
	uint32_t generation; /* sessions this slot has had; under lock */
	bool open;           /* under lock */
	bool starved;        /* a deferred reply gave up for want of room, and none has
	                      * found room since: the next do not wait; under lock */
	idl_chan_end *end;   /* its channel, while open */
};

/* Makes the state of a new session (session->state); any error refuses the
 * session, whose channel is closed at once. */
typedef int (*idl_session_open_fn)(void *ctx, idl_session *session);
/* Frees it when the session ends: its channel closed (reason: the peer
 * closed, broke the protocol, or the server closes). */
typedef void (*idl_session_close_fn)(void *ctx, idl_session *session, int reason);

/* For ports: told when a channel is closed and removed, after the session
 * close callback. */
typedef void (*idl_close_fn)(void *ctx, uint32_t slot, idl_chan_end *end, int reason);

#define IDL_SERVER_MAX_INTERFACES 8u

/*
 * What a port supplies for a server whose clients kick it (idl_transfer_ops
 * .kick) rather than wake the doorbell's futex word. Linux: serve.c.
 */
typedef struct idl_server_port {
	/* Sleeps until a client kicks, the port is interrupted, or timeout_ns
	 * passes (0: no limit); sets the bit of each slot that kicked in
	 * kicked[IDL_DOORBELL_WORDS] and returns the words it set bits in (bit
	 * w: kicked[w]). May return early. */
	uint32_t (*sleep)(void *ctx, uint64_t timeout_ns, uint32_t *kicked);
	/* Makes a sleep return: any thread, or a signal handler. */
	void (*interrupt)(void *ctx);
	/* A full fence on every CPU that runs a thread of a client (Linux:
	 * membarrier), so that clients may publish with a compiler barrier only
	 * (idl_chan_end.light_fence). NULL: they fence for themselves. */
	void (*fence_clients)(void *ctx);
} idl_server_port;

typedef struct idl_served_interface {
	const idl_interface *iface;
	const void *handlers; /* its generated handler table */
	void *ctx;            /* r->ctx for its handlers */
} idl_served_interface;

struct idl_server {
	idl_doorbell *doorbell;
	idl_chan_end **slots;        /* capacity entries; NULL when free */
	idl_session *sessions;       /* capacity entries */
	uint32_t capacity;           /* at most IDL_DOORBELL_CHANNELS */
	uint32_t batch_limit;        /* frames per channel per pass */
	idl_patience patience;       /* doorbell checks before sleeping */
	uint32_t spin_budget;        /* spins of the next wait (idl_spin_until) */
	uint32_t sweep_passes;       /* busy passes between looks at every channel */
	uint32_t unswept;            /* busy passes since the last */
	uint32_t false_alarms;       /* passes in a row the doorbell rang for nothing */
	uint32_t watched;            /* the slot watched, or IDL_SERVER_NO_WATCH */
	uint32_t watch_quiet;        /* busy passes since the watched channel had a frame */
	uint32_t watch_slip;         /* checks that leave the watched channel alone (server.c) */
	uint32_t last_busy;          /* the last slot that had frames */
	const idl_server_port *port; /* NULL: sleep on the doorbell's futex word */
	void *port_ctx;
	uint32_t kicked[IDL_DOORBELL_WORDS];  /* slots that kicked the port, not yet drained */
	uint32_t lax[IDL_DOORBELL_WORDS];     /* slots whose `notify` is not KICK */
	uint32_t changed[IDL_DOORBELL_WORDS]; /* those told to kick before the last sleep */
	uint32_t kicked_words;                /* bit w: kicked[w] may be nonzero */
	uint64_t reply_wait_ns; /* how long a deferred reply waits for room in its ring */
	idl_served_interface interfaces[IDL_SERVER_MAX_INTERFACES];
	uint32_t interface_count;
	idl_session_open_fn session_open;
	idl_session_close_fn session_close;
	void *session_ctx;
	idl_close_fn on_close;
	void *close_ctx;
	void *buf; /* private frame buffer, 8-aligned */
	size_t buf_bytes;
	uint64_t frames;      /* frames handled */
	uint64_t wakeups;     /* passes that found work */
	uint64_t sleeps;      /* times the server slept on its doorbell */
	uint64_t sweeps;      /* looks at every channel: before sleeping, and while busy */
	uint64_t errors;      /* handler errors that did not close a channel */
	uint64_t unsupported; /* requests of no interface's: "not supported" (one-way: dropped) */
	int last_error;       /* the last of them */
	bool time_passes;     /* measure busy_ns (two clock reads per pass) */
	uint64_t busy_ns;     /* time in passes that handled frames: the server's work */
	_Atomic bool *stop;   /* idl_server_run returns once this is true */
	_Atomic uint32_t interrupts; /* idl_server_interrupt calls, from any thread */
	uint32_t interrupts_seen;    /* those idl_server_poll has returned for */
	bool idle;                   /* the last poll handled nothing: sleep without spinning */
};

#define IDL_DEFAULT_BATCH_LIMIT  64u
#define IDL_DEFAULT_SWEEP_PASSES 4096u
/* Passes in a row that find the doorbell rung and nothing to do before the
 * server looks at every channel: an honest client's bit is found with its
 * frames, or after the watched channel took them, once. */
#define IDL_SERVER_FALSE_ALARMS   8u
#define IDL_DEFAULT_REPLY_WAIT_NS 1000000000u
#define IDL_SERVER_NO_WATCH       0xffffffffu

/*
 * slots and sessions: capacity entries each. buf must hold the largest
 * request of every interface served (it may be given later, before the
 * first poll: a port that sizes it from the interfaces registered).
 */
void idl_server_init(idl_server *s, idl_doorbell *db, idl_chan_end **slots, idl_session *sessions,
                     uint32_t capacity, void *buf, size_t buf_bytes);

/*
 * Serves an interface with a table of its handlers (the generated
 * <iface>_handlers) and a context for them (r->ctx). Requests go to the
 * first interface registered that knows their ordinal. IDL_E_BUFFER: too
 * many interfaces, or buf too small for the interface's requests.
 */
int idl_server_add_interface(idl_server *s, const idl_interface *iface, const void *handlers,
                             void *ctx);
/* The largest request and the largest frame of the interfaces registered. */
uint32_t idl_server_max_request_bytes(const idl_server *s);
uint32_t idl_server_max_frame_bytes(const idl_server *s);

/* Per-session state: open is called when a channel is installed, close
 * when it is removed (either may be NULL). */
void idl_server_set_sessions(idl_server *s, idl_session_open_fn open, idl_session_close_fn close,
                             void *ctx);
void idl_server_set_close(idl_server *s, idl_close_fn fn, void *ctx);
/* Sleeps and wakes through a port (before the first poll). */
void idl_server_set_port(idl_server *s, const idl_server_port *port, void *ctx);

/*
 * Serves a server end in the first free slot and opens its session;
 * returns the slot (the doorbell bit its client must ring, see
 * idl_chan_end_set_doorbell), IDL_E_BUFFER when full, or the open
 * callback's refusal (the channel is then closed).
 */
int idl_server_add(idl_server *s, idl_chan_end *end, uint64_t client);
/* The same in a slot the caller chose (a port that told the client its
 * slot already); the slot must be free. */
int idl_server_install(idl_server *s, uint32_t slot, idl_chan_end *end, uint64_t client);

/*
 * One pass: waits up to timeout_ns (0: until something happens) for a
 * ready channel, then drains every ready channel. Returns the frames
 * handled (0 after a timeout).
 */
int64_t idl_server_poll(idl_server *s, uint64_t timeout_ns);

/* Polls until *stop is true (set it, then idl_server_interrupt). */
void idl_server_run(idl_server *s, _Atomic bool *stop);
/* Wakes the server thread from another thread of its process: a poll in
 * progress returns (maybe with 0 frames), so the caller's loop can act,
 * e.g. install a new channel. */
void idl_server_interrupt(idl_server *s);
/* Closes the channel in a slot and ends its session (the server thread's
 * call, e.g. when the server shuts down). */
void idl_server_close_slot(idl_server *s, uint32_t slot, int reason);
/* The port learnt that the client of a slot is gone without closing (its
 * process died): what it sent is served, one batch, and the session ends
 * with IDL_E_PEER_CLOSED. The server thread's call. */
void idl_server_peer_gone(idl_server *s, uint32_t slot);

/*
 * Deferred replies. A handler's <method>_defer gives the reply to the
 * request it serves a token (idl_wire.h) that names its session; the
 * handler returns IDL_DEFERRED and the server goes on serving, this
 * client and the others. Later, on any thread, <method>_reply_ok or
 * <method>_reply_error writes the reply into the client's ring under the
 * session's lock and wakes the client:
 *
 *  - once: a second use of the token is IDL_E_REPLIED;
 *  - only while the session lasts: once its channel has closed the token
 *    is IDL_E_PEER_CLOSED and nothing is written (the session's memory is
 *    the server's and outlives it, so the check is safe);
 *  - waiting for room at most reply_wait_ns (default 1 s) when the client
 *    does not take its replies; then IDL_E_TIMEOUT and the reply is lost
 *    (the token is used up), so that a client cannot hold up the thread
 *    that answers it. Once a reply has given up, the session's next
 *    replies that find no room give up at once, until one finds room: a
 *    client that leaves a thread n replies to send holds it up for
 *    reply_wait_ns, not n times that.
 *
 * While a session has tokens out, the server thread takes the same lock
 * around its own sends on that channel. idl_session_defer is the
 * runtime's end of <method>_defer (the endpoint's defer op).
 */
int idl_session_defer(idl_session *session, uint32_t txid, idl_reply_token *token);

#endif /* IDL_SERVER_H */
