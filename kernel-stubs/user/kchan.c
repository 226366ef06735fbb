/*
 * kchan.c: the runtime's channels on the reference kernel (kchan.h).
 */
#include "kchan.h"

#include "idl/channel.h"

#define PAGE 4096u

/* Where the kernel writes its death notices: the runtime's wake words. End
 * 0 is the server's (idl_chan_shared.server), end 1 the client's. */
static const struct idlk_chan_notify notices = {
    .closed_offset = {offsetof(idl_chan_shared, server) + offsetof(idl_wake, closed),
                      offsetof(idl_chan_shared, client) + offsetof(idl_wake, closed)},
    .wake_offset = {offsetof(idl_chan_shared, server) + offsetof(idl_wake, seq),
                    offsetof(idl_chan_shared, client) + offsetof(idl_wake, seq)},
};

uint32_t kchan_kind_of(int handle)
{
	struct idlk_handle_info info;
	switch (idlk_handle_info(handle, &info)) {
	case IDLK_HANDLE_SHM:
		return IDL_KIND_SHM;
	case IDLK_HANDLE_CHANNEL:
		return IDL_KIND_CHANNEL;
	case IDLK_HANDLE_MMIO:
		return IDL_KIND_MMIO;
	case IDLK_HANDLE_IRQ:
		return IDL_KIND_IRQ;
	case IDLK_HANDLE_IOPORT:
		return IDL_KIND_IOPORT;
	case IDLK_HANDLE_DMA:
		return IDL_KIND_DMA;
	default:
		return IDL_KIND_ANY;
	}
}

/* Moves the frame's handles into the channel: a handle whose object is not
 * of its field's kind is refused before anything moves. */
static int send_handles(void *ctx, const idl_typed_handle *handles, uint32_t count, uint32_t *wire)
{
	kchan *c = ctx;
	for (uint32_t i = 0; i < count; i++)
		if (handles[i].kind != IDL_KIND_ANY &&
		    kchan_kind_of((int)handles[i].value) != handles[i].kind)
			return IDL_E_HANDLE_KIND;
	for (uint32_t done = 0; done < count;) {
		uint32_t n = count - done < IDLK_SEND_HANDLES ? count - done : IDLK_SEND_HANDLES;
		int list[IDLK_SEND_HANDLES];
		for (uint32_t i = 0; i < n; i++)
			list[i] = (int)handles[done + i].value;
		if (idlk_handle_send(c->handle, list, n, wire + done) < 0)
			return IDL_E_TRANSPORT;
		done += n;
	}
	return IDL_OK;
}

/* Takes the frame's handles out of the channel, each with what it names. */
static int receive_handles(void *ctx, const uint32_t *wire, uint32_t count,
                           idl_typed_handle *handles)
{
	kchan *c = ctx;
	for (uint32_t done = 0; done < count;) {
		uint32_t n = count - done < IDLK_SEND_HANDLES ? count - done : IDLK_SEND_HANDLES;
		int list[IDLK_SEND_HANDLES];
		if (idlk_handle_receive(c->handle, wire + done, n, list) < 0) {
			for (uint32_t i = 0; i < done; i++)
				idlk_handle_close((int)handles[i].value);
			return IDL_E_PROTOCOL;
		}
		for (uint32_t i = 0; i < n; i++)
			handles[done + i] =
			    (idl_typed_handle){(idl_handle)list[i], kchan_kind_of(list[i])};
		done += n;
	}
	return IDL_OK;
}

static void release_handles(void *ctx, const idl_typed_handle *handles, uint32_t count)
{
	(void)ctx;
	for (uint32_t i = 0; i < count; i++)
		idlk_handle_close((int)handles[i].value);
}

/* The kernel marks a dead peer closed in the channel itself. */
static bool peer_alive(void *ctx)
{
	(void)ctx;
	return true;
}

/* A client's kick: through the kernel, to words of its server's own memory
 * that no client maps (kserve.c watches every channel it makes), so that no
 * other client can undo it. A server that does not watch its end is woken
 * through the doorbell's futex word instead. */
static void kick(void *ctx)
{
	kchan *c = ctx;
	if (idlk_chan_kick(c->handle) == -IDLK_E_AGAIN) {
		idl_doorbell_mark(c->end.doorbell, c->end.slot);
		idl_doorbell_wake(c->end.doorbell);
	}
}

const idl_transfer_ops kchan_transfer = {.send_handles = send_handles,
                                         .receive_handles = receive_handles,
                                         .release_handles = release_handles,
                                         .peer_alive = peer_alive,
                                         .kick = kick};

/* One CPU: while a side spins its peer cannot run, so spinning only delays
 * the answer. Yielding hands the CPU to the peer at once. */
static void set_patience(kchan *c)
{
	c->end.patience = (idl_patience){0, IDL_DEFAULT_YIELDS};
}

