/*
 * idl/server.h: one server thread serving many channels.
 *
 * The server sleeps on one doorbell that all its clients share. A client
 * that publishes a request sets its channel's bit in the doorbell's ready
 * set and wakes the server only if the server sleeps. The server takes the
 * ready set with an exchange per word, drains every ready channel (up to
 * batch_limit frames each, so one busy client cannot starve the others),
 * wakes each client once per batch, and sleeps again only when the set is
 * empty. Work per wake-up is proportional to the channels that are ready,
 * not to the channels that exist.
 *
 * A client can scribble on the doorbell (it is shared writable), so the
 * ready set is a hint: every rescan_ns the server also looks at every
 * channel once, which bounds what a hostile client can do to the others to
 * a delay, and notices clients that died without closing.
 *
 * Freestanding, like the rest of the core.
 */
#ifndef IDL_SERVER_H
#define IDL_SERVER_H

#include "idl/endpoint.h"

/*
 * Handles one frame from one channel: the frame is a private copy, not yet
 * validated (pass it to the generated *_dispatch with ep). Returns an
 * idl_error: a decoding error (IDL_E_FRAME_SHORT .. IDL_E_HANDLE_INDEX
 * except IDL_E_BUFFER, and IDL_E_HANDLE_KIND) means the client broke the
 * protocol and its channel is closed; any other value is counted and
 * serving goes on. The handles
 * are released after the handler returns; a handler that keeps one
 * duplicates it first.
 */
typedef int (*idl_frame_handler)(void *ctx, idl_endpoint *ep, void *frame, size_t size,
                                 const idl_typed_handle *handles, uint32_t handle_count);

/* Told when a channel is closed (peer closed, protocol error) and removed. */
typedef void (*idl_close_fn)(void *ctx, uint32_t slot, idl_chan_end *end, int reason);

typedef struct idl_server {
	idl_doorbell *doorbell;
	idl_chan_end **slots;  /* capacity entries; NULL when free */
	uint32_t capacity;     /* at most IDL_DOORBELL_CHANNELS */
	uint32_t batch_limit;  /* frames per channel per pass */
	idl_patience patience; /* doorbell checks before sleeping */
	uint64_t rescan_ns;    /* longest sleep before looking at every channel */
	uint64_t next_rescan;
	idl_frame_handler handler;
	void *ctx;
	idl_close_fn on_close;
	void *close_ctx;
	void *buf; /* private frame buffer, 8-aligned */
	size_t buf_bytes;
	uint64_t frames;             /* frames handled */
	uint64_t wakeups;            /* passes that found work */
	uint64_t errors;             /* handler errors that did not close a channel */
	int last_error;              /* the last of them */
	bool time_passes;            /* measure busy_ns (two clock reads per pass) */
	uint64_t busy_ns;            /* time in passes that handled frames: the server's work */
	_Atomic bool *stop;          /* idl_server_run returns once this is true */
	_Atomic uint32_t interrupts; /* idl_server_interrupt calls, from any thread */
	uint32_t interrupts_seen;    /* those idl_server_poll has returned for */
	bool idle;                   /* the last poll handled nothing: sleep without spinning */
} idl_server;

#define IDL_DEFAULT_BATCH_LIMIT 64u
#define IDL_DEFAULT_RESCAN_NS   100000000u

/* buf must hold the largest request frame of the served interface. */
void idl_server_init(idl_server *s, idl_doorbell *db, idl_chan_end **slots, uint32_t capacity,
                     idl_frame_handler handler, void *ctx, void *buf, size_t buf_bytes);
void idl_server_set_close(idl_server *s, idl_close_fn fn, void *ctx);

/* Serves a server end: returns its slot (the doorbell bit its client must
 * ring, see idl_chan_end_set_doorbell), or IDL_E_BUFFER when full. */
int idl_server_add(idl_server *s, idl_chan_end *end);
/* Stops serving a slot without closing its channel. */
void idl_server_remove(idl_server *s, uint32_t slot);

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

#endif /* IDL_SERVER_H */
