/*
 * blk_server.c: the virtio-blk driver and the block service. It claims the
 * first virtio-blk device from the PCI server, which hands over exactly the
 * device's BARs, its interrupt line and DMA; it drives the device through
 * virtio_blk.c and serves idl/block.idl as "block".
 *
 * Requests are asynchronous end to end: a read or write handler puts the
 * request on the device's queue and takes its reply with it (a deferred
 * reply), and the server goes on serving; the interrupt thread takes each
 * finished request off the queue, copies a read's sectors into the client's
 * buffer and answers. Up to SLOTS requests are on the device at once, and
 * up to WAITING more wait for a slot (beyond that: BUSY). Sectors
 * go between the device and a bounce buffer in DMA memory, and between that
 * and the client's shared buffer, which the session attached once. A
 * client (a process, whatever its sessions) has at most PER_CLIENT requests
 * in flight (beyond: BUSY), so that it cannot fill the queue for all.
 *
 * A session that ends takes its waiting requests with it, and its requests
 * on the device finish into nothing (`gone`): the next session of the slot
 * starts from a clean state, and no old request touches its buffer.
 *
 * Exit status 2: there is no virtio-blk device (init does not restart it).
 */
#include "block.h"
#include "kserve.h"
#include "pci_device.h"
#include "virtio_blk.h"

#define SLOTS        8
#define BOUNCE_BYTES BLOCK_MAX_TRANSFER
#define SECTOR       512u

struct session_state {
	uint8_t *buffer; /* the attached transfer buffer, mapped */
	uint64_t bytes;
	uint32_t in_flight; /* requests whose completion may still touch buffer */
	bool closed;        /* unmap once in_flight is 0 */
	uint64_t requests;
};

/* A request: on the device in a slot, or waiting for one. */
struct request {
	uint32_t type;
	struct session_state *session;
	uint64_t sector;
	uint64_t buffer_offset;
	uint32_t bytes;
	uint64_t client; /* the process that asked, for PER_CLIENT */
	union {
		block_device_read_token read;
		block_device_write_token write;
		block_device_flush_token flush;
	} token;
};

static struct slot {
	bool busy;
	struct request req;
} slots[SLOTS];

/* Requests that came while every slot was busy, oldest first; the interrupt
 * thread starts each as a slot frees. Beyond WAITING a request gets BUSY. */
#define WAITING 32
static struct request waiting[WAITING];
static uint32_t waiting_head, waiting_tail;

/* Requests of one client on the device or waiting, at most: a few
 * clients' worth fill the device and the list, one alone does not. */
#define PER_CLIENT 12

/* Where the requests on the device of a session that ended point: no
 * buffer, so a read that finishes copies nothing. */
static struct session_state gone = {.closed = true};

static struct session_state states[KSERVE_MAX_SESSIONS];
static void finish(struct request *q, int result);
static void start(int i, const struct request *q);
static idl_lock lock;           /* slots and states, between the serving and interrupt threads */
static uint32_t most_in_flight; /* requests on the device at once, at most so far */
static virtio_blk blk;
static uint8_t *bounce;
static uint64_t bounce_phys;
static kserver server;

static pci_device device; /* what the PCI server handed over for it */

/* Unmaps a closed session's buffer once no request can touch it. Under lock. */
static void settle_session(struct session_state *s)
{
	if (s->closed && s->in_flight == 0 && s->buffer) {
		idlk_unmap(s->buffer, s->bytes);
		s->buffer = NULL;
	}
}

/* The interrupt thread: answers every request the device finished. */
static void interrupts(void *arg)
{
	int irq = (int)(intptr_t)arg;
	for (;;) {
		long err = idlk_irq_wait(irq);
		if (err < 0) {
			printf("blk: irq_wait failed: %ld\n", err);
			return;
		}
		virtio_isr(&blk.dev); /* reading it acknowledges the interrupt */
		uint8_t status;
		int n;
		idl_lock_take(&lock);
		while ((n = vblk_complete(&blk, &status)) >= 0) {
			struct request *q = &slots[n].req;
			bool ok = status == VBLK_S_OK;
			if (q->type == VBLK_T_IN && ok && q->session->buffer)
				memcpy(q->session->buffer + q->buffer_offset,
				       bounce + n * BOUNCE_BYTES, q->bytes);
			finish(q, ok ? IDL_OK : SYS_ERRNO_IO);
			slots[n].busy = false;
			if (waiting_tail != waiting_head)
				start(n, &waiting[waiting_tail++ % WAITING]);
		}
		if (n == -2)
			printf("blk: the device returned a request that was not in flight\n");
		idl_lock_give(&lock);
	}
}

