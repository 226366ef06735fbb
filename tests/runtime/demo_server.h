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

static int demo_write(idl_request *r, const console_console_write_request *req,
                      console_console_write_reply *reply, sys_errno *error)
{
	(void)r;
	(void)error;
	reply->written = req->data.size;
	return IDL_OK;
}

static int demo_read(idl_request *r, const console_console_read_request *req,
                     console_console_read_reply *reply, sys_errno *error)
{
	(void)r;
	(void)req;
	(void)error;
	reply->data.data = (const uint8_t *)"hello";
	reply->data.size = 5;
	return IDL_OK;
}

static int demo_get_mode(idl_request *r, const console_console_get_mode_request *req,
                         console_console_get_mode_reply *reply, sys_errno *error)
{
	(void)r;
	(void)req;
	(void)error;
	if (demo_slow_ns != 0) {
		struct timespec ts = {0, (long)demo_slow_ns};
		nanosleep(&ts, NULL);
	}
	reply->mode = CONSOLE_MODE_ECHO;
	return IDL_OK;
}

static int demo_read_shared(idl_request *r, const fs_file_read_shared_request *req,
                            fs_file_read_shared_reply *reply, sys_errno *error)
{
	(void)r;
	idl_linux_region buf;
	/* The handle is ours until the handler returns: map a duplicate. */
	if (idl_linux_region_map(&buf, dup((int)req->buffer)) != IDL_OK) {
		*error = SYS_ERRNO_INVALID;
		return IDL_E_REMOTE;
	}
	size_t n = sizeof(DEMO_FILE) - 1;
	if (req->count < n)
		n = req->count;
	if (req->buffer_offset > buf.bytes || n > buf.bytes - req->buffer_offset) {
		idl_linux_region_close(&buf);
		*error = SYS_ERRNO_RANGE;
		return IDL_E_REMOTE;
	}
	memcpy((uint8_t *)buf.base + req->buffer_offset, DEMO_FILE, n);
	idl_linux_region_close(&buf);
	reply->count = (uint32_t)n;
	return IDL_OK;
}

static const console_console_handlers demo_console = {
    .write = demo_write, .read = demo_read, .get_mode = demo_get_mode};
static const fs_file_handlers demo_fs = {.read_shared = demo_read_shared};

/* Sessions that ended, counted by reason, in a page the test process
 * shares with the server it forked (demo_start maps it). */
typedef struct demo_counts {
	_Atomic uint32_t protocol_closes; /* the client broke the protocol */
	_Atomic uint32_t peer_closes;     /* the client closed, or died */
} demo_counts;
static demo_counts *demo_counts_shared;

static void demo_closed(void *ctx, idl_session *session, int reason)
{
	(void)ctx;
	(void)session;
	if (demo_counts_shared == NULL)
		return;
	if (reason == IDL_E_PROTOCOL)
		atomic_fetch_add(&demo_counts_shared->protocol_closes, 1);
	if (reason == IDL_E_PEER_CLOSED)
		atomic_fetch_add(&demo_counts_shared->peer_closes, 1);
}

static idl_linux_server demo_server;
static bool demo_huge_pages;              /* set before demo_start: channels in huge pages */
static uint32_t demo_ring = DEMO_RING;    /* set before demo_start: 0, the server's default */
static uint32_t demo_sessions_per_client; /* set before demo_start: 0, no limit */
static uint32_t demo_sessions_per_user;   /* set before demo_start: 0, no limit */
static bool demo_sleeps; /* set before demo_start: the server sleeps as soon as it waits */
static bool demo_drains; /* set before demo_start: kick pipes emptied, as on Linux 5.5-5.13 */

/* Serves `name` until SIGTERM; the child's body. */
static int demo_serve(const char *name)
{
	int err = idl_linux_server_open(&demo_server, name, DEMO_CAPACITY);
	if (err == IDL_OK)
		err = idl_server_add_interface(&demo_server.server, &console_console_interface,
		                               &demo_console, NULL);
	if (err == IDL_OK)
		err = idl_server_add_interface(&demo_server.server, &fs_file_interface, &demo_fs,
		                               NULL);
	if (err != IDL_OK) {
		fprintf(stderr, "server: %s\n", idl_error_name(err));
		return 1;
	}
	idl_server_set_sessions(&demo_server.server, NULL, demo_closed, NULL);
	idl_linux_server_set_ring_bytes(&demo_server, demo_ring);
	idl_linux_server_use_huge_pages(&demo_server, demo_huge_pages);
	idl_linux_server_limit_sessions(&demo_server, demo_sessions_per_client);
	idl_linux_server_limit_user_sessions(&demo_server, demo_sessions_per_user);
	if (demo_sleeps)
		demo_server.server.patience = (idl_patience){0, 0};
	if (demo_drains)
		demo_server.drain_kicks = true;
	idl_linux_server_stop_on_signals(&demo_server);
	err = idl_linux_server_run(&demo_server);
	idl_linux_server_close(&demo_server);
	return err == IDL_OK ? 0 : 1;
}

static pid_t demo_start(const char *name)
{
	if (demo_counts_shared == NULL) {
		void *p = mmap(NULL, sizeof(demo_counts), PROT_READ | PROT_WRITE,
		               MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		demo_counts_shared = p == MAP_FAILED ? NULL : p;
	}
	if (demo_counts_shared != NULL)
		memset(demo_counts_shared, 0, sizeof(*demo_counts_shared));
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
		err = idl_linux_connect(c, name, 0, 5000);
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

/* Ends a helper process of a test (a hostile peer, say) if *pid names one,
 * and waits for it; *pid becomes 0. */
static inline void demo_kill(pid_t *pid)
{
	if (*pid > 0) {
		kill(*pid, SIGKILL);
		waitpid(*pid, NULL, 0);
	}
	*pid = 0;
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
