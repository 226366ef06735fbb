/*
 * kchan.h: the runtime's channels on the reference kernel. A channel is a
 * kernel channel object (two ends, each a handle); its memory holds the
 * runtime's rings, laid out by idl_chan_format, and after them one page the
 * server fills for its client: the hello (which slot of its doorbell the
 * client rings, the word of the doorbell's handle that travels to the
 * client's end, the wire format, the protocols served and their versions).
 * Handles move with frames through
 * the kernel (handle_send, handle_receive): kchan_transfer is the runtime's
 * transfer ops on them. When an end's last handle goes, the kernel marks it
 * closed in the runtime's wake words and wakes the survivor.
 *
 * End 0 of a channel is the server's, end 1 the client's.
 */
#ifndef KCHAN_H
#define KCHAN_H

#include "idl/endpoint.h"
#include "ulib.h"

#define KCHAN_HELLO_MAGIC   0x6c6c6548u /* "Hell" */
#define KCHAN_MAX_PROTOCOLS 8
#define KCHAN_DEFAULT_RING  32768u

/* The page after the rings, written by the server before the client has
 * the channel, copied and checked by the client. */
struct kchan_hello {
	uint32_t magic;
	uint32_t slot;          /* the client's bit in the server's doorbell */
	uint32_t doorbell_word; /* handle_receive's word for the doorbell's handle */
	uint32_t wire_version;  /* IDL_WIRE_VERSION */
	uint32_t protocol_count;
	uint32_t protocols[KCHAN_MAX_PROTOCOLS];
	uint32_t versions[KCHAN_MAX_PROTOCOLS]; /* each interface's version */
	uint32_t oldest[KCHAN_MAX_PROTOCOLS];   /* and the oldest it talks to */
};

/* One end of a channel, as a process holds it. */
typedef struct kchan {
	idl_chan_end end; /* first: cache-line aligned */
	int handle;       /* the kernel end */
	void *region;
	size_t region_bytes;
	idl_doorbell *doorbell; /* the client's: the server's doorbell, mapped */
	uint32_t peer_version;  /* the client's: the server's version of the interface */
	uint32_t peer_oldest;   /* and the oldest version it talks to */
} kchan;

/* The runtime's transfer ops over kernel handles; their ctx is the kchan. */
extern const idl_transfer_ops kchan_transfer;

/* The IDL kind (IDL_KIND_*) of what a kernel handle names. */
uint32_t kchan_kind_of(int handle);

/*
 * Server side: makes a channel for one session, rings of ring_bytes for
 * frames of max_frame_bytes, formats it, and writes the hello (slot,
 * protocols) with a duplicate of the doorbell's handle on its way to the
 * client. Opens the server's end in c; stores the client's end in
 * *client_end. IDL_OK or an error; nothing is left behind on error.
 */
int kchan_create(kchan *c, uint32_t ring_bytes, uint32_t max_frame_bytes, int doorbell_handle,
                 uint32_t slot, const idl_interface *const *ifaces, uint32_t iface_count,
                 int *client_end);

/*
 * Client side: opens the client's end `handle` of a channel a server made:
 * maps it, checks the hello (the wire format: IDL_E_VERSION; that it serves
 * `protocol`, unless 0: IDL_E_HANDLE_KIND), records the server's version of
 * the interface, takes the doorbell, and sets up the end. scratch
 * (may be NULL) is the end's room for frames too big for a call's buffer.
 */
int kchan_open(kchan *c, int handle, uint32_t protocol, void *scratch, size_t scratch_bytes);

/* Whether the peer closed its end, or died (the kernel marks it). */
bool kchan_peer_closed(const kchan *c);

/* Closes the end: the peer sees it closed; the memory is unmapped. */
void kchan_close(kchan *c);

#endif
