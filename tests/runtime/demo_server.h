/*
 * demo_server.h: a console + file server for the multi-process tests, run
 * in a forked child over the Linux port. Console.write answers the bytes
 * taken, Console.read answers "hello", Console.get_mode sleeps first when
 * asked (for timeout tests), File.read_shared writes into the client's
 * shared buffer.
 */
#ifndef DEMO_SERVER_H
#define DEMO_SERVER_H

#include "console.h"
#include "fs.h"
#include "idl/linux.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DEMO_CAPACITY 300u
#define DEMO_RING     131072u
#define DEMO_FILE     "the contents of a file, read straight into shared memory"

static uint64_t demo_slow_ns; /* how long get_mode sleeps */

static int demo_write(void *ctx, const console_console_write_request *req,
                      console_console_write_reply *reply, sys_errno *error)
{
	(void)ctx;
	(void)error;
	reply->written = req->data.size;
	return IDL_OK;
}

static int demo_read(void *ctx, const console_console_read_request *req,
                     console_console_read_reply *reply, sys_errno *error)
{
	(void)ctx;
	(void)req;
	(void)error;
	reply->data.data = (const uint8_t *)"hello";
	reply->data.size = 5;
	return IDL_OK;
}

static int demo_get_mode(void *ctx, const console_console_get_mode_request *req,
                         console_console_get_mode_reply *reply, sys_errno *error)
{
	(void)ctx;
	(void)req;
	(void)error;
	if (demo_slow_ns != 0) {
		struct timespec ts = {0, (long)demo_slow_ns};
		nanosleep(&ts, NULL);
	}
	reply->mode = CONSOLE_MODE_ECHO;
	return IDL_OK;
}

static int demo_read_shared(void *ctx, const fs_file_read_shared_request *req,
                            fs_file_read_shared_reply *reply, sys_errno *error)
{
	(void)ctx;
	idl_linux_region r;
	/* The handle is ours until the handler returns: map a duplicate. */
	if (idl_linux_region_map(&r, dup((int)req->buffer)) != IDL_OK) {
		*error = SYS_ERRNO_INVALID;
		return IDL_E_REMOTE;
	}
	size_t n = sizeof(DEMO_FILE) - 1;
	if (req->count < n)
		n = req->count;
	if (req->buffer_offset > r.bytes || n > r.bytes - req->buffer_offset) {
		idl_linux_region_close(&r);
		*error = SYS_ERRNO_RANGE;
		return IDL_E_REMOTE;
	}
	memcpy((uint8_t *)r.base + req->buffer_offset, DEMO_FILE, n);
	idl_linux_region_close(&r);
	reply->count = (uint32_t)n;
	return IDL_OK;
}

static const console_console_handlers demo_console = {
    .write = demo_write, .read = demo_read, .get_mode = demo_get_mode};
static const fs_file_handlers demo_fs = {.read_shared = demo_read_shared};

static int demo_handle(void *ctx, idl_endpoint *ep, void *frame, size_t size,
                       const idl_typed_handle *handles, uint32_t count)
{
	int err = console_console_dispatch(&demo_console, ctx, ep, frame, size, handles, count);
	if (err == IDL_E_ORDINAL)
		err = fs_file_dispatch(&demo_fs, ctx, ep, frame, size, handles, count);
	return err;
}

/* Closed channels, counted by reason, for the tamper test's report. */
static _Atomic uint32_t demo_protocol_closes;
static void demo_closed(void *ctx, uint32_t slot, idl_chan_end *end, int reason)
{
	(void)ctx;
	(void)slot;
	(void)end;
	if (reason == IDL_E_PROTOCOL)
		atomic_fetch_add(&demo_protocol_closes, 1);
}

static idl_linux_server demo_server;
static bool demo_huge_pages; /* set before demo_start: channels in huge pages */
static idl_linux_conn demo_conns[DEMO_CAPACITY];
static idl_chan_end *demo_slots[DEMO_CAPACITY];
static _Alignas(8) uint8_t demo_buf[FS_FILE_MAX_FRAME_BYTES];

static void demo_stop(int sig)
{
	(void)sig;
	idl_linux_server_stop(&demo_server);
}

/* Serves `name` until SIGTERM; the child's body. */
static int demo_serve(const char *name)
{
	int err = idl_linux_server_open(&demo_server, name, demo_conns, demo_slots, DEMO_CAPACITY,
	                                DEMO_RING, FS_FILE_MAX_FRAME_BYTES, demo_handle, NULL,
	                                demo_buf, sizeof(demo_buf));
	if (err != IDL_OK) {
		fprintf(stderr, "server: %s\n", idl_error_name(err));
		return 1;
	}
	demo_server.on_close = demo_closed;
	idl_linux_server_use_huge_pages(&demo_server, demo_huge_pages);
	signal(SIGTERM, demo_stop);
	err = idl_linux_server_run(&demo_server);
	idl_linux_server_close(&demo_server);
	return err == IDL_OK ? 0 : 1;
}

static pid_t demo_start(const char *name)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(demo_serve(name));
	return pid;
}

/* Connects, retrying while the server starts. */
static int demo_connect(idl_linux_conn *c, const char *name)
{
	int err = IDL_E_TRANSPORT;
	for (int i = 0; i < 500 && err == IDL_E_TRANSPORT; i++) {
		err = idl_linux_connect(c, name, 5000);
		if (err == IDL_E_TRANSPORT)
			usleep(10000);
	}
	if (err == IDL_OK)
		c->end.ep.timeout_ns = 5000000000u; /* nothing in these tests takes this long */
	return err;
}

static int demo_stop_server(pid_t pid)
{
	int status = 0;
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	return status;
}

/* One console write; returns the idl_error, checks the answer. */
static int demo_call_write(idl_endpoint *ep, uint32_t n)
{
	static const uint8_t text[64] = "0123456789012345678901234567890123456789";
	console_console_write_request req = {.data = {.size = n, .data = text}};
	console_console_write_reply_buffer rb;
	const console_console_write_reply *reply;
	sys_errno error;
	int err = console_console_write(ep, &req, &rb, &reply, &error);
	if (err == IDL_OK && reply->written != n)
		return IDL_E_TRANSPORT;
	return err;
}

#endif /* DEMO_SERVER_H */