static struct session_state *state_of(idl_request *r)
{
	return r->session->state;
}

static int on_geometry(idl_request *r, const block_device_geometry_request *req,
                       block_device_geometry_reply *reply, sys_errno *error)
{
	(void)r, (void)req, (void)error;
	reply->geometry = (block_geometry){
	    .sector_bytes = SECTOR,
	    .sectors = blk.sectors,
	    .read_only = blk.read_only,
	    .can_flush = blk.can_flush,
	};
	return IDL_OK;
}

static int on_attach(idl_request *r, const block_device_attach_request *req,
                     block_device_attach_reply *reply, sys_errno *error)
{
	(void)reply;
	struct idlk_handle_info info;
	if (idlk_handle_info((int)req->buffer, &info) != IDLK_HANDLE_SHM || info.size < SECTOR) {
		*error = SYS_ERRNO_INVALID;
		return IDL_E_REMOTE;
	}
	long at = idlk_shm_map((int)req->buffer, NULL, IDLK_PROT_READ | IDLK_PROT_WRITE);
	if (at < 0) {
		*error = SYS_ERRNO_TOO_MANY;
		return IDL_E_REMOTE;
	}
	struct session_state *s = state_of(r);
	idl_lock_take(&lock);
	if (s->buffer && s->in_flight) {
		idl_lock_give(&lock);
		idlk_unmap((void *)at, info.size);
		*error = SYS_ERRNO_BUSY; /* a request still uses the old one */
		return IDL_E_REMOTE;
	}
	if (s->buffer)
		idlk_unmap(s->buffer, s->bytes);
	s->buffer = (uint8_t *)at;
	s->bytes = info.size;
	idl_lock_give(&lock);
	return IDL_OK;
}

/* Answers a request: IDL_OK, or the error (a sys_errno). Under lock. */
static void finish(struct request *q, int result)
{
	if (q->type == VBLK_T_IN) {
		block_device_read_reply reply = {0};
		result == IDL_OK ? block_device_read_reply_ok(&q->token.read, &reply)
		                 : block_device_read_reply_error(&q->token.read, (sys_errno)result);
	} else if (q->type == VBLK_T_OUT) {
		block_device_write_reply reply = {0};
		result == IDL_OK
		    ? block_device_write_reply_ok(&q->token.write, &reply)
		    : block_device_write_reply_error(&q->token.write, (sys_errno)result);
	} else {
		block_device_flush_reply reply = {0};
		result == IDL_OK
		    ? block_device_flush_reply_ok(&q->token.flush, &reply)
		    : block_device_flush_reply_error(&q->token.flush, (sys_errno)result);
	}
	q->session->in_flight--;
	settle_session(q->session);
}

/* Puts request q on the device in free slot i. A write's sectors are copied
 * out of the client's buffer now: the client may reuse it once answered.
 * Under lock. */
static void start(int i, const struct request *q)
{
	struct slot *s = &slots[i];
	s->busy = true;
	s->req = *q;
	s->req.session->requests++;
	uint32_t device_requests = 0;
	for (int k = 0; k < SLOTS; k++)
		device_requests += slots[k].busy;
	if (device_requests > most_in_flight)
		most_in_flight = device_requests;
	if (q->type == VBLK_T_OUT)
		memcpy(bounce + i * BOUNCE_BYTES, q->session->buffer + q->buffer_offset, q->bytes);
	if (vblk_submit(&blk, i, q->type, q->sector, bounce_phys + (uint64_t)i * BOUNCE_BYTES,
	                q->type == VBLK_T_FLUSH ? 0 : q->bytes) < 0)
		printf("blk: the device queue is full\n"); /* cannot happen: 3 descriptors a slot */
}

