/*
 * console_client.c: the libc shim's console backend. printf's bytes become
 * Console.write calls and fgets a Console.read call, through the client
 * stubs idlc generated from idl/console.idl, over a channel to the console
 * server found through the directory. When the console server goes away
 * (it died; init starts it again), the next call looks it up anew and is
 * made once more on the new connection, so that a program outlives a
 * restart of its console as it does one of the file server.
 */
#include "console_client.h"
#include "console.h"
#include "kserve.h"

static kchan *console;

/* Room for any frame the console may send while a call waits. */
static _Alignas(8) uint8_t scratch[CONSOLE_CONSOLE_MAX_FRAME_BYTES];

static idl_endpoint *connect_console(sys_errno *error)
{
	if (!console) {
		console = kserve_connect_chan("console", CONSOLE_CONSOLE_PROTOCOL, error);
		if (!console)
			return NULL;
		idl_chan_end_set_scratch(&console->end, scratch, sizeof(scratch));
	}
	return idl_chan_end_endpoint(&console->end);
}

/* The server of the connection is gone: drop it, so that the next call
 * connects to its successor. */
static void drop_connection(void)
{
	kserve_disconnect(console);
	console = NULL;
}

static long write_once(idl_endpoint *ep, void *buf, size_t n)
{
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

static long read_once(idl_endpoint *ep, void *buf, size_t n)
{
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

/* Makes a console call, and once more on a new connection when the server
 * it went to is gone (init has started another). */
static long call_console(long (*call)(idl_endpoint *ep, void *buf, size_t n), void *buf, size_t n)
{
	sys_errno error;
	idl_endpoint *ep = connect_console(&error);
	if (!ep)
		return IDL_E_PEER_CLOSED;
	long got = call(ep, buf, n);
	if (got == IDL_E_PEER_CLOSED) {
		drop_connection();
		ep = connect_console(&error);
		if (ep)
			got = call(ep, buf, n);
	}
	return got;
}

static long client_write(void *ctx, const char *buf, size_t n)
{
	(void)ctx;
	return call_console(write_once, (void *)buf, n > CONSOLE_MAX_WRITE ? CONSOLE_MAX_WRITE : n);
}

static long client_read(void *ctx, char *buf, size_t n)
{
	(void)ctx;
	return call_console(read_once, buf, n);
}

int console_client_connect(void)
{
	sys_errno error;
	if (!connect_console(&error))
		return -(int)error;
	stdio_backend b = {client_write, client_read, NULL};
	stdio_set_backend(&b);
	return 0;
}
