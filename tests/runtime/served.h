/*
 * served.h: an idl_server on a thread of its own serving channels in the
 * same process, for the runtime's unit tests (and ThreadSanitizer): each
 * channel is a region in memory with a client end for the test and a
 * server end for the server, all ringing one doorbell.
 */
#ifndef SERVED_H
#define SERVED_H

#include "idl/server.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define SERVED_MAX 4u

typedef struct served_channel {
	idl_chan_end client, server_end;
	uint8_t *region;
	size_t region_bytes;
	uint8_t *scratch; /* the client's, max_frame bytes */
} served_channel;

typedef struct served {
	idl_server server;
	idl_doorbell doorbell;
	idl_chan_end *slots[SERVED_MAX];
	idl_session sessions[SERVED_MAX];
	served_channel ch[SERVED_MAX];
	uint32_t ring_bytes, max_frame_bytes;
	uint8_t *buf;
	_Atomic bool stop;
	pthread_t thread;
	bool running;
} served;

/* A server for channels of ring_bytes rings and max_frame_bytes frames;
 * register interfaces and sessions on s->server, then served_open. */
static inline void served_init(served *s, uint32_t ring_bytes, uint32_t max_frame_bytes)
{
	memset(s, 0, sizeof(*s));
	s->ring_bytes = ring_bytes;
	s->max_frame_bytes = max_frame_bytes;
	s->buf = aligned_alloc(8, max_frame_bytes);
	idl_doorbell_init(&s->doorbell);
	idl_server_init(&s->server, &s->doorbell, s->slots, s->sessions, SERVED_MAX, s->buf,
	                max_frame_bytes);
}

/* Makes channel i and serves it (with the server thread stopped); returns
 * what idl_server_add did: the slot, or the open callback's refusal. */
static inline int served_open(served *s, uint32_t i)
{
	assert_false(s->running);
	served_channel *c = &s->ch[i];
	c->region_bytes = idl_chan_region_bytes(s->ring_bytes);
	c->region = aligned_alloc(IDL_CACHE_LINE, c->region_bytes);
	c->scratch = aligned_alloc(8, s->max_frame_bytes);
	memset(c->region, 0, c->region_bytes);
	assert_int_equal(
	    idl_chan_format(c->region, c->region_bytes, s->ring_bytes, s->max_frame_bytes), IDL_OK);
	assert_int_equal(idl_chan_end_init(&c->client, c->region, c->region_bytes, IDL_CHAN_CLIENT),
	                 IDL_OK);
	assert_int_equal(
	    idl_chan_end_init(&c->server_end, c->region, c->region_bytes, IDL_CHAN_SERVER), IDL_OK);
	c->server_end.nonblock = true; /* the loop checks for room itself */
	idl_chan_end_set_scratch(&c->client, c->scratch, s->max_frame_bytes);
	c->client.ep.timeout_ns = 10000000000u; /* a lost reply fails a test, not hangs it */
	c->client.patience.spins = 100;
	int slot = idl_server_add(&s->server, &c->server_end, 1000 + i);
	if (slot >= 0)
		idl_chan_end_set_doorbell(&c->client, &s->doorbell, (uint32_t)slot);
	return slot;
}

static inline idl_endpoint *served_ep(served *s, uint32_t i)
{
	return &s->ch[i].client.ep;
}

static void *served_thread(void *arg)
{
	served *s = arg;
	idl_server_run(&s->server, &s->stop);
	return NULL;
}

static inline void served_start(served *s)
{
	atomic_store(&s->stop, false);
	s->running = true;
	assert_int_equal(pthread_create(&s->thread, NULL, served_thread, s), 0);
}

static inline void served_stop(served *s)
{
	atomic_store(&s->stop, true);
	idl_server_interrupt(&s->server);
	pthread_join(s->thread, NULL);
	s->running = false;
}

/* Stops serving, ends every session and frees the channels. */
static inline void served_close(served *s)
{
	if (s->running)
		served_stop(s);
	for (uint32_t i = 0; i < SERVED_MAX; i++) {
		idl_server_close_slot(&s->server, i, IDL_E_PEER_CLOSED);
		free(s->ch[i].region);
		free(s->ch[i].scratch);
		s->ch[i].region = s->ch[i].scratch = NULL;
	}
	free(s->buf);
	s->buf = NULL;
}

#endif /* SERVED_H */