/* Requests of client on the device or waiting, whatever session asked
 * them (one that ended too: they still hold a slot). Under lock. */
static uint32_t client_in_flight(uint64_t client)
{
	uint32_t n = 0;
	for (int i = 0; i < SLOTS; i++)
		n += slots[i].busy && slots[i].req.client == client;
	for (uint32_t i = waiting_tail; i != waiting_head; i++)
		n += waiting[i % WAITING].client == client;
	return n;
}

/* A request whose reply was deferred: on the device now if a slot is free,
 * else waiting; BUSY when the waiting list is full too, or when the client
 * has its share in flight. Under lock. */
static void dispatch(struct request *q)
{
	q->session->in_flight++;
	if (client_in_flight(q->client) >= PER_CLIENT) {
		finish(q, SYS_ERRNO_BUSY);
		return;
	}
	for (int i = 0; i < SLOTS; i++) {
		if (!slots[i].busy) {
			start(i, q);
			return;
		}
	}
	if (waiting_head - waiting_tail < WAITING) {
		waiting[waiting_head++ % WAITING] = *q;
		return;
	}
	finish(q, SYS_ERRNO_BUSY);
}

/*
 * Checks a read or write: the range must lie on the device, fit in the
 * transfer buffer and in one bounce buffer. 0, or -1 with *error set.
 */
static int check(idl_request *r, uint64_t sector, uint32_t count, uint64_t offset, uint32_t type,
                 sys_errno *error)
{
	struct session_state *st = state_of(r);
	uint64_t bytes = (uint64_t)count * SECTOR;
	if (!st->buffer) {
		*error = SYS_ERRNO_BAD_STATE;
		return -1;
	}
	if (count == 0 || bytes > BOUNCE_BYTES || sector >= blk.sectors ||
	    count > blk.sectors - sector) {
		*error = SYS_ERRNO_INVALID;
		return -1;
	}
	if (offset > st->bytes || bytes > st->bytes - offset) {
		*error = SYS_ERRNO_RANGE;
		return -1;
	}
	if (type == VBLK_T_OUT && blk.read_only) {
		*error = SYS_ERRNO_ACCESS;
		return -1;
	}
	return 0;
}

static int on_read(idl_request *r, const block_device_read_request *req,
                   block_device_read_reply *reply, sys_errno *error)
{
	(void)reply;
	idl_lock_take(&lock);
	struct request q = {
	    VBLK_T_IN,           state_of(r),        req->sector, req->buffer_offset,
	    req->count * SECTOR, r->session->client, {{0}}};
	int err = check(r, req->sector, req->count, req->buffer_offset, VBLK_T_IN, error) < 0
	              ? IDL_E_REMOTE
	              : block_device_read_defer(r, &q.token.read);
	if (err == IDL_DEFERRED)
		dispatch(&q);
	idl_lock_give(&lock);
	return err;
}

static int on_write(idl_request *r, const block_device_write_request *req,
                    block_device_write_reply *reply, sys_errno *error)
{
	(void)reply;
	idl_lock_take(&lock);
	struct request q = {
	    VBLK_T_OUT,          state_of(r),        req->sector, req->buffer_offset,
	    req->count * SECTOR, r->session->client, {{0}}};
	int err = check(r, req->sector, req->count, req->buffer_offset, VBLK_T_OUT, error) < 0
	              ? IDL_E_REMOTE
	              : block_device_write_defer(r, &q.token.write);
	if (err == IDL_DEFERRED)
		dispatch(&q);
	idl_lock_give(&lock);
	return err;
}

static int on_flush(idl_request *r, const block_device_flush_request *req,
                    block_device_flush_reply *reply, sys_errno *error)
{
	(void)req, (void)reply, (void)error;
	if (!blk.can_flush)
		return IDL_OK; /* the device writes through */
	idl_lock_take(&lock);
	struct request q = {VBLK_T_FLUSH, state_of(r), 0, 0, 0, r->session->client, {{0}}};
	int err = block_device_flush_defer(r, &q.token.flush);
	if (err == IDL_DEFERRED)
		dispatch(&q);
	idl_lock_give(&lock);
	return err;
}