int kchan_create(kchan *c, uint32_t ring_bytes, uint32_t max_frame_bytes, int doorbell_handle,
                 uint32_t slot, const idl_interface *const *ifaces, uint32_t iface_count,
                 int *client_end)
{
	size_t region_bytes = idl_chan_region_bytes(ring_bytes);
	size_t bytes = (region_bytes + PAGE - 1) / PAGE * PAGE + PAGE;
	int ends[2];
	if (iface_count > KCHAN_MAX_PROTOCOLS)
		return IDL_E_INVALID_ARGUMENT;
	if (idlk_chan_create(bytes, ends, &notices) < 0)
		return IDL_E_TRANSPORT;
	long at = idlk_shm_map(ends[0], NULL, IDLK_PROT_READ | IDLK_PROT_WRITE);
	int err = at < 0 ? IDL_E_TRANSPORT
	                 : idl_chan_format((void *)at, region_bytes, ring_bytes, max_frame_bytes);
	struct kchan_hello hello = {.magic = KCHAN_HELLO_MAGIC,
	                            .slot = slot,
	                            .wire_version = IDL_WIRE_VERSION,
	                            .protocol_count = iface_count};
	if (err == IDL_OK) {
		for (uint32_t i = 0; i < iface_count; i++) {
			hello.protocols[i] = ifaces[i]->protocol;
			hello.versions[i] = ifaces[i]->version;
			hello.oldest[i] = ifaces[i]->oldest;
		}
		long doorbell = idlk_handle_dup(doorbell_handle);
		if (doorbell < 0 ||
		    idlk_handle_send(ends[0], (int *)&doorbell, 1, &hello.doorbell_word) < 0) {
			if (doorbell >= 0)
				idlk_handle_close((int)doorbell);
			err = IDL_E_TRANSPORT;
		}
	}
	if (err == IDL_OK) {
		memcpy((uint8_t *)at + bytes - PAGE, &hello, sizeof(hello));
		err = idl_chan_end_init(&c->end, (void *)at, region_bytes, IDL_CHAN_SERVER);
	}
	if (err != IDL_OK) {
		if (at >= 0)
			idlk_unmap((void *)at, bytes);
		idlk_handle_close(ends[0]);
		idlk_handle_close(ends[1]);
		return err;
	}
	c->handle = ends[0];
	c->region = (void *)at;
	c->region_bytes = bytes;
	c->doorbell = NULL;
	idl_chan_end_set_transfer(&c->end, &kchan_transfer, c);
	set_patience(c);
	*client_end = ends[1];
	return IDL_OK;
}

int kchan_open(kchan *c, int handle, uint32_t protocol, void *scratch, size_t scratch_bytes)
{
	struct idlk_handle_info info;
	if (idlk_handle_info(handle, &info) != IDLK_HANDLE_CHANNEL || info.base != 1 ||
	    info.size < 2 * PAGE)
		return IDL_E_HANDLE_KIND;
	long at = idlk_shm_map(handle, NULL, IDLK_PROT_READ | IDLK_PROT_WRITE);
	if (at < 0)
		return IDL_E_TRANSPORT;
	/* Copy, then check: the server may still write to the page. */
	struct kchan_hello hello;
	memcpy(&hello, (const uint8_t *)at + info.size - PAGE, sizeof(hello));
	int err = IDL_OK;
	int doorbell = -1;
	long db_at = -1;
	if (hello.magic != KCHAN_HELLO_MAGIC || hello.protocol_count > KCHAN_MAX_PROTOCOLS ||
	    hello.slot >= IDL_DOORBELL_CHANNELS)
		err = IDL_E_PROTOCOL;
	else if (hello.wire_version != IDL_WIRE_VERSION)
		err = IDL_E_VERSION;
	c->peer_version = c->peer_oldest = 0;
	if (err == IDL_OK) {
		int found = -1;
		for (uint32_t i = 0; i < hello.protocol_count && found < 0; i++)
			if (protocol == 0 || hello.protocols[i] == protocol)
				found = (int)i;
		if (found >= 0) {
			c->peer_version = hello.versions[found];
			c->peer_oldest = hello.oldest[found];
		} else if (protocol != 0) {
			err = IDL_E_HANDLE_KIND;
		}
	}
	if (err == IDL_OK && (idlk_handle_receive(handle, &hello.doorbell_word, 1, &doorbell) < 0 ||
	                      kchan_kind_of(doorbell) != IDL_KIND_SHM))
		err = IDL_E_PROTOCOL;
	if (err == IDL_OK) {
		db_at = idlk_shm_map(doorbell, NULL, IDLK_PROT_READ | IDLK_PROT_WRITE);
		idlk_handle_close(doorbell); /* the mapping keeps it */
		doorbell = -1;
		if (db_at < 0)
			err = IDL_E_TRANSPORT;
	}
	if (err == IDL_OK)
		err = idl_chan_end_init(&c->end, (void *)at, info.size - PAGE, IDL_CHAN_CLIENT);
	if (err != IDL_OK) {
		if (doorbell >= 0)
			idlk_handle_close(doorbell);
		if (db_at >= 0)
			idlk_unmap((void *)db_at, PAGE);
		idlk_unmap((void *)at, info.size);
		return err;
	}
	c->handle = handle;
	c->region = (void *)at;
	c->region_bytes = info.size;
	c->doorbell = (idl_doorbell *)db_at;
	idl_chan_end_set_doorbell(&c->end, c->doorbell, hello.slot);
	idl_chan_end_set_transfer(&c->end, &kchan_transfer, c);
	if (scratch)
		idl_chan_end_set_scratch(&c->end, scratch, scratch_bytes);
	set_patience(c);
	return IDL_OK;
}

bool kchan_peer_closed(const kchan *c)
{
	return c->end.error != IDL_OK ||
	       atomic_load_explicit(&c->end.peer->closed, memory_order_acquire) != 0;
}

void kchan_close(kchan *c)
{
	idl_chan_end_close(&c->end);
	idlk_handle_close(c->handle);
	idlk_unmap(c->region, c->region_bytes);
	if (c->doorbell)
		idlk_unmap(c->doorbell, PAGE);
	c->handle = -1;
}
