/* loopback.c: see loopback.h. */
#include "loopback.h"

#include <string.h>

static int lb_send_begin(idl_endpoint *ep, size_t max_bytes, void **frame)
{
	loopback_end *end = (loopback_end *)ep;
	loopback_queue *q = end->out;
	if (max_bytes > LOOPBACK_SLOT_BYTES || q->reserved)
		return IDL_E_TRANSPORT;
	if (q->count == LOOPBACK_SLOTS)
		return IDL_E_WOULD_BLOCK;
	loopback_frame *f = &q->slots[(q->head + q->count) % LOOPBACK_SLOTS];
	memset(f->bytes, 0xcd, sizeof(f->bytes)); /* stale bytes, as in a ring */
	q->reserved = true;
	*frame = f->bytes;
	return IDL_OK;
}

static int lb_send_commit(idl_endpoint *ep, size_t bytes, const idl_typed_handle *handles,
                          uint32_t handle_count)
{
	loopback_end *end = (loopback_end *)ep;
	loopback_queue *q = end->out;
	if (!q->reserved || bytes > LOOPBACK_SLOT_BYTES || handle_count > IDL_MAX_HANDLES)
		return IDL_E_TRANSPORT;
	q->reserved = false;
	if (bytes == 0)
		return IDL_OK;
	loopback_frame *f = &q->slots[(q->head + q->count) % LOOPBACK_SLOTS];
	f->size = bytes;
	f->handle_count = handle_count;
	if (handle_count > 0)
		memcpy(f->handles, handles, handle_count * sizeof(idl_typed_handle));
	q->count++;
	return IDL_OK;
}

static int lb_receive(idl_endpoint *ep, uint32_t txid, void *buf, size_t max_bytes, size_t *size,
                      idl_typed_handle *handles, uint32_t *handle_count)
{
	loopback_end *end = (loopback_end *)ep;
	loopback_queue *q = end->in;
	(void)txid;
	if (q->count == 0 && end->pump != NULL)
		end->pump(end->pump_ctx);
	if (q->count == 0)
		return IDL_E_WOULD_BLOCK;
	loopback_frame *f = &q->slots[q->head];
	q->head = (q->head + 1) % LOOPBACK_SLOTS;
	q->count--;
	if (f->handle_count > *handle_count)
		return IDL_E_HANDLE_COUNT;
	int64_t n = idl_frame_copy(f->bytes, f->size, buf, max_bytes, 0);
	if (n < 0)
		return (int)n;
	*size = (size_t)n;
	if (f->handle_count > 0)
		memcpy(handles, f->handles, f->handle_count * sizeof(idl_typed_handle));
	*handle_count = f->handle_count;
	return IDL_OK;
}

static int lb_call_begin(idl_endpoint *ep, idl_call *call)
{
	loopback_end *end = (loopback_end *)ep;
	if (call->owner != NULL)
		return IDL_E_INVALID_ARGUMENT;
	call->status = IDL_E_WOULD_BLOCK;
	call->owner = end;
	call->next = end->calls;
	end->calls = call;
	return IDL_OK;
}

static void lb_call_end(idl_endpoint *ep, idl_call *call)
{
	loopback_end *end = (loopback_end *)ep;
	if (call->owner != end)
		return;
	for (idl_call **p = &end->calls; *p != NULL; p = &(*p)->next) {
		if (*p == call) {
			*p = call->next;
			break;
		}
	}
	call->owner = NULL;
}

/* Takes one frame into the call it answers (a reply that answers none is
 * dropped and counted); IDL_E_TIMEOUT when there is none. */
static int lb_take_reply(loopback_end *end)
{
	loopback_queue *q = end->in;
	if (q->count == 0)
		return IDL_E_TIMEOUT;
	loopback_frame *f = &q->slots[q->head];
	q->head = (q->head + 1) % LOOPBACK_SLOTS;
	q->count--;
	const idl_frame_header *h = (const idl_frame_header *)f->bytes;
	idl_call *c = end->calls;
	while (c != NULL && (c->txid != h->txid || c->status != IDL_E_WOULD_BLOCK))
		c = c->next;
	if (c == NULL || (h->flags & IDL_FLAG_REPLY) == 0) {
		end->dropped++;
		return IDL_OK;
	}
	if (f->handle_count > c->handle_room) {
		c->status = IDL_E_HANDLE_COUNT;
		return IDL_OK;
	}
	int64_t n = idl_frame_copy(f->bytes, f->size, c->buf, c->buf_bytes, c->inline_bytes);
	if (n < 0) {
		c->status = (int)n;
		return IDL_OK;
	}
	c->size = (size_t)n;
	c->handle_count = f->handle_count;
	if (f->handle_count > 0)
		memcpy(c->handles, f->handles, f->handle_count * sizeof(idl_typed_handle));
	c->status = IDL_OK;
	return IDL_OK;
}

/* Runs the other side once when nothing waits; what it did not send by
 * then never comes: IDL_E_TIMEOUT. */
static int lb_call_wait(idl_endpoint *ep, idl_call *call, uint64_t timeout_ns, idl_call **done)
{
	loopback_end *end = (loopback_end *)ep;
	(void)timeout_ns;
	if (end->in->count == 0 && end->pump != NULL)
		end->pump(end->pump_ctx);
	for (;;) {
		idl_call *c = call;
		if (c == NULL)
			for (c = end->calls; c != NULL && c->status == IDL_E_WOULD_BLOCK;)
				c = c->next;
		if (c != NULL && c->status != IDL_E_WOULD_BLOCK) {
			if (done != NULL)
				*done = c;
			return IDL_OK;
		}
		int err = lb_take_reply(end);
		if (err != IDL_OK)
			return err;
	}
}

/* Counts what a stub gives back: loopback handles are plain numbers. */
static void lb_release(idl_endpoint *ep, const idl_typed_handle *handles, uint32_t count)
{
	loopback_end *end = (loopback_end *)ep;
	end->released += count;
	end->last_released = handles[count - 1].value;
}

static const idl_endpoint_ops lb_ops = {
    .send_begin = lb_send_begin,
    .send_commit = lb_send_commit,
    .receive = lb_receive,
    .call_begin = lb_call_begin,
    .call_wait = lb_call_wait,
    .call_end = lb_call_end,
    .release = lb_release,
};

void loopback_init(loopback *lb)
{
	memset(lb, 0, sizeof(*lb));
	lb->client.ep.ops = &lb_ops;
	lb->client.out = &lb->to_server;
	lb->client.in = &lb->to_client;
	lb->server.ep.ops = &lb_ops;
	lb->server.out = &lb->to_client;
	lb->server.in = &lb->to_server;
}

unsigned loopback_pending(const loopback_end *end)
{
	return end->in->count;
}
