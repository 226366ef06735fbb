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

static int lb_receive(idl_endpoint *ep, uint64_t txid, void *buf, size_t max_bytes, size_t *size,
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
	int64_t n = idl_frame_copy(f->bytes, f->size, buf, max_bytes);
	if (n < 0)
		return (int)n;
	*size = (size_t)n;
	if (f->handle_count > 0)
		memcpy(handles, f->handles, f->handle_count * sizeof(idl_typed_handle));
	*handle_count = f->handle_count;
	return IDL_OK;
}

static const idl_endpoint_ops lb_ops = {
    .send_begin = lb_send_begin,
    .send_commit = lb_send_commit,
    .receive = lb_receive,
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
