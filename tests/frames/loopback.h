/*
 * loopback.h: an in-process idl_endpoint pair for tests. Two in-memory frame
 * queues join a client end and a server end; receive copies each frame out
 * with idl_frame_copy, as a shared-memory transport does.
 */
#ifndef LOOPBACK_H
#define LOOPBACK_H

#include "idl_wire.h"

#define LOOPBACK_SLOTS      8
#define LOOPBACK_SLOT_BYTES 32768u

typedef struct loopback_frame {
	_Alignas(8) uint8_t bytes[LOOPBACK_SLOT_BYTES];
	size_t size;
	idl_typed_handle handles[IDL_MAX_HANDLES];
	uint32_t handle_count;
} loopback_frame;

typedef struct loopback_queue {
	loopback_frame slots[LOOPBACK_SLOTS];
	unsigned head, count;
	bool reserved; /* a send_begin is outstanding */
} loopback_queue;

typedef struct loopback_end loopback_end;
struct loopback_end {
	idl_endpoint ep; /* first: an idl_endpoint * is a loopback_end * */
	loopback_queue *out;
	loopback_queue *in;
	/* Called by receive when no frame waits: runs the other side. */
	void (*pump)(void *ctx);
	void *pump_ctx;
	idl_call *calls;   /* calls in flight (idl_call.next) */
	unsigned dropped;  /* replies that found no call */
	unsigned released; /* handles given back through ops.release */
	idl_handle last_released;
};

typedef struct loopback {
	loopback_queue to_server, to_client;
	loopback_end client, server;
} loopback;

void loopback_init(loopback *lb);

/* Frames waiting for an end. */
unsigned loopback_pending(const loopback_end *end);

#endif /* LOOPBACK_H */
