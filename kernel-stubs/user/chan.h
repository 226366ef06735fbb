/*
 * chan.h: how programs of the reference system find their channels. init
 * creates a shared-memory object per channel, formats it as a runtime
 * channel and passes its handle at spawn; the child maps the handle and
 * opens its end. CHAN_BYTES is the size of every such region.
 */
#ifndef CHAN_H
#define CHAN_H

#include "idl/endpoint.h"

/* Each ring holds two of the console's largest frames (IDL_RING_MIN_BYTES). */
#define CHAN_RING_BYTES 32768u
#define CHAN_BYTES      ((IDL_CHAN_RINGS_OFFSET + 2 * CHAN_RING_BYTES + 4095u) & ~4095u)

/* Maps the channel behind handle at addr (NULL: anywhere) and opens side
 * of it in e; 0 or < 0. */
int chan_open(int handle, void *addr, enum idl_chan_side side, idl_chan_end *e);

/* init: creates and formats a channel; returns its handle or < 0. */
int chan_create(uint32_t max_frame_bytes);

#endif