static const block_device_handlers handlers = {
    .geometry = on_geometry,
    .attach = on_attach,
    .read = on_read,
    .write = on_write,
    .flush = on_flush,
};

/* Ends what refers to a session that ends: its waiting requests are
 * answered (into nothing: the session is gone) and leave the list; those on
 * the device move to `gone`. Under lock. */
static void forget_session(struct session_state *s)
{
	uint32_t kept = waiting_tail;
	for (uint32_t i = waiting_tail; i != waiting_head; i++) {
		struct request *q = &waiting[i % WAITING];
		if (q->session == s)
			finish(q, SYS_ERRNO_IO);
		else
			waiting[kept++ % WAITING] = *q;
	}
	waiting_head = kept;
	for (int i = 0; i < SLOTS; i++) {
		if (slots[i].busy && slots[i].req.session == s) {
			slots[i].req.session = &gone;
			gone.in_flight++;
			s->in_flight--;
		}
	}
}

static int session_open(void *ctx, idl_session *session)
{
	(void)ctx;
	struct session_state *s = &states[session->id];
	idl_lock_take(&lock);
	*s = (struct session_state){0};
	idl_lock_give(&lock);
	session->state = s;
	return IDL_OK;
}

static void session_close(void *ctx, idl_session *session, int reason)
{
	(void)ctx, (void)reason;
	struct session_state *s = session->state;
	idl_lock_take(&lock);
	s->closed = true;
	forget_session(s);
	settle_session(s); /* in_flight is 0 now: the buffer goes */
	idl_lock_give(&lock);
	if (s->requests)
		printf("blk: session %u of process %lu ended: %lu requests; at most %u requests on "
		       "the device at once so far\n",
		       session->id, (unsigned long)session->client, (unsigned long)s->requests,
		       most_in_flight);
}

int umain(const char *args, long nhandles)
{
	(void)args, (void)nhandles;
	int err = pci_device_claim(&device, VIRTIO_VENDOR_ID, VIRTIO_MODERN_ID(VIRTIO_TYPE_BLOCK));
	if (err == 2) {
		printf("blk: no virtio-blk device\n");
		return 2;
	}
	if (err < 0) {
		printf("blk: cannot claim the virtio-blk device\n");
		return 1;
	}
	uint64_t ring_phys;
	long ring = idlk_dma_alloc(device.dma, VBLK_DMA_BYTES, NULL, &ring_phys);
	long data = idlk_dma_alloc(device.dma, SLOTS * BOUNCE_BYTES, NULL, &bounce_phys);
	if (ring < 0 || data < 0) {
		printf("blk: no DMA memory\n");
		return 1;
	}
	bounce = (uint8_t *)data;
	virtio_access access = {pci_device_config_read, pci_device_map_bar, pci_device_enable_dma,
	                        &device};
	if (vblk_start(&blk, &access, (volatile void *)ring, ring_phys) < 0) {
		printf("blk: the device did not start\n");
		return 1;
	}
	if (thread_spawn(interrupts, (void *)(intptr_t)device.irq, 16384) < 0 ||
	    kserve_init(&server, KSERVE_MAX_SESSIONS) != IDL_OK ||
	    kserve_add_interface(&server, &block_device_interface, &handlers, NULL) != IDL_OK) {
		printf("blk: cannot set up serving\n");
		return 1;
	}
	kserve_set_sessions(&server, session_open, session_close, NULL);
	err = kserve_publish(&server, "block");
	if (err != IDL_OK) {
		printf("blk: cannot publish: %s\n", idl_error_name(err));
		return 1;
	}
	printf(
	    "blk: virtio-blk at %02x:%02x.%x, %lu sectors%s; serving idl/block.idl as \"block\"\n",
	    device.address.bus, device.address.device, device.address.function,
	    (unsigned long)blk.sectors, blk.read_only ? ", read-only" : "");
	kserve_run(&server);
	return 0;
}
