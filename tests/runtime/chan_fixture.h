/*
 * chan_fixture.h: an in-process channel for the runtime's unit tests, and
 * helpers that write and check small test frames.
 */
#ifndef CHAN_FIXTURE_H
#define CHAN_FIXTURE_H

#include "idl/endpoint.h"

#include <string.h>

#define FIX_MAX_FRAME 256u
#define FIX_RING      1024u /* IDL_RING_MIN_BYTES(256) */

typedef struct fixture {
	_Alignas(64) uint8_t region[IDL_CHAN_RINGS_OFFSET + 2 * FIX_RING];
	idl_chan_end client, server;
} fixture;

/* Formats a zeroed channel in region and opens both ends, non-blocking. */
static inline void chan_pair_init(void *region, size_t region_bytes, uint32_t ring_bytes,
                                  idl_chan_end *client, idl_chan_end *server)
{
	memset(region, 0, region_bytes);
	idl_chan_format(region, region_bytes, ring_bytes, FIX_MAX_FRAME);
	idl_chan_end_init(client, region, region_bytes, IDL_CHAN_CLIENT);
	idl_chan_end_init(server, region, region_bytes, IDL_CHAN_SERVER);
	client->nonblock = server->nonblock = true;
}

static inline void fixture_init(fixture *f)
{
	chan_pair_init(f->region, sizeof(f->region), FIX_RING, &f->client, &f->server);
}

static inline idl_chan_shared *fixture_shared(fixture *f)
{
	return (idl_chan_shared *)f->region;
}

/* Writes a test frame: header, then bytes filled from seq. */
static inline void fill_frame(void *at, uint32_t size, uint32_t txid, uint16_t flags,
                              uint16_t handle_count, uint32_t seq)
{
	idl_frame_header h = {.size = size,
	                      .ordinal = seq,
	                      .txid = txid,
	                      .flags = flags,
	                      .handle_count = handle_count};
	memcpy(at, &h, sizeof(h));
	for (uint32_t i = sizeof(h); i < size; i++)
		((uint8_t *)at)[i] = (uint8_t)(seq + i);
}

static inline int check_frame(const void *at, uint32_t size, uint32_t seq)
{
	const idl_frame_header *h = at;
	if (h->size != size || h->ordinal != seq)
		return -1;
	for (uint32_t i = sizeof(*h); i < size; i++)
		if (((const uint8_t *)at)[i] != (uint8_t)(seq + i))
			return -1;
	return 0;
}

/* Sends one frame through an end; returns the idl_error. */
static inline int send_frame(idl_chan_end *e, uint32_t size, uint32_t txid, uint16_t flags,
                             uint32_t seq)
{
	void *at;
	int err = e->ep.ops->send_begin(&e->ep, size, &at);
	if (err != IDL_OK)
		return err;
	fill_frame(at, size, txid, flags, 0, seq);
	return e->ep.ops->send_commit(&e->ep, size, NULL, 0);
}

#endif /* CHAN_FIXTURE_H */
