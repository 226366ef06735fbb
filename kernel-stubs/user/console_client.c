/*
 * console_client.c: the libc shim's console backend. printf's bytes become
 * Console.write calls and fgets a Console.read call, through the client
 * stubs idlc generated from idl/console.idl, over a channel to the console
 * server found through the directory.
 */
#include "console_client.h"
#include "console.h"
#include "kserve.h"

static long client_write(void *ctx, const char *buf, size_t n)
{
	idl_endpoint *ep = ctx;
	if (n > CONSOLE_MAX_WRITE)
		n = CONSOLE_MAX_WRITE;
	console_console_write_request req = {
	    .data = {.size = (uint32_t)n, .data = (const uint8_t *)buf}};
	console_console_write_reply_buffer rb;
	const console_console_write_reply *reply;
	sys_errno error;
	int err = console_console_write(ep, &req, &rb, &reply, &error);
	if (err != IDL_OK)
		return err == IDL_E_REMOTE ? -(long)error - 1000 : err;
	return reply->written;
}

static long client_read(void *ctx, char *buf, size_t n)
{
	idl_endpoint *ep = ctx;
	console_console_read_request req = {.max = n > CONSOLE_MAX_READ ? CONSOLE_MAX_READ
	                                                                : (uint32_t)n};
	static console_console_read_reply_buffer rb;
	const console_console_read_reply *reply;
	sys_errno error;
	int err = console_console_read(ep, &req, &rb, &reply, &error);
	if (err != IDL_OK)
		return err == IDL_E_REMOTE ? -(long)error - 1000 : err;
	uint32_t got = reply->data.size <= n ? reply->data.size : (uint32_t)n;
	memcpy(buf, reply->data.data, got);
	return got;
}

int console_client_connect(void)
{
	/* Room for any frame the console may send while a call waits. */
	static _Alignas(8) uint8_t scratch[CONSOLE_CONSOLE_MAX_FRAME_BYTES];
	sys_errno error;
	kchan *c = kserve_connect_chan("console", CONSOLE_CONSOLE_PROTOCOL, &error);
	if (!c)
		return -(int)error;
	idl_chan_end_set_scratch(&c->end, scratch, sizeof(scratch));
	stdio_backend b = {client_write, client_read, idl_chan_end_endpoint(&c->end)};
	stdio_set_backend(&b);
	return 0;
}
